//! Verifying an SSH server's identity before anything is sent to it.
//!
//! - `host_key` set to the server's key: the key presented (or the key inside a certificate
//!   presented) must be that key.
//! - `host_key` set to a certificate authority's key: the server must present a host
//!   certificate signed by it (signature checked), valid now, naming the host connected to among
//!   its principals, with no critical options.
//! - `host_key` not set: the user's `~/.ssh/known_hosts` (plain and hashed entries) decides when
//!   it knows the host — a changed key is an error, as with OpenSSH; a host it does not know is
//!   accepted with a one-line warning naming the host and the key's SHA-256 fingerprint.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use russh::keys::ssh_key::certificate::CertType;
use russh::keys::{Certificate, HashAlg, PublicKey, PublicKeyOrCertificate};

/// What the server's key is checked against.
#[derive(Clone, Debug)]
pub(super) enum Trust {
    /// `host_key`: the server's own key, or the CA that signs its host certificate.
    Configured(PublicKey),
    /// No `host_key`: the known_hosts file at this path (when there is a home directory).
    KnownHosts(Option<PathBuf>),
}

/// The decision about the key the server presented, kept for the caller's messages.
#[derive(Clone, Debug, Default)]
pub(super) struct Verdict {
    /// Why the key was refused.
    pub refused: Option<String>,
    /// A warning to show once connected (an unknown host accepted).
    pub warning: Option<String>,
}

/// The russh handler that checks the server key.
pub(super) struct HostKeyCheck {
    pub trust: Trust,
    /// The host as connected to (name or address) and the port, as known_hosts records them.
    pub host: String,
    pub port: u16,
    pub verdict: Arc<Mutex<Verdict>>,
}

impl HostKeyCheck {
    fn decide(&self, presented: &PublicKeyOrCertificate) -> Result<Option<String>, String> {
        match (&self.trust, presented) {
            (Trust::Configured(expected), PublicKeyOrCertificate::PublicKey { key, .. }) => {
                if key.key_data() == expected.key_data() {
                    Ok(None)
                } else {
                    Err(format!(
                        "its key {} does not match the connection's `host_key`",
                        key.fingerprint(HashAlg::Sha256)
                    ))
                }
            }
            (Trust::Configured(expected), PublicKeyOrCertificate::Certificate(cert)) => {
                if cert.public_key() == expected.key_data() {
                    // `host_key` pins the server's own key, which the certificate carries.
                    return Ok(None);
                }
                self.check_certificate(cert, expected).map(|()| None)
            }
            (Trust::KnownHosts(path), PublicKeyOrCertificate::PublicKey { key, .. }) => {
                self.check_known_hosts(path.as_ref(), key)
            }
            (Trust::KnownHosts(_), PublicKeyOrCertificate::Certificate(_)) => Err(
                "it presented a certificate, but no `host_key` (certificate authority) is set"
                    .into(),
            ),
        }
    }

    fn check_certificate(&self, cert: &Certificate, ca: &PublicKey) -> Result<(), String> {
        if cert.signature_key() != ca.key_data() {
            return Err(format!(
                "its host key {} is not the connection's `host_key` ({}), and its host \
                 certificate is signed by another authority ({})",
                cert.public_key().fingerprint(HashAlg::Sha256),
                ca.fingerprint(HashAlg::Sha256),
                cert.signature_key().fingerprint(HashAlg::Sha256)
            ));
        }
        if cert.cert_type() != CertType::Host {
            return Err("it presented a user certificate, not a host certificate".into());
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        if now < cert.valid_after() {
            return Err("its host certificate is not valid yet".into());
        }
        if now >= cert.valid_before() {
            return Err("its host certificate has expired".into());
        }
        // Signature, validity and the CA's fingerprint, by ssh-key.
        let ca_fingerprint = ca.fingerprint(HashAlg::Sha256);
        cert.validate_at(now, [&ca_fingerprint])
            .map_err(|_| "its host certificate's signature is not valid".to_string())?;
        if !cert.critical_options().is_empty() {
            return Err(
                "its host certificate has critical options, which skel does not know".into(),
            );
        }
        if !cert.valid_principals().iter().any(|p| p == &self.host) {
            return Err(format!(
                "its host certificate is not valid for `{}` (principals: {})",
                self.host,
                if cert.valid_principals().is_empty() {
                    "none".to_string()
                } else {
                    cert.valid_principals().join(", ")
                }
            ));
        }
        Ok(())
    }

    fn check_known_hosts(
        &self,
        path: Option<&PathBuf>,
        key: &PublicKey,
    ) -> Result<Option<String>, String> {
        let fingerprint = key.fingerprint(HashAlg::Sha256);
        let shown = match self.port {
            22 => self.host.clone(),
            port => format!("[{}]:{port}", self.host),
        };
        let unknown = || {
            Ok(Some(format!(
                "warning: {shown} is not in known_hosts; accepting its {} key {fingerprint} \
                 without verification (set `host_key` to pin it)",
                key.algorithm()
            )))
        };
        let Some(path) = path.filter(|p| p.exists()) else {
            return unknown();
        };
        match russh::keys::check_known_hosts_path(&self.host, self.port, key, path) {
            Ok(true) => Ok(None),
            Ok(false) => unknown(),
            Err(russh::keys::Error::KeyChanged { line }) => Err(format!(
                "its host key has CHANGED: {} line {line} records another {} key for {shown}, and \
                 it presented {fingerprint}. Someone may be intercepting the connection; if the \
                 host was rebuilt, remove the old entry (ssh-keygen -R '{shown}')",
                path.display(),
                key.algorithm()
            )),
            Err(e) => Err(format!("{} could not be read: {e}", path.display())),
        }
    }
}

impl russh::client::Handler for HostKeyCheck {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        server_public_key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        let decision = self.decide(server_public_key);
        let mut verdict = self
            .verdict
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        Ok(match decision {
            Ok(warning) => {
                verdict.warning = warning;
                true
            }
            Err(reason) => {
                verdict.refused = Some(reason);
                false
            }
        })
    }
}
