//! `skelc fmt`: rewrite `.skel` and `.skelvars` files in the canonical format.

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::cli::FmtArgs;

pub fn run(args: FmtArgs) -> anyhow::Result<u8> {
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
    for path in files {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        match skel_syntax::format(&text) {
            Ok(formatted) if formatted == text => {}
            Ok(formatted) => {
                unformatted += 1;
                if args.check {
                    println!("{}", path.display());
                    if args.diff {
                        print_diff(&text, &formatted);
                    }
                } else {
                    write_atomically(&path, &formatted)?;
                    println!("{}", path.display());
                }
            }
            Err(errors) => {
                failed = true;
                for e in errors {
                    let index = skel_db::LineIndex::new(&text);
                    let at = index.line_col(e.range.start());
                    eprintln!(
                        "{}:{}:{}: error[syntax-error]: {}",
                        path.display(),
                        at.line,
                        at.column,
                        e.message
                    );
                }
            }
        }
    }
    Ok(if failed {
        2
    } else if args.check && unformatted > 0 {
        1
    } else {
        0
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

/// A minimal line diff: lines only in the original (`-`) and only in the formatted text (`+`).
fn print_diff(old: &str, new: &str) {
    let old: Vec<&str> = old.lines().collect();
    let new: Vec<&str> = new.lines().collect();
    let (mut i, mut j) = (0, 0);
    while i < old.len() || j < new.len() {
        if i < old.len() && j < new.len() && old[i] == new[j] {
            i += 1;
            j += 1;
        } else if j < new.len() && !old[i.min(old.len())..].contains(&new[j]) {
            println!("+{}", new[j]);
            j += 1;
        } else if i < old.len() {
            println!("-{}", old[i]);
            i += 1;
        } else {
            println!("+{}", new[j]);
            j += 1;
        }
    }
}
