//! `aws_instance`'s launch options (AWS provider v6): the launch template, the metadata service,
//! CPU, enclaves, maintenance, the private DNS name, hibernation, monitoring, stop protection,
//! CPU credits and the shutdown behaviour. Sent in RunInstances, changed in place with the call
//! each one has, and read back from DescribeInstances where it reports them, else (stop and
//! termination protection, the shutdown behaviour, CPU credits) with their own calls, made only
//! for the instances whose configuration manages them ([`observe_managed`]).

use aws_sdk_ec2::operation::run_instances::builders::RunInstancesFluentBuilder;
use aws_sdk_ec2::types::{
    AmdSevSnpSpecification, AttributeBooleanValue, CpuOptionsRequest, CreditSpecificationRequest,
    EnclaveOptionsRequest, HibernationOptionsRequest, HostnameType, HttpTokensState, Instance,
    InstanceAttributeName, InstanceAutoRecoveryState, InstanceCreditSpecificationRequest,
    InstanceMaintenanceOptionsRequest, InstanceMetadataEndpointState,
    InstanceMetadataOptionsRequest, InstanceMetadataTagsState,
    InstanceNetworkInterfaceSpecification, LaunchTemplateSpecification,
    PrivateDnsNameOptionsRequest, PrivateIpAddressSpecification, RunInstancesMonitoringEnabled,
    ShutdownBehavior,
};
use aws_sdk_ec2::Client;
use skel_provider::ProviderError;
use skel_value::{Value, ValueMap};

use crate::common::{
    blocks, get, get_bool, get_i64, get_str, get_strs, optional_bool, optional_number,
    optional_string, same, string_set, Obs,
};
use crate::error::SdkResultExt;

/// The first (only) `name` block of `v`, or null.
fn block<'a>(v: &'a Value, name: &str) -> &'a Value {
    skel_provider::kit::first_block(v, name)
}

fn is_set(v: &Value, name: &str) -> bool {
    !blocks(v, name).is_empty()
}

fn text(b: &Value, name: &str) -> Option<String> {
    get_str(b, name).map(str::to_string)
}

fn metadata_request(b: &Value) -> InstanceMetadataOptionsRequest {
    InstanceMetadataOptionsRequest::builder()
        .set_http_endpoint(get_str(b, "http_endpoint").map(InstanceMetadataEndpointState::from))
        .set_http_tokens(get_str(b, "http_tokens").map(HttpTokensState::from))
        .set_http_put_response_hop_limit(
            get_i64(b, "http_put_response_hop_limit").map(|n| n as i32),
        )
        .set_instance_metadata_tags(
            get_str(b, "instance_metadata_tags").map(InstanceMetadataTagsState::from),
        )
        .build()
}

/// `call` with every launch option `planned` sets.
pub(crate) fn run_options(
    mut call: RunInstancesFluentBuilder,
    planned: &Value,
) -> RunInstancesFluentBuilder {
    if is_set(planned, "launch_template") {
        let b = block(planned, "launch_template");
        call = call.launch_template(
            LaunchTemplateSpecification::builder()
                .set_launch_template_id(text(b, "id"))
                .set_launch_template_name(text(b, "name"))
                .set_version(text(b, "version"))
                .build(),
        );
    }
    if is_set(planned, "metadata_options") {
        call = call.metadata_options(metadata_request(block(planned, "metadata_options")));
    }
    if let Some(credits) = text(block(planned, "credit_specification"), "cpu_credits") {
        call = call.credit_specification(
            CreditSpecificationRequest::builder()
                .cpu_credits(credits)
                .build(),
        );
    }
    // Off is the default: only turning it on is sent.
    if get_bool(planned, "monitoring") == Some(true) {
        call = call.monitoring(
            RunInstancesMonitoringEnabled::builder()
                .enabled(true)
                .build(),
        );
    }
    if get_bool(planned, "hibernation") == Some(true) {
        call = call.hibernation_options(
            HibernationOptionsRequest::builder()
                .configured(true)
                .build(),
        );
    }
    if is_set(planned, "cpu_options") {
        let b = block(planned, "cpu_options");
        call = call.cpu_options(
            CpuOptionsRequest::builder()
                .set_core_count(get_i64(b, "core_count").map(|n| n as i32))
                .set_threads_per_core(get_i64(b, "threads_per_core").map(|n| n as i32))
                .set_amd_sev_snp(get_str(b, "amd_sev_snp").map(AmdSevSnpSpecification::from))
                .build(),
        );
    }
    if let Some(on) = get_bool(block(planned, "enclave_options"), "enabled") {
        call = call.enclave_options(EnclaveOptionsRequest::builder().enabled(on).build());
    }
    if let Some(state) = get_str(block(planned, "maintenance_options"), "auto_recovery") {
        call = call.maintenance_options(
            InstanceMaintenanceOptionsRequest::builder()
                .auto_recovery(InstanceAutoRecoveryState::from(state))
                .build(),
        );
    }
    if is_set(planned, "private_dns_name_options") {
        call =
            call.private_dns_name_options(dns_request(block(planned, "private_dns_name_options")));
    }
    call.set_disable_api_stop(get_bool(planned, "disable_api_stop"))
        .set_instance_initiated_shutdown_behavior(
            get_str(planned, "instance_initiated_shutdown_behavior").map(ShutdownBehavior::from),
        )
}

/// The `network_interface` items of `planned`: existing interfaces attached at launch.
pub(crate) fn attached_interfaces(planned: &Value) -> Vec<InstanceNetworkInterfaceSpecification> {
    blocks(planned, "network_interface")
        .iter()
        .map(|n| {
            InstanceNetworkInterfaceSpecification::builder()
                .set_device_index(get_i64(n, "device_index").map(|i| i as i32))
                .set_network_interface_id(text(n, "network_interface_id"))
                .set_delete_on_termination(get_bool(n, "delete_on_termination"))
                .set_network_card_index(get_i64(n, "network_card_index").map(|i| i as i32))
                .build()
        })
        .collect()
}

/// The private addresses of the primary interface when it has `secondaries`: `primary` (when
/// chosen) marked primary, then each secondary; `None` without secondaries.
pub(crate) fn private_ips(
    primary: Option<String>,
    secondaries: &[String],
) -> Option<Vec<PrivateIpAddressSpecification>> {
    if secondaries.is_empty() {
        return None;
    }
    let spec = |ip: &str, primary: bool| {
        PrivateIpAddressSpecification::builder()
            .private_ip_address(ip)
            .primary(primary)
            .build()
    };
    let mut out: Vec<PrivateIpAddressSpecification> =
        primary.iter().map(|ip| spec(ip, true)).collect();
    out.extend(secondaries.iter().map(|ip| spec(ip, false)));
    Some(out)
}

/// Errors for arguments that cannot go together: with `network_interface` (the interfaces
/// attached at launch carry the subnet, groups and addresses), and security group names with
/// what makes the launch describe the primary interface (it takes group ids only).
pub(crate) fn validate(config: &Value) -> Vec<String> {
    let set = |n: &str| {
        let v = get(config, n);
        !v.is_null() && v.as_sequence().is_none_or(|s| !s.is_empty())
    };
    if blocks(config, "network_interface").is_empty() {
        return ["associate_public_ip_address", "secondary_private_ips"]
            .iter()
            .filter(|n| set(n) && set("security_groups"))
            .map(|n| format!("aws_instance: `security_groups` (group names) cannot be set with `{n}`: the primary interface it describes takes group ids; use `vpc_security_group_ids`."))
            .collect();
    }
    [
        "subnet_id",
        "vpc_security_group_ids",
        "security_groups",
        "associate_public_ip_address",
        "private_ip",
        "secondary_private_ips",
        "ipv6_address_count",
    ]
    .iter()
    .filter(|n| set(n))
    .map(|n| format!("aws_instance: `{n}` cannot be set with `network_interface`: the attached interfaces carry it; set it on the `aws_network_interface` instead."))
    .collect()
}

fn dns_request(b: &Value) -> PrivateDnsNameOptionsRequest {
    PrivateDnsNameOptionsRequest::builder()
        .set_hostname_type(get_str(b, "hostname_type").map(HostnameType::from))
        .set_enable_resource_name_dns_a_record(get_bool(b, "enable_resource_name_dns_a_record"))
        .set_enable_resource_name_dns_aaaa_record(get_bool(
            b,
            "enable_resource_name_dns_aaaa_record",
        ))
        .build()
}

/// Changes in place what differs between `prior` and `planned`, one API call per option.
pub(crate) async fn update_options(
    ec2: &Client,
    w: &str,
    id: &str,
    prior: &Value,
    planned: &Value,
) -> Result<(), ProviderError> {
    let changed = |n: &str| !same(get(prior, n), get(planned, n)) && get(planned, n).is_known();
    if changed("metadata_options") && is_set(planned, "metadata_options") {
        let r = metadata_request(block(planned, "metadata_options"));
        ec2.modify_instance_metadata_options()
            .instance_id(id)
            .set_http_endpoint(r.http_endpoint().cloned())
            .set_http_tokens(r.http_tokens().cloned())
            .set_http_put_response_hop_limit(r.http_put_response_hop_limit())
            .set_instance_metadata_tags(r.instance_metadata_tags().cloned())
            .send()
            .await
            .or_fail(w)?;
    }
    if changed("maintenance_options") {
        if let Some(state) = get_str(block(planned, "maintenance_options"), "auto_recovery") {
            ec2.modify_instance_maintenance_options()
                .instance_id(id)
                .auto_recovery(InstanceAutoRecoveryState::from(state))
                .send()
                .await
                .or_fail(w)?;
        }
    }
    if changed("private_dns_name_options") && is_set(planned, "private_dns_name_options") {
        let r = dns_request(block(planned, "private_dns_name_options"));
        ec2.modify_private_dns_name_options()
            .instance_id(id)
            .set_private_dns_hostname_type(r.hostname_type().cloned())
            .set_enable_resource_name_dns_a_record(r.enable_resource_name_dns_a_record())
            .set_enable_resource_name_dns_aaaa_record(r.enable_resource_name_dns_aaaa_record())
            .send()
            .await
            .or_fail(w)?;
    }
    if changed("credit_specification") {
        if let Some(credits) = text(block(planned, "credit_specification"), "cpu_credits") {
            ec2.modify_instance_credit_specification()
                .instance_credit_specifications(
                    InstanceCreditSpecificationRequest::builder()
                        .instance_id(id)
                        .cpu_credits(credits)
                        .build(),
                )
                .send()
                .await
                .or_fail(w)?;
        }
    }
    if changed("monitoring") {
        match get_bool(planned, "monitoring") {
            Some(true) => {
                ec2.monitor_instances()
                    .instance_ids(id)
                    .send()
                    .await
                    .or_fail(w)?;
            }
            Some(false) => {
                ec2.unmonitor_instances()
                    .instance_ids(id)
                    .send()
                    .await
                    .or_fail(w)?;
            }
            None => {}
        }
    }
    if changed("secondary_private_ips") {
        let (old, new) = (
            get_strs(prior, "secondary_private_ips"),
            get_strs(planned, "secondary_private_ips"),
        );
        let eni = get_str(prior, "primary_network_interface_id").unwrap_or_default();
        let added: Vec<String> = new.iter().filter(|ip| !old.contains(ip)).cloned().collect();
        let removed: Vec<String> = old.iter().filter(|ip| !new.contains(ip)).cloned().collect();
        if !removed.is_empty() {
            ec2.unassign_private_ip_addresses()
                .network_interface_id(eni)
                .set_private_ip_addresses(Some(removed))
                .send()
                .await
                .or_fail(w)?;
        }
        if !added.is_empty() {
            ec2.assign_private_ip_addresses()
                .network_interface_id(eni)
                .set_private_ip_addresses(Some(added))
                .send()
                .await
                .or_fail(w)?;
        }
    }
    if changed("disable_api_stop") {
        if let Some(on) = get_bool(planned, "disable_api_stop") {
            ec2.modify_instance_attribute()
                .instance_id(id)
                .disable_api_stop(AttributeBooleanValue::builder().value(on).build())
                .send()
                .await
                .or_fail(w)?;
        }
    }
    if changed("instance_initiated_shutdown_behavior") {
        if let Some(b) = get_str(planned, "instance_initiated_shutdown_behavior") {
            // The `Attribute`/`Value` form: moto 5.2.5 ignores the structured one.
            ec2.modify_instance_attribute()
                .instance_id(id)
                .attribute(InstanceAttributeName::InstanceInitiatedShutdownBehavior)
                .value(b)
                .send()
                .await
                .or_fail(w)?;
        }
    }
    Ok(())
}

fn one(fields: Vec<(&str, Value)>) -> Value {
    Value::List(vec![Value::Object(
        fields
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect::<ValueMap>(),
    )])
}

/// What DescribeInstances reports of the options into `o` (an option it leaves out is not
/// observed).
pub(crate) fn observe(i: &Instance, o: &mut Obs) {
    o.insert(
        "hibernation".into(),
        Value::Bool(
            i.hibernation_options()
                .and_then(|h| h.configured())
                .unwrap_or(false),
        ),
    );
    let v6 = i
        .network_interfaces()
        .iter()
        .map(|n| n.ipv6_addresses().len())
        .sum::<usize>();
    o.insert(
        "ipv6_address_count".into(),
        optional_number(Some(v6 as i64)),
    );
    let primary = i
        .network_interfaces()
        .iter()
        .find(|n| n.attachment().and_then(|a| a.device_index()) == Some(0));
    o.insert(
        "secondary_private_ips".into(),
        string_set(
            primary
                .map(|n| n.private_ip_addresses())
                .unwrap_or_default()
                .iter()
                .filter(|a| a.primary() == Some(false))
                .filter_map(|a| a.private_ip_address()),
        ),
    );
    o.insert(
        "network_interface".into(),
        Value::set(
            i.network_interfaces()
                .iter()
                .filter_map(|n| {
                    let a = n.attachment()?;
                    Some(Value::Object(ValueMap::from([
                        (
                            "device_index".to_string(),
                            optional_number(a.device_index().map(i64::from)),
                        ),
                        (
                            "network_interface_id".to_string(),
                            optional_string(n.network_interface_id()),
                        ),
                        (
                            "delete_on_termination".to_string(),
                            Value::Bool(a.delete_on_termination().unwrap_or(false)),
                        ),
                        (
                            "network_card_index".to_string(),
                            optional_number(a.network_card_index().map(i64::from)),
                        ),
                    ])))
                })
                .collect(),
        ),
    );
    if let Some(m) = i.metadata_options() {
        o.insert(
            "metadata_options".into(),
            one(vec![
                (
                    "http_endpoint",
                    optional_string(m.http_endpoint().map(|s| s.as_str())),
                ),
                (
                    "http_tokens",
                    optional_string(m.http_tokens().map(|s| s.as_str())),
                ),
                (
                    "http_put_response_hop_limit",
                    optional_number(m.http_put_response_hop_limit().map(i64::from)),
                ),
                (
                    "instance_metadata_tags",
                    optional_string(m.instance_metadata_tags().map(|s| s.as_str())),
                ),
            ]),
        );
    }
    if let Some(c) = i.cpu_options() {
        o.insert(
            "cpu_options".into(),
            one(vec![
                ("core_count", optional_number(c.core_count().map(i64::from))),
                (
                    "threads_per_core",
                    optional_number(c.threads_per_core().map(i64::from)),
                ),
                (
                    "amd_sev_snp",
                    optional_string(c.amd_sev_snp().map(|s| s.as_str())),
                ),
            ]),
        );
    }
    if let Some(e) = i.enclave_options() {
        o.insert(
            "enclave_options".into(),
            one(vec![("enabled", optional_bool(e.enabled()))]),
        );
    }
    if let Some(m) = i.maintenance_options() {
        o.insert(
            "maintenance_options".into(),
            one(vec![(
                "auto_recovery",
                optional_string(m.auto_recovery().map(|s| s.as_str())),
            )]),
        );
    }
    if let Some(d) = i.private_dns_name_options() {
        o.insert(
            "private_dns_name_options".into(),
            one(vec![
                (
                    "hostname_type",
                    optional_string(d.hostname_type().map(|s| s.as_str())),
                ),
                (
                    "enable_resource_name_dns_a_record",
                    optional_bool(d.enable_resource_name_dns_a_record()),
                ),
                (
                    "enable_resource_name_dns_aaaa_record",
                    optional_bool(d.enable_resource_name_dns_aaaa_record()),
                ),
            ]),
        );
    }
}

/// The attributes DescribeInstances does not report, each read with a call of its own per
/// instance (DescribeInstanceAttribute): made only for the ones a state manages.
const ATTRIBUTES: [(&str, InstanceAttributeName); 3] = [
    ("disable_api_stop", InstanceAttributeName::DisableApiStop),
    (
        "disable_api_termination",
        InstanceAttributeName::DisableApiTermination,
    ),
    (
        "instance_initiated_shutdown_behavior",
        InstanceAttributeName::InstanceInitiatedShutdownBehavior,
    ),
];

/// Whether `state` manages `name`: it has a value for it (an import's null state manages all).
fn manages(state: &Value, name: &str) -> bool {
    let v = get(state, name);
    state.is_null() || (v.is_known() && !v.is_null())
}

/// Reads back what DescribeInstances leaves out, for the instances `ids` observed as `found`,
/// only as far as their `states` manage it: one DescribeInstanceAttribute per instance and
/// managed attribute, one DescribeInstanceCreditSpecifications for every instance that manages
/// its CPU credits. An unmanaged `network_interface` set is not observed (the interface AWS
/// made at launch is not the configuration's).
pub(crate) async fn observe_managed(
    ec2: &Client,
    ids: &[String],
    states: &[&Value],
    found: &mut [Option<Obs>],
) -> Result<(), ProviderError> {
    let mut credits: Vec<usize> = Vec::new();
    for (k, (id, state)) in ids.iter().zip(states).enumerate() {
        let Some(Some(o)) = found.get_mut(k) else {
            continue;
        };
        let w = format!("reading aws_instance `{id}`");
        for (name, attribute) in ATTRIBUTES {
            if !manages(state, name) {
                continue;
            }
            let out = ec2
                .describe_instance_attribute()
                .instance_id(id)
                .attribute(attribute)
                .send()
                .await
                .or_fail(&w)?;
            let v = match name {
                "disable_api_stop" => optional_bool(out.disable_api_stop().and_then(|b| b.value())),
                "disable_api_termination" => {
                    optional_bool(out.disable_api_termination().and_then(|b| b.value()))
                }
                _ => optional_string(
                    out.instance_initiated_shutdown_behavior()
                        .and_then(|b| b.value()),
                ),
            };
            o.insert(name.into(), v);
        }
        crate::instance_storage::device_tags(state, o);
        if get_bool(state, "get_password_data") == Some(true) {
            let out = ec2
                .get_password_data()
                .instance_id(id)
                .send()
                .await
                .or_fail(&w)?;
            o.insert(
                "password_data".into(),
                optional_string(out.password_data().map(str::trim).filter(|d| !d.is_empty())),
            );
        }
        if !state.is_null() && blocks(state, "network_interface").is_empty() {
            o.remove("network_interface");
        }
        if state.is_null() || get_str(block(state, "credit_specification"), "cpu_credits").is_some()
        {
            credits.push(k);
        }
    }
    if credits.is_empty() {
        return Ok(());
    }
    let wanted: Vec<String> = credits.iter().map(|&k| ids[k].clone()).collect();
    let out = ec2
        .describe_instance_credit_specifications()
        .set_instance_ids(Some(wanted))
        .send()
        .await
        .or_fail("reading the CPU credits of aws_instance")?;
    for spec in out.instance_credit_specifications() {
        let Some(k) = credits
            .iter()
            .copied()
            .find(|&k| Some(ids[k].as_str()) == spec.instance_id())
        else {
            continue;
        };
        if let Some(Some(o)) = found.get_mut(k) {
            o.insert(
                "credit_specification".into(),
                one(vec![("cpu_credits", optional_string(spec.cpu_credits()))]),
            );
        }
    }
    Ok(())
}
