//! The Provider trait every provider implements: schema, validate, plan, apply, read (batched),
//! import and crash recovery. Values cross this boundary as `skel_value::Value` typed by the
//! resource's schema (`skel_schema`), the same data the checker reads.

use std::sync::Arc;

use async_trait::async_trait;
use skel_value::Value;

pub mod fault;
pub mod kit;

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

/// What went wrong in a provider call, by kind, with the data a caller may act on (the object a
/// failed wait leaves, the API's error code, how long a throttled API asks to wait). Messages
/// are complete sentences for the user; they never contain sensitive values, and the kind never
/// changes them.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
pub enum ProviderError {
    /// An invalid argument: the configuration is invalid (bad CIDR, missing argument the schema
    /// cannot express, a `timeouts` value that is no duration).
    #[error("{0}")]
    InvalidConfig(String),
    /// Denied: credentials missing, expired or rejected, or without the permission for the
    /// call (`AccessDenied`, HTTP 401/403).
    #[error("{0}")]
    Auth(String),
    /// The transport failed: the endpoint cannot be reached, or did not answer in time.
    #[error("{0}")]
    Unreachable(String),
    /// The object does not exist (an import of an unknown id, a `*.NotFound` answer).
    #[error("{message}")]
    NotFound {
        code: Option<String>,
        message: String,
    },
    /// The change conflicts with the object's current state or another owner (a dependency
    /// still in use, a duplicate, a field owned by another manager).
    #[error("{message}")]
    Conflict {
        code: Option<String>,
        message: String,
    },
    /// The API kept throttling the requests after the retries; `retry_after` when it said how
    /// long to wait.
    #[error("{message}")]
    Throttled {
        code: Option<String>,
        retry_after: Option<std::time::Duration>,
        message: String,
    },
    /// The API answered with another error.
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
    /// Only from [`Provider::recover`]: the provider has no way to establish whether an
    /// interrupted create made an object (a plugin, whose protocol looks objects up only by an
    /// id the create never returned). Recovery records the create as not made, so the next
    /// apply creates the instance, and reports the address loudly: an object it made, if any,
    /// is outside state. The message says why the provider cannot tell.
    #[error("{0}")]
    CannotTell(String),
}

/// The kind of a [`ProviderError`], for callers that decide by it (retry, taint, exit status).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ErrorKind {
    InvalidArgument,
    Denied,
    Unreachable,
    NotFound,
    Conflict,
    Throttled,
    Api,
    Cancelled,
    Provisioner,
    Other,
    NotReady,
    CannotTell,
}

impl ProviderError {
    /// A change that was made but whose object did not become ready (see [`Self::NotReady`]).
    pub fn not_ready(object: Value, message: impl Into<String>) -> Self {
        ProviderError::NotReady {
            object: Box::new(object),
            message: message.into(),
        }
    }

    /// An object that does not exist (see [`Self::NotFound`]).
    pub fn not_found(message: impl Into<String>) -> Self {
        ProviderError::NotFound {
            code: None,
            message: message.into(),
        }
    }

    /// A conflict with the object's state or another owner (see [`Self::Conflict`]).
    pub fn conflict(code: Option<&str>, message: impl Into<String>) -> Self {
        ProviderError::Conflict {
            code: code.map(str::to_string),
            message: message.into(),
        }
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        match self {
            ProviderError::InvalidConfig(_) => ErrorKind::InvalidArgument,
            ProviderError::Auth(_) => ErrorKind::Denied,
            ProviderError::Unreachable(_) => ErrorKind::Unreachable,
            ProviderError::NotFound { .. } => ErrorKind::NotFound,
            ProviderError::Conflict { .. } => ErrorKind::Conflict,
            ProviderError::Throttled { .. } => ErrorKind::Throttled,
            ProviderError::Api(_) => ErrorKind::Api,
            ProviderError::Cancelled => ErrorKind::Cancelled,
            ProviderError::Provisioner(_) => ErrorKind::Provisioner,
            ProviderError::Other(_) => ErrorKind::Other,
            ProviderError::NotReady { .. } => ErrorKind::NotReady,
            ProviderError::CannotTell(_) => ErrorKind::CannotTell,
        }
    }

    /// The API's error code, when the API gave one (`DependencyViolation`, `InvalidVpcID.NotFound`).
    pub fn code(&self) -> Option<&str> {
        match self {
            ProviderError::NotFound { code, .. }
            | ProviderError::Conflict { code, .. }
            | ProviderError::Throttled { code, .. } => code.as_deref(),
            _ => None,
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

    /// Whether two values of argument `name` of a `type_name` object mean the same, though
    /// written differently (a relative and an absolute path to one file). After an import,
    /// skelc records the configuration's form of such a value, so the next plan shows no
    /// change for it. The default: only equal values mean the same.
    fn same_argument(
        &self,
        type_name: &str,
        name: &str,
        configured: &Value,
        imported: &Value,
    ) -> bool {
        let _ = (type_name, name);
        configured == imported
    }

    /// After a crash between "about to create" and "created" in the journal: find the object a
    /// create for `address` may have made (by its token, a deterministic name, or the
    /// attributes that make it unique), so nothing created is ever forgotten, and read it back
    /// completely. `Ok(None)` only when the provider has established that no such object
    /// exists; when it cannot tell (several candidates), an error naming them and the
    /// `skelc import` command that settles it (recovery then keeps the journal and stops).
    /// A provider that has no way at all to look for the object (a plugin before the create
    /// returned an id) answers [`ProviderError::CannotTell`]: recovery then goes on as if
    /// nothing was created and reports the address.
    async fn recover(&self, request: RecoverRequest<'_>) -> Result<Option<Value>, ProviderError> {
        let _ = request;
        Ok(None)
    }

    /// [`Provider::plan`] with the object's [`Private`] data: the prior object's in, the
    /// planned object's out (handed to [`Provider::apply_private`]). The default plans without
    /// any (built-in providers keep none).
    async fn plan_private(
        &self,
        request: PlanRequest<'_>,
        prior_private: Private,
    ) -> Result<(PlanResponse, Private), ProviderError> {
        let _ = prior_private;
        Ok((self.plan(request).await?, None))
    }

    /// [`Provider::apply`] with the planned object's [`Private`] data in and the new object's
    /// out (kept in state beside it).
    async fn apply_private(
        &self,
        request: ApplyRequest<'_>,
        planned_private: Private,
    ) -> Result<(Value, Private), ProviderError> {
        let _ = planned_private;
        Ok((self.apply(request).await?, None))
    }

    /// [`Provider::read_batch`] with each object's [`Private`] data in and out. The default
    /// reads without any.
    async fn read_batch_private(
        &self,
        type_name: &str,
        objects: &[(Value, Private)],
    ) -> Result<Vec<Option<(Value, Private)>>, ProviderError> {
        let states: Vec<Value> = objects.iter().map(|(v, _)| v.clone()).collect();
        let read = self.read_batch(type_name, &states).await?;
        Ok(read.into_iter().map(|v| v.map(|v| (v, None))).collect())
    }

    /// The schema version of `type_name`'s objects, which state records with each object
    /// (`None`: unversioned, as built-in providers are).
    async fn schema_version(&self, type_name: &str) -> Result<Option<u64>, ProviderError> {
        let _ = type_name;
        Ok(None)
    }

    /// A stored object, as its state JSON text written under schema `version` (`None`: not
    /// recorded, taken as the current one), upgraded to the current schema: the object and the
    /// version it now has. `None` when the provider does not upgrade (built-in providers).
    async fn upgrade(
        &self,
        type_name: &str,
        version: Option<u64>,
        raw_json: &str,
    ) -> Result<Option<(Value, u64)>, ProviderError> {
        let _ = (type_name, version, raw_json);
        Ok(None)
    }
}

/// A provider's private data of one object (a plugin's opaque `private` bytes), kept in state
/// beside the object and handed back on the object's next plan, apply and read; `None` for
/// built-in providers, which keep none.
pub type Private = Option<Arc<[u8]>>;

/// Creates a configured provider from a `provider` block's evaluated arguments.
pub trait ProviderFactory: Send + Sync {
    fn name(&self) -> &str;
    fn configure(&self, config: &Value) -> Result<Arc<dyn Provider>, ProviderError>;
    /// Whether its objects carry schema versions and are upgraded before each plan
    /// ([`Provider::upgrade`]): a plugin's are.
    fn versioned(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kind_never_changes_the_message() {
        let cases = [
            (
                ProviderError::InvalidConfig("a.".into()),
                ErrorKind::InvalidArgument,
            ),
            (ProviderError::Auth("a.".into()), ErrorKind::Denied),
            (
                ProviderError::Unreachable("a.".into()),
                ErrorKind::Unreachable,
            ),
            (ProviderError::not_found("a."), ErrorKind::NotFound),
            (
                ProviderError::conflict(Some("DependencyViolation"), "a."),
                ErrorKind::Conflict,
            ),
            (
                ProviderError::Throttled {
                    code: Some("Throttling".into()),
                    retry_after: Some(std::time::Duration::from_secs(3)),
                    message: "a.".into(),
                },
                ErrorKind::Throttled,
            ),
            (ProviderError::Api("a.".into()), ErrorKind::Api),
            (
                ProviderError::Provisioner("a.".into()),
                ErrorKind::Provisioner,
            ),
            (ProviderError::Other("a.".into()), ErrorKind::Other),
            (
                ProviderError::not_ready(Value::Null, "a."),
                ErrorKind::NotReady,
            ),
            (
                ProviderError::CannotTell("a.".into()),
                ErrorKind::CannotTell,
            ),
        ];
        for (err, kind) in cases {
            assert_eq!(err.kind(), kind, "{err:?}");
            assert_eq!(err.to_string(), "a.", "{err:?}");
        }
        assert_eq!(ProviderError::Cancelled.kind(), ErrorKind::Cancelled);
        assert_eq!(ProviderError::Cancelled.to_string(), "cancelled");
    }

    #[test]
    fn structured_data_is_kept() {
        let err = ProviderError::conflict(Some("DependencyViolation"), "in use.");
        assert_eq!(err.code(), Some("DependencyViolation"));
        assert_eq!(ProviderError::not_found("gone.").code(), None);
        assert_eq!(ProviderError::Api("x".into()).code(), None);
        let ProviderError::NotReady { object, .. } =
            ProviderError::not_ready(Value::string("obj"), "m")
        else {
            panic!("not_ready builds NotReady");
        };
        assert_eq!(*object, Value::string("obj"));
    }
}
