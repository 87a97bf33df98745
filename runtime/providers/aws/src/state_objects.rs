//! S3 objects for the `s3` state backend (`docs/backends.md`): get, conditional put
//! (`If-None-Match: *` / `If-Match: ETAG`), conditional delete and list, on one bucket. The
//! state store's protocol (what is written where, and when) lives in `skel_state`; this is only
//! the S3 side, with the SDK's standard credential and endpoint chain and the backend block's
//! overrides.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ServerSideEncryption;
use skel_provider::fault::{self, When};

use crate::error::AwsErr;

/// The backend block's S3 settings (Terraform's argument names).
#[derive(Clone, Debug, Default)]
pub struct S3Settings {
    pub bucket: String,
    pub region: Option<String>,
    /// `endpoints { s3 = … }` (or the deprecated `endpoint`); else `AWS_ENDPOINT_URL_S3` /
    /// `AWS_ENDPOINT_URL` from the environment.
    pub endpoint: Option<String>,
    pub use_path_style: bool,
    /// Server-side encryption of every object written (`AES256`, or `aws:kms` with
    /// `kms_key_id`).
    pub encrypt: bool,
    pub kms_key_id: Option<String>,
    pub profile: Option<String>,
    pub access_key: Option<String>,
    pub secret_key: Option<String>,
    pub token: Option<String>,
}

/// The SDK configuration of the backend: the standard chain, with the block's region,
/// profile and static credentials over it.
async fn sdk_config(settings: &S3Settings) -> aws_config::SdkConfig {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
    if let Some(region) = &settings.region {
        loader = loader.region(aws_config::Region::new(region.clone()));
    }
    if let Some(profile) = &settings.profile {
        loader = loader.profile_name(profile);
    }
    if let (Some(access), Some(secret)) = (&settings.access_key, &settings.secret_key) {
        loader = loader.credentials_provider(aws_credential_types::Credentials::new(
            access.clone(),
            secret.clone(),
            settings.token.clone(),
            None,
            "skel-backend",
        ));
    }
    loader.load().await
}

/// The provider's one-sentence message for `error`, worded for the backend block (without the
/// final period: the state store's message goes on).
fn backend_message(error: AwsErr, what: &str) -> String {
    error
        .into_provider(what)
        .to_string()
        .replace("in the provider block", "in the backend block")
        .trim_end_matches('.')
        .to_string()
}

/// The precondition of a write or delete.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Precondition {
    Any,
    Absent,
    Matches(String),
}

/// Why an object operation failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ObjectError {
    /// `412 Precondition Failed` (or S3's `409 ConditionalRequestConflict`).
    PreconditionFailed,
    /// A message for the user: names the bucket and says what to do.
    Failed(String),
}

/// One bucket, ready for the backend's calls.
#[derive(Clone, Debug)]
pub struct S3Objects {
    client: aws_sdk_s3::Client,
    settings: S3Settings,
}

impl S3Objects {
    pub async fn new(settings: S3Settings) -> Result<S3Objects, String> {
        let sdk = sdk_config(&settings).await;
        if sdk.region().is_none() {
            return Err(format!(
                "the s3 backend for bucket `{}` has no region: set `region` in the backend block \
                 or AWS_REGION in the environment",
                settings.bucket
            ));
        }
        let mut config = aws_sdk_s3::config::Builder::from(&sdk);
        if let Some(endpoint) = &settings.endpoint {
            config = config.endpoint_url(endpoint);
        }
        config = config.force_path_style(settings.use_path_style);
        Ok(S3Objects {
            client: aws_sdk_s3::Client::from_conf(config.build()),
            settings,
        })
    }

    pub fn bucket(&self) -> &str {
        &self.settings.bucket
    }

    /// The object at `key` and its ETag, or `None`.
    pub async fn get(&self, key: &str) -> Result<Option<(Vec<u8>, String)>, ObjectError> {
        let out = match self
            .client
            .get_object()
            .bucket(&self.settings.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(out) => out,
            Err(error) => {
                let error = AwsErr::from(error);
                if error.code.as_deref() == Some("NoSuchKey")
                    || error.status == Some(404) && error.code.is_none()
                {
                    return Ok(None);
                }
                return Err(self.failed("read", key, error));
            }
        };
        let etag = out.e_tag().unwrap_or_default().to_string();
        let bytes = out.body.collect().await.map_err(|error| {
            ObjectError::Failed(format!(
                "reading s3://{}/{key} was cut off ({error})",
                self.settings.bucket
            ))
        })?;
        Ok(Some((bytes.into_bytes().to_vec(), etag)))
    }

    /// Write `bytes` at `key` if `precondition` holds; returns the new ETag.
    pub async fn put(
        &self,
        key: &str,
        bytes: Vec<u8>,
        precondition: Precondition,
    ) -> Result<String, ObjectError> {
        let mut request = self
            .client
            .put_object()
            .bucket(&self.settings.bucket)
            .key(key)
            .content_type("application/json")
            .body(ByteStream::from(bytes));
        match precondition {
            Precondition::Any => {}
            Precondition::Absent => request = request.if_none_match("*"),
            Precondition::Matches(etag) => request = request.if_match(etag),
        }
        if self.settings.encrypt {
            match &self.settings.kms_key_id {
                Some(kms) => {
                    request = request
                        .server_side_encryption(ServerSideEncryption::AwsKms)
                        .ssekms_key_id(kms)
                }
                None => request = request.server_side_encryption(ServerSideEncryption::Aes256),
            }
        }
        // Kill points for the crash tests: before the write is sent, and after S3 has it but
        // before anyone has recorded that.
        fault::point("s3backend", "PutObject", When::Before);
        let sent = request.send().await;
        fault::point("s3backend", "PutObject", When::After);
        match sent {
            Ok(out) => Ok(out.e_tag().unwrap_or_default().to_string()),
            Err(error) => Err(self.classify("write", key, AwsErr::from(error))),
        }
    }

    /// Remove `key` if `precondition` holds.
    pub async fn delete(&self, key: &str, precondition: Precondition) -> Result<(), ObjectError> {
        let mut request = self
            .client
            .delete_object()
            .bucket(&self.settings.bucket)
            .key(key);
        match precondition {
            Precondition::Any => {}
            // S3 has no conditional delete on absence; nothing to delete then.
            Precondition::Absent => return Ok(()),
            Precondition::Matches(etag) => request = request.if_match(etag),
        }
        fault::point("s3backend", "DeleteObject", When::Before);
        let sent = request.send().await;
        fault::point("s3backend", "DeleteObject", When::After);
        match sent {
            Ok(_) => Ok(()),
            Err(error) => {
                let error = AwsErr::from(error);
                if error.code.as_deref() == Some("NoSuchKey") {
                    return Err(ObjectError::PreconditionFailed);
                }
                Err(self.classify("remove", key, error))
            }
        }
    }

    /// Every key under `prefix`, sorted.
    pub async fn list(&self, prefix: &str) -> Result<Vec<String>, ObjectError> {
        let mut keys = Vec::new();
        let mut token = None;
        loop {
            let out = self
                .client
                .list_objects_v2()
                .bucket(&self.settings.bucket)
                .prefix(prefix)
                .set_continuation_token(token)
                .send()
                .await
                .map_err(|error| self.failed("list", prefix, AwsErr::from(error)))?;
            keys.extend(
                out.contents()
                    .iter()
                    .filter_map(|o| o.key().map(str::to_string)),
            );
            match out.next_continuation_token() {
                Some(next) if out.is_truncated() == Some(true) => token = Some(next.to_string()),
                _ => break,
            }
        }
        keys.sort();
        Ok(keys)
    }

    fn classify(&self, action: &str, key: &str, error: AwsErr) -> ObjectError {
        let code = error.code.as_deref().unwrap_or_default();
        if code == "PreconditionFailed"
            || code == "ConditionalRequestConflict"
            || (error.code.is_none() && error.status == Some(412))
        {
            return ObjectError::PreconditionFailed;
        }
        self.failed(action, key, error)
    }

    fn failed(&self, action: &str, key: &str, error: AwsErr) -> ObjectError {
        let bucket = &self.settings.bucket;
        let message = match error.code.as_deref() {
            Some("NoSuchBucket") => format!(
                "the bucket `{bucket}` does not exist (create it first, or fix `bucket` in the \
                 backend block)"
            ),
            _ => backend_message(error, &format!("could not {action} s3://{bucket}/{key}")),
        };
        ObjectError::Failed(message)
    }
}

/// `dynamodb_table`: Terraform's DynamoDB state lock, kept beside the S3 lock file for teams
/// that still run Terraform before 1.11. The lock is the item `LockID = "BUCKET/KEY"` holding
/// the lock record in `Info`, put only if absent; the item `"BUCKET/KEY-md5"` holds the hex MD5
/// of the state last written (`Digest`), which those Terraform versions compare with what they
/// read from S3.
#[derive(Clone, Debug)]
pub struct DynamoLocks {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

impl DynamoLocks {
    /// A client for `table`, with the same credentials and region as the bucket's; `endpoint`
    /// from `endpoints { dynamodb = … }`, else the SDK's chain (`AWS_ENDPOINT_URL_DYNAMODB`,
    /// `AWS_ENDPOINT_URL`).
    pub async fn new(
        settings: &S3Settings,
        table: &str,
        endpoint: Option<&str>,
    ) -> Result<DynamoLocks, String> {
        let sdk = sdk_config(settings).await;
        let mut config = aws_sdk_dynamodb::config::Builder::from(&sdk);
        if let Some(endpoint) = endpoint {
            config = config.endpoint_url(endpoint);
        }
        Ok(DynamoLocks {
            client: aws_sdk_dynamodb::Client::from_conf(config.build()),
            table: table.to_string(),
        })
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    fn s(value: &str) -> aws_sdk_dynamodb::types::AttributeValue {
        aws_sdk_dynamodb::types::AttributeValue::S(value.to_string())
    }

    fn failed(&self, action: &str, lock_id: &str, error: AwsErr) -> ObjectError {
        let table = &self.table;
        match error.code.as_deref() {
            Some("ResourceNotFoundException") => ObjectError::Failed(format!(
                "the DynamoDB table `{table}` does not exist (create it with the partition key \
                 `LockID` of type string, or remove dynamodb_table)"
            )),
            Some("ConditionalCheckFailedException") => ObjectError::PreconditionFailed,
            _ => ObjectError::Failed(backend_message(
                error,
                &format!("could not {action} item `{lock_id}` of DynamoDB table `{table}`"),
            )),
        }
    }

    /// Take the lock `lock_id` with the record `info`, only if nobody holds it.
    pub async fn lock(&self, lock_id: &str, info: &str) -> Result<(), ObjectError> {
        fault::point("s3backend", "DynamoPutItem", When::Before);
        let sent = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("LockID", Self::s(lock_id))
            .item("Info", Self::s(info))
            .condition_expression("attribute_not_exists(LockID)")
            .send()
            .await;
        fault::point("s3backend", "DynamoPutItem", When::After);
        sent.map(|_| ())
            .map_err(|e| self.failed("lock with", lock_id, AwsErr::from(e)))
    }

    /// The record of whoever holds `lock_id`, if anyone.
    pub async fn holder(&self, lock_id: &str) -> Result<Option<String>, ObjectError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("LockID", Self::s(lock_id))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| self.failed("read", lock_id, AwsErr::from(e)))?;
        Ok(out
            .item()
            .and_then(|item| item.get("Info"))
            .and_then(|v| v.as_s().ok())
            .cloned())
    }

    /// Release `lock_id` if its record is still `info`.
    pub async fn unlock(&self, lock_id: &str, info: &str) -> Result<(), ObjectError> {
        fault::point("s3backend", "DynamoDeleteItem", When::Before);
        let sent = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("LockID", Self::s(lock_id))
            .condition_expression("Info = :info")
            .expression_attribute_values(":info", Self::s(info))
            .send()
            .await;
        fault::point("s3backend", "DynamoDeleteItem", When::After);
        sent.map(|_| ())
            .map_err(|e| self.failed("unlock", lock_id, AwsErr::from(e)))
    }

    /// Record the MD5 of the state just written (`Some`), or forget it (`None`: the state was
    /// deleted).
    pub async fn set_digest(&self, lock_id: &str, state: Option<&[u8]>) -> Result<(), ObjectError> {
        use md5::Digest;
        let id = format!("{lock_id}-md5");
        let sent = match state {
            Some(bytes) => {
                let digest = md5::Md5::digest(bytes);
                let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
                self.client
                    .put_item()
                    .table_name(&self.table)
                    .item("LockID", Self::s(&id))
                    .item("Digest", Self::s(&hex))
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(AwsErr::from)
            }
            None => self
                .client
                .delete_item()
                .table_name(&self.table)
                .key("LockID", Self::s(&id))
                .send()
                .await
                .map(|_| ())
                .map_err(AwsErr::from),
        };
        sent.map_err(|e| self.failed("write", &id, e))
    }
}
