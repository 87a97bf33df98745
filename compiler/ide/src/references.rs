//! Find references: every use of a variable, local, resource, data source, module call or
//! output, across every module the database knows (outputs are used by callers, variables are
//! set by callers' module-call arguments).

use skel_db::{Db, Directory, File};
use skel_syntax::TextRange;

use crate::resolve::{self, Ref, Symbol};
use crate::FilePosition;

pub(crate) fn references(
    db: &dyn Db,
    position: FilePosition,
    include_declaration: bool,
) -> Vec<(File, TextRange)> {
    let Some(r) = resolve::symbol_at(db, position.file, position.offset) else {
        return Vec::new();
    };
    let here = resolve::dir_of(db, position.file);
    all_refs(db, &r.symbol, here, include_declaration)
        .into_iter()
        .map(|r| (r.file, r.range))
        .collect()
}

/// The module a symbol is defined in.
pub(crate) fn home_dir(symbol: &Symbol) -> Option<Directory> {
    match symbol {
        Symbol::Variable { dir, .. }
        | Symbol::Local { dir, .. }
        | Symbol::Resource { dir, .. }
        | Symbol::Data { dir, .. }
        | Symbol::ModuleCall { dir, .. }
        | Symbol::Output { dir, .. } => Some(*dir),
        _ => None,
    }
}

/// The modules whose references to `symbol` matter.
pub(crate) fn search_scope(db: &dyn Db, symbol: &Symbol, here: Directory) -> Vec<Directory> {
    let home = home_dir(symbol).unwrap_or(here);
    match symbol {
        // Used by callers.
        Symbol::Variable { .. } | Symbol::Output { .. } => {
            let mut dirs = resolve::known_modules(db);
            for d in [home, here] {
                if !dirs.contains(&d) {
                    dirs.push(d);
                }
            }
            dirs
        }
        _ => vec![home],
    }
}

/// Every reference to `symbol`, sorted by file path and offset; with the definition's name when
/// `include_declaration`.
pub(crate) fn all_refs(
    db: &dyn Db,
    symbol: &Symbol,
    here: Directory,
    include_declaration: bool,
) -> Vec<Ref> {
    let mut out: Vec<Ref> = Vec::new();
    for dir in search_scope(db, symbol, here) {
        out.extend(
            resolve::module_refs(db, dir)
                .into_iter()
                .filter(|r| r.symbol == *symbol),
        );
    }
    if include_declaration {
        if let Some(dir) = home_dir(symbol) {
            let index = skel_hir::module_index(db, dir);
            for &file in &index.files {
                for top in &skel_db::parse(db, file).file.items {
                    out.extend(
                        resolve::item_defs(db, file, top)
                            .into_iter()
                            .filter(|r| r.symbol == *symbol),
                    );
                }
            }
        }
    }
    out.sort_by(|a, b| (a.file.path(db), a.range.start()).cmp(&(b.file.path(db), b.range.start())));
    out.dedup_by(|a, b| a.file == b.file && a.range == b.range);
    out
}
