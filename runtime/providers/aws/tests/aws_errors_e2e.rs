//! End to end with the real `skelc` binary against moto: the state stays consistent after
//! errors. A partial apply (one subnet rejected by the API, independent resources created)
//! records exactly the objects that exist, checked with Describe calls, and converges once the
//! configuration is fixed; a plan while the endpoint is down fails cleanly and leaves the state
//! file byte for byte as it was.

mod cli_support;

use std::collections::BTreeMap;
use std::path::Path;

use aws_sdk_ec2::types::Filter;
use cli_support::*;

const PUBLIC_KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAID6OBvzQ/91A2z/Trx9IB5QbSXD3fXbBBhMjT5T24b+2 skel-e2e";

/// A VPC with two subnets, each associated with one route table, plus a security group and a
/// key pair. `subnet_b_cidr` outside the VPC's range makes AWS reject subnet `b` only.
fn network_config(subnet_b_cidr: &str) -> String {
    format!(
        r#"provider "aws" {{}}

resource "aws_vpc" "main" {{
  cidr_block = "10.0.0.0/16"
  tags       = {{ Name = "e2e-errors" }}
}}

resource "aws_subnet" "a" {{
  vpc_id            = aws_vpc.main.id
  cidr_block        = "10.0.1.0/24"
  availability_zone = "us-east-1a"
}}

resource "aws_subnet" "b" {{
  vpc_id            = aws_vpc.main.id
  cidr_block        = "{subnet_b_cidr}"
  availability_zone = "us-east-1b"
}}

resource "aws_route_table" "public" {{
  vpc_id = aws_vpc.main.id
}}

resource "aws_route_table_association" "a" {{
  subnet_id      = aws_subnet.a.id
  route_table_id = aws_route_table.public.id
}}

resource "aws_route_table_association" "b" {{
  subnet_id      = aws_subnet.b.id
  route_table_id = aws_route_table.public.id
}}

resource "aws_security_group" "web" {{
  name        = "e2e-web"
  description = "e2e"
  vpc_id      = aws_vpc.main.id
}}

resource "aws_key_pair" "deploy" {{
  key_name   = "e2e-deploy"
  public_key = "{PUBLIC_KEY}"
}}
"#
    )
}

/// The state file's resources: address → `id` attribute.
fn state_ids(dir: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(dir.join("skel.state.json")).expect("state file");
    let state: serde_json::Value = serde_json::from_str(&text).expect("state is JSON");
    state["resources"]
        .as_object()
        .expect("resources object")
        .iter()
        .map(|(addr, r)| {
            let id = r["attributes"]["id"].as_str().unwrap_or_default();
            (addr.clone(), id.to_string())
        })
        .collect()
}

fn addresses(ids: &BTreeMap<String, String>) -> Vec<&str> {
    ids.keys().map(String::as_str).collect()
}

fn filter(name: &str, value: &str) -> Filter {
    Filter::builder().name(name).values(value).build()
}

/// What exists in the VPC, read through the API: subnet ids, the route table's subnet
/// associations (subnet, association id), security groups named e2e-web, key pairs named
/// e2e-deploy.
struct Seen {
    vpc: bool,
    subnets: Vec<String>,
    associations: Vec<(String, String)>,
    groups: Vec<String>,
    keys: Vec<String>,
}

async fn seen(url: &str, vpc_id: &str, table_id: &str) -> Seen {
    let ec2 = aws_sdk_ec2::Client::new(&sdk(url).await);
    let vpc = ec2
        .describe_vpcs()
        .vpc_ids(vpc_id)
        .send()
        .await
        .map(|o| o.vpcs().len() == 1)
        .unwrap_or(false);
    let mut subnets: Vec<String> = ec2
        .describe_subnets()
        .filters(filter("vpc-id", vpc_id))
        .send()
        .await
        .expect("DescribeSubnets")
        .subnets()
        .iter()
        .filter_map(|s| s.subnet_id().map(str::to_string))
        .collect();
    subnets.sort();
    let tables = ec2
        .describe_route_tables()
        .route_table_ids(table_id)
        .send()
        .await
        .expect("DescribeRouteTables");
    let mut associations: Vec<(String, String)> = tables
        .route_tables()
        .iter()
        .flat_map(|t| t.associations())
        .filter_map(|a| {
            Some((
                a.subnet_id()?.to_string(),
                a.route_table_association_id()?.to_string(),
            ))
        })
        .collect();
    associations.sort();
    let groups = ec2
        .describe_security_groups()
        .filters(filter("vpc-id", vpc_id))
        .filters(filter("group-name", "e2e-web"))
        .send()
        .await
        .expect("DescribeSecurityGroups")
        .security_groups()
        .iter()
        .filter_map(|g| g.group_id().map(str::to_string))
        .collect();
    let keys = ec2
        .describe_key_pairs()
        .send()
        .await
        .expect("DescribeKeyPairs")
        .key_pairs()
        .iter()
        .filter_map(|k| k.key_name().map(str::to_string))
        .filter(|k| k == "e2e-deploy")
        .collect();
    Seen {
        vpc,
        subnets,
        associations,
        groups,
        keys,
    }
}

fn no_panic(out: &std::process::Output) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("panicked") && out.status.code() != Some(101),
        "skelc panicked:\n{}",
        text(out)
    );
}

#[test]
fn a_partial_apply_records_what_exists_and_a_fixed_rerun_converges() {
    let skelc = skelc();
    let tmp = tempfile::tempdir().unwrap();
    let moto = start_moto(&tmp.path().join("moto"));
    let dir = tmp.path().join("work");
    std::fs::create_dir_all(&dir).unwrap();
    let main = dir.join("main.skel");

    // 10.9.0.0/24 is a well-formed CIDR outside the VPC: only the API rejects it.
    std::fs::write(&main, network_config("10.9.0.0/24")).unwrap();
    let (out, _) = run(&skelc, &dir, moto.port, &["run", "--auto-approve"]);
    no_panic(&out);
    assert_ne!(
        out.status.code(),
        Some(0),
        "the apply must fail:\n{}",
        text(&out)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("aws_subnet.b") && stderr.contains("InvalidSubnet.Range"),
        "the error names neither the resource nor the API's reason:\n{}",
        text(&out)
    );
    assert!(
        stderr.lines().filter(|l| l.contains(": failed:")).count() == 1
            && stderr.contains("aws_subnet.a: Created")
            && stderr.contains("aws_key_pair.deploy: Created"),
        "an independent resource is reported as failed:\n{}",
        text(&out)
    );
    assert!(
        !dir.join("skel.state.journal").exists(),
        "a finished (failed) apply left its journal"
    );

    // The state holds exactly what was created: everything but subnet b and its association.
    let ids = state_ids(&dir);
    assert_eq!(
        addresses(&ids),
        [
            "aws_key_pair.deploy",
            "aws_route_table.public",
            "aws_route_table_association.a",
            "aws_security_group.web",
            "aws_subnet.a",
            "aws_vpc.main",
        ],
        "state after the partial apply"
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    let url = moto.url();
    let vpc_id = &ids["aws_vpc.main"];
    let table_id = &ids["aws_route_table.public"];
    let api = rt.block_on(seen(&url, vpc_id, table_id));
    assert!(api.vpc, "the VPC in the state does not exist");
    assert_eq!(
        api.subnets,
        vec![ids["aws_subnet.a"].clone()],
        "subnets in the VPC"
    );
    assert_eq!(
        api.associations,
        vec![(
            ids["aws_subnet.a"].clone(),
            ids["aws_route_table_association.a"].clone()
        )],
        "route table associations"
    );
    assert_eq!(api.groups, vec![ids["aws_security_group.web"].clone()]);
    assert_eq!(api.keys, vec![ids["aws_key_pair.deploy"].clone()]);

    // A plan now proposes only what is missing.
    let (out, _) = run(&skelc, &dir, moto.port, &["plan", "--detailed-exitcode"]);
    no_panic(&out);
    assert_eq!(
        out.status.code(),
        Some(2),
        "plan shows changes:\n{}",
        text(&out)
    );

    // Fixed: the re-run creates the two missing objects, keeps the rest, and converges.
    std::fs::write(&main, network_config("10.0.2.0/24")).unwrap();
    let (out, _) = run(&skelc, &dir, moto.port, &["run", "--auto-approve"]);
    assert!(
        out.status.success(),
        "the fixed run failed:\n{}",
        text(&out)
    );
    let fixed = state_ids(&dir);
    assert_eq!(fixed.len(), 8, "state after the fix: {fixed:?}");
    for (addr, id) in &ids {
        assert_eq!(&fixed[addr], id, "{addr} was replaced by the re-run");
    }
    let api = rt.block_on(seen(&url, vpc_id, table_id));
    let mut subnets = vec![fixed["aws_subnet.a"].clone(), fixed["aws_subnet.b"].clone()];
    subnets.sort();
    assert_eq!(api.subnets, subnets);
    let mut associations = vec![
        (
            fixed["aws_subnet.a"].clone(),
            fixed["aws_route_table_association.a"].clone(),
        ),
        (
            fixed["aws_subnet.b"].clone(),
            fixed["aws_route_table_association.b"].clone(),
        ),
    ];
    associations.sort();
    assert_eq!(api.associations, associations);
    let (out, _) = run(&skelc, &dir, moto.port, &["plan", "--detailed-exitcode"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "the fixed configuration does not converge:\n{}",
        text(&out)
    );
}

#[test]
fn a_plan_with_the_endpoint_down_fails_cleanly_and_leaves_the_state_alone() {
    let skelc = skelc();
    let tmp = tempfile::tempdir().unwrap();
    let moto = start_moto(&tmp.path().join("moto"));
    let dir = tmp.path().join("work");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("main.skel"), network_config("10.0.2.0/24")).unwrap();
    let (out, _) = run(&skelc, &dir, moto.port, &["run", "--auto-approve"]);
    assert!(out.status.success(), "the apply failed:\n{}", text(&out));
    let state_path = dir.join("skel.state.json");
    let before = std::fs::read(&state_path).unwrap();
    let backup_before = std::fs::read(dir.join("skel.state.json.backup")).ok();

    // The emulator goes away; its port is closed.
    let status = std::process::Command::new(repo().join("scripts/moto"))
        .arg("stop")
        .arg(&moto.dir)
        .status()
        .expect("scripts/moto stop");
    assert!(status.success(), "stopping moto failed");
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", moto.port)).is_err(),
        "moto still answers on its port"
    );

    let (out, secs) = run(&skelc, &dir, moto.port, &["plan"]);
    no_panic(&out);
    assert!(
        !matches!(out.status.code(), Some(0) | Some(2) | None),
        "the plan must fail with an error exit code:\n{}",
        text(&out)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("the AWS endpoint cannot be reached")
            && stderr.contains("AWS_ENDPOINT_URL"),
        "no clear unreachable-endpoint error:\n{}",
        text(&out)
    );
    assert!(
        stderr.lines().filter(|l| !l.trim().is_empty()).count() < 40,
        "the error is not short:\n{}",
        text(&out)
    );
    assert!(secs < 60.0, "the failing plan took {secs:.0}s");
    assert_eq!(
        std::fs::read(&state_path).unwrap(),
        before,
        "the plan changed the state file"
    );
    assert_eq!(
        std::fs::read(dir.join("skel.state.json.backup")).ok(),
        backup_before,
        "the plan changed the backup"
    );
    assert!(!dir.join("skel.state.journal").exists());

    // Same for a closed port that never had a server, through `skelc refresh` as well.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    for args in [&["plan"][..], &["refresh"][..]] {
        let (out, _) = run(&skelc, &dir, closed, args);
        no_panic(&out);
        assert!(
            !matches!(out.status.code(), Some(0) | Some(2) | None),
            "skelc {args:?} must fail:\n{}",
            text(&out)
        );
        assert_eq!(
            std::fs::read(&state_path).unwrap(),
            before,
            "skelc {args:?} changed the state file"
        );
    }
}
