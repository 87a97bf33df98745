//! `skelc output [NAME] [DIR] [--json]`: the root module's outputs from state. A single
//! argument that names an existing directory is the directory (`skelc output infra`); to ask
//! for an output whose name is also a directory's, give both (`skelc output NAME .`).

use std::path::PathBuf;

use crate::cli::OutputArgs;
use crate::workdir::{self, DirUse};

pub fn run(mut args: OutputArgs) -> anyhow::Result<u8> {
    if args.dir.dir.is_none() && args.dir.dir_option.is_none() {
        if let Some(name) = &args.name {
            if workdir::from_command_line(std::path::Path::new(name)).is_dir() {
                args.dir.dir = Some(PathBuf::from(name));
                args.name = None;
            }
        }
    }
    let dir = workdir::root_dir(&args.dir.get()?, "output", DirUse::Reads)?;
    let store = skel_state::StateStore::open(&dir)?;
    let state = store.read()?;
    let redact = |sensitive: bool, v: &serde_json::Value| {
        if sensitive {
            serde_json::Value::String("(sensitive value)".into())
        } else {
            v.clone()
        }
    };
    match &args.name {
        Some(name) => {
            let Some(output) = state.outputs.get(name) else {
                let known: Vec<&String> = state.outputs.keys().collect();
                anyhow::bail!(
                    "no output named `{name}` in state (outputs: {})",
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known
                            .iter()
                            .map(|k| format!("`{k}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    }
                );
            };
            // Asking for one output by name shows it, sensitive or not (as Terraform does).
            if args.json {
                println!("{}", serde_json::to_string_pretty(&output.value)?);
            } else {
                match &output.value {
                    serde_json::Value::String(s) => println!("{s}"),
                    other => println!("{}", serde_json::to_string_pretty(other)?),
                }
            }
        }
        None if args.json => {
            let map: serde_json::Map<String, serde_json::Value> = state
                .outputs
                .iter()
                .map(|(k, o)| (k.clone(), serde_json::json!({ "value": redact(o.sensitive, &o.value), "sensitive": o.sensitive })))
                .collect();
            println!("{}", serde_json::to_string_pretty(&map)?);
        }
        None => {
            if state.outputs.is_empty() {
                println!("No outputs in state. Run `skelc run` first.");
            }
            for (name, o) in &state.outputs {
                let value = if o.sensitive {
                    "(sensitive value)".to_string()
                } else {
                    serde_json::to_string(&o.value)?
                };
                println!("{name} = {value}");
            }
        }
    }
    Ok(0)
}
