//! Go to definition: references to their definitions, module sources to the child module, and
//! `module.M.OUT` to the output block in the child.

use skel_db::Db;
use skel_syntax::TextRange;

use crate::resolve::{self, Node};
use crate::{FilePosition, NavigationTarget, SymbolKind};

pub(crate) fn goto_definition(db: &dyn Db, position: FilePosition) -> Vec<NavigationTarget> {
    let file = position.file;
    if let Some(target) = module_source_target(db, position) {
        return vec![target];
    }
    let Some(r) = resolve::symbol_at(db, file, position.offset) else {
        return Vec::new();
    };
    resolve::definition(db, &r.symbol).into_iter().collect()
}

/// On the `source` of a module block: the first file of the child module.
fn module_source_target(db: &dyn Db, position: FilePosition) -> Option<NavigationTarget> {
    let parse = skel_db::parse(db, position.file);
    let (_, top) = resolve::top_at(parse, position.offset)?;
    let rel = position.offset - top.offset;
    let Node::Expr(path, attr, _) = resolve::node_at(&top.item, rel)? else {
        return None;
    };
    if path.len() != 1 || path[0].ident.name != "module" || attr.name.name != "source" {
        return None;
    }
    let dir = resolve::child_dir_of_block(db, resolve::dir_of(db, position.file), path[0])?;
    let first = dir.skel_files(db).first()?.clone();
    let target = db.file(&first);
    let empty = TextRange::empty(0);
    Some(NavigationTarget {
        file: target,
        full_range: empty,
        focus_range: empty,
        name: path[0].label(0).unwrap_or_default().to_string(),
        kind: SymbolKind::Module,
    })
}
