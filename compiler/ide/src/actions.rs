//! Code actions: did-you-mean quick fixes that replace a misspelled name with the suggestion.

use skel_db::{Db, File};
use skel_syntax::TextRange;

use crate::{CodeAction, SourceChange, TextEdit};

pub(crate) fn code_actions(db: &dyn Db, file: File, range: TextRange) -> Vec<CodeAction> {
    let Some(text) = file.text(db).clone() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for d in crate::file_diagnostics(db, file) {
        let span = d.span.resolve(db);
        if span.end() < range.start() || span.start() > range.end() {
            continue;
        }
        let Some(suggestion) = d.help.as_deref().and_then(suggestion) else {
            continue;
        };
        let Some(written) = text.get(span.as_usize_range()) else {
            continue;
        };
        let Some(edit_range) = misspelled_range(written, suggestion) else {
            continue;
        };
        let edit_range = edit_range.shifted(span.start());
        out.push(CodeAction {
            title: format!("Change to `{suggestion}`"),
            edit: SourceChange {
                edits: vec![(
                    file,
                    vec![TextEdit {
                        range: edit_range,
                        new_text: suggestion.to_string(),
                    }],
                )],
            },
            fixes: Some(d.code.as_str()),
        });
    }
    out
}

/// `X` from a help of the form "did you mean `X`?".
fn suggestion(help: &str) -> Option<&str> {
    let rest = help.strip_prefix("did you mean `")?;
    rest.strip_suffix("`?")
}

/// The part of the span's text to replace: as many trailing dotted segments as the suggestion
/// has (`var.regoin` with `region` → `regoin`), without quotes.
fn misspelled_range(written: &str, suggestion: &str) -> Option<TextRange> {
    let (inner_start, inner) = match written.strip_prefix('"').and_then(|w| w.strip_suffix('"')) {
        Some(inner) => (1, inner),
        None => (0, written),
    };
    if inner.is_empty() {
        return None;
    }
    let segments = suggestion.matches('.').count() + 1;
    let dots: Vec<usize> = inner.match_indices('.').map(|(i, _)| i).collect();
    let start = if dots.len() >= segments {
        dots[dots.len() - segments] + 1
    } else {
        0
    };
    Some(TextRange::new(
        (inner_start + start) as u32,
        (inner_start + inner.len()) as u32,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_misspelled_segment() {
        assert_eq!(
            misspelled_range("var.regoin", "region"),
            Some(TextRange::new(4, 10))
        );
        assert_eq!(
            misspelled_range("\"aws_instnce\"", "aws_instance"),
            Some(TextRange::new(1, 12))
        );
        assert_eq!(
            misspelled_range("data.a.b", "a.c"),
            Some(TextRange::new(5, 8))
        );
    }
}
