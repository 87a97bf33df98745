//! The CLI configuration file (`SKEL_CLI_CONFIG_FILE`, default `~/.skelrc`), in Terraform's
//! syntax and read with skel's own parser: `host "NAME" { services = { "modules.v1" = URL } }`
//! overrides a registry's service discovery, `credentials "NAME" { token = "…" }` gives the
//! bearer token sent to it. Tokens are kept here and only ever put in a request header.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::bail;
use skel_syntax::{ExprKind, Item};

/// What the CLI configuration says about registry hosts (lower-cased names).
#[derive(Default)]
pub struct CliConfig {
    /// `host "NAME" { services = { … } }`: service id → URL.
    pub services: BTreeMap<String, BTreeMap<String, String>>,
    tokens: BTreeMap<String, String>,
}

impl std::fmt::Debug for CliConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CliConfig")
            .field("services", &self.services)
            .field("tokens", &self.tokens.keys().collect::<Vec<_>>())
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
            let Item::Block(block) = &*top.item else {
                continue;
            };
            let at = line(top.offset);
            let kind = block.ident.name.as_str();
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
