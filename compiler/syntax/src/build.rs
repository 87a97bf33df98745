//! Lowering of pest pairs to the AST: items, expressions (precedence, splats, `for`).
//!
//! Positions of pairs are relative to the text given to pest; `base` is added to make them
//! relative to the top-level item, and `abs` to make error ranges absolute.

use pest::iterators::Pair;

use crate::ast::*;
use crate::parser::Rule;
use crate::SyntaxError;

/// Deeper expression trees than this become [`ExprKind::Error`] (long `a.b.c…` or `1+1+…`
/// chains would otherwise make drops and walks recurse too deep).
pub(crate) const MAX_EXPR_DEPTH: u32 = 200;

pub(crate) struct Builder {
    pub base: u32,
    pub abs: u32,
    pub errors: Vec<SyntaxError>,
}

pub(crate) type P<'i> = Pair<'i, Rule>;

impl Builder {
    pub fn new(base: u32, abs: u32) -> Builder {
        Builder {
            base,
            abs,
            errors: Vec::new(),
        }
    }

    pub fn range(&self, pair: &P) -> TextRange {
        let s = pair.as_span();
        TextRange::new(self.base + s.start() as u32, self.base + s.end() as u32)
    }

    /// An error at a range relative to the item (as stored in the AST).
    pub fn error_rel(&mut self, message: impl Into<String>, range: TextRange) {
        self.errors.push(SyntaxError {
            message: message.into(),
            range: range.shifted(self.abs - self.base),
            help: None,
        });
    }

    pub fn item(&mut self, pair: P) -> Item {
        match pair.as_rule() {
            Rule::attribute => Item::Attribute(self.attribute(pair)),
            _ => Item::Block(self.block(pair)),
        }
    }

    pub fn ident(&self, pair: &P) -> Ident {
        Ident {
            name: pair.as_str().to_string(),
            range: self.range(pair),
        }
    }

    fn attribute(&mut self, pair: P) -> Attribute {
        // pest spans of rules ending in an optional part include trailing whitespace and
        // comments, so ranges of such rules are rebuilt from their children.
        let mut it = pair.into_inner();
        let name = self.ident(&it.next().expect("attribute name"));
        let _assign = it.next();
        let expr = self.expr(it.next().expect("attribute value"), 0);
        let range = name.range.cover(expr.range);
        Attribute { name, expr, range }
    }

    fn block(&mut self, pair: P) -> Block {
        let range = self.range(&pair);
        let mut ident = None;
        let mut labels = Vec::new();
        let mut body = Body::default();
        let mut body_range = TextRange::empty(range.end());
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::ident if ident.is_none() => ident = Some(self.ident(&p)),
                Rule::ident | Rule::label_str => labels.push(self.label(p)),
                Rule::block_body => {
                    body_range = self.range(&p);
                    body.items = p.into_inner().map(|i| self.item(i)).collect();
                }
                _ => {}
            }
        }
        Block {
            ident: ident.unwrap_or(Ident {
                name: String::new(),
                range: TextRange::empty(range.start()),
            }),
            labels,
            body,
            body_range,
            range,
        }
    }

    pub fn label(&mut self, p: P) -> Label {
        let range = self.range(&p);
        if p.as_rule() == Rule::ident {
            return Label {
                value: p.as_str().to_string(),
                quoted: false,
                range,
            };
        }
        let value = match p.into_inner().next() {
            Some(lit) => self.unescape(&lit),
            None => String::new(),
        };
        Label {
            value,
            quoted: true,
            range,
        }
    }

    fn too_deep(&mut self, range: TextRange) -> Expr {
        self.error_rel("expression nested too deeply", range);
        Expr::new(ExprKind::Error, range)
    }

    /// `expr = binary (cond_then binary)*`, conditionals nest to the right.
    pub fn expr(&mut self, pair: P, depth: u32) -> Expr {
        let range = self.range(&pair);
        let inner: Vec<P> = pair.into_inner().collect();
        let n_conds = inner.len() / 2;
        if depth + n_conds as u32 > MAX_EXPR_DEPTH {
            return self.too_deep(range);
        }
        let mut conds = Vec::with_capacity(n_conds);
        let mut it = inner.into_iter();
        let mut last = self.binary(it.next().expect("operand"), depth + n_conds as u32);
        while let Some(cond_then) = it.next() {
            let then = cond_then.into_inner().next().expect("then");
            let then = self.expr(then, depth + 1);
            conds.push((last, then));
            last = self.binary(it.next().expect("else"), depth + n_conds as u32);
        }
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
        last
    }

    fn binary(&mut self, pair: P, depth: u32) -> Expr {
        let range = self.range(&pair);
        let mut it = pair.into_inner();
        let first = it.next().expect("operand");
        let Some(op) = it.next() else {
            return self.unary(first, depth);
        };
        let rest: Vec<P> = std::iter::once(op).chain(it).collect();
        let n = rest.len() / 2 + 1;
        if depth + n as u32 > MAX_EXPR_DEPTH {
            return self.too_deep(range);
        }
        let d = depth + n as u32;
        let mut out = vec![self.unary(first, d)];
        let mut ops: Vec<BinaryOp> = Vec::new();
        let mut it = rest.into_iter();
        while let (Some(op), Some(rhs)) = (it.next(), it.next()) {
            let op = bin_op(op.as_str());
            while ops
                .last()
                .is_some_and(|top| top.precedence() >= op.precedence())
            {
                reduce(&mut out, &mut ops);
            }
            ops.push(op);
            out.push(self.unary(rhs, d));
        }
        while !ops.is_empty() {
            reduce(&mut out, &mut ops);
        }
        out.pop().unwrap_or(Expr::new(ExprKind::Error, range))
    }

    fn unary(&mut self, pair: P, depth: u32) -> Expr {
        let range = self.range(&pair);
        let inner: Vec<P> = pair.into_inner().collect();
        let n_ops = inner.len() - 1;
        if depth + n_ops as u32 > MAX_EXPR_DEPTH {
            return self.too_deep(range);
        }
        let mut it = inner.into_iter().rev();
        let mut e = self.postfix(it.next().expect("operand"), depth + n_ops as u32);
        for op in it {
            let r = self.range(&op).cover(e.range);
            let op = if op.as_str() == "-" {
                UnaryOp::Neg
            } else {
                UnaryOp::Not
            };
            e = Expr::new(
                ExprKind::Unary {
                    op,
                    expr: Box::new(e),
                },
                r,
            );
        }
        e
    }

    fn postfix(&mut self, pair: P, depth: u32) -> Expr {
        let range = self.range(&pair);
        let inner: Vec<P> = pair.into_inner().collect();
        let n_steps = inner.len() - 1;
        if depth + n_steps as u32 > MAX_EXPR_DEPTH {
            return self.too_deep(range);
        }
        let d = depth + n_steps as u32;
        let mut it = inner.into_iter();
        let mut cur = self.primary(it.next().expect("primary"), d);
        // While inside a splat: its source, whether full, and the traversal built so far.
        let mut splat: Option<(Expr, bool, Expr)> = None;
        for step in it {
            let step_range = self.range(&step);
            match step.as_rule() {
                Rule::attr_splat | Rule::full_splat => {
                    if let Some(s) = splat.take() {
                        cur = finish_splat(s);
                    }
                    let full = step.as_rule() == Rule::full_splat;
                    splat = Some((cur, full, Expr::new(ExprKind::SplatItem, step_range)));
                    cur = Expr::new(ExprKind::Error, step_range);
                }
                Rule::index => {
                    let index = step.into_inner().next().expect("index");
                    let index = self.expr(index, d);
                    if let Some((_, false, _)) = splat {
                        cur = finish_splat(splat.take().expect("splat"));
                    }
                    let target = match &mut splat {
                        Some((_, _, each)) => each,
                        None => &mut cur,
                    };
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
                Rule::get_attr | Rule::legacy_idx => {
                    let target = match &mut splat {
                        Some((_, _, each)) => each,
                        None => &mut cur,
                    };
                    let old = std::mem::replace(target, Expr::new(ExprKind::Error, step_range));
                    let r = old.range.cover(step_range);
                    let inner = step.into_inner().next().expect("step");
                    let kind = if inner.as_rule() == Rule::ident {
                        ExprKind::GetAttr {
                            expr: Box::new(old),
                            name: self.ident(&inner),
                        }
                    } else {
                        let index = Expr::new(
                            ExprKind::Number(inner.as_str().to_string()),
                            self.range(&inner),
                        );
                        ExprKind::Index {
                            expr: Box::new(old),
                            index: Box::new(index),
                        }
                    };
                    *target = Expr::new(kind, r);
                }
                _ => {}
            }
        }
        match splat {
            Some(s) => finish_splat(s),
            None => cur,
        }
    }

    fn primary(&mut self, pair: P, depth: u32) -> Expr {
        let range = self.range(&pair);
        let kind = match pair.as_rule() {
            Rule::number => ExprKind::Number(pair.as_str().to_string()),
            Rule::lit_true => ExprKind::Bool(true),
            Rule::lit_false => ExprKind::Bool(false),
            Rule::lit_null => ExprKind::Null,
            Rule::string => ExprKind::Template(self.quoted(pair, depth)),
            Rule::heredoc => ExprKind::Template(self.heredoc(pair, depth)),
            Rule::parens => {
                let inner = pair.into_inner().next().expect("inner");
                ExprKind::Parens(Box::new(self.expr(inner, depth + 1)))
            }
            Rule::tuple => {
                ExprKind::Tuple(pair.into_inner().map(|e| self.expr(e, depth + 1)).collect())
            }
            Rule::object => ExprKind::Object(
                pair.into_inner()
                    .map(|i| self.object_item(i, depth + 1))
                    .collect(),
            ),
            Rule::call_or_var => {
                let mut it = pair.into_inner();
                let name = self.ident(&it.next().expect("name"));
                match it.next() {
                    Some(args) => {
                        let mut expand_final = false;
                        let mut list = Vec::new();
                        for a in args.into_inner() {
                            if a.as_rule() == Rule::ellipsis {
                                expand_final = true;
                            } else {
                                list.push(self.expr(a, depth + 1));
                            }
                        }
                        ExprKind::Call {
                            name,
                            args: list,
                            expand_final,
                        }
                    }
                    None => {
                        if name.name.contains("::") {
                            self.error_rel(
                                "expected `(` after a provider function name",
                                name.range,
                            );
                        }
                        let r = name.range;
                        return Expr::new(ExprKind::Variable(name), r);
                    }
                }
            }
            Rule::for_tuple | Rule::for_object => self.for_expr(pair, depth + 1),
            _ => ExprKind::Error,
        };
        Expr::new(kind, range)
    }

    fn object_item(&mut self, pair: P, depth: u32) -> ObjectItem {
        let mut it = pair.into_inner();
        let key_pair = it.next().expect("key");
        let mut key = self.binary(key_pair, depth);
        let keyword = match key.kind {
            ExprKind::Bool(b) => Some(b.to_string()),
            ExprKind::Null => Some("null".to_string()),
            _ => None,
        };
        if let Some(name) = keyword {
            key.kind = ExprKind::Variable(Ident {
                name,
                range: key.range,
            });
        }
        let colon = it.next().is_some_and(|p| p.as_rule() == Rule::obj_colon);
        let value = self.expr(it.next().expect("value"), depth);
        ObjectItem { key, value, colon }
    }

    /// `for k, v in coll :` as (key_var, value_var, collection).
    pub fn for_intro(&mut self, pair: P, depth: u32) -> (Option<Ident>, Ident, Expr) {
        let mut idents = Vec::new();
        let mut coll = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::ident => idents.push(self.ident(&p)),
                Rule::expr => coll = Some(self.expr(p, depth)),
                _ => {}
            }
        }
        let value_var = idents.pop().expect("value var");
        let key_var = idents.pop();
        let coll = coll.expect("collection");
        (key_var, value_var, coll)
    }

    fn for_expr(&mut self, pair: P, depth: u32) -> ExprKind {
        let is_tuple = pair.as_rule() == Rule::for_tuple;
        let mut it = pair.into_inner();
        let (key_var, value_var, collection) = self.for_intro(it.next().expect("intro"), depth);
        let mut exprs = Vec::new();
        let mut grouping = false;
        let mut cond = None;
        for p in it {
            match p.as_rule() {
                Rule::ellipsis => grouping = true,
                Rule::for_cond => {
                    if let Some(c) = p.into_inner().find(|c| c.as_rule() == Rule::expr) {
                        cond = Some(Box::new(self.expr(c, depth)));
                    }
                }
                _ => exprs.push(self.expr(p, depth)),
            }
        }
        let value = exprs.pop().expect("value");
        if is_tuple {
            ExprKind::ForTuple {
                key_var,
                value_var,
                collection: Box::new(collection),
                value: Box::new(value),
                cond,
            }
        } else {
            let key = exprs.pop().expect("key");
            ExprKind::ForObject {
                key_var,
                value_var,
                collection: Box::new(collection),
                key: Box::new(key),
                value: Box::new(value),
                grouping,
                cond,
            }
        }
    }
}

pub(crate) fn bin_op(s: &str) -> BinaryOp {
    match s {
        "||" => BinaryOp::Or,
        "&&" => BinaryOp::And,
        "==" => BinaryOp::Eq,
        "!=" => BinaryOp::NotEq,
        "<" => BinaryOp::Lt,
        "<=" => BinaryOp::LtEq,
        ">" => BinaryOp::Gt,
        ">=" => BinaryOp::GtEq,
        "+" => BinaryOp::Add,
        "-" => BinaryOp::Sub,
        "*" => BinaryOp::Mul,
        "/" => BinaryOp::Div,
        _ => BinaryOp::Mod,
    }
}

pub(crate) fn reduce(out: &mut Vec<Expr>, ops: &mut Vec<BinaryOp>) {
    let (Some(op), Some(rhs), Some(lhs)) = (ops.pop(), out.pop(), out.pop()) else {
        return;
    };
    let range = lhs.range.cover(rhs.range);
    out.push(Expr::new(
        ExprKind::Binary {
            op,
            lhs: Box::new(lhs),
            rhs: Box::new(rhs),
        },
        range,
    ));
}

pub(crate) fn finish_splat((source, full, each): (Expr, bool, Expr)) -> Expr {
    let range = source.range.cover(each.range);
    Expr::new(
        ExprKind::Splat {
            expr: Box::new(source),
            full,
            each: Box::new(each),
        },
        range,
    )
}
