//! SSH connections for the `file` and `remote-exec` provisioners, with `russh` (pure Rust).
//!
//! Connecting retries until the connection's `timeout` (default 5m) has passed, since a new
//! instance takes a while to boot; authentication failures and a wrong host key are not
//! retried. Authentication uses `private_key` (OpenSSH or PEM text, optionally with
//! `certificate`) and then `password`. The server's identity is checked first
//! ([`super::host_keys`]): against `host_key` (its key, or the CA of its host certificate), or,
//! without it, against the user's `~/.ssh/known_hosts`.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use russh::client::{self, Handle};
use russh::keys::{Certificate, PrivateKey, PrivateKeyWithHashAlg, PublicKey};
use russh::ChannelMsg;
use skel_provider::ProviderError;
use skel_value::Value;
use tokio::net::TcpStream;
use tokio::time::Instant;

use super::host_keys::{HostKeyCheck, Trust, Verdict};
use super::Lines;
use crate::common::{get, get_bool, get_str};

/// The evaluated `connection` block. Its `Debug` form leaves out the secrets.
#[derive(Clone)]
pub struct Connection {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: Option<String>,
    pub private_key: Option<String>,
    pub certificate: Option<String>,
    pub host_key: Option<String>,
    pub timeout: Duration,
    /// Where `remote-exec` uploads scripts (`%RAND%` is replaced by a random number); by
    /// default a private directory made with `mktemp -d`.
    pub script_path: Option<String>,
    /// The user's known_hosts file, consulted when `host_key` is not set.
    pub known_hosts: Option<PathBuf>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "(sensitive)"))
            .field(
                "private_key",
                &self.private_key.as_ref().map(|_| "(sensitive)"),
            )
            .field("host_key", &self.host_key)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Parses a Go-style duration as Terraform's `timeout` takes it: `5m`, `30s`, `1h30m`, `500ms`
/// (`skel_schema::parse_duration`: at most 720h; an absurd value is `None`, never an overflow).
pub fn parse_duration(text: &str) -> Option<Duration> {
    skel_schema::parse_duration(text).ok()
}

fn invalid(message: String) -> ProviderError {
    ProviderError::InvalidConfig(message)
}

impl Connection {
    /// Reads an evaluated `connection` body.
    pub fn from_value(v: &Value) -> Result<Connection, ProviderError> {
        match get_str(v, "type") {
            None | Some("ssh") => {}
            Some(other) => {
                return Err(invalid(format!(
                    "connection: type `{other}` is not supported; only `ssh` is."
                )))
            }
        }
        let Some(host) = get_str(v, "host").filter(|h| !h.is_empty()) else {
            return Err(invalid("connection: `host` must be set.".into()));
        };
        let port = match get(v, "port") {
            Value::Null => 22,
            Value::Number(n) => n
                .as_i64()
                .and_then(|p| u16::try_from(p).ok())
                .filter(|p| *p > 0)
                .ok_or_else(|| invalid(format!("connection: `port` must be 1–65535, not {n}.")))?,
            Value::String(s) => s.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(|| {
                invalid(format!("connection: `port` must be 1–65535, not {s:?}."))
            })?,
            _ => return Err(invalid("connection: `port` must be a number.".into())),
        };
        let user = get_str(v, "user").unwrap_or("root").to_string();
        let timeout = match get_str(v, "timeout") {
            None => Duration::from_secs(300),
            Some(t) => skel_schema::parse_duration(t)
                .map_err(|why| invalid(format!("connection: `timeout` is {t:?}: {why}.")))?,
        };
        if get_str(v, "bastion_host").is_some() {
            return Err(invalid(
                "connection: `bastion_host` is not supported yet; connect to the host directly."
                    .into(),
            ));
        }
        let private_key = get_str(v, "private_key").map(str::to_string);
        let password = get_str(v, "password").map(str::to_string);
        if private_key.is_none() && password.is_none() {
            let agent = if get_bool(v, "agent") == Some(true) {
                " (the SSH agent is not supported)"
            } else {
                ""
            };
            return Err(invalid(format!(
                "connection to {user}@{host}:{port}: set `private_key` or `password`{agent}."
            )));
        }
        Ok(Connection {
            host: host.to_string(),
            port,
            user,
            password,
            private_key,
            certificate: get_str(v, "certificate").map(str::to_string),
            host_key: get_str(v, "host_key").map(str::to_string),
            timeout,
            script_path: get_str(v, "script_path").map(str::to_string),
            known_hosts: std::env::var_os("HOME")
                .filter(|home| !home.is_empty())
                .map(|home| PathBuf::from(home).join(".ssh").join("known_hosts")),
        })
    }

    /// `user@host:port`, for messages.
    pub fn target(&self) -> String {
        if self.host.contains(':') {
            format!("{}@[{}]:{}", self.user, self.host, self.port)
        } else {
            format!("{}@{}:{}", self.user, self.host, self.port)
        }
    }

    fn host_port(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// Why one connection attempt failed.
enum Attempt {
    /// Worth trying again until the timeout (refused, reset, the server still booting).
    Retry(String),
    /// Trying again will not help (authentication failed, wrong host key).
    Fatal(ProviderError),
}

/// An open, authenticated SSH session.
pub struct Session {
    handle: Handle<HostKeyCheck>,
    target: String,
    /// A warning about the server's identity (an unknown host accepted), to show the user.
    pub warning: Option<String>,
}

/// What a remote command did.
pub struct ExecResult {
    /// The exit status (`None` when the command ended without one, e.g. killed by a signal).
    pub status: Option<u32>,
    /// The signal that ended it, if any.
    pub signal: Option<String>,
    /// The last lines of its error output, formatted for a message.
    pub stderr_tail: String,
}

impl ExecResult {
    pub fn success(&self) -> bool {
        self.status == Some(0)
    }

    /// "exited with status 3" / "was killed by signal TERM".
    pub fn describe(&self) -> String {
        match (&self.status, &self.signal) {
            (Some(code), _) => format!("exited with status {code}"),
            (None, Some(sig)) => format!("was killed by signal {sig}"),
            (None, None) => "ended without an exit status".to_string(),
        }
    }
}

fn parse_host_key(conn: &Connection) -> Result<Option<PublicKey>, ProviderError> {
    let Some(text) = conn.host_key.as_deref() else {
        return Ok(None);
    };
    let text = text.trim();
    let parsed = PublicKey::from_openssh(text)
        .ok()
        .or_else(|| russh::keys::parse_public_key_base64(text).ok());
    parsed.map(Some).ok_or_else(|| {
        invalid(format!(
            "connection to {}: `host_key` is not a public key in OpenSSH format \
             (\"ssh-ed25519 AAAA…\").",
            conn.target()
        ))
    })
}

fn parse_private_key(conn: &Connection) -> Result<Option<Arc<PrivateKey>>, ProviderError> {
    let Some(text) = conn.private_key.as_deref() else {
        return Ok(None);
    };
    russh::keys::decode_secret_key(text, None)
        .map(|k| Some(Arc::new(k)))
        .map_err(|_| {
            invalid(format!(
                "connection to {}: `private_key` is not an unencrypted private key in OpenSSH \
                 or PEM format.",
                conn.target()
            ))
        })
}

fn parse_certificate(conn: &Connection) -> Result<Option<Certificate>, ProviderError> {
    let Some(text) = conn.certificate.as_deref() else {
        return Ok(None);
    };
    Certificate::from_openssh(text.trim())
        .map(Some)
        .map_err(|_| {
            invalid(format!(
                "connection to {}: `certificate` is not an OpenSSH certificate.",
                conn.target()
            ))
        })
}

fn describe_io(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::ConnectionRefused => "connection refused".into(),
        std::io::ErrorKind::TimedOut => "connection timed out".into(),
        _ => e.to_string(),
    }
}

fn describe_ssh(e: &russh::Error) -> String {
    match e {
        russh::Error::IO(io) => describe_io(io),
        russh::Error::HUP | russh::Error::Disconnect => "the server closed the connection".into(),
        other => other.to_string(),
    }
}

/// Formats a duration as the user wrote it, roughly: `2s`, `5m`, `1m30s`.
fn show_duration(d: Duration) -> String {
    let secs = d.as_secs();
    if d.subsec_millis() != 0 || secs == 0 {
        return format!("{}ms", d.as_millis());
    }
    match (secs / 60, secs % 60) {
        (0, s) => format!("{s}s"),
        (m, 0) => format!("{m}m"),
        (m, s) => format!("{m}m{s}s"),
    }
}

impl Session {
    /// Connects and authenticates, retrying until the connection's timeout.
    pub async fn connect(conn: &Connection) -> Result<Session, ProviderError> {
        let key = parse_private_key(conn)?;
        let certificate = parse_certificate(conn)?;
        let trust = match parse_host_key(conn)? {
            Some(key) => Trust::Configured(key),
            None => Trust::KnownHosts(conn.known_hosts.clone()),
        };
        let deadline = Instant::now() + conn.timeout;
        let mut delay = Duration::from_millis(250);
        let mut last_error = String::new();
        loop {
            let attempt = tokio::time::timeout_at(
                deadline,
                Self::connect_once(conn, key.clone(), certificate.clone(), trust.clone()),
            )
            .await;
            match attempt {
                Ok(Ok(session)) => return Ok(session),
                Ok(Err(Attempt::Fatal(e))) => return Err(e),
                Ok(Err(Attempt::Retry(message))) => last_error = message,
                Err(_) if last_error.is_empty() => last_error = "timed out".into(),
                Err(_) => {}
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(ProviderError::Unreachable(format!(
                    "Could not connect to {} as {} within {}: {last_error}.",
                    conn.host_port(),
                    conn.user,
                    show_duration(conn.timeout)
                )));
            }
            tokio::time::sleep(delay.min(deadline - now)).await;
            delay = (delay * 2).min(Duration::from_secs(5));
        }
    }

    async fn connect_once(
        conn: &Connection,
        key: Option<Arc<PrivateKey>>,
        certificate: Option<Certificate>,
        trust: Trust,
    ) -> Result<Session, Attempt> {
        let stream = TcpStream::connect((conn.host.as_str(), conn.port))
            .await
            .map_err(|e| Attempt::Retry(describe_io(&e)))?;
        let _ = stream.set_nodelay(true);
        let mut config = client::Config {
            keepalive_interval: Some(Duration::from_secs(30)),
            ..Default::default()
        };
        if matches!(trust, Trust::Configured(_)) {
            // Ask for a host certificate too: `host_key` may be the CA that signed it.
            config.preferred.host_key_certificates = config.preferred.key.clone();
        }
        let verdict = Arc::new(Mutex::new(Verdict::default()));
        let check = HostKeyCheck {
            trust,
            host: conn.host.clone(),
            port: conn.port,
            verdict: verdict.clone(),
        };
        let refused = || {
            verdict
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .refused
                .clone()
        };
        let mut handle = client::connect_stream(Arc::new(config), stream, check)
            .await
            .map_err(|e| match (e, refused()) {
                (_, Some(reason)) => Attempt::Fatal(ProviderError::Auth(format!(
                    "Refusing to connect to {}: {reason}.",
                    conn.host_port()
                ))),
                (russh::Error::UnknownKey, None) => Attempt::Fatal(ProviderError::Auth(format!(
                    "Refusing to connect to {}: its host key was not accepted.",
                    conn.host_port()
                ))),
                (other, None) => Attempt::Retry(describe_ssh(&other)),
            })?;
        let warning = verdict
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .warning
            .take();
        let target = conn.target();
        let mut tried = Vec::new();
        if let Some(key) = key {
            tried.push("publickey");
            let result = match certificate {
                Some(cert) => handle
                    .authenticate_openssh_cert(conn.user.clone(), key, cert)
                    .await
                    .map_err(|e| Attempt::Retry(describe_ssh(&e)))?,
                None => {
                    let hash = handle
                        .best_supported_rsa_hash()
                        .await
                        .map_err(|e| Attempt::Retry(describe_ssh(&e)))?
                        .flatten();
                    handle
                        .authenticate_publickey(
                            conn.user.clone(),
                            PrivateKeyWithHashAlg::new(key, hash),
                        )
                        .await
                        .map_err(|e| Attempt::Retry(describe_ssh(&e)))?
                }
            };
            if result.success() {
                return Ok(Session {
                    handle,
                    target,
                    warning,
                });
            }
        }
        if let Some(password) = &conn.password {
            tried.push("password");
            let result = handle
                .authenticate_password(conn.user.clone(), password.clone())
                .await
                .map_err(|e| Attempt::Retry(describe_ssh(&e)))?;
            if result.success() {
                return Ok(Session {
                    handle,
                    target,
                    warning,
                });
            }
        }
        Err(Attempt::Fatal(ProviderError::Auth(format!(
            "SSH authentication failed for {target} (tried {}): the server rejected the \
             credentials.",
            tried.join(" and ")
        ))))
    }

    /// `user@host:port`.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// Runs `command` (through the remote user's shell), feeding it `stdin` if given, and
    /// streams its output lines to `output`.
    pub async fn exec(
        &self,
        command: &str,
        stdin: Option<&[u8]>,
        output: &mut (dyn FnMut(&str) + Send),
    ) -> Result<ExecResult, ProviderError> {
        let lost = |e: russh::Error| {
            ProviderError::Unreachable(format!(
                "The SSH connection to {} failed: {}.",
                self.target,
                describe_ssh(&e)
            ))
        };
        let mut channel = self.handle.channel_open_session().await.map_err(lost)?;
        channel.exec(true, command).await.map_err(lost)?;
        if let Some(data) = stdin {
            channel.data(data).await.map_err(lost)?;
        }
        channel.eof().await.map_err(lost)?;
        let mut out = Lines::default();
        let mut err = Lines::default();
        let mut status = None;
        let mut signal = None;
        while let Some(msg) = channel.wait().await {
            match msg {
                ChannelMsg::Data { data } => out.push(&data, output),
                ChannelMsg::ExtendedData { data, ext: 1 } => err.push(&data, output),
                ChannelMsg::ExitStatus { exit_status } => status = Some(exit_status),
                ChannelMsg::ExitSignal { signal_name, .. } => {
                    signal = Some(format!("{signal_name:?}"));
                }
                ChannelMsg::Close => break,
                _ => {}
            }
        }
        out.finish(output);
        err.finish(output);
        if status.is_none() && signal.is_none() && self.handle.is_closed() {
            return Err(ProviderError::Unreachable(format!(
                "The SSH connection to {} closed while a command was running.",
                self.target
            )));
        }
        Ok(ExecResult {
            status,
            signal,
            stderr_tail: err.tail_message(),
        })
    }

    /// Closes the connection.
    pub async fn close(self) {
        let _ = self
            .handle
            .disconnect(russh::Disconnect::ByApplication, "", "en")
            .await;
    }
}
