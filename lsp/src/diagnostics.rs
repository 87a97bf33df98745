//! Compiler diagnostics as LSP diagnostics, and which modules must be re-checked when one
//! changes (the module itself and every module that calls it, transitively).

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::path::PathBuf;

use skel_db::{Db, Directory, Severity};
use tower_lsp::lsp_types::{
    self as lsp, DiagnosticRelatedInformation, DiagnosticSeverity, NumberOrString,
};

use crate::position::Encoding;
use crate::snapshot::{file_lines, path_to_uri};

/// The diagnostics of a module's check, converted and grouped by file path, sorted by position
/// and without duplicates (as `skelc check` prints them).
pub fn module_diagnostics(
    db: &dyn Db,
    dir: Directory,
    encoding: Encoding,
) -> BTreeMap<PathBuf, Vec<lsp::Diagnostic>> {
    let mut by_file: BTreeMap<PathBuf, Vec<(u32, &skel_db::Diagnostic)>> = BTreeMap::new();
    for file in &skel_hir::module_index(db, dir).files {
        by_file.entry(file.path(db).clone()).or_default();
    }
    let diagnostics = skel_types::check_module(db, dir);
    for d in diagnostics.iter() {
        let start = d.span.resolve(db).start();
        by_file
            .entry(d.span.file.path(db).clone())
            .or_default()
            .push((start, d));
    }
    by_file
        .into_iter()
        .map(|(path, mut list)| {
            list.sort_by_key(|(start, _)| *start);
            list.dedup_by(|a, b| a.1 == b.1);
            let converted = list.iter().map(|(_, d)| to_lsp(db, d, encoding)).collect();
            (path, converted)
        })
        .collect()
}

/// One compiler diagnostic as the LSP sees it: the code as a string, the span message, notes
/// and help appended to the message (as `skelc check` shows them), labels as related
/// information.
pub fn to_lsp(db: &dyn Db, d: &skel_db::Diagnostic, encoding: Encoding) -> lsp::Diagnostic {
    let lines = file_lines(db, d.span.file, encoding);
    let mut message = d.message.clone();
    if !d.span_message.is_empty() {
        message.push_str(": ");
        message.push_str(&d.span_message);
    }
    for note in &d.notes {
        message.push_str("\nnote: ");
        message.push_str(note);
    }
    if let Some(help) = &d.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    let related: Vec<DiagnosticRelatedInformation> = d
        .labels
        .iter()
        .filter_map(|label| {
            let uri = path_to_uri(label.span.file.path(db))?;
            let range = file_lines(db, label.span.file, encoding).range(label.span.resolve(db));
            Some(DiagnosticRelatedInformation {
                location: lsp::Location { uri, range },
                message: label.message.clone(),
            })
        })
        .collect();
    lsp::Diagnostic {
        range: lines.range(d.span.resolve(db)),
        severity: Some(match d.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
        }),
        code: Some(NumberOrString::String(d.code.as_str().to_string())),
        source: Some("skel".to_string()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        ..lsp::Diagnostic::default()
    }
}

/// `changed` followed by every known module that calls one of them, transitively, each once.
pub fn with_dependents(db: &dyn Db, known: &[Directory], changed: &[Directory]) -> Vec<Directory> {
    let mut callers: HashMap<Directory, Vec<Directory>> = HashMap::new();
    for &dir in known {
        for &child in skel_hir::module_sources(db, dir).iter() {
            callers.entry(child).or_default().push(dir);
        }
    }
    let mut seen: HashSet<Directory> = HashSet::new();
    let mut order = Vec::new();
    let mut queue: VecDeque<Directory> = changed.iter().copied().collect();
    while let Some(dir) = queue.pop_front() {
        if !seen.insert(dir) {
            continue;
        }
        order.push(dir);
        if let Some(list) = callers.get(&dir) {
            queue.extend(list.iter().copied());
        }
    }
    order
}
