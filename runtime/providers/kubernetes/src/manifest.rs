//! `kubernetes_manifest`: any object, its kind found by API discovery (cluster- or
//! namespace-scoped), applied with the block's field manager and `force_conflicts`.
//!
//! The state's `manifest` is the live object projected onto the shape of the configured
//! manifest (so a field someone else changed shows as drift, and fields only others or the
//! server set do not); `object` is the whole live object without `managedFields`,
//! `resourceVersion` and `status`.

use std::collections::BTreeMap;

use serde_json::{json, Value as Json};
use skel_provider::ProviderError;
use skel_value::{Type, Value};

/// The manifest's JSON without what clients never send.
pub fn body(manifest: &Value) -> Result<Json, ProviderError> {
    if manifest.has_unknown() {
        return Err(ProviderError::InvalidConfig(
            "kubernetes_manifest: `manifest` is still unknown at apply time.".into(),
        ));
    }
    let mut j = manifest.to_json();
    if let Some(m) = j.as_object_mut() {
        m.remove("status");
    }
    if let Some(meta) = j["metadata"].as_object_mut() {
        for f in [
            "resourceVersion",
            "managedFields",
            "uid",
            "creationTimestamp",
            "generation",
        ] {
            meta.remove(f);
        }
    }
    let ok =
        j["apiVersion"].is_string() && j["kind"].is_string() && j["metadata"]["name"].is_string();
    if !ok {
        return Err(ProviderError::InvalidConfig(
            "kubernetes_manifest: `manifest` needs `apiVersion`, `kind` and `metadata.name`."
                .into(),
        ));
    }
    Ok(j)
}

/// (apiVersion, kind, namespace, name) of a manifest JSON.
pub fn identity(j: &Json) -> (String, String, Option<String>, String) {
    let s = |v: &Json| v.as_str().unwrap_or_default().to_string();
    (
        s(&j["apiVersion"]),
        s(&j["kind"]),
        j["metadata"]["namespace"].as_str().map(str::to_string),
        s(&j["metadata"]["name"]),
    )
}

/// `apiVersion=v1,kind=ConfigMap,namespace=default,name=x`.
pub fn id(api_version: &str, kind: &str, ns: Option<&str>, name: &str) -> String {
    match ns {
        Some(ns) => format!("apiVersion={api_version},kind={kind},namespace={ns},name={name}"),
        None => format!("apiVersion={api_version},kind={kind},name={name}"),
    }
}

/// Parses an import id.
pub fn parse_id(id: &str) -> Result<(String, String, Option<String>, String), ProviderError> {
    let mut fields: BTreeMap<&str, &str> = BTreeMap::new();
    for part in id.split(',') {
        let (k, v) = part.split_once('=').ok_or_else(|| bad_id(id))?;
        fields.insert(k.trim(), v.trim());
    }
    let get = |k: &str| fields.get(k).map(|v| v.to_string());
    match (get("apiVersion"), get("kind"), get("name")) {
        (Some(av), Some(kind), Some(name)) => Ok((av, kind, get("namespace"), name)),
        _ => Err(bad_id(id)),
    }
}

fn bad_id(id: &str) -> ProviderError {
    ProviderError::InvalidConfig(format!(
        "kubernetes_manifest: the import id must be `apiVersion=…,kind=…[,namespace=…],name=…`, not {id:?}."
    ))
}

/// The live object projected onto the shape of `shape` (keys of objects; other values whole).
pub fn project(shape: &Json, live: &Json) -> Json {
    match (shape, live) {
        (Json::Object(s), Json::Object(l)) => Json::Object(
            s.iter()
                .filter_map(|(k, sv)| l.get(k).map(|lv| (k.clone(), project(sv, lv))))
                .collect(),
        ),
        _ => live.clone(),
    }
}

/// The whole live object without volatile server fields.
pub fn object(live: &Json) -> Value {
    let mut o = live.clone();
    if let Some(m) = o.as_object_mut() {
        m.remove("status");
    }
    if let Some(meta) = o["metadata"].as_object_mut() {
        meta.remove("managedFields");
        meta.remove("resourceVersion");
    }
    Value::from_json(&o)
}

/// What an imported object's manifest is: the live object without server-set metadata and
/// status (and restricted to fields some manager owns).
pub fn imported_manifest(live: &Json) -> Json {
    let mut m = crate::ownership::restrict(live, None, "skel");
    if let Some(o) = m.as_object_mut() {
        o.remove("status");
    }
    if let Some(meta) = m["metadata"].as_object_mut() {
        for f in [
            "uid",
            "resourceVersion",
            "generation",
            "creationTimestamp",
            "managedFields",
        ] {
            meta.remove(f);
        }
    }
    m
}

/// Whether the `wait` block's conditions and fields hold for `obj`.
pub fn wait_satisfied(wait: &Value, obj: &Json) -> Result<bool, ProviderError> {
    let w = |name: &str| wait.as_mapping().and_then(|m| m.get(name));
    let rollout = w("rollout").and_then(|v| v.as_bool()) == Some(true);
    if rollout && obj["kind"] == json!("Deployment") && !crate::typed::rollout_done(obj)? {
        return Ok(false);
    }
    for c in w("condition")
        .and_then(|v| v.as_sequence())
        .into_iter()
        .flatten()
    {
        let ty = c
            .as_mapping()
            .and_then(|m| m.get("type"))
            .and_then(|v| v.as_str());
        let status = c
            .as_mapping()
            .and_then(|m| m.get("status"))
            .and_then(|v| v.as_str());
        let found = obj["status"]["conditions"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|x| {
                ty.is_none_or(|t| x["type"] == json!(t))
                    && status.is_none_or(|s| x["status"] == json!(s))
            });
        if !found {
            return Ok(false);
        }
    }
    for (path, want) in w("fields")
        .and_then(|v| v.as_mapping())
        .into_iter()
        .flatten()
    {
        let mut v = obj;
        for part in path.split('.') {
            v = &v[part];
        }
        let text = match v {
            Json::String(s) => s.clone(),
            Json::Null => return Ok(false),
            other => other.to_string(),
        };
        if want.as_str().is_some_and(|w| w != "*" && w != text) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// The unknown `object` of a plan.
pub fn unknown_object() -> Value {
    Value::Unknown(Type::Dynamic)
}
