//! The skel command-line tool: the composition root that wires the compiler, the runtime and the language server.

mod check;
mod cli;
mod cmd;
mod encryption;
mod fmt;
mod glue;
mod lsp;
mod project;
mod render;
mod vars;

use std::process::ExitCode;

#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Exit codes: 0 success, 1 diagnostics (or changes with `--check`), 2 usage or unreadable
/// input, 101 internal error.
fn main() -> ExitCode {
    let args = cli::normalize_args(std::env::args_os());
    let cli = match <cli::Cli as clap::Parser>::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
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
            eprintln!("error: {e:#}");
            ExitCode::from(if usage_errors { 2 } else { 1 })
        }
        Err(_) => {
            eprintln!("error: skelc hit an internal error (a bug); please report it with the input that caused it");
            ExitCode::from(101)
        }
    }
}
