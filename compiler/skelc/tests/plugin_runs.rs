//! Provider plugins run through the real `skelc`: the real `terraform-provider-null` 2.1.2
//! from `scripts/terraform-install`'s filesystem mirror, with the schema `skelc init` asks the
//! plugin for: check types it (a misspelled argument is an error), plan starts the plugin
//! (create, `id` unknown), run, a no-op plan (`--detailed-exitcode` 0), a `triggers` change
//! planned as a replacement the plugin forces, destroy; no plugin process outlives a command;
//! its data source read by the plugin.

mod cli_support;
mod plugin_support;

use std::fs;
use std::path::{Path, PathBuf};

use cli_support::project;
use plugin_support::{mirror_rc, real_mirror, run};

fn main_tf(triggers: &str) -> String {
    format!(
        r#"terraform {{
  required_providers {{
    null = {{
      source  = "hashicorp/null"
      version = "2.1.2"
    }}
  }}
}}

resource "null_resource" "a" {{
  {triggers}
}}

output "id" {{
  value = null_resource.a.id
}}
"#
    )
}

/// How many processes run the executable at `exe` (from /proc).
fn processes_of(exe: &Path) -> usize {
    let Ok(entries) = fs::read_dir("/proc") else {
        return 0;
    };
    entries
        .filter_map(|e| e.ok())
        .filter(|e| {
            fs::read_link(e.path().join("exe"))
                .map(|p| p == exe)
                .unwrap_or(false)
        })
        .count()
}

fn installed_plugin(dir: &Path) -> PathBuf {
    let pkg = dir.join(".skel/providers/registry.terraform.io/hashicorp/null/2.1.2/linux_amd64");
    fs::read_dir(&pkg)
        .expect("the installed package")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("terraform-provider-null"))
        })
        .expect("the installed executable")
}

#[test]
fn the_null_plugin_through_its_whole_lifecycle() {
    let (_tmp, dir) = project(&[("main.tf", &main_tf("triggers = { x = \"1\" }"))]);
    let rc = mirror_rc(&dir, &real_mirror());
    let init = run(&dir, &rc, &["init"]);
    assert_eq!(init.code, 0, "{init:?}");
    // The schema stored is the plugin's own answer to GetProviderSchema.
    let schema_json = fs::read_to_string(
        installed_plugin(&dir)
            .parent()
            .expect("package dir")
            .join("schema.json"),
    )
    .expect("the stored schema");
    assert!(schema_json.contains("null_resource"), "{schema_json}");
    assert!(schema_json.contains("null_data_source"), "{schema_json}");

    // A misspelled argument is a typed error from the stored schema.
    fs::write(dir.join("main.tf"), main_tf("trigers = { x = \"1\" }")).unwrap();
    let check = run(&dir, &rc, &["check"]);
    assert_eq!(check.code, 1, "{check:?}");
    assert!(check.stderr.contains("unknown-argument"), "{check:?}");
    assert!(
        check.stderr.contains("did you mean `triggers`?"),
        "{check:?}"
    );
    fs::write(dir.join("main.tf"), main_tf("triggers = { x = \"1\" }")).unwrap();

    let plan = run(&dir, &rc, &["plan"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    assert!(
        plan.stdout.contains("null_resource.a will be created"),
        "{plan:?}"
    );
    assert!(
        plan.stdout.contains("id       = (known after apply)"),
        "{plan:?}"
    );

    let created = run(&dir, &rc, &["run", "--auto-approve"]);
    assert_eq!(created.code, 0, "{created:?}");
    assert!(created.stdout.contains("Resources: 1 added"), "{created:?}");
    let state = fs::read_to_string(dir.join("terraform.tfstate"))
        .or_else(|_| fs::read_to_string(dir.join(".skel/state.json")))
        .unwrap_or_default();
    let output = run(&dir, &rc, &["output", "id"]);
    assert_eq!(output.code, 0, "{output:?}");
    let id = output.stdout.trim().trim_matches('"').to_string();
    assert!(
        !id.is_empty() && id.chars().all(|c| c.is_ascii_digit()),
        "the plugin's id is a number: {output:?} {state}"
    );

    let noop = run(&dir, &rc, &["plan", "--detailed-exitcode"]);
    assert_eq!(noop.code, 0, "{noop:?}");
    assert!(noop.stdout.contains("No changes"), "{noop:?}");

    fs::write(dir.join("main.tf"), main_tf("triggers = { x = \"2\" }")).unwrap();
    let replace = run(&dir, &rc, &["plan"]);
    assert_eq!(replace.code, 0, "{replace:?}");
    assert!(replace.stdout.contains("must be replaced"), "{replace:?}");
    let forced: Vec<&str> = replace
        .stdout
        .lines()
        .filter(|l| l.contains("# forces replacement"))
        .collect();
    assert_eq!(forced.len(), 1, "only `triggers` forces it: {replace:?}");
    assert!(
        replace
            .stdout
            .contains(&format!("~ id       = \"{id}\" -> (known after apply)")),
        "{replace:?}"
    );
    let replaced = run(&dir, &rc, &["run", "--auto-approve"]);
    assert_eq!(replaced.code, 0, "{replaced:?}");
    assert!(
        replaced.stdout.contains("1 added, 0 changed, 1 destroyed"),
        "{replaced:?}"
    );
    let new_id = run(&dir, &rc, &["output", "id"])
        .stdout
        .trim()
        .trim_matches('"')
        .to_string();
    // The replacement is the "1 added, 1 destroyed" above. Its id need not differ: null 2.1.2
    // draws ids from Go's unseeded `math/rand`, the same sequence in every plugin process.
    assert!(
        new_id.parse::<u64>().is_ok(),
        "the new object's id: {new_id:?}"
    );

    let destroyed = run(&dir, &rc, &["destroy", "--auto-approve"]);
    assert_eq!(destroyed.code, 0, "{destroyed:?}");
    assert!(destroyed.stdout.contains("1 destroyed"), "{destroyed:?}");
    let after = run(&dir, &rc, &["plan", "--detailed-exitcode"]);
    assert_eq!(after.code, 2, "everything to create again: {after:?}");
    // Every command stopped the plugin it started.
    assert_eq!(processes_of(&installed_plugin(&dir)), 0);
}

#[test]
fn the_plugin_reads_its_data_source() {
    let (_tmp, dir) = project(&[(
        "main.tf",
        &main_tf("triggers = { x = \"1\" }").replace(
            "output \"id\"",
            "data \"null_data_source\" \"d\" {\n  inputs = { a = \"1\" }\n}\n\noutput \"d\" {\n  value = data.null_data_source.d.outputs.a\n}\n\noutput \"id\"",
        ),
    )]);
    let rc = mirror_rc(&dir, &real_mirror());
    assert_eq!(run(&dir, &rc, &["init"]).code, 0);
    let created = run(&dir, &rc, &["run", "--auto-approve"]);
    assert_eq!(created.code, 0, "{created:?}");
    let d = run(&dir, &rc, &["output", "d"]);
    assert_eq!(
        d.stdout.trim(),
        "1",
        "the data source read by the plugin: {d:?}"
    );
    assert_eq!(run(&dir, &rc, &["destroy", "--auto-approve"]).code, 0);
}

/// `provider = null.one`: `null` followed by `.` names the provider, as in Terraform (not the
/// literal), in resources, data sources and a module call's `providers`.
#[test]
fn aliased_configurations_of_the_null_plugin() {
    let config = main_tf("triggers = { x = \"1\" }").replace(
        "resource \"null_resource\" \"a\" {",
        r#"provider "null" {
  alias = "one"
}

provider "null" {
  alias = "two"
}

data "null_data_source" "d" {
  provider = null.two
  inputs   = { a = "from two" }
}

module "m" {
  source    = "./m"
  providers = { null = null.two }
}

output "d" {
  value = data.null_data_source.d.outputs.a
}

resource "null_resource" "a" {
  provider = null.one"#,
    );
    let child = "terraform {\n  required_providers {\n    null = {\n      source  = \"hashicorp/null\"\n      version = \"2.1.2\"\n    }\n  }\n}\n\nresource \"null_resource\" \"t\" {}\n";
    let (_tmp, dir) = project(&[("main.tf", &config), ("m/main.tf", child)]);
    let rc = mirror_rc(&dir, &real_mirror());
    let init = run(&dir, &rc, &["init"]);
    assert_eq!(init.code, 0, "{init:?}");
    let check = run(&dir, &rc, &["check"]);
    assert_eq!(check.code, 0, "{check:?}");
    let created = run(&dir, &rc, &["run", "--auto-approve"]);
    assert_eq!(created.code, 0, "{created:?}");
    assert!(created.stdout.contains("2 added"), "{created:?}");
    let d = run(&dir, &rc, &["output", "--raw", "d"]);
    assert_eq!(d.stdout.trim_end(), "from two", "{d:?}");
    let state = cli_support::state_json(&dir);
    let provider = |addr: &str| state["resources"][addr]["provider"].clone();
    assert_eq!(provider("null_resource.a"), "null.one", "{state:#}");
    let in_module = provider("module.m.null_resource.t");
    assert!(
        in_module.as_str().is_some_and(|p| p.ends_with("null.two")),
        "{state:#}"
    );
    let noop = run(&dir, &rc, &["plan", "--detailed-exitcode"]);
    assert_eq!(noop.code, 0, "{noop:?}");
    // An alias nobody declared is an error with its place.
    fs::write(
        dir.join("main.tf"),
        config.replace("= null.one", "= null.three"),
    )
    .unwrap();
    let check = run(&dir, &rc, &["check"]);
    assert_eq!(check.code, 1, "{check:?}");
    assert!(
        check
            .stderr
            .contains("Unknown provider configuration `null.three`"),
        "{check:?}"
    );
    fs::write(dir.join("main.tf"), &config).unwrap();
    let destroyed = run(&dir, &rc, &["destroy", "--auto-approve"]);
    assert_eq!(destroyed.code, 0, "{destroyed:?}");
    assert!(destroyed.stdout.contains("2 destroyed"), "{destroyed:?}");
}
