//! The progress display: a live one on a terminal, timestamped lines otherwise.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Instant;

use skel_plan_ir::{Action, InstanceAddr};
use skel_runtime::Observer;

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
