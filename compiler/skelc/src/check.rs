//! `skelc check`: check a module tree and report every diagnostic.

use std::path::Path;
use std::sync::Arc;

use anyhow::bail;
use skel_db::{Db, SkelDatabase};
use skel_types::ProjectInput;

use crate::cli::CheckArgs;
use crate::render::{self, Resolved};

pub fn run(args: CheckArgs) -> anyhow::Result<u8> {
    let root = std::path::absolute(&args.dir)?;
    if !root.is_dir() {
        bail!("{} is not a directory", args.dir.display());
    }
    let db = SkelDatabase::default();
    let (diagnostics, hidden) = check_dir(&db, &root, &args.vars.vars, &args.vars.var_files)?;
    let hidden = render::Hidden::new(&db, &hidden);
    if diagnostics.is_empty() && db.directory(&root).skel_files(&db).is_empty() {
        bail!("no .skel files in {}", args.dir.display());
    }
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let cwd = std::env::current_dir().unwrap_or_default();
    let resolved: Vec<Resolved> = diagnostics
        .iter()
        .map(|d| Resolved::hiding(&db, d, &cwd, &hidden))
        .collect();
    render::print(&resolved, args.format, !args.no_color)?;
    Ok(if errors > 0 { 1 } else { 0 })
}

/// Check the project rooted at `root`, returning diagnostics sorted by file and position, and
/// where the values of sensitive variables are written (not to be shown).
pub fn check_dir(
    db: &SkelDatabase,
    root: &Path,
    vars: &[String],
    var_files: &[std::path::PathBuf],
) -> anyhow::Result<(Vec<skel_db::Diagnostic>, Vec<skel_db::Span>)> {
    let vars = crate::vars::collect(db, root, vars, var_files)?;
    let input = ProjectInput {
        root: db.directory(root),
        vars,
    };
    let mut diagnostics = skel_types::check_project(db, &input);
    let hidden = skel_types::hidden_value_spans(db, &input);
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
