//! The hand-written fast path: a byte-level recursive-descent parser equivalent to the pest
//! grammar (`grammar.pest` plus `build.rs`) on the scanner's normalized text.
//!
//! It mirrors the PEG exactly: the same ordered choices, the same implicit whitespace and
//! comment skipping between tokens, the same backtracking on failed repetitions and options.
//! It never reports errors: when the text does not parse, or when the pest builder would
//! report an error (too deep, bad escape, misnested directive…), it returns `None` and the
//! caller falls back to pest, which stays the executable specification and the source of every
//! error message. `tests/differential.rs` and the fuzz target check the equivalence.

mod expr;
mod template;

use crate::ast::*;
use crate::build::MAX_EXPR_DEPTH;

/// Recursion guard: nested expressions deeper than this give up (pest then decides). The
/// scanner's depth limit keeps real inputs far below it.
const MAX_NEST: u32 = 400;

/// Parses one top-level item (`top_item = SOI item EOI`); ranges are relative to `text`.
pub(crate) fn parse_item(text: &str) -> Option<Item> {
    let mut p = Parser::new(text);
    p.skip();
    let item = p.item()?;
    p.skip();
    (p.pos == p.b.len() && !p.bad).then_some(item)
}

/// Parses a standalone expression (`expr_only = SOI nl* expr nl* EOI`).
pub(crate) fn parse_expr(text: &str) -> Option<Expr> {
    let mut p = Parser::new(text);
    p.skip_nl();
    let (e, need) = p.expr()?;
    p.skip_nl();
    (p.pos == p.b.len() && !p.bad && need <= MAX_EXPR_DEPTH).then_some(e)
}

pub(crate) struct Parser<'a> {
    src: &'a str,
    b: &'a [u8],
    pos: usize,
    /// Set when the pest builder would report an error: the whole parse is refused.
    bad: bool,
    nest: u32,
}

/// `ASCII_ALPHA | "_" | XID_START`
fn is_ident_start(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphabetic() || c == '_'
    } else {
        pest::unicode::XID_START(c)
    }
}

/// `ASCII_ALPHANUMERIC | "_" | "-" | XID_CONTINUE`
fn is_ident_cont(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric() || c == '_' || c == '-'
    } else {
        pest::unicode::XID_CONTINUE(c)
    }
}

impl<'a> Parser<'a> {
    pub(crate) fn new(src: &'a str) -> Parser<'a> {
        Parser {
            src,
            b: src.as_bytes(),
            pos: 0,
            bad: false,
            nest: 0,
        }
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    /// Whether `s` (a short constant) is at the current position; compared byte by byte so
    /// it compiles to a few comparisons rather than a `memcmp` call.
    #[inline]
    fn at(&self, s: &[u8]) -> bool {
        starts_with(&self.b[self.pos..], s)
    }

    #[inline]
    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn char_at(&self, pos: usize) -> Option<char> {
        self.src.get(pos..).and_then(|s| s.chars().next())
    }

    fn range(&self, start: usize) -> TextRange {
        TextRange::new(start as u32, self.pos as u32)
    }

    /// Implicit whitespace: `(WHITESPACE | COMMENT)*`. Most calls find a token right away:
    /// that check is inlined, the loop is not.
    #[inline]
    fn skip(&mut self) {
        if let Some(&c) = self.b.get(self.pos) {
            if matches!(c, b' ' | b'\t' | 0x0B | b'#' | b'/') {
                self.skip_slow();
            }
        }
    }

    #[inline(never)]
    fn skip_slow(&mut self) {
        let b = self.b;
        let n = b.len();
        while self.pos < n {
            match b[self.pos] {
                b' ' | b'\t' | 0x0B => self.pos += 1,
                b'#' => self.line_comment(),
                b'/' if b.get(self.pos + 1) == Some(&b'/') => self.line_comment(),
                b'/' if b.get(self.pos + 1) == Some(&b'*') => {
                    match find(&b[self.pos + 2..], b"*/") {
                        Some(k) => self.pos += 2 + k + 2,
                        None => return,
                    }
                }
                _ => return,
            }
        }
    }

    /// `("#" | "//") (!("\n" | "\x0B" | "\r\n") ANY)*`
    fn line_comment(&mut self) {
        let b = self.b;
        let mut i = self.pos + 1;
        while let Some(k) = memchr::memchr3(b'\n', 0x0B, b'\r', &b[i..]) {
            i += k;
            if b[i] != b'\r' || b.get(i + 1) == Some(&b'\n') {
                self.pos = i;
                return;
            }
            i += 1;
        }
        self.pos = b.len();
    }

    /// One `nl`: `"\r\n" | "\n"`.
    #[inline]
    fn eat_nl(&mut self) -> bool {
        match self.peek() {
            Some(b'\n') => {
                self.pos += 1;
                true
            }
            Some(b'\r') if self.b.get(self.pos + 1) == Some(&b'\n') => {
                self.pos += 2;
                true
            }
            _ => false,
        }
    }

    /// Implicit whitespace mixed with newlines: what `skip ~ nl* ~ skip` consumes.
    fn skip_nl(&mut self) {
        loop {
            self.skip();
            if !self.eat_nl() {
                return;
            }
        }
    }

    /// Where the identifier starting at `pos` ends, if one does.
    fn ident_end(&self, pos: usize) -> Option<usize> {
        let b = self.b;
        let first = *b.get(pos)?;
        let mut i = if first < 0x80 {
            if !(first.is_ascii_alphabetic() || first == b'_') {
                return None;
            }
            pos + 1
        } else {
            let c = self.char_at(pos)?;
            if !is_ident_start(c) {
                return None;
            }
            pos + c.len_utf8()
        };
        while i < b.len() {
            let c = b[i];
            if c < 0x80 {
                if c.is_ascii_alphanumeric() || c == b'_' || c == b'-' {
                    i += 1;
                } else {
                    break;
                }
            } else {
                match self.char_at(i) {
                    Some(ch) if is_ident_cont(ch) => i += ch.len_utf8(),
                    _ => break,
                }
            }
        }
        Some(i)
    }

    fn ident(&mut self) -> Option<Ident> {
        let start = self.pos;
        let end = self.ident_end(start)?;
        self.pos = end;
        Some(Ident {
            name: self.src[start..end].to_string(),
            range: TextRange::new(start as u32, end as u32),
        })
    }

    /// Whether an `ident_cont` character is at `pos`.
    fn cont_at(&self, pos: usize) -> bool {
        match self.b.get(pos) {
            None => false,
            Some(&c) if c < 0x80 => c.is_ascii_alphanumeric() || c == b'_' || c == b'-',
            Some(_) => self.char_at(pos).is_some_and(is_ident_cont),
        }
    }

    /// A keyword rule like `kw_for = @{ "for" ~ !ident_cont }`.
    #[inline]
    fn keyword(&mut self, kw: &[u8]) -> bool {
        if self.at(kw) && !self.cont_at(self.pos + kw.len()) {
            self.pos += kw.len();
            true
        } else {
            false
        }
    }

    /// `assign = @{ "=" ~ !("=" | ">") }` (also `obj_eq`).
    fn assign(&mut self) -> bool {
        if self.peek() == Some(b'=') && !matches!(self.b.get(self.pos + 1), Some(b'=' | b'>')) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// `item = attribute | block`
    fn item(&mut self) -> Option<Item> {
        let ident = self.ident()?;
        self.skip();
        if self.assign() {
            self.skip();
            let (expr, need) = self.expr()?;
            if need > MAX_EXPR_DEPTH {
                self.bad = true;
                return None;
            }
            let range = ident.range.cover(expr.range);
            return Some(Item::Attribute(Attribute {
                name: ident,
                expr,
                range,
            }));
        }
        let mut labels = Vec::with_capacity(2);
        loop {
            let save = self.pos;
            match self.label() {
                Some(l) => {
                    labels.push(l);
                    self.skip();
                }
                None => {
                    self.pos = save;
                    break;
                }
            }
        }
        let open = self.pos;
        if !self.eat(b'{') {
            return None;
        }
        self.skip_nl();
        let mut items = Vec::with_capacity(4);
        loop {
            if self.eat(b'}') {
                break;
            }
            items.push(self.item()?);
            self.skip();
            if self.eat_nl() {
                self.skip_nl();
            } else if self.peek() != Some(b'}') {
                return None;
            }
        }
        let body_range = self.range(open);
        Some(Item::Block(Block {
            range: ident.range.cover(body_range),
            ident,
            labels,
            body: Body { items },
            body_range,
        }))
    }

    /// `label = label_str | ident`, `label_str = ${ "\"" ~ q_lit? ~ "\"" }`
    fn label(&mut self) -> Option<Label> {
        let start = self.pos;
        if self.peek() != Some(b'"') {
            let id = self.ident()?;
            return Some(Label {
                value: id.name,
                quoted: false,
                range: id.range,
            });
        }
        let end = self.q_lit_end(start + 1);
        if self.b.get(end) != Some(&b'"') {
            return None;
        }
        let value = self.unescape(start + 1, end);
        self.pos = end + 1;
        Some(Label {
            value,
            quoted: true,
            range: self.range(start),
        })
    }
}

/// `hay.starts_with(s)` for a short constant `s`, without a `memcmp` call.
#[inline(always)]
fn starts_with(hay: &[u8], s: &[u8]) -> bool {
    hay.len() >= s.len() && s.iter().zip(hay).all(|(a, b)| a == b)
}

/// The first occurrence of `needle` in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let first = needle[0];
    let mut i = 0;
    while i + needle.len() <= hay.len() {
        match hay[i..].iter().position(|&c| c == first) {
            Some(k) => {
                i += k;
                if hay[i..].starts_with(needle) {
                    return Some(i);
                }
                i += 1;
            }
            None => return None,
        }
    }
    None
}
