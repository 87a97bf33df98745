//! Showing values that carry marks: a marked value (or any part of one) is printed as
//! `(sensitive value)`, whatever its form. Marks come with the values (`skel_value::Marks`);
//! state and plans record them as paths, which [`with_paths`] turns back into marks. Nothing
//! here searches text for secrets.

use serde_json::Value as Json;
use skel_value::{Marks, Value};

pub const SENSITIVE: &str = "(sensitive value)";

/// JSON from state or a plan, with the parts at `paths` marked sensitive.
pub fn with_paths<'a>(json: &Json, paths: impl IntoIterator<Item = &'a Vec<String>>) -> Value {
    Value::from_json(json).mark_paths(paths, Marks::SENSITIVE)
}

/// A value as JSON with every marked part replaced by the string `(sensitive value)`.
pub fn shown_json(value: &Value) -> Json {
    match value {
        Value::Marked(..) => Json::String(SENSITIVE.into()),
        Value::List(v) | Value::Set(v) | Value::Tuple(v) => {
            Json::Array(v.iter().map(shown_json).collect())
        }
        Value::Map(m) | Value::Object(m) => {
            Json::Object(m.iter().map(|(k, e)| (k.clone(), shown_json(e))).collect())
        }
        other => other.to_json(),
    }
}

/// Terraform's `before_sensitive`/`after_sensitive` shape: `true` where the value is
/// sensitive; structures mirrored (objects keep only keys with something sensitive inside,
/// sequences keep every element, `false` for one that is not).
pub fn sensitive_as_bool(value: &Value) -> Json {
    match value {
        Value::Marked(..) => Json::Bool(true),
        Value::List(v) | Value::Set(v) | Value::Tuple(v) => {
            if v.is_empty() {
                return Json::Array(Vec::new());
            }
            Json::Array(v.iter().map(sensitive_as_bool).collect())
        }
        Value::Map(m) | Value::Object(m) => Json::Object(
            m.iter()
                .filter_map(|(k, e)| {
                    let s = sensitive_as_bool(e);
                    (s != Json::Bool(false)).then(|| (k.clone(), s))
                })
                .collect(),
        ),
        _ => Json::Bool(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marked_parts_are_replaced_and_listed() {
        let json = serde_json::json!({"id": "x", "tags": ["a", "hunter2"], "pw": "hunter2"});
        let paths = [vec!["pw".to_string()], vec!["tags".into(), "1".into()]];
        let value = with_paths(&json, &paths);
        let shown = shown_json(&value).to_string();
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("\"x\""), "{shown}");
        assert_eq!(
            sensitive_as_bool(&value),
            serde_json::json!({"pw": true, "tags": [false, true]})
        );
    }
}
