//! A second real Go plugin through the real `skelc`: terraform-provider-lxd 1.5.0 (from
//! `scripts/plugins-install`) in a filesystem mirror. `init` installs it and stores the schema
//! it answers; `check` types an LXD configuration from it (a misspelled argument is an error
//! with its place and a did-you-mean); with no LXD daemon here, the first call that needs the
//! daemon (the apply of a creation; the read-back that starts `plan` once an object is in
//! state) fails with the plugin's own error naming the provider: exit 1, no panic, nothing
//! recorded, the state left as it was.

mod cli_support;
mod plugin_support;

use std::fs;
use std::path::Path;

use cli_support::{project, Out};
use plugin_support::{mirror_rc, plugins, skelc_rc};

const SOURCE: &str = "registry.terraform.io/terraform-lxd/lxd";

fn config(network: &str) -> String {
    format!(
        r#"terraform {{
  required_providers {{
    lxd = {{
      source  = "terraform-lxd/lxd"
      version = "~> 1.5"
    }}
  }}
}}

provider "lxd" {{
  config_dir = "lxd-config"
}}

resource "lxd_network" "net" {{
{network}
}}

resource "lxd_container" "c1" {{
  name  = "c1"
  image = "ubuntu:22.04"
  config = {{
    "boot.autostart" = "true"
  }}
  device {{
    name = "eth0"
    type = "nic"
    properties = {{
      network = lxd_network.net.name
    }}
  }}
}}
"#
    )
}

const NETWORK: &str = r#"  name = "skelnet"
  config = {
    "ipv4.address" = "10.150.19.1/24"
    "ipv4.nat"     = "true"
  }"#;

/// A filesystem mirror holding the lxd 1.5.0 plugin.
fn lxd_mirror(mirror: &Path) {
    let dir = mirror.join(SOURCE).join("1.5.0/linux_amd64");
    fs::create_dir_all(&dir).unwrap();
    let exe = dir.join("terraform-provider-lxd_v1.5.0");
    if fs::hard_link(&plugins().lxd, &exe).is_err() {
        fs::copy(&plugins().lxd, &exe).expect("copy the lxd plugin");
    }
}

fn run(dir: &Path, rc: &str, args: &[&str]) -> Out {
    skelc_rc(dir, rc, args)
        .env("LXD_DIR", &dir.join("no-lxd").display().to_string())
        .run()
}

/// The plugin's own error, naming the provider, exit 1, no panic.
fn assert_lxd_error(what: &str, out: &Out) {
    assert_eq!(out.code, 1, "{what}: {out:?}");
    assert!(out.stderr.contains("provider `lxd`"), "{what}: {out:?}");
    assert!(!out.stderr.contains("panicked"), "{what}: {out:?}");
}

#[test]
fn lxd_is_installed_typed_and_fails_clearly_without_a_daemon() {
    let (_tmp, dir) = project(&[("main.tf", &config(NETWORK))]);
    fs::create_dir_all(dir.join("lxd-config")).unwrap();
    let mirror = tempfile::tempdir().unwrap();
    lxd_mirror(mirror.path());
    let rc = mirror_rc(&dir, mirror.path());

    let init = run(&dir, &rc, &["init"]);
    assert_eq!(init.code, 0, "{init:?}");
    let schema = fs::read_to_string(
        dir.join(".skel/providers")
            .join(SOURCE)
            .join("1.5.0/linux_amd64/schema.json"),
    )
    .expect("the stored schema");
    for name in [
        "lxd_container",
        "lxd_network",
        "lxd_storage_pool",
        "lxd_remote",
    ] {
        assert!(schema.contains(name), "{name} in the schema");
    }
    let lock = fs::read_to_string(dir.join(".skel.lock.hcl")).unwrap();
    assert!(lock.contains("version     = \"1.5.0\""), "{lock}");

    let check = run(&dir, &rc, &["check"]);
    assert_eq!(check.code, 0, "the configuration types: {check:?}");

    // A misspelled argument: where, and what was meant.
    fs::write(
        dir.join("main.tf"),
        config(&NETWORK.replace("  config = {", "  confg = {")),
    )
    .unwrap();
    let check = run(&dir, &rc, &["check"]);
    assert_eq!(check.code, 1, "{check:?}");
    assert!(check.stderr.contains("unknown-argument"), "{check:?}");
    assert!(
        check.stderr.contains("main.tf:16:3"),
        "its place: {check:?}"
    );
    assert!(check.stderr.contains("did you mean `config`?"), "{check:?}");
    // A wrong type in a nested block.
    fs::write(
        dir.join("main.tf"),
        config(NETWORK).replace("    name = \"eth0\"", "    name = [\"eth0\"]"),
    )
    .unwrap();
    let check = run(&dir, &rc, &["check"]);
    assert_eq!(check.code, 1, "{check:?}");
    assert!(check.stderr.contains("name = [\"eth0\"]"), "{check:?}");
    fs::write(dir.join("main.tf"), config(NETWORK)).unwrap();

    // No daemon. lxd plans a creation without it: the first call that needs it is the
    // apply's, and it fails with lxd's own text; nothing is recorded.
    let plan = run(&dir, &rc, &["plan"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    assert!(
        plan.stdout.contains("lxd_network.net will be created"),
        "{plan:?}"
    );
    let failed = run(&dir, &rc, &["run", "--auto-approve"]);
    println!("lxd apply without a daemon:\n{}", failed.stderr);
    assert_lxd_error("run", &failed);
    assert!(
        failed
            .stderr
            .contains("ApplyResourceChange: Get \"http://unix.socket/1.0\""),
        "lxd's text: {failed:?}"
    );
    let state = cli_support::state_json(&dir);
    assert_eq!(state["resources"], serde_json::json!({}), "{state:#}");

    // With an LXD network in state, `plan` reads it back through the plugin first: the
    // plan fails with lxd's text, and the state is not touched.
    let state_path = dir.join("skel.state.json");
    fs::write(&state_path, STATE).unwrap();
    let plan = run(&dir, &rc, &["plan"]);
    println!("lxd plan without a daemon:\n{}", plan.stderr);
    assert_lxd_error("plan", &plan);
    assert!(plan.stderr.contains("lxd_network.net"), "{plan:?}");
    assert!(
        plan.stderr
            .contains("ReadResource: Get \"http://unix.socket/1.0\""),
        "lxd's text: {plan:?}"
    );
    assert_eq!(fs::read_to_string(&state_path).unwrap(), STATE);
    let left: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("skel.state") && n != "skel.state.json")
        .collect();
    assert!(left.is_empty(), "nothing else written: {left:?}");
}

/// A skel state holding the network of [`NETWORK`].
const STATE: &str = r#"{
  "version": 1,
  "serial": 2,
  "lineage": "0d6c3c47-5b0e-4d6c-9a51-1f6f3c1f7b2d",
  "resources": {
    "lxd_network.net": {
      "provider": "lxd",
      "attributes": {
        "config": { "ipv4.address": "10.150.19.1/24", "ipv4.nat": "true" },
        "description": "",
        "id": "skelnet",
        "managed": true,
        "name": "skelnet",
        "remote": null,
        "target": null,
        "type": "bridge"
      }
    }
  },
  "outputs": {}
}
"#;
