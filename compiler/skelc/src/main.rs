//! The skel command-line tool: the composition root that wires the compiler, the runtime and the language server.

mod alloc;
mod backend;
mod check;
mod cli;
mod cmd;
mod diff;
mod encryption;
mod exit;
mod fmt;
mod glue;
mod hints;
mod init;
mod lsp;
mod project;
mod render;
mod state_schemas;
mod tfstate;
mod vars;
mod workdir;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

/// Parse the command line, run the command, exit with its [`exit::ExitStatus`].
fn main() -> ExitCode {
    let args = cli::normalize_args(std::env::args_os());
    let matches = match cli::Cli::command().try_get_matches_from(&args) {
        Ok(matches) => matches,
        Err(e) => return hints::usage_error(e, &args).into(),
    };
    let mut cli = match cli::Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => return hints::usage_error(e, &args).into(),
    };
    if let Some(vars) = cli.command.vars_mut() {
        cli::order_vars(&matches, vars);
    }
    cmd::run(cli).into()
}
