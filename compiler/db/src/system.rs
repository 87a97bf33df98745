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

    /// The entries of a directory that are files (following symbolic links), sorted. The
    /// default asks [`System::is_file`] of each entry; the real file system answers from the
    /// directory listing itself, without a `stat` per file (20,000 of them in a large
    /// workspace).
    fn files_in(&self, path: &Path) -> io::Result<Vec<PathBuf>> {
        let mut files = self.read_dir(path)?;
        files.retain(|p| self.is_file(p));
        Ok(files)
    }
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

    fn files_in(&self, path: &Path) -> io::Result<Vec<PathBuf>> {
        let mut files = Vec::new();
        for entry in std::fs::read_dir(path)? {
            let Ok(entry) = entry else { continue };
            let is_file = match entry.file_type() {
                Ok(t) if t.is_symlink() => entry.path().is_file(),
                Ok(t) => t.is_file(),
                Err(_) => false,
            };
            if is_file {
                files.push(entry.path());
            }
        }
        files.sort();
        Ok(files)
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

    /// `files_in` answers from the directory listing: regular files and links to files, not
    /// directories, links to directories or dangling links, and the same as the default
    /// (`read_dir` + `is_file`) would.
    #[test]
    fn os_files_in_follows_links_to_files_only() {
        let dir = std::env::temp_dir().join(format!("skel-files-in-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("sub.skel")).unwrap();
        std::fs::write(dir.join("main.skel"), "x").unwrap();
        std::os::unix::fs::symlink(dir.join("main.skel"), dir.join("link.skel")).unwrap();
        std::os::unix::fs::symlink(dir.join("sub.skel"), dir.join("dirlink.skel")).unwrap();
        std::os::unix::fs::symlink(dir.join("gone.skel"), dir.join("dangling.skel")).unwrap();
        let files = OsSystem.files_in(&dir);
        let mut by_default = OsSystem.read_dir(&dir).unwrap();
        by_default.retain(|p| OsSystem.is_file(p));
        let missing = OsSystem.files_in(&dir.join("missing"));
        std::fs::remove_dir_all(&dir).unwrap();
        let files = files.unwrap();
        assert_eq!(files, [dir.join("link.skel"), dir.join("main.skel")]);
        assert_eq!(files, by_default);
        assert!(missing.is_err());
    }
}
