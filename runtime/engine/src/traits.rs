//! The engine's contracts with its caller: where the walk records what it does
//! ([`StateSink`]), who runs provisioners ([`Provisioners`]) and who hears about progress
//! ([`Observer`]). The engine never prints and never touches files; these traits are how it
//! reaches the outside.

use async_trait::async_trait;
use skel_plan_ir::{Action, InstanceAddr, ResourceChange, State};
use skel_provider::ProviderError;
use skel_value::Value;

/// Which half of a change a walk step performs.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Phase {
    /// Create, update, read, or the create half of a replacement.
    Apply,
    /// Delete, or the delete half of a replacement.
    Destroy,
}

/// Why a [`StateSink`] could not record something. The walk stops starting anything new when
/// it gets one (the journal must be able to account for every provider call).
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    /// The journal was already committed or abandoned.
    #[error("the journal is closed")]
    Closed,
    /// The store could not write the record or the state (its error, as it words it).
    #[error("{0}")]
    Store(Box<dyn std::error::Error + Send + Sync>),
}

impl SinkError {
    /// The store's error `e`.
    pub fn store(e: impl std::error::Error + Send + Sync + 'static) -> SinkError {
        SinkError::Store(Box::new(e))
    }
}

/// Where the walk records what it does, so a crash loses nothing: implemented by the caller
/// with a write-ahead journal and the state store. Errors stop the walk from starting anything
/// new (the journal must be able to account for every provider call).
pub trait StateSink: Send + Sync {
    /// Before a provider call that changes something.
    fn intent(
        &self,
        seq: u64,
        change: &ResourceChange,
        phase: Phase,
        info: IntentInfo<'_>,
    ) -> Result<(), SinkError>;
    /// After it: the new object (`None` when deleted) or the error message; `tainted` when
    /// the object is not complete yet (not ready, or creation provisioners still to run). A
    /// second result for the same `seq` supersedes the first.
    fn result(
        &self,
        seq: u64,
        addr: &InstanceAddr,
        outcome: Result<Option<&serde_json::Value>, &str>,
        tainted: bool,
    ) -> Result<(), SinkError>;
    /// [`StateSink::result`] with the new object's private data from its provider (base64, as
    /// the state keeps it), journaled beside the object. The default drops it.
    fn result_private(
        &self,
        seq: u64,
        addr: &InstanceAddr,
        outcome: Result<Option<&serde_json::Value>, &str>,
        tainted: bool,
        private: Option<&str>,
    ) -> Result<(), SinkError> {
        let _ = private;
        self.result(seq, addr, outcome, tainted)
    }
    /// Persist the state (called every few seconds and at the end).
    fn checkpoint(&self, state: &State) -> Result<(), SinkError>;
}

/// What an intent records beside the change.
#[derive(Clone, Copy, Debug, Default)]
pub struct IntentInfo<'a> {
    /// The record must be on disk before the call is made (the object exists outside skel).
    pub durable: bool,
    /// A create's idempotency token: the provider receives it with the call, recovery with
    /// the intent.
    pub token: Option<&'a str>,
    /// A create followed by creation provisioners: an object recovery finds is tainted.
    pub provisioners: bool,
}

/// Runs provisioners (`local-exec`, `file`, `remote-exec`).
#[async_trait]
pub trait Provisioners: Send + Sync {
    async fn run(
        &self,
        kind: &str,
        args: &Value,
        connection: Option<&Value>,
        output: &(dyn for<'l> Fn(&'l str) + Send + Sync),
    ) -> Result<(), ProviderError>;
}

/// Receives progress events from planning and applying. Implementations must be cheap and
/// must not block; they are called from the engine's tasks.
pub trait Observer: Send + Sync {
    fn refresh_started(&self, _total: usize) {}
    fn apply_started(&self, _total: usize) {}
    fn instance_started(&self, _addr: &InstanceAddr, _action: Action) {}
    fn instance_finished(&self, _addr: &InstanceAddr, _action: Action, _error: Option<&str>) {}
    fn provisioner_output(&self, _addr: &InstanceAddr, _line: &str) {}
    /// A message for the user (recovery notes, warnings).
    fn note(&self, _message: &str) {}
}

/// An observer that ignores everything.
pub struct Silent;

impl Observer for Silent {}
