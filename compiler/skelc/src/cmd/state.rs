//! `skelc state list | show ADDR | rm ADDR… | mv FROM TO | pull | push FILE |
//! migrate --from-terraform PATH`,
//! each with a trailing `[DIR]`: inspect and edit state safely (under the lock, written
//! atomically with a backup).

use std::path::{Path, PathBuf};

use crate::cli::{DirArg, StateArgs, StateCommand};
use crate::exit::ExitStatus;
use crate::workdir::{self, DirUse};

pub fn run(args: StateArgs) -> anyhow::Result<ExitStatus> {
    let (command, dir_arg, usage) = match args.command {
        StateCommand::List { dir } => (StateCommand::List { dir: None }, dir, DirUse::Reads),
        StateCommand::Show { address, dir } => (
            StateCommand::Show { address, dir: None },
            dir,
            DirUse::Reads,
        ),
        StateCommand::Mv { from, to, dir } => (
            StateCommand::Mv {
                from,
                to,
                dir: None,
            },
            dir,
            DirUse::Changes,
        ),
        StateCommand::Migrate {
            from_terraform,
            dir,
            force,
        } => {
            let given = DirArg {
                dir,
                dir_option: args.dir_option,
            }
            .get()?;
            let dir = workdir::root_dir(&given, "state migrate", DirUse::Changes)?;
            return super::migrate::run(&from_terraform, &dir, force);
        }
        StateCommand::Pull { dir, out } => {
            (StateCommand::Pull { dir: None, out }, dir, DirUse::Reads)
        }
        StateCommand::Push { file, dir, force } => (
            StateCommand::Push {
                file,
                dir: None,
                force,
            },
            dir,
            DirUse::Changes,
        ),
        StateCommand::Rm { mut addresses } => {
            // The last argument is the directory when it is one and no address.
            let dir = match addresses.last() {
                Some(last)
                    if addresses.len() > 1
                        && last.parse::<skel_plan_ir::InstanceAddr>().is_err()
                        && workdir::from_command_line(Path::new(last)).is_dir() =>
                {
                    addresses.pop().map(PathBuf::from)
                }
                _ => None,
            };
            (StateCommand::Rm { addresses }, dir, DirUse::Changes)
        }
    };
    let given = DirArg {
        dir: dir_arg,
        dir_option: args.dir_option,
    }
    .get()?;
    let dir = workdir::root_dir(&given, "state", usage)?;
    match command {
        StateCommand::List { .. } => {
            let state = crate::encryption::store_in(&dir, &Default::default())?.read()?;
            for addr in state.resources.keys() {
                println!("{addr}");
            }
        }
        StateCommand::Show { address, .. } => {
            let state = crate::encryption::store_in(&dir, &Default::default())?.read()?;
            let schemas = crate::state_schemas::StateSchemas::new(&dir, None);
            let addr: skel_plan_ir::InstanceAddr = address.parse()?;
            // Without an index, a resource with `count` or `for_each`: each of its instances.
            let instances: Vec<_> = match state.resources.get_key_value(&addr) {
                Some(found) => vec![found],
                None if addr.key.is_none() => state
                    .resources
                    .iter()
                    .filter(|(a, _)| a.resource == addr.resource)
                    .collect(),
                None => Vec::new(),
            };
            if instances.is_empty() {
                anyhow::bail!("no `{addr}` in state; `skelc state list` shows what is there");
            }
            if instances.len() > 1 || instances[0].0 != &addr {
                println!(
                    "# {addr} has {} instance(s): {}\n",
                    instances.len(),
                    instances
                        .iter()
                        .map(|(a, _)| a.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            for (addr, instance) in instances {
                let value = super::show::marked_attributes(&schemas, addr, instance);
                let attributes = crate::render::sensitive::shown_json(&value);
                println!("# {addr} (provider {})", instance.provider);
                println!("{}", serde_json::to_string_pretty(&attributes)?);
                if !instance.dependencies.is_empty() {
                    println!("# depends on: {}", instance.dependencies.join(", "));
                }
            }
        }
        StateCommand::Rm { addresses } => {
            let mut locked = crate::glue::lock_state(
                crate::encryption::store_in(&dir, &Default::default())?,
                "state rm",
            )?;
            for address in &addresses {
                let addr: skel_plan_ir::InstanceAddr = address.parse()?;
                if locked.state.resources.remove(&addr).is_none() {
                    anyhow::bail!("no `{addr}` in state; nothing was changed");
                }
            }
            locked.store.write(&locked.lock, &mut locked.state)?;
            println!(
                "Removed {} instance(s) from state (the real objects were not touched).",
                addresses.len()
            );
        }
        StateCommand::Mv { from, to, .. } => {
            let mut locked = crate::glue::lock_state(
                crate::encryption::store_in(&dir, &Default::default())?,
                "state mv",
            )?;
            let from: skel_plan_ir::InstanceAddr = from.parse()?;
            let to: skel_plan_ir::InstanceAddr = to.parse()?;
            if from.resource.type_name != to.resource.type_name
                || from.resource.mode != to.resource.mode
            {
                anyhow::bail!(
                    "cannot move `{from}` to `{to}`: the resource type must stay the same"
                );
            }
            if locked.state.resources.contains_key(&to) {
                anyhow::bail!("`{to}` is already in state");
            }
            let Some(instance) = locked.state.resources.remove(&from) else {
                anyhow::bail!("no `{from}` in state");
            };
            locked.state.resources.insert(to.clone(), instance);
            locked.store.write(&locked.lock, &mut locked.state)?;
            println!("Moved {from} to {to}.");
        }
        StateCommand::Pull { out, .. } => pull(&dir, out.as_deref())?,
        StateCommand::Push { file, force, .. } => push(&dir, &file, force)?,
        StateCommand::Migrate { .. } => unreachable!("`state migrate` returned above"),
    }
    Ok(ExitStatus::Success)
}

/// `state pull`: the state document, to a 0600 file or to a standard output that is not a
/// terminal (it holds secrets).
fn pull(dir: &Path, out: Option<&Path>) -> anyhow::Result<()> {
    use std::io::{IsTerminal, Write};
    let store = crate::encryption::store_in(dir, &Default::default())?;
    let state = store.read()?;
    let bytes = skel_state::render_document(&state);
    match out {
        Some(path) => {
            let path = workdir::from_command_line(path);
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create(true).truncate(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(0o600);
            }
            let mut file = options
                .open(&path)
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
            }
            file.write_all(&bytes)?;
            eprintln!(
                "Wrote the state (serial {}, {} resource instance(s)) to {} (mode 0600).",
                state.serial,
                state.resources.len(),
                workdir::shown(&path).display()
            );
        }
        None => {
            if std::io::stdout().is_terminal() {
                return Err(workdir::hinted(
                    "the state holds every attribute value, secrets included: it is not printed \
                     on a terminal",
                    "redirect it (`skelc state pull > state.json`) or pass --out FILE",
                ));
            }
            std::io::stdout().write_all(&bytes)?;
        }
    }
    Ok(())
}

/// `state push FILE`: replace the state with FILE, under the lock. Refused for another lineage
/// or an older serial without `force`.
fn push(dir: &Path, file: &Path, force: bool) -> anyhow::Result<()> {
    let path = workdir::from_command_line(file);
    let bytes = std::fs::read(&path)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", workdir::shown(&path).display()))?;
    let pushed = skel_state::parse_document(&path, &bytes)?;
    let mut locked = crate::glue::lock_state(
        crate::encryption::store_in(dir, &Default::default())?,
        "state push",
    )?;
    let exists = locked.store.exists()?;
    let current = &locked.state;
    let shown = workdir::shown(&path).display().to_string();
    if exists && !force {
        if pushed.lineage != current.lineage {
            return Err(workdir::hinted(
                format!(
                    "{shown} is another state (lineage {}), not a version of this one (lineage \
                     {}); nothing was written",
                    pushed.lineage, current.lineage
                ),
                "pass --force to replace this state with it anyway",
            ));
        }
        if pushed.serial < current.serial {
            return Err(workdir::hinted(
                format!(
                    "{shown} has serial {}, older than the current state's {}: pushing it would \
                     undo later changes; nothing was written",
                    pushed.serial, current.serial
                ),
                "pull the current state and change that, or pass --force",
            ));
        }
    }
    let mut state = pushed;
    let serial = if exists && state.lineage == current.lineage {
        // A later version of this state: written as the successor of the current one.
        state.serial = current.serial;
        locked.store.write(&locked.lock, &mut state)?
    } else {
        if exists {
            locked.store.remove(&locked.lock)?;
        }
        let on_disk = state.serial;
        locked.store.write_snapshot(&locked.lock, &state, on_disk)?
    };
    locked.state = state;
    println!(
        "Pushed {shown} to {} (now serial {serial}, {} resource instance(s)).",
        workdir::shown(&locked.store.location()).display(),
        locked.state.resources.len()
    );
    Ok(())
}
