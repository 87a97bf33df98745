//! Rename across modules: variables (with callers' module-call arguments), locals, outputs
//! (with callers' `module.M.OUT`), resources and data sources (the name, not the type), module
//! calls. Refuses invalid names, names already taken and files with syntax errors where a use
//! may hide.

use skel_db::Db;
use skel_syntax::TextRange;

use crate::references::{all_refs, home_dir, search_scope};
use crate::resolve::{self, Ref, Symbol};
use crate::{FilePosition, SourceChange, TextEdit};

fn renameable_at(db: &dyn Db, position: FilePosition) -> Result<Ref, String> {
    let r = resolve::symbol_at(db, position.file, position.offset)
        .ok_or_else(|| "nothing to rename here".to_string())?;
    match r.symbol {
        Symbol::Variable { .. }
        | Symbol::Local { .. }
        | Symbol::Resource { .. }
        | Symbol::Data { .. }
        | Symbol::ModuleCall { .. }
        | Symbol::Output { .. } => Ok(r),
        Symbol::Function(_) => Err("built-in functions cannot be renamed".into()),
        Symbol::Builtin { .. } => Err("built-in references cannot be renamed".into()),
        Symbol::ResourceAttr { .. } => {
            Err("attributes are defined by the provider schema and cannot be renamed".into())
        }
    }
}

pub(crate) fn prepare_rename(db: &dyn Db, position: FilePosition) -> Result<TextRange, String> {
    renameable_at(db, position).map(|r| r.range)
}

pub(crate) fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn old_name(symbol: &Symbol) -> &str {
    match symbol {
        Symbol::Variable { name, .. }
        | Symbol::Local { name, .. }
        | Symbol::Resource { name, .. }
        | Symbol::Data { name, .. }
        | Symbol::ModuleCall { name, .. }
        | Symbol::Output { name, .. } => name,
        _ => "",
    }
}

fn taken(db: &dyn Db, symbol: &Symbol, new_name: &str) -> Option<String> {
    let index = skel_hir::module_index(db, home_dir(symbol)?);
    let n = new_name.to_string();
    let what = match symbol {
        Symbol::Variable { .. } if index.variables.contains_key(&n) => "a variable",
        Symbol::Local { .. } if index.locals.contains_key(&n) => "a local value",
        Symbol::Output { .. } if index.outputs.contains_key(&n) => "an output",
        Symbol::ModuleCall { .. } if index.modules.contains_key(&n) => "a module call",
        Symbol::Resource { ty, .. } if index.resources.contains_key(&(ty.clone(), n.clone())) => {
            "a resource of this type"
        }
        Symbol::Data { ty, .. } if index.data.contains_key(&(ty.clone(), n.clone())) => {
            "a data source of this type"
        }
        _ => return None,
    };
    Some(format!("{what} named `{new_name}` already exists"))
}

pub(crate) fn rename(
    db: &dyn Db,
    position: FilePosition,
    new_name: &str,
) -> Result<SourceChange, String> {
    let r = renameable_at(db, position)?;
    if !is_identifier(new_name) {
        return Err(format!("`{new_name}` is not a valid identifier"));
    }
    let old = old_name(&r.symbol).to_string();
    if old == new_name {
        return Ok(SourceChange::default());
    }
    if let Some(reason) = taken(db, &r.symbol, new_name) {
        return Err(reason);
    }
    let here = resolve::dir_of(db, position.file);
    // A use inside unparsable text would be missed: refuse when an erroneous part of a file
    // mentions the name.
    for dir in search_scope(db, &r.symbol, here) {
        for &file in &skel_hir::module_index(db, dir).files {
            let parse = skel_db::parse(db, file);
            let text = file.text(db).clone().unwrap_or_default();
            for error in &parse.errors {
                let region = parse
                    .file
                    .items
                    .iter()
                    .map(|t| t.absolute_range())
                    .find(|t| t.contains_inclusive(error.range.start()))
                    .unwrap_or(error.range);
                let slice = text.get(region.as_usize_range()).unwrap_or("");
                if slice.contains(old.as_str()) {
                    return Err(format!(
                        "cannot rename: {} has syntax errors where `{old}` is used",
                        file.path(db).display()
                    ));
                }
            }
        }
    }
    let refs = all_refs(db, &r.symbol, here, true);
    let mut change = SourceChange::default();
    for r in refs {
        let edit = TextEdit {
            range: r.range,
            new_text: new_name.to_string(),
        };
        match change.edits.iter_mut().find(|(f, _)| *f == r.file) {
            Some((_, edits)) => edits.push(edit),
            None => change.edits.push((r.file, vec![edit])),
        }
    }
    Ok(change)
}
