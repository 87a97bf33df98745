//! Item indexes, module loading and the module graph: what each module defines and where.
//!
//! A module is a directory of `.skel` files. [`module_index`] lists its definitions from block
//! headers (and the names inside `locals`) only, never attribute values, so it compares equal
//! while the user types inside a block: this is the firewall that keeps semantic queries of
//! other blocks from re-running.

mod index;
mod paths;
pub mod provider_lock;
pub mod providers;
pub mod refactor;
pub mod resolve;
pub mod source;

pub use index::{module_index, DefKind, Definition, LocalDef, ModuleIndex};
pub use paths::{
    module_call_source, module_sources, normalize_path, resolve_module_source, ModuleSource,
};

use skel_db::{Db, File};

/// The module (directory) a file belongs to.
pub fn module_of(db: &dyn Db, file: File) -> skel_db::Directory {
    let dir = file
        .path(db)
        .parent()
        .map(|p| p.to_path_buf())
        .unwrap_or_default();
    db.directory(&dir)
}
