//! The `s3` backend through the real `skelc` against moto's S3 (`scripts/moto`): separate
//! working copies sharing one state. Concurrent runs decided by the `.tflock` object, waiters
//! served in turn by `--lock-timeout`, a writer that ignored the lock refused by the ETag,
//! SIGKILL at the engine's and the backend's own kill points recovered from another working
//! copy, and bad input (missing bucket, unreadable lock, corrupt or newer state, an
//! uninitialized or unsupported backend) refused with a message naming the object and nothing
//! overwritten.

mod backend_support;
mod moto_support;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use backend_support::{
    files_body, finish, lock_id, replaced_value, run_all, Run, FILES, GATE, SKELC,
};
use moto_support::Moto;

const BUCKET: &str = "team-state";
const KEY: &str = "app/state.json";

fn command(moto: &Moto, dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(SKELC);
    cmd.args(args)
        .current_dir(dir)
        .envs(moto.env())
        .env("NO_COLOR", "1")
        .env_remove("SKEL_FAULT")
        .env_remove("SKEL_WORKSPACE")
        .env_remove("TF_WORKSPACE")
        .stdin(Stdio::null());
    cmd
}

fn skelc(moto: &Moto, dir: &Path, args: &[&str]) -> Run {
    finish(command(moto, dir, args).output().expect("skelc runs"))
}

/// A working copy of a root module whose state is `s3://BUCKET/KEY` (the endpoint comes from
/// the SDK's chain: `AWS_ENDPOINT_URL`), initialized.
fn working_copy(moto: &Moto, root: &Path, name: &str, body: &str) -> PathBuf {
    let dir = root.join(name);
    fs::create_dir_all(&dir).unwrap();
    fs::write(
        dir.join("main.skel"),
        format!(
            "skel {{\n  backend \"s3\" {{\n    key            = \"{KEY}\"\n    region         = \
             \"us-east-1\"\n    use_path_style = true\n  }}\n}}\n\n{body}"
        ),
    )
    .unwrap();
    // The bucket comes from the command line: partial configuration.
    let init = skelc(
        moto,
        &dir,
        &["init", &format!("-backend-config=bucket={BUCKET}")],
    );
    assert_eq!(init.code, 0, "{init:?}");
    assert!(
        init.stdout.contains(&format!("s3://{BUCKET}/{KEY}.tflock")),
        "{init:?}"
    );
    dir
}

fn create_bucket(moto: &Moto, bucket: &str) {
    moto.with_sdk(|sdk| async move {
        aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&sdk)
                .force_path_style(true)
                .build(),
        )
        .create_bucket()
        .bucket(bucket)
        .send()
        .await
        .expect("create the bucket");
    });
}

fn s3(moto: &Moto) -> impl Fn() -> aws_sdk_s3::Client + '_ {
    move || {
        moto.with_sdk(|sdk| async move {
            aws_sdk_s3::Client::from_conf(
                aws_sdk_s3::config::Builder::from(&sdk)
                    .force_path_style(true)
                    .build(),
            )
        })
    }
}

fn get_object(moto: &Moto, key: &str) -> Option<Vec<u8>> {
    let client = s3(moto)();
    moto.with_sdk(|_| async move {
        match client.get_object().bucket(BUCKET).key(key).send().await {
            Ok(out) => Some(out.body.collect().await.unwrap().into_bytes().to_vec()),
            Err(_) => None,
        }
    })
}

fn put_object(moto: &Moto, key: &str, bytes: Vec<u8>) {
    let client = s3(moto)();
    moto.with_sdk(|_| async move {
        client
            .put_object()
            .bucket(BUCKET)
            .key(key)
            .body(bytes.into())
            .send()
            .await
            .expect("put");
    });
}

fn list(moto: &Moto, prefix: &str) -> Vec<String> {
    let client = s3(moto)();
    moto.with_sdk(|_| async move {
        client
            .list_objects_v2()
            .bucket(BUCKET)
            .prefix(prefix)
            .send()
            .await
            .expect("list")
            .contents()
            .iter()
            .filter_map(|o| o.key().map(str::to_string))
            .collect()
    })
}

fn remote_state(moto: &Moto) -> serde_json::Value {
    let bytes = get_object(moto, KEY).expect("the state object");
    serde_json::from_slice(&bytes).expect("the state is JSON")
}

#[test]
fn concurrent_runs_are_decided_by_the_lock_and_waiters_each_get_their_turn() {
    let moto = Moto::start();
    create_bucket(&moto, BUCKET);
    let tmp = tempfile::tempdir().unwrap();
    let copies: Vec<PathBuf> = (0..4)
        .map(|i| working_copy(&moto, tmp.path(), &format!("copy{i}"), GATE))
        .collect();

    // Round 1: four runs at once, no waiting. Each holds the lock for at least the 2 s of its
    // provisioner, far longer than the others take to start: exactly one can win.
    let runs = run_all(
        copies
            .iter()
            .enumerate()
            .map(|(i, dir)| {
                command(
                    &moto,
                    dir,
                    &["run", "--auto-approve", "-var", &format!("run=a{i}")],
                )
            })
            .collect(),
    );
    let winners: Vec<usize> = (0..4).filter(|i| runs[*i].code == 0).collect();
    assert_eq!(winners.len(), 1, "exactly one winner: {runs:#?}");
    let winner = winners[0];
    for (i, run) in runs.iter().enumerate().filter(|(i, _)| *i != winner) {
        assert_eq!(run.code, 1, "copy {i}: {run:?}");
        assert!(
            run.stderr.contains("the state is locked by")
                && run.stderr.contains(&format!("s3://{BUCKET}/{KEY}.tflock"))
                && run.stderr.contains("for `run`")
                && run.stderr.contains("pid "),
            "the loser names the holder: {run:?}"
        );
    }
    let state = remote_state(&moto);
    assert_eq!(
        state["resources"]["null_resource.gate"]["attributes"]["triggers"]["run"],
        format!("a{winner}"),
        "the state is the winner's"
    );
    let serial_after_round_1 = state["serial"].as_u64().unwrap();
    assert!(
        get_object(&moto, &format!("{KEY}.tflock")).is_none(),
        "released"
    );

    // Round 2: four runs at once, each waiting for the lock: all succeed, one after another,
    // and each replaces what the one before it applied (its plan shows the previous value).
    let runs = run_all(
        copies
            .iter()
            .enumerate()
            .map(|(i, dir)| {
                let run = format!("run=b{i}");
                command(
                    &moto,
                    dir,
                    &[
                        "run",
                        "--auto-approve",
                        "--lock-timeout",
                        "120s",
                        "-var",
                        &run,
                    ],
                )
            })
            .collect(),
    );
    for (i, run) in runs.iter().enumerate() {
        assert_eq!(run.code, 0, "copy {i} waited and ran: {run:?}");
    }
    let waited = runs.iter().filter(|r| r.stderr.contains("waiting")).count();
    assert!(waited >= 3, "three of them had to wait: {runs:#?}");
    // Every run's previous value is another run's value: a chain through all four, starting
    // from round 1's winner, none lost.
    let mut seen_before: BTreeSet<String> = BTreeSet::new();
    for run in &runs {
        seen_before.insert(
            replaced_value(&run.stdout)
                .unwrap_or_else(|| panic!("the plan shows the value it replaces: {run:?}")),
        );
    }
    let state = remote_state(&moto);
    let last = state["resources"]["null_resource.gate"]["attributes"]["triggers"]["run"]
        .as_str()
        .unwrap()
        .to_string();
    let mut expected: BTreeSet<String> = (0..4).map(|i| format!("b{i}")).collect();
    expected.remove(&last);
    expected.insert(format!("a{winner}"));
    assert_eq!(
        seen_before, expected,
        "each run replaced exactly the previous run's value"
    );
    let final_serial = state["serial"].as_u64().unwrap();
    assert!(
        final_serial >= serial_after_round_1 + 4,
        "four more writes: {state}"
    );
    // The figures for the closing note (`--nocapture`).
    eprintln!(
        "concurrency: round 1: 4 processes, 1 winner (copy {winner}), 3 refused naming the \
         holder, serial {serial_after_round_1}; round 2 (--lock-timeout 120s): 4 processes, 4 \
         succeeded, {waited} waited, chain of replaced values complete, final serial \
         {final_serial}"
    );
}

#[test]
fn a_writer_that_ignored_the_lock_is_refused_by_the_etag() {
    let moto = Moto::start();
    create_bucket(&moto, BUCKET);
    let tmp = tempfile::tempdir().unwrap();
    let dir = working_copy(&moto, tmp.path(), "copy", GATE);
    let first = skelc(&moto, &dir, &["run", "--auto-approve", "-var", "run=one"]);
    assert_eq!(first.code, 0, "{first:?}");

    // While a run holds the lock (in its 2 s provisioner), someone who ignores locks (say,
    // Terraform with -lock=false) writes the state object.
    let child = command(&moto, &dir, &["run", "--auto-approve", "-var", "run=two"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let key_lock = format!("{KEY}.tflock");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while get_object(&moto, &key_lock).is_none() {
        assert!(std::time::Instant::now() < deadline, "the run never locked");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let mut intruder = remote_state(&moto);
    intruder["serial"] = serde_json::json!(intruder["serial"].as_u64().unwrap() + 5);
    let intruder_bytes = serde_json::to_vec_pretty(&intruder).unwrap();
    put_object(&moto, KEY, intruder_bytes.clone());

    let run = finish(child.wait_with_output().unwrap());
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("was written by someone else")
            && run.stderr.contains(&format!("s3://{BUCKET}/{KEY}")),
        "{run:?}"
    );
    assert_eq!(
        get_object(&moto, KEY).unwrap(),
        intruder_bytes,
        "the other writer's state was not overwritten"
    );
}

/// Kill a run at `fault`, then recover from another working copy: every file on disk is in the
/// state exactly once, nothing of the journal or the lock is left, the next plan is empty.
fn kill_and_recover(moto: &Moto, root: &Path, fault: &str) {
    let out = root.join("out");
    fs::create_dir_all(&out).unwrap();
    let a = working_copy(moto, root, "a", &files_body(&out));
    let b = working_copy(moto, root, "b", &files_body(&out));
    let killed = finish(
        command(moto, &a, &["run", "--auto-approve"])
            .env("SKEL_FAULT", fault)
            .output()
            .unwrap(),
    );
    assert_eq!(killed.code, -1, "{fault}: killed by SIGKILL: {killed:?}");

    // The other working copy: the lock is stale (its holder's pid is gone on this host), the
    // message gives the exact force-unlock command.
    let refused = skelc(moto, &b, &["plan"]);
    if refused.code != 0 {
        assert!(
            refused.stderr.contains("stale") && refused.stderr.contains("force-unlock"),
            "{fault}: {refused:?}"
        );
        let id = lock_id(&refused.stderr);
        let unlocked = skelc(moto, &b, &["force-unlock", &id, "-force"]);
        assert_eq!(unlocked.code, 0, "{fault}: {unlocked:?}");
    }
    let recovered = skelc(moto, &b, &["run", "--auto-approve"]);
    assert_eq!(recovered.code, 0, "{fault}: {recovered:?}");

    let state = remote_state(moto);
    let resources = state["resources"].as_object().unwrap();
    let in_state: Vec<String> = resources
        .values()
        .map(|r| r["attributes"]["filename"].as_str().unwrap().to_string())
        .collect();
    let unique: BTreeSet<&String> = in_state.iter().collect();
    assert_eq!(in_state.len(), FILES, "{fault}: {state}");
    assert_eq!(unique.len(), FILES, "{fault}: nothing twice");
    let on_disk: BTreeSet<String> = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path().display().to_string())
        .collect();
    assert_eq!(
        on_disk,
        unique.into_iter().cloned().collect::<BTreeSet<_>>(),
        "{fault}: every file on disk is in state and the other way round"
    );
    assert!(list(moto, &format!("{KEY}.journal/")).is_empty(), "{fault}");
    assert!(
        get_object(moto, &format!("{KEY}.tflock")).is_none(),
        "{fault}"
    );
    let plan = skelc(moto, &a, &["plan"]);
    assert_eq!(plan.code, 0, "{fault}: {plan:?}");
    assert!(plan.stdout.contains("No changes"), "{fault}: {plan:?}");
}

#[test]
fn a_run_killed_anywhere_is_recovered_from_another_working_copy() {
    let moto = Moto::start();
    create_bucket(&moto, BUCKET);
    // The engine's point (after a file is written, before its result is journaled) and the
    // backend's own writes (journal flushes, state checkpoints, the lock), before and after
    // S3 has them.
    let faults = [
        "engine:local_file:9:after",
        "engine:local_file:1:after",
        "s3backend:PutObject:1:after",
        "s3backend:PutObject:3:before",
        "s3backend:PutObject:3:after",
        "s3backend:PutObject:8:after",
        "s3backend:DeleteObject:1:before",
    ];
    for fault in faults {
        let tmp = tempfile::tempdir().unwrap();
        kill_and_recover(&moto, tmp.path(), fault);
        // Next scenario on a fresh state.
        for key in list(&moto, "app/") {
            let client = s3(&moto)();
            moto.with_sdk(|_| async move {
                client
                    .delete_object()
                    .bucket(BUCKET)
                    .key(key)
                    .send()
                    .await
                    .unwrap();
            });
        }
    }
}

#[test]
fn bad_input_is_refused_naming_the_object_and_nothing_is_overwritten() {
    let moto = Moto::start();
    create_bucket(&moto, BUCKET);
    let tmp = tempfile::tempdir().unwrap();
    let dir = working_copy(
        &moto,
        tmp.path(),
        "copy",
        "resource \"null_resource\" \"x\" {}\n",
    );

    // An unreadable lock object.
    let lock_key = format!("{KEY}.tflock");
    put_object(&moto, &lock_key, b"held by bob".to_vec());
    let run = skelc(&moto, &dir, &["run", "--auto-approve"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains(&format!("s3://{BUCKET}/{lock_key}"))
            && run.stderr.contains("cannot be read"),
        "{run:?}"
    );
    assert_eq!(get_object(&moto, &lock_key).unwrap(), b"held by bob");
    assert!(get_object(&moto, KEY).is_none(), "nothing written");
    let client = s3(&moto)();
    let key = lock_key.clone();
    moto.with_sdk(|_| async move {
        client
            .delete_object()
            .bucket(BUCKET)
            .key(key)
            .send()
            .await
            .unwrap();
    });

    // A corrupt state object, then one from a newer skelc.
    for (bytes, says) in [
        (b"{ not json".to_vec(), "is corrupt"),
        (
            br#"{"version": 99, "serial": 3, "lineage": "x", "resources": {}, "outputs": {}}"#
                .to_vec(),
            "format version 99",
        ),
    ] {
        put_object(&moto, KEY, bytes.clone());
        let run = skelc(&moto, &dir, &["run", "--auto-approve"]);
        assert_eq!(run.code, 1, "{run:?}");
        assert!(
            run.stderr.contains(&format!("s3://{BUCKET}/{KEY}")) && run.stderr.contains(says),
            "{run:?}"
        );
        assert_eq!(get_object(&moto, KEY).unwrap(), bytes, "left untouched");
        assert!(
            get_object(&moto, &lock_key).is_none(),
            "the lock was released"
        );
    }

    // A bucket that does not exist.
    let missing = tmp.path().join("missing");
    fs::create_dir_all(&missing).unwrap();
    fs::write(
        missing.join("main.skel"),
        format!(
            "skel {{\n  backend \"s3\" {{\n    bucket = \"no-such-bucket\"\n    key = \"{KEY}\"\n    \
             region = \"us-east-1\"\n    use_path_style = true\n  }}\n}}\nresource \"null_resource\" \"x\" {{}}\n"
        ),
    )
    .unwrap();
    let init = skelc(&moto, &missing, &["init"]);
    assert_eq!(init.code, 0, "{init:?}");
    let plan = skelc(&moto, &missing, &["plan"]);
    assert_eq!(plan.code, 1, "{plan:?}");
    assert!(
        plan.stderr.contains("no-such-bucket") && plan.stderr.contains("does not exist"),
        "{plan:?}"
    );

    // Not initialized, and arguments skelc does not support: clear errors before any call.
    let fresh = tmp.path().join("fresh");
    fs::create_dir_all(&fresh).unwrap();
    fs::copy(dir.join("main.skel"), fresh.join("main.skel")).unwrap();
    let plan = skelc(&moto, &fresh, &["plan"]);
    assert_eq!(plan.code, 1, "{plan:?}");
    assert!(
        plan.stderr.contains("not initialized") && plan.stderr.contains("skelc init"),
        "{plan:?}"
    );
    let init = skelc(
        &moto,
        &fresh,
        &[
            "init",
            "-backend-config=bucket=x",
            "-backend-config=sse_customer_key=c2VjcmV0",
        ],
    );
    assert_eq!(init.code, 1, "{init:?}");
    assert!(
        init.stderr
            .contains("unsupported argument `sse_customer_key`"),
        "{init:?}"
    );
    assert!(
        !fresh.join(".skel/backend.json").exists(),
        "nothing remembered"
    );
}

const WORKSPACE_BODY: &str = r#"
resource "null_resource" "n" {
  triggers = {
    ws = skel.workspace
  }
}

output "ws" {
  value = terraform.workspace
}
"#;

#[test]
fn workspaces_keep_separate_states_under_the_key_prefix() {
    let moto = Moto::start();
    create_bucket(&moto, BUCKET);
    let tmp = tempfile::tempdir().unwrap();
    let dir = working_copy(&moto, tmp.path(), "copy", WORKSPACE_BODY);
    let run = skelc(&moto, &dir, &["run", "--auto-approve"]);
    assert_eq!(run.code, 0, "{run:?}");
    let new = skelc(&moto, &dir, &["workspace", "new", "dev"]);
    assert_eq!(new.code, 0, "{new:?}");
    let run = skelc(&moto, &dir, &["run", "--auto-approve"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("ws = \"dev\""), "{run:?}");
    let list = skelc(&moto, &dir, &["workspace", "list"]);
    assert_eq!(list.stdout, "  default\n* dev\n", "{list:?}");

    // One object per workspace, each with its own value of skel.workspace.
    let dev_key = format!("env:/dev/{KEY}");
    let dev: serde_json::Value =
        serde_json::from_slice(&get_object(&moto, &dev_key).unwrap()).unwrap();
    assert_eq!(
        dev["resources"]["null_resource.n"]["attributes"]["triggers"]["ws"],
        "dev"
    );
    assert_eq!(
        remote_state(&moto)["resources"]["null_resource.n"]["attributes"]["triggers"]["ws"],
        "default"
    );
    // Another working copy sees both, and selects with the environment too.
    let other = working_copy(&moto, tmp.path(), "other", WORKSPACE_BODY);
    let list = skelc(&moto, &other, &["workspace", "list"]);
    assert_eq!(list.stdout, "* default\n  dev\n", "{list:?}");
    let plan = finish(
        command(&moto, &other, &["plan"])
            .env("SKEL_WORKSPACE", "dev")
            .output()
            .unwrap(),
    );
    assert!(plan.stdout.contains("No changes"), "{plan:?}");

    // Deleting: not the selected one, not with resources unless --force.
    let refused = skelc(&moto, &dir, &["workspace", "delete", "dev"]);
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(refused.stderr.contains("selected"), "{refused:?}");
    assert_eq!(
        skelc(&moto, &dir, &["workspace", "select", "default"]).code,
        0
    );
    let refused = skelc(&moto, &dir, &["workspace", "delete", "dev"]);
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(
        refused.stderr.contains("1 resource instance(s)"),
        "{refused:?}"
    );
    assert!(get_object(&moto, &dev_key).is_some(), "nothing deleted");
    let deleted = skelc(&moto, &dir, &["workspace", "delete", "dev", "--force"]);
    assert_eq!(deleted.code, 0, "{deleted:?}");
    assert!(get_object(&moto, &dev_key).is_none());
    assert!(get_object(&moto, KEY).is_some(), "default untouched");
    let missing = skelc(&moto, &dir, &["workspace", "select", "nope"]);
    assert_eq!(missing.code, 1, "{missing:?}");
    assert!(missing.stderr.contains("workspace new nope"), "{missing:?}");
}

#[test]
fn states_migrate_local_to_s3_and_back_with_nothing_to_change() {
    let moto = Moto::start();
    create_bucket(&moto, BUCKET);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("copy");
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("main.skel"), WORKSPACE_BODY).unwrap();
    // Local state in two workspaces.
    assert_eq!(skelc(&moto, &dir, &["run", "--auto-approve"]).code, 0);
    assert_eq!(skelc(&moto, &dir, &["workspace", "new", "dev"]).code, 0);
    assert_eq!(skelc(&moto, &dir, &["run", "--auto-approve"]).code, 0);
    assert_eq!(
        skelc(&moto, &dir, &["workspace", "select", "default"]).code,
        0
    );
    let local: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.join("skel.state.json")).unwrap()).unwrap();

    fs::write(
        dir.join("backend.skel"),
        format!(
            "skel {{\n  backend \"s3\" {{\n    bucket = \"{BUCKET}\"\n    key = \"{KEY}\"\n    \
             region = \"us-east-1\"\n    use_path_style = true\n  }}\n}}\n"
        ),
    )
    .unwrap();
    let plan = skelc(&moto, &dir, &["plan"]);
    assert_eq!(plan.code, 1, "{plan:?}");
    assert!(plan.stderr.contains("skelc init"), "{plan:?}");
    // A plain init does not leave the local state behind unnoticed.
    let init = skelc(&moto, &dir, &["init"]);
    assert_eq!(init.code, 1, "{init:?}");
    assert!(init.stderr.contains("-migrate-state"), "{init:?}");
    // Without a terminal the copy must be confirmed with -force-copy.
    let init = skelc(&moto, &dir, &["init", "-migrate-state"]);
    assert_eq!(init.code, 1, "{init:?}");
    assert!(init.stderr.contains("-force-copy"), "{init:?}");
    assert!(get_object(&moto, KEY).is_none(), "nothing copied");

    let init = skelc(&moto, &dir, &["init", "-migrate-state", "-force-copy"]);
    assert_eq!(init.code, 0, "{init:?}");
    let remote = remote_state(&moto);
    assert_eq!(remote["lineage"], local["lineage"], "the same state, moved");
    assert_eq!(remote["resources"], local["resources"]);
    assert!(
        get_object(&moto, &format!("env:/dev/{KEY}")).is_some(),
        "every workspace"
    );
    for workspace in ["default", "dev"] {
        let plan = finish(
            command(&moto, &dir, &["plan"])
                .env("SKEL_WORKSPACE", workspace)
                .output()
                .unwrap(),
        );
        assert!(plan.stdout.contains("No changes"), "{workspace}: {plan:?}");
    }
    // A change made with the remote state, then back to local.
    fs::write(
        dir.join("main.skel"),
        format!("{WORKSPACE_BODY}\nresource \"null_resource\" \"later\" {{}}\n"),
    )
    .unwrap();
    assert_eq!(skelc(&moto, &dir, &["run", "--auto-approve"]).code, 0);
    let remote = remote_state(&moto);
    let remote_dev: serde_json::Value =
        serde_json::from_slice(&get_object(&moto, &format!("env:/dev/{KEY}")).unwrap()).unwrap();
    fs::remove_file(dir.join("backend.skel")).unwrap();
    let init = skelc(&moto, &dir, &["init", "-migrate-state", "-force-copy"]);
    assert_eq!(init.code, 0, "{init:?}");
    let back: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.join("skel.state.json")).unwrap()).unwrap();
    assert_eq!(back["lineage"], remote["lineage"]);
    assert_eq!(back["resources"], remote["resources"]);
    assert!(back["serial"].as_u64() > remote["serial"].as_u64());
    let back_dev: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.join("skel.state.d/dev/skel.state.json")).unwrap())
            .unwrap();
    assert_eq!(back_dev["lineage"], remote_dev["lineage"]);
    assert_eq!(back_dev["resources"], remote_dev["resources"]);
    let plan = skelc(&moto, &dir, &["plan"]);
    assert!(plan.stdout.contains("No changes"), "{plan:?}");
    // The dev workspace never applied `later`: exactly that is planned there.
    let plan = finish(
        command(&moto, &dir, &["plan"])
            .env("SKEL_WORKSPACE", "dev")
            .output()
            .unwrap(),
    );
    assert!(
        plan.stdout
            .contains("Plan: 1 to add, 0 to change, 0 to destroy"),
        "{plan:?}"
    );
}

#[test]
fn state_push_refuses_an_older_or_foreign_state_and_pull_keeps_it_private() {
    use std::os::unix::fs::PermissionsExt;
    let moto = Moto::start();
    create_bucket(&moto, BUCKET);
    let tmp = tempfile::tempdir().unwrap();
    let dir = working_copy(&moto, tmp.path(), "copy", GATE);
    assert_eq!(
        skelc(&moto, &dir, &["run", "--auto-approve", "-var", "run=one"]).code,
        0
    );
    let saved = tmp.path().join("pulled.json");
    let pull = skelc(
        &moto,
        &dir,
        &["state", "pull", "--out", saved.to_str().unwrap()],
    );
    assert_eq!(pull.code, 0, "{pull:?}");
    let mode = fs::metadata(&saved).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&fs::read(&saved).unwrap()).unwrap(),
        remote_state(&moto)
    );
    assert_eq!(
        skelc(&moto, &dir, &["run", "--auto-approve", "-var", "run=two"]).code,
        0
    );
    let current = get_object(&moto, KEY).unwrap();
    let push = skelc(&moto, &dir, &["state", "push", saved.to_str().unwrap()]);
    assert_eq!(push.code, 1, "{push:?}");
    assert!(push.stderr.contains("older"), "{push:?}");
    assert_eq!(get_object(&moto, KEY).unwrap(), current, "nothing written");

    let mut foreign: serde_json::Value = serde_json::from_slice(&current).unwrap();
    foreign["lineage"] = "another-lineage".into();
    foreign["serial"] = 99.into();
    let foreign_file = tmp.path().join("foreign.json");
    fs::write(&foreign_file, serde_json::to_vec(&foreign).unwrap()).unwrap();
    let push = skelc(
        &moto,
        &dir,
        &["state", "push", foreign_file.to_str().unwrap()],
    );
    assert_eq!(push.code, 1, "{push:?}");
    assert!(push.stderr.contains("another state"), "{push:?}");
    assert_eq!(get_object(&moto, KEY).unwrap(), current, "nothing written");

    // With --force the old version goes back, as the successor of the current one.
    let push = skelc(
        &moto,
        &dir,
        &["state", "push", "--force", saved.to_str().unwrap()],
    );
    assert_eq!(push.code, 0, "{push:?}");
    let state = remote_state(&moto);
    assert_eq!(
        state["resources"]["null_resource.gate"]["attributes"]["triggers"]["run"],
        "one"
    );
    let before: serde_json::Value = serde_json::from_slice(&current).unwrap();
    assert_eq!(
        state["serial"].as_u64().unwrap(),
        before["serial"].as_u64().unwrap() + 1
    );
}

#[test]
fn lock_false_reads_past_a_held_lock_and_only_for_reading() {
    let moto = Moto::start();
    create_bucket(&moto, BUCKET);
    let tmp = tempfile::tempdir().unwrap();
    let dir = working_copy(&moto, tmp.path(), "copy", GATE);
    assert_eq!(
        skelc(&moto, &dir, &["run", "--auto-approve", "-var", "run=one"]).code,
        0
    );
    // Someone (Terraform, here by its lock record) holds the lock.
    let lock_key = format!("{KEY}.tflock");
    let record = br#"{"ID":"tf-lock-1","Operation":"OperationTypeApply","Info":"","Who":"ana@ci","Version":"1.11.0","Created":"2026-12-01T10:00:00Z","Path":"team-state/app/state.json"}"#;
    put_object(&moto, &lock_key, record.to_vec());
    let plan = skelc(&moto, &dir, &["plan", "-var", "run=one"]);
    assert_eq!(plan.code, 1, "{plan:?}");
    assert!(
        plan.stderr.contains("ana@ci") && plan.stderr.contains("tf-lock-1"),
        "Terraform's lock is seen, its holder named: {plan:?}"
    );
    let plan = skelc(&moto, &dir, &["plan", "--lock=false", "-var", "run=one"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    assert!(plan.stdout.contains("No changes"), "{plan:?}");
    let run = skelc(
        &moto,
        &dir,
        &["run", "--lock=false", "--auto-approve", "-var", "run=two"],
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("only for commands that do not change"),
        "{run:?}"
    );
    assert_eq!(
        get_object(&moto, &lock_key).unwrap(),
        record.to_vec(),
        "untouched"
    );
}

#[test]
fn remote_state_reads_another_configurations_outputs_and_keeps_secrets_secret() {
    let moto = Moto::start();
    create_bucket(&moto, BUCKET);
    let tmp = tempfile::tempdir().unwrap();
    let secret = "s3cr3t-Remote-Value-42";
    let producer = working_copy(
        &moto,
        tmp.path(),
        "network",
        &format!(
            "variable \"pw\" {{\n  type = string\n  sensitive = true\n  default = \"{secret}\"\n}}\n\
             output \"vpc_id\" {{\n  value = \"vpc-${{skel.workspace}}\"\n}}\n\
             output \"pw\" {{\n  value = var.pw\n  sensitive = true\n}}\n"
        ),
    );
    assert_eq!(skelc(&moto, &producer, &["run", "--auto-approve"]).code, 0);
    assert_eq!(
        skelc(&moto, &producer, &["workspace", "new", "dev"]).code,
        0
    );
    assert_eq!(skelc(&moto, &producer, &["run", "--auto-approve"]).code, 0);

    let consumer = tmp.path().join("app");
    fs::create_dir_all(&consumer).unwrap();
    fs::write(
        consumer.join("main.skel"),
        format!(
            r#"
data "terraform_remote_state" "net" {{
  backend = "s3"
  config = {{
    bucket         = "{BUCKET}"
    key            = "{KEY}"
    region         = "us-east-1"
    use_path_style = true
  }}
}}

data "skel_remote_state" "dev" {{
  backend   = "s3"
  workspace = "dev"
  config = {{
    bucket         = "{BUCKET}"
    key            = "{KEY}"
    region         = "us-east-1"
    use_path_style = true
  }}
}}

output "vpc" {{
  value = data.terraform_remote_state.net.outputs.vpc_id
}}

output "dev_vpc" {{
  value = data.skel_remote_state.dev.outputs.vpc_id
}}

output "pw_length" {{
  value     = length(data.terraform_remote_state.net.outputs.pw)
  sensitive = true
}}

output "pw" {{
  value     = data.terraform_remote_state.net.outputs.pw
  sensitive = true
}}
"#
        ),
    )
    .unwrap();
    // Typed `any`: the checker reads no state (no endpoint is even set for it).
    let check = finish(
        Command::new(SKELC)
            .args(["check"])
            .current_dir(&consumer)
            .env_remove("AWS_ENDPOINT_URL")
            .output()
            .unwrap(),
    );
    assert_eq!(check.code, 0, "{check:?}");
    let mut outputs = String::new();
    for args in [
        vec!["plan"],
        vec!["run", "--auto-approve"],
        vec!["output"],
        vec!["show"],
        vec!["output", "-json"],
    ] {
        let run = skelc(&moto, &consumer, &args);
        assert_eq!(run.code, 0, "{args:?}: {run:?}");
        assert!(
            !run.stdout.contains(secret) && !run.stderr.contains(secret),
            "{args:?} printed the secret: {run:?}"
        );
        outputs.push_str(&run.stdout);
    }
    assert!(outputs.contains("vpc = \"vpc-default\""), "{outputs}");
    assert!(outputs.contains("dev_vpc = \"vpc-dev\""), "{outputs}");
    assert!(outputs.contains("(sensitive value)"), "{outputs}");
    let raw = skelc(&moto, &consumer, &["output", "-raw", "pw"]);
    assert_eq!(
        raw.stdout.trim_end(),
        secret,
        "asked for by name, it is the producer's value"
    );

    // A state that is not there, and a bad setting: errors naming them.
    fs::write(
        consumer.join("main.skel"),
        format!(
            "data \"skel_remote_state\" \"x\" {{\n  backend = \"s3\"\n  workspace = \"nope\"\n  \
             config = {{\n    bucket = \"{BUCKET}\"\n    key = \"{KEY}\"\n    region = \
             \"us-east-1\"\n    use_path_style = true\n  }}\n}}\n"
        ),
    )
    .unwrap();
    let plan = skelc(&moto, &consumer, &["plan"]);
    assert_eq!(plan.code, 1, "{plan:?}");
    assert!(
        plan.stderr
            .contains(&format!("s3://{BUCKET}/env:/nope/{KEY}")),
        "{plan:?}"
    );
}

/// With `"0"`, from now on moto checks every request's credentials against its IAM; with
/// `"inf"`, it stops checking (POST /moto-api/reset-auth: how many requests go unchecked).
fn moto_auth(moto: &Moto, unchecked: &str) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", moto.port())).unwrap();
    write!(
        stream,
        "POST /moto-api/reset-auth HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{unchecked}",
        unchecked.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[test]
fn denied_and_rejected_credentials_are_clear_errors_and_nothing_is_written() {
    let moto = Moto::start();
    create_bucket(&moto, BUCKET);
    // A user with no permission at all, made before moto starts checking.
    let (key_id, secret) = moto.with_sdk(|sdk| async move {
        let iam = aws_sdk_iam::Client::new(&sdk);
        iam.create_user().user_name("nobody").send().await.unwrap();
        let key = iam
            .create_access_key()
            .user_name("nobody")
            .send()
            .await
            .unwrap()
            .access_key
            .unwrap();
        (key.access_key_id, key.secret_access_key)
    });
    let tmp = tempfile::tempdir().unwrap();
    let dir = working_copy(
        &moto,
        tmp.path(),
        "copy",
        "resource \"null_resource\" \"x\" {}\n",
    );
    moto_auth(&moto, "0");

    let denied = finish(
        command(&moto, &dir, &["run", "--auto-approve"])
            .env("AWS_ACCESS_KEY_ID", &key_id)
            .env("AWS_SECRET_ACCESS_KEY", &secret)
            .output()
            .unwrap(),
    );
    assert_eq!(denied.code, 1, "{denied:?}");
    assert!(
        denied.stderr.contains("access denied")
            && denied
                .stderr
                .contains(&format!("s3://{BUCKET}/{KEY}.tflock")),
        "{denied:?}"
    );
    assert!(!denied.stderr.contains(&secret), "{denied:?}");

    let rejected = skelc(&moto, &dir, &["run", "--auto-approve"]);
    assert_eq!(rejected.code, 1, "{rejected:?}");
    assert!(
        rejected.stderr.contains("rejected the credentials")
            && rejected
                .stderr
                .contains(&format!("s3://{BUCKET}/{KEY}.tflock")),
        "{rejected:?}"
    );
    assert!(!rejected.stderr.contains("provider block"), "{rejected:?}");

    // Nothing was written: with checking off again, the bucket is as it was.
    moto_auth(&moto, "inf");
    assert_eq!(list(&moto, ""), Vec::<String>::new(), "nothing was written");
}

#[test]
fn an_encrypted_state_is_sealed_in_the_bucket_state_journal_and_all() {
    let moto = Moto::start();
    create_bucket(&moto, BUCKET);
    let tmp = tempfile::tempdir().unwrap();
    let body = r#"
variable "passphrase" {
  type      = string
  sensitive = true
}

skel {
  encryption {
    key_provider "pbkdf2" "k" {
      passphrase = var.passphrase
    }
    method "aes_gcm" "k" {
      keys = key_provider.pbkdf2.k
    }
    state {
      method = method.aes_gcm.k
    }
  }
}

resource "local_file" "f" {
  count    = 3
  filename = "${path.module}/f-${count.index}.txt"
  content  = "marker-plaintext-${count.index}"
}
"#;
    let dir = working_copy(&moto, tmp.path(), "copy", body);
    let pass = "correct horse battery staple 42";
    // Killed after a journal flush: the journal objects hold what the state would.
    let killed = finish(
        command(&moto, &dir, &["run", "--auto-approve"])
            .env("SKEL_VAR_passphrase", pass)
            .env("SKEL_FAULT", "engine:local_file:2:after")
            .output()
            .unwrap(),
    );
    assert_eq!(killed.code, -1, "{killed:?}");
    let journal = list(&moto, &format!("{KEY}.journal/"));
    assert!(!journal.is_empty(), "the journal is in the bucket");
    for key in &journal {
        let bytes = get_object(&moto, key).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains("marker-plaintext"),
            "{key} is not sealed: {text}"
        );
    }
    let with_pass = |args: &[&str]| {
        finish(
            command(&moto, &dir, args)
                .env("SKEL_VAR_passphrase", pass)
                .output()
                .unwrap(),
        )
    };
    let refused = with_pass(&["plan"]);
    let id = lock_id(&refused.stderr);
    assert_eq!(with_pass(&["force-unlock", &id, "--force"]).code, 0);
    let run = with_pass(&["run", "--auto-approve"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        list(&moto, &format!("{KEY}.journal/")).is_empty(),
        "recovered"
    );
    let object = get_object(&moto, KEY).unwrap();
    let text = String::from_utf8_lossy(&object);
    assert!(
        !text.contains("marker-plaintext") && !text.contains("local_file.f"),
        "{text}"
    );
    assert!(
        text.contains("\"encrypted_data\"") && text.contains("\"encryption_version\""),
        "an envelope: {text}"
    );
    // Without the passphrase nothing can be read, and nothing is overwritten.
    let plan = skelc(&moto, &dir, &["plan", "--input=false"]);
    assert_eq!(plan.code, 1, "{plan:?}");
    assert_eq!(get_object(&moto, KEY).unwrap(), object);
    let plan = finish(
        command(&moto, &dir, &["plan"])
            .env("SKEL_VAR_passphrase", pass)
            .output()
            .unwrap(),
    );
    assert!(plan.stdout.contains("No changes"), "{plan:?}");
}

fn dynamo(moto: &Moto) -> aws_sdk_dynamodb::Client {
    moto.with_sdk(|sdk| async move { aws_sdk_dynamodb::Client::new(&sdk) })
}

fn dynamo_item(moto: &Moto, lock_id: &str) -> Option<std::collections::HashMap<String, String>> {
    let client = dynamo(moto);
    let lock_id = lock_id.to_string();
    moto.with_sdk(|_| async move {
        let out = client
            .get_item()
            .table_name("locks")
            .key(
                "LockID",
                aws_sdk_dynamodb::types::AttributeValue::S(lock_id),
            )
            .send()
            .await
            .expect("get_item");
        out.item().map(|item| {
            item.iter()
                .filter_map(|(k, v)| v.as_s().ok().map(|s| (k.clone(), s.clone())))
                .collect()
        })
    })
}

#[test]
fn dynamodb_locks_beside_the_lock_file_for_older_terraform() {
    use md5::Digest;
    let moto = Moto::start();
    create_bucket(&moto, BUCKET);
    let client = dynamo(&moto);
    moto.with_sdk(|_| async move {
        use aws_sdk_dynamodb::types::{
            AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
        };
        client
            .create_table()
            .table_name("locks")
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name("LockID")
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .unwrap(),
            )
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name("LockID")
                    .key_type(KeyType::Hash)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .expect("create the table");
    });
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("copy");
    fs::create_dir_all(&dir).unwrap();
    fs::write(
        dir.join("main.skel"),
        format!(
            "skel {{\n  backend \"s3\" {{\n    bucket = \"{BUCKET}\"\n    key = \"{KEY}\"\n    \
             region = \"us-east-1\"\n    use_path_style = true\n    dynamodb_table = \
             \"locks\"\n  }}\n}}\n{GATE}"
        ),
    )
    .unwrap();
    assert_eq!(skelc(&moto, &dir, &["init"]).code, 0);
    let item_id = format!("{BUCKET}/{KEY}");

    // While a run holds the lock, both the lock file and the DynamoDB item name it.
    let child = command(&moto, &dir, &["run", "--auto-approve", "-var", "run=one"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let item = loop {
        if let Some(item) = dynamo_item(&moto, &item_id) {
            break item;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never locked in DynamoDB"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let file = get_object(&moto, &format!("{KEY}.tflock")).expect("the lock file too");
    let info: serde_json::Value = serde_json::from_str(&item["Info"]).unwrap();
    let file: serde_json::Value = serde_json::from_slice(&file).unwrap();
    assert_eq!(info["ID"], file["ID"], "one lock, two records");
    let run = finish(child.wait_with_output().unwrap());
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        dynamo_item(&moto, &item_id).is_none(),
        "released in DynamoDB"
    );
    assert!(
        get_object(&moto, &format!("{KEY}.tflock")).is_none(),
        "and in S3"
    );
    // The digest older Terraform versions check is the state's MD5.
    let state = get_object(&moto, KEY).unwrap();
    let digest: String = md5::Md5::digest(&state)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        dynamo_item(&moto, &format!("{item_id}-md5")).unwrap()["Digest"],
        digest
    );

    // An older Terraform holds only the DynamoDB lock: skel sees it and names the holder.
    let record = r#"{"ID":"old-tf-7","Operation":"OperationTypeApply","Info":"","Who":"bo@old-tf","Version":"1.5.7","Created":"2026-12-01T10:00:00Z","Path":"team-state/app/state.json"}"#;
    let client = dynamo(&moto);
    let id = item_id.clone();
    moto.with_sdk(|_| async move {
        client
            .put_item()
            .table_name("locks")
            .item("LockID", aws_sdk_dynamodb::types::AttributeValue::S(id))
            .item(
                "Info",
                aws_sdk_dynamodb::types::AttributeValue::S(record.to_string()),
            )
            .send()
            .await
            .unwrap();
    });
    let refused = skelc(&moto, &dir, &["run", "--auto-approve", "-var", "run=two"]);
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(
        refused.stderr.contains("bo@old-tf") && refused.stderr.contains("old-tf-7"),
        "{refused:?}"
    );
    assert!(
        get_object(&moto, &format!("{KEY}.tflock")).is_none(),
        "skel gave its S3 lock file back"
    );
    assert_eq!(get_object(&moto, KEY).unwrap(), state, "nothing written");
    let unlock = skelc(&moto, &dir, &["force-unlock", "old-tf-7", "--force"]);
    assert_eq!(unlock.code, 0, "{unlock:?}");
    assert!(dynamo_item(&moto, &item_id).is_none());

    // Killed between the two locks: recovered like any stale lock.
    let killed = finish(
        command(&moto, &dir, &["run", "--auto-approve", "-var", "run=two"])
            .env("SKEL_FAULT", "s3backend:DynamoPutItem:1:before")
            .output()
            .unwrap(),
    );
    assert_eq!(killed.code, -1, "{killed:?}");
    let refused = skelc(&moto, &dir, &["plan", "-var", "run=two"]);
    assert_eq!(refused.code, 1, "{refused:?}");
    let id = lock_id(&refused.stderr);
    assert_eq!(
        skelc(&moto, &dir, &["force-unlock", &id, "--force"]).code,
        0
    );
    let run = skelc(&moto, &dir, &["run", "--auto-approve", "-var", "run=two"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        remote_state(&moto)["resources"]["null_resource.gate"]["attributes"]["triggers"]["run"],
        "two"
    );
}
