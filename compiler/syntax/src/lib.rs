//! The HCL-compatible skel syntax: a pest grammar behind a resilient parser, the AST and the formatter.
//!
//! `parse(text)` never fails: it returns a [`Parse`] with the tree and every syntax error found.
//! Each top-level item is parsed by a hand-written fast parser (`fast`); when that fails, the
//! pest grammar, which is the executable specification, parses the item again and reports the
//! errors. pest stays private to this crate so the parser technology can change without
//! touching callers.

pub mod ast;
mod build;
mod differential;
mod fast;
mod format;
mod parser;
mod recover;
mod scanner;
mod template;
mod text;

pub use ast::*;
#[doc(hidden)]
pub use differential::{check_equivalence, Counts as DifferentialCounts};
pub use format::format;
pub use text::{TextRange, TextSize};

/// A syntax error with its absolute range.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct SyntaxError {
    pub message: String,
    pub range: TextRange,
    /// A hint on how to fix it, when there is a likely one.
    pub help: Option<String>,
}

/// The result of parsing one file: the tree (with error items where text did not parse) and
/// every syntax error, in source order.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Default)]
pub struct Parse {
    pub file: SourceFile,
    pub errors: Vec<SyntaxError>,
}

/// Parse a whole file. Never fails and never panics.
pub fn parse(text: &str) -> Parse {
    recover::parse(text)
}

/// [`parse`] without the fast path: every item goes through pest. For differential tests.
#[doc(hidden)]
pub fn parse_with_pest_only(text: &str) -> Parse {
    recover::parse_with(text, false)
}

/// Parse a standalone expression (a `-var` value, a type constraint). Ranges are relative to
/// the start of `text`. Never panics; on a syntax error the expression is [`ExprKind::Error`].
pub fn parse_expr(text: &str) -> (Expr, Vec<SyntaxError>) {
    recover::parse_expr(text)
}
