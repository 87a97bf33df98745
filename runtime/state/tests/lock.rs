//! The lock: conflicts within a process and with another process, takeover after the holder
//! dies, and force-unlock.

mod common;

use std::fs;
use std::time::Duration;

use common::ChildProcess;
use skel_state::{LockInfo, StateError, StateStore};

/// Run as a child by the tests below: take the lock and hold it until killed.
#[test]
fn child_entry() {
    let Ok(role) = std::env::var(common::ROLE_VAR) else {
        return;
    };
    let dir = std::env::var(common::DIR_VAR).unwrap();
    assert_eq!(role, "hold-lock");
    let store = StateStore::open(dir.as_ref()).unwrap();
    let _lock = store.lock("apply").unwrap();
    common::report("locked");
    std::thread::sleep(Duration::from_secs(120));
}

fn locked_info(error: StateError) -> LockInfo {
    match error {
        StateError::Locked {
            info: Some(info), ..
        } => *info,
        other => panic!("expected Locked, got {other:?}"),
    }
}

#[test]
fn a_second_lock_in_the_same_process_is_refused_with_the_holder() {
    let dir = tempfile::tempdir().unwrap();
    let first = StateStore::open(dir.path()).unwrap();
    let second = StateStore::open(dir.path()).unwrap();
    let guard = first.lock("apply").unwrap();
    assert!(guard.taken_over().is_none());

    let error = second.lock("plan").unwrap_err();
    let message = error.to_string();
    let info = locked_info(error);
    assert_eq!(&info, guard.info());
    assert_eq!(info.pid, std::process::id());
    assert_eq!(info.operation, "apply");
    assert!(info.who.contains('@'));
    assert!(chrono::DateTime::parse_from_rfc3339(&info.created).is_ok());
    for part in [
        format!("pid {}", info.pid),
        format!("on host {}", info.host()),
        "for `apply`".to_string(),
        info.created.clone(),
        format!("`skelc force-unlock {}`", info.id),
    ] {
        assert!(message.contains(&part), "{part:?} not in {message}");
    }

    drop(guard);
    assert!(!first.lock_path().exists(), "released and removed on drop");
    let again = second.lock("plan").unwrap();
    assert_eq!(again.info().operation, "plan");
}

#[test]
fn a_lock_held_by_another_process_is_refused_then_taken_over_once_it_dies() {
    let dir = tempfile::tempdir().unwrap();
    let store = StateStore::open(dir.path()).unwrap();
    let mut child = ChildProcess::spawn("child_entry", "hold-lock", dir.path());
    assert_eq!(child.next_report().as_deref(), Some("locked"));
    let child_pid = child.child.id();

    let info = locked_info(store.lock("apply").unwrap_err());
    assert_eq!(info.pid, child_pid);
    assert!(store
        .lock("apply")
        .unwrap_err()
        .to_string()
        .contains(&format!("pid {child_pid}")),);

    child.kill();
    // The OS lock died with the process; its lock file is still there, naming it.
    assert!(store.lock_path().exists());
    let guard = store.lock("apply").unwrap();
    assert_eq!(guard.taken_over().map(|held| held.pid), Some(child_pid));
    assert_eq!(guard.info().pid, std::process::id());
}

#[test]
fn force_unlock_needs_the_right_id() {
    let dir = tempfile::tempdir().unwrap();
    let store = StateStore::open(dir.path()).unwrap();
    assert!(matches!(
        store.force_unlock("nope"),
        Err(StateError::NotLocked { .. })
    ));

    let guard = store.lock("apply").unwrap();
    let id = guard.id().to_string();
    let error = store.force_unlock("wrong-id").unwrap_err();
    assert!(matches!(error, StateError::LockIdMismatch { .. }));
    assert!(error.to_string().contains(&format!("`{id}`")), "{error}");
    assert!(
        store.lock_path().exists(),
        "a refused force-unlock changes nothing"
    );

    let removed = store.force_unlock(&id).unwrap();
    assert_eq!(removed.id, id);
    assert!(!store.lock_path().exists());

    // The lock file is gone, so a new run can lock; the old guard must not remove its file.
    let other = StateStore::open(dir.path()).unwrap();
    let new_guard = other.lock("apply").unwrap();
    drop(guard);
    assert!(store.lock_path().exists());
    assert!(matches!(store.lock("plan"), Err(StateError::Locked { .. })));
    drop(new_guard);
}

#[test]
fn a_stale_lock_file_without_an_os_lock_is_taken_over() {
    let dir = tempfile::tempdir().unwrap();
    let store = StateStore::open(dir.path()).unwrap();
    let stale = r#"{"id":"old","operation":"apply","who":"ann@far","pid":4242,"created":"2020-01-01T00:00:00Z"}"#;
    fs::write(store.lock_path(), stale).unwrap();
    let guard = store.lock("apply").unwrap();
    assert_eq!(
        guard.taken_over().map(|held| held.who.as_str()),
        Some("ann@far")
    );
    let written: LockInfo = serde_json::from_slice(&fs::read(store.lock_path()).unwrap()).unwrap();
    assert_eq!(&written, guard.info());
}
