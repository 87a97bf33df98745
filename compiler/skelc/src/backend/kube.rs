//! The `kubernetes` backend: its arguments (Terraform's names) and `skel_state::ObjectStore`
//! on `skel_provider_kubernetes::state_objects` (a Secret for the state, a Lease for the
//! lock, Secrets for the journal), each call run to completion on the shared blocking
//! runtime, which also renews the Lease while this process holds it.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{anyhow, bail};
use serde_json::Value as Json;
use skel_provider_kubernetes::config::Settings;
use skel_provider_kubernetes::state_objects::{
    KubeBackendSettings, KubeObjects, ObjectError, Precondition,
};
use skel_state::{Condition, Object, ObjectStore, RemoteError, StateStore};

use crate::encryption::kms::block_on;

/// The arguments the `kubernetes` backend accepts (Terraform's names).
/// The arguments (Terraform's names); the checker reads the same list.
fn arguments() -> &'static [&'static str] {
    skel_types::backend_arguments("kubernetes").unwrap_or_default()
}

pub fn from_config(config: &BTreeMap<String, Json>) -> anyhow::Result<KubeBackendSettings> {
    for name in config.keys() {
        if !arguments().contains(&name.as_str()) {
            bail!(
                "backend \"kubernetes\": unsupported argument `{name}`. The kubernetes \
                 backend's arguments: {}.",
                arguments().join(", ")
            );
        }
    }
    let string = |name: &str| -> anyhow::Result<Option<String>> {
        match config.get(name) {
            None | Some(Json::Null) => Ok(None),
            Some(Json::String(s)) if s.is_empty() => Ok(None),
            Some(Json::String(s)) => Ok(Some(s.clone())),
            Some(other) => {
                bail!("backend \"kubernetes\": `{name}` must be a string, not {other}")
            }
        }
    };
    let boolean = |name: &str| -> anyhow::Result<Option<bool>> {
        match config.get(name) {
            None | Some(Json::Null) => Ok(None),
            Some(Json::Bool(b)) => Ok(Some(*b)),
            Some(Json::String(s)) if s == "true" || s == "false" => Ok(Some(s == "true")),
            Some(other) => {
                bail!("backend \"kubernetes\": `{name}` must be true or false, not {other}")
            }
        }
    };
    if config.get("exec").is_some_and(|e| !e.is_null()) {
        bail!(
            "backend \"kubernetes\": the `exec` block is not supported yet; put the \
             credential plugin in a kubeconfig user and name it with `config_path` / \
             `config_context`"
        );
    }
    if boolean("load_config_file")? == Some(false) {
        bail!(
            "backend \"kubernetes\": `load_config_file = false` is not supported: set `host` \
             (with `token` or client certificates) or `in_cluster_config = true` instead, \
             which skip the kubeconfig"
        );
    }
    let secret_suffix = string("secret_suffix")?.ok_or_else(|| {
        anyhow!(
            "backend \"kubernetes\": `secret_suffix` is required: set it in the backend \
             block or with `skelc init -backend-config=secret_suffix=…`"
        )
    })?;
    let labels = match config.get("labels") {
        None | Some(Json::Null) => BTreeMap::new(),
        Some(Json::Object(map)) => map
            .iter()
            .map(|(k, v)| match v {
                Json::String(s) => Ok((k.clone(), s.clone())),
                other => {
                    bail!("backend \"kubernetes\": `labels.{k}` must be a string, not {other}")
                }
            })
            .collect::<anyhow::Result<_>>()?,
        Some(other) => bail!("backend \"kubernetes\": `labels` must be a map, not {other}"),
    };
    let mut config_paths: Vec<PathBuf> = Vec::new();
    if let Some(path) = string("config_path")? {
        config_paths.push(expand(&path));
    }
    match config.get("config_paths") {
        None | Some(Json::Null) => {}
        Some(Json::Array(list)) => {
            for item in list {
                match item {
                    Json::String(s) => config_paths.push(expand(s)),
                    other => bail!(
                        "backend \"kubernetes\": `config_paths` must be a list of strings, \
                         not one holding {other}"
                    ),
                }
            }
        }
        Some(other) => {
            bail!("backend \"kubernetes\": `config_paths` must be a list, not {other}")
        }
    }
    let connection = Settings {
        host: string("host")?,
        token: string("token")?,
        username: string("username")?,
        password: string("password")?,
        cluster_ca_certificate: string("cluster_ca_certificate")?,
        client_certificate: string("client_certificate")?,
        client_key: string("client_key")?,
        insecure: boolean("insecure")?.unwrap_or(false),
        config_paths,
        context: string("config_context")?,
        cluster: string("config_context_cluster")?,
        user: string("config_context_auth_info")?,
    };
    let settings = KubeBackendSettings {
        connection,
        in_cluster: boolean("in_cluster_config")?.unwrap_or(false),
        namespace: string("namespace")?.unwrap_or_else(|| "default".to_string()),
        secret_suffix,
        labels,
    };
    settings
        .secret_name(super::DEFAULT_WORKSPACE)
        .map_err(|e| anyhow!("backend \"kubernetes\": {e}"))?;
    Ok(settings)
}

fn expand(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(path),
    }
}

fn connect(settings: &KubeBackendSettings, workspace: &str) -> anyhow::Result<KubeObjects> {
    block_on(KubeObjects::new(settings.clone(), workspace))
        .map_err(|e| anyhow!("backend \"kubernetes\": {e}"))
}

pub fn open(settings: &KubeBackendSettings, workspace: &str) -> anyhow::Result<StateStore> {
    let objects = connect(settings, workspace)?;
    Ok(StateStore::open_remote(std::sync::Arc::new(KubeStore {
        objects,
    })))
}

/// The workspaces with a state Secret of this `secret_suffix` in the namespace.
pub fn workspaces(settings: &KubeBackendSettings) -> anyhow::Result<Vec<String>> {
    let objects = connect(settings, super::DEFAULT_WORKSPACE)?;
    block_on(skel_provider_kubernetes::state_objects::workspaces(
        &objects,
    ))
    .map_err(|e| {
        anyhow!(
            "could not list the workspaces: {}",
            match e {
                ObjectError::Failed(m) => m,
                ObjectError::PreconditionFailed => "precondition failed".into(),
            }
        )
    })
}

#[derive(Debug)]
pub struct KubeStore {
    objects: KubeObjects,
}

fn precondition(condition: Condition) -> Precondition {
    match condition {
        Condition::Any => Precondition::Any,
        Condition::Absent => Precondition::Absent,
        Condition::Matches(etag) => Precondition::Matches(etag),
    }
}

fn error(error: ObjectError) -> RemoteError {
    match error {
        ObjectError::PreconditionFailed => RemoteError::PreconditionFailed,
        ObjectError::Failed(message) => RemoteError::Failed(message),
    }
}

impl ObjectStore for KubeStore {
    fn url(&self, name: &str) -> String {
        self.objects.url(name)
    }

    fn get(&self, name: &str) -> Result<Option<Object>, RemoteError> {
        block_on(self.objects.get(name))
            .map(|found| found.map(|(bytes, etag)| Object { bytes, etag }))
            .map_err(error)
    }

    fn put(&self, name: &str, bytes: Vec<u8>, condition: Condition) -> Result<String, RemoteError> {
        block_on(self.objects.put(name, bytes, precondition(condition))).map_err(error)
    }

    fn delete(&self, name: &str, condition: Condition) -> Result<(), RemoteError> {
        block_on(self.objects.delete(name, precondition(condition))).map_err(error)
    }

    fn list(&self, prefix: &str) -> Result<Vec<String>, RemoteError> {
        block_on(self.objects.list(prefix)).map_err(error)
    }
}
