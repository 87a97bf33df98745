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

/// moto 5.2.5 answers GetBucketVersioning with the root element `GetBucketVersioningResponse`
/// where S3 (and the SDK's parser) has `VersioningConfiguration`, so the SDK cannot read any
/// versioning status from it. This relay on 127.0.0.1 forwards every request to moto on
/// `port` and renames that root element in the answer, nothing else; its URL is the endpoint
/// the S3 tests use. (A moto quirk worked around in the tests only: the provider reads what
/// S3 sends.)
pub fn versioning_relay(port: u16) -> String {
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    fn relay(mut client: TcpStream, port: u16) -> std::io::Result<()> {
        // The request head, with `Connection: close` so moto's answer ends at EOF.
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            if client.read(&mut byte)? == 0 {
                return Ok(());
            }
            head.push(byte[0]);
        }
        let text = String::from_utf8_lossy(&head);
        let mut lines: Vec<&str> = text
            .split("\r\n")
            .filter(|l| !l.is_empty() && !l.to_ascii_lowercase().starts_with("connection:"))
            .collect();
        lines.push("Connection: close");
        let mut upstream = TcpStream::connect(("127.0.0.1", port))?;
        upstream.write_all(format!("{}\r\n\r\n", lines.join("\r\n")).as_bytes())?;
        // The request body, as it comes.
        let (mut from, mut to) = (client.try_clone()?, upstream.try_clone()?);
        std::thread::spawn(move || std::io::copy(&mut from, &mut to));
        let mut answer = Vec::new();
        upstream.read_to_end(&mut answer)?;
        const WRONG: &str = "GetBucketVersioningResponse";
        let split = answer.windows(4).position(|w| w == b"\r\n\r\n");
        if let Some(at) = split {
            let body = String::from_utf8_lossy(&answer[at + 4..]).to_string();
            if body.contains(WRONG) {
                let body = body.replace(WRONG, "VersioningConfiguration");
                let head = String::from_utf8_lossy(&answer[..at]).to_string();
                let head: Vec<String> = head
                    .split("\r\n")
                    .map(|l| {
                        if l.to_ascii_lowercase().starts_with("content-length:") {
                            format!("Content-Length: {}", body.len())
                        } else {
                            l.to_string()
                        }
                    })
                    .collect();
                answer = format!("{}\r\n\r\n{body}", head.join("\r\n")).into_bytes();
            }
        }
        client.write_all(&answer)?;
        client.shutdown(std::net::Shutdown::Both)
    }
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind the relay");
    let url = format!("http://{}", listener.local_addr().expect("relay address"));
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || relay(stream, port));
        }
    });
    url
}

static RELAY: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Points the SDK (the provider's and the tests' clients) at the versioning relay in front of
/// moto on `port`; call it right after `support::moto()`.
pub fn use_relay(port: u16) {
    let url = RELAY.get_or_init(|| versioning_relay(port));
    std::env::set_var("AWS_ENDPOINT_URL", url);
}
