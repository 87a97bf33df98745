//! The real kubectl against the stand-in's merge semantics: client-side apply (strategic merge
//! patches computed from the last-applied annotation), server-side apply (shared fields,
//! conflicts, `--force-conflicts`, kubectl's migration from client-side apply), the imperative
//! commands (`set image`, `label`, `annotate`, `edit`, `patch --type=strategic|merge|json`) and
//! the `managedFields` each leaves.
//!
//! `--validate=false` because schema validation needs `/openapi/v2|v3`, which is not part of
//! these semantics.

use serde_json::{json, Value};
use skel_kube_standin::kubectl::{Kubectl, Run};
use skel_kube_standin::StandIn;

const CREATED: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx:1.25
        ports: [{containerPort: 80}]
        env: [{name: A, value: "1"}, {name: B, value: "2"}]
      - name: side
        image: busybox:1.36
        args: ["sleep", "1d"]
"#;

/// `CREATED` with the `side` container removed, env `B` changed and port 443 added.
const CHANGED: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx:1.25
        ports: [{containerPort: 80}, {containerPort: 443}]
        env: [{name: A, value: "1"}, {name: B, value: "3"}]
"#;

struct Env {
    standin: StandIn,
    kubectl: Kubectl,
    _dir: tempfile::TempDir,
}

fn env() -> Env {
    let standin = skel_kube_standin::start().expect("start the stand-in");
    let dir = tempfile::tempdir().expect("temp dir");
    let kubectl = Kubectl::for_standin(&standin, dir.path());
    Env {
        standin,
        kubectl,
        _dir: dir,
    }
}

impl Env {
    fn deployment(&self) -> Value {
        self.standin
            .object("apps/v1", "deployments", Some("default"), "web")
            .expect("the deployment exists")
    }

    fn apply(&self, manifest: &str, extra: &[&str]) -> Run {
        let mut args = vec!["apply", "--validate=false", "-f", "-"];
        args.extend_from_slice(extra);
        self.kubectl.run_with(&args, &[], Some(manifest))
    }

    fn ok(&self, args: &[&str]) -> String {
        self.kubectl.ok(args)
    }
}

fn containers(obj: &Value) -> &Value {
    &obj["spec"]["template"]["spec"]["containers"]
}

/// The `fieldsV1` of one (manager, operation) entry, `None` when it has none.
fn fields(obj: &Value, manager: &str, operation: &str) -> Option<Value> {
    obj["metadata"]["managedFields"]
        .as_array()?
        .iter()
        .find(|e| e["manager"] == manager && e["operation"] == operation)
        .map(|e| {
            assert_eq!(e["fieldsType"], "FieldsV1", "{e}");
            assert_eq!(e["apiVersion"], "apps/v1", "{e}");
            assert!(e["time"].as_str().is_some_and(|t| t.ends_with('Z')), "{e}");
            e["fieldsV1"].clone()
        })
}

fn managers(obj: &Value) -> Vec<String> {
    obj["metadata"]["managedFields"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| {
                    format!(
                        "{}/{}",
                        e["manager"].as_str().unwrap_or(""),
                        e["operation"].as_str().unwrap_or("")
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

const WEB: &str = r#"k:{"name":"web"}"#;

fn web_container(fields: &Value) -> &Value {
    &fields["f:spec"]["f:template"]["f:spec"]["f:containers"][WEB]
}

#[test]
fn client_side_apply_then_server_side_apply_shares_conflicts_and_forces() {
    let e = env();
    let out = e.apply(CREATED, &[]);
    assert!(out.success, "{}", out.stderr);
    let created = e.deployment();
    let csa =
        fields(&created, "kubectl-client-side-apply", "Update").expect("kubectl create's manager");
    // An update owns the maps and items it added (`.`), the leaves inside them, and the defaults.
    assert_eq!(csa["f:metadata"]["f:labels"], json!({".": {}, "f:app": {}}));
    assert_eq!(
        csa["f:metadata"]["f:annotations"],
        json!({".": {}, "f:kubectl.kubernetes.io/last-applied-configuration": {}})
    );
    let web = web_container(&csa);
    assert_eq!(web["."], json!({}));
    assert_eq!(web["f:image"], json!({}));
    assert_eq!(
        web["f:imagePullPolicy"],
        json!({}),
        "defaults belong to the updater"
    );
    assert_eq!(
        web["f:ports"],
        json!({r#"k:{"containerPort":80,"protocol":"TCP"}"#: {".": {}, "f:containerPort": {}, "f:protocol": {}}})
    );
    assert_eq!(
        web["f:env"][r#"k:{"name":"B"}"#],
        json!({".": {}, "f:name": {}, "f:value": {}})
    );
    assert_eq!(
        csa["f:spec"]["f:template"]["f:spec"]["f:containers"][r#"k:{"name":"side"}"#]["f:args"],
        json!({}),
        "args is an atomic list: one leaf"
    );
    assert_eq!(
        csa["f:spec"]["f:selector"],
        json!({}),
        "a label selector is an atomic map"
    );

    // Client-side apply of a changed manifest: a strategic merge patch from the annotation.
    let out = e.apply(CHANGED, &[]);
    assert!(out.success, "{}", out.stderr);
    assert!(
        out.stdout.contains("deployment.apps/web configured"),
        "{}",
        out.stdout
    );
    let changed = e.deployment();
    let cs = containers(&changed);
    assert_eq!(cs.as_array().map(Vec::len), Some(1), "side removed: {cs}");
    assert_eq!(
        cs[0]["env"],
        json!([{"name": "A", "value": "1"}, {"name": "B", "value": "3"}])
    );
    assert_eq!(
        cs[0]["ports"],
        json!([{"containerPort": 80, "protocol": "TCP"}, {"containerPort": 443, "protocol": "TCP"}])
    );
    let csa = fields(&changed, "kubectl-client-side-apply", "Update").expect("still the updater");
    assert!(csa["f:spec"]["f:template"]["f:spec"]["f:containers"]
        .get(r#"k:{"name":"side"}"#)
        .is_none());
    assert!(web_container(&csa)["f:ports"]
        .get(r#"k:{"containerPort":443,"protocol":"TCP"}"#)
        .is_some());
    let annotation = changed["metadata"]["annotations"]
        ["kubectl.kubernetes.io/last-applied-configuration"]
        .as_str()
        .expect("the annotation round-trips");
    assert!(
        annotation.contains("443") && !annotation.contains("side"),
        "{annotation}"
    );

    // Server-side apply of a changed image conflicts with client-side apply's ownership.
    let out = e.apply(
        &CHANGED.replace("nginx:1.25", "nginx:1.26"),
        &["--server-side"],
    );
    assert!(!out.success);
    assert!(
        out.stderr.starts_with(
            "error: Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using apps/v1: .spec.template.spec.containers[name=\"web\"].image\n"
        ),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("--force-conflicts"), "{}", out.stderr);
    assert_eq!(containers(&e.deployment())[0]["image"], "nginx:1.25");

    // The same manifest: the same values, shared, no conflict.
    let out = e.apply(CHANGED, &["--server-side"]);
    assert!(out.success, "{}", out.stderr);
    assert!(out.stdout.contains("serverside-applied"), "{}", out.stdout);
    let shared = e.deployment();
    let ssa = fields(&shared, "kubectl", "Apply").expect("kubectl's apply entry");
    assert_eq!(
        web_container(&ssa)["f:ports"],
        json!({
            r#"k:{"containerPort":80,"protocol":"TCP"}"#: {".": {}, "f:containerPort": {}},
            r#"k:{"containerPort":443,"protocol":"TCP"}"#: {".": {}, "f:containerPort": {}},
        })
    );
    assert_eq!(
        ssa["f:metadata"]["f:labels"],
        json!({"f:app": {}}),
        "an applier owns no `.` for maps"
    );
    if e.kubectl.minor_version() >= 26 {
        // kubectl moves client-side apply's fields to its applier (a JSON patch of
        // managedFields) and keeps the annotation under `kubectl-last-applied`.
        let ms = managers(&shared);
        assert!(
            !ms.iter()
                .any(|m| m.starts_with("kubectl-client-side-apply")),
            "{ms:?}"
        );
        assert!(
            fields(&shared, "kubectl-last-applied", "Apply").is_some(),
            "{ms:?}"
        );
    }
    assert_eq!(
        shared["spec"]["progressDeadlineSeconds"], 600,
        "defaults are back"
    );

    // kubectl set image: an update owning just the image.
    e.ok(&["set", "image", "deployment/web", "web=nginx:1.27"]);
    let set = e.deployment();
    assert_eq!(containers(&set)[0]["image"], "nginx:1.27");
    assert_eq!(
        fields(&set, "kubectl-set", "Update"),
        Some(
            json!({"f:spec": {"f:template": {"f:spec": {"f:containers": {WEB: {"f:image": {}}}}}}})
        )
    );
    assert!(
        web_container(&fields(&set, "kubectl", "Apply").expect("applier"))
            .get("f:image")
            .is_none(),
        "the update took the image from the applier"
    );

    // Server-side apply of the old image now conflicts with kubectl-set; forced, it takes it.
    let out = e.apply(CHANGED, &["--server-side"]);
    assert!(!out.success);
    assert!(
        out.stderr.contains(
            "conflict with \"kubectl-set\" using apps/v1: .spec.template.spec.containers[name=\"web\"].image"
        ),
        "{}",
        out.stderr
    );
    let out = e.apply(CHANGED, &["--server-side", "--force-conflicts"]);
    assert!(out.success, "{}", out.stderr);
    let forced = e.deployment();
    assert_eq!(containers(&forced)[0]["image"], "nginx:1.25");
    assert_eq!(
        fields(&forced, "kubectl-set", "Update"),
        None,
        "empty entries are dropped"
    );
    assert_eq!(
        web_container(&fields(&forced, "kubectl", "Apply").expect("applier"))["f:image"],
        json!({})
    );
}

#[test]
fn appliers_share_lists_by_key_and_prune_only_what_nobody_owns() {
    let e = env();
    let two = CREATED;
    let out = e.apply(two, &["--server-side", "--field-manager=a"]);
    assert!(out.success, "{}", out.stderr);
    // b applies web only (same values) plus a container of its own.
    let b = r#"apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      containers:
      - {name: web, image: "nginx:1.25"}
      - {name: extra, image: "redis:7"}
"#;
    let out = e.apply(b, &["--server-side", "--field-manager=b"]);
    assert!(out.success, "{}", out.stderr);
    let names = |obj: &Value| -> Vec<String> {
        containers(obj)
            .as_array()
            .expect("containers")
            .iter()
            .map(|c| c["name"].as_str().unwrap_or("").to_string())
            .collect()
    };
    let shared = e.deployment();
    assert_eq!(names(&shared), ["web", "side", "extra"]);
    for manager in ["a", "b"] {
        let f = fields(&shared, manager, "Apply").expect("an applier");
        assert_eq!(
            web_container(&f)["f:image"],
            json!({}),
            "{manager} shares the image"
        );
    }
    // a drops web and side: web stays (b owns fields in it), side goes.
    let a2 = r#"apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: other, image: "busybox:1.36"}
"#;
    let out = e.apply(a2, &["--server-side", "--field-manager=a"]);
    assert!(out.success, "{}", out.stderr);
    let obj = e.deployment();
    assert_eq!(names(&obj), ["web", "extra", "other"]);
    assert!(
        containers(&obj)[0].get("env").is_none(),
        "a's env on web is pruned: {obj}"
    );
    assert!(
        containers(&obj)[0].get("ports").is_none(),
        "a's ports on web are pruned"
    );
}

#[test]
fn label_annotate_edit_and_patch_record_their_managers() {
    let e = env();
    let out = e.apply(CHANGED, &["--server-side"]);
    assert!(out.success, "{}", out.stderr);
    // Rolled out: the controller has written the revision annotation and the status.
    e.ok(&["rollout", "status", "deployment/web", "--timeout=30s"]);
    e.ok(&["label", "deployment", "web", "tier=front"]);
    e.ok(&["annotate", "deployment", "web", "note=hi"]);
    let dir = tempfile::tempdir().expect("temp dir");
    let editor = dir.path().join("editor.sh");
    std::fs::write(
        &editor,
        "#!/bin/sh\nsed -i 's/replicas: 2/replicas: 5/' \"$1\"\n",
    )
    .expect("write the editor");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&editor, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    let editor = editor.to_string_lossy().to_string();
    let run = e.kubectl.run_with(
        &["edit", "--validate=false", "deployment/web"],
        &[("KUBE_EDITOR", editor.as_str())],
        None,
    );
    assert!(run.success, "{}\n{}", run.stdout, run.stderr);
    e.ok(&["patch", "deployment", "web", "--type=strategic", "-p",
        r#"{"spec":{"template":{"spec":{"containers":[{"name":"web","env":[{"name":"C","value":"4"}]}]}}}}"#]);
    e.ok(&[
        "patch",
        "deployment",
        "web",
        "--type=merge",
        "-p",
        r#"{"spec":{"minReadySeconds":3}}"#,
    ]);
    e.ok(&["patch", "deployment", "web", "--type=json", "-p",
        r#"[{"op":"test","path":"/spec/replicas","value":5},{"op":"replace","path":"/spec/revisionHistoryLimit","value":4}]"#]);
    let obj = e.deployment();
    assert_eq!(
        obj["metadata"]["labels"],
        json!({"app": "web", "tier": "front"})
    );
    assert_eq!(obj["metadata"]["annotations"]["note"], "hi");
    assert_eq!(obj["spec"]["replicas"], 5);
    assert_eq!(obj["spec"]["minReadySeconds"], 3);
    assert_eq!(obj["spec"]["revisionHistoryLimit"], 4);
    assert_eq!(
        containers(&obj)[0]["env"],
        json!([{"name": "A", "value": "1"}, {"name": "B", "value": "3"}, {"name": "C", "value": "4"}]),
        "a strategic merge patch merges env by name"
    );
    assert_eq!(
        fields(&obj, "kubectl-label", "Update"),
        Some(json!({"f:metadata": {"f:labels": {"f:tier": {}}}}))
    );
    assert_eq!(
        fields(&obj, "kubectl-annotate", "Update"),
        Some(json!({"f:metadata": {"f:annotations": {"f:note": {}}}})),
        "the annotations map was there (the controller's revision): the updater owns its key only"
    );
    assert_eq!(
        fields(&obj, "kubectl-edit", "Update"),
        Some(json!({"f:spec": {"f:replicas": {}}}))
    );
    assert_eq!(
        fields(&obj, "kubectl-patch", "Update"),
        Some(
            json!({"f:spec": {"f:minReadySeconds": {}, "f:revisionHistoryLimit": {},
            "f:template": {"f:spec": {"f:containers": {WEB: {"f:env": {
                r#"k:{"name":"C"}"#: {".": {}, "f:name": {}, "f:value": {}}}}}}}}})
        )
    );
    let ssa = fields(&obj, "kubectl", "Apply").expect("the applier");
    assert!(
        ssa["f:spec"].get("f:replicas").is_none(),
        "kubectl edit took replicas"
    );

    // A strategic merge patch with directives: delete an env var, replace the ports.
    e.ok(&["patch", "deployment", "web", "-p",
        r#"{"spec":{"template":{"spec":{"containers":[{"name":"web","env":[{"name":"A","$patch":"delete"}],"ports":[{"$patch":"replace"},{"containerPort":8080}]}]}}}}"#]);
    let obj = e.deployment();
    assert_eq!(
        containers(&obj)[0]["env"],
        json!([{"name": "B", "value": "3"}, {"name": "C", "value": "4"}])
    );
    assert_eq!(
        containers(&obj)[0]["ports"],
        json!([{"containerPort": 8080, "protocol": "TCP"}])
    );
}

#[test]
fn failing_json_patches_answer_as_the_api_server() {
    let e = env();
    let out = e.apply(CHANGED, &["--server-side"]);
    assert!(out.success, "{}", out.stderr);
    let err = e.kubectl.fails(&["patch", "deployment", "web", "--type=json", "-p",
        r#"[{"op":"test","path":"/spec/replicas","value":9},{"op":"replace","path":"/spec/replicas","value":9}]"#]);
    assert_eq!(
        err.trim(),
        "The request is invalid: : testing value /spec/replicas failed: test failed"
    );
    let err = e.kubectl.fails(&[
        "patch",
        "deployment",
        "web",
        "--type=json",
        "-p",
        r#"[{"op":"remove","path":"/spec/nope"}]"#,
    ]);
    assert_eq!(
        err.trim(),
        r#"The request is invalid: : remove operation does not apply: doc is missing path: "/spec/nope": missing value"#
    );
    assert_eq!(e.deployment()["spec"]["replicas"], 2, "nothing applied");
}

#[test]
fn untyped_kinds_refuse_strategic_merge_patch_and_apply_with_atomic_lists() {
    let e = env();
    let widget = "apiVersion: skel.dev/v1\nkind: Widget\nmetadata: {name: w1}\nspec: {size: 1, tags: [a, b]}\n";
    let out = e.apply(widget, &["--server-side"]);
    assert!(out.success, "{}", out.stderr);
    let err = e
        .kubectl
        .fails(&["patch", "widget", "w1", "-p", r#"{"spec":{"size":2}}"#]);
    assert!(
        err.contains("the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"),
        "{err}"
    );
    e.ok(&[
        "patch",
        "widget",
        "w1",
        "--type=merge",
        "-p",
        r#"{"spec":{"size":2}}"#,
    ]);
    let obj = e
        .standin
        .object("skel.dev/v1", "widgets", Some("default"), "w1")
        .expect("the widget");
    assert_eq!(obj["spec"], json!({"size": 2, "tags": ["a", "b"]}));
    let entries = obj["metadata"]["managedFields"]
        .as_array()
        .expect("managed fields");
    let apply = entries
        .iter()
        .find(|m| m["operation"] == "Apply")
        .expect("apply entry");
    assert_eq!(
        apply["fieldsV1"],
        json!({"f:spec": {".": {}, "f:tags": {}}}),
        "size went to kubectl-patch"
    );
    let err = e
        .apply(&widget.replace("size: 1", "size: 3"), &["--server-side"])
        .stderr;
    assert!(
        err.contains(r#"conflict with "kubectl-patch" using skel.dev/v1: .spec.size"#),
        "{err}"
    );
    // Client-side apply of an untyped kind: kubectl falls back to a JSON merge patch.
    let other = widget.replace("w1", "w2");
    assert!(e.apply(&other, &[]).success);
    let out = e.apply(
        &other.replace("size: 1", "size: 5").replace("[a, b]", "[c]"),
        &[],
    );
    assert!(out.success, "{}", out.stderr);
    let w2 = e
        .standin
        .object("skel.dev/v1", "widgets", Some("default"), "w2")
        .expect("w2");
    assert_eq!(w2["spec"], json!({"size": 5, "tags": ["c"]}));
}

#[test]
fn undeclared_fields_and_missing_keys_fail_an_apply_as_the_api_server_does() {
    let e = env();
    let out = e.apply(
        &CHANGED.replace("replicas: 2", "replicaz: 2"),
        &["--server-side"],
    );
    assert!(!out.success);
    assert_eq!(
        out.stderr.trim(),
        "Error from server: failed to create typed patch object (default/web; apps/v1, Kind=Deployment): .spec.replicaz: field not declared in schema"
    );
    let svc = "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  ports: [{name: a, targetPort: 80}]\n";
    let out = e.apply(svc, &["--server-side"]);
    assert_eq!(
        out.stderr.trim(),
        r#"Error from server: failed to create typed patch object (default/s; /v1, Kind=Service): .spec.ports: element 0: associative list with keys has an element that omits key field "port" (and doesn't have default value)"#
    );
    let out = e.apply(CHANGED, &["--server-side", "--field-manager="]);
    assert_eq!(
        out.stderr.trim(),
        r#"The PatchOptions "" is invalid: fieldManager: Required value: is required for apply patch"#
    );
    assert!(e
        .standin
        .object("apps/v1", "deployments", Some("default"), "web")
        .is_none());
}

#[test]
fn stripped_managed_fields_go_to_before_first_apply() {
    let e = env();
    let out = e.apply(CHANGED, &["--server-side"]);
    assert!(out.success, "{}", out.stderr);
    // Rolled out first, so no controller write comes between the strip and the next apply.
    e.ok(&["rollout", "status", "deployment/web", "--timeout=30s"]);
    // `[{}]` strips managedFields (an empty list would keep them).
    e.ok(&[
        "patch",
        "deployment",
        "web",
        "--type=json",
        "-p",
        r#"[{"op":"replace","path":"/metadata/managedFields","value":[]}]"#,
    ]);
    assert!(
        fields(&e.deployment(), "kubectl", "Apply").is_some(),
        "an empty list keeps them"
    );
    e.ok(&[
        "patch",
        "deployment",
        "web",
        "--type=json",
        "-p",
        r#"[{"op":"replace","path":"/metadata/managedFields","value":[{}]}]"#,
    ]);
    assert_eq!(e.deployment()["metadata"].get("managedFields"), None);
    let out = e.apply(
        &CHANGED.replace("nginx:1.25", "nginx:1.26"),
        &["--server-side"],
    );
    assert!(
        out.stderr.contains(r#"conflict with "before-first-apply" using apps/v1: .spec.template.spec.containers[name="web"].image"#),
        "{}",
        out.stderr
    );
    let out = e.apply(CHANGED, &["--server-side"]);
    assert!(out.success, "{}", out.stderr);
    let obj = e.deployment();
    let before = fields(&obj, "before-first-apply", "Update").expect("everything that was there");
    assert_eq!(
        web_container(&before)["f:image"],
        json!({}),
        "shared with the applier"
    );
    assert_eq!(before["f:spec"]["f:progressDeadlineSeconds"], json!({}));
    assert_eq!(
        managers(&obj),
        ["kubectl/Apply", "before-first-apply/Update"]
    );
}

#[test]
fn force_conflicts_takes_a_field_from_client_side_apply() {
    let e = env();
    let out = e.apply(CREATED, &[]);
    assert!(out.success, "{}", out.stderr);
    let newer = CREATED.replace("nginx:1.25", "nginx:1.26");
    let out = e.apply(&newer, &["--server-side"]);
    assert!(
        out.stderr.contains(
            r#"conflict with "kubectl-client-side-apply" using apps/v1: .spec.template.spec.containers[name="web"].image"#
        ),
        "{}",
        out.stderr
    );
    let out = e.apply(&newer, &["--server-side", "--force-conflicts"]);
    assert!(out.success, "{}", out.stderr);
    let obj = e.deployment();
    assert_eq!(containers(&obj)[0]["image"], "nginx:1.26");
    let ssa = fields(&obj, "kubectl", "Apply").expect("the applier");
    assert_eq!(web_container(&ssa)["f:image"], json!({}));
    let owners: Vec<String> = obj["metadata"]["managedFields"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|m| web_container(&m["fieldsV1"]).get("f:image").is_some())
        .map(|m| m["manager"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(owners, ["kubectl"], "the image has one owner now");
}

#[test]
fn apply_requests_are_checked_as_the_api_server_checks_them() {
    use skel_kube_standin::client::request;
    let e = env();
    let url = e.standin.url().to_string();
    let deploy = "/apis/apps/v1/namespaces/default/deployments";
    let apply = "application/apply-patch+yaml";
    let body = r#"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},
        "spec":{"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},
        "spec":{"containers":[{"name":"web","image":"nginx"}]}}}}"#;
    let (code, _) = request(
        &url,
        "PATCH",
        &format!("{deploy}/web?fieldManager=x"),
        apply,
        body,
    )
    .expect("apply");
    assert_eq!(code, 201);
    let cases = [
        (format!("{deploy}/other?fieldManager=x"), apply, body.to_string(), 400,
            "the name of the object (web) does not match the name on the URL (other)"),
        (format!("{deploy}/web?fieldManager=x"), apply,
            body.replace(r#""name":"web"}"#, r#""name":"web","managedFields":[{"manager":"y"}]}"#), 400,
            "metadata.managedFields must be nil"),
        (format!("{deploy}/web?fieldManager=x"), apply,
            body.replace(r#""name":"web"}"#, r#""name":"web","resourceVersion":"1"}"#), 409,
            "Operation cannot be fulfilled on deployments.apps \"web\": the object has been modified; please apply your changes to the latest version and try again"),
        (format!("{deploy}/web"), apply, body.to_string(), 422,
            "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch"),
        (format!("{deploy}/web?force=true"), "application/merge-patch+json", "{}".to_string(), 422,
            "PatchOptions.meta.k8s.io \"\" is invalid: force: Forbidden: may not be specified for non-apply patch"),
        (format!("{deploy}/web"), "application/json", "{}".to_string(), 415,
            "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml"),
    ];
    for (path, content_type, body, want_code, want_message) in cases {
        let (code, status) = request(&url, "PATCH", &path, content_type, &body).expect("request");
        assert_eq!(
            (code, status["message"].as_str()),
            (want_code, Some(want_message)),
            "{path} {status}"
        );
        assert_eq!(status["code"], want_code);
    }
    // A strategic merge patch keeps the charset parameter out of the media type.
    let (code, obj) = request(
        &url,
        "PATCH",
        &format!("{deploy}/web"),
        "application/strategic-merge-patch+json; charset=utf-8",
        r#"{"spec":{"replicas":3}}"#,
    )
    .expect("patch");
    assert_eq!((code, &obj["spec"]["replicas"]), (200, &json!(3)));
}
