//! Typed objects and manifests between the provider and the API: where an object lives (its
//! target, namespace and name, a generated name derived from the create's token), applying
//! one and reading back its state, deleting one.

use std::time::Duration;

use serde_json::Value as Json;
use skel_provider::kit::{first_block, get, timeout, Operation};
use skel_provider::ProviderError;
use skel_schema::BlockSchema;
use skel_value::Value;

use crate::api::{self, Target};
use crate::{manifest, ownership, typed, KubernetesProvider, MANAGER};

/// A name for `generate_name`: the prefix and five characters. A create derives them from its
/// idempotency token, so recovery after a crash computes the same name and finds the object;
/// without a token they are random.
pub(crate) fn generated_name(prefix: &str, token: Option<&str>) -> String {
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
    pub(crate) fn locate(
        &self,
        type_name: &str,
        state: &Value,
    ) -> Result<(Target, Option<String>, String), ProviderError> {
        self.locate_new(type_name, state, None)
    }

    /// [`Self::locate`] for an object being created with idempotency token `token`: a
    /// `generate_name` becomes the name the token derives.
    pub(crate) fn locate_new(
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
    pub(crate) fn typed_state(
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

    pub(crate) async fn apply_typed(
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

    pub(crate) async fn delete(
        &self,
        target: &Target,
        ns: Option<&str>,
        name: &str,
        state: &Value,
    ) -> Result<Value, ProviderError> {
        self.kube.delete(target, ns, name).await?;
        let limit = timeout(state, Operation::Delete, Duration::from_secs(300))?;
        self.kube
            .wait_for(target, ns, name, limit, "the deletion", |obj| {
                Ok(obj.is_none())
            })
            .await?;
        Ok(Value::Null)
    }

    pub(crate) async fn manifest_target(
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

    pub(crate) fn manifest_state(
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

    pub(crate) async fn apply_manifest(&self, planned: &Value) -> Result<Value, ProviderError> {
        let body = manifest::body(get(planned, "manifest"))?;
        let (target, ns, name) = self.manifest_target(&body).await?;
        let fm = first_block(planned, "field_manager");
        let manager = get(fm, "name").as_str().unwrap_or(MANAGER).to_string();
        let force = get(fm, "force_conflicts").as_bool().unwrap_or(false);
        let ns = ns.as_deref();
        self.kube
            .apply(&target, ns, &name, &body, &manager, force)
            .await?;
        let wait = first_block(planned, "wait");
        let live = if wait.is_null() {
            self.kube.get(&target, ns, &name).await?
        } else {
            let limit = timeout(planned, Operation::Create, Duration::from_secs(600))?;
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
                    let (live, message) = self.live_after(e.into(), &target, ns, &name).await?;
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
                *v = get(full, name).clone();
            }
        }
    }
    for (name, nested) in &block.blocks {
        let Some(Value::List(items)) = fields.get_mut(name) else {
            continue;
        };
        let Some(full_items) = get(full, name).as_sequence() else {
            continue;
        };
        for (item, f) in items.iter_mut().zip(full_items) {
            fill_computed(&nested.block, item, f);
        }
    }
}

pub(crate) fn set_name(state: &mut Value, name: &str) {
    if let Value::Object(top) = state {
        if let Some(Value::List(meta)) = top.get_mut("metadata") {
            if let Some(Value::Object(m)) = meta.first_mut() {
                m.insert("name".into(), Value::string(name));
            }
        }
    }
}

/// The error of an import whose object does not exist.
pub(crate) fn not_found(type_name: &str, id: &str) -> ProviderError {
    ProviderError::not_found(format!(
        "Cannot import {type_name} {id:?}: no such object in the cluster."
    ))
}
