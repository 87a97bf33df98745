//! Every AWS resource type through one lifecycle against moto, table-driven: create, update in
//! place, drift (an attribute changed out of band shows as an update, which repairs it),
//! import, out-of-band delete (read says gone, the re-plan creates it again), replacement and
//! destroy. Each step is checked through the AWS API (a Describe call), not skel's state.

mod ec2_rules;
mod support;

use aws_sdk_ec2::types::{Filter, Tag};
use support::lifecycle::{gone_code, lifecycle, with, Case, Oracle, DRIFTED, UPDATED};
use support::*;

/// The objects a case builds on, made through the provider before the case runs.
struct Deps {
    vpc: String,
    vpc2: String,
    subnet_a: String,
    subnet_b: String,
    igw: String,
    rt: String,
    rt2: String,
    eip: String,
    instance: String,
    volume: String,
    zone: String,
    /// Security groups in `vpc` for the rule types.
    sg: String,
    sg2: String,
}

/// A case's configurations: create, update in place (with its marker), replacement.
type Changes = (
    Value,
    Option<(Value, String)>,
    Option<(Value, &'static str)>,
);

fn named(name: &str) -> Value {
    tags(&[("Name", name)])
}

fn acl_rule(no: i64, protocol: &str, port: i64) -> Value {
    obj(vec![
        ("rule_no", n(no)),
        ("action", s("allow")),
        ("protocol", s(protocol)),
        ("from_port", n(port)),
        ("to_port", n(port)),
        ("cidr_block", s("0.0.0.0/0")),
        ("ipv6_cidr_block", Value::Null),
        ("icmp_type", Value::Null),
        ("icmp_code", Value::Null),
    ])
}

fn sg_rule(protocol: &str, port: i64, desc: &str) -> Value {
    obj(vec![
        ("from_port", n(port)),
        ("to_port", n(port)),
        ("protocol", s(protocol)),
        ("cidr_blocks", Value::List(vec![s("0.0.0.0/0")])),
        ("ipv6_cidr_blocks", Value::Null),
        ("prefix_list_ids", Value::Null),
        ("security_groups", Value::Null),
        ("self", Value::Bool(false)),
        ("description", s(desc)),
    ])
}

/// The primary network interface of `instance`.
async fn instance_interface(instance: &str) -> String {
    let out = ec2()
        .await
        .describe_instances()
        .instance_ids(instance)
        .send()
        .await
        .expect("DescribeInstances");
    out.reservations()[0].instances()[0].network_interfaces()[0]
        .network_interface_id()
        .expect("an interface")
        .to_string()
}

async fn deps(p: &AwsProvider) -> Deps {
    let vpc = str_of(&support::vpc(p, "10.20.0.0/16").await, "id");
    let vpc2 = str_of(&support::vpc(p, "10.21.0.0/16").await, "id");
    let subnet = |cidr: &str, az: &str| {
        config(
            "aws_subnet",
            vec![
                ("vpc_id", s(&vpc)),
                ("cidr_block", s(cidr)),
                ("availability_zone", s(az)),
            ],
        )
    };
    let subnet_a = str_of(
        &create(p, "aws_subnet", &subnet("10.20.1.0/24", "us-east-1a")).await,
        "id",
    );
    let subnet_b = str_of(
        &create(p, "aws_subnet", &subnet("10.20.2.0/24", "us-east-1b")).await,
        "id",
    );
    let igw = str_of(
        &create(
            p,
            "aws_internet_gateway",
            &config("aws_internet_gateway", vec![("vpc_id", s(&vpc))]),
        )
        .await,
        "id",
    );
    let table = config("aws_route_table", vec![("vpc_id", s(&vpc))]);
    let rt = str_of(&create(p, "aws_route_table", &table).await, "id");
    let rt2 = str_of(&create(p, "aws_route_table", &table).await, "id");
    let eip = str_of(
        &create(p, "aws_eip", &config("aws_eip", vec![("domain", s("vpc"))])).await,
        "id",
    );
    let ami = ubuntu(p).await;
    let instance = str_of(
        &create(
            p,
            "aws_instance",
            &config(
                "aws_instance",
                vec![
                    ("ami", s(&ami)),
                    ("instance_type", s("t3.micro")),
                    ("subnet_id", s(&subnet_a)),
                ],
            ),
        )
        .await,
        "id",
    );
    let volume = str_of(
        &create(
            p,
            "aws_ebs_volume",
            &config(
                "aws_ebs_volume",
                vec![("availability_zone", s("us-east-1a")), ("size", n(4))],
            ),
        )
        .await,
        "id",
    );
    let zone = str_of(&zone(p, "deps.test").await, "zone_id");
    let group = |name: &str| {
        config(
            "aws_security_group",
            vec![("name", s(name)), ("vpc_id", s(&vpc))],
        )
    };
    let sg = str_of(
        &create(p, "aws_security_group", &group("deps-rules")).await,
        "id",
    );
    let sg2 = str_of(
        &create(p, "aws_security_group", &group("deps-rules-2")).await,
        "id",
    );
    Deps {
        vpc,
        vpc2,
        subnet_a,
        subnet_b,
        igw,
        rt,
        rt2,
        eip,
        instance,
        volume,
        zone,
        sg,
        sg2,
    }
}

async fn case(p: &AwsProvider, ty: &'static str, d: &Deps) -> Case {
    let mut import_id = None;
    let (create, update, replace): Changes = match ty {
        "aws_vpc" => {
            let a = config(
                "aws_vpc",
                vec![("cidr_block", s("10.30.0.0/16")), ("tags", named("a"))],
            );
            let b = with(
                &a,
                vec![
                    ("enable_dns_hostnames", Value::Bool(true)),
                    // An Amazon-provided IPv6 block is associated in place.
                    ("assign_generated_ipv6_cidr_block", Value::Bool(true)),
                    ("enable_network_address_usage_metrics", Value::Bool(true)),
                    ("tags", named(UPDATED)),
                ],
            );
            let r = with(&b, vec![("cidr_block", s("10.31.0.0/16"))]);
            (a, Some((b, UPDATED.into())), Some((r, "cidr_block")))
        }
        "aws_subnet" => {
            let a = config(
                "aws_subnet",
                vec![
                    ("vpc_id", s(&d.vpc)),
                    ("cidr_block", s("10.20.10.0/24")),
                    ("availability_zone", s("us-east-1a")),
                    ("map_public_ip_on_launch", Value::Bool(true)),
                    (
                        "enable_resource_name_dns_a_record_on_launch",
                        Value::Bool(true),
                    ),
                    ("tags", named("a")),
                ],
            );
            let b = with(
                &a,
                vec![
                    ("map_public_ip_on_launch", Value::Bool(false)),
                    (
                        "enable_resource_name_dns_a_record_on_launch",
                        Value::Bool(false),
                    ),
                    ("tags", named(UPDATED)),
                ],
            );
            let r = with(&b, vec![("availability_zone", s("us-east-1c"))]);
            (a, Some((b, UPDATED.into())), Some((r, "availability_zone")))
        }
        "aws_internet_gateway" => {
            // Every argument is updated in place: there is no replacement.
            let a = config(
                "aws_internet_gateway",
                vec![("vpc_id", s(&d.vpc2)), ("tags", named("a"))],
            );
            let b = with(&a, vec![("tags", named(UPDATED))]);
            (a, Some((b, UPDATED.into())), None)
        }
        "aws_eip" => {
            let a = config("aws_eip", vec![("domain", s("vpc")), ("tags", named("a"))]);
            let b = with(&a, vec![("tags", named(UPDATED))]);
            let r = with(&b, vec![("domain", s("standard"))]);
            (a, Some((b, UPDATED.into())), Some((r, "domain")))
        }
        "aws_nat_gateway" => {
            let a = config(
                "aws_nat_gateway",
                vec![
                    ("subnet_id", s(&d.subnet_a)),
                    ("allocation_id", s(&d.eip)),
                    ("tags", named("a")),
                ],
            );
            let b = with(&a, vec![("tags", named(UPDATED))]);
            let r = with(&b, vec![("subnet_id", s(&d.subnet_b))]);
            (a, Some((b, UPDATED.into())), Some((r, "subnet_id")))
        }
        "aws_route_table" => {
            let route = |cidr: &str| obj(vec![("cidr_block", s(cidr)), ("gateway_id", s(&d.igw))]);
            let a = config(
                "aws_route_table",
                vec![
                    ("vpc_id", s(&d.vpc)),
                    ("route", Value::set(vec![route("0.0.0.0/0")])),
                    ("tags", named("a")),
                ],
            );
            let b = with(
                &a,
                vec![
                    (
                        "route",
                        Value::set(vec![route("0.0.0.0/0"), route("192.168.0.0/16")]),
                    ),
                    ("tags", named(UPDATED)),
                ],
            );
            let r = with(
                &config("aws_route_table", vec![("vpc_id", s(&d.vpc2))]),
                vec![],
            );
            (a, Some((b, "192.168.0.0/16".into())), Some((r, "vpc_id")))
        }
        "aws_route_table_association" => {
            let a = config(
                "aws_route_table_association",
                vec![("route_table_id", s(&d.rt)), ("subnet_id", s(&d.subnet_a))],
            );
            let b = with(&a, vec![("route_table_id", s(&d.rt2))]);
            let r = with(&b, vec![("subnet_id", s(&d.subnet_b))]);
            import_id = Some(format!("{}/{}", d.subnet_a, d.rt2));
            (a, Some((b, d.rt2.clone())), Some((r, "subnet_id")))
        }
        "aws_route" => {
            let eni = instance_interface(&d.instance).await;
            let a = config(
                "aws_route",
                vec![
                    ("route_table_id", s(&d.rt)),
                    ("destination_cidr_block", s("0.0.0.0/0")),
                    ("gateway_id", s(&d.igw)),
                ],
            );
            let b = config(
                "aws_route",
                vec![
                    ("route_table_id", s(&d.rt)),
                    ("destination_cidr_block", s("0.0.0.0/0")),
                    ("network_interface_id", s(&eni)),
                ],
            );
            let r = with(&b, vec![("destination_cidr_block", s("192.168.0.0/16"))]);
            import_id = Some(format!("{}_0.0.0.0/0", d.rt));
            (a, Some((b, eni)), Some((r, "destination_cidr_block")))
        }
        "aws_egress_only_internet_gateway" => {
            let a = config(
                "aws_egress_only_internet_gateway",
                vec![("vpc_id", s(&d.vpc)), ("tags", named("a"))],
            );
            let b = with(&a, vec![("tags", named(UPDATED))]);
            let r = with(&b, vec![("vpc_id", s(&d.vpc2))]);
            (a, Some((b, UPDATED.into())), Some((r, "vpc_id")))
        }
        "aws_vpc_dhcp_options" => {
            let a = config(
                "aws_vpc_dhcp_options",
                vec![
                    ("domain_name", s("a.internal")),
                    (
                        "domain_name_servers",
                        Value::List(vec![s("AmazonProvidedDNS")]),
                    ),
                    ("tags", named("a")),
                ],
            );
            let b = with(&a, vec![("tags", named(UPDATED))]);
            let r = with(&b, vec![("domain_name", s("b.internal"))]);
            (a, Some((b, UPDATED.into())), Some((r, "domain_name")))
        }
        "aws_vpc_dhcp_options_association" => {
            let options =
                |name: &str| config("aws_vpc_dhcp_options", vec![("domain_name", s(name))]);
            let one = str_of(
                &create(p, "aws_vpc_dhcp_options", &options("one.internal")).await,
                "id",
            );
            let two = str_of(
                &create(p, "aws_vpc_dhcp_options", &options("two.internal")).await,
                "id",
            );
            let a = config(
                "aws_vpc_dhcp_options_association",
                vec![("vpc_id", s(&d.vpc)), ("dhcp_options_id", s(&one))],
            );
            let b = with(&a, vec![("dhcp_options_id", s(&two))]);
            let r = with(&b, vec![("vpc_id", s(&d.vpc2))]);
            import_id = Some(d.vpc.clone());
            (a, Some((b, two)), Some((r, "vpc_id")))
        }
        "aws_network_acl_rule" => {
            let acl = str_of(
                &create(
                    p,
                    "aws_network_acl",
                    &config("aws_network_acl", vec![("vpc_id", s(&d.vpc))]),
                )
                .await,
                "id",
            );
            let rule = |no: i64| {
                config(
                    "aws_network_acl_rule",
                    vec![
                        ("network_acl_id", s(&acl)),
                        ("rule_number", n(no)),
                        ("protocol", s("tcp")),
                        ("rule_action", s("allow")),
                        ("cidr_block", s("10.0.0.0/8")),
                        ("from_port", n(443)),
                        ("to_port", n(443)),
                    ],
                )
            };
            import_id = Some(format!("{acl}:100:tcp:false"));
            (rule(100), None, Some((rule(110), "rule_number")))
        }
        "aws_network_acl" => {
            let a = config(
                "aws_network_acl",
                vec![
                    ("vpc_id", s(&d.vpc)),
                    ("subnet_ids", Value::set(vec![s(&d.subnet_a)])),
                    ("ingress", Value::set(vec![acl_rule(100, "tcp", 22)])),
                    ("egress", Value::set(vec![acl_rule(100, "-1", 0)])),
                    ("tags", named("a")),
                ],
            );
            let b = with(
                &a,
                vec![
                    (
                        "ingress",
                        Value::set(vec![acl_rule(100, "tcp", 22), acl_rule(110, "tcp", 443)]),
                    ),
                    ("tags", named(UPDATED)),
                ],
            );
            let r = config("aws_network_acl", vec![("vpc_id", s(&d.vpc2))]);
            (a, Some((b, UPDATED.into())), Some((r, "vpc_id")))
        }
        "aws_security_group" => {
            let a = config(
                "aws_security_group",
                vec![
                    ("name", s("matrix")),
                    ("description", s("matrix group")),
                    ("vpc_id", s(&d.vpc)),
                    ("ingress", Value::set(vec![sg_rule("tcp", 22, "SSH")])),
                    ("egress", Value::set(vec![sg_rule("-1", 0, "out")])),
                    ("tags", named("a")),
                ],
            );
            let b = with(
                &a,
                vec![
                    (
                        "ingress",
                        Value::set(vec![sg_rule("tcp", 22, "SSH"), sg_rule("tcp", 80, "HTTP")]),
                    ),
                    ("tags", named(UPDATED)),
                ],
            );
            let r = with(&b, vec![("description", s("another"))]);
            (a, Some((b, UPDATED.into())), Some((r, "description")))
        }
        "aws_security_group_rule" => {
            let a = config(
                "aws_security_group_rule",
                vec![
                    ("type", s("ingress")),
                    ("security_group_id", s(&d.sg)),
                    ("protocol", s("tcp")),
                    ("from_port", n(443)),
                    ("to_port", n(443)),
                    (
                        "cidr_blocks",
                        Value::List(vec![s("10.0.0.0/16"), s("10.1.0.0/16")]),
                    ),
                    ("description", s("https")),
                ],
            );
            let b = with(&a, vec![("description", s(UPDATED))]);
            let r = with(&b, vec![("from_port", n(8443)), ("to_port", n(8443))]);
            import_id = Some(format!(
                "{}_ingress_tcp_443_443_10.0.0.0/16_10.1.0.0/16",
                d.sg
            ));
            (a, Some((b, UPDATED.into())), Some((r, "from_port")))
        }
        "aws_vpc_security_group_ingress_rule" => {
            let a = config(
                ty,
                vec![
                    ("security_group_id", s(&d.sg)),
                    ("ip_protocol", s("tcp")),
                    ("from_port", n(22)),
                    ("to_port", n(22)),
                    ("cidr_ipv4", s("10.0.0.0/8")),
                    ("description", s("ssh")),
                    ("tags", named("a")),
                ],
            );
            // Ports, description and tags change in place (ModifySecurityGroupRules).
            let b = with(
                &a,
                vec![
                    ("from_port", n(2222)),
                    ("to_port", n(2222)),
                    ("description", s(UPDATED)),
                    ("tags", named(UPDATED)),
                ],
            );
            let r = with(&b, vec![("security_group_id", s(&d.sg2))]);
            (a, Some((b, UPDATED.into())), Some((r, "security_group_id")))
        }
        "aws_vpc_security_group_egress_rule" => {
            // Protocol `6` is read back as `tcp`: the same protocol, no change. (A rule with a
            // group as destination is in moto_sg_rules.rs: moto's DescribeSecurityGroupRules
            // drops the description of such rules.)
            let a = config(
                ty,
                vec![
                    ("security_group_id", s(&d.sg)),
                    ("ip_protocol", s("6")),
                    ("from_port", n(443)),
                    ("to_port", n(443)),
                    ("cidr_ipv4", s("10.50.0.0/16")),
                    ("tags", named("a")),
                ],
            );
            let b = with(
                &a,
                vec![("description", s(UPDATED)), ("tags", named(UPDATED))],
            );
            let r = with(&b, vec![("security_group_id", s(&d.sg2))]);
            (a, Some((b, UPDATED.into())), Some((r, "security_group_id")))
        }
        "aws_key_pair" => {
            let a = config(
                "aws_key_pair",
                vec![
                    ("key_name", s("matrix")),
                    ("public_key", s(PUBLIC_KEY)),
                    ("tags", named("a")),
                ],
            );
            let b = with(&a, vec![("tags", named(UPDATED))]);
            let r = with(&b, vec![("key_name", s("matrix2"))]);
            (a, Some((b, UPDATED.into())), Some((r, "key_name")))
        }
        "aws_instance" => {
            let ami = ubuntu(p).await;
            let a = config(
                "aws_instance",
                vec![
                    ("ami", s(&ami)),
                    ("instance_type", s("t3.micro")),
                    ("subnet_id", s(&d.subnet_a)),
                    ("tags", named("a")),
                ],
            );
            let b = with(
                &a,
                vec![("instance_type", s("t3.small")), ("tags", named(UPDATED))],
            );
            let r = with(&b, vec![("private_ip", s("10.20.1.50"))]);
            (a, Some((b, UPDATED.into())), Some((r, "private_ip")))
        }
        "aws_ebs_volume" => {
            let a = config(
                "aws_ebs_volume",
                vec![
                    ("availability_zone", s("us-east-1a")),
                    ("size", n(10)),
                    ("tags", named("a")),
                ],
            );
            let b = with(&a, vec![("size", n(12)), ("tags", named(UPDATED))]);
            let r = with(&b, vec![("availability_zone", s("us-east-1b"))]);
            (a, Some((b, UPDATED.into())), Some((r, "availability_zone")))
        }
        "aws_volume_attachment" => {
            // Every argument forces replacement: there is no in-place update.
            let a = config(
                "aws_volume_attachment",
                vec![
                    ("device_name", s("/dev/sdh")),
                    ("volume_id", s(&d.volume)),
                    ("instance_id", s(&d.instance)),
                ],
            );
            let r = with(&a, vec![("device_name", s("/dev/sdj"))]);
            (a, None, Some((r, "device_name")))
        }
        "aws_route53_zone" => {
            let a = config(
                "aws_route53_zone",
                vec![
                    ("name", s("matrix.test")),
                    ("comment", s("a")),
                    ("force_destroy", Value::Bool(true)),
                    ("tags", named("a")),
                ],
            );
            let b = with(&a, vec![("comment", s(UPDATED))]);
            let r = with(&b, vec![("name", s("other.test"))]);
            (a, Some((b, UPDATED.into())), Some((r, "name")))
        }
        "aws_route53_record" => {
            let rec = |name: &str, ttl: i64, ip: &str| {
                config(
                    "aws_route53_record",
                    vec![
                        ("zone_id", s(&d.zone)),
                        ("name", s(name)),
                        ("type", s("A")),
                        ("ttl", n(ttl)),
                        ("records", Value::set(vec![s(ip)])),
                    ],
                )
            };
            let a = rec("www.deps.test", 60, "10.0.0.1");
            let b = rec("www.deps.test", 300, "10.0.0.77");
            let r = rec("api.deps.test", 300, "10.0.0.77");
            (a, Some((b, "10.0.0.77".into())), Some((r, "name")))
        }
        other => panic!("no lifecycle case for {other}"),
    };
    Case {
        import_id,
        // AWS never returns a key pair's public key, so an imported key pair cannot be
        // compared with the configured key (Terraform has the same limitation).
        unknowable: if ty == "aws_key_pair" {
            &["public_key"]
        } else {
            &[]
        },
        // An EIP's other domain (EC2-Classic `standard`) no longer exists: its replacement is
        // only planned; the delete-then-create it would do runs for the out-of-band delete.
        replace_only_planned: ty == "aws_eip",
        replace_keeps_id: ty == "aws_key_pair" || ty == "aws_volume_attachment",
        ..Case::new(create, update, replace)
    }
}

/// The AWS API's own view of an object, straight from the SDK (not the provider).
struct Api {
    ec2: aws_sdk_ec2::Client,
    r53: aws_sdk_route53::Client,
}

macro_rules! described {
    ($call:expr, $list:ident) => {
        match $call.send().await {
            Ok(out) => out.$list().first().map(|x| format!("{x:?}")),
            Err(e) if gone_code(aws_sdk_ec2::error::ProvideErrorMetadata::code(&e)) => None,
            Err(e) => panic!("Describe failed: {e:?}"),
        }
    };
}

fn debug<E: std::fmt::Debug>(e: E) -> String {
    format!("{e:?}")
}

fn tag(key: &str, value: &str) -> Tag {
    Tag::builder().key(key).value(value).build()
}

fn filter(name: &str, value: &str) -> Filter {
    Filter::builder().name(name).values(value).build()
}

impl Api {
    async fn new() -> Api {
        Api {
            ec2: ec2().await,
            r53: r53().await,
        }
    }

    /// AWS frees a NAT gateway's address when the gateway is deleted; moto keeps it
    /// associated, so a new gateway could not take it.
    async fn free_nat_address(&self, state: &Value) {
        let ec2 = &self.ec2;
        let eips = ec2
            .describe_addresses()
            .allocation_ids(str_of(state, "allocation_id"))
            .send()
            .await
            .expect("DescribeAddresses");
        for a in eips.addresses() {
            if let Some(assoc) = a.association_id() {
                ec2.disassociate_address()
                    .association_id(assoc)
                    .send()
                    .await
                    .expect("DisassociateAddress");
            }
        }
    }
}

#[async_trait::async_trait]
impl Oracle for Api {
    async fn replaced(&self, ty: &str, old: &Value) {
        if ty == "aws_nat_gateway" {
            self.free_nat_address(old).await;
        }
    }

    /// The object as Describe shows it (its Debug text), `None` when it does not exist.
    async fn describe(&self, ty: &str, state: &Value) -> Option<String> {
        let id = str_of(state, "id");
        let ec2 = &self.ec2;
        match ty {
            "aws_vpc" => described!(ec2.describe_vpcs().vpc_ids(&id), vpcs),
            "aws_subnet" => described!(ec2.describe_subnets().subnet_ids(&id), subnets),
            "aws_internet_gateway" => described!(
                ec2.describe_internet_gateways().internet_gateway_ids(&id),
                internet_gateways
            ),
            "aws_eip" => described!(ec2.describe_addresses().allocation_ids(&id), addresses),
            "aws_nat_gateway" => {
                let out = ec2
                    .describe_nat_gateways()
                    .nat_gateway_ids(&id)
                    .send()
                    .await
                    .expect("DescribeNatGateways");
                out.nat_gateways()
                    .iter()
                    .find(|n| {
                        !matches!(
                            n.state(),
                            Some(aws_sdk_ec2::types::NatGatewayState::Deleted)
                        )
                    })
                    .map(|n| format!("{n:?}"))
            }
            "aws_route_table" => {
                described!(
                    ec2.describe_route_tables().route_table_ids(&id),
                    route_tables
                )
            }
            "aws_route" => {
                let out = ec2
                    .describe_route_tables()
                    .route_table_ids(str_of(state, "route_table_id"))
                    .send()
                    .await
                    .ok()?;
                let dest = str_of(state, "destination_cidr_block");
                out.route_tables()
                    .iter()
                    .flat_map(|t| t.routes())
                    .find(|r| r.destination_cidr_block() == Some(dest.as_str()))
                    .map(|r| format!("{r:?}"))
            }
            "aws_egress_only_internet_gateway" => {
                let out = ec2
                    .describe_egress_only_internet_gateways()
                    .egress_only_internet_gateway_ids(&id)
                    .send()
                    .await
                    .ok()?;
                out.egress_only_internet_gateways()
                    .iter()
                    .find(|g| {
                        !g.attachments().iter().any(|a| {
                            a.state() == Some(&aws_sdk_ec2::types::AttachmentStatus::Detached)
                        })
                    })
                    .map(|g| format!("{g:?}"))
            }
            "aws_vpc_dhcp_options" => {
                described!(
                    ec2.describe_dhcp_options().dhcp_options_ids(&id),
                    dhcp_options
                )
            }
            "aws_vpc_dhcp_options_association" => {
                let out = ec2
                    .describe_vpcs()
                    .vpc_ids(str_of(state, "vpc_id"))
                    .send()
                    .await
                    .ok()?;
                out.vpcs()
                    .iter()
                    .find(|v| v.dhcp_options_id().is_some_and(|o| o != "default"))
                    .map(|v| format!("{v:?}"))
            }
            "aws_network_acl_rule" => {
                let out = ec2
                    .describe_network_acls()
                    .network_acl_ids(str_of(state, "network_acl_id"))
                    .send()
                    .await
                    .ok()?;
                let no = get(state, "rule_number").as_number()?.as_i64()? as i32;
                out.network_acls()
                    .iter()
                    .flat_map(|a| a.entries())
                    .find(|e| e.rule_number() == Some(no) && e.egress() == Some(false))
                    .map(|e| format!("{e:?}"))
            }
            "aws_route_table_association" => {
                let out = ec2
                    .describe_route_tables()
                    .filters(filter("association.route-table-association-id", &id))
                    .send()
                    .await
                    .expect("DescribeRouteTables");
                out.route_tables()
                    .iter()
                    .flat_map(|t| t.associations())
                    .find(|a| a.route_table_association_id() == Some(id.as_str()))
                    .map(|a| format!("{a:?}"))
            }
            "aws_network_acl" => {
                described!(
                    ec2.describe_network_acls().network_acl_ids(&id),
                    network_acls
                )
            }
            "aws_security_group" => {
                described!(
                    ec2.describe_security_groups().group_ids(&id),
                    security_groups
                )
            }
            "aws_security_group_rule" => ec2_rules::describe_rule(ec2, state).await,
            "aws_vpc_security_group_ingress_rule" | "aws_vpc_security_group_egress_rule" => {
                described!(
                    ec2.describe_security_group_rules()
                        .security_group_rule_ids(&id),
                    security_group_rules
                )
            }
            "aws_key_pair" => described!(ec2.describe_key_pairs().key_names(&id), key_pairs),
            "aws_instance" => {
                let out = match ec2.describe_instances().instance_ids(&id).send().await {
                    Ok(out) => out,
                    Err(e) if gone_code(aws_sdk_ec2::error::ProvideErrorMetadata::code(&e)) => {
                        return None
                    }
                    Err(e) => panic!("DescribeInstances: {e:?}"),
                };
                out.reservations()
                    .iter()
                    .flat_map(|r| r.instances())
                    .find(|i| {
                        i.state().and_then(|s| s.name())
                            != Some(&aws_sdk_ec2::types::InstanceStateName::Terminated)
                    })
                    .map(|i| format!("{i:?}"))
            }
            "aws_ebs_volume" => described!(ec2.describe_volumes().volume_ids(&id), volumes),
            "aws_volume_attachment" => {
                let volume = str_of(state, "volume_id");
                let instance = str_of(state, "instance_id");
                let out = ec2
                    .describe_volumes()
                    .volume_ids(&volume)
                    .send()
                    .await
                    .ok()?;
                out.volumes()
                    .iter()
                    .flat_map(|v| v.attachments())
                    .find(|a| {
                        a.instance_id() == Some(instance.as_str())
                            && a.device() == get(state, "device_name").as_str()
                    })
                    .map(|a| format!("{a:?}"))
            }
            "aws_route53_zone" => match self.r53.get_hosted_zone().id(&id).send().await {
                Ok(out) => Some(format!("{out:?}")),
                Err(e) if gone_code(aws_sdk_route53::error::ProvideErrorMetadata::code(&e)) => None,
                Err(e) => panic!("GetHostedZone: {e:?}"),
            },
            "aws_route53_record" => {
                let zone = str_of(state, "zone_id");
                let name = format!("{}.", str_of(state, "fqdn"));
                let out = self
                    .r53
                    .list_resource_record_sets()
                    .hosted_zone_id(&zone)
                    .send()
                    .await
                    .ok()?;
                out.resource_record_sets()
                    .iter()
                    .find(|r| r.name() == name && r.r#type().as_str() == str_of(state, "type"))
                    .map(|r| format!("{r:?}"))
            }
            other => panic!("no Describe for {other}"),
        }
    }

    /// Changes an argument behind skel's back; false where the type has nothing to change.
    async fn drift(&self, ty: &str, state: &Value) -> bool {
        let id = str_of(state, "id");
        let ec2 = &self.ec2;
        match ty {
            // Every argument of a network ACL rule forces a new one: no drift to repair in place.
            "aws_route_table_association"
            | "aws_volume_attachment"
            | "aws_network_acl_rule"
            | "aws_vpc_dhcp_options_association" => false,
            "aws_route" => {
                // The route pointed back at the internet gateway behind skel's back.
                let igw = ec2
                    .describe_internet_gateways()
                    .send()
                    .await
                    .expect("DescribeInternetGateways")
                    .internet_gateways()[0]
                    .internet_gateway_id()
                    .unwrap()
                    .to_string();
                ec2.replace_route()
                    .route_table_id(str_of(state, "route_table_id"))
                    .destination_cidr_block(str_of(state, "destination_cidr_block"))
                    .gateway_id(igw)
                    .send()
                    .await
                    .expect("ReplaceRoute");
                true
            }
            "aws_security_group_rule" => {
                ec2_rules::drift_rule(ec2, state, DRIFTED).await;
                true
            }
            "aws_subnet" => {
                // A flag turned on behind skel's back, besides the tag: the refresh must see
                // it and the repair turn it off again.
                ec2.modify_subnet_attribute()
                    .subnet_id(&id)
                    .map_public_ip_on_launch(
                        aws_sdk_ec2::types::AttributeBooleanValue::builder()
                            .value(true)
                            .build(),
                    )
                    .send()
                    .await
                    .expect("ModifySubnetAttribute");
                ec2.create_tags()
                    .resources(&id)
                    .tags(tag("Name", DRIFTED))
                    .send()
                    .await
                    .expect("CreateTags");
                true
            }
            "aws_route53_zone" => {
                self.r53
                    .update_hosted_zone_comment()
                    .id(&id)
                    .comment(DRIFTED)
                    .send()
                    .await
                    .expect("UpdateHostedZoneComment");
                true
            }
            "aws_route53_record" => {
                let set = aws_sdk_route53::types::ResourceRecordSet::builder()
                    .name(str_of(state, "fqdn"))
                    .r#type(aws_sdk_route53::types::RrType::A)
                    .ttl(4242)
                    .resource_records(
                        aws_sdk_route53::types::ResourceRecord::builder()
                            .value("10.0.0.77")
                            .build()
                            .unwrap(),
                    )
                    .build()
                    .unwrap();
                self.r53
                    .change_resource_record_sets()
                    .hosted_zone_id(str_of(state, "zone_id"))
                    .change_batch(
                        aws_sdk_route53::types::ChangeBatch::builder()
                            .changes(
                                aws_sdk_route53::types::Change::builder()
                                    .action(aws_sdk_route53::types::ChangeAction::Upsert)
                                    .resource_record_set(set)
                                    .build()
                                    .unwrap(),
                            )
                            .build()
                            .unwrap(),
                    )
                    .send()
                    .await
                    .expect("ChangeResourceRecordSets");
                true
            }
            _ => {
                // Key pairs are tagged through their key-… id.
                let target = match ty {
                    "aws_key_pair" => str_of(state, "key_pair_id"),
                    _ => id,
                };
                ec2.create_tags()
                    .resources(target)
                    .tags(tag("Name", DRIFTED))
                    .send()
                    .await
                    .expect("CreateTags");
                true
            }
        }
    }

    /// Deletes the object behind skel's back, as an operator would.
    async fn delete(&self, ty: &str, state: &Value) {
        let id = str_of(state, "id");
        let ec2 = &self.ec2;
        let done = match ty {
            "aws_vpc" => ec2
                .delete_vpc()
                .vpc_id(&id)
                .send()
                .await
                .map(drop)
                .map_err(debug),
            "aws_subnet" => ec2
                .delete_subnet()
                .subnet_id(&id)
                .send()
                .await
                .map(drop)
                .map_err(debug),
            "aws_internet_gateway" => {
                ec2.detach_internet_gateway()
                    .internet_gateway_id(&id)
                    .vpc_id(str_of(state, "vpc_id"))
                    .send()
                    .await
                    .expect("DetachInternetGateway");
                ec2.delete_internet_gateway()
                    .internet_gateway_id(&id)
                    .send()
                    .await
                    .map(drop)
                    .map_err(debug)
            }
            "aws_eip" => ec2
                .release_address()
                .allocation_id(&id)
                .send()
                .await
                .map(drop)
                .map_err(debug),
            "aws_nat_gateway" => {
                ec2.delete_nat_gateway()
                    .nat_gateway_id(&id)
                    .send()
                    .await
                    .expect("DeleteNatGateway");
                self.free_nat_address(state).await;
                Ok(())
            }
            "aws_route_table" => ec2
                .delete_route_table()
                .route_table_id(&id)
                .send()
                .await
                .map(drop)
                .map_err(debug),
            "aws_route" => ec2
                .delete_route()
                .route_table_id(str_of(state, "route_table_id"))
                .destination_cidr_block(str_of(state, "destination_cidr_block"))
                .send()
                .await
                .map(drop)
                .map_err(debug),
            "aws_egress_only_internet_gateway" => ec2
                .delete_egress_only_internet_gateway()
                .egress_only_internet_gateway_id(&id)
                .send()
                .await
                .map(drop)
                .map_err(debug),
            "aws_vpc_dhcp_options" => ec2
                .delete_dhcp_options()
                .dhcp_options_id(&id)
                .send()
                .await
                .map(drop)
                .map_err(debug),
            "aws_vpc_dhcp_options_association" => ec2
                .associate_dhcp_options()
                .dhcp_options_id("default")
                .vpc_id(str_of(state, "vpc_id"))
                .send()
                .await
                .map(drop)
                .map_err(debug),
            "aws_network_acl_rule" => ec2
                .delete_network_acl_entry()
                .network_acl_id(str_of(state, "network_acl_id"))
                .egress(false)
                .rule_number(
                    get(state, "rule_number")
                        .as_number()
                        .unwrap()
                        .as_i64()
                        .unwrap() as i32,
                )
                .send()
                .await
                .map(drop)
                .map_err(debug),
            "aws_route_table_association" => ec2
                .disassociate_route_table()
                .association_id(&id)
                .send()
                .await
                .map(drop)
                .map_err(debug),
            "aws_network_acl" => {
                // AWS refuses to delete an ACL with subnets: move them to the default first.
                let default = ec2
                    .describe_network_acls()
                    .filters(filter("vpc-id", &str_of(state, "vpc_id")))
                    .filters(filter("default", "true"))
                    .send()
                    .await
                    .expect("DescribeNetworkAcls");
                let default = default.network_acls()[0]
                    .network_acl_id()
                    .unwrap()
                    .to_string();
                let mine = ec2
                    .describe_network_acls()
                    .network_acl_ids(&id)
                    .send()
                    .await
                    .expect("DescribeNetworkAcls");
                for a in mine.network_acls()[0].associations() {
                    ec2.replace_network_acl_association()
                        .association_id(a.network_acl_association_id().unwrap())
                        .network_acl_id(&default)
                        .send()
                        .await
                        .expect("ReplaceNetworkAclAssociation");
                }
                ec2.delete_network_acl()
                    .network_acl_id(&id)
                    .send()
                    .await
                    .map(drop)
                    .map_err(debug)
            }
            "aws_security_group" => ec2
                .delete_security_group()
                .group_id(&id)
                .send()
                .await
                .map(drop)
                .map_err(debug),
            "aws_security_group_rule" => {
                ec2_rules::delete_rule(ec2, state).await;
                Ok(())
            }
            "aws_vpc_security_group_ingress_rule" => ec2
                .revoke_security_group_ingress()
                .group_id(str_of(state, "security_group_id"))
                .security_group_rule_ids(&id)
                .send()
                .await
                .map(drop)
                .map_err(debug),
            "aws_vpc_security_group_egress_rule" => ec2
                .revoke_security_group_egress()
                .group_id(str_of(state, "security_group_id"))
                .security_group_rule_ids(&id)
                .send()
                .await
                .map(drop)
                .map_err(debug),
            "aws_key_pair" => ec2
                .delete_key_pair()
                .key_name(&id)
                .send()
                .await
                .map(drop)
                .map_err(debug),
            "aws_instance" => ec2
                .terminate_instances()
                .instance_ids(&id)
                .send()
                .await
                .map(drop)
                .map_err(debug),
            "aws_ebs_volume" => ec2
                .delete_volume()
                .volume_id(&id)
                .send()
                .await
                .map(drop)
                .map_err(debug),
            "aws_volume_attachment" => ec2
                .detach_volume()
                .volume_id(str_of(state, "volume_id"))
                .instance_id(str_of(state, "instance_id"))
                .device(str_of(state, "device_name"))
                .send()
                .await
                .map(drop)
                .map_err(debug),
            "aws_route53_zone" => {
                self.r53
                    .delete_hosted_zone()
                    .id(&id)
                    .send()
                    .await
                    .expect("DeleteHostedZone");
                Ok(())
            }
            "aws_route53_record" => {
                let zone = str_of(state, "zone_id");
                let name = format!("{}.", str_of(state, "fqdn"));
                let sets = self
                    .r53
                    .list_resource_record_sets()
                    .hosted_zone_id(&zone)
                    .send()
                    .await
                    .expect("ListResourceRecordSets");
                let set = sets
                    .resource_record_sets()
                    .iter()
                    .find(|r| r.name() == name && r.r#type().as_str() == "A")
                    .expect("record exists")
                    .clone();
                self.r53
                    .change_resource_record_sets()
                    .hosted_zone_id(&zone)
                    .change_batch(
                        aws_sdk_route53::types::ChangeBatch::builder()
                            .changes(
                                aws_sdk_route53::types::Change::builder()
                                    .action(aws_sdk_route53::types::ChangeAction::Delete)
                                    .resource_record_set(set)
                                    .build()
                                    .unwrap(),
                            )
                            .build()
                            .unwrap(),
                    )
                    .send()
                    .await
                    .expect("ChangeResourceRecordSets DELETE");
                Ok(())
            }
            other => panic!("no out-of-band delete for {other}"),
        };
        done.unwrap_or_else(|e| panic!("deleting {ty} {id} out of band: {e:?}"));
    }
}

async fn lifecycle_ec2(ty: &'static str) {
    let _m = moto();
    let p = provider();
    let api = Api::new().await;
    let d = deps(&p).await;
    let c = case(&p, ty, &d).await;
    lifecycle(&p, &api, ty, c).await;
}

/// Every resource type in the schema has a lifecycle test in one of the matrix binaries.
#[test]
fn every_resource_type_has_a_case() {
    let covered = support::lifecycle::covered_types();
    assert!(covered.iter().any(|t| t == "aws_vpc"), "{covered:?}");
    let schema = skel_schema::provider("aws").expect("aws schema");
    for ty in schema.resources.keys() {
        assert!(covered.contains(ty), "{ty} has no lifecycle test");
    }
    for ty in &covered {
        assert!(
            schema.resources.contains_key(ty),
            "{ty} is not in the schema"
        );
    }
}

lifecycle_tests! {
    lifecycle_ec2;
    vpc => "aws_vpc",
    subnet => "aws_subnet",
    internet_gateway => "aws_internet_gateway",
    eip => "aws_eip",
    nat_gateway => "aws_nat_gateway",
    route_table => "aws_route_table",
    route_table_association => "aws_route_table_association",
    route => "aws_route",
    network_acl_rule => "aws_network_acl_rule",
    egress_only_internet_gateway => "aws_egress_only_internet_gateway",
    vpc_dhcp_options => "aws_vpc_dhcp_options",
    vpc_dhcp_options_association => "aws_vpc_dhcp_options_association",
    network_acl => "aws_network_acl",
    security_group => "aws_security_group",
    security_group_rule => "aws_security_group_rule",
    vpc_security_group_ingress_rule => "aws_vpc_security_group_ingress_rule",
    vpc_security_group_egress_rule => "aws_vpc_security_group_egress_rule",
    key_pair => "aws_key_pair",
    instance => "aws_instance",
    ebs_volume => "aws_ebs_volume",
    volume_attachment => "aws_volume_attachment",
    route53_zone => "aws_route53_zone",
    route53_record => "aws_route53_record",
}
