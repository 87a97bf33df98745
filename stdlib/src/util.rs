//! Helpers shared by the function families: building definitions, reading arguments, type rules.

use skel_value::ValueMap;

use skel_value::{unify, Number, Type, Value};

use crate::{CallError, Context, Function, Param, TypeError};

pub(crate) type ReturnType = fn(&[Type]) -> Result<Type, TypeError>;
pub(crate) type Impl = fn(&[Value], &dyn Context) -> Result<Value, CallError>;

/// A parameter that rejects null.
pub(crate) fn p(name: &'static str, ty: Type) -> Param {
    Param {
        name,
        ty,
        allow_null: false,
    }
}

/// A parameter that accepts null.
pub(crate) fn pn(name: &'static str, ty: Type) -> Param {
    Param {
        name,
        ty,
        allow_null: true,
    }
}

/// A pure function without a variadic parameter.
pub(crate) fn func(
    name: &'static str,
    description: &'static str,
    params: Vec<Param>,
    return_type: ReturnType,
    call: Impl,
) -> Function {
    Function {
        name,
        description,
        params,
        variadic: None,
        return_type,
        call,
        impure: false,
        handles_unknown: false,
        handles_marks: false,
    }
}

/// A pure function with a variadic parameter.
pub(crate) fn varfunc(
    name: &'static str,
    description: &'static str,
    params: Vec<Param>,
    variadic: Param,
    return_type: ReturnType,
    call: Impl,
) -> Function {
    Function {
        variadic: Some(variadic),
        ..func(name, description, params, return_type, call)
    }
}

pub(crate) fn ret_string(_: &[Type]) -> Result<Type, TypeError> {
    Ok(Type::String)
}
pub(crate) fn ret_number(_: &[Type]) -> Result<Type, TypeError> {
    Ok(Type::Number)
}
pub(crate) fn ret_bool(_: &[Type]) -> Result<Type, TypeError> {
    Ok(Type::Bool)
}
pub(crate) fn ret_dynamic(_: &[Type]) -> Result<Type, TypeError> {
    Ok(Type::Dynamic)
}
pub(crate) fn ret_list_string(_: &[Type]) -> Result<Type, TypeError> {
    Ok(Type::list(Type::String))
}

pub(crate) fn arg(args: &[Value], i: usize) -> Result<&Value, CallError> {
    args.get(i)
        .ok_or_else(|| CallError::new(format!("missing argument {}", i + 1)))
}

pub(crate) fn str_arg(args: &[Value], i: usize) -> Result<&str, CallError> {
    match arg(args, i)? {
        Value::String(s) => Ok(s),
        v => Err(CallError::at(i, format!("a string is required, got {v}"))),
    }
}

pub(crate) fn num_arg(args: &[Value], i: usize) -> Result<f64, CallError> {
    match arg(args, i)? {
        Value::Number(n) => Ok(n.0),
        v => Err(CallError::at(i, format!("a number is required, got {v}"))),
    }
}

/// An integer argument (Terraform rejects fractional indexes and counts).
pub(crate) fn int_arg(args: &[Value], i: usize) -> Result<i64, CallError> {
    let n = num_arg(args, i)?;
    Number(n)
        .as_i64()
        .ok_or_else(|| CallError::at(i, format!("a whole number is required, got {}", Number(n))))
}

pub(crate) fn seq_arg(args: &[Value], i: usize) -> Result<&[Value], CallError> {
    let v = arg(args, i)?;
    v.as_sequence()
        .ok_or_else(|| CallError::at(i, format!("a list is required, got {v}")))
}

pub(crate) fn map_arg(args: &[Value], i: usize) -> Result<&ValueMap, CallError> {
    let v = arg(args, i)?;
    v.as_mapping()
        .ok_or_else(|| CallError::at(i, format!("a map is required, got {v}")))
}

pub(crate) fn num(n: f64) -> Value {
    Value::Number(Number(n))
}

pub(crate) fn strings(items: impl IntoIterator<Item = String>) -> Value {
    Value::List(items.into_iter().map(Value::String).collect())
}

/// The element type of a collection or the unified element type of a structural type.
pub(crate) fn elem_type(t: &Type) -> Option<Type> {
    match t {
        Type::List(e) | Type::Set(e) | Type::Map(e) => Some((**e).clone()),
        Type::Tuple(es) => unify(es),
        Type::Object(o) => unify(&o.attrs.values().cloned().collect::<Vec<_>>()),
        Type::Dynamic => Some(Type::Dynamic),
        _ => None,
    }
}

/// The element type of a sequence argument (list, set or tuple), or a type error.
pub(crate) fn seq_elem(t: &Type, i: usize, want: &str) -> Result<Type, TypeError> {
    match t {
        Type::List(_) | Type::Set(_) | Type::Tuple(_) | Type::Dynamic => {
            elem_type(t).ok_or_else(|| {
                TypeError::at(i, format!("{want}: all elements must have the same type"))
            })
        }
        _ => Err(TypeError::at(i, format!("{want} required, got {t}"))),
    }
}

/// Unify or explain.
pub(crate) fn unify_or(types: &[Type], message: &str) -> Result<Type, TypeError> {
    unify(types).ok_or_else(|| TypeError::new(message.to_string()))
}

/// Unicode-aware reversal of grapheme-ish units: reverses by `char`, keeping combining marks
/// after their base character.
pub(crate) fn reverse_chars(s: &str) -> String {
    let mut clusters: Vec<String> = Vec::new();
    for c in s.chars() {
        let combining = matches!(c as u32, 0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F | 0x200D | 0xFE0F);
        match clusters.last_mut() {
            Some(last) if combining => last.push(c),
            _ => clusters.push(c.to_string()),
        }
    }
    clusters.into_iter().rev().collect()
}
