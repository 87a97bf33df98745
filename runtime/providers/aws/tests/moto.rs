//! The AWS provider against moto 5.2.5 (started with scripts/moto): every resource created,
//! read, updated in place, replaced, deleted out of band, imported and destroyed, checked
//! through the SDK; batched refresh; error paths.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use skel_provider::{ApplyRequest, PlanRequest, PlanResponse, Provider, ProviderError};
use skel_provider_aws::AwsProvider;
use skel_value::Value;

struct Moto {
    port: u16,
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../..")
}

fn start_moto() -> Moto {
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

static MOTO: OnceLock<Moto> = OnceLock::new();
static SERIAL: Mutex<()> = Mutex::new(());

/// Starts moto once, points the SDK at it, serializes tests and resets moto for each.
fn moto() -> (MutexGuard<'static, ()>, u16) {
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

fn obj(pairs: Vec<(&str, Value)>) -> Value {
    Value::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

fn s(v: &str) -> Value {
    Value::string(v)
}

fn n(v: i64) -> Value {
    Value::number(v)
}

fn tags(pairs: &[(&str, &str)]) -> Value {
    Value::Map(pairs.iter().map(|(k, v)| (k.to_string(), s(v))).collect())
}

fn get<'a>(v: &'a Value, k: &str) -> &'a Value {
    static NULL: Value = Value::Null;
    v.as_mapping().and_then(|m| m.get(k)).unwrap_or(&NULL)
}

fn str_of(v: &Value, k: &str) -> String {
    get(v, k).as_str().unwrap_or_default().to_string()
}

fn provider() -> AwsProvider {
    AwsProvider::new(&obj(vec![(
        "default_tags",
        Value::List(vec![obj(vec![("tags", tags(&[("Team", "infra")]))])]),
    )]))
    .expect("provider")
}

/// The configuration as the engine gives it: every attribute and block of the schema.
fn config(ty: &str, values: Vec<(&str, Value)>) -> Value {
    let schema = skel_schema::resource(ty).expect("schema");
    let mut m: BTreeMap<String, Value> = BTreeMap::new();
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

async fn plan(p: &AwsProvider, ty: &str, prior: Option<&Value>, config: &Value) -> PlanResponse {
    p.plan(PlanRequest {
        type_name: ty,
        prior,
        config,
    })
    .await
    .expect("plan")
}

async fn apply(
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
    })
    .await
}

async fn create(p: &AwsProvider, ty: &str, config: &Value) -> Value {
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
async fn update(p: &AwsProvider, ty: &str, prior: &Value, config: &Value) -> Value {
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

async fn destroy(p: &AwsProvider, ty: &str, state: &Value) {
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
async fn replace_and_import(p: &AwsProvider, ty: &str, state: &Value, config: &Value, path: &str) {
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

async fn ec2() -> aws_sdk_ec2::Client {
    let cfg = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await;
    aws_sdk_ec2::Client::new(&cfg)
}

async fn r53() -> aws_sdk_route53::Client {
    let cfg = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await;
    aws_sdk_route53::Client::new(&cfg)
}

fn tag_of(tags: &[aws_sdk_ec2::types::Tag], key: &str) -> Option<String> {
    tags.iter()
        .find(|t| t.key() == Some(key))
        .and_then(|t| t.value())
        .map(str::to_string)
}

async fn vpc(p: &AwsProvider, cidr: &str) -> Value {
    create(
        p,
        "aws_vpc",
        &config("aws_vpc", vec![("cidr_block", s(cidr))]),
    )
    .await
}

#[tokio::test]
async fn vpc_lifecycle() {
    let _m = moto();
    let p = provider();
    let sdk = ec2().await;
    let cfg = config(
        "aws_vpc",
        vec![
            ("cidr_block", s("10.1.0.0/16")),
            ("enable_dns_hostnames", Value::Bool(true)),
            ("tags", tags(&[("Name", "one")])),
        ],
    );
    let state = create(&p, "aws_vpc", &cfg).await;
    let id = str_of(&state, "id");
    assert!(id.starts_with("vpc-"));
    assert_eq!(
        get(&state, "tags_all"),
        &tags(&[("Name", "one"), ("Team", "infra")])
    );
    let seen = sdk.describe_vpcs().vpc_ids(&id).send().await.unwrap();
    let v = &seen.vpcs()[0];
    assert_eq!(v.cidr_block(), Some("10.1.0.0/16"));
    assert_eq!(tag_of(v.tags(), "Name").as_deref(), Some("one"));
    assert_eq!(tag_of(v.tags(), "Team").as_deref(), Some("infra"));
    assert_eq!(
        tag_of(v.tags(), "skel:address").as_deref(),
        Some("aws_vpc.test")
    );
    assert!(get(&state, "main_route_table_id")
        .as_str()
        .is_some_and(|r| r.starts_with("rtb-")));

    let cfg2 = config(
        "aws_vpc",
        vec![
            ("cidr_block", s("10.1.0.0/16")),
            ("enable_dns_hostnames", Value::Bool(false)),
            ("tags", tags(&[("Name", "two")])),
        ],
    );
    let state = update(&p, "aws_vpc", &state, &cfg2).await;
    let attr = sdk
        .describe_vpc_attribute()
        .vpc_id(&id)
        .attribute(aws_sdk_ec2::types::VpcAttributeName::EnableDnsHostnames)
        .send()
        .await
        .unwrap();
    assert_eq!(
        attr.enable_dns_hostnames().and_then(|b| b.value()),
        Some(false)
    );
    let seen = sdk.describe_vpcs().vpc_ids(&id).send().await.unwrap();
    assert_eq!(
        tag_of(seen.vpcs()[0].tags(), "Name").as_deref(),
        Some("two")
    );

    // Drift: a tag changed out of band shows in the refreshed state and the plan.
    sdk.create_tags()
        .resources(&id)
        .tags(
            aws_sdk_ec2::types::Tag::builder()
                .key("Name")
                .value("drift")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let read = p.read("aws_vpc", &state).await.unwrap().unwrap();
    assert_eq!(get(&read, "tags"), &tags(&[("Name", "drift")]));
    assert_ne!(plan(&p, "aws_vpc", Some(&read), &cfg2).await.planned, read);

    let cfg3 = config("aws_vpc", vec![("cidr_block", s("10.2.0.0/16"))]);
    replace_and_import(&p, "aws_vpc", &state, &cfg3, "cidr_block").await;
    let imported = p.import("aws_vpc", &id).await.unwrap();
    assert_eq!(get(&imported, "cidr_block"), &s("10.1.0.0/16"));
    assert_eq!(get(&imported, "tags"), &tags(&[("Name", "drift")]));

    // Recovery after a crash finds the VPC by its address tag.
    let found = p
        .recover(
            "aws_vpc",
            &plan(&p, "aws_vpc", None, &cfg).await.planned,
            "aws_vpc.test",
        )
        .await
        .unwrap();
    assert_eq!(found.map(|f| str_of(&f, "id")), Some(id.clone()));
    assert_eq!(
        p.recover("aws_vpc", &Value::Null, "aws_vpc.other")
            .await
            .unwrap(),
        None
    );

    // Deleted out of band: read says gone.
    sdk.delete_vpc().vpc_id(&id).send().await.unwrap();
    assert_eq!(p.read("aws_vpc", &state).await.unwrap(), None);
    // Destroying what is already gone succeeds.
    assert_eq!(
        apply(&p, "aws_vpc", Some(&state), None).await.unwrap(),
        Value::Null
    );

    let other = vpc(&p, "10.3.0.0/16").await;
    destroy(&p, "aws_vpc", &other).await;
    assert!(sdk
        .describe_vpcs()
        .vpc_ids(str_of(&other, "id"))
        .send()
        .await
        .is_err());
}

#[tokio::test]
async fn batch_refresh_is_one_call() {
    let _m = moto();
    let p = provider();
    let mut states = Vec::new();
    for i in 0..5 {
        states.push(vpc(&p, &format!("10.{}.0.0/16", 10 + i)).await);
    }
    let before = p.api_calls("DescribeVpcs");
    let read = p.read_batch("aws_vpc", &states).await.unwrap();
    assert_eq!(
        p.api_calls("DescribeVpcs") - before,
        1,
        "{:?}",
        p.api_call_counts()
    );
    assert_eq!(read, states.iter().cloned().map(Some).collect::<Vec<_>>());
    eprintln!(
        "batch read of 5 VPCs: DescribeVpcs calls = 1; all calls so far: {:?}",
        p.api_call_counts()
    );

    // One gone: the batch falls back to per-id reads and reports just that one.
    ec2()
        .await
        .delete_vpc()
        .vpc_id(str_of(&states[2], "id"))
        .send()
        .await
        .unwrap();
    let read = p.read_batch("aws_vpc", &states).await.unwrap();
    assert_eq!(read.iter().filter(|r| r.is_none()).count(), 1);
    assert!(read[2].is_none());
}

#[tokio::test]
async fn network_stack_lifecycle() {
    let _m = moto();
    let p = provider();
    let sdk = ec2().await;
    let v = vpc(&p, "10.5.0.0/16").await;
    let vpc_id = str_of(&v, "id");

    // Subnet.
    let scfg = |public: bool, az: &str| {
        config(
            "aws_subnet",
            vec![
                ("vpc_id", s(&vpc_id)),
                ("cidr_block", s("10.5.1.0/24")),
                ("availability_zone", s(az)),
                ("map_public_ip_on_launch", Value::Bool(public)),
            ],
        )
    };
    let subnet = create(&p, "aws_subnet", &scfg(false, "us-east-1a")).await;
    let subnet_id = str_of(&subnet, "id");
    let subnet = update(&p, "aws_subnet", &subnet, &scfg(true, "us-east-1a")).await;
    let seen = sdk
        .describe_subnets()
        .subnet_ids(&subnet_id)
        .send()
        .await
        .unwrap();
    assert_eq!(seen.subnets()[0].map_public_ip_on_launch(), Some(true));
    replace_and_import(
        &p,
        "aws_subnet",
        &subnet,
        &scfg(true, "us-east-1b"),
        "availability_zone",
    )
    .await;

    // Internet gateway: attach, move to another VPC in place.
    let other = vpc(&p, "10.6.0.0/16").await;
    let gcfg = |vpc: &str| config("aws_internet_gateway", vec![("vpc_id", s(vpc))]);
    let igw = create(&p, "aws_internet_gateway", &gcfg(&vpc_id)).await;
    let igw_id = str_of(&igw, "id");
    let igw = update(
        &p,
        "aws_internet_gateway",
        &igw,
        &gcfg(&str_of(&other, "id")),
    )
    .await;
    let seen = sdk
        .describe_internet_gateways()
        .internet_gateway_ids(&igw_id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        seen.internet_gateways()[0].attachments()[0].vpc_id(),
        Some(str_of(&other, "id").as_str())
    );
    let igw = update(&p, "aws_internet_gateway", &igw, &gcfg(&vpc_id)).await;
    assert!(p.import("aws_internet_gateway", &igw_id).await.is_ok());

    // Route table with an inline route; add a second route in place.
    let route = |cidr: &str| obj(vec![("cidr_block", s(cidr)), ("gateway_id", s(&igw_id))]);
    let rcfg = |routes: Vec<Value>| {
        config(
            "aws_route_table",
            vec![("vpc_id", s(&vpc_id)), ("route", Value::set(routes))],
        )
    };
    let rt = create(&p, "aws_route_table", &rcfg(vec![route("0.0.0.0/0")])).await;
    let rt_id = str_of(&rt, "id");
    let rt = update(
        &p,
        "aws_route_table",
        &rt,
        &rcfg(vec![route("0.0.0.0/0"), route("192.168.0.0/16")]),
    )
    .await;
    let seen = sdk
        .describe_route_tables()
        .route_table_ids(&rt_id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        seen.route_tables()[0]
            .routes()
            .iter()
            .filter(|r| r.gateway_id() == Some(igw_id.as_str()))
            .count(),
        2
    );
    replace_and_import(
        &p,
        "aws_route_table",
        &rt,
        &config(
            "aws_route_table",
            vec![("vpc_id", s(&str_of(&other, "id")))],
        ),
        "vpc_id",
    )
    .await;

    // Association, then moved to another table in place.
    let acfg = |table: &str| {
        config(
            "aws_route_table_association",
            vec![("route_table_id", s(table)), ("subnet_id", s(&subnet_id))],
        )
    };
    let assoc = create(&p, "aws_route_table_association", &acfg(&rt_id)).await;
    let rt2 = create(&p, "aws_route_table", &rcfg(vec![])).await;
    let assoc = update(
        &p,
        "aws_route_table_association",
        &assoc,
        &acfg(&str_of(&rt2, "id")),
    )
    .await;
    let seen = sdk
        .describe_route_tables()
        .route_table_ids(str_of(&rt2, "id"))
        .send()
        .await
        .unwrap();
    assert!(seen.route_tables()[0]
        .associations()
        .iter()
        .any(|a| a.subnet_id() == Some(subnet_id.as_str())));
    let imported = p
        .import(
            "aws_route_table_association",
            &format!("{subnet_id}/{}", str_of(&rt2, "id")),
        )
        .await
        .unwrap();
    assert_eq!(str_of(&imported, "id"), str_of(&assoc, "id"));

    // Network ACL with rules and the subnet.
    let rule = |no: i64, port: i64| {
        obj(vec![
            ("rule_no", n(no)),
            ("action", s("allow")),
            ("protocol", s("tcp")),
            ("from_port", n(port)),
            ("to_port", n(port)),
            ("cidr_block", s("0.0.0.0/0")),
            ("ipv6_cidr_block", Value::Null),
            ("icmp_type", Value::Null),
            ("icmp_code", Value::Null),
        ])
    };
    let ncfg = |rules: Vec<Value>| {
        config(
            "aws_network_acl",
            vec![
                ("vpc_id", s(&vpc_id)),
                ("subnet_ids", Value::set(vec![s(&subnet_id)])),
                ("ingress", Value::set(rules)),
                (
                    "egress",
                    Value::set(vec![obj(vec![
                        ("rule_no", n(100)),
                        ("action", s("allow")),
                        ("protocol", s("-1")),
                        ("from_port", n(0)),
                        ("to_port", n(0)),
                        ("cidr_block", s("0.0.0.0/0")),
                        ("ipv6_cidr_block", Value::Null),
                        ("icmp_type", Value::Null),
                        ("icmp_code", Value::Null),
                    ])]),
                ),
            ],
        )
    };
    let acl = create(&p, "aws_network_acl", &ncfg(vec![rule(100, 22)])).await;
    let acl_id = str_of(&acl, "id");
    let acl = update(
        &p,
        "aws_network_acl",
        &acl,
        &ncfg(vec![rule(100, 22), rule(110, 443)]),
    )
    .await;
    let seen = sdk
        .describe_network_acls()
        .network_acl_ids(&acl_id)
        .send()
        .await
        .unwrap();
    let a = &seen.network_acls()[0];
    assert!(a
        .entries()
        .iter()
        .any(|e| e.rule_number() == Some(110) && e.egress() == Some(false)));
    assert!(a
        .associations()
        .iter()
        .any(|x| x.subnet_id() == Some(subnet_id.as_str())));
    assert!(p.import("aws_network_acl", &acl_id).await.is_ok());

    // Destroy in dependency order, each checked through the SDK.
    destroy(&p, "aws_network_acl", &acl).await;
    destroy(&p, "aws_route_table_association", &assoc).await;
    destroy(&p, "aws_route_table", &rt2).await;
    destroy(&p, "aws_route_table", &rt).await;
    destroy(&p, "aws_internet_gateway", &igw).await;
    assert!(sdk
        .describe_internet_gateways()
        .internet_gateway_ids(&igw_id)
        .send()
        .await
        .is_err());
    destroy(&p, "aws_subnet", &subnet).await;
    // Out-of-band delete of a subnet reads as gone.
    let again = create(&p, "aws_subnet", &scfg(false, "us-east-1c")).await;
    sdk.delete_subnet()
        .subnet_id(str_of(&again, "id"))
        .send()
        .await
        .unwrap();
    assert_eq!(p.read("aws_subnet", &again).await.unwrap(), None);
    destroy(&p, "aws_vpc", &v).await;
    destroy(&p, "aws_vpc", &other).await;
}

fn sg_rule(port: i64, desc: &str) -> Value {
    obj(vec![
        ("from_port", n(port)),
        ("to_port", n(port)),
        ("protocol", s("tcp")),
        ("cidr_blocks", Value::List(vec![s("0.0.0.0/0")])),
        ("ipv6_cidr_blocks", Value::Null),
        ("prefix_list_ids", Value::Null),
        ("security_groups", Value::Null),
        ("self", Value::Bool(false)),
        ("description", s(desc)),
    ])
}

fn all_egress() -> Value {
    obj(vec![
        ("from_port", n(0)),
        ("to_port", n(0)),
        ("protocol", s("-1")),
        ("cidr_blocks", Value::List(vec![s("0.0.0.0/0")])),
        ("ipv6_cidr_blocks", Value::Null),
        ("prefix_list_ids", Value::Null),
        ("security_groups", Value::Null),
        ("self", Value::Bool(false)),
        ("description", s("All outbound traffic")),
    ])
}

#[tokio::test]
async fn security_group_lifecycle() {
    let _m = moto();
    let p = provider();
    let sdk = ec2().await;
    let v = vpc(&p, "10.7.0.0/16").await;
    let cfg = |rules: Vec<Value>| {
        config(
            "aws_security_group",
            vec![
                ("name_prefix", s("web-")),
                ("vpc_id", s(&str_of(&v, "id"))),
                ("ingress", Value::set(rules)),
                ("egress", Value::set(vec![all_egress()])),
            ],
        )
    };
    let sg = create(&p, "aws_security_group", &cfg(vec![sg_rule(22, "SSH")])).await;
    let id = str_of(&sg, "id");
    assert!(str_of(&sg, "name").starts_with("web-"));
    let sg = update(
        &p,
        "aws_security_group",
        &sg,
        &cfg(vec![sg_rule(22, "SSH"), sg_rule(80, "HTTP")]),
    )
    .await;
    let seen = sdk
        .describe_security_groups()
        .group_ids(&id)
        .send()
        .await
        .unwrap();
    let g = &seen.security_groups()[0];
    let ports: Vec<i32> = g
        .ip_permissions()
        .iter()
        .filter_map(|x| x.from_port())
        .collect();
    assert!(ports.contains(&22) && ports.contains(&80), "{ports:?}");
    assert_eq!(g.ip_permissions_egress().len(), 1);
    let sg = update(
        &p,
        "aws_security_group",
        &sg,
        &cfg(vec![sg_rule(80, "HTTP")]),
    )
    .await;
    let seen = sdk
        .describe_security_groups()
        .group_ids(&id)
        .send()
        .await
        .unwrap();
    assert!(seen.security_groups()[0]
        .ip_permissions()
        .iter()
        .all(|x| x.from_port() != Some(22)));
    let mut replaced = cfg(vec![]);
    if let Value::Object(m) = &mut replaced {
        m.insert("description".into(), s("another"));
    }
    replace_and_import(&p, "aws_security_group", &sg, &replaced, "description").await;
    sdk.delete_security_group()
        .group_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(p.read("aws_security_group", &sg).await.unwrap(), None);
    let sg2 = create(&p, "aws_security_group", &cfg(vec![])).await;
    destroy(&p, "aws_security_group", &sg2).await;
}

const PUBLIC_KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAID6OBvzQ/91A2z/Trx9IB5QbSXD3fXbBBhMjT5T24b+2 skel-demo";

async fn ubuntu(p: &AwsProvider) -> String {
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

#[tokio::test]
async fn compute_lifecycle() {
    let _m = moto();
    let p = provider();
    let sdk = ec2().await;

    // Key pair.
    let kcfg = |name: &str| {
        config(
            "aws_key_pair",
            vec![
                ("key_name", s(name)),
                ("public_key", s(PUBLIC_KEY)),
                ("tags", tags(&[("A", "1")])),
            ],
        )
    };
    let key = create(&p, "aws_key_pair", &kcfg("deployer")).await;
    assert_eq!(str_of(&key, "id"), "deployer");
    let mut kcfg2 = kcfg("deployer");
    if let Value::Object(m) = &mut kcfg2 {
        m.insert("tags".into(), tags(&[("A", "2")]));
    }
    let key = update(&p, "aws_key_pair", &key, &kcfg2).await;
    replace_and_import(&p, "aws_key_pair", &key, &kcfg("other"), "key_name").await;
    let seen = sdk
        .describe_key_pairs()
        .key_names("deployer")
        .send()
        .await
        .unwrap();
    assert_eq!(seen.key_pairs().len(), 1);

    // Instance in a public subnet.
    let v = vpc(&p, "10.8.0.0/16").await;
    let subnet = create(
        &p,
        "aws_subnet",
        &config(
            "aws_subnet",
            vec![
                ("vpc_id", s(&str_of(&v, "id"))),
                ("cidr_block", s("10.8.0.0/24")),
                ("availability_zone", s("us-east-1a")),
            ],
        ),
    )
    .await;
    let ami = ubuntu(&p).await;
    assert!(ami.starts_with("ami-"));
    let root = |size: i64| {
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
    };
    let icfg = |ty: &str, size: i64, name: &str| {
        config(
            "aws_instance",
            vec![
                ("ami", s(&ami)),
                ("instance_type", s(ty)),
                ("subnet_id", s(&str_of(&subnet, "id"))),
                ("key_name", s("deployer")),
                ("associate_public_ip_address", Value::Bool(true)),
                ("root_block_device", root(size)),
                ("tags", tags(&[("Name", name)])),
            ],
        )
    };
    let inst = create(&p, "aws_instance", &icfg("t3.micro", 16, "node")).await;
    let id = str_of(&inst, "id");
    assert!(get(&inst, "public_ip").as_str().is_some(), "{inst:?}");
    let vol_id = str_of(
        &get(&inst, "root_block_device").as_sequence().unwrap()[0],
        "volume_id",
    );
    let inst = update(&p, "aws_instance", &inst, &icfg("t3.small", 20, "node2")).await;
    let seen = sdk
        .describe_instances()
        .instance_ids(&id)
        .send()
        .await
        .unwrap();
    let i = &seen.reservations()[0].instances()[0];
    assert_eq!(i.instance_type().map(|t| t.as_str()), Some("t3.small"));
    assert_eq!(tag_of(i.tags(), "Name").as_deref(), Some("node2"));
    let vols = sdk
        .describe_volumes()
        .volume_ids(&vol_id)
        .send()
        .await
        .unwrap();
    assert_eq!(vols.volumes()[0].size(), Some(20));
    let mut other_ami = icfg("t3.small", 20, "node2");
    if let Value::Object(m) = &mut other_ami {
        m.insert("ami".into(), s("ami-00000000000000000"));
    }
    replace_and_import(&p, "aws_instance", &inst, &other_ami, "ami").await;

    // Volume and attachment.
    let vcfg = |size: i64| {
        config(
            "aws_ebs_volume",
            vec![("availability_zone", s("us-east-1a")), ("size", n(size))],
        )
    };
    let vol = create(&p, "aws_ebs_volume", &vcfg(10)).await;
    let vol = update(&p, "aws_ebs_volume", &vol, &vcfg(12)).await;
    let seen = sdk
        .describe_volumes()
        .volume_ids(str_of(&vol, "id"))
        .send()
        .await
        .unwrap();
    assert_eq!(seen.volumes()[0].size(), Some(12));
    replace_and_import(
        &p,
        "aws_ebs_volume",
        &vol,
        &config(
            "aws_ebs_volume",
            vec![("availability_zone", s("us-east-1b")), ("size", n(12))],
        ),
        "availability_zone",
    )
    .await;
    let att_cfg = config(
        "aws_volume_attachment",
        vec![
            ("device_name", s("/dev/sdh")),
            ("volume_id", s(&str_of(&vol, "id"))),
            ("instance_id", s(&id)),
        ],
    );
    let att = create(&p, "aws_volume_attachment", &att_cfg).await;
    let seen = sdk
        .describe_volumes()
        .volume_ids(str_of(&vol, "id"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        seen.volumes()[0].attachments()[0].instance_id(),
        Some(id.as_str())
    );
    assert!(p
        .import("aws_volume_attachment", &str_of(&att, "id"))
        .await
        .is_ok());
    destroy(&p, "aws_volume_attachment", &att).await;
    destroy(&p, "aws_ebs_volume", &vol).await;

    // Out-of-band termination reads as gone; destroy then succeeds.
    sdk.terminate_instances()
        .instance_ids(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(p.read("aws_instance", &inst).await.unwrap(), None);
    destroy(&p, "aws_instance", &inst).await;
    let inst2 = create(&p, "aws_instance", &icfg("t3.micro", 8, "again")).await;
    destroy(&p, "aws_instance", &inst2).await;
    let seen = sdk
        .describe_instances()
        .instance_ids(str_of(&inst2, "id"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        seen.reservations()[0].instances()[0]
            .state()
            .and_then(|s| s.name())
            .map(|n| n.as_str()),
        Some("terminated")
    );
    destroy(&p, "aws_key_pair", &key).await;
    sdk.describe_key_pairs()
        .key_names("deployer")
        .send()
        .await
        .expect_err("key pair gone");
}

#[tokio::test]
async fn eip_and_nat_lifecycle() {
    let _m = moto();
    let p = provider();
    let sdk = ec2().await;
    let v = vpc(&p, "10.9.0.0/16").await;
    let igw = create(
        &p,
        "aws_internet_gateway",
        &config(
            "aws_internet_gateway",
            vec![("vpc_id", s(&str_of(&v, "id")))],
        ),
    )
    .await;
    let subnet = create(
        &p,
        "aws_subnet",
        &config(
            "aws_subnet",
            vec![
                ("vpc_id", s(&str_of(&v, "id"))),
                ("cidr_block", s("10.9.0.0/24")),
                ("availability_zone", s("us-east-1a")),
            ],
        ),
    )
    .await;
    let ecfg = |name: &str| {
        config(
            "aws_eip",
            vec![("domain", s("vpc")), ("tags", tags(&[("Name", name)]))],
        )
    };
    let eip = create(&p, "aws_eip", &ecfg("a")).await;
    let eip = update(&p, "aws_eip", &eip, &ecfg("b")).await;
    let seen = sdk
        .describe_addresses()
        .allocation_ids(str_of(&eip, "id"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        tag_of(seen.addresses()[0].tags(), "Name").as_deref(),
        Some("b")
    );
    assert!(p.import("aws_eip", &str_of(&eip, "id")).await.is_ok());

    let ncfg = |name: &str| {
        config(
            "aws_nat_gateway",
            vec![
                ("subnet_id", s(&str_of(&subnet, "id"))),
                ("allocation_id", s(&str_of(&eip, "id"))),
                ("tags", tags(&[("Name", name)])),
            ],
        )
    };
    let nat = create(&p, "aws_nat_gateway", &ncfg("a")).await;
    let nat = update(&p, "aws_nat_gateway", &nat, &ncfg("b")).await;
    assert_eq!(get(&nat, "public_ip"), get(&eip, "public_ip"));
    let seen = sdk
        .describe_nat_gateways()
        .nat_gateway_ids(str_of(&nat, "id"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        tag_of(seen.nat_gateways()[0].tags(), "Name").as_deref(),
        Some("b")
    );
    replace_and_import(
        &p,
        "aws_nat_gateway",
        &nat,
        &config(
            "aws_nat_gateway",
            vec![
                ("subnet_id", s("subnet-other")),
                ("allocation_id", s(&str_of(&eip, "id"))),
            ],
        ),
        "subnet_id",
    )
    .await;
    let planned = plan(&p, "aws_nat_gateway", None, &ncfg("b")).await.planned;
    let found = p
        .recover("aws_nat_gateway", &planned, "aws_nat_gateway.test")
        .await
        .unwrap();
    assert_eq!(found.map(|f| str_of(&f, "id")), Some(str_of(&nat, "id")));
    destroy(&p, "aws_nat_gateway", &nat).await;
    destroy(&p, "aws_eip", &eip).await;
    assert!(sdk
        .describe_addresses()
        .allocation_ids(str_of(&eip, "id"))
        .send()
        .await
        .is_err());
    destroy(&p, "aws_subnet", &subnet).await;
    destroy(&p, "aws_internet_gateway", &igw).await;
    destroy(&p, "aws_vpc", &v).await;
}

#[tokio::test]
async fn route53_lifecycle() {
    let _m = moto();
    let p = provider();
    let sdk = r53().await;
    let zcfg = |comment: &str| {
        config(
            "aws_route53_zone",
            vec![
                ("name", s("example.test")),
                ("comment", s(comment)),
                ("force_destroy", Value::Bool(true)),
                ("tags", tags(&[("Env", "t")])),
            ],
        )
    };
    let zone = create(&p, "aws_route53_zone", &zcfg("one")).await;
    let zid = str_of(&zone, "zone_id");
    assert!(!get(&zone, "name_servers")
        .as_sequence()
        .unwrap_or(&[])
        .is_empty());
    let zone = update(&p, "aws_route53_zone", &zone, &zcfg("two")).await;
    let seen = sdk.get_hosted_zone().id(&zid).send().await.unwrap();
    assert_eq!(
        seen.hosted_zone()
            .and_then(|z| z.config())
            .and_then(|c| c.comment()),
        Some("two")
    );
    replace_and_import(
        &p,
        "aws_route53_zone",
        &zone,
        &config("aws_route53_zone", vec![("name", s("other.test"))]),
        "name",
    )
    .await;

    let rcfg = |ips: &[&str], ttl: i64| {
        config(
            "aws_route53_record",
            vec![
                ("zone_id", s(&zid)),
                ("name", s("www.example.test")),
                ("type", s("A")),
                ("ttl", n(ttl)),
                ("records", Value::set(ips.iter().map(|i| s(i)).collect())),
            ],
        )
    };
    let rec = create(
        &p,
        "aws_route53_record",
        &rcfg(&["10.0.0.1", "10.0.0.2"], 60),
    )
    .await;
    assert_eq!(str_of(&rec, "fqdn"), "www.example.test");
    let rec = update(&p, "aws_route53_record", &rec, &rcfg(&["10.0.0.3"], 300)).await;
    let sets = sdk
        .list_resource_record_sets()
        .hosted_zone_id(&zid)
        .send()
        .await
        .unwrap();
    let www: Vec<_> = sets
        .resource_record_sets()
        .iter()
        .filter(|r| r.name().starts_with("www"))
        .collect();
    assert_eq!(www.len(), 1);
    assert_eq!(www[0].ttl(), Some(300));
    assert_eq!(www[0].resource_records()[0].value(), "10.0.0.3");
    let mut renamed = rcfg(&["10.0.0.3"], 300);
    if let Value::Object(m) = &mut renamed {
        m.insert("name".into(), s("api.example.test"));
    }
    replace_and_import(&p, "aws_route53_record", &rec, &renamed, "name").await;
    let imported = p
        .import("aws_route53_record", &format!("{zid}_www.example.test_A"))
        .await
        .unwrap();
    assert_eq!(get(&imported, "ttl"), &n(300));
    destroy(&p, "aws_route53_record", &rec).await;
    let rec2 = create(&p, "aws_route53_record", &rcfg(&["10.0.0.9"], 60)).await;
    // The zone is deleted with its remaining record (force_destroy).
    destroy(&p, "aws_route53_zone", &zone).await;
    assert_eq!(p.read("aws_route53_record", &rec2).await.unwrap(), None);
    assert!(sdk.get_hosted_zone().id(&zid).send().await.is_err());
}

#[tokio::test]
async fn data_sources() {
    let _m = moto();
    let p = provider();
    let zones = p
        .read_data(
            "aws_availability_zones",
            &obj(vec![("state", s("available"))]),
        )
        .await
        .unwrap();
    let names = get(&zones, "names").as_sequence().unwrap().to_vec();
    assert!(
        names.contains(&s("us-east-1a")) && names.contains(&s("us-east-1b")),
        "{names:?}"
    );
    assert!(ubuntu(&p).await.starts_with("ami-"));
    let none = obj(vec![
        ("owners", Value::List(vec![s("099720109477")])),
        (
            "filter",
            Value::set(vec![obj(vec![
                ("name", s("name")),
                ("values", Value::List(vec![s("no-such-image-*")])),
            ])]),
        ),
    ]);
    let err = p.read_data("aws_ami", &none).await.unwrap_err();
    assert!(err.to_string().contains("no image matches"), "{err}");
}

#[tokio::test]
async fn invalid_cidr_is_a_clean_error() {
    let _m = moto();
    let p = provider();
    let cfg = config("aws_vpc", vec![("cidr_block", s("10.0.0.0/33"))]);
    let problems = p.validate("aws_vpc", &cfg);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains("not an IPv4 CIDR block"));
    // The API's own answer is also a one-line error naming the resource.
    let cfg = config("aws_vpc", vec![("cidr_block", s("10.0.0.0/8"))]);
    let planned = plan(&p, "aws_vpc", None, &cfg).await.planned;
    let err = apply(&p, "aws_vpc", None, Some(&planned))
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("aws_vpc.test") && text.contains("InvalidVpc.Range"),
        "{text}"
    );
    assert!(!text.contains('\n'));
}

#[tokio::test]
async fn unreachable_endpoint_fails_fast() {
    let _m = moto();
    // A port nothing listens on.
    let free = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let p =
        AwsProvider::with_endpoint_url(&Value::Null, &format!("http://127.0.0.1:{free}")).unwrap();
    let started = Instant::now();
    let state = obj(vec![("id", s("vpc-12345678"))]);
    let err = p.read("aws_vpc", &state).await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "took {:?}",
        started.elapsed()
    );
    assert!(matches!(err, ProviderError::Unreachable(_)), "{err:?}");
    assert!(err.to_string().contains("cannot be reached"), "{err}");
}

#[tokio::test]
async fn unimplemented_call_is_named() {
    let _m = moto();
    let p = provider();
    // moto answers HTTP 500 with an HTML body for calls it does not implement.
    let sdk = ec2().await;
    let r = sdk
        .monitor_instances()
        .instance_ids("i-12345678")
        .send()
        .await;
    let e = skel_provider_aws::error::AwsErr::from(r.unwrap_err())
        .into_provider("updating aws_instance.x");
    let text = e.to_string();
    assert!(
        text.starts_with("updating aws_instance.x: the endpoint answered HTTP 500"),
        "{text}"
    );
    assert!(!text.contains('\n'));
    drop(p);
}
