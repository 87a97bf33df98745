//! Custom conditions of resources and data sources (`precondition` / `postcondition` in
//! `lifecycle`): a false condition stops the plan with its error message, as in Terraform.

use skel_plan_ir::{InstanceAddr, ModuleInstance, ResourceConfig, Validation};
use skel_value::Value;

use crate::plan::Planner;
use crate::world::{MapScope, Repeat};
use crate::EngineError;

/// The first of `conditions` that is false in `scope`, as an error naming `what` (a
/// precondition or a postcondition) at `addr`. A condition not known yet is not decided here.
pub(crate) fn check(
    conditions: &[Validation],
    scope: &MapScope,
    ctx: &dyn skel_stdlib::Context,
    what: &str,
    addr: &str,
) -> Result<(), EngineError> {
    for condition in conditions {
        let result = skel_eval::eval_with(&condition.condition, scope, ctx)
            .map_err(|e| EngineError::evaluation(format!("{what}: {}", e.message)))
            .map_err(|e| e.at(addr.to_string(), Some(&condition.location)))?;
        let result = result.unmark_deep().0;
        match result {
            Value::Bool(true) | Value::Unknown(_) => {}
            Value::Bool(false) => {
                let message = message(condition, scope, ctx);
                return Err(EngineError::evaluation(format!("{what} failed: {message}"))
                    .at(addr.to_string(), Some(&condition.location)));
            }
            _ => {
                return Err(EngineError::evaluation(format!(
                    "{what}: the condition must be true or false"
                ))
                .at(addr.to_string(), Some(&condition.location)))
            }
        }
    }
    Ok(())
}

impl Planner<'_> {
    /// A resource instance's preconditions (without `self`) or postconditions (with `self`,
    /// its planned or read object; parts known only after apply are not decided).
    pub(crate) fn conditions(
        &mut self,
        mi: &ModuleInstance,
        rc: &ResourceConfig,
        repeat: Option<Repeat<'_>>,
        self_value: Option<Value>,
        instance: &InstanceAddr,
    ) -> Result<(), EngineError> {
        let (list, what) = match self_value {
            None => (&rc.lifecycle.preconditions, "Resource precondition"),
            Some(_) => (&rc.lifecycle.postconditions, "Resource postcondition"),
        };
        if list.is_empty() {
            return Ok(());
        }
        let (scope, _, _) = self.world.scope(mi, &rc.references, repeat, self_value)?;
        let ctx = self.world.context(mi);
        crate::conditions::check(list, &scope, &ctx, what, &instance.to_string())
    }
}

/// The error message of a false condition; a message derived from a sensitive value is not
/// shown.
pub(crate) fn message(
    condition: &Validation,
    scope: &MapScope,
    ctx: &dyn skel_stdlib::Context,
) -> String {
    match skel_eval::eval_with(&condition.error_message, scope, ctx) {
        Ok(Value::String(s)) => s,
        Ok(v) if v.is_sensitive() => {
            "(its error message is not shown: it refers to a sensitive value)".into()
        }
        _ => "the condition is false".into(),
    }
}
