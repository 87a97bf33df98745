//! Recovery when a provider cannot tell whether an interrupted create made an object: the
//! create is resolved as not made (the journal may go), listed in the report's `unverified`,
//! and never confused with a step the engine left unanswered.

mod common;

use std::collections::BTreeMap;

use common::{addr, intent, ok};
use serde_json::json;
use skel_plan_ir::State;
use skel_state::{
    apply_recovered, apply_recovered_with, reconcile_plan, JournalAction, JournalEntry,
    PendingJournal, UnverifiedCreate,
};

fn pending(entries: Vec<JournalEntry>) -> PendingJournal {
    PendingJournal {
        path: "skel.state.journal".into(),
        begin: None,
        entries,
        torn_tail: false,
    }
}

#[test]
fn a_create_the_provider_cannot_look_for_is_recorded_as_not_made_and_reported() {
    use JournalAction::*;
    let journal = pending(vec![
        JournalEntry::Intent(intent(1, "null_resource.a", Create)),
        JournalEntry::Intent(intent(2, "null_resource.b", Create)),
        JournalEntry::Result(ok(2, "null_resource.b", Some(json!({ "id": "b" })))),
        JournalEntry::Intent(intent(3, "null_resource.c", Create)),
    ]);
    let mut state = State::new("L");
    let plan = reconcile_plan(&journal, &state);
    assert_eq!(plan.len(), 3);
    // `a`: the provider cannot tell; `c`: it found the object.
    let answers = BTreeMap::from([(3, Some(json!({ "id": "c" })))]);
    let cannot_tell = BTreeMap::from([(1, "no way to look it up".to_string())]);
    let report = apply_recovered_with(&mut state, &plan, &answers, &cannot_tell);
    assert!(report.is_complete(), "{report:?}");
    assert!(report.unresolved.is_empty() && report.orphaned.is_empty());
    assert_eq!(
        report.unverified,
        [UnverifiedCreate {
            addr: addr("null_resource.a"),
            provider: "null".to_string(),
            reason: "no way to look it up".to_string(),
        }]
    );
    assert_eq!(
        report.notes[0].to_string(),
        "null_resource.a: the create was interrupted and the provider cannot tell whether it made \
         an object; it is recorded as not created, and the next apply creates it"
    );
    let ids: Vec<String> = state.resources.keys().map(ToString::to_string).collect();
    assert_eq!(ids, ["null_resource.b", "null_resource.c"]);

    // The same steps without that answer stay unresolved: the journal must be kept.
    let mut untouched = State::new("L");
    let report = apply_recovered(&mut untouched, &plan, &answers);
    assert!(!report.is_complete());
    assert_eq!(report.unresolved, [addr("null_resource.a")]);
    assert!(report.unverified.is_empty());

    // "Cannot tell" answers only an interrupted create: a read-back without an answer stays
    // unresolved whatever the map holds.
    let mut update = intent(4, "null_resource.d", Update);
    update.prior = Some(json!({ "id": "d" }));
    let journal = pending(vec![JournalEntry::Intent(update)]);
    let plan = reconcile_plan(&journal, &State::new("L"));
    let cannot_tell = BTreeMap::from([(4, "no way".to_string())]);
    let report = apply_recovered_with(&mut State::new("L"), &plan, &BTreeMap::new(), &cannot_tell);
    assert_eq!(report.unresolved, [addr("null_resource.d")]);
    assert!(report.unverified.is_empty());
}
