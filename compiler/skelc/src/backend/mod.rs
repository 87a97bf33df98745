//! The state backend of a working directory (`docs/backends.md`): the root module's
//! `backend "TYPE" { … }` block merged with `skelc init -backend-config` values, remembered in
//! `.skel/backend.json` by `skelc init`, and opened as a `skel_state::StateStore` (local
//! directory, or an S3 bucket through `skel_state::ObjectStore`). Every command that reads or
//! writes state comes through [`open`]; none knows which backend it talks to.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use skel_plan_ir::BackendConfig;
use skel_state::StateStore;

#[cfg(feature = "kubernetes")]
mod kube;
mod migrate;
#[cfg(feature = "aws")]
mod s3;

#[cfg(feature = "aws")]
pub use s3::S3Backend;

/// What `skelc init` remembers, relative to the root module.
pub const BACKEND_FILE: &str = ".skel/backend.json";
/// The selected workspace (Terraform's `.terraform/environment`).
pub const WORKSPACE_FILE: &str = ".skel/environment";
/// The workspace every state starts in.
pub const DEFAULT_WORKSPACE: &str = "default";

/// The settings `skelc init` resolved: the block as written (to notice a change) and the merged
/// configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Saved {
    #[serde(rename = "type")]
    kind: String,
    /// The backend block's own arguments, as `skelc init` saw them.
    block: BTreeMap<String, Json>,
    /// The block's arguments with every `-backend-config` value over them.
    config: BTreeMap<String, Json>,
}

/// Where a working directory's state is.
#[derive(Clone, Debug)]
pub enum Backend {
    Local,
    #[cfg(feature = "aws")]
    S3(Box<S3Backend>),
    #[cfg(feature = "kubernetes")]
    Kubernetes(Box<skel_provider_kubernetes::state_objects::KubeBackendSettings>),
}

fn block_json(block: &BackendConfig) -> BTreeMap<String, Json> {
    block
        .arguments
        .iter()
        .map(|(k, v)| (k.clone(), v.to_json()))
        .collect()
}

/// The backend of the root module in `root` whose lowered block is `block`. A backend other
/// than `local` must have been set up by `skelc init` with this same block.
pub fn resolve(root: &Path, block: Option<&BackendConfig>) -> anyhow::Result<Backend> {
    let saved = read_saved(root)?;
    let kind = block.map(|b| b.kind.as_str());
    match (block, saved) {
        (None, None) => Ok(Backend::Local),
        (Some(b), None) if b.kind == "local" && b.arguments.is_empty() => Ok(Backend::Local),
        (Some(b), None) => Err(crate::workdir::hinted(
            format!(
                "the `{}` backend ({}) is not initialized in this working directory",
                b.kind, b.location
            ),
            "run `skelc init` (with -backend-config=KEY=VALUE for values the block leaves out)",
        )),
        (None, Some(saved)) if saved.kind == "local" => Ok(Backend::Local),
        (None, Some(saved)) => Err(crate::workdir::hinted(
            format!(
                "the configuration has no backend block any more, but this working directory \
                 was initialized with the `{}` backend",
                saved.kind
            ),
            "put the backend block back; or run `skelc init -migrate-state` to copy the states \
             back here, or `skelc init -reconfigure` to use local state (the remote state is \
             left where it is)",
        )),
        (Some(b), Some(saved)) if saved.kind != b.kind || saved.block != block_json(b) => {
            Err(crate::workdir::hinted(
                format!(
                    "the backend configuration changed since `skelc init` ({}: it was `{}`, it is \
                     now `{}`)",
                    b.location,
                    saved.kind,
                    kind.unwrap_or_default()
                ),
                "run `skelc init -reconfigure` to use the new settings",
            ))
        }
        (Some(_), Some(saved)) => from_config(&saved.kind, &saved.config),
    }
}

fn read_saved(root: &Path) -> anyhow::Result<Option<Saved>> {
    let path = root.join(BACKEND_FILE);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
            anyhow!(
                "{} is not valid ({e}); run `skelc init -reconfigure`",
                path.display()
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(anyhow!("could not read {}: {e}", path.display())),
    }
}

/// How `skelc init` treats a change of backend settings.
#[derive(Clone, Copy, Debug, Default)]
pub struct InitMode {
    /// Take the new settings, leaving every state where it is.
    pub reconfigure: bool,
    /// Copy every workspace's state from the old backend to the new one.
    pub migrate_state: bool,
    /// Do not ask before copying.
    pub force_copy: bool,
}

/// `skelc init`'s part: merge the block with `-backend-config` values, check the result, move
/// the states when asked to (`-migrate-state`), and remember the settings. Returns a line
/// saying what was set up, or `None` for the default local state.
pub fn init(
    root: &Path,
    block: Option<&BackendConfig>,
    extra: &[String],
    mode: InitMode,
) -> anyhow::Result<Option<String>> {
    let path = root.join(BACKEND_FILE);
    let previous = read_saved(root)?;
    let new = match block {
        None => {
            if !extra.is_empty() {
                bail!("-backend-config was given, but the configuration has no backend block");
            }
            None
        }
        Some(block) => {
            let mut config = block_json(block);
            for item in extra {
                merge_extra(&mut config, item)?;
            }
            Some(Saved {
                kind: block.kind.clone(),
                block: block_json(block),
                config,
            })
        }
    };
    let backend_of = |saved: &Option<Saved>| match saved {
        Some(saved) => from_config(&saved.kind, &saved.config),
        None => Ok(Backend::Local),
    };
    let is_local = |saved: &Option<Saved>| {
        saved
            .as_ref()
            .is_none_or(|s| s.kind == "local" && s.config.is_empty())
    };
    let new_backend = backend_of(&new)?;
    let same = match (&previous, &new) {
        (Some(p), Some(n)) => p.kind == n.kind && p.config == n.config,
        _ => is_local(&previous) && is_local(&new),
    };
    if !same {
        if mode.migrate_state {
            let old_backend = backend_of(&previous)?;
            migrate::migrate(root, &old_backend, &new_backend, mode.force_copy)?;
        } else if mode.reconfigure {
            // Take the new settings as they are.
        } else if previous.is_none() {
            // First set-up of another backend: a local state must not be left behind unnoticed.
            let local =
                root.join(skel_state::STATE_FILE).exists() || root.join("skel.state.d").exists();
            if local {
                return Err(crate::workdir::hinted(
                    format!(
                        "this directory has a local state, and the configuration now keeps its \
                         state in {}",
                        describe(&new_backend)
                    ),
                    "run `skelc init -migrate-state` to copy the local state (every \
                     workspace) there, or `skelc init -reconfigure` to start from what the new \
                     backend holds",
                ));
            }
        } else {
            return Err(crate::workdir::hinted(
                format!(
                    "the backend settings differ from the ones this working directory was \
                     initialized with (before: {}; now: {})",
                    describe(&backend_of(&previous)?),
                    describe(&new_backend)
                ),
                "run `skelc init -migrate-state` to copy every workspace's state to the new \
                 backend, or `skelc init -reconfigure` to use the new settings and leave the \
                 states where they are",
            ));
        }
    }
    match new {
        None => {
            if path.exists() {
                std::fs::remove_file(&path)?;
            }
            Ok(None)
        }
        Some(saved) => {
            std::fs::create_dir_all(root.join(".skel"))?;
            let staging = path.with_extension("json.tmp");
            std::fs::write(&staging, serde_json::to_vec_pretty(&saved)?)?;
            std::fs::rename(&staging, &path)?;
            Ok(Some(format!("Backend: {}.", describe(&new_backend))))
        }
    }
}

/// Where a backend keeps the default workspace's state, for messages.
pub fn describe(backend: &Backend) -> String {
    match backend {
        Backend::Local => "local state (skel.state.json in this directory)".to_string(),
        #[cfg(feature = "kubernetes")]
        Backend::Kubernetes(k) => format!(
            "kubernetes — state in Secret {}/tfstate-default-{}, locked with Lease {}/lock-tfstate-default-{}",
            k.namespace, k.secret_suffix, k.namespace, k.secret_suffix
        ),
        #[cfg(feature = "aws")]
        Backend::S3(s3) => format!(
            "s3 — state at s3://{}/{}, locked with s3://{}/{}.tflock",
            s3.settings.bucket, s3.key, s3.settings.bucket, s3.key
        ),
    }
}

/// One `-backend-config` argument: `KEY=VALUE` or a file of `KEY = VALUE` lines.
fn merge_extra(config: &mut BTreeMap<String, Json>, item: &str) -> anyhow::Result<()> {
    if let Some((key, value)) = item.split_once('=') {
        if !key.contains('/') && !key.contains('.') {
            config.insert(key.trim().to_string(), scalar(value.trim()));
            return Ok(());
        }
    }
    let text = std::fs::read_to_string(item).map_err(|e| {
        anyhow!("-backend-config={item}: not KEY=VALUE, and not a readable file ({e})")
    })?;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with("//") {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            bail!("{item}:{}: expected `name = value`", n + 1);
        };
        config.insert(key.trim().to_string(), scalar(value.trim()));
    }
    Ok(())
}

/// A value from the command line or a file: a quoted string, a bool, a number, else the text.
fn scalar(text: &str) -> Json {
    if let Some(inner) = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        return Json::String(inner.to_string());
    }
    match text {
        "true" => Json::Bool(true),
        "false" => Json::Bool(false),
        _ => text
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or_else(|| Json::String(text.to_string()), Json::Number),
    }
}

pub(crate) fn from_config(kind: &str, config: &BTreeMap<String, Json>) -> anyhow::Result<Backend> {
    match kind {
        "local" => {
            if let Some(name) = config.keys().next() {
                bail!(
                    "backend \"local\": `{name}` is not supported; the local state is always \
                     skel.state.json in the root module's directory (remove the argument)"
                );
            }
            Ok(Backend::Local)
        }
        #[cfg(feature = "aws")]
        "s3" => s3::from_config(config).map(|s3| Backend::S3(Box::new(s3))),
        #[cfg(feature = "kubernetes")]
        "kubernetes" => kube::from_config(config).map(|k| Backend::Kubernetes(Box::new(k))),
        other => bail!(
            "unknown backend `{other}`: skelc has the `local`, `s3` and `kubernetes` backends{}",
            if cfg!(feature = "aws") {
                ""
            } else {
                " (this build has no AWS support: only `local`)"
            }
        ),
    }
}

/// The selected workspace: `SKEL_WORKSPACE` (or Terraform's `TF_WORKSPACE`), else what
/// `skelc workspace select` remembered, else `default`.
pub fn workspace(root: &Path) -> String {
    for var in ["SKEL_WORKSPACE", "TF_WORKSPACE"] {
        if let Ok(name) = std::env::var(var) {
            if !name.is_empty() {
                return name;
            }
        }
    }
    std::fs::read_to_string(root.join(WORKSPACE_FILE))
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| DEFAULT_WORKSPACE.to_string())
}

/// The state store of `root` in its selected workspace.
pub fn open(root: &Path, backend: &Backend) -> anyhow::Result<StateStore> {
    open_workspace(root, backend, &workspace(root))
}

/// Whether `name` can be a workspace's name: letters, digits, `-`, `_`, `.`; not empty, at most
/// 90 characters (it becomes part of object keys, Secret names and directory names).
pub fn valid_workspace_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 90
        && name != "."
        && name != ".."
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Every workspace that has a state in `backend` (`default` always).
pub fn workspaces(root: &Path, backend: &Backend) -> anyhow::Result<Vec<String>> {
    let mut names = std::collections::BTreeSet::from([DEFAULT_WORKSPACE.to_string()]);
    match backend {
        Backend::Local => {
            if let Ok(entries) = std::fs::read_dir(root.join("skel.state.d")) {
                for entry in entries.flatten() {
                    if entry.path().join(skel_state::STATE_FILE).exists() {
                        names.insert(entry.file_name().to_string_lossy().into_owned());
                    }
                }
            }
        }
        #[cfg(feature = "aws")]
        Backend::S3(s3) => {
            names.extend(s3::workspaces(s3)?);
        }
        #[cfg(feature = "kubernetes")]
        Backend::Kubernetes(k) => names.extend(kube::workspaces(k)?),
    }
    Ok(names.into_iter().collect())
}

/// The state store of `workspace` in `backend`.
pub fn open_workspace(
    root: &Path,
    backend: &Backend,
    workspace: &str,
) -> anyhow::Result<StateStore> {
    if !valid_workspace_name(workspace) {
        bail!(
            "`{workspace}` is not a valid workspace name: use letters, digits, `-`, `_` and `.` \
             (check SKEL_WORKSPACE / TF_WORKSPACE and .skel/environment)"
        );
    }
    match backend {
        Backend::Local => {
            if workspace != DEFAULT_WORKSPACE {
                return Ok(StateStore::open(&local_workspace_dir(root, workspace))?);
            }
            Ok(StateStore::open(root)?)
        }
        #[cfg(feature = "kubernetes")]
        Backend::Kubernetes(k) => kube::open(k, workspace),
        #[cfg(feature = "aws")]
        Backend::S3(s3) => {
            let key = if workspace == DEFAULT_WORKSPACE {
                s3.key.clone()
            } else {
                format!("{}/{workspace}/{}", s3.workspace_key_prefix, s3.key)
            };
            s3::open(s3, key)
        }
    }
}

/// A non-default workspace's local state directory (Terraform's `terraform.tfstate.d/NAME`).
pub fn local_workspace_dir(root: &Path, workspace: &str) -> PathBuf {
    root.join("skel.state.d").join(workspace)
}
