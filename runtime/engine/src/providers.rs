//! Provider configurations: which `provider` block serves a resource (through module calls'
//! `providers` maps and inheritance of default configurations), configured once on first use.

use std::collections::HashMap;
use std::sync::Arc;

use skel_plan_ir::{ModuleInstance, ProviderKey, ProviderRef};
use skel_provider::{Provider, ProviderFactory};
use skel_value::Value;
use tokio::sync::Semaphore;

use crate::world::World;
use crate::EngineError;

/// The provider factories available to a run, by provider name.
#[derive(Clone, Default)]
pub struct ProviderRegistry {
    factories: HashMap<String, Arc<dyn ProviderFactory>>,
}

impl ProviderRegistry {
    pub fn new(factories: impl IntoIterator<Item = Arc<dyn ProviderFactory>>) -> Self {
        ProviderRegistry {
            factories: factories
                .into_iter()
                .map(|f| (f.name().to_string(), f))
                .collect(),
        }
    }

    pub fn factory(&self, name: &str) -> Option<&Arc<dyn ProviderFactory>> {
        self.factories.get(name)
    }

    /// The provider names, sorted.
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.factories.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }
}

/// A configured provider and its concurrency limit.
#[derive(Clone)]
pub struct Configured {
    pub provider: Arc<dyn Provider>,
    /// The `parallelism` of its `provider` block, if any.
    pub limit: Option<Arc<Semaphore>>,
}

/// Where a provider configuration is declared.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct ProviderSite {
    pub module: ModuleInstance,
    pub provider: ProviderRef,
    /// Index into the module's `providers`, or `None` for an implicit empty configuration.
    pub block: Option<usize>,
}

impl ProviderSite {
    /// The key recorded in state: `aws`, `aws.west`, `module.net.aws`.
    pub fn key(&self) -> ProviderKey {
        ProviderKey {
            module: self.module.clone(),
            provider: self.provider.clone(),
        }
    }
}

/// Resolve the configuration serving `provider` as seen from module instance `mi`.
pub fn resolve(
    world: &World,
    mi: &ModuleInstance,
    provider: &ProviderRef,
) -> Result<ProviderSite, EngineError> {
    let module = world.module_of(mi);
    if let Some(i) = module
        .providers
        .iter()
        .position(|p| p.name == provider.name && p.alias == provider.alias)
    {
        return Ok(ProviderSite {
            module: mi.clone(),
            provider: provider.clone(),
            block: Some(i),
        });
    }
    let parent = world.instances.get(mi).and_then(|i| i.parent.clone());
    match parent {
        Some((parent, call_index, _, _)) => {
            let call = &world.module_of(&parent).module_calls[call_index];
            if let Some((_, passed)) = call.providers.iter().find(|(child, _)| child == provider) {
                return resolve(world, &parent, passed);
            }
            if provider.alias.is_none() {
                return resolve(world, &parent, provider);
            }
            Err(EngineError::new(format!("module `{mi}` needs the provider configuration `{provider}`, and its call does not pass one")).with_help(format!("add `providers = {{ {provider} = … }}` to the module call")))
        }
        None if provider.alias.is_none() => Ok(ProviderSite {
            module: mi.clone(),
            provider: provider.clone(),
            block: None,
        }),
        None => Err(EngineError::new(format!(
            "no `provider \"{}\"` block with alias `{}`",
            provider.name,
            provider.alias.as_deref().unwrap_or_default()
        ))),
    }
}

/// The site of a state provider key in `world`: resolved when its module instance is expanded,
/// else the key's own module and provider with no block (see [`configured_from_key`]).
fn site_from_key(world: &World, key: &str) -> Result<ProviderSite, EngineError> {
    let ProviderKey { module, provider } = key
        .parse::<ProviderKey>()
        .map_err(|_| EngineError::new(format!("invalid provider key `{key}` in state")))?;
    if world.instances.contains_key(&module) {
        return resolve(world, &module, &provider);
    }
    Ok(ProviderSite {
        module,
        provider,
        block: None,
    })
}

/// The provider serving the state key `key` (`aws`, `aws.west`, `module.net.aws`), configured
/// from its `provider` block with the root `variables`, outside a plan: for `skelc import` and
/// crash recovery. Module instances are not expanded, so a block declared inside a module
/// cannot be evaluated: such keys get the provider's default configuration.
pub fn configure_provider(
    config: Arc<skel_plan_ir::Config>,
    variables: &std::collections::BTreeMap<String, Value>,
    registry: &ProviderRegistry,
    key: &str,
) -> Result<Arc<dyn Provider>, EngineError> {
    let cwd = std::env::current_dir().unwrap_or_default();
    let mut world = World::new(config, variables, cwd).map_err(|errors| {
        errors
            .into_iter()
            .next()
            .unwrap_or_else(|| EngineError::new("the root variables are invalid"))
    })?;
    Ok(configured_from_key(&mut world, &mut ProviderCache::default(), registry, key)?.provider)
}

/// The provider of a state key, configured from its `provider` block, before (or without) the
/// module instances being expanded: refresh, import, recovery, deletes of orphans. A module
/// instance not expanded (yet: refresh comes before expansion; import and recovery never
/// expand) is registered by the keys state has for it in a scratch world and resolved there as
/// the plan would: the module's own block, the one its call passes, or the root block it
/// inherits. A module call gone from the configuration, or a reference that does not resolve,
/// gets an implicit configuration.
pub fn configured_from_key(
    world: &mut World,
    providers: &mut ProviderCache,
    registry: &ProviderRegistry,
    key: &str,
) -> Result<Configured, EngineError> {
    let site = site_from_key(world, key)?;
    if !world.instances.contains_key(&site.module) {
        let mut scratch = world.scratch();
        if register_path(&mut scratch, &site.module) {
            if let Ok(resolved) = resolve(&scratch, &site.module, &site.provider) {
                return providers.get(&mut scratch, registry, &resolved);
            }
        }
    }
    providers.get(world, registry, &site)
}

/// Registers the module instances of `module` in `world` along its path from the root; false
/// when a call on the way is not in the configuration (any more).
fn register_path(world: &mut World, module: &ModuleInstance) -> bool {
    let mut current = ModuleInstance::root();
    for (name, key) in &module.0 {
        let Some(index) = world
            .module_of(&current)
            .module_calls
            .iter()
            .position(|c| &c.name == name)
        else {
            return false;
        };
        current = world.add_instance(&current, index, key.clone(), None);
    }
    true
}

/// Whether the provider serving state key `key` versions its objects' schemas (a plugin):
/// they are upgraded before each plan.
pub fn versioned(registry: &ProviderRegistry, key: &str) -> bool {
    key.parse::<ProviderKey>()
        .ok()
        .and_then(|k| registry.factory(&k.provider.name).map(|f| f.versioned()))
        .unwrap_or(false)
}

/// Configured providers, created on first use.
#[derive(Default)]
pub struct ProviderCache {
    configured: HashMap<ProviderKey, Configured>,
}

impl ProviderCache {
    pub fn get(
        &mut self,
        world: &mut World,
        registry: &ProviderRegistry,
        site: &ProviderSite,
    ) -> Result<Configured, EngineError> {
        let key = site.key();
        if let Some(c) = self.configured.get(&key) {
            return Ok(c.clone());
        }
        let factory = registry.factory(&site.provider.name).ok_or_else(|| {
            EngineError::new(format!(
                "no provider named `{}` is available",
                site.provider.name
            ))
            .with_help(format!(
                "this build has the providers {}",
                registry
                    .names()
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
        let (config, parallelism) = match site.block {
            Some(i) => {
                let block = world.module_of(&site.module).providers[i].clone();
                let schema = skel_schema::provider(&site.provider.name)
                    .map(|p| p.config.clone())
                    .unwrap_or_default();
                let (scope, _, _) = world.scope(&site.module, &block.references, None, None)?;
                let value = crate::body::eval_body(
                    &block.body,
                    &schema,
                    &scope,
                    &world.context(&site.module),
                )
                .map_err(|e| {
                    EngineError::evaluation(format!("provider configuration: {}", e.message))
                        .at(format!("provider.{}", site.key()), Some(&block.location))
                })?;
                if !value.is_known() {
                    return Err(EngineError::new(
                        "the provider configuration depends on values known only after apply",
                    )
                    .at(format!("provider.{}", site.key()), Some(&block.location)));
                }
                (value, block.parallelism)
            }
            None => (Value::Object(Default::default()), None),
        };
        // Providers get plain values; a message of theirs quoting a secret is scrubbed.
        let provider = factory.configure(&config.unmarked_deep()).map_err(|e| {
            EngineError::provider(crate::marks::scrub(
                &format!("configuring provider `{key}`: {e}"),
                &config,
            ))
        })?;
        let configured = Configured {
            provider,
            limit: parallelism.map(|n| Arc::new(Semaphore::new(n.max(1) as usize))),
        };
        self.configured.insert(key, configured.clone());
        Ok(configured)
    }
}
