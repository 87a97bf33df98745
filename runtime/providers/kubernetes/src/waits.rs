//! The waits after a change: a deployment's rollout, a LoadBalancer service's ingress, a new
//! namespace's `default` service account, a service-account-token secret's token, a manifest's
//! `wait` conditions, a deletion until the object is gone. A wait reads the object, then watches
//! it (falling back to reading every 200 ms when a watch is refused or ends) until a
//! condition holds, fails, or its timeout (`timeouts`, [`skel_provider::kit::timeout`]) runs
//! out; running out is a typed [`WaitError::TimedOut`], never a message to recognise.

use std::time::{Duration, Instant};

use futures_util::StreamExt;

use serde_json::Value as Json;
use skel_provider::kit::{first_block, get, timeout, Operation};
use skel_provider::ProviderError;
use skel_value::Value;

use crate::api::{describe, Kube, Target};
use crate::{typed, KubernetesProvider};

/// How a wait ended without its condition holding.
#[derive(Debug, thiserror::Error)]
pub enum WaitError {
    /// The timeout ran out: `after` is the timeout, `what` the condition waited for, `object`
    /// the object's description.
    #[error("Timed out after {} waiting for {what} of {object}.", show_duration(*after))]
    TimedOut {
        after: Duration,
        what: String,
        object: String,
    },
    /// Reading the object failed, or the condition reported a failure (a failed rollout).
    #[error(transparent)]
    Failed(#[from] ProviderError),
}

impl From<WaitError> for ProviderError {
    fn from(e: WaitError) -> Self {
        match e {
            WaitError::Failed(e) => e,
            timed_out @ WaitError::TimedOut { .. } => ProviderError::Api(timed_out.to_string()),
        }
    }
}

fn show_duration(d: Duration) -> String {
    let s = d.as_secs();
    if s == 0 {
        format!("{}ms", d.as_millis())
    } else if s.is_multiple_of(60) {
        format!("{}m", s / 60)
    } else {
        format!("{s}s")
    }
}

impl Kube {
    /// Waits until `done` says the object is ready (`Ok(true)`), failed (`Err`), or `timeout`:
    /// it reads the object, then watches it from the version read (one long request instead of a
    /// read every 200 ms) and checks every change. A watch the server refuses (RBAC without
    /// `watch`) or ends (its timeout, 410 Expired) falls back to reading again after 200 ms.
    pub async fn wait_for(
        &self,
        target: &Target,
        ns: Option<&str>,
        name: &str,
        timeout: Duration,
        what: &str,
        mut done: impl FnMut(Option<&Json>) -> Result<bool, ProviderError>,
    ) -> Result<Option<Json>, WaitError> {
        let start = Instant::now();
        let timed_out = || WaitError::TimedOut {
            after: timeout,
            what: what.to_string(),
            object: describe(target, ns, name),
        };
        loop {
            let obj = self.get(target, ns, name).await?;
            if done(obj.as_ref())? {
                return Ok(obj);
            }
            let left = timeout.saturating_sub(start.elapsed());
            if left.is_zero() {
                return Err(timed_out());
            }
            let version = obj
                .as_ref()
                .and_then(|o| o["metadata"]["resourceVersion"].as_str())
                .map(str::to_string);
            // Without the object there is no version to watch from: read again.
            let watched = match version {
                Some(v) => {
                    let seconds = u32::try_from(left.as_secs().clamp(1, 290)).unwrap_or(290);
                    self.watch_named(target, ns, name, &v, seconds).await.ok()
                }
                None => None,
            };
            if let Some(events) = watched {
                let mut events = std::pin::pin!(events);
                let next = async {
                    while let Some(changed) = events.next().await {
                        match done(changed.as_ref()) {
                            Ok(false) => {}
                            Ok(true) => return Some(Ok(changed)),
                            Err(e) => return Some(Err(e)),
                        }
                    }
                    None
                };
                match tokio::time::timeout(left, next).await {
                    Ok(Some(Ok(obj))) => return Ok(obj),
                    Ok(Some(Err(e))) => return Err(e.into()),
                    Err(_) => return Err(timed_out()),
                    Ok(None) => {}
                }
            }
            if start.elapsed() >= timeout {
                return Err(timed_out());
            }
            tokio::time::sleep(
                Duration::from_millis(200).min(timeout.saturating_sub(start.elapsed())),
            )
            .await;
        }
    }
}

impl KubernetesProvider {
    /// The waits after a typed object was applied: a deployment's rollout, a LoadBalancer
    /// service's ingress, a new namespace's `default` service account (when asked for), a new
    /// service-account-token secret's token.
    pub(crate) async fn wait_typed(
        &self,
        type_name: &str,
        planned: &Value,
        creating: bool,
        target: &Target,
        ns: Option<&str>,
        name: &str,
    ) -> Result<(), ProviderError> {
        let which = if creating {
            Operation::Create
        } else {
            Operation::Update
        };
        if type_name == "kubernetes_deployment"
            && get(planned, "wait_for_rollout").as_bool() != Some(false)
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
            if let Err(timed_out @ WaitError::TimedOut { .. }) = &waited {
                return Err(ProviderError::Api(format!(
                    "{timed_out} Conditions: {last}"
                )));
            }
            waited?;
        }
        if type_name == "kubernetes_namespace"
            && creating
            && get(planned, "wait_for_default_service_account").as_bool() == Some(true)
        {
            let limit = timeout(planned, Operation::Create, Duration::from_secs(600))?;
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
            && get(planned, "wait_for_service_account_token").as_bool() != Some(false)
        {
            let limit = timeout(planned, Operation::Create, Duration::from_secs(600))?;
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
        let spec = first_block(planned, "spec");
        let lb = get(spec, "type").as_str() == Some("LoadBalancer");
        if type_name == "kubernetes_service"
            && lb
            && get(planned, "wait_for_load_balancer").as_bool() != Some(false)
        {
            let limit = timeout(planned, Operation::Create, Duration::from_secs(600))?;
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
    pub(crate) async fn live_after(
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
}
