//! The `kubernetes` state backend's objects against the stand-in, one call at a time: the
//! preconditions of every write (create-if-absent, replace-at-version, the Lease's holder),
//! Lease take-over, renewal and release (and removal with its state), a Lease gone unrenewed
//! reported as such, journal objects listed by label, a missing namespace, and a state larger
//! than a Secret split into chunks that are cleaned up when replaced.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{json, Value};
use skel_provider_kubernetes::config::Settings;
use skel_provider_kubernetes::state_objects::{
    KubeBackendSettings, KubeObjects, ObjectError, Precondition,
};

const LEASE: &str =
    "/apis/coordination.k8s.io/v1/namespaces/default/leases/lock-tfstate-default-app";

struct Fixture {
    standin: skel_kube_standin::StandIn,
    _dir: tempfile::TempDir,
    settings: KubeBackendSettings,
}

fn fixture() -> Fixture {
    let standin = skel_kube_standin::start().expect("start");
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    standin.write_kubeconfig(&kubeconfig, None).unwrap();
    let settings = KubeBackendSettings {
        connection: Settings {
            config_paths: vec![kubeconfig],
            ..Settings::default()
        },
        in_cluster: false,
        namespace: "default".into(),
        secret_suffix: "app".into(),
        labels: BTreeMap::from([("team".to_string(), "platform".to_string())]),
    };
    Fixture {
        standin,
        _dir: dir,
        settings,
    }
}

impl Fixture {
    async fn objects(&self) -> KubeObjects {
        KubeObjects::new(self.settings.clone(), "default")
            .await
            .expect("connect")
    }

    fn get(&self, path: &str) -> (u16, Value) {
        skel_kube_standin::client::request(self.standin.url(), "GET", path, "application/json", "")
            .unwrap()
    }
}

fn record(id: &str) -> Vec<u8> {
    json!({"ID": id, "Operation": "OperationTypeApply", "Info": "", "Who": "ana@ci",
        "Version": "skelc", "Created": "2026-12-01T10:00:00Z", "Path": "", "Pid": 42})
    .to_string()
    .into_bytes()
}

#[tokio::test(flavor = "multi_thread")]
async fn state_writes_are_compare_and_swap_on_the_resource_version() {
    let f = fixture();
    let objects = f.objects().await;
    assert_eq!(objects.get("").await.unwrap(), None);
    let first = objects
        .put("", b"{\"serial\": 1}".to_vec(), Precondition::Absent)
        .await
        .unwrap();
    assert_eq!(
        objects
            .put("", b"{\"serial\": 1}".to_vec(), Precondition::Absent)
            .await,
        Err(ObjectError::PreconditionFailed),
        "create of an existing state"
    );
    let second = objects
        .put(
            "",
            b"{\"serial\": 2}".to_vec(),
            Precondition::Matches(first.clone()),
        )
        .await
        .unwrap();
    assert_ne!(first, second);
    assert_eq!(
        objects
            .put(
                "",
                b"{\"serial\": 3}".to_vec(),
                Precondition::Matches(first)
            )
            .await,
        Err(ObjectError::PreconditionFailed),
        "a stale resourceVersion"
    );
    let (bytes, etag) = objects.get("").await.unwrap().unwrap();
    assert_eq!((bytes, etag), (b"{\"serial\": 2}".to_vec(), second));
    // Stored gzipped, with Terraform's labels and the block's.
    let (_, secret) = f.get("/api/v1/namespaces/default/secrets/tfstate-default-app");
    assert_eq!(secret["metadata"]["annotations"]["encoding"], "gzip");
    assert_eq!(secret["metadata"]["labels"]["tfstateWorkspace"], "default");
    assert_eq!(secret["metadata"]["labels"]["team"], "platform");
    assert!(secret["data"]["tfstate"]
        .as_str()
        .is_some_and(|d| d.starts_with("H4sI")));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_lease_has_one_holder_is_renewed_and_released_by_it_alone() {
    let f = fixture();
    let a = f
        .objects()
        .await
        .with_renew_every(Duration::from_millis(200));
    let b = f.objects().await;
    let state = a
        .put("", b"{}".to_vec(), Precondition::Absent)
        .await
        .unwrap();
    let etag = a
        .put(".tflock", record("lock-a"), Precondition::Absent)
        .await
        .unwrap();
    assert_eq!(etag, "lock-a", "the lock's tag is its id");
    assert_eq!(
        b.put(".tflock", record("lock-b"), Precondition::Absent)
            .await,
        Err(ObjectError::PreconditionFailed)
    );
    let (bytes, tag) = b.get(".tflock").await.unwrap().unwrap();
    assert_eq!(tag, "lock-a");
    let seen: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(seen["ID"], "lock-a");
    assert_eq!(seen["Operation"], "OperationTypeApply", "fresh: not stale");

    // Renewed while held.
    let (_, lease) = f.get(LEASE);
    let renewed_at = lease["spec"]["renewTime"].clone();
    assert_eq!(lease["spec"]["holderIdentity"], "lock-a");
    assert_eq!(lease["spec"]["leaseDurationSeconds"], 60);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (_, now) = f.get(LEASE);
        if now["spec"]["renewTime"] != renewed_at {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "never renewed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Only the holder's id releases it; releasing keeps the Lease, without a holder.
    assert_eq!(
        b.delete(".tflock", Precondition::Matches("lock-b".into()))
            .await,
        Err(ObjectError::PreconditionFailed)
    );
    a.delete(".tflock", Precondition::Matches("lock-a".into()))
        .await
        .unwrap();
    let (code, lease) = f.get(LEASE);
    assert_eq!(code, 200);
    assert!(lease["spec"]["holderIdentity"].is_null(), "{lease}");
    assert!(lease["metadata"]["annotations"]["app.terraform.io/lock-info"].is_null());
    assert_eq!(
        b.get(".tflock").await.unwrap(),
        None,
        "a free Lease is no lock"
    );

    // A released Lease is taken over by the next one.
    b.put(".tflock", record("lock-b"), Precondition::Absent)
        .await
        .unwrap();
    let (_, lease) = f.get(LEASE);
    assert_eq!(lease["spec"]["holderIdentity"], "lock-b");
    assert_eq!(lease["spec"]["leaseTransitions"], 1);

    // The state removed (a deleted workspace): releasing removes the Lease too.
    b.delete("", Precondition::Matches(state)).await.unwrap();
    assert_eq!(b.get("").await.unwrap(), None);
    b.delete(".tflock", Precondition::Matches("lock-b".into()))
        .await
        .unwrap();
    assert_eq!(f.get(LEASE).0, 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lease_nobody_renews_is_reported_with_its_idle_time() {
    let f = fixture();
    let lease = json!({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
        "metadata": {"name": "lock-tfstate-default-app",
            "annotations": {"app.terraform.io/lock-info": String::from_utf8(record("old")).unwrap()}},
        "spec": {"holderIdentity": "old", "leaseDurationSeconds": 60,
            "acquireTime": "2026-01-01T00:00:00.000000Z", "renewTime": "2026-01-01T00:00:00.000000Z"}});
    let (code, _) = skel_kube_standin::client::request(
        f.standin.url(),
        "POST",
        "/apis/coordination.k8s.io/v1/namespaces/default/leases",
        "application/json",
        &lease.to_string(),
    )
    .unwrap();
    assert_eq!(code, 201);
    let objects = f.objects().await;
    let (bytes, tag) = objects.get(".tflock").await.unwrap().unwrap();
    assert_eq!(tag, "old");
    let seen: Value = serde_json::from_slice(&bytes).unwrap();
    let operation = seen["Operation"].as_str().unwrap();
    assert!(
        operation.starts_with("OperationTypeApply; its Lease was last renewed")
            && operation.contains("past its leaseDurationSeconds"),
        "{operation}"
    );
    // Never taken over silently.
    assert_eq!(
        objects
            .put(".tflock", record("new"), Precondition::Absent)
            .await,
        Err(ObjectError::PreconditionFailed)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn journal_objects_are_listed_in_order_and_removed() {
    let f = fixture();
    let objects = f.objects().await;
    for n in [2, 1, 3] {
        let name = format!(".journal/4a1b-run/{n:010}");
        objects
            .put(
                &name,
                format!("line {n}\n").into_bytes(),
                Precondition::Absent,
            )
            .await
            .unwrap();
    }
    assert_eq!(
        objects
            .put(
                ".journal/4a1b-run/0000000001",
                b"again".to_vec(),
                Precondition::Absent
            )
            .await,
        Err(ObjectError::PreconditionFailed)
    );
    let names = objects.list(".journal/").await.unwrap();
    assert_eq!(
        names,
        [
            ".journal/4a1b-run/0000000001",
            ".journal/4a1b-run/0000000002",
            ".journal/4a1b-run/0000000003"
        ]
    );
    let (bytes, _) = objects.get(&names[1]).await.unwrap().unwrap();
    assert_eq!(bytes, b"line 2\n");
    assert!(objects
        .url(&names[0])
        .ends_with("/secrets/tfstate-default-app-journal-4a1b-run-0000000001"));
    for name in &names {
        objects.delete(name, Precondition::Any).await.unwrap();
    }
    assert!(objects.list(".journal/").await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_large_state_is_chunked_and_old_chunks_are_removed() {
    use sha2::{Digest, Sha256};
    let noise = |seed: &[u8], n: usize| {
        let mut out = Vec::with_capacity(n);
        let mut block = Sha256::digest(seed);
        while out.len() < n {
            out.extend_from_slice(&block);
            block = Sha256::digest(block);
        }
        out.truncate(n);
        out
    };
    let f = fixture();
    let objects = f.objects().await;
    let big = noise(b"a", 2_500_000);
    let etag = objects
        .put("", big.clone(), Precondition::Absent)
        .await
        .unwrap();
    let chunks = |f: &Fixture| -> Vec<String> {
        let (_, list) =
            f.get("/api/v1/namespaces/default/secrets?labelSelector=skel.dev%2Fstate-chunk%3Dtrue");
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["metadata"]["name"].as_str().unwrap().to_string())
            .collect()
    };
    let first = chunks(&f);
    assert_eq!(first.len(), 2, "2.5 MB of noise: three pieces");
    assert_eq!(objects.get("").await.unwrap().unwrap(), (big, etag.clone()));
    let other = noise(b"b", 1_500_000);
    objects
        .put("", other.clone(), Precondition::Matches(etag))
        .await
        .unwrap();
    let second = chunks(&f);
    assert_eq!(second.len(), 1);
    assert!(!first.contains(&second[0]), "the old chunks are gone");
    assert_eq!(objects.get("").await.unwrap().unwrap().0, other);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_namespace_is_an_error_naming_it_not_a_precondition() {
    let f = fixture();
    let settings = KubeBackendSettings {
        namespace: "nope".into(),
        ..f.settings.clone()
    };
    let objects = KubeObjects::new(settings, "default").await.unwrap();
    for name in ["", ".tflock"] {
        match objects.put(name, record("x"), Precondition::Absent).await {
            Err(ObjectError::Failed(message)) => assert!(
                message.contains("k8s://nope/")
                    && message.contains("namespaces \"nope\" not found"),
                "{message}"
            ),
            other => panic!("{name:?}: {other:?}"),
        }
    }
}
