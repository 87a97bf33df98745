//! Module sources: resolving a `module` block's `source` to a directory: a local path relative
//! to the caller, a remote source through the manifest `skelc init` wrote.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use skel_db::{Db, Directory, ItemRef};
use skel_syntax::{Item, TextRange};

use crate::source::SourceAddr;

/// A module call's source as written, and where, with the call's name.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct ModuleSource {
    pub name: String,
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
        name: block.labels.first()?.value.clone(),
        text: attr.expr.as_literal_string()?,
        range: attr.expr.range,
    })
}

/// The directory of module call `name` in module `caller` with source `source`: a local path
/// relative to the calling module's directory, a remote source where `skelc init` installed
/// it. `None` for an invalid source, or a remote one not installed (or installed for another
/// source: the manifest is out of date).
pub fn resolve_module_source(
    db: &dyn Db,
    caller: Directory,
    name: &str,
    source: &str,
) -> Option<Directory> {
    match SourceAddr::parse(source).ok()? {
        SourceAddr::Local(path) => {
            let path = normalize_path(&caller.path(db).join(path));
            Some(db.directory(&path))
        }
        _ => {
            let (root, entry) = crate::source::installed_module(db, caller, name)?;
            (entry.source == source).then(|| db.directory(&normalize_path(&root.join(&entry.dir))))
        }
    }
}

/// The directories of the modules a module calls, for walking the module graph.
#[salsa::tracked(returns(ref))]
pub fn module_sources(db: &dyn Db, dir: Directory) -> Arc<Vec<Directory>> {
    let index = crate::module_index(db, dir);
    let mut out = Vec::new();
    for def in index.modules.values() {
        if let Some(source) = module_call_source(db, def.item) {
            if let Some(child) = resolve_module_source(db, dir, &source.name, &source.text) {
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
