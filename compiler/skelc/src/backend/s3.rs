//! The `s3` backend: its settings from the block (Terraform's argument names) and
//! `skel_state::ObjectStore` on `skel_provider_aws::state_objects`: object names relative
//! to the state's key, each call run to completion on the shared blocking runtime. With
//! `dynamodb_table`, the lock is also Terraform's DynamoDB item (taken after the S3 lock
//! file, released after it, as Terraform 1.11 does with both) and every state write records
//! the state's MD5 digest there for Terraform versions that check it.

use std::collections::BTreeMap;
use std::sync::Mutex;

use anyhow::{anyhow, bail};
use serde_json::Value as Json;
use skel_provider_aws::state_objects::{DynamoLocks, ObjectError, Precondition, S3Objects};
use skel_state::{Condition, Object, ObjectStore, RemoteError};

use crate::encryption::kms::block_on;

/// The `s3` backend's settings.
#[derive(Clone, Debug)]
pub struct S3Backend {
    pub settings: skel_provider_aws::state_objects::S3Settings,
    pub key: String,
    pub workspace_key_prefix: String,
    /// `dynamodb_table`: also lock in Terraform's DynamoDB table (for Terraform before 1.11).
    pub dynamodb_table: Option<String>,
    /// `endpoints { dynamodb = … }` (or the deprecated `dynamodb_endpoint`).
    pub dynamodb_endpoint: Option<String>,
}

/// The arguments the `s3` backend accepts (Terraform's names); the checker reads the same list.
fn s3_arguments() -> &'static [&'static str] {
    skel_types::backend_arguments("s3").unwrap_or_default()
}

pub(super) fn from_config(config: &BTreeMap<String, Json>) -> anyhow::Result<S3Backend> {
    for name in config.keys() {
        if !s3_arguments().contains(&name.as_str()) {
            let hint = format!(
                " The s3 backend's arguments: {}.",
                s3_arguments().join(", ")
            );
            bail!("backend \"s3\": unsupported argument `{name}`.{hint}");
        }
    }
    let string = |name: &str| -> anyhow::Result<Option<String>> {
        match config.get(name) {
            None | Some(Json::Null) => Ok(None),
            Some(Json::String(s)) => Ok(Some(s.clone())),
            Some(other) => bail!("backend \"s3\": `{name}` must be a string, not {other}"),
        }
    };
    let boolean = |name: &str| -> anyhow::Result<Option<bool>> {
        match config.get(name) {
            None | Some(Json::Null) => Ok(None),
            Some(Json::Bool(b)) => Ok(Some(*b)),
            Some(Json::String(s)) if s == "true" || s == "false" => Ok(Some(s == "true")),
            Some(other) => bail!("backend \"s3\": `{name}` must be true or false, not {other}"),
        }
    };
    let required = |name: &str| -> anyhow::Result<String> {
        string(name)?.filter(|s| !s.is_empty()).ok_or_else(|| {
            anyhow!(
                "backend \"s3\": `{name}` is required: set it in the backend block or with \
                 `skelc init -backend-config={name}=…`"
            )
        })
    };
    let bucket = required("bucket")?;
    let key = required("key")?;
    if key.starts_with('/') || key.ends_with('/') {
        bail!("backend \"s3\": `key` must not start or end with `/` (it is `{key}`)");
    }
    if boolean("use_lockfile")? == Some(false) {
        bail!(
            "backend \"s3\": skelc always locks an S3 state with its lock file (`{key}.tflock`); \
             remove `use_lockfile = false`"
        );
    }
    let endpoint_of = |service: &str, deprecated: &str| -> anyhow::Result<Option<String>> {
        match config.get("endpoints") {
            Some(Json::Object(map)) => {
                if let Some(other) = map
                    .keys()
                    .find(|k| !["s3", "dynamodb"].contains(&k.as_str()))
                {
                    bail!(
                        "backend \"s3\": `endpoints.{other}` is not used by the s3 backend (it \
                         has `s3` and `dynamodb`)"
                    );
                }
                match map.get(service) {
                    Some(Json::String(s)) => Ok(Some(s.clone())),
                    None => string(deprecated),
                    Some(other) => {
                        bail!("backend \"s3\": `endpoints.{service}` must be a string, not {other}")
                    }
                }
            }
            Some(other) => bail!("backend \"s3\": `endpoints` must be a block, not {other}"),
            None => string(deprecated),
        }
    };
    let endpoint = endpoint_of("s3", "endpoint")?;
    let dynamodb_endpoint = endpoint_of("dynamodb", "dynamodb_endpoint")?;
    let dynamodb_table = string("dynamodb_table")?.filter(|t| !t.is_empty());
    let prefix = string("workspace_key_prefix")?.unwrap_or_else(|| "env:".to_string());
    let settings = skel_provider_aws::state_objects::S3Settings {
        bucket,
        region: string("region")?,
        endpoint,
        use_path_style: boolean("use_path_style")?
            .or(boolean("force_path_style")?)
            .unwrap_or(false),
        encrypt: boolean("encrypt")?.unwrap_or(false),
        kms_key_id: string("kms_key_id")?,
        profile: string("profile")?,
        access_key: string("access_key")?,
        secret_key: string("secret_key")?,
        token: string("token")?,
    };
    Ok(S3Backend {
        settings,
        key,
        workspace_key_prefix: prefix,
        dynamodb_table,
        dynamodb_endpoint,
    })
}

/// The bucket's client.
pub(super) fn objects(s3: &S3Backend) -> anyhow::Result<S3Objects> {
    block_on(S3Objects::new(s3.settings.clone())).map_err(|e| anyhow!(e))
}

/// The workspaces other than `default` with a state in the bucket: `PREFIX/NAME/KEY`.
pub(super) fn workspaces(s3: &S3Backend) -> anyhow::Result<Vec<String>> {
    let prefix = format!("{}/", s3.workspace_key_prefix);
    let keys = block_on(objects(s3)?.list(&prefix)).map_err(|e| {
        anyhow!(
            "could not list the workspaces under s3://{}/{prefix}: {}",
            s3.settings.bucket,
            match e {
                ObjectError::Failed(m) => m,
                ObjectError::PreconditionFailed => "precondition failed".into(),
            }
        )
    })?;
    Ok(keys
        .iter()
        .filter_map(|key| key.strip_prefix(&prefix)?.split_once('/'))
        .filter(|(_, rest)| *rest == s3.key)
        .map(|(name, _)| name.to_string())
        .collect())
}

/// The state store of `key` in the bucket, with Terraform's DynamoDB lock when configured.
pub(super) fn open(s3: &S3Backend, key: String) -> anyhow::Result<skel_state::StateStore> {
    let dynamo = match &s3.dynamodb_table {
        Some(table) => Some(
            block_on(DynamoLocks::new(
                &s3.settings,
                table,
                s3.dynamodb_endpoint.as_deref(),
            ))
            .map_err(|e| anyhow!(e))?,
        ),
        None => None,
    };
    Ok(skel_state::StateStore::open_remote(std::sync::Arc::new(
        S3Store::new(objects(s3)?, key, dynamo),
    )))
}

/// The tag a lock found only in DynamoDB is read with (no S3 object, so no ETag).
const DYNAMO_ONLY: &str = "dynamodb-lock";

/// The objects of one state in one bucket.
#[derive(Debug)]
pub struct S3Store {
    objects: S3Objects,
    key: String,
    dynamo: Option<DynamoLocks>,
    /// The lock record this process put in DynamoDB, to release exactly it.
    held: Mutex<Option<String>>,
}

impl S3Store {
    pub fn new(objects: S3Objects, key: String, dynamo: Option<DynamoLocks>) -> S3Store {
        S3Store {
            objects,
            key,
            dynamo,
            held: Mutex::new(None),
        }
    }

    /// Terraform's `LockID`: `BUCKET/KEY`.
    fn lock_id(&self) -> String {
        format!("{}/{}", self.objects.bucket(), self.key)
    }

    fn record_id(record: &[u8]) -> Option<String> {
        serde_json::from_slice::<serde_json::Value>(record)
            .ok()?
            .get("ID")?
            .as_str()
            .map(str::to_string)
    }

    fn put_lock(&self, bytes: Vec<u8>, condition: Condition) -> Result<String, RemoteError> {
        let key = format!("{}{}", self.key, skel_state::remote::LOCK_OBJECT);
        let record = String::from_utf8_lossy(&bytes).into_owned();
        let etag =
            block_on(self.objects.put(&key, bytes, precondition(condition))).map_err(error)?;
        let Some(dynamo) = &self.dynamo else {
            return Ok(etag);
        };
        if let Err(failed) = block_on(dynamo.lock(&self.lock_id(), &record)) {
            // Someone holds the DynamoDB lock (an older Terraform): give the S3 one back.
            let _ = block_on(self.objects.delete(&key, Precondition::Matches(etag)));
            return Err(error(failed));
        }
        *self.held.lock().unwrap_or_else(|p| p.into_inner()) = Some(record);
        Ok(etag)
    }

    fn get_lock(&self) -> Result<Option<Object>, RemoteError> {
        let key = format!("{}{}", self.key, skel_state::remote::LOCK_OBJECT);
        if let Some((bytes, etag)) = block_on(self.objects.get(&key)).map_err(error)? {
            return Ok(Some(Object { bytes, etag }));
        }
        let Some(dynamo) = &self.dynamo else {
            return Ok(None);
        };
        Ok(block_on(dynamo.holder(&self.lock_id()))
            .map_err(error)?
            .map(|info| Object {
                bytes: info.into_bytes(),
                etag: DYNAMO_ONLY.to_string(),
            }))
    }

    fn delete_lock(&self, condition: Condition) -> Result<(), RemoteError> {
        let key = format!("{}{}", self.key, skel_state::remote::LOCK_OBJECT);
        // Which lock is being released: ours, or the one a force-unlock read.
        let ours = self.held.lock().unwrap_or_else(|p| p.into_inner()).take();
        let released_id = match (&ours, &condition) {
            (Some(record), _) => Self::record_id(record.as_bytes()),
            (None, _) => self.get_lock()?.and_then(|o| Self::record_id(&o.bytes)),
        };
        if condition != Condition::Matches(DYNAMO_ONLY.to_string()) {
            block_on(self.objects.delete(&key, precondition(condition))).map_err(error)?;
        }
        let Some(dynamo) = &self.dynamo else {
            return Ok(());
        };
        if let Some(info) = block_on(dynamo.holder(&self.lock_id())).map_err(error)? {
            if released_id.is_some() && Self::record_id(info.as_bytes()) == released_id {
                block_on(dynamo.unlock(&self.lock_id(), &info)).map_err(error)?;
            }
        }
        Ok(())
    }
}

fn precondition(condition: Condition) -> Precondition {
    match condition {
        Condition::Any => Precondition::Any,
        Condition::Absent => Precondition::Absent,
        Condition::Matches(etag) => Precondition::Matches(etag),
    }
}

fn error(error: ObjectError) -> RemoteError {
    match error {
        ObjectError::PreconditionFailed => RemoteError::PreconditionFailed,
        ObjectError::Failed(message) => RemoteError::Failed(message),
    }
}

impl ObjectStore for S3Store {
    fn url(&self, name: &str) -> String {
        format!("s3://{}/{}{name}", self.objects.bucket(), self.key)
    }

    fn get(&self, name: &str) -> Result<Option<Object>, RemoteError> {
        if name == skel_state::remote::LOCK_OBJECT {
            return self.get_lock();
        }
        let key = format!("{}{name}", self.key);
        block_on(self.objects.get(&key))
            .map(|found| found.map(|(bytes, etag)| Object { bytes, etag }))
            .map_err(error)
    }

    fn put(&self, name: &str, bytes: Vec<u8>, condition: Condition) -> Result<String, RemoteError> {
        if name == skel_state::remote::LOCK_OBJECT {
            return self.put_lock(bytes, condition);
        }
        let key = format!("{}{name}", self.key);
        let digest = (name == skel_state::remote::STATE_OBJECT && self.dynamo.is_some())
            .then(|| bytes.clone());
        let etag =
            block_on(self.objects.put(&key, bytes, precondition(condition))).map_err(error)?;
        if let (Some(dynamo), Some(bytes)) = (&self.dynamo, digest) {
            block_on(dynamo.set_digest(&self.lock_id(), Some(&bytes))).map_err(error)?;
        }
        Ok(etag)
    }

    fn delete(&self, name: &str, condition: Condition) -> Result<(), RemoteError> {
        if name == skel_state::remote::LOCK_OBJECT {
            return self.delete_lock(condition);
        }
        let key = format!("{}{name}", self.key);
        block_on(self.objects.delete(&key, precondition(condition))).map_err(error)?;
        if let (Some(dynamo), true) = (&self.dynamo, name == skel_state::remote::STATE_OBJECT) {
            block_on(dynamo.set_digest(&self.lock_id(), None)).map_err(error)?;
        }
        Ok(())
    }

    fn list(&self, prefix: &str) -> Result<Vec<String>, RemoteError> {
        let full = format!("{}{prefix}", self.key);
        let keys = block_on(self.objects.list(&full)).map_err(error)?;
        Ok(keys
            .into_iter()
            .filter_map(|k| k.strip_prefix(&self.key).map(str::to_string))
            .collect())
    }
}
