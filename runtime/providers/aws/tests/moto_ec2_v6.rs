//! `aws_subnet`'s AWS provider v6 arguments against moto, each checked through the SDK's
//! DescribeSubnets: created with non-default values, changed in place (the IPv6 block is
//! re-associated, not the subnet replaced), changed out of band (the refresh sees it, the
//! plan repairs it), and the attributes moto does not keep (sent, one
//! ModifySubnetAttribute call each, as the API requires).

mod support;

use aws_sdk_ec2::types::{AttributeBooleanValue, Subnet};
use support::*;

/// The `n`th /64 of the VPC's IPv6 /56 `block`.
fn slash64(block: &str, n: u16) -> String {
    let (addr, _) = block.split_once('/').expect("an IPv6 CIDR");
    let mut seg = addr.parse::<std::net::Ipv6Addr>().expect("IPv6").segments();
    seg[3] = (seg[3] & 0xff00) | n;
    format!("{}/64", std::net::Ipv6Addr::from(seg))
}

async fn described(id: &str) -> Subnet {
    ec2()
        .await
        .describe_subnets()
        .subnet_ids(id)
        .send()
        .await
        .expect("DescribeSubnets")
        .subnets()[0]
        .clone()
}

fn dns_a(s: &Subnet) -> Option<bool> {
    s.private_dns_name_options_on_launch()
        .and_then(|d| d.enable_resource_name_dns_a_record())
}

fn ipv6(s: &Subnet) -> Vec<(String, String)> {
    s.ipv6_cidr_block_association_set()
        .iter()
        .map(|a| {
            (
                a.ipv6_cidr_block().unwrap_or_default().to_string(),
                a.association_id().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn on(b: bool) -> AttributeBooleanValue {
    AttributeBooleanValue::builder().value(b).build()
}

#[tokio::test]
async fn subnet_v6_arguments_are_sent_read_back_and_repaired() {
    let _m = moto();
    let p = provider();
    let vpc = create(
        &p,
        "aws_vpc",
        &config(
            "aws_vpc",
            vec![
                ("cidr_block", s("10.60.0.0/16")),
                ("assign_generated_ipv6_cidr_block", Value::Bool(true)),
            ],
        ),
    )
    .await;
    let block = str_of(&vpc, "ipv6_cidr_block");
    assert!(block.ends_with("/56"), "the VPC's IPv6 block: {vpc:?}");
    let (first, second) = (slash64(&block, 1), slash64(&block, 2));

    // Created with non-default values: each one shows in DescribeSubnets.
    let a = config(
        "aws_subnet",
        vec![
            ("vpc_id", s(&str_of(&vpc, "id"))),
            ("cidr_block", s("10.60.1.0/24")),
            ("ipv6_cidr_block", s(&first)),
            ("assign_ipv6_address_on_creation", Value::Bool(true)),
            ("map_public_ip_on_launch", Value::Bool(true)),
            (
                "enable_resource_name_dns_a_record_on_launch",
                Value::Bool(true),
            ),
            ("private_dns_hostname_type_on_launch", s("ip-name")),
        ],
    );
    let state = create(&p, "aws_subnet", &a).await;
    let id = str_of(&state, "id");
    let seen = described(&id).await;
    assert_eq!(seen.map_public_ip_on_launch(), Some(true));
    assert_eq!(seen.assign_ipv6_address_on_creation(), Some(true));
    assert_eq!(dns_a(&seen), Some(true));
    assert_eq!(ipv6(&seen)[0].0, first);
    assert_eq!(
        str_of(&state, "ipv6_cidr_block_association_id"),
        ipv6(&seen)[0].1
    );
    assert_eq!(
        str_of(&state, "private_dns_hostname_type_on_launch"),
        "ip-name"
    );
    assert_eq!(get(&state, "enable_dns64"), &Value::Bool(false));
    assert_eq!(get(&state, "ipv6_native"), &Value::Bool(false));

    // Changed in place: the subnet keeps its id, its IPv6 block is the new one (with a new
    // association), the flags are off.
    let b = support::lifecycle::with(
        &a,
        vec![
            ("ipv6_cidr_block", s(&second)),
            ("map_public_ip_on_launch", Value::Bool(false)),
            (
                "enable_resource_name_dns_a_record_on_launch",
                Value::Bool(false),
            ),
        ],
    );
    let r = plan(&p, "aws_subnet", Some(&state), &b).await;
    assert!(
        !get(&r.planned, "ipv6_cidr_block_association_id").is_known(),
        "a new IPv6 block plans a new association id: {:?}",
        r.planned
    );
    let state = update(&p, "aws_subnet", &state, &b).await;
    assert_eq!(str_of(&state, "id"), id);
    let seen = described(&id).await;
    assert_eq!(seen.map_public_ip_on_launch(), Some(false));
    assert_eq!(dns_a(&seen), Some(false));
    assert_eq!(
        ipv6(&seen),
        vec![(
            second.clone(),
            str_of(&state, "ipv6_cidr_block_association_id")
        )]
    );
    assert_eq!(
        seen.assign_ipv6_address_on_creation(),
        Some(true),
        "turned off to swap the block, then on again"
    );

    // Changed out of band: the refresh sees both flags, the plan repairs them in place.
    let sdk = ec2().await;
    sdk.modify_subnet_attribute()
        .subnet_id(&id)
        .map_public_ip_on_launch(on(true))
        .send()
        .await
        .expect("ModifySubnetAttribute");
    sdk.modify_subnet_attribute()
        .subnet_id(&id)
        .enable_resource_name_dns_a_record_on_launch(on(true))
        .send()
        .await
        .expect("ModifySubnetAttribute");
    let read = p
        .read("aws_subnet", &state)
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(get(&read, "map_public_ip_on_launch"), &Value::Bool(true));
    assert_eq!(
        get(&read, "enable_resource_name_dns_a_record_on_launch"),
        &Value::Bool(true)
    );
    let before = p.api_call_counts();
    let repaired = update(&p, "aws_subnet", &read, &b).await;
    assert_eq!(
        calls_since(&p, "ModifySubnetAttribute", &before),
        2,
        "one call per attribute"
    );
    let seen = described(&id).await;
    assert_eq!(seen.map_public_ip_on_launch(), Some(false));
    assert_eq!(dns_a(&seen), Some(false));

    // Import reads every argument back: no replacement, no change.
    let imported = p.import("aws_subnet", &id).await.expect("import");
    let r = plan(&p, "aws_subnet", Some(&imported), &b).await;
    assert!(r.requires_replace.is_empty(), "{:?}", r.requires_replace);
    assert_eq!(
        get(&r.planned, "ipv6_cidr_block"),
        get(&repaired, "ipv6_cidr_block")
    );

    // `ipv6_native` cannot change in place: a replacement is planned. (moto cannot create an
    // IPv6-only subnet the SDK can read: it answers with an available address count of 2^64,
    // which is no 32-bit integer.)
    let r = plan(
        &p,
        "aws_subnet",
        Some(&repaired),
        &support::lifecycle::with(&b, vec![("ipv6_native", Value::Bool(true))]),
    )
    .await;
    assert!(
        r.requires_replace
            .iter()
            .any(|x| x.join(".") == "ipv6_native"),
        "{:?}",
        r.requires_replace
    );

    destroy(&p, "aws_subnet", &repaired).await;
    destroy(&p, "aws_vpc", &vpc).await;
}

/// moto 5.2.5 keeps neither DNS64, AAAA records nor the hostname type: that they are sent,
/// one ModifySubnetAttribute call each, is what can be checked against it.
#[tokio::test]
async fn subnet_attributes_moto_does_not_keep_are_sent_one_call_each() {
    let _m = moto();
    let p = provider();
    let vpc = support::vpc(&p, "10.61.0.0/16").await;
    let cfg = config(
        "aws_subnet",
        vec![
            ("vpc_id", s(&str_of(&vpc, "id"))),
            ("cidr_block", s("10.61.1.0/24")),
            ("enable_dns64", Value::Bool(true)),
            (
                "enable_resource_name_dns_aaaa_record_on_launch",
                Value::Bool(true),
            ),
            ("private_dns_hostname_type_on_launch", s("resource-name")),
        ],
    );
    let before = p.api_call_counts();
    let r = plan(&p, "aws_subnet", None, &cfg).await;
    let state = apply(&p, "aws_subnet", None, Some(&r.planned))
        .await
        .expect("create");
    assert_eq!(calls_since(&p, "CreateSubnet", &before), 1);
    assert_eq!(calls_since(&p, "ModifySubnetAttribute", &before), 3);

    // Defaults send nothing.
    let plain = support::subnet(&p, &str_of(&vpc, "id"), "10.61.2.0/24", None).await;
    assert_eq!(calls_since(&p, "ModifySubnetAttribute", &before), 3);

    // A hostname type that is neither of the two is refused before any call.
    let bad = support::lifecycle::with(
        &cfg,
        vec![("private_dns_hostname_type_on_launch", s("name"))],
    );
    let errors = p.validate("aws_subnet", &bad);
    assert!(
        errors
            .iter()
            .any(|e| e.contains("private_dns_hostname_type_on_launch")),
        "{errors:?}"
    );

    destroy(&p, "aws_subnet", &state).await;
    destroy(&p, "aws_subnet", &plain).await;
    destroy(&p, "aws_vpc", &vpc).await;
}

async fn described_vpc(id: &str) -> aws_sdk_ec2::types::Vpc {
    ec2()
        .await
        .describe_vpcs()
        .vpc_ids(id)
        .send()
        .await
        .expect("DescribeVpcs")
        .vpcs()[0]
        .clone()
}

/// The VPC's IPv6 blocks in use: (block, association id, pool, border group).
fn vpc_ipv6(v: &aws_sdk_ec2::types::Vpc) -> Vec<(String, String, String, String)> {
    use aws_sdk_ec2::types::VpcCidrBlockStateCode as Code;
    v.ipv6_cidr_block_association_set()
        .iter()
        .filter(|a| {
            a.ipv6_cidr_block_state()
                .and_then(|s| s.state())
                .is_some_and(|s| matches!(s, Code::Associated | Code::Associating))
        })
        .map(|a| {
            let text = |s: Option<&str>| s.unwrap_or_default().to_string();
            (
                text(a.ipv6_cidr_block()),
                text(a.association_id()),
                text(a.ipv6_pool()),
                text(a.network_border_group()),
            )
        })
        .collect()
}

async fn usage_metrics(id: &str) -> Option<bool> {
    ec2()
        .await
        .describe_vpc_attribute()
        .vpc_id(id)
        .attribute(aws_sdk_ec2::types::VpcAttributeName::EnableNetworkAddressUsageMetrics)
        .send()
        .await
        .expect("DescribeVpcAttribute")
        .enable_network_address_usage_metrics()
        .and_then(|b| b.value())
}

#[tokio::test]
async fn vpc_v6_arguments_are_sent_read_back_and_repaired() {
    let _m = moto();
    let p = provider();
    let a = config(
        "aws_vpc",
        vec![
            ("cidr_block", s("10.62.0.0/16")),
            ("instance_tenancy", s("dedicated")),
            ("assign_generated_ipv6_cidr_block", Value::Bool(true)),
            // Not `ipv6_cidr_block_network_border_group`: moto 5.2.5 keeps it but never
            // returns it (AWS does), so it would read back as a change.
            ("enable_network_address_usage_metrics", Value::Bool(true)),
        ],
    );
    assert_eq!(p.validate("aws_vpc", &a), Vec::<String>::new());
    let state = create(&p, "aws_vpc", &a).await;
    let id = str_of(&state, "id");
    let seen = described_vpc(&id).await;
    let v6 = vpc_ipv6(&seen);
    assert_eq!(v6.len(), 1, "{seen:?}");
    assert_eq!(str_of(&state, "ipv6_cidr_block"), v6[0].0);
    assert_eq!(str_of(&state, "ipv6_association_id"), v6[0].1);
    assert_eq!(v6[0].2, "Amazon");
    assert_eq!(usage_metrics(&id).await, Some(true));
    assert_eq!(
        seen.instance_tenancy().map(|t| t.as_str()),
        Some("dedicated")
    );
    for name in [
        "main_route_table_id",
        "default_route_table_id",
        "default_network_acl_id",
        "default_security_group_id",
        "dhcp_options_id",
        "owner_id",
        "arn",
    ] {
        assert!(!str_of(&state, name).is_empty(), "{name}: {state:?}");
    }

    // In place: the Amazon-provided block released, tenancy back to default, metrics off.
    let b = support::lifecycle::with(
        &a,
        vec![
            ("instance_tenancy", s("default")),
            ("assign_generated_ipv6_cidr_block", Value::Bool(false)),
            ("enable_network_address_usage_metrics", Value::Bool(false)),
        ],
    );
    let state = update(&p, "aws_vpc", &state, &b).await;
    assert_eq!(str_of(&state, "id"), id);
    let seen = described_vpc(&id).await;
    assert_eq!(vpc_ipv6(&seen), vec![]);
    assert_eq!(get(&state, "ipv6_cidr_block"), &Value::Null);
    assert_eq!(seen.instance_tenancy().map(|t| t.as_str()), Some("default"));
    assert_eq!(usage_metrics(&id).await, Some(false));

    // In place again: a new Amazon-provided block (tenancy stays default: AWS changes it
    // only towards default).
    let c = support::lifecycle::with(
        &b,
        vec![
            ("assign_generated_ipv6_cidr_block", Value::Bool(true)),
            ("enable_network_address_usage_metrics", Value::Bool(true)),
        ],
    );
    // Towards `dedicated` is impossible in place (ModifyVpcTenancy only goes to default):
    // the plan replaces the VPC.
    let dedicated = support::lifecycle::with(&b, vec![("instance_tenancy", s("dedicated"))]);
    let r = plan(&p, "aws_vpc", Some(&state), &dedicated).await;
    assert_eq!(
        r.requires_replace,
        vec![vec!["instance_tenancy".to_string()]]
    );
    let state = update(&p, "aws_vpc", &state, &c).await;
    let seen = described_vpc(&id).await;
    let v6 = vpc_ipv6(&seen);
    assert_eq!(v6.len(), 1, "{seen:?}");
    assert_eq!(str_of(&state, "ipv6_association_id"), v6[0].1);

    // Out of band: the block released and metrics turned off; the refresh sees both and the
    // plan brings them back in place.
    let sdk = ec2().await;
    sdk.disassociate_vpc_cidr_block()
        .association_id(&v6[0].1)
        .send()
        .await
        .expect("DisassociateVpcCidrBlock");
    sdk.modify_vpc_attribute()
        .vpc_id(&id)
        .enable_network_address_usage_metrics(on(false))
        .send()
        .await
        .expect("ModifyVpcAttribute");
    let read = p
        .read("aws_vpc", &state)
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(
        get(&read, "assign_generated_ipv6_cidr_block"),
        &Value::Bool(false)
    );
    assert_eq!(
        get(&read, "enable_network_address_usage_metrics"),
        &Value::Bool(false)
    );
    let repaired = update(&p, "aws_vpc", &read, &c).await;
    let seen = described_vpc(&id).await;
    let again = vpc_ipv6(&seen);
    assert_eq!(again.len(), 1, "{seen:?}");
    assert_eq!(str_of(&repaired, "ipv6_association_id"), again[0].1);
    assert_eq!(usage_metrics(&id).await, Some(true));

    // Imported: every argument read back, nothing to change.
    let imported = p.import("aws_vpc", &id).await.expect("import");
    let r = plan(&p, "aws_vpc", Some(&imported), &c).await;
    assert!(r.requires_replace.is_empty(), "{:?}", r.requires_replace);
    assert_eq!(
        get(&r.planned, "ipv6_cidr_block"),
        get(&repaired, "ipv6_cidr_block")
    );

    destroy(&p, "aws_vpc", &repaired).await;
}

/// IPAM pools: moto 5.2.5 has no IPAM, so what can be checked is the plan (the block is
/// AWS's choice, unknown until the apply) and the conflicts the configuration is refused for.
#[tokio::test]
async fn vpc_ipam_arguments_plan_and_conflicts() {
    let p = provider();
    let pooled = config(
        "aws_vpc",
        vec![
            ("ipv4_ipam_pool_id", s("ipam-pool-0123456789abcdef0")),
            ("ipv4_netmask_length", n(20)),
        ],
    );
    assert_eq!(p.validate("aws_vpc", &pooled), Vec::<String>::new());
    let r = plan(&p, "aws_vpc", None, &pooled).await;
    assert!(!get(&r.planned, "cidr_block").is_known(), "{:?}", r.planned);

    let refused = |cfg: Vec<(&str, Value)>, word: &str| {
        let errors = p.validate("aws_vpc", &config("aws_vpc", cfg));
        assert!(
            errors.iter().any(|e| e.contains(word)),
            "{word}: {errors:?}"
        );
    };
    refused(vec![], "ipv4_ipam_pool_id");
    refused(
        vec![
            ("cidr_block", s("10.0.0.0/16")),
            ("ipv4_netmask_length", n(20)),
        ],
        "ipv4_netmask_length",
    );
    refused(
        vec![
            ("cidr_block", s("10.0.0.0/16")),
            ("ipv6_cidr_block", s("2600:1f18::/56")),
        ],
        "ipv6_ipam_pool_id",
    );
    refused(
        vec![
            ("cidr_block", s("10.0.0.0/16")),
            ("ipv6_ipam_pool_id", s("ipam-pool-1")),
            ("assign_generated_ipv6_cidr_block", Value::Bool(true)),
        ],
        "assign_generated_ipv6_cidr_block",
    );
}

fn metadata(tokens: &str, hops: i64) -> Value {
    Value::List(vec![obj(vec![
        ("http_endpoint", s("enabled")),
        ("http_tokens", s(tokens)),
        ("http_put_response_hop_limit", n(hops)),
        ("instance_metadata_tags", s("enabled")),
    ])])
}

async fn described_instance(id: &str) -> aws_sdk_ec2::types::Instance {
    ec2()
        .await
        .describe_instances()
        .instance_ids(id)
        .send()
        .await
        .expect("DescribeInstances")
        .reservations()[0]
        .instances()[0]
        .clone()
}

/// An instance from a launch template (no `ami`, no `instance_type`) with the metadata service
/// and monitoring set: sent, read back, changed in place and repaired after an out-of-band
/// change, each checked through DescribeInstances.
#[tokio::test]
async fn instance_from_a_launch_template_with_v6_options() {
    let _m = moto();
    let p = provider();
    let ami = ubuntu(&p).await;
    let sdk = ec2().await;
    let template = sdk
        .create_launch_template()
        .launch_template_name("skel-v6")
        .launch_template_data(
            aws_sdk_ec2::types::RequestLaunchTemplateData::builder()
                .image_id(&ami)
                .instance_type(aws_sdk_ec2::types::InstanceType::T3Small)
                .build(),
        )
        .send()
        .await
        .expect("CreateLaunchTemplate");
    let template_id = template
        .launch_template()
        .and_then(|t| t.launch_template_id())
        .expect("template id")
        .to_string();
    let vpc = support::vpc(&p, "10.63.0.0/16").await;
    let subnet = support::subnet(&p, &str_of(&vpc, "id"), "10.63.1.0/24", None).await;

    let a = config(
        "aws_instance",
        vec![
            ("subnet_id", s(&str_of(&subnet, "id"))),
            (
                "launch_template",
                Value::List(vec![obj(vec![
                    ("id", s(&template_id)),
                    ("name", Value::Null),
                    ("version", s("$Default")),
                ])]),
            ),
            ("metadata_options", metadata("required", 2)),
            ("monitoring", Value::Bool(true)),
        ],
    );
    let state = create(&p, "aws_instance", &a).await;
    let id = str_of(&state, "id");
    assert_eq!(
        str_of(&state, "ami"),
        ami,
        "the template's image, read back"
    );
    assert_eq!(str_of(&state, "instance_type"), "t3.small");
    let seen = described_instance(&id).await;
    assert_eq!(seen.image_id(), Some(ami.as_str()));
    let md = seen.metadata_options().expect("metadata options");
    assert_eq!(md.http_tokens().map(|t| t.as_str()), Some("required"));
    assert_eq!(md.http_put_response_hop_limit(), Some(2));
    assert_eq!(
        seen.monitoring()
            .and_then(|m| m.state())
            .map(|s| s.as_str()),
        Some("enabled")
    );
    // The template's `aws:` tags are AWS's, not the configuration's.
    assert!(
        seen.tags()
            .iter()
            .any(|t| t.key() == Some("aws:ec2launchtemplate:id")),
        "{seen:?}"
    );
    assert!(
        !format!("{:?}", get(&state, "tags_all")).contains("aws:"),
        "{state:?}"
    );

    // In place: IMDSv1 allowed again, one hop.
    let b = support::lifecycle::with(&a, vec![("metadata_options", metadata("optional", 1))]);
    let state = update(&p, "aws_instance", &state, &b).await;
    assert_eq!(str_of(&state, "id"), id);
    let md = described_instance(&id)
        .await
        .metadata_options()
        .cloned()
        .expect("metadata options");
    assert_eq!(md.http_tokens().map(|t| t.as_str()), Some("optional"));
    assert_eq!(md.http_put_response_hop_limit(), Some(1));

    // Out of band: IMDSv2 required again; the refresh sees it, the plan repairs it in place.
    sdk.modify_instance_metadata_options()
        .instance_id(&id)
        .http_tokens(aws_sdk_ec2::types::HttpTokensState::Required)
        .http_put_response_hop_limit(1)
        .http_endpoint(aws_sdk_ec2::types::InstanceMetadataEndpointState::Enabled)
        .instance_metadata_tags(aws_sdk_ec2::types::InstanceMetadataTagsState::Enabled)
        .send()
        .await
        .expect("ModifyInstanceMetadataOptions");
    let read = p
        .read("aws_instance", &state)
        .await
        .expect("read")
        .expect("exists");
    assert_ne!(read, state, "the out-of-band change is not seen");
    let repaired = update(&p, "aws_instance", &read, &b).await;
    let md = described_instance(&id)
        .await
        .metadata_options()
        .cloned()
        .expect("metadata options");
    assert_eq!(md.http_tokens().map(|t| t.as_str()), Some("optional"));

    // Another template replaces the instance; a root volume without `ami` is refused clearly.
    let r = plan(
        &p,
        "aws_instance",
        Some(&repaired),
        &support::lifecycle::with(
            &b,
            vec![(
                "launch_template",
                Value::List(vec![obj(vec![
                    ("id", s("lt-0123456789abcdef0")),
                    ("name", Value::Null),
                    ("version", Value::Null),
                ])]),
            )],
        ),
    )
    .await;
    assert!(
        r.requires_replace
            .iter()
            .any(|x| x.first().map(String::as_str) == Some("launch_template")),
        "{:?}",
        r.requires_replace
    );
    let rooted = support::lifecycle::with(&a, vec![("root_block_device", root_volume(10))]);
    let planned = plan(&p, "aws_instance", None, &rooted).await.planned;
    let err = apply(&p, "aws_instance", None, Some(&planned))
        .await
        .expect_err("a root volume without ami");
    assert!(err.to_string().contains("`ami`"), "{err}");

    destroy(&p, "aws_instance", &repaired).await;
    destroy(&p, "aws_subnet", &subnet).await;
    destroy(&p, "aws_vpc", &vpc).await;
}

/// `aws_eip.vpc`, deprecated since v5 and dropped by v6, is still accepted from older code:
/// `vpc = true` makes a VPC address (AWS's only kind now), reads back as set, and plans no
/// change; `vpc = false` (an EC2-Classic address) is refused before any call.
#[tokio::test]
async fn an_eip_written_with_the_deprecated_vpc_flag_is_a_vpc_address() {
    let _m = moto();
    let p = provider();
    let cfg = config("aws_eip", vec![("vpc", Value::Bool(true))]);
    let state = create(&p, "aws_eip", &cfg).await;
    assert_eq!(get(&state, "vpc"), &Value::Bool(true));
    assert_eq!(str_of(&state, "domain"), "vpc");
    let seen = ec2()
        .await
        .describe_addresses()
        .allocation_ids(str_of(&state, "id"))
        .send()
        .await
        .expect("DescribeAddresses");
    assert_eq!(
        seen.addresses()[0].domain().map(|d| d.as_str()),
        Some("vpc")
    );
    assert_eq!(plan(&p, "aws_eip", Some(&state), &cfg).await.planned, state);
    let classic = config("aws_eip", vec![("vpc", Value::Bool(false))]);
    let errors = p.validate("aws_eip", &classic);
    assert!(
        errors.iter().any(|e| e.contains("EC2-Classic")),
        "{errors:?}"
    );
    destroy(&p, "aws_eip", &state).await;
}

/// `aws_eip`'s v6 allocation arguments: `address` takes back a released address (moto keeps
/// that, so it is checked through the SDK); the network border group, customer-owned pool and
/// IPAM pool moto accepts but does not keep, so the AllocateAddress request is checked. Each
/// address plans no change after its create, and a different `address` replaces it.
#[tokio::test]
async fn eip_allocation_arguments_are_sent() {
    let serial = moto();
    let port = serial.1;
    let p = provider();
    let sdk = ec2().await;
    let released = sdk
        .allocate_address()
        .domain(aws_sdk_ec2::types::DomainType::Vpc)
        .send()
        .await
        .expect("AllocateAddress");
    let ip = released.public_ip().expect("an address").to_string();
    sdk.release_address()
        .allocation_id(released.allocation_id().expect("an allocation"))
        .send()
        .await
        .expect("ReleaseAddress");
    let wanted = config("aws_eip", vec![("domain", s("vpc")), ("address", s(&ip))]);
    let state = create(&p, "aws_eip", &wanted).await;
    assert_eq!(str_of(&state, "public_ip"), ip);
    let seen = sdk
        .describe_addresses()
        .allocation_ids(str_of(&state, "id"))
        .send()
        .await
        .expect("DescribeAddresses");
    assert_eq!(seen.addresses()[0].public_ip(), Some(ip.as_str()));
    let other = config(
        "aws_eip",
        vec![("domain", s("vpc")), ("address", s("198.51.100.7"))],
    );
    let r = plan(&p, "aws_eip", Some(&state), &other).await;
    assert_eq!(r.requires_replace, vec![vec!["address".to_string()]]);
    destroy(&p, "aws_eip", &state).await;

    let pools = config(
        "aws_eip",
        vec![
            ("domain", s("vpc")),
            ("network_border_group", s("us-east-1-bos-1")),
            (
                "customer_owned_ipv4_pool",
                s("ipv4pool-coip-0123456789abcdef0"),
            ),
            ("ipam_pool_id", s("ipam-pool-0123456789abcdef0")),
        ],
    );
    let recorder = Recorder::start(port);
    let state = create(&p, "aws_eip", &pools).await;
    let sent = recorder.bodies("AllocateAddress");
    drop(recorder);
    assert_eq!(sent.len(), 1, "{sent:?}");
    for part in [
        "NetworkBorderGroup=us-east-1-bos-1",
        "CustomerOwnedIpv4Pool=ipv4pool-coip-0123456789abcdef0",
        "IpamPoolId=ipam-pool-0123456789abcdef0",
    ] {
        assert!(sent[0].contains(part), "{part} not in {}", sent[0]);
    }
    destroy(&p, "aws_eip", &state).await;
}
