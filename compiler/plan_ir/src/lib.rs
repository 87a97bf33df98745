//! The boundary between compiler and runtime: addresses, the lowered configuration, state and
//! change sets as plain data (no salsa). The runtime reads only this crate's types.
//!
//! - [`addr`]: typed addresses (`module.net[1].aws_subnet.public["a"]`).
//! - [`config`]: the lowered configuration: every module with its variables, locals, resources,
//!   data sources, module calls, outputs and providers, expressions as AST with their
//!   references already resolved to addresses, and source locations for messages.
//! - [`state`]: the versioned state file model.
//! - [`change`]: the change set a plan produces and an apply executes.

pub mod addr;
pub mod change;
pub mod config;
pub mod encryption;
pub mod state;

pub use addr::{
    AddrParseError, InstanceAddr, InstanceKey, ModuleInstance, ProviderKey, ResourceAddr,
    ResourceMode,
};
pub use change::{Action, ChangeSet, OutputChange, ResourceChange};
pub use config::{
    AddrPattern, BackendConfig, CheckConfig, Config, IgnoreChanges, ImportConfig, Lifecycle,
    LocalConfig, ModuleCall, ModuleConfig, ModuleId, MovedConfig, OutputConfig, ProviderConfig,
    ProviderRef, Provisioner, Reference, RemovedConfig, RequiredProvider, ResourceConfig,
    SourceLocation, Validation, VariableConfig,
};
pub use encryption::{EncryptionConfig, EncryptionTarget, KeyProviderConfig, MethodConfig};
pub use state::{InstanceStatus, OutputState, ResourceInstanceState, State, STATE_FORMAT_VERSION};
