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

/// The configuration of setting `ty` of bucket `bucket`.
fn setting(ty: &str, bucket: &str, extra: Vec<(&str, Value)>) -> Value {
    let mut values = vec![("bucket", s(bucket))];
    values.extend(extra);
    config(ty, values)
}

fn versioning(status: &str) -> Value {
    Value::List(vec![obj(vec![
        ("status", s(status)),
        ("mfa_delete", Value::Null),
    ])])
}

fn policy(bucket: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"read","Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::123456789012:root"}},"Action":["s3:GetObject"],"Resource":"arn:aws:s3:::{bucket}/*"}}]}}"#
    )
}

/// One bucket with all four settings.
async fn bucket_with_settings(p: &AwsProvider, name: &str) -> Vec<(&'static str, Value)> {
    let bucket = create(
        p,
        "aws_s3_bucket",
        &bucket_config(name, vec![("tags", tags(&[("Name", name)]))]),
    )
    .await;
    let mut out = vec![("aws_s3_bucket", bucket)];
    let sse = Value::set(vec![obj(vec![
        (
            "apply_server_side_encryption_by_default",
            Value::List(vec![obj(vec![
                ("sse_algorithm", s("AES256")),
                ("kms_master_key_id", Value::Null),
            ])]),
        ),
        ("bucket_key_enabled", Value::Bool(false)),
    ])]);
    for (ty, extra) in [
        (
            "aws_s3_bucket_versioning",
            vec![("versioning_configuration", versioning("Enabled"))],
        ),
        (
            "aws_s3_bucket_server_side_encryption_configuration",
            vec![("rule", sse)],
        ),
        (
            "aws_s3_bucket_public_access_block",
            vec![
                ("block_public_acls", Value::Bool(true)),
                ("block_public_policy", Value::Bool(true)),
            ],
        ),
        ("aws_s3_bucket_policy", vec![("policy", s(&policy(name)))]),
    ] {
        out.push((ty, create(p, ty, &setting(ty, name, extra)).await));
    }
    out
}

#[tokio::test]
async fn a_no_op_refresh_of_a_bucket_and_its_four_settings_costs_six_calls() {
    let moto = moto();
    s3_support::use_relay(moto.1);
    let p = provider();
    let objects = bucket_with_settings(&p, "skel-refresh").await;
    let before = p.api_call_counts();
    for (ty, state) in &objects {
        let read = p.read(ty, state).await.expect("read").expect("exists");
        assert_eq!(&read, state, "{ty}");
    }
    let after = p.api_call_counts();
    let spent: BTreeMap<String, u64> = after
        .iter()
        .map(|(op, n)| (op.clone(), n - before.get(op).copied().unwrap_or(0)))
        .filter(|(_, n)| *n > 0)
        .collect();
    let expected: BTreeMap<String, u64> = [
        "GetBucketTagging",
        "GetObjectLockConfiguration",
        "GetBucketVersioning",
        "GetBucketEncryption",
        "GetPublicAccessBlock",
        "GetBucketPolicy",
    ]
    .iter()
    .map(|op| (op.to_string(), 1))
    .collect();
    assert_eq!(spent, expected);
}

#[tokio::test]
async fn every_setting_is_gone_with_its_bucket() {
    let moto = moto();
    s3_support::use_relay(moto.1);
    let p = provider();
    let api = s3().await;
    let objects = bucket_with_settings(&p, "skel-gone").await;
    api.delete_bucket()
        .bucket("skel-gone")
        .send()
        .await
        .expect("DeleteBucket");
    for (ty, state) in &objects {
        assert_eq!(p.read(ty, state).await.expect("read"), None, "{ty}");
        // Destroying what is already gone succeeds.
        assert_eq!(
            apply(&p, ty, Some(state), None).await.expect("delete"),
            Value::Null,
            "{ty}"
        );
    }
}

#[tokio::test]
async fn a_policy_is_compared_as_json_not_as_text() {
    let _m = moto();
    let p = provider();
    create(&p, "aws_s3_bucket", &bucket_config("skel-policy", vec![])).await;
    let ty = "aws_s3_bucket_policy";
    let state = create(
        &p,
        ty,
        &setting(
            ty,
            "skel-policy",
            vec![("policy", s(&policy("skel-policy")))],
        ),
    )
    .await;
    // The same document, formatted and ordered differently, with a one-item list as its item.
    let same = r#"{
  "Statement": [
    {
      "Resource": "arn:aws:s3:::skel-policy/*",
      "Principal": {"AWS": ["arn:aws:iam::123456789012:root"]},
      "Effect": "Allow",
      "Action": "s3:GetObject",
      "Sid": "read"
    }
  ],
  "Version": "2012-10-17"
}
"#;
    let r = plan(
        &p,
        ty,
        Some(&state),
        &setting(ty, "skel-policy", vec![("policy", s(same))]),
    )
    .await;
    assert_eq!(r.planned, state, "a reformatted policy is no change");
    // A different document is a change.
    let other = policy("skel-policy").replace("s3:GetObject", "s3:PutObject");
    let r = plan(
        &p,
        ty,
        Some(&state),
        &setting(ty, "skel-policy", vec![("policy", s(&other))]),
    )
    .await;
    assert_eq!(str_of(&r.planned, "policy"), other);
    // S3 storing the document in another form is not drift either.
    s3().await
        .put_bucket_policy()
        .bucket("skel-policy")
        .policy(same)
        .send()
        .await
        .expect("PutBucketPolicy");
    let read = p.read(ty, &state).await.expect("read").expect("exists");
    assert_eq!(read, state);
    // Text that is not JSON is refused before any call.
    let bad = plan(
        &p,
        ty,
        Some(&state),
        &setting(ty, "skel-policy", vec![("policy", s("{not json"))]),
    )
    .await;
    let err = apply(&p, ty, Some(&state), Some(&bad.planned))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not valid JSON"), "{err}");
}

#[tokio::test]
async fn destroying_versioning_suspends_it_and_disabled_means_never_versioned() {
    let moto = moto();
    s3_support::use_relay(moto.1);
    let p = provider();
    let api = s3().await;
    let ty = "aws_s3_bucket_versioning";
    create(&p, "aws_s3_bucket", &bucket_config("skel-ver", vec![])).await;
    // Disabled on a bucket that was never versioned: nothing to set, and it reads back.
    let disabled = create(
        &p,
        ty,
        &setting(
            ty,
            "skel-ver",
            vec![("versioning_configuration", versioning("Disabled"))],
        ),
    )
    .await;
    let status = || async {
        api.get_bucket_versioning()
            .bucket("skel-ver")
            .send()
            .await
            .expect("GetBucketVersioning")
            .status()
            .map(|s| s.as_str().to_string())
    };
    assert_eq!(status().await, None);
    let enabled_cfg = setting(
        ty,
        "skel-ver",
        vec![("versioning_configuration", versioning("Enabled"))],
    );
    let enabled = update(&p, ty, &disabled, &enabled_cfg).await;
    assert_eq!(status().await.as_deref(), Some("Enabled"));
    // Back to Disabled is impossible, and the error says what to do instead.
    let back = plan(
        &p,
        ty,
        Some(&enabled),
        &setting(
            ty,
            "skel-ver",
            vec![("versioning_configuration", versioning("Disabled"))],
        ),
    )
    .await;
    let err = apply(&p, ty, Some(&enabled), Some(&back.planned))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("Suspended"), "{err}");
    assert_eq!(status().await.as_deref(), Some("Enabled"));
    // Destroy suspends.
    assert_eq!(
        apply(&p, ty, Some(&enabled), None).await.expect("delete"),
        Value::Null
    );
    assert_eq!(status().await.as_deref(), Some("Suspended"));
    // A bucket without a versioning status has no versioning resource to import.
    create(&p, "aws_s3_bucket", &bucket_config("skel-plain", vec![])).await;
    let err = p.import(ty, "skel-plain").await.unwrap_err();
    assert!(err.to_string().contains("does not exist"), "{err}");
}

fn md5_hex(bytes: &[u8]) -> String {
    use md5::{Digest, Md5};
    Md5::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::test]
async fn a_source_file_is_put_again_when_its_etag_changes_and_metadata_is_copied_in_place() {
    let _m = moto();
    let p = provider();
    let api = s3().await;
    let ty = "aws_s3_object";
    create(&p, "aws_s3_bucket", &bucket_config("skel-objects", vec![])).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("artefact.txt");
    std::fs::write(&file, "one").unwrap();
    let cfg = |etag: &str, meta: &str| {
        setting(
            ty,
            "skel-objects",
            vec![
                ("key", s("artefact.txt")),
                ("source", s(file.to_str().unwrap())),
                ("etag", s(etag)),
                ("metadata", tags(&[("build", meta)])),
            ],
        )
    };
    let state = create(&p, ty, &cfg(&md5_hex(b"one"), "1")).await;
    assert_eq!(str_of(&state, "etag"), md5_hex(b"one"));
    // The file changes; with the same configuration nothing is planned (as in Terraform).
    std::fs::write(&file, "two!").unwrap();
    let same = plan(&p, ty, Some(&state), &cfg(&md5_hex(b"one"), "1")).await;
    assert_eq!(same.planned, state);
    // etag = filemd5(...) changes with it: the object is put again.
    let before = p.api_call_counts();
    let state = update(&p, ty, &state, &cfg(&md5_hex(b"two!"), "1")).await;
    assert_eq!(calls_since(&p, "PutObject", &before), 1);
    let body = api
        .get_object()
        .bucket("skel-objects")
        .key("artefact.txt")
        .send()
        .await
        .unwrap()
        .body
        .collect()
        .await
        .unwrap()
        .into_bytes();
    assert_eq!(&body[..], b"two!");
    // Metadata alone: copied onto itself, not put again; the content stays.
    let before = p.api_call_counts();
    let state = update(&p, ty, &state, &cfg(&md5_hex(b"two!"), "2")).await;
    assert_eq!(calls_since(&p, "PutObject", &before), 0);
    assert_eq!(calls_since(&p, "CopyObject", &before), 1);
    assert_eq!(get(&state, "metadata"), &tags(&[("build", "2")]));
    assert_eq!(str_of(&state, "etag"), md5_hex(b"two!"));
    // A missing source file is a clear error, not a panic.
    let gone = dir.path().join("missing.txt");
    let mut bad = cfg("x", "2");
    if let Value::Object(m) = &mut bad {
        m.insert("source".into(), s(gone.to_str().unwrap()));
        m.insert("key".into(), s("other.txt"));
    }
    let planned = plan(&p, ty, None, &bad).await.planned;
    let err = apply(&p, ty, None, Some(&planned)).await.unwrap_err();
    assert!(
        err.to_string().contains("cannot read the source file"),
        "{err}"
    );
}

/// moto 5.2.5 answers GetBucketVersioning with a root element S3 does not use
/// (`GetBucketVersioningResponse`, which the SDK's parser refuses); the provider reads such an
/// answer by its content, as AWS's other SDKs do, so versioning works against plain moto — no
/// relay in front of it here.
#[tokio::test]
async fn versioning_is_read_from_plain_moto() {
    let moto = moto();
    std::env::set_var("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{}", moto.1));
    let p = provider();
    let api = s3().await;
    let ty = "aws_s3_bucket_versioning";
    let bucket = "skel-plain-versioning";
    create(&p, "aws_s3_bucket", &bucket_config(bucket, vec![])).await;
    let cfg = setting(
        ty,
        bucket,
        vec![("versioning_configuration", versioning("Enabled"))],
    );
    // `create` reads the setting back and compares it with what was applied.
    let state = create(&p, ty, &cfg).await;
    let read = p.read(ty, &state).await.expect("read").expect("exists");
    let status = |v: &Value| {
        get(v, "versioning_configuration")
            .as_sequence()
            .and_then(|s| s.first().cloned())
            .map(|b| get(&b, "status").clone())
    };
    assert_eq!(status(&read), Some(s("Enabled")));
    assert_eq!(plan(&p, ty, Some(&read), &cfg).await.planned, read);
    // What S3 does is what the read said: two writes of one key are two versions.
    put(&api, bucket, "k", "one").await;
    put(&api, bucket, "k", "two").await;
    assert_eq!(versions(&api, bucket).await.len(), 2);
    // Suspended by the destroy, read back as such.
    assert_eq!(
        apply(&p, ty, Some(&read), None).await.expect("delete"),
        Value::Null
    );
    let imported = p
        .import(ty, bucket)
        .await
        .expect("import the suspended setting");
    assert_eq!(status(&imported), Some(s("Suspended")));
}
