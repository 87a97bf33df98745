//! `PluginError`: every way talking to a plugin fails, each naming the provider and the
//! executable so a user knows which plugin to look at.

use std::path::PathBuf;
use std::time::Duration;

use crate::answer::Diagnostic;

/// Which plugin an error is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PluginId {
    /// The provider's name as skel knows it (`null`, `hashicorp/null`).
    pub provider: String,
    pub executable: PathBuf,
}

impl std::fmt::Display for PluginId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "provider `{}` ({})",
            self.provider,
            self.executable.display()
        )
    }
}

/// A failure of a plugin or of talking to it.
#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    /// The executable could not be started at all.
    #[error("{plugin}: cannot start the plugin: {source}")]
    Spawn {
        plugin: PluginId,
        source: std::io::Error,
    },
    /// It ran and exited without a handshake: not a plugin, or one that failed at start-up.
    #[error(
        "{plugin}: the plugin exited during the handshake ({status}){}",
        stderr_tail(stderr)
    )]
    ExitedDuringHandshake {
        plugin: PluginId,
        status: String,
        stderr: Vec<String>,
    },
    /// Its first line of output is not a go-plugin handshake line.
    #[error(
        "{plugin}: not a plugin: the handshake line is {problem}: `{line}`{}",
        stderr_tail(stderr)
    )]
    BadHandshake {
        plugin: PluginId,
        problem: String,
        line: String,
        stderr: Vec<String>,
    },
    /// It speaks a protocol version skel does not (skel speaks 5 and 6).
    #[error("{plugin}: the plugin speaks plugin protocol {version}, skel speaks 5 and 6 (it is too old or too new for skel)")]
    UnsupportedProtocol { plugin: PluginId, version: String },
    /// No handshake line within the time allowed.
    #[error("{plugin}: the plugin did not complete the handshake within {}s{}", timeout.as_secs_f64(), stderr_tail(stderr))]
    HandshakeTimeout {
        plugin: PluginId,
        timeout: Duration,
        stderr: Vec<String>,
    },
    /// Setting up mutual TLS failed (a certificate skel cannot use, a failed TLS handshake).
    #[error("{plugin}: TLS: {message}")]
    Tls { plugin: PluginId, message: String },
    /// The connection or a call failed at the gRPC level (a plugin that crashed: its last
    /// stderr lines say why).
    #[error("{plugin}: {rpc}: {message}{}", stderr_tail(stderr))]
    Transport {
        plugin: PluginId,
        rpc: &'static str,
        message: String,
        stderr: Vec<String>,
    },
    /// An answer that cannot be read: malformed msgpack or JSON, a type that is no cty type.
    #[error("{plugin}: {rpc}: the plugin's answer is malformed: {what}: {source}")]
    Malformed {
        plugin: PluginId,
        rpc: &'static str,
        what: String,
        source: Box<crate::cty::DecodeError>,
    },
    /// A resource or data-source type the plugin's schema does not have.
    #[error("{plugin}: {rpc}: the provider has no {kind} type `{type_name}`")]
    UnknownType {
        plugin: PluginId,
        rpc: &'static str,
        kind: &'static str,
        type_name: String,
    },
    /// The plugin answered with error diagnostics.
    #[error("{plugin}: {rpc}: {}", diagnostics_text(diagnostics))]
    Diagnostics {
        plugin: PluginId,
        rpc: &'static str,
        diagnostics: Vec<Diagnostic>,
    },
}

impl PluginError {
    /// The plugin the error is about.
    pub fn plugin(&self) -> &PluginId {
        match self {
            PluginError::Spawn { plugin, .. }
            | PluginError::ExitedDuringHandshake { plugin, .. }
            | PluginError::BadHandshake { plugin, .. }
            | PluginError::UnsupportedProtocol { plugin, .. }
            | PluginError::HandshakeTimeout { plugin, .. }
            | PluginError::Tls { plugin, .. }
            | PluginError::Transport { plugin, .. }
            | PluginError::Malformed { plugin, .. }
            | PluginError::UnknownType { plugin, .. }
            | PluginError::Diagnostics { plugin, .. } => plugin,
        }
    }
}

fn stderr_tail(lines: &[String]) -> String {
    if lines.is_empty() {
        return String::new();
    }
    let mut out = String::from("; its stderr ends with:");
    for line in lines {
        out.push_str("\n  ");
        out.push_str(line);
    }
    out
}

fn diagnostics_text(diagnostics: &[Diagnostic]) -> String {
    let errors: Vec<String> = diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(Diagnostic::to_string)
        .collect();
    errors.join("; ")
}
