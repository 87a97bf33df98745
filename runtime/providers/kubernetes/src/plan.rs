//! Planning against the schema: the configuration (defaults are already filled in by the
//! evaluator), computed attributes kept from the prior state at the same position unless the
//! object is replaced, and `requires_replace` for every `force_new` attribute or block that
//! changed. The diff the plan shows is this schema-shaped object against the state read from
//! the live object (see `ownership`), not a server dry-run.

use skel_provider::kit::{first_block, get, same};
use skel_provider::{AttrPath, PlanResponse};
use skel_schema::BlockSchema;
use skel_value::Value;
use skel_value::ValueMap;

use crate::{manifest, typed};

fn field<'a>(v: Option<&'a Value>, name: &str) -> Option<&'a Value> {
    v.and_then(|v| v.as_mapping()).and_then(|m| m.get(name))
}

/// The planned value of one block: `config` with computed attributes filled from `prior`
/// (`None`, or `replacing`: unknown).
pub fn plan_block(
    block: &BlockSchema,
    config: &Value,
    prior: Option<&Value>,
    replacing: bool,
) -> Value {
    if matches!(config, Value::Unknown(_)) {
        return config.clone();
    }
    let prior = if replacing { None } else { prior };
    let mut out = ValueMap::new();
    for (name, attr) in &block.attributes {
        let configured = field(Some(config), name).cloned().unwrap_or(Value::Null);
        let from_prior = || match field(prior, name) {
            Some(v) => v.clone(),
            None if prior.is_some() => Value::Null,
            None => Value::Unknown(attr.ty.clone()),
        };
        let value = if !attr.is_argument() {
            from_prior()
        } else if attr.computed && configured.is_null() {
            match prior {
                Some(_) => field(prior, name).cloned().unwrap_or(Value::Null),
                None => Value::Unknown(attr.ty.clone()),
            }
        } else {
            configured
        };
        out.insert(name.clone(), value);
    }
    for (name, nested) in &block.blocks {
        let configured = field(Some(config), name).cloned().unwrap_or(Value::Null);
        let value = match &configured {
            Value::List(items) => {
                let prior_items = field(prior, name).and_then(|p| p.as_sequence());
                Value::List(
                    items
                        .iter()
                        .enumerate()
                        .map(|(i, item)| {
                            let p = prior_items.and_then(|p| p.get(i));
                            plan_block(&nested.block, item, p, replacing || p.is_none())
                        })
                        .collect(),
                )
            }
            other => other.clone(),
        };
        out.insert(name.clone(), value);
    }
    Value::Object(out)
}

/// Paths of `force_new` attributes and blocks whose planned value differs from the prior one.
pub fn replace_paths(
    block: &BlockSchema,
    planned: &Value,
    prior: &Value,
    path: &mut AttrPath,
    out: &mut Vec<AttrPath>,
) {
    for (name, attr) in &block.attributes {
        if !attr.force_new {
            continue;
        }
        let (p, q) = (field(Some(planned), name), field(Some(prior), name));
        let planned_v = p.unwrap_or(&Value::Null);
        let prior_v = q.unwrap_or(&Value::Null);
        // An omitted optional+computed argument keeps the prior value (planned took it over).
        if !matches!(planned_v, Value::Unknown(_)) && !same(planned_v, prior_v) {
            let mut p = path.clone();
            p.push(name.clone());
            out.push(p);
        }
    }
    for (name, nested) in &block.blocks {
        let planned_items = field(Some(planned), name).and_then(|v| v.as_sequence());
        let prior_items = field(Some(prior), name).and_then(|v| v.as_sequence());
        if nested.force_new {
            let a = field(Some(planned), name).cloned().unwrap_or(Value::Null);
            let b = field(Some(prior), name).cloned().unwrap_or(Value::Null);
            if !same(
                &strip_computed(&nested.block, &a),
                &strip_computed(&nested.block, &b),
            ) {
                let mut p = path.clone();
                p.push(name.clone());
                out.push(p);
                continue;
            }
        }
        if let (Some(a), Some(b)) = (planned_items, prior_items) {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                path.push(name.clone());
                path.push(i.to_string());
                replace_paths(&nested.block, x, y, path, out);
                path.pop();
                path.pop();
            }
        }
    }
}

/// The value with computed-only attributes removed (for comparing arguments).
pub fn strip_computed(block: &BlockSchema, v: &Value) -> Value {
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

/// The whole plan of one instance. `volatile` is where the server-maintained computed values
/// live that change on any update (`metadata[0].resource_version`, `generation`), made unknown
/// when the arguments change.
pub fn plan(block: &BlockSchema, prior: Option<&Value>, config: &Value) -> PlanResponse {
    if config.is_null() {
        return PlanResponse {
            planned: Value::Null,
            requires_replace: Vec::new(),
        };
    }
    let prior = prior.filter(|p| !p.is_null());
    let mut planned = plan_block(block, config, prior, false);
    let mut requires_replace = Vec::new();
    if let Some(p) = prior {
        replace_paths(block, &planned, p, &mut Vec::new(), &mut requires_replace);
        if !requires_replace.is_empty() {
            planned = plan_block(block, config, None, true);
        } else if !same(&strip_computed(block, &planned), &strip_computed(block, p)) {
            mark_volatile_unknown(&mut planned);
        }
    }
    PlanResponse {
        planned,
        requires_replace,
    }
}

fn mark_volatile_unknown(planned: &mut Value) {
    let Value::Object(top) = planned else { return };
    if let Some(Value::List(meta)) = top.get_mut("metadata") {
        if let Some(Value::Object(m)) = meta.first_mut() {
            m.insert(
                "resource_version".into(),
                Value::Unknown(skel_value::Type::String),
            );
            m.insert(
                "generation".into(),
                Value::Unknown(skel_value::Type::Number),
            );
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

/// The plan of one typed object or manifest over its `prior` state.
pub(crate) fn plan_object(
    block: &BlockSchema,
    type_name: &str,
    prior: Option<&Value>,
    config: &Value,
) -> PlanResponse {
    let mut response = match prior {
        Some(prior)
            if type_name == "kubernetes_secret" && typed::is_service_account_token(config) =>
        {
            let mut config = config.clone();
            typed::add_controller_data(&mut config, prior);
            plan(block, Some(prior), &config)
        }
        _ => plan(block, prior, config),
    };
    let Some(prior) = prior else {
        return response;
    };
    if response.planned.is_null() {
        return response;
    }
    match type_name {
        "kubernetes_config_map" | "kubernetes_secret"
            if immutable_change(prior, &response.planned) =>
        {
            response.requires_replace.push(vec!["data".into()]);
            response.planned = plan_block(block, config, None, true);
        }
        "kubernetes_service" if response.requires_replace.is_empty() => {
            plan_service_type_change(block, prior, config, &mut response.planned);
        }
        "kubernetes_manifest" => {
            let new = get(&response.planned, "manifest").to_json();
            let old = get(prior, "manifest").to_json();
            let (a, b) = (manifest::identity(&new), manifest::identity(&old));
            let unknown = get(&response.planned, "manifest").has_unknown();
            if !unknown && (a.0 != b.0 || a.1 != b.1 || a.3 != b.3 || (a.2.is_some() && a.2 != b.2))
            {
                response.requires_replace.push(vec!["manifest".into()]);
            }
            if unknown || !same(get(&response.planned, "manifest"), get(prior, "manifest")) {
                if let Value::Object(m) = &mut response.planned {
                    m.insert("object".into(), manifest::unknown_object());
                    if !response.requires_replace.is_empty() {
                        m.insert("id".into(), Value::Unknown(skel_value::Type::String));
                    }
                }
            }
        }
        _ => {}
    }
    response
}

fn immutable_change(prior: &Value, planned: &Value) -> bool {
    get(prior, "immutable").as_bool() == Some(true)
        && ["data", "binary_data", "immutable"]
            .iter()
            .any(|k| !same(get(prior, k), get(planned, k)))
}
