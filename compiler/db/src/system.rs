//! The `System` trait: the only way compiler queries reach files, so tests can run from memory.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// File system access for the compiler.
pub trait System: Send + Sync + 'static {
    fn read_to_string(&self, path: &Path) -> io::Result<String>;
    /// The entries of a directory (files and subdirectories), sorted.
    fn read_dir(&self, path: &Path) -> io::Result<Vec<PathBuf>>;
    fn is_dir(&self, path: &Path) -> bool;
    fn is_file(&self, path: &Path) -> bool;
}

/// The real file system.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsSystem;

impl System for OsSystem {
    fn read_to_string(&self, path: &Path) -> io::Result<String> {
        std::fs::read_to_string(path)
    }

    fn read_dir(&self, path: &Path) -> io::Result<Vec<PathBuf>> {
        let mut entries = std::fs::read_dir(path)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect::<Vec<_>>();
        entries.sort();
        Ok(entries)
    }

    fn is_dir(&self, path: &Path) -> bool {
        path.is_dir()
    }

    fn is_file(&self, path: &Path) -> bool {
        path.is_file()
    }
}

/// An in-memory file system for tests: paths map to file texts; directories are implied.
#[derive(Debug, Default)]
pub struct MemorySystem {
    files: Mutex<BTreeMap<PathBuf, String>>,
}

impl MemorySystem {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn write(&self, path: impl Into<PathBuf>, text: impl Into<String>) {
        self.lock().insert(path.into(), text.into());
    }

    pub fn remove(&self, path: &Path) {
        self.lock().remove(path);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<PathBuf, String>> {
        // A poisoned lock only means another test thread panicked; the map itself is intact.
        self.files.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl System for MemorySystem {
    fn read_to_string(&self, path: &Path) -> io::Result<String> {
        self.lock()
            .get(path)
            .cloned()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such file"))
    }

    fn read_dir(&self, path: &Path) -> io::Result<Vec<PathBuf>> {
        let mut entries: Vec<PathBuf> = self
            .lock()
            .keys()
            .filter_map(|p| {
                let rest = p.strip_prefix(path).ok()?;
                let first = rest.components().next()?;
                Some(path.join(first))
            })
            .collect();
        entries.dedup();
        // `is_dir` takes the lock again: the guard above is already dropped.
        if entries.is_empty() && !self.is_dir(path) {
            return Err(io::Error::new(io::ErrorKind::NotFound, "no such directory"));
        }
        Ok(entries)
    }

    fn is_dir(&self, path: &Path) -> bool {
        self.lock().keys().any(|p| p != path && p.starts_with(path))
    }

    fn is_file(&self, path: &Path) -> bool {
        self.lock().contains_key(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_system_lists_and_reports_missing_directories() {
        let system = MemorySystem::new();
        system.write("/p/main.skel", "x");
        system.write("/p/sub/a.skel", "y");
        assert_eq!(
            system.read_dir(Path::new("/p")).unwrap(),
            [PathBuf::from("/p/main.skel"), PathBuf::from("/p/sub")]
        );
        assert!(system.is_dir(Path::new("/p/sub")));
        // A missing directory is an error, not a hang (the lock is not held twice).
        assert!(system.read_dir(Path::new("/p/missing")).is_err());
    }
}
