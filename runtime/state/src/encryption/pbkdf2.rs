//! The `pbkdf2` key provider: a key derived from a passphrase with PBKDF2-HMAC (SHA-512 by
//! default, 600,000 iterations as OpenTofu), a random salt recorded in each file's metadata.

use std::collections::HashMap;
use std::sync::Mutex;

use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2_11::{Digest, Sha256, Sha512};

use super::{random_bytes, Key, KeyError, KeyProvider};

/// OpenTofu's default, and OWASP's recommendation for PBKDF2-HMAC-SHA512.
pub const PBKDF2_DEFAULT_ITERATIONS: u32 = 600_000;
/// The fewest iterations accepted (OpenTofu's minimum).
pub const PBKDF2_MIN_ITERATIONS: u32 = 200_000;
/// The shortest passphrase accepted (OpenTofu's minimum).
pub const PBKDF2_MIN_PASSPHRASE: usize = 16;
/// Salt length in bytes.
pub const PBKDF2_SALT_LENGTH: usize = 32;

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HashFunction {
    Sha256,
    Sha512,
}

/// What a file records about its key: enough to derive it again from the passphrase, and a
/// short check value that tells a wrong passphrase from a damaged file.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
struct Pbkdf2Meta {
    salt: String,
    iterations: u32,
    hash_function: HashFunction,
    key_length: usize,
    key_check: String,
}

/// `key_provider "pbkdf2" "NAME" { passphrase = … }`.
///
/// Every file written gets its own random salt, so its own key (the journal one for all its
/// lines); a key derived or read once in a command is kept for reading the same file again.
pub struct Pbkdf2KeyProvider {
    id: String,
    passphrase: String,
    iterations: u32,
    hash_function: HashFunction,
    derived: Mutex<HashMap<Pbkdf2Meta, Key>>,
}

/// A `key_provider "pbkdf2"` block that is too weak to use.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
pub enum Pbkdf2Error {
    #[error(
        "the passphrase of key_provider.pbkdf2.{name} is too short: it needs at least {} \
         characters",
        PBKDF2_MIN_PASSPHRASE
    )]
    ShortPassphrase { name: String },
    #[error(
        "key_provider.pbkdf2.{name}: `iterations` must be at least {}",
        PBKDF2_MIN_ITERATIONS
    )]
    FewIterations { name: String },
}

impl Pbkdf2KeyProvider {
    /// The provider `key_provider.pbkdf2.NAME`. Refuses a passphrase shorter than 16 characters
    /// and fewer than 200,000 iterations.
    pub fn new(
        name: &str,
        passphrase: String,
        iterations: u32,
        hash_function: HashFunction,
    ) -> Result<Pbkdf2KeyProvider, Pbkdf2Error> {
        if passphrase.chars().count() < PBKDF2_MIN_PASSPHRASE {
            return Err(Pbkdf2Error::ShortPassphrase {
                name: name.to_string(),
            });
        }
        if iterations < PBKDF2_MIN_ITERATIONS {
            return Err(Pbkdf2Error::FewIterations {
                name: name.to_string(),
            });
        }
        Ok(Pbkdf2KeyProvider {
            id: format!("key_provider.pbkdf2.{name}"),
            passphrase,
            iterations,
            hash_function,
            derived: Mutex::new(HashMap::new()),
        })
    }

    fn derive(&self, salt: &[u8], iterations: u32, hash: HashFunction) -> Key {
        let mut key = [0u8; 32];
        match hash {
            HashFunction::Sha512 => pbkdf2::pbkdf2_hmac::<Sha512>(
                self.passphrase.as_bytes(),
                salt,
                iterations,
                &mut key,
            ),
            HashFunction::Sha256 => pbkdf2::pbkdf2_hmac::<Sha256>(
                self.passphrase.as_bytes(),
                salt,
                iterations,
                &mut key,
            ),
        }
        key
    }
}

/// A value that identifies a key without revealing it: the start of a hash of it.
fn key_check(key: &Key) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"skel-key-check\0");
    hasher.update(key);
    base64::engine::general_purpose::STANDARD.encode(&hasher.finalize()[..12])
}

impl KeyProvider for Pbkdf2KeyProvider {
    fn id(&self) -> &str {
        &self.id
    }

    fn encryption_key(&self) -> Result<(Key, Value), KeyError> {
        let salt = random_bytes(PBKDF2_SALT_LENGTH)?;
        let key = self.derive(&salt, self.iterations, self.hash_function);
        let meta = Pbkdf2Meta {
            salt: base64::engine::general_purpose::STANDARD.encode(&salt),
            iterations: self.iterations,
            hash_function: self.hash_function,
            key_length: key.len(),
            key_check: key_check(&key),
        };
        let value =
            serde_json::to_value(&meta).map_err(|error| KeyError::Failed(error.to_string()))?;
        self.derived
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(meta, key);
        Ok((key, value))
    }

    fn decryption_key(&self, meta: &Value) -> Result<Key, KeyError> {
        let meta: Pbkdf2Meta = serde_json::from_value(meta.clone())
            .map_err(|error| KeyError::Failed(format!("its key metadata is damaged ({error})")))?;
        if meta.key_length != 32 {
            return Err(KeyError::Failed(format!(
                "its key metadata asks for a {}-byte key; AES-256-GCM needs 32",
                meta.key_length
            )));
        }
        if meta.iterations < PBKDF2_MIN_ITERATIONS || meta.iterations > 100_000_000 {
            return Err(KeyError::Failed(format!(
                "its key metadata asks for {} iterations, outside {PBKDF2_MIN_ITERATIONS}..=100000000",
                meta.iterations
            )));
        }
        if let Some(key) = self
            .derived
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(&meta)
        {
            return Ok(*key);
        }
        let salt = base64::engine::general_purpose::STANDARD
            .decode(meta.salt.as_bytes())
            .map_err(|_| KeyError::Failed("its key metadata has a damaged salt".into()))?;
        let key = self.derive(&salt, meta.iterations, meta.hash_function);
        if key_check(&key) != meta.key_check {
            return Err(KeyError::Wrong(
                "wrong passphrase: the key derived from it is not the key the file was \
                 encrypted with (or the salt in the file's header was altered)"
                    .into(),
            ));
        }
        self.derived
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(meta, key);
        Ok(key)
    }
}
