//! File and directory inputs, created on first use by a path registry so even missing files are tracked.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use salsa::{Durability, Setter};

use crate::{Db, System};

/// A source file. `text` is `None` when the file does not exist or cannot be read.
#[salsa::input(debug)]
pub struct File {
    #[returns(ref)]
    pub path: PathBuf,
    #[returns(ref)]
    pub text: Option<Arc<str>>,
}

/// A directory: the sorted configuration files directly inside it (`.skel` and Terraform's
/// `.tf`, read alike: a directory is a module), the JSON configuration files it has (`.tf.json`,
/// `.skel.json`: not read, reported), and whether it exists at all.
#[salsa::input(debug)]
pub struct Directory {
    #[returns(ref)]
    pub path: PathBuf,
    #[returns(ref)]
    pub skel_files: Arc<[PathBuf]>,
    #[returns(ref)]
    pub json_files: Arc<[PathBuf]>,
    #[returns(copy)]
    pub exists: bool,
}

/// The durability of files and directories as read from disk: `MEDIUM`, so that when only
/// `LOW` inputs change (the buffers an editor has open, [`set_file_durability`]), salsa
/// verifies every result that read nothing else in constant time, instead of walking its
/// dependencies down to the 20,000 files of a large workspace after each keystroke.
pub const DISK: Durability = Durability::MEDIUM;

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
        let file = File::builder(path.to_path_buf(), text)
            .durability(DISK)
            .new(db);
        *self.lock().files.entry(path.to_path_buf()).or_insert(file)
    }

    /// The input for directory `path`, listing it through the system on first use.
    pub fn directory(&self, db: &dyn Db, path: &Path) -> Directory {
        if let Some(dir) = self.lock().dirs.get(path) {
            return *dir;
        }
        let listing = list_module_files(db.system(), path);
        let dir = Directory::builder(
            path.to_path_buf(),
            listing.files,
            listing.json,
            listing.exists,
        )
        .durability(DISK)
        .new(db);
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

/// What a directory holds for the module it is.
pub struct Listing {
    /// `.skel` and `.tf` files, sorted by path.
    pub files: Arc<[PathBuf]>,
    /// `.tf.json` and `.skel.json` files, sorted.
    pub json: Arc<[PathBuf]>,
    pub exists: bool,
}

/// Whether `path` names a configuration file of a module: `.skel`, or Terraform's `.tf`.
pub fn is_config_file(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "skel" || e == "tf")
}

/// Whether `path` names a JSON configuration file (`.tf.json`, `.skel.json`).
pub fn is_json_config_file(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.ends_with(".tf.json") || n.ends_with(".skel.json"))
}

/// Whether `path` is an override file (`override.tf`, `NAME_override.tf` and the `.skel`
/// forms), merged into the module's other files as Terraform does.
pub fn is_override_file(path: &Path) -> bool {
    is_config_file(path)
        && path
            .file_stem()
            .and_then(|s| s.to_str())
            .is_some_and(|s| s == "override" || s.ends_with("_override"))
}

/// The configuration files of a directory, sorted, and whether the directory exists.
pub fn list_module_files(system: &dyn System, path: &Path) -> Listing {
    match system.files_in(path) {
        Ok(entries) => {
            let mut files = Vec::new();
            let mut json = Vec::new();
            for p in entries {
                if is_config_file(&p) {
                    files.push(p);
                } else if is_json_config_file(&p) {
                    json.push(p);
                }
            }
            files.sort();
            json.sort();
            Listing {
                files: files.into(),
                json: json.into(),
                exists: true,
            }
        }
        Err(_) => Listing {
            files: Arc::from(Vec::new()),
            json: Arc::from(Vec::new()),
            exists: false,
        },
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

/// Re-read a file's text from the system and give it `durability`: [`Durability::LOW`] while
/// an editor has it open and changes it at every keystroke, [`DISK`] again when it is closed.
/// The text is set even when equal: the durability changes with it.
pub fn set_file_durability(db: &mut dyn Db, file: File, durability: Durability) {
    let path = file.path(db).clone();
    let text = db.system().read_to_string(&path).ok().map(Arc::from);
    file.set_text(db).with_durability(durability).to(text);
}

/// Re-list a directory (after files were created or deleted).
pub fn refresh_directory(db: &mut dyn Db, dir: Directory) {
    let path = dir.path(db).clone();
    let listing = list_module_files(db.system(), &path);
    if dir.skel_files(db) != &listing.files {
        dir.set_skel_files(db).to(listing.files);
    }
    if dir.json_files(db) != &listing.json {
        dir.set_json_files(db).to(listing.json);
    }
    if dir.exists(db) != listing.exists {
        dir.set_exists(db).to(listing.exists);
    }
}
