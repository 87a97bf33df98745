//! The crash suite against the AWS emulator: `examples/walking-skeleton` (one availability
//! zone and one node, to keep the suite short; every kind of call is still made) applied,
//! updated and destroyed by the real `skelc` against moto, killed with SIGKILL at every crash
//! point a clean run passes — right before each call that changes something is sent, right
//! after its response arrives, and after each provider operation returned but before the
//! engine journaled it. After each kill the next command must converge to exactly what a clean
//! run leaves in the emulator (every object counted through the AWS API: nothing duplicated,
//! nothing left over), and then `skelc plan` must find no changes (after a destroy: the state
//! is empty). Points are killed in chains (an apply point, then an update point from what that
//! apply converged to, then a destroy point), so every recovered result is also destroyed,
//! and checked empty, by the next point or at the chain's end. Chains share one queue served
//! by a worker per core, each with a moto of its own (`SKEL_CRASH_WORKERS=N` to choose).

mod crash_support;
mod moto_support;

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use crash_support::{copy_dir, diff, points, skelc, Out, Point, Tally};
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

/// What the emulator and the state in a worker's directory hold between two points.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Stage {
    /// Nothing: a fresh directory and an empty emulator.
    Empty,
    /// What a clean apply leaves.
    Applied,
    /// What a clean update run leaves.
    Updated,
}

/// One phase of the walking skeleton's life: where it starts (and the run that sets that up
/// from nothing), the command that is killed, and where that command leaves things once it
/// has converged.
struct Phase {
    name: &'static str,
    from: Stage,
    setup: Option<Vec<&'static str>>,
    command: Vec<&'static str>,
    to: Stage,
}

impl Phase {
    /// Whether the phase's command can be killed in a directory at `stage`: a destroy can start
    /// from anything that is not empty.
    fn starts_from(&self, stage: Stage) -> bool {
        stage == self.from || (self.to == Stage::Empty && stage != Stage::Empty)
    }

    /// The destroy that ends a clean survey run and leaves the emulator empty.
    fn destroy(&self) -> Vec<&'static str> {
        let mut a = args("destroy", &[]);
        if let Some(setup) = &self.setup {
            a.truncate(2);
            a.extend(&setup[2..]);
        }
        a
    }
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

/// One worker of the suite: its own moto and its own directory, so that workers run their
/// points side by side.
struct Worker {
    moto: Moto,
    env: Vec<(String, String)>,
    tmp: tempfile::TempDir,
}

/// One point's result: `None` when the run did not reach the point this time (Route 53
/// batches calls by their arrival) and ran through instead.
type Outcome = Option<Result<(), String>>;

impl Worker {
    fn start() -> Worker {
        let moto = Moto::start();
        reset(&moto);
        let env = moto.env();
        Worker {
            moto,
            env,
            tmp: tempfile::tempdir().expect("tempdir"),
        }
    }

    fn skelc(&self, dir: &Path, args: &[&str], fault: Option<&str>, log: Option<&Path>) -> Out {
        skelc(dir, &self.env, args, fault, log)
    }

    /// A clean run of `phase`: what it leaves is the target, and the points it passes are the
    /// ones to kill. Ends with the emulator empty.
    fn survey(&self, phase: &Phase) -> (Vec<Point>, Vec<String>) {
        let log = self.tmp.path().join(format!("faults-{}.log", phase.name));
        let dir = fresh_dir(self.tmp.path());
        if let Some(setup) = &phase.setup {
            let out = self.skelc(&dir, setup, None, None);
            assert!(out.ok(), "setup of the clean {} run: {out:?}", phase.name);
        }
        let out = self.skelc(&dir, &phase.command, None, Some(&log));
        assert!(out.ok(), "the clean {} run failed: {out:?}", phase.name);
        let expected = inventory(&self.moto);
        let log_text = std::fs::read_to_string(&log).expect("fault log");
        let all = points(&log_text);
        assert!(
            !all.is_empty(),
            "the clean {} run passed no crash point: is the fault-injection feature on?",
            phase.name
        );
        let out = self.skelc(&dir, &phase.destroy(), None, None);
        assert!(
            out.ok() && inventory(&self.moto).is_empty(),
            "clean destroy after the {} survey: {out:?}",
            phase.name
        );
        (all, expected)
    }

    /// Kills a chain of points (at most one per phase, in the phases' order) one after the
    /// other in one directory: each point's command starts from what the previous point's
    /// recovery converged to (an apply's recovered result is what the next point updates, and
    /// that is what the next destroys), so a point needs a set-up run of its own only after a
    /// failure. Returns the outcome of each point; the emulator is empty afterwards.
    fn run_chain(
        &self,
        phases: &[Phase],
        chain: &[(usize, Point)],
        expected: &[Vec<String>],
    ) -> Vec<Outcome> {
        let mut dir = fresh_dir(self.tmp.path());
        let mut stage = Stage::Empty;
        let mut outcomes = Vec::new();
        for (i, point) in chain {
            let phase = &phases[*i];
            if !phase.starts_from(stage) {
                if let Err(e) = self.destroy_all(&dir, stage) {
                    panic!(
                        "clearing a clean {stage:?} directory before {}: {e}",
                        point.fault()
                    );
                }
                dir = fresh_dir(self.tmp.path());
                stage = Stage::Empty;
            }
            if let (Stage::Empty, Some(setup)) = (stage, &phase.setup) {
                let out = self.skelc(&dir, setup, None, None);
                assert!(out.ok(), "setup before {}: {out:?}", point.fault());
            }
            let outcome = self.kill_at(&dir, phase, point, &expected[*i]);
            stage = if matches!(outcome, Some(Err(_))) {
                reset(&self.moto);
                dir = fresh_dir(self.tmp.path());
                Stage::Empty
            } else {
                phase.to
            };
            outcomes.push(outcome);
        }
        if let Err(e) = self.destroy_all(&dir, stage) {
            reset(&self.moto);
            if let Some(last) = outcomes.last_mut() {
                *last = Some(Err(e));
            }
        }
        outcomes
    }

    /// Destroys what a converged directory at `stage` holds, without reading it back first (a
    /// clean run or a verified no-op plan has just done so), and checks through the API that
    /// nothing is left.
    fn destroy_all(&self, dir: &Path, stage: Stage) -> Result<(), String> {
        if stage == Stage::Empty {
            return Ok(());
        }
        let mut destroy = args(
            "destroy",
            if stage == Stage::Updated { UPDATE } else { &[] },
        );
        destroy.push("--no-refresh");
        let destroyed = self.skelc(dir, &destroy, None, None);
        if !destroyed.ok() {
            return Err(format!("destroy after recovery failed: {destroyed:?}"));
        }
        let left = inventory(&self.moto);
        if !left.is_empty() {
            return Err(format!(
                "destroy after recovery left objects behind:{}",
                diff(&[], &left)
            ));
        }
        Ok(())
    }

    /// Kills `phase`'s command at `point` in `dir` and checks that the next commands recover
    /// exactly.
    fn kill_at(&self, dir: &Path, phase: &Phase, point: &Point, expected: &[String]) -> Outcome {
        let killed = self.skelc(dir, &phase.command, Some(&point.fault()), None);
        if killed.killed() {
            Some(self.check_recovery(dir, phase, expected))
        } else if killed.ok() {
            None
        } else {
            Some(Err(format!("the run to kill failed instead: {killed:?}")))
        }
    }

    /// After a kill: the command again converges to `expected`, and then a plan finds nothing
    /// to do (after a destroy: the state is empty).
    fn check_recovery(&self, dir: &Path, phase: &Phase, expected: &[String]) -> Result<(), String> {
        let again = self.skelc(dir, &phase.command, None, None);
        if !again.ok() {
            return Err(format!(
                "the next `skelc {}` failed: {again:?}",
                phase.command[0]
            ));
        }
        let got = inventory(&self.moto);
        if got != expected {
            return Err(format!(
                "after recovery the emulator holds other objects than a clean run:{}",
                diff(expected, &got)
            ));
        }
        if phase.to == Stage::Empty {
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
        let planned = self.skelc(dir, &plan, None, None);
        if planned.code != Some(0) {
            return Err(format!(
                "the plan after recovery is not a no-op: {planned:?}"
            ));
        }
        Ok(())
    }
}

/// How many workers share the points: one per core (at least two), or `SKEL_CRASH_WORKERS`.
fn worker_count() -> usize {
    std::env::var("SKEL_CRASH_WORKERS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2)
                .max(2)
        })
        .clamp(1, 16)
}

/// Every crash point of every phase, killed once each: the phases are surveyed by a clean run
/// (side by side on the workers); then the k-th points of all phases form the k-th chain (see
/// [`Worker::run_chain`]), and the workers take chains from one queue, longest first.
fn sweep(phases: &[Phase]) {
    let workers: Vec<Worker> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..worker_count())
            .map(|_| s.spawn(Worker::start))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("worker start"))
            .collect()
    });
    // Phase i is surveyed by worker i mod n.
    let surveys: Vec<(Vec<Point>, Vec<String>)> = std::thread::scope(|s| {
        let n = workers.len();
        let handles: Vec<_> = workers
            .iter()
            .enumerate()
            .map(|(w, worker)| {
                s.spawn(move || {
                    phases
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| i % n == w)
                        .map(|(i, phase)| (i, worker.survey(phase)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut out: Vec<_> = handles
            .into_iter()
            .flat_map(|h| h.join().expect("survey"))
            .collect();
        out.sort_by_key(|(i, _)| *i);
        out.into_iter().map(|(_, survey)| survey).collect()
    });
    let expected: Vec<Vec<String>> = surveys.iter().map(|(_, e)| e.clone()).collect();
    let longest = surveys.iter().map(|(p, _)| p.len()).max().unwrap_or(0);
    let queue: Mutex<VecDeque<Vec<(usize, Point)>>> = Mutex::new(
        (0..longest)
            .map(|k| {
                surveys
                    .iter()
                    .enumerate()
                    .filter_map(|(i, (points, _))| points.get(k).map(|p| (i, p.clone())))
                    .collect()
            })
            .collect(),
    );
    let tallies: Vec<Mutex<Tally>> = phases.iter().map(|_| Mutex::default()).collect();
    std::thread::scope(|s| {
        for worker in &workers {
            let (queue, tallies, expected) = (&queue, &tallies, &expected);
            s.spawn(move || loop {
                let Some(chain) = queue.lock().expect("queue").pop_front() else {
                    break;
                };
                let outcomes = worker.run_chain(phases, &chain, expected);
                for ((i, point), outcome) in chain.iter().zip(outcomes) {
                    let mut tally = tallies[*i].lock().expect("tally");
                    match outcome {
                        None => tally.not_reached.push(point.fault()),
                        Some(outcome) => tally.record(point, outcome),
                    }
                }
            });
        }
    });
    let mut failed = Vec::new();
    for ((phase, tally), (points, _)) in phases.iter().zip(&tallies).zip(&surveys) {
        let tally = tally.lock().expect("tally");
        let suite = format!("walking skeleton {}", phase.name);
        eprintln!("{}", tally.table(&suite));
        if let Err(e) = tally.check(points.len() as u64 * 8 / 10) {
            failed.push(format!("{suite}: {e}"));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
}

/// Apply from nothing, an update run (every object's tags and the nodes' type: stop, modify,
/// start), and destroy: every crash point of each, killed once.
#[test]
fn killed_at_every_crash_point_of_apply_update_and_destroy_recovers_exactly() {
    sweep(&[
        Phase {
            name: "apply",
            from: Stage::Empty,
            setup: None,
            command: args("run", &[]),
            to: Stage::Applied,
        },
        Phase {
            name: "update",
            from: Stage::Applied,
            setup: Some(args("run", &[])),
            command: args("run", UPDATE),
            to: Stage::Updated,
        },
        Phase {
            name: "destroy",
            from: Stage::Applied,
            setup: Some(args("run", &[])),
            command: args("destroy", &[]),
            to: Stage::Empty,
        },
    ]);
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
