//! Member access: attributes, indexes and splats of a value, and what they may fail with.

use skel_db::{did_you_mean, Code};
use skel_syntax::{Expr, ExprKind, Ident, TextRange};
use skel_value::{conversion, unify, Conversion, Type};

use super::diag::list_names;
use super::InferCtx;

impl InferCtx<'_> {
    pub(super) fn catchable(&self) -> bool {
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
    pub(super) fn is_plain_resource_reference(&self, expr: &Expr) -> bool {
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

    pub(super) fn is_counted_reference(&self, expr: &Expr) -> bool {
        matches!(&expr.kind, ExprKind::GetAttr { expr: inner, .. } if matches!(&inner.kind, ExprKind::Variable(v) if self.index.has_resource_type(&v.name)))
    }

    pub(super) fn index(
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

    pub(super) fn index_key(&mut self, index: &Expr, key: &Type, want: &Type) {
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

    pub(super) fn splat(&mut self, base: &Type, each: &Expr) -> Type {
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
