//! Tree-shape tests for every syntax feature.

mod common;

use common::{expr_of, file};
use skel_syntax::*;

#[track_caller]
fn check(src: &str, want: &str) {
    assert_eq!(expr_of(src), want, "for {src}");
}

#[test]
fn literals_and_numbers() {
    check("1", "1");
    check("1.5", "1.5");
    check("1e3", "1e3");
    check("2.5E-3", "2.5E-3");
    check("true", "true");
    check("false", "false");
    check("null", "null");
    check("nullable", "nullable");
}

#[test]
fn operators_and_precedence() {
    check("1 + 2 * 3", "(+ 1 (* 2 3))");
    check("1 - 2 - 3", "(- (- 1 2) 3)");
    check("a || b && c == d", "(|| a (&& b (== c d)))");
    check("a < b + 1", "(< a (+ b 1))");
    check("a != b", "(!= a b)");
    check("a >= b % 2", "(>= a (% b 2))");
    check("-a * !b", "(* (- a) (! b))");
    check("- -a", "(- (- a))");
    check("(1 + 2) * 3", "(* (paren (+ 1 2)) 3)");
}

#[test]
fn conditionals() {
    check("a ? b : c", "(? a b c)");
    check("a ? b : c ? d : e", "(? a b (? c d e))");
    check("a ? b ? c : d : e", "(? a (? b c d) e)");
    check(
        "x == 1 ? \"a\" : \"b\"",
        "(? (== x 1) (tpl \"a\") (tpl \"b\"))",
    );
}

#[test]
fn traversals_and_splats() {
    check("a.b[0].c", "(. ([] (. a b) 0) c)");
    check("a.0.b", "(. ([] a 0) b)");
    check("a[*].b.c", "(splat[*] a (. (. @ b) c))");
    check("a[*].b[0]", "(splat[*] a ([] (. @ b) 0))");
    check("a.*.b.c", "(splat.* a (. (. @ b) c))");
    check("a.*.b[0]", "([] (splat.* a (. @ b)) 0)");
    check(
        "aws_instance.web[*].id",
        "(splat[*] (. aws_instance web) (. @ id))",
    );
}

#[test]
fn calls() {
    check("f()", "(call f)");
    check("f(1, a)", "(call f 1 a)");
    check("f(1, a,)", "(call f 1 a)");
    check("concat(a, b...)", "(call concat a b...)");
    check("f(\n  1,\n  2\n)", "(call f 1 2)");
    check("provider::aws::arn(x)", "(call provider::aws::arn x)");
}

#[test]
fn tuples_and_objects() {
    check("[]", "[]");
    check("[1, 2, 3,]", "[1 2 3]");
    check("[\n  1,\n  2\n]", "[1 2]");
    check("{}", "{}");
    check("{ a = 1, b = 2 }", "{a=1 b=2}");
    check(
        "{\n  a = 1\n  \"b\" : 2,\n  (c) = 3\n}",
        "{a=1 (tpl \"b\"):2 (paren c)=3}",
    );
    check("{ null = 1 }", "{null=1}");
    check("{ a = [1,\n 2] }", "{a=[1 2]}");
}

#[test]
fn for_expressions() {
    check("[for v in xs : v]", "(for[] v xs v)");
    check(
        "[for k, v in m : \"${k}\" if v]",
        "(for[] k,v m (tpl ${k}) if v)",
    );
    check("{for k, v in m : k => v}", "(for{} k,v m k v)");
    check(
        "{for k, v in m : v => k... if k != \"\"}",
        "(for{} k,v m v k... if (!= k (tpl )))",
    );
    check("[\n  for x in xs :\n  x\n]", "(for[] x xs x)");
}

#[test]
fn strings_and_escapes() {
    check(r#""a\nb\t\"\\""#, r#"(tpl "a\nb\t\"\\")"#);
    check(r#""\u00e9\U0001F600""#, "(tpl \"é😀\")");
    check(r#""$${x} %%{y}""#, "(tpl \"${x} %{y}\")");
    check(r#""a${b}c""#, "(tpl \"a\" ${b} \"c\")");
    check(r#""${~ b ~}""#, "(tpl ${~<~>b})");
    check(r#""x ${~b} y""#, "(tpl \"x\" ${~<b} \" y\")");
    check(r#""${a.b[0]}""#, "(tpl ${([] (. a b) 0)})");
}

#[test]
fn template_directives() {
    check(
        r#""%{if a}yes%{else}no%{endif}""#,
        "(tpl (if a [\"yes\"] else [\"no\"]))",
    );
    check(
        r#""%{for k, v in m}${k}%{endfor}""#,
        "(tpl (for k,v m [${k}]))",
    );
    check(r#""%{ if a ~} x %{~ endif }""#, "(tpl (if a [\"x\"]))");
}

#[test]
fn heredocs() {
    check(
        "<<EOT\nhello\n  ${name}\nEOT",
        "(heredoc EOT \"hello\\n  \" ${name} \"\\n\")",
    );
    check(
        "<<-EOT\n    a\n      b\n    EOT",
        "(heredoc EOT- \"a\\n  b\\n\")",
    );
    check("<<EOT\nEOT", "(heredoc EOT )");
    let p = parse("a = <<EOT\nx\nEOT\nb = 1\n");
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_eq!(file(&p), "a = (heredoc EOT \"x\\n\")\nb = 1");
    let p = parse("a = f(<<EOT\nx\nEOT\n, 1)\n");
    assert!(p.errors.is_empty(), "{:?}", p.errors);
}

#[test]
fn blocks_labels_and_comments() {
    let src = "# c1\nresource \"aws_instance\" web { // c2\n  ami = \"x\" /* c3 */\n  nested {}\n  one { x = 1 }\n}\n";
    let p = parse(src);
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_eq!(
        file(&p),
        "resource \"aws_instance\" web { ami = (tpl \"x\"); nested {  }; one { x = 1 } }"
    );
    let texts: Vec<&str> = p.file.comments.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(texts, ["# c1", "// c2", "/* c3 */"]);
    assert_eq!(p.file.comments[0].kind, CommentKind::Hash);
    assert_eq!(p.file.comments[2].range, TextRange::new(53, 61));
}

#[test]
fn ranges_are_relative_to_the_top_item() {
    let src = "a = 1\n\nb {\n  c = d.e\n}\n";
    let p = parse(src);
    let top = &p.file.items[1];
    assert_eq!(top.offset, 7);
    let Item::Block(b) = &*top.item else { panic!() };
    assert_eq!(b.range, TextRange::new(0, 15));
    let a = b.body.attribute("c").unwrap();
    assert_eq!(a.range, TextRange::new(6, 13));
    assert_eq!(
        &src[a.expr.range.shifted(top.offset).as_usize_range()],
        "d.e"
    );
    assert_eq!(top.absolute_range(), TextRange::new(7, 22));
}

#[test]
fn newlines_end_attributes() {
    let p = parse("a = 1 +\n  2\n");
    assert!(!p.errors.is_empty());
    let p = parse("a = (1 +\n  2)\n");
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    let p = parse("a = b\nc = d\n");
    assert_eq!(file(&p), "a = b\nc = d");
}

#[test]
fn standalone_expressions() {
    let (e, errors) = parse_expr("list(object({ a = string }))");
    assert!(errors.is_empty());
    assert_eq!(common::sexpr(&e), "(call list (call object {a=string}))");
    let (e, errors) = parse_expr("[\n\"a\",\n\"b\"\n]");
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(e.range, TextRange::new(0, 12));
    let (e, errors) = parse_expr("1 +");
    assert_eq!(e.kind, ExprKind::Error);
    assert_eq!(
        errors[0].message,
        "expected an expression, found end of file"
    );
}

/// `null.one` is the literal `null` with an attribute step, as in HCL; read as traversal
/// syntax (a resource's `provider`), the keyword is the name it spells.
#[test]
fn keywords_read_as_traversal_roots() {
    check("null.one", "(. null one)");
    for (src, root, alias) in [
        ("null.one", "null", Some("one")),
        ("true.x", "true", Some("x")),
        ("false", "false", None),
        ("aws.west", "aws", Some("west")),
        ("aws", "aws", None),
    ] {
        let (expr, errors) = parse_expr(src);
        assert!(errors.is_empty(), "{src}: {errors:?}");
        let (name, steps) = expr.as_abs_traversal().expect(src);
        assert_eq!(name.name, root, "{src}");
        let got = match steps.as_slice() {
            [] => None,
            [Step::Attr(a)] => Some(a.name.as_str()),
            _ => panic!("{src}: {steps:?}"),
        };
        assert_eq!(got, alias, "{src}");
    }
    // Literals that are no names are no traversals.
    for src in ["1.x", "\"aws\".west", "null + 1"] {
        let (expr, _) = parse_expr(src);
        assert!(expr.as_abs_traversal().is_none(), "{src}");
    }
    // The plain reading keeps `null` a literal.
    assert!(parse_expr("null.one").0.as_traversal().is_none());
}
