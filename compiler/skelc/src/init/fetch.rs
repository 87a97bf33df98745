//! The real [`Fetcher`]: the module registry protocol v1 over HTTP(S) (service discovery or the
//! CLI configuration's `host` block, bearer tokens from its `credentials`), git through the
//! `git` CLI (never prompting: `GIT_TERMINAL_PROMPT=0`, ssh in batch mode), archives through
//! `tar` and `unzip`. A package is fetched into a fresh directory next to its destination and
//! moved into place only when complete, so a failure leaves the previous install untouched.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use skel_hir::source::{
    ArchiveAddr, ArchiveFormat, FetchError, Fetcher, GitAddr, RegistryAddr, SourceAddr,
};

use super::cli_config::CliConfig;
use super::http::{join_url, Http};

pub struct RealFetcher {
    http: Option<Http>,
    config: CliConfig,
    /// The `modules.v1` base URL of each registry host found so far.
    bases: HashMap<String, String>,
    /// The token of a registry, by the authority (`host:port`) its API is served from: a
    /// package on that server is sent it too.
    api_tokens: HashMap<String, String>,
}

impl RealFetcher {
    pub fn new(config: CliConfig) -> RealFetcher {
        RealFetcher {
            http: None,
            config,
            bases: HashMap::new(),
            api_tokens: HashMap::new(),
        }
    }

    fn http(&mut self) -> Result<&Http, FetchError> {
        if self.http.is_none() {
            self.http =
                Some(Http::new().map_err(|e| {
                    FetchError::Unreachable(format!("starting the HTTP client: {e}"))
                })?);
        }
        Ok(self.http.as_ref().expect("just set"))
    }

    /// GET `url` for the registry at `host`, sending the token configured for `host` (to its
    /// API, wherever a `host` block puts it).
    fn get(&mut self, url: &str, host: &str) -> Result<super::http::Response, FetchError> {
        let token = self.config.token(host).map(str::to_string);
        self.http()?
            .get(url, token.as_deref())
            .map_err(|e| FetchError::Unreachable(e.0))
    }

    /// The registry's `modules.v1` base URL, ending in `/`.
    fn base(&mut self, host: &str) -> Result<String, FetchError> {
        if let Some(base) = self.bases.get(host) {
            return Ok(base.clone());
        }
        let base = match self.config.modules_service(host) {
            Some(url) => url.to_string(),
            None => {
                let discovery = format!("https://{host}/.well-known/terraform.json");
                let response = self.get(&discovery, host)?;
                if response.status != 200 {
                    return Err(FetchError::Unreachable(format!(
                        "service discovery at {discovery} answered HTTP {}",
                        response.status
                    )));
                }
                modules_service(&response.body, &discovery, host)?
            }
        };
        let base = if base.ends_with('/') {
            base
        } else {
            format!("{base}/")
        };
        if let Some(token) = self.config.token(host) {
            self.api_tokens
                .insert(super::http::authority(&base), token.to_string());
        }
        self.bases.insert(host.to_string(), base.clone());
        Ok(base)
    }
}

impl Fetcher for RealFetcher {
    fn registry_versions(&mut self, addr: &RegistryAddr) -> Result<Vec<String>, FetchError> {
        let base = self.base(&addr.host)?;
        let url = format!(
            "{base}{}/{}/{}/versions",
            addr.namespace, addr.name, addr.system
        );
        let response = self.get(&url, &addr.host)?;
        match response.status {
            200 => {}
            404 => return Err(FetchError::NotFound(format!("GET {url}: 404 Not Found"))),
            401 | 403 => {
                return Err(FetchError::Unreachable(format!(
                    "GET {url}: HTTP {} (check the `credentials` block for {})",
                    response.status, addr.host
                )))
            }
            s => return Err(FetchError::Unreachable(format!("GET {url}: HTTP {s}"))),
        }
        let doc: serde_json::Value = serde_json::from_slice(&response.body)
            .map_err(|_| FetchError::Unreachable(format!("GET {url}: the answer is not JSON")))?;
        let versions = doc["modules"]
            .as_array()
            .and_then(|m| m.first())
            .and_then(|m| m["versions"].as_array())
            .ok_or_else(|| {
                FetchError::Unreachable(format!(
                    "GET {url}: no `modules[0].versions` in the answer"
                ))
            })?;
        Ok(versions
            .iter()
            .filter_map(|v| v["version"].as_str().map(str::to_string))
            .collect())
    }

    fn registry_download(
        &mut self,
        addr: &RegistryAddr,
        version: &str,
    ) -> Result<String, FetchError> {
        let base = self.base(&addr.host)?;
        let url = format!(
            "{base}{}/{}/{}/{version}/download",
            addr.namespace, addr.name, addr.system
        );
        let response = self.get(&url, &addr.host)?;
        if !(200..300).contains(&response.status) {
            return Err(FetchError::Failed(format!(
                "GET {url}: HTTP {}",
                response.status
            )));
        }
        let Some(get) = response.terraform_get else {
            return Err(FetchError::Failed(format!(
                "GET {url}: no X-Terraform-Get header"
            )));
        };
        Ok(join_url(&url, &get))
    }

    fn fetch(
        &mut self,
        addr: &SourceAddr,
        dest: &Path,
        subdir: Option<&str>,
    ) -> Result<Option<String>, FetchError> {
        let parent = dest
            .parent()
            .ok_or_else(|| FetchError::Failed("no parent directory".into()))?;
        std::fs::create_dir_all(parent)
            .map_err(|e| FetchError::Failed(format!("creating {}: {e}", parent.display())))?;
        let name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let staging = parent.join(format!(".{name}.partial-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&staging);
        let result = match addr {
            SourceAddr::Git(git) => clone(git, &staging),
            SourceAddr::Archive(archive) => self.unpack(archive, &staging).map(|()| None),
            other => Err(FetchError::Failed(format!(
                "`{other}` is not a package to download"
            ))),
        };
        let result = result.and_then(|commit| match subdir {
            Some(sub) if !staging.join(sub).is_dir() => Err(FetchError::NoSubdir(sub.to_string())),
            _ => Ok(commit),
        });
        match result {
            Ok(commit) => {
                let _ = std::fs::remove_dir_all(dest);
                std::fs::rename(&staging, dest).map_err(|e| {
                    let _ = std::fs::remove_dir_all(&staging);
                    FetchError::Failed(format!("moving the package into {}: {e}", dest.display()))
                })?;
                Ok(commit)
            }
            Err(e) => {
                let _ = std::fs::remove_dir_all(&staging);
                Err(e)
            }
        }
    }
}

impl RealFetcher {
    fn unpack(&mut self, archive: &ArchiveAddr, dir: &Path) -> Result<(), FetchError> {
        // An archive on a host with credentials, or on the server of a registry's API, is sent
        // that token; no other host ever sees one.
        let authority = super::http::authority(&archive.url);
        let host = authority.split(':').next().unwrap_or("").to_string();
        let token = self
            .config
            .token(&authority)
            .or_else(|| self.config.token(&host))
            .or_else(|| self.api_tokens.get(&authority).map(String::as_str))
            .map(str::to_string);
        let response = self
            .http()?
            .get(&archive.url, token.as_deref())
            .map_err(|e| FetchError::Failed(e.0))?;
        if response.status != 200 {
            return Err(FetchError::Failed(format!(
                "GET {}: HTTP {}",
                archive.url, response.status
            )));
        }
        std::fs::create_dir_all(dir)
            .map_err(|e| FetchError::Failed(format!("creating {}: {e}", dir.display())))?;
        let file = dir.with_extension("download");
        std::fs::write(&file, &response.body)
            .map_err(|e| FetchError::Failed(format!("writing {}: {e}", file.display())))?;
        let mut command = match archive.format {
            ArchiveFormat::Zip => {
                let mut c = Command::new("unzip");
                c.arg("-q").arg(&file).arg("-d").arg(dir);
                c
            }
            _ => {
                let mut c = Command::new("tar");
                c.arg("-xf").arg(&file).arg("-C").arg(dir);
                c
            }
        };
        let out = run(&mut command);
        let _ = std::fs::remove_file(&file);
        match out {
            Ok(_) => Ok(()),
            Err(e) => Err(FetchError::Failed(format!(
                "unpacking {}: {e}",
                archive.url
            ))),
        }
    }
}

/// The `modules.v1` URL a service discovery document gives (relative to the document).
fn modules_service(body: &[u8], discovery: &str, host: &str) -> Result<String, FetchError> {
    let doc: serde_json::Value = serde_json::from_slice(body).map_err(|_| {
        FetchError::Unreachable(format!("service discovery at {discovery} is not JSON"))
    })?;
    let Some(service) = doc.get("modules.v1").and_then(|v| v.as_str()) else {
        return Err(FetchError::Unreachable(format!(
            "{host} offers no module registry (no `modules.v1` in {discovery})"
        )));
    };
    Ok(join_url(discovery, service))
}

/// Run a command; its stderr (trimmed) as the error when it fails.
fn run(command: &mut Command) -> Result<String, String> {
    let program = command.get_program().to_string_lossy().into_owned();
    let out = command
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GCM_INTERACTIVE", "never")
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("cannot run `{program}`: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    } else {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let lines: Vec<&str> = stderr
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        Err(if lines.is_empty() {
            format!("`{program}` failed ({})", out.status)
        } else {
            lines.join("; ")
        })
    }
}

fn git(dir: Option<&Path>) -> Command {
    let mut c = Command::new("git");
    if let Some(dir) = dir {
        c.arg("-C").arg(dir);
    }
    if std::env::var_os("GIT_SSH_COMMAND").is_none() {
        c.env("GIT_SSH_COMMAND", "ssh -o BatchMode=yes");
    }
    c
}

/// Clone `addr` into `dir` and check out its ref; the commit checked out.
fn clone(addr: &GitAddr, dir: &Path) -> Result<Option<String>, FetchError> {
    let mut command = git(None);
    command.args(["clone", "--quiet"]);
    if let Some(depth) = addr.depth {
        command.arg(format!("--depth={depth}"));
        if let Some(r) = &addr.reference {
            // A shallow clone can only start at a branch or tag.
            command.arg(format!("--branch={r}"));
        }
    }
    command.arg("--").arg(&addr.url).arg(dir);
    if let Err(e) = run(&mut command) {
        if addr.depth.is_some() && e.contains("not found in upstream") {
            return Err(FetchError::BadRef(format!(
                "no branch or tag `{}` in {}: {e}",
                addr.reference.as_deref().unwrap_or(""),
                addr.url
            )));
        }
        return Err(FetchError::Failed(format!("git clone {}: {e}", addr.url)));
    }
    if let (Some(r), None) = (&addr.reference, addr.depth) {
        let target = resolve_ref(dir, r).ok_or_else(|| {
            FetchError::BadRef(format!("{} has no tag, branch or commit `{r}`", addr.url))
        })?;
        run(git(Some(dir)).args(["checkout", "--quiet", "--detach", &target]))
            .map_err(|e| FetchError::Failed(format!("git checkout {r}: {e}")))?;
    }
    let commit = run(git(Some(dir)).args(["rev-parse", "HEAD"]))
        .map_err(|e| FetchError::Failed(format!("git rev-parse HEAD: {e}")))?;
    Ok(Some(commit))
}

/// The commit `r` names in a fresh clone: a tag, a branch (the remote's), or a commit.
fn resolve_ref(dir: &Path, r: &str) -> Option<String> {
    if r.starts_with('-') {
        return None;
    }
    for candidate in [
        format!("refs/tags/{r}^{{commit}}"),
        format!("refs/remotes/origin/{r}^{{commit}}"),
        format!("{r}^{{commit}}"),
    ] {
        if let Ok(commit) =
            run(git(Some(dir)).args(["rev-parse", "--verify", "--quiet", &candidate]))
        {
            if !commit.is_empty() {
                return Some(commit);
            }
        }
    }
    None
}

/// The packages directory's leftovers: package directories no manifest entry uses.
pub fn unused_packages(modules_dir: &Path, used: &[PathBuf]) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(modules_dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir() && !used.contains(p))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_discovery_documents() {
        let at = "https://registry.example.com/.well-known/terraform.json";
        let relative = br#"{"modules.v1": "/v1/modules/", "providers.v1": "/v1/providers/"}"#;
        assert_eq!(
            modules_service(relative, at, "registry.example.com").unwrap(),
            "https://registry.example.com/v1/modules/"
        );
        let absolute = br#"{"modules.v1": "https://api.example.com/m/"}"#;
        assert_eq!(
            modules_service(absolute, at, "registry.example.com").unwrap(),
            "https://api.example.com/m/"
        );
        let none = br#"{"providers.v1": "/v1/providers/"}"#;
        let e = modules_service(none, at, "registry.example.com").unwrap_err();
        assert!(e.to_string().contains("offers no module registry"), "{e}");
        let e = modules_service(b"<html>", at, "registry.example.com").unwrap_err();
        assert!(e.to_string().contains("not JSON"), "{e}");
    }
}
