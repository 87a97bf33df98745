//! `aws_vpc_security_group_ingress_rule` and `aws_vpc_security_group_egress_rule`: one AWS
//! security group rule (sgr-…) with exactly one source or destination. Created tagged (the
//! creation protocol's tags, so recovery lists the group's rules by tag), read by rule ids in
//! one `DescribeSecurityGroupRules` call, changed in place with `ModifySecurityGroupRules`
//! (only the group forces a replacement), deleted by rule id.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_ec2::types::{
    Filter, IpPermission, IpRange, Ipv6Range, PrefixListId, ResourceType,
    SecurityGroupRule as ApiRule, SecurityGroupRuleRequest, SecurityGroupRuleUpdate,
    UserIdGroupPair,
};
use aws_sdk_ec2::Client;
use skel_provider::ProviderError;
use skel_value::Value;

use super::rule::{protocol_number, terraform_protocol};
use crate::common::{
    get, get_i64, get_str, id_of, object_name, one_of, optional_string, same, tag_spec, tags_obs,
    update_tags, Obs, Origin, ADDRESS_TAG, TOKEN_TAG,
};
use crate::error::{created_id, AwsErr, SdkResultExt};
use crate::network::region;
use crate::resource::{AwsResource, Kind, Recovered};
use crate::AwsProvider;

const INGRESS: &str = "aws_vpc_security_group_ingress_rule";
const EGRESS: &str = "aws_vpc_security_group_egress_rule";

/// The arguments naming the rule's one source or destination.
const SOURCES: [&str; 4] = [
    "cidr_ipv4",
    "cidr_ipv6",
    "prefix_list_id",
    "referenced_security_group_id",
];

/// The arguments `ModifySecurityGroupRules` changes.
const MODIFIED: [&str; 8] = [
    "ip_protocol",
    "from_port",
    "to_port",
    "cidr_ipv4",
    "cidr_ipv6",
    "prefix_list_id",
    "referenced_security_group_id",
    "description",
];

/// `aws_vpc_security_group_ingress_rule`.
pub(crate) struct IngressRule;

/// `aws_vpc_security_group_egress_rule`.
pub(crate) struct EgressRule;

/// Checks beyond the schema's types: exactly one source or destination.
pub fn validate(type_name: &str, config: &Value) -> Vec<String> {
    let set = SOURCES.iter().filter(|n| !get(config, n).is_null()).count();
    let unknown = SOURCES.iter().any(|n| !get(config, n).is_known());
    let list = "`cidr_ipv4`, `cidr_ipv6`, `prefix_list_id` or `referenced_security_group_id`";
    if set > 1 && !unknown {
        vec![format!(
            "{type_name}: set exactly one of {list}; this rule sets {set} (write one rule per source)."
        )]
    } else if set == 0 {
        vec![format!("{type_name}: set exactly one of {list}.")]
    } else {
        Vec::new()
    }
}

/// The protocol and ports of a planned rule, as the API takes them (no ports for all
/// protocols).
fn protocol_and_ports(planned: &Value) -> (String, Option<i32>, Option<i32>) {
    let protocol = terraform_protocol(get_str(planned, "ip_protocol").unwrap_or("-1"));
    let port = |name: &str| get_i64(planned, name).and_then(|n| i32::try_from(n).ok());
    if protocol == "-1" {
        (protocol, None, None)
    } else {
        (protocol, port("from_port"), port("to_port"))
    }
}

fn permission(planned: &Value) -> IpPermission {
    let (protocol, from, to) = protocol_and_ports(planned);
    let desc = get_str(planned, "description").map(str::to_string);
    let mut b = IpPermission::builder()
        .ip_protocol(protocol)
        .set_from_port(from)
        .set_to_port(to);
    if let Some(c) = get_str(planned, "cidr_ipv4") {
        b = b.ip_ranges(IpRange::builder().cidr_ip(c).set_description(desc).build());
    } else if let Some(c) = get_str(planned, "cidr_ipv6") {
        b = b.ipv6_ranges(
            Ipv6Range::builder()
                .cidr_ipv6(c)
                .set_description(desc)
                .build(),
        );
    } else if let Some(id) = get_str(planned, "prefix_list_id") {
        b = b.prefix_list_ids(
            PrefixListId::builder()
                .prefix_list_id(id)
                .set_description(desc)
                .build(),
        );
    } else if let Some(id) = get_str(planned, "referenced_security_group_id") {
        b = b.user_id_group_pairs(
            UserIdGroupPair::builder()
                .group_id(id)
                .set_description(desc)
                .build(),
        );
    }
    b.build()
}

async fn create(
    p: &AwsProvider,
    ty: &str,
    egress: bool,
    planned: &Value,
    origin: &Origin<'_>,
) -> Result<String, ProviderError> {
    let w = format!("creating {ty} {origin}");
    let group = get_str(planned, "security_group_id").unwrap_or_default();
    let perm = permission(planned);
    let tags = tag_spec(p, ResourceType::SecurityGroupRule, planned, origin);
    let ec2 = p.ec2().await?;
    let rules = if egress {
        ec2.authorize_security_group_egress()
            .group_id(group)
            .ip_permissions(perm)
            .tag_specifications(tags)
            .send()
            .await
            .aws()
            .map(|o| o.security_group_rules().to_vec())
    } else {
        ec2.authorize_security_group_ingress()
            .group_id(group)
            .ip_permissions(perm)
            .tag_specifications(tags)
            .send()
            .await
            .aws()
            .map(|o| o.security_group_rules().to_vec())
    };
    match rules {
        Err(e) if e.is(&["InvalidPermission.Duplicate"]) => Err(e.into_provider(&format!(
            "{w}: group {group} already has this rule; remove it from the group or import it with `skelc import {origin} sgr-…`"
        ))),
        Err(e) => Err(e.into_provider(&w)),
        Ok(rules) => created_id(
            rules.first().and_then(|r| r.security_group_rule_id()),
            &w,
        ),
    }
}

async fn update(
    p: &AwsProvider,
    ty: &str,
    prior: &Value,
    planned: &Value,
) -> Result<String, ProviderError> {
    let id = id_of(prior);
    let w = format!("updating {}", object_name(ty, &id));
    if MODIFIED
        .iter()
        .any(|n| !same(get(prior, n), get(planned, n)))
    {
        let (protocol, from, to) = protocol_and_ports(planned);
        let all = protocol == "-1";
        let text = |n: &str| get_str(planned, n).map(str::to_string);
        let request = SecurityGroupRuleRequest::builder()
            .ip_protocol(protocol)
            // All protocols means all ports, which the API writes as -1.
            .set_from_port(if all { Some(-1) } else { from })
            .set_to_port(if all { Some(-1) } else { to })
            .set_cidr_ipv4(text("cidr_ipv4"))
            .set_cidr_ipv6(text("cidr_ipv6"))
            .set_prefix_list_id(text("prefix_list_id"))
            .set_referenced_group_id(text("referenced_security_group_id"))
            .set_description(text("description"))
            .build();
        p.ec2()
            .await?
            .modify_security_group_rules()
            .group_id(get_str(planned, "security_group_id").unwrap_or_default())
            .security_group_rules(
                SecurityGroupRuleUpdate::builder()
                    .security_group_rule_id(&id)
                    .security_group_rule(request)
                    .build(),
            )
            .send()
            .await
            .or_fail(&w)?;
    }
    update_tags(p, &w, &id, prior, planned).await?;
    Ok(id)
}

async fn delete(
    p: &AwsProvider,
    ty: &str,
    egress: bool,
    prior: &Value,
) -> Result<(), ProviderError> {
    let id = id_of(prior);
    let w = format!("deleting {}", object_name(ty, &id));
    let group = get_str(prior, "security_group_id").unwrap_or_default();
    let ec2 = p.ec2().await?;
    let sent = if egress {
        ec2.revoke_security_group_egress()
            .group_id(group)
            .security_group_rule_ids(&id)
            .send()
            .await
            .aws()
            .map(|_| ())
    } else {
        ec2.revoke_security_group_ingress()
            .group_id(group)
            .security_group_rule_ids(&id)
            .send()
            .await
            .aws()
            .map(|_| ())
    };
    match sent {
        Err(e) if e.is_not_found() => Ok(()),
        Err(e) => Err(e.into_provider(&w)),
        Ok(()) => Ok(()),
    }
}

/// The rule of this direction that an interrupted create made: the group's rules tagged with
/// the create's token.
async fn find(p: &AwsProvider, egress: bool, planned: &Value, origin: &Origin<'_>) -> Recovered {
    let (key, value) = match origin.token {
        Some(token) => (TOKEN_TAG, token),
        None => (ADDRESS_TAG, origin.address),
    };
    let mut call = p.ec2().await?.describe_security_group_rules().filters(
        Filter::builder()
            .name(format!("tag:{key}"))
            .values(value)
            .build(),
    );
    if let Some(group) = get_str(planned, "security_group_id") {
        call = call.filters(Filter::builder().name("group-id").values(group).build());
    }
    let out = call.send().await.or_fail(&format!("recovering {origin}"))?;
    let ids = out
        .security_group_rules()
        .iter()
        .filter(|r| r.is_egress() == Some(egress))
        .filter_map(|r| r.security_group_rule_id().map(str::to_string))
        .collect();
    one_of(origin, ids)
}

fn observe(ec2: &Client, r: &ApiRule) -> Obs {
    let mut o = Obs::new();
    let id = r.security_group_rule_id().unwrap_or_default();
    let protocol = r.ip_protocol().unwrap_or("-1");
    let all = protocol_number(protocol) == "-1";
    let port = |p: Option<i32>| match p {
        Some(p) if !all => Value::number(i64::from(p)),
        _ => Value::Null,
    };
    o.insert("security_group_rule_id".into(), Value::string(id));
    o.insert("security_group_id".into(), optional_string(r.group_id()));
    o.insert("ip_protocol".into(), Value::string(protocol));
    o.insert("from_port".into(), port(r.from_port()));
    o.insert("to_port".into(), port(r.to_port()));
    o.insert("cidr_ipv4".into(), optional_string(r.cidr_ipv4()));
    o.insert("cidr_ipv6".into(), optional_string(r.cidr_ipv6()));
    o.insert("prefix_list_id".into(), optional_string(r.prefix_list_id()));
    o.insert(
        "referenced_security_group_id".into(),
        optional_string(r.referenced_group_info().and_then(|g| g.group_id())),
    );
    o.insert(
        "description".into(),
        optional_string(r.description().filter(|d| !d.is_empty())),
    );
    o.insert(
        "arn".into(),
        Value::string(match r.security_group_rule_arn() {
            Some(arn) => arn.to_string(),
            None => format!(
                "arn:aws:ec2:{}:{}:security-group-rule/{id}",
                region(ec2),
                r.group_owner_id().unwrap_or_default()
            ),
        }),
    );
    o.insert("tags_all".into(), tags_obs(r.tags()));
    o
}

async fn read(
    ec2: Client,
    ids: Vec<String>,
    egress: bool,
) -> Result<BTreeMap<String, Obs>, AwsErr> {
    let mut found = BTreeMap::new();
    let mut pages = ec2
        .describe_security_group_rules()
        .set_security_group_rule_ids(Some(ids))
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        for r in page.aws()?.security_group_rules() {
            // A rule of the other direction is not this type's object.
            if r.is_egress() != Some(egress) {
                continue;
            }
            if let Some(id) = r.security_group_rule_id() {
                found.insert(id.to_string(), observe(&ec2, r));
            }
        }
    }
    Ok(found)
}

/// One implementation per direction, the same calls.
macro_rules! rule_type {
    ($name:ident, $ty:expr, $egress:expr) => {
        #[async_trait]
        impl AwsResource for $name {
            fn kind(&self) -> Kind {
                Kind::untagged($ty, |api, ids| Box::pin(read(api.ec2, ids, $egress)))
            }

            async fn create(
                &self,
                p: &AwsProvider,
                planned: &Value,
                origin: &Origin<'_>,
            ) -> Result<String, ProviderError> {
                create(p, $ty, $egress, planned, origin).await
            }

            async fn update(
                &self,
                p: &AwsProvider,
                prior: &Value,
                planned: &Value,
                _origin: &Origin<'_>,
            ) -> Result<String, ProviderError> {
                update(p, $ty, prior, planned).await
            }

            async fn delete(&self, p: &AwsProvider, prior: &Value) -> Result<(), ProviderError> {
                delete(p, $ty, $egress, prior).await
            }

            async fn find(
                &self,
                p: &AwsProvider,
                planned: &Value,
                origin: &Origin<'_>,
            ) -> Recovered {
                find(p, $egress, planned, origin).await
            }
        }
    };
}

rule_type!(IngressRule, INGRESS, false);
rule_type!(EgressRule, EGRESS, true);
