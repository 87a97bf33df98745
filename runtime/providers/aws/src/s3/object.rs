//! `aws_s3_object`: an object from `content`, `content_base64` or a `source` file (read at
//! apply). Its `id` is the key; the provider reads it by `BUCKET/KEY` (bucket names hold no
//! `/`), which is also its import id (`s3://BUCKET/KEY` too). A change of the content puts
//! the object again; a change of its headers or metadata alone copies it onto itself with the
//! new ones; a change of its tags alone sets its tags.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    MetadataDirective, ObjectCannedAcl, ServerSideEncryption, StorageClass, TaggingDirective,
};
use aws_sdk_s3::Client;
use base64::Engine;
use md5::{Digest, Md5};
use skel_provider::kit::set_unknown;
use skel_provider::ProviderError;
use skel_value::{Value, ValueMap};

use super::bucket::tag_set;
use super::{gone, partition, read_concurrently, region};
use crate::common::{desired_tags, get, get_bool, get_str, object_name, optional_string, same};
use crate::common::{Obs, Origin};
use crate::error::{AwsErr, SdkResultExt};
use crate::resource::{AwsResource, Described, Kind, Recovered};
use crate::AwsProvider;

const TY: &str = "aws_s3_object";
const KIND: Kind = Kind::untagged(TY, |api, ids| {
    Box::pin(read_concurrently(api.s3, ids, |s3, id| {
        Box::pin(read(s3, id))
    }))
});

/// The arguments whose change is a change of the content: the object is put again.
const CONTENT: &[&str] = &["content", "content_base64", "source", "source_hash", "etag"];

/// The arguments S3 keeps with the object besides its content: a change of one of them alone
/// copies the object onto itself with the new values.
const HEADERS: &[&str] = &[
    "content_type",
    "cache_control",
    "content_encoding",
    "content_disposition",
    "content_language",
    "website_redirect",
    "metadata",
    "storage_class",
    "server_side_encryption",
    "kms_key_id",
    "bucket_key_enabled",
    "acl",
];

/// The content of `obj` when the configuration alone tells it (`content`, `content_base64`).
fn inline_content(obj: &Value) -> Option<Result<Vec<u8>, String>> {
    if let Some(text) = get_str(obj, "content") {
        return Some(Ok(text.as_bytes().to_vec()));
    }
    get_str(obj, "content_base64").map(|b64| {
        base64::engine::general_purpose::STANDARD
            .decode(b64.trim())
            .map_err(|e| format!("`content_base64` is not base64 ({e})"))
    })
}

fn md5_hex(bytes: &[u8]) -> String {
    Md5::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn kms(obj: &Value) -> bool {
    get_str(obj, "server_side_encryption").is_some_and(|s| s.starts_with("aws:kms"))
}

/// The plan's S3 object rules: the `etag` of inline content is its MD5 (so an object changed
/// behind skel's back is put again), of changed source content unknown unless configured;
/// `version_id` is unknown when the object is written again.
pub(crate) fn plan(prior: Option<&Value>, planned: &mut Value) {
    let changed = |planned: &Value, names: &[&str]| {
        prior.is_some_and(|p| names.iter().any(|n| !same(get(planned, n), get(p, n))))
    };
    match inline_content(planned) {
        Some(Ok(bytes)) if !kms(planned) && get(planned, "server_side_encryption").is_known() => {
            if let Value::Object(m) = planned {
                m.insert("etag".into(), Value::string(md5_hex(&bytes)));
            }
        }
        _ => {
            let source_changed = changed(
                planned,
                &["content", "content_base64", "source", "source_hash"],
            );
            let etag_kept = prior.is_some_and(|p| same(get(planned, "etag"), get(p, "etag")));
            if source_changed && etag_kept {
                set_unknown(planned, "etag");
            }
        }
    }
    if changed(planned, CONTENT) || changed(planned, HEADERS) {
        set_unknown(planned, "version_id");
    }
}

/// `BUCKET/KEY` from an import id (`BUCKET/KEY` or `s3://BUCKET/KEY`).
fn split(id: &str) -> Option<(&str, &str)> {
    let id = id.strip_prefix("s3://").unwrap_or(id);
    id.split_once('/')
        .filter(|(b, k)| !b.is_empty() && !k.is_empty())
}

/// `k=v&…` with both sides percent-encoded: the `x-amz-tagging` header.
fn tagging_header(tags: &BTreeMap<String, String>) -> Option<String> {
    fn enc(s: &str) -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    }
    (!tags.is_empty()).then(|| {
        tags.iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect::<Vec<_>>()
            .join("&")
    })
}

fn text(obj: &Value, name: &str) -> Option<String> {
    get_str(obj, name).map(str::to_string)
}

fn metadata(obj: &Value) -> Option<std::collections::HashMap<String, String>> {
    get(obj, "metadata").as_mapping().map(|m| {
        m.iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
            .collect()
    })
}

/// The object's bytes at apply: inline content, or the `source` file read now.
fn body(planned: &Value, w: &str) -> Result<Vec<u8>, ProviderError> {
    match inline_content(planned) {
        Some(Ok(bytes)) => Ok(bytes),
        Some(Err(e)) => Err(ProviderError::InvalidConfig(format!("{w}: {e}."))),
        None => match get_str(planned, "source") {
            Some(path) => std::fs::read(path).map_err(|e| {
                ProviderError::InvalidConfig(format!(
                    "{w}: cannot read the source file {path:?} ({e}); check the path (relative paths start at the root module)."
                ))
            }),
            None => Ok(Vec::new()),
        },
    }
}

/// Puts the whole object (content, headers, tags): `BUCKET/KEY`.
async fn put(p: &AwsProvider, planned: &Value, w: &str) -> Result<String, ProviderError> {
    let (bucket, key) = (
        get_str(planned, "bucket").unwrap_or_default(),
        get_str(planned, "key").unwrap_or_default(),
    );
    let bytes = body(planned, w)?;
    p.s3()
        .await?
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(bytes))
        .set_content_type(text(planned, "content_type"))
        .set_cache_control(text(planned, "cache_control"))
        .set_content_encoding(text(planned, "content_encoding"))
        .set_content_disposition(text(planned, "content_disposition"))
        .set_content_language(text(planned, "content_language"))
        .set_website_redirect_location(text(planned, "website_redirect"))
        .set_metadata(metadata(planned))
        .set_storage_class(get_str(planned, "storage_class").map(StorageClass::from))
        .set_server_side_encryption(
            get_str(planned, "server_side_encryption").map(ServerSideEncryption::from),
        )
        .set_ssekms_key_id(text(planned, "kms_key_id").filter(|_| kms(planned)))
        .set_bucket_key_enabled(get_bool(planned, "bucket_key_enabled"))
        .set_acl(get_str(planned, "acl").map(ObjectCannedAcl::from))
        .set_tagging(tagging_header(&desired_tags(&p.settings, planned)))
        .send()
        .await
        .or_fail(w)?;
    Ok(format!("{bucket}/{key}"))
}

/// Copies the object onto itself with `planned`'s headers and metadata, keeping its tags.
async fn copy_in_place(p: &AwsProvider, planned: &Value, w: &str) -> Result<(), ProviderError> {
    let (bucket, key) = (
        get_str(planned, "bucket").unwrap_or_default(),
        get_str(planned, "key").unwrap_or_default(),
    );
    let source = format!("{bucket}/{}", tagging_encode_path(key));
    p.s3()
        .await?
        .copy_object()
        .bucket(bucket)
        .key(key)
        .copy_source(source)
        .metadata_directive(MetadataDirective::Replace)
        .tagging_directive(TaggingDirective::Copy)
        .set_content_type(text(planned, "content_type"))
        .set_cache_control(text(planned, "cache_control"))
        .set_content_encoding(text(planned, "content_encoding"))
        .set_content_disposition(text(planned, "content_disposition"))
        .set_content_language(text(planned, "content_language"))
        .set_website_redirect_location(text(planned, "website_redirect"))
        .set_metadata(metadata(planned))
        .set_storage_class(get_str(planned, "storage_class").map(StorageClass::from))
        .set_server_side_encryption(
            get_str(planned, "server_side_encryption").map(ServerSideEncryption::from),
        )
        .set_ssekms_key_id(text(planned, "kms_key_id").filter(|_| kms(planned)))
        .set_bucket_key_enabled(get_bool(planned, "bucket_key_enabled"))
        .set_acl(get_str(planned, "acl").map(ObjectCannedAcl::from))
        .send()
        .await
        .or_fail(w)?;
    Ok(())
}

/// A key in a `CopySource` path: percent-encoded but for `/`.
fn tagging_encode_path(key: &str) -> String {
    key.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `aws_s3_object`: found by its bucket and key.
pub(crate) struct Object;

#[async_trait]
impl AwsResource for Object {
    fn kind(&self) -> Kind {
        KIND
    }

    fn key(&self, state: &Value) -> String {
        format!(
            "{}/{}",
            get_str(state, "bucket").unwrap_or_default(),
            get_str(state, "key").unwrap_or_default()
        )
    }

    async fn create(
        &self,
        p: &AwsProvider,
        planned: &Value,
        origin: &Origin<'_>,
    ) -> Result<String, ProviderError> {
        put(p, planned, &format!("creating {TY} {origin}")).await
    }

    async fn update(
        &self,
        p: &AwsProvider,
        prior: &Value,
        planned: &Value,
        _origin: &Origin<'_>,
    ) -> Result<String, ProviderError> {
        let id = self.key(prior);
        let w = format!("updating {}", object_name(TY, &id));
        let changed = |names: &[&str]| names.iter().any(|n| !same(get(planned, n), get(prior, n)));
        if changed(CONTENT) {
            return put(p, planned, &w).await;
        }
        if changed(HEADERS) {
            copy_in_place(p, planned, &w).await?;
        }
        let (old, new) = (
            desired_tags(&p.settings, prior),
            desired_tags(&p.settings, planned),
        );
        if old != new {
            let s3 = p.s3().await?;
            let (bucket, key) = (
                get_str(planned, "bucket").unwrap_or_default(),
                get_str(planned, "key").unwrap_or_default(),
            );
            if new.is_empty() {
                s3.delete_object_tagging()
                    .bucket(bucket)
                    .key(key)
                    .send()
                    .await
                    .or_fail(&w)?;
            } else {
                let tagging = aws_sdk_s3::types::Tagging::builder()
                    .set_tag_set(Some(tag_set(&new)?))
                    .build()
                    .map_err(|e| ProviderError::InvalidConfig(format!("{w}: {e}.")))?;
                s3.put_object_tagging()
                    .bucket(bucket)
                    .key(key)
                    .tagging(tagging)
                    .send()
                    .await
                    .or_fail(&w)?;
            }
        }
        Ok(id)
    }

    async fn delete(&self, p: &AwsProvider, prior: &Value) -> Result<(), ProviderError> {
        let id = self.key(prior);
        let w = format!("deleting {}", object_name(TY, &id));
        let s3 = p.s3().await?;
        let (bucket, key) = (
            get_str(prior, "bucket").unwrap_or_default(),
            get_str(prior, "key").unwrap_or_default(),
        );
        let bypass = get_bool(prior, "force_destroy") == Some(true);
        // In a versioned bucket every version of the key goes, as in Terraform.
        if get_str(prior, "version_id").is_some() {
            return delete_versions(s3, &w, bucket, key, bypass).await;
        }
        match s3
            .delete_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .aws()
        {
            Err(e) if gone(&e) => Ok(()),
            Err(e) => Err(e.into_provider(&w)),
            Ok(_) => Ok(()),
        }
    }

    async fn describe(&self, p: &AwsProvider, ids: &[String]) -> Described {
        let ids: Vec<String> = ids
            .iter()
            .map(|id| id.strip_prefix("s3://").unwrap_or(id).to_string())
            .collect();
        for id in &ids {
            if split(id).is_none() {
                return Err(ProviderError::InvalidConfig(format!(
                    "{TY}: `{id}` is not an object id; write BUCKET/KEY or s3://BUCKET/KEY."
                )));
            }
        }
        crate::resource::read_merged(p, KIND, &ids).await
    }

    /// An object is identified by its bucket and key: there or not.
    async fn find(&self, p: &AwsProvider, planned: &Value, _origin: &Origin<'_>) -> Recovered {
        let id = self.key(planned);
        Ok(self.describe_one(p, &id).await?.map(|_| id))
    }
}

/// Deletes every version and delete marker of `key` (only that key) in `bucket`.
async fn delete_versions(
    s3: &Client,
    w: &str,
    bucket: &str,
    key: &str,
    bypass: bool,
) -> Result<(), ProviderError> {
    loop {
        let page = match s3
            .list_object_versions()
            .bucket(bucket)
            .prefix(key)
            .send()
            .await
            .aws()
        {
            Err(e) if gone(&e) => return Ok(()),
            other => other.map_err(|e| e.into_provider(w))?,
        };
        let versions: Vec<Option<String>> = page
            .versions()
            .iter()
            .filter(|v| v.key() == Some(key))
            .map(|v| v.version_id().map(str::to_string))
            .chain(
                page.delete_markers()
                    .iter()
                    .filter(|m| m.key() == Some(key))
                    .map(|m| m.version_id().map(str::to_string)),
            )
            .collect();
        if versions.is_empty() {
            return Ok(());
        }
        for version in versions {
            let mut call = s3
                .delete_object()
                .bucket(bucket)
                .key(key)
                .set_version_id(version);
            if bypass {
                call = call.bypass_governance_retention(true);
            }
            match call.send().await.aws() {
                Err(e) if gone(&e) => {}
                Err(e) => return Err(e.into_provider(w)),
                Ok(_) => {}
            }
        }
    }
}

/// Object `BUCKET/KEY` as S3 shows it (`None`: gone): its headers and its tags, read together.
async fn read(s3: Client, id: String) -> Result<Option<Obs>, AwsErr> {
    let Some((bucket, key)) = split(&id) else {
        return Ok(None);
    };
    let (head, tags) = tokio::join!(
        s3.head_object().bucket(bucket).key(key).send(),
        s3.get_object_tagging().bucket(bucket).key(key).send(),
    );
    let head = match head.aws() {
        Err(e) if gone(&e) => return Ok(None),
        other => other?,
    };
    let tags: ValueMap = match tags.aws() {
        Err(e) if gone(&e) => return Ok(None),
        other => other?
            .tag_set()
            .iter()
            .map(|t| (t.key().to_string(), Value::string(t.value())))
            .collect(),
    };
    let region = region(&s3);
    let mut o = Obs::new();
    o.insert("id".into(), Value::string(key));
    o.insert("bucket".into(), Value::string(bucket));
    o.insert("key".into(), Value::string(key));
    o.insert(
        "arn".into(),
        Value::string(format!("arn:{}:s3:::{bucket}/{key}", partition(&region))),
    );
    o.insert("region".into(), Value::string(&region));
    o.insert(
        "etag".into(),
        optional_string(head.e_tag().map(|e| e.trim_matches('"'))),
    );
    o.insert("version_id".into(), optional_string(head.version_id()));
    o.insert("content_type".into(), optional_string(head.content_type()));
    o.insert(
        "cache_control".into(),
        optional_string(head.cache_control()),
    );
    o.insert(
        "content_encoding".into(),
        optional_string(head.content_encoding()),
    );
    o.insert(
        "content_disposition".into(),
        optional_string(head.content_disposition()),
    );
    o.insert(
        "content_language".into(),
        optional_string(head.content_language()),
    );
    o.insert(
        "website_redirect".into(),
        optional_string(head.website_redirect_location()),
    );
    o.insert(
        "metadata".into(),
        Value::Map(
            head.metadata()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.clone(), Value::string(v)))
                        .collect()
                })
                .unwrap_or_default(),
        ),
    );
    o.insert(
        "storage_class".into(),
        Value::string(head.storage_class().map_or("STANDARD", |s| s.as_str())),
    );
    o.insert(
        "server_side_encryption".into(),
        optional_string(head.server_side_encryption().map(|s| s.as_str())),
    );
    o.insert("kms_key_id".into(), optional_string(head.ssekms_key_id()));
    o.insert(
        "bucket_key_enabled".into(),
        head.bucket_key_enabled().map_or(Value::Null, Value::Bool),
    );
    o.insert("tags_all".into(), Value::Map(tags));
    Ok(Some(o))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_ids_and_tag_headers() {
        assert_eq!(split("b/k/x.txt"), Some(("b", "k/x.txt")));
        assert_eq!(split("s3://b/k"), Some(("b", "k")));
        assert_eq!(split("b"), None);
        assert_eq!(split("/k"), None);
        let tags = BTreeMap::from([
            ("a b".to_string(), "x&y=z".to_string()),
            ("Team".to_string(), "infra".to_string()),
        ]);
        assert_eq!(
            tagging_header(&tags).as_deref(),
            Some("Team=infra&a%20b=x%26y%3Dz")
        );
        assert_eq!(md5_hex(b"hello"), "5d41402abc4b2a76b9719d911017c592");
    }
}
