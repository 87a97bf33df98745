//! Error recovery: several errors per file, good items kept, human messages.

mod common;

use common::file;
use skel_syntax::*;

#[test]
fn typing_inside_a_block_keeps_the_block() {
    let src = "resource \"x\" \"y\" {\n  name = \"a\"\n  ami = \n  size = 2\n}\n";
    let p = parse(src);
    assert_eq!(p.errors.len(), 1, "{:?}", p.errors);
    assert_eq!(
        p.errors[0].message,
        "expected an expression, found a newline"
    );
    assert_eq!(
        file(&p),
        "resource \"x\" \"y\" { name = (tpl \"a\"); ERROR; size = 2 }"
    );
    let p = parse("resource \"x\" \"y\" { ami = }\n");
    assert_eq!(p.errors[0].message, "expected an expression, found `}`");
    assert_eq!(p.errors[0].range, TextRange::new(25, 26));
    assert_eq!(file(&p), "resource \"x\" \"y\" { ERROR }");
}

#[test]
fn two_errors_in_one_file_and_good_blocks_survive() {
    let src = "a {\n  x = \n}\n\nb {\n  y = 1 +\n}\n\nc {\n  z = 3\n}\n";
    let p = parse(src);
    assert_eq!(p.errors.len(), 2, "{:?}", p.errors);
    assert!(p.errors[0].range.start() < p.errors[1].range.start());
    assert_eq!(file(&p), "a { ERROR }\nb { ERROR }\nc { z = 3 }");
}

#[test]
fn nested_block_errors_recover_inside() {
    let src = "a {\n  b {\n    ok = 1\n    bad = [\n  }\n  after = 2\n}\n";
    let p = parse(src);
    assert!(!p.errors.is_empty());
    let Item::Block(a) = &*p.file.items[0].item else {
        panic!("{:?}", p.file.items)
    };
    assert_eq!(a.ident.name, "a");
}

#[test]
fn unclosed_brace_at_eof() {
    let src = "resource \"x\" \"y\" {\n  a = 1\n  b = \"two\"\n";
    let p = parse(src);
    assert_eq!(p.errors.len(), 1, "{:?}", p.errors);
    assert_eq!(p.errors[0].message, "unclosed `{`");
    assert_eq!(p.errors[0].range, TextRange::new(17, 18));
    assert_eq!(
        file(&p),
        "resource \"x\" \"y\" { a = 1; b = (tpl \"two\") }"
    );
}

#[test]
fn scanner_errors_are_human() {
    let p = parse("a = \"abc\nb = 1\n");
    assert_eq!(p.errors[0].message, "unterminated string");
    assert_eq!(file(&p), "ERROR\nb = 1");
    let p = parse("a = <<EOT\nxx\n");
    assert_eq!(
        p.errors[0].message,
        "unterminated heredoc: no line `EOT` ends it"
    );
    let p = parse("/* x\n");
    assert_eq!(p.errors[0].message, "unterminated comment");
    let p = parse("a = (1, 2\n");
    assert_eq!(p.errors[0].message, "unclosed `(`");
}

#[test]
fn messages_never_name_pest_rules() {
    for src in [
        "a",
        "a b",
        "a \"b\"",
        "= 1",
        "a = 1 2",
        "a = {b}",
        "a = [1 2]",
        "a { b = 1 } c",
        "a = f(",
        "}",
    ] {
        let p = parse(src);
        assert!(!p.errors.is_empty(), "{src}");
        for e in &p.errors {
            assert!(
                !e.message.contains('_') && !e.message.contains("Rule"),
                "{src}: {}",
                e.message
            );
        }
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let src = format!("a = {}1{}\n", "(".repeat(10_000), ")".repeat(10_000));
    let p = parse(&src);
    assert!(p.errors[0].message.starts_with("nesting too deep"));
    let src = format!("a = x{}\n", ".b".repeat(5000));
    let p = parse(&src);
    assert_eq!(p.errors[0].message, "expression nested too deeply");
    let (_, errors) = parse_expr(&"[".repeat(1000));
    assert!(!errors.is_empty());
}
