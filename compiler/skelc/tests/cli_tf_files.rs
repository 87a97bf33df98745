//! Real Terraform files through the real `skelc`: a module of `.tf` and `.skel` files with
//! override files checks, plans and runs with the overridden values; a byte-order mark and
//! CRLF line ends are read, kept by `fmt` and do not shift diagnostic columns; `.tf.json` files
//! are one clear error; heredocs inside lists reach the plan; `port` renames and rewrites; a
//! reference cycle labels each reference that makes it.

mod cli_support;

use std::fs;

use cli_support::{project, skelc};

const BOM: &str = "\u{FEFF}";

/// A module as a team might have it: `.tf` and `.skel` files, an `override.tf` and a
/// `NAME_override.skel`, writing a real file through `local_file`.
fn overridden_module() -> (tempfile::TempDir, std::path::PathBuf) {
    project(&[
        (
            "main.tf",
            "variable \"name\" {\n  type    = string\n  default = \"base-name\"\n}\n\n\
             resource \"local_file\" \"greeting\" {\n  filename = \"${path.module}/greeting.txt\"\n  content  = \"base-content\"\n}\n\n\
             resource \"null_resource\" \"tagged\" {\n  triggers = {\n    name = var.name\n    kept = \"kept-from-base\"\n  }\n\n  lifecycle {\n    create_before_destroy = false\n  }\n}\n",
        ),
        (
            "outputs.skel",
            "output \"name\" {\n  value = var.name\n}\n\noutput \"motto\" {\n  value = local.motto\n}\n\n\
             output \"content\" {\n  value = local_file.greeting.content\n}\n",
        ),
        ("locals.tf", "locals {\n  motto = \"base-motto\"\n}\n"),
        (
            "override.tf",
            "variable \"name\" {\n  default = \"override-name\"\n}\n\n\
             resource \"local_file\" \"greeting\" {\n  content = \"override-content for ${var.name}\"\n}\n\n\
             locals {\n  motto = \"override-motto\"\n}\n",
        ),
        (
            "tags_override.skel",
            "resource \"null_resource\" \"tagged\" {\n  triggers = {\n    name = \"second-${var.name}\"\n  }\n}\n",
        ),
    ])
}

#[test]
fn a_module_of_tf_and_skel_files_with_overrides_checks_plans_and_runs() {
    let (_tmp, dir) = overridden_module();
    let d = dir.to_str().unwrap();
    let out = skelc(&dir, &["check", d]).ok();
    assert!(out.stderr.contains("no problems found"), "{out:?}");

    let plan = skelc(&dir, &["plan", d]).ok();
    let text = &plan.stdout;
    for want in [
        "override-content for override-name",
        "second-override-name",
        "override-motto",
    ] {
        assert!(text.contains(want), "plan lacks {want:?}:\n{text}");
    }
    // Values the overrides replaced appear nowhere; the base's other values stay.
    for gone in ["base-content", "base-name", "base-motto"] {
        assert!(!text.contains(gone), "plan shows {gone:?}:\n{text}");
    }
    // The override replaced `triggers` as a whole (an attribute, not a nested block).
    assert!(!text.contains("kept-from-base"), "{text}");
    assert!(
        text.contains("Plan: 2 to add, 0 to change, 0 to destroy."),
        "{text}"
    );

    skelc(&dir, &["run", d, "--auto-approve"]).ok();
    assert_eq!(
        fs::read_to_string(dir.join("greeting.txt")).unwrap(),
        "override-content for override-name"
    );
    let out = skelc(&dir, &["output", d, "-json"]).ok();
    let outputs: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(outputs["name"]["value"], "override-name", "{outputs}");
    assert_eq!(outputs["motto"]["value"], "override-motto");
    assert_eq!(
        outputs["content"]["value"],
        "override-content for override-name"
    );
    // Applied exactly: planning again changes nothing.
    let again = skelc(&dir, &["plan", d]).ok();
    assert!(again.stdout.contains("No changes."), "{again:?}");

    // Removing the override file changes the plan back to the base values.
    fs::remove_file(dir.join("override.tf")).unwrap();
    let plan = skelc(&dir, &["plan", d]).ok();
    assert!(plan.stdout.contains("base-content"), "{plan:?}");
}

#[test]
fn override_and_json_errors_are_clear_diagnostics() {
    let (_tmp, dir) = project(&[
        ("main.tf", "output \"a\" {\n  value = 1\n}\n"),
        ("override.tf", "output \"b\" {\n  value = 2\n}\n"),
        ("extra.tf.json", "{\"variable\": {\"v\": {}}}\n"),
    ]);
    let d = dir.to_str().unwrap();
    let out = skelc(&dir, &["check", d, "--format", "json"]).run();
    assert_eq!(out.code, 1, "{out:?}");
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let list = report["diagnostics"].as_array().unwrap();
    let find = |code: &str| {
        list.iter()
            .find(|d| d["code"] == code)
            .unwrap_or_else(|| panic!("no {code} in {list:?}"))
    };
    let json = find("unsupported-json-config");
    assert_eq!(json["file"], "extra.tf.json");
    assert!(json["help"].as_str().unwrap().contains(".tf"));
    let over = find("override-without-base");
    assert_eq!(over["file"], "override.tf");
    assert_eq!(over["start_line"], 1);
    assert!(over["message"].as_str().unwrap().contains("output \"b\""));
    assert_eq!(list.len(), 2, "{list:?}");

    // A directory holding only JSON configuration gets the diagnostic, not "no files".
    let (_tmp2, only_json) = project(&[("main.tf.json", "{}\n")]);
    let out = skelc(&only_json, &["check", only_json.to_str().unwrap()]).run();
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr.contains("error[unsupported-json-config]"),
        "{out:?}"
    );
}

#[test]
fn a_byte_order_mark_and_crlf_are_read_and_columns_stay_right() {
    let text = format!(
        "{BOM}output \"x\" {{ value = var.nope }}\r\nlocals {{\r\n  h = [<<-EOT\r\n    a\r\n  EOT\r\n  ]\r\n}}\r\n"
    );
    let (_tmp, dir) = project(&[("main.tf", &text)]);
    let d = dir.to_str().unwrap();
    let out = skelc(&dir, &["check", d, "--format", "json"]).run();
    assert_eq!(out.code, 1, "{out:?}");
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let list = report["diagnostics"].as_array().unwrap();
    assert_eq!(list.len(), 1, "only the unresolved reference: {list:?}");
    assert_eq!(list[0]["code"], "unresolved-reference");
    // `output "x" { value = ` is 21 characters: `var.nope` starts at column 22.
    assert_eq!(list[0]["start_line"], 1);
    assert_eq!(list[0]["start_column"], 22, "{list:?}");
    let human = skelc(&dir, &["check", d]).run();
    assert!(human.stderr.contains("main.tf:1:22"), "{}", human.stderr);
}

#[test]
fn fmt_keeps_crlf_line_ends_and_the_mark_in_tf_files() {
    let lf = "locals {\n  a = 1\n  bbb = [<<-EOT\n    x\n  EOT\n  ]\n}\n";
    let crlf = format!("{BOM}{}", lf.replace('\n', "\r\n"));
    let (_tmp, dir) = project(&[("main.tf", &crlf), ("plain.tf", lf)]);
    let out = skelc(&dir, &["fmt"]).ok();
    assert_eq!(out.stdout, "main.tf\nplain.tf\n");
    let got = fs::read_to_string(dir.join("main.tf")).unwrap();
    assert!(got.starts_with(BOM), "{got:?}");
    assert!(got.contains("  a = 1\r\n  bbb = [\r\n"), "{got:?}");
    assert_eq!(
        got.matches('\n').count(),
        got.matches("\r\n").count(),
        "a bare LF in {got:?}"
    );
    let plain = fs::read_to_string(dir.join("plain.tf")).unwrap();
    assert!(
        !plain.contains('\r') && !plain.starts_with(BOM),
        "{plain:?}"
    );
    assert_eq!(got, format!("{BOM}{}", plain.replace('\n', "\r\n")));
    let out = skelc(&dir, &["fmt", "--check"]).ok();
    assert_eq!(out.stdout, "");
}

#[test]
fn a_heredoc_in_a_list_reaches_the_plan() {
    let (_tmp, dir) = project(&[(
        "main.tf",
        "resource \"null_resource\" \"helm\" {\n  triggers = {\n    values = join(\"\", [<<-EOT\n      replicaCount: 2\n    EOT\n    , <<-EOT\n      image: x\n    EOT\n    ])\n  }\n}\n",
    )]);
    let d = dir.to_str().unwrap();
    let plan = skelc(&dir, &["plan", d]).ok();
    assert!(plan.stdout.contains("replicaCount: 2"), "{plan:?}");
    assert!(plan.stdout.contains("image: x"), "{plan:?}");
}

#[test]
fn port_renames_and_rewrites_only_the_terraform_keyword() {
    let main = format!(
        "{BOM}# terraform {{ in a comment\r\nterraform {{\r\n  required_version = \">= 1.0\" # terraform\r\n}}\r\n\r\nvariable \"n\" {{\r\n  default = \"terraform\"\r\n}}\r\n"
    );
    let (_tmp, dir) = project(&[
        ("main.tf", &main),
        ("override.tf", "variable \"n\" {\n  default = \"o\"\n}\n"),
        ("terraform.tfvars", "n = \"from-tfvars\"\n"),
        ("dev.auto.tfvars", "n = \"from-auto\"\n"),
        ("legacy.tf.json", "{}\n"),
        ("modules/net/net.tf", "output \"id\" {\n  value = 1\n}\n"),
        ("notes.txt", "terraform {\n"),
    ]);
    let d = dir.to_str().unwrap();
    let before = || {
        let mut names: Vec<String> = walk(&dir);
        names.sort();
        names
    };
    let listing = before();

    // --dry-run reports everything and changes nothing.
    let dry = skelc(&dir, &["port", d, "--dry-run", "-r"]).ok();
    assert!(
        dry.stdout.contains("would rename main.tf -> main.skel"),
        "{dry:?}"
    );
    assert!(dry
        .stdout
        .contains("would rewrite `terraform {` -> `skel {` at main.skel:2"));
    assert_eq!(before(), listing);
    assert_eq!(fs::read_to_string(dir.join("main.tf")).unwrap(), main);

    let out = skelc(&dir, &["port", d, "-r"]).ok();
    for line in [
        "renamed main.tf -> main.skel",
        "  rewrote `terraform {` -> `skel {` at main.skel:2",
        "renamed override.tf -> override.skel",
        "renamed terraform.tfvars -> skel.skelvars",
        "renamed dev.auto.tfvars -> dev.auto.skelvars",
        "renamed modules/net/net.tf -> modules/net/net.skel",
        "left legacy.tf.json as it is",
    ] {
        assert!(
            out.stdout.contains(line),
            "missing {line:?} in {}",
            out.stdout
        );
    }
    // Only the keyword changed: the mark, CRLF, comments and strings are byte for byte.
    let ported = fs::read_to_string(dir.join("main.skel")).unwrap();
    assert_eq!(ported, main.replacen("\r\nterraform {", "\r\nskel {", 1));
    assert!(!dir.join("main.tf").exists() && !dir.join("terraform.tfvars").exists());
    assert_eq!(
        fs::read_to_string(dir.join("skel.skelvars")).unwrap(),
        "n = \"from-tfvars\"\n"
    );
    assert!(dir.join("legacy.tf.json").exists());
    assert_eq!(
        fs::read_to_string(dir.join("notes.txt")).unwrap(),
        "terraform {\n"
    );
    // The ported module still reads the same (the override applies; no `terraform` warning).
    fs::remove_file(dir.join("legacy.tf.json")).unwrap();
    let check = skelc(&dir, &["check", d]).ok();
    assert!(check.stderr.contains("no problems found"), "{check:?}");

    // A taken name: refused, listing it, nothing changed.
    fs::write(dir.join("extra.tf"), "locals {}\n").unwrap();
    fs::write(dir.join("extra.skel"), "locals {}\n").unwrap();
    fs::write(dir.join("more.tf"), "terraform {}\n").unwrap();
    let listing = before();
    let refused = skelc(&dir, &["port", d]).run();
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(refused.stderr.contains("extra.skel"), "{refused:?}");
    assert_eq!(before(), listing);
    assert_eq!(
        fs::read_to_string(dir.join("more.tf")).unwrap(),
        "terraform {}\n"
    );
}

/// Every file under `dir`, relative.
fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    out
}

#[test]
fn a_reference_cycle_labels_the_references_that_make_it() {
    let (_tmp, dir) = project(&[(
        "main.tf",
        "locals {\n  a = local.b + 1\n  b = 2 * local.c\n  c = local.a\n}\n",
    )]);
    let d = dir.to_str().unwrap();
    let out = skelc(&dir, &["check", d, "--format", "json"]).run();
    assert_eq!(out.code, 1, "{out:?}");
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let list = report["diagnostics"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{list:?}");
    let human = skelc(&dir, &["check", d, "--no-color"]).run().stderr;
    // One label under each reference that makes a link: `local.b` on line 2, `local.c` on
    // line 3 and the closing `local.a` on line 4 (the underline sits under the reference).
    for snippet in [
        " 2 │   a = local.b + 1\n   ·   ┬   ───┬───\n   ·   │      ╰── `local.a` refers to `local.b` here\n",
        " 3 │   b = 2 * local.c\n   ·           ───┬───\n   ·              ╰── `local.b` refers to `local.c` here\n",
        " 4 │   c = local.a\n   ·       ───┬───\n   ·          ╰── `local.c` refers to `local.a`, closing the cycle\n",
    ] {
        assert!(human.contains(snippet), "no {snippet:?} in\n{human}");
    }
}
