//! Gateways and addresses: `aws_eip` and `aws_nat_gateway`.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_ec2::Client;
use skel_provider::ProviderError;
use skel_value::Value;

use crate::common::{
    delete_retrying, deleted, get, get_str, id_of, object_name, one_of, optional_string, same,
    tag_spec, tags_obs, update_tags, Obs, Origin, ADDRESS_TAG, STATUS, TOKEN_TAG,
};
use crate::error::{created_id, AwsErr, SdkResultExt, WaiterResultExt, WAIT};
use crate::network::{arn, filter, region};
use crate::resource::{AwsResource, Kind, Recovered};
use crate::AwsProvider;

pub mod eip {
    use super::*;
    use aws_sdk_ec2::types::{DomainType, ResourceType};

    const TY: &str = "aws_eip";
    const KIND: Kind = Kind::tagged(TY, "elastic-ip", |api, ids| Box::pin(read(api.ec2, ids)));

    async fn associate(
        ec2: &Client,
        w: &str,
        id: &str,
        planned: &Value,
    ) -> Result<(), ProviderError> {
        let instance = get_str(planned, "instance");
        let eni = get_str(planned, "network_interface");
        if instance.is_none() && eni.is_none() {
            return Ok(());
        }
        ec2.associate_address()
            .allocation_id(id)
            .set_instance_id(instance.map(str::to_string))
            .set_network_interface_id(eni.map(str::to_string))
            .set_private_ip_address(
                get_str(planned, "associate_with_private_ip").map(str::to_string),
            )
            .send()
            .await
            .or_fail(w)?;
        Ok(())
    }

    async fn disassociate(
        ec2: &Client,
        w: &str,
        association: Option<&str>,
    ) -> Result<(), ProviderError> {
        let Some(association) = association else {
            return Ok(());
        };
        deleted(
            ec2.disassociate_address()
                .association_id(association)
                .send()
                .await
                .aws(),
            w,
        )
    }

    /// `aws_eip`.
    pub(crate) struct Eip;

    #[async_trait]
    impl AwsResource for Eip {
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
                .allocate_address()
                .domain(DomainType::from(
                    get_str(planned, "domain").unwrap_or("vpc"),
                ))
                .set_public_ipv4_pool(get_str(planned, "public_ipv4_pool").map(str::to_string))
                .set_address(get_str(planned, "address").map(str::to_string))
                .set_network_border_group(
                    get_str(planned, "network_border_group").map(str::to_string),
                )
                .set_customer_owned_ipv4_pool(
                    get_str(planned, "customer_owned_ipv4_pool").map(str::to_string),
                )
                .set_ipam_pool_id(get_str(planned, "ipam_pool_id").map(str::to_string))
                .tag_specifications(tag_spec(p, ResourceType::ElasticIp, planned, origin))
                .send()
                .await
                .or_fail(&w)?;
            let id = created_id(out.allocation_id(), &w)?;
            associate(ec2, &w, &id, planned).await?;
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
            let moved = ["instance", "network_interface", "associate_with_private_ip"]
                .iter()
                .any(|n| !same(get(prior, n), get(planned, n)) && !get(planned, n).has_unknown());
            if moved {
                disassociate(ec2, &w, get_str(prior, "association_id")).await?;
                associate(ec2, &w, &id, planned).await?;
            }
            update_tags(p, &w, &id, prior, planned).await?;
            Ok(id)
        }

        async fn delete(&self, p: &AwsProvider, prior: &Value) -> Result<(), ProviderError> {
            let id = id_of(prior);
            let w = format!("deleting {}", object_name(TY, &id));
            let ec2 = p.ec2().await?;
            disassociate(ec2, &w, get_str(prior, "association_id")).await?;
            delete_retrying(&w, || async {
                ec2.release_address().allocation_id(&id).send().await.aws()
            })
            .await
        }
    }

    async fn read(ec2: Client, ids: Vec<String>) -> Result<BTreeMap<String, Obs>, AwsErr> {
        let out = ec2
            .describe_addresses()
            .set_allocation_ids(Some(ids))
            .send()
            .await
            .aws()?;
        let mut found = BTreeMap::new();
        for a in out.addresses() {
            let Some(id) = a.allocation_id() else {
                continue;
            };
            let mut o = Obs::new();
            o.insert("allocation_id".into(), Value::string(id));
            o.insert(
                "domain".into(),
                optional_string(a.domain().map(|d| d.as_str())),
            );
            // The deprecated v5 flag, as Terraform still reports it: whether the domain is vpc.
            o.insert(
                "vpc".into(),
                Value::Bool(a.domain().is_some_and(|d| d.as_str() == "vpc")),
            );
            o.insert(
                "instance".into(),
                optional_string(a.instance_id().filter(|i| !i.is_empty())),
            );
            o.insert(
                "network_interface".into(),
                optional_string(a.network_interface_id()),
            );
            o.insert("association_id".into(), optional_string(a.association_id()));
            o.insert("public_ip".into(), optional_string(a.public_ip()));
            o.insert("private_ip".into(), optional_string(a.private_ip_address()));
            o.insert(
                "public_ipv4_pool".into(),
                optional_string(a.public_ipv4_pool()),
            );
            o.insert("carrier_ip".into(), optional_string(a.carrier_ip()));
            // AWS reports both for every address it allocated from them; an answer without
            // them (an emulator) says nothing about them.
            for (name, value) in [
                ("network_border_group", a.network_border_group()),
                ("customer_owned_ipv4_pool", a.customer_owned_ipv4_pool()),
            ] {
                if let Some(v) = value.filter(|v| !v.is_empty()) {
                    o.insert(name.into(), Value::string(v));
                }
            }
            o.insert(
                "customer_owned_ip".into(),
                optional_string(a.customer_owned_ip()),
            );
            o.insert(
                "public_dns".into(),
                optional_string(a.public_ip().map(|ip| public_dns(&ec2, ip)).as_deref()),
            );
            o.insert("arn".into(), arn(&ec2, None, "elastic-ip", id));
            o.insert("tags_all".into(), tags_obs(a.tags()));
            found.insert(id.to_string(), o);
        }
        Ok(found)
    }
}

/// The public DNS name AWS gives an address (`ec2-1-2-3-4.compute-1.amazonaws.com`).
pub fn public_dns(ec2: &Client, ip: &str) -> String {
    let region = region(ec2);
    let dashed = ip.replace('.', "-");
    if region == "us-east-1" {
        format!("ec2-{dashed}.compute-1.amazonaws.com")
    } else {
        format!("ec2-{dashed}.{region}.compute.amazonaws.com")
    }
}

pub mod nat {
    use super::*;
    use aws_sdk_ec2::client::Waiters;
    use aws_sdk_ec2::types::{ConnectivityType, NatGatewayState, ResourceType};

    const TY: &str = "aws_nat_gateway";
    const KIND: Kind = Kind::untagged(TY, |api, ids| Box::pin(read(api.ec2, ids)));

    /// `aws_nat_gateway`: found by its tags in a listing of its subnet's gateways.
    pub(crate) struct NatGateway;

    #[async_trait]
    impl AwsResource for NatGateway {
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
                .create_nat_gateway()
                .set_subnet_id(get_str(planned, "subnet_id").map(str::to_string))
                .set_allocation_id(get_str(planned, "allocation_id").map(str::to_string))
                .set_connectivity_type(
                    get_str(planned, "connectivity_type").map(ConnectivityType::from),
                )
                .set_private_ip_address(get_str(planned, "private_ip").map(str::to_string))
                .tag_specifications(tag_spec(p, ResourceType::Natgateway, planned, origin))
                .set_client_token(origin.token.map(str::to_string))
                .send()
                .await
                .or_fail(&w)?;
            let id = created_id(out.nat_gateway().and_then(|n| n.nat_gateway_id()), &w)?;
            let waited = ec2
                .wait_until_nat_gateway_available()
                .nat_gateway_ids(&id)
                .wait(WAIT)
                .await;
            self.settled(p, &id, planned, waited.failed(&w, "available"))
                .await?;
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
            update_tags(
                p,
                &format!("updating {}", object_name(TY, &id)),
                &id,
                prior,
                planned,
            )
            .await?;
            Ok(id)
        }

        async fn delete(&self, p: &AwsProvider, prior: &Value) -> Result<(), ProviderError> {
            let id = id_of(prior);
            let w = format!("deleting {}", object_name(TY, &id));
            let ec2 = p.ec2().await?;
            // moto answers HTTP 500 for unknown ids: check it exists first.
            if self.describe_one(p, &id).await?.is_none() {
                return Ok(());
            }
            match ec2
                .delete_nat_gateway()
                .nat_gateway_id(&id)
                .send()
                .await
                .aws()
            {
                Err(e) if e.is_not_found() || e.is(&["NatGatewayNotFound"]) => return Ok(()),
                Err(e) => return Err(e.into_provider(&w)),
                Ok(_) => {}
            }
            crate::error::waited(
                ec2.wait_until_nat_gateway_deleted()
                    .nat_gateway_ids(&id)
                    .wait(crate::error::WAIT)
                    .await,
                &w,
                "deleted",
            )
        }

        /// moto ignores tag filters on NAT gateways: list the subnet's and match tags here.
        async fn find(&self, p: &AwsProvider, planned: &Value, origin: &Origin<'_>) -> Recovered {
            let ec2 = p.ec2().await?;
            let mut call = ec2.describe_nat_gateways();
            if let Some(subnet) = get_str(planned, "subnet_id") {
                call = call.filter(filter("subnet-id", &[subnet.to_string()]));
            }
            let out = call.send().await.or_fail(&format!("recovering {origin}"))?;
            let found = out
                .nat_gateways()
                .iter()
                .filter(|n| {
                    !matches!(
                        n.state(),
                        Some(NatGatewayState::Deleted | NatGatewayState::Failed)
                    )
                })
                .filter(|n| {
                    let (key, value) = match origin.token {
                        Some(token) => (TOKEN_TAG, token),
                        None => (ADDRESS_TAG, origin.address),
                    };
                    n.tags()
                        .iter()
                        .any(|t| t.key() == Some(key) && t.value() == Some(value))
                })
                .filter_map(|n| n.nat_gateway_id().map(str::to_string))
                .collect();
            one_of(origin, found)
        }
    }

    async fn read(ec2: Client, ids: Vec<String>) -> Result<BTreeMap<String, Obs>, AwsErr> {
        let out = ec2
            .describe_nat_gateways()
            .set_nat_gateway_ids(Some(ids))
            .send()
            .await
            .aws()?;
        let mut found = BTreeMap::new();
        for n in out.nat_gateways() {
            let Some(id) = n.nat_gateway_id() else {
                continue;
            };
            if matches!(
                n.state(),
                Some(
                    NatGatewayState::Deleted | NatGatewayState::Deleting | NatGatewayState::Failed
                )
            ) {
                continue;
            }
            let a = n.nat_gateway_addresses().first();
            let mut o = Obs::new();
            let status = match (n.state(), n.failure_message()) {
                (Some(st), Some(why)) => Some(format!("{} ({why})", st.as_str())),
                (st, _) => st.map(|s| s.as_str().to_string()),
            };
            o.insert(STATUS.into(), optional_string(status.as_deref()));
            o.insert("subnet_id".into(), optional_string(n.subnet_id()));
            o.insert(
                "allocation_id".into(),
                optional_string(a.and_then(|a| a.allocation_id())),
            );
            o.insert(
                "connectivity_type".into(),
                optional_string(n.connectivity_type().map(|c| c.as_str())),
            );
            o.insert(
                "private_ip".into(),
                optional_string(a.and_then(|a| a.private_ip())),
            );
            o.insert(
                "public_ip".into(),
                optional_string(a.and_then(|a| a.public_ip())),
            );
            o.insert(
                "network_interface_id".into(),
                optional_string(a.and_then(|a| a.network_interface_id())),
            );
            o.insert(
                "association_id".into(),
                optional_string(a.and_then(|a| a.association_id())),
            );
            o.insert("tags_all".into(), tags_obs(n.tags()));
            found.insert(id.to_string(), o);
        }
        Ok(found)
    }
}
