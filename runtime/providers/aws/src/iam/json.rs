//! Policy JSON: the text Terraform writes (Go's `encoding/json`: fields in declaration order,
//! map keys sorted, `<`, `>`, `&`, U+2028 and U+2029 escaped, two-space indentation), and the
//! comparison of two policies by meaning rather than text (the one IAM applies: a single value
//! is a one-element list, the order of actions, resources, principals and statements does not
//! matter, an account id is its root ARN, IAM answers with URL-encoded documents).

use std::collections::BTreeMap;

/// A JSON value with its object keys in the order they are written.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum J {
    Null,
    Bool(bool),
    /// A number, as its JSON text.
    Num(String),
    Str(String),
    List(Vec<J>),
    Obj(Vec<(String, J)>),
}

impl J {
    /// From a parsed document (object keys sorted, as serde_json keeps them).
    pub fn from_serde(v: &serde_json::Value) -> J {
        match v {
            serde_json::Value::Null => J::Null,
            serde_json::Value::Bool(b) => J::Bool(*b),
            serde_json::Value::Number(n) => J::Num(n.to_string()),
            serde_json::Value::String(s) => J::Str(s.clone()),
            serde_json::Value::Array(a) => J::List(a.iter().map(J::from_serde).collect()),
            serde_json::Value::Object(m) => J::Obj(
                m.iter()
                    .map(|(k, v)| (k.clone(), J::from_serde(v)))
                    .collect(),
            ),
        }
    }

    /// Strings as one string or a list of them (`["a"]` for a one-element list).
    pub fn strs(items: Vec<String>) -> J {
        J::List(items.into_iter().map(J::Str).collect())
    }

    /// The text `json.MarshalIndent(v, "", "  ")` writes.
    pub fn pretty(&self) -> String {
        let mut out = String::new();
        write(self, &mut out, Some(0));
        out
    }

    /// The text `json.Marshal(v)` writes.
    pub fn compact(&self) -> String {
        let mut out = String::new();
        write(self, &mut out, None);
        out
    }
}

fn newline(out: &mut String, depth: usize) {
    out.push('\n');
    for _ in 0..depth {
        out.push_str("  ");
    }
}

fn write(v: &J, out: &mut String, indent: Option<usize>) {
    match v {
        J::Null => out.push_str("null"),
        J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        J::Num(n) => out.push_str(n),
        J::Str(s) => quote(s, out),
        J::List(items) if items.is_empty() => out.push_str("[]"),
        J::Obj(items) if items.is_empty() => out.push_str("{}"),
        J::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if let Some(d) = indent {
                    newline(out, d + 1);
                }
                write(item, out, indent.map(|d| d + 1));
            }
            if let Some(d) = indent {
                newline(out, d);
            }
            out.push(']');
        }
        J::Obj(items) => {
            out.push('{');
            for (i, (k, item)) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if let Some(d) = indent {
                    newline(out, d + 1);
                }
                quote(k, out);
                out.push(':');
                if indent.is_some() {
                    out.push(' ');
                }
                write(item, out, indent.map(|d| d + 1));
            }
            if let Some(d) = indent {
                newline(out, d);
            }
            out.push('}');
        }
    }
}

/// A JSON string as Go's encoder writes it (HTML-safe).
fn quote(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The CRC-32 (IEEE) of `text`: Terraform's `StringHashcode`, the id of a rendered policy
/// document.
pub(crate) fn crc32(text: &str) -> u32 {
    let mut crc = !0u32;
    for byte in text.bytes() {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A policy document as text: IAM returns documents URL-encoded (RFC 3986), moto and the
/// configuration plain.
pub(crate) fn parse_policy(text: &str) -> Option<serde_json::Value> {
    serde_json::from_str(text)
        .ok()
        .or_else(|| serde_json::from_str(&percent_decode(text)?).ok())
}

/// `%XX` sequences decoded (and `+` kept: IAM encodes spaces as `%20`).
fn percent_decode(text: &str) -> Option<String> {
    if !text.contains('%') {
        return None;
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The policy `text` decoded to plain JSON text (IAM's URL-encoding undone), or as it is when
/// it is not a JSON document.
pub(crate) fn decoded(text: &str) -> String {
    if serde_json::from_str::<serde_json::Value>(text).is_ok() {
        return text.to_string();
    }
    percent_decode(text)
        .filter(|t| serde_json::from_str::<serde_json::Value>(t).is_ok())
        .unwrap_or_else(|| text.to_string())
}

/// Whether two policy documents mean the same (see the module's doc); texts that are not JSON
/// are equal only as texts.
pub(crate) fn same_policy(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    match (parse_policy(a), parse_policy(b)) {
        (Some(a), Some(b)) => canonical(&a) == canonical(&b),
        _ => false,
    }
}

/// A policy in a form where equal meanings are equal values.
fn canonical(doc: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value as V;
    let Some(m) = doc.as_object() else {
        return doc.clone();
    };
    let mut out = serde_json::Map::new();
    for (k, v) in m {
        let v = if k == "Statement" {
            let list: Vec<&V> = match v {
                V::Array(items) => items.iter().collect(),
                other => vec![other],
            };
            let mut stmts: Vec<V> = list.into_iter().map(statement).collect();
            stmts.sort_by_key(|s| s.to_string());
            V::Array(stmts)
        } else {
            v.clone()
        };
        out.insert(k.clone(), v);
    }
    V::Object(out)
}

fn statement(s: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value as V;
    let Some(m) = s.as_object() else {
        return s.clone();
    };
    let mut out = serde_json::Map::new();
    for (k, v) in m {
        let v = match k.as_str() {
            "Sid" if v.as_str() == Some("") => continue,
            "Action" | "NotAction" | "Resource" | "NotResource" => string_set(v),
            "Principal" | "NotPrincipal" => principal(v),
            "Condition" => match v.as_object() {
                Some(tests) => V::Object(
                    tests
                        .iter()
                        .map(|(test, vars)| {
                            let vars = match vars.as_object() {
                                Some(vars) => V::Object(
                                    vars.iter()
                                        .map(|(k, v)| (k.clone(), string_set(v)))
                                        .collect(),
                                ),
                                None => vars.clone(),
                            };
                            (test.clone(), vars)
                        })
                        .collect(),
                ),
                None => v.clone(),
            },
            _ => v.clone(),
        };
        out.insert(k.clone(), v);
    }
    V::Object(out)
}

/// A principal: `"*"` is `{"AWS": "*"}` only textually (IAM treats them differently for
/// roles), so it stays; an account id is its root ARN.
fn principal(v: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value as V;
    match v.as_object() {
        Some(types) => V::Object(
            types
                .iter()
                .map(|(ty, ids)| {
                    let set = string_set(ids);
                    let set = match (ty.as_str(), set) {
                        ("AWS", V::Array(ids)) => {
                            let mut ids: Vec<String> = ids
                                .iter()
                                .map(|id| match id.as_str() {
                                    Some(a)
                                        if a.len() == 12
                                            && a.bytes().all(|b| b.is_ascii_digit()) =>
                                    {
                                        format!("arn:aws:iam::{a}:root")
                                    }
                                    Some(a) => a.to_string(),
                                    None => id.to_string(),
                                })
                                .collect();
                            ids.sort();
                            ids.dedup();
                            V::Array(ids.into_iter().map(V::String).collect())
                        }
                        (_, set) => set,
                    };
                    (ty.clone(), set)
                })
                .collect::<BTreeMap<_, _>>()
                .into_iter()
                .collect(),
        ),
        None => v.clone(),
    }
}

/// One value or a list of them, as a sorted list of their texts without duplicates.
fn string_set(v: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value as V;
    let items: Vec<&V> = match v {
        V::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    let mut texts: Vec<String> = items
        .into_iter()
        .map(|i| match i {
            V::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect();
    texts.sort();
    texts.dedup();
    V::Array(texts.into_iter().map(V::String).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_as_go_escapes_them() {
        let v = J::Str("a<b>&\"\\\n\t\u{1}\u{8}\u{c}\u{2028}é".into());
        assert_eq!(
            v.compact(),
            r#""a\u003cb\u003e\u0026\"\\\n\t\u0001\b\f\u2028é""#
        );
    }

    #[test]
    fn pretty_text_is_go_marshal_indent() {
        let v = J::Obj(vec![
            ("A".into(), J::Str("x".into())),
            (
                "B".into(),
                J::List(vec![J::Str("1".into()), J::Str("2".into())]),
            ),
            ("C".into(), J::List(vec![])),
            ("D".into(), J::Obj(vec![])),
        ]);
        assert_eq!(
            v.pretty(),
            "{\n  \"A\": \"x\",\n  \"B\": [\n    \"1\",\n    \"2\"\n  ],\n  \"C\": [],\n  \"D\": {}\n}"
        );
        assert_eq!(v.compact(), r#"{"A":"x","B":["1","2"],"C":[],"D":{}}"#);
    }

    #[test]
    fn crc32_is_the_ieee_checksum() {
        assert_eq!(crc32(""), 0);
        assert_eq!(crc32("123456789"), 0xCBF4_3926);
    }

    #[test]
    fn equal_policies_written_differently_are_the_same() {
        let a = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"ec2.amazonaws.com"}}]}"#;
        let b = "{\n \"Statement\": {\"Sid\": \"\", \"Principal\": {\"Service\": [\"ec2.amazonaws.com\"]},\n \"Action\": [\"sts:AssumeRole\"], \"Effect\": \"Allow\"}, \"Version\": \"2012-10-17\"}";
        assert!(same_policy(a, b));
        let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22sts%3AAssumeRole%22%2C%22Principal%22%3A%7B%22Service%22%3A%22ec2.amazonaws.com%22%7D%7D%5D%7D";
        assert!(same_policy(a, encoded));
        assert_eq!(decoded(encoded), a);
        let other = a.replace("ec2.amazonaws.com", "eks.amazonaws.com");
        assert!(!same_policy(a, &other));
        let deny = a.replace("Allow", "Deny");
        assert!(!same_policy(a, &deny));
        let two = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:B","s3:A"],"Resource":"*","Principal":{"AWS":"123456789012"}}]}"#;
        let two_b = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:A","s3:B"],"Resource":["*"],"Principal":{"AWS":["arn:aws:iam::123456789012:root"]}}]}"#;
        assert!(same_policy(two, two_b));
        assert!(!same_policy(two, &two_b.replace("s3:B", "s3:C")));
        assert!(!same_policy("not json", "not  json"));
    }
}
