//! Expression inference: the type of every expression, with diagnostics for what cannot work.
//!
//! One [`InferCtx`] checks one item (or one local / output). References to other definitions
//! go through salsa queries, so an item is re-checked only when something it reads changed.

use std::sync::Arc;

use skel_db::{Code, Db, Diagnostic, Directory, ItemRef};
use skel_hir::resolve::Scopes;
use skel_hir::ModuleIndex;
use skel_syntax::{BinaryOp, Expr, ExprKind, Ident, TemplatePart, TextRange, UnaryOp};
use skel_value::{conversion, unify, Conversion, Type};

mod access;
mod calls;
mod diag;
mod refs;
mod results;

pub use diag::DiagMut;
use diag::{conversion_hint, never_equal};
pub use results::ExprTypes;

/// What references an expression may make.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum RefPolicy {
    /// Anything in the module.
    All,
    /// Only `var.<name>` (a variable's validation condition).
    OnlyVariable(String),
    /// No references at all (a variable default).
    None,
}

/// The inference of one item (or one local / output): diagnostics, and with
/// [`InferCtx::recording`] the type of every expression inferred. Private to the crate: the
/// other crates read results ([`crate::item_types`], [`crate::check_item`]), never a context.
pub(crate) struct InferCtx<'db> {
    pub db: &'db dyn Db,
    pub dir: Directory,
    pub index: Arc<ModuleIndex>,
    pub item: ItemRef,
    pub diagnostics: Vec<Diagnostic>,
    /// Names bound by for expressions, template `for` directives and dynamic-block iterators.
    scopes: Scopes<Type>,
    /// The type of each expression inferred, by item-relative range, when recording.
    recorded: Option<Vec<(TextRange, Type)>>,
    splat_items: Vec<Type>,
    /// Inside `try(…)`/`can(…)`: errors about attributes and indexes are caught at evaluation.
    in_try: u32,
    pub has_count: bool,
    /// The element type of `for_each` when the block has one.
    pub each_value: Option<Type>,
    /// The type of `self` inside provisioner and connection blocks.
    pub self_type: Option<Type>,
    pub policy: RefPolicy,
}

impl<'db> InferCtx<'db> {
    pub fn new(db: &'db dyn Db, item: ItemRef) -> Self {
        let dir = skel_hir::module_of(db, item.file);
        let index = skel_hir::module_index(db, dir).clone();
        InferCtx {
            db,
            dir,
            index,
            item,
            diagnostics: Vec::new(),
            scopes: Scopes::default(),
            recorded: None,
            splat_items: Vec::new(),
            in_try: 0,
            has_count: false,
            each_value: None,
            self_type: None,
            policy: RefPolicy::All,
        }
    }

    pub fn span(&self, range: TextRange) -> skel_db::Span {
        self.item.span(range)
    }

    /// Record a diagnostic at `range` (item-relative) and return it for adding details.
    pub fn error(
        &mut self,
        code: Code,
        range: TextRange,
        message: impl Into<String>,
    ) -> DiagMut<'_> {
        let diagnostic = Diagnostic::new(code, self.span(range), message);
        self.diagnostics.push(diagnostic);
        DiagMut(self.diagnostics.last_mut().expect("just pushed"), self.item)
    }

    pub fn push_scope(&mut self, name: &str, ty: Type) {
        self.scopes.push(name, ty);
    }

    pub fn pop_scope(&mut self) {
        self.scopes.pop();
    }

    /// Check that `expr` converts to `expected`; report a mismatch at the expression.
    /// Returns the expression's type.
    pub fn expect(&mut self, expr: &Expr, expected: &Type, what: &str) -> Type {
        let found = self.infer(expr);
        self.check_conversion(expr, &found, expected, what);
        found
    }

    /// Report a type mismatch, or the silent conversion of a string literal.
    pub fn check_conversion(&mut self, expr: &Expr, found: &Type, expected: &Type, what: &str) {
        match conversion(found, expected) {
            Conversion::Impossible => {
                let help = conversion_hint(found, expected);
                self.error(
                    Code::TypeMismatch,
                    expr.range,
                    format!("Incorrect type for {what}"),
                )
                .with_span_message(format!("expected {expected}, found {found}"))
                .help = help;
            }
            Conversion::Unsafe if matches!(expected, Type::Number | Type::Bool) => {
                if let Some(text) = expr.as_literal_string() {
                    let converts = match expected {
                        Type::Number => text.trim().parse::<f64>().is_ok(),
                        _ => text == "true" || text == "false",
                    };
                    if converts {
                        self.error(
                            Code::ImplicitConversion,
                            expr.range,
                            format!("String literal converted to {expected}"),
                        )
                        .with_span_message(format!(
                            "the string \"{text}\" becomes the {expected} {text}"
                        ))
                        .help = Some(format!("write `{text}` without quotes"));
                    } else {
                        self.error(
                            Code::TypeMismatch,
                            expr.range,
                            format!("Incorrect type for {what}"),
                        )
                        .with_span_message(format!(
                            "expected {expected}, and \"{text}\" is not a {expected}"
                        ));
                    }
                }
            }
            _ => {}
        }
    }

    /// The same context, recording the type of every expression it infers.
    pub fn recording(mut self) -> Self {
        self.recorded = Some(Vec::new());
        self
    }

    pub fn is_recording(&self) -> bool {
        self.recorded.is_some()
    }

    /// The types recorded (see [`InferCtx::recording`]).
    pub fn take_recorded(&mut self) -> ExprTypes {
        ExprTypes::new(self.recorded.take().unwrap_or_default())
    }

    /// The type of an expression.
    pub fn infer(&mut self, expr: &Expr) -> Type {
        let ty = self.infer_kind(expr);
        if let Some(recorded) = &mut self.recorded {
            recorded.push((expr.range, ty.clone()));
        }
        ty
    }

    fn infer_kind(&mut self, expr: &Expr) -> Type {
        match &expr.kind {
            ExprKind::Null => Type::Dynamic,
            ExprKind::Bool(_) => Type::Bool,
            ExprKind::Number(_) => Type::Number,
            ExprKind::Template(t) => match t.parts.as_slice() {
                // `"${x}"` alone is `x` itself, of its own type (HCL's rule).
                [TemplatePart::Interpolation { expr: inner, .. }]
                    if t.kind == skel_syntax::TemplateKind::Quoted =>
                {
                    let ty = self.infer(inner);
                    self.error(Code::RedundantInterpolation, expr.range, "Redundant interpolation")
                        .with_span_message("a string that is only one interpolation is that value itself")
                        .help = Some("drop the quotes and `${}`; to convert to a string on purpose use `tostring(…)`".into());
                    ty
                }
                parts => {
                    self.template_parts(parts);
                    Type::String
                }
            },
            ExprKind::Variable(ident) => self.variable(ident),
            ExprKind::Tuple(items) => Type::Tuple(items.iter().map(|e| self.infer(e)).collect()),
            ExprKind::Object(items) => self.object(items),
            ExprKind::Call {
                name,
                args,
                expand_final,
            } => self.call(expr, name, args, *expand_final),
            ExprKind::GetAttr { expr: inner, name } => {
                if let Some(ty) = self.reference(expr) {
                    return ty;
                }
                let base = self.infer(inner);
                self.get_attr(&base, name, inner)
            }
            ExprKind::Index { expr: inner, index } => {
                if let Some(ty) = self.reference(expr) {
                    return ty;
                }
                let base = self.infer(inner);
                let key = self.infer(index);
                self.index(&base, inner, index, &key, expr.range)
            }
            ExprKind::Splat {
                expr: inner, each, ..
            } => {
                let base = self.infer(inner);
                self.splat(&base, each)
            }
            ExprKind::SplatItem => self.splat_items.last().cloned().unwrap_or(Type::Dynamic),
            ExprKind::Unary { op, expr: inner } => {
                let (want, name) = match op {
                    UnaryOp::Neg => (Type::Number, "-"),
                    UnaryOp::Not => (Type::Bool, "!"),
                };
                let found = self.infer(inner);
                self.operand(inner, &found, &want, name);
                want
            }
            ExprKind::Binary { op, lhs, rhs } => self.binary(*op, lhs, rhs),
            ExprKind::Conditional { cond, then, other } => {
                let found = self.infer(cond);
                self.check_conversion(cond, &found, &Type::Bool, "the condition");
                let a = self.infer(then);
                let b = self.infer(other);
                match unify(&[a.clone(), b.clone()]) {
                    Some(t) => t,
                    None => {
                        self.error(Code::InconsistentConditional, expr.range, "Inconsistent conditional result types")
                            .with_label_here(then.range, format!("this is {a}"))
                            .with_label_here(other.range, format!("this is {b}"))
                            .help = Some("both results must have a common type; convert one, e.g. with tostring() or tolist()".into());
                        Type::Dynamic
                    }
                }
            }
            ExprKind::ForTuple {
                key_var,
                value_var,
                collection,
                value,
                cond,
            } => {
                let (k, v) = self.iteration(collection);
                self.bind_iteration(key_var.as_ref(), value_var, k, v);
                if let Some(c) = cond {
                    self.expect(c, &Type::Bool, "the `if` clause");
                }
                let elem = self.infer(value);
                self.unbind_iteration(key_var.as_ref());
                Type::list(elem)
            }
            ExprKind::ForObject {
                key_var,
                value_var,
                collection,
                key,
                value,
                grouping,
                cond,
            } => {
                let (k, v) = self.iteration(collection);
                self.bind_iteration(key_var.as_ref(), value_var, k, v);
                if let Some(c) = cond {
                    self.expect(c, &Type::Bool, "the `if` clause");
                }
                self.expect(key, &Type::String, "an object key");
                let elem = self.infer(value);
                self.unbind_iteration(key_var.as_ref());
                if *grouping {
                    Type::map(Type::list(elem))
                } else {
                    Type::map(elem)
                }
            }
            ExprKind::Parens(inner) => self.infer(inner),
            ExprKind::Error => Type::Dynamic,
        }
    }

    fn template_parts(&mut self, parts: &[TemplatePart]) {
        for part in parts {
            match part {
                TemplatePart::Literal { .. } => {}
                TemplatePart::Interpolation { expr, .. } => {
                    let found = self.infer(expr);
                    if !found.is_primitive() && !found.is_dynamic() {
                        self.error(
                            Code::TypeMismatch,
                            expr.range,
                            "Invalid template interpolation value",
                        )
                        .with_span_message(format!(
                            "a string template can include a string, number or bool, not {found}"
                        ))
                        .help = Some(match found {
                            Type::List(_) | Type::Set(_) | Type::Tuple(_) => {
                                "join the elements first: `join(\",\", …)`".into()
                            }
                            _ => "use jsonencode(…) to include a structured value".into(),
                        });
                    }
                }
                TemplatePart::If {
                    cond, then, other, ..
                } => {
                    self.expect(cond, &Type::Bool, "the `%{if}` condition");
                    self.template_parts(then);
                    if let Some(o) = other {
                        self.template_parts(o);
                    }
                }
                TemplatePart::For {
                    key_var,
                    value_var,
                    collection,
                    body,
                    ..
                } => {
                    let (k, v) = self.iteration(collection);
                    self.bind_iteration(key_var.as_ref(), value_var, k, v);
                    self.template_parts(body);
                    self.unbind_iteration(key_var.as_ref());
                }
            }
        }
    }

    fn bind_iteration(&mut self, key_var: Option<&Ident>, value_var: &Ident, k: Type, v: Type) {
        if let Some(key) = key_var {
            self.push_scope(&key.name, k);
        }
        self.push_scope(&value_var.name, v);
    }

    fn unbind_iteration(&mut self, key_var: Option<&Ident>) {
        self.pop_scope();
        if key_var.is_some() {
            self.pop_scope();
        }
    }

    /// Key and value types when iterating over `collection`.
    pub fn iteration(&mut self, collection: &Expr) -> (Type, Type) {
        let ty = self.infer(collection);
        match &ty {
            Type::List(e) | Type::Set(e) => (Type::Number, (**e).clone()),
            Type::Tuple(ts) => (Type::Number, unify(ts).unwrap_or(Type::Dynamic)),
            Type::Map(e) => (Type::String, (**e).clone()),
            Type::Object(o) => {
                let ts: Vec<Type> = o.attrs.values().cloned().collect();
                (Type::String, unify(&ts).unwrap_or(Type::Dynamic))
            }
            Type::Dynamic => (Type::Dynamic, Type::Dynamic),
            other => {
                self.error(
                    Code::TypeMismatch,
                    collection.range,
                    "Iteration over a value that is not a collection",
                )
                .with_span_message(format!(
                    "expected a list, set, map, tuple or object, found {other}"
                ));
                (Type::Dynamic, Type::Dynamic)
            }
        }
    }

    fn object(&mut self, items: &[skel_syntax::ObjectItem]) -> Type {
        let mut attrs = std::collections::BTreeMap::new();
        let mut literal_keys = true;
        let mut values = Vec::new();
        for item in items {
            let value = self.infer(&item.value);
            values.push(value.clone());
            match crate::constraint::object_key(&item.key) {
                Some(key) => {
                    if attrs.insert(key.clone(), value).is_some() {
                        self.error(
                            Code::DuplicateDefinition,
                            item.key.range,
                            format!("Duplicate object key `{key}`"),
                        );
                    }
                }
                None => {
                    literal_keys = false;
                    self.expect(&item.key, &Type::String, "an object key");
                }
            }
        }
        if literal_keys {
            Type::Object(skel_value::ObjectType::new(attrs))
        } else {
            unify(&values).map(Type::map).unwrap_or(Type::Dynamic)
        }
    }

    fn operand(&mut self, expr: &Expr, found: &Type, want: &Type, op: &str) {
        match conversion(found, want) {
            Conversion::Impossible => {
                self.error(
                    Code::InvalidOperand,
                    expr.range,
                    format!("Invalid operand for `{op}`"),
                )
                .with_span_message(format!("expected {want}, found {found}"));
            }
            Conversion::Unsafe => self.check_conversion(expr, found, want, "an operand"),
            _ => {}
        }
    }

    fn binary(&mut self, op: BinaryOp, lhs: &Expr, rhs: &Expr) -> Type {
        let a = self.infer(lhs);
        let b = self.infer(rhs);
        let (operand, result) = match op {
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => {
                (Some(Type::Number), Type::Number)
            }
            BinaryOp::Lt | BinaryOp::LtEq | BinaryOp::Gt | BinaryOp::GtEq => {
                (Some(Type::Number), Type::Bool)
            }
            BinaryOp::And | BinaryOp::Or => (Some(Type::Bool), Type::Bool),
            BinaryOp::Eq | BinaryOp::NotEq => {
                if never_equal(&a, &b) {
                    let always = if op == BinaryOp::Eq { "false" } else { "true" };
                    self.error(Code::IncomparableValues, lhs.range.cover(rhs.range), format!("This comparison is always {always}"))
                        .with_span_message(format!("a {a} is never equal to a {b}"))
                        .help = Some("`==` compares type and value; convert one side first, e.g. `tostring(…)` or `tonumber(…)`".into());
                }
                (None, Type::Bool)
            }
        };
        if let Some(want) = operand {
            if op == BinaryOp::Add
                && matches!((&a, &b), (Type::String, _) | (_, Type::String))
                && (lhs.as_literal_string().is_none() || rhs.as_literal_string().is_none())
                && (conversion(&a, &Type::Number) != Conversion::Safe
                    || conversion(&b, &Type::Number) != Conversion::Safe)
                && (!matches!(a, Type::String) || lhs.as_literal_string().is_none())
                && (!matches!(b, Type::String) || rhs.as_literal_string().is_none())
            {
                // `"a" + var.s` is a common mistake from other languages: say so.
                self.error(
                    Code::InvalidOperand,
                    lhs.range.cover(rhs.range),
                    "`+` adds numbers; it does not join strings",
                )
                .help = Some("use a template: \"${a}${b}\"".into());
                return result;
            }
            self.operand(lhs, &a, &want, op.as_str());
            self.operand(rhs, &b, &want, op.as_str());
        }
        result
    }
}
