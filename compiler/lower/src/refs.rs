//! Static references of expressions and bodies: `var.X`, `local.X`, `TYPE.NAME`,
//! `data.TYPE.NAME` and `module.NAME`, resolved against the module's index.
//!
//! The rules are those of the checker's reference graph (`skel_types`' `graph.rs`): a reference
//! is an attribute access on a root name; `count`, `each`, `path`, `self`, `terraform` and
//! `skel` are never references. On top of that, names bound by an enclosing `for` expression,
//! template `%{ for }` directive or `dynamic` block iterator shadow the roots they name, and
//! only objects the module declares are kept (so a stray root can never become an edge).

use skel_hir::ModuleIndex;
use skel_plan_ir::{Reference, ResourceMode};
use skel_syntax::{Body, Expr, ExprKind, Item, TemplatePart};

/// Roots that never start a reference to an object of the module.
const RESERVED_ROOTS: &[&str] = &[
    "var",
    "local",
    "module",
    "data",
    "count",
    "each",
    "path",
    "self",
    "terraform",
    "skel",
];

/// Collects the references of everything it is shown, with the scopes of `for` expressions
/// and `dynamic` iterators.
pub(crate) struct RefCollector<'a> {
    index: &'a ModuleIndex,
    scope: Vec<String>,
    out: Vec<Reference>,
}

impl<'a> RefCollector<'a> {
    pub(crate) fn new(index: &'a ModuleIndex) -> Self {
        RefCollector {
            index,
            scope: Vec::new(),
            out: Vec::new(),
        }
    }

    /// The references found, sorted and deduplicated.
    pub(crate) fn finish(mut self) -> Vec<Reference> {
        self.out.sort();
        self.out.dedup();
        self.out
    }

    fn bound(&self, name: &str) -> bool {
        self.scope.iter().any(|s| s == name)
    }

    /// Every attribute and nested block of a body; `dynamic` blocks bind their iterator in
    /// everything but their `for_each`.
    pub(crate) fn body(&mut self, body: &Body) {
        for item in &body.items {
            match item {
                Item::Attribute(a) => self.expr(&a.expr),
                Item::Block(b) if b.ident.name == "dynamic" => {
                    let iterator = b
                        .body
                        .attribute("iterator")
                        .and_then(|a| match &a.expr.kind {
                            ExprKind::Variable(ident) => Some(ident.name.clone()),
                            _ => None,
                        })
                        .or_else(|| b.label(0).map(str::to_string));
                    if let Some(for_each) = b.body.attribute("for_each") {
                        self.expr(&for_each.expr);
                    }
                    let pushed = iterator.map(|name| self.scope.push(name)).is_some();
                    for inner in &b.body.items {
                        match inner {
                            Item::Attribute(a) if a.name.name == "for_each" => {}
                            Item::Attribute(a) if a.name.name == "iterator" => {}
                            Item::Attribute(a) => self.expr(&a.expr),
                            Item::Block(content) => self.body(&content.body),
                            Item::Error(_) => {}
                        }
                    }
                    if pushed {
                        self.scope.pop();
                    }
                }
                Item::Block(b) => self.body(&b.body),
                Item::Error(_) => {}
            }
        }
    }

    pub(crate) fn expr(&mut self, expr: &Expr) {
        self.check(expr);
        match &expr.kind {
            ExprKind::Null
            | ExprKind::Bool(_)
            | ExprKind::Number(_)
            | ExprKind::Variable(_)
            | ExprKind::SplatItem
            | ExprKind::Error => {}
            ExprKind::Template(t) => self.parts(&t.parts),
            ExprKind::Tuple(items) => items.iter().for_each(|e| self.expr(e)),
            ExprKind::Object(items) => items.iter().for_each(|i| {
                self.expr(&i.key);
                self.expr(&i.value);
            }),
            ExprKind::Call { args, .. } => args.iter().for_each(|e| self.expr(e)),
            ExprKind::GetAttr { expr, .. }
            | ExprKind::Unary { expr, .. }
            | ExprKind::Parens(expr) => self.expr(expr),
            ExprKind::Index { expr, index } => {
                self.expr(expr);
                self.expr(index);
            }
            ExprKind::Splat { expr, each, .. } => {
                self.expr(expr);
                self.expr(each);
            }
            ExprKind::Binary { lhs, rhs, .. } => {
                self.expr(lhs);
                self.expr(rhs);
            }
            ExprKind::Conditional { cond, then, other } => {
                self.expr(cond);
                self.expr(then);
                self.expr(other);
            }
            ExprKind::ForTuple {
                key_var,
                value_var,
                collection,
                value,
                cond,
            } => {
                self.expr(collection);
                let depth = self.scope.len();
                self.scope.extend(key_var.iter().map(|k| k.name.clone()));
                self.scope.push(value_var.name.clone());
                self.expr(value);
                if let Some(c) = cond {
                    self.expr(c);
                }
                self.scope.truncate(depth);
            }
            ExprKind::ForObject {
                key_var,
                value_var,
                collection,
                key,
                value,
                cond,
                ..
            } => {
                self.expr(collection);
                let depth = self.scope.len();
                self.scope.extend(key_var.iter().map(|k| k.name.clone()));
                self.scope.push(value_var.name.clone());
                self.expr(key);
                self.expr(value);
                if let Some(c) = cond {
                    self.expr(c);
                }
                self.scope.truncate(depth);
            }
        }
    }

    fn parts(&mut self, parts: &[TemplatePart]) {
        for part in parts {
            match part {
                TemplatePart::Literal { .. } => {}
                TemplatePart::Interpolation { expr, .. } => self.expr(expr),
                TemplatePart::If {
                    cond, then, other, ..
                } => {
                    self.expr(cond);
                    self.parts(then);
                    if let Some(o) = other {
                        self.parts(o);
                    }
                }
                TemplatePart::For {
                    key_var,
                    value_var,
                    collection,
                    body,
                    ..
                } => {
                    self.expr(collection);
                    let depth = self.scope.len();
                    self.scope.extend(key_var.iter().map(|k| k.name.clone()));
                    self.scope.push(value_var.name.clone());
                    self.parts(body);
                    self.scope.truncate(depth);
                }
            }
        }
    }

    /// Record `expr` if it is itself a reference (`root.name`, `data.type.name`).
    fn check(&mut self, expr: &Expr) {
        let ExprKind::GetAttr { expr: inner, name } = &expr.kind else {
            return;
        };
        let name = &name.name;
        match &inner.kind {
            ExprKind::Variable(root) if !self.bound(&root.name) => {
                let reference = match root.name.as_str() {
                    "var" if self.index.variables.contains_key(name) => {
                        Reference::Variable(name.clone())
                    }
                    "local" if self.index.locals.contains_key(name) => {
                        Reference::Local(name.clone())
                    }
                    "module" if self.index.modules.contains_key(name) => {
                        Reference::Module(name.clone())
                    }
                    root if RESERVED_ROOTS.contains(&root) => return,
                    type_name
                        if self
                            .index
                            .resources
                            .contains_key(&(type_name.to_string(), name.clone())) =>
                    {
                        Reference::Resource {
                            mode: ResourceMode::Managed,
                            type_name: type_name.to_string(),
                            name: name.clone(),
                        }
                    }
                    _ => return,
                };
                self.out.push(reference);
            }
            ExprKind::GetAttr {
                expr: data,
                name: type_name,
            } => {
                let ExprKind::Variable(root) = &data.kind else {
                    return;
                };
                if root.name != "data" || self.bound("data") {
                    return;
                }
                let key = (type_name.name.clone(), name.clone());
                if self.index.data.contains_key(&key) {
                    self.out.push(Reference::Resource {
                        mode: ResourceMode::Data,
                        type_name: key.0,
                        name: key.1,
                    });
                }
            }
            _ => {}
        }
    }
}
