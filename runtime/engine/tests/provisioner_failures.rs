//! A creation provisioner that fails, panics, or whose arguments cannot be evaluated leaves its
//! resource tainted — in the state the apply returns (and checkpoints) and in the journal (the
//! object's result stays `tainted`, with no completing result) — so the next plan replaces it.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use skel_db::{Db, MemorySystem, SkelDatabase};
use skel_plan_ir::{Action, Config, InstanceAddr, InstanceStatus, ResourceChange, State};
use skel_provider::{
    ApplyRequest, PlanRequest, PlanResponse, Provider, ProviderError, ProviderFactory,
};
use skel_runtime::{
    apply, plan, ApplyOptions, Phase, PlanOptions, ProviderRegistry, Provisioners, Silent,
    StateSink,
};
use skel_value::{Type, Value, ValueMap};

fn config(text: &str) -> Arc<Config> {
    let system = Arc::new(MemorySystem::new());
    system.write("/p/main.skel", text);
    let db = SkelDatabase::new(system);
    let root = db.directory(Path::new("/p"));
    let diagnostics =
        skel_types::check_project(&db, &skel_types::ProjectInput { root, vars: vec![] });
    let errors: Vec<_> = diagnostics.iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    Arc::new(skel_lower::lower(&db, root).expect("lowers"))
}

/// A `null_resource` that exists only in state.
struct Null(AtomicUsize);

#[async_trait]
impl Provider for Null {
    fn name(&self) -> &str {
        "null"
    }

    async fn plan(&self, request: PlanRequest<'_>) -> Result<PlanResponse, ProviderError> {
        let planned = match request.prior {
            Some(prior) => prior.clone(),
            None => Value::Object(ValueMap::from([
                ("id".to_string(), Value::Unknown(Type::String)),
                ("triggers".to_string(), Value::Null),
            ])),
        };
        Ok(PlanResponse {
            planned,
            requires_replace: vec![],
        })
    }

    async fn apply(&self, request: ApplyRequest<'_>) -> Result<Value, ProviderError> {
        Ok(match request.planned {
            None => Value::Null,
            Some(_) => Value::Object(ValueMap::from([
                (
                    "id".to_string(),
                    Value::string(self.0.fetch_add(1, Ordering::SeqCst).to_string()),
                ),
                ("triggers".to_string(), Value::Null),
            ])),
        })
    }

    async fn read(&self, _: &str, state: &Value) -> Result<Option<Value>, ProviderError> {
        Ok(Some(state.clone()))
    }

    async fn read_data(&self, _: &str, config: &Value) -> Result<Value, ProviderError> {
        Ok(config.clone())
    }

    async fn import(&self, _: &str, _: &str) -> Result<Value, ProviderError> {
        Err(ProviderError::Other("no import".into()))
    }
}

struct NullFactory(Arc<Null>);

impl ProviderFactory for NullFactory {
    fn name(&self) -> &str {
        "null"
    }
    fn configure(&self, _: &Value) -> Result<Arc<dyn Provider>, ProviderError> {
        Ok(self.0.clone())
    }
}

/// `local-exec` whose `command` says what to do: `ok`, `fail` or `panic`.
struct Scripted;

#[async_trait]
impl Provisioners for Scripted {
    async fn run(
        &self,
        _kind: &str,
        args: &Value,
        _connection: Option<&Value>,
        _output: &(dyn for<'l> Fn(&'l str) + Send + Sync),
    ) -> Result<(), ProviderError> {
        let command = args
            .as_mapping()
            .and_then(|m| m.get("command"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        match command.as_str() {
            "ok" => Ok(()),
            "panic" => panic!("a provisioner bug"),
            _ => Err(ProviderError::Provisioner(format!("`{command}` failed"))),
        }
    }
}

#[derive(Default)]
struct Journal {
    results: Mutex<Vec<(String, bool)>>,
    checkpoints: Mutex<Vec<State>>,
}

impl StateSink for Journal {
    fn intent(&self, _: u64, _: &ResourceChange, _: Phase, _: bool) -> Result<(), String> {
        Ok(())
    }
    fn result(
        &self,
        _: u64,
        addr: &InstanceAddr,
        outcome: Result<Option<&serde_json::Value>, &str>,
        tainted: bool,
    ) -> Result<(), String> {
        if outcome.is_ok() {
            self.results
                .lock()
                .unwrap()
                .push((addr.to_string(), tainted));
        }
        Ok(())
    }
    fn checkpoint(&self, state: &State) -> Result<(), String> {
        self.checkpoints.lock().unwrap().push(state.clone());
        Ok(())
    }
}

fn resource(command: &str) -> String {
    format!(
        r#"
resource "null_resource" "p" {{
  provisioner "local-exec" {{
    command = {command}
  }}
}}

resource "null_resource" "fine" {{
  provisioner "local-exec" {{
    command = "ok"
  }}
}}
"#
    )
}

async fn check_tainted(command: &str) {
    let config = config(&resource(command));
    let registry = ProviderRegistry::new([
        Arc::new(NullFactory(Arc::new(Null(AtomicUsize::new(0))))) as Arc<dyn ProviderFactory>,
    ]);
    let options = PlanOptions {
        refresh: true,
        ..Default::default()
    };
    let planned = plan(
        config.clone(),
        &State::new("l"),
        &registry,
        &options,
        &Silent,
    )
    .await
    .expect("plans");
    let journal = Arc::new(Journal::default());
    let report = apply(
        planned,
        &registry,
        journal.clone(),
        Arc::new(Silent),
        ApplyOptions {
            provisioners: Some(Arc::new(Scripted)),
            ..Default::default()
        },
    )
    .await;
    let p: InstanceAddr = "null_resource.p".parse().unwrap();
    let fine: InstanceAddr = "null_resource.fine".parse().unwrap();
    assert_eq!(report.errors.0.len(), 1, "{command}: {}", report.errors);
    assert!(
        report.errors.0[0].message.contains("tainted")
            || report.errors.0[0].message.contains("provisioner"),
        "{command}: {}",
        report.errors
    );
    // State: tainted in the returned state and in every checkpoint that holds it.
    assert_eq!(
        report.state.resources[&p].status,
        InstanceStatus::Tainted,
        "{command}"
    );
    assert_eq!(report.state.resources[&fine].status, InstanceStatus::Ready);
    let checkpoints = journal.checkpoints.lock().unwrap().clone();
    let last = checkpoints.last().expect("a final checkpoint");
    assert_eq!(
        last.resources[&p].status,
        InstanceStatus::Tainted,
        "{command}"
    );
    for state in &checkpoints {
        if let Some(entry) = state.resources.get(&p) {
            assert_eq!(
                entry.status,
                InstanceStatus::Tainted,
                "{command}: a checkpoint had it ready"
            );
        }
    }
    // Journal: p's only result is tainted; `fine` ends untainted.
    let results = journal.results.lock().unwrap().clone();
    let of = |addr: &str| -> Vec<bool> {
        results
            .iter()
            .filter(|(a, _)| a == addr)
            .map(|(_, t)| *t)
            .collect()
    };
    assert_eq!(of("null_resource.p"), [true], "{command}: {results:?}");
    assert_eq!(of("null_resource.fine").last(), Some(&false), "{results:?}");
    // The next plan replaces it.
    let planned = plan(config, &report.state, &registry, &options, &Silent)
        .await
        .expect("plans");
    let change = planned
        .changes
        .changes
        .iter()
        .find(|c| c.addr == p)
        .expect("a change for p");
    assert_eq!(change.action, Action::DeleteThenCreate, "{command}");
}

#[tokio::test]
async fn a_failing_provisioner_taints() {
    check_tainted("\"fail\"").await;
}

#[tokio::test]
async fn a_panicking_provisioner_taints() {
    check_tainted("\"panic\"").await;
}

#[tokio::test]
async fn a_provisioner_whose_arguments_fail_to_evaluate_taints() {
    check_tainted("file(\"/nonexistent/skel/provisioner-command\")").await;
}
