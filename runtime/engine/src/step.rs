//! One step of the apply walk: the instance's configuration evaluated again with the values
//! its dependencies really got, then a function per kind of step (a delete, a data source
//! read, a create or update, a new object's creation provisioners), each journaling every
//! provider call before and after it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use skel_plan_ir::{
    Action, InstanceAddr, InstanceStatus, ModuleInstance, ResourceChange, ResourceInstanceState,
};
use skel_provider::fault::{self, When};
use skel_provider::{ApplyRequest, PlanRequest, ProviderError};
use skel_value::Value;
use tokio::sync::Semaphore;

use crate::apply::{Shared, StepId};
use crate::plan::{schema_for, typed_state};
use crate::providers::{configured_from_key, resolve, Configured, ProviderRegistry};
use crate::traits::{IntentInfo, Observer, Phase, Provisioners, SinkError, StateSink};
use crate::world::{Repeat, World};
use crate::EngineError;

/// What a step needs of the walk.
pub(crate) struct StepContext {
    pub shared: Arc<Mutex<Shared>>,
    pub registry: Arc<ProviderRegistry>,
    pub changes: Arc<Vec<ResourceChange>>,
    pub sink: Arc<dyn StateSink>,
    pub observer: Arc<dyn Observer>,
    pub provisioners: Option<Arc<dyn Provisioners>>,
    pub global: Arc<Semaphore>,
    pub cancel: Arc<crate::apply::Cancel>,
    pub seq: Arc<AtomicU64>,
    pub checkpoint_every: Duration,
}

pub(crate) enum StepError {
    /// The step failed; its dependents are skipped.
    Engine(EngineError),
    /// The journal or state could not be written: stop starting anything.
    Sink(EngineError),
    /// Cancellation came while the step waited for its turn: it never started.
    NotStarted,
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
    let rc = resource_config(world, addr).cloned();
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
    let mut each = each_value(world, addr);
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
        .map_err(|e| EngineError::evaluation(e.message).at(addr.to_string(), Some(&rc.location)))?;
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
    let args = crate::body::eval_body(&body, schema, &scope, &ctx).map_err(|e| {
        EngineError::evaluation(format!("provisioner `{}`: {}", prov.kind, e.message))
    })?;
    let connection = match prov.connection.as_ref().or(rc.connection.as_ref()) {
        Some(body) => Some(
            crate::body::eval_body(body, skel_schema::connection_schema(), &scope, &ctx)
                .map_err(|e| EngineError::evaluation(format!("connection: {}", e.message)))?,
        ),
        None => None,
    };
    Ok((prov.clone(), args, connection))
}

/// Where a final value differs from the one the plan showed: the attribute path, empty for the
/// whole object. Shown as `` `a.0.b` `` or `the object`.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", place(.path))]
struct Mismatch {
    path: Vec<String>,
}

fn place(path: &[String]) -> String {
    if path.is_empty() {
        "the object".to_string()
    } else {
        format!("`{}`", path.join("."))
    }
}

/// Whether the final planned value agrees with what the plan showed: every value known in the
/// plan must be the same now.
fn compatible(planned: &Value, actual: &Value, path: &mut Vec<String>) -> Result<(), Mismatch> {
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
        _ => Err(Mismatch { path: path.clone() }),
    }
}

pub(crate) async fn run_step(ctx: &StepContext, step: StepId) -> Result<(), StepError> {
    let change = &ctx.changes[step.change];
    let addr = &change.addr;
    // A step spawned before a Ctrl-C waits here for a slot; once it has one, it starts only if
    // nobody asked to stop in the meantime ("starts nothing new" holds for queued steps too).
    let Ok(_global) = ctx.global.acquire().await else {
        return Err(StepError::NotStarted);
    };
    if ctx.cancel.is_requested() {
        return Err(StepError::NotStarted);
    }
    ctx.observer.instance_started(addr, change.action);
    let result = run_step_inner(ctx, step, change).await;
    let message = match &result {
        Err(StepError::Engine(e)) | Err(StepError::Sink(e)) => Some(e.message.clone()),
        Err(StepError::NotStarted) | Ok(()) => None,
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
    let cancelled = || EngineError::new("cancelled").at(addr.to_string(), location.as_ref());
    // The permit borrows the semaphore, not `configured` (which the step takes).
    let limit = configured.limit.clone();
    let _limit = match &limit {
        Some(s) => Some(s.acquire().await.map_err(|_| cancelled())?),
        None => None,
    };
    let s = Step {
        ctx,
        change,
        seq: ctx.seq.fetch_add(1, Ordering::SeqCst),
        location,
        configured,
    };
    if step.phase == Phase::Destroy {
        return destroy(&s, prior, &provisioners).await;
    }
    let config = config.ok_or_else(|| {
        s.at(EngineError::new(
            "this instance is no longer in the configuration",
        ))
    })?;
    let schema = schema_for(addr.resource.mode, &addr.resource.type_name).map_err(|e| s.at(e))?;
    crate::marks::persistable(&config).map_err(|e| s.at(e))?;
    // Providers see plain values; the marks come back on what they return, by path.
    let split = crate::marks::Split::new(config);
    if change.action == Action::Read {
        read_data(&s, &split, schema).await
    } else {
        create_or_update(&s, prior, &split, schema).await
    }
}

/// One step under way: its change, its journal sequence number, the block it comes from and
/// the provider that carries it out.
struct Step<'a> {
    ctx: &'a StepContext,
    change: &'a ResourceChange,
    seq: u64,
    location: Option<skel_plan_ir::SourceLocation>,
    configured: Configured,
}

impl Step<'_> {
    fn addr(&self) -> &InstanceAddr {
        &self.change.addr
    }

    /// `e` about this instance, at its block.
    fn at(&self, e: EngineError) -> EngineError {
        e.at(self.change.addr.to_string(), self.location.as_ref())
    }

    /// A journal write's result: a failure stops the walk.
    fn sink(&self, r: Result<(), SinkError>) -> Result<(), StepError> {
        r.map_err(|e| {
            StepError::Sink(self.at(EngineError::new(format!("writing the journal: {e}"))))
        })
    }

    /// Whether the provider's objects of this type exist outside skel (the intent must be on
    /// disk before the call).
    fn durable(&self) -> bool {
        self.configured
            .provider
            .external(&self.change.addr.resource.type_name)
    }
}

/// A delete (or the delete half of a replacement): destroy-time provisioners, then the
/// provider's delete, journaled before and after.
async fn destroy(
    s: &Step<'_>,
    prior: Option<Value>,
    provisioners: &[(skel_plan_ir::Provisioner, Value, Option<Value>)],
) -> Result<(), StepError> {
    let (ctx, change, addr) = (s.ctx, s.change, s.addr());
    for (prov, args, connection) in provisioners {
        run_provisioner(ctx, addr, prov, args, connection.as_ref())
            .await
            .map_err(|e| s.at(e))?;
    }
    s.sink(ctx.sink.intent(
        s.seq,
        change,
        Phase::Destroy,
        IntentInfo {
            durable: s.durable(),
            ..IntentInfo::default()
        },
    ))?;
    // A deposed object's private data is not kept (only the current object's is).
    let prior_private = if change.deposed || change.action == Action::CreateThenDelete {
        None
    } else {
        crate::private::of(ctx.lock().state.resources.get(addr))
    };
    let outcome = s
        .configured
        .provider
        .apply_private(
            ApplyRequest {
                type_name: &addr.resource.type_name,
                prior: prior.as_ref(),
                planned: None,
                address: &addr.to_string(),
                token: None,
            },
            prior_private,
        )
        .await;
    fault::point("engine", &addr.resource.type_name, When::After);
    match outcome {
        Ok(_) => {
            s.sink(ctx.sink.result(s.seq, addr, Ok(None), false))?;
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
                .unwrap_or(Value::Null)
                .mark_paths(&change.prior_sensitive_paths, skel_value::Marks::SENSITIVE);
            let message = crate::marks::scrub(&e.to_string(), &marked);
            s.sink(ctx.sink.result(s.seq, addr, Err(&message), false))?;
            Err(StepError::Engine(
                s.at(EngineError::provider(format!("deleting: {message}"))),
            ))
        }
    }
}

/// A data source read during apply (its configuration held values known only now).
async fn read_data(
    s: &Step<'_>,
    split: &crate::marks::Split,
    schema: &skel_schema::ResourceSchema,
) -> Result<(), StepError> {
    let addr = s.addr();
    let value = s
        .configured
        .provider
        .read_data(&addr.resource.type_name, &split.plain)
        .await
        .map_err(|e| {
            s.at(EngineError::new(
                split.scrub(&format!("reading data source: {e}")),
            ))
        })?;
    let (value, _) = crate::marks::remark(value, &split.paths, &schema.block);
    s.ctx.lock().world.set_instance_value(addr, value.clone());
    postconditions(s, value)
}

/// A resource's or data source's postconditions once its object is known (after a create, an
/// update or a read at apply), with `self` bound to it: those that read values known only after
/// apply were left undecided by the plan and are decided here. A false one fails the step (and
/// so its dependents); the object stays in state, as in Terraform.
fn postconditions(s: &Step<'_>, value: Value) -> Result<(), StepError> {
    let addr = s.addr();
    let mut shared = s.ctx.lock();
    let world = &mut shared.world;
    let mi = &addr.resource.module;
    let Some((conditions, references)) = resource_config(world, addr)
        .filter(|r| !r.lifecycle.postconditions.is_empty())
        .map(|r| (r.lifecycle.postconditions.clone(), r.references.clone()))
    else {
        return Ok(());
    };
    let each = each_value(world, addr);
    let repeat = (!addr.key.is_none()).then_some(Repeat {
        key: &addr.key,
        each_value: each.as_ref(),
    });
    let (scope, _, _) = world
        .scope(mi, &references, repeat, Some(value))
        .map_err(|e| s.at(e))?;
    let ctx = world.context(mi);
    crate::conditions::check(
        &conditions,
        &scope,
        &ctx,
        "Resource postcondition",
        &addr.to_string(),
    )
    .map_err(StepError::Engine)
}

/// A create or update (or the create half of a replacement): the provider's final plan checked
/// against the shown one, the call journaled before and after, the new object into state and
/// the world, then the creation provisioners of a new object.
async fn create_or_update(
    s: &Step<'_>,
    prior: Option<Value>,
    split: &crate::marks::Split,
    schema: &skel_schema::ResourceSchema,
) -> Result<(), StepError> {
    let (ctx, change, addr) = (s.ctx, s.change, s.addr());
    let (config, config_paths) = (&split.plain, &split.paths);
    let scrub = |message: String| split.scrub(&message);
    let prior_private = match prior {
        Some(_) => crate::private::of(ctx.lock().state.resources.get(addr)),
        None => None,
    };
    let (response, planned_private) = s
        .configured
        .provider
        .plan_private(
            PlanRequest {
                type_name: &addr.resource.type_name,
                prior: prior.as_ref(),
                config,
            },
            prior_private,
        )
        .await
        .map_err(|e| s.at(EngineError::provider(scrub(format!("planning: {e}")))))?;
    if let Some(planned) = &change.planned {
        if let Err(path) = compatible(planned, &response.planned, &mut Vec::new()) {
            return Err(StepError::Engine(s.at(EngineError::new(format!("the provider's final plan differs from the plan that was shown: {path} changed")).with_help("run the plan again and review it"))));
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
    s.sink(ctx.sink.intent(
        s.seq,
        &journaled,
        Phase::Apply,
        IntentInfo {
            durable: s.durable(),
            token: token.as_deref(),
            provisioners: has_provisioners,
        },
    ))?;
    let outcome = s
        .configured
        .provider
        .apply_private(
            ApplyRequest {
                type_name: &addr.resource.type_name,
                prior: prior.as_ref(),
                planned: Some(&response.planned),
                address: &addr.to_string(),
                token: token.as_deref(),
            },
            planned_private,
        )
        .await;
    fault::point("engine", &addr.resource.type_name, When::After);
    let verb = if prior.is_some() {
        "updating"
    } else {
        "creating"
    };
    // A change made whose object did not become ready: recorded like a success (a create
    // as tainted), then reported.
    let (new, private, not_ready) = match outcome {
        Ok((v, private)) => (v, private, None),
        Err(ProviderError::NotReady { object, message }) => (*object, None, Some(message)),
        Err(e) => {
            let message = scrub(e.to_string());
            s.sink(ctx.sink.result(s.seq, addr, Err(&message), false))?;
            return Err(StepError::Engine(
                s.at(EngineError::provider(with_verb(verb, &message))),
            ));
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
    let private_text = crate::private::to_state(&private);
    // The schema version the new object is written under (a plugin's; none for built-ins).
    let schema_version = s
        .configured
        .provider
        .schema_version(&addr.resource.type_name)
        .await
        .ok()
        .flatten();
    s.sink(ctx.sink.result_private(
        s.seq,
        addr,
        Ok(Some(&new_json)),
        journal_tainted,
        private_text.as_deref(),
    ))?;
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
                private: private_text,
                schema_version,
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
        return Err(StepError::Engine(s.at(EngineError::new(format!(
            "{}\n{what}",
            with_verb(verb, &message)
        )))));
    }
    if let Err(path) = consistent {
        return Err(StepError::Engine(s.at(EngineError::new(format!("the provider returned a result that differs from its plan at {path} (a provider bug); the new object is recorded in state")))));
    }
    if prior.is_none() {
        creation_provisioners(s, marked_new.clone(), finished_json.as_ref()).await?;
    }
    postconditions(s, marked_new)
}

/// A new object's creation provisioners, with `self` bound to it. A failure (unless
/// `on_failure = continue`) leaves the object tainted; when all ran, a tainted journal record
/// (`finished`) is superseded by a complete one.
async fn creation_provisioners(
    s: &Step<'_>,
    marked_new: Value,
    finished: Option<&serde_json::Value>,
) -> Result<(), StepError> {
    let (ctx, addr) = (s.ctx, s.addr());
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
                        .map_err(|e| s.at(e))?,
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
            return Err(StepError::Engine(s.at(EngineError::new(format!(
                "{}; the resource is marked tainted and will be replaced on the next apply",
                e.message
            )))));
        }
    }
    if let Some(finished) = finished {
        // Every provisioner ran: the object is complete.
        let private = (ctx.lock().state.resources.get(addr)).and_then(|e| e.private.clone());
        s.sink(ctx.sink.result_private(
            s.seq,
            addr,
            Ok(Some(finished)),
            false,
            private.as_deref(),
        ))?;
        let mut shared = ctx.lock();
        if let Some(entry) = shared.state.resources.get_mut(addr) {
            entry.status = InstanceStatus::Ready;
        }
        maybe_checkpoint(ctx, &mut shared)?;
    }
    Ok(())
}

/// The `each.value` the plan recorded for instance `addr` (`None` without `for_each`).
fn each_value(world: &World, addr: &InstanceAddr) -> Option<Value> {
    let key = (
        addr.resource.module.clone(),
        addr.resource.mode,
        addr.resource.type_name.clone(),
        addr.resource.name.clone(),
    );
    world.resources.get(&key).and_then(|e| {
        e.keys
            .iter()
            .find(|(k, _)| *k == addr.key)
            .and_then(|(_, v)| v.clone())
    })
}

/// The configuration of the resource or data source `addr` is an instance of.
fn resource_config<'w>(
    world: &'w World,
    addr: &InstanceAddr,
) -> Option<&'w skel_plan_ir::ResourceConfig> {
    let i = world.instances.get(&addr.resource.module)?;
    world.resource(
        i.module,
        addr.resource.mode,
        &addr.resource.type_name,
        &addr.resource.name,
    )
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
        EngineError::provisioner(format!("provisioner `{}` failed: {failure}", prov.kind))
            .at(addr.to_string(), Some(&prov.location)),
    )
}

/// Persist the state when the checkpoint interval has passed: `checkpoint_every`, or ten
/// times what the last write took if that is longer (linear in the state's size, so writing
/// it every couple of seconds would make the apply quadratic).
fn maybe_checkpoint(ctx: &StepContext, shared: &mut Shared) -> Result<(), StepError> {
    let interval = ctx.checkpoint_every.max(shared.checkpoint_took * 10);
    if shared.last_checkpoint.elapsed() >= interval {
        checkpoint_now(ctx, shared)?;
    }
    Ok(())
}

/// Persist the state at once (a taint must not wait for the next checkpoint: recovering from
/// the journal alone would bring the object back as ready).
fn checkpoint_now(ctx: &StepContext, shared: &mut Shared) -> Result<(), StepError> {
    let started = Instant::now();
    ctx.sink
        .checkpoint(&shared.state)
        .map_err(|e| StepError::Sink(EngineError::new(format!("saving state: {e}"))))?;
    shared.last_checkpoint = Instant::now();
    shared.checkpoint_took = shared.last_checkpoint - started;
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
