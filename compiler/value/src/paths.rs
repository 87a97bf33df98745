//! Paths to the unknown parts of a value, so a value can cross a format without "unknown"
//! (JSON, where they become `null`) and come back with its unknowns where they were: the
//! write-ahead journal records a planned object this way.

use crate::{Type, Value};

impl Value {
    /// The paths of every unknown value inside this one: object and map keys by name, list,
    /// set and tuple elements by position. An unknown value itself is the empty path.
    pub fn unknown_paths(&self) -> Vec<Vec<String>> {
        fn walk(v: &Value, path: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
            match v {
                Value::Unknown(_) => out.push(path.clone()),
                Value::Marked(inner, _) => walk(inner, path, out),
                Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
                    for (i, item) in items.iter().enumerate() {
                        path.push(i.to_string());
                        walk(item, path, out);
                        path.pop();
                    }
                }
                Value::Map(m) | Value::Object(m) => {
                    for (k, item) in m.iter() {
                        path.push(k.clone());
                        walk(item, path, out);
                        path.pop();
                    }
                }
                _ => {}
            }
        }
        let mut out = Vec::new();
        walk(self, &mut Vec::new(), &mut out);
        out
    }

    /// This value with the value at each of `paths` made unknown (of its type where it has one,
    /// else `any`). Paths that lead nowhere are ignored.
    pub fn with_unknowns_at(mut self, paths: &[Vec<String>]) -> Value {
        for path in paths {
            if let Some(slot) = self.at_path_mut(path) {
                let ty = match &*slot {
                    Value::Null => Type::Dynamic,
                    other => other.type_of(),
                };
                *slot = Value::Unknown(ty);
            }
        }
        self
    }

    fn at_path_mut(&mut self, path: &[String]) -> Option<&mut Value> {
        let Some((first, rest)) = path.split_first() else {
            return Some(self);
        };
        let next = match self {
            Value::Marked(inner, _) => return inner.at_path_mut(path),
            Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
                items.get_mut(first.parse::<usize>().ok()?)?
            }
            Value::Map(m) | Value::Object(m) => m.get_mut(first)?,
            _ => return None,
        };
        next.at_path_mut(rest)
    }
}

#[cfg(test)]
mod tests {
    use crate::{Type, Value, ValueMap};

    #[test]
    fn unknowns_survive_a_trip_through_json() {
        let v = Value::Object(ValueMap::from([
            ("id".to_string(), Value::Unknown(Type::String)),
            ("name".to_string(), Value::string("a")),
            ("gone".to_string(), Value::Null),
            (
                "list".to_string(),
                Value::List(vec![Value::number(1), Value::Unknown(Type::Number)]),
            ),
        ]));
        let paths = v.unknown_paths();
        assert_eq!(
            paths,
            vec![vec!["id".to_string()], vec!["list".into(), "1".into()]]
        );
        let back = Value::from_json(&v.to_json()).with_unknowns_at(&paths);
        assert!(matches!(
            back.as_mapping().unwrap().get("id"),
            Some(Value::Unknown(_))
        ));
        assert_eq!(back.as_mapping().unwrap().get("gone"), Some(&Value::Null));
        let list = back
            .as_mapping()
            .unwrap()
            .get("list")
            .unwrap()
            .as_sequence()
            .unwrap();
        assert_eq!(list[0], Value::number(1));
        assert!(matches!(list[1], Value::Unknown(_)));
        // A path that leads nowhere changes nothing.
        let same = Value::string("x").with_unknowns_at(&[vec!["nope".to_string()]]);
        assert_eq!(same, Value::string("x"));
    }
}
