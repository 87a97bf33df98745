//! The CLI configuration file (`SKEL_CLI_CONFIG_FILE`, default `~/.skelrc`), in Terraform's
//! syntax and read with skel's own parser: `host "NAME" { services = { "modules.v1" = URL } }`
//! overrides a registry's service discovery, `credentials "NAME" { token = "…" }` gives the
//! bearer token sent to it. Tokens are kept here and only ever put in a request header.
//! For provider plugins: `provider_installation { filesystem_mirror { path, include, exclude }
//! direct { include, exclude } }` (the methods in order; without the block, `direct` only) and
//! `plugin_cache_dir = "PATH"`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::bail;
use skel_syntax::{ExprKind, Item};

/// The methods of a `provider_installation` block, in order.
fn install_methods(
    block: &skel_syntax::Block,
    path: &Path,
    at: usize,
) -> anyhow::Result<Vec<InstallMethod>> {
    let mut methods = Vec::new();
    for inner in block.body.blocks() {
        let strings = |name: &str| -> anyhow::Result<Vec<String>> {
            match block_attr(inner, name) {
                None => Ok(Vec::new()),
                Some(ExprKind::Tuple(items)) => items
                    .iter()
                    .map(|e| {
                        e.as_literal_string().ok_or_else(|| {
                            anyhow::anyhow!(
                                "{}:{at}: `{name}` holds literal strings like \"registry.terraform.io/hashicorp/*\"",
                                path.display()
                            )
                        })
                    })
                    .collect(),
                Some(_) => bail!(
                    "{}:{at}: `{name}` must be a list of strings",
                    path.display()
                ),
            }
        };
        let mirror = match inner.ident.name.as_str() {
            "direct" => None,
            "filesystem_mirror" => {
                let dir = inner
                    .body
                    .attribute("path")
                    .and_then(|a| a.expr.as_literal_string());
                let Some(dir) = dir else {
                    bail!(
                        "{}:{at}: `filesystem_mirror` needs `path = \"…\"` (a literal string)",
                        path.display()
                    );
                };
                Some(expand_home(&dir))
            }
            other => bail!(
                "{}:{at}: `provider_installation` has no `{other}` method (skel has `filesystem_mirror` and `direct`)",
                path.display()
            ),
        };
        methods.push(InstallMethod {
            mirror,
            include: strings("include")?,
            exclude: strings("exclude")?,
        });
    }
    Ok(methods)
}

fn block_attr<'a>(block: &'a skel_syntax::Block, name: &str) -> Option<&'a ExprKind> {
    block.body.attribute(name).map(|a| &a.expr.kind)
}

/// `~/…` with the home directory, as Terraform reads paths in the CLI configuration.
fn expand_home(dir: &str) -> PathBuf {
    match (dir.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => Path::new(&home).join(rest),
        _ => PathBuf::from(dir),
    }
}

/// What the CLI configuration says about registry hosts (lower-cased names).
#[derive(Default)]
pub struct CliConfig {
    /// `host "NAME" { services = { … } }`: service id → URL.
    pub services: BTreeMap<String, BTreeMap<String, String>>,
    tokens: BTreeMap<String, String>,
    /// `provider_installation`'s methods in order (`None`: the block is absent).
    pub provider_installation: Option<Vec<InstallMethod>>,
    /// `plugin_cache_dir`.
    pub plugin_cache_dir: Option<PathBuf>,
}

/// One method of `provider_installation`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstallMethod {
    /// `None` = `direct` (the provider's registry), else a filesystem mirror's directory.
    pub mirror: Option<PathBuf>,
    /// `include` patterns (`HOST/NAMESPACE/TYPE`, each part may be `*`); empty = everything.
    pub include: Vec<String>,
    pub exclude: Vec<String>,
}

impl InstallMethod {
    /// Whether this method may install `source` (`HOST/NAMESPACE/TYPE`).
    pub fn admits(&self, source: &str) -> bool {
        let matches = |pattern: &String| {
            let want: Vec<&str> = pattern.split('/').collect();
            let have: Vec<&str> = source.split('/').collect();
            // A pattern may leave out the default host, as a source may.
            let want = if want.len() == 2 {
                let mut w = vec![skel_hir::providers::DEFAULT_PROVIDER_HOST];
                w.extend(want);
                w
            } else {
                want
            };
            want.len() == have.len()
                && want
                    .iter()
                    .zip(&have)
                    .all(|(w, h)| *w == "*" || w.eq_ignore_ascii_case(h))
        };
        (self.include.is_empty() || self.include.iter().any(matches))
            && !self.exclude.iter().any(matches)
    }
}

impl std::fmt::Debug for CliConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CliConfig")
            .field("services", &self.services)
            .field("tokens", &self.tokens.keys().collect::<Vec<_>>())
            .field("provider_installation", &self.provider_installation)
            .field("plugin_cache_dir", &self.plugin_cache_dir)
            .finish()
    }
}

impl CliConfig {
    /// The file `SKEL_CLI_CONFIG_FILE` names (which must exist), else `~/.skelrc` if there is
    /// one, else an empty configuration.
    pub fn load() -> anyhow::Result<CliConfig> {
        if let Some(path) = std::env::var_os("SKEL_CLI_CONFIG_FILE").filter(|p| !p.is_empty()) {
            let path = PathBuf::from(path);
            return match std::fs::read_to_string(&path) {
                Ok(text) => CliConfig::parse(&text, &path),
                Err(e) => bail!(
                    "cannot read the CLI configuration {} (SKEL_CLI_CONFIG_FILE): {e}",
                    path.display()
                ),
            };
        }
        let Some(home) = std::env::var_os("HOME").filter(|h| !h.is_empty()) else {
            return Ok(CliConfig::default());
        };
        let path = Path::new(&home).join(".skelrc");
        match std::fs::read_to_string(&path) {
            Ok(text) => CliConfig::parse(&text, &path),
            Err(_) => Ok(CliConfig::default()),
        }
    }

    /// Parse the text of a configuration file (`path` for messages).
    pub fn parse(text: &str, path: &Path) -> anyhow::Result<CliConfig> {
        let parse = skel_syntax::parse(text);
        let line = |offset: u32| {
            text[..(offset as usize).min(text.len())]
                .lines()
                .count()
                .max(1)
        };
        if let Some(e) = parse.errors.first() {
            bail!(
                "{}:{}: {} (in the CLI configuration)",
                path.display(),
                line(e.range.start()),
                e.message
            );
        }
        let mut config = CliConfig::default();
        for top in &parse.file.items {
            let at = line(top.offset);
            if let Item::Attribute(attr) = &*top.item {
                if attr.name.name == "plugin_cache_dir" {
                    let Some(dir) = attr.expr.as_literal_string() else {
                        bail!(
                            "{}:{at}: `plugin_cache_dir` must be a literal string (a directory)",
                            path.display()
                        );
                    };
                    config.plugin_cache_dir = Some(expand_home(&dir));
                }
                continue;
            }
            let Item::Block(block) = &*top.item else {
                continue;
            };
            let kind = block.ident.name.as_str();
            if kind == "provider_installation" {
                config.provider_installation = Some(install_methods(block, path, at)?);
                continue;
            }
            if !matches!(kind, "host" | "credentials") {
                continue;
            }
            let [label] = block.labels.as_slice() else {
                bail!(
                    "{}:{at}: a `{kind}` block takes one label, the host name",
                    path.display()
                );
            };
            let host = label.value.to_ascii_lowercase();
            if kind == "credentials" {
                let token = block
                    .body
                    .attribute("token")
                    .and_then(|a| a.expr.as_literal_string());
                let Some(token) = token else {
                    bail!(
                        "{}:{at}: `credentials \"{host}\"` needs `token = \"…\"` (a literal string)",
                        path.display()
                    );
                };
                config.tokens.insert(host, token);
                continue;
            }
            let Some(services) = block.body.attribute("services") else {
                continue;
            };
            let ExprKind::Object(items) = &services.expr.kind else {
                bail!(
                    "{}:{at}: `services` must be an object like {{ \"modules.v1\" = \"https://…/\" }}",
                    path.display()
                );
            };
            let entry = config.services.entry(host).or_default();
            for item in items {
                let key = match &item.key.kind {
                    ExprKind::Variable(ident) => Some(ident.name.clone()),
                    _ => item.key.as_literal_string(),
                };
                let (Some(key), Some(value)) = (key, item.value.as_literal_string()) else {
                    bail!(
                        "{}:{at}: each service is a literal `\"ID\" = \"URL\"`",
                        path.display()
                    );
                };
                entry.insert(key, value);
            }
        }
        Ok(config)
    }

    /// The bearer token for `host`, if one is configured.
    pub fn token(&self, host: &str) -> Option<&str> {
        self.tokens
            .get(&host.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// The URL a `host` block gives for service `id` (`providers.v1`) of `host`.
    pub fn service(&self, host: &str, id: &str) -> Option<&str> {
        self.services
            .get(&host.to_ascii_lowercase())?
            .get(id)
            .map(String::as_str)
    }

    /// The `modules.v1` URL a `host` block gives for `host`.
    pub fn modules_service(&self, host: &str) -> Option<&str> {
        self.services
            .get(&host.to_ascii_lowercase())?
            .get("modules.v1")
            .map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_credentials() {
        let text = r#"
host "Registry.Example.com" {
  services = {
    "modules.v1" = "http://127.0.0.1:8080/v1/modules/"
    providers_v1 = "http://x/"
  }
}
credentials "registry.example.com" {
  token = "s3cret"
}
"#;
        let c = CliConfig::parse(text, Path::new("rc")).unwrap();
        assert_eq!(
            c.modules_service("registry.example.com"),
            Some("http://127.0.0.1:8080/v1/modules/")
        );
        assert_eq!(c.token("REGISTRY.example.com"), Some("s3cret"));
        assert!(!format!("{c:?}").contains("s3cret"));
    }

    #[test]
    fn provider_installation() {
        let text = r#"
plugin_cache_dir = "/var/cache/skel"
provider_installation {
  filesystem_mirror {
    path    = "/srv/mirror"
    include = ["registry.terraform.io/hashicorp/*"]
  }
  direct {
    exclude = ["hashicorp/null"]
  }
}
"#;
        let c = CliConfig::parse(text, Path::new("rc")).unwrap();
        assert_eq!(c.plugin_cache_dir, Some(PathBuf::from("/var/cache/skel")));
        let methods = c.provider_installation.unwrap();
        assert_eq!(methods[0].mirror, Some(PathBuf::from("/srv/mirror")));
        assert!(methods[0].admits("registry.terraform.io/hashicorp/null"));
        assert!(!methods[0].admits("registry.terraform.io/acme/thing"));
        assert_eq!(methods[1].mirror, None);
        assert!(!methods[1].admits("registry.terraform.io/hashicorp/null"));
        assert!(methods[1].admits("registry.terraform.io/hashicorp/random"));
        for (text, want) in [
            (
                "provider_installation {\n  network_mirror {\n  }\n}",
                "no `network_mirror`",
            ),
            (
                "provider_installation {\n  filesystem_mirror {\n  }\n}",
                "needs `path",
            ),
            ("plugin_cache_dir = 1", "literal string"),
        ] {
            let e = CliConfig::parse(text, Path::new("rc"))
                .unwrap_err()
                .to_string();
            assert!(e.contains(want), "{text:?}: {e}");
        }
    }

    #[test]
    fn bad_files_are_clear_errors() {
        for (text, want) in [
            ("host {\n}", "one label"),
            ("credentials \"h\" {\n}", "needs `token"),
            ("host \"h\" {\n  services = 1\n}", "must be an object"),
            ("host \"h\" {", "rc:1"),
        ] {
            let e = CliConfig::parse(text, Path::new("rc"))
                .unwrap_err()
                .to_string();
            assert!(e.contains(want), "{text:?}: {e}");
        }
    }
}
