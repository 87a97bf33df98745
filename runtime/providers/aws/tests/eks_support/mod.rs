//! Shared by the EKS test binaries: the objects a cluster needs, SDK clients, and [`Proxy`], which
//! sits in front of moto and makes it answer as EKS does where moto 5.2.5 does not.
//!
//! What moto 5.2.5 lacks, and the proxy supplies (tests only; the provider never works around
//! the emulator):
//! - UpdateClusterVersion, UpdateNodegroupVersion and DescribeUpdate: answered here, the new
//!   version (and launch template version) shown by the Describe calls afterwards.
//! - Cluster settings moto drops (`deletionProtection`, `upgradePolicy`, `zonalShiftConfig`,
//!   `computeConfig`, `storageConfig`, `accessConfig`, `controlPlaneScalingConfig`,
//!   `outpostConfig`): kept from CreateCluster and UpdateClusterConfig and shown by
//!   DescribeCluster. moto replaces the whole `kubernetesNetworkConfig` on UpdateClusterConfig
//!   where EKS changes only what is sent: the proxy merges it instead. DeleteCluster of a cluster
//!   with deletion protection is refused as EKS refuses it.
//! - Node group settings moto drops at create (`updateConfig`, `nodeRepairConfig`) are kept;
//!   moto's made-up `remoteAccess` (`eksKeypair`) of a node group created without one is
//!   removed, and its `diskSize` given as a string (which the SDK cannot read) becomes a number.
#![allow(dead_code)]

use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use serde_json::Value as Json;
use skel_provider_aws::AwsProvider;
use skel_value::Value;

use crate::support::{config, n, obj, s, str_of, tags};

pub const ROLE: &str = "arn:aws:iam::123456789012:role/eks-cluster";
pub const NODE_ROLE: &str = "arn:aws:iam::123456789012:role/eks-nodes";

/// The cluster settings moto drops, kept by the proxy.
const CLUSTER_KEPT: &[&str] = &[
    "deletionProtection",
    "upgradePolicy",
    "zonalShiftConfig",
    "computeConfig",
    "storageConfig",
    "accessConfig",
    "controlPlaneScalingConfig",
    "outpostConfig",
    "kubernetesNetworkConfig",
];

/// The node group settings moto drops at create, kept by the proxy.
const NODE_GROUP_KEPT: &[&str] = &["updateConfig", "nodeRepairConfig"];

pub struct Deps {
    pub vpc: String,
    pub subnets: Vec<String>,
    /// A cluster made through the SDK for the node groups.
    pub cluster: String,
}

/// A VPC with three subnets and a cluster in two of them.
pub async fn deps(p: &AwsProvider) -> Deps {
    let vpc = str_of(&crate::support::vpc(p, "10.90.0.0/16").await, "id");
    let mut subnets = Vec::new();
    for (i, az) in ["us-east-1a", "us-east-1b", "us-east-1c"]
        .iter()
        .enumerate()
    {
        let cidr = format!("10.90.{}.0/24", i + 1);
        subnets.push(str_of(
            &crate::support::subnet(p, &vpc, &cidr, Some(az)).await,
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
    Deps {
        vpc,
        subnets,
        cluster,
    }
}

/// An EKS client of moto itself.
pub async fn eks() -> aws_sdk_eks::Client {
    let cfg = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await;
    aws_sdk_eks::Client::new(&cfg)
}

/// An EKS client that goes through `proxy`.
pub async fn eks_via(proxy: &Proxy) -> aws_sdk_eks::Client {
    let cfg = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(&proxy.url)
        .load()
        .await;
    aws_sdk_eks::Client::new(&cfg)
}

/// The test provider (with `default_tags` Team = infra), talking to `proxy`.
pub fn provider_via(proxy: &Proxy) -> AwsProvider {
    AwsProvider::with_endpoint_url(
        &obj(vec![(
            "default_tags",
            Value::List(vec![obj(vec![("tags", tags(&[("Team", "infra")]))])]),
        )]),
        &proxy.url,
    )
    .expect("provider")
}

/// A set of strings.
pub fn strs(items: &[&str]) -> Value {
    Value::set(items.iter().map(|x| s(x)).collect())
}

/// A one-item block of the attribute pairs.
pub fn one(pairs: Vec<(&str, Value)>) -> Value {
    Value::List(vec![obj(pairs)])
}

pub fn vpc_config(subnets: &[String]) -> Value {
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

pub fn cluster_config(name: &str, subnets: &[String]) -> Value {
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

pub fn scaling(desired: i64, max: i64, min: i64) -> Value {
    Value::List(vec![obj(vec![
        ("desired_size", n(desired)),
        ("max_size", n(max)),
        ("min_size", n(min)),
    ])])
}

pub fn node_group_config(d: &Deps, name: &str) -> Value {
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

/// The KMS key the clusters' secrets are encrypted with (moto does not check it).
pub const KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/0f0e0d0c-0b0a-4908-8706-050403020100";

/// A cluster with every v6 setting away from its default.
pub fn cluster_v6(name: &str, subnets: &[String]) -> Value {
    let on = || one(vec![("enabled", Value::Bool(true))]);
    let cidrs = |c: &str| one(vec![("cidrs", strs(&[c]))]);
    with_values(
        &cluster_config(name, subnets),
        vec![
            ("deletion_protection", Value::Bool(true)),
            ("bootstrap_self_managed_addons", Value::Bool(false)),
            ("enabled_cluster_log_types", strs(&["api"])),
            (
                "access_config",
                one(vec![
                    ("authentication_mode", s("API_AND_CONFIG_MAP")),
                    (
                        "bootstrap_cluster_creator_admin_permissions",
                        Value::Bool(false),
                    ),
                ]),
            ),
            (
                "kubernetes_network_config",
                one(vec![
                    ("service_ipv4_cidr", s("10.150.0.0/16")),
                    ("ip_family", s("ipv4")),
                    ("elastic_load_balancing", on()),
                ]),
            ),
            (
                "compute_config",
                one(vec![
                    ("enabled", Value::Bool(true)),
                    ("node_pools", strs(&["general-purpose"])),
                    ("node_role_arn", s(NODE_ROLE)),
                ]),
            ),
            ("storage_config", one(vec![("block_storage", on())])),
            ("upgrade_policy", one(vec![("support_type", s("STANDARD"))])),
            ("zonal_shift_config", on()),
            (
                "control_plane_scaling_config",
                one(vec![("tier", s("standard"))]),
            ),
            (
                "remote_network_config",
                one(vec![
                    ("remote_node_networks", cidrs("10.200.0.0/16")),
                    ("remote_pod_networks", cidrs("10.201.0.0/16")),
                ]),
            ),
            (
                "encryption_config",
                one(vec![
                    ("resources", strs(&["secrets"])),
                    ("provider", one(vec![("key_arn", s(KEY))])),
                ]),
            ),
        ],
    )
}

/// `a` (from [`cluster_v6`]) with every setting EKS changes in place changed.
pub fn cluster_v6_updated(a: &Value) -> Value {
    let cidrs = |c: &str| one(vec![("cidrs", strs(&[c]))]);
    with_values(
        a,
        vec![
            ("tags", tags(&[("Name", "skel-updated")])),
            ("enabled_cluster_log_types", strs(&["api", "audit"])),
            ("deletion_protection", Value::Bool(false)),
            (
                "access_config",
                one(vec![
                    ("authentication_mode", s("API")),
                    (
                        "bootstrap_cluster_creator_admin_permissions",
                        Value::Bool(false),
                    ),
                ]),
            ),
            (
                "compute_config",
                one(vec![
                    ("enabled", Value::Bool(true)),
                    ("node_pools", strs(&["general-purpose", "system"])),
                    ("node_role_arn", s(NODE_ROLE)),
                ]),
            ),
            ("upgrade_policy", one(vec![("support_type", s("EXTENDED"))])),
            (
                "zonal_shift_config",
                one(vec![("enabled", Value::Bool(false))]),
            ),
            (
                "control_plane_scaling_config",
                one(vec![("tier", s("tier-xl"))]),
            ),
            (
                "remote_network_config",
                one(vec![
                    ("remote_node_networks", cidrs("10.202.0.0/16")),
                    ("remote_pod_networks", cidrs("10.203.0.0/16")),
                ]),
            ),
        ],
    )
}

/// A node group with every v6 setting away from its default (SSH access, so no launch
/// template: EKS takes one or the other).
pub fn node_group_v6(d: &Deps, name: &str) -> Value {
    with_values(
        &node_group_config(d, name),
        vec![
            ("ami_type", s("AL2023_x86_64_STANDARD")),
            ("capacity_type", s("SPOT")),
            ("instance_types", Value::List(vec![s("t3.large")])),
            ("version", s("1.29")),
            ("release_version", s("1.29.0-20240110")),
            (
                "remote_access",
                one(vec![
                    ("ec2_ssh_key", s("skel-key")),
                    ("source_security_group_ids", Value::Null),
                ]),
            ),
            (
                "taint",
                Value::set(vec![obj(vec![
                    ("key", s("dedicated")),
                    ("value", s("gpu")),
                    ("effect", s("NO_SCHEDULE")),
                ])]),
            ),
            (
                "update_config",
                one(vec![
                    ("max_unavailable", n(1)),
                    ("max_unavailable_percentage", Value::Null),
                    ("update_strategy", s("MINIMAL")),
                ]),
            ),
            (
                "node_repair_config",
                one(vec![
                    ("enabled", Value::Bool(true)),
                    ("max_parallel_nodes_repaired_count", n(2)),
                    ("max_unhealthy_node_threshold_percentage", n(40)),
                    (
                        "node_repair_config_overrides",
                        one(vec![
                            ("min_repair_wait_time_mins", n(15)),
                            ("node_monitoring_condition", s("AcceleratedHardwareReady")),
                            ("node_unhealthy_reason", s("NvidiaXID13Error")),
                            ("repair_action", s("Reboot")),
                        ]),
                    ),
                ]),
            ),
        ],
    )
}

/// `a` (from [`node_group_v6`]) with every setting EKS changes in place changed.
pub fn node_group_v6_updated(a: &Value) -> Value {
    with_values(
        a,
        vec![
            ("scaling_config", scaling(2, 3, 1)),
            ("labels", tags(&[("role", "skel-updated")])),
            (
                "taint",
                Value::set(vec![obj(vec![
                    ("key", s("dedicated")),
                    ("value", s("skel-updated")),
                    ("effect", s("NO_SCHEDULE")),
                ])]),
            ),
            (
                "update_config",
                one(vec![
                    ("max_unavailable", Value::Null),
                    ("max_unavailable_percentage", n(50)),
                    ("update_strategy", s("DEFAULT")),
                ]),
            ),
            (
                "node_repair_config",
                one(vec![("enabled", Value::Bool(false))]),
            ),
        ],
    )
}

/// `base` with the attributes `changes` replaced.
fn with_values(base: &Value, changes: Vec<(&str, Value)>) -> Value {
    let mut out = base.clone();
    if let Value::Object(m) = &mut out {
        for (k, v) in changes {
            m.insert(k.to_string(), v);
        }
    }
    out
}

#[derive(Default)]
struct Kept {
    clusters: HashMap<String, Json>,
    node_groups: HashMap<String, Json>,
    without_remote_access: HashSet<String>,
}

/// The proxy (see the module). `status` shows every cluster in that state while set; `calls`
/// and `sent` record each request (`METHOD /path`, and with its JSON body).
#[derive(Clone)]
pub struct Proxy {
    pub url: String,
    pub version: Arc<Mutex<Option<String>>>,
    pub status: Arc<Mutex<Option<String>>>,
    pub calls: Arc<Mutex<Vec<String>>>,
    pub sent: Arc<Mutex<Vec<(String, Json)>>>,
    kept: Arc<Mutex<Kept>>,
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

fn reply(conn: &mut TcpStream, status: &str, extra: &str, body: &str) -> std::io::Result<()> {
    write!(
        conn,
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// `into` with `from`'s fields written over it, objects merged field by field.
fn merge(into: &mut Json, from: &Json) {
    match (into, from) {
        (Json::Object(a), Json::Object(b)) => {
            for (k, v) in b {
                merge(a.entry(k.clone()).or_insert(Json::Null), v);
            }
        }
        (slot, v) => *slot = v.clone(),
    }
}

/// The fields `keys` of `body`.
fn pick(body: &Json, keys: &[&str]) -> Json {
    Json::Object(
        keys.iter()
            .filter_map(|k| body.get(*k).map(|v| (k.to_string(), v.clone())))
            .collect(),
    )
}

impl Proxy {
    pub fn start(upstream: u16) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let proxy = Proxy {
            url: format!("http://{}", listener.local_addr().expect("addr")),
            version: Arc::default(),
            status: Arc::default(),
            calls: Arc::default(),
            sent: Arc::default(),
            kept: Arc::default(),
        };
        let me = proxy.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let me = me.clone();
                std::thread::spawn(move || {
                    let _ = me.exchange(conn, upstream);
                });
            }
        });
        proxy
    }

    /// The JSON bodies of the requests sent as `METHOD /path`.
    pub fn bodies(&self, call: &str) -> Vec<Json> {
        self.sent
            .lock()
            .unwrap()
            .iter()
            .filter(|(c, _)| c == call)
            .map(|(_, b)| b.clone())
            .collect()
    }

    fn exchange(&self, mut conn: TcpStream, upstream: u16) -> std::io::Result<()> {
        let (head, mut body) = read_message(&mut conn)?;
        let line = head.lines().next().unwrap_or_default().to_string();
        let mut parts = line.split_whitespace();
        let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        let call = format!("{method} {path}");
        self.calls.lock().unwrap().push(call.clone());
        let sent: Json = serde_json::from_slice(&body).unwrap_or(Json::Null);
        self.sent.lock().unwrap().push((call, sent.clone()));
        let route = path.split('?').next().unwrap_or_default();
        let segs: Vec<&str> = route.trim_start_matches('/').split('/').collect();
        match (method, segs.as_slice()) {
            ("POST", ["clusters", _, "updates"]) => {
                *self.version.lock().unwrap() = sent["version"].as_str().map(str::to_string);
                return reply(
                    &mut conn,
                    "200 OK",
                    "",
                    r#"{"update":{"id":"u-1","status":"InProgress","type":"VersionUpdate"}}"#,
                );
            }
            ("GET", ["clusters", _, "updates", id]) => {
                let text = format!(
                    r#"{{"update":{{"id":"{id}","status":"Successful","type":"VersionUpdate"}}}}"#
                );
                return reply(&mut conn, "200 OK", "", &text);
            }
            ("POST", ["clusters", c, "node-groups", ng, "update-version"]) => {
                let mut kept = self.kept.lock().unwrap();
                let entry = kept
                    .node_groups
                    .entry(format!("{c}/{ng}"))
                    .or_insert_with(|| Json::Object(Default::default()));
                merge(
                    entry,
                    &pick(&sent, &["version", "releaseVersion", "launchTemplate"]),
                );
                return reply(
                    &mut conn,
                    "200 OK",
                    "",
                    r#"{"update":{"id":"u-2","status":"InProgress","type":"VersionUpdate"}}"#,
                );
            }
            ("DELETE", ["clusters", name]) => {
                let mut kept = self.kept.lock().unwrap();
                if kept
                    .clusters
                    .get(*name)
                    .and_then(|c| c["deletionProtection"].as_bool())
                    == Some(true)
                {
                    return reply(
                        &mut conn,
                        "400 Bad Request",
                        "x-amzn-ErrorType: InvalidRequestException\r\n",
                        r#"{"message":"Cannot delete because cluster has deletion protection enabled."}"#,
                    );
                }
                kept.clusters.remove(*name);
            }
            ("DELETE", ["clusters", c, "node-groups", ng]) => {
                self.kept
                    .lock()
                    .unwrap()
                    .node_groups
                    .remove(&format!("{c}/{ng}"));
            }
            ("POST", ["clusters"]) => {
                let name = sent["name"].as_str().unwrap_or_default().to_string();
                self.kept
                    .lock()
                    .unwrap()
                    .clusters
                    .insert(name, pick(&sent, CLUSTER_KEPT));
            }
            ("POST", ["clusters", name, "update-config"]) => {
                let mut kept = self.kept.lock().unwrap();
                let entry = kept
                    .clusters
                    .entry(name.to_string())
                    .or_insert_with(|| Json::Object(Default::default()));
                merge(entry, &pick(&sent, CLUSTER_KEPT));
                let mut forwarded = sent.clone();
                if let Some(m) = forwarded.as_object_mut() {
                    m.remove("kubernetesNetworkConfig");
                }
                body = serde_json::to_vec(&forwarded).unwrap_or(body);
            }
            ("POST", ["clusters", c, "node-groups", ng, "update-config"]) => {
                let mut kept = self.kept.lock().unwrap();
                // Each setting sent replaces the node group's (the two limits of an update
                // configuration exclude each other).
                if let Some(Json::Object(entry)) = kept.node_groups.get_mut(&format!("{c}/{ng}")) {
                    if let Json::Object(sent) = pick(&sent, NODE_GROUP_KEPT) {
                        entry.extend(sent);
                    }
                }
            }
            ("POST", ["clusters", c, "node-groups"]) => {
                let key = format!("{c}/{}", sent["nodegroupName"].as_str().unwrap_or_default());
                let mut kept = self.kept.lock().unwrap();
                if sent.get("remoteAccess").is_none() {
                    kept.without_remote_access.insert(key.clone());
                } else {
                    kept.without_remote_access.remove(&key);
                }
                kept.node_groups.insert(key, pick(&sent, NODE_GROUP_KEPT));
            }
            _ => {}
        }
        let (rhead, mut answer, raw) = Self::forward(&head, &line, &body, upstream)?;
        if method == "GET" {
            self.dress(&segs, &mut answer);
        }
        let text = if answer.is_null() {
            raw
        } else {
            answer.to_string()
        };
        // moto's status line and headers (an error's type is in one), a new length.
        let mut out = String::new();
        for l in rhead.split("\r\n").filter(|l| !l.is_empty()) {
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
        write!(
            conn,
            "{out}Content-Length: {}\r\nConnection: close\r\n\r\n{text}",
            text.len()
        )
    }

    /// Makes moto's answer to a Describe call look as EKS's would (see the module).
    fn dress(&self, segs: &[&str], answer: &mut Json) {
        let kept = self.kept.lock().unwrap();
        if let (["clusters", name], Some(cluster)) = (segs, answer.get_mut("cluster")) {
            if let Some(k) = kept.clusters.get(*name) {
                merge(cluster, k);
            }
            if let Some(v) = self.version.lock().unwrap().clone() {
                cluster["version"] = Json::String(v);
            }
            if let Some(s) = self.status.lock().unwrap().clone() {
                cluster["status"] = Json::String(s);
            }
        }
        if let (["clusters", c, "node-groups", ng], Some(group)) =
            (segs, answer.get_mut("nodegroup"))
        {
            let key = format!("{c}/{ng}");
            if let Some(k) = kept.node_groups.get(&key) {
                merge(group, k);
            }
            if kept.without_remote_access.contains(&key) {
                if let Some(m) = group.as_object_mut() {
                    m.remove("remoteAccess");
                }
            }
            if let Some(size) = group["diskSize"]
                .as_str()
                .and_then(|t| t.parse::<i64>().ok())
            {
                group["diskSize"] = Json::from(size);
            }
        }
    }

    /// Sends the request to moto: its head (status line and headers), its JSON answer (null
    /// when not JSON) and its raw text.
    fn forward(
        head: &str,
        line: &str,
        body: &[u8],
        upstream: u16,
    ) -> std::io::Result<(String, Json, String)> {
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
        up.write_all(body)?;
        let (rhead, rbody) = read_message(&mut up)?;
        let answer = serde_json::from_slice(&rbody).unwrap_or(Json::Null);
        Ok((rhead, answer, String::from_utf8_lossy(&rbody).to_string()))
    }
}
