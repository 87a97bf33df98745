//! The stand-in scenarios against a real cluster, only when `SKEL_TEST_KUBECONFIG` names a
//! kubeconfig (docs/kubernetes-standin.md: kind or k3s). Without it the suite passes by checking
//! the variable is unset. Each run works in a fresh namespace it deletes afterwards, and then
//! runs the per-type matrix (`common/matrix.rs`) in two more.

mod common;

use common::{config, converge, destroy, matrix, provider, scenarios};
use serde_json::json;

#[tokio::test]
async fn real_cluster_scenarios() {
    let Some(path) = std::env::var_os("SKEL_TEST_KUBECONFIG") else {
        assert!(std::env::var_os("SKEL_TEST_KUBECONFIG").is_none());
        return;
    };
    let path = std::path::PathBuf::from(path);
    let p = provider(&path);
    let c = scenarios::client(&path).await;
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
    // An image that cannot be pulled never becomes available: the short timeout fails the wait.
    scenarios::deployment_rollout(
        &p,
        &c,
        &ns,
        "registry.k8s.io/pause:3.9",
        "registry.invalid/none:0",
    )
    .await;
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
        images: ["registry.k8s.io/pause:3.9", "registry.k8s.io/pause:3.10"],
    };
    let live = matrix::Live {
        client: &c,
        standin: None,
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
