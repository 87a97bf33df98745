//! A language-server client for tests: starts the real `skelc lsp` process and speaks JSON-RPC
//! with `Content-Length` framing over its stdin/stdout.

#![allow(dead_code)] // each test binary uses a different part of it

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

pub const TIMEOUT: Duration = Duration::from_secs(30);

pub struct Server {
    child: Child,
    stdin: ChildStdin,
    incoming: Receiver<Value>,
    /// Notifications received while waiting for something else.
    pending: VecDeque<Value>,
    next_id: i64,
    /// The methods of the requests the server sent, in order.
    requests_seen: Vec<String>,
    /// Server requests answered with an error instead of a result (a client refusing them).
    pub refuse: Vec<String>,
}

/// What the test client says of itself and how `skelc lsp` is started.
pub struct ClientOptions<'a> {
    /// Extra environment variables for `skelc lsp`.
    pub env: &'a [(&'a str, &'a str)],
    /// The client's `window.workDoneProgress` capability.
    pub work_done_progress: bool,
}

impl Default for ClientOptions<'_> {
    fn default() -> Self {
        ClientOptions {
            env: &[],
            work_done_progress: true,
        }
    }
}

/// `file://` URI of a path.
pub fn uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// A temporary copy of `examples/walking-skeleton` and `examples/modules` (the caller's
/// `../modules/...` sources resolve inside it).
pub fn example_workspace() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = tmp.path().canonicalize().expect("canonical temp dir");
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    copy_dir(
        &examples.join("walking-skeleton"),
        &root.join("walking-skeleton"),
    );
    copy_dir(&examples.join("modules"), &root.join("modules"));
    (tmp, root)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("read dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            copy_dir(&path, &to.join(entry.file_name()));
        } else {
            std::fs::copy(&path, to.join(entry.file_name())).expect("copy file");
        }
    }
}

fn read_message(reader: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(n) = line.strip_prefix("Content-Length:") {
            length = n.trim().parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

impl Server {
    /// Start `skelc lsp` and complete the initialize handshake with `root` as the workspace.
    pub fn start(root: &Path, position_encodings: &[&str]) -> (Server, Value) {
        Server::start_with(root, position_encodings, &ClientOptions::default())
    }

    /// [`Server::start`] with other client options.
    pub fn start_with(
        root: &Path,
        position_encodings: &[&str],
        options: &ClientOptions,
    ) -> (Server, Value) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_skelc"))
            .arg("lsp")
            .envs(options.env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start skelc lsp");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, incoming) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(message) = read_message(&mut reader) {
                if tx.send(message).is_err() {
                    break;
                }
            }
        });
        let mut server = Server {
            child,
            stdin,
            incoming,
            pending: VecDeque::new(),
            next_id: 1,
            requests_seen: Vec::new(),
            refuse: Vec::new(),
        };
        let result = server.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": uri(root),
                "workspaceFolders": [{ "uri": uri(root), "name": "root" }],
                "capabilities": {
                    "general": { "positionEncodings": position_encodings },
                    "workspace": { "didChangeWatchedFiles": { "dynamicRegistration": true } },
                    "window": { "workDoneProgress": options.work_done_progress },
                },
            }),
        );
        server.notify("initialized", json!({}));
        (server, result)
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        let mut message = json!({ "jsonrpc": "2.0", "method": method });
        if !params.is_null() {
            message["params"] = params;
        }
        self.send(message);
    }

    fn send(&mut self, message: Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{}", body.len(), body).expect("write");
        self.stdin.flush().expect("flush");
    }

    fn recv(&mut self, deadline: Instant) -> Value {
        let left = deadline.saturating_duration_since(Instant::now());
        match self.incoming.recv_timeout(left) {
            Ok(message) => message,
            Err(RecvTimeoutError::Timeout) => panic!("timed out waiting for the server"),
            Err(RecvTimeoutError::Disconnected) => panic!("the server closed its output"),
        }
    }

    /// Send a request and return its response (`result` or `error` object).
    pub fn request_raw(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        let mut message = json!({ "jsonrpc": "2.0", "id": id, "method": method });
        if !params.is_null() {
            message["params"] = params;
        }
        self.send(message);
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let message = self.recv(deadline);
            if message.get("id") == Some(&json!(id)) && message.get("method").is_none() {
                return message;
            }
            self.handle_other(message);
        }
    }

    /// Send a request and return its result, failing the test on an error response.
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let response = self.request_raw(method, params);
        if let Some(error) = response.get("error") {
            panic!("{method} failed: {error}");
        }
        response["result"].clone()
    }

    /// Answer requests from the server (capability registration, progress tokens; an error
    /// for those in `refuse`); keep notifications.
    fn handle_other(&mut self, message: Value) {
        match (message.get("id"), message.get("method")) {
            (Some(id), Some(method)) => {
                let id = id.clone();
                let method = method.as_str().unwrap_or_default().to_string();
                if self.refuse.contains(&method) {
                    let error = json!({ "code": -32603, "message": "refused by the test client" });
                    self.send(json!({ "jsonrpc": "2.0", "id": id, "error": error }));
                } else {
                    self.send(json!({ "jsonrpc": "2.0", "id": id, "result": null }));
                }
                self.requests_seen.push(method);
            }
            (None, Some(_)) => self.pending.push_back(message),
            _ => {}
        }
    }

    /// The next `publishDiagnostics` for `uri` whose diagnostics satisfy `accept` (earlier ones
    /// for that file are skipped; other notifications are kept).
    pub fn diagnostics_where(
        &mut self,
        uri: &str,
        accept: impl Fn(&[Value]) -> bool,
    ) -> Vec<Value> {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let index = self.pending.iter().position(|m| {
                m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
            });
            if let Some(index) = index {
                let message = self.pending.remove(index).expect("present");
                let list = message["params"]["diagnostics"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                if accept(&list) {
                    return list;
                }
                continue;
            }
            let message = self.recv(deadline);
            self.handle_other(message);
        }
    }

    /// Wait for the end of the workspace's first check (work-done progress with the token
    /// `skel/first-check`, which the server must have created and begun first; reports in
    /// between must not go backwards). Returns the
    /// URIs published before the end, in order, the end's message and the reports'
    /// percentages.
    pub fn first_check(&mut self) -> (Vec<String>, String, Vec<u64>) {
        let deadline = Instant::now() + TIMEOUT;
        let (mut created, mut begun, mut reports) = (false, false, Vec::new());
        loop {
            let message = self.recv(deadline);
            let method = message["method"].as_str().unwrap_or_default();
            if method == "window/workDoneProgress/create" {
                assert_eq!(message["params"]["token"], "skel/first-check");
                created = true;
            }
            if method == "$/progress" && message["params"]["token"] == "skel/first-check" {
                let value = &message["params"]["value"];
                match value["kind"].as_str() {
                    Some("begin") => {
                        assert!(created, "progress begun before its token was created");
                        begun = true;
                    }
                    Some("report") => {
                        assert!(begun, "progress reported before it began");
                        let percentage = value["percentage"].as_u64().unwrap_or(0);
                        let last = reports.last().copied().unwrap_or(0);
                        assert!(percentage >= last && percentage <= 100, "{message}");
                        reports.push(percentage);
                    }
                    Some("end") => {
                        assert!(begun, "progress ended before it began");
                        let published = self
                            .pending
                            .iter()
                            .filter(|m| m["method"] == "textDocument/publishDiagnostics")
                            .map(|m| m["params"]["uri"].as_str().unwrap_or_default().to_string())
                            .collect();
                        let text = value["message"].as_str().unwrap_or_default().to_string();
                        return (published, text, reports);
                    }
                    other => panic!("unexpected progress {other:?}: {message}"),
                }
                continue;
            }
            self.handle_other(message);
        }
    }

    /// The next `publishDiagnostics` for `uri`.
    pub fn diagnostics(&mut self, uri: &str) -> Vec<Value> {
        self.diagnostics_where(uri, |_| true)
    }

    pub fn open(&mut self, path: &Path, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": {
                "uri": uri(path), "languageId": "skel", "version": 1, "text": text,
            }}),
        );
    }

    /// One incremental edit replacing `[start, end)` (line, character) with `text`.
    pub fn change(
        &mut self,
        path: &Path,
        version: i32,
        start: (u32, u32),
        end: (u32, u32),
        text: &str,
    ) {
        self.notify(
            "textDocument/didChange",
            json!({
                "textDocument": { "uri": uri(path), "version": version },
                "contentChanges": [{
                    "range": {
                        "start": { "line": start.0, "character": start.1 },
                        "end": { "line": end.0, "character": end.1 },
                    },
                    "text": text,
                }],
            }),
        );
    }

    /// `shutdown`, `exit`, and the process must end with status 0.
    pub fn shutdown(self) {
        self.shutdown_collect();
    }

    /// [`Server::shutdown`], returning every notification not taken yet (the pending ones and
    /// all the server sent until its output closed) and the methods of every request the
    /// server sent.
    pub fn shutdown_collect(mut self) -> (Vec<Value>, Vec<String>) {
        let result = self.request("shutdown", Value::Null);
        assert_eq!(result, Value::Null);
        self.notify("exit", Value::Null);
        let deadline = Instant::now() + TIMEOUT;
        loop {
            match self
                .incoming
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            {
                Ok(message) => self.handle_other(message),
                Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => panic!("skelc lsp kept its output open"),
            }
        }
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                assert!(status.success(), "skelc lsp exited with {status}");
                let requests = std::mem::take(&mut self.requests_seen);
                return (self.pending.drain(..).collect(), requests);
            }
            assert!(
                Instant::now() < deadline,
                "skelc lsp did not exit after `exit`"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
