//! The machine-readable plan (`skelc plan --json`), documented in `docs/plan-format.md`.

use serde_json::{json, Map, Value as Json};
use skel_plan_ir::{Action, ChangeSet};
use skel_value::Value;

use super::redact::Redactor;

/// A value as JSON with unknowns as `null`, the paths of unknowns collected separately, and
/// sensitive values replaced by `null` (their paths listed in `sensitive`).
fn split(
    value: &Value,
    path: &mut Vec<Json>,
    unknown: &mut Vec<Json>,
    redactor: &Redactor,
    sensitive: &mut Vec<Json>,
) -> Json {
    match value {
        Value::Unknown(_) => {
            unknown.push(Json::Array(path.clone()));
            Json::Null
        }
        Value::String(s) if redactor.is_secret(s) => {
            let p = Json::Array(path.clone());
            if !sensitive.contains(&p) {
                sensitive.push(p);
            }
            Json::Null
        }
        Value::List(v) | Value::Set(v) | Value::Tuple(v) => Json::Array(
            v.iter()
                .enumerate()
                .map(|(i, e)| {
                    path.push(json!(i));
                    let out = split(e, path, unknown, redactor, sensitive);
                    path.pop();
                    out
                })
                .collect(),
        ),
        Value::Map(m) | Value::Object(m) => {
            let mut out = Map::new();
            for (k, e) in m {
                path.push(json!(k));
                out.insert(k.clone(), split(e, path, unknown, redactor, sensitive));
                path.pop();
            }
            Json::Object(out)
        }
        other => other.to_json(),
    }
}

pub fn to_json(changes: &ChangeSet, redactor: &Redactor) -> Json {
    let resource_changes: Vec<Json> = changes
        .changes
        .iter()
        .map(|c| {
            let mut unknown = Vec::new();
            let mut sensitive: Vec<Json> = c.sensitive_paths.iter().map(|p| json!(p)).collect();
            let mut strip = |v: Option<Value>| {
                v.map(|v| {
                    let mut j = split(&v, &mut Vec::new(), &mut unknown, redactor, &mut sensitive);
                    for p in &c.sensitive_paths {
                        if let (Some(first), Json::Object(m)) = (p.first(), &mut j) {
                            m.insert(first.clone(), Json::Null);
                        }
                    }
                    j
                })
            };
            // A no-op keeps no copy of its prior attributes: they are its planned value.
            let before = match (&c.prior, c.action) {
                (None, skel_plan_ir::Action::NoOp) => strip(c.planned.clone()),
                (prior, _) => strip(prior.as_ref().map(Value::from_json)),
            };
            let after = strip(c.planned.clone());
            json!({
                "address": c.addr.to_string(),
                "module": c.addr.resource.module.to_string(),
                "mode": if c.addr.resource.mode == skel_plan_ir::ResourceMode::Data { "data" } else { "managed" },
                "type": c.addr.resource.type_name,
                "name": c.addr.resource.name,
                "action": c.action,
                "reason": c.reason,
                "provider": c.provider,
                "before": before,
                "after": after,
                "after_unknown": unknown,
                "sensitive": sensitive,
                "requires_replace": c.requires_replace,
                "deposed": c.deposed,
                "depends_on": c.dependencies.iter().map(ToString::to_string).collect::<Vec<_>>(),
            })
        })
        .collect();
    let (add, change, destroy) = changes.summary();
    let outputs: Vec<Json> = changes
        .outputs
        .iter()
        .map(|o| {
            let after = o.after.as_ref();
            json!({
                "name": o.name,
                "sensitive": o.sensitive,
                "before": if o.sensitive { Json::Null } else { o.before.clone().unwrap_or(Json::Null) },
                "after": if o.sensitive { Json::Null } else { after.map(Value::to_json).unwrap_or(Json::Null) },
                "after_unknown": after.is_some_and(|v| !v.is_known()),
            })
        })
        .collect();
    json!({
        "format_version": "1.0",
        "state": { "serial": changes.state_serial, "lineage": changes.state_lineage },
        "destroy": changes.destroy,
        "resource_changes": resource_changes,
        "output_changes": outputs,
        "summary": { "add": add, "change": change, "destroy": destroy, "read": changes.changes.iter().filter(|c| c.action == Action::Read).count() },
    })
}
