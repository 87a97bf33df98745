//! `skelc init -migrate-state`: every workspace's state copied from the backend a working
//! directory was initialized with to the one its configuration now names.

use std::path::Path;

use anyhow::bail;

use super::{describe, open_workspace, workspaces, Backend};
/// `skelc init -migrate-state`: copy every workspace's state from `old` to `new`, each under
/// both locks, lineage kept, serial one higher. Refuses, before copying anything of a
/// workspace, when its old state has an unfinished journal or the new backend already holds a
/// different or newer state for it. The old states are left where they are.
pub(super) fn migrate(
    root: &Path,
    old: &Backend,
    new: &Backend,
    force_copy: bool,
) -> anyhow::Result<()> {
    use std::io::{BufRead, IsTerminal, Write};
    // The state encryption is the configuration's (both backends hold the same states).
    let encryption = match crate::project::load_with(root, Some(&Default::default()), false, false)
    {
        Ok(project) => project.encryption.state.clone(),
        Err(crate::project::LoadError::Diagnostics) => bail!(
            "the configuration has errors (above); it says how the state is encrypted, so fix \
             them before migrating the state"
        ),
        Err(crate::project::LoadError::Usage(e)) => return Err(e),
    };
    let names = workspaces(root, old)?;
    if !force_copy {
        if !std::io::stdin().is_terminal() {
            return Err(crate::workdir::hinted(
                "standard input is not a terminal, so the state migration cannot be confirmed",
                "pass -force-copy to copy without asking",
            ));
        }
        print!(
            "Copy the state of {} workspace(s) ({}) from {} to {}? Only 'yes' is accepted: ",
            names.len(),
            names.join(", "),
            describe(old),
            describe(new)
        );
        std::io::stdout().flush()?;
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        if line.trim() != "yes" {
            bail!(
                "state migration cancelled; nothing was copied and the settings were not changed"
            );
        }
    }
    for name in names {
        let from = open_workspace(root, old, &name)?.with_encryption(encryption.clone());
        let from = crate::glue::lock_state(from, "init -migrate-state")?;
        if let Some(pending) = from.store.pending_journal()? {
            return Err(crate::workdir::hinted(
                format!(
                    "workspace `{name}`: an interrupted run left its journal ({}); nothing of \
                     it was copied",
                    pending.path.display()
                ),
                "run `skelc plan` with the old settings first to recover it",
            ));
        }
        if !from.store.exists()? {
            continue;
        }
        let to = open_workspace(root, new, &name)?.with_encryption(encryption.clone());
        let to = crate::glue::lock_state(to, "init -migrate-state")?;
        if to.store.exists()? {
            let there = &to.state;
            if there.lineage != from.state.lineage && !there.resources.is_empty() {
                bail!(
                    "workspace `{name}`: {} already holds another state (lineage {}, {} \
                     resource instance(s)); nothing of it was copied",
                    to.store.location().display(),
                    there.lineage,
                    there.resources.len()
                );
            }
            if there.lineage == from.state.lineage && there.serial > from.state.serial {
                bail!(
                    "workspace `{name}`: {} holds a newer version of this state (serial {} > \
                     {}); nothing of it was copied",
                    to.store.location().display(),
                    there.serial,
                    from.state.serial
                );
            }
            to.store.remove(&to.lock)?;
        }
        let serial = to
            .store
            .write_snapshot(&to.lock, &from.state, from.state.serial)?;
        println!(
            "- workspace {name}: copied {} resource instance(s) to {} (serial {serial})",
            from.state.resources.len(),
            to.store.location().display()
        );
    }
    Ok(())
}
