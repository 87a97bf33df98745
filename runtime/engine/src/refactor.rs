//! `moved` and `removed` blocks applied to the prior state before planning, as Terraform does:
//! each instance follows the chain of moves that match it (a block in a module matches the
//! instances of every instance of that module), then `removed` blocks with `destroy = false`
//! take theirs out of state. The result is what the plan compares against and what apply
//! starts from; the change set records both, so apply writes them as one state edit.

use std::collections::{BTreeMap, BTreeSet};

use skel_plan_ir::{
    AddrPattern, Config, InstanceAddr, InstanceKey, ModuleId, ModuleInstance, ResourceMode, State,
};

/// What refactoring did to the state: new address → old address, and the forgotten instances.
#[derive(Debug, Default)]
pub(crate) struct Refactored {
    pub moved_from: BTreeMap<InstanceAddr, InstanceAddr>,
    pub forgotten: Vec<InstanceAddr>,
}

/// The module (configuration) a path of module calls from the root leads to, if it exists.
fn module_at(config: &Config, path: &[(String, InstanceKey)]) -> Option<ModuleId> {
    let mut id = Config::ROOT;
    for (name, _) in path {
        id = config.modules[id]
            .module_calls
            .iter()
            .find(|c| &c.name == name)?
            .module;
    }
    Some(id)
}

/// Where a move sends `addr`, if `from` (declared in the module instance the first `prefix`
/// steps of its module path lead to) matches it.
fn moved(
    from: &AddrPattern,
    to: &AddrPattern,
    addr: &InstanceAddr,
    prefix: usize,
) -> Option<InstanceAddr> {
    if addr.resource.mode != ResourceMode::Managed {
        return None;
    }
    let path = &addr.resource.module.0;
    let rel = &path[prefix..];
    // The key an instance gets: a written key is replaced by the other side's; with no key on
    // either side the instance keeps its own.
    let rekey = |have: &InstanceKey, want_from: &InstanceKey, want_to: &InstanceKey| match (
        want_from.is_none(),
        want_to.is_none(),
    ) {
        (true, true) => Some(have.clone()),
        _ if have == want_from => Some(want_to.clone()),
        _ => None,
    };
    let mut out = addr.clone();
    let base: Vec<(String, InstanceKey)> = path[..prefix].to_vec();
    match (&from.resource, &to.resource) {
        (Some((ft, fname, fkey)), Some((tt, tname, tkey))) => {
            if rel != from.modules.as_slice()
                || &addr.resource.type_name != ft
                || &addr.resource.name != fname
            {
                return None;
            }
            out.key = rekey(&addr.key, fkey, tkey)?;
            out.resource.module =
                ModuleInstance(base.into_iter().chain(to.modules.clone()).collect());
            out.resource.type_name = tt.clone();
            out.resource.name = tname.clone();
        }
        (None, None) => {
            let (n, m) = (from.modules.len(), to.modules.len());
            if n == 0 || m == 0 || rel.len() < n || rel[..n - 1] != from.modules[..n - 1] {
                return None;
            }
            let (fname, fkey) = &from.modules[n - 1];
            let (have_name, have_key) = &rel[n - 1];
            if have_name != fname {
                return None;
            }
            let (tname, tkey) = &to.modules[m - 1];
            let key = rekey(have_key, fkey, tkey)?;
            let mut module = base;
            module.extend(to.modules[..m - 1].iter().cloned());
            module.push((tname.clone(), key));
            module.extend(rel[n..].iter().cloned());
            out.resource.module = ModuleInstance(module);
        }
        _ => return None,
    }
    Some(out)
}

/// Whether `from` of a `removed` block names `addr` (module keys and instance keys aside).
fn removed(from: &AddrPattern, addr: &InstanceAddr, prefix: usize) -> bool {
    if addr.resource.mode != ResourceMode::Managed {
        return false;
    }
    let rel = &addr.resource.module.0[prefix..];
    let names_match = |n: usize| {
        rel.len() >= n
            && rel[..n]
                .iter()
                .zip(&from.modules)
                .all(|((a, _), (b, _))| a == b)
    };
    match &from.resource {
        Some((t, name, _)) => {
            rel.len() == from.modules.len()
                && names_match(from.modules.len())
                && &addr.resource.type_name == t
                && &addr.resource.name == name
        }
        None => names_match(from.modules.len()),
    }
}

/// Apply the configuration's `moved` and `removed` blocks to `state`.
pub(crate) fn apply(config: &Config, state: &mut State) -> Refactored {
    let mut done = Refactored::default();
    let has_moves = config.modules.iter().any(|m| !m.moved.is_empty());
    let has_removed = config
        .modules
        .iter()
        .any(|m| m.removed.iter().any(|r| !r.destroy));
    if !has_moves && !has_removed {
        return done;
    }
    let addrs: Vec<InstanceAddr> = state.resources.keys().cloned().collect();
    if has_moves {
        let mut taken: BTreeSet<InstanceAddr> = state.resources.keys().cloned().collect();
        let statements: usize = config.modules.iter().map(|m| m.moved.len()).sum();
        let mut renames = Vec::new();
        for addr in &addrs {
            let mut current = addr.clone();
            // A chain visits each statement at most once (cycles are refused by the checker).
            'chain: for _ in 0..statements {
                let path_len = current.resource.module.0.len();
                for prefix in 0..=path_len {
                    let Some(id) = module_at(config, &current.resource.module.0[..prefix]) else {
                        continue;
                    };
                    for m in &config.modules[id].moved {
                        if let Some(next) = moved(&m.from, &m.to, &current, prefix) {
                            current = next;
                            continue 'chain;
                        }
                    }
                }
                break;
            }
            // An object already at the destination stays; the moved one is left where it
            // was (Terraform does the same), to be planned as any other.
            if current != *addr && !taken.contains(&current) {
                taken.insert(current.clone());
                renames.push((addr.clone(), current));
            }
        }
        for (old, new) in &renames {
            if let Some(instance) = state.resources.remove(old) {
                state.resources.insert(new.clone(), instance);
            }
            done.moved_from.insert(new.clone(), old.clone());
        }
        // Dependencies recorded by address follow the objects they name.
        let renamed: BTreeMap<String, String> = renames
            .iter()
            .map(|(old, new)| (old.to_string(), new.to_string()))
            .collect();
        for instance in state.resources.values_mut() {
            for dep in &mut instance.dependencies {
                if let Some(new) = renamed.get(dep.as_str()) {
                    *dep = new.clone();
                }
            }
        }
    }
    if has_removed {
        let addrs: Vec<InstanceAddr> = state.resources.keys().cloned().collect();
        for addr in addrs {
            let path_len = addr.resource.module.0.len();
            let forget = (0..=path_len).any(|prefix| {
                module_at(config, &addr.resource.module.0[..prefix]).is_some_and(|id| {
                    config.modules[id]
                        .removed
                        .iter()
                        .any(|r| !r.destroy && removed(&r.from, &addr, prefix))
                })
            });
            if forget {
                state.resources.remove(&addr);
                done.moved_from.remove(&addr);
                done.forgotten.push(addr);
            }
        }
    }
    done
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(text: &str) -> InstanceAddr {
        text.parse().expect("an address")
    }

    fn pattern(
        modules: &[(&str, InstanceKey)],
        resource: Option<(&str, &str, InstanceKey)>,
    ) -> AddrPattern {
        AddrPattern {
            modules: modules
                .iter()
                .map(|(n, k)| (n.to_string(), k.clone()))
                .collect(),
            resource: resource.map(|(t, n, k)| (t.to_string(), n.to_string(), k)),
        }
    }

    #[test]
    fn resource_moves_keep_or_replace_keys() {
        let from = pattern(&[], Some(("null_resource", "a", InstanceKey::None)));
        let to = pattern(&[], Some(("null_resource", "b", InstanceKey::None)));
        assert_eq!(
            moved(&from, &to, &addr("null_resource.a[3]"), 0),
            Some(addr("null_resource.b[3]"))
        );
        let from = pattern(&[], Some(("null_resource", "a", InstanceKey::Int(0))));
        let to = pattern(
            &[],
            Some(("null_resource", "a", InstanceKey::Str("x".into()))),
        );
        assert_eq!(
            moved(&from, &to, &addr("null_resource.a[0]"), 0),
            Some(addr("null_resource.a[\"x\"]"))
        );
        assert_eq!(moved(&from, &to, &addr("null_resource.a[1]"), 0), None);
        // An unkeyed object becomes an instance.
        let from = pattern(&[], Some(("null_resource", "a", InstanceKey::None)));
        let to = pattern(&[], Some(("null_resource", "a", InstanceKey::Int(0))));
        assert_eq!(
            moved(&from, &to, &addr("null_resource.a"), 0),
            Some(addr("null_resource.a[0]"))
        );
        assert_eq!(moved(&from, &to, &addr("null_resource.a[1]"), 0), None);
    }

    #[test]
    fn module_moves_carry_everything_inside() {
        let from = pattern(&[("a", InstanceKey::None)], None);
        let to = pattern(&[("b", InstanceKey::None)], None);
        assert_eq!(
            moved(
                &from,
                &to,
                &addr("module.a[\"k\"].module.c.null_resource.x"),
                0
            ),
            Some(addr("module.b[\"k\"].module.c.null_resource.x"))
        );
        assert_eq!(
            moved(&from, &to, &addr("module.ab.null_resource.x"), 0),
            None
        );
        // Declared in module `p`: relative to its instances.
        assert_eq!(
            moved(&from, &to, &addr("module.p[1].module.a.null_resource.x"), 1),
            Some(addr("module.p[1].module.b.null_resource.x"))
        );
    }

    #[test]
    fn removed_matches_whole_resources_and_modules() {
        let from = pattern(&[], Some(("local_file", "f", InstanceKey::None)));
        assert!(removed(&from, &addr("local_file.f[2]"), 0));
        assert!(!removed(&from, &addr("local_file.g"), 0));
        assert!(!removed(&from, &addr("module.m.local_file.f"), 0));
        let from = pattern(&[("m", InstanceKey::None)], None);
        assert!(removed(&from, &addr("module.m[0].local_file.f"), 0));
    }
}
