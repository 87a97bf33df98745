//! The Kubernetes API through kube-rs: the client (built lazily from the provider's settings),
//! kind discovery, get/list/server-side apply/delete on `DynamicObject`s, polling waits, and
//! the translation of failures into clear messages.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use kube::api::{Api, DeleteParams, DynamicObject, ListParams, Patch, PatchParams};
use kube::core::{ApiResource, GroupVersionKind};
use kube::discovery::Scope;
use kube::Client;
use serde_json::Value as Json;
use skel_provider::fault::{self, When};
use skel_provider::ProviderError;
use tokio::sync::OnceCell;

use crate::config::Settings;

/// A kind's resource and scope.
#[derive(Clone, Debug)]
pub struct Target {
    pub resource: ApiResource,
    pub namespaced: bool,
}

impl Target {
    /// A kind known without discovery.
    pub fn fixed(api_version: &str, kind: &str, plural: &str, namespaced: bool) -> Target {
        let (group, version) = split_api_version(api_version);
        let gvk = GroupVersionKind::gvk(group, version, kind);
        Target {
            resource: ApiResource::from_gvk_with_plural(&gvk, plural),
            namespaced,
        }
    }
}

/// `apps/v1` → (`apps`, `v1`); `v1` → (``, `v1`).
pub fn split_api_version(api_version: &str) -> (&str, &str) {
    api_version.rsplit_once('/').unwrap_or(("", api_version))
}

/// The connection to one cluster.
pub struct Kube {
    settings: Settings,
    client: OnceCell<Client>,
    discovered: Mutex<HashMap<(String, String), Target>>,
}

impl Kube {
    pub fn new(settings: Settings) -> Kube {
        Kube {
            settings,
            client: OnceCell::new(),
            discovered: Mutex::new(HashMap::new()),
        }
    }

    async fn client(&self) -> Result<Client, ProviderError> {
        self.client
            .get_or_try_init(|| async {
                let config = self.settings.kube_config().await?;
                // With the AWS SDK in the same binary, rustls has both crypto back ends and
                // cannot pick one itself: choose ring (kube's) explicitly. Failing means one is
                // already installed, which is as good.
                let _ = rustls::crypto::ring::default_provider().install_default();
                Client::try_from(config).map_err(|e| {
                    ProviderError::InvalidConfig(format!(
                        "Could not set up the Kubernetes client: {e}."
                    ))
                })
            })
            .await
            .cloned()
    }

    fn api(&self, client: Client, target: &Target, ns: Option<&str>) -> Api<DynamicObject> {
        match (target.namespaced, ns) {
            (true, Some(ns)) => Api::namespaced_with(client, ns, &target.resource),
            (true, None) => Api::default_namespaced_with(client, &target.resource),
            (false, _) => Api::all_with(client, &target.resource),
        }
    }

    /// The resource and scope of `kind` in `api_version`, by API discovery (cached).
    pub async fn discover(&self, api_version: &str, kind: &str) -> Result<Target, ProviderError> {
        let key = (api_version.to_string(), kind.to_string());
        if let Some(t) = self
            .discovered
            .lock()
            .ok()
            .and_then(|d| d.get(&key).cloned())
        {
            return Ok(t);
        }
        let client = self.client().await?;
        let (group, version) = split_api_version(api_version);
        let gvk = GroupVersionKind::gvk(group, version, kind);
        let found = kube::discovery::pinned_kind(&client, &gvk).await;
        let (resource, caps) = match found {
            Ok(found) => found,
            Err(kube::Error::Api(s)) if s.code == 404 => {
                return Err(unknown_kind(api_version, kind))
            }
            Err(kube::Error::Discovery(_)) => return Err(unknown_kind(api_version, kind)),
            Err(e) => return Err(self.error(e, &format!("discovering {kind} ({api_version})"))),
        };
        let target = Target {
            resource,
            namespaced: caps.scope == Scope::Namespaced,
        };
        if let Ok(mut d) = self.discovered.lock() {
            d.insert(key, target.clone());
        }
        Ok(target)
    }

    /// The object, or `None` when it does not exist.
    pub async fn get(
        &self,
        target: &Target,
        ns: Option<&str>,
        name: &str,
    ) -> Result<Option<Json>, ProviderError> {
        let api = self.api(self.client().await?, target, ns);
        match api.get_opt(name).await {
            Ok(Some(obj)) => Ok(Some(to_json(&obj)?)),
            Ok(None) => Ok(None),
            Err(e) => Err(self.error(e, &describe(target, ns, name))),
        }
    }

    /// The objects named `name` as a watch reports them, after `version`, for at most
    /// `seconds`: `Some(obj)` for an added or changed object, `None` for a deletion; bookmarks
    /// are skipped. The stream ends with the watch (its timeout, a 410 for an old version).
    pub async fn watch_named(
        &self,
        target: &Target,
        ns: Option<&str>,
        name: &str,
        version: &str,
        seconds: u32,
    ) -> Result<impl futures_util::Stream<Item = Option<Json>> + use<>, ProviderError> {
        use futures_util::StreamExt;
        use kube::api::{WatchEvent, WatchParams};
        let api = self.api(self.client().await?, target, ns);
        let params = WatchParams::default()
            .fields(&format!("metadata.name={name}"))
            .timeout(seconds);
        let events = api
            .watch(&params, version)
            .await
            .map_err(|e| self.error(e, &describe(target, ns, name)))?;
        Ok(events
            .take_while(|e| {
                let go_on = matches!(
                    e,
                    Ok(WatchEvent::Added(_)
                        | WatchEvent::Modified(_)
                        | WatchEvent::Deleted(_)
                        | WatchEvent::Bookmark(_))
                );
                std::future::ready(go_on)
            })
            .filter_map(|e| {
                std::future::ready(match e {
                    Ok(WatchEvent::Added(o) | WatchEvent::Modified(o)) => Some(to_json(&o).ok()),
                    Ok(WatchEvent::Deleted(_)) => Some(None),
                    _ => None,
                })
            }))
    }

    /// Every object of the kind in `ns` (all namespaces when `None`).
    pub async fn list(
        &self,
        target: &Target,
        ns: Option<&str>,
    ) -> Result<Vec<Json>, ProviderError> {
        let client = self.client().await?;
        let api = match (target.namespaced, ns) {
            (true, Some(ns)) => Api::namespaced_with(client, ns, &target.resource),
            _ => Api::all_with(client, &target.resource),
        };
        let list = api
            .list(&ListParams::default())
            .await
            .map_err(|e| self.error(e, &format!("listing {}", target.resource.plural)))?;
        list.items.iter().map(to_json).collect()
    }

    /// Server-side apply of `body` by `manager`.
    pub async fn apply(
        &self,
        target: &Target,
        ns: Option<&str>,
        name: &str,
        body: &Json,
        manager: &str,
        force: bool,
    ) -> Result<Json, ProviderError> {
        let api = self.api(self.client().await?, target, ns);
        let mut params = PatchParams::apply(manager);
        if force {
            params = params.force();
        }
        let point = format!("apply {}", target.resource.kind);
        fault::point("kubernetes", &point, When::Before);
        let answer = api.patch(name, &params, &Patch::Apply(body)).await;
        fault::point("kubernetes", &point, When::After);
        match answer {
            Ok(obj) => to_json(&obj),
            Err(kube::Error::Api(s)) if s.code == 409 => Err(ProviderError::Api(format!(
                "Server-side apply of {} conflicts with another field manager: {}{}",
                describe(target, ns, name),
                s.message,
                if force {
                    String::new()
                } else {
                    "\nSet `field_manager { force_conflicts = true }` to take these fields over, or remove them from the configuration.".to_string()
                }
            ))),
            Err(e) => Err(self.error(e, &format!("applying {}", describe(target, ns, name)))),
        }
    }

    /// Deletes the object (nothing to do when it is gone already).
    pub async fn delete(
        &self,
        target: &Target,
        ns: Option<&str>,
        name: &str,
    ) -> Result<(), ProviderError> {
        let api = self.api(self.client().await?, target, ns);
        let point = format!("delete {}", target.resource.kind);
        fault::point("kubernetes", &point, When::Before);
        let answer = api.delete(name, &DeleteParams::background()).await;
        fault::point("kubernetes", &point, When::After);
        match answer {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(s)) if s.code == 404 => Ok(()),
            Err(e) => Err(self.error(e, &format!("deleting {}", describe(target, ns, name)))),
        }
    }

    /// A clear message for a failed call about `what`.
    pub fn error(&self, e: kube::Error, what: &str) -> ProviderError {
        let server = self.settings.server_hint();
        match e {
            kube::Error::Api(s) => match s.code {
                401 => ProviderError::Auth(format!(
                    "The Kubernetes API at {server} rejected the credentials while {what} (401 Unauthorized): they are missing, expired or revoked. Refresh the token or kubeconfig user and try again."
                )),
                403 => ProviderError::Auth(format!(
                    "Forbidden while {what}: {}. The user needs RBAC permission for this.",
                    s.message
                )),
                _ => ProviderError::Api(format!("Kubernetes API error while {what}: {} ({} {}).", s.message, s.code, s.reason)),
            },
            kube::Error::Auth(e) => ProviderError::Auth(format!(
                "Could not obtain Kubernetes credentials while {what}: {e}."
            )),
            kube::Error::HyperError(_) | kube::Error::Service(_) => ProviderError::Unreachable(format!(
                "Cannot reach the Kubernetes API at {server} while {what}: {}. Check that the cluster is running and the kubeconfig points at it.",
                error_chain(&e)
            )),
            other => ProviderError::Api(format!("Kubernetes request failed while {what}: {}.", error_chain(&other))),
        }
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

fn unknown_kind(api_version: &str, kind: &str) -> ProviderError {
    ProviderError::InvalidConfig(format!(
        "The cluster does not serve kind `{kind}` in `{api_version}` (API discovery found no such resource). Check apiVersion and kind, or install the CustomResourceDefinition first."
    ))
}

/// `deployments "web" in namespace "default"`.
pub fn describe(target: &Target, ns: Option<&str>, name: &str) -> String {
    match ns.filter(|_| target.namespaced) {
        Some(ns) => format!(
            "{} \"{name}\" in namespace \"{ns}\"",
            target.resource.plural
        ),
        None => format!("{} \"{name}\"", target.resource.plural),
    }
}

fn to_json(obj: &DynamicObject) -> Result<Json, ProviderError> {
    serde_json::to_value(obj)
        .map_err(|e| ProviderError::Other(format!("Could not encode a Kubernetes object: {e}.")))
}

/// `1m30s`, `10m`, `45s`, `2h` → a duration (`skel_schema::parse_duration`: at most 720h, never
/// an overflow).
pub fn parse_duration(text: &str) -> Option<Duration> {
    skel_schema::parse_duration(text).ok()
}
