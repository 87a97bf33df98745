//! Shared by the engine's test files: an in-memory project checked and lowered, and a
//! `null_resource` provider whose objects exist only in state.
#![allow(dead_code)]

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use skel_db::{Db, MemorySystem, SkelDatabase};
use skel_plan_ir::Config;
use skel_plan_ir::{InstanceAddr, ResourceChange, State};
use skel_provider::{
    ApplyRequest, PlanRequest, PlanResponse, Provider, ProviderError, ProviderFactory,
};
use skel_runtime::{IntentInfo, Phase, ProviderRegistry, SinkError, StateSink};
use skel_value::{Type, Value, ValueMap};

pub fn config(text: &str) -> Arc<Config> {
    let system = Arc::new(MemorySystem::new());
    system.write("/p/main.skel", text);
    let db = SkelDatabase::new(system);
    let root = db.directory(Path::new("/p"));
    let diagnostics =
        skel_types::check_project(&db, &skel_types::ProjectInput { root, vars: vec![] });
    let errors: Vec<_> = diagnostics.iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    Arc::new(skel_lower::lower(&db, root).expect("lowers"))
}

/// A `null_resource` that exists only in state.
pub struct Null(AtomicUsize);

#[async_trait]
impl Provider for Null {
    fn name(&self) -> &str {
        "null"
    }

    async fn plan(&self, request: PlanRequest<'_>) -> Result<PlanResponse, ProviderError> {
        let planned = match request.prior {
            Some(prior) => prior.clone(),
            None => Value::Object(ValueMap::from([
                ("id".to_string(), Value::Unknown(Type::String)),
                ("triggers".to_string(), Value::Null),
            ])),
        };
        Ok(PlanResponse {
            planned,
            requires_replace: vec![],
        })
    }

    async fn apply(&self, request: ApplyRequest<'_>) -> Result<Value, ProviderError> {
        Ok(match request.planned {
            None => Value::Null,
            Some(_) => Value::Object(ValueMap::from([
                (
                    "id".to_string(),
                    Value::string(self.0.fetch_add(1, Ordering::SeqCst).to_string()),
                ),
                ("triggers".to_string(), Value::Null),
            ])),
        })
    }

    async fn read(&self, _: &str, state: &Value) -> Result<Option<Value>, ProviderError> {
        Ok(Some(state.clone()))
    }

    async fn read_data(&self, _: &str, config: &Value) -> Result<Value, ProviderError> {
        Ok(config.clone())
    }

    async fn import(&self, _: &str, _: &str) -> Result<Value, ProviderError> {
        Err(ProviderError::Other("no import".into()))
    }
}

pub struct NullFactory(Arc<Null>);

impl ProviderFactory for NullFactory {
    fn name(&self) -> &str {
        "null"
    }
    fn configure(&self, _: &Value) -> Result<Arc<dyn Provider>, ProviderError> {
        Ok(self.0.clone())
    }
}

/// A registry with the `null` provider only.
pub fn null_registry() -> ProviderRegistry {
    ProviderRegistry::new([
        Arc::new(NullFactory(Arc::new(Null(AtomicUsize::new(0))))) as Arc<dyn ProviderFactory>
    ])
}

/// A state sink that keeps nothing.
pub struct NoSink;

impl StateSink for NoSink {
    fn intent(
        &self,
        _: u64,
        _: &ResourceChange,
        _: Phase,
        _: IntentInfo<'_>,
    ) -> Result<(), SinkError> {
        Ok(())
    }
    fn result(
        &self,
        _: u64,
        _: &InstanceAddr,
        _: Result<Option<&serde_json::Value>, &str>,
        _: bool,
    ) -> Result<(), SinkError> {
        Ok(())
    }
    fn checkpoint(&self, _: &State) -> Result<(), SinkError> {
        Ok(())
    }
}
