//! VPC networking: `aws_vpc`, `aws_subnet`, `aws_internet_gateway`.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{AttributeBooleanValue, Filter};
use aws_sdk_ec2::Client;
use skel_provider::ProviderError;
use skel_value::Value;

use crate::common::*;
use crate::error::{retry_on, AwsErr, SdkResultExt, DEPENDENCY};
use crate::AwsProvider;

pub(crate) fn region(ec2: &Client) -> String {
    ec2.config()
        .region()
        .map(|r| r.to_string())
        .unwrap_or_default()
}

pub(crate) fn arn(ec2: &Client, owner: Option<&str>, kind: &str, id: &str) -> Value {
    s(format!(
        "arn:aws:ec2:{}:{}:{kind}/{id}",
        region(ec2),
        owner.unwrap_or_default()
    ))
}

fn flag(b: bool) -> AttributeBooleanValue {
    AttributeBooleanValue::builder().value(b).build()
}

pub(crate) fn filter(name: &str, values: &[String]) -> Filter {
    Filter::builder()
        .name(name)
        .set_values(Some(values.to_vec()))
        .build()
}

/// The objects `list` finds with a filter over a set-valued attribute (association ids, ACL
/// subnets) for `values`. With several values moto matches only an object whose set is a
/// subset or a superset of them (AWS: any of them), so each value that `has` finds in none of
/// the objects listed so far is asked for again on its own.
pub(crate) async fn list_by_set_filter<T, E, Fut>(
    values: &[String],
    list: impl Fn(Vec<String>) -> Fut,
    has: impl Fn(&T, &str) -> bool,
) -> Result<Vec<T>, E>
where
    Fut: std::future::Future<Output = Result<Vec<T>, E>>,
{
    let mut found = list(values.to_vec()).await?;
    if values.len() > 1 {
        for value in values {
            if !found.iter().any(|o| has(o, value)) {
                found.extend(list(vec![value.clone()]).await?);
            }
        }
    }
    Ok(found)
}

pub mod vpc {
    use super::*;
    use aws_sdk_ec2::client::Waiters;
    use aws_sdk_ec2::types::{ResourceType, Tenancy, VpcAttributeName};

    const TY: &str = "aws_vpc";

    pub async fn create(
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
        let id = out
            .vpc()
            .and_then(|v| v.vpc_id())
            .unwrap_or_default()
            .to_string();
        if let Err(e) = ec2
            .wait_until_vpc_available()
            .vpc_ids(&id)
            .wait(crate::error::WAIT)
            .await
        {
            let failed = crate::error::WaitFailed::new(&w, "available", e);
            return Err(p.not_ready(TY, &id, planned, failed).await);
        }
        if get_bool(planned, "enable_dns_support") == Some(false) {
            set_attr(ec2, &w, &id, "enable_dns_support", false).await?;
        }
        if get_bool(planned, "enable_dns_hostnames") == Some(true) {
            set_attr(ec2, &w, &id, "enable_dns_hostnames", true).await?;
        }
        Ok(id)
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

    pub async fn update(
        p: &AwsProvider,
        prior: &Value,
        planned: &Value,
        _origin: &Origin<'_>,
    ) -> Result<String, ProviderError> {
        let id = id_of(prior);
        let w = format!("updating {}", what(TY, &id));
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

    pub async fn delete(p: &AwsProvider, prior: &Value) -> Result<(), ProviderError> {
        let id = id_of(prior);
        let w = format!("deleting {}", what(TY, &id));
        let ec2 = p.ec2().await?;
        deleted(
            retry_on(DEPENDENCY, || async {
                ec2.delete_vpc().vpc_id(&id).send().await.aws()
            })
            .await,
            &w,
        )
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
            o.insert(STATUS.into(), opt_s(v.state().map(|s| s.as_str())));
            o.insert("cidr_block".into(), opt_s(v.cidr_block()));
            o.insert(
                "instance_tenancy".into(),
                opt_s(v.instance_tenancy().map(|t| t.as_str())),
            );
            o.insert("owner_id".into(), opt_s(v.owner_id()));
            o.insert("dhcp_options_id".into(), opt_s(v.dhcp_options_id()));
            o.insert("arn".into(), arn(&ec2, v.owner_id(), "vpc", id));
            let v6 = v.ipv6_cidr_block_association_set().first();
            o.insert(
                "ipv6_cidr_block".into(),
                opt_s(v6.and_then(|a| a.ipv6_cidr_block())),
            );
            o.insert(
                "ipv6_association_id".into(),
                opt_s(v6.and_then(|a| a.association_id())),
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
                    o.insert(name.into(), opt_b(value));
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
                    o.insert("main_route_table_id".into(), s(rt));
                    o.insert("default_route_table_id".into(), s(rt));
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
                    o.insert("default_network_acl_id".into(), s(acl));
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
                    o.insert("default_security_group_id".into(), s(sg));
                }
            }
        }
        Ok(found)
    }

    pub async fn describe(
        p: &AwsProvider,
        ids: &[String],
    ) -> Result<Vec<Option<Obs>>, ProviderError> {
        describe_ec2(p, TY, ids, read).await
    }

    pub async fn find(
        p: &AwsProvider,
        _planned: &Value,
        origin: &Origin<'_>,
    ) -> Result<Option<String>, ProviderError> {
        find_by_tag(p, "vpc", origin).await
    }
}

pub mod subnet {
    use super::*;
    use aws_sdk_ec2::client::Waiters;
    use aws_sdk_ec2::types::ResourceType;

    const TY: &str = "aws_subnet";

    pub async fn create(
        p: &AwsProvider,
        planned: &Value,
        origin: &Origin<'_>,
    ) -> Result<String, ProviderError> {
        let w = format!("creating {TY} {origin}");
        let ec2 = p.ec2().await?;
        let out = ec2
            .create_subnet()
            .set_vpc_id(get_str(planned, "vpc_id").map(str::to_string))
            .set_cidr_block(get_str(planned, "cidr_block").map(str::to_string))
            .set_availability_zone(get_str(planned, "availability_zone").map(str::to_string))
            .set_availability_zone_id(get_str(planned, "availability_zone_id").map(str::to_string))
            .set_ipv6_cidr_block(get_str(planned, "ipv6_cidr_block").map(str::to_string))
            .tag_specifications(tag_spec(p, ResourceType::Subnet, planned, origin))
            .send()
            .await
            .or_fail(&w)?;
        let id = out
            .subnet()
            .and_then(|v| v.subnet_id())
            .unwrap_or_default()
            .to_string();
        if let Err(e) = ec2
            .wait_until_subnet_available()
            .subnet_ids(&id)
            .wait(crate::error::WAIT)
            .await
        {
            let failed = crate::error::WaitFailed::new(&w, "available", e);
            return Err(p.not_ready(TY, &id, planned, failed).await);
        }
        set_flags(ec2, &w, &id, &Value::Null, planned).await?;
        Ok(id)
    }

    async fn set_flags(
        ec2: &Client,
        w: &str,
        id: &str,
        prior: &Value,
        planned: &Value,
    ) -> Result<(), ProviderError> {
        for name in ["map_public_ip_on_launch", "assign_ipv6_address_on_creation"] {
            let want = get_bool(planned, name).unwrap_or(false);
            if get_bool(prior, name).unwrap_or(false) == want {
                continue;
            }
            let call = ec2.modify_subnet_attribute().subnet_id(id);
            let call = if name == "map_public_ip_on_launch" {
                call.map_public_ip_on_launch(flag(want))
            } else {
                call.assign_ipv6_address_on_creation(flag(want))
            };
            call.send().await.or_fail(w)?;
        }
        Ok(())
    }

    pub async fn update(
        p: &AwsProvider,
        prior: &Value,
        planned: &Value,
        _origin: &Origin<'_>,
    ) -> Result<String, ProviderError> {
        let id = id_of(prior);
        let w = format!("updating {}", what(TY, &id));
        set_flags(p.ec2().await?, &w, &id, prior, planned).await?;
        update_tags(p, &w, &id, prior, planned).await?;
        Ok(id)
    }

    pub async fn delete(p: &AwsProvider, prior: &Value) -> Result<(), ProviderError> {
        let id = id_of(prior);
        let ec2 = p.ec2().await?;
        deleted(
            retry_on(DEPENDENCY, || async {
                ec2.delete_subnet().subnet_id(&id).send().await.aws()
            })
            .await,
            &format!("deleting {}", what(TY, &id)),
        )
    }

    async fn read(ec2: Client, ids: Vec<String>) -> Result<BTreeMap<String, Obs>, AwsErr> {
        let out = ec2
            .describe_subnets()
            .set_subnet_ids(Some(ids))
            .send()
            .await
            .aws()?;
        let mut found = BTreeMap::new();
        for v in out.subnets() {
            let Some(id) = v.subnet_id() else { continue };
            let mut o = Obs::new();
            o.insert(STATUS.into(), opt_s(v.state().map(|s| s.as_str())));
            o.insert("vpc_id".into(), opt_s(v.vpc_id()));
            o.insert("cidr_block".into(), opt_s(v.cidr_block()));
            o.insert("availability_zone".into(), opt_s(v.availability_zone()));
            o.insert(
                "availability_zone_id".into(),
                opt_s(v.availability_zone_id()),
            );
            o.insert(
                "map_public_ip_on_launch".into(),
                opt_b(v.map_public_ip_on_launch()),
            );
            o.insert(
                "assign_ipv6_address_on_creation".into(),
                opt_b(v.assign_ipv6_address_on_creation()),
            );
            o.insert("owner_id".into(), opt_s(v.owner_id()));
            o.insert(
                "arn".into(),
                match v.subnet_arn() {
                    Some(a) => s(a),
                    None => arn(&ec2, v.owner_id(), "subnet", id),
                },
            );
            let v6 = v.ipv6_cidr_block_association_set().first();
            o.insert(
                "ipv6_cidr_block".into(),
                opt_s(v6.and_then(|a| a.ipv6_cidr_block())),
            );
            o.insert(
                "ipv6_cidr_block_association_id".into(),
                opt_s(v6.and_then(|a| a.association_id())),
            );
            o.insert("tags_all".into(), tags_obs(v.tags()));
            found.insert(id.to_string(), o);
        }
        Ok(found)
    }

    pub async fn describe(
        p: &AwsProvider,
        ids: &[String],
    ) -> Result<Vec<Option<Obs>>, ProviderError> {
        describe_ec2(p, TY, ids, read).await
    }

    pub async fn find(
        p: &AwsProvider,
        _planned: &Value,
        origin: &Origin<'_>,
    ) -> Result<Option<String>, ProviderError> {
        find_by_tag(p, "subnet", origin).await
    }
}

pub mod igw {
    use super::*;
    use aws_sdk_ec2::types::ResourceType;

    const TY: &str = "aws_internet_gateway";

    async fn attach(ec2: &Client, w: &str, id: &str, vpc: &str) -> Result<(), ProviderError> {
        ec2.attach_internet_gateway()
            .internet_gateway_id(id)
            .vpc_id(vpc)
            .send()
            .await
            .or_fail(w)?;
        Ok(())
    }

    async fn detach(ec2: &Client, w: &str, id: &str, vpc: &str) -> Result<(), ProviderError> {
        let r = retry_on(DEPENDENCY, || async {
            ec2.detach_internet_gateway()
                .internet_gateway_id(id)
                .vpc_id(vpc)
                .send()
                .await
                .aws()
        })
        .await;
        match r {
            Err(e) if e.is_not_found() || e.is(&["Gateway.NotAttached"]) => Ok(()),
            Err(e) => Err(e.into_provider(w)),
            Ok(_) => Ok(()),
        }
    }

    pub async fn create(
        p: &AwsProvider,
        planned: &Value,
        origin: &Origin<'_>,
    ) -> Result<String, ProviderError> {
        let w = format!("creating {TY} {origin}");
        let ec2 = p.ec2().await?;
        let out = ec2
            .create_internet_gateway()
            .tag_specifications(tag_spec(p, ResourceType::InternetGateway, planned, origin))
            .send()
            .await
            .or_fail(&w)?;
        let id = out
            .internet_gateway()
            .and_then(|g| g.internet_gateway_id())
            .unwrap_or_default()
            .to_string();
        if let Some(vpc) = get_str(planned, "vpc_id") {
            attach(ec2, &w, &id, vpc).await?;
        }
        Ok(id)
    }

    pub async fn update(
        p: &AwsProvider,
        prior: &Value,
        planned: &Value,
        _origin: &Origin<'_>,
    ) -> Result<String, ProviderError> {
        let id = id_of(prior);
        let w = format!("updating {}", what(TY, &id));
        let ec2 = p.ec2().await?;
        let (old, new) = (get_str(prior, "vpc_id"), get_str(planned, "vpc_id"));
        if old != new {
            if let Some(old) = old {
                detach(ec2, &w, &id, old).await?;
            }
            if let Some(new) = new {
                attach(ec2, &w, &id, new).await?;
            }
        }
        update_tags(p, &w, &id, prior, planned).await?;
        Ok(id)
    }

    pub async fn delete(p: &AwsProvider, prior: &Value) -> Result<(), ProviderError> {
        let id = id_of(prior);
        let w = format!("deleting {}", what(TY, &id));
        let ec2 = p.ec2().await?;
        // Detach from whatever it is attached to now, not only what the state says.
        let attached: Vec<String> = match read(ec2.clone(), vec![id.clone()]).await {
            Ok(found) => found
                .get(&id)
                .and_then(|o| o.get("vpc_id"))
                .and_then(Value::as_str)
                .map(str::to_string)
                .into_iter()
                .collect(),
            Err(e) if e.is_not_found() => return Ok(()),
            Err(e) => return Err(e.into_provider(&w)),
        };
        for vpc in &attached {
            detach(ec2, &w, &id, vpc).await?;
        }
        deleted(
            retry_on(DEPENDENCY, || async {
                ec2.delete_internet_gateway()
                    .internet_gateway_id(&id)
                    .send()
                    .await
                    .aws()
            })
            .await,
            &w,
        )
    }

    async fn read(ec2: Client, ids: Vec<String>) -> Result<BTreeMap<String, Obs>, AwsErr> {
        let out = ec2
            .describe_internet_gateways()
            .set_internet_gateway_ids(Some(ids))
            .send()
            .await
            .aws()?;
        let mut found = BTreeMap::new();
        for g in out.internet_gateways() {
            let Some(id) = g.internet_gateway_id() else {
                continue;
            };
            let mut o = Obs::new();
            o.insert(
                "vpc_id".into(),
                opt_s(g.attachments().first().and_then(|a| a.vpc_id())),
            );
            o.insert("owner_id".into(), opt_s(g.owner_id()));
            o.insert(
                "arn".into(),
                arn(&ec2, g.owner_id(), "internet-gateway", id),
            );
            o.insert("tags_all".into(), tags_obs(g.tags()));
            found.insert(id.to_string(), o);
        }
        Ok(found)
    }

    pub async fn describe(
        p: &AwsProvider,
        ids: &[String],
    ) -> Result<Vec<Option<Obs>>, ProviderError> {
        describe_ec2(p, TY, ids, read).await
    }

    pub async fn find(
        p: &AwsProvider,
        _planned: &Value,
        origin: &Origin<'_>,
    ) -> Result<Option<String>, ProviderError> {
        find_by_tag(p, "internet-gateway", origin).await
    }
}
