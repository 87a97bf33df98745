//! Applying a change set: a dependency-ordered walk with bounded concurrency (a global limit and
//! per-provider limits), re-evaluating each instance's configuration with the values its
//! dependencies really got, checking the provider's result against the plan, journaling every
//! call before and after it, and keeping independent branches going when one fails.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use skel_plan_ir::{
    Action, InstanceAddr, InstanceStatus, ModuleInstance, OutputState, ResourceChange,
    ResourceInstanceState, ResourceMode, State,
};
use skel_provider::fault::{self, When};
use skel_provider::{ApplyRequest, PlanRequest, ProviderError};
use skel_value::Value;
use tokio::sync::Semaphore;

use crate::observer::Observer;
use crate::plan::{schema_for, typed_state, Planned};
use crate::providers::{configured_from_key, resolve, Configured, ProviderCache, ProviderRegistry};
use crate::world::{NodeKey, Repeat, World};
use crate::{EngineError, Errors};

/// Which half of a change a walk step performs.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Phase {
    /// Create, update, read, or the create half of a replacement.
    Apply,
    /// Delete, or the delete half of a replacement.
    Destroy,
}

/// Where the walk records what it does, so a crash loses nothing: implemented by the caller
/// with a write-ahead journal and the state store. Errors stop the walk from starting anything
/// new (the journal must be able to account for every provider call).
pub trait StateSink: Send + Sync {
    /// Before a provider call that changes something.
    fn intent(
        &self,
        seq: u64,
        change: &ResourceChange,
        phase: Phase,
        info: IntentInfo<'_>,
    ) -> Result<(), String>;
    /// After it: the new object (`None` when deleted) or the error message; `tainted` when
    /// the object is not complete yet (not ready, or creation provisioners still to run). A
    /// second result for the same `seq` supersedes the first.
    fn result(
        &self,
        seq: u64,
        addr: &InstanceAddr,
        outcome: Result<Option<&serde_json::Value>, &str>,
        tainted: bool,
    ) -> Result<(), String>;
    /// Persist the state (called every few seconds and at the end).
    fn checkpoint(&self, state: &State) -> Result<(), String>;
}

/// What an intent records beside the change.
#[derive(Clone, Copy, Debug, Default)]
pub struct IntentInfo<'a> {
    /// The record must be on disk before the call is made (the object exists outside skel).
    pub durable: bool,
    /// A create's idempotency token: the provider receives it with the call, recovery with
    /// the intent.
    pub token: Option<&'a str>,
    /// A create followed by creation provisioners: an object recovery finds is tainted.
    pub provisioners: bool,
}

/// Runs provisioners (`local-exec`, `file`, `remote-exec`).
#[async_trait]
pub trait Provisioners: Send + Sync {
    async fn run(
        &self,
        kind: &str,
        args: &Value,
        connection: Option<&Value>,
        output: &(dyn for<'l> Fn(&'l str) + Send + Sync),
    ) -> Result<(), ProviderError>;
}

/// Cancellation: the first request stops new operations; in-flight ones finish.
#[derive(Default)]
pub struct Cancel {
    requested: AtomicBool,
}

impl Cancel {
    pub fn request(&self) {
        self.requested.store(true, Ordering::SeqCst);
    }

    pub fn is_requested(&self) -> bool {
        self.requested.load(Ordering::SeqCst)
    }
}

pub struct ApplyOptions {
    pub parallelism: usize,
    pub cancel: Arc<Cancel>,
    pub provisioners: Option<Arc<dyn Provisioners>>,
    /// How often to persist state while applying (the journal covers the time between).
    pub checkpoint_every: Duration,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            parallelism: 10,
            cancel: Arc::default(),
            provisioners: None,
            checkpoint_every: Duration::from_secs(2),
        }
    }
}

pub struct ApplyReport {
    pub state: State,
    pub errors: Errors,
    /// Operations completed.
    pub applied: usize,
    /// Operations not started because of cancellation or a failed dependency.
    pub skipped: usize,
    pub cancelled: bool,
}

struct Shared {
    world: World,
    providers: ProviderCache,
    state: State,
    last_checkpoint: Instant,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
struct StepId {
    change: usize,
    phase: Phase,
}

/// The steps of a change set and the order between them.
fn build_steps(changes: &[ResourceChange]) -> (Vec<StepId>, HashMap<StepId, Vec<StepId>>) {
    let mut steps = Vec::new();
    let mut by_addr: HashMap<&InstanceAddr, Vec<usize>> = HashMap::new();
    for (i, c) in changes.iter().enumerate() {
        by_addr.entry(&c.addr).or_default().push(i);
        match c.action {
            Action::NoOp => {}
            Action::Create | Action::Update | Action::Read => steps.push(StepId {
                change: i,
                phase: Phase::Apply,
            }),
            Action::Delete => steps.push(StepId {
                change: i,
                phase: Phase::Destroy,
            }),
            Action::DeleteThenCreate | Action::CreateThenDelete => {
                steps.push(StepId {
                    change: i,
                    phase: Phase::Destroy,
                });
                steps.push(StepId {
                    change: i,
                    phase: Phase::Apply,
                });
            }
        }
    }
    let has: HashSet<StepId> = steps.iter().copied().collect();
    let mut after: HashMap<StepId, Vec<StepId>> = HashMap::new();
    let mut edge = |from: StepId, to: StepId| {
        if has.contains(&from) && has.contains(&to) && from != to {
            after.entry(from).or_default().push(to);
        }
    };
    for (i, c) in changes.iter().enumerate() {
        let apply = StepId {
            change: i,
            phase: Phase::Apply,
        };
        let destroy = StepId {
            change: i,
            phase: Phase::Destroy,
        };
        match c.action {
            Action::DeleteThenCreate => edge(destroy, apply),
            Action::CreateThenDelete => edge(apply, destroy),
            _ => {}
        }
        for dep in &c.dependencies {
            for &j in by_addr.get(dep).map(Vec::as_slice).unwrap_or_default() {
                let dep_apply = StepId {
                    change: j,
                    phase: Phase::Apply,
                };
                let dep_destroy = StepId {
                    change: j,
                    phase: Phase::Destroy,
                };
                // Create and update in dependency order.
                edge(dep_apply, apply);
                // Destroy in reverse dependency order.
                edge(destroy, dep_destroy);
                // A create-before-destroy dependency's old object goes after its dependents moved.
                if changes[j].action == Action::CreateThenDelete {
                    edge(apply, dep_destroy);
                }
            }
        }
    }
    (steps, after)
}

pub async fn apply(
    planned: Planned,
    registry: &ProviderRegistry,
    sink: Arc<dyn StateSink>,
    observer: Arc<dyn Observer>,
    options: ApplyOptions,
) -> ApplyReport {
    let Planned {
        changes,
        prior,
        world,
        providers,
        ..
    } = planned;
    let destroy = changes.destroy;
    let changes = Arc::new(changes.changes);
    let (steps, after) = build_steps(&changes);
    let mut indegree: HashMap<StepId, usize> = steps.iter().map(|s| (*s, 0)).collect();
    for targets in after.values() {
        for t in targets {
            *indegree.entry(*t).or_default() += 1;
        }
    }
    let shared = Arc::new(Mutex::new(Shared {
        world,
        providers,
        state: prior,
        last_checkpoint: Instant::now(),
    }));
    let registry = Arc::new(registry.clone());
    let global = Arc::new(Semaphore::new(options.parallelism.max(1)));
    let seq = Arc::new(AtomicU64::new(0));
    observer.apply_started(steps.len());

    let mut ready: Vec<StepId> = steps.iter().filter(|s| indegree[s] == 0).copied().collect();
    ready.sort_by_key(|s| std::cmp::Reverse((s.change, s.phase == Phase::Apply)));
    let mut tasks = tokio::task::JoinSet::new();
    let mut errors = Vec::new();
    let mut applied = 0;
    let mut failed: HashSet<StepId> = HashSet::new();
    let mut done: HashSet<StepId> = HashSet::new();
    let mut sink_broken = false;
    loop {
        while !options.cancel.is_requested() && !sink_broken {
            let Some(step) = ready.pop() else { break };
            let ctx = StepContext {
                shared: shared.clone(),
                registry: registry.clone(),
                changes: changes.clone(),
                sink: sink.clone(),
                observer: observer.clone(),
                provisioners: options.provisioners.clone(),
                global: global.clone(),
                seq: seq.clone(),
                checkpoint_every: options.checkpoint_every,
            };
            tasks.spawn(async move {
                let result = run_step(&ctx, step).await;
                (step, result)
            });
        }
        let Some(joined) = tasks.join_next().await else {
            break;
        };
        let (step, result) = match joined {
            Ok(x) => x,
            Err(e) => {
                errors.push(EngineError::new(format!(
                    "an apply task failed unexpectedly: {e}"
                )));
                continue;
            }
        };
        done.insert(step);
        match result {
            Ok(()) => {
                applied += 1;
                for next in after.get(&step).cloned().unwrap_or_default() {
                    let n = indegree.get_mut(&next).expect("known step");
                    *n -= 1;
                    if *n == 0 && !failed.contains(&next) {
                        ready.push(next);
                    }
                }
            }
            Err(StepError::Sink(e)) => {
                sink_broken = true;
                errors.push(e);
                failed.insert(step);
            }
            Err(StepError::Engine(e)) => {
                errors.push(e);
                // Nothing that depends on a failed step runs; independent branches go on.
                let mut stack = vec![step];
                while let Some(s) = stack.pop() {
                    for next in after.get(&s).cloned().unwrap_or_default() {
                        if failed.insert(next) {
                            stack.push(next);
                        }
                    }
                }
            }
        }
    }
    let skipped = steps.len() - done.len();
    let cancelled = options.cancel.is_requested();
    // Every task has been joined: nothing else holds the lock now.
    let mut shared = shared.lock().unwrap_or_else(|e| e.into_inner());
    let complete = errors.is_empty() && skipped == 0;
    if !destroy {
        update_outputs(&mut shared, complete, &mut errors);
    } else if complete {
        // Everything is gone, so are the outputs; a partial destroy keeps them.
        shared.state.outputs.clear();
    }
    if let Err(e) = sink.checkpoint(&shared.state) {
        errors.push(EngineError::new(format!("saving state: {e}")));
    }
    ApplyReport {
        state: shared.state.clone(),
        errors: Errors(errors),
        applied,
        skipped,
        cancelled,
    }
}

/// Root outputs into state: all of them after a complete apply, the known ones otherwise.
fn update_outputs(shared: &mut Shared, complete: bool, errors: &mut Vec<EngineError>) {
    let config = shared.world.config.clone();
    let Some(root) = config.modules.first() else {
        return;
    };
    let names: Vec<String> = root.outputs.iter().map(|o| o.name.clone()).collect();
    shared.state.outputs.retain(|name, _| names.contains(name));
    for output in &root.outputs {
        match shared
            .world
            .node(&(ModuleInstance::root(), NodeKey::Output(output.name.clone())))
            .and_then(|(value, _)| crate::marks::root_output(output, value))
        {
            Ok(value) if value.is_known() => {
                // A value derived from a sensitive one is saved as sensitive, declared or not.
                let sensitive = output.sensitive || value.is_sensitive();
                shared.state.outputs.insert(
                    output.name.clone(),
                    OutputState {
                        value: value.to_json(),
                        sensitive,
                    },
                );
            }
            Ok(_) => {}
            Err(e) if complete => errors.push(e),
            Err(_) => {}
        }
    }
}

struct StepContext {
    shared: Arc<Mutex<Shared>>,
    registry: Arc<ProviderRegistry>,
    changes: Arc<Vec<ResourceChange>>,
    sink: Arc<dyn StateSink>,
    observer: Arc<dyn Observer>,
    provisioners: Option<Arc<dyn Provisioners>>,
    global: Arc<Semaphore>,
    seq: Arc<AtomicU64>,
    checkpoint_every: Duration,
}

enum StepError {
    /// The step failed; its dependents are skipped.
    Engine(EngineError),
    /// The journal or state could not be written: stop starting anything.
    Sink(EngineError),
}

impl From<EngineError> for StepError {
    fn from(e: EngineError) -> Self {
        StepError::Engine(e)
    }
}

impl StepContext {
    fn lock(&self) -> std::sync::MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// What an instance's configuration evaluates to now, and the provider to apply it with.
struct Prepared {
    config: Option<Value>,
    configured: Configured,
    prior: Option<Value>,
    location: Option<skel_plan_ir::SourceLocation>,
    provisioners: Vec<(skel_plan_ir::Provisioner, Value, Option<Value>)>,
}

fn prepare(
    ctx: &StepContext,
    change: &ResourceChange,
    phase: Phase,
) -> Result<Prepared, EngineError> {
    let addr = &change.addr;
    let mut shared = ctx.lock();
    let Shared {
        world,
        providers,
        state,
        ..
    } = &mut *shared;
    let prior = match (phase, &change.prior) {
        (Phase::Destroy, Some(p)) => Some(typed_state(addr, p)?),
        (Phase::Apply, _) if change.action.is_replace() => None,
        (Phase::Apply, _) => state
            .resources
            .get(addr)
            .map(|s| typed_state(addr, &s.attributes))
            .transpose()?,
        _ => None,
    };
    let mi = &addr.resource.module;
    let rc = world.instances.get(mi).and_then(|i| {
        world.config.modules[i.module]
            .resources
            .iter()
            .find(|r| {
                r.mode == addr.resource.mode
                    && r.type_name == addr.resource.type_name
                    && r.name == addr.resource.name
            })
            .cloned()
    });
    let configured = match &rc {
        Some(rc) if phase == Phase::Apply => {
            let site = resolve(world, mi, &rc.provider)?;
            providers.get(world, &ctx.registry, &site)?
        }
        _ => configured_from_key(world, providers, &ctx.registry, &change.provider)?,
    };
    let Some(rc) =
        rc.filter(|_| phase == Phase::Apply || change.action != Action::Delete || !change.deposed)
    else {
        return Ok(Prepared {
            config: None,
            configured,
            prior,
            location: None,
            provisioners: Vec::new(),
        });
    };
    if phase == Phase::Destroy {
        // Destroy-time provisioners, with `self` bound to the object being destroyed.
        let mut provs = Vec::new();
        if let Some(p) = &prior {
            for prov in rc.provisioners.iter().filter(|p| p.when_destroy) {
                // `self` carries the marks state recorded for the object, and its schema's.
                let marked = crate::marks::mark_schema(
                    p.clone()
                        .mark_paths(&change.prior_sensitive_paths, skel_value::Marks::SENSITIVE),
                    &schema_for(addr.resource.mode, &addr.resource.type_name)?.block,
                );
                provs.push(evaluate_provisioner(world, mi, &rc, prov, marked)?);
            }
        }
        return Ok(Prepared {
            config: None,
            configured,
            prior,
            location: Some(rc.location.clone()),
            provisioners: provs,
        });
    }
    let schema = schema_for(addr.resource.mode, &addr.resource.type_name)?;
    let key = (
        mi.clone(),
        addr.resource.mode,
        addr.resource.type_name.clone(),
        addr.resource.name.clone(),
    );
    let mut each = world.resources.get(&key).and_then(|e| {
        e.keys
            .iter()
            .find(|(k, _)| *k == addr.key)
            .and_then(|(_, v)| v.clone())
    });
    // `each.value` may have held values unknown at plan time (a map of resources being
    // created): evaluate `for_each` again now that they are known.
    if each.as_ref().is_some_and(|v| !v.is_known()) {
        if let Ok((_, keys)) = world.expand(
            mi,
            &rc.references,
            None,
            rc.for_each.as_ref(),
            &addr.to_string(),
        ) {
            each = keys
                .into_iter()
                .find(|(k, _)| *k == addr.key)
                .and_then(|(_, v)| v);
        }
    }
    let repeat = (!addr.key.is_none()).then_some(Repeat {
        key: &addr.key,
        each_value: each.as_ref(),
    });
    let (scope, _, _) = world
        .scope(mi, &rc.references, repeat, None)
        .map_err(|e| e.at(addr.to_string(), Some(&rc.location)))?;
    let config = crate::body::eval_body(&rc.body, &schema.block, &scope, &world.context(mi))
        .map_err(|e| EngineError::new(e.message).at(addr.to_string(), Some(&rc.location)))?;
    Ok(Prepared {
        config: Some(config),
        configured,
        prior,
        location: Some(rc.location.clone()),
        provisioners: Vec::new(),
    })
}

fn evaluate_provisioner(
    world: &mut World,
    mi: &ModuleInstance,
    rc: &skel_plan_ir::ResourceConfig,
    prov: &skel_plan_ir::Provisioner,
    self_value: Value,
) -> Result<(skel_plan_ir::Provisioner, Value, Option<Value>), EngineError> {
    let (scope, _, _) = world.scope(mi, &rc.references, None, Some(self_value))?;
    let ctx = world.context(mi);
    let schema = skel_schema::provisioner_schema(&prov.kind)
        .ok_or_else(|| EngineError::new(format!("unknown provisioner `{}`", prov.kind)))?;
    // `when` and `on_failure` are keywords the lowering already read, not values.
    let mut body = prov.body.clone();
    body.items.retain(|i| !matches!(i, skel_syntax::Item::Attribute(a) if matches!(a.name.name.as_str(), "when" | "on_failure")));
    let args = crate::body::eval_body(&body, schema, &scope, &ctx)
        .map_err(|e| EngineError::new(format!("provisioner `{}`: {}", prov.kind, e.message)))?;
    let connection = match prov.connection.as_ref().or(rc.connection.as_ref()) {
        Some(body) => Some(
            crate::body::eval_body(body, skel_schema::connection_schema(), &scope, &ctx)
                .map_err(|e| EngineError::new(format!("connection: {}", e.message)))?,
        ),
        None => None,
    };
    Ok((prov.clone(), args, connection))
}

/// Whether the final planned value agrees with what the plan showed: every value known in the
/// plan must be the same now.
fn compatible(planned: &Value, actual: &Value, path: &mut Vec<String>) -> Result<(), String> {
    match (planned, actual) {
        (Value::Unknown(_), _) => Ok(()),
        (Value::Object(a) | Value::Map(a), Value::Object(b) | Value::Map(b)) => {
            for (k, v) in a {
                path.push(k.clone());
                let other = b.get(k).unwrap_or(&Value::Null);
                compatible(v, other, path)?;
                path.pop();
            }
            Ok(())
        }
        (Value::List(a) | Value::Tuple(a), Value::List(b) | Value::Tuple(b))
            if a.len() == b.len() =>
        {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                path.push(i.to_string());
                compatible(x, y, path)?;
                path.pop();
            }
            Ok(())
        }
        (a, b) if a == b => Ok(()),
        // Sets with unknown elements cannot be matched element by element.
        (Value::Set(a), Value::Set(_)) if a.iter().any(|v| !v.is_known()) => Ok(()),
        _ => Err(if path.is_empty() {
            "the object".to_string()
        } else {
            format!("`{}`", path.join("."))
        }),
    }
}

async fn run_step(ctx: &StepContext, step: StepId) -> Result<(), StepError> {
    let change = &ctx.changes[step.change];
    let addr = &change.addr;
    ctx.observer.instance_started(addr, change.action);
    let result = run_step_inner(ctx, step, change).await;
    let message = match &result {
        Err(StepError::Engine(e)) | Err(StepError::Sink(e)) => Some(e.message.clone()),
        Ok(()) => None,
    };
    ctx.observer
        .instance_finished(addr, change.action, message.as_deref());
    result
}

async fn run_step_inner(
    ctx: &StepContext,
    step: StepId,
    change: &ResourceChange,
) -> Result<(), StepError> {
    let addr = &change.addr;
    let at = |e: EngineError, loc: &Option<skel_plan_ir::SourceLocation>| {
        e.at(addr.to_string(), loc.as_ref())
    };
    let prepared = prepare(ctx, change, step.phase).map_err(|e| {
        StepError::Engine(if e.address.is_none() {
            e.at(addr.to_string(), None)
        } else {
            e
        })
    })?;
    let Prepared {
        config,
        configured,
        prior,
        location,
        provisioners,
    } = prepared;
    let _global = ctx
        .global
        .acquire()
        .await
        .map_err(|_| at(EngineError::new("cancelled"), &location))?;
    let _limit = match &configured.limit {
        Some(s) => Some(
            s.acquire()
                .await
                .map_err(|_| at(EngineError::new("cancelled"), &location))?,
        ),
        None => None,
    };
    let seq = ctx.seq.fetch_add(1, Ordering::SeqCst);
    let sink = |r: Result<(), String>| {
        r.map_err(|e| {
            StepError::Sink(at(
                EngineError::new(format!("writing the journal: {e}")),
                &location,
            ))
        })
    };

    if step.phase == Phase::Destroy {
        for (prov, args, connection) in &provisioners {
            run_provisioner(ctx, addr, prov, args, connection.as_ref())
                .await
                .map_err(|e| at(e, &location))?;
        }
        sink(ctx.sink.intent(
            seq,
            change,
            Phase::Destroy,
            IntentInfo {
                durable: configured.provider.external(&addr.resource.type_name),
                ..IntentInfo::default()
            },
        ))?;
        let outcome = configured
            .provider
            .apply(ApplyRequest {
                type_name: &addr.resource.type_name,
                prior: prior.as_ref(),
                planned: None,
                address: &addr.to_string(),
                token: None,
            })
            .await;
        fault::point("engine", &addr.resource.type_name, When::After);
        match outcome {
            Ok(_) => {
                sink(ctx.sink.result(seq, addr, Ok(None), false))?;
                let mut shared = ctx.lock();
                if change.deposed || change.action == Action::CreateThenDelete {
                    if let Some(entry) = shared.state.resources.get_mut(addr) {
                        if let Some(old) = &change.prior {
                            entry.deposed.retain(|d| d != old);
                        }
                    }
                } else {
                    shared.state.resources.remove(addr);
                }
                maybe_checkpoint(ctx, &mut shared)?;
                Ok(())
            }
            Err(e) => {
                // The object's sensitive attributes, as state recorded them, are not repeated.
                let marked = prior
                    .clone()
                    .unwrap_or(Value::Null)
                    .mark_paths(&change.prior_sensitive_paths, skel_value::Marks::SENSITIVE);
                let message = crate::marks::scrub(&e.to_string(), &marked);
                sink(ctx.sink.result(seq, addr, Err(&message), false))?;
                Err(StepError::Engine(at(
                    EngineError::new(format!("deleting: {message}")),
                    &location,
                )))
            }
        }
    } else {
        let config = config.ok_or_else(|| {
            at(
                EngineError::new("this instance is no longer in the configuration"),
                &location,
            )
        })?;
        let schema = schema_for(addr.resource.mode, &addr.resource.type_name)
            .map_err(|e| at(e, &location))?;
        crate::marks::persistable(&config).map_err(|e| at(e, &location))?;
        // Providers see plain values; the marks come back on what they return, by path.
        let split = crate::marks::Split::new(config);
        let (config, config_paths) = (&split.plain, &split.paths);
        let scrub = |message: String| split.scrub(&message);
        if change.action == Action::Read {
            let value = configured
                .provider
                .read_data(&addr.resource.type_name, config)
                .await
                .map_err(|e| {
                    at(
                        EngineError::new(scrub(format!("reading data source: {e}"))),
                        &location,
                    )
                })?;
            let (value, _) = crate::marks::remark(value, config_paths, &schema.block);
            ctx.lock().world.set_instance_value(addr, value);
            return Ok(());
        }
        let response = configured
            .provider
            .plan(PlanRequest {
                type_name: &addr.resource.type_name,
                prior: prior.as_ref(),
                config,
            })
            .await
            .map_err(|e| at(EngineError::new(scrub(format!("planning: {e}"))), &location))?;
        if let Some(planned) = &change.planned {
            if let Err(path) = compatible(planned, &response.planned, &mut Vec::new()) {
                return Err(StepError::Engine(at(
                    EngineError::new(format!("the provider's final plan differs from the plan that was shown: {path} changed")).with_help("run the plan again and review it"),
                    &location,
                )));
            }
        }
        let mut journaled = change.clone();
        journaled.planned = Some(response.planned.clone());
        // A create gets an idempotency token before anything is sent: journaled with the
        // intent, sent with the call, so recovery can find exactly what the call made.
        let token = prior.is_none().then(|| uuid::Uuid::new_v4().to_string());
        let has_provisioners = prior.is_none()
            && resource_config(&ctx.lock().world, addr)
                .is_some_and(|rc| rc.provisioners.iter().any(|p| !p.when_destroy));
        sink(ctx.sink.intent(
            seq,
            &journaled,
            Phase::Apply,
            IntentInfo {
                durable: configured.provider.external(&addr.resource.type_name),
                token: token.as_deref(),
                provisioners: has_provisioners,
            },
        ))?;
        let outcome = configured
            .provider
            .apply(ApplyRequest {
                type_name: &addr.resource.type_name,
                prior: prior.as_ref(),
                planned: Some(&response.planned),
                address: &addr.to_string(),
                token: token.as_deref(),
            })
            .await;
        fault::point("engine", &addr.resource.type_name, When::After);
        let verb = if prior.is_some() {
            "updating"
        } else {
            "creating"
        };
        // A change made whose object did not become ready: recorded like a success (a create
        // as tainted), then reported.
        let (new, not_ready) = match outcome {
            Ok(v) => (v, None),
            Err(ProviderError::NotReady { object, message }) => (*object, Some(message)),
            Err(e) => {
                let message = scrub(e.to_string());
                sink(ctx.sink.result(seq, addr, Err(&message), false))?;
                return Err(StepError::Engine(at(
                    EngineError::new(with_verb(verb, &message)),
                    &location,
                )));
            }
        };
        let not_ready = not_ready.map(scrub);
        let new_json = new.to_json();
        // What the configuration and the schema mark, for the world and the state.
        let (marked_new, sensitive_paths) =
            crate::marks::remark(new.clone(), config_paths, &schema.block);
        // Until a new object is ready and its creation provisioners have run, the journal
        // records it as tainted: a crash before then recovers it as tainted (to be replaced),
        // never as a finished object.
        let provisioned = has_provisioners && not_ready.is_none();
        let journal_tainted = (not_ready.is_some() && prior.is_none()) || provisioned;
        sink(
            ctx.sink
                .result(seq, addr, Ok(Some(&new_json)), journal_tainted),
        )?;
        let finished_json = provisioned.then(|| new_json.clone());
        let consistent = compatible(&response.planned, &new, &mut Vec::new());
        // An object whose creation provisioners have not all run is tainted in state too, until
        // they have: whatever stops them (a failure, a panic, an error evaluating their
        // arguments, a crash) leaves it to be replaced, never taken for complete.
        let status = if (not_ready.is_some() && prior.is_none()) || provisioned {
            InstanceStatus::Tainted
        } else {
            InstanceStatus::Ready
        };
        {
            let mut shared = ctx.lock();
            let old = shared.state.resources.get(addr).cloned();
            let mut deposed = old.as_ref().map(|o| o.deposed.clone()).unwrap_or_default();
            if change.action == Action::CreateThenDelete {
                if let Some(old) = &change.prior {
                    deposed.push(old.clone());
                }
            }
            shared.state.resources.insert(
                addr.clone(),
                ResourceInstanceState {
                    provider: change.provider.clone(),
                    attributes: new_json,
                    sensitive_paths,
                    dependencies: change
                        .dependencies
                        .iter()
                        .map(ToString::to_string)
                        .collect(),
                    create_before_destroy: change.action == Action::CreateThenDelete,
                    status,
                    deposed,
                },
            );
            shared.world.set_instance_value(addr, marked_new.clone());
            if not_ready.is_some() {
                // The journal has the taint too; the state file gets it at once all the same.
                checkpoint_now(ctx, &mut shared)?;
            } else {
                maybe_checkpoint(ctx, &mut shared)?;
            }
        }
        if let Some(message) = not_ready {
            let what = if prior.is_none() {
                "the object was created and is recorded in state as tainted: it will be replaced on the next apply"
            } else {
                "the object was changed and its new state is recorded"
            };
            return Err(StepError::Engine(at(
                EngineError::new(format!("{}\n{what}", with_verb(verb, &message))),
                &location,
            )));
        }
        if let Err(path) = consistent {
            return Err(StepError::Engine(at(EngineError::new(format!("the provider returned a result that differs from its plan at {path} (a provider bug); the new object is recorded in state")), &location)));
        }
        if prior.is_none() {
            let provs = {
                let mut shared = ctx.lock();
                let Shared { world, .. } = &mut *shared;
                let mi = addr.resource.module.clone();
                let rc = resource_config(world, addr).cloned();
                let mut provs = Vec::new();
                if let Some(rc) = rc {
                    for prov in rc.provisioners.iter().filter(|p| !p.when_destroy) {
                        provs.push(
                            evaluate_provisioner(world, &mi, &rc, prov, marked_new.clone())
                                .map_err(|e| at(e, &location))?,
                        );
                    }
                }
                provs
            };
            for (prov, args, connection) in &provs {
                if let Err(e) = run_provisioner(ctx, addr, prov, args, connection.as_ref()).await {
                    if prov.on_failure_continue {
                        ctx.observer.note(&format!(
                            "{addr}: provisioner `{}` failed and `on_failure = continue`: {}",
                            prov.kind, e.message
                        ));
                        continue;
                    }
                    let mut shared = ctx.lock();
                    if let Some(entry) = shared.state.resources.get_mut(addr) {
                        entry.status = InstanceStatus::Tainted;
                    }
                    checkpoint_now(ctx, &mut shared)?;
                    return Err(StepError::Engine(at(EngineError::new(format!("{}; the resource is marked tainted and will be replaced on the next apply", e.message)), &location)));
                }
            }
            if let Some(finished) = &finished_json {
                // Every provisioner ran: the object is complete.
                sink(ctx.sink.result(seq, addr, Ok(Some(finished)), false))?;
                let mut shared = ctx.lock();
                if let Some(entry) = shared.state.resources.get_mut(addr) {
                    entry.status = InstanceStatus::Ready;
                }
                maybe_checkpoint(ctx, &mut shared)?;
            }
        }
        Ok(())
    }
}

/// The configuration of the managed resource `addr` is an instance of (for its provisioners).
fn resource_config<'w>(
    world: &'w World,
    addr: &InstanceAddr,
) -> Option<&'w skel_plan_ir::ResourceConfig> {
    let i = world.instances.get(&addr.resource.module)?;
    world.config.modules[i.module].resources.iter().find(|r| {
        r.mode == ResourceMode::Managed
            && r.type_name == addr.resource.type_name
            && r.name == addr.resource.name
    })
}

async fn run_provisioner(
    ctx: &StepContext,
    addr: &InstanceAddr,
    prov: &skel_plan_ir::Provisioner,
    args: &Value,
    connection: Option<&Value>,
) -> Result<(), EngineError> {
    let Some(runner) = &ctx.provisioners else {
        return Err(EngineError::new(format!(
            "provisioner `{}` is not available in this build",
            prov.kind
        )));
    };
    let observer = ctx.observer.clone();
    let addr_for_output = addr.clone();
    // A provisioner whose configuration holds a sensitive value may print it in any form (a
    // line at a time, encoded, …): its output is not shown at all, as in Terraform. (The
    // connection's secrets, a password or a key, are not something it prints.)
    let hidden = args.is_sensitive();
    let plain_args = args.unmarked_deep().into_owned();
    let plain_connection = connection.map(|c| c.unmarked_deep().into_owned());
    if hidden {
        observer.provisioner_output(addr, "(output suppressed due to sensitive value in config)");
    }
    let output = move |line: &str| {
        if !hidden {
            observer.provisioner_output(&addr_for_output, line)
        }
    };
    // On a task of its own, so a provisioner that panics is a failed provisioner (its resource
    // tainted) rather than a lost apply step.
    let runner = runner.clone();
    let kind = prov.kind.clone();
    let joined = tokio::spawn(async move {
        runner
            .run(&kind, &plain_args, plain_connection.as_ref(), &output)
            .await
            .map_err(|e| e.to_string())
    })
    .await;
    let failure = match joined {
        Ok(Ok(())) => return Ok(()),
        Ok(Err(_)) if hidden => {
            "its configuration holds a sensitive value, so its error output is not shown"
                .to_string()
        }
        Ok(Err(message)) => message,
        Err(e) if e.is_panic() => "it stopped unexpectedly (an internal error)".to_string(),
        Err(e) => e.to_string(),
    };
    Err(
        EngineError::new(format!("provisioner `{}` failed: {failure}", prov.kind))
            .at(addr.to_string(), Some(&prov.location)),
    )
}

fn maybe_checkpoint(ctx: &StepContext, shared: &mut Shared) -> Result<(), StepError> {
    if shared.last_checkpoint.elapsed() >= ctx.checkpoint_every {
        checkpoint_now(ctx, shared)?;
    }
    Ok(())
}

/// Persist the state at once (a taint must not wait for the next checkpoint: recovering from
/// the journal alone would bring the object back as ready).
fn checkpoint_now(ctx: &StepContext, shared: &mut Shared) -> Result<(), StepError> {
    ctx.sink
        .checkpoint(&shared.state)
        .map_err(|e| StepError::Sink(EngineError::new(format!("saving state: {e}"))))?;
    shared.last_checkpoint = Instant::now();
    Ok(())
}

/// `verb: message`, unless the provider's message already says what it was doing
/// ("creating aws_subnet …"): the error reads once, not "creating: creating …".
fn with_verb(verb: &str, message: &str) -> String {
    if message.starts_with(verb) {
        message.to_string()
    } else {
        format!("{verb}: {message}")
    }
}
