//! Change sets: one action per resource instance, what a plan shows and an apply executes.

use serde::{Deserialize, Serialize};
use skel_value::Value;

use crate::InstanceAddr;

/// What happens to one resource instance (OpenTofu's `plans.Action`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    NoOp,
    Create,
    /// A data source read during apply (its configuration depends on unknown values).
    Read,
    Update,
    DeleteThenCreate,
    CreateThenDelete,
    Delete,
}

impl Action {
    /// The marker shown in plan output.
    pub fn symbol(self) -> &'static str {
        match self {
            Action::NoOp => " ",
            Action::Create => "+",
            Action::Read => "<=",
            Action::Update => "~",
            Action::DeleteThenCreate => "-/+",
            Action::CreateThenDelete => "+/-",
            Action::Delete => "-",
        }
    }

    pub fn is_replace(self) -> bool {
        matches!(self, Action::DeleteThenCreate | Action::CreateThenDelete)
    }
}

#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct ResourceChange {
    pub addr: InstanceAddr,
    pub action: Action,
    /// The provider configuration, as recorded in state.
    pub provider: String,
    /// The prior state's attributes (`None` for a create, and for a no-op, whose prior
    /// attributes are its `planned` value).
    pub prior: Option<serde_json::Value>,
    /// The planned new value, with unknowns for what only apply can tell (`None` for a delete).
    pub planned: Option<Value>,
    /// Attribute paths whose change forces the replacement.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requires_replace: Vec<Vec<String>>,
    /// Why, when it is not obvious: "no longer in configuration", "tainted", "replace_triggered_by".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Paths of the parts of `planned` that are sensitive (redacted when shown): attributes the
    /// schema marks sensitive, and every part whose configuration was derived from a sensitive
    /// value (list indexes as decimal numbers: `["tags", "0"]`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sensitive_paths: Vec<Vec<String>>,
    /// The same for `prior` (the paths state recorded for it).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prior_sensitive_paths: Vec<Vec<String>>,
    /// A delete of a deposed object (an old object left by an interrupted
    /// create-before-destroy replacement), not of the instance's current object.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deposed: bool,
    /// Instances this one depends on (applied first; destroyed after).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<InstanceAddr>,
    /// Its address in the prior state, when a `moved` block moved it: apply records it at
    /// `addr` from now on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moved_from: Option<InstanceAddr>,
    /// The id an `import` block imports it by: not in the prior state, read from the
    /// provider while planning, and written to state by apply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imported_from: Option<String>,
}

#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct OutputChange {
    pub name: String,
    pub before: Option<serde_json::Value>,
    /// `Unknown` when known only after apply. Without marks: `sensitive` says whether it is
    /// shown.
    pub after: Option<Value>,
    /// Declared `sensitive = true`, or its value derives from a sensitive value.
    pub sensitive: bool,
}

/// The result of planning: every instance's action, planned against one state version.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct ChangeSet {
    /// The serial and lineage of the state this was planned against; applying a saved plan
    /// refuses when the state has moved on.
    pub state_serial: u64,
    pub state_lineage: String,
    pub changes: Vec<ResourceChange>,
    pub outputs: Vec<OutputChange>,
    /// A destroy plan (`skelc destroy`).
    #[serde(default)]
    pub destroy: bool,
    /// Instances a `removed` block with `destroy = false` takes out of state, leaving the
    /// objects as they are.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub forgotten: Vec<InstanceAddr>,
    /// `-target` addresses: the plan covers only them and what they depend on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<String>,
    /// `-replace` addresses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replace: Vec<InstanceAddr>,
}

impl ChangeSet {
    /// (to add, to change, to destroy), counting a replacement as one add and one destroy.
    pub fn summary(&self) -> (usize, usize, usize) {
        let mut counts = (0, 0, 0);
        for c in &self.changes {
            match c.action {
                Action::Create => counts.0 += 1,
                Action::Update => counts.1 += 1,
                Action::Delete => counts.2 += 1,
                Action::DeleteThenCreate | Action::CreateThenDelete => {
                    counts.0 += 1;
                    counts.2 += 1;
                }
                Action::NoOp | Action::Read => {}
            }
        }
        counts
    }

    /// Whether applying it edits state without any provider call: moves, forgets, imports.
    pub fn edits_state(&self) -> bool {
        !self.forgotten.is_empty()
            || self
                .changes
                .iter()
                .any(|c| c.moved_from.is_some() || c.imported_from.is_some())
    }

    /// How many instances `import` blocks import.
    pub fn imports(&self) -> usize {
        self.changes
            .iter()
            .filter(|c| c.imported_from.is_some())
            .count()
    }

    pub fn has_changes(&self) -> bool {
        self.edits_state()
            || self
                .changes
                .iter()
                .any(|c| !matches!(c.action, Action::NoOp | Action::Read))
            || self
                .outputs
                .iter()
                .any(|o| o.before.as_ref() != o.after.as_ref().map(Value::to_json).as_ref())
    }
}
