//! `yamldecode` and `yamlencode`: YAML read into values and values written as YAML, through one
//! YAML crate (see ARCHITECTURE.md, "Dependencies", for the choice).

use serde_yaml_ng::Value as Yaml;
use skel_value::{Number, Value, ValueMap};

use crate::CallError;

/// Parse one YAML document: sequences become tuples, mappings objects (scalar keys as strings),
/// aliases are expanded, tags are dropped (the tagged value is kept), and more than one
/// document is an error.
pub(crate) fn decode(src: &str) -> Result<Value, CallError> {
    let yaml: Yaml =
        serde_yaml_ng::from_str(src).map_err(|e| CallError::at(0, format!("invalid YAML: {e}")))?;
    from_yaml(&yaml)
}

/// The value's JSON form written as YAML.
pub(crate) fn encode(value: &Value) -> Result<Value, CallError> {
    serde_yaml_ng::to_string(&value.to_json())
        .map(Value::String)
        .map_err(|e| CallError::at(0, format!("cannot encode as YAML: {e}")))
}

fn from_yaml(y: &Yaml) -> Result<Value, CallError> {
    Ok(match y {
        Yaml::Null => Value::Null,
        Yaml::Bool(b) => Value::Bool(*b),
        Yaml::Number(n) => Value::Number(Number(n.as_f64().unwrap_or(f64::NAN))),
        Yaml::String(s) => Value::String(s.clone()),
        Yaml::Sequence(items) => {
            Value::Tuple(items.iter().map(from_yaml).collect::<Result<_, _>>()?)
        }
        Yaml::Mapping(m) => {
            let mut out = ValueMap::new();
            for (k, v) in m {
                let key = match from_yaml(k)? {
                    Value::String(s) => s,
                    Value::Number(n) => n.to_string(),
                    Value::Bool(b) => b.to_string(),
                    Value::Null => "null".into(),
                    _ => return Err(CallError::at(0, "YAML mapping keys must be scalars")),
                };
                out.insert(key, from_yaml(v)?);
            }
            Value::Object(out)
        }
        Yaml::Tagged(t) => from_yaml(&t.value)?,
    })
}

#[cfg(test)]
#[path = "yaml_tests.rs"]
mod tests;
