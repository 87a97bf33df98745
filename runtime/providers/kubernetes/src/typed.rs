//! The typed resources (`kubernetes_namespace`, `_deployment`, `_service`, `_config_map`,
//! `_secret`): their kinds, the object a state stands for, the state of a live object, and the
//! waits (rollout, load-balancer ingress).

use skel_value::ValueMap;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value as Json};
use skel_provider::ProviderError;
use skel_schema::BlockSchema;
use skel_value::{convert, Value};

use crate::api::Target;
use crate::convert::{from_json, to_json, NOT_IN_OBJECT};

/// The kind behind a typed resource type.
pub fn target(type_name: &str) -> Option<Target> {
    let (av, kind, plural, namespaced) = match type_name {
        "kubernetes_namespace" => ("v1", "Namespace", "namespaces", false),
        "kubernetes_deployment" => ("apps/v1", "Deployment", "deployments", true),
        "kubernetes_service" => ("v1", "Service", "services", true),
        "kubernetes_config_map" => ("v1", "ConfigMap", "configmaps", true),
        "kubernetes_secret" => ("v1", "Secret", "secrets", true),
        _ => return None,
    };
    Some(Target::fixed(av, kind, plural, namespaced))
}

/// The `metadata[0]` object of a state.
pub fn metadata(state: &Value) -> &Value {
    static NULL: Value = Value::Null;
    state
        .as_mapping()
        .and_then(|m| m.get("metadata"))
        .and_then(|m| m.as_sequence())
        .and_then(|l| l.first())
        .unwrap_or(&NULL)
}

/// A string attribute of an object value.
pub fn text<'a>(obj: &'a Value, name: &str) -> Option<&'a str> {
    obj.as_mapping()
        .and_then(|m| m.get(name))
        .and_then(|v| v.as_str())
}

/// The object the state stands for, as it is applied (apiVersion, kind, metadata and the
/// configured fields; secret data base64-encoded).
pub fn body(type_name: &str, block: &BlockSchema, state: &Value, target: &Target) -> Json {
    let mut obj = to_json(block, state, &NOT_IN_OBJECT);
    obj.insert("apiVersion".into(), json!(target.resource.api_version));
    obj.insert("kind".into(), json!(target.resource.kind));
    if type_name == "kubernetes_secret" {
        let token = is_service_account_token(state);
        let mut data = serde_json::Map::new();
        if let Some(Json::Object(plain)) = obj.remove("data") {
            // The token controller's keys stay the controller's: applying them would make skel
            // their co-owner.
            let plain = plain
                .into_iter()
                .filter(|(k, _)| !(token && CONTROLLER_DATA.contains(&k.as_str())));
            for (k, v) in plain {
                let text = v.as_str().unwrap_or_default();
                data.insert(k, json!(STANDARD.encode(text)));
            }
        }
        if let Some(Json::Object(binary)) = obj.remove("binaryData") {
            data.extend(binary);
        }
        if !data.is_empty() {
            obj.insert("data".into(), Json::Object(data));
        }
    }
    if !target.namespaced {
        if let Some(Json::Object(meta)) = obj.get_mut("metadata") {
            meta.remove("namespace");
        }
    }
    Json::Object(obj)
}

/// The schema default of an attribute.
fn default_of(block: &BlockSchema, name: &str) -> Value {
    block
        .attribute(name)
        .and_then(|a| {
            let d = Value::from_json(a.default.as_ref()?);
            convert(&d, &a.ty).ok()
        })
        .unwrap_or(Value::Null)
}

/// The state of a live object (already restricted to the fields that belong in the state).
/// Arguments that are not part of the object (waits, timeouts) come from `prior`, or take their
/// defaults on import.
pub fn state(type_name: &str, block: &BlockSchema, live: &Json, prior: Option<&Value>) -> Value {
    let mut v = from_json(block, live, &NOT_IN_OBJECT);
    let Value::Object(fields) = &mut v else {
        return v;
    };
    for name in NOT_IN_OBJECT {
        if block.attribute(name).is_some_and(|a| a.is_argument()) || block.block(name).is_some() {
            let kept = prior
                .and_then(|p| p.as_mapping())
                .and_then(|m| m.get(name))
                .cloned()
                .unwrap_or_else(|| default_of(block, name));
            fields.insert(name.to_string(), kept);
        }
    }
    let name = live["metadata"]["name"].as_str().unwrap_or_default();
    let id = match live["metadata"]["namespace"].as_str() {
        Some(ns) if type_name != "kubernetes_namespace" => format!("{ns}/{name}"),
        _ => name.to_string(),
    };
    fields.insert("id".into(), Value::string(id));
    if type_name == "kubernetes_secret" {
        secret_data(fields, live, prior);
    }
    if type_name == "kubernetes_service" {
        let ingress: Vec<Value> = live["status"]["loadBalancer"]["ingress"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|i| {
                Value::Object(ValueMap::from([
                    ("hostname".into(), Value::from_json(&i["hostname"])),
                    ("ip".into(), Value::from_json(&i["ip"])),
                ]))
            })
            .collect();
        let status = Value::List(vec![Value::Object(ValueMap::from([(
            "load_balancer".into(),
            Value::List(vec![Value::Object(ValueMap::from([(
                "ingress".into(),
                Value::List(ingress),
            )]))]),
        )]))]);
        let ty = block.attribute("status").map(|a| a.ty.clone());
        let status = ty.and_then(|t| convert(&status, &t).ok()).unwrap_or(status);
        fields.insert("status".into(), status);
    }
    v
}

/// The type of secret whose data the token controller fills in.
const SERVICE_ACCOUNT_TOKEN: &str = "kubernetes.io/service-account-token";

/// The keys of a service-account-token secret's `data` that the token controller writes.
const CONTROLLER_DATA: [&str; 3] = ["token", "ca.crt", "namespace"];

/// Whether a secret's state (or plan) is of type `kubernetes.io/service-account-token`.
pub fn is_service_account_token(state: &Value) -> bool {
    text(state, "type") == Some(SERVICE_ACCOUNT_TOKEN)
}

/// Copies the token controller's `data` keys of `from` into `to` where `to` has none of its
/// own; `data` that is unknown is left alone. The state of a service-account-token secret
/// carries the token, CA and namespace the controller wrote (`from` = the live object), and its
/// plan keeps those of the prior state (`from` = prior): the configuration does not set them,
/// and applying never removes them.
pub fn add_controller_data(to: &mut Value, from: &Value) {
    let Some(source) = from
        .as_mapping()
        .and_then(|m| m.get("data"))
        .and_then(Value::as_mapping)
    else {
        return;
    };
    let Value::Object(fields) = to else { return };
    let data = fields.entry("data".to_string()).or_insert(Value::Null);
    if data.is_null() {
        *data = Value::Map(ValueMap::new());
    }
    let Value::Map(target) = data else { return };
    for key in CONTROLLER_DATA {
        if let Some(v) = source.get(key) {
            if !target.contains_key(key) {
                target.insert(key.to_string(), v.clone());
            }
        }
    }
    if target.is_empty() {
        *data = Value::Null;
    }
}

/// Secret `data` from the live base64: keys the prior state had in `binary_data` stay base64
/// there; the rest is decoded into `data` (or kept in `binary_data` when not UTF-8).
fn secret_data(fields: &mut ValueMap, live: &Json, prior: Option<&Value>) {
    let binary_keys: Vec<String> = prior
        .and_then(|p| p.as_mapping())
        .and_then(|m| m.get("binary_data"))
        .and_then(|b| b.as_mapping())
        .map(|b| b.keys().cloned().collect())
        .unwrap_or_default();
    let mut data = ValueMap::new();
    let mut binary = ValueMap::new();
    for (k, v) in live["data"].as_object().into_iter().flatten() {
        let encoded = v.as_str().unwrap_or_default();
        let decoded = STANDARD
            .decode(encoded)
            .ok()
            .and_then(|b| String::from_utf8(b).ok());
        match decoded {
            Some(text) if !binary_keys.contains(k) => {
                data.insert(k.clone(), Value::string(text));
            }
            _ => {
                binary.insert(k.clone(), Value::string(encoded));
            }
        }
    }
    let as_map = |m: ValueMap| {
        if m.is_empty() {
            Value::Null
        } else {
            Value::Map(m)
        }
    };
    fields.insert("data".into(), as_map(data));
    fields.insert("binary_data".into(), as_map(binary));
}

/// Whether a deployment has rolled out; an error when it cannot (ProgressDeadlineExceeded).
pub fn rollout_done(obj: &Json) -> Result<bool, ProviderError> {
    let generation = obj["metadata"]["generation"].as_i64().unwrap_or(0);
    let status = &obj["status"];
    let observed = status["observedGeneration"].as_i64().unwrap_or(-1);
    let conditions = status["conditions"].as_array().cloned().unwrap_or_default();
    if let Some(c) = conditions
        .iter()
        .find(|c| c["type"] == "Progressing" && c["reason"] == "ProgressDeadlineExceeded")
    {
        if observed >= generation {
            return Err(ProviderError::Api(format!(
                "Deployment \"{}\" failed to roll out: ProgressDeadlineExceeded: {}\nConditions: {}",
                obj["metadata"]["name"].as_str().unwrap_or_default(),
                c["message"].as_str().unwrap_or_default(),
                show_conditions(obj)
            )));
        }
    }
    if observed < generation {
        return Ok(false);
    }
    let n = |k: &str| status[k].as_i64().unwrap_or(0);
    let want = obj["spec"]["replicas"].as_i64().unwrap_or(1);
    let updated = n("updatedReplicas");
    Ok(updated >= want
        && n("replicas") == updated
        && n("readyReplicas") == updated
        && n("availableReplicas") >= updated)
}

/// `Available=False (MinimumReplicasUnavailable: …); Progressing=…`.
pub fn show_conditions(obj: &Json) -> String {
    let conditions = obj["status"]["conditions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if conditions.is_empty() {
        return "none reported".into();
    }
    conditions
        .iter()
        .map(|c| {
            format!(
                "{}={} ({}: {})",
                c["type"].as_str().unwrap_or("?"),
                c["status"].as_str().unwrap_or("?"),
                c["reason"].as_str().unwrap_or(""),
                c["message"].as_str().unwrap_or("")
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Whether a LoadBalancer service has an ingress point.
pub fn has_ingress(obj: &Json) -> bool {
    obj["status"]["loadBalancer"]["ingress"]
        .as_array()
        .is_some_and(|i| !i.is_empty())
}
