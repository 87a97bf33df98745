//! The engine's provider contract (`skel_provider::Provider`) over a plugin: a
//! [`PluginFactory`] per provider local name, a [`PluginProvider`] per provider configuration
//! (alias) that starts its own plugin process on first use, validates and configures it from
//! the `provider` block, and keeps it for the run; [`Processes`] ends them all.
//!
//! Values cross as the plugin's schema types them (the client normalizes and encodes them);
//! marks and sensitivity stay the engine's. Plugin diagnostics become [`ProviderError`]s whose
//! message names the provider and the attribute path.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use skel_provider::{
    ApplyRequest, AttrPath, PlanRequest, PlanResponse, Private, Provider, ProviderError,
    ProviderFactory, RecoverRequest,
};
use skel_schema::BlockSchema;
use skel_value::{Value, ValueMap};
use tokio::sync::OnceCell;

use crate::answer::{AttributePath, Diagnostic, PathStep};
use crate::client::PluginClient;
use crate::error::PluginError;
use crate::handshake::StartOptions;

/// The plugin processes a run started, to stop them at its end (or kill them on Ctrl-C).
#[derive(Default)]
pub struct Processes {
    clients: Mutex<Vec<Arc<PluginClient>>>,
}

impl Processes {
    fn add(&self, client: Arc<PluginClient>) {
        self.lock().push(client);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Arc<PluginClient>>> {
        self.clients.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How many plugin processes were started.
    pub fn started(&self) -> usize {
        self.lock().len()
    }

    /// Sends `StopProvider` to every plugin at once (a first Ctrl-C): each may cancel what it
    /// is doing; the processes keep serving, so calls in flight can finish and be recorded.
    /// How many plugins acknowledged within two seconds.
    pub async fn request_stop(&self) -> usize {
        let clients: Vec<Arc<PluginClient>> = self.lock().clone();
        let stops = clients
            .iter()
            .map(|client| tokio::time::timeout(Duration::from_secs(2), client.stop()));
        futures::future::join_all(stops)
            .await
            .into_iter()
            .filter(|r| matches!(r, Ok(Ok(_))))
            .count()
    }

    /// Asks every plugin to stop (`StopProvider`, a short grace) and kills its process.
    pub async fn stop_all(&self) {
        let clients: Vec<Arc<PluginClient>> = std::mem::take(&mut *self.lock());
        for client in &clients {
            let _ = tokio::time::timeout(Duration::from_secs(2), client.stop()).await;
            client.kill();
        }
    }

    /// Kills every plugin process at once (an interrupted run).
    pub fn kill_all(&self) {
        for client in self.lock().iter() {
            client.kill();
        }
    }
}

/// The plugin serving one provider local name (`null`): configures a [`PluginProvider`] per
/// provider configuration.
pub struct PluginFactory {
    name: String,
    executable: PathBuf,
    processes: Arc<Processes>,
}

impl PluginFactory {
    /// The plugin `executable` serving local name `name`; the processes it starts are recorded
    /// in `processes`.
    pub fn new(name: &str, executable: PathBuf, processes: Arc<Processes>) -> Self {
        PluginFactory {
            name: name.to_string(),
            executable,
            processes,
        }
    }
}

impl ProviderFactory for PluginFactory {
    fn name(&self) -> &str {
        &self.name
    }

    fn versioned(&self) -> bool {
        true
    }

    fn configure(&self, config: &Value) -> Result<Arc<dyn Provider>, ProviderError> {
        Ok(Arc::new(PluginProvider {
            name: self.name.clone(),
            executable: self.executable.clone(),
            config: config.clone(),
            client: OnceCell::new(),
            processes: self.processes.clone(),
        }))
    }
}

/// One provider configuration served by its own plugin process, started on first use.
pub struct PluginProvider {
    name: String,
    executable: PathBuf,
    config: Value,
    client: OnceCell<Arc<PluginClient>>,
    processes: Arc<Processes>,
}

impl PluginProvider {
    /// The running, configured plugin (started, validated and configured on the first call).
    async fn client(&self) -> Result<&PluginClient, ProviderError> {
        let client = self
            .client
            .get_or_try_init(|| async {
                let client = Arc::new(
                    PluginClient::start(&self.name, &self.executable, &StartOptions::default())
                        .await
                        .map_err(|e| self.error(e))?,
                );
                self.processes.add(client.clone());
                let (prepared, _) = client
                    .validate_provider_config(&self.config)
                    .await
                    .and_then(|r| r.ok())
                    .map_err(|e| self.configure_error(e))?;
                let config = if prepared.is_null() {
                    self.config.clone()
                } else {
                    prepared
                };
                client
                    .configure(&config)
                    .await
                    .and_then(|r| r.ok())
                    .map_err(|e| self.configure_error(e))?;
                Ok::<_, ProviderError>(client)
            })
            .await?;
        Ok(client)
    }

    /// `ReadResource` with the object's private data; the new object and private data, or
    /// `None` when the object is gone.
    async fn read_private(
        &self,
        type_name: &str,
        state: &Value,
        prior_private: Private,
    ) -> Result<Option<(Value, Private)>, ProviderError> {
        let client = self.client().await?;
        let (read, _) = client
            .read_resource(
                type_name,
                state,
                prior_private.as_deref().unwrap_or_default(),
            )
            .await
            .and_then(|r| r.ok())
            .map_err(|e| self.error(e))?;
        Ok((!read.new_state.is_null()).then(|| (read.new_state, private(read.private))))
    }

    fn schema(&self, type_name: &str) -> Option<&'static BlockSchema> {
        skel_schema::resource(type_name).map(|s| &s.block)
    }

    fn error(&self, e: PluginError) -> ProviderError {
        to_provider_error(&self.name, e)
    }

    fn configure_error(&self, e: PluginError) -> ProviderError {
        match to_provider_error(&self.name, e) {
            ProviderError::Api(m) | ProviderError::Other(m) => ProviderError::InvalidConfig(m),
            other => other,
        }
    }
}

#[async_trait]
impl Provider for PluginProvider {
    fn name(&self) -> &str {
        &self.name
    }

    async fn plan(&self, request: PlanRequest<'_>) -> Result<PlanResponse, ProviderError> {
        Ok(self.plan_private(request, None).await?.0)
    }

    async fn plan_private(
        &self,
        request: PlanRequest<'_>,
        prior_private: Private,
    ) -> Result<(PlanResponse, Private), ProviderError> {
        let client = self.client().await?;
        if !request.config.is_null() {
            // The plugin's own checks (its validators, conflicting arguments) first, as
            // Terraform validates before it plans.
            client
                .validate_resource_config(request.type_name, request.config)
                .await
                .and_then(|r| r.ok())
                .map_err(|e| self.error(e))?;
        }
        let prior = request.prior.cloned().unwrap_or(Value::Null);
        let proposed = match self.schema(request.type_name) {
            Some(block) => proposed_new_state(block, &prior, request.config),
            None => request.config.clone(),
        };
        let (planned, _) = client
            .plan_resource_change(
                request.type_name,
                &prior,
                &proposed,
                request.config,
                prior_private.as_deref().unwrap_or_default(),
            )
            .await
            .and_then(|r| r.ok())
            .map_err(|e| self.error(e))?;
        // As Terraform does: a path forces replacement only where the plan changes its value.
        let requires_replace: Vec<AttrPath> = planned
            .requires_replace
            .iter()
            .map(attr_path)
            .filter(|path| {
                let before = at_path(&prior, path);
                let after = at_path(&planned.planned_state, path);
                before != after || after.is_some_and(|v| !v.is_known())
            })
            .collect();
        if requires_replace.is_empty() || prior.is_null() {
            let private = private(planned.planned_private);
            return Ok((
                PlanResponse {
                    planned: planned.planned_state,
                    requires_replace,
                },
                private,
            ));
        }
        // A replacement: the new object is planned as a create, as Terraform does.
        let (created, _) = client
            .plan_resource_change(
                request.type_name,
                &Value::Null,
                request.config,
                request.config,
                &[],
            )
            .await
            .and_then(|r| r.ok())
            .map_err(|e| self.error(e))?;
        let private = private(created.planned_private);
        Ok((
            PlanResponse {
                planned: created.planned_state,
                requires_replace,
            },
            private,
        ))
    }

    async fn apply(&self, request: ApplyRequest<'_>) -> Result<Value, ProviderError> {
        Ok(self.apply_private(request, None).await?.0)
    }

    async fn apply_private(
        &self,
        request: ApplyRequest<'_>,
        planned_private: Private,
    ) -> Result<(Value, Private), ProviderError> {
        let client = self.client().await?;
        let prior = request.prior.cloned().unwrap_or(Value::Null);
        let planned = request.planned.cloned().unwrap_or(Value::Null);
        let config = match (request.planned, self.schema(request.type_name)) {
            (Some(planned), Some(block)) => config_from_planned(block, planned),
            (Some(planned), None) => planned.clone(),
            (None, _) => Value::Null,
        };
        let response = client
            .apply_resource_change(
                request.type_name,
                &prior,
                &planned,
                &config,
                planned_private.as_deref().unwrap_or_default(),
            )
            .await
            .map_err(|e| self.error(e))?;
        let state = response.value.new_state.clone();
        match response.ok() {
            Ok((applied, _)) => Ok((applied.new_state, private(applied.private))),
            // A partial apply: the object the plugin says exists is kept.
            Err(e) if !state.is_null() && request.planned.is_some() => {
                Err(ProviderError::not_ready(state, self.error(e).to_string()))
            }
            Err(e) => Err(self.error(e)),
        }
    }

    async fn read(&self, type_name: &str, state: &Value) -> Result<Option<Value>, ProviderError> {
        Ok(self
            .read_private(type_name, state, None)
            .await?
            .map(|r| r.0))
    }

    async fn read_batch(
        &self,
        type_name: &str,
        states: &[Value],
    ) -> Result<Vec<Option<Value>>, ProviderError> {
        self.client().await?;
        let reads = states.iter().map(|state| self.read(type_name, state));
        futures::future::join_all(reads).await.into_iter().collect()
    }

    async fn read_batch_private(
        &self,
        type_name: &str,
        objects: &[(Value, Private)],
    ) -> Result<Vec<Option<(Value, Private)>>, ProviderError> {
        self.client().await?;
        let reads = objects
            .iter()
            .map(|(state, private)| self.read_private(type_name, state, private.clone()));
        futures::future::join_all(reads).await.into_iter().collect()
    }

    async fn read_data(&self, type_name: &str, config: &Value) -> Result<Value, ProviderError> {
        let client = self.client().await?;
        client
            .validate_data_resource_config(type_name, config)
            .await
            .and_then(|r| r.ok())
            .map_err(|e| self.error(e))?;
        let (value, _) = client
            .read_data_source(type_name, config)
            .await
            .and_then(|r| r.ok())
            .map_err(|e| self.error(e))?;
        Ok(value)
    }

    async fn import(&self, type_name: &str, id: &str) -> Result<Value, ProviderError> {
        let client = self.client().await?;
        let (imported, _) = client
            .import_resource_state(type_name, id)
            .await
            .and_then(|r| r.ok())
            .map_err(|e| self.error(e))?;
        let Some(object) = imported.into_iter().find(|i| i.type_name == type_name) else {
            return Err(ProviderError::not_found(format!(
                "provider `{}`: importing `{id}` found no `{type_name}` object",
                self.name
            )));
        };
        let (read, _) = client
            .read_resource(type_name, &object.state, &object.private)
            .await
            .and_then(|r| r.ok())
            .map_err(|e| self.error(e))?;
        if read.new_state.is_null() {
            return Err(ProviderError::not_found(format!(
                "provider `{}`: no `{type_name}` object with id `{id}` exists",
                self.name
            )));
        }
        Ok(read.new_state)
    }

    async fn schema_version(&self, type_name: &str) -> Result<Option<u64>, ProviderError> {
        let client = self.client().await?;
        let version = client
            .schema_version(type_name)
            .await
            .map_err(|e| self.error(e))?;
        Ok(version.map(|v| u64::try_from(v).unwrap_or(0)))
    }

    async fn upgrade(
        &self,
        type_name: &str,
        version: Option<u64>,
        raw_json: &str,
    ) -> Result<Option<(Value, u64)>, ProviderError> {
        let current = self.schema_version(type_name).await?.unwrap_or(0);
        let stored = version.unwrap_or(current);
        let client = self.client().await?;
        let (upgraded, _) = client
            .upgrade_resource_state(
                type_name,
                i64::try_from(stored).unwrap_or(i64::MAX),
                raw_json.as_bytes(),
            )
            .await
            .and_then(|r| r.ok())
            .map_err(|e| self.error(e))?;
        Ok(Some((upgraded, current)))
    }

    /// An interrupted create is read back (`ReadResource`) from the journaled planned object
    /// when its id was known at plan time; otherwise the plugin cannot tell whether the create
    /// made an object ([`ProviderError::CannotTell`]).
    async fn recover(&self, request: RecoverRequest<'_>) -> Result<Option<Value>, ProviderError> {
        let id_known = match request.planned {
            Value::Object(map) => map
                .get("id")
                .is_some_and(|id| id.is_known() && !id.is_null()),
            _ => false,
        };
        if !id_known {
            // `ReadResource` needs the object's id, which only the create's answer gives.
            return Err(ProviderError::CannotTell(format!(
                "provider `{}` is a plugin, and the plugin protocol reads an object only by its \
                 id, which the interrupted create of `{}` never returned",
                self.name, request.address
            )));
        }
        self.read(request.type_name, request.planned).await
    }
}

/// A plugin's private bytes as the engine keeps them (none when empty).
fn private(bytes: Vec<u8>) -> Private {
    (!bytes.is_empty()).then(|| bytes.into())
}

/// The protocol's "proposed new state": the configuration, with the prior values of computed
/// attributes the configuration leaves unset.
fn proposed_new_state(block: &BlockSchema, prior: &Value, config: &Value) -> Value {
    let (Value::Object(prior), Value::Object(config)) = (prior, config) else {
        return config.clone();
    };
    let mut out = config.clone();
    for (name, attr) in &block.attributes {
        if !attr.computed {
            continue;
        }
        let unset = config.get(name).is_none_or(Value::is_null);
        if unset {
            if let Some(value) = prior.get(name) {
                out.insert(name.clone(), value.clone());
            }
        }
    }
    Value::Object(out)
}

/// The configuration an apply is made with, from the planned object: computed-only attributes
/// are not configuration.
fn config_from_planned(block: &BlockSchema, planned: &Value) -> Value {
    let Value::Object(map) = planned else {
        return planned.clone();
    };
    let mut out = ValueMap::with_capacity(map.len());
    for (name, value) in map.iter() {
        let computed_only = block
            .attributes
            .get(name)
            .is_some_and(|a| a.computed && !a.optional && !a.required);
        out.insert(
            name.clone(),
            if computed_only {
                Value::Null
            } else {
                value.clone()
            },
        );
    }
    Value::Object(out)
}

/// The value at `path` inside `value` (`None` where the path leads nowhere).
fn at_path<'v>(value: &'v Value, path: &[String]) -> Option<&'v Value> {
    let mut current = value;
    for step in path {
        current = match current {
            Value::Marked(inner, _) => at_path(inner, std::slice::from_ref(step))?,
            Value::Object(map) | Value::Map(map) => map.get(step)?,
            Value::List(items) | Value::Tuple(items) | Value::Set(items) => {
                items.get(step.parse::<usize>().ok()?)?
            }
            _ => return None,
        };
    }
    Some(current)
}

/// A plugin's attribute path as the engine's.
fn attr_path(path: &AttributePath) -> AttrPath {
    path.0
        .iter()
        .map(|step| match step {
            PathStep::Attribute(a) | PathStep::Key(a) => a.clone(),
            PathStep::Index(i) => i.to_string(),
        })
        .collect()
}

/// A plugin failure as the engine's error: diagnostics by their summary, transport failures as
/// unreachable; the message names the provider and, for a diagnostic, the attribute path.
pub fn to_provider_error(provider: &str, e: PluginError) -> ProviderError {
    match e {
        PluginError::Diagnostics {
            rpc, diagnostics, ..
        } => {
            let errors: Vec<&Diagnostic> = diagnostics.iter().filter(|d| d.is_error()).collect();
            let text = errors
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join("; ");
            let message = format!("provider `{provider}`: {rpc}: {text}");
            let summary = errors
                .first()
                .map(|d| format!("{} {}", d.summary, d.detail).to_lowercase())
                .unwrap_or_default();
            if summary.contains("not found") || summary.contains("does not exist") {
                ProviderError::not_found(message)
            } else if ["credential", "unauthorized", "forbidden", "access denied"]
                .iter()
                .any(|w| summary.contains(w))
            {
                ProviderError::Auth(message)
            } else if summary.contains("invalid")
                || summary.contains("unsupported argument")
                || summary.contains("missing required")
                || rpc.starts_with("Validate")
            {
                ProviderError::InvalidConfig(message)
            } else {
                ProviderError::Api(message)
            }
        }
        PluginError::Transport { .. }
        | PluginError::HandshakeTimeout { .. }
        | PluginError::ExitedDuringHandshake { .. } => ProviderError::Unreachable(e.to_string()),
        other => ProviderError::Other(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answer::Severity;
    use crate::error::PluginId;

    fn diagnostics(summary: &str, rpc: &'static str) -> PluginError {
        PluginError::Diagnostics {
            plugin: PluginId {
                provider: "lxd".into(),
                executable: "/x/terraform-provider-lxd".into(),
            },
            rpc,
            diagnostics: vec![Diagnostic {
                severity: Severity::Error,
                summary: summary.into(),
                detail: "detail.".into(),
                attribute: AttributePath(vec![PathStep::Attribute("image".into())]),
            }],
        }
    }

    #[test]
    fn diagnostics_name_the_provider_and_the_attribute() {
        let e = to_provider_error("lxd", diagnostics("Invalid image", "PlanResourceChange"));
        assert!(matches!(e, ProviderError::InvalidConfig(_)), "{e:?}");
        assert_eq!(
            e.to_string(),
            "provider `lxd`: PlanResourceChange: Invalid image: detail. (at .image)"
        );
        let e = to_provider_error("lxd", diagnostics("Instance not found", "ReadResource"));
        assert_eq!(e.kind(), skel_provider::ErrorKind::NotFound);
        let e = to_provider_error("lxd", diagnostics("Boom", "ApplyResourceChange"));
        assert_eq!(e.kind(), skel_provider::ErrorKind::Api);
    }

    #[test]
    fn proposed_state_keeps_prior_computed_values() {
        let schema = skel_schema::resource("null_resource").expect("built-in null schema");
        let prior = Value::Object(ValueMap::from([
            ("id".to_string(), Value::string("1")),
            ("triggers".to_string(), Value::Null),
        ]));
        let config = Value::Object(ValueMap::from([
            ("id".to_string(), Value::Null),
            ("triggers".to_string(), Value::Null),
        ]));
        let proposed = proposed_new_state(&schema.block, &prior, &config);
        assert_eq!(proposed, prior);
        let applied = config_from_planned(&schema.block, &prior);
        assert_eq!(applied, config);
    }

    /// Without a known id nothing can be looked up: the answer says so, as its own kind,
    /// before any plugin process is started.
    #[tokio::test]
    async fn an_interrupted_create_without_an_id_cannot_be_told() {
        let processes = Arc::new(Processes::default());
        let factory = PluginFactory::new(
            "null",
            PathBuf::from("/nonexistent/terraform-provider-null"),
            processes.clone(),
        );
        let provider = factory.configure(&Value::Null).unwrap();
        let planned = Value::Object(ValueMap::from([
            ("id".to_string(), Value::Unknown(skel_value::Type::String)),
            ("triggers".to_string(), Value::Null),
        ]));
        let answer = provider
            .recover(RecoverRequest {
                type_name: "null_resource",
                planned: &planned,
                address: "null_resource.a",
                token: None,
            })
            .await;
        let Err(e) = answer else {
            panic!("{answer:?}");
        };
        assert_eq!(e.kind(), skel_provider::ErrorKind::CannotTell);
        assert!(e.to_string().contains("`null_resource.a`"), "{e}");
        assert_eq!(processes.started(), 0);
        // With an id, the plugin is asked (here it cannot even start: an error of another
        // kind, naming the executable).
        let planned = Value::Object(ValueMap::from([
            ("id".to_string(), Value::string("123")),
            ("triggers".to_string(), Value::Null),
        ]));
        let answer = provider
            .recover(RecoverRequest {
                type_name: "null_resource",
                planned: &planned,
                address: "null_resource.a",
                token: None,
            })
            .await;
        let Err(e) = answer else {
            panic!("{answer:?}");
        };
        assert_ne!(e.kind(), skel_provider::ErrorKind::CannotTell, "{e}");
    }
}
