//! Typed access to object values as the schema shapes them: an attribute by name (null when
//! absent), as a string, number, bool or list of strings, the items of a nested block, and the
//! few constructors observations need (an optional string that is null when absent).

use skel_schema::{AttributeSchema, ResourceSchema};
use skel_value::{convert, Value};

use crate::ProviderError;

static NULL: Value = Value::Null;

/// An attribute of an object value (null when absent or when the value is no object).
pub fn get<'a>(obj: &'a Value, name: &str) -> &'a Value {
    obj.as_mapping().and_then(|m| m.get(name)).unwrap_or(&NULL)
}

/// A string attribute, `None` when null, unknown or not a string.
pub fn get_str<'a>(obj: &'a Value, name: &str) -> Option<&'a str> {
    get(obj, name).as_str()
}

/// A whole-number attribute, `None` when null, unknown or not an integer.
pub fn get_i64(obj: &Value, name: &str) -> Option<i64> {
    get(obj, name).as_number().and_then(|n| n.as_i64())
}

/// A bool attribute, `None` when null, unknown or not a bool.
pub fn get_bool(obj: &Value, name: &str) -> Option<bool> {
    get(obj, name).as_bool()
}

/// The strings of a list or set attribute (nulls and unknowns skipped).
pub fn get_strs(obj: &Value, name: &str) -> Vec<String> {
    get(obj, name)
        .as_sequence()
        .map(|items| {
            items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The items of a nested block (a list or set of objects; empty when absent).
pub fn blocks<'a>(obj: &'a Value, name: &str) -> &'a [Value] {
    get(obj, name).as_sequence().unwrap_or(&[])
}

/// The first item of a nested block (null when there is none), for blocks of at most one item.
pub fn first_block<'a>(obj: &'a Value, name: &str) -> &'a Value {
    blocks(obj, name).first().unwrap_or(&NULL)
}

/// An object value from attribute name–value pairs.
pub fn object<'a>(pairs: impl IntoIterator<Item = (&'a str, Value)>) -> Value {
    Value::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

/// A string value, null when absent.
pub fn optional_string(v: Option<&str>) -> Value {
    v.map(Value::string).unwrap_or(Value::Null)
}

/// A bool value, null when absent.
pub fn optional_bool(v: Option<bool>) -> Value {
    v.map(Value::Bool).unwrap_or(Value::Null)
}

/// A number value, null when absent.
pub fn optional_number(v: Option<i64>) -> Value {
    v.map(Value::number).unwrap_or(Value::Null)
}

/// A list of strings.
pub fn string_list<I: IntoIterator<Item = S>, S: Into<String>>(items: I) -> Value {
    Value::List(items.into_iter().map(|x| Value::string(x)).collect())
}

/// A set of strings.
pub fn string_set<I: IntoIterator<Item = S>, S: Into<String>>(items: I) -> Value {
    Value::set(items.into_iter().map(|x| Value::string(x)).collect())
}

/// Replaces the value of attribute `name` of an object (nothing when the value is no object).
pub fn set_attr(obj: &mut Value, name: &str, value: Value) {
    if let Value::Object(m) = obj {
        m.insert(name.to_string(), value);
    }
}

/// The value an omitted argument takes: its schema default converted to its type, or null.
pub fn default_value(attr: &AttributeSchema) -> Value {
    attr.default
        .as_ref()
        .map(Value::from_json)
        .and_then(|v| convert(&v, &attr.ty).ok())
        .unwrap_or(Value::Null)
}

/// The configured value of argument `name`, converted to its type, or its default when omitted.
pub fn with_default(config: &Value, name: &str, attr: &AttributeSchema) -> Value {
    match get(config, name) {
        Value::Null => default_value(attr),
        v => convert(v, &attr.ty).unwrap_or_else(|_| v.clone()),
    }
}

/// The schema of managed resource type `type_name` of `provider`.
pub fn resource_schema(
    provider: &str,
    type_name: &str,
) -> Result<&'static ResourceSchema, ProviderError> {
    skel_schema::provider(provider)
        .and_then(|p| p.resources.get(type_name))
        .ok_or_else(|| {
            ProviderError::InvalidConfig(format!(
                "The {provider} provider has no resource type `{type_name}`."
            ))
        })
}

/// The schema of data-source type `type_name` of `provider`.
pub fn data_source_schema(
    provider: &str,
    type_name: &str,
) -> Result<&'static ResourceSchema, ProviderError> {
    skel_schema::provider(provider)
        .and_then(|p| p.data_sources.get(type_name))
        .ok_or_else(|| {
            ProviderError::InvalidConfig(format!(
                "The {provider} provider has no data source `{type_name}`."
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(pairs: &[(&str, Value)]) -> Value {
        crate::kit::object(pairs.iter().cloned())
    }

    #[test]
    fn accessors_read_typed_values_and_treat_everything_else_as_absent() {
        let v = obj(&[
            ("name", Value::string("web")),
            ("count", Value::number(3)),
            ("on", Value::Bool(true)),
            ("ids", string_list(["a", "b"])),
            ("unknown", Value::Unknown(skel_value::Type::String)),
            ("block", Value::List(vec![obj(&[("x", Value::number(1))])])),
        ]);
        assert_eq!(get_str(&v, "name"), Some("web"));
        assert_eq!(get_i64(&v, "count"), Some(3));
        assert_eq!(get_bool(&v, "on"), Some(true));
        assert_eq!(get_strs(&v, "ids"), vec!["a", "b"]);
        assert_eq!(get_str(&v, "unknown"), None);
        assert_eq!(get_str(&v, "count"), None, "a number is no string");
        assert_eq!(get_i64(&v, "name"), None);
        assert_eq!(get(&v, "missing"), &Value::Null);
        assert_eq!(get(&Value::string("no object"), "name"), &Value::Null);
        assert_eq!(get_i64(first_block(&v, "block"), "x"), Some(1));
        assert_eq!(first_block(&v, "missing"), &Value::Null);
        assert!(blocks(&v, "name").is_empty());
    }

    #[test]
    fn constructors_are_null_when_absent() {
        assert_eq!(optional_string(None), Value::Null);
        assert_eq!(optional_string(Some("a")), Value::string("a"));
        assert_eq!(optional_bool(Some(false)), Value::Bool(false));
        assert_eq!(optional_number(None), Value::Null);
        let mut v = obj(&[]);
        set_attr(&mut v, "a", Value::number(1));
        assert_eq!(get_i64(&v, "a"), Some(1));
        assert_eq!(string_set(["b", "a"]), string_set(["a", "b"]));
    }

    #[test]
    fn unknown_types_are_clear_errors() {
        let err = resource_schema("aws", "aws_nothing").unwrap_err();
        assert_eq!(
            err.to_string(),
            "The aws provider has no resource type `aws_nothing`."
        );
        assert!(data_source_schema("nope", "x").is_err());
        assert!(resource_schema("aws", "aws_vpc").is_ok());
    }
}
