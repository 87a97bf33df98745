//! Encryption at rest (`docs/state-format.md`, "Encryption"): the state file, its backup, every
//! journal line and saved plans can be sealed with AES-256-GCM under a key from a key provider
//! (a passphrase through PBKDF2, or a KMS data key), with a fallback method that still reads
//! files written the old way (key rotation, migration from and back to plain files).
//!
//! An encrypted file is one JSON object (OpenTofu's layout):
//!
//! ```json
//! {"meta":{"key_provider.pbkdf2.main":{"salt":"…","iterations":600000,…}},
//!  "encrypted_data":"<base64 of nonce ‖ ciphertext ‖ tag>","encryption_version":"v0"}
//! ```
//!
//! The header (`encryption_version` and `meta`: the key provider's id and everything it needs to
//! find the key again) is the AEAD's associated data, so changing any of it fails
//! authentication just as changing the ciphertext does. Nothing here logs or prints; errors
//! name files, key providers and what went wrong, never a key or a plaintext.

mod pbkdf2;

use std::sync::Arc;

use aes_gcm::aead::{Aead, Generate, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use self::pbkdf2::{
    HashFunction, Pbkdf2Error, Pbkdf2KeyProvider, PBKDF2_DEFAULT_ITERATIONS, PBKDF2_MIN_ITERATIONS,
    PBKDF2_MIN_PASSPHRASE,
};

/// The envelope format this skelc writes (and the only one it reads).
pub const ENCRYPTION_VERSION: &str = "v0";

/// A 256-bit AES key.
pub type Key = [u8; 32];

/// Why a key provider gave no key (its own words: which metadata, which service).
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
pub enum KeyError {
    /// The key it derives or unwraps is not the file's key (a wrong passphrase, another KMS key).
    #[error("{0}")]
    Wrong(String),
    /// It could not give a key at all (KMS unreachable, malformed metadata, no randomness).
    #[error("{0}")]
    Failed(String),
}

/// Why a file (or journal line) could not be sealed or opened. Messages name key providers,
/// methods and what went wrong, never a key or a plaintext; the caller adds the file.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
pub enum EncryptionError {
    /// The method's key provider gave no key for a new file.
    #[error("{provider} gave no key to encrypt the {target} with: {error}")]
    NoKey {
        provider: String,
        target: &'static str,
        error: KeyError,
    },
    /// AES-GCM refused to seal (a plaintext beyond its limits).
    #[error("AES-GCM refused to encrypt the {target}")]
    Seal { target: &'static str },
    /// The envelope could not be written out.
    #[error("the encryption envelope could not be written: {0}")]
    Envelope(String),
    /// The envelope's header is not the expected JSON.
    #[error("its encryption header is damaged ({0})")]
    DamagedHeader(String),
    /// The header names no key provider, or several.
    #[error("its encryption header is damaged (it must name exactly one key provider)")]
    ProviderCount,
    /// The envelope's format is not one this skelc knows.
    #[error(
        "it uses encryption format `{0}`, which this skelc does not know (it knows `{known}`)",
        known = ENCRYPTION_VERSION
    )]
    UnknownVersion(String),
    /// The file is encrypted but the configuration has no encryption for its kind.
    #[error(
        "it is encrypted (with {provider}), but the configuration has no `encryption` for the \
         {target}: add the `skel {{ encryption {{ }} }}` block it was written with"
    )]
    NotConfigured {
        provider: String,
        target: &'static str,
    },
    /// The file's key provider is neither the method's nor the fallback's.
    #[error(
        "it was encrypted with {provider}, which is neither the key provider of the {target}'s \
         method nor of its fallback (configured: {}). To rotate keys, keep the old key provider \
         and name its method in `fallback`",
        configured.join(", ")
    )]
    OtherProvider {
        provider: String,
        target: &'static str,
        /// `method.TYPE.NAME (key_provider.TYPE.NAME)` of the method and the fallback.
        configured: Vec<String>,
    },
    /// The encrypted data is not base64.
    #[error("its encrypted data is damaged (not base64): the file was altered or truncated")]
    NotBase64,
    /// The encrypted data is shorter than a nonce and a tag.
    #[error("its encrypted data is too short: the file was altered or truncated")]
    TooShort,
    /// The key provider gave no key for the file.
    #[error("{provider}: {error}")]
    Key { provider: String, error: KeyError },
    /// The key did not authenticate the file.
    #[error(
        "authentication failed with the key of {provider}: the file was altered or damaged \
         after it was written (its header or its encrypted data)"
    )]
    Authentication { provider: String },
    /// A plain file where the configuration allows only encrypted ones.
    #[error(
        "it is not encrypted, but the configuration encrypts the {target} with {method}. To \
         encrypt an existing plain {target}, add `fallback {{ method = \
         method.unencrypted.NAME }}` (with a `method \"unencrypted\" \"NAME\" {{}}` block) to \
         `{target} {{ }}` for one run"
    )]
    NotEncrypted {
        target: &'static str,
        /// `method.TYPE.NAME`.
        method: String,
    },
}

/// A source of keys: one named `key_provider "TYPE" "NAME"` block.
pub trait KeyProvider: Send + Sync {
    /// `key_provider.TYPE.NAME`: the `meta` key of the files it encrypts.
    fn id(&self) -> &str;
    /// A new key for a new file (a fresh salt, a fresh data key), and the metadata that lets
    /// [`decryption_key`](Self::decryption_key) find the same key again (stored in the clear,
    /// authenticated).
    fn encryption_key(&self) -> Result<(Key, Value), KeyError>;
    /// The key of a file whose metadata is `meta`.
    fn decryption_key(&self, meta: &Value) -> Result<Key, KeyError>;
}

/// One `method` block: how files are written.
#[derive(Clone)]
pub enum Method {
    /// `method "unencrypted" "NAME"`: plain files.
    Unencrypted { name: String },
    /// `method "aes_gcm" "NAME"`: AES-256-GCM with keys from `keys`.
    AesGcm {
        name: String,
        keys: Arc<dyn KeyProvider>,
    },
}

impl Method {
    /// `method.TYPE.NAME`, as written in configuration.
    pub fn describe(&self) -> String {
        match self {
            Method::Unencrypted { name } => format!("method.unencrypted.{name}"),
            Method::AesGcm { name, .. } => format!("method.aes_gcm.{name}"),
        }
    }

    fn key_provider(&self) -> Option<&Arc<dyn KeyProvider>> {
        match self {
            Method::Unencrypted { .. } => None,
            Method::AesGcm { keys, .. } => Some(keys),
        }
    }
}

impl std::fmt::Debug for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

/// The encryption of one kind of file (`state { }` or `plan { }`): the method files are written
/// with, and an optional fallback that is only read.
#[derive(Clone, Debug)]
pub struct Encryption {
    /// `state` or `plan`, for messages.
    target: &'static str,
    method: Method,
    fallback: Option<Method>,
    /// Whether the configuration has an `encryption` block for this target at all.
    configured: bool,
}

/// The key of one file and the metadata that names it (see [`Encryption::file_key`]).
#[derive(Clone)]
pub struct FileKey {
    key: Key,
    meta: serde_json::Map<String, Value>,
}

impl std::fmt::Debug for FileKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileKey").field("meta", &self.meta).finish()
    }
}

/// The JSON envelope of an encrypted file.
#[derive(Serialize, Deserialize)]
struct Envelope {
    meta: serde_json::Map<String, Value>,
    encrypted_data: String,
    encryption_version: String,
}

/// Only the field that tells an envelope from a plain document.
#[derive(Deserialize)]
struct Probe {
    encryption_version: Option<Value>,
    encrypted_data: Option<Value>,
}

impl Encryption {
    /// No encryption configured for `target`: plain files are read and written; an encrypted
    /// file is an error that says so.
    pub fn none(target: &'static str) -> Encryption {
        Encryption {
            target,
            method: Method::Unencrypted {
                name: "default".into(),
            },
            fallback: None,
            configured: false,
        }
    }

    /// The configured encryption of `target`: write with `method`, also read `fallback`.
    pub fn new(target: &'static str, method: Method, fallback: Option<Method>) -> Encryption {
        Encryption {
            target,
            method,
            fallback,
            configured: true,
        }
    }

    /// Whether files are written encrypted.
    pub fn encrypts(&self) -> bool {
        matches!(self.method, Method::AesGcm { .. })
    }

    /// Whether a file's `bytes` are in the form this configuration writes: sealed by the
    /// method's key provider, or plain when the method is unencrypted. A file read through the
    /// fallback is not, and the next write migrates it.
    pub fn is_current(&self, bytes: &[u8]) -> bool {
        match (self.method.key_provider(), is_envelope(bytes)) {
            (None, envelope) => !envelope,
            (Some(_), false) => false,
            (Some(keys), true) => serde_json::from_slice::<Envelope>(bytes)
                .map(|e| e.meta.contains_key(keys.id()))
                .unwrap_or(false),
        }
    }

    /// A new key for one file (`None` when files are written plain): each file gets its own
    /// salt or data key. The journal takes one for all its lines.
    pub fn file_key(&self) -> Result<Option<FileKey>, EncryptionError> {
        let Some(keys) = self.method.key_provider() else {
            return Ok(None);
        };
        let (key, key_meta) = keys
            .encryption_key()
            .map_err(|error| EncryptionError::NoKey {
                provider: keys.id().to_string(),
                target: self.target,
                error,
            })?;
        let mut meta = serde_json::Map::new();
        meta.insert(keys.id().to_string(), key_meta);
        Ok(Some(FileKey { key, meta }))
    }

    /// `plaintext` as a new file holds it: unchanged, or sealed in an envelope (one line of
    /// JSON, no newline) under a new [`FileKey`].
    pub fn seal(&self, plaintext: &[u8]) -> Result<Vec<u8>, EncryptionError> {
        let key = self.file_key()?;
        self.seal_with(key.as_ref(), plaintext)
    }

    /// `plaintext` sealed with `key` (the file's), or unchanged without one.
    pub fn seal_with(
        &self,
        key: Option<&FileKey>,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, EncryptionError> {
        let Some(FileKey { key, meta }) = key else {
            return Ok(plaintext.to_vec());
        };
        let meta = meta.clone();
        let aad = associated_data(ENCRYPTION_VERSION, &meta);
        let cipher = Aes256Gcm::new(&(*key).into());
        let nonce = Nonce::generate();
        let sealed = cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            .map_err(|_| EncryptionError::Seal {
                target: self.target,
            })?;
        let mut data = nonce.to_vec();
        data.extend_from_slice(&sealed);
        let envelope = Envelope {
            meta,
            encrypted_data: base64::engine::general_purpose::STANDARD.encode(data),
            encryption_version: ENCRYPTION_VERSION.into(),
        };
        serde_json::to_vec(&envelope).map_err(|error| EncryptionError::Envelope(error.to_string()))
    }

    /// The plaintext of a file's (or journal line's) `bytes`, or why it cannot be had. A plain
    /// file is accepted when the method or the fallback is unencrypted.
    pub fn open(&self, bytes: &[u8]) -> Result<Vec<u8>, EncryptionError> {
        if !is_envelope(bytes) {
            return self.open_plain(bytes);
        }
        let envelope: Envelope = serde_json::from_slice(bytes)
            .map_err(|error| EncryptionError::DamagedHeader(error.to_string()))?;
        if envelope.encryption_version != ENCRYPTION_VERSION {
            return Err(EncryptionError::UnknownVersion(envelope.encryption_version));
        }
        let mut entries = envelope.meta.iter();
        let (provider_id, key_meta) = match (entries.next(), entries.next()) {
            (Some(entry), None) => entry,
            _ => return Err(EncryptionError::ProviderCount),
        };
        let candidates: Vec<&Arc<dyn KeyProvider>> = [Some(&self.method), self.fallback.as_ref()]
            .into_iter()
            .flatten()
            .filter_map(Method::key_provider)
            .filter(|keys| keys.id() == provider_id)
            .collect();
        if candidates.is_empty() {
            return Err(self.unknown_provider(provider_id));
        }
        let data = base64::engine::general_purpose::STANDARD
            .decode(envelope.encrypted_data.as_bytes())
            .map_err(|_| EncryptionError::NotBase64)?;
        if data.len() < 12 + 16 {
            return Err(EncryptionError::TooShort);
        }
        let (nonce, sealed) = data.split_at(12);
        let nonce: [u8; 12] = nonce.try_into().map_err(|_| EncryptionError::TooShort)?;
        let aad = associated_data(&envelope.encryption_version, &envelope.meta);
        let mut last_error = None;
        for keys in candidates {
            let key = match keys.decryption_key(key_meta) {
                Ok(key) => key,
                Err(error) => {
                    last_error = Some(EncryptionError::Key {
                        provider: keys.id().to_string(),
                        error,
                    });
                    continue;
                }
            };
            let cipher = Aes256Gcm::new(&key.into());
            match cipher.decrypt(
                &nonce.into(),
                Payload {
                    msg: sealed,
                    aad: &aad,
                },
            ) {
                Ok(plaintext) => return Ok(plaintext),
                Err(_) => {
                    last_error = Some(EncryptionError::Authentication {
                        provider: keys.id().to_string(),
                    });
                }
            }
        }
        Err(last_error.unwrap_or_else(|| self.unknown_provider(provider_id)))
    }

    fn open_plain(&self, bytes: &[u8]) -> Result<Vec<u8>, EncryptionError> {
        let plain_allowed = [Some(&self.method), self.fallback.as_ref()]
            .into_iter()
            .flatten()
            .any(|method| matches!(method, Method::Unencrypted { .. }));
        if plain_allowed {
            Ok(bytes.to_vec())
        } else {
            Err(EncryptionError::NotEncrypted {
                target: self.target,
                method: self.method.describe(),
            })
        }
    }

    fn unknown_provider(&self, provider_id: &str) -> EncryptionError {
        if !self.configured {
            return EncryptionError::NotConfigured {
                provider: provider_id.to_string(),
                target: self.target,
            };
        }
        let configured: Vec<String> = [Some(&self.method), self.fallback.as_ref()]
            .into_iter()
            .flatten()
            .map(|method| match method.key_provider() {
                Some(keys) => format!("{} ({})", method.describe(), keys.id()),
                None => method.describe(),
            })
            .collect();
        EncryptionError::OtherProvider {
            provider: provider_id.to_string(),
            target: self.target,
            configured,
        }
    }
}

/// Whether `bytes` look like an encryption envelope rather than a plain document.
pub fn is_envelope(bytes: &[u8]) -> bool {
    serde_json::from_slice::<Probe>(bytes)
        .map(|probe| probe.encryption_version.is_some() || probe.encrypted_data.is_some())
        .unwrap_or(false)
}

/// What the AEAD authenticates besides the ciphertext: the format version and the metadata
/// (which key provider, and its salt and settings), as the file holds them.
fn associated_data(version: &str, meta: &serde_json::Map<String, Value>) -> Vec<u8> {
    let mut aad = b"skel-encryption\0".to_vec();
    aad.extend_from_slice(version.as_bytes());
    aad.push(0);
    aad.extend_from_slice(&serde_json::to_vec(meta).unwrap_or_default());
    aad
}

/// `n` random bytes from the operating system.
pub(crate) fn random_bytes(n: usize) -> Result<Vec<u8>, KeyError> {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes)
        .map_err(|error| KeyError::Failed(format!("no random bytes: {error}")))?;
    Ok(bytes)
}

#[cfg(test)]
mod tests;
