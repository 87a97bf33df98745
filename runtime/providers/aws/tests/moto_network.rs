//! The AWS provider's network resources against moto: VPCs (with batched refresh), subnets,
//! internet gateways, route tables, associations, network ACLs, Elastic IPs, NAT gateways;
//! each created, read, updated, replaced, deleted out of band, imported and destroyed.

mod support;

use support::*;

#[tokio::test]
async fn vpc_lifecycle() {
    let _m = moto();
    let p = provider();
    let sdk = ec2().await;
    let cfg = config(
        "aws_vpc",
        vec![
            ("cidr_block", s("10.1.0.0/16")),
            ("enable_dns_hostnames", Value::Bool(true)),
            ("tags", tags(&[("Name", "one")])),
        ],
    );
    let state = create(&p, "aws_vpc", &cfg).await;
    let id = str_of(&state, "id");
    assert!(id.starts_with("vpc-"));
    assert_eq!(
        get(&state, "tags_all"),
        &tags(&[("Name", "one"), ("Team", "infra")])
    );
    let seen = sdk.describe_vpcs().vpc_ids(&id).send().await.unwrap();
    let v = &seen.vpcs()[0];
    assert_eq!(v.cidr_block(), Some("10.1.0.0/16"));
    assert_eq!(tag_of(v.tags(), "Name").as_deref(), Some("one"));
    assert_eq!(tag_of(v.tags(), "Team").as_deref(), Some("infra"));
    assert_eq!(
        tag_of(v.tags(), "skel:address").as_deref(),
        Some("aws_vpc.test")
    );
    assert!(get(&state, "main_route_table_id")
        .as_str()
        .is_some_and(|r| r.starts_with("rtb-")));

    let cfg2 = config(
        "aws_vpc",
        vec![
            ("cidr_block", s("10.1.0.0/16")),
            ("enable_dns_hostnames", Value::Bool(false)),
            ("tags", tags(&[("Name", "two")])),
        ],
    );
    let state = update(&p, "aws_vpc", &state, &cfg2).await;
    let attr = sdk
        .describe_vpc_attribute()
        .vpc_id(&id)
        .attribute(aws_sdk_ec2::types::VpcAttributeName::EnableDnsHostnames)
        .send()
        .await
        .unwrap();
    assert_eq!(
        attr.enable_dns_hostnames().and_then(|b| b.value()),
        Some(false)
    );
    let seen = sdk.describe_vpcs().vpc_ids(&id).send().await.unwrap();
    assert_eq!(
        tag_of(seen.vpcs()[0].tags(), "Name").as_deref(),
        Some("two")
    );

    // Drift: a tag changed out of band shows in the refreshed state and the plan.
    sdk.create_tags()
        .resources(&id)
        .tags(
            aws_sdk_ec2::types::Tag::builder()
                .key("Name")
                .value("drift")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let read = p.read("aws_vpc", &state).await.unwrap().unwrap();
    assert_eq!(get(&read, "tags"), &tags(&[("Name", "drift")]));
    assert_ne!(plan(&p, "aws_vpc", Some(&read), &cfg2).await.planned, read);

    let cfg3 = config("aws_vpc", vec![("cidr_block", s("10.2.0.0/16"))]);
    replace_and_import(&p, "aws_vpc", &state, &cfg3, "cidr_block").await;
    let imported = p.import("aws_vpc", &id).await.unwrap();
    assert_eq!(get(&imported, "cidr_block"), &s("10.1.0.0/16"));
    assert_eq!(get(&imported, "tags"), &tags(&[("Name", "drift")]));

    // Recovery after a crash finds the VPC by its address tag.
    let found = p
        .recover(skel_provider::RecoverRequest {
            type_name: "aws_vpc",
            planned: &plan(&p, "aws_vpc", None, &cfg).await.planned,
            address: "aws_vpc.test",
            token: None,
        })
        .await
        .unwrap();
    assert_eq!(found.map(|f| str_of(&f, "id")), Some(id.clone()));
    assert_eq!(
        p.recover(skel_provider::RecoverRequest {
            type_name: "aws_vpc",
            planned: &Value::Null,
            address: "aws_vpc.other",
            token: None
        })
        .await
        .unwrap(),
        None
    );

    // Deleted out of band: read says gone.
    sdk.delete_vpc().vpc_id(&id).send().await.unwrap();
    assert_eq!(p.read("aws_vpc", &state).await.unwrap(), None);
    // Destroying what is already gone succeeds.
    assert_eq!(
        apply(&p, "aws_vpc", Some(&state), None).await.unwrap(),
        Value::Null
    );

    let other = vpc(&p, "10.3.0.0/16").await;
    destroy(&p, "aws_vpc", &other).await;
    assert!(sdk
        .describe_vpcs()
        .vpc_ids(str_of(&other, "id"))
        .send()
        .await
        .is_err());
}

#[tokio::test]
async fn batch_refresh_is_one_call() {
    let _m = moto();
    let p = provider();
    let mut states = Vec::new();
    for i in 0..5 {
        states.push(vpc(&p, &format!("10.{}.0.0/16", 10 + i)).await);
    }
    let before = p.api_calls("DescribeVpcs");
    let read = p.read_batch("aws_vpc", &states).await.unwrap();
    assert_eq!(
        p.api_calls("DescribeVpcs") - before,
        1,
        "{:?}",
        p.api_call_counts()
    );
    assert_eq!(read, states.iter().cloned().map(Some).collect::<Vec<_>>());
    eprintln!(
        "batch read of 5 VPCs: DescribeVpcs calls = 1; all calls so far: {:?}",
        p.api_call_counts()
    );

    // One gone: the batch falls back to per-id reads and reports just that one.
    ec2()
        .await
        .delete_vpc()
        .vpc_id(str_of(&states[2], "id"))
        .send()
        .await
        .unwrap();
    let read = p.read_batch("aws_vpc", &states).await.unwrap();
    assert_eq!(read.iter().filter(|r| r.is_none()).count(), 1);
    assert!(read[2].is_none());
}

#[tokio::test]
async fn network_stack_lifecycle() {
    let _m = moto();
    let p = provider();
    let sdk = ec2().await;
    let v = vpc(&p, "10.5.0.0/16").await;
    let vpc_id = str_of(&v, "id");

    // Subnet.
    let scfg = |public: bool, az: &str| {
        config(
            "aws_subnet",
            vec![
                ("vpc_id", s(&vpc_id)),
                ("cidr_block", s("10.5.1.0/24")),
                ("availability_zone", s(az)),
                ("map_public_ip_on_launch", Value::Bool(public)),
            ],
        )
    };
    let subnet = create(&p, "aws_subnet", &scfg(false, "us-east-1a")).await;
    let subnet_id = str_of(&subnet, "id");
    let subnet = update(&p, "aws_subnet", &subnet, &scfg(true, "us-east-1a")).await;
    let seen = sdk
        .describe_subnets()
        .subnet_ids(&subnet_id)
        .send()
        .await
        .unwrap();
    assert_eq!(seen.subnets()[0].map_public_ip_on_launch(), Some(true));
    replace_and_import(
        &p,
        "aws_subnet",
        &subnet,
        &scfg(true, "us-east-1b"),
        "availability_zone",
    )
    .await;

    // Internet gateway: attach, move to another VPC in place.
    let other = vpc(&p, "10.6.0.0/16").await;
    let gcfg = |vpc: &str| config("aws_internet_gateway", vec![("vpc_id", s(vpc))]);
    let igw = create(&p, "aws_internet_gateway", &gcfg(&vpc_id)).await;
    let igw_id = str_of(&igw, "id");
    let igw = update(
        &p,
        "aws_internet_gateway",
        &igw,
        &gcfg(&str_of(&other, "id")),
    )
    .await;
    let seen = sdk
        .describe_internet_gateways()
        .internet_gateway_ids(&igw_id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        seen.internet_gateways()[0].attachments()[0].vpc_id(),
        Some(str_of(&other, "id").as_str())
    );
    let igw = update(&p, "aws_internet_gateway", &igw, &gcfg(&vpc_id)).await;
    assert!(p.import("aws_internet_gateway", &igw_id).await.is_ok());

    // Route table with an inline route; add a second route in place.
    let route = |cidr: &str| obj(vec![("cidr_block", s(cidr)), ("gateway_id", s(&igw_id))]);
    let rcfg = |routes: Vec<Value>| {
        config(
            "aws_route_table",
            vec![("vpc_id", s(&vpc_id)), ("route", Value::set(routes))],
        )
    };
    let rt = create(&p, "aws_route_table", &rcfg(vec![route("0.0.0.0/0")])).await;
    let rt_id = str_of(&rt, "id");
    let rt = update(
        &p,
        "aws_route_table",
        &rt,
        &rcfg(vec![route("0.0.0.0/0"), route("192.168.0.0/16")]),
    )
    .await;
    let seen = sdk
        .describe_route_tables()
        .route_table_ids(&rt_id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        seen.route_tables()[0]
            .routes()
            .iter()
            .filter(|r| r.gateway_id() == Some(igw_id.as_str()))
            .count(),
        2
    );
    replace_and_import(
        &p,
        "aws_route_table",
        &rt,
        &config(
            "aws_route_table",
            vec![("vpc_id", s(&str_of(&other, "id")))],
        ),
        "vpc_id",
    )
    .await;

    // Association, then moved to another table in place.
    let acfg = |table: &str| {
        config(
            "aws_route_table_association",
            vec![("route_table_id", s(table)), ("subnet_id", s(&subnet_id))],
        )
    };
    let assoc = create(&p, "aws_route_table_association", &acfg(&rt_id)).await;
    let rt2 = create(&p, "aws_route_table", &rcfg(vec![])).await;
    let assoc = update(
        &p,
        "aws_route_table_association",
        &assoc,
        &acfg(&str_of(&rt2, "id")),
    )
    .await;
    let seen = sdk
        .describe_route_tables()
        .route_table_ids(str_of(&rt2, "id"))
        .send()
        .await
        .unwrap();
    assert!(seen.route_tables()[0]
        .associations()
        .iter()
        .any(|a| a.subnet_id() == Some(subnet_id.as_str())));
    let imported = p
        .import(
            "aws_route_table_association",
            &format!("{subnet_id}/{}", str_of(&rt2, "id")),
        )
        .await
        .unwrap();
    assert_eq!(str_of(&imported, "id"), str_of(&assoc, "id"));

    // Network ACL with rules and the subnet.
    let rule = |no: i64, port: i64| {
        obj(vec![
            ("rule_no", n(no)),
            ("action", s("allow")),
            ("protocol", s("tcp")),
            ("from_port", n(port)),
            ("to_port", n(port)),
            ("cidr_block", s("0.0.0.0/0")),
            ("ipv6_cidr_block", Value::Null),
            ("icmp_type", Value::Null),
            ("icmp_code", Value::Null),
        ])
    };
    let ncfg = |rules: Vec<Value>| {
        config(
            "aws_network_acl",
            vec![
                ("vpc_id", s(&vpc_id)),
                ("subnet_ids", Value::set(vec![s(&subnet_id)])),
                ("ingress", Value::set(rules)),
                (
                    "egress",
                    Value::set(vec![obj(vec![
                        ("rule_no", n(100)),
                        ("action", s("allow")),
                        ("protocol", s("-1")),
                        ("from_port", n(0)),
                        ("to_port", n(0)),
                        ("cidr_block", s("0.0.0.0/0")),
                        ("ipv6_cidr_block", Value::Null),
                        ("icmp_type", Value::Null),
                        ("icmp_code", Value::Null),
                    ])]),
                ),
            ],
        )
    };
    let acl = create(&p, "aws_network_acl", &ncfg(vec![rule(100, 22)])).await;
    let acl_id = str_of(&acl, "id");
    let acl = update(
        &p,
        "aws_network_acl",
        &acl,
        &ncfg(vec![rule(100, 22), rule(110, 443)]),
    )
    .await;
    let seen = sdk
        .describe_network_acls()
        .network_acl_ids(&acl_id)
        .send()
        .await
        .unwrap();
    let a = &seen.network_acls()[0];
    assert!(a
        .entries()
        .iter()
        .any(|e| e.rule_number() == Some(110) && e.egress() == Some(false)));
    assert!(a
        .associations()
        .iter()
        .any(|x| x.subnet_id() == Some(subnet_id.as_str())));
    assert!(p.import("aws_network_acl", &acl_id).await.is_ok());

    // Destroy in dependency order, each checked through the SDK.
    destroy(&p, "aws_network_acl", &acl).await;
    destroy(&p, "aws_route_table_association", &assoc).await;
    destroy(&p, "aws_route_table", &rt2).await;
    destroy(&p, "aws_route_table", &rt).await;
    destroy(&p, "aws_internet_gateway", &igw).await;
    assert!(sdk
        .describe_internet_gateways()
        .internet_gateway_ids(&igw_id)
        .send()
        .await
        .is_err());
    destroy(&p, "aws_subnet", &subnet).await;
    // Out-of-band delete of a subnet reads as gone.
    let again = create(&p, "aws_subnet", &scfg(false, "us-east-1c")).await;
    sdk.delete_subnet()
        .subnet_id(str_of(&again, "id"))
        .send()
        .await
        .unwrap();
    assert_eq!(p.read("aws_subnet", &again).await.unwrap(), None);
    destroy(&p, "aws_vpc", &v).await;
    destroy(&p, "aws_vpc", &other).await;
}

#[tokio::test]
async fn eip_and_nat_lifecycle() {
    let _m = moto();
    let p = provider();
    let sdk = ec2().await;
    let v = vpc(&p, "10.9.0.0/16").await;
    let igw = create(
        &p,
        "aws_internet_gateway",
        &config(
            "aws_internet_gateway",
            vec![("vpc_id", s(&str_of(&v, "id")))],
        ),
    )
    .await;
    let subnet = create(
        &p,
        "aws_subnet",
        &config(
            "aws_subnet",
            vec![
                ("vpc_id", s(&str_of(&v, "id"))),
                ("cidr_block", s("10.9.0.0/24")),
                ("availability_zone", s("us-east-1a")),
            ],
        ),
    )
    .await;
    let ecfg = |name: &str| {
        config(
            "aws_eip",
            vec![("domain", s("vpc")), ("tags", tags(&[("Name", name)]))],
        )
    };
    let eip = create(&p, "aws_eip", &ecfg("a")).await;
    let eip = update(&p, "aws_eip", &eip, &ecfg("b")).await;
    let seen = sdk
        .describe_addresses()
        .allocation_ids(str_of(&eip, "id"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        tag_of(seen.addresses()[0].tags(), "Name").as_deref(),
        Some("b")
    );
    assert!(p.import("aws_eip", &str_of(&eip, "id")).await.is_ok());

    let ncfg = |name: &str| {
        config(
            "aws_nat_gateway",
            vec![
                ("subnet_id", s(&str_of(&subnet, "id"))),
                ("allocation_id", s(&str_of(&eip, "id"))),
                ("tags", tags(&[("Name", name)])),
            ],
        )
    };
    let nat = create(&p, "aws_nat_gateway", &ncfg("a")).await;
    let nat = update(&p, "aws_nat_gateway", &nat, &ncfg("b")).await;
    assert_eq!(get(&nat, "public_ip"), get(&eip, "public_ip"));
    let seen = sdk
        .describe_nat_gateways()
        .nat_gateway_ids(str_of(&nat, "id"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        tag_of(seen.nat_gateways()[0].tags(), "Name").as_deref(),
        Some("b")
    );
    replace_and_import(
        &p,
        "aws_nat_gateway",
        &nat,
        &config(
            "aws_nat_gateway",
            vec![
                ("subnet_id", s("subnet-other")),
                ("allocation_id", s(&str_of(&eip, "id"))),
            ],
        ),
        "subnet_id",
    )
    .await;
    let planned = plan(&p, "aws_nat_gateway", None, &ncfg("b")).await.planned;
    let found = p
        .recover(skel_provider::RecoverRequest {
            type_name: "aws_nat_gateway",
            planned: &planned,
            address: "aws_nat_gateway.test",
            token: None,
        })
        .await
        .unwrap();
    assert_eq!(found.map(|f| str_of(&f, "id")), Some(str_of(&nat, "id")));
    destroy(&p, "aws_nat_gateway", &nat).await;
    destroy(&p, "aws_eip", &eip).await;
    assert!(sdk
        .describe_addresses()
        .allocation_ids(str_of(&eip, "id"))
        .send()
        .await
        .is_err());
    destroy(&p, "aws_subnet", &subnet).await;
    destroy(&p, "aws_internet_gateway", &igw).await;
    destroy(&p, "aws_vpc", &v).await;
}

/// Reads and moves that name several associations or subnets spread over different tables
/// and ACLs in one filter (as merged reads do): AWS matches any of the values; moto only an
/// object whose set is a subset or a superset of them, so the provider asks for what a merged
/// call missed. Every association is read back, every subnet moved.
#[tokio::test]
async fn filters_over_several_tables_and_acls_find_every_object() {
    let _m = moto();
    let p = provider();
    let sdk = ec2().await;
    let vpc = vpc(&p, "10.7.0.0/16").await;
    let vpc_id = str_of(&vpc, "id");
    let mut subnets = Vec::new();
    for i in 0..4 {
        let subnet = subnet(&p, &vpc_id, &format!("10.7.{i}.0/24"), None).await;
        subnets.push(str_of(&subnet, "id"));
    }
    let table = || config("aws_route_table", vec![("vpc_id", s(&vpc_id))]);
    let (rt1, rt2) = (
        create(&p, "aws_route_table", &table()).await,
        create(&p, "aws_route_table", &table()).await,
    );
    // rt1 holds subnets 0 and 1, rt2 subnet 2.
    let mut assocs = Vec::new();
    for (subnet, rt) in [
        (&subnets[0], &rt1),
        (&subnets[1], &rt1),
        (&subnets[2], &rt2),
    ] {
        let cfg = config(
            "aws_route_table_association",
            vec![
                ("route_table_id", s(&str_of(rt, "id"))),
                ("subnet_id", s(subnet)),
            ],
        );
        assocs.push(create(&p, "aws_route_table_association", &cfg).await);
    }
    // One of rt1's two associations and rt2's: neither a subset nor a superset of rt1's.
    let wanted = [assocs[0].clone(), assocs[2].clone()];
    let read = p
        .read_batch("aws_route_table_association", &wanted)
        .await
        .expect("read");
    for (state, found) in wanted.iter().zip(&read) {
        let found = found
            .as_ref()
            .unwrap_or_else(|| panic!("{state:?} not read"));
        assert_eq!(
            str_of(found, "route_table_id"),
            str_of(state, "route_table_id")
        );
    }

    // An ACL takes subnet 3, then another ACL takes subnets 0 and 3: subnet 0 comes from the
    // default ACL (which holds 0, 1 and 2), subnet 3 from the first ACL.
    let acl = |subnets: Vec<&String>| {
        config(
            "aws_network_acl",
            vec![
                ("vpc_id", s(&vpc_id)),
                (
                    "subnet_ids",
                    Value::set(subnets.into_iter().map(|x| s(x)).collect()),
                ),
            ],
        )
    };
    create(&p, "aws_network_acl", &acl(vec![&subnets[3]])).await;
    let second = create(&p, "aws_network_acl", &acl(vec![&subnets[0], &subnets[3]])).await;
    let seen = sdk
        .describe_network_acls()
        .network_acl_ids(str_of(&second, "id"))
        .send()
        .await
        .unwrap();
    let mut held: Vec<&str> = seen.network_acls()[0]
        .associations()
        .iter()
        .filter_map(|a| a.subnet_id())
        .collect();
    held.sort();
    let mut expected = vec![subnets[0].as_str(), subnets[3].as_str()];
    expected.sort();
    assert_eq!(held, expected);
}
