//! Files as editors save them and syntax met in real Terraform code: a byte-order mark, CRLF
//! line ends (heredocs included), heredocs inside lists, objects and calls, and an unterminated
//! heredoc reported once.

mod common;

use common::{file, sexpr};
use skel_syntax::*;

const BOM: &str = "\u{FEFF}";

/// Every way a parse can go through: the fast path and pest alone must agree.
#[track_caller]
fn parse_both(src: &str) -> Parse {
    let fast = parse(src);
    let pest = parse_with_pest_only(src);
    assert_eq!(fast, pest, "fast and pest paths differ for {src:?}");
    fast
}

fn attr_expr(p: &Parse, idx: usize) -> &Expr {
    match &*p.file.items[idx].item {
        Item::Attribute(a) => &a.expr,
        other => panic!("not an attribute: {other:?}"),
    }
}

#[test]
fn a_byte_order_mark_is_skipped_and_offsets_stay_absolute() {
    let src = format!("{BOM}variable \"a\" {{\n  default = 1\n}}\nb = 2 +\n");
    let p = parse_both(&src);
    // One error, the real one on line 4; none at the mark.
    assert_eq!(p.errors.len(), 1, "{:?}", p.errors);
    let at = src.find("2 +").unwrap() + 3;
    assert!(
        p.errors[0].range.start() as usize >= at,
        "{:?} is before {at}",
        p.errors[0]
    );
    assert_eq!(p.file.items[0].offset, 3, "the item starts after the mark");
    assert_eq!(
        file(&p).lines().next(),
        Some("variable \"a\" { default = 1 }")
    );
    // A mark alone, or before a comment, is an empty file.
    assert!(parse_both(BOM).errors.is_empty());
    let p = parse_both(&format!("{BOM}# note\n"));
    assert!(p.errors.is_empty());
    assert_eq!(p.file.comments[0].range, TextRange::new(3, 9));
    // Only at the start: a mark elsewhere is still an error.
    assert!(!parse_both(&format!("a = 1\n{BOM}b = 2\n"))
        .errors
        .is_empty());
}

#[test]
fn crlf_line_ends_are_accepted_everywhere() {
    let lf = "variable \"v\" {\n  type = list(string)\n  default = [\n    \"a\",\n    \"b\",\n  ]\n}\n\
              locals {\n  o = {\n    a = 1\n    b = [for x in [1, 2] :\n      x]\n  }\n  # c\n  h = <<-EOT\n    one\n      two\n    EOT\n  q = f(\n    1,\n  )\n}\n";
    let crlf = lf.replace('\n', "\r\n");
    let p_lf = parse_both(lf);
    let p_crlf = parse_both(&crlf);
    assert!(p_lf.errors.is_empty(), "{:?}", p_lf.errors);
    assert!(p_crlf.errors.is_empty(), "{:?}", p_crlf.errors);
    // The same tree except for the heredoc's line ends, which HCL keeps as written.
    assert_eq!(file(&p_crlf), file(&p_lf).replace("\\n", "\\r\\n"));
    assert_eq!(p_crlf.file.comments[0].text, "# c");
}

#[test]
fn a_crlf_heredoc_keeps_its_line_ends_as_hcl_does() {
    let p = parse_both("x = <<-EOT\r\n    a\r\n      b\r\n\r\n    EOT\r\ny = 1\r\n");
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_eq!(
        sexpr(attr_expr(&p, 0)),
        "(heredoc EOT- \"a\\r\\n  b\\r\\n\\r\\n\")"
    );
    assert_eq!(sexpr(attr_expr(&p, 1)), "1");
    let p = parse_both("x = <<EOT\r\nhi ${n}\r\nEOT\r\n");
    assert_eq!(
        sexpr(attr_expr(&p, 0)),
        "(heredoc EOT \"hi \" ${n} \"\\r\\n\")"
    );
}

#[test]
fn heredocs_inside_lists_objects_and_calls() {
    let cases = [
        // The helm_release form: the closing bracket on the next line.
        (
            "v = [<<-EOT\n    a: 1\n  EOT\n]\n",
            "[(heredoc EOT- \"a: 1\\n\")]",
        ),
        (
            "v = [<<-EOT\n    a: 1\n  EOT\n  ,\n]\n",
            "[(heredoc EOT- \"a: 1\\n\")]",
        ),
        (
            "v = [\n  <<-EOT\n    a\n  EOT\n  , \"x\"]\n",
            "[(heredoc EOT- \"a\\n\") (tpl \"x\")]",
        ),
        (
            "v = [\n  \"x\",\n  <<EOT\na\nEOT\n  ,\n  <<EOT\nb\nEOT\n]\n",
            "[(tpl \"x\") (heredoc EOT \"a\\n\") (heredoc EOT \"b\\n\")]",
        ),
        (
            "v = max(<<EOT\n1\nEOT\n)\n",
            "(call max (heredoc EOT \"1\\n\"))",
        ),
        (
            "v = f(<<EOT\n1\nEOT\n  , <<EOT\n2\nEOT\n)\n",
            "(call f (heredoc EOT \"1\\n\") (heredoc EOT \"2\\n\"))",
        ),
        (
            "v = {a = <<EOT\nhi\nEOT\n}\n",
            "{a=(heredoc EOT \"hi\\n\")}",
        ),
        (
            "v = {\n  a = [<<EOT\nhi\nEOT\n  ]\n  b = 2\n}\n",
            "{a=[(heredoc EOT \"hi\\n\")] b=2}",
        ),
        (
            "v = (<<EOT\nhi\nEOT\n)\n",
            "(paren (heredoc EOT \"hi\\n\"))",
        ),
    ];
    for (src, want) in cases {
        for text in [src.to_string(), src.replace('\n', "\r\n")] {
            let p = parse_both(&text);
            assert!(p.errors.is_empty(), "{text:?}: {:?}", p.errors);
            let want = if text.contains('\r') {
                want.replace("\\n", "\\r\\n")
            } else {
                want.to_string()
            };
            assert_eq!(sexpr(attr_expr(&p, 0)), want, "for {text:?}");
        }
    }
    // Inside a resource block, as real modules write it.
    let src = "resource \"helm_release\" \"x\" {\n  values = [<<-EOT\n    a: 1\n  EOT\n  ]\n  name = \"n\"\n}\n";
    let p = parse_both(src);
    assert!(p.errors.is_empty(), "{:?}", p.errors);
}

#[test]
fn an_unterminated_heredoc_is_one_error_at_its_opener_naming_the_marker() {
    for src in [
        "locals {\n  v = <<EOT\nabc\n  y = 2\n}\noutput \"o\" { value = 1 }\n",
        "locals {\n  v = [<<-END_OF_TEXT\n    abc\n  ]\n}\n",
        "v = f(<<EOT\nabc\n",
        "v = <<EOT\n",
    ] {
        for text in [src.to_string(), src.replace('\n', "\r\n")] {
            let p = parse_both(&text);
            assert_eq!(p.errors.len(), 1, "{text:?}: {:?}", p.errors);
            let e = &p.errors[0];
            let at = text.find("<<").unwrap();
            assert_eq!(
                e.range,
                TextRange::new(at as u32, at as u32 + 2),
                "{text:?}"
            );
            let marker = if text.contains("END_OF_TEXT") {
                "END_OF_TEXT"
            } else {
                "EOT"
            };
            assert!(e.message.contains(&format!("`{marker}`")), "{}", e.message);
            assert!(
                e.message.starts_with("unterminated heredoc"),
                "{}",
                e.message
            );
            assert!(e.help.as_deref().unwrap_or("").contains(marker));
        }
    }
}

#[test]
fn formatting_keeps_line_ends_and_the_mark() {
    let lf = "locals {\n  a = 1\n  bb = [\n    1,\n  ]\n  h = <<EOT\nx\nEOT\n}\n";
    let formatted_lf = format(lf).unwrap();
    assert!(!formatted_lf.contains('\r'));
    // CRLF in, CRLF out: every line end, heredoc lines included, no bare `\n`, no `\r\r`.
    let crlf = lf.replace('\n', "\r\n");
    let out = format(&crlf).unwrap();
    assert_eq!(out, formatted_lf.replace('\n', "\r\n"));
    assert!(!out.contains("\r\r"));
    assert_eq!(out.matches('\n').count(), out.matches("\r\n").count());
    // Idempotent.
    assert_eq!(format(&out).unwrap(), out);
    // The mark is kept, with either line end.
    for src in [lf.to_string(), crlf.clone()] {
        let marked = format!("{BOM}{}", src.replace("a = 1", "a     = 1"));
        let out = format(&marked).unwrap();
        assert!(out.starts_with(BOM), "{out:?}");
        assert_eq!(out.matches(BOM).count(), 1);
        assert_eq!(&out[BOM.len()..], format(&src).unwrap());
        assert_eq!(format(&out).unwrap(), out);
    }
    // A file without a mark does not get one.
    assert!(!format(lf).unwrap().starts_with(BOM));
}
