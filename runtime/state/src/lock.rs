//! The state lock: an OS advisory lock on `skel.state.lock` (released by the OS when the holder
//! dies, so a crash never leaves a state locked) plus JSON contents naming the holder, so a
//! second run can say who has it.

use std::fs::{self, File};
use std::io::{Seek, Write};
use std::path::{Path, PathBuf};
use std::thread;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::fsutil::{is_same_file, make_private, private_options, read_optional, sync_dir};
use crate::store::{StateStore, TEMP_PREFIX};
use crate::StateError;

/// The lock file's contents: who holds the lock, and why.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct LockInfo {
    /// A random id; `skelc force-unlock ID` must name it.
    pub id: String,
    /// The command holding it: `apply`, `destroy`, `import`…
    pub operation: String,
    /// `user@host`.
    pub who: String,
    pub pid: u32,
    /// When it was taken, RFC 3339 in UTC.
    pub created: String,
}

impl LockInfo {
    fn new(operation: &str) -> LockInfo {
        LockInfo {
            id: uuid::Uuid::new_v4().to_string(),
            operation: operation.to_string(),
            who: format!("{}@{}", user_name(), host_name()),
            pid: std::process::id(),
            created: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        }
    }

    /// The host part of [`who`](Self::who).
    pub fn host(&self) -> &str {
        self.who
            .rsplit_once('@')
            .map_or(self.who.as_str(), |(_, host)| host)
    }
}

/// A held lock. Dropping it releases the lock and removes the lock file.
#[derive(Debug)]
pub struct LockGuard {
    /// `Some` until drop; the OS lock lives as long as this handle.
    file: Option<File>,
    path: PathBuf,
    dir: PathBuf,
    info: LockInfo,
    taken_over: Option<LockInfo>,
}

impl LockGuard {
    pub fn info(&self) -> &LockInfo {
        &self.info
    }

    pub fn id(&self) -> &str {
        &self.info.id
    }

    /// The store directory this lock is for.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The holder recorded in a lock file left by a process that died without releasing it
    /// (the OS lock was free): worth a note to the user.
    pub fn taken_over(&self) -> Option<&LockInfo> {
        self.taken_over.as_ref()
    }

    /// Release now (same as dropping).
    pub fn release(self) {}
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        if let Some(file) = self.file.take() {
            // Unlink before unlocking: once unlocked, another process may lock this same file,
            // and removing it then would remove its lock. A force-unlock may have replaced the
            // file; never remove someone else's.
            if is_same_file(&file, &self.path) {
                let _ = fs::remove_file(&self.path);
            }
            drop(file);
        }
    }
}

/// Attempts before giving up when the lock file keeps being replaced under us.
const LOCK_ATTEMPTS: usize = 20;

impl StateStore {
    /// Take the lock for `operation`, or fail at once with [`StateError::Locked`] naming the
    /// holder. A lock file whose OS lock is free (its process died) is taken over.
    pub fn lock(&self, operation: &str) -> Result<LockGuard, StateError> {
        let path = self.lock_path();
        for _ in 0..LOCK_ATTEMPTS {
            let file = private_options()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(StateError::io("open the lock file", &path))?;
            match file.try_lock() {
                Ok(()) => {}
                Err(fs::TryLockError::WouldBlock) => {
                    return Err(StateError::Locked {
                        info: read_holder(&path).map(Box::new),
                        path,
                    })
                }
                Err(fs::TryLockError::Error(error)) => {
                    return Err(StateError::Io {
                        action: "lock",
                        path,
                        error,
                    })
                }
            }
            // The holder may have removed the file between our open and our lock: then we
            // locked an orphan, and must start over on the file now at `path`.
            if !is_same_file(&file, &path) {
                continue;
            }
            let taken_over = read_optional(&path)?
                .and_then(|bytes| serde_json::from_slice::<LockInfo>(&bytes).ok());
            let info = LockInfo::new(operation);
            write_info(&file, &info).map_err(StateError::io("write the lock file", &path))?;
            sync_dir(self.dir())?;
            remove_stale_temp_files(self.dir());
            return Ok(LockGuard {
                file: Some(file),
                path,
                dir: self.dir().to_path_buf(),
                info,
                taken_over,
            });
        }
        Err(StateError::Locked {
            info: read_holder(&path).map(Box::new),
            path,
        })
    }

    /// Remove the lock file if its id is `id`, whatever process holds it: for a lock left by a
    /// run that cannot release it. Returns who held it. Refused when the id differs.
    pub fn force_unlock(&self, id: &str) -> Result<LockInfo, StateError> {
        let path = self.lock_path();
        let Some(bytes) = read_optional(&path)? else {
            return Err(StateError::NotLocked { path });
        };
        match serde_json::from_slice::<LockInfo>(&bytes) {
            Ok(info) if info.id == id => {
                fs::remove_file(&path).map_err(StateError::io("remove the lock file", &path))?;
                sync_dir(self.dir())?;
                Ok(info)
            }
            Ok(info) => Err(StateError::LockIdMismatch {
                path,
                given: id.to_string(),
                actual: Some(info.id),
            }),
            Err(_) => Err(StateError::LockIdMismatch {
                path,
                given: id.to_string(),
                actual: None,
            }),
        }
    }
}

fn write_info(mut file: &File, info: &LockInfo) -> std::io::Result<()> {
    make_private(file)?;
    file.set_len(0)?;
    file.rewind()?;
    let text = serde_json::to_string_pretty(info).map_err(std::io::Error::from)?;
    file.write_all(text.as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()
}

/// The holder's info; retried briefly because a holder that just took the lock may not have
/// written it yet.
fn read_holder(path: &Path) -> Option<LockInfo> {
    for _ in 0..10 {
        if let Ok(Some(bytes)) = read_optional(path) {
            if let Ok(info) = serde_json::from_slice(&bytes) {
                return Some(info);
            }
        }
        thread::sleep(Duration::from_millis(20));
    }
    None
}

/// Temp files of writes interrupted by a crash; only the lock holder may remove them.
fn remove_stale_temp_files(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

fn user_name() -> String {
    ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
        .unwrap_or_else(|| "unknown".to_string())
}

fn host_name() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|path| {
            fs::read_to_string(path)
                .ok()
                .map(|text| text.trim().to_string())
                .filter(|text| !text.is_empty())
        })
        .or_else(|| std::env::var("HOSTNAME").ok().filter(|v| !v.is_empty()))
        .unwrap_or_else(|| "unknown-host".to_string())
}
