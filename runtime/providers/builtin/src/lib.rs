//! The built-in providers — `null`, `local` and `random` — and the `local-exec`, `file` and
//! `remote-exec` provisioners.
//!
//! Every resource follows its schema in `skel_schema` (compiler/schema/data/builtin.json): the
//! planned and applied objects carry every attribute of the schema, typed as the schema says.
//! Planning is the provider kit's (`skel_provider::kit::plan`): the configuration with defaults filled in,
//! computed attributes kept from the prior state unless a `force_new` argument changed, and
//! unknown otherwise. Random values are generated at apply and kept in state from then on.

use std::sync::Arc;

use skel_provider::ProviderFactory;

pub mod common;
pub mod local;
pub mod null;
pub mod provisioners;
pub mod random;
mod words;

pub use local::LocalFactory;
pub use null::NullFactory;
pub use random::RandomFactory;

/// The factories of every built-in provider: `null`, `local`, `random`.
pub fn factories() -> Vec<Arc<dyn ProviderFactory>> {
    vec![
        Arc::new(NullFactory),
        Arc::new(LocalFactory),
        Arc::new(RandomFactory),
    ]
}
