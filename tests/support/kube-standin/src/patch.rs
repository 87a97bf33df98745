//! The patch types of `PATCH` other than apply: strategic merge patch (by the schema's
//! `x-kubernetes-patch-strategy` and `x-kubernetes-patch-merge-key`, with the `$patch`,
//! `$retainKeys`, `$setElementOrder/…` and `$deleteFromPrimitiveList/…` directives), JSON patch
//! (RFC 6902) and JSON merge patch (RFC 7386), with the errors the API server answers.

use serde_json::{Map, Value};

use crate::store::ApiError;
use crate::typed::Ty;

/// The patch types the API server accepts for a kind, in the order its 415 lists them.
pub fn accepted_types(typed: bool) -> Vec<&'static str> {
    let mut types = vec![
        "application/json-patch+json",
        "application/merge-patch+json",
    ];
    if typed {
        types.push("application/strategic-merge-patch+json");
    }
    types.push("application/apply-patch+yaml");
    types
}

/// 415 for a patch type the kind does not take.
pub fn unsupported(typed: bool) -> ApiError {
    ApiError::new(
        415,
        "UnsupportedMediaType",
        format!(
            "the body of the request was in an unknown format - accepted media types include: {}",
            accepted_types(typed).join(", ")
        ),
    )
}

/// The API server's `PatchOptions` validation: an apply names its `fieldManager`; only an apply
/// may `force`. 422 as `PatchOptions.meta.k8s.io "" is invalid`.
pub fn validate_options(
    apply: bool,
    query: &std::collections::HashMap<String, String>,
) -> Result<(), ApiError> {
    let (field, reason, message) = if apply {
        if query.get("fieldManager").is_some_and(|m| !m.is_empty()) {
            return Ok(());
        }
        (
            "fieldManager",
            "FieldValueRequired",
            "Required value: is required for apply patch",
        )
    } else {
        if !query.contains_key("force") {
            return Ok(());
        }
        (
            "force",
            "FieldValueForbidden",
            "Forbidden: may not be specified for non-apply patch",
        )
    };
    Err(ApiError::new(
        422,
        "Invalid",
        format!("PatchOptions.meta.k8s.io \"\" is invalid: {field}: {message}"),
    )
    .with_details(
        serde_json::json!({"group": "meta.k8s.io", "kind": "PatchOptions",
        "causes": [{"reason": reason, "message": message, "field": field}]}),
    ))
}

/// RFC 7386 JSON merge patch.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(t) = target {
        for (k, v) in patch {
            if v.is_null() {
                t.shift_remove(k);
            } else {
                merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
    }
}

const SET_ORDER: &str = "$setElementOrder/";
const DELETE_PRIMITIVE: &str = "$deleteFromPrimitiveList/";

/// A malformed strategic merge patch: 400 BadRequest, as the API server answers the
/// patch library's format errors.
fn bad(message: impl Into<String>) -> ApiError {
    ApiError::new(400, "BadRequest", message)
}

/// Any other strategic merge patch failure: the API server passes the library's error on as a
/// plain 500 without a reason.
fn failed(message: impl Into<String>) -> ApiError {
    ApiError::new(500, "", message)
}

/// A value as Go's `%v` prints it (`map[image:x name:web]`), for the patch library's messages.
fn go_format(v: &Value) -> String {
    match v {
        Value::Null => "<nil>".into(),
        Value::String(s) => s.clone(),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(go_format).collect::<Vec<_>>().join(" ")
        ),
        Value::Object(m) => {
            let mut entries: Vec<(&String, &Value)> = m.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            let parts: Vec<String> = entries
                .iter()
                .map(|(k, v)| format!("{k}:{}", go_format(v)))
                .collect();
            format!("map[{}]", parts.join(" "))
        }
        other => other.to_string(),
    }
}

/// Applies a strategic merge patch to `original` of type `ty`.
pub fn strategic_merge(original: &Value, patch: &Value, ty: Ty) -> Result<Value, ApiError> {
    match (original, patch) {
        (Value::Object(o), Value::Object(p)) => Ok(merge_map(o, p, ty)?
            .map(Value::Object)
            .unwrap_or_else(|| Value::Object(Map::new()))),
        (_, Value::Object(p)) => Ok(merge_map(&Map::new(), p, ty)?
            .map(Value::Object)
            .unwrap_or_else(|| Value::Object(Map::new()))),
        _ => Err(bad("the patch is not a JSON object")),
    }
}

/// Merges a patch map into an original map; `None` when the patch deletes the map.
fn merge_map(
    original: &Map<String, Value>,
    patch: &Map<String, Value>,
    ty: Ty,
) -> Result<Option<Map<String, Value>>, ApiError> {
    match patch.get("$patch").map(|d| d.as_str()) {
        None | Some(Some("merge")) => {}
        Some(Some("replace")) => {
            let mut out = Map::new();
            for (k, v) in patch.iter().filter(|(k, _)| *k != "$patch") {
                out.insert(k.clone(), clear_directives(v));
            }
            return Ok(Some(out));
        }
        Some(Some("delete")) => return Ok(None),
        Some(_) => {
            return Err(failed(format!(
                "unknown patch type: {} in map: {}",
                go_format(&patch["$patch"]),
                go_format(&Value::Object(patch.clone()))
            )))
        }
    }
    let mut out = original.clone();
    if let Some(retain) = patch.get("$retainKeys") {
        let keys: Vec<&str> = retain
            .as_array()
            .ok_or_else(|| bad("invalid patch format of retainKeys"))?
            .iter()
            .filter_map(Value::as_str)
            .collect();
        // Every field the patch sets must be listed.
        if patch
            .keys()
            .any(|k| !k.starts_with('$') && !keys.contains(&k.as_str()))
        {
            return Err(unprocessable("patch content doesn't match retainKeys list"));
        }
        out.retain(|k, _| keys.contains(&k.as_str()));
    }
    for (k, v) in patch {
        let Some(field) = k.strip_prefix(DELETE_PRIMITIVE) else {
            continue;
        };
        let gone = v
            .as_array()
            .ok_or_else(|| bad("invalid patch format of primitive list"))?;
        if let Some(Value::Array(items)) = out.get_mut(field) {
            items.retain(|i| !gone.contains(i));
        }
    }
    for (k, v) in patch {
        if k == "$patch"
            || k == "$retainKeys"
            || k.starts_with(SET_ORDER)
            || k.starts_with(DELETE_PRIMITIVE)
        {
            continue;
        }
        let fty = ty.field(k);
        if v.is_null() {
            out.shift_remove(k);
            continue;
        }
        let merged = match (out.get(k), v) {
            (Some(Value::Object(o)), Value::Object(p)) => merge_map(o, p, fty)?.map(Value::Object),
            (None | Some(Value::Null), Value::Object(p)) => {
                merge_map(&Map::new(), p, fty)?.map(Value::Object)
            }
            (Some(Value::Array(o)), Value::Array(p)) => Some(Value::Array(merge_list(o, p, fty)?)),
            (None | Some(Value::Null), Value::Array(p)) => {
                Some(Value::Array(merge_list(&[], p, fty)?))
            }
            (_, other) => Some(clear_directives(other)),
        };
        match merged {
            Some(m) => {
                out.insert(k.clone(), m);
            }
            None => {
                out.shift_remove(k);
            }
        }
    }
    for (k, order) in patch {
        let Some(field) = k.strip_prefix(SET_ORDER) else {
            continue;
        };
        let order = order
            .as_array()
            .ok_or_else(|| bad("invalid patch format of setElementOrder list"))?;
        let key = ty
            .field(field)
            .node()
            .and_then(|n| n.patch_strategy().merge_key);
        let live: Vec<Value> = original
            .get(field)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if let Some(Value::Array(items)) = out.get_mut(field) {
            sort_by_order(items, order, &live, key.as_deref());
        }
    }
    Ok(Some(out))
}

/// Orders `items` as `$setElementOrder` lists them, as the API server's
/// `normalizeElementOrder` does: the items it names in its order, the others (server-only) in
/// their live order, the two interleaved by their positions in the live list.
fn sort_by_order(items: &mut Vec<Value>, order: &[Value], live: &[Value], key: Option<&str>) {
    let id = |v: &Value| -> Value {
        match key {
            Some(k) => v.get(k).cloned().unwrap_or(Value::Null),
            None => v.clone(),
        }
    };
    let position = |list: &[Value], v: &Value| list.iter().position(|x| id(x) == id(v));
    let (mut named, mut server_only): (Vec<Value>, Vec<Value>) = std::mem::take(items)
        .into_iter()
        .partition(|v| position(order, v).is_some());
    named.sort_by_key(|v| position(order, v));
    server_only.sort_by_key(|v| position(live, v).unwrap_or(usize::MAX));
    let (mut left, mut right) = (
        server_only.into_iter().peekable(),
        named.into_iter().peekable(),
    );
    loop {
        let take_left = match (left.peek(), right.peek()) {
            (None, None) => break,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some(l), Some(r)) => match (position(live, l), position(live, r)) {
                (Some(li), Some(ri)) => li < ri,
                _ => false,
            },
        };
        let next = if take_left { left.next() } else { right.next() };
        items.extend(next);
    }
}

fn clear_directives(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| !k.starts_with('$'))
                .map(|(k, v)| (k.clone(), clear_directives(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .filter(|i| i.get("$patch").is_none())
                .map(clear_directives)
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Merges a patch list into an original list by the field's patch strategy.
fn merge_list(original: &[Value], patch: &[Value], ty: Ty) -> Result<Vec<Value>, ApiError> {
    let strategy = ty.node().map(|n| n.patch_strategy()).unwrap_or_default();
    // `[{"$patch": "replace"}, ...]` replaces the list whatever the strategy.
    if patch
        .iter()
        .any(|i| i.get("$patch").and_then(Value::as_str) == Some("replace"))
    {
        return Ok(patch
            .iter()
            .filter(|i| i.get("$patch").is_none())
            .map(clear_directives)
            .collect());
    }
    if !strategy.merge {
        return Ok(patch.iter().map(clear_directives).collect());
    }
    let ity = ty.items();
    let Some(key) = strategy.merge_key else {
        // A list of scalars merged as a set.
        let mut out = original.to_vec();
        for p in patch {
            if !out.contains(p) {
                out.push(p.clone());
            }
        }
        return Ok(out);
    };
    let mut out = original.to_vec();
    for p in patch {
        let Some(pm) = p.as_object() else {
            return Err(bad("invalid JSON document"));
        };
        let Some(kv) = pm.get(&key) else {
            return Err(failed(format!(
                "map: {} does not contain declared merge key: {key}",
                go_format(p)
            )));
        };
        let found = out.iter().position(|o| o.get(&key) == Some(kv));
        match (pm.get("$patch").and_then(Value::as_str), found) {
            (Some("delete"), Some(i)) => {
                out.remove(i);
            }
            (Some("delete"), None) => {}
            (_, Some(i)) => {
                let orig = out[i].as_object().cloned().unwrap_or_default();
                match merge_map(&orig, pm, ity)? {
                    Some(m) => out[i] = Value::Object(m),
                    None => {
                        out.remove(i);
                    }
                }
            }
            (_, None) => {
                if let Some(m) = merge_map(&Map::new(), pm, ity)? {
                    out.push(Value::Object(m));
                }
            }
        }
    }
    Ok(out)
}

/// 422 `Invalid` as the API server's generic server response wraps a patch library message.
fn unprocessable(message: &str) -> ApiError {
    json_patch_failed(message.to_string())
}

/// The error a failed JSON patch gets: 422, as the API server wraps the patch library's message.
fn json_patch_failed(message: String) -> ApiError {
    ApiError::new(
        422,
        "Invalid",
        "the server rejected our request due to an error in our request",
    )
    .with_details(serde_json::json!({
        "causes": [{"reason": "UnexpectedServerResponse", "message": message}],
    }))
}

fn pointer(path: &str) -> Result<Vec<String>, String> {
    if path.is_empty() {
        return Ok(Vec::new());
    }
    let Some(rest) = path.strip_prefix('/') else {
        return Err(format!(
            "JSON pointer must be empty or start with a \"/\": {path}"
        ));
    };
    Ok(rest
        .split('/')
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect())
}

fn parent_mut<'a>(doc: &'a mut Value, path: &[String]) -> Option<&'a mut Value> {
    let mut v = doc;
    for k in path {
        v = match v {
            Value::Object(m) => m.get_mut(k)?,
            Value::Array(a) => a.get_mut(k.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(v)
}

fn get<'a>(doc: &'a Value, path: &[String]) -> Option<&'a Value> {
    let mut v = doc;
    for k in path {
        v = match v {
            Value::Object(m) => m.get(k)?,
            Value::Array(a) => a.get(k.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(v)
}

fn add(doc: &mut Value, path: &str, value: Value) -> Result<(), String> {
    let p = pointer(path)?;
    let Some((last, parents)) = p.split_last() else {
        *doc = value;
        return Ok(());
    };
    let missing =
        || format!("add operation does not apply: doc is missing path: \"{path}\": missing value");
    match parent_mut(doc, parents).ok_or_else(missing)? {
        Value::Object(m) => {
            m.insert(last.clone(), value);
            Ok(())
        }
        Value::Array(a) => {
            let i = if last == "-" {
                a.len()
            } else {
                last.parse::<usize>().map_err(|_| missing())?
            };
            if i > a.len() {
                return Err(format!(
                    "Unable to access invalid index: {i}: invalid index referenced"
                ));
            }
            a.insert(i, value);
            Ok(())
        }
        _ => Err(missing()),
    }
}

fn remove(doc: &mut Value, path: &str, op: &str) -> Result<Value, String> {
    let p = pointer(path)?;
    let missing =
        || format!("{op} operation does not apply: doc is missing path: \"{path}\": missing value");
    let Some((last, parents)) = p.split_last() else {
        return Err(missing());
    };
    match parent_mut(doc, parents).ok_or_else(missing)? {
        Value::Object(m) => m.shift_remove(last).ok_or_else(missing),
        Value::Array(a) => {
            let i = last.parse::<usize>().map_err(|_| missing())?;
            if i >= a.len() {
                return Err(format!(
                    "Unable to access invalid index: {i}: invalid index referenced"
                ));
            }
            Ok(a.remove(i))
        }
        _ => Err(missing()),
    }
}

/// Applies an RFC 6902 JSON patch; a malformed patch is 400, a failing operation 422.
pub fn json_patch(doc: &Value, patch: &Value) -> Result<Value, ApiError> {
    let Some(ops) = patch.as_array() else {
        return Err(bad(
            "json: cannot unmarshal object into Go value of type jsonpatch.Patch",
        ));
    };
    let mut doc = doc.clone();
    for op in ops {
        let kind = op["op"].as_str().unwrap_or("");
        let path = op["path"].as_str().unwrap_or("");
        let result = match kind {
            "add" => add(&mut doc, path, op["value"].clone()),
            "remove" => remove(&mut doc, path, "remove").map(|_| ()),
            "replace" => {
                let p = pointer(path).map_err(json_patch_failed)?;
                match parent_mut(&mut doc, &p) {
                    Some(v) if !p.is_empty() => {
                        *v = op["value"].clone();
                        Ok(())
                    }
                    _ => Err(format!(
                        "replace operation does not apply: doc is missing key: {path}: missing value"
                    )),
                }
            }
            "move" | "copy" => {
                let from = op["from"].as_str().unwrap_or("");
                let source = pointer(from)
                    .ok()
                    .and_then(|f| get(&doc, &f).cloned())
                    .ok_or_else(|| {
                        format!("{kind} operation does not apply: doc is missing from path: {from}: missing value")
                    });
                source.and_then(|v| {
                    if kind == "move" {
                        remove(&mut doc, from, "move")?;
                    }
                    add(&mut doc, path, v)
                })
            }
            "test" => {
                let p = pointer(path).map_err(json_patch_failed)?;
                if get(&doc, &p) == Some(&op["value"])
                    || (get(&doc, &p).is_none() && op["value"].is_null())
                {
                    Ok(())
                } else {
                    Err(format!("testing value {path} failed: test failed"))
                }
            }
            other => Err(format!("Unexpected kind: {other}")),
        };
        result.map_err(json_patch_failed)?;
    }
    Ok(doc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod_spec() -> Ty<'static> {
        Ty::of_kind("apps", "v1", "Deployment")
            .field("spec")
            .field("template")
            .field("spec")
    }

    #[test]
    fn containers_merge_by_name_and_args_are_replaced() {
        let orig = json!({"containers": [{"name": "a", "image": "1", "args": ["x"]}, {"name": "b", "image": "1"}]});
        let patch = json!({"containers": [{"name": "a", "image": "2", "args": ["y"]}, {"name": "c", "image": "3"}]});
        let out = strategic_merge(&orig, &patch, pod_spec()).unwrap();
        assert_eq!(
            out,
            json!({"containers": [{"name": "a", "image": "2", "args": ["y"]}, {"name": "b", "image": "1"},
                {"name": "c", "image": "3"}]})
        );
    }

    #[test]
    fn patch_directives_delete_replace_and_order() {
        let orig = json!({"containers": [{"name": "a", "image": "1"}, {"name": "b", "image": "1",
            "env": [{"name": "X", "value": "1"}, {"name": "Y", "value": "2"}]}],
            "nodeSelector": {"k": "v", "z": "w"}});
        let patch = json!({
            "$setElementOrder/containers": [{"name": "b"}, {"name": "a"}],
            "containers": [{"name": "a", "$patch": "delete"},
                {"name": "b", "env": [{"name": "X", "$patch": "delete"}, {"name": "Z", "value": "3"}]}],
            "nodeSelector": {"$patch": "replace", "only": "this"},
        });
        let out = strategic_merge(&orig, &patch, pod_spec()).unwrap();
        assert_eq!(
            out,
            json!({"containers": [{"name": "b", "image": "1",
                "env": [{"name": "Y", "value": "2"}, {"name": "Z", "value": "3"}]}],
                "nodeSelector": {"only": "this"}})
        );
        let replaced = strategic_merge(
            &orig,
            &json!({"containers": [{"$patch": "replace"}, {"name": "n", "image": "9"}]}),
            pod_spec(),
        )
        .unwrap();
        assert_eq!(replaced["containers"], json!([{"name": "n", "image": "9"}]));
        let ordered = strategic_merge(
            &orig,
            &json!({"$setElementOrder/containers": [{"name": "b"}, {"name": "a"}]}),
            pod_spec(),
        )
        .unwrap();
        assert_eq!(ordered["containers"][0]["name"], "b");
        // Items the order does not name keep their live place among the named ones.
        let live = json!({"containers": [{"name": "a"}, {"name": "s"}, {"name": "b"}]});
        let out = strategic_merge(
            &live,
            &json!({"$setElementOrder/containers": [{"name": "a"}, {"name": "b"}, {"name": "n"}],
                "containers": [{"name": "n"}]}),
            pod_spec(),
        )
        .unwrap();
        let names: Vec<&str> = out["containers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["a", "s", "b", "n"]);
        let deleted = strategic_merge(
            &orig,
            &json!({"nodeSelector": {"$patch": "delete"}}),
            pod_spec(),
        )
        .unwrap();
        assert!(deleted.get("nodeSelector").is_none());
    }

    #[test]
    fn retain_keys_null_and_primitive_list_directives() {
        let dep = Ty::of_kind("apps", "v1", "Deployment").field("spec");
        let orig = json!({"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}, "replicas": 3});
        let patch =
            json!({"strategy": {"$retainKeys": ["type"], "type": "Recreate"}, "replicas": null});
        let out = strategic_merge(&orig, &patch, dep).unwrap();
        assert_eq!(out, json!({"strategy": {"type": "Recreate"}}));
        let meta = Ty::of_kind("", "v1", "ConfigMap").field("metadata");
        let orig = json!({"finalizers": ["a", "b", "c"]});
        let out = strategic_merge(
            &orig,
            &json!({"$deleteFromPrimitiveList/finalizers": ["b"], "finalizers": ["d"]}),
            meta,
        )
        .unwrap();
        // finalizers is a merge-strategy list of scalars: merged as a set.
        assert_eq!(out, json!({"finalizers": ["a", "c", "d"]}));
    }

    #[test]
    fn malformed_strategic_patches_fail_as_the_api_server_answers() {
        let orig = json!({"containers": [{"name": "a", "image": "1"}]});
        let e = strategic_merge(&orig, &json!({"containers": [{"image": "2"}]}), pod_spec())
            .unwrap_err();
        assert_eq!(
            (e.code, e.message.as_str()),
            (
                500,
                "map: map[image:2] does not contain declared merge key: name"
            )
        );
        assert_eq!(e.status().get("reason"), None);
        let e = strategic_merge(&orig, &json!({"$patch": "bogus"}), pod_spec()).unwrap_err();
        assert_eq!(
            e.message,
            "unknown patch type: bogus in map: map[$patch:bogus]"
        );
        let e = strategic_merge(&orig, &json!({"$retainKeys": "x"}), pod_spec()).unwrap_err();
        assert_eq!(
            (e.code, e.message.as_str()),
            (400, "invalid patch format of retainKeys")
        );
        let e =
            strategic_merge(&orig, &json!({"$retainKeys": ["a"], "b": 1}), pod_spec()).unwrap_err();
        assert_eq!(e.code, 422);
        assert_eq!(
            e.details["causes"][0]["message"],
            "patch content doesn't match retainKeys list"
        );
        let e = strategic_merge(
            &orig,
            &json!({"$setElementOrder/containers": {"name": "a"}}),
            pod_spec(),
        )
        .unwrap_err();
        assert_eq!(e.message, "invalid patch format of setElementOrder list");
    }

    #[test]
    fn json_patch_operations_and_failures() {
        let doc = json!({"spec": {"replicas": 1, "list": [1, 2]}});
        let out = json_patch(
            &doc,
            &json!([{"op": "test", "path": "/spec/replicas", "value": 1},
                {"op": "replace", "path": "/spec/replicas", "value": 3},
                {"op": "add", "path": "/spec/list/-", "value": 3},
                {"op": "copy", "from": "/spec/replicas", "path": "/spec/copied"},
                {"op": "move", "from": "/spec/copied", "path": "/spec/moved"},
                {"op": "remove", "path": "/spec/list/0"}]),
        )
        .unwrap();
        assert_eq!(
            out,
            json!({"spec": {"replicas": 3, "list": [2, 3], "moved": 3}})
        );
        let e = json_patch(
            &doc,
            &json!([{"op": "test", "path": "/spec/replicas", "value": 2}]),
        )
        .unwrap_err();
        assert_eq!(e.code, 422);
        assert_eq!(
            e.details["causes"][0]["message"],
            "testing value /spec/replicas failed: test failed"
        );
        let e = json_patch(&doc, &json!([{"op": "remove", "path": "/spec/nope"}])).unwrap_err();
        assert_eq!(
            e.details["causes"][0]["message"],
            "remove operation does not apply: doc is missing path: \"/spec/nope\": missing value"
        );
        assert_eq!(
            json_patch(&doc, &json!({"op": "add"})).unwrap_err().code,
            400
        );
    }
}
