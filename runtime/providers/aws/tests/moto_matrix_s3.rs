//! Every S3 resource type through the shared lifecycle (support/lifecycle.rs) against moto:
//! create, update in place, drift repaired, import, out-of-band delete, replacement and
//! destroy, each step checked through the S3 API with the SDK, not skel's state.

mod s3_support;
mod support;

use aws_sdk_s3::types::{Tag, Tagging};
use s3_support::{bucket_exists, s3, use_relay};
use support::lifecycle::{gone_code, lifecycle, with, Case, Oracle, DRIFTED, UPDATED};
use support::*;

fn named(name: &str) -> Value {
    tags(&[("Name", name)])
}

fn bucket_config(name: &str, extra: Vec<(&str, Value)>) -> Value {
    let mut values = vec![("bucket", s(name))];
    values.extend(extra);
    config("aws_s3_bucket", values)
}

/// The buckets the settings' cases are set on, made through the provider.
const BUCKET_A: &str = "skel-deps-a";
const BUCKET_B: &str = "skel-deps-b";

async fn deps(p: &AwsProvider) {
    for name in [BUCKET_A, BUCKET_B] {
        create(
            p,
            "aws_s3_bucket",
            &bucket_config(name, vec![("force_destroy", Value::Bool(true))]),
        )
        .await;
    }
}

fn versioning(status: &str) -> Value {
    Value::List(vec![obj(vec![
        ("status", s(status)),
        ("mfa_delete", Value::Null),
    ])])
}

fn encryption(algorithm: &str, key: Option<&str>) -> Value {
    Value::set(vec![obj(vec![
        (
            "apply_server_side_encryption_by_default",
            Value::List(vec![obj(vec![
                ("sse_algorithm", s(algorithm)),
                ("kms_master_key_id", key.map_or(Value::Null, s)),
            ])]),
        ),
        ("bucket_key_enabled", Value::Null),
    ])])
}

fn kms_key(name: &str) -> String {
    format!("arn:aws:kms:us-east-1:123456789012:key/{name}")
}

/// A bucket policy letting the account read `bucket`'s objects, with statement id `sid`.
pub fn policy_text(bucket: &str, sid: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"{sid}","Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::123456789012:root"}},"Action":"s3:GetObject","Resource":"arn:aws:s3:::{bucket}/*"}}]}}"#
    )
}

async fn case(p: &AwsProvider, ty: &'static str) -> Case {
    if ty != "aws_s3_bucket" {
        deps(p).await;
    }
    let on = |bucket: &str, extra: Vec<(&str, Value)>| {
        let mut values = vec![("bucket", s(bucket))];
        values.extend(extra);
        config(ty, values)
    };
    match ty {
        "aws_s3_bucket" => {
            let a = bucket_config("skel-matrix-a", vec![("tags", named("a"))]);
            let b = with(&a, vec![("tags", named(UPDATED))]);
            let r = with(&b, vec![("bucket", s("skel-matrix-b"))]);
            Case::new(a, Some((b, UPDATED.into())), Some((r, "bucket")))
        }
        "aws_s3_bucket_versioning" => {
            let a = on(
                BUCKET_A,
                vec![("versioning_configuration", versioning("Enabled"))],
            );
            let b = on(
                BUCKET_A,
                vec![("versioning_configuration", versioning("Suspended"))],
            );
            let r = on(
                BUCKET_B,
                vec![("versioning_configuration", versioning("Enabled"))],
            );
            Case {
                destroy_keeps_object: true,
                ..Case::new(a, Some((b, "Suspended".into())), Some((r, "bucket")))
            }
        }
        "aws_s3_bucket_server_side_encryption_configuration" => {
            let a = on(BUCKET_A, vec![("rule", encryption("AES256", None))]);
            let b = on(
                BUCKET_A,
                vec![("rule", encryption("aws:kms", Some(&kms_key(UPDATED))))],
            );
            let r = on(BUCKET_B, vec![("rule", encryption("AES256", None))]);
            Case::new(a, Some((b, UPDATED.into())), Some((r, "bucket")))
        }
        "aws_s3_bucket_public_access_block" => {
            let a = on(BUCKET_A, vec![("block_public_acls", Value::Bool(true))]);
            let b = on(
                BUCKET_A,
                vec![
                    ("block_public_acls", Value::Bool(true)),
                    ("block_public_policy", Value::Bool(true)),
                    ("ignore_public_acls", Value::Bool(true)),
                    ("restrict_public_buckets", Value::Bool(true)),
                ],
            );
            let r = on(BUCKET_B, vec![("block_public_acls", Value::Bool(true))]);
            Case::new(
                a,
                Some((b, "restrict_public_buckets: Some(true)".into())),
                Some((r, "bucket")),
            )
        }
        "aws_s3_bucket_policy" => {
            let a = on(BUCKET_A, vec![("policy", s(&policy_text(BUCKET_A, "a")))]);
            let b = on(
                BUCKET_A,
                vec![("policy", s(&policy_text(BUCKET_A, UPDATED)))],
            );
            let r = on(BUCKET_B, vec![("policy", s(&policy_text(BUCKET_B, "b")))]);
            Case::new(a, Some((b, UPDATED.into())), Some((r, "bucket")))
        }
        other => panic!("no case for {other}"),
    }
}

/// The S3 API's own view of the objects, straight from the SDK.
struct Api {
    s3: aws_sdk_s3::Client,
}

fn code<E: aws_sdk_s3::error::ProvideErrorMetadata>(e: &E) -> Option<&str> {
    e.code()
}

/// A missing bucket or setting: `None`; any other error fails the test.
macro_rules! seen {
    ($call:expr, $what:literal, $missing:literal) => {
        match $call.send().await {
            Ok(out) => Some(out),
            Err(e)
                if e.as_service_error()
                    .and_then(code)
                    .is_some_and(|c| c == $missing || gone_code(Some(c))) =>
            {
                None
            }
            Err(e) => panic!("{}: {e:?}", $what),
        }
    };
}

impl Api {
    /// The bucket's tags as the API shows them, `None` when the bucket is gone.
    async fn bucket(&self, name: &str) -> Option<String> {
        if !bucket_exists(&self.s3, name).await {
            return None;
        }
        match self.s3.get_bucket_tagging().bucket(name).send().await {
            Ok(out) => Some(format!("{:?}", out.tag_set())),
            Err(e) if code(e.as_service_error().unwrap()) == Some("NoSuchTagSet") => {
                Some("no tags".into())
            }
            Err(e) => panic!("GetBucketTagging {name}: {e:?}"),
        }
    }

    /// The bucket's versioning status (`None`: the bucket is gone or was never versioned).
    async fn versioning(&self, name: &str) -> Option<String> {
        let out = seen!(
            self.s3.get_bucket_versioning().bucket(name),
            "GetBucketVersioning",
            "NoSuchBucket"
        )?;
        out.status().map(|s| format!("status {}", s.as_str()))
    }

    async fn set_versioning(&self, name: &str, status: &str) {
        self.s3
            .put_bucket_versioning()
            .bucket(name)
            .versioning_configuration(
                aws_sdk_s3::types::VersioningConfiguration::builder()
                    .status(aws_sdk_s3::types::BucketVersioningStatus::from(status))
                    .build(),
            )
            .send()
            .await
            .expect("PutBucketVersioning");
    }

    /// Deletes bucket `name` and makes it again, empty and with no settings: what an operator
    /// who rebuilt the bucket leaves.
    async fn rebuild(&self, name: &str) {
        self.s3
            .delete_bucket()
            .bucket(name)
            .send()
            .await
            .expect("DeleteBucket");
        self.s3
            .create_bucket()
            .bucket(name)
            .send()
            .await
            .expect("CreateBucket");
    }
}

#[async_trait::async_trait]
impl Oracle for Api {
    async fn describe(&self, ty: &str, state: &Value) -> Option<String> {
        let bucket = str_of(state, "bucket");
        let s3 = &self.s3;
        match ty {
            "aws_s3_bucket" => self.bucket(&str_of(state, "id")).await,
            "aws_s3_bucket_versioning" => self.versioning(&bucket).await,
            "aws_s3_bucket_server_side_encryption_configuration" => seen!(
                s3.get_bucket_encryption().bucket(&bucket),
                "GetBucketEncryption",
                "ServerSideEncryptionConfigurationNotFoundError"
            )
            .map(|o| {
                // The SDK's Debug text redacts key ids: list them too.
                let rules = o
                    .server_side_encryption_configuration()
                    .map(|c| c.rules())
                    .unwrap_or_default();
                let keys: Vec<&str> = rules
                    .iter()
                    .filter_map(|r| r.apply_server_side_encryption_by_default())
                    .filter_map(|d| d.kms_master_key_id())
                    .collect();
                format!("{rules:?} keys {keys:?}")
            }),
            "aws_s3_bucket_public_access_block" => seen!(
                s3.get_public_access_block().bucket(&bucket),
                "GetPublicAccessBlock",
                "NoSuchPublicAccessBlockConfiguration"
            )
            .map(|o| format!("{:?}", o.public_access_block_configuration())),
            "aws_s3_bucket_policy" => seen!(
                s3.get_bucket_policy().bucket(&bucket),
                "GetBucketPolicy",
                "NoSuchBucketPolicy"
            )
            .map(|o| o.policy().unwrap_or_default().to_string()),
            other => panic!("no oracle for {other}"),
        }
    }

    async fn destroyed(&self, ty: &str, state: &Value) -> bool {
        match ty {
            // Destroying versioning suspends it.
            "aws_s3_bucket_versioning" => {
                self.versioning(&str_of(state, "bucket")).await.as_deref()
                    == Some("status Suspended")
            }
            _ => self.describe(ty, state).await.is_none(),
        }
    }

    async fn drift(&self, ty: &str, state: &Value) -> bool {
        let bucket = str_of(state, "bucket");
        let s3 = &self.s3;
        match ty {
            "aws_s3_bucket" => {
                let tagging = Tagging::builder()
                    .tag_set(Tag::builder().key("Name").value(DRIFTED).build().unwrap())
                    .build()
                    .unwrap();
                s3.put_bucket_tagging()
                    .bucket(str_of(state, "id"))
                    .tagging(tagging)
                    .send()
                    .await
                    .expect("PutBucketTagging");
            }
            "aws_s3_bucket_versioning" => {
                let now = self.versioning(&bucket).await;
                let other = if now.as_deref() == Some("status Enabled") {
                    "Suspended"
                } else {
                    "Enabled"
                };
                self.set_versioning(&bucket, other).await;
            }
            "aws_s3_bucket_server_side_encryption_configuration" => {
                use aws_sdk_s3::types::{
                    ServerSideEncryption, ServerSideEncryptionByDefault,
                    ServerSideEncryptionConfiguration, ServerSideEncryptionRule,
                };
                let rule = ServerSideEncryptionRule::builder()
                    .apply_server_side_encryption_by_default(
                        ServerSideEncryptionByDefault::builder()
                            .sse_algorithm(ServerSideEncryption::AwsKms)
                            .kms_master_key_id(kms_key(DRIFTED))
                            .build()
                            .unwrap(),
                    )
                    .build();
                s3.put_bucket_encryption()
                    .bucket(&bucket)
                    .server_side_encryption_configuration(
                        ServerSideEncryptionConfiguration::builder()
                            .rules(rule)
                            .build()
                            .unwrap(),
                    )
                    .send()
                    .await
                    .expect("PutBucketEncryption");
            }
            "aws_s3_bucket_public_access_block" => {
                s3.put_public_access_block()
                    .bucket(&bucket)
                    .public_access_block_configuration(
                        aws_sdk_s3::types::PublicAccessBlockConfiguration::builder()
                            .block_public_acls(false)
                            .block_public_policy(false)
                            .ignore_public_acls(true)
                            .restrict_public_buckets(false)
                            .build(),
                    )
                    .send()
                    .await
                    .expect("PutPublicAccessBlock");
            }
            "aws_s3_bucket_policy" => {
                s3.put_bucket_policy()
                    .bucket(&bucket)
                    .policy(policy_text(&bucket, DRIFTED))
                    .send()
                    .await
                    .expect("PutBucketPolicy");
            }
            _ => return false,
        }
        true
    }

    async fn delete(&self, ty: &str, state: &Value) {
        let bucket = str_of(state, "bucket");
        let s3 = &self.s3;
        match ty {
            "aws_s3_bucket" => {
                let name = str_of(state, "id");
                match s3.delete_bucket().bucket(&name).send().await {
                    Ok(_) => {}
                    Err(e) if gone_code(e.as_service_error().and_then(code)) => {}
                    Err(e) => panic!("DeleteBucket {name}: {e:?}"),
                }
            }
            // S3 cannot turn versioning off: only a bucket made again has none.
            "aws_s3_bucket_versioning" => self.rebuild(&bucket).await,
            "aws_s3_bucket_server_side_encryption_configuration" => {
                s3.delete_bucket_encryption()
                    .bucket(&bucket)
                    .send()
                    .await
                    .expect("DeleteBucketEncryption");
            }
            "aws_s3_bucket_public_access_block" => {
                s3.delete_public_access_block()
                    .bucket(&bucket)
                    .send()
                    .await
                    .expect("DeletePublicAccessBlock");
            }
            "aws_s3_bucket_policy" => {
                s3.delete_bucket_policy()
                    .bucket(&bucket)
                    .send()
                    .await
                    .expect("DeleteBucketPolicy");
            }
            other => panic!("no out-of-band delete for {other}"),
        }
    }
}

async fn lifecycle_s3(ty: &'static str) {
    let moto = moto();
    use_relay(moto.1);
    let p = provider();
    let api = Api { s3: s3().await };
    let c = case(&p, ty).await;
    lifecycle(&p, &api, ty, c).await;
}

lifecycle_tests! {
    lifecycle_s3;
    bucket => "aws_s3_bucket",
    bucket_versioning => "aws_s3_bucket_versioning",
    bucket_server_side_encryption_configuration => "aws_s3_bucket_server_side_encryption_configuration",
    bucket_public_access_block => "aws_s3_bucket_public_access_block",
    bucket_policy => "aws_s3_bucket_policy",
}
