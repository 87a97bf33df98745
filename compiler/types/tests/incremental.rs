//! Incrementality: which queries re-run after an edit, observed through salsa's execution events.

use std::path::Path;
use std::sync::Arc;

use skel_db::{Db, MemorySystem, SkelDatabase};

fn executed(db: &SkelDatabase, query: &str) -> usize {
    db.take_execution_log()
        .iter()
        .filter(|e| e.starts_with(&format!("{query}(")))
        .count()
}

fn log_count(log: &[String], query: &str) -> usize {
    log.iter()
        .filter(|e| e.starts_with(&format!("{query}(")))
        .count()
}

const MAIN: &str = r#"
variable "env" {
  type    = string
  default = "prod"
}

resource "null_resource" "a" {
  triggers = { name = "a-${var.env}" }
}

resource "null_resource" "b" {
  triggers = { name = "b" }
}

resource "null_resource" "c" {
  triggers = { id = null_resource.b.id }
}

locals {
  x = upper(var.env)
}
"#;

#[test]
fn editing_one_attribute_rechecks_only_that_block() {
    let system = Arc::new(MemorySystem::new());
    system.write("/p/main.skel", MAIN);
    let mut db = SkelDatabase::new(system.clone());
    let root = db.directory(Path::new("/p"));
    let before = skel_types::check_module(&db, root);
    assert!(before.is_empty(), "{before:?}");
    db.enable_execution_log();
    assert_eq!(executed(&db, "check_item"), 0);

    // Lengthen a value inside resource "a": every block after it moves, none of them changes.
    system.write(
        "/p/main.skel",
        MAIN.replace("\"a-${var.env}\"", "\"a-longer-${var.env}\""),
    );
    let file = db.file(Path::new("/p/main.skel"));
    skel_db::refresh_file(&mut db, file);
    let after = skel_types::check_module(&db, root);
    assert!(after.is_empty(), "{after:?}");
    let log = db.take_execution_log();
    assert_eq!(
        log_count(&log, "parse"),
        1,
        "the file is parsed again: {log:?}"
    );
    assert_eq!(
        log_count(&log, "check_item"),
        1,
        "only the edited block is re-checked: {log:?}"
    );
    assert_eq!(
        log_count(&log, "infer_local"),
        0,
        "the local is not re-inferred: {log:?}"
    );
    // `c` reads the type of `b`; `b` did not change, so neither its type nor `c` is recomputed.
    assert_eq!(log_count(&log, "resource_type"), 0, "{log:?}");
}

#[test]
fn a_type_change_rechecks_the_users_of_the_changed_definition() {
    let system = Arc::new(MemorySystem::new());
    system.write("/p/main.skel", MAIN);
    let mut db = SkelDatabase::new(system.clone());
    let root = db.directory(Path::new("/p"));
    assert!(skel_types::check_module(&db, root).is_empty());
    db.enable_execution_log();

    // The variable's type changes: the local and resource "a" that use it are re-checked.
    system.write(
        "/p/main.skel",
        MAIN.replace("type    = string", "type    = list(string)")
            .replace("default = \"prod\"", "default = []"),
    );
    let file = db.file(Path::new("/p/main.skel"));
    skel_db::refresh_file(&mut db, file);
    let after = skel_types::check_module(&db, root);
    let codes: Vec<&str> = after.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(codes, ["type-mismatch", "function-argument"], "{after:?}");
    let log = db.take_execution_log();
    assert_eq!(log_count(&log, "variable_type"), 1, "{log:?}");
    // The variable itself, resource "a" and the locals block; "b" and "c" are untouched.
    assert_eq!(log_count(&log, "check_item"), 3, "{log:?}");
}

#[test]
fn editing_a_child_module_rechecks_its_callers_but_not_unrelated_modules() {
    let system = Arc::new(MemorySystem::new());
    system.write(
        "/p/main.skel",
        r#"
module "net" {
  source = "./net"
}
module "dns" {
  source = "./dns"
}
output "vpc" {
  value = upper(module.net.vpc_id)
}
"#,
    );
    system.write(
        "/p/net/main.skel",
        "output \"vpc_id\" {\n  value = \"vpc-1\"\n}\n",
    );
    system.write(
        "/p/dns/main.skel",
        "output \"zone\" {\n  value = \"z\"\n}\n",
    );
    let mut db = SkelDatabase::new(system.clone());
    let root = db.directory(Path::new("/p"));
    let input = skel_types::ProjectInput { root, vars: vec![] };
    assert!(skel_types::check_project(&db, &input).is_empty());
    db.enable_execution_log();

    // The child's output becomes a list: the caller's use of it is now a type error.
    system.write(
        "/p/net/main.skel",
        "output \"vpc_id\" {\n  value = [\"vpc-1\"]\n}\n",
    );
    let net_file = db.file(Path::new("/p/net/main.skel"));
    skel_db::refresh_file(&mut db, net_file);
    let input = skel_types::ProjectInput { root, vars: vec![] };
    let after = skel_types::check_project(&db, &input);
    assert_eq!(after.len(), 1, "{after:?}");
    assert_eq!(after[0].code.as_str(), "function-argument");
    assert_eq!(after[0].span.file.path(&db), Path::new("/p/main.skel"));
    let log = db.take_execution_log();
    // Re-run: the child's module check, the root's module check, and the root's output block.
    assert_eq!(log_count(&log, "check_module"), 2, "{log:?}");
    assert_eq!(
        log_count(&log, "module_output_types"),
        1,
        "only the edited module's outputs: {log:?}"
    );
    // The unrelated module's items were not re-checked; the root's module calls were not either.
    assert_eq!(
        log_count(&log, "check_item"),
        2,
        "the child's output and the root's output: {log:?}"
    );
}

/// The types the IDE reads (`item_types`) sit behind the same firewall as the diagnostics:
/// typing inside one block re-infers the types of that block only.
#[test]
fn editing_one_attribute_re_infers_the_types_of_that_block_only() {
    let system = Arc::new(MemorySystem::new());
    system.write("/p/main.skel", MAIN);
    let mut db = SkelDatabase::new(system.clone());
    let file = db.file(Path::new("/p/main.skel"));
    let items = skel_db::parse(&db, file).file.items.len() as u32;
    let all_types = |db: &SkelDatabase| {
        (0..items)
            .map(|i| skel_types::item_types(db, file, i).len())
            .collect::<Vec<_>>()
    };
    let before = all_types(&db);
    // The variable's `type` and `default` are not inferred expressions; every other item has some.
    assert!(before[1..].iter().all(|n| *n > 0), "{before:?}");
    db.enable_execution_log();

    system.write(
        "/p/main.skel",
        MAIN.replace("\"a-${var.env}\"", "\"a-longer-${var.env}\""),
    );
    skel_db::refresh_file(&mut db, file);
    let after = all_types(&db);
    assert_eq!(after, before);
    let log = db.take_execution_log();
    assert_eq!(
        log_count(&log, "item_types"),
        1,
        "only the edited block's types are re-inferred: {log:?}"
    );
    assert_eq!(log_count(&log, "check_item"), 0, "{log:?}");
}
