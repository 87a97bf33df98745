//! The crash suite against the AWS emulator: `examples/walking-skeleton` (one availability
//! zone and one node, to keep the suite short; every kind of call is still made) applied,
//! updated and destroyed by the real `skelc` against moto, killed with SIGKILL at every crash
//! point a clean run passes — right before each call that changes something is sent, right
//! after its response arrives, and after each provider operation returned but before the
//! engine journaled it. After each kill the next command must converge to exactly what a clean
//! run leaves in the emulator (every object counted through the AWS API: nothing duplicated,
//! nothing left over), and then `skelc plan` must find no changes (after a destroy: the state
//! is empty). The sweep itself (chains of points, workers, tallies) is `crash_sweep`'s, shared
//! with the other AWS suites.

mod crash_support;
mod crash_sweep;
mod moto_support;

use std::path::{Path, PathBuf};
use std::process::Command;

use crash_support::{copy_dir, skelc, Point};
use crash_sweep::{sweep, Stage, Subject, LIFE};
use moto_support::Moto;

const BASE: &[&str] = &[
    "-var",
    "ubuntu_ami_name=ubuntu/images/hvm-ssd/ubuntu-xenial-16.04-amd64-server-*",
    "-var",
    "docker=false",
    "-var",
    "availability_zones=[\"us-east-1a\"]",
    "-var",
    "node_count=1",
];
/// The update run: every object's tags, and the nodes' type (stop, modify, start).
const UPDATE: &[&str] = &[
    "-var",
    "instance_type=t3.small",
    "-var",
    "tags={Stage=\"two\"}",
];

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Forgets every object, then makes moto set up its regions and load its AMI catalogue
/// with one call at a time: its lazy set-up is not safe under concurrent first requests
/// (an HTTP 500 with an empty body, seen here).
fn reset(moto: &Moto) {
    let status = Command::new(repo().join("scripts/moto"))
        .args(["reset", &moto.port().to_string()])
        .status()
        .expect("reset moto");
    assert!(status.success(), "moto reset failed");
    let leftovers = inventory(moto);
    assert!(
        leftovers.is_empty(),
        "moto kept objects after a reset: {leftovers:?}"
    );
    moto.with_sdk(|sdk| async move {
        let ec2 = aws_sdk_ec2::Client::new(&sdk);
        ec2.describe_images()
            .owners("099720109477")
            .send()
            .await
            .expect("DescribeImages");
    });
}

/// Everything the walking skeleton can make, as the AWS API reports it: one line per object,
/// without ids or anything else a run chooses afresh, sorted.
fn inventory(moto: &Moto) -> Vec<String> {
    moto.with_sdk(|sdk| async move {
        let ec2 = aws_sdk_ec2::Client::new(&sdk);
        let r53 = aws_sdk_route53::Client::new(&sdk);
        let mut out = Vec::new();
        ec2_inventory(&ec2, &mut out).await;
        dns_inventory(&r53, &mut out).await;
        out.sort();
        out
    })
}

fn tags(tags: &[aws_sdk_ec2::types::Tag]) -> String {
    let mut t: Vec<String> = tags
        .iter()
        .filter(|t| t.key() != Some("skel:token"))
        .map(|t| format!("{}={}", t.key().unwrap_or(""), t.value().unwrap_or("")))
        .collect();
    t.sort();
    t.join(",")
}

/// A `name_prefix` name with its generated suffix (26 hex digits) replaced: every run makes
/// a new one.
fn generated(name: &str) -> String {
    match name.len().checked_sub(26).map(|i| name.split_at(i)) {
        Some((prefix, suffix)) if suffix.chars().all(|c| c.is_ascii_hexdigit()) => {
            format!("{prefix}<generated>")
        }
        _ => name.to_string(),
    }
}

async fn ec2_inventory(ec2: &aws_sdk_ec2::Client, out: &mut Vec<String>) {
    let vpcs = ec2.describe_vpcs().send().await.expect("DescribeVpcs");
    let mut cidrs = std::collections::BTreeMap::new();
    for v in vpcs.vpcs().iter().filter(|v| v.is_default() != Some(true)) {
        cidrs.insert(
            v.vpc_id().unwrap_or("").to_string(),
            v.cidr_block().unwrap_or("").to_string(),
        );
        out.push(format!(
            "vpc {} [{}]",
            v.cidr_block().unwrap_or(""),
            tags(v.tags())
        ));
    }
    let subnets = ec2
        .describe_subnets()
        .send()
        .await
        .expect("DescribeSubnets");
    let mut subnet_cidr = std::collections::BTreeMap::new();
    for s in subnets
        .subnets()
        .iter()
        .filter(|s| s.default_for_az() != Some(true))
    {
        subnet_cidr.insert(
            s.subnet_id().unwrap_or("").to_string(),
            s.cidr_block().unwrap_or("").to_string(),
        );
        out.push(format!(
            "subnet {} {} public={:?} [{}]",
            s.cidr_block().unwrap_or(""),
            s.availability_zone().unwrap_or(""),
            s.map_public_ip_on_launch(),
            tags(s.tags())
        ));
    }
    let igws = ec2
        .describe_internet_gateways()
        .send()
        .await
        .expect("DescribeInternetGateways");
    for g in igws.internet_gateways() {
        let attached: Vec<&str> = g
            .attachments()
            .iter()
            .filter_map(|a| cidrs.get(a.vpc_id().unwrap_or("")).map(String::as_str))
            .collect();
        out.push(format!("igw attached to {attached:?} [{}]", tags(g.tags())));
    }
    let tables = ec2
        .describe_route_tables()
        .send()
        .await
        .expect("DescribeRouteTables");
    for t in tables.route_tables() {
        if !cidrs.contains_key(t.vpc_id().unwrap_or("")) {
            continue;
        }
        let main = t.associations().iter().any(|a| a.main() == Some(true));
        let mut routes: Vec<String> = t
            .routes()
            .iter()
            .map(|r| {
                let target = r
                    .gateway_id()
                    .unwrap_or("")
                    .split('-')
                    .next()
                    .unwrap_or("")
                    .to_string();
                format!("{}->{target}", r.destination_cidr_block().unwrap_or(""))
            })
            .collect();
        routes.sort();
        let mut subnets: Vec<&str> = t
            .associations()
            .iter()
            .filter_map(|a| {
                subnet_cidr
                    .get(a.subnet_id().unwrap_or(""))
                    .map(String::as_str)
            })
            .collect();
        subnets.sort();
        out.push(format!(
            "route-table main={main} routes={routes:?} subnets={subnets:?} [{}]",
            tags(t.tags())
        ));
    }
    let acls = ec2
        .describe_network_acls()
        .send()
        .await
        .expect("DescribeNetworkAcls");
    for a in acls.network_acls() {
        if !cidrs.contains_key(a.vpc_id().unwrap_or("")) {
            continue;
        }
        let mut entries: Vec<String> = a
            .entries()
            .iter()
            .map(|e| {
                format!(
                    "{}{}:{:?}",
                    if e.egress() == Some(true) {
                        "out"
                    } else {
                        "in"
                    },
                    e.rule_number().unwrap_or(0),
                    e.rule_action()
                )
            })
            .collect();
        entries.sort();
        let mut subnets: Vec<&str> = a
            .associations()
            .iter()
            .filter_map(|x| {
                subnet_cidr
                    .get(x.subnet_id().unwrap_or(""))
                    .map(String::as_str)
            })
            .collect();
        subnets.sort();
        out.push(format!(
            "network-acl default={:?} entries={entries:?} subnets={subnets:?} [{}]",
            a.is_default(),
            tags(a.tags())
        ));
    }
    let groups = ec2
        .describe_security_groups()
        .send()
        .await
        .expect("DescribeSecurityGroups");
    for g in groups.security_groups() {
        if !cidrs.contains_key(g.vpc_id().unwrap_or("")) || g.group_name() == Some("default") {
            continue;
        }
        let rules = |perms: &[aws_sdk_ec2::types::IpPermission]| {
            let mut r: Vec<String> = perms
                .iter()
                .map(|p| {
                    let mut ranges: Vec<&str> =
                        p.ip_ranges().iter().filter_map(|r| r.cidr_ip()).collect();
                    ranges.sort();
                    format!(
                        "{}:{:?}-{:?}:{}",
                        p.ip_protocol().unwrap_or(""),
                        p.from_port(),
                        p.to_port(),
                        ranges.join("+")
                    )
                })
                .collect();
            r.sort();
            r
        };
        out.push(format!(
            "security-group {} in={:?} out={:?} [{}]",
            generated(g.group_name().unwrap_or("")),
            rules(g.ip_permissions()),
            rules(g.ip_permissions_egress()),
            tags(g.tags())
        ));
    }
    let keys = ec2
        .describe_key_pairs()
        .send()
        .await
        .expect("DescribeKeyPairs");
    for k in keys.key_pairs() {
        out.push(format!(
            "key-pair {} [{}]",
            k.key_name().unwrap_or(""),
            tags(k.tags())
        ));
    }
    let instances = ec2
        .describe_instances()
        .send()
        .await
        .expect("DescribeInstances");
    for i in instances.reservations().iter().flat_map(|r| r.instances()) {
        let state = i
            .state()
            .and_then(|s| s.name())
            .map(|s| s.as_str().to_string())
            .unwrap_or_default();
        if state == "terminated" {
            continue;
        }
        out.push(format!(
            "instance {} {state} subnet={} [{}]",
            i.instance_type()
                .map(|t| t.as_str().to_string())
                .unwrap_or_default(),
            subnet_cidr
                .get(i.subnet_id().unwrap_or(""))
                .map(String::as_str)
                .unwrap_or("?"),
            tags(i.tags())
        ));
    }
}

async fn dns_inventory(r53: &aws_sdk_route53::Client, out: &mut Vec<String>) {
    let zones = r53
        .list_hosted_zones()
        .send()
        .await
        .expect("ListHostedZones");
    for z in zones.hosted_zones() {
        let id = z.id().trim_start_matches("/hostedzone/").to_string();
        let t = r53
            .list_tags_for_resource()
            .resource_type(aws_sdk_route53::types::TagResourceType::Hostedzone)
            .resource_id(&id)
            .send()
            .await
            .expect("ListTagsForResource");
        let mut zone_tags: Vec<String> = t
            .resource_tag_set()
            .map(|s| {
                s.tags()
                    .iter()
                    .map(|t| format!("{}={}", t.key().unwrap_or(""), t.value().unwrap_or("")))
                    .collect()
            })
            .unwrap_or_default();
        zone_tags.sort();
        out.push(format!(
            "zone {} comment={:?} [{}]",
            z.name(),
            z.config().and_then(|c| c.comment()),
            zone_tags.join(",")
        ));
        let sets = r53
            .list_resource_record_sets()
            .hosted_zone_id(&id)
            .send()
            .await
            .expect("ListResourceRecordSets");
        for r in sets.resource_record_sets() {
            let ty = r.r#type().as_str();
            if ty == "NS" || ty == "SOA" {
                continue;
            }
            out.push(format!(
                "record {} {ty} ttl={:?} values={}",
                r.name(),
                r.ttl(),
                r.resource_records().len()
            ));
        }
    }
}

/// The walking skeleton as a sweep's subject.
struct WalkingSkeleton;

impl Subject for WalkingSkeleton {
    fn args(&self, verb: &str, stage: Stage) -> Vec<String> {
        let extra = if stage == Stage::Updated { UPDATE } else { &[] };
        args(verb, extra).into_iter().map(str::to_string).collect()
    }

    fn fresh_dir(&self, tmp: &Path) -> PathBuf {
        fresh_dir(tmp)
    }

    fn env(&self, moto: &Moto) -> Vec<(String, String)> {
        moto.env()
    }

    fn reset(&self, moto: &Moto, _env: &[(String, String)]) {
        reset(moto);
    }

    fn inventory(&self, moto: &Moto, _env: &[(String, String)]) -> Vec<String> {
        inventory(moto)
    }
}

fn args<'a>(verb: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec![verb, "--auto-approve"];
    a.extend(BASE);
    a.extend(extra);
    a
}

fn fresh_dir(tmp: &Path) -> PathBuf {
    let root = tmp.join("w");
    let _ = std::fs::remove_dir_all(&root);
    copy_dir(&repo().join("examples"), &root);
    root.join("walking-skeleton")
}

/// Apply from nothing, an update run (every object's tags and the nodes' type: stop, modify,
/// start), and destroy: every crash point of each, killed once.
#[test]
fn killed_at_every_crash_point_of_apply_update_and_destroy_recovers_exactly() {
    let swept = sweep(&WalkingSkeleton, "walking skeleton", &LIFE);
    // No point of the walking skeleton loses a secret: recovery never asks for a manual step.
    assert!(swept.manual.is_empty(), "{:?}", swept.manual);
}

#[test]
fn crash_points_are_listed_in_order() {
    let log = "aws:CreateVpc:before\naws:CreateVpc:after\naws:CreateSubnet:before\naws:CreateSubnet:before\n";
    let p = crash_support::all_points(log);
    assert_eq!(p.len(), 4);
    assert_eq!(
        p.iter().map(Point::fault).collect::<Vec<_>>(),
        [
            "aws:CreateSubnet:1:before",
            "aws:CreateSubnet:2:before",
            "aws:CreateVpc:1:after",
            "aws:CreateVpc:1:before"
        ]
    );
}

/// The token in the journal's intent is the one the create sent: killed right after
/// `RunInstances` and `CreateHostedZone` answered, the journal names tokens that moto shows as
/// the instance's `ClientToken` and `skel:token` tag and as the zone's `CallerReference`.
#[test]
fn the_journaled_token_is_the_one_sent() {
    let moto = Moto::start();
    let env = moto.env();
    let tmp = tempfile::tempdir().expect("tempdir");
    for (fault, address) in [
        (
            "aws:RunInstances:1:after",
            "module.nodes.aws_instance.node[0]",
        ),
        ("aws:CreateHostedZone:1:after", "aws_route53_zone.main"),
    ] {
        reset(&moto);
        let dir = fresh_dir(tmp.path());
        let killed = skelc(&dir, &env, &args("run", &[]), Some(fault), None);
        assert!(killed.killed(), "{killed:?}");
        let journal = std::fs::read_to_string(dir.join("skel.state.journal")).expect("journal");
        let token = journal
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .find(|e| e["kind"] == "intent" && e["addr"] == address)
            .and_then(|e| e["token"].as_str().map(str::to_string))
            .unwrap_or_else(|| panic!("no token journaled for {address}:\n{journal}"));
        let sent = moto.with_sdk(|sdk| async move {
            if address.contains("aws_instance") {
                let out = aws_sdk_ec2::Client::new(&sdk)
                    .describe_instances()
                    .send()
                    .await
                    .expect("DescribeInstances");
                let i = &out.reservations()[0].instances()[0];
                let tag = i
                    .tags()
                    .iter()
                    .find(|t| t.key() == Some("skel:token"))
                    .and_then(|t| t.value())
                    .map(str::to_string);
                assert_eq!(
                    tag,
                    i.client_token().map(str::to_string),
                    "tag and ClientToken"
                );
                tag
            } else {
                let out = aws_sdk_route53::Client::new(&sdk)
                    .list_hosted_zones()
                    .send()
                    .await
                    .expect("ListHostedZones");
                out.hosted_zones()
                    .first()
                    .map(|z| z.caller_reference().to_string())
            }
        });
        assert_eq!(sent.as_deref(), Some(token.as_str()), "{address}");
    }
}
