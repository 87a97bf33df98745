//! The one error type of the state store. Every message names the file involved and says
//! whether anything was changed (nothing ever is when an error is returned), never a value.

use std::io;
use std::path::{Path, PathBuf};

use crate::encryption::EncryptionError;
use crate::lock::LockInfo;

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// A file-system operation failed (unreadable file, full disk, permissions).
    #[error("could not {action} {}: {error}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        error: io::Error,
    },

    /// The state file is not valid JSON or not a valid state.
    #[error(
        "the state file {} is corrupt: {detail}. It was left untouched; {}",
        path.display(),
        backup_hint(path, backup.as_deref())
    )]
    Corrupt {
        path: PathBuf,
        detail: String,
        /// The backup file, when one exists.
        backup: Option<PathBuf>,
    },

    /// The state file was written by a newer skelc.
    #[error(
        "the state file {} has format version {found}, but this skelc supports versions up to \
         {supported}: upgrade skelc. The file was left untouched.",
        path.display()
    )]
    NewerVersion {
        path: PathBuf,
        found: u64,
        supported: u32,
    },

    /// Another process (or another handle in this one) holds the lock.
    #[error("{}", locked_message(path, info.as_deref()))]
    Locked {
        /// The lock file.
        path: PathBuf,
        /// Who holds it; `None` when the lock file could not be read.
        info: Option<Box<LockInfo>>,
    },

    /// `force_unlock` was given an id that is not the current lock's.
    #[error(
        "refusing to force-unlock {}: the lock's id is {}, not `{given}`. Nothing was changed.",
        path.display(),
        actual.as_deref().map_or("unreadable".to_string(), |id| format!("`{id}`"))
    )]
    LockIdMismatch {
        path: PathBuf,
        given: String,
        actual: Option<String>,
    },

    /// `force_unlock` found no lock.
    #[error("the state is not locked: {} does not exist", path.display())]
    NotLocked { path: PathBuf },

    /// A write or journal was attempted with a lock of a different directory.
    #[error(
        "the lock held is for {}, not for the state in {}; nothing was written",
        lock_dir.display(),
        state_dir.display()
    )]
    WrongLock {
        lock_dir: PathBuf,
        state_dir: PathBuf,
    },

    /// The state file changed since this run read it.
    #[error(
        "the state file {} now has serial {found}, but this run read serial {expected}: another \
         process wrote it. Nothing was written; run the command again.",
        path.display()
    )]
    StaleWrite {
        path: PathBuf,
        expected: u64,
        found: u64,
    },

    /// The state file on disk belongs to a different state (another lineage).
    #[error(
        "the state file {} has lineage {found}, but the state being written has lineage \
         {expected}: they are different states. Nothing was written.",
        path.display()
    )]
    LineageMismatch {
        path: PathBuf,
        expected: String,
        found: String,
    },

    /// A journal left by an earlier run must be recovered before a new one begins.
    #[error(
        "an unfinished journal from an earlier run exists at {}: its changes must be recovered \
         before a new run starts",
        path.display()
    )]
    JournalPending { path: PathBuf },

    /// An encrypted file (or journal line) could not be decrypted, or a plain one was found
    /// where the configuration requires encryption.
    #[error(
        "cannot read {}: {}{error}. Nothing was written.",
        path.display(),
        line.map_or(String::new(), |line| format!("line {line}: "))
    )]
    Decrypt {
        path: PathBuf,
        /// The journal line (1-based), for a journal.
        line: Option<usize>,
        error: EncryptionError,
    },

    /// No key to encrypt a file with (a key provider failed).
    #[error("cannot encrypt {}: {error}. Nothing was written.", path.display())]
    Encrypt {
        path: PathBuf,
        error: EncryptionError,
    },

    /// A write was attempted with the guard of a read without the lock (`--lock=false`).
    #[error(
        "the state {} was read without its lock (--lock=false), so nothing may be written to it \
         (an interrupted run needs recovering, for one): run the command without --lock=false",
        path.display()
    )]
    ReadOnly { path: PathBuf },

    /// A remote backend operation failed (missing bucket, no permission, unreachable).
    #[error("could not {action} {url}: {detail}. Nothing was overwritten.")]
    Remote {
        action: &'static str,
        url: String,
        detail: String,
    },

    /// The remote lock object exists but is not a lock record.
    #[error(
        "the state is locked, but the lock object {url} cannot be read: {detail}. Nothing was \
         changed. If no run holds it, remove that object by hand."
    )]
    LockUnreadable { url: String, detail: String },

    /// A conditional write of a remote state found another writer's version.
    #[error(
        "the state {url} was written by someone else (it now has serial {found}; this run last \
         saw serial {expected}): its ETag no longer matches, so nothing was overwritten. Run \
         the command again to plan against the new state."
    )]
    ConcurrentWrite {
        url: String,
        expected: u64,
        found: u64,
    },

    /// A journal line other than the last one is unreadable.
    #[error(
        "the journal {} is corrupt at line {line}: {detail}. It was left untouched.",
        path.display()
    )]
    CorruptJournal {
        path: PathBuf,
        line: usize,
        detail: String,
    },
}

impl StateError {
    /// Whether this is a lock held by someone else (worth waiting for with `--lock-timeout`).
    pub fn is_locked(&self) -> bool {
        matches!(self, StateError::Locked { .. })
    }

    pub(crate) fn io(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> StateError {
        let path = path.to_path_buf();
        move |error| StateError::Io {
            action,
            path,
            error,
        }
    }
}

fn backup_hint(path: &Path, backup: Option<&Path>) -> String {
    match backup {
        Some(backup) => format!(
            "the previous version is in {} (copy it over {} to go back to it)",
            backup.display(),
            path.display()
        ),
        None => "there is no backup".to_string(),
    }
}

fn locked_message(path: &Path, info: Option<&LockInfo>) -> String {
    match info {
        Some(info) if info.is_stale() => format!(
            "the state is locked by {} for `{}` since {}{} (lock {}, id {}), but process {} no \
             longer runs on this host: the lock is stale. If no skelc of yours is still \
             running, release it with `skelc force-unlock {}`.",
            info.who,
            info.operation,
            info.created,
            age_text(info),
            path.display(),
            info.id,
            info.pid,
            info.id
        ),
        Some(info) => format!(
            "the state is locked by {} (pid {} on host {}) for `{}` since {}{} (lock {}, lock \
             id {}). Wait for that run to finish (or pass --lock-timeout). If no skelc is running \
             there, release the lock with `skelc force-unlock {}`.",
            info.who,
            info.pid,
            info.host(),
            info.operation,
            info.created,
            age_text(info),
            path.display(),
            info.id,
            info.id
        ),
        None => format!(
            "the state is locked by another process, whose lock file {} could not be read. Wait \
             for that run to finish.",
            path.display()
        ),
    }
}

fn age_text(info: &LockInfo) -> String {
    match info.age() {
        Some(age) if age.num_seconds() >= 0 => {
            let s = age.num_seconds();
            if s < 120 {
                format!(" ({s} s ago)")
            } else if s < 7200 {
                format!(" ({} min ago)", s / 60)
            } else {
                format!(" ({} h ago)", s / 3600)
            }
        }
        _ => String::new(),
    }
}
