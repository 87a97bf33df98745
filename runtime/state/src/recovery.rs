//! Recovery from an unfinished journal, as pure logic: [`reconcile_plan`] says which journaled
//! results go straight into state and which in-doubt calls the engine must check through the
//! provider; [`apply_recovered`] folds the answers into the state and says what was recovered.
//!
//! The invariant: no object a provider may have created is ever forgotten. An in-doubt create
//! is looked for ([`Recovery::RecoverCreate`]); the old object of a create-before-destroy
//! replacement stays in the instance's `deposed` list until its delete is known to have
//! happened, so the next apply destroys it.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use serde_json::Value;
use skel_plan_ir::{InstanceAddr, InstanceStatus, ResourceInstanceState, State};

use crate::journal::{JournalAction, JournalEntry, JournalIntent, Outcome, PendingJournal};

/// One step of a recovery, for one journaled intent.
#[derive(Clone, PartialEq, Debug)]
pub enum Recovery {
    /// The call finished and its result was journaled but is not in state: apply it. No
    /// provider call needed.
    Apply {
        intent: JournalIntent,
        /// The object after the call; `None` when it no longer exists.
        object: Option<Value>,
        /// Recorded as tainted (see [`Outcome::Ok`]).
        tainted: bool,
        /// The provider's private data of the object (base64), as journaled.
        private: Option<String>,
    },
    /// A create may or may not have happened. Ask
    /// `Provider::recover(addr.resource.type_name, intent.planned, addr.to_string())` and pass
    /// its answer (`Some(object)` or `None`) to [`apply_recovered`] under `intent.seq`.
    RecoverCreate { intent: JournalIntent },
    /// An update or delete may or may not have happened. Ask
    /// `Provider::read(addr.resource.type_name, intent.prior)` and pass its answer to
    /// [`apply_recovered`] under `intent.seq`. With `intent.deposed` the object is a deposed
    /// one: without an answer it simply stays deposed (the next apply deletes it).
    ReadBack { intent: JournalIntent },
    /// The delete of a deposed object finished: drop it from the instance's `deposed` list. No
    /// provider call needed.
    DropDeposed { intent: JournalIntent },
}

impl Recovery {
    pub fn intent(&self) -> &JournalIntent {
        match self {
            Recovery::Apply { intent, .. }
            | Recovery::RecoverCreate { intent }
            | Recovery::ReadBack { intent }
            | Recovery::DropDeposed { intent } => intent,
        }
    }

    pub fn seq(&self) -> u64 {
        self.intent().seq
    }

    pub fn addr(&self) -> &InstanceAddr {
        &self.intent().addr
    }

    /// Whether the engine must ask the provider before [`apply_recovered`].
    pub fn needs_provider(&self) -> bool {
        matches!(
            self,
            Recovery::RecoverCreate { .. } | Recovery::ReadBack { .. }
        )
    }
}

/// What to do about `pending`, given the state as currently on disk. Pure: no provider calls,
/// no IO. The steps come in journal sequence order.
///
/// Results recorded before the run's last checkpoint are already in state (when the state's
/// serial has reached that checkpoint) and are skipped; every later result is applied. A call
/// that failed or has no result is checked through the provider. Data source reads without a
/// result need nothing (they have no side effects). Applying a result twice gives the same
/// state, so a recovery that itself crashes can simply run again.
pub fn reconcile_plan(pending: &PendingJournal, state: &State) -> Vec<Recovery> {
    let mut results = HashMap::new();
    let mut applied_before = 0;
    for (position, entry) in pending.entries.iter().enumerate() {
        match entry {
            JournalEntry::Result(result) => {
                results.insert(result.seq, (position, &result.outcome));
            }
            JournalEntry::Checkpoint { serial } if state.serial >= *serial => {
                applied_before = position;
            }
            _ => {}
        }
    }
    let mut intents: Vec<&JournalIntent> = pending.intents().collect();
    intents.sort_by_key(|intent| intent.seq);

    let mut steps = Vec::new();
    for intent in intents {
        let result = results.get(&intent.seq).copied();
        if result.is_some_and(|(position, _)| position < applied_before) {
            continue;
        }
        let intent = intent.clone();
        let step = match (result.map(|(_, outcome)| outcome), intent.action) {
            (Some(Outcome::Ok { .. }), JournalAction::Delete) if intent.deposed => {
                Some(Recovery::DropDeposed { intent })
            }
            (
                Some(Outcome::Ok {
                    new_state,
                    tainted,
                    private,
                }),
                _,
            ) => Some(Recovery::Apply {
                object: new_state.clone(),
                tainted: *tainted,
                private: private.clone(),
                intent,
            }),
            (_, JournalAction::Read) => None,
            (_, JournalAction::Create) => Some(Recovery::RecoverCreate { intent }),
            (_, JournalAction::Update | JournalAction::Delete) => {
                Some(Recovery::ReadBack { intent })
            }
        };
        steps.extend(step);
    }
    steps
}

/// One line of "what was recovered", naming the address and action, never a value.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct RecoveryNote {
    pub addr: InstanceAddr,
    pub action: JournalAction,
    pub message: String,
}

impl fmt::Display for RecoveryNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.addr, self.message)
    }
}

/// An object that may still exist but could not be recorded in state (a deposed object of an
/// instance no longer in state): the engine must destroy it or tell the user.
#[derive(Clone, PartialEq, Debug)]
pub struct DeposedObject {
    pub addr: InstanceAddr,
    pub provider: String,
    pub object: Value,
}

#[derive(Clone, PartialEq, Debug, Default)]
pub struct RecoveryReport {
    /// What was recovered, one note per step, for the user.
    pub notes: Vec<RecoveryNote>,
    /// Objects that may exist but have no place in state; normally empty.
    pub orphaned: Vec<DeposedObject>,
    /// Steps that needed a provider answer the engine did not give: their state was left as it
    /// was, and the journal must be kept until they are resolved.
    pub unresolved: Vec<InstanceAddr>,
    /// Interrupted creates whose provider cannot tell whether they made an object: recorded as
    /// not made (the next apply creates the instance); an object one made, if any, is outside
    /// state, and the user must be told.
    pub unverified: Vec<UnverifiedCreate>,
}

/// An interrupted create its provider cannot look for ([`apply_recovered_with`]'s
/// `cannot_tell`): it is recorded as not made, and an object it made, if any, is outside state.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct UnverifiedCreate {
    pub addr: InstanceAddr,
    /// The provider's state key.
    pub provider: String,
    /// Why the provider cannot tell, in its words.
    pub reason: String,
}

impl RecoveryReport {
    /// Every step was resolved: the state can be written and the journal discarded.
    pub fn is_complete(&self) -> bool {
        self.unresolved.is_empty()
    }
}

/// Fold a recovery into `state`. `answers` holds the provider's answer for each step that
/// [`needs_provider`](Recovery::needs_provider), keyed by [`Recovery::seq`]: `Some(object)` when
/// the object exists, `None` when it does not.
pub fn apply_recovered(
    state: &mut State,
    plan: &[Recovery],
    answers: &BTreeMap<u64, Option<Value>>,
) -> RecoveryReport {
    apply_recovered_with(state, plan, answers, &BTreeMap::new())
}

/// [`apply_recovered`], where `cannot_tell` holds, by [`Recovery::seq`], the
/// [`Recovery::RecoverCreate`] steps whose provider answered that it has no way to tell whether
/// the create made an object, with its reason. Such a create is resolved as not made (the
/// journal can go, the next apply creates the instance) and listed in
/// [`RecoveryReport::unverified`].
pub fn apply_recovered_with(
    state: &mut State,
    plan: &[Recovery],
    answers: &BTreeMap<u64, Option<Value>>,
    cannot_tell: &BTreeMap<u64, String>,
) -> RecoveryReport {
    let mut report = RecoveryReport::default();
    let mut unresolved = BTreeSet::new();
    for step in plan {
        let intent = step.intent();
        let verb = intent.action.as_str();
        let answer = answers.get(&intent.seq);
        let message = match step {
            Recovery::Apply {
                object: Some(object),
                tainted,
                private,
                ..
            } => {
                upsert(state, intent, object.clone());
                if let Some(entry) = state.resources.get_mut(&intent.addr) {
                    entry.private = private.clone();
                    entry.status = if *tainted {
                        InstanceStatus::Tainted
                    } else {
                        InstanceStatus::Ready
                    };
                }
                if *tainted {
                    format!(
                        "the {verb} had made the object before the interruption but it was not \
                         complete (not ready, or provisioners not run); it is in state as \
                         tainted and will be replaced on the next apply"
                    )
                } else {
                    format!(
                        "the {verb} had finished before the interruption; its result is now in \
                         state"
                    )
                }
            }
            Recovery::Apply { object: None, .. } => {
                state.resources.remove(&intent.addr);
                format!(
                    "the {verb} had finished before the interruption; the object is gone and was \
                     removed from state"
                )
            }
            Recovery::RecoverCreate { .. } => match answer {
                Some(Some(object)) if intent.provisioners => {
                    upsert(state, intent, object.clone());
                    if let Some(entry) = state.resources.get_mut(&intent.addr) {
                        entry.status = InstanceStatus::Tainted;
                    }
                    "the create was interrupted; the provider found the object it made, but its \
                     creation provisioners did not run to the end: it is in state as tainted and \
                     will be replaced on the next apply"
                        .to_string()
                }
                Some(Some(object)) => {
                    upsert(state, intent, object.clone());
                    if let Some(entry) = state.resources.get_mut(&intent.addr) {
                        entry.status = InstanceStatus::Ready;
                    }
                    "the create was interrupted; the provider found the object it made, now in \
                     state"
                        .to_string()
                }
                Some(None) => {
                    "the create was interrupted before it made anything; nothing to recover"
                        .to_string()
                }
                None => match cannot_tell.get(&intent.seq) {
                    Some(reason) => {
                        report.unverified.push(UnverifiedCreate {
                            addr: intent.addr.clone(),
                            provider: intent.provider.clone(),
                            reason: reason.clone(),
                        });
                        "the create was interrupted and the provider cannot tell whether it made \
                         an object; it is recorded as not created, and the next apply creates it"
                            .to_string()
                    }
                    None => {
                        unresolved.insert(intent.addr.clone());
                        "the create was interrupted and the provider was not asked whether it \
                         made the object; state left as it was"
                            .to_string()
                    }
                },
            },
            Recovery::ReadBack { .. } if intent.deposed => match answer {
                Some(None) => {
                    drop_deposed(state, intent);
                    "the delete of a deposed object was interrupted; the object is gone".to_string()
                }
                Some(Some(object)) => {
                    keep_deposed(state, intent, Some(object.clone()), &mut report);
                    "the delete of a deposed object was interrupted; it still exists and stays \
                     deposed, to be destroyed by the next apply"
                        .to_string()
                }
                None => {
                    keep_deposed(state, intent, None, &mut report);
                    "the delete of a deposed object was interrupted; it stays deposed, to be \
                     destroyed by the next apply"
                        .to_string()
                }
            },
            Recovery::ReadBack { .. } => match answer {
                Some(Some(object)) => {
                    upsert(state, intent, object.clone());
                    format!("the {verb} was interrupted; the object was read back into state")
                }
                Some(None) => {
                    state.resources.remove(&intent.addr);
                    format!(
                        "the {verb} was interrupted; the object no longer exists and was removed \
                         from state"
                    )
                }
                None => {
                    unresolved.insert(intent.addr.clone());
                    format!(
                        "the {verb} was interrupted and the object was not read back; state left \
                         as it was"
                    )
                }
            },
            Recovery::DropDeposed { .. } => {
                drop_deposed(state, intent);
                "the delete of a deposed object had finished before the interruption".to_string()
            }
        };
        report.notes.push(RecoveryNote {
            addr: intent.addr.clone(),
            action: intent.action,
            message,
        });
    }
    report.unresolved = unresolved.into_iter().collect();
    report
}

/// The paths of the strings of `object` that repeat a string at one of `sensitive` (a
/// computed copy of a sensitive argument, as `tags_all` of `tags`): a recovered object records
/// them as sensitive too, as the engine does for the objects it applies
/// (`skel_runtime`'s `marks::mark_echoes`). A string repeats a secret when it equals it (3
/// characters or more) or contains it (6 or more).
fn echo_paths(object: &Value, sensitive: &[Vec<String>]) -> Vec<Vec<String>> {
    fn at<'a>(value: &'a Value, path: &[String]) -> Option<&'a Value> {
        path.iter().try_fold(value, |v, step| match v {
            Value::Object(m) => m.get(step),
            Value::Array(a) => step.parse::<usize>().ok().and_then(|i| a.get(i)),
            _ => None,
        })
    }
    fn strings(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::String(s) if s.chars().count() >= 3 => out.push(s.clone()),
            Value::Array(a) => a.iter().for_each(|v| strings(v, out)),
            Value::Object(m) => m.values().for_each(|v| strings(v, out)),
            _ => {}
        }
    }
    fn walk(value: &Value, path: &mut Vec<String>, secrets: &[String], out: &mut Vec<Vec<String>>) {
        match value {
            Value::String(text) => {
                let echoes = secrets
                    .iter()
                    .any(|s| text == s || (s.chars().count() >= 6 && text.contains(s.as_str())));
                if echoes {
                    out.push(path.clone());
                }
            }
            Value::Array(a) => {
                for (i, v) in a.iter().enumerate() {
                    path.push(i.to_string());
                    walk(v, path, secrets, out);
                    path.pop();
                }
            }
            Value::Object(m) => {
                for (k, v) in m {
                    path.push(k.clone());
                    walk(v, path, secrets, out);
                    path.pop();
                }
            }
            _ => {}
        }
    }
    let mut secrets = Vec::new();
    for path in sensitive {
        if let Some(v) = at(object, path) {
            strings(v, &mut secrets);
        }
    }
    if secrets.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    walk(object, &mut Vec::new(), &secrets, &mut out);
    // Paths inside a sensitive one are covered by it.
    out.retain(|p| !sensitive.iter().any(|s| p.starts_with(s)));
    out
}

/// Put `object` in state as the instance's current object, keeping its deposed objects and
/// adding the replaced one for a create-before-destroy create.
fn upsert(state: &mut State, intent: &JournalIntent, object: Value) {
    let replaced = match (intent.action, intent.deposed, &intent.prior) {
        (JournalAction::Create, true, Some(prior)) => Some(prior.clone()),
        _ => None,
    };
    let entry = state
        .resources
        .entry(intent.addr.clone())
        .or_insert_with(|| ResourceInstanceState {
            provider: intent.provider.clone(),
            attributes: Value::Null,
            sensitive_paths: Vec::new(),
            dependencies: Vec::new(),
            create_before_destroy: false,
            status: InstanceStatus::Ready,
            deposed: Vec::new(),
            private: None,
            schema_version: None,
        });
    entry.attributes = object;
    entry.provider = intent.provider.clone();
    if !intent.sensitive_paths.is_empty() {
        entry.sensitive_paths = intent.sensitive_paths.clone();
    }
    for path in echo_paths(&entry.attributes, &entry.sensitive_paths) {
        if !entry.sensitive_paths.contains(&path) {
            entry.sensitive_paths.push(path);
        }
    }
    if !intent.dependencies.is_empty() {
        entry.dependencies = intent.dependencies.clone();
    }
    if let Some(old) = replaced {
        entry.create_before_destroy = true;
        if !entry.deposed.contains(&old) {
            entry.deposed.push(old);
        }
    }
}

fn drop_deposed(state: &mut State, intent: &JournalIntent) {
    if let (Some(entry), Some(old)) = (state.resources.get_mut(&intent.addr), &intent.prior) {
        entry.deposed.retain(|deposed| deposed != old);
    }
}

/// Keep the deposed object `intent.prior` (refreshed to `read` when given) in state.
fn keep_deposed(
    state: &mut State,
    intent: &JournalIntent,
    read: Option<Value>,
    report: &mut RecoveryReport,
) {
    let Some(old) = intent.prior.clone() else {
        return;
    };
    let object = read.unwrap_or_else(|| old.clone());
    match state.resources.get_mut(&intent.addr) {
        Some(entry) => match entry.deposed.iter_mut().find(|d| **d == old) {
            Some(slot) => *slot = object,
            None => entry.deposed.push(object),
        },
        None => report.orphaned.push(DeposedObject {
            addr: intent.addr.clone(),
            provider: intent.provider.clone(),
            object,
        }),
    }
}

impl PendingJournal {
    /// Whether this journal belongs to `state` (same lineage). A journal of another lineage
    /// must not be applied to it.
    pub fn matches(&self, state: &State) -> bool {
        self.begin
            .as_ref()
            .is_none_or(|begin| begin.lineage == state.lineage)
    }
}

#[cfg(test)]
mod tests {
    use super::echo_paths;

    #[test]
    fn copies_of_sensitive_strings_are_found_at_their_paths() {
        let object = serde_json::json!({
            "tags": { "Key": "QmFzZTY0c2VjcmV0", "Name": "web" },
            "tags_all": { "Key": "QmFzZTY0c2VjcmV0", "Name": "web" },
            "arn": "arn:aws:ec2:::vpc/QmFzZTY0c2VjcmV0",
            "list": ["x", "QmFzZTY0c2VjcmV0"],
            "id": "vpc-1"
        });
        let sensitive = vec![vec!["tags".to_string(), "Key".to_string()]];
        let mut found = echo_paths(&object, &sensitive);
        found.sort();
        let path = |p: &[&str]| p.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            found,
            vec![
                path(&["arn"]),
                path(&["list", "1"]),
                path(&["tags_all", "Key"])
            ]
        );
        assert!(echo_paths(&object, &[]).is_empty());
    }
}
