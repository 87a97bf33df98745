//! Paths as Terraform has them, through the real `skelc`: `path.module` is `"."` for the root
//! and relative for a child, `path.root` is `"."`, `path.cwd` is absolute; nothing in state
//! records where the checkout is, so an applied configuration moved to another directory (or
//! run from elsewhere, or with `--chdir`) plans no changes; `skelc import` records what the
//! configuration would produce, so import then plan shows no changes.

mod cli_support;

use std::fs;
use std::os::unix::fs::PermissionsExt;

use cli_support::{d, project, skelc, state_json};

const ROOT: &str = r#"resource "local_file" "hello" {
  filename = "${path.module}/hello.txt"
  content  = "hello\n"
}

module "child" {
  source = "./modules/child"
}

output "module" {
  value = path.module
}

output "root" {
  value = path.root
}

output "cwd" {
  value = path.cwd
}

output "child_module" {
  value = module.child.where
}
"#;

const CHILD: &str = r#"resource "local_file" "inner" {
  filename = "${path.module}/inner.txt"
  content  = "inner\n"
}

output "where" {
  value = path.module
}
"#;

#[test]
fn a_moved_checkout_plans_no_changes() {
    let (_tmp, base) = project(&[("a/main.skel", ROOT), ("a/modules/child/main.skel", CHILD)]);
    // Applied from the parent directory, naming the module's directory.
    skelc(&base, &["run", "a", "--auto-approve"]).ok();
    let a = base.join("a");
    assert_eq!(fs::read_to_string(a.join("hello.txt")).unwrap(), "hello\n");
    assert_eq!(
        fs::read_to_string(a.join("modules/child/inner.txt")).unwrap(),
        "inner\n"
    );
    let state = state_json(&a);
    assert_eq!(state["outputs"]["module"]["value"], ".");
    assert_eq!(state["outputs"]["root"]["value"], ".");
    assert_eq!(state["outputs"]["child_module"]["value"], "modules/child");
    assert_eq!(
        state["outputs"]["cwd"]["value"],
        d(&a),
        "path.cwd is absolute"
    );
    assert_eq!(
        state["resources"]["local_file.hello"]["attributes"]["filename"],
        "./hello.txt"
    );
    assert_eq!(
        state["resources"]["module.child.local_file.inner"]["attributes"]["filename"],
        "modules/child/inner.txt"
    );
    // Only the output that asks for path.cwd holds the directory.
    let text = fs::read_to_string(a.join("skel.state.json")).unwrap();
    assert_eq!(text.matches(d(&a)).count(), 1, "{text}");

    // Moved: planned from the new parent, from inside, and with --chdir: no change to any
    // resource. Only the path.cwd output follows the move (an output change: exit 2).
    fs::rename(&a, base.join("b")).unwrap();
    let b = base.join("b");
    for (cwd, args) in [
        (&base, vec!["plan", "b", "--detailed-exitcode"]),
        (&b, vec!["plan", "-detailed-exitcode"]),
        (&base, vec!["-chdir=b", "plan", "-detailed-exitcode"]),
        (&base, vec!["plan", "--chdir", "b", "--detailed-exitcode"]),
    ] {
        let out = skelc(cwd, &args).run();
        assert_eq!(out.code, 2, "{args:?}: {out:?}");
        assert!(
            !out.stdout.contains("must be replaced"),
            "{args:?}: {out:?}"
        );
        assert!(!out.stdout.contains("resource \""), "{args:?}: {out:?}");
        assert!(out.stdout.contains("~ cwd"), "{args:?}: {out:?}");
        assert!(
            out.stdout.contains("Changes to outputs"),
            "{args:?}: {out:?}"
        );
    }
    skelc(&b, &["apply", "-auto-approve"]).ok();
    let out = skelc(&base, &["plan", "b", "--detailed-exitcode"]).run();
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("No changes"), "{out:?}");
}

#[test]
fn without_path_cwd_the_state_never_holds_the_directory() {
    let (_tmp, base) = project(&[
        (
            "x/main.skel",
            "resource \"local_file\" \"f\" {\n  filename = \"${path.module}/f.txt\"\n  content  = \"f\"\n}\n\nresource \"local_file\" \"g\" {\n  filename   = \"${path.root}/sub/g.txt\"\n  content    = file(\"${path.module}/data.txt\")\n  depends_on = [local_file.f]\n}\n",
        ),
        ("x/data.txt", "data"),
    ]);
    skelc(&base, &["run", "x", "--auto-approve"]).ok();
    let x = base.join("x");
    assert_eq!(fs::read_to_string(x.join("sub/g.txt")).unwrap(), "data");
    let state = fs::read_to_string(x.join("skel.state.json")).unwrap();
    assert!(!state.contains(d(&base)), "{state}");
    fs::rename(&x, base.join("y")).unwrap();
    let out = skelc(&base, &["plan", "y", "--detailed-exitcode"]).run();
    assert_eq!(out.code, 0, "{out:?}");
}

const IMPORTABLE: &str = "resource \"local_file\" \"f\" {\n  filename = \"${path.module}/existing.txt\"\n  content  = \"hello\\n\"\n}\n";

#[test]
fn import_then_plan_shows_no_changes() {
    // The file already exists with its own permissions (0644 here, where skel would create
    // 0777); it is imported by each spelling of its path, from inside and from outside.
    let (_tmp, base) = project(&[("m/main.skel", IMPORTABLE), ("m/existing.txt", "hello\n")]);
    let m = base.join("m");
    fs::set_permissions(m.join("existing.txt"), fs::Permissions::from_mode(0o644)).unwrap();
    let absolute = m.join("existing.txt");
    for (cwd, args) in [
        (&m, vec!["import", "local_file.f", "existing.txt"]),
        (&m, vec!["import", "local_file.f", "./existing.txt"]),
        (&base, vec!["import", "local_file.f", d(&absolute), "m"]),
        (
            &base,
            vec!["import", "local_file.f", "existing.txt", "--dir", "m"],
        ),
        (
            &base,
            vec!["-chdir=m", "import", "local_file.f", "existing.txt"],
        ),
    ] {
        skelc(cwd, &args).ok();
        let attrs = &state_json(&m)["resources"]["local_file.f"]["attributes"];
        assert_eq!(attrs["filename"], "./existing.txt", "{args:?}");
        assert_eq!(attrs["file_permission"], "0644", "{args:?}");
        let out = skelc(&m, &["plan", "--detailed-exitcode"]).run();
        assert_eq!(out.code, 0, "{args:?}: {out:?}");
        assert!(out.stdout.contains("No changes"), "{args:?}: {out:?}");
        // The file was not touched.
        assert_eq!(
            fs::metadata(&absolute).unwrap().permissions().mode() & 0o777,
            0o644
        );
        skelc(&m, &["state", "rm", "local_file.f"]).ok();
    }
}

#[test]
fn import_keeps_real_differences() {
    // What the configuration asks for and the object does not have still shows: other
    // content, or permissions the configuration sets.
    let (_tmp, m) = project(&[
        (
            "main.skel",
            "resource \"local_file\" \"f\" {\n  filename        = \"${path.module}/existing.txt\"\n  content         = \"new\\n\"\n  file_permission = \"0600\"\n}\n",
        ),
        ("existing.txt", "old\n"),
    ]);
    fs::set_permissions(m.join("existing.txt"), fs::Permissions::from_mode(0o644)).unwrap();
    skelc(&m, &["import", "local_file.f", "existing.txt"]).ok();
    let out = skelc(&m, &["plan", "--detailed-exitcode"]).run();
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stdout.contains("\"0644\" -> \"0600\""), "{out:?}");
    assert!(out.stdout.contains("content"), "{out:?}");
    assert!(
        !out.stdout.contains("filename "),
        "the path is the same: {out:?}"
    );
    skelc(&m, &["run", "--auto-approve"]).ok();
    assert_eq!(fs::read_to_string(m.join("existing.txt")).unwrap(), "new\n");
    assert_eq!(
        fs::metadata(m.join("existing.txt"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o600
    );
    let out = skelc(&m, &["plan", "--detailed-exitcode"]).run();
    assert_eq!(out.code, 0, "{out:?}");
}
