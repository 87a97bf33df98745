//! Architecture and tidy checks over the whole repository: the crate layering rules from
//! ARCHITECTURE.md (read from `cargo metadata`), a `//!` line opening every Rust module, and no ignored
//! tests.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Normal (non-dev) dependencies of every workspace package.
fn dependencies() -> BTreeMap<String, BTreeSet<String>> {
    let out = Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(root())
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("metadata is JSON");
    let mut map = BTreeMap::new();
    for package in doc["packages"].as_array().expect("packages") {
        let deps = package["dependencies"]
            .as_array()
            .expect("dependencies")
            .iter()
            .filter(|d| d["kind"].is_null())
            .map(|d| d["name"].as_str().unwrap_or_default().to_string())
            .collect();
        map.insert(
            package["name"].as_str().unwrap_or_default().to_string(),
            deps,
        );
    }
    map
}

fn violations(
    deps: &BTreeMap<String, BTreeSet<String>>,
    who: impl Fn(&str) -> bool,
    forbidden: &[&str],
) -> Vec<String> {
    let mut out = Vec::new();
    for (package, ds) in deps {
        if !who(package) {
            continue;
        }
        for f in forbidden {
            if ds.contains(*f) {
                out.push(format!("{package} depends on {f}"));
            }
        }
    }
    out
}

const RUNTIME: &[&str] = &[
    "skel_runtime",
    "skel_state",
    "skel_provider",
    "skel_provider_builtin",
    "skel_plugin",
];
const COMPILER_SEMANTICS: &[&str] = &[
    "salsa",
    "skel_db",
    "skel_hir",
    "skel_types",
    "skel_ide",
    "skel_lower",
    "skel_lsp",
];

#[test]
fn layering_rules_hold() {
    let deps = dependencies();
    assert!(
        deps.contains_key("skelc") && deps.contains_key("skel_runtime"),
        "{:?}",
        deps.keys()
    );
    let mut problems = Vec::new();
    // The runtime reads plain data only: never salsa or the compiler's semantic crates.
    problems.extend(violations(
        &deps,
        |p| RUNTIME.contains(&p),
        COMPILER_SEMANTICS,
    ));
    // Only the binary wires the runtime in.
    problems.extend(violations(
        &deps,
        |p| p != "skelc" && !RUNTIME.contains(&p),
        &[
            "skel_runtime",
            "skel_state",
            "skel_provider_builtin",
            "skel_plugin",
        ],
    ));
    // The language server can never call a provider.
    problems.extend(violations(
        &deps,
        |p| p == "skel_lsp" || p == "skel_ide",
        RUNTIME,
    ));
    // Only the language server knows the protocol types.
    problems.extend(violations(
        &deps,
        |p| p != "skel_lsp",
        &["lsp-types", "tower-lsp"],
    ));
    // Only the binary knows miette and clap.
    problems.extend(violations(&deps, |p| p != "skelc", &["miette", "clap"]));
    // The network is the binary's: the compiler crates (module installation's walk included,
    // `skel_hir::source`) never speak HTTP or TLS themselves.
    problems.extend(violations(
        &deps,
        |p| COMPILER_SEMANTICS.contains(&p) || p == "skel_tests",
        &["hyper", "hyper-util", "hyper-rustls", "rustls", "reqwest"],
    ));
    // Plain-data crates stay plain.
    problems.extend(violations(
        &deps,
        |p| {
            [
                "skel_value",
                "skel_schema",
                "skel_plan_ir",
                "skel_syntax",
                "skel_stdlib",
                "skel_eval",
            ]
            .contains(&p)
        },
        &["salsa", "tokio"],
    ));
    assert!(
        problems.is_empty(),
        "layering violations:\n{}",
        problems.join("\n")
    );
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            if !(name.starts_with('.')
                || name.starts_with("target")
                || name == "node_modules"
                || name == "corpus"
                || name == "artifacts")
            {
                rust_files(&path, out);
            }
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_module_opens_with_a_doc_line_and_no_test_is_ignored() {
    let mut files = Vec::new();
    for dir in ["compiler", "runtime", "lsp", "stdlib", "tests", "fuzz"] {
        rust_files(&root().join(dir), &mut files);
    }
    assert!(files.len() > 50, "found only {} files", files.len());
    let mut problems = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        let first = text
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or_default();
        if !first.starts_with("//!") && !first.starts_with("#![") {
            problems.push(format!(
                "{}: does not open with a `//!` line",
                file.display()
            ));
        }
        let ignore_attr = ["#[", "ignore]"].concat();
        if text.contains(&ignore_attr) {
            problems.push(format!("{}: has an ignored test", file.display()));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
