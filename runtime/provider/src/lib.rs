//! The Provider trait every provider implements: schema, validate, plan, apply, read (batched),
//! import and crash recovery. Values cross this boundary as `skel_value::Value` typed by the
//! resource's schema (`skel_schema`), the same data the checker reads.

use std::sync::Arc;

use async_trait::async_trait;
use skel_value::Value;

pub mod fault;

/// The file named by environment variable `var`, opened for appending (created if missing), for
/// the diagnostic logs tests and benchmarks ask for (`SKEL_AWS_CALL_LOG`, `SKEL_FAULT_LOG`);
/// `None` when the variable is unset or empty or the file cannot be opened.
pub fn append_log_from_env(var: &str) -> Option<std::sync::Mutex<std::fs::File>> {
    let path = std::env::var_os(var).filter(|p| !p.is_empty())?;
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .ok()
        .map(std::sync::Mutex::new)
}

/// An attribute path, e.g. `["root_block_device", "0", "volume_size"]`.
pub type AttrPath = Vec<String>;

/// What went wrong in a provider call. Messages are complete sentences for the user; they
/// never contain sensitive values.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
pub enum ProviderError {
    /// The configuration is invalid (bad CIDR, missing argument the schema cannot express).
    #[error("{0}")]
    InvalidConfig(String),
    /// Credentials missing, expired or rejected.
    #[error("{0}")]
    Auth(String),
    /// The endpoint cannot be reached.
    #[error("{0}")]
    Unreachable(String),
    /// The API answered with an error.
    #[error("{0}")]
    Api(String),
    /// The call was cancelled (Ctrl-C) before it completed.
    #[error("cancelled")]
    Cancelled,
    /// A provisioner failed.
    #[error("{0}")]
    Provisioner(String),
    /// Anything else.
    #[error("{0}")]
    Other(String),
    /// The change was made and the object exists, but it did not become ready afterwards (a
    /// rollout failed, a wait timed out). `object` is its state as read after the failure. The
    /// engine records it — a create as tainted, replaced on the next apply — and reports
    /// `message`, so nothing created is forgotten.
    #[error("{message}")]
    NotReady { object: Box<Value>, message: String },
}

impl ProviderError {
    /// A change that was made but whose object did not become ready (see [`Self::NotReady`]).
    pub fn not_ready(object: Value, message: impl Into<String>) -> Self {
        ProviderError::NotReady {
            object: Box::new(object),
            message: message.into(),
        }
    }
}

/// Plan one instance: compare the prior state with the desired configuration.
#[derive(Clone, Debug)]
pub struct PlanRequest<'a> {
    pub type_name: &'a str,
    /// The current object (`None` when it does not exist yet).
    pub prior: Option<&'a Value>,
    /// The configuration as evaluated (may contain unknowns), an object typed by the schema.
    pub config: &'a Value,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PlanResponse {
    /// The planned new object: configuration values, prior values of computed attributes that
    /// will not change, and unknowns for values only apply can tell.
    pub planned: Value,
    /// Attribute paths whose change cannot be made in place.
    pub requires_replace: Vec<AttrPath>,
}

/// Apply one change: create (`prior` None), update, or delete (`planned` None).
#[derive(Clone, Debug)]
pub struct ApplyRequest<'a> {
    pub type_name: &'a str,
    pub prior: Option<&'a Value>,
    pub planned: Option<&'a Value>,
    /// The instance address, for tagging created objects so a crashed apply can find them
    /// again (see [`Provider::recover`]).
    pub address: &'a str,
    /// On a create: the idempotency token the engine chose for it and journaled before this
    /// call. Providers send it where the API takes one (EC2 `ClientToken`, Route 53
    /// `CallerReference`) and otherwise attach it to the object (a tag) where they can, so
    /// [`Provider::recover`] finds exactly the object this create made.
    pub token: Option<&'a str>,
}

/// Look for the object an interrupted create may have made.
#[derive(Clone, Debug)]
pub struct RecoverRequest<'a> {
    pub type_name: &'a str,
    /// The planned object as journaled (unknown values restored as unknown); `Null` when the
    /// journal has none.
    pub planned: &'a Value,
    /// The instance address (`module.vpc.aws_subnet.public[0]`).
    pub address: &'a str,
    /// The create's idempotency token, as journaled before the call ([`ApplyRequest::token`]).
    pub token: Option<&'a str>,
}

/// A provider configured for one `provider` block.
#[async_trait]
pub trait Provider: Send + Sync {
    /// The provider's name (`aws`, `null`).
    fn name(&self) -> &str;

    /// Whether objects of this type exist outside skel (a file, a cloud resource). Calls that
    /// change them are journaled durably before they are made; objects that live only in state
    /// (`null_resource`, `random_*`) skip that wait, since a crash cannot leave one behind.
    fn external(&self, type_name: &str) -> bool {
        let _ = type_name;
        true
    }

    /// Checks beyond the schema's types (e.g. a CIDR's syntax); errors are messages.
    fn validate(&self, type_name: &str, config: &Value) -> Vec<String> {
        let _ = (type_name, config);
        Vec::new()
    }

    async fn plan(&self, request: PlanRequest<'_>) -> Result<PlanResponse, ProviderError>;

    /// Make the change; returns the new object (`Value::Null` after a delete). When the change
    /// was made but a wait after it failed, return [`ProviderError::NotReady`] with the object.
    async fn apply(&self, request: ApplyRequest<'_>) -> Result<Value, ProviderError>;

    /// Read the current object; `None` when it no longer exists.
    async fn read(&self, type_name: &str, state: &Value) -> Result<Option<Value>, ProviderError>;

    /// Read many objects of one type at once (one API call where the API allows). The default
    /// reads them one by one.
    async fn read_batch(
        &self,
        type_name: &str,
        states: &[Value],
    ) -> Result<Vec<Option<Value>>, ProviderError> {
        let mut out = Vec::with_capacity(states.len());
        for state in states {
            out.push(self.read(type_name, state).await?);
        }
        Ok(out)
    }

    /// Read a data source.
    async fn read_data(&self, type_name: &str, config: &Value) -> Result<Value, ProviderError>;

    /// The object with this id, for `skelc import`.
    async fn import(&self, type_name: &str, id: &str) -> Result<Value, ProviderError>;

    /// After a crash between "about to create" and "created" in the journal: find the object a
    /// create for `address` may have made (by its token, a deterministic name, or the
    /// attributes that make it unique), so nothing created is ever forgotten, and read it back
    /// completely. `Ok(None)` only when the provider has established that no such object
    /// exists; when it cannot tell (several candidates), an error naming them and the
    /// `skelc import` command that settles it.
    async fn recover(&self, request: RecoverRequest<'_>) -> Result<Option<Value>, ProviderError> {
        let _ = request;
        Ok(None)
    }
}

/// Creates a configured provider from a `provider` block's evaluated arguments.
pub trait ProviderFactory: Send + Sync {
    fn name(&self) -> &str;
    fn configure(&self, config: &Value) -> Result<Arc<dyn Provider>, ProviderError>;
}
