//! Helpers shared by the integration tests: addresses, journal entries, and running this test
//! binary again as a child process that plays a role (hold the lock, run an apply) until killed.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Lines};
use std::process::{Child, ChildStdout, Command, Stdio};

use serde_json::{json, Value};
use skel_plan_ir::InstanceAddr;
use skel_state::{JournalAction, JournalIntent, JournalResult, Outcome};

/// The environment variable naming the role a re-executed test binary plays.
pub const ROLE_VAR: &str = "SKEL_STATE_TEST_ROLE";
/// The store directory the child works in.
pub const DIR_VAR: &str = "SKEL_STATE_TEST_DIR";
/// What a child prints before each progress report, so libtest's own output is ignored.
pub const MARKER: &str = "SKEL-CHILD ";

pub fn addr(text: &str) -> InstanceAddr {
    text.parse().expect("test address")
}

pub fn intent(seq: u64, address: &str, action: JournalAction) -> JournalIntent {
    JournalIntent {
        seq,
        addr: addr(address),
        action,
        provider: "null".to_string(),
        prior: None,
        planned: Some(json!({ "name": address })),
        unknown: Vec::new(),
        token: None,
        provisioners: false,
        sensitive_paths: Vec::new(),
        dependencies: Vec::new(),
        deposed: false,
    }
}

pub fn ok(seq: u64, address: &str, new_state: Option<Value>) -> JournalResult {
    JournalResult {
        seq,
        addr: addr(address),
        outcome: Outcome::Ok {
            new_state,
            tainted: false,
            private: None,
        },
    }
}

/// A running child: this test binary, re-run with only `test_name` and a role.
pub struct ChildProcess {
    pub child: Child,
    lines: Lines<BufReader<ChildStdout>>,
}

impl ChildProcess {
    pub fn spawn(test_name: &str, role: &str, dir: &std::path::Path) -> ChildProcess {
        let exe = std::env::current_exe().expect("current test binary");
        let mut child = Command::new(exe)
            .args([test_name, "--exact", "--nocapture", "--test-threads=1"])
            .env(ROLE_VAR, role)
            .env(DIR_VAR, dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn the child test process");
        let stdout = child.stdout.take().expect("child stdout");
        ChildProcess {
            child,
            lines: BufReader::new(stdout).lines(),
        }
    }

    /// The next progress report (the text after [`MARKER`]), or `None` when the child ended.
    pub fn next_report(&mut self) -> Option<String> {
        for line in self.lines.by_ref() {
            let line = line.ok()?;
            if let Some((_, report)) = line.split_once(MARKER) {
                return Some(report.trim().to_string());
            }
        }
        None
    }

    /// SIGKILL (what `Child::kill` sends on Unix) and reap.
    pub fn kill(mut self) {
        self.child.kill().expect("kill the child");
        self.child.wait().expect("reap the child");
    }
}

/// Print a progress report for the parent.
pub fn report(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "\n{MARKER}{text}");
    let _ = out.flush();
}
