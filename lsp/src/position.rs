//! Converting between byte offsets and LSP positions in the negotiated encoding (UTF-16 by
//! default, UTF-8 when the client offers it), and applying incremental text edits.

use std::sync::Arc;

use skel_db::LineIndex;
use skel_syntax::{TextRange, TextSize};
use tower_lsp::lsp_types::{Position, PositionEncodingKind, Range, TextDocumentContentChangeEvent};

/// How LSP `character` offsets count.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum Encoding {
    #[default]
    Utf16,
    Utf8,
}

impl Encoding {
    /// UTF-8 when the client lists it, else the protocol default UTF-16.
    pub fn negotiate(offered: Option<&[PositionEncodingKind]>) -> Encoding {
        match offered {
            Some(kinds) if kinds.contains(&PositionEncodingKind::UTF8) => Encoding::Utf8,
            _ => Encoding::Utf16,
        }
    }

    pub fn kind(self) -> PositionEncodingKind {
        match self {
            Encoding::Utf16 => PositionEncodingKind::UTF16,
            Encoding::Utf8 => PositionEncodingKind::UTF8,
        }
    }
}

/// A text with its line index, converting positions both ways.
pub struct Lines {
    pub index: Arc<LineIndex>,
    pub text: Arc<str>,
    pub encoding: Encoding,
}

impl Lines {
    pub fn new(text: &str, encoding: Encoding) -> Lines {
        Lines {
            index: Arc::new(LineIndex::new(text)),
            text: Arc::from(text),
            encoding,
        }
    }

    pub fn offset(&self, position: Position) -> TextSize {
        match self.encoding {
            Encoding::Utf16 => self.index.offset_utf16(position.line, position.character),
            Encoding::Utf8 => {
                let len = self.text.len() as TextSize;
                let Some(start) = self.index.line_start(position.line as usize) else {
                    return len;
                };
                let end = self
                    .index
                    .line_start(position.line as usize + 1)
                    .map(|next| next - 1)
                    .unwrap_or(len);
                let mut offset = (start + position.character).min(end) as usize;
                while !self.text.is_char_boundary(offset) {
                    offset -= 1;
                }
                offset as TextSize
            }
        }
    }

    pub fn position(&self, offset: TextSize) -> Position {
        let (line, character) = match self.encoding {
            Encoding::Utf16 => self.index.position_utf16(offset),
            Encoding::Utf8 => {
                let offset = offset.min(self.text.len() as TextSize);
                let line = self.index.line_of(offset);
                let start = self.index.line_start(line).unwrap_or(0);
                (line as u32, offset - start)
            }
        };
        Position { line, character }
    }

    pub fn range(&self, range: TextRange) -> Range {
        Range {
            start: self.position(range.start()),
            end: self.position(range.end()),
        }
    }

    pub fn text_range(&self, range: Range) -> TextRange {
        let start = self.offset(range.start);
        let end = self.offset(range.end).max(start);
        TextRange::new(start, end)
    }
}

/// Apply `didChange` content changes, in order, to a document's text.
pub fn apply_changes(
    text: &str,
    changes: Vec<TextDocumentContentChangeEvent>,
    encoding: Encoding,
) -> String {
    let mut text = text.to_string();
    for change in changes {
        match change.range {
            None => text = change.text,
            Some(range) => {
                let range = Lines::new(&text, encoding).text_range(range);
                text.replace_range(range.start() as usize..range.end() as usize, &change.text);
            }
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(l0: u32, c0: u32, l1: u32, c1: u32, text: &str) -> TextDocumentContentChangeEvent {
        TextDocumentContentChangeEvent {
            range: Some(Range::new(Position::new(l0, c0), Position::new(l1, c1))),
            range_length: None,
            text: text.into(),
        }
    }

    #[test]
    fn edits_count_utf16_units_by_default() {
        let text = "a = \"é😀\" + x\nb = 1\n";
        // `x` is after `a = "é😀" + `: é is 1 unit, 😀 is 2 units, so column 12.
        let out = apply_changes(text, vec![change(0, 12, 0, 13, "y")], Encoding::Utf16);
        assert_eq!(out, "a = \"é😀\" + y\nb = 1\n");
        // In UTF-8, é is 2 bytes and 😀 is 4: column 15.
        let out = apply_changes(text, vec![change(0, 15, 0, 16, "z")], Encoding::Utf8);
        assert_eq!(out, "a = \"é😀\" + z\nb = 1\n");
    }

    #[test]
    fn positions_round_trip() {
        let text = "é = 1\n😀 = 2\n";
        for encoding in [Encoding::Utf16, Encoding::Utf8] {
            let lines = Lines::new(text, encoding);
            for offset in [0, 2, 7, 11, 12, text.len() as u32] {
                assert_eq!(lines.offset(lines.position(offset)), offset, "{encoding:?}");
            }
        }
        let lines = Lines::new(text, Encoding::Utf16);
        assert_eq!(lines.position(12), Position::new(1, 3));
    }
}
