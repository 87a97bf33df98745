//! `skelc init [DIR]`: install the root module's remote modules (registry, git, archives),
//! recursively, into `.skel/modules/<key>/` and write the manifest
//! `.skel/modules/modules.json` that `check`, `plan`, `run` and the language server read them
//! through. Idempotent: a module whose source and constraint are unchanged and whose directory
//! is there is kept, and the manifest is rewritten only when it changes; `-upgrade` resolves
//! every version again. The walk is `skel_hir::source::install`; the network and git are
//! [`fetch::RealFetcher`]. Then the provider plugins the module tree requires
//! ([`providers`]), with the lock file `.skel.lock.hcl`.

mod cli_config;
mod fetch;
mod http;
pub mod providers;

use std::path::PathBuf;

use skel_db::{Db, SkelDatabase};
use skel_hir::source::{manifest_path, Manifest, MODULES_DIR};

use crate::cli::InitArgs;
use crate::exit::{ExitStatus, Reported};
use crate::render::{self, Resolved};
use crate::workdir::{self, DirUse};

pub fn run(args: InitArgs) -> anyhow::Result<ExitStatus> {
    let root = workdir::root_dir(&args.dir.get()?, "init", DirUse::Changes)?;
    let db = SkelDatabase::default();
    let directory = db.directory(&root);
    if directory.skel_files(&db).is_empty() {
        return Err(workdir::hinted(
            format!(
                "no .skel files (nor .tf files) in {}",
                workdir::shown(&root).display()
            ),
            "run `skelc init` in the root module's directory",
        ));
    }
    let backend = skel_lower::backend_of(&db, directory).map_err(|e| anyhow::anyhow!("{e}"))?;
    if let Some(line) = crate::backend::init(
        &root,
        backend.as_ref(),
        &args.backend_config,
        crate::backend::InitMode {
            reconfigure: args.reconfigure,
            migrate_state: args.migrate_state,
            force_copy: args.force_copy,
        },
    )? {
        println!("{line}");
    }
    let config = cli_config::CliConfig::load()?;
    let manifest_file = manifest_path(&root);
    let previous_text = std::fs::read_to_string(&manifest_file).ok();
    let previous = previous_text
        .as_deref()
        .and_then(Manifest::parse)
        .unwrap_or_default();
    let mut fetcher = fetch::RealFetcher::new(cli_config::CliConfig::load()?);
    let outcome = skel_hir::source::install(&db, &root, &previous, &mut fetcher, args.upgrade);
    if !outcome.diagnostics.is_empty() {
        let cwd = workdir::started_in();
        let hidden = render::Hidden::new(&db, &[]);
        let resolved: Vec<Resolved> = outcome
            .diagnostics
            .iter()
            .map(|d| Resolved::hiding(&db, d, &cwd, &hidden))
            .collect();
        render::print(&resolved, args.format, true)?;
        return Err(Reported::errors());
    }
    if outcome.manifest.modules.is_empty() && previous_text.is_none() {
        println!("No remote modules to install.");
    } else {
        report_modules(&root, &outcome, previous_text.as_deref(), &manifest_file)?;
    }
    // A fresh database: the module tree now includes what was just installed.
    let db = SkelDatabase::default();
    let plugins = providers::install(&db, &root, &config, args.upgrade)?;
    for p in &plugins {
        println!("- provider {} {}: {}", p.source, p.version, p.how);
    }
    if !plugins.is_empty() {
        println!(
            "Providers: {} installed, {} kept; versions locked in {}.",
            plugins.iter().filter(|p| p.how != "kept").count(),
            plugins.iter().filter(|p| p.how == "kept").count(),
            skel_hir::provider_lock::LOCK_FILE
        );
    }
    Ok(ExitStatus::Success)
}

/// Writes the manifest if it changed, removes unused packages and prints what was installed.
fn report_modules(
    root: &std::path::Path,
    outcome: &skel_hir::source::InstallOutcome,
    previous_text: Option<&str>,
    manifest_file: &std::path::Path,
) -> anyhow::Result<()> {
    let text = outcome.manifest.to_json();
    let modules_dir = root.join(MODULES_DIR);
    if previous_text != Some(text.as_str()) {
        std::fs::create_dir_all(&modules_dir)?;
        let staging = manifest_file.with_extension("json.tmp");
        std::fs::write(&staging, &text)?;
        std::fs::rename(&staging, manifest_file)?;
    }
    let used: Vec<PathBuf> = outcome
        .manifest
        .modules
        .iter()
        .map(|e| root.join(&e.package))
        .collect();
    for unused in fetch::unused_packages(&modules_dir, &used) {
        std::fs::remove_dir_all(&unused)?;
    }
    for entry in &outcome.manifest.modules {
        let how = if outcome.downloaded.contains(&entry.key) {
            "installed"
        } else {
            "kept"
        };
        let mut what = entry.source.clone();
        if let Some(v) = &entry.version {
            what.push_str(&format!(" {v}"));
        }
        if let Some(c) = &entry.commit {
            what.push_str(&format!(" ({})", &c[..c.len().min(12)]));
        }
        println!(
            "- module.{}: {how} {what} in {}",
            entry.key.replace('.', ".module."),
            entry.dir
        );
    }
    println!(
        "Modules: {} installed, {} kept.",
        outcome.downloaded.len(),
        outcome.kept.len()
    );
    Ok(())
}
