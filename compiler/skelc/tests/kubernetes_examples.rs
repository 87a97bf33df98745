//! End to end: the real `skelc` binary applies, re-plans, changes and destroys the Kubernetes
//! examples (`ipsvc-kubernetes`, `blue-green`, `canary`) and a few small configurations against
//! the stand-in API server (`tests/support/kube-standin`, started in-process on a free loopback
//! port), checking the objects through the stand-in's HTTP API rather than skel's state:
//! plans with exactly the expected changes (`plan --json`), drift from out-of-band edits and
//! deletes, `skelc import`, secrets never printed, data sources, the walking skeleton's
//! `modules/k8s-api`, recovery of a run killed mid-rollout, and clean messages when the cluster
//! is not configured, unreachable or rejects the token. Helpers live in `kube_support/`, with
//! the tests of objects that never become ready (`kube_support/not_ready.rs`).

mod kube_support;

use std::fs;
use std::path::Path;
use std::process::Stdio;

use kube_support::{
    assert_update, b64, base_command, changes, cluster, copy_dir, example, project, run, Cluster,
    Out,
};
use serde_json::{json, Value as Json};

const IPSVC_DEPLOYMENT: &str = "/apis/apps/v1/namespaces/ipsvc/deployments/ipsvc";
const IPSVC_SERVICE: &str = "/api/v1/namespaces/ipsvc/services/ipsvc";
const IPSVC_SECRET: &str = "/api/v1/namespaces/ipsvc/secrets/ipsvc-token";
const IPSVC_CONFIG_MAP: &str = "/api/v1/namespaces/ipsvc/configmaps/ipsvc-code";
const IPSVC_NAMESPACE: &str = "/api/v1/namespaces/ipsvc";
const TOKEN: &str = "ipsvc-t0ken-n0t-for-printing";

#[test]
fn ipsvc_applies_plans_no_changes_and_destroys() {
    let c = cluster();
    let (_tmp, dir) = example("ipsvc-kubernetes");
    let token_var = format!("api_token={TOKEN}");
    let vars = ["-var", token_var.as_str(), "-var", "replicas=3"];

    let run = c.ok(&dir, &[&["run", "--auto-approve"][..], &vars].concat());
    assert!(
        run.stdout
            .contains("Apply complete! Resources: 5 added, 0 changed, 0 destroyed."),
        "{run:?}"
    );
    assert!(run.stdout.contains("node_port = 30800"), "{run:?}");
    assert!(
        !run.all().contains(TOKEN) && !run.all().contains(&b64(TOKEN.as_bytes())),
        "the token leaked: {run:?}"
    );

    let deployment = c.object(IPSVC_DEPLOYMENT);
    assert_eq!(deployment["spec"]["replicas"], 3);
    assert_eq!(
        deployment["spec"]["selector"]["matchLabels"],
        json!({"app": "ipsvc"})
    );
    let container = &deployment["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(container["image"], "python:3.12-alpine");
    assert_eq!(container["ports"][0]["containerPort"], 8000);
    assert_eq!(deployment["status"]["readyReplicas"], 3, "rolled out");
    let service = c.object(IPSVC_SERVICE);
    assert_eq!(service["spec"]["type"], "NodePort");
    assert_eq!(service["spec"]["selector"], json!({"app": "ipsvc"}));
    assert_eq!(service["spec"]["ports"][0]["nodePort"], 30800);
    assert_eq!(service["spec"]["ports"][0]["targetPort"], 8000);
    let secret = c.object(IPSVC_SECRET);
    assert_eq!(secret["data"]["token"], b64(TOKEN.as_bytes()));
    let code = c.object(IPSVC_CONFIG_MAP);
    assert!(code["data"]["server.py"]
        .as_str()
        .is_some_and(|s| s.contains("def ")));

    let again = c.skelc(
        &dir,
        &[&["plan", "--detailed-exitcode"][..], &vars].concat(),
    );
    assert_eq!(again.code, 0, "a second plan has no changes: {again:?}");
    assert!(again.stdout.contains("No changes."), "{again:?}");

    let destroy = c.ok(&dir, &[&["destroy", "--auto-approve"][..], &vars].concat());
    assert!(destroy.stdout.contains("5 destroyed"), "{destroy:?}");
    assert!(!destroy.all().contains(TOKEN), "{destroy:?}");
    assert!(!destroy.stdout.contains("Outputs:"), "{destroy:?}");
    let outputs = c.ok(&dir, &["output"]);
    assert!(
        outputs.stdout.contains("No outputs in state"),
        "no outputs after destroy: {outputs:?}"
    );
    for path in [
        IPSVC_DEPLOYMENT,
        IPSVC_SERVICE,
        IPSVC_SECRET,
        IPSVC_CONFIG_MAP,
        IPSVC_NAMESPACE,
    ] {
        c.assert_gone(path);
    }
}

const WEB_SERVICE: &str = "/api/v1/namespaces/default/services/web";

fn deployment_path(name: &str) -> String {
    format!("/apis/apps/v1/namespaces/default/deployments/{name}")
}

#[test]
fn blue_green_switch_is_one_in_place_selector_change() {
    let c = cluster();
    let (_tmp, dir) = example("blue-green");
    c.ok(&dir, &["run", "--auto-approve"]);
    assert_eq!(
        c.object(WEB_SERVICE)["spec"]["selector"],
        json!({"app": "web", "version": "blue"})
    );
    for colour in ["blue", "green"] {
        let d = c.object(&deployment_path(&format!("web-{colour}")));
        assert_eq!(d["metadata"]["labels"]["version"], colour);
        assert_eq!(d["spec"]["replicas"], 3);
    }

    let plan = c.plan_json(&dir, &["-var", "live=green", "-out", "switch.plan"]);
    let planned = changes(&plan);
    assert_eq!(
        planned.keys().collect::<Vec<_>>(),
        vec!["kubernetes_service.app"],
        "only the service changes: {planned:#?}"
    );
    assert_update(
        planned.get("kubernetes_service.app"),
        &["spec.0.selector.version"],
    );
    assert_eq!(
        plan["summary"],
        json!({"add": 0, "change": 1, "destroy": 0, "read": 0})
    );

    let applied = c.ok(&dir, &["run", "switch.plan"]);
    assert!(
        applied.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{applied:?}"
    );
    assert_eq!(
        c.object(WEB_SERVICE)["spec"]["selector"],
        json!({"app": "web", "version": "green"})
    );
    let settled = c.skelc(&dir, &["plan", "--detailed-exitcode", "-var", "live=green"]);
    assert_eq!(settled.code, 0, "{settled:?}");
    let output = c.ok(&dir, &["output", "live"]);
    assert!(output.stdout.contains("default/web-green"), "{output:?}");
}

#[test]
fn canary_percentage_changes_only_replicas() {
    let c = cluster();
    let (_tmp, dir) = example("canary");
    c.ok(&dir, &["run", "--auto-approve"]);
    assert_eq!(
        c.object(&deployment_path("web-stable"))["spec"]["replicas"],
        9
    );
    assert_eq!(
        c.object(&deployment_path("web-canary"))["spec"]["replicas"],
        1
    );

    let plan = c.plan_json(&dir, &["-var", "canary_percent=30"]);
    let planned = changes(&plan);
    assert_eq!(planned.len(), 2, "{planned:#?}");
    for track in ["stable", "canary"] {
        assert_update(
            planned.get(&format!("kubernetes_deployment.track[\"{track}\"]")),
            &["spec.0.replicas"],
        );
    }

    c.ok(
        &dir,
        &["run", "--auto-approve", "-var", "canary_percent=30"],
    );
    let stable = c.object(&deployment_path("web-stable"));
    let canary = c.object(&deployment_path("web-canary"));
    assert_eq!(stable["spec"]["replicas"], 7);
    assert_eq!(canary["spec"]["replicas"], 3);
    assert_eq!(canary["status"]["availableReplicas"], 3, "rolled out");
    assert_eq!(
        canary["spec"]["template"]["spec"]["containers"][0]["image"],
        "nginxinc/nginx-unprivileged:1.27-alpine"
    );
}

#[test]
fn out_of_band_scale_is_drift_and_out_of_band_delete_plans_a_create() {
    let c = cluster();
    let (_tmp, dir) = example("canary");
    c.ok(&dir, &["run", "--auto-approve"]);

    // `kubectl scale` as another field manager.
    c.send(
        "PATCH",
        &format!(
            "{}?fieldManager=kubectl-scale",
            deployment_path("web-stable")
        ),
        "application/merge-patch+json",
        &json!({"spec": {"replicas": 2}}),
    );
    let drift = c.skelc(&dir, &["plan", "--detailed-exitcode"]);
    assert_eq!(drift.code, 2, "drift is a change: {drift:?}");
    let plan = c.plan_json(&dir, &[]);
    let planned = changes(&plan);
    assert_eq!(planned.len(), 1, "{planned:#?}");
    let stable = "kubernetes_deployment.track[\"stable\"]";
    assert_update(planned.get(stable), &["spec.0.replicas"]);
    let rc = plan["resource_changes"]
        .as_array()
        .and_then(|all| all.iter().find(|rc| rc["address"] == stable))
        .expect("the stable track's change");
    assert_eq!(rc["before"]["spec"][0]["replicas"], 2);
    assert_eq!(rc["after"]["spec"][0]["replicas"], 9);
    c.ok(&dir, &["run", "--auto-approve"]);
    assert_eq!(
        c.object(&deployment_path("web-stable"))["spec"]["replicas"],
        9
    );

    // `kubectl delete deployment web-canary`.
    c.send(
        "DELETE",
        &deployment_path("web-canary"),
        "application/json",
        &json!({}),
    );
    let plan = c.plan_json(&dir, &[]);
    let planned = changes(&plan);
    assert_eq!(planned.len(), 1, "{planned:#?}");
    let canary = &planned["kubernetes_deployment.track[\"canary\"]"];
    assert_eq!(canary.action, "create");
    c.ok(&dir, &["run", "--auto-approve"]);
    assert_eq!(
        c.object(&deployment_path("web-canary"))["spec"]["replicas"],
        1
    );
    let settled = c.skelc(&dir, &["plan", "--detailed-exitcode"]);
    assert_eq!(settled.code, 0, "{settled:?}");
}

#[test]
fn import_deployments_and_service_through_the_cli() {
    let c = cluster();
    let (_applied_tmp, applied) = example("blue-green");
    c.ok(&applied, &["run", "--auto-approve"]);

    // A second copy of the configuration, without state, adopts the same objects.
    let (_tmp, dir) = example("blue-green");
    for (address, id) in [
        ("kubernetes_deployment.app[\"blue\"]", "default/web-blue"),
        ("kubernetes_deployment.app[\"green\"]", "web-green"),
        ("kubernetes_service.app", "default/web"),
    ] {
        let out = c.ok(&dir, &["import", address, id]);
        assert!(out.all().contains("Imported"), "{out:?}");
    }
    let listed = c.ok(&dir, &["state", "list"]);
    for address in [
        "kubernetes_deployment.app[\"blue\"]",
        "kubernetes_deployment.app[\"green\"]",
        "kubernetes_service.app",
    ] {
        assert!(listed.stdout.contains(address), "{listed:?}");
    }
    // The imported objects match the configuration; only the outputs are new to this state.
    let plan = c.plan_json(&dir, &[]);
    let planned = changes(&plan);
    assert!(planned.is_empty(), "{planned:#?}");
    assert_eq!(
        plan["summary"],
        json!({"add": 0, "change": 0, "destroy": 0, "read": 0})
    );

    // An object that does not exist is a clean error, and state keeps nothing for it.
    c.ok(&dir, &["state", "rm", "kubernetes_service.app"]);
    let missing = c.skelc(
        &dir,
        &["import", "kubernetes_service.app", "default/nothing-here"],
    );
    assert_eq!(missing.code, 1, "{missing:?}");
    assert!(missing.stderr.contains("no such object"), "{missing:?}");
    let listed = c.ok(&dir, &["state", "list"]);
    assert!(
        !listed.stdout.contains("kubernetes_service.app"),
        "{listed:?}"
    );
}

/// A module that declares its own `provider "kubernetes"` block (the kubeconfig from its
/// input), with no kubeconfig in the environment (none is found there): `skelc import` of a
/// resource in an instance of it, the refresh of a later plan and the destroy all use that
/// block, as the plan does.
#[test]
fn import_into_a_module_uses_the_modules_own_provider_block() {
    let c = cluster();
    let kubeconfig = c.kubeconfig.to_str().expect("utf-8 path").to_string();
    let root = format!(
        "module \"team\" {{\n  source     = \"./team\"\n  for_each   = toset([\"a\"])\n  kubeconfig = \"{kubeconfig}\"\n}}\n"
    );
    let module = "variable \"kubeconfig\" {\n  type = string\n}\n\nprovider \"kubernetes\" {\n  config_path = var.kubeconfig\n}\n\nresource \"kubernetes_namespace\" \"team\" {\n  metadata {\n    name = \"team-a\"\n  }\n}\n";
    let (_applied_tmp, applied) = project(&root);
    fs::create_dir_all(applied.join("team")).expect("module dir");
    fs::write(applied.join("team/main.skel"), module).expect("module");
    let no_env = |dir: &Path, args: &[&str]| run(base_command(dir, args, c.home.path()), args);
    let out = no_env(&applied, &["run", "--auto-approve"]);
    assert_eq!(out.code, 0, "{out:?}");
    c.object("/api/v1/namespaces/team-a");

    // A copy without state adopts the namespace through the module's provider block.
    let (_tmp, dir) = project(&root);
    fs::create_dir_all(dir.join("team")).expect("module dir");
    fs::write(dir.join("team/main.skel"), module).expect("module");
    let address = "module.team[\"a\"].kubernetes_namespace.team";
    let imported = no_env(&dir, &["import", address, "team-a"]);
    assert_eq!(imported.code, 0, "{imported:?}");
    assert!(imported.all().contains("Imported"), "{imported:?}");
    let plan = no_env(&dir, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "the imported namespace matches: {plan:?}");

    // Refresh (before modules are expanded) and destroy use the module's block too.
    let again = no_env(&applied, &["plan", "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "{again:?}");
    let destroyed = no_env(&applied, &["destroy", "--auto-approve"]);
    assert_eq!(destroyed.code, 0, "{destroyed:?}");
    c.assert_gone("/api/v1/namespaces/team-a");
}

const PASSWORD: &str = "plain-literal-pw-0451";
const READ_PASSWORD: &str = "read-from-the-cluster-pw-1138";
/// Bytes that are not UTF-8, base64-encoded: `binary_data` keeps them as they are.
const BLOB: &str = "AAEC/w==";

/// Out-of-band objects the data sources read: a namespace `team` with a label, a config map
/// and a secret in it.
fn seed_team(c: &Cluster) {
    c.send(
        "POST",
        "/api/v1/namespaces",
        "application/json",
        &json!({"apiVersion": "v1", "kind": "Namespace",
                "metadata": {"name": "team", "labels": {"owner": "platform"}}}),
    );
    c.send(
        "POST",
        "/api/v1/namespaces/team/configmaps",
        "application/json",
        &json!({"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": "settings"}, "data": {"greeting": "hello from team"}}),
    );
    c.send(
        "POST",
        "/api/v1/namespaces/team/secrets",
        "application/json",
        &json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds"},
                "data": {"password": b64(READ_PASSWORD.as_bytes())}}),
    );
}

const SECRETS_CONFIG: &str = r#"
variable "host" {
  type = string
}

variable "token" {
  type      = string
  sensitive = true
}

variable "password" {
  type    = string
  default = "plain-literal-pw-0451"
}

provider "kubernetes" {
  host  = var.host
  token = var.token
}

data "kubernetes_namespace" "team" {
  metadata {
    name = "team"
  }
}

data "kubernetes_config_map" "settings" {
  metadata {
    name      = "settings"
    namespace = data.kubernetes_namespace.team.id
  }
}

data "kubernetes_secret" "creds" {
  metadata {
    name      = "creds"
    namespace = "team"
  }
}

resource "kubernetes_config_map" "copy" {
  metadata {
    name      = "settings-copy"
    namespace = data.kubernetes_namespace.team.id
    labels    = data.kubernetes_namespace.team.metadata[0].labels
  }
  data = data.kubernetes_config_map.settings.data
}

resource "kubernetes_secret" "literal" {
  metadata {
    name      = "literal"
    namespace = "team"
  }
  data = {
    password = var.password
  }
  binary_data = {
    blob = "AAEC/w=="
  }
}

resource "kubernetes_secret" "copy" {
  metadata {
    name      = "creds-copy"
    namespace = "team"
  }
  data = data.kubernetes_secret.creds.data
}

output "greeting" {
  value = data.kubernetes_config_map.settings.data["greeting"]
}

output "team_owner" {
  value = data.kubernetes_namespace.team.metadata[0].labels["owner"]
}
"#;

#[test]
fn secrets_are_never_printed_and_data_sources_read_live_objects() {
    let standin = skel_kube_standin::start_with(skel_kube_standin::Options {
        token: Some("team-token".into()),
        ..Default::default()
    })
    .expect("start the stand-in");
    standin.set_token(None);
    let home = tempfile::tempdir().expect("tempdir");
    let c = Cluster {
        kubeconfig: home.path().join("unused"),
        standin,
        home,
    };
    seed_team(&c);
    c.standin.set_token(Some("team-token"));
    let (_tmp, dir) = project(SECRETS_CONFIG);
    let host = format!("host={}", c.url());
    let vars = ["-var", host.as_str(), "-var", "token=team-token"];
    let secrets = [
        PASSWORD.to_string(),
        b64(PASSWORD.as_bytes()),
        READ_PASSWORD.to_string(),
        b64(READ_PASSWORD.as_bytes()),
    ];
    let assert_hidden = |out: &Out| {
        for secret in &secrets {
            assert!(
                !out.all().contains(secret.as_str()),
                "{secret} leaked: {out:?}"
            );
        }
    };

    // The explicit host/token configuration; a wrong token is a clean 401 message.
    let rejected = c.skelc(&dir, &["plan", "-var", &host, "-var", "token=wrong"]);
    assert_eq!(rejected.code, 1, "{rejected:?}");
    assert!(
        rejected.stderr.contains("rejected the credentials"),
        "{rejected:?}"
    );

    let plan = c.ok(&dir, &[&["plan"][..], &vars].concat());
    assert_hidden(&plan);
    assert!(plan.stdout.contains("(sensitive value)"), "{plan:?}");
    let json_plan = c.ok(&dir, &[&["plan", "--json"][..], &vars].concat());
    assert_hidden(&json_plan);

    let run = c.ok(&dir, &[&["run", "--auto-approve"][..], &vars].concat());
    assert_hidden(&run);
    assert!(
        run.stdout.contains("greeting = \"hello from team\""),
        "{run:?}"
    );
    assert!(run.stdout.contains("team_owner = \"platform\""), "{run:?}");

    let literal = c
        .standin
        .object("v1", "secrets", Some("team"), "literal")
        .expect("the literal secret");
    assert_eq!(literal["data"]["password"], b64(PASSWORD.as_bytes()));
    assert_eq!(literal["data"]["blob"], BLOB);
    let copy = c
        .standin
        .object("v1", "secrets", Some("team"), "creds-copy")
        .expect("the copied secret");
    assert_eq!(copy["data"]["password"], b64(READ_PASSWORD.as_bytes()));
    let config_copy = c
        .standin
        .object("v1", "configmaps", Some("team"), "settings-copy")
        .expect("the copied config map");
    assert_eq!(config_copy["data"]["greeting"], "hello from team");
    assert_eq!(config_copy["metadata"]["labels"]["owner"], "platform");

    let again = c.skelc(
        &dir,
        &[&["plan", "--detailed-exitcode"][..], &vars].concat(),
    );
    assert_eq!(
        again.code, 0,
        "binary data stays binary, no diff: {again:?}"
    );
    let state = fs::read_to_string(dir.join("skel.state.json")).expect("state");
    assert!(state.contains(BLOB), "binary_data is kept base64 in state");

    // A new password: an in-place update whose values are never shown.
    let changed = c.ok(
        &dir,
        &[
            &["run", "--auto-approve"][..],
            &vars,
            &["-var", "password=rotated-pw-2001"],
        ]
        .concat(),
    );
    assert!(changed.stdout.contains("1 changed"), "{changed:?}");
    assert!(!changed.all().contains("rotated-pw-2001"), "{changed:?}");
    assert_hidden(&changed);
    let literal = c
        .standin
        .object("v1", "secrets", Some("team"), "literal")
        .expect("the literal secret");
    assert_eq!(literal["data"]["password"], b64(b"rotated-pw-2001"));
    assert_eq!(literal["data"]["blob"], BLOB);

    // `skelc import` configures the provider from its block (host and token), as plans do.
    c.ok(&dir, &["state", "rm", "kubernetes_secret.copy"]);
    let imported = c.ok(
        &dir,
        &[
            &["import", "kubernetes_secret.copy", "team/creds-copy"][..],
            &vars,
        ]
        .concat(),
    );
    assert_hidden(&imported);
    let again = c.skelc(
        &dir,
        &[
            &["plan", "--detailed-exitcode"][..],
            &vars,
            &["-var", "password=rotated-pw-2001"],
        ]
        .concat(),
    );
    assert_eq!(again.code, 0, "the imported secret matches: {again:?}");
}

const CONFIG_MAP_ONLY: &str = r#"
resource "kubernetes_config_map" "c" {
  metadata {
    name = "c"
  }
  data = {
    a = "b"
  }
}
"#;

#[test]
fn unconfigured_and_unreachable_clusters_are_clean_errors() {
    // No kubeconfig anywhere and not inside a cluster.
    let home = tempfile::tempdir().expect("tempdir");
    let (_tmp, dir) = project(CONFIG_MAP_ONLY);
    let out = run(
        base_command(&dir, &["run", "--auto-approve"], home.path()),
        &["run"],
    );
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr.contains("No Kubernetes configuration found"),
        "{out:?}"
    );

    // Applied, then the cluster goes away: the refresh of the next plan says so.
    let c = cluster();
    c.ok(&dir, &["run", "--auto-approve"]);
    let Cluster {
        standin,
        home,
        kubeconfig,
    } = c;
    drop(standin);
    let mut cmd = base_command(&dir, &["plan"], home.path());
    cmd.env("KUBECONFIG", &kubeconfig);
    let out = run(cmd, &["plan"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr.contains("Cannot reach the Kubernetes API"),
        "{out:?}"
    );

    // A kubeconfig that is not YAML.
    fs::write(&kubeconfig, "{{{ not a kubeconfig").expect("write");
    let mut cmd = base_command(&dir, &["plan"], home.path());
    cmd.env("KUBECONFIG", &kubeconfig);
    let out = run(cmd, &["plan"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr.contains("Could not read the kubeconfig"),
        "{out:?}"
    );
}

/// The walking skeleton's Kubernetes part (`examples/modules/k8s-api`), called the way
/// `examples/walking-skeleton/kubernetes.skel` calls it, without the AWS part.
const SKELETON_API_ROOT: &str = r#"
variable "kubeconfig_path" {
  type = string
}

provider "kubernetes" {
  config_path = var.kubeconfig_path
}

module "k8s_api" {
  source = "../modules/k8s-api"
  count  = 1

  name        = "skeleton-api"
  namespace   = "skeleton"
  public_fqdn = "api.skeleton.internal"
}

output "api_node_port" {
  value = one(module.k8s_api[*].node_port)
}

output "api_cluster_url" {
  value = one(module.k8s_api[*].cluster_url)
}
"#;

#[test]
fn walking_skeleton_api_module_applies_and_destroys() {
    let c = cluster();
    let tmp = tempfile::tempdir().expect("tempdir");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/modules/k8s-api"),
        &tmp.path().join("modules/k8s-api"),
    );
    let dir = tmp.path().join("root");
    fs::create_dir_all(&dir).expect("create dir");
    fs::write(dir.join("main.skel"), SKELETON_API_ROOT).expect("write main.skel");

    // The kubeconfig comes only through the provider block's `config_path`, never KUBECONFIG.
    let kc_var = format!("kubeconfig_path={}", c.kubeconfig.display());
    let skelc = |args: &[&str]| {
        let all = [args, &["-var", kc_var.as_str()][..]].concat();
        run(base_command(&dir, &all, c.home.path()), &all)
    };
    let ok = |args: &[&str]| {
        let out = skelc(args);
        assert_eq!(out.code, 0, "skelc {args:?} failed: {out:?}");
        out
    };
    let applied = ok(&["run", "--auto-approve"]);
    assert!(applied.stdout.contains("3 added"), "{applied:?}");
    assert!(
        applied.stdout.contains("api_node_port = 30880"),
        "{applied:?}"
    );
    assert!(
        applied
            .stdout
            .contains("api_cluster_url = \"http://skeleton-api.skeleton.svc.cluster.local/\""),
        "{applied:?}"
    );
    let deployment = c.object("/apis/apps/v1/namespaces/skeleton/deployments/skeleton-api");
    assert_eq!(deployment["spec"]["replicas"], 2);
    assert_eq!(
        deployment["spec"]["template"]["spec"]["containers"][0]["env"],
        json!([{"name": "PUBLIC_FQDN", "value": "api.skeleton.internal"}])
    );
    assert_eq!(deployment["status"]["availableReplicas"], 2, "rolled out");
    let service = c.object("/api/v1/namespaces/skeleton/services/skeleton-api");
    assert_eq!(service["spec"]["selector"], json!({"app": "skeleton-api"}));
    assert_eq!(service["spec"]["ports"][0]["nodePort"], 30880);

    let again = skelc(&["plan", "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "{again:?}");

    // Import inside the module: the root block (inherited by the module) configures it.
    let service = "module.k8s_api[0].kubernetes_service.api";
    c.ok(&dir, &["state", "rm", service]);
    let imported = ok(&["import", service, "skeleton/skeleton-api"]);
    assert!(imported.stdout.contains("Imported"), "{imported:?}");
    let plan = ok(&["plan", "--json"]);
    let plan: Json = serde_json::from_str(&plan.stdout).expect("plan JSON");
    assert!(changes(&plan).is_empty(), "{plan:#}");

    ok(&["destroy", "--auto-approve"]);
    c.assert_gone("/apis/apps/v1/namespaces/skeleton/deployments/skeleton-api");
    c.assert_gone("/api/v1/namespaces/skeleton");
}

const SLOW_ROLLOUT: &str = r#"
variable "host" {
  type = string
}

provider "kubernetes" {
  host = var.host
}

resource "kubernetes_deployment" "stuck" {
  metadata {
    name = "stuck"
  }
  spec {
    selector {
      match_labels = {
        app = "stuck"
      }
    }
    template {
      metadata {
        labels = {
          app = "stuck"
        }
      }
      spec {
        container {
          name  = "stuck"
          image = "nginx:1.27"
        }
      }
    }
  }
  timeouts {
    create = "1m"
  }
}
"#;

#[test]
fn a_run_killed_during_a_rollout_is_recovered_through_the_configured_provider() {
    // Rollouts take a minute here, so the run is still waiting when it is killed.
    let standin = skel_kube_standin::start_with(skel_kube_standin::Options {
        settle_delay: std::time::Duration::from_secs(60),
        ..Default::default()
    })
    .expect("start the stand-in");
    let home = tempfile::tempdir().expect("tempdir");
    let c = Cluster {
        kubeconfig: home.path().join("unused"),
        standin,
        home,
    };
    let (_tmp, dir) = project(SLOW_ROLLOUT);
    let host = format!("host={}", c.url());
    // The cluster is reachable only through the provider block's `host`, never KUBECONFIG.
    let args = ["run", "--auto-approve", "-var", host.as_str()];
    let mut child = base_command(&dir, &args, c.home.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start skelc run");
    let path = deployment_path("stuck");
    let started = std::time::Instant::now();
    while c.get(&path).0 != 200 {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "the deployment never appeared"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // skelc now waits for a rollout that never completes: kill it mid-apply.
    std::thread::sleep(std::time::Duration::from_millis(300));
    child.kill().expect("kill skelc");
    let _ = child.wait();

    let plan = run(
        base_command(&dir, &["plan", "-var", host.as_str()], c.home.path()),
        &["plan"],
    );
    assert!(
        plan.stderr.contains("reconciling its journal"),
        "the journal is reconciled: {plan:?}"
    );
    assert!(
        !plan.stderr.contains("could not check"),
        "the provider was configured from its block: {plan:?}"
    );
    assert_ne!(plan.code, 1, "{plan:?}");
    let listed = run(
        base_command(&dir, &["state", "list"], c.home.path()),
        &["state"],
    );
    assert!(
        listed.stdout.contains("kubernetes_deployment.stuck"),
        "the object created before the kill is in state: {listed:?}"
    );
}
