//! Provider schemas as data: the one source of truth the checker and the providers both read.
//!
//! The schemas live in `data/*.json` (embedded at compile time) and are loaded once on first
//! use. Attribute types are written there as Terraform type constraints and parsed by
//! [`parse_type`].

mod duration;
mod load;
mod model;
mod parse_type;
mod provisioners;
mod reference;

pub use duration::{parse_duration, DurationError, MAX_DURATION};
pub use load::{load_str, SchemaError, DATA_FILES};
pub use model::{
    all_data_source_types, all_resource_types, data_source, provider, provider_for_type, providers,
    register_running, resource, AttributeSchema, BlockSchema, NestedBlockSchema, Nesting,
    ProviderSchema, ResourceSchema,
};
pub use parse_type::{parse_type, TypeProblem, TypeSyntaxError};
pub use provisioners::{connection_schema, provisioner_schema};
pub use reference::reference_markdown;

#[cfg(test)]
mod tests;
