//! What the backend suites (`backend_s3.rs`, `backend_kubernetes.rs`) share: running skelc and
//! reading its outcome, the lock id a refusal names, the configurations their concurrency and
//! crash scenarios apply, and running one command in every working copy at once.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output, Stdio};

pub const SKELC: &str = env!("CARGO_BIN_EXE_skelc");

/// A finished skelc: exit code (-1 when killed by a signal) and its output.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// The outcome of a skelc process; a panic (exit 101) fails the test at once.
pub fn finish(output: Output) -> Run {
    let run = Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert_ne!(run.code, 101, "skelc panicked: {run:?}");
    run
}

/// Start every command at once, then wait for all of them, in order.
pub fn run_all(commands: Vec<Command>) -> Vec<Run> {
    let children: Vec<_> = commands
        .into_iter()
        .map(|mut command| {
            command
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("skelc starts")
        })
        .collect();
    children
        .into_iter()
        .map(|c| finish(c.wait_with_output().expect("skelc ends")))
        .collect()
}

/// The lock id a refusal names (`skelc force-unlock ID`).
pub fn lock_id(stderr: &str) -> String {
    let at = stderr
        .find("skelc force-unlock ")
        .unwrap_or_else(|| panic!("no force-unlock hint in: {stderr}"));
    stderr[at + "skelc force-unlock ".len()..]
        .split(|c: char| c == '`' || c.is_whitespace())
        .next()
        .unwrap()
        .to_string()
}

/// The `run` trigger a plan replaces: the plan renders the old map, then `} -> {`.
pub fn replaced_value(stdout: &str) -> Option<String> {
    let before = &stdout[..stdout.find("} -> {")?];
    let line = before.lines().rev().find(|l| l.contains("\"run\" = "))?;
    let value = line.split("= ").nth(1)?.trim().trim_matches('"');
    Some(value.to_string())
}

/// A run that holds the lock for at least 2 s (its provisioner), far longer than other
/// processes take to start: concurrent runs of it overlap for certain.
pub const GATE: &str = r#"
variable "run" {
  type = string
}

resource "null_resource" "gate" {
  triggers = {
    run = var.run
  }
  provisioner "local-exec" {
    command = "sleep 2"
  }
}
"#;

/// How many files [`files_body`] makes.
pub const FILES: usize = 24;

/// [`FILES`] `local_file`s in `out`: real objects outside skel, for the crash scenarios.
pub fn files_body(out: &Path) -> String {
    format!(
        r#"
resource "local_file" "f" {{
  count    = {FILES}
  filename = "{}/f-${{count.index}}.txt"
  content  = "file ${{count.index}}"
}}
"#,
        out.display()
    )
}
