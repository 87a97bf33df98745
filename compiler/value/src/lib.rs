//! The type and value model shared by the checker, the stdlib, provider schemas and the runtime.
//!
//! Types follow Terraform's type system (cty): primitive `string`, `number`, `bool`; collection
//! `list`, `set`, `map`; structural `tuple` and `object`; and the dynamic pseudo-type `any`,
//! which the checker also uses as the "error" type that stops diagnostics from cascading.

mod convert;
mod convert_value;
mod map;
mod marks;
mod number;
mod paths;
mod ty;
mod value;

pub use convert::{conversion, unify, Conversion};
pub use convert_value::{convert, number_to_string, parse_number, ConvertError, PathStep};
pub use map::{DuplicateKey, ValueMap};
pub use marks::{MarkPath, Marks};
pub use number::Number;
pub use ty::{ObjectType, Type};
pub use value::Value;
