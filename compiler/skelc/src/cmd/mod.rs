//! The commands that plan and change infrastructure, one module each, and the dispatch of a
//! parsed command line to every command (`run`), which ends in an [`ExitStatus`].

pub mod console;
pub mod destroy;
pub mod graph;
pub mod import;
pub mod migrate;
pub mod output;
pub mod plan;
pub mod port;
pub mod refresh;
pub mod run;
pub mod show;
pub mod state;
pub mod unlock;
pub mod workspace;

use crate::exit::{self, ExitStatus, Reported};
use crate::project::{self, LoadError, Project};

/// Run the parsed command line: `--chdir`, the working directory, the lock timeout, then the
/// command. A panic is an internal error.
pub(crate) fn run(cli: crate::cli::Cli) -> ExitStatus {
    crate::render::init_color(cli.no_color);
    if let Some(dir) = &cli.chdir {
        if let Err(e) = std::env::set_current_dir(dir) {
            crate::render::print_error(
                &format!("--chdir {}: {e}", dir.display()),
                None,
                Some("give an existing directory: `skelc --chdir=DIR COMMAND`"),
            );
            return ExitStatus::Usage;
        }
    }
    crate::workdir::init();
    crate::glue::set_lock_timeout(cli.command.lock_timeout());
    match cli.command.lock_disabled() {
        Some(true) => crate::glue::disable_lock(),
        Some(false) => {
            crate::render::print_error(
                "--lock=false is only for commands that do not change the state (`plan`, \
                 `graph`): this one writes it, and only the lock keeps two writers apart",
                None,
                Some("leave the lock on; wait for a held lock with --lock-timeout"),
            );
            return ExitStatus::Usage;
        }
        None => {}
    }
    // Errors of the checking commands are usage errors (2); errors of the commands that touch
    // infrastructure (a held lock, an unreachable provider) are failures (1).
    let usage_errors = matches!(
        cli.command,
        crate::cli::Command::Check(_) | crate::cli::Command::Fmt(_) | crate::cli::Command::Lsp
    );
    let result = std::panic::catch_unwind(|| dispatch(cli.command));
    match result {
        Ok(result) => exit::finish(result, usage_errors),
        Err(_) => {
            crate::render::print_error(
                "skelc hit an internal error (a bug)",
                None,
                Some("please report it with the input that caused it"),
            );
            ExitStatus::Internal
        }
    }
}

fn dispatch(command: crate::cli::Command) -> anyhow::Result<ExitStatus> {
    use crate::cli::Command;
    match command {
        Command::Check(args) => crate::check::run(args),
        Command::Fmt(args) => crate::fmt::run(args),
        Command::Lsp => crate::lsp::run(),
        Command::Plan(args) => plan::run(args),
        Command::Run(args) => run::run(args),
        Command::Destroy(args) => destroy::run(args),
        Command::Output(args) => output::run(args),
        Command::Show(args) => show::run(args),
        Command::Console(args) => console::run(args),
        Command::State(args) => state::run(args),
        Command::Import(args) => import::run(args),
        Command::Graph(args) => graph::run(args),
        Command::Refresh(args) => refresh::run(args),
        Command::ForceUnlock(args) => unlock::run(args),
        Command::Port(args) => port::run(args),
        Command::Init(args) => crate::init::run(args),
        Command::Workspace(args) => workspace::run(args),
    }
}

/// Load the project in `root` (absolute); diagnostics are printed and make it a [`Reported`]
/// failure. `input` allows asking for missing variable values on a terminal; `vars` is `None`
/// for the values of a saved plan.
pub(crate) fn load(
    root: &std::path::Path,
    vars: Option<&crate::cli::VarArgs>,
    input: bool,
) -> anyhow::Result<Project> {
    loaded(project::load(root, vars, input))
}

/// [`load`] for `skelc run PLANFILE`: the variable sources are read (for the ephemeral values a
/// saved plan leaves out) but nothing is required or asked for.
pub(crate) fn load_saved(
    root: &std::path::Path,
    vars: &crate::cli::VarArgs,
) -> anyhow::Result<Project> {
    loaded(project::load_with(root, Some(vars), false, false))
}

fn loaded(result: Result<Project, LoadError>) -> anyhow::Result<Project> {
    match result {
        Ok(p) => Ok(p),
        Err(LoadError::Diagnostics) => Err(Reported::errors()),
        Err(LoadError::Usage(e)) => Err(e),
    }
}

/// Lock the state, recover an interrupted run, and plan; when planning fails its errors are
/// printed and the result is a [`Reported`] failure.
pub(crate) async fn lock_and_plan(
    project: &Project,
    registry: &skel_runtime::ProviderRegistry,
    operation: &str,
    options: skel_runtime::PlanOptions,
    show_progress: bool,
) -> anyhow::Result<(crate::glue::Locked, skel_runtime::Planned)> {
    let mut locked = crate::glue::lock_state(crate::encryption::store_for(project)?, operation)?;
    crate::glue::recover(&mut locked, registry, project).await?;
    // The plan takes the state's instances (it refreshes them in place, and apply records its
    // work in them); what stays locked is the rest: serial, lineage and outputs, which is all
    // the callers read afterwards.
    let rest = skel_plan_ir::State {
        resources: Default::default(),
        outputs: locked.state.outputs.clone(),
        lineage: locked.state.lineage.clone(),
        ..locked.state
    };
    let state = std::mem::replace(&mut locked.state, rest);
    let result = if show_progress {
        let progress = crate::glue::Progress::new();
        skel_runtime::plan_owned(project.config.clone(), state, registry, &options, &progress).await
    } else {
        skel_runtime::plan_owned(
            project.config.clone(),
            state,
            registry,
            &options,
            &skel_runtime::Silent,
        )
        .await
    };
    match result {
        Ok(planned) => Ok((locked, planned)),
        Err(errors) => {
            crate::render::engine_errors(&errors);
            Err(Reported::errors())
        }
    }
}

/// `-target` and `-replace` read into plan options: each must be an address (a target a
/// resource, an instance or a module call; a replacement an instance), written as `skelc state
/// list` prints them.
pub(crate) fn targeting(
    args: &crate::cli::TargetArgs,
    options: &mut skel_runtime::PlanOptions,
) -> anyhow::Result<()> {
    for target in &args.target {
        let (expr, errors) = skel_syntax::parse_expr(target);
        let endpoint = errors
            .is_empty()
            .then(|| skel_hir::refactor::parse_endpoint(&expr).ok())
            .flatten()
            .filter(|e| e.resource.as_ref().is_none_or(|r| !r.data));
        match endpoint {
            Some(e) => options.targets.push(e.to_string()),
            None => {
                return Err(crate::workdir::hinted(
                    format!("-target: `{target}` is not a resource, instance or module address"),
                    "write it as `skelc state list` prints addresses: `aws_vpc.main`, \
                     `aws_subnet.a[\"x\"]`, `module.net`",
                ))
            }
        }
    }
    for replace in &args.replace {
        match replace.parse::<skel_plan_ir::InstanceAddr>() {
            Ok(addr) if addr.resource.mode == skel_plan_ir::ResourceMode::Managed => {
                options.replace.push(addr)
            }
            _ => {
                return Err(crate::workdir::hinted(
                    format!("-replace: `{replace}` is not a resource instance address"),
                    "write it as `skelc state list` prints it: `aws_instance.web[0]`",
                ))
            }
        }
    }
    Ok(())
}

/// The warning of a targeted plan, as Terraform gives it.
pub(crate) fn warn_targeted(changes: &skel_plan_ir::ChangeSet) {
    if !changes.targets.is_empty() {
        eprintln!(
            "warning: resource targeting is in effect ({}): this plan covers only these \
             objects and what they depend on, and may be partial; the next plan without \
             -target shows what else differs",
            changes.targets.join(", ")
        );
    }
}
