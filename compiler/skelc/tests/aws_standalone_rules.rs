//! Standalone routes and network ACL rules beside their table and ACL, through the real
//! `skelc` against moto: a table or ACL that writes no inline blocks leaves the standalone
//! ones alone (the provider never fights itself: the second plan is empty), one that writes
//! inline blocks manages exactly those (a route added behind skel's back is planned away and
//! removed). Everything is checked through the AWS API.

mod moto_support;

use std::path::Path;
use std::process::{Command, Stdio};

use moto_support::Moto;

const SKELC: &str = env!("CARGO_BIN_EXE_skelc");

struct Out {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl std::fmt::Debug for Out {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

fn skelc(dir: &Path, args: &[&str], moto: &Moto) -> Out {
    let output = Command::new(SKELC)
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .envs(moto.env())
        .stdin(Stdio::null())
        .output()
        .expect("skelc runs");
    let out = Out {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert_ne!(out.code, Some(101), "skelc panicked: {out:?}");
    out
}

fn ok(dir: &Path, args: &[&str], moto: &Moto) -> Out {
    let out = skelc(dir, args, moto);
    assert_eq!(out.code, Some(0), "skelc {args:?}: {out:?}");
    out
}

/// `skelc plan --detailed-exitcode` says there is nothing to do.
fn assert_no_changes(dir: &Path, moto: &Moto) {
    let plan = skelc(dir, &["plan", "--detailed-exitcode"], moto);
    assert_eq!(plan.code, Some(0), "expected no changes: {plan:?}");
    assert!(
        !plan.stdout.contains("changed outside"),
        "routes and rules skel made are no drift: {plan:?}"
    );
}

const NETWORK: &str = r#"
provider "aws" {
  region = "us-east-1"
}

resource "aws_vpc" "main" {
  cidr_block = "10.50.0.0/16"
}

resource "aws_internet_gateway" "gw" {
  vpc_id = aws_vpc.main.id
}
"#;

/// Routes of table `table` as (destination, gateway) pairs, sorted, the VPC's local route
/// left out.
fn routes(moto: &Moto, table: &str) -> Vec<(String, String)> {
    let table = table.to_string();
    moto.ec2(|ec2| async move {
        let out = ec2
            .describe_route_tables()
            .route_table_ids(table)
            .send()
            .await
            .expect("DescribeRouteTables");
        let mut found: Vec<(String, String)> = out.route_tables()[0]
            .routes()
            .iter()
            .filter(|r| r.gateway_id() != Some("local"))
            .map(|r| {
                (
                    r.destination_cidr_block().unwrap_or_default().to_string(),
                    r.gateway_id().unwrap_or_default().to_string(),
                )
            })
            .collect();
        found.sort();
        found
    })
}

/// Rule numbers of ACL `acl` (`egress`), the default rules left out.
fn rules(moto: &Moto, acl: &str, egress: bool) -> Vec<i32> {
    let acl = acl.to_string();
    moto.ec2(|ec2| async move {
        let out = ec2
            .describe_network_acls()
            .network_acl_ids(acl)
            .send()
            .await
            .expect("DescribeNetworkAcls");
        let mut found: Vec<i32> = out.network_acls()[0]
            .entries()
            .iter()
            .filter(|e| e.egress() == Some(egress))
            .filter_map(|e| e.rule_number())
            .filter(|n| *n < 32767)
            .collect();
        found.sort_unstable();
        found
    })
}

fn output(dir: &Path, name: &str, moto: &Moto) -> String {
    let out = ok(dir, &["output", name], moto);
    out.stdout.trim().to_string()
}

#[test]
fn standalone_routes_and_rules_beside_a_table_acl_and_group_without_inline_ones_are_left_alone() {
    let moto = Moto::start();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let config = format!(
        r#"{NETWORK}
resource "aws_route_table" "public" {{
  vpc_id = aws_vpc.main.id
}}

resource "aws_route" "default" {{
  route_table_id         = aws_route_table.public.id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.gw.id
}}

resource "aws_route" "office" {{
  route_table_id         = aws_route_table.public.id
  destination_cidr_block = "192.168.0.0/16"
  gateway_id             = aws_internet_gateway.gw.id
}}

resource "aws_network_acl" "public" {{
  vpc_id = aws_vpc.main.id
}}

resource "aws_network_acl_rule" "https" {{
  network_acl_id = aws_network_acl.public.id
  rule_number    = 100
  protocol       = "tcp"
  rule_action    = "allow"
  cidr_block     = "0.0.0.0/0"
  from_port      = 443
  to_port        = 443
}}

resource "aws_network_acl_rule" "out" {{
  network_acl_id = aws_network_acl.public.id
  rule_number    = 100
  egress         = true
  protocol       = "-1"
  rule_action    = "allow"
  cidr_block     = "0.0.0.0/0"
}}

resource "aws_security_group" "nodes" {{
  name   = "nodes"
  vpc_id = aws_vpc.main.id
}}

resource "aws_security_group_rule" "each_other" {{
  type              = "ingress"
  security_group_id = aws_security_group.nodes.id
  protocol          = "-1"
  from_port         = 0
  to_port           = 0
  self              = true
  description       = "Node to node"
}}

resource "aws_security_group_rule" "https" {{
  type              = "ingress"
  security_group_id = aws_security_group.nodes.id
  protocol          = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_blocks       = ["10.50.0.0/16"]
  description       = "API"
}}

output "table" {{
  value = aws_route_table.public.id
}}

output "acl" {{
  value = aws_network_acl.public.id
}}

output "gw" {{
  value = aws_internet_gateway.gw.id
}}

output "route_id" {{
  value = aws_route.default.id
}}
"#
    );
    std::fs::write(dir.join("main.skel"), &config).unwrap();
    ok(dir, &["run", "-auto-approve"], &moto);
    let (table, acl, gw) = (
        output(dir, "table", &moto),
        output(dir, "acl", &moto),
        output(dir, "gw", &moto),
    );
    assert_eq!(
        routes(&moto, &table),
        vec![
            ("0.0.0.0/0".to_string(), gw.clone()),
            ("192.168.0.0/16".to_string(), gw.clone())
        ]
    );
    assert_eq!(rules(&moto, &acl, false), vec![100]);
    assert_eq!(rules(&moto, &acl, true), vec![100]);
    // Terraform's id: "r-" + table + CRC-32 of the destination.
    assert_eq!(
        output(dir, "route_id", &moto),
        format!("r-{table}1080289494")
    );

    // The table and ACL see the standalone routes and rules on refresh and leave them be.
    assert_no_changes(dir, &moto);
    assert_no_changes(dir, &moto);

    // One route removed from the configuration: exactly that one goes.
    let fewer = config.replace(
        "resource \"aws_route\" \"office\"",
        "resource \"aws_route\" \"gone\"",
    );
    let fewer = fewer.replace(
        "destination_cidr_block = \"192.168.0.0/16\"",
        "destination_cidr_block = \"172.16.0.0/12\"",
    );
    std::fs::write(dir.join("main.skel"), &fewer).unwrap();
    ok(dir, &["run", "-auto-approve"], &moto);
    assert_eq!(
        routes(&moto, &table),
        vec![
            ("0.0.0.0/0".to_string(), gw.clone()),
            ("172.16.0.0/12".to_string(), gw.clone())
        ]
    );
    assert_no_changes(dir, &moto);

    // Nor does a destroy report the group's, table's or ACL's rules as drift.
    let destroyed = ok(dir, &["destroy", "-auto-approve"], &moto);
    assert!(
        !destroyed.stdout.contains("changed outside"),
        "destroy reports drift: {destroyed:?}"
    );
    let left = moto.ec2(|ec2| async move {
        ec2.describe_vpcs()
            .filters(
                aws_sdk_ec2::types::Filter::builder()
                    .name("cidr")
                    .values("10.50.0.0/16")
                    .build(),
            )
            .send()
            .await
            .expect("DescribeVpcs")
            .vpcs()
            .len()
    });
    assert_eq!(left, 0, "destroy left the VPC");
}

#[test]
fn a_table_with_inline_routes_manages_exactly_those() {
    let moto = Moto::start();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let config = format!(
        r#"{NETWORK}
resource "aws_route_table" "public" {{
  vpc_id = aws_vpc.main.id
  route {{
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.gw.id
  }}
}}

output "table" {{
  value = aws_route_table.public.id
}}

output "gw" {{
  value = aws_internet_gateway.gw.id
}}
"#
    );
    std::fs::write(dir.join("main.skel"), &config).unwrap();
    ok(dir, &["run", "-auto-approve"], &moto);
    let (table, gw) = (output(dir, "table", &moto), output(dir, "gw", &moto));
    assert_no_changes(dir, &moto);

    // A route added behind skel's back is drift: planned away, then removed.
    let (t, g) = (table.clone(), gw.clone());
    moto.ec2(|ec2| async move {
        ec2.create_route()
            .route_table_id(t)
            .destination_cidr_block("10.99.0.0/16")
            .gateway_id(g)
            .send()
            .await
            .expect("CreateRoute");
    });
    let plan = skelc(dir, &["plan", "--detailed-exitcode"], &moto);
    assert_eq!(plan.code, Some(2), "the extra route is a change: {plan:?}");
    assert!(plan.stdout.contains("10.99.0.0/16"), "{plan:?}");
    ok(dir, &["run", "-auto-approve"], &moto);
    assert_eq!(
        routes(&moto, &table),
        vec![("0.0.0.0/0".to_string(), gw.clone())]
    );
    assert_no_changes(dir, &moto);
    ok(dir, &["destroy", "-auto-approve"], &moto);
}
