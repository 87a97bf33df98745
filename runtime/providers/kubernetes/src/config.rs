//! The provider configuration, resolved as kubectl does: an explicit `host` (with `token`,
//! `username`/`password`, client certificate, `cluster_ca_certificate`); else the kubeconfig
//! files of `config_path`/`config_paths`, `KUBECONFIG` or `~/.kube/config` (merged, with
//! `config_context`, `config_context_cluster`, `config_context_auth_info`); else the in-cluster
//! service account.

use std::path::PathBuf;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::Config;
use skel_provider::ProviderError;
use skel_value::Value;

/// The provider block's arguments that matter for connecting.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    pub host: Option<String>,
    pub token: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub cluster_ca_certificate: Option<String>,
    pub client_certificate: Option<String>,
    pub client_key: Option<String>,
    pub insecure: bool,
    pub config_paths: Vec<PathBuf>,
    pub context: Option<String>,
    pub cluster: Option<String>,
    pub user: Option<String>,
}

fn text(config: &Value, name: &str) -> Option<String> {
    config
        .as_mapping()
        .and_then(|m| m.get(name))
        .and_then(|v| v.as_str())
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

impl Settings {
    /// Reads the provider block (an object typed by the provider's config schema).
    pub fn from_config(config: &Value) -> Result<Settings, ProviderError> {
        let mut paths: Vec<PathBuf> = Vec::new();
        if let Some(p) = text(config, "config_path") {
            paths.push(expand(&p));
        }
        if let Some(list) = config
            .as_mapping()
            .and_then(|m| m.get("config_paths"))
            .and_then(|v| v.as_sequence())
        {
            paths.extend(list.iter().filter_map(|v| v.as_str()).map(expand));
        }
        let uses_exec = config
            .as_mapping()
            .and_then(|m| m.get("exec"))
            .and_then(|v| v.as_sequence())
            .is_some_and(|l| !l.is_empty());
        if uses_exec {
            return Err(ProviderError::InvalidConfig(
                "The kubernetes provider's `exec` block is not supported yet; put the credential plugin in a kubeconfig user instead.".into(),
            ));
        }
        Ok(Settings {
            host: text(config, "host"),
            token: text(config, "token"),
            username: text(config, "username"),
            password: text(config, "password"),
            cluster_ca_certificate: text(config, "cluster_ca_certificate"),
            client_certificate: text(config, "client_certificate"),
            client_key: text(config, "client_key"),
            insecure: config
                .as_mapping()
                .and_then(|m| m.get("insecure"))
                .and_then(|v| v.as_bool())
                .unwrap_or(false),
            config_paths: paths,
            context: text(config, "config_context"),
            cluster: text(config, "config_context_cluster"),
            user: text(config, "config_context_auth_info"),
        })
    }

    /// Where requests go, for messages.
    pub fn server_hint(&self) -> String {
        self.host
            .clone()
            .unwrap_or_else(|| "the cluster of the current kubeconfig context".into())
    }

    /// The kubeconfig files to read: the configured ones, else `KUBECONFIG`, else `~/.kube/config`.
    fn kubeconfig_paths(&self) -> Vec<PathBuf> {
        if !self.config_paths.is_empty() {
            return self.config_paths.clone();
        }
        if let Some(env) = std::env::var_os("KUBECONFIG").filter(|v| !v.is_empty()) {
            return std::env::split_paths(&env).collect();
        }
        match std::env::var_os("HOME") {
            Some(home) => vec![PathBuf::from(home).join(".kube").join("config")],
            None => Vec::new(),
        }
    }

    /// The kube client configuration.
    pub async fn kube_config(&self) -> Result<Config, ProviderError> {
        if let Some(host) = &self.host {
            return self.explicit(host);
        }
        let explicit_paths = !self.config_paths.is_empty();
        let paths: Vec<PathBuf> = self
            .kubeconfig_paths()
            .into_iter()
            .filter(|p| explicit_paths || p.exists())
            .collect();
        if paths.is_empty() {
            return Config::incluster().map_err(|_| {
                ProviderError::InvalidConfig(
                    "No Kubernetes configuration found: set KUBECONFIG or create ~/.kube/config, set `config_path`, set `host` (with `token` and `cluster_ca_certificate`), or run inside a cluster.".into(),
                )
            });
        }
        let mut merged: Option<Kubeconfig> = None;
        for path in &paths {
            let kc = Kubeconfig::read_from(path).map_err(|e| {
                ProviderError::InvalidConfig(format!(
                    "Could not read the kubeconfig `{}`: {e}.",
                    path.display()
                ))
            })?;
            merged = Some(match merged {
                None => kc,
                Some(m) => m.merge(kc).map_err(|e| {
                    ProviderError::InvalidConfig(format!("Could not merge kubeconfigs: {e}."))
                })?,
            });
        }
        let kc = merged.unwrap_or_default();
        let options = KubeConfigOptions {
            context: self.context.clone(),
            cluster: self.cluster.clone(),
            user: self.user.clone(),
        };
        let mut config = Config::from_custom_kubeconfig(kc, &options)
            .await
            .map_err(|e| {
                ProviderError::InvalidConfig(format!(
                    "The kubeconfig ({}) cannot be used: {e}.",
                    paths
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?;
        if let Some(token) = &self.token {
            config.auth_info.token = Some(token.clone().into());
        }
        Ok(config)
    }

    fn explicit(&self, host: &str) -> Result<Config, ProviderError> {
        let uri: http::Uri = host.parse().map_err(|e| {
            ProviderError::InvalidConfig(format!("`host` is not a URL ({host:?}): {e}."))
        })?;
        let mut config = Config::new(uri);
        config.accept_invalid_certs = self.insecure;
        if let Some(pem) = &self.cluster_ca_certificate {
            let certs = pem_to_der(pem);
            if certs.is_empty() {
                return Err(ProviderError::InvalidConfig(
                    "`cluster_ca_certificate` holds no PEM certificate.".into(),
                ));
            }
            config.root_cert = Some(certs);
        }
        config.auth_info.token = self.token.clone().map(Into::into);
        config.auth_info.username = self.username.clone();
        config.auth_info.password = self.password.clone().map(Into::into);
        config.auth_info.client_certificate_data =
            self.client_certificate.as_ref().map(|c| STANDARD.encode(c));
        config.auth_info.client_key_data =
            self.client_key.as_ref().map(|k| STANDARD.encode(k).into());
        Ok(config)
    }
}

fn expand(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(path),
    }
}

/// The DER bytes of every certificate in a PEM text.
fn pem_to_der(pem: &str) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut body = String::new();
    let mut inside = false;
    for line in pem.lines().map(str::trim) {
        if line.starts_with("-----BEGIN") {
            inside = true;
            body.clear();
        } else if line.starts_with("-----END") {
            inside = false;
            if let Ok(der) = STANDARD.decode(&body) {
                out.push(der);
            }
        } else if inside {
            body.push_str(line);
        }
    }
    out
}
