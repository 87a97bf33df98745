//! Lowering of quoted strings and heredocs to [`Template`]s: escapes, `~` strip markers,
//! `<<-` indentation removal and the nesting of `%{if}`/`%{for}` directives.
//!
//! Literal values have escapes resolved, heredoc indentation removed and strip markers
//! applied (stripping again is harmless: it is idempotent); `raw` keeps the source text.

use crate::ast::*;
use crate::build::{Builder, P};
use crate::parser::Rule;

/// A flat template token, before directives are nested (shared with the hand-written parser).
pub(crate) enum Tok {
    Lit {
        value: String,
        raw: String,
        range: TextRange,
    },
    Interp {
        expr: Expr,
        strip: Strip,
        range: TextRange,
    },
    If {
        cond: Expr,
        strip: Strip,
        range: TextRange,
    },
    Else {
        strip: Strip,
        range: TextRange,
    },
    EndIf {
        strip: Strip,
        range: TextRange,
    },
    For {
        key: Option<Ident>,
        value: Ident,
        coll: Expr,
        strip: Strip,
        range: TextRange,
    },
    EndFor {
        strip: Strip,
        range: TextRange,
    },
}

impl Tok {
    fn strip(&self) -> Strip {
        match self {
            Tok::Lit { .. } => Strip::default(),
            Tok::Interp { strip, .. }
            | Tok::If { strip, .. }
            | Tok::Else { strip, .. }
            | Tok::EndIf { strip, .. }
            | Tok::For { strip, .. }
            | Tok::EndFor { strip, .. } => *strip,
        }
    }
}

enum Frame {
    If {
        cond: Expr,
        then: Vec<TemplatePart>,
        other: Option<Vec<TemplatePart>>,
        strips: Vec<Strip>,
        start: TextRange,
    },
    For {
        key: Option<Ident>,
        value: Ident,
        coll: Expr,
        body: Vec<TemplatePart>,
        strips: Vec<Strip>,
        start: TextRange,
    },
}

impl Builder {
    pub(crate) fn quoted(&mut self, pair: P, depth: u32) -> Template {
        let toks: Vec<Tok> = pair.into_inner().map(|p| self.tok(p, depth)).collect();
        Template {
            parts: self.nest(toks),
            kind: TemplateKind::Quoted,
        }
    }

    pub(crate) fn heredoc(&mut self, pair: P, depth: u32) -> Template {
        let mut indented = false;
        let mut marker = String::new();
        let mut toks: Vec<Tok> = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::heredoc_indent => indented = true,
                Rule::heredoc_marker => marker = p.as_str().to_string(),
                Rule::heredoc_close => {}
                Rule::h_text | Rule::h_eol => {
                    let range = self.range(&p);
                    let raw = p.as_str();
                    let value = raw.replace("$${", "${").replace("%%{", "%{");
                    if let Some(Tok::Lit {
                        value: v,
                        raw: r,
                        range: rg,
                    }) = toks.last_mut()
                    {
                        v.push_str(&value);
                        r.push_str(raw);
                        *rg = rg.cover(range);
                    } else {
                        toks.push(Tok::Lit {
                            value,
                            raw: raw.to_string(),
                            range,
                        });
                    }
                }
                _ => toks.push(self.tok(p, depth)),
            }
        }
        if indented {
            dedent(&mut toks);
        }
        Template {
            parts: self.nest(toks),
            kind: TemplateKind::Heredoc { marker, indented },
        }
    }

    fn tok(&mut self, p: P, depth: u32) -> Tok {
        let range = self.range(&p);
        let rule = p.as_rule();
        if rule == Rule::q_lit {
            return Tok::Lit {
                value: self.unescape(&p),
                raw: p.as_str().to_string(),
                range,
            };
        }
        let mut strip = Strip::default();
        let mut idents = Vec::new();
        let mut expr = None;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::strip_l => strip.left = true,
                Rule::strip_r => strip.right = true,
                Rule::ident => idents.push(self.ident(&c)),
                Rule::expr => expr = Some(self.expr(c, depth + 1)),
                _ => {}
            }
        }
        let expr = expr.unwrap_or(Expr::new(ExprKind::Error, range));
        match rule {
            Rule::interp => Tok::Interp { expr, strip, range },
            Rule::dir_if => Tok::If {
                cond: expr,
                strip,
                range,
            },
            Rule::dir_else => Tok::Else { strip, range },
            Rule::dir_endif => Tok::EndIf { strip, range },
            Rule::dir_endfor => Tok::EndFor { strip, range },
            _ => {
                let value = idents.pop().unwrap_or(Ident {
                    name: String::new(),
                    range,
                });
                Tok::For {
                    key: idents.pop(),
                    value,
                    coll: expr,
                    strip,
                    range,
                }
            }
        }
    }

    /// The value of a quoted literal: escapes resolved.
    pub(crate) fn unescape(&mut self, p: &P) -> String {
        let start = self.range(p).start();
        let mut bad = Vec::new();
        let out = unescape_raw(p.as_str(), &mut |i, len| bad.push((i, len)));
        for (i, len) in bad {
            let s = start + i as u32;
            self.error_rel(
                "invalid unicode escape",
                TextRange::new(s, s + 2 + len as u32),
            );
        }
        out
    }

    /// Nests directives and applies strip markers.
    fn nest(&mut self, toks: Vec<Tok>) -> Vec<TemplatePart> {
        nest_toks(toks, &mut |m, r| self.error_rel(m, r))
    }
}

/// The value of a quoted literal: escapes resolved. `bad(i, hex_len)` is called for an invalid
/// unicode escape at byte `i` of `raw`.
pub(crate) fn unescape_raw(raw: &str, bad: &mut dyn FnMut(usize, usize)) -> String {
    if !raw.contains(['\\', '$', '%']) {
        return raw.to_string();
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some((_, 'n')) => out.push('\n'),
                Some((_, 'r')) => out.push('\r'),
                Some((_, 't')) => out.push('\t'),
                Some((_, '"')) => out.push('"'),
                Some((_, '\\')) => out.push('\\'),
                Some((_, u @ ('u' | 'U'))) => {
                    let len = if u == 'u' { 4 } else { 8 };
                    let hex = raw.get(i + 2..i + 2 + len).unwrap_or("");
                    for _ in 0..len {
                        chars.next();
                    }
                    match u32::from_str_radix(hex, 16).ok().and_then(char::from_u32) {
                        Some(ch) => out.push(ch),
                        None => {
                            bad(i, hex.len());
                            out.push('\u{FFFD}');
                        }
                    }
                }
                _ => {}
            },
            '$' | '%' if raw[i + 1..].starts_with(c) && raw[i + 2..].starts_with('{') => {
                out.push(c);
                out.push('{');
                chars.next();
                chars.next();
            }
            _ => out.push(c),
        }
    }
    out
}

/// Nests directives and applies strip markers; `error` receives messages for misnested directives.
pub(crate) fn nest_toks(
    mut toks: Vec<Tok>,
    error: &mut dyn FnMut(&'static str, TextRange),
) -> Vec<TemplatePart> {
    apply_strips(&mut toks);
    let mut root: Vec<TemplatePart> = Vec::with_capacity(toks.len());
    let mut frames: Vec<Frame> = Vec::new();
    for tok in toks {
        let part = match tok {
            Tok::Lit { value, raw, range } => TemplatePart::Literal { value, raw, range },
            Tok::Interp { expr, strip, range } => {
                TemplatePart::Interpolation { expr, strip, range }
            }
            Tok::If { cond, strip, range } => {
                frames.push(Frame::If {
                    cond,
                    then: Vec::new(),
                    other: None,
                    strips: vec![strip],
                    start: range,
                });
                continue;
            }
            Tok::For {
                key,
                value,
                coll,
                strip,
                range,
            } => {
                frames.push(Frame::For {
                    key,
                    value,
                    coll,
                    body: Vec::new(),
                    strips: vec![strip],
                    start: range,
                });
                continue;
            }
            Tok::Else { strip, range } => {
                match frames.last_mut() {
                    Some(Frame::If { other, strips, .. }) if other.is_none() => {
                        *other = Some(Vec::new());
                        strips.push(strip);
                    }
                    _ => error("unexpected `%{else}`", range),
                }
                continue;
            }
            Tok::EndIf { strip, range } | Tok::EndFor { strip, range } => {
                let want_if = matches!(tok, Tok::EndIf { .. });
                match frames.last() {
                    Some(Frame::If { .. }) if !want_if => error("expected `%{endif}`", range),
                    Some(Frame::For { .. }) if want_if => error("expected `%{endfor}`", range),
                    _ => {}
                }
                match frames.pop() {
                    Some(frame) => close_frame(frame, strip, range),
                    None => {
                        error(
                            "unexpected end directive without `%{if}` or `%{for}`",
                            range,
                        );
                        continue;
                    }
                }
            }
        };
        match frames.last_mut() {
            Some(Frame::If { then, other, .. }) => other.as_mut().unwrap_or(then).push(part),
            Some(Frame::For { body, .. }) => body.push(part),
            None => root.push(part),
        }
    }
    while let Some(frame) = frames.pop() {
        let start = match &frame {
            Frame::If { start, .. } | Frame::For { start, .. } => *start,
        };
        error("unclosed template directive", start);
        let part = close_frame(frame, Strip::default(), start);
        match frames.last_mut() {
            Some(Frame::If { then, other, .. }) => other.as_mut().unwrap_or(then).push(part),
            Some(Frame::For { body, .. }) => body.push(part),
            None => root.push(part),
        }
    }
    root
}

fn close_frame(frame: Frame, strip: Strip, end: TextRange) -> TemplatePart {
    match frame {
        Frame::If {
            cond,
            then,
            other,
            mut strips,
            start,
        } => {
            strips.push(strip);
            TemplatePart::If {
                cond,
                then,
                other,
                strips,
                range: start.cover(end),
            }
        }
        Frame::For {
            key,
            value,
            coll,
            body,
            mut strips,
            start,
        } => {
            strips.push(strip);
            TemplatePart::For {
                key_var: key,
                value_var: value,
                collection: coll,
                body,
                strips,
                range: start.cover(end),
            }
        }
    }
}

/// `~` on the left of a marker strips whitespace at the end of the literal before it; on the
/// right, at the start of the literal after it.
fn apply_strips(toks: &mut [Tok]) {
    for i in 0..toks.len() {
        let strip = toks[i].strip();
        if strip.left && i > 0 {
            if let Tok::Lit { value, .. } = &mut toks[i - 1] {
                value.truncate(value.trim_end().len());
            }
        }
        if strip.right && i + 1 < toks.len() {
            if let Tok::Lit { value, .. } = &mut toks[i + 1] {
                *value = value.trim_start().to_string();
            }
        }
    }
}

/// `<<-`: remove the smallest indentation of the non-blank lines from every line.
pub(crate) fn dedent(toks: &mut [Tok]) {
    let mut min = usize::MAX;
    let mut line_start = true;
    for tok in toks.iter() {
        match tok {
            Tok::Lit { value, .. } => {
                let mut rest = value.as_str();
                loop {
                    if line_start {
                        let ws = rest.len() - rest.trim_start_matches([' ', '\t']).len();
                        let after = &rest[ws..];
                        if !after.starts_with('\n') && !after.starts_with("\r\n") {
                            min = min.min(ws);
                        }
                    }
                    match rest.find('\n') {
                        Some(k) => {
                            rest = &rest[k + 1..];
                            line_start = true;
                            if rest.is_empty() {
                                break;
                            }
                        }
                        None => {
                            line_start = false;
                            break;
                        }
                    }
                }
            }
            _ => {
                if line_start {
                    min = 0;
                }
                line_start = false;
            }
        }
    }
    if min == 0 || min == usize::MAX {
        return;
    }
    let mut line_start = true;
    for tok in toks.iter_mut() {
        match tok {
            Tok::Lit { value, .. } => {
                let mut out = String::with_capacity(value.len());
                for (k, line) in value.split_inclusive('\n').enumerate() {
                    if k > 0 || line_start {
                        let ws = line.len() - line.trim_start_matches([' ', '\t']).len();
                        out.push_str(&line[ws.min(min)..]);
                    } else {
                        out.push_str(line);
                    }
                }
                line_start = value.ends_with('\n');
                *value = out;
            }
            _ => line_start = false,
        }
    }
}
