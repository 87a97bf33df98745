//! The leak corpus: the real `skelc` through check, plan, plan --json, run, output (every form),
//! state show, refresh and destroy, with secrets from `-var`, `SKEL_VAR_…`, a `*.auto.skelvars`
//! file, a `-var-file`, `random_password` (created during apply) and a Kubernetes secret read
//! by a data source from the stand-in; every derived form of each (base64, upper case, a
//! 7-character prefix, JSON-escaped, hashes, a sensitive number, each line of a multi-line
//! secret sent through a `local-exec` provisioner) must be absent from stdout and stderr.
//! Each test also checks that the secret really flowed (state holds it), so an absence means
//! something.

mod leak_support;

use std::fs;

use leak_support::{assert_hidden, project, Out, Runner};

/// From `-var`: a quote and a backslash, so JSON-escaping changes it.
const PW: &str = "Vq7\"Rk2\\Lm9Zt4Wx";
/// From `SKEL_VAR_pw_env`.
const PW_ENV: &str = "Ke8mPz3QvT6yNb1R";
/// From `secrets.auto.skelvars` (read automatically).
const PW_FILE: &str = "Hs5dWq2LxC9vJf7G";
/// A sensitive number, and the number derived from it.
const PIN: &str = "8675309123";
const PIN_NEXT: &str = "8675309124";
/// A multi-line secret, sent to a provisioner.
const MULTI: &str = "first-line-Qx71Ab\nsecond-line-Pz93Cd\nthird-line-Mv55Ef";

const CONFIG: &str = r#"
variable "pw" {
  type      = string
  sensitive = true
}

variable "pw_env" {
  type      = string
  sensitive = true
}

variable "pw_file" {
  type      = string
  sensitive = true
}

variable "pin" {
  type      = number
  sensitive = true
}

variable "multi" {
  type      = string
  sensitive = true
}

resource "random_password" "gen" {
  length  = 20
  special = false
}

locals {
  secrets = {
    pw   = var.pw
    env  = var.pw_env
    file = var.pw_file
    gen  = random_password.gen.result
  }
}

resource "null_resource" "forms" {
  for_each = toset(["pw", "env", "file", "gen"])
  triggers = {
    exact  = local.secrets[each.key]
    b64    = base64encode(local.secrets[each.key])
    upper  = upper(local.secrets[each.key])
    prefix = substr(local.secrets[each.key], 0, 7)
    json   = jsonencode({ secret = local.secrets[each.key] })
    sha256 = sha256(local.secrets[each.key])
    md5    = md5(local.secrets[each.key])
  }
}

resource "null_resource" "number" {
  triggers = {
    pin  = var.pin
    next = tostring(var.pin + 1)
  }
}

resource "local_file" "multi" {
  filename = "${path.module}/out/multi.txt"
  content  = var.multi
}

resource "null_resource" "provisioned" {
  provisioner "local-exec" {
    command = "printf '%s\n' \"$MULTI\"; printf '%s\n' \"$PW\"; printf '%s\n' \"$PW\" | base64"
    environment = {
      MULTI = var.multi
      PW    = var.pw
    }
  }
}

output "pw" {
  value     = var.pw
  sensitive = true
}

output "gen" {
  value     = random_password.gen.result
  sensitive = true
}

output "gen_object" {
  value     = random_password.gen
  sensitive = true
}

output "forms" {
  value     = null_resource.forms
  sensitive = true
}

output "next_pin" {
  value     = var.pin + 1
  sensitive = true
}

output "gen_id" {
  value = random_password.gen.id
}
"#;

fn runner() -> (tempfile::TempDir, Runner) {
    let (tmp, dir) = project(CONFIG);
    fs::write(
        dir.join("secrets.auto.skelvars"),
        format!("pw_file = \"{PW_FILE}\"\n"),
    )
    .expect("write skelvars");
    let runner = Runner {
        dir,
        env: vec![("SKEL_VAR_pw_env".into(), PW_ENV.into())],
    };
    (tmp, runner)
}

/// `args` followed by the `-var`s.
fn with_vars<'a>(args: &[&'a str], vars: &'a [String]) -> Vec<&'a str> {
    let mut out: Vec<&str> = args.to_vec();
    for v in vars {
        out.push("-var");
        out.push(v);
    }
    out
}

fn state(runner: &Runner) -> serde_json::Value {
    let text = fs::read_to_string(runner.dir.join("skel.state.json")).expect("state file");
    serde_json::from_str(&text).expect("state JSON")
}

#[test]
fn no_form_of_a_secret_is_ever_printed() {
    let (_tmp, r) = runner();
    let vars = vec![
        format!("pw={PW}"),
        format!("pin={PIN}"),
        format!("multi={MULTI}"),
    ];
    let given = [PW, PW_ENV, PW_FILE, PIN, PIN_NEXT, MULTI];
    let mut seen: Vec<(String, Out)> = Vec::new();
    let mut step = |what: &str, out: Out| {
        assert_hidden(&out, what, &given);
        seen.push((what.to_string(), out));
    };

    step("check", r.ok(&with_vars(&["check"], &vars)));
    let plan = r.ok(&with_vars(&["plan"], &vars));
    assert!(plan.stdout.contains("(sensitive value)"), "{plan:?}");
    step("plan", plan);
    let json = r.ok(&with_vars(&["plan", "--json"], &vars));
    let parsed: serde_json::Value = serde_json::from_str(&json.stdout).expect("plan JSON");
    let number = parsed["resource_changes"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["address"] == "null_resource.number"))
        .expect("null_resource.number in the plan")
        .clone();
    assert_eq!(
        number["after_sensitive"]["triggers"],
        serde_json::json!({ "next": true, "pin": true }),
        "{number}"
    );
    step("plan --json", json);
    step(
        "plan -out",
        r.ok(&with_vars(&["plan", "-out", "saved.plan"], &vars)),
    );

    let run = r.ok(&with_vars(&["run", "--auto-approve"], &vars));
    assert!(
        run.all()
            .contains("(output suppressed due to sensitive value in config)"),
        "{run:?}"
    );
    step("run", run);

    // The secrets really flowed: state holds them (so their absence above means something),
    // and the generated password is known now.
    let st = state(&r);
    let resources = &st["resources"];
    assert_eq!(
        resources["null_resource.forms[\"pw\"]"]["attributes"]["triggers"]["exact"],
        PW
    );
    assert_eq!(
        resources["null_resource.number"]["attributes"]["triggers"]["next"],
        PIN_NEXT
    );
    assert_eq!(
        resources["local_file.multi"]["attributes"]["content"],
        MULTI
    );
    let gen = resources["random_password.gen"]["attributes"]["result"]
        .as_str()
        .expect("generated password in state")
        .to_string();
    assert_eq!(gen.len(), 20);
    assert!(
        resources["null_resource.forms[\"pw\"]"]["sensitive_paths"]
            .as_array()
            .is_some_and(|p| p.contains(&serde_json::json!(["triggers", "exact"]))),
        "{st}"
    );
    let all = [PW, PW_ENV, PW_FILE, PIN, PIN_NEXT, MULTI, gen.as_str()];
    // The run and everything before it did not show the password generated during the run.
    for (what, out) in &seen {
        assert_hidden(out, what, &all);
    }

    let again = r.ok(&with_vars(&["plan"], &vars));
    assert!(again.stdout.contains("No changes"), "{again:?}");
    assert_hidden(&again, "plan after run", &all);
    let list = r.ok(&["output"]);
    assert!(list.stdout.contains("pw = (sensitive value)"), "{list:?}");
    assert!(list.stdout.contains("gen_id = "), "{list:?}");
    assert_hidden(&list, "output", &all);
    assert_hidden(&r.ok(&["output", "--json"]), "output --json", &all);
    for name in ["pw", "gen", "gen_object", "forms", "next_pin"] {
        let one = r.ok(&["output", name]);
        assert_eq!(one.stdout, "(sensitive value)\n", "{one:?}");
        assert_hidden(&one, &format!("output {name}"), &all);
        let json = r.ok(&["output", name, "--json"]);
        assert_hidden(&json, &format!("output {name} --json"), &all);
    }
    // Explicitly asked for, it is printed.
    assert_eq!(r.ok(&["output", "--raw", "pw"]).stdout, format!("{PW}\n"));
    assert_eq!(r.ok(&["output", "--raw", "gen"]).stdout, format!("{gen}\n"));

    let addresses = r.ok(&["state", "list"]);
    assert_hidden(&addresses, "state list", &all);
    let addresses: Vec<String> = addresses.stdout.lines().map(str::to_string).collect();
    assert_eq!(addresses.len(), 8, "{addresses:?}");
    for addr in &addresses {
        let shown = r.ok(&["state", "show", addr]);
        assert_hidden(&shown, &format!("state show {addr}"), &all);
    }
    let shown = r.ok(&["state", "show", "null_resource.number"]);
    assert!(shown.stdout.contains("(sensitive value)"), "{shown:?}");
    assert_hidden(&r.ok(&with_vars(&["refresh"], &vars)), "refresh", &all);

    let destroy = r.ok(&with_vars(&["destroy", "--auto-approve"], &vars));
    assert!(destroy.stdout.contains("8 destroyed"), "{destroy:?}");
    assert_hidden(&destroy, "destroy", &all);
}

/// The value of a sensitive variable that fails its validation, from each source: the
/// diagnostic shows `<sensitive>` in its snippet, names the variable, and replaces an
/// `error_message` that refers to the value.
#[test]
fn a_failing_validation_never_shows_the_value() {
    let config = r#"
variable "pw" {
  type      = string
  sensitive = true

  validation {
    condition     = length(var.pw) > 64
    error_message = "The password ${var.pw} is too short (${upper(var.pw)})."
  }
}

variable "pin" {
  type      = number
  sensitive = true
  default   = 1
}

resource "null_resource" "x" {}
"#;
    let (_tmp, dir) = project(config);
    let runner = |env: Vec<(String, String)>| Runner {
        dir: dir.clone(),
        env,
    };
    let quoted = serde_json::to_string(PW).expect("json");
    fs::write(dir.join("extra.vars"), format!("pw = {quoted}\n")).expect("write var file");
    let sources: Vec<(&str, Runner, Vec<String>)> = vec![
        (
            "-var",
            runner(vec![]),
            vec!["-var".into(), format!("pw={PW}")],
        ),
        (
            "SKEL_VAR_",
            runner(vec![("SKEL_VAR_pw".into(), PW.into())]),
            vec![],
        ),
        (
            "-var-file",
            runner(vec![]),
            vec!["-var-file".into(), "extra.vars".into()],
        ),
    ];
    for (source, r, extra) in &sources {
        for command in ["check", "plan"] {
            let mut args = vec![command];
            args.extend(extra.iter().map(String::as_str));
            let out = r.skelc(&args);
            assert_eq!(out.code, 1, "{source} {command}: {out:?}");
            assert!(
                out.stderr.contains("validation-failed"),
                "{source}: {out:?}"
            );
            assert!(out.all().contains("var.pw"), "{source}: {out:?}");
            assert!(out.all().contains("<sensitive>"), "{source}: {out:?}");
            assert_hidden(&out, &format!("{command} with {source}"), &[PW]);
        }
    }
    // From a `*.auto.skelvars` file, read without being named.
    fs::write(
        dir.join("secrets.auto.skelvars"),
        format!("pw = {quoted}\n"),
    )
    .expect("write");
    let r = runner(vec![]);
    let out = r.skelc(&["check"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.all().contains("<sensitive>"), "{out:?}");
    assert_hidden(&out, "check with *.auto.skelvars", &[PW]);
    fs::remove_file(dir.join("secrets.auto.skelvars")).expect("remove");

    // A value of the wrong type is not quoted either.
    let wrong = "notanumber-Sk3Xq9";
    let out = r.skelc(&["check", "-var", &format!("pin={wrong}"), "-var", "pw=x"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("invalid-variable-value"), "{out:?}");
    assert_hidden(
        &out,
        "check with a sensitive value of the wrong type",
        &[wrong],
    );
}

/// `for_each` over a sensitive set: the keys would be instance addresses. The checker
/// refuses, without printing them.
#[test]
fn sensitive_instance_keys_are_refused_without_being_shown() {
    let config = r#"
variable "users" {
  type      = set(string)
  sensitive = true
}

resource "null_resource" "u" {
  for_each = var.users
}
"#;
    let (_tmp, dir) = project(config);
    let r = Runner { dir, env: vec![] };
    let keys = ["alice-k3y-77Qw", "bob-k3y-88Zx"];
    let value = format!("users=[\"{}\", \"{}\"]", keys[0], keys[1]);
    for command in ["check", "plan", "run"] {
        let out = r.skelc(&[command, "-var", &value]);
        assert_eq!(out.code, 1, "{out:?}");
        assert!(out.all().contains("sensitive-for-each"), "{out:?}");
        assert_hidden(&out, command, &keys);
    }
}

/// An output of a whole `random_password` object without `sensitive = true` is an error at
/// check (its `result` is created during apply and is sensitive).
#[test]
fn an_unmarked_output_of_a_generated_secret_fails_the_check() {
    let config = r#"
resource "random_password" "p" {
  length = 16
}

output "p" {
  value = random_password.p
}
"#;
    let (_tmp, dir) = project(config);
    let r = Runner { dir, env: vec![] };
    let out = r.skelc(&["check"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("sensitive-output"), "{out:?}");
    let run = r.skelc(&["run", "--auto-approve"]);
    assert_eq!(run.code, 1, "nothing is applied: {run:?}");
    assert!(!r.dir.join("skel.state.json").exists());
}

/// A provisioner whose configuration holds a secret fails, having written it (line by line)
/// to its error output: neither its output nor its error shows it.
#[test]
fn a_failing_provisioner_does_not_show_its_sensitive_output() {
    let config = r#"
variable "multi" {
  type      = string
  sensitive = true
}

resource "null_resource" "p" {
  provisioner "local-exec" {
    command     = "printf '%s\n' \"$MULTI\"; printf '%s\n' \"$MULTI\" >&2; exit 3"
    environment = { MULTI = var.multi }
  }
}
"#;
    let (_tmp, dir) = project(config);
    let r = Runner { dir, env: vec![] };
    let out = r.skelc(&["run", "--auto-approve", "-var", &format!("multi={MULTI}")]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.all().contains("provisioner `local-exec` failed"),
        "{out:?}"
    );
    assert_hidden(&out, "run with a failing provisioner", &[MULTI]);
}

/// A password stored in a Kubernetes secret, read by a data source.
const K8S_PW: &str = "K8sPw-Tq4Lz8Rn2Vb6";
const K8S_TOKEN: &str = "team-t0ken-Xy12Wq";

const K8S_CONFIG: &str = r#"
variable "host" {
  type = string
}

variable "token" {
  type      = string
  sensitive = true
}

provider "kubernetes" {
  host  = var.host
  token = var.token
}

data "kubernetes_secret" "db" {
  metadata {
    name      = "db"
    namespace = "team"
  }
}

locals {
  password = data.kubernetes_secret.db.data["password"]
  dsn      = "postgres://app:${local.password}@db.team:5432/app"
}

resource "null_resource" "uses" {
  triggers = {
    dsn    = local.dsn
    b64    = base64encode(local.password)
    upper  = upper(local.password)
    prefix = substr(local.password, 0, 7)
    json   = jsonencode({ password = local.password })
  }
}

resource "kubernetes_config_map" "app" {
  metadata {
    name      = "app"
    namespace = "team"
  }
  data = {
    dsn = local.dsn
  }
}

output "dsn" {
  value     = local.dsn
  sensitive = true
}

output "secret_name" {
  value = data.kubernetes_secret.db.metadata[0].name
}
"#;

/// A secret read from the cluster by a data source (at plan time) is sensitive by its schema,
/// in every value derived from it: nothing prints it.
#[test]
fn a_secret_read_by_a_data_source_is_never_printed() {
    use base64::Engine;
    let standin = skel_kube_standin::start_with(skel_kube_standin::Options {
        token: Some(K8S_TOKEN.into()),
        ..Default::default()
    })
    .expect("start the stand-in");
    let send = |path: &str, body: serde_json::Value| {
        standin.set_token(None);
        let (code, answer) = skel_kube_standin::client::request(
            standin.url(),
            "POST",
            path,
            "application/json",
            &body.to_string(),
        )
        .expect("request");
        standin.set_token(Some(K8S_TOKEN));
        assert!((200..300).contains(&code), "{path}: {code} {answer}");
    };
    send(
        "/api/v1/namespaces",
        serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}}),
    );
    let encoded = base64::engine::general_purpose::STANDARD.encode(K8S_PW);
    send(
        "/api/v1/namespaces/team/secrets",
        serde_json::json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"},
                           "data": {"password": encoded}}),
    );
    let (_tmp, dir) = project(K8S_CONFIG);
    let r = Runner { dir, env: vec![] };
    let host = format!("host={}", standin.url());
    let token = format!("token={K8S_TOKEN}");
    let vars = ["-var", host.as_str(), "-var", token.as_str()];
    let with = |args: &[&'static str]| -> Vec<String> {
        args.iter()
            .map(|a| a.to_string())
            .chain(vars.iter().map(|v| v.to_string()))
            .collect()
    };
    let go = |args: Vec<String>| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        r.ok(&args)
    };
    let secrets = [K8S_PW, K8S_TOKEN];
    assert_hidden(&go(with(&["check"])), "check", &secrets);
    let plan = go(with(&["plan"]));
    assert!(plan.stdout.contains("(sensitive value)"), "{plan:?}");
    assert_hidden(&plan, "plan", &secrets);
    assert_hidden(&go(with(&["plan", "--json"])), "plan --json", &secrets);
    let run = go(with(&["run", "--auto-approve"]));
    assert!(run.stdout.contains("secret_name = \"db\""), "{run:?}");
    assert_hidden(&run, "run", &secrets);
    // It really flowed: the config map holds the connection string.
    let map = standin
        .object("v1", "configmaps", Some("team"), "app")
        .expect("the config map");
    assert!(
        map["data"]["dsn"]
            .as_str()
            .is_some_and(|d| d.contains(K8S_PW)),
        "{map}"
    );
    assert_hidden(&go(with(&["plan"])), "plan after run", &secrets);
    assert_hidden(&r.ok(&["output"]), "output", &secrets);
    assert_hidden(&r.ok(&["output", "--json"]), "output --json", &secrets);
    assert_hidden(&r.ok(&["output", "dsn"]), "output dsn", &secrets);
    for addr in ["null_resource.uses", "kubernetes_config_map.app"] {
        let shown = r.ok(&["state", "show", addr]);
        assert!(shown.stdout.contains("(sensitive value)"), "{shown:?}");
        assert_hidden(&shown, &format!("state show {addr}"), &secrets);
    }
    assert_hidden(
        &go(with(&["destroy", "--auto-approve"])),
        "destroy",
        &secrets,
    );
}

/// A provider's error message that quotes part of what it was given (`local_file` naming the
/// directory it could not create, which holds a derived form of the secret): the message is
/// shown with that part replaced, on the progress line and in the final error.
#[test]
fn a_provider_error_quoting_part_of_a_secret_hides_it() {
    let config = r#"
variable "pw" {
  type      = string
  sensitive = true
}

resource "local_file" "lower" {
  filename = "/proc/${lower(var.pw)}/x"
  content  = "x"
}

resource "local_file" "encoded" {
  filename = "/proc/${base64encode(var.pw)}/x"
  content  = "x"
}
"#;
    let (_tmp, dir) = project(config);
    let r = Runner { dir, env: vec![] };
    let secret = "Hunter2SecretValue";
    let var = format!("pw={secret}");
    let run = r.skelc(&["run", "--auto-approve", "-var", &var]);
    assert_eq!(run.code, 1, "both files fail under /proc: {run:?}");
    // The failure really happened, and says what went wrong.
    assert!(
        run.all().contains("could not create the directory"),
        "{run:?}"
    );
    assert_hidden(&run, "run", &[secret, &secret.to_lowercase()]);
}
