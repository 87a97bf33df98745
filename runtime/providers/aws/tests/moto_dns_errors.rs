//! Route 53 zones and records, the data sources, and error paths (invalid CIDR, unreachable
//! endpoint, an unimplemented call) against moto.

mod support;

use support::*;

#[tokio::test]
async fn route53_lifecycle() {
    let _m = moto();
    let p = provider();
    let sdk = r53().await;
    let zcfg = |comment: &str| {
        config(
            "aws_route53_zone",
            vec![
                ("name", s("example.test")),
                ("comment", s(comment)),
                ("force_destroy", Value::Bool(true)),
                ("tags", tags(&[("Env", "t")])),
            ],
        )
    };
    let zone = create(&p, "aws_route53_zone", &zcfg("one")).await;
    let zid = str_of(&zone, "zone_id");
    assert!(!get(&zone, "name_servers")
        .as_sequence()
        .unwrap_or(&[])
        .is_empty());
    let zone = update(&p, "aws_route53_zone", &zone, &zcfg("two")).await;
    let seen = sdk.get_hosted_zone().id(&zid).send().await.unwrap();
    assert_eq!(
        seen.hosted_zone()
            .and_then(|z| z.config())
            .and_then(|c| c.comment()),
        Some("two")
    );
    replace_and_import(
        &p,
        "aws_route53_zone",
        &zone,
        &config("aws_route53_zone", vec![("name", s("other.test"))]),
        "name",
    )
    .await;

    let rcfg = |ips: &[&str], ttl: i64| {
        config(
            "aws_route53_record",
            vec![
                ("zone_id", s(&zid)),
                ("name", s("www.example.test")),
                ("type", s("A")),
                ("ttl", n(ttl)),
                ("records", Value::set(ips.iter().map(|i| s(i)).collect())),
            ],
        )
    };
    let rec = create(
        &p,
        "aws_route53_record",
        &rcfg(&["10.0.0.1", "10.0.0.2"], 60),
    )
    .await;
    assert_eq!(str_of(&rec, "fqdn"), "www.example.test");
    let rec = update(&p, "aws_route53_record", &rec, &rcfg(&["10.0.0.3"], 300)).await;
    let sets = record_sets(&zid).await;
    let www: Vec<_> = sets
        .iter()
        .filter(|r| r.name().starts_with("www"))
        .collect();
    assert_eq!(www.len(), 1);
    assert_eq!(www[0].ttl(), Some(300));
    assert_eq!(www[0].resource_records()[0].value(), "10.0.0.3");
    let mut renamed = rcfg(&["10.0.0.3"], 300);
    if let Value::Object(m) = &mut renamed {
        m.insert("name".into(), s("api.example.test"));
    }
    replace_and_import(&p, "aws_route53_record", &rec, &renamed, "name").await;
    let imported = p
        .import("aws_route53_record", &format!("{zid}_www.example.test_A"))
        .await
        .unwrap();
    assert_eq!(get(&imported, "ttl"), &n(300));
    destroy(&p, "aws_route53_record", &rec).await;
    let rec2 = create(&p, "aws_route53_record", &rcfg(&["10.0.0.9"], 60)).await;
    // The zone is deleted with its remaining record (force_destroy).
    destroy(&p, "aws_route53_zone", &zone).await;
    assert_eq!(p.read("aws_route53_record", &rec2).await.unwrap(), None);
    assert!(sdk.get_hosted_zone().id(&zid).send().await.is_err());
}

#[tokio::test]
async fn data_sources() {
    let _m = moto();
    let p = provider();
    let zones = p
        .read_data(
            "aws_availability_zones",
            &obj(vec![("state", s("available"))]),
        )
        .await
        .unwrap();
    let names = get(&zones, "names").as_sequence().unwrap().to_vec();
    assert!(
        names.contains(&s("us-east-1a")) && names.contains(&s("us-east-1b")),
        "{names:?}"
    );
    assert!(ubuntu(&p).await.starts_with("ami-"));
    let none = obj(vec![
        ("owners", Value::List(vec![s("099720109477")])),
        (
            "filter",
            Value::set(vec![obj(vec![
                ("name", s("name")),
                ("values", Value::List(vec![s("no-such-image-*")])),
            ])]),
        ),
    ]);
    let err = p.read_data("aws_ami", &none).await.unwrap_err();
    assert!(err.to_string().contains("no image matches"), "{err}");
}

#[tokio::test]
async fn invalid_cidr_is_a_clean_error() {
    let _m = moto();
    let p = provider();
    let cfg = config("aws_vpc", vec![("cidr_block", s("10.0.0.0/33"))]);
    let problems = p.validate("aws_vpc", &cfg);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains("not an IPv4 CIDR block"));
    // The API's own answer is also a one-line error naming the resource.
    let cfg = config("aws_vpc", vec![("cidr_block", s("10.0.0.0/8"))]);
    let planned = plan(&p, "aws_vpc", None, &cfg).await.planned;
    let err = apply(&p, "aws_vpc", None, Some(&planned))
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("aws_vpc.test") && text.contains("InvalidVpc.Range"),
        "{text}"
    );
    assert!(!text.contains('\n'));
}

#[tokio::test]
async fn unreachable_endpoint_fails_fast() {
    let _m = moto();
    // A port nothing listens on.
    let free = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let p =
        AwsProvider::with_endpoint_url(&Value::Null, &format!("http://127.0.0.1:{free}")).unwrap();
    let started = Instant::now();
    let state = obj(vec![("id", s("vpc-12345678"))]);
    let err = p.read("aws_vpc", &state).await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "took {:?}",
        started.elapsed()
    );
    assert!(matches!(err, ProviderError::Unreachable(_)), "{err:?}");
    assert!(err.to_string().contains("cannot be reached"), "{err}");
}

#[tokio::test]
async fn unimplemented_call_is_named() {
    let _m = moto();
    let p = provider();
    // moto answers HTTP 500 with an HTML body for calls it does not implement.
    let sdk = ec2().await;
    let r = sdk
        .monitor_instances()
        .instance_ids("i-12345678")
        .send()
        .await;
    let e = skel_provider_aws::error::AwsErr::from(r.unwrap_err())
        .into_provider("updating aws_instance.x");
    let text = e.to_string();
    assert!(
        text.starts_with("updating aws_instance.x: the endpoint answered HTTP 500"),
        "{text}"
    );
    assert!(!text.contains('\n'));
    drop(p);
}
