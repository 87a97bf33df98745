//! Discovery, OpenAPI and server-side field validation as a Kubernetes 1.32 API server serves
//! them, checked with the real kubectl (`api-resources`, short names and `all`, `explain`,
//! `apply`/`create` validating on the server, strict field validation) and over plain HTTP
//! (the aggregated discovery and OpenAPI documents, `Warning` headers).

use serde_json::{json, Value};
use skel_kube_standin::client::{exchange, Answer};
use skel_kube_standin::kubectl::Kubectl;

const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.27
";

const SERVICE: &str = "apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
  - port: 80
";

const AGGREGATED: &str = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

fn http(base: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Answer {
    exchange(base, method, path, headers, body.as_bytes())
        .expect("an HTTP exchange with the stand-in")
}

fn get(base: &str, path: &str, accept: &str) -> Answer {
    http(base, "GET", path, &[("Accept", accept)], "")
}

fn write(dir: &std::path::Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write a manifest");
    path.display().to_string()
}

#[test]
fn api_resources_lists_names_short_names_scope_kinds_and_verbs() {
    let standin = skel_kube_standin::start().expect("start");
    let dir = tempfile::tempdir().expect("tempdir");
    let kubectl = Kubectl::for_standin(&standin, dir.path());
    let out = kubectl.ok(&["api-resources", "-o", "wide"]);
    let rows: Vec<Vec<&str>> = out
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    let row = |name: &str| {
        rows.iter()
            .find(|r| r.first() == Some(&name))
            .cloned()
            .unwrap_or_else(|| panic!("no {name} in\n{out}"))
    };
    let all = "create,delete,deletecollection,get,list,patch,update,watch";
    assert_eq!(
        row("deployments"),
        [
            "deployments",
            "deploy",
            "apps/v1",
            "true",
            "Deployment",
            all,
            "all"
        ]
    );
    assert_eq!(
        row("services"),
        ["services", "svc", "v1", "true", "Service", all, "all"]
    );
    assert_eq!(
        row("namespaces"),
        [
            "namespaces",
            "ns",
            "v1",
            "false",
            "Namespace",
            "create,delete,get,list,patch,update,watch"
        ]
    );
    assert_eq!(
        row("configmaps"),
        ["configmaps", "cm", "v1", "true", "ConfigMap", all]
    );
    assert_eq!(
        row("leases"),
        ["leases", "coordination.k8s.io/v1", "true", "Lease", all]
    );
    assert_eq!(
        row("clusterroles"),
        [
            "clusterroles",
            "rbac.authorization.k8s.io/v1",
            "false",
            "ClusterRole",
            all
        ]
    );
    // Subresources are not resource types: api-resources leaves them out.
    assert!(!out.contains("deployments/scale"), "{out}");
    let namespaced = kubectl.ok(&["api-resources", "--namespaced=false", "-o", "name"]);
    assert_eq!(
        namespaced.lines().collect::<Vec<_>>(),
        ["namespaces", "clusterroles.rbac.authorization.k8s.io"]
    );
}

#[test]
fn get_resolves_short_names_and_the_all_category() {
    let standin = skel_kube_standin::start().expect("start");
    let dir = tempfile::tempdir().expect("tempdir");
    let kubectl = Kubectl::for_standin(&standin, dir.path());
    kubectl.ok(&["apply", "-f", &write(dir.path(), "d.yaml", DEPLOYMENT)]);
    kubectl.ok(&["apply", "-f", &write(dir.path(), "s.yaml", SERVICE)]);
    // (`kubectl create configmap` would send protobuf, which the stand-in does not speak.)
    let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: b\n";
    kubectl.ok(&["apply", "-f", &write(dir.path(), "cm.yaml", cm)]);
    let names = kubectl.ok(&["get", "deploy,svc,cm,sa,ns", "-o", "name"]);
    for name in [
        "deployment.apps/web",
        "service/web",
        "configmap/settings",
        "namespace/default",
    ] {
        assert!(names.lines().any(|l| l == name), "{name} in\n{names}");
    }
    let all = kubectl.ok(&["get", "all", "-o", "name"]);
    let mut all: Vec<&str> = all.lines().collect();
    all.sort();
    // `all` is the workload kinds and services: the Deployment, its ReplicaSet and Pods (the
    // simulated controllers made them), never config maps, service accounts or namespaces.
    let kinds: Vec<&str> = all
        .iter()
        .map(|n| n.split('/').next().unwrap_or(""))
        .collect();
    assert!(
        kinds
            .iter()
            .all(|k| ["deployment.apps", "replicaset.apps", "pod", "service"].contains(k)),
        "{all:?}"
    );
    assert!(
        all.contains(&"deployment.apps/web") && all.contains(&"service/web"),
        "{all:?}"
    );
    assert!(
        all.iter().any(|n| n.starts_with("replicaset.apps/web-")),
        "{all:?}"
    );
}

#[test]
fn kubectl_uses_aggregated_discovery_and_the_legacy_documents_remain() {
    let standin = skel_kube_standin::start().expect("start");
    let dir = tempfile::tempdir().expect("tempdir");
    let kubectl = Kubectl::for_standin(&standin, dir.path());
    let run = kubectl.run(&["get", "ns", "-v=8"]);
    assert!(run.success, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!("Content-Type: {AGGREGATED}")),
        "{}",
        run.stderr
    );
    // One aggregated document per root: no per-group-version requests.
    let discovery_gets: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.contains(" GET ") && (l.contains("/api?") || l.contains("/apis?")))
        .collect();
    assert_eq!(discovery_gets.len(), 2, "{}", run.stderr);
    assert!(!run.stderr.contains("/api/v1?timeout"), "{}", run.stderr);
    assert!(
        !run.stderr.contains("/apis/apps/v1?timeout"),
        "{}",
        run.stderr
    );

    // Without the Accept header, the legacy documents.
    let api = get(standin.url(), "/api", "application/json");
    assert_eq!(api.header_values("content-type"), ["application/json"]);
    assert_eq!(api.json()["kind"], "APIVersions");
    let apps = get(standin.url(), "/apis/apps/v1", "application/json").json();
    let names: Vec<&str> = apps["resources"]
        .as_array()
        .map(|r| r.iter().filter_map(|r| r["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        names,
        [
            "deployments",
            "deployments/scale",
            "deployments/status",
            "replicasets",
            "replicasets/scale",
            "replicasets/status"
        ]
    );
    assert_eq!(
        apps["resources"][1],
        json!({"name": "deployments/scale", "singularName": "", "namespaced": true,
            "group": "autoscaling", "version": "v1", "kind": "Scale",
            "verbs": ["get", "patch", "update"]})
    );
    assert_eq!(apps["resources"][0]["storageVersionHash"], "8aSe+NMegvE=");
    assert_eq!(apps["resources"][0]["singularName"], "deployment");
    let group = get(standin.url(), "/apis/apps", "application/json").json();
    assert_eq!(group["preferredVersion"]["groupVersion"], "apps/v1");
    // (Debian's kubectl 1.20, which knows no aggregated discovery, reads these: see below.)
}

#[test]
fn aggregated_discovery_documents_are_a_real_servers() {
    let standin = skel_kube_standin::start().expect("start");
    let kubectl_accept = format!("{AGGREGATED},application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json");
    let apis = get(standin.url(), "/apis", &kubectl_accept);
    assert_eq!(apis.code, 200);
    assert_eq!(apis.header_values("content-type"), [AGGREGATED]);
    let doc = apis.json();
    assert_eq!(doc["kind"], "APIGroupDiscoveryList");
    assert_eq!(doc["apiVersion"], "apidiscovery.k8s.io/v2");
    let apps = doc["items"]
        .as_array()
        .and_then(|i| i.iter().find(|g| g["metadata"]["name"] == "apps"))
        .cloned()
        .expect("the apps group");
    let v1 = &apps["versions"][0];
    assert_eq!(
        (v1["version"].clone(), v1["freshness"].clone()),
        (json!("v1"), json!("Current"))
    );
    let deployments = &v1["resources"][0];
    assert_eq!(
        deployments,
        &json!({"resource": "deployments",
            "responseKind": {"group": "apps", "version": "v1", "kind": "Deployment"},
            "scope": "Namespaced", "singularResource": "deployment",
            "verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
            "shortNames": ["deploy"], "categories": ["all"],
            "subresources": [
                {"subresource": "scale", "responseKind": {"group": "autoscaling", "version": "v1", "kind": "Scale"},
                    "verbs": ["get", "patch", "update"]},
                {"subresource": "status", "responseKind": {"group": "apps", "version": "v1", "kind": "Deployment"},
                    "verbs": ["get", "patch", "update"]}]})
    );
    let core = get(standin.url(), "/api", &kubectl_accept).json();
    let core_group = &core["items"][0];
    assert!(core_group["metadata"].get("name").is_none());
    let resources = core_group["versions"][0]["resources"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let sa = resources
        .iter()
        .find(|r| r["resource"] == "serviceaccounts")
        .expect("serviceaccounts");
    assert_eq!(sa["subresources"][0]["subresource"], "token");
    assert_eq!(
        sa["subresources"][0]["responseKind"]["group"],
        "authentication.k8s.io"
    );
    let ns = resources
        .iter()
        .find(|r| r["resource"] == "namespaces")
        .expect("namespaces");
    assert_eq!(ns["scope"], "Cluster");
    // The beta version, still served by 1.32.
    let beta = get(
        standin.url(),
        "/apis",
        "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList",
    );
    assert_eq!(beta.json()["apiVersion"], "apidiscovery.k8s.io/v2beta1");
    let version = get(standin.url(), "/version", "application/json").json();
    assert_eq!(
        (version["major"].clone(), version["minor"].clone()),
        (json!("1"), json!("32"))
    );
}

#[test]
fn openapi_documents_carry_the_kubernetes_schemas_and_operations() {
    let standin = skel_kube_standin::start().expect("start");
    let index = get(standin.url(), "/openapi/v3", "application/json").json();
    let url = index["paths"]["apis/apps/v1"]["serverRelativeURL"]
        .as_str()
        .expect("apps/v1 in the index")
        .to_string();
    assert!(url.starts_with("/openapi/v3/apis/apps/v1?hash="), "{url}");
    assert_eq!(url.len(), "/openapi/v3/apis/apps/v1?hash=".len() + 128);
    for gv in ["api/v1", "apis/coordination.k8s.io/v1", "apis/skel.dev/v1"] {
        assert!(index["paths"][gv].is_object(), "{gv} in {index}");
    }
    let fresh = get(standin.url(), &url, "application/json");
    assert_eq!(fresh.header_values("cache-control"), ["public, immutable"]);
    let hash = url.rsplit_once("hash=").map(|(_, h)| h).unwrap_or_default();
    assert_eq!(fresh.header_values("etag"), [format!("\"{hash}\"")]);
    // A stale hash is redirected to the current document, as the API server does.
    let stale = get(
        standin.url(),
        "/openapi/v3/apis/apps/v1?hash=0BAD",
        "application/json",
    );
    assert_eq!(
        (stale.code, stale.header_values("location")),
        (301, vec![url.as_str()])
    );
    let unhashed = get(
        standin.url(),
        "/openapi/v3/apis/apps/v1",
        "application/json",
    );
    assert!(unhashed.header_values("cache-control").is_empty());
    let apps = fresh.json();
    assert_eq!(apps["openapi"], "3.0.0");
    let schemas = &apps["components"]["schemas"];
    let deployment = &schemas["io.k8s.api.apps.v1.Deployment"];
    assert_eq!(
        deployment["x-kubernetes-group-version-kind"],
        json!([{"group": "apps", "kind": "Deployment", "version": "v1"}])
    );
    // A field's `$ref` with its description is wrapped in `allOf`, as the API server does.
    assert_eq!(
        deployment["properties"]["spec"]["allOf"][0]["$ref"],
        "#/components/schemas/io.k8s.api.apps.v1.DeploymentSpec"
    );
    assert!(schemas["io.k8s.api.autoscaling.v1.Scale"].is_object());
    let item = &apps["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"];
    let patch = &item["patch"];
    assert_eq!(patch["operationId"], "patchAppsV1NamespacedDeployment");
    assert_eq!(
        patch["x-kubernetes-group-version-kind"],
        json!({"group": "apps", "version": "v1", "kind": "Deployment"})
    );
    let params: Vec<&str> = patch["parameters"]
        .as_array()
        .map(|p| p.iter().filter_map(|p| p["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        params,
        ["dryRun", "fieldManager", "fieldValidation", "force"]
    );
    assert!(patch["requestBody"]["content"]["application/apply-patch+yaml"].is_object());
    let scale = &apps["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale"];
    assert_eq!(
        scale["put"]["x-kubernetes-group-version-kind"]["kind"],
        "Scale"
    );
    assert_eq!(
        get(
            standin.url(),
            "/openapi/v3/apis/nope.dev/v1",
            "application/json"
        )
        .code,
        404
    );

    let v2 = get(standin.url(), "/openapi/v2", "application/json");
    assert_eq!(v2.code, 200);
    let v2 = v2.json();
    assert_eq!(v2["swagger"], "2.0");
    assert_eq!(
        v2["definitions"]["io.k8s.api.apps.v1.DeploymentSpec"]["properties"]["replicas"]["type"],
        "integer"
    );
    let create = &v2["paths"]["/api/v1/namespaces/{namespace}/configmaps"]["post"];
    assert_eq!(create["x-kubernetes-action"], "post");
    assert!(create["parameters"]
        .as_array()
        .is_some_and(|p| p.iter().any(|p| p["name"] == "fieldValidation")));
    // A custom kind is published as a CRD that keeps unknown fields.
    assert_eq!(
        v2["definitions"]["dev.skel.v1.Widget"]["x-kubernetes-preserve-unknown-fields"],
        true
    );
    // No namespaces/deletecollection: a real server has none.
    assert!(v2["paths"]["/api/v1/namespaces"]["delete"].is_null());
    assert!(v2["paths"]["/api/v1/namespaces/{namespace}/secrets"]["delete"].is_object());
}

#[test]
fn explain_prints_the_kubernetes_descriptions() {
    let standin = skel_kube_standin::start().expect("start");
    let dir = tempfile::tempdir().expect("tempdir");
    let kubectl = Kubectl::for_standin(&standin, dir.path());
    let replicas = kubectl.ok(&["explain", "deployment.spec.replicas"]);
    assert!(replicas.contains("KIND:       Deployment"), "{replicas}");
    assert!(replicas.contains("FIELD: replicas <integer>"), "{replicas}");
    assert!(
        replicas.contains("Number of desired pods. This is a pointer to distinguish between"),
        "{replicas}"
    );
    let recursive = kubectl.ok(&["explain", "deployment", "--recursive"]);
    for line in [
        "    replicas\t<integer>",
        "    strategy\t<DeploymentStrategy>",
        "        containers\t<[]Container> -required-",
    ] {
        assert!(
            recursive.lines().any(|l| l.starts_with(line)),
            "{line:?} in\n{recursive}"
        );
    }
    let service = kubectl.ok(&["explain", "svc.spec.type"]);
    assert!(service.contains("ExternalName"), "{service}");
    let missing = kubectl.fails(&["explain", "deployment.spec.replica"]);
    assert!(
        missing.contains("field \"replica\" does not exist"),
        "{missing}"
    );
}

#[test]
fn apply_and_create_validate_on_the_server() {
    let standin = skel_kube_standin::start().expect("start");
    let dir = tempfile::tempdir().expect("tempdir");
    let kubectl = Kubectl::for_standin(&standin, dir.path());
    let manifest = write(dir.path(), "d.yaml", DEPLOYMENT);
    let run = kubectl.run(&["apply", "-f", &manifest, "-v=6"]);
    assert!(run.success, "{}", run.stderr);
    assert!(run.stdout.contains("deployment.apps/web created"));
    // kubectl found `fieldValidation` in the v3 document and left validation to the server.
    assert!(
        run.stderr.contains("/openapi/v3/apis/apps/v1?hash="),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("fieldValidation=Strict"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("/openapi/v2"), "{}", run.stderr);
    let again = kubectl.ok(&["apply", "-f", &manifest]);
    assert!(again.contains("deployment.apps/web unchanged"), "{again}");
    let created = kubectl.ok(&["create", "-f", &write(dir.path(), "s.yaml", SERVICE)]);
    assert!(created.contains("service/web created"), "{created}");
    let widget =
        "apiVersion: skel.dev/v1\nkind: Widget\nmetadata:\n  name: w\nspec:\n  anything: [1, 2]\n";
    let created = kubectl.ok(&["apply", "-f", &write(dir.path(), "w.yaml", widget)]);
    assert!(created.contains("widget.skel.dev/w created"), "{created}");
}

#[test]
fn strict_field_validation_rejects_a_misspelled_field() {
    let standin = skel_kube_standin::start().expect("start");
    let dir = tempfile::tempdir().expect("tempdir");
    let kubectl = Kubectl::for_standin(&standin, dir.path());
    let bad = write(
        dir.path(),
        "bad.yaml",
        &DEPLOYMENT.replace("replicas: 2", "replica: 2"),
    );
    let err = kubectl.fails(&["apply", "-f", &bad]);
    assert!(
        err.contains(&format!("Error from server (BadRequest): error when creating \"{bad}\": Deployment in version \"v1\" cannot be handled as a Deployment: strict decoding error: unknown field \"spec.replica\"")),
        "{err}"
    );
    assert!(standin
        .object("apps/v1", "deployments", Some("default"), "web")
        .is_none());
    let err = kubectl.fails(&["create", "-f", &bad]);
    assert!(
        err.contains("strict decoding error: unknown field \"spec.replica\""),
        "{err}"
    );
    // --validate=false sends fieldValidation=Ignore: the server drops the unknown field silently.
    let run = kubectl.run(&["apply", "-f", &bad, "--validate=false", "-v=6"]);
    assert!(run.success, "{}", run.stderr);
    assert!(
        run.stderr.contains("fieldValidation=Ignore"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("Warning:"), "{}", run.stderr);
    let stored = standin
        .object("apps/v1", "deployments", Some("default"), "web")
        .expect("created");
    assert!(stored["spec"].get("replica").is_none(), "{stored}");
    assert_eq!(stored["spec"]["replicas"], 1);
    // An update through kubectl's patch is checked too.
    let err = kubectl.fails(&["apply", "-f", &bad]);
    assert!(
        err.contains("error when patching")
            && err.contains("strict decoding error: unknown field \"spec.replica\""),
        "{err}"
    );
    // --validate=warn: kubectl prints the server's warning and the change goes through.
    let warned = kubectl.run(&[
        "apply",
        "-f",
        &write(
            dir.path(),
            "warn.yaml",
            &DEPLOYMENT.replace("replicas: 2", "replicas: 3\n  paused_: true"),
        ),
        "--validate=warn",
    ]);
    assert!(warned.success, "{}", warned.stderr);
    assert!(
        warned
            .stderr
            .contains("Warning: unknown field \"spec.paused_\""),
        "{}",
        warned.stderr
    );
    let stored = standin
        .object("apps/v1", "deployments", Some("default"), "web")
        .expect("stored");
    assert_eq!(stored["spec"]["replicas"], 3);
    assert!(stored["spec"].get("paused_").is_none(), "{stored}");
    // Server-side apply: structured-merge-diff refuses undeclared fields whatever the directive.
    let err = kubectl.fails(&["apply", "--server-side", "-f", &bad]);
    assert!(
        err.contains("Error from server: failed to create typed patch object (default/web; apps/v1, Kind=Deployment): .spec.replica: field not declared in schema"),
        "{err}"
    );
}

#[test]
fn field_validation_directives_over_http() {
    let standin = skel_kube_standin::start().expect("start");
    let base = standin.url();
    let cm = |directive: &str, body: &Value| {
        http(
            base,
            "POST",
            &format!("/api/v1/namespaces/default/configmaps?fieldValidation={directive}"),
            &[("Content-Type", "application/json")],
            &body.to_string(),
        )
    };
    let body = |name: &str| {
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name},
            "data": {"a": "b"}, "dataa": {"c": "d"}})
    };
    let strict = cm("Strict", &body("strict"));
    assert_eq!(strict.code, 400);
    assert_eq!(
        strict.json(),
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: strict decoding error: unknown field \"dataa\"",
            "reason": "BadRequest", "code": 400})
    );
    let warn = cm("Warn", &body("warn"));
    assert_eq!(warn.code, 201);
    assert_eq!(
        warn.header_values("warning"),
        ["299 - \"unknown field \\\"dataa\\\"\""]
    );
    assert!(warn.json().get("dataa").is_none());
    // No directive is Warn, as on a 1.32 server.
    let default = http(
        base,
        "POST",
        "/api/v1/namespaces/default/configmaps",
        &[("Content-Type", "application/json")],
        &body("default").to_string(),
    );
    assert_eq!(
        (default.code, default.header_values("warning").len()),
        (201, 1)
    );
    let ignore = cm("Ignore", &body("ignore"));
    assert_eq!(
        (ignore.code, ignore.header_values("warning").len()),
        (201, 0)
    );
    assert!(ignore.json().get("dataa").is_none());
    let invalid = cm("Loose", &body("loose"));
    assert_eq!(invalid.code, 422, "{}", invalid.text());

    let patch = |ct: &str, body: Value| {
        http(
            base,
            "PATCH",
            "/api/v1/namespaces/default/configmaps/warn?fieldValidation=Strict",
            &[("Content-Type", ct)],
            &body.to_string(),
        )
    };
    let merge = patch(
        "application/merge-patch+json",
        json!({"data": {"a": "z"}, "metadata": {"labelz": {}}}),
    );
    assert_eq!(merge.code, 400);
    assert_eq!(
        merge.json()["message"],
        "strict decoding error: unknown field \"metadata.labelz\""
    );
    let json_patch = patch(
        "application/json-patch+json",
        json!([{"op": "add", "path": "/metadata/labels", "value": {"x": "y"}},
            {"op": "add", "path": "/spec", "value": {}}]),
    );
    assert_eq!(json_patch.code, 400);
    assert_eq!(
        json_patch.json()["message"],
        "strict decoding error: unknown field \"spec\""
    );
    // Patching a missing object is a 404 before any decoding.
    let missing = http(
        base,
        "PATCH",
        "/api/v1/namespaces/default/configmaps/nothing?fieldValidation=Strict",
        &[("Content-Type", "application/merge-patch+json")],
        &json!({"dataa": {}}).to_string(),
    );
    assert_eq!(missing.code, 404, "{}", missing.text());
    // A custom kind has no schema: anything goes.
    let widget = http(
        base,
        "POST",
        "/apis/skel.dev/v1/namespaces/default/widgets?fieldValidation=Strict",
        &[("Content-Type", "application/json")],
        &json!({"apiVersion": "skel.dev/v1", "kind": "Widget", "metadata": {"name": "w"},
            "spec": {"whatever": 1}})
        .to_string(),
    );
    assert_eq!(widget.code, 201, "{}", widget.text());
    // Server-side apply with an undeclared field: a 500 with no reason, as a 1.32 server answers
    // (the object named by the applied configuration's own metadata, here without a namespace).
    let apply = http(
        base,
        "PATCH",
        "/api/v1/namespaces/default/configmaps/applied?fieldManager=m&fieldValidation=Ignore",
        &[("Content-Type", "application/apply-patch+yaml")],
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\ndataa: {}\n",
    );
    assert_eq!(
        apply.json(),
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": "failed to create typed patch object (/applied; /v1, Kind=ConfigMap): .dataa: field not declared in schema",
            "code": 500})
    );
}

/// Runs Debian's kubectl 1.20 (`SKEL_KUBECTL=debian scripts/kubectl-install`) against a
/// stand-in, its kubeconfig and cache in `dir`.
fn debian_kubectl(
    standin: &skel_kube_standin::StandIn,
    dir: &std::path::Path,
) -> impl Fn(&[&str]) -> (bool, String, String) {
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../scripts/kubectl-install");
    let out = std::process::Command::new(&script)
        .env("SKEL_KUBECTL", "debian")
        .output()
        .expect("run scripts/kubectl-install");
    assert!(
        out.status.success(),
        "no Debian kubectl: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bin = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let kubeconfig = dir.join("kubeconfig-debian");
    standin
        .write_kubeconfig(&kubeconfig, None)
        .expect("write the kubeconfig");
    let home = dir.to_path_buf();
    move |args: &[&str]| {
        let out = std::process::Command::new(&bin)
            .args(args)
            .env("KUBECONFIG", &kubeconfig)
            .env("HOME", &home)
            .stdin(std::process::Stdio::null())
            .output()
            .expect("run kubectl");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

#[test]
fn debian_kubectl_1_20_discovers_validates_and_explains_from_the_protobuf_document() {
    let standin = skel_kube_standin::start().expect("start");
    let dir = tempfile::tempdir().expect("tempdir");
    let kubectl = debian_kubectl(&standin, dir.path());
    let (ok, version, _) = kubectl(&["version", "--client", "--short"]);
    assert!(ok && version.contains("v1.20."), "{version}");
    // 1.20 knows no aggregated discovery: it reads the legacy documents.
    let (ok, _, log) = kubectl(&["get", "deploy", "-v=6"]);
    assert!(ok, "{log}");
    assert!(log.contains("GET http://127.0.0.1"), "{log}");
    assert!(log.contains("/apis/apps/v1?timeout"), "{log}");
    let (ok, resources, _) = kubectl(&["api-resources", "-o", "wide"]);
    assert!(ok);
    assert!(
        resources
            .lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>()
                == [
                    "deployments",
                    "deploy",
                    "apps/v1",
                    "true",
                    "Deployment",
                    "[create",
                    "delete",
                    "deletecollection",
                    "get",
                    "list",
                    "patch",
                    "update",
                    "watch]"
                ]),
        "{resources}"
    );
    // `apply` validates on the client against /openapi/v2 in protobuf.
    let manifest = write(dir.path(), "d.yaml", DEPLOYMENT);
    let (ok, out, err) = kubectl(&["apply", "-f", &manifest, "-v=6"]);
    assert!(ok, "{err}");
    assert!(out.contains("deployment.apps/web created"), "{out}");
    assert!(err.contains("GET http://127.0.0.1"), "{err}");
    assert!(err.contains("/openapi/v2?timeout=32s 200 OK"), "{err}");
    let bad = write(
        dir.path(),
        "bad.yaml",
        &DEPLOYMENT.replace("replicas: 2", "replica: 2"),
    );
    let (ok, _, err) = kubectl(&["apply", "-f", &bad]);
    assert!(!ok);
    assert!(
        err.contains("ValidationError(Deployment.spec): unknown field \"replica\" in io.k8s.api.apps.v1.DeploymentSpec"),
        "{err}"
    );
    // Without validation it sends no directive: the server warns (the default) and drops it.
    let (ok, _, err) = kubectl(&["apply", "-f", &bad, "--validate=false"]);
    assert!(ok, "{err}");
    assert!(
        err.contains("Warning: unknown field \"spec.replica\""),
        "{err}"
    );
    let (ok, explained, err) = kubectl(&["explain", "deployment.spec.replicas"]);
    assert!(ok, "{err}");
    assert!(
        explained.contains("FIELD:    replicas <integer>"),
        "{explained}"
    );
    assert!(
        explained.contains("Number of desired pods. This is a pointer to distinguish between"),
        "{explained}"
    );
    let (ok, recursive, _) = kubectl(&["explain", "deployment", "--recursive"]);
    assert!(
        ok && recursive.contains("      replicas\t<integer>"),
        "{recursive}"
    );
}

#[test]
fn openapi_v2_is_served_as_protobuf_when_asked() {
    let standin = skel_kube_standin::start().expect("start");
    for asked in [
        "application/com.github.proto-openapi.spec.v2@v1.0+protobuf",
        "application/com.github.proto-openapi.spec.v2.v1.0+protobuf",
    ] {
        let pb = get(standin.url(), "/openapi/v2", asked);
        assert_eq!(pb.code, 200);
        assert_eq!(
            pb.header_values("content-type"),
            ["application/com.github.proto-openapi.spec.v2.v1.0+protobuf"]
        );
        // Document { swagger = 1: "2.0", … }
        assert!(pb.body.starts_with(b"\x0a\x032.0\x12"));
        assert!(pb.text().contains("io.k8s.api.apps.v1.DeploymentSpec"));
    }
    let json = get(standin.url(), "/openapi/v2", "");
    assert_eq!(json.header_values("content-type"), ["application/json"]);
    let refused = get(standin.url(), "/openapi/v2", "application/xml");
    assert_eq!(refused.code, 406);
}
