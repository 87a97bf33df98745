//! The state store's lock: taken (waiting up to `--lock-timeout`) before a command reads the
//! state it will change.

use std::sync::Arc;
use std::time::Instant;

use skel_plan_ir::State;
use skel_state::{LockGuard, StateStore};

/// The state store of a root module directory, locked for `operation`, with its state read.
pub struct Locked {
    pub store: StateStore,
    pub lock: Arc<LockGuard>,
    pub state: State,
}

/// How long `lock_state` waits for a lock another process holds (`--lock-timeout`); set
/// once from the command line.
static LOCK_TIMEOUT: std::sync::OnceLock<std::time::Duration> = std::sync::OnceLock::new();

pub fn set_lock_timeout(timeout: Option<std::time::Duration>) {
    if let Some(t) = timeout {
        let _ = LOCK_TIMEOUT.set(t);
    }
}

/// `--lock=false` on a read-only command: [`lock_state`] reads without the lock.
static NO_LOCK: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

pub fn disable_lock() {
    NO_LOCK.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// Take the lock of `store`, waiting up to the `--lock-timeout` while another process
/// holds it.
fn lock_waiting(store: &StateStore, operation: &str) -> anyhow::Result<LockGuard> {
    let deadline = LOCK_TIMEOUT.get().map(|t| Instant::now() + *t);
    let mut said = false;
    loop {
        match store.lock(operation) {
            Err(skel_state::StateError::Locked { .. })
                if deadline.is_some_and(|d| Instant::now() < d) =>
            {
                if !said {
                    eprintln!("The state is locked by another run; waiting for it…");
                    said = true;
                }
                // 150–350 ms, so waiters that started together do not retry in lockstep.
                let jitter = u64::from(uuid::Uuid::new_v4().as_bytes()[0]) * 200 / 255;
                std::thread::sleep(std::time::Duration::from_millis(150 + jitter));
            }
            other => return Ok(other?),
        }
    }
}

/// Lock `store` (see [`crate::encryption::store_for`]) and read its state.
pub fn lock_state(store: StateStore, operation: &str) -> anyhow::Result<Locked> {
    let lock = if NO_LOCK.load(std::sync::atomic::Ordering::Relaxed) {
        store.unlocked(operation)
    } else {
        lock_waiting(&store, operation)?
    };
    if let Some(previous) = lock.taken_over() {
        eprintln!(
            "note: took over a lock left by a process that is gone ({}, pid {})",
            previous.who, previous.pid
        );
    }
    let state = store.read()?;
    Ok(Locked {
        store,
        lock: Arc::new(lock),
        state,
    })
}
