//! Engine errors (`skel_runtime::EngineError`) in the one diagnostic format: `error[CODE]:
//! ADDRESS: message`, the snippet of the block it concerns (or `--> file:line:column` when the file can
//! no longer be read), then the help. Engine messages never hold a marked value (see
//! `skel_runtime::EngineError`).

use std::path::Path;

use skel_runtime::{EngineError, Errors};

use super::{error_text, Location};

/// The text of one engine error, paths shown relative to `cwd`.
pub fn engine_error_text(e: &EngineError, cwd: &Path) -> String {
    let message = match &e.address {
        Some(addr) => format!("{addr}: {}", e.message),
        None => e.message.clone(),
    };
    let location = e
        .location
        .as_ref()
        .and_then(|loc| Location::at_line(&loc.file, loc.line, loc.column, cwd));
    let mut text = error_text(e.code, &message, location.as_ref(), e.help.as_deref());
    if let (None, Some(loc)) = (&location, &e.location) {
        text.push_str(&format!(
            "  --> {}:{}:{}\n",
            crate::workdir::shown(&loc.file).display(),
            loc.line,
            loc.column
        ));
    }
    text
}

/// Print every engine error on standard error, each once (two steps that evaluate the same
/// failing expression report the same error).
pub fn engine_errors(errors: &Errors) {
    let cwd = crate::workdir::started_in();
    let mut shown = std::collections::HashSet::new();
    for e in &errors.0 {
        let text = engine_error_text(e, &cwd);
        if shown.insert(text.clone()) {
            eprint!("{text}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn location(file: &Path, line: u32, column: u32) -> skel_plan_ir::SourceLocation {
        skel_plan_ir::SourceLocation {
            file: file.to_path_buf(),
            line,
            column,
        }
    }

    #[test]
    fn address_message_snippet_and_help() {
        let dir = std::env::temp_dir().join(format!("skelc-render-engine-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("main.skel");
        std::fs::write(&file, "# first\nresource \"null_resource\" \"a\" {}\n").unwrap();
        let e = EngineError::new("creating: boom")
            .at("null_resource.a", Some(&location(&file, 2, 1)))
            .with_help("try again");
        let text = engine_error_text(&e, &dir);
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(
            text.starts_with("error[runtime-error]: null_resource.a: creating: boom\n"),
            "{text}"
        );
        assert!(text.contains("main.skel:2:1"), "{text}");
        assert!(
            text.contains("resource \"null_resource\" \"a\" {}"),
            "{text}"
        );
        assert!(text.contains("try again"), "{text}");
    }

    #[test]
    fn an_unreadable_file_still_names_the_place() {
        let e = EngineError::provider("deleting: gone").at(
            "null_resource.b",
            Some(&location(Path::new("/nonexistent/skel/x.skel"), 3, 5)),
        );
        let text = engine_error_text(&e, Path::new("/"));
        assert!(
            text.starts_with("error[provider-error]: null_resource.b: deleting: gone\n"),
            "{text}"
        );
        assert!(
            text.ends_with("  --> /nonexistent/skel/x.skel:3:5\n"),
            "{text}"
        );
    }

    #[test]
    fn without_an_address() {
        let text = engine_error_text(&EngineError::new("saving state: disk full"), Path::new("/"));
        assert_eq!(
            text.lines().next(),
            Some("error[runtime-error]: saving state: disk full")
        );
    }
}
