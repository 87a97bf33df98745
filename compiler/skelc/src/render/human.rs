//! Human-readable diagnostics, rustc style: a header `error[code]: message` (or
//! `warning[code]: …`; `error: …` for errors without a code), then miette's graphical snippet
//! with the labels and the help beneath; a label in another file becomes a `note:` with its
//! own snippet. The severity word is there with or without colour.

use std::fmt;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};
use skel_db::Severity;

use super::{Location, Resolved};

#[derive(Debug)]
/// What miette renders: the snippet and help of a diagnostic whose header is printed apart
/// (so its own message is empty).
struct Report {
    severity: miette::Severity,
    source: NamedSource<String>,
    labels: Vec<LabeledSpan>,
    help: Option<String>,
}

impl fmt::Display for Report {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        Ok(())
    }
}

impl std::error::Error for Report {}

impl miette::Diagnostic for Report {
    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }
}

/// The length of the byte-order mark opening a file: miette is shown the text without it (and
/// spans moved back) so that it is no column, as in every other output.
fn bom_len(text: &str) -> usize {
    if text.starts_with('\u{FEFF}') {
        '\u{FEFF}'.len_utf8()
    } else {
        0
    }
}

fn span(loc: &Location) -> SourceSpan {
    let bom = bom_len(&loc.text);
    let start = (loc.range.start() as usize).saturating_sub(bom);
    let end = (loc.range.end() as usize).saturating_sub(bom);
    SourceSpan::new(start.into(), end - start)
}

fn source(loc: &Location) -> NamedSource<String> {
    let text = &loc.text[bom_len(&loc.text)..];
    NamedSource::new(loc.path.display().to_string(), text.to_string())
}

/// The snippet part of a report: miette's graphical rendering without its first line (the
/// message line, which the header replaces).
fn snippet(report: &Report, color: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme).with_context_lines(1);
    let mut out = String::new();
    let _ = handler.render_report(&mut out, report);
    match out.split_once('\n') {
        Some((_, rest)) => rest.to_string(),
        None => String::new(),
    }
}

/// `error[code]: message` (bold and coloured as rustc's when `color`).
fn header(word: &str, code: &str, message: &str, color: bool) -> String {
    let label = if code.is_empty() {
        word.to_string()
    } else {
        format!("{word}[{code}]")
    };
    if !color {
        return format!("{label}: {message}\n");
    }
    let tint = match word {
        "error" => "31",
        "warning" => "33",
        _ => "32",
    };
    format!("\x1b[1;{tint}m{label}\x1b[0m\x1b[1m: {message}\x1b[0m\n")
}

fn word(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn miette_severity(severity: Severity) -> miette::Severity {
    match severity {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
    }
}

/// One diagnostic: its header, its snippet with labels and help, then a `note:` with a
/// snippet for each label in another file.
fn block(d: &Resolved, color: bool) -> String {
    let mut labels = vec![LabeledSpan::new_primary_with_span(
        (!d.span_message.is_empty()).then(|| d.span_message.clone()),
        span(&d.primary),
    )];
    let mut elsewhere = Vec::new();
    for (loc, message) in &d.labels {
        if loc.path == d.primary.path {
            labels.push(LabeledSpan::new_with_span(Some(message.clone()), span(loc)));
        } else {
            elsewhere.push((loc, message));
        }
    }
    let mut help = d.help.clone();
    for note in &d.notes {
        help = Some(match help {
            Some(h) => format!("{h}\nnote: {note}"),
            None => format!("note: {note}"),
        });
    }
    let report = Report {
        severity: miette_severity(d.severity),
        source: source(&d.primary),
        labels,
        help,
    };
    let mut out = header(word(d.severity), d.code, &d.message, color);
    out.push_str(&snippet(&report, color));
    for (loc, message) in elsewhere {
        let note = Report {
            severity: miette::Severity::Advice,
            source: source(loc),
            labels: vec![LabeledSpan::new_primary_with_span(None, span(loc))],
            help: None,
        };
        out.push_str(&header("note", "", message, color));
        out.push_str(&snippet(&note, color));
    }
    out
}

/// Every diagnostic, each followed by a blank line.
pub fn render(diagnostics: &[Resolved], color: bool) -> String {
    let mut out = String::new();
    for d in diagnostics {
        out.push_str(&block(d, color));
        out.push('\n');
    }
    out
}

/// `N errors, M warnings`, or `no problems found`.
pub fn summary(diagnostics: &[Resolved]) -> String {
    let errors = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = diagnostics.len() - errors;
    if diagnostics.is_empty() {
        return "no problems found\n".to_string();
    }
    format!(
        "{errors} error{}, {warnings} warning{}\n",
        if errors == 1 { "" } else { "s" },
        if warnings == 1 { "" } else { "s" }
    )
}

/// A message without a code: the header, the snippet at `location` when there is one, the
/// help (as miette prints it) when there is one.
pub fn plain(
    severity: Severity,
    code: &str,
    message: &str,
    location: Option<&Location>,
    help: Option<&str>,
    color: bool,
) -> String {
    let mut out = header(word(severity), code, message, color);
    match location {
        Some(loc) => {
            let report = Report {
                severity: miette_severity(severity),
                source: source(loc),
                labels: vec![LabeledSpan::new_primary_with_span(None, span(loc))],
                help: help.map(str::to_string),
            };
            out.push_str(&snippet(&report, color));
        }
        None => {
            if let Some(help) = help {
                let label = if color {
                    "\x1b[36mhelp:\x1b[0m"
                } else {
                    "help:"
                };
                out.push_str(&format!("  {label} {help}\n"));
            }
        }
    }
    out
}
