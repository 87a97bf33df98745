//! The evaluator proper: one method per expression kind.

use skel_value::ValueMap;
use std::collections::BTreeMap;

use skel_stdlib::Context;
use skel_syntax::{BinaryOp, Expr, ExprKind, Ident, ObjectItem, TextRange};
use skel_value::{convert, unify, Marks, Number, Type, Value};

use crate::ops::{binary, boolean, unary};
use crate::{template, EvalError, Scope};

/// The `(key, value)` pairs a `for` iterates.
pub(crate) type Pairs = Vec<(Value, Value)>;

pub(crate) struct Evaluator<'a> {
    scope: &'a dyn Scope,
    pub(crate) ctx: &'a dyn Context,
    /// Variables of enclosing `for` expressions and template `%{for}`s, innermost last.
    locals: Vec<(String, Value)>,
    /// The elements splats are currently applied to, innermost last.
    splat: Vec<Value>,
}

fn err<T>(message: impl Into<String>, range: TextRange) -> Result<T, EvalError> {
    Err(EvalError::new(message, range))
}

impl<'a> Evaluator<'a> {
    pub(crate) fn new(scope: &'a dyn Scope, ctx: &'a dyn Context) -> Evaluator<'a> {
        Evaluator {
            scope,
            ctx,
            locals: Vec::new(),
            splat: Vec::new(),
        }
    }

    pub(crate) fn push_local(&mut self, name: &Ident, value: Value) {
        self.locals.push((name.name.clone(), value));
    }

    pub(crate) fn pop_locals(&mut self, n: usize) {
        let len = self.locals.len().saturating_sub(n);
        self.locals.truncate(len);
    }

    fn lookup(&self, name: &Ident) -> Result<Value, EvalError> {
        if let Some((_, v)) = self.locals.iter().rev().find(|(n, _)| *n == name.name) {
            return Ok(v.clone());
        }
        self.scope.lookup(&name.name).ok_or_else(|| {
            EvalError::new(
                format!("reference to undeclared name {:?}", name.name),
                name.range,
            )
        })
    }

    /// `a.b.c` read where the scope holds `a`, copying only the value selected: the general
    /// evaluation copies `a` whole first (quadratic for a root output listing thousands of
    /// `module.x.id`). `None` unless every step is an attribute of an unmarked object or map,
    /// which is when both give the same value; otherwise the general evaluation gives the
    /// value or the error.
    fn path_in_place(&self, expr: &Expr) -> Option<Value> {
        let mut names = Vec::new();
        let mut at = expr;
        let root = loop {
            match &at.kind {
                ExprKind::GetAttr { expr, name } => {
                    names.push(name.name.as_str());
                    at = expr;
                }
                ExprKind::Variable(root) => break root,
                _ => return None,
            }
        };
        if self.locals.iter().any(|(n, _)| *n == root.name) {
            return None;
        }
        let mut value = self.scope.lookup_ref(&root.name)?;
        for name in names.iter().rev() {
            value = match value {
                Value::Object(m) | Value::Map(m) => m.get(name)?,
                _ => return None,
            };
        }
        Some(value.clone())
    }

    pub(crate) fn eval(&mut self, expr: &Expr) -> Result<Value, EvalError> {
        let range = expr.range;
        match &expr.kind {
            ExprKind::Null => Ok(Value::Null),
            ExprKind::Bool(b) => Ok(Value::Bool(*b)),
            ExprKind::Number(text) => match expr.number_value() {
                Some(n) if n.is_finite() => Ok(Value::Number(Number(n))),
                _ => err(format!("invalid number literal {text:?}"), range),
            },
            ExprKind::Template(t) => template::render(self, &t.parts, range),
            ExprKind::Variable(name) => self.lookup(name),
            ExprKind::Tuple(items) => items
                .iter()
                .map(|e| self.eval(e))
                .collect::<Result<_, _>>()
                .map(Value::Tuple),
            ExprKind::Object(items) => self.object(items),
            ExprKind::Call {
                name,
                args,
                expand_final,
            } => self.call(name, args, *expand_final, range),
            ExprKind::GetAttr { expr: inner, name } => {
                if let Some(v) = self.path_in_place(expr) {
                    return Ok(v);
                }
                let expr = inner;
                let (v, marks) = self.eval(expr)?.into_unmarked();
                get_attr(&v, &name.name, name.range).map(|r| r.mark(marks))
            }
            ExprKind::Index { expr, index } => {
                let (v, marks) = self.eval(expr)?.into_unmarked();
                let (i, key_marks) = self.eval(index)?.unmark_deep();
                let marks = marks | key_marks;
                match index_value(&v, &i, index.range) {
                    Ok(r) => Ok(r.mark(marks)),
                    // The message could quote the key or tell the length of a secret.
                    Err(e) if !marks.is_empty() => err(
                        "invalid index into or with a sensitive value (the details are not shown)",
                        e.range,
                    ),
                    Err(e) => Err(e),
                }
            }
            ExprKind::Splat { expr, each, .. } => self.splat(expr, each),
            ExprKind::SplatItem => self
                .splat
                .last()
                .cloned()
                .ok_or_else(|| EvalError::new("splat item outside a splat", range)),
            ExprKind::Unary { op, expr } => {
                let (v, marks) = self.eval(expr)?.unmark_deep();
                hide_error(unary(*op, &v, expr.range), marks)
            }
            ExprKind::Binary { op, lhs, rhs } => self.binary(*op, lhs, rhs),
            ExprKind::Conditional { cond, then, other } => self.conditional(cond, then, other),
            ExprKind::ForTuple {
                key_var,
                value_var,
                collection,
                value,
                cond,
            } => self.for_tuple(
                key_var.as_ref(),
                value_var,
                collection,
                value,
                cond.as_deref(),
            ),
            ExprKind::ForObject {
                key_var,
                value_var,
                collection,
                key,
                value,
                grouping,
                cond,
            } => self.for_object(
                key_var.as_ref(),
                value_var,
                collection,
                key,
                value,
                *grouping,
                cond.as_deref(),
            ),
            ExprKind::Parens(inner) => self.eval(inner),
            ExprKind::Error => err("invalid expression", range),
        }
    }

    fn object(&mut self, items: &[ObjectItem]) -> Result<Value, EvalError> {
        let mut out = ValueMap::new();
        let mut unknown = false;
        // A marked key marks the whole object: keys cannot carry marks of their own.
        let mut key_marks = Marks::NONE;
        for item in items {
            let key = match &item.key.kind {
                // A bare identifier key is a literal string.
                ExprKind::Variable(name) => Value::String(name.name.clone()),
                _ => {
                    let (key, marks) = self.eval(&item.key)?.unmark_deep();
                    key_marks |= marks;
                    key
                }
            };
            let value = self.eval(&item.value)?;
            match convert(&key, &Type::String) {
                Ok(Value::String(k)) => {
                    out.insert(k, value);
                }
                Ok(Value::Unknown(_)) => unknown = true,
                Ok(_) => return err("object key must not be null", item.key.range),
                Err(e) => return err(format!("invalid object key: {}", e.message), item.key.range),
            }
        }
        Ok(if unknown {
            Value::Unknown(Type::Dynamic)
        } else {
            Value::Object(out)
        }
        .mark(key_marks))
    }

    fn call(
        &mut self,
        name: &Ident,
        args: &[Expr],
        expand_final: bool,
        range: TextRange,
    ) -> Result<Value, EvalError> {
        let Some(f) = skel_stdlib::lookup(&name.name) else {
            return err(
                format!("call to unknown function {:?}", name.name),
                name.range,
            );
        };
        match f.name {
            "try" => return self.call_try(args, range),
            "can" => {
                let [arg] = args else {
                    return err("can() takes exactly one argument", range);
                };
                return Ok(match self.eval(arg) {
                    Ok(v) if v.has_unknown() => Value::Unknown(Type::Bool).mark(v.deep_marks()),
                    Ok(v) => Value::Bool(true).mark(v.deep_marks()),
                    Err(_) => Value::Bool(false),
                });
            }
            _ => {}
        }
        let mut values = Vec::with_capacity(args.len());
        // The marks of an expanded list, which its elements do not carry themselves.
        let mut expanded_marks = Marks::NONE;
        for (i, a) in args.iter().enumerate() {
            let v = self.eval(a)?;
            if expand_final && i + 1 == args.len() {
                let (v, marks) = v.into_unmarked();
                expanded_marks = marks;
                match &v {
                    Value::Unknown(_) => return Ok(Value::Unknown(Type::Dynamic).mark(marks)),
                    Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
                        values.extend(items.iter().cloned())
                    }
                    _ => {
                        return err(
                            "the final argument of an expanded call must be a list, set or tuple",
                            a.range,
                        )
                    }
                }
            } else {
                values.push(v);
            }
        }
        if !expanded_marks.is_empty() {
            for v in &mut values {
                *v = std::mem::replace(v, Value::Null).mark(expanded_marks);
            }
        }
        skel_stdlib::call(f, &values, self.ctx).map_err(|e| {
            let at = match e.arg {
                Some(i) if !expand_final || i + 1 < args.len() => {
                    args.get(i).map_or(range, |a| a.range)
                }
                _ => range,
            };
            EvalError::new(format!("error in {}(): {}", f.name, e.message), at)
        })
    }

    fn call_try(&mut self, args: &[Expr], range: TextRange) -> Result<Value, EvalError> {
        let mut last = None;
        for a in args {
            match self.eval(a) {
                Ok(v) if v.has_unknown() => {
                    return Ok(Value::Unknown(Type::Dynamic).mark(v.deep_marks()))
                }
                Ok(v) => return Ok(v),
                Err(e) => last = Some(e),
            }
        }
        Err(match last {
            Some(e) => EvalError::new(
                format!(
                    "no expression given to try() succeeded; the last error was: {}",
                    e.message
                ),
                range,
            ),
            None => EvalError::new("try() requires at least one argument", range),
        })
    }

    fn splat(&mut self, expr: &Expr, each: &Expr) -> Result<Value, EvalError> {
        let (source, marks) = self.eval(expr)?.into_unmarked();
        let (items, as_list) = match source {
            Value::Null => return Ok(Value::Tuple(Vec::new()).mark(marks)),
            Value::Unknown(_) => return Ok(Value::Unknown(Type::Dynamic).mark(marks)),
            Value::List(items) | Value::Set(items) => (items, true),
            Value::Tuple(items) => (items, false),
            // A splat on a single value treats it as a one-element tuple.
            other => (vec![other], false),
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            self.splat.push(item.mark(marks));
            let r = self.eval(each);
            self.splat.pop();
            out.push(r?);
        }
        Ok(if as_list {
            Value::List(out)
        } else {
            Value::Tuple(out)
        }
        .mark(marks))
    }

    fn binary(&mut self, op: BinaryOp, lhs: &Expr, rhs: &Expr) -> Result<Value, EvalError> {
        let (l, lmarks) = self.eval(lhs)?.unmark_deep();
        // `||` and `&&` skip the right operand when the left one decides.
        if matches!(op, BinaryOp::Or | BinaryOp::And) {
            let lb = hide_error(
                boolean(&l, &format!("operand for {}", op.as_str()), lhs.range),
                lmarks,
            )?;
            if lb == Some(op == BinaryOp::Or) {
                return Ok(Value::Bool(op == BinaryOp::Or).mark(lmarks));
            }
        }
        let (r, rmarks) = self.eval(rhs)?.unmark_deep();
        hide_error(binary(op, &l, &r, lhs.range, rhs.range), lmarks | rmarks)
    }

    /// A marked condition marks the result: which branch was taken tells something about it.
    fn conditional(&mut self, cond: &Expr, then: &Expr, other: &Expr) -> Result<Value, EvalError> {
        let (c, marks) = self.eval(cond)?.unmark_deep();
        self.conditional_on(c, cond, then, other)
            .map(|v| v.mark(marks))
    }

    fn conditional_on(
        &mut self,
        c: Value,
        cond: &Expr,
        then: &Expr,
        other: &Expr,
    ) -> Result<Value, EvalError> {
        let Some(c) = boolean(&c, "condition", cond.range)? else {
            let types: Vec<Type> = [then, other]
                .iter()
                .map(|e| self.eval(e).map(|v| v.type_of()).unwrap_or(Type::Dynamic))
                .collect();
            return Ok(Value::Unknown(unify(&types).unwrap_or(Type::Dynamic)));
        };
        let (chosen, rest) = if c { (then, other) } else { (other, then) };
        let value = self.eval(chosen)?;
        // Both results share one type: convert the chosen one to the unified type when the
        // other branch evaluates too (`true ? 1 : "a"` is `"1"`).
        if value.is_null() || value.is_unknown() {
            return Ok(value);
        }
        if let Ok(alt) = self.eval(rest) {
            if !alt.is_null() {
                if let Some(ty) = unify(&[value.type_of(), alt.type_of()]) {
                    if ty != value.type_of() {
                        if let Ok(v) = convert(&value, &ty) {
                            return Ok(v);
                        }
                    }
                }
            }
        }
        Ok(value)
    }

    /// The `(key, value)` pairs a `for` iterates, or `None` when the collection is unknown,
    /// and the marks of the collection itself. Its keys and elements carry those marks too, so
    /// nothing computed from them (an error message included) shows them unmarked.
    pub(crate) fn iterate(
        &self,
        v: &Value,
        range: TextRange,
    ) -> Result<(Option<Pairs>, Marks), EvalError> {
        let marks = v.marks();
        let pairs = self.iterate_unmarked(v.unmarked(), range)?;
        Ok((
            pairs.map(|pairs| {
                if marks.is_empty() {
                    pairs
                } else {
                    pairs
                        .into_iter()
                        .map(|(k, v)| (k.mark(marks), v.mark(marks)))
                        .collect()
                }
            }),
            marks,
        ))
    }

    fn iterate_unmarked(&self, v: &Value, range: TextRange) -> Result<Option<Pairs>, EvalError> {
        match v {
            Value::Null => err("cannot iterate over a null value", range),
            Value::Unknown(_) => Ok(None),
            Value::List(items) | Value::Tuple(items) => Ok(Some(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (Value::Number(Number(i as f64)), v.clone()))
                    .collect(),
            )),
            Value::Set(items) => Ok(Some(items.iter().map(|v| (v.clone(), v.clone())).collect())),
            Value::Map(m) | Value::Object(m) => Ok(Some(
                m.iter()
                    .map(|(k, v)| (Value::String(k.clone()), v.clone()))
                    .collect(),
            )),
            other => err(
                format!(
                    "a {} value cannot be iterated; a collection is required",
                    other.type_of()
                ),
                range,
            ),
        }
    }

    fn bind(&mut self, key_var: Option<&Ident>, value_var: &Ident, k: Value, v: Value) -> usize {
        let mut n = 1;
        if let Some(kv) = key_var {
            self.push_local(kv, k);
            n += 1;
        }
        self.push_local(value_var, v);
        n
    }

    /// Whether the `if` clause keeps this element; `None` when it is unknown. A marked
    /// condition adds its marks to `marks` (which elements are kept tells something).
    fn keep(&mut self, cond: Option<&Expr>, marks: &mut Marks) -> Result<Option<bool>, EvalError> {
        match cond {
            None => Ok(Some(true)),
            Some(c) => {
                let (v, m) = self.eval(c)?.unmark_deep();
                *marks |= m;
                boolean(&v, "for-expression condition", c.range)
            }
        }
    }

    fn for_tuple(
        &mut self,
        key_var: Option<&Ident>,
        value_var: &Ident,
        collection: &Expr,
        value: &Expr,
        cond: Option<&Expr>,
    ) -> Result<Value, EvalError> {
        let coll = self.eval(collection)?;
        let (pairs, mut marks) = self.iterate(&coll, collection.range)?;
        let Some(pairs) = pairs else {
            return Ok(Value::Unknown(Type::Dynamic).mark(marks));
        };
        let mut out = Vec::with_capacity(pairs.len());
        for (k, v) in pairs {
            let n = self.bind(key_var, value_var, k, v);
            let r = (|| -> Result<Option<Option<Value>>, EvalError> {
                match self.keep(cond, &mut marks)? {
                    None => Ok(None),
                    Some(false) => Ok(Some(None)),
                    Some(true) => Ok(Some(Some(self.eval(value)?))),
                }
            })();
            self.pop_locals(n);
            match r? {
                None => return Ok(Value::Unknown(Type::Dynamic).mark(marks)),
                Some(Some(v)) => out.push(v),
                Some(None) => {}
            }
        }
        Ok(Value::Tuple(out).mark(marks))
    }

    #[allow(clippy::too_many_arguments)]
    fn for_object(
        &mut self,
        key_var: Option<&Ident>,
        value_var: &Ident,
        collection: &Expr,
        key: &Expr,
        value: &Expr,
        grouping: bool,
        cond: Option<&Expr>,
    ) -> Result<Value, EvalError> {
        let coll = self.eval(collection)?;
        let (pairs, mut marks) = self.iterate(&coll, collection.range)?;
        let Some(pairs) = pairs else {
            return Ok(Value::Unknown(Type::Dynamic).mark(marks));
        };
        let mut entries: Vec<(String, Value)> = Vec::new();
        let mut groups: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        for (k, v) in pairs {
            let n = self.bind(key_var, value_var, k, v);
            let r = (|| -> Result<Option<Option<(Value, Value)>>, EvalError> {
                match self.keep(cond, &mut marks)? {
                    None => Ok(None),
                    Some(false) => Ok(Some(None)),
                    Some(true) => Ok(Some(Some((self.eval(key)?, self.eval(value)?)))),
                }
            })();
            self.pop_locals(n);
            let (kv, vv) = match r? {
                None => return Ok(Value::Unknown(Type::Dynamic).mark(marks)),
                Some(None) => continue,
                Some(Some(pair)) => pair,
            };
            // A marked key marks the whole result: keys cannot carry marks of their own.
            let (kv, key_marks) = kv.unmark_deep();
            marks |= key_marks;
            let k = match convert(&kv, &Type::String) {
                Ok(Value::String(s)) => s,
                Ok(Value::Unknown(_)) => return Ok(Value::Unknown(Type::Dynamic).mark(marks)),
                Ok(_) => return err("for-expression key must not be null", key.range),
                Err(e) => {
                    return err(
                        format!("invalid for-expression key: {}", e.message),
                        key.range,
                    )
                }
            };
            if grouping {
                groups.entry(k).or_default().push(vv);
            } else {
                entries.push((k, vv));
            }
        }
        if grouping {
            return Ok(Value::Object(
                groups
                    .into_iter()
                    .map(|(k, vs)| (k, Value::Tuple(vs)))
                    .collect(),
            )
            .mark(marks));
        }
        match ValueMap::from_unique(entries) {
            Ok(out) => Ok(Value::Object(out).mark(marks)),
            Err(_) if !marks.is_empty() => err(
                "duplicate object key (a sensitive value, not shown); add \"...\" after the value expression to group values with the same key",
                key.range,
            ),
            Err(skel_value::DuplicateKey(duplicate)) => err(
                format!("duplicate object key {duplicate:?}; add \"...\" after the value expression to group values with the same key"),
                key.range,
            ),
        }
    }
}

/// A result computed from unmarked operands, given back their `marks`; an error about them
/// keeps its place but not its message, which could quote the value.
fn hide_error<T: MarkWith>(result: Result<T, EvalError>, marks: Marks) -> Result<T, EvalError> {
    match result {
        Ok(v) => Ok(v.mark_with(marks)),
        Err(e) if !marks.is_empty() => err(
            "invalid operation on a sensitive value (the details are not shown)",
            e.range,
        ),
        Err(e) => Err(e),
    }
}

/// What [`hide_error`] gives marks back to.
trait MarkWith {
    fn mark_with(self, marks: Marks) -> Self;
}

impl MarkWith for Value {
    fn mark_with(self, marks: Marks) -> Value {
        self.mark(marks)
    }
}

impl MarkWith for Option<bool> {
    fn mark_with(self, _: Marks) -> Option<bool> {
        self
    }
}

/// `value.name`
pub(crate) fn get_attr(v: &Value, name: &str, range: TextRange) -> Result<Value, EvalError> {
    match v {
        Value::Object(m) => m.get(name).cloned().ok_or_else(|| {
            EvalError::new(
                format!("this object does not have an attribute named {name:?}"),
                range,
            )
        }),
        Value::Map(m) => m.get(name).cloned().ok_or_else(|| {
            EvalError::new(
                format!("this map does not have an element with the key {name:?}"),
                range,
            )
        }),
        Value::Unknown(Type::Object(o)) => Ok(Value::Unknown(
            o.attrs.get(name).cloned().unwrap_or(Type::Dynamic),
        )),
        Value::Unknown(Type::Map(e)) => Ok(Value::Unknown((**e).clone())),
        Value::Unknown(_) => Ok(Value::Unknown(Type::Dynamic)),
        Value::Null => err(
            format!("attempt to get attribute {name:?} from a null value"),
            range,
        ),
        Value::List(_) | Value::Set(_) | Value::Tuple(_) => err(
            format!(
                "a list does not have attributes; to get {name:?} of every element use [*].{name}"
            ),
            range,
        ),
        other => err(
            format!("a {} value does not have attributes", other.type_of()),
            range,
        ),
    }
}

/// `value[index]`
pub(crate) fn index_value(v: &Value, index: &Value, range: TextRange) -> Result<Value, EvalError> {
    if index.is_null() {
        return err("the index must not be null", range);
    }
    match v {
        Value::Null => err("attempt to index a null value", range),
        Value::Unknown(t) => Ok(Value::Unknown(match t {
            Type::List(e) | Type::Map(e) => (**e).clone(),
            _ => Type::Dynamic,
        })),
        Value::List(items) | Value::Tuple(items) => {
            let n = match convert(index, &Type::Number) {
                Ok(Value::Number(n)) => n,
                Ok(_) => return Ok(Value::Unknown(Type::Dynamic)),
                Err(_) => {
                    return err(
                        format!("a number is required to index a list, got {index}"),
                        range,
                    )
                }
            };
            let i = n.as_i64().filter(|i| *i >= 0).ok_or_else(|| {
                EvalError::new(
                    format!("invalid index {n}: a non-negative whole number is required"),
                    range,
                )
            })?;
            items.get(i as usize).cloned().ok_or_else(|| {
                EvalError::new(format!("invalid index: the index {i} is out of range for a sequence of {} elements", items.len()), range)
            })
        }
        Value::Map(m) | Value::Object(m) => {
            let key = match convert(index, &Type::String) {
                Ok(Value::String(s)) => s,
                Ok(_) => return Ok(Value::Unknown(Type::Dynamic)),
                Err(_) => {
                    return err(
                        format!("a string is required to index a map, got {index}"),
                        range,
                    )
                }
            };
            m.get(&key).cloned().ok_or_else(|| {
                EvalError::new(
                    format!(
                        "the given key {key:?} does not identify an element of this collection"
                    ),
                    range,
                )
            })
        }
        Value::Set(_) => err(
            "elements of a set cannot be accessed by index; convert it with tolist() first",
            range,
        ),
        other => err(
            format!("a {} value cannot be indexed", other.type_of()),
            range,
        ),
    }
}
