//! `skelc show [DIR|PLANFILE] [--json]`: the state of a root module in human form (each
//! instance as a `resource` block, then the outputs), or a plan saved by `skelc plan --out`
//! rendered as `skelc plan` renders it, with a note when the state moved on since. Sensitive
//! values are `(sensitive value)` in every form.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::{json, Value as Json};
use skel_plan_ir::{InstanceAddr, InstanceStatus, ResourceInstanceState, ResourceMode, State};
use skel_value::{Marks, Value};

use crate::cli::ShowArgs;
use crate::exit::ExitStatus;
use crate::render::sensitive::{sensitive_as_bool, shown_json, with_paths, SENSITIVE};
use crate::state_schemas::StateSchemas;
use crate::workdir::{self, DirUse};

pub fn run(args: ShowArgs) -> anyhow::Result<ExitStatus> {
    let given = match (&args.target, &args.dir_option) {
        (Some(_), Some(_)) => anyhow::bail!("give the directory once: DIR or --dir DIR"),
        (Some(p), None) | (None, Some(p)) => p.clone(),
        (None, None) => PathBuf::from("."),
    };
    let path = workdir::from_command_line(&given);
    if path.is_file() {
        return show_plan(&path, &args);
    }
    let dir = workdir::root_dir(&given, "show", DirUse::Reads)?;
    let state = crate::encryption::store_in(&dir, &args.vars)?.read()?;
    let schemas = StateSchemas::new(&dir, None);
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&state_json(&state, &schemas))?
        );
    } else {
        print!("{}", state_text(&state, &schemas));
    }
    Ok(ExitStatus::Success)
}

/// A saved plan, as `skelc plan` showed it; a note on standard error when the state is no
/// longer the one it was made from (`skelc run FILE` would refuse it).
fn show_plan(path: &Path, args: &ShowArgs) -> anyhow::Result<ExitStatus> {
    let root = super::plan::plan_root(path)?;
    let keyed = super::load_saved(&root, &args.vars)?;
    let saved = super::plan::load_plan_file(path, &keyed.encryption.plan)?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&crate::render::plan_json::to_json(&saved.changes))?
        );
    } else {
        crate::render::plan::print(&saved.changes)?;
    }
    let state = crate::encryption::store_for(&keyed)?.read()?;
    let (plan_serial, plan_lineage) = (saved.changes.state_serial, &saved.changes.state_lineage);
    let fresh_dir = plan_serial == 0 && state.serial == 0;
    if !fresh_dir && (state.serial != plan_serial || &state.lineage != plan_lineage) {
        eprintln!(
            "note: the state changed since this plan was made (plan: serial {plan_serial}, \
             state: serial {}); `skelc run {}` would refuse it: make a new plan",
            state.serial,
            workdir::shown(path).display()
        );
    }
    Ok(ExitStatus::Success)
}

/// An instance's attributes with every sensitive part marked: the paths state recorded and
/// the attributes its schema marks sensitive (a state written before a path was recorded
/// still hides them). The schema is the built-in one or the stored schema of the plugin the
/// module requires.
pub fn marked_attributes(
    schemas: &StateSchemas,
    addr: &InstanceAddr,
    instance: &ResourceInstanceState,
) -> Value {
    marked(
        schemas,
        addr,
        &instance.attributes,
        &instance.sensitive_paths,
    )
}

fn marked(
    schemas: &StateSchemas,
    addr: &InstanceAddr,
    attributes: &Json,
    paths: &[Vec<String>],
) -> Value {
    let r = &addr.resource;
    let schema = schemas.resource(r.mode, &r.module, &r.type_name);
    let schema_paths: Vec<Vec<String>> = schema
        .map(|schema| {
            schema
                .block
                .attributes
                .iter()
                .filter(|(_, a)| a.sensitive)
                .map(|(name, _)| vec![name.clone()])
                .collect()
        })
        .unwrap_or_default();
    with_paths(attributes, paths).mark_paths(&schema_paths, Marks::SENSITIVE)
}

/// The state as `terraform show` prints it: a block per instance, then the outputs.
fn state_text(state: &State, schemas: &StateSchemas) -> String {
    if state.resources.is_empty() && state.outputs.is_empty() {
        return "The state is empty: nothing has been created yet (`skelc run` creates what \
                the configuration declares).\n"
            .into();
    }
    let mut out = String::new();
    for (addr, instance) in &state.resources {
        let mut notes = Vec::new();
        if instance.status == InstanceStatus::Tainted {
            notes.push("tainted: the next run replaces it".to_string());
        }
        if !instance.deposed.is_empty() {
            notes.push(format!(
                "{} deposed object(s) the next run destroys",
                instance.deposed.len()
            ));
        }
        let _ = writeln!(
            out,
            "# {addr}:{}",
            if notes.is_empty() {
                String::new()
            } else {
                format!(" ({})", notes.join("; "))
            }
        );
        let r = &addr.resource;
        let keyword = match r.mode {
            ResourceMode::Managed => "resource",
            ResourceMode::Data => "data",
        };
        let _ = writeln!(out, "{keyword} \"{}\" \"{}\" {{", r.type_name, r.name);
        out.push_str(&body(&marked_attributes(schemas, addr, instance)));
        out.push_str("}\n\n");
    }
    if !state.outputs.is_empty() {
        out.push_str("Outputs:\n\n");
        for (name, output) in &state.outputs {
            let value = if output.sensitive {
                SENSITIVE.to_string()
            } else {
                crate::render::plan::value_text(&Value::from_json(&output.value), 0)
            };
            let _ = writeln!(out, "{name} = {value}");
        }
    }
    out
}

/// `name = value` lines of an object's non-null attributes, aligned, indented by four.
fn body(value: &Value) -> String {
    let mut out = String::new();
    let entries: Vec<(&String, &Value)> = match value {
        Value::Object(m) | Value::Map(m) => m
            .iter()
            .filter(|(_, v)| !matches!(v, Value::Null))
            .collect(),
        Value::Marked(..) => return format!("    {SENSITIVE}\n"),
        _ => Vec::new(),
    };
    let width = entries.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    for (name, v) in entries {
        let _ = writeln!(
            out,
            "    {name:<width$} = {}",
            crate::render::plan::value_text(v, 4)
        );
    }
    out
}

/// The state as JSON (`docs/cli.md`, `skelc show --json`): sensitive parts replaced by
/// `(sensitive value)` and located in `sensitive_values`.
fn state_json(state: &State, schemas: &StateSchemas) -> Json {
    let resources: Vec<Json> = state
        .resources
        .iter()
        .map(|(addr, instance)| {
            let value = marked_attributes(schemas, addr, instance);
            let r = &addr.resource;
            let mut entry = json!({
                "address": addr.to_string(),
                "mode": match r.mode { ResourceMode::Managed => "managed", ResourceMode::Data => "data" },
                "type": r.type_name,
                "name": r.name,
                "provider": instance.provider,
                "values": shown_json(&value),
                "sensitive_values": sensitive_as_bool(&value),
            });
            if !r.module.is_root() {
                entry["module"] = json!(r.module.to_string());
            }
            match &addr.key {
                skel_plan_ir::InstanceKey::None => {}
                skel_plan_ir::InstanceKey::Int(i) => entry["index"] = json!(i),
                skel_plan_ir::InstanceKey::Str(s) => entry["index"] = json!(s),
            }
            if !instance.dependencies.is_empty() {
                entry["depends_on"] = json!(instance.dependencies);
            }
            if instance.status == InstanceStatus::Tainted {
                entry["tainted"] = json!(true);
            }
            if !instance.deposed.is_empty() {
                entry["deposed"] = Json::Array(
                    instance
                        .deposed
                        .iter()
                        .map(|old| shown_json(&marked(schemas, addr, old, &instance.sensitive_paths)))
                        .collect(),
                );
            }
            entry
        })
        .collect();
    let outputs: serde_json::Map<String, Json> = state
        .outputs
        .iter()
        .map(|(name, o)| {
            let value = if o.sensitive {
                Json::String(SENSITIVE.into())
            } else {
                o.value.clone()
            };
            (
                name.clone(),
                json!({"value": value, "sensitive": o.sensitive}),
            )
        })
        .collect();
    json!({
        "format_version": 1,
        "serial": state.serial,
        "lineage": state.lineage,
        "resources": resources,
        "outputs": outputs,
    })
}
