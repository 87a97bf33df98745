//! Crashes and Ctrl-C through a provider plugin, with the real `hashicorp/null` 2.1.2 plugin
//! (`scripts/terraform-install`'s filesystem mirror).
//!
//! `skelc run` is SIGKILLed (`SKEL_FAULT`, see `runtime/provider/src/fault.rs`) right before and
//! right after every `ApplyResourceChange` of a create, of a replacement forced by `triggers`
//! (null has no update in place: a delete, then a create) and of a destroy. The next `skelc
//! plan` recovers: an in-doubt delete is read back through the plugin (`ReadResource`), an
//! in-doubt create — whose id the plugin never returned, so it cannot be looked up — is
//! recorded as not created and reported by address; the journal goes. Then `run` converges and
//! the plan after it is a no-op. No plugin process outlives the killed `skelc`
//! (`PR_SET_PDEATHSIG`), and no temporary directory of the killed run is left once the next
//! command has started a plugin.
//!
//! Ctrl-C: SIGINT while an `ApplyResourceChange` is in flight (held there by `SKEL_FAULT_PAUSE`)
//! stops the run gracefully: `StopProvider` is sent, the call in flight finishes and is
//! recorded, nothing new starts, exit 1 with a clear message; the next `run` finishes the rest.

mod cli_support;
mod crash_support;
mod plugin_support;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crash_support::{copy_dir, points, Out, SKELC};
use plugin_support::{mirror_rc, null_config, tf_home, NULL_SOURCE};
use serde_json::Value;

/// Two instances, so one's create can be in doubt while the other's is recorded.
fn body(triggers: &str) -> String {
    format!(
        "resource \"null_resource\" \"n\" {{\n  count    = 2\n  triggers = {{ v = \"{triggers}\", i = count.index }}\n}}\n"
    )
}

const INSTANCES: [&str; 2] = ["null_resource.n[0]", "null_resource.n[1]"];

/// One test's directories and environment: the project, and a `TMPDIR` of its own, where the
/// plugins' temporary directories go.
struct Bench {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    tmpdir: PathBuf,
    env: Vec<(String, String)>,
}

impl Bench {
    fn new() -> Bench {
        let tmp = tempfile::tempdir().expect("tempdir");
        let root = tmp.path().to_path_buf();
        let tmpdir = root.join("tmp");
        std::fs::create_dir_all(&tmpdir).unwrap();
        let rc = mirror_rc(&root, &tf_home().join("plugins"));
        let env = vec![
            ("SKEL_CLI_CONFIG_FILE".to_string(), rc),
            ("TMPDIR".to_string(), tmpdir.display().to_string()),
        ];
        Bench {
            _tmp: tmp,
            root,
            tmpdir,
            env,
        }
    }

    /// A project directory `name` with `main.tf`, initialized.
    fn project(&self, name: &str, main_tf: &str) -> PathBuf {
        let dir = self.root.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("main.tf"), main_tf).unwrap();
        let init = self.skelc(&dir, &["init"], &[]);
        assert!(init.1.ok(), "init: {:?}", init.1);
        dir
    }

    /// `skelc ARGS` in `dir` with `extra` environment; its pid and what it did.
    fn skelc(&self, dir: &Path, args: &[&str], extra: &[(&str, &str)]) -> (u32, Out) {
        let child = self.command(dir, args, extra).spawn().expect("skelc runs");
        let pid = child.id();
        let output = child.wait_with_output().expect("skelc ends");
        let out = Out {
            code: output.status.code(),
            signal: output.status.signal(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        };
        assert_ne!(out.code, Some(101), "skelc panicked: {out:?}");
        (pid, out)
    }

    fn command(&self, dir: &Path, args: &[&str], extra: &[(&str, &str)]) -> Command {
        let mut cmd = Command::new(SKELC);
        cmd.args(args)
            .current_dir(dir)
            .env("NO_COLOR", "1")
            .env_remove("SKEL_FAULT")
            .env_remove("SKEL_FAULT_LOG")
            .env_remove("SKEL_FAULT_PAUSE")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        for (k, v) in extra {
            cmd.env(k, v);
        }
        cmd
    }

    /// What `TMPDIR` holds (names), for the checks that nothing is left there.
    fn tmp_entries(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.tmpdir)
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }
}

/// The plugin executable `skelc init` installed in `dir`.
fn installed_plugin(dir: &Path) -> PathBuf {
    let pkg = dir.join(".skel/providers/registry.terraform.io/hashicorp/null/2.1.2/linux_amd64");
    std::fs::read_dir(&pkg)
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

/// The pids of the processes running `exe` (from /proc; a zombie has no `exe` link).
fn processes_of(exe: &Path) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        panic!("no /proc: the test counts plugin processes there");
    };
    entries
        .filter_map(|e| e.ok())
        .filter(|e| std::fs::read_link(e.path().join("exe")).is_ok_and(|p| p == exe))
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .collect()
}

/// Waits (at most 10 s) until no process runs `exe`; the pids left otherwise.
fn no_process_of(exe: &Path) -> Result<(), String> {
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        let left = processes_of(exe);
        if left.is_empty() {
            return Ok(());
        }
        if Instant::now() > until {
            return Err(format!(
                "plugin processes still running after 10 s: {left:?}"
            ));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The state file's resources: address → attributes.
fn state_resources(dir: &Path) -> Result<serde_json::Map<String, Value>, String> {
    let text = std::fs::read_to_string(dir.join("skel.state.json"))
        .map_err(|e| format!("reading the state: {e}"))?;
    let state: Value = serde_json::from_str(&text).map_err(|e| format!("the state: {e}"))?;
    let resources = state["resources"].as_object().cloned().unwrap_or_default();
    Ok(resources
        .into_iter()
        .map(|(addr, r)| (addr, r["attributes"].clone()))
        .collect())
}

/// The journal's calls without a result: (address, action).
fn in_doubt(dir: &Path) -> Result<Vec<(String, String)>, String> {
    let text = std::fs::read_to_string(dir.join("skel.state.journal"))
        .map_err(|e| format!("the killed run left no journal: {e}"))?;
    let entries: Vec<Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let done: BTreeSet<u64> = entries
        .iter()
        .filter(|e| e["kind"] == "result")
        .filter_map(|e| e["seq"].as_u64())
        .collect();
    Ok(entries
        .iter()
        .filter(|e| e["kind"] == "intent")
        .filter(|e| e["seq"].as_u64().is_some_and(|s| !done.contains(&s)))
        .map(|e| {
            (
                e["addr"].as_str().unwrap_or_default().to_string(),
                e["action"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect())
}

/// The addresses recovery reported as creates the plugin cannot tell about.
fn reported_unverified(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter(|l| l.contains("which cannot say whether it made an object"))
        .filter_map(|l| {
            let rest = l.trim().strip_prefix("warning: ")?;
            Some(rest.split(": ").next()?.to_string())
        })
        .collect()
}

/// Kills `run --auto-approve` in a copy of `pristine` at every plugin `ApplyResourceChange`
/// point a clean run passes (at least `min_points`), and checks each recovery.
fn kill_at_every_plugin_call(bench: &Bench, pristine: &Path, main_tf: &str, min_points: usize) {
    let clean = bench.root.join(format!(
        "{}-clean",
        pristine.file_name().unwrap().to_string_lossy()
    ));
    let _ = std::fs::remove_dir_all(&clean);
    copy_dir(pristine, &clean);
    std::fs::write(clean.join("main.tf"), main_tf).unwrap();
    let log = clean.join("faults.log");
    let log_text = log.display().to_string();
    let (_, out) = bench.skelc(
        &clean,
        &["run", "--auto-approve"],
        &[("SKEL_FAULT_LOG", &log_text)],
    );
    assert!(out.ok(), "the clean run failed: {out:?}");
    let all: Vec<_> = points(&std::fs::read_to_string(&log).expect("fault log"))
        .into_iter()
        .filter(|p| p.key.starts_with("plugin:ApplyResourceChange:"))
        .collect();
    assert!(
        all.len() >= min_points,
        "expected at least {min_points} plugin points: {all:?}"
    );
    let mut failures = Vec::new();
    for point in &all {
        let dir = bench.root.join("point");
        let _ = std::fs::remove_dir_all(&dir);
        copy_dir(pristine, &dir);
        std::fs::write(dir.join("main.tf"), main_tf).unwrap();
        if let Err(e) = killed_and_recovered(bench, &dir, &point.fault(), main_tf) {
            failures.push(format!("{}: {e}", point.fault()));
        }
    }
    eprintln!(
        "{}: {} kill points, {} recovered",
        pristine.display(),
        all.len(),
        all.len() - failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

fn killed_and_recovered(
    bench: &Bench,
    dir: &Path,
    fault: &str,
    main_tf: &str,
) -> Result<(), String> {
    let exe = installed_plugin(dir);
    let (pid, killed) = bench.skelc(dir, &["run", "--auto-approve"], &[("SKEL_FAULT", fault)]);
    if !killed.killed() {
        return Err(format!("not killed there: {killed:?}"));
    }
    // The kernel ended the plugin with skelc.
    no_process_of(&exe)?;
    let doubt = in_doubt(dir)?;
    if doubt.is_empty() {
        return Err("the journal holds no call in doubt".into());
    }
    let run_dir = format!("skel-plugin-{pid}");

    // Recovery, through the plugin.
    let (_, plan) = bench.skelc(dir, &["plan"], &[]);
    let creates = doubt.iter().filter(|(_, a)| a == "create").count();
    let recovered = match creates {
        0 => "Recovered: state now accounts for every object the interrupted run touched.\n"
            .to_string(),
        n => format!("except what the {n} create(s) reported above may have made.\n"),
    };
    if !plan.ok() || !plan.stderr.contains(&recovered) {
        return Err(format!(
            "the plan after the crash did not recover: {plan:?}"
        ));
    }
    if dir.join("skel.state.journal").exists() {
        return Err("the journal is left after recovery".into());
    }
    let state = state_resources(dir)?;
    let reported = reported_unverified(&plan.stderr);
    for (addr, action) in &doubt {
        match action.as_str() {
            "create" => {
                if !reported.contains(addr) {
                    return Err(format!(
                        "the in-doubt create of {addr} is not reported: {plan:?}"
                    ));
                }
                if state.contains_key(addr) {
                    return Err(format!(
                        "the in-doubt create of {addr} is in state though the plugin cannot tell"
                    ));
                }
                let line = plan
                    .stderr
                    .lines()
                    .find(|l| l.contains(&format!("warning: {addr}:")))
                    .unwrap_or_default();
                if !line.contains(&format!("plugin `{NULL_SOURCE}`"))
                    || !line.contains("skelc import")
                {
                    return Err(format!("the report of {addr} says too little: {line}"));
                }
            }
            // null's objects live in state only: `ReadResource` of the prior object finds it.
            _ => match state.get(addr) {
                Some(attrs) if attrs["id"].as_str().is_some_and(|id| !id.is_empty()) => {}
                other => {
                    return Err(format!(
                        "the in-doubt {action} of {addr} was not read back: {other:?}"
                    ))
                }
            },
        }
    }
    if reported.len() != creates {
        return Err(format!(
            "reported {reported:?} for the calls in doubt {doubt:?}"
        ));
    }
    check_ids(&state)?;
    // The next command removed the killed run's directory; its own are gone too.
    let left = bench.tmp_entries();
    if !left.is_empty() {
        return Err(format!(
            "TMPDIR holds {left:?} after the recovery ({run_dir} was the killed run's)"
        ));
    }

    let (_, again) = bench.skelc(dir, &["run", "--auto-approve"], &[]);
    if !again.ok() {
        return Err(format!("the run after recovery failed: {again:?}"));
    }
    let state = state_resources(dir)?;
    let expected: Vec<&str> = if main_tf.contains("null_resource") {
        INSTANCES.to_vec()
    } else {
        Vec::new()
    };
    if state.keys().map(String::as_str).collect::<Vec<_>>() != expected {
        return Err(format!(
            "state holds {:?}, expected {expected:?}",
            state.keys()
        ));
    }
    check_ids(&state)?;
    let (_, noop) = bench.skelc(dir, &["plan", "--detailed-exitcode"], &[]);
    if noop.code != Some(0) {
        return Err(format!("the plan after the run is not a no-op: {noop:?}"));
    }
    no_process_of(&exe)?;
    if !bench.tmp_entries().is_empty() {
        return Err(format!("TMPDIR holds {:?}", bench.tmp_entries()));
    }
    Ok(())
}

/// Every object in state has an id, and no object is recorded twice under two addresses (the
/// instances' `triggers` differ, so two equal objects would be one copied).
///
/// Ids alone may repeat: null 2.1.2 makes them with Go's unseeded `math/rand`, so every plugin
/// process draws the same sequence, and a later run can give out an id an earlier run did.
fn check_ids(state: &serde_json::Map<String, Value>) -> Result<(), String> {
    let with_id = state
        .values()
        .filter(|a| a["id"].as_str().is_some_and(|id| !id.is_empty()))
        .count();
    let distinct: BTreeSet<String> = state.values().map(Value::to_string).collect();
    if with_id != state.len() || distinct.len() != state.len() {
        return Err(format!(
            "ids in state are missing or objects repeated: {state:?}"
        ));
    }
    Ok(())
}

#[test]
fn creates_killed_around_the_plugin_call_recover_and_converge() {
    let bench = Bench::new();
    let pristine = bench.project("create", &null_config(&body("1")));
    kill_at_every_plugin_call(&bench, &pristine, &null_config(&body("1")), 4);
}

#[test]
fn replacements_and_destroys_killed_around_the_plugin_call_recover_and_converge() {
    let bench = Bench::new();
    let pristine = bench.project("applied", &null_config(&body("1")));
    let (_, out) = bench.skelc(&pristine, &["run", "--auto-approve"], &[]);
    assert!(out.ok(), "{out:?}");
    // A `triggers` change: each instance is deleted, then created (null has no update).
    kill_at_every_plugin_call(&bench, &pristine, &null_config(&body("2")), 8);
    // Both instances removed from the configuration: two deletes.
    kill_at_every_plugin_call(&bench, &pristine, &null_config(""), 4);
}

/// How many resources the Ctrl-C test chains.
const CHAIN: usize = 8;

/// The chain in state is whole: every object has an id and each `cN` records, in its
/// `triggers`, the id of the `c(N-1)` in state.
fn check_chain(state: &serde_json::Map<String, Value>) -> Result<(), String> {
    for i in 0..state.len() {
        let object = state
            .get(&format!("null_resource.c{i}"))
            .ok_or_else(|| format!("c{i} missing: {state:?}"))?;
        if object["id"].as_str().is_none_or(|id| id.is_empty()) {
            return Err(format!("c{i} has no id: {state:?}"));
        }
        if i > 0 && object["triggers"]["prev"] != state[&format!("null_resource.c{}", i - 1)]["id"]
        {
            return Err(format!(
                "c{i} does not record its predecessor's id: {state:?}"
            ));
        }
    }
    Ok(())
}

#[test]
fn ctrl_c_during_a_plugin_apply_stops_gracefully_and_the_next_run_finishes() {
    let bench = Bench::new();
    // A chain: each create starts only after the one before it finished.
    let chain: String = (0..CHAIN)
        .map(|i| match i {
            0 => "resource \"null_resource\" \"c0\" {}\n".to_string(),
            _ => format!(
                "resource \"null_resource\" \"c{i}\" {{\n  triggers = {{ prev = null_resource.c{}.id }}\n}}\n",
                i - 1
            ),
        })
        .collect();
    let dir = bench.project("ctrl-c", &null_config(&chain));
    let exe = installed_plugin(&dir);
    let pause = bench.root.join("paused");
    let pause_text = pause.display().to_string();
    let mut child = bench
        .command(
            &dir,
            &["run", "--auto-approve"],
            &[
                ("SKEL_FAULT_PAUSE", "plugin:ApplyResourceChange:3:before"),
                ("SKEL_FAULT_PAUSE_FILE", &pause_text),
            ],
        )
        .spawn()
        .expect("skelc runs");
    let pid = child.id();
    // stderr, line by line, to wait for what skelc says.
    let (tx, rx) = mpsc::channel::<String>();
    let stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut seen = Vec::new();
    let mut wait_for = |text: &str| {
        let until = Instant::now() + Duration::from_secs(60);
        while Instant::now() < until {
            match rx.recv_timeout(Duration::from_millis(100)) {
                Ok(line) => {
                    let hit = line.contains(text);
                    seen.push(line);
                    if hit {
                        return;
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        panic!("skelc never said `{text}`:\n{}", seen.join("\n"));
    };
    // The third create is in flight, held before the plugin is asked.
    wait_for("fault injection: paused at plugin:ApplyResourceChange:before");
    assert!(pause.exists());
    let sent = Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    wait_for("Interrupt received");
    wait_for("Asked 1 provider plugin(s) to stop (StopProvider).");
    // Let the call in flight go on: it finishes, nothing new starts.
    std::fs::remove_file(&pause).unwrap();
    let output = child.wait_with_output().expect("skelc ends");
    reader.join().unwrap();
    let stderr: String = rx.try_iter().collect::<Vec<_>>().join("\n");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{stdout}\n{}\n{stderr}",
        seen.join("\n")
    );
    // "Apply interrupted: N operation(s) done, M not started; state records what was done."
    let counts: Vec<usize> = stderr
        .lines()
        .find_map(|l| l.strip_prefix("Apply interrupted: "))
        .unwrap_or_else(|| panic!("no interruption message:\n{stdout}\n{stderr}"))
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .take(2)
        .collect();
    let [done, not_started] = counts[..] else {
        panic!("counts {counts:?}: {stderr}");
    };
    // The two creates before the pause and the one held there finished; nothing started
    // after the interrupt.
    assert_eq!((done, not_started), (3, CHAIN - 3), "{stderr}");
    no_process_of(&exe).unwrap();
    assert!(!dir.join("skel.state.journal").exists(), "journal left");
    let state = state_resources(&dir).unwrap();
    assert_eq!(
        state.len(),
        done,
        "the creates done are in state: {state:?}"
    );
    check_chain(&state).unwrap();
    let before = state;
    assert!(bench.tmp_entries().is_empty(), "{:?}", bench.tmp_entries());

    let (_, rest) = bench.skelc(&dir, &["run", "--auto-approve"], &[]);
    assert!(rest.ok(), "{rest:?}");
    assert!(
        rest.stdout.contains(&format!(
            "Resources: {not_started} added, 0 changed, 0 destroyed"
        )),
        "{rest:?}"
    );
    let state = state_resources(&dir).unwrap();
    assert_eq!(state.len(), CHAIN);
    check_chain(&state).unwrap();
    for (addr, object) in &before {
        assert_eq!(state.get(addr), Some(object), "{addr} was made again");
    }
    let (_, noop) = bench.skelc(&dir, &["plan", "--detailed-exitcode"], &[]);
    assert_eq!(noop.code, Some(0), "{noop:?}");
    no_process_of(&exe).unwrap();
    assert!(bench.tmp_entries().is_empty(), "{:?}", bench.tmp_entries());
}
