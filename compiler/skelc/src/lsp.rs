//! `skelc lsp`: the language server on stdin/stdout (all of it lives in `skel_lsp`).

/// Exit status 0 after `shutdown` then `exit`, 1 when `exit` came without `shutdown` (LSP).
pub fn run() -> anyhow::Result<u8> {
    let clean = skel_lsp::run_stdio()?;
    Ok(if clean { 0 } else { 1 })
}
