//! A Terraform state of plugin resources taken over by the real `skelc`: Terraform 1.0.3
//! applies `null_resource`s with the real `hashicorp/null` 2.1.2 plugin, `skelc init` installs
//! the same plugin from the filesystem mirror and stores the schema the plugin itself answers,
//! and `skelc state migrate --from-terraform` carries every instance over unchanged (the
//! attributes Terraform recorded, the provider kept); `skelc show` reads them with the
//! plugin's schema, and `skelc plan` of the same configuration (through the plugin) changes
//! nothing.

mod cli_support;
mod plugin_support;

use std::fs;
use std::path::PathBuf;

use cli_support::{d, project, state_json, Out};
use plugin_support::{mirror_rc, null_config, run, terraform, tf_home, NULL_SOURCE};
use serde_json::Value;

const BODY: &str = r#"resource "null_resource" "counted" {
  count    = 2
  triggers = { index = count.index }
}

resource "null_resource" "plain" {
}

output "first" {
  value = null_resource.counted[0].id
}
"#;

/// Terraform's state of [`BODY`] applied with the null 2.1.2 plugin, and a skel directory with
/// the same configuration, initialized from the same plugin and migrated from that state.
struct TakenOver {
    _tf_tmp: tempfile::TempDir,
    _tmp: tempfile::TempDir,
    tf_state: Value,
    dir: PathBuf,
    rc: String,
    migrate: Out,
}

fn taken_over() -> TakenOver {
    let home = tf_home();
    let config = null_config(BODY);
    let (tf_tmp, tf_dir) = project(&[("main.tf", &config)]);
    let plugins = home.join("plugins");
    terraform(
        home,
        &tf_dir,
        &[
            "init",
            "-input=false",
            &format!("-plugin-dir={}", plugins.display()),
        ],
    );
    terraform(home, &tf_dir, &["apply", "-auto-approve", "-input=false"]);
    let tf_path = tf_dir.join("terraform.tfstate");
    let tf_state: Value = serde_json::from_str(&fs::read_to_string(&tf_path).unwrap()).unwrap();

    let (tmp, dir) = project(&[("main.tf", &config)]);
    let rc = mirror_rc(&dir, &plugins);
    let init = run(&dir, &rc, &["init"]);
    assert_eq!(init.code, 0, "{init:?}");
    let migrate = run(
        &dir,
        &rc,
        &["state", "migrate", "--from-terraform", d(&tf_path)],
    );
    TakenOver {
        _tf_tmp: tf_tmp,
        _tmp: tmp,
        tf_state,
        dir,
        rc,
        migrate,
    }
}

#[test]
fn plugin_resources_carry_over_unchanged_with_the_plugins_schema() {
    let t = taken_over();
    // `init` stored the schema the real plugin answered (not a fixture): null 2.1.2's.
    let schema = fs::read_to_string(
        t.dir
            .join(".skel/providers")
            .join(NULL_SOURCE)
            .join("2.1.2/linux_amd64/schema.json"),
    )
    .expect("the stored schema");
    let schema: Value = serde_json::from_str(&schema).unwrap();
    let null_resource = &schema["resources"]["null_resource"]["attributes"];
    assert!(
        null_resource["id"].is_object() && null_resource["triggers"].is_object(),
        "{schema}"
    );

    assert_eq!(t.migrate.code, 0, "{:?}", t.migrate);
    assert!(
        t.migrate
            .stdout
            .contains("Migrated 3 resource instance(s), 0 data source instance(s) and 1 output(s)"),
        "{:?}",
        t.migrate
    );
    assert!(!t.migrate.stdout.contains("Left out"), "{:?}", t.migrate);

    // Every instance: Terraform's attributes exactly, the provider kept.
    let skel = state_json(&t.dir);
    let resources = skel["resources"].as_object().unwrap();
    let mut seen = 0;
    for r in t.tf_state["resources"].as_array().unwrap() {
        assert_eq!(r["provider"], format!("provider[\"{NULL_SOURCE}\"]"), "{r}");
        for i in r["instances"].as_array().unwrap() {
            let key = match &i["index_key"] {
                Value::Null => String::new(),
                k => format!("[{k}]"),
            };
            let addr = format!("null_resource.{}{key}", r["name"].as_str().unwrap());
            let ours = &resources[&addr];
            assert_eq!(ours["attributes"], i["attributes"], "{addr}");
            assert_eq!(ours["provider"], "null", "{addr}");
            // The schema version (0: null 2.1.2's, which the next plan upgrades from) and the
            // plugin's private data, as Terraform recorded them.
            assert_eq!(i["schema_version"], 0, "{i}");
            assert_eq!(ours["schema_version"], i["schema_version"], "{addr}");
            assert_eq!(ours.get("private"), i.get("private"), "{addr}");
            seen += 1;
        }
    }
    assert_eq!(seen, 3);
    assert_eq!(resources.len(), 3);
    assert_eq!(skel["lineage"], t.tf_state["lineage"]);

    // `show` reads them with the plugin's schema.
    let show = run(&t.dir, &t.rc, &["show", "--json"]);
    assert_eq!(show.code, 0, "{show:?}");
    let shown: Value = serde_json::from_str(&show.stdout).unwrap();
    let shown = shown["resources"].as_array().unwrap();
    assert_eq!(shown.len(), 3);
    let first = shown
        .iter()
        .find(|r| r["address"] == "null_resource.counted[0]")
        .expect("counted[0] shown");
    assert_eq!(
        first["values"],
        resources["null_resource.counted[0]"]["attributes"]
    );
    assert_eq!(first["values"]["triggers"]["index"], "0");
    let human = run(&t.dir, &t.rc, &["show"]);
    assert_eq!(human.code, 0, "{human:?}");
    assert!(
        human
            .stdout
            .contains("resource \"null_resource\" \"plain\" {"),
        "{human:?}"
    );
}

/// Needs the engine to run plugins (the plugin `Provider`).
#[test]
fn plan_after_taking_over_plugin_resources_changes_nothing() {
    let t = taken_over();
    assert_eq!(t.migrate.code, 0, "{:?}", t.migrate);
    let before = state_json(&t.dir)["resources"].clone();
    let plan = run(&t.dir, &t.rc, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    assert!(plan.stdout.contains("No changes."), "{plan:?}");
    assert_eq!(state_json(&t.dir)["resources"], before);
}
