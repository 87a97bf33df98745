//! The one equality the plan and refresh use to decide whether a value changed, with the
//! schema's rules: null equals an empty collection (an omitted `tags` equals `tags = {}`) at
//! any depth, numbers compare by value, objects and maps by key, lists and tuples in order, and
//! sets (attributes of set type and `Set`-nested blocks) without order. An unknown value is
//! never the same as anything: it may turn out different.
//!
//! Nested blocks compare by their nesting mode because their values carry it: a `List` block is
//! a list of objects (in order), a `Set` block a set (any order), a `Map` block a map (by label),
//! a `Single` block an object.

use skel_value::Value;

fn empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Map(m) | Value::Object(m) => m.is_empty(),
        Value::List(l) | Value::Set(l) | Value::Tuple(l) => l.is_empty(),
        _ => false,
    }
}

/// Whether `a` and `b` mean the same value for planning and refresh (see the module).
pub fn same(a: &Value, b: &Value) -> bool {
    if a.has_unknown() || b.has_unknown() {
        return false;
    }
    same_known(a, b)
}

fn same_known(a: &Value, b: &Value) -> bool {
    if empty(a) && empty(b) {
        return true;
    }
    match (a, b) {
        (Value::Object(x) | Value::Map(x), Value::Object(y) | Value::Map(y)) => {
            x.keys().chain(y.keys()).all(|k| {
                same_known(
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                )
            })
        }
        (Value::Set(x), Value::Set(y)) => {
            x.len() == y.len()
                && x.iter().all(|e| y.iter().any(|f| same_known(e, f)))
                && y.iter().all(|f| x.iter().any(|e| same_known(e, f)))
        }
        (Value::List(x) | Value::Tuple(x), Value::List(y) | Value::Tuple(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(e, f)| same_known(e, f))
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use skel_value::{Type, ValueMap};

    fn obj(pairs: &[(&str, Value)]) -> Value {
        crate::kit::object(pairs.iter().cloned())
    }
    fn text(v: &str) -> Value {
        Value::string(v)
    }

    #[test]
    fn null_equals_every_empty_collection_at_any_depth() {
        for empty in [
            Value::Null,
            Value::List(vec![]),
            Value::Set(vec![]),
            Value::Tuple(vec![]),
            Value::Map(ValueMap::new()),
            Value::Object(ValueMap::new()),
        ] {
            assert!(same(&Value::Null, &empty), "{empty:?}");
            assert!(same(&empty, &Value::Null), "{empty:?}");
        }
        // A nested attribute set to null equals one that is absent or empty.
        let a = obj(&[("tags", Value::Null), ("name", text("x"))]);
        let b = obj(&[("name", text("x"))]);
        let c = obj(&[("tags", Value::Map(ValueMap::new())), ("name", text("x"))]);
        assert!(same(&a, &b) && same(&b, &c) && same(&a, &c));
        // An empty string is a value, not an empty collection.
        assert!(!same(&text(""), &Value::Null));
        assert!(!same(&obj(&[("k", text(""))]), &obj(&[])));
    }

    #[test]
    fn sets_compare_without_order_lists_in_order() {
        let set_ab = Value::Set(vec![text("a"), text("b")]);
        let set_ba = Value::Set(vec![text("b"), text("a")]);
        assert!(same(&set_ab, &set_ba));
        assert!(!same(&set_ab, &Value::Set(vec![text("a")])));
        assert!(!same(&set_ab, &Value::Set(vec![text("a"), text("c")])));
        let list_ab = Value::List(vec![text("a"), text("b")]);
        let list_ba = Value::List(vec![text("b"), text("a")]);
        assert!(!same(&list_ab, &list_ba));
        assert!(same(&list_ab, &Value::Tuple(vec![text("a"), text("b")])));
        // A set of objects (a `Set`-nested block): order-free, each item compared deeply, so
        // an item's omitted attribute equals its null.
        let rule = |port: i64, extra: Option<Value>| {
            let mut pairs = vec![("port", Value::number(port))];
            if let Some(e) = extra {
                pairs.push(("description", e));
            }
            obj(&pairs)
        };
        let a = Value::Set(vec![rule(22, None), rule(443, None)]);
        let b = Value::Set(vec![rule(443, Some(Value::Null)), rule(22, None)]);
        assert!(same(&a, &b));
        let c = Value::Set(vec![rule(443, Some(text("https"))), rule(22, None)]);
        assert!(!same(&a, &c));
        // A list block keeps its order.
        let la = Value::List(vec![rule(22, None), rule(443, None)]);
        let lb = Value::List(vec![rule(443, None), rule(22, None)]);
        assert!(!same(&la, &lb));
    }

    #[test]
    fn objects_and_maps_compare_by_key_numbers_by_value() {
        let m = Value::Map([("a".to_string(), text("1"))].into_iter().collect());
        let o = obj(&[("a", text("1"))]);
        assert!(same(&m, &o));
        assert!(!same(&m, &obj(&[("a", text("2"))])));
        assert!(!same(&m, &obj(&[("a", text("1")), ("b", text("2"))])));
        let n1: Value = Value::number(1);
        let n1f = Value::from_json(&serde_json::json!(1.0));
        assert!(same(&n1, &n1f));
        assert!(!same(&n1, &text("1")), "no conversion between types");
    }

    #[test]
    fn unknown_is_never_the_same() {
        let u = Value::Unknown(Type::String);
        assert!(!same(&u, &u.clone()));
        assert!(!same(&u, &Value::Null));
        let deep = obj(&[("a", Value::List(vec![u.clone()]))]);
        assert!(!same(&deep, &deep.clone()));
    }
}
