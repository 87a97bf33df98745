//! Integration tests: markdown checker suites, CLI snapshots, the no-panic corpus and the examples.

pub mod fake_registry;
pub mod mdtest;

use std::path::PathBuf;

/// The workspace root (the parent of this crate).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}
