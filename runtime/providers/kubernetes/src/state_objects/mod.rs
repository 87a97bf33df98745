//! Kubernetes objects for the `kubernetes` state backend (`docs/backends.md`): the state in a
//! Secret, the lock in a `coordination.k8s.io/v1` Lease, the journal in Secrets, each written
//! with resourceVersion preconditions. The state store's protocol (what is written where, and
//! when) lives in `skel_state`; this is only the Kubernetes side, named as Terraform's
//! `kubernetes` backend names its objects, with the provider's kubeconfig resolution.
//!
//! | Object (`skel_state` name) | Kubernetes object | ETag |
//! |---|---|---|
//! | state `""` | Secret `tfstate-{workspace}-{suffix}` (gzip in `data.tfstate`), plus chunk Secrets when larger than a Secret may be | the primary Secret's resourceVersion |
//! | lock `".tflock"` | Lease `lock-tfstate-{workspace}-{suffix}` (holder = lock id, record in an annotation) | the lock id |
//! | journal `".journal/RUN/N"` | Secret `tfstate-{workspace}-{suffix}-journal-RUN-N` | its resourceVersion |

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::sync::Mutex;
use std::time::Duration;

use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::ByteString;
use kube::api::{Api, DeleteParams, ListParams, PostParams, Preconditions};
use kube::Client;
use sha2::{Digest, Sha256};
use skel_provider::fault::{self, When};

use crate::config::Settings;

mod journal;
mod lease;

/// Terraform's label and annotation names, so each tool finds the other's objects.
pub const STATE_LABEL: &str = "tfstate";
pub const SUFFIX_LABEL: &str = "tfstateSecretSuffix";
pub const WORKSPACE_LABEL: &str = "tfstateWorkspace";
pub const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";
pub const LOCK_INFO_ANNOTATION: &str = "app.terraform.io/lock-info";
/// The primary Secret's list of chunk Secrets (comma-separated, in order), when chunked.
pub const CHUNKS_ANNOTATION: &str = "skel.dev/state-chunks";
/// Labels of skel's own Secrets (not the state itself, so Terraform's label query skips them).
pub const CHUNK_LABEL: &str = "skel.dev/state-chunk";
pub const JOURNAL_LABEL: &str = "skel.dev/journal";
/// A journal Secret's `skel_state` object name (`.journal/RUN/0000000001`).
pub const OBJECT_ANNOTATION: &str = "skel.dev/object";
/// How many part Secrets (`NAME-part-1`, …) hold the rest of a journal object.
pub const PARTS_ANNOTATION: &str = "skel.dev/parts";

/// A Secret's data may hold at most 1 MiB (the API server's `MaxSecretSize`); one piece of the
/// gzipped state stays well under it.
pub const CHUNK_SIZE: usize = 1_000_000;
/// How long a Lease is valid without renewal, and how often its holder renews it.
pub const LEASE_DURATION_SECONDS: i64 = 60;
pub const RENEW_EVERY: Duration = Duration::from_secs(20);

/// The backend block's settings (Terraform's argument names).
#[derive(Clone, Debug, Default)]
pub struct KubeBackendSettings {
    /// `config_path(s)`, `config_context*`, `host`, `token`, `insecure`, … as the provider reads
    /// them.
    pub connection: Settings,
    /// `in_cluster_config`: the pod's service account, whatever kubeconfig there is.
    pub in_cluster: bool,
    pub namespace: String,
    pub secret_suffix: String,
    /// `labels`: added to every object written.
    pub labels: BTreeMap<String, String>,
}

impl KubeBackendSettings {
    /// The state Secret's name in `workspace`; refused when it cannot be a Kubernetes name or
    /// label value (as Terraform refuses it).
    pub fn secret_name(&self, workspace: &str) -> Result<String, String> {
        let name = format!("tfstate-{workspace}-{}", self.secret_suffix);
        let dns = |s: &str| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
                && !s.starts_with(['-', '.'])
                && !s.ends_with(['-', '.'])
        };
        let label = |s: &str| {
            !s.is_empty()
                && s.len() <= 63
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
                && s.starts_with(|c: char| c.is_ascii_alphanumeric())
                && s.ends_with(|c: char| c.is_ascii_alphanumeric())
        };
        if !dns(&name) || name.len() > 180 || !label(workspace) || !label(&self.secret_suffix) {
            return Err(format!(
                "the state Secret name `{name}` is not valid: the workspace (`{workspace}`) and \
                 `secret_suffix` (`{}`) must be lower-case letters, digits, `-` or `.`, start and \
                 end with a letter or digit, and be at most 63 characters each (they are label \
                 values too)",
                self.secret_suffix
            ));
        }
        Ok(name)
    }
}

/// Why an object operation failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ObjectError {
    /// The precondition did not hold (409 Conflict / AlreadyExists, or a Lease held by another).
    PreconditionFailed,
    /// A message for the user, naming the object.
    Failed(String),
}

/// One state's objects in one namespace, ready for the backend's calls.
pub struct KubeObjects {
    client: Client,
    settings: KubeBackendSettings,
    workspace: String,
    secret: String,
    /// The renewal task of the Lease this process holds: (lock id, task).
    renewal: Mutex<Option<(String, tokio::task::JoinHandle<()>)>>,
    renew_every: Duration,
}

impl std::fmt::Debug for KubeObjects {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KubeObjects")
            .field("namespace", &self.settings.namespace)
            .field("secret", &self.secret)
            .finish_non_exhaustive()
    }
}

impl Drop for KubeObjects {
    fn drop(&mut self) {
        if let Some((_, task)) = self.renewal.lock().ok().and_then(|mut r| r.take()) {
            task.abort();
        }
    }
}

/// What a name relative to the state means here.
enum Target {
    State,
    Lock,
    Journal(String),
}

fn target(name: &str) -> Result<Target, ObjectError> {
    match name {
        "" => Ok(Target::State),
        ".tflock" => Ok(Target::Lock),
        _ if name.starts_with(".journal/") => Ok(Target::Journal(name.to_string())),
        _ => Err(ObjectError::Failed(format!(
            "the kubernetes backend has no object `{name}`"
        ))),
    }
}

fn now_micro() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(bytes);
    encoder.finish().unwrap_or_default()
}

fn gunzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes).read_to_end(&mut out)?;
    Ok(out)
}

impl KubeObjects {
    /// Connects (kubeconfig, or in-cluster) to the cluster of `settings`, for the state of
    /// `workspace`. Must run inside a tokio runtime that outlives it (the Lease is renewed
    /// from a task on it).
    pub async fn new(
        settings: KubeBackendSettings,
        workspace: &str,
    ) -> Result<KubeObjects, String> {
        let secret = settings.secret_name(workspace)?;
        let config = if settings.in_cluster {
            kube::Config::incluster().map_err(|e| {
                format!(
                    "in_cluster_config = true, but this is not a pod with a service account: {e}"
                )
            })?
        } else {
            settings
                .connection
                .kube_config()
                .await
                .map_err(|e| e.to_string())?
        };
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = Client::try_from(config)
            .map_err(|e| format!("could not set up the Kubernetes client: {e}"))?;
        Ok(KubeObjects {
            client,
            settings,
            workspace: workspace.to_string(),
            secret,
            renewal: Mutex::new(None),
            renew_every: RENEW_EVERY,
        })
    }

    /// Renew a held Lease this often instead of [`RENEW_EVERY`] (tests).
    pub fn with_renew_every(mut self, every: Duration) -> KubeObjects {
        self.renew_every = every;
        self
    }

    fn secrets(&self) -> Api<Secret> {
        Api::namespaced(self.client.clone(), &self.settings.namespace)
    }

    fn leases(&self) -> Api<Lease> {
        Api::namespaced(self.client.clone(), &self.settings.namespace)
    }

    fn lease_name(&self) -> String {
        format!("lock-{}", self.secret)
    }

    fn journal_secret(&self, name: &str) -> String {
        let rest = name.trim_start_matches(".journal/");
        let clean: String = rest
            .chars()
            .map(|c| {
                let c = c.to_ascii_lowercase();
                if c.is_ascii_lowercase() || c.is_ascii_digit() {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        format!("{}-journal-{}", self.secret, clean.trim_matches('-'))
    }

    /// Where an object lives, for messages.
    pub fn url(&self, name: &str) -> String {
        let ns = &self.settings.namespace;
        match target(name) {
            Ok(Target::State) => format!("k8s://{ns}/secrets/{}", self.secret),
            Ok(Target::Lock) => format!("k8s://{ns}/leases/{}", self.lease_name()),
            Ok(Target::Journal(_)) if name == ".journal/" => {
                format!("k8s://{ns}/secrets/{}-journal-*", self.secret)
            }
            Ok(Target::Journal(n)) => format!("k8s://{ns}/secrets/{}", self.journal_secret(&n)),
            Err(_) => format!("k8s://{ns}/{name}"),
        }
    }

    /// The labels of every object of this state: Terraform's, then the user's.
    fn labels(&self, state: bool) -> BTreeMap<String, String> {
        let mut labels = BTreeMap::new();
        if state {
            labels.insert(STATE_LABEL.to_string(), "true".to_string());
        }
        labels.insert(SUFFIX_LABEL.into(), self.settings.secret_suffix.clone());
        labels.insert(WORKSPACE_LABEL.into(), self.workspace.clone());
        labels.insert(MANAGED_BY_LABEL.into(), "terraform".into());
        labels.extend(self.settings.labels.clone());
        labels
    }

    fn failed(&self, action: &str, name: &str, error: kube::Error) -> ObjectError {
        let url = self.url(name);
        ObjectError::Failed(match error {
            kube::Error::Api(status) => format!(
                "could not {action} {url}: {} ({}, HTTP {})",
                status.message, status.reason, status.code
            ),
            other => format!("could not {action} {url}: {other}"),
        })
    }

    fn api_code(error: &kube::Error) -> Option<u16> {
        match error {
            kube::Error::Api(status) => Some(status.code),
            _ => None,
        }
    }

    /// The object `name` and its tag, or `None`.
    pub async fn get(&self, name: &str) -> Result<Option<(Vec<u8>, String)>, ObjectError> {
        match target(name)? {
            Target::State => self.get_state().await,
            Target::Lock => self.get_lock().await,
            Target::Journal(n) => self.get_journal(name, &n).await,
        }
    }

    async fn get_state(&self) -> Result<Option<(Vec<u8>, String)>, ObjectError> {
        // A writer deletes the chunks of the state it replaced once its own are committed: a
        // reader that read the old primary may find a chunk gone, and reads again.
        for attempt in 0.. {
            let primary = match self.secrets().get_opt(&self.secret).await {
                Ok(Some(s)) => s,
                Ok(None) => return Ok(None),
                Err(e) => return Err(self.failed("read", "", e)),
            };
            let url = self.url("");
            let rv = primary
                .metadata
                .resource_version
                .clone()
                .unwrap_or_default();
            let chunks: Vec<String> = primary
                .metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get(CHUNKS_ANNOTATION))
                .map(|list| {
                    list.split(',')
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            let Some(first) = primary.data.and_then(|mut d| d.remove(STATE_LABEL)) else {
                return Err(ObjectError::Failed(format!(
                    "the state Secret {url} has no `data.tfstate`; it was left untouched (fix or \
                     delete it)"
                )));
            };
            let mut gz = first.0;
            let mut missing = None;
            for chunk in &chunks {
                match self.secrets().get_opt(chunk).await {
                    Ok(Some(s)) => {
                        if let Some(piece) = s.data.and_then(|mut d| d.remove(STATE_LABEL)) {
                            gz.extend_from_slice(&piece.0);
                        } else {
                            missing = Some(chunk.clone());
                            break;
                        }
                    }
                    Ok(None) => {
                        missing = Some(chunk.clone());
                        break;
                    }
                    Err(e) => return Err(self.failed("read a chunk of", "", e)),
                }
            }
            if let Some(chunk) = missing {
                if attempt < 3 {
                    continue;
                }
                return Err(ObjectError::Failed(format!(
                    "the state Secret {url} lists the chunk Secret `{chunk}`, which is missing or \
                     empty; the state was left untouched"
                )));
            }
            return match gunzip(&gz) {
                Ok(bytes) => Ok(Some((bytes, rv))),
                Err(e) => Err(ObjectError::Failed(format!(
                    "the state Secret {url} is corrupt: `data.tfstate` is not gzip-compressed \
                     state ({e}); it was left untouched"
                ))),
            };
        }
        unreachable!("the loop returns")
    }

    /// Write `bytes` as `name` if `condition` holds; returns the new tag.
    pub async fn put(
        &self,
        name: &str,
        bytes: Vec<u8>,
        condition: Precondition,
    ) -> Result<String, ObjectError> {
        match target(name)? {
            Target::State => self.put_state(bytes, condition).await,
            Target::Lock => self.put_lock(bytes, condition).await,
            Target::Journal(n) => self.put_journal(name, &n, bytes, condition).await,
        }
    }

    /// Create (`Absent`), replace at a resourceVersion (`Matches`) or either (`Any`).
    async fn write_secret(
        &self,
        name: &str,
        mut secret: Secret,
        condition: Precondition,
    ) -> Result<String, ObjectError> {
        let api = self.secrets();
        let secret_name = secret.metadata.name.clone().unwrap_or_default();
        let rv = match condition {
            Precondition::Absent => None,
            Precondition::Matches(rv) => Some(rv),
            Precondition::Any => match api.get_opt(&secret_name).await {
                Ok(found) => found.and_then(|s| s.metadata.resource_version),
                Err(e) => return Err(self.failed("read", name, e)),
            },
        };
        // A 404 on a replace: the Secret was deleted since it was read (precondition); on a
        // create: the namespace is missing (an error to report).
        let replacing = rv.is_some();
        fault::point("kubebackend", "WriteSecret", When::Before);
        let written = match rv {
            None => api.create(&PostParams::default(), &secret).await,
            Some(rv) => {
                secret.metadata.resource_version = Some(rv);
                api.replace(&secret_name, &PostParams::default(), &secret)
                    .await
            }
        };
        fault::point("kubebackend", "WriteSecret", When::After);
        match written {
            Ok(s) => Ok(s.metadata.resource_version.unwrap_or_default()),
            Err(e)
                if Self::api_code(&e) == Some(409)
                    || (replacing && Self::api_code(&e) == Some(404)) =>
            {
                Err(ObjectError::PreconditionFailed)
            }
            Err(e) => Err(self.failed("write", name, e)),
        }
    }

    async fn put_state(
        &self,
        bytes: Vec<u8>,
        condition: Precondition,
    ) -> Result<String, ObjectError> {
        let gz = gzip(&bytes);
        let mut pieces = gz.chunks(CHUNK_SIZE);
        let first = pieces.next().unwrap_or_default().to_vec();
        let mut chunk_names = Vec::new();
        // The extra chunks first, each a new Secret named by its content: the state the
        // primary lists now is never touched, and a crash leaves only unreferenced chunks.
        for piece in pieces {
            let hash = Sha256::digest(piece);
            let hex: String = hash[..8].iter().map(|b| format!("{b:02x}")).collect();
            let chunk_name = format!("{}-chunk-{hex}", self.secret);
            let mut labels = self.labels(false);
            labels.insert(CHUNK_LABEL.into(), "true".into());
            let secret = Secret {
                metadata: ObjectMeta {
                    name: Some(chunk_name.clone()),
                    labels: Some(labels),
                    annotations: Some(BTreeMap::from([(
                        "encoding".to_string(),
                        "gzip".to_string(),
                    )])),
                    ..Default::default()
                },
                data: Some(BTreeMap::from([(
                    STATE_LABEL.to_string(),
                    ByteString(piece.to_vec()),
                )])),
                ..Default::default()
            };
            match self.write_secret("", secret, Precondition::Absent).await {
                // Already there: the same content (the name is its hash).
                Ok(_) | Err(ObjectError::PreconditionFailed) => {}
                Err(e) => return Err(e),
            }
            chunk_names.push(chunk_name);
        }
        let mut annotations = BTreeMap::from([("encoding".to_string(), "gzip".to_string())]);
        if !chunk_names.is_empty() {
            annotations.insert(CHUNKS_ANNOTATION.to_string(), chunk_names.join(","));
        }
        let primary = Secret {
            metadata: ObjectMeta {
                name: Some(self.secret.clone()),
                labels: Some(self.labels(true)),
                annotations: Some(annotations),
                ..Default::default()
            },
            data: Some(BTreeMap::from([(
                STATE_LABEL.to_string(),
                ByteString(first),
            )])),
            ..Default::default()
        };
        // The commit point.
        let rv = self.write_secret("", primary, condition).await?;
        // Chunks no state lists any more (the replaced state's, a crashed writer's).
        let mut labels = self.labels(false);
        labels.insert(CHUNK_LABEL.into(), "true".into());
        let selector = selector(&labels);
        if let Ok(list) = self
            .secrets()
            .list(&ListParams::default().labels(&selector))
            .await
        {
            for s in list.items {
                let Some(old) = s.metadata.name else { continue };
                if !chunk_names.contains(&old) {
                    let _ = self.secrets().delete(&old, &DeleteParams::default()).await;
                }
            }
        }
        Ok(rv)
    }

    /// Remove `name` if `condition` holds.
    pub async fn delete(&self, name: &str, condition: Precondition) -> Result<(), ObjectError> {
        match target(name)? {
            Target::Lock => self.release_lock(condition).await,
            Target::State => self.delete_state(condition).await,
            Target::Journal(n) => self.delete_journal(name, &n, condition).await,
        }
    }

    /// Delete the state (`skelc workspace delete`): the primary Secret at the resourceVersion
    /// read, then every chunk of this state.
    async fn delete_state(&self, condition: Precondition) -> Result<(), ObjectError> {
        let Some(params) = delete_params(&condition) else {
            return Ok(());
        };
        match self.secrets().delete(&self.secret, &params).await {
            Ok(_) => {}
            Err(e) if Self::api_code(&e) == Some(404) && condition == Precondition::Any => {}
            Err(e) if matches!(Self::api_code(&e), Some(404 | 409)) => {
                return Err(ObjectError::PreconditionFailed)
            }
            Err(e) => return Err(self.failed("remove", "", e)),
        }
        let mut labels = self.labels(false);
        labels.insert(CHUNK_LABEL.into(), "true".into());
        if let Ok(list) = self
            .secrets()
            .list(&ListParams::default().labels(&selector(&labels)))
            .await
        {
            for chunk in list.items.into_iter().filter_map(|s| s.metadata.name) {
                let _ = self
                    .secrets()
                    .delete(&chunk, &DeleteParams::default())
                    .await;
            }
        }
        Ok(())
    }
}

fn selector(labels: &BTreeMap<String, String>) -> String {
    labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// The precondition of a write or delete.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Precondition {
    Any,
    Absent,
    /// The resourceVersion (state, journal) or lock id (lock) last read or written.
    Matches(String),
}

/// Every workspace with a state Secret of `settings.secret_suffix` in its namespace
/// (Terraform's `Workspaces`): `default` first, then the others sorted.
pub async fn workspaces(objects: &KubeObjects) -> Result<Vec<String>, ObjectError> {
    let labels = BTreeMap::from([
        (STATE_LABEL.to_string(), "true".to_string()),
        (
            SUFFIX_LABEL.to_string(),
            objects.settings.secret_suffix.clone(),
        ),
    ]);
    let list = objects
        .secrets()
        .list(&ListParams::default().labels(&selector(&labels)))
        .await
        .map_err(|e| objects.failed("list the workspaces of", "", e))?;
    let mut names: Vec<String> = list
        .items
        .into_iter()
        .filter_map(|s| s.metadata.labels?.remove(WORKSPACE_LABEL))
        .filter(|w| w != "default")
        .collect();
    names.sort();
    names.dedup();
    names.insert(0, "default".to_string());
    Ok(names)
}

/// The delete parameters of `condition`: the resourceVersion precondition for `Matches`;
/// `None` for `Absent` (there is nothing to delete then).
pub(crate) fn delete_params(condition: &Precondition) -> Option<DeleteParams> {
    match condition {
        Precondition::Absent => None,
        Precondition::Matches(rv) => Some(DeleteParams::default().preconditions(Preconditions {
            resource_version: Some(rv.clone()),
            uid: None,
        })),
        Precondition::Any => Some(DeleteParams::default()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_round_trips_and_refuses_plain_text() {
        let text = b"{\"version\": 4}".repeat(1000);
        let packed = gzip(&text);
        assert!(packed.len() < text.len());
        assert_eq!(gunzip(&packed).unwrap(), text);
        assert!(gunzip(b"{ not gzip").is_err());
    }

    #[test]
    fn names_follow_terraform_and_refuse_what_kubernetes_refuses() {
        let settings = KubeBackendSettings {
            secret_suffix: "app".into(),
            namespace: "default".into(),
            ..Default::default()
        };
        assert_eq!(
            settings.secret_name("default").unwrap(),
            "tfstate-default-app"
        );
        assert!(settings
            .secret_name("Dev_1")
            .unwrap_err()
            .contains("tfstate-Dev_1-app"));
        let long = KubeBackendSettings {
            secret_suffix: "x".repeat(64),
            ..settings
        };
        assert!(long.secret_name("default").is_err());
    }
}
