//! A moto server of a test's own (the AWS emulator, started and stopped by `scripts/moto`
//! from the project's virtualenv), the environment that points `skelc` at it, and an SDK
//! configuration for checking through the AWS API rather than through skel.
#![allow(dead_code)]

use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A moto server, stopped on drop.
pub struct Moto {
    dir: tempfile::TempDir,
    port: u16,
    /// A runtime and SDK configuration for checking through the API, made once.
    api: OnceLock<(tokio::runtime::Runtime, aws_config::SdkConfig)>,
}

impl Moto {
    pub fn start() -> Moto {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = Command::new(repo().join("scripts/moto"))
            .arg("start")
            .arg(dir.path())
            .env("SKEL_MOTO_PARENT", std::process::id().to_string())
            .output()
            .expect("run scripts/moto");
        let port = String::from_utf8_lossy(&out.stdout)
            .lines()
            .find_map(|l| l.strip_prefix("PORT=").and_then(|p| p.trim().parse().ok()));
        match port {
            Some(port) if out.status.success() => Moto {
                dir,
                port,
                api: OnceLock::new(),
            },
            _ => panic!(
                "could not start moto (scripts/moto installs it into .venv-moto; it needs \
                 python3 and PyPI): {}",
                String::from_utf8_lossy(&out.stderr)
            ),
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The environment that points `skelc` (through the AWS SDK's own variables) at this
    /// server, with test credentials and no retries.
    pub fn env(&self) -> Vec<(String, String)> {
        [
            ("AWS_ENDPOINT_URL", self.url()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_ACCESS_KEY_ID", "test".into()),
            ("AWS_SECRET_ACCESS_KEY", "test".into()),
            ("AWS_MAX_ATTEMPTS", "1".into()),
            ("AWS_PROFILE", String::new()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    /// Runs `f` with an SDK configuration for this server.
    pub fn with_sdk<T, F: Future<Output = T>>(
        &self,
        f: impl FnOnce(aws_config::SdkConfig) -> F,
    ) -> T {
        let (rt, config) = self.api.get_or_init(|| {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            let config = rt.block_on(
                aws_config::defaults(aws_config::BehaviorVersion::latest())
                    .endpoint_url(self.url())
                    .region(aws_config::Region::new("us-east-1"))
                    .credentials_provider(aws_sdk_ec2::config::Credentials::new(
                        "test", "test", None, None, "test",
                    ))
                    .load(),
            );
            (rt, config)
        });
        rt.block_on(f(config.clone()))
    }

    /// Runs `f` with an EC2 client for this server.
    pub fn ec2<T, F: Future<Output = T>>(&self, f: impl FnOnce(aws_sdk_ec2::Client) -> F) -> T {
        self.with_sdk(|sdk| f(aws_sdk_ec2::Client::new(&sdk)))
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = Command::new(repo().join("scripts/moto"))
            .arg("stop")
            .arg(self.dir.path())
            .status();
    }
}
