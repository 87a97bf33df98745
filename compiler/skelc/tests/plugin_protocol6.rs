//! A protocol 6 plugin through the real `skelc`: tests/plugins/skeltest (written with the Python
//! `tf` framework of `scripts/plugins-install`) packaged as a filesystem mirror entry. `init`
//! installs and locks it and stores its schema; `check` types its nested attribute; its own
//! checks (`ValidateResourceConfig`) fail the plan; then plan,
//! run, a no-op plan, an update in place, a replacement its requires-replace attribute forces,
//! its data source, `skelc import` and an `import` block, and destroy. Its sensitive attribute
//! (`password`) never appears, in any form, in what any command prints or in the saved plan
//! (encrypted, as skel's plan encryption does), and is in the state file (0600), where it must
//! be.

mod cli_support;
mod plugin_support;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use cli_support::{project, Out};
use plugin_support::{mirror_rc, skelc_rc, skeltest_env, skeltest_mirror, SKELTEST_SOURCE};

/// The password, with characters JSON and shells escape.
const SECRET: &str = "Hunter2\"sw0rd\\Zq-7731";

const SETTINGS: &str = r#"terraform {
  required_providers {
    skeltest = {
      source  = "skel.test/testing/skeltest"
      version = "1.0.0"
    }
  }

  # Saved plans hold what `skelc run PLANFILE` applies, the password too: encrypted.
  encryption {
    key_provider "pbkdf2" "plans" {
      passphrase = var.plan_passphrase
      iterations = 200000
    }
    method "aes_gcm" "plans" {
      keys = key_provider.pbkdf2.plans
    }
    plan {
      method = method.aes_gcm.plans
    }
  }
}

variable "plan_passphrase" {
  type      = string
  sensitive = true
}

provider "skeltest" {
  prefix = "echo: "
}

# Not a sensitive variable: the schema alone makes the attribute sensitive.
variable "password" {
  type = string
}
"#;

/// The configuration with `server` as the body of `skeltest_server.web`.
fn config(server: &str) -> String {
    format!(
        r#"{SETTINGS}
resource "skeltest_server" "web" {{
{server}
}}

data "skeltest_echo" "e" {{
  input = skeltest_server.web.address
}}

output "address" {{
  value = skeltest_server.web.address
}}

output "echo" {{
  value = data.skeltest_echo.e.output
}}
"#
    )
}

/// A server's body: its `name` and `size`, the password from the variable, two listeners.
fn server(name: &str, size: u32) -> String {
    format!(
        r#"  name     = "{name}"
  size     = {size}
  password = var.password
  listeners = [
    {{ port = 80, protocol = "tcp" }},
    {{ port = 443 }},
  ]"#
    )
}

/// Every form the secret could leak in.
fn secret_forms() -> Vec<(&'static str, String)> {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(SECRET);
    let hex: String = SECRET.bytes().map(|b| format!("{b:02x}")).collect();
    vec![
        ("exact", SECRET.to_string()),
        (
            "JSON-escaped",
            serde_json::to_string(SECRET)
                .unwrap()
                .trim_matches('"')
                .into(),
        ),
        ("base64", b64.trim_end_matches('=').to_string()),
        ("hex", hex.clone()),
        ("upper-case hex", hex.to_uppercase()),
        ("upper-case", SECRET.to_uppercase()),
        // The part without the characters that escape: a rendering that escaped them
        // differently still shows it.
        ("unescaped tail", "sw0rd".into()),
    ]
}

fn assert_no_secret(what: &str, text: &str) {
    for (form, s) in secret_forms() {
        assert!(
            !text.contains(&s),
            "the password ({form}) appears in {what}:\n{text}"
        );
    }
}

/// A project directory with the skeltest mirror, its CLI configuration and the plugin's store.
struct Setup {
    _tmp: tempfile::TempDir,
    _mirror: tempfile::TempDir,
    store: tempfile::TempDir,
    dir: PathBuf,
    rc: String,
    /// Everything every command printed, to search for the secret.
    printed: Vec<(String, String)>,
}

impl Setup {
    fn new(main_tf: &str) -> Setup {
        let (tmp, dir) = project(&[("main.tf", main_tf)]);
        let mirror = tempfile::tempdir().unwrap();
        skeltest_mirror(mirror.path());
        let rc = mirror_rc(&dir, mirror.path());
        Setup {
            _tmp: tmp,
            _mirror: mirror,
            store: tempfile::tempdir().unwrap(),
            dir,
            rc,
            printed: Vec::new(),
        }
    }

    /// `skelc ARGS` with the plugin's environment, the password as `TF_VAR_password` and the
    /// saved plans' passphrase.
    fn run(&mut self, args: &[&str]) -> Out {
        let mut cmd = skelc_rc(&self.dir, &self.rc, args)
            .env("TF_VAR_password", SECRET)
            .env("TF_VAR_plan_passphrase", "a passphrase for the saved plans");
        for (k, v) in skeltest_env(self.store.path()) {
            cmd = cmd.env(&k, &v);
        }
        let out = cmd.run();
        let what = format!("skelc {}", args.join(" "));
        self.printed
            .push((format!("{what} (stdout)"), out.stdout.clone()));
        self.printed
            .push((format!("{what} (stderr)"), out.stderr.clone()));
        out
    }

    fn write(&self, main_tf: &str) {
        fs::write(self.dir.join("main.tf"), main_tf).unwrap();
    }

    /// The servers the plugin's store holds.
    fn stored(&self) -> serde_json::Map<String, serde_json::Value> {
        let path = self.store.path().join("servers.json");
        match fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).unwrap(),
            Err(_) => Default::default(),
        }
    }
}

fn package_dir(dir: &Path) -> PathBuf {
    dir.join(".skel/providers")
        .join(SKELTEST_SOURCE)
        .join("1.0.0/linux_amd64")
}

#[test]
fn a_protocol_6_plugin_through_its_whole_lifecycle() {
    let mut p = Setup::new(&config(&server("web", 2)));

    // Init: installed from the mirror, locked, its schema stored.
    let init = p.run(&["init"]);
    assert_eq!(init.code, 0, "{init:?}");
    let lock = fs::read_to_string(p.dir.join(".skel.lock.hcl")).expect("the lock file");
    assert!(
        lock.contains(&format!("provider \"{SKELTEST_SOURCE}\" {{")),
        "{lock}"
    );
    assert!(lock.contains("version     = \"1.0.0\""), "{lock}");
    assert!(lock.contains("\"h1:"), "{lock}");
    let schema = fs::read_to_string(package_dir(&p.dir).join("schema.json")).unwrap();
    assert!(schema.contains("skeltest_server"), "{schema}");
    assert!(schema.contains("listeners"), "{schema}");
    assert!(schema.contains("skeltest_echo"), "{schema}");

    // Check types the plugin's resources: a nested attribute of the wrong type is an error
    // with its place.
    p.write(&config(
        &server("web", 2).replace("port = 443", "port = [443]"),
    ));
    let check = p.run(&["check"]);
    assert_eq!(check.code, 1, "{check:?}");
    assert!(check.stderr.contains("main.tf:"), "{check:?}");
    assert!(check.stderr.contains("port = [443]"), "a span: {check:?}");
    // A misspelled attribute in a nested attribute's object: an error at it, with a hint.
    p.write(&config(
        &server("web", 2).replace("{ port = 443 }", "{ port = 443, protocl = \"udp\" }"),
    ));
    let check = p.run(&["check"]);
    assert_eq!(check.code, 1, "{check:?}");
    assert!(
        check.stderr.contains("Unsupported attribute `protocl`"),
        "{check:?}"
    );
    assert!(
        check.stderr.contains("protocl = \"udp\""),
        "a span: {check:?}"
    );
    assert!(
        check.stderr.contains("did you mean `protocol`?"),
        "{check:?}"
    );
    // An attribute of the wrong type too.
    p.write(&config(
        &server("web", 2).replace("size     = 2", "size     = [2]"),
    ));
    let check = p.run(&["check"]);
    assert_eq!(check.code, 1, "{check:?}");
    assert!(check.stderr.contains("size     = [2]"), "a span: {check:?}");
    // An output of the sensitive attribute that does not say so is an error, and the error
    // does not show the value.
    p.write(&format!(
        "{}\noutput \"pw\" {{\n  value = skeltest_server.web.password\n}}\n",
        config(&server("web", 2))
    ));
    let check = p.run(&["check"]);
    assert_eq!(check.code, 1, "{check:?}");
    assert!(check.stderr.contains("sensitive"), "{check:?}");
    p.write(&config(&server("web", 2)));
    let check = p.run(&["check"]);
    assert_eq!(check.code, 0, "{check:?}");

    // The plugin's own check (ValidateResourceConfig) before it plans: its error, with the
    // attribute, and nothing created.
    p.write(&config(&server("web", 0)));
    let invalid = p.run(&["plan"]);
    assert_eq!(invalid.code, 1, "{invalid:?}");
    assert!(
        invalid.stderr.contains("provider `skeltest`"),
        "{invalid:?}"
    );
    assert!(
        invalid
            .stderr
            .contains("A server's size is at least 1, not 0."),
        "{invalid:?}"
    );
    assert!(invalid.stderr.contains("size"), "{invalid:?}");
    let failed_run = p.run(&["run", "--auto-approve"]);
    assert_eq!(failed_run.code, 1, "{failed_run:?}");
    assert!(p.stored().is_empty(), "{:?}", p.stored());
    p.write(&config(&server("web", 2)));

    // Plan: the nested attribute's objects, the password hidden.
    let plan = p.run(&["plan"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    assert!(
        plan.stdout.contains("skeltest_server.web will be created"),
        "{plan:?}"
    );
    for shown in [
        "listeners",
        "port",
        "80",
        "443",
        "\"tcp\"",
        "(sensitive value)",
    ] {
        assert!(plan.stdout.contains(shown), "{shown}: {plan:?}");
    }
    // The nested attribute's objects as Terraform shows object attributes: names bare.
    assert!(plan.stdout.contains("+ port     = 80"), "{plan:?}");
    assert!(!plan.stdout.contains("\"port\""), "{plan:?}");
    let json = p.run(&["plan", "--json"]);
    assert_eq!(json.code, 0, "{json:?}");
    let saved = p.dir.join("saved.plan");
    let out = p.run(&["plan", "--out", "saved.plan"]);
    assert_eq!(out.code, 0, "{out:?}");
    let saved_text =
        String::from_utf8_lossy(&fs::read(&saved).expect("the saved plan")).into_owned();
    assert_no_secret("the saved plan", &saved_text);
    assert!(
        !saved_text.contains("skeltest_server"),
        "encrypted: {saved_text}"
    );
    let mode = fs::metadata(&saved).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the saved plan's mode");
    let shown_plan = p.run(&["show", "saved.plan"]);
    assert_eq!(shown_plan.code, 0, "{shown_plan:?}");

    // Run the saved plan: created by the plugin.
    let created = p.run(&["run", "saved.plan"]);
    assert_eq!(created.code, 0, "{created:?}");
    assert!(created.stdout.contains("1 added"), "{created:?}");
    let stored = p.stored();
    assert_eq!(stored.len(), 1, "{stored:?}");
    let (id, object) = stored.iter().next().unwrap();
    let id = id.clone();
    assert_eq!(
        object["password"], SECRET,
        "the plugin received the password"
    );
    assert_eq!(object["listeners"][1]["port"], 443);

    // The state holds the password (the state file is private), nothing prints it.
    let state_path = p.dir.join("skel.state.json");
    let state = fs::read_to_string(&state_path).unwrap();
    let escaped = serde_json::to_string(SECRET).unwrap();
    assert!(state.contains(&escaped), "the state keeps it: {state}");
    let mode = fs::metadata(&state_path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the state file's mode");
    for args in [
        &["show"][..],
        &["show", "--json"],
        &["state", "show", "skeltest_server.web"],
        &["state", "list"],
        &["output"],
        &["output", "--json"],
    ] {
        let out = p.run(args);
        assert_eq!(out.code, 0, "{args:?}: {out:?}");
    }
    let address = p.run(&["output", "--raw", "address"]);
    assert_eq!(
        address.stdout.trim_end(),
        "web.skeltest.internal",
        "{address:?}"
    );
    // The data source, read by the plugin with the provider's configuration.
    let echo = p.run(&["output", "--raw", "echo"]);
    assert_eq!(
        echo.stdout.trim_end(),
        "echo: web.skeltest.internal",
        "{echo:?}"
    );

    // Nothing to do.
    let noop = p.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(noop.code, 0, "{noop:?}");
    assert!(noop.stdout.contains("No changes"), "{noop:?}");

    // An update in place.
    p.write(&config(&server("web", 3)));
    let update = p.run(&["plan"]);
    assert_eq!(update.code, 0, "{update:?}");
    assert!(
        update
            .stdout
            .contains("skeltest_server.web will be updated in-place"),
        "{update:?}"
    );
    assert!(update.stdout.contains("2 -> 3"), "{update:?}");
    assert!(!update.stdout.contains("forces replacement"), "{update:?}");
    let updated = p.run(&["run", "--auto-approve"]);
    assert_eq!(updated.code, 0, "{updated:?}");
    assert!(updated.stdout.contains("1 changed"), "{updated:?}");
    assert_eq!(p.stored()[&id]["size"], 3);

    // A new name: the plugin requires a replacement.
    p.write(&config(&server("api", 3)));
    let replace = p.run(&["plan"]);
    assert_eq!(replace.code, 0, "{replace:?}");
    assert!(replace.stdout.contains("must be replaced"), "{replace:?}");
    let forced: Vec<&str> = replace
        .stdout
        .lines()
        .filter(|l| l.contains("# forces replacement"))
        .collect();
    assert_eq!(forced.len(), 1, "{replace:?}");
    assert!(forced[0].contains("name"), "{replace:?}");
    let replaced = p.run(&["run", "--auto-approve"]);
    assert_eq!(replaced.code, 0, "{replaced:?}");
    assert!(
        replaced.stdout.contains("1 added, 0 changed, 1 destroyed"),
        "{replaced:?}"
    );
    let stored = p.stored();
    assert_eq!(stored.len(), 1, "{stored:?}");
    let new_id = stored.keys().next().unwrap().clone();
    assert_ne!(new_id, id);
    let echo = p.run(&["output", "--raw", "echo"]);
    assert_eq!(
        echo.stdout.trim_end(),
        "echo: api.skeltest.internal",
        "{echo:?}"
    );

    // `skelc import`: forgotten, then adopted again from the plugin.
    let rm = p.run(&["state", "rm", "skeltest_server.web"]);
    assert_eq!(rm.code, 0, "{rm:?}");
    // An id the plugin does not know: its own error.
    let missing = p.run(&["import", "skeltest_server.web", "srv-nothere"]);
    assert_eq!(missing.code, 1, "{missing:?}");
    assert!(missing.stderr.contains("No such server"), "{missing:?}");
    let import = p.run(&["import", "skeltest_server.web", &new_id]);
    assert_eq!(import.code, 0, "{import:?}");
    let noop = p.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(noop.code, 0, "imported as it is: {noop:?}");

    // An `import` block.
    let rm = p.run(&["state", "rm", "skeltest_server.web"]);
    assert_eq!(rm.code, 0, "{rm:?}");
    p.write(&format!(
        "{}\nimport {{\n  to = skeltest_server.web\n  id = \"{new_id}\"\n}}\n",
        config(&server("api", 3))
    ));
    let plan = p.run(&["plan"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    assert!(plan.stdout.contains("will be imported"), "{plan:?}");
    let imported = p.run(&["run", "--auto-approve"]);
    assert_eq!(imported.code, 0, "{imported:?}");
    assert!(imported.stdout.contains("1 imported"), "{imported:?}");
    p.write(&config(&server("api", 3)));
    let noop = p.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(noop.code, 0, "{noop:?}");

    // Destroy.
    let destroyed = p.run(&["destroy", "--auto-approve"]);
    assert_eq!(destroyed.code, 0, "{destroyed:?}");
    assert!(destroyed.stdout.contains("1 destroyed"), "{destroyed:?}");
    assert!(p.stored().is_empty(), "{:?}", p.stored());

    for (what, text) in &p.printed {
        assert_no_secret(what, text);
    }
}

/// The private-data calls skeltest recorded (`rpc private` per line), and clears the record.
fn private_calls(p: &Setup) -> Vec<String> {
    let path = p.store.path().join("private.log");
    let text = fs::read_to_string(&path).unwrap_or_default();
    let _ = fs::remove_file(&path);
    text.lines()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            format!(
                "{} {}",
                v["rpc"].as_str().unwrap(),
                v["private"].as_str().unwrap()
            )
        })
        .collect()
}

/// The `private` state records for `skeltest_server.web`, decoded.
fn state_private(p: &Setup) -> Option<String> {
    use base64::Engine;
    let text = fs::read_to_string(p.dir.join("skel.state.json")).unwrap();
    let state: serde_json::Value = serde_json::from_str(&text).unwrap();
    let private = state["resources"]["skeltest_server.web"]["private"].as_str()?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(private)
        .unwrap();
    Some(String::from_utf8(bytes).unwrap())
}

#[test]
fn a_plugins_private_data_is_kept_in_state_and_handed_back() {
    let mut p = Setup::new(&config(&server("web", 2)));
    let init = p.run(&["init"]);
    assert_eq!(init.code, 0, "{init:?}");

    // Create: the plan's private data goes to the apply; the apply's is stored.
    let created = p.run(&["run", "--auto-approve"]);
    assert_eq!(created.code, 0, "{created:?}");
    // (Planned twice: at plan and again at apply, with the values known then.)
    assert_eq!(
        private_calls(&p),
        ["plan ", "plan ", "apply planned:"],
        "{created:?}"
    );
    assert_eq!(state_private(&p).as_deref(), Some("applied-1"));

    // Plan: the stored private data goes to the read, the read's to the plan.
    let plan = p.run(&["plan"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    assert_eq!(
        private_calls(&p),
        ["read applied-1", "plan applied-1+read"],
        "{plan:?}"
    );

    // Update: to the read, the plan and the apply; the new one stored.
    p.write(&config(&server("web", 3)));
    let updated = p.run(&["run", "--auto-approve"]);
    assert_eq!(updated.code, 0, "{updated:?}");
    assert_eq!(
        private_calls(&p),
        [
            "read applied-1",
            "plan applied-1+read",
            "plan applied-1+read",
            "apply planned:applied-1+read"
        ],
        "{updated:?}"
    );
    assert_eq!(state_private(&p).as_deref(), Some("applied-2"));

    // Destroy: the stored private data goes to the delete.
    let destroyed = p.run(&["destroy", "--auto-approve"]);
    assert_eq!(destroyed.code, 0, "{destroyed:?}");
    assert_eq!(
        private_calls(&p),
        ["read applied-2", "apply applied-2+read"],
        "{destroyed:?}"
    );
    let state = fs::read_to_string(p.dir.join("skel.state.json")).unwrap();
    assert!(!state.contains("skeltest_server.web"), "{state}");
}

/// An object state recorded under schema version 0 (`flavor` where version 1 has `size`) is
/// upgraded by the plugin (`UpgradeResourceState`) before the plan reads it: the plan shows no
/// change, and the next write records version 1 and the new shape.
#[test]
fn an_object_of_an_older_schema_version_is_upgraded_by_the_plugin() {
    let mut p = Setup::new(&config(&server("web", 2)));
    let init = p.run(&["init"]);
    assert_eq!(init.code, 0, "{init:?}");
    let created = p.run(&["run", "--auto-approve"]);
    assert_eq!(created.code, 0, "{created:?}");
    let path = p.dir.join("skel.state.json");
    let mut state: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
    let web = &mut state["resources"]["skeltest_server.web"];
    assert_eq!(web["schema_version"], 1, "{web}");
    // Rewritten as version 0 wrote it.
    web["schema_version"] = 0.into();
    let attributes = web["attributes"].as_object_mut().unwrap();
    let size = attributes.remove("size").unwrap();
    attributes.insert("flavor".into(), size);
    state["serial"] = (state["serial"].as_u64().unwrap() + 1).into();
    fs::write(&path, serde_json::to_string_pretty(&state).unwrap()).unwrap();

    let plan = p.run(&["plan", "--no-refresh"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    assert!(plan.stdout.contains("No changes"), "{plan:?}");

    // An update writes the upgraded object, under version 1.
    p.write(&config(&server("web", 3)));
    let updated = p.run(&["run", "--auto-approve"]);
    assert_eq!(updated.code, 0, "{updated:?}");
    let state: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
    let web = &state["resources"]["skeltest_server.web"];
    assert_eq!(web["schema_version"], 1, "{web}");
    assert_eq!(web["attributes"]["size"], 3, "{web}");
    assert!(web["attributes"].get("flavor").is_none(), "{web}");
    let destroyed = p.run(&["destroy", "--auto-approve"]);
    assert_eq!(destroyed.code, 0, "{destroyed:?}");
}
