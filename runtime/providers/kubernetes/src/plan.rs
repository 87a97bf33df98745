//! Planning: the provider kit's schema-driven planner (`skel_provider::kit::plan`) with the
//! Kubernetes rules as [`KubePlanHooks`]: an immutable config map or secret whose data changes
//! is replaced; a manifest whose identity (API version, kind, namespace, name) changes is
//! replaced and its `object` is known after apply when it changes; the server-maintained
//! metadata (`resource_version`, `generation`) is unknown when an update changes arguments; a
//! service whose type changes gets what the API server allocates for the new type as unknown;
//! a service-account-token secret keeps the data the token controller wrote. The diff the plan
//! shows is this schema-shaped object against the state read from the live object (restricted
//! to the fields skel manages; see `ownership`), not a server dry-run.

use skel_provider::kit::{self, first_block, get, same, PlanHooks};
use skel_provider::{AttrPath, PlanResponse};
use skel_schema::BlockSchema;
use skel_value::{Type, Value};

use crate::{manifest, typed};

/// The value with computed-only attributes removed, in nested blocks too (for comparing
/// arguments).
fn strip_computed(block: &BlockSchema, v: &Value) -> Value {
    match v {
        Value::List(items) => Value::List(items.iter().map(|i| strip_computed(block, i)).collect()),
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| block.attribute(k).is_none_or(|a| a.is_argument()))
                .map(|(k, v)| match block.block(k) {
                    Some(nested) => (k.clone(), strip_computed(&nested.block, v)),
                    None => (k.clone(), v.clone()),
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Makes the server-maintained metadata that changes on any update unknown
/// (`metadata[0].resource_version`, `generation`).
fn mark_volatile_unknown(planned: &mut Value) {
    let Value::Object(top) = planned else { return };
    if let Some(Value::List(meta)) = top.get_mut("metadata") {
        if let Some(Value::Object(m)) = meta.first_mut() {
            m.insert("resource_version".into(), Value::Unknown(Type::String));
            m.insert("generation".into(), Value::Unknown(Type::Number));
        }
    }
}

/// The `spec[0]` object of a planned value, to change.
fn spec_mut(planned: &mut Value) -> Option<&mut skel_value::ValueMap> {
    let Value::Object(top) = planned else {
        return None;
    };
    match top.get_mut("spec") {
        Some(Value::List(items)) => match items.first_mut() {
            Some(Value::Object(spec)) => Some(spec),
            _ => None,
        },
        _ => None,
    }
}

/// A service whose type changes in place: the API server allocates what the new type needs
/// (node ports, the external traffic policy; a cluster IP when leaving ExternalName) and wipes
/// what it cannot have, and a LoadBalancer's ingress goes when it stops being one. What the
/// configuration leaves to the server is therefore unknown until applied, and is not sent
/// (a value carried over from the prior state would be kept, or rejected, for the new type).
fn plan_service_type_change(
    block: &BlockSchema,
    prior: &Value,
    config: &Value,
    planned: &mut Value,
) {
    let ty = |v: &Value| {
        get(first_block(v, "spec"), "type")
            .as_str()
            .unwrap_or("ClusterIP")
            .to_string()
    };
    let (old, new) = (ty(prior), ty(planned));
    if old == new {
        return;
    }
    let configured = first_block(config, "spec");
    let configured_ports = get(configured, "port").as_sequence();
    let Some(spec) = spec_mut(planned) else {
        return;
    };
    let unknown_string = Value::Unknown(skel_value::Type::String);
    if get(configured, "external_traffic_policy").is_null() {
        spec.insert("external_traffic_policy".into(), unknown_string.clone());
    }
    if (old == "ExternalName" || new == "ExternalName") && get(configured, "cluster_ip").is_null() {
        spec.insert("cluster_ip".into(), unknown_string);
    }
    if let Some(Value::List(ports)) = spec.get_mut("port") {
        for (i, port) in ports.iter_mut().enumerate() {
            let set = configured_ports
                .and_then(|c| c.get(i))
                .is_some_and(|c| !get(c, "node_port").is_null());
            if let (Value::Object(port), false) = (port, set) {
                port.insert("node_port".into(), Value::Unknown(skel_value::Type::Number));
            }
        }
    }
    if let (Value::Object(top), Some(status)) = (planned, block.attribute("status")) {
        top.insert("status".into(), Value::Unknown(status.ty.clone()));
    }
}

/// The Kubernetes rules on top of the provider kit's planner, for one instance.
pub struct KubePlanHooks<'a> {
    /// The schema of the type planned.
    pub block: &'a BlockSchema,
    /// The configuration planned.
    pub config: &'a Value,
}

impl KubePlanHooks<'_> {
    /// A new service-account-token secret's data is what the token controller writes: known
    /// after apply.
    fn token_data_unknown(type_name: &str, planned: &mut Value) {
        if type_name == "kubernetes_secret" && typed::is_service_account_token(planned) {
            kit::set_attr(
                planned,
                "data",
                Value::Unknown(Type::Map(Box::new(Type::String))),
            );
        }
    }
}

impl PlanHooks for KubePlanHooks<'_> {
    fn plan_create(&self, type_name: &str, planned: &mut Value) {
        Self::token_data_unknown(type_name, planned);
    }

    fn replacements(&self, type_name: &str, prior: &Value, config: &Value) -> Vec<AttrPath> {
        let replace = match type_name {
            "kubernetes_config_map" | "kubernetes_secret" => immutable_change(prior, config),
            "kubernetes_manifest" => identity_change(prior, config),
            _ => false,
        };
        let name = if type_name == "kubernetes_manifest" {
            "manifest"
        } else {
            "data"
        };
        if replace {
            vec![vec![name.to_string()]]
        } else {
            Vec::new()
        }
    }

    fn plan_update(&self, type_name: &str, prior: &Value, response: &mut PlanResponse) {
        let planned = &mut response.planned;
        if !response.requires_replace.is_empty() {
            Self::token_data_unknown(type_name, planned);
        } else if !same(
            &strip_computed(self.block, planned),
            &strip_computed(self.block, prior),
        ) {
            mark_volatile_unknown(planned);
        }
        match type_name {
            "kubernetes_service" if response.requires_replace.is_empty() => {
                plan_service_type_change(self.block, prior, self.config, planned);
            }
            "kubernetes_manifest" => {
                let now = get(planned, "manifest");
                if now.has_unknown() || !same(now, get(prior, "manifest")) {
                    kit::set_attr(planned, "object", manifest::unknown_object());
                }
            }
            _ => {}
        }
    }
}

/// The plan of one typed object or manifest over its `prior` state.
pub(crate) fn plan_object(
    block: &BlockSchema,
    type_name: &str,
    prior: Option<&Value>,
    config: &Value,
) -> PlanResponse {
    let mut config = config.clone();
    if let Some(prior) = prior {
        if type_name == "kubernetes_secret" && typed::is_service_account_token(&config) {
            typed::add_controller_data(&mut config, prior);
        }
    }
    let hooks = KubePlanHooks {
        block,
        config: &config,
    };
    kit::plan(type_name, block, prior, &config, &hooks)
}

/// An immutable config map or secret whose data (or immutability) changes: the API server
/// rejects the update, so the object is replaced.
fn immutable_change(prior: &Value, config: &Value) -> bool {
    get(prior, "immutable").as_bool() == Some(true)
        && ["data", "binary_data", "immutable"]
            .iter()
            .any(|k| !same(get(prior, k), get(config, k)))
}

/// A manifest whose API version, kind or name changes, or whose namespace changes where it
/// sets one, names another object: replaced. Not decided while the manifest is unknown.
fn identity_change(prior: &Value, config: &Value) -> bool {
    let now = get(config, "manifest");
    if now.has_unknown() {
        return false;
    }
    let (new, old) = (now.to_json(), get(prior, "manifest").to_json());
    let (a, b) = (manifest::identity(&new), manifest::identity(&old));
    a.0 != b.0 || a.1 != b.1 || a.3 != b.3 || (a.2.is_some() && a.2 != b.2)
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
