//! `textDocument/hover`.

use tower_lsp::lsp_types::{Hover, HoverContents, HoverParams, MarkupContent, MarkupKind};

use crate::snapshot::Snapshot;

pub fn hover(snap: &Snapshot, params: HoverParams) -> Option<Hover> {
    let at = params.text_document_position_params;
    let position = snap.position(&at.text_document.uri, at.position)?;
    let result = skel_ide::hover(&snap.db, position)?;
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: result.markdown,
        }),
        range: Some(snap.lines(position.file).range(result.range)),
    })
}
