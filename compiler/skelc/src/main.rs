//! The skel command-line tool: the composition root that wires the compiler, the runtime and the language server.

mod check;
mod cli;
mod cmd;
mod diff;
mod encryption;
mod fmt;
mod glue;
mod hints;
mod lsp;
mod project;
mod render;
mod vars;
mod workdir;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Exit codes: 0 success, 1 diagnostics (or changes with `--check`), 2 usage or unreadable
/// input (and changes with `plan --detailed-exitcode`), 101 internal error.
fn main() -> ExitCode {
    let args = cli::normalize_args(std::env::args_os());
    let matches = match cli::Cli::command().try_get_matches_from(&args) {
        Ok(matches) => matches,
        Err(e) => return hints::usage_error(e, &args),
    };
    let mut cli = match cli::Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => return hints::usage_error(e, &args),
    };
    if let Some(vars) = cli.command.vars_mut() {
        cli::order_vars(&matches, vars);
    }
    render::init_color(cli.no_color);
    if let Some(dir) = &cli.chdir {
        if let Err(e) = std::env::set_current_dir(dir) {
            render::print_error(
                &format!("--chdir {}: {e}", dir.display()),
                None,
                Some("give an existing directory: `skelc --chdir=DIR COMMAND`"),
            );
            return ExitCode::from(2);
        }
    }
    workdir::init();
    glue::set_lock_timeout(cli.command.lock_timeout());
    // Errors of the checking commands are usage errors (2); errors of the commands that touch
    // infrastructure (a held lock, an unreachable provider) are failures (1).
    let usage_errors = matches!(
        cli.command,
        cli::Command::Check(_) | cli::Command::Fmt(_) | cli::Command::Lsp
    );
    let result = std::panic::catch_unwind(|| match cli.command {
        cli::Command::Check(args) => check::run(args),
        cli::Command::Fmt(args) => fmt::run(args),
        cli::Command::Lsp => lsp::run(),
        cli::Command::Plan(args) => cmd::plan::run(args),
        cli::Command::Run(args) => cmd::run::run(args),
        cli::Command::Destroy(args) => cmd::destroy::run(args),
        cli::Command::Output(args) => cmd::output::run(args),
        cli::Command::State(args) => cmd::state::run(args),
        cli::Command::Import(args) => cmd::import::run(args),
        cli::Command::Graph(args) => cmd::graph::run(args),
        cli::Command::Refresh(args) => cmd::refresh::run(args),
        cli::Command::ForceUnlock(args) => cmd::unlock::run(args),
    });
    match result {
        Ok(Ok(code)) => ExitCode::from(code),
        Ok(Err(e)) => {
            match e.downcast_ref::<workdir::Hinted>() {
                Some(h) => render::print_error(&h.message, None, Some(&h.help)),
                None => render::print_error(&format!("{e:#}"), None, None),
            }
            ExitCode::from(if usage_errors { 2 } else { 1 })
        }
        Err(_) => {
            render::print_error(
                "skelc hit an internal error (a bug)",
                None,
                Some("please report it with the input that caused it"),
            );
            ExitCode::from(101)
        }
    }
}
