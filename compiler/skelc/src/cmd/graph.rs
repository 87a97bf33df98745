//! `skelc graph`: the dependency graph of the configuration in Graphviz DOT.

use std::fmt::Write;

use skel_plan_ir::{Reference, ResourceMode};

use crate::cli::GraphArgs;

pub fn run(args: GraphArgs) -> anyhow::Result<u8> {
    let project = match super::load_or_exit(&args.dir, &args.vars) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let mut out = String::from("digraph skel {\n  rankdir = \"RL\";\n  node [shape = box];\n");
    for (id, module) in project.config.modules.iter().enumerate() {
        let prefix = if id == 0 {
            String::new()
        } else {
            format!(
                "{}:",
                module
                    .dir
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            )
        };
        let node = |r: &Reference| match r {
            Reference::Resource {
                mode: ResourceMode::Managed,
                type_name,
                name,
            } => Some(format!("{prefix}{type_name}.{name}")),
            Reference::Resource {
                mode: ResourceMode::Data,
                type_name,
                name,
            } => Some(format!("{prefix}data.{type_name}.{name}")),
            Reference::Module(name) => Some(format!("{prefix}module.{name}")),
            _ => None,
        };
        for r in &module.resources {
            let me = node(&Reference::Resource {
                mode: r.mode,
                type_name: r.type_name.clone(),
                name: r.name.clone(),
            })
            .unwrap_or_default();
            let _ = writeln!(out, "  \"{me}\";");
            for dep in r.references.iter().filter_map(node) {
                let _ = writeln!(out, "  \"{me}\" -> \"{dep}\";");
            }
        }
        for c in &module.module_calls {
            let me = format!("{prefix}module.{}", c.name);
            let _ = writeln!(out, "  \"{me}\" [shape = folder];");
            for dep in c.references.iter().filter_map(node) {
                let _ = writeln!(out, "  \"{me}\" -> \"{dep}\";");
            }
        }
    }
    out.push_str("}\n");
    print!("{out}");
    Ok(0)
}
