//! One module analysed with the marks its variables may carry (declared, or passed in by the
//! calling module): the marks of its locals, resources, data sources and module calls (in
//! dependency order, without recursion over the reference graph), its outputs', and the
//! diagnostics the rules give.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use skel_db::{Code, Db, Diagnostic, Directory, ItemRef};
use skel_hir::resolve::{self, Scopes, Target, RESOURCE_META_ATTRS};
use skel_hir::ModuleIndex;
use skel_schema::{BlockSchema, Nesting};
use skel_syntax::{Block, Body, Expr, Item};
use skel_value::{Marks, Type};

use super::lattice::Sens;
use super::walker::{Env, Walker};
use super::{declared_marks, Analysis, ModuleResult};

/// A definition whose marks other definitions read.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
enum Node {
    Local(String),
    Resource(bool, String, String),
    Call(String),
}

pub(super) struct Module<'a, 'db> {
    an: &'a Analysis<'db>,
    index: Arc<ModuleIndex>,
    vars: BTreeMap<String, Sens>,
    values: RefCell<HashMap<Node, Sens>>,
    diagnostics: RefCell<Vec<Diagnostic>>,
}

impl Env for Module<'_, '_> {
    fn var(&self, name: &str) -> Sens {
        self.vars.get(name).cloned().unwrap_or_default()
    }

    fn local(&self, name: &str) -> Sens {
        self.value(&Node::Local(name.to_string()))
    }

    fn module(&self, name: &str) -> Sens {
        self.value(&Node::Call(name.to_string()))
    }

    fn resource(&self, data: bool, type_name: &str, name: &str) -> Option<Sens> {
        let key = (type_name.to_string(), name.to_string());
        let declared = if data {
            self.index.data.contains_key(&key)
        } else {
            self.index.resources.contains_key(&key)
        };
        declared.then(|| self.value(&Node::Resource(data, key.0, key.1)))
    }
}

impl<'a, 'db> Module<'a, 'db> {
    pub(super) fn new(
        an: &'a Analysis<'db>,
        dir: Directory,
        vars: BTreeMap<String, Sens>,
    ) -> Module<'a, 'db> {
        Module {
            an,
            index: skel_hir::module_index(an.db, dir).clone(),
            vars,
            values: RefCell::default(),
            diagnostics: RefCell::default(),
        }
    }

    fn db(&self) -> &'db dyn Db {
        self.an.db
    }

    fn value(&self, node: &Node) -> Sens {
        self.values.borrow().get(node).cloned().unwrap_or_default()
    }

    fn block(&self, item: ItemRef) -> Option<Arc<Item>> {
        skel_db::item_ast(self.db(), item.file, item.index)
            .filter(|i| matches!(**i, Item::Block(_)))
    }

    fn report(&self, diagnostic: Diagnostic) {
        self.diagnostics.borrow_mut().push(diagnostic);
    }

    /// Analyse the module: every definition's marks, the outputs', and the diagnostics.
    pub(super) fn analyse(self, is_root: bool) -> (ModuleResult, Vec<Diagnostic>) {
        for (node, item) in self.order() {
            let value = self.compute(&node, item);
            self.values.borrow_mut().insert(node, value);
        }
        self.check_providers();
        let outputs = self.outputs(is_root);
        (ModuleResult { outputs }, self.diagnostics.into_inner())
    }

    /// The definitions in an order where each comes after what it references (a cycle, which
    /// the module graph check reports, leaves its members out: they read as unmarked).
    fn order(&self) -> Vec<(Node, ItemRef)> {
        let mut nodes: BTreeMap<Node, (ItemRef, BTreeSet<Node>)> = BTreeMap::new();
        for (name, def) in &self.index.locals {
            let deps = self
                .local_expr(def.item, def.attr)
                .map(|e| self.references(|s, f| resolve::walk_expr(&e, s, f)))
                .unwrap_or_default();
            nodes.insert(Node::Local(name.clone()), (def.item, deps));
        }
        let blocks = self
            .index
            .resources
            .iter()
            .map(|((t, n), d)| (Node::Resource(false, t.clone(), n.clone()), d.item))
            .chain(
                self.index
                    .data
                    .iter()
                    .map(|((t, n), d)| (Node::Resource(true, t.clone(), n.clone()), d.item)),
            )
            .chain(
                self.index
                    .modules
                    .iter()
                    .map(|(n, d)| (Node::Call(n.clone()), d.item)),
            );
        for (node, item) in blocks {
            let deps = match self.block(item).as_deref() {
                Some(Item::Block(b)) => {
                    self.references(|s, f| resolve::walk_body_exprs(&b.body, s, &|_| false, f))
                }
                _ => BTreeSet::new(),
            };
            nodes.insert(node, (item, deps));
        }
        let mut indegree: BTreeMap<&Node, usize> = BTreeMap::new();
        let mut dependents: BTreeMap<&Node, Vec<&Node>> = BTreeMap::new();
        for (node, (_, deps)) in &nodes {
            let deps: Vec<&Node> = deps
                .iter()
                .filter(|d| *d != node && nodes.contains_key(*d))
                .collect();
            indegree.insert(node, deps.len());
            for d in deps {
                dependents.entry(d).or_default().push(node);
            }
        }
        let mut ready: Vec<&Node> = indegree
            .iter()
            .filter(|(_, n)| **n == 0)
            .map(|(k, _)| *k)
            .collect();
        let mut order = Vec::with_capacity(nodes.len());
        while let Some(node) = ready.pop() {
            for d in dependents.get(node).cloned().unwrap_or_default() {
                if let Some(n) = indegree.get_mut(d) {
                    *n -= 1;
                    if *n == 0 {
                        ready.push(d);
                    }
                }
            }
            order.push((node.clone(), nodes[node].0));
        }
        order
    }

    /// The definitions of this module the expressions visited by `walk` refer to (names
    /// bound by `for` and `dynamic` shadow roots, as [`skel_hir::resolve`] decides).
    fn references(
        &self,
        walk: impl FnOnce(&mut Scopes, &mut dyn FnMut(&Expr, &Scopes)),
    ) -> BTreeSet<Node> {
        let mut out = BTreeSet::new();
        walk(&mut Scopes::default(), &mut |e, scopes| {
            let node = match resolve::reference(e, scopes) {
                Some(Target::Local(name)) => Node::Local(name.name.clone()),
                Some(Target::ModuleCall(name)) => Node::Call(name.name.clone()),
                Some(Target::Data { ty, name }) => {
                    Node::Resource(true, ty.name.clone(), name.name.clone())
                }
                Some(Target::Resource { ty, name }) => {
                    Node::Resource(false, ty.name.clone(), name.name.clone())
                }
                _ => return,
            };
            out.insert(node);
        });
        out
    }

    fn local_expr(&self, item: ItemRef, attr: u32) -> Option<Expr> {
        let ast = skel_db::item_ast(self.db(), item.file, item.index)?;
        let Item::Block(block) = &*ast else {
            return None;
        };
        match block.body.items.get(attr as usize)? {
            Item::Attribute(a) => Some(a.expr.clone()),
            _ => None,
        }
    }

    fn compute(&self, node: &Node, item: ItemRef) -> Sens {
        match node {
            Node::Local(name) => {
                let attr = self.index.locals.get(name).map(|d| d.attr).unwrap_or(0);
                match self.local_expr(item, attr) {
                    Some(expr) => Walker::new(self).eval(&expr),
                    None => Sens::None,
                }
            }
            Node::Resource(data, type_name, name) => match self.block(item).as_deref() {
                Some(Item::Block(b)) => self.resource(item, b, *data, type_name, name),
                _ => Sens::None,
            },
            Node::Call(name) => match self.block(item).as_deref() {
                Some(Item::Block(b)) => self.call(item, b, name),
                _ => Sens::None,
            },
        }
    }

    /// A walker in the context of a block with `count` or `for_each` (which it checks: their
    /// values become instance keys, shown and saved).
    fn repeated(&self, item: ItemRef, body: &Body) -> (Walker<'_>, bool) {
        let mut w = Walker::new(self);
        let mut repeated = false;
        if let Some(count) = body.attribute("count") {
            repeated = true;
            let s = w.eval(&count.expr);
            if s.any().hides() {
                self.report(
                    Diagnostic::new(
                        Code::SensitiveCount,
                        item.span(count.expr.range),
                        "`count` is derived from a sensitive value",
                    )
                    .with_span_message(because(&s))
                    .with_help("the number of instances is shown in every plan and saved in state; use `nonsensitive(…)` if the number itself is not secret"),
                );
            }
        }
        if let Some(for_each) = body.attribute("for_each") {
            repeated = true;
            let s = w.eval(&for_each.expr);
            let top = Sens::whole(s.top(), s.why().unwrap_or_default());
            if top.any().hides() {
                self.report(
                    Diagnostic::new(
                        Code::SensitiveForEach,
                        item.span(for_each.expr.range),
                        "`for_each` keys are derived from a sensitive value",
                    )
                    .with_span_message(because(&top))
                    .with_help("the keys become instance addresses, which are shown and saved in state; iterate over keys that are not secret (the map's values may be sensitive), or use `nonsensitive(…)` on the keys"),
                );
            }
            w.each = Some((s.element().join(top.clone()), top));
        }
        (w, repeated)
    }

    fn resource(
        &self,
        item: ItemRef,
        block: &Block,
        data: bool,
        type_name: &str,
        name: &str,
    ) -> Sens {
        let schema = if data {
            crate::schemas::data_source(self.db(), item.file, type_name)
        } else {
            crate::schemas::resource(self.db(), item.file, type_name)
        };
        let (mut w, repeated) = self.repeated(item, &block.body);
        let Some(schema) = schema else {
            return Sens::None;
        };
        let path = if data {
            format!("data.{type_name}.{name}")
        } else {
            format!("{type_name}.{name}")
        };
        let object = self.body(item, &mut w, &block.body, &schema.block, &path, true);
        if repeated {
            Sens::elems(object)
        } else {
            object
        }
    }

    /// The marks of a block's object: attributes the schema marks sensitive, and every
    /// argument with the marks of its expression (they stay on the planned value). An
    /// ephemeral argument is an error: the object is saved in state.
    fn body(
        &self,
        item: ItemRef,
        w: &mut Walker<'_>,
        body: &Body,
        schema: &BlockSchema,
        path: &str,
        top: bool,
    ) -> Sens {
        let mut attrs = BTreeMap::new();
        for attribute in body.attributes() {
            let name = &attribute.name.name;
            if top && RESOURCE_META_ATTRS.contains(&name.as_str()) {
                continue;
            }
            let s = w.eval(&attribute.expr);
            if s.any().is_ephemeral() {
                self.report(
                    Diagnostic::new(
                        Code::EphemeralValuePersisted,
                        item.span(attribute.expr.range),
                        "An ephemeral value in a resource or data source argument",
                    )
                    .with_span_message(because(&s))
                    .with_help("the resource's arguments are saved in state and plans; use ephemeral values only in provider configuration, provisioners, connections, locals and ephemeral outputs"),
                );
            }
            let set = schema
                .attribute(name)
                .is_some_and(|a| matches!(a.ty, Type::Set(_)));
            attrs.insert(name.clone(), if set { s.collapse() } else { s });
        }
        for (name, attr) in &schema.attributes {
            if attr.sensitive {
                let why = format!("`{path}.{name}` is sensitive in the provider's schema");
                let s = attrs.remove(name).unwrap_or_default();
                attrs.insert(name.clone(), s.join(Sens::whole(Marks::SENSITIVE, why)));
            }
        }
        // A digest of sensitive content is as sensitive as the content.
        for (name, attr) in &schema.attributes {
            let from = attr
                .derived_from
                .iter()
                .filter_map(|source| attrs.get(source))
                .cloned()
                .fold(Sens::None, Sens::join)
                .collapse();
            if !from.is_none() {
                let s = attrs.remove(name).unwrap_or_default();
                attrs.insert(name.clone(), s.join(from));
            }
        }
        for (name, nested) in &schema.blocks {
            let inner_path = format!("{path}.{name}");
            let mut s = Sens::None;
            for b in body.blocks_of(name) {
                s = s.join(self.body(item, w, &b.body, &nested.block, &inner_path, false));
            }
            for dynamic in body
                .blocks_of("dynamic")
                .filter(|b| b.label(0) == Some(name.as_str()))
            {
                let each = dynamic
                    .body
                    .attribute("for_each")
                    .map(|a| w.eval(&a.expr))
                    .unwrap_or_default();
                let iterator = resolve::dynamic_iterator(dynamic).unwrap_or(name);
                let top = Sens::whole(each.top(), each.why().unwrap_or_default());
                w.push(
                    iterator,
                    Sens::attrs(BTreeMap::from([
                        ("key".to_string(), top.clone()),
                        ("value".to_string(), each.element().join(top)),
                    ])),
                );
                for content in dynamic.body.blocks_of("content") {
                    s = s.join(self.body(
                        item,
                        w,
                        &content.body,
                        &nested.block,
                        &inner_path,
                        false,
                    ));
                }
                w.pop();
            }
            let s = match nested.nesting {
                Nesting::Single => s,
                Nesting::List | Nesting::Map => Sens::elems(s),
                // Marks inside a set's elements are hoisted to the set.
                Nesting::Set => s.collapse(),
            };
            attrs.insert(name.clone(), s);
        }
        Sens::attrs(attrs)
    }

    /// A module call: the child analysed with the marks of the values passed to it; the
    /// object of its outputs (each marked as declared, and with what its value carries).
    fn call(&self, item: ItemRef, block: &Block, name: &str) -> Sens {
        let (mut w, repeated) = self.repeated(item, &block.body);
        let Some(dir) = crate::queries::module_call_dir(self.db(), item.file, item.index)
            .filter(|d| d.exists(self.db()))
        else {
            return Sens::None;
        };
        let child = skel_hir::module_index(self.db(), dir);
        let mut vars = BTreeMap::new();
        for (var, def) in &child.variables {
            let declared = declared_marks(self.db(), def.item.file, def.item.index);
            let mut s = Sens::whole(declared, declared_reason(&format!("`var.{var}`"), declared));
            if let Some(input) = block.body.attribute(var) {
                let passed = w.eval(&input.expr);
                if passed.any().is_ephemeral() && !declared.is_ephemeral() {
                    self.report(
                        Diagnostic::new(
                            Code::EphemeralValuePersisted,
                            item.span(input.expr.range),
                            "An ephemeral value passed to a variable that is not ephemeral",
                        )
                        .with_span_message(because(&passed))
                        .with_help(format!("declare `ephemeral = true` on variable `{var}` of the module, or pass a value that is not ephemeral")),
                    );
                }
                s = s.join(passed);
            }
            vars.insert(var.clone(), s);
        }
        let result = self.an.module(dir, vars, false);
        let object = Sens::attrs(
            result
                .outputs
                .iter()
                .map(|(output, (declared, value))| {
                    let why = declared_reason(
                        &format!("output `{output}` of module `{name}`"),
                        *declared,
                    );
                    (
                        output.clone(),
                        Sens::whole(*declared, why).join(value.clone()),
                    )
                })
                .collect(),
        );
        if repeated {
            Sens::elems(object)
        } else {
            object
        }
    }

    /// A sensitive value in a provider argument the provider does not treat as secret (a
    /// region, a host): providers print those in messages.
    fn check_providers(&self) {
        for ((name, _), def) in &self.index.providers {
            let Some(schema) = crate::schemas::provider(self.db(), def.item.file, name) else {
                continue;
            };
            let Some(Item::Block(block)) = self.block(def.item).as_deref().cloned() else {
                continue;
            };
            let mut w = Walker::new(self);
            for attribute in block.body.attributes() {
                let Some(attr) = schema.config.attribute(&attribute.name.name) else {
                    continue;
                };
                let s = w.eval(&attribute.expr);
                if !attr.sensitive && s.any().is_sensitive() {
                    self.report(
                        Diagnostic::new(
                            Code::SensitiveProviderArgument,
                            def.item.span(attribute.expr.range),
                            format!(
                                "A sensitive value in the provider argument `{}`",
                                attribute.name.name
                            ),
                        )
                        .with_span_message(because(&s))
                        .with_help(format!("`{}` is not secret to the provider: it is shown in its messages and errors; pass a value that is not sensitive, or `nonsensitive(…)` if it is not a secret", attribute.name.name)),
                    );
                }
            }
        }
    }

    fn outputs(&self, is_root: bool) -> BTreeMap<String, (Marks, Sens)> {
        let mut out = BTreeMap::new();
        for (name, def) in &self.index.outputs {
            let Some(Item::Block(block)) = self.block(def.item).as_deref().cloned() else {
                continue;
            };
            let declared = declared_marks(self.db(), def.item.file, def.item.index);
            let Some(value) = block.body.attribute("value") else {
                out.insert(name.clone(), (declared, Sens::None));
                continue;
            };
            let s = Walker::new(self).eval(&value.expr);
            let span = def.item.span(value.expr.range);
            if is_root && declared.is_ephemeral() {
                let at = block
                    .body
                    .attribute("ephemeral")
                    .map_or(span, |a| def.item.span(a.range));
                self.report(
                    Diagnostic::new(Code::EphemeralValuePersisted, at, "An ephemeral output in the root module")
                        .with_span_message("root module outputs are saved in state")
                        .with_help("only outputs of child modules can be ephemeral; remove `ephemeral = true` (and the ephemeral value)"),
                );
            } else if s.any().is_ephemeral() && (is_root || !declared.is_ephemeral()) {
                self.report(
                    Diagnostic::new(Code::EphemeralValuePersisted, span, "An output refers to an ephemeral value")
                        .with_span_message(because(&s))
                        .with_help(if is_root {
                            "root module outputs are saved in state; an ephemeral value cannot be one".to_string()
                        } else {
                            "add `ephemeral = true` to the output, so the calling module treats its value as ephemeral".to_string()
                        }),
                );
            }
            if s.any().is_sensitive() && !declared.is_sensitive() {
                self.report(
                    Diagnostic::new(Code::SensitiveOutput, span, "Output refers to a sensitive value")
                        .with_span_message(because(&s))
                        .with_help("add `sensitive = true` to the output so the value stays hidden where it is shown"),
                );
            }
            out.insert(name.clone(), (declared, s));
        }
        out
    }
}

/// "sensitive: `var.pw` is declared sensitive"
fn because(s: &Sens) -> String {
    let marks = s.any();
    let what = if marks.is_sensitive() && marks.is_ephemeral() {
        "sensitive and ephemeral"
    } else if marks.is_ephemeral() {
        "ephemeral"
    } else {
        "sensitive"
    };
    match s.why() {
        Some(why) if !why.is_empty() => format!("{what}: {why}"),
        _ => format!("this value is {what}"),
    }
}

/// "`var.pw` is declared sensitive", "output `t` of module `m` is declared ephemeral"
pub(super) fn declared_reason(what: &str, marks: Marks) -> String {
    let how = match (marks.is_sensitive(), marks.is_ephemeral()) {
        (true, true) => "sensitive and ephemeral",
        (false, true) => "ephemeral",
        _ => "sensitive",
    };
    format!("{what} is declared {how}")
}
