//! `skelc graph [DIR] [--type config|plan|plan-destroy]`: the dependency graph in Graphviz DOT.
//! `config` draws the configuration's blocks, with every module call as a node (`module.net`)
//! whose contents are named by their full address (`module.net.aws_subnet.a`) and are edges of
//! the call; `plan` and `plan-destroy` draw the resource instances of a plan, each labelled with
//! its action, and their dependencies.

use std::fmt::Write;

use skel_plan_ir::{Action, Config, Reference, ResourceMode};
use skel_runtime::PlanOptions;

use crate::cli::{GraphArgs, GraphType};
use crate::exit::ExitStatus;
use crate::glue;
use crate::workdir::{self, DirUse};

pub fn run(args: GraphArgs) -> anyhow::Result<ExitStatus> {
    let root = workdir::root_dir(&args.dir.get()?, "graph", DirUse::Reads)?;
    let project = super::load(&root, Some(&args.vars), args.input.input)?;
    let mut out = String::from("digraph skel {\n  rankdir = \"RL\";\n  node [shape = box];\n");
    match args.graph_type {
        GraphType::Config => config_graph(&project.config, 0, "", &mut out, 0),
        GraphType::Plan | GraphType::PlanDestroy => {
            let registry = glue::registry();
            let options = PlanOptions {
                destroy: args.graph_type == GraphType::PlanDestroy,
                refresh: false,
                variables: project.variables.clone(),
                ..Default::default()
            };
            let (_locked, planned) = glue::runtime()?.block_on(async {
                super::lock_and_plan(&project, &registry, "graph", options, false).await
            })?;
            for change in &planned.changes.changes {
                let action = action_name(change.action);
                let _ = writeln!(
                    out,
                    "  \"{}\" [label = \"{}\\n({action})\"];",
                    change.addr, change.addr
                );
                for dep in &change.dependencies {
                    let _ = writeln!(out, "  \"{}\" -> \"{dep}\";", change.addr);
                }
            }
        }
    }
    out.push_str("}\n");
    print!("{out}");
    Ok(ExitStatus::Success)
}

fn action_name(action: Action) -> &'static str {
    match action {
        Action::NoOp => "no change",
        Action::Create => "create",
        Action::Read => "read",
        Action::Update => "update",
        Action::DeleteThenCreate | Action::CreateThenDelete => "replace",
        Action::Delete => "delete",
    }
}

/// Draws module `id` whose addresses start with `prefix` (`module.net.`), then the modules it
/// calls. `depth` stops a cycle (reported by `check`, so not expected here).
fn config_graph(config: &Config, id: usize, prefix: &str, out: &mut String, depth: usize) {
    let Some(module) = config.modules.get(id) else {
        return;
    };
    if depth > 64 {
        return;
    }
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
    // The call that contains this module's blocks: its node depends on them.
    let call = prefix.strip_suffix('.');
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
        if let Some(call) = call {
            let _ = writeln!(out, "  \"{call}\" -> \"{me}\";");
        }
    }
    for c in &module.module_calls {
        let me = format!("{prefix}module.{}", c.name);
        let _ = writeln!(out, "  \"{me}\" [shape = folder];");
        for dep in c.references.iter().filter_map(node) {
            let _ = writeln!(out, "  \"{me}\" -> \"{dep}\";");
        }
        if let Some(call) = call {
            let _ = writeln!(out, "  \"{call}\" -> \"{me}\";");
        }
        config_graph(config, c.module, &format!("{me}."), out, depth + 1);
    }
}
