//! Rendering diagnostics: miette for people, JSON, GitHub annotations and SARIF for machines.

mod human;
mod machine;
pub mod plan;
pub mod plan_json;
pub mod sensitive;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use skel_db::{Db, Diagnostic, Severity};
use skel_syntax::TextRange;

use crate::cli::Format;

/// A diagnostic with its spans resolved to paths, texts and line/column positions.
pub struct Resolved {
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    pub primary: Location,
    pub span_message: String,
    pub labels: Vec<(Location, String)>,
    pub notes: Vec<String>,
    pub help: Option<String>,
}

pub struct Location {
    /// The path as shown: relative to the working directory when inside it.
    pub path: PathBuf,
    pub text: Arc<str>,
    pub range: TextRange,
    pub start: skel_db::LineCol,
    pub end: skel_db::LineCol,
}

impl Location {
    fn new(db: &dyn Db, span: &skel_db::Span, cwd: &Path) -> Location {
        let file = span.file;
        let text: Arc<str> = file.text(db).clone().unwrap_or_else(|| Arc::from(""));
        let range = span.resolve(db);
        let range = TextRange::new(
            range.start().min(text.len() as u32),
            range.end().min(text.len() as u32),
        );
        let index = skel_db::line_index(db, file);
        let path = file.path(db);
        let shown = path
            .strip_prefix(cwd)
            .map(Path::to_path_buf)
            .unwrap_or_else(|_| path.clone());
        Location {
            path: shown,
            text,
            range,
            start: index.line_col(range.start()),
            end: index.line_col(range.end()),
        }
    }
}

impl Resolved {
    pub fn new(db: &dyn Db, d: &Diagnostic, cwd: &Path) -> Resolved {
        Resolved {
            code: d.code.as_str(),
            severity: d.severity,
            message: d.message.clone(),
            primary: Location::new(db, &d.span, cwd),
            span_message: d.span_message.clone(),
            labels: d
                .labels
                .iter()
                .map(|l| (Location::new(db, &l.span, cwd), l.message.clone()))
                .collect(),
            notes: d.notes.clone(),
            help: d.help.clone(),
        }
    }
}

pub fn print(diagnostics: &[Resolved], format: Format, color: bool) -> anyhow::Result<()> {
    let out = match format {
        Format::Human => human::render(diagnostics, color),
        Format::Json => machine::json(diagnostics),
        Format::Github => machine::github(diagnostics),
        Format::Sarif => machine::sarif(diagnostics),
    };
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(out.as_bytes())?;
    stdout.flush()?;
    Ok(())
}
