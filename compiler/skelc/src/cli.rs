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
    /// Show what `skelc run` would change. Exit 2 with --detailed-exitcode when there are changes.
    Plan(PlanArgs),
    /// Check, plan, show the plan, confirm, and apply exactly it (or apply a saved plan file).
    Run(RunArgs),
    /// Destroy everything in state.
    Destroy(DestroyArgs),
    /// Show the root module's outputs.
    Output(OutputArgs),
    /// Inspect or edit state: list, show, rm, mv.
    State(StateArgs),
    /// Adopt an existing object into state: `skelc import ADDRESS ID`.
    Import(ImportArgs),
    /// Print the configuration's dependency graph in Graphviz DOT.
    Graph(GraphArgs),
    /// Read every object back and record changes made outside skel.
    Refresh(RefreshArgs),
    /// Remove a stale state lock: `skelc force-unlock LOCK_ID`.
    ForceUnlock(UnlockArgs),
}

/// Root variable values (`-var`, `-var-file`; `*.skelvars` and `SKEL_VAR_*` are read too).
#[derive(clap::Args, Debug, Clone, Default)]
pub struct VarArgs {
    /// Set a root variable: `-var name=value` (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// Read root variable values from a file of `name = value` lines (repeatable).
    #[arg(long = "var-file", value_name = "FILE")]
    pub var_files: Vec<PathBuf>,
}

#[derive(clap::Args, Debug)]
pub struct PlanArgs {
    /// The root module's directory (its state lives there too).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    #[command(flatten)]
    pub vars: VarArgs,
    /// Save the plan so `skelc run FILE` applies exactly it.
    #[arg(long = "out", value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Print the plan as JSON (docs/plan-format.md).
    #[arg(long)]
    pub json: bool,
    /// Exit 0 without changes, 2 with changes, 1 on error.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Plan from state without reading objects back first.
    #[arg(long)]
    pub no_refresh: bool,
    /// Plan to destroy everything.
    #[arg(long)]
    pub destroy: bool,
}

/// Options of the commands that apply changes.
#[derive(clap::Args, Debug, Clone)]
pub struct ApplyArgs {
    /// Apply without asking for confirmation.
    #[arg(long)]
    pub auto_approve: bool,
    /// At most this many operations at once.
    #[arg(long, default_value_t = 10)]
    pub parallelism: usize,
    /// Do not read objects back before planning.
    #[arg(long)]
    pub no_refresh: bool,
}

#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// The root module's directory, or a plan file saved by `skelc plan -out FILE`.
    #[arg(default_value = ".")]
    pub target: PathBuf,
    #[command(flatten)]
    pub vars: VarArgs,
    #[command(flatten)]
    pub apply: ApplyArgs,
}

#[derive(clap::Args, Debug)]
pub struct DestroyArgs {
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    #[command(flatten)]
    pub vars: VarArgs,
    #[command(flatten)]
    pub apply: ApplyArgs,
}

#[derive(clap::Args, Debug)]
pub struct OutputArgs {
    /// One output's name (a sensitive one is printed only with --raw or --show-sensitive).
    pub name: Option<String>,
    /// The root module's directory.
    #[arg(long, default_value = ".")]
    pub dir: PathBuf,
    #[arg(long)]
    pub json: bool,
    /// Print the named output's bare value (a string, number or bool), even when sensitive.
    #[arg(long, conflicts_with = "json")]
    pub raw: bool,
    /// Show sensitive values instead of `(sensitive value)`.
    #[arg(long)]
    pub show_sensitive: bool,
}

#[derive(clap::Args, Debug)]
pub struct StateArgs {
    #[command(subcommand)]
    pub command: StateCommand,
    /// The root module's directory.
    #[arg(long, default_value = ".", global = true)]
    pub dir: PathBuf,
}

#[derive(clap::Subcommand, Debug)]
pub enum StateCommand {
    /// Every resource instance in state.
    List,
    /// One instance's attributes (sensitive ones redacted).
    Show { address: String },
    /// Forget instances (the real objects are not touched).
    Rm {
        #[arg(required = true)]
        addresses: Vec<String>,
    },
    /// Rename an instance in state.
    Mv { from: String, to: String },
}

#[derive(clap::Args, Debug)]
pub struct ImportArgs {
    pub address: String,
    pub id: String,
    #[arg(long, default_value = ".")]
    pub dir: PathBuf,
    #[command(flatten)]
    pub vars: VarArgs,
}

#[derive(clap::Args, Debug)]
pub struct GraphArgs {
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    #[command(flatten)]
    pub vars: VarArgs,
}

#[derive(clap::Args, Debug)]
pub struct RefreshArgs {
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    #[command(flatten)]
    pub vars: VarArgs,
}

#[derive(clap::Args, Debug)]
pub struct UnlockArgs {
    /// The lock's id, as shown in the "state is locked" message.
    pub id: String,
    #[arg(long, default_value = ".")]
    pub dir: PathBuf,
}

#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// The root module's directory.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    #[command(flatten)]
    pub vars: VarArgs,
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
        Some("-out") => OsString::from("--out"),
        Some("-auto-approve") => OsString::from("--auto-approve"),
        Some("-json") => OsString::from("--json"),
        Some("-detailed-exitcode") => OsString::from("--detailed-exitcode"),
        Some(s) if s.starts_with("-out=") => OsString::from(format!("-{s}")),
        Some(s) if s.starts_with("-var=") => OsString::from(format!("-{s}")),
        Some(s) if s.starts_with("-var-file=") => OsString::from(format!("-{s}")),
        _ => a,
    })
    .collect()
}
