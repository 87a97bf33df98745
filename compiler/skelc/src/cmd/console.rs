//! `skelc console [DIR]`: evaluate expressions against the root module's configuration and
//! state, one per line: `var.*` (the values given, or the defaults), `local.*`, resources and
//! data sources from state (`null_resource.n[0].id`, `data.t.n`), `path.*` and every function.
//! Each result is printed in HCL form on standard output; an error is printed as a diagnostic
//! on standard error and the loop goes on. Sensitive values (and parts) print as
//! `(sensitive value)`. On a terminal a `> ` prompt is shown; `exit` or end of input ends it.

use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;
use std::sync::Arc;

use skel_plan_ir::{InstanceKey, ModuleConfig, ResourceMode, State};
use skel_value::{Value, ValueMap};

use crate::cli::ConsoleArgs;
use crate::exit::ExitStatus;
use crate::workdir::{self, DirUse};

pub fn run(args: ConsoleArgs) -> anyhow::Result<ExitStatus> {
    let root = workdir::root_dir(&args.dir.get()?, "console", DirUse::Reads)?;
    let project = super::load(&root, Some(&args.vars), false)?;
    let state = crate::encryption::store_for(&project)?.read()?;
    let module = project.config.root();
    let mut scope = base_scope(module, &project.variables, &state, &root);
    let ctx = skel_eval::FsContext::new(&root);
    let locals = evaluate_locals(module, &mut scope, &ctx);
    scope.insert("local".into(), Value::Object(locals));

    let stdin = std::io::stdin();
    let interactive = stdin.is_terminal();
    let mut failed = false;
    let mut line = String::new();
    let mut input = stdin.lock();
    loop {
        if interactive {
            eprint!("> ");
            let _ = std::io::stderr().flush();
        }
        line.clear();
        if input.read_line(&mut line)? == 0 {
            break;
        }
        let text = line.trim_end_matches(['\n', '\r']);
        if text.trim().is_empty() {
            continue;
        }
        if text.trim() == "exit" {
            break;
        }
        match evaluate(text, &scope, &ctx) {
            Ok(value) => {
                println!("{}", crate::render::plan::value_text(&value, 0));
                let _ = std::io::stdout().flush();
            }
            Err((message, range)) => {
                failed = true;
                let location = crate::render::Location::in_text(
                    Path::new("<console>"),
                    Arc::from(text),
                    range,
                    &workdir::started_in(),
                );
                crate::render::print_error(&message, Some(&location), None);
            }
        }
    }
    Ok(if failed {
        ExitStatus::Errors
    } else {
        ExitStatus::Success
    })
}

/// One line: parsed as an expression and evaluated; the error message and where it is.
fn evaluate(
    text: &str,
    scope: &BTreeMap<String, Value>,
    ctx: &skel_eval::FsContext,
) -> Result<Value, (String, skel_syntax::TextRange)> {
    let (expr, errors) = skel_syntax::parse_expr(text);
    if let Some(e) = errors.first() {
        return Err((e.message.clone(), e.range));
    }
    skel_eval::eval_with(&expr, scope, ctx).map_err(|e| (e.message, e.range))
}

/// `var`, resources and data sources from state, and `path`, as the root module sees them.
fn base_scope(
    module: &ModuleConfig,
    given: &BTreeMap<String, Value>,
    state: &State,
    root: &Path,
) -> BTreeMap<String, Value> {
    let schemas = crate::state_schemas::StateSchemas::new(root, None);
    let mut scope = BTreeMap::new();
    let mut vars = ValueMap::new();
    for var in &module.variables {
        let value = given
            .get(&var.name)
            .cloned()
            .or_else(|| var.default.clone())
            .unwrap_or(Value::Null);
        let value = skel_value::convert(&value, &var.ty).unwrap_or(value);
        vars.insert(var.name.clone(), value.mark(var.marks()));
    }
    scope.insert("var".into(), Value::Object(vars));

    // type → name → the instance's object, a list by `count` index, or a map by `for_each` key.
    let mut managed: BTreeMap<String, BTreeMap<String, Vec<(InstanceKey, Value)>>> =
        BTreeMap::new();
    let mut data: BTreeMap<String, BTreeMap<String, Vec<(InstanceKey, Value)>>> = BTreeMap::new();
    for (addr, instance) in &state.resources {
        if !addr.resource.module.is_root() {
            continue;
        }
        let value = super::show::marked_attributes(&schemas, addr, instance);
        let by_type = match addr.resource.mode {
            ResourceMode::Managed => &mut managed,
            ResourceMode::Data => &mut data,
        };
        by_type
            .entry(addr.resource.type_name.clone())
            .or_default()
            .entry(addr.resource.name.clone())
            .or_default()
            .push((addr.key.clone(), value));
    }
    for (type_name, names) in managed {
        scope.insert(type_name, resources_object(names));
    }
    if !data.is_empty() {
        scope.insert(
            "data".into(),
            Value::Object(
                data.into_iter()
                    .map(|(t, names)| (t, resources_object(names)))
                    .collect(),
            ),
        );
    }
    scope.insert(
        "path".into(),
        Value::Object(ValueMap::from([
            ("module".into(), Value::string(".")),
            ("root".into(), Value::string(".")),
            ("cwd".into(), Value::string(root.display().to_string())),
        ])),
    );
    let workspace = Value::Object(ValueMap::from([(
        "workspace".into(),
        Value::string(crate::backend::workspace(root)),
    )]));
    scope.insert("terraform".into(), workspace.clone());
    scope.insert("skel".into(), workspace);
    scope
}

fn resources_object(names: BTreeMap<String, Vec<(InstanceKey, Value)>>) -> Value {
    Value::Object(
        names
            .into_iter()
            .map(|(name, mut instances)| {
                let value = match instances.first().map(|(k, _)| k) {
                    Some(InstanceKey::Int(_)) => {
                        instances.sort_by(|a, b| a.0.cmp(&b.0));
                        Value::Tuple(instances.into_iter().map(|(_, v)| v).collect())
                    }
                    Some(InstanceKey::Str(_)) => Value::Object(
                        instances
                            .into_iter()
                            .filter_map(|(k, v)| match k {
                                InstanceKey::Str(k) => Some((k, v)),
                                _ => None,
                            })
                            .collect(),
                    ),
                    _ => instances
                        .into_iter()
                        .next()
                        .map(|(_, v)| v)
                        .unwrap_or(Value::Null),
                };
                (name, value)
            })
            .collect(),
    )
}

/// The root module's locals, each evaluated once the locals it reads are; a local that fails
/// (or reads one that did) is left out, so reading it is an error naming it.
fn evaluate_locals(
    module: &ModuleConfig,
    scope: &mut BTreeMap<String, Value>,
    ctx: &skel_eval::FsContext,
) -> ValueMap {
    let mut done = ValueMap::new();
    let mut pending: Vec<&skel_plan_ir::LocalConfig> = module.locals.iter().collect();
    loop {
        let before = pending.len();
        let mut still = Vec::new();
        for local in pending {
            let ready = local.references.iter().all(|r| match r {
                skel_plan_ir::Reference::Local(name) => done.contains_key(name),
                _ => true,
            });
            if !ready {
                still.push(local);
                continue;
            }
            scope.insert("local".into(), Value::Object(done.clone()));
            if let Ok(value) = skel_eval::eval_with(&local.expr, &*scope, ctx) {
                done.insert(local.name.clone(), value);
            }
        }
        pending = still;
        if pending.is_empty() || pending.len() == before {
            break;
        }
    }
    done
}
