//! The state store (`docs/state-format.md`): the versioned JSON state file of one working
//! directory, written atomically with the previous version kept as a backup, a lock so two runs
//! never write one state, and a write-ahead journal so a run killed at any moment loses nothing.
//!
//! The files, all in the store's directory and all created with mode 0600:
//!
//! | File | Purpose |
//! |---|---|
//! | [`STATE_FILE`] `skel.state.json` | the state ([`State`]), pretty JSON |
//! | [`BACKUP_FILE`] `skel.state.json.backup` | the state as it was before the last write |
//! | [`LOCK_FILE`] `skel.state.lock` | the lock: an OS advisory lock plus who holds it ([`LockInfo`]) |
//! | [`JOURNAL_FILE`] `skel.state.journal` | the write-ahead journal of the running (or crashed) apply |
//!
//! How the engine uses it:
//!
//! 1. [`StateStore::open`], then [`StateStore::lock`] for the whole command.
//! 2. [`StateStore::pending_journal`]: if an earlier run left a journal, [`reconcile_plan`] says
//!    what to do; the engine makes the provider calls it asks for, [`apply_recovered`] updates
//!    the state and reports what was recovered, [`StateStore::write`] saves it, and
//!    [`Journal::discard`] removes the journal.
//! 3. [`StateStore::read`], plan, then [`Journal::begin`]; around every provider call
//!    [`Journal::intent`] before and [`Journal::result`] after; after each state write
//!    [`Journal::checkpoint`]; at the end [`StateStore::write`] and [`Journal::commit`].
//!
//! Nothing here ever logs or prints: attribute values can be secrets. Messages name files,
//! addresses, actions and lock holders only.

mod encryption;
mod error;
mod fsutil;
mod journal;
mod lock;
mod recovery;
pub mod remote;
mod store;

pub use encryption::{
    is_envelope, Encryption, EncryptionError, FileKey, HashFunction, Key, KeyError, KeyProvider,
    Method, Pbkdf2Error, Pbkdf2KeyProvider, ENCRYPTION_VERSION, PBKDF2_DEFAULT_ITERATIONS,
    PBKDF2_MIN_ITERATIONS, PBKDF2_MIN_PASSPHRASE,
};
pub use error::StateError;
pub use journal::{
    Journal, JournalAction, JournalBegin, JournalEntry, JournalIntent, JournalResult, Outcome,
    PendingJournal, JOURNAL_FORMAT_VERSION,
};
pub use lock::{LockGuard, LockInfo};
pub use recovery::{
    apply_recovered, apply_recovered_with, reconcile_plan, DeposedObject, Recovery, RecoveryNote,
    RecoveryReport, UnverifiedCreate,
};
pub use remote::{Condition, Object, ObjectStore, RemoteError};
pub use skel_plan_ir::{State, STATE_FORMAT_VERSION};
pub use store::{parse_document, render_document, StateStore};

/// The state file's name inside the store directory.
pub const STATE_FILE: &str = "skel.state.json";
/// The previous version of the state file, replaced on every write.
pub const BACKUP_FILE: &str = "skel.state.json.backup";
/// The lock file: held with an OS advisory lock; its contents name the holder.
pub const LOCK_FILE: &str = "skel.state.lock";
/// The write-ahead journal; exists only while an apply runs or after one crashed.
pub const JOURNAL_FILE: &str = "skel.state.journal";
