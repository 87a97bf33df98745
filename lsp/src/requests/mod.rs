//! One module per LSP request: each turns LSP parameters into `skel_ide` calls on a snapshot
//! and the plain-data answers back into `lsp_types`. They run on blocking threads.

pub mod code_actions;
pub mod completion;
pub mod formatting;
pub mod hover;
pub mod inlay_hints;
pub mod navigation;
pub mod rename;
pub mod semantic_tokens;
pub mod symbols;

use tower_lsp::lsp_types::SymbolKind as LspSymbolKind;

pub fn symbol_kind(kind: skel_ide::SymbolKind) -> LspSymbolKind {
    use skel_ide::SymbolKind as K;
    match kind {
        K::Variable => LspSymbolKind::VARIABLE,
        K::Local => LspSymbolKind::CONSTANT,
        K::Resource => LspSymbolKind::OBJECT,
        K::DataSource => LspSymbolKind::STRUCT,
        K::Module => LspSymbolKind::MODULE,
        K::Output => LspSymbolKind::PROPERTY,
        K::Provider => LspSymbolKind::INTERFACE,
        K::Settings => LspSymbolKind::NAMESPACE,
        K::Attribute => LspSymbolKind::FIELD,
        K::Block => LspSymbolKind::STRUCT,
        K::Function => LspSymbolKind::FUNCTION,
    }
}
