//! A real `kubectl` pointed at a stand-in, for the conformance tests: the one on PATH, else
//! Debian's `kubernetes-client` unpacked by `scripts/kubectl-install` (a missing kubectl is a
//! failure, never a skip).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use crate::StandIn;

/// The kubectl binary to test with, installed if needed.
pub fn binary() -> Result<String, String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../scripts/kubectl-install");
    let out = Command::new(&script)
        .output()
        .map_err(|e| format!("run {}: {e}", script.display()))?;
    if !out.status.success() {
        return Err(format!(
            "no kubectl: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// What one kubectl command did.
#[derive(Debug)]
pub struct Run {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(out: Output) -> Run {
        Run {
            success: out.status.success(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// kubectl with its own kubeconfig and HOME (its cache) in `dir`.
pub struct Kubectl {
    bin: String,
    kubeconfig: PathBuf,
    home: PathBuf,
}

impl Kubectl {
    /// kubectl for `standin`, its files in `dir` (which the caller removes). Panics when no
    /// kubectl can be had: the tests using it must not pass without it.
    pub fn for_standin(standin: &StandIn, dir: &Path) -> Kubectl {
        let bin = binary().unwrap_or_else(|e| panic!("{e}"));
        let kubeconfig = dir.join("kubeconfig");
        standin
            .write_kubeconfig(&kubeconfig, None)
            .expect("write the kubeconfig");
        Kubectl {
            bin,
            kubeconfig,
            home: dir.to_path_buf(),
        }
    }

    /// The kubeconfig file it uses.
    pub fn kubeconfig(&self) -> &Path {
        &self.kubeconfig
    }

    /// The client's minor version (`20` for Debian's 1.20, `32` for 1.32).
    pub fn minor_version(&self) -> u32 {
        let run = self.run(&["version", "--client", "-o", "json"]);
        let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap_or_default();
        v["clientVersion"]["minor"]
            .as_str()
            .and_then(|m| m.trim_end_matches('+').parse().ok())
            .unwrap_or(0)
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.bin);
        cmd.args(args)
            .env("KUBECONFIG", &self.kubeconfig)
            .env("HOME", &self.home)
            // `kubectl edit` writes its temporary file here, removed with the caller's dir.
            .env("TMPDIR", &self.home)
            .env_remove("KUBE_EDITOR")
            .stdin(Stdio::null());
        cmd
    }

    /// Runs kubectl with `args`.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with(args, &[], None)
    }

    /// Runs kubectl with `args`, extra environment variables and text on stdin.
    pub fn run_with(&self, args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Run {
        let mut cmd = self.command(args);
        cmd.envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if stdin.is_some() {
            cmd.stdin(Stdio::piped());
        }
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("run {}: {e}", self.bin));
        if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
            let _ = pipe.write_all(text.as_bytes());
        }
        // kubectl never waits forever here: a stuck watch is a failure, not a hang.
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            match child.try_wait() {
                Ok(Some(_)) => break,
                Ok(None) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20))
                }
                _ => {
                    let _ = child.kill();
                    break;
                }
            }
        }
        child.wait_with_output().expect("kubectl output").into()
    }

    /// Runs kubectl and asserts it succeeded; its stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let run = self.run(args);
        assert!(
            run.success,
            "kubectl {}: failed\n{}\n{}",
            args.join(" "),
            run.stdout,
            run.stderr
        );
        run.stdout
    }

    /// Runs kubectl with a manifest on stdin (`-f -`) and asserts it succeeded; its stdout.
    pub fn ok_stdin(&self, args: &[&str], stdin: &str) -> String {
        let run = self.run_with(args, &[], Some(stdin));
        assert!(
            run.success,
            "kubectl {}: failed\n{}\n{}",
            args.join(" "),
            run.stdout,
            run.stderr
        );
        run.stdout
    }

    /// Runs kubectl and asserts it failed; its stderr.
    pub fn fails(&self, args: &[&str]) -> String {
        let run = self.run(args);
        assert!(
            !run.success,
            "kubectl {}: succeeded, a failure was expected\n{}",
            args.join(" "),
            run.stdout
        );
        run.stderr
    }
}
