//! What the plugin suites share: the Terraform 1.0.3 install with the real null 2.1.2 plugin
//! in a filesystem mirror (`scripts/terraform-install`, run once per test binary; a failed
//! install fails the test: these suites never skip), `terraform` itself, the plugins of
//! `scripts/plugins-install` (lxd 1.5.0, the Python `tf` framework for tests/plugins/skeltest),
//! CLI configurations naming a mirror, `skelc` run with one, and mirrors holding a made-up
//! executable or the skeltest provider.
#![allow(dead_code)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::cli_support::{skelc, Out, Skelc, SKELC};

/// The null plugin's source address.
pub const NULL_SOURCE: &str = "registry.terraform.io/hashicorp/null";

/// A configuration that requires the null plugin 2.1.2 (a plugin: skel's built-in null is
/// 3.2.4) with `body` after the settings.
pub fn null_config(body: &str) -> String {
    format!(
        "terraform {{\n  required_providers {{\n    null = {{\n      source  = \"hashicorp/null\"\n      version = \"2.1.2\"\n    }}\n  }}\n}}\n\n{body}"
    )
}

/// `$TF_HOME`, else `terraform-1.0.3` in the target directory of the `skelc` under test.
pub fn tf_home() -> &'static Path {
    static HOME: OnceLock<PathBuf> = OnceLock::new();
    HOME.get_or_init(|| {
        let home = std::env::var_os("TF_HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                // …/target/debug/skelc → …/target
                let target = Path::new(SKELC).ancestors().nth(2).expect("target dir");
                target.join("terraform-1.0.3")
            });
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/terraform-install");
        let out = Command::new(&script)
            .env("TF_HOME", &home)
            .output()
            .expect("run scripts/terraform-install");
        assert!(
            out.status.success(),
            "scripts/terraform-install could not install Terraform 1.0.3 and null 2.1.2 into {}:\n{}",
            home.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        home
    })
}

/// The unpacked filesystem mirror of [`tf_home`] holding the real null 2.1.2 plugin.
pub fn real_mirror() -> PathBuf {
    tf_home().join("plugins")
}

/// `terraform ARGS` in `dir` (the install of [`tf_home`]), which must succeed; its stdout.
pub fn terraform(home: &Path, dir: &Path, args: &[&str]) -> String {
    let out = Command::new(home.join("terraform"))
        .args(args)
        .current_dir(dir)
        .env("TF_IN_AUTOMATION", "1")
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_CLI_CONFIG_FILE", "/dev/null")
        .env_remove("TF_PLUGIN_CACHE_DIR")
        .output()
        .expect("run terraform");
    assert!(
        out.status.success(),
        "terraform {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A CLI configuration file `skelrc` in `dir` with `body`; its path.
pub fn rc(dir: &Path, body: &str) -> String {
    let path = dir.join("skelrc");
    fs::write(&path, body).unwrap();
    path.display().to_string()
}

/// A CLI configuration file in `dir` whose only installation method is the filesystem
/// mirror `mirror`; its path.
pub fn mirror_rc(dir: &Path, mirror: &Path) -> String {
    rc(
        dir,
        &format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path = \"{}\"\n  }}\n}}\n",
            mirror.display()
        ),
    )
}

/// `skelc ARGS` in `dir` with the CLI configuration file `rc`, to add to and run.
pub fn skelc_rc(dir: &Path, rc: &str, args: &[&str]) -> Skelc {
    skelc(dir, args).env("SKEL_CLI_CONFIG_FILE", rc)
}

/// `skelc ARGS` in `dir` with the CLI configuration file `rc`.
pub fn run(dir: &Path, rc: &str, args: &[&str]) -> Out {
    skelc_rc(dir, rc, args).run()
}

/// An unpacked filesystem mirror under `mirror` holding `example/TYPE` 1.0.0 whose executable
/// is the shell script `body`.
pub fn script_mirror(mirror: &Path, type_name: &str, body: &str) {
    let dir = mirror.join(format!(
        "registry.terraform.io/example/{type_name}/1.0.0/linux_amd64"
    ));
    fs::create_dir_all(&dir).unwrap();
    let exe = dir.join(format!("terraform-provider-{type_name}_v1.0.0"));
    fs::write(&exe, format!("#!/bin/sh\n{body}\n")).unwrap();
    fs::set_permissions(&exe, fs::Permissions::from_mode(0o755)).unwrap();
}

/// The plugins `scripts/plugins-install` installs (once per test binary; a failed install
/// fails the test).
pub struct Plugins {
    /// terraform-provider-lxd 1.5.0 (Go, protocol 5).
    pub lxd: PathBuf,
    /// The virtualenv's Python with the `tf` framework 1.2.0.
    pub python: PathBuf,
}

pub fn plugins() -> &'static Plugins {
    static PLUGINS: OnceLock<Plugins> = OnceLock::new();
    PLUGINS.get_or_init(|| {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/plugins-install");
        let target = Path::new(SKELC).ancestors().nth(2).expect("target dir");
        let out = Command::new(&script)
            .env("CARGO_TARGET_DIR", target)
            .output()
            .expect("run scripts/plugins-install");
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
            lxd: path("lxd"),
            python: path("python"),
        }
    })
}

/// The skeltest provider's source address in the tests' mirrors (not `…/skel/skeltest`, the
/// name the provider gives itself: the namespace `skel` is skel's built-in providers).
pub const SKELTEST_SOURCE: &str = "skel.test/testing/skeltest";

/// An unpacked filesystem mirror under `mirror` holding the protocol 6 provider
/// tests/plugins/skeltest as `skel.test/testing/skeltest` 1.0.0: its `provider.py` and an
/// executable that starts it with `$SKELTEST_PYTHON` (see [`skeltest_env`]).
pub fn skeltest_mirror(mirror: &Path) {
    let dir = mirror.join(format!("{SKELTEST_SOURCE}/1.0.0/linux_amd64"));
    fs::create_dir_all(&dir).unwrap();
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/plugins/skeltest");
    fs::copy(source.join("provider.py"), dir.join("provider.py")).expect("copy provider.py");
    let exe = dir.join("terraform-provider-skeltest_v1.0.0");
    fs::write(
        &exe,
        "#!/bin/sh\nexec \"$SKELTEST_PYTHON\" \"$(dirname \"$0\")/provider.py\" \"$@\"\n",
    )
    .unwrap();
    fs::set_permissions(&exe, fs::Permissions::from_mode(0o755)).unwrap();
}

/// The environment the skeltest plugin needs under `skelc`: the virtualenv's Python, its
/// object store `store`, and a HOME of its own (the `tf` framework keeps its certificate there).
pub fn skeltest_env(store: &Path) -> Vec<(String, String)> {
    let python = &plugins().python;
    let home = python.ancestors().nth(2).expect("the venv").join("home");
    fs::create_dir_all(&home).unwrap();
    vec![
        ("SKELTEST_PYTHON".into(), python.display().to_string()),
        ("SKELTEST_STORE".into(), store.display().to_string()),
        ("HOME".into(), home.display().to_string()),
    ]
}
