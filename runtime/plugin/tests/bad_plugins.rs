//! Plugins that go wrong, each a clear `PluginError` naming the provider and the executable,
//! never a panic or a hang: not a plugin, one that exits during the handshake, one that only
//! speaks an unsupported protocol version, one that never answers, one whose answers are
//! malformed msgpack (the skeltest provider with SKELTEST_MALFORMED=1).

mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use skel_plugin::{PluginClient, PluginError, StartOptions};
use skel_value::Value;

/// Writes an executable shell script.
fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

async fn start_err(exe: &Path, options: &StartOptions) -> PluginError {
    match PluginClient::start("bad", exe, options).await {
        Ok(_) => panic!("{} started", exe.display()),
        Err(e) => e,
    }
}

#[tokio::test]
async fn an_executable_that_is_not_a_plugin() {
    let dir = tempfile::tempdir().unwrap();
    let exe = script(
        dir.path(),
        "not-a-plugin",
        "echo 'Usage: not-a-plugin [options]'\nexit 0",
    );
    let e = start_err(&exe, &StartOptions::default()).await;
    assert!(matches!(e, PluginError::BadHandshake { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        format!(
            "provider `bad` ({}): not a plugin: the handshake line is 1 fields, expected CORE|APP|NETWORK|ADDRESS|PROTOCOL|CERT: `Usage: not-a-plugin [options]`",
            exe.display()
        )
    );
    // Binary garbage without a newline is no better.
    let exe = script(
        dir.path(),
        "garbage",
        "head -c 3000 /dev/urandom | tr -d '\\n'",
    );
    let e = start_err(&exe, &StartOptions::default()).await;
    assert!(matches!(e, PluginError::BadHandshake { .. }), "{e:?}");
    // A file that cannot run at all.
    let e = start_err(&dir.path().join("missing"), &StartOptions::default()).await;
    assert!(matches!(e, PluginError::Spawn { .. }), "{e:?}");
    assert!(e.to_string().starts_with("provider `bad` ("), "{e}");
}

#[tokio::test]
async fn a_plugin_that_exits_during_the_handshake_shows_its_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let exe = script(
        dir.path(),
        "crashes",
        "echo 'starting up' >&2\necho 'fatal: the credentials file is unreadable' >&2\nexit 3",
    );
    let e = start_err(&exe, &StartOptions::default()).await;
    assert!(
        matches!(e, PluginError::ExitedDuringHandshake { .. }),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        format!(
            "provider `bad` ({}): the plugin exited during the handshake (exit status: 3); its stderr ends with:\n  starting up\n  fatal: the credentials file is unreadable",
            exe.display()
        )
    );
    // Run without the magic cookie's value, a real plugin refuses to serve the same way.
    let null = &support::plugins().null;
    let options = StartOptions {
        env: vec![("TF_PLUGIN_MAGIC_COOKIE".into(), "wrong".into())],
        ..Default::default()
    };
    let e = start_err(null, &options).await;
    assert!(
        matches!(e, PluginError::ExitedDuringHandshake { .. }),
        "{e:?}"
    );
    assert!(e.to_string().contains("This binary is a plugin"), "{e}");
}

#[tokio::test]
async fn a_plugin_that_only_speaks_an_unsupported_protocol_version() {
    let dir = tempfile::tempdir().unwrap();
    let exe = script(
        dir.path(),
        "old",
        "echo '1|4|tcp|127.0.0.1:1|grpc|'\nsleep 5",
    );
    let started = Instant::now();
    let e = start_err(&exe, &StartOptions::default()).await;
    assert!(
        matches!(e, PluginError::UnsupportedProtocol { .. }),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        format!(
            "provider `bad` ({}): the plugin speaks plugin protocol 4, skel speaks 5 and 6 (it is too old or too new for skel)",
            exe.display()
        )
    );
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "the plugin is not waited for"
    );
}

#[tokio::test]
async fn a_plugin_that_never_answers_the_handshake_times_out() {
    let dir = tempfile::tempdir().unwrap();
    let exe = script(dir.path(), "hangs", "echo 'thinking...' >&2\nsleep 30");
    let options = StartOptions {
        handshake_timeout: Duration::from_millis(500),
        ..Default::default()
    };
    let started = Instant::now();
    let e = start_err(&exe, &options).await;
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(matches!(e, PluginError::HandshakeTimeout { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        format!(
            "provider `bad` ({}): the plugin did not complete the handshake within 0.5s; its stderr ends with:\n  thinking...",
            exe.display()
        )
    );
    // A plugin that names an address nobody listens on.
    let exe = script(
        dir.path(),
        "nowhere",
        "echo '1|6|unix|/nonexistent/plugin.sock|grpc|'\nsleep 30",
    );
    let e = start_err(&exe, &StartOptions::default()).await;
    assert!(matches!(e, PluginError::Transport { .. }), "{e:?}");
    assert!(
        e.to_string()
            .contains("connecting to unix /nonexistent/plugin.sock"),
        "{e}"
    );
}

#[tokio::test]
async fn malformed_msgpack_from_a_plugin_is_a_clear_error() {
    let store = tempfile::tempdir().unwrap();
    let (exe, mut options) = support::skeltest(store.path());
    options.env.push(("SKELTEST_MALFORMED".into(), "1".into()));
    let client = PluginClient::start("skeltest", &exe, &options)
        .await
        .unwrap();
    let ds_cfg = Value::Object(
        [
            ("input", Value::string("hi")),
            ("output", Value::Null),
            ("prefix", Value::Null),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect(),
    );
    let e = client
        .read_data_source("skeltest_echo", &ds_cfg)
        .await
        .unwrap_err();
    assert!(matches!(e, PluginError::Malformed { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        format!(
            "provider `skeltest` ({}): ReadDataSource: the plugin's answer is malformed: state: expected an object (a msgpack map)",
            exe.display()
        )
    );
    client.shutdown().await;
}

#[tokio::test]
async fn a_plugin_that_dies_mid_run_is_a_transport_error_naming_it() {
    let exe = &support::plugins().null;
    let client = PluginClient::start("null", exe, &StartOptions::default())
        .await
        .unwrap();
    client.schema().await.unwrap();
    client.kill();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let e = client
        .configure(&Value::Object(Default::default()))
        .await
        .unwrap_err();
    assert!(matches!(e, PluginError::Transport { .. }), "{e:?}");
    let text = e.to_string();
    println!("{text}");
    assert!(!text.contains("metadata"), "{text}");
    assert!(
        text.starts_with(&format!(
            "provider `null` ({}): ConfigureProvider: ",
            exe.display()
        )),
        "{text}"
    );
    // Shutting down a dead plugin returns without hanging.
    tokio::time::timeout(Duration::from_secs(10), client.shutdown())
        .await
        .unwrap();
}
