//! `textDocument/prepareRename` and `textDocument/rename`; refusals become request errors
//! carrying `skel_ide`'s reason, which editors show to the user.

use tower_lsp::jsonrpc::{Error, ErrorCode};
use tower_lsp::lsp_types::{
    PrepareRenameResponse, RenameParams, TextDocumentPositionParams, WorkspaceEdit,
};

use crate::snapshot::Snapshot;

fn refused(reason: skel_ide::RenameError) -> Error {
    Error {
        code: ErrorCode::InvalidRequest,
        message: reason.to_string().into(),
        data: None,
    }
}

pub fn prepare_rename(
    snap: &Snapshot,
    params: TextDocumentPositionParams,
) -> Result<Option<PrepareRenameResponse>, Error> {
    let Some(position) = snap.position(&params.text_document.uri, params.position) else {
        return Ok(None);
    };
    let range = skel_ide::prepare_rename(&snap.db, position).map_err(refused)?;
    Ok(Some(PrepareRenameResponse::Range(
        snap.lines(position.file).range(range),
    )))
}

pub fn rename(snap: &Snapshot, params: RenameParams) -> Result<Option<WorkspaceEdit>, Error> {
    let at = params.text_document_position;
    let Some(position) = snap.position(&at.text_document.uri, at.position) else {
        return Ok(None);
    };
    let change = skel_ide::rename(&snap.db, position, &params.new_name).map_err(refused)?;
    Ok(Some(snap.workspace_edit(&change)))
}
