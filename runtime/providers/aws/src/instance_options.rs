//! `aws_instance`'s launch options (AWS provider v6): the launch template, the metadata service,
//! CPU, enclaves, maintenance, the private DNS name, hibernation, monitoring, stop protection,
//! CPU credits and the shutdown behaviour. Sent in RunInstances, changed in place with the call
//! each one has, and read back from DescribeInstances where it reports them.

use aws_sdk_ec2::operation::run_instances::builders::RunInstancesFluentBuilder;
use aws_sdk_ec2::types::{
    AmdSevSnpSpecification, AttributeBooleanValue, AttributeValue, CpuOptionsRequest,
    CreditSpecificationRequest, EnclaveOptionsRequest, HibernationOptionsRequest, HostnameType,
    HttpTokensState, Instance, InstanceAutoRecoveryState, InstanceCreditSpecificationRequest,
    InstanceMaintenanceOptionsRequest, InstanceMetadataEndpointState,
    InstanceMetadataOptionsRequest, InstanceMetadataTagsState, LaunchTemplateSpecification,
    PrivateDnsNameOptionsRequest, RunInstancesMonitoringEnabled, ShutdownBehavior,
};
use aws_sdk_ec2::Client;
use skel_provider::ProviderError;
use skel_value::{Value, ValueMap};

use crate::common::{
    blocks, get, get_bool, get_i64, get_str, optional_bool, optional_number, optional_string, same,
    Obs,
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
            ec2.modify_instance_attribute()
                .instance_id(id)
                .instance_initiated_shutdown_behavior(AttributeValue::builder().value(b).build())
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
