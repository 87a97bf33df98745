//! The smaller promises, through the real `skelc`: `fmt` keeps every comment and `fmt --diff`
//! prints a unified diff that applies to the file; `depends_on` with an attribute is a warning with
//! the fix; `graph` draws module call edges and has `--type plan`; `state show` of a resource
//! with `count` and no index shows its instances. (`destroy`'s messages are in
//! `runtime_cli.rs`.)

mod cli_support;

use std::fs;

use cli_support::{d, project, skelc};

const UNFORMATTED: &str = "locals {\n  a = \"x\" # note\n  bb = \"y\"\n  c = 1 // two\n}\n\nresource \"null_resource\" \"r\" { # head\n  triggers = { name = \"n\" } # concourse -> concourse.example.io\n}\n";

#[test]
fn fmt_keeps_every_comment() {
    let (_tmp, dir) = project(&[("main.skel", UNFORMATTED)]);
    let out = skelc(&dir, &["fmt"]).ok();
    assert_eq!(out.stdout, "main.skel\n");
    let formatted = fs::read_to_string(dir.join("main.skel")).unwrap();
    assert_eq!(
        formatted,
        "locals {\n  a  = \"x\" # note\n  bb = \"y\"\n  c  = 1 // two\n}\n\nresource \"null_resource\" \"r\" { # head\n  triggers = { name = \"n\" } # concourse -> concourse.example.io\n}\n"
    );
    skelc(&dir, &["fmt", "--check"]).ok();
}

#[test]
fn fmt_diff_is_a_unified_diff_that_applies() {
    let (_tmp, dir) = project(&[("main.skel", UNFORMATTED), ("sub/other.skel", "x    = 1\n")]);
    let out = skelc(&dir, &["fmt", "--check", "--diff", "-recursive"]).run();
    assert_eq!(out.code, 1, "{out:?}");
    let diff = &out.stdout;
    assert!(
        diff.starts_with("--- a/main.skel\n+++ b/main.skel\n@@ -1,7 +1,7 @@\n locals {\n-  a = \"x\" # note\n+  a  = \"x\" # note\n   bb = \"y\"\n-  c = 1 // two\n+  c  = 1 // two\n }\n \n resource \"null_resource\" \"r\" { # head\n--- "),
        "{diff}"
    );
    assert!(
        diff.contains(
            "--- a/sub/other.skel\n+++ b/sub/other.skel\n@@ -1 +1 @@\n-x    = 1\n+x = 1\n"
        ),
        "{diff}"
    );
    // --check wrote nothing; the diff, applied strictly (every hunk at its stated line, its
    // context and removed lines matching, its counts right), gives exactly what fmt writes.
    assert_eq!(
        fs::read_to_string(dir.join("main.skel")).unwrap(),
        UNFORMATTED
    );
    let patched = apply_unified(
        diff,
        &[("main.skel", UNFORMATTED), ("sub/other.skel", "x    = 1\n")],
    );
    skelc(&dir, &["fmt", "-r"]).ok();
    for (file, text) in patched {
        assert_eq!(text, fs::read_to_string(dir.join(&file)).unwrap(), "{file}");
    }
    // Formatted now: no diff, exit 0.
    let out = skelc(&dir, &["fmt", "--check", "--diff", "-r"]).ok();
    assert_eq!(out.stdout, "");
}

/// Applies a unified diff (as `patch -p1` does, but without fuzz) to `files`, returning each
/// patched file. Panics where the diff does not fit.
fn apply_unified(diff: &str, files: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut lines = diff.lines().peekable();
    while let Some(line) = lines.next() {
        let old_name = line.strip_prefix("--- a/").expect("a --- a/PATH header");
        let new_name = lines
            .next()
            .and_then(|l| l.strip_prefix("+++ b/"))
            .expect("+++ b/PATH");
        assert_eq!(old_name, new_name);
        let original = files
            .iter()
            .find(|(n, _)| *n == old_name)
            .expect("a known file")
            .1;
        let old: Vec<&str> = original.lines().collect();
        let mut new: Vec<String> = Vec::new();
        let mut at = 0;
        while lines.peek().is_some_and(|l| l.starts_with("@@ ")) {
            let header = lines.next().unwrap();
            let ranges: Vec<&str> = header.trim_matches('@').split_whitespace().collect();
            let parse = |r: &str| -> (usize, usize) {
                let r = &r[1..];
                match r.split_once(',') {
                    Some((a, b)) => (a.parse().unwrap(), b.parse().unwrap()),
                    None => (r.parse().unwrap(), 1),
                }
            };
            let (old_start, old_len) = parse(ranges[0]);
            let (new_start, new_len) = parse(ranges[1]);
            let start = old_start.saturating_sub(1);
            new.extend(old[at..start].iter().map(|l| l.to_string()));
            assert_eq!(new.len() + 1, new_start.max(1), "{header}");
            at = start;
            let (mut seen_old, mut seen_new) = (0, 0);
            while seen_old < old_len || seen_new < new_len {
                let l = lines.next().expect("hunk line");
                let (mark, text) = l.split_at(1);
                match mark {
                    " " | "-" => {
                        assert_eq!(old[at], text, "{header}");
                        at += 1;
                        seen_old += 1;
                        if mark == " " {
                            new.push(text.to_string());
                            seen_new += 1;
                        }
                    }
                    "+" => {
                        new.push(text.to_string());
                        seen_new += 1;
                    }
                    _ => panic!("bad hunk line {l:?}"),
                }
            }
        }
        new.extend(old[at..].iter().map(|l| l.to_string()));
        out.push((old_name.to_string(), new.join("\n") + "\n"));
    }
    out
}

#[test]
fn depends_on_an_attribute_is_a_warning_with_the_fix() {
    let config = "resource \"null_resource\" \"a\" {}\n\nresource \"null_resource\" \"b\" {\n  depends_on = [null_resource.a.id]\n}\n";
    let (_tmp, dir) = project(&[("main.skel", config)]);
    let out = skelc(&dir, &["check"]).ok();
    assert!(
        out.stderr.contains("warning[depends-on-attribute]: `depends_on` names an attribute; the dependency is on the whole object"),
        "{out:?}"
    );
    assert!(
        out.stderr.contains("help: write `null_resource.a`"),
        "{out:?}"
    );
    assert!(out.stderr.contains("0 errors, 1 warning"), "{out:?}");
    // It still orders: b after a.
    skelc(&dir, &["run", "--auto-approve"]).ok();
    let state = cli_support::state_json(&dir);
    assert_eq!(
        state["resources"]["null_resource.b"]["dependencies"],
        serde_json::json!(["null_resource.a"])
    );
}

#[test]
fn graph_has_module_call_edges_and_a_plan_type() {
    let (_tmp, dir) = project(&[
        (
            "main.skel",
            "resource \"null_resource\" \"top\" {}\n\nmodule \"net\" {\n  source = \"./net\"\n  after  = null_resource.top.id\n}\n\nresource \"null_resource\" \"n\" {\n  count    = 2\n  triggers = { subnet = module.net.subnet }\n}\n",
        ),
        (
            "net/main.skel",
            "variable \"after\" {\n  type = string\n}\n\nresource \"null_resource\" \"subnet\" {\n  triggers = { after = var.after }\n}\n\nmodule \"inner\" {\n  source = \"../inner\"\n}\n\noutput \"subnet\" {\n  value = null_resource.subnet.id\n}\n",
        ),
        ("inner/main.skel", "resource \"null_resource\" \"deep\" {}\n"),
    ]);
    let out = skelc(&dir, &["graph"]).ok();
    let dot = &out.stdout;
    for edge in [
        "\"module.net\" [shape = folder];",
        "\"module.net\" -> \"null_resource.top\";",
        "\"null_resource.n\" -> \"module.net\";",
        "\"module.net\" -> \"module.net.null_resource.subnet\";",
        "\"module.net\" -> \"module.net.module.inner\";",
        "\"module.net.module.inner\" -> \"module.net.module.inner.null_resource.deep\";",
    ] {
        assert!(dot.contains(edge), "missing {edge}:\n{dot}");
    }
    assert!(!dot.contains("net:"), "old directory-name prefixes: {dot}");
    // -type=plan: instances with their actions.
    let out = skelc(&dir, &["graph", "-type=plan"]).ok();
    let dot = &out.stdout;
    for node in [
        "\"null_resource.n[0]\" [label = \"null_resource.n[0]\\n(create)\"];",
        "\"module.net.null_resource.subnet\" [label = \"module.net.null_resource.subnet\\n(create)\"];",
        "\"module.net.module.inner.null_resource.deep\"",
    ] {
        assert!(dot.contains(node), "missing {node}:\n{dot}");
    }
    assert!(
        dot.contains("\"null_resource.n[1]\" -> \"module.net.null_resource.subnet\";"),
        "{dot}"
    );
    assert!(
        dot.contains("\"module.net.null_resource.subnet\" -> \"null_resource.top\";"),
        "{dot}"
    );
    skelc(&dir, &["run", "--auto-approve"]).ok();
    let out = skelc(&dir, &["graph", "--type", "plan"]).ok();
    assert!(out.stdout.contains("\\n(no change)\"];"), "{out:?}");
    let out = skelc(&dir, &["graph", "--type", "plan-destroy"]).ok();
    assert!(
        out.stdout
            .contains("\"null_resource.top\" [label = \"null_resource.top\\n(delete)\"];"),
        "{out:?}"
    );
    let out = skelc(&dir, &["graph", "--type", "nonsense"]).run();
    assert_eq!(out.code, 2, "{out:?}");
}

#[test]
fn state_show_of_a_counted_resource_shows_its_instances() {
    let config = "resource \"null_resource\" \"n\" {\n  count    = 3\n  triggers = { i = count.index }\n}\n\nresource \"null_resource\" \"e\" {\n  for_each = toset([\"a\", \"b\"])\n}\n";
    let (_tmp, dir) = project(&[("main.skel", config)]);
    skelc(&dir, &["run", "--auto-approve"]).ok();
    let out = skelc(&dir, &["state", "show", "null_resource.n"]).ok();
    assert!(
        out.stdout.starts_with("# null_resource.n has 3 instance(s): null_resource.n[0], null_resource.n[1], null_resource.n[2]\n"),
        "{out:?}"
    );
    for i in 0..3 {
        assert!(
            out.stdout
                .contains(&format!("# null_resource.n[{i}] (provider null)")),
            "{out:?}"
        );
        assert!(out.stdout.contains(&format!("\"i\": \"{i}\"")), "{out:?}");
    }
    let out = skelc(&dir, &["state", "show", "null_resource.e", d(&dir)]).ok();
    assert!(out.stdout.contains("# null_resource.e[\"a\"]"), "{out:?}");
    assert!(out.stdout.contains("# null_resource.e[\"b\"]"), "{out:?}");
    // With an index: that instance alone.
    let out = skelc(&dir, &["state", "show", "null_resource.n[1]"]).ok();
    assert!(
        out.stdout
            .starts_with("# null_resource.n[1] (provider null)"),
        "{out:?}"
    );
    assert_eq!(out.stdout.matches("# null_resource").count(), 1, "{out:?}");
    // Unknown: a clear error.
    for address in ["null_resource.zz", "null_resource.n[7]"] {
        let out = skelc(&dir, &["state", "show", address]).run();
        assert_eq!(out.code, 1, "{out:?}");
        assert!(out.stderr.contains("skelc state list"), "{out:?}");
    }
}

/// A variable file's values may be secrets: `fmt --diff` shows its layout changes with every
/// value masked, a syntax error in it is reported without showing the value, and rewriting a
/// private file keeps it private.
#[test]
fn fmt_never_shows_the_values_of_a_variable_file() {
    use std::os::unix::fs::PermissionsExt;
    let secret = "Zq8Wd3Lk6Pm1Xv";
    let declared = "variable \"pw\" {\n  type      = string\n  sensitive = true\n}\n";
    let (_tmp, dir) = project(&[
        ("main.skel", declared),
        ("skel.skelvars", &format!("pw    =    \"{secret}\"\n")),
    ]);
    fs::set_permissions(dir.join("skel.skelvars"), fs::Permissions::from_mode(0o600)).unwrap();
    let out = skelc(&dir, &["fmt", "--check", "--diff"]).run();
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stdout
            .contains("--- a/skel.skelvars\n+++ b/skel.skelvars\n@@ -1 +1 @@\n-pw    =    ****************\n+pw = ****************\n"),
        "{out:?}"
    );
    assert!(!format!("{out:?}").contains(secret), "{out:?}");
    // Rewritten: formatted, and still 0600.
    skelc(&dir, &["fmt"]).ok();
    assert_eq!(
        fs::read_to_string(dir.join("skel.skelvars")).unwrap(),
        format!("pw = \"{secret}\"\n")
    );
    let mode = fs::metadata(dir.join("skel.skelvars"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    // A syntax error on the secret's line: located, not shown.
    fs::write(
        dir.join("skel.skelvars"),
        format!("pw = \"{secret}\" \"{secret}\"\n"),
    )
    .unwrap();
    let out = skelc(&dir, &["fmt"]).run();
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("syntax-error"), "{out:?}");
    assert!(out.stderr.contains("skel.skelvars:1:"), "{out:?}");
    assert!(!format!("{out:?}").contains(secret), "{out:?}");
}
