//! Helpers for the leak corpus (`leaks.rs`, `ephemeral.rs`): running the real `skelc` with
//! variables from every source, and every derived form of a secret that must never appear in
//! what it prints (or, for ephemeral values, in any file it writes).

use std::fs;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use base64::Engine;
use sha2::Digest;

pub const SKELC: &str = env!("CARGO_BIN_EXE_skelc");

/// One finished `skelc` invocation.
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
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

/// How `skelc` is run: its directory, and the environment variables to set.
pub struct Runner {
    pub dir: PathBuf,
    pub env: Vec<(String, String)>,
}

impl Runner {
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(SKELC);
        cmd.args(args)
            .current_dir(&self.dir)
            .env("NO_COLOR", "1")
            .env("HOME", &self.dir)
            .env_remove("RUST_BACKTRACE")
            .env_remove("KUBECONFIG")
            .stdin(Stdio::null());
        for (k, _) in std::env::vars() {
            if k.starts_with("SKEL_VAR_") {
                cmd.env_remove(k);
            }
        }
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    pub fn skelc(&self, args: &[&str]) -> Out {
        let output = self.command(args).output().expect("skelc runs");
        let out = Out {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        };
        assert_ne!(out.code, 101, "skelc {args:?} panicked: {out:?}");
        assert!(
            !out.stderr.contains("panicked at"),
            "skelc {args:?} panicked: {out:?}"
        );
        out
    }

    pub fn ok(&self, args: &[&str]) -> Out {
        let out = self.skelc(args);
        assert_eq!(out.code, 0, "skelc {args:?} failed: {out:?}");
        out
    }
}

/// A temp directory holding `main.skel` with `config`.
pub fn project(config: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = fs::canonicalize(tmp.path()).expect("canonical tempdir");
    fs::write(dir.join("main.skel"), config).expect("write main.skel");
    (tmp, dir)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A string as it appears inside a JSON (or HCL) string literal.
fn escaped(s: &str) -> String {
    let quoted = serde_json::to_string(s).expect("json");
    quoted[1..quoted.len() - 1].to_string()
}

/// A string URL-encoded (every byte but the unreserved ones as `%XX`), as a query string or
/// a presigned URL carries it.
fn url_encoded(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Every form of `secret` a careless program could print: itself, base64, upper and lower
/// case, its 7-character prefix, JSON-escaped once and twice (a JSON document in a JSON or HCL
/// string), hex, URL-encoded, its SHA-256 and MD5 in hex, and each line of a multi-line
/// secret.
pub fn forms(secret: &str) -> Vec<String> {
    let b64 = base64::engine::general_purpose::STANDARD.encode(secret);
    let mut out = vec![
        secret.to_string(),
        b64.clone(),
        b64.trim_end_matches('=').to_string(),
        secret.to_uppercase(),
        secret.to_lowercase(),
        secret.chars().take(7).collect(),
        escaped(secret),
        escaped(&escaped(secret)),
        escaped(&serde_json::json!({ "secret": secret }).to_string()),
        hex(secret.as_bytes()),
        url_encoded(secret),
        hex(&sha2::Sha256::digest(secret.as_bytes())),
        hex(&md5::Md5::digest(secret.as_bytes())),
    ];
    out.extend(secret.lines().filter(|l| l.len() >= 6).map(str::to_string));
    out.sort();
    out.dedup();
    out
}

/// Asserts that no form of any of `secrets` is in the output of `what`.
pub fn assert_hidden(out: &Out, what: &str, secrets: &[&str]) {
    let all = out.all();
    for secret in secrets {
        for form in forms(secret) {
            assert!(
                !all.contains(&form),
                "`{what}` printed {form:?} (a form of {secret:?}):\n{out:?}"
            );
        }
    }
}
