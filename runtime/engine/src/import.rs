//! `import` blocks planned as imports, as Terraform 1.5+ does: each target instance not yet in
//! state is read through its resource's provider by id and added to the prior state the plan
//! compares against, so the plan shows the import and whatever the configuration would change
//! on the object. Apply then writes the imported objects with the rest of the state edit.

use std::collections::BTreeMap;

use skel_plan_ir::{
    Config, ImportConfig, InstanceAddr, InstanceKey, ModuleInstance, ProviderKey, ResourceAddr,
    ResourceInstanceState, ResourceMode,
};
use skel_value::Value;

use crate::plan::{schema_for, typed_state, Planner};
use crate::providers::configured_from_key;
use crate::world::Repeat;
use crate::EngineError;

/// An evaluated instance key: a whole number or a string.
fn instance_key(value: &Value) -> Result<InstanceKey, String> {
    if let Some(s) = value.as_str() {
        return Ok(InstanceKey::Str(s.to_string()));
    }
    match value {
        Value::Number(n) => n
            .to_string()
            .parse::<i64>()
            .map(InstanceKey::Int)
            .map_err(|_| format!("an instance key must be a whole number or a string, not {n}")),
        Value::Unknown(_) => Err("an instance key must be known while planning".into()),
        _ => Err("an instance key must be a whole number or a string".into()),
    }
}

impl Planner<'_> {
    /// Import the root module's `import` targets that state does not hold yet; returns each
    /// imported instance with its id.
    pub(crate) async fn plan_imports(&mut self) -> BTreeMap<InstanceAddr, String> {
        let config = self.world.config.clone();
        let mut imported = BTreeMap::new();
        for (id, module) in config.modules.iter().enumerate().skip(1) {
            if let Some(import) = module.imports.first() {
                let _ = id;
                self.errors.push(
                    EngineError::new("`import` blocks are allowed in the root module only")
                        .at(
                            format!("import to {}.{}", import.type_name, import.name),
                            Some(&import.location),
                        )
                        .with_help(
                            "move the block to the root module, with `to = module.NAME.TYPE.NAME`",
                        ),
                );
            }
        }
        for import in &config.root().imports {
            let targets = match self.import_targets(import) {
                Ok(t) => t,
                Err(e) => {
                    self.errors.push(e);
                    continue;
                }
            };
            for (addr, id) in targets {
                if self.prior.resources.contains_key(&addr) || imported.contains_key(&addr) {
                    // Already managed: the block has done its work (Terraform keeps it as a
                    // record; it plans nothing).
                    continue;
                }
                match self.import_one(&config, import, &addr, &id).await {
                    Ok(()) => {
                        imported.insert(addr, id);
                    }
                    Err(e) => self.errors.push(e),
                }
            }
        }
        imported
    }

    /// The instances an `import` block names, with their ids, `for_each` expanded.
    fn import_targets(
        &mut self,
        import: &ImportConfig,
    ) -> Result<Vec<(InstanceAddr, String)>, EngineError> {
        let root = ModuleInstance::root();
        let what = format!("import to `{}.{}`", import.type_name, import.name);
        let fail = |message: String| {
            EngineError::evaluation(message).at(what.clone(), Some(&import.location))
        };
        let keys = match &import.for_each {
            None => vec![(InstanceKey::None, None)],
            Some(for_each) => {
                self.world
                    .expand(&root, &import.references, None, Some(for_each), &what)
                    .map_err(|e| fail(e.to_string()))?
                    .1
            }
        };
        let mut out = Vec::new();
        for (key, each) in &keys {
            let repeat = import.for_each.as_ref().map(|_| Repeat {
                key,
                each_value: each.as_ref(),
            });
            let (scope, _, _) = self
                .world
                .scope(&root, &import.references, repeat, None)
                .map_err(|e| fail(e.message))?;
            let ctx = self.world.context(&root);
            let eval = |expr: &skel_syntax::Expr| {
                skel_eval::eval_with(expr, &scope, &ctx).map_err(|e| fail(e.message))
            };
            let id = eval(&import.id)?;
            if id.is_sensitive() {
                return Err(fail("the `id` of an import must not be sensitive".into()));
            }
            let id = match id.as_str() {
                Some(s) if !s.is_empty() => s.to_string(),
                _ if !id.is_known() => {
                    return Err(fail(
                        "the `id` of an import must be known while planning".into(),
                    ))
                }
                _ => {
                    return Err(fail(
                        "the `id` of an import must be a non-empty string".into(),
                    ))
                }
            };
            let key_of = |expr: &Option<skel_syntax::Expr>| match expr {
                None => Ok(InstanceKey::None),
                Some(e) => instance_key(&eval(e)?).map_err(fail),
            };
            let mut module = Vec::new();
            for (name, key) in &import.to_modules {
                module.push((name.clone(), key_of(key)?));
            }
            let addr = InstanceAddr {
                resource: ResourceAddr {
                    module: ModuleInstance(module),
                    mode: ResourceMode::Managed,
                    type_name: import.type_name.clone(),
                    name: import.name.clone(),
                },
                key: key_of(&import.key)?,
            };
            out.push((addr, id));
        }
        Ok(out)
    }

    /// Read the object `id` through the provider of `addr`'s resource into the prior state.
    async fn import_one(
        &mut self,
        config: &Config,
        import: &ImportConfig,
        addr: &InstanceAddr,
        id: &str,
    ) -> Result<(), EngineError> {
        let at = |e: EngineError| e.at(addr.to_string(), Some(&import.location));
        let mut module = config.root();
        for (name, _) in &addr.resource.module.0 {
            let call = module
                .module_calls
                .iter()
                .find(|c| &c.name == name)
                .ok_or_else(|| at(EngineError::new(format!("no module call `{name}`"))))?;
            module = &config.modules[call.module];
        }
        let resource = module
            .resources
            .iter()
            .find(|r| {
                r.mode == ResourceMode::Managed
                    && r.type_name == addr.resource.type_name
                    && r.name == addr.resource.name
            })
            .ok_or_else(|| at(EngineError::new("the configuration does not declare it")))?;
        let key = ProviderKey {
            module: addr.resource.module.clone(),
            provider: resource.provider.clone(),
        }
        .to_string();
        let configured =
            configured_from_key(&mut self.world, &mut self.providers, self.registry, &key)
                .map_err(at)?;
        let object = configured
            .provider
            .import(&addr.resource.type_name, id)
            .await
            .map_err(|e| {
                at(EngineError::provider(format!("cannot import `{id}`: {e}"))
                    .with_help("check the id: it names no existing object the provider can read"))
            })?;
        let schema = schema_for(ResourceMode::Managed, &addr.resource.type_name).map_err(at)?;
        let record = ResourceInstanceState {
            provider: key,
            attributes: object.to_json(),
            sensitive_paths: crate::marks::schema_paths(schema),
            dependencies: Vec::new(),
            create_before_destroy: resource.lifecycle.create_before_destroy,
            status: Default::default(),
            deposed: Vec::new(),
            private: None,
            schema_version: None,
        };
        let typed = typed_state(addr, &record.attributes).map_err(at)?;
        self.prior.resources.insert(addr.clone(), record);
        self.prior_values.insert(addr.clone(), typed);
        Ok(())
    }

    /// An imported object's arguments that the configuration writes differently for the same
    /// thing (a relative path to the same file) take the configuration's form, in the plan's
    /// prior value and in the state apply writes, so the plan shows only real differences.
    pub(crate) fn same_as_configured(
        &mut self,
        instance: &InstanceAddr,
        prior: &mut Value,
        config: &Value,
        provider: &dyn skel_provider::Provider,
    ) {
        let (Value::Object(have), Some(want)) = (&mut *prior, config.as_mapping()) else {
            return;
        };
        let type_name = &instance.resource.type_name;
        let mut changed = false;
        for (name, w) in want.iter() {
            let Some(h) = have.get(name) else { continue };
            if w.is_known()
                && !w.is_null()
                && w != h
                && provider.same_argument(type_name, name, w, h)
            {
                have.insert(name.clone(), w.clone());
                changed = true;
            }
        }
        if changed {
            if let Some(record) = self.prior.resources.get_mut(instance) {
                record.attributes = prior.to_json();
            }
        }
    }
}
