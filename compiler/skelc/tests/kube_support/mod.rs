//! Helpers for the Kubernetes end-to-end tests: a stand-in API server with a kubeconfig in a
//! home directory of its own, running the real `skelc` against it, copies of the examples, and
//! reading which attributes a `plan --json` changes. The tests of objects that do not become
//! ready after they were created live in `not_ready.rs`; those of skel beside the real `kubectl`
//! in `kubectl.rs`.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{json, Value as Json};
use skel_kube_standin::StandIn;

mod kubectl;
mod not_ready;

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

/// A stand-in API server and a kubeconfig pointing at it, in a home directory of its own (so
/// no `~/.kube/config` of the machine is ever read).
pub struct Cluster {
    pub standin: StandIn,
    pub home: tempfile::TempDir,
    pub kubeconfig: PathBuf,
}

pub fn cluster() -> Cluster {
    let standin = skel_kube_standin::start().expect("start the stand-in");
    let home = tempfile::tempdir().expect("tempdir");
    let kubeconfig = home.path().join("kubeconfig");
    standin
        .write_kubeconfig(&kubeconfig, None)
        .expect("write the kubeconfig");
    Cluster {
        standin,
        home,
        kubeconfig,
    }
}

impl Cluster {
    pub fn url(&self) -> &str {
        self.standin.url()
    }

    /// `GET path` on the stand-in: the status code and the body.
    pub fn get(&self, path: &str) -> (u16, Json) {
        skel_kube_standin::client::request(self.url(), "GET", path, "application/json", "")
            .expect("GET from the stand-in")
    }

    /// The object at `path`, which must exist.
    pub fn object(&self, path: &str) -> Json {
        let (code, body) = self.get(path);
        assert_eq!(code, 200, "GET {path}: {body}");
        body
    }

    pub fn assert_gone(&self, path: &str) {
        let (code, body) = self.get(path);
        assert_eq!(code, 404, "GET {path} after destroy: {body}");
    }

    /// A write as `kubectl` would make it (merge patch, create or delete).
    pub fn send(&self, method: &str, path: &str, content_type: &str, body: &Json) -> Json {
        let (code, answer) = skel_kube_standin::client::request(
            self.url(),
            method,
            path,
            content_type,
            &body.to_string(),
        )
        .expect("request to the stand-in");
        assert!(
            (200..300).contains(&code),
            "{method} {path}: {code} {answer}"
        );
        answer
    }

    /// Runs `skelc ARGS` in `dir` with this cluster's kubeconfig.
    pub fn skelc(&self, dir: &Path, args: &[&str]) -> Out {
        let mut cmd = base_command(dir, args, self.home.path());
        cmd.env("KUBECONFIG", &self.kubeconfig);
        run(cmd, args)
    }

    pub fn ok(&self, dir: &Path, args: &[&str]) -> Out {
        let out = self.skelc(dir, args);
        assert_eq!(out.code, 0, "skelc {args:?} failed: {out:?}");
        out
    }

    /// `skelc plan --json ARGS`, parsed.
    pub fn plan_json(&self, dir: &Path, args: &[&str]) -> Json {
        let mut all = vec!["plan", "--json"];
        all.extend_from_slice(args);
        let out = self.ok(dir, &all);
        serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("plan JSON: {e}: {out:?}"))
    }
}

/// `skelc ARGS` in `dir` with `home` as HOME and no Kubernetes settings from the environment.
pub fn base_command(dir: &Path, args: &[&str], home: &Path) -> Command {
    let mut cmd = Command::new(SKELC);
    cmd.args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("HOME", home)
        .env_remove("KUBECONFIG")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env_remove("KUBERNETES_SERVICE_PORT")
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::null());
    cmd
}

pub fn run(mut cmd: Command, args: &[&str]) -> Out {
    let output = cmd.output().expect("skelc runs");
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

pub fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("create dir");
    for entry in fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("dir entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

/// A copy of `examples/<name>` in a fresh temp directory (no state).
pub fn example(name: &str) -> (tempfile::TempDir, PathBuf) {
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(name);
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join(name);
    copy_dir(&source, &dir);
    (tmp, dir)
}

/// A temp directory holding `main.skel` with `config`.
pub fn project(config: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("root");
    fs::create_dir_all(&dir).expect("create dir");
    fs::write(dir.join("main.skel"), config).expect("write main.skel");
    (tmp, dir)
}

pub fn b64(text: &[u8]) -> String {
    use std::fmt::Write;
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in text.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                let _ = out.write_char(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// One planned change: the action, the attribute paths whose known value changes, and the
/// paths that become unknown.
#[derive(Debug)]
pub struct Change {
    pub action: String,
    pub changed: BTreeSet<String>,
    pub unknown: BTreeSet<String>,
}

pub fn show_path(path: &[Json]) -> String {
    path.iter()
        .map(|step| match step {
            Json::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// The leaf paths where `before` and `after` differ (lists of different lengths, and values of
/// different shapes, are one leaf).
pub fn diff(before: &Json, after: &Json, path: &mut Vec<Json>, out: &mut BTreeSet<String>) {
    match (before, after) {
        (Json::Object(a), Json::Object(b)) => {
            let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for key in keys {
                path.push(Json::String(key.clone()));
                diff(
                    a.get(key).unwrap_or(&Json::Null),
                    b.get(key).unwrap_or(&Json::Null),
                    path,
                    out,
                );
                path.pop();
            }
        }
        (Json::Array(a), Json::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                path.push(json!(i));
                diff(x, y, path, out);
                path.pop();
            }
        }
        (a, b) if a != b => {
            out.insert(show_path(path));
        }
        _ => {}
    }
}

/// Every resource change of a `plan --json` document that is not a no-op, by address.
pub fn changes(plan: &Json) -> std::collections::BTreeMap<String, Change> {
    let mut out = std::collections::BTreeMap::new();
    for rc in plan["resource_changes"]
        .as_array()
        .expect("resource_changes")
    {
        let action = rc["action"].as_str().expect("action").to_string();
        if action == "no_op" {
            continue;
        }
        let unknown: BTreeSet<String> = rc["after_unknown"]
            .as_array()
            .expect("after_unknown")
            .iter()
            .map(|p| show_path(p.as_array().expect("path")))
            .collect();
        let mut changed = BTreeSet::new();
        diff(&rc["before"], &rc["after"], &mut Vec::new(), &mut changed);
        changed.retain(|p| !unknown.contains(p));
        let address = rc["address"].as_str().expect("address").to_string();
        out.insert(
            address,
            Change {
                action,
                changed,
                unknown,
            },
        );
    }
    out
}

pub fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// The metadata the server rewrites on every change: unknown in any update's plan.
pub fn server_metadata() -> BTreeSet<String> {
    set(&["metadata.0.generation", "metadata.0.resource_version"])
}

/// An in-place update changing exactly `paths` (plus the server-maintained metadata).
pub fn assert_update(change: Option<&Change>, paths: &[&str]) {
    let change = change.expect("a planned change");
    assert_eq!(change.action, "update", "{change:?}");
    assert_eq!(change.changed, set(paths), "{change:?}");
    assert!(
        change.unknown.is_subset(&server_metadata()),
        "only server metadata may become unknown: {change:?}"
    );
}
