//! The `null` provider: `null_resource` (a random id, replaced when `triggers` change) and the
//! `null_data_source` data source (echoes `inputs` as `outputs`).

use skel_value::ValueMap;
use std::sync::Arc;

use async_trait::async_trait;
use rand::RngExt;
use skel_provider::kit;
use skel_provider::{
    ApplyRequest, PlanRequest, PlanResponse, Provider, ProviderError, ProviderFactory,
};
use skel_value::Value;

use crate::common::{
    complete_object, data_source_schema, get, is_unknown, planned_object, resource_schema, set,
};

const NAME: &str = "null";

/// Creates the `null` provider (it takes no configuration).
pub struct NullFactory;

impl ProviderFactory for NullFactory {
    fn name(&self) -> &str {
        NAME
    }

    fn configure(&self, _config: &Value) -> Result<Arc<dyn Provider>, ProviderError> {
        Ok(Arc::new(NullProvider))
    }
}

/// The configured `null` provider.
pub struct NullProvider;

/// A random non-negative 63-bit integer in decimal, like Terraform's `null_resource` ids.
pub fn random_id() -> String {
    let n: u64 = rand::rng().random_range(0..=i64::MAX as u64);
    n.to_string()
}

#[async_trait]
impl Provider for NullProvider {
    fn name(&self) -> &str {
        NAME
    }

    /// Its objects live only in state: nothing outside skel to lose in a crash.
    fn external(&self, _type_name: &str) -> bool {
        false
    }

    async fn plan(&self, request: PlanRequest<'_>) -> Result<PlanResponse, ProviderError> {
        let schema = resource_schema(NAME, request.type_name)?;
        Ok(kit::plan(
            request.type_name,
            &schema.block,
            request.prior,
            request.config,
            &kit::NoHooks,
        ))
    }

    async fn apply(&self, request: ApplyRequest<'_>) -> Result<Value, ProviderError> {
        resource_schema(NAME, request.type_name)?;
        let Some(planned) = request.planned.filter(|p| !p.is_null()) else {
            return Ok(Value::Null);
        };
        let mut state = planned_object(Some(planned), request.type_name)?.clone();
        if is_unknown(&state, "id") {
            set(&mut state, "id", Value::string(random_id()));
        }
        Ok(state)
    }

    async fn read(&self, type_name: &str, state: &Value) -> Result<Option<Value>, ProviderError> {
        resource_schema(NAME, type_name)?;
        Ok(Some(state.clone()))
    }

    async fn read_data(&self, type_name: &str, config: &Value) -> Result<Value, ProviderError> {
        let schema = data_source_schema(NAME, type_name)?;
        let inputs = get(config, "inputs").clone();
        let computed_default = match get(config, "has_computed_default") {
            Value::Null => Value::string("default"),
            v => v.clone(),
        };
        let values = ValueMap::from([
            ("inputs".to_string(), inputs.clone()),
            ("outputs".to_string(), inputs),
            ("has_computed_default".to_string(), computed_default),
            ("random".to_string(), Value::string(random_id())),
            ("id".to_string(), Value::string("static")),
        ]);
        Ok(complete_object(&schema.block, values))
    }

    async fn import(&self, type_name: &str, id: &str) -> Result<Value, ProviderError> {
        let schema = resource_schema(NAME, type_name)?;
        if id.is_empty() {
            return Err(ProviderError::InvalidConfig(
                "null_resource: the import id must not be empty.".into(),
            ));
        }
        Ok(complete_object(
            &schema.block,
            ValueMap::from([("id".to_string(), Value::string(id))]),
        ))
    }
}
