//! Engine tests with a scripted mock provider: ordering, parallelism, replacement,
//! create-before-destroy, partial failure, cancellation, drift, orphans, prevent_destroy.

use skel_value::ValueMap;
use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use skel_db::{Db, MemorySystem, SkelDatabase};
use skel_plan_ir::{
    Action, ChangeSet, Config, InstanceAddr, InstanceStatus, ResourceChange, State,
};
use skel_provider::{
    ApplyRequest, PlanRequest, PlanResponse, Provider, ProviderError, ProviderFactory,
};
use skel_runtime::{
    apply, plan, ApplyOptions, Cancel, IntentInfo, Phase, PlanOptions, ProviderRegistry, Silent,
    SinkError, StateSink,
};
use skel_value::{Type, Value};

/// Lower an in-memory project (checked first: it must have no errors).
fn config(files: &[(&str, &str)]) -> Arc<Config> {
    let system = Arc::new(MemorySystem::new());
    for (path, text) in files {
        system.write(format!("/p/{path}"), *text);
    }
    let db = SkelDatabase::new(system);
    let root = db.directory(Path::new("/p"));
    let diagnostics =
        skel_types::check_project(&db, &skel_types::ProjectInput { root, vars: vec![] });
    let errors: Vec<_> = diagnostics.iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    Arc::new(skel_lower::lower(&db, root).expect("lowers"))
}

#[derive(Default)]
struct Script {
    log: Mutex<Vec<String>>,
    fail: Mutex<HashSet<String>>,
    /// Addresses whose create makes the object and then reports it did not become ready.
    not_ready: Mutex<HashSet<String>>,
    delay: Mutex<Duration>,
    running: AtomicUsize,
    max_running: AtomicUsize,
    next_id: AtomicUsize,
    /// Objects that exist "remotely", by id, with their triggers.
    remote: Mutex<BTreeMap<String, Value>>,
    /// (address, token) of every create call.
    tokens: Mutex<Vec<(String, String)>>,
    /// Requested (as a Ctrl-C would) by the first apply call, when set.
    cancel_on_apply: Mutex<Option<Arc<Cancel>>>,
}

struct Mock(Arc<Script>);

impl ProviderFactory for Mock {
    fn name(&self) -> &str {
        "null"
    }
    fn configure(&self, _config: &Value) -> Result<Arc<dyn Provider>, ProviderError> {
        Ok(Arc::new(MockProvider(self.0.clone())))
    }
}

struct MockProvider(Arc<Script>);

fn obj(id: Value, triggers: Value) -> Value {
    Value::Object(ValueMap::from([
        ("id".to_string(), id),
        ("triggers".to_string(), triggers),
    ]))
}

fn field(v: &Value, name: &str) -> Value {
    v.as_mapping()
        .and_then(|m| m.get(name))
        .cloned()
        .unwrap_or(Value::Null)
}

#[async_trait]
impl Provider for MockProvider {
    fn name(&self) -> &str {
        "null"
    }

    async fn plan(&self, request: PlanRequest<'_>) -> Result<PlanResponse, ProviderError> {
        let triggers = field(request.config, "triggers");
        Ok(match request.prior {
            None => PlanResponse {
                planned: obj(Value::Unknown(Type::String), triggers),
                requires_replace: vec![],
            },
            Some(prior) if field(prior, "triggers") == triggers => PlanResponse {
                planned: prior.clone(),
                requires_replace: vec![],
            },
            Some(_) => PlanResponse {
                planned: obj(Value::Unknown(Type::String), triggers),
                requires_replace: vec![vec!["triggers".into()]],
            },
        })
    }

    async fn apply(&self, request: ApplyRequest<'_>) -> Result<Value, ProviderError> {
        let script = &self.0;
        if let Some(cancel) = script.cancel_on_apply.lock().unwrap().take() {
            cancel.request();
        }
        let now = script.running.fetch_add(1, Ordering::SeqCst) + 1;
        script.max_running.fetch_max(now, Ordering::SeqCst);
        let delay = *script.delay.lock().unwrap();
        tokio::time::sleep(delay).await;
        script.running.fetch_sub(1, Ordering::SeqCst);
        let verb = if request.planned.is_none() {
            "delete"
        } else {
            "create"
        };
        script
            .log
            .lock()
            .unwrap()
            .push(format!("{verb} {}", request.address));
        if let Some(token) = request.token {
            script
                .tokens
                .lock()
                .unwrap()
                .push((request.address.to_string(), token.to_string()));
        }
        if script.fail.lock().unwrap().contains(request.address) {
            return Err(ProviderError::Api(format!(
                "scripted failure for {}",
                request.address
            )));
        }
        match request.planned {
            None => {
                let id = field(request.prior.unwrap(), "id");
                script
                    .remote
                    .lock()
                    .unwrap()
                    .remove(id.as_str().unwrap_or_default());
                Ok(Value::Null)
            }
            Some(planned) => {
                let id = script.next_id.fetch_add(1, Ordering::SeqCst).to_string();
                let value = obj(Value::string(id.clone()), field(planned, "triggers"));
                script.remote.lock().unwrap().insert(id, value.clone());
                if script.not_ready.lock().unwrap().contains(request.address) {
                    return Err(ProviderError::not_ready(
                        value,
                        format!("scripted rollout failure for {}", request.address),
                    ));
                }
                Ok(value)
            }
        }
    }

    async fn read(&self, _type_name: &str, state: &Value) -> Result<Option<Value>, ProviderError> {
        let id = field(state, "id");
        Ok(self
            .0
            .remote
            .lock()
            .unwrap()
            .get(id.as_str().unwrap_or_default())
            .cloned())
    }

    async fn read_data(&self, _type_name: &str, config: &Value) -> Result<Value, ProviderError> {
        Ok(config.clone())
    }

    async fn import(&self, _type_name: &str, id: &str) -> Result<Value, ProviderError> {
        Ok(obj(Value::string(id), Value::Null))
    }
}

#[derive(Default)]
struct MemorySink {
    events: Mutex<Vec<String>>,
    /// (address, token) of every create's intent.
    tokens: Mutex<Vec<(String, String)>>,
    checkpoints: AtomicUsize,
}

impl StateSink for MemorySink {
    fn intent(
        &self,
        seq: u64,
        change: &ResourceChange,
        phase: Phase,
        info: IntentInfo<'_>,
    ) -> Result<(), SinkError> {
        let token = info.token;
        self.events
            .lock()
            .unwrap()
            .push(format!("intent {seq} {phase:?} {}", change.addr));
        if let Some(token) = token {
            self.tokens
                .lock()
                .unwrap()
                .push((change.addr.to_string(), token.to_string()));
        }
        Ok(())
    }
    fn result(
        &self,
        seq: u64,
        addr: &InstanceAddr,
        outcome: Result<Option<&serde_json::Value>, &str>,
        tainted: bool,
    ) -> Result<(), SinkError> {
        self.events.lock().unwrap().push(format!(
            "result {seq} {addr} {}",
            match (outcome.is_ok(), tainted) {
                (true, false) => "ok",
                (true, true) => "ok tainted",
                (false, _) => "err",
            }
        ));
        Ok(())
    }
    fn checkpoint(&self, _state: &State) -> Result<(), SinkError> {
        self.checkpoints.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

struct Run {
    script: Arc<Script>,
    registry: ProviderRegistry,
}

impl Run {
    fn new() -> Run {
        let script = Arc::new(Script::default());
        let registry =
            ProviderRegistry::new([Arc::new(Mock(script.clone())) as Arc<dyn ProviderFactory>]);
        Run { script, registry }
    }

    async fn plan(&self, config: &Arc<Config>, state: &State) -> skel_runtime::Planned {
        plan(
            config.clone(),
            state,
            &self.registry,
            &PlanOptions {
                refresh: true,
                ..Default::default()
            },
            &Silent,
        )
        .await
        .expect("plans")
    }

    async fn apply(
        &self,
        planned: skel_runtime::Planned,
        options: ApplyOptions,
    ) -> skel_runtime::ApplyReport {
        apply(
            planned,
            &self.registry,
            Arc::new(MemorySink::default()),
            Arc::new(Silent),
            options,
        )
        .await
    }

    /// Applies with default options into a sink the caller can read; the apply must succeed.
    async fn apply_into(
        &self,
        planned: skel_runtime::Planned,
    ) -> (skel_runtime::ApplyReport, Arc<MemorySink>) {
        let sink = Arc::new(MemorySink::default());
        let report = apply(
            planned,
            &self.registry,
            sink.clone(),
            Arc::new(Silent),
            ApplyOptions::default(),
        )
        .await;
        assert!(report.errors.0.is_empty(), "{}", report.errors);
        (report, sink)
    }

    fn log(&self) -> Vec<String> {
        self.script.log.lock().unwrap().clone()
    }
}

fn actions(changes: &ChangeSet) -> Vec<(String, Action)> {
    changes
        .changes
        .iter()
        .map(|c| (c.addr.to_string(), c.action))
        .collect()
}

const CHAIN: &str = r#"
resource "null_resource" "a" {
  triggers = { v = "1" }
}
resource "null_resource" "b" {
  triggers = { a = null_resource.a.id }
}
locals {
  b_id = null_resource.b.id
}
resource "null_resource" "c" {
  triggers = { b = local.b_id }
}
output "c" {
  value = null_resource.c.triggers["b"]
}
"#;

#[tokio::test]
async fn each_create_sends_the_token_its_intent_journaled() {
    let run = Run::new();
    let config = config(&[("main.skel", CHAIN)]);
    let planned = run.plan(&config, &State::new("l")).await;
    let (report, sink) = run.apply_into(planned).await;
    let mut journaled = sink.tokens.lock().unwrap().clone();
    let mut sent = run.script.tokens.lock().unwrap().clone();
    journaled.sort();
    sent.sort();
    assert_eq!(journaled.len(), 3, "one token per create: {journaled:?}");
    assert_eq!(
        journaled, sent,
        "the provider got exactly the journaled tokens"
    );
    let distinct: HashSet<&String> = journaled.iter().map(|(_, t)| t).collect();
    assert_eq!(distinct.len(), 3, "tokens are unique: {journaled:?}");

    // Deletes carry no token.
    let state = report.state;
    let empty = config_of_nothing();
    let planned = run.plan(&empty, &state).await;
    let before = run.script.tokens.lock().unwrap().len();
    let (_, sink) = run.apply_into(planned).await;
    assert!(sink.tokens.lock().unwrap().is_empty());
    assert_eq!(run.script.tokens.lock().unwrap().len(), before);
}

fn config_of_nothing() -> Arc<Config> {
    config(&[("main.skel", "locals {\n  x = 1\n}\n")])
}

#[tokio::test]
async fn applies_in_dependency_order_and_values_flow() {
    let run = Run::new();
    let config = config(&[("main.skel", CHAIN)]);
    let planned = run.plan(&config, &State::new("l")).await;
    assert_eq!(
        actions(&planned.changes)
            .iter()
            .map(|(_, a)| *a)
            .collect::<Vec<_>>(),
        [Action::Create; 3]
    );
    let c = planned
        .changes
        .changes
        .iter()
        .find(|c| c.addr.to_string() == "null_resource.c")
        .unwrap();
    assert_eq!(
        c.dependencies
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        ["null_resource.b"],
        "through the local"
    );
    let report = run.apply(planned, ApplyOptions::default()).await;
    assert!(report.errors.0.is_empty(), "{}", report.errors);
    assert_eq!(
        run.log(),
        [
            "create null_resource.a",
            "create null_resource.b",
            "create null_resource.c"
        ]
    );
    let b_id = report.state.resources[&"null_resource.b".parse().unwrap()].attributes["id"].clone();
    assert_eq!(
        report.state.resources[&"null_resource.c".parse().unwrap()].attributes["triggers"]["b"],
        b_id
    );
    assert_eq!(
        report.state.outputs["c"].value, b_id,
        "outputs hold applied values"
    );
    // A second plan is a no-op.
    let again = run.plan(&config, &report.state).await;
    assert!(
        !again.changes.has_changes(),
        "{:?}",
        actions(&again.changes)
    );
}

#[tokio::test]
async fn parallelism_limit_is_respected() {
    let run = Run::new();
    *run.script.delay.lock().unwrap() = Duration::from_millis(30);
    let config = config(&[(
        "main.skel",
        "resource \"null_resource\" \"n\" {\n  count = 12\n}\n",
    )]);
    let planned = run.plan(&config, &State::new("l")).await;
    let report = run
        .apply(
            planned,
            ApplyOptions {
                parallelism: 3,
                ..Default::default()
            },
        )
        .await;
    assert!(report.errors.0.is_empty(), "{}", report.errors);
    assert_eq!(report.applied, 12);
    let max = run.script.max_running.load(Ordering::SeqCst);
    assert!((2..=3).contains(&max), "max concurrent = {max}");
}

#[tokio::test]
async fn provider_parallelism_limits_its_own_operations() {
    let run = Run::new();
    *run.script.delay.lock().unwrap() = Duration::from_millis(30);
    let config = config(&[("main.skel", "provider \"null\" {\n  parallelism = 1\n}\nresource \"null_resource\" \"n\" {\n  count = 5\n}\n")]);
    let planned = run.plan(&config, &State::new("l")).await;
    let report = run
        .apply(
            planned,
            ApplyOptions {
                parallelism: 10,
                ..Default::default()
            },
        )
        .await;
    assert!(report.errors.0.is_empty(), "{}", report.errors);
    assert_eq!(run.script.max_running.load(Ordering::SeqCst), 1);
}

async fn replace_order(lifecycle: &str) -> (Action, Vec<String>) {
    let run = Run::new();
    let v1 = format!(
        "resource \"null_resource\" \"r\" {{\n  triggers = {{ v = \"1\" }}\n  {lifecycle}\n}}\n"
    );
    let report = run
        .apply(
            run.plan(&config(&[("main.skel", &v1)]), &State::new("l"))
                .await,
            ApplyOptions::default(),
        )
        .await;
    assert!(report.errors.0.is_empty());
    run.script.log.lock().unwrap().clear();
    let v2 = v1.replace("\"1\"", "\"2\"");
    let planned = run
        .plan(&config(&[("main.skel", &v2)]), &report.state)
        .await;
    let action = planned.changes.changes[0].action;
    let report = run.apply(planned, ApplyOptions::default()).await;
    assert!(report.errors.0.is_empty(), "{}", report.errors);
    let entry = &report.state.resources[&"null_resource.r".parse().unwrap()];
    assert!(entry.deposed.is_empty(), "the old object is gone");
    assert_eq!(entry.attributes["triggers"]["v"], "2");
    (action, run.log())
}

#[tokio::test]
async fn replacement_deletes_first_by_default() {
    let (action, log) = replace_order("").await;
    assert_eq!(action, Action::DeleteThenCreate);
    assert_eq!(log, ["delete null_resource.r", "create null_resource.r"]);
}

#[tokio::test]
async fn create_before_destroy_creates_first() {
    let (action, log) = replace_order("lifecycle {\n    create_before_destroy = true\n  }").await;
    assert_eq!(action, Action::CreateThenDelete);
    assert_eq!(log, ["create null_resource.r", "delete null_resource.r"]);
}

#[tokio::test]
async fn a_failure_skips_dependents_and_independent_branches_complete() {
    let run = Run::new();
    run.script
        .fail
        .lock()
        .unwrap()
        .insert("null_resource.a".into());
    let config = config(&[(
        "main.skel",
        &format!("{CHAIN}\nresource \"null_resource\" \"other\" {{}}\n"),
    )]);
    let planned = run.plan(&config, &State::new("l")).await;
    let report = run.apply(planned, ApplyOptions::default()).await;
    assert_eq!(report.errors.0.len(), 1, "{}", report.errors);
    let error = &report.errors.0[0];
    assert_eq!(error.address.as_deref(), Some("null_resource.a"));
    assert!(
        error.message.contains("scripted failure"),
        "{}",
        error.message
    );
    assert!(
        error.location.as_ref().is_some_and(|l| l.line == 2),
        "{:?}",
        error.location
    );
    assert_eq!(report.skipped, 2, "b and c depend on a");
    assert!(run
        .log()
        .contains(&"create null_resource.other".to_string()));
    assert!(report
        .state
        .resources
        .contains_key(&"null_resource.other".parse().unwrap()));
    assert!(!report
        .state
        .resources
        .contains_key(&"null_resource.a".parse().unwrap()));
}

#[tokio::test]
async fn a_create_that_does_not_become_ready_is_recorded_tainted_and_replaced_next() {
    let run = Run::new();
    run.script
        .not_ready
        .lock()
        .unwrap()
        .insert("null_resource.a".into());
    let config = config(&[("main.skel", CHAIN)]);
    let planned = run.plan(&config, &State::new("l")).await;
    let sink = Arc::new(MemorySink::default());
    let report = apply(
        planned,
        &run.registry,
        sink.clone(),
        Arc::new(Silent),
        ApplyOptions::default(),
    )
    .await;
    assert_eq!(report.errors.0.len(), 1, "{}", report.errors);
    let error = &report.errors.0[0];
    assert_eq!(error.address.as_deref(), Some("null_resource.a"));
    assert!(
        error
            .message
            .contains("creating: scripted rollout failure for null_resource.a")
            && error.message.contains("tainted"),
        "{}",
        error.message
    );
    assert_eq!(report.skipped, 2, "b and c depend on a");
    let a: InstanceAddr = "null_resource.a".parse().unwrap();
    let entry = report.state.resources.get(&a).expect("a is in state");
    assert_eq!(entry.status, InstanceStatus::Tainted);
    let id = entry.attributes["id"].as_str().expect("an id").to_string();
    assert!(run.script.remote.lock().unwrap().contains_key(&id));
    // The journal has the object as created and tainted, and the taint was written to state at
    // once (a checkpoint before the final one).
    let events = sink.events.lock().unwrap().clone();
    assert!(
        events.contains(&"result 0 null_resource.a ok tainted".to_string()),
        "{events:?}"
    );
    assert_eq!(sink.checkpoints.load(Ordering::SeqCst), 2);

    run.script.not_ready.lock().unwrap().clear();
    let planned = run.plan(&config, &report.state).await;
    let change = planned
        .changes
        .changes
        .iter()
        .find(|c| c.addr == a)
        .expect("a change for a");
    assert_eq!(change.action, Action::DeleteThenCreate);
    assert!(
        change
            .reason
            .as_deref()
            .is_some_and(|r| r.starts_with("tainted")),
        "{:?}",
        change.reason
    );
    let report = run.apply(planned, ApplyOptions::default()).await;
    assert!(report.errors.0.is_empty(), "{}", report.errors);
    let entry = report.state.resources.get(&a).expect("a is in state");
    assert_eq!(entry.status, InstanceStatus::Ready);
    assert!(
        !run.script.remote.lock().unwrap().contains_key(&id),
        "the tainted object was deleted"
    );
    assert_eq!(report.state.resources.len(), 3);
}

#[tokio::test]
async fn cancellation_starts_nothing_new() {
    let run = Run::new();
    let config = config(&[("main.skel", CHAIN)]);
    let planned = run.plan(&config, &State::new("l")).await;
    let cancel = Arc::new(Cancel::default());
    cancel.request();
    let report = run
        .apply(
            planned,
            ApplyOptions {
                cancel,
                ..Default::default()
            },
        )
        .await;
    assert!(report.cancelled);
    assert_eq!(report.applied, 0);
    assert!(run.log().is_empty());
}

#[tokio::test]
async fn cancellation_stops_steps_still_waiting_for_a_slot() {
    // Twelve independent creates, one at a time: every one is spawned at once and waits for
    // the slot. A Ctrl-C during the first must leave the other eleven not started.
    let run = Run::new();
    let config = config(&[(
        "main.skel",
        "resource \"null_resource\" \"n\" {\n  count = 12\n}\n",
    )]);
    let planned = run.plan(&config, &State::new("l")).await;
    let cancel = Arc::new(Cancel::default());
    *run.script.cancel_on_apply.lock().unwrap() = Some(cancel.clone());
    let report = run
        .apply(
            planned,
            ApplyOptions {
                cancel,
                parallelism: 1,
                ..Default::default()
            },
        )
        .await;
    assert!(report.cancelled);
    assert_eq!(report.applied, 1, "{:?}", run.log());
    assert_eq!(run.log().len(), 1, "{:?}", run.log());
    assert_eq!(report.state.resources.len(), 1);
    assert!(report.errors.0.is_empty(), "{}", report.errors);
}

#[tokio::test]
async fn refresh_detects_drift_and_deleted_objects() {
    let run = Run::new();
    let config = config(&[("main.skel", "resource \"null_resource\" \"a\" {\n  triggers = { v = \"1\" }\n}\nresource \"null_resource\" \"b\" {}\n")]);
    let report = run
        .apply(
            run.plan(&config, &State::new("l")).await,
            ApplyOptions::default(),
        )
        .await;
    // Out of band: a's triggers change, b disappears.
    {
        let mut remote = run.script.remote.lock().unwrap();
        let a_id = report.state.resources[&"null_resource.a".parse().unwrap()].attributes["id"]
            .as_str()
            .unwrap()
            .to_string();
        let b_id = report.state.resources[&"null_resource.b".parse().unwrap()].attributes["id"]
            .as_str()
            .unwrap()
            .to_string();
        remote.insert(
            a_id.clone(),
            obj(
                Value::string(a_id),
                Value::Map(ValueMap::from([("v".into(), Value::string("9"))])),
            ),
        );
        remote.remove(&b_id);
    }
    let planned = run.plan(&config, &report.state).await;
    assert_eq!(planned.drift.len(), 2);
    assert_eq!(
        planned.drift[0].attributes.as_deref(),
        Some(&["triggers".to_string()][..])
    );
    assert_eq!(planned.drift[1].attributes, None);
    assert_eq!(
        actions(&planned.changes),
        [
            ("null_resource.a".into(), Action::DeleteThenCreate),
            ("null_resource.b".into(), Action::Create)
        ]
    );
}

#[tokio::test]
async fn orphans_are_deleted_after_their_dependents() {
    let run = Run::new();
    let report = run
        .apply(
            run.plan(&config(&[("main.skel", CHAIN)]), &State::new("l"))
                .await,
            ApplyOptions::default(),
        )
        .await;
    run.script.log.lock().unwrap().clear();
    let planned = run
        .plan(
            &config(&[("main.skel", "output \"x\" {\n  value = 1\n}\n")]),
            &report.state,
        )
        .await;
    assert!(planned
        .changes
        .changes
        .iter()
        .all(|c| c.action == Action::Delete && c.reason.is_some()));
    let report = run.apply(planned, ApplyOptions::default()).await;
    assert!(report.errors.0.is_empty(), "{}", report.errors);
    assert_eq!(
        run.log(),
        [
            "delete null_resource.c",
            "delete null_resource.b",
            "delete null_resource.a"
        ]
    );
    assert!(report.state.resources.is_empty());
}

#[tokio::test]
async fn a_complete_destroy_leaves_no_outputs() {
    let run = Run::new();
    let config = config(&[("main.skel", CHAIN)]);
    let report = run
        .apply(
            run.plan(&config, &State::new("l")).await,
            ApplyOptions::default(),
        )
        .await;
    assert!(report.state.outputs.contains_key("c"));
    let planned = plan(
        config.clone(),
        &report.state,
        &run.registry,
        &PlanOptions {
            refresh: true,
            destroy: true,
            ..Default::default()
        },
        &Silent,
    )
    .await
    .expect("plans");
    assert!(planned.changes.outputs.iter().all(|o| o.after.is_none()));
    let report = run.apply(planned, ApplyOptions::default()).await;
    assert!(report.errors.0.is_empty(), "{}", report.errors);
    assert!(report.state.resources.is_empty());
    assert!(
        report.state.outputs.is_empty(),
        "outputs of destroyed objects are gone: {:?}",
        report.state.outputs
    );
}

#[tokio::test]
async fn a_provider_missing_from_the_build_names_the_ones_it_has() {
    let run = Run::new();
    let result = plan(
        config(&[("main.skel", "resource \"random_pet\" \"p\" {}\n")]),
        &State::new("l"),
        &run.registry,
        &PlanOptions::default(),
        &Silent,
    )
    .await;
    let errors = result.err().expect("plan fails");
    assert!(
        errors.0[0].message.contains("no provider named `random`"),
        "{errors}"
    );
    assert_eq!(
        errors.0[0].help.as_deref(),
        Some("this build has the providers `null`")
    );
}

#[tokio::test]
async fn prevent_destroy_fails_the_plan() {
    let run = Run::new();
    let v1 = "resource \"null_resource\" \"r\" {\n  triggers = { v = \"1\" }\n  lifecycle {\n    prevent_destroy = true\n  }\n}\n";
    let report = run
        .apply(
            run.plan(&config(&[("main.skel", v1)]), &State::new("l"))
                .await,
            ApplyOptions::default(),
        )
        .await;
    let v2 = v1.replace("\"1\"", "\"2\"");
    let result = plan(
        config(&[("main.skel", &v2)]),
        &report.state,
        &run.registry,
        &PlanOptions::default(),
        &Silent,
    )
    .await;
    let errors = result.err().expect("plan fails");
    assert!(errors.0[0].message.contains("prevent_destroy"), "{errors}");
    assert_eq!(errors.0[0].address.as_deref(), Some("null_resource.r"));
}

#[tokio::test]
async fn missing_required_variable_is_a_clear_error() {
    let run = Run::new();
    let config = config(&[("main.skel", "variable \"name\" {\n  type = string\n}\nresource \"null_resource\" \"r\" {\n  triggers = { n = var.name }\n}\n")]);
    let errors = plan(
        config.clone(),
        &State::new("l"),
        &run.registry,
        &PlanOptions::default(),
        &Silent,
    )
    .await
    .err()
    .expect("fails");
    assert!(
        errors.0[0]
            .message
            .contains("No value for required variable `name`"),
        "{errors}"
    );
    let options = PlanOptions {
        variables: BTreeMap::from([("name".to_string(), Value::string("x"))]),
        ..Default::default()
    };
    let planned = plan(config, &State::new("l"), &run.registry, &options, &Silent)
        .await
        .expect("plans with the value");
    assert_eq!(planned.changes.changes.len(), 1);
}

#[tokio::test]
async fn count_and_for_each_expand_and_modules_instantiate() {
    let run = Run::new();
    let config = config(&[
        ("main.skel", "module \"svc\" {\n  source = \"./svc\"\n  count  = 2\n  name   = \"s${count.index}\"\n}\noutput \"ids\" {\n  value = module.svc[*].ids\n}\n"),
        ("svc/main.skel", "variable \"name\" {\n  type = string\n}\nresource \"null_resource\" \"n\" {\n  for_each = toset([\"a\", \"b\"])\n  triggers = { n = \"${var.name}-${each.key}\" }\n}\noutput \"ids\" {\n  value = [for n in null_resource.n : n.triggers[\"n\"]]\n}\n"),
    ]);
    let planned = run.plan(&config, &State::new("l")).await;
    let addrs: Vec<String> = planned
        .changes
        .changes
        .iter()
        .map(|c| c.addr.to_string())
        .collect();
    assert_eq!(
        addrs,
        [
            "module.svc[0].null_resource.n[\"a\"]",
            "module.svc[0].null_resource.n[\"b\"]",
            "module.svc[1].null_resource.n[\"a\"]",
            "module.svc[1].null_resource.n[\"b\"]"
        ]
    );
    let report = run.apply(planned, ApplyOptions::default()).await;
    assert!(report.errors.0.is_empty(), "{}", report.errors);
    assert_eq!(
        report.state.outputs["ids"].value,
        serde_json::json!([["s0-a", "s0-b"], ["s1-a", "s1-b"]])
    );
}

#[tokio::test]
async fn for_each_over_resources_being_created_needs_only_known_keys() {
    let run = Run::new();
    let config = config(&[(
        "main.skel",
        "resource \"null_resource\" \"a\" {\n  for_each = toset([\"x\", \"y\"])\n}\nresource \"null_resource\" \"b\" {\n  for_each = null_resource.a\n  triggers = { id = each.value.id }\n}\n",
    )]);
    let planned = run.plan(&config, &State::new("l")).await;
    let addrs: Vec<String> = planned
        .changes
        .changes
        .iter()
        .map(|c| c.addr.to_string())
        .collect();
    assert_eq!(
        addrs,
        [
            "null_resource.a[\"x\"]",
            "null_resource.a[\"y\"]",
            "null_resource.b[\"x\"]",
            "null_resource.b[\"y\"]"
        ]
    );
    let report = run.apply(planned, ApplyOptions::default()).await;
    assert!(report.errors.0.is_empty(), "{}", report.errors);
    let a_x = &report.state.resources[&"null_resource.a[\"x\"]".parse().unwrap()].attributes["id"];
    assert_eq!(
        &report.state.resources[&"null_resource.b[\"x\"]".parse().unwrap()].attributes["triggers"]
            ["id"],
        a_x
    );
}
