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

/// Print engine errors, each with its address, location and help, redacted.
pub(crate) fn print_errors(
    errors: &skel_runtime::Errors,
    redactor: &crate::render::redact::Redactor,
) {
    for e in &errors.0 {
        let mut line = String::from("error: ");
        if let Some(addr) = &e.address {
            line.push_str(addr);
            line.push_str(": ");
        }
        line.push_str(&e.message);
        eprintln!("{}", redactor.redact(&line));
        if let Some(loc) = &e.location {
            let cwd = std::env::current_dir().unwrap_or_default();
            let file = loc.file.strip_prefix(&cwd).unwrap_or(&loc.file);
            eprintln!("  --> {}:{}:{}", file.display(), loc.line, loc.column);
        }
        if let Some(help) = &e.help {
            eprintln!("  help: {}", redactor.redact(help));
        }
    }
}
