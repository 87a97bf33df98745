//! Remote storage under the state store: an [`ObjectStore`] (S3, a Kubernetes Secret, …) holds
//! the state, its lock and its journal as whole objects written with preconditions, so the
//! store's promises (one writer at a time, no lost update, nothing lost in a crash) hold when
//! the state is shared by a team (`docs/backends.md`).
//!
//! The objects of one state, named relative to the state's own key:
//!
//! | Name | Object (S3) | Written with |
//! |---|---|---|
//! | [`STATE_OBJECT`] `""` | `KEY` | `If-Match` the ETag last read or written (`If-None-Match: *` when absent) |
//! | [`LOCK_OBJECT`] `".tflock"` | `KEY.tflock` | `If-None-Match: *`; deleted with `If-Match` its own ETag |
//! | [`JOURNAL_PREFIX`] `".journal/RUN/SEQ"` | `KEY.journal/RUN/0000000001` … | `If-None-Match: *`, one object per durable flush |

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::lock::LockInfo;

/// The state object's name: the key itself.
pub const STATE_OBJECT: &str = "";
/// The lock object: Terraform 1.11's S3 lock file name, so each sees the other's locks.
pub const LOCK_OBJECT: &str = ".tflock";
/// The prefix of the journal's objects, one folder per run.
pub const JOURNAL_PREFIX: &str = ".journal/";

/// An object as read, with the version tag later writes are conditioned on.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Object {
    pub bytes: Vec<u8>,
    /// The entity tag (S3 ETag, Kubernetes resourceVersion).
    pub etag: String,
}

/// The precondition of a write or delete.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Condition {
    /// Unconditional.
    Any,
    /// Only if no object exists (`If-None-Match: *`).
    Absent,
    /// Only if the object's tag is this one (`If-Match`).
    Matches(String),
}

/// Why an object operation failed.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
pub enum RemoteError {
    /// The precondition did not hold: someone else wrote (or removed) the object.
    #[error("the object changed (precondition failed)")]
    PreconditionFailed,
    /// Anything else: the message says what (missing bucket, access denied, unreachable).
    #[error("{0}")]
    Failed(String),
}

/// A flat store of named objects with conditional writes. Implementations are synchronous
/// (they run their own I/O), thread-safe, and never log object contents.
pub trait ObjectStore: Send + Sync + fmt::Debug {
    /// Where the object `name` lives, for messages (`s3://bucket/env:/dev/KEY.tflock`).
    fn url(&self, name: &str) -> String;
    /// The object, or `None` when it does not exist.
    fn get(&self, name: &str) -> Result<Option<Object>, RemoteError>;
    /// Write the object if `condition` holds; returns its new tag.
    fn put(&self, name: &str, bytes: Vec<u8>, condition: Condition) -> Result<String, RemoteError>;
    /// Remove the object if `condition` holds; a missing object is not an error for
    /// [`Condition::Any`].
    fn delete(&self, name: &str, condition: Condition) -> Result<(), RemoteError>;
    /// The names of the objects whose names start with `prefix`, sorted.
    fn list(&self, prefix: &str) -> Result<Vec<String>, RemoteError>;
}

/// The lock object's contents in Terraform's format (its `statemgr.LockInfo`), plus skel's
/// process id: a Terraform user sees who holds a skel lock and the other way round.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub(crate) struct TerraformLockInfo {
    #[serde(rename = "ID")]
    pub id: String,
    #[serde(rename = "Operation", default)]
    pub operation: String,
    #[serde(rename = "Info", default)]
    pub info: String,
    #[serde(rename = "Who", default)]
    pub who: String,
    #[serde(rename = "Version", default)]
    pub version: String,
    #[serde(rename = "Created", default)]
    pub created: String,
    #[serde(rename = "Path", default)]
    pub path: String,
    /// Not in Terraform's format; 0 for a lock Terraform took.
    #[serde(rename = "Pid", default)]
    pub pid: u32,
}

impl TerraformLockInfo {
    pub(crate) fn from_info(info: &LockInfo, path: String) -> TerraformLockInfo {
        TerraformLockInfo {
            id: info.id.clone(),
            operation: info.operation.clone(),
            info: String::new(),
            who: info.who.clone(),
            version: format!("skelc {}", env!("CARGO_PKG_VERSION")),
            created: info.created.clone(),
            path,
            pid: info.pid,
        }
    }

    pub(crate) fn into_info(self) -> LockInfo {
        LockInfo {
            id: self.id,
            operation: self.operation,
            who: self.who,
            pid: self.pid,
            created: self.created,
        }
    }
}

/// A lock object's holder, or why the object cannot be read as a lock.
pub(crate) fn parse_lock(bytes: &[u8]) -> Result<LockInfo, String> {
    serde_json::from_slice::<TerraformLockInfo>(bytes)
        .map(TerraformLockInfo::into_info)
        .map_err(|error| format!("it is not a lock record ({error})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lock_terraform_wrote_is_read_with_its_holder() {
        // As Terraform 1.11's S3 backend writes it.
        let text = r#"{"ID":"5b7a-1","Operation":"OperationTypeApply","Info":"","Who":"ana@ci-7","Version":"1.11.0","Created":"2026-12-01T10:00:00.000000Z","Path":"bucket/team.tfstate"}"#;
        let info = parse_lock(text.as_bytes()).expect("a Terraform lock");
        assert_eq!(info.id, "5b7a-1");
        assert_eq!(info.who, "ana@ci-7");
        assert_eq!(info.host(), "ci-7");
        assert_eq!(info.pid, 0);
        assert_eq!(info.operation, "OperationTypeApply");
    }

    #[test]
    fn a_lock_that_is_not_json_says_so() {
        let error = parse_lock(b"locked by bob").expect_err("not a lock");
        assert!(error.contains("not a lock record"), "{error}");
    }

    #[test]
    fn skel_locks_round_trip_in_terraform_form() {
        let info = LockInfo {
            id: "id-1".into(),
            operation: "run".into(),
            who: "u@h".into(),
            pid: 42,
            created: "2026-12-07T00:00:00Z".into(),
        };
        let text = serde_json::to_vec(&TerraformLockInfo::from_info(&info, "b/k".into())).unwrap();
        let json: serde_json::Value = serde_json::from_slice(&text).unwrap();
        assert_eq!(json["ID"], "id-1");
        assert_eq!(json["Who"], "u@h");
        assert_eq!(json["Path"], "b/k");
        assert_eq!(parse_lock(&text).unwrap(), info);
    }
}
