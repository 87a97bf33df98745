//! The marks an expression may evaluate to, rule for rule as the evaluator (`skel_eval`)
//! propagates them: operators, conditionals, templates, `for`, splats, indexes and function
//! calls (a result carries the marks of every argument; `sensitive`, `nonsensitive`,
//! `issensitive`, `try` and `can` have their own rules).

use std::collections::BTreeMap;

use skel_hir::resolve::{self, Root, Scopes, Target};
use skel_syntax::{Expr, ExprKind, TemplatePart};
use skel_value::Marks;

use super::lattice::Sens;

/// What references resolve to, in the module being analysed.
pub trait Env {
    fn var(&self, name: &str) -> Sens;
    fn local(&self, name: &str) -> Sens;
    fn module(&self, name: &str) -> Sens;
    /// A managed resource (`data` false) or data source; `None` when the module declares none
    /// of that type and name (then `TYPE.NAME` is not a reference).
    fn resource(&self, data: bool, type_name: &str, name: &str) -> Option<Sens>;
}

pub struct Walker<'a> {
    env: &'a dyn Env,
    /// Names bound by `for` expressions, template `for` directives and dynamic-block
    /// iterators, innermost last.
    scopes: Scopes<Sens>,
    splat: Vec<Sens>,
    /// `each.value` and `each.key` in a block with `for_each`.
    pub each: Option<(Sens, Sens)>,
}

impl<'a> Walker<'a> {
    pub fn new(env: &'a dyn Env) -> Walker<'a> {
        Walker {
            env,
            scopes: Scopes::default(),
            splat: Vec::new(),
            each: None,
        }
    }

    pub fn push(&mut self, name: &str, sens: Sens) {
        self.scopes.push(name, sens);
    }

    pub fn pop(&mut self) {
        self.scopes.pop();
    }

    fn bound(&self, name: &str) -> Option<&Sens> {
        self.scopes.lookup(name)
    }

    pub fn eval(&mut self, expr: &Expr) -> Sens {
        match &expr.kind {
            ExprKind::Null | ExprKind::Bool(_) | ExprKind::Number(_) | ExprKind::Error => {
                Sens::None
            }
            ExprKind::Template(t) => match t.parts.as_slice() {
                // `"${x}"` is `x` itself (the evaluator returns the value unconverted).
                [TemplatePart::Interpolation { expr, .. }] => self.eval(expr),
                parts => self.template(parts).collapse(),
            },
            ExprKind::Variable(name) => self.bound(&name.name).cloned().unwrap_or_default(),
            ExprKind::Tuple(items) => Sens::elems(
                items
                    .iter()
                    .map(|e| self.eval(e))
                    .fold(Sens::None, Sens::join),
            ),
            ExprKind::Object(items) => {
                let mut attrs = BTreeMap::new();
                let mut dynamic = Sens::None;
                let mut key_marks = Sens::None;
                for item in items {
                    let value = self.eval(&item.value);
                    match object_key(&item.key) {
                        Some(k) => {
                            attrs.insert(k, value);
                        }
                        None => {
                            key_marks = key_marks.join(self.eval(&item.key).collapse());
                            dynamic = dynamic.join(value);
                        }
                    }
                }
                let object = if dynamic.is_none() {
                    Sens::attrs(attrs)
                } else {
                    Sens::elems(attrs.into_values().fold(dynamic, Sens::join))
                };
                object.join(key_marks)
            }
            ExprKind::Call { name, args, .. } => self.call(&name.name, args),
            ExprKind::GetAttr { expr: inner, name } => match self.reference(expr) {
                Some(s) => s,
                None => self.eval(inner).attr(&name.name),
            },
            ExprKind::Index { expr: inner, index } => {
                let base = self.eval(inner);
                let key = self.eval(index).collapse();
                base.index(index_key(index).as_deref()).join(key)
            }
            ExprKind::Splat {
                expr: inner, each, ..
            } => {
                let base = self.eval(inner);
                // A splat over one object applies to it; over a sequence, to each element.
                let item = match &base {
                    Sens::Attrs(_) => base.clone(),
                    other => other.element(),
                };
                self.splat.push(item);
                let each = self.eval(each);
                self.splat.pop();
                Sens::elems(each).join(Sens::whole(base.top(), base.why().unwrap_or_default()))
            }
            ExprKind::SplatItem => self.splat.last().cloned().unwrap_or_default(),
            ExprKind::Unary { expr, .. } => self.eval(expr).collapse(),
            ExprKind::Binary { lhs, rhs, .. } => {
                let l = self.eval(lhs);
                let r = self.eval(rhs);
                l.join(r).collapse()
            }
            ExprKind::Conditional { cond, then, other } => {
                let c = self.eval(cond).collapse();
                let a = self.eval(then);
                let b = self.eval(other);
                a.join(b).join(c)
            }
            ExprKind::ForTuple {
                key_var,
                value_var,
                collection,
                value,
                cond,
            } => {
                let (top, n) = self.bind_for(collection, key_var.as_ref(), value_var);
                let c = cond
                    .as_ref()
                    .map(|c| self.eval(c).collapse())
                    .unwrap_or_default();
                let v = self.eval(value);
                self.unbind(n);
                Sens::elems(v).join(top).join(c)
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
                let (top, n) = self.bind_for(collection, key_var.as_ref(), value_var);
                let c = cond
                    .as_ref()
                    .map(|c| self.eval(c).collapse())
                    .unwrap_or_default();
                let k = self.eval(key).collapse();
                let v = self.eval(value);
                self.unbind(n);
                Sens::elems(v).join(top).join(c).join(k)
            }
            ExprKind::Parens(inner) => self.eval(inner),
        }
    }

    /// Binds a `for`'s names over `collection`; returns the collection's own marks (they mark
    /// the result) and how many names were bound.
    fn bind_for(
        &mut self,
        collection: &Expr,
        key_var: Option<&skel_syntax::Ident>,
        value_var: &skel_syntax::Ident,
    ) -> (Sens, usize) {
        let coll = self.eval(collection);
        let top = Sens::whole(coll.top(), coll.why().unwrap_or_default());
        let mut n = 1;
        if let Some(k) = key_var {
            self.push(&k.name, top.clone());
            n += 1;
        }
        self.push(&value_var.name, coll.element().join(top.clone()));
        (top, n)
    }

    fn unbind(&mut self, n: usize) {
        for _ in 0..n {
            self.pop();
        }
    }

    fn template(&mut self, parts: &[TemplatePart]) -> Sens {
        let mut out = Sens::None;
        for part in parts {
            match part {
                TemplatePart::Literal { .. } => {}
                TemplatePart::Interpolation { expr, .. } => out = out.join(self.eval(expr)),
                TemplatePart::If {
                    cond, then, other, ..
                } => {
                    out = out.join(self.eval(cond));
                    out = out.join(self.template(then));
                    if let Some(o) = other {
                        out = out.join(self.template(o));
                    }
                }
                TemplatePart::For {
                    key_var,
                    value_var,
                    collection,
                    body,
                    ..
                } => {
                    let (top, n) = self.bind_for(collection, key_var.as_ref(), value_var);
                    out = out.join(top).join(self.template(body));
                    self.unbind(n);
                }
            }
        }
        out
    }

    fn call(&mut self, name: &str, args: &[Expr]) -> Sens {
        let values: Vec<Sens> = args.iter().map(|a| self.eval(a)).collect();
        let all = values.iter().cloned().fold(Sens::None, Sens::join);
        match name {
            "sensitive" => all.collapse().join(Sens::whole(
                Marks::SENSITIVE,
                "it is marked with `sensitive(…)`",
            )),
            "nonsensitive" => all.without(Marks::SENSITIVE),
            "issensitive" => Sens::None,
            // The first argument that evaluates, with its own marks.
            "try" => all,
            _ => all.collapse(),
        }
    }

    /// A reference's marks: `var.x`, `local.x`, `module.m`, `data.t.n`, `t.n`, `each.value`…;
    /// `None` when `expr` is not a reference (or its root is a bound name).
    fn reference(&mut self, expr: &Expr) -> Option<Sens> {
        Some(match resolve::reference(expr, &self.scopes)? {
            Target::Data { ty, name } => self
                .env
                .resource(true, &ty.name, &name.name)
                .unwrap_or_default(),
            Target::Variable(name) => self.env.var(&name.name),
            Target::Local(name) => self.env.local(&name.name),
            Target::ModuleCall(name) => self.env.module(&name.name),
            Target::Builtin {
                root: Root::Each,
                attr,
            } => match (&self.each, attr.name.as_str()) {
                (Some((value, _)), "value") => value.clone(),
                (Some((_, key)), "key") => key.clone(),
                _ => Sens::None,
            },
            Target::Builtin { .. } => Sens::None,
            Target::Resource { ty, name } => self.env.resource(false, &ty.name, &name.name)?,
        })
    }
}

/// The key of an object constructor's item when it is a literal (`a`, `"a"`).
fn object_key(expr: &Expr) -> Option<String> {
    match &expr.kind {
        ExprKind::Variable(ident) => Some(ident.name.clone()),
        _ => expr.as_literal_string(),
    }
}

/// The key of an index when it is a literal (`["a"]`, `[0]`).
fn index_key(expr: &Expr) -> Option<String> {
    match &expr.kind {
        ExprKind::Number(text) => Some(text.clone()),
        _ => expr.as_literal_string(),
    }
}
