//! Every S3 resource type through the shared lifecycle (support/lifecycle.rs) against moto:
//! create, update in place, drift repaired, import, out-of-band delete, replacement and
//! destroy, each step checked through the S3 API with the SDK, not skel's state.

mod s3_support;
mod support;

use aws_sdk_s3::types::{Tag, Tagging};
use s3_support::{bucket_exists, s3};
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

async fn case(p: &AwsProvider, ty: &'static str) -> Case {
    let _ = p;
    match ty {
        "aws_s3_bucket" => {
            let a = bucket_config("skel-matrix-a", vec![("tags", named("a"))]);
            let b = with(&a, vec![("tags", named(UPDATED))]);
            let r = with(&b, vec![("bucket", s("skel-matrix-b"))]);
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
}

#[async_trait::async_trait]
impl Oracle for Api {
    async fn describe(&self, ty: &str, state: &Value) -> Option<String> {
        match ty {
            "aws_s3_bucket" => self.bucket(&str_of(state, "id")).await,
            other => panic!("no oracle for {other}"),
        }
    }

    async fn drift(&self, ty: &str, state: &Value) -> bool {
        match ty {
            "aws_s3_bucket" => {
                let tagging = Tagging::builder()
                    .tag_set(Tag::builder().key("Name").value(DRIFTED).build().unwrap())
                    .build()
                    .unwrap();
                self.s3
                    .put_bucket_tagging()
                    .bucket(str_of(state, "id"))
                    .tagging(tagging)
                    .send()
                    .await
                    .expect("PutBucketTagging");
                true
            }
            _ => false,
        }
    }

    async fn delete(&self, ty: &str, state: &Value) {
        match ty {
            "aws_s3_bucket" => {
                let name = str_of(state, "id");
                match self.s3.delete_bucket().bucket(&name).send().await {
                    Ok(_) => {}
                    Err(e) if gone_code(e.as_service_error().and_then(code)) => {}
                    Err(e) => panic!("DeleteBucket {name}: {e:?}"),
                }
            }
            other => panic!("no out-of-band delete for {other}"),
        }
    }
}

async fn lifecycle_s3(ty: &'static str) {
    let _m = moto();
    let p = provider();
    let api = Api { s3: s3().await };
    let c = case(&p, ty).await;
    lifecycle(&p, &api, ty, c).await;
}

lifecycle_tests! {
    lifecycle_s3;
    bucket => "aws_s3_bucket",
}
