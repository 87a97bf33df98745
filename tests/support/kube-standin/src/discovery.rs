//! `/version`, discovery and the OpenAPI documents, answered as a Kubernetes 1.32 API server
//! answers them: legacy discovery (`APIVersions`, `APIGroupList`, `APIGroup`, `APIResourceList`
//! with verbs, subresources, short names, categories and storage version hashes) and aggregated
//! discovery (`apidiscovery.k8s.io/v2` `APIGroupDiscoveryList`, when the `Accept` header asks
//! for it), `/openapi/v2` and `/openapi/v3` (see [`crate::openapi`]).

use std::collections::HashMap;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::openapi;
use crate::store::{short_names_and_categories, Kind};

/// The version the stand-in reports (`kubectl version`).
pub const GIT_VERSION: &str = "v1.32.0-skel-standin";

/// A non-resource answer: status code, content type and body.
pub(crate) struct Doc {
    pub code: u16,
    pub content_type: String,
    pub body: Vec<u8>,
    /// Other response headers (`Etag`, `Cache-Control`, `Location`, …).
    pub headers: Vec<(&'static str, String)>,
}

impl Doc {
    pub(crate) fn json(value: &Value) -> Doc {
        Doc::typed(value, "application/json")
    }

    fn typed(value: &Value, content_type: &str) -> Doc {
        Doc {
            code: 200,
            content_type: content_type.to_string(),
            body: value.to_string().into_bytes(),
            headers: Vec::new(),
        }
    }

    /// A `Status` error body.
    pub(crate) fn status(code: u16, reason: &str, message: &str) -> Doc {
        let mut status = json!({"kind": "Status", "apiVersion": "v1", "metadata": {},
            "status": "Failure", "message": message, "reason": reason, "code": code});
        if reason.is_empty() {
            // An error that is not an API status (a 500): the server sends no reason.
            status.as_object_mut().map(|m| m.remove("reason"));
        }
        Doc {
            code,
            ..Doc::json(&status)
        }
    }
}

/// The answer to a GET of `/version`, a discovery path or an OpenAPI path; `None` for every
/// other request (resource paths, which the store answers).
pub(crate) fn serve(
    kinds: &[Kind],
    method: &str,
    path: &[&str],
    query: &HashMap<String, String>,
    accept: &str,
) -> Option<Doc> {
    if method != "GET" {
        return None;
    }
    match path {
        ["version"] => Some(Doc::json(&version())),
        ["openapi", ..] => openapi::serve(kinds, &path[1..], query, accept),
        ["api"] | ["apis"] if aggregated(accept).is_some() => {
            let v = aggregated(accept).unwrap_or("v2");
            let core = path == ["api"];
            let list = aggregated_list(kinds, core, v);
            Some(Doc::typed(
                &list,
                &format!("application/json;g=apidiscovery.k8s.io;v={v};as=APIGroupDiscoveryList"),
            ))
        }
        ["api"] => Some(Doc::json(
            &json!({"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]}),
        )),
        ["api", "v1"] => resource_list(kinds, "", "v1").map(|l| Doc::json(&l)),
        ["apis"] => {
            let groups: Vec<Value> = groups(kinds).iter().map(|g| api_group(kinds, g)).collect();
            Some(Doc::json(
                &json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}),
            ))
        }
        ["apis", group] => groups(kinds)
            .contains(&group.to_string())
            .then(|| Doc::json(&api_group(kinds, group))),
        ["apis", group, version] => resource_list(kinds, group, version).map(|l| Doc::json(&l)),
        _ => None,
    }
}

/// The `/version` document.
pub fn version() -> Value {
    json!({"major": "1", "minor": "32", "gitVersion": GIT_VERSION,
        "gitCommit": "0000000000000000000000000000000000000000", "gitTreeState": "clean",
        "buildDate": "2024-12-11T00:00:00Z", "goVersion": "go1.23.3", "compiler": "gc",
        "platform": "linux/amd64"})
}

/// The aggregated discovery version the `Accept` header asks for (`v2`, or `v2beta1`, which a
/// 1.32 server still serves), if it asks for one.
fn aggregated(accept: &str) -> Option<&'static str> {
    accept.split(',').find_map(|media| {
        let mut parts = media.split(';').map(str::trim);
        if parts.next() != Some("application/json") {
            return None;
        }
        let params: Vec<(&str, &str)> = parts.filter_map(|p| p.split_once('=')).collect();
        let has = |k: &str, v: &str| params.iter().any(|(pk, pv)| *pk == k && *pv == v);
        if !has("g", "apidiscovery.k8s.io") || !has("as", "APIGroupDiscoveryList") {
            return None;
        }
        if has("v", "v2") {
            Some("v2")
        } else if has("v", "v2beta1") {
            Some("v2beta1")
        } else {
            None
        }
    })
}

/// The non-core groups, in the order of the registry.
fn groups(kinds: &[Kind]) -> Vec<String> {
    let mut groups: Vec<String> = Vec::new();
    for k in kinds.iter().filter(|k| !k.group.is_empty()) {
        if !groups.contains(&k.group) {
            groups.push(k.group.clone());
        }
    }
    groups
}

/// The versions of a group, in the order of the registry (the first is the preferred one).
fn versions(kinds: &[Kind], group: &str) -> Vec<String> {
    let mut versions: Vec<String> = Vec::new();
    for k in kinds.iter().filter(|k| k.group == group) {
        if !versions.contains(&k.version) {
            versions.push(k.version.clone());
        }
    }
    versions
}

fn api_group(kinds: &[Kind], group: &str) -> Value {
    let versions: Vec<Value> = versions(kinds, group)
        .iter()
        .map(|v| json!({"groupVersion": format!("{group}/{v}"), "version": v}))
        .collect();
    json!({"kind": "APIGroup", "apiVersion": "v1", "name": group,
        "versions": versions, "preferredVersion": versions.first().cloned().unwrap_or_default()})
}

/// The verbs a 1.32 server allows on a resource.
pub fn verbs(group: &str, plural: &str) -> &'static [&'static str] {
    match (group, plural) {
        ("", "namespaces") => &[
            "create", "delete", "get", "list", "patch", "update", "watch",
        ],
        _ => &[
            "create",
            "delete",
            "deletecollection",
            "get",
            "list",
            "patch",
            "update",
            "watch",
        ],
    }
}

/// A subresource as a 1.32 server lists it.
#[derive(Clone, Debug)]
pub struct Subresource {
    pub name: &'static str,
    /// The kind it answers with: `None` for the parent's own kind.
    pub kind: Option<(&'static str, &'static str, &'static str)>,
    pub verbs: &'static [&'static str],
}

const GPU: &[&str] = &["get", "patch", "update"];
const PROXY: &[&str] = &["create", "delete", "get", "patch", "update"];
const CG: &[&str] = &["create", "get"];
const SCALE: Option<(&str, &str, &str)> = Some(("autoscaling", "v1", "Scale"));

/// The subresources a 1.32 server has for a resource (none for custom kinds, whose definitions
/// declare none here).
pub fn subresources(group: &str, plural: &str) -> Vec<Subresource> {
    let sub = |name, kind, verbs| Subresource { name, kind, verbs };
    let status = sub("status", None, GPU);
    let core = |kind| Some(("", "v1", kind));
    match (group, plural) {
        ("", "namespaces") => vec![sub("finalize", None, &["update"]), status],
        ("", "pods") => vec![
            sub("attach", core("PodAttachOptions"), CG),
            sub("binding", core("Binding"), &["create"]),
            sub("ephemeralcontainers", None, GPU),
            sub("eviction", Some(("policy", "v1", "Eviction")), &["create"]),
            sub("exec", core("PodExecOptions"), CG),
            sub("log", None, &["get"]),
            sub("portforward", core("PodPortForwardOptions"), CG),
            sub("proxy", core("PodProxyOptions"), PROXY),
            status,
        ],
        ("", "services") => vec![sub("proxy", core("ServiceProxyOptions"), PROXY), status],
        ("", "nodes") => vec![sub("proxy", core("NodeProxyOptions"), PROXY), status],
        ("", "serviceaccounts") => vec![sub(
            "token",
            Some(("authentication.k8s.io", "v1", "TokenRequest")),
            &["create"],
        )],
        ("", "replicationcontrollers")
        | ("apps", "deployments" | "replicasets" | "statefulsets") => {
            vec![sub("scale", SCALE, GPU), status]
        }
        ("", "persistentvolumeclaims" | "persistentvolumes")
        | ("apps", "daemonsets")
        | ("batch", "jobs" | "cronjobs")
        | ("networking.k8s.io", "ingresses")
        | ("autoscaling", "horizontalpodautoscalers") => vec![status],
        _ => Vec::new(),
    }
}

/// `base64(sha256("group/version/Kind")[..8])`, the hash a 1.32 server reports for a
/// resource's storage version.
pub fn storage_version_hash(kind: &Kind) -> String {
    use base64::Engine;
    let digest = Sha256::digest(format!("{}/{}/{}", kind.group, kind.version, kind.kind));
    base64::engine::general_purpose::STANDARD.encode(&digest[..8])
}

/// The legacy `APIResourceList` of a group version, resources sorted by name with their
/// subresources after them.
pub fn resource_list(kinds: &[Kind], group: &str, version: &str) -> Option<Value> {
    let mut served: Vec<&Kind> = kinds
        .iter()
        .filter(|k| k.group == group && k.version == version)
        .collect();
    if served.is_empty() {
        return None;
    }
    served.sort_by(|a, b| a.plural.cmp(&b.plural));
    let mut resources = Vec::new();
    for k in served {
        let mut resource = json!({
            "name": k.plural,
            "singularName": k.kind.to_lowercase(),
            "namespaced": k.namespaced,
            "kind": k.kind,
            "verbs": verbs(&k.group, &k.plural),
        });
        let (short_names, categories) = short_names_and_categories(&k.group, &k.plural);
        if !short_names.is_empty() {
            resource["shortNames"] = json!(short_names);
        }
        if !categories.is_empty() {
            resource["categories"] = json!(categories);
        }
        resource["storageVersionHash"] = json!(storage_version_hash(k));
        resources.push(resource);
        for s in subresources(&k.group, &k.plural) {
            let mut entry = json!({"name": format!("{}/{}", k.plural, s.name),
                "singularName": "", "namespaced": k.namespaced});
            match s.kind {
                Some((g, v, kind)) if g != k.group || v != k.version => {
                    entry["group"] = json!(g);
                    entry["version"] = json!(v);
                    entry["kind"] = json!(kind);
                }
                Some((_, _, kind)) => entry["kind"] = json!(kind),
                None => entry["kind"] = json!(k.kind),
            }
            entry["verbs"] = json!(s.verbs);
            resources.push(entry);
        }
    }
    let gv = Kind::new(group, version, "", "", false).api_version();
    let mut list = json!({"kind": "APIResourceList", "groupVersion": gv, "resources": resources});
    if !group.is_empty() {
        // A real server's core list (`/api/v1`) carries no apiVersion; the groups' lists do.
        list["apiVersion"] = json!("v1");
    }
    Some(list)
}

/// The aggregated discovery document of `/api` (`core`) or `/apis`.
pub fn aggregated_list(kinds: &[Kind], core: bool, version: &str) -> Value {
    let names: Vec<String> = if core {
        vec![String::new()]
    } else {
        groups(kinds)
    };
    let items: Vec<Value> = names
        .iter()
        .filter(|g| kinds.iter().any(|k| &k.group == *g))
        .map(|group| {
            let versions: Vec<Value> = versions(kinds, group)
                .iter()
                .map(|v| {
                    let mut served: Vec<&Kind> = kinds
                        .iter()
                        .filter(|k| &k.group == group && &k.version == v)
                        .collect();
                    served.sort_by(|a, b| a.plural.cmp(&b.plural));
                    let resources: Vec<Value> =
                        served.into_iter().map(aggregated_resource).collect();
                    json!({"version": v, "resources": resources, "freshness": "Current"})
                })
                .collect();
            let mut metadata = json!({"creationTimestamp": null});
            if !group.is_empty() {
                metadata["name"] = json!(group);
            }
            json!({"metadata": metadata, "versions": versions})
        })
        .collect();
    json!({"kind": "APIGroupDiscoveryList",
        "apiVersion": format!("apidiscovery.k8s.io/{version}"),
        "metadata": {}, "items": items})
}

fn aggregated_resource(k: &Kind) -> Value {
    let gvk = |g: &str, v: &str, kind: &str| json!({"group": g, "version": v, "kind": kind});
    let mut resource = json!({
        "resource": k.plural,
        "responseKind": gvk(&k.group, &k.version, &k.kind),
        "scope": if k.namespaced { "Namespaced" } else { "Cluster" },
        "singularResource": k.kind.to_lowercase(),
        "verbs": verbs(&k.group, &k.plural),
    });
    let (short_names, categories) = short_names_and_categories(&k.group, &k.plural);
    if !short_names.is_empty() {
        resource["shortNames"] = json!(short_names);
    }
    if !categories.is_empty() {
        resource["categories"] = json!(categories);
    }
    let subs: Vec<Value> = subresources(&k.group, &k.plural)
        .into_iter()
        .map(|s| {
            let kind = match s.kind {
                Some((g, v, kind)) => gvk(g, v, kind),
                None => gvk(&k.group, &k.version, &k.kind),
            };
            json!({"subresource": s.name, "responseKind": kind, "verbs": s.verbs})
        })
        .collect();
    if !subs.is_empty() {
        resource["subresources"] = json!(subs);
    }
    resource
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_accept_header_selects_aggregated_discovery() {
        let kubectl = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
        assert_eq!(aggregated(kubectl), Some("v2"));
        assert_eq!(
            aggregated(
                "application/json; g=apidiscovery.k8s.io; v=v2beta1; as=APIGroupDiscoveryList"
            ),
            Some("v2beta1")
        );
        assert_eq!(aggregated("application/json, */*"), None);
        assert_eq!(aggregated(""), None);
    }

    #[test]
    fn storage_version_hashes_are_a_real_servers() {
        // What a 1.32 cluster reports for deployments and config maps.
        let deploy = Kind::new("apps", "v1", "Deployment", "deployments", true);
        assert_eq!(storage_version_hash(&deploy), "8aSe+NMegvE=");
        let cm = Kind::new("", "v1", "ConfigMap", "configmaps", true);
        assert_eq!(storage_version_hash(&cm), "qFsyl6wFWjQ=");
    }
}
