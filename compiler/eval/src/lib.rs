//! The expression evaluator: turns AST expressions into values, following HCL's semantics.
//!
//! [`eval`] evaluates an expression against a [`Scope`] that resolves root names (`var`,
//! `local`, `each`, resource names…). Unknown values ("known after apply") propagate: an
//! operation on an unknown operand gives an unknown result of the right type. Function calls go
//! through `skel_stdlib`; `try` and `can` evaluate their arguments lazily here.

use std::collections::BTreeMap;

use skel_stdlib::Context;
use skel_syntax::{Expr, TextRange};
use skel_value::Value;

mod context;
mod expr;
mod ops;
mod template;
#[cfg(test)]
mod tests;

pub use context::FsContext;

/// Resolves the root names of traversals.
pub trait Scope {
    /// The value of a root name, or `None` when the name is not declared.
    fn lookup(&self, name: &str) -> Option<Value>;

    /// The value of a root name without copying it, when the scope holds it as is. A path
    /// `module.a.id` is then read in place and only `id` is copied, not the whole `module`
    /// object (thousands of calls in a large configuration). `None` means "use [`lookup`]".
    ///
    /// [`lookup`]: Scope::lookup
    fn lookup_ref(&self, _name: &str) -> Option<&Value> {
        None
    }
}

impl Scope for BTreeMap<String, Value> {
    fn lookup(&self, name: &str) -> Option<Value> {
        self.get(name).cloned()
    }

    fn lookup_ref(&self, name: &str) -> Option<&Value> {
        self.get(name)
    }
}

impl Scope for skel_value::ValueMap {
    fn lookup(&self, name: &str) -> Option<Value> {
        self.get(name).cloned()
    }

    fn lookup_ref(&self, name: &str) -> Option<&Value> {
        self.get(name)
    }
}

/// A scope with no names.
pub struct EmptyScope;

impl Scope for EmptyScope {
    fn lookup(&self, _: &str) -> Option<Value> {
        None
    }
}

/// An evaluation error at a range of the source (ranges are those of the AST).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct EvalError {
    pub message: String,
    pub range: TextRange,
}

impl EvalError {
    pub fn new(message: impl Into<String>, range: TextRange) -> EvalError {
        EvalError {
            message: message.into(),
            range,
        }
    }
}

impl std::fmt::Display for EvalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for EvalError {}

/// Evaluate an expression with file functions relative to the current directory.
pub fn eval(expr: &Expr, scope: &dyn Scope) -> Result<Value, EvalError> {
    eval_with(expr, scope, &FsContext::default())
}

/// Evaluate an expression with a given context for file and template functions.
pub fn eval_with(expr: &Expr, scope: &dyn Scope, ctx: &dyn Context) -> Result<Value, EvalError> {
    expr::Evaluator::new(scope, ctx).eval(expr)
}

/// Render a template (the contents of a template file or heredoc) to a string value.
pub fn eval_template(
    template: &skel_syntax::Template,
    scope: &dyn Scope,
    ctx: &dyn Context,
) -> Result<Value, EvalError> {
    let mut ev = expr::Evaluator::new(scope, ctx);
    template::render(&mut ev, &template.parts, TextRange::default())
}
