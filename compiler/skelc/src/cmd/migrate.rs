//! `skelc state migrate --from-terraform PATH [DIR] [--force]`: take over a Terraform state
//! (converted by [`crate::tfstate`]) as the skel state of DIR, through the state store: under
//! the lock, with the configuration's state encryption, 0600, the previous file kept as the
//! backup. Resources of a provider the configuration requires as a plugin carry over
//! unchanged under the plugin's stored schema. Prints counts and addresses, never a value.

use std::path::Path;

use crate::exit::ExitStatus;
use crate::workdir;

pub fn run(from: &Path, dir: &Path, force: bool) -> anyhow::Result<ExitStatus> {
    let path = workdir::from_command_line(from);
    let shown = workdir::shown(&path).display().to_string();
    if path.is_dir() {
        return Err(workdir::hinted(
            format!("{shown} is a directory, not a Terraform state file"),
            "give the state file: `skelc state migrate --from-terraform DIR/terraform.tfstate`",
        ));
    }
    let bytes = std::fs::read(&path)
        .map_err(|e| anyhow::anyhow!("cannot read the Terraform state {shown}: {e}"))?;
    // Providers the configuration in DIR requires as plugins keep their resources as
    // Terraform wrote them, under the schema `skelc init` stored.
    let schemas = crate::state_schemas::StateSchemas::new(dir, None);
    let plugins = |source: &skel_hir::providers::ProviderSource| {
        let (local_name, schema) = schemas.plugin(source)?;
        Some((
            local_name,
            match schema {
                skel_types::schemas::PluginSchema::Stored(s) => Ok(s),
                skel_types::schemas::PluginSchema::Missing { why, .. } => Err(why),
            },
        ))
    };
    let migrated = crate::tfstate::migrate_with(&shown, &bytes, &plugins)?;

    let store = crate::encryption::store_in(dir, &Default::default())?;
    let locked = crate::glue::lock_state(store, "state migrate")?;
    let target = workdir::shown(&locked.store.location())
        .display()
        .to_string();
    if let Some(pending) = locked.store.pending_journal()? {
        return Err(workdir::hinted(
            format!(
                "an interrupted skel run left its journal ({}) next to the state; nothing was \
                 written",
                workdir::shown(&pending.path).display()
            ),
            "run `skelc plan` once to recover it, then migrate",
        ));
    }
    let exists = locked.store.exists()?;
    if exists && !force {
        return Err(workdir::hinted(
            format!(
                "{target} already exists ({} resource instance(s), {} output(s)); nothing was \
                 written",
                locked.state.resources.len(),
                locked.state.outputs.len()
            ),
            "add --force to replace it (the current file is kept as skel.state.json.backup)",
        ));
    }
    let mut state = migrated.state;
    if exists {
        // The replaced state continues: same lineage, next serial (the store checks both).
        state.lineage = locked.state.lineage.clone();
        state.serial = locked.state.serial;
    }
    locked.store.write(&locked.lock, &mut state)?;
    let tainted = state
        .resources
        .values()
        .filter(|r| r.status == skel_plan_ir::InstanceStatus::Tainted)
        .count();
    println!(
        "Migrated {} resource instance(s), {} data source instance(s) and {} output(s) from \
         {shown} (Terraform {}) into {target}.",
        migrated.managed,
        migrated.data,
        state.outputs.len(),
        if migrated.terraform_version.is_empty() {
            "version unknown"
        } else {
            &migrated.terraform_version
        },
    );
    if tainted > 0 {
        println!("{tainted} instance(s) are tainted: the next `skelc run` replaces them.");
    }
    if !migrated.dropped.is_empty() {
        println!(
            "Left out {} attribute(s) skel's providers do not have: {}.",
            migrated.dropped.len(),
            migrated
                .dropped
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    println!(
        "Run `skelc plan` on the same configuration: it should show no changes. Keep the \
         Terraform state until it does; from now on only skel should change these objects."
    );
    Ok(ExitStatus::Success)
}
