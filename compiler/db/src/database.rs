//! The `Db` trait every compiler query takes, and the one concrete database.

use std::path::Path;
use std::sync::{Arc, Mutex};

use crate::{Directory, File, Files, OsSystem, System};

/// The database every compiler query takes as its first parameter.
#[salsa::db]
pub trait Db: salsa::Database {
    fn system(&self) -> &dyn System;
    fn files(&self) -> &Files;

    /// The input for the file at `path` (created, and read, on first use).
    fn file(&self, path: &Path) -> File;

    /// The input for the directory at `path` (created, and listed, on first use).
    fn directory(&self, path: &Path) -> Directory;
}

/// The concrete database used by `skelc` and the language server.
#[salsa::db]
#[derive(Clone)]
pub struct SkelDatabase {
    storage: salsa::Storage<Self>,
    system: Arc<dyn System>,
    files: Files,
    /// Names of the queries executed, when logging is on (tests of incrementality).
    executed: Arc<Mutex<Option<Vec<String>>>>,
}

impl Default for SkelDatabase {
    fn default() -> Self {
        Self::new(Arc::new(OsSystem))
    }
}

impl SkelDatabase {
    pub fn new(system: Arc<dyn System>) -> Self {
        let executed: Arc<Mutex<Option<Vec<String>>>> = Arc::default();
        let log = executed.clone();
        let storage = salsa::Storage::new(Some(Box::new(move |event: salsa::Event| {
            if let salsa::EventKind::WillExecute { database_key } = event.kind {
                if let Some(log) = log.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
                    log.push(format!("{database_key:?}"));
                }
            }
        })));
        SkelDatabase {
            storage,
            system,
            files: Files::default(),
            executed,
        }
    }

    /// Start recording which queries execute.
    pub fn enable_execution_log(&self) {
        let mut log = self.executed.lock().unwrap_or_else(|e| e.into_inner());
        if log.is_none() {
            *log = Some(Vec::new());
        }
    }

    /// The queries executed since the last call, as `name(Id(..))` strings.
    pub fn take_execution_log(&self) -> Vec<String> {
        let mut log = self.executed.lock().unwrap_or_else(|e| e.into_inner());
        log.as_mut().map(std::mem::take).unwrap_or_default()
    }
}

#[salsa::db]
impl salsa::Database for SkelDatabase {}

#[salsa::db]
impl Db for SkelDatabase {
    fn system(&self) -> &dyn System {
        &*self.system
    }

    fn files(&self) -> &Files {
        &self.files
    }

    fn file(&self, path: &Path) -> File {
        self.files.file(self, path)
    }

    fn directory(&self, path: &Path) -> Directory {
        self.files.directory(self, path)
    }
}
