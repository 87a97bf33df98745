//! The journal's objects: one Secret per durable flush, gzipped, continued in part Secrets
//! when one Secret cannot hold it, found again by label (`docs/backends.md`).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::ByteString;
use kube::api::{DeleteParams, ListParams};
use skel_provider::fault::{self, When};

use super::{
    gunzip, gzip, selector, KubeObjects, ObjectError, Precondition, CHUNK_SIZE, JOURNAL_LABEL,
    OBJECT_ANNOTATION, PARTS_ANNOTATION,
};

impl KubeObjects {
    /// A journal object: its Secret's gzipped `data.journal`, then its parts' (when one Secret
    /// could not hold it).
    pub(super) async fn get_journal(
        &self,
        name: &str,
        n: &str,
    ) -> Result<Option<(Vec<u8>, String)>, ObjectError> {
        let main = self.journal_secret(n);
        let secret = match self.secrets().get_opt(&main).await {
            Ok(Some(s)) => s,
            Ok(None) => return Ok(None),
            Err(e) => return Err(self.failed("read", name, e)),
        };
        let rv = secret.metadata.resource_version.clone().unwrap_or_default();
        let parts: usize = secret
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(PARTS_ANNOTATION))
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        let mut gz = secret
            .data
            .and_then(|mut d| d.remove("journal"))
            .map(|b| b.0)
            .unwrap_or_default();
        for part in 1..=parts {
            let part_name = format!("{main}-part-{part}");
            match self.secrets().get_opt(&part_name).await {
                Ok(Some(s)) => gz.extend(
                    s.data
                        .and_then(|mut d| d.remove("journal"))
                        .map(|b| b.0)
                        .unwrap_or_default(),
                ),
                Ok(None) => {
                    return Err(ObjectError::Failed(format!(
                        "the journal Secret {} lists the part `{part_name}`, which is missing",
                        self.url(name)
                    )))
                }
                Err(e) => return Err(self.failed("read", name, e)),
            }
        }
        let bytes = gunzip(&gz).map_err(|e| {
            ObjectError::Failed(format!(
                "the journal Secret {} is not gzip-compressed journal lines ({e})",
                self.url(name)
            ))
        })?;
        Ok(Some((bytes, rv)))
    }

    /// A journal object, gzipped; what one Secret cannot hold goes first into part Secrets
    /// (`…-part-1`, …), then the main Secret, which says how many, is created: the commit
    /// point, as for the state.
    pub(super) async fn put_journal(
        &self,
        name: &str,
        n: &str,
        bytes: Vec<u8>,
        condition: Precondition,
    ) -> Result<String, ObjectError> {
        let main = self.journal_secret(n);
        let gz = gzip(&bytes);
        let mut pieces = gz.chunks(CHUNK_SIZE);
        let first = pieces.next().unwrap_or_default().to_vec();
        let mut labels = self.labels(false);
        labels.insert(JOURNAL_LABEL.into(), "true".into());
        let mut parts = 0;
        for (i, piece) in pieces.enumerate() {
            parts = i + 1;
            let secret = Secret {
                metadata: ObjectMeta {
                    name: Some(format!("{main}-part-{parts}")),
                    labels: Some(labels.clone()),
                    ..Default::default()
                },
                data: Some(BTreeMap::from([(
                    "journal".to_string(),
                    ByteString(piece.to_vec()),
                )])),
                ..Default::default()
            };
            // Not read before the main Secret exists: a leftover of a crashed attempt is
            // simply replaced.
            self.write_secret(name, secret, Precondition::Any).await?;
        }
        let mut annotations = BTreeMap::from([
            (OBJECT_ANNOTATION.to_string(), n.to_string()),
            ("encoding".to_string(), "gzip".to_string()),
        ]);
        if parts > 0 {
            annotations.insert(PARTS_ANNOTATION.to_string(), parts.to_string());
        }
        let secret = Secret {
            metadata: ObjectMeta {
                name: Some(main),
                labels: Some(labels),
                annotations: Some(annotations),
                ..Default::default()
            },
            data: Some(BTreeMap::from([("journal".to_string(), ByteString(first))])),
            ..Default::default()
        };
        self.write_secret(name, secret, condition).await
    }

    /// Remove a journal object and its parts.
    pub(super) async fn delete_journal(
        &self,
        name: &str,
        n: &str,
        condition: Precondition,
    ) -> Result<(), ObjectError> {
        let Some(params) = super::delete_params(&condition) else {
            return Ok(());
        };
        let main = self.journal_secret(n);
        let parts: usize = match self.secrets().get_opt(&main).await {
            Ok(found) => found
                .and_then(|s| s.metadata.annotations?.remove(PARTS_ANNOTATION))
                .and_then(|p| p.parse().ok())
                .unwrap_or(0),
            Err(e) => return Err(self.failed("read", name, e)),
        };
        fault::point("kubebackend", "DeleteSecret", When::Before);
        let deleted = self.secrets().delete(&main, &params).await;
        fault::point("kubebackend", "DeleteSecret", When::After);
        if deleted.is_ok() {
            for part in 1..=parts {
                let _ = self
                    .secrets()
                    .delete(&format!("{main}-part-{part}"), &DeleteParams::default())
                    .await;
            }
        }
        match deleted {
            Ok(_) => Ok(()),
            Err(e) if Self::api_code(&e) == Some(404) => match condition {
                Precondition::Any => Ok(()),
                _ => Err(ObjectError::PreconditionFailed),
            },
            Err(e) if Self::api_code(&e) == Some(409) => Err(ObjectError::PreconditionFailed),
            Err(e) => Err(self.failed("remove", name, e)),
        }
    }

    /// The names under `prefix` (only the journal's objects are listed), sorted.
    pub async fn list(&self, prefix: &str) -> Result<Vec<String>, ObjectError> {
        let mut labels = self.labels(false);
        labels.insert(JOURNAL_LABEL.into(), "true".into());
        let list = self
            .secrets()
            .list(&ListParams::default().labels(&selector(&labels)))
            .await
            .map_err(|e| self.failed("list the journal", ".journal/", e))?;
        let mut names: Vec<String> = list
            .items
            .into_iter()
            .filter_map(|s| s.metadata.annotations?.remove(OBJECT_ANNOTATION))
            .filter(|n| n.starts_with(prefix))
            .collect();
        names.sort();
        Ok(names)
    }
}
