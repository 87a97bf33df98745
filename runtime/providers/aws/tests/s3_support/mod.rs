//! What the S3 test binaries share: an SDK client on moto and the API's view of buckets and
//! objects, independent of the provider.
#![allow(dead_code)]

/// An S3 client on moto (path-style addressing, as moto needs).
pub async fn s3() -> aws_sdk_s3::Client {
    let cfg = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await;
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&cfg)
            .force_path_style(true)
            .build(),
    )
}

/// Whether bucket `name` exists.
pub async fn bucket_exists(s3: &aws_sdk_s3::Client, name: &str) -> bool {
    match s3.head_bucket().bucket(name).send().await {
        Ok(_) => true,
        Err(e) if e.raw_response().map(|r| r.status().as_u16()) == Some(404) => false,
        Err(e) => panic!("HeadBucket {name}: {e:?}"),
    }
}

/// Every object version and delete marker of bucket `name` as (key, version id, is a delete
/// marker), all pages.
pub async fn versions(s3: &aws_sdk_s3::Client, name: &str) -> Vec<(String, String, bool)> {
    let mut out = Vec::new();
    let (mut key_marker, mut version_marker) = (None, None);
    loop {
        let page = s3
            .list_object_versions()
            .bucket(name)
            .set_key_marker(key_marker.take())
            .set_version_id_marker(version_marker.take())
            .send()
            .await
            .expect("ListObjectVersions");
        for v in page.versions() {
            out.push((
                v.key().unwrap_or_default().to_string(),
                v.version_id().unwrap_or_default().to_string(),
                false,
            ));
        }
        for m in page.delete_markers() {
            out.push((
                m.key().unwrap_or_default().to_string(),
                m.version_id().unwrap_or_default().to_string(),
                true,
            ));
        }
        if page.is_truncated() != Some(true) {
            return out;
        }
        key_marker = page.next_key_marker().map(str::to_string);
        version_marker = page.next_version_id_marker().map(str::to_string);
    }
}

/// Puts object `key` with `body` into bucket `name`.
pub async fn put(s3: &aws_sdk_s3::Client, name: &str, key: &str, body: &str) {
    s3.put_object()
        .bucket(name)
        .key(key)
        .body(aws_sdk_s3::primitives::ByteStream::from(
            body.as_bytes().to_vec(),
        ))
        .send()
        .await
        .unwrap_or_else(|e| panic!("PutObject {name}/{key}: {e:?}"));
}
