//! A run killed with SIGKILL at an arbitrary moment: the next run finds the lock free, the state
//! readable, and a journal from which every object the "provider" made is recovered.
//!
//! The child (this test binary re-run) applies an endless stream of creates and deletes against
//! a fake provider whose objects are files in `objects/`, journaling each call and writing the
//! state every few calls, exactly as the engine would.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;
use std::time::Duration;

use common::ChildProcess;
use serde_json::json;
use skel_plan_ir::ResourceInstanceState;
use skel_state::{
    apply_recovered, reconcile_plan, Journal, JournalAction, JournalIntent, JournalResult, Outcome,
    Recovery, StateStore,
};

fn object_path(dir: &Path, index: u64) -> std::path::PathBuf {
    dir.join("objects").join(index.to_string())
}

fn index_of(intent: &JournalIntent) -> u64 {
    match &intent.addr.key {
        skel_plan_ir::InstanceKey::Int(i) => *i as u64,
        other => panic!("unexpected key {other:?}"),
    }
}

/// The child: apply forever (until killed).
#[test]
fn child_entry() {
    let Ok(role) = std::env::var(common::ROLE_VAR) else {
        return;
    };
    assert_eq!(role, "apply");
    let dir = std::path::PathBuf::from(std::env::var(common::DIR_VAR).unwrap());
    let store = StateStore::open(&dir).unwrap();
    let lock = store.lock("apply").unwrap();
    let mut state = store.read().unwrap();
    let journal = Journal::begin(&lock, "crash-run", &state).unwrap();
    fs::create_dir_all(dir.join("objects")).unwrap();
    for index in 1..100_000u64 {
        let address = format!("null_resource.r[{index}]");
        let seq = journal.next_seq();
        let mut intent = common::intent(seq, &address, JournalAction::Create);
        intent.provider = "fake".into();
        journal.intent(&intent).unwrap();
        let object = json!({ "id": index });
        // Like a real API, an object either exists whole or not at all: write and rename.
        let path = object_path(&dir, index);
        let temp = dir.join(format!("object-{index}.tmp"));
        fs::write(&temp, object.to_string()).unwrap();
        fs::rename(&temp, &path).unwrap();
        let result = common::ok(seq, &address, Some(object.clone()));
        journal.result(&result).unwrap();
        state.resources.insert(
            intent.addr.clone(),
            ResourceInstanceState {
                provider: "fake".into(),
                attributes: object,
                sensitive_paths: Vec::new(),
                dependencies: Vec::new(),
                create_before_destroy: false,
                status: Default::default(),
                deposed: Vec::new(),
                private: None,
                schema_version: None,
            },
        );

        if index % 3 == 0 {
            // Delete an earlier object.
            let victim = index - 2;
            let victim_addr: skel_plan_ir::InstanceAddr =
                format!("null_resource.r[{victim}]").parse().unwrap();
            let prior = state.resources[&victim_addr].attributes.clone();
            let seq = journal.next_seq();
            let mut intent = common::intent(seq, &victim_addr.to_string(), JournalAction::Delete);
            intent.provider = "fake".into();
            intent.prior = Some(prior);
            intent.planned = None;
            journal.intent(&intent).unwrap();
            fs::remove_file(object_path(&dir, victim)).unwrap();
            journal
                .result(&JournalResult {
                    seq,
                    addr: victim_addr.clone(),
                    outcome: Outcome::Ok {
                        new_state: None,
                        tainted: false,
                        private: None,
                    },
                })
                .unwrap();
            state.resources.remove(&victim_addr);
        }
        if index % 4 == 0 {
            let serial = store.write(&lock, &mut state).unwrap();
            journal.checkpoint(serial).unwrap();
        }
        common::report(&format!("step {index}"));
    }
}

fn crash_and_recover(steps_before_kill: u64, extra_delay: Duration) {
    let dir = tempfile::tempdir().unwrap();
    let store = StateStore::open(dir.path()).unwrap();
    let mut child = ChildProcess::spawn("child_entry", "apply", dir.path());
    let child_pid = child.child.id();
    loop {
        let report = child.next_report().expect("the child stopped early");
        let step: u64 = report.strip_prefix("step ").unwrap().parse().unwrap();
        if step >= steps_before_kill {
            break;
        }
    }
    std::thread::sleep(extra_delay);
    child.kill();

    // The lock died with the child.
    let lock = store.lock("apply").unwrap();
    assert_eq!(lock.taken_over().map(|held| held.pid), Some(child_pid));
    // The state file is always whole.
    let mut state = store.read().unwrap();
    let pending = store
        .pending_journal()
        .unwrap()
        .expect("an unfinished journal");
    assert!(pending.matches(&state));
    assert_eq!(pending.begin.as_ref().unwrap().run_id, "crash-run");

    // Consistency: sequence numbers increase, every result follows its own intent, and the
    // sequential child leaves at most one call in doubt.
    let intents: Vec<&JournalIntent> = pending.intents().collect();
    assert!(intents.windows(2).all(|pair| pair[0].seq < pair[1].seq));
    let by_seq: BTreeMap<u64, &JournalIntent> = intents.iter().map(|i| (i.seq, *i)).collect();
    for result in pending.results() {
        assert_eq!(by_seq[&result.seq].addr, result.addr);
    }
    assert!(pending.in_doubt().len() <= 1, "{:?}", pending.in_doubt());
    assert!(pending.last_checkpoint().unwrap_or(0) <= state.serial);

    // Recover, answering for the fake provider by looking at its objects.
    let plan = reconcile_plan(&pending, &state);
    let mut answers = BTreeMap::new();
    for step in plan.iter().filter(|step| step.needs_provider()) {
        let path = object_path(dir.path(), index_of(step.intent()));
        let found = fs::read_to_string(path)
            .ok()
            .map(|text| serde_json::from_str(&text).unwrap());
        answers.insert(step.seq(), found);
    }
    assert!(plan
        .iter()
        .all(|step| !matches!(step, Recovery::DropDeposed { .. })));
    let report = apply_recovered(&mut state, &plan, &answers);
    assert!(report.is_complete());
    assert!(report.orphaned.is_empty());

    // Nothing created is forgotten, nothing deleted is kept.
    let existing: BTreeSet<String> = fs::read_dir(dir.path().join("objects"))
        .map(|entries| {
            entries
                .map(|e| {
                    format!(
                        "null_resource.r[{}]",
                        e.unwrap().file_name().to_string_lossy()
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let in_state: BTreeSet<String> = state.resources.keys().map(ToString::to_string).collect();
    assert_eq!(in_state, existing);
    for (addr, instance) in &state.resources {
        let text = fs::read_to_string(dir.path().join("objects").join(match &addr.key {
            skel_plan_ir::InstanceKey::Int(i) => i.to_string(),
            _ => unreachable!(),
        }))
        .unwrap();
        assert_eq!(instance.attributes.to_string(), text);
    }

    store.write(&lock, &mut state).unwrap();
    Journal::discard(&lock).unwrap();
    assert!(store.pending_journal().unwrap().is_none());
    assert_eq!(store.read().unwrap().resources.len(), existing.len());
}

#[test]
fn sigkill_at_any_moment_loses_nothing() {
    for (steps, delay_us) in [(1, 0), (2, 150), (5, 40), (9, 700), (14, 90), (30, 1500)] {
        crash_and_recover(steps, Duration::from_micros(delay_us));
    }
}
