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

/// The `s3` backend's settings.
#[cfg(feature = "aws")]
#[derive(Clone, Debug)]
pub struct S3Backend {
    pub settings: skel_provider_aws::state_objects::S3Settings,
    pub key: String,
    pub workspace_key_prefix: String,
    /// `dynamodb_table`: also lock in Terraform's DynamoDB table (for Terraform before 1.11).
    pub dynamodb_table: Option<String>,
    /// `endpoints { dynamodb = … }` (or the deprecated `dynamodb_endpoint`).
    pub dynamodb_endpoint: Option<String>,
}

/// The arguments the `s3` backend accepts (Terraform's names); the checker reads the same list.
fn s3_arguments() -> &'static [&'static str] {
    skel_types::backend_arguments("s3").unwrap_or_default()
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
            migrate(root, &old_backend, &new_backend, mode.force_copy)?;
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

/// `skelc init -migrate-state`: copy every workspace's state from `old` to `new`, each under
/// both locks, lineage kept, serial one higher. Refuses, before copying anything of a
/// workspace, when its old state has an unfinished journal or the new backend already holds a
/// different or newer state for it. The old states are left where they are.
fn migrate(root: &Path, old: &Backend, new: &Backend, force_copy: bool) -> anyhow::Result<()> {
    use std::io::{BufRead, IsTerminal, Write};
    // The state encryption is the configuration's (both backends hold the same states).
    let encryption = match crate::project::load_with(root, Some(&Default::default()), false, false)
    {
        Ok(project) => project.encryption.state.clone(),
        Err(crate::project::LoadError::Diagnostics) => bail!(
            "the configuration has errors (above); it says how the state is encrypted, so fix \
             them before migrating the state"
        ),
        Err(crate::project::LoadError::Usage(e)) => return Err(e),
    };
    let names = workspaces(root, old)?;
    if !force_copy {
        if !std::io::stdin().is_terminal() {
            return Err(crate::workdir::hinted(
                "standard input is not a terminal, so the state migration cannot be confirmed",
                "pass -force-copy to copy without asking",
            ));
        }
        print!(
            "Copy the state of {} workspace(s) ({}) from {} to {}? Only 'yes' is accepted: ",
            names.len(),
            names.join(", "),
            describe(old),
            describe(new)
        );
        std::io::stdout().flush()?;
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        if line.trim() != "yes" {
            bail!(
                "state migration cancelled; nothing was copied and the settings were not changed"
            );
        }
    }
    for name in names {
        let from = open_workspace(root, old, &name)?.with_encryption(encryption.clone());
        let from = crate::glue::lock_state(from, "init -migrate-state")?;
        if let Some(pending) = from.store.pending_journal()? {
            return Err(crate::workdir::hinted(
                format!(
                    "workspace `{name}`: an interrupted run left its journal ({}); nothing of \
                     it was copied",
                    pending.path.display()
                ),
                "run `skelc plan` with the old settings first to recover it",
            ));
        }
        if !from.store.exists()? {
            continue;
        }
        let to = open_workspace(root, new, &name)?.with_encryption(encryption.clone());
        let to = crate::glue::lock_state(to, "init -migrate-state")?;
        if to.store.exists()? {
            let there = &to.state;
            if there.lineage != from.state.lineage && !there.resources.is_empty() {
                bail!(
                    "workspace `{name}`: {} already holds another state (lineage {}, {} \
                     resource instance(s)); nothing of it was copied",
                    to.store.location().display(),
                    there.lineage,
                    there.resources.len()
                );
            }
            if there.lineage == from.state.lineage && there.serial > from.state.serial {
                bail!(
                    "workspace `{name}`: {} holds a newer version of this state (serial {} > \
                     {}); nothing of it was copied",
                    to.store.location().display(),
                    there.serial,
                    from.state.serial
                );
            }
            to.store.remove(&to.lock)?;
        }
        let serial = to
            .store
            .write_snapshot(&to.lock, &from.state, from.state.serial)?;
        println!(
            "- workspace {name}: copied {} resource instance(s) to {} (serial {serial})",
            from.state.resources.len(),
            to.store.location().display()
        );
    }
    Ok(())
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
        "s3" => s3_from_config(config).map(|s3| Backend::S3(Box::new(s3))),
        #[cfg(feature = "kubernetes")]
        "kubernetes" => kube_store::from_config(config).map(|k| Backend::Kubernetes(Box::new(k))),
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

#[cfg(feature = "aws")]
fn s3_from_config(config: &BTreeMap<String, Json>) -> anyhow::Result<S3Backend> {
    for name in config.keys() {
        if !s3_arguments().contains(&name.as_str()) {
            let hint = format!(
                " The s3 backend's arguments: {}.",
                s3_arguments().join(", ")
            );
            bail!("backend \"s3\": unsupported argument `{name}`.{hint}");
        }
    }
    let string = |name: &str| -> anyhow::Result<Option<String>> {
        match config.get(name) {
            None | Some(Json::Null) => Ok(None),
            Some(Json::String(s)) => Ok(Some(s.clone())),
            Some(other) => bail!("backend \"s3\": `{name}` must be a string, not {other}"),
        }
    };
    let boolean = |name: &str| -> anyhow::Result<Option<bool>> {
        match config.get(name) {
            None | Some(Json::Null) => Ok(None),
            Some(Json::Bool(b)) => Ok(Some(*b)),
            Some(Json::String(s)) if s == "true" || s == "false" => Ok(Some(s == "true")),
            Some(other) => bail!("backend \"s3\": `{name}` must be true or false, not {other}"),
        }
    };
    let required = |name: &str| -> anyhow::Result<String> {
        string(name)?.filter(|s| !s.is_empty()).ok_or_else(|| {
            anyhow!(
                "backend \"s3\": `{name}` is required: set it in the backend block or with \
                 `skelc init -backend-config={name}=…`"
            )
        })
    };
    let bucket = required("bucket")?;
    let key = required("key")?;
    if key.starts_with('/') || key.ends_with('/') {
        bail!("backend \"s3\": `key` must not start or end with `/` (it is `{key}`)");
    }
    if boolean("use_lockfile")? == Some(false) {
        bail!(
            "backend \"s3\": skelc always locks an S3 state with its lock file (`{key}.tflock`); \
             remove `use_lockfile = false`"
        );
    }
    let endpoint_of = |service: &str, deprecated: &str| -> anyhow::Result<Option<String>> {
        match config.get("endpoints") {
            Some(Json::Object(map)) => {
                if let Some(other) = map
                    .keys()
                    .find(|k| !["s3", "dynamodb"].contains(&k.as_str()))
                {
                    bail!(
                        "backend \"s3\": `endpoints.{other}` is not used by the s3 backend (it \
                         has `s3` and `dynamodb`)"
                    );
                }
                match map.get(service) {
                    Some(Json::String(s)) => Ok(Some(s.clone())),
                    None => string(deprecated),
                    Some(other) => {
                        bail!("backend \"s3\": `endpoints.{service}` must be a string, not {other}")
                    }
                }
            }
            Some(other) => bail!("backend \"s3\": `endpoints` must be a block, not {other}"),
            None => string(deprecated),
        }
    };
    let endpoint = endpoint_of("s3", "endpoint")?;
    let dynamodb_endpoint = endpoint_of("dynamodb", "dynamodb_endpoint")?;
    let dynamodb_table = string("dynamodb_table")?.filter(|t| !t.is_empty());
    let prefix = string("workspace_key_prefix")?.unwrap_or_else(|| "env:".to_string());
    let settings = skel_provider_aws::state_objects::S3Settings {
        bucket,
        region: string("region")?,
        endpoint,
        use_path_style: boolean("use_path_style")?
            .or(boolean("force_path_style")?)
            .unwrap_or(false),
        encrypt: boolean("encrypt")?.unwrap_or(false),
        kms_key_id: string("kms_key_id")?,
        profile: string("profile")?,
        access_key: string("access_key")?,
        secret_key: string("secret_key")?,
        token: string("token")?,
    };
    Ok(S3Backend {
        settings,
        key,
        workspace_key_prefix: prefix,
        dynamodb_table,
        dynamodb_endpoint,
    })
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
            let objects = s3_objects(s3)?;
            let prefix = format!("{}/", s3.workspace_key_prefix);
            let keys = crate::encryption::kms::block_on(objects.list(&prefix)).map_err(|e| {
                anyhow!(
                    "could not list the workspaces under s3://{}/{prefix}: {}",
                    s3.settings.bucket,
                    match e {
                        skel_provider_aws::state_objects::ObjectError::Failed(m) => m,
                        skel_provider_aws::state_objects::ObjectError::PreconditionFailed =>
                            "precondition failed".into(),
                    }
                )
            })?;
            for key in keys {
                if let Some((name, rest)) = key
                    .strip_prefix(&prefix)
                    .and_then(|rest| rest.split_once('/'))
                {
                    if rest == s3.key {
                        names.insert(name.to_string());
                    }
                }
            }
        }
        #[cfg(feature = "kubernetes")]
        Backend::Kubernetes(k) => names.extend(kube_store::workspaces(k)?),
    }
    Ok(names.into_iter().collect())
}

#[cfg(feature = "aws")]
fn s3_objects(s3: &S3Backend) -> anyhow::Result<skel_provider_aws::state_objects::S3Objects> {
    crate::encryption::kms::block_on(skel_provider_aws::state_objects::S3Objects::new(
        s3.settings.clone(),
    ))
    .map_err(|e| anyhow!(e))
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
        Backend::Kubernetes(k) => kube_store::open(k, workspace),
        #[cfg(feature = "aws")]
        Backend::S3(s3) => {
            let key = if workspace == DEFAULT_WORKSPACE {
                s3.key.clone()
            } else {
                format!("{}/{workspace}/{}", s3.workspace_key_prefix, s3.key)
            };
            let objects = s3_objects(s3)?;
            let dynamo = match &s3.dynamodb_table {
                Some(table) => Some(
                    crate::encryption::kms::block_on(
                        skel_provider_aws::state_objects::DynamoLocks::new(
                            &s3.settings,
                            table,
                            s3.dynamodb_endpoint.as_deref(),
                        ),
                    )
                    .map_err(|e| anyhow!(e))?,
                ),
                None => None,
            };
            Ok(StateStore::open_remote(std::sync::Arc::new(
                s3_store::S3Store::new(objects, key, dynamo),
            )))
        }
    }
}

/// A non-default workspace's local state directory (Terraform's `terraform.tfstate.d/NAME`).
pub fn local_workspace_dir(root: &Path, workspace: &str) -> PathBuf {
    root.join("skel.state.d").join(workspace)
}

#[cfg(feature = "aws")]
mod s3_store {
    //! `skel_state::ObjectStore` on `skel_provider_aws::state_objects`: object names relative
    //! to the state's key, each call run to completion on the shared blocking runtime. With
    //! `dynamodb_table`, the lock is also Terraform's DynamoDB item (taken after the S3 lock
    //! file, released after it, as Terraform 1.11 does with both) and every state write records
    //! the state's MD5 digest there for Terraform versions that check it.

    use std::sync::Mutex;

    use skel_provider_aws::state_objects::{DynamoLocks, ObjectError, Precondition, S3Objects};
    use skel_state::{Condition, Object, ObjectStore, RemoteError};

    use crate::encryption::kms::block_on;

    /// The tag a lock found only in DynamoDB is read with (no S3 object, so no ETag).
    const DYNAMO_ONLY: &str = "dynamodb-lock";

    #[derive(Debug)]
    pub struct S3Store {
        objects: S3Objects,
        key: String,
        dynamo: Option<DynamoLocks>,
        /// The lock record this process put in DynamoDB, to release exactly it.
        held: Mutex<Option<String>>,
    }

    impl S3Store {
        pub fn new(objects: S3Objects, key: String, dynamo: Option<DynamoLocks>) -> S3Store {
            S3Store {
                objects,
                key,
                dynamo,
                held: Mutex::new(None),
            }
        }

        /// Terraform's `LockID`: `BUCKET/KEY`.
        fn lock_id(&self) -> String {
            format!("{}/{}", self.objects.bucket(), self.key)
        }

        fn record_id(record: &[u8]) -> Option<String> {
            serde_json::from_slice::<serde_json::Value>(record)
                .ok()?
                .get("ID")?
                .as_str()
                .map(str::to_string)
        }

        fn put_lock(&self, bytes: Vec<u8>, condition: Condition) -> Result<String, RemoteError> {
            let key = format!("{}{}", self.key, skel_state::remote::LOCK_OBJECT);
            let record = String::from_utf8_lossy(&bytes).into_owned();
            let etag =
                block_on(self.objects.put(&key, bytes, precondition(condition))).map_err(error)?;
            let Some(dynamo) = &self.dynamo else {
                return Ok(etag);
            };
            if let Err(failed) = block_on(dynamo.lock(&self.lock_id(), &record)) {
                // Someone holds the DynamoDB lock (an older Terraform): give the S3 one back.
                let _ = block_on(self.objects.delete(&key, Precondition::Matches(etag)));
                return Err(error(failed));
            }
            *self.held.lock().unwrap_or_else(|p| p.into_inner()) = Some(record);
            Ok(etag)
        }

        fn get_lock(&self) -> Result<Option<Object>, RemoteError> {
            let key = format!("{}{}", self.key, skel_state::remote::LOCK_OBJECT);
            if let Some((bytes, etag)) = block_on(self.objects.get(&key)).map_err(error)? {
                return Ok(Some(Object { bytes, etag }));
            }
            let Some(dynamo) = &self.dynamo else {
                return Ok(None);
            };
            Ok(block_on(dynamo.holder(&self.lock_id()))
                .map_err(error)?
                .map(|info| Object {
                    bytes: info.into_bytes(),
                    etag: DYNAMO_ONLY.to_string(),
                }))
        }

        fn delete_lock(&self, condition: Condition) -> Result<(), RemoteError> {
            let key = format!("{}{}", self.key, skel_state::remote::LOCK_OBJECT);
            // Which lock is being released: ours, or the one a force-unlock read.
            let ours = self.held.lock().unwrap_or_else(|p| p.into_inner()).take();
            let released_id = match (&ours, &condition) {
                (Some(record), _) => Self::record_id(record.as_bytes()),
                (None, _) => self.get_lock()?.and_then(|o| Self::record_id(&o.bytes)),
            };
            if condition != Condition::Matches(DYNAMO_ONLY.to_string()) {
                block_on(self.objects.delete(&key, precondition(condition))).map_err(error)?;
            }
            let Some(dynamo) = &self.dynamo else {
                return Ok(());
            };
            if let Some(info) = block_on(dynamo.holder(&self.lock_id())).map_err(error)? {
                if released_id.is_some() && Self::record_id(info.as_bytes()) == released_id {
                    block_on(dynamo.unlock(&self.lock_id(), &info)).map_err(error)?;
                }
            }
            Ok(())
        }
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

    impl ObjectStore for S3Store {
        fn url(&self, name: &str) -> String {
            format!("s3://{}/{}{name}", self.objects.bucket(), self.key)
        }

        fn get(&self, name: &str) -> Result<Option<Object>, RemoteError> {
            if name == skel_state::remote::LOCK_OBJECT {
                return self.get_lock();
            }
            let key = format!("{}{name}", self.key);
            block_on(self.objects.get(&key))
                .map(|found| found.map(|(bytes, etag)| Object { bytes, etag }))
                .map_err(error)
        }

        fn put(
            &self,
            name: &str,
            bytes: Vec<u8>,
            condition: Condition,
        ) -> Result<String, RemoteError> {
            if name == skel_state::remote::LOCK_OBJECT {
                return self.put_lock(bytes, condition);
            }
            let key = format!("{}{name}", self.key);
            let digest = (name == skel_state::remote::STATE_OBJECT && self.dynamo.is_some())
                .then(|| bytes.clone());
            let etag =
                block_on(self.objects.put(&key, bytes, precondition(condition))).map_err(error)?;
            if let (Some(dynamo), Some(bytes)) = (&self.dynamo, digest) {
                block_on(dynamo.set_digest(&self.lock_id(), Some(&bytes))).map_err(error)?;
            }
            Ok(etag)
        }

        fn delete(&self, name: &str, condition: Condition) -> Result<(), RemoteError> {
            if name == skel_state::remote::LOCK_OBJECT {
                return self.delete_lock(condition);
            }
            let key = format!("{}{name}", self.key);
            block_on(self.objects.delete(&key, precondition(condition))).map_err(error)?;
            if let (Some(dynamo), true) = (&self.dynamo, name == skel_state::remote::STATE_OBJECT) {
                block_on(dynamo.set_digest(&self.lock_id(), None)).map_err(error)?;
            }
            Ok(())
        }

        fn list(&self, prefix: &str) -> Result<Vec<String>, RemoteError> {
            let full = format!("{}{prefix}", self.key);
            let keys = block_on(self.objects.list(&full)).map_err(error)?;
            Ok(keys
                .into_iter()
                .filter_map(|k| k.strip_prefix(&self.key).map(str::to_string))
                .collect())
        }
    }
}

#[cfg(feature = "kubernetes")]
mod kube_store {
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

        fn put(
            &self,
            name: &str,
            bytes: Vec<u8>,
            condition: Condition,
        ) -> Result<String, RemoteError> {
            block_on(self.objects.put(name, bytes, precondition(condition))).map_err(error)
        }

        fn delete(&self, name: &str, condition: Condition) -> Result<(), RemoteError> {
            block_on(self.objects.delete(name, precondition(condition))).map_err(error)
        }

        fn list(&self, prefix: &str) -> Result<Vec<String>, RemoteError> {
            block_on(self.objects.list(prefix)).map_err(error)
        }
    }
}
