//! Compute: `aws_instance`.

use skel_value::ValueMap;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use aws_sdk_ec2::client::Waiters;
use aws_sdk_ec2::types::{AttributeBooleanValue, Filter, ResourceType};
use aws_sdk_ec2::Client;
use skel_provider::ProviderError;
use skel_value::Value;

use crate::common::{
    blocks, get, get_bool, get_i64, get_str, get_strs, id_of, object_name, one_of, optional_bool,
    optional_string, same, string_list, string_set, tag_spec, tags_obs, update_tags, Obs, Origin,
    ADDRESS_TAG, STATUS, TOKEN_TAG,
};
use crate::error::{created_id, waited, AwsErr, SdkResultExt, WaitFailed, WaiterResultExt, WAIT};
use crate::resource::{read_merged, AwsResource, Described, Kind, Recovered};
use crate::AwsProvider;

fn region(ec2: &Client) -> String {
    ec2.config()
        .region()
        .map(|r| r.to_string())
        .unwrap_or_default()
}

pub mod instance {
    use super::*;
    use aws_sdk_ec2::types::{
        BlockDeviceMapping, InstanceNetworkInterfaceSpecification, InstanceType, Placement, Tenancy,
    };
    use base64::Engine as _;

    const TY: &str = "aws_instance";
    const KIND: Kind = Kind::untagged(TY, |api, ids| Box::pin(read(api.ec2, ids)));

    fn user_data(planned: &Value) -> Option<String> {
        get_str(planned, "user_data_base64")
            .map(str::to_string)
            .or_else(|| {
                get_str(planned, "user_data")
                    .map(|u| base64::engine::general_purpose::STANDARD.encode(u))
            })
    }

    async fn root_device(
        p: &AwsProvider,
        ec2: &Client,
        w: &str,
        ami: &str,
    ) -> Result<String, ProviderError> {
        p.root_devices
            .get(ami, || async {
                let out = ec2
                    .describe_images()
                    .image_ids(ami)
                    .send()
                    .await
                    .or_fail(w)?;
                Ok(out
                    .images()
                    .first()
                    .and_then(|i| i.root_device_name())
                    .unwrap_or("/dev/sda1")
                    .to_string())
            })
            .await
    }

    /// The `ipv6_addresses` of `planned` for RunInstances (`None`: AWS chooses, or none).
    fn ipv6_addresses(planned: &Value) -> Option<Vec<aws_sdk_ec2::types::InstanceIpv6Address>> {
        let addresses = get_strs(planned, "ipv6_addresses");
        (!addresses.is_empty()).then(|| {
            addresses
                .iter()
                .map(|a| {
                    aws_sdk_ec2::types::InstanceIpv6Address::builder()
                        .ipv6_address(a)
                        .build()
                })
                .collect()
        })
    }

    /// `aws_instance`: found by its tags in a listing of live instances.
    pub(crate) struct Instance;

    #[async_trait]
    impl AwsResource for Instance {
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
            // Without `ami` the launch template names the image.
            let ami = get_str(planned, "ami").unwrap_or_default();
            let t = |n: &str| get_str(planned, n).map(str::to_string);
            let groups = get_strs(planned, "vpc_security_group_ids");
            let mut call = ec2
                .run_instances()
                .set_image_id(Some(ami.to_string()).filter(|a| !a.is_empty()))
                .set_instance_type(get_str(planned, "instance_type").map(InstanceType::from))
                .min_count(1)
                .max_count(1)
                .set_key_name(t("key_name"))
                .set_user_data(user_data(planned))
                .set_ebs_optimized(get_bool(planned, "ebs_optimized"))
                .set_disable_api_termination(get_bool(planned, "disable_api_termination"))
                .set_client_token(origin.token.map(str::to_string))
                .set_iam_instance_profile(profile_spec(planned))
                .tag_specifications(tag_spec(p, ResourceType::Instance, planned, origin));
            let volume_tags = match get(planned, "volume_tags").as_mapping() {
                Some(m) if !m.is_empty() => Value::Object(ValueMap::from([(
                    "tags_all".to_string(),
                    Value::Map(m.clone()),
                )])),
                _ => planned.clone(),
            };
            call = call.tag_specifications(tag_spec(p, ResourceType::Volume, &volume_tags, origin));
            call = crate::instance_options::run_options(call, planned);
            let ipv6_count = get_i64(planned, "ipv6_address_count").map(|n| n as i32);
            if t("availability_zone").is_some()
                || t("tenancy").is_some()
                || t("placement_group").is_some()
            {
                call = call.placement(
                    Placement::builder()
                        .set_availability_zone(t("availability_zone"))
                        .set_tenancy(get_str(planned, "tenancy").map(Tenancy::from))
                        .set_group_name(t("placement_group"))
                        .build(),
                );
            }
            if let Some(root) = blocks(planned, "root_block_device").first() {
                if ami.is_empty() {
                    return Err(ProviderError::InvalidConfig(format!(
                        "{w}: a `root_block_device` needs `ami` (its root device name comes from the image); set `ami` as well as the launch template."
                    )));
                }
                let ebs = crate::instance_storage::ebs(root, false);
                call = call.block_device_mappings(
                    BlockDeviceMapping::builder()
                        .device_name(root_device(p, ec2, &w, ami).await?)
                        .ebs(ebs)
                        .build(),
                );
            }
            for mapping in crate::instance_storage::ebs_mappings(planned) {
                call = call.block_device_mappings(mapping);
            }
            let public = get_bool(planned, "associate_public_ip_address");
            let secondaries = get_strs(planned, "secondary_private_ips");
            let attached = crate::instance_options::attached_interfaces(planned);
            if !attached.is_empty() {
                // Existing interfaces attached at launch: they carry the subnet and groups.
                call = call.set_network_interfaces(Some(attached));
            } else if public.is_some() || !secondaries.is_empty() {
                call = call.network_interfaces(
                    InstanceNetworkInterfaceSpecification::builder()
                        .device_index(0)
                        .set_associate_public_ip_address(public)
                        .set_subnet_id(t("subnet_id"))
                        .set_private_ip_address(t("private_ip").filter(|_| secondaries.is_empty()))
                        .set_private_ip_addresses(crate::instance_options::private_ips(
                            t("private_ip"),
                            &secondaries,
                        ))
                        .set_groups(Some(groups).filter(|g| !g.is_empty()))
                        .set_ipv6_address_count(ipv6_count)
                        .set_ipv6_addresses(ipv6_addresses(planned))
                        .delete_on_termination(true)
                        .build(),
                );
            } else {
                call = call
                    .set_ipv6_address_count(ipv6_count)
                    .set_ipv6_addresses(ipv6_addresses(planned))
                    .set_subnet_id(t("subnet_id"))
                    .set_private_ip_address(t("private_ip"))
                    .set_security_group_ids(Some(groups).filter(|g| !g.is_empty()))
                    .set_security_groups(
                        Some(get_strs(planned, "security_groups")).filter(|g| !g.is_empty()),
                    );
            }
            let out = call.send().await.or_fail(&w)?;
            let id = created_id(out.instances().first().and_then(|i| i.instance_id()), &w)?;
            let running = match wait_for(p, &w, &id, RUNNING).await {
                Ok(obs) => obs,
                Err(failed) => return Err(p.not_ready(TY, &id, planned, failed).await),
            };
            if let Some(obs) = &running {
                crate::instance_storage::tag_devices(ec2, &w, planned, obs).await?;
            }
            if get_bool(planned, "source_dest_check") == Some(false) {
                ec2.modify_instance_attribute()
                    .instance_id(&id)
                    .source_dest_check(AttributeBooleanValue::builder().value(false).build())
                    .send()
                    .await
                    .or_fail(&w)?;
            } else if let Some(obs) = running {
                // What the wait saw is the object as created: the apply needs no other read.
                p.seen.put(TY, &id, obs);
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
            let changed =
                |n: &str| !same(get(prior, n), get(planned, n)) && get(planned, n).is_known();
            // These change only while the instance is stopped (as v6 does: stop, modify, start).
            if changed("instance_type")
                || changed("ebs_optimized")
                || changed("user_data")
                || changed("user_data_base64")
            {
                ec2.stop_instances()
                    .instance_ids(&id)
                    .send()
                    .await
                    .or_fail(&w)?;
                waited(
                    ec2.wait_until_instance_stopped()
                        .instance_ids(&id)
                        .wait(WAIT)
                        .await,
                    &w,
                    "stopped",
                )?;
                if changed("instance_type") {
                    ec2.modify_instance_attribute()
                        .instance_id(&id)
                        .instance_type(
                            aws_sdk_ec2::types::AttributeValue::builder()
                                .set_value(get_str(planned, "instance_type").map(str::to_string))
                                .build(),
                        )
                        .send()
                        .await
                        .or_fail(&w)?;
                }
                if changed("ebs_optimized") {
                    ec2.modify_instance_attribute()
                        .instance_id(&id)
                        .ebs_optimized(
                            aws_sdk_ec2::types::AttributeBooleanValue::builder()
                                .set_value(get_bool(planned, "ebs_optimized"))
                                .build(),
                        )
                        .send()
                        .await
                        .or_fail(&w)?;
                }
                if changed("user_data") || changed("user_data_base64") {
                    let data = user_data(planned).unwrap_or_default();
                    ec2.modify_instance_attribute()
                        .instance_id(&id)
                        .user_data(
                            aws_sdk_ec2::types::SecureBlobAttributeValue::builder()
                                .value(aws_smithy_types::Blob::new(data))
                                .build(),
                        )
                        .send()
                        .await
                        .or_fail(&w)?;
                }
                ec2.start_instances()
                    .instance_ids(&id)
                    .send()
                    .await
                    .or_fail(&w)?;
                let waited = ec2
                    .wait_until_instance_running()
                    .instance_ids(&id)
                    .wait(WAIT)
                    .await;
                self.settled(p, &id, planned, waited.failed(&w, "running again"))
                    .await?;
            }
            if changed("iam_instance_profile") {
                set_profile(ec2, &w, &id, planned).await?;
            }
            if changed("vpc_security_group_ids")
                && !get(planned, "vpc_security_group_ids").is_null()
            {
                ec2.modify_instance_attribute()
                    .instance_id(&id)
                    .set_groups(Some(get_strs(planned, "vpc_security_group_ids")))
                    .send()
                    .await
                    .or_fail(&w)?;
            }
            for name in ["source_dest_check", "disable_api_termination"] {
                if changed(name) {
                    if let Some(b) = get_bool(planned, name) {
                        let flag = AttributeBooleanValue::builder().value(b).build();
                        let call = ec2.modify_instance_attribute().instance_id(&id);
                        let call = if name == "source_dest_check" {
                            call.source_dest_check(flag)
                        } else {
                            call.disable_api_termination(flag)
                        };
                        call.send().await.or_fail(&w)?;
                    }
                }
            }
            crate::instance_storage::update_devices(ec2, &w, &id, prior, planned).await?;
            crate::instance_options::update_options(ec2, &w, &id, prior, planned).await?;
            update_tags(p, &w, &id, prior, planned).await?;
            Ok(id)
        }

        async fn delete(&self, p: &AwsProvider, prior: &Value) -> Result<(), ProviderError> {
            let id = id_of(prior);
            let w = format!("deleting {}", object_name(TY, &id));
            let ec2 = p.ec2().await?.clone();
            // Terminations that arrive while one is in flight go out together.
            let run = move |ids: Vec<String>| {
                let ec2 = ec2.clone();
                async move {
                    let terminate = |ids: Vec<String>| {
                        ec2.terminate_instances().set_instance_ids(Some(ids)).send()
                    };
                    match terminate(ids.clone()).await.aws() {
                        Ok(_) => ids.iter().map(|_| Ok(())).collect(),
                        // One gone instance fails the whole call: each on its own then.
                        Err(e) if e.is_not_found() && ids.len() > 1 => {
                            let mut out = Vec::with_capacity(ids.len());
                            for id in &ids {
                                out.push(terminate(vec![id.clone()]).await.aws().map(|_| ()));
                            }
                            out
                        }
                        Err(e) => ids.iter().map(|_| Err(e.clone())).collect(),
                    }
                }
            };
            match p.terminations.call(TY, id.clone(), run).await {
                Some(Err(e)) if e.is_not_found() => return Ok(()),
                Some(Err(e)) => return Err(e.into_provider(&w)),
                Some(Ok(())) => {}
                None => {
                    return Err(ProviderError::Api(format!(
                        "{w}: the TerminateInstances call was lost (an internal error); retry."
                    )))
                }
            }
            wait_for(p, &w, &id, TERMINATED)
                .await
                .map(|_| ())
                .map_err(WaitFailed::into_error)
        }

        async fn observe_managed(
            &self,
            p: &AwsProvider,
            ids: &[String],
            states: &[&Value],
            found: &mut [Option<Obs>],
        ) -> Result<(), ProviderError> {
            crate::instance_options::observe_managed(p.ec2().await?, ids, states, found).await
        }

        /// The instances by id; a terminated or terminating instance counts as gone.
        async fn describe(&self, p: &AwsProvider, ids: &[String]) -> Described {
            let mut found = read_merged(p, KIND, ids).await?;
            for obs in &mut found {
                let state = obs
                    .as_ref()
                    .and_then(|o| o.get(STATUS))
                    .and_then(Value::as_str);
                if matches!(state, Some("terminated" | "shutting-down")) {
                    *obs = None;
                }
            }
            Ok(found)
        }

        async fn find(&self, p: &AwsProvider, _planned: &Value, origin: &Origin<'_>) -> Recovered {
            let ec2 = p.ec2().await?;
            let (key, value) = match origin.token {
                Some(token) => (TOKEN_TAG, token),
                None => (ADDRESS_TAG, origin.address),
            };
            let out = ec2
                .describe_instances()
                .filters(
                    Filter::builder()
                        .name(format!("tag:{key}"))
                        .values(value)
                        .build(),
                )
                .filters(
                    Filter::builder()
                        .name("instance-state-name")
                        .values("pending")
                        .values("running")
                        .values("stopping")
                        .values("stopped")
                        .build(),
                )
                .send()
                .await
                .or_fail(&format!("recovering {origin}"))?;
            one_of(
                origin,
                out.reservations()
                    .iter()
                    .flat_map(|r| r.instances())
                    .filter_map(|i| i.instance_id().map(str::to_string))
                    .collect(),
            )
        }
    }

    /// A state an instance is awaited in, as the SDK's waiters define it.
    struct Awaited {
        /// The state awaited (`running`).
        until: &'static str,
        /// States from which it cannot get there.
        fails: &'static [&'static str],
        /// Whether an instance no longer listed has arrived (a terminated one soon is not).
        gone_arrives: bool,
    }

    const RUNNING: Awaited = Awaited {
        until: "running",
        fails: &["stopping", "shutting-down", "terminated"],
        gone_arrives: false,
    };

    const TERMINATED: Awaited = Awaited {
        until: "terminated",
        fails: &["pending", "stopping"],
        gone_arrives: true,
    };

    /// Waits until instance `id` is in the state `a` awaits, as the SDK's waiter does (an
    /// instance not listed yet may just be new; failure states end the wait), but through the
    /// provider's merged reads, so instances created or terminated at the same time share each
    /// poll's `DescribeInstances`. Returns the instance as last observed (`None`: gone).
    async fn wait_for(
        p: &AwsProvider,
        w: &str,
        id: &str,
        a: Awaited,
    ) -> Result<Option<Obs>, WaitFailed> {
        let start = Instant::now();
        let mut delay = Duration::from_secs(1);
        loop {
            match read_merged(p, KIND, &[id.to_string()]).await {
                Err(e) => {
                    return Err(WaitFailed::ended(
                        w,
                        a.until,
                        format!("checking its state failed: {e}"),
                        None,
                    ))
                }
                Ok(mut found) => match found.pop().flatten() {
                    None if a.gone_arrives => return Ok(None),
                    None => {}
                    Some(obs) => {
                        let state = obs.get(STATUS).and_then(Value::as_str).unwrap_or_default();
                        if state == a.until {
                            return Ok(Some(obs));
                        }
                        if a.fails.contains(&state) {
                            return Err(WaitFailed::ended(
                                w,
                                a.until,
                                format!(
                                    "it reached a state from which it cannot become {}",
                                    a.until
                                ),
                                Some(state.to_string()),
                            ));
                        }
                    }
                },
            }
            let waited = start.elapsed();
            if waited >= WAIT {
                return Err(WaitFailed::ended(
                    w,
                    a.until,
                    format!(
                        "it was still not {} after {} seconds",
                        a.until,
                        waited.as_secs()
                    ),
                    None,
                ));
            }
            tokio::time::sleep(delay.min(WAIT - waited)).await;
            delay = (delay * 2).min(Duration::from_secs(15));
        }
    }

    /// Every instance of `ids` AWS still lists, terminated ones too (with their [`STATUS`]).
    /// The instance profile of `planned` for RunInstances: by ARN when it is one, else by
    /// name.
    fn profile_spec(
        planned: &Value,
    ) -> Option<aws_sdk_ec2::types::IamInstanceProfileSpecification> {
        let profile = get_str(planned, "iam_instance_profile")?;
        let spec = aws_sdk_ec2::types::IamInstanceProfileSpecification::builder();
        Some(if profile.starts_with("arn:") {
            spec.arn(profile).build()
        } else {
            spec.name(profile).build()
        })
    }

    /// An instance profile's name from its ARN (`arn:aws:iam::1:instance-profile/path/NAME`),
    /// as Terraform records it.
    pub(crate) fn profile_name(arn: &str) -> &str {
        arn.rsplit('/').next().unwrap_or(arn)
    }

    /// Gives the running instance `planned`'s instance profile in place: replaces the current
    /// association, makes one, or removes it.
    async fn set_profile(
        ec2: &Client,
        w: &str,
        id: &str,
        planned: &Value,
    ) -> Result<(), ProviderError> {
        let current = ec2
            .describe_iam_instance_profile_associations()
            .filters(
                aws_sdk_ec2::types::Filter::builder()
                    .name("instance-id")
                    .values(id)
                    .build(),
            )
            .send()
            .await
            .or_fail(w)?;
        let association = current
            .iam_instance_profile_associations()
            .iter()
            .filter(|a| {
                a.instance_id() == Some(id)
                    && matches!(
                        a.state().map(|s| s.as_str()),
                        Some("associated" | "associating")
                    )
            })
            .find_map(|a| a.association_id())
            .map(str::to_string);
        match (association, profile_spec(planned)) {
            (Some(assoc), Some(spec)) => {
                ec2.replace_iam_instance_profile_association()
                    .association_id(assoc)
                    .iam_instance_profile(spec)
                    .send()
                    .await
                    .or_fail(w)?;
            }
            (None, Some(spec)) => {
                ec2.associate_iam_instance_profile()
                    .instance_id(id)
                    .iam_instance_profile(spec)
                    .send()
                    .await
                    .or_fail(w)?;
            }
            (Some(assoc), None) => {
                ec2.disassociate_iam_instance_profile()
                    .association_id(assoc)
                    .send()
                    .await
                    .or_fail(w)?;
            }
            (None, None) => {}
        }
        Ok(())
    }

    async fn read(ec2: Client, ids: Vec<String>) -> Result<BTreeMap<String, Obs>, AwsErr> {
        let out = ec2
            .describe_instances()
            .set_instance_ids(Some(ids))
            .send()
            .await
            .aws()?;
        let mut found = BTreeMap::new();
        let mut devices = crate::instance_storage::Devices::default();
        for r in out.reservations() {
            for i in r.instances() {
                let Some(id) = i.instance_id() else { continue };
                let state = i.state().and_then(|s| s.name());
                let mut o = Obs::new();
                o.insert("ami".into(), optional_string(i.image_id()));
                o.insert(
                    "instance_type".into(),
                    optional_string(i.instance_type().map(|t| t.as_str())),
                );
                o.insert("subnet_id".into(), optional_string(i.subnet_id()));
                o.insert(
                    "availability_zone".into(),
                    optional_string(i.placement().and_then(|p| p.availability_zone())),
                );
                o.insert(
                    "tenancy".into(),
                    optional_string(i.placement().and_then(|p| p.tenancy()).map(|t| t.as_str())),
                );
                o.insert(
                    "placement_group".into(),
                    optional_string(
                        i.placement()
                            .and_then(|p| p.group_name())
                            .filter(|g| !g.is_empty()),
                    ),
                );
                o.insert("key_name".into(), optional_string(i.key_name()));
                // Groups given through a network interface show only on the interface (moto).
                let groups = if i.security_groups().is_empty() {
                    i.network_interfaces()
                        .iter()
                        .find(|n| n.attachment().and_then(|a| a.device_index()) == Some(0))
                        .map(|n| n.groups())
                        .unwrap_or_default()
                } else {
                    i.security_groups()
                };
                o.insert(
                    "vpc_security_group_ids".into(),
                    string_set(groups.iter().filter_map(|g| g.group_id())),
                );
                o.insert(
                    "security_groups".into(),
                    string_set(groups.iter().filter_map(|g| g.group_name())),
                );
                o.insert("private_ip".into(), optional_string(i.private_ip_address()));
                o.insert("private_dns".into(), optional_string(i.private_dns_name()));
                o.insert("public_ip".into(), optional_string(i.public_ip_address()));
                o.insert(
                    "public_dns".into(),
                    optional_string(i.public_dns_name().filter(|d| !d.is_empty())),
                );
                o.insert(
                    "associate_public_ip_address".into(),
                    Value::Bool(i.public_ip_address().is_some()),
                );
                o.insert(
                    "instance_state".into(),
                    optional_string(state.map(|s| s.as_str())),
                );
                o.insert(STATUS.into(), optional_string(state.map(|s| s.as_str())));
                o.insert("ebs_optimized".into(), optional_bool(i.ebs_optimized()));
                o.insert(
                    "source_dest_check".into(),
                    optional_bool(i.source_dest_check()),
                );
                o.insert(
                    "monitoring".into(),
                    optional_bool(
                        i.monitoring()
                            .and_then(|m| m.state())
                            .map(|s| s.as_str() == "enabled"),
                    ),
                );
                o.insert(
                    "iam_instance_profile".into(),
                    optional_string(
                        i.iam_instance_profile()
                            .and_then(|p| p.arn())
                            .map(profile_name),
                    ),
                );
                o.insert("outpost_arn".into(), optional_string(i.outpost_arn()));
                o.insert(
                    "ipv6_addresses".into(),
                    string_list(
                        i.network_interfaces()
                            .iter()
                            .flat_map(|n| n.ipv6_addresses())
                            .filter_map(|a| a.ipv6_address()),
                    ),
                );
                o.insert(
                    "primary_network_interface_id".into(),
                    optional_string(
                        i.network_interfaces()
                            .iter()
                            .find(|n| n.attachment().and_then(|a| a.device_index()) == Some(0))
                            .and_then(|n| n.network_interface_id()),
                    ),
                );
                o.insert(
                    "arn".into(),
                    Value::string(format!(
                        "arn:aws:ec2:{}:{}:instance/{id}",
                        region(&ec2),
                        r.owner_id().unwrap_or_default()
                    )),
                );
                o.insert("tags_all".into(), tags_obs(i.tags()));
                crate::instance_options::observe(i, &mut o);
                devices.add(id, i);
                found.insert(id.to_string(), o);
            }
        }
        devices.observe(&ec2, &mut found).await?;
        Ok(found)
    }
}
