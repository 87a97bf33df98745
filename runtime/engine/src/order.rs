//! The order of a module's nodes for planning: each after what it references.

use std::collections::{BTreeMap, BTreeSet};

use crate::world::NodeKey;
use crate::EngineError;

/// The nodes of a module in an order where every node comes after what it references.
pub(crate) fn topological_order(
    module: &skel_plan_ir::ModuleConfig,
) -> Result<Vec<NodeKey>, EngineError> {
    let mut nodes: Vec<(NodeKey, Vec<NodeKey>)> = Vec::new();
    let refs =
        |r: &[skel_plan_ir::Reference]| r.iter().map(NodeKey::from_reference).collect::<Vec<_>>();
    for v in &module.variables {
        nodes.push((NodeKey::Var(v.name.clone()), Vec::new()));
    }
    for l in &module.locals {
        nodes.push((NodeKey::Local(l.name.clone()), refs(&l.references)));
    }
    for r in &module.resources {
        nodes.push((
            NodeKey::Resource(r.mode, r.type_name.clone(), r.name.clone()),
            refs(&r.references),
        ));
    }
    for c in &module.module_calls {
        nodes.push((NodeKey::Call(c.name.clone()), refs(&c.references)));
    }
    for o in &module.outputs {
        nodes.push((NodeKey::Output(o.name.clone()), refs(&o.references)));
    }
    let known: BTreeSet<NodeKey> = nodes.iter().map(|(k, _)| k.clone()).collect();
    let mut indegree: BTreeMap<NodeKey, usize> = BTreeMap::new();
    let mut dependents: BTreeMap<NodeKey, Vec<NodeKey>> = BTreeMap::new();
    for (node, deps) in &nodes {
        let deps: BTreeSet<&NodeKey> = deps
            .iter()
            .filter(|d| known.contains(*d) && *d != node)
            .collect();
        indegree.insert(node.clone(), deps.len());
        for d in deps {
            dependents.entry(d.clone()).or_default().push(node.clone());
        }
    }
    // Kahn's algorithm, keeping source order among ready nodes.
    let position: BTreeMap<NodeKey, usize> = nodes
        .iter()
        .enumerate()
        .map(|(i, (k, _))| (k.clone(), i))
        .collect();
    let mut ready: BTreeSet<(usize, NodeKey)> = indegree
        .iter()
        .filter(|(_, d)| **d == 0)
        .map(|(k, _)| (position[k], k.clone()))
        .collect();
    let mut order = Vec::with_capacity(nodes.len());
    while let Some(first) = ready.iter().next().cloned() {
        ready.remove(&first);
        let node = first.1;
        for d in dependents.get(&node).cloned().unwrap_or_default() {
            let n = indegree.get_mut(&d).expect("known node");
            *n -= 1;
            if *n == 0 {
                ready.insert((position[&d], d));
            }
        }
        order.push(node);
    }
    if order.len() != nodes.len() {
        return Err(EngineError::new(format!(
            "the module in {} has a dependency cycle",
            module.dir.display()
        )));
    }
    Ok(order)
}
