//! Between the schema's values and Kubernetes JSON, driven by the schema.
//!
//! The mapping is generic, with a small table of exceptions:
//!
//! | schema | Kubernetes JSON |
//! |---|---|
//! | block with `max_items = 1` (`metadata`, `spec`, `selector`, `template`, `value_from` …) | an object (`metadata[0]` ↔ `metadata`) |
//! | other list blocks | an array of objects |
//! | snake_case names | camelCase keys (`min_ready_seconds` ↔ `minReadySeconds`) |
//! | blocks `container`, `init_container`, `port`, `volume`, `volume_mount`, `http_header` | `containers`, `initContainers`, `ports`, `volumes`, `volumeMounts`, `httpHeaders` |
//! | attributes `cluster_ip`, `load_balancer_ip`, `external_ips` | `clusterIP`, `loadBalancerIP`, `externalIPs` |
//! | string `target_port`, probe `port`, `max_surge`, `max_unavailable` | int-or-string: a number when the text is a whole number |
//! | string `default_mode` (`"0644"`) | an integer (octal in the schema) |
//! | null, unknown, empty map or list | the key is left out (so server-side apply removes it) |
//!
//! Reading goes the other way; an absent key reads as null (an empty list for a block), and an
//! empty map or list reads as null, as the configuration without it evaluates.

use serde_json::{Map, Value as Json};
use skel_schema::BlockSchema;
use skel_value::{convert, Type, Value};

/// Attributes of the top level of a resource that are not part of the Kubernetes object.
pub const NOT_IN_OBJECT: [&str; 8] = [
    "id",
    "timeouts",
    "wait_for_rollout",
    "wait_for_load_balancer",
    "wait_for_default_service_account",
    "wait_for_service_account_token",
    "status",
    "computed_fields",
];

const INT_OR_STRING: [&str; 4] = ["target_port", "port", "max_surge", "max_unavailable"];

/// The JSON key of a schema block.
fn block_key(name: &str) -> String {
    match name {
        "container" => "containers".into(),
        "init_container" => "initContainers".into(),
        "port" => "ports".into(),
        "volume" => "volumes".into(),
        "volume_mount" => "volumeMounts".into(),
        "http_header" => "httpHeaders".into(),
        _ => camel(name),
    }
}

/// The JSON key of a schema attribute.
fn attr_key(name: &str) -> String {
    match name {
        "cluster_ip" => "clusterIP".into(),
        "load_balancer_ip" => "loadBalancerIP".into(),
        "external_ips" => "externalIPs".into(),
        _ => camel(name),
    }
}

/// `min_ready_seconds` → `minReadySeconds`.
pub fn camel(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn empty(v: &Value) -> bool {
    match v {
        Value::Null | Value::Unknown(_) => true,
        Value::Map(m) | Value::Object(m) => m.is_empty(),
        Value::List(l) | Value::Set(l) | Value::Tuple(l) => l.is_empty(),
        _ => false,
    }
}

fn attr_to_json(name: &str, ty: &Type, v: &Value) -> Json {
    if let (Type::String, Some(s)) = (ty, v.as_str()) {
        if INT_OR_STRING.contains(&name) {
            if let Ok(n) = s.parse::<i64>() {
                return Json::from(n);
            }
        }
        if name == "default_mode" {
            if let Ok(n) = i64::from_str_radix(s.trim_start_matches("0o"), 8) {
                return Json::from(n);
            }
        }
    }
    v.to_json()
}

fn attr_from_json(name: &str, ty: &Type, j: &Json) -> Value {
    match (ty, j) {
        (_, Json::Null) => Value::Null,
        (Type::String, Json::Number(n)) if name == "default_mode" => {
            Value::string(format!("0{:o}", n.as_i64().unwrap_or(0)))
        }
        (Type::String, Json::Number(n)) => Value::string(n.to_string()),
        (Type::Map(_), Json::Object(o)) if o.is_empty() => Value::Null,
        (Type::List(_) | Type::Set(_), Json::Array(a)) if a.is_empty() => Value::Null,
        _ => {
            let v = Value::from_json(j);
            convert(&v, ty).unwrap_or(Value::Null)
        }
    }
}

/// The JSON object of `value` (an object typed by `block`), leaving out `skip`.
pub fn to_json(block: &BlockSchema, value: &Value, skip: &[&str]) -> Map<String, Json> {
    let mut out = Map::new();
    let Some(fields) = value.as_mapping() else {
        return out;
    };
    for (name, attr) in &block.attributes {
        if skip.contains(&name.as_str()) || (attr.computed && !attr.optional && !attr.required) {
            continue;
        }
        match fields.get(name) {
            Some(v) if !empty(v) => {
                out.insert(attr_key(name), attr_to_json(name, &attr.ty, v));
            }
            _ => {}
        }
    }
    for (name, nested) in &block.blocks {
        if skip.contains(&name.as_str()) {
            continue;
        }
        let items: Vec<&Value> = match fields.get(name) {
            Some(Value::List(l) | Value::Set(l) | Value::Tuple(l)) => l.iter().collect(),
            Some(v @ Value::Object(_)) => vec![v],
            _ => Vec::new(),
        };
        if items.is_empty() {
            continue;
        }
        let objects: Vec<Json> = items
            .into_iter()
            .map(|item| Json::Object(to_json(&nested.block, item, &[])))
            .collect();
        let json = if nested.max_items == Some(1) {
            objects.into_iter().next().unwrap_or(Json::Null)
        } else {
            Json::Array(objects)
        };
        out.insert(block_key(name), json);
    }
    out
}

/// The schema value of a JSON object (every attribute of `block`; `skip` ones null).
pub fn from_json(block: &BlockSchema, json: &Json, skip: &[&str]) -> Value {
    let mut out = skel_value::ValueMap::new();
    for (name, attr) in &block.attributes {
        let v = if skip.contains(&name.as_str()) {
            Value::Null
        } else {
            attr_from_json(name, &attr.ty, &json[attr_key(name).as_str()])
        };
        out.insert(name.clone(), v);
    }
    for (name, nested) in &block.blocks {
        if skip.contains(&name.as_str()) {
            out.insert(name.clone(), Value::Null);
            continue;
        }
        let items: Vec<Value> = match &json[block_key(name).as_str()] {
            Json::Object(o) if !o.is_empty() || nested.max_items == Some(1) => {
                vec![from_json(&nested.block, &Json::Object(o.clone()), &[])]
            }
            Json::Array(a) => a
                .iter()
                .map(|item| from_json(&nested.block, item, &[]))
                .collect(),
            _ => Vec::new(),
        };
        out.insert(name.clone(), Value::List(items));
    }
    Value::Object(out)
}
