//! State and plan encryption through the real `skelc`: a round trip with nothing in the clear on
//! disk (state, backup, journal, saved plan), key rotation, migration from and back to plain
//! state, and a wrong passphrase, a missing key and tampered files refused with exit 1, the file
//! named and nothing written.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SKELC: &str = env!("CARGO_BIN_EXE_skelc");
const PASSPHRASE: &str = "correct-horse-battery-staple-42";
const OTHER_PASSPHRASE: &str = "a-different-passphrase-for-rotation";
/// A non-sensitive attribute value: it must not be readable on disk either.
const MARKER: &str = "plain-marker-7f3a9c";

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Out {
    fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

impl std::fmt::Debug for Out {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

fn command(dir: &Path, args: &[&str], passphrase: Option<&str>) -> Command {
    let mut cmd = Command::new(SKELC);
    cmd.args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("RUST_BACKTRACE")
        .env_remove("SKEL_VAR_passphrase")
        .stdin(Stdio::null());
    if let Some(p) = passphrase {
        cmd.env("SKEL_VAR_passphrase", p);
    }
    cmd
}

/// Run `skelc ARGS` in `dir`; no output ever holds the passphrase.
fn skelc(dir: &Path, args: &[&str], passphrase: Option<&str>) -> Out {
    let output = command(dir, args, passphrase).output().expect("skelc runs");
    let out = Out {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert_ne!(out.code, 101, "skelc panicked: {out:?}");
    assert!(
        !out.stderr.contains("panicked at"),
        "skelc panicked: {out:?}"
    );
    for secret in [PASSPHRASE, OTHER_PASSPHRASE] {
        assert!(
            !out.all().contains(secret),
            "a passphrase was printed: {out:?}"
        );
    }
    out
}

fn ok(dir: &Path, args: &[&str], passphrase: Option<&str>) -> Out {
    let out = skelc(dir, args, passphrase);
    assert_eq!(out.code, 0, "skelc {args:?} failed: {out:?}");
    out
}

/// A failure: exit 1, and the message names `file`.
fn refused(dir: &Path, args: &[&str], passphrase: Option<&str>, file: &str) -> Out {
    let out = skelc(dir, args, passphrase);
    assert_eq!(out.code, 1, "skelc {args:?} should fail: {out:?}");
    assert!(out.stderr.contains(file), "the error names {file}: {out:?}");
    out
}

const VARIABLE: &str = r#"
variable "passphrase" {
  type      = string
  sensitive = true
}
"#;

fn resources(generation: u32) -> String {
    format!(
        r#"
resource "null_resource" "n" {{
  triggers = {{ token = "{MARKER}", generation = "{generation}" }}
}}

resource "random_password" "pw" {{
  length = 24
}}

output "marker" {{
  value = null_resource.n.triggers.token
}}

output "pw" {{
  value     = random_password.pw.result
  sensitive = true
}}
"#
    )
}

/// `skel { encryption }` with pbkdf2 provider `name`, and `fallback` (a method block and its
/// reference) for the state.
fn encryption(name: &str, extra: &str, state_fallback: Option<&str>, plan: bool) -> String {
    let fallback = state_fallback
        .map(|m| format!("fallback {{\n        method = {m}\n      }}"))
        .unwrap_or_default();
    let plan = if plan {
        format!("plan {{\n      method = method.aes_gcm.{name}\n    }}")
    } else {
        String::new()
    };
    format!(
        r#"
skel {{
  encryption {{
    key_provider "pbkdf2" "{name}" {{
      passphrase = var.passphrase
    }}
    method "aes_gcm" "{name}" {{
      keys = key_provider.pbkdf2.{name}
    }}
    {extra}
    state {{
      method = method.aes_gcm.{name}
      {fallback}
    }}
    {plan}
  }}
}}
"#
    )
}

fn project(config: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = fs::canonicalize(tmp.path()).expect("canonical tempdir");
    fs::write(dir.join("main.skel"), config).expect("write main.skel");
    (tmp, dir)
}

fn d(dir: &Path) -> &str {
    dir.to_str().expect("utf-8 path")
}

fn state(dir: &Path) -> Vec<u8> {
    fs::read(dir.join("skel.state.json")).expect("state file")
}

fn envelope(bytes: &[u8]) -> serde_json::Value {
    let value: serde_json::Value = serde_json::from_slice(bytes).expect("JSON");
    assert_eq!(value["encryption_version"], "v0", "{value}");
    assert!(value["encrypted_data"].is_string(), "{value}");
    value
}

fn key_provider_of(bytes: &[u8]) -> String {
    envelope(bytes)["meta"]
        .as_object()
        .and_then(|m| m.keys().next().cloned())
        .expect("a key provider in meta")
}

/// Every file in `dir` but the configuration: none holds any of `secrets`.
fn assert_nothing_in_clear(dir: &Path, secrets: &[&str]) {
    let mut seen = 0;
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|x| x == "skel") || path.is_dir() {
            continue;
        }
        seen += 1;
        let text = String::from_utf8_lossy(&fs::read(&path).unwrap()).into_owned();
        for secret in secrets {
            assert!(
                !text.contains(secret),
                "{} holds `{secret}` in the clear:\n{text}",
                path.display()
            );
        }
        assert!(
            !text.contains("null_resource"),
            "{} names addresses:\n{text}",
            path.display()
        );
    }
    assert!(seen > 0, "no files were checked in {}", dir.display());
}

#[test]
fn round_trip_with_nothing_in_the_clear() {
    let config = format!(
        "{VARIABLE}{}{}",
        resources(1),
        encryption("main", "", None, true)
    );
    let (_tmp, dir) = project(&config);
    ok(&dir, &["check", d(&dir)], Some(PASSPHRASE));
    ok(&dir, &["run", d(&dir), "--auto-approve"], Some(PASSPHRASE));
    assert_eq!(key_provider_of(&state(&dir)), "key_provider.pbkdf2.main");
    let mode = {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(dir.join("skel.state.json"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode, 0o600);

    // Read back: plan no-op, outputs, state commands.
    let plan = ok(&dir, &["plan", d(&dir)], Some(PASSPHRASE));
    assert!(plan.stdout.contains("No changes"), "{plan:?}");
    let marker = ok(
        &dir,
        &["output", "marker", "--dir", d(&dir)],
        Some(PASSPHRASE),
    );
    assert_eq!(marker.stdout.trim(), MARKER);
    let pw = ok(
        &dir,
        &["output", "--raw", "pw", "--dir", d(&dir)],
        Some(PASSPHRASE),
    );
    let password = pw.stdout.trim().to_string();
    assert_eq!(password.len(), 24, "{pw:?}");
    let list = ok(&dir, &["state", "list", "--dir", d(&dir)], Some(PASSPHRASE));
    assert!(list.stdout.contains("null_resource.n"), "{list:?}");

    // A change writes a new state and a backup, both sealed.
    fs::write(
        dir.join("main.skel"),
        format!(
            "{VARIABLE}{}{}",
            resources(2),
            encryption("main", "", None, true)
        ),
    )
    .unwrap();
    ok(
        &dir,
        &["plan", d(&dir), "-out", "change.plan"],
        Some(PASSPHRASE),
    );
    let saved = fs::read(dir.join("change.plan")).unwrap();
    assert_eq!(key_provider_of(&saved), "key_provider.pbkdf2.main");
    assert_eq!(envelope(&saved)["root"], d(&dir));
    ok(&dir, &["run", "change.plan"], Some(PASSPHRASE));
    assert!(dir.join("skel.state.json.backup").exists());
    key_provider_of(&fs::read(dir.join("skel.state.json.backup")).unwrap());
    // Every file has its own PBKDF2 salt.
    let salt = |name: &str| {
        envelope(&fs::read(dir.join(name)).unwrap())["meta"]["key_provider.pbkdf2.main"]["salt"]
            .as_str()
            .expect("a salt")
            .to_string()
    };
    let salts: std::collections::BTreeSet<String> =
        ["skel.state.json", "skel.state.json.backup", "change.plan"]
            .into_iter()
            .map(salt)
            .collect();
    assert_eq!(salts.len(), 3, "{salts:?}");
    assert_nothing_in_clear(&dir, &[MARKER, &password, PASSPHRASE, "generation"]);
    let plan = ok(&dir, &["plan", d(&dir)], Some(PASSPHRASE));
    assert!(plan.stdout.contains("No changes"), "{plan:?}");
}

#[test]
fn the_journal_is_sealed_and_recovered() {
    // A provisioner keeps the run in flight: its journal is read while it runs, then the run is
    // killed and the next command recovers from the sealed journal.
    let config = format!(
        r#"{VARIABLE}{}
resource "null_resource" "slow" {{
  triggers = {{ token = "{MARKER}-slow" }}
  provisioner "local-exec" {{
    command = "sleep 30"
  }}
}}
{}"#,
        resources(1),
        encryption("main", "", None, false)
    );
    let (_tmp, dir) = project(&config);
    let mut child = command(&dir, &["run", d(&dir), "--auto-approve"], Some(PASSPHRASE))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let journal = dir.join("skel.state.journal");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let lines = fs::read_to_string(&journal)
            .map(|t| t.lines().count())
            .unwrap_or(0);
        if lines >= 4 {
            break;
        }
        assert!(Instant::now() < deadline, "the journal never grew");
        std::thread::sleep(Duration::from_millis(100));
    }
    let text = fs::read_to_string(&journal).unwrap();
    for line in text.lines() {
        assert_eq!(key_provider_of(line.as_bytes()), "key_provider.pbkdf2.main");
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert_nothing_in_clear(&dir, &[MARKER, PASSPHRASE]);
    // The next command reads the sealed journal and recovers.
    let plan = ok(&dir, &["plan", d(&dir)], Some(PASSPHRASE));
    assert!(plan.stderr.contains("interrupted"), "{plan:?}");
    assert!(!journal.exists());
    assert_nothing_in_clear(&dir, &[MARKER, PASSPHRASE]);
}

#[test]
fn wrong_or_missing_keys_and_tampering_are_refused() {
    let config = format!(
        "{VARIABLE}{}{}",
        resources(1),
        encryption("main", "", None, false)
    );
    let (_tmp, dir) = project(&config);
    ok(&dir, &["run", d(&dir), "--auto-approve"], Some(PASSPHRASE));
    let good = state(&dir);
    let files = || {
        let mut names: Vec<String> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let before = files();
    let untouched = |expected: &[u8]| {
        assert_eq!(state(&dir), expected, "the state file changed");
        assert_eq!(files(), before, "files were added or removed");
    };

    let out = refused(
        &dir,
        &["plan", d(&dir)],
        Some("not-the-right-passphrase"),
        "skel.state.json",
    );
    assert!(out.stderr.contains("wrong passphrase"), "{out:?}");
    refused(
        &dir,
        &["run", d(&dir), "--auto-approve"],
        Some("not-the-right-passphrase"),
        "skel.state.json",
    );
    refused(
        &dir,
        &["output", "--dir", d(&dir)],
        Some("not-the-right-passphrase"),
        "skel.state.json",
    );
    untouched(&good);

    // No passphrase at all.
    let out = skelc(&dir, &["plan", d(&dir)], None);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("passphrase"), "{out:?}");
    untouched(&good);

    // A flipped byte in the ciphertext, then in the header, then a truncated file.
    let mut value = envelope(&good);
    let data = value["encrypted_data"].as_str().unwrap().to_string();
    let middle = data.len() / 2;
    let flipped_char = if &data[middle..=middle] == "A" {
        "B"
    } else {
        "A"
    };
    value["encrypted_data"] =
        format!("{}{flipped_char}{}", &data[..middle], &data[middle + 1..]).into();
    let damaged = serde_json::to_vec(&value).unwrap();
    fs::write(dir.join("skel.state.json"), &damaged).unwrap();
    let out = refused(
        &dir,
        &["plan", d(&dir)],
        Some(PASSPHRASE),
        "skel.state.json",
    );
    assert!(out.stderr.contains("authentication failed"), "{out:?}");
    refused(
        &dir,
        &["run", d(&dir), "--auto-approve"],
        Some(PASSPHRASE),
        "skel.state.json",
    );
    untouched(&damaged);

    let mut value = envelope(&good);
    value["meta"]["key_provider.pbkdf2.main"]["iterations"] = 600_001.into();
    let damaged = serde_json::to_vec(&value).unwrap();
    fs::write(dir.join("skel.state.json"), &damaged).unwrap();
    refused(
        &dir,
        &["plan", d(&dir)],
        Some(PASSPHRASE),
        "skel.state.json",
    );
    untouched(&damaged);

    let truncated = good[..good.len() / 2].to_vec();
    fs::write(dir.join("skel.state.json"), &truncated).unwrap();
    refused(
        &dir,
        &["plan", d(&dir)],
        Some(PASSPHRASE),
        "skel.state.json",
    );
    untouched(&truncated);

    // The configuration without its encryption block cannot read the sealed state.
    fs::write(dir.join("skel.state.json"), &good).unwrap();
    fs::write(dir.join("main.skel"), format!("{VARIABLE}{}", resources(1))).unwrap();
    let out = refused(
        &dir,
        &["plan", d(&dir)],
        Some(PASSPHRASE),
        "skel.state.json",
    );
    assert!(out.stderr.contains("encrypted"), "{out:?}");
    untouched(&good);
}

#[test]
fn rotation_and_migration_both_ways() {
    // Plain state first.
    let (_tmp, dir) = project(&format!("{VARIABLE}{}", resources(1)));
    ok(&dir, &["run", d(&dir), "--auto-approve"], Some(PASSPHRASE));
    assert!(String::from_utf8_lossy(&state(&dir)).contains(MARKER));
    let plain = state(&dir);

    // Encryption without a fallback refuses the plain state, and says how to migrate.
    fs::write(
        dir.join("main.skel"),
        format!(
            "{VARIABLE}{}{}",
            resources(1),
            encryption("old", "", None, false)
        ),
    )
    .unwrap();
    let out = refused(
        &dir,
        &["plan", d(&dir)],
        Some(PASSPHRASE),
        "skel.state.json",
    );
    assert!(out.stderr.contains("method.unencrypted"), "{out:?}");
    assert_eq!(state(&dir), plain);

    // With the unencrypted fallback, a run re-writes it sealed (no resource changes needed),
    // backup included.
    let migrate = r#"method "unencrypted" "migrate" {}"#;
    fs::write(
        dir.join("main.skel"),
        format!(
            "{VARIABLE}{}{}",
            resources(1),
            encryption("old", migrate, Some("method.unencrypted.migrate"), false)
        ),
    )
    .unwrap();
    ok(&dir, &["run", d(&dir), "--auto-approve"], Some(PASSPHRASE));
    assert_eq!(key_provider_of(&state(&dir)), "key_provider.pbkdf2.old");
    assert_nothing_in_clear(&dir, &[MARKER, PASSPHRASE]);

    // Rotation: a new key provider (and passphrase), the old one as fallback.
    let old_provider = format!(
        r#"key_provider "pbkdf2" "old" {{
      passphrase = "{PASSPHRASE}"
    }}
    method "aes_gcm" "old" {{
      keys = key_provider.pbkdf2.old
    }}"#
    );
    fs::write(
        dir.join("main.skel"),
        format!(
            "{VARIABLE}{}{}",
            resources(1),
            encryption("new", &old_provider, Some("method.aes_gcm.old"), false)
        ),
    )
    .unwrap();
    ok(
        &dir,
        &["run", d(&dir), "--auto-approve"],
        Some(OTHER_PASSPHRASE),
    );
    assert_eq!(key_provider_of(&state(&dir)), "key_provider.pbkdf2.new");
    // The old key is no longer needed.
    fs::write(
        dir.join("main.skel"),
        format!(
            "{VARIABLE}{}{}",
            resources(1),
            encryption("new", "", None, false)
        ),
    )
    .unwrap();
    let plan = ok(&dir, &["plan", d(&dir)], Some(OTHER_PASSPHRASE));
    assert!(plan.stdout.contains("No changes"), "{plan:?}");

    // And back to plain: the unencrypted method, the key as fallback.
    let back = r#"
skel {
  encryption {
    key_provider "pbkdf2" "new" {
      passphrase = var.passphrase
    }
    method "aes_gcm" "new" {
      keys = key_provider.pbkdf2.new
    }
    method "unencrypted" "plain" {}
    state {
      method = method.unencrypted.plain
      fallback {
        method = method.aes_gcm.new
      }
    }
  }
}
"#;
    fs::write(
        dir.join("main.skel"),
        format!("{VARIABLE}{}{back}", resources(1)),
    )
    .unwrap();
    ok(
        &dir,
        &["run", d(&dir), "--auto-approve"],
        Some(OTHER_PASSPHRASE),
    );
    let text = String::from_utf8(state(&dir)).unwrap();
    assert!(
        text.contains(MARKER) && text.contains("\"serial\""),
        "{text}"
    );
    // Without any encryption block now.
    fs::write(dir.join("main.skel"), format!("{VARIABLE}{}", resources(1))).unwrap();
    let plan = ok(
        &dir,
        &["plan", d(&dir), "-var", "passphrase=unused-now-xxxxxxxx"],
        None,
    );
    assert!(plan.stdout.contains("No changes"), "{plan:?}");
}

#[test]
fn saved_plans_are_sealed_and_need_the_key_again() {
    let config = format!(
        "{VARIABLE}{}{}",
        resources(1),
        encryption("main", "", None, true)
    );
    let (_tmp, dir) = project(&config);
    ok(&dir, &["plan", d(&dir), "-out", "p.plan"], Some(PASSPHRASE));
    let saved = fs::read(dir.join("p.plan")).unwrap();
    let text = String::from_utf8_lossy(&saved).into_owned();
    assert!(
        !text.contains(MARKER) && !text.contains(PASSPHRASE),
        "{text}"
    );
    key_provider_of(&saved);

    // The key is given again to apply it; without it the plan cannot be read.
    let out = skelc(&dir, &["run", "p.plan"], None);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(!dir.join("skel.state.json").exists());
    // A tampered plan is refused, nothing applied.
    let mut value = envelope(&saved);
    value["root"] = "/somewhere/else".into();
    fs::write(dir.join("moved.plan"), serde_json::to_vec(&value).unwrap()).unwrap();
    let out = skelc(&dir, &["run", "moved.plan"], Some(PASSPHRASE));
    assert_eq!(out.code, 1, "{out:?}");
    let mut value = envelope(&saved);
    let data = value["encrypted_data"].as_str().unwrap().to_string();
    value["encrypted_data"] = data[..data.len() - 8].to_string().into();
    fs::write(dir.join("cut.plan"), serde_json::to_vec(&value).unwrap()).unwrap();
    let out = refused(&dir, &["run", "cut.plan"], Some(PASSPHRASE), "cut.plan");
    assert!(out.stderr.contains("altered"), "{out:?}");
    assert!(!dir.join("skel.state.json").exists());

    ok(&dir, &["run", "p.plan"], Some(PASSPHRASE));
    key_provider_of(&state(&dir));
    // A plain plan file is refused where plans are encrypted.
    fs::write(
        dir.join("plain.plan"),
        br#"{"format_version":1,"root":"x"}"#,
    )
    .unwrap();
    let out = skelc(&dir, &["run", "plain.plan"], Some(PASSPHRASE));
    assert_eq!(out.code, 1, "{out:?}");
}
