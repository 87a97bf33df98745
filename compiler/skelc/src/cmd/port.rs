//! `skelc port DIR`: turn a Terraform module directory into a skel one. `.tf` files become
//! `.skel` files, `.tfvars` files `.skelvars` files (`terraform.tfvars` becomes `skel.skelvars`,
//! the name skel loads by itself), and a top-level `terraform { }` block becomes `skel { }`;
//! only that keyword changes, every other byte (comments, layout, line ends) is kept.
//!
//! Nothing is changed when any new name is already taken: every conflict is listed first.
//! `--dry-run` prints the same report without touching a file.

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::cli::PortArgs;
use crate::exit::ExitStatus;
use crate::workdir::{self, DirUse};

/// One file to port.
struct Move {
    from: PathBuf,
    to: PathBuf,
    /// The new text when the content changes (a `terraform` block renamed).
    text: Option<String>,
    /// The 1-based lines of the `terraform` keywords rewritten.
    lines: Vec<usize>,
}

pub fn run(args: PortArgs) -> anyhow::Result<ExitStatus> {
    let root = workdir::root_dir(&args.dir.get()?, "port", DirUse::Changes)?;
    let mut dirs = vec![root.clone()];
    if args.recursive {
        collect_dirs(&root, &mut dirs)?;
    }
    let mut moves = Vec::new();
    let mut left = Vec::new();
    for dir in &dirs {
        plan_dir(dir, &mut moves, &mut left)?;
    }
    let conflicts: Vec<&Move> = moves.iter().filter(|m| m.to.exists()).collect();
    if !conflicts.is_empty() {
        let list: Vec<String> = conflicts
            .iter()
            .map(|m| {
                format!(
                    "{} (for {})",
                    workdir::shown(&m.to).display(),
                    workdir::shown(&m.from).display()
                )
            })
            .collect();
        return Err(workdir::hinted(
            format!(
                "not porting: {} already exist{}: {}",
                if list.len() == 1 { "a file" } else { "files" },
                if list.len() == 1 { "s" } else { "" },
                list.join(", ")
            ),
            "nothing was changed; merge or remove the existing files, then run `skelc port` again",
        ));
    }
    let verb = if args.dry_run {
        "would rename"
    } else {
        "renamed"
    };
    for m in &moves {
        if !args.dry_run {
            apply(m)?;
        }
        println!(
            "{verb} {} -> {}",
            workdir::shown(&m.from).display(),
            workdir::shown(&m.to).display()
        );
        for line in &m.lines {
            println!(
                "  {} `terraform {{` -> `skel {{` at {}:{line}",
                if args.dry_run {
                    "would rewrite"
                } else {
                    "rewrote"
                },
                workdir::shown(&m.to).display()
            );
        }
    }
    for path in &left {
        println!(
            "left {} as it is: JSON configuration is not read by skel; rewrite it in the native syntax",
            workdir::shown(path).display()
        );
    }
    if moves.is_empty() {
        println!(
            "nothing to port in {}: no .tf or .tfvars files",
            workdir::shown(&root).display()
        );
    }
    Ok(ExitStatus::Success)
}

/// Subdirectories, recursively, skipping hidden ones (`.terraform`, `.skel`, `.git`).
fn collect_dirs(dir: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    for path in sorted_entries(dir)? {
        let hidden = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if path.is_dir() && !hidden {
            out.push(path.clone());
            collect_dirs(&path, out)?;
        }
    }
    Ok(())
}

fn sorted_entries(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    Ok(entries)
}

fn plan_dir(dir: &Path, moves: &mut Vec<Move>, left: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    for path in sorted_entries(dir)? {
        if !path.is_file() {
            continue;
        }
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if name.ends_with(".tf.json") || name.ends_with(".tfvars.json") {
            left.push(path.clone());
        } else if let Some(stem) = name.strip_suffix(".tf") {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let (new, lines) = rename_terraform_blocks(&text);
            moves.push(Move {
                to: path.with_file_name(format!("{stem}.skel")),
                from: path,
                text: (new != text).then_some(new),
                lines,
            });
        } else if let Some(stem) = name.strip_suffix(".tfvars") {
            let new_name = if stem == "terraform" {
                "skel.skelvars".to_string()
            } else {
                format!("{stem}.skelvars")
            };
            moves.push(Move {
                to: path.with_file_name(new_name),
                from: path,
                text: None,
                lines: Vec::new(),
            });
        }
    }
    Ok(())
}

/// `text` with the keyword of every top-level `terraform` block replaced by `skel`, and the
/// lines where that happened.
fn rename_terraform_blocks(text: &str) -> (String, Vec<usize>) {
    let parse = skel_syntax::parse(text);
    let mut starts = Vec::new();
    for top in &parse.file.items {
        if let skel_syntax::Item::Block(block) = &*top.item {
            if block.ident.name == "terraform" {
                starts.push((top.offset + block.ident.range.start()) as usize);
            }
        }
    }
    let mut out = String::with_capacity(text.len());
    let mut lines = Vec::new();
    let mut done = 0;
    for start in starts {
        out.push_str(&text[done..start]);
        out.push_str("skel");
        done = start + "terraform".len();
        lines.push(text[..start].matches('\n').count() + 1);
    }
    out.push_str(&text[done..]);
    (out, lines)
}

/// Writes the new file (new text, or the same bytes) under the new name, keeping the mode, then
/// removes the old one; a rename when the content does not change.
fn apply(m: &Move) -> anyhow::Result<()> {
    let Some(text) = &m.text else {
        std::fs::rename(&m.from, &m.to)
            .with_context(|| format!("cannot rename {}", m.from.display()))?;
        return Ok(());
    };
    use std::io::Write;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let mode = std::fs::metadata(&m.from).map_or(0o644, |md| md.permissions().mode() & 0o7777);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(&m.to)
        .with_context(|| format!("cannot create {}", m.to.display()))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", m.to.display()))?;
    let _ = std::fs::set_permissions(&m.to, std::fs::Permissions::from_mode(mode));
    std::fs::remove_file(&m.from).with_context(|| format!("cannot remove {}", m.from.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::rename_terraform_blocks;

    #[test]
    fn only_top_level_terraform_keywords_change() {
        let text = "\u{FEFF}# terraform {\nterraform {\r\n  backend \"local\" {} # terraform\r\n}\r\nlocals {\r\n  terraform = 1\r\n}\r\nterraform{\r\n}\r\n";
        let (out, lines) = rename_terraform_blocks(text);
        assert_eq!(
            out,
            text.replacen("\nterraform {", "\nskel {", 1)
                .replacen("terraform{", "skel{", 1)
        );
        assert_eq!(lines, [2, 8]);
    }
}
