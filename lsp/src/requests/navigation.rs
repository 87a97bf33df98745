//! `textDocument/definition` and `textDocument/references`.

use tower_lsp::lsp_types::{
    GotoDefinitionParams, GotoDefinitionResponse, Location, ReferenceParams,
};

use crate::snapshot::Snapshot;

pub fn definition(snap: &Snapshot, params: GotoDefinitionParams) -> Option<GotoDefinitionResponse> {
    let at = params.text_document_position_params;
    let position = snap.position(&at.text_document.uri, at.position)?;
    let targets: Vec<Location> = skel_ide::goto_definition(&snap.db, position)
        .iter()
        .filter_map(|t| snap.location(t.file, t.focus_range))
        .collect();
    (!targets.is_empty()).then_some(GotoDefinitionResponse::Array(targets))
}

pub fn references(snap: &Snapshot, params: ReferenceParams) -> Option<Vec<Location>> {
    let at = params.text_document_position;
    let position = snap.position(&at.text_document.uri, at.position)?;
    let include_declaration = params.context.include_declaration;
    Some(
        skel_ide::references(&snap.db, position, include_declaration)
            .into_iter()
            .filter_map(|(file, range)| snap.location(file, range))
            .collect(),
    )
}
