//! Root variable values through the real `skelc`, by Terraform's rules: the precedence of every
//! source (environment × files × command line), which files are read by themselves, `.json`
//! variable files, and a required variable without a value (reported by `check` only with
//! `--require-vars`; asked for on a terminal by `plan` and `run`, unless `--input=false`).

mod cli_support;

use cli_support::{d, project, skelc, state_json, Out};

const CONFIG: &str = "variable \"v\" {\n  type = string\n}\n\noutput \"v\" {\n  value = var.v\n}\n";

/// The value `plan --json` gives output `v`.
fn planned_v(out: &Out) -> String {
    let doc: serde_json::Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("plan --json is not JSON ({e}): {out:?}"));
    let outputs = doc["output_changes"].as_array().expect("output_changes");
    let v = outputs.iter().find(|o| o["name"] == "v").expect("output v");
    v["after"].as_str().expect("a string").to_string()
}

/// One source of a value for `v`, named by the value it gives.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Source {
    TfEnv,
    SkelEnv,
    Tfvars,
    TfvarsJson,
    Skelvars,
    AutoSkelvars,
    AutoTfvars,
    AutoTfvarsJson,
    VarFile,
    Var,
}

/// Precedence, lowest first (docs/cli.md).
const ORDER: [Source; 10] = [
    Source::TfEnv,
    Source::SkelEnv,
    Source::Tfvars,
    Source::TfvarsJson,
    Source::Skelvars,
    Source::AutoTfvarsJson,
    Source::AutoSkelvars,
    Source::AutoTfvars,
    Source::VarFile,
    Source::Var,
];

fn value_of(s: Source) -> String {
    format!("{s:?}").to_lowercase()
}

/// Runs `plan --json` with `sources` set (and `flags_first` saying whether `--var-file`
/// comes before `--var` on the command line) and returns the value planned for `v`.
fn plan_with(sources: &[Source], var_file_first: bool) -> String {
    let (_tmp, dir) = project(&[("main.skel", CONFIG)]);
    let mut files: Vec<(&str, String)> = Vec::new();
    for s in sources {
        let v = value_of(*s);
        match s {
            Source::Tfvars => files.push(("terraform.tfvars", format!("v = \"{v}\"\n"))),
            Source::TfvarsJson => {
                files.push(("terraform.tfvars.json", format!("{{\"v\": \"{v}\"}}")))
            }
            Source::Skelvars => files.push(("skel.skelvars", format!("v = \"{v}\"\n"))),
            // Lexical order of the auto files: a.auto.tfvars.json < b.auto.skelvars < c.auto.tfvars.
            Source::AutoTfvarsJson => {
                files.push(("a.auto.tfvars.json", format!("{{\"v\": \"{v}\"}}")))
            }
            Source::AutoSkelvars => files.push(("b.auto.skelvars", format!("v = \"{v}\"\n"))),
            Source::AutoTfvars => files.push(("c.auto.tfvars", format!("v = \"{v}\"\n"))),
            Source::VarFile => files.push(("given.skelvars", format!("v = \"{v}\"\n"))),
            _ => {}
        }
    }
    for (name, text) in &files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    let var = format!("v={}", value_of(Source::Var));
    let mut args = vec!["plan", "--json", d(&dir)];
    let mut flags: Vec<Vec<&str>> = Vec::new();
    if sources.contains(&Source::VarFile) {
        flags.push(vec!["-var-file", "given.skelvars"]);
    }
    if sources.contains(&Source::Var) {
        flags.push(vec!["-var", &var]);
    }
    if !var_file_first {
        flags.reverse();
    }
    for f in &flags {
        args.extend(f);
    }
    let mut cmd = skelc(&dir, &args);
    if sources.contains(&Source::TfEnv) {
        cmd = cmd.env("TF_VAR_v", &value_of(Source::TfEnv));
    }
    if sources.contains(&Source::SkelEnv) {
        cmd = cmd.env("SKEL_VAR_v", &value_of(Source::SkelEnv));
    }
    planned_v(&cmd.ok())
}

#[test]
fn precedence_matrix_environment_files_and_flags() {
    let envs: [&[Source]; 4] = [
        &[],
        &[Source::TfEnv],
        &[Source::SkelEnv],
        &[Source::TfEnv, Source::SkelEnv],
    ];
    let files: [&[Source]; 7] = [
        &[],
        &[Source::Tfvars],
        &[Source::TfvarsJson],
        &[Source::Skelvars, Source::Tfvars, Source::TfvarsJson],
        &[Source::AutoSkelvars],
        &[Source::AutoTfvarsJson, Source::AutoTfvars],
        &[
            Source::Skelvars,
            Source::AutoTfvarsJson,
            Source::AutoSkelvars,
            Source::AutoTfvars,
        ],
    ];
    let flags: [&[Source]; 3] = [&[], &[Source::VarFile], &[Source::Var]];
    let mut cells = 0;
    for env in envs {
        for file in files {
            for flag in flags {
                let sources: Vec<Source> = env.iter().chain(file).chain(flag).copied().collect();
                if sources.is_empty() {
                    continue;
                }
                let want = ORDER
                    .iter()
                    .rev()
                    .find(|s| sources.contains(s))
                    .map(|s| value_of(*s))
                    .unwrap();
                assert_eq!(plan_with(&sources, true), want, "sources {sources:?}");
                cells += 1;
            }
        }
    }
    assert_eq!(cells, 4 * 7 * 3 - 1);
}

#[test]
fn var_and_var_file_win_in_command_line_order() {
    let both = [
        Source::SkelEnv,
        Source::Skelvars,
        Source::VarFile,
        Source::Var,
    ];
    // `--var-file` then `--var`: the `--var` is later and wins; the other way round the file.
    assert_eq!(plan_with(&both, true), "var");
    assert_eq!(plan_with(&both, false), "varfile");
    // The issue's case: the environment never beats an explicit file.
    let (_tmp, dir) = project(&[
        ("main.skel", CONFIG),
        ("dev.skelvars", "v = \"dev\"\n"),
        ("prod.skelvars", "v = \"prod\"\n"),
    ]);
    let out = skelc(&dir, &["plan", "--json", "-var-file", "dev.skelvars"])
        .env("SKEL_VAR_v", "fromenv")
        .ok();
    assert_eq!(planned_v(&out), "dev");
    // Two files on the command line: the later one wins, whichever it is.
    let out = skelc(
        &dir,
        &[
            "plan",
            "--json",
            "--var-file=prod.skelvars",
            "-var-file",
            "dev.skelvars",
        ],
    )
    .ok();
    assert_eq!(planned_v(&out), "dev");
    let out = skelc(
        &dir,
        &[
            "plan",
            "--json",
            "-var-file=dev.skelvars",
            "--var-file",
            "prod.skelvars",
        ],
    )
    .ok();
    assert_eq!(planned_v(&out), "prod");
}

#[test]
fn only_the_documented_files_are_read_by_themselves() {
    // prod.skelvars sits beside the configuration, made to be passed with --var-file: a plain
    // plan must not use it (nor any other file but the documented ones).
    let (_tmp, dir) = project(&[
        ("main.skel", CONFIG),
        ("prod.skelvars", "v = \"prod\"\n"),
        ("dev.tfvars", "v = \"dev\"\n"),
        ("vars.json", "{\"v\": \"json\"}"),
        ("auto.skelvars", "v = \"not-auto\"\n"),
        ("x.auto.skelvars.bak", "v = \"bak\"\n"),
        ("sub/skel.skelvars", "v = \"sub\"\n"),
    ]);
    let out = skelc(&dir, &["plan", "--json"]).run();
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr.contains("error[missing-variable-value]"),
        "{out:?}"
    );
    assert!(!out.stdout.contains("prod"), "{out:?}");
    // check agrees: with --require-vars the value is missing, without it check passes.
    let out = skelc(&dir, &["check", "--require-vars"]).run();
    assert_eq!(out.code, 1, "{out:?}");
    skelc(&dir, &["check"]).ok();
    // Given explicitly, the file counts.
    let out = skelc(&dir, &["plan", "--json", "--var-file", "prod.skelvars"]).ok();
    assert_eq!(planned_v(&out), "prod");
    // Each documented name is read by itself.
    for (name, text) in [
        ("skel.skelvars", "v = \"a\"\n"),
        ("terraform.tfvars", "v = \"a\"\n"),
        ("terraform.tfvars.json", "{\"v\": \"a\"}"),
        ("z.auto.skelvars", "v = \"a\"\n"),
        ("z.auto.tfvars", "v = \"a\"\n"),
        ("z.auto.tfvars.json", "{\"v\": \"a\"}"),
    ] {
        let (_tmp, dir) = project(&[("main.skel", CONFIG), (name, text)]);
        let out = skelc(&dir, &["plan", "--json"]).ok();
        assert_eq!(planned_v(&out), "a", "{name}");
    }
}

#[test]
fn json_variable_files_give_typed_values() {
    let config = "variable \"n\" {\n  type = number\n}\nvariable \"l\" {\n  type = list(string)\n}\nvariable \"m\" {\n  type = map(number)\n}\nvariable \"s\" {\n  type = string\n}\nvariable \"b\" {\n  type = bool\n}\noutput \"all\" {\n  value = { n = var.n + 1, l = var.l, m = var.m, s = var.s, b = !var.b }\n}\n";
    let (_tmp, dir) = project(&[
        ("main.skel", config),
        (
            "terraform.tfvars.json",
            r#"{"n": 41, "l": ["a", "${x}"], "m": {"k": 2}, "s": "literal ${not} %{a}", "b": false}"#,
        ),
    ]);
    let out = skelc(&dir, &["plan", "--json"]).ok();
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let all = &doc["output_changes"][0]["after"];
    assert_eq!(all["n"], 42, "{all}");
    assert_eq!(all["l"], serde_json::json!(["a", "${x}"]), "{all}");
    assert_eq!(all["m"]["k"], 2, "{all}");
    assert_eq!(all["s"], "literal ${not} %{a}", "{all}");
    assert_eq!(all["b"], true, "{all}");
    // A value of the wrong type is an error naming the file.
    std::fs::write(
        dir.join("terraform.tfvars.json"),
        r#"{"n": "many", "l": [], "m": {}, "s": "", "b": true}"#,
    )
    .unwrap();
    let out = skelc(&dir, &["check"]).run();
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr.contains("error[invalid-variable-value]"),
        "{out:?}"
    );
    assert!(out.stderr.contains("terraform.tfvars.json"), "{out:?}");
    // Not an object: a clear error.
    std::fs::write(dir.join("terraform.tfvars.json"), "[1]").unwrap();
    let out = skelc(&dir, &["check"]).run();
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("must hold a JSON object"), "{out:?}");
}

#[test]
fn environment_values_for_undeclared_variables_are_ignored() {
    let (_tmp, dir) = project(&[("main.skel", CONFIG)]);
    let out = skelc(&dir, &["plan", "--json", "-var", "v=x"])
        .env("TF_VAR_other", "1")
        .env("SKEL_VAR_unrelated", "2")
        .ok();
    assert_eq!(planned_v(&out), "x");
    // A -var for an undeclared variable is an error.
    let out = skelc(&dir, &["check", "-var", "w=1"]).run();
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr
            .contains("error[invalid-variable-value]: Value for undeclared variable `w`"),
        "{out:?}"
    );
}

const NEED: &str = "variable \"need\" {\n  type        = string\n  description = \"The thing to greet\"\n}\n\nresource \"null_resource\" \"a\" {\n  triggers = { x = var.need }\n}\n\noutput \"need\" {\n  value = var.need\n}\n";

#[test]
fn a_missing_variable_names_every_way_to_set_it() {
    let (_tmp, dir) = project(&[("main.skel", NEED)]);
    // check: only with --require-vars.
    skelc(&dir, &["check"]).ok();
    skelc(&dir, &["validate", "-require-vars", "-var", "need=x"]).ok();
    let out = skelc(&dir, &["check", "--require-vars"]).run();
    assert_eq!(out.code, 1, "{out:?}");
    let out_json = skelc(&dir, &["check", "--require-vars", "--format", "json"]).run();
    let doc: serde_json::Value = serde_json::from_str(&out_json.stdout).unwrap();
    assert_eq!(doc["diagnostics"][0]["code"], "missing-variable-value");
    assert_eq!(doc["diagnostics"][0]["start_line"], 1);
    // plan and run without a terminal: an error naming every way, nothing written.
    for args in [
        vec!["plan"],
        vec!["run", "--auto-approve"],
        vec!["apply", "-auto-approve"],
        vec!["plan", "-input=false"],
    ] {
        let out = skelc(&dir, &args).run();
        assert_eq!(out.code, 1, "{args:?}: {out:?}");
        for way in [
            "error[missing-variable-value]: No value for required variable `need`",
            "--var need=VALUE",
            "skel.skelvars",
            "*.auto.skelvars",
            "--var-file",
            "SKEL_VAR_need",
            "TF_VAR_need",
            "standard input is a terminal",
        ] {
            assert!(
                out.stderr.contains(way),
                "{args:?} does not say `{way}`: {out:?}"
            );
        }
        assert!(!dir.join("skel.state.json").exists());
    }
    skelc(&dir, &["run", "--auto-approve", "-var", "need=x"]).ok();
    assert_eq!(state_json(&dir)["outputs"]["need"]["value"], "x");
}

#[test]
fn plan_and_run_ask_for_a_missing_variable_on_a_terminal() {
    let (_tmp, dir) = project(&[("main.skel", NEED)]);
    let out = skelc(&dir, &["plan", "--json"]).run_in_terminal("typed value\n");
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stderr
            .contains("var.need\n  The thing to greet\n\n  Enter a value:"),
        "{out:?}"
    );
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).expect("plan JSON on stdout");
    assert_eq!(doc["output_changes"][0]["after"], "typed value");
    // run: the typed value is applied.
    let out = skelc(&dir, &["run", "--auto-approve"]).run_in_terminal("hello\n");
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(state_json(&dir)["outputs"]["need"]["value"], "hello");
    // --input=false: no question, the error instead.
    let out = skelc(&dir, &["plan", "-input=false"]).run_in_terminal("ignored\n");
    assert_eq!(out.code, 1, "{out:?}");
    assert!(!out.stderr.contains("Enter a value"), "{out:?}");
    assert!(out.stderr.contains("missing-variable-value"), "{out:?}");
    // A value given another way is not asked for.
    let out = skelc(&dir, &["plan"])
        .env("TF_VAR_need", "hello")
        .run_in_terminal("");
    assert_eq!(out.code, 0, "{out:?}");
    assert!(!out.stderr.contains("Enter a value"), "{out:?}");
    assert!(out.stdout.contains("No changes"), "{out:?}");
}
