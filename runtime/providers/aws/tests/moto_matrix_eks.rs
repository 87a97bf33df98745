//! EKS against moto: `aws_eks_cluster` and `aws_eks_node_group` through the lifecycle matrix
//! (create, update in place, drift, import, out-of-band delete, replacement, destroy, each
//! checked through the EKS API), recovery after an interrupted create, the errors and waits,
//! and the data sources `aws_eks_cluster` and `aws_eks_cluster_auth`.
//!
//! moto 5.2.5 has no UpdateClusterVersion, DescribeUpdate or UpdateNodegroupVersion and its
//! clusters are ACTIVE at once; [`Proxy`] sits in front of it to answer those calls and to
//! show a cluster in another state, so the version upgrade and the failed wait are tested.
//! moto answers a node group created without `disk_size` with the size as a string (AWS: a
//! number), which the SDK cannot read, so the node groups here set it.

mod support;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;

use base64::Engine;
use skel_provider::RecoverRequest;
use support::lifecycle::{lifecycle, with, Case, Oracle, DRIFTED, UPDATED};
use support::*;

const ROLE: &str = "arn:aws:iam::123456789012:role/eks-cluster";
const NODE_ROLE: &str = "arn:aws:iam::123456789012:role/eks-nodes";

struct Deps {
    subnets: Vec<String>,
    /// A cluster made through the SDK for the node groups.
    cluster: String,
}

async fn deps(p: &AwsProvider) -> Deps {
    let vpc = str_of(&support::vpc(p, "10.90.0.0/16").await, "id");
    let mut subnets = Vec::new();
    for (i, az) in ["us-east-1a", "us-east-1b", "us-east-1c"]
        .iter()
        .enumerate()
    {
        let cidr = format!("10.90.{}.0/24", i + 1);
        subnets.push(str_of(
            &support::subnet(p, &vpc, &cidr, Some(az)).await,
            "id",
        ));
    }
    let cluster = "skel-ng-cluster".to_string();
    eks()
        .await
        .create_cluster()
        .name(&cluster)
        .role_arn(ROLE)
        .resources_vpc_config(
            aws_sdk_eks::types::VpcConfigRequest::builder()
                .set_subnet_ids(Some(subnets[..2].to_vec()))
                .build(),
        )
        .send()
        .await
        .expect("CreateCluster");
    Deps { subnets, cluster }
}

async fn eks() -> aws_sdk_eks::Client {
    let cfg = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await;
    aws_sdk_eks::Client::new(&cfg)
}

fn strs(items: &[&str]) -> Value {
    Value::set(items.iter().map(|x| s(x)).collect())
}

fn vpc_config(subnets: &[String]) -> Value {
    Value::List(vec![obj(vec![
        (
            "subnet_ids",
            Value::set(subnets.iter().map(|x| s(x)).collect()),
        ),
        ("security_group_ids", Value::Null),
        ("endpoint_private_access", Value::Bool(false)),
        ("endpoint_public_access", Value::Bool(true)),
        ("public_access_cidrs", Value::Null),
    ])])
}

fn cluster_config(name: &str, subnets: &[String]) -> Value {
    config(
        "aws_eks_cluster",
        vec![
            ("name", s(name)),
            ("role_arn", s(ROLE)),
            ("version", s("1.29")),
            ("vpc_config", vpc_config(subnets)),
            ("tags", tags(&[("Name", "a")])),
        ],
    )
}

fn scaling(desired: i64, max: i64, min: i64) -> Value {
    Value::List(vec![obj(vec![
        ("desired_size", n(desired)),
        ("max_size", n(max)),
        ("min_size", n(min)),
    ])])
}

fn node_group_config(d: &Deps, name: &str) -> Value {
    config(
        "aws_eks_node_group",
        vec![
            ("cluster_name", s(&d.cluster)),
            ("node_group_name", s(name)),
            ("node_role_arn", s(NODE_ROLE)),
            (
                "subnet_ids",
                Value::set(d.subnets[..2].iter().map(|x| s(x)).collect()),
            ),
            ("scaling_config", scaling(1, 3, 1)),
            ("disk_size", n(20)),
            ("labels", tags(&[("role", "a")])),
            ("tags", tags(&[("Name", "a")])),
        ],
    )
}

fn case(ty: &str, d: &Deps) -> Case {
    match ty {
        "aws_eks_cluster" => {
            let a = cluster_config("skel-matrix", &d.subnets[..2]);
            let b = with(
                &a,
                vec![
                    ("tags", tags(&[("Name", UPDATED)])),
                    ("enabled_cluster_log_types", strs(&["api", "audit"])),
                ],
            );
            let r = with(&b, vec![("vpc_config", vpc_config(&d.subnets[1..]))]);
            Case {
                replace_keeps_id: true,
                ..Case::new(
                    a,
                    Some((b, UPDATED.into())),
                    Some((r, "vpc_config.0.subnet_ids")),
                )
            }
        }
        "aws_eks_node_group" => {
            let a = node_group_config(d, "ng");
            let b = with(
                &a,
                vec![
                    ("scaling_config", scaling(2, 3, 1)),
                    ("labels", tags(&[("role", UPDATED)])),
                ],
            );
            let r = with(&b, vec![("node_group_name", s("ng2"))]);
            Case::new(a, Some((b, UPDATED.into())), Some((r, "node_group_name")))
        }
        other => panic!("no case for {other}"),
    }
}

/// The EKS API's own view of the objects.
struct Api {
    eks: aws_sdk_eks::Client,
}

fn gone<E: aws_sdk_eks::error::ProvideErrorMetadata>(e: &E) -> bool {
    e.code() == Some("ResourceNotFoundException")
}

#[async_trait::async_trait]
impl Oracle for Api {
    async fn describe(&self, ty: &str, state: &Value) -> Option<String> {
        let id = str_of(state, "id");
        match ty {
            "aws_eks_cluster" => match self.eks.describe_cluster().name(&id).send().await {
                Ok(out) => out.cluster().map(|c| format!("{c:?}")),
                Err(e) if gone(&e) => None,
                Err(e) => panic!("DescribeCluster: {e:?}"),
            },
            _ => {
                let (cluster, name) = id.split_once(':').expect("CLUSTER:NAME");
                match self
                    .eks
                    .describe_nodegroup()
                    .cluster_name(cluster)
                    .nodegroup_name(name)
                    .send()
                    .await
                {
                    Ok(out) => out.nodegroup().map(|n| format!("{n:?}")),
                    Err(e) if gone(&e) => None,
                    Err(e) => panic!("DescribeNodegroup: {e:?}"),
                }
            }
        }
    }

    async fn drift(&self, ty: &str, state: &Value) -> bool {
        if ty == "aws_eks_cluster" {
            self.eks
                .tag_resource()
                .resource_arn(str_of(state, "arn"))
                .tags("Name", DRIFTED)
                .send()
                .await
                .expect("TagResource");
        } else {
            let id = str_of(state, "id");
            let (cluster, name) = id.split_once(':').expect("CLUSTER:NAME");
            self.eks
                .update_nodegroup_config()
                .cluster_name(cluster)
                .nodegroup_name(name)
                .labels(
                    aws_sdk_eks::types::UpdateLabelsPayload::builder()
                        .add_or_update_labels("role", DRIFTED)
                        .build(),
                )
                .send()
                .await
                .expect("UpdateNodegroupConfig");
        }
        true
    }

    async fn delete(&self, ty: &str, state: &Value) {
        let id = str_of(state, "id");
        if ty == "aws_eks_cluster" {
            self.eks
                .delete_cluster()
                .name(&id)
                .send()
                .await
                .expect("DeleteCluster");
        } else {
            let (cluster, name) = id.split_once(':').expect("CLUSTER:NAME");
            self.eks
                .delete_nodegroup()
                .cluster_name(cluster)
                .nodegroup_name(name)
                .send()
                .await
                .expect("DeleteNodegroup");
        }
    }
}

async fn lifecycle_eks(ty: &'static str) {
    let _m = moto();
    let p = provider();
    let d = deps(&p).await;
    let api = Api { eks: eks().await };
    lifecycle(&p, &api, ty, case(ty, &d)).await;
}

lifecycle_tests! {
    lifecycle_eks;
    eks_cluster => "aws_eks_cluster",
    eks_node_group => "aws_eks_node_group",
}

#[tokio::test]
async fn a_cluster_shows_its_endpoint_certificate_identity_and_the_computed_attributes() {
    let _m = moto();
    let p = provider();
    let d = deps(&p).await;
    let state = create(
        &p,
        "aws_eks_cluster",
        &cluster_config("attrs", &d.subnets[..2]),
    )
    .await;
    assert_eq!(str_of(&state, "id"), "attrs");
    assert_eq!(
        str_of(&state, "arn"),
        "arn:aws:eks:us-east-1:123456789012:cluster/attrs"
    );
    assert!(
        str_of(&state, "endpoint").starts_with("https://"),
        "{state:?}"
    );
    assert_eq!(str_of(&state, "status"), "ACTIVE");
    assert_eq!(str_of(&state, "version"), "1.29");
    assert!(!str_of(&state, "platform_version").is_empty());
    let ca = get(&state, "certificate_authority")
        .as_sequence()
        .expect("list");
    assert!(str_of(&ca[0], "data").len() > 100, "{ca:?}");
    let identity = get(&state, "identity").as_sequence().expect("list");
    let oidc = get(&identity[0], "oidc").as_sequence().expect("list");
    assert!(str_of(&oidc[0], "issuer").starts_with("https://oidc.eks.us-east-1"));
    // The creation protocol's tags are on the cluster but never in the state.
    let seen = eks()
        .await
        .describe_cluster()
        .name("attrs")
        .send()
        .await
        .expect("DescribeCluster");
    let cluster_tags = seen.cluster().and_then(|c| c.tags()).expect("tags");
    assert_eq!(
        cluster_tags.get("skel:address").map(String::as_str),
        Some("aws_eks_cluster.test")
    );
    assert_eq!(cluster_tags.get("Team").map(String::as_str), Some("infra"));
    let all = get(&state, "tags_all").as_mapping().expect("map");
    assert!(all.keys().all(|k| !k.starts_with("skel:")), "{all:?}");
}

#[tokio::test]
async fn an_interrupted_create_is_found_by_its_name_and_token() {
    let _m = moto();
    let p = provider();
    let d = deps(&p).await;
    let cfg = cluster_config("crashed", &d.subnets[..2]);
    let planned = plan(&p, "aws_eks_cluster", None, &cfg).await.planned;
    let token = "0f0e0d0c-0b0a-4908-8706-050403020100";
    let request = |token| RecoverRequest {
        type_name: "aws_eks_cluster",
        planned: &planned,
        address: "aws_eks_cluster.main",
        token,
    };
    assert_eq!(
        p.recover(request(Some(token))).await.expect("recover"),
        None
    );
    p.apply(ApplyRequest {
        type_name: "aws_eks_cluster",
        prior: None,
        planned: Some(&planned),
        address: "aws_eks_cluster.main",
        token: Some(token),
    })
    .await
    .expect("create");
    let found = p
        .recover(request(Some(token)))
        .await
        .expect("recover")
        .expect("the cluster the create made");
    assert_eq!(str_of(&found, "id"), "crashed");
    assert!(str_of(&found, "endpoint").starts_with("https://"));
    let other = p
        .recover(request(Some("11111111-2222-4333-8444-555555555555")))
        .await
        .expect("recover");
    assert_eq!(other, None, "another create's token finds nothing");

    // A node group with a generated name: the name comes from the token.
    let mut ng = node_group_config(&d, "unused");
    if let Value::Object(m) = &mut ng {
        m.insert("node_group_name".into(), Value::Null);
        m.insert("node_group_name_prefix".into(), s("workers-"));
    }
    let planned = plan(&p, "aws_eks_node_group", None, &ng).await.planned;
    let made = p
        .apply(ApplyRequest {
            type_name: "aws_eks_node_group",
            prior: None,
            planned: Some(&planned),
            address: "aws_eks_node_group.workers",
            token: Some(token),
        })
        .await
        .expect("create node group");
    assert_eq!(
        str_of(&made, "id"),
        format!("{}:workers-0f0e0d0c0b0a49088706050403", d.cluster)
    );
    let found = p
        .recover(RecoverRequest {
            type_name: "aws_eks_node_group",
            planned: &planned,
            address: "aws_eks_node_group.workers",
            token: Some(token),
        })
        .await
        .expect("recover")
        .expect("found");
    assert_eq!(str_of(&found, "id"), str_of(&made, "id"));
}

#[tokio::test]
async fn a_cluster_with_node_groups_is_not_deleted_and_says_why() {
    let _m = moto();
    let p = provider();
    let d = deps(&p).await;
    let ng = create(&p, "aws_eks_node_group", &node_group_config(&d, "ng")).await;
    let cluster = p
        .import("aws_eks_cluster", &d.cluster)
        .await
        .expect("import the cluster");
    let e = apply(&p, "aws_eks_cluster", Some(&cluster), None)
        .await
        .expect_err("node groups remain");
    assert!(e.to_string().contains("still has node groups"), "{e}");
    destroy(&p, "aws_eks_node_group", &ng).await;
    destroy(&p, "aws_eks_cluster", &cluster).await;
    let bad = p
        .import("aws_eks_node_group", "no-colon")
        .await
        .expect_err("bad id");
    assert!(
        bad.to_string().contains("CLUSTER_NAME:NODE_GROUP_NAME"),
        "{bad}"
    );
    let missing = p
        .import("aws_eks_cluster", "missing")
        .await
        .expect_err("no such cluster");
    assert!(missing.to_string().contains("does not exist"), "{missing}");
}

#[tokio::test]
async fn the_data_sources_read_the_cluster_and_sign_a_token_for_it() {
    let _m = moto();
    let p = provider();
    let d = deps(&p).await;
    let c = p
        .read_data("aws_eks_cluster", &obj(vec![("name", s(&d.cluster))]))
        .await
        .expect("data.aws_eks_cluster");
    assert!(str_of(&c, "endpoint").starts_with("https://"), "{c:?}");
    let ca = get(&c, "certificate_authority")
        .as_sequence()
        .expect("list");
    assert!(!str_of(&ca[0], "data").is_empty());
    let vpc = get(&c, "vpc_config").as_sequence().expect("list");
    assert_eq!(
        get(&vpc[0], "subnet_ids").as_sequence().map(<[Value]>::len),
        Some(2)
    );
    assert_eq!(str_of(&c, "role_arn"), ROLE);
    let missing = p
        .read_data("aws_eks_cluster", &obj(vec![("name", s("missing"))]))
        .await
        .expect_err("no such cluster");
    assert!(
        missing
            .to_string()
            .contains("there is no EKS cluster of that name"),
        "{missing}"
    );

    let schema = skel_schema::data_source("aws_eks_cluster_auth").expect("schema");
    assert!(
        schema.block.attributes["token"].sensitive,
        "the token is sensitive"
    );
    let auth = p
        .read_data("aws_eks_cluster_auth", &obj(vec![("name", s(&d.cluster))]))
        .await
        .expect("data.aws_eks_cluster_auth");
    let token = str_of(&auth, "token");
    let body = token.strip_prefix("k8s-aws-v1.").expect("prefix");
    let url = String::from_utf8(
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(body)
            .expect("base64url without padding"),
    )
    .expect("utf-8");
    assert!(
        url.starts_with(
            "https://sts.us-east-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&"
        ),
        "{url}"
    );
    assert!(
        url.contains("X-Amz-Credential=test%2F"),
        "signed with the provider's key: {url}"
    );
    assert!(
        url.contains("X-Amz-SignedHeaders=host%3Bx-k8s-aws-id"),
        "{url}"
    );
    assert_eq!(str_of(&auth, "id"), d.cluster);
}

/// A proxy in front of moto for EKS: it answers UpdateClusterVersion and DescribeUpdate
/// (which moto lacks) and shows the upgraded version in DescribeCluster, and shows every
/// cluster as `status` while `status` is set.
struct Proxy {
    url: String,
    version: Arc<Mutex<Option<String>>>,
    status: Arc<Mutex<Option<String>>>,
    calls: Arc<Mutex<Vec<String>>>,
}

fn read_message(conn: &mut TcpStream) -> std::io::Result<(String, Vec<u8>)> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if conn.read(&mut byte)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).to_string();
    let len = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    conn.read_exact(&mut body)?;
    Ok((head, body))
}

fn reply(conn: &mut TcpStream, body: &str) -> std::io::Result<()> {
    write!(
        conn,
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

impl Proxy {
    fn start(upstream: u16) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let proxy = Proxy {
            url,
            version: Arc::default(),
            status: Arc::default(),
            calls: Arc::default(),
        };
        let (version, status, calls) = (
            proxy.version.clone(),
            proxy.status.clone(),
            proxy.calls.clone(),
        );
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let (version, status, calls) = (version.clone(), status.clone(), calls.clone());
                std::thread::spawn(move || {
                    let _ = Proxy::exchange(conn, upstream, &version, &status, &calls);
                });
            }
        });
        proxy
    }

    fn exchange(
        mut conn: TcpStream,
        upstream: u16,
        version: &Mutex<Option<String>>,
        status: &Mutex<Option<String>>,
        calls: &Mutex<Vec<String>>,
    ) -> std::io::Result<()> {
        let (head, body) = read_message(&mut conn)?;
        let line = head.lines().next().unwrap_or_default().to_string();
        let mut parts = line.split_whitespace();
        let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        calls.lock().unwrap().push(format!("{method} {path}"));
        if method == "POST" && path.ends_with("/updates") {
            let sent: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            *version.lock().unwrap() = sent["version"].as_str().map(str::to_string);
            return reply(
                &mut conn,
                r#"{"update":{"id":"u-1","status":"InProgress","type":"VersionUpdate"}}"#,
            );
        }
        if method == "GET" && path.contains("/updates/") {
            return reply(
                &mut conn,
                r#"{"update":{"id":"u-1","status":"Successful","type":"VersionUpdate"}}"#,
            );
        }
        let mut up = TcpStream::connect(("127.0.0.1", upstream))?;
        let mut out = format!("{line}\r\n");
        for l in head.split("\r\n").skip(1).filter(|l| !l.is_empty()) {
            let k = l
                .split(':')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            if k != "connection" && k != "content-length" {
                out.push_str(l);
                out.push_str("\r\n");
            }
        }
        out.push_str(&format!(
            "Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        ));
        up.write_all(out.as_bytes())?;
        up.write_all(&body)?;
        let (rhead, rbody) = read_message(&mut up)?;
        let status_line = rhead.lines().next().unwrap_or_default().to_string();
        let mut answer: serde_json::Value =
            serde_json::from_slice(&rbody).unwrap_or(serde_json::Value::Null);
        if method == "GET" && answer.get("cluster").is_some() {
            if let Some(v) = version.lock().unwrap().clone() {
                answer["cluster"]["version"] = serde_json::Value::String(v);
            }
            if let Some(s) = status.lock().unwrap().clone() {
                answer["cluster"]["status"] = serde_json::Value::String(s);
            }
        }
        let text = if answer.is_null() {
            String::from_utf8_lossy(&rbody).to_string()
        } else {
            answer.to_string()
        };
        write!(
            conn,
            "{status_line}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
            text.len()
        )
    }
}

#[tokio::test]
async fn a_version_change_upgrades_the_cluster_in_place() {
    let serial = moto();
    let port = serial.1;
    let proxy = Proxy::start(port);
    let p = AwsProvider::with_endpoint_url(&Value::Null, &proxy.url).expect("provider");
    let d = deps(&p).await;
    let a = cluster_config("upgrade", &d.subnets[..2]);
    let state = create(&p, "aws_eks_cluster", &a).await;
    let b = with(&a, vec![("version", s("1.30"))]);
    let r = plan(&p, "aws_eks_cluster", Some(&state), &b).await;
    assert!(r.requires_replace.is_empty(), "{:?}", r.requires_replace);
    let after = update(&p, "aws_eks_cluster", &state, &b).await;
    assert_eq!(str_of(&after, "version"), "1.30");
    assert_eq!(
        str_of(&after, "arn"),
        str_of(&state, "arn"),
        "the same cluster"
    );
    let calls = proxy.calls.lock().unwrap().clone();
    assert!(
        calls.iter().any(|c| c == "POST /clusters/upgrade/updates"),
        "UpdateClusterVersion was called: {calls:?}"
    );
    assert!(
        calls
            .iter()
            .any(|c| c == "GET /clusters/upgrade/updates/u-1"),
        "the update was waited for: {calls:?}"
    );
}

#[tokio::test]
async fn a_cluster_that_does_not_become_active_in_time_is_returned_not_ready() {
    let serial = moto();
    let port = serial.1;
    let proxy = Proxy::start(port);
    let p = AwsProvider::with_endpoint_url(&Value::Null, &proxy.url).expect("provider");
    let d = deps(&p).await;
    *proxy.status.lock().unwrap() = Some("CREATING".into());
    let cfg = with(
        &cluster_config("slow", &d.subnets[..2]),
        vec![(
            "timeouts",
            obj(vec![
                ("create", s("1s")),
                ("update", Value::Null),
                ("delete", Value::Null),
            ]),
        )],
    );
    let planned = plan(&p, "aws_eks_cluster", None, &cfg).await.planned;
    let started = Instant::now();
    let e = apply(&p, "aws_eks_cluster", None, Some(&planned))
        .await
        .expect_err("not ACTIVE within 1s");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "the timeout bounds the wait"
    );
    let text = e.to_string();
    assert!(text.contains("did not become ACTIVE"), "{text}");
    assert!(text.contains("still not ACTIVE after 1s"), "{text}");
    assert!(text.contains("CREATING"), "{text}");
    match e {
        ProviderError::NotReady { object, .. } => {
            assert_eq!(str_of(&object, "id"), "slow");
            assert_eq!(str_of(&object, "status"), "CREATING");
            assert!(str_of(&object, "arn").ends_with(":cluster/slow"));
        }
        other => panic!("expected NotReady, got {other:?}"),
    }
    // A cluster that FAILED ends the wait at once.
    *proxy.status.lock().unwrap() = Some("FAILED".into());
    let cfg = with(&cluster_config("broken", &d.subnets[..2]), vec![]);
    let planned = plan(&p, "aws_eks_cluster", None, &cfg).await.planned;
    let e = apply(&p, "aws_eks_cluster", None, Some(&planned))
        .await
        .expect_err("FAILED");
    assert!(e.to_string().contains("reached state FAILED"), "{e}");
    let bad = with(
        &cluster_config("bad", &d.subnets[..2]),
        vec![(
            "timeouts",
            obj(vec![
                ("create", s("soon")),
                ("update", Value::Null),
                ("delete", Value::Null),
            ]),
        )],
    );
    let planned = plan(&p, "aws_eks_cluster", None, &bad).await.planned;
    let e = apply(&p, "aws_eks_cluster", None, Some(&planned))
        .await
        .expect_err("not a duration");
    assert!(e.to_string().contains("timeouts.create"), "{e}");
}
