//! `data "skel_remote_state"` (and `terraform_remote_state`): another configuration's root
//! module outputs, read through the same backends the state commands use (`crate::backend`),
//! its sensitive outputs still marked sensitive. Served by the built-in providers `skel` and
//! `terraform`, which have this one data source and no resources.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use skel_provider::{
    ApplyRequest, PlanRequest, PlanResponse, Provider, ProviderError, ProviderFactory,
};
use skel_value::{Value, ValueMap};

/// The factories of the `skel` and `terraform` providers.
pub fn factories() -> Vec<Arc<dyn ProviderFactory>> {
    vec![
        Arc::new(RemoteStateFactory { name: "skel" }),
        Arc::new(RemoteStateFactory { name: "terraform" }),
    ]
}

struct RemoteStateFactory {
    name: &'static str,
}

impl ProviderFactory for RemoteStateFactory {
    fn name(&self) -> &str {
        self.name
    }

    fn configure(&self, _config: &Value) -> Result<Arc<dyn Provider>, ProviderError> {
        Ok(Arc::new(RemoteState { name: self.name }))
    }
}

struct RemoteState {
    name: &'static str,
}

impl RemoteState {
    fn no_resources(&self, type_name: &str) -> ProviderError {
        ProviderError::InvalidConfig(format!(
            "`{type_name}`: the `{}` provider has no resources, only the `{}_remote_state` data \
             source",
            self.name, self.name
        ))
    }
}

#[async_trait]
impl Provider for RemoteState {
    fn name(&self) -> &str {
        self.name
    }

    fn external(&self, _type_name: &str) -> bool {
        false
    }

    async fn plan(&self, request: PlanRequest<'_>) -> Result<PlanResponse, ProviderError> {
        Err(self.no_resources(request.type_name))
    }

    async fn apply(&self, request: ApplyRequest<'_>) -> Result<Value, ProviderError> {
        Err(self.no_resources(request.type_name))
    }

    async fn read(&self, type_name: &str, _state: &Value) -> Result<Option<Value>, ProviderError> {
        Err(self.no_resources(type_name))
    }

    async fn read_data(&self, type_name: &str, config: &Value) -> Result<Value, ProviderError> {
        if type_name != format!("{}_remote_state", self.name) {
            return Err(self.no_resources(type_name));
        }
        let config = config.clone();
        let root = std::env::current_dir()
            .map_err(|e| ProviderError::Other(format!("{type_name}: no working directory: {e}")))?;
        let name = type_name.to_string();
        // The backends are synchronous (their own runtime for S3): off the async workers.
        tokio::task::spawn_blocking(move || read_outputs(&name, &root, &config))
            .await
            .map_err(|e| ProviderError::Other(format!("{type_name}: {e}")))?
    }

    async fn import(&self, type_name: &str, _id: &str) -> Result<Value, ProviderError> {
        Err(self.no_resources(type_name))
    }
}

fn field<'a>(config: &'a Value, name: &str) -> &'a Value {
    match config {
        Value::Object(map) => map.get(name).unwrap_or(&Value::Null),
        _ => &Value::Null,
    }
}

fn read_outputs(type_name: &str, root: &Path, config: &Value) -> Result<Value, ProviderError> {
    let invalid = |message: String| ProviderError::InvalidConfig(format!("{type_name}: {message}"));
    let Value::String(kind) = field(config, "backend") else {
        return Err(invalid("`backend` must be a string".into()));
    };
    let workspace = match field(config, "workspace") {
        Value::Null => crate::backend::DEFAULT_WORKSPACE.to_string(),
        Value::String(w) => w.clone(),
        _ => return Err(invalid("`workspace` must be a string".into())),
    };
    let settings: BTreeMap<String, serde_json::Value> = match field(config, "config") {
        Value::Null => BTreeMap::new(),
        Value::Object(map) => map.iter().map(|(k, v)| (k.clone(), v.to_json())).collect(),
        _ => {
            return Err(invalid(
                "`config` must be an object of backend settings".into(),
            ))
        }
    };
    let state = if kind == "local" {
        read_local(root, &settings, &workspace).map_err(|e| invalid(e.to_string()))?
    } else {
        let backend =
            crate::backend::from_config(kind, &settings).map_err(|e| invalid(e.to_string()))?;
        let store = crate::backend::open_workspace(root, &backend, &workspace)
            .map_err(|e| invalid(e.to_string()))?;
        if !store.exists().map_err(|e| invalid(e.to_string()))? {
            return Err(invalid(format!(
                "there is no state at {} (workspace `{workspace}`)",
                store.location().display()
            )));
        }
        store.read().map_err(|e| invalid(e.to_string()))?
    };
    let mut outputs = ValueMap::default();
    if let Value::Object(defaults) = field(config, "defaults") {
        for (name, value) in defaults.iter() {
            outputs.insert(name.clone(), value.clone());
        }
    }
    for (name, output) in &state.outputs {
        let value = Value::from_json(&output.value);
        outputs.insert(
            name.clone(),
            if output.sensitive {
                value.sensitive()
            } else {
                value
            },
        );
    }
    let mut object = match config {
        Value::Object(map) => map.clone(),
        _ => ValueMap::default(),
    };
    object.insert("id".into(), Value::string(format!("{kind}:{workspace}")));
    object.insert("workspace".into(), Value::string(workspace));
    object.insert("outputs".into(), Value::Object(outputs));
    Ok(Value::Object(object))
}

/// A local state: `path` is the state file or the root module directory holding it (relative
/// to this root module); a workspace other than `default` is under `skel.state.d/NAME/`.
fn read_local(
    root: &Path,
    settings: &BTreeMap<String, serde_json::Value>,
    workspace: &str,
) -> anyhow::Result<skel_plan_ir::State> {
    for name in settings.keys() {
        if name != "path" {
            anyhow::bail!("backend \"local\": unsupported setting `{name}` (only `path`)");
        }
    }
    let Some(serde_json::Value::String(path)) = settings.get("path") else {
        anyhow::bail!("backend \"local\" needs `path`: the state file or its directory");
    };
    let mut path = root.join(path);
    if path.is_dir() {
        if workspace != crate::backend::DEFAULT_WORKSPACE {
            path = crate::backend::local_workspace_dir(&path, workspace);
        }
        path = path.join(skel_state::STATE_FILE);
    }
    let shown: PathBuf = crate::workdir::shown(&path);
    let bytes = std::fs::read(&path)
        .map_err(|e| anyhow::anyhow!("cannot read the state {}: {e}", shown.display()))?;
    Ok(skel_state::parse_document(&path, &bytes)?)
}
