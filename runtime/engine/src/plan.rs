//! Planning: refresh the prior state, evaluate the configuration module instance by module
//! instance in dependency order, ask each resource's provider what would change, and collect
//! one action per instance (plus deletes for instances no longer configured).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use futures::StreamExt;
use skel_plan_ir::{
    Action, ChangeSet, Config, IgnoreChanges, InstanceAddr, InstanceStatus, ModuleInstance,
    OutputChange, ResourceAddr, ResourceChange, ResourceConfig, ResourceMode, State,
};
use skel_provider::PlanRequest;
use skel_value::{convert, Value};

use crate::providers::{configured_from_key, resolve, ProviderCache, ProviderRegistry};
use crate::traits::Observer;
use crate::world::{NodeKey, Repeat, Repetition, World};
use crate::{EngineError, Errors};

#[derive(Clone, Debug, Default)]
pub struct PlanOptions {
    /// Plan to destroy everything in state.
    pub destroy: bool,
    /// Read every instance back through its provider first (drift detection).
    pub refresh: bool,
    /// Root variable values given by the user (`-var`, files, environment).
    pub variables: BTreeMap<String, Value>,
    /// `-target`: plan only these addresses (resources, instances, module calls) and what
    /// they depend on (for a destroy, what depends on them).
    pub targets: Vec<String>,
    /// `-replace`: instances to replace even though nothing forces it.
    pub replace: Vec<InstanceAddr>,
}

/// Drift found while refreshing: an attribute the configuration manages changed outside skel.
#[derive(Clone, Debug, PartialEq)]
pub struct Drift {
    pub addr: InstanceAddr,
    /// `None` when the object is gone.
    pub attributes: Option<Vec<String>>,
}

/// A plan and everything needed to apply it in the same process.
pub struct Planned {
    pub changes: ChangeSet,
    /// The state after refresh (what the plan compared against).
    pub prior: State,
    pub drift: Vec<Drift>,
    /// The `check` blocks' assertions against the planned values (warnings, never errors).
    pub checks: Vec<crate::checks::CheckOutcome>,
    pub(crate) world: World,
    pub(crate) providers: ProviderCache,
}

impl Planned {
    /// Done with the plan without applying it: the providers are closed here, the rest (the
    /// world and state of perhaps 50,000 instances) freed off this thread.
    pub fn discard(self) {
        let Planned {
            changes,
            prior,
            drift,
            checks,
            world,
            providers,
        } = self;
        drop(providers);
        crate::apply::drop_in_background((changes, prior, drift, checks, world));
    }
}

/// The object type of a resource or data source's schema.
pub(crate) fn schema_for(
    mode: ResourceMode,
    type_name: &str,
) -> Result<&'static skel_schema::ResourceSchema, EngineError> {
    let schema = match mode {
        ResourceMode::Managed => skel_schema::resource(type_name),
        ResourceMode::Data => skel_schema::data_source(type_name),
    };
    schema.ok_or_else(|| EngineError::new(format!("no provider schema for `{type_name}`")))
}

/// A state entry's attributes as a value typed by the schema.
pub(crate) fn typed_state(
    addr: &InstanceAddr,
    attributes: &serde_json::Value,
) -> Result<Value, EngineError> {
    let schema = schema_for(addr.resource.mode, &addr.resource.type_name)?;
    convert(
        &Value::from_json(attributes),
        &schema.computed_object_type(),
    )
    .map_err(|e| {
        EngineError::new(format!(
            "the state of this instance does not match its schema: {e}"
        ))
        .at(addr.to_string(), None)
    })
}

/// Plan `config` against a copy of `state`; [`plan_owned`] when the caller no longer needs it.
pub async fn plan(
    config: Arc<Config>,
    state: &State,
    registry: &ProviderRegistry,
    options: &PlanOptions,
    observer: &dyn Observer,
) -> Result<Planned, Errors> {
    plan_owned(config, state.clone(), registry, options, observer).await
}

/// Plan `config` against `state`, which becomes the plan's prior state: edited by `moved` and
/// `removed` blocks, then refreshed in place — no copy of 50,000 instances.
pub async fn plan_owned(
    config: Arc<Config>,
    state: State,
    registry: &ProviderRegistry,
    options: &PlanOptions,
    observer: &dyn Observer,
) -> Result<Planned, Errors> {
    let cwd = std::env::current_dir().unwrap_or_default();
    let world = World::new(config.clone(), &options.variables, cwd).map_err(Errors)?;
    // `moved` and `removed` blocks edit the prior state first: the plan compares against it.
    let mut prior = state;
    let refactored = crate::refactor::apply(&config, &mut prior);
    let (state_serial, state_lineage) = (prior.serial, prior.lineage.clone());
    // Every instance in state gets a change (a no-op at least): sized once, not doubled up to
    // it (the last doubling of 50,000 changes held both the old and the new buffer).
    let changes = Vec::with_capacity(prior.resources.len());
    let mut planner = Planner {
        world,
        registry,
        providers: ProviderCache::default(),
        prior,
        prior_values: HashMap::with_capacity(changes.capacity()),
        changes,
        errors: Vec::new(),
        seen: BTreeSet::new(),
        imported: BTreeMap::new(),
        replace: options.replace.iter().cloned().collect(),
    };
    // A plugin's objects are upgraded to its current schema first (`UpgradeResourceState`, as
    // Terraform does for every object it reads from state, whatever its version).
    let versioned: Vec<InstanceAddr> = planner
        .prior
        .resources
        .iter()
        .filter(|(addr, instance)| {
            addr.resource.mode == ResourceMode::Managed
                && crate::providers::versioned(registry, &instance.provider)
        })
        .map(|(addr, _)| addr.clone())
        .collect();
    let upgraded = planner.upgrade_all(versioned).await;
    for (addr, instance) in &planner.prior.resources {
        if upgraded.contains(addr) {
            continue;
        }
        match typed_state(addr, &instance.attributes) {
            Ok(v) => {
                planner.prior_values.insert(addr.clone(), v);
            }
            Err(e) => planner.errors.push(e),
        }
    }
    let drift = if options.refresh && !planner.prior.resources.is_empty() {
        observer.refresh_started(planner.prior.resources.len());
        planner.refresh().await
    } else {
        Vec::new()
    };
    // The refreshed values of what drifted, to compare with the plan (which consumes them).
    let refreshed: HashMap<InstanceAddr, Value> = drift
        .iter()
        .filter_map(|d| Some((d.addr.clone(), planner.prior_values.get(&d.addr)?.clone())))
        .collect();
    if !options.destroy {
        planner.imported = planner.plan_imports().await;
        planner.plan_module(ModuleInstance::root()).await;
    }
    let drift = planner.relevant_drift(drift, &refreshed);
    planner.plan_orphans(options.destroy);
    planner.check_replace();
    if !options.targets.is_empty() {
        planner.narrow(&options.targets, options.destroy);
    }
    if !planner.errors.is_empty() {
        return Err(Errors(planner.errors));
    }
    let outputs = planner.outputs(options.destroy);
    // `check` blocks against the planned values: reported, never blocking.
    let checks = if options.destroy {
        Vec::new()
    } else {
        crate::checks::evaluate(&mut planner.world, planner.registry, &mut planner.providers).await
    };
    for change in &mut planner.changes {
        if !change.deposed {
            change.moved_from = refactored.moved_from.get(&change.addr).cloned();
            change.imported_from = planner.imported.get(&change.addr).cloned();
            if change.imported_from.is_some() {
                // Recorded by the configuration that serves it, as apply records any other.
                if let Some(record) = planner.prior.resources.get_mut(&change.addr) {
                    record.provider = change.provider.clone();
                }
            }
        }
    }
    let changes = ChangeSet {
        targets: options.targets.clone(),
        replace: options.replace.clone(),
        state_serial,
        state_lineage,
        changes: planner.changes,
        outputs,
        destroy: options.destroy,
        forgotten: refactored.forgotten,
    };
    Ok(Planned {
        changes,
        prior: planner.prior,
        drift,
        checks,
        world: planner.world,
        providers: planner.providers,
    })
}

pub(crate) struct Planner<'a> {
    pub(crate) world: World,
    pub(crate) registry: &'a ProviderRegistry,
    pub(crate) providers: ProviderCache,
    /// The state after refresh.
    pub(crate) prior: State,
    pub(crate) prior_values: HashMap<InstanceAddr, Value>,
    pub(crate) changes: Vec<ResourceChange>,
    pub(crate) errors: Vec<EngineError>,
    /// Instances the configuration declares.
    seen: BTreeSet<InstanceAddr>,
    /// Instances `import` blocks bring into state in this plan, with their ids.
    pub(crate) imported: BTreeMap<InstanceAddr, String>,
    /// Instances `-replace` asks to replace.
    pub(crate) replace: BTreeSet<InstanceAddr>,
}

impl Planner<'_> {
    /// The drift worth reporting: changes to a `computed` nested block (routes a table does
    /// not manage, because `aws_route` resources do) only when the plan changes that block
    /// back, i.e. when the configuration manages it.
    fn relevant_drift(
        &self,
        drift: Vec<Drift>,
        refreshed: &HashMap<InstanceAddr, Value>,
    ) -> Vec<Drift> {
        drift
            .into_iter()
            .filter_map(|mut d| {
                let Some(attrs) = &mut d.attributes else {
                    return Some(d);
                };
                let Ok(schema) = schema_for(ResourceMode::Managed, &d.addr.resource.type_name)
                else {
                    return Some(d);
                };
                let refreshed = refreshed.get(&d.addr);
                let planned = self
                    .changes
                    .iter()
                    .find(|c| c.addr == d.addr && !c.deposed)
                    .and_then(|c| c.planned.as_ref());
                attrs.retain(|a| {
                    if !schema.block.block(a).is_some_and(|b| b.computed) {
                        return true;
                    }
                    match (refreshed, planned) {
                        (Some(now), Some(planned)) => !skel_provider::kit::same(
                            skel_provider::kit::get(now, a),
                            skel_provider::kit::get(planned, a),
                        ),
                        // Being destroyed: what is inside it no longer matters.
                        (Some(_), None) => false,
                        (None, _) => true,
                    }
                });
                (!attrs.is_empty()).then_some(d)
            })
            .collect()
    }

    /// The objects at `addrs` upgraded by their providers to the providers' current schemas
    /// (up to [`PLAN_CONCURRENCY`] calls at a time), recorded so in the prior state with the new
    /// versions and their typed values in `prior_values`. Returns the addresses dealt with,
    /// upgraded or failed; the others' providers do not upgrade.
    async fn upgrade_all(&mut self, addrs: Vec<InstanceAddr>) -> HashSet<InstanceAddr> {
        // The providers first, one configuration at a time (they are cached by key).
        let mut jobs = Vec::with_capacity(addrs.len());
        let mut dealt = HashSet::new();
        for addr in addrs {
            let key = self.prior.resources[&addr].provider.clone();
            match configured_from_key(&mut self.world, &mut self.providers, self.registry, &key) {
                Ok(configured) => jobs.push((addr, configured.provider)),
                Err(e) => {
                    self.errors.push(e);
                    dealt.insert(addr);
                }
            }
        }
        let prior = &self.prior;
        let answers: Vec<_> = futures::stream::iter(jobs)
            .map(|(addr, provider)| async move {
                let instance = &prior.resources[&addr];
                let raw = instance.attributes.to_string();
                let answer = provider
                    .upgrade(&addr.resource.type_name, instance.schema_version, &raw)
                    .await;
                (addr, answer)
            })
            .buffered(PLAN_CONCURRENCY)
            .collect()
            .await;
        for (addr, answer) in answers {
            match self.upgraded(&addr, answer) {
                Ok(Some(v)) => {
                    self.prior_values.insert(addr.clone(), v);
                    dealt.insert(addr);
                }
                Ok(None) => {}
                Err(e) => {
                    self.errors.push(e);
                    dealt.insert(addr);
                }
            }
        }
        dealt
    }

    /// A provider's answer to upgrading the object at `addr`, recorded in the prior state with
    /// its new version; its typed value, `None` when the provider does not upgrade.
    fn upgraded(
        &mut self,
        addr: &InstanceAddr,
        answer: Result<Option<(Value, u64)>, skel_provider::ProviderError>,
    ) -> Result<Option<Value>, EngineError> {
        let upgraded = answer.map_err(|e| {
            EngineError::provider(format!("upgrading its state: {e}")).at(addr.to_string(), None)
        })?;
        let Some((value, version)) = upgraded else {
            return Ok(None);
        };
        let json = value.to_json();
        let typed = typed_state(addr, &json)?;
        if let Some(entry) = self.prior.resources.get_mut(addr) {
            entry.attributes = json;
            entry.schema_version = Some(version);
        }
        Ok(Some(typed))
    }

    /// Read every instance in state back through its provider, one batch per provider and type.
    async fn refresh(&mut self) -> Vec<Drift> {
        let mut groups: BTreeMap<(String, String), Vec<InstanceAddr>> = BTreeMap::new();
        for (addr, instance) in &self.prior.resources {
            if addr.resource.mode == ResourceMode::Managed && self.prior_values.contains_key(addr) {
                groups
                    .entry((instance.provider.clone(), addr.resource.type_name.clone()))
                    .or_default()
                    .push(addr.clone());
            }
        }
        let mut tasks = tokio::task::JoinSet::new();
        for ((provider_key, type_name), addrs) in groups {
            let configured = match configured_from_key(
                &mut self.world,
                &mut self.providers,
                self.registry,
                &provider_key,
            ) {
                Ok(c) => c,
                Err(e) => {
                    self.errors.push(e);
                    continue;
                }
            };
            let objects: Vec<(Value, skel_provider::Private)> = addrs
                .iter()
                .map(|a| {
                    let private = crate::private::of(self.prior.resources.get(a));
                    (self.prior_values[a].clone(), private)
                })
                .collect();
            tasks.spawn(async move {
                let result = configured
                    .provider
                    .read_batch_private(&type_name, &objects)
                    .await;
                (addrs, result)
            });
        }
        let mut drift = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            let Ok((addrs, result)) = joined else {
                continue;
            };
            match result {
                Err(e) => {
                    // The objects' sensitive attributes, as state recorded them, are not
                    // repeated if the provider's message quotes them.
                    let marked =
                        crate::marks::marked_priors(&addrs, &self.prior, &self.prior_values);
                    self.errors.push(
                        EngineError::provider(crate::marks::scrub(
                            &format!("refreshing: {e}"),
                            &marked,
                        ))
                        .at(addrs[0].to_string(), None),
                    )
                }
                Ok(values) => {
                    for (addr, value) in addrs.into_iter().zip(values) {
                        match value {
                            None => {
                                self.prior.resources.remove(&addr);
                                self.prior_values.remove(&addr);
                                drift.push(Drift {
                                    addr,
                                    attributes: None,
                                });
                            }
                            Some((new, private)) => {
                                if let Some(entry) = self.prior.resources.get_mut(&addr) {
                                    entry.private = crate::private::to_state(&private);
                                }
                                let old = &self.prior_values[&addr];
                                if *old != new {
                                    // Report drift only in arguments the configuration manages,
                                    // not in attributes the provider computes.
                                    let schema =
                                        schema_for(ResourceMode::Managed, &addr.resource.type_name)
                                            .ok();
                                    let changed: Vec<String> = changed_attributes(old, &new)
                                        .into_iter()
                                        .filter(|a| {
                                            schema.is_none_or(|s| {
                                                s.block.attribute(a).is_none_or(|x| x.is_argument())
                                            })
                                        })
                                        .collect();
                                    if let Some(entry) = self.prior.resources.get_mut(&addr) {
                                        entry.attributes = new.to_json();
                                    }
                                    if !changed.is_empty() {
                                        drift.push(Drift {
                                            addr: addr.clone(),
                                            attributes: Some(changed),
                                        });
                                    }
                                    self.prior_values.insert(addr, new);
                                }
                            }
                        }
                    }
                }
            }
        }
        drift.sort_by(|a, b| a.addr.cmp(&b.addr));
        drift
    }

    /// Plan one module instance: its nodes in dependency order, recursing into module calls.
    fn plan_module(
        &mut self,
        mi: ModuleInstance,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + '_>> {
        Box::pin(async move {
            let config = self.world.config.clone();
            let module = &config.modules[self.world.module_id(&mi)];
            let order = match crate::order::topological_order(module) {
                Ok(o) => o,
                Err(e) => {
                    self.errors.push(e);
                    return;
                }
            };
            for node in order {
                match &node {
                    NodeKey::Resource(mode, type_name, name) => {
                        let Some(rc) = self
                            .world
                            .resource_position(self.world.module_id(&mi), *mode, type_name, name)
                            .and_then(|i| module.resources.get(i))
                        else {
                            continue;
                        };
                        self.plan_resource(&mi, rc).await;
                    }
                    NodeKey::Call(name) => {
                        let Some(index) = self.world.call_position(self.world.module_id(&mi), name)
                        else {
                            continue;
                        };
                        let call = &module.module_calls[index];
                        let what = format!("module `{name}`");
                        match self.world.expand(
                            &mi,
                            &call.references,
                            call.count.as_ref(),
                            call.for_each.as_ref(),
                            &what,
                        ) {
                            Err(e) => self.errors.push(EngineError::evaluation(e.to_string()).at(
                                mi.child(name, skel_plan_ir::InstanceKey::None).to_string(),
                                Some(&call.location),
                            )),
                            Ok((repetition, keys)) => {
                                self.world
                                    .calls
                                    .insert((mi.clone(), name.clone()), (repetition, keys.clone()));
                                for (key, each) in keys {
                                    let child = self.world.add_instance(&mi, index, key, each);
                                    self.plan_module(child).await;
                                }
                                if let Err(e) = self.world.node(&(mi.clone(), node.clone())) {
                                    self.errors.push(e);
                                }
                            }
                        }
                    }
                    _ => {
                        if let Err(e) = self.world.node(&(mi.clone(), node.clone())) {
                            self.errors.push(e);
                        }
                    }
                }
            }
        })
    }

    async fn plan_resource(&mut self, mi: &ModuleInstance, rc: &ResourceConfig) {
        let addr = ResourceAddr {
            module: mi.clone(),
            mode: rc.mode,
            type_name: rc.type_name.clone(),
            name: rc.name.clone(),
        };
        let schema = match schema_for(rc.mode, &rc.type_name) {
            Ok(s) => s,
            Err(e) => return self.errors.push(e.at(addr.to_string(), Some(&rc.location))),
        };
        let (repetition, keys) = match self.world.expand(
            mi,
            &rc.references,
            rc.count.as_ref(),
            rc.for_each.as_ref(),
            &format!("`{addr}`"),
        ) {
            Ok(k) => k,
            Err(e) => {
                return self.errors.push(
                    EngineError::evaluation(e.to_string()).at(addr.to_string(), Some(&rc.location)),
                )
            }
        };
        self.world.set_expansion(
            mi,
            rc.mode,
            &rc.type_name,
            &rc.name,
            repetition,
            keys.clone(),
        );
        let site = match resolve(&self.world, mi, &rc.provider) {
            Ok(s) => s,
            Err(e) => return self.errors.push(e.at(addr.to_string(), Some(&rc.location))),
        };
        let configured = match self.providers.get(&mut self.world, self.registry, &site) {
            Ok(c) => c,
            Err(e) => return self.errors.push(e.at(addr.to_string(), Some(&rc.location))),
        };
        let mut to_plan: Vec<PendingPlan<'_>> = Vec::new();
        for (key, each) in &keys {
            let instance = addr.instance(key.clone());
            self.seen.insert(instance.clone());
            let repeat = (repetition != Repetition::Single).then_some(Repeat {
                key,
                each_value: each.as_ref(),
            });
            let evaluated =
                self.world
                    .scope(mi, &rc.references, repeat, None)
                    .and_then(|(scope, deps, _)| {
                        crate::body::eval_body(
                            &rc.body,
                            &schema.block,
                            &scope,
                            &self.world.context(mi),
                        )
                        .map(|v| (v, deps))
                        .map_err(|e| EngineError::evaluation(e.message))
                    });
            let (marked, deps) = match evaluated {
                Ok(x) => x,
                Err(e) => {
                    self.errors
                        .push(e.at(instance.to_string(), Some(&rc.location)));
                    continue;
                }
            };
            if let Err(e) = self.conditions(mi, rc, repeat_of(key, each), None, &instance) {
                self.errors.push(e);
                continue;
            }
            if let Err(e) = crate::marks::persistable(&marked) {
                self.errors
                    .push(e.at(instance.to_string(), Some(&rc.location)));
                continue;
            }
            // The provider sees the configuration unmarked; where the marks were is kept.
            let crate::marks::Split {
                plain: mut config,
                paths: config_paths,
                marked,
            } = crate::marks::Split::new(marked);
            let scrub = |message: &str| crate::marks::scrub_with(message, marked.as_ref());
            // A provider validates its managed resource types (a data source of the same
            // name, `data "local_file"`, has other arguments).
            let messages = match rc.mode {
                ResourceMode::Managed => configured.provider.validate(&rc.type_name, &config),
                ResourceMode::Data => Vec::new(),
            };
            for message in messages {
                self.errors.push(
                    EngineError::new(scrub(&message))
                        .with_code("invalid-argument")
                        .at(instance.to_string(), Some(&rc.location)),
                );
            }
            let dependencies: Vec<InstanceAddr> =
                deps.into_iter().filter(|d| *d != instance).collect();
            if rc.mode == ResourceMode::Data {
                let pending = dependencies.iter().any(|d| {
                    self.changes
                        .iter()
                        .any(|c| &c.addr == d && c.action != Action::NoOp)
                });
                let value = if config.is_known() && !pending {
                    match configured.provider.read_data(&rc.type_name, &config).await {
                        Ok(v) => crate::marks::remark(v, &config_paths, &schema.block).0,
                        Err(e) => {
                            self.errors.push(
                                EngineError::provider(scrub(&format!("reading data source: {e}")))
                                    .at(instance.to_string(), Some(&rc.location)),
                            );
                            continue;
                        }
                    }
                } else {
                    // Its value is known at apply; its postconditions are not decided here.
                    let mut sensitive_paths = crate::marks::schema_paths(schema);
                    sensitive_paths.extend(config_paths.iter().map(|(p, _)| p.clone()));
                    self.changes.push(ResourceChange {
                        addr: instance.clone(),
                        action: Action::Read,
                        provider: site.key().to_string(),
                        prior: None,
                        planned: Some(Value::Unknown(schema.computed_object_type())),
                        requires_replace: Vec::new(),
                        reason: Some(
                            "its configuration depends on values known only after apply".into(),
                        ),
                        sensitive_paths,
                        prior_sensitive_paths: Vec::new(),
                        deposed: false,
                        dependencies,
                        moved_from: None,
                        imported_from: None,
                    });
                    Value::Unknown(schema.computed_object_type())
                };
                if value.is_known() {
                    let self_value = Some(value.clone());
                    if let Err(e) =
                        self.conditions(mi, rc, repeat_of(key, each), self_value, &instance)
                    {
                        self.errors.push(e);
                        continue;
                    }
                }
                self.world.set_instance_value(&instance, value);
                continue;
            }
            // Each instance is planned once: take its prior value rather than copy it.
            let mut prior_value = self.prior_values.remove(&instance);
            if let (Some(prior), true) = (&mut prior_value, self.imported.contains_key(&instance)) {
                self.same_as_configured(&instance, prior, &config, &*configured.provider);
            }
            let tainted = self
                .prior
                .resources
                .get(&instance)
                .is_some_and(|s| s.status == InstanceStatus::Tainted);
            if let (Some(prior), IgnoreChanges::All | IgnoreChanges::Attributes(_)) =
                (&prior_value, &rc.lifecycle.ignore_changes)
            {
                apply_ignore_changes(&mut config, prior, &rc.lifecycle.ignore_changes, schema);
            }
            let prior_private = crate::private::of(self.prior.resources.get(&instance));
            to_plan.push(PendingPlan {
                instance,
                key,
                each,
                config,
                config_paths,
                marked,
                dependencies,
                prior_value,
                tainted,
                prior_private,
            });
        }
        // The provider plans every instance of the resource concurrently (a plugin answers
        // each over its own RPC; one at a time, 1,000 instances were 1,000 round trips).
        let provider = configured.provider.clone();
        let answers: Vec<_> = futures::stream::iter(to_plan.iter().map(|p| {
            provider.plan_private(
                PlanRequest {
                    type_name: &rc.type_name,
                    prior: p.prior_value.as_ref(),
                    config: &p.config,
                },
                p.prior_private.clone(),
            )
        }))
        .buffered(PLAN_CONCURRENCY)
        .collect()
        .await;
        for (p, answer) in to_plan.into_iter().zip(answers) {
            let PendingPlan {
                instance,
                key,
                each,
                config,
                config_paths,
                marked,
                dependencies,
                prior_value,
                tainted,
                prior_private: _,
            } = p;
            let config_paths = &config_paths;
            let scrub = |message: &str| crate::marks::scrub_with(message, marked.as_ref());
            let mut response = match answer {
                Ok((r, _)) => r,
                Err(e) => {
                    self.errors.push(
                        EngineError::provider(scrub(&format!("planning: {e}")))
                            .at(instance.to_string(), Some(&rc.location)),
                    );
                    continue;
                }
            };
            let mut reason = None;
            let forced = prior_value.is_some() && self.replace.contains(&instance);
            let mut replace = !response.requires_replace.is_empty() || tainted || forced;
            if tainted {
                reason = Some("tainted: its creation did not complete (a provisioner failed or it did not become ready)".to_string());
            } else if forced {
                reason = Some("replace requested with -replace".to_string());
            }
            if prior_value.is_some() && !replace && !rc.lifecycle.replace_triggered_by.is_empty() {
                if let Some(trigger) = self.triggered(mi, rc, repeat_of(key, each)) {
                    replace = true;
                    reason = Some(format!("replace_triggered_by: `{trigger}` changes"));
                }
            }
            // A replacement the provider did not ask for (tainted, replace_triggered_by) creates
            // a new object: plan it as a create, as apply will.
            if replace && prior_value.is_some() && response.requires_replace.is_empty() {
                match configured
                    .provider
                    .plan(PlanRequest {
                        type_name: &rc.type_name,
                        prior: None,
                        config: &config,
                    })
                    .await
                {
                    Ok(r) => response.planned = r.planned,
                    Err(e) => {
                        self.errors.push(
                            EngineError::provider(scrub(&format!("planning: {e}")))
                                .at(instance.to_string(), Some(&rc.location)),
                        );
                        continue;
                    }
                }
            }
            let action = match &prior_value {
                None => Action::Create,
                Some(_) if replace && rc.lifecycle.create_before_destroy => {
                    Action::CreateThenDelete
                }
                Some(_) if replace => Action::DeleteThenCreate,
                Some(prior) if *prior == response.planned => Action::NoOp,
                Some(_) => Action::Update,
            };
            if action.is_replace() && rc.lifecycle.prevent_destroy {
                self.errors.push(
                    EngineError::new("this plan would destroy an object that has `prevent_destroy = true`")
                        .with_code("prevent-destroy")
                        .at(instance.to_string(), Some(&rc.location))
                        .with_help("remove `prevent_destroy` if the replacement is intended, or undo the change that forces it"),
                );
                continue;
            }
            let (planned_marked, sensitive_paths) =
                crate::marks::remark(response.planned.clone(), config_paths, &schema.block);
            let self_value = Some(planned_marked.clone());
            if let Err(e) = self.conditions(mi, rc, repeat_of(key, each), self_value, &instance) {
                self.errors.push(e);
                continue;
            }
            self.world.set_instance_value(&instance, planned_marked);
            // A no-op's prior attributes equal its planned value: not kept twice.
            let prior_state = self.prior.resources.get(&instance);
            let prior_sensitive_paths = prior_state
                .map(|s| s.sensitive_paths.clone())
                .unwrap_or_default();
            let prior = if action == Action::NoOp {
                None
            } else {
                prior_state.map(|s| s.attributes.clone())
            };
            self.changes.push(ResourceChange {
                addr: instance,
                action,
                provider: site.key().to_string(),
                prior,
                planned: Some(response.planned),
                requires_replace: response.requires_replace,
                reason,
                sensitive_paths,
                prior_sensitive_paths,
                deposed: false,
                dependencies,
                moved_from: None,
                imported_from: None,
            });
        }
    }

    /// The first `replace_triggered_by` reference whose instances change in this plan.
    fn triggered(
        &mut self,
        mi: &ModuleInstance,
        rc: &ResourceConfig,
        repeat: Option<Repeat<'_>>,
    ) -> Option<String> {
        let (_, deps, _) = self.world.scope(mi, &rc.references, repeat, None).ok()?;
        let _ = deps;
        for expr in &rc.lifecycle.replace_triggered_by {
            let Some((root, steps)) = expr.as_traversal() else {
                continue;
            };
            let Some(skel_syntax::Step::Attr(name)) = steps.first() else {
                continue;
            };
            let changed = self.changes.iter().any(|c| {
                c.addr.resource.module == *mi
                    && c.addr.resource.type_name == root.name
                    && c.addr.resource.name == name.name
                    && c.action != Action::NoOp
            });
            if changed {
                return Some(format!("{}.{}", root.name, name.name));
            }
        }
        None
    }

    /// Instances in state that the configuration no longer declares (or all, to destroy).
    fn plan_orphans(&mut self, destroy: bool) {
        for (addr, instance) in &self.prior.resources {
            if addr.resource.mode == ResourceMode::Data {
                continue;
            }
            let dependencies: Vec<InstanceAddr> = instance
                .dependencies
                .iter()
                .filter_map(|d| d.parse().ok())
                .collect();
            for old in &instance.deposed {
                self.changes.push(ResourceChange {
                    addr: addr.clone(),
                    action: Action::Delete,
                    provider: instance.provider.clone(),
                    prior: Some(old.clone()),
                    planned: None,
                    requires_replace: Vec::new(),
                    reason: Some("deposed: the old object of an interrupted create-before-destroy replacement".into()),
                    sensitive_paths: instance.sensitive_paths.clone(),
                    prior_sensitive_paths: instance.sensitive_paths.clone(),
                    deposed: true,
                    dependencies: dependencies.clone(),
                    moved_from: None,
                    imported_from: None,
                });
            }
            if !destroy && self.seen.contains(addr) {
                continue;
            }
            self.changes.push(ResourceChange {
                addr: addr.clone(),
                action: Action::Delete,
                provider: instance.provider.clone(),
                prior: Some(instance.attributes.clone()),
                planned: None,
                requires_replace: Vec::new(),
                reason: (!destroy).then(|| "no longer in the configuration".to_string()),
                sensitive_paths: instance.sensitive_paths.clone(),
                prior_sensitive_paths: instance.sensitive_paths.clone(),
                deposed: false,
                dependencies,
                moved_from: None,
                imported_from: None,
            });
        }
        self.changes.sort_by(|a, b| a.addr.cmp(&b.addr));
    }

    fn outputs(&mut self, destroy: bool) -> Vec<OutputChange> {
        let mut out = Vec::new();
        let config = self.world.config.clone();
        let root = config.root();
        for output in &root.outputs {
            let before = self
                .prior
                .outputs
                .get(&output.name)
                .map(|o| o.value.clone());
            let after = if destroy {
                None
            } else {
                match self
                    .world
                    .node(&(ModuleInstance::root(), NodeKey::Output(output.name.clone())))
                    .and_then(|(v, _)| crate::marks::root_output(output, v))
                {
                    Ok(v) => Some(v),
                    Err(e) => {
                        self.errors.push(e);
                        None
                    }
                }
            };
            // Shown only when neither declared sensitive nor derived from a sensitive value.
            let sensitive = output.sensitive
                || after.as_ref().is_some_and(|v| v.is_sensitive())
                || self
                    .prior
                    .outputs
                    .get(&output.name)
                    .is_some_and(|o| o.sensitive);
            out.push(OutputChange {
                name: output.name.clone(),
                before,
                after: after.map(|v| v.unmark_deep().0),
                sensitive,
            });
        }
        for (name, state) in &self.prior.outputs {
            if !root.outputs.iter().any(|o| &o.name == name) {
                out.push(OutputChange {
                    name: name.clone(),
                    before: Some(state.value.clone()),
                    after: None,
                    sensitive: state.sensitive,
                });
            }
        }
        out
    }
}

/// How many instances of one resource are planned by its provider at once.
const PLAN_CONCURRENCY: usize = 32;

/// A managed instance evaluated and waiting for its provider's plan.
struct PendingPlan<'k> {
    instance: InstanceAddr,
    key: &'k skel_plan_ir::InstanceKey,
    each: &'k Option<Value>,
    config: Value,
    config_paths: Vec<(skel_value::MarkPath, skel_value::Marks)>,
    marked: Option<Value>,
    dependencies: Vec<InstanceAddr>,
    prior_value: Option<Value>,
    tainted: bool,
    prior_private: skel_provider::Private,
}

fn repeat_of<'a>(
    key: &'a skel_plan_ir::InstanceKey,
    each: &'a Option<Value>,
) -> Option<Repeat<'a>> {
    (!key.is_none()).then_some(Repeat {
        key,
        each_value: each.as_ref(),
    })
}

/// Top-level attributes that differ between two objects.
pub(crate) fn changed_attributes(old: &Value, new: &Value) -> Vec<String> {
    match (old.as_mapping(), new.as_mapping()) {
        (Some(a), Some(b)) => {
            let mut names: BTreeSet<&String> = a.keys().collect();
            names.extend(b.keys());
            names
                .into_iter()
                .filter(|k| a.get(k) != b.get(k))
                .cloned()
                .collect()
        }
        _ => Vec::new(),
    }
}

/// Replace ignored arguments of `config` with their prior values.
fn apply_ignore_changes(
    config: &mut Value,
    prior: &Value,
    ignore: &IgnoreChanges,
    schema: &skel_schema::ResourceSchema,
) {
    let (Value::Object(config), Some(prior)) = (config, prior.as_mapping()) else {
        return;
    };
    let names: Vec<String> = match ignore {
        IgnoreChanges::None => return,
        IgnoreChanges::All => schema
            .block
            .attributes
            .iter()
            .filter(|(_, a)| a.is_argument())
            .map(|(k, _)| k.clone())
            .chain(schema.block.blocks.keys().cloned())
            .collect(),
        IgnoreChanges::Attributes(names) => names.clone(),
    };
    for name in names {
        if let Some(v) = prior.get(&name) {
            config.insert(name, v.clone());
        }
    }
}
