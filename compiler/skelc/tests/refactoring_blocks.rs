//! End-to-end tests of the refactoring blocks through the real `skelc`: apply a configuration,
//! add `moved` / `removed` blocks, and check that the plan shows exactly the moves and forgets
//! (text, `--json`, `--detailed-exitcode`), that apply rewrites state as one edit (also when
//! killed around it), and that the objects on disk are untouched.

mod moto_support;

use std::fs;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};

use moto_support::Moto;

const SKELC: &str = env!("CARGO_BIN_EXE_skelc");

struct Out {
    code: Option<i32>,
    signal: Option<i32>,
    stdout: String,
    stderr: String,
}

impl std::fmt::Debug for Out {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {:?} signal {:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.signal, self.stdout, self.stderr
        )
    }
}

fn run_with(dir: &Path, args: &[&str], fault: Option<&str>) -> Out {
    let mut cmd = Command::new(SKELC);
    cmd.args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("SKEL_FAULT")
        .env_remove("SKEL_FAULT_LOG")
        .stdin(Stdio::null());
    if let Some(fault) = fault {
        cmd.env("SKEL_FAULT", fault);
    }
    let output = cmd.output().expect("skelc runs");
    let out = Out {
        code: output.status.code(),
        signal: output.status.signal(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert_ne!(out.code, Some(101), "skelc panicked: {out:?}");
    assert!(
        !out.stderr.contains("panicked at"),
        "skelc panicked: {out:?}"
    );
    out
}

fn skelc(dir: &Path, args: &[&str]) -> Out {
    run_with(dir, args, None)
}

fn ok(dir: &Path, args: &[&str]) -> Out {
    let out = skelc(dir, args);
    assert_eq!(out.code, Some(0), "skelc {args:?} failed: {out:?}");
    out
}

fn write(dir: &Path, text: &str) {
    fs::write(dir.join("main.skel"), text).expect("write main.skel");
}

fn state_list(dir: &Path) -> Vec<String> {
    ok(dir, &["state", "list"])
        .stdout
        .lines()
        .map(str::to_string)
        .collect()
}

/// The `# …` headline lines of a plan.
fn headlines(plan: &str) -> Vec<String> {
    plan.lines()
        .filter(|l| l.starts_with("  # ") && !l.starts_with("  # ("))
        .map(|l| l.trim().to_string())
        .collect()
}

const MODULE: &str = r#"
resource "null_resource" "inner" {}
"#;

const BEFORE: &str = r#"
resource "local_file" "a" {
  filename = "${path.module}/a.txt"
  content  = "kept"
}

resource "null_resource" "n" {
  count = 2
}

module "m" {
  source = "./mod"
}
"#;

const AFTER: &str = r#"
resource "local_file" "c" {
  filename = "${path.module}/a.txt"
  content  = "kept"
}

# A chain: a to b, then b to c.
moved {
  from = local_file.a
  to   = local_file.b
}

moved {
  from = local_file.b
  to   = local_file.c
}

resource "null_resource" "n" {
  for_each = toset(["x", "y"])
}

moved {
  from = null_resource.n[0]
  to   = null_resource.n["x"]
}

moved {
  from = null_resource.n[1]
  to   = null_resource.n["y"]
}

module "renamed" {
  source = "./mod"
}

moved {
  from = module.m
  to   = module.renamed
}
"#;

fn applied_before() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tempdir");
    fs::create_dir(tmp.path().join("mod")).unwrap();
    fs::write(tmp.path().join("mod/main.skel"), MODULE).unwrap();
    write(tmp.path(), BEFORE);
    ok(tmp.path(), &["run", "--auto-approve"]);
    assert_eq!(
        state_list(tmp.path()),
        [
            "local_file.a",
            "null_resource.n[0]",
            "null_resource.n[1]",
            "module.m.null_resource.inner",
        ]
    );
    tmp
}

fn ids(dir: &Path) -> Vec<String> {
    let state: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.join("skel.state.json")).unwrap()).unwrap();
    let mut ids: Vec<String> = state["resources"]
        .as_object()
        .unwrap()
        .values()
        .map(|r| r["attributes"]["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

const MOVED_LIST: [&str; 4] = [
    "local_file.c",
    "null_resource.n[\"x\"]",
    "null_resource.n[\"y\"]",
    "module.renamed.null_resource.inner",
];

#[test]
fn moves_are_planned_as_moves_and_nothing_else_then_applied_to_state() {
    let tmp = applied_before();
    let dir = tmp.path();
    let ids_before = ids(dir);
    write(dir, AFTER);
    let plan = skelc(dir, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, Some(2), "moves are changes: {plan:?}");
    assert_eq!(
        headlines(&plan.stdout),
        [
            "# local_file.a has moved to local_file.c",
            "# null_resource.n[0] has moved to null_resource.n[\"x\"]",
            "# null_resource.n[1] has moved to null_resource.n[\"y\"]",
            "# module.m.null_resource.inner has moved to module.renamed.null_resource.inner",
        ],
        "{plan:?}"
    );
    assert!(
        plan.stdout
            .contains("Plan: 0 to add, 0 to change, 0 to destroy.\n"),
        "{plan:?}"
    );
    for absent in ["will be created", "will be destroyed", "must be replaced"] {
        assert!(!plan.stdout.contains(absent), "{absent}: {plan:?}");
    }
    // The JSON plan names the previous address of every moved instance.
    let json: serde_json::Value =
        serde_json::from_str(&ok(dir, &["plan", "--json"]).stdout).unwrap();
    let mut moved: Vec<(String, String, String)> = json["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["previous_address"].as_str().unwrap_or("").to_string(),
                c["address"].as_str().unwrap().to_string(),
                c["action"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    moved.sort();
    assert_eq!(
        moved,
        [
            ("local_file.a".into(), "local_file.c".into(), "no_op".into()),
            (
                "module.m.null_resource.inner".into(),
                "module.renamed.null_resource.inner".into(),
                "no_op".into()
            ),
            (
                "null_resource.n[0]".into(),
                "null_resource.n[\"x\"]".into(),
                "no_op".into()
            ),
            (
                "null_resource.n[1]".into(),
                "null_resource.n[\"y\"]".into(),
                "no_op".into()
            ),
        ]
    );
    let run = ok(dir, &["run", "--auto-approve"]);
    assert!(
        run.stdout
            .contains("Resources: 0 added, 0 changed, 0 destroyed."),
        "{run:?}"
    );
    assert_eq!(state_list(dir), MOVED_LIST);
    // The same objects, under their new addresses.
    assert_eq!(ids(dir), ids_before);
    assert_eq!(fs::read_to_string(dir.join("a.txt")).unwrap(), "kept");
    let again = skelc(dir, &["plan", "--detailed-exitcode"]);
    assert_eq!(again.code, Some(0), "{again:?}");
    assert!(again.stdout.contains("No changes."), "{again:?}");
}

#[test]
fn a_saved_plan_with_moves_applies_exactly_them() {
    let tmp = applied_before();
    let dir = tmp.path();
    write(dir, AFTER);
    ok(dir, &["plan", "--out", "moves.plan"]);
    let run = ok(dir, &["run", "moves.plan"]);
    assert!(run.stdout.contains("has moved to"), "{run:?}");
    assert_eq!(state_list(dir), MOVED_LIST);
}

/// A move is one atomic state edit: killed right before or right after it is written, the
/// next run leaves exactly the moved state and the created object, nothing lost or doubled.
#[test]
fn a_run_killed_around_the_state_edit_recovers() {
    for when in ["before", "after"] {
        let tmp = applied_before();
        let dir = tmp.path();
        let ids_before = ids(dir);
        write(
            dir,
            &format!(
                "{AFTER}\nresource \"local_file\" \"new\" {{\n  filename = \"${{path.module}}/new.txt\"\n  content  = \"n\"\n}}\n"
            ),
        );
        let killed = run_with(
            dir,
            &["run", "--auto-approve"],
            Some(&format!("engine:state-edit:1:{when}")),
        );
        assert_eq!(killed.signal, Some(9), "{when}: {killed:?}");
        assert!(
            !dir.join("new.txt").exists(),
            "{when}: created before the edit"
        );
        let listed = state_list(dir);
        if when == "before" {
            assert_eq!(listed.len(), 4, "{when}: {listed:?}");
            assert!(listed.contains(&"local_file.a".to_string()), "{listed:?}");
        } else {
            assert_eq!(listed, MOVED_LIST, "{when}");
        }
        let again = ok(dir, &["run", "--auto-approve"]);
        assert!(
            again
                .stdout
                .contains("Resources: 1 added, 0 changed, 0 destroyed."),
            "{when}: {again:?}"
        );
        let mut expected: Vec<&str> = MOVED_LIST.to_vec();
        expected.insert(1, "local_file.new");
        assert_eq!(state_list(dir), expected, "{when}");
        let mut ids_now = ids(dir);
        ids_now.retain(|id| ids_before.contains(id));
        assert_eq!(
            ids_now, ids_before,
            "{when}: the moved objects are the same"
        );
        assert_eq!(
            skelc(dir, &["plan", "--detailed-exitcode"]).code,
            Some(0),
            "{when}"
        );
    }
}

#[test]
fn removed_forgets_or_destroys() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write(
        dir,
        r#"
resource "local_file" "keep" {
  filename = "${path.module}/keep.txt"
  content  = "k"
}

resource "local_file" "gone" {
  filename = "${path.module}/gone.txt"
  content  = "g"
}

resource "null_resource" "stay" {}
"#,
    );
    ok(dir, &["run", "--auto-approve"]);
    write(
        dir,
        r#"
removed {
  from = local_file.keep
  lifecycle {
    destroy = false
  }
}

removed {
  from = local_file.gone
  lifecycle {
    destroy = true
  }
}

resource "null_resource" "stay" {}
"#,
    );
    let plan = skelc(dir, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, Some(2), "{plan:?}");
    assert_eq!(
        headlines(&plan.stdout),
        [
            "# local_file.gone will be destroyed",
            "# local_file.keep will no longer be managed by skel",
        ],
        "{plan:?}"
    );
    assert!(
        plan.stdout
            .contains("Plan: 0 to add, 0 to change, 1 to destroy, 1 to forget.\n"),
        "{plan:?}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&ok(dir, &["plan", "--json"]).stdout).unwrap();
    assert_eq!(json["forgotten"], serde_json::json!(["local_file.keep"]));
    ok(dir, &["run", "--auto-approve"]);
    assert_eq!(state_list(dir), ["null_resource.stay"]);
    assert_eq!(fs::read_to_string(dir.join("keep.txt")).unwrap(), "k");
    assert!(!dir.join("gone.txt").exists());
    let again = skelc(dir, &["plan", "--detailed-exitcode"]);
    assert_eq!(again.code, Some(0), "{again:?}");
}

#[test]
fn refactoring_mistakes_stop_the_plan_with_a_diagnostic() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    for (config, code) in [
        (
            "resource \"null_resource\" \"a\" {}\nremoved {\n  from = null_resource.a\n}\n",
            "removed-still-configured",
        ),
        (
            "resource \"null_resource\" \"b\" {}\nmoved {\n  from = \"null_resource.a\"\n  to   = null_resource.b\n}\n",
            "invalid-address",
        ),
    ] {
        write(dir, config);
        let out = skelc(dir, &["plan"]);
        assert_eq!(out.code, Some(1), "{out:?}");
        assert!(out.stderr.contains(&format!("error[{code}]")), "{out:?}");
        assert!(!dir.join("skel.state.json").exists());
    }
}

// ---------------------------------------------------------------------------------------------
// import blocks

const IMPORTS: &str = r#"
locals {
  notes = { x = "ex", y = "why" }
}

resource "local_file" "one" {
  filename = "${path.module}/one.txt"
  content  = "1"
}

resource "local_file" "notes" {
  for_each = local.notes
  filename = "${path.module}/${each.key}.txt"
  content  = each.value
}

import {
  to = local_file.one
  id = "./one.txt"
}

import {
  for_each = local.notes
  to       = local_file.notes[each.key]
  id       = "./${each.key}.txt"
}
"#;

#[test]
fn import_blocks_are_planned_as_imports_then_applied() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    // Objects made outside skel; `y.txt` differs from the configuration.
    fs::write(dir.join("one.txt"), "1").unwrap();
    fs::write(dir.join("x.txt"), "ex").unwrap();
    fs::write(dir.join("y.txt"), "old").unwrap();
    write(dir, IMPORTS);
    let plan = skelc(dir, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, Some(2), "{plan:?}");
    assert_eq!(
        headlines(&plan.stdout),
        [
            "# local_file.notes[\"x\"] will be imported",
            "# local_file.notes[\"y\"] must be replaced",
            "# local_file.one will be imported",
        ],
        "{plan:?}"
    );
    assert!(
        plan.stdout.contains("  # (imported from \"./y.txt\")\n"),
        "{plan:?}"
    );
    assert!(
        plan.stdout
            .contains("Plan: 3 to import, 1 to add, 0 to change, 1 to destroy.\n"),
        "{plan:?}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&ok(dir, &["plan", "--json"]).stdout).unwrap();
    let importing: Vec<String> = json["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["importing"]["id"].as_str().map(str::to_string))
        .collect();
    assert_eq!(importing, ["./x.txt", "./y.txt", "./one.txt"]);
    // Planning read the objects: nothing was written.
    assert!(!dir.join("skel.state.json").exists());
    assert_eq!(fs::read_to_string(dir.join("y.txt")).unwrap(), "old");
    let run = ok(dir, &["run", "--auto-approve"]);
    assert!(
        run.stdout
            .contains("Resources: 3 imported, 1 added, 0 changed, 1 destroyed."),
        "{run:?}"
    );
    assert_eq!(
        state_list(dir),
        [
            "local_file.notes[\"x\"]",
            "local_file.notes[\"y\"]",
            "local_file.one"
        ]
    );
    assert_eq!(fs::read_to_string(dir.join("y.txt")).unwrap(), "why");
    // The blocks stay, their work done: no changes.
    let again = skelc(dir, &["plan", "--detailed-exitcode"]);
    assert_eq!(again.code, Some(0), "{again:?}");
    assert!(again.stdout.contains("No changes."), "{again:?}");
}

#[test]
fn importing_an_id_that_does_not_exist_fails_at_plan() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    fs::write(dir.join("one.txt"), "1").unwrap();
    write(dir, IMPORTS);
    for args in [&["plan"][..], &["run", "--auto-approve"][..]] {
        let out = skelc(dir, args);
        assert_eq!(out.code, Some(1), "{out:?}");
        assert!(out.stderr.contains("cannot import `./x.txt`"), "{out:?}");
        assert!(!dir.join("skel.state.json").exists(), "{out:?}");
        assert!(!dir.join("x.txt").exists());
    }
}

fn skelc_env(dir: &Path, args: &[&str], moto: &Moto) -> Out {
    let output = Command::new(SKELC)
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .envs(moto.env())
        .stdin(Stdio::null())
        .output()
        .expect("skelc runs");
    let out = Out {
        code: output.status.code(),
        signal: output.status.signal(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert_ne!(out.code, Some(101), "skelc panicked: {out:?}");
    out
}

/// A VPC created outside skel (through the AWS API) is imported by an `import` block: the
/// plan shows the import and nothing else, apply records it, and the next plan is empty.
#[test]
fn an_import_block_adopts_a_vpc_made_outside_skel() {
    let moto = Moto::start();
    let vpc_id = moto.ec2(|ec2| async move {
        let vpc = ec2
            .create_vpc()
            .cidr_block("10.42.0.0/16")
            .send()
            .await
            .expect("CreateVpc");
        let id = vpc.vpc().and_then(|v| v.vpc_id()).unwrap().to_string();
        ec2.create_tags()
            .resources(&id)
            .tags(
                aws_sdk_ec2::types::Tag::builder()
                    .key("Name")
                    .value("adopted")
                    .build(),
            )
            .send()
            .await
            .expect("CreateTags");
        id
    });
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write(
        dir,
        &format!(
            r#"
provider "aws" {{
  region = "us-east-1"
}}

resource "aws_vpc" "main" {{
  cidr_block = "10.42.0.0/16"
  tags = {{
    Name = "adopted"
  }}
}}

import {{
  to = aws_vpc.main
  id = "{vpc_id}"
}}
"#
        ),
    );
    let plan = skelc_env(dir, &["plan", "--detailed-exitcode"], &moto);
    assert_eq!(plan.code, Some(2), "{plan:?}");
    assert_eq!(
        headlines(&plan.stdout),
        ["# aws_vpc.main will be imported"],
        "{plan:?}"
    );
    assert!(
        plan.stdout
            .contains("Plan: 1 to import, 0 to add, 0 to change, 0 to destroy.\n"),
        "{plan:?}"
    );
    let run = skelc_env(dir, &["run", "--auto-approve"], &moto);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(
        run.stdout
            .contains("Resources: 1 imported, 0 added, 0 changed, 0 destroyed."),
        "{run:?}"
    );
    let list = skelc_env(dir, &["state", "list"], &moto);
    assert_eq!(list.stdout.trim(), "aws_vpc.main", "{list:?}");
    let state = fs::read_to_string(dir.join("skel.state.json")).unwrap();
    assert!(state.contains(&vpc_id), "{state}");
    let again = skelc_env(dir, &["plan", "--detailed-exitcode"], &moto);
    assert_eq!(again.code, Some(0), "{again:?}");
    // Still one VPC with that CIDR: nothing was created.
    let count = moto.ec2(|ec2| async move {
        ec2.describe_vpcs()
            .send()
            .await
            .expect("DescribeVpcs")
            .vpcs()
            .iter()
            .filter(|v| v.cidr_block() == Some("10.42.0.0/16"))
            .count()
    });
    assert_eq!(count, 1);
    // An id no VPC has fails at plan, with nothing written.
    let tmp2 = tempfile::tempdir().unwrap();
    write(
        tmp2.path(),
        "resource \"aws_vpc\" \"main\" {\n  cidr_block = \"10.9.0.0/16\"\n}\nimport {\n  to = aws_vpc.main\n  id = \"vpc-0000000000000dead\"\n}\n",
    );
    let missing = skelc_env(tmp2.path(), &["plan"], &moto);
    assert_eq!(missing.code, Some(1), "{missing:?}");
    assert!(
        missing
            .stderr
            .contains("cannot import `vpc-0000000000000dead`"),
        "{missing:?}"
    );
    assert!(!tmp2.path().join("skel.state.json").exists());
}

// ---------------------------------------------------------------------------------------------
// -target and -replace

const TARGETED: &str = r#"
resource "null_resource" "base" {}

resource "null_resource" "app" {
  triggers = { base = null_resource.base.id }
}

resource "null_resource" "other" {
  count = 2
}
"#;

#[test]
fn target_plans_the_targets_and_what_they_depend_on() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write(dir, TARGETED);
    let plan = skelc(
        dir,
        &[
            "plan",
            "-target",
            "null_resource.app",
            "--detailed-exitcode",
        ],
    );
    assert_eq!(plan.code, Some(2), "{plan:?}");
    assert_eq!(
        headlines(&plan.stdout),
        [
            "# null_resource.app will be created",
            "# null_resource.base will be created"
        ],
        "{plan:?}"
    );
    assert!(
        plan.stderr
            .contains("warning: resource targeting is in effect"),
        "{plan:?}"
    );
    // Both spellings, repeatable; an instance key selects one instance.
    let run = ok(
        dir,
        &[
            "run",
            "--target=null_resource.app",
            "-target",
            "null_resource.other[1]",
            "--auto-approve",
        ],
    );
    assert!(
        run.stdout
            .contains("Resources: 3 added, 0 changed, 0 destroyed."),
        "{run:?}"
    );
    assert_eq!(
        state_list(dir),
        [
            "null_resource.app",
            "null_resource.base",
            "null_resource.other[1]"
        ]
    );
    // The rest is planned once no target narrows the plan.
    let rest = skelc(dir, &["plan"]);
    assert_eq!(
        headlines(&rest.stdout),
        ["# null_resource.other[0] will be created"],
        "{rest:?}"
    );
    // A destroy targets what depends on the target too.
    let destroy = ok(
        dir,
        &["destroy", "-target", "null_resource.base", "-auto-approve"],
    );
    assert!(
        destroy
            .stdout
            .contains("Destroy complete! Resources: 2 destroyed."),
        "{destroy:?}"
    );
    assert_eq!(state_list(dir), ["null_resource.other[1]"]);
    for bad in ["\"x\"", "data.local_file.x", "var.x"] {
        let out = skelc(dir, &["plan", "-target", bad]);
        assert_eq!(out.code, Some(1), "{bad}: {out:?}");
        assert!(
            out.stderr
                .contains("is not a resource, instance or module address"),
            "{out:?}"
        );
    }
}

#[test]
fn replace_forces_a_replacement_of_one_instance() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write(dir, TARGETED);
    ok(dir, &["run", "--auto-approve"]);
    let ids_before = ids(dir);
    let plan = skelc(
        dir,
        &[
            "plan",
            "-replace",
            "null_resource.other[1]",
            "--detailed-exitcode",
        ],
    );
    assert_eq!(plan.code, Some(2), "{plan:?}");
    assert_eq!(
        headlines(&plan.stdout),
        ["# null_resource.other[1] must be replaced"],
        "{plan:?}"
    );
    assert!(
        plan.stdout.contains("replace requested with -replace"),
        "{plan:?}"
    );
    ok(
        dir,
        &[
            "plan",
            "--replace=null_resource.other[1]",
            "--out",
            "r.plan",
        ],
    );
    let run = ok(dir, &["run", "r.plan"]);
    assert!(
        run.stdout
            .contains("Resources: 1 added, 0 changed, 1 destroyed."),
        "{run:?}"
    );
    let ids_after = ids(dir);
    assert_eq!(
        ids_after
            .iter()
            .filter(|id| !ids_before.contains(id))
            .count(),
        1,
        "exactly one new object"
    );
    for bad in ["null_resource.nope", "null_resource.other[7]"] {
        let out = skelc(dir, &["plan", "-replace", bad]);
        assert_eq!(out.code, Some(1), "{bad}: {out:?}");
        assert!(out.stderr.contains("-replace:"), "{out:?}");
    }
    let out = skelc(dir, &["run", "r.plan", "-target", "null_resource.app"]);
    assert_eq!(out.code, Some(1), "{out:?}");
}

// ---------------------------------------------------------------------------------------------
// precondition / postcondition

#[test]
fn failed_conditions_block_the_plan_with_their_message() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write(
        dir,
        r#"
variable "n" {
  type    = number
  default = 1
}

resource "local_file" "f" {
  count    = 2
  filename = "${path.module}/f${count.index}.txt"
  content  = tostring(var.n)

  lifecycle {
    precondition {
      condition     = var.n < 5
      error_message = "n must be below 5, got ${var.n}"
    }
    postcondition {
      condition     = self.content != "3"
      error_message = "three is not allowed"
    }
  }
}

data "local_file" "read" {
  filename = local_file.f[0].filename

  lifecycle {
    postcondition {
      condition     = self.content == "1"
      error_message = "the file must hold 1"
    }
  }
}
"#,
    );
    let pre = skelc(dir, &["run", "-var", "n=7", "--auto-approve"]);
    assert_eq!(pre.code, Some(1), "{pre:?}");
    assert!(
        pre.stderr
            .contains("local_file.f[0]: Resource precondition failed: n must be below 5, got 7"),
        "{pre:?}"
    );
    let post = skelc(dir, &["plan", "-var", "n=3"]);
    assert_eq!(post.code, Some(1), "{post:?}");
    assert!(
        post.stderr
            .contains("Resource postcondition failed: three is not allowed"),
        "{post:?}"
    );
    assert!(!dir.join("f0.txt").exists());
    assert!(!dir.join("skel.state.json").exists());
    ok(dir, &["run", "--auto-approve"]);
    assert_eq!(fs::read_to_string(dir.join("f0.txt")).unwrap(), "1");
    // The data source is read at plan time now: its postcondition is checked then.
    fs::write(dir.join("f0.txt"), "changed").unwrap();
    let data = skelc(dir, &["plan", "--no-refresh"]);
    assert_eq!(data.code, Some(1), "{data:?}");
    assert!(
        data.stderr
            .contains("data.local_file.read: Resource postcondition failed: the file must hold 1"),
        "{data:?}"
    );
}

/// A postcondition that reads a value known only after apply is decided after apply: the plan
/// passes, the run fails with the message once the object exists (it stays in state, and what
/// depends on it is not created), and a true one lets the run through.
#[test]
fn postconditions_known_only_after_apply_are_checked_after_apply() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let config = |length: usize| {
        format!(
            r#"
resource "random_id" "r" {{
  byte_length = 4

  lifecycle {{
    postcondition {{
      condition     = length(self.hex) == {length}
      error_message = "the id must have {length} hex digits"
    }}
  }}
}}

resource "local_file" "after" {{
  filename = "${{path.module}}/after.txt"
  content  = random_id.r.hex
}}
"#
        )
    };
    write(dir, &config(9));
    let plan = skelc(dir, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, Some(2), "undecided at plan: {plan:?}");
    let run = skelc(dir, &["run", "--auto-approve"]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(
        run.stderr
            .contains("random_id.r: Resource postcondition failed: the id must have 9 hex digits"),
        "{run:?}"
    );
    assert!(!dir.join("after.txt").exists(), "a dependent was created");
    let state = fs::read_to_string(dir.join("skel.state.json")).expect("state");
    assert!(state.contains("random_id.r"), "the object stays in state");
    write(dir, &config(8));
    ok(dir, &["run", "--auto-approve"]);
    assert_eq!(fs::read_to_string(dir.join("after.txt")).unwrap().len(), 8);
}

/// A `moved` block whose `to` is declared nowhere (an old block kept by a published module) is
/// a warning, as Terraform accepts it: the object moves there and, declared nowhere, is destroyed.
#[test]
fn a_move_to_an_undeclared_address_warns_and_destroys_it_there() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write(dir, "resource \"null_resource\" \"a\" {}\n");
    ok(dir, &["run", "--auto-approve"]);
    write(
        dir,
        "moved {\n  from = null_resource.a\n  to   = null_resource.b\n}\n",
    );
    let check = ok(dir, &["check"]);
    assert!(
        check.stderr.contains("warning[moved-target-missing]"),
        "{check:?}"
    );
    let plan = skelc(dir, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, Some(2), "{plan:?}");
    assert!(
        plan.stdout.contains("# null_resource.b will be destroyed")
            && plan.stdout.contains("(moved from null_resource.a)")
            && plan.stdout.contains("0 to add, 0 to change, 1 to destroy"),
        "{plan:?}"
    );
    ok(dir, &["run", "--auto-approve"]);
    let list = ok(dir, &["state", "list"]);
    assert_eq!(list.stdout.trim(), "", "{list:?}");
}
