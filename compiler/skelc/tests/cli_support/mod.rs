//! Running the real `skelc` binary for the CLI suites: with pipes (stdout and stderr apart,
//! stdin closed unless given), or under a pseudo-terminal (a real tty on stdin and stderr, as a
//! person at a terminal has), with the environment's `SKEL_VAR_*`/`TF_VAR_*` and colour
//! settings removed so each test sets exactly what it means.

#![allow(dead_code)]

use std::ffi::OsString;
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub const SKELC: &str = env!("CARGO_BIN_EXE_skelc");

/// One finished `skelc` run.
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
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

/// A `skelc` invocation being put together.
pub struct Skelc {
    cwd: PathBuf,
    args: Vec<OsString>,
    env: Vec<(String, String)>,
    stdin: Option<String>,
}

/// `skelc ARGS` in `cwd`.
pub fn skelc(cwd: &Path, args: &[&str]) -> Skelc {
    Skelc {
        cwd: cwd.to_path_buf(),
        args: args.iter().map(OsString::from).collect(),
        env: Vec::new(),
        stdin: None,
    }
}

impl Skelc {
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    pub fn stdin(mut self, text: &str) -> Self {
        self.stdin = Some(text.into());
        self
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new(SKELC);
        cmd.args(&self.args).current_dir(&self.cwd);
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy().into_owned();
            if key.starts_with("SKEL_VAR_")
                || key.starts_with("TF_VAR_")
                || matches!(key.as_str(), "NO_COLOR" | "TERM" | "RUST_BACKTRACE")
            {
                cmd.env_remove(&key);
            }
        }
        cmd.env("TERM", "xterm-256color");
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    /// Runs with pipes; stdin is closed unless text was given.
    pub fn run(self) -> Out {
        let mut cmd = self.command();
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        cmd.stdin(if self.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
        let mut child = cmd.spawn().expect("skelc starts");
        if let Some(text) = &self.stdin {
            let mut input = child.stdin.take().expect("stdin");
            input.write_all(text.as_bytes()).expect("write stdin");
        }
        let output = child.wait_with_output().expect("skelc runs");
        let out = Out {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        };
        no_panic(&out);
        out
    }

    /// Runs and expects exit 0.
    pub fn ok(self) -> Out {
        let args = self.args.clone();
        let out = self.run();
        assert_eq!(out.code, 0, "skelc {args:?} failed: {out:?}");
        out
    }

    /// Runs under a pseudo-terminal: stdin and stderr are the terminal, stdout is a pipe (so
    /// what a command prints for people and for machines stay apart). `typed` is typed at the
    /// terminal. `Out::stderr` is everything the terminal showed (with `\r\n` as `\n`), the
    /// typed text echoed included.
    pub fn run_in_terminal(self, typed: &str) -> Out {
        let pty = nix::pty::openpty(None, None).expect("a pseudo-terminal");
        let mut cmd = self.command();
        let slave = |pty: &nix::pty::OpenptyResult| {
            Stdio::from(pty.slave.try_clone().expect("dup the terminal"))
        };
        cmd.stdin(slave(&pty))
            .stderr(slave(&pty))
            .stdout(Stdio::piped());
        let mut child = cmd.spawn().expect("skelc starts");
        drop(cmd);
        drop(pty.slave);
        let mut master = fs::File::from(pty.master);
        master.write_all(typed.as_bytes()).expect("type");
        let mut stdout = child.stdout.take().expect("stdout");
        let out_reader = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stdout.read_to_string(&mut text);
            text
        });
        let term_reader = std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let mut buf = [0u8; 4096];
            // Reading ends with EIO once every copy of the terminal's other side is closed.
            while let Ok(n) = master.read(&mut buf) {
                if n == 0 {
                    break;
                }
                bytes.extend_from_slice(&buf[..n]);
            }
            bytes
        });
        let start = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait") {
                break status;
            }
            if start.elapsed() > Duration::from_secs(120) {
                let _ = child.kill();
                panic!("skelc did not finish in a terminal (waiting for input?)");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let terminal = term_reader.join().expect("terminal reader");
        let out = Out {
            code: status.code().unwrap_or(-1),
            stdout: out_reader.join().expect("stdout reader"),
            stderr: String::from_utf8_lossy(&terminal).replace("\r\n", "\n"),
        };
        no_panic(&out);
        out
    }
}

fn no_panic(out: &Out) {
    assert_ne!(out.code, 101, "skelc panicked: {out:?}");
    assert!(
        !out.stderr.contains("panicked at"),
        "skelc panicked: {out:?}"
    );
}

/// A temporary directory (canonical path) with `files` written in it.
pub fn project(files: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = fs::canonicalize(tmp.path()).expect("canonical tempdir");
    for (name, text) in files {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).expect("create directories");
        }
        fs::write(path, text).expect("write a file");
    }
    (tmp, dir)
}

/// Every `.skel` file under `dir`, sorted.
pub fn skel_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).expect("a readable directory") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "skel") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

pub fn d(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// Whether text holds an ANSI escape sequence (colour).
pub fn has_ansi(text: &str) -> bool {
    text.contains("\u{1b}[")
}

pub fn state_json(dir: &Path) -> serde_json::Value {
    let text = fs::read_to_string(dir.join("skel.state.json")).expect("state file");
    serde_json::from_str(&text).expect("state is JSON")
}
