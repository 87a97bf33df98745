//! Wiring the runtime for the commands that touch infrastructure, one concern a file: the
//! provider registry and provisioners (`registry.rs`), the state store's lock (`lock.rs`), the
//! journal as the engine's `StateSink` (`journal.rs`), recovery of an interrupted run
//! (`recovery.rs`), Ctrl-C (`signals.rs`), the progress display (`progress.rs`) and the
//! `skel`/`terraform` providers of `data "skel_remote_state"` (`remote_state.rs`).

mod journal;
mod lock;
mod progress;
mod recovery;
mod registry;
mod remote_state;
mod signals;

pub use journal::JournalSink;
pub use lock::{disable_lock, lock_state, set_lock_timeout, Locked};
pub use progress::Progress;
pub use recovery::recover;
pub use registry::{kill_plugins, registry, runtime, use_plugins, BuiltinProvisioners};
pub use signals::install_ctrl_c;
