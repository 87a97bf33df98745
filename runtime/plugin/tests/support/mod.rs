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

/// The protocol 6 test provider (tests/plugins/skeltest) and the environment it needs: the
/// virtualenv's Python, a store directory, and a HOME of its own (the `tf` framework caches its
/// certificate there).
pub fn skeltest(store: &std::path::Path) -> (PathBuf, skel_plugin::StartOptions) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let exe = root
        .join("tests/plugins/skeltest/terraform-provider-skeltest")
        .canonicalize()
        .expect("the skeltest provider exists");
    let home = plugins()
        .python
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("home");
    std::fs::create_dir_all(&home).unwrap();
    let options = skel_plugin::StartOptions {
        env: vec![
            (
                "SKELTEST_PYTHON".into(),
                plugins().python.display().to_string(),
            ),
            ("SKELTEST_STORE".into(), store.display().to_string()),
            ("HOME".into(), home.display().to_string()),
        ],
        ..Default::default()
    };
    (exe, options)
}
