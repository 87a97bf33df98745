//! Ephemeral variables through the real `skelc`: given at each run (here the Kubernetes
//! provider's token and a provisioner's environment, against the stand-in), never written to
//! state, its backup, the journal or a saved plan: every file in the directory is searched
//! for every form of the value, after a plan, after applying the saved plan, and while a run
//! killed in the middle left its journal behind. A saved plan names the variable, and
//! `skelc run PLANFILE` needs its value again.

mod leak_support;

use std::fs;
use std::time::{Duration, Instant};

use leak_support::{assert_hidden, project, Runner};

const TOKEN: &str = "eph-T0ken-Zr8Kq3Wm5Vx";

const CONFIG: &str = r#"
variable "host" {
  type = string
}

variable "token" {
  type      = string
  ephemeral = true
}

variable "pause" {
  type    = number
  default = 0
}

provider "kubernetes" {
  host  = var.host
  token = var.token
}

locals {
  auth = "Bearer ${var.token}"
}

resource "kubernetes_config_map" "app" {
  metadata {
    name      = "app"
    namespace = "default"
  }
  data = {
    greeting = "hello"
  }
}

resource "null_resource" "hook" {
  triggers = {
    map = kubernetes_config_map.app.id
  }

  provisioner "local-exec" {
    command = "touch started; sleep ${var.pause}; [ \"$AUTH\" = \"Bearer $EXPECTED_TOKEN\" ] && echo checked > received"
    environment = {
      AUTH = local.auth
    }
  }
}
"#;

fn standin() -> skel_kube_standin::StandIn {
    skel_kube_standin::start_with(skel_kube_standin::Options {
        token: Some(TOKEN.into()),
        ..Default::default()
    })
    .expect("start the stand-in")
}

/// A runner whose environment gives the token (`SKEL_VAR_token`) when `with_token`, and
/// always the value the provisioner compares with (not a skel variable).
fn runner(dir: &std::path::Path, with_token: bool) -> Runner {
    let mut env = vec![("EXPECTED_TOKEN".to_string(), TOKEN.to_string())];
    if with_token {
        env.push(("SKEL_VAR_token".into(), TOKEN.into()));
    }
    Runner {
        dir: dir.to_path_buf(),
        env,
    }
}

#[test]
fn an_ephemeral_variable_is_used_and_never_written() {
    let cluster = standin();
    let (_tmp, dir) = project(CONFIG);
    let host = format!("host={}", cluster.url());
    let r = runner(&dir, true);
    assert_hidden(&r.ok(&["check", "-var", &host]), "check", &[TOKEN]);

    // A saved plan leaves the value out and names the variable.
    let plan = r.ok(&["plan", "-var", &host, "-out", "saved.plan"]);
    assert_hidden(&plan, "plan", &[TOKEN]);
    let saved: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.join("saved.plan")).expect("plan file"))
            .expect("plan JSON");
    assert_eq!(saved["ephemeral_variables"], serde_json::json!(["token"]));
    assert!(saved["variables"].get("token").is_none(), "{saved}");
    assert!(assert_no_file_holds(&dir, &[TOKEN]) >= 2);

    // Applying it needs the value again: without it, nothing happens.
    let without = runner(&dir, false).skelc(&["run", "saved.plan"]);
    assert_eq!(without.code, 1, "{without:?}");
    assert!(without.stderr.contains("SKEL_VAR_token"), "{without:?}");
    assert!(!dir.join("skel.state.json").exists());
    assert!(cluster
        .object("v1", "configmaps", Some("default"), "app")
        .is_none());

    // With it: the provider authenticates with it, the provisioner gets it.
    let run = r.ok(&["run", "saved.plan"]);
    assert!(
        run.all()
            .contains("(output suppressed due to sensitive value in config)"),
        "an ephemeral value is also hidden: {run:?}"
    );
    assert_hidden(&run, "run saved.plan", &[TOKEN]);
    assert!(cluster
        .object("v1", "configmaps", Some("default"), "app")
        .is_some());
    assert_eq!(
        fs::read_to_string(dir.join("received")).expect("the provisioner ran"),
        "checked\n"
    );
    assert!(dir.join("skel.state.json").exists());
    // State, its backup, the plan file, the provisioner's files: none holds the token.
    assert!(assert_no_file_holds(&dir, &[TOKEN]) >= 4);

    // A plain run and a destroy with it given from the command line.
    let token = format!("token={TOKEN}");
    let again = runner(&dir, false).ok(&["run", "--auto-approve", "-var", &host, "-var", &token]);
    assert!(again.stdout.contains("No changes"), "{again:?}");
    let destroy =
        runner(&dir, false).ok(&["destroy", "--auto-approve", "-var", &host, "-var", &token]);
    assert_hidden(&destroy, "destroy", &[TOKEN]);
    assert!(
        dir.join("skel.state.json.backup").exists(),
        "a backup was written"
    );
    assert!(assert_no_file_holds(&dir, &[TOKEN]) >= 5);
}

/// A run killed while a provisioner holding the ephemeral value runs leaves its journal (and
/// state) behind: neither holds the value; the next run recovers with the value given again.
#[test]
fn a_killed_run_leaves_no_ephemeral_value_in_its_journal() {
    let cluster = standin();
    let (_tmp, dir) = project(CONFIG);
    let host = format!("host={}", cluster.url());
    let r = runner(&dir, true);
    let mut child = r
        .command(&["run", "--auto-approve", "-var", &host, "-var", "pause=8"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("skelc starts");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !dir.join("started").exists() {
        assert!(Instant::now() < deadline, "the provisioner never started");
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().expect("kill skelc");
    child.wait().expect("reap skelc");
    let journal = fs::read_to_string(dir.join("skel.state.journal")).expect("a journal is left");
    // It records the run's work (the config map created, its planned values), not the token.
    assert!(journal.contains("kubernetes_config_map.app"), "{journal}");
    assert_no_file_holds(&dir, &[TOKEN]);

    let recovered = r.ok(&["run", "--auto-approve", "-var", &host]);
    assert!(recovered.stderr.contains("interrupted"), "{recovered:?}");
    assert_hidden(&recovered, "run after a kill", &[TOKEN]);
    assert_no_file_holds(&dir, &[TOKEN]);
}

/// An ephemeral value may not reach what is saved: `check` refuses a resource argument or a
/// root output made from one, and nothing is applied.
#[test]
fn an_ephemeral_value_in_a_resource_argument_is_refused() {
    let config = r#"
variable "token" {
  type      = string
  ephemeral = true
}

resource "null_resource" "r" {
  triggers = {
    t = var.token
  }
}

output "t" {
  value = var.token
}
"#;
    let (_tmp, dir) = project(config);
    let r = runner(&dir, true);
    let out = r.skelc(&["check"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(
        out.stdout.matches("ephemeral-value-persisted").count(),
        2,
        "{out:?}"
    );
    assert_hidden(&out, "check", &[TOKEN]);
    let run = r.skelc(&["run", "--auto-approve"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_no_file_holds(&dir, &[TOKEN]);
    assert!(!dir.join("skel.state.json").exists());
}

/// Asserts that no form of `secrets` is in the bytes of any file under `dir`; returns how many
/// files were read.
fn assert_no_file_holds(dir: &std::path::Path, secrets: &[&str]) -> usize {
    let mut n = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let bytes = fs::read(&path).expect("read file");
            n += 1;
            for secret in secrets {
                for form in leak_support::forms(secret) {
                    assert!(
                        !contains(&bytes, form.as_bytes()),
                        "{} holds {form:?} (a form of {secret:?})",
                        path.display()
                    );
                }
            }
        }
    }
    n
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}
