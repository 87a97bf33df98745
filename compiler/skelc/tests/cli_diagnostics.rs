//! One diagnostic format everywhere, through the real `skelc`: `error[code]: message` /
//! `warning[code]: message` with the snippet and help for `check`, `plan`, `run`, `fmt`, runtime
//! errors (`error: ADDRESS: message`) and usage errors; human output on stderr and the machine
//! formats on stdout; colour only on a terminal, and never with `--no-color`, `-no-color`,
//! `NO_COLOR` or `TERM=dumb` — the severity words are there either way.

mod cli_support;

use cli_support::{has_ansi, project, skelc};

const BROKEN: &str = "variable \"name\" {\n  type = string\n  default = \"x\"\n}\n\nresource \"null_resource\" \"a\" {\n  triggers = { n = var.nmae }\n}\n\nlocals {\n  port = \"8080\" + 1\n}\n";

const WARNS: &str = "resource \"null_resource\" \"a\" {\n  triggers = { port = \"8080\" + 1 }\n}\n";

/// The header, snippet and help of the unresolved reference in BROKEN.
fn assert_error_block(text: &str, what: &str) {
    assert!(
        text.contains("error[unresolved-reference]: Reference to undeclared variable `var.nmae`\n"),
        "{what}: {text}"
    );
    assert!(text.contains("╭─[main.skel:7:20]"), "{what}: {text}");
    assert!(
        text.contains("  triggers = { n = var.nmae }"),
        "{what}: {text}"
    );
    assert!(
        text.contains("help: did you mean `name`?"),
        "{what}: {text}"
    );
}

#[test]
fn check_plan_and_run_print_the_same_format_on_stderr() {
    let (_tmp, dir) = project(&[("main.skel", BROKEN)]);
    for args in [
        vec!["check"],
        vec!["validate"],
        vec!["plan"],
        vec!["plan", "--json"],
        vec!["run", "--auto-approve"],
        vec!["destroy", "--auto-approve"],
        vec!["graph"],
    ] {
        let out = skelc(&dir, &args).run();
        assert_eq!(out.code, 1, "{args:?}: {out:?}");
        assert_error_block(&out.stderr, &format!("{args:?}"));
        assert!(
            out.stderr
                .contains("warning[implicit-conversion]: String literal converted to number\n"),
            "{args:?}: {out:?}"
        );
        assert!(
            out.stderr.contains("1 error, 1 warning"),
            "{args:?}: {out:?}"
        );
        assert_eq!(out.stdout, "", "{args:?}: nothing for people on stdout");
        assert!(
            !has_ansi(&out.stderr),
            "{args:?}: colour without a terminal"
        );
        // The old forms are gone: no bare code line, no glyph-only severity.
        assert!(
            !out.stderr.contains("\nunresolved-reference\n"),
            "{args:?}: {out:?}"
        );
        assert!(!out.stderr.contains("× "), "{args:?}: {out:?}");
    }
}

#[test]
fn machine_formats_go_to_stdout() {
    let (_tmp, dir) = project(&[("main.skel", BROKEN)]);
    for format in ["json", "github", "sarif"] {
        let out = skelc(&dir, &["check", "--format", format]).run();
        assert_eq!(out.code, 1, "{format}: {out:?}");
        assert_eq!(out.stderr, "", "{format}: {out:?}");
        assert!(
            out.stdout.contains("unresolved-reference"),
            "{format}: {out:?}"
        );
        assert!(!has_ansi(&out.stdout), "{format}");
    }
    // In a terminal too: the document stays on stdout, without colour.
    let out = skelc(&dir, &["check", "-format=json"]).run_in_terminal("");
    assert_eq!(out.code, 1, "{out:?}");
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON on stdout");
    assert_eq!(doc["errors"], 1);
    assert!(!out.stderr.contains("error["), "{out:?}");
}

#[test]
fn warnings_of_a_plan_go_to_stderr_and_the_plan_to_stdout() {
    let (_tmp, dir) = project(&[("main.skel", WARNS)]);
    let out = skelc(&dir, &["plan"]).ok();
    assert!(
        out.stdout.contains("+ resource \"null_resource\" \"a\""),
        "{out:?}"
    );
    assert!(!out.stdout.contains("warning"), "{out:?}");
    assert!(
        out.stderr
            .contains("warning[implicit-conversion]: String literal converted to number"),
        "{out:?}"
    );
    let out = skelc(&dir, &["plan", "--json"]).ok();
    serde_json::from_str::<serde_json::Value>(&out.stdout).expect("only JSON on stdout");
    assert!(
        out.stderr.contains("warning[implicit-conversion]"),
        "{out:?}"
    );
}

#[test]
fn colour_follows_the_terminal_and_the_switches() {
    let (_tmp, dir) = project(&[("main.skel", BROKEN)]);
    // A terminal: colour, and still the words.
    let out = skelc(&dir, &["check"]).run_in_terminal("");
    assert_eq!(out.code, 1, "{out:?}");
    assert!(has_ansi(&out.stderr), "{out:?}");
    assert!(
        out.stderr
            .contains("\u{1b}[1;31merror[unresolved-reference]\u{1b}[0m"),
        "{out:?}"
    );
    assert!(
        out.stderr
            .contains("\u{1b}[1;33mwarning[implicit-conversion]\u{1b}[0m"),
        "{out:?}"
    );
    assert_eq!(out.stdout, "", "{out:?}");
    // Every way to turn it off.
    for (args, env) in [
        (vec!["check", "--no-color"], None),
        (vec!["check", "-no-color"], None),
        (vec!["-no-color", "check"], None),
        (vec!["check"], Some(("NO_COLOR", "1"))),
        (vec!["check"], Some(("TERM", "dumb"))),
        (vec!["plan", "-no-color"], None),
    ] {
        let mut cmd = skelc(&dir, &args);
        if let Some((k, v)) = env {
            cmd = cmd.env(k, v);
        }
        let out = cmd.run_in_terminal("");
        assert_eq!(out.code, 1, "{args:?} {env:?}: {out:?}");
        assert!(!has_ansi(&out.stderr), "{args:?} {env:?}: {out:?}");
        assert_error_block(&out.stderr, &format!("{args:?} {env:?}"));
        assert!(
            out.stderr.contains("warning[implicit-conversion]"),
            "{out:?}"
        );
    }
    // NO_COLOR set to the empty string does not count (no-color.org).
    let out = skelc(&dir, &["check"])
        .env("NO_COLOR", "")
        .run_in_terminal("");
    assert!(has_ansi(&out.stderr), "{out:?}");
}

#[test]
fn runtime_errors_use_the_same_format() {
    let config = "resource \"local_file\" \"bad\" {\n  filename        = \"${path.module}/x.txt\"\n  content         = \"x\"\n  file_permission = \"rw\"\n}\n";
    let (_tmp, dir) = project(&[("main.skel", config)]);
    let out = skelc(&dir, &["plan"]).run();
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr
            .contains("error[invalid-argument]: local_file.bad: "),
        "{out:?}"
    );
    assert!(out.stderr.contains("file_permission"), "{out:?}");
    assert!(out.stderr.contains("╭─[main.skel:1:1]"), "{out:?}");
    assert!(
        out.stderr.contains("resource \"local_file\" \"bad\" {"),
        "{out:?}"
    );
    let out = skelc(&dir, &["plan"]).run_in_terminal("");
    assert!(
        out.stderr
            .contains("\u{1b}[1;31merror[invalid-argument]\u{1b}[0m\u{1b}[1m: local_file.bad: "),
        "{out:?}"
    );
}

/// A value known only at plan time that fails to convert: the error has its code, points at
/// the expression, and is printed once although two outputs read the local.
#[test]
fn an_evaluation_error_has_a_code_and_is_printed_once() {
    let config = "variable \"s\" {\n  type    = string\n  default = \"abc\"\n}\n\nlocals {\n  n = tonumber(var.s)\n}\n\noutput \"a\" {\n  value = local.n\n}\n\noutput \"b\" {\n  value = local.n + 1\n}\n";
    let (_tmp, dir) = project(&[("main.skel", config)]);
    for verb in [&["plan"][..], &["run", "--auto-approve"]] {
        let out = skelc(&dir, verb).run();
        assert_eq!(out.code, 1, "{out:?}");
        let header = "error[evaluation-error]: local.n: error in tonumber(): ";
        assert_eq!(out.stderr.matches(header).count(), 1, "{out:?}");
        assert!(
            out.stderr.contains("\"abc\" is not a decimal number"),
            "{out:?}"
        );
        assert!(out.stderr.contains("╭─[main.skel:7:3]"), "{out:?}");
        assert!(!out.stderr.contains("error: "), "{out:?}");
    }
}

#[test]
fn fmt_and_usage_errors_use_the_same_format() {
    let (_tmp, dir) = project(&[("main.skel", "resource \"x\" \"y\" {\n  a = \n}\n")]);
    let out = skelc(&dir, &["fmt"]).run();
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("error[syntax-error]: "), "{out:?}");
    assert!(out.stderr.contains("╭─[main.skel:2:"), "{out:?}");
    assert_eq!(
        std::fs::read_to_string(dir.join("main.skel")).unwrap(),
        "resource \"x\" \"y\" {\n  a = \n}\n"
    );
    let out = skelc(&dir, &["check"]).run();
    assert!(out.stderr.contains("error[syntax-error]: "), "{out:?}");
    let out = skelc(&dir, &["plan", "nope"]).run();
    assert!(
        out.stderr
            .starts_with("error: no such directory: nope\n  help: "),
        "{out:?}"
    );
    let out = skelc(&dir, &["get"]).run();
    assert!(
        out.stderr
            .starts_with("error: unrecognized subcommand 'get'\n  help: "),
        "{out:?}"
    );
}

/// The messages a Terraform user meets first, as they read (no colour).
#[test]
fn snapshots_of_the_messages() {
    let (_tmp, dir) = project(&[
        ("main.skel", BROKEN),
        (
            "need/main.skel",
            "variable \"region\" {\n  type        = string\n  description = \"The region\"\n}\n\noutput \"r\" {\n  value = var.region\n}\n",
        ),
        (
            "bad/main.skel",
            "resource \"local_file\" \"bad\" {\n  filename        = \"${path.module}/x.txt\"\n  content         = \"x\"\n  file_permission = \"rw\"\n}\n",
        ),
    ]);
    let mut text = String::new();
    for args in [
        vec!["check"],
        vec!["plan", "need"],
        vec!["plan", "bad"],
        vec!["get"],
        vec!["run", "main.skel"],
        vec!["run", "nosuch.json"],
        vec!["destroy", "main.skel"],
        vec!["check", "-var", "novalue"],
    ] {
        let out = skelc(&dir, &args).run();
        text.push_str(&format!(
            "$ skelc {}\n[exit {}]\n{}{}\n",
            args.join(" "),
            out.code,
            out.stdout,
            out.stderr
                .lines()
                .filter(|l| !l.contains("Refreshing"))
                .map(|l| format!("{l}\n"))
                .collect::<String>()
        ));
    }
    insta::assert_snapshot!(text);
}
