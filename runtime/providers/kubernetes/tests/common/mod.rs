//! Shared helpers of the provider suites: configuration values shaped as the evaluator makes
//! them (defaults filled, blocks as lists), and plan-then-apply.

#![allow(dead_code)]

pub mod matrix;
pub mod scenarios;

use skel_value::ValueMap;
use std::sync::Arc;

use serde_json::Value as Json;
use skel_provider::{ApplyRequest, PlanRequest, Provider, ProviderError, ProviderFactory};
use skel_schema::{BlockSchema, Nesting};
use skel_value::{convert, Value};

/// Where a deployment's state holds its first container's image.
pub const CONTAINER_IMAGE: [&str; 9] = [
    "spec",
    "0",
    "template",
    "0",
    "spec",
    "0",
    "container",
    "0",
    "image",
];

/// A running stand-in with a kubeconfig for it (in a temporary directory kept as long as this).
pub struct Env {
    pub standin: skel_kube_standin::StandIn,
    _dir: tempfile::TempDir,
    pub kubeconfig: std::path::PathBuf,
}

/// Starts the stand-in; with `token`, requests must carry it and the kubeconfig does.
pub fn standin(token: Option<&str>) -> Env {
    let options = skel_kube_standin::Options {
        token: token.map(str::to_string),
        ..Default::default()
    };
    let standin = skel_kube_standin::start_with(options).expect("start the stand-in");
    let dir = tempfile::tempdir().expect("tempdir");
    let kubeconfig = dir.path().join("config");
    standin
        .write_kubeconfig(&kubeconfig, token)
        .expect("kubeconfig");
    Env {
        standin,
        _dir: dir,
        kubeconfig,
    }
}

/// The provider configured with the kubeconfig at `path`.
pub fn provider(path: &std::path::Path) -> Arc<dyn Provider> {
    let config = Value::Object(ValueMap::from([(
        "config_path".to_string(),
        Value::string(path.display().to_string()),
    )]));
    skel_provider_kubernetes::KubernetesFactory
        .configure(&config)
        .expect("configure")
}

fn fill(block: &BlockSchema, json: &Json) -> Value {
    let mut out = ValueMap::new();
    for (name, attr) in &block.attributes {
        let v = match json.get(name) {
            Some(j) if !j.is_null() => {
                let v = Value::from_json(j);
                convert(&v, &attr.ty).unwrap_or(v)
            }
            _ if attr.is_argument() => attr
                .default
                .as_ref()
                .and_then(|d| convert(&Value::from_json(d), &attr.ty).ok())
                .unwrap_or(Value::Null),
            _ => Value::Null,
        };
        out.insert(name.clone(), v);
    }
    for (name, nested) in &block.blocks {
        let items: Vec<Value> = match json.get(name) {
            Some(Json::Array(a)) => a.iter().map(|i| fill(&nested.block, i)).collect(),
            Some(o @ Json::Object(_)) => vec![fill(&nested.block, o)],
            _ => Vec::new(),
        };
        let v = match nested.nesting {
            Nesting::Single => items.into_iter().next().unwrap_or(Value::Null),
            _ => Value::List(items),
        };
        out.insert(name.clone(), v);
    }
    Value::Object(out)
}

/// A resource configuration from JSON in the configuration's shape (blocks may be objects).
pub fn config(type_name: &str, json: Json) -> Value {
    let schema = skel_schema::resource(type_name).expect("schema");
    fill(&schema.block, &json)
}

/// Where `actual` differs from a value `planned` knows (the engine's check of every apply
/// result against its plan: a difference is a provider bug).
fn incompatible(planned: &Value, actual: &Value, path: &mut Vec<String>) -> Option<String> {
    match (planned, actual) {
        (Value::Unknown(_), _) => None,
        (Value::Object(a) | Value::Map(a), Value::Object(b) | Value::Map(b)) => {
            a.iter().find_map(|(k, v)| {
                path.push(k.clone());
                let found = incompatible(v, b.get(k).unwrap_or(&Value::Null), path);
                path.pop();
                found
            })
        }
        (Value::List(a) | Value::Tuple(a), Value::List(b) | Value::Tuple(b))
            if a.len() == b.len() =>
        {
            a.iter().zip(b).enumerate().find_map(|(i, (x, y))| {
                path.push(i.to_string());
                let found = incompatible(x, y, path);
                path.pop();
                found
            })
        }
        (a, b) if a == b => None,
        (Value::Set(a), Value::Set(_)) if a.iter().any(|v| !v.is_known()) => None,
        _ => Some(format!(
            "{}: planned {planned}, got {actual}",
            path.join(".")
        )),
    }
}

/// Plans and applies `config` over `prior` as the engine does (a replacement deletes first),
/// and checks the result agrees with the plan as the engine does; the new state.
pub async fn converge(
    p: &Arc<dyn Provider>,
    type_name: &str,
    prior: Option<&Value>,
    config: &Value,
) -> Result<Value, ProviderError> {
    let plan = p
        .plan(PlanRequest {
            type_name,
            prior,
            config,
        })
        .await?;
    let prior = if plan.requires_replace.is_empty() {
        prior
    } else {
        p.apply(ApplyRequest {
            type_name,
            prior,
            planned: None,
            address: "test",
            token: None,
        })
        .await?;
        None
    };
    let new = p
        .apply(ApplyRequest {
            type_name,
            prior,
            planned: Some(&plan.planned),
            address: "test",
            token: None,
        })
        .await?;
    if let Some(at) = incompatible(&plan.planned, &new, &mut Vec::new()) {
        panic!("{type_name}: the apply result differs from its plan at {at}");
    }
    Ok(new)
}

/// Whether planning `config` over `state` changes nothing.
pub async fn no_changes(
    p: &Arc<dyn Provider>,
    type_name: &str,
    state: &Value,
    config: &Value,
) -> bool {
    let plan = p
        .plan(PlanRequest {
            type_name,
            prior: Some(state),
            config,
        })
        .await
        .expect("plan");
    plan.requires_replace.is_empty() && &plan.planned == state
}

/// Deletes the object of `state`.
pub async fn destroy(
    p: &Arc<dyn Provider>,
    type_name: &str,
    state: &Value,
) -> Result<Value, ProviderError> {
    p.apply(ApplyRequest {
        type_name,
        prior: Some(state),
        planned: None,
        address: "test",
        token: None,
    })
    .await
}

/// A nested value by path (`["metadata", "0", "name"]`).
pub fn at<'a>(v: &'a Value, path: &[&str]) -> &'a Value {
    static NULL: Value = Value::Null;
    let mut cur = v;
    for step in path {
        cur = match cur {
            Value::List(l) | Value::Tuple(l) => step.parse::<usize>().ok().and_then(|i| l.get(i)),
            other => other.as_mapping().and_then(|m| m.get(step)),
        }
        .unwrap_or(&NULL);
    }
    cur
}
