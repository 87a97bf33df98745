//! The `kubernetes` provider, on kube-rs: `kubernetes_namespace`, `kubernetes_deployment`,
//! `kubernetes_service`, `kubernetes_config_map`, `kubernetes_secret` and `kubernetes_manifest`.
//!
//! Every change is a server-side apply with field manager `skel` (the typed resources force
//! conflicts: they own the fields they declare; `kubernetes_manifest` follows its
//! `field_manager` block and reports a 409 with the fields and the other manager). What the
//! configuration no longer sets is removed from the object, because server-side apply removes
//! fields a manager stops sending. Plans diff the schema-shaped configuration against the state
//! read from the live object (restricted to the fields skel manages; see [`ownership`]).
//! Waits: deployment rollout, LoadBalancer ingress, a new namespace's default service account
//! (opt-in), a service-account-token secret's token, deletion until gone; `timeouts` apply. A
//! wait that fails after the object was applied returns [`ProviderError::NotReady`] with the
//! object as read then, so the engine records it (a create as tainted).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value as Json;
use skel_provider::{
    ApplyRequest, PlanRequest, PlanResponse, Provider, ProviderError, ProviderFactory,
    RecoverRequest,
};
use skel_schema::{BlockSchema, ResourceSchema};
use skel_value::Value;

pub mod api;
pub mod config;
pub mod convert;
pub mod manifest;
pub mod ownership;
pub mod plan;
pub mod typed;

use api::{Kube, Target};

const NAME: &str = "kubernetes";
/// The field manager of the typed resources (and the manifest default).
pub const MANAGER: &str = "skel";

/// Creates the `kubernetes` provider.
pub struct KubernetesFactory;

/// The factories this crate provides, for the provider registry.
pub fn factories() -> Vec<Arc<dyn ProviderFactory>> {
    vec![Arc::new(KubernetesFactory)]
}

impl ProviderFactory for KubernetesFactory {
    fn name(&self) -> &str {
        NAME
    }

    fn configure(&self, config: &Value) -> Result<Arc<dyn Provider>, ProviderError> {
        // Both rustls crypto back ends are linked (the AWS SDK brings the other): pick ring.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let settings = config::Settings::from_config(config)?;
        Ok(Arc::new(KubernetesProvider {
            kube: Kube::new(settings),
        }))
    }
}

/// The configured provider.
pub struct KubernetesProvider {
    kube: Kube,
}

fn schema(type_name: &str) -> Result<&'static ResourceSchema, ProviderError> {
    skel_schema::provider(NAME)
        .and_then(|p| p.resources.get(type_name))
        .ok_or_else(|| {
            ProviderError::InvalidConfig(format!(
                "The kubernetes provider has no resource type `{type_name}`."
            ))
        })
}

fn attr<'a>(v: &'a Value, name: &str) -> &'a Value {
    static NULL: Value = Value::Null;
    v.as_mapping().and_then(|m| m.get(name)).unwrap_or(&NULL)
}

/// The first item of a list block.
fn first<'a>(v: &'a Value, name: &str) -> &'a Value {
    static NULL: Value = Value::Null;
    attr(v, name)
        .as_sequence()
        .and_then(|l| l.first())
        .unwrap_or(&NULL)
}

/// The `timeouts.<which>` duration, else `default`.
fn timeout(state: &Value, which: &str, default: Duration) -> Result<Duration, ProviderError> {
    match attr(attr(state, "timeouts"), which).as_str() {
        None => Ok(default),
        Some(text) => skel_schema::parse_duration(text).map_err(|why| {
            ProviderError::InvalidConfig(format!("timeouts.{which} is {text:?}: {why}."))
        }),
    }
}

/// A name for `generate_name`: the prefix and five characters. A create derives them from its
/// idempotency token, so recovery after a crash computes the same name and finds the object;
/// without a token they are random.
fn generated_name(prefix: &str, token: Option<&str>) -> String {
    let mut n: u128 = match token {
        // FNV-1a: stable across versions and platforms, unlike the standard hasher.
        Some(token) => u128::from(token.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })),
        None => {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0);
            nanos ^ u128::from(std::process::id()) << 32
        }
    };
    let alphabet = b"bcdfghjklmnpqrstvwxz2456789";
    let suffix: String = (0..5)
        .map(|_| {
            let c = alphabet[(n % alphabet.len() as u128) as usize] as char;
            n /= alphabet.len() as u128;
            c
        })
        .collect();
    format!("{prefix}{suffix}")
}

impl KubernetesProvider {
    /// (target, namespace, name) of a typed resource's state.
    fn locate(
        &self,
        type_name: &str,
        state: &Value,
    ) -> Result<(Target, Option<String>, String), ProviderError> {
        self.locate_new(type_name, state, None)
    }

    /// [`Self::locate`] for an object being created with idempotency token `token`: a
    /// `generate_name` becomes the name the token derives.
    fn locate_new(
        &self,
        type_name: &str,
        state: &Value,
        token: Option<&str>,
    ) -> Result<(Target, Option<String>, String), ProviderError> {
        let target = typed::target(type_name).ok_or_else(|| {
            ProviderError::InvalidConfig(format!(
                "The kubernetes provider has no resource type `{type_name}`."
            ))
        })?;
        let meta = typed::metadata(state);
        let name = typed::text(meta, "name").map(str::to_string);
        let name = match name {
            Some(n) => n,
            None => match typed::text(meta, "generate_name") {
                Some(prefix) => generated_name(prefix, token),
                None => {
                    return Err(ProviderError::InvalidConfig(format!(
                        "{type_name}: `metadata.name` or `metadata.generate_name` must be set."
                    )))
                }
            },
        };
        let ns = target.namespaced.then(|| {
            typed::text(meta, "namespace")
                .unwrap_or("default")
                .to_string()
        });
        Ok((target, ns, name))
    }

    /// The state of a live typed object, relative to `prior`.
    fn typed_state(
        &self,
        type_name: &str,
        block: &BlockSchema,
        live: &Json,
        prior: Option<&Value>,
        target: &Target,
    ) -> Value {
        let prior_json = prior.map(|p| typed::body(type_name, block, p, target));
        let restricted = ownership::restrict(live, prior_json.as_ref(), MANAGER);
        let mut state = typed::state(type_name, block, &restricted, prior);
        let full = typed::state(type_name, block, live, prior);
        fill_computed(block, &mut state, &full);
        if type_name == "kubernetes_secret" && typed::is_service_account_token(&state) {
            // The token controller's `token`, `ca.crt` and `namespace` are what such a secret
            // is read for: they belong in the state although skel never applies them.
            typed::add_controller_data(&mut state, &full);
        }
        state
    }

    async fn apply_typed(
        &self,
        type_name: &str,
        block: &BlockSchema,
        planned: &Value,
        creating: bool,
        token: Option<&str>,
    ) -> Result<Value, ProviderError> {
        let (target, ns, name) = self.locate_new(type_name, planned, token)?;
        let mut planned = planned.clone();
        set_name(&mut planned, &name);
        let body = typed::body(type_name, block, &planned, &target);
        let ns = ns.as_deref();
        self.kube
            .apply(&target, ns, &name, &body, MANAGER, true)
            .await?;
        match self
            .wait_typed(type_name, &planned, creating, &target, ns, &name)
            .await
        {
            Ok(()) => {
                let live = self.kube.get(&target, ns, &name).await?.ok_or_else(|| {
                    ProviderError::Api(format!(
                        "{} disappeared right after it was applied.",
                        api::describe(&target, ns, &name)
                    ))
                })?;
                Ok(self.typed_state(type_name, block, &live, Some(&planned), &target))
            }
            Err(e) => {
                let (live, message) = self.live_after(e, &target, ns, &name).await?;
                Err(ProviderError::not_ready(
                    self.typed_state(type_name, block, &live, Some(&planned), &target),
                    message,
                ))
            }
        }
    }

    /// The waits after a typed object was applied: a deployment's rollout, a LoadBalancer
    /// service's ingress, a new namespace's `default` service account (when asked for), a new
    /// service-account-token secret's token.
    async fn wait_typed(
        &self,
        type_name: &str,
        planned: &Value,
        creating: bool,
        target: &Target,
        ns: Option<&str>,
        name: &str,
    ) -> Result<(), ProviderError> {
        let which = if creating { "create" } else { "update" };
        if type_name == "kubernetes_deployment"
            && attr(planned, "wait_for_rollout").as_bool() != Some(false)
        {
            let limit = timeout(planned, which, Duration::from_secs(600))?;
            let mut last = String::new();
            let waited = self
                .kube
                .wait_for(target, ns, name, limit, "the rollout", |obj| match obj {
                    None => Ok(false),
                    Some(o) => {
                        last = typed::show_conditions(o);
                        typed::rollout_done(o)
                    }
                })
                .await;
            if let Err(ProviderError::Api(m)) = &waited {
                if m.starts_with("Timed out") {
                    return Err(ProviderError::Api(format!("{m} Conditions: {last}")));
                }
            }
            waited?;
        }
        if type_name == "kubernetes_namespace"
            && creating
            && attr(planned, "wait_for_default_service_account").as_bool() == Some(true)
        {
            let limit = timeout(planned, "create", Duration::from_secs(600))?;
            let accounts = Target::fixed("v1", "ServiceAccount", "serviceaccounts", true);
            self.kube
                .wait_for(
                    &accounts,
                    Some(name),
                    "default",
                    limit,
                    "the default service account",
                    |obj| Ok(obj.is_some()),
                )
                .await?;
        }
        if type_name == "kubernetes_secret"
            && creating
            && typed::is_service_account_token(planned)
            && attr(planned, "wait_for_service_account_token").as_bool() != Some(false)
        {
            let limit = timeout(planned, "create", Duration::from_secs(600))?;
            self.kube
                .wait_for(
                    target,
                    ns,
                    name,
                    limit,
                    "the service-account token",
                    |obj| {
                        Ok(obj.is_some_and(|o| {
                            o["data"]["token"].as_str().is_some_and(|t| !t.is_empty())
                        }))
                    },
                )
                .await?;
        }
        let spec = first(planned, "spec");
        let lb = attr(spec, "type").as_str() == Some("LoadBalancer");
        if type_name == "kubernetes_service"
            && lb
            && attr(planned, "wait_for_load_balancer").as_bool() != Some(false)
        {
            let limit = timeout(planned, "create", Duration::from_secs(600))?;
            self.kube
                .wait_for(target, ns, name, limit, "a load-balancer ingress", |obj| {
                    Ok(obj.is_some_and(typed::has_ingress))
                })
                .await?;
        }
        Ok(())
    }

    /// A wait after a successful apply failed: the object as it is now, to be recorded with
    /// [`ProviderError::NotReady`]; the wait's error when it cannot be read (gone, unreachable).
    async fn live_after(
        &self,
        failed: ProviderError,
        target: &Target,
        ns: Option<&str>,
        name: &str,
    ) -> Result<(Json, String), ProviderError> {
        match self.kube.get(target, ns, name).await {
            Ok(Some(live)) => Ok((live, failed.to_string())),
            _ => Err(failed),
        }
    }

    async fn delete(
        &self,
        target: &Target,
        ns: Option<&str>,
        name: &str,
        state: &Value,
    ) -> Result<Value, ProviderError> {
        self.kube.delete(target, ns, name).await?;
        let limit = timeout(state, "delete", Duration::from_secs(300))?;
        self.kube
            .wait_for(target, ns, name, limit, "the deletion", |obj| {
                Ok(obj.is_none())
            })
            .await?;
        Ok(Value::Null)
    }

    async fn manifest_target(
        &self,
        body: &Json,
    ) -> Result<(Target, Option<String>, String), ProviderError> {
        let (av, kind, ns, name) = manifest::identity(body);
        let target = self.kube.discover(&av, &kind).await?;
        let ns = target
            .namespaced
            .then(|| ns.unwrap_or_else(|| "default".into()));
        Ok((target, ns, name))
    }

    fn manifest_state(
        &self,
        base: &Value,
        shape: &Json,
        live: &Json,
        target: &Target,
        ns: Option<&str>,
        name: &str,
    ) -> Value {
        let mut fields = base.as_mapping().cloned().unwrap_or_default();
        fields.insert(
            "manifest".into(),
            Value::from_json(&manifest::project(shape, live)),
        );
        fields.insert("object".into(), manifest::object(live));
        let av = target.resource.api_version.clone();
        fields.insert(
            "id".into(),
            Value::string(manifest::id(&av, &target.resource.kind, ns, name)),
        );
        Value::Object(fields)
    }

    async fn apply_manifest(&self, planned: &Value) -> Result<Value, ProviderError> {
        let body = manifest::body(attr(planned, "manifest"))?;
        let (target, ns, name) = self.manifest_target(&body).await?;
        let fm = first(planned, "field_manager");
        let manager = attr(fm, "name").as_str().unwrap_or(MANAGER).to_string();
        let force = attr(fm, "force_conflicts").as_bool().unwrap_or(false);
        let ns = ns.as_deref();
        self.kube
            .apply(&target, ns, &name, &body, &manager, force)
            .await?;
        let wait = first(planned, "wait");
        let live = if wait.is_null() {
            self.kube.get(&target, ns, &name).await?
        } else {
            let limit = timeout(planned, "create", Duration::from_secs(600))?;
            let waited = self
                .kube
                .wait_for(
                    &target,
                    ns,
                    &name,
                    limit,
                    "the wait conditions",
                    |obj| match obj {
                        None => Ok(false),
                        Some(o) => manifest::wait_satisfied(wait, o),
                    },
                )
                .await;
            match waited {
                Ok(live) => live,
                Err(e) => {
                    let (live, message) = self.live_after(e, &target, ns, &name).await?;
                    let state = self.manifest_state(planned, &body, &live, &target, ns, &name);
                    return Err(ProviderError::not_ready(state, message));
                }
            }
        };
        let live = live.ok_or_else(|| {
            ProviderError::Api(format!(
                "{} disappeared right after it was applied.",
                api::describe(&target, ns, &name)
            ))
        })?;
        Ok(self.manifest_state(planned, &body, &live, &target, ns, &name))
    }
}

/// Optional+computed attributes the server chose (`cluster_ip`, `node_port`) are kept even
/// though no manager owns them.
fn fill_computed(block: &BlockSchema, state: &mut Value, full: &Value) {
    let Value::Object(fields) = state else { return };
    for (name, a) in &block.attributes {
        if a.computed && a.optional {
            if let Some(v) = fields.get_mut(name).filter(|v| v.is_null()) {
                *v = attr(full, name).clone();
            }
        }
    }
    for (name, nested) in &block.blocks {
        let Some(Value::List(items)) = fields.get_mut(name) else {
            continue;
        };
        let Some(full_items) = attr(full, name).as_sequence() else {
            continue;
        };
        for (item, f) in items.iter_mut().zip(full_items) {
            fill_computed(&nested.block, item, f);
        }
    }
}

/// The `spec[0]` object of a planned value, to change.
fn spec_mut(planned: &mut Value) -> Option<&mut skel_value::ValueMap> {
    let Value::Object(top) = planned else {
        return None;
    };
    match top.get_mut("spec") {
        Some(Value::List(items)) => match items.first_mut() {
            Some(Value::Object(spec)) => Some(spec),
            _ => None,
        },
        _ => None,
    }
}

/// A service whose type changes in place: the API server allocates what the new type needs
/// (node ports, the external traffic policy; a cluster IP when leaving ExternalName) and wipes
/// what it cannot have, and a LoadBalancer's ingress goes when it stops being one. What the
/// configuration leaves to the server is therefore unknown until applied, and is not sent
/// (a value carried over from the prior state would be kept, or rejected, for the new type).
fn plan_service_type_change(
    block: &BlockSchema,
    prior: &Value,
    config: &Value,
    planned: &mut Value,
) {
    let ty = |v: &Value| {
        attr(first(v, "spec"), "type")
            .as_str()
            .unwrap_or("ClusterIP")
            .to_string()
    };
    let (old, new) = (ty(prior), ty(planned));
    if old == new {
        return;
    }
    let configured = first(config, "spec");
    let configured_ports = attr(configured, "port").as_sequence();
    let Some(spec) = spec_mut(planned) else {
        return;
    };
    let unknown_string = Value::Unknown(skel_value::Type::String);
    if attr(configured, "external_traffic_policy").is_null() {
        spec.insert("external_traffic_policy".into(), unknown_string.clone());
    }
    if (old == "ExternalName" || new == "ExternalName") && attr(configured, "cluster_ip").is_null()
    {
        spec.insert("cluster_ip".into(), unknown_string);
    }
    if let Some(Value::List(ports)) = spec.get_mut("port") {
        for (i, port) in ports.iter_mut().enumerate() {
            let set = configured_ports
                .and_then(|c| c.get(i))
                .is_some_and(|c| !attr(c, "node_port").is_null());
            if let (Value::Object(port), false) = (port, set) {
                port.insert("node_port".into(), Value::Unknown(skel_value::Type::Number));
            }
        }
    }
    if let (Value::Object(top), Some(status)) = (planned, block.attribute("status")) {
        top.insert("status".into(), Value::Unknown(status.ty.clone()));
    }
}

/// The plan of one typed object or manifest over its `prior` state.
fn plan_object(
    block: &BlockSchema,
    type_name: &str,
    prior: Option<&Value>,
    config: &Value,
) -> PlanResponse {
    let mut response = match prior {
        Some(prior)
            if type_name == "kubernetes_secret" && typed::is_service_account_token(config) =>
        {
            let mut config = config.clone();
            typed::add_controller_data(&mut config, prior);
            plan::plan(block, Some(prior), &config)
        }
        _ => plan::plan(block, prior, config),
    };
    let Some(prior) = prior else {
        return response;
    };
    if response.planned.is_null() {
        return response;
    }
    match type_name {
        "kubernetes_config_map" | "kubernetes_secret"
            if immutable_change(prior, &response.planned) =>
        {
            response.requires_replace.push(vec!["data".into()]);
            response.planned = plan::plan_block(block, config, None, true);
        }
        "kubernetes_service" if response.requires_replace.is_empty() => {
            plan_service_type_change(block, prior, config, &mut response.planned);
        }
        "kubernetes_manifest" => {
            let new = attr(&response.planned, "manifest").to_json();
            let old = attr(prior, "manifest").to_json();
            let (a, b) = (manifest::identity(&new), manifest::identity(&old));
            let unknown = attr(&response.planned, "manifest").has_unknown();
            if !unknown && (a.0 != b.0 || a.1 != b.1 || a.3 != b.3 || (a.2.is_some() && a.2 != b.2))
            {
                response.requires_replace.push(vec!["manifest".into()]);
            }
            if unknown || !plan::same(attr(&response.planned, "manifest"), attr(prior, "manifest"))
            {
                if let Value::Object(m) = &mut response.planned {
                    m.insert("object".into(), manifest::unknown_object());
                    if !response.requires_replace.is_empty() {
                        m.insert("id".into(), Value::Unknown(skel_value::Type::String));
                    }
                }
            }
        }
        _ => {}
    }
    response
}

fn set_name(state: &mut Value, name: &str) {
    if let Value::Object(top) = state {
        if let Some(Value::List(meta)) = top.get_mut("metadata") {
            if let Some(Value::Object(m)) = meta.first_mut() {
                m.insert("name".into(), Value::string(name));
            }
        }
    }
}

fn immutable_change(prior: &Value, planned: &Value) -> bool {
    attr(prior, "immutable").as_bool() == Some(true)
        && ["data", "binary_data", "immutable"]
            .iter()
            .any(|k| !plan::same(attr(prior, k), attr(planned, k)))
}

#[async_trait]
impl Provider for KubernetesProvider {
    fn name(&self) -> &str {
        NAME
    }

    async fn plan(&self, request: PlanRequest<'_>) -> Result<PlanResponse, ProviderError> {
        let block = &schema(request.type_name)?.block;
        // A malformed timeout is a configuration error now, not after the object exists.
        for which in ["create", "update", "delete"] {
            timeout(request.config, which, Duration::ZERO)?;
        }
        let prior = request.prior.filter(|p| !p.is_null());
        let mut response = plan_object(block, request.type_name, prior, request.config);
        let creates = prior.is_none() || !response.requires_replace.is_empty();
        if creates
            && request.type_name == "kubernetes_secret"
            && typed::is_service_account_token(&response.planned)
        {
            // A new token secret's data is what the token controller writes: known after apply.
            if let Value::Object(m) = &mut response.planned {
                let ty = skel_value::Type::Map(Box::new(skel_value::Type::String));
                m.insert("data".into(), Value::Unknown(ty));
            }
        }
        Ok(response)
    }

    async fn apply(&self, request: ApplyRequest<'_>) -> Result<Value, ProviderError> {
        let type_name = request.type_name;
        let block = &schema(type_name)?.block;
        let prior = request.prior.filter(|p| !p.is_null());
        let planned = request.planned.filter(|p| !p.is_null());
        match (planned, prior) {
            (None, None) => Ok(Value::Null),
            (None, Some(prior)) if type_name == "kubernetes_manifest" => {
                let body = manifest::body(attr(prior, "manifest"))?;
                let (target, ns, name) = self.manifest_target(&body).await?;
                self.delete(&target, ns.as_deref(), &name, prior).await
            }
            (None, Some(prior)) => {
                let (target, ns, name) = self.locate(type_name, prior)?;
                self.delete(&target, ns.as_deref(), &name, prior).await
            }
            (Some(planned), _) if type_name == "kubernetes_manifest" => {
                self.apply_manifest(planned).await
            }
            (Some(planned), prior) => {
                self.apply_typed(type_name, block, planned, prior.is_none(), request.token)
                    .await
            }
        }
    }

    async fn read(&self, type_name: &str, state: &Value) -> Result<Option<Value>, ProviderError> {
        let block = &schema(type_name)?.block;
        if type_name == "kubernetes_manifest" {
            let body = manifest::body(attr(state, "manifest"))?;
            let (target, ns, name) = self.manifest_target(&body).await?;
            let live = self.kube.get(&target, ns.as_deref(), &name).await?;
            return Ok(
                live.map(|l| self.manifest_state(state, &body, &l, &target, ns.as_deref(), &name))
            );
        }
        let (target, ns, name) = self.locate(type_name, state)?;
        let live = self.kube.get(&target, ns.as_deref(), &name).await?;
        Ok(live.map(|l| self.typed_state(type_name, block, &l, Some(state), &target)))
    }

    async fn read_batch(
        &self,
        type_name: &str,
        states: &[Value],
    ) -> Result<Vec<Option<Value>>, ProviderError> {
        let Some(target) = typed::target(type_name) else {
            let mut out = Vec::with_capacity(states.len());
            for s in states {
                out.push(self.read(type_name, s).await?);
            }
            return Ok(out);
        };
        let block = &schema(type_name)?.block;
        let mut by_ns: BTreeMap<Option<String>, BTreeMap<String, Json>> = BTreeMap::new();
        let mut out = Vec::with_capacity(states.len());
        for state in states {
            let (_, ns, name) = self.locate(type_name, state)?;
            if !by_ns.contains_key(&ns) {
                let items = self.kube.list(&target, ns.as_deref()).await?;
                let named = items
                    .into_iter()
                    .filter_map(|i| Some((i["metadata"]["name"].as_str()?.to_string(), i)))
                    .collect();
                by_ns.insert(ns.clone(), named);
            }
            let live = by_ns.get(&ns).and_then(|m| m.get(&name));
            out.push(live.map(|l| {
                // List items carry no apiVersion/kind; the state does not need them.
                self.typed_state(type_name, block, l, Some(state), &target)
            }));
        }
        Ok(out)
    }

    async fn read_data(&self, type_name: &str, config: &Value) -> Result<Value, ProviderError> {
        let block = &skel_schema::provider(NAME)
            .and_then(|p| p.data_sources.get(type_name))
            .ok_or_else(|| {
                ProviderError::InvalidConfig(format!(
                    "The kubernetes provider has no data source `{type_name}`."
                ))
            })?
            .block;
        let (target, ns, name) = self.locate(type_name, config)?;
        let live = self
            .kube
            .get(&target, ns.as_deref(), &name)
            .await?
            .ok_or_else(|| {
                ProviderError::Api(format!(
                    "{type_name}: {} does not exist.",
                    api::describe(&target, ns.as_deref(), &name)
                ))
            })?;
        Ok(typed::state(type_name, block, &live, Some(config)))
    }

    async fn import(&self, type_name: &str, id: &str) -> Result<Value, ProviderError> {
        let block = &schema(type_name)?.block;
        if type_name == "kubernetes_manifest" {
            let (av, kind, ns, name) = manifest::parse_id(id)?;
            let target = self.kube.discover(&av, &kind).await?;
            let ns = target
                .namespaced
                .then(|| ns.unwrap_or_else(|| "default".into()));
            let live = self
                .kube
                .get(&target, ns.as_deref(), &name)
                .await?
                .ok_or_else(|| not_found(type_name, id))?;
            let shape = manifest::imported_manifest(&live);
            let base = typed::state(type_name, block, &Json::Null, None);
            return Ok(self.manifest_state(&base, &shape, &live, &target, ns.as_deref(), &name));
        }
        let target = typed::target(type_name).ok_or_else(|| not_found(type_name, id))?;
        let (ns, name) = match (target.namespaced, id.split_once('/')) {
            (true, Some((ns, name))) => (Some(ns.to_string()), name.to_string()),
            (true, None) => (Some("default".to_string()), id.to_string()),
            (false, _) => (None, id.to_string()),
        };
        let live = self
            .kube
            .get(&target, ns.as_deref(), &name)
            .await?
            .ok_or_else(|| not_found(type_name, id))?;
        Ok(self.typed_state(type_name, block, &live, None, &target))
    }

    async fn recover(&self, request: RecoverRequest<'_>) -> Result<Option<Value>, ProviderError> {
        let (type_name, planned) = (request.type_name, request.planned);
        if type_name == "kubernetes_manifest" {
            return self.read(type_name, planned).await;
        }
        if typed::text(typed::metadata(planned), "name").is_some() {
            return self.read(type_name, planned).await;
        }
        // A generated name: the one the create's token derives.
        let Some(token) = request.token else {
            return Err(ProviderError::Other(format!(
                "{}: the interrupted create used a generated name and its journal has no token \
                 to derive it from (written by an older skelc), so skel cannot tell whether it \
                 made an object. Look for objects named `{}…` and import the one that belongs \
                 to {} with `skelc import {} NAMESPACE/NAME`.",
                request.address,
                typed::text(typed::metadata(planned), "generate_name").unwrap_or_default(),
                request.address,
                request.address,
            )));
        };
        let (_, _, name) = self.locate_new(type_name, planned, Some(token))?;
        let mut planned = planned.clone();
        set_name(&mut planned, &name);
        self.read(type_name, &planned).await
    }
}

fn not_found(type_name: &str, id: &str) -> ProviderError {
    ProviderError::Api(format!(
        "Cannot import {type_name} {id:?}: no such object in the cluster."
    ))
}
