//! `aws_subnet`.

use super::*;
use aws_sdk_ec2::client::Waiters;
use aws_sdk_ec2::types::{HostnameType, ResourceType};

use crate::common::{get, get_i64, optional_number};

const TY: &str = "aws_subnet";
const KIND: Kind = Kind::tagged(TY, "subnet", |api, ids| Box::pin(read(api.ec2, ids)));

/// `aws_subnet`.
pub(crate) struct Subnet;

#[async_trait]
impl AwsResource for Subnet {
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
            .create_subnet()
            .set_vpc_id(get_str(planned, "vpc_id").map(str::to_string))
            .set_cidr_block(get_str(planned, "cidr_block").map(str::to_string))
            .set_availability_zone(get_str(planned, "availability_zone").map(str::to_string))
            .set_availability_zone_id(get_str(planned, "availability_zone_id").map(str::to_string))
            .set_ipv6_cidr_block(get_str(planned, "ipv6_cidr_block").map(str::to_string))
            .set_ipv6_native(get_bool(planned, "ipv6_native").filter(|b| *b))
            .set_outpost_arn(get_str(planned, "outpost_arn").map(str::to_string))
            .set_ipv4_ipam_pool_id(get_str(planned, "ipv4_ipam_pool_id").map(str::to_string))
            .set_ipv4_netmask_length(get_i64(planned, "ipv4_netmask_length").map(|n| n as i32))
            .set_ipv6_ipam_pool_id(get_str(planned, "ipv6_ipam_pool_id").map(str::to_string))
            .set_ipv6_netmask_length(get_i64(planned, "ipv6_netmask_length").map(|n| n as i32))
            .tag_specifications(tag_spec(p, ResourceType::Subnet, planned, origin))
            .send()
            .await
            .or_fail(&w)?;
        let id = created_id(out.subnet().and_then(|v| v.subnet_id()), &w)?;
        let waited = ec2
            .wait_until_subnet_available()
            .subnet_ids(&id)
            .wait(WAIT)
            .await;
        self.settled(p, &id, planned, waited.failed(&w, "available"))
            .await?;
        set_flags(ec2, &w, &id, &Value::Null, planned).await?;
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
        let mut prior = prior.clone();
        if set_ipv6_cidr(ec2, &w, &id, &prior, planned).await? {
            if let Value::Object(m) = &mut prior {
                m.insert("assign_ipv6_address_on_creation".into(), Value::Bool(false));
            }
        }
        set_flags(ec2, &w, &id, &prior, planned).await?;
        update_tags(p, &w, &id, &prior, planned).await?;
        Ok(id)
    }

    async fn delete(&self, p: &AwsProvider, prior: &Value) -> Result<(), ProviderError> {
        let id = id_of(prior);
        let ec2 = p.ec2().await?;
        delete_retrying(&format!("deleting {}", object_name(TY, &id)), || async {
            ec2.delete_subnet().subnet_id(&id).send().await.aws()
        })
        .await
    }
}

/// The attributes ModifySubnetAttribute changes, one per call (the API takes one at a time),
/// in the order Terraform sets them after a create.
const FLAGS: [&str; 7] = [
    "enable_dns64",
    "enable_resource_name_dns_aaaa_record_on_launch",
    "enable_resource_name_dns_a_record_on_launch",
    "map_public_ip_on_launch",
    "assign_ipv6_address_on_creation",
    "map_customer_owned_ip_on_launch",
    "private_dns_hostname_type_on_launch",
];

/// What `name` is on a subnet nobody changed: the API's defaults.
fn api_default(name: &str) -> Value {
    match name {
        "private_dns_hostname_type_on_launch" => Value::string("ip-name"),
        _ => Value::Bool(false),
    }
}

/// `value`, null and unknown counting as the API's default.
fn or_default(value: Value, name: &str) -> Value {
    if value.is_null() || !value.is_known() {
        api_default(name)
    } else {
        value
    }
}

/// Sends each attribute whose planned value differs from `prior` (on a create, from the API's
/// defaults), and the local network interface position.
async fn set_flags(
    ec2: &Client,
    w: &str,
    id: &str,
    prior: &Value,
    planned: &Value,
) -> Result<(), ProviderError> {
    for name in FLAGS {
        let want = get(planned, name).clone();
        if want.is_null() || !want.is_known() {
            continue;
        }
        let had = or_default(get(prior, name).clone(), name);
        let pool_changed = name == "map_customer_owned_ip_on_launch"
            && get_str(planned, "customer_owned_ipv4_pool")
                != get_str(prior, "customer_owned_ipv4_pool");
        if had == want && !pool_changed {
            continue;
        }
        let b = flag(want.as_bool().unwrap_or(false));
        let call = ec2.modify_subnet_attribute().subnet_id(id);
        let call = match name {
            "enable_dns64" => call.enable_dns64(b),
            "enable_resource_name_dns_aaaa_record_on_launch" => {
                call.enable_resource_name_dns_aaaa_record_on_launch(b)
            }
            "enable_resource_name_dns_a_record_on_launch" => {
                call.enable_resource_name_dns_a_record_on_launch(b)
            }
            "map_public_ip_on_launch" => call.map_public_ip_on_launch(b),
            "assign_ipv6_address_on_creation" => call.assign_ipv6_address_on_creation(b),
            "map_customer_owned_ip_on_launch" => call
                .map_customer_owned_ip_on_launch(b)
                .set_customer_owned_ipv4_pool(
                    get_str(planned, "customer_owned_ipv4_pool").map(str::to_string),
                ),
            _ => call.private_dns_hostname_type_on_launch(HostnameType::from(
                want.as_str().unwrap_or("ip-name"),
            )),
        };
        call.send().await.or_fail(w)?;
    }
    let lni = "enable_lni_at_device_index";
    if get(planned, lni).is_known() && get_i64(prior, lni) != get_i64(planned, lni) {
        let call = ec2.modify_subnet_attribute().subnet_id(id);
        let call = match get_i64(planned, lni).filter(|n| *n > 0) {
            Some(n) => call.enable_lni_at_device_index(n as i32),
            None if get_i64(prior, lni).is_some_and(|n| n > 0) => {
                call.disable_lni_at_device_index(flag(true))
            }
            None => return Ok(()),
        };
        call.send().await.or_fail(w)?;
    }
    Ok(())
}

/// Replaces the subnet's IPv6 CIDR block in place when the configuration changes it: the old
/// association is removed (with `assign_ipv6_address_on_creation` turned off first, as AWS
/// requires) and the new block associated. Whether it turned that flag off.
async fn set_ipv6_cidr(
    ec2: &Client,
    w: &str,
    id: &str,
    prior: &Value,
    planned: &Value,
) -> Result<bool, ProviderError> {
    let want = get(planned, "ipv6_cidr_block");
    if !want.is_known() || get_str(prior, "ipv6_cidr_block") == want.as_str() {
        return Ok(false);
    }
    let assigning = get_bool(prior, "assign_ipv6_address_on_creation") == Some(true);
    if assigning {
        ec2.modify_subnet_attribute()
            .subnet_id(id)
            .assign_ipv6_address_on_creation(flag(false))
            .send()
            .await
            .or_fail(w)?;
    }
    if let Some(assoc) = get_str(prior, "ipv6_cidr_block_association_id") {
        ec2.disassociate_subnet_cidr_block()
            .association_id(assoc)
            .send()
            .await
            .or_fail(w)?;
    }
    if let Some(cidr) = want.as_str() {
        ec2.associate_subnet_cidr_block()
            .subnet_id(id)
            .ipv6_cidr_block(cidr)
            .send()
            .await
            .or_fail(w)?;
    }
    Ok(assigning)
}

/// Checks of the configuration beyond its types.
pub(crate) fn validate(config: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    if let Some(t) = get_str(config, "private_dns_hostname_type_on_launch") {
        if t != "ip-name" && t != "resource-name" {
            errors.push(format!(
                "aws_subnet: `private_dns_hostname_type_on_launch` = {t:?} is neither \"ip-name\" nor \"resource-name\"."
            ));
        }
    }
    errors
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
        o.insert(
            STATUS.into(),
            optional_string(v.state().map(|s| s.as_str())),
        );
        o.insert("vpc_id".into(), optional_string(v.vpc_id()));
        o.insert("cidr_block".into(), optional_string(v.cidr_block()));
        o.insert(
            "availability_zone".into(),
            optional_string(v.availability_zone()),
        );
        o.insert(
            "availability_zone_id".into(),
            optional_string(v.availability_zone_id()),
        );
        o.insert(
            "map_public_ip_on_launch".into(),
            optional_bool(v.map_public_ip_on_launch()),
        );
        o.insert(
            "assign_ipv6_address_on_creation".into(),
            optional_bool(v.assign_ipv6_address_on_creation()),
        );
        // Booleans the API leaves out are false (as Terraform reads them).
        let off = |b: Option<bool>| Value::Bool(b.unwrap_or(false));
        o.insert("enable_dns64".into(), off(v.enable_dns64()));
        o.insert("ipv6_native".into(), off(v.ipv6_native()));
        o.insert(
            "map_customer_owned_ip_on_launch".into(),
            off(v.map_customer_owned_ip_on_launch()),
        );
        o.insert(
            "customer_owned_ipv4_pool".into(),
            optional_string(v.customer_owned_ipv4_pool()),
        );
        o.insert("outpost_arn".into(), optional_string(v.outpost_arn()));
        o.insert(
            "enable_lni_at_device_index".into(),
            optional_number(v.enable_lni_at_device_index().map(i64::from)),
        );
        let dns = v.private_dns_name_options_on_launch();
        o.insert(
            "private_dns_hostname_type_on_launch".into(),
            optional_string(dns.and_then(|d| d.hostname_type()).map(|h| h.as_str())),
        );
        o.insert(
            "enable_resource_name_dns_a_record_on_launch".into(),
            off(dns.and_then(|d| d.enable_resource_name_dns_a_record())),
        );
        o.insert(
            "enable_resource_name_dns_aaaa_record_on_launch".into(),
            off(dns.and_then(|d| d.enable_resource_name_dns_aaaa_record())),
        );
        o.insert("owner_id".into(), optional_string(v.owner_id()));
        o.insert(
            "arn".into(),
            match v.subnet_arn() {
                Some(a) => Value::string(a),
                None => arn(&ec2, v.owner_id(), "subnet", id),
            },
        );
        let v6 = v.ipv6_cidr_block_association_set().first();
        o.insert(
            "ipv6_cidr_block".into(),
            optional_string(v6.and_then(|a| a.ipv6_cidr_block())),
        );
        o.insert(
            "ipv6_cidr_block_association_id".into(),
            optional_string(v6.and_then(|a| a.association_id())),
        );
        o.insert("tags_all".into(), tags_obs(v.tags()));
        found.insert(id.to_string(), o);
    }
    Ok(found)
}
