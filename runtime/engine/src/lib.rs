//! The engine: evaluation of the lowered configuration, planning against state, and the
//! parallel apply walk. It reads only plain data (`skel_plan_ir`), talks to providers through
//! the `Provider` trait, persists through a `StateSink`, and reports through an `Observer`;
//! it never prints and never touches the state file itself.

mod apply;
mod body;
mod checks;
mod conditions;
mod error;
mod expand;
mod import;
mod marks;
mod order;
mod plan;
mod private;
mod providers;
mod refactor;
mod step;
mod target;
mod traits;
mod world;

pub use apply::{apply, ApplyOptions, ApplyReport, Cancel};
pub use checks::{CheckOutcome, CheckStatus};
pub use error::{EngineError, Errors};
pub use plan::{plan, plan_owned, Drift, PlanOptions, Planned};
pub use providers::{configure_provider, ProviderRegistry};
pub use traits::{IntentInfo, Observer, Phase, Provisioners, Silent, SinkError, StateSink};
pub use world::MAX_INSTANCES;

/// The last-line defence for text skel did not write (a provider's error message): every part of
/// a marked value of `config` that `message` quotes is replaced by `(sensitive value)`.
pub fn scrub_message(message: &str, config: &skel_value::Value) -> String {
    marks::scrub(message, config)
}
