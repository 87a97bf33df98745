//! The stand-in's own behaviour: discovery, CRUD with resourceVersion, Status bodies, merge
//! patch, server-side apply (ownership, conflicts, force, field removal), dryRun, namespace
//! termination, rollout and load-balancer simulation, 401/403.

use std::time::Duration;

use serde_json::{json, Value};
use skel_kube_standin::client::request;

const APPLY: &str = "application/apply-patch+yaml";
const JSON: &str = "application/json";
const MERGE: &str = "application/merge-patch+json";
const CM: &str = "/api/v1/namespaces/default/configmaps";
const DEPLOY: &str = "/apis/apps/v1/namespaces/default/deployments";

fn call(url: &str, method: &str, path: &str, ct: &str, body: Value) -> (u16, Value) {
    let body = if body.is_null() {
        String::new()
    } else {
        body.to_string()
    };
    request(url, method, path, ct, &body).expect("request")
}

fn deployment(image: &str, replicas: i64) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": image}]}}}})
}

#[test]
fn discovery_lists_kinds_with_scope() {
    let s = skel_kube_standin::start().expect("start");
    let (code, v1) = call(s.url(), "GET", "/api/v1", JSON, Value::Null);
    assert_eq!(code, 200);
    let ns = v1["resources"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["name"] == "namespaces"))
        .cloned();
    assert_eq!(ns.map(|n| n["namespaced"].clone()), Some(json!(false)));
    let (_, apps) = call(s.url(), "GET", "/apis/apps/v1", JSON, Value::Null);
    assert_eq!(apps["resources"][0]["kind"], "Deployment");
    let (_, groups) = call(s.url(), "GET", "/apis", JSON, Value::Null);
    assert!(groups["groups"]
        .as_array()
        .is_some_and(|g| g.iter().any(|g| g["name"] == "skel.dev")));
    let (code, status) = call(
        s.url(),
        "GET",
        "/apis/nope.dev/v1/things",
        JSON,
        Value::Null,
    );
    assert_eq!((code, status["kind"].clone()), (404, json!("Status")));
}

#[test]
fn crud_with_resource_version_and_status_bodies() {
    let s = skel_kube_standin::start().expect("start");
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "1"}});
    let (code, created) = call(s.url(), "POST", CM, JSON, cm.clone());
    assert_eq!(code, 201);
    let rv = created["metadata"]["resourceVersion"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let (code, dup) = call(s.url(), "POST", CM, JSON, cm.clone());
    assert_eq!((code, dup["reason"].clone()), (409, json!("AlreadyExists")));
    let mut updated = created.clone();
    updated["data"]["a"] = json!("2");
    let (code, after) = call(s.url(), "PUT", &format!("{CM}/c"), JSON, updated.clone());
    assert_eq!(code, 200);
    assert_ne!(after["metadata"]["resourceVersion"], json!(rv));
    let (code, stale) = call(s.url(), "PUT", &format!("{CM}/c"), JSON, updated);
    assert_eq!((code, stale["reason"].clone()), (409, json!("Conflict")));
    assert!(stale["message"]
        .as_str()
        .unwrap_or("")
        .contains("the object has been modified"));
    let (code, _) = call(
        s.url(),
        "PATCH",
        &format!("{CM}/c"),
        MERGE,
        json!({"data": {"a": null, "b": "x"}}),
    );
    assert_eq!(code, 200);
    let (_, got) = call(s.url(), "GET", &format!("{CM}/c"), JSON, Value::Null);
    assert_eq!(got["data"], json!({"b": "x"}));
    let (code, _) = call(s.url(), "DELETE", &format!("{CM}/c"), JSON, Value::Null);
    assert_eq!(code, 200);
    let (code, missing) = call(s.url(), "GET", &format!("{CM}/c"), JSON, Value::Null);
    assert_eq!(code, 404);
    assert_eq!(missing["message"], "configmaps \"c\" not found");
    assert_eq!(missing["details"]["name"], "c");
    let bad = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "Bad_Name"}});
    let (code, invalid) = call(s.url(), "POST", CM, JSON, bad);
    assert_eq!((code, invalid["reason"].clone()), (422, json!("Invalid")));
}

#[test]
fn server_side_apply_owns_conflicts_forces_and_removes() {
    let s = skel_kube_standin::start().expect("start");
    let path = format!("{DEPLOY}/web?fieldManager=skel");
    let mut intent = deployment("nginx:1.27", 2);
    intent["metadata"]["labels"] = json!({"team": "a", "tier": "web"});
    let (code, obj) = call(s.url(), "PATCH", &path, APPLY, intent.clone());
    assert_eq!(code, 201, "{obj}");
    assert_eq!(obj["metadata"]["managedFields"][0]["manager"], "skel");
    assert_eq!(obj["spec"]["strategy"]["type"], "RollingUpdate");
    // Another manager changes replicas: it now owns them, and skel's apply conflicts.
    let (code, _) = call(
        s.url(),
        "PATCH",
        &format!("{DEPLOY}/web?fieldManager=kubectl-edit"),
        MERGE,
        json!({"spec": {"replicas": 5}}),
    );
    assert_eq!(code, 200);
    let (code, conflict) = call(s.url(), "PATCH", &path, APPLY, intent.clone());
    assert_eq!(code, 409);
    assert_eq!(
        conflict["message"],
        "Apply failed with 1 conflict: conflict with \"kubectl-edit\" using apps/v1: .spec.replicas"
    );
    assert_eq!(conflict["details"]["causes"][0]["field"], ".spec.replicas");
    // dryRun with force shows the result without storing it.
    let (code, dry) = call(
        s.url(),
        "PATCH",
        &format!("{path}&force=true&dryRun=All"),
        APPLY,
        intent.clone(),
    );
    assert_eq!((code, dry["spec"]["replicas"].clone()), (200, json!(2)));
    let (_, live) = call(s.url(), "GET", &format!("{DEPLOY}/web"), JSON, Value::Null);
    assert_eq!(live["spec"]["replicas"], 5);
    // Force takes ownership back; dropping a label removes it.
    intent["metadata"]["labels"] = json!({"team": "a"});
    let (code, forced) = call(
        s.url(),
        "PATCH",
        &format!("{path}&force=true"),
        APPLY,
        intent.clone(),
    );
    assert_eq!(code, 200, "{forced}");
    assert_eq!(forced["spec"]["replicas"], 2);
    assert_eq!(forced["metadata"]["labels"], json!({"team": "a"}));
    assert_eq!(forced["metadata"]["generation"], 3);
    // Applying the same intent again changes nothing.
    let (_, again) = call(s.url(), "PATCH", &path, APPLY, intent);
    assert_eq!(
        again["metadata"]["resourceVersion"],
        forced["metadata"]["resourceVersion"]
    );
}

#[test]
fn rollout_and_failure_are_simulated() {
    let s = skel_kube_standin::start().expect("start");
    let (_, obj) = call(
        s.url(),
        "PATCH",
        &format!("{DEPLOY}/web?fieldManager=skel"),
        APPLY,
        deployment("nginx", 3),
    );
    assert!(obj["status"]["observedGeneration"].is_null());
    std::thread::sleep(Duration::from_millis(300));
    let (_, ready) = call(s.url(), "GET", &format!("{DEPLOY}/web"), JSON, Value::Null);
    assert_eq!(ready["status"]["availableReplicas"], 3);
    assert_eq!(ready["status"]["observedGeneration"], 1);
    call(
        s.url(),
        "PATCH",
        &format!("{DEPLOY}/web?fieldManager=skel"),
        APPLY,
        deployment("fail:broken", 3),
    );
    std::thread::sleep(Duration::from_millis(300));
    let (_, failed) = call(s.url(), "GET", &format!("{DEPLOY}/web"), JSON, Value::Null);
    assert_eq!(
        failed["status"]["conditions"][1]["reason"],
        "ProgressDeadlineExceeded"
    );
}

#[test]
fn services_namespaces_and_auth() {
    let s = skel_kube_standin::start().expect("start");
    let svc = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "lb"},
        "spec": {"type": "LoadBalancer", "selector": {"app": "web"}, "ports": [{"port": 80}]}});
    let (code, obj) = call(
        s.url(),
        "PATCH",
        "/api/v1/namespaces/default/services/lb?fieldManager=skel",
        APPLY,
        svc,
    );
    assert_eq!(code, 201);
    assert!(obj["spec"]["clusterIP"].is_string());
    assert!(obj["spec"]["ports"][0]["nodePort"].is_number());
    assert_eq!(obj["spec"]["ports"][0]["targetPort"], 80);
    std::thread::sleep(Duration::from_millis(300));
    let (_, lb) = call(
        s.url(),
        "GET",
        "/api/v1/namespaces/default/services/lb",
        JSON,
        Value::Null,
    );
    assert_eq!(
        lb["status"]["loadBalancer"]["ingress"][0]["ip"],
        "203.0.113.10"
    );

    let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}});
    assert_eq!(call(s.url(), "POST", "/api/v1/namespaces", JSON, ns).0, 201);
    let (_, deleting) = call(
        s.url(),
        "DELETE",
        "/api/v1/namespaces/team",
        JSON,
        Value::Null,
    );
    assert_eq!(deleting["status"]["phase"], "Terminating");
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(
        call(s.url(), "GET", "/api/v1/namespaces/team", JSON, Value::Null).0,
        404
    );

    s.set_forbidden(true);
    let (code, denied) = call(s.url(), "GET", CM, JSON, Value::Null);
    assert_eq!((code, denied["reason"].clone()), (403, json!("Forbidden")));
    s.set_forbidden(false);
    s.set_token(Some("secret"));
    assert_eq!(call(s.url(), "GET", CM, JSON, Value::Null).0, 401);
}

#[test]
fn secret_type_and_immutable_flags_cannot_change() {
    let s = skel_kube_standin::start().expect("start");
    let secrets = "/api/v1/namespaces/default/secrets";
    let secret = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
        "data": {"k": "dg=="}, "immutable": true});
    assert_eq!(call(s.url(), "POST", secrets, JSON, secret).0, 201);
    let path = format!("{secrets}/s");
    let (code, status) = call(
        s.url(),
        "PATCH",
        &path,
        MERGE,
        json!({"type": "skel.dev/x"}),
    );
    assert_eq!((code, status["reason"].clone()), (422, json!("Invalid")));
    assert_eq!(status["details"]["causes"][0]["field"], "type");
    let (code, status) = call(s.url(), "PATCH", &path, MERGE, json!({"immutable": false}));
    assert_eq!((code, status["reason"].clone()), (422, json!("Invalid")));
    assert_eq!(status["details"]["causes"][0]["field"], "immutable");
    let (code, status) = call(s.url(), "PATCH", &path, MERGE, json!({"immutable": null}));
    assert_eq!(
        (code, status["details"]["causes"][0]["field"].clone()),
        (422, json!("immutable"))
    );
    let (_, stored) = call(s.url(), "GET", &path, JSON, Value::Null);
    assert_eq!(
        (stored["type"].clone(), stored["immutable"].clone()),
        (json!("Opaque"), json!(true))
    );
}

#[test]
fn service_type_changes_wipe_what_the_new_type_cannot_have() {
    let s = skel_kube_standin::start().expect("start");
    let path = "/api/v1/namespaces/default/services/np";
    let svc = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "np"},
        "spec": {"type": "NodePort", "ports": [{"port": 80}]}});
    let (code, created) = call(
        s.url(),
        "POST",
        "/api/v1/namespaces/default/services",
        JSON,
        svc,
    );
    assert_eq!(code, 201);
    let node_port = created["spec"]["ports"][0]["nodePort"].clone();
    assert!(node_port.is_number());
    assert_eq!(created["spec"]["externalTrafficPolicy"], "Cluster");
    // A new node port on a ClusterIP service is rejected; the allocated ones left as they were
    // are wiped, as is the external traffic policy.
    let (code, status) = call(
        s.url(),
        "PATCH",
        path,
        MERGE,
        json!({"spec": {"type": "ClusterIP", "ports": [{"port": 80, "nodePort": 31999}]}}),
    );
    assert_eq!(
        (code, status["details"]["causes"][0]["field"].clone()),
        (422, json!("spec.ports[0].nodePort"))
    );
    let (code, status) = call(
        s.url(),
        "PATCH",
        path,
        MERGE,
        json!({"spec": {"type": "ClusterIP", "externalTrafficPolicy": "Local"}}),
    );
    assert_eq!(
        (code, status["details"]["causes"][0]["field"].clone()),
        (422, json!("spec.externalTrafficPolicy"))
    );
    let (code, changed) = call(
        s.url(),
        "PATCH",
        path,
        MERGE,
        json!({"spec": {"type": "ClusterIP"}}),
    );
    assert_eq!(code, 200, "{changed}");
    assert!(
        changed["spec"]["ports"][0]["nodePort"].is_null(),
        "{changed}"
    );
    assert!(
        changed["spec"]["externalTrafficPolicy"].is_null(),
        "{changed}"
    );
    assert_eq!(changed["spec"]["clusterIP"], created["spec"]["clusterIP"]);
    // A load balancer's ingress goes when it stops being one.
    let (code, _) = call(
        s.url(),
        "PATCH",
        path,
        MERGE,
        json!({"spec": {"type": "LoadBalancer"}}),
    );
    assert_eq!(code, 200);
    std::thread::sleep(Duration::from_millis(300));
    let (_, lb) = call(s.url(), "GET", path, JSON, Value::Null);
    assert_eq!(
        lb["status"]["loadBalancer"]["ingress"][0]["ip"],
        "203.0.113.10"
    );
    let (code, back) = call(
        s.url(),
        "PATCH",
        path,
        MERGE,
        json!({"spec": {"type": "ClusterIP"}}),
    );
    assert_eq!(code, 200);
    assert_eq!(back["status"], json!({"loadBalancer": {}}), "{back}");
}

#[test]
fn controllers_add_default_service_accounts_and_fill_tokens() {
    // A long delay, so that "not yet" holds however slow the machine is.
    let delay = Duration::from_millis(1000);
    let s = skel_kube_standin::start_with(skel_kube_standin::Options {
        settle_delay: delay,
        ..Default::default()
    })
    .expect("start");
    let later = || std::thread::sleep(delay * 2);
    let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}});
    assert_eq!(call(s.url(), "POST", "/api/v1/namespaces", JSON, ns).0, 201);
    let default_sa = "/api/v1/namespaces/team/serviceaccounts/default";
    // Like kube-controller-manager, the account comes a little after the namespace.
    assert_eq!(call(s.url(), "GET", default_sa, JSON, Value::Null).0, 404);
    later();
    let (code, sa) = call(s.url(), "GET", default_sa, JSON, Value::Null);
    assert_eq!(code, 200, "{sa}");
    assert_eq!(sa["metadata"]["namespace"], "team");

    let secrets = "/api/v1/namespaces/team/secrets";
    let token_secret = |name: &str, account: Option<&str>| {
        let annotations = match account {
            Some(a) => json!({"kubernetes.io/service-account.name": a}),
            None => json!({}),
        };
        json!({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/service-account-token",
            "metadata": {"name": name, "annotations": annotations}})
    };
    let (code, status) = call(s.url(), "POST", secrets, JSON, token_secret("bare", None));
    assert_eq!(code, 422, "{status}");
    assert!(status["message"]
        .as_str()
        .is_some_and(|m| m.contains("kubernetes.io/service-account.name")));

    // A secret naming a missing account waits for it; once it exists, the token is filled in.
    let (code, _) = call(
        s.url(),
        "POST",
        secrets,
        JSON,
        token_secret("robot-token", Some("robot")),
    );
    assert_eq!(code, 201);
    later();
    let path = format!("{secrets}/robot-token");
    let (_, waiting) = call(s.url(), "GET", &path, JSON, Value::Null);
    assert!(waiting["data"]["token"].is_null(), "{waiting}");
    let robot =
        json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "robot"}});
    let (code, robot) = call(
        s.url(),
        "POST",
        "/api/v1/namespaces/team/serviceaccounts",
        JSON,
        robot,
    );
    assert_eq!(code, 201);
    later();
    let (_, filled) = call(s.url(), "GET", &path, JSON, Value::Null);
    use base64::Engine;
    let decode = |v: &Value| {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(v.as_str().unwrap_or_default())
            .expect("base64");
        String::from_utf8(bytes).expect("utf-8")
    };
    assert!(
        decode(&filled["data"]["token"]).contains("robot"),
        "{filled}"
    );
    assert_eq!(decode(&filled["data"]["namespace"]), "team");
    assert_eq!(
        filled["metadata"]["annotations"]["kubernetes.io/service-account.uid"],
        robot["metadata"]["uid"]
    );
    assert!(filled["metadata"]["managedFields"]
        .as_array()
        .is_some_and(|m| m.iter().any(|f| f["manager"] == "kube-controller-manager")));
}
