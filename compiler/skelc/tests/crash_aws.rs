//! The crash suite against the AWS emulator: `examples/walking-skeleton` (one availability
//! zone and one node, to keep the suite short; every kind of call is still made) applied, updated and destroyed by the real `skelc` against moto, killed
//! with SIGKILL at every crash point a clean run passes — right before each call that changes
//! something is sent, right after its response arrives, and after each provider operation
//! returned but before the engine journaled it. After each kill the next command must converge
//! to exactly what a clean run leaves in the emulator (every object counted through the AWS
//! API: nothing duplicated, nothing left over), `skelc plan` must find no changes and `skelc
//! destroy` must leave nothing.

mod crash_support;

use std::path::{Path, PathBuf};
use std::process::Command;

use crash_support::{copy_dir, diff, points, skelc, Point, Tally};

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

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// The SDK configured for moto at `url`, for checking through the AWS API (not through skel).
async fn sdk(url: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(url)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_ec2::config::Credentials::new(
            "test", "test", None, None, "test",
        ))
        .load()
        .await
}

/// A moto server of this test's own, stopped on drop.
struct Moto {
    dir: tempfile::TempDir,
    port: u16,
}

impl Moto {
    fn start() -> Moto {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = Command::new(repo().join("scripts/moto"))
            .arg("start")
            .arg(dir.path())
            .env("SKEL_MOTO_PARENT", std::process::id().to_string())
            .output()
            .expect("run scripts/moto");
        let port = String::from_utf8_lossy(&out.stdout)
            .lines()
            .find_map(|l| l.strip_prefix("PORT=").and_then(|p| p.trim().parse().ok()));
        match port {
            Some(port) if out.status.success() => Moto { dir, port },
            _ => panic!(
                "could not start moto (scripts/moto installs it into .venv-moto; it needs python3 and PyPI): {}",
                String::from_utf8_lossy(&out.stderr)
            ),
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Forgets every object, then makes moto set up its regions and load its AMI catalogue
    /// with one call at a time: its lazy set-up is not safe under concurrent first requests
    /// (an HTTP 500 with an empty body, seen here).
    fn reset(&self) {
        let status = Command::new(repo().join("scripts/moto"))
            .args(["reset", &self.port.to_string()])
            .status()
            .expect("reset moto");
        assert!(status.success(), "moto reset failed");
        let leftovers = inventory(self);
        assert!(
            leftovers.is_empty(),
            "moto kept objects after a reset: {leftovers:?}"
        );
        let url = self.url();
        runtime().block_on(async move {
            let ec2 = aws_sdk_ec2::Client::new(&sdk(&url).await);
            ec2.describe_images()
                .owners("099720109477")
                .send()
                .await
                .expect("DescribeImages");
        });
    }

    fn env(&self) -> Vec<(String, String)> {
        [
            ("AWS_ENDPOINT_URL", self.url()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_ACCESS_KEY_ID", "test".into()),
            ("AWS_SECRET_ACCESS_KEY", "test".into()),
            ("AWS_MAX_ATTEMPTS", "1".into()),
            ("AWS_PROFILE", String::new()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = Command::new(repo().join("scripts/moto"))
            .arg("stop")
            .arg(self.dir.path())
            .status();
    }
}

/// Everything the walking skeleton can make, as the AWS API reports it: one line per object,
/// without ids or anything else a run chooses afresh, sorted.
fn inventory(moto: &Moto) -> Vec<String> {
    let url = moto.url();
    runtime().block_on(async move {
        let sdk = sdk(&url).await;
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

/// One phase of the walking skeleton's life: what is set up before it, the command that is
/// killed, and the command that must then converge.
struct Phase {
    name: &'static str,
    setup: Option<Vec<&'static str>>,
    command: Vec<&'static str>,
}

fn args(verb: &'static str, extra: &[&'static str]) -> Vec<&'static str> {
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

fn sweep(phase: Phase) {
    let moto = Moto::start();
    let env = moto.env();
    let tmp = tempfile::tempdir().expect("tempdir");
    let log = tmp.path().join("faults.log");

    // A clean run: what it leaves is the target, and the points it passes are the ones to kill.
    moto.reset();
    let dir = fresh_dir(tmp.path());
    if let Some(setup) = &phase.setup {
        let out = skelc(&dir, &env, setup, None, None);
        assert!(out.ok(), "setup of the clean run: {out:?}");
    }
    let out = skelc(&dir, &env, &phase.command, None, Some(&log));
    assert!(out.ok(), "the clean run failed: {out:?}");
    let expected = inventory(&moto);
    let log_text = std::fs::read_to_string(&log).expect("fault log");
    let all = points(&log_text);
    assert!(
        !all.is_empty(),
        "the clean run passed no crash point: is the fault-injection feature on?"
    );

    // Each point ends with a destroy that must leave the emulator empty, so the next starts
    // from nothing without a reset (which would also make moto load its AMI catalogue again);
    // only a failed point resets it.
    let destroy = {
        let mut a = args("destroy", &[]);
        if let Some(setup) = &phase.setup {
            a.truncate(2);
            a.extend(&setup[2..]);
        }
        a
    };
    let out = skelc(&dir, &env, &destroy, None, None);
    assert!(
        out.ok() && inventory(&moto).is_empty(),
        "clean destroy: {out:?}"
    );
    let mut tally = Tally::default();
    for point in &all {
        let dir = fresh_dir(tmp.path());
        if let Some(setup) = &phase.setup {
            let out = skelc(&dir, &env, setup, None, None);
            assert!(out.ok(), "setup before {}: {out:?}", point.fault());
        }
        let fault = point.fault();
        let killed = skelc(&dir, &env, &phase.command, Some(&fault), None);
        if !killed.killed() {
            // The point's call was merged with another this time (Route 53 batches).
            if killed.ok() {
                tally.not_reached.push(fault);
                let out = skelc(&dir, &env, &destroy, None, None);
                if !out.ok() || !inventory(&moto).is_empty() {
                    moto.reset();
                }
                continue;
            }
            moto.reset();
            tally.record(
                point,
                Err(format!("the run to kill failed instead: {killed:?}")),
            );
            continue;
        }
        let outcome = check_recovery(&moto, &env, &dir, &phase, &expected);
        if outcome.is_err() {
            moto.reset();
        }
        tally.record(point, outcome);
    }
    tally.assert_all_recovered(
        &format!("walking skeleton {}", phase.name),
        all.len() as u64 * 8 / 10,
    );
}

/// After a kill: the command again converges to `expected`, a plan finds nothing to do, and
/// destroy leaves nothing.
fn check_recovery(
    moto: &Moto,
    env: &[(String, String)],
    dir: &Path,
    phase: &Phase,
    expected: &[String],
) -> Result<(), String> {
    let again = skelc(dir, env, &phase.command, None, None);
    if !again.ok() {
        return Err(format!(
            "the next `skelc {}` failed: {again:?}",
            phase.command[0]
        ));
    }
    let got = inventory(moto);
    if got != expected {
        return Err(format!(
            "after recovery the emulator holds other objects than a clean run:{}",
            diff(expected, &got)
        ));
    }
    if phase.command[0] == "destroy" {
        let state = std::fs::read_to_string(dir.join("skel.state.json")).unwrap_or_default();
        let json: serde_json::Value = serde_json::from_str(&state).unwrap_or_default();
        let left = json["resources"].as_object().map(|m| m.len()).unwrap_or(0);
        return if left == 0 {
            Ok(())
        } else {
            Err(format!(
                "after destroy the state still has {left} resources"
            ))
        };
    }
    let mut plan = vec!["plan", "--detailed-exitcode"];
    plan.extend(&phase.command[2..]);
    let planned = skelc(dir, env, &plan, None, None);
    if planned.code != Some(0) {
        return Err(format!(
            "the plan after recovery is not a no-op: {planned:?}"
        ));
    }
    let destroy = args("destroy", &phase.command[2 + BASE.len()..]);
    let destroyed = skelc(dir, env, &destroy, None, None);
    if !destroyed.ok() {
        return Err(format!("destroy after recovery failed: {destroyed:?}"));
    }
    let left = inventory(moto);
    if !left.is_empty() {
        return Err(format!(
            "destroy after recovery left objects behind:{}",
            diff(&[], &left)
        ));
    }
    Ok(())
}

#[test]
fn apply_killed_at_every_crash_point_recovers_exactly() {
    sweep(Phase {
        name: "apply",
        setup: None,
        command: args("run", &[]),
    });
}

#[test]
fn update_killed_at_every_crash_point_recovers_exactly() {
    sweep(Phase {
        name: "update",
        setup: Some(args("run", &[])),
        command: args("run", UPDATE),
    });
}

#[test]
fn destroy_killed_at_every_crash_point_recovers_exactly() {
    sweep(Phase {
        name: "destroy",
        setup: Some(args("run", &[])),
        command: args("destroy", &[]),
    });
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
        moto.reset();
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
        let url = moto.url();
        let sent = runtime().block_on(async move {
            let sdk = sdk(&url).await;
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
