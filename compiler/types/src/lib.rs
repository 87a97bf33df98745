//! Type inference and checking of modules against provider schemas and stdlib signatures.
//!
//! Entry points: [`check_module`] (every diagnostic of one module) and [`check_project`] (the
//! module tree under a root, with `-var` values). Diagnostics are data returned from queries.

mod backend;
mod body;
mod check;
mod constant;
mod constraint;
mod durations;
mod encryption;
mod graph;
mod infer;
mod items;
mod meta;
mod module_sources;
mod project;
mod queries;
mod refactor;
pub mod schemas;
mod sensitivity;
mod validate;

pub use backend::{backend_arguments, backend_kinds};
pub use constant::constant_value;
pub use constraint::{type_from_expr, ConstraintError};
pub use encryption::block_reference;
pub use infer::ExprTypes;
pub use items::{accepts, check_item, expr_type_in_item, item_types};
pub use project::{
    check_module, check_project, hidden_value_spans, missing_root_variables,
    missing_variable_diagnostics, modules_in_tree, ways_to_set_variable, MissingVariable,
    ProjectInput, VarValue,
};
pub use queries::{
    infer_local, infer_output, local_type, module_call_dir, module_call_type, module_output_types,
    resource_type, variable_constraint, variable_type,
};
pub use sensitivity::{declared_marks, module_sensitivity, project_sensitivity};
pub use skel_schema::{connection_schema, provisioner_schema};
pub use validate::{failed_validations, validation_diagnostics};
