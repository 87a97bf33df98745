//! What `kubectl get` prints: the server-side `Table`s of a 1.32 API server (columns, cells,
//! `-o wide`), checked with the real kubectl (1.32, and Debian's 1.20) and over plain HTTP; and
//! kubectl's protobuf writes (`kubectl create configmap|secret generic|deployment|…`).

use std::time::Duration;

use serde_json::json;
use skel_kube_standin::client::{exchange, Answer};
use skel_kube_standin::kubectl::Kubectl;
use skel_kube_standin::table::{self, Include, TableVersion};
use skel_kube_standin::Kind;

const TABLE_ACCEPT: &str = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";

const OBJECTS: &str = "apiVersion: v1
kind: Service
metadata: {name: lb}
spec:
  type: LoadBalancer
  selector: {app: web}
  ports:
  - {port: 443, targetPort: 8443}
---
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata: {name: lock}
spec: {holderIdentity: skel-1}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: reader}
rules: []
---
apiVersion: skel.dev/v1
kind: Widget
metadata: {name: w1}
spec: {size: 3}
";

fn http(base: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Answer {
    exchange(base, method, path, headers, body).expect("an HTTP exchange with the stand-in")
}

/// The lines of kubectl's table output, each split into its cells (kubectl pads with two or
/// more spaces; single spaces stay inside a cell, as in `CREATED AT`).
fn rows(out: &str) -> Vec<Vec<String>> {
    out.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            l.split("  ")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_string)
                .collect()
        })
        .collect()
}

/// The row of `name` (first cell), without its AGE cell at `age_at`, which must be an age.
fn row_without_age(out: &str, name: &str, age_at: usize) -> Vec<String> {
    let mut row = rows(out)
        .into_iter()
        .find(|r| r.first().map(String::as_str) == Some(name))
        .unwrap_or_else(|| panic!("no row {name} in\n{out}"));
    let age = row.remove(age_at);
    assert!(
        age.ends_with('s') || age.ends_with('m'),
        "{age:?} is no age in\n{out}"
    );
    row
}

fn header(out: &str) -> Vec<String> {
    rows(out).into_iter().next().unwrap_or_default()
}

/// Objects made the ways kubectl makes them: `create` (protobuf) and `apply` (JSON).
fn populate(kubectl: &Kubectl) {
    kubectl.ok(&[
        "create",
        "configmap",
        "settings",
        "--from-literal=a=1",
        "--from-literal=b=2",
    ]);
    kubectl.ok(&[
        "create",
        "secret",
        "generic",
        "creds",
        "--from-literal=password=s3cret",
    ]);
    kubectl.ok(&[
        "create",
        "deployment",
        "web",
        "--image=nginx:1.27",
        "--replicas=2",
        "--port=80",
    ]);
    kubectl.ok(&["create", "namespace", "team"]);
    kubectl.ok(&["create", "serviceaccount", "robot"]);
    kubectl.ok(&["create", "service", "clusterip", "web", "--tcp=80:8080"]);
    kubectl.ok(&["create", "service", "nodeport", "np", "--tcp=81:8081"]);
    kubectl.ok_stdin(&["apply", "-f", "-"], OBJECTS);
    // The rollout and the load balancer settle after `settle_delay`.
    std::thread::sleep(Duration::from_millis(400));
}

#[test]
fn kubectl_get_prints_the_columns_and_cells_of_a_1_32_api_server() {
    let standin = skel_kube_standin::start().expect("start");
    let dir = tempfile::tempdir().expect("tempdir");
    let kubectl = Kubectl::for_standin(&standin, dir.path());
    populate(&kubectl);

    let out = kubectl.ok(&["get", "namespaces"]);
    assert_eq!(header(&out), ["NAME", "STATUS", "AGE"]);
    assert_eq!(row_without_age(&out, "team", 2), ["team", "Active"]);

    let out = kubectl.ok(&["get", "configmaps"]);
    assert_eq!(header(&out), ["NAME", "DATA", "AGE"]);
    assert_eq!(row_without_age(&out, "settings", 2), ["settings", "2"]);

    let out = kubectl.ok(&["get", "secrets"]);
    assert_eq!(header(&out), ["NAME", "TYPE", "DATA", "AGE"]);
    assert_eq!(row_without_age(&out, "creds", 3), ["creds", "Opaque", "1"]);

    let out = kubectl.ok(&["get", "serviceaccounts"]);
    assert_eq!(header(&out), ["NAME", "SECRETS", "AGE"]);
    assert_eq!(row_without_age(&out, "robot", 2), ["robot", "0"]);

    let out = kubectl.ok(&["get", "services"]);
    assert_eq!(
        header(&out),
        [
            "NAME",
            "TYPE",
            "CLUSTER-IP",
            "EXTERNAL-IP",
            "PORT(S)",
            "AGE"
        ]
    );
    let web = row_without_age(&out, "web", 5);
    assert_eq!(web[1..2], ["ClusterIP".to_string()]);
    assert!(web[2].starts_with("10.96."), "{web:?}");
    assert_eq!(web[3..], ["<none>".to_string(), "80/TCP".to_string()]);
    let lb = row_without_age(&out, "lb", 5);
    assert_eq!(lb[1], "LoadBalancer");
    assert_eq!(lb[3], "203.0.113.10", "the simulated ingress IP");
    assert!(
        lb[4].starts_with("443:3") && lb[4].ends_with("/TCP"),
        "{lb:?}"
    );
    let np = row_without_age(&out, "np", 5);
    assert_eq!(np[1], "NodePort");
    assert_eq!(np[3], "<none>");

    let out = kubectl.ok(&["get", "deployments"]);
    assert_eq!(
        header(&out),
        ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    );
    assert_eq!(row_without_age(&out, "web", 4), ["web", "2/2", "2", "2"]);

    let out = kubectl.ok(&["get", "leases"]);
    assert_eq!(header(&out), ["NAME", "HOLDER", "AGE"]);
    assert_eq!(row_without_age(&out, "lock", 2), ["lock", "skel-1"]);

    // ClusterRoles have no printer: the API server's default convertor, an RFC 3339 time.
    let out = kubectl.ok(&["get", "clusterroles"]);
    assert_eq!(header(&out), ["NAME", "CREATED AT"]);
    let reader = rows(&out)
        .into_iter()
        .find(|r| r[0] == "reader")
        .expect("a reader row");
    assert!(
        chrono::DateTime::parse_from_rfc3339(&reader[1]).is_ok(),
        "{reader:?}"
    );

    // A custom resource without printer columns: NAME and AGE.
    let out = kubectl.ok(&["get", "widgets"]);
    assert_eq!(header(&out), ["NAME", "AGE"]);
    assert_eq!(row_without_age(&out, "w1", 1), ["w1"]);

    // One object by name: the same columns.
    let out = kubectl.ok(&["get", "deployment", "web"]);
    assert_eq!(rows(&out).len(), 2, "{out}");
    assert_eq!(row_without_age(&out, "web", 4), ["web", "2/2", "2", "2"]);
}

#[test]
fn wide_output_adds_the_priority_1_columns() {
    let standin = skel_kube_standin::start().expect("start");
    let dir = tempfile::tempdir().expect("tempdir");
    let kubectl = Kubectl::for_standin(&standin, dir.path());
    populate(&kubectl);

    let out = kubectl.ok(&["get", "deployments", "-o", "wide"]);
    assert_eq!(
        header(&out),
        [
            "NAME",
            "READY",
            "UP-TO-DATE",
            "AVAILABLE",
            "AGE",
            "CONTAINERS",
            "IMAGES",
            "SELECTOR"
        ]
    );
    assert_eq!(
        row_without_age(&out, "web", 4),
        ["web", "2/2", "2", "2", "nginx", "nginx:1.27", "app=web"]
    );

    let out = kubectl.ok(&["get", "services", "-o", "wide"]);
    assert_eq!(
        header(&out),
        [
            "NAME",
            "TYPE",
            "CLUSTER-IP",
            "EXTERNAL-IP",
            "PORT(S)",
            "AGE",
            "SELECTOR"
        ]
    );
    let web = row_without_age(&out, "web", 5);
    assert_eq!(web.last().map(String::as_str), Some("app=web"));
    let lb = row_without_age(&out, "lb", 5);
    assert_eq!(lb.last().map(String::as_str), Some("app=web"));

    // Kinds without wide columns print the same.
    let out = kubectl.ok(&["get", "configmaps", "-o", "wide"]);
    assert_eq!(header(&out), ["NAME", "DATA", "AGE"]);
}

#[test]
fn kubectl_create_writes_protobuf_and_the_objects_are_stored() {
    let standin = skel_kube_standin::start().expect("start");
    let dir = tempfile::tempdir().expect("tempdir");
    let kubectl = Kubectl::for_standin(&standin, dir.path());

    // kubectl 1.32 really sends protobuf for these (else this test would prove nothing);
    // Debian's 1.20 (`SKEL_KUBECTL=debian`) still sends JSON.
    let run = kubectl.run(&["create", "configmap", "probe", "--from-literal=k=v", "-v=8"]);
    assert!(run.success, "{}", run.stderr);
    let sent = if kubectl.minor_version() >= 26 {
        "Content-Type: application/vnd.kubernetes.protobuf"
    } else {
        "Content-Type: application/json"
    };
    assert!(run.stderr.contains(sent), "{sent} in\n{}", run.stderr);

    populate(&kubectl);
    let cm = standin
        .object("v1", "configmaps", Some("default"), "settings")
        .expect("the configmap");
    assert_eq!(cm["data"], json!({"a": "1", "b": "2"}));
    assert_eq!(
        cm["metadata"]["managedFields"][0]["manager"],
        "kubectl-create"
    );

    let secret = standin
        .object("v1", "secrets", Some("default"), "creds")
        .expect("the secret");
    assert_eq!(secret["type"], "Opaque");
    assert_eq!(secret["data"], json!({"password": "czNjcmV0"}));

    let deploy = standin
        .object("apps/v1", "deployments", Some("default"), "web")
        .expect("the deployment");
    assert_eq!(deploy["spec"]["replicas"], 2);
    assert_eq!(
        deploy["spec"]["selector"],
        json!({"matchLabels": {"app": "web"}})
    );
    let container = &deploy["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(container["image"], "nginx:1.27");
    assert_eq!(
        container["ports"],
        json!([{"containerPort": 80, "protocol": "TCP"}])
    );
    assert_eq!(
        deploy["spec"]["strategy"],
        json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}),
        "an empty strategy is defaulted as the API server does"
    );
    assert!(
        deploy["spec"]["template"]["spec"]
            .get("initContainers")
            .is_none(),
        "{deploy}"
    );
    assert!(deploy["metadata"].get("creationTimestamp").is_some());

    let svc = standin
        .object("v1", "services", Some("default"), "web")
        .expect("the service");
    assert_eq!(
        svc["spec"]["ports"],
        json!([{"name": "80-8080", "port": 80, "protocol": "TCP", "targetPort": 8080}])
    );
    assert_eq!(svc["spec"]["selector"], json!({"app": "web"}));
    assert!(standin.object("v1", "namespaces", None, "team").is_some());
    assert!(standin
        .object("v1", "serviceaccounts", Some("default"), "robot")
        .is_some());

    // The stand-in's errors for protobuf bodies are the server's: AlreadyExists.
    let err = kubectl.fails(&["create", "configmap", "settings", "--from-literal=a=1"]);
    assert!(
        err.contains("configmaps \"settings\" already exists"),
        "{err}"
    );
}

#[test]
fn debian_kubectl_1_20_prints_through_tables_too() {
    let standin = skel_kube_standin::start().expect("start");
    let dir = tempfile::tempdir().expect("tempdir");
    let kubectl = Kubectl::for_standin(&standin, dir.path());
    populate(&kubectl);

    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../scripts/kubectl-install");
    let out = std::process::Command::new(&script)
        .env("SKEL_KUBECTL", "debian")
        .output()
        .expect("run scripts/kubectl-install");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bin = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let debian = |args: &[&str]| -> String {
        let out = std::process::Command::new(&bin)
            .args(args)
            .env("KUBECONFIG", kubectl.kubeconfig())
            .env("HOME", dir.path())
            .stdin(std::process::Stdio::null())
            .output()
            .expect("run Debian's kubectl");
        assert!(
            out.status.success(),
            "kubectl {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let version = debian(&["version", "--client", "-o", "json"]);
    assert!(version.contains("\"minor\": \"20\""), "{version}");

    let out = debian(&["get", "deployments", "-o", "wide"]);
    assert_eq!(
        header(&out),
        [
            "NAME",
            "READY",
            "UP-TO-DATE",
            "AVAILABLE",
            "AGE",
            "CONTAINERS",
            "IMAGES",
            "SELECTOR"
        ]
    );
    assert_eq!(
        row_without_age(&out, "web", 4),
        ["web", "2/2", "2", "2", "nginx", "nginx:1.27", "app=web"]
    );
    let out = debian(&["get", "secrets"]);
    assert_eq!(header(&out), ["NAME", "TYPE", "DATA", "AGE"]);
    let out = debian(&["get", "widgets"]);
    assert_eq!(header(&out), ["NAME", "AGE"]);
    // 1.20 creates with JSON bodies.
    debian(&["create", "configmap", "old", "--from-literal=x=y"]);
    let out = debian(&["get", "configmap", "old"]);
    assert_eq!(row_without_age(&out, "old", 2), ["old", "1"]);
}

#[test]
fn table_documents_over_http() {
    let standin = skel_kube_standin::start().expect("start");
    let dir = tempfile::tempdir().expect("tempdir");
    let kubectl = Kubectl::for_standin(&standin, dir.path());
    populate(&kubectl);
    let base = standin.url();
    let path = "/apis/apps/v1/namespaces/default/deployments";

    let answer = http(base, "GET", path, &[("Accept", TABLE_ACCEPT)], b"");
    assert_eq!(answer.code, 200);
    assert_eq!(
        answer.header("content-type"),
        "application/json;as=Table;v=v1;g=meta.k8s.io"
    );
    let t = answer.json();
    assert_eq!(t["kind"], "Table");
    assert_eq!(t["apiVersion"], "meta.k8s.io/v1");
    assert!(t["metadata"]["resourceVersion"].is_string(), "{t}");
    let columns: Vec<(&str, &str, i64)> = t["columnDefinitions"]
        .as_array()
        .expect("columns")
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap_or(""),
                c["type"].as_str().unwrap_or(""),
                c["priority"].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    assert_eq!(
        columns,
        [
            ("Name", "string", 0),
            ("Ready", "string", 0),
            ("Up-to-date", "string", 0),
            ("Available", "string", 0),
            ("Age", "string", 0),
            ("Containers", "string", 1),
            ("Images", "string", 1),
            ("Selector", "string", 1)
        ]
    );
    assert_eq!(t["columnDefinitions"][0]["format"], "name");
    assert!(
        t["columnDefinitions"][0]["description"]
            .as_str()
            .is_some_and(|d| d.starts_with("Name must be unique within a namespace")),
        "{}",
        t["columnDefinitions"][0]
    );
    let row = &t["rows"][0];
    assert_eq!(row["cells"][0], "web");
    assert_eq!(row["cells"][1], "2/2");
    assert_eq!(row["cells"][2], 2);
    assert_eq!(row["cells"][7], "app=web");
    assert_eq!(row["object"]["kind"], "PartialObjectMetadata");
    assert_eq!(row["object"]["apiVersion"], "meta.k8s.io/v1");
    assert_eq!(row["object"]["metadata"]["name"], "web");
    assert!(row["object"].get("spec").is_none());

    // includeObject=Object: the whole object; None: no object.
    let t = http(
        base,
        "GET",
        &format!("{path}?includeObject=Object"),
        &[("Accept", TABLE_ACCEPT)],
        b"",
    )
    .json();
    assert_eq!(t["rows"][0]["object"]["kind"], "Deployment");
    assert_eq!(t["rows"][0]["object"]["apiVersion"], "apps/v1");
    assert_eq!(t["rows"][0]["object"]["spec"]["replicas"], 2);
    let t = http(
        base,
        "GET",
        &format!("{path}?includeObject=None"),
        &[("Accept", TABLE_ACCEPT)],
        b"",
    )
    .json();
    assert!(t["rows"][0].get("object").is_none(), "{t}");

    // v1beta1 when only that is asked for; plain JSON without the Table clauses.
    let beta = "application/json;as=Table;v=v1beta1;g=meta.k8s.io";
    let answer = http(base, "GET", path, &[("Accept", beta)], b"");
    assert_eq!(answer.json()["apiVersion"], "meta.k8s.io/v1beta1");
    assert_eq!(
        answer.header("content-type"),
        "application/json;as=Table;v=v1beta1;g=meta.k8s.io"
    );
    let list = http(base, "GET", path, &[("Accept", "application/json")], b"").json();
    assert_eq!(list["kind"], "DeploymentList");

    // One object: a Table of one row; a missing one: the NotFound Status, not a Table.
    let t = http(
        base,
        "GET",
        &format!("{path}/web"),
        &[("Accept", TABLE_ACCEPT)],
        b"",
    )
    .json();
    assert_eq!(t["kind"], "Table");
    assert_eq!(t["rows"].as_array().map(Vec::len), Some(1));
    let missing = http(
        base,
        "GET",
        &format!("{path}/nope"),
        &[("Accept", TABLE_ACCEPT)],
        b"",
    );
    assert_eq!(missing.code, 404);
    assert_eq!(missing.json()["kind"], "Status");

    // The generic and custom convertors.
    let t = http(
        base,
        "GET",
        "/apis/rbac.authorization.k8s.io/v1/clusterroles",
        &[("Accept", TABLE_ACCEPT)],
        b"",
    )
    .json();
    assert_eq!(t["columnDefinitions"][1]["name"], "Created At");
    assert_eq!(t["columnDefinitions"][1]["type"], "date");
    let t = http(
        base,
        "GET",
        "/apis/skel.dev/v1/namespaces/default/widgets",
        &[("Accept", TABLE_ACCEPT)],
        b"",
    )
    .json();
    assert_eq!(t["columnDefinitions"][1]["name"], "Age");
    assert_eq!(t["columnDefinitions"][1]["type"], "date");
    assert_eq!(t["rows"][0]["cells"][0], "w1");
}

fn varint(mut v: u64, out: &mut Vec<u8>) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

fn field(n: u64, b: &[u8], out: &mut Vec<u8>) {
    varint(n << 3 | 2, out);
    varint(b.len() as u64, out);
    out.extend_from_slice(b);
}

/// A protobuf `k8s\0` envelope around `raw`, as client-go writes it.
fn envelope(api_version: &str, kind: &str, raw: &[u8]) -> Vec<u8> {
    let mut type_meta = Vec::new();
    field(1, api_version.as_bytes(), &mut type_meta);
    field(2, kind.as_bytes(), &mut type_meta);
    let mut unknown = Vec::new();
    field(1, &type_meta, &mut unknown);
    field(2, raw, &mut unknown);
    let mut body = b"k8s\x00".to_vec();
    body.extend(unknown);
    body
}

#[test]
fn protobuf_bodies_over_http() {
    let standin = skel_kube_standin::start().expect("start");
    let base = standin.url();
    let pb = [("Content-Type", "application/vnd.kubernetes.protobuf")];

    // ConfigMap{metadata{name: "pb"}, data{"k": "v"}, immutable: true}
    let mut meta = Vec::new();
    field(1, b"pb", &mut meta);
    let mut entry = Vec::new();
    field(1, b"k", &mut entry);
    field(2, b"v", &mut entry);
    let mut raw = Vec::new();
    field(1, &meta, &mut raw);
    field(2, &entry, &mut raw);
    varint(4 << 3, &mut raw);
    varint(1, &mut raw);
    let answer = http(
        base,
        "POST",
        "/api/v1/namespaces/default/configmaps",
        &pb,
        &envelope("v1", "ConfigMap", &raw),
    );
    assert_eq!(
        answer.code,
        201,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    let cm = answer.json();
    assert_eq!(cm["data"], json!({"k": "v"}));
    assert_eq!(cm["immutable"], true);
    assert_eq!(cm["metadata"]["name"], "pb");

    // A custom resource has no protobuf: 415, as from a real server.
    let answer = http(
        base,
        "POST",
        "/apis/skel.dev/v1/namespaces/default/widgets",
        &pb,
        &envelope("skel.dev/v1", "Widget", &[]),
    );
    assert_eq!(answer.code, 415);
    assert_eq!(answer.json()["reason"], "UnsupportedMediaType");

    // Not an envelope, or a kind the URL does not name: 400.
    let answer = http(
        base,
        "POST",
        "/api/v1/namespaces/default/configmaps",
        &pb,
        b"{}",
    );
    assert_eq!(answer.code, 400);
    assert_eq!(answer.json()["kind"], "Status");
    let answer = http(
        base,
        "POST",
        "/api/v1/namespaces/default/configmaps",
        &pb,
        &envelope("v1", "Secret", &raw),
    );
    assert_eq!(answer.code, 400);
}

#[test]
fn pod_replicaset_and_event_cells_follow_the_printers() {
    let pod_kind = Kind::new("", "v1", "Pod", "pods", true);
    // Ten and a half minutes ago: every age prints "10m" however slowly the test runs.
    let now = (chrono::Utc::now() - chrono::Duration::seconds(630))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let pod = json!({"metadata": {"name": "web-1", "creationTimestamp": now},
        "spec": {"containers": [{"name": "a"}, {"name": "b"}], "nodeName": "node-1",
                 "readinessGates": [{"conditionType": "x/ready"}]},
        "status": {"phase": "Running", "podIPs": [{"ip": "10.244.0.5"}],
            "conditions": [{"type": "x/ready", "status": "True"}],
            "containerStatuses": [
                {"name": "a", "ready": true, "restartCount": 1, "state": {"running": {}}},
                {"name": "b", "ready": false, "restartCount": 2,
                 "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                 "lastState": {"terminated": {"exitCode": 1, "finishedAt": now}}}]}});
    let t = table::table(&pod_kind, &pod, TableVersion::V1, Include::None, true);
    let names: Vec<&str> = t["columnDefinitions"]
        .as_array()
        .expect("columns")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(
        names,
        [
            "Name",
            "Ready",
            "Status",
            "Restarts",
            "Age",
            "IP",
            "Node",
            "Nominated Node",
            "Readiness Gates"
        ]
    );
    let cells = &t["rows"][0]["cells"];
    assert_eq!(
        *cells,
        json!([
            "web-1",
            "1/2",
            "CrashLoopBackOff",
            "3 (10m ago)",
            "10m",
            "10.244.0.5",
            "node-1",
            "<none>",
            "1/1"
        ])
    );

    let rs_kind = Kind::new("apps", "v1", "ReplicaSet", "replicasets", true);
    let rs = json!({"items": [{"metadata": {"name": "web-5d8f7c9b6", "creationTimestamp": now},
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web", "pod-template-hash": "5d8f7c9b6"}},
                 "template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:1.27"}]}}},
        "status": {"replicas": 3, "readyReplicas": 1}}], "metadata": {"resourceVersion": "7"}});
    let t = table::table(&rs_kind, &rs, TableVersion::V1, Include::Metadata, true);
    assert_eq!(t["metadata"]["resourceVersion"], "7");
    assert_eq!(
        t["rows"][0]["cells"],
        json!([
            "web-5d8f7c9b6",
            3,
            3,
            1,
            "10m",
            "nginx",
            "nginx:1.27",
            "app=web,pod-template-hash=5d8f7c9b6"
        ])
    );

    let event_kind = Kind::new("", "v1", "Event", "events", true);
    let event = json!({"metadata": {"name": "web.1"}, "type": "Normal", "reason": "ScalingReplicaSet",
        "involvedObject": {"kind": "Deployment", "name": "web"}, "message": "Scaled up ",
        "source": {"component": "deployment-controller"}, "firstTimestamp": now, "lastTimestamp": now, "count": 2});
    let t = table::table(&event_kind, &event, TableVersion::V1, Include::None, true);
    assert_eq!(
        t["rows"][0]["cells"],
        json!([
            "10m",
            "Normal",
            "ScalingReplicaSet",
            "deployment/web",
            "",
            "deployment-controller",
            "Scaled up",
            "10m",
            2,
            "web.1"
        ])
    );
    assert_eq!(t["columnDefinitions"][0]["name"], "Last Seen");
    assert_eq!(t["columnDefinitions"][4]["priority"], 1);

    // Watch events: the first carries the columns, the later ones only their row.
    let first = table::watch_event_object(
        &event_kind,
        &event,
        TableVersion::V1,
        Include::Metadata,
        true,
    );
    let later = table::watch_event_object(
        &event_kind,
        &event,
        TableVersion::V1,
        Include::Metadata,
        false,
    );
    assert!(first["columnDefinitions"].is_array());
    assert!(later.get("columnDefinitions").is_none());
    assert_eq!(later["rows"][0]["cells"][3], "deployment/web");
}

/// A Secret's `stringData` is write-only: the server moves it into `data` (base64, over an
/// entry of the same key), so `kubectl get secret` counts it and `-o yaml` never shows it.
#[test]
fn secret_string_data_is_merged_into_data() {
    let standin = skel_kube_standin::start().expect("start");
    let dir = tempfile::tempdir().expect("tempdir");
    let kubectl = Kubectl::for_standin(&standin, dir.path());
    kubectl.ok_stdin(
        &["apply", "-f", "-"],
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ndata:\n  a: eA==\n  b: eQ==\nstringData:\n  b: override\n  c: plain\n",
    );
    let secret = standin
        .object("v1", "secrets", Some("default"), "s")
        .expect("stored");
    assert_eq!(
        secret["data"],
        json!({"a": "eA==", "b": "b3ZlcnJpZGU=", "c": "cGxhaW4="})
    );
    assert!(secret.get("stringData").is_none(), "{secret}");
    let out = kubectl.ok(&["get", "secret", "s"]);
    assert_eq!(
        rows(&out).get(1).map(|r| r[..3].to_vec()),
        Some(vec!["s".to_string(), "Opaque".to_string(), "3".to_string()]),
        "{out}"
    );
}
