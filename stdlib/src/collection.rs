//! Sequence functions: alltrue, anytrue, chunklist, coalesce, coalescelist, compact, concat,
//! contains, distinct, element, flatten, index, length, matchkeys, one, range, reverse, slice,
//! sort, sum.

use skel_value::{convert, unify, Type, Value};

use crate::util::{
    arg, elem_type, func, int_arg, num, num_arg, p, pn, ret_bool, seq_arg, seq_elem, unify_or,
    varfunc,
};
use crate::{CallError, Context, Function, TypeError};

pub(crate) fn functions() -> Vec<Function> {
    let any = || Type::Dynamic;
    let list_any = || Type::list(Type::Dynamic);
    let mut coalesce = varfunc(
        "coalesce",
        "Returns the first argument that is not null or an empty string.",
        vec![],
        pn("vals", any()),
        |ts| unify_or(ts, "all arguments must have the same type"),
        coalesce,
    );
    coalesce.handles_unknown = true;
    let mut length = func("length", "Returns the number of elements of a collection or structural value, or of characters in a string.", vec![p("value", any())], length_type, length);
    length.handles_unknown = true;
    vec![
        func("alltrue", "Returns true if all elements of the list are true (or the list is empty).", vec![p("list", Type::list(Type::Bool))], ret_bool, |a, _| {
            Ok(Value::Bool(seq_arg(a, 0)?.iter().all(|v| *v == Value::Bool(true))))
        }),
        func("anytrue", "Returns true if any element of the list is true.", vec![p("list", Type::list(Type::Bool))], ret_bool, |a, _| {
            Ok(Value::Bool(seq_arg(a, 0)?.contains(&Value::Bool(true))))
        }),
        func("chunklist", "Splits a list into lists of at most the given size.", vec![p("list", list_any()), p("size", Type::Number)], |ts| Ok(Type::list(Type::list(seq_elem(&ts[0], 0, "list")?))), chunklist),
        coalesce,
        varfunc("coalescelist", "Returns the first argument that is a non-empty list.", vec![], pn("vals", any()), |ts| unify_or(ts, "all arguments must have the same type"), |a, _| {
            if a.is_empty() {
                return Err(CallError::new("at least one argument is required"));
            }
            a.iter()
                .find(|v| v.as_sequence().is_some_and(|s| !s.is_empty()))
                .cloned()
                .ok_or_else(|| CallError::new("no non-empty list arguments"))
        }),
        func("compact", "Removes null and empty-string elements from a list of strings.", vec![p("list", Type::list(Type::String))], |_| Ok(Type::list(Type::String)), |a, _| {
            Ok(Value::List(seq_arg(a, 0)?.iter().filter(|v| !v.is_null() && v.as_str() != Some("")).cloned().collect()))
        }),
        varfunc("concat", "Combines lists and tuples into one list.", vec![], p("seqs", any()), concat_type, concat),
        func("contains", "Returns true if the list, set or tuple contains the value.", vec![p("list", any()), pn("value", any())], |ts| {
            seq_elem(&ts[0], 0, "list, set or tuple")?;
            Ok(Type::Bool)
        }, |a, _| {
            let v = arg(a, 1)?;
            Ok(Value::Bool(seq_arg(a, 0)?.iter().any(|e| same(e, v))))
        }),
        func("distinct", "Removes duplicate elements from a list, keeping the first occurrence.", vec![p("list", list_any())], list_of_elem, |a, _| {
            let mut out: Vec<Value> = Vec::new();
            for v in seq_arg(a, 0)? {
                if !out.contains(v) {
                    out.push(v.clone());
                }
            }
            Ok(Value::List(out))
        }),
        func("element", "Returns the element at an index, wrapping around past the end.", vec![p("list", any()), p("index", Type::Number)], |ts| seq_elem(&ts[0], 0, "list or tuple"), |a, _| {
            let list = seq_arg(a, 0)?;
            let i = int_arg(a, 1)?;
            if list.is_empty() {
                return Err(CallError::at(0, "cannot use element function with an empty list"));
            }
            if i < 0 {
                return Err(CallError::at(1, "cannot use element function with a negative index"));
            }
            Ok(list[(i as usize) % list.len()].clone())
        }),
        func("flatten", "Replaces nested lists with their elements, recursively.", vec![p("list", any())], |ts| flatten_type(&ts[0]).map_err(|e| TypeError::at(0, e.to_string())), flatten),
        func("index", "Returns the index of the first element equal to the value.", vec![p("list", any()), p("value", any())], |ts| {
            seq_elem(&ts[0], 0, "list or tuple")?;
            Ok(Type::Number)
        }, |a, _| {
            let v = arg(a, 1)?;
            seq_arg(a, 0)?
                .iter()
                .position(|e| same(e, v))
                .map(|i| num(i as f64))
                .ok_or_else(|| CallError::new("item not found"))
        }),
        length,
        func("matchkeys", "Returns the elements of values whose corresponding key is in the search set.", vec![p("values", list_any()), p("keys", list_any()), p("searchset", list_any())], list_of_elem, |a, _| {
            let values = seq_arg(a, 0)?;
            let keys = seq_arg(a, 1)?;
            let search = seq_arg(a, 2)?;
            if values.len() != keys.len() {
                return Err(CallError::new("length of keys and values should be equal"));
            }
            Ok(Value::List(values.iter().zip(keys).filter(|(_, k)| search.iter().any(|s| same(s, k))).map(|(v, _)| v.clone()).collect()))
        }),
        func("one", "Returns the only element of a list, set or tuple, or null when it is empty.", vec![p("list", any())], |ts| seq_elem(&ts[0], 0, "list, set or tuple"), |a, _| {
            match seq_arg(a, 0)? {
                [] => Ok(Value::Null),
                [v] => Ok(v.clone()),
                _ => Err(CallError::at(0, "must be a list, set, or tuple value with either zero or one elements")),
            }
        }),
        varfunc("range", "Generates a list of numbers: range(limit), range(start, limit) or range(start, limit, step).", vec![], p("params", Type::Number), |_| Ok(Type::list(Type::Number)), range),
        func("reverse", "Returns the elements of a sequence in reverse order.", vec![p("list", any())], |ts| match &ts[0] {
            Type::Tuple(es) => Ok(Type::Tuple(es.iter().rev().cloned().collect())),
            t => Ok(Type::list(seq_elem(t, 0, "list, set or tuple")?)),
        }, |a, _| {
            let v = arg(a, 0)?;
            let mut items = seq_arg(a, 0)?.to_vec();
            items.reverse();
            Ok(if matches!(v, Value::Tuple(_)) { Value::Tuple(items) } else { Value::List(items) })
        }),
        func("slice", "Extracts the elements from start (inclusive) to end (exclusive).", vec![p("list", any()), p("start_index", Type::Number), p("end_index", Type::Number)], |ts| match &ts[0] {
            Type::Tuple(_) => Ok(Type::Dynamic),
            t => Ok(Type::list(seq_elem(t, 0, "list or tuple")?)),
        }, slice),
        func("sort", "Sorts a list of strings lexicographically.", vec![p("list", Type::list(Type::String))], |_| Ok(Type::list(Type::String)), |a, _| {
            let mut items = Vec::new();
            for v in seq_arg(a, 0)? {
                match v {
                    Value::String(s) => items.push(s.clone()),
                    _ => return Err(CallError::at(0, "given list element must not be null")),
                }
            }
            items.sort();
            Ok(Value::List(items.into_iter().map(Value::String).collect()))
        }),
        func("sum", "Returns the total of a list or set of numbers.", vec![p("list", any())], |ts| {
            seq_elem(&ts[0], 0, "list, set or tuple of numbers")?;
            Ok(Type::Number)
        }, |a, _| {
            let items = seq_arg(a, 0)?;
            if items.is_empty() {
                return Err(CallError::at(0, "cannot sum an empty list"));
            }
            let mut total = 0.0;
            for (i, v) in items.iter().enumerate() {
                match convert(v, &Type::Number) {
                    Ok(Value::Number(n)) => total += n.0,
                    _ => return Err(CallError::at(0, format!("element {i} must be a number, got {v}"))),
                }
            }
            Ok(num(total))
        }),
    ]
}

/// Equality as Terraform compares elements: equal values, or equal after converting the probe
/// to the element's type (`contains(["1"], 1)`).
pub(crate) fn same(elem: &Value, probe: &Value) -> bool {
    elem == probe || convert(probe, &elem.type_of()).is_ok_and(|c| c == *elem)
}

fn list_of_elem(ts: &[Type]) -> Result<Type, TypeError> {
    Ok(Type::list(seq_elem(&ts[0], 0, "list")?))
}

fn chunklist(args: &[Value], _: &dyn Context) -> Result<Value, CallError> {
    let items = seq_arg(args, 0)?;
    let size = int_arg(args, 1)?;
    if size < 0 {
        return Err(CallError::at(1, "the size argument must be positive"));
    }
    if size == 0 {
        return Ok(Value::List(vec![Value::List(items.to_vec())]));
    }
    Ok(Value::List(
        items
            .chunks(size as usize)
            .map(|c| Value::List(c.to_vec()))
            .collect(),
    ))
}

fn coalesce(args: &[Value], _: &dyn Context) -> Result<Value, CallError> {
    let types: Vec<Type> = args.iter().map(Value::type_of).collect();
    let ty =
        unify(&types).ok_or_else(|| CallError::new("all arguments must have the same type"))?;
    for v in args {
        if let Value::Unknown(_) = v {
            return Ok(Value::Unknown(ty));
        }
        if v.is_null() {
            continue;
        }
        let v = convert(v, &ty).map_err(|e| CallError::new(e.to_string()))?;
        if v.as_str() == Some("") {
            continue;
        }
        return Ok(v);
    }
    Err(CallError::new("no non-null, non-empty-string arguments"))
}

fn concat_type(ts: &[Type]) -> Result<Type, TypeError> {
    for (i, t) in ts.iter().enumerate() {
        if !matches!(
            t,
            Type::List(_) | Type::Set(_) | Type::Tuple(_) | Type::Dynamic
        ) {
            return Err(TypeError::at(i, format!("list or tuple required, got {t}")));
        }
    }
    if ts.iter().any(Type::is_dynamic) {
        return Ok(Type::Dynamic);
    }
    if ts.iter().all(|t| matches!(t, Type::Tuple(_))) {
        return Ok(Type::Tuple(
            ts.iter()
                .flat_map(|t| match t {
                    Type::Tuple(es) => es.clone(),
                    _ => Vec::new(),
                })
                .collect(),
        ));
    }
    if ts.iter().all(|t| matches!(t, Type::List(_) | Type::Set(_))) {
        let elems: Vec<Type> = ts.iter().filter_map(elem_type).collect();
        return unify(&elems)
            .map(Type::list)
            .ok_or_else(|| TypeError::new("all arguments must have the same element type"));
    }
    Ok(Type::Dynamic)
}

fn concat(args: &[Value], _: &dyn Context) -> Result<Value, CallError> {
    let mut out = Vec::new();
    for i in 0..args.len() {
        out.extend(seq_arg(args, i)?.iter().cloned());
    }
    if args
        .iter()
        .all(|a| matches!(a, Value::List(_) | Value::Set(_)))
    {
        let types: Vec<Type> = out.iter().map(Value::type_of).collect();
        let ty = unify(&types)
            .ok_or_else(|| CallError::new("all arguments must have the same element type"))?;
        return convert(&Value::Tuple(out), &Type::list(ty))
            .map_err(|e| CallError::new(e.to_string()));
    }
    Ok(Value::Tuple(out))
}

fn length_type(ts: &[Type]) -> Result<Type, TypeError> {
    match &ts[0] {
        Type::Number | Type::Bool => Err(TypeError::at(
            0,
            format!(
                "string, collection or structural value required, got {}",
                ts[0]
            ),
        )),
        _ => Ok(Type::Number),
    }
}

fn length(args: &[Value], _: &dyn Context) -> Result<Value, CallError> {
    match arg(args, 0)? {
        Value::Unknown(_) => Ok(Value::Unknown(Type::Number)),
        Value::String(s) => Ok(num(grapheme_count(s) as f64)),
        Value::List(v) | Value::Set(v) | Value::Tuple(v) => Ok(num(v.len() as f64)),
        Value::Map(m) | Value::Object(m) => Ok(num(m.len() as f64)),
        v => Err(CallError::at(
            0,
            format!("argument must be a string, a collection type, or a structural type, got {v}"),
        )),
    }
}

/// Characters, with combining marks counted with their base character.
fn grapheme_count(s: &str) -> usize {
    let mut count = 0;
    let mut prev_joiner = false;
    for c in s.chars() {
        let combining = matches!(c as u32, 0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F | 0x200D | 0xFE0F);
        if !combining && !prev_joiner {
            count += 1;
        }
        prev_joiner = c as u32 == 0x200D;
    }
    count
}

/// A type `flatten` does not accept (no list, set or tuple).
#[derive(Debug, thiserror::Error)]
#[error("can only flatten lists, sets and tuples, got {0}")]
struct NotFlattenable(Type);

fn flatten_type(t: &Type) -> Result<Type, NotFlattenable> {
    fn leaves(t: &Type, out: &mut Vec<Type>) -> bool {
        match t {
            Type::List(e) | Type::Set(e) => match &**e {
                Type::List(_) | Type::Set(_) => leaves(e, out),
                Type::Tuple(_) | Type::Dynamic => false,
                e => {
                    out.push(e.clone());
                    true
                }
            },
            _ => false,
        }
    }
    fn tuple_leaves(t: &Type, out: &mut Vec<Type>) -> bool {
        match t {
            Type::Tuple(es) => es.iter().all(|e| match e {
                Type::Tuple(_) => tuple_leaves(e, out),
                Type::List(_) | Type::Set(_) | Type::Dynamic => false,
                e => {
                    out.push(e.clone());
                    true
                }
            }),
            _ => false,
        }
    }
    match t {
        Type::List(_) | Type::Set(_) => {
            let mut out = Vec::new();
            Ok(if leaves(t, &mut out) {
                Type::list(out.pop().unwrap_or(Type::Dynamic))
            } else {
                Type::Dynamic
            })
        }
        Type::Tuple(_) => {
            let mut out = Vec::new();
            Ok(if tuple_leaves(t, &mut out) {
                Type::Tuple(out)
            } else {
                Type::Dynamic
            })
        }
        Type::Dynamic => Ok(Type::Dynamic),
        t => Err(NotFlattenable(t.clone())),
    }
}

fn flatten(args: &[Value], _: &dyn Context) -> Result<Value, CallError> {
    fn walk(v: &Value, out: &mut Vec<Value>, only_collections: &mut bool) {
        match v {
            Value::List(items) | Value::Set(items) => {
                items.iter().for_each(|i| walk(i, out, only_collections))
            }
            Value::Tuple(items) => {
                *only_collections = false;
                items.iter().for_each(|i| walk(i, out, only_collections))
            }
            other => out.push(other.clone()),
        }
    }
    let v = arg(args, 0)?;
    seq_arg(args, 0)?;
    let mut out = Vec::new();
    let mut only_collections = true;
    walk(v, &mut out, &mut only_collections);
    Ok(if only_collections {
        Value::List(out)
    } else {
        Value::Tuple(out)
    })
}

fn range(args: &[Value], _: &dyn Context) -> Result<Value, CallError> {
    let (start, limit, step) = match args.len() {
        1 => (0.0, num_arg(args, 0)?, 1.0),
        2 => {
            let (s, l) = (num_arg(args, 0)?, num_arg(args, 1)?);
            (s, l, if l < s { -1.0 } else { 1.0 })
        }
        3 => (num_arg(args, 0)?, num_arg(args, 1)?, num_arg(args, 2)?),
        _ => return Err(CallError::new("must have one, two, or three arguments")),
    };
    if step == 0.0 {
        return Err(CallError::at(2, "step must not be zero"));
    }
    let mut out = Vec::new();
    let mut v = start;
    while (step > 0.0 && v < limit) || (step < 0.0 && v > limit) {
        if out.len() >= 1024 {
            return Err(CallError::new("more than 1024 values were generated; either decrease the difference between start and end or use a smaller step"));
        }
        out.push(num(v));
        v += step;
    }
    Ok(Value::List(out))
}

fn slice(args: &[Value], _: &dyn Context) -> Result<Value, CallError> {
    let v = arg(args, 0)?;
    let items = seq_arg(args, 0)?;
    let start = int_arg(args, 1)?;
    let end = int_arg(args, 2)?;
    if start < 0 {
        return Err(CallError::at(
            1,
            "the start index must not be less than zero",
        ));
    }
    if end as usize > items.len() || end < 0 {
        return Err(CallError::at(
            2,
            "the end index must not be greater than the length of the list",
        ));
    }
    if start > end {
        return Err(CallError::at(
            1,
            "the start index must not be greater than the end index",
        ));
    }
    let part = items[start as usize..end as usize].to_vec();
    Ok(if matches!(v, Value::Tuple(_)) {
        Value::Tuple(part)
    } else {
        Value::List(part)
    })
}
