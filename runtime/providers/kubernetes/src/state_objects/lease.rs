//! The lock as a `coordination.k8s.io/v1` Lease: created (or a released one taken over) with
//! the lock id as holder and the lock record in an annotation, renewed from a background task
//! while held, reported when unrenewed but never taken over, released by its holder alone
//! (`docs/backends.md`).

use k8s_openapi::api::coordination::v1::Lease;
use kube::api::{DeleteParams, PostParams, Preconditions};
use serde_json::{json, Value};
use skel_provider::fault::{self, When};

use super::{
    now_micro, KubeObjects, ObjectError, Precondition, LEASE_DURATION_SECONDS, LOCK_INFO_ANNOTATION,
};

impl KubeObjects {
    /// The lock record and the holder's id; a Lease nobody holds is no lock. A Lease its holder
    /// stopped renewing says so in the record's operation (the state store shows it).
    pub(super) async fn get_lock(&self) -> Result<Option<(Vec<u8>, String)>, ObjectError> {
        let lease = match self.leases().get_opt(&self.lease_name()).await {
            Ok(Some(l)) => l,
            Ok(None) => return Ok(None),
            Err(e) => return Err(self.failed("read", ".tflock", e)),
        };
        let lease = serde_json::to_value(&lease).unwrap_or_default();
        let holder = lease["spec"]["holderIdentity"].as_str().unwrap_or_default();
        if holder.is_empty() {
            return Ok(None);
        }
        let annotation = lease["metadata"]["annotations"][LOCK_INFO_ANNOTATION].as_str();
        let mut record: Value = match annotation.map(serde_json::from_str::<Value>) {
            Some(Ok(record)) => record,
            // Not a lock record (another tool's text): shown as unreadable, by name.
            Some(Err(_)) => {
                return Ok(Some((annotation.unwrap_or_default().into(), holder.into())))
            }
            // A Lease someone holds without a record (another controller, a hand-made one):
            // its holder is the lock id a force-unlock must name.
            None => json!({
                "ID": holder,
                "Operation": "a Lease without a lock record",
                "Who": holder,
                "Created": lease["spec"]["acquireTime"].as_str().unwrap_or_default(),
            }),
        };
        if let Some(idle) = unrenewed_for(&lease) {
            let operation = record["Operation"].as_str().unwrap_or_default().to_string();
            record["Operation"] = json!(format!(
                "{operation}; its Lease was last renewed {idle} s ago, past its \
                 leaseDurationSeconds: the holder has probably stopped"
            ));
        }
        Ok(Some((
            serde_json::to_vec(&record).unwrap_or_default(),
            holder.to_string(),
        )))
    }

    pub(super) async fn put_lock(
        &self,
        bytes: Vec<u8>,
        condition: Precondition,
    ) -> Result<String, ObjectError> {
        let record: Value = serde_json::from_slice(&bytes)
            .map_err(|e| ObjectError::Failed(format!("the lock record is not JSON ({e})")))?;
        let id = record["ID"].as_str().unwrap_or_default().to_string();
        if id.is_empty() {
            return Err(ObjectError::Failed("the lock record has no ID".into()));
        }
        let api = self.leases();
        let name = self.lease_name();
        let now = now_micro();
        let mut lease = json!({
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {
                "name": name,
                "labels": self.labels(true),
                "annotations": {LOCK_INFO_ANNOTATION: String::from_utf8_lossy(&bytes)},
            },
            "spec": {
                "holderIdentity": id,
                "leaseDurationSeconds": LEASE_DURATION_SECONDS,
                "acquireTime": now,
                "renewTime": now,
            },
        });
        let existing = match api.get_opt(&name).await {
            Ok(found) => found,
            Err(e) => return Err(self.failed("read", ".tflock", e)),
        };
        fault::point("kubebackend", "WriteLease", When::Before);
        let written = match existing {
            None => {
                let lease: Lease = serde_json::from_value(lease)
                    .map_err(|e| ObjectError::Failed(format!("building the Lease: {e}")))?;
                api.create(&PostParams::default(), &lease).await
            }
            Some(old) => {
                let holder = old.spec.as_ref().and_then(|s| s.holder_identity.clone());
                let free = holder.as_deref().is_none_or(str::is_empty);
                if !free && condition != Precondition::Any {
                    return Err(ObjectError::PreconditionFailed);
                }
                // Take over a released Lease, at the version read: a rival's write in between
                // makes this a 409.
                lease["metadata"]["resourceVersion"] =
                    json!(old.metadata.resource_version.clone().unwrap_or_default());
                let transitions = old
                    .spec
                    .as_ref()
                    .and_then(|s| s.lease_transitions)
                    .unwrap_or(0);
                lease["spec"]["leaseTransitions"] = json!(transitions + 1);
                let lease: Lease = serde_json::from_value(lease)
                    .map_err(|e| ObjectError::Failed(format!("building the Lease: {e}")))?;
                api.replace(&name, &PostParams::default(), &lease).await
            }
        };
        fault::point("kubebackend", "WriteLease", When::After);
        match written {
            Ok(_) => {
                self.start_renewal(&id);
                Ok(id)
            }
            Err(e) if Self::api_code(&e) == Some(409) => Err(ObjectError::PreconditionFailed),
            Err(e) => Err(self.failed("create", ".tflock", e)),
        }
    }

    /// Renew the Lease's `renewTime` while this process holds it.
    pub(super) fn start_renewal(&self, id: &str) {
        let api = self.leases();
        let name = self.lease_name();
        let holder = id.to_string();
        let every = self.renew_every;
        let task = tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                let Ok(Some(mut lease)) = api.get_opt(&name).await else {
                    return;
                };
                let Some(spec) = lease.spec.as_mut() else {
                    return;
                };
                if spec.holder_identity.as_deref() != Some(holder.as_str()) {
                    return;
                }
                let Ok(renewed) = serde_json::from_value(json!(now_micro())) else {
                    return;
                };
                spec.renew_time = Some(renewed);
                // A conflict (a release racing this) is settled on the next round.
                let _ = api.replace(&name, &PostParams::default(), &lease).await;
            }
        });
        if let Ok(mut renewal) = self.renewal.lock() {
            if let Some((_, old)) = renewal.replace((id.to_string(), task)) {
                old.abort();
            }
        }
    }

    /// Release: clear the holder and the record (Terraform's unlock), only while the holder is
    /// `condition`'s id.
    pub(super) async fn release_lock(&self, condition: Precondition) -> Result<(), ObjectError> {
        let id = match &condition {
            Precondition::Absent => return Ok(()),
            Precondition::Matches(id) => Some(id.clone()),
            Precondition::Any => None,
        };
        if let Ok(mut renewal) = self.renewal.lock() {
            if renewal
                .as_ref()
                .is_some_and(|(held, _)| Some(held) == id.as_ref())
            {
                if let Some((_, task)) = renewal.take() {
                    task.abort();
                }
            }
        }
        let api = self.leases();
        let name = self.lease_name();
        for _ in 0..10 {
            let mut lease = match api.get_opt(&name).await {
                Ok(Some(l)) => l,
                Ok(None) if id.is_none() => return Ok(()),
                Ok(None) => return Err(ObjectError::PreconditionFailed),
                Err(e) => return Err(self.failed("read", ".tflock", e)),
            };
            let holder = lease.spec.as_ref().and_then(|s| s.holder_identity.clone());
            if let Some(id) = &id {
                if holder.as_deref() != Some(id.as_str()) {
                    return Err(ObjectError::PreconditionFailed);
                }
            }
            if let Some(spec) = lease.spec.as_mut() {
                spec.holder_identity = None;
            }
            if let Some(annotations) = lease.metadata.annotations.as_mut() {
                annotations.remove(LOCK_INFO_ANNOTATION);
            }
            fault::point("kubebackend", "ReleaseLease", When::Before);
            let written = api.replace(&name, &PostParams::default(), &lease).await;
            fault::point("kubebackend", "ReleaseLease", When::After);
            match written {
                Ok(released) => {
                    // The Lease of a state that does not exist (a deleted workspace, a plan of
                    // an empty one) goes too, unless someone took it meanwhile.
                    if let Ok(None) = self.secrets().get_opt(&self.secret).await {
                        let params = DeleteParams::default().preconditions(Preconditions {
                            resource_version: released.metadata.resource_version,
                            uid: None,
                        });
                        let _ = api.delete(&name, &params).await;
                    }
                    return Ok(());
                }
                // The holder's renewal wrote in between: read again.
                Err(e) if Self::api_code(&e) == Some(409) => continue,
                Err(e) => return Err(self.failed("release", ".tflock", e)),
            }
        }
        Err(ObjectError::Failed(format!(
            "could not release {}: it kept changing",
            self.url(".tflock")
        )))
    }
}

/// How many seconds past `leaseDurationSeconds` a Lease went unrenewed, if it did.
fn unrenewed_for(lease: &Value) -> Option<i64> {
    let spec = &lease["spec"];
    let when = spec["renewTime"]
        .as_str()
        .or(spec["acquireTime"].as_str())?;
    let when = chrono::DateTime::parse_from_rfc3339(when).ok()?;
    let duration = spec["leaseDurationSeconds"].as_i64()?;
    let idle = chrono::Utc::now().signed_duration_since(when).num_seconds();
    (idle > duration).then_some(idle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_is_unrenewed_only_past_its_duration() {
        let fresh = json!({"spec": {"renewTime": now_micro(), "leaseDurationSeconds": 60}});
        assert_eq!(unrenewed_for(&fresh), None);
        let old = json!({"spec": {"renewTime": "2020-01-01T00:00:00.000000Z", "leaseDurationSeconds": 60}});
        assert!(unrenewed_for(&old).is_some_and(|s| s > 60));
    }
}
