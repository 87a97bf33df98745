//! The resilient wrapper around pest: parse each top-level item alone and, when a block fails,
//! recover one body item at a time so every error is reported and the rest stays usable.

use pest::error::{ErrorVariant, InputLocation};
use pest::Parser;

use crate::ast::*;
use crate::build::Builder;
use crate::fast;
use crate::parser::{HclParser, Rule};
use crate::scanner::{self, ItemSpan, Mode, MAX_DEPTH};
use crate::{Parse, SyntaxError};

/// Nested block recovery deeper than this gives up and reports the block as one error.
const MAX_RECOVERY_DEPTH: u32 = 32;

struct Ctx<'a> {
    text: &'a str,
    norm: &'a str,
    errors: Vec<SyntaxError>,
    /// Ranges of the scanner's errors, to avoid a second, vaguer pest error at the same place.
    scan_errors: Vec<TextRange>,
}

pub(crate) fn parse(text: &str) -> Parse {
    parse_with(text, true)
}

pub(crate) fn parse_with(text: &str, fast: bool) -> Parse {
    let scan = scanner::scan(text, 0, Mode::File);
    // The fast path first: it needs the normalized text of an item only when the item has
    // ignored newlines, and then only that item's.
    let mut items: Vec<Option<Item>> = Vec::with_capacity(scan.items.len());
    let mut soft = &scan.soft[..];
    for span in &scan.items {
        let item = if fast && span.depth <= MAX_DEPTH {
            let skip = soft.partition_point(|&p| (p as usize) < span.start);
            soft = &soft[skip..];
            let inside = soft.partition_point(|&p| (p as usize) < span.end);
            match text.get(span.start..span.end) {
                Some(t) if inside == 0 => fast::parse_item(t),
                Some(t) => fast::parse_item(&scanner::normalize(t, span.start, &soft[..inside])),
                None => None,
            }
        } else {
            None
        };
        items.push(item);
    }
    let mut errors = scan.errors.clone();
    if items.iter().any(Option::is_none) {
        // The pest path for the rest, on the normalized text.
        let norm = scan.normalized(text);
        let mut cx = Ctx {
            text,
            norm: &norm,
            scan_errors: scan.errors.iter().map(|e| e.range).collect(),
            errors: Vec::new(),
        };
        for (slot, span) in items.iter_mut().zip(&scan.items) {
            if slot.is_none() {
                *slot = Some(cx.top_item(*span));
            }
        }
        errors.extend(cx.errors);
    }
    let items = items
        .into_iter()
        .zip(&scan.items)
        .map(|(item, span)| TopItem {
            offset: span.start as TextSize,
            item: std::sync::Arc::new(item.unwrap_or(Item::Error(TextRange::from(0..0)))),
        })
        .collect();
    errors.sort_by_key(|e| (e.range.start(), e.range.end()));
    errors.dedup();
    Parse {
        file: SourceFile {
            items,
            comments: scan.comments,
        },
        errors,
    }
}

pub(crate) fn parse_expr(text: &str) -> (Expr, Vec<SyntaxError>) {
    let scan = scanner::scan(text, 0, Mode::Expr);
    let norm = scan.normalized(text);
    let mut errors = scan.errors;
    let whole = Expr::new(ExprKind::Error, TextRange::from(0..text.len()));
    if scan.items.iter().any(|s| s.depth > MAX_DEPTH) {
        errors.push(too_deep(TextRange::from(0..text.len())));
        return (whole, errors);
    }
    if let Some(expr) = fast::parse_expr(&norm) {
        return (expr, errors);
    }
    match HclParser::parse(Rule::expr_only, &norm) {
        Ok(mut pairs) => {
            let mut b = Builder::new(0, 0);
            let inner = pairs
                .next()
                .and_then(|p| p.into_inner().find(|p| p.as_rule() == Rule::expr));
            let expr = match inner {
                Some(p) => b.expr(p, 0),
                None => whole,
            };
            errors.extend(b.errors);
            (expr, errors)
        }
        Err(e) => {
            if errors.is_empty() {
                errors.push(pest_error(&e, &norm, 0));
            }
            (whole, errors)
        }
    }
}

fn too_deep(range: TextRange) -> SyntaxError {
    SyntaxError {
        message: format!("nesting too deep (more than {MAX_DEPTH} levels)"),
        range,
        help: Some("split the expression into locals".to_string()),
    }
}

impl Ctx<'_> {
    fn top_item(&mut self, span: ItemSpan) -> Item {
        let (start, end) = (span.start, span.end);
        if span.depth > MAX_DEPTH {
            self.errors.push(too_deep(TextRange::from(start..end)));
            return Item::Error(TextRange::from(0..end - start));
        }
        self.item_at(start, start, end, 0)
    }

    /// Parses `norm[start..end]` as one item of the top-level item starting at `item_abs`.
    fn item_at(&mut self, item_abs: usize, start: usize, end: usize, depth: u32) -> Item {
        let base = (start - item_abs) as u32;
        let rel = TextRange::from(start - item_abs..end - item_abs);
        let Some(t) = self.norm.get(start..end) else {
            return Item::Error(rel);
        };
        match HclParser::parse(Rule::top_item, t) {
            Ok(mut pairs) => {
                let mut b = Builder::new(base, start as u32);
                let item = pairs
                    .next()
                    .and_then(|p| p.into_inner().next())
                    .map(|p| b.item(p))
                    .unwrap_or(Item::Error(rel));
                self.errors.extend(b.errors);
                item
            }
            Err(e) => {
                let n_errors = self.errors.len();
                let item = if depth < MAX_RECOVERY_DEPTH
                    && HclParser::parse(Rule::block_head, t).is_ok()
                {
                    self.recover_block(item_abs, start, end, depth)
                } else {
                    Item::Error(rel)
                };
                let abs = TextRange::from(start..end);
                let scanner_saw_it = self
                    .scan_errors
                    .iter()
                    .any(|r| abs.contains_range(*r) || r.start() as usize == end);
                if self.errors.len() == n_errors && !scanner_saw_it {
                    self.errors.push(pest_error(&e, self.norm, start));
                }
                item
            }
        }
    }

    /// A block whose body did not parse: keep its header and every body item that parses.
    fn recover_block(&mut self, item_abs: usize, start: usize, end: usize, depth: u32) -> Item {
        let base = (start - item_abs) as u32;
        let rel = TextRange::from(start - item_abs..end - item_abs);
        let t = &self.norm[start..end];
        let Ok(mut pairs) = HclParser::parse(Rule::block_head, t) else {
            return Item::Error(rel);
        };
        let head = pairs.next().expect("block head");
        let body_open = start + head.as_span().end();
        let mut b = Builder::new(base, start as u32);
        let mut inner = head.into_inner();
        let ident = match inner.next() {
            Some(p) => b.ident(&p),
            None => return Item::Error(rel),
        };
        let labels: Vec<Label> = inner.map(|p| b.label(p)).collect();
        self.errors.extend(b.errors);

        let body_text = self.text.get(body_open..end).unwrap_or("");
        let sub = scanner::scan(body_text, body_open, Mode::Body);
        let mut items = Vec::new();
        for span in &sub.items {
            let (s, e) = (body_open + span.start, body_open + span.end);
            if span.depth > MAX_DEPTH {
                self.errors.push(too_deep(TextRange::from(s..e)));
                items.push(Item::Error(TextRange::from(s - item_abs..e - item_abs)));
            } else {
                items.push(self.item_at(item_abs, s, e, depth + 1));
            }
        }
        let body_end = match sub.close {
            Some(c) => {
                let close = body_open + c + 1;
                let rest = self.text.get(close..end).unwrap_or("");
                if !rest.trim().is_empty() {
                    let at = close + (rest.len() - rest.trim_start().len());
                    self.errors.push(SyntaxError {
                        message: format!(
                            "expected a newline after the block, found {}",
                            describe(self.norm, at)
                        ),
                        range: TextRange::from(at..end),
                        help: None,
                    });
                }
                close
            }
            None => end,
        };
        let body_range = TextRange::from(body_open - 1 - item_abs..body_end - item_abs);
        Item::Block(Block {
            ident,
            labels,
            body: Body { items },
            body_range,
            range: TextRange::from(start - item_abs..body_end - item_abs),
        })
    }
}

/// A human message for a pest error; `t` is the text given to pest, starting at `abs`.
fn pest_error(e: &pest::error::Error<Rule>, full: &str, abs: usize) -> SyntaxError {
    let pos = match e.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let positives: &[Rule] = match &e.variant {
        ErrorVariant::ParsingError { positives, .. } => positives,
        ErrorVariant::CustomError { .. } => &[],
    };
    let rest = full.get(abs + pos..).unwrap_or("");
    let pos = pos + (rest.len() - rest.trim_start_matches([' ', '\t']).len());
    let found = describe(full, abs + pos);
    let is_expr = |r: &Rule| {
        matches!(
            r,
            Rule::expr
                | Rule::binary
                | Rule::unary
                | Rule::unary_op
                | Rule::postfix
                | Rule::number
                | Rule::string
                | Rule::heredoc
                | Rule::lit_true
                | Rule::lit_false
                | Rule::lit_null
                | Rule::tuple
                | Rule::object
                | Rule::for_tuple
                | Rule::for_object
                | Rule::parens
                | Rule::call_or_var
                | Rule::func_name
        )
    };
    let has = |r: Rule| positives.contains(&r);
    let message = if positives.iter().any(is_expr) {
        format!("expected an expression, found {found}")
    } else if has(Rule::attribute) || has(Rule::block) || (pos == 0 && has(Rule::ident)) {
        format!("expected an attribute or a block, found {found}")
    } else if has(Rule::assign) && has(Rule::block_body) {
        format!("expected `=` or a block body, found {found}")
    } else if has(Rule::label_str) || has(Rule::block_body) {
        format!("expected a block label or `{{`, found {found}")
    } else if has(Rule::object_item) {
        format!("expected an object item, found {found}")
    } else if has(Rule::obj_eq) || has(Rule::obj_colon) {
        format!("expected `=` or `:` after the object key, found {found}")
    } else if has(Rule::heredoc_close) {
        "unterminated heredoc".to_string()
    } else if has(Rule::ident) {
        format!("expected an identifier, found {found}")
    } else if has(Rule::EOI) || has(Rule::bin_op) {
        format!("expected a newline, found {found}")
    } else {
        format!("unexpected {found}")
    };
    let len = found_len(full, abs + pos);
    SyntaxError {
        message,
        range: TextRange::from(abs + pos..abs + pos + len),
        help: None,
    }
}

/// The token at `pos`, for messages: "`}`", "end of file", "a newline".
fn describe(t: &str, pos: usize) -> String {
    let rest = t.get(pos..).unwrap_or("");
    match rest.chars().next() {
        None => "end of file".to_string(),
        Some('\n' | '\r' | '\x0B') => "a newline".to_string(),
        Some(_) => format!("`{}`", &rest[..found_len(t, pos)]),
    }
}

fn found_len(t: &str, pos: usize) -> usize {
    let rest = t.get(pos..).unwrap_or("");
    let Some(c) = rest.chars().next() else {
        return 0;
    };
    if c == '\n' || c == '\r' || c == '\x0B' {
        return 0;
    }
    if c.is_alphanumeric() || c == '_' {
        let word: usize = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '-')
            .take(32)
            .map(char::len_utf8)
            .sum();
        return word;
    }
    c.len_utf8()
}
