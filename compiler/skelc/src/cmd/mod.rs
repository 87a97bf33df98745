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

/// Load a project, turning "diagnostics were printed" into exit code 1.
pub(crate) fn load_or_exit(
    dir: &std::path::Path,
    vars: &crate::cli::VarArgs,
) -> Result<Project, anyhow::Result<u8>> {
    match project::load(dir, vars) {
        Ok(p) => Ok(p),
        Err(LoadError::Diagnostics) => Err(Ok(1)),
        Err(LoadError::Usage(e)) => Err(Err(e)),
    }
}

/// Print engine errors, each with its address, location and help. Engine messages never hold
/// a marked value (see `skel_runtime::EngineError`).
pub(crate) fn print_errors(errors: &skel_runtime::Errors) {
    for e in &errors.0 {
        let mut line = String::from("error: ");
        if let Some(addr) = &e.address {
            line.push_str(addr);
            line.push_str(": ");
        }
        line.push_str(&e.message);
        eprintln!("{line}");
        if let Some(loc) = &e.location {
            let cwd = std::env::current_dir().unwrap_or_default();
            let file = loc.file.strip_prefix(&cwd).unwrap_or(&loc.file);
            eprintln!("  --> {}:{}:{}", file.display(), loc.line, loc.column);
        }
        if let Some(help) = &e.help {
            eprintln!("  help: {help}");
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
