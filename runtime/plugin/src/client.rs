//! `PluginClient`: one running plugin, spoken to over protocol 5 or 6 (whichever it chose), in
//! skel's terms: values are `skel_value::Value`s typed by the plugin's own schema, diagnostics
//! are data ([`Diagnostic`]) for skel to render.
//!
//! Every call returns a [`Response`]: the answer and the plugin's diagnostics. A response with
//! error diagnostics is still an answer (an apply that failed half-way returns the state it
//! reached); [`Response::ok`] turns it into [`PluginError::Diagnostics`] where the caller wants
//! that. Transport failures and answers that do not decode are errors.

use std::path::Path;
use std::time::Duration;

use skel_provider::fault;
use skel_schema::ProviderSchema;
use skel_value::{Type, Value};
use tokio::sync::OnceCell;

use crate::answer::{
    Applied, AttributePath, Diagnostic, Imported, Planned, ReadState, Response, Severity,
};
use crate::cty;
use crate::error::{PluginError, PluginId};
use crate::handshake::{PluginProcess, StartOptions};
use crate::proto::plugin::{grpc_controller_client::GrpcControllerClient, Empty};
use crate::proto::tfplugin5 as v5;
use crate::proto::tfplugin6 as v6;
use crate::schema::{self, ConvertedSchema};
use crate::wire::{diagnostics_v5, diagnostics_v6, encode, path_from_v6, status_text, IntoV6Path};

/// The Terraform version skel tells providers it is (some check for a minimum).
pub const TERRAFORM_VERSION: &str = "1.5.7";
/// The largest message accepted from a plugin (large providers' schemas are tens of MB).
const MAX_MESSAGE: usize = 256 * 1024 * 1024;

#[derive(Clone)]
enum Proto {
    V5(v5::provider_client::ProviderClient<tonic::transport::Channel>),
    V6(v6::provider_client::ProviderClient<tonic::transport::Channel>),
}

/// A running plugin. One per provider configuration: a plugin holds its configuration.
pub struct PluginClient {
    process: PluginProcess,
    proto: Proto,
    schema: OnceCell<ConvertedSchema>,
}

/// An imported object before decoding: type name, msgpack, JSON, private data.
type RawImport = (String, Vec<u8>, Vec<u8>, Vec<u8>);

/// What values of one block are encoded and decoded against.
struct Shape<'a> {
    block: &'a skel_schema::BlockSchema,
    ty: &'a Type,
}

impl Shape<'_> {
    /// The value normalized as the protocol expects (every attribute, empty collections for
    /// absent blocks) and encoded as msgpack.
    fn encode(&self, value: &Value) -> Vec<u8> {
        cty::to_msgpack(&schema::normalize(self.block, value), self.ty)
    }
}

/// Which kind of schema a type is looked up in.
#[derive(Clone, Copy)]
enum Kind {
    Resource,
    DataSource,
}

impl PluginClient {
    /// Starts the plugin `executable` for provider `provider` and connects to it.
    pub async fn start(
        provider: &str,
        executable: &Path,
        options: &StartOptions,
    ) -> Result<PluginClient, PluginError> {
        let process = PluginProcess::start(provider, executable, options).await?;
        let channel = process.channel.clone();
        let proto = match process.protocol {
            5 => Proto::V5(
                v5::provider_client::ProviderClient::new(channel)
                    .max_decoding_message_size(MAX_MESSAGE)
                    .max_encoding_message_size(MAX_MESSAGE),
            ),
            _ => Proto::V6(
                v6::provider_client::ProviderClient::new(channel)
                    .max_decoding_message_size(MAX_MESSAGE)
                    .max_encoding_message_size(MAX_MESSAGE),
            ),
        };
        Ok(PluginClient {
            process,
            proto,
            schema: OnceCell::new(),
        })
    }

    /// Which plugin this is.
    pub fn id(&self) -> &PluginId {
        &self.process.id
    }

    /// The protocol version the plugin chose (5 or 6).
    pub fn protocol(&self) -> u32 {
        self.process.protocol
    }

    /// From spawning the process to a connected channel.
    pub fn startup_time(&self) -> Duration {
        self.process.startup
    }

    /// Whether the connection uses mutual TLS (the plugin answered with a certificate).
    pub fn uses_tls(&self) -> bool {
        self.process.tls
    }

    /// The last lines the plugin wrote on stderr.
    pub fn stderr_tail(&self) -> Vec<String> {
        self.process.stderr_tail()
    }

    fn transport(&self, rpc: &'static str) -> impl Fn(tonic::Status) -> PluginError + '_ {
        move |status| PluginError::Transport {
            plugin: self.process.id.clone(),
            rpc,
            message: status_text(&status),
            stderr: self.process.stderr_tail(),
        }
    }

    /// Kills the plugin process at once (an interrupted run); later calls fail as transport
    /// errors.
    pub fn kill(&self) {
        self.process.kill();
    }

    fn malformed(&self, rpc: &'static str, what: &str) -> impl Fn(cty::DecodeError) -> PluginError {
        let plugin = self.process.id.clone();
        let what = what.to_string();
        move |source| PluginError::Malformed {
            plugin: plugin.clone(),
            rpc,
            what: what.clone(),
            source: Box::new(source),
        }
    }

    fn response<T>(
        &self,
        rpc: &'static str,
        value: T,
        diagnostics: Vec<Diagnostic>,
    ) -> Response<T> {
        Response {
            value,
            diagnostics,
            rpc,
            plugin: self.process.id.clone(),
        }
    }

    /// The provider's schema in skel's model (asked once, then kept). Error diagnostics from
    /// `GetProviderSchema` are an error: without a schema nothing else can be done.
    pub async fn schema(&self) -> Result<&ProviderSchema, PluginError> {
        Ok(&self.converted_schema().await?.schema)
    }

    /// The schema version of a resource type (what `UpgradeResourceState` upgrades to).
    pub async fn schema_version(&self, type_name: &str) -> Result<Option<i64>, PluginError> {
        Ok(self
            .converted_schema()
            .await?
            .resource_versions
            .get(type_name)
            .copied())
    }

    async fn converted_schema(&self) -> Result<&ConvertedSchema, PluginError> {
        self.schema.get_or_try_init(|| self.fetch_schema()).await
    }

    async fn fetch_schema(&self) -> Result<ConvertedSchema, PluginError> {
        const RPC: &str = "GetProviderSchema";
        let name = &self.process.id.provider;
        let (converted, diagnostics) = match self.proto.clone() {
            Proto::V5(mut c) => {
                let r = c
                    .get_schema(v5::get_provider_schema::Request {})
                    .await
                    .map_err(self.transport(RPC))?
                    .into_inner();
                let diagnostics = diagnostics_v5(r.diagnostics.clone());
                (schema::from_v5(name, &r), diagnostics)
            }
            Proto::V6(mut c) => {
                let r = c
                    .get_provider_schema(v6::get_provider_schema::Request {})
                    .await
                    .map_err(self.transport(RPC))?
                    .into_inner();
                let diagnostics = diagnostics_v6(r.diagnostics.clone());
                (schema::from_v6(name, &r), diagnostics)
            }
        };
        if diagnostics.iter().any(Diagnostic::is_error) {
            return Err(PluginError::Diagnostics {
                plugin: self.process.id.clone(),
                rpc: RPC,
                diagnostics,
            });
        }
        converted.map_err(|e| PluginError::Malformed {
            plugin: self.process.id.clone(),
            rpc: RPC,
            what: format!("the type of {}", e.path),
            source: Box::new(e.source),
        })
    }

    /// `GetMetadata`, where the plugin offers it: the resource and data-source type names
    /// (without building the whole schema). `None` from a plugin that does not implement it.
    pub async fn metadata(&self) -> Result<Option<(Vec<String>, Vec<String>)>, PluginError> {
        const RPC: &str = "GetMetadata";
        let result = match self.proto.clone() {
            Proto::V5(mut c) => c.get_metadata(v5::get_metadata::Request {}).await.map(|r| {
                let r = r.into_inner();
                (
                    r.resources.into_iter().map(|m| m.type_name).collect(),
                    r.data_sources.into_iter().map(|m| m.type_name).collect(),
                )
            }),
            Proto::V6(mut c) => c.get_metadata(v6::get_metadata::Request {}).await.map(|r| {
                let r = r.into_inner();
                (
                    r.resources.into_iter().map(|m| m.type_name).collect(),
                    r.data_sources.into_iter().map(|m| m.type_name).collect(),
                )
            }),
        };
        match result {
            Ok(names) => Ok(Some(names)),
            Err(status) if status.code() == tonic::Code::Unimplemented => Ok(None),
            Err(status) => Err(self.transport(RPC)(status)),
        }
    }

    /// The schema and type of a resource or data-source type.
    async fn shape_of(
        &self,
        kind: Kind,
        type_name: &str,
        rpc: &'static str,
    ) -> Result<Shape<'_>, PluginError> {
        let converted = self.converted_schema().await?;
        let (blocks, types, kind_name) = match kind {
            Kind::Resource => (
                &converted.schema.resources,
                &converted.resource_types,
                "resource",
            ),
            Kind::DataSource => (
                &converted.schema.data_sources,
                &converted.data_source_types,
                "data source",
            ),
        };
        match (blocks.get(type_name), types.get(type_name)) {
            (Some(r), Some(ty)) => Ok(Shape {
                block: &r.block,
                ty,
            }),
            _ => Err(PluginError::UnknownType {
                plugin: self.process.id.clone(),
                rpc,
                kind: kind_name,
                type_name: type_name.to_string(),
            }),
        }
    }

    async fn config_shape(&self) -> Result<Shape<'_>, PluginError> {
        let converted = self.converted_schema().await?;
        Ok(Shape {
            block: &converted.schema.config,
            ty: &converted.config_type,
        })
    }

    fn decode(
        &self,
        rpc: &'static str,
        what: &str,
        msgpack: &[u8],
        json: &[u8],
        ty: &Type,
    ) -> Result<Value, PluginError> {
        let result = if !msgpack.is_empty() {
            cty::from_msgpack(msgpack, ty)
        } else if !json.is_empty() {
            cty::from_json_bytes(json, ty)
        } else {
            Ok(Value::Null)
        };
        result.map_err(self.malformed(rpc, what))
    }

    /// `ValidateProviderConfig` (protocol 5: `PrepareProviderConfig`). The answer is the
    /// configuration to configure with: protocol 5 plugins may fill in defaults.
    pub async fn validate_provider_config(
        &self,
        config: &Value,
    ) -> Result<Response<Value>, PluginError> {
        const RPC: &str = "ValidateProviderConfig";
        let shape = self.config_shape().await?;
        let bytes = shape.encode(config);
        match self.proto.clone() {
            Proto::V5(mut c) => {
                let r = c
                    .prepare_provider_config(v5::prepare_provider_config::Request {
                        config: Some(encode::v5(bytes)),
                    })
                    .await
                    .map_err(self.transport(RPC))?
                    .into_inner();
                let prepared = match r.prepared_config {
                    Some(dv) if !dv.msgpack.is_empty() || !dv.json.is_empty() => {
                        self.decode(RPC, "prepared_config", &dv.msgpack, &dv.json, shape.ty)?
                    }
                    _ => config.clone(),
                };
                Ok(self.response(RPC, prepared, diagnostics_v5(r.diagnostics)))
            }
            Proto::V6(mut c) => {
                let r = c
                    .validate_provider_config(v6::validate_provider_config::Request {
                        config: Some(encode::v6(bytes)),
                    })
                    .await
                    .map_err(self.transport(RPC))?
                    .into_inner();
                Ok(self.response(RPC, config.clone(), diagnostics_v6(r.diagnostics)))
            }
        }
    }

    /// `ValidateResourceConfig` (protocol 5: `ValidateResourceTypeConfig`).
    pub async fn validate_resource_config(
        &self,
        type_name: &str,
        config: &Value,
    ) -> Result<Response<()>, PluginError> {
        const RPC: &str = "ValidateResourceConfig";
        let shape = self.shape_of(Kind::Resource, type_name, RPC).await?;
        let bytes = shape.encode(config);
        let diagnostics = match self.proto.clone() {
            Proto::V5(mut c) => diagnostics_v5(
                c.validate_resource_type_config(v5::validate_resource_type_config::Request {
                    type_name: type_name.to_string(),
                    config: Some(encode::v5(bytes)),
                    client_capabilities: None,
                })
                .await
                .map_err(self.transport(RPC))?
                .into_inner()
                .diagnostics,
            ),
            Proto::V6(mut c) => diagnostics_v6(
                c.validate_resource_config(v6::validate_resource_config::Request {
                    type_name: type_name.to_string(),
                    config: Some(encode::v6(bytes)),
                    client_capabilities: None,
                })
                .await
                .map_err(self.transport(RPC))?
                .into_inner()
                .diagnostics,
            ),
        };
        Ok(self.response(RPC, (), diagnostics))
    }

    /// `ValidateDataResourceConfig` (protocol 5: `ValidateDataSourceConfig`).
    pub async fn validate_data_resource_config(
        &self,
        type_name: &str,
        config: &Value,
    ) -> Result<Response<()>, PluginError> {
        const RPC: &str = "ValidateDataResourceConfig";
        let shape = self.shape_of(Kind::DataSource, type_name, RPC).await?;
        let bytes = shape.encode(config);
        let diagnostics = match self.proto.clone() {
            Proto::V5(mut c) => diagnostics_v5(
                c.validate_data_source_config(v5::validate_data_source_config::Request {
                    type_name: type_name.to_string(),
                    config: Some(encode::v5(bytes)),
                })
                .await
                .map_err(self.transport(RPC))?
                .into_inner()
                .diagnostics,
            ),
            Proto::V6(mut c) => diagnostics_v6(
                c.validate_data_resource_config(v6::validate_data_resource_config::Request {
                    type_name: type_name.to_string(),
                    config: Some(encode::v6(bytes)),
                })
                .await
                .map_err(self.transport(RPC))?
                .into_inner()
                .diagnostics,
            ),
        };
        Ok(self.response(RPC, (), diagnostics))
    }

    /// `UpgradeResourceState`: a stored state of schema `version`, as its JSON, upgraded to the
    /// current schema.
    pub async fn upgrade_resource_state(
        &self,
        type_name: &str,
        version: i64,
        raw_state_json: &[u8],
    ) -> Result<Response<Value>, PluginError> {
        const RPC: &str = "UpgradeResourceState";
        let shape = self.shape_of(Kind::Resource, type_name, RPC).await?;
        let (state, diagnostics) = match self.proto.clone() {
            Proto::V5(mut c) => {
                let r = c
                    .upgrade_resource_state(v5::upgrade_resource_state::Request {
                        type_name: type_name.to_string(),
                        version,
                        raw_state: Some(v5::RawState {
                            json: raw_state_json.to_vec(),
                            flatmap: Default::default(),
                        }),
                    })
                    .await
                    .map_err(self.transport(RPC))?
                    .into_inner();
                (
                    r.upgraded_state.map(|d| (d.msgpack, d.json)),
                    diagnostics_v5(r.diagnostics),
                )
            }
            Proto::V6(mut c) => {
                let r = c
                    .upgrade_resource_state(v6::upgrade_resource_state::Request {
                        type_name: type_name.to_string(),
                        version,
                        raw_state: Some(v6::RawState {
                            json: raw_state_json.to_vec(),
                            flatmap: Default::default(),
                        }),
                    })
                    .await
                    .map_err(self.transport(RPC))?
                    .into_inner();
                (
                    r.upgraded_state.map(|d| (d.msgpack, d.json)),
                    diagnostics_v6(r.diagnostics),
                )
            }
        };
        let (msgpack, json) = state.unwrap_or_default();
        let value = self.decode(RPC, "upgraded_state", &msgpack, &json, shape.ty)?;
        Ok(self.response(RPC, value, diagnostics))
    }

    /// `ConfigureProvider` (protocol 5: `Configure`).
    pub async fn configure(&self, config: &Value) -> Result<Response<()>, PluginError> {
        const RPC: &str = "ConfigureProvider";
        let shape = self.config_shape().await?;
        let bytes = shape.encode(config);
        let diagnostics = match self.proto.clone() {
            Proto::V5(mut c) => diagnostics_v5(
                c.configure(v5::configure::Request {
                    terraform_version: TERRAFORM_VERSION.to_string(),
                    config: Some(encode::v5(bytes)),
                    client_capabilities: None,
                })
                .await
                .map_err(self.transport(RPC))?
                .into_inner()
                .diagnostics,
            ),
            Proto::V6(mut c) => diagnostics_v6(
                c.configure_provider(v6::configure_provider::Request {
                    terraform_version: TERRAFORM_VERSION.to_string(),
                    config: Some(encode::v6(bytes)),
                    client_capabilities: None,
                })
                .await
                .map_err(self.transport(RPC))?
                .into_inner()
                .diagnostics,
            ),
        };
        Ok(self.response(RPC, (), diagnostics))
    }

    /// `ReadResource`: the object as it is now (null when it is gone).
    pub async fn read_resource(
        &self,
        type_name: &str,
        current_state: &Value,
        private: &[u8],
    ) -> Result<Response<ReadState>, PluginError> {
        const RPC: &str = "ReadResource";
        let shape = self.shape_of(Kind::Resource, type_name, RPC).await?;
        let bytes = shape.encode(current_state);
        let (state, private, diagnostics) = match self.proto.clone() {
            Proto::V5(mut c) => {
                let r = c
                    .read_resource(v5::read_resource::Request {
                        type_name: type_name.to_string(),
                        current_state: Some(encode::v5(bytes)),
                        private: private.to_vec(),
                        provider_meta: None,
                        client_capabilities: None,
                    })
                    .await
                    .map_err(self.transport(RPC))?
                    .into_inner();
                (
                    r.new_state.map(|d| (d.msgpack, d.json)),
                    r.private,
                    diagnostics_v5(r.diagnostics),
                )
            }
            Proto::V6(mut c) => {
                let r = c
                    .read_resource(v6::read_resource::Request {
                        type_name: type_name.to_string(),
                        current_state: Some(encode::v6(bytes)),
                        private: private.to_vec(),
                        provider_meta: None,
                        client_capabilities: None,
                    })
                    .await
                    .map_err(self.transport(RPC))?
                    .into_inner();
                (
                    r.new_state.map(|d| (d.msgpack, d.json)),
                    r.private,
                    diagnostics_v6(r.diagnostics),
                )
            }
        };
        let (msgpack, json) = state.unwrap_or_default();
        let new_state = self.decode(RPC, "new_state", &msgpack, &json, shape.ty)?;
        Ok(self.response(RPC, ReadState { new_state, private }, diagnostics))
    }

    /// `PlanResourceChange`: prior state (null to create), proposed new state, configuration
    /// (null to destroy) and the prior private data.
    pub async fn plan_resource_change(
        &self,
        type_name: &str,
        prior: &Value,
        proposed: &Value,
        config: &Value,
        prior_private: &[u8],
    ) -> Result<Response<Planned>, PluginError> {
        const RPC: &str = "PlanResourceChange";
        let shape = self.shape_of(Kind::Resource, type_name, RPC).await?;
        let [prior, proposed, config] = [prior, proposed, config].map(|v| shape.encode(v));
        let (planned, replace, private, legacy, diagnostics) = match self.proto.clone() {
            Proto::V5(mut c) => {
                let r = c
                    .plan_resource_change(v5::plan_resource_change::Request {
                        type_name: type_name.to_string(),
                        prior_state: Some(encode::v5(prior)),
                        proposed_new_state: Some(encode::v5(proposed)),
                        config: Some(encode::v5(config)),
                        prior_private: prior_private.to_vec(),
                        provider_meta: None,
                        client_capabilities: None,
                    })
                    .await
                    .map_err(self.transport(RPC))?
                    .into_inner();
                (
                    r.planned_state.map(|d| (d.msgpack, d.json)),
                    r.requires_replace
                        .into_iter()
                        .map(|p| path_from_v6(p.into_v6()))
                        .collect(),
                    r.planned_private,
                    r.legacy_type_system,
                    diagnostics_v5(r.diagnostics),
                )
            }
            Proto::V6(mut c) => {
                let r = c
                    .plan_resource_change(v6::plan_resource_change::Request {
                        type_name: type_name.to_string(),
                        prior_state: Some(encode::v6(prior)),
                        proposed_new_state: Some(encode::v6(proposed)),
                        config: Some(encode::v6(config)),
                        prior_private: prior_private.to_vec(),
                        provider_meta: None,
                        client_capabilities: None,
                    })
                    .await
                    .map_err(self.transport(RPC))?
                    .into_inner();
                (
                    r.planned_state.map(|d| (d.msgpack, d.json)),
                    r.requires_replace.into_iter().map(path_from_v6).collect(),
                    r.planned_private,
                    r.legacy_type_system,
                    diagnostics_v6(r.diagnostics),
                )
            }
        };
        let (msgpack, json) = planned.unwrap_or_default();
        let planned_state = self.decode(RPC, "planned_state", &msgpack, &json, shape.ty)?;
        let planned = Planned {
            planned_state,
            requires_replace: replace,
            planned_private: private,
            legacy_type_system: legacy,
        };
        Ok(self.response(RPC, planned, diagnostics))
    }

    /// `ApplyResourceChange`: carries out a planned change (planned state null to destroy).
    /// The new state is what the plugin reached, even with error diagnostics.
    pub async fn apply_resource_change(
        &self,
        type_name: &str,
        prior: &Value,
        planned: &Value,
        config: &Value,
        planned_private: &[u8],
    ) -> Result<Response<Applied>, PluginError> {
        const RPC: &str = "ApplyResourceChange";
        let shape = self.shape_of(Kind::Resource, type_name, RPC).await?;
        let [prior, planned, config] = [prior, planned, config].map(|v| shape.encode(v));
        // The crash suites' kill point before the plugin is asked to change anything.
        fault::point("plugin", RPC, fault::When::Before);
        let (state, private, legacy, diagnostics) = match self.proto.clone() {
            Proto::V5(mut c) => {
                let r = c
                    .apply_resource_change(v5::apply_resource_change::Request {
                        type_name: type_name.to_string(),
                        prior_state: Some(encode::v5(prior)),
                        planned_state: Some(encode::v5(planned)),
                        config: Some(encode::v5(config)),
                        planned_private: planned_private.to_vec(),
                        provider_meta: None,
                    })
                    .await
                    .map_err(self.transport(RPC))?
                    .into_inner();
                (
                    r.new_state.map(|d| (d.msgpack, d.json)),
                    r.private,
                    r.legacy_type_system,
                    diagnostics_v5(r.diagnostics),
                )
            }
            Proto::V6(mut c) => {
                let r = c
                    .apply_resource_change(v6::apply_resource_change::Request {
                        type_name: type_name.to_string(),
                        prior_state: Some(encode::v6(prior)),
                        planned_state: Some(encode::v6(planned)),
                        config: Some(encode::v6(config)),
                        planned_private: planned_private.to_vec(),
                        provider_meta: None,
                    })
                    .await
                    .map_err(self.transport(RPC))?
                    .into_inner();
                (
                    r.new_state.map(|d| (d.msgpack, d.json)),
                    r.private,
                    r.legacy_type_system,
                    diagnostics_v6(r.diagnostics),
                )
            }
        };
        // … and after it answered: the change made, nobody has recorded it yet.
        fault::point("plugin", RPC, fault::When::After);
        let (msgpack, json) = state.unwrap_or_default();
        let new_state = self.decode(RPC, "new_state", &msgpack, &json, shape.ty)?;
        let applied = Applied {
            new_state,
            private,
            legacy_type_system: legacy,
        };
        Ok(self.response(RPC, applied, diagnostics))
    }

    /// `ImportResourceState`: the objects an id names (a resource type may import several).
    pub async fn import_resource_state(
        &self,
        type_name: &str,
        id: &str,
    ) -> Result<Response<Vec<Imported>>, PluginError> {
        const RPC: &str = "ImportResourceState";
        self.shape_of(Kind::Resource, type_name, RPC).await?;
        let (raw, diagnostics): (Vec<RawImport>, _) = match self.proto.clone() {
            Proto::V5(mut c) => {
                let r = c
                    .import_resource_state(v5::import_resource_state::Request {
                        type_name: type_name.to_string(),
                        id: id.to_string(),
                        client_capabilities: None,
                    })
                    .await
                    .map_err(self.transport(RPC))?
                    .into_inner();
                (
                    r.imported_resources
                        .into_iter()
                        .map(|i| {
                            let (m, j) = i.state.map(|d| (d.msgpack, d.json)).unwrap_or_default();
                            (i.type_name, m, j, i.private)
                        })
                        .collect(),
                    diagnostics_v5(r.diagnostics),
                )
            }
            Proto::V6(mut c) => {
                let r = c
                    .import_resource_state(v6::import_resource_state::Request {
                        type_name: type_name.to_string(),
                        id: id.to_string(),
                        client_capabilities: None,
                    })
                    .await
                    .map_err(self.transport(RPC))?
                    .into_inner();
                (
                    r.imported_resources
                        .into_iter()
                        .map(|i| {
                            let (m, j) = i.state.map(|d| (d.msgpack, d.json)).unwrap_or_default();
                            (i.type_name, m, j, i.private)
                        })
                        .collect(),
                    diagnostics_v6(r.diagnostics),
                )
            }
        };
        let mut imported = Vec::with_capacity(raw.len());
        for (imported_type, msgpack, json, private) in raw {
            let shape = self.shape_of(Kind::Resource, &imported_type, RPC).await?;
            let state = self.decode(RPC, "imported state", &msgpack, &json, shape.ty)?;
            imported.push(Imported {
                type_name: imported_type,
                state,
                private,
            });
        }
        Ok(self.response(RPC, imported, diagnostics))
    }

    /// `ReadDataSource`: the data source's value for a configuration.
    pub async fn read_data_source(
        &self,
        type_name: &str,
        config: &Value,
    ) -> Result<Response<Value>, PluginError> {
        const RPC: &str = "ReadDataSource";
        let shape = self.shape_of(Kind::DataSource, type_name, RPC).await?;
        let bytes = shape.encode(config);
        let (state, diagnostics) = match self.proto.clone() {
            Proto::V5(mut c) => {
                let r = c
                    .read_data_source(v5::read_data_source::Request {
                        type_name: type_name.to_string(),
                        config: Some(encode::v5(bytes)),
                        provider_meta: None,
                        client_capabilities: None,
                    })
                    .await
                    .map_err(self.transport(RPC))?
                    .into_inner();
                (
                    r.state.map(|d| (d.msgpack, d.json)),
                    diagnostics_v5(r.diagnostics),
                )
            }
            Proto::V6(mut c) => {
                let r = c
                    .read_data_source(v6::read_data_source::Request {
                        type_name: type_name.to_string(),
                        config: Some(encode::v6(bytes)),
                        provider_meta: None,
                        client_capabilities: None,
                    })
                    .await
                    .map_err(self.transport(RPC))?
                    .into_inner();
                (
                    r.state.map(|d| (d.msgpack, d.json)),
                    diagnostics_v6(r.diagnostics),
                )
            }
        };
        let (msgpack, json) = state.unwrap_or_default();
        let value = self.decode(RPC, "state", &msgpack, &json, shape.ty)?;
        Ok(self.response(RPC, value, diagnostics))
    }

    /// `StopProvider` (protocol 5: `Stop`): asks the plugin to cancel what it is doing. An
    /// error the plugin reports comes back as an error diagnostic.
    pub async fn stop(&self) -> Result<Response<()>, PluginError> {
        const RPC: &str = "StopProvider";
        let error = match self.proto.clone() {
            Proto::V5(mut c) => {
                c.stop(v5::stop::Request {})
                    .await
                    .map_err(self.transport(RPC))?
                    .into_inner()
                    .error
            }
            Proto::V6(mut c) => {
                c.stop_provider(v6::stop_provider::Request {})
                    .await
                    .map_err(self.transport(RPC))?
                    .into_inner()
                    .error
            }
        };
        let diagnostics = match error.is_empty() {
            true => Vec::new(),
            false => vec![Diagnostic {
                severity: Severity::Error,
                summary: "The provider could not stop".to_string(),
                detail: error,
                attribute: AttributePath::default(),
            }],
        };
        Ok(self.response(RPC, (), diagnostics))
    }

    /// Ends the plugin: `StopProvider`, go-plugin's controller `Shutdown`, a moment to exit,
    /// then a kill. (Dropping the client kills the process at once.)
    pub async fn shutdown(self) {
        let grace = Duration::from_secs(2);
        let _ = tokio::time::timeout(grace, self.stop()).await;
        let mut controller = GrpcControllerClient::new(self.process.channel.clone());
        let _ = tokio::time::timeout(grace, controller.shutdown(Empty {})).await;
        self.process.finish(grace).await;
    }
}

/// Starts the plugin, reads its schema, and ends it: the schema in skel's model and in the
/// JSON format `skel_schema::load_str` reads. The provider is named after the executable
/// (`terraform-provider-NAME_vX.Y.Z` → `NAME`).
pub async fn fetch_schema(executable: &Path) -> Result<(ProviderSchema, String), PluginError> {
    let name = schema::provider_name_from_executable(executable);
    fetch_schema_named(&name, executable, &StartOptions::default()).await
}

/// [`fetch_schema`] for a provider of a given name.
pub async fn fetch_schema_named(
    name: &str,
    executable: &Path,
    options: &StartOptions,
) -> Result<(ProviderSchema, String), PluginError> {
    let client = PluginClient::start(name, executable, options).await?;
    let result = client.schema().await.cloned();
    client.shutdown().await;
    let schema = result?;
    let json = schema::schema_json(&schema);
    Ok((schema, json))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>(_: &T) {}

    /// The engine shares one client between tasks and spawns its calls.
    #[test]
    fn clients_and_their_calls_can_cross_threads() {
        send_sync::<PluginClient>();
        send_sync::<PluginError>();
        let call = |c: std::sync::Arc<PluginClient>| async move {
            let v = Value::Null;
            c.plan_resource_change("t", &v, &v, &v, &[])
                .await
                .map(|_| ())?;
            c.apply_resource_change("t", &v, &v, &v, &[])
                .await
                .map(|_| ())?;
            c.read_resource("t", &v, &[]).await.map(|_| ())?;
            c.import_resource_state("t", "id").await.map(|_| ())?;
            Ok::<(), PluginError>(())
        };
        let future = call;
        send(&future);
        fn returns_send<F: Fn(std::sync::Arc<PluginClient>) -> Fut, Fut: Send>(_: &F) {}
        returns_send(&future);
    }
}
