//! Crash test through a provider plugin: `skelc run` of `null_resource`s served by the real
//! `hashicorp/null` 2.1.2 plugin is killed with SIGKILL at every point a clean run passes —
//! right before and right after each `ApplyResourceChange` the plugin answers
//! (`plugin:ApplyResourceChange:*`, see `runtime/plugin/src/client.rs`) and at the engine's
//! journal points — and the next command recovers through the plugin (`ReadResource`): the
//! run after it finishes, state holds exactly the configured instances, and the plan after
//! that has no changes.

mod crash_support;
mod plugin_support;

use std::path::Path;

use crash_support::{copy_dir, points, skelc, Tally, SKELC};
use plugin_support::{mirror_rc, null_config, tf_home};

const BODY: &str = r#"resource "null_resource" "n" {
  count    = 3
  triggers = { index = count.index }
}

resource "null_resource" "after" {
  triggers = { first = null_resource.n[0].id }
}
"#;

const INSTANCES: [&str; 4] = [
    "null_resource.after",
    "null_resource.n[0]",
    "null_resource.n[1]",
    "null_resource.n[2]",
];

#[test]
fn apply_killed_around_the_plugins_calls_recovers_through_the_plugin() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let pristine = tmp.path().join("pristine");
    std::fs::create_dir_all(&pristine).unwrap();
    std::fs::write(pristine.join("main.tf"), null_config(BODY)).unwrap();
    let rc = mirror_rc(tmp.path(), &tf_home(SKELC).join("plugins"));
    let env = vec![("SKEL_CLI_CONFIG_FILE".to_string(), rc)];
    let init = skelc(&pristine, &env, &["init"], None, None);
    assert!(init.ok(), "init: {init:?}");

    let run = ["run", "--auto-approve"];
    let clean = tmp.path().join("clean");
    copy_dir(&pristine, &clean);
    let log = tmp.path().join("faults.log");
    let out = skelc(&clean, &env, &run, None, Some(&log));
    assert!(out.ok(), "the clean run failed: {out:?}");
    let all: Vec<_> = points(&std::fs::read_to_string(&log).expect("fault log"))
        .into_iter()
        .filter(|p| p.key.starts_with("plugin:") || p.key.starts_with("engine:"))
        .collect();
    assert!(
        all.iter()
            .filter(|p| p.key.starts_with("plugin:ApplyResourceChange:"))
            .count()
            == 8,
        "expected a before and an after point per created instance: {all:?}"
    );

    let mut tally = Tally::default();
    for point in &all {
        let dir = tmp.path().join("point");
        let _ = std::fs::remove_dir_all(&dir);
        copy_dir(&pristine, &dir);
        let killed = skelc(&dir, &env, &run, Some(&point.fault()), None);
        if !killed.killed() {
            tally.record(point, Err(format!("not killed there: {killed:?}")));
            continue;
        }
        tally.record(point, check(&dir, &env));
    }
    tally.assert_all_recovered("plugin", all.len() as u64);
}

fn check(dir: &Path, env: &[(String, String)]) -> Result<(), String> {
    let again = skelc(dir, env, &["run", "--auto-approve"], None, None);
    if !again.ok() {
        return Err(format!("the next run failed: {again:?}"));
    }
    if dir.join("skel.state.journal").exists() {
        return Err("the journal is left after the run".into());
    }
    let state: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("skel.state.json")).map_err(|e| e.to_string())?,
    )
    .map_err(|e| e.to_string())?;
    let mut found: Vec<String> = state["resources"]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    found.sort();
    if found != INSTANCES {
        return Err(format!("state holds {found:?}, expected {INSTANCES:?}"));
    }
    let plan = skelc(dir, env, &["plan", "--detailed-exitcode"], None, None);
    if plan.code != Some(0) {
        return Err(format!("the plan after recovery is not a no-op: {plan:?}"));
    }
    Ok(())
}
