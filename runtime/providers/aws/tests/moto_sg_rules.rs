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
