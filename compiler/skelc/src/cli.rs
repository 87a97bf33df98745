//! Command-line arguments: the commands, their options and aliases. Terraform's spellings are
//! accepted too (`normalize_args`: every long option with one dash, `-chdir=DIR`,
//! `-refresh=false`), and a Terraform command skel spells differently gets a hint (`hints`).

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

const AFTER_HELP: &str = "Every long option is also accepted with one dash, as Terraform spells \
them: -var, -var-file, -no-color, -auto-approve, -chdir=DIR, … (docs/cli.md)";

#[derive(clap::Parser, Debug)]
#[command(
    name = "skelc",
    version,
    about = "skel: statically typed infrastructure as code",
    after_help = AFTER_HELP
)]
pub struct Cli {
    /// Switch to DIR before anything else, as Terraform's `-chdir=DIR`: every path given on
    /// the command line is then relative to DIR.
    #[arg(long, value_name = "DIR", global = true)]
    pub chdir: Option<PathBuf>,
    /// Never use colour. Without it, colour is used when standard error is a terminal and the
    /// NO_COLOR environment variable is not set.
    #[arg(long, global = true)]
    pub no_color: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Check a module tree: syntax, names, types, schemas. Exit 1 if there are errors.
    #[command(visible_alias = "validate")]
    Check(CheckArgs),
    /// Rewrite files in the canonical format.
    Fmt(FmtArgs),
    /// Run the language server on stdin/stdout.
    Lsp,
    /// Show what `skelc run` would change. With --detailed-exitcode: exit 2 when there are changes.
    Plan(PlanArgs),
    /// Check, plan, show the plan, confirm, and apply exactly it (or apply a saved plan file).
    #[command(visible_alias = "apply")]
    Run(RunArgs),
    /// Destroy everything in state.
    Destroy(DestroyArgs),
    /// Show the root module's outputs: `skelc output [NAME] [DIR]`.
    Output(OutputArgs),
    /// Show the state in human form (`skelc show [DIR]`), or a plan saved by
    /// `skelc plan --out FILE` (`skelc show FILE`).
    Show(ShowArgs),
    /// Evaluate expressions against the configuration and state, one per line:
    /// `skelc console [DIR]`.
    Console(ConsoleArgs),
    /// Inspect or edit state: list, show, rm, mv, migrate (from Terraform).
    State(StateArgs),
    /// Adopt an existing object into state: `skelc import ADDRESS ID [DIR]`.
    Import(ImportArgs),
    /// Print the dependency graph in Graphviz DOT: of the configuration, or of a plan.
    Graph(GraphArgs),
    /// Read every object back and record changes made outside skel.
    Refresh(RefreshArgs),
    /// Remove a stale state lock: `skelc force-unlock LOCK_ID [DIR]`.
    ForceUnlock(UnlockArgs),
    /// Turn a Terraform module into a skel one: rename `.tf` to `.skel`, `.tfvars` to
    /// `.skelvars`, and `terraform { }` blocks to `skel { }`.
    Port(PortArgs),
    /// Set up the state backend and install the remote modules (registry, git, archives) the
    /// configuration calls, into `.skel/modules/`.
    Init(InitArgs),
    /// Workspaces: several states for one configuration (`new`, `select`, `list`, `show`,
    /// `delete`).
    Workspace(WorkspaceArgs),
}

#[derive(clap::Args, Debug)]
pub struct WorkspaceArgs {
    #[command(subcommand)]
    pub command: WorkspaceCommand,
    /// How long to wait for a state lock when another run holds it.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, global = true)]
    pub lock_timeout: Option<Duration>,
}

#[derive(clap::Subcommand, Debug)]
pub enum WorkspaceCommand {
    /// Create a workspace (an empty state) and select it: `skelc workspace new NAME [DIR]`.
    New {
        name: String,
        #[arg(value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Select a workspace: `skelc workspace select NAME [DIR]`.
    Select {
        name: String,
        #[arg(value_name = "DIR")]
        dir: Option<PathBuf>,
        /// Create it first when it does not exist.
        #[arg(long)]
        or_create: bool,
    },
    /// Every workspace, the selected one marked with `*`.
    List {
        #[arg(value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// The selected workspace's name.
    Show {
        #[arg(value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Delete a workspace's state: refused while it holds resources, unless --force (the real
    /// objects are not touched then: they are forgotten).
    Delete {
        name: String,
        #[arg(value_name = "DIR")]
        dir: Option<PathBuf>,
        #[arg(long)]
        force: bool,
    },
}

/// The root module's directory: the positional `[DIR]` every command that reads a
/// configuration or state takes, with `--dir DIR` kept as an alias.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct DirArg {
    /// The root module's directory (default: the current directory).
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// The same as DIR.
    #[arg(long = "dir", value_name = "DIR", hide = true)]
    pub dir_option: Option<PathBuf>,
}

impl DirArg {
    /// The directory given (positionally or with `--dir`), `.` when none.
    pub fn get(&self) -> anyhow::Result<PathBuf> {
        match (&self.dir, &self.dir_option) {
            (Some(a), Some(b)) if a != b => anyhow::bail!(
                "two directories given ({} and --dir {}); give one",
                a.display(),
                b.display()
            ),
            (Some(d), _) | (None, Some(d)) => Ok(d.clone()),
            (None, None) => Ok(PathBuf::from(".")),
        }
    }
}

/// Root variable values. Precedence, lowest first: `SKEL_VAR_*`/`TF_VAR_*` environment
/// variables, `skel.skelvars`/`terraform.tfvars(.json)`, `*.auto.skelvars`/`*.auto.tfvars(.json)`
/// in lexical order, then `--var` and `--var-file` in command-line order.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct VarArgs {
    /// Set a root variable: `--var NAME=VALUE` (repeatable; later ones win).
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// Read root variable values from a file of `name = value` lines, or a `.json` file
    /// (repeatable; later ones win).
    #[arg(long = "var-file", value_name = "FILE")]
    pub var_files: Vec<PathBuf>,
    /// `--var` and `--var-file` in the order they were given (filled in after parsing).
    #[arg(skip)]
    pub ordered: Vec<VarSource>,
}

/// One `--var` or `--var-file`, in command-line order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VarSource {
    Var(String),
    File(PathBuf),
}

impl VarArgs {
    /// The `--var` and `--var-file` values in command-line order (`ordered` when filled in;
    /// otherwise files first, then values).
    pub fn in_order(&self) -> Vec<VarSource> {
        if !self.ordered.is_empty() || (self.vars.is_empty() && self.var_files.is_empty()) {
            return self.ordered.clone();
        }
        let files = self.var_files.iter().cloned().map(VarSource::File);
        files
            .chain(self.vars.iter().cloned().map(VarSource::Var))
            .collect()
    }
}

/// Asking for missing variable values, as Terraform's `-input`.
#[derive(clap::Args, Debug, Clone)]
pub struct InputArgs {
    /// Ask for required variables that have no value when standard input is a terminal;
    /// `--input=false` fails instead (the default when standard input is not a terminal).
    #[arg(long, value_name = "BOOL", default_value_t = true, action = clap::ArgAction::Set)]
    pub input: bool,
}

/// Waiting for the state lock.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct LockArgs {
    /// How long to wait for the state lock when another run holds it (`30s`, `5m`, `1h`;
    /// default: fail at once).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub lock_timeout: Option<Duration>,
    /// `--lock=false`: read the state without taking its lock (read-only commands only: `plan`,
    /// `graph`); a run that needs recovering is then refused.
    #[arg(long, value_name = "BOOL", default_value_t = true, action = clap::ArgAction::Set)]
    pub lock: bool,
}

#[derive(clap::Args, Debug)]
pub struct PlanArgs {
    #[command(flatten)]
    pub dir: DirArg,
    #[command(flatten)]
    pub vars: VarArgs,
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub lock: LockArgs,
    /// Save the plan so `skelc run FILE` applies exactly it.
    #[arg(long = "out", value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Print the plan as JSON (docs/plan-format.md).
    #[arg(long)]
    pub json: bool,
    /// Exit 0 without changes, 2 with changes, 1 on error.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Plan from state without reading objects back first (Terraform: `-refresh=false`).
    #[arg(long)]
    pub no_refresh: bool,
    /// Plan to destroy everything.
    #[arg(long)]
    pub destroy: bool,
    #[command(flatten)]
    pub targeting: TargetArgs,
}

/// `-target` and `-replace`, as Terraform spells them.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct TargetArgs {
    /// Plan only this resource, instance or module call and what it depends on (repeatable).
    #[arg(long = "target", id = "target_address", value_name = "ADDRESS")]
    pub target: Vec<String>,
    /// Replace this resource instance even though nothing forces it (repeatable).
    #[arg(long = "replace", id = "replace_address", value_name = "ADDRESS")]
    pub replace: Vec<String>,
}

/// Options of the commands that apply changes.
#[derive(clap::Args, Debug, Clone)]
pub struct ApplyArgs {
    /// Apply without asking for confirmation.
    #[arg(long)]
    pub auto_approve: bool,
    /// At most this many operations at once.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub parallelism: usize,
    /// Do not read objects back before planning (Terraform: `-refresh=false`).
    #[arg(long)]
    pub no_refresh: bool,
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub lock: LockArgs,
    #[command(flatten)]
    pub targeting: TargetArgs,
}

#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// The root module's directory, or a plan file saved by `skelc plan --out FILE`
    /// (default: the current directory).
    #[arg(value_name = "DIR|PLANFILE")]
    pub target: Option<PathBuf>,
    /// The same as DIR.
    #[arg(long = "dir", value_name = "DIR", hide = true)]
    pub dir_option: Option<PathBuf>,
    #[command(flatten)]
    pub vars: VarArgs,
    #[command(flatten)]
    pub apply: ApplyArgs,
}

#[derive(clap::Args, Debug)]
pub struct DestroyArgs {
    #[command(flatten)]
    pub dir: DirArg,
    #[command(flatten)]
    pub vars: VarArgs,
    #[command(flatten)]
    pub apply: ApplyArgs,
}

#[derive(clap::Args, Debug)]
pub struct InitArgs {
    #[command(flatten)]
    pub dir: DirArg,
    /// Choose every module's version again (the highest its constraint allows) and fetch
    /// everything anew, instead of keeping what is installed.
    #[arg(long)]
    pub upgrade: bool,
    /// A backend setting the backend block leaves out (repeatable): `KEY=VALUE`, or a file of
    /// `KEY = VALUE` lines.
    #[arg(long = "backend-config", value_name = "KEY=VALUE|FILE")]
    pub backend_config: Vec<String>,
    /// Use the backend block's settings as they are now, forgetting the ones `skelc init`
    /// saved before (no state is moved).
    #[arg(long, conflicts_with = "migrate_state")]
    pub reconfigure: bool,
    /// Copy every workspace's state from the backend this directory was initialized with to
    /// the one the configuration now names (asks first; -force-copy does not).
    #[arg(long)]
    pub migrate_state: bool,
    /// With -migrate-state: copy without asking.
    #[arg(long)]
    pub force_copy: bool,
    /// With -migrate-state: how long to wait for the states' locks.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub lock_timeout: Option<Duration>,
    /// How to print the diagnostics of a failed installation: human (on standard error),
    /// or json, github, sarif (on standard output).
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

#[derive(clap::Args, Debug)]
pub struct PortArgs {
    #[command(flatten)]
    pub dir: DirArg,
    /// Print what would change without changing anything.
    #[arg(long)]
    pub dry_run: bool,
    /// Also port subdirectories (hidden ones, such as `.terraform`, are skipped).
    #[arg(long, short)]
    pub recursive: bool,
}

#[derive(clap::Args, Debug)]
pub struct OutputArgs {
    /// One output's name (a sensitive one is printed only with --raw or --show-sensitive). A
    /// single argument that names an existing directory is taken as DIR.
    #[arg(value_name = "NAME")]
    pub name: Option<String>,
    #[command(flatten)]
    pub dir: DirArg,
    /// Print JSON.
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
pub struct ShowArgs {
    /// The root module's directory (its state is shown), or a plan file saved by
    /// `skelc plan --out FILE` (default: the current directory).
    #[arg(value_name = "DIR|PLANFILE")]
    pub target: Option<PathBuf>,
    /// The same as DIR.
    #[arg(long = "dir", value_name = "DIR", hide = true)]
    pub dir_option: Option<PathBuf>,
    /// Variable values, for the key material of an encrypted state or plan.
    #[command(flatten)]
    pub vars: VarArgs,
    /// Print JSON: the state (documented in docs/cli.md) or the plan (docs/plan-format.md).
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::Args, Debug)]
pub struct ConsoleArgs {
    #[command(flatten)]
    pub dir: DirArg,
    #[command(flatten)]
    pub vars: VarArgs,
}

#[derive(clap::Args, Debug)]
pub struct StateArgs {
    #[command(subcommand)]
    pub command: StateCommand,
    /// The root module's directory (the same as a trailing DIR argument).
    #[arg(long = "dir", value_name = "DIR", global = true, hide = true)]
    pub dir_option: Option<PathBuf>,
    /// How long to wait for the state lock when another run holds it (`30s`, `5m`, `1h`;
    /// default: fail at once).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, global = true)]
    pub lock_timeout: Option<Duration>,
}

#[derive(clap::Subcommand, Debug)]
pub enum StateCommand {
    /// Every resource instance in state: `skelc state list [DIR]`.
    List {
        #[arg(value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// One instance's attributes (sensitive ones redacted); every instance of a resource with
    /// `count` or `for_each` when ADDRESS has no index: `skelc state show ADDRESS [DIR]`.
    Show {
        address: String,
        #[arg(value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Forget instances (the real objects are not touched): `skelc state rm ADDRESS... [DIR]`.
    Rm {
        /// Addresses, and last the directory when it is one.
        #[arg(required = true, value_name = "ADDRESS")]
        addresses: Vec<String>,
    },
    /// Rename an instance in state: `skelc state mv FROM TO [DIR]`.
    Mv {
        from: String,
        to: String,
        #[arg(value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Write the state to standard output (or --out FILE, created 0600), for a backup or a
    /// `state push` elsewhere. It holds every attribute value, secrets included, so it is
    /// refused when standard output is a terminal.
    Pull {
        #[arg(value_name = "DIR")]
        dir: Option<PathBuf>,
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Replace the state with a state file (`state pull`'s output): refused when it is of
    /// another lineage or an older serial than the current state, unless --force.
    Push {
        file: PathBuf,
        #[arg(value_name = "DIR")]
        dir: Option<PathBuf>,
        #[arg(long)]
        force: bool,
    },
    /// Take over a Terraform state (format version 4): `skelc state migrate --from-terraform
    /// terraform.tfstate [DIR]`. Refuses to replace an existing skel state without --force.
    Migrate {
        /// The Terraform state file (`terraform.tfstate`, or the output of `terraform state pull`).
        #[arg(long = "from-terraform", value_name = "PATH")]
        from_terraform: PathBuf,
        #[arg(value_name = "DIR")]
        dir: Option<PathBuf>,
        /// Replace an existing skel state (it is kept as the backup).
        #[arg(long)]
        force: bool,
    },
}

#[derive(clap::Args, Debug)]
pub struct ImportArgs {
    /// The address to import to, declared in the configuration (`local_file.f`, `aws_vpc.main`).
    pub address: String,
    /// The provider's id of the existing object.
    pub id: String,
    #[command(flatten)]
    pub dir: DirArg,
    #[command(flatten)]
    pub vars: VarArgs,
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub lock: LockArgs,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum GraphType {
    /// The configuration's blocks and module calls.
    #[default]
    Config,
    /// The resource instances of a plan, each with its action.
    Plan,
    /// The resource instances of a destroy plan.
    PlanDestroy,
}

#[derive(clap::Args, Debug)]
pub struct GraphArgs {
    #[command(flatten)]
    pub dir: DirArg,
    #[command(flatten)]
    pub vars: VarArgs,
    /// What to draw.
    #[arg(long = "type", value_enum, default_value_t = GraphType::Config)]
    pub graph_type: GraphType,
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub lock: LockArgs,
}

#[derive(clap::Args, Debug)]
pub struct RefreshArgs {
    #[command(flatten)]
    pub dir: DirArg,
    #[command(flatten)]
    pub vars: VarArgs,
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub lock: LockArgs,
}

#[derive(clap::Args, Debug)]
pub struct UnlockArgs {
    /// The lock's id, as shown in the "state is locked" message.
    #[arg(value_name = "LOCK_ID")]
    pub id: String,
    #[command(flatten)]
    pub dir: DirArg,
    /// Do not ask for confirmation (needed when standard input is not a terminal).
    #[arg(long)]
    pub force: bool,
}

#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    #[command(flatten)]
    pub dir: DirArg,
    /// Output format: human (on standard error), or json, github, sarif (on standard output).
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    #[command(flatten)]
    pub vars: VarArgs,
    /// Report required variables that have no value (for CI; `plan` and `run` always do).
    #[arg(long)]
    pub require_vars: bool,
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
    /// Print a unified diff of what changes (or, with --check, would change).
    #[arg(long)]
    pub diff: bool,
}

/// Parses `30s`, `5m`, `1h`, `500ms` or a number of seconds.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration (30s, 5m, 1h)"))?;
    let seconds = match unit {
        "" | "s" => value,
        "ms" => value / 1000.0,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        _ => {
            return Err(format!(
                "`{text}`: unknown unit `{unit}` (use ms, s, m or h)"
            ))
        }
    };
    if !seconds.is_finite() || seconds > 7.0 * 24.0 * 3600.0 {
        return Err(format!("`{text}` is longer than a week"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// Every long option name of the command tree (`var`, `no-color`, `chdir`, `help`, …).
fn long_options(cmd: &clap::Command, out: &mut std::collections::BTreeSet<String>) {
    for arg in cmd.get_arguments() {
        if let Some(long) = arg.get_long() {
            out.insert(long.to_string());
        }
        for alias in arg.get_all_aliases().unwrap_or_default() {
            out.insert(alias.to_string());
        }
    }
    for sub in cmd.get_subcommands() {
        long_options(sub, out);
    }
}

/// Terraform's spellings rewritten to skel's: `-name` and `-name=value` for every long option
/// become `--name…` (one dash is how Terraform users type them), `-refresh=false` becomes
/// `--no-refresh`. Nothing after `--` is touched.
pub fn normalize_args(args: impl Iterator<Item = OsString>) -> Vec<OsString> {
    let mut longs = std::collections::BTreeSet::new();
    long_options(&<Cli as clap::CommandFactory>::command(), &mut longs);
    longs.insert("help".into());
    longs.insert("version".into());
    let mut out = Vec::new();
    let mut rest = false;
    for arg in args {
        let Some(text) = arg.to_str().filter(|_| !rest) else {
            out.push(arg);
            continue;
        };
        if text == "--" {
            rest = true;
            out.push(arg);
            continue;
        }
        let dashed = text.strip_prefix("--").or_else(|| text.strip_prefix('-'));
        match dashed {
            Some("refresh=false") => out.push("--no-refresh".into()),
            Some("refresh=true") => {}
            Some(flag) if !text.starts_with("--") => {
                let name = flag.split_once('=').map_or(flag, |(n, _)| n);
                if name.len() > 1 && longs.contains(name) {
                    out.push(format!("-{text}").into());
                } else {
                    out.push(arg);
                }
            }
            _ => out.push(arg),
        }
    }
    out
}

/// Fills in `VarArgs::ordered` from where each `--var` and `--var-file` stood.
pub fn order_vars(matches: &clap::ArgMatches, vars: &mut VarArgs) {
    let Some((_, sub)) = matches.subcommand() else {
        return;
    };
    let mut all: Vec<(usize, VarSource)> = Vec::new();
    if let (Some(idx), Some(values)) = (sub.indices_of("vars"), sub.get_many::<String>("vars")) {
        all.extend(idx.zip(values).map(|(i, v)| (i, VarSource::Var(v.clone()))));
    }
    if let (Some(idx), Some(values)) = (
        sub.indices_of("var_files"),
        sub.get_many::<PathBuf>("var_files"),
    ) {
        all.extend(
            idx.zip(values)
                .map(|(i, v)| (i, VarSource::File(v.clone()))),
        );
    }
    all.sort_by_key(|(i, _)| *i);
    vars.ordered = all.into_iter().map(|(_, v)| v).collect();
}

impl Command {
    /// The variable options of the command, if it takes any.
    pub fn vars_mut(&mut self) -> Option<&mut VarArgs> {
        match self {
            Command::Check(a) => Some(&mut a.vars),
            Command::Plan(a) => Some(&mut a.vars),
            Command::Run(a) => Some(&mut a.vars),
            Command::Destroy(a) => Some(&mut a.vars),
            Command::Import(a) => Some(&mut a.vars),
            Command::Graph(a) => Some(&mut a.vars),
            Command::Refresh(a) => Some(&mut a.vars),
            _ => None,
        }
    }

    /// How long to wait for the state lock.
    pub fn lock_timeout(&self) -> Option<Duration> {
        match self {
            Command::Plan(a) => a.lock.lock_timeout,
            Command::Run(a) => a.apply.lock.lock_timeout,
            Command::Destroy(a) => a.apply.lock.lock_timeout,
            Command::Import(a) => a.lock.lock_timeout,
            Command::Graph(a) => a.lock.lock_timeout,
            Command::Refresh(a) => a.lock.lock_timeout,
            Command::State(a) => a.lock_timeout,
            Command::Workspace(a) => a.lock_timeout,
            Command::Init(a) => a.lock_timeout,
            _ => None,
        }
    }

    /// `--lock=false` given: `Some(read_only)` with whether the command only reads state.
    pub fn lock_disabled(&self) -> Option<bool> {
        let (lock, read_only) = match self {
            Command::Plan(a) => (a.lock.lock, true),
            Command::Graph(a) => (a.lock.lock, true),
            Command::Run(a) => (a.apply.lock.lock, false),
            Command::Destroy(a) => (a.apply.lock.lock, false),
            Command::Import(a) => (a.lock.lock, false),
            Command::Refresh(a) => (a.lock.lock, false),
            _ => return None,
        };
        (!lock).then_some(read_only)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use std::ffi::OsString;
    use std::path::PathBuf;
    use std::time::Duration;

    use clap::CommandFactory;

    use super::{
        long_options, normalize_args, order_vars, parse_duration, Cli, Command, VarSource,
    };

    fn all_longs() -> BTreeSet<String> {
        let mut longs = BTreeSet::new();
        long_options(&Cli::command(), &mut longs);
        longs
    }

    fn normalized(args: &[&str]) -> Vec<String> {
        normalize_args(args.iter().map(OsString::from))
            .into_iter()
            .map(|a| a.into_string().unwrap())
            .collect()
    }

    #[test]
    fn every_long_option_is_accepted_with_one_dash() {
        let longs = all_longs();
        assert!(longs.len() >= 20, "{longs:?}");
        for long in &longs {
            assert_eq!(
                normalized(&["skelc", &format!("-{long}")]),
                ["skelc".to_string(), format!("--{long}")]
            );
            assert_eq!(
                normalized(&["skelc", &format!("-{long}=x")]),
                ["skelc".to_string(), format!("--{long}=x")]
            );
        }
        // Short options, values, positionals and everything after `--` stay as they are.
        assert_eq!(
            normalized(&["skelc", "fmt", "-r", "-var", "x=-json", "--", "-json"]),
            ["skelc", "fmt", "-r", "--var", "x=-json", "--", "-json"]
        );
        assert_eq!(
            normalized(&["skelc", "plan", "-refresh=false", "-refresh=true"]),
            ["skelc", "plan", "--no-refresh"]
        );
    }

    #[test]
    fn terraform_spellings_parse() {
        let args = normalized(&[
            "skelc",
            "-chdir=infra",
            "apply",
            "-auto-approve",
            "-var",
            "a=1",
            "-var-file=x.skelvars",
            "-var=b=2",
            "-lock-timeout=2m",
            "-parallelism=3",
            "-input=false",
            "-no-color",
            "-refresh=false",
        ]);
        let matches = Cli::command().try_get_matches_from(&args).unwrap();
        let mut cli = <Cli as clap::FromArgMatches>::from_arg_matches(&matches).unwrap();
        if let Some(vars) = cli.command.vars_mut() {
            order_vars(&matches, vars);
        }
        assert_eq!(cli.chdir, Some(PathBuf::from("infra")));
        assert!(cli.no_color);
        assert_eq!(cli.command.lock_timeout(), Some(Duration::from_secs(120)));
        let Command::Run(run) = cli.command else {
            panic!("apply is run");
        };
        assert!(run.apply.auto_approve && run.apply.no_refresh && !run.apply.input.input);
        assert_eq!(run.apply.parallelism, 3);
        assert_eq!(
            run.vars.in_order(),
            [
                VarSource::Var("a=1".into()),
                VarSource::File("x.skelvars".into()),
                VarSource::Var("b=2".into()),
            ]
        );
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("7"), Ok(Duration::from_secs(7)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("3d").is_err());
        assert!(parse_duration("1e9").is_err());
    }

    /// docs/cli.md names every command, alias and long option.
    #[test]
    fn the_manual_lists_every_command_alias_and_option() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/cli.md");
        let manual = std::fs::read_to_string(path).expect("docs/cli.md");
        let cli = Cli::command();
        let mut missing = Vec::new();
        for sub in cli.get_subcommands() {
            let mut names: Vec<String> = vec![sub.get_name().to_string()];
            names.extend(sub.get_all_aliases().map(str::to_string));
            for sub2 in sub.get_subcommands() {
                names.push(format!("{} {}", sub.get_name(), sub2.get_name()));
            }
            for name in names {
                if !manual.contains(&format!("skelc {name}"))
                    && !manual.contains(&format!("`{name}`"))
                {
                    missing.push(name);
                }
            }
        }
        for long in all_longs() {
            if !manual.contains(&format!("--{long}")) {
                missing.push(format!("--{long}"));
            }
        }
        assert!(
            missing.is_empty(),
            "docs/cli.md does not mention {missing:?}"
        );
    }
}
