//! Evaluator tests: source text parsed with `skel_syntax::parse_expr`, evaluated in a scope.

use std::collections::BTreeMap;

use skel_stdlib::NoContext;
use skel_syntax::{Expr, ExprKind, TextRange};
use skel_value::{Type, Value};

use crate::{eval, eval_with, EvalError, FsContext, Scope};

fn scope() -> BTreeMap<String, Value> {
    let mut s = BTreeMap::new();
    let obj = |items: &[(&str, Value)]| {
        Value::Object(
            items
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    };
    s.insert(
        "var".into(),
        obj(&[
            ("name", Value::string("web")),
            ("n", Value::number(3)),
            (
                "list",
                Value::List(vec![Value::string("a"), Value::string("b")]),
            ),
            (
                "map",
                Value::Map(
                    [
                        ("x".into(), Value::number(1)),
                        ("y".into(), Value::number(2)),
                    ]
                    .into(),
                ),
            ),
            (
                "items",
                Value::Tuple(vec![
                    obj(&[("id", Value::string("i1"))]),
                    obj(&[("id", Value::string("i2"))]),
                ]),
            ),
            ("unknown", Value::Unknown(Type::String)),
            ("unknown_list", Value::Unknown(Type::list(Type::String))),
            ("nothing", Value::Null),
            ("flag", Value::Bool(true)),
        ]),
    );
    s
}

fn parse(src: &str) -> Expr {
    let (expr, errors) = skel_syntax::parse_expr(src);
    assert!(errors.is_empty(), "syntax errors in {src:?}: {errors:?}");
    expr
}

fn run(src: &str) -> Result<Value, EvalError> {
    eval_with(&parse(src), &scope(), &NoContext)
}

fn ok(src: &str) -> Value {
    match run(src) {
        Ok(v) => v,
        Err(e) => panic!("{src}: {e:?}"),
    }
}

fn fails(src: &str) -> String {
    match run(src) {
        Ok(v) => panic!("{src} evaluated to {v}"),
        Err(e) => e.message,
    }
}

fn s(v: &str) -> Value {
    Value::string(v)
}
fn n(v: f64) -> Value {
    Value::number(v)
}
fn strs(items: &[&str]) -> Value {
    Value::Tuple(items.iter().map(|i| s(i)).collect())
}

#[test]
fn literals_and_operators() {
    assert_eq!(ok("1 + 2 * 3"), n(7.0));
    assert_eq!(ok("(1 + 2) * 3"), n(9.0));
    assert_eq!(ok("\"2\" + 3"), n(5.0));
    assert_eq!(ok("7 % 3"), n(1.0));
    assert_eq!(ok("-var.n"), n(-3.0));
    assert_eq!(ok("10 / 4"), n(2.5));
    assert!(fails("1 / 0").contains("divide by zero"));
    assert!(fails("\"x\" + 1").contains("number"));
    assert!(fails("var.nothing + 1").contains("null"));
    assert_eq!(ok("1 < 2"), Value::Bool(true));
    assert_eq!(ok("\"10\" >= 9"), Value::Bool(true));
    assert_eq!(ok("1 == \"1\""), Value::Bool(false));
    assert_eq!(ok("\"a\" != \"b\""), Value::Bool(true));
    assert_eq!(ok("[1, 2] == [1, 2]"), Value::Bool(true));
    assert_eq!(ok("null == var.nothing"), Value::Bool(true));
    assert_eq!(ok("!var.flag"), Value::Bool(false));
    assert_eq!(ok("true && \"false\""), Value::Bool(false));
    assert_eq!(ok("true || undefined_name"), Value::Bool(true));
    assert_eq!(ok("false && undefined_name"), Value::Bool(false));
    assert!(fails("1 && true").contains("bool"));
}

#[test]
fn unknowns_propagate() {
    assert_eq!(ok("var.unknown == \"a\""), Value::Unknown(Type::Bool));
    assert_eq!(ok("var.n + var.unknown"), Value::Unknown(Type::Number));
    assert_eq!(ok("\"x-${var.unknown}\""), Value::Unknown(Type::String));
    assert_eq!(
        ok("var.unknown != \"\" ? \"a\" : \"b\""),
        Value::Unknown(Type::String)
    );
    assert_eq!(ok("upper(var.unknown)"), Value::Unknown(Type::String));
    assert_eq!(ok("var.unknown_list[0]"), Value::Unknown(Type::String));
    assert_eq!(ok("length(var.unknown_list)"), Value::Unknown(Type::Number));
    assert_eq!(
        ok("[for x in var.unknown_list : x]"),
        Value::Unknown(Type::Dynamic)
    );
    assert_eq!(ok("var.unknown == \"a\" || true"), Value::Bool(true));
    assert_eq!(ok("can(var.unknown)"), Value::Unknown(Type::Bool));
}

#[test]
fn conditionals() {
    assert_eq!(ok("var.flag ? \"yes\" : \"no\""), s("yes"));
    assert_eq!(ok("var.n > 5 ? 1 : 2"), n(2.0));
    assert_eq!(ok("true ? 1 : \"a\""), s("1"));
    assert_eq!(ok("length(var.list) > 5 ? var.list[9] : null"), Value::Null);
    assert!(fails("\"maybe\" ? 1 : 2").contains("bool"));
}

#[test]
fn templates() {
    assert_eq!(ok("\"hello ${var.name}!\""), s("hello web!"));
    assert_eq!(ok("\"${var.n}\""), n(3.0));
    assert_eq!(ok("\"n=${var.n} ${var.flag}\""), s("n=3 true"));
    assert_eq!(ok("\"%{ if var.flag }on%{ else }off%{ endif }\""), s("on"));
    assert_eq!(
        ok("\"%{ for x in var.list }[${x}]%{ endfor }\""),
        s("[a][b]")
    );
    assert_eq!(ok("\"a ${~ \"b\" ~} c\""), s("abc"));
    assert_eq!(
        ok("\"x %{~ for x in var.list ~} ${x} %{~ endfor ~} y\""),
        s("xaby")
    );
    assert_eq!(ok("\"$${literal} %%{x}\""), s("${literal} %{x}"));
    assert!(fails("\"a ${var.list}\"").contains("string"));
    assert!(fails("\"a ${var.nothing}\"").contains("null"));
    assert_eq!(ok("<<EOT\nhi ${var.name}\nEOT\n"), s("hi web\n"));
    assert_eq!(ok("<<-EOT\n    a\n      b\n    EOT\n"), s("a\n  b\n"));
}

#[test]
fn collections_and_access() {
    assert_eq!(ok("[1, \"a\"]"), Value::Tuple(vec![n(1.0), s("a")]));
    let o = ok("{ a = 1, \"b\" = 2, (var.name) = 3, 4 = 5 }");
    let m = o.as_mapping().unwrap();
    assert_eq!(m.keys().collect::<Vec<_>>(), ["4", "a", "b", "web"]);
    assert_eq!(ok("{ var = 1 }").as_mapping().unwrap()["var"], n(1.0));
    assert_eq!(ok("var.list[1]"), s("b"));
    assert_eq!(ok("var.list[\"0\"]"), s("a"));
    assert_eq!(ok("var.map.x"), n(1.0));
    assert_eq!(ok("var.map[\"y\"]"), n(2.0));
    assert_eq!(ok("var.items[0].id"), s("i1"));
    assert_eq!(ok("var.items.0.id"), s("i1"));
    assert!(fails("var.list[5]").contains("out of range"));
    assert!(fails("var.list[-1]").contains("non-negative"));
    assert!(fails("var.map.z").contains("\"z\""));
    assert!(fails("var.nope").contains("\"nope\""));
    assert!(fails("var.nothing.x").contains("null"));
    assert!(fails("var.list.x").contains("[*]"));
    assert!(fails("undefined_name").contains("undeclared"));
}

#[test]
fn splats() {
    assert_eq!(ok("var.items[*].id"), strs(&["i1", "i2"]));
    assert_eq!(ok("var.items.*.id"), strs(&["i1", "i2"]));
    assert_eq!(ok("var.nothing[*]"), Value::Tuple(vec![]));
    assert_eq!(ok("var.name[*]"), strs(&["web"]));
    assert_eq!(ok("var.list[*]"), Value::List(vec![s("a"), s("b")]));
    assert_eq!(ok("length(var.items[*].id)"), n(2.0));
}

#[test]
fn for_expressions() {
    assert_eq!(ok("[for x in var.list : upper(x)]"), strs(&["A", "B"]));
    assert_eq!(
        ok("[for i, x in var.list : \"${i}:${x}\"]"),
        strs(&["0:a", "1:b"])
    );
    assert_eq!(ok("[for x in var.list : x if x != \"a\"]"), strs(&["b"]));
    assert_eq!(
        ok("[for k, v in var.map : \"${k}=${v}\"]"),
        strs(&["x=1", "y=2"])
    );
    let o = ok("{for x in var.list : x => upper(x)}");
    assert_eq!(
        o,
        Value::Object([("a".into(), s("A")), ("b".into(), s("B"))].into())
    );
    let g = ok("{for x in [\"a\", \"ab\", \"b\"] : substr(x, 0, 1) => x...}");
    assert_eq!(
        g,
        Value::Object([("a".into(), strs(&["a", "ab"])), ("b".into(), strs(&["b"]))].into())
    );
    assert!(fails("{for x in [\"a\", \"a\"] : x => x}").contains("duplicate"));
    assert!(fails("[for x in var.nothing : x]").contains("null"));
    assert!(fails("[for x in 5 : x]").contains("iterated"));
    assert_eq!(
        ok("[for x in toset([\"b\", \"a\"]) : x]"),
        strs(&["a", "b"])
    );
    assert_eq!(
        ok("[for x in var.list : [for y in var.list : \"${x}${y}\"]]")
            .as_sequence()
            .map(|s| s.len()),
        Some(2)
    );
}

#[test]
fn function_calls() {
    assert_eq!(ok("join(\",\", var.list)"), s("a,b"));
    assert_eq!(ok("max([1, 5, 2]...)"), n(5.0));
    assert_eq!(ok("format(\"%s-%d\", var.name, var.n)"), s("web-3"));
    assert_eq!(ok("try(var.nope, \"fallback\")"), s("fallback"));
    assert_eq!(ok("try(var.name, \"fallback\")"), s("web"));
    assert!(fails("try(var.nope, var.nope2)").contains("try"));
    assert_eq!(ok("can(var.nope)"), Value::Bool(false));
    assert_eq!(ok("can(var.name)"), Value::Bool(true));
    assert!(fails("nosuchfn(1)").contains("unknown function"));
    assert!(fails("upper()").contains("argument"));
    assert!(fails("upper(var.list)").contains("string"));
    assert!(fails("max(5...)").contains("expanded"));
    let err = run("element(var.list, \"x\")").unwrap_err();
    assert_eq!(err.range, TextRange::new(18, 21));
}

#[test]
fn templatefile_through_fs_context() {
    let dir = std::env::temp_dir().join(format!("skel_eval_test_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("t.tpl"),
        "Hello ${name}!\n%{ for x in items ~}\n- ${x}\n%{ endfor ~}\n",
    )
    .unwrap();
    let ctx = FsContext::new(&dir);
    let expr = parse("templatefile(\"t.tpl\", { name = \"you\", items = [\"a\", \"b\"] })");
    let v = eval_with(&expr, &scope(), &ctx).unwrap();
    assert_eq!(v, s("Hello you!\n- a\n- b\n"));
    let expr = parse("fileexists(\"t.tpl\")");
    assert_eq!(eval_with(&expr, &scope(), &ctx), Ok(Value::Bool(true)));
    let expr = parse("file(\"missing.txt\")");
    assert!(eval_with(&expr, &scope(), &ctx).is_err());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn templatefile_that_renders_itself_is_an_error_not_a_stack_overflow() {
    let dir = std::env::temp_dir().join(format!("skel_eval_self_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("self.tpl"), "x${templatefile(\"self.tpl\", {})}").unwrap();
    std::fs::write(dir.join("a.tpl"), "a${templatefile(\"b.tpl\", {})}").unwrap();
    std::fs::write(dir.join("b.tpl"), "b${templatefile(\"a.tpl\", {})}").unwrap();
    std::fs::write(dir.join("leaf.tpl"), "leaf").unwrap();
    std::fs::write(dir.join("outer.tpl"), "<${templatefile(\"leaf.tpl\", {})}>").unwrap();
    let ctx = FsContext::new(&dir);
    for name in ["self.tpl", "a.tpl"] {
        let expr = parse(&format!("templatefile(\"{name}\", {{}})"));
        let error = eval_with(&expr, &scope(), &ctx).unwrap_err();
        assert!(error.message.contains("renders itself"), "{name}: {error}");
    }
    // Templates that include other templates (without a cycle) still work.
    let expr = parse("templatefile(\"outer.tpl\", {})");
    assert_eq!(eval_with(&expr, &scope(), &ctx), Ok(s("<leaf>")));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn hand_built_ast_and_error_expr() {
    let e = Expr::new(ExprKind::Error, TextRange::new(0, 3));
    assert_eq!(eval(&e, &scope()).unwrap_err().range, TextRange::new(0, 3));
    let splat_item = Expr::new(ExprKind::SplatItem, TextRange::new(0, 1));
    assert!(eval(&splat_item, &crate::EmptyScope).is_err());
    struct One;
    impl Scope for One {
        fn lookup(&self, name: &str) -> Option<Value> {
            (name == "count").then(|| Value::Object([("index".into(), Value::number(2))].into()))
        }
    }
    assert_eq!(eval(&parse("count.index * 2"), &One), Ok(n(4.0)));
}

/// A scope that counts whole-root copies: a path `module.a.id` must be read in place.
struct Counting {
    roots: BTreeMap<String, Value>,
    copies: std::cell::Cell<usize>,
}

impl Scope for Counting {
    fn lookup(&self, name: &str) -> Option<Value> {
        self.copies.set(self.copies.get() + 1);
        self.roots.get(name).cloned()
    }

    fn lookup_ref(&self, name: &str) -> Option<&Value> {
        self.roots.get(name)
    }
}

#[test]
fn attribute_paths_are_read_in_place_with_the_same_values_and_errors() {
    let call = |id: &str| Value::Object([("id".into(), Value::string(id))].into());
    let secret = Value::Object([("id".into(), Value::string("s"))].into())
        .mark(skel_value::Marks::SENSITIVE);
    let module = Value::Object(
        [
            ("a".into(), call("i-a")),
            ("b".into(), call("i-b")),
            ("secret".into(), secret),
            ("later".into(), Value::Unknown(Type::Dynamic)),
        ]
        .into(),
    );
    let scope = Counting {
        roots: BTreeMap::from([("module".to_string(), module)]),
        copies: std::cell::Cell::new(0),
    };
    let run = |src: &str| eval_with(&parse(src), &scope, &NoContext);
    assert_eq!(
        run("[module.a.id, module.b.id]"),
        Ok(Value::Tuple(vec![s("i-a"), s("i-b")]))
    );
    assert_eq!(
        scope.copies.get(),
        0,
        "no copy of the whole `module` object"
    );
    // Through a marked object: the general path, which keeps the mark.
    assert_eq!(
        run("module.secret.id"),
        Ok(s("s").mark(skel_value::Marks::SENSITIVE))
    );
    // Through an unknown value: unknown, as before.
    assert!(matches!(run("module.later.id"), Ok(Value::Unknown(_))));
    // A missing attribute is the general path's error.
    let e = run("module.c.id").unwrap_err();
    assert!(e.message.contains("\"c\""), "{}", e.message);
    // A `for` variable of the same name hides the scope's root.
    assert_eq!(
        run("[for module in [{ a = { id = 1 } }] : module.a.id]"),
        Ok(Value::Tuple(vec![n(1.0)]))
    );
}
