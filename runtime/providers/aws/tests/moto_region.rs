//! v6's per-resource `region` argument: every regional type accepts it; the provider's own
//! region works and is what the state records (also when the argument is left out); another
//! region is refused before any API call, with the provider alias to use instead.

mod support;

use support::*;

#[tokio::test]
async fn the_providers_region_is_accepted_and_recorded_and_another_is_refused() {
    let _m = moto();
    let p = provider();
    // Left out: the state records the provider's region.
    let plain = create(
        &p,
        "aws_vpc",
        &config("aws_vpc", vec![("cidr_block", s("10.60.0.0/16"))]),
    )
    .await;
    assert_eq!(str_of(&plain, "region"), "us-east-1");
    // Set to the provider's region: the same.
    let same = config(
        "aws_vpc",
        vec![
            ("cidr_block", s("10.61.0.0/16")),
            ("region", s("us-east-1")),
        ],
    );
    assert!(p.validate("aws_vpc", &same).is_empty());
    let created = create(&p, "aws_vpc", &same).await;
    assert_eq!(str_of(&created, "region"), "us-east-1");
    let read = p.read("aws_vpc", &created).await.unwrap().unwrap();
    assert_eq!(plan(&p, "aws_vpc", Some(&read), &same).await.planned, read);

    // Another region: refused at validation, naming the alias to use, and at apply.
    let other = config(
        "aws_vpc",
        vec![
            ("cidr_block", s("10.62.0.0/16")),
            ("region", s("eu-west-1")),
        ],
    );
    let errors = p.validate("aws_vpc", &other);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains("eu-west-1") && errors[0].contains("provider = aws.eu_west_1"),
        "{errors:?}"
    );
    let planned = plan(&p, "aws_vpc", None, &other).await.planned;
    let before = ec2()
        .await
        .describe_vpcs()
        .send()
        .await
        .unwrap()
        .vpcs()
        .len();
    assert!(apply(&p, "aws_vpc", None, Some(&planned)).await.is_err());
    // Refused before any call: nothing was made in the provider's region either.
    let after = ec2()
        .await
        .describe_vpcs()
        .send()
        .await
        .unwrap()
        .vpcs()
        .len();
    assert_eq!(after, before);
}
