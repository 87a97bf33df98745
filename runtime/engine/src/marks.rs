//! Marks at the engine's boundaries. Inside, values carry their marks (`skel_value::Marks`);
//! providers, provisioners and state see plain values, so each crossing unmarks a value and
//! records where its marks were (`sensitive_paths`), and each value coming back (a planned,
//! applied or read object) is marked again from those paths and from its schema.

use skel_plan_ir::OutputConfig;
use skel_schema::{BlockSchema, Nesting};
use skel_value::{MarkPath, Marks, Value, ValueMap};

use crate::EngineError;

/// `value` with the attributes `schema` declares sensitive marked, at any depth of nested
/// blocks.
pub(crate) fn mark_schema(value: Value, schema: &BlockSchema) -> Value {
    let (inner, own) = value.into_unmarked();
    let Value::Object(mut object) = inner else {
        return inner.mark(own);
    };
    for (name, attr) in &schema.attributes {
        if attr.sensitive {
            if let Some(v) = object.get_mut(name) {
                let taken = std::mem::replace(v, Value::Null);
                *v = if taken.is_null() {
                    taken
                } else {
                    taken.sensitive()
                };
            }
        }
    }
    // A digest of sensitive content is as sensitive as the content.
    for (name, attr) in &schema.attributes {
        let from = attr
            .derived_from
            .iter()
            .filter_map(|source| object.get(source))
            .fold(Marks::NONE, |acc, v| acc | v.deep_marks());
        if let Some(v) = object.get_mut(name).filter(|_| !from.is_empty()) {
            let taken = std::mem::replace(v, Value::Null);
            *v = taken.mark(from);
        }
    }
    for (name, nested) in &schema.blocks {
        let Some(v) = object.get_mut(name) else {
            continue;
        };
        let taken = std::mem::replace(v, Value::Null);
        *v = match nested.nesting {
            Nesting::Single => mark_schema(taken, &nested.block),
            Nesting::List | Nesting::Set | Nesting::Map => mark_elements(taken, &nested.block),
        };
    }
    Value::Object(object).mark(own)
}

fn mark_elements(value: Value, schema: &BlockSchema) -> Value {
    let (inner, own) = value.into_unmarked();
    let marked = match inner {
        Value::List(v) => Value::List(v.into_iter().map(|e| mark_schema(e, schema)).collect()),
        Value::Tuple(v) => Value::Tuple(v.into_iter().map(|e| mark_schema(e, schema)).collect()),
        // `Value::set` hoists the marks of elements to the set.
        Value::Set(v) => Value::set(v.into_iter().map(|e| mark_schema(e, schema)).collect()),
        Value::Map(m) => Value::Map(
            m.into_iter()
                .map(|(k, e)| (k, mark_schema(e, schema)))
                .collect::<ValueMap>(),
        ),
        other => other,
    };
    marked.mark(own)
}

/// An object the provider returned (planned, applied, read), marked from the paths its
/// configuration had marks at and from its schema; and the sensitive paths to record.
pub(crate) fn remark(
    plain: Value,
    config_paths: &[(MarkPath, Marks)],
    schema: &BlockSchema,
) -> (Value, Vec<MarkPath>) {
    let mut value = plain;
    for (path, marks) in config_paths {
        value = value.mark_paths(std::iter::once(path), *marks);
    }
    let value = mark_echoes(mark_schema(value, schema));
    let paths = if value.deep_marks().is_empty() {
        Vec::new()
    } else {
        value.marked_paths().into_iter().map(|(p, _)| p).collect()
    };
    (value, paths)
}

/// `value` with every string that repeats one of its marked strings marked too: a computed
/// attribute the provider copies a sensitive argument into (`tags_all` of `tags`, a name in an
/// ARN) is as sensitive as the argument, though it is at no path the configuration marked.
/// A string is an echo when it equals a marked string or contains one of at least
/// [`FRAGMENT`] characters.
fn mark_echoes(value: Value) -> Value {
    let mut secrets = Vec::new();
    collect_secrets(&value, false, &mut secrets);
    if secrets.is_empty() {
        return value;
    }
    secrets.sort();
    secrets.dedup();
    mark_echoes_of(value, &secrets)
}

fn mark_echoes_of(value: Value, secrets: &[String]) -> Value {
    let (inner, own) = value.into_unmarked();
    let each = |v: Vec<Value>| -> Vec<Value> {
        v.into_iter().map(|e| mark_echoes_of(e, secrets)).collect()
    };
    let walked = match inner {
        Value::String(s) if !own.hides() && echoes(&s, secrets) => {
            return Value::String(s).mark(own | Marks::SENSITIVE)
        }
        Value::List(v) => Value::List(each(v)),
        Value::Tuple(v) => Value::Tuple(each(v)),
        // `Value::set` hoists the marks of elements to the set.
        Value::Set(v) => Value::set(each(v)),
        Value::Map(m) => Value::Map(
            m.into_iter()
                .map(|(k, e)| (k, mark_echoes_of(e, secrets)))
                .collect::<ValueMap>(),
        ),
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, e)| (k, mark_echoes_of(e, secrets)))
                .collect::<ValueMap>(),
        ),
        other => other,
    };
    walked.mark(own)
}

fn echoes(text: &str, secrets: &[String]) -> bool {
    secrets
        .iter()
        .any(|s| text == s || (s.chars().count() >= FRAGMENT && text.contains(s.as_str())))
}

/// A configuration as a provider gets it: plain, with the paths its marks were at, and the
/// marked original when it had marks (for [`scrub`]). A configuration without marks (most of
/// them) is neither copied nor walked twice.
pub(crate) struct Split {
    pub plain: Value,
    pub paths: Vec<(MarkPath, Marks)>,
    pub marked: Option<Value>,
}

impl Split {
    pub fn new(config: Value) -> Split {
        if config.deep_marks().is_empty() {
            return Split {
                plain: config,
                paths: Vec::new(),
                marked: None,
            };
        }
        let (plain, paths) = config.clone().unmark_deep_with_paths();
        Split {
            plain,
            paths,
            marked: Some(config),
        }
    }

    /// `message` (a provider's) without the marked strings of the configuration.
    pub fn scrub(&self, message: &str) -> String {
        scrub_with(message, self.marked.as_ref())
    }
}

/// [`scrub`] when there is a marked configuration.
pub(crate) fn scrub_with(message: &str, marked: Option<&Value>) -> String {
    match marked {
        Some(marked) => scrub(message, marked),
        None => message.to_string(),
    }
}

/// An error when `config` (a resource's or data source's) holds an ephemeral value: it
/// would be saved in state or a plan.
pub(crate) fn persistable(config: &Value) -> Result<(), EngineError> {
    if config.deep_marks().is_ephemeral() {
        return Err(EngineError::new(
            "an ephemeral value cannot be used in a resource or data source argument: it would be saved in state",
        )
        .with_help("use ephemeral values only in provider configuration, provisioners, connections and ephemeral outputs"));
    }
    Ok(())
}

/// A root output's value as it may be saved: an ephemeral value cannot be.
pub(crate) fn root_output(output: &OutputConfig, value: Value) -> Result<Value, EngineError> {
    if output.ephemeral || value.deep_marks().is_ephemeral() {
        return Err(EngineError::new(
            "a root module output cannot be ephemeral: root outputs are saved in state",
        )
        .at(format!("output.{}", output.name), Some(&output.location)));
    }
    Ok(value)
}

/// Top-level sensitive attribute paths of a schema (for an object not known yet).
pub(crate) fn schema_paths(schema: &skel_schema::ResourceSchema) -> Vec<Vec<String>> {
    schema
        .block
        .attributes
        .iter()
        .filter(|(_, a)| a.sensitive)
        .map(|(k, _)| vec![k.clone()])
        .collect()
}

/// The prior objects of `addrs` marked from the paths state recorded, for [`scrub`].
pub(crate) fn marked_priors(
    addrs: &[skel_plan_ir::InstanceAddr],
    state: &skel_plan_ir::State,
    values: &std::collections::HashMap<skel_plan_ir::InstanceAddr, Value>,
) -> Value {
    Value::Tuple(
        addrs
            .iter()
            .filter_map(|a| {
                let paths = &state.resources.get(a)?.sensitive_paths;
                let value = values.get(a)?.clone();
                Some(value.mark_paths(paths, Marks::SENSITIVE))
            })
            .collect(),
    )
}

/// The last-line defence for messages a provider or provisioner wrote about a configuration
/// holding sensitive values (an API error quoting the value it rejected): each marked string
/// (and number) of `config` that appears in `message` is replaced by `(sensitive value)`, and so
/// is any run of at least [`FRAGMENT`] characters the message shares with one (a provider that
/// quotes the directory of a secret path, or a name cut short). Everything skel itself formats is
/// safe by construction (marked values print as `(sensitive value)`); this is only for text skel
/// did not write.
pub(crate) fn scrub(message: &str, config: &Value) -> String {
    let mut secrets = Vec::new();
    collect_secrets(config, false, &mut secrets);
    if secrets.is_empty() {
        return message.to_string();
    }
    secrets.sort();
    secrets.dedup();
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(first) = rest.chars().next() {
        let run = secrets
            .iter()
            .map(|secret| shared_run(rest, secret))
            .max()
            .unwrap_or(0);
        if run > 0 {
            out.push_str("(sensitive value)");
            rest = &rest[run..];
        } else {
            out.push(first);
            rest = &rest[first.len_utf8()..];
        }
    }
    out
}

/// The shortest part of a secret [`scrub`] hides when a message quotes only part of it.
const FRAGMENT: usize = 6;

/// The length in bytes of the longest prefix of `text` that appears in `secret`, when it is the
/// whole secret or at least [`FRAGMENT`] characters of it; else 0. Always a character boundary.
fn shared_run(text: &str, secret: &str) -> usize {
    let (t, s) = (text.as_bytes(), secret.as_bytes());
    let mut best = 0;
    for start in 0..s.len() {
        let len = t
            .iter()
            .zip(&s[start..])
            .take_while(|(a, b)| a == b)
            .count();
        best = best.max(len);
        if best == t.len() {
            break;
        }
    }
    while best > 0 && !text.is_char_boundary(best) {
        best -= 1;
    }
    let whole = best == s.len();
    if whole || text[..best].chars().count() >= FRAGMENT {
        best
    } else {
        0
    }
}

fn collect_secrets(value: &Value, marked: bool, out: &mut Vec<String>) {
    match value {
        Value::Marked(inner, marks) => collect_secrets(inner, marked || marks.hides(), out),
        Value::String(s) if marked && s.len() >= 3 => {
            out.push(s.clone());
            // Multi-line secrets appear line by line in messages too.
            out.extend(
                s.lines()
                    .filter(|l| l.trim().len() >= 3)
                    .map(str::to_string),
            );
        }
        Value::Number(n) if marked => {
            let text = n.to_string();
            if text.len() >= 3 {
                out.push(text);
            }
        }
        Value::List(v) | Value::Set(v) | Value::Tuple(v) => {
            v.iter().for_each(|e| collect_secrets(e, marked, out))
        }
        Value::Map(m) | Value::Object(m) => {
            m.values().for_each(|e| collect_secrets(e, marked, out))
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_marks_nested_attributes_and_scrub_replaces_secrets() {
        let schema = skel_schema::resource("random_password").expect("schema");
        let value = Value::Object(
            [
                ("id".to_string(), Value::string("none")),
                ("result".to_string(), Value::string("s3cr3t-pw")),
            ]
            .into(),
        );
        let (marked, paths) = remark(value, &[], &schema.block);
        assert!(paths.contains(&vec!["result".to_string()]), "{paths:?}");
        assert!(marked.is_sensitive());
        assert_eq!(
            scrub("bad value s3cr3t-pw given", &marked),
            "bad value (sensitive value) given"
        );
        assert_eq!(scrub("id none", &marked), "id none");
    }

    #[test]
    fn a_computed_copy_of_a_sensitive_argument_is_marked() {
        let schema = skel_schema::resource("aws_vpc").expect("schema");
        let tags = |secret: &str| {
            Value::Map(
                [
                    ("Name".to_string(), Value::string("web")),
                    ("Key".to_string(), Value::string(secret)),
                ]
                .into(),
            )
        };
        let value = Value::Object(
            [
                ("tags".to_string(), tags("QmFzZTY0c2VjcmV0")),
                ("tags_all".to_string(), tags("QmFzZTY0c2VjcmV0")),
                (
                    "arn".to_string(),
                    Value::string("arn:aws:ec2:::vpc/QmFzZTY0c2VjcmV0"),
                ),
            ]
            .into(),
        );
        let path = vec!["tags".to_string(), "Key".to_string()];
        let (_, paths) = remark(value, &[(path.clone(), Marks::SENSITIVE)], &schema.block);
        let at = |p: &[&str]| p.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(paths.contains(&path), "{paths:?}");
        assert!(paths.contains(&at(&["tags_all", "Key"])), "{paths:?}");
        assert!(paths.contains(&at(&["arn"])), "{paths:?}");
        assert!(!paths.contains(&at(&["tags_all", "Name"])), "{paths:?}");
        // Nothing marked, nothing added.
        let plain = Value::Object([("tags_all".to_string(), tags("x"))].into());
        assert!(remark(plain, &[], &schema.block).1.is_empty());
    }

    #[test]
    fn scrub_hides_parts_of_a_secret_a_message_quotes() {
        let marked = Value::Object(
            [(
                "filename".to_string(),
                Value::string("/proc/hunter2secret/x").sensitive(),
            )]
            .into(),
        );
        // A provider quoting the directory of a secret path, or a prefix of it.
        assert_eq!(
            scrub("no directory `/proc/hunter2secret`: os error 2", &marked),
            "no directory `(sensitive value)`: os error 2"
        );
        assert_eq!(
            scrub("name hunter2s… too long", &marked),
            "name (sensitive value)… too long"
        );
        // Short common runs are left alone, and so is everything without a marked value.
        assert_eq!(scrub("x is not /pro", &marked), "x is not /pro");
        let plain = Value::Object([("a".to_string(), Value::string("/proc/hunter2secret"))].into());
        assert_eq!(scrub("/proc/hunter2secret", &plain), "/proc/hunter2secret");
        // Multi-byte characters are never cut.
        let unicode = Value::string("pässwörd-geheim").sensitive();
        assert_eq!(scrub("got pässwö!", &unicode), "got (sensitive value)!");
    }
}
