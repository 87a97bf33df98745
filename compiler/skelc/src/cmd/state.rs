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
            // The paths state recorded, and what the schema says is sensitive (a state
            // written before a path was recorded still hides it).
            let mut value = crate::render::sensitive::with_paths(
                &instance.attributes,
                &instance.sensitive_paths,
            );
            let schema = match addr.resource.mode {
                skel_plan_ir::ResourceMode::Managed => {
                    skel_schema::resource(&addr.resource.type_name)
                }
                skel_plan_ir::ResourceMode::Data => {
                    skel_schema::data_source(&addr.resource.type_name)
                }
            };
            if let Some(schema) = schema {
                let paths: Vec<Vec<String>> = schema
                    .block
                    .attributes
                    .iter()
                    .filter(|(_, a)| a.sensitive)
                    .map(|(name, _)| vec![name.clone()])
                    .collect();
                value = value.mark_paths(&paths, skel_value::Marks::SENSITIVE);
            }
            let attributes = crate::render::sensitive::shown_json(&value);
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
