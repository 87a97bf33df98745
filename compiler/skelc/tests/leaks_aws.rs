//! The AWS provider's own secrets through the real `skelc` against moto: an access key's
//! `secret` and `ses_smtp_password_v4` (known only after the create) and the token of
//! `data.aws_eks_cluster_auth` (signed locally at every read). Used directly and in derived
//! forms (base64, upper and lower case, a substring and its base64, URL-encoded, JSON, hashes),
//! in outputs marked sensitive, in another resource's tags, in a local file's content and in
//! a provider's error message: no form of any of them is printed by check, plan (text and
//! JSON), run (with `SKEL_LOG=debug` and `RUST_LOG=trace`: skelc has no logger, so they must
//! change nothing), output (every form), show (text and JSON), state list/show,
//! refresh, a recovery after a kill, or destroy. An output that is not marked sensitive is
//! refused by the check with nothing applied. Each test also checks that the values really
//! flowed (AWS holds the derived tags, the file holds the forms), so an absence means
//! something; state and journal are 0600.

mod leak_support;
mod moto_support;

use std::fs;
use std::os::unix::fs::PermissionsExt;

use base64::Engine;
use leak_support::{assert_hidden, project, Out, Runner};
use moto_support::Moto;

const CONFIG: &str = r#"
provider "aws" {
  region = "us-east-1"
}

resource "aws_iam_user" "ci" {
  name = "leak-ci"
}

resource "aws_iam_access_key" "ci" {
  user = aws_iam_user.ci.name
}

data "aws_eks_cluster_auth" "main" {
  name = "leak-cluster"
}

locals {
  secret = aws_iam_access_key.ci.secret
  smtp   = aws_iam_access_key.ci.ses_smtp_password_v4
  token  = data.aws_eks_cluster_auth.main.token
}

# Derived forms in another resource's tags (they reach AWS).
resource "aws_vpc" "tagged" {
  cidr_block = "10.81.0.0/16"
  tags = {
    B64   = base64encode(local.secret)
    Upper = upper(local.secret)
    Part  = base64encode(substr(local.secret, 5, 20))
    Smtp  = lower(local.smtp)
  }
}

# Every form in a local file (it holds them: the test reads them back from there).
resource "local_file" "forms" {
  filename = "${path.module}/out/forms.txt"
  content = join("\n", [
    local.secret,
    base64encode(local.secret),
    upper(local.secret),
    lower(local.secret),
    substr(local.secret, 5, 20),
    base64encode(substr(local.secret, 5, 20)),
    urlencode(local.secret),
    jsonencode({ secret = local.secret }),
    sha256(local.secret),
    md5(local.secret),
    local.smtp,
    base64encode(local.smtp),
  ])
}

resource "local_file" "token" {
  filename = "${path.module}/out/token.txt"
  content  = local.token
}

resource "null_resource" "token_forms" {
  triggers = {
    b64   = base64encode(local.token)
    upper = upper(local.token)
    part  = base64encode(substr(local.token, 11, 40))
    url   = urlencode(local.token)
  }
}

output "secret" {
  value     = local.secret
  sensitive = true
}

output "forms" {
  value = {
    b64   = base64encode(local.secret)
    upper = upper(local.secret)
    part  = substr(local.secret, 5, 20)
    smtp  = local.smtp
  }
  sensitive = true
}

output "key" {
  value     = aws_iam_access_key.ci
  sensitive = true
}

output "token" {
  value     = local.token
  sensitive = true
}

output "key_id" {
  value = aws_iam_access_key.ci.id
}
"#;

/// What every EKS token starts with (`k8s-aws-v1.` and a base64url presigned STS URL), and
/// that prefix's own forms: whatever token a command made, none of these may be printed.
const TOKEN_FRAGMENTS: &[&str] = &[
    "k8s-aws-v1",
    "K8S-AWS-V1",
    "azhzLWF3cy12MS",
    "aHR0cHM6Ly9zdHMu",
    "X-Amz-Signature",
    "x-amz-signature",
];

fn runner(moto: &Moto, config: &str) -> (tempfile::TempDir, Runner) {
    let (tmp, dir) = project(config);
    (
        tmp,
        Runner {
            dir,
            env: moto.env(),
        },
    )
}

/// Asserts that no form of `secrets` and no token fragment is in `out`.
fn hidden(out: &Out, what: &str, secrets: &[String]) {
    let refs: Vec<&str> = secrets.iter().map(String::as_str).collect();
    assert_hidden(out, what, &refs);
    for fragment in TOKEN_FRAGMENTS {
        assert!(
            !out.all().contains(fragment),
            "`{what}` printed {fragment:?} (a part of every EKS token):\n{out:?}"
        );
    }
}

/// `skelc ARGS` with extra environment variables (the debug-log ones, a fault).
fn run_with(r: &Runner, args: &[&str], env: &[(&str, &str)]) -> (Out, std::process::ExitStatus) {
    let mut cmd = r.command(args);
    cmd.env("SKEL_LOG", "debug").env("RUST_LOG", "trace");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let output = cmd.output().expect("skelc runs");
    let out = Out {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert!(!out.stderr.contains("panicked at"), "{args:?}: {out:?}");
    (out, output.status)
}

fn mode(path: &std::path::Path) -> u32 {
    fs::metadata(path).expect("metadata").permissions().mode() & 0o777
}

/// The secrets a state holds: the key's secret and SMTP password, the substring the
/// configuration derives from it, and the token in the local file.
fn secrets_of(r: &Runner) -> Vec<String> {
    let text = fs::read_to_string(r.dir.join("skel.state.json")).expect("state");
    let state: serde_json::Value = serde_json::from_str(&text).expect("state JSON");
    let key = &state["resources"]["aws_iam_access_key.ci"]["attributes"];
    let secret = key["secret"]
        .as_str()
        .expect("the secret in state")
        .to_string();
    let smtp = key["ses_smtp_password_v4"]
        .as_str()
        .expect("the SMTP password in state")
        .to_string();
    assert_eq!(secret.len(), 40, "{secret}");
    let token = fs::read_to_string(r.dir.join("out/token.txt")).expect("token file");
    assert!(token.starts_with("k8s-aws-v1."), "{token}");
    vec![
        secret.clone(),
        secret[5..25].to_string(),
        smtp,
        token[11..].to_string(),
        token[11..51].to_string(),
    ]
}

#[test]
fn no_form_of_an_access_key_secret_or_eks_token_is_ever_printed() {
    let moto = Moto::start();
    let (_tmp, r) = runner(&moto, CONFIG);
    let mut seen: Vec<(String, Out)> = Vec::new();
    let mut step = |what: &str, out: Out| {
        hidden(&out, what, &[]);
        seen.push((what.to_string(), out));
    };
    step("check", r.ok(&["check"]));
    let plan = r.ok(&["plan"]);
    step("plan", plan);
    step("plan --json", r.ok(&["plan", "--json"]));
    let (run, _) = run_with(&r, &["run", "--auto-approve"], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("key_id = "),
        "the unmarked output is printed: {run:?}"
    );
    step("run with SKEL_LOG=debug", run);

    // The values flowed: the state holds them (0600), the file every form, AWS the tags.
    assert_eq!(mode(&r.dir.join("skel.state.json")), 0o600);
    let secrets = secrets_of(&r);
    let secret = secrets[0].clone();
    let b64 = base64::engine::general_purpose::STANDARD.encode(&secret);
    let forms = fs::read_to_string(r.dir.join("out/forms.txt")).expect("forms file");
    assert!(forms.contains(&b64) && forms.contains(&secret.to_uppercase()));
    let tags = moto.ec2(|ec2| async move {
        let vpcs = ec2.describe_vpcs().send().await.expect("DescribeVpcs");
        vpcs.vpcs()
            .iter()
            .flat_map(|v| v.tags())
            .map(|t| {
                (
                    t.key().unwrap_or("").to_string(),
                    t.value().unwrap_or("").to_string(),
                )
            })
            .collect::<Vec<_>>()
    });
    assert!(
        tags.iter().any(|(k, v)| k == "B64" && *v == b64),
        "the tag holds the base64 of the secret: {tags:?}"
    );
    for (what, out) in &seen {
        hidden(out, what, &secrets);
    }

    let check = |what: &str, args: &[&str]| {
        let out = r.ok(args);
        // A command that reads the token again makes a new one: it is what the file holds
        // now, if the command wrote it.
        let mut all = secrets.clone();
        all.extend(secrets_of(&r).into_iter().skip(3));
        hidden(&out, what, &all);
        out
    };
    let plan = check("plan after run", &["plan"]);
    assert!(plan.stdout.contains("(sensitive value)"), "{plan:?}");
    check("plan --json after run", &["plan", "--json"]);
    let outputs = check("output", &["output"]);
    assert!(
        outputs.stdout.contains("secret = (sensitive value)"),
        "{outputs:?}"
    );
    check("output --json", &["output", "--json"]);
    for name in ["secret", "forms", "key", "token"] {
        let one = check(&format!("output {name}"), &["output", name]);
        assert_eq!(one.stdout, "(sensitive value)\n", "{one:?}");
        check(
            &format!("output {name} --json"),
            &["output", name, "--json"],
        );
    }
    // Explicitly asked for, it is printed (so the checks above could have failed).
    assert_eq!(
        r.ok(&["output", "--raw", "secret"]).stdout,
        format!("{secret}\n")
    );
    check("show", &["show"]);
    check("show --json", &["show", "--json"]);
    let list = check("state list", &["state", "list"]);
    for addr in list.stdout.lines() {
        let shown = check(&format!("state show {addr}"), &["state", "show", addr]);
        if addr == "aws_iam_access_key.ci" || addr == "aws_vpc.tagged" {
            assert!(shown.stdout.contains("(sensitive value)"), "{shown:?}");
        }
    }
    check("refresh", &["refresh"]);
    // The run again (the token changed: its dependents are replaced), with debug logs.
    let (again, _) = run_with(&r, &["run", "--auto-approve"], &[]);
    assert_eq!(again.code, 0, "{again:?}");
    let mut all = secrets.clone();
    all.extend(secrets_of(&r).into_iter().skip(3));
    hidden(&again, "second run with SKEL_LOG=debug", &all);
    let destroyed = r.ok(&["destroy", "--auto-approve"]);
    hidden(&destroyed, "destroy", &all);
}

/// Killed with the access key's result journaled (after the VPC that uses its secret was
/// created and before that was journaled, and before the local file was written): the journal
/// is 0600, and neither the killed run nor the recovery prints a form of the secret. Killed
/// after the key's create returned but before its result was journaled, the secret is lost:
/// the next run stops with the error that asks for the key to be deleted (naming no secret),
/// and after that it converges, printing none.
#[test]
fn a_recovery_after_a_kill_prints_no_secret_and_the_journal_is_private() {
    let moto = Moto::start();
    for fault in [
        "engine:aws_vpc:1:after",
        "aws:CreateVpc:1:after",
        "engine:aws_iam_access_key:1:after",
    ] {
        let (_tmp, r) = runner(&moto, CONFIG);
        let (killed, status) = run_with(&r, &["run", "--auto-approve"], &[("SKEL_FAULT", fault)]);
        assert_eq!(
            std::os::unix::process::ExitStatusExt::signal(&status),
            Some(9),
            "{fault}: {killed:?}"
        );
        let journal = r.dir.join("skel.state.journal");
        assert!(journal.exists(), "{fault}: no journal after the kill");
        assert_eq!(mode(&journal), 0o600, "{fault}: journal mode");
        let (mut recovered, _) = run_with(&r, &["run", "--auto-approve"], &[]);
        let mut stopped = None;
        if fault.starts_with("engine:aws_iam_access_key") {
            assert_eq!(recovered.code, 1, "{fault}: {recovered:?}");
            assert!(
                recovered.stderr.contains("aws iam delete-access-key"),
                "{fault}: {recovered:?}"
            );
            moto.with_sdk(|sdk| async move {
                let iam = aws_sdk_iam::Client::new(&sdk);
                let keys = iam
                    .list_access_keys()
                    .user_name("leak-ci")
                    .send()
                    .await
                    .expect("ListAccessKeys");
                for k in keys.access_key_metadata() {
                    iam.delete_access_key()
                        .user_name("leak-ci")
                        .access_key_id(k.access_key_id().unwrap_or_default())
                        .send()
                        .await
                        .expect("DeleteAccessKey");
                }
            });
            stopped = Some(recovered);
            recovered = run_with(&r, &["run", "--auto-approve"], &[]).0;
        }
        assert_eq!(recovered.code, 0, "{fault}: {recovered:?}");
        let secrets = secrets_of(&r);
        hidden(&killed, &format!("run killed at {fault}"), &secrets);
        if let Some(stopped) = &stopped {
            hidden(
                stopped,
                &format!("stopped recovery after {fault}"),
                &secrets,
            );
        }
        hidden(&recovered, &format!("recovery after {fault}"), &secrets);
        let destroyed = r.ok(&["destroy", "--auto-approve"]);
        hidden(&destroyed, &format!("destroy after {fault}"), &secrets);
    }
}

/// An output of the secret, of the token or of a form of either, without `sensitive = true`:
/// the check refuses it, and `run` applies nothing.
#[test]
fn an_unmarked_output_of_an_aws_secret_fails_the_check() {
    let moto = Moto::start();
    for value in [
        "aws_iam_access_key.ci.secret",
        "aws_iam_access_key.ci.ses_smtp_password_v4",
        "aws_iam_access_key.ci",
        "base64encode(aws_iam_access_key.ci.secret)",
        "upper(aws_iam_access_key.ci.secret)",
        "substr(aws_iam_access_key.ci.secret, 0, 8)",
        "{ wrapped = [aws_iam_access_key.ci.secret] }",
        "data.aws_eks_cluster_auth.main.token",
        "base64encode(data.aws_eks_cluster_auth.main.token)",
        "data.aws_eks_cluster_auth.main",
    ] {
        let config = format!(
            r#"
resource "aws_iam_user" "ci" {{
  name = "leak-ci"
}}

resource "aws_iam_access_key" "ci" {{
  user = aws_iam_user.ci.name
}}

data "aws_eks_cluster_auth" "main" {{
  name = "leak-cluster"
}}

output "leak" {{
  value = {value}
}}
"#
        );
        let (_tmp, r) = runner(&moto, &config);
        let out = r.skelc(&["check"]);
        assert_eq!(out.code, 1, "{value}: {out:?}");
        assert!(out.stderr.contains("sensitive-output"), "{value}: {out:?}");
        let run = r.skelc(&["run", "--auto-approve"]);
        assert_eq!(run.code, 1, "{value}: nothing is applied: {run:?}");
        hidden(
            &run,
            &format!("run with an unmarked output of {value}"),
            &[],
        );
        assert!(!r.dir.join("skel.state.json").exists(), "{value}");
    }
    let users = moto.with_sdk(|sdk| async move {
        aws_sdk_iam::Client::new(&sdk)
            .list_users()
            .send()
            .await
            .expect("ListUsers")
            .users()
            .len()
    });
    assert_eq!(users, 0, "a refused configuration created a user");
}

/// A subnet whose availability zone is a form of the secret is refused by EC2, whose error
/// quotes the value it rejected: skel shows the error with that part replaced.
#[test]
fn an_aws_error_quoting_a_form_of_the_secret_hides_it() {
    let moto = Moto::start();
    let config = r#"
resource "aws_iam_user" "ci" {
  name = "leak-ci"
}

resource "aws_iam_access_key" "ci" {
  user = aws_iam_user.ci.name
}

resource "aws_vpc" "v" {
  cidr_block = "10.82.0.0/16"
}

resource "aws_subnet" "bad" {
  vpc_id            = aws_vpc.v.id
  cidr_block        = "10.82.1.0/24"
  availability_zone = lower(substr(aws_iam_access_key.ci.secret, 0, 20))
}
"#;
    let (_tmp, r) = runner(&moto, config);
    let run = r.skelc(&["run", "--auto-approve"]);
    assert_eq!(run.code, 1, "an invalid zone fails: {run:?}");
    // The failure really happened, and it is EC2's answer about the zone.
    assert!(
        run.stderr.contains("aws_subnet.bad") && run.stderr.contains("availabilityZone"),
        "{run:?}"
    );
    let text = fs::read_to_string(r.dir.join("skel.state.json")).expect("state");
    let state: serde_json::Value = serde_json::from_str(&text).expect("state JSON");
    let secret = state["resources"]["aws_iam_access_key.ci"]["attributes"]["secret"]
        .as_str()
        .expect("secret")
        .to_string();
    let part = secret[..20].to_lowercase();
    hidden(&run, "run with a failing subnet", &[secret.clone(), part]);
    let destroyed = r.ok(&["destroy", "--auto-approve"]);
    hidden(&destroyed, "destroy", &[secret]);
}
