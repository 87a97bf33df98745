//! A module registry for the tests, speaking the module registry protocol v1 over plain HTTP
//! on a port the kernel picks (a `std` listener and a thread per connection): the discovery
//! document, `…/versions` and `…/VERSION/download` (`204` with `X-Terraform-Get`), and files
//! under `/files/` (archives). It records every request with its `Authorization` header, and
//! when a token is required answers `401` to a request without it. Also: git repositories made
//! with the `git` CLI, for the registry to point at and for `git::file://` sources.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

/// One request the registry received.
#[derive(Clone, Debug)]
pub struct Seen {
    pub path: String,
    pub authorization: Option<String>,
}

#[derive(Default)]
struct State {
    /// `NS/NAME/SYSTEM` → [(version, X-Terraform-Get)].
    modules: BTreeMap<String, Vec<(String, String)>>,
    /// `/files/NAME` → bytes.
    files: BTreeMap<String, Vec<u8>>,
    seen: Vec<Seen>,
    token: Option<String>,
}

pub struct Registry {
    pub port: u16,
    state: Arc<Mutex<State>>,
}

impl Registry {
    /// Start a registry; with `token`, every request must carry `Authorization: Bearer TOKEN`.
    pub fn start(token: Option<&str>) -> Registry {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let state = Arc::new(Mutex::new(State {
            token: token.map(str::to_string),
            ..State::default()
        }));
        let shared = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = shared.clone();
                std::thread::spawn(move || {
                    let _ = serve(stream, &state);
                });
            }
        });
        Registry { port, state }
    }

    /// The `modules.v1` URL of this registry.
    pub fn modules_url(&self) -> String {
        format!("http://127.0.0.1:{}/v1/modules/", self.port)
    }

    /// The URL of a file published with [`Registry::publish_file`].
    pub fn file_url(&self, name: &str) -> String {
        format!("http://127.0.0.1:{}/files/{name}", self.port)
    }

    /// Publish a module version whose download answer is `get` (`X-Terraform-Get`).
    pub fn publish(&self, module: &str, version: &str, get: &str) {
        self.state
            .lock()
            .unwrap()
            .modules
            .entry(module.to_string())
            .or_default()
            .push((version.to_string(), get.to_string()));
    }

    pub fn publish_file(&self, name: &str, bytes: Vec<u8>) {
        self.state
            .lock()
            .unwrap()
            .files
            .insert(format!("/files/{name}"), bytes);
    }

    /// Every request so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.state.lock().unwrap().seen.clone()
    }
}

fn serve(stream: TcpStream, state: &Mutex<State>) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut stream = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
        let mut authorization = None;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header)? == 0 {
                return Ok(());
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                if name.eq_ignore_ascii_case("authorization") {
                    authorization = Some(value.trim().to_string());
                }
            }
        }
        let (status, headers, body) = answer(state, &path, authorization);
        let mut head = format!("HTTP/1.1 {status}\r\ncontent-length: {}\r\n", body.len());
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes())?;
        stream.write_all(&body)?;
        stream.flush()?;
    }
}

fn answer(
    state: &Mutex<State>,
    path: &str,
    authorization: Option<String>,
) -> (&'static str, Vec<(String, String)>, Vec<u8>) {
    let mut state = state.lock().unwrap();
    state.seen.push(Seen {
        path: path.to_string(),
        authorization: authorization.clone(),
    });
    if let Some(token) = &state.token {
        if authorization.as_deref() != Some(&format!("Bearer {token}")) {
            return (
                "401 Unauthorized",
                Vec::new(),
                b"{\"errors\":[\"unauthorized\"]}".to_vec(),
            );
        }
    }
    if path == "/.well-known/terraform.json" {
        return (
            "200 OK",
            Vec::new(),
            br#"{"modules.v1":"/v1/modules/"}"#.to_vec(),
        );
    }
    if let Some(bytes) = state.files.get(path) {
        return ("200 OK", Vec::new(), bytes.clone());
    }
    if let Some(rest) = path.strip_prefix("/v1/modules/") {
        let parts: Vec<&str> = rest.split('/').collect();
        match parts.as_slice() {
            [ns, name, system, "versions"] => {
                let key = format!("{ns}/{name}/{system}");
                if let Some(versions) = state.modules.get(&key) {
                    let list: Vec<String> = versions
                        .iter()
                        .map(|(v, _)| format!("{{\"version\":\"{v}\"}}"))
                        .collect();
                    let body = format!(
                        "{{\"modules\":[{{\"source\":\"{key}\",\"versions\":[{}]}}]}}",
                        list.join(",")
                    );
                    return ("200 OK", Vec::new(), body.into_bytes());
                }
            }
            [ns, name, system, version, "download"] => {
                let key = format!("{ns}/{name}/{system}");
                if let Some((_, get)) = state
                    .modules
                    .get(&key)
                    .and_then(|vs| vs.iter().find(|(v, _)| v == version))
                {
                    return (
                        "204 No Content",
                        vec![("X-Terraform-Get".to_string(), get.clone())],
                        Vec::new(),
                    );
                }
            }
            _ => {}
        }
    }
    (
        "404 Not Found",
        Vec::new(),
        b"{\"errors\":[\"not found\"]}".to_vec(),
    )
}

/// Run git in `dir`, panicking with its output on failure; its stdout.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(["-c", "user.email=test@example.com", "-c", "user.name=test"])
        .args([
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "tag.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A git repository at `dir` (created), with a first commit of `files`.
pub fn repo(dir: &Path, files: &[(&str, &str)]) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    git(dir, &["init", "--quiet"]);
    commit(dir, files, "initial");
    dir.to_path_buf()
}

/// Write `files` into the repository and commit them; the commit id.
pub fn commit(dir: &Path, files: &[(&str, &str)], message: &str) -> String {
    for (path, text) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "--quiet", "-m", message]);
    git(dir, &["rev-parse", "HEAD"])
}

/// `git::file://DIR` with an optional `?ref=`.
pub fn file_source(dir: &Path, reference: Option<&str>) -> String {
    let mut s = format!("git::file://{}", dir.display());
    if let Some(r) = reference {
        s.push_str(&format!("?ref={r}"));
    }
    s
}
