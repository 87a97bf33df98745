//! A forgiving lexical scan of a file up to (and past) the cursor, for completion on text
//! that does not parse: which blocks enclose the cursor, whether it is in a string, comment or
//! expression, and which arguments each enclosing block already sets.

/// What encloses a position.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Frame {
    /// A block body; the index into [`Scan::blocks`].
    Block(usize),
    /// `{` of an object constructor.
    Brace,
    Paren,
    Bracket,
    /// A quoted string.
    Str,
    /// A heredoc.
    Heredoc,
    /// `${ … }` or `%{ … }` inside a template.
    Interp,
}

/// A block seen by the scan.
#[derive(Clone, Default, Debug)]
pub(crate) struct ScannedBlock {
    /// The block type and its labels, as written (labels without quotes).
    pub header: Vec<String>,
    /// Argument and nested block names set directly in its body.
    pub names: Vec<String>,
}

#[derive(Clone, Default, Debug)]
pub(crate) struct Scan {
    pub blocks: Vec<ScannedBlock>,
    /// The frames enclosing the cursor, outermost first.
    pub stack: Vec<Frame>,
    pub in_comment: bool,
    /// Where the statement (argument or block header) containing the cursor starts.
    pub stmt_start: usize,
}

impl Scan {
    /// The headers of the blocks enclosing the cursor, outermost first.
    pub fn block_path(&self) -> Vec<&ScannedBlock> {
        self.stack
            .iter()
            .filter_map(|f| match f {
                Frame::Block(i) => self.blocks.get(*i),
                _ => None,
            })
            .collect()
    }

    pub fn innermost(&self) -> Option<Frame> {
        self.stack.last().copied()
    }
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// Split a block header's text into its words: identifiers and quoted labels. `None` if it is
/// not a header (an `=`, an operator…).
fn header_words(text: &str) -> Option<Vec<String>> {
    let b = text.as_bytes();
    let mut words = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c == b'"' {
            let start = i + 1;
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            words.push(text.get(start..i.min(b.len()))?.to_string());
            i += 1;
        } else if is_ident(c) {
            let start = i;
            while i < b.len() && is_ident(b[i]) {
                i += 1;
            }
            words.push(text[start..i].to_string());
        } else {
            return None;
        }
    }
    (!words.is_empty() && !words[0].starts_with('"')).then_some(words)
}

/// Scan `text`, recording the state at `cursor`.
pub(crate) fn scan(text: &str, cursor: usize) -> Scan {
    let b = text.as_bytes();
    let mut out = Scan::default();
    let mut stack: Vec<Frame> = Vec::new();
    let mut stmt_start = 0usize;
    let mut heredoc_markers: Vec<String> = Vec::new();
    let mut snapped = false;
    let mut i = 0usize;
    let body_level = |stack: &[Frame]| matches!(stack.last(), None | Some(Frame::Block(_)));
    while i < b.len() {
        if !snapped && i >= cursor {
            out.stack = stack.clone();
            out.stmt_start = stmt_start;
            snapped = true;
        }
        let c = b[i];
        let top = stack.last().copied();
        match top {
            Some(Frame::Str) => {
                match c {
                    b'\\' => i += 1,
                    b'"' | b'\n' => {
                        stack.pop();
                    }
                    b'$' | b'%' if b.get(i + 1) == Some(&b'{') => {
                        stack.push(Frame::Interp);
                        i += 1;
                    }
                    _ => {}
                }
                i += 1;
                continue;
            }
            Some(Frame::Heredoc) => {
                let line_start = i == 0 || b[i - 1] == b'\n';
                if line_start {
                    let end = text[i..].find('\n').map_or(b.len(), |n| i + n);
                    let marker = heredoc_markers.last().map(String::as_str).unwrap_or("");
                    if text[i..end].trim() == marker {
                        stack.pop();
                        heredoc_markers.pop();
                        i = end;
                        continue;
                    }
                }
                if (c == b'$' || c == b'%') && b.get(i + 1) == Some(&b'{') {
                    stack.push(Frame::Interp);
                    i += 1;
                }
                i += 1;
                continue;
            }
            _ => {}
        }
        // Code.
        if c == b'#' || (c == b'/' && b.get(i + 1) == Some(&b'/')) {
            let end = text[i..].find('\n').map_or(b.len(), |n| i + n);
            if !snapped && cursor > i && cursor <= end {
                out.in_comment = true;
            }
            i = end;
            continue;
        }
        if c == b'/' && b.get(i + 1) == Some(&b'*') {
            let end = text[i + 2..].find("*/").map_or(b.len(), |n| i + 2 + n + 2);
            if !snapped && cursor > i && cursor < end {
                out.in_comment = true;
            }
            i = end;
            continue;
        }
        match c {
            b'"' => stack.push(Frame::Str),
            b'<' if b.get(i + 1) == Some(&b'<') => {
                let mut j = i + 2;
                if b.get(j) == Some(&b'-') {
                    j += 1;
                }
                let start = j;
                while j < b.len() && is_ident(b[j]) {
                    j += 1;
                }
                if j > start {
                    heredoc_markers.push(text[start..j].to_string());
                    stack.push(Frame::Heredoc);
                    // The body starts on the next line.
                    let end = text[j..].find('\n').map_or(b.len(), |n| j + n + 1);
                    i = end;
                    continue;
                }
            }
            b'{' => {
                let header = if body_level(&stack) {
                    text.get(stmt_start..i).and_then(header_words)
                } else {
                    None
                };
                match header {
                    Some(header) => {
                        if let Some(Frame::Block(parent)) = stack.last() {
                            let name = header[0].clone();
                            out.blocks[*parent].names.push(name);
                        }
                        out.blocks.push(ScannedBlock {
                            header,
                            names: Vec::new(),
                        });
                        stack.push(Frame::Block(out.blocks.len() - 1));
                    }
                    None => stack.push(Frame::Brace),
                }
                stmt_start = i + 1;
            }
            b'}' => {
                while let Some(f) = stack.pop() {
                    if matches!(f, Frame::Block(_) | Frame::Brace | Frame::Interp) {
                        break;
                    }
                }
                if body_level(&stack) {
                    stmt_start = i + 1;
                }
            }
            b'(' => stack.push(Frame::Paren),
            b'[' => stack.push(Frame::Bracket),
            b')' | b']' => {
                let want = if c == b')' {
                    Frame::Paren
                } else {
                    Frame::Bracket
                };
                if stack.last() == Some(&want) {
                    stack.pop();
                }
            }
            b'\n' if body_level(&stack) => stmt_start = i + 1,
            b'=' if body_level(&stack) => {
                let name = text.get(stmt_start..i).map(str::trim).unwrap_or("");
                let next = b.get(i + 1).copied();
                if next != Some(b'=') && !name.is_empty() && name.bytes().all(is_ident) {
                    if let Some(Frame::Block(idx)) = stack.last() {
                        out.blocks[*idx].names.push(name.to_string());
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    if !snapped {
        out.stack = stack;
        out.stmt_start = stmt_start;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_enclosing_blocks() {
        let text = "resource \"aws_instance\" \"x\" {\n  ami = \"a\"\n  ebs_block_device {\n    \n  }\n  tags = { a = 1 }\n}\n";
        let cursor = text.find("    \n").unwrap() + 4;
        let s = scan(text, cursor);
        let path: Vec<_> = s.block_path().iter().map(|b| b.header.join(" ")).collect();
        assert_eq!(path, ["resource aws_instance x", "ebs_block_device"]);
        assert_eq!(s.blocks[0].names, ["ami", "ebs_block_device", "tags"]);
        let s = scan(text, text.find("a = 1").unwrap());
        assert_eq!(s.innermost(), Some(Frame::Brace));
    }
}
