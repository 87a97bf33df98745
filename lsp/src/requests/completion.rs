//! `textDocument/completion`.

use skel_ide::CompletionKind;
use tower_lsp::lsp_types::{
    CompletionItem, CompletionItemKind, CompletionParams, CompletionResponse, CompletionTextEdit,
    Documentation, InsertTextFormat, MarkupContent, MarkupKind, TextEdit,
};

use crate::snapshot::Snapshot;

pub fn completion(snap: &Snapshot, params: CompletionParams) -> Option<CompletionResponse> {
    let at = params.text_document_position;
    let position = snap.position(&at.text_document.uri, at.position)?;
    let lines = snap.lines(position.file);
    let items = skel_ide::completions(&snap.db, position)
        .into_iter()
        .map(|item| CompletionItem {
            kind: Some(kind(item.kind)),
            detail: item.detail,
            documentation: item.documentation.map(|value| {
                Documentation::MarkupContent(MarkupContent {
                    kind: MarkupKind::Markdown,
                    value,
                })
            }),
            insert_text_format: Some(if item.is_snippet {
                InsertTextFormat::SNIPPET
            } else {
                InsertTextFormat::PLAIN_TEXT
            }),
            sort_text: item.sort_text,
            text_edit: Some(CompletionTextEdit::Edit(TextEdit {
                range: lines.range(item.replace_range),
                new_text: item.insert_text,
            })),
            label: item.label,
            ..CompletionItem::default()
        })
        .collect();
    Some(CompletionResponse::Array(items))
}

fn kind(kind: CompletionKind) -> CompletionItemKind {
    match kind {
        CompletionKind::Keyword => CompletionItemKind::KEYWORD,
        CompletionKind::BlockType => CompletionItemKind::STRUCT,
        CompletionKind::ResourceType => CompletionItemKind::CLASS,
        CompletionKind::Argument => CompletionItemKind::PROPERTY,
        CompletionKind::Block => CompletionItemKind::STRUCT,
        CompletionKind::Variable => CompletionItemKind::VARIABLE,
        CompletionKind::Local => CompletionItemKind::CONSTANT,
        CompletionKind::Module => CompletionItemKind::MODULE,
        CompletionKind::Output => CompletionItemKind::FIELD,
        CompletionKind::Attribute => CompletionItemKind::FIELD,
        CompletionKind::Function => CompletionItemKind::FUNCTION,
        CompletionKind::Snippet => CompletionItemKind::SNIPPET,
    }
}
