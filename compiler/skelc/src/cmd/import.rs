//! `skelc import ADDR ID`: adopt an existing object into state under a configured address.

use skel_plan_ir::{InstanceAddr, ResourceInstanceState, ResourceMode};

use crate::cli::ImportArgs;
use crate::glue;

pub fn run(args: ImportArgs) -> anyhow::Result<u8> {
    let project = match super::load_or_exit(&args.dir, &args.vars) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let addr: InstanceAddr = args.address.parse()?;
    if addr.resource.mode != ResourceMode::Managed {
        anyhow::bail!("only managed resources can be imported, not data sources");
    }
    // The address must be declared in the configuration (its module and resource block).
    let mut module = &project.config.modules[0];
    for (name, _) in &addr.resource.module.0 {
        let Some(call) = module.module_calls.iter().find(|c| &c.name == name) else {
            anyhow::bail!("`{addr}`: the configuration has no module call `{name}`");
        };
        module = &project.config.modules[call.module];
    }
    let Some(resource) = module.resources.iter().find(|r| {
        r.mode == ResourceMode::Managed
            && r.type_name == addr.resource.type_name
            && r.name == addr.resource.name
    }) else {
        anyhow::bail!("`{addr}` is not declared in the configuration; add a `resource \"{}\" \"{}\" {{ … }}` block first", addr.resource.type_name, addr.resource.name);
    };
    let registry = glue::registry();
    glue::runtime()?.block_on(async {
        let mut locked = glue::lock_state(crate::encryption::store_for(&project)?, "import")?;
        glue::recover(&mut locked, &registry, &project).await?;
        if locked.state.resources.contains_key(&addr) {
            anyhow::bail!("`{addr}` is already in state; remove it first with `skelc state rm {addr}` if you mean to re-import it");
        }
        let key = if addr.resource.module.is_root() { resource.provider.to_string() } else { format!("{}.{}", addr.resource.module, resource.provider) };
        // Configured from its `provider` block (a kubeconfig path, a host, a region…).
        let provider = skel_runtime::configure_provider(project.config.clone(), &project.variables, &registry, &key)
            .map_err(|e| anyhow::anyhow!("importing `{addr}`: {e}"))?;
        let object = provider.import(&addr.resource.type_name, &args.id).await.map_err(|e| anyhow::anyhow!("importing `{addr}`: {e}"))?;
        let schema = skel_schema::resource(&addr.resource.type_name).ok_or_else(|| anyhow::anyhow!("no schema for `{}`", addr.resource.type_name))?;
        locked.state.resources.insert(
            addr.clone(),
            ResourceInstanceState {
                provider: key,
                attributes: object.to_json(),
                sensitive_paths: schema.block.attributes.iter().filter(|(_, a)| a.sensitive).map(|(k, _)| vec![k.clone()]).collect(),
                dependencies: Vec::new(),
                create_before_destroy: resource.lifecycle.create_before_destroy,
                status: Default::default(),
                deposed: Vec::new(),
            },
        );
        locked.store.write(&locked.lock, &mut locked.state)?;
        println!("Imported {addr} from `{}`. Run `skelc plan` to see how it differs from the configuration.", args.id);
        Ok(0)
    })
}
