//! The journal: what is written, how an unfinished one is read back, and the recovery logic.

mod common;

use std::collections::BTreeMap;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;

use common::{addr, intent, ok};
use serde_json::json;
use skel_plan_ir::{InstanceStatus, ResourceInstanceState, State};
use skel_state::{
    apply_recovered, reconcile_plan, Journal, JournalAction, JournalEntry, JournalResult, Outcome,
    Recovery, StateError, StateStore,
};

fn resource(attributes: serde_json::Value) -> ResourceInstanceState {
    ResourceInstanceState {
        provider: "null".into(),
        attributes,
        sensitive_paths: Vec::new(),
        dependencies: Vec::new(),
        create_before_destroy: false,
        status: Default::default(),
        deposed: Vec::new(),
        private: None,
        schema_version: None,
    }
}

#[test]
fn entries_are_written_and_read_back_then_commit_clears() {
    let dir = tempfile::tempdir().unwrap();
    let store = StateStore::open(dir.path()).unwrap();
    let lock = store.lock("apply").unwrap();
    let state = store.read().unwrap();
    assert!(store.pending_journal().unwrap().is_none());

    let journal = Journal::begin(&lock, "run-1", &state).unwrap();
    let mode = fs::metadata(journal.path()).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let seq = journal.next_seq();
    assert_eq!(seq, 1);
    let first = intent(seq, "null_resource.a", JournalAction::Create);
    journal.intent(&first).unwrap();
    let done = ok(seq, "null_resource.a", Some(json!({ "id": "a" })));
    journal.result(&done).unwrap();
    journal.checkpoint(1).unwrap();
    let second = intent(journal.next_seq(), "null_resource.b", JournalAction::Delete);
    journal.intent(&second).unwrap();

    let pending = store.pending_journal().unwrap().unwrap();
    let begin = pending.begin.clone().unwrap();
    assert_eq!((begin.run_id.as_str(), begin.serial), ("run-1", 0));
    assert!(pending.matches(&state));
    assert!(!pending.matches(&State::new("other")));
    assert!(!pending.torn_tail);
    assert_eq!(
        pending.intents().cloned().collect::<Vec<_>>(),
        [first, second.clone()]
    );
    assert_eq!(pending.results().cloned().collect::<Vec<_>>(), [done]);
    assert_eq!(pending.in_doubt(), [&second]);
    assert_eq!(pending.last_checkpoint(), Some(1));
    assert!(matches!(
        pending.entries[3],
        JournalEntry::Checkpoint { serial: 1 }
    ));

    // One line per entry, each a JSON object with a `kind`.
    let text = fs::read_to_string(journal.path()).unwrap();
    assert_eq!(text.lines().count(), 5);
    assert!(text
        .lines()
        .next()
        .unwrap()
        .starts_with("{\"kind\":\"begin\""));

    // A second run cannot start over an unfinished journal.
    assert!(matches!(
        Journal::begin(&lock, "run-2", &state),
        Err(StateError::JournalPending { .. })
    ));

    journal.commit().unwrap();
    assert!(store.pending_journal().unwrap().is_none());
    let again = Journal::begin(&lock, "run-2", &state).unwrap();
    drop(again);
    Journal::discard(&lock).unwrap();
    assert!(store.pending_journal().unwrap().is_none());
}

#[test]
fn a_torn_last_line_is_ignored_but_a_corrupt_middle_line_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let store = StateStore::open(dir.path()).unwrap();
    let lock = store.lock("apply").unwrap();
    let journal = Journal::begin(&lock, "run", &store.read().unwrap()).unwrap();
    journal
        .intent(&intent(1, "null_resource.a", JournalAction::Create))
        .unwrap();
    let path = journal.path().to_path_buf();
    let mut file = OpenOptions::new().append(true).open(&path).unwrap();
    file.write_all(b"{\"kind\":\"result\",\"seq\":1,\"addr\":\"null_res")
        .unwrap();
    drop(file);

    let pending = store.pending_journal().unwrap().unwrap();
    assert!(pending.torn_tail);
    assert_eq!(pending.entries.len(), 2);
    assert_eq!(pending.in_doubt().len(), 1);

    // Garbage followed by more lines cannot be a torn write.
    let mut file = OpenOptions::new().append(true).open(&path).unwrap();
    file.write_all(b"\n{\"kind\":\"checkpoint\",\"serial\":1}\n")
        .unwrap();
    drop(file);
    let before = fs::read(&path).unwrap();
    match store.pending_journal() {
        Err(error @ StateError::CorruptJournal { line: 3, .. }) => {
            assert!(error.to_string().contains("left untouched"), "{error}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(fs::read(&path).unwrap(), before);

    // Only a torn first line: a run that died at once; nothing to recover.
    fs::write(&path, b"{\"kind\":\"beg").unwrap();
    let pending = store.pending_journal().unwrap().unwrap();
    assert!(pending.begin.is_none() && pending.is_empty() && pending.torn_tail);
}

/// A journal with the given entries after a begin line, read back as pending.
fn pending_with(entries: &[JournalEntry]) -> skel_state::PendingJournal {
    let dir = tempfile::tempdir().unwrap();
    let store = StateStore::open(dir.path()).unwrap();
    let lock = store.lock("apply").unwrap();
    let journal = Journal::begin(&lock, "run", &State::new("L")).unwrap();
    for entry in entries {
        match entry {
            JournalEntry::Intent(i) => journal.intent(i).unwrap(),
            JournalEntry::Result(r) => journal.result(r).unwrap(),
            JournalEntry::Checkpoint { serial } => journal.checkpoint(*serial).unwrap(),
            JournalEntry::Begin(_) => unreachable!(),
        }
    }
    store.pending_journal().unwrap().unwrap()
}

#[test]
fn reconcile_applies_results_and_asks_about_calls_in_doubt() {
    use JournalAction::*;
    let mut update = intent(3, "null_resource.c", Update);
    update.prior = Some(json!({ "id": "c", "v": 1 }));
    let mut delete = intent(4, "null_resource.d", Delete);
    delete.prior = Some(json!({ "id": "d" }));
    delete.planned = None;
    let pending = pending_with(&[
        JournalEntry::Intent(intent(1, "null_resource.a", Create)),
        JournalEntry::Intent(intent(2, "null_resource.b", Create)),
        JournalEntry::Result(ok(2, "null_resource.b", Some(json!({ "id": "b" })))),
        JournalEntry::Intent(update.clone()),
        JournalEntry::Intent(delete.clone()),
        JournalEntry::Result(ok(4, "null_resource.d", None)),
        JournalEntry::Intent(intent(5, "data.null_data.e", Read)),
    ]);
    let mut state = State::new("L");
    state.resources.insert(
        addr("null_resource.c"),
        resource(json!({ "id": "c", "v": 1 })),
    );
    state
        .resources
        .insert(addr("null_resource.d"), resource(json!({ "id": "d" })));

    let plan = reconcile_plan(&pending, &state);
    let kinds: Vec<(u64, &str)> = plan
        .iter()
        .map(|step| {
            let kind = match step {
                Recovery::Apply { .. } => "apply",
                Recovery::RecoverCreate { .. } => "recover-create",
                Recovery::ReadBack { .. } => "read-back",
                Recovery::DropDeposed { .. } => "drop-deposed",
            };
            (step.seq(), kind)
        })
        .collect();
    // The in-doubt data source read has no side effects: nothing to do.
    assert_eq!(
        kinds,
        [
            (1, "recover-create"),
            (2, "apply"),
            (3, "read-back"),
            (4, "apply")
        ]
    );
    assert!(plan[0].needs_provider() && !plan[1].needs_provider());

    // The provider found the object the interrupted create made, and the updated object.
    let answers = BTreeMap::from([
        (1, Some(json!({ "id": "a" }))),
        (3, Some(json!({ "id": "c", "v": 2 }))),
    ]);
    let report = apply_recovered(&mut state, &plan, &answers);
    assert!(report.is_complete() && report.orphaned.is_empty());
    assert_eq!(report.notes.len(), 4);
    assert_eq!(
        report.notes[0].to_string(),
        "null_resource.a: the create was interrupted; the provider found the object it made, now \
         in state"
    );
    let ids: Vec<String> = state.resources.keys().map(ToString::to_string).collect();
    assert_eq!(
        ids,
        ["null_resource.a", "null_resource.b", "null_resource.c"]
    );
    assert_eq!(state.resources[&addr("null_resource.c")].attributes["v"], 2);

    // Applying the same recovery again gives the same state.
    let once = state.clone();
    apply_recovered(&mut state, &plan, &answers);
    assert_eq!(state, once);

    // Without the provider's answers nothing in doubt is guessed.
    let mut untouched = State::new("L");
    let report = apply_recovered(&mut untouched, &plan, &BTreeMap::new());
    assert_eq!(
        report.unresolved,
        [addr("null_resource.a"), addr("null_resource.c")]
    );
    assert!(!report.is_complete());
}

#[test]
fn results_before_a_reached_checkpoint_are_already_in_state() {
    use JournalAction::*;
    let entries = [
        JournalEntry::Intent(intent(1, "null_resource.a", Create)),
        JournalEntry::Result(ok(1, "null_resource.a", Some(json!({ "id": "a" })))),
        JournalEntry::Checkpoint { serial: 5 },
        JournalEntry::Intent(intent(2, "null_resource.b", Create)),
        JournalEntry::Result(ok(2, "null_resource.b", Some(json!({ "id": "b" })))),
    ];
    let pending = pending_with(&entries);
    let mut state = State::new("L");
    state.serial = 5;
    let plan = reconcile_plan(&pending, &state);
    assert_eq!(plan.iter().map(Recovery::seq).collect::<Vec<_>>(), [2]);
    // A state older than the checkpoint (say, restored from backup) gets every result.
    state.serial = 4;
    let plan = reconcile_plan(&pending, &state);
    assert_eq!(plan.iter().map(Recovery::seq).collect::<Vec<_>>(), [1, 2]);
}

#[test]
fn failed_calls_are_checked_through_the_provider() {
    use JournalAction::*;
    let failed = JournalResult {
        seq: 1,
        addr: addr("null_resource.a"),
        outcome: Outcome::Err {
            message: "timeout".into(),
        },
    };
    let pending = pending_with(&[
        JournalEntry::Intent(intent(1, "null_resource.a", Create)),
        JournalEntry::Result(failed),
    ]);
    let plan = reconcile_plan(&pending, &State::new("L"));
    assert!(matches!(plan.as_slice(), [Recovery::RecoverCreate { .. }]));
}

#[test]
fn a_found_object_whose_provisioners_were_pending_is_tainted() {
    use JournalAction::*;
    for (provisioners, expected) in [
        (true, InstanceStatus::Tainted),
        (false, InstanceStatus::Ready),
    ] {
        let mut create = intent(1, "null_resource.a", Create);
        create.provisioners = provisioners;
        create.token = Some("t-1".into());
        let pending = pending_with(&[JournalEntry::Intent(create)]);
        let mut state = State::new("L");
        let plan = reconcile_plan(&pending, &state);
        let answers = BTreeMap::from([(1, Some(json!({ "id": "found" })))]);
        let report = apply_recovered(&mut state, &plan, &answers);
        assert!(report.is_complete());
        assert_eq!(
            state.resources[&addr("null_resource.a")].status,
            expected,
            "provisioners pending: {provisioners}"
        );
    }
}

#[test]
fn create_before_destroy_never_forgets_the_old_object() {
    use JournalAction::*;
    let old = json!({ "id": "old" });
    let mut create = intent(1, "null_resource.a", Create);
    create.prior = Some(old.clone());
    create.deposed = true;
    let mut delete_old = intent(2, "null_resource.a", Delete);
    delete_old.prior = Some(old.clone());
    delete_old.planned = None;
    delete_old.deposed = true;
    let created = ok(1, "null_resource.a", Some(json!({ "id": "new" })));

    let mut state = State::new("L");
    state
        .resources
        .insert(addr("null_resource.a"), resource(old.clone()));
    let current = |state: &State| state.resources[&addr("null_resource.a")].clone();

    // Crash after the new object was made, before the old one's delete was announced: the
    // old object becomes deposed, for the next apply to destroy.
    let pending = pending_with(&[
        JournalEntry::Intent(create.clone()),
        JournalEntry::Result(created.clone()),
    ]);
    let plan = reconcile_plan(&pending, &state);
    assert!(matches!(plan.as_slice(), [Recovery::Apply { .. }]));
    let mut recovered = state.clone();
    let report = apply_recovered(&mut recovered, &plan, &BTreeMap::new());
    assert!(report.is_complete());
    assert_eq!(current(&recovered).attributes["id"], "new");
    assert_eq!(current(&recovered).deposed, std::slice::from_ref(&old));
    assert!(current(&recovered).create_before_destroy);

    // The create itself in doubt: once the provider finds the new object, the same.
    let pending = pending_with(&[JournalEntry::Intent(create.clone())]);
    let plan = reconcile_plan(&pending, &state);
    let mut recovered = state.clone();
    apply_recovered(
        &mut recovered,
        &plan,
        &BTreeMap::from([(1, Some(json!({ "id": "new" })))]),
    );
    assert_eq!(current(&recovered).deposed, std::slice::from_ref(&old));
    // ... and when it made nothing, the old object stays current.
    let mut recovered = state.clone();
    apply_recovered(&mut recovered, &plan, &BTreeMap::from([(1, None)]));
    assert_eq!(recovered, state);

    // Crash during the old one's delete: it stays deposed unless a read shows it gone.
    let pending = pending_with(&[
        JournalEntry::Intent(create.clone()),
        JournalEntry::Result(created.clone()),
        JournalEntry::Intent(delete_old.clone()),
    ]);
    let plan = reconcile_plan(&pending, &state);
    assert!(matches!(
        plan.as_slice(),
        [Recovery::Apply { .. }, Recovery::ReadBack { .. }]
    ));
    assert!(plan[1].needs_provider());
    let mut recovered = state.clone();
    let report = apply_recovered(&mut recovered, &plan, &BTreeMap::new());
    assert!(report.is_complete(), "a deposed object needs no answer");
    assert_eq!(current(&recovered).deposed, std::slice::from_ref(&old));
    let mut recovered = state.clone();
    apply_recovered(&mut recovered, &plan, &BTreeMap::from([(2, None)]));
    assert!(current(&recovered).deposed.is_empty());
    assert_eq!(current(&recovered).attributes["id"], "new");

    // The delete finished: nothing is deposed.
    let pending = pending_with(&[
        JournalEntry::Intent(create),
        JournalEntry::Result(created),
        JournalEntry::Intent(delete_old),
        JournalEntry::Result(ok(2, "null_resource.a", None)),
    ]);
    let plan = reconcile_plan(&pending, &state);
    assert!(matches!(
        plan.as_slice(),
        [Recovery::Apply { .. }, Recovery::DropDeposed { .. }]
    ));
    let mut recovered = state.clone();
    apply_recovered(&mut recovered, &plan, &BTreeMap::new());
    assert!(current(&recovered).deposed.is_empty());
    assert_eq!(current(&recovered).attributes["id"], "new");
}

#[test]
fn a_run_that_crashed_before_its_first_write_keeps_its_lineage() {
    let dir = tempfile::tempdir().unwrap();
    let store = StateStore::open(dir.path()).unwrap();
    let lock = store.lock("apply").unwrap();
    let state = store.read().unwrap();
    let journal = Journal::begin(&lock, "run", &state).unwrap();
    journal
        .intent(&intent(1, "null_resource.a", JournalAction::Create))
        .unwrap();
    drop(journal);
    let again = store.read().unwrap();
    assert_eq!(again.lineage, state.lineage);
    assert!(store.pending_journal().unwrap().unwrap().matches(&again));
}

/// A create journaled as tainted (made, but not ready or its provisioners not yet run) is
/// recovered as tainted, so the next apply replaces it; a later result line for the same call
/// (the provisioners all ran) supersedes it and the object is recovered as finished.
#[test]
fn a_result_journaled_as_tainted_is_recovered_tainted_until_superseded() {
    let create = intent(1, "null_resource.a", JournalAction::Create);
    let made = json!({ "id": "made" });
    let mut tainted = ok(1, "null_resource.a", Some(made.clone()));
    tainted.outcome = Outcome::Ok {
        new_state: Some(made.clone()),
        tainted: true,
        private: None,
    };
    let state = State::new("L");
    let status = |state: &State| state.resources[&addr("null_resource.a")].status;

    let pending = pending_with(&[
        JournalEntry::Intent(create.clone()),
        JournalEntry::Result(tainted.clone()),
    ]);
    let plan = reconcile_plan(&pending, &state);
    let mut recovered = state.clone();
    let report = apply_recovered(&mut recovered, &plan, &BTreeMap::new());
    assert!(report.is_complete());
    assert_eq!(status(&recovered), InstanceStatus::Tainted);
    assert_eq!(
        recovered.resources[&addr("null_resource.a")].attributes,
        made
    );
    assert!(
        report.notes[0].message.contains("tainted"),
        "{:?}",
        report.notes
    );

    let pending = pending_with(&[
        JournalEntry::Intent(create),
        JournalEntry::Result(tainted),
        JournalEntry::Result(ok(1, "null_resource.a", Some(made))),
    ]);
    let plan = reconcile_plan(&pending, &state);
    let mut recovered = state.clone();
    apply_recovered(&mut recovered, &plan, &BTreeMap::new());
    assert_eq!(status(&recovered), InstanceStatus::Ready);
}

/// A result's private data (a plugin's) is journaled with its object and recovered into state
/// with it.
#[test]
fn a_journaled_results_private_data_is_recovered_with_its_object() {
    let create = intent(1, "skeltest_server.a", JournalAction::Create);
    let made = json!({ "id": "srv-1" });
    let mut result = ok(1, "skeltest_server.a", Some(made.clone()));
    result.outcome = Outcome::Ok {
        new_state: Some(made.clone()),
        tainted: false,
        private: Some("YXBwbGllZC0x".into()),
    };
    let line = serde_json::to_string(&JournalEntry::Result(result.clone())).unwrap();
    assert!(line.contains(r#""private":"YXBwbGllZC0x""#), "{line}");
    let pending = pending_with(&[JournalEntry::Intent(create), JournalEntry::Result(result)]);
    let state = State::new("L");
    let plan = reconcile_plan(&pending, &state);
    let mut recovered = state.clone();
    let report = apply_recovered(&mut recovered, &plan, &BTreeMap::new());
    assert!(report.is_complete());
    let entry = &recovered.resources[&addr("skeltest_server.a")];
    assert_eq!(entry.attributes, made);
    assert_eq!(entry.private.as_deref(), Some("YXBwbGllZC0x"));
}
