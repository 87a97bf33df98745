//! A creation provisioner that fails, panics, or whose arguments cannot be evaluated leaves its
//! resource tainted — in the state the apply returns (and checkpoints) and in the journal (the
//! object's result stays `tainted`, with no completing result) — so the next plan replaces it.

mod common;

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use common::{config, null_registry};
use skel_plan_ir::{Action, InstanceAddr, InstanceStatus, ResourceChange, State};
use skel_provider::ProviderError;
use skel_runtime::{
    apply, plan, ApplyOptions, IntentInfo, Phase, PlanOptions, Provisioners, Silent, SinkError,
    StateSink,
};
use skel_value::Value;

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
    fn intent(
        &self,
        _: u64,
        _: &ResourceChange,
        _: Phase,
        _: IntentInfo<'_>,
    ) -> Result<(), SinkError> {
        Ok(())
    }
    fn result(
        &self,
        _: u64,
        addr: &InstanceAddr,
        outcome: Result<Option<&serde_json::Value>, &str>,
        tainted: bool,
    ) -> Result<(), SinkError> {
        if outcome.is_ok() {
            self.results
                .lock()
                .unwrap()
                .push((addr.to_string(), tainted));
        }
        Ok(())
    }
    fn checkpoint(&self, state: &State) -> Result<(), SinkError> {
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
    let registry = null_registry();
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
