//! `aws_security_group_rule` beyond the lifecycle matrix, against moto and checked through the
//! SDK: every kind of source (group, `self`, IPv6, prefix list, all protocols), Terraform's
//! `sgrule-` id and the AWS rule id, recovery of an interrupted create by what the rule is,
//! refresh of many rules in one call, and clear errors for bad configurations and import ids.

mod ec2_rules;
mod support;

use skel_provider::RecoverRequest;
use support::*;

async fn group(p: &AwsProvider, vpc: &str, name: &str) -> String {
    str_of(
        &create(
            p,
            "aws_security_group",
            &config(
                "aws_security_group",
                vec![("name", s(name)), ("vpc_id", s(vpc))],
            ),
        )
        .await,
        "id",
    )
}

fn rule(values: Vec<(&str, Value)>) -> Value {
    config("aws_security_group_rule", values)
}

fn list(items: &[&str]) -> Value {
    Value::List(items.iter().map(|i| s(i)).collect())
}

#[tokio::test]
async fn every_kind_of_source_is_created_read_imported_and_revoked() {
    let _m = moto();
    let p = provider();
    let ec2 = ec2().await;
    // moto drops the IPv6 ranges of an egress revoke in a VPC without an IPv6 block (AWS
    // revokes them), so the VPC has one.
    let vpc = str_of(
        &create(
            &p,
            "aws_vpc",
            &config(
                "aws_vpc",
                vec![
                    ("cidr_block", s("10.40.0.0/16")),
                    ("assign_generated_ipv6_cidr_block", Value::Bool(true)),
                ],
            ),
        )
        .await,
        "id",
    );
    let sg = group(&p, &vpc, "rules-a").await;
    let other = group(&p, &vpc, "rules-b").await;
    let pl = ec2
        .create_managed_prefix_list()
        .prefix_list_name("office")
        .address_family("IPv4")
        .max_entries(5)
        .send()
        .await
        .expect("CreateManagedPrefixList")
        .prefix_list()
        .and_then(|l| l.prefix_list_id())
        .expect("prefix list id")
        .to_string();
    let cases: Vec<(Value, String, usize)> = vec![
        (
            rule(vec![
                ("type", s("ingress")),
                ("security_group_id", s(&sg)),
                ("protocol", s("tcp")),
                ("from_port", n(5432)),
                ("to_port", n(5432)),
                ("source_security_group_id", s(&other)),
                ("description", s("database")),
            ]),
            format!("{sg}_ingress_tcp_5432_5432_{other}"),
            1,
        ),
        (
            rule(vec![
                ("type", s("ingress")),
                ("security_group_id", s(&sg)),
                ("protocol", s("all")),
                ("from_port", n(0)),
                ("to_port", n(65535)),
                ("self", Value::Bool(true)),
                ("description", s("node to node")),
            ]),
            format!("{sg}_ingress_all_0_65535_self"),
            1,
        ),
        (
            rule(vec![
                ("type", s("egress")),
                ("security_group_id", s(&sg)),
                ("protocol", s("6")),
                ("from_port", n(443)),
                ("to_port", n(443)),
                ("ipv6_cidr_blocks", list(&["2001:db8::/48"])),
                ("cidr_blocks", list(&["10.9.0.0/16"])),
                ("description", s("out")),
            ]),
            format!("{sg}_egress_6_443_443_10.9.0.0/16_2001:db8::/48"),
            2,
        ),
        (
            rule(vec![
                ("type", s("egress")),
                ("security_group_id", s(&sg)),
                ("protocol", s("udp")),
                ("from_port", n(53)),
                ("to_port", n(53)),
                // No description: moto 5.2.5 keeps none for a prefix-list source.
                ("prefix_list_ids", list(&[&pl])),
            ]),
            format!("{sg}_egress_udp_53_53_{pl}"),
            1,
        ),
    ];
    let mut states = Vec::new();
    for (cfg, key, sources) in &cases {
        let before = ec2_rules::rules_of(&ec2, &sg).await.len();
        let state = create(&p, "aws_security_group_rule", cfg).await;
        let after = ec2_rules::rules_of(&ec2, &sg).await;
        assert_eq!(after.len(), before + sources, "{key}: AWS rules made");
        let id = str_of(&state, "id");
        assert!(
            id.starts_with("sgrule-") && id[7..].parse::<u32>().is_ok(),
            "{key}: {id}"
        );
        let rule_id = get(&state, "security_group_rule_id");
        if *sources == 1 {
            let rule_id = rule_id.as_str().expect("one source: its rule id");
            assert!(
                after
                    .iter()
                    .any(|r| r.security_group_rule_id() == Some(rule_id)),
                "{key}: {rule_id} not in {after:?}"
            );
        } else {
            assert_eq!(rule_id, &Value::Null, "{key}: several sources, no rule id");
        }
        let imported = p
            .import("aws_security_group_rule", key)
            .await
            .unwrap_or_else(|e| panic!("import {key}: {e}"));
        assert_eq!(
            str_of(&imported, "id"),
            id,
            "{key}: import finds the same rule"
        );
        let r = plan(&p, "aws_security_group_rule", Some(&imported), cfg).await;
        assert!(
            r.requires_replace.is_empty(),
            "{key}: imported rule plans a replacement {:?}",
            r.requires_replace
        );
        // Read back as written, description included: planning it again changes nothing.
        assert_eq!(
            get(&imported, "description"),
            get(cfg, "description"),
            "{key}: description read back"
        );
        assert_eq!(
            r.planned, imported,
            "{key}: the imported rule plans no change"
        );
        states.push(state);
    }
    // The AWS rule of the self rule references the group itself.
    let own = ec2_rules::rules_of(&ec2, &sg).await;
    assert!(own.iter().any(|r| r.ip_protocol() == Some("-1")
        && r.referenced_group_info().and_then(|g| g.group_id()) == Some(sg.as_str())));
    // One refresh of every rule: one DescribeSecurityGroupRules call.
    let before = p.api_call_counts();
    let read = p
        .read_batch("aws_security_group_rule", &states)
        .await
        .expect("read");
    assert_eq!(
        read.into_iter().map(Option::unwrap).collect::<Vec<_>>(),
        states
    );
    assert_eq!(
        calls_since(&p, "DescribeSecurityGroupRules", &before),
        1,
        "a batch refresh lists the rules of their groups once"
    );
    assert_eq!(
        calls_since(&p, "DescribeSecurityGroups", &before),
        1,
        "and reads the groups' permissions (the descriptions) once"
    );
    for state in &states {
        destroy(&p, "aws_security_group_rule", state).await;
    }
    let left = ec2_rules::rules_of(&ec2, &sg).await;
    assert!(left.is_empty(), "rules left after destroy: {left:?}");
}

#[tokio::test]
async fn an_interrupted_create_is_found_by_what_the_rule_is() {
    let _m = moto();
    let p = provider();
    let vpc = str_of(&support::vpc(&p, "10.41.0.0/16").await, "id");
    let sg = group(&p, &vpc, "rules-recover").await;
    let cfg = rule(vec![
        ("type", s("ingress")),
        ("security_group_id", s(&sg)),
        ("protocol", s("tcp")),
        ("from_port", n(22)),
        ("to_port", n(22)),
        ("cidr_blocks", list(&["192.168.0.0/24"])),
        ("description", s("ssh")),
    ]);
    let planned = plan(&p, "aws_security_group_rule", None, &cfg)
        .await
        .planned;
    let recover = |planned: Value| {
        let p = &p;
        async move {
            p.recover(RecoverRequest {
                type_name: "aws_security_group_rule",
                planned: &planned,
                address: "aws_security_group_rule.ssh",
                token: Some("tok"),
            })
            .await
        }
    };
    assert_eq!(
        recover(planned.clone()).await.expect("recover"),
        None,
        "nothing made yet"
    );
    let state = apply(&p, "aws_security_group_rule", None, Some(&planned))
        .await
        .expect("create");
    let found = recover(planned.clone())
        .await
        .expect("recover")
        .expect("the rule the create made");
    assert_eq!(found, state);
    // Another rule of the same group is not this one.
    let other = with_port(&planned, 23);
    assert_eq!(recover(other).await.expect("recover"), None);
}

fn with_port(v: &Value, port: i64) -> Value {
    let mut v = v.clone();
    if let Value::Object(m) = &mut v {
        m.insert("from_port".into(), n(port));
        m.insert("to_port".into(), n(port));
    }
    v
}

#[tokio::test]
async fn a_rule_that_already_exists_and_bad_ids_are_clear_errors() {
    let _m = moto();
    let p = provider();
    let vpc = str_of(&support::vpc(&p, "10.42.0.0/16").await, "id");
    let sg = group(&p, &vpc, "rules-dup").await;
    let cfg = rule(vec![
        ("type", s("ingress")),
        ("security_group_id", s(&sg)),
        ("protocol", s("tcp")),
        ("from_port", n(80)),
        ("to_port", n(80)),
        ("cidr_blocks", list(&["0.0.0.0/0"])),
    ]);
    create(&p, "aws_security_group_rule", &cfg).await;
    let planned = plan(&p, "aws_security_group_rule", None, &cfg)
        .await
        .planned;
    let e = apply(&p, "aws_security_group_rule", None, Some(&planned))
        .await
        .expect_err("a duplicate");
    let text = e.to_string();
    assert!(
        text.contains("already has this rule")
            && text.contains(&format!("{sg}_ingress_tcp_80_80_0.0.0.0/0")),
        "{text}"
    );
    for bad in [
        "sg-1_ingress_tcp_80",
        "nope",
        "sg-1_sideways_tcp_80_80_10.0.0.0/8",
    ] {
        let e = p
            .import("aws_security_group_rule", bad)
            .await
            .expect_err(bad);
        assert!(
            matches!(e, ProviderError::InvalidConfig(_))
                && e.to_string()
                    .contains("SGID_TYPE_PROTOCOL_FROMPORT_TOPORT_SOURCE"),
            "{bad}: {e}"
        );
    }
    // A well-formed id of a rule that does not exist.
    let e = p
        .import(
            "aws_security_group_rule",
            &format!("{sg}_ingress_tcp_81_81_0.0.0.0/0"),
        )
        .await
        .expect_err("no such rule");
    assert!(e.to_string().contains("does not exist"), "{e}");
    // Configurations AWS would reject, caught before any call.
    let errors = p.validate(
        "aws_security_group_rule",
        &rule(vec![
            ("type", s("ingress")),
            ("security_group_id", s(&sg)),
            ("protocol", s("tcp")),
            ("from_port", n(80)),
            ("to_port", n(80)),
        ]),
    );
    assert!(
        errors.iter().any(|e| e.contains("needs a source")),
        "{errors:?}"
    );
}

/// The rules of `aws_vpc_security_group_{ingress,egress}_rule`: each kind of source, all
/// protocols without ports, one read call for many rules, recovery by the creation tags.
#[tokio::test]
async fn vpc_rules_take_every_kind_of_source_and_are_recovered_by_their_tags() {
    let _m = moto();
    let p = provider();
    let ec2 = ec2().await;
    let vpc = str_of(&support::vpc(&p, "10.43.0.0/16").await, "id");
    let sg = group(&p, &vpc, "vpc-rules-a").await;
    let other = group(&p, &vpc, "vpc-rules-b").await;
    let pl = ec2
        .create_managed_prefix_list()
        .prefix_list_name("partners")
        .address_family("IPv4")
        .max_entries(5)
        .send()
        .await
        .expect("CreateManagedPrefixList")
        .prefix_list()
        .and_then(|l| l.prefix_list_id())
        .expect("prefix list id")
        .to_string();
    let ingress = "aws_vpc_security_group_ingress_rule";
    let egress = "aws_vpc_security_group_egress_rule";
    // No descriptions on the group and prefix-list rules: moto's DescribeSecurityGroupRules
    // drops them (AWS returns them).
    let cases = vec![
        (
            egress,
            config(
                egress,
                vec![
                    ("security_group_id", s(&sg)),
                    ("ip_protocol", s("tcp")),
                    ("from_port", n(5432)),
                    ("to_port", n(5432)),
                    ("referenced_security_group_id", s(&other)),
                ],
            ),
        ),
        (
            ingress,
            config(
                ingress,
                vec![
                    ("security_group_id", s(&sg)),
                    ("ip_protocol", s("udp")),
                    ("from_port", n(53)),
                    ("to_port", n(53)),
                    ("prefix_list_id", s(&pl)),
                ],
            ),
        ),
        (
            ingress,
            config(
                ingress,
                vec![
                    ("security_group_id", s(&sg)),
                    ("ip_protocol", s("all")),
                    ("cidr_ipv4", s("10.43.0.0/16")),
                    ("description", s("everything inside")),
                ],
            ),
        ),
    ];
    let mut states = Vec::new();
    for (ty, cfg) in &cases {
        let state = create(&p, ty, cfg).await;
        let id = str_of(&state, "id");
        assert!(id.starts_with("sgr-"), "{id}");
        assert_eq!(str_of(&state, "security_group_rule_id"), id);
        let seen = ec2
            .describe_security_group_rules()
            .security_group_rule_ids(&id)
            .send()
            .await
            .expect("DescribeSecurityGroupRules")
            .security_group_rules()[0]
            .clone();
        assert_eq!(seen.is_egress(), Some(*ty == egress), "{ty}");
        assert_eq!(seen.group_id(), Some(sg.as_str()));
        let tags: Vec<_> = seen.tags().iter().filter_map(|t| t.key()).collect();
        assert!(tags.contains(&"skel:address"), "creation tags: {tags:?}");
        let imported = p.import(ty, &id).await.expect("import");
        assert!(
            plan(&p, ty, Some(&imported), cfg)
                .await
                .requires_replace
                .is_empty(),
            "{ty}: import plans a replacement"
        );
        states.push((ty, state));
    }
    let first = &states[0].1;
    assert_eq!(
        str_of(first, "referenced_security_group_id"),
        other,
        "the destination group"
    );
    assert_eq!(get(&states[2].1, "from_port"), &Value::Null, "all ports");
    // Two ingress rules refreshed together: one call.
    let ingress_states: Vec<Value> = states
        .iter()
        .filter(|(ty, _)| **ty == ingress)
        .map(|(_, s)| s.clone())
        .collect();
    let before = p.api_call_counts();
    let read = p.read_batch(ingress, &ingress_states).await.expect("read");
    assert!(read.iter().all(Option::is_some));
    assert_eq!(calls_since(&p, "DescribeSecurityGroupRules", &before), 1);
    // An ingress resource does not take an egress rule for its own.
    assert_eq!(p.read(ingress, first).await.expect("read"), None);

    // Recovery: the rule the interrupted create made, by its token; none for another token.
    let cfg = config(
        ingress,
        vec![
            ("security_group_id", s(&sg)),
            ("ip_protocol", s("tcp")),
            ("from_port", n(443)),
            ("to_port", n(443)),
            ("cidr_ipv6", s("2001:db8::/64")),
        ],
    );
    let planned = plan(&p, ingress, None, &cfg).await.planned;
    let made = p
        .apply(ApplyRequest {
            type_name: ingress,
            prior: None,
            planned: Some(&planned),
            address: "aws_vpc_security_group_ingress_rule.https",
            token: Some("token-1"),
        })
        .await
        .expect("create");
    let recover = |token: &'static str| {
        let (p, planned) = (&p, &planned);
        async move {
            p.recover(RecoverRequest {
                type_name: ingress,
                planned,
                address: "aws_vpc_security_group_ingress_rule.https",
                token: Some(token),
            })
            .await
            .expect("recover")
        }
    };
    assert_eq!(recover("token-1").await, Some(made.clone()));
    assert_eq!(recover("token-2").await, None);
    for (ty, state) in states.iter().chain([(&ingress, made)].iter()) {
        destroy(&p, ty, state).await;
    }
    assert!(ec2_rules::rules_of(&ec2, &sg).await.is_empty());

    // One source or destination, exactly.
    let two = p.validate(
        ingress,
        &with_sources(&cfg, vec![("cidr_ipv4", s("10.0.0.0/8"))]),
    );
    assert!(two[0].contains("exactly one of"), "{two:?}");
    let none = p.validate(
        ingress,
        &with_sources(&cfg, vec![("cidr_ipv6", Value::Null)]),
    );
    assert!(none[0].contains("exactly one of"), "{none:?}");
}

fn with_sources(v: &Value, pairs: Vec<(&str, Value)>) -> Value {
    let mut v = v.clone();
    if let Value::Object(m) = &mut v {
        for (k, x) in pairs {
            m.insert(k.into(), x);
        }
    }
    v
}

/// Inline rules and standalone rules as in Terraform: a group configured without `ingress` /
/// `egress` blocks leaves its rules to the rule resources (a refresh and plan after they were
/// added changes nothing, and they survive an apply of the group); a group with inline rules
/// owns them, so a rule added out of band is removed again.
#[tokio::test]
async fn a_group_without_inline_rules_leaves_them_to_the_rule_resources() {
    let _m = moto();
    let p = provider();
    let ec2 = ec2().await;
    let vpc = str_of(&support::vpc(&p, "10.44.0.0/16").await, "id");
    let bare = config(
        "aws_security_group",
        vec![("name", s("coexist")), ("vpc_id", s(&vpc))],
    );
    let group_state = create(&p, "aws_security_group", &bare).await;
    let sg = str_of(&group_state, "id");
    create(
        &p,
        "aws_security_group_rule",
        &rule(vec![
            ("type", s("ingress")),
            ("security_group_id", s(&sg)),
            ("protocol", s("tcp")),
            ("from_port", n(443)),
            ("to_port", n(443)),
            ("cidr_blocks", list(&["0.0.0.0/0"])),
        ]),
    )
    .await;
    create(
        &p,
        "aws_vpc_security_group_egress_rule",
        &config(
            "aws_vpc_security_group_egress_rule",
            vec![
                ("security_group_id", s(&sg)),
                ("ip_protocol", s("-1")),
                ("cidr_ipv4", s("0.0.0.0/0")),
            ],
        ),
    )
    .await;
    let rules = ec2_rules::rules_of(&ec2, &sg).await;
    assert_eq!(rules.len(), 2, "{rules:?}");
    // Refresh and plan the group: it sees the rules and plans nothing.
    let read = p
        .read("aws_security_group", &group_state)
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(
        get(&read, "ingress").as_sequence().map(<[Value]>::len),
        Some(1),
        "the refresh shows the standalone rule: {read:?}"
    );
    let r = plan(&p, "aws_security_group", Some(&read), &bare).await;
    assert_eq!(r.planned, read, "the group plans no change");
    // Even an update of the group for something else leaves the rules alone.
    let tagged = with_sources(&bare, vec![("tags", tags(&[("Name", "coexist")]))]);
    let r = plan(&p, "aws_security_group", Some(&read), &tagged).await;
    apply(&p, "aws_security_group", Some(&read), Some(&r.planned))
        .await
        .expect("update the group's tags");
    assert_eq!(ec2_rules::rules_of(&ec2, &sg).await.len(), 2, "rules kept");

    // A group with inline rules owns them: a rule added out of band is drift, repaired.
    let inline = config(
        "aws_security_group",
        vec![
            ("name", s("inline")),
            ("vpc_id", s(&vpc)),
            (
                "ingress",
                Value::set(vec![obj(vec![
                    ("from_port", n(22)),
                    ("to_port", n(22)),
                    ("protocol", s("tcp")),
                    ("cidr_blocks", list(&["10.0.0.0/8"])),
                    ("ipv6_cidr_blocks", Value::Null),
                    ("prefix_list_ids", Value::Null),
                    ("security_groups", Value::Null),
                    ("self", Value::Bool(false)),
                    ("description", Value::Null),
                ])]),
            ),
        ],
    );
    let state = create(&p, "aws_security_group", &inline).await;
    let owned = str_of(&state, "id");
    ec2.authorize_security_group_ingress()
        .group_id(&owned)
        .ip_protocol("tcp")
        .from_port(80)
        .to_port(80)
        .cidr_ip("0.0.0.0/0")
        .send()
        .await
        .expect("AuthorizeSecurityGroupIngress");
    let read = p
        .read("aws_security_group", &state)
        .await
        .expect("read")
        .expect("exists");
    assert_ne!(read, state, "the out-of-band rule shows in the refresh");
    let r = plan(&p, "aws_security_group", Some(&read), &inline).await;
    assert_ne!(r.planned, read, "the group plans to remove it");
    apply(&p, "aws_security_group", Some(&read), Some(&r.planned))
        .await
        .expect("repair");
    let ports: Vec<Option<i32>> = ec2_rules::rules_of(&ec2, &owned)
        .await
        .iter()
        .filter(|r| r.is_egress() == Some(false))
        .map(|r| r.from_port())
        .collect();
    assert_eq!(ports, [Some(22)], "only the inline rule is left");
}
