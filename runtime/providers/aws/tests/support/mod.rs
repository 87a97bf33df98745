//! Shared by the moto test binaries: one moto server per binary (scripts/moto, stopped when
//! the binary exits), tests serialized and moto reset for each, plan/apply/read helpers that
//! check every step the way the engine would.
#![allow(dead_code, unused_imports)]

pub use skel_value::ValueMap;
pub use std::collections::BTreeMap;
pub use std::path::PathBuf;
pub use std::process::Command;
pub use std::sync::{Mutex, MutexGuard, OnceLock};
pub use std::time::{Duration, Instant};

pub use skel_provider::{ApplyRequest, PlanRequest, PlanResponse, Provider, ProviderError};
pub use skel_provider_aws::AwsProvider;
pub use skel_value::Value;

pub mod lifecycle;
pub mod recorder;
pub use recorder::Recorder;

pub struct Moto {
    pub port: u16,
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../..")
}

pub fn start_moto() -> Moto {
    let dir = tempfile::Builder::new()
        .prefix("skel-moto")
        .tempdir()
        .expect("temp dir")
        .keep();
    let out = Command::new(repo().join("scripts/moto"))
        .arg("start")
        .arg(&dir)
        .env("SKEL_MOTO_PARENT", std::process::id().to_string())
        .output()
        .expect("run scripts/moto");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let port = stdout
        .lines()
        .find_map(|l| l.strip_prefix("PORT="))
        .and_then(|p| p.trim().parse().ok());
    match port {
        Some(port) if out.status.success() => Moto { port },
        _ => panic!(
            "could not start moto: {}\nInstall it with: python3 -m venv .venv-moto && .venv-moto/bin/pip install 'moto[server]==5.2.5' (scripts/moto does this; it needs python3 with venv and access to PyPI)",
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

pub static MOTO: OnceLock<Moto> = OnceLock::new();
pub static SERIAL: Mutex<()> = Mutex::new(());

/// Starts moto once, points the SDK at it, serializes tests and resets moto for each.
pub fn moto() -> (MutexGuard<'static, ()>, u16) {
    let m = MOTO.get_or_init(|| {
        let m = start_moto();
        std::env::set_var("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{}", m.port));
        std::env::set_var("AWS_REGION", "us-east-1");
        std::env::set_var("AWS_ACCESS_KEY_ID", "test");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "test");
        std::env::set_var("AWS_MAX_ATTEMPTS", "1");
        std::env::remove_var("AWS_PROFILE");
        m
    });
    let guard = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let status = Command::new(repo().join("scripts/moto"))
        .args(["reset", &m.port.to_string()])
        .status()
        .expect("reset moto");
    assert!(status.success(), "moto reset failed");
    (guard, m.port)
}

pub fn obj(pairs: Vec<(&str, Value)>) -> Value {
    Value::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

pub fn s(v: &str) -> Value {
    Value::string(v)
}

pub fn n(v: i64) -> Value {
    Value::number(v)
}

pub fn tags(pairs: &[(&str, &str)]) -> Value {
    Value::Map(pairs.iter().map(|(k, v)| (k.to_string(), s(v))).collect())
}

pub fn get<'a>(v: &'a Value, k: &str) -> &'a Value {
    static NULL: Value = Value::Null;
    v.as_mapping().and_then(|m| m.get(k)).unwrap_or(&NULL)
}

pub fn str_of(v: &Value, k: &str) -> String {
    get(v, k).as_str().unwrap_or_default().to_string()
}

/// How many `op` calls `p` has made since `before` (an [`AwsProvider::api_call_counts`]).
pub fn calls_since(p: &AwsProvider, op: &str, before: &BTreeMap<String, u64>) -> u64 {
    p.api_calls(op) - before.get(op).copied().unwrap_or(0)
}

pub fn provider() -> AwsProvider {
    AwsProvider::new(&obj(vec![(
        "default_tags",
        Value::List(vec![obj(vec![("tags", tags(&[("Team", "infra")]))])]),
    )]))
    .expect("provider")
}

/// The configuration as the engine gives it: every attribute and block of the schema.
pub fn config(ty: &str, values: Vec<(&str, Value)>) -> Value {
    let schema = skel_schema::resource(ty).expect("schema");
    let mut m: ValueMap = ValueMap::new();
    for (name, attr) in &schema.block.attributes {
        if attr.is_argument() {
            let d = attr
                .default
                .as_ref()
                .map(Value::from_json)
                .unwrap_or(Value::Null);
            m.insert(
                name.clone(),
                skel_value::convert(&d, &attr.ty).unwrap_or(Value::Null),
            );
        }
    }
    for (name, b) in &schema.block.blocks {
        m.insert(
            name.clone(),
            match b.nesting {
                // None written of a `computed` block type: null (an empty list would be
                // `ingress = []`, managing none).
                _ if b.computed => Value::Null,
                skel_schema::Nesting::Set => Value::Set(Vec::new()),
                _ => Value::List(Vec::new()),
            },
        );
    }
    for (k, v) in values {
        m.insert(k.to_string(), v);
    }
    Value::Object(m)
}

pub async fn plan(
    p: &AwsProvider,
    ty: &str,
    prior: Option<&Value>,
    config: &Value,
) -> PlanResponse {
    p.plan(PlanRequest {
        type_name: ty,
        prior,
        config,
    })
    .await
    .expect("plan")
}

pub async fn apply(
    p: &AwsProvider,
    ty: &str,
    prior: Option<&Value>,
    planned: Option<&Value>,
) -> Result<Value, ProviderError> {
    p.apply(ApplyRequest {
        type_name: ty,
        prior,
        planned,
        address: &format!("{ty}.test"),
        token: None,
    })
    .await
}

pub async fn create(p: &AwsProvider, ty: &str, config: &Value) -> Value {
    let r = plan(p, ty, None, config).await;
    let state = apply(p, ty, None, Some(&r.planned)).await.expect("create");
    assert!(
        state.is_known(),
        "{ty}: applied object has unknowns: {state:?}"
    );
    // Refresh and re-plan: no drift, no change.
    let read = p.read(ty, &state).await.expect("read").expect("exists");
    assert_eq!(read, state, "{ty}: read differs from the applied object");
    let again = plan(p, ty, Some(&read), config).await;
    assert_eq!(again.planned, read, "{ty}: re-plan is not a no-op");
    assert!(again.requires_replace.is_empty());
    state
}

/// Plans and applies an in-place update; returns the new state (read back and stable).
pub async fn update(p: &AwsProvider, ty: &str, prior: &Value, config: &Value) -> Value {
    let r = plan(p, ty, Some(prior), config).await;
    assert!(
        r.requires_replace.is_empty(),
        "{ty}: unexpected replacement {:?}",
        r.requires_replace
    );
    assert_ne!(&r.planned, prior, "{ty}: the update plans no change");
    let state = apply(p, ty, Some(prior), Some(&r.planned))
        .await
        .expect("update");
    let read = p.read(ty, &state).await.expect("read").expect("exists");
    assert_eq!(read, state, "{ty}: read after update differs");
    assert_eq!(plan(p, ty, Some(&read), config).await.planned, read);
    state
}

pub async fn destroy(p: &AwsProvider, ty: &str, state: &Value) {
    assert_eq!(
        apply(p, ty, Some(state), None).await.expect("delete"),
        Value::Null
    );
    assert_eq!(
        p.read(ty, state).await.expect("read after delete"),
        None,
        "{ty} still exists"
    );
}

/// Checks that a replacement is planned for `path` and that import finds the object.
pub async fn replace_and_import(
    p: &AwsProvider,
    ty: &str,
    state: &Value,
    config: &Value,
    path: &str,
) {
    let r = plan(p, ty, Some(state), config).await;
    assert!(
        r.requires_replace.iter().any(|x| x.join(".") == path),
        "{ty}: expected replacement at {path}, got {:?}",
        r.requires_replace
    );
    let id = str_of(state, "id");
    let imported = p.import(ty, &id).await.expect("import");
    assert_eq!(str_of(&imported, "id"), id);
}

pub async fn ec2() -> aws_sdk_ec2::Client {
    let cfg = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await;
    aws_sdk_ec2::Client::new(&cfg)
}

pub async fn r53() -> aws_sdk_route53::Client {
    let cfg = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await;
    aws_sdk_route53::Client::new(&cfg)
}

pub fn tag_of(tags: &[aws_sdk_ec2::types::Tag], key: &str) -> Option<String> {
    tags.iter()
        .find(|t| t.key() == Some(key))
        .and_then(|t| t.value())
        .map(str::to_string)
}

pub async fn vpc(p: &AwsProvider, cidr: &str) -> Value {
    create(
        p,
        "aws_vpc",
        &config("aws_vpc", vec![("cidr_block", s(cidr))]),
    )
    .await
}

/// A subnet `cidr` of VPC `vpc_id`, in `az` when given.
pub async fn subnet(p: &AwsProvider, vpc_id: &str, cidr: &str, az: Option<&str>) -> Value {
    let mut values = vec![("vpc_id", s(vpc_id)), ("cidr_block", s(cidr))];
    if let Some(az) = az {
        values.push(("availability_zone", s(az)));
    }
    create(p, "aws_subnet", &config("aws_subnet", values)).await
}

/// A Route 53 zone `name` that may be destroyed with its records.
pub async fn zone(p: &AwsProvider, name: &str) -> Value {
    create(
        p,
        "aws_route53_zone",
        &config(
            "aws_route53_zone",
            vec![("name", s(name)), ("force_destroy", Value::Bool(true))],
        ),
    )
    .await
}

/// Every record set of zone `zone_id`, as the API lists them (one page).
pub async fn record_sets(zone_id: &str) -> Vec<aws_sdk_route53::types::ResourceRecordSet> {
    r53()
        .await
        .list_resource_record_sets()
        .hosted_zone_id(zone_id)
        .send()
        .await
        .expect("ListResourceRecordSets")
        .resource_record_sets()
        .to_vec()
}

/// A root block device of `size` GiB (every attribute of the block, as the engine gives it).
pub fn root_volume(size: i64) -> Value {
    Value::List(vec![obj(vec![
        ("volume_size", n(size)),
        ("volume_type", Value::Null),
        ("encrypted", Value::Null),
        ("kms_key_id", Value::Null),
        ("delete_on_termination", Value::Bool(true)),
        ("iops", Value::Null),
        ("throughput", Value::Null),
        ("tags", Value::Null),
        ("volume_id", Value::Null),
        ("device_name", Value::Null),
    ])])
}

pub const PUBLIC_KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAID6OBvzQ/91A2z/Trx9IB5QbSXD3fXbBBhMjT5T24b+2 skel-demo";

pub async fn ubuntu(p: &AwsProvider) -> String {
    let schema = skel_schema::data_source("aws_ami").unwrap();
    let _ = schema;
    let cfg = obj(vec![
        ("owners", Value::List(vec![s("099720109477")])),
        ("most_recent", Value::Bool(true)),
        (
            "filter",
            Value::set(vec![obj(vec![
                ("name", s("name")),
                (
                    "values",
                    Value::List(vec![s(
                        "ubuntu/images/hvm-ssd/ubuntu-xenial-16.04-amd64-server-*",
                    )]),
                ),
            ])]),
        ),
    ]);
    let ami = p.read_data("aws_ami", &cfg).await.expect("ami");
    str_of(&ami, "id")
}

/// A stand-in AWS endpoint on 127.0.0.1 that answers every request with one canned response
/// (an AWS error document, or an HTML page for an unimplemented call) and counts the requests.
pub struct FakeAws {
    pub url: String,
    pub requests: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    pub bodies: std::sync::Arc<Mutex<Vec<String>>>,
}

impl FakeAws {
    /// Answers `status` with `body` (`content_type`) until the test binary exits.
    pub fn start(status: u16, content_type: &'static str, body: String) -> FakeAws {
        use std::io::{BufRead, BufReader, Read, Write};
        use std::sync::atomic::Ordering;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let requests = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let bodies = std::sync::Arc::new(Mutex::new(Vec::new()));
        let (count, seen) = (requests.clone(), bodies.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                let mut length = 0usize;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                }
                let mut request = vec![0u8; length];
                let _ = reader.read_exact(&mut request);
                count.fetch_add(1, Ordering::SeqCst);
                if let Ok(mut b) = seen.lock() {
                    b.push(String::from_utf8_lossy(&request).into_owned());
                }
                let reply = format!(
                    "HTTP/1.1 {status} Canned\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(reply.as_bytes());
            }
        });
        FakeAws {
            url,
            requests,
            bodies,
        }
    }

    /// An EC2 (query protocol) error document with `code`.
    pub fn ec2_error(status: u16, code: &str) -> FakeAws {
        FakeAws::start(
            status,
            "text/xml",
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>{code}</Code><Message>canned {code} answer</Message></Error></Errors><RequestID>00000000-0000-0000-0000-000000000000</RequestID></Response>"
            ),
        )
    }

    pub fn requests(&self) -> usize {
        self.requests.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// Where an instance test launches: a VPC (`PREFIX.0.0/16`), one subnet in it
/// (`PREFIX.1.0/24`) and the Ubuntu AMI.
pub struct Site {
    pub vpc: Value,
    pub subnet: Value,
    pub ami: String,
}

pub async fn site(p: &AwsProvider, prefix: &str) -> Site {
    let vpc = vpc(p, &format!("{prefix}.0.0/16")).await;
    let subnet = subnet(p, &str_of(&vpc, "id"), &format!("{prefix}.1.0/24"), None).await;
    let ami = ubuntu(p).await;
    Site { vpc, subnet, ami }
}

impl Site {
    /// Destroys the subnet and the VPC (the test's instances first).
    pub async fn destroy(&self, p: &AwsProvider) {
        destroy(p, "aws_subnet", &self.subnet).await;
        destroy(p, "aws_vpc", &self.vpc).await;
    }
}
