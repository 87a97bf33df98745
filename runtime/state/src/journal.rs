//! The write-ahead journal: JSON Lines, one fsynced line per event, recording each provider
//! call's intent before it is made and its result after, so a run killed at any moment leaves
//! enough behind to reconcile the state ([`crate::reconcile_plan`]). For a remote state the
//! lines go to objects next to the state instead, one object per durable flush
//! ([`crate::remote::JOURNAL_PREFIX`]), so another machine can recover a killed run.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use skel_plan_ir::{InstanceAddr, State};

use crate::encryption::{Encryption, FileKey};
use crate::fsutil::{make_private, private_options, read_optional, sync_dir};
use crate::lock::LockGuard;
use crate::remote::{Condition, ObjectStore, RemoteError, JOURNAL_PREFIX};
use crate::store::Place;
use crate::{StateError, JOURNAL_FILE};

/// The journal's own format version, in its first line.
pub const JOURNAL_FORMAT_VERSION: u32 = 1;

/// The provider call an intent announces.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JournalAction {
    Create,
    Update,
    Delete,
    /// A data source read (no side effects).
    Read,
}

impl JournalAction {
    pub fn as_str(self) -> &'static str {
        match self {
            JournalAction::Create => "create",
            JournalAction::Update => "update",
            JournalAction::Delete => "delete",
            JournalAction::Read => "read",
        }
    }
}

/// The first line: which run, against which state.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct JournalBegin {
    pub format: u32,
    pub run_id: String,
    pub lineage: String,
    /// The state serial the run started from.
    pub serial: u64,
    pub pid: u32,
    pub created: String,
}

/// Written, and fsynced, before a provider call.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct JournalIntent {
    /// Unique within the run ([`Journal::next_seq`]); pairs the intent with its result.
    pub seq: u64,
    pub addr: InstanceAddr,
    pub action: JournalAction,
    /// The provider configuration, as recorded in state (`aws`, `aws.west`).
    pub provider: String,
    /// The object before the call (`None` for a plain create).
    pub prior: Option<Value>,
    /// The planned new object (`None` for a delete). JSON has no "unknown": values known only
    /// after apply are `null` here and listed in `unknown`.
    pub planned: Option<Value>,
    /// Paths (attribute names and list/set/map positions) of the values in `planned` that were
    /// unknown, so recovery can tell "to be filled in by the provider" from "null".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unknown: Vec<Vec<String>>,
    /// A create's idempotency token, chosen before the call and sent with it (EC2
    /// `ClientToken` and a `skel:token` tag, Route 53 `CallerReference`), so recovery finds
    /// exactly the object that call made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// A create whose object still has creation provisioners to run afterwards: if recovery
    /// finds the object, it enters state tainted (its provisioners may not have run), as a
    /// finished create with pending provisioners would be journaled.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub provisioners: bool,
    /// Create-before-destroy bookkeeping (the state's `deposed` objects). On a create: this is
    /// a replacement whose old object, `prior`, becomes deposed once the new one exists. On a
    /// delete: the object deleted is the deposed `prior`, not the instance's current object.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deposed: bool,
    /// Kept so a recovered object enters state with the right metadata.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sensitive_paths: Vec<Vec<String>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<String>,
}

/// How a provider call ended.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    /// The new object; `None` when it no longer exists (after a delete).
    Ok {
        new_state: Option<Value>,
        /// The object was made but is not complete (it did not become ready, or its creation
        /// provisioners have not all run): recovered into state as tainted, so the next apply
        /// replaces it. A later result line for the same call clears it.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        tainted: bool,
        /// The provider's private data of the new object, base64 (the state's `private`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        private: Option<String>,
    },
    Err {
        message: String,
    },
}

/// Written, and fsynced, after a provider call returns.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct JournalResult {
    pub seq: u64,
    pub addr: InstanceAddr,
    pub outcome: Outcome,
}

/// One journal line.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum JournalEntry {
    Begin(JournalBegin),
    Intent(JournalIntent),
    Result(JournalResult),
    /// The state was written with this serial, including every result above this line.
    Checkpoint {
        serial: u64,
    },
}

/// The journal of the running apply. Shareable between threads (`&self` methods).
#[derive(Debug)]
pub struct Journal {
    sink: Sink,
    /// Lines written so far (counted under the sink's lock, in order).
    written: AtomicU64,
    /// Lines known to be on disk. Group commit: one `fdatasync` covers every line written
    /// before it started, so concurrent operations share syncs instead of queueing for one each.
    synced: Mutex<u64>,
    path: PathBuf,
    dir: PathBuf,
    next_seq: AtomicU64,
    /// Each line is sealed on its own, so a line is still written (and fsynced) whole or torn;
    /// all with the journal's one key (`None`: plain lines).
    encryption: Arc<Encryption>,
    file_key: Option<FileKey>,
}

/// Where the lines go.
#[derive(Debug)]
enum Sink {
    File {
        file: Mutex<File>,
        /// A second handle on the same open file, so syncing does not hold up writers.
        sync_handle: File,
    },
    /// Lines buffered until the next durable append, which writes them as one new object.
    Remote {
        objects: Arc<dyn ObjectStore>,
        /// `.journal/RUN/`.
        prefix: String,
        buffer: Mutex<Vec<u8>>,
        /// The next object's number (under the `synced` lock).
        chunk: AtomicU64,
    },
}

impl Journal {
    /// Start the journal of a run against `state` (as read under `lock`). Refused with
    /// [`StateError::JournalPending`] while an earlier run's journal exists: recover it first.
    pub fn begin(lock: &LockGuard, run_id: &str, state: &State) -> Result<Journal, StateError> {
        Journal::begin_with(lock, run_id, state, Arc::new(Encryption::none("state")))
    }

    /// [`Journal::begin`], each line sealed with `encryption` (the state's).
    pub fn begin_with(
        lock: &LockGuard,
        run_id: &str,
        state: &State,
        encryption: Arc<Encryption>,
    ) -> Result<Journal, StateError> {
        let dir = lock.dir().to_path_buf();
        let path = match lock.place() {
            Place::Remote(remote) => PathBuf::from(remote.objects.url(JOURNAL_PREFIX)),
            Place::Local(_) => dir.join(JOURNAL_FILE),
        };
        // The key first: a journal is never begun that could not be written.
        let file_key = encryption.file_key().map_err(|error| StateError::Encrypt {
            path: path.clone(),
            error,
        })?;
        let sink = match lock.place() {
            Place::Remote(remote) => {
                let objects = remote.objects.clone();
                let existing = objects
                    .list(JOURNAL_PREFIX)
                    .map_err(remote_failed("list the journal", &path))?;
                if !existing.is_empty() {
                    return Err(StateError::JournalPending { path });
                }
                Sink::Remote {
                    objects,
                    prefix: format!("{JOURNAL_PREFIX}{run_id}/"),
                    buffer: Mutex::new(Vec::new()),
                    chunk: AtomicU64::new(1),
                }
            }
            Place::Local(_) => {
                let file = match private_options().append(true).create_new(true).open(&path) {
                    Ok(file) => file,
                    Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
                        return Err(StateError::JournalPending { path })
                    }
                    Err(error) => {
                        return Err(StateError::Io {
                            action: "create the journal",
                            path,
                            error,
                        })
                    }
                };
                make_private(&file).map_err(StateError::io("create the journal", &path))?;
                sync_dir(&dir)?;
                let sync_handle = file
                    .try_clone()
                    .map_err(StateError::io("open the journal", &path))?;
                Sink::File {
                    file: Mutex::new(file),
                    sync_handle,
                }
            }
        };
        let journal = Journal {
            sink,
            written: AtomicU64::new(0),
            synced: Mutex::new(0),
            path,
            dir,
            next_seq: AtomicU64::new(1),
            file_key,
            encryption,
        };
        journal.append(&begin_entry(run_id, state), true)?;
        Ok(journal)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A fresh sequence number for the next intent.
    pub fn next_seq(&self) -> u64 {
        self.next_seq.fetch_add(1, Ordering::Relaxed)
    }

    /// Record, durably, that a provider call is about to be made. Call it before the call and
    /// do not make the call if this fails.
    pub fn intent(&self, intent: &JournalIntent) -> Result<(), StateError> {
        self.append(&JournalEntry::Intent(intent.clone()), true)
    }

    /// Record an intent without waiting for the disk: for objects that exist only in state
    /// (`null_resource`, `random_*`), where losing the line loses nothing outside skel.
    pub fn intent_volatile(&self, intent: &JournalIntent) -> Result<(), StateError> {
        self.append(&JournalEntry::Intent(intent.clone()), false)
    }

    /// Record how a provider call ended. Not synced on its own: the next sync (an intent's or a
    /// checkpoint's) covers it, and a result lost in a crash only makes its intent in doubt,
    /// which recovery resolves by reading the object back.
    pub fn result(&self, result: &JournalResult) -> Result<(), StateError> {
        self.append(&JournalEntry::Result(result.clone()), false)
    }

    /// Record that the state was written with `serial` and holds every result recorded so far.
    pub fn checkpoint(&self, serial: u64) -> Result<(), StateError> {
        self.append(&JournalEntry::Checkpoint { serial }, true)
    }

    /// The run is over and its final state written: remove the journal.
    pub fn commit(self) -> Result<(), StateError> {
        if let Sink::Remote { objects, .. } = &self.sink {
            return remove_remote(objects.as_ref(), &self.path);
        }
        fs::remove_file(&self.path).map_err(StateError::io("remove the journal", &self.path))?;
        sync_dir(&self.dir)
    }

    /// Remove an earlier run's journal once its recovery has been written to state.
    pub fn discard(lock: &LockGuard) -> Result<(), StateError> {
        if let Place::Remote(remote) = lock.place() {
            let path = PathBuf::from(remote.objects.url(JOURNAL_PREFIX));
            return remove_remote(remote.objects.as_ref(), &path);
        }
        let path = lock.dir().join(JOURNAL_FILE);
        match fs::remove_file(&path) {
            Ok(()) => sync_dir(lock.dir()),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(error) => Err(StateError::Io {
                action: "remove the journal",
                path,
                error,
            }),
        }
    }

    /// The journal an earlier run left in `dir`, or `None`. A torn last line (the process died
    /// while writing it) is ignored; any other unreadable line is [`StateError::CorruptJournal`].
    pub fn pending(dir: &Path) -> Result<Option<PendingJournal>, StateError> {
        Journal::pending_with(dir, &Encryption::none("state"))
    }

    /// The pending journal of the store at `place` (see [`Journal::pending_with`]).
    pub(crate) fn pending_in(
        place: &Place,
        encryption: &Encryption,
    ) -> Result<Option<PendingJournal>, StateError> {
        let Place::Remote(remote) = place else {
            return Journal::pending_with(place.path(), encryption);
        };
        let objects = &remote.objects;
        let path = PathBuf::from(objects.url(JOURNAL_PREFIX));
        let names = objects
            .list(JOURNAL_PREFIX)
            .map_err(remote_failed("list the journal", &path))?;
        if names.is_empty() {
            return Ok(None);
        }
        // One run's objects, in order (numbers are zero-padded). A crash while a journal was
        // being removed leaves a prefix of it (removal goes from the last object back).
        let mut bytes = Vec::new();
        for name in &names {
            if let Some(object) = objects
                .get(name)
                .map_err(remote_failed("read the journal", &path))?
            {
                bytes.extend_from_slice(&object.bytes);
            }
        }
        parse_journal(path, &bytes, encryption).map(Some)
    }

    /// [`Journal::pending`] for a journal whose lines may be sealed with `encryption`.
    pub fn pending_with(
        dir: &Path,
        encryption: &Encryption,
    ) -> Result<Option<PendingJournal>, StateError> {
        let path = dir.join(JOURNAL_FILE);
        let Some(bytes) = read_optional(&path)? else {
            return Ok(None);
        };
        parse_journal(path, &bytes, encryption).map(Some)
    }

    fn append(&self, entry: &JournalEntry, durable: bool) -> Result<(), StateError> {
        let line = serde_json::to_vec(entry).map_err(|error| StateError::Io {
            action: "serialize a journal entry for",
            path: self.path.clone(),
            error: error.into(),
        })?;
        let mut line = if self.encryption.encrypts() {
            self.encryption
                .seal_with(self.file_key.as_ref(), &line)
                .map_err(|error| StateError::Encrypt {
                    path: self.path.clone(),
                    error,
                })?
        } else {
            line
        };
        line.push(b'\n');
        let mine = match &self.sink {
            Sink::File { file, .. } => {
                let mut file = file.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                file.write_all(&line)
                    .map_err(StateError::io("write the journal", &self.path))?;
                self.written.fetch_add(1, Ordering::SeqCst) + 1
            }
            Sink::Remote { buffer, .. } => {
                let mut buffer = buffer
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                buffer.extend_from_slice(&line);
                self.written.fetch_add(1, Ordering::SeqCst) + 1
            }
        };
        if !durable {
            return Ok(());
        }
        // The line is durable before this returns: either a sync that started after it was
        // written already covered it, or this call syncs.
        let mut synced = self
            .synced
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if *synced >= mine {
            return Ok(());
        }
        let upto = self.written.load(Ordering::SeqCst);
        match &self.sink {
            Sink::File { sync_handle, .. } => sync_handle
                .sync_data()
                .map_err(StateError::io("write the journal", &self.path))?,
            Sink::Remote {
                objects,
                prefix,
                buffer,
                chunk,
            } => {
                let lines = std::mem::take(
                    &mut *buffer
                        .lock()
                        .unwrap_or_else(|poisoned| poisoned.into_inner()),
                );
                let name = format!("{prefix}{:010}", chunk.fetch_add(1, Ordering::SeqCst));
                if let Err(error) = objects.put(&name, lines.clone(), Condition::Absent) {
                    // Not written: keep the lines for the next flush, in order.
                    let mut buffer = buffer
                        .lock()
                        .unwrap_or_else(|poisoned| poisoned.into_inner());
                    let later = std::mem::replace(&mut *buffer, lines);
                    buffer.extend_from_slice(&later);
                    return Err(remote_failed("write the journal", &self.path)(error));
                }
            }
        }
        *synced = upto;
        Ok(())
    }
}

fn begin_entry(run_id: &str, state: &State) -> JournalEntry {
    JournalEntry::Begin(JournalBegin {
        format: JOURNAL_FORMAT_VERSION,
        run_id: run_id.to_string(),
        lineage: state.lineage.clone(),
        serial: state.serial,
        pid: std::process::id(),
        created: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    })
}

fn remote_failed(action: &'static str, path: &Path) -> impl FnOnce(RemoteError) -> StateError {
    let url = path.display().to_string();
    move |error| StateError::Remote {
        action,
        url,
        detail: error.to_string(),
    }
}

/// Remove every journal object, the last first, so an interrupted removal leaves a prefix.
fn remove_remote(objects: &dyn ObjectStore, path: &Path) -> Result<(), StateError> {
    let names = objects
        .list(JOURNAL_PREFIX)
        .map_err(remote_failed("list the journal", path))?;
    for name in names.iter().rev() {
        objects
            .delete(name, Condition::Any)
            .map_err(remote_failed("remove the journal", path))?;
    }
    Ok(())
}

/// An earlier run's journal, as far as it was written.
#[derive(Clone, PartialEq, Debug)]
pub struct PendingJournal {
    pub path: PathBuf,
    /// `None` when the run died before its first line was complete.
    pub begin: Option<JournalBegin>,
    /// Every complete entry, in file order.
    pub entries: Vec<JournalEntry>,
    /// Whether an incomplete last line was ignored.
    pub torn_tail: bool,
}

impl PendingJournal {
    pub fn intents(&self) -> impl Iterator<Item = &JournalIntent> {
        self.entries.iter().filter_map(|entry| match entry {
            JournalEntry::Intent(intent) => Some(intent),
            _ => None,
        })
    }

    pub fn results(&self) -> impl Iterator<Item = &JournalResult> {
        self.entries.iter().filter_map(|entry| match entry {
            JournalEntry::Result(result) => Some(result),
            _ => None,
        })
    }

    /// Intents with no result: the call may or may not have happened.
    pub fn in_doubt(&self) -> Vec<&JournalIntent> {
        let done: std::collections::BTreeSet<u64> = self.results().map(|r| r.seq).collect();
        self.intents()
            .filter(|intent| !done.contains(&intent.seq))
            .collect()
    }

    /// The serial of the last state write the run recorded.
    pub fn last_checkpoint(&self) -> Option<u64> {
        self.entries.iter().rev().find_map(|entry| match entry {
            JournalEntry::Checkpoint { serial } => Some(*serial),
            _ => None,
        })
    }

    /// No provider call was ever announced: nothing to recover, just discard it.
    pub fn is_empty(&self) -> bool {
        self.intents().next().is_none()
    }
}

fn parse_journal(
    path: PathBuf,
    bytes: &[u8],
    encryption: &Encryption,
) -> Result<PendingJournal, StateError> {
    let lines: Vec<(usize, &[u8])> = bytes
        .split(|b| *b == b'\n')
        .enumerate()
        .filter(|(_, line)| line.iter().any(|b| !b.is_ascii_whitespace() && *b != 0))
        .collect();
    let mut entries = Vec::new();
    let mut torn_tail = false;
    for (index, (line_idx, line)) in lines.iter().enumerate() {
        // A line that is whole JSON goes through the encryption (which opens a sealed line, and
        // refuses a plain one where only sealed lines are allowed); a torn line is not whole
        // JSON, sealed or not, and is handled below as before.
        let opened;
        let line: &[u8] = if serde_json::from_slice::<serde::de::IgnoredAny>(line).is_ok() {
            opened = encryption.open(line).map_err(|error| StateError::Decrypt {
                path: path.clone(),
                line: Some(line_idx + 1),
                error,
            })?;
            &opened
        } else {
            line
        };
        match serde_json::from_slice::<JournalEntry>(line) {
            Ok(entry) => entries.push(entry),
            // Each line is fsynced before the next is written, so only the last can be torn.
            Err(_) if index + 1 == lines.len() => torn_tail = true,
            Err(error) => {
                return Err(StateError::CorruptJournal {
                    path,
                    line: line_idx + 1,
                    detail: error.to_string(),
                })
            }
        }
    }
    let begin = match entries.first() {
        Some(JournalEntry::Begin(begin)) => Some(begin.clone()),
        _ => None,
    };
    Ok(PendingJournal {
        path,
        begin,
        entries,
        torn_tail,
    })
}
