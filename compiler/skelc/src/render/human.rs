//! Human-readable diagnostics through miette: source snippets, labels, help; labels in other
//! files become related reports.

use std::fmt;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};
use skel_db::Severity;

use super::{Location, Resolved};

#[derive(Debug)]
struct Report {
    code: String,
    severity: miette::Severity,
    message: String,
    source: NamedSource<String>,
    labels: Vec<LabeledSpan>,
    help: Option<String>,
    related: Vec<Report>,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Report {}

impl miette::Diagnostic for Report {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        (!self.code.is_empty()).then(|| Box::new(&self.code) as Box<dyn fmt::Display>)
    }
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
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(
            self.related.iter().map(|r| r as &dyn miette::Diagnostic),
        ))
    }
}

fn span(loc: &Location) -> SourceSpan {
    SourceSpan::new(
        (loc.range.start() as usize).into(),
        loc.range.len() as usize,
    )
}

fn source(loc: &Location) -> NamedSource<String> {
    NamedSource::new(loc.path.display().to_string(), loc.text.to_string())
}

fn report(d: &Resolved) -> Report {
    let mut labels = vec![LabeledSpan::new_primary_with_span(
        (!d.span_message.is_empty()).then(|| d.span_message.clone()),
        span(&d.primary),
    )];
    let mut related = Vec::new();
    for (loc, message) in &d.labels {
        if loc.path == d.primary.path {
            labels.push(LabeledSpan::new_with_span(Some(message.clone()), span(loc)));
        } else {
            related.push(Report {
                code: "note".to_string(),
                severity: miette::Severity::Advice,
                message: message.clone(),
                source: source(loc),
                labels: vec![LabeledSpan::new_primary_with_span(None, span(loc))],
                help: None,
                related: Vec::new(),
            });
        }
    }
    let mut help = d.help.clone();
    for note in &d.notes {
        help = Some(match help {
            Some(h) => format!("{h}\nnote: {note}"),
            None => format!("note: {note}"),
        });
    }
    Report {
        code: d.code.to_string(),
        severity: match d.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        },
        message: d.message.clone(),
        source: source(&d.primary),
        labels,
        help,
        related,
    }
}

pub fn render(diagnostics: &[Resolved], color: bool) -> String {
    let theme = if color
        && std::io::IsTerminal::is_terminal(&std::io::stdout())
        && std::env::var_os("NO_COLOR").is_none()
    {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme).with_context_lines(1);
    let mut out = String::new();
    for d in diagnostics {
        let _ = handler.render_report(&mut out, &report(d));
        out.push('\n');
    }
    let errors = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = diagnostics.len() - errors;
    if diagnostics.is_empty() {
        out.push_str("no problems found\n");
    } else {
        out.push_str(&format!(
            "{errors} error{}, {warnings} warning{}\n",
            if errors == 1 { "" } else { "s" },
            if warnings == 1 { "" } else { "s" }
        ));
    }
    out
}
