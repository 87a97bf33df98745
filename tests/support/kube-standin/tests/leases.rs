//! The stand-in's Leases (`coordination.k8s.io/v1`, the `kubernetes` state backend's lock) with
//! a real API server's resourceVersion conflicts, delete preconditions, the Secret size limit,
//! and discovery's `shortNames` / `categories` (checked with the real `kubectl` when it is
//! installed).

use serde_json::{json, Value};
use skel_kube_standin::client::request;

const JSON: &str = "application/json";
const LEASES: &str = "/apis/coordination.k8s.io/v1/namespaces/default/leases";

fn call(url: &str, method: &str, path: &str, body: Value) -> (u16, Value) {
    let body = if body.is_null() {
        String::new()
    } else {
        body.to_string()
    };
    request(url, method, path, JSON, &body).expect("request")
}

fn lease(holder: &str) -> Value {
    json!({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
        "metadata": {"name": "lock-tfstate-default-app"},
        "spec": {"holderIdentity": holder, "leaseDurationSeconds": 60,
            "acquireTime": "2026-12-01T10:00:00.000000Z",
            "renewTime": "2026-12-01T10:00:00.000000Z"}})
}

#[test]
fn leases_conflict_as_on_a_real_api_server() {
    let s = skel_kube_standin::start().expect("start");
    let url = s.url();
    let (code, created) = call(url, "POST", LEASES, lease("a"));
    assert_eq!(code, 201, "{created}");
    let rv = created["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();

    // Create of an existing name.
    let (code, status) = call(url, "POST", LEASES, lease("b"));
    assert_eq!(
        (code, status["reason"].as_str()),
        (409, Some("AlreadyExists"))
    );

    // Update with the current version, then again with the now stale one.
    let path = format!("{LEASES}/lock-tfstate-default-app");
    let mut update = created.clone();
    update["spec"]["holderIdentity"] = json!("b");
    let (code, updated) = call(url, "PUT", &path, update.clone());
    assert_eq!(code, 200, "{updated}");
    assert_eq!(updated["spec"]["holderIdentity"], "b");
    let new_rv = updated["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(new_rv, rv);
    update["spec"]["holderIdentity"] = json!("c");
    let (code, status) = call(url, "PUT", &path, update);
    assert_eq!((code, status["reason"].as_str()), (409, Some("Conflict")));
    assert!(status["message"]
        .as_str()
        .unwrap()
        .contains("the object has been modified"));

    // Delete with a stale resourceVersion precondition: refused, the Lease stays.
    let (code, status) = call(
        url,
        "DELETE",
        &path,
        json!({"preconditions": {"resourceVersion": rv}}),
    );
    assert_eq!((code, status["reason"].as_str()), (409, Some("Conflict")));
    assert!(status["message"]
        .as_str()
        .unwrap()
        .contains("Precondition failed: ResourceVersion in precondition"));
    let (code, kept) = call(url, "GET", &path, Value::Null);
    assert_eq!(
        (code, kept["spec"]["holderIdentity"].clone()),
        (200, json!("b"))
    );

    // With the current one: deleted.
    let (code, _) = call(
        url,
        "DELETE",
        &path,
        json!({"preconditions": {"resourceVersion": new_rv}}),
    );
    assert_eq!(code, 200);
    let (code, _) = call(url, "GET", &path, Value::Null);
    assert_eq!(code, 404);

    // Listed by label, like every kind.
    let mut labelled = lease("d");
    labelled["metadata"]["labels"] = json!({"tfstate": "true"});
    assert_eq!(call(url, "POST", LEASES, labelled).0, 201);
    let (_, list) = call(
        url,
        "GET",
        &format!("{LEASES}?labelSelector=tfstate%3Dtrue"),
        Value::Null,
    );
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1), "{list}");
}

#[test]
fn a_secret_over_one_mebibyte_is_refused() {
    use base64::Engine;
    let s = skel_kube_standin::start().expect("start");
    let secret = |n: usize| {
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": format!("s{n}")},
            "data": {"blob": base64::engine::general_purpose::STANDARD.encode(vec![7u8; n])}})
    };
    let path = "/api/v1/namespaces/default/secrets";
    let limit = 1024 * 1024;
    assert_eq!(call(s.url(), "POST", path, secret(limit)).0, 201);
    let (code, status) = call(s.url(), "POST", path, secret(limit + 1));
    assert_eq!((code, status["reason"].as_str()), (422, Some("Invalid")));
    assert!(status["message"]
        .as_str()
        .unwrap()
        .contains("Too long: must have at most 1048576 bytes"));
}

#[test]
fn discovery_reports_short_names_and_categories() {
    let s = skel_kube_standin::start().expect("start");
    let resource = |path: &str, name: &str| -> Value {
        let (_, list) = call(s.url(), "GET", path, Value::Null);
        list["resources"]
            .as_array()
            .and_then(|r| r.iter().find(|r| r["name"] == name))
            .cloned()
            .unwrap_or_else(|| panic!("{name} in {path}: {list}"))
    };
    let deployments = resource("/apis/apps/v1", "deployments");
    assert_eq!(deployments["shortNames"], json!(["deploy"]));
    assert_eq!(deployments["categories"], json!(["all"]));
    let services = resource("/api/v1", "services");
    assert_eq!(services["shortNames"], json!(["svc"]));
    assert_eq!(services["categories"], json!(["all"]));
    let namespaces = resource("/api/v1", "namespaces");
    assert_eq!(namespaces["shortNames"], json!(["ns"]));
    assert!(namespaces.get("categories").is_none(), "{namespaces}");
    assert_eq!(
        resource("/api/v1", "configmaps")["shortNames"],
        json!(["cm"])
    );
    assert_eq!(
        resource("/api/v1", "serviceaccounts")["shortNames"],
        json!(["sa"])
    );
    let leases = resource("/apis/coordination.k8s.io/v1", "leases");
    assert_eq!(leases["namespaced"], json!(true));
    assert!(leases.get("shortNames").is_none(), "{leases}");
    let (_, groups) = call(s.url(), "GET", "/apis", Value::Null);
    assert!(groups["groups"]
        .as_array()
        .is_some_and(|g| g.iter().any(|g| g["name"] == "coordination.k8s.io")));
}

/// The kubectl to check with: the one on PATH, else Debian's `kubernetes-client`, fetched by
/// `scripts/kubectl-install` into target/ (a missing kubectl is a failure, not a skip).
fn kubectl_path() -> String {
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../scripts/kubectl-install");
    let out = std::process::Command::new(&script)
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e}", script.display()));
    assert!(
        out.status.success(),
        "no kubectl: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// `kubectl get deploy,svc,ns` and `kubectl get all` through a real kubectl.
#[test]
fn kubectl_resolves_short_names_and_the_all_category() {
    let kubectl_bin = kubectl_path();
    let version = std::process::Command::new(&kubectl_bin)
        .args(["version", "--client"])
        .output()
        .expect("kubectl runs");
    assert!(version.status.success());
    let s = skel_kube_standin::start().expect("start");
    // Removed when the test ends, passed or failed.
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().to_path_buf();
    let kubeconfig = dir.join("kubeconfig");
    s.write_kubeconfig(&kubeconfig, None).unwrap();
    let deploy = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "nginx"}]}}}});
    assert_eq!(
        call(
            s.url(),
            "POST",
            "/apis/apps/v1/namespaces/default/deployments",
            deploy
        )
        .0,
        201
    );
    let svc = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
        "spec": {"ports": [{"port": 80}], "selector": {"app": "web"}}});
    assert_eq!(
        call(s.url(), "POST", "/api/v1/namespaces/default/services", svc).0,
        201
    );
    let kubectl = |args: &[&str]| {
        let out = std::process::Command::new(&kubectl_bin)
            .args(args)
            .env("KUBECONFIG", &kubeconfig)
            .env("HOME", &dir)
            .output()
            .expect("kubectl runs");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "kubectl {args:?}: {stdout}\n{stderr}");
        stdout
    };
    let listed = kubectl(&["get", "deploy,svc,ns", "-o", "name"]);
    for name in [
        "deployment.apps/web",
        "service/web",
        "namespace/default",
        "namespace/kube-system",
    ] {
        assert!(listed.lines().any(|l| l == name), "{name} in:\n{listed}");
    }
    let all = kubectl(&["get", "all", "-o", "name"]);
    assert!(
        all.contains("deployment.apps/web") && all.contains("service/web"),
        "{all}"
    );
    assert!(
        !all.contains("namespace/"),
        "namespaces are not in `all`: {all}"
    );
    let leases = kubectl(&[
        "api-resources",
        "--api-group=coordination.k8s.io",
        "-o",
        "name",
    ]);
    assert!(leases.contains("leases.coordination.k8s.io"), "{leases}");
}
