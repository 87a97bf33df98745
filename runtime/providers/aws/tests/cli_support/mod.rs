//! Shared by the end-to-end tests that run the real `skelc` binary against moto: finding (or
//! building) skelc, a moto server per test stopped on drop, running skelc with the SDK pointed
//! at an endpoint, and SDK clients for checking results through the API.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../..")
        .canonicalize()
        .expect("repo root")
}

/// The skelc binary of this target directory (`cargo test --workspace` builds it for skelc's
/// own tests), built when missing.
pub fn skelc() -> PathBuf {
    let exe = std::env::current_exe().expect("test exe");
    // target/<profile>/deps/<test> → target/<profile>/skelc
    let profile_dir = exe.parent().and_then(Path::parent).expect("target dir");
    let bin = profile_dir.join("skelc");
    if bin.exists() {
        return bin;
    }
    let target = profile_dir.parent().expect("target root");
    let profile = profile_dir
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("debug");
    let mut build = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    build
        .current_dir(repo())
        .args(["build", "-p", "skelc"])
        .env("CARGO_TARGET_DIR", target);
    if profile == "release" {
        build.arg("--release");
    }
    let status = build.status().expect("cargo build -p skelc");
    assert!(status.success(), "building skelc failed");
    assert!(bin.exists(), "{} missing after build", bin.display());
    bin
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A moto server started by `scripts/moto` in `dir`, stopped on drop.
pub struct Moto {
    pub dir: PathBuf,
    pub port: u16,
}

impl Moto {
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = Command::new(repo().join("scripts/moto"))
            .arg("stop")
            .arg(&self.dir)
            .status();
    }
}

/// Starts moto; fails the test with how to install it when it cannot.
pub fn start_moto(dir: &Path) -> Moto {
    let out = Command::new(repo().join("scripts/moto"))
        .arg("start")
        .arg(dir)
        .env("SKEL_MOTO_PARENT", std::process::id().to_string())
        .output()
        .expect("run scripts/moto");
    let port = String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("PORT=").and_then(|p| p.trim().parse().ok()));
    match port {
        Some(port) if out.status.success() => Moto {
            dir: dir.to_path_buf(),
            port,
        },
        _ => panic!(
            "could not start moto: {}\nInstall it with: python3 -m venv .venv-moto && .venv-moto/bin/pip install 'moto[server]==5.2.5' (scripts/moto does this; it needs python3 with venv and access to PyPI)",
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

/// Runs skelc in `dir` with the SDK pointed at `endpoint` (dummy keys, one attempt per call);
/// returns the output and the wall time in seconds.
pub fn run_at(skelc: &Path, dir: &Path, endpoint: &str, args: &[&str]) -> (Output, f64) {
    let started = Instant::now();
    let out = Command::new(skelc)
        .current_dir(dir)
        .args(args)
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_MAX_ATTEMPTS", "1")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL_EC2")
        .env_remove("AWS_ENDPOINT_URL_ROUTE_53")
        .env("NO_COLOR", "1")
        .output()
        .expect("run skelc");
    (out, started.elapsed().as_secs_f64())
}

/// [`run_at`] against moto on `port`.
pub fn run(skelc: &Path, dir: &Path, port: u16, args: &[&str]) -> (Output, f64) {
    run_at(skelc, dir, &format!("http://127.0.0.1:{port}"), args)
}

pub fn text(out: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The SDK configuration for checking results at `url` (not through skel).
pub async fn sdk(url: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(url)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_ec2::config::Credentials::new(
            "test", "test", None, None, "test",
        ))
        .load()
        .await
}
