//! The benchmark generator's workspaces check clean through the real `skelc check`, so the
//! generator cannot rot: `bench/gen_skel.py OUT --dirs N --files F` (the IDE-at-scale workspace
//! of `scripts/bench-ide`: module directories calling each other in a tree with shared
//! modules, everything spread over several files) and the positional `OUT M R` form that
//! `scripts/bench-runtime` and `scripts/lsp-bench` use. Correctness only; no timing.

mod cli_support;

use std::path::Path;
use std::process::Command;

use cli_support::{skel_files, skelc};

fn generate(out: &Path, args: &[&str]) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bench/gen_skel.py");
    let status = Command::new("python3")
        .arg(&script)
        .arg(out)
        .args(args)
        .status()
        .expect("python3 runs bench/gen_skel.py");
    assert!(status.success(), "gen_skel.py {args:?} failed: {status}");
}

#[test]
fn generated_module_tree_checks_clean() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    generate(&ws, &["--dirs", "20", "--files", "10"]);
    let files = skel_files(&ws);
    assert_eq!(files.len(), 200, "{files:?}");
    let dirs: std::collections::BTreeSet<&Path> = files.iter().filter_map(|f| f.parent()).collect();
    assert_eq!(dirs.len(), 20);
    // Modules call modules (not only the root), two levels down, and module 10 has
    // two callers (module 2, its parent, and module 3).
    let calls = |dir: &str| std::fs::read_to_string(ws.join(dir).join("children.skel")).unwrap();
    assert!(calls(".").contains("source    = \"./modules/l1/m0001\""));
    assert!(calls("modules/l1/m0001").contains("source    = \"../../l2/m0005\""));
    assert!(calls("modules/l1/m0002").contains("\"../../l2/m0010\""));
    assert!(calls("modules/l1/m0003").contains("\"../../l2/m0010\""));
    assert!(ws.join("modules/l2/m0019/network.skel").is_file());

    let out = skelc(&ws, &["check"]).ok();
    assert_eq!(out.stdout, "", "{out:?}");
    assert!(!out.stderr.contains("warning"), "{out:?}");
    // Every file's items are checked, so a broken generated file would show: one typo in a
    // module two calls below the root is reported there.
    let leaf = ws.join("modules/l2/m0019/network.skel");
    let text = std::fs::read_to_string(&leaf).unwrap();
    std::fs::write(&leaf, text.replace("local.full", "local.fulll")).unwrap();
    let out = skelc(&ws, &["check"]).run();
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("m0019/network.skel"), "{out:?}");
}

#[test]
fn generated_module_instances_check_clean() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    generate(&ws, &["3", "2"]);
    assert_eq!(skel_files(&ws).len(), 2);
    let out = skelc(&ws, &["check"]).ok();
    assert_eq!(out.stdout, "", "{out:?}");
}
