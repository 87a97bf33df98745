//! The real `kubectl` against the stand-in's workloads: `scale` (the scale subresource),
//! `rollout status` (a watch until the simulated pods are ready), `get pods`, `describe
//! deployment`, `get -w` (a MODIFIED after a change, then the end at the request timeout),
//! a rollback to an earlier template, a failing rollout, and `delete` (garbage collection of ReplicaSets and Pods).

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use skel_kube_standin::kubectl::Kubectl;

const MANIFEST: &str = "apiVersion: apps/v1
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
      - name: nginx
        image: nginx:1.27
        ports:
        - containerPort: 80
";

fn started() -> (skel_kube_standin::StandIn, tempfile::TempDir, Kubectl) {
    let standin = skel_kube_standin::start().expect("start the stand-in");
    let dir = tempfile::tempdir().expect("tempdir");
    let kubectl = Kubectl::for_standin(&standin, dir.path());
    kubectl.ok_stdin(&["apply", "--validate=false", "-f", "-"], MANIFEST);
    (standin, dir, kubectl)
}

/// `kubectl get KIND -o name` as a sorted list.
fn names(kubectl: &Kubectl, kind: &str) -> Vec<String> {
    let mut names: Vec<String> = kubectl
        .ok(&["get", kind, "-o", "name"])
        .lines()
        .map(str::to_string)
        .collect();
    names.sort();
    names
}

fn replica_set_names(kubectl: &Kubectl) -> Vec<String> {
    names(kubectl, "rs")
        .into_iter()
        .map(|n| n.trim_start_matches("replicaset.apps/").to_string())
        .collect()
}

#[test]
fn scale_rollout_status_get_pods_and_describe() {
    let (standin, _dir, kubectl) = started();
    let out = kubectl.ok(&["rollout", "status", "deployment/web", "--timeout=30s"]);
    assert!(
        out.contains("deployment \"web\" successfully rolled out"),
        "{out}"
    );
    let rs = replica_set_names(&kubectl);
    assert_eq!(rs.len(), 1, "{rs:?}");
    let rs = &rs[0];
    let hash = rs.strip_prefix("web-").expect("NAME-HASH");
    assert!(hash.len() >= 8, "{rs}");
    let pods = names(&kubectl, "pods");
    assert_eq!(pods.len(), 2, "{pods:?}");
    for p in &pods {
        let suffix = p
            .strip_prefix(&format!("pod/{rs}-"))
            .unwrap_or_else(|| panic!("{p} is not a pod of {rs}"));
        assert_eq!(suffix.len(), 5, "{p}");
    }
    let labels = kubectl.ok(&["get", "pods", "-l", "app=web", "-o", "name"]);
    assert_eq!(labels.lines().count(), 2, "{labels}");

    let out = kubectl.ok(&["scale", "deployment", "web", "--replicas=3"]);
    assert!(out.contains("deployment.apps/web scaled"), "{out}");
    let out = kubectl.ok(&["rollout", "status", "deployment/web", "--timeout=30s"]);
    assert!(out.contains("successfully rolled out"), "{out}");
    assert_eq!(names(&kubectl, "pods").len(), 3);
    assert_eq!(replica_set_names(&kubectl), vec![rs.clone()]);
    let phases = kubectl.ok(&[
        "get",
        "pods",
        "-o",
        "jsonpath={range .items[*]}{.status.phase} {.status.podIP} {.spec.nodeName}{\"\\n\"}{end}",
    ]);
    assert_eq!(phases.lines().count(), 3, "{phases}");
    assert!(
        phases
            .lines()
            .all(|l| l.starts_with("Running 10.244.") && l.ends_with(" standin-node")),
        "{phases}"
    );

    let described = kubectl.ok(&["describe", "deployment", "web"]);
    for expected in [
        "Replicas:               3 desired | 3 updated | 3 total | 3 available | 0 unavailable",
        &format!("NewReplicaSet:   {rs} (3/3 replicas created)"),
        "Available      True    MinimumReplicasAvailable",
        "Progressing    True    NewReplicaSetAvailable",
        &format!("Scaled up replica set {rs} from 2 to 3"),
    ] {
        assert!(
            described.contains(expected),
            "missing {expected:?}:\n{described}"
        );
    }

    // `kubectl scale` went through the scale subresource, recorded as such.
    let obj = standin
        .object("apps/v1", "deployments", Some("default"), "web")
        .expect("the deployment");
    let scale = obj["metadata"]["managedFields"]
        .as_array()
        .and_then(|m| m.iter().find(|e| e["subresource"] == json!("scale")))
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(scale["manager"], "kubectl", "{obj:#}");
    assert_eq!(
        scale["fieldsV1"],
        json!({"f:spec": {"f:replicas": {}}}),
        "{obj:#}"
    );
    let scale = kubectl.ok(&[
        "get",
        "--raw",
        "/apis/apps/v1/namespaces/default/deployments/web/scale",
    ]);
    let scale: Value = serde_json::from_str(&scale).expect("a Scale");
    assert_eq!(scale["kind"], "Scale");
    assert_eq!(scale["apiVersion"], "autoscaling/v1");
    assert_eq!(scale["spec"]["replicas"], 3);
    assert_eq!(scale["status"]["selector"], "app=web");
}

#[test]
fn get_watch_sees_the_change_then_ends_at_the_request_timeout() {
    let (_standin, dir, kubectl) = started();
    let config = dir.path().join("kubeconfig");
    let labeller = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(1200));
        let status =
            std::process::Command::new(skel_kube_standin::kubectl::binary().expect("kubectl"))
                .args(["label", "deployment", "web", "tier=front"])
                .env("KUBECONFIG", &config)
                .output()
                .expect("kubectl label");
        assert!(status.status.success(), "{status:?}");
    });
    let start = Instant::now();
    let out = kubectl.ok(&[
        "get",
        "deploy",
        "web",
        "-w",
        "--output-watch-events",
        "--request-timeout=4s",
        "-o",
        "custom-columns=EVENT:.type,NAME:.object.metadata.name,TIER:.object.metadata.labels.tier",
    ]);
    labeller.join().expect("the label thread");
    let took = start.elapsed();
    assert!(
        took >= Duration::from_secs(3) && took < Duration::from_secs(20),
        "{took:?}"
    );
    let lines: Vec<Vec<&str>> = out
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert!(lines.contains(&vec!["ADDED", "web", "<none>"]), "{out}");
    assert!(lines.contains(&vec!["MODIFIED", "web", "front"]), "{out}");
}

#[test]
fn rollout_to_a_new_template_scales_the_old_replica_set_down_and_back_reuses_it() {
    let (_standin, _dir, kubectl) = started();
    kubectl.ok(&["rollout", "status", "deployment/web", "--timeout=30s"]);
    let first = replica_set_names(&kubectl);
    let newer = MANIFEST.replace("nginx:1.27", "nginx:1.28");
    kubectl.ok_stdin(&["replace", "--validate=false", "-f", "-"], &newer);
    let out = kubectl.ok(&["rollout", "status", "deployment/web", "--timeout=30s"]);
    assert!(out.contains("successfully rolled out"), "{out}");
    let both = replica_set_names(&kubectl);
    assert_eq!(both.len(), 2, "{both:?}");
    let second: Vec<&String> = both.iter().filter(|n| !first.contains(n)).collect();
    assert_eq!(second.len(), 1, "{both:?}");
    let described = kubectl.ok(&["describe", "deployment", "web"]);
    // kubectl 1.31 and 1.32 list every old ReplicaSet; Debian's 1.20 only those with pods.
    let old = if kubectl.minor_version() > 20 {
        format!("OldReplicaSets:  {} (0/0 replicas created)", first[0])
    } else {
        "OldReplicaSets:  <none>".to_string()
    };
    assert!(
        described.contains(&old),
        "kubectl 1.{}: {described}",
        kubectl.minor_version()
    );
    assert!(
        described.contains(&format!(
            "NewReplicaSet:   {} (2/2 replicas created)",
            second[0]
        )),
        "{described}"
    );
    // The rolling update went one pod at a time (maxSurge 1, maxUnavailable 0 for 2 replicas).
    for step in [
        format!("Scaled up replica set {} from 0 to 1", second[0]),
        format!("Scaled down replica set {} from 2 to 1", first[0]),
        format!("Scaled up replica set {} from 1 to 2", second[0]),
        format!("Scaled down replica set {} from 1 to 0", first[0]),
    ] {
        assert!(described.contains(&step), "missing {step:?}:\n{described}");
    }
    let pods = names(&kubectl, "pods");
    assert_eq!(pods.len(), 2, "{pods:?}");
    assert!(
        pods.iter()
            .all(|p| p.starts_with(&format!("pod/{}-", second[0]))),
        "{pods:?}"
    );
    let history = kubectl.ok(&["rollout", "history", "deployment/web"]);
    assert!(
        history.contains("\n1 ") && history.contains("\n2 "),
        "{history}"
    );

    // Back to the first template (what `rollout undo` does, with a JSON patch): its ReplicaSet
    // is reused and becomes revision 3.
    kubectl.ok_stdin(&["replace", "--validate=false", "-f", "-"], MANIFEST);
    kubectl.ok(&["rollout", "status", "deployment/web", "--timeout=30s"]);
    let image = kubectl.ok(&[
        "get",
        "deployment",
        "web",
        "-o",
        "jsonpath={.spec.template.spec.containers[0].image} {.metadata.annotations.deployment\\.kubernetes\\.io/revision}",
    ]);
    assert_eq!(image, "nginx:1.27 3");
    let pods = names(&kubectl, "pods");
    assert!(
        pods.len() == 2
            && pods
                .iter()
                .all(|p| p.starts_with(&format!("pod/{}-", first[0]))),
        "{pods:?}"
    );
}

#[test]
fn a_failing_rollout_exceeds_its_progress_deadline() {
    let (_standin, _dir, kubectl) = started();
    kubectl.ok(&["rollout", "status", "deployment/web", "--timeout=30s"]);
    kubectl.ok(&["set", "image", "deployment/web", "nginx=fail:nginx"]);
    let err = kubectl.fails(&["rollout", "status", "deployment/web", "--timeout=30s"]);
    assert!(
        err.contains("deployment \"web\" exceeded its progress deadline"),
        "{err}"
    );
    let waiting = kubectl.ok(&[
        "get",
        "pods",
        "-o",
        "jsonpath={range .items[*]}{.status.containerStatuses[0].state.waiting.reason}{\"\\n\"}{end}",
    ]);
    // maxSurge 25% of 2 is 1 new pod (it never starts), maxUnavailable 0: both old pods stay.
    assert_eq!(
        waiting.lines().filter(|l| *l == "ImagePullBackOff").count(),
        1,
        "{waiting}"
    );
    assert_eq!(names(&kubectl, "pods").len(), 3);
    let described = kubectl.ok(&["describe", "deployment", "web"]);
    assert!(
        described.contains("2 desired | 1 updated | 3 total | 2 available | 0 unavailable"),
        "{described}"
    );
}

#[test]
fn delete_collects_replica_sets_and_pods_and_orphan_keeps_them() {
    let (_standin, _dir, kubectl) = started();
    kubectl.ok(&["rollout", "status", "deployment/web", "--timeout=30s"]);
    assert_eq!(names(&kubectl, "pods").len(), 2);
    // A deleted pod is replaced by its ReplicaSet.
    let pods = names(&kubectl, "pods");
    kubectl.ok(&["delete", &pods[0]]);
    kubectl.ok(&["rollout", "status", "deployment/web", "--timeout=30s"]);
    let again = names(&kubectl, "pods");
    assert_eq!(again.len(), 2, "{again:?}");
    assert!(!again.contains(&pods[0]), "{again:?}");

    let out = kubectl.ok(&["delete", "deployment", "web"]);
    assert!(out.contains("deployment.apps \"web\" deleted"), "{out}");
    let run = kubectl.run(&["get", "deploy,rs,pods"]);
    assert!(run.success, "{run:?}");
    assert!(
        run.stderr
            .contains("No resources found in default namespace."),
        "{run:?}"
    );

    kubectl.ok_stdin(&["apply", "--validate=false", "-f", "-"], MANIFEST);
    kubectl.ok(&["rollout", "status", "deployment/web", "--timeout=30s"]);
    kubectl.ok(&["delete", "deployment", "web", "--cascade=orphan"]);
    let rs = replica_set_names(&kubectl);
    assert_eq!(rs.len(), 1, "{rs:?}");
    let owners = kubectl.ok(&[
        "get",
        "rs",
        &rs[0],
        "-o",
        "jsonpath={.metadata.ownerReferences}",
    ]);
    assert_eq!(owners, "", "orphaned");
    assert_eq!(names(&kubectl, "pods").len(), 2);
}

/// `kubectl set image` (a strategic merge patch) rolls out a second ReplicaSet; `kubectl rollout
/// undo` (the old template sent back, with the `creationTimestamp: null` and `resources: {}` a
/// Go client writes) finds the first one again and makes it revision 3, as the controller does.
#[test]
fn set_image_then_rollout_undo_returns_to_the_first_replica_set() {
    let (_standin, _dir, kubectl) = started();
    kubectl.ok(&["rollout", "status", "deployment/web", "--timeout=30s"]);
    let first = replica_set_names(&kubectl);
    assert_eq!(first.len(), 1, "{first:?}");
    kubectl.ok(&["set", "image", "deployment/web", "nginx=nginx:1.28"]);
    kubectl.ok(&["rollout", "status", "deployment/web", "--timeout=30s"]);
    let two = replica_set_names(&kubectl);
    assert_eq!(two.len(), 2, "{two:?}");
    let out = kubectl.ok(&["rollout", "undo", "deployment/web"]);
    assert!(out.contains("rolled back"), "{out}");
    kubectl.ok(&["rollout", "status", "deployment/web", "--timeout=30s"]);
    assert_eq!(replica_set_names(&kubectl), two, "no third ReplicaSet");
    let image = kubectl.ok(&[
        "get",
        "deployment",
        "web",
        "-o",
        "jsonpath={.spec.template.spec.containers[0].image}",
    ]);
    assert_eq!(image, "nginx:1.27");
    let revision = kubectl.ok(&[
        "get",
        "rs",
        &first[0],
        "-o",
        "jsonpath={.metadata.annotations.deployment\\.kubernetes\\.io/revision} {.spec.replicas}",
    ]);
    assert_eq!(
        revision, "3 2",
        "the first ReplicaSet is revision 3 with every replica"
    );
    let history = kubectl.ok(&["rollout", "history", "deployment/web"]);
    let revisions: Vec<&str> = history
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| w.parse::<u32>().is_ok())
        .collect();
    assert_eq!(revisions, ["2", "3"], "{history}");
}

/// `kubectl get deploy -w` asks for Tables: every event is a one-row Table, so the watch prints
/// the Deployment columns as against a cluster (the header once), not just NAME and AGE.
#[test]
fn get_watch_prints_table_rows() {
    let (_standin, _dir, kubectl) = started();
    kubectl.ok(&["rollout", "status", "deployment/web", "--timeout=30s"]);
    let run = kubectl.run(&["get", "deploy", "-w", "--request-timeout=2s"]);
    assert!(run.success, "{}", run.stderr);
    let lines: Vec<Vec<&str>> = run
        .stdout
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(
        lines.first().map(Vec::as_slice),
        Some(&["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"][..]),
        "{}",
        run.stdout
    );
    assert_eq!(
        lines.iter().filter(|l| l.first() == Some(&"NAME")).count(),
        1,
        "one header: {}",
        run.stdout
    );
    assert!(
        lines
            .iter()
            .any(|l| l.get(..4) == Some(&["web", "2/2", "2", "2"][..])),
        "{}",
        run.stdout
    );
}
