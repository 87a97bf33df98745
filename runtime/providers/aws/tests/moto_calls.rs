//! API calls counted (through the provider's SDK interceptor) against moto: a no-op refresh
//! reads each resource type with a fixed number of calls whatever the number of objects, at
//! most two per type (VPCs aside: their DNS attributes are one call per VPC and attribute),
//! Route 53 record changes made at the same time go out as one change batch, instances launched
//! from one AMI look its root device up once (and their waits and terminations share calls),
//! and a record create lists its name once (concurrent ones share listings).

mod support;

use std::sync::Arc;

use support::*;

/// Creates every `(address, config)` of type `ty` at the same moment, as an apply would: the
/// results in the order given.
async fn create_at_once(
    p: &Arc<AwsProvider>,
    ty: &'static str,
    creates: Vec<(String, Value)>,
) -> Vec<Result<Value, ProviderError>> {
    let tasks: Vec<_> = creates
        .into_iter()
        .map(|(address, cfg)| {
            let p = p.clone();
            tokio::spawn(async move {
                let planned = plan(&p, ty, None, &cfg).await.planned;
                p.apply(ApplyRequest {
                    type_name: ty,
                    prior: None,
                    planned: Some(&planned),
                    address: &address,
                    token: None,
                })
                .await
            })
        })
        .collect();
    let mut out = Vec::with_capacity(tasks.len());
    for task in tasks {
        out.push(task.await.expect("task"));
    }
    out
}

/// Deletes every object of `states` (of type `ty`) at the same moment, as an apply would.
async fn delete_at_once(p: &Arc<AwsProvider>, ty: &'static str, states: Vec<Value>) {
    let mut tasks = tokio::task::JoinSet::new();
    for state in states {
        let p = p.clone();
        tasks.spawn(async move {
            p.apply(ApplyRequest {
                type_name: ty,
                prior: Some(&state),
                planned: None,
                address: &format!("{ty}.n"),
                token: None,
            })
            .await
            .unwrap_or_else(|e| panic!("delete {ty}: {e}"))
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("task");
    }
}

/// The calls `read_batch(ty, states)` makes, by operation; every object must be found.
async fn refresh_calls(p: &AwsProvider, ty: &str, states: &[Value]) -> BTreeMap<String, u64> {
    let before = p.api_call_counts();
    let read = p.read_batch(ty, states).await.expect("refresh");
    assert!(
        read.iter().all(Option::is_some),
        "{ty}: an object is missing"
    );
    let after = p.api_call_counts();
    after
        .into_iter()
        .filter_map(|(op, n)| {
            let d = n - before.get(&op).copied().unwrap_or(0);
            (d > 0).then_some((op, d))
        })
        .collect()
}

fn total(calls: &BTreeMap<String, u64>) -> u64 {
    calls.values().sum()
}

#[tokio::test]
async fn no_op_refresh_calls_do_not_grow_with_the_objects() {
    let _m = moto();
    let p = provider();
    let ami = ubuntu(&p).await;
    let mut by_type: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
    let vpc = support::vpc(&p, "10.40.0.0/16").await;
    let vpc_id = str_of(&vpc, "id");
    by_type.insert("aws_vpc", vec![vpc, support::vpc(&p, "10.41.0.0/16").await]);
    let table = create(
        &p,
        "aws_route_table",
        &config("aws_route_table", vec![("vpc_id", s(&vpc_id))]),
    )
    .await;
    let table_id = str_of(&table, "id");
    by_type.insert("aws_route_table", vec![table]);
    let sg = |name: &str| {
        config(
            "aws_security_group",
            vec![("name", s(name)), ("vpc_id", s(&vpc_id))],
        )
    };
    let zone = zone(&p, "calls.test").await;
    let zone_id = str_of(&zone, "zone_id");
    by_type.insert("aws_route53_zone", vec![zone]);
    for i in 0..3 {
        let subnet = subnet(&p, &vpc_id, &format!("10.40.{i}.0/24"), Some("us-east-1a")).await;
        let subnet_id = str_of(&subnet, "id");
        by_type.entry("aws_subnet").or_default().push(subnet);
        let assoc = create(
            &p,
            "aws_route_table_association",
            &config(
                "aws_route_table_association",
                vec![
                    ("route_table_id", s(&table_id)),
                    ("subnet_id", s(&subnet_id)),
                ],
            ),
        )
        .await;
        by_type
            .entry("aws_route_table_association")
            .or_default()
            .push(assoc);
        let instance = create(
            &p,
            "aws_instance",
            &config(
                "aws_instance",
                vec![
                    ("ami", s(&ami)),
                    ("instance_type", s("t3.micro")),
                    ("subnet_id", s(&subnet_id)),
                ],
            ),
        )
        .await;
        by_type.entry("aws_instance").or_default().push(instance);
        let group = create(&p, "aws_security_group", &sg(&format!("g{i}"))).await;
        by_type.entry("aws_security_group").or_default().push(group);
        let key = create(
            &p,
            "aws_key_pair",
            &config(
                "aws_key_pair",
                vec![
                    ("key_name", s(&format!("k{i}"))),
                    ("public_key", s(PUBLIC_KEY)),
                ],
            ),
        )
        .await;
        by_type.entry("aws_key_pair").or_default().push(key);
        let eip = create(
            &p,
            "aws_eip",
            &config("aws_eip", vec![("domain", s("vpc"))]),
        )
        .await;
        by_type.entry("aws_eip").or_default().push(eip);
        let record = create(
            &p,
            "aws_route53_record",
            &config(
                "aws_route53_record",
                vec![
                    ("zone_id", s(&zone_id)),
                    ("name", s(&format!("n{i}.calls.test"))),
                    ("type", s("A")),
                    ("ttl", n(60)),
                    ("records", Value::set(vec![s(&format!("10.0.0.{i}"))])),
                ],
            ),
        )
        .await;
        by_type
            .entry("aws_route53_record")
            .or_default()
            .push(record);
    }

    let mut report = Vec::new();
    for (ty, states) in &by_type {
        let one = refresh_calls(&p, ty, &states[..1]).await;
        let all = refresh_calls(&p, ty, states).await;
        report.push(format!("{ty} x{}: {all:?}", states.len()));
        if *ty == "aws_vpc" {
            // DescribeVpcAttribute reads one attribute of one VPC: 3 per VPC (DNS support,
            // DNS hostnames, address-usage metrics); everything else is one call for all VPCs.
            let vpcs = states.len() as u64;
            assert_eq!(
                all.get("DescribeVpcAttribute"),
                Some(&(3 * vpcs)),
                "{all:?}"
            );
            assert!(
                all.iter()
                    .filter(|(op, _)| *op != "DescribeVpcAttribute")
                    .all(|(_, n)| *n == 1),
                "{all:?}"
            );
            continue;
        }
        assert_eq!(
            one,
            all,
            "{ty}: refreshing {} objects takes more calls than refreshing one",
            states.len()
        );
        assert!(
            total(&all) <= 2,
            "{ty}: a no-op refresh takes {} calls: {all:?}",
            total(&all)
        );
    }
    eprintln!("no-op refresh calls by type:\n  {}", report.join("\n  "));
}

#[tokio::test]
async fn route53_record_changes_share_a_change_batch() {
    let _m = moto();
    let p = Arc::new(provider());
    let zone = zone(&p, "batch.test").await;
    let zone_id = str_of(&zone, "zone_id");
    const RECORDS: usize = 20;
    let before = p.api_call_counts();
    let creates = (0..RECORDS)
        .map(|i| {
            let cfg = config(
                "aws_route53_record",
                vec![
                    ("zone_id", s(&zone_id)),
                    ("name", s(&format!("n{i}"))),
                    ("type", s("A")),
                    ("ttl", n(60)),
                    ("records", Value::set(vec![s(&format!("10.1.0.{i}"))])),
                ],
            );
            (format!("aws_route53_record.n[{i}]"), cfg)
        })
        .collect();
    let states: Vec<Value> = create_at_once(&p, "aws_route53_record", creates)
        .await
        .into_iter()
        .map(|r| r.expect("create record"))
        .collect();
    let changes = calls_since(&p, "ChangeResourceRecordSets", &before);
    // Unbatched this would be one call per record; each create first reads the zone, so the
    // changes reach the batcher over a few windows.
    assert!(
        changes <= RECORDS as u64 / 4,
        "{RECORDS} records created at once took {changes} ChangeResourceRecordSets calls"
    );
    assert!(calls_since(&p, "GetChange", &before) <= RECORDS as u64 / 4);
    // Each create checks that its name is free; checks that arrive while a listing is in
    // flight share the next one. The zone's name is known from its create.
    let listings = calls_since(&p, "ListResourceRecordSets", &before);
    assert!(
        listings <= RECORDS as u64 / 2,
        "{RECORDS} record creates listed the zone {listings} times"
    );
    assert_eq!(calls_since(&p, "GetHostedZone", &before), 0);

    // Through the API: every record is there with its value.
    let sets = record_sets(&zone_id).await;
    for i in 0..RECORDS {
        let name = format!("n{i}.batch.test.");
        let set = sets
            .iter()
            .find(|r| r.name() == name)
            .unwrap_or_else(|| panic!("{name} missing"));
        assert_eq!(set.resource_records()[0].value(), format!("10.1.0.{i}"));
    }

    // Deleting them at once is batched too.
    let before = p.api_call_counts();
    delete_at_once(&p, "aws_route53_record", states).await;
    assert!(calls_since(&p, "ChangeResourceRecordSets", &before) <= RECORDS as u64 / 4);
    let listings = calls_since(&p, "ListResourceRecordSets", &before);
    assert!(
        listings <= RECORDS as u64 / 2,
        "{RECORDS} record deletes listed the zone {listings} times"
    );
    let left = record_sets(&zone_id).await;
    assert!(
        left.iter().all(|r| !r.name().starts_with('n')),
        "records left after delete"
    );
}

#[tokio::test]
async fn a_bad_change_fails_alone() {
    let _m = moto();
    let p = Arc::new(provider());
    let zone = zone(&p, "bad.test").await;
    let zone_id = str_of(&zone, "zone_id");
    // Three good records and one into a zone that does not exist, at the same moment.
    let creates = [&zone_id, &zone_id, &zone_id, &"ZNOSUCHZONE000".to_string()]
        .into_iter()
        .enumerate()
        .map(|(i, zone)| {
            let cfg = config(
                "aws_route53_record",
                vec![
                    ("zone_id", s(zone)),
                    ("name", s(&format!("r{i}.bad.test"))),
                    ("type", s("A")),
                    ("ttl", n(60)),
                    ("records", Value::set(vec![s("10.2.0.1")])),
                ],
            );
            (format!("aws_route53_record.r[{i}]"), cfg)
        })
        .collect();
    let results = create_at_once(&p, "aws_route53_record", creates).await;
    let mut ok = 0;
    for done in results.into_iter().enumerate() {
        match done {
            (3, Err(e)) => {
                let text = e.to_string();
                assert!(text.contains("aws_route53_record.r[3]"), "{text}");
                assert!(!text.contains('\n'), "{text}");
            }
            (3, Ok(v)) => panic!("a record in a missing zone was created: {v:?}"),
            (i, r) => {
                r.unwrap_or_else(|e| panic!("record {i} failed: {e}"));
                ok += 1;
            }
        }
    }
    assert_eq!(ok, 3);
}

#[tokio::test]
async fn instances_of_one_ami_look_up_its_root_device_once() {
    let _m = moto();
    let p = Arc::new(provider());
    let ami = ubuntu(&p).await;
    const INSTANCES: usize = 6;
    let before = p.api_call_counts();
    // Launched at the same moment: the first lookup is shared, not repeated.
    let creates = (0..INSTANCES)
        .map(|i| {
            let cfg = config(
                "aws_instance",
                vec![
                    ("ami", s(&ami)),
                    ("instance_type", s("t3.micro")),
                    ("root_block_device", root_volume(10 + i as i64)),
                ],
            );
            (format!("aws_instance.n[{i}]"), cfg)
        })
        .collect();
    let states: Vec<Value> = create_at_once(&p, "aws_instance", creates)
        .await
        .into_iter()
        .map(|r| r.expect("create instance"))
        .collect();
    let ids: Vec<String> = states.iter().map(|s| str_of(s, "id")).collect();
    assert_eq!(calls_since(&p, "RunInstances", &before), INSTANCES as u64);
    assert_eq!(
        calls_since(&p, "DescribeImages", &before),
        1,
        "{INSTANCES} instances of one AMI"
    );
    // The waits for `running` poll together, and what the wait saw is the read-back: at most
    // one DescribeInstances (and one DescribeVolumes) per instance, not a wait plus a read.
    for op in ["DescribeInstances", "DescribeVolumes"] {
        let n = calls_since(&p, op, &before);
        assert!(n <= INSTANCES as u64, "{INSTANCES} instances: {n} {op}");
    }
    // One more, later: still cached.
    let again = p.api_call_counts();
    let cfg = config(
        "aws_instance",
        vec![
            ("ami", s(&ami)),
            ("instance_type", s("t3.micro")),
            ("root_block_device", root_volume(8)),
        ],
    );
    let planned = plan(&p, "aws_instance", None, &cfg).await.planned;
    apply(&p, "aws_instance", None, Some(&planned))
        .await
        .expect("create instance");
    assert_eq!(calls_since(&p, "DescribeImages", &again), 0);

    // The cached device name is the AMI's: every root volume is attached there.
    let images = ec2()
        .await
        .describe_images()
        .image_ids(&ami)
        .send()
        .await
        .unwrap();
    let device = images.images()[0].root_device_name().unwrap().to_string();
    let seen = ec2()
        .await
        .describe_instances()
        .set_instance_ids(Some(ids.clone()))
        .send()
        .await
        .unwrap();
    let instances: Vec<_> = seen
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .collect();
    assert_eq!(instances.len(), INSTANCES);
    for i in instances {
        assert_eq!(i.root_device_name(), Some(device.as_str()));
        assert!(
            i.block_device_mappings()
                .iter()
                .any(|m| m.device_name() == Some(device.as_str())),
            "no volume at the root device {device}: {:?}",
            i.block_device_mappings()
        );
    }

    // Deleted at the same moment: terminations that arrive while one is in flight go out as
    // one call, and the waits for `terminated` poll together.
    let before = p.api_call_counts();
    delete_at_once(&p, "aws_instance", states).await;
    let terminations = calls_since(&p, "TerminateInstances", &before);
    assert!(
        terminations < INSTANCES as u64,
        "{INSTANCES} deletes took {terminations} TerminateInstances"
    );
    let polls = calls_since(&p, "DescribeInstances", &before);
    assert!(
        polls <= INSTANCES as u64,
        "{INSTANCES} deletes: {polls} polls"
    );
    let seen = ec2()
        .await
        .describe_instances()
        .set_instance_ids(Some(ids))
        .send()
        .await
        .unwrap();
    for i in seen.reservations().iter().flat_map(|r| r.instances()) {
        assert_eq!(
            i.state().and_then(|s| s.name()).map(|n| n.as_str()),
            Some("terminated"),
            "{:?}",
            i.instance_id()
        );
    }
}

#[tokio::test]
async fn a_record_create_lists_its_name_once_and_refuses_an_existing_one() {
    let _m = moto();
    let p = provider();
    let zone = zone(&p, "once.test").await;
    let zone_id = str_of(&zone, "zone_id");
    let record = |name: &str, value: &str| {
        config(
            "aws_route53_record",
            vec![
                ("zone_id", s(&zone_id)),
                ("name", s(name)),
                ("type", s("A")),
                ("ttl", n(60)),
                ("records", Value::set(vec![s(value)])),
            ],
        )
    };
    let before = p.api_call_counts();
    let planned = plan(&p, "aws_route53_record", None, &record("www", "10.3.0.1"))
        .await
        .planned;
    let state = apply(&p, "aws_route53_record", None, Some(&planned))
        .await
        .expect("create record");
    assert_eq!(
        calls_since(&p, "ListResourceRecordSets", &before),
        1,
        "{:?}",
        p.api_call_counts()
    );
    assert_eq!(calls_since(&p, "ChangeResourceRecordSets", &before), 1);
    // What apply returned is what a read finds.
    assert_eq!(str_of(&state, "fqdn"), "www.once.test");
    assert_eq!(str_of(&state, "id"), format!("{zone_id}_www.once.test_A"));
    let read = p
        .read("aws_route53_record", &state)
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(read, state, "a relative record name reads as drift");
    let again = plan(
        &p,
        "aws_route53_record",
        Some(&read),
        &record("www", "10.3.0.1"),
    )
    .await;
    assert_eq!(again.planned, read, "re-plan of a relative record name");

    // The same name and type again (other values) is refused, and so is a name that sorts
    // right after an existing one only if it really exists: `www2` is created.
    let planned = plan(&p, "aws_route53_record", None, &record("www", "10.3.0.2"))
        .await
        .planned;
    let err = apply(&p, "aws_route53_record", None, Some(&planned))
        .await
        .expect_err("a second www A record");
    assert!(err.to_string().contains("already exists"), "{err}");
    let planned = plan(&p, "aws_route53_record", None, &record("www2", "10.3.0.3"))
        .await
        .planned;
    apply(&p, "aws_route53_record", None, Some(&planned))
        .await
        .expect("create www2");
    let sets = record_sets(&zone_id).await;
    let www: Vec<_> = sets
        .iter()
        .filter(|r| r.name().starts_with("www"))
        .map(|r| {
            (
                r.name().to_string(),
                r.resource_records()[0].value().to_string(),
            )
        })
        .collect();
    assert_eq!(
        www,
        [
            ("www.once.test.".to_string(), "10.3.0.1".to_string()),
            ("www2.once.test.".to_string(), "10.3.0.3".to_string()),
        ]
    );
}
