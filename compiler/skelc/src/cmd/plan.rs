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
use crate::glue;

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

pub fn run(args: PlanArgs) -> anyhow::Result<u8> {
    let project = match super::load_or_exit(&args.dir, &args.vars) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let registry = glue::registry();
    let rt = glue::runtime()?;
    rt.block_on(async {
        let options = PlanOptions {
            destroy: args.destroy,
            refresh: !args.no_refresh,
            variables: project.variables.clone(),
        };
        let (_locked, planned) =
            match super::lock_and_plan(&project, &registry, "plan", options, true).await? {
                Ok(x) => x,
                Err(code) => return Ok(code),
            };
        if args.json {
            println!(
                "{}",
                serde_json::to_string_pretty(&crate::render::plan_json::to_json(&planned.changes))?
            );
        } else {
            print_drift(&planned);
            print!("{}", crate::render::plan::render(&planned.changes));
        }
        if let Some(out) = &args.out {
            save(out, &project, &planned.changes)?;
            if !args.json {
                println!(
                    "\nSaved the plan to {}. Apply exactly it with: skelc run {}",
                    out.display(),
                    out.display()
                );
            }
        }
        Ok(if args.detailed_exitcode && planned.changes.has_changes() {
            2
        } else {
            0
        })
    })
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

/// The root module directory a plan file was made for, without decrypting it.
pub fn plan_root(path: &Path) -> anyhow::Result<std::path::PathBuf> {
    #[derive(Deserialize)]
    struct Root {
        root: Option<std::path::PathBuf>,
    }
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_slice::<Root>(&bytes)
        .ok()
        .and_then(|r| r.root)
        .ok_or_else(|| anyhow::anyhow!("{} is not a skel plan file", path.display()))
}

/// Read a plan file, decrypting it with `encryption` (the project's plan encryption).
pub fn load_plan_file(
    path: &Path,
    encryption: &skel_state::Encryption,
) -> anyhow::Result<PlanFile> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let text = encryption.open(&bytes).map_err(|e| {
        anyhow::anyhow!(
            "cannot read the plan {}: {e}. Nothing was changed.",
            path.display()
        )
    })?;
    let file: PlanFile = serde_json::from_slice(&text)
        .with_context(|| format!("{} is not a skel plan file", path.display()))?;
    if file.format_version != PLAN_FILE_VERSION {
        anyhow::bail!(
            "{} was written by another version of skel (plan format {}); make a new plan",
            path.display(),
            file.format_version
        );
    }
    Ok(file)
}
