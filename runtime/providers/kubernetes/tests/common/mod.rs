//! Shared helpers of the provider suites: configuration values shaped as the evaluator makes
//! them (defaults filled, blocks as lists), and plan-then-apply.

#![allow(dead_code)]

pub mod scenarios;

use skel_value::ValueMap;
use std::sync::Arc;

use serde_json::Value as Json;
use skel_provider::{ApplyRequest, PlanRequest, Provider, ProviderError, ProviderFactory};
use skel_schema::{BlockSchema, Nesting};
use skel_value::{convert, Value};

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

/// Plans and applies `config` over `prior`; the new state.
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
        })
        .await?;
        None
    };
    p.apply(ApplyRequest {
        type_name,
        prior,
        planned: Some(&plan.planned),
        address: "test",
    })
    .await
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
