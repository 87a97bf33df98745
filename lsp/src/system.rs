//! The file system the server's database reads: open editor buffers overlaid on the real disk.
//!
//! An open document's text wins over the file on disk (unsaved edits are what the user sees),
//! and an open buffer for a file that does not exist yet makes it appear in its directory.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use skel_db::{OsSystem, System};

/// The texts of the open documents, by absolute path. Shared between the session actor (which
/// writes it) and the database's [`OverlaySystem`] (which reads it).
#[derive(Clone, Default)]
pub struct Overlay {
    buffers: Arc<Mutex<HashMap<PathBuf, Arc<str>>>>,
}

impl Overlay {
    fn lock(&self) -> MutexGuard<'_, HashMap<PathBuf, Arc<str>>> {
        // A poisoned lock means a panic elsewhere; the map itself is always consistent.
        self.buffers.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn get(&self, path: &Path) -> Option<Arc<str>> {
        self.lock().get(path).cloned()
    }

    pub fn set(&self, path: PathBuf, text: Arc<str>) {
        self.lock().insert(path, text);
    }

    pub fn remove(&self, path: &Path) -> Option<Arc<str>> {
        self.lock().remove(path)
    }

    pub fn contains(&self, path: &Path) -> bool {
        self.lock().contains_key(path)
    }

    /// Open buffers directly inside `dir`.
    fn children_of(&self, dir: &Path) -> Vec<PathBuf> {
        self.lock()
            .keys()
            .filter(|p| p.parent() == Some(dir))
            .cloned()
            .collect()
    }
}

/// [`System`] reading open buffers first, then the disk.
pub struct OverlaySystem {
    pub overlay: Overlay,
}

impl System for OverlaySystem {
    fn read_to_string(&self, path: &Path) -> io::Result<String> {
        match self.overlay.get(path) {
            Some(text) => Ok(text.to_string()),
            None => OsSystem.read_to_string(path),
        }
    }

    fn read_dir(&self, path: &Path) -> io::Result<Vec<PathBuf>> {
        self.with_open_buffers(path, OsSystem.read_dir(path))
    }

    fn is_dir(&self, path: &Path) -> bool {
        OsSystem.is_dir(path) || !self.overlay.children_of(path).is_empty()
    }

    fn is_file(&self, path: &Path) -> bool {
        self.overlay.contains(path) || OsSystem.is_file(path)
    }

    fn files_in(&self, path: &Path) -> io::Result<Vec<PathBuf>> {
        self.with_open_buffers(path, OsSystem.files_in(path))
    }
}

impl OverlaySystem {
    /// A listing of `dir` from the disk, with the open buffers inside it added (sorted, once
    /// each); a directory missing on disk but holding open buffers lists just those.
    fn with_open_buffers(
        &self,
        dir: &Path,
        on_disk: io::Result<Vec<PathBuf>>,
    ) -> io::Result<Vec<PathBuf>> {
        let extra = self.overlay.children_of(dir);
        let mut entries = match on_disk {
            Ok(entries) => entries,
            Err(_) if !extra.is_empty() => Vec::new(),
            Err(e) => return Err(e),
        };
        entries.extend(extra);
        entries.sort();
        entries.dedup();
        Ok(entries)
    }
}
