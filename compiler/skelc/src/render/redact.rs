//! Redaction of sensitive values in everything skelc prints: plan output, progress lines,
//! provisioner output and error messages.
//!
//! skel does not (yet) carry sensitivity marks through every evaluation, so it redacts by
//! value: any printed string containing the value of a sensitive variable or of a sensitive
//! attribute is replaced. This over-redacts rather than leaks.

use std::collections::BTreeSet;

use skel_plan_ir::{ChangeSet, Config, ResourceInstanceState, State};
use skel_value::Value;

#[derive(Default, Clone)]
pub struct Redactor {
    secrets: BTreeSet<String>,
}

impl Redactor {
    /// Secrets from sensitive root variables, sensitive attributes in state and in the plan.
    pub fn new(
        config: &Config,
        variables: &std::collections::BTreeMap<String, Value>,
        state: Option<&State>,
        changes: Option<&ChangeSet>,
    ) -> Redactor {
        let mut r = Redactor::default();
        for var in &config.root().variables {
            if var.sensitive {
                if let Some(v) = variables.get(&var.name).or(var.default.as_ref()) {
                    r.add_value(v);
                }
            }
        }
        if let Some(state) = state {
            for instance in state.resources.values() {
                for path in &instance.sensitive_paths {
                    if let Some(v) = path.iter().try_fold(&instance.attributes, |v, k| v.get(k)) {
                        r.add_value(&Value::from_json(v));
                    }
                }
            }
            for output in state.outputs.values().filter(|o| o.sensitive) {
                r.add_value(&Value::from_json(&output.value));
            }
        }
        if let Some(changes) = changes {
            for c in &changes.changes {
                for path in &c.sensitive_paths {
                    if let Some(v) = c.planned.as_ref().and_then(|p| {
                        path.iter()
                            .try_fold(p, |v, k| v.as_mapping().and_then(|m| m.get(k)))
                    }) {
                        r.add_value(v);
                    }
                }
            }
        }
        r
    }

    pub fn add_value(&mut self, value: &Value) {
        match value {
            Value::String(s) if !s.is_empty() => {
                self.secrets.insert(s.clone());
            }
            Value::Number(n) => {
                self.secrets.insert(n.to_string());
            }
            Value::List(v) | Value::Set(v) | Value::Tuple(v) => {
                v.iter().for_each(|e| self.add_value(e))
            }
            Value::Map(m) | Value::Object(m) => m.values().for_each(|e| self.add_value(e)),
            _ => {}
        }
    }

    /// The top-level attributes of `instance` that hold a secret but are not yet among its
    /// `sensitive_paths`.
    fn unmarked<'a>(
        &'a self,
        instance: &'a ResourceInstanceState,
    ) -> impl Iterator<Item = &'a String> + 'a {
        let attributes = instance
            .attributes
            .as_object()
            .filter(|_| !self.secrets.is_empty());
        attributes
            .into_iter()
            .flatten()
            .filter_map(move |(name, value)| {
                let marked = instance
                    .sensitive_paths
                    .iter()
                    .any(|p| p.len() == 1 && &p[0] == name);
                (!marked && self.json_has_secret(value)).then_some(name)
            })
    }

    /// Whether [`Redactor::mark_state`] would mark anything in `state`.
    pub fn marks(&self, state: &State) -> bool {
        state
            .resources
            .values()
            .any(|instance| self.unmarked(instance).next().is_some())
    }

    /// Record, in each instance's `sensitive_paths`, the top-level attributes whose values hold
    /// a secret, so later reads of state (`skelc state show`, plans) keep them redacted even
    /// without the variable values that made them.
    pub fn mark_state(&self, state: &mut State) {
        for instance in state.resources.values_mut() {
            let names: Vec<String> = self.unmarked(instance).cloned().collect();
            instance
                .sensitive_paths
                .extend(names.into_iter().map(|name| vec![name]));
        }
    }

    fn json_has_secret(&self, value: &serde_json::Value) -> bool {
        match value {
            serde_json::Value::String(s) => self.is_secret(s),
            serde_json::Value::Array(a) => a.iter().any(|v| self.json_has_secret(v)),
            serde_json::Value::Object(m) => m.values().any(|v| self.json_has_secret(v)),
            _ => false,
        }
    }

    pub fn is_secret(&self, text: &str) -> bool {
        self.secrets.iter().any(|s| text.contains(s.as_str()))
    }

    /// `text` with every secret replaced by `(sensitive value)`.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        // Longest first, so a secret containing another is replaced whole.
        let mut secrets: Vec<&String> = self.secrets.iter().collect();
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        for s in secrets {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), "(sensitive value)");
            }
        }
        out
    }
}
