//! The one diagnostic model: code, severity, message, primary span, labels, notes and help.
//!
//! Diagnostics are plain data returned inside query results (never emitted as side effects), so
//! salsa can compare and reuse them. The CLI renders them with miette; the language server
//! converts them to `lsp_types`.

mod codes;

pub use codes::Code;

use skel_syntax::TextRange;

use crate::{Db, File};

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// Where a diagnostic points. `item` is the index of the top-level item the range is relative
/// to (see `skel_syntax::ast`), or `None` for a range relative to the start of the file.
/// Keeping ranges item-relative lets block-level query results stay equal when edits elsewhere
/// in the file move the block.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Span {
    pub file: File,
    pub item: Option<u32>,
    pub range: TextRange,
}

impl Span {
    pub fn absolute(file: File, range: TextRange) -> Span {
        Span {
            file,
            item: None,
            range,
        }
    }

    pub fn in_item(file: File, item: u32, range: TextRange) -> Span {
        Span {
            file,
            item: Some(item),
            range,
        }
    }

    /// The absolute byte range in the file's current text.
    pub fn resolve(&self, db: &dyn Db) -> TextRange {
        match self.item {
            None => self.range,
            Some(index) => {
                let parse = crate::parse(db, self.file);
                let offset = parse
                    .file
                    .items
                    .get(index as usize)
                    .map(|i| i.offset)
                    .unwrap_or(0);
                self.range.shifted(offset)
            }
        }
    }
}

/// A secondary location with a message ("defined here").
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    /// A short summary, without names the user chose where possible; details go in `labels`,
    /// `notes` and `help`.
    pub message: String,
    pub span: Span,
    /// What to say at the primary span (may be empty).
    pub span_message: String,
    pub labels: Vec<Label>,
    pub notes: Vec<String>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn new(code: Code, span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: code.default_severity(),
            message: message.into(),
            span,
            span_message: String::new(),
            labels: Vec::new(),
            notes: Vec::new(),
            help: None,
        }
    }

    pub fn with_span_message(mut self, message: impl Into<String>) -> Self {
        self.span_message = message.into();
        self
    }

    pub fn with_label(mut self, span: Span, message: impl Into<String>) -> Self {
        self.labels.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_optional_help(mut self, help: Option<String>) -> Self {
        if help.is_some() {
            self.help = help;
        }
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// "did you mean" over a slice of names.
pub fn did_you_mean_for(name: &str, candidates: &[&str]) -> Option<String> {
    did_you_mean(name, candidates.iter().copied())
}

/// The closest candidate to a misspelled name, for "did you mean" hints.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let mut best: Option<(f64, &str)> = None;
    for candidate in candidates {
        let score = strsim_jaro_winkler(name, candidate);
        if score > 0.8 && best.is_none_or(|(s, _)| score > s) {
            best = Some((score, candidate));
        }
    }
    best.map(|(_, c)| format!("did you mean `{c}`?"))
}

/// Jaro-Winkler similarity (0..=1), implemented here to keep this crate's dependencies minimal.
fn strsim_jaro_winkler(a: &str, b: &str) -> f64 {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let window = (a.len().max(b.len()) / 2).saturating_sub(1);
    let mut a_matched = vec![false; a.len()];
    let mut b_matched = vec![false; b.len()];
    let mut matches = 0usize;
    for i in 0..a.len() {
        let lo = i.saturating_sub(window);
        let hi = (i + window + 1).min(b.len());
        for j in lo..hi {
            if !b_matched[j] && a[i] == b[j] {
                a_matched[i] = true;
                b_matched[j] = true;
                matches += 1;
                break;
            }
        }
    }
    if matches == 0 {
        return 0.0;
    }
    let a_seq = a
        .iter()
        .zip(&a_matched)
        .filter(|(_, m)| **m)
        .map(|(c, _)| c);
    let b_seq = b
        .iter()
        .zip(&b_matched)
        .filter(|(_, m)| **m)
        .map(|(c, _)| c);
    let transpositions = a_seq.zip(b_seq).filter(|(x, y)| x != y).count() / 2;
    let m = matches as f64;
    let jaro = (m / a.len() as f64 + m / b.len() as f64 + (m - transpositions as f64) / m) / 3.0;
    let prefix = a.iter().zip(&b).take(4).take_while(|(x, y)| x == y).count() as f64;
    jaro + prefix * 0.1 * (1.0 - jaro)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names() {
        assert_eq!(
            did_you_mean("instnce_type", ["instance_type", "ami"]),
            Some("did you mean `instance_type`?".into())
        );
        assert_eq!(did_you_mean("zzz", ["instance_type", "ami"]), None);
    }
}
