//! Rendering diagnostics: one rustc-style format for people (`error[code]: message` with the
//! snippet, labels and help, on standard error; `human.rs`), JSON, GitHub annotations and SARIF
//! for machines (on standard output; `machine.rs`). Every command prints its diagnostics, and
//! its runtime errors, through here; colour follows `--no-color`, `NO_COLOR` and whether
//! standard error is a terminal.

mod engine;
mod human;
mod machine;
pub mod plan;
pub mod plan_json;
pub mod sensitive;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use skel_db::{Db, Diagnostic, Severity};
use skel_syntax::TextRange;

use crate::cli::Format;

pub use engine::engine_errors;

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
    /// A location in a file read from disk (a syntax error of `fmt`, a runtime error's block):
    /// `range` is a byte range of `text`.
    pub fn in_text(path: &Path, text: Arc<str>, range: TextRange, cwd: &Path) -> Location {
        let end = (text.len() as u32).min(range.end());
        let range = TextRange::new(range.start().min(end), end);
        let index = skel_db::LineIndex::new(&text);
        Location {
            path: shown_path(path, cwd),
            start: index.line_col(range.start()),
            end: index.line_col(range.end()),
            text,
            range,
        }
    }

    /// The rest of line `line` from `column` (both 1-based, the column in characters) in the
    /// file at `path`, read from disk; `None` when the file cannot be read.
    pub fn at_line(path: &Path, line: u32, column: u32, cwd: &Path) -> Option<Location> {
        let text: Arc<str> = Arc::from(std::fs::read_to_string(path).ok()?);
        let line_start: usize = text
            .split_inclusive('\n')
            .take(line.saturating_sub(1) as usize)
            .map(str::len)
            .sum();
        let line_text = text[line_start..].split('\n').next().unwrap_or("");
        let from = line_start
            + line_text
                .char_indices()
                .nth(column.saturating_sub(1) as usize)
                .map_or(line_text.len(), |(i, _)| i);
        let to = line_start + line_text.trim_end().len().max(from - line_start);
        Some(Location::in_text(
            path,
            text.clone(),
            TextRange::new(from as u32, to as u32),
            cwd,
        ))
    }

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
        Location {
            path: shown_path(file.path(db), cwd),
            text: Arc::from(text),
            range,
            start,
            end,
        }
    }
}

/// A path as shown: relative to `cwd` when inside it.
fn shown_path(path: &Path, cwd: &Path) -> PathBuf {
    path.strip_prefix(cwd)
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| path.to_path_buf())
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

static COLOR: AtomicBool = AtomicBool::new(false);

/// Decides once whether human output uses colour: not with `--no-color`, not when the
/// NO_COLOR environment variable is set (to anything but the empty string) or TERM is `dumb`,
/// and only when standard error (where human output goes) is a terminal.
pub fn init_color(no_color_option: bool) {
    let no_color_env = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
    let on = !no_color_option && !no_color_env && !dumb && std::io::stderr().is_terminal();
    COLOR.store(on, Ordering::Relaxed);
}

/// Whether human output uses colour (see [`init_color`]).
pub fn color() -> bool {
    COLOR.load(Ordering::Relaxed)
}

/// Print diagnostics: human output (with the summary line) on standard error, the machine
/// formats on standard output. `summary` adds the "N errors, M warnings" line (and "no problems
/// found" when there are none) to human output.
pub fn print(diagnostics: &[Resolved], format: Format, summary: bool) -> anyhow::Result<()> {
    match format {
        Format::Human => {
            let mut out = human::render(diagnostics, color());
            if summary {
                out.push_str(&human::summary(diagnostics));
            }
            let mut stderr = std::io::stderr().lock();
            stderr.write_all(out.as_bytes())?;
            stderr.flush()?;
        }
        Format::Json | Format::Github | Format::Sarif => {
            let out = match format {
                Format::Json => machine::json(diagnostics),
                Format::Github => machine::github(diagnostics),
                _ => machine::sarif(diagnostics),
            };
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(out.as_bytes())?;
            stdout.flush()?;
        }
    }
    Ok(())
}

/// One error that is not a checker diagnostic (a runtime error with its `code`, a usage error
/// with none: `""`), in the same format as the diagnostics: `error[code]: message` (or
/// `error: message`), the snippet when there is a location, then the help.
pub fn error_text(
    code: &str,
    message: &str,
    location: Option<&Location>,
    help: Option<&str>,
) -> String {
    human::plain(Severity::Error, code, message, location, help, color())
}

/// Print a usage error ([`error_text`] without a code) on standard error.
pub fn print_error(message: &str, location: Option<&Location>, help: Option<&str>) {
    eprint!("{}", error_text("", message, location, help));
}
