//! `skelc run`: check → plan → show → confirm → apply exactly that change set. With a saved
//! plan file, re-plan and refuse if anything moved since the plan was made.

use std::io::{BufRead, IsTerminal, Write};
use std::sync::Arc;

use skel_plan_ir::Action;
use skel_runtime::{apply, plan, ApplyOptions, Cancel, PlanOptions, Planned, ProviderRegistry};

use crate::cli::{ApplyArgs, RunArgs};
use crate::exit::ExitStatus;
use crate::glue::{self, JournalSink, Locked};
use crate::project::Project;
use crate::workdir;

pub fn run(args: RunArgs) -> anyhow::Result<ExitStatus> {
    let target = crate::cli::DirArg {
        dir: args.target.clone(),
        dir_option: args.dir_option.clone(),
    }
    .get()?;
    let path = workdir::from_command_line(&target);
    if !path.is_dir() {
        // A plan file (a missing one, or one that is no plan, is reported as such).
        return run_saved(args, &path);
    }
    let project = super::load(&path, Some(&args.vars), args.apply.input.input)?;
    plan_and_apply(project, &args.apply, false)
}

/// Plan (or plan a destroy), show it, confirm, apply.
pub fn plan_and_apply(
    project: Project,
    args: &ApplyArgs,
    destroy: bool,
) -> anyhow::Result<ExitStatus> {
    let registry = glue::registry();
    let rt = glue::runtime()?;
    rt.block_on(async {
        let mut options = PlanOptions {
            destroy,
            refresh: !args.no_refresh,
            variables: project.variables.clone(),
            ..Default::default()
        };
        super::targeting(&args.targeting, &mut options)?;
        let operation = if destroy { "destroy" } else { "run" };
        let (locked, planned) =
            super::lock_and_plan(&project, &registry, operation, options, true).await?;
        show_and_apply(locked, planned, &registry, args).await
    })
}

async fn show_and_apply(
    mut locked: Locked,
    planned: Planned,
    registry: &ProviderRegistry,
    args: &ApplyArgs,
) -> anyhow::Result<ExitStatus> {
    super::plan::print_drift(&planned);
    super::plan::print_checks(&planned.checks, true);
    super::warn_targeted(&planned.changes);
    if planned.changes.destroy && !planned.changes.has_changes() {
        println!("{}", super::plan::NOTHING_TO_DESTROY);
    } else {
        crate::render::plan::print(&planned.changes)?;
    }
    if !planned.changes.has_changes() {
        // Still record refreshed objects (drift) and outputs.
        // A state read through a fallback method (key rotation, migration) is written again
        // in the configured form.
        let migrate = locked.store.needs_rewrite()?;
        if migrate {
            eprintln!("The state is rewritten with its configured encryption method.");
        }
        if migrate || !planned.drift.is_empty() || outputs_differ(&planned, &locked) {
            return finish(locked, planned, registry, args, true).await;
        }
        return Ok(ExitStatus::Success);
    }
    if !args.auto_approve && !confirm()? {
        println!("Apply cancelled.");
        return Ok(ExitStatus::Errors);
    }
    let _ = &mut locked;
    finish(locked, planned, registry, args, false).await
}

fn outputs_differ(planned: &Planned, locked: &Locked) -> bool {
    planned.changes.outputs.iter().any(|o| {
        locked.state.outputs.get(&o.name).map(|s| &s.value)
            != o.after.as_ref().map(|v| v.to_json()).as_ref()
    })
}

async fn finish(
    locked: Locked,
    planned: Planned,
    registry: &ProviderRegistry,
    args: &ApplyArgs,
    quiet: bool,
) -> anyhow::Result<ExitStatus> {
    let (add, change, destroy) = planned.changes.summary();
    let imported = match planned.changes.imports() {
        0 => String::new(),
        n => format!("{n} imported, "),
    };
    let planned_destroy = planned.changes.destroy;
    let sink = Arc::new(JournalSink::begin(&locked)?);
    let cancel = Arc::new(Cancel::default());
    glue::install_ctrl_c(cancel.clone());
    let progress = Arc::new(glue::Progress::new());
    let options = ApplyOptions {
        parallelism: args.parallelism,
        cancel,
        provisioners: Some(Arc::new(glue::BuiltinProvisioners)),
        ..Default::default()
    };
    let report = apply(planned, registry, sink.clone(), progress.clone(), options).await;
    drop(progress);
    // `apply` wrote the final state through the sink; the journal is no longer needed once
    // that write succeeded.
    let saved = report.errors.0.iter().all(|e| {
        !e.message.starts_with("saving state") && !e.message.starts_with("writing the journal")
    });
    if saved {
        sink.commit()?;
    }
    drop(locked);
    if !report.errors.0.is_empty() {
        crate::render::engine_errors(&report.errors);
        eprintln!(
            "\nApply failed: {} operation(s) done, {} not started; state records what was done.",
            report.applied, report.skipped
        );
        return Ok(ExitStatus::Errors);
    }
    if report.cancelled {
        eprintln!("\nApply interrupted: {} operation(s) done, {} not started; state records what was done.", report.applied, report.skipped);
        return Ok(ExitStatus::Errors);
    }
    if !quiet && planned_destroy {
        println!("\nDestroy complete! Resources: {destroy} destroyed.");
    } else if !quiet {
        println!(
            "\nApply complete! Resources: {imported}{add} added, {change} changed, {destroy} destroyed."
        );
    }
    super::plan::print_checks(&report.checks, false);
    let outputs = &report.state.outputs;
    if !outputs.is_empty() {
        println!("\nOutputs:\n");
        for (name, output) in outputs {
            let value = if output.sensitive {
                "(sensitive value)".to_string()
            } else {
                crate::render::plan::value_text(&skel_value::Value::from_json(&output.value), 0)
            };
            println!("{name} = {value}");
        }
    }
    Ok(ExitStatus::Success)
}

fn confirm() -> anyhow::Result<bool> {
    if !std::io::stdin().is_terminal() {
        return Err(crate::workdir::hinted(
            "standard input is not a terminal, so the plan cannot be confirmed",
            "pass --auto-approve to apply without asking",
        ));
    }
    print!("\nDo you want to apply these changes? Only 'yes' is accepted: ");
    std::io::stdout().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim() == "yes")
}

/// `skelc run PLANFILE`: apply exactly a saved plan, refusing if the state or the plan moved.
fn run_saved(args: RunArgs, path: &std::path::Path) -> anyhow::Result<ExitStatus> {
    let targeting = &args.apply.targeting;
    if !targeting.target.is_empty() || !targeting.replace.is_empty() {
        return Err(workdir::hinted(
            "-target and -replace are not given with a plan file: the plan keeps those it was made with",
            "give them to `skelc plan --out FILE`",
        ));
    }
    let root = super::plan::plan_root(path)?;
    // The configuration says how the plan is encrypted; the variables given now supply the key
    // material, which a plan file never holds.
    let keyed = super::load_saved(&root, &args.vars)?;
    let saved = super::plan::load_plan_file(path, &keyed.encryption.plan)?;
    if saved.root != root {
        anyhow::bail!(
            "cannot read the plan {}: the directory recorded beside its encrypted data is not the \
             one inside it (the file was altered). Nothing was changed.",
            crate::workdir::shown(path).display()
        );
    }
    let mut project = load_for_saved(&saved, &args.vars)?;
    for name in &keyed.encryption.key_variables {
        if let Some(value) = keyed.variables.get(name) {
            project.variables.insert(name.clone(), value.clone());
        }
    }
    let registry = glue::registry();
    let rt = glue::runtime()?;
    rt.block_on(async {
        let mut locked = glue::lock_state(crate::encryption::store_for(&project)?, "run")?;
        glue::recover(&mut locked, &registry, &project).await?;
        // A plan made before any state existed applies to a directory that still has none.
        if saved.changes.state_serial == 0 && locked.state.serial == 0 && locked.state.resources.is_empty() && !locked.store.exists()? {
            locked.state.lineage = saved.changes.state_lineage.clone();
        }
        if locked.state.serial != saved.changes.state_serial || locked.state.lineage != saved.changes.state_lineage {
            crate::render::print_error(
                &format!("the state changed since this plan was made (plan: serial {}, state: serial {})", saved.changes.state_serial, locked.state.serial),
                None,
                Some("make a new plan with `skelc plan --out FILE`"),
            );
            return Ok(ExitStatus::Errors);
        }
        // A saved plan is re-planned with the targets and replacements it was made with.
        let options = PlanOptions {
            destroy: saved.changes.destroy,
            refresh: !args.apply.no_refresh,
            variables: project.variables.clone(),
            targets: saved.changes.targets.clone(),
            replace: saved.changes.replace.clone(),
        };
        let planned = match plan(project.config.clone(), &locked.state, &registry, &options, &skel_runtime::Silent).await {
            Ok(p) => p,
            Err(errors) => {
                crate::render::engine_errors(&errors);
                return Ok(ExitStatus::Errors);
            }
        };
        if let Some(difference) = differs(&saved.changes, &planned.changes) {
            crate::render::print_error(
                &format!("the configuration or the real objects changed since this plan was made: {difference}"),
                None,
                Some("make a new plan with `skelc plan --out FILE`"),
            );
            return Ok(ExitStatus::Errors);
        }
        let apply_args = ApplyArgs { auto_approve: true, ..args.apply.clone() };
        show_and_apply(locked, planned, &registry, &apply_args).await
    })
}

/// The project of a saved plan, with the plan's variable values and, for the ephemeral
/// variables the plan names (never saved), values given again now: `-var`, `SKEL_VAR_…`, a
/// variable file, or asked for on a terminal.
fn load_for_saved(
    saved: &super::plan::PlanFile,
    vars: &crate::cli::VarArgs,
) -> anyhow::Result<Project> {
    let mut project = super::load_saved(&saved.root, vars)?;
    let missing: Vec<&String> = saved
        .ephemeral_variables
        .iter()
        .filter(|name| !project.variables.contains_key(*name))
        .collect();
    if !missing.is_empty() {
        // The answers come last, so they win over nothing given (they answer what was missing).
        let mut again = vars.clone();
        let mut ordered = vars.in_order();
        for name in missing {
            let answer = format!("{name}={}", ask_ephemeral(name)?);
            again.vars.push(answer.clone());
            ordered.push(crate::cli::VarSource::Var(answer));
        }
        again.ordered = ordered;
        project = super::load_saved(&saved.root, &again)?;
    }
    let mut variables = saved.variables.clone();
    for name in &saved.ephemeral_variables {
        if let Some(v) = project.variables.get(name) {
            variables.insert(name.clone(), v.clone());
        }
    }
    project.variables = variables;
    Ok(project)
}

/// An ephemeral variable's value typed on the terminal (not echoed), or an error saying how
/// to give it.
fn ask_ephemeral(name: &str) -> anyhow::Result<String> {
    if !std::io::stdin().is_terminal() {
        anyhow::bail!("the plan was made with the ephemeral variable `{name}`, whose value is never saved in a plan file: give it again with `-var {name}=…` or the SKEL_VAR_{name} environment variable");
    }
    eprint!("var.{name} is ephemeral (not saved in the plan); enter its value: ");
    std::io::stderr().flush()?;
    let stty = |arg: &str| {
        std::process::Command::new("stty")
            .arg(arg)
            .stdin(std::process::Stdio::inherit())
            .status()
            .is_ok_and(|s| s.success())
    };
    let silenced = stty("-echo");
    let mut line = String::new();
    let read = std::io::stdin().lock().read_line(&mut line);
    if silenced {
        stty("echo");
    }
    eprintln!();
    read?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

/// The first difference between a saved change set and a fresh one, if any.
fn differs(saved: &skel_plan_ir::ChangeSet, fresh: &skel_plan_ir::ChangeSet) -> Option<String> {
    if saved.forgotten != fresh.forgotten {
        return Some("the objects `removed` blocks forget are not the same".into());
    }
    let significant = |c: &&skel_plan_ir::ResourceChange| {
        c.action != Action::NoOp || c.moved_from.is_some() || c.imported_from.is_some()
    };
    let a: Vec<_> = saved.changes.iter().filter(significant).collect();
    let b: Vec<_> = fresh.changes.iter().filter(significant).collect();
    if a.len() != b.len() {
        return Some(format!(
            "the plan had {} change(s), now there are {}",
            a.len(),
            b.len()
        ));
    }
    for (x, y) in a.iter().zip(&b) {
        if x.imported_from != y.imported_from {
            return Some(format!("`{}` would now be imported differently", y.addr));
        }
        if x.moved_from != y.moved_from {
            return Some(format!("`{}` would now move differently", y.addr));
        }
        if x.addr != y.addr || x.action != y.action {
            return Some(format!(
                "`{}` would now be {:?} instead of {:?}",
                y.addr, y.action, x.action
            ));
        }
        if x.planned != y.planned && x.planned.as_ref().is_some_and(|p| p.is_known()) {
            return Some(format!("`{}` would now get different values", y.addr));
        }
    }
    None
}
