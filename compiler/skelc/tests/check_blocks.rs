//! End-to-end tests of `check` blocks and output preconditions through the real `skelc`: a
//! passing and a failing check (one with a scoped `local_file` data source), a check known only
//! after apply, a failing scoped read and a sensitive message: warnings on stderr, never a
//! failed command, the resources applied and in state.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

const SKELC: &str = env!("CARGO_BIN_EXE_skelc");

struct Out {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl std::fmt::Debug for Out {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

fn skelc(dir: &Path, args: &[&str]) -> Out {
    let output = Command::new(SKELC)
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("SKEL_FAULT")
        .stdin(Stdio::null())
        .output()
        .expect("skelc runs");
    let out = Out {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert!(
        !out.stderr.contains("panicked at"),
        "skelc panicked: {out:?}"
    );
    out
}

const CONFIG: &str = r#"
variable "secret" {
  type      = string
  sensitive = true
  default   = "hunter2-very-secret"
}

resource "local_file" "f" {
  filename = "${path.module}/out.txt"
  content  = "hello"
}

resource "null_resource" "n" {}

check "passing" {
  data "local_file" "read" {
    filename = "${path.module}/given.txt"
  }

  assert {
    condition     = data.local_file.read.content == "given"
    error_message = "given.txt says ${data.local_file.read.content}"
  }
}

check "failing" {
  data "local_file" "other" {
    filename = "${path.module}/given.txt"
  }

  assert {
    condition     = data.local_file.other.content == "something else"
    error_message = "given.txt holds ${data.local_file.other.content}"
  }
}

check "after_apply" {
  assert {
    condition     = null_resource.n.id == "never-this"
    error_message = "the null id is not never-this"
  }
}

check "unreadable" {
  data "local_file" "missing" {
    filename = "${path.module}/no-such-file.txt"
  }

  assert {
    condition     = data.local_file.missing.content == ""
    error_message = "never reached"
  }
}

check "secret" {
  assert {
    condition     = var.secret == "other"
    error_message = "the secret is ${var.secret}"
  }
}
"#;

fn setup() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tempdir");
    fs::write(tmp.path().join("main.skel"), CONFIG).unwrap();
    fs::write(tmp.path().join("given.txt"), "given").unwrap();
    tmp
}

fn warnings(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.starts_with("warning[check-failed]:"))
        .collect()
}

#[test]
fn checks_warn_and_never_block() {
    let tmp = setup();
    let dir = tmp.path();

    let check = skelc(dir, &["check"]);
    assert_eq!(check.code, Some(0), "{check:?}");

    let plan = skelc(dir, &["plan", "--detailed-exitcode"]);
    // Changes are pending: 2, as without checks; the failing checks do not change it.
    assert_eq!(plan.code, Some(2), "{plan:?}");
    let w = warnings(&plan.stderr);
    assert!(
        w.contains(&"warning[check-failed]: check.failing: given.txt holds given"),
        "{plan:?}"
    );
    assert!(!plan.stderr.contains("check.passing"), "{plan:?}");
    assert!(
        plan.stderr
            .contains("note: check.after_apply will be checked after apply"),
        "{plan:?}"
    );
    assert!(
        !w.iter().any(|l| l.contains("check.after_apply")),
        "unknown at plan is not a failure: {plan:?}"
    );
    let unreadable: Vec<_> = w
        .iter()
        .filter(|l| l.contains("check.unreadable"))
        .collect();
    assert_eq!(unreadable.len(), 1, "{plan:?}");
    assert!(
        unreadable[0].contains("data.local_file.missing"),
        "{plan:?}"
    );
    assert!(!plan.stderr.contains("never reached"), "{plan:?}");
    // The sensitive value is in no output, in no form.
    for out in [&plan.stdout, &plan.stderr] {
        assert!(!out.contains("hunter2"), "{plan:?}");
    }
    assert!(
        w.iter().any(|l| l
            .starts_with("warning[check-failed]: check.secret: (its error message is not shown")),
        "{plan:?}"
    );
    assert!(plan.stdout.contains("Plan: 2 to add"), "{plan:?}");

    let run = skelc(dir, &["run", "--auto-approve"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(
        run.stdout.contains("Apply complete! Resources: 2 added"),
        "{run:?}"
    );
    // After apply, the check known only then is decided (and fails).
    let after: Vec<&str> = run
        .stderr
        .lines()
        .skip_while(|l| !l.contains("Created"))
        .filter(|l| l.starts_with("warning[check-failed]:"))
        .collect();
    assert!(
        after.contains(&"warning[check-failed]: check.after_apply: the null id is not never-this"),
        "{run:?}"
    );
    assert!(
        after.contains(&"warning[check-failed]: check.failing: given.txt holds given"),
        "{run:?}"
    );
    for out in [&run.stdout, &run.stderr] {
        assert!(!out.contains("hunter2"), "{run:?}");
    }
    assert_eq!(fs::read_to_string(dir.join("out.txt")).unwrap(), "hello");
    let list = skelc(dir, &["state", "list"]);
    assert_eq!(list.code, Some(0), "{list:?}");
    let listed: Vec<&str> = list.stdout.lines().collect();
    assert!(listed.contains(&"local_file.f"), "{list:?}");
    assert!(listed.contains(&"null_resource.n"), "{list:?}");
    // The scoped data sources are read for the checks only.
    assert!(!list.stdout.contains("data.local_file"), "{list:?}");

    let again = skelc(dir, &["plan", "--detailed-exitcode"]);
    assert_eq!(
        again.code,
        Some(0),
        "no changes stays 0 with failing checks: {again:?}"
    );
    assert!(
        warnings(&again.stderr)
            .iter()
            .any(|l| l.starts_with("warning[check-failed]: check.after_apply:")),
        "known now, decided at plan: {again:?}"
    );
}

#[test]
fn scoped_data_is_not_seen_outside_its_check() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(
        tmp.path().join("main.skel"),
        r#"
check "c" {
  data "local_file" "scoped" {
    filename = "/etc/hostname"
  }
  assert {
    condition     = data.local_file.scoped.content != ""
    error_message = "empty"
  }
}

output "o" {
  value = data.local_file.scoped.content
}
"#,
    )
    .unwrap();
    let out = skelc(tmp.path(), &["check"]);
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(
        out.stderr.contains("check-scoped-data") || out.stdout.contains("check-scoped-data"),
        "{out:?}"
    );
}

fn output_config(expected: &str) -> String {
    format!(
        r#"
resource "null_resource" "n" {{}}

resource "local_file" "f" {{
  filename = "${{path.module}}/out.txt"
  content  = "hello"
}}

output "content" {{
  value = local_file.f.content
  precondition {{
    condition     = local_file.f.content == "{expected}"
    error_message = "the content is ${{local_file.f.content}}, not {expected}"
  }}
}}
"#
    )
}

#[test]
fn output_precondition_blocks_plan_with_its_message() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    fs::write(dir.join("main.skel"), output_config("bye")).unwrap();
    let plan = skelc(dir, &["plan"]);
    assert_eq!(plan.code, Some(1), "{plan:?}");
    assert!(
        plan.stderr
            .contains("Output precondition failed: the content is hello, not bye"),
        "{plan:?}"
    );
    assert!(plan.stderr.contains("output.content"), "{plan:?}");
    let run = skelc(dir, &["run", "--auto-approve"]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(!dir.join("out.txt").exists(), "nothing applied: {run:?}");

    fs::write(dir.join("main.skel"), output_config("hello")).unwrap();
    let run = skelc(dir, &["run", "--auto-approve"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stdout.contains("content = \"hello\""), "{run:?}");
}

#[test]
fn output_precondition_known_only_after_apply_blocks_apply() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    fs::write(
        dir.join("main.skel"),
        r#"
resource "null_resource" "n" {}

variable "secret" {
  type      = string
  sensitive = true
  default   = "hunter2-very-secret"
}

output "id" {
  value = null_resource.n.id
  precondition {
    condition     = null_resource.n.id == "never-this"
    error_message = "the id is ${null_resource.n.id}"
  }
}

output "secret_check" {
  value     = "x"
  precondition {
    condition     = var.secret == "other"
    error_message = "the secret is ${var.secret}"
  }
}
"#,
    )
    .unwrap();
    let plan = skelc(dir, &["plan"]);
    assert_eq!(plan.code, Some(1), "{plan:?}");
    // Known at plan: the sensitive one fails, without its message.
    assert!(
        plan.stderr
            .contains("Output precondition failed: (its error message is not shown"),
        "{plan:?}"
    );
    for out in [&plan.stdout, &plan.stderr] {
        assert!(!out.contains("hunter2"), "{plan:?}");
    }
    // Without it, the id's precondition is known only after apply: decided then.
    let text = fs::read_to_string(dir.join("main.skel")).unwrap();
    let cut = text.find("output \"secret_check\"").unwrap();
    fs::write(dir.join("main.skel"), &text[..cut]).unwrap();
    let plan = skelc(dir, &["plan"]);
    assert_eq!(plan.code, Some(0), "{plan:?}");
    let run = skelc(dir, &["run", "--auto-approve"]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(
        run.stderr
            .contains("Output precondition failed: the id is "),
        "{run:?}"
    );
    let list = skelc(dir, &["state", "list"]);
    assert!(
        list.stdout.contains("null_resource.n"),
        "the resource is kept: {list:?}"
    );
}
