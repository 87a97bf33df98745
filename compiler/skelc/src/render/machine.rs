//! Machine-readable diagnostics: JSON, GitHub Actions annotations and SARIF 2.1.0.

use serde_json::json;
use skel_db::Severity;

use super::Resolved;

fn counts(diagnostics: &[Resolved]) -> (usize, usize) {
    let errors = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    (errors, diagnostics.len() - errors)
}

fn full_message(d: &Resolved) -> String {
    if d.span_message.is_empty() {
        d.message.clone()
    } else {
        format!("{}: {}", d.message, d.span_message)
    }
}

/// `{"diagnostics":[…],"errors":N,"warnings":N}`; lines and columns 1-based, columns in characters.
pub fn json(diagnostics: &[Resolved]) -> String {
    let (errors, warnings) = counts(diagnostics);
    let items: Vec<serde_json::Value> = diagnostics
        .iter()
        .map(|d| {
            json!({
                "code": d.code,
                "severity": d.severity.as_str(),
                "message": full_message(d),
                "file": d.primary.path.display().to_string(),
                "start_line": d.primary.start.line,
                "start_column": d.primary.start.column,
                "end_line": d.primary.end.line,
                "end_column": d.primary.end.column,
                "help": d.help,
            })
        })
        .collect();
    let doc = json!({ "diagnostics": items, "errors": errors, "warnings": warnings });
    format!(
        "{}\n",
        serde_json::to_string_pretty(&doc).unwrap_or_default()
    )
}

/// Escape data for a GitHub workflow command (`%`, CR, LF; and `,`/`:` in properties).
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// One `::error file=…,line=…::message` line per diagnostic.
pub fn github(diagnostics: &[Resolved]) -> String {
    let mut out = String::new();
    for d in diagnostics {
        let level = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut message = full_message(d);
        if let Some(help) = &d.help {
            message.push_str("\nhelp: ");
            message.push_str(help);
        }
        out.push_str(&format!(
            "::{level} file={},line={},col={},endLine={},endColumn={},title={}::{}\n",
            escape_property(&d.primary.path.display().to_string()),
            d.primary.start.line,
            d.primary.start.column,
            d.primary.end.line,
            d.primary.end.column,
            escape_property(d.code),
            escape_data(&message)
        ));
    }
    let (errors, warnings) = counts(diagnostics);
    out.push_str(&format!("{errors} error(s), {warnings} warning(s)\n"));
    out
}

/// A SARIF 2.1.0 log with one run of the `skelc` tool.
pub fn sarif(diagnostics: &[Resolved]) -> String {
    let mut rule_ids: Vec<&str> = diagnostics.iter().map(|d| d.code).collect();
    rule_ids.sort_unstable();
    rule_ids.dedup();
    let rules: Vec<serde_json::Value> = rule_ids
        .iter()
        .map(|id| {
            let summary = skel_db::Code::from_name(id).map(|c| c.summary()).unwrap_or_default();
            json!({ "id": id, "shortDescription": { "text": summary }, "helpUri": format!("https://skel.dev/docs/diagnostics#{id}") })
        })
        .collect();
    let results: Vec<serde_json::Value> = diagnostics
        .iter()
        .map(|d| {
            json!({
                "ruleId": d.code,
                "level": match d.severity { Severity::Error => "error", Severity::Warning => "warning" },
                "message": { "text": match &d.help { Some(h) => format!("{}\nhelp: {h}", full_message(d)), None => full_message(d) } },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": d.primary.path.display().to_string().replace('\\', "/") },
                        "region": {
                            "startLine": d.primary.start.line,
                            "startColumn": d.primary.start.column,
                            "endLine": d.primary.end.line,
                            "endColumn": d.primary.end.column,
                        }
                    }
                }],
                "relatedLocations": d.labels.iter().enumerate().map(|(i, (loc, msg))| json!({
                    "id": i,
                    "message": { "text": msg },
                    "physicalLocation": {
                        "artifactLocation": { "uri": loc.path.display().to_string().replace('\\', "/") },
                        "region": { "startLine": loc.start.line, "startColumn": loc.start.column, "endLine": loc.end.line, "endColumn": loc.end.column }
                    }
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": { "name": "skelc", "version": env!("CARGO_PKG_VERSION"), "informationUri": "https://skel.dev", "rules": rules } },
            "results": results,
        }]
    });
    format!(
        "{}\n",
        serde_json::to_string_pretty(&doc).unwrap_or_default()
    )
}
