//! `skelc workspace new | select | list | show | delete`: several states for one configuration,
//! one per workspace in every backend (`docs/backends.md`). The selection is remembered in
//! `.skel/environment` (SKEL_WORKSPACE or TF_WORKSPACE override it).

use std::path::{Path, PathBuf};

use anyhow::bail;

use crate::backend::{self, Backend, DEFAULT_WORKSPACE, WORKSPACE_FILE};
use crate::cli::{DirArg, WorkspaceArgs, WorkspaceCommand};
use crate::exit::ExitStatus;
use crate::workdir::{self, DirUse};

pub fn run(args: WorkspaceArgs) -> anyhow::Result<ExitStatus> {
    let (dir, usage) = match &args.command {
        WorkspaceCommand::List { dir } | WorkspaceCommand::Show { dir } => (dir, DirUse::Reads),
        WorkspaceCommand::New { dir, .. }
        | WorkspaceCommand::Select { dir, .. }
        | WorkspaceCommand::Delete { dir, .. } => (dir, DirUse::Changes),
    };
    let given = DirArg {
        dir: dir.clone(),
        dir_option: None,
    }
    .get()?;
    let root = workdir::root_dir(&given, "workspace", usage)?;
    let current = backend::workspace(&root);
    if let WorkspaceCommand::Show { .. } = args.command {
        println!("{current}");
        return Ok(ExitStatus::Success);
    }
    let (backend, encryption) = crate::encryption::backend_in(&root, &Default::default())?;
    match args.command {
        WorkspaceCommand::Show { .. } => unreachable!("answered above"),
        WorkspaceCommand::List { .. } => {
            for name in backend::workspaces(&root, &backend)? {
                let mark = if name == current { "*" } else { " " };
                println!("{mark} {name}");
            }
        }
        WorkspaceCommand::New { name, .. } => {
            check_name(&name)?;
            if backend::workspaces(&root, &backend)?.contains(&name) {
                return Err(workdir::hinted(
                    format!("workspace `{name}` already exists"),
                    format!("select it with `skelc workspace select {name}`"),
                ));
            }
            create(&root, &backend, &name, encryption)?;
            select(&root, &name)?;
            println!("Created and selected workspace `{name}`: its state is empty.");
        }
        WorkspaceCommand::Select {
            name, or_create, ..
        } => {
            check_name(&name)?;
            if !backend::workspaces(&root, &backend)?.contains(&name) {
                if !or_create {
                    return Err(workdir::hinted(
                        format!("workspace `{name}` does not exist"),
                        format!(
                            "create it with `skelc workspace new {name}` (or `select \
                             -or-create`); `skelc workspace list` shows the others"
                        ),
                    ));
                }
                create(&root, &backend, &name, encryption)?;
                println!("Created workspace `{name}`.");
            }
            select(&root, &name)?;
            println!("Switched to workspace `{name}`.");
        }
        WorkspaceCommand::Delete { name, force, .. } => {
            check_name(&name)?;
            if name == DEFAULT_WORKSPACE {
                bail!("the `default` workspace cannot be deleted");
            }
            if name == current {
                return Err(workdir::hinted(
                    format!("workspace `{name}` is the selected one"),
                    "select another first: `skelc workspace select default`",
                ));
            }
            if !backend::workspaces(&root, &backend)?.contains(&name) {
                bail!("workspace `{name}` does not exist; nothing was deleted");
            }
            let store =
                backend::open_workspace(&root, &backend, &name)?.with_encryption(encryption);
            let locked = crate::glue::lock_state(store, "workspace delete")?;
            let count = locked.state.resources.len();
            if count > 0 && !force {
                return Err(workdir::hinted(
                    format!(
                        "workspace `{name}` still has {count} resource instance(s) in its state; \
                         nothing was deleted"
                    ),
                    format!(
                        "destroy them first (`skelc workspace select {name}` then `skelc \
                         destroy`), or pass --force to forget them (the real objects stay)"
                    ),
                ));
            }
            locked.store.remove(&locked.lock)?;
            drop(locked);
            if let Backend::Local = backend {
                let dir = backend::local_workspace_dir(&root, &name);
                // What is left is the (released) lock file: the directory goes.
                let _ = std::fs::remove_dir_all(&dir);
            }
            if count > 0 {
                println!(
                    "Deleted workspace `{name}`; its {count} resource instance(s) were forgotten \
                     (the real objects were not touched)."
                );
            } else {
                println!("Deleted workspace `{name}`.");
            }
        }
    }
    Ok(ExitStatus::Success)
}

fn check_name(name: &str) -> anyhow::Result<()> {
    if backend::valid_workspace_name(name) {
        Ok(())
    } else {
        bail!(
            "`{name}` is not a valid workspace name: use letters, digits, `-`, `_` and `.` (at \
             most 90)"
        )
    }
}

/// Write an empty state for workspace `name`, so that it exists in the backend.
fn create(
    root: &Path,
    backend: &Backend,
    name: &str,
    encryption: skel_state::Encryption,
) -> anyhow::Result<()> {
    let store = backend::open_workspace(root, backend, name)?.with_encryption(encryption);
    let mut locked = crate::glue::lock_state(store, "workspace new")?;
    locked.store.write(&locked.lock, &mut locked.state)?;
    Ok(())
}

fn select(root: &Path, name: &str) -> anyhow::Result<()> {
    if let Ok(over) = std::env::var("SKEL_WORKSPACE").or_else(|_| std::env::var("TF_WORKSPACE")) {
        if !over.is_empty() && over != name {
            bail!(
                "the workspace is set by the environment (SKEL_WORKSPACE or TF_WORKSPACE = \
                 `{over}`); unset it to select another"
            );
        }
    }
    let path: PathBuf = root.join(WORKSPACE_FILE);
    std::fs::create_dir_all(root.join(".skel"))?;
    if name == DEFAULT_WORKSPACE {
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
    } else {
        std::fs::write(&path, format!("{name}\n"))?;
    }
    Ok(())
}
