//! `aws_s3_bucket`: a bucket, found by its name (a generated name derives from the creation
//! token, so recovery after a crash computes it again), with its tags. A bucket that still
//! holds objects is deleted only with `force_destroy`, which first deletes every object
//! version and delete marker.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_s3::types::{
    BucketLocationConstraint, CreateBucketConfiguration, Delete, ObjectIdentifier, Tag, Tagging,
};
use aws_sdk_s3::Client;
use skel_provider::ProviderError;
use skel_value::Value;

use super::{dns_suffix, gone, hosted_zone_id, partition, read_concurrently, region};
use crate::common::{desired_tags, get_bool, get_str, id_of, object_name, Obs, Origin};
use crate::error::{AwsErr, SdkResultExt};
use crate::resource::{AwsResource, Kind, Recovered};
use crate::AwsProvider;

const TY: &str = "aws_s3_bucket";
const KIND: Kind = Kind::untagged(TY, |api, ids| {
    Box::pin(read_concurrently(api.s3, ids, |s3, name| {
        Box::pin(read(s3, name))
    }))
});

/// The prefix of a generated bucket name when neither `bucket` nor `bucket_prefix` is set.
const DEFAULT_PREFIX: &str = "terraform-";

/// The name `origin`'s create gives the bucket: `bucket`, else `bucket_prefix` (or
/// `terraform-`) followed by 26 characters of the creation token.
fn bucket_name(planned: &Value, origin: &Origin<'_>) -> String {
    match get_str(planned, "bucket") {
        Some(name) => name.to_string(),
        None => format!(
            "{}{}",
            get_str(planned, "bucket_prefix").unwrap_or(DEFAULT_PREFIX),
            origin.suffix(26)
        ),
    }
}

/// The S3 tag set of `tags`.
pub(crate) fn tag_set(tags: &BTreeMap<String, String>) -> Result<Vec<Tag>, ProviderError> {
    tags.iter()
        .map(|(k, v)| {
            Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(|e| ProviderError::InvalidConfig(format!("tag {k:?}: {e}.")))
        })
        .collect()
}

/// Sets the bucket's tags to `tags` (PutBucketTagging replaces the whole set;
/// DeleteBucketTagging when there are none).
async fn put_tags(
    s3: &Client,
    w: &str,
    name: &str,
    tags: &BTreeMap<String, String>,
) -> Result<(), ProviderError> {
    if tags.is_empty() {
        s3.delete_bucket_tagging()
            .bucket(name)
            .send()
            .await
            .or_fail(w)?;
        return Ok(());
    }
    let tagging = Tagging::builder()
        .set_tag_set(Some(tag_set(tags)?))
        .build()
        .map_err(|e| ProviderError::InvalidConfig(format!("{w}: {e}.")))?;
    s3.put_bucket_tagging()
        .bucket(name)
        .tagging(tagging)
        .send()
        .await
        .or_fail(w)?;
    Ok(())
}

/// `aws_s3_bucket`: found by its name.
pub(crate) struct Bucket;

#[async_trait]
impl AwsResource for Bucket {
    fn kind(&self) -> Kind {
        KIND
    }

    async fn create(
        &self,
        p: &AwsProvider,
        planned: &Value,
        origin: &Origin<'_>,
    ) -> Result<String, ProviderError> {
        let w = format!("creating {TY} {origin}");
        let s3 = p.s3().await?;
        let name = bucket_name(planned, origin);
        let region = region(s3);
        let mut call = s3.create_bucket().bucket(&name);
        // us-east-1 takes no location constraint (AWS rejects `us-east-1` as one).
        if region != "us-east-1" {
            call = call.create_bucket_configuration(
                CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::from(region.as_str()))
                    .build(),
            );
        }
        if get_bool(planned, "object_lock_enabled") == Some(true) {
            call = call.object_lock_enabled_for_bucket(true);
        }
        call.send().await.or_fail(&w)?;
        let tags = desired_tags(&p.settings, planned);
        if !tags.is_empty() {
            put_tags(s3, &w, &name, &tags).await?;
        }
        Ok(name)
    }

    async fn update(
        &self,
        p: &AwsProvider,
        prior: &Value,
        planned: &Value,
        _origin: &Origin<'_>,
    ) -> Result<String, ProviderError> {
        let name = id_of(prior);
        let w = format!("updating {}", object_name(TY, &name));
        let old = desired_tags(&p.settings, prior);
        let new = desired_tags(&p.settings, planned);
        if old != new {
            put_tags(p.s3().await?, &w, &name, &new).await?;
        }
        Ok(name)
    }

    async fn delete(&self, p: &AwsProvider, prior: &Value) -> Result<(), ProviderError> {
        let name = id_of(prior);
        let w = format!("deleting {}", object_name(TY, &name));
        let s3 = p.s3().await?;
        if get_bool(prior, "force_destroy") == Some(true) {
            let bypass = get_bool(prior, "object_lock_enabled") == Some(true);
            match empty(s3, &w, &name, bypass).await {
                Err(ProviderError::NotFound { .. }) => return Ok(()),
                other => other?,
            }
        }
        match s3.delete_bucket().bucket(&name).send().await.aws() {
            Err(e) if gone(&e) => Ok(()),
            Err(e) if e.is(&["BucketNotEmpty"]) => Err(not_empty(s3, &w, &name).await),
            Err(e) => Err(e.into_provider(&w)),
            Ok(_) => Ok(()),
        }
    }

    /// Buckets are named: the name the create used (a generated one derives from the
    /// token), looked up by name.
    async fn find(&self, p: &AwsProvider, planned: &Value, origin: &Origin<'_>) -> Recovered {
        if get_str(planned, "bucket").is_none() && origin.token.is_none() {
            return Err(ProviderError::Other(format!(
                "{origin}: the interrupted create used a generated bucket name and its journal has \
                 no token to derive it from (written by an older skelc), so skel cannot tell \
                 whether it made a bucket. Find it and import it with `skelc import {origin} NAME`."
            )));
        }
        let name = bucket_name(planned, origin);
        Ok(self.describe_one(p, &name).await?.map(|_| name))
    }
}

/// Deletes every object version and delete marker of bucket `name`, a page of up to 1,000 at
/// a time (each listing starts again from the top, as the previous page is gone), bypassing
/// Object Lock governance retention when `bypass`.
async fn empty(s3: &Client, w: &str, name: &str, bypass: bool) -> Result<(), ProviderError> {
    loop {
        let page = s3
            .list_object_versions()
            .bucket(name)
            .send()
            .await
            .or_fail(w)?;
        let ids: Vec<ObjectIdentifier> = page
            .versions()
            .iter()
            .map(|v| (v.key(), v.version_id()))
            .chain(
                page.delete_markers()
                    .iter()
                    .map(|m| (m.key(), m.version_id())),
            )
            .filter_map(|(key, version)| {
                ObjectIdentifier::builder()
                    .key(key?)
                    .set_version_id(version.map(str::to_string))
                    .build()
                    .ok()
            })
            .collect();
        if ids.is_empty() {
            return Ok(());
        }
        let delete = Delete::builder()
            .set_objects(Some(ids))
            .quiet(true)
            .build()
            .map_err(|e| ProviderError::Other(format!("{w}: {e}.")))?;
        let mut call = s3.delete_objects().bucket(name).delete(delete);
        if bypass {
            call = call.bypass_governance_retention(true);
        }
        let out = call.send().await.or_fail(w)?;
        if let Some(e) = out.errors().first() {
            return Err(ProviderError::Api(format!(
                "{w}: emptying the bucket failed: object {} (version {}): {}: {}.",
                e.key().unwrap_or_default(),
                e.version_id().unwrap_or("null"),
                e.code().unwrap_or_default(),
                e.message().unwrap_or_default().trim_end_matches('.'),
            )));
        }
    }
}

/// The error for a bucket that cannot be deleted because it holds objects: how many (one page
/// of versions and delete markers counted) and what to do.
async fn not_empty(s3: &Client, w: &str, name: &str) -> ProviderError {
    let count = match s3.list_object_versions().bucket(name).send().await {
        Ok(page) => {
            let n = page.versions().len() + page.delete_markers().len();
            if page.is_truncated() == Some(true) {
                format!("more than {n} objects")
            } else if n == 1 {
                "1 object".to_string()
            } else {
                format!("{n} objects")
            }
        }
        Err(_) => "objects".to_string(),
    };
    ProviderError::Conflict {
        code: Some("BucketNotEmpty".into()),
        message: format!(
            "{w}: bucket {name} is not empty: {count} (object versions and delete markers \
             included); set force_destroy = true on the bucket to delete them with it, or empty \
             it first."
        ),
    }
}

/// Bucket `name` as S3 shows it (`None`: gone): its tags and Object Lock state, read
/// together; the rest follows from the name and the region.
async fn read(s3: Client, name: String) -> Result<Option<Obs>, AwsErr> {
    let (tags, lock) = tokio::join!(
        s3.get_bucket_tagging().bucket(&name).send(),
        s3.get_object_lock_configuration().bucket(&name).send(),
    );
    let tags: Vec<(String, String)> = match tags.aws() {
        Ok(out) => out
            .tag_set()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect(),
        Err(e) if e.is(&["NoSuchTagSet"]) => Vec::new(),
        Err(e) if gone(&e) => return Ok(None),
        Err(e) => return Err(e),
    };
    let locked = match lock.aws() {
        Ok(out) => out
            .object_lock_configuration()
            .and_then(|c| c.object_lock_enabled())
            .is_some_and(|s| s.as_str() == "Enabled"),
        Err(e) if e.is(&["ObjectLockConfigurationNotFoundError"]) => false,
        Err(e) if gone(&e) => return Ok(None),
        Err(e) => return Err(e),
    };
    let region = region(&s3);
    let mut o = Obs::new();
    o.insert("id".into(), Value::string(&name));
    o.insert("bucket".into(), Value::string(&name));
    o.insert(
        "arn".into(),
        Value::string(format!("arn:{}:s3:::{name}", partition(&region))),
    );
    o.insert(
        "bucket_domain_name".into(),
        Value::string(format!("{name}.s3.{}", dns_suffix(&region))),
    );
    o.insert(
        "bucket_regional_domain_name".into(),
        Value::string(format!("{name}.s3.{region}.{}", dns_suffix(&region))),
    );
    o.insert(
        "hosted_zone_id".into(),
        hosted_zone_id(&region).map_or(Value::Null, Value::string),
    );
    o.insert("bucket_region".into(), Value::string(&region));
    o.insert("region".into(), Value::string(&region));
    o.insert("object_lock_enabled".into(), Value::Bool(locked));
    o.insert(
        "tags_all".into(),
        Value::Map(
            tags.into_iter()
                .map(|(k, v)| (k, Value::string(v)))
                .collect(),
        ),
    );
    Ok(Some(o))
}
