//! The lookup data sources against moto: objects made with the AWS SDK (not skel), then found
//! by `aws_vpc`, `aws_subnet`, `aws_subnets`, `aws_security_group`, `aws_instance`,
//! `aws_instances`, `aws_ami_ids` and `aws_route53_zone` through every way of asking for them
//! (id, arguments, tags, filter blocks), with the errors for no match and several matches.

mod support;

use aws_sdk_ec2::types::{ResourceType, Tag, TagSpecification};
use support::*;

/// A data source's configuration as the engine gives it: every argument (default or null)
/// and every block (empty), with `values` set.
fn data_config(ty: &str, values: Vec<(&str, Value)>) -> Value {
    let schema = skel_schema::data_source(ty).expect("schema");
    let mut m = ValueMap::new();
    for (name, attr) in &schema.block.attributes {
        if attr.is_argument() {
            let d = attr
                .default
                .as_ref()
                .map(Value::from_json)
                .unwrap_or(Value::Null);
            m.insert(
                name.clone(),
                skel_value::convert(&d, &attr.ty).unwrap_or(Value::Null),
            );
        }
    }
    for name in schema.block.blocks.keys() {
        m.insert(name.clone(), Value::Set(Vec::new()));
    }
    for (k, v) in values {
        m.insert(k.to_string(), v);
    }
    Value::Object(m)
}

fn filter(name: &str, values: &[&str]) -> Value {
    Value::set(vec![obj(vec![
        ("name", s(name)),
        ("values", Value::List(values.iter().map(|v| s(v)).collect())),
    ])])
}

fn list_of(v: &Value, k: &str) -> Vec<String> {
    get(v, k)
        .as_sequence()
        .map(|l| {
            l.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

async fn read(p: &AwsProvider, ty: &str, values: Vec<(&str, Value)>) -> Result<Value, String> {
    p.read_data(ty, &data_config(ty, values))
        .await
        .map_err(|e| e.to_string())
}

fn ec2_tags(rt: ResourceType, pairs: &[(&str, &str)]) -> TagSpecification {
    TagSpecification::builder()
        .resource_type(rt)
        .set_tags(Some(
            pairs
                .iter()
                .map(|(k, v)| Tag::builder().key(*k).value(*v).build())
                .collect(),
        ))
        .build()
}

async fn sdk_vpc(ec2: &aws_sdk_ec2::Client, cidr: &str, name: &str, env: &str) -> String {
    ec2.create_vpc()
        .cidr_block(cidr)
        .tag_specifications(ec2_tags(ResourceType::Vpc, &[("Name", name), ("Env", env)]))
        .send()
        .await
        .expect("CreateVpc")
        .vpc()
        .and_then(|v| v.vpc_id())
        .expect("vpc id")
        .to_string()
}

async fn sdk_subnet(
    ec2: &aws_sdk_ec2::Client,
    vpc: &str,
    cidr: &str,
    az: &str,
    tier: &str,
) -> String {
    ec2.create_subnet()
        .vpc_id(vpc)
        .cidr_block(cidr)
        .availability_zone(az)
        .tag_specifications(ec2_tags(ResourceType::Subnet, &[("Tier", tier)]))
        .send()
        .await
        .expect("CreateSubnet")
        .subnet()
        .and_then(|s| s.subnet_id())
        .expect("subnet id")
        .to_string()
}

#[tokio::test]
async fn vpc_by_id_tags_cidr_default_and_filter_and_its_errors() {
    let _m = moto();
    let p = provider();
    let ec2 = ec2().await;
    let a = sdk_vpc(&ec2, "10.40.0.0/16", "lookup-a", "prod").await;
    let b = sdk_vpc(&ec2, "10.41.0.0/16", "lookup-b", "prod").await;

    let by_id = read(&p, "aws_vpc", vec![("id", s(&a))])
        .await
        .expect("by id");
    assert_eq!(str_of(&by_id, "id"), a);
    assert_eq!(str_of(&by_id, "cidr_block"), "10.40.0.0/16");
    assert_eq!(
        str_of(&by_id, "arn"),
        format!("arn:aws:ec2:us-east-1:123456789012:vpc/{a}")
    );
    assert!(
        str_of(&by_id, "main_route_table_id").starts_with("rtb-"),
        "{by_id:?}"
    );
    assert_eq!(get(&by_id, "default"), &Value::Bool(false));
    assert_eq!(str_of(&by_id, "state"), "available");
    assert_eq!(get(&by_id, "enable_dns_support"), &Value::Bool(true));
    assert_eq!(str_of(&get(&by_id, "tags").clone(), "Name"), "lookup-a");
    let assoc = get(&by_id, "cidr_block_associations");
    assert_eq!(
        assoc.as_sequence().map(|l| str_of(&l[0], "cidr_block")),
        Some("10.40.0.0/16".into()),
        "{assoc:?}"
    );

    let by_tag = read(&p, "aws_vpc", vec![("tags", tags(&[("Name", "lookup-b")]))])
        .await
        .expect("by tag");
    assert_eq!(str_of(&by_tag, "id"), b);
    let by_cidr = read(&p, "aws_vpc", vec![("cidr_block", s("10.41.0.0/16"))])
        .await
        .expect("by cidr");
    assert_eq!(str_of(&by_cidr, "id"), b);
    let by_filter = read(
        &p,
        "aws_vpc",
        vec![("filter", filter("tag:Name", &["lookup-a"]))],
    )
    .await
    .expect("by filter");
    assert_eq!(str_of(&by_filter, "id"), a);
    let default = read(&p, "aws_vpc", vec![("default", Value::Bool(true))])
        .await
        .expect("the default VPC");
    assert_eq!(str_of(&default, "cidr_block"), "172.31.0.0/16");
    assert_eq!(get(&default, "default"), &Value::Bool(true));

    let none = read(&p, "aws_vpc", vec![("tags", tags(&[("Name", "nothing")]))])
        .await
        .expect_err("no match");
    assert!(none.contains("data.aws_vpc: no VPC matches"), "{none}");
    let gone = read(&p, "aws_vpc", vec![("id", s("vpc-00000000000000000"))])
        .await
        .expect_err("unknown id");
    assert!(gone.contains("no VPC matches"), "{gone}");
    let several = read(&p, "aws_vpc", vec![("tags", tags(&[("Env", "prod")]))])
        .await
        .expect_err("two match");
    assert!(several.contains("2 VPCs match"), "{several}");
    assert!(several.contains(&a) && several.contains(&b), "{several}");
    assert!(several.contains("exactly one matches"), "{several}");
}

#[tokio::test]
async fn subnet_and_subnets_by_vpc_zone_tags_and_filters() {
    let _m = moto();
    let p = provider();
    let ec2 = ec2().await;
    let vpc = sdk_vpc(&ec2, "10.50.0.0/16", "subnets", "test").await;
    let a = sdk_subnet(&ec2, &vpc, "10.50.1.0/24", "us-east-1a", "private").await;
    let b = sdk_subnet(&ec2, &vpc, "10.50.2.0/24", "us-east-1b", "private").await;
    let c = sdk_subnet(&ec2, &vpc, "10.50.3.0/24", "us-east-1a", "public").await;

    let one = read(
        &p,
        "aws_subnet",
        vec![("vpc_id", s(&vpc)), ("availability_zone", s("us-east-1b"))],
    )
    .await
    .expect("by vpc and zone");
    assert_eq!(str_of(&one, "id"), b);
    assert_eq!(str_of(&one, "cidr_block"), "10.50.2.0/24");
    assert_eq!(str_of(&one, "vpc_id"), vpc);
    assert_eq!(get(&one, "default_for_az"), &Value::Bool(false));
    assert!(
        str_of(&one, "arn").ends_with(&format!(":subnet/{b}")),
        "{one:?}"
    );
    assert!(get(&one, "available_ip_address_count").is_known());
    let by_id = read(&p, "aws_subnet", vec![("id", s(&c))])
        .await
        .expect("by id");
    assert_eq!(str_of(&by_id, "cidr_block"), "10.50.3.0/24");
    let by_cidr = read(&p, "aws_subnet", vec![("cidr_block", s("10.50.1.0/24"))])
        .await
        .expect("by cidr");
    assert_eq!(str_of(&by_cidr, "id"), a);
    let default = read(
        &p,
        "aws_subnet",
        vec![
            ("default_for_az", Value::Bool(true)),
            ("availability_zone", s("us-east-1a")),
        ],
    )
    .await
    .expect("the default subnet of us-east-1a");
    assert_eq!(get(&default, "default_for_az"), &Value::Bool(true));
    assert_ne!(str_of(&default, "vpc_id"), vpc);

    let several = read(
        &p,
        "aws_subnet",
        vec![("vpc_id", s(&vpc)), ("tags", tags(&[("Tier", "private")]))],
    )
    .await
    .expect_err("two private subnets");
    assert!(several.contains("2 subnets match"), "{several}");
    let none = read(
        &p,
        "aws_subnet",
        vec![("vpc_id", s(&vpc)), ("availability_zone", s("us-east-1f"))],
    )
    .await
    .expect_err("none in us-east-1f");
    assert!(none.contains("no subnet matches"), "{none}");

    let private = read(
        &p,
        "aws_subnets",
        vec![
            ("filter", filter("vpc-id", &[&vpc])),
            ("tags", tags(&[("Tier", "private")])),
        ],
    )
    .await
    .expect("private subnets");
    let mut want = vec![a.clone(), b.clone()];
    want.sort();
    assert_eq!(list_of(&private, "ids"), want);
    assert_eq!(str_of(&private, "id"), "us-east-1");
    let all = read(
        &p,
        "aws_subnets",
        vec![("filter", filter("vpc-id", &[&vpc]))],
    )
    .await
    .expect("all subnets");
    assert_eq!(list_of(&all, "ids").len(), 3);
    let empty = read(
        &p,
        "aws_subnets",
        vec![("tags", tags(&[("Tier", "nothing")]))],
    )
    .await
    .expect("no match is an empty list");
    assert_eq!(get(&empty, "ids"), &Value::List(vec![]));
}

#[tokio::test]
async fn security_group_by_name_vpc_id_and_tags() {
    let _m = moto();
    let p = provider();
    let ec2 = ec2().await;
    let vpc = sdk_vpc(&ec2, "10.60.0.0/16", "sg", "test").await;
    let vpc2 = sdk_vpc(&ec2, "10.61.0.0/16", "sg2", "test").await;
    let mut ids = Vec::new();
    for v in [&vpc, &vpc2] {
        let id = ec2
            .create_security_group()
            .group_name("web")
            .description("the web tier")
            .vpc_id(v)
            .tag_specifications(ec2_tags(ResourceType::SecurityGroup, &[("Role", "web")]))
            .send()
            .await
            .expect("CreateSecurityGroup")
            .group_id()
            .expect("group id")
            .to_string();
        ids.push(id);
    }
    let g = read(
        &p,
        "aws_security_group",
        vec![("name", s("web")), ("vpc_id", s(&vpc))],
    )
    .await
    .expect("by name and vpc");
    assert_eq!(str_of(&g, "id"), ids[0]);
    assert_eq!(str_of(&g, "description"), "the web tier");
    assert!(
        str_of(&g, "arn").ends_with(&format!("security-group/{}", ids[0])),
        "{g:?}"
    );
    assert_eq!(str_of(&get(&g, "tags").clone(), "Role"), "web");
    let by_id = read(&p, "aws_security_group", vec![("id", s(&ids[1]))])
        .await
        .expect("by id");
    assert_eq!(str_of(&by_id, "vpc_id"), vpc2);
    let several = read(
        &p,
        "aws_security_group",
        vec![("tags", tags(&[("Role", "web")]))],
    )
    .await
    .expect_err("two groups are tagged web");
    assert!(several.contains("2 security groups match"), "{several}");
    let none = read(&p, "aws_security_group", vec![("name", s("db"))])
        .await
        .expect_err("no group db");
    assert!(none.contains("no security group matches"), "{none}");
}

#[tokio::test]
async fn instance_and_instances_by_id_tags_and_state() {
    let _m = moto();
    let p = provider();
    let ec2 = ec2().await;
    let ami = ubuntu(&p).await;
    let vpc = sdk_vpc(&ec2, "10.70.0.0/16", "instances", "test").await;
    let subnet = sdk_subnet(&ec2, &vpc, "10.70.1.0/24", "us-east-1a", "app").await;
    let mut ids = Vec::new();
    for (name, public) in [("app-1", true), ("app-2", false), ("app-3", false)] {
        let out = ec2
            .run_instances()
            .image_id(&ami)
            .instance_type(aws_sdk_ec2::types::InstanceType::T3Micro)
            .min_count(1)
            .max_count(1)
            .network_interfaces(
                aws_sdk_ec2::types::InstanceNetworkInterfaceSpecification::builder()
                    .device_index(0)
                    .subnet_id(&subnet)
                    .associate_public_ip_address(public)
                    .build(),
            )
            .tag_specifications(ec2_tags(
                ResourceType::Instance,
                &[("Name", name), ("Role", "app")],
            ))
            .send()
            .await
            .expect("RunInstances");
        ids.push(out.instances()[0].instance_id().expect("id").to_string());
    }
    ec2.terminate_instances()
        .instance_ids(&ids[2])
        .send()
        .await
        .expect("TerminateInstances");

    let one = read(&p, "aws_instance", vec![("instance_id", s(&ids[0]))])
        .await
        .expect("by id");
    assert_eq!(str_of(&one, "id"), ids[0]);
    assert_eq!(str_of(&one, "ami"), ami);
    assert_eq!(str_of(&one, "instance_type"), "t3.micro");
    assert_eq!(str_of(&one, "subnet_id"), subnet);
    assert_eq!(str_of(&one, "instance_state"), "running");
    assert!(!str_of(&one, "private_ip").is_empty(), "{one:?}");
    assert!(!str_of(&one, "public_ip").is_empty(), "{one:?}");
    assert!(
        str_of(&one, "network_interface_id").starts_with("eni-"),
        "{one:?}"
    );
    assert_eq!(str_of(&get(&one, "tags").clone(), "Name"), "app-1");
    let by_tag = read(
        &p,
        "aws_instance",
        vec![("instance_tags", tags(&[("Name", "app-2")]))],
    )
    .await
    .expect("by tag");
    assert_eq!(str_of(&by_tag, "id"), ids[1]);
    let terminated = read(
        &p,
        "aws_instance",
        vec![("instance_tags", tags(&[("Name", "app-3")]))],
    )
    .await
    .expect_err("a terminated instance never matches");
    assert!(
        terminated.contains("no EC2 instance matches"),
        "{terminated}"
    );
    let several = read(
        &p,
        "aws_instance",
        vec![("filter", filter("tag:Role", &["app"]))],
    )
    .await
    .expect_err("two running app instances");
    assert!(several.contains("2 EC2 instances match"), "{several}");

    let running = read(
        &p,
        "aws_instances",
        vec![("instance_tags", tags(&[("Role", "app")]))],
    )
    .await
    .expect("running app instances");
    let mut got = list_of(&running, "ids");
    got.sort();
    let mut want = ids[..2].to_vec();
    want.sort();
    assert_eq!(got, want);
    assert_eq!(list_of(&running, "private_ips").len(), 2);
    assert_eq!(
        list_of(&running, "public_ips"),
        vec![str_of(&one, "public_ip")],
        "only app-1 has a public address"
    );
    let all = read(
        &p,
        "aws_instances",
        vec![
            ("instance_tags", tags(&[("Role", "app")])),
            (
                "instance_state_names",
                Value::set(vec![s("running"), s("terminated")]),
            ),
        ],
    )
    .await
    .expect("running and terminated");
    assert_eq!(list_of(&all, "ids").len(), 3);
}

#[tokio::test]
async fn ami_ids_by_owner_regex_and_order() {
    let _m = moto();
    let p = provider();
    let ec2 = ec2().await;
    let ami = ubuntu(&p).await;
    let instance = ec2
        .run_instances()
        .image_id(&ami)
        .min_count(1)
        .max_count(1)
        .send()
        .await
        .expect("RunInstances")
        .instances()[0]
        .instance_id()
        .expect("id")
        .to_string();
    let mut made = Vec::new();
    for name in ["skel-app-1", "skel-app-2", "other-3"] {
        let id = ec2
            .create_image()
            .instance_id(&instance)
            .name(name)
            .send()
            .await
            .expect("CreateImage")
            .image_id()
            .expect("image id")
            .to_string();
        made.push(id);
        // Distinct creation times, so the order is by time, not by id.
        tokio::time::sleep(Duration::from_millis(1100)).await;
    }
    let newest_first = read(
        &p,
        "aws_ami_ids",
        vec![
            ("owners", Value::List(vec![s("self")])),
            ("name_regex", s("^skel-app-[0-9]+$")),
        ],
    )
    .await
    .expect("ami ids");
    assert_eq!(
        list_of(&newest_first, "ids"),
        vec![made[1].clone(), made[0].clone()]
    );
    let oldest_first = read(
        &p,
        "aws_ami_ids",
        vec![
            ("owners", Value::List(vec![s("self")])),
            ("sort_ascending", Value::Bool(true)),
        ],
    )
    .await
    .expect("ascending");
    assert_eq!(list_of(&oldest_first, "ids"), made);
    let filtered = read(
        &p,
        "aws_ami_ids",
        vec![
            ("owners", Value::List(vec![s("self")])),
            ("filter", filter("name", &["other-*"])),
        ],
    )
    .await
    .expect("filtered");
    assert_eq!(list_of(&filtered, "ids"), vec![made[2].clone()]);
    let none = read(
        &p,
        "aws_ami_ids",
        vec![
            ("owners", Value::List(vec![s("self")])),
            ("name_regex", s("^nothing")),
        ],
    )
    .await
    .expect("no match is an empty list");
    assert_eq!(get(&none, "ids"), &Value::List(vec![]));
    let bad = read(
        &p,
        "aws_ami_ids",
        vec![
            ("owners", Value::List(vec![s("self")])),
            ("name_regex", s("skel-(")),
        ],
    )
    .await
    .expect_err("a broken pattern");
    assert!(
        bad.contains("`name_regex` = \"skel-(\" is not a valid regular expression"),
        "{bad}"
    );
}

#[tokio::test]
async fn route53_zone_by_name_privacy_vpc_tags_and_id() {
    let _m = moto();
    let p = provider();
    let ec2 = ec2().await;
    let r53 = r53().await;
    let vpc = sdk_vpc(&ec2, "10.80.0.0/16", "dns", "test").await;
    let make = |private: bool, reference: &'static str| {
        let r53 = r53.clone();
        let vpc = vpc.clone();
        async move {
            let mut call = r53
                .create_hosted_zone()
                .name("corp.example")
                .caller_reference(reference)
                .hosted_zone_config(
                    aws_sdk_route53::types::HostedZoneConfig::builder()
                        .comment(format!("{reference} zone"))
                        .private_zone(private)
                        .build(),
                );
            if private {
                call = call.vpc(
                    aws_sdk_route53::types::Vpc::builder()
                        .vpc_id(&vpc)
                        .vpc_region(aws_sdk_route53::types::VpcRegion::UsEast1)
                        .build(),
                );
            }
            let out = call.send().await.expect("CreateHostedZone");
            out.hosted_zone()
                .expect("zone")
                .id()
                .trim_start_matches("/hostedzone/")
                .to_string()
        }
    };
    let public = make(false, "public").await;
    let private = make(true, "private").await;
    let public2 = make(false, "public-2").await;
    r53.change_tags_for_resource()
        .resource_type(aws_sdk_route53::types::TagResourceType::Hostedzone)
        .resource_id(&public2)
        .add_tags(
            aws_sdk_route53::types::Tag::builder()
                .key("Env")
                .value("staging")
                .build(),
        )
        .send()
        .await
        .expect("ChangeTagsForResource");

    let by_id = read(&p, "aws_route53_zone", vec![("zone_id", s(&public))])
        .await
        .expect("by id");
    assert_eq!(str_of(&by_id, "zone_id"), public);
    assert_eq!(str_of(&by_id, "id"), public);
    assert_eq!(str_of(&by_id, "name"), "corp.example");
    assert_eq!(str_of(&by_id, "comment"), "public zone");
    assert_eq!(str_of(&by_id, "caller_reference"), "public");
    assert_eq!(
        str_of(&by_id, "arn"),
        format!("arn:aws:route53:::hostedzone/{public}")
    );
    assert_eq!(get(&by_id, "private_zone"), &Value::Bool(false));
    assert!(!list_of(&by_id, "name_servers").is_empty(), "{by_id:?}");
    assert_eq!(
        get(&by_id, "resource_record_set_count"),
        &n(2),
        "NS and SOA"
    );

    let private_found = read(
        &p,
        "aws_route53_zone",
        vec![
            ("name", s("corp.example.")),
            ("private_zone", Value::Bool(true)),
            ("vpc_id", s(&vpc)),
        ],
    )
    .await
    .expect("private by name and vpc");
    assert_eq!(str_of(&private_found, "zone_id"), private);
    assert_eq!(get(&private_found, "private_zone"), &Value::Bool(true));
    let tagged = read(
        &p,
        "aws_route53_zone",
        vec![
            ("name", s("corp.example")),
            ("tags", tags(&[("Env", "staging")])),
        ],
    )
    .await
    .expect("public by name and tags");
    assert_eq!(str_of(&tagged, "zone_id"), public2);
    let several = read(&p, "aws_route53_zone", vec![("name", s("corp.example"))])
        .await
        .expect_err("two public zones of that name");
    assert!(
        several.contains("2 Route 53 hosted zones match"),
        "{several}"
    );
    assert!(
        several.contains(&public) && several.contains(&public2),
        "{several}"
    );
    let none = read(&p, "aws_route53_zone", vec![("name", s("missing.example"))])
        .await
        .expect_err("no such zone");
    assert!(none.contains("no Route 53 hosted zone matches"), "{none}");
    let other_vpc = read(
        &p,
        "aws_route53_zone",
        vec![
            ("name", s("corp.example")),
            ("private_zone", Value::Bool(true)),
            ("vpc_id", s("vpc-00000000000000000")),
        ],
    )
    .await
    .expect_err("not associated with that VPC");
    assert!(
        other_vpc.contains("no Route 53 hosted zone matches"),
        "{other_vpc}"
    );
    let neither = read(&p, "aws_route53_zone", vec![])
        .await
        .expect_err("no name");
    assert!(neither.contains("set `zone_id`, or `name`"), "{neither}");
}
