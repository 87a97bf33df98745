//! The state file: reading (with version checks and upgrades) and the atomic write procedure
//! (temp file, fsync, backup, rename, directory fsync); or, for a remote state, the state
//! object read once and written as a compare-and-swap on its ETag.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::Deserialize;
use serde_json::Value;
use skel_plan_ir::{State, STATE_FORMAT_VERSION};

use crate::encryption::{is_envelope, Encryption};
use crate::fsutil::{read_optional, sync_dir, write_new_file, write_new_file_with};
use crate::journal::{Journal, PendingJournal};
use crate::lock::LockGuard;
use crate::remote::{Condition, ObjectStore, RemoteError, STATE_OBJECT};
use crate::{StateError, BACKUP_FILE, JOURNAL_FILE, LOCK_FILE, STATE_FILE};

/// Prefix of the temp files a write creates next to the state; a crash can leave one behind,
/// and the next lock holder removes it.
pub(crate) const TEMP_PREFIX: &str = "skel.state.json.tmp-";

/// Upgrade steps: `(from, step)` turns a state of format version `from` into `from + 1`.
/// Version 1 is the first format, so there are none yet; add one per new version (and a
/// variant of [`UpgradeError`] for what a step can find wrong).
type UpgradeStep = fn(Value) -> Result<Value, UpgradeError>;

/// Why a state file's format cannot be upgraded to the current one (the detail of
/// `StateError::Corrupt`).
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
enum UpgradeError {
    /// A version no upgrade starts from (below the first).
    #[error("format version {version} is unknown (the first is 1)")]
    UnknownVersion { version: u64 },
}
const UPGRADES: &[(u64, UpgradeStep)] = &[];

/// The state of one directory (`skel.state.json` and its backup, lock and journal), or of one
/// remote state (its object, lock object and journal objects).
#[derive(Clone, Debug)]
pub struct StateStore {
    place: Place,
    /// How the state, its backup and the journal are written and read.
    encryption: Arc<Encryption>,
}

/// Where a store's files or objects are.
#[derive(Clone, Debug)]
pub(crate) enum Place {
    /// A directory (canonical).
    Local(PathBuf),
    Remote(Arc<Remote>),
}

impl Place {
    /// The directory, or for a remote state its URL as a path (for messages and identity).
    pub(crate) fn path(&self) -> &Path {
        match self {
            Place::Local(dir) => dir,
            Place::Remote(remote) => &remote.url,
        }
    }
}

/// A remote state: its objects, and what this process last saw of the state object.
#[derive(Debug)]
pub(crate) struct Remote {
    pub(crate) objects: Arc<dyn ObjectStore>,
    url: PathBuf,
    seen: Mutex<Option<Seen>>,
}

/// The state object as last read or written by this process: the next write is conditioned
/// on it, so a write by anyone else in between is detected, never overwritten.
#[derive(Clone, Debug)]
struct Seen {
    /// `None`: the object did not exist.
    etag: Option<String>,
    serial: u64,
    lineage: Option<String>,
    /// Whether it is in the form the configured encryption writes.
    current_form: bool,
}

impl Remote {
    fn failed(&self, action: &'static str) -> impl FnOnce(RemoteError) -> StateError + '_ {
        move |error| StateError::Remote {
            action,
            url: self.url.display().to_string(),
            detail: error.to_string(),
        }
    }

    fn seen(&self) -> Option<Seen> {
        self.seen.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn set_seen(&self, seen: Option<Seen>) {
        *self.seen.lock().unwrap_or_else(|p| p.into_inner()) = seen;
    }
}

impl StateStore {
    /// The store in `dir`, which is created if missing. Nothing is read or locked yet.
    pub fn open(dir: &Path) -> Result<StateStore, StateError> {
        fs::create_dir_all(dir).map_err(StateError::io("create the directory", dir))?;
        let dir = fs::canonicalize(dir).map_err(StateError::io("open the directory", dir))?;
        Ok(StateStore {
            place: Place::Local(dir),
            encryption: Arc::new(Encryption::none("state")),
        })
    }

    /// The store of a remote state kept in `objects` (`docs/backends.md`). Nothing is read or
    /// locked yet.
    pub fn open_remote(objects: Arc<dyn ObjectStore>) -> StateStore {
        let url = PathBuf::from(objects.url(STATE_OBJECT));
        StateStore {
            place: Place::Remote(Arc::new(Remote {
                objects,
                url,
                seen: Mutex::new(None),
            })),
            encryption: Arc::new(Encryption::none("state")),
        }
    }

    pub(crate) fn place(&self) -> &Place {
        &self.place
    }

    /// Whether the state lives in a remote backend.
    pub fn is_remote(&self) -> bool {
        matches!(self.place, Place::Remote(_))
    }

    /// Where the state is, for messages: the state file's path or the state object's URL.
    pub fn location(&self) -> PathBuf {
        match &self.place {
            Place::Local(dir) => dir.join(STATE_FILE),
            Place::Remote(remote) => remote.url.clone(),
        }
    }

    /// Whether a state has been written here (the file or object exists).
    pub fn exists(&self) -> Result<bool, StateError> {
        match &self.place {
            Place::Local(dir) => Ok(dir.join(STATE_FILE).exists()),
            Place::Remote(remote) => {
                if let Some(seen) = remote.seen() {
                    return Ok(seen.etag.is_some());
                }
                Ok(remote
                    .objects
                    .get(STATE_OBJECT)
                    .map_err(remote.failed("read the state from"))?
                    .is_some())
            }
        }
    }

    /// The same store, reading and writing the state, its backup and the journal with
    /// `encryption` (`docs/state-format.md`, "Encryption").
    pub fn with_encryption(mut self, encryption: Encryption) -> StateStore {
        self.encryption = Arc::new(encryption);
        self
    }

    pub fn encryption(&self) -> &Arc<Encryption> {
        &self.encryption
    }

    /// The plaintext of a file of this store.
    fn decode(&self, path: &Path, bytes: Vec<u8>) -> Result<Vec<u8>, StateError> {
        self.encryption
            .open(&bytes)
            .map_err(|error| StateError::Decrypt {
                path: path.to_path_buf(),
                line: None,
                error,
            })
    }

    /// The store's directory; for a remote state, its URL as a path.
    pub fn dir(&self) -> &Path {
        self.place.path()
    }

    pub fn state_path(&self) -> PathBuf {
        self.dir().join(STATE_FILE)
    }

    pub fn backup_path(&self) -> PathBuf {
        self.dir().join(BACKUP_FILE)
    }

    pub fn lock_path(&self) -> PathBuf {
        self.dir().join(LOCK_FILE)
    }

    pub fn journal_path(&self) -> PathBuf {
        self.dir().join(JOURNAL_FILE)
    }

    /// The current state. A missing file gives a new empty state (fresh lineage, serial 0, or
    /// the lineage of an unfinished journal) that is not written until the first
    /// [`write`](Self::write). An older format is upgraded in
    /// memory; a newer one, or a corrupt file, is an error and the file is left untouched.
    pub fn read(&self) -> Result<State, StateError> {
        if let Place::Remote(remote) = &self.place {
            return self.read_remote(remote);
        }
        let path = self.state_path();
        match read_optional(&path)? {
            Some(bytes) => {
                let bytes = self.decode(&path, bytes)?;
                parse_state(&path, &bytes, self.existing_backup())
            }
            None => Ok(self.new_state()),
        }
    }

    /// The state before its first write. If a run crashed before that write, its journal names
    /// the lineage the run used, and recovery must continue that lineage.
    fn new_state(&self) -> State {
        let begun = Journal::pending_in(&self.place, &self.encryption)
            .ok()
            .flatten()
            .and_then(|pending| pending.begin);
        match begun {
            Some(begin) => {
                let mut state = State::new(begin.lineage);
                state.serial = begin.serial;
                state
            }
            None => State::new(uuid::Uuid::new_v4().to_string()),
        }
    }

    /// Whether the state file exists in another form than the configured encryption writes
    /// (plain where it is sealed, sealed with a fallback's key, sealed where it is plain): the
    /// next write migrates it.
    pub fn needs_rewrite(&self) -> Result<bool, StateError> {
        if let Place::Remote(remote) = &self.place {
            if remote.seen().is_none() {
                self.read_remote(remote)?;
            }
            return Ok(remote.seen().is_some_and(|seen| !seen.current_form));
        }
        Ok(read_optional(&self.state_path())?
            .is_some_and(|bytes| !self.encryption.is_current(&bytes)))
    }

    /// The backup (the state before the last write), if there is one.
    pub fn read_backup(&self) -> Result<Option<State>, StateError> {
        if self.is_remote() {
            // A remote state keeps no backup object: the bucket's versioning does that.
            return Ok(None);
        }
        let path = self.backup_path();
        match read_optional(&path)? {
            Some(bytes) => {
                let bytes = self.decode(&path, bytes)?;
                parse_state(&path, &bytes, None).map(Some)
            }
            None => Ok(None),
        }
    }

    /// Write `state` atomically, keeping the previous file as the backup, and return the new
    /// serial (also stored in `state.serial`; `state.version` becomes the current version).
    ///
    /// Refused, with nothing written, when `lock` is not this store's lock, when the file on disk
    /// is unreadable, corrupt or newer, belongs to another lineage, or has a serial other than
    /// `state.serial` (someone else wrote it since it was read).
    pub fn write(&self, lock: &LockGuard, state: &mut State) -> Result<u64, StateError> {
        let serial = self.write_snapshot(lock, state, state.serial)?;
        state.serial = serial;
        state.version = STATE_FORMAT_VERSION;
        Ok(serial)
    }

    /// Write `state` as the successor of the file on disk, which must have serial
    /// `on_disk_serial` (the serial in `state` itself is ignored), without changing `state`:
    /// the engine's checkpoints write the state they are working on as it is, with no copy.
    /// Returns the serial written.
    pub fn write_snapshot(
        &self,
        lock: &LockGuard,
        state: &State,
        on_disk_serial: u64,
    ) -> Result<u64, StateError> {
        self.check_lock(lock)?;
        if let Place::Remote(remote) = &self.place {
            return self.write_remote(remote, state, on_disk_serial);
        }
        let path = self.state_path();
        let current = read_optional(&path)?;
        let plain_current = match &current {
            Some(bytes) => Some(self.decode(&path, bytes.clone())?),
            None => None,
        };
        let serial = match &plain_current {
            Some(bytes) => {
                let header = parse_header(&path, bytes, self.existing_backup())?;
                if header.lineage != state.lineage {
                    return Err(StateError::LineageMismatch {
                        path,
                        expected: state.lineage.clone(),
                        found: header.lineage,
                    });
                }
                if header.serial != on_disk_serial {
                    return Err(StateError::StaleWrite {
                        path,
                        expected: on_disk_serial,
                        found: header.serial,
                    });
                }
                header.serial + 1
            }
            None => on_disk_serial + 1,
        };

        let temp = self.temp_path();
        if self.encryption.encrypts() {
            let mut plaintext = Vec::new();
            render(&mut plaintext, state, serial)
                .map_err(StateError::io("render the state for", &path))?;
            let sealed = self.seal(&path, &plaintext)?;
            write_new_file(&temp, &sealed)?;
        } else {
            write_new_file_with(&temp, |w| render(w, state, serial))?;
        }
        // The backup is kept in the form the state is now written in: sealed when encrypting
        // (a plain state being migrated is never left in the clear beside the encrypted one),
        // plain when migrating back.
        let previous = match (&current, &plain_current) {
            (Some(bytes), Some(plain)) => Some(if !self.encryption.encrypts() {
                plain.clone()
            } else if is_envelope(bytes) {
                bytes.clone()
            } else {
                match self.seal(&path, plain) {
                    Ok(sealed) => sealed,
                    Err(error) => {
                        let _ = fs::remove_file(&temp);
                        return Err(error);
                    }
                }
            }),
            _ => None,
        };
        let finish = || -> Result<(), StateError> {
            if let Some(previous) = &previous {
                // Copy, not rename: the state file must exist at every moment, or a crash
                // here would make the next run start from an empty state.
                let backup_temp = self.temp_path();
                write_new_file(&backup_temp, previous)?;
                let backup = self.backup_path();
                fs::rename(&backup_temp, &backup).map_err(|error| {
                    let _ = fs::remove_file(&backup_temp);
                    StateError::Io {
                        action: "replace the backup",
                        path: backup,
                        error,
                    }
                })?;
            }
            fs::rename(&temp, &path).map_err(StateError::io("replace the state file", &path))?;
            sync_dir(self.dir())
        };
        if let Err(error) = finish() {
            let _ = fs::remove_file(&temp);
            return Err(error);
        }
        Ok(serial)
    }

    /// Remove the state (and its backup) under `lock`: for deleting a workspace, or replacing a
    /// stale copy when a state is migrated. Refused while a journal is pending. A remote state
    /// is deleted only if it is still the version this process last read.
    pub fn remove(&self, lock: &LockGuard) -> Result<(), StateError> {
        self.check_lock(lock)?;
        if let Some(pending) = self.pending_journal()? {
            return Err(StateError::JournalPending { path: pending.path });
        }
        match &self.place {
            Place::Local(dir) => {
                for path in [dir.join(STATE_FILE), dir.join(BACKUP_FILE)] {
                    match fs::remove_file(&path) {
                        Ok(()) => {}
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                        Err(error) => {
                            return Err(StateError::Io {
                                action: "remove",
                                path,
                                error,
                            })
                        }
                    }
                }
                sync_dir(dir)
            }
            Place::Remote(remote) => {
                if remote.seen().is_none() {
                    self.read_remote(remote)?;
                }
                let seen = remote.seen().expect("read_remote records what it saw");
                let Some(etag) = seen.etag else {
                    return Ok(());
                };
                match remote
                    .objects
                    .delete(STATE_OBJECT, Condition::Matches(etag))
                {
                    Ok(()) => {
                        remote.set_seen(Some(Seen {
                            etag: None,
                            serial: 0,
                            lineage: None,
                            current_form: true,
                        }));
                        Ok(())
                    }
                    Err(RemoteError::PreconditionFailed) => {
                        remote.set_seen(None);
                        Err(StateError::ConcurrentWrite {
                            url: remote.url.display().to_string(),
                            expected: seen.serial,
                            found: self.read_remote(remote).map(|s| s.serial).unwrap_or(0),
                        })
                    }
                    Err(error) => {
                        remote.set_seen(None);
                        Err(remote.failed("remove the state")(error))
                    }
                }
            }
        }
    }

    /// The unfinished journal of an earlier run, if any (see [`Journal::pending`]).
    pub fn pending_journal(&self) -> Result<Option<PendingJournal>, StateError> {
        Journal::pending_in(&self.place, &self.encryption)
    }

    /// Start a run's journal, written with this store's encryption (see [`Journal::begin`]).
    pub fn begin_journal(
        &self,
        lock: &LockGuard,
        run_id: &str,
        state: &State,
    ) -> Result<Journal, StateError> {
        self.check_lock(lock)?;
        Journal::begin_with(lock, run_id, state, self.encryption.clone())
    }

    /// `plaintext` sealed for a file of this store (with a trailing newline).
    fn seal(&self, path: &Path, plaintext: &[u8]) -> Result<Vec<u8>, StateError> {
        let mut sealed = self
            .encryption
            .seal(plaintext)
            .map_err(|error| StateError::Encrypt {
                path: path.to_path_buf(),
                error,
            })?;
        sealed.push(b'\n');
        Ok(sealed)
    }

    pub(crate) fn check_lock(&self, lock: &LockGuard) -> Result<(), StateError> {
        if !lock.is_held() {
            return Err(StateError::ReadOnly {
                path: self.location(),
            });
        }
        if lock.dir() == self.dir() {
            Ok(())
        } else {
            Err(StateError::WrongLock {
                lock_dir: lock.dir().to_path_buf(),
                state_dir: self.dir().to_path_buf(),
            })
        }
    }

    /// [`read`](Self::read) of a remote state: one GET, remembered for the next write.
    fn read_remote(&self, remote: &Remote) -> Result<State, StateError> {
        let object = remote
            .objects
            .get(STATE_OBJECT)
            .map_err(remote.failed("read the state from"))?;
        let Some(object) = object else {
            remote.set_seen(Some(Seen {
                etag: None,
                serial: 0,
                lineage: None,
                current_form: true,
            }));
            return Ok(self.new_state());
        };
        let current_form = self.encryption.is_current(&object.bytes);
        let bytes = self.decode(&remote.url, object.bytes)?;
        let state = parse_state(&remote.url, &bytes, None)?;
        remote.set_seen(Some(Seen {
            etag: Some(object.etag),
            serial: state.serial,
            lineage: Some(state.lineage.clone()),
            current_form,
        }));
        Ok(state)
    }

    /// [`write_snapshot`](Self::write_snapshot) of a remote state: a PUT conditioned on the
    /// ETag this process last read or wrote, so a state written by anyone else since (even a
    /// client that ignored the lock) is never overwritten.
    fn write_remote(
        &self,
        remote: &Remote,
        state: &State,
        on_disk_serial: u64,
    ) -> Result<u64, StateError> {
        if remote.seen().is_none() {
            self.read_remote(remote)?;
        }
        let seen = remote.seen().expect("read_remote records what it saw");
        if let Some(lineage) = &seen.lineage {
            if *lineage != state.lineage {
                return Err(StateError::LineageMismatch {
                    path: remote.url.clone(),
                    expected: state.lineage.clone(),
                    found: lineage.clone(),
                });
            }
        }
        if seen.etag.is_some() && seen.serial != on_disk_serial {
            return Err(StateError::StaleWrite {
                path: remote.url.clone(),
                expected: on_disk_serial,
                found: seen.serial,
            });
        }
        let serial = if seen.etag.is_some() {
            seen.serial + 1
        } else {
            on_disk_serial + 1
        };
        let mut plaintext = Vec::new();
        render(&mut plaintext, state, serial)
            .map_err(StateError::io("render the state for", &remote.url))?;
        let bytes = if self.encryption.encrypts() {
            self.seal(&remote.url, &plaintext)?
        } else {
            plaintext
        };
        let condition = match &seen.etag {
            Some(etag) => Condition::Matches(etag.clone()),
            None => Condition::Absent,
        };
        match remote.objects.put(STATE_OBJECT, bytes, condition) {
            Ok(etag) => {
                remote.set_seen(Some(Seen {
                    etag: Some(etag),
                    serial,
                    lineage: Some(state.lineage.clone()),
                    current_form: true,
                }));
                Ok(serial)
            }
            Err(RemoteError::PreconditionFailed) => {
                // Someone else wrote it: say which serial is there now, and forget what we
                // saw so nothing is written on top of it.
                remote.set_seen(None);
                let found = self.read_remote(remote).map(|s| s.serial).unwrap_or(0);
                remote.set_seen(None);
                Err(StateError::ConcurrentWrite {
                    url: remote.url.display().to_string(),
                    expected: seen.serial,
                    found,
                })
            }
            Err(error) => {
                // The write may or may not have happened: forget the ETag, so the next write
                // re-reads and refuses rather than guesses.
                remote.set_seen(None);
                Err(remote.failed("write the state to")(error))
            }
        }
    }

    fn existing_backup(&self) -> Option<PathBuf> {
        if self.is_remote() {
            return None;
        }
        let backup = self.backup_path();
        backup.exists().then_some(backup)
    }

    fn temp_path(&self) -> PathBuf {
        self.dir()
            .join(format!("{TEMP_PREFIX}{}", uuid::Uuid::new_v4().simple()))
    }
}

/// A state document (`skelc state pull`'s output, a state file) read as [`StateStore::read`]
/// reads one: version checks and upgrades; `path` names it in errors.
pub fn parse_document(path: &Path, bytes: &[u8]) -> Result<State, StateError> {
    parse_state(path, bytes, None)
}

/// `state` as the store writes it (plain JSON), with its own serial.
pub fn render_document(state: &State) -> Vec<u8> {
    let mut out = Vec::new();
    render(&mut out, state, state.serial).expect("writing to a Vec cannot fail");
    out
}

/// Parse a state file's bytes: syntax, then the version, then upgrades, then the model.
fn parse_state(path: &Path, bytes: &[u8], backup: Option<PathBuf>) -> Result<State, StateError> {
    let corrupt = |detail: String| StateError::Corrupt {
        path: path.to_path_buf(),
        detail,
        backup: backup.clone(),
    };
    // The common case, a state in the current format, is read straight into the model: at
    // 50,000 resources an intermediate `Value` tree costs a second parse's time and memory.
    // The header a write checks says which; anything odd in it takes the general path below,
    // which reports it.
    if let Ok(Header {
        version: Some(version),
        ..
    }) = serde_json::from_slice::<Header>(bytes)
    {
        if version == u64::from(STATE_FORMAT_VERSION) {
            return serde_json::from_slice(bytes)
                .map_err(|error| corrupt(format!("it is not a valid state ({error})")));
        }
    }
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|error| corrupt(format!("it is not valid JSON ({error})")))?;
    let version = value
        .get("version")
        .and_then(Value::as_u64)
        .ok_or_else(|| corrupt("it has no numeric format `version`".to_string()))?;
    check_version(path, version)?;
    let value = upgrade(value, version).map_err(|e| corrupt(e.to_string()))?;
    serde_json::from_value(value)
        .map_err(|error| corrupt(format!("it is not a valid state ({error})")))
}

fn check_version(path: &Path, version: u64) -> Result<(), StateError> {
    if version > u64::from(STATE_FORMAT_VERSION) {
        return Err(StateError::NewerVersion {
            path: path.to_path_buf(),
            found: version,
            supported: STATE_FORMAT_VERSION,
        });
    }
    Ok(())
}

fn upgrade(mut value: Value, from: u64) -> Result<Value, UpgradeError> {
    let mut version = from;
    while version < u64::from(STATE_FORMAT_VERSION) {
        let (_, step) = UPGRADES
            .iter()
            .find(|(step_from, _)| *step_from == version)
            .ok_or(UpgradeError::UnknownVersion { version })?;
        value = step(value)?;
        version += 1;
    }
    if let Some(object) = value.as_object_mut() {
        object.insert("version".into(), Value::from(STATE_FORMAT_VERSION));
    }
    Ok(value)
}

/// What a write checks of the file it replaces; the rest is validated but not kept.
#[derive(Deserialize)]
struct Header {
    version: Option<u64>,
    serial: Option<u64>,
    lineage: Option<String>,
}

struct CheckedHeader {
    serial: u64,
    lineage: String,
}

fn parse_header(
    path: &Path,
    bytes: &[u8],
    backup: Option<PathBuf>,
) -> Result<CheckedHeader, StateError> {
    let corrupt = |detail: String| StateError::Corrupt {
        path: path.to_path_buf(),
        detail,
        backup: backup.clone(),
    };
    let header: Header = serde_json::from_slice(bytes)
        .map_err(|error| corrupt(format!("it is not a valid state ({error})")))?;
    let version = header
        .version
        .ok_or_else(|| corrupt("it has no numeric format `version`".to_string()))?;
    check_version(path, version)?;
    match (header.serial, header.lineage) {
        (Some(serial), Some(lineage)) => Ok(CheckedHeader { serial, lineage }),
        _ => Err(corrupt("it has no `serial` or no `lineage`".to_string())),
    }
}

/// Pretty JSON with attribute and output objects' keys sorted, so equal states give equal
/// files and diffs stay small; a trailing newline.
/// The state document, streamed: the current format version and `serial` in place of the
/// state's own, attribute objects with sorted keys (see `skel_plan_ir::State`), pretty-printed
/// with a final newline.
fn render(out: &mut dyn std::io::Write, state: &State, serial: u64) -> std::io::Result<()> {
    #[derive(serde::Serialize)]
    struct Document<'a> {
        version: u32,
        serial: u64,
        lineage: &'a str,
        resources: &'a std::collections::BTreeMap<
            skel_plan_ir::InstanceAddr,
            skel_plan_ir::ResourceInstanceState,
        >,
        outputs: &'a std::collections::BTreeMap<String, skel_plan_ir::OutputState>,
    }
    let document = Document {
        version: STATE_FORMAT_VERSION,
        serial,
        lineage: &state.lineage,
        resources: &state.resources,
        outputs: &state.outputs,
    };
    serde_json::to_writer_pretty(&mut *out, &document)?;
    out.write_all(b"\n")
}
