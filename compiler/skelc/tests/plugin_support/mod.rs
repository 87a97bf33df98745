//! What the plugin suites share: the Terraform 1.0.3 install with the real null 2.1.2 plugin
//! in a filesystem mirror (`scripts/terraform-install`, run once per test binary; a failed
//! install fails the test: these suites never skip), `terraform` itself, a CLI configuration
//! naming a mirror, and a filesystem mirror holding a made-up executable.
#![allow(dead_code)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

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
pub fn tf_home(skelc: &str) -> &'static Path {
    static HOME: OnceLock<PathBuf> = OnceLock::new();
    HOME.get_or_init(|| {
        let home = std::env::var_os("TF_HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                let target = Path::new(skelc).ancestors().nth(2).expect("target dir");
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

/// A CLI configuration file in `dir` whose only installation method is the filesystem
/// mirror `mirror`; its path.
pub fn mirror_rc(dir: &Path, mirror: &Path) -> String {
    let path = dir.join("skelrc");
    fs::write(
        &path,
        format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path = \"{}\"\n  }}\n}}\n",
            mirror.display()
        ),
    )
    .unwrap();
    path.display().to_string()
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
