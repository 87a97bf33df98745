//! Installing remote modules (`skelc init`): walk the module calls from the root, recursively
//! through local and downloaded modules, resolve registry versions, fetch packages into
//! `.skel/modules/<key>/` and build the manifest. The network and git live behind [`Fetcher`]
//! (the binary implements it), so this walk is plain logic over the database.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use skel_db::{Code, Db, Diagnostic, ItemRef};
use skel_syntax::{Item, TextRange};

use super::{
    manifest::{relative_to, MODULES_DIR},
    Manifest, ManifestEntry, RegistryAddr, SourceAddr, Version, VersionConstraint,
};
use crate::paths::normalize_path;

/// Why a fetch failed, by kind (the message says the rest).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// The registry (or its discovery document) cannot be reached or answered with an error.
    #[error("{0}")]
    Unreachable(String),
    /// The registry does not have the module.
    #[error("{0}")]
    NotFound(String),
    /// A git ref that names nothing in the repository.
    #[error("{0}")]
    BadRef(String),
    /// Downloading, cloning or unpacking failed.
    #[error("{0}")]
    Failed(String),
    /// The package has no such sub-directory.
    #[error("the package has no directory `{0}`")]
    NoSubdir(String),
}

/// The outside world of an installation: the registry protocol and package downloads.
pub trait Fetcher {
    /// The versions the registry has of a module.
    fn registry_versions(&mut self, addr: &RegistryAddr) -> Result<Vec<String>, FetchError>;
    /// The source address of a version's package (`X-Terraform-Get`, made absolute).
    fn registry_download(
        &mut self,
        addr: &RegistryAddr,
        version: &str,
    ) -> Result<String, FetchError>;
    /// Fetch a git or archive package into `dest`, replacing whatever is there, but only when
    /// the package has the directory `subdir` (the module's `//SUBDIR`s, relative to the
    /// package): else nothing changes and the error is [`FetchError::NoSubdir`]. Returns the
    /// commit checked out, for git.
    fn fetch(
        &mut self,
        addr: &SourceAddr,
        dest: &Path,
        subdir: Option<&str>,
    ) -> Result<Option<String>, FetchError>;
}

/// What an installation did.
#[derive(Debug, Default)]
pub struct InstallOutcome {
    pub manifest: Manifest,
    pub diagnostics: Vec<Diagnostic>,
    /// Keys of the modules downloaded by this run.
    pub downloaded: Vec<String>,
    /// Keys of the modules already installed and kept.
    pub kept: Vec<String>,
}

/// Deeper than this, module calls are taken for a cycle and not followed.
const MAX_DEPTH: usize = 32;

struct Call {
    item: ItemRef,
    name: String,
    source: String,
    source_range: TextRange,
    version: Option<(String, TextRange)>,
}

fn module_calls(db: &dyn Db, dir: &Path) -> Vec<Call> {
    let input = db.directory(dir);
    let index = crate::module_index(db, input);
    let mut out = Vec::new();
    for def in index.modules.values() {
        let Some(source) = crate::module_call_source(db, def.item) else {
            continue;
        };
        let version = skel_db::item_ast(db, def.item.file, def.item.index).and_then(|ast| {
            let Item::Block(block) = &*ast else {
                return None;
            };
            let attr = block.body.attribute("version")?;
            Some((attr.expr.as_literal_string()?, attr.expr.range))
        });
        out.push(Call {
            item: def.item,
            name: source.name,
            source: source.text,
            source_range: source.range,
            version,
        });
    }
    out
}

struct Installer<'a> {
    db: &'a dyn Db,
    root: PathBuf,
    previous: &'a Manifest,
    fetcher: &'a mut dyn Fetcher,
    upgrade: bool,
    out: InstallOutcome,
}

/// Install every remote module the root module at `root` (absolute) needs. `previous` is the
/// manifest of the last run: an entry with the same source and constraint whose directory is
/// still there is kept as is, unless `upgrade`.
pub fn install(
    db: &dyn Db,
    root: &Path,
    previous: &Manifest,
    fetcher: &mut dyn Fetcher,
    upgrade: bool,
) -> InstallOutcome {
    let mut installer = Installer {
        db,
        root: root.to_path_buf(),
        previous,
        fetcher,
        upgrade,
        out: InstallOutcome::default(),
    };
    let mut stack = vec![(root.to_path_buf(), String::new(), 0usize)];
    let mut seen = HashSet::new();
    while let Some((dir, prefix, depth)) = stack.pop() {
        if depth > MAX_DEPTH || !seen.insert((dir.clone(), prefix.clone())) {
            continue;
        }
        let mut children = Vec::new();
        for call in module_calls(db, &dir) {
            let key = if prefix.is_empty() {
                call.name.clone()
            } else {
                format!("{prefix}.{}", call.name)
            };
            if let Some(child) = installer.call(&dir, &key, &call) {
                children.push((child, key, depth + 1));
            }
        }
        stack.extend(children.into_iter().rev());
    }
    installer.out
}

impl Installer<'_> {
    fn error(&mut self, call: &Call, code: Code, message: String, help: &str) {
        self.error_at(call, call.source_range, code, message, help);
    }

    fn error_at(&mut self, call: &Call, range: TextRange, code: Code, message: String, help: &str) {
        let span = call.item.span(range);
        self.out
            .diagnostics
            .push(Diagnostic::new(code, span, message).with_help(help));
    }

    /// Install one call; the directory to walk next, if any.
    fn call(&mut self, dir: &Path, key: &str, call: &Call) -> Option<PathBuf> {
        let addr = match SourceAddr::parse(&call.source) {
            Ok(addr) => addr,
            Err(e) => {
                self.error(
                    call,
                    Code::InvalidModuleSource,
                    format!("Invalid module source: {}", e.message),
                    &e.hint,
                );
                return None;
            }
        };
        if let SourceAddr::Local(path) = &addr {
            return Some(normalize_path(&dir.join(path)));
        }
        let caller = relative_to(&self.root, dir)?;
        let constraint = call.version.as_ref().map(|(text, _)| text.clone());
        if !self.upgrade {
            if let Some(prev) = self.previous.entry(&caller, &call.name) {
                let module_dir = self.root.join(&prev.dir);
                if prev.source == call.source
                    && prev.version_constraint == constraint
                    && self.db.system().is_dir(&module_dir)
                {
                    let mut entry = prev.clone();
                    entry.key = key.to_string();
                    self.out.manifest.modules.push(entry);
                    self.out.kept.push(key.to_string());
                    return Some(module_dir);
                }
            }
        }
        let (package_addr, version) = match &addr {
            SourceAddr::Registry(reg) => self.resolve_registry(call, reg)?,
            other => (other.clone(), None),
        };
        let package = format!("{MODULES_DIR}/{key}");
        let dest = self.root.join(&package);
        // A registry module's package may have a sub-directory of its own (`X-Terraform-Get`)
        // and the registry address another inside it; other sources are their own package.
        let registry_subdir = match &addr {
            SourceAddr::Registry(reg) => reg.subdir.as_deref(),
            _ => None,
        };
        let subdirs: Vec<&str> = [package_addr.subdir(), registry_subdir]
            .into_iter()
            .flatten()
            .collect();
        let subdir = (!subdirs.is_empty()).then(|| subdirs.join("/"));
        let commit = match self.fetcher.fetch(&package_addr, &dest, subdir.as_deref()) {
            Ok(commit) => commit,
            Err(e) => {
                let shown = package_addr.to_string();
                let (code, help) = match e {
                    FetchError::BadRef(_) => (
                        Code::InvalidModuleRef,
                        "use `?ref=` with a tag, a branch or a commit of the repository",
                    ),
                    FetchError::NoSubdir(_) => (
                        Code::ModuleDownloadFailed,
                        "check the `//SUBDIR` part of the source",
                    ),
                    _ => (
                        Code::ModuleDownloadFailed,
                        "check that the address is right and reachable, then run `skelc init` again",
                    ),
                };
                self.error(
                    call,
                    code,
                    format!(
                        "Downloading module `{}` from `{shown}` failed: {e}",
                        call.name
                    ),
                    help,
                );
                return None;
            }
        };
        let module_dir = match &subdir {
            Some(sub) => format!("{package}/{sub}"),
            None => package.clone(),
        };
        self.out.manifest.modules.push(ManifestEntry {
            key: key.to_string(),
            caller,
            name: call.name.clone(),
            source: call.source.clone(),
            version_constraint: constraint,
            version,
            commit,
            package,
            dir: module_dir.clone(),
        });
        self.out.downloaded.push(key.to_string());
        Some(normalize_path(&self.root.join(module_dir)))
    }

    /// Choose a registry version and find its package.
    fn resolve_registry(
        &mut self,
        call: &Call,
        reg: &RegistryAddr,
    ) -> Option<(SourceAddr, Option<String>)> {
        let constraint = match &call.version {
            None => None,
            Some((text, range)) => match VersionConstraint::parse(text) {
                Ok(c) => Some(c),
                Err(e) => {
                    self.error_at(
                        call,
                        *range,
                        Code::InvalidModuleVersion,
                        format!("Invalid version constraint: {e}"),
                        "write a constraint like `~> 1.2`",
                    );
                    return None;
                }
            },
        };
        let shown = RegistryAddr {
            subdir: None,
            ..reg.clone()
        };
        let versions = match self.fetcher.registry_versions(reg) {
            Ok(v) => v,
            Err(FetchError::NotFound(e)) => {
                self.error(
                    call,
                    Code::UnknownRegistryModule,
                    format!("The registry has no module `{shown}`: {e}"),
                    "check the namespace, name and system of the address",
                );
                return None;
            }
            Err(e) => {
                self.error(call, Code::RegistryUnreachable, format!("The module registry of `{}` cannot be reached: {e}", reg.host), "check the network, or point a `host` block of the CLI configuration (`SKEL_CLI_CONFIG_FILE`, `~/.skelrc`) at the registry");
                return None;
            }
        };
        let mut parsed: Vec<Version> = versions
            .iter()
            .filter_map(|v| Version::parse(v).ok())
            .collect();
        parsed.sort();
        let any = VersionConstraint::parse(">= 0").expect("a valid constraint");
        let chosen = constraint.as_ref().unwrap_or(&any).best(&parsed).cloned();
        let Some(chosen) = chosen else {
            let listed: Vec<String> = parsed.iter().rev().map(ToString::to_string).collect();
            let range = call.version.as_ref().map_or(call.source_range, |(_, r)| *r);
            let available = if listed.is_empty() {
                "the registry lists no versions".to_string()
            } else {
                format!("available: {}", listed.join(", "))
            };
            let wanted = constraint.map_or("any".to_string(), |c| format!("`{c}`"));
            self.error_at(
                call,
                range,
                Code::NoMatchingModuleVersion,
                format!("No version of `{shown}` matches {wanted} ({available})"),
                "change the `version` constraint to allow one of the available versions",
            );
            return None;
        };
        let get = match self.fetcher.registry_download(reg, chosen.as_str()) {
            Ok(get) => get,
            Err(
                FetchError::NotFound(e)
                | FetchError::Failed(e)
                | FetchError::BadRef(e)
                | FetchError::NoSubdir(e),
            ) => {
                self.error(
                    call,
                    Code::ModuleDownloadFailed,
                    format!("The registry gives no download for `{shown}` {chosen}: {e}"),
                    "check the registry's download endpoint",
                );
                return None;
            }
            Err(FetchError::Unreachable(e)) => {
                self.error(
                    call,
                    Code::RegistryUnreachable,
                    format!(
                        "The module registry of `{}` cannot be reached: {e}",
                        reg.host
                    ),
                    "check the network and the registry",
                );
                return None;
            }
        };
        match SourceAddr::parse(&get) {
            Ok(addr @ (SourceAddr::Git(_) | SourceAddr::Archive(_))) => {
                Some((addr, Some(chosen.to_string())))
            }
            Ok(_) => {
                self.error(call, Code::ModuleDownloadFailed, format!("The registry's download address `{get}` for `{shown}` {chosen} is not a git or archive source"), "the registry must answer with `X-Terraform-Get: git::…` or an archive URL");
                None
            }
            Err(e) => {
                self.error(call, Code::ModuleDownloadFailed, format!("The registry's download address `{get}` for `{shown}` {chosen} is invalid: {}", e.message), "the registry must answer with `X-Terraform-Get: git::…` or an archive URL");
                None
            }
        }
    }
}
