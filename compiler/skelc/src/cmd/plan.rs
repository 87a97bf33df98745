//! `skelc plan`: show what `skelc run` would change; `-out FILE` saves the plan so that
//! `skelc run FILE` applies exactly it; `--json` prints the documented plan format.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use serde::{Deserialize, Serialize};
use skel_plan_ir::ChangeSet;
use skel_runtime::{PlanOptions, Planned};
use skel_value::Value;

use crate::cli::PlanArgs;
use crate::exit::ExitStatus;
use crate::glue;
use crate::workdir::{self, DirUse};

/// A saved plan: what to apply, and against which state.
#[derive(Serialize, Deserialize)]
pub struct PlanFile {
    pub format_version: u32,
    /// The root module's directory.
    pub root: std::path::PathBuf,
    /// The root variables' values, except ephemeral ones: those are never saved.
    pub variables: BTreeMap<String, Value>,
    /// Ephemeral root variables given when the plan was made: `skelc run FILE` needs their
    /// values again (from `-var`, `SKEL_VAR_…`, a variable file or a prompt).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ephemeral_variables: Vec<String>,
    pub changes: ChangeSet,
}

pub const PLAN_FILE_VERSION: u32 = 1;

/// What `destroy` and `plan --destroy` say when state holds nothing.
pub const NOTHING_TO_DESTROY: &str =
    "Nothing to destroy: the state holds no objects (none were created, or they are already gone).";

pub fn run(args: PlanArgs) -> anyhow::Result<ExitStatus> {
    let root = workdir::root_dir(&args.dir.get()?, "plan", DirUse::Reads)?;
    // `--out` is relative to where skelc was started, not to the module's directory.
    let out = args.out.as_deref().map(workdir::from_command_line);
    let project = super::load(&root, Some(&args.vars), args.input.input)?;
    let registry = glue::registry();
    let rt = glue::runtime()?;
    rt.block_on(async {
        let mut options = PlanOptions {
            destroy: args.destroy,
            refresh: !args.no_refresh,
            variables: project.variables.clone(),
            ..Default::default()
        };
        super::targeting(&args.targeting, &mut options)?;
        let (_locked, planned) =
            super::lock_and_plan(&project, &registry, "plan", options, true).await?;
        super::warn_targeted(&planned.changes);
        if args.json {
            println!(
                "{}",
                serde_json::to_string_pretty(&crate::render::plan_json::to_json(&planned.changes))?
            );
        } else {
            print_drift(&planned);
            print_checks(&planned.checks, true);
            if args.destroy && !planned.changes.has_changes() {
                println!("{NOTHING_TO_DESTROY}");
            } else {
                crate::render::plan::print(&planned.changes)?;
            }
        }
        if let (Some(out), Some(given)) = (&out, &args.out) {
            save(out, &project, &planned.changes)?;
            if !args.json {
                println!(
                    "\nSaved the plan to {}. Apply exactly it with: skelc run {}",
                    given.display(),
                    given.display()
                );
            }
        }
        let status = if args.detailed_exitcode && planned.changes.has_changes() {
            ExitStatus::ChangesPresent
        } else {
            ExitStatus::Success
        };
        planned.discard();
        Ok(status)
    })
}

/// The `check` blocks' outcomes: each failed assertion (or failed scoped data read) is a
/// warning on stderr; at plan, a check whose condition is known only after apply says so.
/// Never an error: checks do not block.
pub fn print_checks(checks: &[skel_runtime::CheckOutcome], at_plan: bool) {
    let mut later: Vec<&str> = Vec::new();
    for outcome in checks {
        if let Some(warning) = outcome.warning() {
            eprintln!("warning[check-failed]: {warning}");
        } else if at_plan
            && outcome.status == skel_runtime::CheckStatus::Unknown
            && !later.contains(&outcome.check.as_str())
        {
            later.push(&outcome.check);
        }
    }
    for check in later {
        eprintln!("note: {check} will be checked after apply (its condition depends on values known only then)");
    }
}

/// Which objects changed outside skel, and which of their arguments (names only).
pub fn print_drift(planned: &Planned) {
    if planned.drift.is_empty() {
        return;
    }
    println!("Objects changed outside skel since the last run:");
    for d in &planned.drift {
        match &d.attributes {
            None => println!("  # {} was deleted outside skel", d.addr),
            Some(attrs) => println!("  # {} changed outside skel: {}", d.addr, attrs.join(", ")),
        }
    }
    println!();
}

/// Write a plan file, readable only by its owner (it holds planned values, secrets included),
/// encrypted when `plan { }` encryption is configured. Ephemeral variables' values are left out
/// and only named; so are the variables the key providers read: both must be given again to
/// apply it.
fn save(path: &Path, project: &crate::project::Project, changes: &ChangeSet) -> anyhow::Result<()> {
    let encryption = &project.encryption;
    let ephemeral: Vec<String> = project
        .config
        .root()
        .variables
        .iter()
        .filter(|v| v.ephemeral && project.variables.contains_key(&v.name))
        .map(|v| v.name.clone())
        .collect();
    let file = PlanFile {
        format_version: PLAN_FILE_VERSION,
        root: project.root.clone(),
        variables: project
            .variables
            .iter()
            .filter(|(name, _)| {
                !ephemeral.contains(name) && !encryption.key_variables.contains(*name)
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        ephemeral_variables: ephemeral,
        changes: changes.clone(),
    };
    let plain = serde_json::to_vec(&file)?;
    let text = if encryption.plan.encrypts() {
        let sealed = encryption
            .plan
            .seal(&plain)
            .map_err(|e| anyhow::anyhow!("cannot encrypt the plan {}: {e}", path.display()))?;
        // The root module's directory stays readable beside the envelope: its configuration
        // says how to decrypt the rest. The copy inside is compared with it when loading.
        let mut envelope: serde_json::Map<String, serde_json::Value> =
            serde_json::from_slice(&sealed)?;
        envelope.insert(
            "root".into(),
            serde_json::Value::String(project.root.display().to_string()),
        );
        serde_json::to_vec(&envelope)?
    } else {
        plain
    };
    use std::io::Write;
    #[cfg(unix)]
    let mut f = {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(path)
    }
    .with_context(|| format!("cannot write {}", path.display()))?;
    #[cfg(not(unix))]
    let mut f =
        std::fs::File::create(path).with_context(|| format!("cannot write {}", path.display()))?;
    f.write_all(&text)?;
    f.sync_all()?;
    Ok(())
}

/// A plan file's bytes: a clear error for a missing file or a configuration file given where a
/// plan file is expected.
fn read_plan_bytes(path: &Path) -> anyhow::Result<Vec<u8>> {
    let shown = workdir::shown(path);
    let is_config = path
        .extension()
        .is_some_and(|e| e == "skel" || e == "tf" || e == "skelvars" || e == "tfvars");
    match std::fs::read(path) {
        Ok(_) if is_config => {
            let dir = shown
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            Err(workdir::hinted(
                format!(
                    "{} is a configuration file, not a plan file",
                    shown.display()
                ),
                format!(
                    "to apply the configuration, give its directory: `skelc run {}`",
                    dir.display()
                ),
            ))
        }
        Ok(bytes) => Ok(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(workdir::hinted(
            format!("no such file or directory: {}", shown.display()),
            "give a root module's directory, or a plan file written by `skelc plan --out FILE`",
        )),
        Err(e) => Err(anyhow::anyhow!("cannot read {}: {e}", shown.display())),
    }
}

fn not_a_plan(path: &Path) -> anyhow::Error {
    workdir::hinted(
        format!("{} is not a skel plan file", workdir::shown(path).display()),
        "was it written by `skelc plan --out FILE`?",
    )
}

/// The root module directory a plan file was made for, without decrypting it.
pub fn plan_root(path: &Path) -> anyhow::Result<std::path::PathBuf> {
    #[derive(Deserialize)]
    struct Root {
        root: Option<std::path::PathBuf>,
    }
    let bytes = read_plan_bytes(path)?;
    serde_json::from_slice::<Root>(&bytes)
        .ok()
        .and_then(|r| r.root)
        .ok_or_else(|| not_a_plan(path))
}

/// Read a plan file saved by `skelc plan --out`, decrypting it with `encryption` (the project's
/// plan encryption): a clear error for a missing file, a configuration file, a file that is not
/// a plan, or one that cannot be decrypted.
pub fn load_plan_file(
    path: &Path,
    encryption: &skel_state::Encryption,
) -> anyhow::Result<PlanFile> {
    let shown = workdir::shown(path);
    let bytes = read_plan_bytes(path)?;
    let text = encryption.open(&bytes).map_err(|e| {
        anyhow::anyhow!(
            "cannot read the plan {}: {e}. Nothing was changed.",
            shown.display()
        )
    })?;
    let doc: serde_json::Value = serde_json::from_slice(&text).map_err(|_| not_a_plan(path))?;
    let Some(version) = doc.get("format_version").and_then(|v| v.as_u64()) else {
        return Err(not_a_plan(path));
    };
    if version != u64::from(PLAN_FILE_VERSION) {
        anyhow::bail!(
            "{} was written by another version of skel (plan format {version}); make a new plan",
            shown.display(),
        );
    }
    serde_json::from_value(doc).map_err(|_| not_a_plan(path))
}
