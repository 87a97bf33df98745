//! `aws_vpc`: the VPC and its DNS attributes.

use super::*;
use aws_sdk_ec2::client::Waiters;
use aws_sdk_ec2::types::{ResourceType, Tenancy, VpcAttributeName};

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
        let v6 = v.ipv6_cidr_block_association_set().first();
        o.insert(
            "ipv6_cidr_block".into(),
            optional_string(v6.and_then(|a| a.ipv6_cidr_block())),
        );
        o.insert(
            "ipv6_association_id".into(),
            optional_string(v6.and_then(|a| a.association_id())),
        );
        o.insert(
            "assign_generated_ipv6_cidr_block".into(),
            Value::Bool(v6.is_some()),
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
                _ => a.enable_dns_hostnames().and_then(|b| b.value()),
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
