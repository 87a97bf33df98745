//! Runs the markdown checker suites (`tests/mdtest/**/*.md` and `docs/diagnostics.md`).
//!
//! Set `MDTEST_FILTER=substring` to run only the cases whose name contains it.

use std::collections::BTreeSet;

use skel_db::Code;
use skel_tests::mdtest::{self, Suite};
use skel_tests::workspace_root;

fn suites() -> Vec<Suite> {
    let root = workspace_root();
    let mut paths = mdtest::markdown_files(&root.join("tests/mdtest"));
    paths.push(root.join("docs/diagnostics.md"));
    paths.iter().map(|p| Suite::load(p)).collect()
}

#[test]
fn mdtest() {
    let filter = std::env::var("MDTEST_FILTER").ok();
    let mut failures = Vec::new();
    let mut total = 0;
    for suite in suites() {
        let (ran, failed) = mdtest::run_suite(&suite, filter.as_deref());
        total += ran;
        failures.extend(failed);
    }
    assert!(total > 0 || filter.is_some(), "no mdtest cases found");
    if !failures.is_empty() {
        panic!(
            "{} of {total} mdtest cases failed:\n\n{}\n",
            failures.len(),
            failures.join("\n\n")
        );
    }
    println!("{total} mdtest cases passed");
}

#[test]
fn every_code_is_covered() {
    let root = workspace_root();
    let mut covered = BTreeSet::new();
    for path in mdtest::markdown_files(&root.join("tests/mdtest")) {
        covered.extend(mdtest::asserted_codes(&Suite::load(&path)));
    }
    let missing: Vec<&str> = Code::ALL
        .iter()
        .map(|c| c.as_str())
        .filter(|c| !covered.contains(*c))
        .collect();
    assert!(
        missing.is_empty(),
        "codes without an assertion in tests/mdtest: {missing:?}"
    );
}

#[test]
fn diagnostics_doc_documents_every_code() {
    let path = workspace_root().join("docs/diagnostics.md");
    let text = std::fs::read_to_string(&path).expect("docs/diagnostics.md exists");
    let mut in_fence = false;
    let mut headings = BTreeSet::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
        } else if !in_fence {
            if let Some(h) = line.strip_prefix("## ") {
                headings.insert(h.trim().to_string());
            }
        }
    }
    let codes: BTreeSet<String> = Code::ALL.iter().map(|c| c.as_str().to_string()).collect();
    let undocumented: Vec<_> = codes.difference(&headings).collect();
    let unknown: Vec<_> = headings.difference(&codes).collect();
    assert!(undocumented.is_empty() && unknown.is_empty(), "docs/diagnostics.md: codes without a section: {undocumented:?}; sections that are not codes: {unknown:?}");
}

#[test]
fn every_stdlib_function_is_used() {
    let suite = Suite::load(&workspace_root().join("tests/mdtest/functions.md"));
    let mut text = String::new();
    for case in &suite.cases {
        for file in &case.files {
            text.push_str(&file.text);
        }
    }
    let unused: Vec<&str> = skel_stdlib::all()
        .iter()
        .map(|f| f.name)
        .filter(|name| {
            !text.match_indices(&format!("{name}(")).any(|(i, _)| {
                let before = text[..i].chars().next_back();
                !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
            })
        })
        .collect();
    assert!(
        unused.is_empty(),
        "stdlib functions no case in tests/mdtest/functions.md calls: {unused:?}"
    );
}

#[test]
fn assertion_syntax() {
    use skel_db::Severity;
    let a = mdtest::parse_assertions(r#"x = 1 # error: [type-mismatch] "expected string" [invalid-operand] # warning: [implicit-conversion]"#).unwrap();
    assert_eq!(a.len(), 3);
    assert_eq!(a[0].message.as_deref(), Some("expected string"));
    assert_eq!(a[2].severity, Severity::Warning);
    assert!(mdtest::parse_assertions("x = 1 # just a comment")
        .unwrap()
        .is_empty());
    assert!(mdtest::parse_assertions("x = 1 # error: [no-such-code]").is_err());
}
