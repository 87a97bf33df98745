//! Plugin processes never outlive skelc, nor do their files: each plugin is spawned from one
//! thread that lives as long as the process, with `PR_SET_PDEATHSIG` (Linux), so the kernel
//! kills it when skelc dies, even by SIGKILL; and each gets a temporary directory skel owns,
//! `skel-plugin-<pid>/<random>` under the system temporary directory, as its `TMPDIR` and
//! `PLUGIN_UNIX_SOCKET_DIR`, so go-plugin's Unix sockets (older versions make them with
//! `TempFile("", "plugin")`) land there. A plugin's directory goes when it is stopped or
//! killed, `skel-plugin-<pid>` with the last one; the next start removes those of dead pids.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex, OnceLock, Weak};

use tokio::process::{Child, Command};

/// The prefix of the per-process directory.
pub(crate) const RUN_DIR_PREFIX: &str = "skel-plugin-";

/// `skel-plugin-<pid>`: removed when the last plugin of the process lets go of it.
#[derive(Debug)]
pub(crate) struct RunDir {
    path: PathBuf,
}

impl Drop for RunDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// One plugin's own temporary directory inside the process's [`RunDir`].
#[derive(Debug)]
pub(crate) struct PluginDir {
    // Dropped in field order: the plugin's directory, then (maybe) the run directory.
    dir: tempfile::TempDir,
    _run: Arc<RunDir>,
}

impl PluginDir {
    /// A new directory for one plugin (the stale directories of dead processes are removed
    /// first, once per process).
    pub(crate) fn new() -> io::Result<PluginDir> {
        let run = run_dir()?;
        let dir = tempfile::Builder::new().prefix("p").tempdir_in(&run.path)?;
        Ok(PluginDir { dir, _run: run })
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// This process's run directory, made (or shared while plugins hold it).
fn run_dir() -> io::Result<Arc<RunDir>> {
    static CURRENT: Mutex<Weak<RunDir>> = Mutex::new(Weak::new());
    static SWEPT: OnceLock<()> = OnceLock::new();
    let parent = std::env::temp_dir();
    SWEPT.get_or_init(|| sweep(&parent));
    let mut current = CURRENT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(run) = current.upgrade() {
        return Ok(run);
    }
    let path = parent.join(format!("{RUN_DIR_PREFIX}{}", std::process::id()));
    make_private_dir(&path)?;
    let run = Arc::new(RunDir { path });
    *current = Arc::downgrade(&run);
    Ok(run)
}

/// Creates `path` readable by its owner only; an existing one is used when it is a directory
/// of this user (left by an earlier process of the same pid), never a link or another's.
fn make_private_dir(path: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    match builder.create(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            let meta = std::fs::symlink_metadata(path)?;
            if meta.is_dir() && owned_by_me(&meta) {
                Ok(())
            } else {
                Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    format!(
                        "{} exists and is not a directory of this user",
                        path.display()
                    ),
                ))
            }
        }
        Err(e) => Err(e),
    }
}

#[cfg(unix)]
fn owned_by_me(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    meta.uid() == nix::unistd::geteuid().as_raw()
}

#[cfg(not(unix))]
fn owned_by_me(_meta: &std::fs::Metadata) -> bool {
    true
}

/// Removes the run directories in `parent` of processes that no longer exist (killed before
/// they could remove theirs), when they belong to this user.
pub(crate) fn sweep(parent: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(RUN_DIR_PREFIX))
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == std::process::id() || alive(pid) {
            continue;
        }
        let path = entry.path();
        let mine = std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir() && owned_by_me(&m));
        if mine {
            let _ = std::fs::remove_dir_all(&path);
        }
    }
}

/// Whether process `pid` exists.
#[cfg(unix)]
fn alive(pid: u32) -> bool {
    let Ok(pid) = i32::try_from(pid) else {
        return false;
    };
    // No signal: only whether the process exists (and may be signalled).
    match nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None) {
        Ok(()) => true,
        Err(e) => e == nix::errno::Errno::EPERM,
    }
}

#[cfg(not(unix))]
fn alive(_pid: u32) -> bool {
    true
}

type Job = Box<dyn FnOnce() + Send>;

/// Spawns `command` from the process's spawner thread, which never exits: `PR_SET_PDEATHSIG`
/// fires when the thread that spawned a child ends, not the process, so a plugin spawned from
/// a worker thread of an async runtime would be killed when that thread is retired.
pub(crate) async fn spawn(mut command: Command) -> io::Result<Child> {
    #[cfg(target_os = "linux")]
    {
        use nix::sys::signal::Signal;
        let parent = nix::unistd::getpid();
        // The one place skel needs `unsafe`: std offers no other hook between fork and exec.
        // SAFETY: the closure runs in the forked child before exec and only makes
        // async-signal-safe system calls (prctl, getppid, raise); it allocates nothing.
        #[allow(unsafe_code)]
        unsafe {
            command.pre_exec(move || {
                nix::sys::prctl::set_pdeathsig(Signal::SIGKILL).map_err(io::Error::from)?;
                // skelc died before the prctl: nothing would end this child.
                if nix::unistd::getppid() != parent {
                    let _ = nix::sys::signal::raise(Signal::SIGKILL);
                }
                Ok(())
            });
        }
    }
    let handle = tokio::runtime::Handle::current();
    let (tx, rx) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        // The child is reaped by the caller's runtime.
        let _guard = handle.enter();
        let _ = tx.send(command.spawn());
    });
    spawner()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .send(job)
        .map_err(|_| io::Error::other("the plugin spawner thread is gone"))?;
    rx.await
        .map_err(|_| io::Error::other("the plugin spawner thread dropped the request"))?
}

fn spawner() -> &'static Mutex<mpsc::Sender<Job>> {
    static SPAWNER: OnceLock<Mutex<mpsc::Sender<Job>>> = OnceLock::new();
    SPAWNER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Job>();
        let spawned = std::thread::Builder::new()
            .name("skel-plugin-spawner".into())
            .spawn(move || {
                // Lives as long as the process: the sender is never dropped.
                for job in rx {
                    job();
                }
            });
        if let Err(e) = spawned {
            tracing::warn!("cannot start the plugin spawner thread: {e}");
        }
        Mutex::new(tx)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_run_directories_of_dead_processes_are_swept() {
        let parent = tempfile::tempdir().unwrap();
        // A pid above any pid_max: no such process.
        let dead = parent.path().join(format!("{RUN_DIR_PREFIX}2000000000"));
        std::fs::create_dir_all(dead.join("p1/plugin123")).unwrap();
        let mine = parent
            .path()
            .join(format!("{RUN_DIR_PREFIX}{}", std::process::id()));
        std::fs::create_dir(&mine).unwrap();
        // pid 1 is alive.
        let init = parent.path().join(format!("{RUN_DIR_PREFIX}1"));
        std::fs::create_dir(&init).unwrap();
        let other = parent.path().join(format!("{RUN_DIR_PREFIX}abc"));
        std::fs::create_dir(&other).unwrap();
        sweep(parent.path());
        assert!(!dead.exists());
        assert!(mine.exists() && init.exists() && other.exists());
    }

    #[test]
    fn a_plugin_directory_goes_with_the_last_holder_of_the_run_directory() {
        let a = PluginDir::new().unwrap();
        let b = PluginDir::new().unwrap();
        let run = a.path().parent().unwrap().to_path_buf();
        assert_eq!(b.path().parent().unwrap(), run);
        assert!(run
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .ends_with(&std::process::id().to_string()));
        let a_path = a.path().to_path_buf();
        drop(a);
        assert!(!a_path.exists() && run.exists());
        drop(b);
        assert!(!run.exists());
    }
}
