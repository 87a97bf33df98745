//! Plugins that go wrong, through the real `skelc`: an executable that is not a plugin, one
//! that exits during the handshake, one that speaks only an unsupported protocol version, and
//! one that never completes the handshake (its timeout made short by `SKEL_PLUGIN_TIMEOUT`),
//! each installed from a filesystem mirror. `skelc init` fails when it asks the plugin for its
//! schema, and `plan`/`run` (the schema a fixture, the state taken over from Terraform) fail
//! when they start it: each a clear error naming the provider, exit 1, the state untouched.

mod cli_support;
mod plugin_support;

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use cli_support::{d, project, Out};
use plugin_support::{mirror_rc, script_mirror, skelc_rc};

const SOURCE: &str = "registry.terraform.io/example/broken";

const CONFIG: &str = r#"terraform {
  required_providers {
    broken = {
      source  = "example/broken"
      version = "1.0.0"
    }
  }
}

resource "broken_thing" "a" {
  name = "one"
}
"#;

/// The schema `init` stores for the broken provider when it does not ask the plugin.
const SCHEMA: &str = r#"{
  "name": "broken",
  "resources": {
    "broken_thing": {
      "description": "A thing.",
      "attributes": {
        "id": { "type": "string", "computed": true, "description": "Its id." },
        "name": { "type": "string", "optional": true, "description": "Its name." }
      }
    }
  },
  "data_sources": {}
}
"#;

/// A Terraform state holding one `broken_thing` (Terraform's attributes for it).
const TF_STATE: &str = r#"{
  "version": 4,
  "terraform_version": "1.0.3",
  "serial": 3,
  "lineage": "6a2f4c36-94c1-4d59-9a8f-3d9b7a0d5e21",
  "outputs": {},
  "resources": [
    {
      "mode": "managed",
      "type": "broken_thing",
      "name": "a",
      "provider": "provider[\"registry.terraform.io/example/broken\"]",
      "instances": [
        { "schema_version": 0, "attributes": { "id": "thing-1", "name": "one" } }
      ]
    }
  ]
}
"#;

/// The handshake timeout the tests set, in seconds.
const TIMEOUT: &str = "1";

/// One way to be a bad plugin: its script, and what the error must say about it.
struct Bad {
    name: &'static str,
    script: &'static str,
    says: &'static str,
}

const BAD: &[Bad] = &[
    Bad {
        name: "not a plugin",
        script: "echo 'Usage: broken [options]'\nexit 0",
        says: "not a plugin: the handshake line is 1 fields",
    },
    Bad {
        name: "exits during the handshake",
        script: "echo 'fatal: the credentials file is unreadable' >&2\nexit 3",
        says: "the plugin exited during the handshake (exit status: 3); its stderr ends with:\n  fatal: the credentials file is unreadable",
    },
    Bad {
        name: "unsupported protocol",
        script: "echo '1|4|tcp|127.0.0.1:1|grpc|'\nexec sleep 5",
        says: "the plugin speaks plugin protocol 4, skel speaks 5 and 6",
    },
    Bad {
        name: "hangs in the handshake",
        script: "echo 'thinking...' >&2\nexec sleep 30",
        says: "the plugin did not complete the handshake within 1s; its stderr ends with:\n  thinking...",
    },
];

/// `skelc ARGS` in `dir` with the CLI configuration `rc` and the short handshake timeout.
fn run(dir: &Path, rc: &str, args: &[&str], fixtures: Option<&Path>) -> (Out, Duration) {
    let mut cmd = skelc_rc(dir, rc, args).env("SKEL_PLUGIN_TIMEOUT", TIMEOUT);
    if let Some(fixtures) = fixtures {
        cmd = cmd.env("SKEL_PLUGIN_SCHEMA_FIXTURES", d(fixtures));
    }
    let started = Instant::now();
    let out = cmd.run();
    (out, started.elapsed())
}

/// The error names the provider, says what went wrong, and the command exits 1 in time.
fn assert_clear(bad: &Bad, what: &str, out: &Out, took: Duration) {
    assert_eq!(out.code, 1, "{} / {what}: {out:?}", bad.name);
    assert!(
        out.stderr.contains("broken"),
        "{} / {what}: the provider is not named: {out:?}",
        bad.name
    );
    assert!(
        out.stderr.contains(bad.says),
        "{} / {what}: expected `{}`: {out:?}",
        bad.name,
        bad.says
    );
    assert!(!out.stderr.contains("panicked"), "{out:?}");
    assert!(
        took < Duration::from_secs(20),
        "{} / {what} took {took:?}",
        bad.name
    );
}

#[test]
fn init_fails_clearly_when_the_plugin_cannot_give_its_schema() {
    for bad in BAD {
        let (_tmp, dir) = project(&[("main.tf", CONFIG)]);
        let mirror = dir.join("mirror");
        script_mirror(&mirror, "broken", bad.script);
        let rc = mirror_rc(&dir, &mirror);
        let (out, took) = run(&dir, &rc, &["init"], None);
        assert_clear(bad, "init", &out, took);
        assert!(
            out.stderr
                .contains(&format!("cannot read the schema of provider {SOURCE}")),
            "{}: {out:?}",
            bad.name
        );
        assert!(
            !dir.join(".skel.lock.hcl").exists(),
            "{}: a failed install was locked",
            bad.name
        );
    }
}

/// Needs the engine to run plugins (the plugin `Provider`) for `plan` and `run`; the
/// migration of the plugin's resources before them does not.
#[test]
fn plan_and_run_fail_clearly_with_a_bad_plugin_and_leave_the_state() {
    for bad in BAD {
        let (_tmp, dir) = project(&[("main.tf", CONFIG), ("terraform.tfstate", TF_STATE)]);
        let mirror = dir.join("mirror");
        script_mirror(&mirror, "broken", bad.script);
        let fixtures = dir.join("fixtures");
        fs::create_dir_all(&fixtures).unwrap();
        fs::write(fixtures.join("broken.json"), SCHEMA).unwrap();
        let rc = mirror_rc(&dir, &mirror);
        let (init, _) = run(&dir, &rc, &["init"], Some(&fixtures));
        assert_eq!(init.code, 0, "{}: {init:?}", bad.name);
        let (migrate, _) = run(
            &dir,
            &rc,
            &["state", "migrate", "--from-terraform", "terraform.tfstate"],
            None,
        );
        assert_eq!(migrate.code, 0, "{}: {migrate:?}", bad.name);
        let state = fs::read(dir.join("skel.state.json")).unwrap();
        let migrated: serde_json::Value = serde_json::from_slice(&state).unwrap();
        assert_eq!(
            migrated["resources"]["broken_thing.a"]["attributes"],
            serde_json::json!({"id": "thing-1", "name": "one"})
        );

        let (plan, took) = run(&dir, &rc, &["plan"], None);
        assert_clear(bad, "plan", &plan, took);
        let (apply, took) = run(&dir, &rc, &["run", "-auto-approve"], None);
        assert_clear(bad, "run", &apply, took);
        assert_eq!(
            fs::read(dir.join("skel.state.json")).unwrap(),
            state,
            "{}: the state changed",
            bad.name
        );
    }
}
