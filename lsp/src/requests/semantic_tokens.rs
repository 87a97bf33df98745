//! `textDocument/semanticTokens/full`: the legend follows `skel_ide::TokenKind`; tokens that
//! span lines (heredocs, block comments) are split per line, as clients without multiline
//! token support require.

use skel_ide::TokenKind;
use tower_lsp::lsp_types::{
    SemanticToken, SemanticTokenModifier, SemanticTokenType, SemanticTokens, SemanticTokensLegend,
    SemanticTokensParams, SemanticTokensResult,
};

use crate::snapshot::Snapshot;

/// Legend order: the index of a kind here is its token type number.
const KINDS: [(TokenKind, SemanticTokenType); 11] = [
    (TokenKind::Keyword, SemanticTokenType::KEYWORD),
    (TokenKind::BlockType, SemanticTokenType::STRUCT),
    (TokenKind::Label, SemanticTokenType::CLASS),
    (TokenKind::Property, SemanticTokenType::PROPERTY),
    (TokenKind::Variable, SemanticTokenType::VARIABLE),
    (TokenKind::Function, SemanticTokenType::FUNCTION),
    (TokenKind::String, SemanticTokenType::STRING),
    (TokenKind::Number, SemanticTokenType::NUMBER),
    (TokenKind::Operator, SemanticTokenType::OPERATOR),
    (TokenKind::Comment, SemanticTokenType::COMMENT),
    (TokenKind::Type, SemanticTokenType::TYPE),
];

pub fn legend() -> SemanticTokensLegend {
    SemanticTokensLegend {
        token_types: KINDS.iter().map(|(_, t)| t.clone()).collect(),
        token_modifiers: vec![SemanticTokenModifier::DECLARATION],
    }
}

fn type_index(kind: TokenKind) -> u32 {
    KINDS.iter().position(|(k, _)| *k == kind).unwrap_or(0) as u32
}

pub fn semantic_tokens(
    snap: &Snapshot,
    params: SemanticTokensParams,
) -> Option<SemanticTokensResult> {
    let file = snap.file(&params.text_document.uri)?;
    let lines = snap.lines(file);
    let mut data = Vec::new();
    let (mut prev_line, mut prev_start) = (0u32, 0u32);
    for token in skel_ide::semantic_tokens(&snap.db, file) {
        let start = lines.position(token.range.start());
        let end = lines.position(token.range.end());
        for line in start.line..=end.line {
            let from = if line == start.line {
                start.character
            } else {
                0
            };
            let to = if line == end.line {
                end.character
            } else {
                // The end of this line, before its newline.
                let next = lines.index.line_start(line as usize + 1).unwrap_or(0);
                lines.position(next.saturating_sub(1)).character
            };
            if to <= from {
                continue;
            }
            let delta_line = line - prev_line;
            let delta_start = if delta_line == 0 {
                from - prev_start
            } else {
                from
            };
            data.push(SemanticToken {
                delta_line,
                delta_start,
                length: to - from,
                token_type: type_index(token.kind),
                token_modifiers_bitset: u32::from(token.declaration),
            });
            (prev_line, prev_start) = (line, from);
        }
    }
    Some(SemanticTokensResult::Tokens(SemanticTokens {
        result_id: None,
        data,
    }))
}
