//! `aws_vpc`, `aws_subnet`, `aws_subnets` and `aws_security_group`: VPC objects by their
//! arguments, tags and filters.

use aws_sdk_ec2::types::Filter;
use skel_provider::ProviderError;
use skel_value::{Value, ValueMap};

use super::{arg_filter, exactly_one, filters, read_as_resource, region_id};
use crate::common::{get, get_str, optional_string, string_list};
use crate::error::SdkResultExt;
use crate::AwsProvider;

/// `data.aws_vpc`: one VPC.
pub(super) async fn vpc(p: &AwsProvider, config: &Value) -> Result<ValueMap, ProviderError> {
    let ty = "aws_vpc";
    let mut fs = filters(config, "tags");
    arg_filter(
        &mut fs,
        config,
        "cidr_block",
        "cidr-block-association.cidr-block",
    );
    arg_filter(&mut fs, config, "default", "is-default");
    arg_filter(&mut fs, config, "dhcp_options_id", "dhcp-options-id");
    arg_filter(&mut fs, config, "state", "state");
    let ec2 = p.ec2().await?;
    let mut ids = Vec::new();
    let mut pages = ec2
        .describe_vpcs()
        .set_vpc_ids(get_str(config, "id").map(|id| vec![id.to_string()]))
        .set_filters(Some(fs).filter(|f| !f.is_empty()))
        .into_paginator()
        .send();
    let mut cidr_sets = ValueMap::new();
    while let Some(page) = pages.next().await {
        let page = match page.aws() {
            Err(e) if e.is_not_found() => break,
            other => other.map_err(|e| e.into_provider(&format!("reading data.{ty}")))?,
        };
        for v in page.vpcs() {
            let Some(id) = v.vpc_id() else { continue };
            ids.push(id.to_string());
            let sets = v
                .cidr_block_association_set()
                .iter()
                .map(|a| {
                    Value::Object(ValueMap::from([
                        (
                            "association_id".to_string(),
                            optional_string(a.association_id()),
                        ),
                        ("cidr_block".to_string(), optional_string(a.cidr_block())),
                        (
                            "state".to_string(),
                            optional_string(
                                a.cidr_block_state()
                                    .and_then(|s| s.state())
                                    .map(|s| s.as_str()),
                            ),
                        ),
                    ]))
                })
                .collect();
            cidr_sets.insert(
                id.to_string(),
                Value::Object(ValueMap::from([
                    ("sets".to_string(), Value::List(sets)),
                    (
                        "default".to_string(),
                        Value::Bool(v.is_default().unwrap_or(false)),
                    ),
                    (
                        "state".to_string(),
                        optional_string(v.state().map(|s| s.as_str())),
                    ),
                ])),
            );
        }
    }
    let id = exactly_one(ty, "VPC", ids)?;
    let mut obs = read_as_resource(p, ty, ty, &id).await?;
    let seen = cidr_sets.get(&id).cloned().unwrap_or(Value::Null);
    obs.insert("cidr_block_associations".into(), get(&seen, "sets").clone());
    obs.insert("default".into(), get(&seen, "default").clone());
    obs.insert("state".into(), get(&seen, "state").clone());
    Ok(obs)
}

/// The filters of a subnet lookup: `filter` blocks, `tags`, and the subnet arguments.
fn subnet_filters(config: &Value) -> Vec<Filter> {
    let mut fs = filters(config, "tags");
    for (arg, name) in [
        ("vpc_id", "vpc-id"),
        ("availability_zone", "availability-zone"),
        ("availability_zone_id", "availability-zone-id"),
        ("cidr_block", "cidr-block"),
        (
            "ipv6_cidr_block",
            "ipv6-cidr-block-association.ipv6-cidr-block",
        ),
        ("default_for_az", "default-for-az"),
        ("state", "state"),
    ] {
        arg_filter(&mut fs, config, arg, name);
    }
    fs
}

/// The ids of the subnets `ids` (none: all) that match `fs`, with their states and
/// default-for-AZ flags.
async fn list_subnets(
    p: &AwsProvider,
    ty: &str,
    ids: Option<Vec<String>>,
    fs: Vec<Filter>,
) -> Result<Vec<(String, Option<String>, Option<bool>)>, ProviderError> {
    let mut out = Vec::new();
    let mut pages = p
        .ec2()
        .await?
        .describe_subnets()
        .set_subnet_ids(ids)
        .set_filters(Some(fs).filter(|f| !f.is_empty()))
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = match page.aws() {
            Err(e) if e.is_not_found() => break,
            other => other.map_err(|e| e.into_provider(&format!("reading data.{ty}")))?,
        };
        for s in page.subnets() {
            if let Some(id) = s.subnet_id() {
                out.push((
                    id.to_string(),
                    s.state().map(|x| x.as_str().to_string()),
                    s.default_for_az(),
                ));
            }
        }
    }
    Ok(out)
}

/// `data.aws_subnet`: one subnet.
pub(super) async fn subnet(p: &AwsProvider, config: &Value) -> Result<ValueMap, ProviderError> {
    let ty = "aws_subnet";
    let ids = get_str(config, "id").map(|id| vec![id.to_string()]);
    let found = list_subnets(p, ty, ids, subnet_filters(config)).await?;
    let id = exactly_one(ty, "subnet", found.iter().map(|f| f.0.clone()).collect())?;
    let mut obs = read_as_resource(p, ty, ty, &id).await?;
    if let Some((_, state, default_for_az)) = found.iter().find(|f| f.0 == id) {
        obs.insert("state".into(), optional_string(state.as_deref()));
        obs.insert(
            "default_for_az".into(),
            Value::Bool(default_for_az.unwrap_or(false)),
        );
    }
    let ec2 = p.ec2().await?;
    let more = ec2
        .describe_subnets()
        .subnet_ids(&id)
        .send()
        .await
        .or_fail(&format!("reading data.{ty}"))?;
    if let Some(s) = more.subnets().first() {
        obs.insert(
            "availability_zone_id".into(),
            optional_string(s.availability_zone_id()),
        );
        obs.insert(
            "available_ip_address_count".into(),
            s.available_ip_address_count()
                .map(|n| Value::number(i64::from(n)))
                .unwrap_or(Value::Null),
        );
    }
    Ok(obs)
}

/// `data.aws_subnets`: the ids of every matching subnet.
pub(super) async fn subnets(p: &AwsProvider, config: &Value) -> Result<ValueMap, ProviderError> {
    let found = list_subnets(p, "aws_subnets", None, filters(config, "tags")).await?;
    let mut ids: Vec<String> = found.into_iter().map(|f| f.0).collect();
    ids.sort();
    Ok(ValueMap::from([
        ("id".to_string(), region_id(p.ec2().await?)),
        ("ids".to_string(), string_list(ids)),
    ]))
}

/// `data.aws_security_group`: one security group.
pub(super) async fn security_group(
    p: &AwsProvider,
    config: &Value,
) -> Result<ValueMap, ProviderError> {
    let ty = "aws_security_group";
    let mut fs = filters(config, "tags");
    arg_filter(&mut fs, config, "name", "group-name");
    arg_filter(&mut fs, config, "vpc_id", "vpc-id");
    let mut ids = Vec::new();
    let mut pages = p
        .ec2()
        .await?
        .describe_security_groups()
        .set_group_ids(get_str(config, "id").map(|id| vec![id.to_string()]))
        .set_filters(Some(fs).filter(|f| !f.is_empty()))
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = match page.aws() {
            Err(e) if e.is_not_found() => break,
            other => other.map_err(|e| e.into_provider(&format!("reading data.{ty}")))?,
        };
        ids.extend(
            page.security_groups()
                .iter()
                .filter_map(|g| g.group_id().map(str::to_string)),
        );
    }
    let id = exactly_one(ty, "security group", ids)?;
    read_as_resource(p, ty, ty, &id).await
}
