//! A wait that fails after a create: the provider returns `NotReady` with the object read
//! back, so the engine records it. moto answers through a proxy that rewrites the instance
//! state the waiter sees.

mod support;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use support::*;

/// A proxy to moto on `upstream` that, in the answers to the first `times` requests of
/// `action`, replaces `from` with `to`; every other exchange passes through unchanged.
struct Rewriter {
    url: String,
    rewritten: Arc<AtomicUsize>,
}

fn start_rewriter(
    upstream: u16,
    action: &'static str,
    from: &'static str,
    to: &'static str,
    times: usize,
) -> Rewriter {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let rewritten = Arc::new(AtomicUsize::new(0));
    let count = rewritten.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            let count = count.clone();
            std::thread::spawn(move || {
                let _ = exchange(conn, upstream, action, from, to, times, &count);
            });
        }
    });
    Rewriter { url, rewritten }
}

/// Reads one HTTP message head (through the blank line) and its `Content-Length` body.
fn read_request(conn: &mut TcpStream) -> std::io::Result<(String, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        if conn.read(&mut byte)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&buf).to_string();
    let len = header(&head, "content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    conn.read_exact(&mut body)?;
    Ok((head, body))
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// Head lines without the ones this proxy sets itself.
fn kept_lines(head: &str) -> impl Iterator<Item = &str> {
    head.split("\r\n").skip(1).filter(|l| {
        let k = l
            .split(':')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        !l.is_empty()
            && !["connection", "content-length", "transfer-encoding"].contains(&k.as_str())
    })
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = data.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size = usize::from_str_radix(
            String::from_utf8_lossy(&data[..eol])
                .split(';')
                .next()
                .unwrap_or("0")
                .trim(),
            16,
        )
        .unwrap_or(0);
        if size == 0 || data.len() < eol + 2 + size {
            return out;
        }
        out.extend_from_slice(&data[eol + 2..eol + 2 + size]);
        data = &data[(eol + 4 + size).min(data.len())..];
    }
}

#[allow(clippy::too_many_arguments)]
fn exchange(
    mut conn: TcpStream,
    upstream: u16,
    action: &str,
    from: &str,
    to: &str,
    times: usize,
    count: &AtomicUsize,
) -> std::io::Result<()> {
    let (head, body) = read_request(&mut conn)?;
    let request_line = head.split("\r\n").next().unwrap_or_default();
    let mut up = TcpStream::connect(("127.0.0.1", upstream))?;
    let mut out = format!("{request_line}\r\n");
    for l in kept_lines(&head) {
        out.push_str(l);
        out.push_str("\r\n");
    }
    out.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    up.write_all(out.as_bytes())?;
    up.write_all(&body)?;
    let mut answer = Vec::new();
    up.read_to_end(&mut answer)?;
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| i + 4)
        .unwrap_or(answer.len());
    let rhead = String::from_utf8_lossy(&answer[..split]).to_string();
    let mut rbody = answer[split..].to_vec();
    if header(&rhead, "transfer-encoding").is_some_and(|v| v.contains("chunked")) {
        rbody = dechunk(&rbody);
    }
    let wanted = String::from_utf8_lossy(&body).contains(&format!("Action={action}&"));
    if wanted && count.load(Ordering::SeqCst) < times {
        let text = String::from_utf8_lossy(&rbody).to_string();
        if text.contains(from) {
            count.fetch_add(1, Ordering::SeqCst);
            rbody = text.replace(from, to).into_bytes();
        }
    }
    let status_line = rhead.split("\r\n").next().unwrap_or_default();
    let mut back = format!("{status_line}\r\n");
    for l in kept_lines(&rhead) {
        back.push_str(l);
        back.push_str("\r\n");
    }
    back.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        rbody.len()
    ));
    conn.write_all(back.as_bytes())?;
    conn.write_all(&rbody)?;
    conn.flush()
}

fn instance_config(ami: &str) -> Value {
    config(
        "aws_instance",
        vec![
            ("ami", s(ami)),
            ("instance_type", s("t3.micro")),
            ("tags", tags(&[("Name", "not-ready")])),
        ],
    )
}

/// The instances moto has, by id, with their state.
async fn instances_in_moto() -> BTreeMap<String, String> {
    let out = ec2()
        .await
        .describe_instances()
        .send()
        .await
        .expect("describe");
    out.reservations()
        .iter()
        .flat_map(|r| r.instances())
        .filter_map(|i| {
            Some((
                i.instance_id()?.to_string(),
                i.state()?.name()?.as_str().to_string(),
            ))
        })
        .collect()
}

#[tokio::test]
async fn instance_whose_wait_fails_is_returned_as_not_ready() {
    let moto = moto();
    let port = moto.1;
    let ami = ubuntu(&provider()).await;
    // The waiter's first DescribeInstances sees `stopping`, a failure state for "running".
    let proxy = start_rewriter(
        port,
        "DescribeInstances",
        "<name>running</name>",
        "<name>stopping</name>",
        1,
    );
    let p = AwsProvider::with_endpoint_url(&Value::Null, &proxy.url).expect("provider");
    let cfg = instance_config(&ami);
    let planned = plan(&p, "aws_instance", None, &cfg).await.planned;
    let err = apply(&p, "aws_instance", None, Some(&planned))
        .await
        .expect_err("the wait must fail");
    assert_eq!(proxy.rewritten.load(Ordering::SeqCst), 1);
    let ProviderError::NotReady { object, message } = err else {
        panic!("expected NotReady, got {err:?}");
    };
    eprintln!("NotReady: {message}");
    let id = str_of(&object, "id");
    assert!(id.starts_with("i-"), "{object:?}");
    // The object is the real one, read back after the failed wait.
    let seen = instances_in_moto().await;
    assert_eq!(
        seen.get(&id).map(String::as_str),
        Some("running"),
        "{seen:?}"
    );
    assert_eq!(str_of(&object, "instance_state"), "running");
    assert_eq!(str_of(&object, "ami"), ami);
    assert!(object.is_known(), "{object:?}");
    assert!(
        message.starts_with("creating aws_instance aws_instance.test: aws_instance `")
            && message.contains(&id)
            && message.contains(
                "did not become running (it reached a state from which it cannot become running"
            )
            && message.contains("AWS reports it as running")
            && message.contains("check it in the AWS console"),
        "{message}"
    );
    // The engine would record it; a read finds it.
    let read = p.read("aws_instance", &object).await.expect("read");
    assert_eq!(read.map(|r| str_of(&r, "id")), Some(id));
}

#[tokio::test]
async fn instance_gone_after_a_failed_wait_is_a_plain_error() {
    let moto = moto();
    let port = moto.1;
    let ami = ubuntu(&provider()).await;
    // Every DescribeInstances says `terminated`: the waiter fails and the read-back finds
    // nothing to record, so the wait's own error is returned.
    let proxy = start_rewriter(
        port,
        "DescribeInstances",
        "<name>running</name>",
        "<name>terminated</name>",
        usize::MAX,
    );
    let p = AwsProvider::with_endpoint_url(&Value::Null, &proxy.url).expect("provider");
    let planned = plan(&p, "aws_instance", None, &instance_config(&ami))
        .await
        .planned;
    let err = apply(&p, "aws_instance", None, Some(&planned))
        .await
        .expect_err("the wait must fail");
    assert!(proxy.rewritten.load(Ordering::SeqCst) >= 2);
    match err {
        ProviderError::Api(m) => assert!(
            m.starts_with(
                "creating aws_instance aws_instance.test: waiting until it is running failed"
            ),
            "{m}"
        ),
        other => panic!("expected a plain API error, got {other:?}"),
    }
}
