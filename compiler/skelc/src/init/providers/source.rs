//! Where plugin packages come from, in the CLI configuration's `provider_installation` order
//! (without one, the registry alone): filesystem mirrors in both layouts — unpacked
//! `HOST/NAMESPACE/TYPE/VERSION/OS_ARCH/` and packed
//! `HOST/NAMESPACE/TYPE/terraform-provider-TYPE_VERSION_OS_ARCH.zip` — and `direct`, the
//! provider registry protocol (`providers.v1` discovery or a `host` block, `versions`,
//! `download/OS/ARCH`, the zip checked against its `shasum` and the `SHA256SUMS` document; no
//! GPG). A `plugin_cache_dir` holds unpacked packages, consulted before any method and filled
//! from the registry.

use std::path::{Path, PathBuf};
use std::process::Command;

use skel_hir::providers::ProviderSource;
use skel_hir::source::Version;

use super::hash::{sha256_hex, zip_hash};
use crate::init::cli_config::{CliConfig, InstallMethod};
use crate::init::http::{join_url, Http};
use crate::workdir::hinted;

/// The versions one method offers for the platform.
pub struct Offered {
    pub origin: String,
    pub versions: Vec<String>,
}

/// A package put in the staging directory.
pub struct Fetched {
    pub origin: String,
    /// `zh:` of the zip it came from, if it came as one.
    pub zip_hash: Option<String>,
    /// The `zh:` hashes to lock: every platform's from the registry's `SHA256SUMS` (none
    /// from a mirror or the cache, as Terraform locks them).
    pub zip_hashes: Vec<String>,
}

pub struct Sources<'a> {
    config: &'a CliConfig,
    platform: String,
    http: Option<Http>,
}

impl<'a> Sources<'a> {
    pub fn new(config: &'a CliConfig, platform: &str) -> Sources<'a> {
        Sources {
            config,
            platform: platform.to_string(),
            http: None,
        }
    }

    fn methods(&self, source: &ProviderSource) -> Vec<InstallMethod> {
        let all = self
            .config
            .provider_installation
            .clone()
            .unwrap_or_else(|| {
                vec![InstallMethod {
                    mirror: None,
                    include: Vec::new(),
                    exclude: Vec::new(),
                }]
            });
        let name = source.to_string();
        all.into_iter().filter(|m| m.admits(&name)).collect()
    }

    /// The versions offered, method by method; the registry is asked only when no mirror
    /// offered any (so no network is used when a mirror has the provider).
    pub fn versions(&mut self, source: &ProviderSource) -> anyhow::Result<Vec<Offered>> {
        let mut out = Vec::new();
        for method in self.methods(source) {
            match &method.mirror {
                Some(dir) => out.push(Offered {
                    origin: format!("the mirror {}", dir.display()),
                    versions: mirror_versions(dir, source, &self.platform),
                }),
                None => {
                    if out.iter().any(|o: &Offered| !o.versions.is_empty()) {
                        continue;
                    }
                    let versions = self.registry_versions(source)?;
                    out.push(Offered {
                        origin: format!("the registry {}", source.host),
                        versions,
                    });
                }
            }
        }
        Ok(out)
    }

    /// Puts `version`'s package in `staging`: from the plugin cache, else the first method
    /// that has it.
    pub fn fetch(
        &mut self,
        source: &ProviderSource,
        version: &str,
        staging: &Path,
    ) -> anyhow::Result<Fetched> {
        if let Some(cache) = &self.config.plugin_cache_dir {
            let dir = unpacked_dir(cache, source, version, &self.platform);
            if dir.is_dir() {
                copy_dir(&dir, staging)?;
                return Ok(Fetched {
                    origin: format!("the plugin cache {}", cache.display()),
                    zip_hash: None,
                    zip_hashes: Vec::new(),
                });
            }
        }
        for method in self.methods(source) {
            match &method.mirror {
                Some(mirror) => {
                    let dir = unpacked_dir(mirror, source, version, &self.platform);
                    if dir.is_dir() {
                        copy_dir(&dir, staging)?;
                        return Ok(Fetched {
                            origin: format!("the mirror {}", mirror.display()),
                            zip_hash: None,
                            zip_hashes: Vec::new(),
                        });
                    }
                    let zip = packed_zip(mirror, source, version, &self.platform);
                    if zip.is_file() {
                        let bytes = std::fs::read(&zip)?;
                        unzip(&bytes, staging)?;
                        // As Terraform: a mirror's package is locked by its `h1:` only
                        // (`zh:` hashes come from a registry's SHA256SUMS).
                        return Ok(Fetched {
                            origin: format!("the mirror {}", mirror.display()),
                            zip_hash: Some(zip_hash(&bytes)),
                            zip_hashes: Vec::new(),
                        });
                    }
                }
                None => {
                    let fetched = self.registry_fetch(source, version, staging)?;
                    if let Some(cache) = &self.config.plugin_cache_dir {
                        let dir = unpacked_dir(cache, source, version, &self.platform);
                        let tmp = dir.with_extension("tmp");
                        let _ = std::fs::remove_dir_all(&tmp);
                        copy_dir(staging, &tmp)?;
                        let _ = std::fs::remove_dir_all(&dir);
                        std::fs::rename(&tmp, &dir)?;
                    }
                    return Ok(fetched);
                }
            }
        }
        Err(hinted(
            format!(
                "no installation method has provider {source} {version} for {}",
                self.platform
            ),
            "check the CLI configuration's `provider_installation`",
        ))
    }

    fn http(&mut self) -> anyhow::Result<&Http> {
        if self.http.is_none() {
            self.http = Some(Http::new()?);
        }
        Ok(self.http.as_ref().expect("just set"))
    }

    /// GET `url` (with the host's token, if one is configured); the body of a 200.
    fn get(&mut self, url: &str, host: &str) -> anyhow::Result<Vec<u8>> {
        let token = self.config.token(host).map(str::to_string);
        let response = self.http()?.get(url, token.as_deref()).map_err(|e| {
            hinted(
                format!("GET {url}: {e}"),
                format!("check the network, or serve {host}'s providers from a `filesystem_mirror` (provider_installation in the CLI configuration)"),
            )
        })?;
        if response.status != 200 {
            return Err(hinted(
                format!("GET {url}: HTTP {}", response.status),
                "check the provider's source address",
            ));
        }
        Ok(response.body)
    }

    fn get_json(&mut self, url: &str, host: &str) -> anyhow::Result<serde_json::Value> {
        let body = self.get(url, host)?;
        serde_json::from_slice(&body)
            .map_err(|_| anyhow::anyhow!("GET {url}: the answer is not JSON"))
    }

    /// The registry's `providers.v1` base URL, ending in `/`.
    fn base(&mut self, host: &str) -> anyhow::Result<String> {
        let base = match self.config.service(host, "providers.v1") {
            Some(url) => url.to_string(),
            None => {
                let discovery = format!("https://{host}/.well-known/terraform.json");
                let doc = self.get_json(&discovery, host)?;
                let Some(service) = doc.get("providers.v1").and_then(|v| v.as_str()) else {
                    return Err(hinted(
                        format!(
                            "{host} offers no provider registry (no `providers.v1` in {discovery})"
                        ),
                        "check the provider's source address",
                    ));
                };
                join_url(&discovery, service)
            }
        };
        Ok(if base.ends_with('/') {
            base
        } else {
            format!("{base}/")
        })
    }

    fn registry_versions(&mut self, source: &ProviderSource) -> anyhow::Result<Vec<String>> {
        let base = self.base(&source.host)?;
        let url = format!("{base}{}/{}/versions", source.namespace, source.type_name);
        let doc = self.get_json(&url, &source.host)?;
        let (os, arch) = self
            .platform
            .split_once('_')
            .unwrap_or((&self.platform, ""));
        let mut out = Vec::new();
        for v in doc
            .get("versions")
            .and_then(|v| v.as_array())
            .into_iter()
            .flatten()
        {
            let Some(version) = v.get("version").and_then(|v| v.as_str()) else {
                continue;
            };
            let platforms = v.get("platforms").and_then(|p| p.as_array());
            let here = platforms.is_none_or(|ps| {
                ps.iter().any(|p| {
                    p.get("os").and_then(|v| v.as_str()) == Some(os)
                        && p.get("arch").and_then(|v| v.as_str()) == Some(arch)
                })
            });
            if here && Version::parse(version).is_ok() {
                out.push(version.to_string());
            }
        }
        Ok(out)
    }

    fn registry_fetch(
        &mut self,
        source: &ProviderSource,
        version: &str,
        staging: &Path,
    ) -> anyhow::Result<Fetched> {
        let host = source.host.clone();
        let base = self.base(&host)?;
        let (os, arch) = self
            .platform
            .split_once('_')
            .map(|(o, a)| (o.to_string(), a.to_string()))
            .unwrap_or_default();
        let url = format!(
            "{base}{}/{}/{version}/download/{os}/{arch}",
            source.namespace, source.type_name
        );
        let doc = self.get_json(&url, &host)?;
        let field = |name: &str| doc.get(name).and_then(|v| v.as_str()).map(str::to_string);
        let (Some(filename), Some(download), Some(shasum)) =
            (field("filename"), field("download_url"), field("shasum"))
        else {
            return Err(anyhow::anyhow!(
                "GET {url}: the answer lacks `filename`, `download_url` or `shasum`"
            ));
        };
        let zip = self.get(&join_url(&url, &download), &host)?;
        let actual = sha256_hex(&zip);
        if !actual.eq_ignore_ascii_case(&shasum) {
            return Err(hinted(
                format!("the package {filename} of provider {source} {version} has SHA-256 {actual}, the registry says {shasum}"),
                "the download was corrupted or tampered with; try again, or ask the registry's operator",
            ));
        }
        let mut zip_hashes = vec![zip_hash(&zip)];
        if let Some(sums_url) = field("shasums_url") {
            let sums = self.get(&join_url(&url, &sums_url), &host)?;
            let sums = String::from_utf8_lossy(&sums);
            let prefix = format!("terraform-provider-{}_{version}_", source.type_name);
            let mut listed = false;
            for line in sums.lines() {
                let Some((sum, name)) = line.split_once("  ") else {
                    continue;
                };
                let name = name.trim();
                if name == filename {
                    listed = true;
                    if !sum.eq_ignore_ascii_case(&actual) {
                        return Err(hinted(
                            format!("the package {filename} of provider {source} {version} has SHA-256 {actual}, its SHA256SUMS line says {sum}"),
                            "the download was corrupted or tampered with",
                        ));
                    }
                }
                if name.starts_with(&prefix) && name.ends_with(".zip") {
                    zip_hashes.push(format!("zh:{}", sum.to_ascii_lowercase()));
                }
            }
            if !listed {
                return Err(hinted(
                    format!(
                        "the SHA256SUMS of provider {source} {version} does not list {filename}"
                    ),
                    "the registry's documents disagree; ask the registry's operator",
                ));
            }
        }
        unzip(&zip, staging)?;
        Ok(Fetched {
            origin: format!("the registry {host}"),
            zip_hash: Some(zip_hash(&zip)),
            zip_hashes,
        })
    }
}

fn type_dir(root: &Path, source: &ProviderSource) -> PathBuf {
    root.join(&source.host)
        .join(&source.namespace)
        .join(&source.type_name)
}

fn unpacked_dir(root: &Path, source: &ProviderSource, version: &str, platform: &str) -> PathBuf {
    type_dir(root, source).join(version).join(platform)
}

fn packed_zip(root: &Path, source: &ProviderSource, version: &str, platform: &str) -> PathBuf {
    type_dir(root, source).join(format!(
        "terraform-provider-{}_{version}_{platform}.zip",
        source.type_name
    ))
}

/// The versions a mirror has for `platform`, in either layout.
fn mirror_versions(root: &Path, source: &ProviderSource, platform: &str) -> Vec<String> {
    let dir = type_dir(root, source);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let packed_prefix = format!("terraform-provider-{}_", source.type_name);
    let packed_suffix = format!("_{platform}.zip");
    let mut out = Vec::new();
    for entry in entries.filter_map(|e| e.ok()) {
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        if path.join(platform).is_dir() && Version::parse(&name).is_ok() {
            out.push(name);
        } else if let Some(v) = name
            .strip_prefix(&packed_prefix)
            .and_then(|r| r.strip_suffix(&packed_suffix))
        {
            if Version::parse(v).is_ok() {
                out.push(v.to_string());
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Unpacks zip `bytes` into `dir` (with `unzip`, as module archives are).
fn unzip(bytes: &[u8], dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let file = dir.with_extension("zip");
    std::fs::write(&file, bytes)?;
    let out = Command::new("unzip")
        .arg("-q")
        .arg("-o")
        .arg(&file)
        .arg("-d")
        .arg(dir)
        .output();
    let _ = std::fs::remove_file(&file);
    match out {
        Ok(o) if o.status.success() => Ok(()),
        Ok(o) => Err(anyhow::anyhow!(
            "unpacking a provider package: {}",
            String::from_utf8_lossy(&o.stderr).trim()
        )),
        Err(e) => Err(hinted(
            format!("unpacking a provider package: cannot run `unzip`: {e}"),
            "install unzip",
        )),
    }
}

/// Copies the files of `from` into `to` (created), keeping their permissions.
fn copy_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}
