//! `textDocument/inlayHint`: inferred types of locals and module outputs.

use tower_lsp::lsp_types::{InlayHint, InlayHintKind, InlayHintLabel, InlayHintParams};

use crate::snapshot::Snapshot;

pub fn inlay_hints(snap: &Snapshot, params: InlayHintParams) -> Option<Vec<InlayHint>> {
    let file = snap.file(&params.text_document.uri)?;
    let lines = snap.lines(file);
    let range = lines.text_range(params.range);
    Some(
        skel_ide::inlay_hints(&snap.db, file, range)
            .into_iter()
            .map(|hint| InlayHint {
                position: lines.position(hint.offset),
                label: InlayHintLabel::String(hint.label),
                kind: Some(InlayHintKind::TYPE),
                text_edits: None,
                tooltip: None,
                padding_left: None,
                padding_right: None,
                data: None,
            })
            .collect(),
    )
}
