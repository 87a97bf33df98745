//! `skelc init`'s provider plugins: every plugin the module tree requires
//! (`skel_hir::providers`), its version chosen (the locked one, else the newest that meets
//! every module's constraint), its package taken from a filesystem mirror, the plugin cache or
//! the registry ([`source`]), checked against the lock file's hashes ([`hash`]), installed into
//! `.skel/providers/HOST/NAMESPACE/TYPE/VERSION/OS_ARCH/` with its schema stored beside it
//! ([`plugin_schema`]), and the lock file `.skel.lock.hcl` written.
//!
//! A package is assembled in a staging directory next to its destination and moved into place
//! only once it matches the lock, so a refused package never replaces an installed one.

mod hash;
mod source;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use skel_db::{Db, SkelDatabase};
use skel_hir::provider_lock::{
    current_platform, package_dir, LockFile, LockedProvider, LOCK_FILE, SCHEMA_FILE,
};
use skel_hir::providers::{module_providers, ProviderSource};
use skel_hir::source::{Version, VersionConstraint};

use super::cli_config::CliConfig;
use crate::workdir::hinted;

pub use hash::dir_hash;

/// What one plugin's installation did, for the summary.
pub struct Installed {
    pub source: ProviderSource,
    pub version: String,
    /// `installed` (from where), or `kept`.
    pub how: String,
}

/// One plugin the module tree requires, with every module's constraint.
struct Wanted {
    source: ProviderSource,
    constraints: Vec<String>,
    parsed: Vec<VersionConstraint>,
}

impl Wanted {
    fn admits(&self, v: &Version) -> bool {
        self.parsed.iter().all(|c| c.matches(v)) && (!v.is_prerelease() || !self.parsed.is_empty())
    }
}

/// The plugins the modules under `root` require (malformed entries are the checker's to
/// report; they are skipped here).
fn wanted(db: &SkelDatabase, root: &Path) -> Vec<Wanted> {
    let mut out: BTreeMap<ProviderSource, Wanted> = BTreeMap::new();
    for dir in skel_types::modules_in_tree(db, db.directory(root)) {
        for req in &module_providers(db, dir).requirements {
            let Some(source) = req.plugin_source() else {
                continue;
            };
            let w = out.entry(source.clone()).or_insert_with(|| Wanted {
                source: source.clone(),
                constraints: Vec::new(),
                parsed: Vec::new(),
            });
            if let Some(c) = &req.constraint {
                if let Ok(parsed) = VersionConstraint::parse(c) {
                    if !w.constraints.contains(c) {
                        w.constraints.push(c.clone());
                        w.parsed.push(parsed);
                    }
                }
            }
        }
    }
    out.into_values().collect()
}

/// Installs the plugins of the module tree under `root` and writes the lock file; returns what
/// it did, one entry per plugin.
pub fn install(
    db: &SkelDatabase,
    root: &Path,
    config: &CliConfig,
    upgrade: bool,
) -> anyhow::Result<Vec<Installed>> {
    let wanted = wanted(db, root);
    let lock_path = root.join(LOCK_FILE);
    let previous_text = std::fs::read_to_string(&lock_path).ok();
    let previous = match previous_text.as_deref().map(LockFile::parse) {
        None => LockFile::default(),
        Some(Ok(lock)) => lock,
        Some(Err(e)) => {
            return Err(hinted(
                format!("{LOCK_FILE}: {e}"),
                "fix the file, or delete it and run `skelc init` to write it again",
            ))
        }
    };
    if wanted.is_empty() && previous_text.is_none() {
        return Ok(Vec::new());
    }
    let platform = current_platform();
    let mut sources = source::Sources::new(config, &platform);
    let mut lock = LockFile::default();
    let mut done = Vec::new();
    for w in &wanted {
        let locked = previous
            .get(&w.source)
            .filter(|l| !upgrade && { Version::parse(&l.version).is_ok_and(|v| w.admits(&v)) });
        let version = match locked {
            Some(l) => l.version.clone(),
            None => choose_version(&mut sources, w)?,
        };
        let dest = package_dir(root, &w.source, &version, &platform);
        let trusted: Vec<String> = locked.map(|l| l.hashes.clone()).unwrap_or_default();
        let (how, mut hashes) = install_one(&mut sources, w, &version, &dest, &trusted)?;
        hashes.extend(trusted);
        hashes.sort();
        hashes.dedup();
        lock.providers.push(LockedProvider {
            source: w.source.clone(),
            version: version.clone(),
            constraints: (!w.constraints.is_empty()).then(|| w.constraints.join(", ")),
            hashes,
        });
        done.push(Installed {
            source: w.source.clone(),
            version,
            how,
        });
    }
    let text = lock.to_text();
    if previous_text.as_deref() != Some(text.as_str()) {
        let staging = lock_path.with_extension("hcl.tmp");
        std::fs::write(&staging, &text)?;
        std::fs::rename(&staging, &lock_path)?;
    }
    Ok(done)
}

/// The newest version some installation method offers that meets every constraint. Mirrors are
/// asked first; the registry only when no mirror has a matching version.
fn choose_version(sources: &mut source::Sources, w: &Wanted) -> anyhow::Result<String> {
    let mut seen = Vec::new();
    for offered in sources.versions(&w.source)? {
        let mut versions: Vec<Version> = offered
            .versions
            .iter()
            .filter_map(|v| Version::parse(v).ok())
            .collect();
        versions.sort();
        if let Some(best) = versions.iter().rev().find(|v| w.admits(v)) {
            return Ok(best.to_string());
        }
        seen.push(format!(
            "{} has {}",
            offered.origin,
            if versions.is_empty() {
                "no version for this platform".to_string()
            } else {
                versions
                    .iter()
                    .map(|v| v.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        ));
    }
    let wanted = if w.constraints.is_empty() {
        "any version".to_string()
    } else {
        format!("`{}`", w.constraints.join(", "))
    };
    Err(hinted(
        format!(
            "no version of provider {} meets {wanted} for {}: {}",
            w.source,
            current_platform(),
            if seen.is_empty() {
                "no installation method offers it".to_string()
            } else {
                seen.join("; ")
            }
        ),
        "check the `version` constraints of `required_providers`, and the CLI configuration's `provider_installation` (SKEL_CLI_CONFIG_FILE, ~/.skelrc)",
    ))
}

/// Puts `version` of `w` in `dest`, checked against the locked hashes (`trusted`, empty when
/// nothing is locked for this version); returns how, and the package's hashes.
fn install_one(
    sources: &mut source::Sources,
    w: &Wanted,
    version: &str,
    dest: &Path,
    trusted: &[String],
) -> anyhow::Result<(String, Vec<String>)> {
    if dest.is_dir() && !trusted.is_empty() {
        if let Ok(h1) = dir_hash(dest) {
            if trusted.contains(&h1) && dest.join(SCHEMA_FILE).is_file() {
                return Ok(("kept".into(), vec![h1]));
            }
        }
    }
    let staging = dest.with_extension("staging");
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging)?;
    let result = (|| {
        let fetched = sources.fetch(&w.source, version, &staging)?;
        let h1 = dir_hash(&staging)?;
        let mut hashes = vec![h1.clone()];
        hashes.extend(fetched.zip_hashes.iter().cloned());
        if !trusted.is_empty()
            && !trusted.contains(&h1)
            && !fetched
                .zip_hash
                .as_ref()
                .is_some_and(|z| trusted.contains(z))
        {
            let mut got = vec![h1];
            got.extend(fetched.zip_hash.clone());
            return Err(hinted(
                format!(
                    "the package of provider {} {version} from {} does not match the lock file {LOCK_FILE}: it has {}, the lock file has {}",
                    w.source,
                    fetched.origin,
                    got.join(" and "),
                    trusted.join(", ")
                ),
                "the package may have been tampered with; if you trust it, run `skelc init -upgrade` to lock it again",
            ));
        }
        store_schema(&w.source, &staging)?;
        Ok((format!("installed from {}", fetched.origin), hashes))
    })();
    match result {
        Ok(out) => {
            if dest.exists() {
                std::fs::remove_dir_all(dest)?;
            }
            std::fs::rename(&staging, dest)?;
            Ok(out)
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            Err(e)
        }
    }
}

/// The plugin's executable in its package: `terraform-provider-TYPE…`.
pub fn executable(dir: &Path, source: &ProviderSource) -> Option<PathBuf> {
    let prefix = format!("terraform-provider-{}", source.type_name);
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            p.is_file()
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(&prefix))
        })
        .collect();
    found.sort();
    found.into_iter().next()
}

/// Writes the plugin's schema (`schema.json`, compiler/schema's JSON format) into its package.
fn store_schema(source: &ProviderSource, dir: &Path) -> anyhow::Result<()> {
    let Some(exe) = executable(dir, source) else {
        return Err(hinted(
            format!(
                "the package of provider {source} has no executable `terraform-provider-{}…`",
                source.type_name
            ),
            "the mirror or registry serves a package that is not a provider plugin",
        ));
    };
    let text = plugin_schema(&exe, source).map_err(|e| {
        hinted(
            format!("cannot read the schema of provider {source}: {e}"),
            "the plugin must answer GetProviderSchema (plugin protocol 5 or 6)",
        )
    })?;
    skel_types::schemas::intern(&text)
        .map_err(|e| anyhow::anyhow!("the schema of provider {source} does not load: {e}"))?;
    std::fs::write(dir.join(SCHEMA_FILE), text)?;
    Ok(())
}

/// The seam to the plugin protocol: the schema of the plugin `executable`, in
/// `skel_schema`'s JSON format: `skel_plugin` starts the plugin and asks it. A fixture
/// directory named by `SKEL_PLUGIN_SCHEMA_FIXTURES` (a file `TYPE.json` per provider type)
/// stands in for the plugin (the tests' seam for plugins that cannot run here).
pub fn plugin_schema(executable: &Path, source: &ProviderSource) -> Result<String, String> {
    if let Some(dir) = std::env::var_os("SKEL_PLUGIN_SCHEMA_FIXTURES") {
        let path = Path::new(&dir).join(format!("{}.json", source.type_name));
        return std::fs::read_to_string(&path)
            .map_err(|e| format!("schema fixture {}: {e}", path.display()));
    }
    // The plugin's `GetProviderSchema`, within the handshake timeout (`SKEL_PLUGIN_TIMEOUT`).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let options = skel_plugin::StartOptions::default();
    runtime
        .block_on(skel_plugin::fetch_schema_named(
            &source.type_name,
            executable,
            &options,
        ))
        .map(|(_, json)| json)
        .map_err(|e| e.to_string())
}

/// Checks an installed plugin against the lock file before it is run: its package must match
/// a locked hash. Returns the executable.
pub fn verify_installed(root: &Path, source: &ProviderSource) -> anyhow::Result<PathBuf> {
    let lock_path = root.join(LOCK_FILE);
    let text = std::fs::read_to_string(&lock_path).map_err(|_| {
        hinted(
            format!("provider {source} is not installed: there is no {LOCK_FILE}"),
            "run `skelc init`",
        )
    })?;
    let lock = LockFile::parse(&text).map_err(|e| anyhow::anyhow!("{LOCK_FILE}: {e}"))?;
    let Some(locked) = lock.get(source) else {
        return Err(hinted(
            format!("provider {source} is not in {LOCK_FILE}"),
            "run `skelc init`",
        ));
    };
    let dir = package_dir(root, source, &locked.version, &current_platform());
    let h1 = dir_hash(&dir).map_err(|e| {
        hinted(
            format!(
                "provider {source} {} is not installed in {}: {e}",
                locked.version,
                dir.display()
            ),
            "run `skelc init`",
        )
    })?;
    if !locked.hashes.contains(&h1) {
        return Err(hinted(
            format!(
                "provider {source} {} in {} does not match the lock file: it has {h1}, the lock file has {}",
                locked.version,
                dir.display(),
                locked.hashes.join(", ")
            ),
            "the plugin's files changed since `skelc init`; run `skelc init` to install the locked package again",
        ));
    }
    executable(&dir, source)
        .ok_or_else(|| anyhow::anyhow!("provider {source}: no executable in {}", dir.display()))
}
