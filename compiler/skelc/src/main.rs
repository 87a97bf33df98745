//! The skel command-line tool: the composition root that wires the compiler (and later the runtime).

mod check;
mod cli;
mod fmt;
mod lsp;
mod render;
mod vars;

use std::process::ExitCode;

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
    let result = std::panic::catch_unwind(|| match cli.command {
        cli::Command::Check(args) => check::run(args),
        cli::Command::Fmt(args) => fmt::run(args),
        cli::Command::Lsp => lsp::run(),
    });
    match result {
        Ok(Ok(code)) => ExitCode::from(code),
        Ok(Err(e)) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
        Err(_) => {
            eprintln!("error: skelc hit an internal error (a bug); please report it with the input that caused it");
            ExitCode::from(101)
        }
    }
}
