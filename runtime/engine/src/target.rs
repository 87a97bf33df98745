//! `-target`: a plan narrowed to some addresses and what they depend on (for a destroy, what
//! depends on them), as Terraform's resource targeting.

use std::collections::BTreeSet;

use skel_plan_ir::{InstanceAddr, ResourceChange};

use crate::plan::Planner;
use crate::EngineError;

/// Whether `target` (a resource, an instance or a module call, as text) names `addr`.
pub(crate) fn names(target: &str, addr: &InstanceAddr) -> bool {
    let text = addr.to_string();
    match text.strip_prefix(target) {
        Some(rest) => rest.is_empty() || rest.starts_with('[') || rest.starts_with('.'),
        None => false,
    }
}

/// The changes the targets select, with what they depend on (what depends on them, to
/// destroy), in the order given.
pub(crate) fn select(
    changes: Vec<ResourceChange>,
    targets: &[String],
    destroy: bool,
) -> Vec<ResourceChange> {
    let mut keep: BTreeSet<InstanceAddr> = changes
        .iter()
        .filter(|c| targets.iter().any(|t| names(t, &c.addr)))
        .map(|c| c.addr.clone())
        .collect();
    loop {
        let before = keep.len();
        for c in &changes {
            if destroy {
                if c.dependencies.iter().any(|d| keep.contains(d)) {
                    keep.insert(c.addr.clone());
                }
            } else if keep.contains(&c.addr) {
                keep.extend(c.dependencies.iter().cloned());
            }
        }
        if keep.len() == before {
            break;
        }
    }
    changes
        .into_iter()
        .filter(|c| keep.contains(&c.addr))
        .collect()
}

impl Planner<'_> {
    /// Keep only what the targets select; imports outside them are not made.
    pub(crate) fn narrow(&mut self, targets: &[String], destroy: bool) {
        self.changes = select(std::mem::take(&mut self.changes), targets, destroy);
        let kept: BTreeSet<&InstanceAddr> = self.changes.iter().map(|c| &c.addr).collect();
        let dropped: Vec<InstanceAddr> = self
            .imported
            .keys()
            .filter(|a| !kept.contains(a))
            .cloned()
            .collect();
        for addr in dropped {
            self.imported.remove(&addr);
            self.prior.resources.remove(&addr);
        }
    }

    /// Every `-replace` address must name an instance this plan replaces.
    pub(crate) fn check_replace(&mut self) {
        for addr in &self.replace {
            let replaced = self
                .changes
                .iter()
                .any(|c| &c.addr == addr && c.action.is_replace() && !c.deposed);
            if !replaced {
                self.errors.push(
                    EngineError::new(format!(
                        "-replace: `{addr}` is not an object in state that the configuration declares"
                    ))
                    .with_help("give the address of a resource instance as `skelc state list` shows it"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_name_resources_instances_and_modules() {
        let a = |t: &str| t.parse::<InstanceAddr>().unwrap();
        assert!(names("null_resource.a", &a("null_resource.a")));
        assert!(names("null_resource.a", &a("null_resource.a[1]")));
        assert!(names("null_resource.a[1]", &a("null_resource.a[1]")));
        assert!(!names("null_resource.a", &a("null_resource.ab")));
        assert!(!names("null_resource.a[1]", &a("null_resource.a[10]")));
        assert!(names("module.m", &a("module.m[\"k\"].null_resource.x")));
        assert!(names("module.m", &a("module.m.null_resource.x")));
        assert!(!names("module.m", &a("module.mm.null_resource.x")));
    }
}
