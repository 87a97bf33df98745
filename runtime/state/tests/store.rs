//! The state file: round trips, serials, backups, permissions and bad input.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;

use serde_json::json;
use skel_plan_ir::{OutputState, ResourceInstanceState, State, STATE_FORMAT_VERSION};
use skel_state::{StateError, StateStore, BACKUP_FILE, STATE_FILE};

fn sample(state: &mut State) {
    state.resources.insert(
        common::addr("module.net[0].aws_vpc.main"),
        ResourceInstanceState {
            provider: "aws".into(),
            attributes: json!({ "id": "vpc-1", "cidr_block": "10.0.0.0/16", "tags": { "b": 1, "a": 2 } }),
            sensitive_paths: vec![vec!["password".into()]],
            dependencies: vec!["aws_s3_bucket.logs".into()],
            create_before_destroy: false,
            status: Default::default(),
        deposed: Vec::new(),
        private: None,
        schema_version: None,
        },
    );
    state.outputs.insert(
        "vpc_id".into(),
        OutputState {
            value: json!("vpc-1"),
            sensitive: false,
        },
    );
}

fn mode(path: &std::path::Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn missing_file_is_a_new_empty_state_not_yet_written() {
    let dir = tempfile::tempdir().unwrap();
    let store = StateStore::open(dir.path()).unwrap();
    let a = store.read().unwrap();
    let b = store.read().unwrap();
    assert_eq!(a.serial, 0);
    assert_eq!(a.version, STATE_FORMAT_VERSION);
    assert!(a.resources.is_empty());
    assert_eq!(a.lineage.len(), 36, "a uuid v4");
    assert_ne!(a.lineage, b.lineage);
    assert!(!store.state_path().exists());
}

#[test]
fn round_trip_serials_backup_and_modes() {
    let dir = tempfile::tempdir().unwrap();
    let store = StateStore::open(dir.path()).unwrap();
    let lock = store.lock("apply").unwrap();
    let mut state = store.read().unwrap();
    sample(&mut state);

    assert_eq!(store.write(&lock, &mut state).unwrap(), 1);
    assert_eq!(state.serial, 1);
    assert_eq!(store.read().unwrap(), state);
    assert!(!store.backup_path().exists(), "no backup of nothing");

    let first = fs::read(store.state_path()).unwrap();
    state.outputs.insert(
        "extra".into(),
        OutputState {
            value: json!(1),
            sensitive: true,
        },
    );
    assert_eq!(store.write(&lock, &mut state).unwrap(), 2);
    assert_eq!(store.read().unwrap(), state);
    assert_eq!(fs::read(store.backup_path()).unwrap(), first);
    assert_eq!(store.read_backup().unwrap().unwrap().serial, 1);

    assert_eq!(store.write(&lock, &mut state).unwrap(), 3);
    assert_eq!(store.read_backup().unwrap().unwrap().serial, 2);

    assert_eq!(mode(&store.state_path()), 0o600);
    assert_eq!(mode(&store.backup_path()), 0o600);
    assert_eq!(mode(&store.lock_path()), 0o600);
    let names: Vec<String> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let mut names = names;
    names.sort();
    assert_eq!(
        names,
        [STATE_FILE, BACKUP_FILE, "skel.state.lock"],
        "no temp files left"
    );
}

#[test]
fn written_json_is_pretty_with_sorted_attribute_keys() {
    let dir = tempfile::tempdir().unwrap();
    let store = StateStore::open(dir.path()).unwrap();
    let lock = store.lock("apply").unwrap();
    let mut state = store.read().unwrap();
    sample(&mut state);
    store.write(&lock, &mut state).unwrap();
    let text = fs::read_to_string(store.state_path()).unwrap();
    assert!(text.starts_with("{\n  \"version\": 1,\n  \"serial\": 1,\n  \"lineage\": "));
    assert!(text.ends_with("}\n"));
    let cidr = text.find("\"cidr_block\"").unwrap();
    let id = text.find("\"id\"").unwrap();
    let tag_a = text.find("\"a\": 2").unwrap();
    let tag_b = text.find("\"b\": 1").unwrap();
    assert!(cidr < id && id < tag_a && tag_a < tag_b, "{text}");
    assert!(text.contains("\"module.net[0].aws_vpc.main\": {"));
}

#[test]
fn corrupt_file_is_an_error_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let store = StateStore::open(dir.path()).unwrap();
    for bad in [
        &b"{ \"version\": 1, \"serial\": "[..],
        b"\xff\xfe not utf8",
        b"[]",
        b"{\"version\": \"one\"}",
        b"{\"version\": 1, \"serial\": 3}",
        b"{\"version\": 0, \"serial\": 3, \"lineage\": \"x\"}",
        b"{\"version\": 1, \"serial\": 3, \"lineage\": \"x\", \"resources\": {\"not an address\": {}}}",
    ] {
        fs::write(store.state_path(), bad).unwrap();
        let error = store.read().unwrap_err();
        assert!(matches!(error, StateError::Corrupt { .. }), "{error:?}");
        let message = error.to_string();
        assert!(message.contains("is corrupt"), "{message}");
        assert!(message.contains("left untouched"), "{message}");
        assert!(message.contains("there is no backup"), "{message}");
        if bad.starts_with(b"{\"version\": 0") {
            let StateError::Corrupt { detail, .. } = &error else {
                unreachable!()
            };
            assert_eq!(detail, "format version 0 is unknown (the first is 1)");
        }

        let lock = store.lock("apply").unwrap();
        let mut state = State::new("x");
        // A write checks only the version, serial and lineage of the file it replaces; any
        // failure leaves the file as it was.
        assert!(store.write(&lock, &mut state).is_err());
        assert_eq!(fs::read(store.state_path()).unwrap(), bad);
    }
}

#[test]
fn corrupt_message_points_at_the_backup() {
    let dir = tempfile::tempdir().unwrap();
    let store = StateStore::open(dir.path()).unwrap();
    let lock = store.lock("apply").unwrap();
    let mut state = store.read().unwrap();
    store.write(&lock, &mut state).unwrap();
    store.write(&lock, &mut state).unwrap();
    fs::write(store.state_path(), "garbage").unwrap();
    let message = store.read().unwrap_err().to_string();
    assert!(
        message.contains(&format!(
            "the previous version is in {}",
            store.backup_path().display()
        )),
        "{message}"
    );
}

#[test]
fn newer_version_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let store = StateStore::open(dir.path()).unwrap();
    let text = "{\"version\": 7, \"serial\": 3, \"lineage\": \"x\", \"whatever\": []}";
    fs::write(store.state_path(), text).unwrap();
    match store.read() {
        Err(StateError::NewerVersion {
            found, supported, ..
        }) => {
            assert_eq!((found, supported), (7, STATE_FORMAT_VERSION));
        }
        other => panic!("{other:?}"),
    }
    let message = store.read().unwrap_err().to_string();
    assert!(message.contains("format version 7"), "{message}");
    assert!(message.contains("upgrade skelc"), "{message}");
    let lock = store.lock("apply").unwrap();
    let mut state = State::new("x");
    state.serial = 3;
    assert!(matches!(
        store.write(&lock, &mut state),
        Err(StateError::NewerVersion { .. })
    ));
    assert_eq!(fs::read_to_string(store.state_path()).unwrap(), text);
}

#[test]
fn unreadable_file_is_an_io_error() {
    let dir = tempfile::tempdir().unwrap();
    let store = StateStore::open(dir.path()).unwrap();
    fs::create_dir(store.state_path()).unwrap();
    let error = store.read().unwrap_err();
    assert!(matches!(error, StateError::Io { .. }), "{error:?}");
    assert!(error.to_string().starts_with("could not read"), "{error}");
}

#[test]
fn stale_and_foreign_writes_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = StateStore::open(dir.path()).unwrap();
    let lock = store.lock("apply").unwrap();
    let mut state = store.read().unwrap();
    store.write(&lock, &mut state).unwrap();

    let mut stale = state.clone();
    store.write(&lock, &mut state).unwrap();
    let before = fs::read(store.state_path()).unwrap();
    match store.write(&lock, &mut stale) {
        Err(StateError::StaleWrite {
            expected, found, ..
        }) => assert_eq!((expected, found), (1, 2)),
        other => panic!("{other:?}"),
    }
    assert_eq!(stale.serial, 1, "a refused write changes nothing");

    let mut foreign = State::new("another-lineage");
    foreign.serial = 2;
    assert!(matches!(
        store.write(&lock, &mut foreign),
        Err(StateError::LineageMismatch { .. })
    ));
    assert_eq!(fs::read(store.state_path()).unwrap(), before);
}

#[test]
fn a_lock_of_another_directory_cannot_write() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let store_a = StateStore::open(a.path()).unwrap();
    let store_b = StateStore::open(b.path()).unwrap();
    let lock_b = store_b.lock("apply").unwrap();
    let mut state = store_a.read().unwrap();
    let error = store_a.write(&lock_b, &mut state).unwrap_err();
    assert!(matches!(error, StateError::WrongLock { .. }), "{error:?}");
    assert!(!store_a.state_path().exists());
}
