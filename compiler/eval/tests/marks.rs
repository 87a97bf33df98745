//! Marks propagate through every function and every expression form: the property the
//! renderer relies on to never print a secret in any derived form.
//!
//! Every function of the stdlib registry must have a case here (a test fails when a function
//! is added without one): each argument in turn is marked sensitive and the result must be
//! sensitive; with no marks the result must not be.

use std::collections::BTreeMap;

use skel_eval::{eval_with, FsContext};
use skel_value::{Marks, Value};

/// Sample arguments for each function, as HCL expressions (evaluated unmarked).
const CASES: &[(&str, &[&str])] = &[
    ("abs", &["-3"]),
    ("abspath", &["\"a/b\""]),
    ("alltrue", &["[true, false]"]),
    ("anytrue", &["[true, false]"]),
    ("base64decode", &["\"aHVudGVyMg==\""]),
    ("base64encode", &["\"hunter2\""]),
    ("base64sha256", &["\"hunter2\""]),
    ("base64sha512", &["\"hunter2\""]),
    ("basename", &["\"a/b.txt\""]),
    ("ceil", &["1.5"]),
    ("chomp", &["\"a\\n\""]),
    ("chunklist", &["[1, 2, 3]", "2"]),
    ("cidrhost", &["\"10.0.0.0/16\"", "5"]),
    ("cidrnetmask", &["\"10.0.0.0/16\""]),
    ("cidrsubnet", &["\"10.0.0.0/16\"", "8", "2"]),
    ("cidrsubnets", &["\"10.0.0.0/16\"", "8", "8"]),
    ("coalesce", &["null", "\"b\""]),
    ("coalescelist", &["[]", "[\"b\"]"]),
    ("compact", &["[\"a\", \"\"]"]),
    ("concat", &["[\"a\"]", "[\"b\"]"]),
    ("contains", &["[\"a\", \"b\"]", "\"b\""]),
    ("dirname", &["\"a/b.txt\""]),
    ("distinct", &["[\"a\", \"a\"]"]),
    ("element", &["[\"a\", \"b\"]", "1"]),
    ("endswith", &["\"hunter2\"", "\"2\""]),
    ("file", &["\"secret.txt\""]),
    ("filebase64", &["\"secret.txt\""]),
    ("fileexists", &["\"secret.txt\""]),
    ("flatten", &["[[\"a\"], [\"b\"]]"]),
    ("floor", &["1.5"]),
    ("format", &["\"%s-%d\"", "\"a\"", "3"]),
    ("formatlist", &["\"%s!\"", "[\"a\", \"b\"]"]),
    ("indent", &["2", "\"a\\nb\""]),
    ("index", &["[\"a\", \"b\"]", "\"b\""]),
    ("join", &["\",\"", "[\"a\", \"b\"]", "[\"c\"]"]),
    ("jsondecode", &["\"{\\\"a\\\": 1}\""]),
    ("jsonencode", &["{ a = \"hunter2\" }"]),
    ("keys", &["{ a = 1, b = 2 }"]),
    ("length", &["[\"a\", \"b\"]"]),
    ("log", &["8", "2"]),
    ("lookup", &["{ a = \"x\" }", "\"b\"", "\"dflt\""]),
    ("lower", &["\"HUNTER\""]),
    ("matchkeys", &["[\"a\", \"b\"]", "[1, 2]", "[2]"]),
    ("max", &["1", "2"]),
    ("md5", &["\"hunter2\""]),
    ("merge", &["{ a = 1 }", "{ b = 2 }"]),
    ("min", &["1", "2"]),
    ("one", &["[\"a\"]"]),
    ("parseint", &["\"ff\"", "16"]),
    ("pathexpand", &["\"a/b\""]),
    ("pow", &["2", "3"]),
    ("range", &["1", "4"]),
    ("regex", &["\"[a-z]+\"", "\"abc123\""]),
    ("regexall", &["\"[a-z]\"", "\"ab\""]),
    ("replace", &["\"hunter2\"", "\"2\"", "\"3\""]),
    ("reverse", &["[\"a\", \"b\"]"]),
    ("setintersection", &["[\"a\", \"b\"]", "[\"b\"]"]),
    ("setproduct", &["[\"a\"]", "[\"b\", \"c\"]"]),
    ("setsubtract", &["[\"a\", \"b\"]", "[\"b\"]"]),
    ("setunion", &["[\"a\"]", "[\"b\"]"]),
    ("sha1", &["\"hunter2\""]),
    ("sha256", &["\"hunter2\""]),
    ("sha512", &["\"hunter2\""]),
    ("signum", &["-2"]),
    ("slice", &["[\"a\", \"b\", \"c\"]", "0", "2"]),
    ("sort", &["[\"b\", \"a\"]"]),
    ("split", &["\",\"", "\"a,b\""]),
    ("startswith", &["\"hunter2\"", "\"h\""]),
    ("strrev", &["\"hunter2\""]),
    ("substr", &["\"hunter2\"", "0", "3"]),
    ("sum", &["[1, 2]"]),
    ("templatefile", &["\"t.tpl\"", "{ name = \"hunter2\" }"]),
    ("timeadd", &["\"2024-01-01T00:00:00Z\"", "\"1h\""]),
    ("title", &["\"hunter\""]),
    ("tobool", &["\"true\""]),
    ("tolist", &["[\"a\"]"]),
    ("tomap", &["{ a = \"b\" }"]),
    ("tonumber", &["\"42\""]),
    ("toset", &["[\"a\"]"]),
    ("tostring", &["42"]),
    ("transpose", &["{ a = [\"x\", \"y\"] }"]),
    ("trim", &["\"xhix\"", "\"x\""]),
    ("trimprefix", &["\"hunter2\"", "\"hun\""]),
    ("trimspace", &["\" a \""]),
    ("trimsuffix", &["\"hunter2\"", "\"2\""]),
    ("type", &["42"]),
    ("upper", &["\"hunter2\""]),
    ("urlencode", &["\"a b\""]),
    ("values", &["{ a = 1 }"]),
    ("yamldecode", &["\"a: 1\""]),
    ("yamlencode", &["{ a = 1 }"]),
    ("zipmap", &["[\"a\"]", "[1]"]),
];

/// Functions with no arguments: nothing to propagate, and their result carries no mark.
const NO_ARGUMENTS: &[&str] = &["timestamp", "uuid"];

/// Functions whose whole point is marks, checked on their own below.
const MARK_FUNCTIONS: &[&str] = &["issensitive", "nonsensitive", "sensitive"];

/// Lazily evaluated by the evaluator, checked through expressions below.
const LAZY: &[&str] = &["can", "try"];

fn value(text: &str) -> Value {
    let (expr, errors) = skel_syntax::parse_expr(text);
    assert!(errors.is_empty(), "{text}: {errors:?}");
    skel_eval::eval(&expr, &skel_eval::EmptyScope).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn context() -> (tempfile::TempDir, FsContext) {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("secret.txt"), "hunter2").expect("write");
    std::fs::write(dir.path().join("t.tpl"), "hello ${name}").expect("write");
    let ctx = FsContext::new(dir.path());
    (dir, ctx)
}

#[test]
fn every_function_has_a_case() {
    let covered: Vec<&str> = CASES
        .iter()
        .map(|(name, _)| *name)
        .chain(NO_ARGUMENTS.iter().copied())
        .chain(MARK_FUNCTIONS.iter().copied())
        .chain(LAZY.iter().copied())
        .collect();
    for f in skel_stdlib::all() {
        assert!(
            covered.contains(&f.name),
            "no mark-propagation case for `{}`: add one to CASES in compiler/eval/tests/marks.rs",
            f.name
        );
    }
    for name in &covered {
        assert!(
            skel_stdlib::lookup(name).is_some(),
            "`{name}` is not a function"
        );
    }
}

#[test]
fn every_function_propagates_the_sensitive_mark_from_every_argument() {
    let (_dir, ctx) = context();
    let mut checked = 0;
    for (name, texts) in CASES {
        let f = skel_stdlib::lookup(name).unwrap_or_else(|| panic!("no function {name}"));
        let args: Vec<Value> = texts.iter().map(|t| value(t)).collect();
        let plain = skel_stdlib::call(f, &args, &ctx)
            .unwrap_or_else(|e| panic!("{name}{texts:?} fails unmarked: {e}"));
        assert!(
            plain.deep_marks().is_empty(),
            "{name}: marked without a marked argument"
        );
        for i in 0..args.len() {
            let mut marked = args.clone();
            marked[i] = marked[i].clone().sensitive();
            let result = skel_stdlib::call(f, &marked, &ctx)
                .unwrap_or_else(|e| panic!("{name} with argument {i} marked: {e}"));
            assert!(
                result.deep_marks().is_sensitive(),
                "{name}: the result of a call with argument {i} sensitive is not sensitive: {result:?}"
            );
            assert_eq!(
                result.clone().unmark_deep().0,
                plain,
                "{name}: marking changed the value"
            );
            checked += 1;
        }
        // A mark deep inside an argument (an element of a list, a value of an object) counts too.
        for i in 0..args.len() {
            if let Some(inner) = deep_marked(&args[i]) {
                let mut marked = args.clone();
                marked[i] = inner;
                let result = skel_stdlib::call(f, &marked, &ctx)
                    .unwrap_or_else(|e| panic!("{name} with a part of argument {i} marked: {e}"));
                assert!(
                    result.deep_marks().is_sensitive(),
                    "{name}: a part of argument {i} sensitive, the result is not"
                );
            }
        }
    }
    assert!(checked > 100, "only {checked} argument positions checked");
    for name in NO_ARGUMENTS {
        let f = skel_stdlib::lookup(name).expect("function");
        assert!(
            f.params.is_empty() && f.variadic.is_none(),
            "{name} takes arguments: add a case"
        );
        let result = skel_stdlib::call(f, &[], &ctx).expect("call");
        assert!(result.deep_marks().is_empty());
    }
}

/// The value with its first element or entry marked, when it has one.
fn deep_marked(v: &Value) -> Option<Value> {
    match v {
        Value::List(items) | Value::Tuple(items) if !items.is_empty() => {
            let mut items = items.clone();
            items[0] = items[0].clone().sensitive();
            Some(match v {
                Value::List(_) => Value::List(items),
                _ => Value::Tuple(items),
            })
        }
        Value::Object(m) | Value::Map(m) if !m.is_empty() => {
            let mut m = m.clone();
            let key = m.keys().next().cloned()?;
            let e = m.get(&key).cloned()?;
            m.insert(key, e.sensitive());
            Some(match v {
                Value::Map(_) => Value::Map(m),
                _ => Value::Object(m),
            })
        }
        _ => None,
    }
}

#[test]
fn the_mark_functions() {
    let ctx = FsContext::default();
    let call = |name: &str, args: &[Value]| {
        skel_stdlib::call(skel_stdlib::lookup(name).unwrap(), args, &ctx).unwrap()
    };
    let secret = Value::string("hunter2").sensitive();
    assert_eq!(
        call("sensitive", &[Value::string("x")]).marks(),
        Marks::SENSITIVE
    );
    assert_eq!(
        call("issensitive", std::slice::from_ref(&secret)),
        Value::Bool(true)
    );
    assert_eq!(
        call("issensitive", &[Value::string("x")]),
        Value::Bool(false)
    );
    assert_eq!(call("nonsensitive", &[secret]), Value::string("hunter2"));
}

fn scope() -> BTreeMap<String, Value> {
    let var = Value::Object(
        [
            ("pw".to_string(), Value::string("hunter2").sensitive()),
            ("n".to_string(), Value::number(7).sensitive()),
            ("flag".to_string(), Value::Bool(true).sensitive()),
            (
                "list".to_string(),
                Value::List(vec![Value::string("a"), Value::string("b")]).sensitive(),
            ),
            (
                "map".to_string(),
                Value::Map([("k".to_string(), Value::string("v"))].into()).sensitive(),
            ),
            (
                "objs".to_string(),
                Value::Tuple(vec![Value::Object(
                    [
                        ("id".to_string(), Value::string("i-1")),
                        ("password".to_string(), Value::string("hunter2").sensitive()),
                    ]
                    .into(),
                )]),
            ),
            ("plain".to_string(), Value::string("open")),
        ]
        .into(),
    );
    BTreeMap::from([("var".to_string(), var)])
}

fn eval(text: &str) -> Value {
    let (expr, errors) = skel_syntax::parse_expr(text);
    assert!(errors.is_empty(), "{text}: {errors:?}");
    let (_dir, ctx) = context();
    eval_with(&expr, &scope(), &ctx).unwrap_or_else(|e| panic!("{text}: {e}"))
}

#[test]
fn every_expression_form_propagates_the_mark() {
    for text in [
        // operators
        "var.n + 1",
        "1 - var.n",
        "var.n * 2",
        "var.n / 2",
        "var.n % 2",
        "-var.n",
        "!var.flag",
        "var.n > 1",
        "var.pw == \"x\"",
        "var.list == [\"a\"]",
        "var.flag && true",
        "var.flag || false",
        "true && var.flag",
        // conditionals: on a sensitive condition, and choosing a sensitive branch
        "var.flag ? \"a\" : \"b\"",
        "true ? var.pw : \"b\"",
        // templates, heredocs and directives
        "\"user:${var.pw}\"",
        "\"${var.pw}\"",
        "\"%{if var.flag}yes%{endif}\"",
        "\"%{for x in var.list}${x}%{endfor}\"",
        "<<EOT\nline ${var.pw}\nEOT\n",
        // for expressions over a sensitive collection, and with a sensitive body or condition
        "[for x in var.list : x]",
        "[for x in var.list : \"x\"]",
        "{ for k, v in var.map : k => v }",
        "[for x in [\"a\"] : var.pw]",
        "[for x in [\"a\"] : x if var.flag]",
        "{ for x in [\"a\"] : var.pw => x }",
        // splats, index, attribute access
        "var.objs[*].password",
        "var.list[*]",
        "var.list[0]",
        "var.map[\"k\"]",
        "var.map.k",
        "[\"a\", \"b\"][var.n - 6]",
        "var.objs[0].password",
        // collections holding one
        "[var.pw, \"x\"]",
        "{ a = var.pw }",
        "{ (var.pw) = 1 }",
        // functions, with the sensitive value as a part of an argument or expanded
        "upper(var.pw)",
        "base64encode(var.pw)",
        "substr(var.pw, 0, 7)",
        "jsonencode({ a = var.pw })",
        "join(\",\", [var.pw, \"x\"])",
        "format(\"%s-%s\", var.list...)",
        "md5(var.pw)",
        "sha256(var.pw)",
        "length(var.list)",
        "try(var.pw, \"x\")",
        "try(var.map.missing, var.pw)",
        "can(var.pw)",
        "sensitive(\"x\")",
        "templatefile(\"t.tpl\", { name = var.pw })",
    ] {
        let v = eval(text);
        assert!(
            v.deep_marks().is_sensitive(),
            "`{text}` is not sensitive: {v:?}"
        );
        assert_eq!(
            format!("{v}"),
            format!("{}", redacted_display(&v)),
            "{text}"
        );
    }
    // Parts not derived from a secret stay unmarked.
    for text in [
        "var.objs[0].id",
        "var.objs[*].id",
        "var.plain",
        "nonsensitive(var.pw)",
        "issensitive(var.pw)",
    ] {
        let v = eval(text);
        assert!(v.deep_marks().is_empty(), "`{text}` is marked: {v:?}");
    }
}

/// What `Display` must print for a value with marks: never the secret.
fn redacted_display(v: &Value) -> String {
    let shown = format!("{v}");
    assert!(!shown.contains("hunter2"), "Display leaks: {shown}");
    shown
}

#[test]
fn errors_about_sensitive_values_do_not_quote_them() {
    let (_dir, ctx) = context();
    for text in [
        "tonumber(var.pw)",
        "var.pw + 1",
        "var.map[var.pw]",
        "[for x in var.list : tonumber(x)]",
        "{ for x in [\"a\", \"a\"] : var.pw => x }",
        "\"x${var.list}\"",
        "slice(var.list, 0, 5)",
        "regex(\"^[0-9]+$\", var.pw)",
    ] {
        let (expr, errors) = skel_syntax::parse_expr(text);
        assert!(errors.is_empty(), "{text}: {errors:?}");
        let message = match eval_with(&expr, &scope(), &ctx) {
            Ok(v) => panic!("`{text}` evaluated to {v:?}"),
            Err(e) => e.message,
        };
        for secret in ["hunter2", "\"a\"", "\"b\""] {
            assert!(
                !message.contains(secret),
                "`{text}`: the error quotes {secret}: {message}"
            );
        }
    }
}

#[test]
fn sets_hoist_marks_and_paths_round_trip() {
    let set = Value::set(vec![Value::string("a").sensitive(), Value::string("b")]);
    assert_eq!(set.marks(), Marks::SENSITIVE);
    assert!(
        matches!(set.unmarked(), Value::Set(items) if items.iter().all(|e| e.marks().is_empty()))
    );
    let object = Value::Object(
        [
            ("id".to_string(), Value::string("x")),
            (
                "list".to_string(),
                Value::List(vec![Value::string("p"), Value::string("q").sensitive()]),
            ),
            ("pw".to_string(), Value::string("hunter2").sensitive()),
        ]
        .into(),
    );
    let (plain, paths) = object.clone().unmark_deep_with_paths();
    assert!(plain.deep_marks().is_empty());
    let names: Vec<Vec<String>> = paths.iter().map(|(p, _)| p.clone()).collect();
    assert_eq!(
        names,
        vec![
            vec!["list".to_string(), "1".to_string()],
            vec!["pw".to_string()]
        ]
    );
    assert_eq!(plain.mark_paths(&names, Marks::SENSITIVE), object);
}
