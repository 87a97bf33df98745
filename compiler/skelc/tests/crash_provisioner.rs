//! The crash suite for provisioners: a `null_resource` with a `remote-exec` provisioner over
//! SSH to a real OpenSSH server on 127.0.0.1 (`scripts/sshd-test`), and a `local_file` with a
//! `local-exec` provisioner, applied by the real `skelc` and killed with SIGKILL at every crash
//! point a clean run passes: before a provisioner starts, while it runs (at each line it
//! prints), after it finished but before the result was journaled. As in Terraform, an object
//! whose creation provisioners did not all finish is tainted: the next run must replace it and
//! run its provisioners to the end, after which the state is clean (nothing tainted), a plan
//! finds no changes, and destroy leaves nothing.

mod crash_support;

use std::path::{Path, PathBuf};
use std::process::Command;

use crash_support::{points, skelc, Tally};

struct Sshd {
    dir: tempfile::TempDir,
    port: u16,
    user: String,
    key: String,
    host_key: String,
}

impl Sshd {
    fn start() -> Sshd {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/sshd-test");
        let dir = tempfile::tempdir().expect("temp dir");
        let out = Command::new("bash")
            .arg(&script)
            .arg("start")
            .arg(dir.path())
            .output()
            .expect("run scripts/sshd-test");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "could not start sshd (scripts/sshd-test installs openssh-server as root): {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let field = |name: &str| -> String {
            stdout
                .lines()
                .find_map(|l| l.strip_prefix(&format!("{name}=")))
                .unwrap_or_else(|| panic!("scripts/sshd-test printed no {name}=: {stdout}"))
                .to_string()
        };
        Sshd {
            port: field("PORT").parse().expect("port"),
            user: field("USER"),
            key: field("KEY"),
            host_key: field("HOST_KEY"),
            dir,
        }
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/sshd-test");
        let _ = Command::new("bash")
            .arg(script)
            .arg("stop")
            .arg(self.dir.path())
            .status();
    }
}

fn config(sshd: &Sshd, marks: &Path) -> String {
    format!(
        r#"
resource "null_resource" "remote" {{
  connection {{
    type        = "ssh"
    host        = "127.0.0.1"
    port        = {port}
    user        = "{user}"
    private_key = file("{key}")
    host_key    = file("{host_key}")
    timeout     = "20s"
  }}

  provisioner "remote-exec" {{
    inline = [
      "echo remote-started >> {marks}",
      "echo first line",
      "echo second line",
      "echo remote-finished >> {marks}",
    ]
  }}
}}

resource "local_file" "f" {{
  filename = "${{path.module}}/out.txt"
  content  = "made by skel\n"

  provisioner "local-exec" {{
    command = "echo local-started >> {marks}; echo working; echo local-finished >> {marks}"
  }}
}}
"#,
        port = sshd.port,
        user = sshd.user,
        key = sshd.key,
        host_key = sshd.host_key,
        marks = marks.display(),
    )
}

fn project(sshd: &Sshd, root: &Path) -> (PathBuf, PathBuf) {
    let _ = std::fs::remove_dir_all(root);
    let dir = root.join("p");
    std::fs::create_dir_all(&dir).expect("dir");
    let marks = root.join("marks.log");
    std::fs::write(dir.join("main.skel"), config(sshd, &marks)).expect("config");
    (dir, marks)
}

#[test]
fn apply_killed_during_provisioners_replaces_the_tainted_object_and_finishes() {
    let sshd = Sshd::start();
    let tmp = tempfile::tempdir().expect("tempdir");
    let env: Vec<(String, String)> = Vec::new();
    let run = ["run", "--auto-approve"];

    let (dir, _) = project(&sshd, &tmp.path().join("clean"));
    let log = tmp.path().join("faults.log");
    let out = skelc(&dir, &env, &run, None, Some(&log));
    assert!(out.ok(), "the clean run failed: {out:?}");
    let all: Vec<_> = points(&std::fs::read_to_string(&log).expect("fault log"))
        .into_iter()
        .filter(|p| p.key.starts_with("provisioner:") || p.key.starts_with("engine:"))
        .collect();
    assert!(
        all.iter()
            .any(|p| p.key == "provisioner:remote-exec output:after"),
        "remote-exec printed nothing? {all:?}"
    );

    let mut tally = Tally::default();
    for point in &all {
        let (dir, marks) = project(&sshd, &tmp.path().join("point"));
        let killed = skelc(&dir, &env, &run, Some(&point.fault()), None);
        if !killed.killed() {
            tally.record(point, Err(format!("not killed there: {killed:?}")));
            continue;
        }
        tally.record(point, check(&dir, &env, &marks));
    }
    tally.assert_all_recovered("provisioners", all.len() as u64);
}

fn check(dir: &Path, env: &[(String, String)], marks: &Path) -> Result<(), String> {
    let again = skelc(dir, env, &["run", "--auto-approve"], None, None);
    if !again.ok() {
        return Err(format!("the next run failed: {again:?}"));
    }
    let state: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("skel.state.json")).map_err(|e| e.to_string())?,
    )
    .map_err(|e| e.to_string())?;
    for addr in ["null_resource.remote", "local_file.f"] {
        let instance = &state["resources"][addr];
        if instance.is_null() {
            return Err(format!("{addr} is not in state after recovery"));
        }
        if instance["status"] == "tainted" {
            return Err(format!("{addr} is still tainted after recovery"));
        }
    }
    // Both provisioners ran to the end last: the final lines of the marks are finishes.
    let text = std::fs::read_to_string(marks).unwrap_or_default();
    for who in ["remote", "local"] {
        let last = text.lines().rfind(|l| l.starts_with(who));
        if last != Some(format!("{who}-finished").as_str()) {
            return Err(format!(
                "the {who} provisioner did not finish last: {text:?}"
            ));
        }
    }
    let plan = skelc(dir, env, &["plan", "--detailed-exitcode"], None, None);
    if plan.code != Some(0) {
        return Err(format!("the plan after recovery is not a no-op: {plan:?}"));
    }
    let destroyed = skelc(dir, env, &["destroy", "--auto-approve"], None, None);
    if !destroyed.ok() || dir.join("out.txt").exists() {
        return Err(format!("destroy after recovery failed: {destroyed:?}"));
    }
    Ok(())
}
