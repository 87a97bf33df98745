//! Type conversion functions: tostring, tonumber, tobool, tolist, toset, tomap; and the
//! signatures of `try` and `can`, whose lazy evaluation the evaluator implements.

use skel_value::{convert, unify, Type, Value};

use crate::util::{arg, func, pn, ret_bool, varfunc};
use crate::{CallError, Function, TypeError};

fn primitive_type(target: Type) -> impl Fn(&[Type]) -> Result<Type, TypeError> {
    move |ts| match &ts[0] {
        t if t.is_collection() || t.is_structural() => {
            Err(TypeError::at(0, format!("cannot convert {t} to {target}")))
        }
        _ => Ok(target.clone()),
    }
}

fn convert_arg(args: &[Value], to: &Type) -> Result<Value, CallError> {
    convert(arg(args, 0)?, to).map_err(|e| CallError::at(0, format!("cannot convert to {to}: {e}")))
}

fn collection_type(ts: &[Type], wrap: fn(Type) -> Type, name: &str) -> Result<Type, TypeError> {
    let elem = match &ts[0] {
        Type::Dynamic => Type::Dynamic,
        Type::List(e) | Type::Set(e) if name != "map" => (**e).clone(),
        Type::Map(e) if name == "map" => (**e).clone(),
        Type::Tuple(es) if name != "map" => {
            unify(es).ok_or_else(|| TypeError::at(0, "all elements must have the same type"))?
        }
        Type::Object(o) if name == "map" => {
            unify(&o.attrs.values().cloned().collect::<Vec<_>>())
                .ok_or_else(|| TypeError::at(0, "all attribute values must have the same type"))?
        }
        t => return Err(TypeError::at(0, format!("cannot convert {t} to {name}"))),
    };
    Ok(wrap(elem))
}

pub(crate) fn functions() -> Vec<Function> {
    let v = || vec![pn("v", Type::Dynamic)];
    let mut try_fn = varfunc(
        "try",
        "Returns the first argument that evaluates without an error.",
        vec![],
        pn("expressions", Type::Dynamic),
        |ts| Ok(unify(ts).unwrap_or(Type::Dynamic)),
        |a, _| {
            a.first()
                .cloned()
                .ok_or_else(|| CallError::new("at least one argument is required"))
        },
    );
    try_fn.handles_unknown = true;
    let mut can = func(
        "can",
        "Returns true if the expression evaluates without an error.",
        vec![pn("expression", Type::Dynamic)],
        ret_bool,
        |_, _| Ok(Value::Bool(true)),
    );
    can.handles_unknown = true;
    vec![
        func(
            "tostring",
            "Converts a primitive value to a string.",
            v(),
            |ts| primitive_type(Type::String)(ts),
            |a, _| convert_arg(a, &Type::String),
        ),
        func(
            "tonumber",
            "Converts a value to a number.",
            v(),
            |ts| primitive_type(Type::Number)(ts),
            |a, _| convert_arg(a, &Type::Number),
        ),
        func(
            "tobool",
            "Converts a value to a bool.",
            v(),
            |ts| primitive_type(Type::Bool)(ts),
            |a, _| convert_arg(a, &Type::Bool),
        ),
        func(
            "tolist",
            "Converts a sequence to a list; elements are converted to one type.",
            v(),
            |ts| collection_type(ts, Type::list, "list"),
            |a, _| convert_arg(a, &Type::list(Type::Dynamic)),
        ),
        func(
            "toset",
            "Converts a sequence to a set; elements are converted to one type and deduplicated.",
            v(),
            |ts| collection_type(ts, Type::set, "set"),
            |a, _| convert_arg(a, &Type::set(Type::Dynamic)),
        ),
        func(
            "tomap",
            "Converts an object or map to a map; values are converted to one type.",
            v(),
            |ts| collection_type(ts, Type::map, "map"),
            |a, _| convert_arg(a, &Type::map(Type::Dynamic)),
        ),
        try_fn,
        can,
        func(
            "type",
            "Returns the type of a value, as a string in type-constraint syntax.",
            v(),
            |_| Ok(Type::String),
            |a, _| Ok(Value::String(arg(a, 0)?.type_of().to_string())),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use crate::testutil::{call, s};
    use crate::{check_call, lookup};
    use skel_value::{Type, Value};

    #[test]
    fn primitives() {
        assert_eq!(call("tostring", &[Value::number(5)]), Ok(s("5")));
        assert_eq!(call("tostring", &[Value::Null]), Ok(Value::Null));
        assert_eq!(call("tonumber", &[s("5.5")]), Ok(Value::number(5.5)));
        assert!(call("tonumber", &[s("no")]).is_err());
        assert_eq!(call("tobool", &[s("true")]), Ok(Value::Bool(true)));
        assert!(call("tostring", &[Value::Tuple(vec![])]).is_err());
        let err = check_call(lookup("tostring").unwrap(), &[Type::list(Type::String)]).unwrap_err();
        assert!(err.message.contains("cannot convert"));
    }

    #[test]
    fn collections() {
        let t = Value::Tuple(vec![s("a"), Value::number(1), s("a")]);
        assert_eq!(
            call("tolist", std::slice::from_ref(&t)),
            Ok(Value::List(vec![s("a"), s("1"), s("a")]))
        );
        assert_eq!(call("toset", &[t]), Ok(Value::Set(vec![s("1"), s("a")])));
        let o = Value::Object([("a".into(), Value::Bool(true)), ("b".into(), s("x"))].into());
        assert_eq!(
            call("tomap", &[o]),
            Ok(Value::Map(
                [("a".into(), s("true")), ("b".into(), s("x"))].into()
            ))
        );
        let f = lookup("tolist").unwrap();
        assert_eq!(
            check_call(f, &[Type::Tuple(vec![Type::String, Type::Number])]),
            Ok(Type::list(Type::String))
        );
        assert!(check_call(
            f,
            &[Type::Tuple(vec![Type::String, Type::list(Type::String)])]
        )
        .is_err());
        let m = lookup("tomap").unwrap();
        assert_eq!(
            check_call(m, &[Type::object([("a", Type::Number)])]),
            Ok(Type::map(Type::Number))
        );
        assert_eq!(call("type", &[Value::number(1)]), Ok(s("number")));
    }

    #[test]
    fn try_and_can_signatures() {
        let t = lookup("try").unwrap();
        assert_eq!(
            check_call(t, &[Type::String, Type::Number]),
            Ok(Type::String)
        );
        assert_eq!(
            check_call(t, &[Type::String, Type::list(Type::String)]),
            Ok(Type::Dynamic)
        );
        assert_eq!(
            check_call(lookup("can").unwrap(), &[Type::Dynamic]),
            Ok(Type::Bool)
        );
    }
}
