//! Gathering root variable values by Terraform's rules. Precedence, lowest first:
//!
//! 1. environment variables `TF_VAR_<name>`, then `SKEL_VAR_<name>` (set for a variable the
//!    root module does not declare, they are ignored, as Terraform ignores them);
//! 2. `terraform.tfvars`, `terraform.tfvars.json`, then `skel.skelvars` in the root directory;
//! 3. `*.auto.tfvars`, `*.auto.tfvars.json` and `*.auto.skelvars` there, in lexical order;
//! 4. `--var` and `--var-file`, in command-line order.
//!
//! No other file is read by itself: `prod.skelvars` counts only when given with `--var-file`.
//! A later value of a variable replaces an earlier one, and only the value that wins is checked.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context};
use skel_db::{Db, File, SkelDatabase};
use skel_types::VarValue;

use crate::cli::{VarArgs, VarSource};

/// The files read from the root directory without being named, in the order they are read.
pub fn auto_loaded(root: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut out: Vec<PathBuf> = ["terraform.tfvars", "terraform.tfvars.json", "skel.skelvars"]
        .iter()
        .map(|name| root.join(name))
        .filter(|p| p.is_file())
        .collect();
    let mut auto: Vec<PathBuf> = std::fs::read_dir(root)
        .with_context(|| format!("cannot read directory {}", root.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                    n.ends_with(".auto.skelvars")
                        || n.ends_with(".auto.tfvars")
                        || n.ends_with(".auto.tfvars.json")
                })
        })
        .collect();
    auto.sort();
    out.extend(auto);
    Ok(out)
}

/// The variable values for a run, each in a file input so diagnostics can point at it; later
/// values win.
pub fn collect(db: &SkelDatabase, root: &Path, args: &VarArgs) -> anyhow::Result<Vec<VarValue>> {
    let declared: HashSet<String> = skel_hir::module_index(db, db.directory(root))
        .variables
        .keys()
        .cloned()
        .collect();
    let mut out = Vec::new();
    for prefix in ["TF_VAR_", "SKEL_VAR_"] {
        let mut env: Vec<(String, String)> = std::env::vars_os()
            .filter_map(|(k, v)| {
                let name = k.to_str()?.strip_prefix(prefix)?.to_string();
                Some((name, v.into_string().ok()?))
            })
            .filter(|(name, _)| declared.contains(name))
            .collect();
        env.sort();
        for (name, value) in env {
            let origin = format!("environment variable {prefix}{name}");
            out.push(raw(db, &name, &value, &origin));
        }
    }
    for path in auto_loaded(root)? {
        out.extend(from_file(db, &path)?);
    }
    for source in args.in_order() {
        match source {
            VarSource::File(path) => {
                let absolute = crate::workdir::from_command_line(&path);
                if absolute.is_dir() {
                    bail!("variable file {} is a directory", path.display());
                }
                if !absolute.is_file() {
                    bail!("variable file {} does not exist", path.display());
                }
                out.extend(from_file(db, &absolute)?);
            }
            VarSource::Var(spec) => {
                let Some((name, value)) = spec.split_once('=') else {
                    return Err(crate::workdir::hinted(
                        format!("--var expects NAME=VALUE, got `{spec}`"),
                        "write `--var region=us-east-1` (quote it for the shell when the value has spaces)",
                    ));
                };
                let name = name.trim();
                out.push(raw(db, name, value, &format!("-var {name}")));
            }
        }
    }
    Ok(winners(db, out))
}

/// The values in `values` that are not replaced by a later value of the same variable (items
/// of a variable file that are not `name = value` are kept, so they are reported).
fn winners(db: &SkelDatabase, values: Vec<VarValue>) -> Vec<VarValue> {
    let name_of = |v: &VarValue| -> Option<String> {
        match v {
            VarValue::Raw { name, .. } => Some(name.clone()),
            VarValue::FromFile { file, item } => {
                let parse = skel_db::parse(db, *file);
                match parse.file.items.get(*item as usize).map(|t| &*t.item) {
                    Some(skel_syntax::Item::Attribute(a)) => Some(a.name.name.clone()),
                    _ => None,
                }
            }
        }
    };
    let names: Vec<Option<String>> = values.iter().map(name_of).collect();
    let mut last: HashMap<&str, usize> = HashMap::new();
    for (i, name) in names.iter().enumerate() {
        if let Some(name) = name {
            last.insert(name, i);
        }
    }
    values
        .into_iter()
        .enumerate()
        .filter(|(i, _)| match &names[*i] {
            Some(name) => last.get(name.as_str()) == Some(i),
            None => true,
        })
        .map(|(_, v)| v)
        .collect()
}

/// The values in a variable file: `name = value` lines, or a JSON object for a `.json` file.
fn from_file(db: &SkelDatabase, path: &Path) -> anyhow::Result<Vec<VarValue>> {
    if path.extension().is_some_and(|e| e == "json") {
        return from_json(db, path);
    }
    let file = db.file(path);
    let n = skel_db::parse(db, file).file.items.len();
    Ok((0..n)
        .map(|item| VarValue::FromFile {
            file,
            item: item as u32,
        })
        .collect())
}

/// A `.tfvars.json` file: one object whose members are variable values. A member's value
/// becomes the value's text (a string as itself, anything else as an HCL expression, with
/// template sequences escaped so they stay literal); `null` members are left out, as unset.
fn from_json(db: &SkelDatabase, path: &Path) -> anyhow::Result<Vec<VarValue>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let doc: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not valid JSON", path.display()))?;
    let Some(members) = doc.as_object() else {
        bail!(
            "{} must hold a JSON object of variable values",
            path.display()
        );
    };
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut out = Vec::new();
    for (name, value) in members {
        let text = match value {
            serde_json::Value::Null => continue,
            serde_json::Value::String(s) => s.clone(),
            other => hcl_text(other),
        };
        out.push(raw(db, name, &text, &format!("{file_name} {name}")));
    }
    Ok(out)
}

/// A JSON value as an HCL expression (objects with quoted keys; `${` and `%{` escaped).
fn hcl_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => {
            let quoted = serde_json::to_string(s).unwrap_or_default();
            quoted.replace("${", "$${").replace("%{", "%%{")
        }
        serde_json::Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(hcl_text).collect();
            format!("[{}]", parts.join(", "))
        }
        serde_json::Value::Object(members) => {
            let parts: Vec<String> = members
                .iter()
                .map(|(k, v)| format!("{} = {}", hcl_text(&k.clone().into()), hcl_text(v)))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
        other => other.to_string(),
    }
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

/// A value typed at the prompt for a required variable.
pub fn prompted(db: &SkelDatabase, name: &str, value: &str) -> VarValue {
    raw(db, name, value, &format!("input var.{name}"))
}
