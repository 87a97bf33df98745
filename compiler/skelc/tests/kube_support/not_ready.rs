//! Objects created whose wait then fails (a deployment whose rollout exceeds its progress
//! deadline, rollout and load-balancer waits that time out): `skelc run` fails with the
//! conditions, the objects stay in the stand-in and are in state as tainted, and the next plan
//! replaces them.

use std::fs;
use std::path::Path;
use std::time::Duration;

use serde_json::Value as Json;

use super::{changes, cluster, project, Cluster};

const BROKEN_DEPLOYMENT: &str = "/apis/apps/v1/namespaces/default/deployments/broken";
const SLOW_DEPLOYMENT: &str = "/apis/apps/v1/namespaces/default/deployments/slow";
const LB_SERVICE: &str = "/api/v1/namespaces/default/services/lb";

fn deployment(name: &str, image: &str, create_timeout: &str) -> String {
    format!(
        r#"
resource "kubernetes_deployment" "{name}" {{
  metadata {{
    name = "{name}"
  }}
  spec {{
    replicas = 2
    selector {{
      match_labels = {{
        app = "{name}"
      }}
    }}
    template {{
      metadata {{
        labels = {{
          app = "{name}"
        }}
      }}
      spec {{
        container {{
          name  = "{name}"
          image = "{image}"
        }}
      }}
    }}
  }}
  timeouts {{
    create = "{create_timeout}"
  }}
}}
"#
    )
}

const LOAD_BALANCER: &str = r#"
resource "kubernetes_service" "lb" {
  metadata {
    name = "lb"
  }
  spec {
    type = "LoadBalancer"
    selector = {
      app = "slow"
    }
    port {
      port        = 80
      target_port = 8080
    }
  }
  timeouts {
    create = "1s"
  }
}
"#;

fn state(dir: &Path) -> Json {
    let text = fs::read_to_string(dir.join("skel.state.json")).expect("the state file");
    serde_json::from_str(&text).expect("state JSON")
}

/// The instance is in state, tainted, and is the live object (same uid).
fn assert_tainted(c: &Cluster, dir: &Path, addr: &str, path: &str) {
    let state = state(dir);
    let entry = &state["resources"][addr];
    assert_eq!(entry["status"], "tainted", "{addr} in state: {state:#}");
    let live = c.object(path);
    assert_eq!(
        entry["attributes"]["metadata"][0]["uid"], live["metadata"]["uid"],
        "{addr}: the state holds the object that exists"
    );
}

fn assert_replaced_next(c: &Cluster, dir: &Path, addrs: &[&str]) {
    let plan = c.plan_json(dir, &[]);
    let planned = changes(&plan);
    for addr in addrs {
        let change = planned
            .get(*addr)
            .unwrap_or_else(|| panic!("{addr}: {plan:#}"));
        assert_eq!(change.action, "delete_then_create", "{addr}: {change:?}");
    }
    let reasons: Vec<&str> = plan["resource_changes"]
        .as_array()
        .expect("resource_changes")
        .iter()
        .filter(|rc| addrs.contains(&rc["address"].as_str().unwrap_or_default()))
        .filter_map(|rc| rc["reason"].as_str())
        .collect();
    assert_eq!(reasons.len(), addrs.len(), "{plan:#}");
    assert!(
        reasons.iter().all(|r| r.starts_with("tainted")),
        "{reasons:?}"
    );
}

#[test]
fn a_deployment_past_its_progress_deadline_is_kept_tainted_and_replaced() {
    let c = cluster();
    // The stand-in reports ProgressDeadlineExceeded for images starting `fail:`.
    let (_tmp, dir) = project(&deployment("broken", "fail:nginx", "30s"));
    let out = c.skelc(&dir, &["run", "--auto-approve"]);
    assert_ne!(out.code, 0, "{out:?}");
    let all = out.all();
    for expected in [
        "ProgressDeadlineExceeded",
        "Conditions: Available=False (MinimumReplicasUnavailable",
        "Progressing=False (ProgressDeadlineExceeded",
        "tainted",
    ] {
        assert!(all.contains(expected), "missing {expected:?}: {out:?}");
    }
    assert_tainted(&c, &dir, "kubernetes_deployment.broken", BROKEN_DEPLOYMENT);
    let old_uid = c.object(BROKEN_DEPLOYMENT)["metadata"]["uid"].clone();
    assert_replaced_next(&c, &dir, &["kubernetes_deployment.broken"]);

    // Fixed, the next run replaces the tainted object and succeeds.
    fs::write(
        dir.join("main.skel"),
        deployment("broken", "nginx:1.27", "30s"),
    )
    .expect("write main.skel");
    c.ok(&dir, &["run", "--auto-approve"]);
    let live = c.object(BROKEN_DEPLOYMENT);
    assert_ne!(live["metadata"]["uid"], old_uid, "a new object");
    assert_eq!(live["status"]["availableReplicas"], 2, "rolled out");
    let state = state(&dir);
    assert!(
        state["resources"]["kubernetes_deployment.broken"]
            .get("status")
            .is_none(),
        "ready again: {state:#}"
    );
    let again = c.skelc(&dir, &["plan", "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "{again:?}");
}

#[test]
fn rollout_and_load_balancer_wait_timeouts_keep_the_objects_tainted() {
    // Statuses take a minute here, so both waits time out after a second.
    let standin = skel_kube_standin::start_with(skel_kube_standin::Options {
        settle_delay: Duration::from_secs(60),
        ..Default::default()
    })
    .expect("start the stand-in");
    let home = tempfile::tempdir().expect("tempdir");
    let kubeconfig = home.path().join("kubeconfig");
    standin
        .write_kubeconfig(&kubeconfig, None)
        .expect("write the kubeconfig");
    let c = Cluster {
        standin,
        home,
        kubeconfig,
    };
    let config = format!("{}{LOAD_BALANCER}", deployment("slow", "nginx:1.27", "1s"));
    let (_tmp, dir) = project(&config);
    let out = c.skelc(&dir, &["run", "--auto-approve"]);
    assert_ne!(out.code, 0, "{out:?}");
    let all = out.all();
    for expected in [
        "Timed out after 1s waiting for the rollout",
        "Conditions: none reported",
        "Timed out after 1s waiting for a load-balancer ingress",
        "tainted",
    ] {
        assert!(all.contains(expected), "missing {expected:?}: {out:?}");
    }
    assert_tainted(&c, &dir, "kubernetes_deployment.slow", SLOW_DEPLOYMENT);
    assert_tainted(&c, &dir, "kubernetes_service.lb", LB_SERVICE);
    assert_replaced_next(
        &c,
        &dir,
        &["kubernetes_deployment.slow", "kubernetes_service.lb"],
    );
}
