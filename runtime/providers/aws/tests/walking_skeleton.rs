//! End to end: `skelc run`, `skelc plan --detailed-exitcode` (no changes) and `skelc destroy`
//! of examples/walking-skeleton against moto, checked through the SDK.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../..")
        .canonicalize()
        .expect("repo root")
}

/// The skelc binary of this target directory (`cargo test --workspace` builds it for skelc's
/// own tests), built when missing.
fn skelc() -> PathBuf {
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

fn copy_dir(from: &Path, to: &Path) {
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

struct Moto {
    dir: PathBuf,
    port: u16,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = Command::new(repo().join("scripts/moto"))
            .arg("stop")
            .arg(&self.dir)
            .status();
    }
}

fn start_moto(dir: &Path) -> Moto {
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

const VARS: &[&str] = &[
    "-var",
    "ubuntu_ami_name=ubuntu/images/hvm-ssd/ubuntu-xenial-16.04-amd64-server-*",
    "-var",
    "docker=false",
];

fn run(skelc: &Path, dir: &Path, port: u16, args: &[&str]) -> (Output, f64) {
    let started = Instant::now();
    let out = Command::new(skelc)
        .current_dir(dir)
        .args(args)
        .env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{port}"))
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_MAX_ATTEMPTS", "1")
        .env_remove("AWS_PROFILE")
        .env("NO_COLOR", "1")
        .output()
        .expect("run skelc");
    (out, started.elapsed().as_secs_f64())
}

fn text(out: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn walking_skeleton_against_moto() {
    let skelc = skelc();
    let tmp = tempfile::tempdir().unwrap();
    let moto = start_moto(&tmp.path().join("moto"));
    copy_dir(&repo().join("examples"), &tmp.path().join("examples"));
    let dir = tmp.path().join("examples/walking-skeleton");

    let mut args = vec!["run", "--auto-approve"];
    args.extend(VARS);
    let (out, apply_secs) = run(&skelc, &dir, moto.port, &args);
    assert!(out.status.success(), "skelc run failed:\n{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(stdout.contains("vpc_id"), "no outputs:\n{}", text(&out));

    let mut args = vec!["plan", "--detailed-exitcode"];
    args.extend(VARS);
    let (out, plan_secs) = run(&skelc, &dir, moto.port, &args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "plan after apply is not empty:\n{}",
        text(&out)
    );

    // What the apply made is really there.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let url = format!("http://127.0.0.1:{}", moto.port);
    let (vpcs, instances, zones) = rt.block_on(async {
        let cfg = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(&url)
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_ec2::config::Credentials::new(
                "test", "test", None, None, "test",
            ))
            .load()
            .await;
        let ec2 = aws_sdk_ec2::Client::new(&cfg);
        let r53 = aws_sdk_route53::Client::new(&cfg);
        let vpcs = ec2
            .describe_vpcs()
            .filters(
                aws_sdk_ec2::types::Filter::builder()
                    .name("tag:Project")
                    .values("walking-skeleton")
                    .build(),
            )
            .send()
            .await
            .unwrap()
            .vpcs()
            .len();
        let instances = ec2
            .describe_instances()
            .filters(
                aws_sdk_ec2::types::Filter::builder()
                    .name("instance-state-name")
                    .values("running")
                    .build(),
            )
            .send()
            .await
            .unwrap()
            .reservations()
            .iter()
            .map(|r| r.instances().len())
            .sum::<usize>();
        let zones = r53
            .list_hosted_zones()
            .send()
            .await
            .unwrap()
            .hosted_zones()
            .len();
        (vpcs, instances, zones)
    });
    assert_eq!((vpcs, instances, zones), (1, 2, 1));

    let mut args = vec!["destroy", "--auto-approve"];
    args.extend(VARS);
    let (out, destroy_secs) = run(&skelc, &dir, moto.port, &args);
    assert!(
        out.status.success(),
        "skelc destroy failed:\n{}",
        text(&out)
    );
    eprintln!(
        "walking skeleton against moto: apply {apply_secs:.1}s, plan {plan_secs:.1}s, destroy {destroy_secs:.1}s"
    );

    let left = rt.block_on(async {
        let cfg = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(&url)
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_ec2::config::Credentials::new(
                "test", "test", None, None, "test",
            ))
            .load()
            .await;
        let ec2 = aws_sdk_ec2::Client::new(&cfg);
        ec2.describe_vpcs()
            .filters(
                aws_sdk_ec2::types::Filter::builder()
                    .name("tag:Project")
                    .values("walking-skeleton")
                    .build(),
            )
            .send()
            .await
            .unwrap()
            .vpcs()
            .len()
    });
    assert_eq!(left, 0, "the VPC survived destroy");
}
