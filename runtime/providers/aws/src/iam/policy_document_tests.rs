//! `aws_iam_policy_document` against the outputs the Terraform AWS provider documents (its
//! examples' `json`, less the `"Sid": ""` lines v5.0.0 stopped writing), and the rules of
//! rendering one at a time.

use super::*;

fn obj(pairs: Vec<(&str, Value)>) -> Value {
    Value::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

fn strs(items: &[&str]) -> Value {
    Value::List(items.iter().map(|s| Value::string(*s)).collect())
}

fn set(items: &[&str]) -> Value {
    Value::set(items.iter().map(|s| Value::string(*s)).collect())
}

fn stmt(pairs: Vec<(&str, Value)>) -> Value {
    obj(pairs)
}

fn doc(pairs: Vec<(&str, Value)>) -> Value {
    obj(pairs)
}

fn json_of(config: &Value) -> String {
    let out = read(config).expect("render");
    out.get("json").and_then(Value::as_str).unwrap().to_string()
}

fn docs(texts: &[&str]) -> Value {
    strs(texts)
}

fn simple(sid: &str, actions: &[&str], effect: &str) -> Value {
    let mut s = vec![("actions", set(actions)), ("resources", set(&["*"]))];
    if !sid.is_empty() {
        s.push(("sid", Value::string(sid)));
    }
    if !effect.is_empty() {
        s.push(("effect", Value::string(effect)));
    }
    doc(vec![("statement", Value::List(vec![stmt(s)]))])
}

#[test]
fn multiple_condition_keys() {
    let config = doc(vec![(
        "statement",
        Value::List(vec![stmt(vec![
            ("actions", set(&["kms:Decrypt", "kms:GenerateDataKey"])),
            ("resources", set(&["*"])),
            (
                "condition",
                Value::set(vec![
                    obj(vec![
                        ("test", Value::string("ForAnyValue:StringEquals")),
                        ("variable", Value::string("kms:EncryptionContext:service")),
                        ("values", strs(&["pi"])),
                    ]),
                    obj(vec![
                        ("test", Value::string("ForAnyValue:StringEquals")),
                        (
                            "variable",
                            Value::string("kms:EncryptionContext:aws:pi:service"),
                        ),
                        ("values", strs(&["rds"])),
                    ]),
                ]),
            ),
        ])]),
    )]);
    assert_eq!(
        json_of(&config),
        r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": [
        "kms:GenerateDataKey",
        "kms:Decrypt"
      ],
      "Resource": "*",
      "Condition": {
        "ForAnyValue:StringEquals": {
          "kms:EncryptionContext:aws:pi:service": "rds",
          "kms:EncryptionContext:service": "pi"
        }
      }
    }
  ]
}"#
    );
}

#[test]
fn a_source_document_statement_is_replaced_by_sid() {
    let source = json_of(&doc(vec![(
        "statement",
        Value::List(vec![
            stmt(vec![
                ("actions", set(&["ec2:*"])),
                ("resources", set(&["*"])),
            ]),
            stmt(vec![
                ("sid", Value::string("SidToOverride")),
                ("actions", set(&["s3:*"])),
                ("resources", set(&["*"])),
            ]),
        ]),
    )]));
    let config = doc(vec![
        ("source_policy_documents", docs(&[&source])),
        (
            "statement",
            Value::List(vec![stmt(vec![
                ("sid", Value::string("SidToOverride")),
                ("actions", set(&["s3:*"])),
                (
                    "resources",
                    set(&["arn:aws:s3:::somebucket", "arn:aws:s3:::somebucket/*"]),
                ),
            ])]),
        ),
    ]);
    assert_eq!(
        json_of(&config),
        r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": "ec2:*",
      "Resource": "*"
    },
    {
      "Sid": "SidToOverride",
      "Effect": "Allow",
      "Action": "s3:*",
      "Resource": [
        "arn:aws:s3:::somebucket/*",
        "arn:aws:s3:::somebucket"
      ]
    }
  ]
}"#
    );
}

#[test]
fn an_override_document_replaces_a_statement_by_sid() {
    let over = json_of(&simple("SidToOverride", &["s3:*"], ""));
    let config = doc(vec![
        ("override_policy_documents", docs(&[&over])),
        (
            "statement",
            Value::List(vec![
                stmt(vec![
                    ("actions", set(&["ec2:*"])),
                    ("resources", set(&["*"])),
                ]),
                stmt(vec![
                    ("sid", Value::string("SidToOverride")),
                    ("actions", set(&["s3:*"])),
                    (
                        "resources",
                        set(&["arn:aws:s3:::somebucket", "arn:aws:s3:::somebucket/*"]),
                    ),
                ]),
            ]),
        ),
    ]);
    assert_eq!(
        json_of(&config),
        r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": "ec2:*",
      "Resource": "*"
    },
    {
      "Sid": "SidToOverride",
      "Effect": "Allow",
      "Action": "s3:*",
      "Resource": "*"
    }
  ]
}"#
    );
}

#[test]
fn source_and_override_documents_together() {
    let source = json_of(&simple(
        "OverridePlaceholder",
        &["ec2:DescribeAccountAttributes"],
        "",
    ));
    let over = json_of(&simple("OverridePlaceholder", &["s3:GetObject"], ""));
    let config = doc(vec![
        ("source_policy_documents", docs(&[&source])),
        ("override_policy_documents", docs(&[&over])),
    ]);
    assert_eq!(
        json_of(&config),
        r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "OverridePlaceholder",
      "Effect": "Allow",
      "Action": "s3:GetObject",
      "Resource": "*"
    }
  ]
}"#
    );
}

#[test]
fn merging_source_documents_keeps_their_order() {
    let one = json_of(&doc(vec![(
        "statement",
        Value::List(vec![
            stmt(vec![
                ("actions", set(&["ec2:*"])),
                ("resources", set(&["*"])),
            ]),
            stmt(vec![
                ("sid", Value::string("UniqueSidOne")),
                ("actions", set(&["s3:*"])),
                ("resources", set(&["*"])),
            ]),
        ]),
    )]));
    let two = json_of(&doc(vec![(
        "statement",
        Value::List(vec![
            stmt(vec![
                ("sid", Value::string("UniqueSidTwo")),
                ("actions", set(&["iam:*"])),
                ("resources", set(&["*"])),
            ]),
            stmt(vec![
                ("actions", set(&["lambda:*"])),
                ("resources", set(&["*"])),
            ]),
        ]),
    )]));
    let config = doc(vec![("source_policy_documents", docs(&[&one, &two]))]);
    let expected = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:*","Resource":"*"},{"Sid":"UniqueSidOne","Effect":"Allow","Action":"s3:*","Resource":"*"},{"Sid":"UniqueSidTwo","Effect":"Allow","Action":"iam:*","Resource":"*"},{"Effect":"Allow","Action":"lambda:*","Resource":"*"}]}"#;
    let out = read(&config).unwrap();
    assert_eq!(
        out.get("minified_json").and_then(Value::as_str),
        Some(expected)
    );
    // Two source documents with one Sid are an error.
    let again = doc(vec![("source_policy_documents", docs(&[&one, &one]))]);
    let e = read(&again).unwrap_err().to_string();
    assert!(e.contains("duplicate Sid (UniqueSidOne)"), "{e}");
}

#[test]
fn merging_override_documents_iteratively() {
    let one = json_of(&simple("OverridePlaceholderOne", &["s3:*"], "Allow"));
    let two = json_of(&doc(vec![(
        "statement",
        Value::List(vec![
            stmt(vec![
                ("effect", Value::string("Allow")),
                ("actions", set(&["ec2:*"])),
                ("resources", set(&["*"])),
            ]),
            stmt(vec![
                ("sid", Value::string("OverridePlaceholderTwo")),
                ("effect", Value::string("Allow")),
                ("actions", set(&["iam:*"])),
                ("resources", set(&["*"])),
            ]),
        ]),
    )]));
    let three = json_of(&simple("OverridePlaceholderOne", &["logs:*"], "Deny"));
    let mut config = simple("OverridePlaceholderTwo", &["*"], "Deny");
    if let Value::Object(m) = &mut config {
        m.insert(
            "override_policy_documents".into(),
            docs(&[&one, &two, &three]),
        );
    }
    assert_eq!(
        read(&config)
            .unwrap()
            .get("minified_json")
            .and_then(Value::as_str),
        Some(
            r#"{"Version":"2012-10-17","Statement":[{"Sid":"OverridePlaceholderTwo","Effect":"Allow","Action":"iam:*","Resource":"*"},{"Sid":"OverridePlaceholderOne","Effect":"Deny","Action":"logs:*","Resource":"*"},{"Effect":"Allow","Action":"ec2:*","Resource":"*"}]}"#
        )
    );
}

#[test]
fn basic_example_with_policy_variables_and_condition_values_in_order() {
    let config = doc(vec![(
        "statement",
        Value::List(vec![
            stmt(vec![
                ("sid", Value::string("1")),
                (
                    "actions",
                    set(&["s3:ListAllMyBuckets", "s3:GetBucketLocation"]),
                ),
                ("resources", set(&["arn:aws:s3:::*"])),
            ]),
            stmt(vec![
                ("actions", set(&["s3:ListBucket"])),
                ("resources", set(&["arn:aws:s3:::b"])),
                (
                    "condition",
                    Value::set(vec![obj(vec![
                        ("test", Value::string("StringLike")),
                        ("variable", Value::string("s3:prefix")),
                        ("values", strs(&["", "home/", "home/&{aws:username}/"])),
                    ])]),
                ),
            ]),
            stmt(vec![
                ("actions", set(&["s3:*"])),
                (
                    "resources",
                    set(&[
                        "arn:aws:s3:::b/home/&{aws:username}",
                        "arn:aws:s3:::b/home/&{aws:username}/*",
                    ]),
                ),
            ]),
        ]),
    )]);
    let out = read(&config).unwrap();
    let min = out.get("minified_json").and_then(Value::as_str).unwrap();
    assert_eq!(
        min,
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"1","Effect":"Allow","Action":["s3:ListAllMyBuckets","s3:GetBucketLocation"],"Resource":"arn:aws:s3:::*"},{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b","Condition":{"StringLike":{"s3:prefix":["","home/","home/${aws:username}/"]}}},{"Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::b/home/${aws:username}/*","arn:aws:s3:::b/home/${aws:username}"]}]}"#
    );
    let json = out.get("json").and_then(Value::as_str).unwrap();
    assert_eq!(
        out.get("id").and_then(Value::as_str),
        Some(crc32(json).to_string().as_str())
    );
    assert_eq!(
        out.get("version").and_then(Value::as_str),
        Some("2012-10-17")
    );
    // Version 2008-10-17 has no policy variables.
    let mut old = config.clone();
    if let Value::Object(m) = &mut old {
        m.insert("version".into(), Value::string("2008-10-17"));
    }
    let e = read(&old).unwrap_err().to_string();
    assert!(
        e.contains("not supported in document version 2008-10-17"),
        "{e}"
    );
}

#[test]
fn principals_render_as_terraform_renders_them() {
    let principals = |blocks: Vec<(&str, &[&str])>| {
        let config = doc(vec![(
            "statement",
            Value::List(vec![stmt(vec![
                ("actions", set(&["sts:AssumeRole"])),
                (
                    "principals",
                    Value::List(
                        blocks
                            .into_iter()
                            .map(|(ty, ids)| {
                                obj(vec![("type", Value::string(ty)), ("identifiers", set(ids))])
                            })
                            .collect(),
                    ),
                ),
            ])]),
        )]);
        read(&config)
            .unwrap()
            .get("minified_json")
            .and_then(Value::as_str)
            .unwrap()
            .to_string()
    };
    let head = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":"#;
    assert_eq!(principals(vec![("*", &["*"])]), format!("{head}\"*\"}}]}}"));
    assert_eq!(
        principals(vec![("AWS", &["*"])]),
        format!("{head}{{\"AWS\":\"*\"}}}}]}}")
    );
    assert_eq!(
        principals(vec![
            ("Service", &["firehose.amazonaws.com"]),
            ("AWS", &["arn:aws:iam::123456789012:role/a"]),
            (
                "Federated",
                &[
                    "arn:aws:iam::123456789012:saml-provider/p",
                    "cognito-identity.amazonaws.com"
                ]
            ),
        ]),
        format!(
            "{head}{{\"AWS\":\"arn:aws:iam::123456789012:role/a\",\"Federated\":[\"cognito-identity.amazonaws.com\",\"arn:aws:iam::123456789012:saml-provider/p\"],\"Service\":\"firehose.amazonaws.com\"}}}}]}}"
        )
    );
    // Two blocks of one type are concatenated.
    assert_eq!(
        principals(vec![("AWS", &["a"]), ("AWS", &["c", "b"])]),
        format!("{head}{{\"AWS\":[\"a\",\"c\",\"b\"]}}}}]}}")
    );
}

#[test]
fn a_source_document_is_normalized_as_terraform_reads_it() {
    let source = r#"{"Statement":{"Effect":"Allow","Action":["b","a"],"Principal":{"AWS":["y","x"]},"Condition":{"Bool":{"aws:SecureTransport":false},"StringEquals":{"k":"v"}},"Unknown":1},"Version":"2008-10-17","Id":"src"}"#;
    let out = read(&doc(vec![("source_policy_documents", docs(&[source]))])).unwrap();
    assert_eq!(
        out.get("minified_json").and_then(Value::as_str),
        Some(
            r#"{"Version":"2012-10-17","Id":"src","Statement":[{"Effect":"Allow","Action":["b","a"],"Principal":{"AWS":["y","x"]},"Condition":{"Bool":{"aws:SecureTransport":"false"},"StringEquals":{"k":"v"}}}]}"#
        )
    );
    let star = r#"{"Statement":[{"Effect":"Deny","NotAction":"x","Principal":"*"}]}"#;
    let out = read(&doc(vec![("source_policy_documents", docs(&[star]))])).unwrap();
    assert_eq!(
        out.get("minified_json").and_then(Value::as_str),
        Some(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotAction":"x","Principal":"*"}]}"#
        )
    );
}

#[test]
fn an_empty_document_has_only_its_version() {
    let out = read(&doc(vec![])).unwrap();
    assert_eq!(
        out.get("json").and_then(Value::as_str),
        Some("{\n  \"Version\": \"2012-10-17\"\n}")
    );
    let with_id = read(&doc(vec![("policy_id", Value::string("my-id"))])).unwrap();
    assert_eq!(
        with_id.get("minified_json").and_then(Value::as_str),
        Some(r#"{"Version":"2012-10-17","Id":"my-id"}"#)
    );
}

#[test]
fn bad_input_is_a_clear_error() {
    let cases: Vec<(Value, &str)> = vec![
        (
            simple("", &["s3:*"], "Maybe"),
            "must be \"Allow\" or \"Deny\"",
        ),
        (simple("not-alnum", &["s3:*"], ""), "alphanumeric"),
        (
            doc(vec![("version", Value::string("2020-01-01"))]),
            "must be \"2012-10-17\" or \"2008-10-17\"",
        ),
        (
            doc(vec![("source_policy_documents", docs(&["{not json"]))]),
            "merging source document 0: not JSON",
        ),
        (
            doc(vec![("override_policy_documents", docs(&["[1]"]))]),
            "merging override document 0",
        ),
        (
            doc(vec![(
                "statement",
                Value::List(vec![
                    stmt(vec![("sid", Value::string("A"))]),
                    stmt(vec![("sid", Value::string("A"))]),
                ]),
            )]),
            "duplicate Sid (A)",
        ),
    ];
    for (config, want) in cases {
        match read(&config) {
            Err(ProviderError::InvalidConfig(m)) => {
                assert!(m.starts_with(TY) && m.contains(want), "{m}")
            }
            other => panic!("{want}: {other:?}"),
        }
    }
}
