//! The session actor: one thread that owns the mutable database and applies document events
//! strictly in the order the client sent them, then re-checks the affected modules and
//! publishes their diagnostics.
//!
//! It runs on its own OS thread rather than a tokio worker because setting a salsa input blocks
//! until every snapshot is dropped (snapshots are cancelled and unwind quickly, but the wait
//! must not stall the async runtime). Read requests ask it for a snapshot through the same
//! channel, so a request always sees every edit sent before it. Between two module checks the
//! actor looks at its queue again, so edits and requests never wait for a whole workspace check;
//! a changed module is checked before anything else queued, its callers after it. The first
//! check of the workspace is shared with helper threads on the other cores.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use salsa::Durability;
use skel_db::{Db, Directory, SkelDatabase};
use tokio::sync::{mpsc, oneshot};
use tower_lsp::lsp_types::{self as lsp, FileChangeType, TextDocumentContentChangeEvent, Url};

use crate::diagnostics::{module_diagnostics, with_dependents};
use crate::position::{apply_changes, Encoding};
use crate::snapshot::{path_to_uri, Snapshot};
use crate::system::{Overlay, OverlaySystem};

pub enum Event {
    Initialize {
        roots: Vec<PathBuf>,
        encoding: Encoding,
    },
    /// The client is ready: check every module under the roots.
    Initialized,
    Open {
        path: PathBuf,
        text: String,
        version: i32,
    },
    Change {
        path: PathBuf,
        version: i32,
        changes: Vec<TextDocumentContentChangeEvent>,
    },
    Save {
        path: PathBuf,
    },
    Close {
        path: PathBuf,
    },
    /// Files created, changed or deleted on disk (watched files, or file operations).
    Disk(Vec<(PathBuf, FileChangeType)>),
    Snapshot(oneshot::Sender<Snapshot>),
}

/// What the session tells the client, in order.
pub enum Outgoing {
    /// A `publishDiagnostics` notification.
    Diagnostics(Publish),
    /// The workspace's first check started (`modules` module directories).
    CheckStarted { modules: usize },
    /// How far the first check is (sent at most ten times a second, [`progress_interval`]).
    CheckProgress { checked: usize, modules: usize },
    /// The first check is complete: every module was checked once and every file with
    /// diagnostics published (a clean file nobody opened gets no notification).
    CheckDone {
        modules: usize,
        files_with_diagnostics: usize,
    },
}

/// A `publishDiagnostics` notification to send.
pub struct Publish {
    pub uri: Url,
    pub diagnostics: Vec<lsp::Diagnostic>,
    pub version: Option<i32>,
}

/// Start the actor thread.
pub fn spawn(events: mpsc::UnboundedReceiver<Event>, publish: mpsc::UnboundedSender<Outgoing>) {
    let overlay = Overlay::default();
    let system = OverlaySystem {
        overlay: overlay.clone(),
    };
    let session = Session {
        db: SkelDatabase::new(Arc::new(system)),
        overlay,
        encoding: Encoding::Utf16,
        roots: Vec::new(),
        known_dirs: BTreeSet::new(),
        known_cache: None,
        versions: HashMap::new(),
        published: HashMap::new(),
        dirty: VecDeque::new(),
        dirty_set: HashSet::new(),
        dependents_of: Vec::new(),
        force: HashSet::new(),
        publish,
        helper_queue: None,
        helpers_running: Arc::new(AtomicUsize::new(0)),
        first_check: None,
    };
    std::thread::Builder::new()
        .name("skel-session".into())
        .spawn(move || session.run(events))
        .expect("cannot start the session thread");
}

struct Session {
    db: SkelDatabase,
    overlay: Overlay,
    encoding: Encoding,
    roots: Vec<PathBuf>,
    known_dirs: BTreeSet<PathBuf>,
    known_cache: Option<Arc<[PathBuf]>>,
    versions: HashMap<PathBuf, i32>,
    /// The files whose last published diagnostics were not empty, by module directory: what
    /// a later check must clear, and what it need not republish when unchanged (by directory:
    /// a module's check looks at its own files only, not at the 20,000 of a large workspace).
    /// A clean file absent here is not published unless it was just opened, edited or saved:
    /// the client shows nothing for it either way, and 20,000 empty notifications at start
    /// were most of the first check's time.
    published: HashMap<PathBuf, HashMap<PathBuf, Vec<lsp::Diagnostic>>>,
    /// Modules to re-check, in order (the edited module before its callers).
    dirty: VecDeque<PathBuf>,
    /// The members of `dirty` (2,000 module directories make a linear search per insertion
    /// quadratic).
    dirty_set: HashSet<PathBuf>,
    /// Modules just queued whose callers are still to be queued.
    dependents_of: Vec<PathBuf>,
    /// Files whose diagnostics are published even when unchanged (they were just edited).
    force: HashSet<PathBuf>,
    publish: mpsc::UnboundedSender<Outgoing>,
    /// The workspace's first check, while it runs.
    first_check: Option<FirstCheck>,
    /// The modules of the first check the helper threads have not taken yet.
    helper_queue: Option<Arc<std::sync::Mutex<Vec<Directory>>>>,
    /// Helper threads still holding a database clone.
    helpers_running: Arc<AtomicUsize>,
}

/// The progress of the workspace's first check.
struct FirstCheck {
    modules: usize,
    checked: usize,
    reported: std::time::Instant,
}

impl Session {
    fn run(mut self, mut events: mpsc::UnboundedReceiver<Event>) {
        loop {
            let event = if self.dirty.is_empty() && self.dependents_of.is_empty() {
                if let Some(first) = self.first_check.take() {
                    let files_with_diagnostics = self.published.values().map(HashMap::len).sum();
                    let _ = self.publish.send(Outgoing::CheckDone {
                        modules: first.modules,
                        files_with_diagnostics,
                    });
                }
                match events.blocking_recv() {
                    Some(event) => event,
                    None => return,
                }
            } else {
                match events.try_recv() {
                    Ok(event) => event,
                    Err(mpsc::error::TryRecvError::Empty) => {
                        if let Some(dir) = self.dirty.pop_front() {
                            self.dirty_set.remove(&dir);
                            self.guarded("checking a module", |s| s.check_dir(&dir));
                            self.first_check_progress();
                        }
                        if !self.dependents_of.is_empty() {
                            self.guarded("finding callers", Session::enqueue_dependents);
                        }
                        continue;
                    }
                    Err(mpsc::error::TryRecvError::Disconnected) => return,
                }
            };
            self.guarded("handling an event", |s| s.handle(event));
            self.resume_helpers();
        }
    }

    /// Run `f`, surviving a panic (logged to stderr; the client sees stale diagnostics at worst).
    fn guarded(&mut self, what: &str, f: impl FnOnce(&mut Self)) {
        if std::panic::catch_unwind(AssertUnwindSafe(|| f(self))).is_err() {
            eprintln!("skel lsp: internal error while {what}");
        }
    }

    fn handle(&mut self, event: Event) {
        match event {
            Event::Initialize { roots, encoding } => {
                self.roots = roots.iter().map(|r| skel_hir::normalize_path(r)).collect();
                self.encoding = encoding;
            }
            Event::Initialized => {
                let mut all = Vec::new();
                for root in self.roots.clone() {
                    for dir in module_dirs_under(&root) {
                        self.add_known(dir.clone());
                        all.push(self.db.directory(&dir));
                        self.mark_dirty(dir);
                    }
                }
                let _ = self
                    .publish
                    .send(Outgoing::CheckStarted { modules: all.len() });
                self.first_check = Some(FirstCheck {
                    modules: all.len(),
                    checked: 0,
                    reported: std::time::Instant::now(),
                });
                self.check_on_other_cores(all);
            }
            Event::Open {
                path,
                text,
                version,
            } => {
                self.versions.insert(path.clone(), version);
                self.overlay.set(path.clone(), Arc::from(text));
                self.file_changed(&path, true, Some(Durability::LOW));
            }
            Event::Change {
                path,
                version,
                changes,
            } => {
                self.versions.insert(path.clone(), version);
                let old = self
                    .overlay
                    .get(&path)
                    .or_else(|| std::fs::read_to_string(&path).ok().map(Arc::from))
                    .unwrap_or_else(|| Arc::from(""));
                let new = apply_changes(&old, changes, self.encoding);
                self.overlay.set(path.clone(), Arc::from(new));
                self.file_changed(&path, false, Some(Durability::LOW));
            }
            Event::Save { path } => {
                self.force.insert(path.clone());
                if let Some(dir) = path.parent() {
                    self.enqueue_with_dependents(dir);
                }
            }
            Event::Close { path } => {
                self.versions.remove(&path);
                self.overlay.remove(&path);
                self.file_changed(&path, true, Some(skel_db::DISK));
                if !self.in_roots(&path) {
                    if let Some(dir) = path.parent() {
                        self.forget_dir(dir);
                    }
                }
            }
            Event::Disk(changes) => {
                for (path, kind) in changes {
                    if self.overlay.contains(&path) {
                        continue; // the open buffer wins until it is closed
                    }
                    if kind == FileChangeType::DELETED {
                        // Maybe a whole directory: re-list every known module inside it.
                        let inside: Vec<PathBuf> = self
                            .known_dirs
                            .iter()
                            .filter(|d| d.starts_with(&path))
                            .cloned()
                            .collect();
                        for dir in inside {
                            self.refresh_dir(&dir);
                            self.enqueue_with_dependents(&dir);
                        }
                    }
                    if skel_db::is_config_file(&path)
                        || skel_db::is_json_config_file(&path)
                        || is_module_manifest(&path)
                    {
                        self.file_changed(&path, false, None);
                    }
                }
            }
            Event::Snapshot(reply) => {
                let known_dirs = self
                    .known_cache
                    .get_or_insert_with(|| self.known_dirs.iter().cloned().collect())
                    .clone();
                let _ = reply.send(Snapshot {
                    db: self.db.clone(),
                    encoding: self.encoding,
                    known_dirs,
                });
            }
        }
    }

    /// The workspace's first check, shared with helper threads on the other cores: each takes
    /// modules from the end of a queue (this thread takes its own from the front) and checks
    /// them in a database clone (the memoized results are shared), so the session mostly
    /// publishes what they computed. Setting an input (an edit, an opened file) cancels their
    /// queries (salsa) and waits for their clones to be dropped: they stop, and
    /// [`Session::resume_helpers`] starts them again on the new revision, until the queue is
    /// empty.
    fn check_on_other_cores(&mut self, dirs: Vec<Directory>) {
        if dirs.len() < 2 {
            return;
        }
        self.helper_queue = Some(Arc::new(std::sync::Mutex::new(dirs)));
        self.resume_helpers();
    }

    fn resume_helpers(&mut self) {
        let Some(queue) = &self.helper_queue else {
            return;
        };
        let helpers = std::thread::available_parallelism().map_or(1, |n| n.get().min(8)) - 1;
        let lock = |q: &std::sync::Mutex<Vec<Directory>>| {
            q.lock().unwrap_or_else(|e| e.into_inner()).is_empty()
        };
        if helpers == 0 || lock(queue) {
            self.helper_queue = None;
            return;
        }
        if self.helpers_running.load(Ordering::Acquire) > 0 {
            return;
        }
        for _ in 0..helpers {
            let db = self.db.clone();
            let queue = queue.clone();
            let running = self.helpers_running.clone();
            running.fetch_add(1, Ordering::AcqRel);
            let helper = move || {
                loop {
                    let next = queue.lock().unwrap_or_else(|e| e.into_inner()).pop();
                    let Some(dir) = next else { break };
                    let checked = std::panic::catch_unwind(AssertUnwindSafe(|| {
                        salsa::Cancelled::catch(AssertUnwindSafe(|| {
                            let _ = skel_hir::module_sources(&db, dir);
                            let _ = skel_types::check_module(&db, dir);
                        }))
                    }));
                    match checked {
                        Ok(Ok(())) => {}
                        // Cancelled: this module is taken again on the next revision.
                        Ok(Err(_)) => {
                            queue.lock().unwrap_or_else(|e| e.into_inner()).push(dir);
                            break;
                        }
                        // A bug (the panic is printed): the session checks it itself.
                        Err(_) => break,
                    }
                }
                running.fetch_sub(1, Ordering::AcqRel);
                drop(db);
            };
            // Without the thread, the session checks every module itself.
            if std::thread::Builder::new()
                .name("skel-check-helper".into())
                .spawn(helper)
                .is_err()
            {
                self.helpers_running.fetch_sub(1, Ordering::AcqRel);
            }
        }
    }

    /// Count a module checked during the first check; report it at most ten times a second.
    fn first_check_progress(&mut self) {
        let Some(first) = &mut self.first_check else {
            return;
        };
        first.checked += 1;
        if first.reported.elapsed() >= progress_interval() {
            first.reported = std::time::Instant::now();
            let _ = self.publish.send(Outgoing::CheckProgress {
                checked: first.checked.min(first.modules),
                modules: first.modules,
            });
        }
    }

    fn in_roots(&self, path: &Path) -> bool {
        self.roots.iter().any(|root| path.starts_with(root))
    }

    fn add_known(&mut self, dir: PathBuf) {
        if self.known_dirs.insert(dir) {
            self.known_cache = None;
        }
    }

    fn refresh_dir(&mut self, dir: &Path) {
        let input = self.db.directory(dir);
        skel_db::refresh_directory(&mut self.db, input);
    }

    /// A file's text may differ from the database's (an open buffer or the disk): update the
    /// input, the directory listing (it may have appeared or gone), and queue its module.
    /// `durability`: set the text with it (`LOW` for a buffer being edited, `skel_db::DISK` for
    /// a closed one), so that a keystroke re-verifies only what read an open buffer.
    fn file_changed(&mut self, path: &Path, relist: bool, durability: Option<Durability>) {
        let existed = self.db.files().existing_file(path);
        let file = self.db.file(path);
        match durability {
            Some(durability) => skel_db::set_file_durability(&mut self.db, file, durability),
            None if existed.is_some() => skel_db::refresh_file(&mut self.db, file),
            None => {}
        }
        let Some(dir) = path.parent() else { return };
        let listed = self
            .db
            .files()
            .existing_directory(dir)
            .is_some_and(|d| d.skel_files(&self.db).iter().any(|p| p == path));
        if relist || listed != file.text(&self.db).is_some() {
            self.refresh_dir(dir);
        }
        if self.overlay.contains(path) || self.in_roots(path) {
            self.add_known(dir.to_path_buf());
        }
        self.force.insert(path.to_path_buf());
        self.enqueue_with_dependents(dir);
        // `skelc init` rewrote the module manifest, the lock file or a stored schema: remote
        // module calls and plugin types resolve anew, so every module is checked again.
        if is_module_manifest(path) {
            let known: Vec<PathBuf> = self.known_dirs.iter().cloned().collect();
            for dir in known {
                self.mark_dirty(dir);
            }
        }
    }

    /// Queue the module in `dir`, and later every known module that calls it, transitively.
    /// `dir` goes to the front: it holds what the user just touched (or what changed on disk),
    /// so its diagnostics never wait behind a workspace check in progress. Its callers are
    /// found after it is checked ([`Session::enqueue_dependents`]): finding them reads every
    /// known module's calls, which at the first open of a large workspace means parsing all
    /// of it, work the helper threads share meanwhile.
    fn enqueue_with_dependents(&mut self, dir: &Path) {
        let path = dir.to_path_buf();
        if self.dirty_set.contains(&path) {
            self.dirty.retain(|d| *d != path);
        }
        self.dirty_set.insert(path.clone());
        self.dirty.push_front(path.clone());
        if !self.dependents_of.contains(&path) {
            self.dependents_of.push(path);
        }
    }

    /// Queue (at the back) every known module calling one whose change is pending.
    fn enqueue_dependents(&mut self) {
        let changed: Vec<Directory> = std::mem::take(&mut self.dependents_of)
            .iter()
            .map(|d| self.db.directory(d))
            .collect();
        let known: Vec<Directory> = self
            .known_dirs
            .iter()
            .map(|d| self.db.directory(d))
            .collect();
        for dir in with_dependents(&self.db, &known, &changed) {
            if !changed.contains(&dir) {
                let path = dir.path(&self.db).clone();
                self.mark_dirty(path);
            }
        }
    }

    fn mark_dirty(&mut self, dir: PathBuf) {
        if self.dirty_set.insert(dir.clone()) {
            self.dirty.push_back(dir);
        }
    }

    /// Stop tracking a module outside the workspace whose last open file was closed.
    fn forget_dir(&mut self, dir: &Path) {
        if self.versions.keys().any(|p| p.parent() == Some(dir)) {
            return;
        }
        if self.known_dirs.remove(dir) {
            self.known_cache = None;
        }
        self.dirty.retain(|d| d != dir);
        self.dirty_set.remove(dir);
        self.clear_published(dir, &HashSet::new());
    }

    /// Publish empty diagnostics for files in `dir` that had some and are not in `keep`.
    fn clear_published(&mut self, dir: &Path, keep: &HashSet<PathBuf>) {
        let Some(files) = self.published.get_mut(dir) else {
            return;
        };
        let stale: Vec<PathBuf> = files
            .keys()
            .filter(|p| !keep.contains(*p))
            .cloned()
            .collect();
        for path in &stale {
            files.remove(path);
        }
        if files.is_empty() {
            self.published.remove(dir);
        }
        for path in stale {
            self.send(&path, Vec::new());
        }
    }

    fn check_dir(&mut self, dir_path: &Path) {
        let dir = self.db.directory(dir_path);
        if !dir.exists(&self.db) && !self.overlay_has_children(dir_path) {
            if self.known_dirs.remove(dir_path) {
                self.known_cache = None;
            }
            self.clear_published(dir_path, &HashSet::new());
            return;
        }
        let by_file = module_diagnostics(&self.db, dir, self.encoding);
        let keep: HashSet<PathBuf> = by_file.keys().cloned().collect();
        for (path, diagnostics) in by_file {
            let forced = self.force.remove(&path);
            let files = self.published.get_mut(dir_path);
            let before = files.as_ref().and_then(|f| f.get(&path));
            if !forced && before.map_or(diagnostics.is_empty(), |b| *b == diagnostics) {
                continue;
            }
            if diagnostics.is_empty() {
                if let Some(files) = files {
                    files.remove(&path);
                    if files.is_empty() {
                        self.published.remove(dir_path);
                    }
                }
            } else {
                let files = self.published.entry(dir_path.to_path_buf()).or_default();
                files.insert(path.clone(), diagnostics.clone());
            }
            self.send(&path, diagnostics);
        }
        self.clear_published(dir_path, &keep);
        self.force.retain(|p| p.parent() != Some(dir_path));
    }

    fn overlay_has_children(&self, dir: &Path) -> bool {
        self.versions.keys().any(|p| p.parent() == Some(dir))
    }

    fn send(&self, path: &Path, diagnostics: Vec<lsp::Diagnostic>) {
        if let Some(uri) = path_to_uri(path) {
            let _ = self.publish.send(Outgoing::Diagnostics(Publish {
                uri,
                diagnostics,
                version: self.versions.get(path).copied(),
            }));
        }
    }
}

/// How often the first check's progress is reported: 100 ms, or `SKEL_LSP_PROGRESS_MS` (the
/// tests set 0 to see a report after every module).
fn progress_interval() -> std::time::Duration {
    static INTERVAL: std::sync::OnceLock<std::time::Duration> = std::sync::OnceLock::new();
    *INTERVAL.get_or_init(|| {
        let ms = std::env::var("SKEL_LSP_PROGRESS_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(100);
        std::time::Duration::from_millis(ms)
    })
}

/// Every directory under `root` holding `.skel` or `.tf` files (skipping hidden and build
/// directories).
fn module_dirs_under(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut has_skel = false;
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name();
            let name = name.to_string_lossy();
            match entry.file_type() {
                Ok(t) if t.is_dir() => {
                    if !name.starts_with('.') && name != "target" && name != "node_modules" {
                        stack.push(path);
                    }
                }
                Ok(_) => has_skel |= skel_db::is_config_file(&path),
                Err(_) => {}
            }
        }
        if has_skel {
            out.push(dir);
        }
    }
    out.sort();
    out
}

/// Whether `path` is a file `skelc init` writes that the checker reads: the module manifest
/// (`.skel/modules/modules.json`), the lock file (`.skel.lock.hcl`) or a plugin's stored
/// schema (`.skel/providers/…/schema.json`).
fn is_module_manifest(path: &Path) -> bool {
    use skel_hir::provider_lock::{LOCK_FILE, SCHEMA_FILE};
    path.ends_with(Path::new(skel_hir::source::MODULES_DIR).join(skel_hir::source::MANIFEST_FILE))
        || path.file_name().is_some_and(|n| n == LOCK_FILE)
        || (path.file_name().is_some_and(|n| n == SCHEMA_FILE)
            && path.to_string_lossy().contains("/.skel/providers/"))
}
