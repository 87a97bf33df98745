//! Loading a project for the runtime commands: check it (printing diagnostics and stopping on
//! errors, as `skelc check` does), lower it to the plan IR, and evaluate the root variable values.

use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Write};
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
    /// The plugin providers the configuration requires, by source address
    /// (`registry.terraform.io/hashicorp/null`), checked against the lock file's hashes: what
    /// the provider registry starts for the modules' plugin requirements.
    #[allow(dead_code)] // the registry reads them through `glue::use_plugins`
    pub plugins: BTreeMap<String, Plugin>,
}

/// A plugin provider of the project.
pub struct Plugin {
    /// The local name it serves (`null`): its `provider` blocks and resource types.
    pub local_name: String,
    /// The executable, verified against the lock file.
    pub executable: PathBuf,
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

/// Load the project whose root module is `root` (absolute). Prints its diagnostics (warnings
/// too) on standard error. A required variable without a value is asked for when `input`
/// allows it and standard input is a terminal, else reported with every way to set it;
/// `vars` is `None` when the values come from a saved plan (nothing is read or required).
/// On success, `root` is the working directory (see `workdir`).
pub fn load(root: &Path, vars: Option<&VarArgs>, input: bool) -> Result<Project, LoadError> {
    load_with(root, vars, input, vars.is_some())
}

/// [`load`], saying whether a required variable without a value is an error (`require`; it is
/// not when the values come from a saved plan and `vars` may give only its ephemeral ones).
pub fn load_with(
    root: &Path,
    vars: Option<&VarArgs>,
    input: bool,
    require: bool,
) -> Result<Project, LoadError> {
    let root = root.to_path_buf();
    let db = SkelDatabase::default();
    let directory = db.directory(&root);
    if directory.skel_files(&db).is_empty() && directory.json_files(&db).is_empty() {
        return Err(anyhow::anyhow!("no .skel files (nor .tf files) in {}", root.display()).into());
    }
    let mut values = match vars {
        Some(vars) => crate::vars::collect(&db, &root, vars)?,
        None => Vec::new(),
    };
    if require && input && std::io::stdin().is_terminal() {
        let probe = ProjectInput {
            root: directory,
            vars: values.clone(),
        };
        for missing in skel_types::missing_root_variables(&db, &probe) {
            match ask(&missing)? {
                Some(text) => values.push(crate::vars::prompted(&db, &missing.name, &text)),
                None => break,
            }
        }
    }
    let input = ProjectInput {
        root: directory,
        vars: values.clone(),
    };
    let mut diagnostics = skel_types::check_project(&db, &input);
    if require {
        diagnostics.extend(skel_types::missing_variable_diagnostics(&db, &input));
    }
    if !diagnostics.is_empty() {
        let cwd = crate::workdir::started_in();
        let hidden = render::Hidden::new(&db, &skel_types::hidden_value_spans(&db, &input));
        let resolved: Vec<Resolved> = diagnostics
            .iter()
            .map(|d| Resolved::hiding(&db, d, &cwd, &hidden))
            .collect();
        let errors = diagnostics.iter().any(|d| d.is_error());
        let _ = render::print(&resolved, crate::cli::Format::Human, errors);
        if errors {
            return Err(LoadError::Diagnostics);
        }
    }
    let mut config = skel_lower::lower(&db, directory).map_err(|e| anyhow::anyhow!("{e}"))?;
    config.workspace = Some(crate::backend::workspace(&root));
    let variables = evaluate_vars(&db, &config, &values)?;
    let encryption = crate::encryption::from_config(&config, &variables)?;
    let plugins = installed_plugins(&root, &config)?;
    crate::glue::use_plugins(
        plugins
            .values()
            .map(|p| (p.local_name.clone(), p.executable.clone()))
            .collect(),
    );
    crate::workdir::enter(&root)?;
    Ok(Project {
        root,
        config: Arc::new(config),
        variables,
        encryption,
        plugins,
    })
}

/// Every plugin the modules require, verified against the lock file: a plugin whose files do
/// not match a locked hash (or is not installed) stops the command before anything runs. Its
/// stored schema becomes the one the engine evaluates and plans its types with.
fn installed_plugins(root: &Path, config: &Config) -> anyhow::Result<BTreeMap<String, Plugin>> {
    let mut out = BTreeMap::new();
    for module in &config.modules {
        for req in module.required_providers.iter().filter(|r| !r.builtin) {
            if out.contains_key(&req.source) {
                continue;
            }
            let source = skel_hir::providers::ProviderSource::parse(&req.source)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let exe = crate::init::providers::verify_installed(root, &source)?;
            let schema_path = exe
                .parent()
                .map(|dir| dir.join(skel_hir::provider_lock::SCHEMA_FILE))
                .unwrap_or_default();
            let text = std::fs::read_to_string(&schema_path).map_err(|e| {
                crate::workdir::hinted(
                    format!(
                        "provider {source}: its stored schema {} cannot be read: {e}",
                        schema_path.display()
                    ),
                    "run `skelc init` again",
                )
            })?;
            let schema = skel_types::schemas::intern(&text).map_err(|e| {
                anyhow::anyhow!("provider {source}: its stored schema does not load: {e}")
            })?;
            skel_schema::register_running(schema);
            out.insert(
                req.source.clone(),
                Plugin {
                    local_name: req.local_name.clone(),
                    executable: exe,
                },
            );
        }
    }
    Ok(out)
}

/// Asks for a required variable's value on the terminal, as Terraform does; `None` at the end
/// of input.
fn ask(missing: &skel_types::MissingVariable) -> anyhow::Result<Option<String>> {
    let mut stderr = std::io::stderr().lock();
    writeln!(stderr, "var.{}", missing.name)?;
    if let Some(description) = &missing.description {
        writeln!(stderr, "  {description}")?;
    }
    write!(stderr, "\n  Enter a value: ")?;
    stderr.flush()?;
    drop(stderr);
    let mut line = String::new();
    if std::io::stdin().lock().read_line(&mut line)? == 0 {
        eprintln!();
        return Ok(None);
    }
    eprintln!();
    Ok(Some(line.trim_end_matches(['\n', '\r']).to_string()))
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
