//! The AWS provider's security groups, key pairs, instances, volumes and attachments against
//! moto, each checked through the SDK.

mod support;

use support::*;

fn sg_rule(port: i64, desc: &str) -> Value {
    obj(vec![
        ("from_port", n(port)),
        ("to_port", n(port)),
        ("protocol", s("tcp")),
        ("cidr_blocks", Value::List(vec![s("0.0.0.0/0")])),
        ("ipv6_cidr_blocks", Value::Null),
        ("prefix_list_ids", Value::Null),
        ("security_groups", Value::Null),
        ("self", Value::Bool(false)),
        ("description", s(desc)),
    ])
}

fn all_egress() -> Value {
    obj(vec![
        ("from_port", n(0)),
        ("to_port", n(0)),
        ("protocol", s("-1")),
        ("cidr_blocks", Value::List(vec![s("0.0.0.0/0")])),
        ("ipv6_cidr_blocks", Value::Null),
        ("prefix_list_ids", Value::Null),
        ("security_groups", Value::Null),
        ("self", Value::Bool(false)),
        ("description", s("All outbound traffic")),
    ])
}

#[tokio::test]
async fn security_group_lifecycle() {
    let _m = moto();
    let p = provider();
    let sdk = ec2().await;
    let v = vpc(&p, "10.7.0.0/16").await;
    let cfg = |rules: Vec<Value>| {
        config(
            "aws_security_group",
            vec![
                ("name_prefix", s("web-")),
                ("vpc_id", s(&str_of(&v, "id"))),
                ("ingress", Value::set(rules)),
                ("egress", Value::set(vec![all_egress()])),
            ],
        )
    };
    let sg = create(&p, "aws_security_group", &cfg(vec![sg_rule(22, "SSH")])).await;
    let id = str_of(&sg, "id");
    assert!(str_of(&sg, "name").starts_with("web-"));
    let sg = update(
        &p,
        "aws_security_group",
        &sg,
        &cfg(vec![sg_rule(22, "SSH"), sg_rule(80, "HTTP")]),
    )
    .await;
    let seen = sdk
        .describe_security_groups()
        .group_ids(&id)
        .send()
        .await
        .unwrap();
    let g = &seen.security_groups()[0];
    let ports: Vec<i32> = g
        .ip_permissions()
        .iter()
        .filter_map(|x| x.from_port())
        .collect();
    assert!(ports.contains(&22) && ports.contains(&80), "{ports:?}");
    assert_eq!(g.ip_permissions_egress().len(), 1);
    let sg = update(
        &p,
        "aws_security_group",
        &sg,
        &cfg(vec![sg_rule(80, "HTTP")]),
    )
    .await;
    let seen = sdk
        .describe_security_groups()
        .group_ids(&id)
        .send()
        .await
        .unwrap();
    assert!(seen.security_groups()[0]
        .ip_permissions()
        .iter()
        .all(|x| x.from_port() != Some(22)));
    let mut replaced = cfg(vec![]);
    if let Value::Object(m) = &mut replaced {
        m.insert("description".into(), s("another"));
    }
    replace_and_import(&p, "aws_security_group", &sg, &replaced, "description").await;
    sdk.delete_security_group()
        .group_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(p.read("aws_security_group", &sg).await.unwrap(), None);
    let sg2 = create(&p, "aws_security_group", &cfg(vec![])).await;
    destroy(&p, "aws_security_group", &sg2).await;
}

#[tokio::test]
async fn compute_lifecycle() {
    let _m = moto();
    let p = provider();
    let sdk = ec2().await;

    // Key pair.
    let kcfg = |name: &str| {
        config(
            "aws_key_pair",
            vec![
                ("key_name", s(name)),
                ("public_key", s(PUBLIC_KEY)),
                ("tags", tags(&[("A", "1")])),
            ],
        )
    };
    let key = create(&p, "aws_key_pair", &kcfg("deployer")).await;
    assert_eq!(str_of(&key, "id"), "deployer");
    let mut kcfg2 = kcfg("deployer");
    if let Value::Object(m) = &mut kcfg2 {
        m.insert("tags".into(), tags(&[("A", "2")]));
    }
    let key = update(&p, "aws_key_pair", &key, &kcfg2).await;
    replace_and_import(&p, "aws_key_pair", &key, &kcfg("other"), "key_name").await;
    let seen = sdk
        .describe_key_pairs()
        .key_names("deployer")
        .send()
        .await
        .unwrap();
    assert_eq!(seen.key_pairs().len(), 1);

    // Instance in a public subnet.
    let v = vpc(&p, "10.8.0.0/16").await;
    let subnet = create(
        &p,
        "aws_subnet",
        &config(
            "aws_subnet",
            vec![
                ("vpc_id", s(&str_of(&v, "id"))),
                ("cidr_block", s("10.8.0.0/24")),
                ("availability_zone", s("us-east-1a")),
            ],
        ),
    )
    .await;
    let ami = ubuntu(&p).await;
    assert!(ami.starts_with("ami-"));
    let icfg = |ty: &str, size: i64, name: &str| {
        config(
            "aws_instance",
            vec![
                ("ami", s(&ami)),
                ("instance_type", s(ty)),
                ("subnet_id", s(&str_of(&subnet, "id"))),
                ("key_name", s("deployer")),
                ("associate_public_ip_address", Value::Bool(true)),
                ("root_block_device", root_volume(size)),
                ("tags", tags(&[("Name", name)])),
            ],
        )
    };
    let inst = create(&p, "aws_instance", &icfg("t3.micro", 16, "node")).await;
    let id = str_of(&inst, "id");
    assert!(get(&inst, "public_ip").as_str().is_some(), "{inst:?}");
    let vol_id = str_of(
        &get(&inst, "root_block_device").as_sequence().unwrap()[0],
        "volume_id",
    );
    let inst = update(&p, "aws_instance", &inst, &icfg("t3.small", 20, "node2")).await;
    let seen = sdk
        .describe_instances()
        .instance_ids(&id)
        .send()
        .await
        .unwrap();
    let i = &seen.reservations()[0].instances()[0];
    assert_eq!(i.instance_type().map(|t| t.as_str()), Some("t3.small"));
    assert_eq!(tag_of(i.tags(), "Name").as_deref(), Some("node2"));
    let vols = sdk
        .describe_volumes()
        .volume_ids(&vol_id)
        .send()
        .await
        .unwrap();
    assert_eq!(vols.volumes()[0].size(), Some(20));
    let mut other_ami = icfg("t3.small", 20, "node2");
    if let Value::Object(m) = &mut other_ami {
        m.insert("ami".into(), s("ami-00000000000000000"));
    }
    replace_and_import(&p, "aws_instance", &inst, &other_ami, "ami").await;

    // Volume and attachment.
    let vcfg = |size: i64| {
        config(
            "aws_ebs_volume",
            vec![("availability_zone", s("us-east-1a")), ("size", n(size))],
        )
    };
    let vol = create(&p, "aws_ebs_volume", &vcfg(10)).await;
    let vol = update(&p, "aws_ebs_volume", &vol, &vcfg(12)).await;
    let seen = sdk
        .describe_volumes()
        .volume_ids(str_of(&vol, "id"))
        .send()
        .await
        .unwrap();
    assert_eq!(seen.volumes()[0].size(), Some(12));
    replace_and_import(
        &p,
        "aws_ebs_volume",
        &vol,
        &config(
            "aws_ebs_volume",
            vec![("availability_zone", s("us-east-1b")), ("size", n(12))],
        ),
        "availability_zone",
    )
    .await;
    let att_cfg = config(
        "aws_volume_attachment",
        vec![
            ("device_name", s("/dev/sdh")),
            ("volume_id", s(&str_of(&vol, "id"))),
            ("instance_id", s(&id)),
        ],
    );
    let att = create(&p, "aws_volume_attachment", &att_cfg).await;
    let seen = sdk
        .describe_volumes()
        .volume_ids(str_of(&vol, "id"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        seen.volumes()[0].attachments()[0].instance_id(),
        Some(id.as_str())
    );
    assert!(p
        .import("aws_volume_attachment", &str_of(&att, "id"))
        .await
        .is_ok());
    destroy(&p, "aws_volume_attachment", &att).await;
    destroy(&p, "aws_ebs_volume", &vol).await;

    // Out-of-band termination reads as gone; destroy then succeeds.
    sdk.terminate_instances()
        .instance_ids(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(p.read("aws_instance", &inst).await.unwrap(), None);
    destroy(&p, "aws_instance", &inst).await;
    let inst2 = create(&p, "aws_instance", &icfg("t3.micro", 8, "again")).await;
    destroy(&p, "aws_instance", &inst2).await;
    let seen = sdk
        .describe_instances()
        .instance_ids(str_of(&inst2, "id"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        seen.reservations()[0].instances()[0]
            .state()
            .and_then(|s| s.name())
            .map(|n| n.as_str()),
        Some("terminated")
    );
    destroy(&p, "aws_key_pair", &key).await;
    sdk.describe_key_pairs()
        .key_names("deployer")
        .send()
        .await
        .expect_err("key pair gone");
}
