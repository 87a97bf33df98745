//! `skelc show` (the state in human form and as JSON, a saved plan, a plan the state moved
//! away from) and `skelc console` (variables, locals, resources from state by index and key,
//! functions, errors that do not end the loop, a terminal's prompt), through the real binary.
//! No form of a sensitive value reaches any output.

mod cli_support;

use std::fs;

use cli_support::{project, skelc, Out};
use serde_json::{json, Value};

const SECRET: &str = "s3cr3t-value-9876";

const CONFIG: &str = r#"variable "names" {
  type    = list(string)
  default = ["a", "b"]
}

variable "token" {
  type      = string
  sensitive = true
  default   = "s3cr3t-value-9876"
}

locals {
  prefix = "web"
  full   = "${local.prefix}-${length(var.names)}"
}

resource "null_resource" "counted" {
  count    = 2
  triggers = { index = count.index }
}

resource "null_resource" "each" {
  for_each = toset(var.names)
  triggers = { name = each.key, first = null_resource.counted[0].id }
}

resource "null_resource" "secret" {
  triggers = { token = var.token, plain = "visible" }
}

output "first" {
  value = null_resource.counted[0].id
}

output "token" {
  value     = var.token
  sensitive = true
}
"#;

fn no_secret(what: &str, out: &Out) {
    assert!(
        !out.stdout.contains(SECRET) && !out.stderr.contains(SECRET),
        "{what} printed the sensitive value: {out:?}"
    );
}

fn applied() -> (tempfile::TempDir, std::path::PathBuf) {
    let (tmp, dir) = project(&[("main.skel", CONFIG)]);
    let out = skelc(&dir, &["run", "--auto-approve"]).ok();
    no_secret("run", &out);
    (tmp, dir)
}

#[test]
fn show_prints_the_state_redacted() {
    let (_tmp, empty) = project(&[("main.skel", CONFIG)]);
    let out = skelc(&empty, &["show"]).ok();
    assert!(out.stdout.contains("The state is empty"), "{out:?}");

    let (_tmp, dir) = applied();
    let state = cli_support::state_json(&dir);
    let out = skelc(&dir, &["show"]).ok();
    no_secret("show", &out);
    for addr in state["resources"].as_object().unwrap().keys() {
        assert!(
            out.stdout.contains(&format!("# {addr}:\n")),
            "{addr}: {out:?}"
        );
    }
    let id0 = state["resources"]["null_resource.counted[0]"]["attributes"]["id"]
        .as_str()
        .unwrap();
    assert!(
        out.stdout.contains(&format!(
            "resource \"null_resource\" \"counted\" {{\n    id       = \"{id0}\"\n"
        )),
        "{out:?}"
    );
    assert!(
        out.stdout.contains("\"token\" = (sensitive value)"),
        "{out:?}"
    );
    assert!(out.stdout.contains("\"plain\" = \"visible\""), "{out:?}");
    assert!(out.stdout.contains("\nOutputs:\n\n"), "{out:?}");
    assert!(
        out.stdout.contains(&format!("first = \"{id0}\"")),
        "{out:?}"
    );
    assert!(out.stdout.contains("token = (sensitive value)"), "{out:?}");

    let out = skelc(&dir, &["show", "--json"]).ok();
    no_secret("show --json", &out);
    let doc: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(doc["serial"], state["serial"]);
    let resources = doc["resources"].as_array().unwrap();
    assert_eq!(resources.len(), 5);
    let secret = resources
        .iter()
        .find(|r| r["address"] == "null_resource.secret")
        .unwrap();
    assert_eq!(secret["values"]["triggers"]["token"], "(sensitive value)");
    assert_eq!(secret["values"]["triggers"]["plain"], "visible");
    assert_eq!(
        secret["sensitive_values"],
        json!({"triggers": {"token": true}})
    );
    let each_b = resources
        .iter()
        .find(|r| r["address"] == "null_resource.each[\"b\"]")
        .unwrap();
    assert_eq!(each_b["index"], "b");
    assert_eq!(
        each_b["depends_on"],
        json!(["null_resource.counted[0]", "null_resource.counted[1]"])
    );
    assert_eq!(
        doc["outputs"]["token"],
        json!({"value": "(sensitive value)", "sensitive": true})
    );
    assert_eq!(doc["outputs"]["first"]["value"], json!(id0));
}

#[test]
fn show_renders_a_saved_plan_and_notices_a_moved_state() {
    let (_tmp, dir) = applied();
    fs::write(
        dir.join("main.skel"),
        CONFIG.replace("default = [\"a\", \"b\"]", "default = [\"a\", \"c\"]"),
    )
    .unwrap();
    let plan = skelc(&dir, &["plan", "--out", "next.plan"]).ok();
    let shown = skelc(&dir, &["show", "next.plan"]).ok();
    no_secret("show PLANFILE", &shown);
    assert!(
        shown
            .stdout
            .contains("Plan: 1 to add, 0 to change, 1 to destroy."),
        "{shown:?}"
    );
    // The same rendering as the plan itself (which also printed where it saved it).
    assert!(
        plan.stdout.starts_with(&shown.stdout),
        "{plan:?}\n{shown:?}"
    );
    assert_eq!(shown.stderr, "");
    let json_plan = skelc(&dir, &["plan", "--json"]).ok();
    let json_shown = skelc(&dir, &["show", "--json", "next.plan"]).ok();
    no_secret("show --json PLANFILE", &json_shown);
    let a: Value = serde_json::from_str(&json_plan.stdout).unwrap();
    let b: Value = serde_json::from_str(&json_shown.stdout).unwrap();
    assert_eq!(a["resource_changes"], b["resource_changes"]);

    // The state moves on: the plan is shown with a note that `run` would refuse it.
    skelc(&dir, &["run", "--auto-approve"]).ok();
    let shown = skelc(&dir, &["show", "next.plan"]).ok();
    assert!(
        shown
            .stderr
            .contains("the state changed since this plan was made"),
        "{shown:?}"
    );
    let refused = skelc(&dir, &["run", "next.plan"]).run();
    assert_eq!(refused.code, 1, "{refused:?}");

    fs::write(dir.join("junk.plan"), "not a plan").unwrap();
    let out = skelc(&dir, &["show", "junk.plan"]).run();
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("is not a skel plan file"), "{out:?}");
}

#[test]
fn console_evaluates_against_configuration_and_state() {
    let (_tmp, dir) = applied();
    let state = cli_support::state_json(&dir);
    let id = |addr: &str| {
        state["resources"][addr]["attributes"]["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let lines = [
        "var.names",
        "local.full",
        "null_resource.counted[1].id",
        "null_resource.each[\"b\"].triggers.first",
        "length(null_resource.counted)",
        "upper(local.prefix)",
        "var.token",
        "null_resource.secret.triggers",
        "null_resource.nope",
        "tonumber(var.token)",
        "1 +",
        "{ a = 1, b = [true] }",
        "",
        "max(3, 9, 4)",
    ];
    let out = skelc(&dir, &["console"])
        .stdin(&(lines.join("\n") + "\n"))
        .run();
    no_secret("console", &out);
    assert_eq!(
        out.code, 1,
        "an error line makes the exit status 1: {out:?}"
    );
    let expected = format!(
        "[\n    \"a\",\n    \"b\",\n]\n\"web-2\"\n\"{}\"\n\"{}\"\n2\n\"WEB\"\n(sensitive value)\n{{\n    \"plain\" = \"visible\"\n    \"token\" = (sensitive value)\n}}\n{{\n    \"a\" = 1\n    \"b\" = [\n        true,\n    ]\n}}\n9\n",
        id("null_resource.counted[1]"),
        id("null_resource.counted[0]"),
    );
    assert_eq!(out.stdout, expected, "{out:?}");
    // Three errors, each a diagnostic pointing into the line, and the loop went on.
    assert_eq!(out.stderr.matches("error: ").count(), 3, "{out:?}");
    assert!(out.stderr.contains("\"nope\""), "{out:?}");
    assert!(out.stderr.contains("<console>:1:"), "{out:?}");
    assert!(out.stderr.contains("sensitive"), "{out:?}");

    // Only good lines: exit 0; `exit` ends the loop.
    let out = skelc(&dir, &["console"])
        .stdin("var.names[1]\nexit\nvar.names[0]\n")
        .ok();
    assert_eq!(out.stdout, "\"b\"\n");

    // At a terminal: a prompt for each line.
    let out = skelc(&dir, &["console"]).run_in_terminal("local.prefix\nexit\n");
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.stdout, "\"web\"\n");
    assert!(out.stderr.contains("> "), "{out:?}");

    // Variables from the command line; a configuration error is reported before any line.
    let out = skelc(&dir, &["console", "--var", r#"names=["x"]"#])
        .stdin("var.names\nlocal.full\n")
        .ok();
    assert_eq!(out.stdout, "[\n    \"x\",\n]\n\"web-1\"\n");
    fs::write(
        dir.join("broken.skel"),
        "output \"x\" {\n  value = var.missing\n}\n",
    )
    .unwrap();
    let out = skelc(&dir, &["console"]).stdin("1\n").run();
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(out.stdout, "", "{out:?}");
}
