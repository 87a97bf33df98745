//! A stand-in Kubernetes API server for tests (no real cluster can run here).
//!
//! It speaks plain JSON over HTTP/1.1 on 127.0.0.1 and implements enough of the API for kube-rs:
//! discovery (`/api`, `/api/v1`, `/apis`, `/apis/{group}/{version}`), CRUD for the kinds of a
//! small registry ([`default_kinds`]), `resourceVersion` with optimistic concurrency, `Status`
//! bodies, strategic merge, JSON merge and JSON patch (see [`patch`]), server-side apply with
//! Kubernetes' structured-merge semantics and `managedFields` (see [`apply`]), `dryRun=All`,
//! namespace termination, defaulting and a status simulation (deployments roll out through
//! simulated ReplicaSets and Pods, load balancers get an ingress), watches, and the `status` and
//! `scale` subresources. docs/kubernetes-standin.md lists what it does and does not do.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub mod apply;
pub mod client;
mod controllers;
pub mod discovery;
mod fieldcheck;
pub mod fieldpath;
mod http;
pub mod kubectl;
pub mod openapi;
mod openapi_pb;
pub mod patch;
pub mod protobuf;
pub mod schema;
mod sim;
pub mod store;
mod subresource;
pub mod table;
pub mod typed;
mod watch;

pub use store::Kind;

/// How the stand-in behaves.
#[derive(Clone, Debug)]
pub struct Options {
    /// The kinds it serves.
    pub kinds: Vec<Kind>,
    /// The bearer token requests must carry (`None`: any or none).
    pub token: Option<String>,
    /// How long after a change a deployment reports its rollout, a load balancer its ingress.
    pub settle_delay: Duration,
    /// How long a deleted namespace stays `Terminating`.
    pub terminating_delay: Duration,
    /// How many watch events are kept: a watch from an older `resourceVersion` gets 410 Expired.
    pub watch_history: usize,
    /// How often a watch with `allowWatchBookmarks=true` gets a `BOOKMARK`.
    pub bookmark_interval: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            kinds: default_kinds(),
            token: None,
            settle_delay: Duration::from_millis(150),
            terminating_delay: Duration::from_millis(300),
            watch_history: 1000,
            bookmark_interval: Duration::from_secs(1),
        }
    }
}

/// The kinds served by default: the core ones the typed resources use, the ReplicaSets, Pods
/// and Events the simulated controllers make, `coordination.k8s.io`
/// Leases (the `kubernetes` state backend's lock), a cluster-scoped
/// `ClusterRole` and a namespaced custom kind `Widget` (group `skel.dev`) for `kubernetes_manifest`.
pub fn default_kinds() -> Vec<Kind> {
    vec![
        Kind::new("", "v1", "Namespace", "namespaces", false),
        Kind::new("", "v1", "ConfigMap", "configmaps", true),
        Kind::new("", "v1", "Secret", "secrets", true),
        Kind::new("", "v1", "Service", "services", true),
        Kind::new("", "v1", "ServiceAccount", "serviceaccounts", true),
        Kind::new("apps", "v1", "Deployment", "deployments", true),
        Kind::new("apps", "v1", "ReplicaSet", "replicasets", true),
        Kind::new("", "v1", "Pod", "pods", true),
        Kind::new("", "v1", "Event", "events", true),
        Kind::new("coordination.k8s.io", "v1", "Lease", "leases", true),
        Kind::new(
            "rbac.authorization.k8s.io",
            "v1",
            "ClusterRole",
            "clusterroles",
            false,
        ),
        Kind::new("skel.dev", "v1", "Widget", "widgets", true),
    ]
}

/// The shared state of a running stand-in.
pub(crate) struct Shared {
    pub store: Mutex<store::Store>,
    pub token: Mutex<Option<String>>,
    pub forbidden: Mutex<bool>,
    /// Watches answer 403 (RBAC granting get and list but not watch).
    pub watch_forbidden: Mutex<bool>,
}

/// A running stand-in; it stops when this is dropped.
pub struct StandIn {
    url: String,
    shared: Arc<Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// Starts a stand-in with default options on a free port of 127.0.0.1, on its own thread.
pub fn start() -> std::io::Result<StandIn> {
    start_with(Options::default())
}

/// Starts a stand-in with `options` on a free port of 127.0.0.1, on its own thread.
pub fn start_with(options: Options) -> std::io::Result<StandIn> {
    start_on(options, SocketAddr::from(([127, 0, 0, 1], 0)))
}

/// Starts a stand-in listening on `addr`.
pub fn start_on(options: Options, addr: SocketAddr) -> std::io::Result<StandIn> {
    let listener = std::net::TcpListener::bind(addr)?;
    listener.set_nonblocking(true)?;
    let url = format!("http://{}", listener.local_addr()?);
    let shared = Arc::new(Shared {
        token: Mutex::new(options.token.clone()),
        store: Mutex::new(store::Store::new(options)),
        forbidden: Mutex::new(false),
        watch_forbidden: Mutex::new(false),
    });
    let (stop, stopped) = tokio::sync::oneshot::channel();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let serving = shared.clone();
    let thread = std::thread::Builder::new()
        .name("kube-standin".into())
        .spawn(move || runtime.block_on(http::serve(listener, serving, stopped)))?;
    Ok(StandIn {
        url,
        shared,
        stop: Some(stop),
        thread: Some(thread),
    })
}

impl StandIn {
    /// The base URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Answers every request with 403 Forbidden while `on`.
    pub fn set_forbidden(&self, on: bool) {
        if let Ok(mut f) = self.shared.forbidden.lock() {
            *f = on;
        }
    }

    /// Answers every watch with 403 Forbidden while `on` (gets and lists still work), as for a
    /// user whose RBAC role lacks the `watch` verb.
    pub fn set_watch_forbidden(&self, on: bool) {
        if let Ok(mut f) = self.shared.watch_forbidden.lock() {
            *f = on;
        }
    }

    /// Changes the bearer token requests must carry (a new token "expires" the old one).
    pub fn set_token(&self, token: Option<&str>) {
        if let Ok(mut t) = self.shared.token.lock() {
            *t = token.map(str::to_string);
        }
    }

    /// The stored object (with managed fields), if any, settling simulated status first.
    pub fn object(
        &self,
        api_version: &str,
        plural: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Option<serde_json::Value> {
        let mut store = self.shared.store.lock().ok()?;
        store.settle();
        store.get(api_version, plural, namespace, name)
    }

    /// Writes a kubeconfig for this stand-in (context `standin`, namespace `default`).
    pub fn write_kubeconfig(&self, path: &Path, token: Option<&str>) -> std::io::Result<()> {
        write_kubeconfig(path, &self.url, token)
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The text of a kubeconfig whose current context `standin` points at `server`.
pub fn kubeconfig(server: &str, token: Option<&str>) -> String {
    let user = match token {
        Some(t) => format!("  user:\n    token: {}\n", serde_json::Value::from(t)),
        None => "  user: {}\n".to_string(),
    };
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: standin\n  cluster:\n    server: {server}\n\
         contexts:\n- name: standin\n  context:\n    cluster: standin\n    user: standin\n    namespace: default\n\
         current-context: standin\nusers:\n- name: standin\n{user}"
    )
}

/// Writes [`kubeconfig`] to `path`.
pub fn write_kubeconfig(path: &Path, server: &str, token: Option<&str>) -> std::io::Result<()> {
    std::fs::write(path, kubeconfig(server, token))
}
