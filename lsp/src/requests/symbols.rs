//! `textDocument/documentSymbol` and `workspace/symbol`.

use tower_lsp::lsp_types::{
    DocumentSymbol, DocumentSymbolParams, DocumentSymbolResponse, SymbolInformation,
    WorkspaceSymbolParams,
};

use crate::position::Lines;
use crate::requests::symbol_kind;
use crate::snapshot::Snapshot;

pub fn document_symbols(
    snap: &Snapshot,
    params: DocumentSymbolParams,
) -> Option<DocumentSymbolResponse> {
    let file = snap.file(&params.text_document.uri)?;
    let lines = snap.lines(file);
    let symbols = skel_ide::document_symbols(&snap.db, file)
        .iter()
        .map(|s| convert(&lines, s))
        .collect();
    Some(DocumentSymbolResponse::Nested(symbols))
}

#[allow(deprecated)] // `deprecated` is a required field of the struct
fn convert(lines: &Lines, symbol: &skel_ide::DocumentSymbol) -> DocumentSymbol {
    DocumentSymbol {
        name: symbol.name.clone(),
        detail: symbol.detail.clone(),
        kind: symbol_kind(symbol.kind),
        tags: None,
        deprecated: None,
        range: lines.range(symbol.range),
        selection_range: lines.range(symbol.selection_range),
        children: (!symbol.children.is_empty())
            .then(|| symbol.children.iter().map(|c| convert(lines, c)).collect()),
    }
}

#[allow(deprecated)] // `deprecated` is a required field of the struct
pub fn workspace_symbols(
    snap: &Snapshot,
    params: WorkspaceSymbolParams,
) -> Option<Vec<SymbolInformation>> {
    let files = snap.workspace_files();
    Some(
        skel_ide::workspace_symbols(&snap.db, &files, &params.query)
            .into_iter()
            .filter_map(|target| {
                Some(SymbolInformation {
                    name: target.name,
                    kind: symbol_kind(target.kind),
                    tags: None,
                    deprecated: None,
                    location: snap.location(target.file, target.focus_range)?,
                    container_name: None,
                })
            })
            .collect(),
    )
}
