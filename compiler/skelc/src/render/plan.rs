//! Rendering a change set for people: `+ ~ - -/+` markers, changed attributes with context,
//! `(known after apply)`, `# forces replacement`, `(sensitive value)`, and the summary line.

use std::collections::BTreeSet;
use std::fmt::Write;

use skel_plan_ir::{Action, ChangeSet, ResourceChange};
use skel_value::Value;

use super::sensitive::{with_paths, SENSITIVE};

const UNKNOWN: &str = "(known after apply)";

/// The whole plan as text.
#[cfg(test)]
pub fn render(changes: &ChangeSet) -> String {
    let mut text = String::new();
    write(changes, &mut |part| text.push_str(part));
    text
}

/// The plan written to stdout as it is rendered, one change at a time: a plan of 50,000
/// changes is never one string in memory.
pub fn print(changes: &ChangeSet) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    let mut result = Ok(());
    write(changes, &mut |part| {
        if result.is_ok() {
            result = stdout.write_all(part.as_bytes());
        }
    });
    result?;
    stdout.flush()
}

/// Renders the plan, handing each finished part (the header, a change, the summary) to `emit`.
fn write(changes: &ChangeSet, emit: &mut dyn FnMut(&str)) {
    let mut out = String::new();
    let shown: Vec<&ResourceChange> = changes
        .changes
        .iter()
        .filter(|c| c.action != Action::NoOp || c.moved_from.is_some() || c.imported_from.is_some())
        .collect();
    if shown.is_empty() && changes.forgotten.is_empty() && !outputs_change(changes) {
        emit("No changes. Your infrastructure matches the configuration.\n");
        return;
    }
    if !shown.is_empty() || !changes.forgotten.is_empty() {
        out.push_str("skel will perform the following actions:\n\n");
    }
    for change in shown {
        render_change(&mut out, change);
        out.push('\n');
        emit(&out);
        out.clear();
    }
    for addr in &changes.forgotten {
        let _ = writeln!(out, "  # {addr} will no longer be managed by skel");
        let _ = writeln!(
            out,
            "  # (a `removed` block with `destroy = false`: the object stays as it is)\n"
        );
    }
    let (add, change, destroy) = changes.summary();
    let moves = changes.changes.iter().any(|c| c.moved_from.is_some());
    let imports = changes.imports();
    if add + change + destroy + imports > 0
        || moves
        || !changes.forgotten.is_empty()
        || changes.changes.iter().any(|c| c.action == Action::Read)
    {
        out.push_str("Plan: ");
        if imports > 0 {
            let _ = write!(out, "{imports} to import, ");
        }
        let _ = write!(
            out,
            "{add} to add, {change} to change, {destroy} to destroy"
        );
        if !changes.forgotten.is_empty() {
            let _ = write!(out, ", {} to forget", changes.forgotten.len());
        }
        out.push_str(".\n");
    }
    if outputs_change(changes) {
        out.push_str("\nChanges to outputs:\n");
        for o in &changes.outputs {
            if !output_changes(o) {
                continue;
            }
            let before = o.before.as_ref().map(Value::from_json);
            let show = |v: &Value| {
                if o.sensitive {
                    SENSITIVE.to_string()
                } else {
                    value_text(v, 2)
                }
            };
            match (&before, &o.after) {
                (None, Some(after)) => {
                    let _ = writeln!(out, "  + {} = {}", o.name, show(after));
                }
                (Some(before), None) => {
                    let _ = writeln!(out, "  - {} = {} -> null", o.name, show(before));
                }
                (Some(before), Some(after)) => {
                    let _ = writeln!(out, "  ~ {} = {} -> {}", o.name, show(before), show(after));
                }
                (None, None) => {}
            }
        }
    }
    emit(&out);
}

/// Whether any output changes, comparing as JSON (state holds JSON, which does not tell lists
/// from tuples).
fn outputs_change(changes: &ChangeSet) -> bool {
    changes.outputs.iter().any(output_changes)
}

fn output_changes(o: &skel_plan_ir::OutputChange) -> bool {
    o.before.as_ref() != o.after.as_ref().map(Value::to_json).as_ref()
}

fn headline(change: &ResourceChange) -> String {
    let addr = &change.addr;
    let what = match change.action {
        Action::Create => "will be created",
        Action::Update => "will be updated in-place",
        Action::Delete if change.deposed => "(deposed object) will be destroyed",
        Action::Delete => "will be destroyed",
        Action::DeleteThenCreate => "must be replaced",
        Action::CreateThenDelete => "must be replaced, the new object created first",
        Action::Read => "will be read during apply",
        Action::NoOp => "is unchanged",
    };
    format!("  # {addr} {what}")
}

fn render_change(out: &mut String, change: &ResourceChange) {
    match (&change.moved_from, change.action) {
        (Some(from), Action::NoOp) => {
            let _ = writeln!(out, "  # {from} has moved to {}", change.addr);
        }
        (None, Action::NoOp) if change.imported_from.is_some() => {
            let _ = writeln!(out, "  # {} will be imported", change.addr);
        }
        (Some(from), _) => {
            let _ = writeln!(out, "{}", headline(change));
            let _ = writeln!(out, "  # (moved from {from})");
        }
        (None, _) => {
            let _ = writeln!(out, "{}", headline(change));
        }
    }
    if let Some(id) = &change.imported_from {
        if change.action != Action::NoOp || change.moved_from.is_some() {
            let _ = writeln!(out, "  # (imported from {id:?})");
        }
    }
    if let Some(reason) = &change.reason {
        let _ = writeln!(out, "  # ({reason})");
    }
    let r = &change.addr.resource;
    let kind = if r.mode == skel_plan_ir::ResourceMode::Data {
        "data"
    } else {
        "resource"
    };
    let symbol = change.action.symbol();
    let _ = writeln!(
        out,
        "{symbol:>3} {kind} \"{}\" \"{}\" {{",
        r.type_name, r.name
    );
    // Both sides are marked with the sensitive paths of both: a value that was or becomes
    // sensitive is hidden on either side, so neither tells the other.
    let paths: Vec<&Vec<String>> = change
        .sensitive_paths
        .iter()
        .chain(&change.prior_sensitive_paths)
        .collect();
    let after = change
        .planned
        .clone()
        .map(|v| v.mark_paths(paths.iter().copied(), skel_value::Marks::SENSITIVE));
    // A no-op (shown when it moved) keeps no prior attributes: they are its planned value.
    let before = match &change.prior {
        Some(p) => Some(typed_prior(change, p).map_or_else(
            || with_paths(p, paths.iter().copied()),
            |v| v.mark_paths(paths.iter().copied(), skel_value::Marks::SENSITIVE),
        )),
        None if change.action == Action::NoOp => after.clone(),
        None => None,
    };
    let forces: BTreeSet<&str> = change
        .requires_replace
        .iter()
        .filter_map(|p| p.first().map(String::as_str))
        .collect();
    let empty = skel_value::ValueMap::new();
    let before_map = before
        .as_ref()
        .and_then(Value::as_mapping)
        .unwrap_or(&empty);
    let after_map = after.as_ref().and_then(Value::as_mapping).unwrap_or(&empty);
    let mut names: BTreeSet<&String> = before_map.keys().collect();
    names.extend(after_map.keys());
    let width = names.iter().map(|n| n.len()).max().unwrap_or(0);
    let mut hidden = 0;
    for name in names {
        let b = before_map.get(name).filter(|v| !v.is_null());
        let a = after_map.get(name).filter(|v| !v.is_null());
        // What the plan counts as no change (null and an empty collection, a list and a tuple
        // of the same elements) is not shown as one: `~ tags_all = {} -> {}` would be noise.
        let changing = matches!(
            change.action,
            Action::Update | Action::DeleteThenCreate | Action::CreateThenDelete
        );
        if changing
            && name != "id"
            && shown_same(b.unwrap_or(&Value::Null), a.unwrap_or(&Value::Null))
        {
            if b.is_some() || a.is_some() {
                hidden += 1;
            }
            continue;
        }
        let marker = match change.action {
            Action::Create | Action::Read => "+ ",
            Action::Delete => "- ",
            _ => "",
        };
        let show = |v: &Value| marked_value_text(v, 6, marker);
        let note = if forces.contains(name.as_str()) {
            " # forces replacement"
        } else {
            ""
        };
        let line = match (change.action, b, a) {
            (Action::Create | Action::Read, _, Some(a)) => {
                Some(format!("      + {name:<width$} = {}", show(a)))
            }
            (Action::Delete, Some(b), _) => {
                Some(format!("      - {name:<width$} = {} -> null", show(b)))
            }
            (_, Some(b), Some(a)) if b != a => Some(format!(
                "      ~ {name:<width$} = {} -> {}{note}",
                show(b),
                show(a)
            )),
            (_, None, Some(a))
                if matches!(
                    change.action,
                    Action::Update | Action::DeleteThenCreate | Action::CreateThenDelete
                ) =>
            {
                Some(format!("      + {name:<width$} = {}{note}", show(a)))
            }
            (_, Some(b), None)
                if matches!(
                    change.action,
                    Action::Update | Action::DeleteThenCreate | Action::CreateThenDelete
                ) =>
            {
                Some(format!(
                    "      - {name:<width$} = {} -> null{note}",
                    show(b)
                ))
            }
            (_, Some(b), Some(_)) if name == "id" => {
                Some(format!("        {name:<width$} = {}", show(b)))
            }
            (_, Some(_), Some(_)) => {
                hidden += 1;
                None
            }
            _ => None,
        };
        if let Some(line) = line {
            out.push_str(&line);
            out.push('\n');
        }
    }
    if hidden > 0 {
        let _ = writeln!(
            out,
            "        # ({hidden} unchanged attribute{} hidden)",
            if hidden == 1 { "" } else { "s" }
        );
    }
    out.push_str("    }\n");
}

/// Whether the plan treats `before` (read back from state JSON, so its sets are lists) and
/// `after` as the same value: the plan's own equality, with a set compared to a list as a set.
/// The prior object (JSON in the plan) typed by its schema, so its maps and objects show as
/// such; `None` where no schema is registered or it does not convert.
fn typed_prior(change: &ResourceChange, prior: &serde_json::Value) -> Option<Value> {
    let r = &change.addr.resource;
    let schema = match r.mode {
        skel_plan_ir::ResourceMode::Managed => skel_schema::resource(&r.type_name),
        skel_plan_ir::ResourceMode::Data => skel_schema::data_source(&r.type_name),
    }?;
    skel_value::convert(&Value::from_json(prior), &schema.computed_object_type()).ok()
}

fn shown_same(before: &Value, after: &Value) -> bool {
    let as_set = |v: &Value| match v {
        Value::List(l) | Value::Tuple(l) => Value::Set(l.clone()),
        other => other.clone(),
    };
    match (before, after) {
        (Value::List(_) | Value::Tuple(_), Value::Set(_)) => {
            skel_provider::kit::same(&as_set(before), after)
        }
        (Value::Set(_), Value::List(_) | Value::Tuple(_)) => {
            skel_provider::kit::same(before, &as_set(after))
        }
        _ => skel_provider::kit::same(before, after),
    }
}

/// A value in HCL-like syntax; nested structures indented by `indent` spaces; a marked value
/// (or part) is `(sensitive value)`.
pub fn value_text(value: &Value, indent: usize) -> String {
    text(value, indent, "", false)
}

/// A resource attribute's value in a plan, as Terraform shows it: like [`value_text`], with
/// `marker` (`+ `, `- `) before each nested entry, and an object's attribute names bare
/// (`port = 80`; a map's keys stay quoted, `"Name" = "web"`).
pub fn marked_value_text(value: &Value, indent: usize, marker: &str) -> String {
    text(value, indent, marker, true)
}

/// Whether `name` can be written bare in HCL (an identifier).
fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

/// [`value_text`] and [`marked_value_text`]: `bare` writes object attribute names unquoted.
fn text(value: &Value, indent: usize, marker: &str, bare: bool) -> String {
    match value {
        Value::Marked(..) => SENSITIVE.to_string(),
        Value::Unknown(_) => UNKNOWN.to_string(),
        Value::Null => "null".to_string(),
        Value::String(s) if s.contains('\n') => {
            let mut out = String::from("<<-EOT\n");
            for line in s.lines() {
                let _ = writeln!(out, "{:indent$}  {line}", "");
            }
            let _ = write!(out, "{:indent$}EOT", "");
            out
        }
        Value::String(s) => format!("{s:?}"),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::List(v) | Value::Set(v) | Value::Tuple(v) => {
            if v.is_empty() {
                return "[]".into();
            }
            let mut out = String::from("[\n");
            for e in v {
                let _ = writeln!(
                    out,
                    "{:w$}{marker}{},",
                    "",
                    text(e, indent + 4, marker, bare),
                    w = indent + 4
                );
            }
            let _ = write!(out, "{:w$}]", "", w = indent + marker.len());
            out
        }
        Value::Map(m) | Value::Object(m) => {
            if m.is_empty() {
                return "{}".into();
            }
            let bare_keys = bare && matches!(value, Value::Object(_));
            let key_text = |k: &str| {
                if bare_keys && is_identifier(k) {
                    k.to_string()
                } else {
                    format!("{k:?}")
                }
            };
            let width = m.keys().map(|k| key_text(k).len()).max().unwrap_or(0);
            let mut out = String::from("{\n");
            for (k, e) in m {
                let key = key_text(k);
                let _ = writeln!(
                    out,
                    "{:w$}{marker}{key:<width$} = {}",
                    "",
                    text(e, indent + 4, marker, bare),
                    w = indent + 4
                );
            }
            let _ = write!(out, "{:w$}}}", "", w = indent + marker.len());
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use skel_value::ValueMap;

    fn change(prior: serde_json::Value, planned: Value) -> ChangeSet {
        ChangeSet {
            state_serial: 1,
            state_lineage: "l".into(),
            outputs: vec![],
            destroy: false,
            forgotten: vec![],
            targets: vec![],
            replace: vec![],
            changes: vec![ResourceChange {
                addr: "aws_security_group.web".parse().unwrap(),
                action: Action::Update,
                provider: "aws".into(),
                prior: Some(prior),
                planned: Some(planned),
                requires_replace: vec![],
                reason: None,
                sensitive_paths: vec![],
                prior_sensitive_paths: vec![],
                deposed: false,
                dependencies: vec![],
                moved_from: None,
                imported_from: None,
            }],
        }
    }

    fn object(pairs: &[(&str, Value)]) -> Value {
        let mut m = ValueMap::new();
        for (k, v) in pairs {
            m.insert((*k).to_string(), v.clone());
        }
        Value::Object(m)
    }

    #[test]
    fn what_the_plan_calls_unchanged_is_not_shown_as_a_change() {
        let rule = |port: i64| object(&[("from_port", Value::number(port))]);
        let prior = serde_json::json!({
            "id": "sg-1",
            "name": "web",
            "egress": [],
            "tags_all": {},
            "tags": null,
            "ingress": [{"from_port": 443}, {"from_port": 22}],
        });
        let planned = object(&[
            ("id", Value::string("sg-1")),
            ("name", Value::string("api")),
            ("egress", Value::Set(vec![])),
            ("tags_all", Value::Map(ValueMap::new())),
            ("tags", Value::Map(ValueMap::new())),
            ("ingress", Value::Set(vec![rule(22), rule(443)])),
        ]);
        let text = render(&change(prior, planned));
        assert!(text.contains("~ name"), "{text}");
        for noise in ["egress", "tags_all", "tags ", "ingress"] {
            assert!(!text.contains(noise), "{noise} shown in:\n{text}");
        }
        assert!(text.contains("(4 unchanged attributes hidden)"), "{text}");
    }

    #[test]
    fn object_attributes_are_bare_and_map_keys_quoted_in_a_plan() {
        let listener = object(&[
            ("port", Value::number(80i64)),
            ("protocol", Value::string("tcp")),
        ]);
        let tags = Value::Map(ValueMap::from([("Name".to_string(), Value::string("web"))]));
        let value = object(&[("listeners", Value::List(vec![listener])), ("tags", tags)]);
        let expected = [
            "{",
            "    + listeners = [",
            "        + {",
            "            + port     = 80",
            "            + protocol = \"tcp\"",
            "          },",
            "      ]",
            "    + tags      = {",
            "        + \"Name\" = \"web\"",
            "      }",
            "  }",
        ]
        .join("\n");
        assert_eq!(marked_value_text(&value, 0, "+ "), expected);
        // Outputs and the console keep Terraform's quoted form.
        assert!(value_text(&value, 0).contains("\"port\""));
    }

    #[test]
    fn a_changed_set_is_still_shown() {
        let prior = serde_json::json!({"id": "sg-1", "ingress": [{"from_port": 443}]});
        let planned = object(&[
            ("id", Value::string("sg-1")),
            (
                "ingress",
                Value::Set(vec![object(&[("from_port", Value::number(22))])]),
            ),
        ]);
        let text = render(&change(prior, planned));
        assert!(text.contains("~ ingress"), "{text}");
        assert!(text.contains("22") && text.contains("443"), "{text}");
    }
}
