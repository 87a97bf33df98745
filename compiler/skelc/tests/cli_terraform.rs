//! Terraform habits through the real `skelc`: the `apply` and `validate` aliases, every flag with
//! one dash, `-chdir=DIR`, the positional `[DIR]` (and `--dir`) of every command that reads a
//! configuration or state, hints for Terraform commands skel spells differently, a file where a
//! directory is expected, plan files that are missing or are no plans, and `--lock-timeout`.

mod cli_support;

use std::fs;
use std::process::Stdio;
use std::time::{Duration, Instant};

use cli_support::{project, skelc, state_json, SKELC};

const CONFIG: &str = "variable \"greeting\" {\n  type    = string\n  default = \"hello\"\n}\n\nresource \"null_resource\" \"a\" {\n  triggers = { g = var.greeting }\n}\n\nresource \"null_resource\" \"n\" {\n  count    = 2\n  triggers = { i = count.index }\n}\n\noutput \"greeting\" {\n  value = var.greeting\n}\n";

fn addresses(dir: &std::path::Path) -> Vec<String> {
    state_json(dir)["resources"]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

#[test]
fn apply_and_validate_are_aliases() {
    let (_tmp, dir) = project(&[("main.skel", CONFIG)]);
    let out = skelc(&dir, &["validate"]).ok();
    assert_eq!(out.stderr, "no problems found\n");
    let out = skelc(&dir, &["apply", "-auto-approve"]).ok();
    assert!(
        out.stdout.contains("Apply complete! Resources: 3 added"),
        "{out:?}"
    );
    assert_eq!(addresses(&dir).len(), 3);
    let help = skelc(&dir, &["--help"]).ok();
    assert!(help.stdout.contains("[alias: apply]"), "{help:?}");
    assert!(help.stdout.contains("[alias: validate]"), "{help:?}");
    // `apply PLANFILE` applies a saved plan, as `run PLANFILE` does.
    fs::write(dir.join("main.skel"), CONFIG.replace("\"hello\"", "\"hi\"")).unwrap();
    skelc(&dir, &["plan", "-out=next.plan"]).ok();
    let out = skelc(&dir, &["apply", "next.plan"]).ok();
    assert!(
        out.stdout.contains("1 changed") || out.stdout.contains("1 added"),
        "{out:?}"
    );
    assert_eq!(state_json(&dir)["outputs"]["greeting"]["value"], "hi");
}

#[test]
fn every_flag_works_with_one_dash() {
    let (_tmp, dir) = project(&[("main.skel", CONFIG)]);
    let var_file = dir.join("x.skelvars");
    fs::write(&var_file, "greeting = \"from-file\"\n").unwrap();
    for args in [
        vec!["check", "-no-color", "-format=json", "-var", "greeting=x"],
        vec![
            "check",
            "-format",
            "sarif",
            "-var-file",
            "x.skelvars",
            "-require-vars",
        ],
        vec!["validate", "-var-file=x.skelvars"],
        vec![
            "plan",
            "-detailed-exitcode",
            "-json",
            "-var=greeting=y",
            "-input=false",
        ],
        vec![
            "plan",
            "-out=p.plan",
            "-refresh=false",
            "-lock-timeout=1s",
            "-no-color",
        ],
        vec!["plan", "-destroy", "-no-refresh"],
        vec!["fmt", "-check", "-diff", "-recursive"],
        vec![
            "run",
            "-auto-approve",
            "-parallelism=2",
            "-lock-timeout",
            "2s",
            "-input=false",
        ],
        vec!["output", "-json"],
        vec!["output", "-dir", "."],
        vec!["state", "list", "-dir", "."],
        vec!["state", "show", "null_resource.a", "-lock-timeout=1s"],
        vec!["graph", "-type=plan"],
        vec!["graph", "-type", "plan-destroy"],
        vec!["refresh", "-input=false", "-lock-timeout=1s"],
        vec!["-chdir=.", "plan", "-no-color"],
        vec!["destroy", "-auto-approve", "-parallelism", "4"],
    ] {
        let out = skelc(&dir, &args).run();
        assert!(
            out.code == 0 || (args.contains(&"-detailed-exitcode") && out.code == 2),
            "{args:?}: {out:?}"
        );
        assert!(
            !out.stderr.contains("unexpected argument"),
            "{args:?}: {out:?}"
        );
    }
    assert!(dir.join("p.plan").exists());
    // Help writes the documented (two-dash) form and says one dash works too.
    let help = skelc(&dir, &["plan", "--help"]).ok();
    for form in [
        "--var <NAME=VALUE>",
        "--var-file <FILE>",
        "--out <FILE>",
        "--detailed-exitcode",
        "--lock-timeout <DURATION>",
        "--input <BOOL>",
        "--no-color",
        "--chdir <DIR>",
    ] {
        assert!(help.stdout.contains(form), "{form}: {help:?}");
    }
    let help = skelc(&dir, &["-help"]).ok();
    assert!(
        help.stdout.contains("also accepted with one dash"),
        "{help:?}"
    );
    // An unknown flag is still an error (exit 2; 1 with -detailed-exitcode, where 2 means changes).
    let out = skelc(&dir, &["plan", "-bogus"]).run();
    assert_eq!(out.code, 2, "{out:?}");
    let out = skelc(&dir, &["plan", "-bogus", "-detailed-exitcode"]).run();
    assert_eq!(out.code, 1, "{out:?}");
}

#[test]
fn terraform_commands_get_a_hint() {
    let (_tmp, dir) = project(&[("main.skel", CONFIG)]);
    for (command, hint) in [
        ("taint", "replace_triggered_by"),
        ("untaint", "replaced by the next `skelc run`"),
        ("providers", "built in"),
        ("get", "run `skelc init`"),
        ("login", "credentials"),
        ("test", "skelc check"),
        ("version", "skelc --version"),
    ] {
        let out = skelc(&dir, &[command]).run();
        assert_eq!(out.code, 2, "{command}: {out:?}");
        assert!(
            out.stderr.starts_with(&format!(
                "error: unrecognized subcommand '{command}'\n  help: "
            )),
            "{command}: {out:?}"
        );
        assert!(out.stderr.contains(hint), "{command}: {out:?}");
    }
    // Not a Terraform command: clap's own message.
    let out = skelc(&dir, &["frobnicate"]).run();
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.contains("unrecognized subcommand 'frobnicate'"),
        "{out:?}"
    );
}

#[test]
fn every_command_takes_the_directory_positionally_or_with_dir() {
    let (_tmp, base) = project(&[("infra/main.skel", CONFIG)]);
    let infra = base.join("infra");
    skelc(&base, &["check", "infra"]).ok();
    skelc(&base, &["plan", "infra"]).ok();
    skelc(&base, &["graph", "infra"]).ok();
    // Paths on the command line are relative to where skelc was started, not to DIR.
    let out = skelc(&base, &["plan", "infra", "-out=first.plan"]).ok();
    assert!(out.stdout.contains("skelc run first.plan"), "{out:?}");
    assert!(base.join("first.plan").exists() && !infra.join("first.plan").exists());
    skelc(&base, &["apply", "first.plan"]).ok();
    assert_eq!(addresses(&infra).len(), 3);
    skelc(&base, &["run", "infra", "--auto-approve"]).ok();
    assert_eq!(addresses(&infra).len(), 3);
    // output: DIR alone, NAME DIR, --dir, --chdir.
    let out = skelc(&base, &["output", "infra"]).ok();
    assert_eq!(out.stdout, "greeting = \"hello\"\n", "{out:?}");
    let out = skelc(&base, &["output", "greeting", "infra"]).ok();
    assert_eq!(out.stdout, "hello\n");
    let out = skelc(&base, &["output", "greeting", "--dir", "infra"]).ok();
    assert_eq!(out.stdout, "hello\n");
    let out = skelc(&base, &["-chdir=infra", "output", "greeting"]).ok();
    assert_eq!(out.stdout, "hello\n");
    let out = skelc(&base, &["output", "nosuch", "infra"]).run();
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("no output named `nosuch`"), "{out:?}");
    // state: list, show, mv, rm, each with a trailing DIR (and --dir).
    let out = skelc(&base, &["state", "list", "infra"]).ok();
    assert_eq!(out.stdout.lines().count(), 3, "{out:?}");
    skelc(&base, &["state", "list", "--dir", "infra"]).ok();
    let out = skelc(&base, &["state", "show", "null_resource.a", "infra"]).ok();
    assert!(out.stdout.contains("# null_resource.a"), "{out:?}");
    skelc(
        &base,
        &["state", "mv", "null_resource.a", "null_resource.b", "infra"],
    )
    .ok();
    skelc(
        &base,
        &[
            "state",
            "rm",
            "null_resource.b",
            "null_resource.n[0]",
            "infra",
        ],
    )
    .ok();
    assert_eq!(addresses(&infra), ["null_resource.n[1]"]);
    // import, refresh, force-unlock, destroy.
    fs::write(
        infra.join("main.skel"),
        format!("{CONFIG}\nresource \"local_file\" \"f\" {{\n  filename = \"${{path.module}}/f.txt\"\n  content  = \"f\"\n}}\n"),
    )
    .unwrap();
    fs::write(infra.join("f.txt"), "f").unwrap();
    skelc(&base, &["import", "local_file.f", "f.txt", "infra"]).ok();
    assert!(addresses(&infra).contains(&"local_file.f".to_string()));
    skelc(&base, &["refresh", "infra"]).ok();
    fs::write(
        infra.join("skel.state.lock"),
        r#"{"id":"stale-7","operation":"run","who":"x@y","pid":999999,"created":"2026-01-01T00:00:00Z"}"#,
    )
    .unwrap();
    let out = skelc(&base, &["force-unlock", "stale-7", "-force", "infra"]).ok();
    assert!(out.stdout.contains("Unlocked the state"), "{out:?}");
    skelc(&base, &["destroy", "infra", "--auto-approve"]).ok();
    assert!(addresses(&infra).is_empty());
    // --chdir to a directory that does not exist: a usage error, nothing run.
    let out = skelc(&base, &["-chdir=nope", "plan"]).run();
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.starts_with("error: --chdir nope: "), "{out:?}");
    // Two different directories: refused.
    let out = skelc(&base, &["plan", "infra", "--dir", "."]).run();
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("two directories given"), "{out:?}");
}

#[test]
fn a_file_where_a_directory_is_expected() {
    let (_tmp, base) = project(&[("infra/main.skel", CONFIG)]);
    let infra = base.join("infra");
    // Reading commands use the file's directory, and say so.
    for args in [
        vec!["check", "infra/main.skel"],
        vec!["validate", "infra/main.skel"],
        vec!["plan", "infra/main.skel"],
        vec!["graph", "infra/main.skel"],
    ] {
        let out = skelc(&base, &args).ok();
        assert!(
            out.stderr.contains(
                "note: infra/main.skel is a file; using the module in its directory, infra"
            ),
            "{args:?}: {out:?}"
        );
    }
    let out = skelc(&infra, &["check", "main.skel"]).ok();
    assert!(out.stderr.contains("its directory, ."), "{out:?}");
    // Commands that change something refuse, naming the directory to give.
    for (args, command) in [
        (vec!["destroy", "infra/main.skel"], "destroy"),
        (vec!["refresh", "infra/main.skel"], "refresh"),
        (
            vec!["import", "null_resource.a", "x", "infra/main.skel"],
            "import",
        ),
        (vec!["force-unlock", "x", "infra/main.skel"], "force-unlock"),
    ] {
        let out = skelc(&base, &args).run();
        assert_eq!(out.code, 1, "{args:?}: {out:?}");
        assert!(
            out.stderr
                .contains("error: infra/main.skel is a file, not a directory"),
            "{args:?}: {out:?}"
        );
        assert!(
            out.stderr.contains(&format!(
                "help: give the module's directory: `skelc {command} infra`"
            )),
            "{args:?}: {out:?}"
        );
    }
    // A directory that does not exist.
    let out = skelc(&base, &["check", "nope"]).run();
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.contains("error: no such directory: nope"),
        "{out:?}"
    );
    let out = skelc(&base, &["plan", "nope"]).run();
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr.contains("error: no such directory: nope"),
        "{out:?}"
    );
    assert!(!base.join("nope").exists(), "nothing is created");
    let out = skelc(&base, &["state", "list", "nope"]).run();
    assert!(out.stderr.contains("no such directory: nope"), "{out:?}");
    assert!(!base.join("nope").exists(), "nothing is created");
}

#[test]
fn plan_files_that_are_missing_or_no_plans() {
    let (_tmp, dir) = project(&[
        ("main.skel", CONFIG),
        ("notes.json", "{\"a\": 1}"),
        ("random.bin", "\u{1}\u{2}garbage"),
    ]);
    let out = skelc(&dir, &["run", "nosuch.json"]).run();
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr
            .contains("error: no such file or directory: nosuch.json"),
        "{out:?}"
    );
    assert!(out.stderr.contains("skelc plan --out FILE"), "{out:?}");
    let out = skelc(&dir, &["run", "main.skel"]).run();
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr
            .contains("error: main.skel is a configuration file, not a plan file"),
        "{out:?}"
    );
    assert!(
        out.stderr
            .contains("help: to apply the configuration, give its directory: `skelc run .`"),
        "{out:?}"
    );
    for file in ["notes.json", "random.bin"] {
        let out = skelc(&dir, &["apply", file]).run();
        assert_eq!(out.code, 1, "{out:?}");
        assert!(
            out.stderr
                .contains(&format!("error: {file} is not a skel plan file")),
            "{out:?}"
        );
        assert!(
            out.stderr
                .contains("help: was it written by `skelc plan --out FILE`?"),
            "{out:?}"
        );
        assert!(
            !out.stderr.contains("line 1 column"),
            "no raw parser message: {out:?}"
        );
    }
    assert!(!dir.join("skel.state.json").exists());
}

#[test]
fn lock_timeout_waits_for_the_lock() {
    let config = "resource \"null_resource\" \"slow\" {\n  provisioner \"local-exec\" {\n    command = \"sleep 3\"\n  }\n}\n";
    let (_tmp, dir) = project(&[("main.skel", config)]);
    let mut holder = std::process::Command::new(SKELC)
        .args(["run", "--auto-approve"])
        .current_dir(&dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the holder");
    let lock = dir.join("skel.state.lock");
    let start = Instant::now();
    while fs::read_to_string(&lock).map_or(true, |t| t.is_empty()) {
        assert!(start.elapsed() < Duration::from_secs(10), "no lock file");
        std::thread::sleep(Duration::from_millis(10));
    }
    // Without a timeout: fails at once; with one too short: fails once it has passed; with a
    // long enough one: waits for the holder and goes ahead.
    let out = skelc(&dir, &["plan"]).run();
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("the state is locked by"), "{out:?}");
    let waited = Instant::now();
    let out = skelc(&dir, &["plan", "--lock-timeout", "300ms"]).run();
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("the state is locked by"), "{out:?}");
    assert!(
        waited.elapsed() >= Duration::from_millis(300),
        "it did not wait"
    );
    let out = skelc(&dir, &["plan", "-lock-timeout=30s"]).run();
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stderr.contains("waiting for it"), "{out:?}");
    assert!(out.stdout.contains("No changes"), "{out:?}");
    assert!(holder.wait().unwrap().success());
}
