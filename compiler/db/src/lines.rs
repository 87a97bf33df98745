//! Line starts of a text, to turn byte offsets into 1-based lines and character columns.

use skel_syntax::TextSize;

/// A 1-based line and a 1-based column counted in characters.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct LineCol {
    pub line: u32,
    pub column: u32,
}

#[derive(Clone, PartialEq, Eq, Debug)]
pub struct LineIndex {
    line_starts: Vec<TextSize>,
    text: std::sync::Arc<str>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut line_starts = vec![0];
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                line_starts.push(i as TextSize + 1);
            }
        }
        LineIndex {
            line_starts,
            text: text.into(),
        }
    }

    /// The 0-based line containing `offset`.
    pub fn line_of(&self, offset: TextSize) -> usize {
        match self.line_starts.binary_search(&offset) {
            Ok(line) => line,
            Err(next) => next - 1,
        }
    }

    pub fn line_start(&self, line: usize) -> Option<TextSize> {
        self.line_starts.get(line).copied()
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// 1-based line and character column of a byte offset (clamped to the text).
    pub fn line_col(&self, offset: TextSize) -> LineCol {
        let offset = offset.min(self.text.len() as TextSize);
        let line = self.line_of(offset);
        let start = self.line_starts[line] as usize;
        let mut end = offset as usize;
        while !self.text.is_char_boundary(end) {
            end -= 1;
        }
        let start = start.max(self.bom_end(start).min(end));
        let column = self.text[start..end].chars().count() as u32 + 1;
        LineCol {
            line: line as u32 + 1,
            column,
        }
    }

    /// The byte offset of a 0-based line and a column counted in UTF-16 code units (LSP).
    pub fn offset_utf16(&self, line: u32, character: u32) -> TextSize {
        let Some(start) = self.line_start(line as usize) else {
            return self.text.len() as TextSize;
        };
        let end = self
            .line_start(line as usize + 1)
            .unwrap_or(self.text.len() as TextSize);
        let start = self.bom_end(start as usize) as TextSize;
        let mut units = 0u32;
        for (i, c) in self.text[start as usize..end as usize].char_indices() {
            if units >= character || c == '\n' {
                return start + i as TextSize;
            }
            units += c.len_utf16() as u32;
        }
        end
    }

    /// Where columns start counting on the line starting at `line_start`: after the byte-order
    /// mark that opens a file, which is no column (as in HCL, and editors hide it).
    fn bom_end(&self, line_start: usize) -> usize {
        if line_start == 0 && self.text.starts_with('\u{FEFF}') {
            '\u{FEFF}'.len_utf8()
        } else {
            line_start
        }
    }

    /// The 0-based line and UTF-16 column of a byte offset (LSP).
    pub fn position_utf16(&self, offset: TextSize) -> (u32, u32) {
        let offset = offset.min(self.text.len() as TextSize);
        let line = self.line_of(offset);
        let start = self.line_starts[line] as usize;
        let mut end = offset as usize;
        while !self.text.is_char_boundary(end) {
            end -= 1;
        }
        let start = start.max(self.bom_end(start).min(end));
        let units: usize = self.text[start..end].chars().map(char::len_utf16).sum();
        (line as u32, units as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_characters() {
        let index = LineIndex::new("a = 1\nb = \"é\" + x\n");
        assert_eq!(index.line_col(0), LineCol { line: 1, column: 1 });
        assert_eq!(index.line_col(6), LineCol { line: 2, column: 1 });
        // "é" is two bytes: the `+` after it is at byte 15, character column 9.
        assert_eq!(index.line_col(15), LineCol { line: 2, column: 9 });
        assert_eq!(index.position_utf16(15), (1, 8));
        assert_eq!(index.offset_utf16(1, 8), 15);
    }

    #[test]
    fn a_byte_order_mark_is_no_column() {
        let index = LineIndex::new("\u{FEFF}a = 1\nb = 2\n");
        assert_eq!(index.line_col(3), LineCol { line: 1, column: 1 });
        assert_eq!(index.line_col(7), LineCol { line: 1, column: 5 });
        assert_eq!(index.line_col(0), LineCol { line: 1, column: 1 });
        assert_eq!(index.position_utf16(7), (0, 4));
        assert_eq!(index.position_utf16(0), (0, 0));
        assert_eq!(index.offset_utf16(0, 0), 3);
        assert_eq!(index.offset_utf16(0, 4), 7);
        assert_eq!(index.line_col(9), LineCol { line: 2, column: 1 });
        assert_eq!(index.offset_utf16(1, 2), 11);
    }
}
