//! Lowering: a checked module tree to the plan IR's [`Config`], the plain data the runtime walks.
//!
//! [`lower`] visits the module tree breadth-first from the root (calls in source order), gives
//! each distinct module directory one [`ModuleId`] (the root is 0) and turns every top-level
//! block into its `skel_plan_ir::config` form: variables with their defaults converted to their
//! types, locals, resources and data sources with their meta-arguments taken apart, module
//! calls, outputs and provider configurations, each with its static references.
//!
//! Expressions and bodies are the AST of the source, cloned, and keep their **item-relative**
//! ranges (relative to the start of the top-level block they are in, see `skel_syntax::ast`).
//! They are meant for evaluation; errors found while evaluating them are reported at the
//! block's [`SourceLocation`], which is absolute (file path, 1-based line and column of the
//! block type keyword, or of the name of a local value).
//!
//! Meta-arguments whose value must be known statically (`lifecycle` flags, provisioner `when`
//! and `on_failure`, a provider's `alias` and `parallelism`, variable attributes) are read here;
//! the rest stays an expression.
//!
//! The caller checks the project first (`skel_types::check_project`). Lowering does not repeat
//! the checks, but never panics: anything it cannot lower is a [`LowerError`].

mod backend;
mod check;
mod encryption;
mod module;
mod refactor;
mod refs;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use skel_db::{Db, Directory, File};
use skel_plan_ir::{Config, ModuleId, SourceLocation};
use skel_syntax::TextSize;

/// Why a module tree could not be lowered, and where.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
#[error("{}{message}", location.as_ref().map(|l| format!("{l}: ")).unwrap_or_default())]
pub struct LowerError {
    pub message: String,
    pub location: Option<SourceLocation>,
}

impl LowerError {
    pub fn new(message: impl Into<String>) -> Self {
        LowerError {
            message: message.into(),
            location: None,
        }
    }

    pub fn at(location: SourceLocation, message: impl Into<String>) -> Self {
        LowerError {
            message: message.into(),
            location: Some(location),
        }
    }
}

/// Lower the module tree under `root` (which checked without errors) to a [`Config`].
pub fn lower(db: &dyn Db, root: Directory) -> Result<Config, LowerError> {
    if !root.exists(db) {
        return Err(LowerError::new(format!(
            "the root module directory `{}` does not exist",
            root.path(db).display()
        )));
    }
    let mut tree = ModuleTree {
        ids: HashMap::from([(root, Config::ROOT)]),
        order: vec![root],
    };
    let mut config = Config::default();
    let mut next = 0;
    while let Some(&dir) = tree.order.get(next) {
        config
            .modules
            .push(module::lower_module(db, dir, &mut tree)?);
        next += 1;
    }
    config.encryption = encryption::lower_encryption(db, root)?;
    config.backend = backend::lower_backend(db, root)?;
    Ok(config)
}

/// The `backend` block of the root module in `root` alone (for `skelc init`, which sets up the
/// backend before the module tree can be lowered).
pub fn backend_of(
    db: &dyn Db,
    root: Directory,
) -> Result<Option<skel_plan_ir::BackendConfig>, LowerError> {
    backend::lower_backend(db, root)
}

/// The modules found so far, in breadth-first order: a module's id is its position.
pub(crate) struct ModuleTree {
    ids: HashMap<Directory, ModuleId>,
    order: Vec<Directory>,
}

impl ModuleTree {
    /// The id of a module directory, assigning the next one the first time it is seen.
    pub(crate) fn id(&mut self, dir: Directory) -> ModuleId {
        *self.ids.entry(dir).or_insert_with(|| {
            self.order.push(dir);
            self.order.len() - 1
        })
    }
}

/// One settings block (`skel { … }`, or `terraform { … }`) of a module, with where it is, so
/// that the location of any block inside it can be given.
pub(crate) struct Settings {
    pub(crate) ast: std::sync::Arc<skel_syntax::Item>,
    file: skel_db::File,
    offset: skel_syntax::TextSize,
}

impl Settings {
    /// The settings blocks of the module in `dir`, in the order the index has them.
    pub(crate) fn of(db: &dyn Db, dir: Directory) -> Vec<Settings> {
        let index = skel_hir::module_index(db, dir);
        index
            .settings
            .iter()
            .filter_map(|item| {
                let parse = skel_db::parse(db, item.file);
                let top = parse.file.items.get(item.index as usize)?;
                Some(Settings {
                    ast: skel_db::item_ast(db, item.file, item.index)?,
                    file: item.file,
                    offset: top.offset,
                })
            })
            .collect()
    }

    /// The settings block itself.
    pub(crate) fn block(&self) -> Option<&skel_syntax::Block> {
        match &*self.ast {
            skel_syntax::Item::Block(block) => Some(block),
            _ => None,
        }
    }

    /// Where `block` (this settings block or one inside it) starts.
    pub(crate) fn at(&self, db: &dyn Db, block: &skel_syntax::Block) -> SourceLocation {
        location(
            db,
            self.file,
            self.offset.saturating_add(block.ident.range.start()),
        )
    }
}

/// An absolute form of `path` (lexical: the file system is not touched).
pub(crate) fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// The location of an absolute byte offset of `file`.
pub(crate) fn location(db: &dyn Db, file: File, offset: TextSize) -> SourceLocation {
    let line_col = skel_db::line_index(db, file).line_col(offset);
    SourceLocation {
        file: absolute(file.path(db)),
        line: line_col.line,
        column: line_col.column,
    }
}
