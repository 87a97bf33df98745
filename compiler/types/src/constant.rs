//! Constant values of literal expressions: variable defaults, `optional` defaults and `-var` values,
//! which Terraform requires to be literal (no references, no function calls).

use skel_value::ValueMap;

use skel_syntax::{Expr, ExprKind, UnaryOp};
use skel_value::{Number, Value};

/// The value of a literal expression, or `None` if it refers to anything or calls a function.
pub fn constant_value(expr: &Expr) -> Option<Value> {
    Some(match &expr.kind {
        ExprKind::Null => Value::Null,
        ExprKind::Bool(b) => Value::Bool(*b),
        ExprKind::Number(_) => Value::Number(Number(expr.number_value()?)),
        ExprKind::Template(t) => Value::String(t.as_literal()?),
        ExprKind::Tuple(items) => {
            Value::Tuple(items.iter().map(constant_value).collect::<Option<_>>()?)
        }
        ExprKind::Object(items) => {
            let mut map = ValueMap::new();
            for item in items {
                let key = match &item.key.kind {
                    ExprKind::Variable(ident) => ident.name.clone(),
                    _ => match constant_value(&item.key)? {
                        Value::String(s) => s,
                        Value::Number(n) => n.to_string(),
                        Value::Bool(b) => b.to_string(),
                        _ => return None,
                    },
                };
                map.insert(key, constant_value(&item.value)?);
            }
            Value::Object(map)
        }
        ExprKind::Unary {
            op: UnaryOp::Neg,
            expr: inner,
        } => Value::Number(Number(-constant_value(inner)?.as_number()?.0)),
        ExprKind::Unary {
            op: UnaryOp::Not,
            expr: inner,
        } => Value::Bool(!constant_value(inner)?.as_bool()?),
        ExprKind::Parens(inner) => constant_value(inner)?,
        _ => return None,
    })
}

/// Why an expression is not constant, for the diagnostic.
pub fn non_constant_reason(expr: &Expr) -> &'static str {
    let mut reason = "this expression is not a literal value";
    expr.walk(&mut |e| match &e.kind {
        ExprKind::Variable(_) => reason = "references are not allowed here",
        ExprKind::Call { .. } => reason = "function calls are not allowed here",
        _ => {}
    });
    reason
}
