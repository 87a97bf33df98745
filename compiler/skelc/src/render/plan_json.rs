//! The machine-readable plan (`skelc plan --json`), documented in `docs/plan-format.md`.

use serde_json::{json, Map, Value as Json};
use skel_plan_ir::{Action, ChangeSet};
use skel_value::{Marks, Value};

use super::sensitive::{sensitive_as_bool, with_paths};

/// A value as JSON with unknowns and marked (sensitive) parts as `null`; the paths of
/// unknowns and of sensitive parts collected separately.
fn split(
    value: &Value,
    path: &mut Vec<Json>,
    unknown: &mut Vec<Json>,
    sensitive: &mut Vec<Json>,
) -> Json {
    match value {
        Value::Marked(inner, _) => {
            let p = Json::Array(path.clone());
            if !sensitive.contains(&p) {
                sensitive.push(p);
            }
            // What is unknown inside is listed too; the value itself is not shown.
            let _ = split(inner, path, unknown, &mut Vec::new());
            Json::Null
        }
        Value::Unknown(_) => {
            unknown.push(Json::Array(path.clone()));
            Json::Null
        }
        Value::List(v) | Value::Set(v) | Value::Tuple(v) => Json::Array(
            v.iter()
                .enumerate()
                .map(|(i, e)| {
                    path.push(json!(i));
                    let out = split(e, path, unknown, sensitive);
                    path.pop();
                    out
                })
                .collect(),
        ),
        Value::Map(m) | Value::Object(m) => {
            let mut out = Map::new();
            for (k, e) in m {
                path.push(json!(k));
                out.insert(k.clone(), split(e, path, unknown, sensitive));
                path.pop();
            }
            Json::Object(out)
        }
        other => other.to_json(),
    }
}

pub fn to_json(changes: &ChangeSet) -> Json {
    let resource_changes: Vec<Json> = changes
        .changes
        .iter()
        .map(|c| {
            // Both sides hidden where either is sensitive (see render::plan).
            let paths: Vec<&Vec<String>> = c
                .sensitive_paths
                .iter()
                .chain(&c.prior_sensitive_paths)
                .collect();
            let mark = |v: Value| v.mark_paths(paths.iter().copied(), Marks::SENSITIVE);
            // A no-op keeps no copy of its prior attributes: they are its planned value.
            let before = match (&c.prior, c.action) {
                (None, skel_plan_ir::Action::NoOp) => c.planned.clone().map(mark),
                (prior, _) => prior.as_ref().map(|p| with_paths(p, paths.iter().copied())),
            };
            let after = c.planned.clone().map(mark);
            let mut unknown = Vec::new();
            let mut sensitive = Vec::new();
            let mut strip = |v: &Option<Value>| {
                v.as_ref()
                    .map(|v| split(v, &mut Vec::new(), &mut unknown, &mut sensitive))
            };
            let before_json = strip(&before);
            let mut after_unknown = Vec::new();
            let after_json = after
                .as_ref()
                .map(|v| split(v, &mut Vec::new(), &mut after_unknown, &mut sensitive));
            let shape = |v: &Option<Value>| v.as_ref().map_or(json!(false), sensitive_as_bool);
            json!({
                "address": c.addr.to_string(),
                "module": c.addr.resource.module.to_string(),
                "mode": if c.addr.resource.mode == skel_plan_ir::ResourceMode::Data { "data" } else { "managed" },
                "type": c.addr.resource.type_name,
                "name": c.addr.resource.name,
                "action": c.action,
                "reason": c.reason,
                "provider": c.provider,
                "before": before_json,
                "after": after_json,
                "after_unknown": after_unknown,
                "sensitive": sensitive,
                "before_sensitive": shape(&before),
                "after_sensitive": shape(&after),
                "requires_replace": c.requires_replace,
                "deposed": c.deposed,
                "depends_on": c.dependencies.iter().map(ToString::to_string).collect::<Vec<_>>(),
                "previous_address": c.moved_from.as_ref().map(ToString::to_string),
                "importing": c.imported_from.as_ref().map(|id| json!({ "id": id })),
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
                "before_sensitive": o.sensitive,
                "after_sensitive": o.sensitive,
            })
        })
        .collect();
    json!({
        "format_version": "1.0",
        "state": { "serial": changes.state_serial, "lineage": changes.state_lineage },
        "destroy": changes.destroy,
        "resource_changes": resource_changes,
        "output_changes": outputs,
        "forgotten": changes.forgotten.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "summary": { "add": add, "change": change, "destroy": destroy, "read": changes.changes.iter().filter(|c| c.action == Action::Read).count() },
    })
}
