//! Reference cycles between locals, resources, data sources and module calls of one module.

use std::collections::HashMap;
use std::sync::Arc;

use skel_db::{Code, Db, Diagnostic, Directory, Span};
use skel_hir::resolve::{self, Scopes, Target};
use skel_syntax::{Body, Expr, Item, TextRange};

#[derive(Clone, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
enum Node {
    Local(String),
    Resource(String, String),
    Data(String, String),
    Module(String),
}

impl Node {
    fn address(&self) -> String {
        match self {
            Node::Local(n) => format!("local.{n}"),
            Node::Resource(t, n) => format!("{t}.{n}"),
            Node::Data(t, n) => format!("data.{t}.{n}"),
            Node::Module(n) => format!("module.{n}"),
        }
    }
}

/// One diagnostic per reference cycle in the module in `dir`.
#[salsa::tracked(returns(clone))]
pub fn module_cycles(db: &dyn Db, dir: Directory) -> Arc<Vec<Diagnostic>> {
    let index = skel_hir::module_index(db, dir);
    let mut nodes: Vec<(Node, Span)> = Vec::new();
    let mut edges: HashMap<Node, Vec<Node>> = HashMap::new();
    // Where each definition first refers to each of its dependencies, for the labels.
    let mut first_ref: HashMap<(Node, Node), Span> = HashMap::new();
    let mut add = |node: Node,
                   span: Span,
                   item: skel_db::ItemRef,
                   refs: Vec<(Node, TextRange)>,
                   edges: &mut HashMap<Node, Vec<Node>>| {
        let mut deps: Vec<Node> = Vec::with_capacity(refs.len());
        for (dep, range) in refs {
            first_ref
                .entry((node.clone(), dep.clone()))
                .or_insert_with(|| item.span(range));
            deps.push(dep);
        }
        deps.sort();
        deps.dedup();
        edges.insert(node.clone(), deps);
        nodes.push((node, span));
    };
    for (name, def) in &index.locals {
        let Some(ast) = skel_db::item_ast(db, def.item.file, def.item.index) else {
            continue;
        };
        let Item::Block(block) = &*ast else { continue };
        if let Some(Item::Attribute(attr)) = block.body.items.get(def.attr as usize) {
            add(
                Node::Local(name.clone()),
                def.item.span(def.name_range),
                def.item,
                expr_refs(&attr.expr),
                &mut edges,
            );
        }
    }
    let blocks = index
        .resources
        .iter()
        .map(|((t, n), d)| (Node::Resource(t.clone(), n.clone()), d))
        .chain(
            index
                .data
                .iter()
                .map(|((t, n), d)| (Node::Data(t.clone(), n.clone()), d)),
        )
        .chain(
            index
                .modules
                .iter()
                .map(|(n, d)| (Node::Module(n.clone()), d)),
        );
    for (node, def) in blocks {
        let Some(ast) = skel_db::item_ast(db, def.item.file, def.item.index) else {
            continue;
        };
        let Item::Block(block) = &*ast else { continue };
        add(
            node,
            def.item.span(def.name_range),
            def.item,
            body_refs(&block.body),
            &mut edges,
        );
    }
    // Keep only edges to nodes that exist.
    let known: HashMap<Node, Span> = nodes.iter().cloned().collect();
    for deps in edges.values_mut() {
        deps.retain(|d| known.contains_key(d));
    }
    let mut reported: std::collections::HashSet<Node> = Default::default();
    let mut diagnostics = Vec::new();
    let components = strongly_connected(nodes.iter().map(|(n, _)| n), &edges);
    for (start, span) in &nodes {
        if reported.contains(start) {
            continue;
        }
        if let Some(path) = find_cycle(start, &edges, &components) {
            let chain = path
                .iter()
                .chain(std::iter::once(start))
                .map(Node::address)
                .collect::<Vec<_>>()
                .join(" → ");
            let mut d = Diagnostic::new(
                Code::ReferenceCycle,
                *span,
                if path.len() == 1 {
                    "Self-referential definition"
                } else {
                    "Reference cycle"
                },
            )
            .with_span_message(chain)
            .with_help("break the cycle: one of these must not depend on the others");
            // A label at each reference that makes a link of the cycle, the last one (back to
            // the start) closing it.
            let links = path
                .iter()
                .zip(path.iter().skip(1).chain(std::iter::once(start)));
            for (from, to) in links {
                if let Some(s) = first_ref.get(&(from.clone(), to.clone())) {
                    let message = if to == start {
                        format!(
                            "`{}` refers to `{}`, closing the cycle",
                            from.address(),
                            to.address()
                        )
                    } else {
                        format!("`{}` refers to `{}` here", from.address(), to.address())
                    };
                    d = d.with_label(*s, message);
                }
            }
            reported.extend(path);
            diagnostics.push(d);
        }
    }
    Arc::new(diagnostics)
}

/// The definitions the expressions of a body depend on: everything except provisioners and
/// connections (which run after the resource exists and may use `self`) and `lifecycle`.
fn body_refs(body: &Body) -> Vec<(Node, TextRange)> {
    let mut deps = Vec::new();
    let skip =
        |b: &skel_syntax::Block| resolve::binds_self(&b.ident.name) || b.ident.name == "lifecycle";
    resolve::walk_body_exprs(
        body,
        &mut Scopes::<()>::default(),
        &skip,
        &mut |e, scopes| deps.extend(reference_node(e, scopes).map(|n| (n, e.range))),
    );
    deps
}

/// The definitions an expression depends on, each with the range of the reference.
fn expr_refs(expr: &Expr) -> Vec<(Node, TextRange)> {
    let mut deps = Vec::new();
    resolve::walk_expr(expr, &mut Scopes::<()>::default(), &mut |e, scopes| {
        deps.extend(reference_node(e, scopes).map(|n| (n, e.range)))
    });
    deps
}

/// The node `expr` refers to, when it is a reference not shadowed by a `for` or `dynamic`.
fn reference_node(expr: &Expr, scopes: &Scopes) -> Option<Node> {
    Some(match resolve::reference(expr, scopes)? {
        Target::Local(name) => Node::Local(name.name.clone()),
        Target::ModuleCall(name) => Node::Module(name.name.clone()),
        Target::Resource { ty, name } => Node::Resource(ty.name.clone(), name.name.clone()),
        Target::Data { ty, name } => Node::Data(ty.name.clone(), name.name.clone()),
        Target::Variable(_) | Target::Builtin { .. } => return None,
    })
}

/// The module's locals as `(item, attribute index)`, each after the locals it refers to (a
/// cycle is cut anywhere; it is reported elsewhere). Inferring their types in this order nests
/// no inference in another more than one level deep, whatever order the locals are written in:
/// without it, checking `l9999 = local.l9998 + 1` first would recurse through 10,000 queries.
pub fn locals_in_dependency_order(db: &dyn Db, dir: Directory) -> Vec<(skel_db::ItemRef, u32)> {
    let index = skel_hir::module_index(db, dir);
    let mut refs: HashMap<&str, Vec<String>> = HashMap::new();
    for (name, def) in &index.locals {
        let mut deps = Vec::new();
        if let Some(ast) = skel_db::item_ast(db, def.item.file, def.item.index) {
            if let Item::Block(block) = &*ast {
                if let Some(Item::Attribute(attr)) = block.body.items.get(def.attr as usize) {
                    deps.extend(
                        expr_refs(&attr.expr)
                            .into_iter()
                            .filter_map(|(n, _)| match n {
                                Node::Local(dep) => Some(dep),
                                _ => None,
                            }),
                    );
                }
            }
        }
        refs.insert(name.as_str(), deps);
    }
    let mut order = Vec::with_capacity(index.locals.len());
    let mut visited: std::collections::HashSet<&str> = Default::default();
    for root in index.locals.keys() {
        // Iterative post-order: (local, whether its dependencies were pushed).
        let mut stack: Vec<(&str, bool)> = vec![(root.as_str(), false)];
        while let Some((name, expanded)) = stack.pop() {
            if expanded {
                if let Some(def) = index.locals.get(name) {
                    order.push((def.item, def.attr));
                }
                continue;
            }
            if !visited.insert(name) {
                continue;
            }
            stack.push((name, true));
            for dep in refs.get(name).into_iter().flatten() {
                if let Some((key, _)) = index.locals.get_key_value(dep.as_str()) {
                    if !visited.contains(key.as_str()) {
                        stack.push((key.as_str(), false));
                    }
                }
            }
        }
    }
    order
}

/// The strongly connected component of every node (an id per component), computed with
/// Tarjan's algorithm on an explicit stack: a chain of 10,000 locals neither recurses 10,000
/// deep nor is walked once per node.
fn strongly_connected<'a>(
    nodes: impl Iterator<Item = &'a Node>,
    edges: &HashMap<Node, Vec<Node>>,
) -> HashMap<Node, usize> {
    let mut index: HashMap<&Node, usize> = HashMap::new();
    let mut low: HashMap<&Node, usize> = HashMap::new();
    let mut on_stack: std::collections::HashSet<&Node> = Default::default();
    let mut stack: Vec<&Node> = Vec::new();
    let mut component: HashMap<Node, usize> = HashMap::new();
    let mut components = 0;
    let no_edges: Vec<Node> = Vec::new();
    for root in nodes {
        if index.contains_key(root) {
            continue;
        }
        // (node, position of the next edge to follow)
        let mut work: Vec<(&Node, usize)> = vec![(root, 0)];
        while let Some((node, next)) = work.pop() {
            if next == 0 {
                let n = index.len();
                index.insert(node, n);
                low.insert(node, n);
                stack.push(node);
                on_stack.insert(node);
            }
            let out = edges.get(node).unwrap_or(&no_edges);
            if let Some(target) = out.get(next) {
                work.push((node, next + 1));
                match index.get(target) {
                    None => work.push((target, 0)),
                    Some(&target_index) if on_stack.contains(target) => {
                        let l = low[node].min(target_index);
                        low.insert(node, l);
                    }
                    Some(_) => {}
                }
                continue;
            }
            // Every edge followed: close the component if `node` is its root, then pass the
            // low link up to the caller.
            if low[node] == index[node] {
                while let Some(member) = stack.pop() {
                    on_stack.remove(member);
                    component.insert(member.clone(), components);
                    if member == node {
                        break;
                    }
                }
                components += 1;
            }
            if let Some((parent, _)) = work.last() {
                let l = low[parent].min(low[node]);
                low.insert(parent, l);
            }
        }
    }
    component
}

/// A shortest path from `start` back to itself (the nodes in order, starting with `start`), if
/// `start` is on a cycle; searched breadth-first within its component, without recursion.
fn find_cycle(
    start: &Node,
    edges: &HashMap<Node, Vec<Node>>,
    components: &HashMap<Node, usize>,
) -> Option<Vec<Node>> {
    let own = components.get(start)?;
    let inside = |n: &Node| components.get(n) == Some(own);
    let mut parent: HashMap<&Node, &Node> = HashMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(node) = queue.pop_front() {
        for next in edges.get(node).into_iter().flatten() {
            if next == start {
                let mut path = vec![node.clone()];
                let mut at = node;
                while let Some(p) = parent.get(at) {
                    path.push((*p).clone());
                    at = p;
                }
                path.reverse();
                return Some(path);
            }
            if inside(next) && next != start && !parent.contains_key(next) {
                parent.insert(next, node);
                queue.push_back(next);
            }
        }
    }
    None
}
