//! `skelc fmt`: rewrite `.skel` and `.skelvars` files in the canonical format; `--check` only
//! reports, `--diff` prints a unified diff; syntax errors are reported as `check` reports them.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;

use crate::cli::FmtArgs;
use crate::exit::ExitStatus;
use crate::render::{Location, Resolved};

pub fn run(args: FmtArgs) -> anyhow::Result<ExitStatus> {
    let roots = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let mut files = Vec::new();
    for root in &roots {
        if root.is_dir() {
            collect(root, args.recursive, &mut files)?;
        } else if root.is_file() {
            files.push(root.clone());
        } else {
            anyhow::bail!("{} does not exist", root.display());
        }
    }
    let mut unformatted = 0;
    let mut failed = false;
    let cwd = crate::workdir::started_in();
    for path in files {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        match skel_syntax::format(&text) {
            Ok(formatted) if formatted == text => {}
            Ok(formatted) => {
                unformatted += 1;
                let shown = crate::workdir::shown(&crate::workdir::from_command_line(&path));
                if args.diff {
                    print!(
                        "{}",
                        crate::diff::unified(&shown.display().to_string(), &text, &formatted)
                    );
                } else {
                    println!("{}", shown.display());
                }
                if !args.check {
                    write_atomically(&path, &formatted)?;
                }
            }
            Err(errors) => {
                failed = true;
                let text: Arc<str> = Arc::from(text);
                let absolute = crate::workdir::from_command_line(&path);
                let resolved: Vec<Resolved> = errors
                    .into_iter()
                    .map(|e| Resolved {
                        code: skel_db::Code::SyntaxError.as_str(),
                        severity: skel_db::Severity::Error,
                        message: e.message,
                        primary: Location::in_text(&absolute, text.clone(), e.range, &cwd),
                        span_message: String::new(),
                        labels: Vec::new(),
                        notes: Vec::new(),
                        help: e.help,
                    })
                    .collect();
                crate::render::print(&resolved, crate::cli::Format::Human, false)?;
            }
        }
    }
    if failed {
        eprintln!("Files with syntax errors were left as they are.");
    }
    Ok(if failed {
        ExitStatus::Usage
    } else {
        ExitStatus::failed_if(args.check && unformatted > 0)
    })
}

fn collect(dir: &Path, recursive: bool, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            let hidden = path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.'));
            if recursive && !hidden {
                collect(&path, recursive, out)?;
            }
        } else if path
            .extension()
            .is_some_and(|e| e == "skel" || e == "skelvars")
        {
            out.push(path);
        }
    }
    Ok(())
}

/// Write through a temporary file and rename, so an interrupted run never truncates a file.
fn write_atomically(path: &Path, text: &str) -> anyhow::Result<()> {
    let tmp = path.with_extension("skelfmt.tmp");
    std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
    if let Ok(meta) = std::fs::metadata(path) {
        let _ = std::fs::set_permissions(&tmp, meta.permissions());
    }
    std::fs::rename(&tmp, path).with_context(|| format!("cannot replace {}", path.display()))?;
    Ok(())
}
