//! The salsa base database: file inputs, the System trait, parsing queries and the one Diagnostic model.
//!
//! Inputs are only outside facts: file texts and directory listings, read through a [`System`]
//! so that tests and the language server can supply files from memory. Everything else is derived.

mod database;
pub mod diagnostic;
mod files;
mod lines;
pub mod overrides;
mod system;

pub use database::{Db, SkelDatabase};
pub use diagnostic::{did_you_mean, did_you_mean_for, Code, Diagnostic, Label, Severity, Span};
pub use files::{
    is_config_file, is_json_config_file, is_override_file, list_module_files, refresh_directory,
    refresh_file, set_file_durability, Directory, File, Files, Listing, DISK,
};
pub use lines::{LineCol, LineIndex};
pub use system::{MemorySystem, OsSystem, System};

use std::sync::Arc;

/// Parse a file. Missing files parse as empty.
#[salsa::tracked(returns(ref), lru = 256)]
pub fn parse(db: &dyn Db, file: File) -> Arc<skel_syntax::Parse> {
    let text = file.text(db);
    Arc::new(skel_syntax::parse(text.as_deref().unwrap_or("")))
}

/// The line index of a file, for turning byte offsets into lines and columns.
#[salsa::tracked(returns(ref))]
pub fn line_index(db: &dyn Db, file: File) -> Arc<LineIndex> {
    let text = file.text(db);
    Arc::new(LineIndex::new(text.as_deref().unwrap_or("")))
}

/// A top-level item of a file, by position. The block-level queries are keyed by it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct ItemRef {
    pub file: File,
    pub index: u32,
}

impl ItemRef {
    /// A span at a range relative to this item.
    pub fn span(self, range: skel_syntax::TextRange) -> Span {
        Span::in_item(self.file, self.index, range)
    }
}

/// The firewall between parsing and semantics: one top-level item's tree, with ranges relative
/// to the item. It compares equal after edits elsewhere in the file, so queries that depend
/// only on it are not re-run. A block that override files of its module override is returned
/// merged ([`overrides`]).
#[salsa::tracked(returns(clone))]
pub fn item_ast(db: &dyn Db, file: File, index: u32) -> Option<Arc<skel_syntax::Item>> {
    let item = parse(db, file)
        .file
        .items
        .get(index as usize)
        .map(|top| top.item.clone())?;
    if let skel_syntax::Item::Block(block) = &*item {
        if let Some(merged) = overrides::merged(db, file, block) {
            return Some(Arc::new(skel_syntax::Item::Block(merged)));
        }
    }
    Some(item)
}
