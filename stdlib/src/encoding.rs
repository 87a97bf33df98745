//! Encoding functions: base64, JSON, YAML and URL encoding.

use base64::Engine;
use skel_value::{Type, Value};

use crate::util::{arg, func, p, pn, ret_dynamic, ret_string, str_arg};
use crate::{CallError, Function};

pub(crate) fn functions() -> Vec<Function> {
    let s = || Type::String;
    vec![
        func(
            "base64decode",
            "Decodes a Base64 string; the result must be valid UTF-8.",
            vec![p("str", s())],
            ret_string,
            |a, _| {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(str_arg(a, 0)?)
                    .map_err(|e| CallError::at(0, format!("failed to decode base64 data: {e}")))?;
                String::from_utf8(bytes).map(Value::String).map_err(|_| {
                    CallError::at(
                        0,
                        "the result of decoding the provided string is not valid UTF-8",
                    )
                })
            },
        ),
        func(
            "base64encode",
            "Encodes a string's UTF-8 bytes as Base64.",
            vec![p("str", s())],
            ret_string,
            |a, _| {
                Ok(Value::String(
                    base64::engine::general_purpose::STANDARD.encode(str_arg(a, 0)?),
                ))
            },
        ),
        func(
            "jsondecode",
            "Parses a JSON string into a value (arrays become tuples, objects become objects).",
            vec![p("str", s())],
            ret_dynamic,
            |a, _| {
                let json: serde_json::Value = serde_json::from_str(str_arg(a, 0)?)
                    .map_err(|e| CallError::at(0, format!("invalid JSON: {e}")))?;
                Ok(Value::from_json(&json))
            },
        ),
        func(
            "jsonencode",
            "Encodes a value as JSON.",
            vec![pn("val", Type::Dynamic)],
            ret_string,
            |a, _| Ok(Value::String(json_encode(arg(a, 0)?))),
        ),
        func(
            "urlencode",
            "Escapes a string for use in a URL query.",
            vec![p("str", s())],
            ret_string,
            |a, _| Ok(Value::String(url_encode(str_arg(a, 0)?))),
        ),
        func(
            "yamldecode",
            "Parses a YAML string into a value (sequences become tuples, mappings become objects).",
            vec![p("src", s())],
            ret_dynamic,
            |a, _| crate::yaml::decode(str_arg(a, 0)?),
        ),
        func(
            "yamlencode",
            "Encodes a value as YAML.",
            vec![pn("value", Type::Dynamic)],
            ret_string,
            |a, _| crate::yaml::encode(arg(a, 0)?),
        ),
    ]
}

/// JSON as Terraform writes it: compact, with `<`, `>` and `&` escaped.
pub(crate) fn json_encode(v: &Value) -> String {
    v.to_json()
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

fn url_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::testutil::{call, s};
    use skel_value::Value;

    #[test]
    fn base64() {
        assert_eq!(
            call("base64encode", &[s("Hello World")]),
            Ok(s("SGVsbG8gV29ybGQ="))
        );
        assert_eq!(
            call("base64decode", &[s("SGVsbG8gV29ybGQ=")]),
            Ok(s("Hello World"))
        );
        assert!(call("base64decode", &[s("!!")]).is_err());
        assert!(call("base64decode", &[s("/w==")]).is_err());
    }

    #[test]
    fn json() {
        let v = call("jsondecode", &[s(r#"{"a":[1,"x",true,null]}"#)]).unwrap();
        assert_eq!(
            v,
            Value::Object(
                [(
                    "a".into(),
                    Value::Tuple(vec![
                        Value::number(1),
                        s("x"),
                        Value::Bool(true),
                        Value::Null
                    ])
                )]
                .into()
            )
        );
        assert_eq!(
            call("jsonencode", &[v]),
            Ok(s(r#"{"a":[1,"x",true,null]}"#))
        );
        assert_eq!(
            call("jsonencode", &[s("<&>")]),
            Ok(s(r#""\u003c\u0026\u003e""#))
        );
        assert_eq!(call("jsonencode", &[Value::number(1.5)]), Ok(s("1.5")));
        assert_eq!(call("jsonencode", &[Value::Null]), Ok(s("null")));
        assert!(call("jsondecode", &[s("{")]).is_err());
    }

    #[test]
    fn yaml_and_url() {
        let v = call("yamldecode", &[s("a: 1\nb: [x, true]\n")]).unwrap();
        assert_eq!(v.as_mapping().unwrap()["a"], Value::number(1));
        assert_eq!(
            v.as_mapping().unwrap()["b"],
            Value::Tuple(vec![s("x"), Value::Bool(true)])
        );
        assert!(call("yamldecode", &[s("a: [")]).is_err());
        let back = call(
            "yamlencode",
            &[Value::Object([("a".into(), s("b"))].into())],
        )
        .unwrap();
        assert_eq!(back, s("a: b\n"));
        assert_eq!(
            call("urlencode", &[s("a b&c/ü")]),
            Ok(s("a+b%26c%2F%C3%BC"))
        );
    }
}
