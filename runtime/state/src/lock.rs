//! The state lock. Local: an OS advisory lock on `skel.state.lock` (released by the OS when the
//! holder dies, so a crash never leaves a state locked) plus JSON contents naming the holder, so
//! a second run can say who has it. Remote: a lock object created only if absent
//! ([`crate::remote::LOCK_OBJECT`]), in Terraform's format, deleted only by its own holder.

use std::fs::{self, File};
use std::io::{Seek, Write};
use std::path::{Path, PathBuf};
use std::thread;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::fsutil::{is_same_file, make_private, private_options, read_optional, sync_dir};
use crate::remote::{parse_lock, Condition, RemoteError, TerraformLockInfo, LOCK_OBJECT};
use crate::store::{Place, StateStore, TEMP_PREFIX};
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
    pub(crate) fn new(operation: &str) -> LockInfo {
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

    /// How long ago the lock was taken, when [`created`](Self::created) is readable.
    pub fn age(&self) -> Option<chrono::Duration> {
        let created = chrono::DateTime::parse_from_rfc3339(&self.created).ok()?;
        Some(chrono::Utc::now().signed_duration_since(created))
    }

    /// Whether the holder is certainly gone: it ran on this host, under a process id that no
    /// longer exists. (A holder on another host, or one Terraform recorded without a pid,
    /// cannot be checked from here.)
    pub fn is_stale(&self) -> bool {
        self.pid != 0
            && self.host() == host_name()
            && self.pid != std::process::id()
            && !Path::new(&format!("/proc/{}", self.pid)).exists()
            && Path::new("/proc/self").exists()
    }
}

/// A held lock. Dropping it releases the lock and removes the lock file (or object).
#[derive(Debug)]
pub struct LockGuard {
    /// `Some` until drop; a local lock's OS lock lives as long as this handle.
    file: Option<File>,
    /// A remote lock object's ETag, to delete exactly the object this guard created.
    remote_etag: Option<String>,
    path: PathBuf,
    place: Place,
    info: LockInfo,
    taken_over: Option<LockInfo>,
    /// `false` for [`StateStore::unlocked`]: a read without the lock, which writes nothing.
    held: bool,
}

impl LockGuard {
    pub fn info(&self) -> &LockInfo {
        &self.info
    }

    pub fn id(&self) -> &str {
        &self.info.id
    }

    /// Where the state this lock is for lives: the store directory, or a remote state's URL.
    pub fn dir(&self) -> &Path {
        self.place.path()
    }

    pub(crate) fn place(&self) -> &Place {
        &self.place
    }

    /// The holder recorded in a lock file left by a process that died without releasing it
    /// (the OS lock was free): worth a note to the user.
    pub fn taken_over(&self) -> Option<&LockInfo> {
        self.taken_over.as_ref()
    }

    /// Whether the lock is really held ([`StateStore::unlocked`] gives one that is not).
    pub fn is_held(&self) -> bool {
        self.held
    }

    /// Release now (same as dropping).
    pub fn release(self) {}
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        if let (Some(etag), Place::Remote(remote)) = (self.remote_etag.take(), &self.place) {
            // Only the object this guard created: after a force-unlock another run may hold a
            // new lock object under the same name.
            let _ = remote.objects.delete(LOCK_OBJECT, Condition::Matches(etag));
        }
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
        if let Place::Remote(remote) = self.place() {
            let url = remote.objects.url(LOCK_OBJECT);
            let info = LockInfo::new(operation);
            let record = TerraformLockInfo::from_info(&info, remote.objects.url(""));
            let bytes = serde_json::to_vec_pretty(&record).map_err(|error| StateError::Remote {
                action: "write the lock",
                url: url.clone(),
                detail: error.to_string(),
            })?;
            return match remote.objects.put(LOCK_OBJECT, bytes, Condition::Absent) {
                Ok(etag) => Ok(LockGuard {
                    file: None,
                    remote_etag: Some(etag),
                    path: PathBuf::from(&url),
                    place: self.place().clone(),
                    info,
                    taken_over: None,
                    held: true,
                }),
                Err(RemoteError::PreconditionFailed) => Err(self.remote_holder(&url)),
                Err(RemoteError::Failed(detail)) => Err(StateError::Remote {
                    action: "create the lock",
                    url,
                    detail,
                }),
            };
        }
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
                remote_etag: None,
                path,
                place: self.place().clone(),
                info,
                taken_over,
                held: true,
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
        if let Place::Remote(remote) = self.place() {
            let url = remote.objects.url(LOCK_OBJECT);
            let failed = |action: &'static str, url: &str| {
                let url = url.to_string();
                move |error: RemoteError| StateError::Remote {
                    action,
                    url,
                    detail: error.to_string(),
                }
            };
            let Some(object) = remote
                .objects
                .get(LOCK_OBJECT)
                .map_err(failed("read the lock", &url))?
            else {
                return Err(StateError::NotLocked {
                    path: PathBuf::from(url),
                });
            };
            return match parse_lock(&object.bytes) {
                Ok(info) if info.id == id => {
                    remote
                        .objects
                        .delete(LOCK_OBJECT, Condition::Matches(object.etag))
                        .map_err(failed("remove the lock", &url))?;
                    Ok(info)
                }
                Ok(info) => Err(StateError::LockIdMismatch {
                    path: PathBuf::from(url),
                    given: id.to_string(),
                    actual: Some(info.id),
                }),
                Err(_) => Err(StateError::LockIdMismatch {
                    path: PathBuf::from(url),
                    given: id.to_string(),
                    actual: None,
                }),
            };
        }
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

impl StateStore {
    /// A guard that holds nothing, for reading without the lock (`--lock=false`): every write,
    /// journal and removal with it is refused ([`StateError::ReadOnly`]).
    pub fn unlocked(&self, operation: &str) -> LockGuard {
        LockGuard {
            file: None,
            remote_etag: None,
            path: self.lock_path(),
            place: self.place().clone(),
            info: LockInfo::new(operation),
            taken_over: None,
            held: false,
        }
    }

    /// The error for a remote lock someone else holds, naming them if the object says who.
    fn remote_holder(&self, url: &str) -> StateError {
        let Place::Remote(remote) = self.place() else {
            unreachable!("remote_holder is called for remote stores only")
        };
        match remote.objects.get(LOCK_OBJECT) {
            Ok(Some(object)) => match parse_lock(&object.bytes) {
                Ok(info) => StateError::Locked {
                    path: PathBuf::from(url),
                    info: Some(Box::new(info)),
                },
                Err(detail) => StateError::LockUnreadable {
                    url: url.to_string(),
                    detail,
                },
            },
            // Released between our write and our read: say locked; a retry will get it.
            Ok(None) => StateError::Locked {
                path: PathBuf::from(url),
                info: None,
            },
            Err(error) => StateError::Remote {
                action: "read the lock",
                url: url.to_string(),
                detail: error.to_string(),
            },
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

pub(crate) fn host_name() -> String {
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
