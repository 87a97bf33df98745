//! The hand-written scanner in front of pest: splits a body into items by nesting depth,
//! collects comments, and normalizes newlines.
//!
//! It understands just enough of HCL to find item boundaries: brackets, quoted strings with
//! their interpolations, heredocs and comments. Its other job is newline normalization: HCL
//! ignores newlines inside `()`, `[]`, `{for …}`, `${…}` and `%{…}` but not in bodies and object
//! constructors, so those ignored newlines are replaced by `\x0B` (same byte length, so every
//! offset is unchanged) and the pest grammar treats `\x0B` as whitespace.

pub(crate) mod reference;

use crate::ast::{Comment, CommentKind};
use crate::text::TextRange;
use crate::SyntaxError;

/// Code bytes that only extend the current token (identifier characters, most operators,
/// non-ASCII): a run of them is skipped at once.
const PLAIN: u8 = 0;
/// `' '` and `'\t'`.
const BLANK: u8 = 1;
/// Everything the code contexts must look at one by one.
const SPECIAL: u8 = 2;

/// The class of each byte in code contexts (bodies, objects, groups, interpolations).
static CODE_CLASS: [u8; 256] = {
    let mut t = [PLAIN; 256];
    t[b' ' as usize] = BLANK;
    t[b'\t' as usize] = BLANK;
    let special = b"\r\n#/\"([{=?:<)]}";
    let mut k = 0;
    while k < special.len() {
        t[special[k] as usize] = SPECIAL;
        k += 1;
    }
    t
};

/// The bytes a quoted string must look at: its end, escapes, line ends and template openers.
static QUOTED_STOP: [bool; 256] = {
    let mut t = [false; 256];
    let stop = b"\"\\\n\r$%";
    let mut k = 0;
    while k < stop.len() {
        t[stop[k] as usize] = true;
        k += 1;
    }
    t
};

/// Where the run of bytes that are not in `stop` starting at `i` ends.
#[inline]
fn skip_until(bytes: &[u8], mut i: usize, stop: &[bool; 256]) -> usize {
    while i < bytes.len() && !stop[bytes[i] as usize] {
        i += 1;
    }
    i
}

/// Where the run of code bytes of class `class` starting at `i` ends.
#[inline]
fn skip_class(bytes: &[u8], mut i: usize, class: u8) -> usize {
    while i < bytes.len() && CODE_CLASS[bytes[i] as usize] == class {
        i += 1;
    }
    i
}

/// Deeper nesting than this is refused, so pest and the tree walkers cannot overflow the stack.
pub(crate) const MAX_DEPTH: u32 = 100;

/// A marker for a newline that HCL ignores; the grammar treats it as whitespace.
pub(crate) const SOFT_NEWLINE: u8 = 0x0B;

/// One item found in a body: `start..end` covers its tokens, without surrounding trivia.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct ItemSpan {
    pub start: usize,
    pub end: usize,
    /// The nesting reached inside the item (brackets, templates, directives, pending `?`).
    pub depth: u32,
}

#[derive(PartialEq, Eq, Debug)]
pub(crate) struct Scan {
    /// Where the ignored newline bytes are (`\n`, and `\r` before it), in order; see
    /// [`Scan::normalized`].
    pub soft: Vec<u32>,
    pub comments: Vec<Comment>,
    pub errors: Vec<SyntaxError>,
    pub items: Vec<ItemSpan>,
    /// In body mode: where the `}` closing the body is, if found.
    pub close: Option<usize>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Ctx {
    /// A body: newlines end attributes. `expr` is set after `=` until the end of the line.
    Body {
        expr: bool,
    },
    /// An object constructor: newlines separate items.
    Object,
    /// `(`, `[` or `{for`: newlines are ignored. Holds the closing byte.
    Group(u8),
    /// `${` or `%{` inside a template: newlines are ignored, `}` closes.
    Interp,
    Quoted,
    Heredoc {
        line_start: bool,
    },
}

/// What the text being scanned is.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// A whole file.
    File,
    /// The inside of a block body, up to its closing `}`.
    Body,
    /// A standalone expression: newlines are ignored as if inside parentheses.
    Expr,
}

pub(crate) struct Opener {
    ctx: Ctx,
    pos: usize,
    /// For heredocs: the marker and the index where it is in the text.
    marker: Option<(usize, usize)>,
}

/// Scans `text`; every range it reports is shifted by `base`. Runs of bytes that change
/// nothing but the position (inside strings, heredoc lines, comments, identifiers, blanks)
/// are skipped at once; [`reference::scan`] is the byte-at-a-time specification.
pub(crate) fn scan(text: &str, base: usize, mode: Mode) -> Scan {
    let bytes = text.as_bytes();
    let mut s = Scan {
        soft: Vec::new(),
        comments: Vec::new(),
        errors: Vec::new(),
        items: Vec::new(),
        close: None,
    };
    let mut stack: Vec<Opener> = vec![Opener {
        ctx: if mode == Mode::Expr {
            Ctx::Group(0)
        } else {
            Ctx::Body { expr: false }
        },
        pos: 0,
        marker: None,
    }];
    let range = |a: usize, b: usize| TextRange::from(a + base..b + base);
    let mut item_start: Option<usize> = None;
    let mut last_end = 0usize;
    let mut depth_max = 0u32;
    let mut extra_depth = 0u32; // directive nesting and pending `?`
    let mut i = bom_len(text, mode);
    let n = bytes.len();
    while i < n {
        let b = bytes[i];
        let top = stack.len() - 1;
        let ctx = stack[top].ctx;
        match ctx {
            Ctx::Quoted => {
                if !QUOTED_STOP[b as usize] {
                    i = skip_until(bytes, i + 1, &QUOTED_STOP);
                    continue;
                }
                match b {
                    b'"' => {
                        stack.pop();
                        i += 1;
                        last_end = i;
                    }
                    b'\\' => i += 2,
                    b'\n' | b'\r' => {
                        s.errors
                            .push(err("unterminated string", range(stack[top].pos, i)));
                        stack.pop();
                    }
                    b'$' | b'%'
                        if bytes.get(i + 1) == Some(&b) && bytes.get(i + 2) == Some(&b'{') =>
                    {
                        i += 3
                    }
                    b'$' | b'%' if bytes.get(i + 1) == Some(&b'{') => {
                        if b == b'%' {
                            let d = directive_delta(bytes, i + 2, &mut extra_depth);
                            extra_depth += d;
                        }
                        stack.push(Opener {
                            ctx: Ctx::Interp,
                            pos: i,
                            marker: None,
                        });
                        i += 2;
                    }
                    _ => i += 1,
                }
                continue;
            }
            Ctx::Heredoc { line_start } => {
                let (m_start, m_end) = stack[top].marker.unwrap_or((0, 0));
                if line_start {
                    let mut j = i;
                    while j < n && (bytes[j] == b' ' || bytes[j] == b'\t') {
                        j += 1;
                    }
                    let marker = &bytes[m_start..m_end];
                    if bytes[j..].starts_with(marker) {
                        let k = j + marker.len();
                        if k == n || bytes[k] == b'\n' || bytes[k..].starts_with(b"\r\n") {
                            stack.pop();
                            i = k;
                            last_end = i;
                            continue;
                        }
                    }
                    stack[top].ctx = Ctx::Heredoc { line_start: false };
                }
                if !matches!(b, b'\n' | b'$' | b'%') {
                    i += 1 + memchr::memchr3(b'\n', b'$', b'%', &bytes[i + 1..])
                        .unwrap_or(n - i - 1);
                    continue;
                }
                match b {
                    b'\n' => {
                        stack[top].ctx = Ctx::Heredoc { line_start: true };
                        i += 1;
                    }
                    b'$' | b'%'
                        if bytes.get(i + 1) == Some(&b) && bytes.get(i + 2) == Some(&b'{') =>
                    {
                        i += 3
                    }
                    b'$' | b'%' if bytes.get(i + 1) == Some(&b'{') => {
                        if b == b'%' {
                            let d = directive_delta(bytes, i + 2, &mut extra_depth);
                            extra_depth += d;
                        }
                        stack.push(Opener {
                            ctx: Ctx::Interp,
                            pos: i,
                            marker: None,
                        });
                        i += 2;
                    }
                    _ => i += 1,
                }
                continue;
            }
            _ => {}
        }
        // Code contexts: bodies, objects, groups and interpolations.
        let soft = matches!(ctx, Ctx::Group(_) | Ctx::Interp);
        match b {
            b' ' | b'\t' => i = skip_class(bytes, i + 1, BLANK),
            b'\r' if bytes.get(i + 1) == Some(&b'\n') => {
                if soft {
                    s.soft.push(i as u32);
                }
                i += 1;
            }
            b'\n' => {
                if soft {
                    s.soft.push(i as u32);
                } else if let Ctx::Body { .. } = ctx {
                    stack[top].ctx = Ctx::Body { expr: false };
                    if top == 0 {
                        if let Some(start) = item_start.take() {
                            s.items.push(ItemSpan {
                                start,
                                end: last_end,
                                depth: depth_max,
                            });
                        }
                    }
                }
                i += 1;
            }
            b'#' => i = line_comment(text, i, base, CommentKind::Hash, &mut s),
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                i = line_comment(text, i, base, CommentKind::DoubleSlash, &mut s)
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let end = match memchr::memmem::find(&bytes[i + 2..], b"*/") {
                    Some(k) => i + 2 + k + 2,
                    None => {
                        s.errors.push(err("unterminated comment", range(i, n)));
                        n
                    }
                };
                s.comments.push(Comment {
                    range: range(i, end),
                    kind: CommentKind::Block,
                    text: text[i..end].to_string(),
                });
                i = end;
            }
            _ if CODE_CLASS[b as usize] == PLAIN => {
                if top == 0 && item_start.is_none() {
                    item_start = Some(i);
                    depth_max = 0;
                    extra_depth = 0;
                }
                // Valid UTF-8 and ASCII-only special bytes: the run ends on a char boundary.
                i = skip_class(bytes, i + 1, PLAIN);
                last_end = i;
            }
            _ => {
                if top == 0 && b == b'}' && mode == Mode::Body {
                    s.close = Some(i);
                    break;
                }
                if top == 0 && item_start.is_none() {
                    item_start = Some(i);
                    depth_max = 0;
                    extra_depth = 0;
                }
                let mut opened: Option<Opener> = None;
                match b {
                    b'"' => {
                        opened = Some(Opener {
                            ctx: Ctx::Quoted,
                            pos: i,
                            marker: None,
                        })
                    }
                    b'(' => {
                        opened = Some(Opener {
                            ctx: Ctx::Group(b')'),
                            pos: i,
                            marker: None,
                        })
                    }
                    b'[' => {
                        opened = Some(Opener {
                            ctx: Ctx::Group(b']'),
                            pos: i,
                            marker: None,
                        })
                    }
                    b'{' => {
                        let c = match ctx {
                            Ctx::Body { expr: false } => Ctx::Body { expr: false },
                            _ if starts_for(bytes, i + 1) => Ctx::Group(b'}'),
                            _ => Ctx::Object,
                        };
                        opened = Some(Opener {
                            ctx: c,
                            pos: i,
                            marker: None,
                        });
                    }
                    b'=' if matches!(ctx, Ctx::Body { expr: false })
                        && !matches!(bytes.get(i + 1), Some(b'=') | Some(b'>')) =>
                    {
                        stack[top].ctx = Ctx::Body { expr: true };
                    }
                    b'?' => extra_depth += 1,
                    b':' if bytes.get(i + 1) != Some(&b':') => {
                        extra_depth = extra_depth.saturating_sub(1)
                    }
                    b'<' if bytes.get(i + 1) == Some(&b'<') => {
                        if let Some((m_start, m_end, body)) = heredoc_start(bytes, i + 2) {
                            stack.push(Opener {
                                ctx: Ctx::Heredoc { line_start: true },
                                pos: i,
                                marker: Some((m_start, m_end)),
                            });
                            i = body;
                            continue;
                        }
                    }
                    b')' | b']' | b'}' => {
                        // Pop to the matching opener when there is one; a stray closer is left
                        // for pest to report.
                        let matches_ctx = |c: Ctx| match (b, c) {
                            (b'}', Ctx::Body { .. } | Ctx::Object | Ctx::Interp) => true,
                            (_, Ctx::Group(close)) => close == b,
                            _ => false,
                        };
                        if let Some(k) = (1..stack.len()).rev().find(|&k| matches_ctx(stack[k].ctx))
                        {
                            if matches!(stack[k].ctx, Ctx::Interp) && k == stack.len() - 1 {
                                stack.pop();
                                i += 1;
                                continue;
                            }
                            stack.truncate(k);
                        }
                    }
                    _ => {}
                }
                if let Some(o) = opened {
                    stack.push(o);
                }
                let d = stack.len() as u32 - 1 + extra_depth;
                depth_max = depth_max.max(d);
                i += utf8_len(b);
                last_end = i;
            }
        }
        let d = stack.len() as u32 - 1 + extra_depth;
        depth_max = depth_max.max(d);
    }
    // End of text: close what is open.
    let unclosed = stack.len() > 1;
    unclosed_errors(bytes, &stack, base, &mut s.errors);
    if let Some(start) = item_start {
        // An unclosed item extends to the end of the text, so its errors fall inside it.
        let end = if unclosed {
            text.trim_end().len()
        } else {
            last_end
        };
        s.items.push(ItemSpan {
            start,
            end: end.max(start),
            depth: depth_max,
        });
    }
    s
}

impl Scan {
    /// The scanned text with ignored newlines replaced by [`SOFT_NEWLINE`] (same length).
    pub(crate) fn normalized(&self, text: &str) -> String {
        normalize(text, 0, &self.soft)
    }
}

/// `text` (which starts at offset `base` of the scanned text) with the soft newlines of `soft`
/// that fall inside it replaced by [`SOFT_NEWLINE`].
pub(crate) fn normalize(text: &str, base: usize, soft: &[u32]) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for &p in soft {
        if let Some(b) = (p as usize)
            .checked_sub(base)
            .and_then(|i| bytes.get_mut(i))
        {
            *b = SOFT_NEWLINE;
        }
    }
    // Only ASCII bytes were replaced by ASCII, so the text stays UTF-8.
    String::from_utf8(bytes).unwrap_or_else(|_| text.to_string())
}

/// The errors for what is still open at the end of the text. An unterminated heredoc swallowed
/// everything after it, closers included, so it is the one error reported then: at its `<<`,
/// naming the marker it waited for (the brackets around it are not reported as unclosed).
pub(crate) fn unclosed_errors(
    bytes: &[u8],
    stack: &[Opener],
    base: usize,
    errors: &mut Vec<SyntaxError>,
) {
    let n = bytes.len();
    let range = |a: usize, b: usize| TextRange::from(a + base..b + base);
    if let Some(o) = stack
        .iter()
        .skip(1)
        .find(|o| matches!(o.ctx, Ctx::Heredoc { .. }))
    {
        let (m_start, m_end) = o.marker.unwrap_or((0, 0));
        let marker = String::from_utf8_lossy(&bytes[m_start..m_end]);
        errors.push(SyntaxError {
            message: format!("unterminated heredoc: no line `{marker}` ends it"),
            range: range(o.pos, (o.pos + 2).min(n)),
            help: Some(format!(
                "end the heredoc with a line holding only `{marker}` (indentation allowed)"
            )),
        });
        return;
    }
    for o in stack.iter().skip(1) {
        let (msg, len) = match o.ctx {
            Ctx::Body { .. } | Ctx::Object => ("unclosed `{`", 1),
            Ctx::Group(b')') => ("unclosed `(`", 1),
            Ctx::Group(b']') => ("unclosed `[`", 1),
            Ctx::Group(_) => ("unclosed `{`", 1),
            Ctx::Interp => ("unclosed template interpolation", 2),
            Ctx::Quoted => ("unterminated string", 1),
            Ctx::Heredoc { .. } => ("unterminated heredoc", 2),
        };
        errors.push(err(msg, range(o.pos, (o.pos + len).min(n))));
    }
}

/// The length of a UTF-8 byte-order mark opening a file (editors on Windows save one): it is
/// skipped like whitespace, as HCL does, so every offset after it is unchanged.
pub(crate) fn bom_len(text: &str, mode: Mode) -> usize {
    if mode == Mode::File && text.starts_with('\u{FEFF}') {
        '\u{FEFF}'.len_utf8()
    } else {
        0
    }
}

pub(crate) fn err(message: &str, range: TextRange) -> SyntaxError {
    SyntaxError {
        message: message.to_string(),
        range,
        help: None,
    }
}

pub(crate) fn utf8_len(b: u8) -> usize {
    match b {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

pub(crate) fn line_comment(
    text: &str,
    i: usize,
    base: usize,
    kind: CommentKind,
    s: &mut Scan,
) -> usize {
    let bytes = text.as_bytes();
    let end = i + memchr::memchr2(b'\n', SOFT_NEWLINE, &bytes[i..]).unwrap_or(bytes.len() - i);
    let text_end = if end > i && bytes[end - 1] == b'\r' && end < bytes.len() {
        end - 1
    } else {
        end
    };
    s.comments.push(Comment {
        range: TextRange::from(i + base..text_end + base),
        kind,
        text: text[i..text_end].to_string(),
    });
    text_end
}

/// Whether `{` at `i - 1` starts a `for` expression.
pub(crate) fn starts_for(bytes: &[u8], mut i: usize) -> bool {
    while i < bytes.len() && matches!(bytes[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    bytes[i.min(bytes.len())..].starts_with(b"for")
        && !matches!(bytes.get(i + 3), Some(c) if c.is_ascii_alphanumeric() || *c == b'_' || *c == b'-')
}

/// After `<<` at `i`: `-`? marker newline. Returns the marker range and where the body starts.
pub(crate) fn heredoc_start(bytes: &[u8], mut i: usize) -> Option<(usize, usize, usize)> {
    if bytes.get(i) == Some(&b'-') {
        i += 1;
    }
    let start = i;
    while i < bytes.len()
        && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b'-')
    {
        i += 1;
    }
    if i == start || bytes[start].is_ascii_digit() {
        return None;
    }
    let end = i;
    if bytes[i..].starts_with(b"\r\n") {
        Some((start, end, i + 2))
    } else if bytes.get(i) == Some(&b'\n') {
        Some((start, end, i + 1))
    } else {
        None
    }
}

/// Directive nesting: `%{if`/`%{for` open, `%{endif`/`%{endfor` close.
pub(crate) fn directive_delta(bytes: &[u8], mut i: usize, depth: &mut u32) -> u32 {
    while i < bytes.len() && matches!(bytes[i], b' ' | b'\t' | b'~') {
        i += 1;
    }
    let rest = &bytes[i.min(bytes.len())..];
    if rest.starts_with(b"if") || rest.starts_with(b"for") {
        1
    } else {
        if rest.starts_with(b"end") {
            *depth = depth.saturating_sub(1);
        }
        0
    }
}
