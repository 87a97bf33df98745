//! The dependency lock file `.skel.lock.hcl`, in the format of Terraform's
//! `.terraform.lock.hcl`: one `provider "HOST/NAMESPACE/TYPE" { version, constraints, hashes }`
//! block per installed plugin. `skelc init` writes it; afterwards the locked version is the one
//! installed and checked, and the plugin's files must match one of its hashes (`h1:` over the
//! unpacked directory, `zh:` of the release zip). The checker reads it to find stored schemas.

use std::path::{Path, PathBuf};

use skel_syntax::{ExprKind, Item};

use crate::providers::ProviderSource;

/// The lock file's name, in the root module's directory.
pub const LOCK_FILE: &str = ".skel.lock.hcl";
/// Where `skelc init` installs plugins, relative to the root module.
pub const PROVIDERS_DIR: &str = ".skel/providers";
/// The stored schema's file name, next to the plugin's executable.
pub const SCHEMA_FILE: &str = "schema.json";

/// The lock file's content.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct LockFile {
    /// Sorted by source.
    pub providers: Vec<LockedProvider>,
}

/// One locked plugin.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct LockedProvider {
    pub source: ProviderSource,
    pub version: String,
    /// The modules' constraints, joined by `, ` (absent when none was written).
    pub constraints: Option<String>,
    /// `h1:…` and `zh:…` hashes, sorted.
    pub hashes: Vec<String>,
}

impl LockFile {
    /// Parses the lock file's text; an error names the line.
    pub fn parse(text: &str) -> Result<LockFile, String> {
        let parse = skel_syntax::parse(text);
        let line = |offset: u32| {
            text[..(offset as usize).min(text.len())]
                .lines()
                .count()
                .max(1)
        };
        if let Some(e) = parse.errors.first() {
            return Err(format!("line {}: {}", line(e.range.start()), e.message));
        }
        let mut out = LockFile::default();
        for top in &parse.file.items {
            let Item::Block(block) = &*top.item else {
                continue;
            };
            if block.ident.name != "provider" {
                continue;
            }
            let at = line(top.offset);
            let [label] = block.labels.as_slice() else {
                return Err(format!("line {at}: a `provider` block takes one label"));
            };
            let source =
                ProviderSource::parse(&label.value).map_err(|why| format!("line {at}: {why}"))?;
            let string = |name: &str| {
                block
                    .body
                    .attribute(name)
                    .and_then(|a| a.expr.as_literal_string())
            };
            let version = string("version")
                .ok_or_else(|| format!("line {at}: `provider \"{source}\"` has no `version`"))?;
            let hashes = match block.body.attribute("hashes").map(|a| &a.expr.kind) {
                None => Vec::new(),
                Some(ExprKind::Tuple(items)) => items
                    .iter()
                    .map(|e| {
                        e.as_literal_string()
                            .ok_or_else(|| format!("line {at}: `hashes` holds strings"))
                    })
                    .collect::<Result<_, _>>()?,
                Some(_) => return Err(format!("line {at}: `hashes` must be a list of strings")),
            };
            out.providers.push(LockedProvider {
                source,
                version,
                constraints: string("constraints"),
                hashes,
            });
        }
        out.providers.sort_by(|a, b| a.source.cmp(&b.source));
        Ok(out)
    }

    /// The entry for `source`.
    pub fn get(&self, source: &ProviderSource) -> Option<&LockedProvider> {
        self.providers.iter().find(|p| &p.source == source)
    }

    /// The text, as Terraform formats it.
    pub fn to_text(&self) -> String {
        let mut out = String::from(
            "# This file is maintained automatically by \"skelc init\".\n# Manual edits may be lost in future updates.\n",
        );
        for p in &self.providers {
            out.push_str(&format!("\nprovider \"{}\" {{\n", p.source));
            out.push_str(&format!("  version     = \"{}\"\n", p.version));
            if let Some(c) = &p.constraints {
                out.push_str(&format!("  constraints = \"{c}\"\n"));
            }
            out.push_str("  hashes = [\n");
            for h in &p.hashes {
                out.push_str(&format!("    \"{h}\",\n"));
            }
            out.push_str("  ]\n}\n");
        }
        out
    }
}

/// The platform plugins are installed for, as the registry names it (`linux_amd64`).
pub fn current_platform() -> String {
    let os = std::env::consts::OS;
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "arm" => "arm",
        other => other,
    };
    format!("{os}_{arch}")
}

/// The directory a plugin version is installed in, under `root`.
pub fn package_dir(root: &Path, source: &ProviderSource, version: &str, platform: &str) -> PathBuf {
    root.join(PROVIDERS_DIR)
        .join(&source.host)
        .join(&source.namespace)
        .join(&source.type_name)
        .join(version)
        .join(platform)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let text = r#"# This file is maintained automatically by "terraform init".

provider "registry.terraform.io/hashicorp/null" {
  version     = "2.1.2"
  constraints = "2.1.2"
  hashes = [
    "h1:CFnENdqQu4g3LJNevA32aDxcUz2qGkRGQpFfkI8TCdE=",
    "zh:0cc7236f1ff6a1ef8fb6d5b3d7f2a3b2",
  ]
}
"#;
        let lock = LockFile::parse(text).unwrap();
        assert_eq!(lock.providers.len(), 1);
        let p = &lock.providers[0];
        assert_eq!(p.version, "2.1.2");
        assert_eq!(p.hashes.len(), 2);
        assert_eq!(LockFile::parse(&lock.to_text()).unwrap(), lock);
        assert!(LockFile::parse("provider \"a/b\" {\n}\n")
            .unwrap_err()
            .contains("no `version`"));
    }
}
