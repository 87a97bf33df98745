//! The `status` and `scale` subresources of Deployments and ReplicaSets (and `pods/status`):
//! GET, PUT and PATCH (merge, strategic merge and apply patches are merged into the
//! subresource's document). A status write changes only `status`; a scale write changes only
//! `spec.replicas`, answers an `autoscaling/v1` `Scale`, and records its manager in
//! `managedFields` with `subresource: scale`, as a real API server does.

use std::time::Instant;

use serde_json::{json, Value};

use crate::apply;
use crate::controllers;
use crate::store::{merge_patch, ApiError, Kind, Request, Store};

fn not_found() -> ApiError {
    ApiError::new(
        404,
        "NotFound",
        "the server could not find the requested resource",
    )
}

/// Answers a request for `/{plural}/{name}/{subresource}`.
pub(crate) fn handle(
    store: &mut Store,
    kind: &Kind,
    req: &Request,
) -> Result<(u16, Value), ApiError> {
    let sub = req.subresource.as_deref().unwrap_or("");
    let served = matches!(
        (kind.group.as_str(), kind.plural.as_str(), sub),
        ("apps", "deployments" | "replicasets", "status" | "scale") | ("", "pods", "status")
    );
    if !served || kind.namespaced != req.namespace.is_some() {
        return Err(not_found());
    }
    let Some(name) = req.name.clone() else {
        return Err(not_found());
    };
    let key = (
        kind.group.clone(),
        kind.plural.clone(),
        req.namespace.clone().unwrap_or_default(),
        name.clone(),
    );
    let Some(old) = store.objects.get(&key).map(|e| e.obj.clone()) else {
        return Err(ApiError::not_found(kind, &name));
    };
    let current = if sub == "scale" {
        scale_of(&old)
    } else {
        old.clone()
    };
    let sent = match req.method.as_str() {
        "GET" => return Ok((200, current)),
        "PUT" => parse(req)?,
        "PATCH" => {
            let patch = parse(req)?;
            if patch.is_array() {
                return Err(ApiError::new(
                    415,
                    "UnsupportedMediaType",
                    format!(
                        "the body of the request was in an unknown format - accepted media types include: application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml; got {}",
                        req.content_type
                    ),
                ));
            }
            let mut merged = current.clone();
            merge_patch(&mut merged, &patch);
            merged
        }
        other => {
            return Err(ApiError::new(
                405,
                "MethodNotAllowed",
                format!("{other} is not supported here"),
            ))
        }
    };
    if let Some(rv) = sent["metadata"]["resourceVersion"].as_str() {
        if old["metadata"]["resourceVersion"].as_str() != Some(rv) {
            return Err(ApiError::new(409, "Conflict", format!(
                "Operation cannot be fulfilled on {} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
                kind.qualified()))
            .with_details(json!({"name": name, "group": kind.group, "kind": kind.plural})));
        }
    }
    let mut new = old.clone();
    if sub == "scale" {
        let replicas = match &sent["spec"]["replicas"] {
            Value::Null => 0,
            v => v.as_i64().filter(|n| *n >= 0).ok_or_else(|| {
                let message = format!(
                    "spec.replicas: Invalid value: {v}: must be greater than or equal to 0"
                );
                ApiError::new(
                    422,
                    "Invalid",
                    format!("Scale.autoscaling \"{name}\" is invalid: {message}"),
                )
                .with_details(json!({"name": name, "group": "autoscaling", "kind": "Scale",
                    "causes": [{"reason": "FieldValueInvalid", "message": message, "field": "spec.replicas"}]}))
            })?,
        };
        new["spec"]["replicas"] = json!(replicas);
    } else {
        new["status"] = sent["status"].clone();
    }
    if new == old {
        return Ok((200, current));
    }
    let respond = |obj: &Value| {
        if sub == "scale" {
            scale_of(obj)
        } else {
            obj.clone()
        }
    };
    if req.dry_run() {
        return Ok((200, respond(&new)));
    }
    let manager = req.manager();
    if sub == "scale" {
        let generation = old["metadata"]["generation"].as_i64().unwrap_or(1) + 1;
        new["metadata"]["generation"] = json!(generation);
    }
    apply::record_update_on(Some(&old), &mut new, &manager, &kind.api_version(), sub);
    new["metadata"]["resourceVersion"] = json!(store.bump());
    let settle = (sub == "scale")
        .then(|| Instant::now() + controllers::first_delay(kind, store.options.settle_delay));
    if let Some(e) = store.objects.get_mut(&key) {
        e.obj = new.clone();
        if settle.is_some() {
            e.settle_at = settle;
        }
    }
    store.emit("MODIFIED", &key);
    Ok((200, respond(&new)))
}

fn parse(req: &Request) -> Result<Value, ApiError> {
    let parsed = if req.content_type.starts_with("application/apply-patch") {
        serde_yaml_ng::from_slice::<Value>(&req.body).map_err(|e| e.to_string())
    } else {
        serde_json::from_slice::<Value>(&req.body).map_err(|e| e.to_string())
    };
    parsed.map_err(|e| {
        ApiError::new(
            400,
            "BadRequest",
            format!("the body of the request was in an unknown format: {e}"),
        )
    })
}

/// The label selector of a workload as a string (`app=web,tier in (a,b)`).
fn selector_string(selector: &Value) -> String {
    let mut terms: Vec<String> = selector["matchLabels"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
        .collect();
    for e in selector["matchExpressions"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let key = e["key"].as_str().unwrap_or("");
        let values: Vec<&str> = e["values"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        terms.push(match e["operator"].as_str().unwrap_or("") {
            "In" => format!("{key} in ({})", values.join(",")),
            "NotIn" => format!("{key} notin ({})", values.join(",")),
            "DoesNotExist" => format!("!{key}"),
            _ => key.to_string(),
        });
    }
    terms.join(",")
}

/// The `autoscaling/v1` `Scale` of a Deployment or ReplicaSet.
fn scale_of(obj: &Value) -> Value {
    let meta = &obj["metadata"];
    let mut status = json!({"replicas": obj["status"]["replicas"].as_i64().unwrap_or(0)});
    let selector = selector_string(&obj["spec"]["selector"]);
    if !selector.is_empty() {
        status["selector"] = json!(selector);
    }
    json!({
        "kind": "Scale", "apiVersion": "autoscaling/v1",
        "metadata": {"name": meta["name"], "namespace": meta["namespace"], "uid": meta["uid"],
            "resourceVersion": meta["resourceVersion"], "creationTimestamp": meta["creationTimestamp"]},
        "spec": {"replicas": obj["spec"]["replicas"].as_i64().unwrap_or(1)},
        "status": status,
    })
}
