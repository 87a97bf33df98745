//! Operators: arithmetic, comparison, equality and logic, with HCL's conversions and
//! unknown-value propagation.

use skel_syntax::{BinaryOp, TextRange, UnaryOp};
use skel_value::{convert, Number, Type, Value};

use crate::EvalError;

/// An operand converted to a number, `None` when it is unknown.
fn number(v: &Value, op: &str, range: TextRange) -> Result<Option<f64>, EvalError> {
    if v.is_null() {
        return Err(EvalError::new(
            format!("invalid operand for {op}: operand must not be null"),
            range,
        ));
    }
    match convert(v, &Type::Number) {
        Ok(Value::Number(n)) => Ok(Some(n.0)),
        Ok(_) => Ok(None),
        Err(e) => Err(EvalError::new(
            format!("invalid operand for {op}: {}", e.message),
            range,
        )),
    }
}

/// An operand converted to a bool, `None` when it is unknown.
pub(crate) fn boolean(v: &Value, what: &str, range: TextRange) -> Result<Option<bool>, EvalError> {
    if v.is_null() {
        return Err(EvalError::new(
            format!("invalid {what}: value must not be null"),
            range,
        ));
    }
    match convert(v, &Type::Bool) {
        Ok(Value::Bool(b)) => Ok(Some(b)),
        Ok(_) => Ok(None),
        Err(e) => Err(EvalError::new(
            format!("invalid {what}: {}", e.message),
            range,
        )),
    }
}

pub(crate) fn unary(op: UnaryOp, v: &Value, range: TextRange) -> Result<Value, EvalError> {
    match op {
        UnaryOp::Neg => Ok(match number(v, "-", range)? {
            Some(n) => Value::Number(Number(-n)),
            None => Value::Unknown(Type::Number),
        }),
        UnaryOp::Not => Ok(match boolean(v, "operand for !", range)? {
            Some(b) => Value::Bool(!b),
            None => Value::Unknown(Type::Bool),
        }),
    }
}

/// A binary operator other than `&&` and `||` (which the evaluator short-circuits).
pub(crate) fn binary(
    op: BinaryOp,
    lhs: &Value,
    rhs: &Value,
    lrange: TextRange,
    rrange: TextRange,
) -> Result<Value, EvalError> {
    let sym = op.as_str();
    match op {
        BinaryOp::Eq | BinaryOp::NotEq => {
            if lhs.has_unknown() || rhs.has_unknown() {
                return Ok(Value::Unknown(Type::Bool));
            }
            let eq = equal(lhs, rhs);
            Ok(Value::Bool(if op == BinaryOp::Eq { eq } else { !eq }))
        }
        BinaryOp::Or | BinaryOp::And => {
            let l = boolean(lhs, &format!("operand for {sym}"), lrange)?;
            let r = boolean(rhs, &format!("operand for {sym}"), rrange)?;
            Ok(match (op, l, r) {
                (BinaryOp::Or, Some(true), _) | (BinaryOp::Or, _, Some(true)) => Value::Bool(true),
                (BinaryOp::And, Some(false), _) | (BinaryOp::And, _, Some(false)) => {
                    Value::Bool(false)
                }
                (_, Some(a), Some(b)) => {
                    Value::Bool(if op == BinaryOp::Or { a || b } else { a && b })
                }
                _ => Value::Unknown(Type::Bool),
            })
        }
        _ => {
            let l = number(lhs, sym, lrange)?;
            let r = number(rhs, sym, rrange)?;
            let (Some(a), Some(b)) = (l, r) else {
                let ty = if matches!(
                    op,
                    BinaryOp::Lt | BinaryOp::LtEq | BinaryOp::Gt | BinaryOp::GtEq
                ) {
                    Type::Bool
                } else {
                    Type::Number
                };
                return Ok(Value::Unknown(ty));
            };
            let n = |v: f64| Ok(Value::Number(Number(v)));
            match op {
                BinaryOp::Lt => Ok(Value::Bool(a < b)),
                BinaryOp::LtEq => Ok(Value::Bool(a <= b)),
                BinaryOp::Gt => Ok(Value::Bool(a > b)),
                BinaryOp::GtEq => Ok(Value::Bool(a >= b)),
                BinaryOp::Add => n(a + b),
                BinaryOp::Sub => n(a - b),
                BinaryOp::Mul => n(a * b),
                BinaryOp::Div if b == 0.0 => Err(EvalError::new("cannot divide by zero", rrange)),
                BinaryOp::Div => n(a / b),
                BinaryOp::Mod if b == 0.0 => Err(EvalError::new(
                    "cannot take the remainder of a division by zero",
                    rrange,
                )),
                BinaryOp::Mod => n(a % b),
                _ => Err(EvalError::new(
                    format!("unsupported operator {sym}"),
                    lrange,
                )),
            }
        }
    }
}

/// HCL equality: values of different types are unequal, except that collections and
/// structural values compare element-wise (a tuple equals a list with the same elements).
pub(crate) fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::List(x) | Value::Tuple(x), Value::List(y) | Value::Tuple(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| equal(p, q))
        }
        (Value::Map(x) | Value::Object(x), Value::Map(y) | Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((k1, v1), (k2, v2))| k1 == k2 && equal(v1, v2))
        }
        _ => a == b,
    }
}
