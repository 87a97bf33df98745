//! Provider plugins run through the real `skelc`: the real `terraform-provider-null` 2.1.2
//! from `scripts/terraform-install`'s filesystem mirror, with the schema `skelc init` asks the
//! plugin for: check types it (a misspelled argument is an error), plan starts the plugin
//! (create, `id` unknown), run, a no-op plan (`--detailed-exitcode` 0), a `triggers` change
//! planned as a replacement the plugin forces, destroy; no plugin process outlives a command;
//! its data source read by the plugin.

mod cli_support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use cli_support::{project, skelc, Out, SKELC};

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

/// The Terraform install with the null 2.1.2 mirror (`scripts/terraform-install`, once per
/// test binary; a failed install fails the test: these tests never skip).
fn real_mirror() -> &'static Path {
    static MIRROR: OnceLock<PathBuf> = OnceLock::new();
    MIRROR.get_or_init(|| {
        let home = std::env::var_os("TF_HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                let target = Path::new(SKELC).ancestors().nth(2).expect("target dir");
                target.join("terraform-1.0.3")
            });
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/terraform-install");
        let out = Command::new(&script)
            .env("TF_HOME", &home)
            .output()
            .expect("run scripts/terraform-install");
        assert!(
            out.status.success(),
            "scripts/terraform-install failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        home.join("plugins")
    })
}

/// `skelc ARGS` with a CLI configuration whose only installation method is the mirror.
fn run(dir: &Path, args: &[&str]) -> Out {
    let rc = dir.join("skelrc");
    if !rc.exists() {
        fs::write(
            &rc,
            format!(
                "provider_installation {{\n  filesystem_mirror {{\n    path = \"{}\"\n  }}\n}}\n",
                real_mirror().display()
            ),
        )
        .unwrap();
    }
    skelc(dir, args)
        .env("SKEL_CLI_CONFIG_FILE", &rc.display().to_string())
        .run()
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
    let init = run(&dir, &["init"]);
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
    let check = run(&dir, &["check"]);
    assert_eq!(check.code, 1, "{check:?}");
    assert!(check.stderr.contains("unknown-argument"), "{check:?}");
    assert!(
        check.stderr.contains("did you mean `triggers`?"),
        "{check:?}"
    );
    fs::write(dir.join("main.tf"), main_tf("triggers = { x = \"1\" }")).unwrap();

    let plan = run(&dir, &["plan"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    assert!(
        plan.stdout.contains("null_resource.a will be created"),
        "{plan:?}"
    );
    assert!(
        plan.stdout.contains("id       = (known after apply)"),
        "{plan:?}"
    );

    let created = run(&dir, &["run", "--auto-approve"]);
    assert_eq!(created.code, 0, "{created:?}");
    assert!(created.stdout.contains("Resources: 1 added"), "{created:?}");
    let state = fs::read_to_string(dir.join("terraform.tfstate"))
        .or_else(|_| fs::read_to_string(dir.join(".skel/state.json")))
        .unwrap_or_default();
    let output = run(&dir, &["output", "id"]);
    assert_eq!(output.code, 0, "{output:?}");
    let id = output.stdout.trim().trim_matches('"').to_string();
    assert!(
        !id.is_empty() && id.chars().all(|c| c.is_ascii_digit()),
        "the plugin's id is a number: {output:?} {state}"
    );

    let noop = run(&dir, &["plan", "--detailed-exitcode"]);
    assert_eq!(noop.code, 0, "{noop:?}");
    assert!(noop.stdout.contains("No changes"), "{noop:?}");

    fs::write(dir.join("main.tf"), main_tf("triggers = { x = \"2\" }")).unwrap();
    let replace = run(&dir, &["plan"]);
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
    let replaced = run(&dir, &["run", "--auto-approve"]);
    assert_eq!(replaced.code, 0, "{replaced:?}");
    assert!(
        replaced.stdout.contains("1 added, 0 changed, 1 destroyed"),
        "{replaced:?}"
    );
    let new_id = run(&dir, &["output", "id"])
        .stdout
        .trim()
        .trim_matches('"')
        .to_string();
    assert_ne!(new_id, id, "a new object");

    let destroyed = run(&dir, &["destroy", "--auto-approve"]);
    assert_eq!(destroyed.code, 0, "{destroyed:?}");
    assert!(destroyed.stdout.contains("1 destroyed"), "{destroyed:?}");
    let after = run(&dir, &["plan", "--detailed-exitcode"]);
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
    assert_eq!(run(&dir, &["init"]).code, 0);
    let created = run(&dir, &["run", "--auto-approve"]);
    assert_eq!(created.code, 0, "{created:?}");
    let d = run(&dir, &["output", "d"]);
    assert_eq!(
        d.stdout.trim(),
        "1",
        "the data source read by the plugin: {d:?}"
    );
    assert_eq!(run(&dir, &["destroy", "--auto-approve"]).code, 0);
}
