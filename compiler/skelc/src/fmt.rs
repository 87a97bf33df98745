//! `skelc fmt`: rewrite `.skel`/`.tf` and `.skelvars`/`.tfvars` files in the canonical format; `--check` only
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
                    let name = shown.display().to_string();
                    let diff = if is_variable_file(&path) {
                        crate::diff::unified(&name, &mask_values(&text), &mask_values(&formatted))
                    } else {
                        crate::diff::unified(&name, &text, &formatted)
                    };
                    print!("{diff}");
                } else {
                    println!("{}", shown.display());
                }
                if !args.check {
                    write_atomically(&path, &formatted)?;
                }
            }
            Err(errors) => {
                failed = true;
                // A variable file's values may be secrets: its snippets show them masked.
                let text: Arc<str> = if is_variable_file(&path) {
                    Arc::from(mask_values(&text))
                } else {
                    Arc::from(text)
                };
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

/// `.skelvars` (and Terraform's `.tfvars`): files of values, which may be secrets.
fn is_variable_file(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e == "skelvars" || e == "tfvars")
}

/// A variable file as `fmt` may show it: every visible character of a value (after a line's
/// first `=`, and every line without one, such as a heredoc's body) becomes `*`, with the same
/// length in bytes, so the layout `fmt` changes and the byte ranges of syntax errors are kept.
fn mask_values(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let keep = line.find('=').map_or(0, |i| i + 1);
        out.push_str(&line[..keep]);
        for c in line[keep..].chars() {
            if c.is_whitespace() {
                out.push(c);
            } else {
                out.extend(std::iter::repeat_n('*', c.len_utf8()));
            }
        }
    }
    out
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
            .is_some_and(|e| e == "skel" || e == "skelvars" || e == "tf" || e == "tfvars")
        {
            out.push(path);
        }
    }
    Ok(())
}

/// Write through a temporary file and rename, so an interrupted run never truncates a file. The
/// temporary file is created with the original's mode (a private variable file is never
/// readable by others, not even for a moment).
fn write_atomically(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let tmp = path.with_extension("skelfmt.tmp");
    let mode = std::fs::metadata(path).map_or(0o644, |m| m.permissions().mode() & 0o7777);
    let _ = std::fs::remove_file(&tmp);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(&tmp)
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    // The umask may have narrowed the mode: give the file exactly the original's.
    let _ = std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(mode));
    std::fs::rename(&tmp, path).with_context(|| format!("cannot replace {}", path.display()))?;
    Ok(())
}
