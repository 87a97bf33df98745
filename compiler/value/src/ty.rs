//! The type model: Terraform's type-constraint language as data.

use std::collections::BTreeMap;
use std::fmt;

use crate::Value;

/// A type. `Dynamic` is Terraform's `any`: it matches everything, is what `null` and unknown
/// values have, and is what the checker gives an expression it could not type so that one
/// mistake produces one diagnostic.
#[derive(Clone, PartialEq, Eq, Hash, Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Type {
    Dynamic,
    String,
    Number,
    Bool,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    Tuple(Vec<Type>),
    Object(ObjectType),
}

/// An object type: named attributes, some of which may be optional in a type constraint
/// (`optional(T, default)`); an optional attribute may carry a default value.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct ObjectType {
    pub attrs: BTreeMap<String, Type>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub optional: BTreeMap<String, Option<Value>>,
}

impl ObjectType {
    pub fn new(attrs: BTreeMap<String, Type>) -> Self {
        ObjectType {
            attrs,
            optional: BTreeMap::new(),
        }
    }

    pub fn is_optional(&self, name: &str) -> bool {
        self.optional.contains_key(name)
    }
}

impl Type {
    pub fn list(elem: Type) -> Type {
        Type::List(Box::new(elem))
    }
    pub fn set(elem: Type) -> Type {
        Type::Set(Box::new(elem))
    }
    pub fn map(elem: Type) -> Type {
        Type::Map(Box::new(elem))
    }
    pub fn object<I, K>(attrs: I) -> Type
    where
        I: IntoIterator<Item = (K, Type)>,
        K: Into<String>,
    {
        Type::Object(ObjectType::new(
            attrs.into_iter().map(|(k, v)| (k.into(), v)).collect(),
        ))
    }

    pub fn is_dynamic(&self) -> bool {
        matches!(self, Type::Dynamic)
    }

    pub fn is_primitive(&self) -> bool {
        matches!(self, Type::String | Type::Number | Type::Bool)
    }

    /// List, set or map: one element type.
    pub fn is_collection(&self) -> bool {
        matches!(self, Type::List(_) | Type::Set(_) | Type::Map(_))
    }

    /// Tuple or object: per-element types.
    pub fn is_structural(&self) -> bool {
        matches!(self, Type::Tuple(_) | Type::Object(_))
    }

    /// The element type of a collection.
    pub fn element_type(&self) -> Option<&Type> {
        match self {
            Type::List(t) | Type::Set(t) | Type::Map(t) => Some(t),
            _ => None,
        }
    }

    /// Whether `Dynamic` appears anywhere inside this type.
    pub fn has_dynamic(&self) -> bool {
        match self {
            Type::Dynamic => true,
            Type::String | Type::Number | Type::Bool => false,
            Type::List(t) | Type::Set(t) | Type::Map(t) => t.has_dynamic(),
            Type::Tuple(ts) => ts.iter().any(Type::has_dynamic),
            Type::Object(o) => o.attrs.values().any(Type::has_dynamic),
        }
    }

    /// A short word for the kind of type, for messages ("a list", "an object").
    pub fn kind_name(&self) -> &'static str {
        match self {
            Type::Dynamic => "any value",
            Type::String => "string",
            Type::Number => "number",
            Type::Bool => "bool",
            Type::List(_) => "list",
            Type::Set(_) => "set",
            Type::Map(_) => "map",
            Type::Tuple(_) => "tuple",
            Type::Object(_) => "object",
        }
    }
}

impl fmt::Display for Type {
    /// Prints the type in Terraform's type-constraint syntax.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Dynamic => f.write_str("any"),
            Type::String => f.write_str("string"),
            Type::Number => f.write_str("number"),
            Type::Bool => f.write_str("bool"),
            Type::List(t) => write!(f, "list({t})"),
            Type::Set(t) => write!(f, "set({t})"),
            Type::Map(t) => write!(f, "map({t})"),
            Type::Tuple(ts) => {
                f.write_str("tuple([")?;
                for (i, t) in ts.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{t}")?;
                }
                f.write_str("])")
            }
            Type::Object(o) => {
                f.write_str("object({")?;
                for (i, (k, t)) in o.attrs.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    match o.optional.get(k) {
                        Some(Some(default)) => write!(f, "{k} = optional({t}, {default})")?,
                        Some(None) => write!(f, "{k} = optional({t})")?,
                        None => write!(f, "{k} = {t}")?,
                    }
                }
                f.write_str("})")
            }
        }
    }
}
