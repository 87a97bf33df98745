//! `skelc run`: check → plan → show → confirm → apply exactly that change set. With a saved
//! plan file, re-plan and refuse if anything moved since the plan was made.

use std::io::{BufRead, IsTerminal, Write};
use std::sync::Arc;

use skel_plan_ir::Action;
use skel_runtime::{apply, plan, ApplyOptions, Cancel, PlanOptions, Planned, ProviderRegistry};

use crate::cli::{ApplyArgs, RunArgs};
use crate::glue::{self, JournalSink, Locked};
use crate::project::Project;
use crate::render::redact::Redactor;
use crate::workdir;

pub fn run(args: RunArgs) -> anyhow::Result<u8> {
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
    let project = match super::load_or_exit(&path, Some(&args.vars), args.apply.input.input) {
        Ok(p) => p,
        Err(code) => return code,
    };
    plan_and_apply(project, &args.apply, false)
}

/// Plan (or plan a destroy), show it, confirm, apply.
pub fn plan_and_apply(project: Project, args: &ApplyArgs, destroy: bool) -> anyhow::Result<u8> {
    let registry = glue::registry();
    let rt = glue::runtime()?;
    rt.block_on(async {
        let options = PlanOptions {
            destroy,
            refresh: !args.no_refresh,
            variables: project.variables.clone(),
        };
        let operation = if destroy { "destroy" } else { "run" };
        let (locked, planned) =
            match super::lock_and_plan(&project, &registry, operation, options, true).await? {
                Ok(x) => x,
                Err(code) => return Ok(code),
            };
        show_and_apply(&project, locked, planned, &registry, args).await
    })
}

async fn show_and_apply(
    project: &Project,
    mut locked: Locked,
    planned: Planned,
    registry: &ProviderRegistry,
    args: &ApplyArgs,
) -> anyhow::Result<u8> {
    let redactor = Redactor::new(
        &project.config,
        &project.variables,
        Some(&locked.state),
        Some(&planned.changes),
    );
    super::plan::print_drift(&planned, &redactor);
    if planned.changes.destroy && !planned.changes.has_changes() {
        println!("{}", super::plan::NOTHING_TO_DESTROY);
    } else {
        print!(
            "{}",
            crate::render::plan::render(&planned.changes, &redactor)
        );
    }
    if !planned.changes.has_changes() {
        // Still record refreshed objects (drift) and outputs.
        if !planned.drift.is_empty() || outputs_differ(&planned, &locked) {
            return finish(locked, planned, registry, args, redactor, true).await;
        }
        return Ok(0);
    }
    if !args.auto_approve && !confirm()? {
        println!("Apply cancelled.");
        return Ok(1);
    }
    let _ = &mut locked;
    finish(locked, planned, registry, args, redactor, false).await
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
    redactor: Redactor,
    quiet: bool,
) -> anyhow::Result<u8> {
    let (add, change, destroy) = planned.changes.summary();
    let planned_destroy = planned.changes.destroy;
    let sink = Arc::new(JournalSink::begin(&locked, redactor.clone())?);
    let cancel = Arc::new(Cancel::default());
    glue::install_ctrl_c(cancel.clone());
    let progress = Arc::new(glue::Progress::new(redactor.clone()));
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
        super::print_errors(&report.errors, &redactor);
        eprintln!(
            "\nApply failed: {} operation(s) done, {} not started; state records what was done.",
            report.applied, report.skipped
        );
        return Ok(1);
    }
    if report.cancelled {
        eprintln!("\nApply interrupted: {} operation(s) done, {} not started; state records what was done.", report.applied, report.skipped);
        return Ok(1);
    }
    if !quiet && planned_destroy {
        println!("\nDestroy complete! Resources: {destroy} destroyed.");
    } else if !quiet {
        println!(
            "\nApply complete! Resources: {add} added, {change} changed, {destroy} destroyed."
        );
    }
    let outputs = &report.state.outputs;
    if !outputs.is_empty() {
        println!("\nOutputs:\n");
        for (name, output) in outputs {
            let value = if output.sensitive {
                "(sensitive value)".to_string()
            } else {
                crate::render::plan::value_text(
                    &skel_value::Value::from_json(&output.value),
                    0,
                    &redactor,
                )
            };
            println!("{name} = {value}");
        }
    }
    Ok(0)
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
fn run_saved(args: RunArgs, path: &std::path::Path) -> anyhow::Result<u8> {
    let saved = super::plan::load_plan_file(path)?;
    let registry = glue::registry();
    // The values are the plan's; none is asked for or required again.
    let project = match super::load_or_exit(&saved.root, None, false) {
        Ok(mut p) => {
            p.variables = saved.variables.clone();
            p
        }
        Err(code) => return code,
    };
    let rt = glue::runtime()?;
    rt.block_on(async {
        let mut locked = glue::lock_state(&project.root, "run")?;
        glue::recover(&mut locked, &registry, &project).await?;
        // A plan made before any state existed applies to a directory that still has none.
        if saved.changes.state_serial == 0 && locked.state.serial == 0 && locked.state.resources.is_empty() && !locked.store.state_path().exists() {
            locked.state.lineage = saved.changes.state_lineage.clone();
        }
        if locked.state.serial != saved.changes.state_serial || locked.state.lineage != saved.changes.state_lineage {
            crate::render::print_error(
                &format!("the state changed since this plan was made (plan: serial {}, state: serial {})", saved.changes.state_serial, locked.state.serial),
                None,
                Some("make a new plan with `skelc plan --out FILE`"),
            );
            return Ok(1);
        }
        let options = PlanOptions { destroy: saved.changes.destroy, refresh: !args.apply.no_refresh, variables: project.variables.clone() };
        let redactor = Redactor::new(&project.config, &project.variables, Some(&locked.state), None);
        let planned = match plan(project.config.clone(), &locked.state, &registry, &options, &skel_runtime::Silent).await {
            Ok(p) => p,
            Err(errors) => {
                super::print_errors(&errors, &redactor);
                return Ok(1);
            }
        };
        if let Some(difference) = differs(&saved.changes, &planned.changes) {
            crate::render::print_error(
                &format!("the configuration or the real objects changed since this plan was made: {difference}"),
                None,
                Some("make a new plan with `skelc plan --out FILE`"),
            );
            return Ok(1);
        }
        let apply_args = ApplyArgs { auto_approve: true, ..args.apply.clone() };
        show_and_apply(&project, locked, planned, &registry, &apply_args).await
    })
}

/// The first difference between a saved change set and a fresh one, if any.
fn differs(saved: &skel_plan_ir::ChangeSet, fresh: &skel_plan_ir::ChangeSet) -> Option<String> {
    let significant = |c: &&skel_plan_ir::ResourceChange| c.action != Action::NoOp;
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
