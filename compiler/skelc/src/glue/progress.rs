//! The progress display: a live one on a terminal, timestamped lines otherwise.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use skel_plan_ir::{Action, InstanceAddr};
use skel_runtime::Observer;

/// Progress: a live display on a terminal, timestamped lines otherwise.
///
/// The live display is one bar, whatever the number of operations: the count done, how many
/// are in progress and the last one started. (A spinner per operation in flight cost a redraw
/// of all of them at every start and finish.) Its redraws are rate-limited by `indicatif`.
pub struct Progress {
    start: Instant,
    live: Option<indicatif::MultiProgress>,
    total: Mutex<Option<indicatif::ProgressBar>>,
    /// Operations started and not finished.
    in_flight: AtomicUsize,
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
            total: Mutex::default(),
            in_flight: AtomicUsize::new(0),
        }
    }

    /// The live bar's message: what is in progress.
    fn show_in_flight(&self, in_flight: usize, last: Option<(&InstanceAddr, Action)>) {
        if let Some(total) = self
            .total
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
        {
            match last {
                Some((addr, action)) => total.set_message(format!(
                    "{in_flight} in progress: {addr}: {}",
                    verb(action, false)
                )),
                None => total.set_message(format!("{in_flight} in progress")),
            }
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
                    "{bar:30} {pos}/{len} operations, {elapsed} {msg}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            // One tick keeps the elapsed time moving during a long operation.
            bar.enable_steady_tick(std::time::Duration::from_millis(250));
            *self.total.lock().unwrap_or_else(|e| e.into_inner()) = Some(bar);
        }
    }

    fn instance_started(&self, addr: &InstanceAddr, action: Action) {
        let in_flight = self.in_flight.fetch_add(1, Ordering::Relaxed) + 1;
        match &self.live {
            Some(_) => self.show_in_flight(in_flight, Some((addr, action))),
            None => self.line(&format!("{addr}: {}…", verb(action, false))),
        }
    }

    fn instance_finished(&self, addr: &InstanceAddr, action: Action, error: Option<&str>) {
        let in_flight = self
            .in_flight
            .fetch_sub(1, Ordering::Relaxed)
            .saturating_sub(1);
        if let Some(total) = self
            .total
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
        {
            total.inc(1);
        }
        if self.live.is_some() {
            self.show_in_flight(in_flight, None);
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
