//! Editor features over the compiler database, as plain data (no `lsp_types` here): hover,
//! completion, go to definition, references, rename, symbols, semantic tokens, inlay hints,
//! code actions, formatting and per-file diagnostics.
//!
//! Every position and range is an absolute byte offset into the file's current text; the
//! language server converts to and from UTF-16 line/column.

mod actions;
mod completion;
mod goto;
mod hints;
mod hover;
mod references;
mod rename;
pub use rename::RenameError;
mod resolve;
mod scan;
mod symbols;
#[cfg(test)]
mod tests;
mod tokens;

use skel_db::{Db, Diagnostic, File};
use skel_syntax::{TextRange, TextSize};

/// A position in a file.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct FilePosition {
    pub file: File,
    pub offset: TextSize,
}

/// What kind of thing a symbol or navigation target is.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum SymbolKind {
    Variable,
    Local,
    Resource,
    DataSource,
    Module,
    Output,
    Provider,
    Settings,
    Attribute,
    Block,
    Function,
}

/// A place to jump to: `full_range` covers the whole definition, `focus_range` its name.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct NavigationTarget {
    pub file: File,
    pub full_range: TextRange,
    pub focus_range: TextRange,
    pub name: String,
    pub kind: SymbolKind,
}

#[derive(Clone, PartialEq, Eq, Debug)]
pub struct HoverResult {
    /// Markdown.
    pub markdown: String,
    /// The range the hover is about.
    pub range: TextRange,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum CompletionKind {
    Keyword,
    BlockType,
    ResourceType,
    Argument,
    Block,
    Variable,
    Local,
    Module,
    Output,
    Attribute,
    Function,
    Snippet,
}

#[derive(Clone, PartialEq, Eq, Debug)]
pub struct CompletionItem {
    pub label: String,
    pub kind: CompletionKind,
    /// A one-line detail (a type, a signature).
    pub detail: Option<String>,
    /// Markdown documentation.
    pub documentation: Option<String>,
    /// The text to insert; a snippet with `$1`/`${1:x}` placeholders when `is_snippet`.
    pub insert_text: String,
    pub is_snippet: bool,
    /// Sorts required arguments first.
    pub sort_text: Option<String>,
    /// The range the completion replaces (the word being typed).
    pub replace_range: TextRange,
}

#[derive(Clone, PartialEq, Eq, Debug)]
pub struct TextEdit {
    pub range: TextRange,
    pub new_text: String,
}

/// Edits across files.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct SourceChange {
    pub edits: Vec<(File, Vec<TextEdit>)>,
}

#[derive(Clone, PartialEq, Eq, Debug)]
pub struct DocumentSymbol {
    pub name: String,
    pub detail: Option<String>,
    pub kind: SymbolKind,
    pub range: TextRange,
    pub selection_range: TextRange,
    pub children: Vec<DocumentSymbol>,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum TokenKind {
    Keyword,
    BlockType,
    Label,
    Property,
    Variable,
    Function,
    String,
    Number,
    Operator,
    Comment,
    Type,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct SemanticToken {
    pub range: TextRange,
    pub kind: TokenKind,
    /// A definition (the name in a block header or a local's name) rather than a use.
    pub declaration: bool,
}

#[derive(Clone, PartialEq, Eq, Debug)]
pub struct InlayHint {
    /// Where the hint is shown (after the name it describes).
    pub offset: TextSize,
    /// e.g. `: list(string)`
    pub label: String,
}

#[derive(Clone, PartialEq, Eq, Debug)]
pub struct CodeAction {
    pub title: String,
    pub edit: SourceChange,
    /// The diagnostic code this action fixes, if any.
    pub fixes: Option<&'static str>,
}

/// The diagnostics of one file (from its module's check, and the project's variable checks
/// when the file is in the root module), with spans resolved by the caller.
pub fn file_diagnostics(db: &dyn Db, file: File) -> Vec<Diagnostic> {
    let dir = skel_hir::module_of(db, file);
    skel_types::check_module(db, dir)
        .iter()
        .filter(|d| d.span.file == file)
        .cloned()
        .collect()
}

pub fn hover(db: &dyn Db, position: FilePosition) -> Option<HoverResult> {
    hover::hover(db, position)
}

pub fn completions(db: &dyn Db, position: FilePosition) -> Vec<CompletionItem> {
    completion::completions(db, position)
}

pub fn goto_definition(db: &dyn Db, position: FilePosition) -> Vec<NavigationTarget> {
    goto::goto_definition(db, position)
}

/// Every reference to the definition at `position` (across modules), optionally with the
/// declaration itself.
pub fn references(
    db: &dyn Db,
    position: FilePosition,
    include_declaration: bool,
) -> Vec<(File, TextRange)> {
    references::references(db, position, include_declaration)
}

/// The range of the name that would be renamed, or why renaming here is refused.
pub fn prepare_rename(db: &dyn Db, position: FilePosition) -> Result<TextRange, RenameError> {
    rename::prepare_rename(db, position)
}

/// Rename the definition at `position` and every reference, across modules; refuses with a
/// reason when unsafe (invalid identifier, name already taken, not a renameable symbol).
pub fn rename(
    db: &dyn Db,
    position: FilePosition,
    new_name: &str,
) -> Result<SourceChange, RenameError> {
    rename::rename(db, position, new_name)
}

pub fn document_symbols(db: &dyn Db, file: File) -> Vec<DocumentSymbol> {
    symbols::document_symbols(db, file)
}

/// Symbols of the given files matching `query` (case-insensitive subsequence).
pub fn workspace_symbols(db: &dyn Db, files: &[File], query: &str) -> Vec<NavigationTarget> {
    symbols::workspace_symbols(db, files, query)
}

/// Semantic tokens of a file, in order, non-overlapping.
pub fn semantic_tokens(db: &dyn Db, file: File) -> Vec<SemanticToken> {
    tokens::semantic_tokens(db, file)
}

/// Inferred types of locals and module outputs.
pub fn inlay_hints(db: &dyn Db, file: File, range: TextRange) -> Vec<InlayHint> {
    hints::inlay_hints(db, file, range)
}

/// Quick fixes for the diagnostics overlapping `range` (did-you-mean replacements, …).
pub fn code_actions(db: &dyn Db, file: File, range: TextRange) -> Vec<CodeAction> {
    actions::code_actions(db, file, range)
}

/// The whole-file edit that formats `file`, `None` if it has syntax errors or is formatted.
pub fn format(db: &dyn Db, file: File) -> Option<Vec<TextEdit>> {
    let text = file.text(db).clone()?;
    let formatted = skel_syntax::format(&text).ok()?;
    (formatted != *text).then(|| {
        vec![TextEdit {
            range: TextRange::new(0, text.len() as TextSize),
            new_text: formatted,
        }]
    })
}
