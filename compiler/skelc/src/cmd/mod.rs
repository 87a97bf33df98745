//! The commands that plan and change infrastructure, one module each.

pub mod destroy;
pub mod graph;
pub mod import;
pub mod output;
pub mod plan;
pub mod refresh;
pub mod run;
pub mod state;
pub mod unlock;

use crate::project::{self, LoadError, Project};

/// Load the project in `root` (absolute), turning "diagnostics were printed" into exit code 1.
/// `input` allows asking for missing variable values on a terminal; `vars` is `None` for the
/// values of a saved plan.
pub(crate) fn load_or_exit(
    root: &std::path::Path,
    vars: Option<&crate::cli::VarArgs>,
    input: bool,
) -> Result<Project, anyhow::Result<u8>> {
    match project::load(root, vars, input) {
        Ok(p) => Ok(p),
        Err(LoadError::Diagnostics) => Err(Ok(1)),
        Err(LoadError::Usage(e)) => Err(Err(e)),
    }
}

/// [`load_or_exit`] for `skelc run PLANFILE`: the variable sources are read (for the ephemeral
/// values a saved plan leaves out) but nothing is required or asked for.
pub(crate) fn load_saved_or_exit(
    root: &std::path::Path,
    vars: &crate::cli::VarArgs,
) -> Result<Project, anyhow::Result<u8>> {
    match project::load_with(root, Some(vars), false, false) {
        Ok(p) => Ok(p),
        Err(LoadError::Diagnostics) => Err(Ok(1)),
        Err(LoadError::Usage(e)) => Err(Err(e)),
    }
}

/// Print engine errors in the diagnostics' format (`error: ADDRESS: message`, the block's
/// snippet, the help). Engine messages never hold a marked value (see
/// `skel_runtime::EngineError`).
pub(crate) fn print_errors(errors: &skel_runtime::Errors) {
    let cwd = crate::workdir::started_in();
    for e in &errors.0 {
        let mut message = String::new();
        if let Some(addr) = &e.address {
            message.push_str(addr);
            message.push_str(": ");
        }
        message.push_str(&e.message);
        let location = e.location.as_ref().and_then(|loc| {
            crate::render::Location::at_line(&loc.file, loc.line, loc.column, &cwd)
        });
        let text = crate::render::error_text(&message, location.as_ref(), e.help.as_deref());
        eprint!("{text}");
        if location.is_none() {
            if let Some(loc) = &e.location {
                eprintln!(
                    "  --> {}:{}:{}",
                    crate::workdir::shown(&loc.file).display(),
                    loc.line,
                    loc.column
                );
            }
        }
    }
}

/// Lock the state, recover an interrupted run, and plan. `Ok(Err(1))` when planning failed (the
/// errors are printed).
pub(crate) async fn lock_and_plan(
    project: &Project,
    registry: &skel_runtime::ProviderRegistry,
    operation: &str,
    options: skel_runtime::PlanOptions,
    show_progress: bool,
) -> anyhow::Result<Result<(crate::glue::Locked, skel_runtime::Planned), u8>> {
    let mut locked = crate::glue::lock_state(crate::encryption::store_for(project)?, operation)?;
    crate::glue::recover(&mut locked, registry, project).await?;
    let result = if show_progress {
        let progress = crate::glue::Progress::new();
        skel_runtime::plan(
            project.config.clone(),
            &locked.state,
            registry,
            &options,
            &progress,
        )
        .await
    } else {
        skel_runtime::plan(
            project.config.clone(),
            &locked.state,
            registry,
            &options,
            &skel_runtime::Silent,
        )
        .await
    };
    match result {
        Ok(planned) => Ok(Ok((locked, planned))),
        Err(errors) => {
            print_errors(&errors);
            Ok(Err(1))
        }
    }
}
