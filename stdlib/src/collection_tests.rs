//! Tests for the collection, map and set functions: values and type rules.

use skel_value::{Type, Value};

use crate::testutil::{call, s};
use crate::{check_call, lookup};

fn ty(name: &str, args: &[Type]) -> Result<Type, crate::TypeError> {
    check_call(lookup(name).unwrap(), args)
}
fn n(v: f64) -> Value {
    Value::number(v)
}
fn list(items: Vec<Value>) -> Value {
    Value::List(items)
}
fn strs(items: &[&str]) -> Value {
    list(items.iter().map(|i| s(i)).collect())
}
fn tuple(items: Vec<Value>) -> Value {
    Value::Tuple(items)
}
fn obj(items: &[(&str, Value)]) -> Value {
    Value::Object(
        items
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    )
}
fn map(items: &[(&str, Value)]) -> Value {
    Value::Map(
        items
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    )
}
const T: Value = Value::Bool(true);
const F: Value = Value::Bool(false);

#[test]
fn booleans_and_chunks() {
    assert_eq!(call("alltrue", &[tuple(vec![T, s("true")])]), Ok(T));
    assert_eq!(call("alltrue", &[list(vec![])]), Ok(T));
    assert_eq!(call("alltrue", &[list(vec![T, F])]), Ok(F));
    assert_eq!(call("anytrue", &[list(vec![F, T])]), Ok(T));
    assert_eq!(call("anytrue", &[list(vec![])]), Ok(F));
    assert_eq!(
        call("chunklist", &[strs(&["a", "b", "c"]), n(2.0)]),
        Ok(list(vec![strs(&["a", "b"]), strs(&["c"])]))
    );
    assert!(call("chunklist", &[strs(&["a"]), n(-1.0)]).is_err());
}

#[test]
fn coalescing() {
    assert_eq!(call("coalesce", &[Value::Null, s(""), s("b")]), Ok(s("b")));
    assert_eq!(call("coalesce", &[n(1.0), s("b")]), Ok(s("1")));
    assert!(call("coalesce", &[Value::Null, s("")]).is_err());
    assert_eq!(
        call("coalesce", &[Value::Unknown(Type::String), s("b")]),
        Ok(Value::Unknown(Type::String))
    );
    assert_eq!(
        call("coalescelist", &[strs(&[]), strs(&["c"])]),
        Ok(strs(&["c"]))
    );
    assert_eq!(
        call(
            "compact",
            &[tuple(vec![s("a"), s(""), Value::Null, s("b")])]
        ),
        Ok(strs(&["a", "b"]))
    );
    assert_eq!(
        ty("coalesce", &[Type::String, Type::Number]),
        Ok(Type::String)
    );
    assert!(ty("coalesce", &[Type::String, Type::list(Type::String)]).is_err());
}

#[test]
fn concat_contains_distinct_element_index() {
    assert_eq!(
        call("concat", &[strs(&["a"]), strs(&["b", "c"])]),
        Ok(strs(&["a", "b", "c"]))
    );
    assert_eq!(
        call("concat", &[tuple(vec![s("a")]), tuple(vec![n(1.0)])]),
        Ok(tuple(vec![s("a"), n(1.0)]))
    );
    assert_eq!(
        ty(
            "concat",
            &[Type::list(Type::String), Type::list(Type::String)]
        ),
        Ok(Type::list(Type::String))
    );
    assert_eq!(
        ty(
            "concat",
            &[
                Type::Tuple(vec![Type::String]),
                Type::Tuple(vec![Type::Number])
            ]
        ),
        Ok(Type::Tuple(vec![Type::String, Type::Number]))
    );
    assert!(ty("concat", &[Type::String])
        .unwrap_err()
        .message
        .contains("list or tuple"));
    assert_eq!(call("contains", &[strs(&["a", "b"]), s("b")]), Ok(T));
    assert_eq!(call("contains", &[strs(&["1"]), n(1.0)]), Ok(T));
    assert_eq!(call("contains", &[strs(&["a"]), s("c")]), Ok(F));
    assert!(ty("contains", &[Type::String, Type::String]).is_err());
    assert_eq!(
        call("distinct", &[strs(&["a", "b", "a", "c"])]),
        Ok(strs(&["a", "b", "c"]))
    );
    assert_eq!(call("element", &[strs(&["a", "b"]), n(3.0)]), Ok(s("b")));
    assert!(call("element", &[strs(&[]), n(0.0)]).is_err());
    assert!(call("element", &[strs(&["a"]), n(-1.0)]).is_err());
    assert_eq!(
        ty("element", &[Type::list(Type::Bool), Type::Number]),
        Ok(Type::Bool)
    );
    assert_eq!(call("index", &[strs(&["a", "b"]), s("b")]), Ok(n(1.0)));
    assert!(call("index", &[strs(&["a"]), s("z")]).is_err());
}

#[test]
fn flatten() {
    let nested = list(vec![strs(&["a", "b"]), strs(&[]), strs(&["c"])]);
    assert_eq!(call("flatten", &[nested]), Ok(strs(&["a", "b", "c"])));
    let mixed = tuple(vec![tuple(vec![s("a"), tuple(vec![n(1.0)])]), s("b")]);
    assert_eq!(
        call("flatten", &[mixed]),
        Ok(tuple(vec![s("a"), n(1.0), s("b")]))
    );
    assert_eq!(call("flatten", &[tuple(vec![])]), Ok(tuple(vec![])));
    assert!(call("flatten", &[s("x")]).is_err());
    assert_eq!(
        ty("flatten", &[Type::list(Type::list(Type::String))]),
        Ok(Type::list(Type::String))
    );
    assert_eq!(
        ty(
            "flatten",
            &[Type::Tuple(vec![
                Type::Tuple(vec![Type::String]),
                Type::Number
            ])]
        ),
        Ok(Type::Tuple(vec![Type::String, Type::Number]))
    );
    assert!(ty("flatten", &[Type::String]).is_err());
}

#[test]
fn length_one_range() {
    assert_eq!(call("length", &[s("héllo")]), Ok(n(5.0)));
    assert_eq!(call("length", &[s("e\u{301}")]), Ok(n(1.0)));
    assert_eq!(call("length", &[obj(&[("a", T)])]), Ok(n(1.0)));
    assert_eq!(
        call("length", &[list(vec![Value::Unknown(Type::String)])]),
        Ok(n(1.0))
    );
    assert_eq!(
        call("length", &[Value::Unknown(Type::Dynamic)]),
        Ok(Value::Unknown(Type::Number))
    );
    assert!(call("length", &[n(1.0)]).is_err());
    assert!(ty("length", &[Type::Bool]).is_err());
    assert_eq!(
        ty("length", &[Type::object([("a", Type::String)])]),
        Ok(Type::Number)
    );
    assert_eq!(call("one", &[strs(&[])]), Ok(Value::Null));
    assert_eq!(call("one", &[strs(&["x"])]), Ok(s("x")));
    assert!(call("one", &[strs(&["x", "y"])]).is_err());
    let nums = |v: &[f64]| list(v.iter().map(|x| n(*x)).collect());
    assert_eq!(call("range", &[n(3.0)]), Ok(nums(&[0.0, 1.0, 2.0])));
    assert_eq!(call("range", &[n(1.0), n(4.0)]), Ok(nums(&[1.0, 2.0, 3.0])));
    assert_eq!(call("range", &[n(4.0), n(1.0)]), Ok(nums(&[4.0, 3.0, 2.0])));
    assert_eq!(
        call("range", &[n(0.0), n(1.0), n(0.25)]),
        Ok(nums(&[0.0, 0.25, 0.5, 0.75]))
    );
    assert_eq!(call("range", &[n(0.0), n(3.0), n(-1.0)]), Ok(nums(&[])));
    assert!(call("range", &[n(0.0), n(3.0), n(0.0)]).is_err());
    assert!(call("range", &[]).is_err());
    assert!(call("range", &[n(1e6)]).is_err());
}

#[test]
fn reverse_slice_sort_sum_matchkeys() {
    assert_eq!(call("reverse", &[strs(&["a", "b"])]), Ok(strs(&["b", "a"])));
    assert_eq!(
        ty("reverse", &[Type::Tuple(vec![Type::String, Type::Number])]),
        Ok(Type::Tuple(vec![Type::Number, Type::String]))
    );
    assert_eq!(
        call("slice", &[strs(&["a", "b", "c"]), n(1.0), n(3.0)]),
        Ok(strs(&["b", "c"]))
    );
    assert!(call("slice", &[strs(&["a"]), n(1.0), n(3.0)]).is_err());
    assert!(call("slice", &[strs(&["a", "b"]), n(2.0), n(1.0)]).is_err());
    assert_eq!(
        call("sort", &[strs(&["b", "a", "10", "9"])]),
        Ok(strs(&["10", "9", "a", "b"]))
    );
    assert_eq!(
        call("sum", &[tuple(vec![n(1.0), n(2.5), s("3")])]),
        Ok(n(6.5))
    );
    assert!(call("sum", &[strs(&[])]).is_err());
    assert_eq!(
        call(
            "matchkeys",
            &[
                strs(&["i-1", "i-2", "i-3"]),
                strs(&["a", "b", "a"]),
                strs(&["a"])
            ]
        ),
        Ok(strs(&["i-1", "i-3"]))
    );
    assert!(call("matchkeys", &[strs(&["x"]), strs(&[]), strs(&[])]).is_err());
}

#[test]
fn maps() {
    let m = map(&[("b", n(2.0)), ("a", n(1.0))]);
    assert_eq!(
        call("keys", std::slice::from_ref(&m)),
        Ok(strs(&["a", "b"]))
    );
    assert_eq!(
        call("values", std::slice::from_ref(&m)),
        Ok(list(vec![n(1.0), n(2.0)]))
    );
    assert_eq!(call("keys", &[obj(&[("x", T)])]), Ok(tuple(vec![s("x")])));
    assert_eq!(
        ty("keys", &[Type::map(Type::Number)]),
        Ok(Type::list(Type::String))
    );
    assert_eq!(
        ty("values", &[Type::map(Type::Number)]),
        Ok(Type::list(Type::Number))
    );
    assert!(ty("keys", &[Type::String]).is_err());
    assert_eq!(call("lookup", &[m.clone(), s("a")]), Ok(n(1.0)));
    assert_eq!(call("lookup", &[m.clone(), s("z"), n(9.0)]), Ok(n(9.0)));
    assert!(call("lookup", &[m, s("z")]).is_err());
    assert_eq!(
        ty(
            "lookup",
            &[Type::map(Type::Number), Type::String, Type::Number]
        ),
        Ok(Type::Number)
    );
    assert_eq!(
        call(
            "merge",
            &[
                map(&[("a", s("1"))]),
                map(&[("a", s("2")), ("b", s("3"))]),
                Value::Null
            ]
        ),
        Ok(map(&[("a", s("2")), ("b", s("3"))]))
    );
    assert_eq!(
        call("merge", &[obj(&[("a", s("1"))]), obj(&[("b", T)])]),
        Ok(obj(&[("a", s("1")), ("b", T)]))
    );
    assert!(call("merge", &[s("x")]).is_err());
    assert_eq!(
        ty(
            "merge",
            &[
                Type::object([("a", Type::String)]),
                Type::object([("a", Type::Number), ("b", Type::Bool)])
            ]
        ),
        Ok(Type::object([("a", Type::Number), ("b", Type::Bool)]))
    );
    assert_eq!(
        ty("merge", &[Type::map(Type::String), Type::map(Type::Number)]),
        Ok(Type::map(Type::String))
    );
    assert!(ty("merge", &[Type::list(Type::String)]).is_err());
    let tm = map(&[("a", strs(&["1", "2"])), ("b", strs(&["2"]))]);
    assert_eq!(
        call("transpose", &[tm]),
        Ok(map(&[("1", strs(&["a"])), ("2", strs(&["a", "b"]))]))
    );
    assert_eq!(
        call("zipmap", &[strs(&["a", "b"]), strs(&["1", "2"])]),
        Ok(map(&[("a", s("1")), ("b", s("2"))]))
    );
    assert_eq!(
        call("zipmap", &[strs(&["a"]), tuple(vec![T])]),
        Ok(obj(&[("a", T)]))
    );
    assert!(call("zipmap", &[strs(&["a"]), strs(&[])]).is_err());
    assert_eq!(
        ty(
            "zipmap",
            &[Type::list(Type::String), Type::list(Type::Number)]
        ),
        Ok(Type::map(Type::Number))
    );
}

#[test]
fn sets() {
    let set = |v: &[&str]| Value::set(v.iter().map(|i| s(i)).collect());
    assert_eq!(
        call("setunion", &[strs(&["a", "b"]), strs(&["b", "c"])]),
        Ok(set(&["a", "b", "c"]))
    );
    assert_eq!(
        call(
            "setintersection",
            &[strs(&["a", "b"]), strs(&["b", "c"]), strs(&["b"])]
        ),
        Ok(set(&["b"]))
    );
    assert_eq!(
        call("setsubtract", &[strs(&["a", "b", "c"]), strs(&["a", "c"])]),
        Ok(set(&["b"]))
    );
    assert_eq!(
        call("setunion", &[strs(&["1"]), tuple(vec![n(2.0)])]),
        Ok(set(&["1", "2"]))
    );
    assert_eq!(
        ty(
            "setunion",
            &[Type::set(Type::String), Type::list(Type::String)]
        ),
        Ok(Type::set(Type::String))
    );
    assert!(ty("setunion", &[Type::String]).is_err());
    let p = call(
        "setproduct",
        &[strs(&["a", "b"]), list(vec![n(1.0), n(2.0)])],
    )
    .unwrap();
    assert_eq!(
        p,
        list(vec![
            tuple(vec![s("a"), n(1.0)]),
            tuple(vec![s("a"), n(2.0)]),
            tuple(vec![s("b"), n(1.0)]),
            tuple(vec![s("b"), n(2.0)]),
        ])
    );
    assert_eq!(
        call("setproduct", &[strs(&["a"]), strs(&[])]),
        Ok(list(vec![]))
    );
    assert!(call("setproduct", &[strs(&["a"])]).is_err());
    assert_eq!(
        ty(
            "setproduct",
            &[Type::list(Type::String), Type::list(Type::Number)]
        ),
        Ok(Type::list(Type::Tuple(vec![Type::String, Type::Number])))
    );
    assert_eq!(
        ty(
            "setproduct",
            &[Type::set(Type::String), Type::list(Type::Number)]
        ),
        Ok(Type::set(Type::Tuple(vec![Type::String, Type::Number])))
    );
}
