//! Tests of the Kubernetes planning rules on the provider kit's planner, with the real schemas.

use serde_json::json;
use skel_provider::kit::{self, first_block, get};
use skel_provider::PlanResponse;
use skel_value::{convert, Value};

use super::plan_object;

/// A value of `type_name` as the evaluator and the state make it (nested blocks as lists).
fn typed(type_name: &str, v: &serde_json::Value) -> Value {
    let block = &kit::resource_schema("kubernetes", type_name).unwrap().block;
    convert(&Value::from_json(v), &block.computed_object_type()).unwrap()
}

fn plan(type_name: &str, prior: Option<&Value>, config: &serde_json::Value) -> PlanResponse {
    let block = &kit::resource_schema("kubernetes", type_name).unwrap().block;
    plan_object(block, type_name, prior, &typed(type_name, config))
}

fn unknown(v: &Value) -> bool {
    matches!(v, Value::Unknown(_))
}

fn metadata(planned: &Value) -> &Value {
    first_block(planned, "metadata")
}

fn config_map(data: &str, immutable: bool) -> serde_json::Value {
    json!({
        "data": {"k": data}, "binary_data": null, "immutable": immutable, "id": null,
        "metadata": [{"name": "cm", "generate_name": null, "namespace": "default",
            "labels": null, "annotations": null, "uid": null, "resource_version": null,
            "generation": null}]
    })
}

fn config_map_state(data: &str, immutable: bool) -> Value {
    let mut s = config_map(data, immutable);
    s["id"] = json!("default/cm");
    s["metadata"][0]["uid"] = json!("u-1");
    s["metadata"][0]["resource_version"] = json!("7");
    s["metadata"][0]["generation"] = json!(0);
    typed("kubernetes_config_map", &s)
}

#[test]
fn an_immutable_config_map_whose_data_changes_is_replaced_with_unknown_computed_values() {
    let prior = config_map_state("a", true);
    let r = plan(
        "kubernetes_config_map",
        Some(&prior),
        &config_map("b", true),
    );
    assert_eq!(r.requires_replace, vec![vec!["data".to_string()]]);
    assert!(unknown(get(&r.planned, "id")));
    assert!(unknown(get(metadata(&r.planned), "uid")));
    assert!(unknown(get(metadata(&r.planned), "resource_version")));
    // Unchanged: nothing replaced, every computed value kept.
    let r = plan(
        "kubernetes_config_map",
        Some(&prior),
        &config_map("a", true),
    );
    assert!(r.requires_replace.is_empty());
    assert_eq!(get(&r.planned, "id"), &Value::string("default/cm"));
    assert_eq!(
        get(metadata(&r.planned), "resource_version"),
        &Value::string("7")
    );
}

#[test]
fn an_update_makes_the_server_maintained_metadata_unknown_and_keeps_the_identity() {
    let prior = config_map_state("a", false);
    let r = plan(
        "kubernetes_config_map",
        Some(&prior),
        &config_map("b", false),
    );
    assert!(r.requires_replace.is_empty(), "{:?}", r.requires_replace);
    let meta = metadata(&r.planned);
    assert!(unknown(get(meta, "resource_version")));
    assert!(unknown(get(meta, "generation")));
    assert_eq!(get(meta, "uid"), &Value::string("u-1"));
    assert_eq!(get(&r.planned, "id"), &Value::string("default/cm"));
}

#[test]
fn a_name_known_only_after_apply_replaces_the_object() {
    // Another object's name under the same address would be a new object: replaced (and the
    // plan says so) rather than applied as an update that leaves the old one behind.
    let prior = config_map_state("a", false);
    let mut config = typed("kubernetes_config_map", &config_map("a", false));
    if let Value::Object(top) = &mut config {
        if let Some(Value::List(meta)) = top.get_mut("metadata") {
            kit::set_attr(
                &mut meta[0],
                "name",
                Value::Unknown(skel_value::Type::String),
            );
        }
    }
    let block = &kit::resource_schema("kubernetes", "kubernetes_config_map")
        .unwrap()
        .block;
    let r = plan_object(block, "kubernetes_config_map", Some(&prior), &config);
    let path: Vec<String> = ["metadata", "0", "name"].map(String::from).into();
    assert_eq!(r.requires_replace, vec![path]);
    assert!(unknown(get(&r.planned, "id")));
}

fn manifest(kind: &str, data: &str) -> serde_json::Value {
    json!({
        "manifest": {"apiVersion": "v1", "kind": kind,
            "metadata": {"name": "m", "namespace": "default"}, "data": {"k": data}},
        "object": null, "computed_fields": null, "id": null,
        "field_manager": [], "wait": [], "timeouts": null
    })
}

fn manifest_state(kind: &str, data: &str) -> Value {
    let mut s = manifest(kind, data);
    s["id"] = json!("apiVersion=v1,kind=ConfigMap,namespace=default,name=m");
    s["object"] = s["manifest"].clone();
    typed("kubernetes_manifest", &s)
}

#[test]
fn a_manifest_is_replaced_when_its_identity_changes_and_its_object_is_unknown_when_it_changes() {
    let prior = manifest_state("ConfigMap", "a");
    let r = plan(
        "kubernetes_manifest",
        Some(&prior),
        &manifest("Secret", "a"),
    );
    assert_eq!(r.requires_replace, vec![vec!["manifest".to_string()]]);
    assert!(unknown(get(&r.planned, "object")));
    assert!(unknown(get(&r.planned, "id")));
    let r = plan(
        "kubernetes_manifest",
        Some(&prior),
        &manifest("ConfigMap", "b"),
    );
    assert!(r.requires_replace.is_empty());
    assert!(unknown(get(&r.planned, "object")));
    assert_eq!(get(&r.planned, "id"), get(&prior, "id"));
    let r = plan(
        "kubernetes_manifest",
        Some(&prior),
        &manifest("ConfigMap", "a"),
    );
    assert!(r.requires_replace.is_empty());
    assert_eq!(get(&r.planned, "object"), get(&prior, "object"));
}

#[test]
fn a_new_service_account_token_secret_has_unknown_data() {
    let config = json!({
        "type": "kubernetes.io/service-account-token", "data": null, "binary_data": null,
        "immutable": null, "wait_for_service_account_token": true, "id": null,
        "metadata": [{"name": "t", "generate_name": null, "namespace": "default",
            "labels": null, "annotations": {"kubernetes.io/service-account.name": "default"},
            "uid": null, "resource_version": null, "generation": null}],
        "timeouts": null
    });
    let r = plan("kubernetes_secret", None, &config);
    assert!(unknown(get(&r.planned, "data")));
    assert!(unknown(get(&r.planned, "id")));
}
