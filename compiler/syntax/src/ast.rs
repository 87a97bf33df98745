//! The syntax tree: owned, immutable, comparable data with byte ranges.
//!
//! Invariant (the salsa firewall depends on it): every range inside a top-level [`Item`] is
//! relative to that item's own start, which is stored once in [`TopItem::offset`]. Editing one
//! top-level block therefore leaves every other block's tree equal to what it was, even when
//! the edit moves them, and queries over unchanged blocks are not re-run.

use std::sync::Arc;

pub use crate::text::{TextRange, TextSize};

/// A parsed file: its top-level items and all its comments.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Default)]
pub struct SourceFile {
    pub items: Vec<TopItem>,
    /// Every comment of the file, in order, with absolute ranges.
    pub comments: Vec<Comment>,
}

/// A top-level item and where it starts in the file.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct TopItem {
    /// Absolute byte offset of the item's first byte in the file.
    pub offset: TextSize,
    /// The item, with ranges relative to `offset`.
    pub item: Arc<Item>,
}

impl TopItem {
    /// The item's absolute range in the file.
    pub fn absolute_range(&self) -> TextRange {
        self.item.range().shifted(self.offset)
    }
}

/// A comment: `# …`, `// …` or `/* … */`.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Comment {
    pub range: TextRange,
    pub kind: CommentKind,
    /// The full comment text including its markers (`# x`, `/* y */`), without the newline.
    pub text: String,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum CommentKind {
    Hash,
    DoubleSlash,
    Block,
}

/// A body: the attributes and blocks between braces, or of a whole file.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Default)]
pub struct Body {
    pub items: Vec<Item>,
}

impl Body {
    pub fn attributes(&self) -> impl Iterator<Item = &Attribute> {
        self.items.iter().filter_map(|i| match i {
            Item::Attribute(a) => Some(a),
            _ => None,
        })
    }

    pub fn blocks(&self) -> impl Iterator<Item = &Block> {
        self.items.iter().filter_map(|i| match i {
            Item::Block(b) => Some(b),
            _ => None,
        })
    }

    /// The first attribute of that name.
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes().find(|a| a.name.name == name)
    }

    /// Blocks of that type.
    pub fn blocks_of<'a>(&'a self, ident: &'a str) -> impl Iterator<Item = &'a Block> + 'a {
        self.blocks().filter(move |b| b.ident.name == ident)
    }
}

/// One entry of a body.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum Item {
    Attribute(Attribute),
    Block(Block),
    /// Text that could not be parsed; its syntax error is in `Parse::errors`.
    Error(TextRange),
}

impl Item {
    pub fn range(&self) -> TextRange {
        match self {
            Item::Attribute(a) => a.range,
            Item::Block(b) => b.range,
            Item::Error(r) => *r,
        }
    }
}

/// `name = expr`
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Attribute {
    pub name: Ident,
    pub expr: Expr,
    /// From the name to the end of the expression.
    pub range: TextRange,
}

/// `type "label" label { body }`
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Block {
    pub ident: Ident,
    pub labels: Vec<Label>,
    pub body: Body,
    /// The range of `{ … }` including both braces.
    pub body_range: TextRange,
    /// From the block type to the closing brace.
    pub range: TextRange,
}

impl Block {
    /// The range of the header: block type and labels.
    pub fn header_range(&self) -> TextRange {
        let end = self
            .labels
            .last()
            .map(|l| l.range.end())
            .unwrap_or(self.ident.range.end());
        TextRange::new(self.ident.range.start(), end)
    }

    pub fn label(&self, index: usize) -> Option<&str> {
        self.labels.get(index).map(|l| l.value.as_str())
    }
}

/// A block label: `"quoted"` or `bare`.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Label {
    /// The label's value, escapes resolved, without quotes.
    pub value: String,
    pub quoted: bool,
    pub range: TextRange,
}

/// An identifier. HCL identifiers may contain letters, digits, `_` and `-`.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Ident {
    pub name: String,
    pub range: TextRange,
}

/// An expression with its range.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Expr {
    pub kind: ExprKind,
    pub range: TextRange,
}

#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum ExprKind {
    Null,
    Bool(bool),
    /// A number literal as written (`1`, `1.5`, `1e3`); [`Expr::number_value`] parses it.
    Number(String),
    /// A quoted string or a heredoc: a template.
    Template(Template),
    /// A bare name: the root of a traversal (`var`, `aws_instance`, `count`, `each`).
    Variable(Ident),
    Tuple(Vec<Expr>),
    Object(Vec<ObjectItem>),
    /// `name(args…)`, `name(args…, list...)` when `expand_final`.
    Call {
        name: Ident,
        args: Vec<Expr>,
        expand_final: bool,
    },
    /// `expr.name`
    GetAttr {
        expr: Box<Expr>,
        name: Ident,
    },
    /// `expr[index]`, and the legacy `expr.0`, which is stored as an index with a number.
    Index {
        expr: Box<Expr>,
        index: Box<Expr>,
    },
    /// `expr[*].a.b` (full) or `expr.*.a.b` (attribute-only); `each` is the traversal applied
    /// to every element, with [`ExprKind::SplatItem`] at its root.
    Splat {
        expr: Box<Expr>,
        full: bool,
        each: Box<Expr>,
    },
    /// The element an attribute of a splat applies to; only appears as the root of a splat's `each`.
    SplatItem,
    Unary {
        op: UnaryOp,
        expr: Box<Expr>,
    },
    Binary {
        op: BinaryOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    Conditional {
        cond: Box<Expr>,
        then: Box<Expr>,
        other: Box<Expr>,
    },
    /// `[for k, v in coll : value if cond]`
    ForTuple {
        key_var: Option<Ident>,
        value_var: Ident,
        collection: Box<Expr>,
        value: Box<Expr>,
        cond: Option<Box<Expr>>,
    },
    /// `{for k, v in coll : key => value... if cond}`
    ForObject {
        key_var: Option<Ident>,
        value_var: Ident,
        collection: Box<Expr>,
        key: Box<Expr>,
        value: Box<Expr>,
        grouping: bool,
        cond: Option<Box<Expr>>,
    },
    /// `( expr )`: kept so the formatter can print the parentheses again.
    Parens(Box<Expr>),
    /// An expression that could not be parsed; the error is in `Parse::errors`.
    Error,
}

/// One `key = value` or `key : value` entry of an object constructor.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct ObjectItem {
    /// The key: a bare identifier is stored as `ExprKind::Variable`, as HCL says it is a
    /// literal string unless wrapped in parentheses.
    pub key: Expr,
    pub value: Expr,
    /// Whether `:` (rather than `=`) separated key and value.
    pub colon: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum UnaryOp {
    /// `-`
    Neg,
    /// `!`
    Not,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

impl BinaryOp {
    pub fn as_str(self) -> &'static str {
        match self {
            BinaryOp::Or => "||",
            BinaryOp::And => "&&",
            BinaryOp::Eq => "==",
            BinaryOp::NotEq => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::LtEq => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::GtEq => ">=",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Mod => "%",
        }
    }

    /// HCL precedence: higher binds tighter.
    pub fn precedence(self) -> u8 {
        match self {
            BinaryOp::Or => 1,
            BinaryOp::And => 2,
            BinaryOp::Eq | BinaryOp::NotEq => 3,
            BinaryOp::Lt | BinaryOp::LtEq | BinaryOp::Gt | BinaryOp::GtEq => 4,
            BinaryOp::Add | BinaryOp::Sub => 5,
            BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => 6,
        }
    }
}

/// A template: the contents of a quoted string or a heredoc.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Template {
    pub parts: Vec<TemplatePart>,
    pub kind: TemplateKind,
}

impl Template {
    /// The literal text when the template has no interpolation or directive.
    pub fn as_literal(&self) -> Option<String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                TemplatePart::Literal { value, .. } => out.push_str(value),
                _ => return None,
            }
        }
        Some(out)
    }
}

#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum TemplateKind {
    /// `"…"`
    Quoted,
    /// `<<EOT` (`indented: false`) or `<<-EOT` (`indented: true`). For an indented heredoc the
    /// parser has already removed the common leading whitespace from literal parts.
    Heredoc { marker: String, indented: bool },
}

#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum TemplatePart {
    /// Literal text with escapes (`\n`, `$${`, `%%{`) resolved. `raw` is the source text.
    Literal {
        value: String,
        raw: String,
        range: TextRange,
    },
    /// `${ expr }`, `${~ expr ~}`
    Interpolation {
        expr: Expr,
        strip: Strip,
        range: TextRange,
    },
    /// `%{ if cond }…%{ else }…%{ endif }`
    If {
        cond: Expr,
        then: Vec<TemplatePart>,
        other: Option<Vec<TemplatePart>>,
        /// Strip markers of `%{if}`, `%{else}` (if any) and `%{endif}`, in order.
        strips: Vec<Strip>,
        range: TextRange,
    },
    /// `%{ for k, v in coll }…%{ endfor }`
    For {
        key_var: Option<Ident>,
        value_var: Ident,
        collection: Expr,
        body: Vec<TemplatePart>,
        /// Strip markers of `%{for}` and `%{endfor}`.
        strips: Vec<Strip>,
        range: TextRange,
    },
}

/// The `~` strip markers of one `${…}` or `%{…}`: strip whitespace before / after it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub struct Strip {
    pub left: bool,
    pub right: bool,
}

impl Expr {
    pub fn new(kind: ExprKind, range: TextRange) -> Expr {
        Expr { kind, range }
    }

    /// The value of a number literal.
    pub fn number_value(&self) -> Option<f64> {
        match &self.kind {
            ExprKind::Number(text) => text.parse().ok(),
            _ => None,
        }
    }

    /// The literal string of a template without interpolations.
    pub fn as_literal_string(&self) -> Option<String> {
        match &self.kind {
            ExprKind::Template(t) => t.as_literal(),
            _ => None,
        }
    }

    /// For a traversal like `a.b[0].c`, the root name and the steps, outermost last.
    pub fn as_traversal(&self) -> Option<(&Ident, Vec<Step<'_>>)> {
        let mut steps = Vec::new();
        let mut expr = self;
        loop {
            match &expr.kind {
                ExprKind::Variable(root) => {
                    steps.reverse();
                    return Some((root, steps));
                }
                ExprKind::GetAttr { expr: inner, name } => {
                    steps.push(Step::Attr(name));
                    expr = inner;
                }
                ExprKind::Index { expr: inner, index } => {
                    steps.push(Step::Index(index));
                    expr = inner;
                }
                _ => return None,
            }
        }
    }

    /// [`Expr::as_traversal`] read as traversal syntax, as HCL's `AbsTraversalForExpr` reads
    /// `provider = null.west`: traversal syntax has no keywords, so a `null`, `true` or `false`
    /// literal at the root is the name it spells.
    pub fn as_abs_traversal(&self) -> Option<(Ident, Vec<Step<'_>>)> {
        let mut steps = Vec::new();
        let mut expr = self;
        loop {
            let root = match &expr.kind {
                ExprKind::Variable(root) => root.clone(),
                ExprKind::Null => keyword_ident("null", expr.range),
                ExprKind::Bool(true) => keyword_ident("true", expr.range),
                ExprKind::Bool(false) => keyword_ident("false", expr.range),
                ExprKind::GetAttr { expr: inner, name } => {
                    steps.push(Step::Attr(name));
                    expr = inner;
                    continue;
                }
                ExprKind::Index { expr: inner, index } => {
                    steps.push(Step::Index(index));
                    expr = inner;
                    continue;
                }
                _ => return None,
            };
            steps.reverse();
            return Some((root, steps));
        }
    }

    /// Visit this expression and every expression nested in it, templates included.
    pub fn walk<'a>(&'a self, f: &mut dyn FnMut(&'a Expr)) {
        self.walk_events(&mut |event| {
            if let WalkEvent::Expr(e) = event {
                f(e)
            }
        });
    }

    /// The one traversal of expressions: every expression nested in this one, outermost first,
    /// with the names `for` expressions and template `for` directives bind (after their
    /// collection, until the end of their body). Scope-aware walkers (`skel_hir::resolve`)
    /// and [`Expr::walk`] are built on it.
    pub fn walk_events<'a>(&'a self, f: &mut dyn FnMut(WalkEvent<'a>)) {
        f(WalkEvent::Expr(self));
        match &self.kind {
            ExprKind::Null
            | ExprKind::Bool(_)
            | ExprKind::Number(_)
            | ExprKind::Variable(_)
            | ExprKind::SplatItem
            | ExprKind::Error => {}
            ExprKind::Template(t) => walk_parts(&t.parts, f),
            ExprKind::Tuple(items) => items.iter().for_each(|e| e.walk_events(f)),
            ExprKind::Object(items) => items.iter().for_each(|i| {
                i.key.walk_events(f);
                i.value.walk_events(f);
            }),
            ExprKind::Call { args, .. } => args.iter().for_each(|e| e.walk_events(f)),
            ExprKind::GetAttr { expr, .. }
            | ExprKind::Unary { expr, .. }
            | ExprKind::Parens(expr) => expr.walk_events(f),
            ExprKind::Index { expr, index } => {
                expr.walk_events(f);
                index.walk_events(f);
            }
            ExprKind::Splat { expr, each, .. } => {
                expr.walk_events(f);
                each.walk_events(f);
            }
            ExprKind::Binary { lhs, rhs, .. } => {
                lhs.walk_events(f);
                rhs.walk_events(f);
            }
            ExprKind::Conditional { cond, then, other } => {
                cond.walk_events(f);
                then.walk_events(f);
                other.walk_events(f);
            }
            ExprKind::ForTuple {
                key_var,
                value_var,
                collection,
                value,
                cond,
            } => {
                collection.walk_events(f);
                f(WalkEvent::Bind {
                    key: key_var.as_ref(),
                    value: value_var,
                });
                value.walk_events(f);
                if let Some(c) = cond {
                    c.walk_events(f);
                }
                f(WalkEvent::Unbind);
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
                collection.walk_events(f);
                f(WalkEvent::Bind {
                    key: key_var.as_ref(),
                    value: value_var,
                });
                key.walk_events(f);
                value.walk_events(f);
                if let Some(c) = cond {
                    c.walk_events(f);
                }
                f(WalkEvent::Unbind);
            }
        }
    }
}

/// What [`Expr::walk_events`] reports, in source order.
#[derive(Clone, Copy, Debug)]
pub enum WalkEvent<'a> {
    /// An expression, before the expressions nested in it.
    Expr(&'a Expr),
    /// A `for` binds these names in what follows, until the matching [`WalkEvent::Unbind`].
    Bind {
        key: Option<&'a Ident>,
        value: &'a Ident,
    },
    Unbind,
}

fn walk_parts<'a>(parts: &'a [TemplatePart], f: &mut dyn FnMut(WalkEvent<'a>)) {
    for part in parts {
        match part {
            TemplatePart::Literal { .. } => {}
            TemplatePart::Interpolation { expr, .. } => expr.walk_events(f),
            TemplatePart::If {
                cond, then, other, ..
            } => {
                cond.walk_events(f);
                walk_parts(then, f);
                if let Some(o) = other {
                    walk_parts(o, f);
                }
            }
            TemplatePart::For {
                key_var,
                value_var,
                collection,
                body,
                ..
            } => {
                collection.walk_events(f);
                f(WalkEvent::Bind {
                    key: key_var.as_ref(),
                    value: value_var,
                });
                walk_parts(body, f);
                f(WalkEvent::Unbind);
            }
        }
    }
}

/// One step of a traversal.
#[derive(Clone, Copy, Debug)]
pub enum Step<'a> {
    Attr(&'a Ident),
    Index(&'a Expr),
}

/// The name a keyword literal spells, where traversal syntax reads it as a name.
fn keyword_ident(name: &str, range: TextRange) -> Ident {
    Ident {
        name: name.to_string(),
        range,
    }
}
