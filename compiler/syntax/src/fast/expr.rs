//! Expressions: conditionals, binary operators with HCL precedence, unary operators,
//! traversals and splats, and every primary form, built exactly as `build.rs` builds them.
//!
//! Every function returns the expression with its *need*: the smallest headroom the pest
//! builder's depth checks require (`depth + need > MAX_EXPR_DEPTH` is an error there), so the
//! fast path refuses exactly the trees the builder would refuse.

use super::Parser;
use crate::ast::*;
use crate::build::{bin_op, finish_splat, reduce, MAX_EXPR_DEPTH};

pub(super) type Need = u32;

impl Parser<'_> {
    /// `expr = { binary ~ (cond_then ~ binary)* }`, `cond_then = { "?" ~ expr ~ ":" }`
    pub(super) fn expr(&mut self) -> Option<(Expr, Need)> {
        if self.nest >= super::MAX_NEST {
            self.bad = true;
            return None;
        }
        self.nest += 1;
        let r = self.binary().and_then(|first| {
            let save = self.pos;
            self.skip();
            let q = self.peek() == Some(b'?');
            self.pos = save;
            if q {
                self.cond_tail(first)
            } else {
                Some(first)
            }
        });
        self.nest -= 1;
        r
    }

    /// The `(cond_then ~ binary)*` part of `expr`, when a `?` follows.
    #[inline(never)]
    fn cond_tail(&mut self, (first, first_need): (Expr, Need)) -> Option<(Expr, Need)> {
        let mut conds: Vec<(Expr, Expr)> = Vec::new();
        let mut bin_need = first_need;
        let mut then_need = 0;
        let mut last = first;
        loop {
            let save = self.pos;
            self.skip();
            if !self.eat(b'?') {
                self.pos = save;
                break;
            }
            self.skip();
            let Some((then, tn)) = self.expr() else {
                self.pos = save;
                break;
            };
            self.skip();
            if !self.eat(b':') {
                self.pos = save;
                break;
            }
            self.skip();
            let Some((other, on)) = self.binary() else {
                self.pos = save;
                break;
            };
            then_need = then_need.max(1 + tn);
            bin_need = bin_need.max(on);
            conds.push((std::mem::replace(&mut last, other), then));
        }
        let n = conds.len() as u32;
        if n == 0 {
            return Some((last, first_need));
        }
        if n > MAX_EXPR_DEPTH {
            // The builder refuses it; do not build a tree too deep to drop.
            self.bad = true;
            return None;
        }
        let need = (n + bin_need).max(then_need);
        while let Some((cond, then)) = conds.pop() {
            let r = cond.range.cover(last.range);
            last = Expr::new(
                ExprKind::Conditional {
                    cond: Box::new(cond),
                    then: Box::new(then),
                    other: Box::new(last),
                },
                r,
            );
        }
        Some((last, need))
    }

    /// `bin_op`: the operator at the current position and its length.
    fn bin_op(&self) -> Option<(BinaryOp, usize)> {
        let c = self.peek()?;
        let next = self.b.get(self.pos + 1).copied();
        let two = matches!(
            (c, next),
            (b'|', Some(b'|')) | (b'&', Some(b'&')) | (b'=' | b'!' | b'<' | b'>', Some(b'='))
        );
        if two {
            return Some((bin_op(&self.src[self.pos..self.pos + 2]), 2));
        }
        match c {
            b'<' | b'>' | b'+' | b'-' | b'*' | b'/' | b'%' => {
                Some((bin_op(&self.src[self.pos..self.pos + 1]), 1))
            }
            _ => None,
        }
    }

    /// `binary = { unary ~ (bin_op ~ unary)* }`, folded by precedence like the builder.
    pub(super) fn binary(&mut self) -> Option<(Expr, Need)> {
        let first = self.unary()?;
        let save = self.pos;
        self.skip();
        let op = self.bin_op().is_some();
        self.pos = save;
        if op {
            self.binary_tail(first)
        } else {
            Some(first)
        }
    }

    /// The `(bin_op ~ unary)*` part of `binary`, when an operator follows.
    #[inline(never)]
    fn binary_tail(&mut self, first: (Expr, Need)) -> Option<(Expr, Need)> {
        // The builder's operator-precedence fold, done as operands arrive.
        let mut max_need = first.1;
        let mut out = Vec::with_capacity(4);
        out.push(first.0);
        let mut ops: Vec<BinaryOp> = Vec::with_capacity(4);
        let mut n = 1u32;
        loop {
            let save = self.pos;
            self.skip();
            let Some((op, len)) = self.bin_op() else {
                self.pos = save;
                break;
            };
            self.pos += len;
            self.skip();
            let Some((rhs, rn)) = self.unary() else {
                self.pos = save;
                break;
            };
            n += 1;
            if n > MAX_EXPR_DEPTH {
                self.bad = true;
                return None;
            }
            max_need = max_need.max(rn);
            while ops
                .last()
                .is_some_and(|top| top.precedence() >= op.precedence())
            {
                reduce(&mut out, &mut ops);
            }
            ops.push(op);
            out.push(rhs);
        }
        while !ops.is_empty() {
            reduce(&mut out, &mut ops);
        }
        let e = out.pop()?;
        let need = if n == 1 { max_need } else { n + max_need };
        Some((e, need))
    }

    /// `unary = { unary_op* ~ postfix }`
    fn unary(&mut self) -> Option<(Expr, Need)> {
        if matches!(self.peek(), Some(b'-' | b'!')) {
            self.unary_ops()
        } else {
            self.postfix()
        }
    }

    #[inline(never)]
    fn unary_ops(&mut self) -> Option<(Expr, Need)> {
        let mut ops: Vec<(UnaryOp, usize)> = Vec::new();
        let start = self.pos;
        while let Some(c @ (b'-' | b'!')) = self.peek() {
            let op = if c == b'-' {
                UnaryOp::Neg
            } else {
                UnaryOp::Not
            };
            ops.push((op, self.pos));
            self.pos += 1;
            self.skip();
        }
        let n = ops.len() as u32;
        if n > MAX_EXPR_DEPTH {
            self.bad = true;
            return None;
        }
        let Some((mut e, need)) = self.postfix() else {
            self.pos = start;
            return None;
        };
        for (op, at) in ops.into_iter().rev() {
            let r = TextRange::new(at as u32, at as u32 + 1).cover(e.range);
            e = Expr::new(
                ExprKind::Unary {
                    op,
                    expr: Box::new(e),
                },
                r,
            );
        }
        Some((e, n + need))
    }

    /// `postfix = { primary ~ step* }` with the builder's splat handling.
    fn postfix(&mut self) -> Option<(Expr, Need)> {
        let first = self.primary()?;
        let save = self.pos;
        self.skip();
        let step = matches!(self.peek(), Some(b'.' | b'['));
        self.pos = save;
        if step {
            self.steps(first)
        } else {
            Some(first)
        }
    }

    /// The `step*` part of `postfix`, when a `.` or `[` follows.
    #[inline(never)]
    fn steps(&mut self, (mut cur, mut max_need): (Expr, Need)) -> Option<(Expr, Need)> {
        let mut n_steps = 0u32;
        let mut splat: Option<(Expr, bool, Expr)> = None;
        loop {
            if n_steps > MAX_EXPR_DEPTH {
                self.bad = true;
                return None;
            }
            let save = self.pos;
            self.skip();
            let step_start = self.pos;
            match self.peek() {
                Some(b'.') => {
                    self.pos += 1;
                    let after_dot = self.pos;
                    self.skip();
                    if self.eat(b'*') {
                        // attr_splat
                        if let Some(s) = splat.take() {
                            cur = finish_splat(s);
                        }
                        let item = Expr::new(ExprKind::SplatItem, self.range(step_start));
                        let source =
                            std::mem::replace(&mut cur, Expr::new(ExprKind::Error, item.range));
                        splat = Some((source, false, item));
                    } else if self.b.get(after_dot).is_some_and(u8::is_ascii_digit) {
                        // legacy_idx: no whitespace between `.` and the digits
                        let mut end = after_dot;
                        while self.b.get(end).is_some_and(u8::is_ascii_digit) {
                            end += 1;
                        }
                        self.pos = end;
                        let index = Expr::new(
                            ExprKind::Number(self.src[after_dot..end].to_string()),
                            TextRange::new(after_dot as u32, end as u32),
                        );
                        let step_range = self.range(step_start);
                        let target = splat.as_mut().map_or(&mut cur, |s| &mut s.2);
                        let old = std::mem::replace(target, Expr::new(ExprKind::Error, step_range));
                        let r = old.range.cover(step_range);
                        *target = Expr::new(
                            ExprKind::Index {
                                expr: Box::new(old),
                                index: Box::new(index),
                            },
                            r,
                        );
                    } else if let Some(name) = self.ident() {
                        let step_range = self.range(step_start);
                        let target = splat.as_mut().map_or(&mut cur, |s| &mut s.2);
                        let old = std::mem::replace(target, Expr::new(ExprKind::Error, step_range));
                        let r = old.range.cover(step_range);
                        *target = Expr::new(
                            ExprKind::GetAttr {
                                expr: Box::new(old),
                                name,
                            },
                            r,
                        );
                    } else {
                        self.pos = save;
                        break;
                    }
                }
                Some(b'[') => {
                    self.pos += 1;
                    self.skip();
                    let inner = self.pos;
                    if self.eat(b'*') {
                        self.skip();
                        if self.eat(b']') {
                            // full_splat
                            if let Some(s) = splat.take() {
                                cur = finish_splat(s);
                            }
                            let item = Expr::new(ExprKind::SplatItem, self.range(step_start));
                            let source =
                                std::mem::replace(&mut cur, Expr::new(ExprKind::Error, item.range));
                            splat = Some((source, true, item));
                            n_steps += 1;
                            continue;
                        }
                        self.pos = inner;
                    }
                    let Some((index, n)) = self.expr() else {
                        self.pos = save;
                        break;
                    };
                    self.skip();
                    if !self.eat(b']') {
                        self.pos = save;
                        break;
                    }
                    max_need = max_need.max(n);
                    let step_range = self.range(step_start);
                    if let Some((_, false, _)) = splat {
                        if let Some(s) = splat.take() {
                            cur = finish_splat(s);
                        }
                    }
                    let target = splat.as_mut().map_or(&mut cur, |s| &mut s.2);
                    let old = std::mem::replace(target, Expr::new(ExprKind::Error, step_range));
                    let r = old.range.cover(step_range);
                    *target = Expr::new(
                        ExprKind::Index {
                            expr: Box::new(old),
                            index: Box::new(index),
                        },
                        r,
                    );
                }
                _ => {
                    self.pos = save;
                    break;
                }
            }
            n_steps += 1;
        }
        let e = match splat {
            Some(s) => finish_splat(s),
            None => cur,
        };
        Some((e, n_steps + max_need))
    }

    /// `primary`: the ordered choice, dispatched on the first byte. Each form is its own
    /// function so the frames on the recursion path stay small.
    fn primary(&mut self) -> Option<(Expr, Need)> {
        match self.peek()? {
            b'0'..=b'9' => Some(self.number()),
            b'"' | b'<' => self.template_expr(),
            b'[' | b'{' => self.bracketed(),
            b'(' => self.parens(),
            _ => self.word(),
        }
    }

    #[inline(never)]
    fn number(&mut self) -> (Expr, Need) {
        let start = self.pos;
        let end = self.number_end(start);
        self.pos = end;
        let kind = ExprKind::Number(self.src[start..end].to_string());
        (Expr::new(kind, self.range(start)), 0)
    }

    #[inline(never)]
    fn template_expr(&mut self) -> Option<(Expr, Need)> {
        let start = self.pos;
        let (t, n) = if self.peek() == Some(b'"') {
            self.quoted()?
        } else {
            self.heredoc()?
        };
        Some((Expr::new(ExprKind::Template(t), self.range(start)), n))
    }

    /// `for_tuple | tuple` or `for_object | object`.
    fn bracketed(&mut self) -> Option<(Expr, Need)> {
        let start = self.pos;
        let tuple = self.peek() == Some(b'[');
        let (kind, need) = match self.for_expr(tuple) {
            Some(r) => r,
            None => {
                self.pos = start;
                if tuple {
                    self.tuple()?
                } else {
                    self.object()?
                }
            }
        };
        Some((Expr::new(kind, self.range(start)), need))
    }

    /// `parens = { "(" ~ expr ~ ")" }`
    fn parens(&mut self) -> Option<(Expr, Need)> {
        let start = self.pos;
        self.pos += 1;
        self.skip();
        let (inner, n) = self.expr()?;
        self.skip();
        if !self.eat(b')') {
            return None;
        }
        let r = self.range(start);
        Some((Expr::new(ExprKind::Parens(Box::new(inner)), r), 1 + n))
    }

    /// `lit_true | lit_false | lit_null | call_or_var`
    fn word(&mut self) -> Option<(Expr, Need)> {
        let start = self.pos;
        let kind = match self.peek() {
            Some(b't') if self.keyword(b"true") => ExprKind::Bool(true),
            Some(b'f') if self.keyword(b"false") => ExprKind::Bool(false),
            Some(b'n') if self.keyword(b"null") => ExprKind::Null,
            _ => return self.call_or_var(),
        };
        Some((Expr::new(kind, self.range(start)), 0))
    }

    /// `number = @{ ASCII_DIGIT+ ~ ("." ~ ASCII_DIGIT+)? ~ (^"e" ~ ("+" | "-")? ~ ASCII_DIGIT+)? }`
    fn number_end(&self, start: usize) -> usize {
        let b = self.b;
        let digits = |mut i: usize| {
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            i
        };
        let mut end = digits(start);
        if b.get(end) == Some(&b'.') {
            let e = digits(end + 1);
            if e > end + 1 {
                end = e;
            }
        }
        if matches!(b.get(end), Some(b'e' | b'E')) {
            let mut i = end + 1;
            if matches!(b.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            let e = digits(i);
            if e > i {
                end = e;
            }
        }
        end
    }

    /// `call_or_var = { func_name ~ call_args? }`
    fn call_or_var(&mut self) -> Option<(Expr, Need)> {
        let start = self.pos;
        let mut end = self.ident_end(start)?;
        let mut namespaced = false;
        while self.b.get(end) == Some(&b':') && self.b.get(end + 1) == Some(&b':') {
            match self.ident_end(end + 2) {
                Some(e) => {
                    end = e;
                    namespaced = true;
                }
                None => break,
            }
        }
        self.pos = end;
        let name = Ident {
            name: self.src[start..end].to_string(),
            range: TextRange::new(start as u32, end as u32),
        };
        let save = self.pos;
        self.skip();
        if self.peek() == Some(b'(') {
            if let Some((args, expand_final, need)) = self.call_args() {
                let r = self.range(start);
                return Some((
                    Expr::new(
                        ExprKind::Call {
                            name,
                            args,
                            expand_final,
                        },
                        r,
                    ),
                    need,
                ));
            }
        }
        self.pos = save;
        if namespaced {
            self.bad = true;
        }
        let r = name.range;
        Some((Expr::new(ExprKind::Variable(name), r), 0))
    }

    /// `call_args = { "(" ~ (expr ~ ("," ~ expr)* ~ (ellipsis | ",")?)? ~ ")" }`
    fn call_args(&mut self) -> Option<(Vec<Expr>, bool, Need)> {
        self.pos += 1;
        self.skip();
        let (args, need) = self.expr_list();
        let mut expand = false;
        if !args.is_empty() {
            self.skip();
            if self.at(b"...") {
                self.pos += 3;
                expand = true;
            } else {
                self.eat(b',');
            }
        }
        self.skip();
        self.eat(b')').then_some((args, expand, need))
    }

    /// `expr ~ ("," ~ expr)*`, or nothing; the need includes the builder's `depth + 1`.
    fn expr_list(&mut self) -> (Vec<Expr>, Need) {
        let mut out = Vec::new();
        let mut need = 0;
        let start = self.pos;
        let Some((e, n)) = self.expr() else {
            self.pos = start;
            return (out, 0);
        };
        out.push(e);
        need = need.max(1 + n);
        loop {
            let save = self.pos;
            self.skip();
            if self.eat(b',') {
                self.skip();
                if let Some((e, n)) = self.expr() {
                    out.push(e);
                    need = need.max(1 + n);
                    continue;
                }
            }
            self.pos = save;
            return (out, need);
        }
    }

    /// `tuple = { "[" ~ (expr ~ ("," ~ expr)* ~ ","?)? ~ "]" }`
    fn tuple(&mut self) -> Option<(ExprKind, Need)> {
        self.pos += 1;
        self.skip();
        let (items, need) = self.expr_list();
        if !items.is_empty() {
            self.skip();
            self.eat(b',');
        }
        self.skip();
        self.eat(b']').then_some((ExprKind::Tuple(items), need))
    }

    /// `object = { "{" ~ nl* ~ (object_item ~ (obj_sep ~ object_item)* ~ obj_sep?)? ~ "}" }`
    fn object(&mut self) -> Option<(ExprKind, Need)> {
        self.pos += 1;
        self.skip_nl();
        let mut items = Vec::new();
        let mut need = 0;
        let start = self.pos;
        match self.object_item() {
            Some((it, n)) => {
                items.push(it);
                need = need.max(n);
                loop {
                    let save = self.pos;
                    self.skip();
                    if self.obj_sep() {
                        self.skip();
                        if let Some((it, n)) = self.object_item() {
                            items.push(it);
                            need = need.max(n);
                            continue;
                        }
                    }
                    self.pos = save;
                    break;
                }
                self.skip();
                self.obj_sep();
            }
            None => self.pos = start,
        }
        self.skip();
        self.eat(b'}').then_some((ExprKind::Object(items), need))
    }

    /// `obj_sep = _{ "," ~ nl* | nl+ }`
    fn obj_sep(&mut self) -> bool {
        if self.eat(b',') || self.eat_nl() {
            self.skip_nl();
            true
        } else {
            false
        }
    }

    /// `object_item = { binary ~ (obj_eq | obj_colon) ~ expr }`, at the builder's `depth + 1`.
    fn object_item(&mut self) -> Option<(ObjectItem, Need)> {
        let (mut key, kn) = self.binary()?;
        self.skip();
        let colon = if self.assign() {
            false
        } else if self.eat(b':') {
            true
        } else {
            return None;
        };
        self.skip();
        let (value, vn) = self.expr()?;
        let keyword = match key.kind {
            ExprKind::Bool(b) => Some(if b { "true" } else { "false" }),
            ExprKind::Null => Some("null"),
            _ => None,
        };
        if let Some(name) = keyword {
            key.kind = ExprKind::Variable(Ident {
                name: name.to_string(),
                range: key.range,
            });
        }
        Some((ObjectItem { key, value, colon }, 1 + kn.max(vn)))
    }

    /// `for_intro = { kw_for ~ ident ~ ("," ~ ident)? ~ kw_in ~ expr ~ ":" }`
    pub(super) fn for_intro(&mut self) -> Option<(Option<Ident>, Ident, Expr, Need)> {
        if !self.keyword(b"for") {
            return None;
        }
        self.skip();
        let first = self.ident()?;
        let save = self.pos;
        self.skip();
        let mut second = None;
        if self.eat(b',') {
            self.skip();
            second = self.ident();
        }
        if second.is_none() {
            self.pos = save;
        }
        self.skip();
        if !self.keyword(b"in") {
            return None;
        }
        self.skip();
        let (coll, n) = self.expr()?;
        self.skip();
        if !self.eat(b':') {
            return None;
        }
        Some(match second {
            Some(v) => (Some(first), v, coll, n),
            None => (None, first, coll, n),
        })
    }

    /// `for_tuple` and `for_object`, after `[` or `{`.
    fn for_expr(&mut self, tuple: bool) -> Option<(ExprKind, Need)> {
        self.pos += 1;
        self.skip();
        if !self.at(b"for") {
            return None;
        }
        let (key_var, value_var, collection, cn) = self.for_intro()?;
        self.skip();
        let (first, fn_) = self.expr()?;
        let mut need = cn.max(fn_);
        let mut key = None;
        let mut value = first;
        let mut grouping = false;
        if !tuple {
            self.skip();
            if !self.at(b"=>") {
                return None;
            }
            self.pos += 2;
            self.skip();
            let (v, vn) = self.expr()?;
            need = need.max(vn);
            key = Some(std::mem::replace(&mut value, v));
            self.skip();
            if self.at(b"...") {
                self.pos += 3;
                grouping = true;
            }
        }
        self.skip();
        let mut cond = None;
        let save = self.pos;
        if self.keyword(b"if") {
            self.skip();
            match self.expr() {
                Some((c, n)) => {
                    need = need.max(n);
                    cond = Some(Box::new(c));
                }
                None => self.pos = save,
            }
        }
        self.skip();
        if !self.eat(if tuple { b']' } else { b'}' }) {
            return None;
        }
        let kind = match key {
            None => ExprKind::ForTuple {
                key_var,
                value_var,
                collection: Box::new(collection),
                value: Box::new(value),
                cond,
            },
            Some(key) => ExprKind::ForObject {
                key_var,
                value_var,
                collection: Box::new(collection),
                key: Box::new(key),
                value: Box::new(value),
                grouping,
                cond,
            },
        };
        Some((kind, 1 + need))
    }
}
