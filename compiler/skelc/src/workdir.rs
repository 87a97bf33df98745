//! Where a command works. Paths on the command line, and paths in messages, are taken against
//! the directory skelc was started in (after `--chdir`). The commands that evaluate a
//! configuration then make its root module's directory their working directory, as Terraform's
//! `-chdir` does: `path.module` is `"."` for the root (and relative for a child), `path.root`
//! is `"."`, and relative paths in the configuration mean the same whichever directory skelc
//! was started from, so state never records where the checkout happens to be.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

static STARTED_IN: OnceLock<PathBuf> = OnceLock::new();

/// An error with a hint on how to fix it, printed as `error: …` then `help: …`.
#[derive(Debug)]
pub struct Hinted {
    pub message: String,
    pub help: String,
}

impl std::fmt::Display for Hinted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.message)
    }
}

impl std::error::Error for Hinted {}

/// An error with a hint, for `anyhow`.
pub fn hinted(message: impl Into<String>, help: impl Into<String>) -> anyhow::Error {
    Hinted {
        message: message.into(),
        help: help.into(),
    }
    .into()
}

/// Records the directory skelc was started in (call once, after `--chdir`).
pub fn init() {
    if let Ok(dir) = std::env::current_dir() {
        let _ = STARTED_IN.set(dir);
    }
}

/// The directory skelc was started in (after `--chdir`).
pub fn started_in() -> PathBuf {
    STARTED_IN
        .get()
        .cloned()
        .or_else(|| std::env::current_dir().ok())
        .unwrap_or_default()
}

/// A path from the command line, absolute against the directory skelc was started in.
pub fn from_command_line(path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        started_in().join(path)
    }
}

/// `path` as shown in messages: relative to the directory skelc was started in when inside it.
pub fn shown(path: &Path) -> PathBuf {
    match path.strip_prefix(started_in()) {
        Ok(p) if p.as_os_str().is_empty() => PathBuf::from("."),
        Ok(p) => p.to_path_buf(),
        Err(_) => path.to_path_buf(),
    }
}

/// How a command uses its directory argument, which decides what a file given instead means.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum DirUse {
    /// It only reads (`check`, `plan`, `graph`, `output`, `state list`/`show`): a file stands
    /// for the directory it is in.
    Reads,
    /// It changes state or infrastructure: a file is refused, naming the directory to give.
    Changes,
}

/// The absolute root module directory `arg` names, for `skelc COMMAND`.
pub fn root_dir(arg: &Path, command: &str, usage: DirUse) -> anyhow::Result<PathBuf> {
    let path = from_command_line(arg);
    if path.is_dir() {
        return Ok(path);
    }
    let parent = arg
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if path.is_file() {
        if usage == DirUse::Reads {
            eprintln!(
                "note: {} is a file; using the module in its directory, {}",
                arg.display(),
                parent.display()
            );
            return Ok(path.parent().map(Path::to_path_buf).unwrap_or(path));
        }
        return Err(hinted(
            format!(
                "{} is a file, not a directory: a root module is a directory",
                arg.display()
            ),
            format!(
                "give the module's directory: `skelc {command} {}`",
                parent.display()
            ),
        ));
    }
    Err(hinted(
        format!("no such directory: {}", arg.display()),
        "give the root module's directory (default: the current directory)",
    ))
}

/// Makes `root` the working directory of this process.
pub fn enter(root: &Path) -> anyhow::Result<()> {
    std::env::set_current_dir(root)
        .map_err(|e| anyhow::anyhow!("cannot change into {}: {e}", root.display()))
}
