//! API calls counted (through the provider's SDK interceptor) against moto: a no-op refresh
//! reads each resource type with a fixed number of calls whatever the number of objects, at
//! most two per type (VPCs aside: their DNS attributes are one call per VPC and attribute), and
//! Route 53 record changes made at the same time go out as one change batch.

mod support;

use std::sync::Arc;

use support::*;

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
    let zone = create(
        &p,
        "aws_route53_zone",
        &config(
            "aws_route53_zone",
            vec![
                ("name", s("calls.test")),
                ("force_destroy", Value::Bool(true)),
            ],
        ),
    )
    .await;
    let zone_id = str_of(&zone, "zone_id");
    by_type.insert("aws_route53_zone", vec![zone]);
    for i in 0..3 {
        let subnet = create(
            &p,
            "aws_subnet",
            &config(
                "aws_subnet",
                vec![
                    ("vpc_id", s(&vpc_id)),
                    ("cidr_block", s(&format!("10.40.{i}.0/24"))),
                    ("availability_zone", s("us-east-1a")),
                ],
            ),
        )
        .await;
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
            // DescribeVpcAttribute reads one attribute of one VPC: 2 per VPC; everything else
            // is one call for all VPCs.
            let vpcs = states.len() as u64;
            assert_eq!(
                all.get("DescribeVpcAttribute"),
                Some(&(2 * vpcs)),
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
    let zone = create(
        &p,
        "aws_route53_zone",
        &config(
            "aws_route53_zone",
            vec![
                ("name", s("batch.test")),
                ("force_destroy", Value::Bool(true)),
            ],
        ),
    )
    .await;
    let zone_id = str_of(&zone, "zone_id");
    const RECORDS: usize = 20;
    let before = p.api_call_counts();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..RECORDS {
        let (p, zone_id) = (p.clone(), zone_id.clone());
        tasks.spawn(async move {
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
            let planned = plan(&p, "aws_route53_record", None, &cfg).await.planned;
            p.apply(ApplyRequest {
                type_name: "aws_route53_record",
                prior: None,
                planned: Some(&planned),
                address: &format!("aws_route53_record.n[{i}]"),
            })
            .await
            .expect("create record")
        });
    }
    let mut states = Vec::new();
    while let Some(done) = tasks.join_next().await {
        states.push(done.expect("task"));
    }
    let delta = |op: &str, before: &BTreeMap<String, u64>| {
        p.api_calls(op) - before.get(op).copied().unwrap_or(0)
    };
    let changes = delta("ChangeResourceRecordSets", &before);
    // Unbatched this would be one call per record; each create first reads the zone, so the
    // changes reach the batcher over a few windows.
    assert!(
        changes <= RECORDS as u64 / 4,
        "{RECORDS} records created at once took {changes} ChangeResourceRecordSets calls"
    );
    assert!(delta("GetChange", &before) <= RECORDS as u64 / 4);

    // Through the API: every record is there with its value.
    let sets = r53()
        .await
        .list_resource_record_sets()
        .hosted_zone_id(&zone_id)
        .send()
        .await
        .unwrap();
    for i in 0..RECORDS {
        let name = format!("n{i}.batch.test.");
        let set = sets
            .resource_record_sets()
            .iter()
            .find(|r| r.name() == name)
            .unwrap_or_else(|| panic!("{name} missing"));
        assert_eq!(set.resource_records()[0].value(), format!("10.1.0.{i}"));
    }

    // Deleting them at once is batched too.
    let before = p.api_call_counts();
    let mut tasks = tokio::task::JoinSet::new();
    for state in states {
        let p = p.clone();
        tasks.spawn(async move {
            p.apply(ApplyRequest {
                type_name: "aws_route53_record",
                prior: Some(&state),
                planned: None,
                address: "aws_route53_record.n",
            })
            .await
            .expect("delete record")
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("task");
    }
    assert!(delta("ChangeResourceRecordSets", &before) <= RECORDS as u64 / 4);
    let left = r53()
        .await
        .list_resource_record_sets()
        .hosted_zone_id(&zone_id)
        .send()
        .await
        .unwrap();
    assert!(
        left.resource_record_sets()
            .iter()
            .all(|r| !r.name().starts_with('n')),
        "records left after delete"
    );
}

#[tokio::test]
async fn a_bad_change_fails_alone() {
    let _m = moto();
    let p = Arc::new(provider());
    let zone = create(
        &p,
        "aws_route53_zone",
        &config(
            "aws_route53_zone",
            vec![
                ("name", s("bad.test")),
                ("force_destroy", Value::Bool(true)),
            ],
        ),
    )
    .await;
    let zone_id = str_of(&zone, "zone_id");
    // Three good records and one into a zone that does not exist, at the same moment.
    let mut tasks = tokio::task::JoinSet::new();
    for (i, zone) in [&zone_id, &zone_id, &zone_id, &"ZNOSUCHZONE000".to_string()]
        .into_iter()
        .enumerate()
    {
        let (p, zone) = (p.clone(), zone.clone());
        tasks.spawn(async move {
            let cfg = config(
                "aws_route53_record",
                vec![
                    ("zone_id", s(&zone)),
                    ("name", s(&format!("r{i}.bad.test"))),
                    ("type", s("A")),
                    ("ttl", n(60)),
                    ("records", Value::set(vec![s("10.2.0.1")])),
                ],
            );
            let planned = plan(&p, "aws_route53_record", None, &cfg).await.planned;
            let r = p
                .apply(ApplyRequest {
                    type_name: "aws_route53_record",
                    prior: None,
                    planned: Some(&planned),
                    address: &format!("aws_route53_record.r[{i}]"),
                })
                .await;
            (i, r)
        });
    }
    let mut ok = 0;
    while let Some(done) = tasks.join_next().await {
        match done.expect("task") {
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
