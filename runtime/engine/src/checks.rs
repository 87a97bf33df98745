//! `check` blocks (Terraform 1.5): after planning and after applying, each check's scoped data
//! source is read and its assertions are evaluated. The outcome is reported, never an error:
//! a failed assertion or a failed read is a warning, an assertion not known yet is checked
//! after apply.

use skel_plan_ir::{
    CheckConfig, InstanceKey, ModuleInstance, ResourceAddr, ResourceConfig, ResourceMode,
};
use skel_value::Value;

use crate::providers::{resolve, ProviderCache, ProviderRegistry};
use crate::world::{Repetition, World};

/// What one assertion (or a check's data source read) came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CheckStatus {
    /// The assertion held.
    Passed,
    /// The assertion was false: its error message (redacted if it shows a sensitive value).
    Failed(String),
    /// The condition is known only after apply.
    Unknown,
    /// The scoped data source could not be read, or the assertion could not be evaluated.
    Error(String),
}

/// One assertion's outcome, named by its check's address (`check.NAME`, with the module path
/// in a child module).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckOutcome {
    pub check: String,
    pub status: CheckStatus,
}

impl CheckOutcome {
    /// The warning to show for it, if any.
    pub fn warning(&self) -> Option<String> {
        match &self.status {
            CheckStatus::Passed | CheckStatus::Unknown => None,
            CheckStatus::Failed(message) | CheckStatus::Error(message) => {
                Some(format!("{}: {message}", self.check))
            }
        }
    }
}

fn address(mi: &ModuleInstance, name: &str) -> String {
    let module = mi.to_string();
    if module.is_empty() {
        format!("check.{name}")
    } else {
        format!("{module}.check.{name}")
    }
}

/// Evaluate every check of every module instance against the world as it is (planned or
/// applied values).
pub(crate) async fn evaluate(
    world: &mut World,
    registry: &ProviderRegistry,
    providers: &mut ProviderCache,
) -> Vec<CheckOutcome> {
    let mut out = Vec::new();
    let instances: Vec<ModuleInstance> = world.instances.keys().cloned().collect();
    for mi in instances {
        let checks = world.module_of(&mi).checks.clone();
        for check in &checks {
            evaluate_check(world, registry, providers, &mi, check, &mut out).await;
        }
    }
    out
}

async fn evaluate_check(
    world: &mut World,
    registry: &ProviderRegistry,
    providers: &mut ProviderCache,
    mi: &ModuleInstance,
    check: &CheckConfig,
    out: &mut Vec<CheckOutcome>,
) {
    let name = address(mi, &check.name);
    if let Some(rc) = &check.data {
        let addr = ResourceAddr {
            module: mi.clone(),
            mode: ResourceMode::Data,
            type_name: rc.type_name.clone(),
            name: rc.name.clone(),
        }
        .instance(InstanceKey::None);
        world.set_expansion(
            mi,
            ResourceMode::Data,
            &rc.type_name,
            &rc.name,
            Repetition::Single,
            vec![(InstanceKey::None, None)],
        );
        match read(world, registry, providers, mi, rc).await {
            Ok(Some(value)) => world.set_instance_value(&addr, value),
            // Its configuration is known only after apply: so are the assertions reading it.
            Ok(None) => {}
            Err(message) => {
                out.push(CheckOutcome {
                    check: name,
                    status: CheckStatus::Error(format!("reading {addr}: {message}")),
                });
                return;
            }
        }
    }
    let scope = match world.scope(mi, &check.references, None, None) {
        Ok((scope, _, _)) => scope,
        Err(e) => {
            out.push(CheckOutcome {
                check: name,
                status: CheckStatus::Error(e.to_string()),
            });
            return;
        }
    };
    let ctx = world.context(mi);
    for assert in &check.asserts {
        let status = match skel_eval::eval_with(&assert.condition, &scope, &ctx) {
            Err(e) => CheckStatus::Error(e.message),
            Ok(v) => match v.unmark_deep().0 {
                Value::Bool(true) => CheckStatus::Passed,
                Value::Unknown(_) => CheckStatus::Unknown,
                Value::Bool(false) => {
                    CheckStatus::Failed(crate::conditions::message(assert, &scope, &ctx))
                }
                _ => CheckStatus::Error("the condition must be true or false".into()),
            },
        };
        out.push(CheckOutcome {
            check: name.clone(),
            status,
        });
    }
}

/// The scoped data source's object; `None` when its configuration is not known yet. Errors
/// are messages with no sensitive value in them.
async fn read(
    world: &mut World,
    registry: &ProviderRegistry,
    providers: &mut ProviderCache,
    mi: &ModuleInstance,
    rc: &ResourceConfig,
) -> Result<Option<Value>, String> {
    let schema = crate::plan::schema_for(rc.mode, &rc.type_name).map_err(|e| e.to_string())?;
    let (scope, _, _) = world
        .scope(mi, &rc.references, None, None)
        .map_err(|e| e.to_string())?;
    let marked = crate::body::eval_body(&rc.body, &schema.block, &scope, &world.context(mi))
        .map_err(|e| e.message)?;
    let crate::marks::Split {
        plain: config,
        paths: config_paths,
        marked,
    } = crate::marks::Split::new(marked);
    if !config.is_known() {
        return Ok(None);
    }
    let scrub = |message: &str| crate::marks::scrub_with(message, marked.as_ref());
    let site = resolve(world, mi, &rc.provider).map_err(|e| scrub(&e.to_string()))?;
    let configured = providers
        .get(world, registry, &site)
        .map_err(|e| scrub(&e.to_string()))?;
    let value = configured
        .provider
        .read_data(&rc.type_name, &config)
        .await
        .map_err(|e| scrub(&e.to_string()))?;
    Ok(Some(
        crate::marks::remark(value, &config_paths, &schema.block).0,
    ))
}
