//! Static references of expressions and bodies: `var.X`, `local.X`, `TYPE.NAME`,
//! `data.TYPE.NAME` and `module.NAME`, resolved against the module's index.
//!
//! What a name means is decided by [`skel_hir::resolve`] (the same rules the checker and its
//! reference graph use): a reference is an attribute access on a root name; built-in values
//! (`count`, `each`, `path`, `self`, `terraform`, `skel`) are never references; names bound by
//! an enclosing `for` expression, template `%{ for }` directive or `dynamic` block iterator
//! shadow the roots they name. Only objects the module declares are kept (so a stray root can
//! never become an edge).

use skel_hir::resolve::{self, Scopes, Target};
use skel_hir::ModuleIndex;
use skel_plan_ir::{Reference, ResourceMode};
use skel_syntax::{Body, Expr};

/// Collects the references of everything it is shown, with the scopes of `for` expressions
/// and `dynamic` iterators.
pub(crate) struct RefCollector<'a> {
    index: &'a ModuleIndex,
    out: Vec<Reference>,
}

impl<'a> RefCollector<'a> {
    pub(crate) fn new(index: &'a ModuleIndex) -> Self {
        RefCollector {
            index,
            out: Vec::new(),
        }
    }

    /// The references found, sorted and deduplicated.
    pub(crate) fn finish(mut self) -> Vec<Reference> {
        self.out.sort();
        self.out.dedup();
        self.out
    }

    /// Every attribute and nested block of a body.
    pub(crate) fn body(&mut self, body: &Body) {
        let index = self.index;
        let out = &mut self.out;
        resolve::walk_body_exprs(
            body,
            &mut Scopes::<()>::default(),
            &|_| false,
            &mut |e, s| out.extend(declared(index, e, s)),
        );
    }

    pub(crate) fn expr(&mut self, expr: &Expr) {
        let index = self.index;
        let out = &mut self.out;
        resolve::walk_expr(expr, &mut Scopes::<()>::default(), &mut |e, s| {
            out.extend(declared(index, e, s))
        });
    }
}

/// The reference `expr` makes to an object the module declares, if any.
fn declared(index: &ModuleIndex, expr: &Expr, scopes: &Scopes) -> Option<Reference> {
    let known = |yes: bool, r: Reference| yes.then_some(r);
    match resolve::reference(expr, scopes)? {
        Target::Variable(n) => known(
            index.variables.contains_key(&n.name),
            Reference::Variable(n.name.clone()),
        ),
        Target::Local(n) => known(
            index.locals.contains_key(&n.name),
            Reference::Local(n.name.clone()),
        ),
        Target::ModuleCall(n) => known(
            index.modules.contains_key(&n.name),
            Reference::Module(n.name.clone()),
        ),
        Target::Resource { ty, name } => known(
            index
                .resources
                .contains_key(&(ty.name.clone(), name.name.clone())),
            Reference::Resource {
                mode: ResourceMode::Managed,
                type_name: ty.name.clone(),
                name: name.name.clone(),
            },
        ),
        Target::Data { ty, name } => known(
            {
                let key = (ty.name.clone(), name.name.clone());
                // A check's scoped data source: only its check may refer to it (checked).
                index.data.contains_key(&key) || index.check_data.contains_key(&key)
            },
            Reference::Resource {
                mode: ResourceMode::Data,
                type_name: ty.name.clone(),
                name: name.name.clone(),
            },
        ),
        Target::Builtin { .. } => None,
    }
}
