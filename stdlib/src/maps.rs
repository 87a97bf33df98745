//! Map and object functions: keys, lookup, merge, transpose, values, zipmap.

use skel_value::ValueMap;
use std::collections::BTreeMap;

use skel_value::{convert, unify, ObjectType, Type, Value};

use crate::util::{arg, elem_type, func, map_arg, p, pn, seq_arg, str_arg, varfunc};
use crate::{CallError, Context, Function, TypeError};

pub(crate) fn functions() -> Vec<Function> {
    let any = || Type::Dynamic;
    vec![
        func(
            "keys",
            "Returns the keys of a map or the attribute names of an object, sorted.",
            vec![p("inputMap", any())],
            |ts| match &ts[0] {
                Type::Object(o) => Ok(Type::Tuple(vec![Type::String; o.attrs.len()])),
                Type::Map(_) | Type::Dynamic => Ok(Type::list(Type::String)),
                t => Err(TypeError::at(0, format!("map or object required, got {t}"))),
            },
            |a, _| {
                let keys = map_arg(a, 0)?
                    .keys()
                    .map(|k| Value::string(k.as_str()))
                    .collect();
                Ok(if matches!(arg(a, 0)?, Value::Object(_)) {
                    Value::Tuple(keys)
                } else {
                    Value::List(keys)
                })
            },
        ),
        varfunc(
            "lookup",
            "Returns the value of a key in a map or object, or the default when the key is absent.",
            vec![p("inputMap", any()), p("key", Type::String)],
            pn("default", any()),
            lookup_type,
            |a, _| {
                let map = map_arg(a, 0)?;
                let key = str_arg(a, 1)?;
                if a.len() > 3 {
                    return Err(CallError::new("lookup() takes at most three arguments"));
                }
                match (map.get(key), a.get(2)) {
                    (Some(v), Some(d)) if !d.is_null() => {
                        let ty = unify(&[v.type_of(), d.type_of()]).unwrap_or(Type::Dynamic);
                        convert(v, &ty).map_err(|e| CallError::new(e.to_string()))
                    }
                    (Some(v), _) => Ok(v.clone()),
                    (None, Some(d)) => Ok(d.clone()),
                    (None, None) => Err(CallError::at(
                        1,
                        format!("lookup failed to find key {key:?}"),
                    )),
                }
            },
        ),
        varfunc(
            "merge",
            "Merges maps or objects; later arguments take precedence.",
            vec![],
            pn("maps", any()),
            merge_type,
            merge,
        ),
        func(
            "transpose",
            "Swaps keys and values of a map of lists of strings.",
            vec![p("values", Type::map(Type::list(Type::String)))],
            |_| Ok(Type::map(Type::list(Type::String))),
            |a, _| {
                let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
                for (k, list) in map_arg(a, 0)? {
                    for v in list.as_sequence().unwrap_or_default() {
                        let Value::String(s) = v else {
                            return Err(CallError::at(0, "lists must not contain null values"));
                        };
                        out.entry(s.clone())
                            .or_default()
                            .push(Value::string(k.as_str()));
                    }
                }
                Ok(Value::Map(
                    out.into_iter().map(|(k, v)| (k, Value::List(v))).collect(),
                ))
            },
        ),
        func(
            "values",
            "Returns the values of a map or object, ordered by key.",
            vec![p("mapping", any())],
            |ts| match &ts[0] {
                Type::Object(o) => Ok(Type::Tuple(o.attrs.values().cloned().collect())),
                Type::Map(e) => Ok(Type::list((**e).clone())),
                Type::Dynamic => Ok(Type::Dynamic),
                t => Err(TypeError::at(0, format!("map or object required, got {t}"))),
            },
            |a, _| {
                let values = map_arg(a, 0)?.values().cloned().collect();
                Ok(if matches!(arg(a, 0)?, Value::Object(_)) {
                    Value::Tuple(values)
                } else {
                    Value::List(values)
                })
            },
        ),
        func(
            "zipmap",
            "Builds a map from a list of keys and a corresponding list of values.",
            vec![p("keys", Type::list(Type::String)), p("values", any())],
            |ts| match &ts[1] {
                Type::List(e) | Type::Set(e) => Ok(Type::map((**e).clone())),
                Type::Tuple(_) | Type::Dynamic => Ok(Type::Dynamic),
                t => Err(TypeError::at(1, format!("list or tuple required, got {t}"))),
            },
            zipmap,
        ),
    ]
}

fn lookup_type(ts: &[Type]) -> Result<Type, TypeError> {
    let mut candidates = match &ts[0] {
        Type::Map(e) => vec![(**e).clone()],
        Type::Object(o) => {
            let attrs: Vec<Type> = o.attrs.values().cloned().collect();
            match unify(&attrs) {
                Some(t) => vec![t],
                None => return Ok(Type::Dynamic),
            }
        }
        Type::Dynamic => return Ok(Type::Dynamic),
        t => return Err(TypeError::at(0, format!("map or object required, got {t}"))),
    };
    if ts.len() > 3 {
        return Err(TypeError::new("lookup() takes at most three arguments"));
    }
    candidates.extend(ts.get(2).cloned());
    Ok(unify(&candidates).unwrap_or(Type::Dynamic))
}

fn merge_type(ts: &[Type]) -> Result<Type, TypeError> {
    for (i, t) in ts.iter().enumerate() {
        if !matches!(t, Type::Map(_) | Type::Object(_) | Type::Dynamic) {
            return Err(TypeError::at(i, format!("map or object required, got {t}")));
        }
    }
    if ts.iter().any(Type::is_dynamic) {
        return Ok(Type::Dynamic);
    }
    if ts.iter().all(|t| matches!(t, Type::Map(_))) {
        let elems: Vec<Type> = ts.iter().filter_map(elem_type).collect();
        return Ok(unify(&elems).map(Type::map).unwrap_or(Type::Dynamic));
    }
    if ts.iter().all(|t| matches!(t, Type::Object(_))) {
        let mut attrs = BTreeMap::new();
        for t in ts {
            if let Type::Object(o) = t {
                attrs.extend(o.attrs.clone());
            }
        }
        return Ok(Type::Object(ObjectType::new(attrs)));
    }
    Ok(Type::Dynamic)
}

fn merge(args: &[Value], _: &dyn Context) -> Result<Value, CallError> {
    let mut out = ValueMap::new();
    let mut all_maps = true;
    for (i, a) in args.iter().enumerate() {
        match a {
            Value::Null => {}
            Value::Map(m) => out.extend(m.clone()),
            Value::Object(m) => {
                all_maps = false;
                out.extend(m.clone());
            }
            v => {
                return Err(CallError::at(
                    i,
                    format!("arguments must be maps or objects, got {v}"),
                ))
            }
        }
    }
    if all_maps {
        let types: Vec<Type> = out.values().map(Value::type_of).collect();
        if let Some(elem) = unify(&types) {
            return convert(&Value::Map(out), &Type::map(elem))
                .map_err(|e| CallError::new(e.to_string()));
        }
        return Ok(Value::Object(out));
    }
    Ok(Value::Object(out))
}

fn zipmap(args: &[Value], _: &dyn Context) -> Result<Value, CallError> {
    let keys = seq_arg(args, 0)?;
    let values = seq_arg(args, 1)?;
    if keys.len() != values.len() {
        return Err(CallError::new(format!(
            "number of keys ({}) does not match number of values ({})",
            keys.len(),
            values.len()
        )));
    }
    let mut out = ValueMap::new();
    for (k, v) in keys.iter().zip(values) {
        let Value::String(k) = k else {
            return Err(CallError::at(0, "keys must not be null"));
        };
        out.insert(k.clone(), v.clone());
    }
    Ok(if matches!(arg(args, 1)?, Value::Tuple(_)) {
        Value::Object(out)
    } else {
        Value::Map(out)
    })
}
