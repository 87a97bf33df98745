//! `skelc output [NAME] [--json]`: the root module's outputs from state.

use crate::cli::OutputArgs;

pub fn run(args: OutputArgs) -> anyhow::Result<u8> {
    let dir = std::path::absolute(&args.dir)?;
    let store = crate::encryption::store_in(&dir, &Default::default())?;
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
