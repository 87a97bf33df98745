//! The remote store's protocol over an in-memory object store with S3's conditional-write
//! semantics: one lock holder, compare-and-swap state writes, a journal another store instance
//! (another machine) can read and discard. The same protocol against S3 itself (moto) is tested
//! through skelc in `compiler/skelc/tests/backend_s3.rs`.

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use common::{intent, ok};
use skel_plan_ir::State;
use skel_state::{
    Condition, Journal, JournalAction, Object, ObjectStore, RemoteError, StateError, StateStore,
};

/// Objects in a map; ETags count writes. Every operation is atomic (one mutex), as S3's
/// conditional writes are.
#[derive(Debug, Default)]
struct Memory {
    objects: Mutex<BTreeMap<String, Object>>,
    writes: Mutex<u64>,
}

impl ObjectStore for Memory {
    fn url(&self, name: &str) -> String {
        format!("mem://bucket/team.state{name}")
    }

    fn get(&self, name: &str) -> Result<Option<Object>, RemoteError> {
        Ok(self.objects.lock().unwrap().get(name).cloned())
    }

    fn put(&self, name: &str, bytes: Vec<u8>, condition: Condition) -> Result<String, RemoteError> {
        let mut objects = self.objects.lock().unwrap();
        check(objects.get(name), &condition)?;
        let mut writes = self.writes.lock().unwrap();
        *writes += 1;
        let etag = format!("\"e{writes}\"");
        objects.insert(
            name.to_string(),
            Object {
                bytes,
                etag: etag.clone(),
            },
        );
        Ok(etag)
    }

    fn delete(&self, name: &str, condition: Condition) -> Result<(), RemoteError> {
        let mut objects = self.objects.lock().unwrap();
        check(objects.get(name), &condition)?;
        objects.remove(name);
        Ok(())
    }

    fn list(&self, prefix: &str) -> Result<Vec<String>, RemoteError> {
        Ok(self
            .objects
            .lock()
            .unwrap()
            .keys()
            .filter(|k| k.starts_with(prefix))
            .cloned()
            .collect())
    }
}

fn check(current: Option<&Object>, condition: &Condition) -> Result<(), RemoteError> {
    let holds = match condition {
        Condition::Any => true,
        Condition::Absent => current.is_none(),
        Condition::Matches(etag) => current.is_some_and(|o| &o.etag == etag),
    };
    if holds {
        Ok(())
    } else {
        Err(RemoteError::PreconditionFailed)
    }
}

fn two_machines() -> (Arc<Memory>, StateStore, StateStore) {
    let memory = Arc::new(Memory::default());
    let a = StateStore::open_remote(memory.clone());
    let b = StateStore::open_remote(memory.clone());
    (memory, a, b)
}

#[test]
fn one_holder_at_a_time_and_the_refusal_names_it() {
    let (memory, a, b) = two_machines();
    let held = a.lock("run").unwrap();
    let lock_text = memory
        .get(".tflock")
        .unwrap()
        .expect("the lock object")
        .bytes;
    let json: serde_json::Value = serde_json::from_slice(&lock_text).unwrap();
    assert_eq!(json["ID"], held.id(), "Terraform's field names: {json}");
    assert_eq!(json["Operation"], "run");

    let refused = b.lock("plan").expect_err("the second machine must wait");
    let message = refused.to_string();
    assert!(refused.is_locked(), "{message}");
    assert!(message.contains(held.id()), "{message}");
    assert!(
        message.contains("mem://bucket/team.state.tflock"),
        "{message}"
    );

    drop(held);
    assert!(memory.get(".tflock").unwrap().is_none(), "released on drop");
    b.lock("plan").expect("free again");
}

#[test]
fn a_write_after_someone_elses_write_is_refused_and_changes_nothing() {
    let (memory, a, b) = two_machines();
    let lock = a.lock("run").unwrap();
    let mut state = a.read().unwrap();
    a.write(&lock, &mut state).unwrap();
    assert_eq!(state.serial, 1);
    drop(lock);

    // B reads serial 1 and writes serial 2 (with its own lock).
    let lock_b = b.lock("run").unwrap();
    let mut theirs = b.read().unwrap();
    b.write(&lock_b, &mut theirs).unwrap();
    drop(lock_b);
    let after_b = memory.get("").unwrap().unwrap();

    // A, which last saw serial 1, tries again: refused by the ETag, whatever its lock says.
    let lock = a.lock("run").unwrap();
    let error = a.write(&lock, &mut state).expect_err("a lost update");
    assert!(
        matches!(
            error,
            StateError::ConcurrentWrite {
                found: 2,
                expected: 1,
                ..
            }
        ),
        "{error}"
    );
    assert_eq!(
        memory.get("").unwrap().unwrap(),
        after_b,
        "nothing overwritten"
    );
    // Reading again makes the next write succeed on top of B's.
    let mut fresh = a.read().unwrap();
    a.write(&lock, &mut fresh).unwrap();
    assert_eq!(fresh.serial, 3);
}

#[test]
fn another_lineage_is_never_overwritten() {
    let (_memory, a, b) = two_machines();
    let lock = a.lock("run").unwrap();
    let mut state = a.read().unwrap();
    a.write(&lock, &mut state).unwrap();
    drop(lock);
    let lock = b.lock("push").unwrap();
    b.read().unwrap();
    let mut other = State::new("another-lineage");
    let error = b.write(&lock, &mut other).expect_err("a different state");
    assert!(
        matches!(error, StateError::LineageMismatch { .. }),
        "{error}"
    );
}

#[test]
fn a_journal_left_on_one_machine_is_read_and_discarded_on_another() {
    let (memory, a, b) = two_machines();
    let lock = a.lock("run").unwrap();
    let state = a.read().unwrap();
    let journal = a.begin_journal(&lock, "run-7", &state).unwrap();
    journal
        .intent(&intent(1, "null_resource.a", JournalAction::Create))
        .unwrap();
    journal
        .result(&ok(
            1,
            "null_resource.a",
            Some(serde_json::json!({"id": "1"})),
        ))
        .unwrap();
    journal
        .intent(&intent(2, "null_resource.b", JournalAction::Create))
        .unwrap();
    // The process dies here: no commit, no release. (Forget the guard so drop does not
    // release the lock, as SIGKILL would.)
    std::mem::forget(journal);
    std::mem::forget(lock);
    assert!(memory.list(".journal/run-7/").unwrap().len() >= 2);

    // Another machine: locked out until force-unlock, then it sees every durable line.
    let held = b.lock("run").expect_err("still locked");
    let id = match &held {
        StateError::Locked {
            info: Some(info), ..
        } => info.id.clone(),
        other => panic!("{other}"),
    };
    b.force_unlock(&id).unwrap();
    let lock_b = b.lock("run").unwrap();
    let pending = b.pending_journal().unwrap().expect("the journal");
    assert_eq!(pending.begin.as_ref().unwrap().run_id, "run-7");
    // Intent 2 was durable; result 1 was flushed with it.
    let doubt: Vec<u64> = pending.in_doubt().iter().map(|i| i.seq).collect();
    assert_eq!(doubt, vec![2]);
    assert_eq!(pending.results().count(), 1);
    // A new journal cannot begin on top of it.
    let refused = b.begin_journal(&lock_b, "run-8", &state);
    assert!(matches!(refused, Err(StateError::JournalPending { .. })));
    Journal::discard(&lock_b).unwrap();
    assert!(memory.list(".journal/").unwrap().is_empty());
    assert!(b.pending_journal().unwrap().is_none());
}

#[test]
fn a_lock_object_that_is_not_a_lock_is_named() {
    let (memory, a, _) = two_machines();
    memory
        .put(".tflock", b"held by bob".to_vec(), Condition::Any)
        .unwrap();
    let error = a.lock("run").expect_err("locked by something");
    let message = error.to_string();
    assert!(
        matches!(error, StateError::LockUnreadable { .. }),
        "{message}"
    );
    assert!(
        message.contains("mem://bucket/team.state.tflock"),
        "{message}"
    );
    assert_eq!(
        memory.get(".tflock").unwrap().unwrap().bytes,
        b"held by bob".to_vec(),
        "left as it was"
    );
}

#[test]
fn a_corrupt_or_newer_state_object_is_refused_and_left_alone() {
    let (memory, a, _) = two_machines();
    memory
        .put("", b"{not json".to_vec(), Condition::Any)
        .unwrap();
    let error = a.read().expect_err("corrupt");
    assert!(
        error.to_string().contains("mem://bucket/team.state"),
        "{error}"
    );
    memory
        .put(
            "",
            br#"{"version": 99, "serial": 1, "lineage": "x", "resources": {}}"#.to_vec(),
            Condition::Any,
        )
        .unwrap();
    let error = a.read().expect_err("newer");
    assert!(
        matches!(error, StateError::NewerVersion { found: 99, .. }),
        "{error}"
    );
}

#[test]
fn a_state_is_removed_only_in_the_version_last_read() {
    let (memory, a, b) = two_machines();
    let lock = a.lock("run").unwrap();
    let mut state = a.read().unwrap();
    a.write(&lock, &mut state).unwrap();
    drop(lock);
    // B writes a newer version; A, which saw the older one, may not remove it.
    let lock_b = b.lock("run").unwrap();
    let mut theirs = b.read().unwrap();
    b.write(&lock_b, &mut theirs).unwrap();
    drop(lock_b);
    let lock = a.lock("workspace delete").unwrap();
    let error = a.remove(&lock).expect_err("a newer version");
    assert!(
        matches!(error, StateError::ConcurrentWrite { .. }),
        "{error}"
    );
    assert!(memory.get("").unwrap().is_some());
    a.read().unwrap();
    a.remove(&lock).unwrap();
    assert!(memory.get("").unwrap().is_none());
    assert!(!a.exists().unwrap());
}
