//! `aws_vpc`: the VPC and its DNS attributes.

use super::*;
use aws_sdk_ec2::client::Waiters;
use aws_sdk_ec2::types::{
    ResourceType, Tenancy, VpcAttributeName, VpcCidrBlockState, VpcCidrBlockStateCode, VpcTenancy,
};

use crate::common::{get, get_i64};

/// The `Ipv6Pool` of an Amazon-provided IPv6 block.
const AMAZON_POOL: &str = "Amazon";

const TY: &str = "aws_vpc";
const KIND: Kind = Kind::tagged(TY, "vpc", |api, ids| Box::pin(read(api.ec2, ids)));

/// `aws_vpc`.
pub(crate) struct Vpc;

#[async_trait]
impl AwsResource for Vpc {
    fn kind(&self) -> Kind {
        KIND
    }

    async fn create(
        &self,
        p: &AwsProvider,
        planned: &Value,
        origin: &Origin<'_>,
    ) -> Result<String, ProviderError> {
        let w = format!("creating {TY} {origin}");
        let ec2 = p.ec2().await?;
        let out = ec2
            .create_vpc()
            .set_cidr_block(get_str(planned, "cidr_block").map(str::to_string))
            .set_instance_tenancy(get_str(planned, "instance_tenancy").map(Tenancy::from))
            .set_amazon_provided_ipv6_cidr_block(get_bool(
                planned,
                "assign_generated_ipv6_cidr_block",
            ))
            .set_ipv6_cidr_block_network_border_group(
                get_str(planned, "ipv6_cidr_block_network_border_group")
                    .filter(|_| get_bool(planned, "assign_generated_ipv6_cidr_block") == Some(true))
                    .map(str::to_string),
            )
            .set_ipv4_ipam_pool_id(get_str(planned, "ipv4_ipam_pool_id").map(str::to_string))
            .set_ipv4_netmask_length(get_i64(planned, "ipv4_netmask_length").map(|n| n as i32))
            .set_ipv6_ipam_pool_id(get_str(planned, "ipv6_ipam_pool_id").map(str::to_string))
            .set_ipv6_netmask_length(get_i64(planned, "ipv6_netmask_length").map(|n| n as i32))
            .set_ipv6_cidr_block(
                get_str(planned, "ipv6_ipam_pool_id")
                    .and(get_str(planned, "ipv6_cidr_block"))
                    .map(str::to_string),
            )
            .tag_specifications(tag_spec(p, ResourceType::Vpc, planned, origin))
            .send()
            .await
            .or_fail(&w)?;
        let id = created_id(out.vpc().and_then(|v| v.vpc_id()), &w)?;
        let waited = ec2.wait_until_vpc_available().vpc_ids(&id).wait(WAIT).await;
        self.settled(p, &id, planned, waited.failed(&w, "available"))
            .await?;
        if get_bool(planned, "enable_dns_support") == Some(false) {
            set_attr(ec2, &w, &id, "enable_dns_support", false).await?;
        }
        if get_bool(planned, "enable_dns_hostnames") == Some(true) {
            set_attr(ec2, &w, &id, "enable_dns_hostnames", true).await?;
        }
        if get_bool(planned, "enable_network_address_usage_metrics") == Some(true) {
            set_attr(ec2, &w, &id, "enable_network_address_usage_metrics", true).await?;
        }
        Ok(id)
    }

    async fn update(
        &self,
        p: &AwsProvider,
        prior: &Value,
        planned: &Value,
        _origin: &Origin<'_>,
    ) -> Result<String, ProviderError> {
        let id = id_of(prior);
        let w = format!("updating {}", object_name(TY, &id));
        let ec2 = p.ec2().await?;
        if get_str(planned, "instance_tenancy") != get_str(prior, "instance_tenancy") {
            if let Some(tenancy) = get_str(planned, "instance_tenancy") {
                ec2.modify_vpc_tenancy()
                    .vpc_id(&id)
                    .instance_tenancy(VpcTenancy::from(tenancy))
                    .send()
                    .await
                    .or_fail(&w)?;
            }
        }
        set_ipv6(ec2, &w, &id, prior, planned).await?;
        for name in [
            "enable_dns_support",
            "enable_dns_hostnames",
            "enable_network_address_usage_metrics",
        ] {
            if let Some(b) = get_bool(planned, name) {
                if get_bool(prior, name) != Some(b) {
                    set_attr(ec2, &w, &id, name, b).await?;
                }
            }
        }
        update_tags(p, &w, &id, prior, planned).await?;
        Ok(id)
    }

    async fn delete(&self, p: &AwsProvider, prior: &Value) -> Result<(), ProviderError> {
        let id = id_of(prior);
        let w = format!("deleting {}", object_name(TY, &id));
        let ec2 = p.ec2().await?;
        delete_retrying(&w, || async {
            ec2.delete_vpc().vpc_id(&id).send().await.aws()
        })
        .await
    }
}

/// Checks of the configuration beyond its types (Terraform's conflicts between the ways of
/// choosing the VPC's blocks).
pub(crate) fn validate(config: &Value) -> Vec<String> {
    let set = |name: &str| !get(config, name).is_null();
    let mut errors = Vec::new();
    let mut refuse = |msg: &str| errors.push(format!("aws_vpc: {msg}"));
    if !set("cidr_block") && !set("ipv4_ipam_pool_id") {
        refuse("set `cidr_block`, or `ipv4_ipam_pool_id` to allocate the block from an IPAM pool.");
    }
    if set("cidr_block") && set("ipv4_netmask_length") {
        refuse("`ipv4_netmask_length` sizes a block from `ipv4_ipam_pool_id`; it cannot go with `cidr_block`.");
    }
    if set("ipv6_ipam_pool_id")
        && get_bool(config, "assign_generated_ipv6_cidr_block") == Some(true)
    {
        refuse("`ipv6_ipam_pool_id` and `assign_generated_ipv6_cidr_block = true` both choose the IPv6 block; keep one.");
    }
    if (set("ipv6_cidr_block") || set("ipv6_netmask_length")) && !set("ipv6_ipam_pool_id") {
        refuse("`ipv6_cidr_block` and `ipv6_netmask_length` choose a block from `ipv6_ipam_pool_id`, which is not set (for an Amazon-provided block use `assign_generated_ipv6_cidr_block = true`).");
    }
    errors
}

/// Brings the VPC's IPv6 block to the planned one in place, as Terraform does: the old
/// association is released and the new block (Amazon-provided, from an IPAM pool, or given)
/// associated.
async fn set_ipv6(
    ec2: &Client,
    w: &str,
    id: &str,
    prior: &Value,
    planned: &Value,
) -> Result<(), ProviderError> {
    let generated = get_bool(planned, "assign_generated_ipv6_cidr_block") == Some(true);
    let cidr = get(planned, "ipv6_cidr_block");
    let changed = get_bool(prior, "assign_generated_ipv6_cidr_block") != Some(generated)
        || get_str(prior, "ipv6_ipam_pool_id") != get_str(planned, "ipv6_ipam_pool_id")
        || (cidr.is_known() && get_str(prior, "ipv6_cidr_block") != cidr.as_str());
    if !changed {
        return Ok(());
    }
    if let Some(assoc) = get_str(prior, "ipv6_association_id") {
        ec2.disassociate_vpc_cidr_block()
            .association_id(assoc)
            .send()
            .await
            .or_fail(w)?;
    }
    let call = ec2.associate_vpc_cidr_block().vpc_id(id);
    let call = if generated {
        call.amazon_provided_ipv6_cidr_block(true)
            .set_ipv6_cidr_block_network_border_group(
                get_str(planned, "ipv6_cidr_block_network_border_group").map(str::to_string),
            )
    } else if let Some(pool) = get_str(planned, "ipv6_ipam_pool_id") {
        call.ipv6_ipam_pool_id(pool)
            .set_ipv6_cidr_block(cidr.as_str().map(str::to_string))
            .set_ipv6_netmask_length(get_i64(planned, "ipv6_netmask_length").map(|n| n as i32))
    } else {
        return Ok(());
    };
    call.send().await.or_fail(w)?;
    Ok(())
}

async fn set_attr(
    ec2: &Client,
    w: &str,
    id: &str,
    name: &str,
    value: bool,
) -> Result<(), ProviderError> {
    let call = ec2.modify_vpc_attribute().vpc_id(id);
    let call = match name {
        "enable_dns_support" => call.enable_dns_support(flag(value)),
        "enable_dns_hostnames" => call.enable_dns_hostnames(flag(value)),
        _ => call.enable_network_address_usage_metrics(flag(value)),
    };
    call.send().await.or_fail(w)?;
    Ok(())
}

async fn read(ec2: Client, ids: Vec<String>) -> Result<BTreeMap<String, Obs>, AwsErr> {
    let out = ec2
        .describe_vpcs()
        .set_vpc_ids(Some(ids.clone()))
        .send()
        .await
        .aws()?;
    let mut found = BTreeMap::new();
    for v in out.vpcs() {
        let Some(id) = v.vpc_id() else { continue };
        let mut o = Obs::new();
        o.insert(
            STATUS.into(),
            optional_string(v.state().map(|s| s.as_str())),
        );
        o.insert("cidr_block".into(), optional_string(v.cidr_block()));
        o.insert(
            "instance_tenancy".into(),
            optional_string(v.instance_tenancy().map(|t| t.as_str())),
        );
        o.insert("owner_id".into(), optional_string(v.owner_id()));
        o.insert(
            "dhcp_options_id".into(),
            optional_string(v.dhcp_options_id()),
        );
        o.insert("arn".into(), arn(&ec2, v.owner_id(), "vpc", id));
        // The IPv6 block in use: released ones stay listed for a while.
        let v6 = v.ipv6_cidr_block_association_set().iter().find(|a| {
            !matches!(
                a.ipv6_cidr_block_state().and_then(VpcCidrBlockState::state),
                Some(VpcCidrBlockStateCode::Disassociated | VpcCidrBlockStateCode::Disassociating)
            )
        });
        o.insert(
            "ipv6_cidr_block".into(),
            optional_string(v6.and_then(|a| a.ipv6_cidr_block())),
        );
        o.insert(
            "ipv6_association_id".into(),
            optional_string(v6.and_then(|a| a.association_id())),
        );
        let pool = v6.and_then(|a| a.ipv6_pool());
        o.insert(
            "assign_generated_ipv6_cidr_block".into(),
            Value::Bool(pool == Some(AMAZON_POOL)),
        );
        o.insert(
            "ipv6_ipam_pool_id".into(),
            optional_string(pool.filter(|p| *p != AMAZON_POOL)),
        );
        o.insert(
            "ipv6_cidr_block_network_border_group".into(),
            optional_string(v6.and_then(|a| a.network_border_group())),
        );
        o.insert("tags_all".into(), tags_obs(v.tags()));
        found.insert(id.to_string(), o);
    }
    let ids: Vec<String> = found.keys().cloned().collect();
    if ids.is_empty() {
        return Ok(found);
    }
    for id in &ids {
        for (name, attr) in [
            ("enable_dns_support", VpcAttributeName::EnableDnsSupport),
            ("enable_dns_hostnames", VpcAttributeName::EnableDnsHostnames),
            (
                "enable_network_address_usage_metrics",
                VpcAttributeName::EnableNetworkAddressUsageMetrics,
            ),
        ] {
            let a = ec2
                .describe_vpc_attribute()
                .vpc_id(id)
                .attribute(attr)
                .send()
                .await
                .aws()?;
            let value = match name {
                "enable_dns_support" => a.enable_dns_support().and_then(|b| b.value()),
                "enable_dns_hostnames" => a.enable_dns_hostnames().and_then(|b| b.value()),
                _ => a
                    .enable_network_address_usage_metrics()
                    .and_then(|b| b.value()),
            };
            if let Some(o) = found.get_mut(id) {
                o.insert(name.into(), optional_bool(value));
            }
        }
    }
    let tables = ec2
        .describe_route_tables()
        .filters(filter("vpc-id", &ids))
        .filters(filter("association.main", &["true".into()]))
        .send()
        .await
        .aws()?;
    for t in tables.route_tables() {
        if let (Some(vpc), Some(rt)) = (t.vpc_id(), t.route_table_id()) {
            if let Some(o) = found.get_mut(vpc) {
                o.insert("main_route_table_id".into(), Value::string(rt));
                o.insert("default_route_table_id".into(), Value::string(rt));
            }
        }
    }
    let acls = ec2
        .describe_network_acls()
        .filters(filter("vpc-id", &ids))
        .filters(filter("default", &["true".into()]))
        .send()
        .await
        .aws()?;
    for a in acls.network_acls() {
        if let (Some(vpc), Some(acl)) = (a.vpc_id(), a.network_acl_id()) {
            if let Some(o) = found.get_mut(vpc) {
                o.insert("default_network_acl_id".into(), Value::string(acl));
            }
        }
    }
    let groups = ec2
        .describe_security_groups()
        .filters(filter("vpc-id", &ids))
        .filters(filter("group-name", &["default".into()]))
        .send()
        .await
        .aws()?;
    for g in groups.security_groups() {
        if let (Some(vpc), Some(sg)) = (g.vpc_id(), g.group_id()) {
            if let Some(o) = found.get_mut(vpc) {
                o.insert("default_security_group_id".into(), Value::string(sg));
            }
        }
    }
    Ok(found)
}
