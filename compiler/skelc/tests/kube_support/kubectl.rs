//! skel and the real `kubectl` on one cluster (the stand-in): an image changed out of band with
//! `kubectl set image` is exactly the drift `skelc plan` shows, `skelc run` restores it and skel
//! stays the field's manager; a field another manager owns and skel does not set (an
//! autoscaler's `spec.replicas`) is neither a conflict nor drift.

use super::{assert_update, changes, cluster, project, Cluster};
use serde_json::{json, Value as Json};
use skel_kube_standin::kubectl::Kubectl;

const WEB: &str = "/apis/apps/v1/namespaces/default/deployments/web";

/// A Deployment with two containers, ports and env (the lists Kubernetes merges by key), and
/// `spec.replicas` only when `replicas` is given.
fn config(image: &str, replicas: Option<u32>) -> String {
    let replicas = replicas.map_or(String::new(), |n| format!("replicas = {n}"));
    format!(
        r#"
provider "kubernetes" {{}}

resource "kubernetes_deployment" "web" {{
  metadata {{
    name      = "web"
    namespace = "default"
    labels    = {{ app = "web" }}
  }}
  spec {{
    {replicas}
    selector {{
      match_labels = {{ app = "web" }}
    }}
    template {{
      metadata {{
        labels = {{ app = "web" }}
      }}
      spec {{
        container {{
          name  = "web"
          image = "{image}"
          port {{
            container_port = 8080
          }}
          env {{
            name  = "MODE"
            value = "blue"
          }}
        }}
        container {{
          name  = "sidecar"
          image = "busybox:1.36"
          args  = ["sleep", "infinity"]
        }}
      }}
    }}
  }}
}}
"#
    )
}

fn container<'a>(obj: &'a Json, name: &str) -> &'a Json {
    obj["spec"]["template"]["spec"]["containers"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["name"] == name))
        .unwrap_or_else(|| panic!("container {name} in {obj:#}"))
}

/// The `fieldsV1` of `manager`'s entry with `operation`, if it has one.
fn fields_of<'a>(obj: &'a Json, manager: &str, operation: &str) -> Option<&'a Json> {
    obj["metadata"]["managedFields"]
        .as_array()?
        .iter()
        .find(|e| e["manager"] == manager && e["operation"] == operation)
        .map(|e| &e["fieldsV1"])
}

fn owns_web_image(fields: Option<&Json>) -> bool {
    fields.is_some_and(|f| {
        !f["f:spec"]["f:template"]["f:spec"]["f:containers"]["k:{\"name\":\"web\"}"]["f:image"]
            .is_null()
    })
}

fn skel_manager(c: &Cluster) -> String {
    let obj = c.object(WEB);
    obj["metadata"]["managedFields"]
        .as_array()
        .and_then(|es| es.iter().find(|e| e["operation"] == "Apply"))
        .and_then(|e| e["manager"].as_str())
        .expect("skel's Apply entry")
        .to_string()
}

#[test]
fn kubectl_set_image_is_exactly_the_drift_and_skel_takes_the_field_back() {
    let c = cluster();
    let (_tmp, dir) = project(&config("nginx:1.26", Some(2)));
    c.ok(&dir, &["run", "--auto-approve"]);
    let manager = skel_manager(&c);
    assert!(owns_web_image(fields_of(&c.object(WEB), &manager, "Apply")));

    let kubectl_home = tempfile::tempdir().expect("tempdir");
    let kubectl = Kubectl::for_standin(&c.standin, kubectl_home.path());
    kubectl.ok(&["set", "image", "deployment/web", "web=nginx:1.27"]);
    let live = c.object(WEB);
    let web = container(&live, "web");
    assert_eq!(web["image"], "nginx:1.27");
    // A strategic merge patch by key: the rest of the container and the sidecar are untouched.
    assert_eq!(web["env"], json!([{"name": "MODE", "value": "blue"}]));
    assert_eq!(web["ports"][0]["containerPort"], 8080);
    assert_eq!(container(&live, "sidecar")["image"], "busybox:1.36");
    assert!(owns_web_image(fields_of(&live, "kubectl-set", "Update")));

    let drift = c.skelc(&dir, &["plan", "--detailed-exitcode"]);
    assert_eq!(drift.code, 2, "the changed image is drift: {drift:?}");
    assert!(drift.stdout.contains("nginx:1.27"), "{drift:?}");
    let plan = c.plan_json(&dir, &[]);
    let planned = changes(&plan);
    assert_eq!(planned.len(), 1, "{planned:#?}");
    assert_update(
        planned.get("kubernetes_deployment.web"),
        &["spec.0.template.0.spec.0.container.0.image"],
    );

    c.ok(&dir, &["run", "--auto-approve"]);
    let restored = c.object(WEB);
    assert_eq!(container(&restored, "web")["image"], "nginx:1.26");
    assert_eq!(container(&restored, "sidecar")["image"], "busybox:1.36");
    assert!(
        owns_web_image(fields_of(&restored, &manager, "Apply")),
        "skel manages the image again: {:#}",
        restored["metadata"]["managedFields"]
    );
    assert!(
        !owns_web_image(fields_of(&restored, "kubectl-set", "Update")),
        "kubectl-set no longer owns the image: {:#}",
        restored["metadata"]["managedFields"]
    );
    let settled = c.skelc(&dir, &["plan", "--detailed-exitcode"]);
    assert_eq!(settled.code, 0, "{settled:?}");
}

#[test]
fn an_autoscalers_replicas_are_neither_a_conflict_nor_drift() {
    let c = cluster();
    let (_tmp, dir) = project(&config("nginx:1.26", None));
    c.ok(&dir, &["run", "--auto-approve"]);
    let manager = skel_manager(&c);
    assert!(
        fields_of(&c.object(WEB), &manager, "Apply")
            .is_some_and(|f| f["f:spec"]["f:replicas"].is_null()),
        "skel does not set replicas"
    );

    // The autoscaler applies the replica count it wants as its own field manager.
    c.send(
        "PATCH",
        &format!("{WEB}?fieldManager=autoscaler"),
        "application/apply-patch+yaml",
        &json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "default"},
            "spec": {"replicas": 5}}),
    );
    assert_eq!(c.object(WEB)["spec"]["replicas"], 5);
    let settled = c.skelc(&dir, &["plan", "--detailed-exitcode"]);
    assert_eq!(
        settled.code, 0,
        "another manager's field is not drift: {settled:?}"
    );

    // A change of skel's own field applies without a conflict and leaves the replicas alone.
    std::fs::write(dir.join("main.skel"), config("nginx:1.27", None)).expect("write");
    let run = c.ok(&dir, &["run", "--auto-approve"]);
    assert!(run.stdout.contains("1 changed"), "{run:?}");
    let live = c.object(WEB);
    assert_eq!(live["spec"]["replicas"], 5);
    assert_eq!(container(&live, "web")["image"], "nginx:1.27");
    let autoscaler = fields_of(&live, "autoscaler", "Apply").expect("the autoscaler's entry");
    assert!(
        !autoscaler["f:spec"]["f:replicas"].is_null(),
        "{autoscaler:#}"
    );
    let settled = c.skelc(&dir, &["plan", "--detailed-exitcode"]);
    assert_eq!(settled.code, 0, "{settled:?}");
}
