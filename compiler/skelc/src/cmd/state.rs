//! `skelc state list | show ADDR | rm ADDR | mv FROM TO`: inspect and edit state safely (under
//! the lock, written atomically with a backup).

use crate::cli::{StateArgs, StateCommand};

pub fn run(args: StateArgs) -> anyhow::Result<u8> {
    let dir = std::path::absolute(&args.dir)?;
    match args.command {
        StateCommand::List => {
            let state = crate::encryption::store_in(&dir, &Default::default())?.read()?;
            for addr in state.resources.keys() {
                println!("{addr}");
            }
        }
        StateCommand::Show { address } => {
            let state = crate::encryption::store_in(&dir, &Default::default())?.read()?;
            let addr: skel_plan_ir::InstanceAddr = address.parse()?;
            let Some(instance) = state.resources.get(&addr) else {
                anyhow::bail!("no `{addr}` in state; `skelc state list` shows what is there");
            };
            let mut attributes = instance.attributes.clone();
            for path in &instance.sensitive_paths {
                if let (Some(first), Some(map)) = (path.first(), attributes.as_object_mut()) {
                    if map.contains_key(first) {
                        map.insert(
                            first.clone(),
                            serde_json::Value::String("(sensitive value)".into()),
                        );
                    }
                }
            }
            println!("# {addr} (provider {})", instance.provider);
            println!("{}", serde_json::to_string_pretty(&attributes)?);
            if !instance.dependencies.is_empty() {
                println!("# depends on: {}", instance.dependencies.join(", "));
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
        StateCommand::Mv { from, to } => {
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
    }
    Ok(0)
}
