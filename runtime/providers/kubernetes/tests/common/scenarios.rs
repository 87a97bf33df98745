//! The scenarios both suites run: against the stand-in, and against a real cluster when
//! `SKEL_TEST_KUBECONFIG` is set. Out-of-band changes go through kube-rs as another field
//! manager (`kubectl-edit`), as a person editing the object would.

use std::sync::Arc;

use kube::api::{Api, DynamicObject, Patch, PatchParams};
use kube::core::{ApiResource, GroupVersionKind};
use serde_json::json;
use skel_provider::{Provider, ProviderError};

use super::{at, config, converge, destroy, no_changes};

/// A client for out-of-band changes.
pub async fn client(kubeconfig: &std::path::Path) -> kube::Client {
    let kc = kube::config::Kubeconfig::read_from(kubeconfig).expect("kubeconfig");
    let cfg = kube::Config::from_custom_kubeconfig(kc, &Default::default())
        .await
        .expect("config");
    kube::Client::try_from(cfg).expect("client")
}

/// Changes an object as `kubectl edit` would (merge patch by another manager).
pub async fn edit(
    c: &kube::Client,
    av: &str,
    kind: &str,
    plural: &str,
    ns: &str,
    name: &str,
    patch: serde_json::Value,
) {
    let (g, v) = av.rsplit_once('/').unwrap_or(("", av));
    let ar = ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(g, v, kind), plural);
    let api: Api<DynamicObject> = Api::namespaced_with(c.clone(), ns, &ar);
    api.patch(
        name,
        &PatchParams {
            field_manager: Some("kubectl-edit".into()),
            ..Default::default()
        },
        &Patch::Merge(patch),
    )
    .await
    .expect("out-of-band patch");
}

pub async fn config_map_lifecycle(p: &Arc<dyn Provider>, c: &kube::Client, ns: &str) {
    let t = "kubernetes_config_map";
    let cfg = |data: serde_json::Value| {
        config(
            t,
            json!({"metadata": {"name": "settings", "namespace": ns, "labels": {"app": "web"}}, "data": data}),
        )
    };
    let v1 = cfg(json!({"a": "1", "b": "2"}));
    let s1 = converge(p, t, None, &v1).await.expect("create");
    assert_eq!(
        at(&s1, &["id"]).as_str(),
        Some(format!("{ns}/settings").as_str())
    );
    assert!(at(&s1, &["metadata", "0", "uid"]).is_known());
    assert!(
        no_changes(p, t, &s1, &v1).await,
        "a fresh create plans no change: {s1}"
    );
    // Update: drop key b (it must disappear from the object), change a.
    let v2 = cfg(json!({"a": "one"}));
    let s2 = converge(p, t, Some(&s1), &v2).await.expect("update");
    assert_eq!(at(&s2, &["data"]).to_json(), json!({"a": "one"}));
    assert!(no_changes(p, t, &s2, &v2).await);
    // Out-of-band change: read shows the drift, the plan reverts it.
    edit(
        c,
        "v1",
        "ConfigMap",
        "configmaps",
        ns,
        "settings",
        json!({"data": {"a": "edited"}, "metadata": {"labels": {"extra": "x"}}}),
    )
    .await;
    let read = p.read(t, &s2).await.expect("read").expect("exists");
    assert_eq!(at(&read, &["data", "a"]).as_str(), Some("edited"));
    assert_eq!(
        at(&read, &["metadata", "0", "labels"]).to_json(),
        json!({"app": "web"}),
        "others' labels are theirs"
    );
    assert!(!no_changes(p, t, &read, &v2).await);
    let s3 = converge(p, t, Some(&read), &v2).await.expect("revert");
    assert_eq!(at(&s3, &["data", "a"]).as_str(), Some("one"));
    // Import.
    let imported = p
        .import(t, &format!("{ns}/settings"))
        .await
        .expect("import");
    assert_eq!(at(&imported, &["data", "a"]).as_str(), Some("one"));
    // Replace (name is force_new).
    let v4 = config(
        t,
        json!({"metadata": {"name": "settings2", "namespace": ns}, "data": {"a": "1"}}),
    );
    let plan = p
        .plan(skel_provider::PlanRequest {
            type_name: t,
            prior: Some(&s3),
            config: &v4,
        })
        .await
        .expect("plan");
    assert_eq!(
        plan.requires_replace,
        vec![vec!["metadata".to_string(), "0".into(), "name".into()]]
    );
    let s4 = converge(p, t, Some(&s3), &v4).await.expect("replace");
    assert!(
        p.read(t, &s3).await.expect("read").is_none(),
        "the old object is gone"
    );
    destroy(p, t, &s4).await.expect("delete");
    assert!(p.read(t, &s4).await.expect("read").is_none());
}

pub async fn secret_base64(p: &Arc<dyn Provider>, ns: &str) {
    let t = "kubernetes_secret";
    let cfg = config(
        t,
        json!({"metadata": {"name": "creds", "namespace": ns}, "data": {"password": "s3cret"}}),
    );
    let s = converge(p, t, None, &cfg).await.expect("create");
    assert_eq!(at(&s, &["data", "password"]).as_str(), Some("s3cret"));
    assert_eq!(at(&s, &["type"]).as_str(), Some("Opaque"));
    assert!(no_changes(p, t, &s, &cfg).await, "{s}");
    let imported = p.import(t, &format!("{ns}/creds")).await.expect("import");
    assert_eq!(
        at(&imported, &["data", "password"]).as_str(),
        Some("s3cret")
    );
    destroy(p, t, &s).await.expect("delete");
}

pub fn deployment(ns: &str, image: &str, replicas: i64) -> skel_value::Value {
    config(
        "kubernetes_deployment",
        json!({
            "metadata": {"name": "web", "namespace": ns},
            "spec": {"replicas": replicas, "selector": {"match_labels": {"app": "web"}},
                "template": {"metadata": {"labels": {"app": "web"}},
                    "spec": {"container": [{"name": "web", "image": image,
                        "port": [{"container_port": 8080}],
                        "env": [{"name": "MODE", "value": "blue"}]}]}}},
            "timeouts": {"create": "20s", "update": "20s"}
        }),
    )
}

pub async fn deployment_rollout(
    p: &Arc<dyn Provider>,
    c: &kube::Client,
    ns: &str,
    image: &str,
    failing: &str,
) {
    let t = "kubernetes_deployment";
    let v1 = deployment(ns, image, 2);
    let s1 = converge(p, t, None, &v1)
        .await
        .expect("create waits for the rollout");
    assert_eq!(at(&s1, &super::CONTAINER_IMAGE).as_str(), Some(image));
    assert!(no_changes(p, t, &s1, &v1).await, "{s1}");
    let v2 = deployment(ns, image, 3);
    let s2 = converge(p, t, Some(&s1), &v2).await.expect("scale");
    assert_eq!(
        at(&s2, &["spec", "0", "replicas"])
            .as_number()
            .and_then(|n| n.as_i64()),
        Some(3)
    );
    edit(
        c,
        "apps/v1",
        "Deployment",
        "deployments",
        ns,
        "web",
        json!({"spec": {"replicas": 5}}),
    )
    .await;
    let read = p.read(t, &s2).await.expect("read").expect("exists");
    assert_eq!(
        at(&read, &["spec", "0", "replicas"])
            .as_number()
            .and_then(|n| n.as_i64()),
        Some(5)
    );
    let s3 = converge(p, t, Some(&read), &v2)
        .await
        .expect("revert the drift");
    assert_eq!(
        at(&s3, &["spec", "0", "replicas"])
            .as_number()
            .and_then(|n| n.as_i64()),
        Some(3)
    );
    let imported = p.import(t, &format!("{ns}/web")).await.expect("import");
    assert_eq!(
        at(&imported, &["metadata", "0", "name"]).as_str(),
        Some("web")
    );
    let bad = deployment(ns, failing, 3);
    let err = converge(p, t, Some(&s3), &bad)
        .await
        .expect_err("the rollout fails");
    let text = err.to_string();
    assert!(
        text.contains("ProgressDeadlineExceeded") || text.contains("Timed out"),
        "{text}"
    );
    destroy(p, t, &s3).await.expect("delete");
}

pub async fn manifest_conflict(p: &Arc<dyn Provider>, c: &kube::Client, ns: &str) {
    let t = "kubernetes_manifest";
    let cfg = |force: bool| {
        config(
            t,
            json!({
                "manifest": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "m", "namespace": ns}, "data": {"k": "v"}},
                "field_manager": {"force_conflicts": force}
            }),
        )
    };
    let s = converge(p, t, None, &cfg(false)).await.expect("create");
    assert_eq!(at(&s, &["object", "data", "k"]).as_str(), Some("v"));
    assert!(no_changes(p, t, &s, &cfg(false)).await, "{s}");
    edit(
        c,
        "v1",
        "ConfigMap",
        "configmaps",
        ns,
        "m",
        json!({"data": {"k": "other"}}),
    )
    .await;
    let read = p.read(t, &s).await.expect("read").expect("exists");
    let err = converge(p, t, Some(&read), &cfg(false))
        .await
        .expect_err("conflict");
    let text = err.to_string();
    assert!(
        text.contains("conflict") && text.contains("kubectl-edit") && text.contains(".data.k"),
        "{text}"
    );
    assert!(text.contains("force_conflicts"), "{text}");
    let forced = converge(p, t, Some(&read), &cfg(true))
        .await
        .expect("forced");
    assert_eq!(at(&forced, &["object", "data", "k"]).as_str(), Some("v"));
    let id = format!("apiVersion=v1,kind=ConfigMap,namespace={ns},name=m");
    let imported = p.import(t, &id).await.expect("import");
    assert_eq!(
        at(&imported, &["manifest", "data", "k"]).as_str(),
        Some("v")
    );
    destroy(p, t, &forced).await.expect("delete");
}

pub async fn unknown_kind(p: &Arc<dyn Provider>) -> ProviderError {
    let cfg = config(
        "kubernetes_manifest",
        json!({"manifest": {"apiVersion": "nope.dev/v1", "kind": "Gadget", "metadata": {"name": "g"}}}),
    );
    converge(p, "kubernetes_manifest", None, &cfg)
        .await
        .expect_err("unknown kind")
}
