//! File and directory inputs, created on first use by a path registry so even missing files are tracked.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use salsa::Setter;

use crate::{Db, System};

/// A source file. `text` is `None` when the file does not exist or cannot be read.
#[salsa::input(debug)]
pub struct File {
    #[returns(ref)]
    pub path: PathBuf,
    #[returns(ref)]
    pub text: Option<Arc<str>>,
}

/// A directory: the sorted `.skel` files directly inside it (a directory is a module), and
/// whether it exists at all.
#[salsa::input(debug)]
pub struct Directory {
    #[returns(ref)]
    pub path: PathBuf,
    #[returns(ref)]
    pub skel_files: Arc<[PathBuf]>,
    #[returns(copy)]
    pub exists: bool,
}

/// The registry of inputs by path. Each path gets exactly one input for the database's life.
#[derive(Default, Clone)]
pub struct Files {
    inner: Arc<Mutex<FilesInner>>,
}

#[derive(Default)]
struct FilesInner {
    files: HashMap<PathBuf, File>,
    dirs: HashMap<PathBuf, Directory>,
}

impl Files {
    fn lock(&self) -> std::sync::MutexGuard<'_, FilesInner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The input for `path`, reading it through the system on first use.
    pub fn file(&self, db: &dyn Db, path: &Path) -> File {
        if let Some(file) = self.lock().files.get(path) {
            return *file;
        }
        let text = db.system().read_to_string(path).ok().map(Arc::from);
        let file = File::new(db, path.to_path_buf(), text);
        *self.lock().files.entry(path.to_path_buf()).or_insert(file)
    }

    /// The input for directory `path`, listing it through the system on first use.
    pub fn directory(&self, db: &dyn Db, path: &Path) -> Directory {
        if let Some(dir) = self.lock().dirs.get(path) {
            return *dir;
        }
        let (entries, exists) = list_skel_files(db.system(), path);
        let dir = Directory::new(db, path.to_path_buf(), entries, exists);
        *self.lock().dirs.entry(path.to_path_buf()).or_insert(dir)
    }

    pub fn existing_file(&self, path: &Path) -> Option<File> {
        self.lock().files.get(path).copied()
    }

    pub fn existing_directory(&self, path: &Path) -> Option<Directory> {
        self.lock().dirs.get(path).copied()
    }

    /// Every file input created so far.
    pub fn all_files(&self) -> Vec<File> {
        self.lock().files.values().copied().collect()
    }
}

/// The `.skel` files of a directory, sorted, and whether the directory exists.
pub fn list_skel_files(system: &dyn System, path: &Path) -> (Arc<[PathBuf]>, bool) {
    match system.read_dir(path) {
        Ok(entries) => {
            let files: Vec<PathBuf> = entries
                .into_iter()
                .filter(|p| p.extension().is_some_and(|e| e == "skel") && system.is_file(p))
                .collect();
            (files.into(), true)
        }
        Err(_) => (Arc::from(Vec::new()), false),
    }
}

/// Re-read a file's text from the system (after it changed on disk).
pub fn refresh_file(db: &mut dyn Db, file: File) {
    let path = file.path(db).clone();
    let text = db.system().read_to_string(&path).ok().map(Arc::from);
    if file.text(db) != &text {
        file.set_text(db).to(text);
    }
}

/// Re-list a directory (after files were created or deleted).
pub fn refresh_directory(db: &mut dyn Db, dir: Directory) {
    let path = dir.path(db).clone();
    let (entries, exists) = list_skel_files(db.system(), &path);
    if dir.skel_files(db) != &entries {
        dir.set_skel_files(db).to(entries);
    }
    if dir.exists(db) != exists {
        dir.set_exists(db).to(exists);
    }
}
