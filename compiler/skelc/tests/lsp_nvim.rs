//! Neovim as a real LSP client: `scripts/nvim-lsp-test` starts `skelc lsp` with
//! its built-in LSP client, waits for a diagnostic and jumps to a definition. The script installs
//! Neovim (Debian's package) when it is missing; if that is impossible this test fails with how to fix it.

use std::path::Path;
use std::process::Command;

#[test]
fn neovim_gets_diagnostics_and_goes_to_definition() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let script = repo.join("scripts/nvim-lsp-test");
    let output = Command::new("bash")
        .arg(&script)
        .env("SKELC", env!("CARGO_BIN_EXE_skelc"))
        .output()
        .expect("run scripts/nvim-lsp-test");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "scripts/nvim-lsp-test failed ({}).\n--- stdout\n{stdout}\n--- stderr\n{stderr}\n\
         If Neovim could not be installed: install Neovim (`apt-get install neovim`) \
         and rerun.",
        output.status
    );
    assert!(stdout.contains("nvim-lsp-test: ok"), "{stdout}");
}
