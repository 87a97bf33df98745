//! The byte-at-a-time scanner, kept as the specification of the run-skipping one in
//! `scanner.rs`: `differential::check_equivalence` (so the differential tests and the fuzz
//! target) checks that both report the same items, soft newlines, comments and errors.

use super::{
    bom_len, directive_delta, err, heredoc_start, starts_for, unclosed_errors, utf8_len, Ctx,
    ItemSpan, Mode, Opener, Scan, SOFT_NEWLINE,
};
use crate::ast::{Comment, CommentKind};
use crate::text::TextRange;

/// Scans `text` one byte at a time; every range it reports is shifted by `base`.
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
            b' ' | b'\t' => i += 1,
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
                let end = match text[i + 2..].find("*/") {
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

fn line_comment(text: &str, i: usize, base: usize, kind: CommentKind, s: &mut Scan) -> usize {
    let bytes = text.as_bytes();
    let mut end = i;
    while end < bytes.len() && bytes[end] != b'\n' && bytes[end] != SOFT_NEWLINE {
        end += 1;
    }
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
