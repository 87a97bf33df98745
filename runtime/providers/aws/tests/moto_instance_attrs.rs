//! `aws_instance` arguments AWS keeps outside DescribeInstances' main fields, against moto
//! through the SDK: secondary private addresses (sent at launch, changed in place on the primary
//! interface, read back, repaired), existing interfaces attached at launch (`network_interface`),
//! and the attributes read with calls of their own only when the configuration manages them
//! (stop and termination protection, the shutdown behaviour, CPU credits), each changed out of
//! band, seen by the refresh, planned as exactly that change and repaired by the apply. What moto
//! 5.2.5 drops is checked in the request moto's recorder captured.

mod support;

use aws_sdk_ec2::types::{AttributeBooleanValue, InstanceAttributeName};
use support::*;

/// Creates `config` (an `aws_instance`) with moto's recorder on, and checks that its one
/// RunInstances request carried every `part` (what moto itself drops is checked here).
async fn launched_with(p: &AwsProvider, port: u16, config: &Value, parts: &[&str]) -> Value {
    let recorder = Recorder::start(port);
    let r = plan(p, "aws_instance", None, config).await;
    let state = apply(p, "aws_instance", None, Some(&r.planned))
        .await
        .expect("create");
    let sent = recorder.bodies("RunInstances");
    assert_eq!(sent.len(), 1, "{sent:?}");
    for part in parts {
        assert!(sent[0].contains(part), "{part} not in {}", sent[0]);
    }
    state
}

/// The secondary addresses of network interface `eni`, sorted.
async fn secondaries(eni: &str) -> Vec<String> {
    let out = ec2()
        .await
        .describe_network_interfaces()
        .network_interface_ids(eni)
        .send()
        .await
        .expect("DescribeNetworkInterfaces");
    let mut ips: Vec<String> = out.network_interfaces()[0]
        .private_ip_addresses()
        .iter()
        .filter(|a| a.primary() == Some(false))
        .filter_map(|a| a.private_ip_address().map(str::to_string))
        .collect();
    ips.sort();
    ips
}

fn ips(list: &[&str]) -> Value {
    Value::set(list.iter().map(|ip| s(ip)).collect())
}

/// The attributes whose values differ between two objects.
fn changed(a: &Value, b: &Value) -> Vec<String> {
    let (Some(a), Some(b)) = (a.as_mapping(), b.as_mapping()) else {
        panic!("objects expected");
    };
    a.keys()
        .chain(b.keys())
        .filter(|k| {
            !skel_provider::kit::same(
                a.get(k).unwrap_or(&Value::Null),
                b.get(k).unwrap_or(&Value::Null),
            )
        })
        .cloned()
        .collect::<std::collections::BTreeSet<String>>()
        .into_iter()
        .collect()
}

#[tokio::test]
async fn secondary_private_ips_are_sent_changed_in_place_and_repaired() {
    let serial = moto();
    let port = serial.1;
    let p = provider();
    let site = site(&p, "10.72").await;
    let (subnet, ami) = (site.subnet.clone(), site.ami.clone());
    let cfg = |second: &[&str]| {
        config(
            "aws_instance",
            vec![
                ("ami", s(&ami)),
                ("instance_type", s("t3.micro")),
                ("subnet_id", s(&str_of(&subnet, "id"))),
                ("private_ip", s("10.72.1.10")),
                ("secondary_private_ips", ips(second)),
            ],
        )
    };
    let a = cfg(&["10.72.1.11", "10.72.1.12"]);
    // Sent at launch: the primary address marked primary, then each secondary one.
    let state = launched_with(
        &p,
        port,
        &a,
        &[
            "NetworkInterface.1.PrivateIpAddresses.1.PrivateIpAddress=10.72.1.10",
            "NetworkInterface.1.PrivateIpAddresses.1.Primary=true",
            "NetworkInterface.1.PrivateIpAddresses.2.PrivateIpAddress=10.72.1.11",
            "NetworkInterface.1.PrivateIpAddresses.2.Primary=false",
            "NetworkInterface.1.PrivateIpAddresses.3.PrivateIpAddress=10.72.1.12",
            "NetworkInterface.1.DeviceIndex=0",
        ],
    )
    .await;
    let eni = str_of(&state, "primary_network_interface_id");
    assert_eq!(str_of(&state, "private_ip"), "10.72.1.10");
    // moto 5.2.5 drops a launch's secondary addresses (its RunInstances reads only the
    // primary one): the refresh reports what the interface really has, and the plan adds them
    // in place.
    assert_eq!(secondaries(&eni).await, Vec::<String>::new());
    let read = p
        .read("aws_instance", &state)
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(get(&read, "secondary_private_ips"), &ips(&[]));
    let state = update(&p, "aws_instance", &read, &a).await;
    assert_eq!(secondaries(&eni).await, vec!["10.72.1.11", "10.72.1.12"]);

    // Changed in place: one address out, one in; the instance stays.
    let id = str_of(&state, "id");
    let b = cfg(&["10.72.1.11", "10.72.1.13"]);
    let before = p.api_call_counts();
    let state = update(&p, "aws_instance", &state, &b).await;
    assert_eq!(str_of(&state, "id"), id);
    assert_eq!(calls_since(&p, "UnassignPrivateIpAddresses", &before), 1);
    assert_eq!(calls_since(&p, "AssignPrivateIpAddresses", &before), 1);
    assert_eq!(secondaries(&eni).await, vec!["10.72.1.11", "10.72.1.13"]);

    // Removed out of band: seen by the refresh, planned as exactly that, repaired.
    ec2()
        .await
        .unassign_private_ip_addresses()
        .network_interface_id(&eni)
        .private_ip_addresses("10.72.1.13")
        .send()
        .await
        .expect("UnassignPrivateIpAddresses");
    let read = p
        .read("aws_instance", &state)
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(get(&read, "secondary_private_ips"), &ips(&["10.72.1.11"]));
    let r = plan(&p, "aws_instance", Some(&read), &b).await;
    assert!(r.requires_replace.is_empty(), "{:?}", r.requires_replace);
    assert_eq!(changed(&r.planned, &read), vec!["secondary_private_ips"]);
    let state = update(&p, "aws_instance", &read, &b).await;
    assert_eq!(secondaries(&eni).await, vec!["10.72.1.11", "10.72.1.13"]);

    // Imported: read back.
    let imported = p.import("aws_instance", &id).await.expect("import");
    assert_eq!(
        get(&imported, "secondary_private_ips"),
        &ips(&["10.72.1.11", "10.72.1.13"])
    );
    destroy(&p, "aws_instance", &state).await;
    site.destroy(&p).await;
}

#[tokio::test]
async fn existing_network_interfaces_are_attached_at_launch() {
    let _m = moto();
    let p = provider();
    let sdk = ec2().await;
    let site = site(&p, "10.73").await;
    let (subnet, ami) = (site.subnet.clone(), site.ami.clone());
    let eni = |ip: &str| {
        let sdk = sdk.clone();
        let (subnet, ip) = (str_of(&subnet, "id"), ip.to_string());
        async move {
            sdk.create_network_interface()
                .subnet_id(subnet)
                .private_ip_address(ip)
                .send()
                .await
                .expect("CreateNetworkInterface")
                .network_interface()
                .and_then(|n| n.network_interface_id())
                .expect("eni id")
                .to_string()
        }
    };
    let (first, second) = (eni("10.73.1.20").await, eni("10.73.1.21").await);
    let nic = |index: i64, id: &str| {
        obj(vec![
            ("device_index", n(index)),
            ("network_interface_id", s(id)),
            ("delete_on_termination", Value::Bool(false)),
            ("network_card_index", Value::Null),
        ])
    };
    let cfg = config(
        "aws_instance",
        vec![
            ("ami", s(&ami)),
            ("instance_type", s("t3.micro")),
            (
                "network_interface",
                Value::set(vec![nic(0, &first), nic(1, &second)]),
            ),
        ],
    );
    assert_eq!(p.validate("aws_instance", &cfg), Vec::<String>::new());
    let state = create(&p, "aws_instance", &cfg).await;
    let id = str_of(&state, "id");
    assert_eq!(str_of(&state, "primary_network_interface_id"), first);
    assert_eq!(str_of(&state, "private_ip"), "10.73.1.20");
    let seen = sdk
        .describe_instances()
        .instance_ids(&id)
        .send()
        .await
        .expect("DescribeInstances");
    let mut attached: Vec<(i32, String)> = seen.reservations()[0].instances()[0]
        .network_interfaces()
        .iter()
        .map(|n| {
            (
                n.attachment().and_then(|a| a.device_index()).unwrap_or(-1),
                n.network_interface_id().unwrap_or_default().to_string(),
            )
        })
        .collect();
    attached.sort();
    assert_eq!(attached, vec![(0, first.clone()), (1, second.clone())]);

    // Another interface replaces the instance (v6).
    let third = eni("10.73.1.22").await;
    let other = support::lifecycle::with(
        &cfg,
        vec![(
            "network_interface",
            Value::set(vec![nic(0, &first), nic(1, &third)]),
        )],
    );
    let r = plan(&p, "aws_instance", Some(&state), &other).await;
    assert_eq!(
        r.requires_replace,
        vec![vec!["network_interface".to_string()]]
    );

    // With a subnet as well: refused before any call.
    let both = support::lifecycle::with(&cfg, vec![("subnet_id", s(&str_of(&subnet, "id")))]);
    let errors = p.validate("aws_instance", &both);
    assert!(
        errors.len() == 1
            && errors[0].contains("`subnet_id` cannot be set with `network_interface`"),
        "{errors:?}"
    );

    // An instance whose interfaces AWS made does not manage them: nothing planned.
    let plain = config(
        "aws_instance",
        vec![
            ("ami", s(&ami)),
            ("instance_type", s("t3.micro")),
            ("subnet_id", s(&str_of(&subnet, "id"))),
        ],
    );
    let plain_state = create(&p, "aws_instance", &plain).await;
    assert_eq!(get(&plain_state, "network_interface"), &Value::set(vec![]));

    destroy(&p, "aws_instance", &state).await;
    destroy(&p, "aws_instance", &plain_state).await;
    // Not deleted with the instance (`delete_on_termination = false`).
    for eni in [&first, &second, &third] {
        sdk.delete_network_interface()
            .network_interface_id(eni)
            .send()
            .await
            .expect("DeleteNetworkInterface: the interface outlived the instance");
    }
    site.destroy(&p).await;
}

async fn attribute(id: &str, name: InstanceAttributeName) -> String {
    let out = ec2()
        .await
        .describe_instance_attribute()
        .instance_id(id)
        .attribute(name)
        .send()
        .await
        .expect("DescribeInstanceAttribute");
    let flag = |b: Option<&AttributeBooleanValue>| b.and_then(|b| b.value()).map(|b| b.to_string());
    flag(out.disable_api_stop())
        .or_else(|| flag(out.disable_api_termination()))
        .or_else(|| {
            out.instance_initiated_shutdown_behavior()
                .and_then(|v| v.value())
                .map(str::to_string)
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn protection_shutdown_and_credits_are_read_back_only_when_managed() {
    let serial = moto();
    let port = serial.1;
    let p = provider();
    let sdk = ec2().await;
    let site = site(&p, "10.74").await;
    let (subnet, ami) = (site.subnet.clone(), site.ami.clone());
    let credits = |c: &str| Value::List(vec![obj(vec![("cpu_credits", s(c))])]);
    let cfg = config(
        "aws_instance",
        vec![
            ("ami", s(&ami)),
            ("instance_type", s("t3.micro")),
            ("subnet_id", s(&str_of(&subnet, "id"))),
            ("disable_api_stop", Value::Bool(true)),
            ("disable_api_termination", Value::Bool(true)),
            ("instance_initiated_shutdown_behavior", s("stop")),
            ("credit_specification", credits("standard")),
        ],
    );
    let state = launched_with(
        &p,
        port,
        &cfg,
        &[
            "DisableApiStop=true",
            "DisableApiTermination=true",
            "InstanceInitiatedShutdownBehavior=stop",
            "CreditSpecification.CpuCredits=standard",
        ],
    )
    .await;
    let id = str_of(&state, "id");
    use InstanceAttributeName as A;
    // moto 5.2.5 drops RunInstances' DisableApiTermination: the refresh now sees what the
    // instance really has, the plan is exactly that change, and the apply sets it in place.
    assert_eq!(attribute(&id, A::DisableApiTermination).await, "false");
    let read = p
        .read("aws_instance", &state)
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(get(&read, "disable_api_termination"), &Value::Bool(false));
    let r = plan(&p, "aws_instance", Some(&read), &cfg).await;
    assert_eq!(changed(&r.planned, &read), vec!["disable_api_termination"]);
    let state = update(&p, "aws_instance", &read, &cfg).await;
    assert_eq!(attribute(&id, A::DisableApiStop).await, "true");
    assert_eq!(attribute(&id, A::DisableApiTermination).await, "true");
    assert_eq!(
        attribute(&id, A::InstanceInitiatedShutdownBehavior).await,
        "stop"
    );

    // A refresh of a managing instance: DescribeInstances, DescribeVolumes, three
    // DescribeInstanceAttribute and one DescribeInstanceCreditSpecifications.
    let before = p.api_call_counts();
    p.read("aws_instance", &state).await.expect("read");
    assert_eq!(calls_since(&p, "DescribeInstanceAttribute", &before), 3);
    assert_eq!(
        calls_since(&p, "DescribeInstanceCreditSpecifications", &before),
        1
    );

    // Each changed out of band: the refresh sees it, the plan is exactly that change, the
    // apply repairs it.
    let off = || AttributeBooleanValue::builder().value(false).build();
    let cases: Vec<(&str, A, &str)> = vec![
        ("disable_api_stop", A::DisableApiStop, "true"),
        ("disable_api_termination", A::DisableApiTermination, "true"),
        (
            "instance_initiated_shutdown_behavior",
            A::InstanceInitiatedShutdownBehavior,
            "stop",
        ),
    ];
    let mut state = state;
    for (name, attr, want) in cases {
        let call = sdk.modify_instance_attribute().instance_id(&id);
        let call = match name {
            "disable_api_stop" => call.disable_api_stop(off()),
            "disable_api_termination" => call.disable_api_termination(off()),
            // The `Attribute`/`Value` form: moto 5.2.5 ignores the structured one.
            _ => call
                .attribute(A::InstanceInitiatedShutdownBehavior)
                .value("terminate"),
        };
        call.send().await.expect("ModifyInstanceAttribute");
        assert_ne!(attribute(&id, attr.clone()).await, want, "{name}");
        let read = p
            .read("aws_instance", &state)
            .await
            .expect("read")
            .expect("exists");
        let r = plan(&p, "aws_instance", Some(&read), &cfg).await;
        assert!(
            r.requires_replace.is_empty(),
            "{name}: {:?}",
            r.requires_replace
        );
        assert_eq!(changed(&r.planned, &read), vec![name.to_string()]);
        state = update(&p, "aws_instance", &read, &cfg).await;
        assert_eq!(attribute(&id, attr).await, want, "{name} repaired");
    }

    // CPU credits: moto 5.2.5 always reports `standard` and has no
    // ModifyInstanceCreditSpecification, so the out-of-band side is the configuration: asking
    // for `unlimited`, the plan is exactly that change in place, and the apply sends it.
    let unlimited =
        support::lifecycle::with(&cfg, vec![("credit_specification", credits("unlimited"))]);
    let r = plan(&p, "aws_instance", Some(&state), &unlimited).await;
    assert!(r.requires_replace.is_empty(), "{:?}", r.requires_replace);
    assert_eq!(changed(&r.planned, &state), vec!["credit_specification"]);
    let recorder = Recorder::start(port);
    let _ = apply(&p, "aws_instance", Some(&state), Some(&r.planned)).await;
    let sent = recorder.bodies("ModifyInstanceCreditSpecification");
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(
        sent[0].contains("CpuCredits=unlimited") && sent[0].contains(&format!("InstanceId={id}")),
        "{}",
        sent[0]
    );
    drop(recorder);

    // Imported: every one read back.
    let imported = p.import("aws_instance", &id).await.expect("import");
    assert_eq!(get(&imported, "disable_api_stop"), &Value::Bool(true));
    assert_eq!(
        get(&imported, "disable_api_termination"),
        &Value::Bool(true)
    );
    assert_eq!(
        get(&imported, "instance_initiated_shutdown_behavior"),
        &s("stop")
    );
    assert_eq!(get(&imported, "credit_specification"), &credits("standard"));

    // Unmanaged: a refresh of an instance that sets none of them makes none of these calls.
    let plain = config(
        "aws_instance",
        vec![
            ("ami", s(&ami)),
            ("instance_type", s("t3.micro")),
            ("subnet_id", s(&str_of(&subnet, "id"))),
        ],
    );
    let plain_state = create(&p, "aws_instance", &plain).await;
    let before = p.api_call_counts();
    p.read("aws_instance", &plain_state).await.expect("read");
    assert_eq!(calls_since(&p, "DescribeInstanceAttribute", &before), 0);
    assert_eq!(
        calls_since(&p, "DescribeInstanceCreditSpecifications", &before),
        0
    );

    // Protected instances are unprotected to be destroyed.
    let unprotected = support::lifecycle::with(
        &cfg,
        vec![
            ("disable_api_stop", Value::Bool(false)),
            ("disable_api_termination", Value::Bool(false)),
        ],
    );
    let state = update(&p, "aws_instance", &imported, &unprotected).await;
    destroy(&p, "aws_instance", &state).await;
    destroy(&p, "aws_instance", &plain_state).await;
    site.destroy(&p).await;
}

/// `ipv6_addresses` is sent at launch, `get_password_data` reads the password data (one
/// GetPasswordData per refresh, only when set), and security group names are refused with what
/// describes the primary interface.
#[tokio::test]
async fn ipv6_addresses_password_data_and_group_names() {
    let serial = moto();
    let port = serial.1;
    let p = provider();
    let site = site(&p, "10.76").await;
    let (subnet, ami) = (site.subnet.clone(), site.ami.clone());
    let base = |extra: Vec<(&str, Value)>| {
        let mut values = vec![
            ("ami", s(&ami)),
            ("instance_type", s("t3.micro")),
            ("subnet_id", s(&str_of(&subnet, "id"))),
        ];
        values.extend(extra);
        config("aws_instance", values)
    };
    let v6 = base(vec![(
        "ipv6_addresses",
        Value::List(vec![s("2600:1f18:0:1::10")]),
    )]);
    let recorder = Recorder::start(port);
    let r = plan(&p, "aws_instance", None, &v6).await;
    let made = apply(&p, "aws_instance", None, Some(&r.planned)).await;
    let sent = recorder.bodies("RunInstances");
    drop(recorder);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(
        sent[0].contains("Ipv6Address.1.Ipv6Address=2600%3A1f18%3A0%3A1%3A%3A10")
            || sent[0].contains("Ipv6Address.1.Ipv6Address=2600:1f18:0:1::10"),
        "{}",
        sent[0]
    );
    if let Ok(state) = made {
        destroy(&p, "aws_instance", &state).await;
    }

    let with_password = base(vec![("get_password_data", Value::Bool(true))]);
    let state = create(&p, "aws_instance", &with_password).await;
    // moto has no password for a Linux instance: none.
    assert_eq!(get(&state, "password_data"), &Value::Null);
    let before = p.api_call_counts();
    p.read("aws_instance", &state).await.expect("read");
    assert_eq!(calls_since(&p, "GetPasswordData", &before), 1);
    let plain = support::lifecycle::with(&state, vec![("get_password_data", Value::Bool(false))]);
    let before = p.api_call_counts();
    p.read("aws_instance", &plain).await.expect("read");
    assert_eq!(calls_since(&p, "GetPasswordData", &before), 0);
    destroy(&p, "aws_instance", &state).await;

    let names = base(vec![
        ("security_groups", Value::set(vec![s("default")])),
        ("associate_public_ip_address", Value::Bool(true)),
    ]);
    let errors = p.validate("aws_instance", &names);
    assert!(
        errors.len() == 1
            && errors[0].contains(
                "`security_groups` (group names) cannot be set with `associate_public_ip_address`"
            ),
        "{errors:?}"
    );
    site.destroy(&p).await;
}

/// `ebs_optimized` changes in place as in v6 (stop, modify, start), not by replacement: the
/// same instance id, the flag seen through the SDK, and the next plan empty.
#[tokio::test]
async fn ebs_optimized_changes_in_place() {
    let _m = moto();
    let p = provider();
    let site = site(&p, "10.77").await;
    let (subnet, ami) = (site.subnet.clone(), site.ami.clone());
    let cfg = |optimized: bool| {
        config(
            "aws_instance",
            vec![
                ("ami", s(&ami)),
                ("instance_type", s("t3.micro")),
                ("subnet_id", s(&str_of(&subnet, "id"))),
                ("ebs_optimized", Value::Bool(optimized)),
            ],
        )
    };
    let state = create(&p, "aws_instance", &cfg(false)).await;
    let id = str_of(&state, "id");
    let updated = update(&p, "aws_instance", &state, &cfg(true)).await;
    assert_eq!(
        str_of(&updated, "id"),
        id,
        "replaced instead of changed in place"
    );
    let out = ec2()
        .await
        .describe_instances()
        .instance_ids(&id)
        .send()
        .await
        .expect("DescribeInstances");
    let instance = &out.reservations()[0].instances()[0];
    assert_eq!(instance.ebs_optimized(), Some(true));
    assert_eq!(
        instance.state().and_then(|s| s.name()).map(|n| n.as_str()),
        Some("running"),
        "started again after the change"
    );
    destroy(&p, "aws_instance", &updated).await;
    site.destroy(&p).await;
}
