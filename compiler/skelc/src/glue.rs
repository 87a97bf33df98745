//! Wiring the runtime for the commands that touch infrastructure: the provider registry, the
//! state store with its lock and journal (as the engine's `StateSink`), recovery of an
//! interrupted run, Ctrl-C handling, and the progress display.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::Context;
use skel_plan_ir::{Action, InstanceAddr, ResourceChange, State};
use skel_runtime::{Cancel, IntentInfo, Observer, Phase, ProviderRegistry, StateSink};
use skel_state::{
    Journal, JournalAction, JournalIntent, JournalResult, LockGuard, Outcome, StateStore,
};
use skel_value::Value;

pub fn registry() -> ProviderRegistry {
    #[allow(unused_mut)]
    let mut factories = skel_provider_builtin::factories();
    #[cfg(feature = "aws")]
    factories.extend(skel_provider_aws::factories());
    #[cfg(feature = "kubernetes")]
    factories.extend(skel_provider_kubernetes::factories());
    ProviderRegistry::new(factories)
}

/// A multi-threaded tokio runtime for one command.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// The state store of a root module directory, locked for `operation`, with its state read.
pub struct Locked {
    pub store: StateStore,
    pub lock: Arc<LockGuard>,
    pub state: State,
}

/// How long `lock_state` waits for a lock another process holds (`--lock-timeout`); set
/// once from the command line.
static LOCK_TIMEOUT: std::sync::OnceLock<std::time::Duration> = std::sync::OnceLock::new();

pub fn set_lock_timeout(timeout: Option<std::time::Duration>) {
    if let Some(t) = timeout {
        let _ = LOCK_TIMEOUT.set(t);
    }
}

/// Take the lock of `store`, waiting up to the `--lock-timeout` while another process
/// holds it.
fn lock_waiting(store: &StateStore, operation: &str) -> anyhow::Result<LockGuard> {
    let deadline = LOCK_TIMEOUT.get().map(|t| Instant::now() + *t);
    let mut said = false;
    loop {
        match store.lock(operation) {
            Err(skel_state::StateError::Locked { .. })
                if deadline.is_some_and(|d| Instant::now() < d) =>
            {
                if !said {
                    eprintln!("The state is locked by another run; waiting for it…");
                    said = true;
                }
                std::thread::sleep(std::time::Duration::from_millis(200));
            }
            other => return Ok(other?),
        }
    }
}

/// Lock `store` (see [`crate::encryption::store_for`]) and read its state.
pub fn lock_state(store: StateStore, operation: &str) -> anyhow::Result<Locked> {
    let lock = lock_waiting(&store, operation)?;
    if let Some(previous) = lock.taken_over() {
        eprintln!(
            "note: took over a lock left by a process that is gone ({}, pid {})",
            previous.who, previous.pid
        );
    }
    let state = store.read()?;
    Ok(Locked {
        store,
        lock: Arc::new(lock),
        state,
    })
}

/// Recover an interrupted run's journal, if there is one: read the affected objects back
/// through their providers, fold the answers into state, write it, and say what happened.
pub async fn recover(
    locked: &mut Locked,
    registry: &ProviderRegistry,
    project: &crate::project::Project,
) -> anyhow::Result<()> {
    let Some(pending) = locked.store.pending_journal()? else {
        return Ok(());
    };
    if pending.is_empty() {
        Journal::discard(&locked.lock)?;
        return Ok(());
    }
    eprintln!("An earlier run was interrupted; reconciling its journal with the real objects…");
    let plan = skel_state::reconcile_plan(&pending, &locked.state);
    let mut answers: BTreeMap<u64, Option<serde_json::Value>> = BTreeMap::new();
    for step in plan.iter().filter(|s| s.needs_provider()) {
        let intent = step.intent();
        let provider = provider_for(registry, project, &intent.provider)?;
        let type_name = &intent.addr.resource.type_name;
        let typed = |json: &Option<serde_json::Value>| -> Option<Value> {
            let schema = skel_schema::resource(type_name)?;
            json.as_ref().and_then(|j| {
                skel_value::convert(&Value::from_json(j), &schema.computed_object_type()).ok()
            })
        };
        let answer = match step {
            skel_state::Recovery::RecoverCreate { .. } => {
                // What was unknown at the call is unknown again: the provider fills it in from
                // the object it finds, instead of taking the journal's `null` for the value.
                let planned = typed(&intent.planned)
                    .map(|p| p.with_unknowns_at(&intent.unknown))
                    .unwrap_or(Value::Null);
                provider
                    .recover(skel_provider::RecoverRequest {
                        type_name,
                        planned: &planned,
                        address: &intent.addr.to_string(),
                        token: intent.token.as_deref(),
                    })
                    .await
            }
            _ => match typed(&intent.prior) {
                Some(prior) => provider.read(type_name, &prior).await,
                None => Ok(None),
            },
        };
        match answer {
            Ok(v) => {
                answers.insert(intent.seq, v.map(|v| v.to_json()));
            }
            Err(e) => {
                // A provider's message may quote the values it was given: scrub what the
                // journal recorded as sensitive, in the planned and the prior object.
                let mut message = e.to_string();
                for object in [&intent.planned, &intent.prior] {
                    if let Some(value) = typed(object) {
                        let marked =
                            value.mark_paths(&intent.sensitive_paths, skel_value::Marks::SENSITIVE);
                        message = skel_runtime::scrub_message(&message, &marked);
                    }
                }
                eprintln!(
                    "  {}: could not check with the provider: {message}",
                    intent.addr
                )
            }
        }
    }
    let report = skel_state::apply_recovered(&mut locked.state, &plan, &answers);
    for note in &report.notes {
        eprintln!("  {note}");
    }
    for orphan in &report.orphaned {
        eprintln!(
            "  {}: an old object may still exist outside state (provider {})",
            orphan.addr, orphan.provider
        );
    }
    locked.store.write(&locked.lock, &mut locked.state)?;
    if report.is_complete() {
        Journal::discard(&locked.lock)?;
        eprintln!("Recovered: state now accounts for every object the interrupted run touched.\n");
    } else {
        anyhow::bail!("recovery is incomplete for {} object(s); the journal is kept — check the provider's access and run the command again", report.unresolved.len());
    }
    Ok(())
}

/// The provider of a state key, configured from its `provider` block (a kubeconfig path, a
/// host, a region…) as the plan would.
fn provider_for(
    registry: &ProviderRegistry,
    project: &crate::project::Project,
    key: &str,
) -> anyhow::Result<Arc<dyn skel_provider::Provider>> {
    skel_runtime::configure_provider(project.config.clone(), &project.variables, registry, key)
        .map_err(|e| anyhow::anyhow!("configuring provider `{key}` to recover its objects: {e}"))
}

/// The engine's `StateSink`: a write-ahead journal plus periodic state writes.
pub struct JournalSink {
    store: StateStore,
    lock: Arc<LockGuard>,
    journal: Mutex<Option<Journal>>,
    /// The serial of the state file on disk.
    serial: Mutex<u64>,
}

impl JournalSink {
    pub fn begin(locked: &Locked) -> anyhow::Result<JournalSink> {
        let run_id = uuid::Uuid::new_v4().to_string();
        let journal = locked
            .store
            .begin_journal(&locked.lock, &run_id, &locked.state)?;
        Ok(JournalSink {
            store: locked.store.clone(),
            lock: locked.lock.clone(),
            journal: Mutex::new(Some(journal)),
            serial: Mutex::new(locked.state.serial),
        })
    }

    fn with_journal<T>(
        &self,
        f: impl FnOnce(&Journal) -> Result<T, skel_state::StateError>,
    ) -> Result<T, String> {
        let guard = self.journal.lock().unwrap_or_else(|e| e.into_inner());
        match guard.as_ref() {
            Some(j) => f(j).map_err(|e| e.to_string()),
            None => Err("the journal is closed".into()),
        }
    }

    /// After the final state write: the journal is no longer needed.
    pub fn commit(&self) -> anyhow::Result<()> {
        if let Some(journal) = self
            .journal
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        {
            journal.commit()?;
        }
        Ok(())
    }
}

impl StateSink for JournalSink {
    fn intent(
        &self,
        seq: u64,
        change: &ResourceChange,
        phase: Phase,
        info: IntentInfo<'_>,
    ) -> Result<(), String> {
        let action = match (phase, change.action) {
            (Phase::Destroy, _) => JournalAction::Delete,
            (Phase::Apply, Action::Read) => JournalAction::Read,
            (Phase::Apply, Action::Update) => JournalAction::Update,
            (Phase::Apply, _) => JournalAction::Create,
        };
        let intent = JournalIntent {
            seq,
            addr: change.addr.clone(),
            action,
            provider: change.provider.clone(),
            prior: change.prior.clone(),
            planned: if phase == Phase::Destroy {
                None
            } else {
                change.planned.as_ref().map(Value::to_json)
            },
            unknown: match (phase, &change.planned) {
                (Phase::Apply, Some(planned)) => planned.unknown_paths(),
                _ => Vec::new(),
            },
            token: info.token.map(str::to_string),
            provisioners: info.provisioners,
            deposed: (phase == Phase::Destroy && change.deposed)
                || (phase == Phase::Apply && change.action == Action::CreateThenDelete),
            sensitive_paths: change.sensitive_paths.clone(),
            dependencies: change
                .dependencies
                .iter()
                .map(ToString::to_string)
                .collect(),
        };
        self.with_journal(|j| {
            if info.durable {
                j.intent(&intent)
            } else {
                j.intent_volatile(&intent)
            }
        })
    }

    fn result(
        &self,
        seq: u64,
        addr: &InstanceAddr,
        outcome: Result<Option<&serde_json::Value>, &str>,
        tainted: bool,
    ) -> Result<(), String> {
        let outcome = match outcome {
            Ok(v) => Outcome::Ok {
                new_state: v.cloned(),
                tainted,
            },
            Err(message) => Outcome::Err {
                message: message.to_string(),
            },
        };
        self.with_journal(|j| {
            j.result(&JournalResult {
                seq,
                addr: addr.clone(),
                outcome,
            })
        })
    }

    fn checkpoint(&self, state: &State) -> Result<(), String> {
        let mut serial = self.serial.lock().unwrap_or_else(|e| e.into_inner());
        // The engine records each instance's sensitive paths from the marks of its values.
        let written = self
            .store
            .write_snapshot(&self.lock, state, *serial)
            .map_err(|e| e.to_string())?;
        *serial = written;
        self.with_journal(|j| j.checkpoint(written))
    }
}

/// Ctrl-C: the first stops new operations, the second exits at once (the journal stays
/// consistent: every call it has an intent for is reconciled by the next command).
pub fn install_ctrl_c(cancel: Arc<Cancel>) {
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("\nInterrupt received: starting nothing new, waiting for operations in flight to finish (Ctrl-C again to stop now)…");
            cancel.request();
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("Stopped. The next command will reconcile the journal.");
                std::process::exit(130);
            }
        }
    });
}

/// Progress: a live display on a terminal, timestamped lines otherwise.
pub struct Progress {
    start: Instant,
    live: Option<indicatif::MultiProgress>,
    bars: Mutex<BTreeMap<String, indicatif::ProgressBar>>,
    total: Mutex<Option<indicatif::ProgressBar>>,
}

/// Progress lines show addresses, actions and engine messages; the engine's messages never
/// hold a marked value (they format values with `{}`, which prints `(sensitive value)` for
/// one), and provisioner output is suppressed when its configuration holds one.
impl Progress {
    pub fn new() -> Progress {
        let live = std::io::stderr()
            .is_terminal()
            .then(indicatif::MultiProgress::new);
        Progress {
            start: Instant::now(),
            live,
            bars: Mutex::default(),
            total: Mutex::default(),
        }
    }

    fn line(&self, text: &str) {
        match &self.live {
            Some(m) => {
                let _ = m.println(text);
            }
            None => eprintln!("[{:>7.2}s] {text}", self.start.elapsed().as_secs_f64()),
        }
    }
}

fn verb(action: Action, done: bool) -> &'static str {
    match (action, done) {
        (Action::Create, false) => "Creating",
        (Action::Create, true) => "Created",
        (Action::Update, false) => "Updating",
        (Action::Update, true) => "Updated",
        (Action::Delete, false) => "Destroying",
        (Action::Delete, true) => "Destroyed",
        (Action::DeleteThenCreate | Action::CreateThenDelete, false) => "Replacing",
        (Action::DeleteThenCreate | Action::CreateThenDelete, true) => "Replaced (one step)",
        (Action::Read, false) => "Reading",
        (Action::Read, true) => "Read",
        (Action::NoOp, _) => "Checking",
    }
}

impl Observer for Progress {
    fn refresh_started(&self, total: usize) {
        self.line(&format!("Refreshing {total} object(s)…"));
    }

    fn apply_started(&self, total: usize) {
        if let Some(m) = &self.live {
            let bar = m.add(indicatif::ProgressBar::new(total as u64));
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:30} {pos}/{len} operations, {elapsed}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            *self.total.lock().unwrap_or_else(|e| e.into_inner()) = Some(bar);
        }
    }

    fn instance_started(&self, addr: &InstanceAddr, action: Action) {
        match &self.live {
            Some(m) => {
                let bar = m.add(indicatif::ProgressBar::new_spinner());
                bar.set_style(
                    indicatif::ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                        .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
                );
                bar.set_message(format!("{}: {}", addr, verb(action, false)));
                bar.enable_steady_tick(std::time::Duration::from_millis(120));
                self.bars
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(addr.to_string(), bar);
            }
            None => self.line(&format!("{addr}: {}…", verb(action, false))),
        }
    }

    fn instance_finished(&self, addr: &InstanceAddr, action: Action, error: Option<&str>) {
        if let Some(bar) = self
            .bars
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&addr.to_string())
        {
            bar.finish_and_clear();
        }
        if let Some(total) = self
            .total
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
        {
            total.inc(1);
        }
        match error {
            None => self.line(&format!("{addr}: {}", verb(action, true))),
            Some(e) => self.line(&format!("{addr}: failed: {e}")),
        }
    }

    fn provisioner_output(&self, addr: &InstanceAddr, line: &str) {
        self.line(&format!("{addr} (provisioner): {line}"));
    }

    fn note(&self, message: &str) {
        self.line(message);
    }
}

impl Default for Progress {
    fn default() -> Self {
        Progress::new()
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(total) = self.total.lock().unwrap_or_else(|e| e.into_inner()).take() {
            total.finish_and_clear();
        }
    }
}

/// Runs provisioners with the built-in implementations.
pub struct BuiltinProvisioners;

#[async_trait::async_trait]
impl skel_runtime::Provisioners for BuiltinProvisioners {
    async fn run(
        &self,
        kind: &str,
        args: &Value,
        connection: Option<&Value>,
        output: &(dyn for<'l> Fn(&'l str) + Send + Sync),
    ) -> Result<(), skel_provider::ProviderError> {
        let forward: &mut (dyn FnMut(&str) + Send) = &mut |line: &str| output(line);
        skel_provider_builtin::provisioners::run(kind, args, connection, forward).await
    }
}
