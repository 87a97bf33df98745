//! The crash suite against the Kubernetes API stand-in: a namespace, a config map (and one
//! with a generated name), a secret, a deployment (with its rollout wait), a service and a
//! `kubernetes_manifest`, applied, updated and destroyed by the real `skelc`, killed with
//! SIGKILL at every crash point a clean run passes (before each server-side apply or delete
//! is sent, after its answer arrives, after each operation returned but before it was
//! journaled). After each kill the next command must converge to exactly what a clean run
//! leaves on the server, `skelc plan` must find no changes and `skelc destroy` must leave
//! nothing. Every point gets a fresh stand-in.

mod crash_support;

use std::path::Path;

use crash_support::{diff, points, skelc, Tally};
use serde_json::Value as Json;

const CONFIG: &str = r#"
variable "kubeconfig" {
  type = string
}

variable "generation" {
  type    = number
  default = 1
}

provider "kubernetes" {
  config_path = var.kubeconfig
}

resource "kubernetes_namespace" "ns" {
  metadata {
    name = "crash"
    labels = {
      generation = tostring(var.generation)
    }
  }
}

resource "kubernetes_config_map" "settings" {
  metadata {
    name      = "settings"
    namespace = kubernetes_namespace.ns.metadata[0].name
  }
  data = {
    generation = tostring(var.generation)
  }
}

resource "kubernetes_config_map" "generated" {
  metadata {
    generate_name = "gen-"
    namespace     = kubernetes_namespace.ns.metadata[0].name
  }
  data = {
    generation = tostring(var.generation)
  }
}

resource "kubernetes_secret" "creds" {
  metadata {
    name      = "creds"
    namespace = kubernetes_namespace.ns.metadata[0].name
  }
  data = {
    password = "pw-${var.generation}"
  }
}

resource "kubernetes_deployment" "web" {
  metadata {
    name      = "web"
    namespace = kubernetes_namespace.ns.metadata[0].name
  }
  spec {
    replicas = var.generation + 1
    selector {
      match_labels = {
        app = "web"
      }
    }
    template {
      metadata {
        labels = {
          app = "web"
        }
      }
      spec {
        container {
          name  = "web"
          image = "nginx:1.2${var.generation}"
          port {
            container_port = 80
          }
        }
      }
    }
  }
}

resource "kubernetes_service" "web" {
  metadata {
    name      = "web"
    namespace = kubernetes_namespace.ns.metadata[0].name
  }
  spec {
    selector = {
      app = "web"
    }
    port {
      port        = 80
      target_port = 80
    }
  }
}

resource "kubernetes_manifest" "extra" {
  manifest = {
    apiVersion = "v1"
    kind       = "ConfigMap"
    metadata = {
      name      = "extra"
      namespace = kubernetes_namespace.ns.metadata[0].name
    }
    data = {
      generation = tostring(var.generation)
    }
  }
}
"#;

/// A stand-in of its own and a directory holding the configuration.
struct World {
    standin: skel_kube_standin::StandIn,
    tmp: tempfile::TempDir,
}

impl World {
    fn new() -> World {
        let standin = skel_kube_standin::start().expect("start the stand-in");
        let tmp = tempfile::tempdir().expect("tempdir");
        standin
            .write_kubeconfig(&tmp.path().join("kubeconfig"), None)
            .expect("kubeconfig");
        let dir = tmp.path().join("root");
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::write(dir.join("main.skel"), CONFIG).expect("config");
        World { standin, tmp }
    }

    fn dir(&self) -> std::path::PathBuf {
        self.tmp.path().join("root")
    }

    fn env(&self) -> Vec<(String, String)> {
        vec![
            ("HOME".into(), self.tmp.path().display().to_string()),
            ("KUBECONFIG".into(), String::new()),
        ]
    }

    fn args(&self, verb: &'static str, extra: &[&'static str]) -> Vec<String> {
        let mut a: Vec<String> = vec![verb.into(), "--auto-approve".into()];
        a.push("-var".into());
        a.push(format!(
            "kubeconfig={}",
            self.tmp.path().join("kubeconfig").display()
        ));
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    }

    fn get(&self, path: &str) -> Json {
        let (code, body) = skel_kube_standin::client::request(
            self.standin.url(),
            "GET",
            path,
            "application/json",
            "",
        )
        .expect("GET from the stand-in");
        if code == 404 {
            return Json::Null;
        }
        assert_eq!(code, 200, "GET {path}: {body}");
        body
    }

    /// What the configuration can make, as the API server reports it: one line per object
    /// (generated name suffixes and server-chosen values left out), sorted.
    fn inventory(&self) -> Vec<String> {
        let mut out = Vec::new();
        let namespaces = self.get("/api/v1/namespaces");
        for ns in items(&namespaces) {
            let name = ns["metadata"]["name"].as_str().unwrap_or("");
            if name == "crash" {
                out.push(format!(
                    "namespace {name} labels={} phase={}",
                    ns["metadata"]["labels"], ns["status"]["phase"]
                ));
            }
        }
        for cm in items(&self.get("/api/v1/namespaces/crash/configmaps")) {
            let name = cm["metadata"]["name"].as_str().unwrap_or("");
            let name = match name.strip_prefix("gen-") {
                Some(suffix) if suffix.len() == 5 => "gen-<generated>".to_string(),
                _ => name.to_string(),
            };
            out.push(format!("configmap {name} data={}", cm["data"]));
        }
        for s in items(&self.get("/api/v1/namespaces/crash/secrets")) {
            if s["type"] == "kubernetes.io/service-account-token" {
                continue;
            }
            out.push(format!(
                "secret {} data={}",
                s["metadata"]["name"].as_str().unwrap_or(""),
                s["data"]
            ));
        }
        for d in items(&self.get("/apis/apps/v1/namespaces/crash/deployments")) {
            let c = &d["spec"]["template"]["spec"]["containers"][0];
            out.push(format!(
                "deployment {} replicas={} image={} ports={}",
                d["metadata"]["name"].as_str().unwrap_or(""),
                d["spec"]["replicas"],
                c["image"],
                c["ports"]
            ));
        }
        for s in items(&self.get("/api/v1/namespaces/crash/services")) {
            out.push(format!(
                "service {} selector={} ports={}",
                s["metadata"]["name"].as_str().unwrap_or(""),
                s["spec"]["selector"],
                s["spec"]["ports"].as_array().map(|p| p.len()).unwrap_or(0)
            ));
        }
        out.sort();
        out
    }
}

fn items(list: &Json) -> Vec<Json> {
    list["items"].as_array().cloned().unwrap_or_default()
}

fn run(
    world: &World,
    args: &[String],
    fault: Option<&str>,
    log: Option<&Path>,
) -> crash_support::Out {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    skelc(&world.dir(), &world.env(), &args, fault, log)
}

/// The namespace is gone once its `Terminating` phase ends: wait for it, as a user would.
fn settled(world: &World) -> Vec<String> {
    for _ in 0..50 {
        let now = world.inventory();
        if !now.iter().any(|l| l.contains("Terminating")) {
            return now;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    world.inventory()
}

fn sweep(
    name: &str,
    setup: Option<&'static [&'static str]>,
    verb: &'static str,
    extra: &'static [&'static str],
) {
    let clean = World::new();
    if let Some(setup) = setup {
        let out = run(&clean, &clean.args("run", setup), None, None);
        assert!(out.ok(), "setup: {out:?}");
    }
    let log = clean.tmp.path().join("faults.log");
    let out = run(&clean, &clean.args(verb, extra), None, Some(&log));
    assert!(out.ok(), "the clean run failed: {out:?}");
    let expected = settled(&clean);
    let all = points(&std::fs::read_to_string(&log).expect("fault log"));
    assert!(
        !all.is_empty(),
        "no crash point: is the fault-injection feature on?"
    );

    let mut tally = Tally::default();
    for point in &all {
        let world = World::new();
        if let Some(setup) = setup {
            let out = run(&world, &world.args("run", setup), None, None);
            assert!(out.ok(), "setup: {out:?}");
        }
        let fault = point.fault();
        let killed = run(&world, &world.args(verb, extra), Some(&fault), None);
        if !killed.killed() {
            tally.record(point, Err(format!("not killed there: {killed:?}")));
            continue;
        }
        tally.record(point, check(&world, verb, extra, &expected));
    }
    tally.assert_all_recovered(&format!("kubernetes {name}"), all.len() as u64);
}

fn check(
    world: &World,
    verb: &'static str,
    extra: &'static [&'static str],
    expected: &[String],
) -> Result<(), String> {
    let again = run(world, &world.args(verb, extra), None, None);
    if !again.ok() {
        return Err(format!("the next `skelc {verb}` failed: {again:?}"));
    }
    let got = settled(world);
    if got != expected {
        return Err(format!(
            "after recovery the server holds other objects than a clean run:{}",
            diff(expected, &got)
        ));
    }
    if verb == "destroy" {
        return Ok(());
    }
    let mut plan = world.args("plan", extra);
    plan[1] = "--detailed-exitcode".into();
    let planned = run(world, &plan, None, None);
    if planned.code != Some(0) {
        return Err(format!(
            "the plan after recovery is not a no-op: {planned:?}"
        ));
    }
    let destroyed = run(world, &world.args("destroy", extra), None, None);
    if !destroyed.ok() {
        return Err(format!("destroy after recovery failed: {destroyed:?}"));
    }
    let left = settled(world);
    if !left.is_empty() {
        return Err(format!(
            "destroy after recovery left objects:{}",
            diff(&[], &left)
        ));
    }
    Ok(())
}

#[test]
fn apply_killed_at_every_crash_point_recovers_exactly() {
    sweep("apply", None, "run", &[]);
}

#[test]
fn update_killed_at_every_crash_point_recovers_exactly() {
    sweep("update", Some(&[]), "run", &["-var", "generation=2"]);
}

#[test]
fn destroy_killed_at_every_crash_point_recovers_exactly() {
    sweep("destroy", Some(&[]), "destroy", &[]);
}
