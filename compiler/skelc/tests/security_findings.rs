//! The security findings of issue #12, through the real `skelc`: inputs that used to overflow
//! the stack, abort on allocation or panic are clear errors (or just work), a failed
//! provisioner leaves its resource tainted in state and journal, `local_file` respects the
//! umask, and SSH checks the host against `~/.ssh/known_hosts` (with the real sshd).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SKELC: &str = env!("CARGO_BIN_EXE_skelc");

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

impl std::fmt::Debug for Out {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let cut = |s: &str| s.chars().take(4000).collect::<String>();
        write!(
            f,
            "exit {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code,
            cut(&self.stdout),
            cut(&self.stderr)
        )
    }
}

fn command(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(SKELC);
    cmd.args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::null());
    cmd
}

/// Run; a crash (a signal such as SIGSEGV from a stack overflow or SIGABRT from a failed
/// allocation, or a panic) fails the test.
fn finish(cmd: &mut Command) -> Out {
    let output = cmd.output().expect("skelc runs");
    let out = Out {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert!(
        output.status.code().is_some(),
        "skelc was killed by a signal: {out:?}"
    );
    assert_ne!(out.code, 101, "skelc panicked: {out:?}");
    assert!(
        !out.stderr.contains("panicked at"),
        "skelc panicked: {out:?}"
    );
    assert!(!out.stderr.contains("overflow"), "{out:?}");
    out
}

fn skelc(dir: &Path, args: &[&str]) -> Out {
    finish(&mut command(dir, args))
}

fn ok(dir: &Path, args: &[&str]) -> Out {
    let out = skelc(dir, args);
    assert_eq!(out.code, 0, "skelc {args:?} failed: {out:?}");
    out
}

fn failed(dir: &Path, args: &[&str], needle: &str) -> Out {
    let out = skelc(dir, args);
    assert_eq!(out.code, 1, "skelc {args:?} should fail: {out:?}");
    assert!(
        out.stderr.contains(needle) || out.stdout.contains(needle),
        "expected `{needle}`: {out:?}"
    );
    out
}

fn project(files: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = fs::canonicalize(tmp.path()).expect("canonical tempdir");
    for (name, text) in files {
        fs::write(dir.join(name), text).expect("write");
    }
    (tmp, dir)
}

fn d(dir: &Path) -> &str {
    dir.to_str().expect("utf-8 path")
}

fn state(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&fs::read(dir.join("skel.state.json")).expect("state")).expect("JSON")
}

#[test]
fn a_template_that_renders_itself_is_an_error() {
    let (_tmp, dir) = project(&[
        (
            "main.skel",
            r#"
output "direct" {
  value = templatefile("${path.module}/self.tpl", {})
}
"#,
        ),
        ("self.tpl", r#"again: ${templatefile("self.tpl", {})}"#),
        ("a.tpl", r#"a ${templatefile("b.tpl", {})}"#),
        ("b.tpl", r#"b ${templatefile("a.tpl", {})}"#),
    ]);
    ok(&dir, &["check", d(&dir)]);
    failed(&dir, &["plan", d(&dir)], "renders itself");
    fs::write(
        dir.join("main.skel"),
        r#"
output "indirect" {
  value = templatefile("a.tpl", {})
}
"#,
    )
    .unwrap();
    failed(&dir, &["run", d(&dir), "--auto-approve"], "renders itself");
}

#[test]
fn a_chain_of_ten_thousand_locals_checks_plans_and_runs() {
    // The chain starts at a resource's id, unknown until it is created: the whole chain is
    // evaluated again during the apply. Declared last link first.
    let n = 10_000;
    let mut text = String::from("locals {\n");
    for i in (1..n).rev() {
        text.push_str(&format!("  l{i} = local.l{} + 1\n", i - 1));
    }
    text.push_str(&format!(
        "  l0 = length(null_resource.start.id) * 0 + 1\n}}\n\nresource \"null_resource\" \"start\" {{}}\n\nresource \"null_resource\" \"end\" {{\n  triggers = {{ n = local.l{} }}\n}}\n\noutput \"last\" {{\n  value = local.l{}\n}}\n",
        n - 1,
        n - 1
    ));
    let (_tmp, dir) = project(&[("main.skel", &text)]);
    ok(&dir, &["check", d(&dir)]);
    let plan = ok(&dir, &["plan", d(&dir)]);
    assert!(plan.stdout.contains("null_resource.end"), "{plan:?}");
    ok(&dir, &["run", d(&dir), "--auto-approve"]);
    let out = ok(&dir, &["output", "last", "--dir", d(&dir)]);
    assert_eq!(out.stdout.trim(), "10000");
}

#[test]
fn absurd_instance_counts_are_clear_errors() {
    // A literal: the checker.
    let (_tmp, dir) = project(&[(
        "main.skel",
        "resource \"null_resource\" \"n\" {\n  count = 1000000000\n}\n",
    )]);
    failed(&dir, &["check", d(&dir)], "invalid-count");
    // Computed: the plan, before anything is allocated for the instances.
    let config = r#"
variable "n" {
  type    = number
  default = 1000000000
}

resource "null_resource" "n" {
  count = var.n
}
"#;
    fs::write(dir.join("main.skel"), config).unwrap();
    ok(&dir, &["check", d(&dir)]);
    let started = Instant::now();
    failed(&dir, &["plan", d(&dir)], "100000");
    assert!(started.elapsed() < Duration::from_secs(60));
    // A module call too.
    fs::create_dir_all(dir.join("child")).unwrap();
    fs::write(
        dir.join("child/main.skel"),
        "output \"x\" {\n  value = 1\n}\n",
    )
    .unwrap();
    fs::write(
        dir.join("main.skel"),
        "variable \"n\" {\n  default = 5000000000\n}\n\nmodule \"m\" {\n  source = \"./child\"\n  count  = var.n\n}\n",
    )
    .unwrap();
    failed(&dir, &["plan", d(&dir)], "100000");
    // A for_each of 160,000 elements.
    fs::write(
        dir.join("main.skel"),
        r#"
resource "null_resource" "n" {
  for_each = toset(flatten([for i in range(400) : [for j in range(400) : "${i}-${j}"]]))
}
"#,
    )
    .unwrap();
    failed(&dir, &["plan", d(&dir)], "100000");
    assert!(!dir.join("skel.state.json").exists());
}

#[test]
fn absurd_durations_are_diagnostics_not_panics() {
    let literal = r#"
resource "null_resource" "n" {
  provisioner "remote-exec" {
    inline = ["true"]
    connection {
      host    = "127.0.0.1"
      timeout = "1e20"
    }
  }
}
"#;
    let (_tmp, dir) = project(&[("main.skel", literal)]);
    failed(&dir, &["check", d(&dir)], "invalid-duration");
    // From a variable, the value is only known when the provisioner runs.
    let computed = r#"
variable "timeout" {
  default = "99999999999999999999h"
}

resource "null_resource" "n" {
  provisioner "remote-exec" {
    inline = ["true"]
    connection {
      host    = "127.0.0.1"
      timeout = var.timeout
    }
  }
}
"#;
    fs::write(dir.join("main.skel"), computed).unwrap();
    ok(&dir, &["check", d(&dir)]);
    let out = failed(&dir, &["run", d(&dir), "--auto-approve"], "timeout");
    assert!(out.stderr.contains("720h"), "{out:?}");
    let status = &state(&dir)["resources"]["null_resource.n"]["status"];
    assert_eq!(status, "tainted", "{out:?}");
}

#[test]
fn a_failed_provisioner_leaves_its_resource_tainted() {
    let config = r#"
resource "null_resource" "n" {
  provisioner "local-exec" {
    command = "exit 3"
  }
}
"#;
    let (_tmp, dir) = project(&[("main.skel", config)]);
    failed(&dir, &["run", d(&dir), "--auto-approve"], "status 3");
    assert_eq!(
        state(&dir)["resources"]["null_resource.n"]["status"],
        "tainted"
    );
    assert!(!dir.join("skel.state.journal").exists());
    let plan = ok(&dir, &["plan", d(&dir)]);
    assert!(!plan.stdout.contains("No changes"), "{plan:?}");
    assert!(plan.stdout.contains("tainted"), "{plan:?}");
}

#[test]
fn a_run_killed_during_a_provisioner_recovers_the_resource_tainted() {
    // The state is checkpointed while the provisioner runs (every 2 s); the journal says the
    // object is not complete. Killed then, the next command must not take it for complete.
    let config = r#"
resource "null_resource" "n" {
  provisioner "local-exec" {
    command = "sleep 60"
  }
}

resource "null_resource" "other" {
  triggers = { a = "1" }
  provisioner "local-exec" {
    command = "sleep 5"
  }
}
"#;
    let (_tmp, dir) = project(&[("main.skel", config)]);
    let mut child = command(&dir, &["run", d(&dir), "--auto-approve"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait for a checkpoint that has the object (written once `other` completes).
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let has = fs::read(dir.join("skel.state.json"))
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .is_some_and(|s| s["resources"]["null_resource.n"].is_object());
        if has {
            break;
        }
        assert!(Instant::now() < deadline, "no checkpoint with the object");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        state(&dir)["resources"]["null_resource.n"]["status"],
        "tainted"
    );
    child.kill().unwrap();
    child.wait().unwrap();
    let plan = ok(&dir, &["plan", d(&dir)]);
    assert!(plan.stdout.contains("tainted"), "{plan:?}");
    assert_eq!(
        state(&dir)["resources"]["null_resource.n"]["status"],
        "tainted"
    );
}

#[test]
fn local_files_respect_the_umask_and_sensitive_content_is_private() {
    let config = r#"
resource "local_file" "plain" {
  filename = "${path.module}/out/plain.txt"
  content  = "hello"
}

resource "local_file" "secret" {
  filename          = "${path.module}/private/secret.txt"
  sensitive_content = "s3cr3t"
}
"#;
    let (_tmp, dir) = project(&[("main.skel", config)]);
    let mode = |p: &str| {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(dir.join(p)).unwrap().permissions().mode() & 0o7777
    };
    for (umask, file, directory) in [("022", 0o755, 0o755), ("077", 0o700, 0o700)] {
        let _ = fs::remove_dir_all(dir.join("out"));
        let _ = fs::remove_dir_all(dir.join("private"));
        let _ = fs::remove_file(dir.join("skel.state.json"));
        let _ = fs::remove_file(dir.join("skel.state.json.backup"));
        let with_umask = |args: &[&str]| {
            let script = format!("umask {umask}; exec \"$0\" \"$@\"");
            let mut cmd = Command::new("sh");
            cmd.arg("-c")
                .arg(script)
                .arg(SKELC)
                .args(args)
                .current_dir(&dir)
                .stdin(Stdio::null());
            let out = finish(&mut cmd);
            assert_eq!(out.code, 0, "{out:?}");
            out
        };
        with_umask(&["run", d(&dir), "--auto-approve"]);
        assert_eq!(mode("out/plain.txt"), file, "umask {umask}");
        assert_eq!(mode("out"), directory, "umask {umask}");
        assert_eq!(mode("private/secret.txt"), 0o600, "umask {umask}");
        assert_eq!(mode("private"), 0o700, "umask {umask}");
        let plan = with_umask(&["plan", d(&dir)]);
        assert!(
            plan.stdout.contains("No changes"),
            "umask {umask}: {plan:?}"
        );
    }
}

/// A throwaway sshd from `scripts/sshd-test` (stopped on drop) and what it printed.
struct Sshd {
    dir: tempfile::TempDir,
    fields: std::collections::HashMap<String, String>,
}

impl Sshd {
    fn script() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/sshd-test")
    }

    fn start() -> Sshd {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new("bash")
            .arg(Sshd::script())
            .arg("start")
            .arg(dir.path())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "scripts/sshd-test start failed (apt-get install -y openssh-server as root):\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let fields = stdout
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Sshd { dir, fields }
    }

    fn get(&self, name: &str) -> &str {
        &self.fields[name]
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(Sshd::script())
            .arg("stop")
            .arg(self.dir.path())
            .status();
    }
}

/// The SHA256 fingerprint `ssh-keygen -l` gives a public key file.
fn fingerprint(public_key: &str) -> String {
    let out = Command::new("ssh-keygen")
        .arg("-lf")
        .arg(public_key)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.split_whitespace()
        .find(|w| w.starts_with("SHA256:"))
        .unwrap_or_else(|| panic!("no fingerprint in {text}"))
        .to_string()
}

#[test]
fn ssh_checks_the_host_against_known_hosts() {
    let sshd = Sshd::start();
    let port = sshd.get("PORT");
    let config = format!(
        r#"
variable "n" {{
  default = "1"
}}

resource "null_resource" "r" {{
  triggers = {{ n = var.n }}
  provisioner "remote-exec" {{
    inline = ["echo ran-on-the-host"]
    connection {{
      host        = "127.0.0.1"
      port        = {port}
      user        = "{user}"
      private_key = file("{key}")
      timeout     = "20s"
    }}
  }}
}}
"#,
        user = sshd.get("USER"),
        key = sshd.get("KEY"),
    );
    let (_tmp, dir) = project(&[("main.skel", &config)]);
    let home = tempfile::tempdir().unwrap();
    let run = |n: &str| {
        finish(
            command(
                &dir,
                &["run", d(&dir), "--auto-approve", "-var", &format!("n={n}")],
            )
            .env("HOME", home.path()),
        )
    };
    let host = format!("[127.0.0.1]:{port}");
    let host_fingerprint = fingerprint(sshd.get("HOST_KEY"));

    // Unknown host: accepted, with one warning line naming the host and the key.
    let out = run("1");
    assert_eq!(out.code, 0, "{out:?}");
    let warnings: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.contains("warning:"))
        .collect();
    assert_eq!(warnings.len(), 1, "{out:?}");
    assert!(warnings[0].contains(&host), "{}", warnings[0]);
    assert!(warnings[0].contains(&host_fingerprint), "{}", warnings[0]);
    assert!(out.stderr.contains("ran-on-the-host"), "{out:?}");

    // Known (a plain entry): no warning.
    let ssh_dir = home.path().join(".ssh");
    fs::create_dir_all(&ssh_dir).unwrap();
    let host_key = fs::read_to_string(sshd.get("HOST_KEY")).unwrap();
    let key_fields: Vec<&str> = host_key.split_whitespace().take(2).collect();
    let known_hosts = ssh_dir.join("known_hosts");
    fs::write(
        &known_hosts,
        format!("# a comment\n{host} {}\n", key_fields.join(" ")),
    )
    .unwrap();
    let out = run("2");
    assert_eq!(out.code, 0, "{out:?}");
    assert!(!out.stderr.contains("warning:"), "{out:?}");
    assert!(out.stderr.contains("ran-on-the-host"), "{out:?}");

    // Known through a hashed entry (ssh-keygen -H): no warning either.
    let hashed = Command::new("ssh-keygen")
        .arg("-H")
        .arg("-f")
        .arg(&known_hosts)
        .output()
        .unwrap();
    assert!(hashed.status.success());
    let text = fs::read_to_string(&known_hosts).unwrap();
    assert!(
        text.contains("|1|") && !text.contains("127.0.0.1"),
        "{text}"
    );
    let out = run("3");
    assert_eq!(out.code, 0, "{out:?}");
    assert!(!out.stderr.contains("warning:"), "{out:?}");

    // Another key recorded for the host: refused before anything runs, the resource tainted.
    let other = fs::read_to_string(format!("{}.pub", sshd.get("OTHER_KEY"))).unwrap();
    let other_fields: Vec<&str> = other.split_whitespace().take(2).collect();
    fs::write(&known_hosts, format!("{host} {}\n", other_fields.join(" "))).unwrap();
    let out = run("4");
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("CHANGED"), "{out:?}");
    assert!(out.stderr.contains(&host_fingerprint), "{out:?}");
    assert!(!out.stderr.contains("ran-on-the-host"), "{out:?}");
    assert_eq!(
        state(&dir)["resources"]["null_resource.r"]["status"],
        "tainted"
    );
}
