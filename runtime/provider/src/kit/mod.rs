//! The provider kit: what every provider needs between the `Provider` trait and its API —
//! typed access to configuration and state values ([`access`]), the one equality the plan and
//! refresh use ([`equal::same`]), the schema-driven planner with per-provider hooks
//! ([`plan::plan`], [`plan::PlanHooks`]) and the `timeouts` block ([`timeouts::Timeouts`]).
//!
//! The builtin, AWS and Kubernetes providers all build on it, so a new resource type only
//! writes what is specific to its API: the calls, and the planning rules the schema cannot
//! express (a hook).

pub mod access;
pub mod equal;
pub mod plan;
pub mod timeouts;

pub use access::{
    blocks, data_source_schema, default_value, first_block, get, get_bool, get_i64, get_str,
    get_strs, object, optional_bool, optional_number, optional_string, resource_schema, set_attr,
    string_list, string_set, with_default,
};
pub use equal::same;
pub use plan::{empty_nested, pair_items, plan, set_unknown, NoHooks, PlanHooks};
pub use timeouts::{timeout, Operation, Timeouts, TimeoutsError};
