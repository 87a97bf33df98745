//! The IAM/STS data sources through the provider against moto, checked against the API's own
//! answer: `aws_caller_identity` (one GetCallerIdentity call), `aws_partition` and
//! `aws_region` (no call at all), `aws_iam_policy_document` (rendered locally, accepted by
//! IAM as a role's trust policy).

mod support;

use support::*;

/// A data source's configuration as the engine gives it: every attribute (null unless set)
/// and every block (empty unless set).
fn data_config(ty: &str, values: Vec<(&str, Value)>) -> Value {
    let schema = skel_schema::data_source(ty).expect("schema");
    let mut m = ValueMap::new();
    for (name, attr) in &schema.block.attributes {
        if attr.is_argument() {
            m.insert(name.clone(), Value::Null);
        }
    }
    for name in schema.block.blocks.keys() {
        m.insert(name.clone(), Value::List(Vec::new()));
    }
    for (k, v) in values {
        m.insert(k.to_string(), v);
    }
    Value::Object(m)
}

async fn sts() -> aws_sdk_sts::Client {
    let cfg = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await;
    aws_sdk_sts::Client::new(&cfg)
}

#[tokio::test]
async fn caller_identity_is_the_api_answer_in_one_call() {
    let _m = moto();
    let p = provider();
    let before = p.api_call_counts();
    let got = p
        .read_data(
            "aws_caller_identity",
            &data_config("aws_caller_identity", vec![]),
        )
        .await
        .expect("read");
    assert_eq!(calls_since(&p, "GetCallerIdentity", &before), 1);
    let truth = sts().await.get_caller_identity().send().await.expect("sts");
    let account = truth.account().unwrap();
    assert_eq!(account.len(), 12, "{truth:?}");
    assert_eq!(str_of(&got, "account_id"), account);
    assert_eq!(str_of(&got, "id"), account);
    assert_eq!(str_of(&got, "arn"), truth.arn().unwrap());
    assert_eq!(str_of(&got, "user_id"), truth.user_id().unwrap());
}

#[tokio::test]
async fn partition_and_region_need_no_call() {
    let _m = moto();
    let p = provider();
    let before = p.api_call_counts();
    let part = p
        .read_data("aws_partition", &data_config("aws_partition", vec![]))
        .await
        .expect("partition");
    assert_eq!(str_of(&part, "partition"), "aws");
    assert_eq!(str_of(&part, "id"), "aws");
    assert_eq!(str_of(&part, "dns_suffix"), "amazonaws.com");
    assert_eq!(str_of(&part, "reverse_dns_prefix"), "com.amazonaws");

    let here = p
        .read_data("aws_region", &data_config("aws_region", vec![]))
        .await
        .expect("region");
    for attr in ["region", "name", "id"] {
        assert_eq!(str_of(&here, attr), "us-east-1", "{attr}");
    }
    assert_eq!(str_of(&here, "endpoint"), "ec2.us-east-1.amazonaws.com");
    assert_eq!(str_of(&here, "description"), "US East (N. Virginia)");

    // Another region by `region`, by the deprecated `name`, by `endpoint`.
    for (arg, value) in [
        ("region", "eu-west-1"),
        ("name", "eu-west-1"),
        ("endpoint", "ec2.eu-west-1.amazonaws.com"),
    ] {
        let other = p
            .read_data(
                "aws_region",
                &data_config("aws_region", vec![(arg, s(value))]),
            )
            .await
            .expect("region");
        assert_eq!(str_of(&other, "region"), "eu-west-1", "{arg}");
        assert_eq!(str_of(&other, "name"), "eu-west-1", "{arg}");
        assert_eq!(str_of(&other, "description"), "Europe (Ireland)", "{arg}");
        assert_eq!(str_of(&other, "endpoint"), "ec2.eu-west-1.amazonaws.com");
    }
    assert!(
        p.api_call_counts().values().sum::<u64>() == before.values().sum::<u64>(),
        "partition and region made calls: {:?}",
        p.api_call_counts()
    );

    // Contradictions and nonsense are clear errors.
    let e = p
        .read_data(
            "aws_region",
            &data_config(
                "aws_region",
                vec![
                    ("region", s("us-west-2")),
                    ("endpoint", s("ec2.eu-west-1.amazonaws.com")),
                ],
            ),
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("endpoint of eu-west-1"), "{e}");
    let e = p
        .read_data(
            "aws_region",
            &data_config("aws_region", vec![("region", s("mars"))]),
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("\"mars\" is not a region name"), "{e}");
}

#[tokio::test]
async fn a_rendered_policy_document_is_accepted_by_iam() {
    let _m = moto();
    let p = provider();
    let statement = obj(vec![
        ("sid", s("Trust")),
        ("effect", Value::Null),
        ("actions", Value::set(vec![s("sts:AssumeRole")])),
        ("not_actions", Value::Null),
        ("resources", Value::Null),
        ("not_resources", Value::Null),
        (
            "principals",
            Value::set(vec![obj(vec![
                ("type", s("Service")),
                ("identifiers", Value::set(vec![s("ec2.amazonaws.com")])),
            ])]),
        ),
        ("not_principals", Value::set(vec![])),
        ("condition", Value::set(vec![])),
    ]);
    let before = p.api_call_counts();
    let doc = p
        .read_data(
            "aws_iam_policy_document",
            &data_config(
                "aws_iam_policy_document",
                vec![("statement", Value::List(vec![statement]))],
            ),
        )
        .await
        .expect("render");
    assert_eq!(p.api_call_counts(), before, "rendering made calls");
    let json = str_of(&doc, "json");
    assert_eq!(
        json,
        "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Sid\": \"Trust\",\n      \"Effect\": \"Allow\",\n      \"Action\": \"sts:AssumeRole\",\n      \"Principal\": {\n        \"Service\": \"ec2.amazonaws.com\"\n      }\n    }\n  ]\n}"
    );
    assert_eq!(
        str_of(&doc, "minified_json"),
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"Trust","Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"ec2.amazonaws.com"}}]}"#
    );
    assert!(str_of(&doc, "id").parse::<u32>().is_ok(), "{doc:?}");
    assert_eq!(str_of(&doc, "version"), "2012-10-17");
    // IAM takes it as a trust policy and gives it back.
    let cfg = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await;
    let iam = aws_sdk_iam::Client::new(&cfg);
    iam.create_role()
        .role_name("from-document")
        .assume_role_policy_document(&json)
        .send()
        .await
        .expect("CreateRole with the rendered document");
    let role = iam
        .get_role()
        .role_name("from-document")
        .send()
        .await
        .expect("GetRole");
    let back = role
        .role()
        .and_then(|r| r.assume_role_policy_document())
        .unwrap();
    assert!(
        back.contains("sts") && back.contains("ec2.amazonaws.com"),
        "{back}"
    );
}

/// The provider's `assume_role` blocks: every call is made with the assumed role's credentials
/// (moto answers GetCallerIdentity with the role the access key was issued for), and several
/// blocks chain, the last role being the one used.
#[tokio::test]
async fn provider_assume_role_blocks_are_the_credentials_used() {
    let _m = moto();
    let truth = sts().await.get_caller_identity().send().await.expect("sts");
    let account = truth.account().unwrap().to_string();
    let arn = |role: &str| format!("arn:aws:iam::{account}:role/{role}");
    let block = |role: &str, session: &str| {
        obj(vec![
            ("role_arn", s(&arn(role))),
            ("session_name", s(session)),
            ("external_id", s("ext-1")),
            ("duration", s("20m")),
            ("policy_arns", Value::Set(Vec::new())),
            ("tags", tags(&[("team", "infra")])),
        ])
    };
    let identity = |blocks: Vec<Value>| async move {
        let p =
            AwsProvider::new(&obj(vec![("assume_role", Value::List(blocks))])).expect("provider");
        p.read_data(
            "aws_caller_identity",
            &data_config("aws_caller_identity", vec![]),
        )
        .await
        .expect("read")
    };
    let one = identity(vec![block("deployer", "skel-one")]).await;
    assert_eq!(
        str_of(&one, "arn"),
        format!("arn:aws:sts::{account}:assumed-role/deployer/skel-one")
    );
    assert_eq!(str_of(&one, "account_id"), account);
    let chained = identity(vec![
        block("deployer", "skel-first"),
        block("admin", "skel-second"),
    ])
    .await;
    assert_eq!(
        str_of(&chained, "arn"),
        format!("arn:aws:sts::{account}:assumed-role/admin/skel-second")
    );
    // Without the block: the environment's own identity.
    let plain = identity(vec![]).await;
    assert_eq!(str_of(&plain, "arn"), truth.arn().unwrap());
    // A duration that is none: a configuration error, before any call.
    let bad = obj(vec![(
        "assume_role",
        Value::List(vec![obj(vec![
            ("role_arn", s(&arn("deployer"))),
            ("duration", s("forever")),
        ])]),
    )]);
    match AwsProvider::new(&bad) {
        Err(ProviderError::InvalidConfig(m)) => assert!(m.contains("duration"), "{m}"),
        Err(e) => panic!("{e:?}"),
        Ok(_) => panic!("accepted a bad duration"),
    }
}
