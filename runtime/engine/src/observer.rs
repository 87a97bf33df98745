//! Progress hooks: the engine reports what it does through an `Observer`; it never prints.

use skel_plan_ir::{Action, InstanceAddr};

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
