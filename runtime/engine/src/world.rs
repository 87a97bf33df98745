//! The evaluation world: every module instance's variables, locals, resources, module calls and
//! outputs as nodes with cached values, evaluated on demand and re-evaluated when a resource
//! they depend on gets its applied value.
//!
//! Values of resource nodes are set from outside (planned values while planning, applied values
//! while applying); everything else is computed from expressions. Each node also carries the
//! set of resource instances its value depends on: that is how instance-level dependencies of
//! the change set are found, through locals, variables and module outputs alike.

use skel_value::ValueMap;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use skel_eval::Scope;
use skel_plan_ir::{
    Config, InstanceAddr, InstanceKey, ModuleConfig, ModuleId, ModuleInstance, Reference,
    ResourceAddr, ResourceMode,
};
use skel_value::{convert, Type, Value};

use crate::expand::ExpandError;
use crate::EngineError;

#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub enum NodeKey {
    Var(String),
    Local(String),
    Resource(ResourceMode, String, String),
    Call(String),
    Output(String),
}

impl NodeKey {
    pub fn from_reference(r: &Reference) -> NodeKey {
        match r {
            Reference::Variable(n) => NodeKey::Var(n.clone()),
            Reference::Local(n) => NodeKey::Local(n.clone()),
            Reference::Resource {
                mode,
                type_name,
                name,
            } => NodeKey::Resource(*mode, type_name.clone(), name.clone()),
            Reference::Module(n) => NodeKey::Call(n.clone()),
        }
    }
}

pub type NodeId = (ModuleInstance, NodeKey);

/// The most instances one resource or module call may expand to (`count`, `for_each`): a
/// mistaken `count = 1000000000` is a clear error before anything is allocated for it.
pub const MAX_INSTANCES: usize = 100_000;

/// Instance keys in order, each with its `each.value` for `for_each`.
pub type Keys = Vec<(InstanceKey, Option<Value>)>;

/// How a resource or module call repeats.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Repetition {
    Single,
    Count,
    ForEach,
}

/// The expanded instances of one resource and their current values.
#[derive(Clone, Debug)]
pub struct Expanded {
    pub repetition: Repetition,
    pub keys: Keys,
    pub values: BTreeMap<InstanceKey, Value>,
}

/// One module instance: which module, and how it was called.
#[derive(Clone, Debug)]
pub struct InstanceInfo {
    pub module: ModuleId,
    /// The calling module instance, the call's index in its module, and this instance's key
    /// with its `each.value`.
    pub parent: Option<(ModuleInstance, usize, InstanceKey, Option<Value>)>,
}

pub struct World {
    pub config: Arc<Config>,
    pub cwd: PathBuf,
    pub instances: BTreeMap<ModuleInstance, InstanceInfo>,
    root_vars: BTreeMap<String, Value>,
    values: HashMap<NodeId, (Value, Arc<BTreeSet<InstanceAddr>>)>,
    dirty: HashSet<NodeId>,
    node_deps: HashMap<NodeId, Vec<NodeId>>,
    dependents: HashMap<NodeId, Vec<NodeId>>,
    pub resources: HashMap<(ModuleInstance, ResourceMode, String, String), Expanded>,
    /// Module call instances: (calling instance, call name) → (repetition, keys).
    pub calls: HashMap<(ModuleInstance, String), (Repetition, Keys)>,
    /// Per module, where each local, call, output and resource is in its list: finding one by
    /// name must not cost a scan of them all (a root module of 5,000 module calls, or 50,000
    /// locals, would make planning and applying quadratic).
    index: Vec<ModuleIndex>,
}

/// Positions by name in one module's lists.
#[derive(Default)]
struct ModuleIndex {
    locals: HashMap<String, usize>,
    calls: HashMap<String, usize>,
    outputs: HashMap<String, usize>,
    resources: HashMap<(ResourceMode, String, String), usize>,
}

impl ModuleIndex {
    fn new(m: &ModuleConfig) -> ModuleIndex {
        // The first of duplicate names wins, as a scan would find it.
        fn positions<K: std::hash::Hash + Eq>(keys: impl Iterator<Item = K>) -> HashMap<K, usize> {
            let mut map = HashMap::new();
            for (i, k) in keys.enumerate() {
                map.entry(k).or_insert(i);
            }
            map
        }
        ModuleIndex {
            locals: positions(m.locals.iter().map(|l| l.name.clone())),
            calls: positions(m.module_calls.iter().map(|c| c.name.clone())),
            outputs: positions(m.outputs.iter().map(|o| o.name.clone())),
            resources: positions(
                m.resources
                    .iter()
                    .map(|r| (r.mode, r.type_name.clone(), r.name.clone())),
            ),
        }
    }
}

/// A plain scope of root names.
pub struct MapScope(pub BTreeMap<String, Value>);

impl Scope for MapScope {
    fn lookup(&self, name: &str) -> Option<Value> {
        self.0.get(name).cloned()
    }

    fn lookup_ref(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }
}

/// `count.index` / `each.key` / `each.value` for one instance.
#[derive(Clone, Debug)]
pub struct Repeat<'a> {
    pub key: &'a InstanceKey,
    pub each_value: Option<&'a Value>,
}

impl World {
    /// A world for `config` with the root module's variable values (already given by the
    /// user; defaults are applied here) — validation conditions are checked here too.
    pub fn new(
        config: Arc<Config>,
        given: &BTreeMap<String, Value>,
        cwd: PathBuf,
    ) -> Result<World, Vec<EngineError>> {
        let mut world = World::empty(config, cwd, BTreeMap::new());
        let mut errors = Vec::new();
        let config = world.config.clone();
        let root = config.root();
        for var in &root.variables {
            // Marked before anything reads it, so no message (a failed conversion, a
            // validation's error_message) can show a sensitive value.
            let value = match given.get(&var.name) {
                Some(v) => match convert(&v.clone().mark(var.marks()), &var.ty) {
                    Ok(v) => v,
                    Err(e) => {
                        errors.push(
                            EngineError::new(format!(
                                "Invalid value for variable `{}`: {e}",
                                var.name
                            ))
                            .with_code("invalid-variable-value")
                            .at(format!("var.{}", var.name), Some(&var.location)),
                        );
                        continue;
                    }
                },
                None => match &var.default {
                    Some(d) => d.clone().mark(var.marks()),
                    None => {
                        errors.push(
                            EngineError::new(format!("No value for required variable `{}`", var.name))
                                .with_code("missing-variable-value")
                                .at(format!("var.{}", var.name), Some(&var.location))
                                .with_help(format!("set it with `--var {}=VALUE`, in `skel.skelvars` or a `*.auto.skelvars` file, or with the SKEL_VAR_{} environment variable", var.name, var.name)),
                        );
                        continue;
                    }
                },
            };
            if let Err(e) = world.validate(root, &var.name, &value) {
                errors.push(e);
                continue;
            }
            world.root_vars.insert(var.name.clone(), value);
        }
        if errors.is_empty() {
            Ok(world)
        } else {
            Err(errors)
        }
    }

    /// A world with the same configuration and root variables but nothing evaluated or
    /// expanded yet (for evaluating one provider block apart from a plan's world).
    pub fn scratch(&self) -> World {
        World::empty(
            self.config.clone(),
            self.cwd.clone(),
            self.root_vars.clone(),
        )
    }

    /// A world with only the root module instance.
    fn empty(config: Arc<Config>, cwd: PathBuf, root_vars: BTreeMap<String, Value>) -> World {
        let mut world = World {
            config,
            cwd,
            instances: BTreeMap::new(),
            root_vars,
            values: HashMap::new(),
            dirty: HashSet::new(),
            node_deps: HashMap::new(),
            dependents: HashMap::new(),
            resources: HashMap::new(),
            calls: HashMap::new(),
            index: Vec::new(),
        };
        world.index = world.config.modules.iter().map(ModuleIndex::new).collect();
        world.instances.insert(
            ModuleInstance::root(),
            InstanceInfo {
                module: Config::ROOT,
                parent: None,
            },
        );
        world
    }

    fn validate(
        &self,
        module: &ModuleConfig,
        name: &str,
        value: &Value,
    ) -> Result<(), EngineError> {
        let Some(var) = module.variables.iter().find(|v| v.name == name) else {
            return Ok(());
        };
        let scope = MapScope(BTreeMap::from([(
            "var".to_string(),
            Value::Object(ValueMap::from([(name.to_string(), value.clone())])),
        )]));
        for validation in &var.validations {
            let ok = skel_eval::eval_with(&validation.condition, &scope, &skel_stdlib::NoContext)
                .map(|v| v.unmark_deep().0);
            if let Ok(Value::Bool(false)) = ok {
                let message = match skel_eval::eval_with(
                    &validation.error_message,
                    &scope,
                    &skel_stdlib::NoContext,
                ) {
                    Ok(Value::String(s)) => s,
                    // A message derived from a sensitive value is not shown; the variable is named.
                    Ok(v) if v.is_sensitive() => format!(
                        "the value failed a validation condition; its error message is not shown because it refers to the sensitive value of `var.{name}`"
                    ),
                    _ => "the validation condition is false".to_string(),
                };
                return Err(EngineError::new(format!(
                    "Invalid value for variable `{name}`: {message}"
                ))
                .at(format!("var.{name}"), Some(&validation.location)));
            }
        }
        Ok(())
    }

    /// Where a module's local of that name is in its `locals`.
    fn local_position(&self, module: ModuleId, name: &str) -> Option<usize> {
        self.index.get(module)?.locals.get(name).copied()
    }

    /// Where a module's call of that name is in its `module_calls`.
    pub fn call_position(&self, module: ModuleId, name: &str) -> Option<usize> {
        self.index.get(module)?.calls.get(name).copied()
    }

    /// A module's output, by name.
    pub fn output(&self, module: ModuleId, name: &str) -> Option<&skel_plan_ir::OutputConfig> {
        let index = *self.index.get(module)?.outputs.get(name)?;
        self.config.modules.get(module)?.outputs.get(index)
    }

    /// Where a module's resource or data source is in its `resources`.
    pub fn resource_position(
        &self,
        module: ModuleId,
        mode: ResourceMode,
        type_name: &str,
        name: &str,
    ) -> Option<usize> {
        self.index
            .get(module)?
            .resources
            .get(&(mode, type_name.to_string(), name.to_string()))
            .copied()
    }

    /// A module's resource or data source, by mode, type and name.
    pub fn resource(
        &self,
        module: ModuleId,
        mode: ResourceMode,
        type_name: &str,
        name: &str,
    ) -> Option<&skel_plan_ir::ResourceConfig> {
        let index = self.resource_position(module, mode, type_name, name)?;
        self.config.modules.get(module)?.resources.get(index)
    }

    /// A local of a module, by name.
    fn local(&self, module: ModuleId, name: &str) -> Option<&skel_plan_ir::LocalConfig> {
        let index = self.local_position(module, name)?;
        self.config.modules.get(module)?.locals.get(index)
    }

    /// The module a module instance is an instance of.
    pub fn module_id(&self, mi: &ModuleInstance) -> ModuleId {
        self.instances
            .get(mi)
            .map(|i| i.module)
            .unwrap_or(Config::ROOT)
    }

    pub fn module_of(&self, mi: &ModuleInstance) -> &ModuleConfig {
        let id = self
            .instances
            .get(mi)
            .map(|i| i.module)
            .unwrap_or(Config::ROOT);
        &self.config.modules[id]
    }

    /// Register a child module instance (a call expanded to this key).
    pub fn add_instance(
        &mut self,
        parent: &ModuleInstance,
        call_index: usize,
        key: InstanceKey,
        each: Option<Value>,
    ) -> ModuleInstance {
        let call = &self.module_of(parent).module_calls[call_index];
        let child = parent.child(&call.name, key.clone());
        let module = call.module;
        self.instances.insert(
            child.clone(),
            InstanceInfo {
                module,
                parent: Some((parent.clone(), call_index, key, each)),
            },
        );
        child
    }

    fn depend(&mut self, node: &NodeId, on: Vec<NodeId>) {
        for dep in &on {
            let list = self.dependents.entry(dep.clone()).or_default();
            if !list.contains(node) {
                list.push(node.clone());
            }
        }
        self.node_deps.insert(node.clone(), on);
    }

    /// Mark everything that depends on `node` for re-evaluation.
    pub fn invalidate(&mut self, node: &NodeId) {
        let mut stack = vec![node.clone()];
        while let Some(n) = stack.pop() {
            if let Some(list) = self.dependents.get(&n) {
                for d in list.clone() {
                    if self.dirty.insert(d.clone()) {
                        stack.push(d);
                    }
                }
            }
        }
    }

    /// Set the expansion of a resource (its instance keys), before any instance value.
    pub fn set_expansion(
        &mut self,
        mi: &ModuleInstance,
        mode: ResourceMode,
        type_name: &str,
        name: &str,
        repetition: Repetition,
        keys: Keys,
    ) {
        let id = (
            mi.clone(),
            NodeKey::Resource(mode, type_name.to_string(), name.to_string()),
        );
        self.resources.insert(
            (mi.clone(), mode, type_name.to_string(), name.to_string()),
            Expanded {
                repetition,
                keys,
                values: BTreeMap::new(),
            },
        );
        self.dirty.insert(id.clone());
        self.invalidate(&id);
    }

    /// Set one resource instance's value (planned or applied).
    pub fn set_instance_value(&mut self, addr: &InstanceAddr, value: Value) {
        let r = &addr.resource;
        let key = (
            r.module.clone(),
            r.mode,
            r.type_name.clone(),
            r.name.clone(),
        );
        if let Some(expanded) = self.resources.get_mut(&key) {
            expanded.values.insert(addr.key.clone(), value);
        }
        let id = (
            r.module.clone(),
            NodeKey::Resource(r.mode, r.type_name.clone(), r.name.clone()),
        );
        self.dirty.insert(id.clone());
        self.invalidate(&id);
    }

    /// The value of a node and the instances it depends on, evaluating it if needed.
    ///
    /// The nodes it reads are evaluated first, bottom-up with an explicit stack, so evaluating
    /// a node never recurses into more than the nodes it reads directly, whose values are then
    /// cached: a chain of 10,000 locals each reading the previous one needs no deep stack.
    pub fn node(
        &mut self,
        id: &NodeId,
    ) -> Result<(Value, Arc<BTreeSet<InstanceAddr>>), EngineError> {
        if let Some(v) = self.cached(id) {
            return Ok(v);
        }
        self.settle_prerequisites(id)?;
        self.evaluate(id)
    }

    fn cached(&self, id: &NodeId) -> Option<(Value, Arc<BTreeSet<InstanceAddr>>)> {
        if self.dirty.contains(id) {
            return None;
        }
        self.values.get(id).cloned()
    }

    fn evaluate(
        &mut self,
        id: &NodeId,
    ) -> Result<(Value, Arc<BTreeSet<InstanceAddr>>), EngineError> {
        let computed = self.compute(id)?;
        self.dirty.remove(id);
        self.values.insert(id.clone(), computed.clone());
        Ok(computed)
    }

    /// Evaluate, depth-first without recursion, every node `id` reads (directly or not) that has
    /// no current value.
    fn settle_prerequisites(&mut self, id: &NodeId) -> Result<(), EngineError> {
        // (node, whether its prerequisites were pushed already)
        let mut stack: Vec<(NodeId, bool)> = self
            .prerequisites(id)
            .into_iter()
            .map(|p| (p, false))
            .collect();
        let mut in_progress: HashSet<NodeId> = HashSet::from([id.clone()]);
        while let Some((node, expanded)) = stack.pop() {
            if expanded {
                in_progress.remove(&node);
                if self.cached(&node).is_none() {
                    self.evaluate(&node)?;
                }
                continue;
            }
            if self.cached(&node).is_some() {
                continue;
            }
            if !in_progress.insert(node.clone()) {
                // The checker rejects reference cycles; this is a last guard.
                return Err(EngineError::new(format!(
                    "`{}` depends on itself",
                    node_name(&node)
                )));
            }
            let prerequisites = self.prerequisites(&node);
            stack.push((node, true));
            stack.extend(
                prerequisites
                    .into_iter()
                    .filter(|p| self.cached(p).is_none())
                    .map(|p| (p, false)),
            );
        }
        Ok(())
    }

    /// The nodes [`compute`](Self::compute) reads for `id`.
    fn prerequisites(&self, id: &NodeId) -> Vec<NodeId> {
        let (mi, key) = id;
        let module = self.module_of(mi);
        let from = |at: &ModuleInstance, references: &[Reference]| -> Vec<NodeId> {
            references
                .iter()
                .map(|r| (at.clone(), NodeKey::from_reference(r)))
                .collect()
        };
        match key {
            NodeKey::Local(name) => self
                .local(self.module_id(mi), name)
                .map(|l| from(mi, &l.references))
                .unwrap_or_default(),
            NodeKey::Output(name) => self
                .output(self.module_id(mi), name)
                .map(|o| from(mi, &o.references))
                .unwrap_or_default(),
            NodeKey::Var(_) => match self.instances.get(mi).and_then(|i| i.parent.as_ref()) {
                Some((parent, call_index, _, _)) => {
                    let parent_module = self.module_of(parent);
                    parent_module
                        .module_calls
                        .get(*call_index)
                        .map(|call| from(parent, &call.references))
                        .unwrap_or_default()
                }
                None => Vec::new(),
            },
            NodeKey::Call(name) => {
                let Some((_, keys)) = self.calls.get(&(mi.clone(), name.clone())) else {
                    return Vec::new();
                };
                let Some(call) = self
                    .call_position(self.module_id(mi), name)
                    .and_then(|i| module.module_calls.get(i))
                else {
                    return Vec::new();
                };
                let outputs = &self.config.modules[call.module].outputs;
                keys.iter()
                    .flat_map(|(key, _)| {
                        let child = mi.child(name, key.clone());
                        outputs
                            .iter()
                            .map(move |o| (child.clone(), NodeKey::Output(o.name.clone())))
                    })
                    .collect()
            }
            NodeKey::Resource(..) => Vec::new(),
        }
    }

    fn compute(
        &mut self,
        id: &NodeId,
    ) -> Result<(Value, Arc<BTreeSet<InstanceAddr>>), EngineError> {
        let (mi, key) = id;
        // Borrow the module through a clone of the `Arc`, not by copying the module.
        let config = self.config.clone();
        let module = &config.modules[self.module_id(mi)];
        match key {
            NodeKey::Var(name) => self.compute_var(mi, module, name),
            NodeKey::Local(name) => {
                let position = self.local_position(self.module_id(mi), name);
                let Some(local) = position.and_then(|i| module.locals.get(i)) else {
                    return Err(EngineError::new(format!("unknown local value `{name}`")));
                };
                let (scope, deps, nodes) = self.scope(mi, &local.references, None, None)?;
                self.depend(id, nodes);
                let value =
                    skel_eval::eval_with(&local.expr, &scope, &self.context(mi)).map_err(|e| {
                        EngineError::evaluation(e.message)
                            .at(format!("local.{name}"), Some(&local.location))
                    })?;
                Ok((value, Arc::new(deps)))
            }
            NodeKey::Output(name) => {
                let position = self.index[self.module_id(mi)].outputs.get(name).copied();
                let Some(output) = position.and_then(|i| module.outputs.get(i)) else {
                    return Err(EngineError::new(format!("unknown output `{name}`")));
                };
                let (scope, deps, nodes) = self.scope(mi, &output.references, None, None)?;
                self.depend(id, nodes);
                // Preconditions first: a false one stops the plan (or apply) with its message;
                // one known only after apply is decided then.
                let addr = match mi.to_string() {
                    m if m.is_empty() => format!("output.{name}"),
                    m => format!("{m}.output.{name}"),
                };
                crate::conditions::check(
                    &output.preconditions,
                    &scope,
                    &self.context(mi),
                    "Output precondition",
                    &addr,
                )?;
                let value =
                    skel_eval::eval_with(&output.expr, &scope, &self.context(mi)).map_err(|e| {
                        EngineError::evaluation(e.message)
                            .at(format!("output.{name}"), Some(&output.location))
                    })?;
                // A module output declared sensitive (or ephemeral) is so where it is read.
                Ok((value.mark(output.marks()), Arc::new(deps)))
            }
            NodeKey::Resource(mode, type_name, name) => {
                let addr = ResourceAddr {
                    module: mi.clone(),
                    mode: *mode,
                    type_name: type_name.clone(),
                    name: name.clone(),
                };
                let object_type = match mode {
                    ResourceMode::Managed => skel_schema::resource(type_name),
                    ResourceMode::Data => skel_schema::data_source(type_name),
                }
                .map(|s| s.computed_object_type())
                .unwrap_or(Type::Dynamic);
                let Some(expanded) =
                    self.resources
                        .get(&(mi.clone(), *mode, type_name.clone(), name.clone()))
                else {
                    return Ok((Value::Unknown(Type::Dynamic), Arc::default()));
                };
                let instance = |k: &InstanceKey| {
                    expanded
                        .values
                        .get(k)
                        .cloned()
                        .unwrap_or_else(|| Value::Unknown(object_type.clone()))
                };
                let deps: BTreeSet<InstanceAddr> = expanded
                    .keys
                    .iter()
                    .map(|(k, _)| addr.instance(k.clone()))
                    .collect();
                let value = match expanded.repetition {
                    Repetition::Single => expanded
                        .keys
                        .first()
                        .map(|(k, _)| instance(k))
                        .unwrap_or(Value::Null),
                    Repetition::Count => {
                        Value::Tuple(expanded.keys.iter().map(|(k, _)| instance(k)).collect())
                    }
                    Repetition::ForEach => Value::Object(
                        expanded
                            .keys
                            .iter()
                            .filter_map(|(k, _)| match k {
                                InstanceKey::Str(s) => Some((s.clone(), instance(k))),
                                _ => None,
                            })
                            .collect(),
                    ),
                };
                Ok((value, Arc::new(deps)))
            }
            NodeKey::Call(name) => {
                let Some((repetition, keys)) = self.calls.get(&(mi.clone(), name.clone())).cloned()
                else {
                    return Ok((Value::Unknown(Type::Dynamic), Arc::default()));
                };
                let Some(call_index) = self.call_position(self.module_id(mi), name) else {
                    return Err(EngineError::new(format!("unknown module call `{name}`")));
                };
                let child_module = module.module_calls[call_index].module;
                let outputs: Vec<String> = self.config.modules[child_module]
                    .outputs
                    .iter()
                    .map(|o| o.name.clone())
                    .collect();
                let mut deps = BTreeSet::new();
                let mut nodes = Vec::new();
                let mut objects = Vec::new();
                for (key, _) in &keys {
                    let child = mi.child(name, key.clone());
                    let mut object = ValueMap::new();
                    for out in &outputs {
                        let node = (child.clone(), NodeKey::Output(out.clone()));
                        let (v, d) = self.node(&node)?;
                        deps.extend(d.iter().cloned());
                        object.insert(out.clone(), v);
                        nodes.push(node);
                    }
                    objects.push((key.clone(), Value::Object(object)));
                }
                self.depend(id, nodes);
                let value = match repetition {
                    Repetition::Single => objects
                        .into_iter()
                        .next()
                        .map(|(_, v)| v)
                        .unwrap_or(Value::Null),
                    Repetition::Count => {
                        Value::Tuple(objects.into_iter().map(|(_, v)| v).collect())
                    }
                    Repetition::ForEach => Value::Object(
                        objects
                            .into_iter()
                            .filter_map(|(k, v)| match k {
                                InstanceKey::Str(s) => Some((s, v)),
                                _ => None,
                            })
                            .collect(),
                    ),
                };
                Ok((value, Arc::new(deps)))
            }
        }
    }

    fn compute_var(
        &mut self,
        mi: &ModuleInstance,
        module: &ModuleConfig,
        name: &str,
    ) -> Result<(Value, Arc<BTreeSet<InstanceAddr>>), EngineError> {
        let Some(var) = module.variables.iter().find(|v| v.name == name) else {
            return Err(EngineError::new(format!("unknown variable `{name}`")));
        };
        let info = self.instances.get(mi).cloned();
        let Some((parent, call_index, key, each)) = info.and_then(|i| i.parent) else {
            let value = self.root_vars.get(name).cloned().unwrap_or(Value::Null);
            return Ok((value, Arc::default()));
        };
        let config = self.config.clone();
        let call = &config.modules[self.module_id(&parent)].module_calls[call_index];
        let Some((_, expr)) = call.inputs.iter().find(|(n, _)| n == name) else {
            let value = var.default.clone().unwrap_or(Value::Null).mark(var.marks());
            return Ok((value, Arc::default()));
        };
        let repeat = Repeat {
            key: &key,
            each_value: each.as_ref(),
        };
        let (scope, deps, nodes) = self.scope(&parent, &call.references, Some(repeat), None)?;
        self.depend(&(mi.clone(), NodeKey::Var(name.to_string())), nodes);
        let address = format!("{}", mi);
        let value = skel_eval::eval_with(expr, &scope, &self.context(&parent)).map_err(|e| {
            EngineError::evaluation(format!("module input `{name}`: {}", e.message))
                .at(address.clone(), Some(&call.location))
        })?;
        let value = convert(&value.mark(var.marks()), &var.ty).map_err(|e| {
            EngineError::new(format!("module input `{name}`: {e}"))
                .at(address.clone(), Some(&call.location))
        })?;
        if value.is_known() {
            self.validate(module, name, &value)
                .map_err(|e| e.at(address, Some(&call.location)))?;
        }
        Ok((value, Arc::new(deps)))
    }

    /// The file-function context for expressions of a module instance (paths relative to the
    /// working directory, as in Terraform).
    pub fn context(&self, _mi: &ModuleInstance) -> skel_eval::FsContext {
        skel_eval::FsContext::new(self.cwd.clone())
    }

    /// The scope for evaluating an expression of module instance `mi` that makes `references`,
    /// with `count`/`each` for one instance and `self` for provisioners. Returns the scope, the
    /// instances the value will depend on, and the nodes read.
    pub fn scope(
        &mut self,
        mi: &ModuleInstance,
        references: &[Reference],
        repeat: Option<Repeat<'_>>,
        self_value: Option<Value>,
    ) -> Result<(MapScope, BTreeSet<InstanceAddr>, Vec<NodeId>), EngineError> {
        let mut roots: BTreeMap<String, ValueMap> = BTreeMap::new();
        let mut data: BTreeMap<String, ValueMap> = BTreeMap::new();
        let mut deps = BTreeSet::new();
        let mut nodes = Vec::new();
        for r in references {
            let node = (mi.clone(), NodeKey::from_reference(r));
            let (value, d) = self.node(&node)?;
            deps.extend(d.iter().cloned());
            nodes.push(node);
            match r {
                Reference::Variable(n) => roots
                    .entry("var".into())
                    .or_default()
                    .insert(n.clone(), value),
                Reference::Local(n) => roots
                    .entry("local".into())
                    .or_default()
                    .insert(n.clone(), value),
                Reference::Module(n) => roots
                    .entry("module".into())
                    .or_default()
                    .insert(n.clone(), value),
                Reference::Resource {
                    mode: ResourceMode::Managed,
                    type_name,
                    name,
                } => roots
                    .entry(type_name.clone())
                    .or_default()
                    .insert(name.clone(), value),
                Reference::Resource {
                    mode: ResourceMode::Data,
                    type_name,
                    name,
                } => data
                    .entry(type_name.clone())
                    .or_default()
                    .insert(name.clone(), value),
            };
        }
        let mut scope: BTreeMap<String, Value> = roots
            .into_iter()
            .map(|(k, v)| (k, Value::Object(v)))
            .collect();
        if !data.is_empty() {
            scope.insert(
                "data".into(),
                Value::Object(
                    data.into_iter()
                        .map(|(k, v)| (k, Value::Object(v)))
                        .collect(),
                ),
            );
        }
        // As Terraform run in the root module's directory: `path.root` is ".", `path.module`
        // the module's directory relative to it, so neither holds where the checkout is.
        let module_dir = relative_dir(&self.module_of(mi).dir, &self.config.root().dir);
        scope.insert(
            "path".into(),
            Value::Object(ValueMap::from([
                ("module".into(), Value::string(module_dir)),
                ("root".into(), Value::string(".")),
                ("cwd".into(), Value::string(self.cwd.display().to_string())),
            ])),
        );
        let workspace = Value::Object(ValueMap::from([(
            "workspace".into(),
            Value::string(self.config.workspace.as_deref().unwrap_or("default")),
        )]));
        scope.insert("terraform".into(), workspace.clone());
        scope.insert("skel".into(), workspace);
        if let Some(repeat) = repeat {
            match repeat.key {
                InstanceKey::Int(i) => {
                    scope.insert(
                        "count".into(),
                        Value::Object(ValueMap::from([("index".into(), Value::number(*i))])),
                    );
                }
                InstanceKey::Str(k) => {
                    scope.insert(
                        "each".into(),
                        Value::Object(ValueMap::from([
                            ("key".into(), Value::string(k.clone())),
                            (
                                "value".into(),
                                repeat
                                    .each_value
                                    .cloned()
                                    .unwrap_or_else(|| Value::string(k.clone())),
                            ),
                        ])),
                    );
                }
                InstanceKey::None => {}
            }
        }
        if let Some(v) = self_value {
            scope.insert("self".into(), v);
        }
        Ok((MapScope(scope), deps, nodes))
    }

    /// Evaluate `count` / `for_each` into instance keys. Both must be known while planning.
    pub fn expand(
        &mut self,
        mi: &ModuleInstance,
        references: &[Reference],
        count: Option<&skel_syntax::Expr>,
        for_each: Option<&skel_syntax::Expr>,
        what: &str,
    ) -> Result<(Repetition, Keys), ExpandError> {
        let what = || what.to_string();
        let (scope, _, _) = self
            .scope(mi, references, None, None)
            .map_err(|e| ExpandError::Eval(e.message))?;
        let ctx = self.context(mi);
        if let Some(expr) = count {
            let value = skel_eval::eval_with(expr, &scope, &ctx)
                .map_err(|e| ExpandError::Eval(e.message))?;
            if value.is_sensitive() {
                return Err(ExpandError::CountSensitive { what: what() });
            }
            if !value.is_known() {
                return Err(ExpandError::CountUnknown { what: what() });
            }
            let n = match convert(&value, &Type::Number)
                .ok()
                .and_then(|v| v.as_number())
            {
                Some(n) if n.is_integer() && n.0 >= 0.0 && n.0 <= MAX_INSTANCES as f64 => {
                    n.0 as i64
                }
                Some(n) if n.0 > MAX_INSTANCES as f64 => {
                    return Err(ExpandError::CountTooLarge {
                        what: what(),
                        value,
                    })
                }
                _ => {
                    return Err(ExpandError::CountInvalid {
                        what: what(),
                        value,
                    })
                }
            };
            return Ok((
                Repetition::Count,
                (0..n).map(|i| (InstanceKey::Int(i), None)).collect(),
            ));
        }
        if let Some(expr) = for_each {
            let value = skel_eval::eval_with(expr, &scope, &ctx)
                .map_err(|e| ExpandError::Eval(e.message))?;
            // The keys become instance addresses, which are shown and saved: a sensitive map or
            // set cannot give them (sensitive map values can: they are `each.value`).
            if !value.marks().is_empty() {
                return Err(ExpandError::ForEachSensitive { what: what() });
            }
            // Only the keys must be known: a map of objects still being created (`for_each =
            // aws_subnet.public`) has known keys and unknown values, which become `each.value`.
            let keys_known = match &value {
                Value::Map(_) | Value::Object(_) => true,
                Value::Set(elements) => elements.iter().all(Value::is_known),
                other => other.is_known(),
            };
            if !keys_known {
                return Err(ExpandError::ForEachUnknown { what: what() });
            }
            let keys = match value {
                Value::Map(m) | Value::Object(m) => m
                    .into_iter()
                    .map(|(k, v)| (InstanceKey::Str(k), Some(v)))
                    .collect(),
                Value::Set(v) => {
                    let mut keys = Vec::new();
                    for e in v {
                        match e {
                            Value::String(s) => {
                                keys.push((InstanceKey::Str(s.clone()), Some(Value::String(s))))
                            }
                            other => {
                                return Err(ExpandError::ForEachNonString {
                                    what: what(),
                                    element: other,
                                })
                            }
                        }
                    }
                    keys
                }
                Value::Null => return Err(ExpandError::ForEachNull { what: what() }),
                other => {
                    return Err(ExpandError::ForEachType {
                        what: what(),
                        kind: other.type_of().kind_name(),
                    })
                }
            };
            if keys.len() > MAX_INSTANCES {
                return Err(ExpandError::ForEachTooLarge {
                    what: what(),
                    count: keys.len(),
                });
            }
            return Ok((Repetition::ForEach, keys));
        }
        Ok((Repetition::Single, vec![(InstanceKey::None, None)]))
    }
}

/// A node as the user writes it (`local.a`, `module.net.output.id`), for messages.
fn node_name((mi, key): &NodeId) -> String {
    let prefix = if mi.is_root() {
        String::new()
    } else {
        format!("{mi}.")
    };
    match key {
        NodeKey::Var(n) => format!("{prefix}var.{n}"),
        NodeKey::Local(n) => format!("{prefix}local.{n}"),
        NodeKey::Output(n) => format!("{prefix}output.{n}"),
        NodeKey::Call(n) => format!("{prefix}module.{n}"),
        NodeKey::Resource(ResourceMode::Managed, t, n) => format!("{prefix}{t}.{n}"),
        NodeKey::Resource(ResourceMode::Data, t, n) => format!("{prefix}data.{t}.{n}"),
    }
}

/// `dir` relative to `base`, both absolute, computed from their components alone (`.` and
/// `..` resolved lexically): `"."` for `base` itself, `"modules/net"` below it, `"../shared"`
/// beside it. Always with `/`, so a value does not depend on the platform either.
pub fn relative_dir(dir: &Path, base: &Path) -> String {
    fn normal(p: &Path) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for c in p.components() {
            match c {
                Component::Normal(s) => out.push(s.to_string_lossy().into_owned()),
                Component::ParentDir => {
                    out.pop();
                }
                Component::CurDir | Component::RootDir | Component::Prefix(_) => {}
            }
        }
        out
    }
    let (dir, base) = (normal(dir), normal(base));
    let common = dir.iter().zip(&base).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<&str> = vec![".."; base.len() - common];
    parts.extend(dir[common..].iter().map(String::as_str));
    if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    }
}

#[cfg(test)]
mod path_tests {
    use super::relative_dir;
    use std::path::Path;

    #[test]
    fn module_paths_are_relative_to_the_root() {
        let root = Path::new("/work/infra");
        assert_eq!(relative_dir(root, root), ".");
        assert_eq!(
            relative_dir(Path::new("/work/infra/./modules/net"), root),
            "modules/net"
        );
        assert_eq!(
            relative_dir(Path::new("/work/infra/../shared/m"), root),
            "../shared/m"
        );
        assert_eq!(relative_dir(Path::new("/other"), root), "../../other");
    }
}
