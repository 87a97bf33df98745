//! The canonical formatter (`terraform fmt` style), printing from the AST, the comments and the
//! original text.
//!
//! Layout rules: two-space indent, `=` aligned in runs of single-line attributes, one space
//! around binary operators, at most one blank line, comments kept in place. Templates, heredocs
//! and multi-line expressions other than tuples and objects are printed verbatim. Safety net:
//! when an item's comments were not all printed (a comment in an unusual place), or a top-level
//! item as printed would not parse, the item is printed verbatim instead, so formatting never
//! loses text or breaks a file.

use crate::ast::*;
use crate::{parse, SyntaxError};

/// Formats a file; refuses (returning the errors) when it has syntax errors.
///
/// The file's conventions are kept: a byte-order mark at the start stays, and a file whose
/// first line ends with CRLF gets CRLF on every line (heredoc lines included), as editors on
/// Windows expect; otherwise every line ends with LF.
pub fn format(text: &str) -> Result<String, Vec<SyntaxError>> {
    const BOM: char = '\u{FEFF}';
    let crlf = text.find('\n').is_some_and(|i| text[..i].ends_with('\r'));
    let out = format_lf(text)?;
    let out = if crlf {
        out.replace("\r\n", "\n").replace('\n', "\r\n")
    } else {
        out
    };
    if text.starts_with(BOM) && !out.starts_with(BOM) {
        return Ok(format!("{BOM}{out}"));
    }
    Ok(out)
}

/// [`format`] with the printer's own line ends (LF) and without the byte-order mark.
fn format_lf(text: &str) -> Result<String, Vec<SyntaxError>> {
    let parsed = parse(text);
    if !parsed.errors.is_empty() {
        return Err(parsed.errors);
    }
    let mut f = Fmt {
        text,
        comments: &parsed.file.comments,
        done: vec![false; parsed.file.comments.len()],
        low: 0,
        log: Vec::new(),
        out: String::new(),
    };
    let items: Vec<(u32, &Item)> = parsed
        .file
        .items
        .iter()
        .map(|t| (t.offset, &*t.item))
        .collect();
    f.body(&items, 0, text.len() as u32);
    let mut out = f.out.trim_end().to_string();
    if !out.is_empty() {
        out.push('\n');
    }
    Ok(out)
}

struct Fmt<'a> {
    text: &'a str,
    comments: &'a [Comment],
    /// Which comments are in the output (printed, or inside text copied verbatim).
    done: Vec<bool>,
    /// Every comment before this index is done.
    low: usize,
    /// The comments marked done, in order, so that an attempt can be undone.
    log: Vec<usize>,
    out: String,
}

fn pad(indent: usize) -> String {
    "  ".repeat(indent)
}

impl<'a> Fmt<'a> {
    fn src(&self, r: TextRange) -> &'a str {
        self.text.get(r.as_usize_range()).unwrap_or("")
    }

    fn newlines_between(&self, a: u32, b: u32) -> usize {
        if a >= b {
            return 0;
        }
        self.src(TextRange::new(a, b))
            .bytes()
            .filter(|&c| c == b'\n')
            .count()
    }

    /// Marks the comments that start inside `r` as done (they are part of verbatim text).
    fn consume_within(&mut self, r: TextRange) {
        let first = self
            .comments
            .partition_point(|c| c.range.start() < r.start());
        for k in first..self.comments.len() {
            if self.comments[k].range.start() >= r.end() {
                break;
            }
            self.mark_done(k);
        }
    }

    fn mark_done(&mut self, k: usize) {
        if !self.done[k] {
            self.done[k] = true;
            self.log.push(k);
        }
        while self.low < self.done.len() && self.done[self.low] {
            self.low += 1;
        }
    }

    /// Undoes every `mark_done` since `mark` (a length of `log`).
    fn undo_to(&mut self, mark: usize) {
        while self.log.len() > mark {
            if let Some(k) = self.log.pop() {
                self.done[k] = false;
                self.low = self.low.min(k);
            }
        }
    }

    /// Whether every comment that starts inside `r` is done.
    fn all_done_in(&self, r: TextRange) -> bool {
        let first = self
            .comments
            .partition_point(|c| c.range.start() < r.start());
        self.comments[first..]
            .iter()
            .zip(&self.done[first..])
            .take_while(|(c, _)| c.range.start() < r.end())
            .all(|(_, &done)| done)
    }

    fn has_comment_in(&self, r: TextRange) -> bool {
        let k = self
            .comments
            .partition_point(|c| c.range.start() < r.start());
        self.comments
            .get(k)
            .is_some_and(|c| c.range.start() < r.end())
    }

    /// Whether a comment starts on a line of its own between `a` and `b`.
    fn own_line_comment_between(&self, a: u32, b: u32) -> bool {
        let from = self.line_end(a);
        from < b && self.has_comment_in(TextRange::new(from, b))
    }

    /// Prints the comments not printed yet that start before `limit`, each on its own line,
    /// with blank lines kept.
    fn comments_before(&mut self, limit: u32, indent: usize, prev_end: &mut Option<u32>) {
        let mut k = self.low;
        while k < self.comments.len() && self.comments[k].range.start() < limit {
            if self.done[k] {
                k += 1;
                continue;
            }
            let c = &self.comments[k];
            if let Some(p) = *prev_end {
                if self.newlines_between(p, c.range.start()) >= 2 {
                    self.out.push('\n');
                }
            }
            self.out.push_str(&pad(indent));
            self.out.push_str(c.text.trim_end());
            self.out.push('\n');
            *prev_end = Some(c.range.end());
            self.mark_done(k);
            k += 1;
        }
    }

    /// Appends the comments that follow `end` on the same line with only spaces before them
    /// (a comment after more code belongs to that code).
    fn trailing(&mut self, end: u32) -> u32 {
        let mut end_at = end;
        let first = self.comments.partition_point(|c| c.range.start() < end);
        for k in first..self.comments.len() {
            let c = &self.comments[k];
            let gap = self.src(TextRange::new(end_at, c.range.start()));
            if self.done[k] || !gap.chars().all(|ch| ch == ' ' || ch == '\t') {
                break;
            }
            self.out.push(' ');
            self.out.push_str(c.text.trim_end());
            end_at = end_at.max(c.range.end());
            self.mark_done(k);
        }
        end_at
    }

    /// The block comments that start inside `gap` (between two tokens of one line: a block's
    /// name and labels, an attribute's name and value), each with a space before it, marked
    /// done. A line comment is left alone (it cannot be there in valid text; the item's
    /// check then prints the item verbatim).
    fn inline_comments(&mut self, gap: TextRange) -> String {
        let mut out = String::new();
        if gap.start() >= gap.end() {
            return out;
        }
        let first = self
            .comments
            .partition_point(|c| c.range.start() < gap.start());
        for k in first..self.comments.len() {
            let c = &self.comments[k];
            if c.range.start() >= gap.end() {
                break;
            }
            if self.done[k] || c.text.starts_with('#') || c.text.starts_with("//") {
                continue;
            }
            out.push(' ');
            out.push_str(c.text.trim_end());
            self.mark_done(k);
        }
        out
    }

    /// Just after the comma that follows `from` with only whitespace before it, if one does
    /// before `limit`.
    fn comma_after(&self, from: u32, limit: u32) -> Option<u32> {
        let rest = self.src(TextRange::new(from, limit));
        let k = rest.find(|c: char| !c.is_whitespace())?;
        rest[k..].starts_with(',').then(|| from + k as u32 + 1)
    }

    /// Ends the line of an opening bracket at `open`, keeping a comment that follows it on the
    /// same line (`{ # note`) there.
    fn after_open(&mut self, open: u32) {
        let after = open + 1;
        let first = self.comments.partition_point(|c| c.range.start() < after);
        if let Some(c) = self.comments.get(first) {
            let gap = self.src(TextRange::new(after, c.range.start()));
            if !self.done[first] && gap.chars().all(|ch| ch == ' ' || ch == '\t') {
                self.trailing(after);
            }
        }
        self.out.push('\n');
    }

    /// Prints body items (`base` is each item's absolute offset) up to `end`.
    fn body(&mut self, items: &[(u32, &Item)], indent: usize, end: u32) {
        let mut prev_end: Option<u32> = None;
        let mut i = 0;
        while i < items.len() {
            let (base, item) = items[i];
            let r = item.range().shifted(base);
            self.comments_before(r.start(), indent, &mut prev_end);
            if let Some(p) = prev_end {
                if self.newlines_between(p, r.start()) >= 2 {
                    self.out.push('\n');
                }
            }
            // A run of single-line attributes, aligned on `=`.
            let mut j = i;
            let mut printed = Vec::new();
            while j < items.len() {
                let (b, Item::Attribute(a)) = items[j] else {
                    break;
                };
                let ar = a.range.shifted(b);
                if j > i {
                    let prev = items[j - 1].1.range().shifted(items[j - 1].0);
                    if self.newlines_between(prev.end(), ar.start()) != 1
                        || self.own_line_comment_between(prev.end(), ar.start())
                    {
                        break;
                    }
                }
                if self.has_comment_in(ar) {
                    break;
                }
                // Computing a value marks nothing done: the attribute has no comment inside,
                // and a multi-line value is printed again by `item` below.
                let mark = self.log.len();
                let value = self.expr(&a.expr, b, indent);
                self.undo_to(mark);
                if value.contains('\n') {
                    break;
                }
                printed.push((a, b, value));
                j += 1;
            }
            if printed.is_empty() {
                let mark = (self.out.len(), self.log.len());
                self.item(item, base, indent);
                // A top-level item must parse as printed (the parser rejects some layouts of
                // heredocs inside brackets that it accepts on one line).
                let parses = indent > 0 || parse(&self.out[mark.0..]).errors.is_empty();
                if !self.all_done_in(r) || !parses {
                    self.out.truncate(mark.0);
                    self.undo_to(mark.1);
                    self.out.push_str(&pad(indent));
                    self.out.push_str(self.src(r));
                    self.consume_within(r);
                }
                let e = self.trailing(r.end());
                self.out.push('\n');
                prev_end = Some(e);
                i += 1;
                continue;
            }
            let width = printed
                .iter()
                .map(|(a, _, _)| a.name.name.chars().count())
                .max()
                .unwrap_or(0);
            for (a, b, value) in printed {
                let ar = a.range.shifted(b);
                self.consume_within(ar);
                let name = &a.name.name;
                let fill = width - name.chars().count();
                self.out.push_str(&format!(
                    "{}{}{} = {}",
                    pad(indent),
                    name,
                    " ".repeat(fill),
                    value
                ));
                let e = self.trailing(ar.end());
                self.out.push('\n');
                prev_end = Some(e);
            }
            i = j;
        }
        let mut p = prev_end;
        self.comments_before(end, indent, &mut p);
    }

    fn line_end(&self, from: u32) -> u32 {
        let rest = self.text.get(from as usize..).unwrap_or("");
        from + rest.find('\n').unwrap_or(rest.len()) as u32
    }

    fn item(&mut self, item: &Item, base: u32, indent: usize) {
        match item {
            Item::Attribute(a) => {
                let gap = TextRange::new(a.name.range.end(), a.expr.range.start()).shifted(base);
                let lead = self.inline_comments(gap);
                let value = self.expr(&a.expr, base, indent);
                self.out
                    .push_str(&format!("{}{} ={lead} {}", pad(indent), a.name.name, value));
            }
            Item::Block(b) => self.block(b, base, indent),
            Item::Error(r) => {
                let r = r.shifted(base);
                self.out.push_str(&pad(indent));
                self.out.push_str(self.src(r));
            }
        }
    }

    fn block(&mut self, b: &Block, base: u32, indent: usize) {
        let body_range = b.body_range.shifted(base);
        let mut head = format!("{}{}", pad(indent), b.ident.name);
        let mut prev = b.ident.range.shifted(base).end();
        for l in &b.labels {
            let label = l.range.shifted(base);
            head.push_str(&self.inline_comments(TextRange::new(prev, label.start())));
            head.push(' ');
            if l.quoted {
                head.push_str(self.src(label));
            } else {
                head.push_str(&l.value);
            }
            prev = label.end();
        }
        head.push_str(&self.inline_comments(TextRange::new(prev, body_range.start())));
        self.out.push_str(&head);
        let one_line = !self.src(body_range).contains('\n');
        if b.body.items.is_empty() && !self.has_comment_in(body_range) {
            self.out.push_str(" {}");
            return;
        }
        if one_line && b.body.items.len() == 1 && !self.has_comment_in(body_range) {
            if let Item::Attribute(a) = &b.body.items[0] {
                let value = self.expr(&a.expr, base, indent);
                if !value.contains('\n') {
                    self.out
                        .push_str(&format!(" {{ {} = {} }}", a.name.name, value));
                    return;
                }
            }
        }
        self.out.push_str(" {");
        self.after_open(body_range.start());
        let items: Vec<(u32, &Item)> = b.body.items.iter().map(|i| (base, i)).collect();
        self.body(&items, indent + 1, body_range.end().saturating_sub(1));
        self.out.push_str(&pad(indent));
        self.out.push('}');
    }

    /// The text of an expression; `base` is the absolute offset of its top-level item.
    fn expr(&mut self, e: &Expr, base: u32, indent: usize) -> String {
        let abs = e.range.shifted(base);
        let src = self.src(abs);
        let multi = src.contains('\n');
        match &e.kind {
            ExprKind::Tuple(items) if multi && !items.is_empty() => {
                return self.multi_tuple(items, base, indent, abs);
            }
            ExprKind::Object(items) if multi && !items.is_empty() => {
                return self.multi_object(items, base, indent, abs);
            }
            ExprKind::Template(_) => {
                let s = src.to_string();
                self.consume_within(abs);
                return s;
            }
            _ if multi || self.has_comment_in(abs) => {
                let s = src.to_string();
                self.consume_within(abs);
                return s;
            }
            _ => {}
        }
        self.flat(e, base, false)
    }

    /// A single-line expression without comments, canonically spaced.
    fn flat(&mut self, e: &Expr, base: u32, full_splat: bool) -> String {
        let f = |s: &mut Self, x: &Expr| s.flat(x, base, full_splat);
        match &e.kind {
            ExprKind::Null => "null".into(),
            ExprKind::Bool(v) => v.to_string(),
            ExprKind::Number(n) => n.clone(),
            ExprKind::Template(_) | ExprKind::Error => self.src(e.range.shifted(base)).to_string(),
            ExprKind::Variable(v) => v.name.clone(),
            ExprKind::SplatItem => if full_splat { "[*]" } else { ".*" }.into(),
            ExprKind::Tuple(items) => {
                let parts: Vec<String> = items.iter().map(|x| f(self, x)).collect();
                format!("[{}]", parts.join(", "))
            }
            ExprKind::Object(items) => {
                if items.is_empty() {
                    return "{}".into();
                }
                let parts: Vec<String> = items
                    .iter()
                    .map(|i| {
                        let sep = if i.colon { ":" } else { " =" };
                        format!("{}{} {}", f(self, &i.key), sep, f(self, &i.value))
                    })
                    .collect();
                format!("{{ {} }}", parts.join(", "))
            }
            ExprKind::Call {
                name,
                args,
                expand_final,
            } => {
                let parts: Vec<String> = args.iter().map(|x| f(self, x)).collect();
                let dots = if *expand_final { "..." } else { "" };
                format!("{}({}{})", name.name, parts.join(", "), dots)
            }
            ExprKind::GetAttr { expr, name } => format!("{}.{}", f(self, expr), name.name),
            ExprKind::Index { expr, index } => {
                let legacy = index.range.start() > 0
                    && self
                        .text
                        .as_bytes()
                        .get((index.range.start() + base - 1) as usize)
                        == Some(&b'.');
                if legacy && matches!(index.kind, ExprKind::Number(_)) {
                    format!("{}.{}", f(self, expr), f(self, index))
                } else {
                    format!("{}[{}]", f(self, expr), f(self, index))
                }
            }
            ExprKind::Splat { expr, full, each } => {
                let source = f(self, expr);
                format!("{}{}", source, self.flat(each, base, *full))
            }
            ExprKind::Unary { op, expr } => {
                let op = if *op == UnaryOp::Neg { "-" } else { "!" };
                format!("{}{}", op, f(self, expr))
            }
            ExprKind::Binary { op, lhs, rhs } => {
                format!("{} {} {}", f(self, lhs), op.as_str(), f(self, rhs))
            }
            ExprKind::Conditional { cond, then, other } => {
                format!("{} ? {} : {}", f(self, cond), f(self, then), f(self, other))
            }
            ExprKind::Parens(x) => format!("({})", f(self, x)),
            ExprKind::ForTuple {
                key_var,
                value_var,
                collection,
                value,
                cond,
            } => {
                let mut s = format!(
                    "[{} {} : {}",
                    for_vars(key_var, value_var),
                    f(self, collection),
                    f(self, value)
                );
                if let Some(c) = cond {
                    s.push_str(&format!(" if {}", f(self, c)));
                }
                s.push(']');
                s
            }
            ExprKind::ForObject {
                key_var,
                value_var,
                collection,
                key,
                value,
                grouping,
                cond,
            } => {
                let mut s = format!(
                    "{{{} {} : {} => {}{}",
                    for_vars(key_var, value_var),
                    f(self, collection),
                    f(self, key),
                    f(self, value),
                    if *grouping { "..." } else { "" }
                );
                if let Some(c) = cond {
                    s.push_str(&format!(" if {}", f(self, c)));
                }
                s.push('}');
                s
            }
        }
    }

    fn multi_tuple(&mut self, items: &[Expr], base: u32, indent: usize, abs: TextRange) -> String {
        let outer = std::mem::take(&mut self.out);
        self.out.push('[');
        self.after_open(abs.start());
        let mut prev_end = None;
        for x in items {
            let r = x.range.shifted(base);
            self.comments_before(r.start(), indent + 1, &mut prev_end);
            let v = self.expr(x, base, indent + 1);
            self.out.push_str(&pad(indent + 1));
            self.out.push_str(&v);
            if ends_with_heredoc(x) {
                self.out.push('\n');
                self.out.push_str(&pad(indent + 1));
            }
            self.out.push(',');
            let comma = self.src(TextRange::new(r.end(), abs.end())).find(',');
            let after = comma
                .map(|k| r.end() + k as u32 + 1)
                .filter(|&p| self.newlines_between(r.end(), p) == 0);
            let mut e = self.trailing(after.unwrap_or(r.end()));
            self.out.push('\n');
            if ends_with_heredoc(x) {
                e = e.max(self.comma_after(r.end(), abs.end()).unwrap_or(e));
            }
            prev_end = Some(e);
        }
        self.comments_before(abs.end(), indent + 1, &mut prev_end);
        self.out.push_str(&pad(indent));
        self.out.push(']');
        std::mem::replace(&mut self.out, outer)
    }

    fn multi_object(
        &mut self,
        items: &[ObjectItem],
        base: u32,
        indent: usize,
        abs: TextRange,
    ) -> String {
        let outer = std::mem::take(&mut self.out);
        self.out.push('{');
        self.after_open(abs.start());
        let mut prev_end: Option<u32> = None;
        let mut i = 0;
        while i < items.len() {
            // A run of single-line `=` items, aligned.
            let mut run: Vec<(String, String, TextRange, bool)> = Vec::new();
            let mut j = i;
            while j < items.len() {
                let it = &items[j];
                let r = it.key.range.cover(it.value.range).shifted(base);
                if j > i {
                    // Items on one line are split onto consecutive lines, so they align too.
                    let prev = run.last().map(|x| x.2).unwrap_or(r);
                    if self.newlines_between(prev.end(), r.start()) > 1
                        || self.own_line_comment_between(prev.end(), r.start())
                    {
                        break;
                    }
                }
                if j == i {
                    self.comments_before(r.start(), indent + 1, &mut prev_end);
                    if let Some(p) = prev_end {
                        if self.newlines_between(p, r.start()) >= 2 {
                            self.out.push('\n');
                        }
                    }
                }
                if self.has_comment_in(r) {
                    if j > i {
                        break;
                    }
                    let s = self.src(r).to_string();
                    self.consume_within(r);
                    run.push((s, String::new(), r, true));
                    j += 1;
                    break;
                }
                let key = self.expr(&it.key, base, indent + 1);
                let value = self.expr(&it.value, base, indent + 1);
                let single = !value.contains('\n') && !it.colon;
                if !single && j > i {
                    break;
                }
                run.push((
                    key,
                    format!("{}{}", if it.colon { ": " } else { "= " }, value),
                    r,
                    !single,
                ));
                j += 1;
                if !single {
                    break;
                }
            }
            let width = run
                .iter()
                .filter(|x| !x.3)
                .map(|x| x.0.chars().count())
                .max()
                .unwrap_or(0);
            for (key, value, r, raw) in run {
                self.out.push_str(&pad(indent + 1));
                if raw && value.is_empty() {
                    self.out.push_str(&key);
                } else if raw {
                    self.out.push_str(&format!(
                        "{}{}{}",
                        key,
                        if value.starts_with(':') { "" } else { " " },
                        value
                    ));
                } else {
                    let fill = width - key.chars().count();
                    self.out
                        .push_str(&format!("{}{} {}", key, " ".repeat(fill), value));
                }
                let comma = self.src(TextRange::new(r.end(), abs.end())).find(',');
                let after = comma
                    .map(|k| r.end() + k as u32 + 1)
                    .filter(|&p| self.newlines_between(r.end(), p) == 0);
                let e = self.trailing(after.unwrap_or(r.end()));
                self.out.push('\n');
                prev_end = Some(e);
            }
            i = j;
        }
        self.comments_before(abs.end(), indent + 1, &mut prev_end);
        self.out.push_str(&pad(indent));
        self.out.push('}');
        std::mem::replace(&mut self.out, outer)
    }
}

fn for_vars(key: &Option<Ident>, value: &Ident) -> String {
    match key {
        Some(k) => format!("for {}, {} in", k.name, value.name),
        None => format!("for {} in", value.name),
    }
}

/// Whether the expression's text ends with a heredoc's closing marker.
fn ends_with_heredoc(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Template(t) => matches!(t.kind, TemplateKind::Heredoc { .. }),
        ExprKind::Binary { rhs, .. } => ends_with_heredoc(rhs),
        ExprKind::Conditional { other, .. } => ends_with_heredoc(other),
        ExprKind::Unary { expr, .. } => ends_with_heredoc(expr),
        _ => false,
    }
}
