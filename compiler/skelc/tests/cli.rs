//! End-to-end tests of the `skelc` binary: output formats, exit codes, variables and `fmt`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn skelc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_skelc"))
        .args(args)
        .current_dir(fixtures())
        .env("NO_COLOR", "1")
        .env_remove("SKEL_VAR_name")
        .output()
        .expect("skelc runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn clean_module_exits_zero() {
    let out = skelc(&["check", "clean"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // Human output goes to standard error; standard output stays empty.
    assert_eq!(stderr(&out), "no problems found\n");
    assert_eq!(stdout(&out), "");
}

#[test]
fn human_output_has_codes_snippets_and_help() {
    let out = skelc(&["check", "broken", "--no-color"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "");
    insta::assert_snapshot!(stderr(&out));
}

#[test]
fn json_output_follows_the_documented_shape() {
    let out = skelc(&["check", "broken", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    insta::assert_json_snapshot!(doc);
    assert_eq!(doc["errors"], 2);
    assert_eq!(doc["warnings"], 1);
    for d in doc["diagnostics"].as_array().unwrap() {
        for key in [
            "code",
            "severity",
            "message",
            "file",
            "start_line",
            "start_column",
            "end_line",
            "end_column",
            "help",
        ] {
            assert!(d.get(key).is_some(), "missing {key} in {d}");
        }
    }
}

#[test]
fn github_annotations_point_at_lines() {
    let out = skelc(&["check", "broken", "--format", "github"]);
    let text = stdout(&out);
    assert!(
        text.contains("::error file=broken/main.skel,line=8,col=12,"),
        "{text}"
    );
    assert!(text.contains("title=unresolved-reference::"), "{text}");
    assert!(text.ends_with("2 error(s), 1 warning(s)\n"), "{text}");
}

#[test]
fn sarif_is_version_2_1_0_with_rules_and_results() {
    let out = skelc(&["check", "broken", "--format", "sarif"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    assert_eq!(doc["version"], "2.1.0");
    let run = &doc["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "skelc");
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    let rule_ids: Vec<&str> = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    for r in results {
        assert!(rule_ids.contains(&r["ruleId"].as_str().unwrap()));
        assert!(
            r["locations"][0]["physicalLocation"]["region"]["startLine"]
                .as_u64()
                .unwrap()
                > 0
        );
    }
}

#[test]
fn var_values_are_checked_against_declared_types() {
    let out = skelc(&["check", "clean", "-var", "name=ok"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = skelc(&["check", "clean", "-var", "nmae=x", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["diagnostics"][0]["code"], "invalid-variable-value");
    assert!(doc["diagnostics"][0]["help"]
        .as_str()
        .unwrap()
        .contains("`name`"));
}

#[test]
fn var_files_are_checked_with_positions() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.skel"),
        "variable \"n\" {\n  type = number\n}\nvariable \"l\" {\n  type = list(string)\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("skel.skelvars"),
        "n = 3\nl = \"not a list\"\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_skelc"))
        .args(["check", "--format", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let d = &doc["diagnostics"][0];
    assert_eq!(d["code"], "invalid-variable-value");
    assert!(d["file"].as_str().unwrap().ends_with("skel.skelvars"));
    assert_eq!(d["start_line"], 2);
    // A -var of a complex type is parsed as an expression; it replaces the file's wrong value,
    // and only the value that wins is checked (as Terraform does).
    let out = Command::new(env!("CARGO_BIN_EXE_skelc"))
        .args(["check", "-var", "l=[\"a\", \"b\"]", "-var", "n=4"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = Command::new(env!("CARGO_BIN_EXE_skelc"))
        .args(["check", "-var", "l=[\"a\", \"b\"", "-var", "n=4"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    std::fs::write(dir.path().join("skel.skelvars"), "n = 3\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_skelc"))
        .args(["check", "-var", "l=[\"a\", \"b\"]"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = Command::new(env!("CARGO_BIN_EXE_skelc"))
        .args(["check", "-var", "n=many"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
}

#[test]
fn usage_errors_exit_two() {
    assert_eq!(skelc(&["check", "does-not-exist"]).status.code(), Some(2));
    assert_eq!(
        skelc(&["check", "clean", "--format", "xml"]).status.code(),
        Some(2)
    );
    assert_eq!(
        skelc(&["check", "clean", "-var", "novalue"]).status.code(),
        Some(2)
    );
    let empty = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_skelc"))
        .args(["check"])
        .arg(empty.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no .skel files"));
}

#[test]
fn fmt_check_reports_and_fmt_rewrites() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("main.skel");
    std::fs::write(
        &path,
        "resource \"null_resource\" \"a\" {\n    triggers = {a=1}\n  count = 1\n}\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_skelc"))
        .args(["fmt", "--check"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("main.skel"));
    let out = Command::new(env!("CARGO_BIN_EXE_skelc"))
        .args(["fmt"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let formatted = std::fs::read_to_string(&path).unwrap();
    assert!(
        formatted.contains("  triggers = { a = 1 }\n  count    = 1\n"),
        "{formatted}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_skelc"))
        .args(["fmt", "--check"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "formatting is idempotent");
    std::fs::write(&path, "resource \"x\" {\n  a = \n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_skelc"))
        .args(["fmt"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "syntax errors are reported, the file untouched"
    );
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "resource \"x\" {\n  a = \n"
    );
}
