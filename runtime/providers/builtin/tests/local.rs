//! The `local` provider against a temporary directory: create, drift, deletion, permission
//! bits, import, crash recovery and the `local_file` data source.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use skel_value::Value;
use support::*;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

/// This process's umask, read the way the kernel reports it.
fn umask() -> u32 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find_map(|l| l.strip_prefix("Umask:"))
        .unwrap();
    u32::from_str_radix(line.trim(), 8).unwrap()
}

fn file_config(ty: &str, path: &Path, extra: &[(&str, Value)]) -> Value {
    let mut args = vec![("filename", s(&path.to_string_lossy()))];
    args.extend(extra.iter().cloned());
    config(ty, &args)
}

#[tokio::test]
async fn create_read_drift_and_delete() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a/b/hello.txt");
    let p = provider("local");
    let cfg = file_config("local_file", &path, &[("content", s("hello"))]);
    let planned = plan(&p, "local_file", None, &cfg).await;
    assert_eq!(attr_str(&planned.planned, "file_permission"), "0777");
    assert!(matches!(attr(&planned.planned, "id"), Value::Unknown(_)));
    let state = apply(&p, "local_file", None, Some(&planned.planned)).await;
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "hello");
    // "0777" is before the umask, as in Terraform: never world-writable under the usual 022.
    assert_eq!(mode(&path), 0o777 & !umask());
    assert_eq!(mode(&dir.path().join("a/b")), 0o777 & !umask());
    assert_eq!(mode(&dir.path().join("a")), 0o777 & !umask());
    // Known digests of "hello".
    assert_eq!(
        attr_str(&state, "id"),
        "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"
    );
    assert_eq!(attr_str(&state, "content_sha1"), attr_str(&state, "id"));
    assert_eq!(
        attr_str(&state, "content_md5"),
        "5d41402abc4b2a76b9719d911017c592"
    );
    assert_eq!(
        attr_str(&state, "content_sha256"),
        "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
    );
    assert_eq!(
        attr_str(&state, "content_base64sha256"),
        "LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ="
    );
    assert_eq!(attr_str(&state, "content_sha512").len(), 128);

    // Unchanged on disk: read returns the state, the plan is empty.
    assert_eq!(
        p.read("local_file", &state).await.unwrap(),
        Some(state.clone())
    );
    let again = plan(&p, "local_file", Some(&state), &cfg).await;
    assert!(again.requires_replace.is_empty());
    assert_eq!(again.planned, state);

    // Changed on disk: read shows the new content and the plan replaces the file.
    std::fs::write(&path, "tampered").unwrap();
    let drifted = p.read("local_file", &state).await.unwrap().unwrap();
    assert_conforms(block("local_file"), &drifted);
    assert_eq!(attr_str(&drifted, "content"), "tampered");
    assert_ne!(attr(&drifted, "id"), attr(&state, "id"));
    let replan = plan(&p, "local_file", Some(&drifted), &cfg).await;
    assert_eq!(replan.requires_replace, vec![vec!["content".to_string()]]);
    let rewritten = apply(&p, "local_file", Some(&drifted), Some(&replan.planned)).await;
    assert_eq!(rewritten, state);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "hello");

    // Deleted outside skel: gone.
    std::fs::remove_file(&path).unwrap();
    assert_eq!(p.read("local_file", &state).await.unwrap(), None);

    // Delete removes the file; deleting a missing file is fine.
    let state = create(&p, "local_file", &cfg).await;
    assert!(path.exists());
    assert_eq!(
        apply(&p, "local_file", Some(&state), None).await,
        Value::Null
    );
    assert!(!path.exists());
    assert_eq!(
        apply(&p, "local_file", Some(&state), None).await,
        Value::Null
    );
}

#[tokio::test]
async fn permission_bits() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/dir/secret");
    let p = provider("local");
    let top_mode = mode(dir.path());
    let cfg = file_config(
        "local_file",
        &path,
        &[
            ("content", s("x")),
            ("file_permission", s("0640")),
            ("directory_permission", s("0750")),
        ],
    );
    let state = create(&p, "local_file", &cfg).await;
    assert_eq!(mode(&path), 0o640);
    assert_eq!(mode(&dir.path().join("sub")), 0o750);
    assert_eq!(mode(&dir.path().join("sub/dir")), 0o750);
    // The existing temp dir itself is untouched.
    assert_eq!(mode(dir.path()), top_mode);

    // Permission drift shows up as a changed file_permission.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let drifted = p.read("local_file", &state).await.unwrap().unwrap();
    assert_eq!(attr_str(&drifted, "file_permission"), "0600");
    let replan = plan(&p, "local_file", Some(&drifted), &cfg).await;
    assert_eq!(
        replan.requires_replace,
        vec![vec!["file_permission".to_string()]]
    );

    // `sensitive_content` makes the file private by default: 0600, its directories 0700.
    let path3 = dir.path().join("private/token");
    let cfg = file_config("local_file", &path3, &[("sensitive_content", s("t0ken"))]);
    let state = create(&p, "local_file", &cfg).await;
    assert_eq!(attr_str(&state, "file_permission"), "0600");
    assert_eq!(mode(&path3), 0o600);
    assert_eq!(mode(&dir.path().join("private")), 0o700);
    assert_eq!(
        p.read("local_file", &state).await.unwrap(),
        Some(state.clone())
    );

    // local_sensitive_file defaults to 0700.
    let path2 = dir.path().join("sensitive/key");
    let cfg = file_config("local_sensitive_file", &path2, &[("content", s("k"))]);
    let state = create(&p, "local_sensitive_file", &cfg).await;
    assert_eq!(attr_str(&state, "file_permission"), "0700");
    assert_eq!(mode(&path2), 0o700);
    assert_eq!(mode(&dir.path().join("sensitive")), 0o700);

    let bad = file_config(
        "local_file",
        &path,
        &[("content", s("x")), ("file_permission", s("rw"))],
    );
    let errors = p.validate("local_file", &bad);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("file_permission"));
}

#[tokio::test]
async fn content_sources() {
    let dir = tempfile::tempdir().unwrap();
    let p = provider("local");

    let bin = dir.path().join("bin");
    let cfg = file_config(
        "local_file",
        &bin,
        &[("content_base64", s(&STANDARD.encode([0u8, 159, 255])))],
    );
    let state = create(&p, "local_file", &cfg).await;
    assert_eq!(std::fs::read(&bin).unwrap(), vec![0u8, 159, 255]);
    std::fs::write(&bin, [1u8, 2]).unwrap();
    let drifted = p.read("local_file", &state).await.unwrap().unwrap();
    assert_eq!(
        attr_str(&drifted, "content_base64"),
        STANDARD.encode([1u8, 2])
    );

    let sens = dir.path().join("sens");
    let cfg = file_config("local_file", &sens, &[("sensitive_content", s("pw"))]);
    create(&p, "local_file", &cfg).await;
    assert_eq!(std::fs::read_to_string(&sens).unwrap(), "pw");

    let src = dir.path().join("src.txt");
    std::fs::write(&src, "from source").unwrap();
    let copy = dir.path().join("copy.txt");
    let cfg = file_config(
        "local_file",
        &copy,
        &[("source", s(&src.to_string_lossy()))],
    );
    let state = create(&p, "local_file", &cfg).await;
    assert_eq!(std::fs::read_to_string(&copy).unwrap(), "from source");
    // A copied file that changed on disk reads as gone (it will be copied again).
    std::fs::write(&copy, "changed").unwrap();
    assert_eq!(p.read("local_file", &state).await.unwrap(), None);

    // Exactly one content argument.
    let none = file_config("local_file", &copy, &[]);
    assert_eq!(p.validate("local_file", &none).len(), 1);
    let two = file_config(
        "local_file",
        &copy,
        &[("content", s("a")), ("source", s("b"))],
    );
    assert_eq!(p.validate("local_file", &two).len(), 1);
    let one = file_config("local_file", &copy, &[("content", s("a"))]);
    assert!(p.validate("local_file", &one).is_empty());
}

#[tokio::test]
async fn import_by_filename() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("existing.txt");
    std::fs::write(&path, "data").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let p = provider("local");
    let imported = p
        .import("local_file", &path.to_string_lossy())
        .await
        .unwrap();
    assert_conforms(block("local_file"), &imported);
    assert_eq!(attr_str(&imported, "content"), "data");
    assert_eq!(attr_str(&imported, "file_permission"), "0644");
    assert_eq!(attr_str(&imported, "directory_permission"), "0777");
    // Planning the matching configuration after import changes nothing.
    let cfg = file_config(
        "local_file",
        &path,
        &[("content", s("data")), ("file_permission", s("0644"))],
    );
    let replan = plan(&p, "local_file", Some(&imported), &cfg).await;
    assert!(
        replan.requires_replace.is_empty(),
        "{:?}",
        replan.requires_replace
    );
    assert!(p
        .import("local_file", &dir.path().join("missing").to_string_lossy())
        .await
        .is_err());
}

#[tokio::test]
async fn recover_after_a_crashed_create() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.txt");
    let p = provider("local");
    let cfg = file_config("local_file", &path, &[("content", s("planned"))]);
    let planned = plan(&p, "local_file", None, &cfg).await.planned;

    // Nothing was written.
    assert_eq!(
        p.recover(skel_provider::RecoverRequest {
            type_name: "local_file",
            planned: &planned,
            address: "local_file.x",
            token: None
        })
        .await
        .unwrap(),
        None
    );

    // The file was written with the planned content: that is the state.
    std::fs::write(&path, "planned").unwrap();
    let recovered = p
        .recover(skel_provider::RecoverRequest {
            type_name: "local_file",
            planned: &planned,
            address: "local_file.x",
            token: None,
        })
        .await
        .unwrap()
        .unwrap();
    assert_conforms(block("local_file"), &recovered);
    assert!(recovered.is_known());
    assert_eq!(attr_str(&recovered, "content"), "planned");
    let replan = plan(&p, "local_file", Some(&recovered), &cfg).await;
    assert!(replan.requires_replace.is_empty());

    // Something else is there (a partial write): recorded as is, so the next plan replaces it.
    std::fs::write(&path, "plan").unwrap();
    let recovered = p
        .recover(skel_provider::RecoverRequest {
            type_name: "local_file",
            planned: &planned,
            address: "local_file.x",
            token: None,
        })
        .await
        .unwrap()
        .unwrap();
    assert_conforms(block("local_file"), &recovered);
    assert_eq!(attr_str(&recovered, "content"), "plan");
    let replan = plan(&p, "local_file", Some(&recovered), &cfg).await;
    assert_eq!(replan.requires_replace, vec![vec!["content".to_string()]]);
}

#[tokio::test]
async fn data_local_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("in.txt");
    std::fs::write(&path, "hello").unwrap();
    let p = provider("local");
    let block = data_block("local_file");
    let cfg = config_of(block, &[("filename", s(&path.to_string_lossy()))]);
    let out = p.read_data("local_file", &cfg).await.unwrap();
    assert_conforms(block, &out);
    assert_eq!(attr_str(&out, "content"), "hello");
    assert_eq!(attr_str(&out, "content_base64"), "aGVsbG8=");
    assert_eq!(
        attr_str(&out, "id"),
        "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"
    );
    let missing = config_of(block, &[("filename", s("/nonexistent/skel/file"))]);
    let err = p.read_data("local_file", &missing).await.unwrap_err();
    assert!(err.to_string().contains("/nonexistent/skel/file"), "{err}");
}

#[tokio::test]
async fn local_sensitive_file_lifecycle() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("creds");
    let p = provider("local");
    let ty = "local_sensitive_file";
    let cfg = file_config(ty, &path, &[("content", s("token"))]);
    let state = create(&p, ty, &cfg).await;
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "token");
    assert_eq!(p.read(ty, &state).await.unwrap(), Some(state.clone()));
    let again = plan(&p, ty, Some(&state), &cfg).await;
    assert_eq!(again.planned, state);
    assert!(again.requires_replace.is_empty());

    std::fs::write(&path, "other").unwrap();
    let drifted = p.read(ty, &state).await.unwrap().unwrap();
    assert_eq!(attr_str(&drifted, "content"), "other");
    let replan = plan(&p, ty, Some(&drifted), &cfg).await;
    assert_eq!(replan.requires_replace, vec![vec!["content".to_string()]]);

    let imported = p.import(ty, &path.to_string_lossy()).await.unwrap();
    assert_conforms(block(ty), &imported);
    assert_eq!(attr_str(&imported, "directory_permission"), "0700");

    assert_eq!(apply(&p, ty, Some(&state), None).await, Value::Null);
    assert!(!path.exists());
    assert_eq!(p.read(ty, &state).await.unwrap(), None);
}
