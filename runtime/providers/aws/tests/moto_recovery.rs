//! The creation protocol against moto: every create sends the engine's idempotency token with
//! the create call itself (a `skel:token` tag in `TagSpecifications`, `ClientToken` for
//! instances, the `CallerReference` of a zone, the suffix of a generated name), and recovery
//! finds exactly the object that token made — not another object at the same address, and
//! "nothing" only when nothing carries the token.

mod support;

use support::*;

const TOKEN: &str = "3b0c8a54-7c1e-4d7a-9f3e-2a1b0c9d8e7f";
const OTHER: &str = "9f9f9f9f-0000-4000-8000-000000000000";

async fn create_with(
    p: &AwsProvider,
    ty: &str,
    config: &Value,
    address: &str,
    token: &str,
) -> Value {
    let planned = plan(p, ty, None, config).await.planned;
    p.apply(ApplyRequest {
        type_name: ty,
        prior: None,
        planned: Some(&planned),
        address,
        token: Some(token),
    })
    .await
    .expect("create")
}

async fn recover(
    p: &AwsProvider,
    ty: &str,
    config: &Value,
    address: &str,
    token: Option<&str>,
) -> Result<Option<Value>, ProviderError> {
    let planned = plan(p, ty, None, config).await.planned;
    p.recover(skel_provider::RecoverRequest {
        type_name: ty,
        planned: &planned,
        address,
        token,
    })
    .await
}

#[tokio::test]
async fn a_token_finds_exactly_the_object_its_create_made() {
    let _m = moto();
    let p = provider();
    let ec2 = ec2().await;

    // Two VPCs at the same address (another working copy applied the same configuration):
    // the token tells them apart.
    let cfg = config("aws_vpc", vec![("cidr_block", s("10.7.0.0/16"))]);
    let ours = create_with(&p, "aws_vpc", &cfg, "aws_vpc.main", TOKEN).await;
    let theirs = create_with(&p, "aws_vpc", &cfg, "aws_vpc.main", OTHER).await;
    let found = recover(&p, "aws_vpc", &cfg, "aws_vpc.main", Some(TOKEN))
        .await
        .unwrap()
        .expect("found by token");
    assert_eq!(str_of(&found, "id"), str_of(&ours, "id"));
    // Read back completely: what was unknown at plan time is there.
    assert!(found.is_known(), "{found:?}");
    assert_eq!(
        str_of(&found, "main_route_table_id"),
        str_of(&ours, "main_route_table_id")
    );
    let tagged = ec2
        .describe_vpcs()
        .vpc_ids(str_of(&ours, "id"))
        .send()
        .await
        .unwrap();
    let tags = tagged.vpcs()[0].tags();
    assert_eq!(
        tag_of(tags, "skel:token").as_deref(),
        Some(TOKEN),
        "tagged by the create call"
    );
    assert_eq!(
        tag_of(tags, "skel:address").as_deref(),
        Some("aws_vpc.main")
    );

    // A token nothing carries: positively nothing, although the address has two objects.
    let none = recover(
        &p,
        "aws_vpc",
        &cfg,
        "aws_vpc.main",
        Some("00000000-dead-4000-8000-000000000000"),
    )
    .await
    .unwrap();
    assert_eq!(none, None);

    // A journal without a token (an older skelc) falls back to the address, and with two
    // candidates refuses to guess, naming both and the import command.
    let err = recover(&p, "aws_vpc", &cfg, "aws_vpc.main", None)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&str_of(&ours, "id")) && err.contains(&str_of(&theirs, "id")),
        "{err}"
    );
    assert!(err.contains("skelc import aws_vpc.main ID"), "{err}");
}

#[tokio::test]
async fn instances_send_the_token_as_client_token_and_are_found_by_it() {
    let _m = moto();
    let p = provider();
    let ami = ubuntu(&p).await;
    let cfg = config(
        "aws_instance",
        vec![("ami", s(&ami)), ("instance_type", s("t3.micro"))],
    );
    let made = create_with(&p, "aws_instance", &cfg, "aws_instance.node[0]", TOKEN).await;
    let _other = create_with(&p, "aws_instance", &cfg, "aws_instance.node[0]", OTHER).await;
    let ec2 = ec2().await;
    let out = ec2
        .describe_instances()
        .instance_ids(str_of(&made, "id"))
        .send()
        .await
        .unwrap();
    let instance = &out.reservations()[0].instances()[0];
    assert_eq!(instance.client_token(), Some(TOKEN));
    let found = recover(
        &p,
        "aws_instance",
        &cfg,
        "aws_instance.node[0]",
        Some(TOKEN),
    )
    .await
    .unwrap()
    .expect("found");
    assert_eq!(str_of(&found, "id"), str_of(&made, "id"));
    assert!(
        !str_of(&found, "private_ip").is_empty(),
        "addresses read back: {found:?}"
    );
}

#[tokio::test]
async fn a_zone_is_found_by_its_caller_reference_even_before_it_is_tagged() {
    let _m = moto();
    let p = provider();
    let r53 = r53().await;
    // The zone as a create killed right after CreateHostedZone leaves it: no tags yet.
    r53.create_hosted_zone()
        .name("crash.example")
        .caller_reference(TOKEN)
        .send()
        .await
        .unwrap();
    r53.create_hosted_zone()
        .name("crash.example")
        .caller_reference(OTHER)
        .send()
        .await
        .unwrap();
    let cfg = config("aws_route53_zone", vec![("name", s("crash.example"))]);
    let found = recover(
        &p,
        "aws_route53_zone",
        &cfg,
        "aws_route53_zone.main",
        Some(TOKEN),
    )
    .await
    .unwrap()
    .expect("found by caller reference");
    let zones = r53.list_hosted_zones().send().await.unwrap();
    let ours = zones
        .hosted_zones()
        .iter()
        .find(|z| z.caller_reference() == TOKEN)
        .unwrap();
    assert_eq!(
        str_of(&found, "zone_id"),
        ours.id().trim_start_matches("/hostedzone/")
    );
    let none = recover(
        &p,
        "aws_route53_zone",
        &cfg,
        "aws_route53_zone.main",
        Some("nothing"),
    )
    .await
    .unwrap();
    assert_eq!(none, None);
}

#[tokio::test]
async fn generated_names_derive_from_the_token() {
    let _m = moto();
    let p = provider();
    let vpc = vpc(&p, "10.8.0.0/16").await;
    let cfg = config(
        "aws_security_group",
        vec![
            ("name_prefix", s("web-")),
            ("vpc_id", s(&str_of(&vpc, "id"))),
        ],
    );
    let made = create_with(
        &p,
        "aws_security_group",
        &cfg,
        "aws_security_group.web",
        TOKEN,
    )
    .await;
    assert_eq!(
        str_of(&made, "name"),
        format!("web-{}", &TOKEN.replace('-', "")[..26])
    );
    let found = recover(
        &p,
        "aws_security_group",
        &cfg,
        "aws_security_group.web",
        Some(TOKEN),
    )
    .await
    .unwrap()
    .expect("found");
    assert_eq!(str_of(&found, "id"), str_of(&made, "id"));

    let key = config(
        "aws_key_pair",
        vec![
            ("key_name_prefix", s("deployer-")),
            (
                "public_key",
                s("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAID6OBvzQ/91A2z/Trx9IB5QbSXD3fXbBBhMjT5T24b+2 t"),
            ),
        ],
    );
    let made = create_with(&p, "aws_key_pair", &key, "aws_key_pair.d", TOKEN).await;
    let found = recover(&p, "aws_key_pair", &key, "aws_key_pair.d", Some(TOKEN))
        .await
        .unwrap()
        .expect("found");
    assert_eq!(str_of(&found, "key_name"), str_of(&made, "key_name"));
    assert_eq!(
        recover(&p, "aws_key_pair", &key, "aws_key_pair.d", Some(OTHER))
            .await
            .unwrap(),
        None
    );
    // Without a token a generated name cannot be computed again: an error, not "nothing".
    let err = recover(&p, "aws_key_pair", &key, "aws_key_pair.d", None)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("skelc import aws_key_pair.d"),
        "{err}"
    );
}
