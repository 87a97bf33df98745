//! The YAML functions' promises, pinned so a change of YAML crate cannot change them unseen:
//! documents, anchors and aliases, tags, numbers against strings, null, keys, and the text
//! `yamlencode` writes.

use skel_value::Value;

use crate::testutil::{call, s};

fn decode(src: &str) -> Value {
    call("yamldecode", &[s(src)]).unwrap_or_else(|e| panic!("yamldecode({src:?}): {e:?}"))
}

fn decode_err(src: &str) -> String {
    match call("yamldecode", &[s(src)]) {
        Ok(v) => panic!("yamldecode({src:?}) should fail, gave {v:?}"),
        Err(e) => {
            assert_eq!(e.arg, Some(0), "the error points at the argument");
            e.message
        }
    }
}

fn encode(v: Value) -> String {
    match call("yamlencode", &[v]) {
        Ok(Value::String(text)) => text,
        other => panic!("yamlencode gave {other:?}"),
    }
}

fn obj(entries: &[(&str, Value)]) -> Value {
    Value::Object(
        entries
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    )
}

fn num(n: f64) -> Value {
    Value::Number(skel_value::Number(n))
}

#[test]
fn one_document_only() {
    assert_eq!(decode("---\na: 1\n"), obj(&[("a", num(1.0))]));
    assert_eq!(decode("a: 1\n...\n"), obj(&[("a", num(1.0))]));
    let message = decode_err("a: 1\n---\nb: 2\n");
    assert!(message.starts_with("invalid YAML: "), "{message}");
    assert!(message.contains("more than one document"), "{message}");
    let message = decode_err("---\n---\n");
    assert!(message.contains("more than one document"), "{message}");
}

#[test]
fn empty_documents_are_null() {
    assert_eq!(decode(""), Value::Null);
    assert_eq!(decode("# only a comment\n"), Value::Null);
    assert_eq!(decode("---\n"), Value::Null);
}

#[test]
fn anchors_and_aliases_are_expanded() {
    let v = decode("base: &b {x: 1, y: [a, b]}\nother: *b\nlist: [*b, *b]\n");
    let base = obj(&[("x", num(1.0)), ("y", Value::Tuple(vec![s("a"), s("b")]))]);
    assert_eq!(
        v,
        obj(&[
            ("base", base.clone()),
            ("other", base.clone()),
            ("list", Value::Tuple(vec![base.clone(), base])),
        ])
    );
    // A scalar anchor.
    assert_eq!(
        decode("a: &n 5\nb: *n\n"),
        obj(&[("a", num(5.0)), ("b", num(5.0))])
    );
    // A merge key is an ordinary key (no YAML 1.1 merging).
    assert_eq!(
        decode("base: &b {x: 1}\nchild:\n  <<: *b\n  y: 2\n"),
        obj(&[
            ("base", obj(&[("x", num(1.0))])),
            (
                "child",
                obj(&[("<<", obj(&[("x", num(1.0))])), ("y", num(2.0))])
            ),
        ])
    );
    let message = decode_err("a: *missing\n");
    assert!(message.contains("unknown anchor"), "{message}");
}

#[test]
fn tags_are_dropped_and_core_tags_apply() {
    assert_eq!(decode("!custom 5"), num(5.0));
    assert_eq!(decode("!thing {a: x}"), obj(&[("a", s("x"))]));
    assert_eq!(
        decode("a: !seq [1]\n"),
        obj(&[("a", Value::Tuple(vec![num(1.0)]))])
    );
    assert_eq!(decode("!!str 123"), s("123"));
    assert_eq!(decode("!!str true"), s("true"));
    assert_eq!(decode("!!int 7"), num(7.0));
}

#[test]
fn numbers_against_strings() {
    let v = decode(
        "int: 1\nneg: -3\nfloat: 1.5\nexp: 1e3\nhex: 0x10\noct: 0o10\nquoted: '1'\ndquoted: \"2\"\n\
         leading_zero: 012\nversion: 1.2.3\nbig: 12345678901234567890\ninf: .inf\nplain: abc\n\
         yes: yes\nno: off\ntrue_: true\nfalse_: False\n",
    );
    let m = v.as_mapping().expect("a mapping");
    assert_eq!(m["int"], num(1.0));
    assert_eq!(m["neg"], num(-3.0));
    assert_eq!(m["float"], num(1.5));
    assert_eq!(m["exp"], num(1000.0));
    assert_eq!(m["hex"], num(16.0));
    assert_eq!(m["oct"], num(8.0));
    assert_eq!(m["quoted"], s("1"));
    assert_eq!(m["dquoted"], s("2"));
    // A leading zero is not a YAML 1.2 integer.
    assert_eq!(m["leading_zero"], s("012"));
    assert_eq!(m["version"], s("1.2.3"));
    assert_eq!(m["big"], num(12345678901234567890.0));
    assert_eq!(m["inf"], num(f64::INFINITY));
    assert_eq!(m["plain"], s("abc"));
    // YAML 1.2: `yes` and `off` are strings, only `true`/`false` are booleans.
    assert_eq!(m["yes"], s("yes"));
    assert_eq!(m["no"], s("off"));
    assert_eq!(m["true_"], Value::Bool(true));
    assert_eq!(m["false_"], Value::Bool(false));
}

#[test]
fn null_in_every_spelling() {
    let v = decode("a: ~\nb: null\nc:\nd: Null\ne: NULL\nf: 'null'\n");
    let m = v.as_mapping().expect("a mapping");
    for k in ["a", "b", "c", "d", "e"] {
        assert_eq!(m[k], Value::Null, "{k}");
    }
    assert_eq!(m["f"], s("null"));
    assert_eq!(
        decode("[~, null, '']"),
        Value::Tuple(vec![Value::Null, Value::Null, s("")])
    );
}

#[test]
fn scalar_keys_become_strings() {
    assert_eq!(
        decode("1: a\n1.5: b\ntrue: c\n~: d\n"),
        obj(&[
            ("1", s("a")),
            ("1.5", s("b")),
            ("true", s("c")),
            ("null", s("d")),
        ])
    );
    let message = decode_err("? [a, b]\n: c\n");
    assert_eq!(message, "YAML mapping keys must be scalars");
    let message = decode_err("a: 1\na: 2\n");
    assert!(message.contains("duplicate"), "{message}");
}

#[test]
fn strings_keep_their_text() {
    assert_eq!(decode("a: |\n  x\n  y\n"), obj(&[("a", s("x\ny\n"))]));
    assert_eq!(decode("a: >-\n  x\n  y\n"), obj(&[("a", s("x y"))]));
    assert_eq!(decode("\"ü \\u00e9 \\t\""), s("ü é \t"));
    let message = decode_err("a: [");
    assert!(message.starts_with("invalid YAML: "), "{message}");
}

#[test]
fn encode_text() {
    assert_eq!(encode(obj(&[("a", s("b"))])), "a: b\n");
    assert_eq!(encode(Value::Null), "null\n");
    assert_eq!(encode(num(1.0)), "1\n");
    assert_eq!(encode(num(1.5)), "1.5\n");
    assert_eq!(encode(Value::Bool(true)), "true\n");
    // Strings that would read back as something else are quoted (`yes` is a string in YAML
    // 1.2, so it is not).
    assert_eq!(
        encode(obj(&[
            ("n", s("1")),
            ("b", s("true")),
            ("z", s("null")),
            ("y", s("yes")),
            ("e", s("")),
        ])),
        "b: 'true'\ne: ''\nn: '1'\ny: yes\nz: 'null'\n"
    );
    assert_eq!(encode(s("a\nb")), "|-\n  a\n  b\n");
    assert_eq!(
        encode(obj(&[(
            "l",
            Value::Tuple(vec![num(1.0), s("x"), Value::Tuple(vec![])])
        )])),
        "l:\n- 1\n- x\n- []\n"
    );
    assert_eq!(encode(obj(&[])), "{}\n");
}

#[test]
fn encode_then_decode_round_trips() {
    let v = obj(&[
        ("s", s("1")),
        ("n", num(2.5)),
        ("t", Value::Bool(false)),
        ("z", Value::Null),
        ("multi", s("line one\nline two\n")),
        ("odd", s("- not a list: {x}")),
        ("list", Value::Tuple(vec![s("a"), obj(&[("k", num(3.0))])])),
    ]);
    assert_eq!(decode(&encode(v.clone())), v);
}
