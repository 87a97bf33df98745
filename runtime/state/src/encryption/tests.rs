//! Unit tests of the envelope: round trips, fallbacks, and every way a file can be wrong.

use std::sync::Arc;

use super::*;

fn pbkdf2(name: &str, passphrase: &str) -> Arc<dyn KeyProvider> {
    Arc::new(
        Pbkdf2KeyProvider::new(
            name,
            passphrase.into(),
            PBKDF2_MIN_ITERATIONS,
            HashFunction::Sha512,
        )
        .unwrap(),
    )
}

fn aes(name: &str, keys: &Arc<dyn KeyProvider>) -> Method {
    Method::AesGcm {
        name: name.into(),
        keys: keys.clone(),
    }
}

const PLAIN: &[u8] = br#"{"version":1,"secret":"hunter2-hunter2"}"#;

#[test]
fn round_trip_and_no_plaintext() {
    let keys = pbkdf2("main", "correct horse battery staple");
    let enc = Encryption::new("state", aes("main", &keys), None);
    let sealed = enc.seal(PLAIN).unwrap();
    assert!(is_envelope(&sealed));
    let text = String::from_utf8(sealed.clone()).unwrap();
    assert!(!text.contains("hunter2"), "{text}");
    assert!(text.contains("\"encryption_version\":\"v0\""));
    assert!(text.contains("key_provider.pbkdf2.main"));
    assert_eq!(enc.open(&sealed).unwrap(), PLAIN);
    // Two files differ (their own salt, so their own key, and nonce) and both open.
    let again = enc.seal(PLAIN).unwrap();
    assert_ne!(sealed, again);
    assert_eq!(enc.open(&again).unwrap(), PLAIN);
    let salt = |bytes: &[u8]| {
        let v: serde_json::Value = serde_json::from_slice(bytes).unwrap();
        v["meta"]["key_provider.pbkdf2.main"]["salt"].clone()
    };
    assert_ne!(salt(&sealed), salt(&again));
    // One file key for many pieces (the journal's lines): one salt, still a nonce each.
    let key = enc.file_key().unwrap();
    let one = enc.seal_with(key.as_ref(), PLAIN).unwrap();
    let two = enc.seal_with(key.as_ref(), PLAIN).unwrap();
    assert_eq!(salt(&one), salt(&two));
    assert_ne!(one, two);
    assert_eq!(enc.open(&two).unwrap(), PLAIN);
}

#[test]
fn wrong_passphrase_is_named() {
    let writer = Encryption::new(
        "state",
        aes("main", &pbkdf2("main", "correct horse battery staple")),
        None,
    );
    let sealed = writer.seal(PLAIN).unwrap();
    let reader = Encryption::new(
        "state",
        aes("main", &pbkdf2("main", "incorrect horse battery staple")),
        None,
    );
    let error = reader.open(&sealed).unwrap_err().to_string();
    assert!(error.contains("wrong passphrase"), "{error}");
}

#[test]
fn tampering_fails_authentication() {
    let enc = Encryption::new(
        "state",
        aes("main", &pbkdf2("main", "correct horse battery staple")),
        None,
    );
    let sealed = enc.seal(PLAIN).unwrap();
    let mut envelope: serde_json::Value = serde_json::from_slice(&sealed).unwrap();
    // A flipped byte in the ciphertext.
    let data = envelope["encrypted_data"].as_str().unwrap().to_string();
    let mut raw = base64::engine::general_purpose::STANDARD
        .decode(&data)
        .unwrap();
    let last = raw.len() - 20;
    raw[last] ^= 1;
    let mut flipped = envelope.clone();
    flipped["encrypted_data"] = base64::engine::general_purpose::STANDARD
        .encode(&raw)
        .into();
    let error = enc
        .open(&serde_json::to_vec(&flipped).unwrap())
        .unwrap_err()
        .to_string();
    assert!(error.contains("authentication failed"), "{error}");
    // A flipped nonce byte.
    let mut raw = base64::engine::general_purpose::STANDARD
        .decode(&data)
        .unwrap();
    raw[0] ^= 0x80;
    let mut flipped = envelope.clone();
    flipped["encrypted_data"] = base64::engine::general_purpose::STANDARD
        .encode(&raw)
        .into();
    let error = enc
        .open(&serde_json::to_vec(&flipped).unwrap())
        .unwrap_err()
        .to_string();
    assert!(error.contains("authentication failed"), "{error}");
    // The header: the iteration count changed (an attacker weakening the KDF).
    envelope["meta"]["key_provider.pbkdf2.main"]["iterations"] = 300_000.into();
    let error = enc
        .open(&serde_json::to_vec(&envelope).unwrap())
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("wrong passphrase") || error.contains("authentication failed"),
        "{error}"
    );
    // Truncated.
    let error = enc
        .open(&sealed[..sealed.len() / 2])
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("not encrypted") || error.contains("damaged"),
        "{error}"
    );
    let mut short = serde_json::from_slice::<serde_json::Value>(&sealed).unwrap();
    short["encrypted_data"] = data[..data.len() / 2].into();
    let error = enc
        .open(&serde_json::to_vec(&short).unwrap())
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("altered") || error.contains("damaged"),
        "{error}"
    );
}

#[test]
fn rotation_and_migration() {
    let old = pbkdf2("old", "correct horse battery staple");
    let new = pbkdf2("new", "a brand new passphrase here");
    let plain = Method::Unencrypted {
        name: "migrate".into(),
    };
    let by_old = Encryption::new("state", aes("old", &old), None)
        .seal(PLAIN)
        .unwrap();
    // Without the old key as fallback: a clear refusal naming the old key provider.
    let only_new = Encryption::new("state", aes("new", &new), None);
    let error = only_new.open(&by_old).unwrap_err().to_string();
    assert!(error.contains("key_provider.pbkdf2.old"), "{error}");
    // With it: readable, and written with the new key.
    let rotating = Encryption::new("state", aes("new", &new), Some(aes("old", &old)));
    assert_eq!(rotating.open(&by_old).unwrap(), PLAIN);
    let by_new = rotating.seal(PLAIN).unwrap();
    assert!(String::from_utf8_lossy(&by_new).contains("key_provider.pbkdf2.new"));
    // Plain → encrypted needs the unencrypted fallback.
    let error = only_new.open(PLAIN).unwrap_err().to_string();
    assert!(error.contains("not encrypted"), "{error}");
    let migrating = Encryption::new("state", aes("new", &new), Some(plain.clone()));
    assert_eq!(migrating.open(PLAIN).unwrap(), PLAIN);
    // Encrypted → plain: unencrypted method, the old one as fallback.
    let back = Encryption::new("state", plain, Some(aes("new", &new)));
    assert_eq!(back.open(&by_new).unwrap(), PLAIN);
    assert_eq!(back.seal(PLAIN).unwrap(), PLAIN);
    // No configuration at all: an encrypted file is refused with a hint.
    let error = Encryption::none("state")
        .open(&by_new)
        .unwrap_err()
        .to_string();
    assert!(error.contains("no `encryption`"), "{error}");
}

#[test]
fn short_passphrase_and_few_iterations_are_refused() {
    assert!(Pbkdf2KeyProvider::new("x", "short".into(), 600_000, HashFunction::Sha512).is_err());
    assert!(Pbkdf2KeyProvider::new(
        "x",
        "long enough passphrase".into(),
        1000,
        HashFunction::Sha512
    )
    .is_err());
}
