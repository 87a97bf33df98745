//! The security-group rule types seen through the EC2 API, for the lifecycle matrix: each
//! rule's AWS rules (one per source) listed with `DescribeSecurityGroupRules`, and the
//! out-of-band changes an operator would make (a description edited, the rule revoked).
#![allow(dead_code)]

use aws_sdk_ec2::types::{Filter, IpPermission, IpRange, SecurityGroupRule};
use skel_value::Value;

use crate::support::{get, str_of};

/// The AWS rules of group `group`.
pub async fn rules_of(ec2: &aws_sdk_ec2::Client, group: &str) -> Vec<SecurityGroupRule> {
    ec2.describe_security_group_rules()
        .filters(Filter::builder().name("group-id").values(group).build())
        .send()
        .await
        .expect("DescribeSecurityGroupRules")
        .security_group_rules()
        .to_vec()
}

/// The CIDR blocks of an `aws_security_group_rule` state.
fn cidrs(state: &Value) -> Vec<String> {
    get(state, "cidr_blocks")
        .as_sequence()
        .unwrap_or(&[])
        .iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect()
}

fn port(state: &Value, name: &str) -> i32 {
    get(state, name)
        .as_number()
        .and_then(|n| n.as_i64())
        .expect("port") as i32
}

/// The AWS rules an `aws_security_group_rule` (a TCP rule with CIDR sources) stands for, as
/// Debug text; `None` when none of them exists.
pub async fn describe_rule(ec2: &aws_sdk_ec2::Client, state: &Value) -> Option<String> {
    let egress = str_of(state, "type") == "egress";
    let wanted = cidrs(state);
    let (from, to) = (port(state, "from_port"), port(state, "to_port"));
    let found: Vec<SecurityGroupRule> = rules_of(ec2, &str_of(state, "security_group_id"))
        .await
        .into_iter()
        .filter(|r| {
            r.is_egress() == Some(egress)
                && r.ip_protocol() == Some("tcp")
                && r.from_port() == Some(from)
                && r.to_port() == Some(to)
                && r.cidr_ipv4().is_some_and(|c| wanted.iter().any(|w| w == c))
        })
        .collect();
    (!found.is_empty()).then(|| format!("{found:?}"))
}

/// The permission of an `aws_security_group_rule` state (TCP, CIDR sources).
fn permission(state: &Value, description: Option<&str>) -> IpPermission {
    let mut b = IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(port(state, "from_port"))
        .to_port(port(state, "to_port"));
    for c in cidrs(state) {
        b = b.ip_ranges(
            IpRange::builder()
                .cidr_ip(c)
                .set_description(description.map(str::to_string))
                .build(),
        );
    }
    b.build()
}

/// Rewrites the description of every source of the rule.
pub async fn drift_rule(ec2: &aws_sdk_ec2::Client, state: &Value, description: &str) {
    let group = str_of(state, "security_group_id");
    let perm = permission(state, Some(description));
    if str_of(state, "type") == "egress" {
        ec2.update_security_group_rule_descriptions_egress()
            .group_id(group)
            .ip_permissions(perm)
            .send()
            .await
            .expect("UpdateSecurityGroupRuleDescriptionsEgress");
    } else {
        ec2.update_security_group_rule_descriptions_ingress()
            .group_id(group)
            .ip_permissions(perm)
            .send()
            .await
            .expect("UpdateSecurityGroupRuleDescriptionsIngress");
    }
}

/// Revokes the rule, as an operator would.
pub async fn delete_rule(ec2: &aws_sdk_ec2::Client, state: &Value) {
    let group = str_of(state, "security_group_id");
    let perm = permission(state, None);
    if str_of(state, "type") == "egress" {
        ec2.revoke_security_group_egress()
            .group_id(group)
            .ip_permissions(perm)
            .send()
            .await
            .expect("RevokeSecurityGroupEgress");
    } else {
        ec2.revoke_security_group_ingress()
            .group_id(group)
            .ip_permissions(perm)
            .send()
            .await
            .expect("RevokeSecurityGroupIngress");
    }
}
