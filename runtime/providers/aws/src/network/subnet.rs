//! `aws_subnet`.

use super::*;
use aws_sdk_ec2::client::Waiters;
use aws_sdk_ec2::types::ResourceType;

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
        set_flags(p.ec2().await?, &w, &id, prior, planned).await?;
        update_tags(p, &w, &id, prior, planned).await?;
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
