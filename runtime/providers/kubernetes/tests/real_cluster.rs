//! The stand-in scenarios and the per-type matrix against a real cluster when
//! `SKEL_TEST_KUBECONFIG` names a kubeconfig (docs/kubernetes-standin.md: kind or k3s). Without
//! it the same suite runs against the stand-in, so the code a real-cluster run takes is always
//! exercised. Each run works in a fresh namespace it deletes afterwards, and runs the matrix
//! (`common/matrix.rs`) in two more.

mod common;

use std::path::Path;

use common::{config, converge, destroy, matrix, provider, scenarios};
use serde_json::json;

/// Images: one that runs, one that never becomes available, and a second that runs.
struct Images {
    good: &'static str,
    failing: &'static str,
    next: &'static str,
}

#[tokio::test]
async fn real_cluster_scenarios() {
    if let Some(path) = std::env::var_os("SKEL_TEST_KUBECONFIG") {
        // An image that cannot be pulled never becomes available: the short timeout fails the
        // wait.
        let images = Images {
            good: "registry.k8s.io/pause:3.9",
            failing: "registry.invalid/none:0",
            next: "registry.k8s.io/pause:3.10",
        };
        return run(Path::new(&path), None, images).await;
    }
    eprintln!(
        "SKEL_TEST_KUBECONFIG is not set: running the real-cluster suite against the stand-in \
         (docs/kubernetes-standin.md says how to run it against kind or k3s)"
    );
    let e = common::standin(None);
    let images = Images {
        good: "nginx:1.27",
        failing: "fail:nginx",
        next: "nginx:1.28",
    };
    run(&e.kubeconfig, Some(&e.standin), images).await;
}

async fn run(path: &Path, standin: Option<&skel_kube_standin::StandIn>, images: Images) {
    let p = provider(path);
    let c = scenarios::client(path).await;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let ns = format!("skel-test-{nanos}");
    let ns_cfg = config("kubernetes_namespace", json!({"metadata": {"name": ns}}));
    let ns_state = converge(&p, "kubernetes_namespace", None, &ns_cfg)
        .await
        .expect("namespace");
    scenarios::config_map_lifecycle(&p, &c, &ns).await;
    scenarios::secret_base64(&p, &ns).await;
    scenarios::deployment_rollout(&p, &c, &ns, images.good, images.failing).await;
    scenarios::manifest_conflict(&p, &c, &ns).await;
    let err = scenarios::unknown_kind(&p).await;
    assert!(err.to_string().contains("Gadget"), "{err}");

    let other = format!("{ns}-b");
    let other_cfg = config("kubernetes_namespace", json!({"metadata": {"name": other}}));
    let other_state = converge(&p, "kubernetes_namespace", None, &other_cfg)
        .await
        .expect("the second namespace");
    let env = matrix::Env {
        ns: &ns,
        other_ns: &other,
        images: [images.good, images.next],
    };
    let live = matrix::Live {
        client: &c,
        standin,
    };
    for type_name in matrix::TYPES {
        let case = matrix::case(type_name, env).expect("a matrix case");
        matrix::run(&p, &live, &case).await;
    }
    destroy(&p, "kubernetes_namespace", &other_state)
        .await
        .expect("delete the second namespace");
    destroy(&p, "kubernetes_namespace", &ns_state)
        .await
        .expect("delete the namespace");
}
