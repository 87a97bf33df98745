//! The store with encryption: the state, its backup and every journal line are sealed, nothing
//! secret is left in the clear, and a damaged or foreign file is refused with nothing written.

mod common;

use std::fs;
use std::sync::Arc;

use common::{intent, ok};
use serde_json::json;
use skel_plan_ir::{ResourceInstanceState, State};
use skel_state::{
    Encryption, HashFunction, JournalAction, KeyProvider, Method, Pbkdf2KeyProvider, StateError,
    StateStore, PBKDF2_MIN_ITERATIONS,
};

const SECRET: &str = "s3cr3t-attribute-value";

fn keys(name: &str, passphrase: &str) -> Arc<dyn KeyProvider> {
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

fn sealed_with(keys: &Arc<dyn KeyProvider>, fallback: Option<Method>) -> Encryption {
    Encryption::new(
        "state",
        Method::AesGcm {
            name: "main".into(),
            keys: keys.clone(),
        },
        fallback,
    )
}

fn with_secret(state: &mut State) {
    state.resources.insert(
        "null_resource.a".parse().unwrap(),
        ResourceInstanceState {
            provider: "null".into(),
            attributes: json!({ "id": "a", "password": SECRET }),
            sensitive_paths: Vec::new(),
            dependencies: Vec::new(),
            create_before_destroy: false,
            status: Default::default(),
            deposed: Vec::new(),
            private: None,
            schema_version: None,
        },
    );
}

fn assert_no_plaintext(dir: &std::path::Path) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = fs::read(&path).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains(SECRET),
            "{} holds the secret",
            path.display()
        );
        assert!(
            !text.contains("null_resource"),
            "{} holds an address",
            path.display()
        );
    }
}

#[test]
fn state_backup_and_journal_are_sealed() {
    let dir = tempfile::tempdir().unwrap();
    let main = keys("main", "correct horse battery staple");
    let store = StateStore::open(dir.path())
        .unwrap()
        .with_encryption(sealed_with(&main, None));
    let lock = store.lock("apply").unwrap();
    let mut state = store.read().unwrap();
    with_secret(&mut state);
    store.write(&lock, &mut state).unwrap();
    state.outputs.clear();
    store.write(&lock, &mut state).unwrap();
    let journal = store.begin_journal(&lock, "run-1", &state).unwrap();
    let seq = journal.next_seq();
    let mut planned = intent(seq, "null_resource.a", JournalAction::Create);
    planned.planned = Some(json!({ "password": SECRET }));
    journal.intent(&planned).unwrap();
    journal
        .result(&ok(
            seq,
            "null_resource.a",
            Some(json!({ "password": SECRET })),
        ))
        .unwrap();
    journal.checkpoint(3).unwrap();
    assert_no_plaintext(dir.path());

    // Everything reads back through the store.
    assert_eq!(store.read().unwrap().resources.len(), 1);
    assert_eq!(store.read_backup().unwrap().unwrap().resources.len(), 1);
    let pending = store.pending_journal().unwrap().unwrap();
    assert_eq!(pending.intents().next().unwrap().planned, planned.planned);
    assert_eq!(pending.last_checkpoint(), Some(3));

    // A torn last line (the process died while writing it) is ignored, as for plain journals.
    let path = store.journal_path();
    let text = fs::read_to_string(&path).unwrap();
    let last = text.lines().last().unwrap();
    fs::write(&path, format!("{text}{}", &last[..last.len() / 2])).unwrap();
    let pending = store.pending_journal().unwrap().unwrap();
    assert!(pending.torn_tail);
    // A plain line appended to a sealed journal is refused: the configuration requires sealing.
    fs::write(
        &path,
        format!("{text}{{\"kind\":\"checkpoint\",\"serial\":9}}\n"),
    )
    .unwrap();
    let error = store.pending_journal().unwrap_err();
    assert!(matches!(error, StateError::Decrypt { .. }), "{error}");
    assert!(error.to_string().contains("line 5"), "{error}");

    // Without the key, or with another, nothing opens and each error names the file.
    let plain = StateStore::open(dir.path()).unwrap();
    let error = plain.read().unwrap_err().to_string();
    assert!(
        error.contains("skel.state.json") && error.contains("encrypted"),
        "{error}"
    );
    let wrong = StateStore::open(dir.path())
        .unwrap()
        .with_encryption(sealed_with(&keys("main", "the wrong passphrase!!"), None));
    let error = wrong.read().unwrap_err().to_string();
    assert!(error.contains("wrong passphrase"), "{error}");
}

#[test]
fn a_damaged_state_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let main = keys("main", "correct horse battery staple");
    let store = StateStore::open(dir.path())
        .unwrap()
        .with_encryption(sealed_with(&main, None));
    let lock = store.lock("apply").unwrap();
    let mut state = store.read().unwrap();
    with_secret(&mut state);
    store.write(&lock, &mut state).unwrap();
    let path = store.state_path();
    let good = fs::read(&path).unwrap();
    let mut envelope: serde_json::Value = serde_json::from_slice(&good).unwrap();
    let data = envelope["encrypted_data"].as_str().unwrap().to_string();
    let flipped = format!(
        "{}{}",
        if data.starts_with('A') { "B" } else { "A" },
        &data[1..]
    );
    envelope["encrypted_data"] = flipped.into();
    let damaged = serde_json::to_vec(&envelope).unwrap();
    fs::write(&path, &damaged).unwrap();
    let error = store.read().unwrap_err().to_string();
    assert!(error.contains("authentication failed"), "{error}");
    // A write over it is refused too, and the file stays as it was.
    let error = store.write(&lock, &mut state).unwrap_err().to_string();
    assert!(error.contains("Nothing was written"), "{error}");
    assert_eq!(fs::read(&path).unwrap(), damaged);
}

#[test]
fn migration_leaves_no_plain_backup() {
    let dir = tempfile::tempdir().unwrap();
    let plain_store = StateStore::open(dir.path()).unwrap();
    let lock = plain_store.lock("apply").unwrap();
    let mut state = plain_store.read().unwrap();
    with_secret(&mut state);
    plain_store.write(&lock, &mut state).unwrap();
    assert!(fs::read_to_string(plain_store.state_path())
        .unwrap()
        .contains(SECRET));

    let main = keys("main", "correct horse battery staple");
    let migrating = StateStore::open(dir.path())
        .unwrap()
        .with_encryption(sealed_with(
            &main,
            Some(Method::Unencrypted {
                name: "migrate".into(),
            }),
        ));
    let mut state = migrating.read().unwrap();
    migrating.write(&lock, &mut state).unwrap();
    assert_no_plaintext(dir.path());

    // And back: unencrypted method, the key as fallback.
    let back = StateStore::open(dir.path())
        .unwrap()
        .with_encryption(Encryption::new(
            "state",
            Method::Unencrypted {
                name: "plain".into(),
            },
            Some(Method::AesGcm {
                name: "main".into(),
                keys: main.clone(),
            }),
        ));
    let mut state = back.read().unwrap();
    back.write(&lock, &mut state).unwrap();
    assert!(fs::read_to_string(back.state_path())
        .unwrap()
        .contains(SECRET));
    assert!(fs::read_to_string(back.backup_path())
        .unwrap()
        .contains(SECRET));
}
