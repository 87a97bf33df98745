//! `skelc import ADDRESS ID [DIR]`: adopt an existing object into state under a configured
//! address, recording what the configuration would produce where it means the same thing.

use skel_plan_ir::{InstanceAddr, ResourceInstanceState, ResourceMode};
use skel_value::Value;

use crate::cli::ImportArgs;
use crate::exit::ExitStatus;
use crate::glue;
use crate::workdir::{self, DirUse};

pub fn run(args: ImportArgs) -> anyhow::Result<ExitStatus> {
    let root = workdir::root_dir(&args.dir.get()?, "import", DirUse::Changes)?;
    let project = super::load(&root, Some(&args.vars), args.input.input)?;
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
        let key = skel_plan_ir::ProviderKey { module: addr.resource.module.clone(), provider: resource.provider.clone() }.to_string();
        // Configured from its `provider` block (a kubeconfig path, a host, a region…).
        let provider = skel_runtime::configure_provider(project.config.clone(), &project.variables, &registry, &key)
            .map_err(|e| anyhow::anyhow!("importing `{addr}`: {e}"))?;
        let object = provider.import(&addr.resource.type_name, &args.id).await.map_err(|e| anyhow::anyhow!("importing `{addr}`: {e}"))?;
        let schema = crate::state_schemas::StateSchemas::new(&project.root, Some(&*project.config))
            .resource(ResourceMode::Managed, &addr.resource.module, &addr.resource.type_name)
            .ok_or_else(|| anyhow::anyhow!("importing `{addr}`: no schema for `{}` (provider `{key}`)", addr.resource.type_name))?;
        let mut record = ResourceInstanceState {
            provider: key,
            attributes: object.to_json(),
            sensitive_paths: schema.block.attributes.iter().filter(|(_, a)| a.sensitive).map(|(k, _)| vec![k.clone()]).collect(),
            dependencies: Vec::new(),
            create_before_destroy: resource.lifecycle.create_before_destroy,
            status: Default::default(),
            deposed: Vec::new(),
            private: None,
            schema_version: None,
        };
        // Arguments the configuration writes differently for the same thing (a relative path
        // to the same file) are recorded as the configuration writes them, so the next plan
        // shows only real differences.
        if let Some(configured) = configured_value(&project, &registry, &locked.state, &addr, &record).await {
            if let (Some(attributes), Some(configured)) = (record.attributes.as_object_mut(), configured.as_mapping()) {
                for (name, attr) in &schema.block.attributes {
                    let (Some(want), Some(have)) = (configured.get(name), attributes.get(name)) else {
                        continue;
                    };
                    let have = Value::from_json(have);
                    if attr.is_argument() && want.is_known() && *want != have && provider.same_argument(&addr.resource.type_name, name, want, &have) {
                        attributes.insert(name.clone(), want.to_json());
                    }
                }
            }
        }
        locked.state.resources.insert(addr.clone(), record);
        locked.store.write(&locked.lock, &mut locked.state)?;
        println!("Imported {addr} from `{}`. Run `skelc plan` to see how it differs from the configuration.", args.id);
        Ok(ExitStatus::Success)
    })
}

/// The value the configuration plans for `addr` once `record` is in state (no refresh), or
/// `None` when that plan fails (the import then records the object as the provider gave it).
async fn configured_value(
    project: &crate::project::Project,
    registry: &skel_runtime::ProviderRegistry,
    state: &skel_plan_ir::State,
    addr: &InstanceAddr,
    record: &ResourceInstanceState,
) -> Option<Value> {
    let mut state = state.clone();
    state.resources.insert(addr.clone(), record.clone());
    let options = skel_runtime::PlanOptions {
        destroy: false,
        refresh: false,
        variables: project.variables.clone(),
        ..Default::default()
    };
    let planned = skel_runtime::plan(
        project.config.clone(),
        &state,
        registry,
        &options,
        &skel_runtime::Silent,
    )
    .await
    .ok()?;
    planned
        .changes
        .changes
        .into_iter()
        .find(|c| &c.addr == addr && !c.deposed)
        .and_then(|c| c.planned)
}
