//! A bucket's settings, each its own resource identified by the bucket name:
//! `aws_s3_bucket_versioning`, `aws_s3_bucket_server_side_encryption_configuration`,
//! `aws_s3_bucket_public_access_block` and `aws_s3_bucket_policy`. A create and an update are
//! the same `Put*` of the whole setting; each is gone when its bucket is, or when S3 shows no
//! such setting. S3 cannot turn versioning off once it was on, so destroying a versioning
//! resource suspends it, as Terraform does.

use async_trait::async_trait;
use aws_sdk_s3::types::{
    BucketVersioningStatus, MfaDelete, PublicAccessBlockConfiguration, ServerSideEncryption,
    ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration, ServerSideEncryptionRule,
    VersioningConfiguration,
};
use aws_sdk_s3::Client;
use skel_provider::ProviderError;
use skel_value::{Value, ValueMap};

use super::{gone, read_concurrently, region};
use crate::common::{
    blocks, get, get_bool, get_str, id_of, object_name, optional_string, Obs, Origin,
};
use crate::error::{AwsErr, SdkResultExt};
use crate::resource::{AwsResource, Kind, Recovered};
use crate::AwsProvider;
use skel_provider::kit::first_block;

/// What every setting's observation holds: its id and bucket, and the region.
fn base(s3: &Client, bucket: &str) -> Obs {
    let mut o = Obs::new();
    o.insert("id".into(), Value::string(bucket));
    o.insert("bucket".into(), Value::string(bucket));
    o.insert("region".into(), Value::string(region(s3)));
    o
}

/// A setting's delete call: a bucket (or setting) that is already gone counts as deleted.
fn deleted<T>(result: Result<T, AwsErr>, w: &str, missing: &[&str]) -> Result<(), ProviderError> {
    match result {
        Err(e) if gone(&e) || e.is(missing) => Ok(()),
        Err(e) => Err(e.into_provider(w)),
        Ok(_) => Ok(()),
    }
}

fn owner(planned: &Value) -> Option<String> {
    get_str(planned, "expected_bucket_owner").map(str::to_string)
}

/// A setting is found after an interrupted create by its bucket: the setting is there or not.
async fn find_by_bucket<R: AwsResource + ?Sized>(
    r: &R,
    p: &AwsProvider,
    planned: &Value,
) -> Recovered {
    let Some(bucket) = get_str(planned, "bucket") else {
        return Ok(None);
    };
    // A planned object has no id yet: the id of a setting is its bucket's name.
    let id = Some(r.key(planned))
        .filter(|k| !k.is_empty())
        .unwrap_or_else(|| bucket.to_string());
    Ok(r.describe_one(p, &id).await?.map(|_| id))
}

pub(crate) mod versioning {
    use super::*;

    const TY: &str = "aws_s3_bucket_versioning";
    const KIND: Kind = Kind::untagged(TY, |api, ids| {
        Box::pin(read_concurrently(api.s3, ids, |s3, id| {
            Box::pin(read(s3, id))
        }))
    });

    /// The read id of a bucket whose configuration says `Disabled`: S3 shows no status for a
    /// bucket that was never versioned, which is then this object, not its absence.
    const NEVER_VERSIONED: &str = "#disabled";

    fn status(obj: &Value) -> Option<&str> {
        get_str(first_block(obj, "versioning_configuration"), "status")
    }

    /// `aws_s3_bucket_versioning`.
    pub(crate) struct Versioning;

    #[async_trait]
    impl AwsResource for Versioning {
        fn kind(&self) -> Kind {
            KIND
        }

        fn key(&self, state: &Value) -> String {
            let bucket = get_str(state, "bucket").unwrap_or_default();
            match status(state) {
                Some("Disabled") => format!("{bucket}{NEVER_VERSIONED}"),
                _ => bucket.to_string(),
            }
        }

        async fn create(
            &self,
            p: &AwsProvider,
            planned: &Value,
            origin: &Origin<'_>,
        ) -> Result<String, ProviderError> {
            put(p, planned, &format!("creating {TY} {origin}")).await?;
            Ok(self.key(planned))
        }

        async fn update(
            &self,
            p: &AwsProvider,
            prior: &Value,
            planned: &Value,
            _origin: &Origin<'_>,
        ) -> Result<String, ProviderError> {
            let w = format!("updating {}", object_name(TY, &id_of(prior)));
            if status(planned) == Some("Disabled") && status(prior) != Some("Disabled") {
                return Err(ProviderError::InvalidConfig(format!(
                    "{w}: versioning cannot be turned off once it was on; set status = \"Suspended\" to stop keeping new versions."
                )));
            }
            put(p, planned, &w).await?;
            Ok(self.key(planned))
        }

        async fn delete(&self, p: &AwsProvider, prior: &Value) -> Result<(), ProviderError> {
            // A bucket that never was versioned (Disabled) or is suspended has nothing to undo.
            if status(prior) != Some("Enabled") {
                return Ok(());
            }
            let bucket = get_str(prior, "bucket").unwrap_or_default();
            let w = format!("deleting {}", object_name(TY, bucket));
            let result = p
                .s3()
                .await?
                .put_bucket_versioning()
                .bucket(bucket)
                .versioning_configuration(
                    VersioningConfiguration::builder()
                        .status(BucketVersioningStatus::Suspended)
                        .build(),
                )
                .set_expected_bucket_owner(owner(prior))
                .send()
                .await
                .aws();
            deleted(result, &w, &[])
        }

        async fn find(&self, p: &AwsProvider, planned: &Value, _origin: &Origin<'_>) -> Recovered {
            find_by_bucket(self, p, planned).await
        }
    }

    async fn put(p: &AwsProvider, planned: &Value, w: &str) -> Result<(), ProviderError> {
        let config = first_block(planned, "versioning_configuration");
        let status = get_str(config, "status").unwrap_or_default();
        if status == "Disabled" {
            // Only valid for a bucket that was never versioned: nothing to set.
            return Ok(());
        }
        p.s3()
            .await?
            .put_bucket_versioning()
            .bucket(get_str(planned, "bucket").unwrap_or_default())
            .versioning_configuration(
                VersioningConfiguration::builder()
                    .status(BucketVersioningStatus::from(status))
                    .set_mfa_delete(get_str(config, "mfa_delete").map(MfaDelete::from))
                    .build(),
            )
            .set_mfa(get_str(planned, "mfa").map(str::to_string))
            .set_expected_bucket_owner(owner(planned))
            .send()
            .await
            .or_fail(w)?;
        Ok(())
    }

    async fn read(s3: Client, id: String) -> Result<Option<Obs>, AwsErr> {
        let (bucket, never) = match id.strip_suffix(NEVER_VERSIONED) {
            Some(bucket) => (bucket.to_string(), true),
            None => (id.clone(), false),
        };
        let (status, mfa_delete) = match s3.get_bucket_versioning().bucket(&bucket).send().await {
            Ok(out) => (
                out.status().map(|s| s.as_str().to_string()),
                out.mfa_delete().map(|m| m.as_str().to_string()),
            ),
            Err(e) => match e.raw_response().and_then(versioning_of_answer) {
                Some(read) => read,
                None => {
                    let e = AwsErr::from(e);
                    return if gone(&e) { Ok(None) } else { Err(e) };
                }
            },
        };
        let status = match status {
            Some(s) => s,
            None if never => "Disabled".to_string(),
            None => return Ok(None),
        };
        let mut o = base(&s3, &bucket);
        o.insert(
            "versioning_configuration".into(),
            Value::List(vec![Value::Object(ValueMap::from([
                ("status".to_string(), Value::string(status)),
                (
                    "mfa_delete".to_string(),
                    optional_string(mfa_delete.as_deref()),
                ),
            ]))]),
        );
        Ok(Some(o))
    }
}

pub(crate) mod encryption {
    use super::*;

    const TY: &str = "aws_s3_bucket_server_side_encryption_configuration";
    const KIND: Kind = Kind::untagged(TY, |api, ids| {
        Box::pin(read_concurrently(api.s3, ids, |s3, id| {
            Box::pin(read(s3, id))
        }))
    });
    const MISSING: &[&str] = &["ServerSideEncryptionConfigurationNotFoundError"];

    /// `aws_s3_bucket_server_side_encryption_configuration`.
    pub(crate) struct Encryption;

    #[async_trait]
    impl AwsResource for Encryption {
        fn kind(&self) -> Kind {
            KIND
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
            put(
                p,
                planned,
                &format!("updating {}", object_name(TY, &id_of(prior))),
            )
            .await
        }

        async fn delete(&self, p: &AwsProvider, prior: &Value) -> Result<(), ProviderError> {
            let bucket = get_str(prior, "bucket").unwrap_or_default();
            let result = p
                .s3()
                .await?
                .delete_bucket_encryption()
                .bucket(bucket)
                .set_expected_bucket_owner(owner(prior))
                .send()
                .await
                .aws();
            deleted(
                result,
                &format!("deleting {}", object_name(TY, bucket)),
                MISSING,
            )
        }

        async fn find(&self, p: &AwsProvider, planned: &Value, _origin: &Origin<'_>) -> Recovered {
            find_by_bucket(self, p, planned).await
        }
    }

    async fn put(p: &AwsProvider, planned: &Value, w: &str) -> Result<String, ProviderError> {
        let bucket = get_str(planned, "bucket").unwrap_or_default();
        let mut rules = Vec::new();
        for rule in blocks(planned, "rule") {
            let default = first_block(rule, "apply_server_side_encryption_by_default");
            let by_default = match get_str(default, "sse_algorithm") {
                Some(algorithm) => Some(
                    ServerSideEncryptionByDefault::builder()
                        .sse_algorithm(ServerSideEncryption::from(algorithm))
                        .set_kms_master_key_id(
                            get_str(default, "kms_master_key_id").map(str::to_string),
                        )
                        .build()
                        .map_err(|e| ProviderError::InvalidConfig(format!("{w}: {e}.")))?,
                ),
                None => None,
            };
            rules.push(
                ServerSideEncryptionRule::builder()
                    .set_apply_server_side_encryption_by_default(by_default)
                    .set_bucket_key_enabled(get_bool(rule, "bucket_key_enabled"))
                    .build(),
            );
        }
        let config = ServerSideEncryptionConfiguration::builder()
            .set_rules(Some(rules))
            .build()
            .map_err(|e| ProviderError::InvalidConfig(format!("{w}: {e}.")))?;
        p.s3()
            .await?
            .put_bucket_encryption()
            .bucket(bucket)
            .server_side_encryption_configuration(config)
            .set_expected_bucket_owner(owner(planned))
            .send()
            .await
            .or_fail(w)?;
        Ok(bucket.to_string())
    }

    async fn read(s3: Client, bucket: String) -> Result<Option<Obs>, AwsErr> {
        let out = match s3
            .get_bucket_encryption()
            .bucket(&bucket)
            .send()
            .await
            .aws()
        {
            Err(e) if gone(&e) || e.is(MISSING) => return Ok(None),
            other => other?,
        };
        let rules: Vec<Value> = out
            .server_side_encryption_configuration()
            .map(|c| c.rules())
            .unwrap_or_default()
            .iter()
            .map(|r| {
                let by_default: Vec<Value> = r
                    .apply_server_side_encryption_by_default()
                    .map(|d| {
                        Value::Object(ValueMap::from([
                            (
                                "sse_algorithm".to_string(),
                                Value::string(d.sse_algorithm().as_str()),
                            ),
                            (
                                "kms_master_key_id".to_string(),
                                optional_string(d.kms_master_key_id().filter(|k| !k.is_empty())),
                            ),
                        ]))
                    })
                    .into_iter()
                    .collect();
                Value::Object(ValueMap::from([
                    (
                        "apply_server_side_encryption_by_default".to_string(),
                        Value::List(by_default),
                    ),
                    (
                        "bucket_key_enabled".to_string(),
                        r.bucket_key_enabled().map_or(Value::Null, Value::Bool),
                    ),
                ]))
            })
            .collect();
        let mut o = base(&s3, &bucket);
        o.insert("rule".into(), Value::set(rules));
        Ok(Some(o))
    }

    /// Rules compared as S3 means them: `bucket_key_enabled = false` is its absence.
    pub(crate) fn same_rules(a: &Value, b: &Value) -> bool {
        fn normal(rules: &Value) -> Value {
            Value::set(
                rules
                    .as_sequence()
                    .unwrap_or(&[])
                    .iter()
                    .map(|r| {
                        let mut r = r.clone();
                        if let Value::Object(m) = &mut r {
                            if m.get("bucket_key_enabled") == Some(&Value::Bool(false)) {
                                m.insert("bucket_key_enabled".into(), Value::Null);
                            }
                        }
                        r
                    })
                    .collect(),
            )
        }
        crate::common::same(&normal(a), &normal(b))
    }
}

pub(crate) mod public_access {
    use super::*;

    const TY: &str = "aws_s3_bucket_public_access_block";
    const KIND: Kind = Kind::untagged(TY, |api, ids| {
        Box::pin(read_concurrently(api.s3, ids, |s3, id| {
            Box::pin(read(s3, id))
        }))
    });
    const MISSING: &[&str] = &["NoSuchPublicAccessBlockConfiguration"];
    const FLAGS: [&str; 4] = [
        "block_public_acls",
        "block_public_policy",
        "ignore_public_acls",
        "restrict_public_buckets",
    ];

    /// `aws_s3_bucket_public_access_block`.
    pub(crate) struct PublicAccessBlock;

    #[async_trait]
    impl AwsResource for PublicAccessBlock {
        fn kind(&self) -> Kind {
            KIND
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
            put(
                p,
                planned,
                &format!("updating {}", object_name(TY, &id_of(prior))),
            )
            .await
        }

        async fn delete(&self, p: &AwsProvider, prior: &Value) -> Result<(), ProviderError> {
            if get_bool(prior, "skip_destroy") == Some(true) {
                return Ok(());
            }
            let bucket = get_str(prior, "bucket").unwrap_or_default();
            let result = p
                .s3()
                .await?
                .delete_public_access_block()
                .bucket(bucket)
                .send()
                .await
                .aws();
            deleted(
                result,
                &format!("deleting {}", object_name(TY, bucket)),
                MISSING,
            )
        }

        async fn find(&self, p: &AwsProvider, planned: &Value, _origin: &Origin<'_>) -> Recovered {
            find_by_bucket(self, p, planned).await
        }
    }

    async fn put(p: &AwsProvider, planned: &Value, w: &str) -> Result<String, ProviderError> {
        let bucket = get_str(planned, "bucket").unwrap_or_default();
        let flag = |name: &str| get_bool(planned, name).unwrap_or(false);
        p.s3()
            .await?
            .put_public_access_block()
            .bucket(bucket)
            .public_access_block_configuration(
                PublicAccessBlockConfiguration::builder()
                    .block_public_acls(flag(FLAGS[0]))
                    .block_public_policy(flag(FLAGS[1]))
                    .ignore_public_acls(flag(FLAGS[2]))
                    .restrict_public_buckets(flag(FLAGS[3]))
                    .build(),
            )
            .send()
            .await
            .or_fail(w)?;
        Ok(bucket.to_string())
    }

    async fn read(s3: Client, bucket: String) -> Result<Option<Obs>, AwsErr> {
        let out = match s3
            .get_public_access_block()
            .bucket(&bucket)
            .send()
            .await
            .aws()
        {
            Err(e) if gone(&e) || e.is(MISSING) => return Ok(None),
            other => other?,
        };
        let Some(c) = out.public_access_block_configuration() else {
            return Ok(None);
        };
        let mut o = base(&s3, &bucket);
        for (name, value) in FLAGS.iter().zip([
            c.block_public_acls(),
            c.block_public_policy(),
            c.ignore_public_acls(),
            c.restrict_public_buckets(),
        ]) {
            o.insert(name.to_string(), Value::Bool(value.unwrap_or(false)));
        }
        Ok(Some(o))
    }
}

pub(crate) mod policy {
    use super::*;

    const TY: &str = "aws_s3_bucket_policy";
    const KIND: Kind = Kind::untagged(TY, |api, ids| {
        Box::pin(read_concurrently(api.s3, ids, |s3, id| {
            Box::pin(read(s3, id))
        }))
    });
    const MISSING: &[&str] = &["NoSuchBucketPolicy"];

    /// `aws_s3_bucket_policy`.
    pub(crate) struct Policy;

    #[async_trait]
    impl AwsResource for Policy {
        fn kind(&self) -> Kind {
            KIND
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
            put(
                p,
                planned,
                &format!("updating {}", object_name(TY, &id_of(prior))),
            )
            .await
        }

        async fn delete(&self, p: &AwsProvider, prior: &Value) -> Result<(), ProviderError> {
            let bucket = get_str(prior, "bucket").unwrap_or_default();
            let result = p
                .s3()
                .await?
                .delete_bucket_policy()
                .bucket(bucket)
                .send()
                .await
                .aws();
            deleted(
                result,
                &format!("deleting {}", object_name(TY, bucket)),
                MISSING,
            )
        }

        async fn find(&self, p: &AwsProvider, planned: &Value, _origin: &Origin<'_>) -> Recovered {
            find_by_bucket(self, p, planned).await
        }
    }

    async fn put(p: &AwsProvider, planned: &Value, w: &str) -> Result<String, ProviderError> {
        let bucket = get_str(planned, "bucket").unwrap_or_default();
        let text = get_str(planned, "policy").unwrap_or_default();
        if let Err(e) = serde_json::from_str::<serde_json::Value>(text) {
            return Err(ProviderError::InvalidConfig(format!(
                "{w}: `policy` is not valid JSON ({e}); write it with jsonencode() or an aws_iam_policy_document data source."
            )));
        }
        p.s3()
            .await?
            .put_bucket_policy()
            .bucket(bucket)
            .policy(text)
            .send()
            .await
            .or_fail(w)?;
        Ok(bucket.to_string())
    }

    async fn read(s3: Client, bucket: String) -> Result<Option<Obs>, AwsErr> {
        let out = match s3.get_bucket_policy().bucket(&bucket).send().await.aws() {
            Err(e) if gone(&e) || e.is(MISSING) => return Ok(None),
            other => other?,
        };
        let mut o = base(&s3, &bucket);
        o.insert("policy".into(), optional_string(out.policy()));
        Ok(Some(o))
    }

    /// A policy document in a form where formatting, key order, the order of list items and
    /// a one-item list against its item do not matter (what IAM itself ignores).
    fn normal(v: serde_json::Value) -> serde_json::Value {
        use serde_json::Value as J;
        match v {
            J::Array(items) => {
                let mut items: Vec<J> = items.into_iter().map(normal).collect();
                items.sort_by_key(|i| i.to_string());
                items.dedup();
                if items.len() == 1 {
                    items.pop().unwrap_or(J::Null)
                } else {
                    J::Array(items)
                }
            }
            J::Object(m) => {
                let mut sorted: Vec<(String, J)> =
                    m.into_iter().map(|(k, v)| (k, normal(v))).collect();
                sorted.sort_by(|a, b| a.0.cmp(&b.0));
                J::Object(sorted.into_iter().collect())
            }
            other => other,
        }
    }

    /// Whether two policy texts mean the same document (both valid JSON).
    pub(crate) fn same_policy(a: &str, b: &str) -> bool {
        match (
            serde_json::from_str::<serde_json::Value>(a),
            serde_json::from_str::<serde_json::Value>(b),
        ) {
            (Ok(a), Ok(b)) => normal(a) == normal(b),
            _ => a == b,
        }
    }

    /// `get(obj, "policy")` as text.
    pub(crate) fn text(obj: &Value) -> Option<&str> {
        get(obj, "policy").as_str()
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn policies_are_compared_as_documents() {
            let a = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":["s3:GetObject"],"Resource":"arn:aws:s3:::b/*"}]}"#;
            let b = "{\n  \"Statement\": {\"Resource\": [\"arn:aws:s3:::b/*\"], \"Action\": \"s3:GetObject\",\n \"Principal\": \"*\", \"Effect\": \"Allow\"},\n  \"Version\": \"2012-10-17\"\n}";
            assert!(same_policy(a, b));
            let c = a.replace("GetObject", "PutObject");
            assert!(!same_policy(a, &c));
            let two = r#"{"Statement":[{"Action":["s3:A","s3:B"]}]}"#;
            let swapped = r#"{"Statement":[{"Action":["s3:B","s3:A"]}]}"#;
            assert!(same_policy(two, swapped));
            assert!(!same_policy(two, r#"{"Statement":[{"Action":["s3:A"]}]}"#));
            assert!(!same_policy("not json", "not json "));
        }
    }
}

/// The versioning status and MFA-delete setting in a successful GetBucketVersioning answer
/// that the SDK could not parse because its root element is not S3's `VersioningConfiguration`
/// (moto 5.2.5 names it `GetBucketVersioningResponse`; AWS's other SDKs read the answer by its
/// content, whatever the root is called). `None` for any other answer, an error included.
fn versioning_of_answer(
    raw: &aws_smithy_runtime_api::client::orchestrator::HttpResponse,
) -> Option<(Option<String>, Option<String>)> {
    if !raw.status().is_success() {
        return None;
    }
    let body = std::str::from_utf8(raw.body().bytes()?).ok()?;
    if !body.contains("<GetBucketVersioningResponse") {
        return None;
    }
    let element = |name: &str| {
        let start = body.find(&format!("<{name}>"))? + name.len() + 2;
        let end = start + body[start..].find(&format!("</{name}>"))?;
        Some(body[start..end].trim().to_string()).filter(|v| !v.is_empty())
    };
    Some((element("Status"), element("MfaDelete")))
}
