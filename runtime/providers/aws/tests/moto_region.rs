//! v6's per-resource `region`, honoured: with the provider in us-east-1, a VPC, a subnet and a
//! security group whose `region` is us-west-2 are made there (and not in us-east-1, checked
//! with the SDK in each region), refreshed with one batched Describe per region, updated,
//! imported with an `ID@REGION` id, recovered after a crash, looked up by data sources in that
//! region and destroyed there; the state records the region; changing it replaces the object.

mod support;

use support::*;

const WEST: &str = "us-west-2";

/// An EC2 client of the test itself (not the provider's) in `region`.
async fn ec2_in(region: &str) -> aws_sdk_ec2::Client {
    let cfg = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(region.to_string()))
        .load()
        .await;
    aws_sdk_ec2::Client::new(&cfg)
}

/// Whether VPC `id` exists in `region`, asked of the SDK.
async fn vpc_in(region: &str, id: &str) -> bool {
    match ec2_in(region)
        .await
        .describe_vpcs()
        .vpc_ids(id)
        .send()
        .await
    {
        Ok(out) => !out.vpcs().is_empty(),
        Err(e) => {
            use aws_sdk_ec2::error::ProvideErrorMetadata;
            let code = e.as_service_error().and_then(|s| s.code());
            assert_eq!(code, Some("InvalidVpcID.NotFound"), "{e:?}");
            false
        }
    }
}

/// The tags of security group `id` in `region`, asked of the SDK (`None`: not there).
async fn sg_tags_in(region: &str, id: &str) -> Option<Vec<(String, String)>> {
    let out = ec2_in(region)
        .await
        .describe_security_groups()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("group-id")
                .values(id)
                .build(),
        )
        .send()
        .await
        .expect("describe security groups");
    out.security_groups().first().map(|g| {
        g.tags()
            .iter()
            .map(|t| {
                (
                    t.key().unwrap_or_default().to_string(),
                    t.value().unwrap_or_default().to_string(),
                )
            })
            .collect()
    })
}

fn data_config(ty: &str, values: Vec<(&str, Value)>) -> Value {
    let schema = skel_schema::data_source(ty).expect("schema");
    let mut m = ValueMap::new();
    for (name, attr) in &schema.block.attributes {
        if attr.is_argument() {
            m.insert(name.clone(), Value::Null);
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

#[tokio::test]
async fn objects_are_managed_in_the_region_they_name() {
    let _m = moto();
    let p = provider();

    // Made in us-west-2, recorded as such, and absent from the provider's region.
    let vpc_cfg = config(
        "aws_vpc",
        vec![("cidr_block", s("10.62.0.0/16")), ("region", s(WEST))],
    );
    assert!(p.validate("aws_vpc", &vpc_cfg).is_empty());
    let vpc = create(&p, "aws_vpc", &vpc_cfg).await;
    let vpc_id = str_of(&vpc, "id");
    assert_eq!(str_of(&vpc, "region"), WEST);
    assert!(vpc_in(WEST, &vpc_id).await, "the VPC is in {WEST}");
    assert!(!vpc_in("us-east-1", &vpc_id).await, "not in us-east-1");
    assert!(
        str_of(&vpc, "arn").contains(":us-west-2:"),
        "{}",
        str_of(&vpc, "arn")
    );

    let subnet_cfg = config(
        "aws_subnet",
        vec![
            ("vpc_id", s(&vpc_id)),
            ("cidr_block", s("10.62.1.0/24")),
            ("availability_zone", s("us-west-2b")),
            ("region", s(WEST)),
        ],
    );
    let subnet = create(&p, "aws_subnet", &subnet_cfg).await;
    assert_eq!(str_of(&subnet, "region"), WEST);
    assert_eq!(str_of(&subnet, "availability_zone"), "us-west-2b");

    let sg_cfg = |team: &str| {
        config(
            "aws_security_group",
            vec![
                ("name", s("region-web")),
                ("description", s("web")),
                ("vpc_id", s(&vpc_id)),
                ("region", s(WEST)),
                ("tags", tags(&[("Role", team)])),
            ],
        )
    };
    let sg = create(&p, "aws_security_group", &sg_cfg("web")).await;
    let sg_id = str_of(&sg, "id");
    assert_eq!(str_of(&sg, "region"), WEST);
    assert!(sg_tags_in(WEST, &sg_id).await.is_some());
    assert_eq!(sg_tags_in("us-east-1", &sg_id).await, None);

    // Updated in place, in its region.
    let sg = update(&p, "aws_security_group", &sg, &sg_cfg("api")).await;
    let seen = sg_tags_in(WEST, &sg_id).await.expect("still there");
    assert!(
        seen.contains(&("Role".to_string(), "api".to_string())),
        "{seen:?}"
    );

    // A refresh of objects of two regions: one DescribeVpcs per region, each object found.
    let home = create(
        &p,
        "aws_vpc",
        &config("aws_vpc", vec![("cidr_block", s("10.63.0.0/16"))]),
    )
    .await;
    assert_eq!(str_of(&home, "region"), "us-east-1");
    let other_west = create(
        &p,
        "aws_vpc",
        &config(
            "aws_vpc",
            vec![("cidr_block", s("10.64.0.0/16")), ("region", s(WEST))],
        ),
    )
    .await;
    let states = [vpc.clone(), home.clone(), other_west.clone()];
    let before = p.api_call_counts();
    let read = p.read_batch("aws_vpc", &states).await.expect("refresh");
    assert_eq!(
        calls_since(&p, "DescribeVpcs", &before),
        2,
        "one per region"
    );
    assert_eq!(read.len(), 3);
    for (state, found) in states.iter().zip(&read) {
        assert_eq!(found.as_ref(), Some(state), "refreshed as applied");
    }
    // The same objects of one region only: one call.
    let before = p.api_call_counts();
    let west = p
        .read_batch("aws_vpc", &[vpc.clone(), other_west.clone()])
        .await
        .expect("refresh");
    assert_eq!(calls_since(&p, "DescribeVpcs", &before), 1);
    assert!(west.iter().all(Option::is_some));

    // Import: `ID@REGION` finds it there; the bare id looks in the provider's region.
    let imported = p
        .import("aws_vpc", &format!("{vpc_id}@{WEST}"))
        .await
        .expect("import with region");
    assert_eq!(str_of(&imported, "id"), vpc_id);
    assert_eq!(str_of(&imported, "region"), WEST);
    assert_eq!(str_of(&imported, "cidr_block"), "10.62.0.0/16");
    let bare = p.import("aws_vpc", &vpc_id).await.unwrap_err().to_string();
    assert!(bare.contains("does not exist"), "{bare}");
    let sg_imported = p
        .import("aws_security_group", &format!("{sg_id}@{WEST}"))
        .await
        .expect("import security group");
    assert_eq!(str_of(&sg_imported, "vpc_id"), vpc_id);

    // Data sources read in the region they name.
    let by_id = p
        .read_data(
            "aws_vpc",
            &data_config("aws_vpc", vec![("id", s(&vpc_id)), ("region", s(WEST))]),
        )
        .await
        .expect("aws_vpc in us-west-2");
    assert_eq!(str_of(&by_id, "cidr_block"), "10.62.0.0/16");
    let elsewhere = p
        .read_data("aws_vpc", &data_config("aws_vpc", vec![("id", s(&vpc_id))]))
        .await;
    assert!(elsewhere.is_err(), "not in us-east-1: {elsewhere:?}");
    let zones = p
        .read_data(
            "aws_availability_zones",
            &data_config("aws_availability_zones", vec![("region", s(WEST))]),
        )
        .await
        .expect("zones");
    let names = format!("{:?}", get(&zones, "names"));
    assert!(names.contains("us-west-2a"), "{names}");
    let region = p
        .read_data(
            "aws_region",
            &data_config("aws_region", vec![("region", s(WEST))]),
        )
        .await
        .expect("aws_region");
    assert_eq!(str_of(&region, "region"), WEST);

    // Another region is another object: a replacement.
    let moved = config(
        "aws_vpc",
        vec![
            ("cidr_block", s("10.62.0.0/16")),
            ("region", s("eu-west-1")),
        ],
    );
    let r = plan(&p, "aws_vpc", Some(&vpc), &moved).await;
    assert!(
        r.requires_replace.iter().any(|x| x.join(".") == "region"),
        "{:?}",
        r.requires_replace
    );

    // Destroyed in its region.
    destroy(&p, "aws_security_group", &sg).await;
    assert_eq!(sg_tags_in(WEST, &sg_id).await, None);
    destroy(&p, "aws_subnet", &subnet).await;
    destroy(&p, "aws_vpc", &vpc).await;
    assert!(!vpc_in(WEST, &vpc_id).await, "gone from {WEST}");
    destroy(&p, "aws_vpc", &other_west).await;
    destroy(&p, "aws_vpc", &home).await;
}

#[tokio::test]
async fn a_crashed_create_in_another_region_is_recovered_there() {
    let _m = moto();
    let p = provider();
    const TOKEN: &str = "6f1c2a4e-0000-4000-8000-00000000a001";
    let cfg = config(
        "aws_vpc",
        vec![("cidr_block", s("10.65.0.0/16")), ("region", s(WEST))],
    );
    let planned = plan(&p, "aws_vpc", None, &cfg).await.planned;
    let made = p
        .apply(ApplyRequest {
            type_name: "aws_vpc",
            prior: None,
            planned: Some(&planned),
            address: "aws_vpc.west",
            token: Some(TOKEN),
        })
        .await
        .expect("create");
    let found = p
        .recover(skel_provider::RecoverRequest {
            type_name: "aws_vpc",
            planned: &planned,
            address: "aws_vpc.west",
            token: Some(TOKEN),
        })
        .await
        .expect("recover")
        .expect("found in us-west-2");
    assert_eq!(str_of(&found, "id"), str_of(&made, "id"));
    assert_eq!(str_of(&found, "region"), WEST);
    assert!(found.is_known(), "{found:?}");
    // The same token in the provider's region: nothing there.
    let home_cfg = config("aws_vpc", vec![("cidr_block", s("10.65.0.0/16"))]);
    let home_planned = plan(&p, "aws_vpc", None, &home_cfg).await.planned;
    let none = p
        .recover(skel_provider::RecoverRequest {
            type_name: "aws_vpc",
            planned: &home_planned,
            address: "aws_vpc.west",
            token: Some(TOKEN),
        })
        .await
        .expect("recover at home");
    assert_eq!(none, None);
    destroy(&p, "aws_vpc", &made).await;
}

#[tokio::test]
async fn a_region_that_is_no_region_name_is_refused() {
    let p = provider();
    let bad = config(
        "aws_vpc",
        vec![("cidr_block", s("10.66.0.0/16")), ("region", s("Mars"))],
    );
    let errors = p.validate("aws_vpc", &bad);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("\"Mars\"") && errors[0].contains("not a region name"));
    let planned = plan(&p, "aws_vpc", None, &bad).await.planned;
    let e = apply(&p, "aws_vpc", None, Some(&planned))
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("not a region name"), "{e}");
    // IAM is global: its types have no `region` and an `@` suffix is no region there.
    let role = skel_schema::resource("aws_iam_role").unwrap();
    assert!(!role.block.attributes.contains_key("region"));
}
