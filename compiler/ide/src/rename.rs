//! Rename across modules: variables (with callers' module-call arguments), locals, outputs
//! (with callers' `module.M.OUT`), resources and data sources (the name, not the type), module
//! calls. Refuses invalid names, names already taken and files with syntax errors where a use
//! may hide.

use std::path::PathBuf;

use skel_db::Db;
use skel_syntax::TextRange;

use crate::references::{all_refs, home_dir, search_scope};
use crate::resolve::{self, Ref, Symbol};
use crate::{FilePosition, SourceChange, TextEdit};

/// Why a rename is refused; the message is what the editor shows.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RenameError {
    /// No symbol at the position.
    #[error("nothing to rename here")]
    NothingHere,
    #[error("built-in functions cannot be renamed")]
    Function,
    #[error("built-in references cannot be renamed")]
    BuiltinReference,
    #[error("attributes are defined by the provider schema and cannot be renamed")]
    SchemaAttribute,
    #[error("`{0}` is not a valid identifier")]
    InvalidName(String),
    /// The new name is taken by `what` (`an output`) in the same module.
    #[error("{what} named `{name}` already exists")]
    Taken { what: &'static str, name: String },
    /// `file` has a syntax error in a part that mentions the old name: a use may hide there.
    #[error("cannot rename: {} has syntax errors where `{name}` is used", file.display())]
    SyntaxErrors { file: PathBuf, name: String },
}

fn renameable_at(db: &dyn Db, position: FilePosition) -> Result<Ref, RenameError> {
    let r =
        resolve::symbol_at(db, position.file, position.offset).ok_or(RenameError::NothingHere)?;
    match r.symbol {
        Symbol::Variable { .. }
        | Symbol::Local { .. }
        | Symbol::Resource { .. }
        | Symbol::Data { .. }
        | Symbol::ModuleCall { .. }
        | Symbol::Output { .. } => Ok(r),
        Symbol::Function(_) => Err(RenameError::Function),
        Symbol::Builtin { .. } => Err(RenameError::BuiltinReference),
        Symbol::ResourceAttr { .. } => Err(RenameError::SchemaAttribute),
    }
}

pub(crate) fn prepare_rename(
    db: &dyn Db,
    position: FilePosition,
) -> Result<TextRange, RenameError> {
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

fn taken(db: &dyn Db, symbol: &Symbol, new_name: &str) -> Option<RenameError> {
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
    Some(RenameError::Taken { what, name: n })
}

pub(crate) fn rename(
    db: &dyn Db,
    position: FilePosition,
    new_name: &str,
) -> Result<SourceChange, RenameError> {
    let r = renameable_at(db, position)?;
    if !is_identifier(new_name) {
        return Err(RenameError::InvalidName(new_name.to_string()));
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
                    return Err(RenameError::SyntaxErrors {
                        file: file.path(db).to_path_buf(),
                        name: old,
                    });
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
