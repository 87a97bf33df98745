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
//! wait ([`waits`]) that fails after the object was applied returns [`ProviderError::NotReady`] with the
//! object as read then, so the engine records it (a create as tainted).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value as Json;
use skel_provider::kit::{self, get, timeout, Operation};
use skel_provider::{
    ApplyRequest, PlanRequest, PlanResponse, Provider, ProviderError, ProviderFactory,
    RecoverRequest,
};
use skel_value::Value;

pub mod api;
pub mod config;
pub mod convert;
pub mod manifest;
mod objects;
pub mod ownership;
pub mod plan;
pub mod state_objects;
pub mod typed;
pub mod waits;

use api::Kube;
use objects::{not_found, set_name};

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

#[async_trait]
impl Provider for KubernetesProvider {
    fn name(&self) -> &str {
        NAME
    }

    async fn plan(&self, request: PlanRequest<'_>) -> Result<PlanResponse, ProviderError> {
        let block = &kit::resource_schema(NAME, request.type_name)?.block;
        // A malformed timeout is a configuration error now, not after the object exists.
        for which in [Operation::Create, Operation::Update, Operation::Delete] {
            timeout(request.config, which, Duration::ZERO)?;
        }
        let prior = request.prior.filter(|p| !p.is_null());
        Ok(plan::plan_object(
            block,
            request.type_name,
            prior,
            request.config,
        ))
    }

    async fn apply(&self, request: ApplyRequest<'_>) -> Result<Value, ProviderError> {
        let type_name = request.type_name;
        let block = &kit::resource_schema(NAME, type_name)?.block;
        let prior = request.prior.filter(|p| !p.is_null());
        let planned = request.planned.filter(|p| !p.is_null());
        match (planned, prior) {
            (None, None) => Ok(Value::Null),
            (None, Some(prior)) if type_name == "kubernetes_manifest" => {
                let body = manifest::body(get(prior, "manifest"))?;
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
        let block = &kit::resource_schema(NAME, type_name)?.block;
        if type_name == "kubernetes_manifest" {
            let body = manifest::body(get(state, "manifest"))?;
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
        let block = &kit::resource_schema(NAME, type_name)?.block;
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
        let block = &kit::data_source_schema(NAME, type_name)?.block;
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
        let block = &kit::resource_schema(NAME, type_name)?.block;
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
