//! The crash suites' driver: run the real `skelc` with deterministic fault injection (the
//! `fault-injection` feature, on in test builds: `SKEL_FAULT`, `SKEL_FAULT_LOG`, see
//! `runtime/provider/src/fault.rs`), list every crash point a clean run passes, kill a run at
//! each of them in turn, and tally what recovered.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};

pub const SKELC: &str = env!("CARGO_BIN_EXE_skelc");

/// One finished `skelc` invocation.
pub struct Out {
    pub code: Option<i32>,
    /// The signal that ended it, if one did (9 for the injected SIGKILL).
    pub signal: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    pub fn ok(&self) -> bool {
        self.code == Some(0)
    }

    pub fn killed(&self) -> bool {
        self.signal == Some(9)
    }
}

impl std::fmt::Debug for Out {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {:?} signal {:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.signal, self.stdout, self.stderr
        )
    }
}

/// Runs `skelc ARGS` in `dir` with `env`; `fault` is a `SKEL_FAULT` value, `log` a
/// `SKEL_FAULT_LOG` file.
pub fn skelc(
    dir: &Path,
    env: &[(String, String)],
    args: &[&str],
    fault: Option<&str>,
    log: Option<&Path>,
) -> Out {
    let mut cmd = Command::new(SKELC);
    cmd.args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("SKEL_FAULT")
        .env_remove("SKEL_FAULT_LOG")
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    if let Some(fault) = fault {
        cmd.env("SKEL_FAULT", fault);
    }
    if let Some(log) = log {
        cmd.env("SKEL_FAULT_LOG", log);
    }
    let output = cmd.output().expect("skelc runs");
    let out = Out {
        code: output.status.code(),
        signal: output.status.signal(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert_ne!(out.code, Some(101), "skelc panicked: {out:?}");
    out
}

/// One crash point: `SOURCE:OPERATION:WHEN` and which occurrence (from 1).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub struct Point {
    pub key: String,
    pub n: u64,
}

impl Point {
    /// The `SKEL_FAULT` value that kills at this point.
    pub fn fault(&self) -> String {
        let (what, when) = self.key.rsplit_once(':').expect("SOURCE:OPERATION:WHEN");
        format!("{what}:{}:{when}", self.n)
    }

    /// What the tally groups by: the operation without its position (`aws:RunInstances`).
    pub fn group(&self) -> String {
        self.key
            .rsplit_once(':')
            .map(|(what, _)| what.to_string())
            .unwrap_or_default()
    }
}

/// Every point in a fault log, each occurrence its own point, in a stable order. With
/// `SKEL_CRASH_ONLY=TEXT` in the environment (for working on one failure) only the points
/// whose `SKEL_FAULT` value contains TEXT.
pub fn points(log: &str) -> Vec<Point> {
    let only = std::env::var("SKEL_CRASH_ONLY").unwrap_or_default();
    all_points(log)
        .into_iter()
        .filter(|p| p.fault().contains(&only))
        .collect()
}

pub fn all_points(log: &str) -> Vec<Point> {
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for line in log.lines().filter(|l| !l.trim().is_empty()) {
        *counts.entry(line.trim().to_string()).or_default() += 1;
    }
    counts
        .into_iter()
        .flat_map(|(key, count)| {
            (1..=count).map(move |n| Point {
                key: key.clone(),
                n,
            })
        })
        .collect()
}

/// What became of the kill points of one suite.
#[derive(Default)]
pub struct Tally {
    /// Per group: (points killed there, recovered exactly).
    pub groups: BTreeMap<String, (u64, u64)>,
    /// Points a run did not reach (a call the timing merged away this time).
    pub not_reached: Vec<String>,
    pub failures: Vec<String>,
}

impl Tally {
    pub fn record(&mut self, point: &Point, outcome: Result<(), String>) {
        let entry = self.groups.entry(point.group()).or_default();
        entry.0 += 1;
        match outcome {
            Ok(()) => entry.1 += 1,
            Err(e) => self.failures.push(format!("{}: {e}", point.fault())),
        }
    }

    pub fn killed(&self) -> u64 {
        self.groups.values().map(|(k, _)| k).sum()
    }

    pub fn recovered(&self) -> u64 {
        self.groups.values().map(|(_, r)| r).sum()
    }

    /// The table for the test's output (and the closing note).
    pub fn table(&self, suite: &str) -> String {
        let mut out = format!("{suite}: kill points by operation (killed / recovered exactly)\n");
        for (group, (killed, recovered)) in &self.groups {
            out.push_str(&format!("  {group:<55} {killed:>3} / {recovered}\n"));
        }
        out.push_str(&format!(
            "  total {} killed, {} recovered; {} not reached this time{}\n",
            self.killed(),
            self.recovered(),
            self.not_reached.len(),
            if self.not_reached.is_empty() {
                String::new()
            } else {
                format!(" ({})", self.not_reached.join(", "))
            }
        ));
        out
    }

    /// Every failure, or too few points reached.
    pub fn check(&self, min_points: u64) -> Result<(), String> {
        if !self.failures.is_empty() {
            return Err(format!(
                "{} of {} kill points did not recover exactly:\n{}",
                self.failures.len(),
                self.killed(),
                self.failures.join("\n\n")
            ));
        }
        if self.killed() < min_points {
            return Err(format!(
                "only {} kill points were reached (expected at least {min_points})",
                self.killed()
            ));
        }
        Ok(())
    }

    /// Fails the test with every failure, after printing the table.
    pub fn assert_all_recovered(&self, suite: &str, min_points: u64) {
        eprintln!("{}", self.table(suite));
        if let Err(e) = self.check(min_points) {
            panic!("{suite}: {e}");
        }
    }
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("dir entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

/// The differences between two inventories, for messages.
pub fn diff(expected: &[String], got: &[String]) -> String {
    let missing: Vec<&String> = expected.iter().filter(|e| !got.contains(e)).collect();
    let extra: Vec<&String> = got.iter().filter(|g| !expected.contains(g)).collect();
    let mut out = String::new();
    for m in missing {
        out.push_str(&format!("\n  missing: {m}"));
    }
    for e in extra {
        out.push_str(&format!("\n  extra:   {e}"));
    }
    if out.is_empty() && expected.len() != got.len() {
        out = format!(
            "\n  {} objects expected, {} found (duplicates)",
            expected.len(),
            got.len()
        );
    }
    out
}
