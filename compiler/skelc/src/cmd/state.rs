//! `skelc state list | show ADDR | rm ADDR… | mv FROM TO | migrate --from-terraform PATH`,
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
                let value = super::show::marked_attributes(addr, instance);
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
        StateCommand::Migrate { .. } => unreachable!("`state migrate` returned above"),
    }
    Ok(ExitStatus::Success)
}
