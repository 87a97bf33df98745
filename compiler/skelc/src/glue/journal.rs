//! The engine's `StateSink`: every provider call journaled before and after it (write-ahead),
//! and the state written at checkpoints.

use std::sync::{Arc, Mutex};

use skel_plan_ir::{Action, InstanceAddr, ResourceChange, State};
use skel_runtime::{IntentInfo, Phase, SinkError, StateSink};
use skel_state::{
    Journal, JournalAction, JournalIntent, JournalResult, LockGuard, Outcome, StateStore,
};
use skel_value::Value;

use super::Locked;

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
    ) -> Result<T, SinkError> {
        let guard = self.journal.lock().unwrap_or_else(|e| e.into_inner());
        match guard.as_ref() {
            Some(j) => f(j).map_err(SinkError::store),
            None => Err(SinkError::Closed),
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
    ) -> Result<(), SinkError> {
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
    ) -> Result<(), SinkError> {
        self.result_private(seq, addr, outcome, tainted, None)
    }

    fn result_private(
        &self,
        seq: u64,
        addr: &InstanceAddr,
        outcome: Result<Option<&serde_json::Value>, &str>,
        tainted: bool,
        private: Option<&str>,
    ) -> Result<(), SinkError> {
        let outcome = match outcome {
            Ok(v) => Outcome::Ok {
                new_state: v.cloned(),
                tainted,
                private: private.map(str::to_string),
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

    fn checkpoint(&self, state: &State) -> Result<(), SinkError> {
        let mut serial = self.serial.lock().unwrap_or_else(|e| e.into_inner());
        // The engine records each instance's sensitive paths from the marks of its values.
        let written = self
            .store
            .write_snapshot(&self.lock, state, *serial)
            .map_err(SinkError::store)?;
        *serial = written;
        self.with_journal(|j| j.checkpoint(written))
    }
}
