//! The `kubernetes` backend through the real `skelc` against the Kubernetes stand-in
//! (`tests/support/kube-standin`): separate working copies sharing one state Secret. Concurrent
//! runs decided by the Lease (the losers name the holder), waiters served in turn by
//! `--lock-timeout`, SIGKILL mid-apply recovered from another working copy after
//! `force-unlock`, a writer that ignored the Lease refused by the resourceVersion, a state
//! larger than a Secret may hold written as chunks, workspaces, an encrypted state, another
//! configuration's outputs through `terraform_remote_state`, and bad input (a Lease held by
//! another identity, a corrupt state Secret, unknown arguments) refused with a message naming
//! the object and nothing overwritten.

use std::collections::BTreeSet;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine;
use serde_json::{json, Value as Json};
use skel_kube_standin::StandIn;

mod backend_support;
use backend_support::{
    files_body, finish, lock_id, replaced_value, run_all, Run, FILES, GATE, SKELC,
};

const SECRETS: &str = "/api/v1/namespaces/default/secrets";
const LEASES: &str = "/apis/coordination.k8s.io/v1/namespaces/default/leases";
const STATE_SECRET: &str = "tfstate-default-app";
const LEASE: &str = "lock-tfstate-default-app";
const LEASE_URL: &str = "k8s://default/leases/lock-tfstate-default-app";
const STATE_URL: &str = "k8s://default/secrets/tfstate-default-app";

/// A stand-in and a kubeconfig for it in a home directory of its own.
struct Cluster {
    standin: StandIn,
    home: tempfile::TempDir,
}

impl Cluster {
    fn start() -> Cluster {
        let standin = skel_kube_standin::start().expect("start the stand-in");
        let home = tempfile::tempdir().unwrap();
        standin
            .write_kubeconfig(&home.path().join("kubeconfig"), None)
            .unwrap();
        Cluster { standin, home }
    }

    fn kubeconfig(&self) -> PathBuf {
        self.home.path().join("kubeconfig")
    }

    fn call(&self, method: &str, path: &str, body: &Json) -> (u16, Json) {
        let body = if body.is_null() {
            String::new()
        } else {
            body.to_string()
        };
        skel_kube_standin::client::request(
            self.standin.url(),
            method,
            path,
            "application/json",
            &body,
        )
        .expect("a request to the stand-in")
    }

    fn get(&self, path: &str) -> Option<Json> {
        match self.call("GET", path, &Json::Null) {
            (200, body) => Some(body),
            (404, _) => None,
            (code, body) => panic!("GET {path}: {code} {body}"),
        }
    }

    /// The names of the Secrets carrying `label=true`.
    fn secrets_labelled(&self, label: &str) -> Vec<String> {
        let list = self
            .get(&format!("{SECRETS}?labelSelector={label}%3Dtrue"))
            .unwrap();
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["metadata"]["name"].as_str().unwrap().to_string())
            .collect()
    }

    /// The state as the backend stored it: the primary Secret's gzip piece and its chunks'.
    fn state(&self) -> Json {
        let primary = self
            .get(&format!("{SECRETS}/{STATE_SECRET}"))
            .expect("the state Secret");
        let mut gz = decode(&primary["data"]["tfstate"]);
        let chunks = primary["metadata"]["annotations"]["skel.dev/state-chunks"]
            .as_str()
            .unwrap_or_default();
        for chunk in chunks.split(',').filter(|c| !c.is_empty()) {
            let secret = self.get(&format!("{SECRETS}/{chunk}")).expect("a chunk");
            gz.extend(decode(&secret["data"]["tfstate"]));
        }
        let mut text = Vec::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_end(&mut text)
            .expect("gzip");
        serde_json::from_slice(&text).expect("the state is JSON")
    }

    fn lease_holder(&self) -> Option<String> {
        self.get(&format!("{LEASES}/{LEASE}"))
            .and_then(|l| l["spec"]["holderIdentity"].as_str().map(str::to_string))
    }
}

fn decode(value: &Json) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(value.as_str().unwrap_or_default())
        .expect("base64")
}

fn command(cluster: &Cluster, dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(SKELC);
    cmd.args(args)
        .current_dir(dir)
        .env("HOME", cluster.home.path())
        .env_remove("KUBECONFIG")
        .env("NO_COLOR", "1")
        .env_remove("SKEL_FAULT")
        .env_remove("SKEL_WORKSPACE")
        .env_remove("TF_WORKSPACE")
        .stdin(Stdio::null());
    cmd
}

fn skelc(cluster: &Cluster, dir: &Path, args: &[&str]) -> Run {
    finish(command(cluster, dir, args).output().expect("skelc runs"))
}

/// A working copy of a root module whose state is the Secret `tfstate-default-app`,
/// initialized (the kubeconfig comes from the command line: partial configuration).
fn working_copy(cluster: &Cluster, root: &Path, name: &str, body: &str) -> PathBuf {
    let dir = root.join(name);
    fs::create_dir_all(&dir).unwrap();
    fs::write(
        dir.join("main.skel"),
        format!(
            "skel {{\n  backend \"kubernetes\" {{\n    secret_suffix = \"app\"\n    labels = {{\n      \
             team = \"platform\"\n    }}\n  }}\n}}\n\n{body}"
        ),
    )
    .unwrap();
    let init = skelc(
        cluster,
        &dir,
        &[
            "init",
            &format!(
                "-backend-config=config_path={}",
                cluster.kubeconfig().display()
            ),
        ],
    );
    assert_eq!(init.code, 0, "{init:?}");
    assert!(
        init.stdout
            .contains("Lease default/lock-tfstate-default-app"),
        "{init:?}"
    );
    dir
}

fn spawn_all(
    cluster: &Cluster,
    copies: &[PathBuf],
    args: &dyn Fn(usize) -> Vec<String>,
) -> Vec<Run> {
    run_all(
        copies
            .iter()
            .enumerate()
            .map(|(i, dir)| {
                let args = args(i);
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                command(cluster, dir, &args)
            })
            .collect(),
    )
}

#[test]
fn concurrent_runs_are_decided_by_the_lease_and_waiters_each_get_their_turn() {
    let cluster = Cluster::start();
    let tmp = tempfile::tempdir().unwrap();
    let copies: Vec<PathBuf> = (0..4)
        .map(|i| working_copy(&cluster, tmp.path(), &format!("copy{i}"), GATE))
        .collect();

    // Round 1: four runs at once, no waiting. Each holds the Lease for at least the 2 s of its
    // provisioner, far longer than the others take to start: exactly one can win.
    let runs = spawn_all(&cluster, &copies, &|i| {
        vec![
            "run".into(),
            "--auto-approve".into(),
            "-var".into(),
            format!("run=a{i}"),
        ]
    });
    let winners: Vec<usize> = (0..4).filter(|i| runs[*i].code == 0).collect();
    assert_eq!(winners.len(), 1, "exactly one winner: {runs:#?}");
    let winner = winners[0];
    for (i, run) in runs.iter().enumerate().filter(|(i, _)| *i != winner) {
        assert_eq!(run.code, 1, "copy {i}: {run:?}");
        assert!(
            run.stderr.contains("the state is locked by")
                && run.stderr.contains(LEASE_URL)
                && run.stderr.contains("for `run`")
                && run.stderr.contains("pid "),
            "the loser names the holder and the Lease: {run:?}"
        );
    }
    let state = cluster.state();
    assert_eq!(
        state["resources"]["null_resource.gate"]["attributes"]["triggers"]["run"],
        format!("a{winner}"),
        "the state is the winner's"
    );
    let serial_after_round_1 = state["serial"].as_u64().unwrap();
    assert_eq!(cluster.lease_holder(), None, "released");
    // Terraform's labels, and the block's own.
    let secret = cluster.get(&format!("{SECRETS}/{STATE_SECRET}")).unwrap();
    let labels = &secret["metadata"]["labels"];
    assert_eq!(labels["tfstate"], "true");
    assert_eq!(labels["tfstateSecretSuffix"], "app");
    assert_eq!(labels["tfstateWorkspace"], "default");
    assert_eq!(labels["app.kubernetes.io/managed-by"], "terraform");
    assert_eq!(labels["team"], "platform");

    // Round 2: four runs at once, each waiting for the Lease: all succeed, one after another,
    // and each replaces what the one before it applied.
    let runs = spawn_all(&cluster, &copies, &|i| {
        vec![
            "run".into(),
            "--auto-approve".into(),
            "--lock-timeout".into(),
            "120s".into(),
            "-var".into(),
            format!("run=b{i}"),
        ]
    });
    for (i, run) in runs.iter().enumerate() {
        assert_eq!(run.code, 0, "copy {i} waited and ran: {run:?}");
    }
    let waited = runs.iter().filter(|r| r.stderr.contains("waiting")).count();
    assert!(waited >= 3, "three of them had to wait: {runs:#?}");
    let mut seen_before: BTreeSet<String> = BTreeSet::new();
    for run in &runs {
        seen_before.insert(
            replaced_value(&run.stdout)
                .unwrap_or_else(|| panic!("the plan shows the value it replaces: {run:?}")),
        );
    }
    let state = cluster.state();
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
    assert_eq!(cluster.lease_holder(), None, "released");
    eprintln!(
        "kubernetes backend concurrency: round 1: 4 processes, 1 winner (copy {winner}), 3 \
         refused naming the Lease's holder; round 2 (--lock-timeout 120s): 4 processes, 4 \
         succeeded, {waited} waited; serial {serial_after_round_1} after round 1, \
         {final_serial} at the end"
    );
}

/// Kill a run at `fault`, then recover from another working copy: every file on disk is in the
/// state exactly once, no journal Secret is left, the Lease is free, the next plan is empty.
fn kill_and_recover(cluster: &Cluster, root: &Path, fault: &str) {
    let out = root.join("out");
    fs::create_dir_all(&out).unwrap();
    let a = working_copy(cluster, root, "a", &files_body(&out));
    let b = working_copy(cluster, root, "b", &files_body(&out));
    let killed = finish(
        command(cluster, &a, &["run", "--auto-approve"])
            .env("SKEL_FAULT", fault)
            .output()
            .unwrap(),
    );
    assert_eq!(killed.code, -1, "{fault}: killed by SIGKILL: {killed:?}");

    // The other working copy: the Lease is held by a process gone from this host: stale, with
    // the exact force-unlock command.
    let refused = skelc(cluster, &b, &["plan"]);
    assert_eq!(refused.code, 1, "{fault}: {refused:?}");
    assert!(
        refused.stderr.contains("stale")
            && refused.stderr.contains(LEASE_URL)
            && refused.stderr.contains("force-unlock"),
        "{fault}: {refused:?}"
    );
    let id = lock_id(&refused.stderr);
    assert_eq!(
        cluster.lease_holder().as_deref(),
        Some(id.as_str()),
        "{fault}"
    );
    let unlocked = skelc(cluster, &b, &["force-unlock", &id, "-force"]);
    assert_eq!(unlocked.code, 0, "{fault}: {unlocked:?}");
    assert_eq!(cluster.lease_holder(), None, "{fault}");
    if fault.starts_with("engine:") {
        assert!(
            !cluster.secrets_labelled("skel.dev/journal").is_empty(),
            "{fault}: the killed run's journal is in the cluster"
        );
    }
    let recovered = skelc(cluster, &b, &["run", "--auto-approve"]);
    assert_eq!(recovered.code, 0, "{fault}: {recovered:?}");

    let state = cluster.state();
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
    assert_eq!(
        cluster.secrets_labelled("skel.dev/journal"),
        Vec::<String>::new(),
        "{fault}: no journal Secret left"
    );
    assert_eq!(cluster.lease_holder(), None, "{fault}");
    let plan = skelc(cluster, &a, &["plan"]);
    assert_eq!(plan.code, 0, "{fault}: {plan:?}");
    assert!(plan.stdout.contains("No changes"), "{fault}: {plan:?}");
}

#[test]
fn a_run_killed_mid_apply_is_recovered_from_another_working_copy() {
    // The engine's point (after a file is written, before its result is journaled), the
    // backend's own Secret writes (journal flushes, state checkpoints) before and after the API
    // server has them, the removal of the journal when the run is done, and the Lease's
    // release.
    for fault in [
        "engine:local_file:9:after",
        "engine:local_file:1:after",
        "kubebackend:WriteSecret:1:after",
        "kubebackend:WriteSecret:3:before",
        "kubebackend:WriteSecret:3:after",
        "kubebackend:DeleteSecret:1:before",
        "kubebackend:DeleteSecret:2:after",
        "kubebackend:ReleaseLease:1:before",
    ] {
        let cluster = Cluster::start();
        let tmp = tempfile::tempdir().unwrap();
        kill_and_recover(&cluster, tmp.path(), fault);
    }
}

/// `n` bytes of text that gzip cannot shrink much (base64 of a hash chain).
fn incompressible(seed: &str, n: usize) -> String {
    use sha2::{Digest, Sha256};
    let mut bytes = Vec::with_capacity(n);
    let mut block = Sha256::digest(seed.as_bytes());
    while bytes.len() < n * 3 / 4 {
        bytes.extend_from_slice(&block);
        block = Sha256::digest(block);
    }
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[test]
fn a_state_larger_than_a_secret_round_trips_through_chunks() {
    let cluster = Cluster::start();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    fs::create_dir_all(&out).unwrap();
    let body = format!(
        r#"
resource "local_file" "big" {{
  filename = "{}/big.txt"
  content  = file("${{path.module}}/blob.txt")
}}
"#,
        out.display()
    );
    let a = working_copy(&cluster, tmp.path(), "a", &body);
    let b = working_copy(&cluster, tmp.path(), "b", &body);
    // 2.5 MB of content: about 1.9 MB gzipped, more than one Secret may hold.
    let blob = incompressible("one", 2_500_000);
    fs::write(a.join("blob.txt"), &blob).unwrap();
    fs::write(b.join("blob.txt"), &blob).unwrap();
    let run = skelc(&cluster, &a, &["run", "--auto-approve"]);
    assert_eq!(run.code, 0, "{run:?}");
    let chunks = cluster.secrets_labelled("skel.dev/state-chunk");
    assert_eq!(chunks.len(), 1, "chunked: {chunks:?}");
    let primary = cluster.get(&format!("{SECRETS}/{STATE_SECRET}")).unwrap();
    let listed: Vec<&str> = primary["metadata"]["annotations"]["skel.dev/state-chunks"]
        .as_str()
        .unwrap()
        .split(',')
        .collect();
    assert_eq!(
        listed.iter().copied().collect::<BTreeSet<_>>(),
        chunks.iter().map(String::as_str).collect::<BTreeSet<_>>(),
        "the primary lists exactly the chunks"
    );
    let state = cluster.state();
    assert_eq!(
        state["resources"]["local_file.big"]["attributes"]["content"]
            .as_str()
            .map(str::len),
        Some(blob.len()),
        "the whole content is in the state"
    );

    // Read back whole by the other working copy: nothing to change.
    let plan = skelc(&cluster, &b, &["plan"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    assert!(plan.stdout.contains("No changes"), "{plan:?}");

    // Another large state replaces the chunks: the old ones are deleted after the commit.
    let blob2 = incompressible("two", 2_500_000);
    fs::write(b.join("blob.txt"), &blob2).unwrap();
    let run = skelc(&cluster, &b, &["run", "--auto-approve"]);
    assert_eq!(run.code, 0, "{run:?}");
    let after = cluster.secrets_labelled("skel.dev/state-chunk");
    assert!(
        after.len() == 1 && after.iter().all(|c| !chunks.contains(c)),
        "new chunks only: before {chunks:?}, after {after:?}"
    );
    assert_eq!(
        cluster.state()["resources"]["local_file.big"]["attributes"]["content"]
            .as_str()
            .map(str::len),
        Some(blob2.len())
    );

    // Small again: one Secret, no chunks.
    fs::write(b.join("blob.txt"), "small").unwrap();
    let run = skelc(&cluster, &b, &["run", "--auto-approve"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        cluster.secrets_labelled("skel.dev/state-chunk"),
        Vec::<String>::new()
    );
    let primary = cluster.get(&format!("{SECRETS}/{STATE_SECRET}")).unwrap();
    assert!(primary["metadata"]["annotations"]["skel.dev/state-chunks"].is_null());
    assert_eq!(
        cluster.state()["resources"]["local_file.big"]["attributes"]["content"],
        "small"
    );
}

#[test]
fn bad_input_is_refused_naming_the_object_and_nothing_is_overwritten() {
    let cluster = Cluster::start();
    let tmp = tempfile::tempdir().unwrap();
    let dir = working_copy(
        &cluster,
        tmp.path(),
        "copy",
        "resource \"null_resource\" \"x\" {}\n",
    );

    // A Lease another identity holds (a hand-made one, or another controller's), last renewed
    // long ago: refused, naming the Lease and its holder, and left alone.
    let lease = json!({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
        "metadata": {"name": LEASE},
        "spec": {"holderIdentity": "ci-runner-7", "leaseDurationSeconds": 60,
            "acquireTime": "2026-01-01T10:00:00.000000Z",
            "renewTime": "2026-01-01T10:00:00.000000Z"}});
    assert_eq!(cluster.call("POST", LEASES, &lease).0, 201);
    let before = cluster.get(&format!("{LEASES}/{LEASE}")).unwrap();
    let run = skelc(&cluster, &dir, &["run", "--auto-approve"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains(LEASE_URL)
            && run.stderr.contains("ci-runner-7")
            && run.stderr.contains("last renewed")
            && run.stderr.contains("skelc force-unlock ci-runner-7"),
        "{run:?}"
    );
    assert_eq!(
        cluster.get(&format!("{LEASES}/{LEASE}")).unwrap(),
        before,
        "the Lease is untouched"
    );
    assert!(
        cluster.get(&format!("{SECRETS}/{STATE_SECRET}")).is_none(),
        "nothing written"
    );
    // A wrong id is refused; the holder's own id releases it.
    let wrong = skelc(&cluster, &dir, &["force-unlock", "someone-else", "-force"]);
    assert_eq!(wrong.code, 1, "{wrong:?}");
    assert_eq!(cluster.lease_holder().as_deref(), Some("ci-runner-7"));
    let unlocked = skelc(&cluster, &dir, &["force-unlock", "ci-runner-7", "-force"]);
    assert_eq!(unlocked.code, 0, "{unlocked:?}");
    assert_eq!(cluster.lease_holder(), None);

    // A Lease whose lock annotation is not a lock record: unreadable, by name, left alone.
    // (Released with no state, the Lease was deleted: it is made anew.)
    assert_eq!(cluster.get(&format!("{LEASES}/{LEASE}")), None);
    let held = json!({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
        "metadata": {"name": LEASE,
            "annotations": {"app.terraform.io/lock-info": "held by bob"}},
        "spec": {"holderIdentity": "bob"}});
    let (code, held) = cluster.call("POST", LEASES, &held);
    assert_eq!(code, 201, "{held}");
    let run = skelc(&cluster, &dir, &["run", "--auto-approve"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains(LEASE_URL) && run.stderr.contains("cannot be read"),
        "{run:?}"
    );
    assert_eq!(cluster.get(&format!("{LEASES}/{LEASE}")).unwrap(), held);
    let (code, _) = cluster.call("DELETE", &format!("{LEASES}/{LEASE}"), &Json::Null);
    assert_eq!(code, 200);

    // A state Secret that is not gzip, then gzip of something that is not a state.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, b"{ not json").unwrap();
    let gzipped_garbage = gz.finish().unwrap();
    for (bytes, says) in [
        (b"plain text".to_vec(), "not gzip"),
        (gzipped_garbage, "is corrupt"),
    ] {
        let _ = cluster.call("DELETE", &format!("{SECRETS}/{STATE_SECRET}"), &Json::Null);
        let secret = json!({"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": STATE_SECRET},
            "data": {"tfstate": base64::engine::general_purpose::STANDARD.encode(&bytes)}});
        assert_eq!(cluster.call("POST", SECRETS, &secret).0, 201);
        let stored = cluster.get(&format!("{SECRETS}/{STATE_SECRET}")).unwrap();
        let run = skelc(&cluster, &dir, &["run", "--auto-approve"]);
        assert_eq!(run.code, 1, "{run:?}");
        assert!(
            run.stderr.contains(STATE_URL) && run.stderr.contains(says),
            "{says}: {run:?}"
        );
        assert_eq!(
            cluster.get(&format!("{SECRETS}/{STATE_SECRET}")).unwrap(),
            stored,
            "left untouched"
        );
        assert_eq!(cluster.lease_holder(), None, "the Lease was released");
    }

    // Arguments skelc does not know, and a missing secret_suffix: refused by name at init.
    let other = tmp.path().join("other");
    fs::create_dir_all(&other).unwrap();
    fs::write(
        other.join("main.skel"),
        "skel {\n  backend \"kubernetes\" {\n    secret_suffix = \"app\"\n  }\n}\n",
    )
    .unwrap();
    let init = skelc(&cluster, &other, &["init", "-backend-config=bucket=state"]);
    assert_eq!(init.code, 1, "{init:?}");
    assert!(
        init.stderr.contains("unsupported argument `bucket`")
            && init.stderr.contains("secret_suffix"),
        "{init:?}"
    );
    fs::write(
        other.join("main.skel"),
        "skel {\n  backend \"kubernetes\" {\n    namespace = \"ops\"\n  }\n}\n",
    )
    .unwrap();
    let init = skelc(&cluster, &other, &["init"]);
    assert_eq!(init.code, 1, "{init:?}");
    assert!(
        init.stderr.contains("`secret_suffix` is required"),
        "{init:?}"
    );
}

#[test]
fn a_writer_that_ignored_the_lease_is_refused_by_the_resource_version() {
    let cluster = Cluster::start();
    let tmp = tempfile::tempdir().unwrap();
    let dir = working_copy(&cluster, tmp.path(), "copy", GATE);
    let first = skelc(
        &cluster,
        &dir,
        &["run", "--auto-approve", "-var", "run=one"],
    );
    assert_eq!(first.code, 0, "{first:?}");

    // While a run holds the Lease (in its 2 s provisioner), someone who ignores locks (say,
    // Terraform with -lock=false) replaces the state Secret.
    let child = command(
        &cluster,
        &dir,
        &["run", "--auto-approve", "-var", "run=two"],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while cluster.lease_holder().is_none() {
        assert!(std::time::Instant::now() < deadline, "the run never locked");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let mut intruder = cluster.state();
    intruder["serial"] = json!(intruder["serial"].as_u64().unwrap() + 5);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, &serde_json::to_vec(&intruder).unwrap()).unwrap();
    let mut secret = cluster.get(&format!("{SECRETS}/{STATE_SECRET}")).unwrap();
    secret["data"]["tfstate"] =
        json!(base64::engine::general_purpose::STANDARD.encode(gz.finish().unwrap()));
    let (code, _) = cluster.call("PUT", &format!("{SECRETS}/{STATE_SECRET}"), &secret);
    assert_eq!(code, 200);

    let run = finish(child.wait_with_output().unwrap());
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("was written by someone else") && run.stderr.contains(STATE_URL),
        "{run:?}"
    );
    assert_eq!(
        cluster.state(),
        intruder,
        "the other writer's state was not overwritten"
    );
}

#[test]
fn workspaces_have_a_state_secret_each() {
    let cluster = Cluster::start();
    let tmp = tempfile::tempdir().unwrap();
    let dir = working_copy(
        &cluster,
        tmp.path(),
        "copy",
        "resource \"null_resource\" \"x\" {\n  triggers = { ws = skel.workspace }\n}\n",
    );
    let run = skelc(&cluster, &dir, &["run", "--auto-approve"]);
    assert_eq!(run.code, 0, "{run:?}");
    let new = skelc(&cluster, &dir, &["workspace", "new", "dev"]);
    assert_eq!(new.code, 0, "{new:?}");
    let run = skelc(&cluster, &dir, &["run", "--auto-approve"]);
    assert_eq!(run.code, 0, "{run:?}");
    let dev = cluster
        .get(&format!("{SECRETS}/tfstate-dev-app"))
        .expect("the dev workspace's Secret");
    assert_eq!(dev["metadata"]["labels"]["tfstateWorkspace"], "dev");
    let list = skelc(&cluster, &dir, &["workspace", "list"]);
    assert_eq!(list.code, 0, "{list:?}");
    assert!(
        list.stdout.contains("  default") && list.stdout.contains("* dev"),
        "{list:?}"
    );
    assert_eq!(
        cluster.state()["resources"]["null_resource.x"]["attributes"]["triggers"]["ws"],
        "default",
        "the default state is its own"
    );

    // A workspace name a Secret cannot carry is refused before any write.
    let bad = skelc(&cluster, &dir, &["workspace", "new", "Feature_1"]);
    assert_eq!(bad.code, 1, "{bad:?}");
    assert!(bad.stderr.contains("tfstate-Feature_1-app"), "{bad:?}");

    // Deleting a workspace with resources needs --force; then its Secret and Lease are gone.
    assert_eq!(
        skelc(&cluster, &dir, &["workspace", "select", "default"]).code,
        0
    );
    let refused = skelc(&cluster, &dir, &["workspace", "delete", "dev"]);
    assert_eq!(refused.code, 1, "{refused:?}");
    let deleted = skelc(&cluster, &dir, &["workspace", "delete", "dev", "--force"]);
    assert_eq!(deleted.code, 0, "{deleted:?}");
    assert!(cluster.get(&format!("{SECRETS}/tfstate-dev-app")).is_none());
    assert!(cluster
        .get(&format!("{LEASES}/lock-tfstate-dev-app"))
        .is_none());
    assert!(cluster.get(&format!("{SECRETS}/{STATE_SECRET}")).is_some());
}

fn gunzip(bytes: &[u8]) -> String {
    let mut text = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut text)
        .expect("gzip");
    String::from_utf8_lossy(&text).into_owned()
}

#[test]
fn an_encrypted_state_is_sealed_in_the_secrets_state_journal_and_all() {
    let cluster = Cluster::start();
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
    let dir = working_copy(&cluster, tmp.path(), "copy", body);
    let pass = "correct horse battery staple 42";
    let with_pass = |args: &[&str], fault: Option<&str>| {
        let mut cmd = command(&cluster, &dir, args);
        cmd.env("SKEL_VAR_passphrase", pass);
        if let Some(fault) = fault {
            cmd.env("SKEL_FAULT", fault);
        }
        finish(cmd.output().unwrap())
    };
    // Killed after a journal flush: the journal Secrets hold what the state would.
    let killed = with_pass(
        &["run", "--auto-approve"],
        Some("engine:local_file:2:after"),
    );
    assert_eq!(killed.code, -1, "{killed:?}");
    let journal = cluster.secrets_labelled("skel.dev/journal");
    assert!(!journal.is_empty(), "the journal is in the cluster");
    for name in &journal {
        let secret = cluster.get(&format!("{SECRETS}/{name}")).unwrap();
        let text = gunzip(&decode(&secret["data"]["journal"]));
        assert!(
            !text.contains("marker-plaintext"),
            "{name} is not sealed: {text}"
        );
    }
    let refused = with_pass(&["plan"], None);
    let id = lock_id(&refused.stderr);
    assert_eq!(with_pass(&["force-unlock", &id, "--force"], None).code, 0);
    let run = with_pass(&["run", "--auto-approve"], None);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        cluster.secrets_labelled("skel.dev/journal").is_empty(),
        "recovered"
    );
    let secret = cluster.get(&format!("{SECRETS}/{STATE_SECRET}")).unwrap();
    let text = gunzip(&decode(&secret["data"]["tfstate"]));
    assert!(
        !text.contains("marker-plaintext") && !text.contains("local_file.f"),
        "{text}"
    );
    assert!(
        text.contains("\"encrypted_data\"") && text.contains("\"encryption_version\""),
        "an envelope: {text}"
    );
    // Without the passphrase nothing can be read, and nothing is overwritten.
    let plan = skelc(&cluster, &dir, &["plan", "--input=false"]);
    assert_eq!(plan.code, 1, "{plan:?}");
    assert_eq!(
        cluster.get(&format!("{SECRETS}/{STATE_SECRET}")).unwrap(),
        secret
    );
    let plan = with_pass(&["plan"], None);
    assert!(plan.stdout.contains("No changes"), "{plan:?}");
}

#[test]
fn another_configuration_reads_the_outputs_through_skel_remote_state() {
    let cluster = Cluster::start();
    let tmp = tempfile::tempdir().unwrap();
    let producer = working_copy(
        &cluster,
        tmp.path(),
        "network",
        "output \"vpc_id\" {\n  value = \"vpc-0abc\"\n}\n",
    );
    let run = skelc(&cluster, &producer, &["run", "--auto-approve"]);
    assert_eq!(run.code, 0, "{run:?}");
    let secret = cluster.get(&format!("{SECRETS}/{STATE_SECRET}")).unwrap();
    let consumer = tmp.path().join("app");
    fs::create_dir_all(&consumer).unwrap();
    fs::write(
        consumer.join("main.tf"),
        format!(
            "data \"terraform_remote_state\" \"net\" {{\n  backend = \"kubernetes\"\n  config = \
             {{\n    secret_suffix = \"app\"\n    config_path   = \"{}\"\n  }}\n}}\n\noutput \
             \"vpc\" {{\n  value = data.terraform_remote_state.net.outputs.vpc_id\n}}\n",
            cluster.kubeconfig().display()
        ),
    )
    .unwrap();
    let run = skelc(&cluster, &consumer, &["run", "--auto-approve"]);
    assert_eq!(run.code, 0, "{run:?}");
    let output = skelc(&cluster, &consumer, &["output", "-raw", "vpc"]);
    assert_eq!(output.stdout.trim(), "vpc-0abc", "{output:?}");
    // Reading writes nothing: the producer's state Secret is as it was, the Lease free.
    assert_eq!(
        cluster.get(&format!("{SECRETS}/{STATE_SECRET}")).unwrap(),
        secret
    );
    assert_eq!(cluster.lease_holder(), None);
}
