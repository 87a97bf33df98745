//! The `local-exec` provisioner: output streaming, exit codes, environment, interpreter and
//! working directory.

use skel_provider::ProviderError;
use skel_provider_builtin::provisioners::{self, parse_duration};
use skel_value::Value;
use skel_value::ValueMap;

fn args(pairs: &[(&str, Value)]) -> Value {
    Value::Object(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    )
}

async fn run(args: &Value) -> (Result<(), ProviderError>, Vec<String>) {
    let mut lines = Vec::new();
    let result =
        provisioners::run("local-exec", args, None, &mut |l| lines.push(l.to_string())).await;
    (result, lines)
}

#[tokio::test]
async fn success_streams_lines() {
    let (r, lines) = run(&args(&[(
        "command",
        Value::string("echo one; echo two >&2; printf three"),
    )]))
    .await;
    r.unwrap();
    let mut sorted = lines.clone();
    sorted.sort();
    assert_eq!(sorted, vec!["one", "three", "two"]);
}

#[tokio::test]
async fn failure_reports_exit_code_and_stderr() {
    let (r, _) = run(&args(&[(
        "command",
        Value::string("echo progress; echo 'it broke' >&2; exit 3"),
    )]))
    .await;
    let err = r.unwrap_err();
    assert!(matches!(err, ProviderError::Provisioner(_)));
    let msg = err.to_string();
    assert!(msg.contains("status 3"), "{msg}");
    assert!(msg.contains("it broke"), "{msg}");
    assert!(!msg.contains("progress"), "{msg}");
}

#[tokio::test]
async fn environment_and_working_dir() {
    let dir = tempfile::tempdir().unwrap();
    let env = Value::Map(ValueMap::from([
        ("SKEL_A".to_string(), Value::string("alpha")),
        ("SKEL_B".to_string(), Value::string("two words")),
    ]));
    let (r, lines) = run(&args(&[
        ("command", Value::string("echo \"$SKEL_A|$SKEL_B\"; pwd")),
        ("environment", env),
        ("working_dir", Value::string(dir.path().to_string_lossy())),
    ]))
    .await;
    r.unwrap();
    assert_eq!(lines[0], "alpha|two words");
    let canonical = dir.path().canonicalize().unwrap();
    assert_eq!(lines[1], canonical.to_string_lossy());
}

#[tokio::test]
async fn custom_interpreter() {
    let interpreter = Value::List(vec![
        Value::string("/usr/bin/env"),
        Value::string("bash"),
        Value::string("-c"),
    ]);
    let (r, lines) = run(&args(&[
        ("command", Value::string("echo \"${BASH_VERSION:+bash}\"")),
        ("interpreter", interpreter),
    ]))
    .await;
    r.unwrap();
    assert_eq!(lines, vec!["bash"]);

    let (r, _) = run(&args(&[
        ("command", Value::string("x")),
        (
            "interpreter",
            Value::List(vec![Value::string("/nonexistent/interpreter")]),
        ),
    ]))
    .await;
    let msg = r.unwrap_err().to_string();
    assert!(
        msg.contains("could not start `/nonexistent/interpreter`"),
        "{msg}"
    );
}

#[tokio::test]
async fn missing_command_and_unknown_kind() {
    let (r, _) = run(&args(&[])).await;
    assert!(matches!(r, Err(ProviderError::InvalidConfig(_))));
    let r = provisioners::run("chef", &args(&[]), None, &mut |_| {}).await;
    assert!(matches!(r, Err(ProviderError::InvalidConfig(_))));
    let r = provisioners::run(
        "remote-exec",
        &args(&[("inline", Value::List(vec![]))]),
        None,
        &mut |_| {},
    )
    .await;
    let msg = r.unwrap_err().to_string();
    assert!(msg.contains("connection"), "{msg}");
}

#[test]
fn durations() {
    use std::time::Duration;
    assert_eq!(parse_duration("5m"), Some(Duration::from_secs(300)));
    assert_eq!(parse_duration("2s"), Some(Duration::from_secs(2)));
    assert_eq!(parse_duration("1h30m"), Some(Duration::from_secs(5400)));
    assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
    assert_eq!(parse_duration("1.5s"), Some(Duration::from_millis(1500)));
    assert_eq!(parse_duration("10"), Some(Duration::from_secs(10)));
    assert_eq!(parse_duration("5 minutes"), None);
    assert_eq!(parse_duration(""), None);
    assert_eq!(parse_duration("m"), None);
    // Absurd values are refused, not an overflow panic (`Duration::from_secs_f64(1e20)`).
    assert_eq!(parse_duration("1e20"), None);
    assert_eq!(parse_duration("99999999999999999999h"), None);
}
