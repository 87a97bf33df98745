//! The pest parser derived from `grammar.pest`; private so the parser technology can change.

#[derive(pest_derive::Parser)]
#[grammar = "grammar.pest"]
pub(crate) struct HclParser;
