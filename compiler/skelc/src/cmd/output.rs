//! `skelc output [NAME] [DIR] [--json] [--raw] [--show-sensitive]`: the root module's outputs
//! from state. A single argument that names an existing directory is the directory (`skelc
//! output infra`); to ask for an output whose name is also a directory's, give both (`skelc
//! output NAME .`). A sensitive output is shown as `(sensitive value)` in every form unless it
//! is asked for explicitly: `--raw NAME` (the bare value, as Terraform's `-raw`) or
//! `--show-sensitive`.

use std::path::PathBuf;

use crate::cli::OutputArgs;
use crate::exit::ExitStatus;
use crate::render::sensitive::SENSITIVE;
use crate::workdir::{self, DirUse};

pub fn run(mut args: OutputArgs) -> anyhow::Result<ExitStatus> {
    if args.dir.dir.is_none() && args.dir.dir_option.is_none() {
        if let Some(name) = &args.name {
            if workdir::from_command_line(std::path::Path::new(name)).is_dir() {
                args.dir.dir = Some(PathBuf::from(name));
                args.name = None;
            }
        }
    }
    let dir = workdir::root_dir(&args.dir.get()?, "output", DirUse::Reads)?;
    let store = crate::encryption::store_in(&dir, &Default::default())?;
    let state = store.read()?;
    let show = |sensitive: bool, v: &serde_json::Value| {
        if sensitive && !args.show_sensitive {
            serde_json::Value::String(SENSITIVE.into())
        } else {
            v.clone()
        }
    };
    if args.raw && args.name.is_none() {
        anyhow::bail!("--raw prints one output: give its name (`skelc output --raw NAME`)");
    }
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
            if args.raw {
                // Asked for by name with --raw: printed as is, sensitive or not.
                match &output.value {
                    serde_json::Value::String(s) => println!("{s}"),
                    v @ (serde_json::Value::Number(_) | serde_json::Value::Bool(_)) => {
                        println!("{v}")
                    }
                    _ => anyhow::bail!(
                        "--raw prints only a string, number or bool; `{name}` is a structure: use --json --show-sensitive"
                    ),
                }
                return Ok(ExitStatus::Success);
            }
            let hidden = output.sensitive && !args.show_sensitive;
            if hidden {
                eprintln!("note: `{name}` is sensitive; print it with `skelc output --raw {name}` or `--show-sensitive`");
            }
            let value = show(output.sensitive, &output.value);
            if args.json {
                println!("{}", serde_json::to_string_pretty(&value)?);
            } else {
                match &value {
                    serde_json::Value::String(s) => println!("{s}"),
                    other => println!("{}", serde_json::to_string_pretty(other)?),
                }
            }
        }
        None if args.json => {
            let map: serde_json::Map<String, serde_json::Value> = state
                .outputs
                .iter()
                .map(|(k, o)| {
                    (
                        k.clone(),
                        serde_json::json!({ "value": show(o.sensitive, &o.value), "sensitive": o.sensitive }),
                    )
                })
                .collect();
            println!("{}", serde_json::to_string_pretty(&map)?);
        }
        None => {
            if state.outputs.is_empty() {
                println!("No outputs in state. Run `skelc run` first.");
            }
            for (name, o) in &state.outputs {
                let value = if o.sensitive && !args.show_sensitive {
                    SENSITIVE.to_string()
                } else {
                    serde_json::to_string(&o.value)?
                };
                println!("{name} = {value}");
            }
        }
    }
    Ok(ExitStatus::Success)
}
