//! Module source addresses: Terraform's grammar for a `module` block's `source`, parsed into a
//! typed address (local path, registry, git, archive), and `version` constraints.
//!
//! Forms (as Terraform reads them):
//! - local: `./x`, `../x` (also `.` and `..`);
//! - registry: `NAMESPACE/NAME/SYSTEM` or `HOST/NAMESPACE/NAME/SYSTEM`, optional `//SUBDIR`;
//! - git: `git::URL` (`https://`, `http://`, `ssh://`, `file://`, scp-like `user@host:path`),
//!   optional `//SUBDIR` after the repository and `?ref=REF` (`?depth=N` is accepted), and the
//!   shorthands `github.com/OWNER/REPO` and `git@github.com:OWNER/REPO.git`;
//! - archive: an `http(s)://` URL whose path ends in `.zip`, `.tar.gz`, `.tgz`, `.tar.bz2`,
//!   `.tbz2`, `.tar.xz`, `.txz` or `.tar` (or has `?archive=FORMAT`), optional `//SUBDIR`.

mod install;
mod manifest;
mod version;

pub use install::{install, FetchError, Fetcher, InstallOutcome};
pub use manifest::{
    installed_module, manifest_for, manifest_path, relative_to, Manifest, ManifestEntry,
    MANIFEST_FILE, MODULES_DIR,
};
pub use version::{Version, VersionConstraint, VersionError};

use std::fmt;

/// The registry host of an address without one.
pub const DEFAULT_REGISTRY_HOST: &str = "registry.terraform.io";

/// A parsed module source address.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum SourceAddr {
    /// A path relative to the calling module's directory, as written.
    Local(String),
    Registry(RegistryAddr),
    Git(GitAddr),
    Archive(ArchiveAddr),
}

/// `HOST/NAMESPACE/NAME/SYSTEM//SUBDIR`.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct RegistryAddr {
    /// Lower-cased; [`DEFAULT_REGISTRY_HOST`] when the address has none.
    pub host: String,
    pub namespace: String,
    pub name: String,
    pub system: String,
    pub subdir: Option<String>,
}

/// A git repository: the URL `git` is given, the ref to check out and a directory in it.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct GitAddr {
    pub url: String,
    pub reference: Option<String>,
    pub depth: Option<u32>,
    pub subdir: Option<String>,
}

/// An archive downloaded over HTTP(S) and unpacked.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct ArchiveAddr {
    pub url: String,
    pub format: ArchiveFormat,
    pub subdir: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum ArchiveFormat {
    Zip,
    TarGz,
    TarBz2,
    TarXz,
    Tar,
}

impl ArchiveFormat {
    /// The format an `?archive=` value or a file name's extension names.
    fn from_name(name: &str) -> Option<ArchiveFormat> {
        Some(match name {
            "zip" => ArchiveFormat::Zip,
            "tar.gz" | "tgz" => ArchiveFormat::TarGz,
            "tar.bz2" | "tbz2" => ArchiveFormat::TarBz2,
            "tar.xz" | "txz" => ArchiveFormat::TarXz,
            "tar" => ArchiveFormat::Tar,
            _ => return None,
        })
    }

    fn from_path(path: &str) -> Option<ArchiveFormat> {
        let lower = path.to_ascii_lowercase();
        [
            "tar.gz", "tar.bz2", "tar.xz", "tgz", "tbz2", "txz", "zip", "tar",
        ]
        .into_iter()
        .find(|ext| lower.ends_with(&format!(".{ext}")))
        .and_then(ArchiveFormat::from_name)
    }
}

/// Why a `source` is not a valid address: the message, and what to write instead.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
#[error("{message}")]
pub struct SourceError {
    pub message: String,
    pub hint: String,
}

fn error(message: impl Into<String>, hint: impl Into<String>) -> SourceError {
    SourceError {
        message: message.into(),
        hint: hint.into(),
    }
}

impl SourceAddr {
    /// Parse a `source` string.
    pub fn parse(text: &str) -> Result<SourceAddr, SourceError> {
        if text.is_empty() {
            return Err(error(
                "the module source is empty",
                "write a local path (`./modules/NAME`), a registry address (`NAMESPACE/NAME/SYSTEM`) or `git::URL`",
            ));
        }
        if text != text.trim() {
            return Err(error(
                "the module source has leading or trailing whitespace",
                "remove the spaces around the address",
            ));
        }
        if is_local(text) {
            return Ok(SourceAddr::Local(text.to_string()));
        }
        if text.starts_with('/') || text.contains('\\') || is_windows_absolute(text) {
            return Err(error(
                "an absolute or Windows-style path is not a module source",
                "write a path relative to the module starting with `./` or `../`, or use `git::file:///PATH` for a repository",
            ));
        }
        if let Some((getter, rest)) = forced_getter(text) {
            return match getter {
                "git" => parse_git(rest, text),
                other => Err(error(
                    format!("the `{other}::` source type is not supported"),
                    "use `git::URL`, a registry address or an https archive URL",
                )),
            };
        }
        if let Some(rest) = text.strip_prefix("github.com/") {
            return parse_github(rest);
        }
        if let Some(rest) = text.strip_prefix("git@github.com:") {
            return parse_git(&format!("ssh://git@github.com/{rest}"), text);
        }
        if text.starts_with("bitbucket.org/") {
            return Err(error(
                "the `bitbucket.org/` shorthand is not supported",
                "write the repository as `git::https://bitbucket.org/OWNER/REPO.git`",
            ));
        }
        if let Some(scheme) = url_scheme(text) {
            return match scheme {
                "http" | "https" => parse_archive(text),
                "file" | "ssh" => Err(error(
                    format!("a `{scheme}://` URL needs the `git::` prefix"),
                    format!("write `git::{text}`"),
                )),
                other => Err(error(
                    format!("the `{other}://` scheme is not a supported module source"),
                    "use `git::URL`, a registry address or an https archive URL",
                )),
            };
        }
        parse_registry(text)
    }

    /// Whether the module is fetched by `skelc init` (everything but a local path).
    pub fn is_remote(&self) -> bool {
        !matches!(self, SourceAddr::Local(_))
    }

    /// The directory inside the fetched package (`//SUBDIR`).
    pub fn subdir(&self) -> Option<&str> {
        match self {
            SourceAddr::Local(_) => None,
            SourceAddr::Registry(r) => r.subdir.as_deref(),
            SourceAddr::Git(g) => g.subdir.as_deref(),
            SourceAddr::Archive(a) => a.subdir.as_deref(),
        }
    }
}

impl fmt::Display for RegistryAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}/{}/{}",
            self.host, self.namespace, self.name, self.system
        )?;
        if let Some(sub) = &self.subdir {
            write!(f, "//{sub}")?;
        }
        Ok(())
    }
}

impl fmt::Display for SourceAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceAddr::Local(path) => f.write_str(path),
            SourceAddr::Registry(r) => write!(f, "{r}"),
            SourceAddr::Git(g) => {
                write!(f, "git::{}", g.url)?;
                if let Some(sub) = &g.subdir {
                    write!(f, "//{sub}")?;
                }
                let mut sep = '?';
                if let Some(r) = &g.reference {
                    write!(f, "{sep}ref={r}")?;
                    sep = '&';
                }
                if let Some(d) = g.depth {
                    write!(f, "{sep}depth={d}")?;
                }
                Ok(())
            }
            SourceAddr::Archive(a) => {
                f.write_str(&a.url)?;
                if let Some(sub) = &a.subdir {
                    write!(f, "//{sub}")?;
                }
                Ok(())
            }
        }
    }
}

fn is_local(text: &str) -> bool {
    text == "." || text == ".." || text.starts_with("./") || text.starts_with("../")
}

fn is_windows_absolute(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':' && !text.contains("::")
}

/// `getter::rest`, for a getter name made of letters only (so `ssh://` is not taken for one).
fn forced_getter(text: &str) -> Option<(&str, &str)> {
    let (getter, rest) = text.split_once("::")?;
    (!getter.is_empty() && getter.chars().all(|c| c.is_ascii_alphanumeric()))
        .then_some((getter, rest))
}

fn url_scheme(text: &str) -> Option<&str> {
    let (scheme, _) = text.split_once("://")?;
    (!scheme.is_empty()
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '-' || c == '.'))
    .then_some(scheme)
}

/// Split `URL//SUBDIR?QUERY` into the URL with its query and the sub-directory, as go-getter
/// does: the first `//` after the scheme's `://` starts the sub-directory (also when it comes
/// after the query, `URL?ref=v1//SUBDIR`), and a query written after the sub-directory belongs
/// to the URL.
fn split_subdir(text: &str) -> Result<(String, Option<String>), SourceError> {
    let skip = text.find("://").map_or(0, |i| i + 3);
    let Some(i) = text[skip..].find("//") else {
        return Ok((text.to_string(), None));
    };
    let mut url = text[..skip + i].to_string();
    let mut sub = &text[skip + i + 2..];
    if let Some(q) = sub.find('?') {
        url.push_str(&sub[q..]);
        sub = &sub[..q];
    }
    Ok((url, Some(clean_subdir(sub)?)))
}

fn clean_subdir(sub: &str) -> Result<String, SourceError> {
    let trimmed = sub.trim_matches('/');
    if trimmed.is_empty() {
        return Err(error(
            "the sub-directory after `//` is empty",
            "write `//PATH/IN/PACKAGE` or leave the `//` out",
        ));
    }
    if trimmed.split('/').any(|part| part == "..") {
        return Err(error(
            "the sub-directory after `//` leaves the package with `..`",
            "name a directory inside the downloaded package",
        ));
    }
    Ok(trimmed.to_string())
}

/// The query of a URL as `(key, value)` pairs, and the URL without it.
fn split_query(url: &str) -> (&str, Vec<(&str, &str)>) {
    match url.split_once('?') {
        None => (url, Vec::new()),
        Some((base, query)) => (
            base,
            query
                .split('&')
                .filter(|p| !p.is_empty())
                .map(|p| p.split_once('=').unwrap_or((p, "")))
                .collect(),
        ),
    }
}

fn parse_git(rest: &str, original: &str) -> Result<SourceAddr, SourceError> {
    let (url, subdir) = split_subdir(rest)?;
    let (base, query) = split_query(&url);
    if base.is_empty() {
        return Err(error(
            "`git::` is not followed by a repository URL",
            "write `git::https://HOST/OWNER/REPO.git`",
        ));
    }
    let mut reference = None;
    let mut depth = None;
    for (key, value) in query {
        match key {
            "ref" if value.is_empty() => {
                return Err(error(
                    "`?ref=` names no ref",
                    "write `?ref=TAG`, `?ref=BRANCH` or `?ref=COMMIT`",
                ))
            }
            "ref" => reference = Some(value.to_string()),
            "depth" => {
                depth = Some(value.parse::<u32>().map_err(|_| {
                    error(
                        format!("`?depth={value}` is not a whole number"),
                        "write `?depth=1`, or leave it out",
                    )
                })?)
            }
            other => {
                return Err(error(
                    format!("unknown query argument `{other}` in a git source"),
                    "a git source accepts `?ref=` and `?depth=`",
                ))
            }
        }
    }
    let url =
        match url_scheme(base) {
            Some("https" | "http" | "ssh" | "file") => base.to_string(),
            Some(other) => {
                return Err(error(
                    format!("the `{other}://` scheme is not supported for git in `{original}`"),
                    "use an `https://`, `ssh://` or `file://` URL",
                ))
            }
            None if is_scp_like(base) => {
                // `user@host:path` → `ssh://user@host/path`, which git reads the same way.
                let (user_host, path) = base.split_once(':').unwrap_or((base, ""));
                format!("ssh://{user_host}/{}", path.trim_start_matches('/'))
            }
            None => return Err(error(
                format!("`{base}` is not a git URL"),
                "write `git::https://HOST/OWNER/REPO.git`, `git::ssh://…` or `git::file:///PATH`",
            )),
        };
    Ok(SourceAddr::Git(GitAddr {
        url,
        reference,
        depth,
        subdir,
    }))
}

fn is_scp_like(text: &str) -> bool {
    match text.split_once(':') {
        Some((user_host, path)) => {
            user_host.contains('@') && !user_host.contains('/') && !path.is_empty()
        }
        None => false,
    }
}

fn parse_github(rest: &str) -> Result<SourceAddr, SourceError> {
    let (url, subdir) = split_subdir(rest)?;
    let (base, query) = split_query(&url);
    let parts: Vec<&str> = base.split('/').collect();
    if parts.len() != 2 || parts.iter().any(|p| p.is_empty()) {
        return Err(error(
            "a `github.com/` source needs exactly an owner and a repository",
            "write `github.com/OWNER/REPO`, with `//SUBDIR` and `?ref=REF` when needed",
        ));
    }
    let repo = parts[1].trim_end_matches(".git");
    let mut git = format!("https://github.com/{}/{repo}.git", parts[0]);
    if !query.is_empty() {
        let q: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
        git = format!("{git}?{}", q.join("&"));
    }
    match parse_git(&git, rest)? {
        SourceAddr::Git(mut g) => {
            g.subdir = subdir;
            Ok(SourceAddr::Git(g))
        }
        other => Ok(other),
    }
}

fn parse_archive(text: &str) -> Result<SourceAddr, SourceError> {
    let (url, subdir) = split_subdir(text)?;
    let (base, query) = split_query(&url);
    let mut format = ArchiveFormat::from_path(base);
    let mut kept = Vec::new();
    for (key, value) in query {
        if key == "archive" {
            format = Some(ArchiveFormat::from_name(value).ok_or_else(|| {
                error(
                    format!("`?archive={value}` is not an archive format"),
                    "use zip, tar.gz, tgz, tar.bz2, tar.xz or tar",
                )
            })?);
        } else {
            kept.push(format!("{key}={value}"));
        }
    }
    let Some(format) = format else {
        return Err(error(
            format!("`{base}` is not an archive URL"),
            "an http(s) source must name an archive (`.zip`, `.tar.gz`, …); for a repository write `git::URL`",
        ));
    };
    let url = if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok(SourceAddr::Archive(ArchiveAddr {
        url,
        format,
        subdir,
    }))
}

fn parse_registry(text: &str) -> Result<SourceAddr, SourceError> {
    let (body, subdir) = match text.split_once("//") {
        Some((b, s)) => (b, Some(clean_subdir(s)?)),
        None => (text, None),
    };
    let local_hint = format!("a local path must start with `./` or `../`: `./{text}`");
    if body.contains('?') {
        return Err(error(
            "a registry address takes no `?` arguments",
            "set the version with the module's `version` argument",
        ));
    }
    let parts: Vec<&str> = body.split('/').collect();
    let (host, rest) = match parts.len() {
        3 => (DEFAULT_REGISTRY_HOST.to_string(), &parts[..]),
        4 => {
            let host = parts[0];
            if !valid_host(host) {
                return Err(error(
                    format!("`{host}` is not a valid registry host name"),
                    local_hint,
                ));
            }
            if host.eq_ignore_ascii_case("github.com") || host.eq_ignore_ascii_case("bitbucket.org")
            {
                return Err(error(
                    format!("`{host}` is not a module registry"),
                    "write `github.com/OWNER/REPO` for a repository",
                ));
            }
            (host.to_ascii_lowercase(), &parts[1..])
        }
        _ => {
            return Err(error(
                format!("`{text}` is neither a local path nor a registry address"),
                format!("{local_hint}; a registry address is `NAMESPACE/NAME/SYSTEM`"),
            ))
        }
    };
    for (what, part) in [("namespace", rest[0]), ("name", rest[1])] {
        if !valid_registry_name(part) {
            return Err(error(
                format!("`{part}` is not a valid registry module {what}"),
                "namespaces and names are letters, digits, `-` and `_`, starting and ending with a letter or digit",
            ));
        }
    }
    let system = rest[2];
    if system.is_empty()
        || system.len() > 64
        || !system
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    {
        return Err(error(
            format!("`{system}` is not a valid target system"),
            "the target system is lowercase letters and digits, like `aws`",
        ));
    }
    Ok(SourceAddr::Registry(RegistryAddr {
        host,
        namespace: rest[0].to_string(),
        name: rest[1].to_string(),
        system: system.to_string(),
        subdir,
    }))
}

fn valid_registry_name(part: &str) -> bool {
    let ok = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    !part.is_empty()
        && part.len() <= 64
        && part.chars().all(ok)
        && part.starts_with(|c: char| c.is_ascii_alphanumeric())
        && part.ends_with(|c: char| c.is_ascii_alphanumeric())
}

fn valid_host(host: &str) -> bool {
    let (name, port) = match host.rsplit_once(':') {
        Some((n, p)) => (n, Some(p)),
        None => (host, None),
    };
    if port.is_some_and(|p| p.is_empty() || p.parse::<u16>().is_err()) {
        return false;
    }
    !name.is_empty()
        && (name.contains('.') || name == "localhost")
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

#[cfg(test)]
mod tests;
