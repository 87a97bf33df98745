//! Lowering in-memory projects and every example: exact configs, module ids and locations.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use skel_db::{Db, MemorySystem, Severity, SkelDatabase};
use skel_lower::lower;
use skel_plan_ir::{
    Config, IgnoreChanges, ModuleConfig, ProviderRef, Reference, ResourceConfig, ResourceMode,
};
use skel_syntax::{Body, Expr, ExprKind, Item};
use skel_value::{Number, Type, Value};

const MAIN: &str = r#"variable "zones" {
  type    = set(string)
  default = ["a"]
}

variable "size" {
  type        = number
  default     = "3"
  description = "How many."
  sensitive   = true
  nullable    = false

  validation {
    condition     = var.size > 0
    error_message = "Must be positive."
  }
}

variable "name" {
  type = string
}

locals {
  prefix     = "${var.name}-x"
  zone_names = [for z in var.zones : upper(z)]
  shadowed   = [for var in var.zones : var]
}

provider "aws" {
  region = "us-east-1"
}

provider "aws" {
  alias       = "west"
  region      = local.prefix
  parallelism = 4
}

data "aws_ami" "ubuntu" {
  most_recent = true

  filter {
    name   = "name"
    values = [var.name]
  }
}

resource "aws_security_group" "sg" {
  name = local.prefix

  dynamic "ingress" {
    for_each = var.zones
    iterator = rule

    content {
      description = rule.value
      from_port   = 22
      to_port     = 22
      protocol    = "tcp"
      cidr_blocks = ["0.0.0.0/0"]
    }
  }
}

resource "aws_instance" "web" {
  count                  = nonsensitive(var.size)
  provider               = aws.west
  ami                    = data.aws_ami.ubuntu.id
  instance_type          = "t3.micro"
  vpc_security_group_ids = [aws_security_group.sg.id]

  depends_on = [aws_security_group.sg, module.net_a]

  connection {
    host = self.public_ip
    user = var.name
  }

  provisioner "local-exec" {
    command = "echo ${self.id}"
  }

  provisioner "remote-exec" {
    inline     = ["echo bye"]
    when       = destroy
    on_failure = continue

    connection {
      host = self.private_ip
    }
  }

  lifecycle {
    create_before_destroy = true
    prevent_destroy       = false
    ignore_changes        = [tags, ami]
    replace_triggered_by  = [null_resource.trigger]
  }
}

resource "null_resource" "trigger" {
  for_each = var.zones

  triggers = {
    zone  = each.key
    names = join(",", local.zone_names)
  }
}

module "net_a" {
  source = "./modules/net"
  count  = 2
  cidr   = "10.0.${count.index}.0/24"

  providers = {
    aws = aws.west
  }
}

module "net_b" {
  source     = "./modules/net/"
  cidr       = local.prefix
  depends_on = [null_resource.trigger]
}

module "tags" {
  source = "./modules/tags"
}

output "ids" {
  value       = aws_instance.web[*].id
  description = "Instance ids."
  sensitive   = true
  depends_on  = [module.net_b]
}

output "subnet" {
  value = module.net_a[0].subnet_id
}
"#;

const NET: &str = r#"variable "cidr" {
  type = string
}

module "deep" {
  source = "./deep"
}

resource "aws_subnet" "this" {
  vpc_id     = "vpc-1"
  cidr_block = var.cidr
}

output "subnet_id" {
  value = aws_subnet.this.id
}
"#;

const TAGS: &str = r#"output "tags" {
  value = { team = "infra" }
}
"#;

const DEEP: &str = r#"output "depth" {
  value = 2
}
"#;

fn project(files: &[(&str, &str)]) -> (SkelDatabase, skel_db::Directory) {
    let system = Arc::new(MemorySystem::new());
    for (path, text) in files {
        system.write(*path, *text);
    }
    let db = SkelDatabase::new(system);
    let root = db.directory(Path::new("/p"));
    (db, root)
}

fn assert_checks(db: &SkelDatabase, root: skel_db::Directory) {
    let input = skel_types::ProjectInput {
        root,
        vars: Vec::new(),
    };
    let errors: Vec<_> = skel_types::check_project(db, &input)
        .into_iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

fn lowered() -> Config {
    let (db, root) = project(&[
        ("/p/main.skel", MAIN),
        ("/p/modules/net/main.skel", NET),
        ("/p/modules/net/deep/main.skel", DEEP),
        ("/p/modules/tags/main.skel", TAGS),
    ]);
    assert_checks(&db, root);
    lower(&db, root).expect("lowers")
}

/// The 1-based line of the first line of `MAIN` that starts with `prefix` (after indentation).
fn line_of(text: &str, prefix: &str) -> u32 {
    let index = text
        .lines()
        .position(|l| l.trim_start().starts_with(prefix))
        .unwrap_or_else(|| panic!("no line starts with {prefix:?}"));
    index as u32 + 1
}

fn var(name: &str) -> Reference {
    Reference::Variable(name.into())
}

fn local(name: &str) -> Reference {
    Reference::Local(name.into())
}

fn managed(t: &str, n: &str) -> Reference {
    Reference::Resource {
        mode: ResourceMode::Managed,
        type_name: t.into(),
        name: n.into(),
    }
}

fn data(t: &str, n: &str) -> Reference {
    Reference::Resource {
        mode: ResourceMode::Data,
        type_name: t.into(),
        name: n.into(),
    }
}

fn module(n: &str) -> Reference {
    Reference::Module(n.into())
}

fn resource<'a>(m: &'a ModuleConfig, t: &str, n: &str) -> &'a ResourceConfig {
    m.resources
        .iter()
        .find(|r| r.type_name == t && r.name == n)
        .unwrap_or_else(|| panic!("no {t}.{n}"))
}

fn names(body: &Body) -> Vec<String> {
    body.items
        .iter()
        .filter_map(|i| match i {
            Item::Attribute(a) => Some(a.name.name.clone()),
            Item::Block(b) => Some(format!("{}{{}}", b.ident.name)),
            Item::Error(_) => None,
        })
        .collect()
}

fn traversal_text(expr: &Expr) -> String {
    match &expr.kind {
        ExprKind::Variable(v) => v.name.clone(),
        ExprKind::GetAttr { expr, name } => format!("{}.{}", traversal_text(expr), name.name),
        other => format!("{other:?}"),
    }
}

#[test]
fn modules_are_numbered_breadth_first_once_each() {
    let config = lowered();
    let dirs: Vec<&Path> = config.modules.iter().map(|m| m.dir.as_path()).collect();
    assert_eq!(
        dirs,
        [
            Path::new("/p"),
            Path::new("/p/modules/net"),
            Path::new("/p/modules/tags"),
            Path::new("/p/modules/net/deep"),
        ]
    );
    let root = config.root();
    let calls: Vec<(&str, usize)> = root
        .module_calls
        .iter()
        .map(|c| (c.name.as_str(), c.module))
        .collect();
    assert_eq!(calls, [("net_a", 1), ("net_b", 1), ("tags", 2)]);
    assert_eq!(config.modules[1].module_calls[0].module, 3);
    assert_eq!(config.modules[1].variables[0].name, "cidr");
    assert_eq!(
        config.modules[1].resources[0].references,
        [var("cidr")],
        "references stay inside their module"
    );
}

#[test]
fn variables_have_converted_defaults_and_attributes() {
    let config = lowered();
    let vars = &config.root().variables;
    let names: Vec<&str> = vars.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(names, ["zones", "size", "name"]);

    let zones = &vars[0];
    assert_eq!(zones.ty, Type::set(Type::String));
    assert_eq!(zones.default, Some(Value::Set(vec![Value::string("a")])));
    assert!(!zones.sensitive && zones.nullable && zones.description.is_none());
    assert_eq!(zones.location.line, 1);
    assert_eq!(zones.location.column, 1);
    assert_eq!(zones.location.file, PathBuf::from("/p/main.skel"));

    let size = &vars[1];
    assert_eq!(size.ty, Type::Number);
    assert_eq!(size.default, Some(Value::Number(Number(3.0))));
    assert!(size.sensitive && !size.nullable);
    assert_eq!(size.description.as_deref(), Some("How many."));
    assert_eq!(size.validations.len(), 1);
    assert_eq!(
        size.validations[0].location.line,
        line_of(MAIN, "validation {")
    );
    assert_eq!(size.validations[0].location.column, 3);
    assert!(matches!(
        size.validations[0].condition.kind,
        ExprKind::Binary { .. }
    ));
    assert_eq!(
        size.validations[0]
            .error_message
            .as_literal_string()
            .as_deref(),
        Some("Must be positive.")
    );
    assert_eq!(size.location.line, line_of(MAIN, "variable \"size\""));

    assert_eq!(vars[2].default, None, "required");
    assert_eq!(vars[2].ty, Type::String);
}

#[test]
fn locals_have_references_without_shadowed_names() {
    let config = lowered();
    let locals = &config.root().locals;
    let got: Vec<(&str, &[Reference], u32, u32)> = locals
        .iter()
        .map(|l| {
            (
                l.name.as_str(),
                l.references.as_slice(),
                l.location.line,
                l.location.column,
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "prefix",
                &[var("name")][..],
                line_of(MAIN, "prefix     ="),
                3
            ),
            (
                "zone_names",
                &[var("zones")][..],
                line_of(MAIN, "zone_names ="),
                3
            ),
            // `var` is the loop variable in the value: only the collection is a reference.
            (
                "shadowed",
                &[var("zones")][..],
                line_of(MAIN, "shadowed   ="),
                3
            ),
        ]
    );
}

#[test]
fn providers_are_split_into_alias_parallelism_and_body() {
    let config = lowered();
    let providers = &config.root().providers;
    assert_eq!(providers.len(), 2);
    assert_eq!(providers[0].name, "aws");
    assert_eq!(providers[0].alias, None);
    assert_eq!(providers[0].parallelism, None);
    assert!(providers[0].references.is_empty());
    assert_eq!(names(&providers[0].body), ["region"]);

    let west = &providers[1];
    assert_eq!(west.alias.as_deref(), Some("west"));
    assert_eq!(west.parallelism, Some(4));
    assert_eq!(names(&west.body), ["region"]);
    assert_eq!(west.references, [local("prefix")]);
    assert_eq!(
        west.location.line,
        line_of(MAIN, "provider \"aws\" {") + 4,
        "the second provider block"
    );
}

#[test]
fn resources_take_meta_arguments_apart() {
    let config = lowered();
    let root = config.root();
    let order: Vec<(ResourceMode, &str, &str)> = root
        .resources
        .iter()
        .map(|r| (r.mode, r.type_name.as_str(), r.name.as_str()))
        .collect();
    assert_eq!(
        order,
        [
            (ResourceMode::Data, "aws_ami", "ubuntu"),
            (ResourceMode::Managed, "aws_security_group", "sg"),
            (ResourceMode::Managed, "aws_instance", "web"),
            (ResourceMode::Managed, "null_resource", "trigger"),
        ]
    );

    let web = resource(root, "aws_instance", "web");
    assert_eq!(
        web.provider,
        ProviderRef {
            name: "aws".into(),
            alias: Some("west".into())
        }
    );
    assert!(web.count.is_some() && web.for_each.is_none());
    assert_eq!(
        names(&web.body),
        ["ami", "instance_type", "vpc_security_group_ids"]
    );
    assert_eq!(
        web.depends_on,
        [managed("aws_security_group", "sg"), module("net_a")]
    );
    assert_eq!(
        web.references,
        [
            var("name"),
            var("size"),
            managed("aws_security_group", "sg"),
            managed("null_resource", "trigger"),
            data("aws_ami", "ubuntu"),
            module("net_a"),
        ]
    );
    assert!(web.lifecycle.create_before_destroy);
    assert!(!web.lifecycle.prevent_destroy);
    assert_eq!(
        web.lifecycle.ignore_changes,
        IgnoreChanges::Attributes(vec!["tags".into(), "ami".into()])
    );
    let triggers: Vec<String> = web
        .lifecycle
        .replace_triggered_by
        .iter()
        .map(traversal_text)
        .collect();
    assert_eq!(triggers, ["null_resource.trigger"]);
    assert_eq!(
        web.location.line,
        line_of(MAIN, "resource \"aws_instance\"")
    );
    assert_eq!(web.location.column, 1);

    let connection = web.connection.as_ref().expect("resource connection");
    assert_eq!(names(connection), ["host", "user"]);
    assert_eq!(web.provisioners.len(), 2);
    let local_exec = &web.provisioners[0];
    assert_eq!(local_exec.kind, "local-exec");
    assert_eq!(names(&local_exec.body), ["command"]);
    assert_eq!(
        local_exec.connection.as_ref().map(names),
        Some(vec!["host".to_string(), "user".to_string()]),
        "inherits the resource's connection"
    );
    assert!(!local_exec.when_destroy && !local_exec.on_failure_continue);
    assert_eq!(
        local_exec.location.line,
        line_of(MAIN, "provisioner \"local-exec\"")
    );
    assert_eq!(local_exec.location.column, 3);
    let remote = &web.provisioners[1];
    assert_eq!(remote.kind, "remote-exec");
    assert_eq!(names(&remote.body), ["inline"]);
    assert_eq!(
        remote.connection.as_ref().map(names),
        Some(vec!["host".to_string()])
    );
    assert!(remote.when_destroy && remote.on_failure_continue);

    let sg = resource(root, "aws_security_group", "sg");
    assert_eq!(sg.provider.to_string(), "aws");
    assert_eq!(names(&sg.body), ["name", "dynamic{}"]);
    // `rule.value` is the dynamic iterator, not a resource.
    assert_eq!(sg.references, [var("zones"), local("prefix")]);
    assert_eq!(sg.lifecycle.ignore_changes, IgnoreChanges::None);
    assert!(sg.provisioners.is_empty() && sg.connection.is_none());

    let trigger = resource(root, "null_resource", "trigger");
    assert_eq!(trigger.provider.to_string(), "null");
    assert!(trigger.for_each.is_some() && trigger.count.is_none());
    assert_eq!(names(&trigger.body), ["triggers"]);
    assert_eq!(trigger.references, [var("zones"), local("zone_names")]);

    let ami = resource(root, "aws_ami", "ubuntu");
    assert_eq!(ami.mode, ResourceMode::Data);
    assert_eq!(names(&ami.body), ["most_recent", "filter{}"]);
    assert_eq!(ami.references, [var("name")]);
    assert_eq!(ami.location.line, line_of(MAIN, "data \"aws_ami\""));
}

#[test]
fn module_calls_have_inputs_providers_and_references() {
    let config = lowered();
    let calls = &config.root().module_calls;
    let net_a = &calls[0];
    assert_eq!(net_a.name, "net_a");
    assert!(net_a.count.is_some() && net_a.for_each.is_none());
    let inputs: Vec<&str> = net_a.inputs.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(inputs, ["cidr"]);
    assert_eq!(
        net_a.providers,
        [(
            ProviderRef {
                name: "aws".into(),
                alias: None
            },
            ProviderRef {
                name: "aws".into(),
                alias: Some("west".into())
            }
        )]
    );
    assert!(net_a.references.is_empty(), "{:?}", net_a.references);
    assert!(net_a.depends_on.is_empty());
    assert_eq!(net_a.location.line, line_of(MAIN, "module \"net_a\""));

    let net_b = &calls[1];
    assert_eq!(net_b.depends_on, [managed("null_resource", "trigger")]);
    assert_eq!(
        net_b.references,
        [local("prefix"), managed("null_resource", "trigger")]
    );
    assert!(net_b.providers.is_empty());
    let inputs: Vec<&str> = net_b.inputs.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(inputs, ["cidr"]);
}

#[test]
fn outputs_have_references_and_depends_on() {
    let config = lowered();
    let outputs = &config.root().outputs;
    let ids = &outputs[0];
    assert_eq!(ids.name, "ids");
    assert!(ids.sensitive);
    assert_eq!(ids.description.as_deref(), Some("Instance ids."));
    assert_eq!(ids.depends_on, [module("net_b")]);
    assert_eq!(
        ids.references,
        [managed("aws_instance", "web"), module("net_b")]
    );
    assert!(matches!(ids.expr.kind, ExprKind::Splat { .. }));
    let subnet = &outputs[1];
    assert!(!subnet.sensitive && subnet.description.is_none());
    assert_eq!(subnet.references, [module("net_a")]);
    assert_eq!(subnet.location.line, line_of(MAIN, "output \"subnet\""));
    let child = &config.modules[1].outputs[0];
    assert_eq!(child.name, "subnet_id");
    assert_eq!(
        child.location.file,
        PathBuf::from("/p/modules/net/main.skel")
    );
    assert_eq!(child.location.line, line_of(NET, "output \"subnet_id\""));
}

#[test]
fn locations_span_files_of_a_module() {
    let (db, root) = project(&[
        ("/p/a.skel", "variable \"x\" {}\n"),
        ("/p/b.skel", "\n\n  locals {\n    y = var.x\n  }\n"),
    ]);
    assert_checks(&db, root);
    let config = lower(&db, root).unwrap();
    let m = config.root();
    assert_eq!(m.variables[0].location.file, PathBuf::from("/p/a.skel"));
    assert_eq!(m.variables[0].ty, Type::Dynamic);
    let y = &m.locals[0];
    assert_eq!(y.location.file, PathBuf::from("/p/b.skel"));
    assert_eq!((y.location.line, y.location.column), (4, 5));
    assert_eq!(y.references, [var("x")]);
    assert_eq!(y.location.to_string(), "/p/b.skel:4:5");
}

#[test]
fn template_for_and_nested_for_scopes() {
    let text = r#"variable "items" {
  type = list(string)
}

resource "null_resource" "a" {}

locals {
  text   = "%{ for null_resource in var.items }${null_resource.a}%{ endfor }"
  nested = [for x in var.items : [for y in [x] : null_resource.a.id]]
}
"#;
    let (db, root) = project(&[("/p/main.skel", text)]);
    let config = lower(&db, root).unwrap();
    let locals = &config.root().locals;
    assert_eq!(locals[0].references, [var("items")]);
    assert_eq!(
        locals[1].references,
        [var("items"), managed("null_resource", "a")]
    );
}

#[test]
fn errors_instead_of_panics() {
    // A missing root, a module source that does not exist, a non-literal default and an
    // invalid `when`: each is an error with a location where there is one.
    let (db, _) = project(&[("/p/main.skel", "")]);
    let missing = db.directory(Path::new("/elsewhere"));
    assert!(lower(&db, missing).is_err());

    let cases = [
        "module \"m\" {\n  source = \"registry/x\"\n}\n",
        "variable \"v\" {\n  default = upper(\"a\")\n}\n",
        "variable \"v\" {\n  type    = number\n  default = \"x\"\n}\n",
        "resource \"null_resource\" \"n\" {\n  provisioner \"local-exec\" {\n    command = \"x\"\n    when    = later\n  }\n}\n",
        "provider \"aws\" {\n  parallelism = 0\n}\n",
        "resource \"null_resource\" \"n\" {\n  depends_on = [var.x]\n}\n",
        "resource \"null_resource\" \"n\" {\n  lifecycle {\n    prevent_destroy = var.x\n  }\n}\n",
    ];
    for text in cases {
        let (db, root) = project(&[("/p/main.skel", text)]);
        let err = lower(&db, root).expect_err(text);
        let location = err.location.as_ref().expect("located");
        assert_eq!(location.file, PathBuf::from("/p/main.skel"));
        assert!(location.line >= 1, "{err}");
        assert!(err.to_string().starts_with("/p/main.skel:"), "{err}");
    }
}

#[test]
fn garbage_never_panics() {
    for text in [
        "resource {",
        "resource \"a\" {}\ndata \"x\" {}\nmodule {}\noutput \"o\" {}\nvariable {}\nprovider {}",
        "locals { a = }\nresource \"x\" \"y\" { provider = 1 + 2\n count = }",
        "module \"m\" { source = \"./\" }",
        "x = 1\n}}}{{{",
    ] {
        let (db, root) = project(&[("/p/main.skel", text)]);
        let _ = lower(&db, root);
    }
}

/// Every example that is a root module (not `examples/modules`), from the real file system.
#[test]
fn every_example_lowers() {
    let examples =
        std::path::absolute(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")).unwrap();
    let examples = skel_hir::normalize_path(&examples);
    let mut roots: Vec<PathBuf> = std::fs::read_dir(&examples)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir() && p.file_name().is_some_and(|n| n != "modules"))
        .filter(|p| {
            std::fs::read_dir(p)
                .unwrap()
                .any(|e| e.unwrap().path().extension().is_some_and(|x| x == "skel"))
        })
        .collect();
    roots.sort();
    assert!(roots.len() >= 5, "{roots:?}");
    for path in roots {
        let db = SkelDatabase::default();
        let root = db.directory(&path);
        assert_checks(&db, root);
        let config = lower(&db, root).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let m = config.root();
        assert_eq!(m.dir, path);
        assert!(!m.resources.is_empty(), "{}", path.display());
        assert!(!m.variables.is_empty() && !m.outputs.is_empty());
        for module in &config.modules {
            assert!(module.dir.is_absolute());
            for r in &module.resources {
                assert!(r.location.file.is_absolute() && r.location.line >= 1);
                assert!(
                    r.body.attribute("count").is_none() && r.body.attribute("provider").is_none()
                );
            }
        }
        if path.ends_with("walking-skeleton") {
            let calls: Vec<(&str, usize)> = m
                .module_calls
                .iter()
                .map(|c| (c.name.as_str(), c.module))
                .collect();
            // Files load in name order: kubernetes.skel (the k8s_api call) before main.skel.
            assert_eq!(calls, [("k8s_api", 1), ("vpc", 2), ("nodes", 3)]);
            assert_eq!(config.modules.len(), 4);
            assert!(config.modules[1].dir.ends_with("modules/k8s-api"));
            assert!(config.modules[2].dir.ends_with("modules/vpc"));
            assert!(config.modules[3].dir.ends_with("modules/ec2-node"));
            let k8s = &m.module_calls[0];
            assert!(k8s.count.is_some(), "the Kubernetes part is optional");
            let nodes = &m.module_calls[2];
            assert_eq!(nodes.depends_on, [module("vpc")]);
            assert!(nodes.references.contains(&module("vpc")));
            assert!(nodes.references.contains(&data("aws_ami", "ubuntu")));
            assert!(nodes
                .references
                .contains(&managed("aws_key_pair", "deployer")));
            let ec2 = &config.modules[3];
            let sg = resource(ec2, "aws_security_group", "node");
            assert!(sg.lifecycle.create_before_destroy);
            assert_eq!(
                sg.references,
                [
                    var("name"),
                    var("tags"),
                    var("vpc_id"),
                    local("ingress_rules")
                ]
            );
            let docker = resource(ec2, "null_resource", "docker");
            assert_eq!(docker.provisioners.len(), 1);
            assert!(docker.provisioners[0].connection.is_some());
            assert!(docker.references.contains(&managed("aws_instance", "node")));
            let node = resource(ec2, "aws_instance", "node");
            assert_eq!(
                node.lifecycle.ignore_changes,
                IgnoreChanges::Attributes(vec!["ami".into()])
            );
            let vpc_vars = &config.modules[2].variables;
            assert!(vpc_vars.iter().any(|v| !v.nullable));
            assert!(vpc_vars.iter().any(|v| !v.validations.is_empty()));
        }
    }
}

/// A name bound by `for` (expression or template directive) or by a `dynamic` iterator
/// shadows the reference root of the same name: it makes no reference, even when the module
/// declares an object the unshadowed reference would name.
#[test]
fn for_and_dynamic_bindings_shadow_reference_roots() {
    let (db, root) = project(&[(
        "/p/main.skel",
        r#"variable "ports" {
  type    = list(number)
  default = [22]
}

variable "items" {
  type    = list(object({ ports = number }))
  default = []
}

locals {
  value = 1
  tpl   = "%{ for var in var.items }${var.ports}%{ endfor }"
  obj   = { for local, var in var.items : local => var.ports }
  kept  = [for x in var.items : local.value]
}

resource "aws_security_group" "sg" {
  dynamic "ingress" {
    for_each = var.ports
    iterator = local
    content {
      from_port   = local.value
      to_port     = local.value
      protocol    = "tcp"
      cidr_blocks = ["0.0.0.0/0"]
    }
  }
}
"#,
    )]);
    assert_checks(&db, root);
    let config = lower(&db, root).expect("lowers");
    let m = config.root();
    let refs = |name: &str| {
        m.locals
            .iter()
            .find(|l| l.name == name)
            .expect("local")
            .references
            .clone()
    };
    assert_eq!(refs("tpl"), [var("items")]);
    assert_eq!(refs("obj"), [var("items")]);
    assert_eq!(refs("kept"), [var("items"), local("value")]);
    assert_eq!(
        resource(m, "aws_security_group", "sg").references,
        [var("ports")],
        "`local.value` in the content is the iterator's value"
    );
}

/// `depends_on` accepts what the checker accepts: resources, data sources and module calls.
#[test]
fn depends_on_rejects_built_in_values_like_the_checker() {
    for entry in ["terraform.workspace", "path.module", "count.index"] {
        let text = format!("resource \"null_resource\" \"a\" {{\n  depends_on = [{entry}]\n}}\n");
        let (db, root) = project(&[("/p/main.skel", text.as_str())]);
        let input = skel_types::ProjectInput {
            root,
            vars: Vec::new(),
        };
        let errors: Vec<_> = skel_types::check_project(&db, &input)
            .into_iter()
            .filter(|d| d.severity == Severity::Error)
            .collect();
        assert_eq!(errors.len(), 1, "{entry}: {errors:#?}");
        assert_eq!(
            errors[0].code,
            skel_db::Code::InvalidMetaArgument,
            "{entry}"
        );
        assert!(lower(&db, root).is_err(), "{entry}");
    }
}

#[test]
fn required_providers_are_lowered_with_the_builtin_rule() {
    let (db, root) = project(&[(
        "/p/main.tf",
        r#"terraform {
  required_providers {
    aws  = { source = "hashicorp/aws", version = ">= 5.0" }
    null = { source = "hashicorp/null", version = "2.1.2" }
    lxd  = { source = "terraform-lxd/lxd" }
  }
}
"#,
    )]);
    let config = lower(&db, root).expect("lowers");
    let got: Vec<(String, String, Option<String>, bool)> = config.modules[0]
        .required_providers
        .iter()
        .map(|r| {
            (
                r.local_name.clone(),
                r.source.clone(),
                r.constraint.clone(),
                r.builtin,
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "aws".into(),
                "registry.terraform.io/hashicorp/aws".into(),
                Some(">= 5.0".into()),
                true
            ),
            (
                "null".into(),
                "registry.terraform.io/hashicorp/null".into(),
                Some("2.1.2".into()),
                false
            ),
            (
                "lxd".into(),
                "registry.terraform.io/terraform-lxd/lxd".into(),
                None,
                false
            ),
        ]
    );
}
