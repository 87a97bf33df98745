//! `aws_vpc_dhcp_options` and `aws_vpc_dhcp_options_association`: the DHCP option set a VPC's
//! instances are given (domain name, name servers, NTP servers).

use super::*;
use aws_sdk_ec2::types::{NewDhcpConfiguration, ResourceType};

use crate::common::{get_strs, string_list};
use crate::resource::Recovered;

pub mod options {
    use super::*;

    const TY: &str = "aws_vpc_dhcp_options";
    const KIND: Kind = Kind::tagged(TY, "dhcp-options", |api, ids| Box::pin(read(api.ec2, ids)));

    /// The option keys of the API and the arguments that set them.
    const KEYS: [(&str, &str); 5] = [
        ("domain-name", "domain_name"),
        ("domain-name-servers", "domain_name_servers"),
        ("ntp-servers", "ntp_servers"),
        ("netbios-name-servers", "netbios_name_servers"),
        ("netbios-node-type", "netbios_node_type"),
    ];

    /// `aws_vpc_dhcp_options`.
    pub(crate) struct DhcpOptions;

    #[async_trait]
    impl AwsResource for DhcpOptions {
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
            let mut call = p
                .ec2()
                .await?
                .create_dhcp_options()
                .tag_specifications(tag_spec(p, ResourceType::DhcpOptions, planned, origin));
            for (key, arg) in KEYS {
                let values = match get_str(planned, arg) {
                    Some(one) => vec![one.to_string()],
                    None => get_strs(planned, arg),
                };
                if !values.is_empty() {
                    call = call.dhcp_configurations(
                        NewDhcpConfiguration::builder()
                            .key(key)
                            .set_values(Some(values))
                            .build(),
                    );
                }
            }
            if let Some(lease) = get_str(planned, "ipv6_address_preferred_lease_time") {
                call = call.dhcp_configurations(
                    NewDhcpConfiguration::builder()
                        .key("ipv6-address-preferred-lease-time")
                        .values(lease)
                        .build(),
                );
            }
            let out = call.send().await.or_fail(&w)?;
            let id = created_id(out.dhcp_options().and_then(|d| d.dhcp_options_id()), &w)?;
            // AWS tags the set in the create call; an emulator that drops the tag
            // specification gets them now (without the token tag the set could not be found
            // after a crash, and the plan would see its tags missing).
            let tagged = out.dhcp_options().is_some_and(|d| {
                d.tags()
                    .iter()
                    .any(|t| t.key() == Some(crate::common::ADDRESS_TAG))
            });
            if !tagged {
                let spec = tag_spec(p, ResourceType::DhcpOptions, planned, origin);
                p.ec2()
                    .await?
                    .create_tags()
                    .resources(&id)
                    .set_tags(Some(spec.tags().to_vec()))
                    .send()
                    .await
                    .or_fail(&w)?;
            }
            Ok(id)
        }

        /// Only the tags change in place (every option forces a new set).
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
            delete_retrying(&w, || async {
                ec2.delete_dhcp_options()
                    .dhcp_options_id(&id)
                    .send()
                    .await
                    .aws()
            })
            .await
        }
    }

    async fn read(ec2: Client, ids: Vec<String>) -> Result<BTreeMap<String, Obs>, AwsErr> {
        let out = ec2
            .describe_dhcp_options()
            .set_dhcp_options_ids(Some(ids))
            .send()
            .await
            .aws()?;
        let mut found = BTreeMap::new();
        for d in out.dhcp_options() {
            let Some(id) = d.dhcp_options_id() else {
                continue;
            };
            let mut o = Obs::new();
            for c in d.dhcp_configurations() {
                let values: Vec<&str> = c.values().iter().filter_map(|v| v.value()).collect();
                match c.key() {
                    Some("domain-name") | Some("netbios-node-type") => {
                        let arg = KEYS.iter().find(|(k, _)| Some(*k) == c.key()).unwrap().1;
                        o.insert(arg.into(), optional_string(values.first().copied()));
                    }
                    Some("ipv6-address-preferred-lease-time") => {
                        o.insert(
                            "ipv6_address_preferred_lease_time".into(),
                            optional_string(values.first().copied()),
                        );
                    }
                    Some(key) => {
                        if let Some((_, arg)) = KEYS.iter().find(|(k, _)| *k == key) {
                            o.insert(arg.to_string(), string_list(values.iter().copied()));
                        }
                    }
                    None => {}
                }
            }
            o.insert("owner_id".into(), optional_string(d.owner_id()));
            o.insert("arn".into(), arn(&ec2, d.owner_id(), "dhcp-options", id));
            o.insert("tags_all".into(), tags_obs(d.tags()));
            found.insert(id.to_string(), o);
        }
        Ok(found)
    }
}

pub mod association {
    use super::*;

    const TY: &str = "aws_vpc_dhcp_options_association";
    const KIND: Kind = Kind::untagged(TY, |api, ids| Box::pin(read(api.ec2, ids)));

    /// Terraform's id: `DHCPOPTIONSID-VPCID`.
    fn id_for(options: &str, vpc: &str) -> String {
        format!("{options}-{vpc}")
    }

    /// `aws_vpc_dhcp_options_association`: the VPC's option set; deleting it gives the VPC
    /// the `default` set again.
    pub(crate) struct DhcpOptionsAssociation;

    async fn associate(
        ec2: &Client,
        w: &str,
        options: &str,
        vpc: &str,
    ) -> Result<(), ProviderError> {
        ec2.associate_dhcp_options()
            .dhcp_options_id(options)
            .vpc_id(vpc)
            .send()
            .await
            .or_fail(w)?;
        Ok(())
    }

    #[async_trait]
    impl AwsResource for DhcpOptionsAssociation {
        fn kind(&self) -> Kind {
            KIND
        }

        fn key(&self, state: &Value) -> String {
            get_str(state, "vpc_id").unwrap_or_default().to_string()
        }

        async fn create(
            &self,
            p: &AwsProvider,
            planned: &Value,
            origin: &Origin<'_>,
        ) -> Result<String, ProviderError> {
            let w = format!("creating {TY} {origin}");
            let vpc = get_str(planned, "vpc_id").unwrap_or_default();
            let options = get_str(planned, "dhcp_options_id").unwrap_or_default();
            associate(p.ec2().await?, &w, options, vpc).await?;
            Ok(vpc.to_string())
        }

        async fn update(
            &self,
            p: &AwsProvider,
            _prior: &Value,
            planned: &Value,
            _origin: &Origin<'_>,
        ) -> Result<String, ProviderError> {
            let vpc = get_str(planned, "vpc_id").unwrap_or_default();
            let options = get_str(planned, "dhcp_options_id").unwrap_or_default();
            associate(
                p.ec2().await?,
                &format!("updating {TY} {vpc}"),
                options,
                vpc,
            )
            .await?;
            Ok(vpc.to_string())
        }

        async fn delete(&self, p: &AwsProvider, prior: &Value) -> Result<(), ProviderError> {
            let vpc = get_str(prior, "vpc_id").unwrap_or_default();
            let w = format!("deleting {TY} {vpc}");
            match p
                .ec2()
                .await?
                .associate_dhcp_options()
                .dhcp_options_id("default")
                .vpc_id(vpc)
                .send()
                .await
                .aws()
            {
                Err(e) if !e.is_not_found() => Err(e.into_provider(&w)),
                _ => Ok(()),
            }
        }

        /// The association is the VPC's current option set: made when it is the planned one.
        async fn find(&self, p: &AwsProvider, planned: &Value, origin: &Origin<'_>) -> Recovered {
            let vpc = get_str(planned, "vpc_id").unwrap_or_default().to_string();
            let api = p.clients().await?.clone();
            let found = read(api.ec2, vec![vpc.clone()])
                .await
                .map_err(|e| e.into_provider(&format!("recovering {origin}")))?;
            let current = found
                .get(&vpc)
                .and_then(|o| o.get("dhcp_options_id"))
                .and_then(Value::as_str);
            Ok((current == get_str(planned, "dhcp_options_id")).then_some(vpc))
        }
    }

    /// Reads associations by VPC id (the key; an import id `DHCPOPTIONSID-VPCID` or a VPC id
    /// is reduced to the VPC id by [`vpc_of`]): the VPC's current set, none when it has the
    /// default set or is gone.
    async fn read(ec2: Client, keys: Vec<String>) -> Result<BTreeMap<String, Obs>, AwsErr> {
        let vpcs: Vec<String> = keys.iter().map(|k| vpc_of(k).to_string()).collect();
        let out = ec2
            .describe_vpcs()
            .set_vpc_ids(Some(vpcs))
            .send()
            .await
            .aws()?;
        let mut found = BTreeMap::new();
        for v in out.vpcs() {
            let (Some(vpc), Some(options)) = (v.vpc_id(), v.dhcp_options_id()) else {
                continue;
            };
            if options == "default" {
                continue;
            }
            let mut o = Obs::new();
            o.insert("id".into(), Value::string(id_for(options, vpc)));
            o.insert("vpc_id".into(), Value::string(vpc));
            o.insert("dhcp_options_id".into(), Value::string(options));
            for key in keys.iter().filter(|k| vpc_of(k) == vpc) {
                found.insert(key.clone(), o.clone());
            }
        }
        Ok(found)
    }

    /// The VPC id in a key or import id (`dopt-…-vpc-…` or `vpc-…`).
    fn vpc_of(key: &str) -> &str {
        key.find("vpc-").map_or(key, |at| &key[at..])
    }
}
