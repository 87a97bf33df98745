//! Server-side apply and `managedFields`.
//!
//! Ownership is recorded per (manager, operation) at leaf granularity: a path of object keys
//! down to a value that is not an object (lists are atomic leaves, as are empty objects). It is
//! stored in `metadata.managedFields` in the real `FieldsV1` shape (`{"f:spec":{"f:replicas":{}}}`).
//! An apply conflicts when it sets a different value for a path another manager owns (409 with
//! the fields and managers, unless `force`, which takes the fields over); a path the applying
//! manager owned before and no longer sends is removed unless another manager owns it. Updates
//! (create, PUT, merge patch) give the updating manager every field they change and take those
//! fields away from the others.

use std::collections::BTreeSet;

use serde_json::{json, Map, Value};

use crate::store::{now, ApiError, Kind};

/// A path of object keys.
pub type FieldPath = Vec<String>;

/// One `managedFields` entry.
#[derive(Clone, Debug)]
struct Manager {
    name: String,
    operation: String,
    api_version: String,
    time: String,
    paths: BTreeSet<FieldPath>,
}

/// Whether the path is not tracked (identity and server-owned fields).
fn ignored(path: &[String]) -> bool {
    match path.first().map(String::as_str) {
        Some("apiVersion" | "kind" | "status") => true,
        Some("metadata") => matches!(
            path.get(1).map(String::as_str),
            Some(
                "name"
                    | "namespace"
                    | "resourceVersion"
                    | "managedFields"
                    | "uid"
                    | "creationTimestamp"
                    | "generation"
                    | "deletionTimestamp"
            )
        ),
        _ => false,
    }
}

/// The leaf paths of an object, without the untracked ones.
pub fn leaf_paths(value: &Value) -> BTreeSet<FieldPath> {
    fn walk(v: &Value, prefix: &mut FieldPath, out: &mut BTreeSet<FieldPath>) {
        match v {
            Value::Object(m) if !m.is_empty() => {
                for (k, child) in m {
                    prefix.push(k.clone());
                    if !ignored(prefix) {
                        walk(child, prefix, out);
                    }
                    prefix.pop();
                }
            }
            _ if !prefix.is_empty() => {
                out.insert(prefix.clone());
            }
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    walk(value, &mut Vec::new(), &mut out);
    out
}

/// The value at `path`.
pub fn get_at<'a>(value: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(value, |v, k| v.as_object()?.get(k))
}

fn set_at(value: &mut Value, path: &[String], new: Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut v = value;
    for k in parents {
        if !v.is_object() {
            *v = Value::Object(Map::new());
        }
        let Some(m) = v.as_object_mut() else { return };
        v = m
            .entry(k.clone())
            .or_insert_with(|| Value::Object(Map::new()));
    }
    if !v.is_object() {
        *v = Value::Object(Map::new());
    }
    if let Some(m) = v.as_object_mut() {
        m.insert(last.clone(), new);
    }
}

/// Removes the value at `path` and then any parent object left empty (below the top level).
fn remove_at(value: &mut Value, path: &[String]) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut v = &mut *value;
    for k in parents {
        match v.as_object_mut().and_then(|m| m.get_mut(k)) {
            Some(child) => v = child,
            None => return,
        }
    }
    if let Some(m) = v.as_object_mut() {
        m.remove(last);
        if m.is_empty() && parents.len() > 1 {
            remove_at(value, parents);
        }
    }
}

fn related(a: &[String], b: &[String]) -> bool {
    a.starts_with(b) || b.starts_with(a)
}

/// `.spec.replicas`.
pub fn dotted(path: &[String]) -> String {
    path.iter().map(|k| format!(".{k}")).collect()
}

/// The `FieldsV1` tree of a set of paths.
pub fn fields_v1(paths: &BTreeSet<FieldPath>) -> Value {
    let mut root = json!({});
    for p in paths {
        let keyed: FieldPath = p.iter().map(|k| format!("f:{k}")).collect();
        set_at(&mut root, &keyed, json!({}));
    }
    root
}

/// The paths of a `FieldsV1` tree; list-item keys (`k:`, `v:`, `i:`) and `.` make the list or
/// object above them a leaf.
pub fn parse_fields_v1(fields: &Value) -> BTreeSet<FieldPath> {
    fn walk(v: &Value, prefix: &mut FieldPath, out: &mut BTreeSet<FieldPath>) {
        let Some(m) = v.as_object().filter(|m| !m.is_empty()) else {
            out.insert(prefix.clone());
            return;
        };
        for (k, child) in m {
            match k.strip_prefix("f:") {
                Some(name) => {
                    prefix.push(name.to_string());
                    walk(child, prefix, out);
                    prefix.pop();
                }
                None if !prefix.is_empty() => {
                    out.insert(prefix.clone());
                }
                None => {}
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(fields, &mut Vec::new(), &mut out);
    out
}

fn managers(obj: &Value) -> Vec<Manager> {
    let Some(entries) = obj["metadata"]["managedFields"].as_array() else {
        return Vec::new();
    };
    entries
        .iter()
        .map(|e| Manager {
            name: e["manager"].as_str().unwrap_or("").to_string(),
            operation: e["operation"].as_str().unwrap_or("Update").to_string(),
            api_version: e["apiVersion"].as_str().unwrap_or("").to_string(),
            time: e["time"].as_str().unwrap_or("").to_string(),
            paths: parse_fields_v1(&e["fieldsV1"]),
        })
        .collect()
}

fn write_managers(obj: &mut Value, managers: Vec<Manager>) {
    let entries: Vec<Value> = managers
        .into_iter()
        .filter(|m| !m.paths.is_empty())
        .map(|m| {
            json!({"manager": m.name, "operation": m.operation, "apiVersion": m.api_version,
                "time": m.time, "fieldsType": "FieldsV1", "fieldsV1": fields_v1(&m.paths)})
        })
        .collect();
    if let Some(meta) = obj["metadata"].as_object_mut() {
        if entries.is_empty() {
            meta.remove("managedFields");
        } else {
            meta.insert("managedFields".into(), Value::Array(entries));
        }
    } else if !entries.is_empty() {
        obj["metadata"] = json!({"managedFields": entries});
    }
}

fn entry<'a>(managers: &'a mut Vec<Manager>, name: &str, op: &str, av: &str) -> &'a mut Manager {
    let i = match managers
        .iter()
        .position(|m| m.name == name && m.operation == op)
    {
        Some(i) => i,
        None => {
            managers.push(Manager {
                name: name.into(),
                operation: op.into(),
                api_version: av.into(),
                time: now(),
                paths: BTreeSet::new(),
            });
            managers.len() - 1
        }
    };
    &mut managers[i]
}

/// Records an update (create, PUT, merge patch) by `manager`: it owns every field it changed,
/// and nobody else does any more. `new` carries the old `managedFields`.
pub fn record_update(old: Option<&Value>, new: &mut Value, manager: &str, api_version: &str) {
    let mut all = leaf_paths(new);
    let changed: BTreeSet<FieldPath> = match old {
        None => all,
        Some(old) => {
            all.extend(leaf_paths(old));
            all.into_iter()
                .filter(|p| get_at(old, p) != get_at(new, p))
                .collect()
        }
    };
    if changed.is_empty() {
        return;
    }
    let mut mgrs = managers(new);
    for m in &mut mgrs {
        m.paths.retain(|q| !changed.iter().any(|c| related(c, q)));
    }
    let mine = entry(&mut mgrs, manager, "Update", api_version);
    mine.time = now();
    let present: Vec<FieldPath> = changed
        .into_iter()
        .filter(|p| get_at(new, p).is_some())
        .collect();
    mine.paths.extend(present);
    write_managers(new, mgrs);
}

/// Server-side apply of `intent` by `manager`: the new object, or a 409 conflict.
pub fn apply(
    kind: &Kind,
    old: Option<&Value>,
    intent: Value,
    manager: &str,
    force: bool,
) -> Result<Value, ApiError> {
    let name = intent["metadata"]["name"].as_str().unwrap_or("");
    if intent["kind"].as_str().is_some_and(|k| k != kind.kind) {
        return Err(ApiError::new(
            400,
            "BadRequest",
            format!(
                "the kind of the body ({}) does not match the URL ({})",
                intent["kind"], kind.kind
            ),
        ));
    }
    let av = kind.api_version();
    let new_paths = leaf_paths(&intent);
    let (mut obj, mut mgrs) = match old {
        None => (json!({"metadata": {}}), Vec::new()),
        Some(old) => (old.clone(), managers(old)),
    };
    let mut conflicts: Vec<(String, FieldPath)> = Vec::new();
    if let Some(old) = old {
        for m in mgrs
            .iter()
            .filter(|m| !(m.name == manager && m.operation == "Apply"))
        {
            for q in &m.paths {
                for p in new_paths.iter().filter(|p| related(p, q)) {
                    let longer = if p.len() >= q.len() { p } else { q };
                    if get_at(old, longer) != get_at(&intent, longer) {
                        conflicts.push((m.name.clone(), q.clone()));
                        break;
                    }
                }
            }
        }
    }
    conflicts.dedup();
    if !conflicts.is_empty() {
        if !force {
            return Err(conflict_error(kind, name, &conflicts));
        }
        for m in &mut mgrs {
            m.paths
                .retain(|q| !conflicts.iter().any(|(n, c)| n == &m.name && c == q));
        }
    }
    let previous = mgrs
        .iter()
        .find(|m| m.name == manager && m.operation == "Apply")
        .map(|m| m.paths.clone())
        .unwrap_or_default();
    for r in previous.difference(&new_paths) {
        let shared = mgrs
            .iter()
            .filter(|m| !(m.name == manager && m.operation == "Apply"))
            .any(|m| m.paths.iter().any(|q| related(q, r)));
        if !shared {
            remove_at(&mut obj, r);
        }
    }
    for p in &new_paths {
        if let Some(v) = get_at(&intent, p) {
            set_at(&mut obj, p, v.clone());
        }
    }
    let mine = entry(&mut mgrs, manager, "Apply", &av);
    if mine.paths != new_paths {
        mine.time = now();
        mine.paths = new_paths;
    }
    write_managers(&mut obj, mgrs);
    Ok(obj)
}

fn conflict_error(kind: &Kind, name: &str, conflicts: &[(String, FieldPath)]) -> ApiError {
    let av = kind.api_version();
    let n = conflicts.len();
    let mut message = format!(
        "Apply failed with {n} conflict{}: ",
        if n == 1 { "" } else { "s" }
    );
    let mut by_manager: Vec<(&str, Vec<String>)> = Vec::new();
    for (m, p) in conflicts {
        match by_manager.iter_mut().find(|(name, _)| name == m) {
            Some((_, fields)) => fields.push(dotted(p)),
            None => by_manager.push((m, vec![dotted(p)])),
        }
    }
    let parts: Vec<String> = by_manager
        .iter()
        .map(|(m, fields)| {
            if fields.len() == 1 {
                format!("conflict with \"{m}\" using {av}: {}", fields[0])
            } else {
                format!(
                    "conflicts with \"{m}\" using {av}:\n- {}",
                    fields.join("\n- ")
                )
            }
        })
        .collect();
    message.push_str(&parts.join("\n"));
    let causes: Vec<Value> = conflicts
        .iter()
        .map(|(m, p)| {
            json!({"reason": "FieldManagerConflict",
                "message": format!("conflict with \"{m}\" using {av}"), "field": dotted(p)})
        })
        .collect();
    ApiError::new(409, "Conflict", message).with_details(
        json!({"name": name, "group": kind.group, "kind": kind.plural, "causes": causes}),
    )
}
