//! Expression inference: the type of every expression, with diagnostics for what cannot work.
//!
//! One [`InferCtx`] checks one item (or one local / output). References to other definitions
//! go through salsa queries, so an item is re-checked only when something it reads changed.

use std::sync::Arc;

use skel_db::{did_you_mean, Code, Db, Diagnostic, Directory, ItemRef};
use skel_hir::ModuleIndex;
use skel_syntax::{BinaryOp, Expr, ExprKind, Ident, TemplatePart, TextRange, UnaryOp};
use skel_value::{conversion, unify, Conversion, Type};

use crate::queries;

/// What references an expression may make.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RefPolicy {
    /// Anything in the module.
    All,
    /// Only `var.<name>` (a variable's validation condition).
    OnlyVariable(String),
    /// No references at all (a variable default).
    None,
}

pub struct InferCtx<'db> {
    pub db: &'db dyn Db,
    pub dir: Directory,
    pub index: Arc<ModuleIndex>,
    pub item: ItemRef,
    pub diagnostics: Vec<Diagnostic>,
    /// Names bound by for expressions, template `for` directives and dynamic-block iterators.
    scopes: Vec<(String, Type)>,
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

const REFERENCE_ROOTS: &[&str] = &[
    "var",
    "local",
    "module",
    "data",
    "path",
    "count",
    "each",
    "self",
    "terraform",
    "skel",
];

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
            scopes: Vec::new(),
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
        self.scopes.push((name.to_string(), ty));
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

    /// The type of an expression.
    pub fn infer(&mut self, expr: &Expr) -> Type {
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

    fn call(&mut self, expr: &Expr, name: &Ident, args: &[Expr], expand_final: bool) -> Type {
        let Some(function) = skel_stdlib::lookup(&name.name) else {
            for arg in args {
                self.infer(arg);
            }
            self.error(
                Code::UnknownFunction,
                name.range,
                format!("Call to unknown function `{}`", name.name),
            )
            .help = did_you_mean(&name.name, skel_stdlib::all().iter().map(|f| f.name));
            return Type::Dynamic;
        };
        let catches = matches!(function.name, "try" | "can");
        if catches {
            self.in_try += 1;
        }
        let types: Vec<Type> = args.iter().map(|a| self.infer(a)).collect();
        if catches {
            self.in_try -= 1;
        }
        if expand_final {
            // The expanded list's length is not known statically: check the fixed arguments only.
            if let Some(last) = types.last() {
                if !matches!(
                    last,
                    Type::List(_) | Type::Set(_) | Type::Tuple(_) | Type::Dynamic
                ) {
                    self.error(
                        Code::FunctionArgument,
                        args[args.len() - 1].range,
                        "Only a list, set or tuple can be expanded with `...`",
                    )
                    .with_span_message(format!("this is {last}"));
                }
            }
            return Type::Dynamic;
        }
        let min = function.params.len();
        let max = if function.variadic.is_some() {
            usize::MAX
        } else {
            min
        };
        if args.len() < min || args.len() > max {
            let expected = if max == usize::MAX {
                format!("at least {min}")
            } else {
                min.to_string()
            };
            let range = if args.len() > max {
                args[max].range.cover(args[args.len() - 1].range)
            } else {
                expr.range
            };
            self.error(
                Code::FunctionArity,
                range,
                format!("Wrong number of arguments to `{}`", function.name),
            )
            .with_span_message(format!("expected {expected}, found {}", args.len()))
            .help = Some(format!(
                "signature: {}",
                skel_stdlib::signature_string(function)
            ));
            return Type::Dynamic;
        }
        match skel_stdlib::check_call(function, &types) {
            Ok(ty) => {
                // Warn where a string literal argument silently becomes a number or bool.
                for (i, arg) in args.iter().enumerate() {
                    if let Some(param) = skel_stdlib::param_for(function, i) {
                        if matches!(param.ty, Type::Number | Type::Bool)
                            && conversion(&types[i], &param.ty) == Conversion::Unsafe
                        {
                            let what = format!("argument `{}`", param.name);
                            self.check_conversion(arg, &types[i], &param.ty.clone(), &what);
                        }
                    }
                }
                ty
            }
            Err(e) => {
                let range = e
                    .arg
                    .and_then(|i| args.get(i))
                    .map(|a| a.range)
                    .unwrap_or(expr.range);
                self.error(
                    Code::FunctionArgument,
                    range,
                    format!("Invalid argument to `{}`", function.name),
                )
                .with_span_message(e.message)
                .help = Some(format!(
                    "signature: {}",
                    skel_stdlib::signature_string(function)
                ));
                Type::Dynamic
            }
        }
    }

    fn catchable(&self) -> bool {
        self.in_try > 0
    }

    pub fn get_attr(&mut self, base: &Type, name: &Ident, base_expr: &Expr) -> Type {
        match base {
            Type::Dynamic => Type::Dynamic,
            Type::Object(o) => {
                if let Some(t) = o.attrs.get(&name.name) {
                    return t.clone();
                }
                if self.catchable() {
                    return Type::Dynamic;
                }
                let help = did_you_mean(&name.name, o.attrs.keys().map(String::as_str));
                if let Some(module) = module_call_name(base_expr) {
                    self.error(
                        Code::UnknownModuleOutput,
                        name.range,
                        format!("Module `{module}` has no output `{}`", name.name),
                    )
                    .with_note(format!("its outputs are: {}", list_names(o.attrs.keys())))
                    .help = help;
                } else {
                    self.error(
                        Code::UnknownAttribute,
                        name.range,
                        format!("Unsupported attribute `{}`", name.name),
                    )
                    .with_span_message("this object has no attribute of that name")
                    .help = help;
                }
                Type::Dynamic
            }
            Type::Map(e) => (**e).clone(),
            Type::List(e) | Type::Set(e) if !self.catchable() => {
                let mut hint = format!(
                    "to take `{}` from every element use a splat: `…[*].{}`",
                    name.name, name.name
                );
                if matches!(**e, Type::Object(_)) && self.is_counted_reference(base_expr) {
                    hint = format!("this resource has `count`; pick an instance (`…[count.index].{0}`, `…[0].{0}`) or all of them (`…[*].{0}`)", name.name);
                }
                self.error(
                    Code::UnknownAttribute,
                    name.range,
                    format!(
                        "Can't access attribute `{}` on a {}",
                        name.name,
                        base.kind_name()
                    ),
                )
                .with_span_message(format!("this value is {base}"))
                .help = Some(hint);
                Type::Dynamic
            }
            Type::Tuple(_) if !self.catchable() => {
                self.error(
                    Code::UnknownAttribute,
                    name.range,
                    format!("Can't access attribute `{}` on a tuple", name.name),
                )
                .help = Some(format!("use an index or a splat: `…[*].{}`", name.name));
                Type::Dynamic
            }
            _ if self.catchable() => Type::Dynamic,
            other => {
                self.error(
                    Code::UnknownAttribute,
                    name.range,
                    format!(
                        "Can't access attribute `{}` on a {}",
                        name.name,
                        other.kind_name()
                    ),
                )
                .with_span_message(format!("this value is {other}"));
                Type::Dynamic
            }
        }
    }

    /// `TYPE.NAME` for a declared resource without count/for_each.
    fn is_plain_resource_reference(&self, expr: &Expr) -> bool {
        let ExprKind::GetAttr { expr: inner, name } = &expr.kind else {
            return false;
        };
        let ExprKind::Variable(v) = &inner.kind else {
            return false;
        };
        self.index
            .resources
            .contains_key(&(v.name.clone(), name.name.clone()))
    }

    fn is_counted_reference(&self, expr: &Expr) -> bool {
        matches!(&expr.kind, ExprKind::GetAttr { expr: inner, .. } if matches!(&inner.kind, ExprKind::Variable(v) if self.index.has_resource_type(&v.name)))
    }

    fn index(
        &mut self,
        base: &Type,
        base_expr: &Expr,
        index: &Expr,
        key: &Type,
        range: TextRange,
    ) -> Type {
        let literal_number = index.number_value();
        let literal_string = index.as_literal_string();
        match base {
            Type::Dynamic => Type::Dynamic,
            Type::List(e) => {
                self.index_key(index, key, &Type::Number);
                (**e).clone()
            }
            Type::Tuple(ts) => {
                self.index_key(index, key, &Type::Number);
                match literal_number {
                    Some(n) if n >= 0.0 && (n as usize) < ts.len() && n.fract() == 0.0 => {
                        ts[n as usize].clone()
                    }
                    Some(n) if !self.catchable() => {
                        self.error(Code::InvalidIndex, index.range, "Index out of range")
                            .with_span_message(format!(
                                "index {n} of a tuple with {} element{}",
                                ts.len(),
                                if ts.len() == 1 { "" } else { "s" }
                            ));
                        Type::Dynamic
                    }
                    _ => unify(ts).unwrap_or(Type::Dynamic),
                }
            }
            Type::Map(e) => {
                self.index_key(index, key, &Type::String);
                (**e).clone()
            }
            Type::Object(_) if literal_number.is_some() && !self.catchable() => {
                let hint = if self.is_plain_resource_reference(base_expr) {
                    "this resource has no `count` or `for_each`, so it is one object: refer to it without an index"
                } else {
                    "an object is indexed by attribute name, like `x[\"name\"]`"
                };
                self.error(
                    Code::InvalidIndex,
                    index.range,
                    "An object cannot be indexed by a number",
                )
                .help = Some(hint.into());
                Type::Dynamic
            }
            Type::Object(o) => {
                self.index_key(index, key, &Type::String);
                match literal_string {
                    Some(name) => match o.attrs.get(&name) {
                        Some(t) => t.clone(),
                        None if self.catchable() => Type::Dynamic,
                        None => {
                            self.error(
                                Code::UnknownAttribute,
                                index.range,
                                format!("Object has no attribute `{name}`"),
                            )
                            .help = did_you_mean(&name, o.attrs.keys().map(String::as_str));
                            Type::Dynamic
                        }
                    },
                    None => {
                        let ts: Vec<Type> = o.attrs.values().cloned().collect();
                        unify(&ts).unwrap_or(Type::Dynamic)
                    }
                }
            }
            Type::Set(_) => {
                self.error(Code::InvalidIndex, range, "Sets cannot be indexed")
                    .with_span_message("elements of a set have no index or key")
                    .help = Some(
                    "convert it first with tolist(…), or iterate with a for expression".into(),
                );
                Type::Dynamic
            }
            other => {
                if !self.catchable() {
                    self.error(
                        Code::InvalidIndex,
                        range,
                        format!("A {} cannot be indexed", other.kind_name()),
                    )
                    .with_span_message(format!("this value is {other}"));
                }
                Type::Dynamic
            }
        }
    }

    fn index_key(&mut self, index: &Expr, key: &Type, want: &Type) {
        let literal_not_number = *want == Type::Number
            && index
                .as_literal_string()
                .is_some_and(|s| s.trim().parse::<f64>().is_err());
        if literal_not_number {
            self.error(Code::InvalidIndex, index.range, "Invalid index key")
                .with_span_message("a list or tuple is indexed by a whole number")
                .help = Some("use a map (or an object) to look values up by name".into());
            return;
        }
        if conversion(key, want) == Conversion::Impossible {
            self.error(Code::InvalidIndex, index.range, "Invalid index key")
                .with_span_message(format!("expected {want}, found {key}"));
        }
    }

    fn splat(&mut self, base: &Type, each: &Expr) -> Type {
        let (elems, as_list) = match base {
            Type::Dynamic => return Type::Dynamic,
            Type::List(e) | Type::Set(e) => (vec![(**e).clone()], true),
            Type::Tuple(ts) => (ts.clone(), false),
            other => (vec![other.clone()], false),
        };
        let mut out = Vec::new();
        for elem in elems {
            self.splat_items.push(elem);
            out.push(self.infer(each));
            self.splat_items.pop();
        }
        if as_list {
            Type::list(out.pop().unwrap_or(Type::Dynamic))
        } else {
            Type::Tuple(out)
        }
    }

    fn variable(&mut self, ident: &Ident) -> Type {
        if let Some((_, ty)) = self.scopes.iter().rev().find(|(n, _)| *n == ident.name) {
            return ty.clone();
        }
        match ident.name.as_str() {
            "self" => match &self.self_type {
                Some(t) => t.clone(),
                None => {
                    self.error(Code::SelfOutOfContext, ident.range, "`self` used outside a provisioner or connection")
                        .help = Some("`self` refers to the resource being provisioned; elsewhere, refer to the resource by its address".into());
                    Type::Dynamic
                }
            },
            "var" | "local" | "module" | "data" | "path" | "count" | "each" | "terraform"
            | "skel" => {
                self.error(
                    Code::UnresolvedReference,
                    ident.range,
                    format!("Incomplete reference `{}`", ident.name),
                )
                .help = Some(format!(
                    "`{}` must be followed by an attribute name, like `{}.name`",
                    ident.name, ident.name
                ));
                Type::Dynamic
            }
            name if self.index.has_resource_type(name) || skel_schema::resource(name).is_some() => {
                self.error(
                    Code::UnresolvedReference,
                    ident.range,
                    "Incomplete resource reference",
                )
                .help = Some(format!(
                    "a resource is referred to by type and name: `{name}.NAME`"
                ));
                Type::Dynamic
            }
            name => {
                let mut candidates: Vec<&str> =
                    self.scopes.iter().map(|(n, _)| n.as_str()).collect();
                candidates.extend(REFERENCE_ROOTS);
                let types: Vec<String> = self
                    .index
                    .resources
                    .keys()
                    .map(|(t, _)| t.clone())
                    .collect();
                candidates.extend(types.iter().map(String::as_str));
                self.error(
                    Code::UnresolvedReference,
                    ident.range,
                    format!("Unknown name `{name}`"),
                )
                .with_span_message("not a variable, local, resource or bound name")
                .help = did_you_mean(name, candidates);
                Type::Dynamic
            }
        }
    }

    fn policy_allows(&mut self, range: TextRange, what: &str, var_name: Option<&str>) -> bool {
        match &self.policy {
            RefPolicy::All => true,
            RefPolicy::OnlyVariable(own) if var_name == Some(own.as_str()) => true,
            RefPolicy::OnlyVariable(own) => {
                let own = own.clone();
                self.error(
                    Code::InvalidValidationReference,
                    range,
                    "Invalid reference in variable validation",
                )
                .with_span_message(format!("{what} cannot be used here"))
                .help = Some(format!(
                    "a validation condition may only refer to `var.{own}`"
                ));
                false
            }
            RefPolicy::None => {
                self.error(
                    Code::InvalidVariableDefault,
                    range,
                    "Variables may not be used here",
                )
                .with_span_message(format!("{what} is not a constant"))
                .help = Some("a default must be a literal value".into());
                false
            }
        }
    }

    /// The type of a reference such as `var.x`, `local.y`, `aws_vpc.main`, `data.t.n`,
    /// `module.m`, `count.index`, `each.value`, `path.module`; `None` if `expr` is not one.
    fn reference(&mut self, expr: &Expr) -> Option<Type> {
        let ExprKind::GetAttr { expr: inner, name } = &expr.kind else {
            return None;
        };
        let root = match &inner.kind {
            ExprKind::Variable(root) => root,
            // `data.TYPE.NAME`
            ExprKind::GetAttr {
                expr: data,
                name: type_name,
            } => {
                let ExprKind::Variable(root) = &data.kind else {
                    return None;
                };
                if root.name != "data" || self.scopes.iter().any(|(n, _)| n == "data") {
                    return None;
                }
                if !self.policy_allows(expr.range, "a data source", None) {
                    return Some(Type::Dynamic);
                }
                let key = (type_name.name.clone(), name.name.clone());
                return Some(match self.index.data.get(&key) {
                    Some(def) => queries::resource_type(self.db, def.item.file, def.item.index),
                    None => {
                        let names: Vec<String> = self
                            .index
                            .data
                            .keys()
                            .map(|(t, n)| format!("{t}.{n}"))
                            .collect();
                        self.error(
                            Code::UnresolvedReference,
                            expr.range,
                            format!(
                                "Reference to undeclared data source `data.{}.{}`",
                                key.0, key.1
                            ),
                        )
                        .help = did_you_mean(
                            &format!("{}.{}", key.0, key.1),
                            names.iter().map(String::as_str),
                        );
                        Type::Dynamic
                    }
                });
            }
            _ => return None,
        };
        if self.scopes.iter().any(|(n, _)| *n == root.name) {
            return None;
        }
        let attr = name.name.as_str();
        let ty = match root.name.as_str() {
            "var" => {
                if !self.policy_allows(expr.range, "a variable", Some(attr)) {
                    return Some(Type::Dynamic);
                }
                match self.index.variables.get(attr) {
                    Some(def) => queries::variable_type(self.db, def.item.file, def.item.index),
                    None => {
                        self.error(
                            Code::UnresolvedReference,
                            expr.range,
                            format!("Reference to undeclared variable `var.{attr}`"),
                        )
                        .help = did_you_mean(attr, self.index.variables.keys().map(String::as_str))
                            .or_else(|| {
                                Some(format!(
                                    "declare it: `variable \"{attr}\" {{ type = string }}`"
                                ))
                            });
                        Type::Dynamic
                    }
                }
            }
            "local" => {
                if !self.policy_allows(expr.range, "a local value", None) {
                    return Some(Type::Dynamic);
                }
                match self.index.locals.get(attr) {
                    Some(def) => {
                        queries::local_type(self.db, def.item.file, def.item.index, def.attr)
                    }
                    None => {
                        self.error(
                            Code::UnresolvedReference,
                            expr.range,
                            format!("Reference to undeclared local value `local.{attr}`"),
                        )
                        .help = did_you_mean(attr, self.index.locals.keys().map(String::as_str));
                        Type::Dynamic
                    }
                }
            }
            "module" => {
                if !self.policy_allows(expr.range, "a module output", None) {
                    return Some(Type::Dynamic);
                }
                match self.index.modules.get(attr) {
                    Some(def) => queries::module_call_type(self.db, def.item.file, def.item.index),
                    None => {
                        self.error(
                            Code::UnresolvedReference,
                            expr.range,
                            format!("Reference to undeclared module `module.{attr}`"),
                        )
                        .help = did_you_mean(attr, self.index.modules.keys().map(String::as_str));
                        Type::Dynamic
                    }
                }
            }
            "path" => match attr {
                "module" | "root" | "cwd" => Type::String,
                _ => {
                    self.error(
                        Code::UnresolvedReference,
                        name.range,
                        format!("Unknown attribute `path.{attr}`"),
                    )
                    .help = Some("`path` has `module`, `root` and `cwd`".into());
                    Type::Dynamic
                }
            },
            "terraform" | "skel" => match attr {
                "workspace" => Type::String,
                _ => {
                    self.error(
                        Code::UnresolvedReference,
                        name.range,
                        format!("Unknown attribute `{}.{attr}`", root.name),
                    )
                    .help = Some(format!("`{}` has only `workspace`", root.name));
                    Type::Dynamic
                }
            },
            "count" => {
                if attr != "index" {
                    self.error(
                        Code::UnresolvedReference,
                        name.range,
                        format!("Unknown attribute `count.{attr}`"),
                    )
                    .help = Some("`count` has only `index`".into());
                    return Some(Type::Dynamic);
                }
                if !self.has_count {
                    self.error(Code::CountOutOfContext, expr.range, "`count.index` used where there is no `count`")
                        .help = Some("`count.index` is only available in a resource, data or module block that sets `count`".into());
                }
                Type::Number
            }
            "each" => {
                let Some(value) = self.each_value.clone() else {
                    self.error(Code::EachOutOfContext, expr.range, format!("`each.{attr}` used where there is no `for_each`"))
                        .help = Some("`each` is only available in a resource, data or module block that sets `for_each`".into());
                    return Some(Type::Dynamic);
                };
                match attr {
                    "key" => Type::String,
                    "value" => value,
                    _ => {
                        self.error(
                            Code::UnresolvedReference,
                            name.range,
                            format!("Unknown attribute `each.{attr}`"),
                        )
                        .help = Some("`each` has `key` and `value`".into());
                        Type::Dynamic
                    }
                }
            }
            type_name => {
                let key = (type_name.to_string(), attr.to_string());
                match self.index.resources.get(&key).cloned() {
                    Some(def) => {
                        if !self.policy_allows(expr.range, "a resource", None) {
                            return Some(Type::Dynamic);
                        }
                        queries::resource_type(self.db, def.item.file, def.item.index)
                    }
                    None if self.index.has_resource_type(type_name)
                        || skel_schema::resource(type_name).is_some() =>
                    {
                        let names: Vec<&str> = self
                            .index
                            .resources
                            .keys()
                            .filter(|(t, _)| t == type_name)
                            .map(|(_, n)| n.as_str())
                            .collect();
                        self.error(
                            Code::UnresolvedReference,
                            expr.range,
                            format!("Reference to undeclared resource `{type_name}.{attr}`"),
                        )
                        .help = did_you_mean(attr, names);
                        Type::Dynamic
                    }
                    // Not a reference root: the plain variable path reports it.
                    None => return None,
                }
            }
        };
        Some(ty)
    }
}

/// The module name when `expr` is `module.NAME` or one of its instances `module.NAME[key]`,
/// so a missing attribute on it is reported as an unknown output of that module.
fn module_call_name(expr: &Expr) -> Option<&str> {
    match &expr.kind {
        ExprKind::GetAttr { expr: root, name } => match &root.kind {
            ExprKind::Variable(v) if v.name == "module" => Some(&name.name),
            _ => None,
        },
        ExprKind::Index { expr, .. } => module_call_name(expr),
        _ => None,
    }
}

/// A just-recorded diagnostic, to add details to in place.
pub struct DiagMut<'a>(&'a mut Diagnostic, ItemRef);

impl DiagMut<'_> {
    pub fn with_span_message(self, message: impl Into<String>) -> Self {
        self.0.span_message = message.into();
        self
    }

    pub fn with_label(self, span: skel_db::Span, message: impl Into<String>) -> Self {
        self.0.labels.push(skel_db::Label {
            span,
            message: message.into(),
        });
        self
    }

    /// A label at a range of the same item.
    pub fn with_label_here(self, range: TextRange, message: impl Into<String>) -> Self {
        let span = self.1.span(range);
        self.with_label(span, message)
    }

    pub fn with_note(self, note: impl Into<String>) -> Self {
        self.0.notes.push(note.into());
        self
    }
}

impl std::ops::Deref for DiagMut<'_> {
    type Target = Diagnostic;
    fn deref(&self) -> &Diagnostic {
        self.0
    }
}

impl std::ops::DerefMut for DiagMut<'_> {
    fn deref_mut(&mut self) -> &mut Diagnostic {
        self.0
    }
}

fn list_names<'a>(names: impl Iterator<Item = &'a String>) -> String {
    let v: Vec<String> = names.map(|n| format!("`{n}`")).collect();
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}

/// Whether values of these two types can never compare equal (both known, different kinds).
fn never_equal(a: &Type, b: &Type) -> bool {
    let kind = |t: &Type| match t {
        Type::Dynamic => None,
        Type::String => Some(0),
        Type::Number => Some(1),
        Type::Bool => Some(2),
        Type::List(_) | Type::Tuple(_) | Type::Set(_) => Some(3),
        Type::Map(_) | Type::Object(_) => Some(4),
    };
    matches!((kind(a), kind(b)), (Some(x), Some(y)) if x != y)
}

/// A hint for a common type mismatch.
fn conversion_hint(found: &Type, expected: &Type) -> Option<String> {
    match (found, expected) {
        (Type::List(_) | Type::Tuple(_) | Type::Set(_), Type::String) => {
            Some("pick one element with an index (`x[0]`) or join them: `join(\",\", x)`".into())
        }
        (Type::String, Type::List(_) | Type::Set(_)) => Some("wrap it in brackets: `[x]`".into()),
        (Type::Tuple(_) | Type::List(_), Type::Map(_) | Type::Object(_)) => {
            Some("build an object with `{ for … : k => v }`".into())
        }
        (Type::Object(_) | Type::Map(_), Type::String) => {
            Some("use jsonencode(…) to turn a structure into a string".into())
        }
        _ => None,
    }
}
