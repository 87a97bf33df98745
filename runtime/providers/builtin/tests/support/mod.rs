//! Helpers shared by the integration tests: building configurations, checking objects against
//! their schemas, driving a provider through plan and apply.

#![allow(dead_code)]

use skel_value::ValueMap;
use std::sync::Arc;

use skel_provider::{ApplyRequest, PlanRequest, PlanResponse, Provider};
use skel_schema::BlockSchema;
use skel_value::{convert, Value};

/// The configured provider `name` from [`skel_provider_builtin::factories`].
pub fn provider(name: &str) -> Arc<dyn Provider> {
    let factory = skel_provider_builtin::factories()
        .into_iter()
        .find(|f| f.name() == name)
        .expect("factory exists");
    factory
        .configure(&Value::Object(ValueMap::new()))
        .expect("configures")
}

pub fn block(type_name: &str) -> &'static BlockSchema {
    &skel_schema::resource(type_name).expect("schema").block
}

pub fn data_block(type_name: &str) -> &'static BlockSchema {
    &skel_schema::data_source(type_name).expect("schema").block
}

pub fn s(v: &str) -> Value {
    Value::string(v)
}

pub fn n(v: i64) -> Value {
    Value::number(v)
}

pub fn map(pairs: &[(&str, &str)]) -> Value {
    Value::Map(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), Value::string(*v)))
            .collect(),
    )
}

/// A configuration object as the engine passes it: every attribute of the schema present, the
/// given ones set and the rest null.
pub fn config_of(block: &BlockSchema, pairs: &[(&str, Value)]) -> Value {
    let mut m: ValueMap = block
        .attributes
        .keys()
        .map(|k| (k.clone(), Value::Null))
        .collect();
    for (k, v) in pairs {
        assert!(block.attributes.contains_key(*k), "no attribute {k}");
        m.insert(k.to_string(), v.clone());
    }
    Value::Object(m)
}

pub fn config(type_name: &str, pairs: &[(&str, Value)]) -> Value {
    config_of(block(type_name), pairs)
}

pub fn attr<'a>(obj: &'a Value, name: &str) -> &'a Value {
    obj.as_mapping()
        .and_then(|m| m.get(name))
        .unwrap_or_else(|| panic!("attribute {name} missing in {obj}"))
}

pub fn attr_str<'a>(obj: &'a Value, name: &str) -> &'a str {
    attr(obj, name)
        .as_str()
        .unwrap_or_else(|| panic!("attribute {name} is not a string in {obj}"))
}

/// The object has every attribute of the schema and converts to its object type.
pub fn assert_conforms(block: &BlockSchema, obj: &Value) {
    let m = obj.as_mapping().expect("an object");
    for name in block.attributes.keys() {
        assert!(m.contains_key(name), "attribute {name} missing in {obj}");
    }
    for name in m.keys() {
        assert!(
            block.attributes.contains_key(name),
            "attribute {name} is not in the schema"
        );
    }
    let ty = block.computed_object_type();
    let converted = convert(obj, &ty).unwrap_or_else(|e| panic!("{obj} does not conform: {e}"));
    assert_eq!(&converted, obj, "conversion changed the object");
}

pub async fn plan(
    p: &Arc<dyn Provider>,
    type_name: &str,
    prior: Option<&Value>,
    config: &Value,
) -> PlanResponse {
    let response = p
        .plan(PlanRequest {
            type_name,
            prior,
            config,
        })
        .await
        .expect("plan succeeds");
    assert_conforms(block(type_name), &response.planned);
    response
}

pub async fn apply(
    p: &Arc<dyn Provider>,
    type_name: &str,
    prior: Option<&Value>,
    planned: Option<&Value>,
) -> Value {
    let state = p
        .apply(ApplyRequest {
            type_name,
            prior,
            planned,
            address: "test.address",
            token: None,
        })
        .await
        .expect("apply succeeds");
    if planned.is_some() {
        assert_conforms(block(type_name), &state);
        assert!(state.is_known(), "applied state has unknowns: {state}");
    }
    state
}

/// Plans and applies a create; returns the new state.
pub async fn create(p: &Arc<dyn Provider>, type_name: &str, config: &Value) -> Value {
    let planned = plan(p, type_name, None, config).await;
    assert!(planned.requires_replace.is_empty());
    apply(p, type_name, None, Some(&planned.planned)).await
}
