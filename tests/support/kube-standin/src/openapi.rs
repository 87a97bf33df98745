//! The OpenAPI documents of a Kubernetes 1.32 API server for the served kinds: `/openapi/v2`
//! (Swagger 2.0, `definitions` and `paths`) and `/openapi/v3` (the index of group versions, each
//! with a `?hash=`, and one OpenAPI 3.0 document per group version with `components.schemas`).
//!
//! The schemas are Kubernetes' own ([`crate::schema`]); a kind with no definition (a custom kind)
//! is published as a CRD whose schema preserves unknown fields. Every operation carries its
//! `x-kubernetes-action` and `x-kubernetes-group-version-kind` and the query parameters a real
//! server declares, so kubectl finds `fieldValidation` on PATCH and trusts the server with field
//! validation.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::{json, Map, Value};
use sha2::{Digest, Sha512};

use crate::discovery::{subresources, verbs, Doc};
use crate::schema::schemas;
use crate::store::Kind;

const META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.";

/// Answers `/openapi/...` (`path` without the leading `openapi`).
pub(crate) fn serve(
    kinds: &[Kind],
    path: &[&str],
    query: &HashMap<String, String>,
    accept: &str,
) -> Option<Doc> {
    match path {
        ["v2"] => Some(v2_answer(kinds, accept)),
        ["v3"] => Some(Doc::json(&v3_index(kinds))),
        ["v3", "api", "v1"] => v3_answer(kinds, "", "v1", query),
        ["v3", "apis", group, version] => v3_answer(kinds, group, version, query),
        _ => None,
    }
}

/// A group version's document as the API server's v3 handler serves it: with its hash as
/// `Etag`; for a request naming the current `?hash=`, cacheable for a year; for a stale one, a
/// 301 to the current URL.
fn v3_answer(
    kinds: &[Kind],
    group: &str,
    version: &str,
    query: &HashMap<String, String>,
) -> Option<Doc> {
    let body = v3_bytes(kinds, group, version)?;
    let etag = hash(&body);
    let path = if group.is_empty() {
        format!("/openapi/v3/api/{version}")
    } else {
        format!("/openapi/v3/apis/{group}/{version}")
    };
    let asked = query.get("hash").filter(|h| !h.is_empty());
    if asked.is_some_and(|h| *h != etag) {
        let location = format!("{path}?hash={etag}");
        return Some(Doc {
            code: 301,
            content_type: "text/html; charset=utf-8".into(),
            body: format!("<a href=\"{location}\">Moved Permanently</a>.\n\n").into_bytes(),
            headers: vec![("Location", location)],
        });
    }
    let mut doc = json_doc(body);
    doc.headers.push(("Etag", format!("\"{etag}\"")));
    if asked.is_some() {
        let expires = chrono::Utc::now() + chrono::Duration::days(365);
        doc.headers.extend([
            ("Vary", "Accept".to_string()),
            ("Cache-Control", "public, immutable".to_string()),
            (
                "Expires",
                expires.format("%a, %d %b %Y %H:%M:%S GMT").to_string(),
            ),
        ]);
    }
    Some(doc)
}

fn json_doc(body: Arc<Vec<u8>>) -> Doc {
    Doc {
        code: 200,
        content_type: "application/json".into(),
        body: body.to_vec(),
        headers: Vec::new(),
    }
}

/// A document, serialized once per set of kinds (building one walks hundreds of definitions).
fn memo(key: String, make: impl FnOnce() -> Option<Vec<u8>>) -> Option<Arc<Vec<u8>>> {
    type Cache = Mutex<HashMap<String, Option<Arc<Vec<u8>>>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(Mutex::default);
    if let Some(hit) = cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
        return hit;
    }
    let made = make().map(Arc::new);
    if let Ok(mut c) = cache.lock() {
        c.insert(key, made.clone());
    }
    made
}

fn v3_bytes(kinds: &[Kind], group: &str, version: &str) -> Option<Arc<Vec<u8>>> {
    memo(format!("v3 {group}/{version} {kinds:?}"), || {
        v3_document(kinds, group, version).map(|d| d.to_string().into_bytes())
    })
}

/// The protobuf media type clients before 1.27 ask `/openapi/v2` for (not a valid media type:
/// `@` is a separator) and the one a server labels its answer with (and newer clients ask for).
const V2_PROTOBUF_ASKED: &str = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf";
/// See [`V2_PROTOBUF_ASKED`].
pub const V2_PROTOBUF: &str = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

/// `/openapi/v2` in the first form the `Accept` header names that the server has: JSON
/// (`application/json`, `*/*`, or no header) or gnostic's protobuf, labelled with the valid
/// media type whichever of the two protobuf names was asked for (as kube-openapi does: echoing
/// the `@` form breaks clients' media type parsing).
fn v2_answer(kinds: &[Kind], accept: &str) -> Doc {
    let accept = if accept.trim().is_empty() {
        "*/*"
    } else {
        accept
    };
    let wanted = accept
        .split(',')
        .find_map(|m| match m.split(';').next().unwrap_or("").trim() {
            "application/json" | "*/*" | "application/*" => Some("application/json"),
            V2_PROTOBUF_ASKED | V2_PROTOBUF => Some(V2_PROTOBUF),
            _ => None,
        });
    let body = match wanted {
        Some("application/json") => memo(format!("v2 {kinds:?}"), || {
            Some(v2_document(kinds).to_string().into_bytes())
        }),
        Some(_) => memo(format!("v2 protobuf {kinds:?}"), || {
            Some(crate::openapi_pb::encode(&v2_document(kinds)))
        }),
        None => None,
    };
    match (wanted, body) {
        (Some(content_type), Some(body)) => Doc {
            code: 200,
            content_type: content_type.to_string(),
            body: body.to_vec(),
            headers: vec![("Vary", "Accept".to_string())],
        },
        _ => Doc::status(
            406,
            "NotAcceptable",
            &format!(
                "only the following media types are accepted: application/json, {V2_PROTOBUF}"
            ),
        ),
    }
}

/// The group versions served, in registry order.
fn group_versions(kinds: &[Kind]) -> Vec<(String, String)> {
    let mut gvs: Vec<(String, String)> = Vec::new();
    for k in kinds {
        let gv = (k.group.clone(), k.version.clone());
        if !gvs.contains(&gv) {
            gvs.push(gv);
        }
    }
    gvs
}

/// `apps` → `Apps`, `rbac.authorization.k8s.io` → `RbacAuthorization`, `` → `Core`, as in the
/// API server's operation ids.
fn group_camel(group: &str) -> String {
    if group.is_empty() {
        return "Core".into();
    }
    group
        .trim_end_matches(".k8s.io")
        .split(['.', '-'])
        .map(capitalize)
        .collect()
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn tag(group: &str, version: &str) -> String {
    let camel = group_camel(group);
    let mut c = camel.chars();
    let lower: String = match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    };
    format!("{lower}_{version}")
}

/// The name of the definition of a kind: Kubernetes' own, or a CRD's (`dev.skel.v1.Widget`).
fn definition_name(kind: &Kind) -> String {
    schemas()
        .name_of(&kind.group, &kind.version, &kind.kind)
        .map(str::to_string)
        .unwrap_or_else(|| custom_name(kind, &kind.kind))
}

fn list_definition_name(kind: &Kind) -> String {
    let list = format!("{}List", kind.kind);
    schemas()
        .name_of(&kind.group, &kind.version, &list)
        .map(str::to_string)
        .unwrap_or_else(|| custom_name(kind, &list))
}

fn custom_name(kind: &Kind, name: &str) -> String {
    let reversed: Vec<&str> = kind.group.split('.').rev().collect();
    format!("{}.{}.{name}", reversed.join("."), kind.version)
}

fn gvk(group: &str, version: &str, kind: &str) -> Value {
    json!({"group": group, "version": version, "kind": kind})
}

/// The definitions of the custom (untyped) kinds: objects with Kubernetes metadata whose other
/// fields are preserved as sent, as a CRD without a structural schema for them.
fn custom_definitions(kind: &Kind) -> Vec<(String, Value)> {
    if schemas()
        .name_of(&kind.group, &kind.version, &kind.kind)
        .is_some()
    {
        return Vec::new();
    }
    let api_version = "APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources";
    let kind_doc = "Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds";
    let object = json!({
        "type": "object",
        "properties": {
            "apiVersion": {"description": api_version, "type": "string"},
            "kind": {"description": kind_doc, "type": "string"},
            "metadata": {"description": "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
                "$ref": format!("#/definitions/{META}ObjectMeta")},
        },
        "x-kubernetes-preserve-unknown-fields": true,
        "x-kubernetes-group-version-kind": [gvk(&kind.group, &kind.version, &kind.kind)],
    });
    let list = json!({
        "description": format!("{}List is a list of {}", kind.kind, kind.kind),
        "type": "object",
        "required": ["items"],
        "properties": {
            "apiVersion": {"description": api_version, "type": "string"},
            "items": {"description": format!("List of {}. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md", kind.plural),
                "type": "array", "items": {"$ref": format!("#/definitions/{}", definition_name(kind))}},
            "kind": {"description": kind_doc, "type": "string"},
            "metadata": {"description": "Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds",
                "$ref": format!("#/definitions/{META}ListMeta")},
        },
        "x-kubernetes-group-version-kind": [gvk(&kind.group, &kind.version, &format!("{}List", kind.kind))],
    });
    vec![
        (definition_name(kind), object),
        (list_definition_name(kind), list),
    ]
}

/// The definitions reachable from the given kinds (their objects and lists, `Status`,
/// `DeleteOptions` and, with a scale subresource, `autoscaling/v1` `Scale`), by name.
fn definitions_for(kinds: &[&Kind]) -> BTreeMap<String, Value> {
    let defs = schemas().definitions();
    let mut out: BTreeMap<String, Value> = BTreeMap::new();
    let mut todo: Vec<String> = vec![format!("{META}Status"), format!("{META}DeleteOptions")];
    for kind in kinds {
        for (name, def) in custom_definitions(kind) {
            collect_refs(&def, &mut todo);
            out.insert(name, def);
        }
        todo.push(definition_name(kind));
        todo.push(list_definition_name(kind));
        if subresources(&kind.group, &kind.plural)
            .iter()
            .any(|s| s.name == "scale")
        {
            todo.push("io.k8s.api.autoscaling.v1.Scale".into());
        }
    }
    while let Some(name) = todo.pop() {
        if out.contains_key(&name) {
            continue;
        }
        if let Some(def) = defs.get(&name) {
            collect_refs(def, &mut todo);
            out.insert(name, def.clone());
        }
    }
    out
}

fn collect_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                match (k.as_str(), child) {
                    ("$ref", Value::String(r)) => {
                        out.push(r.rsplit('/').next().unwrap_or(r).to_string())
                    }
                    _ => collect_refs(child, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|c| collect_refs(c, out)),
        _ => {}
    }
}

/// One query parameter as the API server declares it.
struct Param {
    name: &'static str,
    kind: &'static str,
    description: &'static str,
}

const fn param(name: &'static str, kind: &'static str, description: &'static str) -> Param {
    Param {
        name,
        kind,
        description,
    }
}

const PRETTY: Param = param("pretty", "string", "If 'true', then the output is pretty printed. Defaults to 'false' unless the user-agent indicates a browser or command-line HTTP tool (curl and wget).");
const DRY_RUN: Param = param("dryRun", "string", "When present, indicates that modifications should not be persisted. An invalid or unrecognized dryRun directive will result in an error response and no further processing of the request. Valid values are: - All: all dry run stages will be processed");
const FIELD_MANAGER: Param = param("fieldManager", "string", "fieldManager is a name associated with the actor or entity that is making these changes. The value must be less than or 128 characters long, and only contain printable characters, as defined by https://golang.org/pkg/unicode/#IsPrint.");
const FIELD_VALIDATION: Param = param("fieldValidation", "string", "fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore: This will ignore any unknown fields that are silently dropped from the object, and will ignore all but the last duplicate field that the decoder encounters. This is the default behavior prior to v1.23. - Warn: This will send a warning via the standard warning response header for each unknown field that is dropped from the object, and for each duplicate field that is encountered. The request will still succeed if there are no other errors, and will only persist the last of any duplicate fields. This is the default in v1.23+ - Strict: This will fail the request with a BadRequest error if any unknown fields would be dropped from the object, or if any duplicate fields are present. The error returned from the server will contain all unknown and duplicate fields encountered.");
const FORCE: Param = param("force", "boolean", "Force is going to \"force\" Apply requests. It means user will re-acquire conflicting fields owned by other people. Force flag must be unset for non-apply patch requests.");
const LIST_PARAMS: &[Param] = &[
    param("allowWatchBookmarks", "boolean", "allowWatchBookmarks requests watch events with type \"BOOKMARK\". Servers that do not implement bookmarks may ignore this flag and bookmarks are sent at the server's discretion. Clients should not assume bookmarks are returned at any specific interval, nor may they assume the server will send any BOOKMARK event during a session. If this is not a watch, this field is ignored."),
    param("continue", "string", "The continue option should be set when retrieving more results from the server. Since this value is server defined, clients may only use the continue value from a previous query result with identical query parameters (except for the value of continue) and the server may reject a continue value it does not recognize."),
    param("fieldSelector", "string", "A selector to restrict the list of returned objects by their fields. Defaults to everything."),
    param("labelSelector", "string", "A selector to restrict the list of returned objects by their labels. Defaults to everything."),
    param("limit", "integer", "limit is a maximum number of responses to return for a list call. If more items exist, the server will set the `continue` field on the list metadata to a value that can be used with the same initial query to retrieve the next set of results."),
    param("resourceVersion", "string", "resourceVersion sets a constraint on what resource versions a request may be served from. See https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions for details.\n\nDefaults to unset"),
    param("resourceVersionMatch", "string", "resourceVersionMatch determines how resourceVersion is applied to list calls. It is highly recommended that resourceVersionMatch be set for list calls where resourceVersion is set See https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions for details.\n\nDefaults to unset"),
    param("sendInitialEvents", "boolean", "`sendInitialEvents=true` may be set together with `watch=true`. In that case, the watch stream will begin with synthetic events to produce the current state of objects in the collection."),
    param("timeoutSeconds", "integer", "Timeout for the list/watch call. This limits the duration of the call, regardless of any activity or inactivity."),
    param("watch", "boolean", "Watch for changes to the described resources and return them as a stream of add, update, and remove notifications. Specify resourceVersion."),
];
const DELETE_PARAMS: &[Param] = &[
    DRY_RUN,
    param("gracePeriodSeconds", "integer", "The duration in seconds before the object should be deleted. Value must be non-negative integer. The value zero indicates delete immediately. If this value is nil, the default grace period for the specified type will be used. Defaults to a per object value if not specified. zero means delete immediately."),
    param("ignoreStoreReadErrorWithClusterBreakingPotential", "boolean", "if set to true, it will trigger an unsafe deletion of the resource in case the normal deletion flow fails with a corrupt object error. A resource is considered corrupt if it can not be retrieved from the underlying storage successfully because of a) its data can not be transformed e.g. decryption failure, or b) it fails to decode into an object. NOTE: unsafe deletion ignores finalizer constraints, skips precondition checks, and removes the object from the storage. WARNING: This may potentially break the cluster if the workload associated with the resource being unsafe-deleted relies on normal deletion flow. Use only if you REALLY know what you are doing. The default value is false, and the user must opt in to enable it"),
    param("orphanDependents", "boolean", "Deprecated: please use the PropagationPolicy, this field will be deprecated in 1.7. Should the dependent objects be orphaned. If true/false, the \"orphan\" finalizer will be added to/removed from the object's finalizers list. Either this field or PropagationPolicy may be set, but not both."),
    param("propagationPolicy", "string", "Whether and how garbage collection will be performed. Either this field or OrphanDependents may be set, but not both. The default policy is decided by the existing finalizer set in the metadata.finalizers and the resource-specific default policy. Acceptable values are: 'Orphan' - orphan the dependents; 'Background' - allow the garbage collector to delete the dependents in the background; 'Foreground' - a cascading policy that deletes all dependents in the foreground."),
];

/// What an operation takes and answers, independent of the OpenAPI version.
struct Op {
    method: &'static str,
    action: &'static str,
    id: String,
    description: String,
    params: Vec<&'static Param>,
    /// The definition of the body: `Some("")` for a patch.
    body: Option<String>,
    response: String,
    gvk: Value,
    created: bool,
}

/// One path with its path-level parameters (`name`, `namespace`, `pretty`) and operations.
struct PathItem {
    path: String,
    name: bool,
    namespace: bool,
    ops: Vec<Op>,
}

fn list_params() -> Vec<&'static Param> {
    LIST_PARAMS.iter().collect()
}

fn write_params(patch: bool) -> Vec<&'static Param> {
    let mut p = vec![&DRY_RUN, &FIELD_MANAGER, &FIELD_VALIDATION];
    if patch {
        p.push(&FORCE);
    }
    p
}

/// The paths of one kind, as a real server routes them.
fn kind_paths(kind: &Kind) -> Vec<PathItem> {
    let prefix = if kind.group.is_empty() {
        format!("/api/{}", kind.version)
    } else {
        format!("/apis/{}/{}", kind.group, kind.version)
    };
    let g = format!("{}{}", group_camel(&kind.group), capitalize(&kind.version));
    let k = &kind.kind;
    let def = definition_name(kind);
    let list_def = list_definition_name(kind);
    let this = gvk(&kind.group, &kind.version, k);
    let ns = if kind.namespaced { "Namespaced" } else { "" };
    let coll = if kind.namespaced {
        format!("{prefix}/namespaces/{{namespace}}/{}", kind.plural)
    } else {
        format!("{prefix}/{}", kind.plural)
    };
    let allowed = verbs(&kind.group, &kind.plural);
    let op = |method, action, id: String, description: String, params, body, response: &str| Op {
        method,
        action,
        id,
        description,
        params,
        body,
        response: response.to_string(),
        gvk: this.clone(),
        created: matches!(method, "post" | "put"),
    };
    let mut paths = Vec::new();
    if kind.namespaced {
        paths.push(PathItem {
            path: format!("{prefix}/{}", kind.plural),
            name: false,
            namespace: false,
            ops: vec![op(
                "get",
                "list",
                format!("list{g}{k}ForAllNamespaces"),
                format!("list or watch objects of kind {k}"),
                list_params(),
                None,
                &list_def,
            )],
        });
    }
    let mut collection = vec![
        op(
            "get",
            "list",
            format!("list{g}{ns}{k}"),
            format!("list or watch objects of kind {k}"),
            list_params(),
            None,
            &list_def,
        ),
        op(
            "post",
            "post",
            format!("create{g}{ns}{k}"),
            format!("create a {k}"),
            write_params(false),
            Some(def.clone()),
            &def,
        ),
    ];
    if allowed.contains(&"deletecollection") {
        let mut params: Vec<&'static Param> = DELETE_PARAMS.iter().collect();
        params.extend(list_params());
        params.retain(|p| p.name != "watch" && p.name != "allowWatchBookmarks");
        params.sort_by_key(|p| p.name);
        collection.push(op(
            "delete",
            "deletecollection",
            format!("delete{g}Collection{ns}{k}"),
            format!("delete collection of {k}"),
            params,
            Some(format!("{META}DeleteOptions")),
            &format!("{META}Status"),
        ));
    }
    paths.push(PathItem {
        path: coll.clone(),
        name: false,
        namespace: kind.namespaced,
        ops: collection,
    });
    paths.push(PathItem {
        path: format!("{coll}/{{name}}"),
        name: true,
        namespace: kind.namespaced,
        ops: vec![
            op(
                "get",
                "get",
                format!("read{g}{ns}{k}"),
                format!("read the specified {k}"),
                Vec::new(),
                None,
                &def,
            ),
            op(
                "put",
                "put",
                format!("replace{g}{ns}{k}"),
                format!("replace the specified {k}"),
                write_params(false),
                Some(def.clone()),
                &def,
            ),
            op(
                "patch",
                "patch",
                format!("patch{g}{ns}{k}"),
                format!("partially update the specified {k}"),
                write_params(true),
                Some(String::new()),
                &def,
            ),
            op(
                "delete",
                "delete",
                format!("delete{g}{ns}{k}"),
                format!("delete a {k}"),
                DELETE_PARAMS.iter().collect(),
                Some(format!("{META}DeleteOptions")),
                &format!("{META}Status"),
            ),
        ],
    });
    for sub in subresources(&kind.group, &kind.plural) {
        let (name, what, target, sub_gvk) = match sub.name {
            "status" => (
                "Status",
                "status of the specified",
                def.clone(),
                this.clone(),
            ),
            "scale" => (
                "Scale",
                "scale of the specified",
                "io.k8s.api.autoscaling.v1.Scale".to_string(),
                gvk("autoscaling", "v1", "Scale"),
            ),
            _ => continue,
        };
        let mut ops = vec![
            op(
                "get",
                "get",
                format!("read{g}{ns}{k}{name}"),
                format!("read {what} {k}"),
                Vec::new(),
                None,
                &target,
            ),
            op(
                "put",
                "put",
                format!("replace{g}{ns}{k}{name}"),
                format!("replace {what} {k}"),
                write_params(false),
                Some(target.clone()),
                &target,
            ),
            op(
                "patch",
                "patch",
                format!("patch{g}{ns}{k}{name}"),
                format!("partially update {what} {k}"),
                write_params(true),
                Some(String::new()),
                &target,
            ),
        ];
        for o in &mut ops {
            o.gvk = sub_gvk.clone();
        }
        paths.push(PathItem {
            path: format!("{coll}/{{name}}/{}", sub.name),
            name: true,
            namespace: kind.namespaced,
            ops,
        });
    }
    paths
}

fn path_params(item: &PathItem, what: &str) -> Vec<(&'static str, String)> {
    let mut params = Vec::new();
    if item.name {
        params.push(("name", format!("name of the {what}")));
    }
    if item.namespace {
        params.push((
            "namespace",
            "object name and auth scope, such as for teams and projects".to_string(),
        ));
    }
    params
}

const PATCH_TYPES: [&str; 4] = [
    "application/apply-patch+yaml",
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
];
const PRODUCES: [&str; 3] = [
    "application/json",
    "application/yaml",
    "application/vnd.kubernetes.protobuf",
];

fn v2_param(p: &Param) -> Value {
    json!({"uniqueItems": true, "type": p.kind, "description": p.description,
        "name": p.name, "in": "query"})
}

fn v3_param(p: &Param) -> Value {
    json!({"name": p.name, "in": "query", "description": p.description,
        "schema": {"type": p.kind, "uniqueItems": true}})
}

fn responses(op: &Op, schema: impl Fn(&str) -> Value) -> Value {
    let mut responses = Map::new();
    responses.insert("200".into(), schema("OK"));
    if op.created {
        responses.insert("201".into(), schema("Created"));
    }
    if op.method == "post" || op.action == "delete" {
        responses.insert("202".into(), schema("Accepted"));
    }
    responses.insert("401".into(), json!({"description": "Unauthorized"}));
    Value::Object(responses)
}

fn v2_path(item: &PathItem, kind: &Kind) -> Value {
    let mut out = Map::new();
    for op in &item.ops {
        let mut params: Vec<Value> = Vec::new();
        match op.body.as_deref() {
            Some("") => params.push(json!({"name": "body", "in": "body", "required": true,
                "schema": {"$ref": format!("#/definitions/{META}Patch")}})),
            Some(def) => params.push(json!({"name": "body", "in": "body",
                "required": op.action != "delete" && op.action != "deletecollection",
                "schema": {"$ref": format!("#/definitions/{def}")}})),
            None => {}
        }
        params.extend(op.params.iter().map(|p| v2_param(p)));
        let schema = json!({"$ref": format!("#/definitions/{}", op.response)});
        let consumes: Vec<&str> = if op.method == "patch" {
            PATCH_TYPES.to_vec()
        } else {
            vec!["*/*"]
        };
        let mut produces = PRODUCES.to_vec();
        if op.action == "list" {
            produces.extend([
                "application/json;stream=watch",
                "application/vnd.kubernetes.protobuf;stream=watch",
            ]);
        }
        let o = json!({
            "description": op.description,
            "consumes": consumes,
            "produces": produces,
            "schemes": ["https"],
            "tags": [tag(&kind.group, &kind.version)],
            "operationId": op.id,
            "parameters": params,
            "responses": responses(op, |d| json!({"description": d, "schema": schema})),
            "x-kubernetes-action": op.action,
            "x-kubernetes-group-version-kind": op.gvk,
        });
        out.insert(op.method.into(), o);
    }
    let mut params: Vec<Value> = path_params(item, &kind.kind)
        .into_iter()
        .map(|(name, description)| {
            json!({"uniqueItems": true, "type": "string", "description": description,
                "name": name, "in": "path", "required": true})
        })
        .collect();
    params.push(v2_param(&PRETTY));
    out.insert("parameters".into(), json!(params));
    Value::Object(out)
}

fn v3_path(item: &PathItem, kind: &Kind) -> Value {
    let mut out = Map::new();
    for op in &item.ops {
        let media = |schema: &Value, types: &[&str]| {
            let content: Map<String, Value> = types
                .iter()
                .map(|t| (t.to_string(), json!({"schema": schema})))
                .collect();
            Value::Object(content)
        };
        let schema = json!({"$ref": format!("#/components/schemas/{}", op.response)});
        let mut o = json!({
            "tags": [tag(&kind.group, &kind.version)],
            "description": op.description,
            "operationId": op.id,
            "parameters": op.params.iter().map(|p| v3_param(p)).collect::<Vec<_>>(),
            "responses": responses(op, |d| json!({"description": d, "content": media(&schema, &PRODUCES)})),
            "x-kubernetes-action": op.action,
            "x-kubernetes-group-version-kind": op.gvk,
        });
        match op.body.as_deref() {
            Some("") => {
                let patch = json!({"$ref": format!("#/components/schemas/{META}Patch")});
                o["requestBody"] =
                    json!({"content": media(&patch, &PATCH_TYPES), "required": true});
            }
            Some(def) => {
                let body = json!({"$ref": format!("#/components/schemas/{def}")});
                o["requestBody"] = json!({"content": media(&body, &["*/*"]),
                    "required": op.action == "post" || op.action == "put"});
            }
            None => {}
        }
        out.insert(op.method.into(), o);
    }
    let mut params: Vec<Value> = path_params(item, &kind.kind)
        .into_iter()
        .map(|(name, description)| {
            json!({"name": name, "in": "path", "description": description, "required": true,
                "schema": {"type": "string", "uniqueItems": true}})
        })
        .collect();
    params.push(v3_param(&PRETTY));
    out.insert("parameters".into(), json!(params));
    Value::Object(out)
}

fn patch_definition() -> Value {
    json!({"description": "Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.",
        "type": "object"})
}

/// The Swagger 2.0 document of every served kind.
pub fn v2_document(kinds: &[Kind]) -> Value {
    let all: Vec<&Kind> = kinds.iter().collect();
    let mut definitions: Map<String, Value> = definitions_for(&all).into_iter().collect();
    definitions.insert(format!("{META}Patch"), patch_definition());
    // As the API server publishes a CRD that preserves unknown fields in v2: without properties,
    // so clients validating from v2 (kubectl 1.20) take it as arbitrary, not as a closed object.
    for kind in kinds {
        if let Some(def) = definitions
            .get_mut(&definition_name(kind))
            .and_then(Value::as_object_mut)
            .filter(|d| d.get("x-kubernetes-preserve-unknown-fields") == Some(&json!(true)))
        {
            def.remove("properties");
        }
    }
    let mut paths = Map::new();
    for kind in kinds {
        for item in kind_paths(kind) {
            let v = v2_path(&item, kind);
            paths.insert(item.path, v);
        }
    }
    json!({
        "swagger": "2.0",
        "info": {"title": "Kubernetes", "version": crate::discovery::GIT_VERSION},
        "paths": paths,
        "definitions": definitions,
        "securityDefinitions": {"BearerToken": {"description": "Bearer Token authentication",
            "type": "apiKey", "name": "authorization", "in": "header"}},
        "security": [{"BearerToken": []}],
    })
}

/// A v2 schema in OpenAPI 3 form: `$ref`s into `#/components/schemas/`, and a `$ref` with
/// siblings (a field's description) wrapped in `allOf`, as the API server publishes them.
fn to_v3(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut out = Map::new();
            let mut reference = None;
            for (k, child) in m {
                match (k.as_str(), child) {
                    ("$ref", Value::String(r)) => {
                        reference = Some(r.replace("#/definitions/", "#/components/schemas/"))
                    }
                    _ => {
                        out.insert(k.clone(), to_v3(child));
                    }
                }
            }
            match reference {
                Some(r) if out.is_empty() => json!({"$ref": r}),
                Some(r) => {
                    out.insert("allOf".into(), json!([{"$ref": r}]));
                    if out.contains_key("description") && !out.contains_key("default") {
                        out.insert("default".into(), json!({}));
                    }
                    Value::Object(out)
                }
                None => Value::Object(out),
            }
        }
        Value::Array(a) => Value::Array(a.iter().map(to_v3).collect()),
        other => other.clone(),
    }
}

/// The OpenAPI 3.0 document of one group version, `None` when nothing of it is served.
pub fn v3_document(kinds: &[Kind], group: &str, version: &str) -> Option<Value> {
    let served: Vec<&Kind> = kinds
        .iter()
        .filter(|k| k.group == group && k.version == version)
        .collect();
    if served.is_empty() {
        return None;
    }
    let mut schemas: Map<String, Value> = definitions_for(&served)
        .iter()
        .map(|(name, def)| (name.clone(), to_v3(def)))
        .collect();
    schemas.insert(format!("{META}Patch"), patch_definition());
    let mut paths = Map::new();
    for kind in &served {
        for item in kind_paths(kind) {
            let v = v3_path(&item, kind);
            paths.insert(item.path, v);
        }
    }
    Some(json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": crate::discovery::GIT_VERSION},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"BearerToken": {"type": "apiKey", "description": "Bearer Token authentication", "name": "authorization", "in": "header"}},
        },
    }))
}

/// The `?hash=` of a document: the upper-case hex SHA-512 of its JSON, as the API server's.
fn hash(doc: &[u8]) -> String {
    Sha512::digest(doc)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect()
}

/// The `/openapi/v3` index: each served group version's path with its `serverRelativeURL`.
pub fn v3_index(kinds: &[Kind]) -> Value {
    let mut paths = Map::new();
    let mut seen = BTreeSet::new();
    for (group, version) in group_versions(kinds) {
        let key = if group.is_empty() {
            format!("api/{version}")
        } else {
            format!("apis/{group}/{version}")
        };
        if !seen.insert(key.clone()) {
            continue;
        }
        if let Some(doc) = v3_bytes(kinds, &group, &version) {
            let url = format!("/openapi/v3/{key}?hash={}", hash(&doc));
            paths.insert(key, json!({"serverRelativeURL": url}));
        }
    }
    json!({"paths": paths})
}
