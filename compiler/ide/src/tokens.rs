//! Semantic tokens: block types, labels, attribute names, references, functions, strings,
//! numbers, keywords and comments, in order and non-overlapping, with absolute ranges.

use skel_db::{Db, File};
use skel_syntax::{Block, Body, Expr, ExprKind, Item, TemplatePart, TextRange, TextSize};

use crate::{SemanticToken, TokenKind};

pub(crate) fn semantic_tokens(db: &dyn Db, file: File) -> Vec<SemanticToken> {
    let parse = skel_db::parse(db, file);
    let mut out = Vec::new();
    for top in &parse.file.items {
        let mut t = Tokens {
            off: top.offset,
            out: &mut out,
        };
        match &*top.item {
            Item::Block(b) => t.block(b, true),
            Item::Attribute(a) => {
                t.push(a.name.range, TokenKind::Property, false);
                t.expr(&a.expr);
            }
            Item::Error(_) => {}
        }
    }
    for c in &parse.file.comments {
        out.push(SemanticToken {
            range: c.range,
            kind: TokenKind::Comment,
            declaration: false,
        });
    }
    out.sort_by_key(|t| (t.range.start(), t.range.end()));
    let mut result: Vec<SemanticToken> = Vec::with_capacity(out.len());
    for token in out {
        if token.range.is_empty() {
            continue;
        }
        if result
            .last()
            .is_some_and(|last| token.range.start() < last.range.end())
        {
            continue;
        }
        result.push(token);
    }
    result
}

struct Tokens<'a> {
    off: TextSize,
    out: &'a mut Vec<SemanticToken>,
}

impl Tokens<'_> {
    fn push(&mut self, range: TextRange, kind: TokenKind, declaration: bool) {
        self.out.push(SemanticToken {
            range: range.shifted(self.off),
            kind,
            declaration,
        });
    }

    fn block(&mut self, b: &Block, top: bool) {
        self.push(b.ident.range, TokenKind::BlockType, false);
        let n = b.labels.len();
        for (i, l) in b.labels.iter().enumerate() {
            let is_type =
                top && n == 2 && i == 0 && matches!(b.ident.name.as_str(), "resource" | "data");
            if is_type {
                self.push(l.range, TokenKind::Type, false);
            } else {
                self.push(l.range, TokenKind::Label, top);
            }
        }
        let locals = top && b.ident.name == "locals";
        self.body(&b.body, locals);
    }

    fn body(&mut self, body: &Body, locals: bool) {
        for item in &body.items {
            match item {
                Item::Attribute(a) => {
                    if locals {
                        self.push(a.name.range, TokenKind::Variable, true);
                    } else {
                        self.push(a.name.range, TokenKind::Property, false);
                    }
                    self.expr(&a.expr);
                }
                Item::Block(b) => self.block(b, false),
                Item::Error(_) => {}
            }
        }
    }

    fn expr(&mut self, e: &Expr) {
        match &e.kind {
            ExprKind::Null | ExprKind::Bool(_) => self.push(e.range, TokenKind::Keyword, false),
            ExprKind::Number(_) => self.push(e.range, TokenKind::Number, false),
            ExprKind::Template(t) => self.parts(e.range, &t.parts),
            ExprKind::Variable(i) => self.push(i.range, TokenKind::Variable, false),
            ExprKind::Tuple(items) => items.iter().for_each(|x| self.expr(x)),
            ExprKind::Object(items) => {
                for i in items {
                    match &i.key.kind {
                        ExprKind::Variable(k) => self.push(k.range, TokenKind::Property, false),
                        _ => self.expr(&i.key),
                    }
                    self.expr(&i.value);
                }
            }
            ExprKind::Call { name, args, .. } => {
                self.push(name.range, TokenKind::Function, false);
                args.iter().for_each(|x| self.expr(x));
            }
            ExprKind::GetAttr { expr, name } => {
                self.expr(expr);
                self.push(name.range, TokenKind::Property, false);
            }
            ExprKind::Index { expr, index } => {
                self.expr(expr);
                self.expr(index);
            }
            ExprKind::Splat { expr, each, .. } => {
                self.expr(expr);
                self.expr(each);
            }
            ExprKind::Unary { expr, .. } | ExprKind::Parens(expr) => self.expr(expr),
            ExprKind::Binary { lhs, rhs, .. } => {
                self.expr(lhs);
                self.expr(rhs);
            }
            ExprKind::Conditional { cond, then, other } => {
                self.expr(cond);
                self.expr(then);
                self.expr(other);
            }
            ExprKind::ForTuple {
                key_var,
                value_var,
                collection,
                value,
                cond,
            } => {
                self.for_vars(key_var.as_ref(), value_var);
                self.expr(collection);
                self.expr(value);
                if let Some(c) = cond {
                    self.expr(c);
                }
            }
            ExprKind::ForObject {
                key_var,
                value_var,
                collection,
                key,
                value,
                cond,
                ..
            } => {
                self.for_vars(key_var.as_ref(), value_var);
                self.expr(collection);
                self.expr(key);
                self.expr(value);
                if let Some(c) = cond {
                    self.expr(c);
                }
            }
            ExprKind::SplatItem | ExprKind::Error => {}
        }
    }

    fn for_vars(&mut self, k: Option<&skel_syntax::Ident>, v: &skel_syntax::Ident) {
        if let Some(k) = k {
            self.push(k.range, TokenKind::Variable, true);
        }
        self.push(v.range, TokenKind::Variable, true);
    }

    /// String pieces of a template: the range minus its interpolations and directives, whose
    /// expressions are tokenized instead.
    fn parts(&mut self, range: TextRange, parts: &[TemplatePart]) {
        let mut cursor = range.start();
        for part in parts {
            let hole = match part {
                TemplatePart::Literal { .. } => continue,
                TemplatePart::Interpolation { range, .. }
                | TemplatePart::If { range, .. }
                | TemplatePart::For { range, .. } => *range,
            };
            if hole.start() > cursor {
                self.push(
                    TextRange::new(cursor, hole.start()),
                    TokenKind::String,
                    false,
                );
            }
            match part {
                TemplatePart::Interpolation { expr, .. } => self.expr(expr),
                TemplatePart::If {
                    cond, then, other, ..
                } => {
                    self.expr(cond);
                    self.literals(then);
                    if let Some(o) = other {
                        self.literals(o);
                    }
                }
                TemplatePart::For {
                    key_var,
                    value_var,
                    collection,
                    body,
                    ..
                } => {
                    self.for_vars(key_var.as_ref(), value_var);
                    self.expr(collection);
                    self.literals(body);
                }
                TemplatePart::Literal { .. } => {}
            }
            cursor = cursor.max(hole.end());
        }
        if range.end() > cursor {
            self.push(
                TextRange::new(cursor, range.end()),
                TokenKind::String,
                false,
            );
        }
    }

    fn literals(&mut self, parts: &[TemplatePart]) {
        for part in parts {
            match part {
                TemplatePart::Literal { range, .. } => self.push(*range, TokenKind::String, false),
                TemplatePart::Interpolation { expr, .. } => self.expr(expr),
                TemplatePart::If {
                    cond, then, other, ..
                } => {
                    self.expr(cond);
                    self.literals(then);
                    if let Some(o) = other {
                        self.literals(o);
                    }
                }
                TemplatePart::For {
                    collection, body, ..
                } => {
                    self.expr(collection);
                    self.literals(body);
                }
            }
        }
    }
}
