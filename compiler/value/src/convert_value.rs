//! Value-level conversion to a type, following Terraform's (cty's) conversion rules.

use std::fmt;

use crate::{unify, Number, ObjectType, Type, Value, ValueMap};

/// One step of the path to the part of a value that failed to convert.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum PathStep {
    /// An element of a list, set or tuple.
    Index(usize),
    /// An attribute of an object or a key of a map.
    Key(String),
}

/// Why a value does not convert, and where inside it.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct ConvertError {
    /// From the outermost value inwards; empty when the value itself failed.
    pub path: Vec<PathStep>,
    pub message: String,
}

impl ConvertError {
    fn new(message: impl Into<String>) -> ConvertError {
        ConvertError {
            path: Vec::new(),
            message: message.into(),
        }
    }

    fn under(mut self, step: PathStep) -> ConvertError {
        self.path.insert(0, step);
        self
    }

    /// The path in HCL index syntax: `["a"][0]`; empty for the value itself.
    pub fn path_string(&self) -> String {
        let mut out = String::new();
        for step in &self.path {
            match step {
                PathStep::Index(i) => out.push_str(&format!("[{i}]")),
                PathStep::Key(k) => out.push_str(&format!("[{k:?}]")),
            }
        }
        out
    }
}

impl fmt::Display for ConvertError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path_string(), self.message)
        }
    }
}

impl std::error::Error for ConvertError {}

/// Convert a value to a type. `null` stays `null`, an unknown value becomes unknown of the
/// target type, and `any` (`Type::Dynamic`) accepts every value unchanged.
pub fn convert(value: &Value, to: &Type) -> Result<Value, ConvertError> {
    match (value, to) {
        // The result keeps the marks; a failure does not quote the value.
        (Value::Marked(inner, marks), _) => match convert(inner, to) {
            Ok(v) => Ok(v.mark(*marks)),
            // Neither the value nor a path inside it (map keys can be secret) is shown.
            Err(_) => Err(ConvertError::new(format!(
                "the sensitive value does not convert to {}",
                to.kind_name()
            ))),
        },
        (Value::Null, _) => Ok(Value::Null),
        (Value::Unknown(_), Type::Dynamic) => Ok(value.clone()),
        (Value::Unknown(_), _) => Ok(Value::Unknown(to.clone())),
        (_, Type::Dynamic) => Ok(value.clone()),
        (_, Type::String) => to_string(value),
        (_, Type::Number) => to_number(value),
        (_, Type::Bool) => to_bool(value),
        (_, Type::List(elem)) => {
            let elems = sequence(value, "list")?;
            convert_elems(elems, elem).map(Value::List)
        }
        (_, Type::Set(elem)) => {
            let elems = sequence(value, "set")?;
            convert_elems(elems, elem).map(Value::set)
        }
        (_, Type::Tuple(types)) => {
            let elems = sequence(value, "tuple")?;
            if elems.len() != types.len() {
                return Err(ConvertError::new(format!(
                    "a tuple of {} elements is required, got {}",
                    types.len(),
                    elems.len()
                )));
            }
            elems
                .iter()
                .zip(types)
                .enumerate()
                .map(|(i, (v, t))| convert(v, t).map_err(|e| e.under(PathStep::Index(i))))
                .collect::<Result<_, _>>()
                .map(Value::Tuple)
        }
        (_, Type::Map(elem)) => {
            let entries = mapping(value, "map")?;
            let elem = collection_elem(entries.values(), elem)?;
            entries
                .iter()
                .map(|(k, v)| {
                    convert(v, &elem)
                        .map(|v| (k.clone(), v))
                        .map_err(|e| e.under(PathStep::Key(k.clone())))
                })
                .collect::<Result<_, _>>()
                .map(Value::Map)
        }
        (_, Type::Object(obj)) => {
            let entries = mapping(value, "object")?;
            to_object(entries, obj)
        }
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Marked(inner, _) => kind_of(inner),
        Value::Unknown(t) => t.kind_name(),
        v => match v.type_of() {
            Type::String => "string",
            Type::Number => "number",
            Type::Bool => "bool",
            t => t.kind_name(),
        },
    }
}

/// Terraform's decimal formatting of a number: integers without a fraction, no exponent.
pub fn number_to_string(n: Number) -> String {
    n.to_string()
}

/// Parse a number the way Terraform converts a string: decimal, optional sign, fraction and
/// exponent; no surrounding spaces, no `inf`/`nan`.
pub fn parse_number(s: &str) -> Option<Number> {
    let ok = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | '.' | 'e' | 'E'))
        && s.chars().any(|c| c.is_ascii_digit());
    if !ok {
        return None;
    }
    s.parse::<f64>().ok().filter(|f| f.is_finite()).map(Number)
}

fn to_string(value: &Value) -> Result<Value, ConvertError> {
    match value {
        Value::String(_) => Ok(value.clone()),
        Value::Number(n) => Ok(Value::String(number_to_string(*n))),
        Value::Bool(b) => Ok(Value::String(b.to_string())),
        v => Err(ConvertError::new(format!(
            "a string is required, got {}",
            kind_of(v)
        ))),
    }
}

fn to_number(value: &Value) -> Result<Value, ConvertError> {
    match value {
        Value::Number(_) => Ok(value.clone()),
        Value::String(s) => parse_number(s).map(Value::Number).ok_or_else(|| {
            ConvertError::new(format!(
                "a number is required, and {s:?} is not a decimal number"
            ))
        }),
        v => Err(ConvertError::new(format!(
            "a number is required, got {}",
            kind_of(v)
        ))),
    }
}

fn to_bool(value: &Value) -> Result<Value, ConvertError> {
    match value {
        Value::Bool(_) => Ok(value.clone()),
        Value::String(s) => match s.as_str() {
            "true" | "1" => Ok(Value::Bool(true)),
            "false" | "0" => Ok(Value::Bool(false)),
            _ if s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false") => {
                Err(ConvertError::new(format!(
                    "a bool is required; to convert from string, use lowercase {:?}",
                    s.to_ascii_lowercase()
                )))
            }
            _ => Err(ConvertError::new(format!(
                "a bool is required: cannot convert {s:?} to bool"
            ))),
        },
        v => Err(ConvertError::new(format!(
            "a bool is required, got {}",
            kind_of(v)
        ))),
    }
}

fn sequence<'a>(value: &'a Value, want: &str) -> Result<&'a [Value], ConvertError> {
    value
        .as_sequence()
        .ok_or_else(|| ConvertError::new(format!("a {want} is required, got {}", kind_of(value))))
}

fn mapping<'a>(value: &'a Value, want: &str) -> Result<&'a ValueMap, ConvertError> {
    value.as_mapping().ok_or_else(|| {
        let article = if want.starts_with('o') { "an" } else { "a" };
        ConvertError::new(format!(
            "{article} {want} is required, got {}",
            kind_of(value)
        ))
    })
}

/// The element type a collection is built with: the target's, or when that is `any`, the one
/// type all the elements unify to.
fn collection_elem<'a>(
    elems: impl Iterator<Item = &'a Value>,
    elem: &Type,
) -> Result<Type, ConvertError> {
    if !elem.is_dynamic() {
        return Ok(elem.clone());
    }
    let types: Vec<Type> = elems.map(Value::type_of).collect();
    unify(&types).ok_or_else(|| ConvertError::new("all elements must have the same type"))
}

fn convert_elems(elems: &[Value], elem: &Type) -> Result<Vec<Value>, ConvertError> {
    let elem = collection_elem(elems.iter(), elem)?;
    elems
        .iter()
        .enumerate()
        .map(|(i, v)| convert(v, &elem).map_err(|e| e.under(PathStep::Index(i))))
        .collect()
}

fn to_object(entries: &ValueMap, obj: &ObjectType) -> Result<Value, ConvertError> {
    let mut out = ValueMap::new();
    for (name, ty) in &obj.attrs {
        let given = entries.get(name).filter(|v| !v.is_null());
        let converted = match (given, obj.optional.get(name)) {
            (Some(v), _) => convert(v, ty),
            (None, Some(Some(default))) => convert(default, ty),
            (None, Some(None)) => Ok(Value::Null),
            (None, None) if entries.contains_key(name) => Ok(Value::Null),
            (None, None) => {
                return Err(ConvertError::new(format!("attribute {name:?} is required")))
            }
        };
        out.insert(
            name.clone(),
            converted.map_err(|e| e.under(PathStep::Key(name.clone())))?,
        );
    }
    Ok(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Value {
        Value::string(v)
    }

    #[test]
    fn primitives() {
        assert_eq!(convert(&Value::number(3), &Type::String), Ok(s("3")));
        assert_eq!(convert(&Value::number(1.5), &Type::String), Ok(s("1.5")));
        assert_eq!(convert(&s("12"), &Type::Number), Ok(Value::number(12)));
        assert_eq!(convert(&s("1e3"), &Type::Number), Ok(Value::number(1000)));
        assert!(convert(&s("x"), &Type::Number).is_err());
        assert!(convert(&s("nan"), &Type::Number).is_err());
        assert_eq!(convert(&s("true"), &Type::Bool), Ok(Value::Bool(true)));
        assert!(convert(&s("True"), &Type::Bool)
            .unwrap_err()
            .message
            .contains("lowercase"));
        assert_eq!(convert(&Value::Bool(false), &Type::String), Ok(s("false")));
        assert!(convert(&Value::Bool(false), &Type::Number).is_err());
    }

    #[test]
    fn null_and_unknown() {
        assert_eq!(convert(&Value::Null, &Type::Number), Ok(Value::Null));
        assert_eq!(
            convert(&Value::Unknown(Type::Dynamic), &Type::String),
            Ok(Value::Unknown(Type::String))
        );
    }

    #[test]
    fn collections() {
        let t = Value::Tuple(vec![s("a"), Value::number(1)]);
        assert_eq!(
            convert(&t, &Type::list(Type::String)),
            Ok(Value::List(vec![s("a"), s("1")]))
        );
        assert_eq!(
            convert(&t, &Type::list(Type::Dynamic)),
            Ok(Value::List(vec![s("a"), s("1")]))
        );
        let dup = Value::Tuple(vec![s("b"), s("a"), s("b")]);
        assert_eq!(
            convert(&dup, &Type::set(Type::String)),
            Ok(Value::Set(vec![s("a"), s("b")]))
        );
        let err = convert(&t, &Type::list(Type::Number)).unwrap_err();
        assert_eq!(err.path_string(), "[0]");
        let obj = Value::Object([("a".into(), Value::number(1))].into());
        assert_eq!(
            convert(&obj, &Type::map(Type::String)),
            Ok(Value::Map([("a".into(), s("1"))].into()))
        );
        assert!(convert(&s("x"), &Type::list(Type::String)).is_err());
    }

    #[test]
    fn objects() {
        let mut ty = ObjectType::new(
            [
                ("a".to_string(), Type::list(Type::Number)),
                ("b".to_string(), Type::String),
                ("c".to_string(), Type::Bool),
            ]
            .into(),
        );
        ty.optional.insert("b".into(), Some(s("dflt")));
        ty.optional.insert("c".into(), None);
        let ty = Type::Object(ty);
        let v = Value::Object(
            [
                ("a".into(), Value::Tuple(vec![s("1")])),
                ("extra".into(), Value::Bool(true)),
            ]
            .into(),
        );
        assert_eq!(
            convert(&v, &ty),
            Ok(Value::Object(
                [
                    ("a".into(), Value::List(vec![Value::number(1)])),
                    ("b".into(), s("dflt")),
                    ("c".into(), Value::Null),
                ]
                .into()
            ))
        );
        let bad = Value::Map([("a".into(), Value::Tuple(vec![s("x")]))].into());
        let err = convert(&bad, &ty).unwrap_err();
        assert_eq!(err.path_string(), "[\"a\"][0]");
        let missing = Value::Object(ValueMap::new());
        assert!(convert(&missing, &ty)
            .unwrap_err()
            .message
            .contains("\"a\""));
    }

    #[test]
    fn tuples() {
        let ty = Type::Tuple(vec![Type::String, Type::Number]);
        let v = Value::List(vec![Value::number(1), s("2")]);
        assert_eq!(
            convert(&v, &ty),
            Ok(Value::Tuple(vec![s("1"), Value::number(2)]))
        );
        assert!(convert(&Value::List(vec![]), &ty).is_err());
    }
}
