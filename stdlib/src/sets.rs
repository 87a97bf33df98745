//! Set functions: setintersection, setproduct, setsubtract, setunion.

use skel_value::{convert, unify, Type, Value};

use crate::util::{elem_type, func, p, seq_arg, varfunc};
use crate::{CallError, Context, Function, TypeError};

pub(crate) fn functions() -> Vec<Function> {
    let set_any = || Type::set(Type::Dynamic);
    vec![
        varfunc(
            "setintersection",
            "Returns the elements present in all the given sets.",
            vec![p("first_set", set_any())],
            p("other_sets", set_any()),
            set_type,
            |a, c| {
                combine(a, c, |acc, other| {
                    acc.into_iter().filter(|v| other.contains(v)).collect()
                })
            },
        ),
        varfunc(
            "setproduct",
            "Returns every combination of one element from each given set or list.",
            vec![],
            p("sets", Type::Dynamic),
            product_type,
            product,
        ),
        func(
            "setsubtract",
            "Returns the elements of the first set that are not in the second.",
            vec![p("a", set_any()), p("b", set_any())],
            set_type,
            |a, c| {
                combine(a, c, |acc, other| {
                    acc.into_iter().filter(|v| !other.contains(v)).collect()
                })
            },
        ),
        varfunc(
            "setunion",
            "Returns the elements present in any of the given sets.",
            vec![p("first_set", set_any())],
            p("other_sets", set_any()),
            set_type,
            |a, c| {
                combine(a, c, |mut acc, other| {
                    acc.extend(other.iter().cloned());
                    acc
                })
            },
        ),
    ]
}

fn set_type(ts: &[Type]) -> Result<Type, TypeError> {
    let mut elems = Vec::new();
    for (i, t) in ts.iter().enumerate() {
        match t {
            Type::List(_) | Type::Set(_) | Type::Tuple(_) | Type::Dynamic => {
                elems.push(elem_type(t).unwrap_or(Type::Dynamic))
            }
            t => return Err(TypeError::at(i, format!("set of any required, got {t}"))),
        }
    }
    unify(&elems)
        .map(Type::set)
        .ok_or_else(|| TypeError::new("given sets must all have compatible element types"))
}

/// Convert all the sets to one element type, then fold them with `op`.
fn combine(
    args: &[Value],
    _: &dyn Context,
    op: fn(Vec<Value>, &[Value]) -> Vec<Value>,
) -> Result<Value, CallError> {
    let types: Vec<Type> = args
        .iter()
        .flat_map(|a| {
            a.as_sequence()
                .unwrap_or_default()
                .iter()
                .map(Value::type_of)
        })
        .collect();
    let elem = unify(&types)
        .ok_or_else(|| CallError::new("given sets must all have compatible element types"))?;
    let mut sets = Vec::with_capacity(args.len());
    for (i, a) in args.iter().enumerate() {
        match convert(a, &Type::set(elem.clone())) {
            Ok(Value::Set(items)) => sets.push(items),
            Ok(_) => sets.push(Vec::new()),
            Err(e) => return Err(CallError::at(i, e.to_string())),
        }
    }
    let mut iter = sets.into_iter();
    let first = iter.next().unwrap_or_default();
    let result = iter.fold(first, |acc, other| op(acc, &other));
    Ok(Value::set(result))
}

fn product_type(ts: &[Type]) -> Result<Type, TypeError> {
    if ts.len() < 2 {
        return Err(TypeError::new("at least two arguments are required"));
    }
    let mut elems = Vec::new();
    let mut all_lists = true;
    for (i, t) in ts.iter().enumerate() {
        match t {
            Type::List(e) => elems.push((**e).clone()),
            Type::Set(e) => {
                all_lists = false;
                elems.push((**e).clone())
            }
            Type::Tuple(_) | Type::Dynamic => elems.push(elem_type(t).unwrap_or(Type::Dynamic)),
            t => return Err(TypeError::at(i, format!("list or set required, got {t}"))),
        }
    }
    let tuple = Type::Tuple(elems);
    Ok(if all_lists {
        Type::list(tuple)
    } else {
        Type::set(tuple)
    })
}

fn product(args: &[Value], _: &dyn Context) -> Result<Value, CallError> {
    if args.len() < 2 {
        return Err(CallError::new("at least two arguments are required"));
    }
    let mut rows: Vec<Vec<Value>> = vec![Vec::new()];
    let mut all_lists = true;
    for i in 0..args.len() {
        all_lists &= !matches!(args[i], Value::Set(_));
        let items = seq_arg(args, i)?;
        let mut next = Vec::with_capacity(rows.len() * items.len());
        for row in &rows {
            for item in items {
                let mut r = row.clone();
                r.push(item.clone());
                next.push(r);
            }
        }
        if next.len() > 100_000 {
            return Err(CallError::new("the product has too many elements"));
        }
        rows = next;
    }
    let rows: Vec<Value> = rows.into_iter().map(Value::Tuple).collect();
    Ok(if all_lists {
        Value::List(rows)
    } else {
        Value::set(rows)
    })
}
