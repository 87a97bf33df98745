//! What the built-in resources share beyond the provider kit (`skel_provider::kit`: accessors,
//! equality, the planner): schema lookup for the provider named, complete objects, the planned
//! object of an apply, hex.

use skel_value::ValueMap;

use skel_provider::kit;
use skel_provider::ProviderError;
use skel_schema::{BlockSchema, ResourceSchema};
use skel_value::{convert, Value};

pub use skel_provider::kit::{default_value, get, get_bool, get_i64, get_str};

/// The schema of a managed resource type served by `provider`.
pub fn resource_schema(
    provider: &str,
    type_name: &str,
) -> Result<&'static ResourceSchema, ProviderError> {
    kit::resource_schema(provider, type_name)
}

/// The schema of a data-source type served by `provider`.
pub fn data_source_schema(
    provider: &str,
    type_name: &str,
) -> Result<&'static ResourceSchema, ProviderError> {
    kit::data_source_schema(provider, type_name)
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
    kit::set_attr(obj, name, value);
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
