//! Applying a change set: a dependency-ordered walk with bounded concurrency (a global limit and
//! per-provider limits) that keeps independent branches going when one fails. What one step
//! does (re-evaluation, the provider calls, the journal, provisioners) is in `step.rs`.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use skel_plan_ir::{Action, InstanceAddr, ModuleInstance, OutputState, ResourceChange, State};
use tokio::sync::Semaphore;

use crate::plan::Planned;
use crate::providers::{ProviderCache, ProviderRegistry};
use crate::step::{run_step, StepContext, StepError};
use crate::traits::{Observer, Phase, Provisioners, StateSink};
use crate::world::{NodeKey, World};
use crate::{EngineError, Errors};

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
    /// How often to persist state while applying (the journal covers the time between); at
    /// least ten times as long as the last write took, so a large state is not written over
    /// and over.
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
    /// The `check` blocks' assertions, evaluated against the applied objects.
    pub checks: Vec<crate::checks::CheckOutcome>,
}

/// What the walk's steps share: the world re-evaluated as objects are applied, the configured
/// providers and the state being built.
pub(crate) struct Shared {
    pub world: World,
    pub providers: ProviderCache,
    pub state: State,
    pub last_checkpoint: Instant,
    /// How long the last checkpoint took: the next waits at least ten times that, so writing
    /// a large state stays a small part of the apply (the journal covers the time between).
    pub checkpoint_took: Duration,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(crate) struct StepId {
    pub change: usize,
    pub phase: Phase,
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
    // Moves and forgets are one state edit, written before any provider call: the journal's
    // records then name the objects by the addresses the state has.
    let edited = changes.edits_state();
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
        checkpoint_took: Duration::ZERO,
    }));
    if edited {
        use skel_provider::fault::{point, When};
        let state = shared
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .state
            .clone();
        point("engine", "state-edit", When::Before);
        let written = sink.checkpoint(&state);
        point("engine", "state-edit", When::After);
        if let Err(e) = written {
            return ApplyReport {
                state,
                errors: Errors(vec![EngineError::new(format!("saving state: {e}"))]),
                applied: 0,
                skipped: steps.len(),
                cancelled: false,
                checks: Vec::new(),
            };
        }
    }
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
    // Steps are started only as slots come free: 50,000 ready steps spawned at once each held
    // a task and its future (121 MB of a 50,000-resource run) while waiting for a slot.
    let in_flight = options.parallelism.max(1).saturating_mul(2);
    loop {
        while !options.cancel.is_requested() && !sink_broken && tasks.len() < in_flight {
            let Some(step) = ready.pop() else { break };
            let ctx = StepContext {
                shared: shared.clone(),
                registry: registry.clone(),
                changes: changes.clone(),
                sink: sink.clone(),
                observer: observer.clone(),
                provisioners: options.provisioners.clone(),
                global: global.clone(),
                cancel: options.cancel.clone(),
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
        if matches!(result, Err(StepError::NotStarted)) {
            // Interrupted before it began: counted with the steps not started.
            continue;
        }
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
            Err(StepError::NotStarted) => {}
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
    let (state, taken) = {
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
        // `check` blocks are evaluated again against the applied objects (not after a
        // destroy): the world and providers are taken out of the lock for that.
        let taken = (!destroy && !cancelled).then(|| {
            let scratch = shared.world.scratch();
            (
                std::mem::replace(&mut shared.world, scratch),
                std::mem::take(&mut shared.providers),
            )
        });
        // The walk is over: the state is moved out, not copied (50,000 instances).
        let empty = State::new(shared.state.lineage.clone());
        let state = std::mem::replace(&mut shared.state, empty);
        (state, taken)
    };
    // What is left of the walk (the world, a large part of memory) is freed off this thread;
    // the providers (plugin processes) are closed here.
    let providers = std::mem::take(&mut shared.lock().unwrap_or_else(|e| e.into_inner()).providers);
    drop(providers);
    drop_in_background(shared);
    let checks = match taken {
        Some((mut world, mut providers)) => {
            let checks = crate::checks::evaluate(&mut world, &registry, &mut providers).await;
            drop(providers);
            drop_in_background(world);
            checks
        }
        None => Vec::new(),
    };
    ApplyReport {
        state,
        errors: Errors(errors),
        applied,
        skipped,
        cancelled,
        checks,
    }
}

/// Frees `value` on a thread of its own: dropping the world and state of 50,000 instances
/// takes a noticeable share of a run, and nothing waits for it. (If the thread cannot be
/// started, the value is dropped here, with the failed spawn's closure.)
pub(crate) fn drop_in_background<T: Send + 'static>(value: T) {
    let _ = std::thread::Builder::new()
        .name("skel-drop".into())
        .spawn(move || drop(value));
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
