//! Quoted strings and heredocs: literals, `${…}` interpolations and `%{…}` directives as flat
//! tokens, then the builder's own escape handling, `<<-` dedent, strip markers and nesting.

use super::expr::Need;
use super::Parser;
use crate::ast::*;
use crate::template::{dedent, nest_toks, unescape_raw, Tok};

impl Parser<'_> {
    /// Where the `q_lit` starting at `pos` ends (`pos` itself when there is none).
    pub(super) fn q_lit_end(&self, pos: usize) -> usize {
        let b = self.b;
        let mut i = pos;
        while i < b.len() {
            match b[i] {
                b'"' | b'\n' | b'\r' => break,
                c @ (b'$' | b'%') => {
                    if b.get(i + 1) == Some(&c) && b.get(i + 2) == Some(&b'{') {
                        i += 3;
                    } else if b.get(i + 1) == Some(&b'{') {
                        break;
                    } else {
                        i += 1;
                    }
                }
                b'\\' => {
                    let hex = |from: usize, len: usize| {
                        b.len() >= from + len
                            && b[from..from + len].iter().all(u8::is_ascii_hexdigit)
                    };
                    match b.get(i + 1) {
                        Some(b'n' | b'r' | b't' | b'"' | b'\\') => i += 2,
                        Some(b'u') if hex(i + 2, 4) => i += 6,
                        Some(b'U') if hex(i + 2, 8) => i += 10,
                        _ => break,
                    }
                }
                _ => i += 1,
            }
        }
        i
    }

    /// The value of the quoted literal `src[start..end]`; a bad escape refuses the parse.
    pub(super) fn unescape(&mut self, start: usize, end: usize) -> String {
        let mut bad = false;
        let out = unescape_raw(&self.src[start..end], &mut |_, _| bad = true);
        self.bad |= bad;
        out
    }

    /// `string = ${ "\"" ~ (q_lit | interp | directive)* ~ "\"" }`
    pub(super) fn quoted(&mut self) -> Option<(Template, Need)> {
        self.pos += 1;
        if let Some(t) = self.plain_quoted() {
            return Some((t, 0));
        }
        let mut toks = Vec::with_capacity(1);
        let mut need = 0;
        loop {
            let start = self.pos;
            let end = self.q_lit_end(start);
            if end > start {
                let raw = &self.src[start..end];
                toks.push(Tok::Lit {
                    value: self.unescape(start, end),
                    raw: raw.to_string(),
                    range: TextRange::new(start as u32, end as u32),
                });
                self.pos = end;
                continue;
            }
            match self.template_tok() {
                Some((tok, n)) => {
                    toks.push(tok);
                    need = need.max(n);
                }
                None => {
                    self.pos = start;
                    break;
                }
            }
        }
        if !self.eat(b'"') {
            return None;
        }
        let parts = self.nest(toks);
        Some((
            Template {
                parts,
                kind: TemplateKind::Quoted,
            },
            need,
        ))
    }

    /// The common case of `quoted`, after the opening quote: a literal without escapes,
    /// `$${`/`%%{` or template openers, then the closing quote. Builds the single literal
    /// part directly (what `nest_toks` makes of one literal token without strips).
    #[inline]
    fn plain_quoted(&mut self) -> Option<Template> {
        let start = self.pos;
        let b = self.b;
        let k = memchr::memchr3(b'"', b'\\', b'\n', &b[start..])?;
        let end = start + k;
        if b[end] != b'"' {
            return None;
        }
        let raw = &b[start..end];
        if memchr::memchr3(b'$', b'%', b'\r', raw).is_some() {
            return None;
        }
        let mut parts = Vec::new();
        if end > start {
            let raw = &self.src[start..end];
            parts.reserve_exact(1);
            parts.push(TemplatePart::Literal {
                value: raw.to_string(),
                raw: raw.to_string(),
                range: TextRange::new(start as u32, end as u32),
            });
        }
        self.pos = end + 1;
        Some(Template {
            parts,
            kind: TemplateKind::Quoted,
        })
    }

    fn nest(&mut self, toks: Vec<Tok>) -> Vec<TemplatePart> {
        let mut bad = false;
        let parts = nest_toks(toks, &mut |_, _| bad = true);
        self.bad |= bad;
        parts
    }

    /// `interp | directive` at the current position, with the builder's `depth + 1` need.
    fn template_tok(&mut self) -> Option<(Tok, Need)> {
        let start = self.pos;
        let interp = match (self.peek(), self.b.get(start + 1)) {
            (Some(b'$'), Some(b'{')) => true,
            (Some(b'%'), Some(b'{')) => false,
            _ => return None,
        };
        self.pos += 2;
        self.skip();
        let mut strip = Strip {
            left: self.eat(b'~'),
            right: false,
        };
        self.skip();
        let mut need = 0;
        let mut expr = None;
        let mut idents = Vec::new();
        // What follows the opener, and how the directive ends once the rest is parsed.
        let kind = if interp {
            0
        } else if self.keyword(b"if") {
            1
        } else if self.at(b"else") {
            self.pos += 4;
            2
        } else if self.at(b"endif") {
            self.pos += 5;
            3
        } else if self.keyword(b"for") {
            self.skip();
            idents.push(self.ident()?);
            let save = self.pos;
            self.skip();
            let mut second = None;
            if self.eat(b',') {
                self.skip();
                second = self.ident();
            }
            match second {
                Some(id) => idents.push(id),
                None => self.pos = save,
            }
            self.skip();
            if !self.keyword(b"in") {
                return None;
            }
            4
        } else if self.at(b"endfor") {
            self.pos += 6;
            5
        } else {
            return None;
        };
        if matches!(kind, 0 | 1 | 4) {
            self.skip();
            let (e, n) = self.expr()?;
            need = 1 + n;
            expr = Some(e);
        }
        self.skip();
        strip.right = self.eat(b'~');
        self.skip();
        if !self.eat(b'}') {
            return None;
        }
        let range = self.range(start);
        let expr = expr.unwrap_or(Expr::new(ExprKind::Error, range));
        let tok = match kind {
            0 => Tok::Interp { expr, strip, range },
            1 => Tok::If {
                cond: expr,
                strip,
                range,
            },
            2 => Tok::Else { strip, range },
            3 => Tok::EndIf { strip, range },
            5 => Tok::EndFor { strip, range },
            _ => {
                let value = idents.pop()?;
                Tok::For {
                    key: idents.pop(),
                    value,
                    coll: expr,
                    strip,
                    range,
                }
            }
        };
        Some((tok, need))
    }

    /// `heredoc = ${ "<<" ~ heredoc_indent? ~ PUSH(heredoc_marker) ~ nl ~
    /// (!heredoc_close_ahead ~ heredoc_line)* ~ heredoc_close }`
    pub(super) fn heredoc(&mut self) -> Option<(Template, Need)> {
        if !self.at(b"<<") {
            return None;
        }
        self.pos += 2;
        let indented = self.eat(b'-');
        let m_start = self.pos;
        match self.peek() {
            Some(c) if c.is_ascii_alphabetic() || c == b'_' => self.pos += 1,
            _ => return None,
        }
        while let Some(c) = self.peek() {
            if c.is_ascii_alphanumeric() || c == b'_' || c == b'-' {
                self.pos += 1;
            } else {
                break;
            }
        }
        let marker = &self.b[m_start..self.pos];
        if !self.eat_nl() {
            return None;
        }
        let mut toks: Vec<Tok> = Vec::new();
        let mut need = 0;
        // The pending literal: a contiguous run of text and line ends.
        let mut lit: Option<(usize, usize)> = None;
        loop {
            let line = self.pos;
            if self.close_ahead(marker) {
                break;
            }
            let saved = (toks.len(), lit, need);
            let mut ok = false;
            loop {
                let p = self.pos;
                match self.peek() {
                    None => break,
                    Some(b'\n') => {
                        self.pos += 1;
                        ok = true;
                    }
                    Some(b'\r') if self.b.get(p + 1) == Some(&b'\n') => {
                        self.pos += 2;
                        ok = true;
                    }
                    Some(b'$' | b'%') if self.b.get(p + 1) == Some(&b'{') => {
                        match self.template_tok() {
                            Some((tok, n)) => {
                                self.flush(&mut toks, &mut lit);
                                toks.push(tok);
                                need = need.max(n);
                                continue;
                            }
                            None => break,
                        }
                    }
                    Some(_) => {
                        self.pos = self.h_text_end(p);
                        lit = Some((lit.map_or(p, |l| l.0), self.pos));
                        continue;
                    }
                }
                // A line end.
                lit = Some((lit.map_or(p, |l| l.0), self.pos));
                break;
            }
            if !ok {
                toks.truncate(saved.0);
                lit = saved.1;
                need = saved.2;
                self.pos = line;
                break;
            }
        }
        self.flush(&mut toks, &mut lit);
        // heredoc_close = @{ (" " | "\t")* ~ POP }
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
        if !self.at(marker) {
            return None;
        }
        self.pos += marker.len();
        if indented {
            dedent(&mut toks);
        }
        let marker = String::from_utf8_lossy(marker).into_owned();
        let parts = self.nest(toks);
        Some((
            Template {
                parts,
                kind: TemplateKind::Heredoc { marker, indented },
            },
            need,
        ))
    }

    /// Where `h_text` starting at `p` ends: before `${`, `%{`, `\n` or `\r\n`.
    fn h_text_end(&self, p: usize) -> usize {
        let b = self.b;
        let mut i = p;
        while i < b.len() {
            match b[i] {
                b'\n' => break,
                b'\r' if b.get(i + 1) == Some(&b'\n') => break,
                c @ (b'$' | b'%') => {
                    if b.get(i + 1) == Some(&c) && b.get(i + 2) == Some(&b'{') {
                        i += 3;
                    } else if b.get(i + 1) == Some(&b'{') {
                        break;
                    } else {
                        i += 1;
                    }
                }
                _ => i += 1,
            }
        }
        i
    }

    /// Pushes the pending heredoc literal, if any.
    fn flush(&self, toks: &mut Vec<Tok>, lit: &mut Option<(usize, usize)>) {
        if let Some((s, e)) = lit.take() {
            let raw = &self.src[s..e];
            let value = if raw.contains("$${") || raw.contains("%%{") {
                raw.replace("$${", "${").replace("%%{", "%{")
            } else {
                raw.to_string()
            };
            toks.push(Tok::Lit {
                value,
                raw: raw.to_string(),
                range: TextRange::new(s as u32, e as u32),
            });
        }
    }

    /// `heredoc_close_ahead = _{ (" " | "\t")* ~ PEEK ~ &(nl | "\x0B" | EOI) }`: inside
    /// brackets the newline after the closing marker is an ignored one (`\x0B`).
    fn close_ahead(&self, marker: &[u8]) -> bool {
        let b = self.b;
        let mut i = self.pos;
        while matches!(b.get(i), Some(b' ' | b'\t')) {
            i += 1;
        }
        if !b[i..].starts_with(marker) {
            return false;
        }
        let k = i + marker.len();
        k == b.len() || b[k] == b'\n' || b[k] == 0x0B || b[k..].starts_with(b"\r\n")
    }
}
