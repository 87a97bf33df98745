//! `ingress = []` (Terraform's attribute syntax for a `computed` block type) against moto: a
//! group that writes no `ingress` keeps a rule added outside skel; written as an empty
//! attribute, the plan removes that rule, the apply revokes it (checked with the SDK) and the
//! next plan is empty. The configuration is what the engine gives: null for no blocks, an
//! empty set for `ingress = []`.

mod support;

use support::*;

/// The ingress permissions of group `id`, asked of the SDK.
async fn ingress_of(id: &str) -> Vec<aws_sdk_ec2::types::IpPermission> {
    ec2()
        .await
        .describe_security_groups()
        .group_ids(id)
        .send()
        .await
        .expect("describe")
        .security_groups()[0]
        .ip_permissions()
        .to_vec()
}

#[tokio::test]
async fn an_empty_ingress_attribute_removes_rules_made_outside() {
    let _m = moto();
    let p = provider();
    let vpc_id = str_of(&vpc(&p, "10.71.0.0/16").await, "id");
    let unmanaged = config(
        "aws_security_group",
        vec![("name", s("attr-web")), ("vpc_id", s(&vpc_id))],
    );
    assert_eq!(get(&unmanaged, "ingress"), &Value::Null, "no blocks: null");
    let sg = create(&p, "aws_security_group", &unmanaged).await;
    let id = str_of(&sg, "id");

    // A rule added outside skel (as an `aws_security_group_rule` would).
    ec2()
        .await
        .authorize_security_group_ingress()
        .group_id(&id)
        .ip_permissions(
            aws_sdk_ec2::types::IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(22)
                .to_port(22)
                .ip_ranges(
                    aws_sdk_ec2::types::IpRange::builder()
                        .cidr_ip("10.0.0.0/8")
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("authorize");
    let read = p
        .read("aws_security_group", &sg)
        .await
        .unwrap()
        .expect("exists");
    assert_eq!(
        get(&read, "ingress").as_sequence().map(|r| r.len()),
        Some(1)
    );

    // No `ingress` written: the group does not manage it, the rule stays.
    let kept = plan(&p, "aws_security_group", Some(&read), &unmanaged).await;
    assert_eq!(kept.planned, read, "nothing to change");

    // `ingress = []`: managed, none; the plan removes the rule, the apply revokes it.
    let none = with_value(&unmanaged, "ingress", Value::Set(Vec::new()));
    let r = plan(&p, "aws_security_group", Some(&read), &none).await;
    assert!(r.requires_replace.is_empty(), "{:?}", r.requires_replace);
    assert_eq!(get(&r.planned, "ingress"), &Value::Set(Vec::new()));
    // Egress is still not written: what the group has stays.
    assert_eq!(get(&r.planned, "egress"), get(&read, "egress"));
    let applied = apply(&p, "aws_security_group", Some(&read), Some(&r.planned))
        .await
        .expect("update");
    assert!(ingress_of(&id).await.is_empty(), "the rule was revoked");
    let read = p
        .read("aws_security_group", &applied)
        .await
        .unwrap()
        .expect("exists");
    assert_eq!(read, applied);
    let again = plan(&p, "aws_security_group", Some(&read), &none).await;
    assert_eq!(again.planned, read, "the next plan is empty");

    // A rule added again is drift the configuration reverts, every time.
    let rule = aws_sdk_ec2::types::IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(80)
        .to_port(80)
        .ip_ranges(
            aws_sdk_ec2::types::IpRange::builder()
                .cidr_ip("10.1.0.0/16")
                .build(),
        )
        .build();
    ec2()
        .await
        .authorize_security_group_ingress()
        .group_id(&id)
        .ip_permissions(rule)
        .send()
        .await
        .expect("authorize");
    let drifted = p
        .read("aws_security_group", &read)
        .await
        .unwrap()
        .expect("exists");
    let r = plan(&p, "aws_security_group", Some(&drifted), &none).await;
    assert_eq!(get(&r.planned, "ingress"), &Value::Set(Vec::new()));
    destroy(&p, "aws_security_group", &drifted).await;
}

/// `base` with `name` set to `value`.
fn with_value(base: &Value, name: &str, value: Value) -> Value {
    let mut fields = base.as_mapping().cloned().unwrap_or_default();
    fields.insert(name.to_string(), value);
    Value::Object(fields)
}
