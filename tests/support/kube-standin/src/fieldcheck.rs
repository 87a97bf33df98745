//! Server-side field validation (`fieldValidation=Strict|Warn|Ignore`, `Warn` when absent), as
//! a Kubernetes 1.32 API server does it: the fields of a create, update or patch body that the
//! kind's schema does not declare are a 400 `strict decoding error: unknown field "spec.replica"`
//! (Strict), a `Warning: 299 - "unknown field \"spec.replica\""` header (Warn) or dropped
//! silently (Ignore). A server-side apply is typed by the apply itself (`typed`), which refuses
//! undeclared fields whatever the directive. Kinds without a definition (custom kinds) accept
//! anything.

use serde_json::Value;

use crate::discovery::Doc;
use crate::schema::{schemas, Node};
use crate::store::{Request, Store};

/// How a request asks unknown fields to be handled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Directive {
    Strict,
    Warn,
    Ignore,
}

/// The body's flavour, which decides what "a field" is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Body {
    /// A whole object (create, update).
    Object,
    /// A merge patch: `null` removes a field, so it is never unknown.
    Merge,
    /// A strategic merge patch: `$patch`, `$retainKeys`, `$setElementOrder/…` are directives.
    Strategic,
}

/// The `Warning` header values for a request, or the error answering it. Under `Warn` and
/// `Ignore` the unknown fields are dropped from the request's body, as decoding into the typed
/// object drops them on a real server.
pub(crate) fn check(store: &Store, req: &mut Request) -> Result<Vec<String>, Doc> {
    if !matches!(req.method.as_str(), "POST" | "PUT" | "PATCH") {
        return Ok(Vec::new());
    }
    let Some(kind) = store
        .options
        .kinds
        .iter()
        .find(|k| k.group == req.group && k.version == req.version && k.plural == req.plural)
    else {
        return Ok(Vec::new());
    };
    let (node, version, kind_name) = match req.subresource.as_deref() {
        None | Some("status") => (
            schemas().kind(&kind.group, &kind.version, &kind.kind),
            kind.version.as_str(),
            kind.kind.as_str(),
        ),
        Some("scale") => (
            schemas().named("io.k8s.api.autoscaling.v1.Scale"),
            "v1",
            "Scale",
        ),
        Some(_) => return Ok(Vec::new()),
    };
    let directive = match req.query.get("fieldValidation").map(String::as_str) {
        None | Some("") | Some("Warn") => Directive::Warn,
        Some("Strict") => Directive::Strict,
        Some("Ignore") => Directive::Ignore,
        Some(other) => {
            let options = match req.method.as_str() {
                "POST" => "CreateOptions",
                "PUT" => "UpdateOptions",
                _ => "PatchOptions",
            };
            return Err(Doc::status(
                422,
                "Invalid",
                &format!(
                    "{options}.meta.k8s.io \"\" is invalid: fieldValidation: Unsupported value: \"{other}\": supported values: \"Ignore\", \"Strict\", \"Warn\""
                ),
            ));
        }
    };
    // An untyped kind (a CRD preserving unknown fields) accepts anything.
    let Some(node) = node else {
        return Ok(Vec::new());
    };
    let ct = req.content_type.split(';').next().unwrap_or("").trim();
    if ct == "application/apply-patch+yaml" {
        // An apply configuration is typed by the apply itself (`typed::validate`), which
        // refuses undeclared fields whatever the directive, as structured-merge-diff does.
        return Ok(Vec::new());
    }
    // A patch is decoded after the object is read: patching a missing object is a 404 first.
    let missing = || {
        let name = req.name.as_deref().unwrap_or_default();
        store
            .get(
                &kind.api_version(),
                &kind.plural,
                req.namespace.as_deref(),
                name,
            )
            .is_none()
    };
    if req.method == "PATCH" && missing() {
        return Ok(Vec::new());
    }
    let Ok(mut body) = serde_json::from_slice::<Value>(&req.body) else {
        // Not JSON: the store answers the decoding error.
        return Ok(Vec::new());
    };
    let mut unknown = Vec::new();
    match (req.method.as_str(), ct) {
        ("PATCH", "application/json-patch+json") => json_patch(node, &mut body, &mut unknown),
        ("PATCH", "application/strategic-merge-patch+json") => {
            walk(node, &mut body, Body::Strategic, "", &mut unknown)
        }
        ("PATCH", _) => walk(node, &mut body, Body::Merge, "", &mut unknown),
        _ => walk(node, &mut body, Body::Object, "", &mut unknown),
    }
    if unknown.is_empty() {
        return Ok(Vec::new());
    }
    if directive != Directive::Strict {
        // Decoding into the typed object drops what it does not declare.
        req.body = body.to_string().into_bytes();
    }
    if directive == Directive::Ignore {
        return Ok(Vec::new());
    }
    let errors: Vec<String> = unknown
        .iter()
        .map(|path| format!("unknown field {}", Value::from(path.as_str())))
        .collect();
    if directive == Directive::Warn {
        return Ok(errors);
    }
    let strict = format!("strict decoding error: {}", errors.join(", "));
    let message = if req.method == "PATCH" {
        strict
    } else {
        format!("{kind_name} in version \"{version}\" cannot be handled as a {kind_name}: {strict}")
    };
    Err(Doc::status(400, "BadRequest", &message))
}

/// Whether a schema node takes any field (no declared properties, or it preserves unknown
/// fields).
fn open(node: &Node) -> bool {
    let raw = node.raw();
    raw.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true))
        || (raw.get("properties").is_none() && !raw["additionalProperties"].is_object())
}

fn join(path: &str, field: &str) -> String {
    if path.is_empty() {
        field.to_string()
    } else {
        format!("{path}.{field}")
    }
}

/// Collects the paths (`spec.template.spec.containers[0].imagee`) of the fields of `value` the
/// schema does not declare, and removes them.
fn walk(node: Node, value: &mut Value, body: Body, path: &str, out: &mut Vec<String>) {
    match value {
        Value::Object(fields) => {
            if open(&node) {
                return;
            }
            let mut unknown = Vec::new();
            for (name, child) in fields.iter_mut() {
                if body == Body::Strategic && name.starts_with('$') {
                    continue;
                }
                if child.is_null() && body != Body::Object {
                    continue;
                }
                let inner = join(path, name);
                match node.field(name) {
                    Some(field) => walk(field, child, body, &inner, out),
                    None => {
                        out.push(inner);
                        unknown.push(name.clone());
                    }
                }
            }
            for name in unknown {
                fields.shift_remove(&name);
            }
        }
        Value::Array(items) => {
            let Some(item) = node.items() else { return };
            for (i, child) in items.iter_mut().enumerate() {
                walk(item, child, body, &format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

/// The unknown fields a JSON patch (RFC 6902) would add: the targets of its `add`, `replace`,
/// `copy` and `move` operations (such an operation is dropped) and the fields of the values it
/// adds (removed from them).
fn json_patch(node: Node, ops: &mut Value, out: &mut Vec<String>) {
    let Some(ops) = ops.as_array_mut() else {
        return;
    };
    ops.retain_mut(|op| json_patch_op(node, op, out));
}

/// Checks one operation; whether it stays.
fn json_patch_op(node: Node, op: &mut Value, out: &mut Vec<String>) -> bool {
    if !matches!(op["op"].as_str(), Some("add" | "replace" | "copy" | "move")) {
        return true;
    }
    let Some(pointer) = op["path"].as_str().map(str::to_string) else {
        return true;
    };
    let mut at = node;
    let mut path = String::new();
    for seg in pointer.split('/').skip(1) {
        let seg = seg.replace("~1", "/").replace("~0", "~");
        if at.raw()["type"] == "array" || at.raw().get("items").is_some() {
            path = format!("{path}[{seg}]");
            match at.items() {
                Some(item) => at = item,
                None => return true,
            }
            continue;
        }
        if open(&at) {
            return true;
        }
        path = join(&path, &seg);
        match at.field(&seg) {
            Some(field) => at = field,
            None => {
                out.push(path);
                return false;
            }
        }
    }
    if matches!(op["op"].as_str(), Some("add" | "replace")) {
        if let Some(value) = op.get_mut("value") {
            walk(at, value, Body::Object, &path, out);
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deployment() -> Node<'static> {
        schemas()
            .kind("apps", "v1", "Deployment")
            .expect("Deployment")
    }

    #[test]
    fn unknown_fields_are_named_by_their_path_and_dropped() {
        let body = json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "labels": {"any": "thing"}, "colour": "red"},
            "spec": {"replica": 2, "template": {"spec": {"containers": [{"name": "web", "imagee": "x"}]}}}});
        let mut pruned = body.clone();
        let mut out = Vec::new();
        walk(deployment(), &mut pruned, Body::Object, "", &mut out);
        assert_eq!(
            out,
            [
                "metadata.colour",
                "spec.replica",
                "spec.template.spec.containers[0].imagee"
            ]
        );
        assert_eq!(
            pruned,
            json!({"apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": "web", "labels": {"any": "thing"}},
                "spec": {"template": {"spec": {"containers": [{"name": "web"}]}}}})
        );
    }

    #[test]
    fn patches_skip_directives_and_removals() {
        let mut patch = json!({"spec": {"$retainKeys": ["x"], "replica": null, "template": {"spec":
            {"$setElementOrder/containers": [{"name": "web"}], "containers": [{"name": "web", "$patch": "delete"}]}}}});
        let mut out = Vec::new();
        walk(deployment(), &mut patch, Body::Strategic, "", &mut out);
        assert!(out.is_empty(), "{out:?}");
        let mut ops = json!([{"op": "replace", "path": "/spec/replicas", "value": 3},
            {"op": "add", "path": "/spec/template/spec/containers/0/imagee", "value": "x"},
            {"op": "add", "path": "/metadata/labels/a~1b", "value": "x"},
            {"op": "add", "path": "/spec/template/spec/containers/-", "value": {"name": "b", "bogus": 1}}]);
        let mut out = Vec::new();
        json_patch(deployment(), &mut ops, &mut out);
        assert_eq!(
            out,
            [
                "spec.template.spec.containers[0].imagee",
                "spec.template.spec.containers[-].bogus"
            ]
        );
        assert_eq!(
            ops,
            json!([{"op": "replace", "path": "/spec/replicas", "value": 3},
                {"op": "add", "path": "/metadata/labels/a~1b", "value": "x"},
                {"op": "add", "path": "/spec/template/spec/containers/-", "value": {"name": "b"}}])
        );
    }
}
