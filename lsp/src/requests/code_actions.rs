//! `textDocument/codeAction`: quick fixes, linked to the client's diagnostics they fix.

use tower_lsp::lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionParams, CodeActionResponse,
    NumberOrString,
};

use crate::snapshot::Snapshot;

pub fn code_actions(snap: &Snapshot, params: CodeActionParams) -> Option<CodeActionResponse> {
    let file = snap.file(&params.text_document.uri)?;
    let range = snap.lines(file).text_range(params.range);
    let actions = skel_ide::code_actions(&snap.db, file, range)
        .into_iter()
        .map(|action| {
            let fixed: Vec<_> = params
                .context
                .diagnostics
                .iter()
                .filter(|d| {
                    matches!((&d.code, action.fixes),
                        (Some(NumberOrString::String(code)), Some(fixes)) if code == fixes)
                })
                .cloned()
                .collect();
            CodeActionOrCommand::CodeAction(CodeAction {
                title: action.title,
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: (!fixed.is_empty()).then_some(fixed),
                edit: Some(snap.workspace_edit(&action.edit)),
                ..CodeAction::default()
            })
        })
        .collect();
    Some(actions)
}
