//! `skelc check` (alias `validate`): check a module tree and report every diagnostic.

use std::collections::HashSet;
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex};

use skel_db::{Db, Directory, SkelDatabase};
use skel_types::ProjectInput;

use crate::cli::{CheckArgs, VarArgs};
use crate::exit::ExitStatus;
use crate::render::{self, Resolved};
use crate::workdir::{self, DirUse};

pub fn run(args: CheckArgs) -> anyhow::Result<ExitStatus> {
    let root = workdir::root_dir(&args.dir.get()?, "check", DirUse::Reads)?;
    let db = SkelDatabase::default();
    let directory = db.directory(&root);
    // A directory of `.tf.json` files only is checked: each gets its diagnostic.
    if directory.skel_files(&db).is_empty() && directory.json_files(&db).is_empty() {
        return Err(workdir::hinted(
            format!(
                "no .skel files (nor .tf files) in {}",
                workdir::shown(&root).display()
            ),
            "give the directory of a root module (the `.skel` or `.tf` files of one module)",
        ));
    }
    let (diagnostics, hidden) = check_dir(&db, &root, &args.vars, args.require_vars)?;
    let hidden = render::Hidden::new(&db, &hidden);
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let cwd = workdir::started_in();
    let resolved: Vec<Resolved> = diagnostics
        .iter()
        .map(|d| Resolved::hiding(&db, d, &cwd, &hidden))
        .collect();
    render::print(&resolved, args.format, true)?;
    // The process ends here: freeing every memoized query of a large workspace one by one
    // (tens of thousands of files) takes longer than the exit, which frees it all at once.
    drop(resolved);
    std::mem::forget(db);
    Ok(ExitStatus::failed_if(errors > 0))
}

/// Check the project rooted at `root`, returning diagnostics sorted by file and position, and
/// where the values of sensitive variables are written (not to be shown); with
/// `require_vars`, required variables without a value are errors too.
pub fn check_dir(
    db: &SkelDatabase,
    root: &Path,
    vars: &VarArgs,
    require_vars: bool,
) -> anyhow::Result<(Vec<skel_db::Diagnostic>, Vec<skel_db::Span>)> {
    let vars = crate::vars::collect(db, root, vars)?;
    let input = ProjectInput {
        root: db.directory(root),
        vars,
    };
    check_modules_in_parallel(db, input.root);
    let mut diagnostics = skel_types::check_project(db, &input);
    let hidden = skel_types::hidden_value_spans(db, &input);
    if require_vars {
        diagnostics.extend(skel_types::missing_variable_diagnostics(db, &input));
    }
    let mut keyed: Vec<(Arc<Path>, u32, skel_db::Diagnostic)> = diagnostics
        .drain(..)
        .map(|d| {
            let path: Arc<Path> = Arc::from(d.span.file.path(db).as_path());
            (path, d.span.resolve(db).start(), d)
        })
        .collect();
    keyed.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    keyed.dedup_by(|a, b| a.2 == b.2);
    Ok((keyed.into_iter().map(|(_, _, d)| d).collect(), hidden))
}

/// Check every module of the tree under `root` on all cores (a database clone per thread;
/// salsa makes a thread wait for a query another one is computing), so that
/// `skel_types::check_project` then finds each module's check done. The tree is walked
/// breadth first as the modules' calls are read: a module's children are queued before it
/// is checked, so the other threads start on them at once. At 2,000 module directories most
/// of the time is reading, parsing and checking files, which the modules do independently.
fn check_modules_in_parallel(db: &SkelDatabase, root: Directory) {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    if threads < 2 {
        return;
    }
    struct Work {
        queue: Vec<Directory>,
        seen: HashSet<Directory>,
        busy: usize,
    }
    let work = Mutex::new(Work {
        queue: vec![root],
        seen: HashSet::from([root]),
        busy: 0,
    });
    let changed = Condvar::new();
    let lock = || work.lock().unwrap_or_else(|e| e.into_inner());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let db = db.clone();
            let (lock, changed) = (&lock, &changed);
            scope.spawn(move || loop {
                let dir = {
                    let mut w = lock();
                    loop {
                        if let Some(dir) = w.queue.pop() {
                            w.busy += 1;
                            break dir;
                        }
                        if w.busy == 0 {
                            changed.notify_all();
                            return;
                        }
                        w = changed.wait(w).unwrap_or_else(|e| e.into_inner());
                    }
                };
                // A panic is caught so that the slot is given back first: the other threads
                // would otherwise wait for it forever; it is re-raised after.
                let checked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    let children = skel_hir::module_sources(&db, dir).clone();
                    {
                        let mut w = lock();
                        for &child in children.iter() {
                            if child.exists(&db) && w.seen.insert(child) {
                                w.queue.push(child);
                            }
                        }
                    }
                    changed.notify_all();
                    let _ = skel_types::check_module(&db, dir);
                }));
                lock().busy -= 1;
                changed.notify_all();
                if let Err(panic) = checked {
                    std::panic::resume_unwind(panic);
                }
            });
        }
    });
}
