//! A state sink that cannot write stops the walk: the step whose journal record failed reports
//! the sink's own error at its address, nothing new starts, and a failed final checkpoint is
//! reported too. The sink's errors are typed (`SinkError`) and read as the store words them.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::{config, null_registry};
use skel_plan_ir::{InstanceAddr, ResourceChange, State};
use skel_runtime::{
    apply, plan, ApplyOptions, IntentInfo, Phase, PlanOptions, Silent, SinkError, StateSink,
};

/// Fails every intent (`intents`) or every checkpoint (`checkpoints`), counting the calls.
#[derive(Default)]
struct Failing {
    fail_intents: bool,
    fail_checkpoints: bool,
    intents: AtomicUsize,
    checkpoints: AtomicUsize,
}

fn disk_full() -> SinkError {
    SinkError::store(std::io::Error::other("no space left on device (test)"))
}

impl StateSink for Failing {
    fn intent(
        &self,
        _: u64,
        _: &ResourceChange,
        _: Phase,
        _: IntentInfo<'_>,
    ) -> Result<(), SinkError> {
        self.intents.fetch_add(1, Ordering::SeqCst);
        if self.fail_intents {
            return Err(disk_full());
        }
        Ok(())
    }
    fn result(
        &self,
        _: u64,
        _: &InstanceAddr,
        _: Result<Option<&serde_json::Value>, &str>,
        _: bool,
    ) -> Result<(), SinkError> {
        Ok(())
    }
    fn checkpoint(&self, _: &State) -> Result<(), SinkError> {
        self.checkpoints.fetch_add(1, Ordering::SeqCst);
        if self.fail_checkpoints {
            return Err(SinkError::Closed);
        }
        Ok(())
    }
}

const CHAIN: &str = r#"
resource "null_resource" "a" {}
resource "null_resource" "b" {
  triggers = { a = null_resource.a.id }
}
resource "null_resource" "c" {
  triggers = { b = null_resource.b.id }
}
"#;

async fn run(sink: Arc<Failing>) -> skel_runtime::ApplyReport {
    let registry = null_registry();
    let planned = plan(
        config(CHAIN),
        &State::new("l"),
        &registry,
        &PlanOptions::default(),
        &Silent,
    )
    .await
    .expect("plans");
    apply(
        planned,
        &registry,
        sink,
        Arc::new(Silent),
        ApplyOptions {
            // Only the final checkpoint, however slow the machine.
            checkpoint_every: std::time::Duration::from_secs(3600),
            ..ApplyOptions::default()
        },
    )
    .await
}

#[tokio::test]
async fn a_journal_that_cannot_be_written_stops_the_walk() {
    let sink = Arc::new(Failing {
        fail_intents: true,
        ..Failing::default()
    });
    let report = run(sink.clone()).await;
    assert_eq!(report.errors.0.len(), 1, "{}", report.errors);
    let e = &report.errors.0[0];
    assert_eq!(e.address.as_deref(), Some("null_resource.a"));
    assert_eq!(
        e.message,
        "writing the journal: no space left on device (test)"
    );
    assert!(e.location.is_some(), "the error points at the block");
    // Nothing was created, and nothing after the failure was started.
    assert_eq!(sink.intents.load(Ordering::SeqCst), 1);
    assert_eq!(report.applied, 0);
    assert_eq!(report.skipped, 2);
    assert!(report.state.resources.is_empty());
}

#[tokio::test]
async fn a_failed_final_checkpoint_is_reported() {
    let sink = Arc::new(Failing {
        fail_checkpoints: true,
        ..Failing::default()
    });
    let report = run(sink.clone()).await;
    assert_eq!(report.applied, 3, "{}", report.errors);
    assert!(sink.checkpoints.load(Ordering::SeqCst) >= 1);
    let messages: Vec<&str> = report.errors.0.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(messages, ["saving state: the journal is closed"]);
}
