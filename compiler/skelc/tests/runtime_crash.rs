//! Crash test: `skelc run` (and `skelc destroy`) killed with SIGKILL at seed-derived moments of
//! an apply of 200 `local_file`s, then run again to completion. The journal must make every
//! interrupted run recoverable: the final state holds exactly the configured instances, every
//! file on disk is in state with the content state records (and vice versa), no journal, lock or
//! temp file is left, and the next plan has no changes.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SKELC: &str = env!("CARGO_BIN_EXE_skelc");
const FILES: usize = 200;
/// `random_id.seed`, `null_resource.before[0..3]`, `null_resource.after`.
const OTHERS: usize = 5;
const APPLY_SEEDS: [u64; 14] = [
    1, 7, 42, 99, 123, 256, 1000, 4242, 31337, 65535, 99991, 123456, 777777, 2024,
];
const DESTROY_SEEDS: [u64; 4] = [3, 17, 555, 8080];

/// xorshift64*: a tiny deterministic generator, no dependency.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A fraction in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn command(cwd: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(SKELC);
    cmd.args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    cmd
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
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

fn skelc(cwd: &Path, args: &[&str]) -> Out {
    let output = command(cwd, args).output().expect("skelc runs");
    let out = Out {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert_ne!(out.code, 101, "skelc panicked: {out:?}");
    out
}

fn project() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = fs::canonicalize(tmp.path()).expect("canonical tempdir");
    let config =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/runtime_fixtures/crash/main.skel");
    fs::copy(config, dir.join("main.skel")).expect("copy the config");
    (tmp, dir)
}

fn d(dir: &Path) -> &str {
    dir.to_str().expect("utf-8 path")
}

fn state(dir: &Path) -> serde_json::Value {
    let text = fs::read_to_string(dir.join("skel.state.json")).expect("state file");
    serde_json::from_str(&text).expect("state is JSON")
}

/// The structure of a state: per address, its attribute names and dependencies.
type Shape = BTreeMap<String, (BTreeSet<String>, Vec<String>)>;

fn shape(state: &serde_json::Value) -> Shape {
    state["resources"]
        .as_object()
        .expect("resources")
        .iter()
        .map(|(addr, instance)| {
            let attrs = instance["attributes"]
                .as_object()
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default();
            let mut deps: Vec<String> = instance["dependencies"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            deps.sort();
            (addr.clone(), (attrs, deps))
        })
        .collect()
}

/// The files of the config on disk: index → content.
fn files_on_disk(dir: &Path) -> BTreeMap<usize, String> {
    let mut files = BTreeMap::new();
    let Ok(entries) = fs::read_dir(dir.join("files")) else {
        return files;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let index = name
            .strip_prefix("f-")
            .and_then(|n| n.strip_suffix(".txt"))
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or_else(|| panic!("unexpected file {name}"));
        files.insert(
            index,
            fs::read_to_string(entry.path()).expect("readable file"),
        );
    }
    files
}

/// Everything a finished, consistent apply must satisfy.
fn check_consistent(dir: &Path, clean: &Shape, label: &str) {
    let state = state(dir);
    let resources = state["resources"].as_object().expect("resources");
    assert_eq!(resources.len(), FILES + OTHERS, "{label}: instance count");
    assert_eq!(
        &shape(&state),
        clean,
        "{label}: state structure differs from a clean run"
    );
    let hex = state["resources"]["random_id.seed"]["attributes"]["hex"]
        .as_str()
        .expect("random_id hex")
        .to_string();
    let on_disk = files_on_disk(dir);
    assert_eq!(on_disk.len(), FILES, "{label}: files on disk");
    for (index, content) in &on_disk {
        let addr = format!("local_file.f[{index}]");
        let attrs = &resources
            .get(&addr)
            .unwrap_or_else(|| panic!("{label}: file {index} on disk but {addr} not in state"))
            ["attributes"];
        assert_eq!(
            attrs["content"].as_str(),
            Some(content.as_str()),
            "{label}: {addr} content on disk differs from state"
        );
        assert_eq!(
            content,
            &format!("file {index} of seed {hex}\n"),
            "{label}: {addr} has stale content"
        );
    }
    for addr in resources.keys().filter(|a| a.starts_with("local_file.")) {
        let index: usize = addr["local_file.f[".len()..addr.len() - 1].parse().unwrap();
        assert!(
            on_disk.contains_key(&index),
            "{label}: {addr} in state, not on disk"
        );
    }
    check_no_leftovers(dir, label);
    let plan = skelc(dir, &["plan", d(dir), "--detailed-exitcode"]);
    assert_eq!(
        plan.code, 0,
        "{label}: plan after recovery has changes: {plan:?}"
    );
}

fn check_no_leftovers(dir: &Path, label: &str) {
    assert!(
        !dir.join("skel.state.journal").exists(),
        "{label}: journal left"
    );
    assert!(!dir.join("skel.state.lock").exists(), "{label}: lock left");
    for entry in fs::read_dir(dir).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        assert!(
            !name.starts_with("skel.state.json.tmp-"),
            "{label}: temp file {name} left"
        );
    }
}

/// Start `args`, SIGKILL it after `delay`; returns whether it was killed (not finished) and how
/// many operations its progress said were done.
fn kill_after(dir: &Path, args: &[&str], delay: Duration) -> (bool, usize) {
    let log = dir.join("killed.log");
    let mut child = command(dir, args)
        .stdout(Stdio::null())
        .stderr(fs::File::create(&log).expect("log file"))
        .spawn()
        .expect("spawn skelc");
    std::thread::sleep(delay);
    // `Child::kill` sends SIGKILL on Unix.
    let _ = child.kill();
    let status = child.wait().expect("wait");
    let killed = !status.success();
    assert_ne!(status.code(), Some(101), "the killed run panicked");
    let text = fs::read_to_string(&log).unwrap_or_default();
    let done = text
        .lines()
        .filter(|l| l.ends_with(": Created") || l.ends_with(": Destroyed"))
        .count();
    let _ = fs::remove_file(&log);
    (killed, done)
}

/// What the recovering command said about the interrupted run, in one line.
fn recovery_summary(stderr: &str) -> String {
    let notes: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("  ") && !l.starts_with("  -->"))
        .collect();
    let mut parts = Vec::new();
    if stderr.contains("took over a lock") {
        parts.push("took over the dead run's lock".to_string());
    }
    if stderr.contains("Recovered:") {
        parts.push(format!("recovered journal ({} note(s))", notes.len()));
        if let Some(first) = notes.first() {
            parts.push(format!("first: {}", first.trim()));
        }
    } else if stderr.contains("interrupted") {
        parts.push("journal found".to_string());
    } else {
        parts.push("no journal to recover".to_string());
    }
    parts.join("; ")
}

/// [`kill_after`], retried with half the delay (after restoring the directory's state files)
/// when the command finished before the kill, so that every seed really kills a run.
fn kill_with_retries(dir: &Path, args: &[&str], mut delay: Duration) -> (bool, usize, Duration) {
    let saved: Vec<(PathBuf, Option<Vec<u8>>)> = ["skel.state.json", "skel.state.json.backup"]
        .iter()
        .map(|name| (dir.join(name), fs::read(dir.join(name)).ok()))
        .collect();
    let files = files_on_disk(dir);
    for _ in 0..4 {
        let (killed, done) = kill_after(dir, args, delay);
        if killed {
            return (true, done, delay);
        }
        // It finished: put the directory back as it was and try earlier.
        for (path, bytes) in &saved {
            match bytes {
                Some(b) => fs::write(path, b).unwrap(),
                None => {
                    let _ = fs::remove_file(path);
                }
            }
        }
        let _ = fs::remove_dir_all(dir.join("files"));
        if !files.is_empty() {
            fs::create_dir_all(dir.join("files")).unwrap();
            for (index, content) in &files {
                let path = dir.join(format!("files/f-{index}.txt"));
                fs::write(&path, content).unwrap();
                set_mode_0644(&path);
            }
        }
        delay /= 2;
    }
    (false, 0, delay)
}

#[cfg(unix)]
fn set_mode_0644(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o644)).unwrap();
}

#[cfg(not(unix))]
fn set_mode_0644(_path: &Path) {}

fn delay_for(rng: &mut Rng, slot: usize, slots: usize, total: Duration) -> Duration {
    // Stratified: slot i of n gets a delay in [i/n, (i+1)/n) of the span, so delays cover the
    // whole run from ~5 ms to its end whatever the seeds.
    let min = 5.0;
    let span = (total.as_secs_f64() * 1000.0 - min).max(10.0);
    let at = (slot as f64 + rng.unit()) / slots as f64;
    Duration::from_micros(((min + span * at) * 1000.0) as u64)
}

#[test]
fn killed_runs_and_destroys_recover() {
    // Calibrate: one clean run gives the expected structure and the apply time.
    let (_clean_tmp, clean_dir) = project();
    let start = Instant::now();
    let out = skelc(
        &clean_dir,
        &["run", d(&clean_dir), "--auto-approve", "--parallelism", "8"],
    );
    let apply_time = start.elapsed();
    assert_eq!(out.code, 0, "clean run: {out:?}");
    let clean = shape(&state(&clean_dir));
    check_consistent(&clean_dir, &clean, "clean run");
    let start = Instant::now();
    let out = skelc(
        &clean_dir,
        &[
            "destroy",
            d(&clean_dir),
            "--auto-approve",
            "--parallelism",
            "8",
        ],
    );
    let destroy_time = start.elapsed();
    assert_eq!(out.code, 0, "clean destroy: {out:?}");
    println!(
        "calibration: clean apply {:.0} ms, clean destroy {:.0} ms",
        apply_time.as_secs_f64() * 1000.0,
        destroy_time.as_secs_f64() * 1000.0
    );

    let mut kills = 0;
    let mut recoveries = 0;
    for (slot, seed) in APPLY_SEEDS.iter().enumerate() {
        let mut rng = Rng::new(*seed);
        let delay = delay_for(&mut rng, slot, APPLY_SEEDS.len(), apply_time);
        let (_tmp, dir) = project();
        let (killed, done, delay) = kill_with_retries(
            &dir,
            &["run", d(&dir), "--auto-approve", "--parallelism", "8"],
            delay,
        );
        kills += usize::from(killed);
        let label = format!("apply seed {seed} (kill at {delay:?})");
        let out = skelc(&dir, &["run", d(&dir), "--auto-approve"]);
        assert_eq!(
            out.code, 0,
            "{label}: the run after the kill failed: {out:?}"
        );
        if out.stderr.contains("Recovered:") {
            recoveries += 1;
        }
        println!(
            "apply seed {seed:>6}: kill at {:>6.1} ms, killed={killed}, {done:>3} created before the kill; {}",
            delay.as_secs_f64() * 1000.0,
            recovery_summary(&out.stderr)
        );
        check_consistent(&dir, &clean, &label);
    }

    for (slot, seed) in DESTROY_SEEDS.iter().enumerate() {
        let mut rng = Rng::new(*seed);
        let delay = delay_for(&mut rng, slot, DESTROY_SEEDS.len(), destroy_time);
        let (_tmp, dir) = project();
        let out = skelc(
            &dir,
            &["run", d(&dir), "--auto-approve", "--parallelism", "8"],
        );
        assert_eq!(out.code, 0, "{out:?}");
        let (killed, done, delay) = kill_with_retries(
            &dir,
            &["destroy", d(&dir), "--auto-approve", "--parallelism", "8"],
            delay,
        );
        kills += usize::from(killed);
        let label = format!("destroy seed {seed} (kill at {delay:?})");
        let out = skelc(&dir, &["destroy", d(&dir), "--auto-approve"]);
        assert_eq!(
            out.code, 0,
            "{label}: the destroy after the kill failed: {out:?}"
        );
        if out.stderr.contains("Recovered:") {
            recoveries += 1;
        }
        println!(
            "destroy seed {seed:>5}: kill at {:>6.1} ms, killed={killed}, {done:>3} destroyed before the kill; {}",
            delay.as_secs_f64() * 1000.0,
            recovery_summary(&out.stderr)
        );
        assert!(files_on_disk(&dir).is_empty(), "{label}: files left");
        let resources = state(&dir)["resources"].clone();
        assert!(
            resources.as_object().is_none_or(|m| m.is_empty()),
            "{label}: state not empty: {resources}"
        );
        check_no_leftovers(&dir, &label);
        let plan = skelc(&dir, &["plan", d(&dir), "--destroy", "--detailed-exitcode"]);
        assert_eq!(plan.code, 0, "{label}: {plan:?}");
    }
    println!(
        "summary: {} seeds, {kills} kills, {recoveries} journal recoveries, 0 failures",
        APPLY_SEEDS.len() + DESTROY_SEEDS.len()
    );
    assert!(
        kills >= 12,
        "only {kills} runs were killed before finishing"
    );
}
