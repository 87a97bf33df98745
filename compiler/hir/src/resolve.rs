//! The language's scopes in one place: reference roots, meta-arguments, what `for`, `dynamic`,
//! `count`, `for_each` and provisioner/connection blocks bind, and a scope-tracking walker.
//!
//! Every crate that asks "what does this name mean here" (the checker, the reference graph,
//! the sensitivity analysis, the lowering, the IDE) asks this module, so they cannot disagree.
//! The rules, as Terraform has them:
//! - a reference is an attribute access on a root: `var.X`, `local.X`, `module.X`,
//!   `data.TYPE.NAME`, `TYPE.NAME`, or a built-in value (`count.index`, `each.key`,
//!   `path.module`, `self.ATTR`, `terraform.workspace`);
//! - a name bound by an enclosing `for` expression, template `%{ for }` directive or `dynamic`
//!   block iterator shadows a root of the same name (`[for var in xs : var.id]` reads the
//!   element, not a variable);
//! - a `dynamic` block binds its iterator (its `iterator` argument when that is a plain name,
//!   else its label) in everything it contains except its `for_each` (and the `iterator`
//!   argument itself, which is a binding, not an expression);
//! - `count` binds `count.index` and `for_each` binds `each` in the block that sets them;
//!   `self` is bound in `provisioner` and `connection` blocks of a resource.

use skel_syntax::{Attribute, Block, Body, Expr, ExprKind, Ident, Item, WalkEvent};

/// A reserved root name: the first name of a reference that is not a resource type.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Root {
    Var,
    Local,
    Module,
    Data,
    Path,
    Count,
    Each,
    SelfRef,
    Terraform,
    Skel,
}

impl Root {
    /// Every root, in the order suggestions list them.
    pub const ALL: [Root; 10] = [
        Root::Var,
        Root::Local,
        Root::Module,
        Root::Data,
        Root::Path,
        Root::Count,
        Root::Each,
        Root::SelfRef,
        Root::Terraform,
        Root::Skel,
    ];

    /// The root a name is, if it is one.
    pub fn from_name(name: &str) -> Option<Root> {
        Root::ALL.into_iter().find(|r| r.name() == name)
    }

    /// The name as written.
    pub fn name(self) -> &'static str {
        match self {
            Root::Var => "var",
            Root::Local => "local",
            Root::Module => "module",
            Root::Data => "data",
            Root::Path => "path",
            Root::Count => "count",
            Root::Each => "each",
            Root::SelfRef => "self",
            Root::Terraform => "terraform",
            Root::Skel => "skel",
        }
    }

    /// Every root name.
    pub fn names() -> [&'static str; 10] {
        Root::ALL.map(Root::name)
    }

    /// Whether `ROOT.attr` is a value of the language (`count.index`, `path.module`, …) rather
    /// than a definition of the module.
    pub fn is_builtin(self) -> bool {
        matches!(
            self,
            Root::Path | Root::Count | Root::Each | Root::SelfRef | Root::Terraform | Root::Skel
        )
    }

    /// Whether the root is bound by the block it is used in (`count`, `each`, `self`) and so
    /// cannot be named from outside it, e.g. in `depends_on`.
    pub fn is_instance_bound(self) -> bool {
        matches!(self, Root::Count | Root::Each | Root::SelfRef)
    }
}

/// Meta-arguments of `resource` and `data` blocks: not arguments of the resource type.
pub const RESOURCE_META_ATTRS: &[&str] = &["count", "for_each", "depends_on", "provider"];
/// Meta-blocks of `resource` blocks: not nested blocks of the resource type.
pub const RESOURCE_META_BLOCKS: &[&str] = &["lifecycle", "provisioner", "connection"];
/// Arguments of a `module` block that are not inputs of the child module.
pub const MODULE_META_ATTRS: &[&str] = &[
    "source",
    "version",
    "count",
    "for_each",
    "depends_on",
    "providers",
];
/// Arguments of a `provisioner` block that configure it rather than the provisioner.
pub const PROVISIONER_META_ATTRS: &[&str] = &["when", "on_failure"];
/// Blocks of a resource that run after it exists: they may use `self` and create no
/// dependency of the resource.
pub const SELF_BLOCKS: &[&str] = &["provisioner", "connection"];

/// Whether `self` is bound inside a block named `name` (of a resource).
pub fn binds_self(name: &str) -> bool {
    SELF_BLOCKS.contains(&name)
}

/// The name a `dynamic` block binds: its `iterator` argument when that is a plain name, else
/// its label. `None` for a `dynamic` block without a label (an error reported by the checker).
pub fn dynamic_iterator(block: &Block) -> Option<&str> {
    match block.body.attribute("iterator").map(|a| &a.expr.kind) {
        Some(ExprKind::Variable(ident)) => Some(ident.name.as_str()),
        _ => block.label(0),
    }
}

/// Whether an argument written directly in a `dynamic` block sees the block's iterator: all
/// of them (`labels`, …) except `for_each`, which produces the elements, and `iterator`,
/// which names it.
pub fn dynamic_arg_sees_iterator(name: &str) -> bool {
    !matches!(name, "for_each" | "iterator")
}

/// What a reference names, before looking anything up in the module.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Target<'a> {
    Variable(&'a Ident),
    Local(&'a Ident),
    ModuleCall(&'a Ident),
    /// `data.TYPE.NAME`.
    Data {
        ty: &'a Ident,
        name: &'a Ident,
    },
    /// `TYPE.NAME`: the type may not exist; callers check it against the module and schemas.
    Resource {
        ty: &'a Ident,
        name: &'a Ident,
    },
    /// `count.index`, `each.key`, `path.module`, `self.id`, `terraform.workspace`, …
    Builtin {
        root: Root,
        attr: &'a Ident,
    },
}

impl Target<'_> {
    /// The name after the root that identifies the target (`NAME` of `TYPE.NAME`).
    pub fn name(&self) -> &Ident {
        match self {
            Target::Variable(n) | Target::Local(n) | Target::ModuleCall(n) => n,
            Target::Data { name, .. } | Target::Resource { name, .. } => name,
            Target::Builtin { attr, .. } => attr,
        }
    }
}

/// The names in scope: those bound by enclosing `for` expressions, template `for` directives
/// and `dynamic` iterators, innermost last, each with what the user of the walk knows of it
/// (a type for the checker, marks for the sensitivity analysis, nothing for the lowering).
#[derive(Clone, Debug)]
pub struct Scopes<T = ()> {
    bound: Vec<(String, T)>,
}

impl<T> Default for Scopes<T> {
    fn default() -> Self {
        Scopes { bound: Vec::new() }
    }
}

impl<T> Scopes<T> {
    pub fn push(&mut self, name: &str, value: T) {
        self.bound.push((name.to_string(), value));
    }

    pub fn pop(&mut self) {
        self.bound.pop();
    }

    /// How many names are bound, to [`Scopes::truncate`] back to.
    pub fn depth(&self) -> usize {
        self.bound.len()
    }

    pub fn truncate(&mut self, depth: usize) {
        self.bound.truncate(depth);
    }

    /// What the innermost binding of `name` holds.
    pub fn lookup(&self, name: &str) -> Option<&T> {
        self.bound
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }

    pub fn is_bound(&self, name: &str) -> bool {
        self.lookup(name).is_some()
    }

    /// The bound names, outermost first.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.bound.iter().map(|(n, _)| n.as_str())
    }
}

/// The target of `expr` when it is a reference (`ROOT.NAME` or `data.TYPE.NAME`) whose root
/// no enclosing `for` or `dynamic` binding shadows. An incomplete reference (`var`, `data.t`)
/// is not one.
pub fn reference<'a, T>(expr: &'a Expr, scopes: &Scopes<T>) -> Option<Target<'a>> {
    let ExprKind::GetAttr { expr: inner, name } = &expr.kind else {
        return None;
    };
    match &inner.kind {
        ExprKind::Variable(root) if !scopes.is_bound(&root.name) => {
            Some(match Root::from_name(&root.name) {
                Some(Root::Var) => Target::Variable(name),
                Some(Root::Local) => Target::Local(name),
                Some(Root::Module) => Target::ModuleCall(name),
                Some(Root::Data) => return None,
                Some(root) => Target::Builtin { root, attr: name },
                None => Target::Resource { ty: root, name },
            })
        }
        ExprKind::GetAttr {
            expr: data,
            name: ty,
        } => match &data.kind {
            ExprKind::Variable(root) if root.name == "data" && !scopes.is_bound("data") => {
                Some(Target::Data { ty, name })
            }
            _ => None,
        },
        _ => None,
    }
}

/// What a `depends_on` entry names.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum DependsOn<'a> {
    Resource { ty: &'a Ident, name: &'a Ident },
    Data { ty: &'a Ident, name: &'a Ident },
    ModuleCall(&'a Ident),
}

/// What a `depends_on` entry names: a resource, data source or module call; `None` for
/// anything else (a variable, a local, a built-in value, a non-reference).
pub fn depends_on_target(expr: &Expr) -> Option<DependsOn<'_>> {
    let (root, steps) = expr.as_traversal()?;
    let attr = |i: usize| match steps.get(i) {
        Some(skel_syntax::Step::Attr(a)) => Some(*a),
        _ => None,
    };
    match Root::from_name(&root.name) {
        Some(Root::Module) => Some(DependsOn::ModuleCall(attr(0)?)),
        Some(Root::Data) => Some(DependsOn::Data {
            ty: attr(0)?,
            name: attr(1)?,
        }),
        Some(_) => None,
        None => Some(DependsOn::Resource {
            ty: root,
            name: attr(0)?,
        }),
    }
}

/// Visits `expr` and every expression inside it, outermost first, each with the names in
/// scope there: `for` expressions and template `for` directives bind their key and value names
/// in everything but their collection.
pub fn walk_expr<'a, T: Default>(
    expr: &'a Expr,
    scopes: &mut Scopes<T>,
    f: &mut dyn FnMut(&'a Expr, &Scopes<T>),
) {
    let mut depths = Vec::new();
    expr.walk_events(&mut |event| match event {
        WalkEvent::Expr(e) => f(e, scopes),
        WalkEvent::Bind { key, value } => depths.push(bind_for(scopes, key, value)),
        WalkEvent::Unbind => {
            if let Some(depth) = depths.pop() {
                scopes.truncate(depth);
            }
        }
    });
}

/// Binds the names of a `for`, returning the depth to truncate back to.
fn bind_for<T: Default>(scopes: &mut Scopes<T>, key: Option<&Ident>, value: &Ident) -> usize {
    let depth = scopes.depth();
    if let Some(k) = key {
        scopes.push(&k.name, T::default());
    }
    scopes.push(&value.name, T::default());
    depth
}

/// What [`walk_body`] calls for each argument: the blocks leading to it, the argument, the
/// names in scope there.
pub type AttrVisitor<'a, 'f, T> = dyn FnMut(&[&'a Block], &'a Attribute, &mut Scopes<T>) + 'f;

/// Visits every argument of `body` and of its nested blocks, with the blocks leading to it
/// (outermost first) and the names in scope there: a `dynamic` block's iterator is bound in
/// everything it contains but its `for_each` (see [`dynamic_arg_sees_iterator`]), which is
/// visited first; its `iterator` argument is a binding and is not visited.
pub fn walk_body<'a, T: Default>(
    body: &'a Body,
    path: &mut Vec<&'a Block>,
    scopes: &mut Scopes<T>,
    f: &mut AttrVisitor<'a, '_, T>,
) {
    for item in &body.items {
        match item {
            Item::Attribute(a) => f(path, a, scopes),
            Item::Block(b) => walk_block(b, path, scopes, f),
            Item::Error(_) => {}
        }
    }
}

fn walk_block<'a, T: Default>(
    block: &'a Block,
    path: &mut Vec<&'a Block>,
    scopes: &mut Scopes<T>,
    f: &mut AttrVisitor<'a, '_, T>,
) {
    path.push(block);
    if block.ident.name == "dynamic" {
        for a in block
            .body
            .attributes()
            .filter(|a| a.name.name == "for_each")
        {
            f(path, a, scopes);
        }
        let iterator = dynamic_iterator(block);
        if let Some(name) = iterator {
            scopes.push(name, T::default());
        }
        for item in &block.body.items {
            match item {
                Item::Attribute(a) if dynamic_arg_sees_iterator(&a.name.name) => f(path, a, scopes),
                Item::Attribute(_) | Item::Error(_) => {}
                Item::Block(inner) => walk_block(inner, path, scopes, f),
            }
        }
        if iterator.is_some() {
            scopes.pop();
        }
    } else {
        walk_body(&block.body, path, scopes, f);
    }
    path.pop();
}

/// Every expression of `body` (arguments of nested blocks included) with the names in scope,
/// skipping nested blocks for which `skip` holds.
pub fn walk_body_exprs<'a, T: Default>(
    body: &'a Body,
    scopes: &mut Scopes<T>,
    skip: &dyn Fn(&Block) -> bool,
    f: &mut dyn FnMut(&'a Expr, &Scopes<T>),
) {
    let mut path = Vec::new();
    walk_body(body, &mut path, scopes, &mut |path, attr, scopes| {
        if !path.iter().any(|b| skip(b)) {
            walk_expr(&attr.expr, scopes, f);
        }
    });
}

#[cfg(test)]
mod tests;
