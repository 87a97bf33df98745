//! Command-line arguments, with Terraform's single-dash `-var` / `-var-file` spellings accepted.

use std::ffi::OsString;
use std::path::PathBuf;

#[derive(clap::Parser, Debug)]
#[command(
    name = "skelc",
    version,
    about = "skel: statically typed infrastructure as code"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Check a module tree: syntax, names, types, schemas. Exit 1 if there are errors.
    Check(CheckArgs),
    /// Rewrite files in the canonical format.
    Fmt(FmtArgs),
    /// Run the language server on stdin/stdout.
    Lsp,
}

#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// The root module's directory.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Set a root variable: `-var name=value` (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// Read root variable values from a file of `name = value` lines (repeatable).
    #[arg(long = "var-file", value_name = "FILE")]
    pub var_files: Vec<PathBuf>,
    /// Never use colour.
    #[arg(long)]
    pub no_color: bool,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
    Github,
    Sarif,
}

#[derive(clap::Args, Debug)]
pub struct FmtArgs {
    /// Files or directories to format (default: the current directory).
    pub paths: Vec<PathBuf>,
    /// Do not write; exit 1 if any file is not formatted.
    #[arg(long)]
    pub check: bool,
    /// Also format subdirectories.
    #[arg(long, short)]
    pub recursive: bool,
    /// Print the diff of what would change (with --check).
    #[arg(long)]
    pub diff: bool,
}

/// Accept `-var x=1` and `-var-file f` as Terraform users type them.
pub fn normalize_args(args: impl Iterator<Item = OsString>) -> Vec<OsString> {
    args.map(|a| match a.to_str() {
        Some("-var") => OsString::from("--var"),
        Some("-var-file") => OsString::from("--var-file"),
        Some(s) if s.starts_with("-var=") => OsString::from(format!("-{s}")),
        Some(s) if s.starts_with("-var-file=") => OsString::from(format!("-{s}")),
        _ => a,
    })
    .collect()
}
