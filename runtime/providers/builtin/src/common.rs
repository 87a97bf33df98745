//! What the built-in resources share: schema lookup, the generic plan, attribute accessors.

use skel_value::ValueMap;

use skel_provider::{AttrPath, PlanResponse, ProviderError};
use skel_schema::{AttributeSchema, BlockSchema, ResourceSchema};
use skel_value::{convert, Value};

/// The schema of a managed resource type served by `provider`.
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

/// The schema of a data-source type served by `provider`.
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

/// The value an omitted argument takes: its schema default converted to its type, or null.
pub fn default_value(attr: &AttributeSchema) -> Value {
    attr.default
        .as_ref()
        .map(Value::from_json)
        .and_then(|v| convert(&v, &attr.ty).ok())
        .unwrap_or(Value::Null)
}

/// Whether two attribute values are the same for planning: null and an empty map, list or set
/// are the same (an omitted `keepers` equals `keepers = {}`), numbers compare by value.
pub fn same(a: &Value, b: &Value) -> bool {
    fn empty(v: &Value) -> bool {
        match v {
            Value::Null => true,
            Value::Map(m) | Value::Object(m) => m.is_empty(),
            Value::List(l) | Value::Set(l) | Value::Tuple(l) => l.is_empty(),
            _ => false,
        }
    }
    if a.has_unknown() || b.has_unknown() {
        return false;
    }
    a == b || (empty(a) && empty(b))
}

/// An attribute of an object value (null when absent or when the value is no object).
pub fn get<'a>(obj: &'a Value, name: &str) -> &'a Value {
    static NULL: Value = Value::Null;
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

/// The config value of an argument with its default applied when omitted.
pub fn with_default(config: &Value, name: &str, attr: &AttributeSchema) -> Value {
    match get(config, name) {
        Value::Null => default_value(attr),
        v => convert(v, &attr.ty).unwrap_or_else(|_| v.clone()),
    }
}

/// Plans one instance of a resource whose schema is `block`:
///
/// * arguments take their configured value, or the schema default when omitted;
/// * computed attributes keep their prior value unless the object is replaced, and are unknown
///   otherwise (a create, or a replacement);
/// * `requires_replace` lists every `force_new` argument whose value differs from the prior one.
pub fn plan_resource(block: &BlockSchema, prior: Option<&Value>, config: &Value) -> PlanResponse {
    if config.is_null() {
        return PlanResponse {
            planned: Value::Null,
            requires_replace: Vec::new(),
        };
    }
    let prior = prior.filter(|p| !p.is_null());
    let mut planned = ValueMap::new();
    let mut requires_replace: Vec<AttrPath> = Vec::new();
    for (name, attr) in &block.attributes {
        if !attr.is_argument() {
            continue;
        }
        let value = with_default(config, name, attr);
        if attr.computed && value.is_null() {
            // Optional and computed, and omitted: the provider chooses (below).
            continue;
        }
        if let Some(p) = prior {
            if attr.force_new && !same(&value, get(p, name)) {
                requires_replace.push(vec![name.clone()]);
            }
        }
        planned.insert(name.clone(), value);
    }
    let replacing = prior.is_none() || !requires_replace.is_empty();
    for (name, attr) in &block.attributes {
        if !attr.computed || planned.contains_key(name) {
            continue;
        }
        let value = match prior {
            Some(p) if !replacing => get(p, name).clone(),
            _ => Value::Unknown(attr.ty.clone()),
        };
        planned.insert(name.clone(), value);
    }
    PlanResponse {
        planned: Value::Object(planned),
        requires_replace,
    }
}

/// Builds an object with every attribute of `block`: the given values converted to their
/// attribute types, null for the rest.
pub fn complete_object(block: &BlockSchema, mut values: ValueMap) -> Value {
    let mut out = ValueMap::new();
    for (name, attr) in &block.attributes {
        let v = values.remove(name).unwrap_or(Value::Null);
        let v = convert(&v, &attr.ty).unwrap_or(v);
        out.insert(name.clone(), v);
    }
    Value::Object(out)
}

/// The planned object for an apply: an error when the engine passed none (apply of a create
/// or update always has one).
pub fn planned_object<'a>(
    planned: Option<&'a Value>,
    type_name: &str,
) -> Result<&'a Value, ProviderError> {
    planned
        .filter(|p| !p.is_null())
        .ok_or_else(|| ProviderError::Other(format!("{type_name}: apply called with no plan")))
}

/// Replaces the value of `name` in an object.
pub fn set(obj: &mut Value, name: &str, value: Value) {
    if let Value::Object(m) = obj {
        m.insert(name.to_string(), value);
    }
}

/// Whether the attribute is still unknown in the planned object (to be filled in by apply).
pub fn is_unknown(obj: &Value, name: &str) -> bool {
    matches!(get(obj, name), Value::Unknown(_))
}

/// An error for an argument that is unknown at apply time (the engine should never do that).
pub fn unknown_at_apply(type_name: &str, name: &str) -> ProviderError {
    ProviderError::InvalidConfig(format!(
        "{type_name}: `{name}` is still unknown at apply time."
    ))
}

/// Lower-case hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}
