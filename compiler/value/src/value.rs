//! Values: what expressions evaluate to, what variables hold and what state records.

use std::fmt;

use crate::{Marks, Number, ObjectType, Type, ValueMap};

/// A value. `Unknown` is a value known only after apply (a provider-computed attribute), of a
/// known type. Sets keep their elements sorted and deduplicated; maps and objects are ordered by
/// key, as in Terraform.
#[derive(Clone, PartialEq, Eq, Hash, Debug, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Value {
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    List(Vec<Value>),
    Set(Vec<Value>),
    Map(ValueMap),
    Tuple(Vec<Value>),
    Object(ValueMap),
    Unknown(Type),
    /// A value carrying marks (sensitive, ephemeral): see [`Marks`]. Never wraps another
    /// `Marked`, never sits inside a set (marks on set elements are hoisted to the set).
    Marked(Box<Value>, Marks),
}

impl Value {
    pub fn string(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }

    pub fn number(n: impl Into<Number>) -> Value {
        Value::Number(n.into())
    }

    /// A set from any elements: sorted and deduplicated. Marks on elements move to the set.
    pub fn set(elems: Vec<Value>) -> Value {
        let (mut elems, marks) = match elems.iter().any(|e| !e.deep_marks().is_empty()) {
            false => (elems, Marks::NONE),
            true => {
                let mut marks = Marks::NONE;
                let elems = elems
                    .into_iter()
                    .map(|e| {
                        let (e, m) = e.unmark_deep();
                        marks |= m;
                        e
                    })
                    .collect();
                (elems, marks)
            }
        };
        elems.sort_by(Value::set_order);
        elems.dedup();
        Value::Set(elems).mark(marks)
    }

    /// The order of set elements: strings and numbers sort naturally; anything else by its debug form.
    pub fn set_order(a: &Value, b: &Value) -> std::cmp::Ordering {
        match (a, b) {
            (Value::String(x), Value::String(y)) => x.cmp(y),
            (Value::Number(x), Value::Number(y)) => x.cmp(y),
            (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
            _ => format!("{a:?}").cmp(&format!("{b:?}")),
        }
    }

    /// Whether the value is null (a marked null too).
    pub fn is_null(&self) -> bool {
        matches!(self.unmarked(), Value::Null)
    }

    /// Whether the value (or anything inside it) is unknown until apply.
    pub fn is_known(&self) -> bool {
        !self.has_unknown()
    }

    pub fn has_unknown(&self) -> bool {
        match self {
            Value::Unknown(_) => true,
            Value::List(v) | Value::Set(v) | Value::Tuple(v) => v.iter().any(Value::has_unknown),
            Value::Map(m) | Value::Object(m) => m.values().any(Value::has_unknown),
            Value::Marked(inner, _) => inner.has_unknown(),
            _ => false,
        }
    }

    /// Whether the value is itself unknown (a marked unknown too), as opposed to holding one.
    pub fn is_unknown(&self) -> bool {
        matches!(self.unmarked(), Value::Unknown(_))
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_number(&self) -> Option<Number> {
        match self {
            Value::Number(n) => Some(*n),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// Elements of a list, set or tuple.
    pub fn as_sequence(&self) -> Option<&[Value]> {
        match self {
            Value::List(v) | Value::Set(v) | Value::Tuple(v) => Some(v),
            _ => None,
        }
    }

    /// Entries of a map or object.
    pub fn as_mapping(&self) -> Option<&ValueMap> {
        match self {
            Value::Map(m) | Value::Object(m) => Some(m),
            _ => None,
        }
    }

    /// The most specific type of this value: tuples and objects keep per-element types.
    pub fn type_of(&self) -> Type {
        match self {
            Value::Null => Type::Dynamic,
            Value::Bool(_) => Type::Bool,
            Value::Number(_) => Type::Number,
            Value::String(_) => Type::String,
            Value::List(v) => Type::list(common_elem_type(v)),
            Value::Set(v) => Type::set(common_elem_type(v)),
            Value::Map(m) => Type::map(common_elem_type(m.values())),
            Value::Tuple(v) => Type::Tuple(v.iter().map(Value::type_of).collect()),
            Value::Object(m) => Type::Object(ObjectType::new(
                m.iter().map(|(k, v)| (k.clone(), v.type_of())).collect(),
            )),
            Value::Unknown(t) => t.clone(),
            Value::Marked(inner, _) => inner.type_of(),
        }
    }

    /// Convert from JSON (numbers, strings, bools, arrays as tuples, objects as objects).
    pub fn from_json(json: &serde_json::Value) -> Value {
        match json {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => Value::Number(Number(n.as_f64().unwrap_or(f64::NAN))),
            serde_json::Value::String(s) => Value::String(s.clone()),
            serde_json::Value::Array(a) => Value::Tuple(a.iter().map(Value::from_json).collect()),
            serde_json::Value::Object(o) => Value::Object(
                o.iter()
                    .map(|(k, v)| (k.clone(), Value::from_json(v)))
                    .collect(),
            ),
        }
    }

    /// Convert to JSON. Unknown values become `null`; callers that care check `is_known` first.
    /// Marks are dropped: JSON is what state and providers hold, so a caller that writes it
    /// records the marked paths first ([`Value::marked_paths`]).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Marked(inner, _) => inner.to_json(),
            Value::Null | Value::Unknown(_) => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Number(n) => match n.as_i64() {
                Some(i) => serde_json::Value::from(i),
                None => serde_json::Number::from_f64(n.0)
                    .map(serde_json::Value::Number)
                    .unwrap_or(serde_json::Value::Null),
            },
            Value::String(s) => serde_json::Value::String(s.clone()),
            Value::List(v) | Value::Set(v) | Value::Tuple(v) => {
                serde_json::Value::Array(v.iter().map(Value::to_json).collect())
            }
            Value::Map(m) | Value::Object(m) => {
                serde_json::Value::Object(m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
            }
        }
    }
}

fn common_elem_type<'a>(values: impl IntoIterator<Item = &'a Value>) -> Type {
    let types: Vec<Type> = values.into_iter().map(Value::type_of).collect();
    crate::unify(&types).unwrap_or(Type::Dynamic)
}

impl fmt::Display for Value {
    /// Prints the value in HCL syntax, as plan output and messages show it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Number(n) => write!(f, "{n}"),
            Value::String(s) => write!(f, "{s:?}"),
            Value::List(v) | Value::Set(v) | Value::Tuple(v) => {
                f.write_str("[")?;
                for (i, e) in v.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{e}")?;
                }
                f.write_str("]")
            }
            Value::Map(m) | Value::Object(m) => {
                f.write_str("{")?;
                for (i, (k, e)) in m.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k} = {e}")?;
                }
                f.write_str("}")
            }
            Value::Unknown(_) => f.write_str("(known after apply)"),
            // Messages format values with `{}`: a marked value never shows through them.
            Value::Marked(..) => f.write_str("(sensitive value)"),
        }
    }
}
