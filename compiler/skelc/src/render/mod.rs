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

/// Where source text must not be shown: the values given for sensitive root variables
/// (`skel_types::hidden_value_spans`). A snippet shows `<sensitive>` there, whatever the
/// diagnostic is about; line and column numbers stay those of the real text.
#[derive(Default)]
pub struct Hidden(Vec<(skel_db::File, TextRange)>);

impl Hidden {
    pub fn new(db: &dyn Db, spans: &[skel_db::Span]) -> Hidden {
        Hidden(spans.iter().map(|s| (s.file, s.resolve(db))).collect())
    }

    /// `text` with the hidden ranges of `file` masked (newlines kept, so lines stay where
    /// they are), and `range` moved to where it is in the masked text.
    fn mask(&self, file: skel_db::File, text: &str, range: TextRange) -> (String, TextRange) {
        let mut ranges: Vec<TextRange> = self
            .0
            .iter()
            .filter(|(f, _)| *f == file)
            .map(|(_, r)| *r)
            .collect();
        if ranges.is_empty() {
            return (text.to_string(), range);
        }
        ranges.sort_by_key(|r| r.start());
        let mut out = String::with_capacity(text.len());
        let mut at = 0usize;
        // (old offset, new offset) at the start and end of each hidden range.
        let mut shifts: Vec<(u32, u32, u32, u32)> = Vec::new();
        for r in ranges {
            let (start, end) = (r.start() as usize, (r.end() as usize).min(text.len()));
            if start < at || start > end {
                continue;
            }
            out.push_str(&text[at..start]);
            let new_start = out.len() as u32;
            let hidden = &text[start..end];
            out.push_str("<sensitive>");
            for _ in hidden.matches('\n') {
                out.push('\n');
            }
            shifts.push((start as u32, end as u32, new_start, out.len() as u32));
            at = end;
        }
        out.push_str(&text[at..]);
        let map = |offset: u32| {
            let mut delta: i64 = 0;
            for &(old_start, old_end, new_start, new_end) in &shifts {
                if offset >= old_end {
                    delta = i64::from(new_end) - i64::from(old_end);
                } else if offset > old_start {
                    return new_start;
                } else {
                    break;
                }
            }
            (i64::from(offset) + delta).max(0) as u32
        };
        let start = map(range.start());
        let end = map(range.end()).max(start);
        (out, TextRange::new(start, end))
    }
}

impl Location {
    fn new(db: &dyn Db, span: &skel_db::Span, cwd: &Path, hidden: &Hidden) -> Location {
        let file = span.file;
        let real: Arc<str> = file.text(db).clone().unwrap_or_else(|| Arc::from(""));
        let range = span.resolve(db);
        let range = TextRange::new(
            range.start().min(real.len() as u32),
            range.end().min(real.len() as u32),
        );
        let index = skel_db::line_index(db, file);
        let (start, end) = (index.line_col(range.start()), index.line_col(range.end()));
        let (text, range) = hidden.mask(file, &real, range);
        let path = file.path(db);
        let shown = path
            .strip_prefix(cwd)
            .map(Path::to_path_buf)
            .unwrap_or_else(|_| path.clone());
        Location {
            path: shown,
            text: Arc::from(text),
            range,
            start,
            end,
        }
    }
}

impl Resolved {
    /// Resolved with the `hidden` source text masked in its snippets.
    pub fn hiding(db: &dyn Db, d: &Diagnostic, cwd: &Path, hidden: &Hidden) -> Resolved {
        Resolved {
            code: d.code.as_str(),
            severity: d.severity,
            message: d.message.clone(),
            primary: Location::new(db, &d.span, cwd, hidden),
            span_message: d.span_message.clone(),
            labels: d
                .labels
                .iter()
                .map(|l| (Location::new(db, &l.span, cwd, hidden), l.message.clone()))
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
