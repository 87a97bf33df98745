//! Every example project under `examples/` checks with zero diagnostics.
//!
//! A directory is a project when it directly holds `.skel` files and is not under
//! `examples/modules/` (modules are checked through their callers).

use std::path::{Path, PathBuf};

use skel_db::{Db, SkelDatabase};
use skel_tests::{mdtest, workspace_root};
use skel_types::ProjectInput;

fn projects(dir: &Path, modules: &Path, out: &mut Vec<PathBuf>) {
    if dir.starts_with(modules) {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    if entries
        .iter()
        .any(|p| p.is_file() && p.extension().is_some_and(|e| e == "skel"))
    {
        out.push(dir.to_path_buf());
    }
    for entry in entries.iter().filter(|p| p.is_dir()) {
        projects(entry, modules, out);
    }
}

#[test]
fn examples_check_clean() {
    let examples = workspace_root().join("examples");
    let mut dirs = Vec::new();
    projects(&examples, &examples.join("modules"), &mut dirs);
    assert!(
        !dirs.is_empty(),
        "no example projects under {}",
        examples.display()
    );
    let mut report = Vec::new();
    for dir in &dirs {
        let db = SkelDatabase::default();
        let input = ProjectInput {
            root: db.directory(dir),
            vars: Vec::new(),
        };
        let diagnostics = skel_types::check_project(&db, &input);
        for d in mdtest::resolve(&db, &workspace_root(), diagnostics) {
            report.push(format!(
                "{}: {}:{}:{}: {}[{}] {}",
                dir.strip_prefix(&examples).unwrap_or(dir).display(),
                d.file,
                d.line,
                d.column,
                d.severity.as_str(),
                d.code.as_str(),
                d.text
            ));
        }
    }
    assert!(
        report.is_empty(),
        "examples have {} diagnostics:\n  {}",
        report.len(),
        report.join("\n  ")
    );
}
