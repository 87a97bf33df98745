//! The `file` and `remote-exec` provisioners against a real OpenSSH server on 127.0.0.1,
//! started by `scripts/sshd-test` (which installs openssh-server when it is missing). These
//! tests fail, never skip, when the server cannot be started.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use skel_provider::ProviderError;
use skel_provider_builtin::provisioners;
use skel_value::Value;

/// A running sshd; stopped when dropped.
struct Sshd {
    dir: tempfile::TempDir,
    port: u16,
    user: String,
    key: String,
    other_key: String,
    host_key: String,
    /// The CA key that signed the server's host certificate.
    host_ca: String,
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../scripts/sshd-test")
}

impl Sshd {
    fn start() -> Sshd {
        Sshd::start_with(&[])
    }

    /// A server whose host certificate is made with `env` (`SSHD_TEST_CERT_PRINCIPALS`,
    /// `SSHD_TEST_CERT_VALIDITY`).
    fn start_with(env: &[(&str, &str)]) -> Sshd {
        let dir = tempfile::tempdir().expect("temp dir");
        let out = Command::new("bash")
            .arg(script())
            .arg("start")
            .arg(dir.path())
            .envs(env.iter().copied())
            .output()
            .expect("run scripts/sshd-test");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(
            out.status.success(),
            "could not start sshd for the SSH tests with `scripts/sshd-test start`.\n\
             Install OpenSSH as root: apt-get update && apt-get install -y openssh-server\n\
             --- stdout ---\n{stdout}\n--- stderr ---\n{stderr}"
        );
        let field = |name: &str| -> String {
            stdout
                .lines()
                .find_map(|l| l.strip_prefix(&format!("{name}=")))
                .unwrap_or_else(|| panic!("scripts/sshd-test printed no {name}=: {stdout}"))
                .to_string()
        };
        let read = |path: String| std::fs::read_to_string(path).expect("key file");
        Sshd {
            port: field("PORT").parse().expect("port"),
            user: field("USER"),
            key: read(field("KEY")),
            other_key: read(field("OTHER_KEY")),
            host_key: read(field("HOST_KEY")),
            host_ca: read(field("HOST_CA")),
            dir,
        }
    }

    fn connection(&self, extra: &[(&str, Value)]) -> Value {
        let mut m = skel_value::ValueMap::from([
            ("type".to_string(), Value::string("ssh")),
            ("host".to_string(), Value::string("127.0.0.1")),
            ("port".to_string(), Value::number(i64::from(self.port))),
            ("user".to_string(), Value::string(&self.user)),
            ("private_key".to_string(), Value::string(&self.key)),
            ("timeout".to_string(), Value::string("20s")),
        ]);
        for (k, v) in extra {
            m.insert(k.to_string(), v.clone());
        }
        Value::Object(m)
    }

    fn target(&self) -> String {
        format!("{}@127.0.0.1:{}", self.user, self.port)
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(script())
            .arg("stop")
            .arg(self.dir.path())
            .status();
    }
}

fn obj(pairs: &[(&str, Value)]) -> Value {
    Value::Object(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    )
}

fn list(items: &[&str]) -> Value {
    Value::List(items.iter().map(|s| Value::string(*s)).collect())
}

async fn run(
    kind: &str,
    args: &Value,
    connection: &Value,
) -> (Result<(), ProviderError>, Vec<String>) {
    let mut lines = Vec::new();
    let result = provisioners::run(kind, args, Some(connection), &mut |l| {
        lines.push(l.to_string())
    })
    .await;
    (result, lines)
}

#[tokio::test]
async fn file_upload_and_remote_exec() {
    let sshd = Sshd::start();
    let conn = sshd.connection(&[]);
    let work = tempfile::tempdir().unwrap();
    let remote = work.path().join("remote");
    std::fs::create_dir(&remote).unwrap();

    // `content` to a file.
    let dest = remote.join("hello.txt");
    let (r, _) = run(
        "file",
        &obj(&[
            ("content", Value::string("hello over ssh\n")),
            ("destination", Value::string(dest.to_string_lossy())),
        ]),
        &conn,
    )
    .await;
    r.unwrap();
    assert_eq!(std::fs::read_to_string(&dest).unwrap(), "hello over ssh\n");

    // A `source` file into an existing directory keeps its name.
    let local = work.path().join("local.bin");
    std::fs::write(&local, [0u8, 1, 2, 255]).unwrap();
    let (r, _) = run(
        "file",
        &obj(&[
            ("source", Value::string(local.to_string_lossy())),
            ("destination", Value::string(remote.to_string_lossy())),
        ]),
        &conn,
    )
    .await;
    r.unwrap();
    assert_eq!(
        std::fs::read(remote.join("local.bin")).unwrap(),
        vec![0u8, 1, 2, 255]
    );

    // A `source` directory: with a trailing slash its contents, without it the directory.
    let tree = work.path().join("tree");
    std::fs::create_dir_all(tree.join("sub")).unwrap();
    std::fs::write(tree.join("a.txt"), "A").unwrap();
    std::fs::write(tree.join("sub/b.txt"), "B").unwrap();
    let (r, _) = run(
        "file",
        &obj(&[
            ("source", Value::string(format!("{}/", tree.display()))),
            (
                "destination",
                Value::string(remote.join("contents").to_string_lossy()),
            ),
        ]),
        &conn,
    )
    .await;
    r.unwrap();
    assert_eq!(
        std::fs::read_to_string(remote.join("contents/a.txt")).unwrap(),
        "A"
    );
    assert_eq!(
        std::fs::read_to_string(remote.join("contents/sub/b.txt")).unwrap(),
        "B"
    );
    let (r, _) = run(
        "file",
        &obj(&[
            ("source", Value::string(tree.to_string_lossy())),
            ("destination", Value::string(remote.to_string_lossy())),
        ]),
        &conn,
    )
    .await;
    r.unwrap();
    assert_eq!(
        std::fs::read_to_string(remote.join("tree/sub/b.txt")).unwrap(),
        "B"
    );

    // remote-exec inline: runs in order, output streamed; a second command reads the upload.
    let marker = remote.join("marker");
    let (r, lines) = run(
        "remote-exec",
        &obj(&[(
            "inline",
            Value::List(vec![
                Value::string(format!("echo made > '{}'", marker.display())),
                Value::string(format!("cat '{}'", dest.display())),
                Value::string("echo to-stderr >&2"),
            ]),
        )]),
        &conn,
    )
    .await;
    r.unwrap();
    assert!(lines.contains(&"hello over ssh".to_string()), "{lines:?}");
    assert!(lines.contains(&"to-stderr".to_string()), "{lines:?}");
    assert_eq!(std::fs::read_to_string(&marker).unwrap(), "made\n");

    // remote-exec scripts: uploaded and run with their own interpreter line.
    let script = work.path().join("s.sh");
    std::fs::write(&script, "#!/bin/sh\necho \"script ran as $(id -un)\"\n").unwrap();
    let (r, lines) = run(
        "remote-exec",
        &obj(&[(
            "scripts",
            list(&[&script.to_string_lossy(), &script.to_string_lossy()]),
        )]),
        &conn,
    )
    .await;
    r.unwrap();
    let expected = format!("script ran as {}", sshd.user);
    assert_eq!(
        lines.iter().filter(|l| **l == expected).count(),
        2,
        "{lines:?}"
    );

    // The right host_key is accepted.
    let pinned = sshd.connection(&[("host_key", Value::string(sshd.host_key.trim()))]);
    let (r, lines) = run(
        "remote-exec",
        &obj(&[("inline", list(&["echo pinned"]))]),
        &pinned,
    )
    .await;
    r.unwrap();
    assert_eq!(lines, vec!["pinned"]);
}

#[tokio::test]
async fn failing_remote_command_is_an_error() {
    let sshd = Sshd::start();
    let conn = sshd.connection(&[]);
    let (r, lines) = run(
        "remote-exec",
        &obj(&[(
            "inline",
            list(&[
                "echo before",
                "echo 'disk full' >&2",
                "exit 7",
                "echo after",
            ]),
        )]),
        &conn,
    )
    .await;
    let err = r.unwrap_err();
    assert!(matches!(err, ProviderError::Provisioner(_)), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("status 7"), "{msg}");
    assert!(msg.contains("disk full"), "{msg}");
    assert!(msg.contains(&sshd.target()), "{msg}");
    assert!(lines.contains(&"before".to_string()));
    assert!(
        !lines.contains(&"after".to_string()),
        "set -e stops at the failure"
    );

    // `set -e`: a failing command in the middle stops the rest.
    let (r, lines) = run(
        "remote-exec",
        &obj(&[("inline", list(&["false", "echo unreachable"]))]),
        &conn,
    )
    .await;
    assert!(r.unwrap_err().to_string().contains("status 1"));
    // Only the warning that the host is not in known_hosts (this test has no `host_key`).
    assert!(
        lines.iter().all(|l| l.starts_with("warning: [127.0.0.1]")),
        "{lines:?}"
    );

    // Uploading into a directory that does not exist fails with a clear message.
    let (r, _) = run(
        "file",
        &obj(&[
            ("content", Value::string("x")),
            (
                "destination",
                Value::string("/nonexistent-skel-dir/sub/file"),
            ),
        ]),
        &conn,
    )
    .await;
    let msg = r.unwrap_err().to_string();
    assert!(msg.contains("/nonexistent-skel-dir/sub/file"), "{msg}");
}

#[tokio::test]
async fn wrong_key_is_an_auth_error() {
    let sshd = Sshd::start();
    let conn = sshd.connection(&[("private_key", Value::string(&sshd.other_key))]);
    let started = Instant::now();
    let (r, _) = run("remote-exec", &obj(&[("inline", list(&["true"]))]), &conn).await;
    let err = r.unwrap_err();
    assert!(matches!(err, ProviderError::Auth(_)), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("authentication failed"), "{msg}");
    assert!(msg.contains(&sshd.target()), "{msg}");
    assert!(
        !msg.contains("PRIVATE KEY"),
        "the key must not appear: {msg}"
    );
    // Not retried until the timeout.
    assert!(started.elapsed() < Duration::from_secs(10));

    // A wrong host key is refused.
    let other_pub = std::fs::read_to_string(sshd.dir.path().join("other_ed25519.pub")).unwrap();
    let conn = sshd.connection(&[("host_key", Value::string(other_pub.trim()))]);
    let (r, _) = run("remote-exec", &obj(&[("inline", list(&["true"]))]), &conn).await;
    let msg = r.unwrap_err().to_string();
    assert!(msg.contains("host key"), "{msg}");

    // A key that does not parse is a configuration error that does not echo the key.
    let conn = sshd.connection(&[("private_key", Value::string("not a key SECRETSECRET"))]);
    let (r, _) = run("remote-exec", &obj(&[("inline", list(&["true"]))]), &conn).await;
    let err = r.unwrap_err();
    assert!(matches!(err, ProviderError::InvalidConfig(_)), "{err:?}");
    assert!(!err.to_string().contains("SECRETSECRET"));
}

#[tokio::test]
async fn closed_port_is_a_connection_error() {
    // A port nothing listens on: bind one, then let it go.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let conn = obj(&[
        ("host", Value::string("127.0.0.1")),
        ("port", Value::number(i64::from(port))),
        ("user", Value::string("deploy")),
        ("password", Value::string("hunter2")),
        ("timeout", Value::string("2s")),
    ]);
    let started = Instant::now();
    let (r, _) = run("remote-exec", &obj(&[("inline", list(&["true"]))]), &conn).await;
    let elapsed = started.elapsed();
    let err = r.unwrap_err();
    assert!(matches!(err, ProviderError::Unreachable(_)), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains(&format!("127.0.0.1:{port}")), "{msg}");
    assert!(msg.contains("deploy"), "{msg}");
    assert!(msg.contains("connection refused"), "{msg}");
    assert!(msg.contains("2s"), "{msg}");
    assert!(!msg.contains("hunter2"), "{msg}");
    assert!(elapsed >= Duration::from_millis(1500), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
}

#[tokio::test]
async fn connection_arguments_are_checked() {
    let (r, _) = run(
        "remote-exec",
        &obj(&[("inline", list(&["true"]))]),
        &obj(&[("host", Value::string("127.0.0.1"))]),
    )
    .await;
    let msg = r.unwrap_err().to_string();
    assert!(
        msg.contains("private_key") && msg.contains("password"),
        "{msg}"
    );
    let (r, _) = run(
        "remote-exec",
        &obj(&[("inline", list(&["true"]))]),
        &obj(&[
            ("host", Value::string("h")),
            ("password", Value::string("p")),
            ("type", Value::string("winrm")),
        ]),
    )
    .await;
    assert!(r.unwrap_err().to_string().contains("winrm"));
    let (r, _) = run(
        "remote-exec",
        &obj(&[("inline", list(&["true"])), ("script", Value::string("x"))]),
        &obj(&[
            ("host", Value::string("h")),
            ("password", Value::string("p")),
        ]),
    )
    .await;
    assert!(matches!(r, Err(ProviderError::InvalidConfig(_))));
}

#[tokio::test]
async fn host_certificates_are_verified_against_the_ca() {
    let sshd = Sshd::start();
    let inline = obj(&[("inline", list(&["echo certified"]))]);
    // `host_key` is the CA: the server's certificate is checked and accepted, with no warning.
    let by_ca = sshd.connection(&[("host_key", Value::string(sshd.host_ca.trim()))]);
    let (r, lines) = run("remote-exec", &inline, &by_ca).await;
    r.unwrap();
    assert_eq!(lines, vec!["certified"]);
    // By another name the certificate lists.
    let mut by_name = sshd.connection(&[("host_key", Value::string(sshd.host_ca.trim()))]);
    if let Value::Object(m) = &mut by_name {
        m.insert("host".into(), Value::string("localhost"));
    }
    let (r, lines) = run("remote-exec", &inline, &by_name).await;
    r.unwrap();
    assert_eq!(lines, vec!["certified"]);

    // A certificate for other principals, an expired one, one not valid yet.
    for (env, expected) in [
        (
            ("SSHD_TEST_CERT_PRINCIPALS", "db.internal"),
            "not valid for `127.0.0.1`",
        ),
        (("SSHD_TEST_CERT_VALIDITY", "-2h:-1h"), "expired"),
        (("SSHD_TEST_CERT_VALIDITY", "+1h:+2h"), "not valid yet"),
    ] {
        let other = Sshd::start_with(&[env]);
        let conn = other.connection(&[("host_key", Value::string(other.host_ca.trim()))]);
        let started = Instant::now();
        let (r, lines) = run("remote-exec", &inline, &conn).await;
        let err = r.unwrap_err();
        assert!(matches!(err, ProviderError::Auth(_)), "{env:?}: {err:?}");
        assert!(err.to_string().contains(expected), "{env:?}: {err}");
        assert!(lines.is_empty(), "nothing ran: {lines:?}");
        assert!(started.elapsed() < Duration::from_secs(10), "not retried");
    }

    // Another CA (here: the first server's CA for the second server) is refused.
    let other = Sshd::start();
    let conn = other.connection(&[("host_key", Value::string(sshd.host_ca.trim()))]);
    let (r, _) = run("remote-exec", &inline, &conn).await;
    let msg = r.unwrap_err().to_string();
    assert!(msg.contains("signed by another authority"), "{msg}");
}

#[tokio::test]
async fn remote_exec_scripts_are_private_and_removed() {
    let sshd = Sshd::start();
    let conn = sshd.connection(&[("host_key", Value::string(sshd.host_key.trim()))]);
    let report = r#"echo "path=$0 mode=$(stat -c %a "$0") dir=$(stat -c %a "$(dirname "$0")")""#;
    let (r, lines) = run("remote-exec", &obj(&[("inline", list(&[report]))]), &conn).await;
    r.unwrap();
    let line = lines
        .iter()
        .find(|l| l.starts_with("path="))
        .expect("a report line");
    let fields: std::collections::HashMap<&str, &str> = line
        .split(' ')
        .filter_map(|kv| kv.split_once('='))
        .collect();
    assert_eq!(fields["mode"], "700", "{line}");
    assert_eq!(fields["dir"], "700", "a private directory: {line}");
    let script = Path::new(fields["path"]);
    // The server is this machine: the script and its directory are gone.
    assert!(!script.exists(), "{line}");
    assert!(!script.parent().unwrap().exists(), "{line}");
    assert_ne!(script.parent().unwrap(), Path::new("/tmp"), "{line}");

    // Removed after a failure too.
    let (r, lines) = run(
        "remote-exec",
        &obj(&[("inline", list(&[report, "exit 4"]))]),
        &conn,
    )
    .await;
    assert!(r.unwrap_err().to_string().contains("status 4"));
    let line = lines
        .iter()
        .find(|l| l.starts_with("path="))
        .expect("a report line");
    let path = line.split(' ').next().unwrap().trim_start_matches("path=");
    assert!(!Path::new(path).parent().unwrap().exists(), "{line}");

    // An explicit `script_path` gets mode 0700 and is removed afterwards.
    let chosen = sshd.dir.path().join("chosen-%RAND%.sh");
    let conn = sshd.connection(&[
        ("host_key", Value::string(sshd.host_key.trim())),
        ("script_path", Value::string(chosen.to_string_lossy())),
    ]);
    let (r, lines) = run("remote-exec", &obj(&[("inline", list(&[report]))]), &conn).await;
    r.unwrap();
    let line = lines
        .iter()
        .find(|l| l.starts_with("path="))
        .expect("a report line");
    assert!(line.contains("mode=700"), "{line}");
    let path = line.split(' ').next().unwrap().trim_start_matches("path=");
    assert!(path.contains("chosen-"), "{line}");
    assert!(!Path::new(path).exists(), "{line}");
}
