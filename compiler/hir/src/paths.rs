//! Module sources: resolving a `module` block's local `source` path to a directory.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use skel_db::{Db, Directory, ItemRef};
use skel_syntax::{Item, TextRange};

/// A module call's source as written, and where.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct ModuleSource {
    pub text: String,
    pub range: TextRange,
}

/// The literal `source` of a `module` block, if it has one.
pub fn module_call_source(db: &dyn Db, item: ItemRef) -> Option<ModuleSource> {
    let ast = skel_db::item_ast(db, item.file, item.index)?;
    let Item::Block(block) = &*ast else {
        return None;
    };
    let attr = block.body.attribute("source")?;
    Some(ModuleSource {
        text: attr.expr.as_literal_string()?,
        range: attr.expr.range,
    })
}

/// The directory a local module source names, relative to the calling module's directory.
/// `None` for sources that are not local paths (registry addresses, URLs).
pub fn resolve_module_source(db: &dyn Db, caller: Directory, source: &str) -> Option<Directory> {
    if !(source.starts_with("./") || source.starts_with("../") || source == "." || source == "..") {
        return None;
    }
    let path = normalize_path(&caller.path(db).join(source));
    Some(db.directory(&path))
}

/// The directories of the modules a module calls, for walking the module graph.
#[salsa::tracked(returns(ref))]
pub fn module_sources(db: &dyn Db, dir: Directory) -> Arc<Vec<Directory>> {
    let index = crate::module_index(db, dir);
    let mut out = Vec::new();
    for def in index.modules.values() {
        if let Some(source) = module_call_source(db, def.item) {
            if let Some(child) = resolve_module_source(db, dir, &source.text) {
                out.push(child);
            }
        }
    }
    Arc::new(out)
}

/// Resolve `.` and `..` lexically, without touching the file system.
pub fn normalize_path(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}
