//! Loading a project for the runtime commands: check it (printing diagnostics and stopping on
//! errors, as `skelc check` does), lower it to the plan IR, and evaluate the root variable values.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::bail;
use skel_db::{Db, SkelDatabase};
use skel_plan_ir::Config;
use skel_types::{ProjectInput, VarValue};
use skel_value::Value;

use crate::cli::VarArgs;
use crate::render::{self, Resolved};

/// A checked and lowered project.
pub struct Project {
    pub root: PathBuf,
    pub config: Arc<Config>,
    pub variables: BTreeMap<String, Value>,
    /// How its state and saved plans are encrypted (`skel { encryption { } }`).
    pub encryption: crate::encryption::Encryptions,
}

/// Why loading stopped: diagnostics were printed (exit 1) or the input is unusable (exit 2).
pub enum LoadError {
    Diagnostics,
    Usage(anyhow::Error),
}

impl From<anyhow::Error> for LoadError {
    fn from(e: anyhow::Error) -> Self {
        LoadError::Usage(e)
    }
}

pub fn load(dir: &Path, vars: &VarArgs) -> Result<Project, LoadError> {
    let root = std::path::absolute(dir).map_err(anyhow::Error::from)?;
    if !root.is_dir() {
        return Err(anyhow::anyhow!("{} is not a directory", dir.display()).into());
    }
    let db = SkelDatabase::default();
    let values = crate::vars::collect(&db, &root, &vars.vars, &vars.var_files)?;
    let directory = db.directory(&root);
    if directory.skel_files(&db).is_empty() {
        return Err(anyhow::anyhow!("no .skel files in {}", dir.display()).into());
    }
    let input = ProjectInput {
        root: directory,
        vars: values.clone(),
    };
    let diagnostics = skel_types::check_project(&db, &input);
    if diagnostics.iter().any(|d| d.is_error()) {
        let cwd = std::env::current_dir().unwrap_or_default();
        let hidden = render::Hidden::new(&db, &skel_types::hidden_value_spans(&db, &input));
        let resolved: Vec<Resolved> = diagnostics
            .iter()
            .map(|d| Resolved::hiding(&db, d, &cwd, &hidden))
            .collect();
        let _ = render::print(&resolved, crate::cli::Format::Human, true);
        return Err(LoadError::Diagnostics);
    }
    let config = skel_lower::lower(&db, directory).map_err(|e| anyhow::anyhow!("{e}"))?;
    let variables = evaluate_vars(&db, &config, &values)?;
    let encryption = crate::encryption::from_config(&config, &variables)?;
    Ok(Project {
        root,
        config: Arc::new(config),
        variables,
        encryption,
    })
}

/// The values of root variables given on the command line, in files or the environment
/// (already type-checked by `check_project`), later sources winning.
fn evaluate_vars(
    db: &SkelDatabase,
    config: &Config,
    values: &[VarValue],
) -> anyhow::Result<BTreeMap<String, Value>> {
    let mut out = BTreeMap::new();
    for value in values {
        match value {
            VarValue::Raw { name, file } => {
                let text = file.text(db).as_deref().unwrap_or("").to_string();
                let ty = config
                    .root()
                    .variables
                    .iter()
                    .find(|v| &v.name == name)
                    .map(|v| v.ty.clone());
                let value = match ty {
                    Some(t) if !(t.is_primitive() || t.is_dynamic()) => {
                        let (expr, errors) = skel_syntax::parse_expr(&text);
                        if let Some(e) = errors.first() {
                            bail!("-var {name}: {}", e.message);
                        }
                        skel_types::constant_value(&expr)
                            .ok_or_else(|| anyhow::anyhow!("-var {name}: not a literal value"))?
                    }
                    _ => Value::String(text),
                };
                out.insert(name.clone(), value);
            }
            VarValue::FromFile { file, item } => {
                let parse = skel_db::parse(db, *file);
                let Some(top) = parse.file.items.get(*item as usize) else {
                    continue;
                };
                if let skel_syntax::Item::Attribute(attr) = &*top.item {
                    if let Some(v) = skel_types::constant_value(&attr.expr) {
                        out.insert(attr.name.name.clone(), v);
                    }
                }
            }
        }
    }
    Ok(out)
}
