//! Gathering root variable values: `*.skelvars` files in the root, `-var-file`, `SKEL_VAR_*`
//! environment variables and `-var`, in increasing precedence (as Terraform orders them).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context};
use skel_db::{Db, File, SkelDatabase};
use skel_types::VarValue;

/// The variable values for a run, each in a file input so diagnostics can point at it.
pub fn collect(
    db: &SkelDatabase,
    root: &Path,
    cli_vars: &[String],
    var_files: &[PathBuf],
) -> anyhow::Result<Vec<VarValue>> {
    let mut out = Vec::new();
    let mut auto: Vec<PathBuf> = std::fs::read_dir(root)
        .with_context(|| format!("cannot read directory {}", root.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "skelvars"))
        .collect();
    auto.sort();
    for path in auto.iter().chain(var_files) {
        if !path.is_file() {
            bail!("variable file {} does not exist", path.display());
        }
        let file = db.file(&std::path::absolute(path)?);
        let n = skel_db::parse(db, file).file.items.len();
        out.extend((0..n).map(|item| VarValue::FromFile {
            file,
            item: item as u32,
        }));
    }
    let mut env: Vec<(String, String)> = std::env::vars()
        .filter_map(|(k, v)| k.strip_prefix("SKEL_VAR_").map(|n| (n.to_string(), v)))
        .collect();
    env.sort();
    for (name, value) in env {
        out.push(raw(
            db,
            &name,
            &value,
            &format!("environment variable SKEL_VAR_{name}"),
        ));
    }
    for spec in cli_vars {
        let Some((name, value)) = spec.split_once('=') else {
            bail!("-var expects NAME=VALUE, got `{spec}`");
        };
        out.push(raw(
            db,
            name.trim(),
            value,
            &format!("-var {}", name.trim()),
        ));
    }
    Ok(out)
}

fn raw(db: &SkelDatabase, name: &str, value: &str, origin: &str) -> VarValue {
    let file = File::new(
        db,
        PathBuf::from(format!("<{origin}>")),
        Some(Arc::from(value)),
    );
    VarValue::Raw {
        name: name.to_string(),
        file,
    }
}
