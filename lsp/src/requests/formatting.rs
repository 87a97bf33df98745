//! `textDocument/formatting`: the canonical format, nothing for files with syntax errors.

use tower_lsp::lsp_types::{DocumentFormattingParams, TextEdit};

use crate::snapshot::Snapshot;

pub fn formatting(snap: &Snapshot, params: DocumentFormattingParams) -> Option<Vec<TextEdit>> {
    let file = snap.file(&params.text_document.uri)?;
    let edits = skel_ide::format(&snap.db, file).unwrap_or_default();
    Some(snap.text_edits(file, &edits))
}
