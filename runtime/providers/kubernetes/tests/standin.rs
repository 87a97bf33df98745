//! The provider against the stand-in API server (tests/support/kube-standin): scenarios beyond
//! the per-type matrix (`tests/matrix.rs`): server-side apply conflicts, rollout waits and
//! failures, load-balancer waits, secret encoding, and the messages for an unreachable cluster,
//! expired credentials, forbidden requests and unknown kinds.

mod common;

use common::{at, config, converge, destroy, no_changes, provider, scenarios};
use serde_json::json;
use skel_provider::ProviderError;

fn env(token: Option<&str>) -> common::Env {
    common::standin(token)
}

#[tokio::test]
async fn config_map_create_update_drift_import_replace_delete() {
    let e = env(None);
    let p = provider(&e.kubeconfig);
    let c = scenarios::client(&e.kubeconfig).await;
    scenarios::config_map_lifecycle(&p, &c, "default").await;
}

#[tokio::test]
async fn secret_data_is_base64_on_the_server_and_plain_in_state() {
    let e = env(None);
    let p = provider(&e.kubeconfig);
    scenarios::secret_base64(&p, "default").await;
}

#[tokio::test]
async fn secret_stored_encoded() {
    let e = env(None);
    let p = provider(&e.kubeconfig);
    let cfg = config(
        "kubernetes_secret",
        json!({"metadata": {"name": "s"}, "data": {"k": "v"}}),
    );
    converge(&p, "kubernetes_secret", None, &cfg)
        .await
        .expect("create");
    let live = e
        .standin
        .object("v1", "secrets", Some("default"), "s")
        .expect("stored");
    assert_eq!(live["data"]["k"], "dg==");
}

#[tokio::test]
async fn deployment_rollout_drift_import_and_progress_deadline() {
    let e = env(None);
    let p = provider(&e.kubeconfig);
    let c = scenarios::client(&e.kubeconfig).await;
    scenarios::deployment_rollout(&p, &c, "default", "nginx:1.27", "fail:nginx").await;
}

#[tokio::test]
async fn rollout_waits_read_again_when_watches_are_forbidden() {
    // RBAC that grants get but not watch: the waits fall back to reading every 200 ms.
    let e = env(None);
    e.standin.set_watch_forbidden(true);
    let p = provider(&e.kubeconfig);
    let t = "kubernetes_deployment";
    let s = converge(&p, t, None, &scenarios::deployment("default", "nginx", 2))
        .await
        .expect("the create waits for the rollout without a watch");
    let live = e
        .standin
        .object("apps/v1", "deployments", Some("default"), "web")
        .expect("stored");
    assert_eq!(live["status"]["readyReplicas"], 2, "{live}");
    let err = converge(
        &p,
        t,
        Some(&s),
        &scenarios::deployment("default", "fail:nginx", 2),
    )
    .await
    .expect_err("the rollout fails");
    assert!(
        err.to_string().contains("ProgressDeadlineExceeded"),
        "{err}"
    );
}

#[tokio::test]
async fn deployment_selector_change_replaces() {
    let e = env(None);
    let p = provider(&e.kubeconfig);
    let t = "kubernetes_deployment";
    let s = converge(&p, t, None, &scenarios::deployment("default", "nginx", 1))
        .await
        .expect("create");
    let mut changed = scenarios::deployment("default", "nginx", 1).to_json();
    changed["spec"][0]["selector"][0]["match_labels"] = json!({"app": "web", "v": "2"});
    changed["spec"][0]["template"][0]["metadata"][0]["labels"] = json!({"app": "web", "v": "2"});
    let cfg = skel_value::convert(
        &skel_value::Value::from_json(&changed),
        &skel_schema::resource(t)
            .expect("schema")
            .block
            .computed_object_type(),
    )
    .expect("typed");
    let plan = p
        .plan(skel_provider::PlanRequest {
            type_name: t,
            prior: Some(&s),
            config: &cfg,
        })
        .await
        .expect("plan");
    assert_eq!(
        plan.requires_replace,
        vec![vec!["spec".to_string(), "0".into(), "selector".into()]]
    );
}

#[tokio::test]
async fn removing_an_env_var_removes_it_from_the_object() {
    let e = env(None);
    let p = provider(&e.kubeconfig);
    let t = "kubernetes_deployment";
    let s = converge(&p, t, None, &scenarios::deployment("default", "nginx", 1))
        .await
        .expect("create");
    let mut j = scenarios::deployment("default", "nginx", 1).to_json();
    j["spec"][0]["template"][0]["spec"][0]["container"][0]["env"] = json!([]);
    j["spec"][0]["template"][0]["spec"][0]["container"][0]["port"] = json!([]);
    let cfg = config(t, j);
    converge(&p, t, Some(&s), &cfg).await.expect("update");
    let live = e
        .standin
        .object("apps/v1", "deployments", Some("default"), "web")
        .expect("stored");
    let container = &live["spec"]["template"]["spec"]["containers"][0];
    assert!(
        container["env"].is_null() && container["ports"].is_null(),
        "{container}"
    );
}

#[tokio::test]
async fn service_gets_cluster_ip_and_load_balancer_ingress() {
    let e = env(None);
    let p = provider(&e.kubeconfig);
    let t = "kubernetes_service";
    let cfg = |sel: &str| {
        config(
            t,
            json!({"metadata": {"name": "web"},
        "spec": {"type": "LoadBalancer", "selector": {"app": sel}, "port": [{"port": 80, "target_port": "8080"}]},
        "timeouts": {"create": "10s"}}),
        )
    };
    let s = converge(&p, t, None, &cfg("blue")).await.expect("create");
    assert!(
        at(&s, &["spec", "0", "cluster_ip"])
            .as_str()
            .is_some_and(|ip| ip.starts_with("10.96.")),
        "{s}"
    );
    assert!(at(&s, &["spec", "0", "port", "0", "node_port"])
        .as_number()
        .is_some());
    assert_eq!(
        at(
            &s,
            &["status", "0", "load_balancer", "0", "ingress", "0", "ip"]
        )
        .as_str(),
        Some("203.0.113.10")
    );
    assert!(no_changes(&p, t, &s, &cfg("blue")).await, "{s}");
    let plan = p
        .plan(skel_provider::PlanRequest {
            type_name: t,
            prior: Some(&s),
            config: &cfg("green"),
        })
        .await
        .expect("plan");
    assert!(plan.requires_replace.is_empty());
    let s2 = converge(&p, t, Some(&s), &cfg("green"))
        .await
        .expect("update");
    assert_eq!(
        at(&s2, &["spec", "0", "selector", "app"]).as_str(),
        Some("green")
    );
    let imported = p.import(t, "default/web").await.expect("import");
    assert_eq!(
        at(&imported, &["spec", "0", "type"]).as_str(),
        Some("LoadBalancer")
    );
    // No longer a load balancer, in place: the ingress, node ports and external traffic
    // policy go (converge checks the result against the plan).
    let mut cluster_ip = cfg("green").to_json();
    cluster_ip["spec"][0]["type"] = json!("ClusterIP");
    let cluster_ip = config(t, cluster_ip);
    let s3 = converge(&p, t, Some(&s2), &cluster_ip)
        .await
        .expect("to ClusterIP");
    assert_eq!(
        at(&s3, &["spec", "0", "cluster_ip"]),
        at(&s2, &["spec", "0", "cluster_ip"])
    );
    assert!(at(&s3, &["spec", "0", "port", "0", "node_port"]).is_null());
    assert!(at(&s3, &["spec", "0", "external_traffic_policy"]).is_null());
    assert_eq!(
        at(&s3, &["status", "0", "load_balancer", "0", "ingress"]).to_json(),
        json!([])
    );
    let live = e
        .standin
        .object("v1", "services", Some("default"), "web")
        .expect("stored");
    assert_eq!(live["status"], json!({"loadBalancer": {}}), "{live}");
    assert!(no_changes(&p, t, &s3, &cluster_ip).await, "{s3}");
    destroy(&p, t, &s3).await.expect("delete");
}

#[tokio::test]
async fn namespace_delete_waits_until_gone() {
    let e = env(None);
    let p = provider(&e.kubeconfig);
    let t = "kubernetes_namespace";
    let cfg = config(
        t,
        json!({"metadata": {"name": "team", "labels": {"owner": "a"}}}),
    );
    let s = converge(&p, t, None, &cfg).await.expect("create");
    assert_eq!(at(&s, &["id"]).as_str(), Some("team"));
    assert!(no_changes(&p, t, &s, &cfg).await, "{s}");
    let imported = p.import(t, "team").await.expect("import");
    assert_eq!(
        at(&imported, &["metadata", "0", "labels", "owner"]).as_str(),
        Some("a")
    );
    destroy(&p, t, &s).await.expect("delete");
    assert!(
        e.standin.object("v1", "namespaces", None, "team").is_none(),
        "gone, not Terminating"
    );
}

#[tokio::test]
async fn manifest_conflict_force_import_and_cluster_scope() {
    let e = env(None);
    let p = provider(&e.kubeconfig);
    let c = scenarios::client(&e.kubeconfig).await;
    scenarios::manifest_conflict(&p, &c, "default").await;
    let role = config(
        "kubernetes_manifest",
        json!({"manifest": {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
        "metadata": {"name": "reader"}, "rules": [{"verbs": ["get"], "resources": ["pods"], "apiGroups": [""]}]}}),
    );
    let s = converge(&p, "kubernetes_manifest", None, &role)
        .await
        .expect("cluster-scoped");
    assert_eq!(
        at(&s, &["id"]).as_str(),
        Some("apiVersion=rbac.authorization.k8s.io/v1,kind=ClusterRole,name=reader")
    );
    let widget = config(
        "kubernetes_manifest",
        json!({"manifest": {"apiVersion": "skel.dev/v1", "kind": "Widget",
        "metadata": {"name": "w", "namespace": "default"}, "spec": {"size": 3}}}),
    );
    converge(&p, "kubernetes_manifest", None, &widget)
        .await
        .expect("custom kind");
    let err = scenarios::unknown_kind(&p).await;
    assert!(
        err.to_string().contains("does not serve kind `Gadget`"),
        "{err}"
    );
}

#[tokio::test]
async fn unreachable_expired_and_forbidden_messages() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("config");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    skel_kube_standin::write_kubeconfig(&path, &format!("http://127.0.0.1:{port}"), None)
        .expect("write");
    let p = provider(&path);
    let cfg = config("kubernetes_config_map", json!({"metadata": {"name": "x"}}));
    let err = converge(&p, "kubernetes_config_map", None, &cfg)
        .await
        .expect_err("unreachable");
    assert!(matches!(err, ProviderError::Unreachable(_)), "{err:?}");
    assert!(
        err.to_string().contains("Cannot reach the Kubernetes API"),
        "{err}"
    );

    let e = env(Some("good-token"));
    let p = provider(&e.kubeconfig);
    converge(&p, "kubernetes_config_map", None, &cfg)
        .await
        .expect("authorised");
    e.standin.set_token(Some("rotated"));
    let err = p
        .import("kubernetes_config_map", "default/x")
        .await
        .expect_err("expired");
    assert!(
        matches!(err, ProviderError::Auth(_)) && err.to_string().contains("expired"),
        "{err}"
    );
    e.standin.set_token(Some("good-token"));
    e.standin.set_forbidden(true);
    let err = p
        .import("kubernetes_config_map", "default/x")
        .await
        .expect_err("forbidden");
    assert!(err.to_string().starts_with("Forbidden while"), "{err}");
}

#[tokio::test]
async fn namespace_waits_for_its_default_service_account() {
    let e = env(None);
    let p = provider(&e.kubeconfig);
    let t = "kubernetes_namespace";
    let cfg = config(
        t,
        json!({"metadata": {"name": "team"}, "wait_for_default_service_account": true}),
    );
    let s = converge(&p, t, None, &cfg).await.expect("create");
    // The controller adds the account a little after the namespace: only a wait sees it here.
    assert!(
        e.standin
            .object("v1", "serviceaccounts", Some("team"), "default")
            .is_some(),
        "the apply returned before the default service account existed"
    );
    assert!(no_changes(&p, t, &s, &cfg).await, "{s}");
    destroy(&p, t, &s).await.expect("delete");
}

#[tokio::test]
async fn service_account_token_secret_waits_for_and_keeps_the_token() {
    let e = env(None);
    let p = provider(&e.kubeconfig);
    let account =
        json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "robot"}});
    let (code, _) = skel_kube_standin::client::request(
        e.standin.url(),
        "POST",
        "/api/v1/namespaces/default/serviceaccounts",
        "application/json",
        &account.to_string(),
    )
    .expect("create the service account");
    assert_eq!(code, 201);
    let t = "kubernetes_secret";
    let secret = |labels: serde_json::Value| {
        config(
            t,
            json!({"metadata": {"name": "robot-token", "labels": labels,
                "annotations": {"kubernetes.io/service-account.name": "robot"}},
                "type": "kubernetes.io/service-account-token"}),
        )
    };
    let cfg = secret(json!({"team": "a"}));
    let s = converge(&p, t, None, &cfg).await.expect("create");
    let token = at(&s, &["data", "token"]).as_str().unwrap_or_default();
    assert!(token.contains("robot"), "the token is in the state: {s}");
    assert_eq!(at(&s, &["data", "namespace"]).as_str(), Some("default"));
    assert!(at(&s, &["data", "ca.crt"]).as_str().is_some(), "{s}");
    assert!(no_changes(&p, t, &s, &cfg).await, "{s}");

    // A change elsewhere keeps the token, and skel never becomes an owner of it.
    let cfg2 = secret(json!({"team": "b"}));
    assert!(!no_changes(&p, t, &s, &cfg2).await);
    let s2 = converge(&p, t, Some(&s), &cfg2).await.expect("update");
    assert_eq!(at(&s2, &["data", "token"]).as_str(), Some(token));
    let live = e
        .standin
        .object("v1", "secrets", Some("default"), "robot-token")
        .expect("stored");
    let skel_owns_data = live["metadata"]["managedFields"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|m| m["manager"] == "skel" && m["fieldsV1"].get("f:data").is_some());
    assert!(!skel_owns_data, "{live}");
    assert!(no_changes(&p, t, &s2, &cfg2).await, "{s2}");

    let imported = p.import(t, "default/robot-token").await.expect("import");
    assert_eq!(at(&imported, &["data", "token"]).as_str(), Some(token));
    destroy(&p, t, &s2).await.expect("delete");
}

#[tokio::test]
async fn a_token_that_never_comes_times_out_and_keeps_the_secret() {
    let e = env(None);
    let p = provider(&e.kubeconfig);
    let t = "kubernetes_secret";
    let cfg = config(
        t,
        json!({"metadata": {"name": "orphan-token",
            "annotations": {"kubernetes.io/service-account.name": "nobody"}},
            "type": "kubernetes.io/service-account-token",
            "timeouts": {"create": "1s"}}),
    );
    match converge(&p, t, None, &cfg).await {
        Err(ProviderError::NotReady { object, message }) => {
            assert!(
                message.contains("Timed out after 1s waiting for the service-account token"),
                "{message}"
            );
            assert_eq!(at(&object, &["id"]).as_str(), Some("default/orphan-token"));
        }
        other => panic!("expected a timeout with the secret kept, got {other:?}"),
    }
    // Without the wait the same secret is created without waiting for a token that never comes.
    let cfg = config(
        t,
        json!({"metadata": {"name": "orphan-token-2",
            "annotations": {"kubernetes.io/service-account.name": "nobody"}},
            "type": "kubernetes.io/service-account-token",
            "wait_for_service_account_token": false}),
    );
    let s = converge(&p, t, None, &cfg).await.expect("create");
    assert_eq!(at(&s, &["id"]).as_str(), Some("default/orphan-token-2"));
}

#[tokio::test]
async fn a_malformed_timeout_fails_the_plan_before_anything_is_created() {
    let e = env(None);
    let p = provider(&e.kubeconfig);
    let t = "kubernetes_secret";
    let cfg = config(
        t,
        json!({"metadata": {"name": "late"}, "data": {"k": "v"}, "timeouts": {"create": "soon"}}),
    );
    let err = p
        .plan(skel_provider::PlanRequest {
            type_name: t,
            prior: None,
            config: &cfg,
        })
        .await
        .expect_err("a plan with timeouts.create = \"soon\"");
    assert!(
        matches!(&err, ProviderError::InvalidConfig(m)
            if m.contains("timeouts.create is \"soon\"") && m.contains("not a duration")),
        "{err:?}"
    );
    assert!(e
        .standin
        .object("v1", "secrets", Some("default"), "late")
        .is_none());
}
