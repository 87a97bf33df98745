//! Starting a plugin: go-plugin's handshake.
//!
//! skel runs the executable with the magic cookie, the protocol versions it speaks and a
//! client certificate in the environment; the plugin prints one line on stdout,
//! `CORE|APP|NETWORK|ADDRESS|grpc|CERT`, and serves gRPC there. Everything the plugin writes on
//! stderr afterwards (and on stdout after the handshake line) is forwarded to `tracing` under
//! the target `skel_plugin::output`, naming the provider; the last lines are kept for errors.
//! The process is killed when the [`PluginProcess`] is dropped (and by the kernel when skelc
//! dies: [`crate::lifetime`]); `PluginClient::shutdown` asks it to stop first.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, BufReader};
use tokio::process::{Child, Command};
use tonic::transport::{Channel, Endpoint};

use crate::error::{PluginError, PluginId};
use crate::lifetime::{self, PluginDir};
use crate::tls::{self, Address, Connector};

/// The cookie every Terraform provider plugin checks before it serves.
pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
pub const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

/// How many of a plugin's last stderr lines an error quotes.
const STDERR_TAIL: usize = 20;
/// The longest handshake line read (a garbage-printing executable may print no newline).
const MAX_HANDSHAKE_LINE: u64 = 64 * 1024;

/// How to start a plugin.
#[derive(Clone, Debug)]
pub struct StartOptions {
    /// From start to a connected gRPC channel.
    pub handshake_timeout: Duration,
    /// The TCP port range a plugin that listens on TCP may use.
    pub ports: (u16, u16),
    /// Extra environment for the plugin.
    pub env: Vec<(String, String)>,
}

/// The environment variable that sets the handshake timeout, in seconds (`2`, `0.5`).
pub const TIMEOUT_ENV: &str = "SKEL_PLUGIN_TIMEOUT";
/// The handshake timeout without [`TIMEOUT_ENV`].
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(60);

/// The handshake timeout [`TIMEOUT_ENV`] sets, or the default when it is unset or not a
/// positive number of seconds.
pub fn handshake_timeout_from_env() -> Duration {
    std::env::var(TIMEOUT_ENV)
        .ok()
        .and_then(|text| text.trim().parse::<f64>().ok())
        .filter(|secs| secs.is_finite() && *secs > 0.0)
        .map(Duration::from_secs_f64)
        .unwrap_or(DEFAULT_HANDSHAKE_TIMEOUT)
}

impl Default for StartOptions {
    /// The handshake timeout is [`handshake_timeout_from_env`].
    fn default() -> Self {
        StartOptions {
            handshake_timeout: handshake_timeout_from_env(),
            ports: (10000, 25000),
            env: Vec::new(),
        }
    }
}

/// A running plugin process with its gRPC channel.
pub struct PluginProcess {
    pub id: PluginId,
    /// The plugin protocol version it chose (5 or 6).
    pub protocol: u32,
    pub channel: Channel,
    /// From spawning the process to a connected channel.
    pub startup: Duration,
    /// Whether the connection uses (mutual) TLS: the plugin gave a certificate.
    pub tls: bool,
    child: Mutex<Option<Child>>,
    stderr: Arc<Mutex<VecDeque<String>>>,
    /// The plugin's `TMPDIR`, where go-plugin puts its Unix socket: removed when the process
    /// is ended (see [`crate::lifetime`]).
    dir: Mutex<Option<PluginDir>>,
}

impl PluginProcess {
    /// Runs `executable` and completes the handshake.
    pub async fn start(
        provider: &str,
        executable: &Path,
        options: &StartOptions,
    ) -> Result<PluginProcess, PluginError> {
        let started = Instant::now();
        let id = PluginId {
            provider: provider.to_string(),
            executable: executable.to_path_buf(),
        };
        let tls_error = |message: String| PluginError::Tls {
            plugin: id.clone(),
            message,
        };
        // The certificate's key generation is CPU work (under a millisecond, as `ring` does
        // it): off the async threads.
        let cert = tokio::task::spawn_blocking(tls::client_cert)
            .await
            .map_err(|e| e.to_string())
            .and_then(|c| c)
            .map_err(tls_error)?;
        let plugin_dir = PluginDir::new().map_err(|e| PluginError::Spawn {
            plugin: id.clone(),
            source: std::io::Error::new(
                e.kind(),
                format!("making the plugin's temporary directory: {e}"),
            ),
        })?;
        let mut command = Command::new(executable);
        command
            .env("TMPDIR", plugin_dir.path())
            .env("PLUGIN_UNIX_SOCKET_DIR", plugin_dir.path())
            .env(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)
            .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
            .env("PLUGIN_MIN_PORT", options.ports.0.to_string())
            .env("PLUGIN_MAX_PORT", options.ports.1.to_string())
            .env("PLUGIN_CLIENT_CERT", &cert.pem)
            .envs(options.env.iter().map(|(k, v)| (k, v)))
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true);
        let mut child = lifetime::spawn(command)
            .await
            .map_err(|source| PluginError::Spawn {
                plugin: id.clone(),
                source,
            })?;
        // The TLS library's first use costs tens of milliseconds: paid while the plugin starts.
        let warm = tokio::task::spawn_blocking(tls::warm_up);
        let stderr = Arc::new(Mutex::new(VecDeque::new()));
        let stderr_done = child
            .stderr
            .take()
            .map(|s| tokio::spawn(forward(s, id.provider.clone(), "stderr", stderr.clone())));
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
        let deadline = started + options.handshake_timeout;

        let tail = |stderr: &Arc<Mutex<VecDeque<String>>>| -> Vec<String> {
            stderr
                .lock()
                .map(|t| t.iter().cloned().collect())
                .unwrap_or_default()
        };
        let mut line = Vec::new();
        let mut limited = (&mut stdout).take(MAX_HANDSHAKE_LINE);
        let read = limited.read_until(b'\n', &mut line);
        match tokio::time::timeout_at(deadline.into(), read).await {
            Err(_) => {
                let _ = child.start_kill();
                return Err(PluginError::HandshakeTimeout {
                    plugin: id,
                    timeout: options.handshake_timeout,
                    stderr: tail(&stderr),
                });
            }
            Ok(Err(e)) => {
                return Err(PluginError::BadHandshake {
                    plugin: id,
                    problem: format!("unreadable ({e})"),
                    line: String::new(),
                    stderr: tail(&stderr),
                })
            }
            Ok(Ok(_)) => {}
        }
        if line.is_empty() {
            // End of output: the process is exiting. Give it and its stderr a moment.
            let status = tokio::time::timeout(Duration::from_secs(5), child.wait()).await;
            if let Some(done) = stderr_done {
                let _ = tokio::time::timeout(Duration::from_secs(1), done).await;
            }
            let status = match status {
                Ok(Ok(s)) => s.to_string(),
                _ => "closed its output".to_string(),
            };
            return Err(PluginError::ExitedDuringHandshake {
                plugin: id,
                status,
                stderr: tail(&stderr),
            });
        }
        let text = String::from_utf8_lossy(&line).trim_end().to_string();
        let handshake = match parse_handshake(&text) {
            Ok(h) => h,
            Err(Refusal::Bad(problem)) => {
                let _ = child.start_kill();
                return Err(PluginError::BadHandshake {
                    plugin: id,
                    problem,
                    line: text.chars().take(200).collect(),
                    stderr: tail(&stderr),
                });
            }
            Err(Refusal::Version(version)) => {
                let _ = child.start_kill();
                return Err(PluginError::UnsupportedProtocol {
                    plugin: id,
                    version,
                });
            }
        };
        tokio::spawn(forward(
            stdout,
            id.provider.clone(),
            "stdout",
            Arc::new(Mutex::new(VecDeque::new())),
        ));

        let _ = warm.await;
        let tls = match handshake.server_cert {
            Some(der) => Some(tls::client_config(cert, der).map_err(tls_error)?),
            None => None,
        };
        let uses_tls = tls.is_some();
        let connector = Connector {
            address: handshake.address.clone(),
            tls,
        };
        let endpoint = Endpoint::from_static("http://localhost")
            .connect_timeout(deadline.saturating_duration_since(Instant::now()))
            .tcp_nodelay(true);
        let connect = endpoint.connect_with_connector(connector);
        let channel = match tokio::time::timeout_at(deadline.into(), connect).await {
            Ok(Ok(channel)) => channel,
            Ok(Err(e)) => {
                let message = format!("connecting to {}: {}", handshake.address, chain(&e));
                return Err(match uses_tls {
                    true => PluginError::Tls {
                        plugin: id,
                        message,
                    },
                    false => PluginError::Transport {
                        plugin: id,
                        rpc: "connect",
                        message,
                        stderr: tail(&stderr),
                    },
                });
            }
            Err(_) => {
                return Err(PluginError::HandshakeTimeout {
                    plugin: id,
                    timeout: options.handshake_timeout,
                    stderr: tail(&stderr),
                })
            }
        };
        tokio::spawn(stream_stdio(channel.clone(), id.provider.clone()));
        Ok(PluginProcess {
            id,
            protocol: handshake.protocol,
            channel,
            startup: started.elapsed(),
            tls: uses_tls,
            child: Mutex::new(Some(child)),
            dir: Mutex::new(Some(plugin_dir)),
            stderr,
        })
    }

    /// The last lines the plugin wrote on stderr.
    pub fn stderr_tail(&self) -> Vec<String> {
        self.stderr
            .lock()
            .map(|t| t.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Waits up to `grace` for the process to exit by itself (after a stop request), then kills
    /// it.
    pub async fn finish(&self, grace: Duration) {
        let child = self.child.lock().ok().and_then(|mut c| c.take());
        let Some(mut child) = child else { return };
        if tokio::time::timeout(grace, child.wait()).await.is_err() {
            let _ = child.kill().await;
        }
        self.remove_dir();
    }

    /// Kills the process now (SIGKILL: it can write nothing more) and removes its directory.
    pub fn kill(&self) {
        if let Some(mut child) = self.child.lock().ok().and_then(|mut c| c.take()) {
            let _ = child.start_kill();
        }
        self.remove_dir();
    }

    fn remove_dir(&self) {
        let dir = self.dir.lock().ok().and_then(|mut d| d.take());
        drop(dir);
    }
}

impl Drop for PluginProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The parsed handshake line.
#[derive(Debug, PartialEq)]
pub(crate) struct Handshake {
    pub protocol: u32,
    pub address: Address,
    pub server_cert: Option<Vec<u8>>,
}

#[derive(Debug, PartialEq)]
pub(crate) enum Refusal {
    /// Not a handshake line (what is wrong).
    Bad(String),
    /// A protocol version skel does not speak.
    Version(String),
}

/// Parses `CORE|APP|NETWORK|ADDRESS|PROTOCOL[|CERT]`.
pub(crate) fn parse_handshake(line: &str) -> Result<Handshake, Refusal> {
    let parts: Vec<&str> = line.split('|').collect();
    if parts.len() < 4 {
        return Err(Refusal::Bad(format!(
            "{} fields, expected CORE|APP|NETWORK|ADDRESS|PROTOCOL|CERT",
            parts.len()
        )));
    }
    if parts[0] != "1" {
        return Err(Refusal::Bad(format!(
            "go-plugin core protocol `{}` (skel speaks 1)",
            parts[0]
        )));
    }
    let protocol = match parts[1].parse::<u32>() {
        Ok(v @ (5 | 6)) => v,
        Ok(_) => return Err(Refusal::Version(parts[1].to_string())),
        Err(_) => {
            return Err(Refusal::Bad(format!(
                "an app protocol version `{}` that is no number",
                parts[1]
            )))
        }
    };
    let address = match parts[2] {
        "tcp" => Address::Tcp(parts[3].to_string()),
        "unix" => Address::Unix(PathBuf::from(parts[3])),
        other => return Err(Refusal::Bad(format!("an unknown network `{other}`"))),
    };
    match parts.get(4).copied() {
        Some("grpc") => {}
        Some("netrpc") | None => {
            return Err(Refusal::Bad(
                "for net/rpc, which skel does not speak (only gRPC plugins)".to_string(),
            ))
        }
        Some(other) => return Err(Refusal::Bad(format!("an unknown protocol `{other}`"))),
    }
    let server_cert = match parts.get(5).map(|c| c.trim()).filter(|c| !c.is_empty()) {
        None => None,
        Some(text) => Some(
            base64::engine::general_purpose::STANDARD_NO_PAD
                .decode(text.trim_end_matches('='))
                .map_err(|e| {
                    Refusal::Bad(format!("a server certificate that is not base64 ({e})"))
                })?,
        ),
    };
    Ok(Handshake {
        protocol,
        address,
        server_cert,
    })
}

/// Forwards a plugin's output, line by line, to `tracing`, keeping the last lines.
async fn forward(
    output: impl AsyncRead + Unpin,
    provider: String,
    stream: &'static str,
    tail: Arc<Mutex<VecDeque<String>>>,
) {
    let mut lines = BufReader::new(output);
    let mut line = Vec::new();
    loop {
        line.clear();
        match lines.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        let raw = String::from_utf8_lossy(&line);
        let (text, level) = log_line(raw.trim_end());
        if text.is_empty() {
            continue;
        }
        if matches!(level.as_deref(), Some("error" | "warn")) || text.starts_with("panic:") {
            tracing::warn!(target: "skel_plugin::output", provider = %provider, stream, "{text}");
        } else {
            tracing::debug!(target: "skel_plugin::output", provider = %provider, stream, "{text}");
        }
        if let Ok(mut t) = tail.lock() {
            if t.len() == STDERR_TAIL {
                t.pop_front();
            }
            t.push_back(text);
        }
    }
}

/// Reads go-plugin's stdio stream: what the plugin writes to its own stdout and stderr after
/// start-up travels there (go-plugin 1.3+), and a plugin whose stream nobody reads can block
/// on a full pipe. Forwarded like the process's output; a plugin without the service is fine.
async fn stream_stdio(channel: Channel, provider: String) {
    use crate::proto::plugin::{grpc_stdio_client::GrpcStdioClient, stdio_data::Channel as Ch};
    let Ok(response) = GrpcStdioClient::new(channel)
        .stream_stdio(crate::proto::plugin::Empty {})
        .await
    else {
        return;
    };
    let mut stream = response.into_inner();
    while let Ok(Some(data)) = stream.message().await {
        let stream_name = match Ch::try_from(data.channel) {
            Ok(Ch::Stdout) => "stdout",
            _ => "stderr",
        };
        for line in String::from_utf8_lossy(&data.data).lines() {
            if !line.trim().is_empty() {
                tracing::debug!(target: "skel_plugin::output", provider = %provider, stream = stream_name, "{line}");
            }
        }
    }
}

/// A plugin's log line for people: go-plugin's JSON lines (hclog: `@level`, `@message`, more
/// fields) as `[LEVEL] message key=value …`, anything else as it is; and the level, where known.
fn log_line(line: &str) -> (String, Option<String>) {
    let Ok(serde_json::Value::Object(fields)) = serde_json::from_str::<serde_json::Value>(line)
    else {
        let level = ["ERROR", "WARN"]
            .into_iter()
            .find(|l| line.contains(&format!("[{l}]")))
            .map(str::to_lowercase);
        return (line.to_string(), level);
    };
    let Some(message) = fields.get("@message").and_then(|m| m.as_str()) else {
        return (line.to_string(), None);
    };
    let level = fields
        .get("@level")
        .and_then(|l| l.as_str())
        .map(str::to_string);
    let mut out = format!(
        "[{}] {message}",
        level.as_deref().unwrap_or("info").to_uppercase()
    );
    for (k, v) in &fields {
        if k.starts_with('@') {
            continue;
        }
        match v {
            serde_json::Value::String(s) => out.push_str(&format!(" {k}={s}")),
            other => out.push_str(&format!(" {k}={other}")),
        }
    }
    (out, level)
}

/// An error with its causes, as one line.
pub(crate) fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_log_lines_read_as_text() {
        let (text, level) = log_line(
            r#"{"@level":"debug","@message":"plugin address","@timestamp":"2026-12-07T09:34:29Z","address":"/tmp/p","network":"unix"}"#,
        );
        assert_eq!(text, "[DEBUG] plugin address address=/tmp/p network=unix");
        assert_eq!(level.as_deref(), Some("debug"));
        let (text, level) = log_line("2026/12/07 [ERROR] something broke");
        assert_eq!(text, "2026/12/07 [ERROR] something broke");
        assert_eq!(level.as_deref(), Some("error"));
        assert_eq!(log_line("plain").1, None);
    }

    #[test]
    fn handshake_lines() {
        let h = parse_handshake("1|5|unix|/tmp/plugin123|grpc|").unwrap();
        assert_eq!(h.protocol, 5);
        assert!(matches!(h.address, Address::Unix(ref p) if p == Path::new("/tmp/plugin123")));
        assert_eq!(h.server_cert, None);
        let h = parse_handshake("1|6|tcp|127.0.0.1:1234|grpc|AAEC").unwrap();
        assert_eq!(h.server_cert, Some(vec![0, 1, 2]));
        assert!(matches!(h.address, Address::Tcp(ref a) if a == "127.0.0.1:1234"));
        // Padding is tolerated.
        let h = parse_handshake("1|6|tcp|127.0.0.1:1234|grpc|AAE=").unwrap();
        assert_eq!(h.server_cert, Some(vec![0, 1]));
        assert_eq!(
            parse_handshake("1|4|tcp|127.0.0.1:1|grpc|"),
            Err(Refusal::Version("4".into()))
        );
        for (line, want) in [
            ("hello world", "1 fields"),
            ("2|5|tcp|x|grpc", "core protocol `2`"),
            ("1|five|tcp|x|grpc", "no number"),
            ("1|5|udp|x|grpc", "unknown network `udp`"),
            ("1|5|tcp|x|netrpc", "net/rpc"),
            ("1|5|tcp|x|grpc|!!", "not base64"),
        ] {
            match parse_handshake(line) {
                Err(Refusal::Bad(problem)) => assert!(problem.contains(want), "{line}: {problem}"),
                other => panic!("{line}: {other:?}"),
            }
        }
    }
}
