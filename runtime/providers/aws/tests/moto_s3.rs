//! S3 behaviour beyond the lifecycle matrix, against moto: a bucket that is not empty is not
//! deleted (and the error says why and what to do) unless `force_destroy`, which deletes every
//! object version and delete marker first; generated bucket names derive from the creation
//! token, so recovery after a crash finds the bucket; the computed attributes.

mod s3_support;
mod support;

use s3_support::{bucket_exists, put, s3, versions};
use skel_provider::RecoverRequest;
use support::*;

const TOKEN: &str = "0f8e2b7c-5d41-4a3e-9c2b-7e6f5a4b3c2d";

fn bucket_config(name: &str, extra: Vec<(&str, Value)>) -> Value {
    let mut values = vec![("bucket", s(name))];
    values.extend(extra);
    config("aws_s3_bucket", values)
}

/// Applies the plan of `cfg` from nothing with the creation token `token`.
async fn create_with_token(p: &AwsProvider, ty: &str, cfg: &Value, token: &str) -> Value {
    let planned = plan(p, ty, None, cfg).await.planned;
    p.apply(ApplyRequest {
        type_name: ty,
        prior: None,
        planned: Some(&planned),
        address: &format!("{ty}.generated"),
        token: Some(token),
    })
    .await
    .expect("create")
}

#[tokio::test]
async fn a_bucket_with_objects_is_not_deleted_and_the_error_says_why() {
    let _m = moto();
    let p = provider();
    let api = s3().await;
    let state = create(&p, "aws_s3_bucket", &bucket_config("skel-full", vec![])).await;
    for key in ["a.txt", "b.txt", "dir/c.txt"] {
        put(&api, "skel-full", key, "x").await;
    }
    let err = apply(&p, "aws_s3_bucket", Some(&state), None)
        .await
        .expect_err("deleting a bucket with objects must fail");
    let text = err.to_string();
    assert!(
        text.contains("bucket skel-full is not empty: 3 objects"),
        "{text}"
    );
    assert!(text.contains("set force_destroy = true"), "{text}");
    assert!(
        matches!(err, ProviderError::Conflict { .. }),
        "a conflict: {err:?}"
    );
    // Nothing was lost: the bucket and its objects are still there.
    assert!(bucket_exists(&api, "skel-full").await);
    assert_eq!(versions(&api, "skel-full").await.len(), 3);
    assert!(p.read("aws_s3_bucket", &state).await.unwrap().is_some());
}

#[tokio::test]
async fn force_destroy_deletes_every_version_and_delete_marker() {
    let _m = moto();
    let p = provider();
    let api = s3().await;
    let name = "skel-versions";
    let state = create(
        &p,
        "aws_s3_bucket",
        &bucket_config(name, vec![("force_destroy", Value::Bool(true))]),
    )
    .await;
    api.put_bucket_versioning()
        .bucket(name)
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .expect("PutBucketVersioning");
    for body in ["1", "2", "3"] {
        put(&api, name, "a.txt", body).await;
    }
    put(&api, name, "b.txt", "b").await;
    api.delete_object()
        .bucket(name)
        .key("b.txt")
        .send()
        .await
        .expect("DeleteObject");
    let before = versions(&api, name).await;
    assert_eq!(before.len(), 5, "{before:?}");
    assert_eq!(before.iter().filter(|v| v.2).count(), 1, "{before:?}");
    destroy(&p, "aws_s3_bucket", &state).await;
    assert!(!bucket_exists(&api, name).await);
}

#[tokio::test]
async fn force_destroy_empties_more_than_one_page() {
    let _m = moto();
    let p = provider();
    let api = s3().await;
    let name = "skel-many";
    let state = create(
        &p,
        "aws_s3_bucket",
        &bucket_config(name, vec![("force_destroy", Value::Bool(true))]),
    )
    .await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..1005 {
        let api = api.clone();
        tasks.spawn(async move { put(&api, name, &format!("k/{i:04}"), "x").await });
        if tasks.len() >= 32 {
            tasks.join_next().await.unwrap().unwrap();
        }
    }
    while let Some(t) = tasks.join_next().await {
        t.unwrap();
    }
    assert_eq!(versions(&api, name).await.len(), 1005);
    let before = p.api_call_counts();
    destroy(&p, "aws_s3_bucket", &state).await;
    assert!(!bucket_exists(&api, name).await);
    assert_eq!(calls_since(&p, "DeleteObjects", &before), 2);
}

#[tokio::test]
async fn generated_names_derive_from_the_token_and_recovery_finds_the_bucket() {
    let _m = moto();
    let p = provider();
    let api = s3().await;
    let suffix: String = TOKEN.replace('-', "").chars().take(26).collect();
    for (cfg, expected) in [
        (
            config("aws_s3_bucket", vec![]),
            format!("terraform-{suffix}"),
        ),
        (
            config("aws_s3_bucket", vec![("bucket_prefix", s("logs-"))]),
            format!("logs-{suffix}"),
        ),
    ] {
        let planned = plan(&p, "aws_s3_bucket", None, &cfg).await.planned;
        assert!(!get(&planned, "bucket").is_known(), "{planned:?}");
        let state = create_with_token(&p, "aws_s3_bucket", &cfg, TOKEN).await;
        assert_eq!(str_of(&state, "bucket"), expected);
        assert_eq!(str_of(&state, "id"), expected);
        assert!(bucket_exists(&api, &expected).await);
        // A crash after the create: recovery computes the name again and reads the bucket.
        let found = p
            .recover(RecoverRequest {
                type_name: "aws_s3_bucket",
                planned: &planned,
                address: "aws_s3_bucket.generated",
                token: Some(TOKEN),
            })
            .await
            .expect("recover")
            .expect("found");
        assert_eq!(found, state);
        // Another token made nothing.
        let none = p
            .recover(RecoverRequest {
                type_name: "aws_s3_bucket",
                planned: &planned,
                address: "aws_s3_bucket.generated",
                token: Some("11111111-2222-3333-4444-555555555555"),
            })
            .await
            .expect("recover");
        assert_eq!(none, None);
        destroy(&p, "aws_s3_bucket", &state).await;
    }
}

#[tokio::test]
async fn computed_attributes_and_import() {
    let _m = moto();
    let p = provider();
    let state = create(
        &p,
        "aws_s3_bucket",
        &bucket_config("skel-attrs", vec![("tags", tags(&[("Name", "attrs")]))]),
    )
    .await;
    for (attr, value) in [
        ("id", "skel-attrs"),
        ("arn", "arn:aws:s3:::skel-attrs"),
        ("bucket_domain_name", "skel-attrs.s3.amazonaws.com"),
        (
            "bucket_regional_domain_name",
            "skel-attrs.s3.us-east-1.amazonaws.com",
        ),
        ("hosted_zone_id", "Z3AQBSTGFYJSTF"),
        ("region", "us-east-1"),
        ("bucket_region", "us-east-1"),
    ] {
        assert_eq!(str_of(&state, attr), value, "{attr}");
    }
    assert_eq!(get(&state, "object_lock_enabled"), &Value::Bool(false));
    assert_eq!(
        get(&state, "tags_all"),
        &tags(&[("Name", "attrs"), ("Team", "infra")])
    );
    let imported = p
        .import("aws_s3_bucket", "skel-attrs")
        .await
        .expect("import");
    assert_eq!(get(&imported, "tags"), &tags(&[("Name", "attrs")]));
    assert_eq!(get(&imported, "force_destroy"), &Value::Bool(false));
    let missing = p.import("aws_s3_bucket", "skel-nope").await.unwrap_err();
    assert!(missing.to_string().contains("does not exist"), "{missing}");
}

#[tokio::test]
async fn object_lock_is_set_at_creation() {
    let _m = moto();
    let p = provider();
    let state = create(
        &p,
        "aws_s3_bucket",
        &bucket_config(
            "skel-locked",
            vec![("object_lock_enabled", Value::Bool(true))],
        ),
    )
    .await;
    assert_eq!(get(&state, "object_lock_enabled"), &Value::Bool(true));
    let r = plan(
        &p,
        "aws_s3_bucket",
        Some(&state),
        &bucket_config(
            "skel-locked",
            vec![("object_lock_enabled", Value::Bool(false))],
        ),
    )
    .await;
    assert_eq!(
        r.requires_replace,
        vec![vec!["object_lock_enabled".to_string()]]
    );
}
