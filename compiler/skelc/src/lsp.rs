//! `skelc lsp`: the language server on stdin/stdout (all of it lives in `skel_lsp`).

use crate::exit::ExitStatus;

/// Exit status 0 after `shutdown` then `exit`, 1 when `exit` came without `shutdown` (LSP).
pub fn run() -> anyhow::Result<ExitStatus> {
    let clean = skel_lsp::run_stdio()?;
    Ok(ExitStatus::failed_if(!clean))
}
