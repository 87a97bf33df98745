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

/// Why the key a server presented is refused; the message completes "Refusing to connect to
/// HOST: …". Fingerprints are SHA-256 (`SHA256:…`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(super) enum HostKeyRefusal {
    #[error("its key {presented} does not match the connection's `host_key`")]
    KeyMismatch { presented: String },
    #[error(
        "its host key {presented} is not the connection's `host_key` ({authority}), and its host \
         certificate is signed by another authority ({signed_by})"
    )]
    OtherAuthority {
        presented: String,
        authority: String,
        signed_by: String,
    },
    #[error("it presented a user certificate, not a host certificate")]
    UserCertificate,
    #[error("its host certificate is not valid yet")]
    NotYetValid,
    #[error("its host certificate has expired")]
    Expired,
    #[error("its host certificate's signature is not valid")]
    BadSignature,
    #[error("its host certificate has critical options, which skel does not know")]
    CriticalOptions,
    /// The certificate's principals (none, or these) do not name the host connected to.
    #[error("its host certificate is not valid for `{host}` (principals: {})", principal_list(.principals))]
    WrongPrincipal {
        host: String,
        principals: Vec<String>,
    },
    #[error("it presented a certificate, but no `host_key` (certificate authority) is set")]
    CertificateWithoutAuthority,
    /// known_hosts records another key for the host (`shown`: `host` or `[host]:port`).
    #[error(
        "its host key has CHANGED: {} line {line} records another {algorithm} key for {shown}, \
         and it presented {presented}. Someone may be intercepting the connection; if the host \
         was rebuilt, remove the old entry (ssh-keygen -R '{shown}')",
        file.display()
    )]
    KeyChanged {
        file: PathBuf,
        line: usize,
        algorithm: String,
        shown: String,
        presented: String,
    },
    #[error("{} could not be read: {error}", file.display())]
    KnownHostsUnreadable { file: PathBuf, error: String },
}

fn principal_list(principals: &[String]) -> String {
    if principals.is_empty() {
        "none".to_string()
    } else {
        principals.join(", ")
    }
}

/// The decision about the key the server presented, kept for the caller's messages.
#[derive(Clone, Debug, Default)]
pub(super) struct Verdict {
    /// Why the key was refused.
    pub refused: Option<HostKeyRefusal>,
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
    fn decide(&self, presented: &PublicKeyOrCertificate) -> Result<Option<String>, HostKeyRefusal> {
        match (&self.trust, presented) {
            (Trust::Configured(expected), PublicKeyOrCertificate::PublicKey { key, .. }) => {
                if key.key_data() == expected.key_data() {
                    Ok(None)
                } else {
                    Err(HostKeyRefusal::KeyMismatch {
                        presented: key.fingerprint(HashAlg::Sha256).to_string(),
                    })
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
            (Trust::KnownHosts(_), PublicKeyOrCertificate::Certificate(_)) => {
                Err(HostKeyRefusal::CertificateWithoutAuthority)
            }
        }
    }

    fn check_certificate(&self, cert: &Certificate, ca: &PublicKey) -> Result<(), HostKeyRefusal> {
        if cert.signature_key() != ca.key_data() {
            return Err(HostKeyRefusal::OtherAuthority {
                presented: cert.public_key().fingerprint(HashAlg::Sha256).to_string(),
                authority: ca.fingerprint(HashAlg::Sha256).to_string(),
                signed_by: cert
                    .signature_key()
                    .fingerprint(HashAlg::Sha256)
                    .to_string(),
            });
        }
        if cert.cert_type() != CertType::Host {
            return Err(HostKeyRefusal::UserCertificate);
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        if now < cert.valid_after() {
            return Err(HostKeyRefusal::NotYetValid);
        }
        if now >= cert.valid_before() {
            return Err(HostKeyRefusal::Expired);
        }
        // Signature, validity and the CA's fingerprint, by ssh-key.
        let ca_fingerprint = ca.fingerprint(HashAlg::Sha256);
        cert.validate_at(now, [&ca_fingerprint])
            .map_err(|_| HostKeyRefusal::BadSignature)?;
        if !cert.critical_options().is_empty() {
            return Err(HostKeyRefusal::CriticalOptions);
        }
        if !cert.valid_principals().iter().any(|p| p == &self.host) {
            return Err(HostKeyRefusal::WrongPrincipal {
                host: self.host.clone(),
                principals: cert.valid_principals().to_vec(),
            });
        }
        Ok(())
    }

    fn check_known_hosts(
        &self,
        path: Option<&PathBuf>,
        key: &PublicKey,
    ) -> Result<Option<String>, HostKeyRefusal> {
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
            Err(russh::keys::Error::KeyChanged { line }) => Err(HostKeyRefusal::KeyChanged {
                file: path.clone(),
                line,
                algorithm: key.algorithm().to_string(),
                shown: shown.clone(),
                presented: fingerprint.to_string(),
            }),
            Err(e) => Err(HostKeyRefusal::KnownHostsUnreadable {
                file: path.clone(),
                error: e.to_string(),
            }),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_read_as_before() {
        let changed = HostKeyRefusal::KeyChanged {
            file: PathBuf::from("/home/u/.ssh/known_hosts"),
            line: 3,
            algorithm: "ssh-ed25519".into(),
            shown: "[h]:2222".into(),
            presented: "SHA256:abc".into(),
        };
        assert_eq!(
            changed.to_string(),
            "its host key has CHANGED: /home/u/.ssh/known_hosts line 3 records another \
             ssh-ed25519 key for [h]:2222, and it presented SHA256:abc. Someone may be \
             intercepting the connection; if the host was rebuilt, remove the old entry \
             (ssh-keygen -R '[h]:2222')"
        );
        let principal = |principals: &[&str]| HostKeyRefusal::WrongPrincipal {
            host: "h".into(),
            principals: principals.iter().map(|p| p.to_string()).collect(),
        };
        assert_eq!(
            principal(&[]).to_string(),
            "its host certificate is not valid for `h` (principals: none)"
        );
        assert_eq!(
            principal(&["a", "b"]).to_string(),
            "its host certificate is not valid for `h` (principals: a, b)"
        );
        let other = HostKeyRefusal::OtherAuthority {
            presented: "SHA256:k".into(),
            authority: "SHA256:ca".into(),
            signed_by: "SHA256:x".into(),
        };
        assert_eq!(
            other.to_string(),
            "its host key SHA256:k is not the connection's `host_key` (SHA256:ca), and its host \
             certificate is signed by another authority (SHA256:x)"
        );
    }
}
