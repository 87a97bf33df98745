//! Every IAM resource type through the shared lifecycle against moto (create, update in place,
//! drift, import, out-of-band delete, replacement, destroy), each step checked through the IAM
//! API; then what is particular to IAM: policies compared as JSON, policy versions pruned,
//! roles deleted with or without `force_detach_policies`, crash recovery by name, and the
//! calls a no-op refresh costs.

mod support;

use aws_sdk_iam::types::StatusType;
use skel_provider::RecoverRequest;
use support::lifecycle::{gone_code, lifecycle, with, Case, Oracle, DRIFTED, UPDATED};
use support::*;

const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"ec2.amazonaws.com"}}]}"#;

/// The same trust policy, written as a person would: indented, lists, keys in another order.
const TRUST_PRETTY: &str = r#"{
  "Statement": [
    {
      "Principal": { "Service": [ "ec2.amazonaws.com" ] },
      "Action": [ "sts:AssumeRole" ],
      "Effect": "Allow"
    }
  ],
  "Version": "2012-10-17"
}"#;

/// A policy allowing reads of bucket `bucket`.
fn read_policy(bucket: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::{bucket}/*"}}]}}"#
    )
}

async fn iam() -> aws_sdk_iam::Client {
    let cfg = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await;
    aws_sdk_iam::Client::new(&cfg)
}

fn role_config(name: &str) -> Value {
    config(
        "aws_iam_role",
        vec![("name", s(name)), ("assume_role_policy", s(TRUST))],
    )
}

async fn role(p: &AwsProvider, name: &str) -> String {
    str_of(&create(p, "aws_iam_role", &role_config(name)).await, "id")
}

async fn managed(p: &AwsProvider, name: &str) -> String {
    let cfg = config(
        "aws_iam_policy",
        vec![("name", s(name)), ("policy", s(&read_policy(name)))],
    );
    str_of(&create(p, "aws_iam_policy", &cfg).await, "arn")
}

async fn user(p: &AwsProvider, name: &str) -> String {
    str_of(
        &create(
            p,
            "aws_iam_user",
            &config("aws_iam_user", vec![("name", s(name))]),
        )
        .await,
        "id",
    )
}

async fn case(p: &AwsProvider, ty: &'static str) -> Case {
    match ty {
        "aws_iam_role" => {
            let a = with(
                &role_config("matrix-role"),
                vec![("description", s("a")), ("tags", tags(&[("Name", "a")]))],
            );
            let b = with(
                &a,
                vec![
                    ("description", s(UPDATED)),
                    ("max_session_duration", n(7200)),
                    ("tags", tags(&[("Name", UPDATED)])),
                ],
            );
            let r = with(&b, vec![("path", s("/moved/"))]);
            Case {
                replace_keeps_id: true,
                ..Case::new(a, Some((b, UPDATED.into())), Some((r, "path")))
            }
        }
        "aws_iam_role_policy" => {
            let (r1, r2) = (role(p, "inline-a").await, role(p, "inline-b").await);
            let a = config(
                ty,
                vec![
                    ("role", s(&r1)),
                    ("name", s("reads")),
                    ("policy", s(&read_policy("a"))),
                ],
            );
            let b = with(&a, vec![("policy", s(&read_policy(UPDATED)))]);
            let r = with(&b, vec![("role", s(&r2))]);
            Case::new(a, Some((b, UPDATED.into())), Some((r, "role")))
        }
        "aws_iam_policy" => {
            let a = config(
                ty,
                vec![
                    ("name", s("matrix-policy")),
                    ("policy", s(&read_policy("a"))),
                    ("description", s("a")),
                    ("tags", tags(&[("Name", "a")])),
                ],
            );
            let b = with(
                &a,
                vec![
                    ("policy", s(&read_policy(UPDATED))),
                    ("tags", tags(&[("Name", UPDATED)])),
                ],
            );
            let r = with(&b, vec![("description", s("another"))]);
            Case {
                replace_keeps_id: true,
                ..Case::new(a, Some((b, UPDATED.into())), Some((r, "description")))
            }
        }
        "aws_iam_role_policy_attachment" => {
            let r1 = role(p, "attached").await;
            let (p1, p2) = (managed(p, "first").await, managed(p, "second").await);
            let a = config(ty, vec![("role", s(&r1)), ("policy_arn", s(&p1))]);
            let r = with(&a, vec![("policy_arn", s(&p2))]);
            Case::new(a, None, Some((r, "policy_arn")))
        }
        "aws_iam_instance_profile" => {
            let (r1, r2) = (role(p, "profiled").await, role(p, UPDATED).await);
            let a = config(ty, vec![("name", s("matrix-profile")), ("role", s(&r1))]);
            let b = with(&a, vec![("role", s(&r2))]);
            let r = with(&b, vec![("path", s("/moved/"))]);
            Case {
                replace_keeps_id: true,
                ..Case::new(a, Some((b, UPDATED.into())), Some((r, "path")))
            }
        }
        "aws_iam_user" => {
            // Name and path change in place (`a_user_is_renamed_and_moved_in_place`): there
            // is no replacement. moto keeps tags by ARN, so a moved user loses its tags there
            // (AWS keeps them): this case changes tags only.
            let a = config(
                ty,
                vec![("name", s("matrix-user")), ("tags", tags(&[("Name", "a")]))],
            );
            let b = with(&a, vec![("tags", tags(&[("Name", UPDATED)]))]);
            Case::new(a, Some((b, UPDATED.into())), None)
        }
        "aws_iam_access_key" => {
            let (u1, u2) = (user(p, "keyholder").await, user(p, "other").await);
            let a = config(ty, vec![("user", s(&u1))]);
            let b = with(&a, vec![("status", s("Inactive"))]);
            let r = with(&b, vec![("user", s(&u2))]);
            Case::new(a, Some((b, "Inactive".into())), Some((r, "user")))
        }
        other => panic!("no case for {other}"),
    }
}

/// The IAM API's own view, through the SDK.
struct Api {
    iam: aws_sdk_iam::Client,
}

fn gone<E: aws_sdk_iam::error::ProvideErrorMetadata>(e: &E) -> bool {
    gone_code(e.code())
}

#[async_trait::async_trait]
impl Oracle for Api {
    async fn describe(&self, ty: &str, state: &Value) -> Option<String> {
        let id = str_of(state, "id");
        let iam = &self.iam;
        match ty {
            "aws_iam_role" => match iam.get_role().role_name(&id).send().await {
                Ok(out) => Some(format!("{out:?}")),
                Err(e) if gone(&e) => None,
                Err(e) => panic!("GetRole: {e:?}"),
            },
            "aws_iam_role_policy" => {
                let (role, name) = id.split_once(':').expect("ROLE:NAME");
                match iam
                    .get_role_policy()
                    .role_name(role)
                    .policy_name(name)
                    .send()
                    .await
                {
                    Ok(out) => Some(format!("{out:?}")),
                    Err(e) if gone(&e) => None,
                    Err(e) => panic!("GetRolePolicy: {e:?}"),
                }
            }
            "aws_iam_policy" => match iam.get_policy().policy_arn(&id).send().await {
                Ok(out) => {
                    let v = out.policy().and_then(|p| p.default_version_id()).unwrap();
                    let doc = iam
                        .get_policy_version()
                        .policy_arn(&id)
                        .version_id(v)
                        .send()
                        .await
                        .expect("GetPolicyVersion");
                    Some(format!("{out:?} {doc:?}"))
                }
                Err(e) if gone(&e) => None,
                Err(e) => panic!("GetPolicy: {e:?}"),
            },
            "aws_iam_role_policy_attachment" => {
                let role = str_of(state, "role");
                let arn = str_of(state, "policy_arn");
                match iam
                    .list_attached_role_policies()
                    .role_name(&role)
                    .send()
                    .await
                {
                    Ok(out) => out
                        .attached_policies()
                        .iter()
                        .find(|a| a.policy_arn() == Some(arn.as_str()))
                        .map(|a| format!("{a:?}")),
                    Err(e) if gone(&e) => None,
                    Err(e) => panic!("ListAttachedRolePolicies: {e:?}"),
                }
            }
            "aws_iam_instance_profile" => {
                match iam
                    .get_instance_profile()
                    .instance_profile_name(&id)
                    .send()
                    .await
                {
                    Ok(out) => Some(format!("{out:?}")),
                    Err(e) if gone(&e) => None,
                    Err(e) => panic!("GetInstanceProfile: {e:?}"),
                }
            }
            "aws_iam_user" => match iam.get_user().user_name(&id).send().await {
                Ok(out) => Some(format!("{out:?}")),
                Err(e) if gone(&e) => None,
                Err(e) => panic!("GetUser: {e:?}"),
            },
            "aws_iam_access_key" => {
                let user = str_of(state, "user");
                match iam.list_access_keys().user_name(&user).send().await {
                    Ok(out) => out
                        .access_key_metadata()
                        .iter()
                        .find(|k| k.access_key_id() == Some(id.as_str()))
                        .map(|k| format!("{k:?}")),
                    Err(e) if gone(&e) => None,
                    Err(e) => panic!("ListAccessKeys: {e:?}"),
                }
            }
            other => panic!("no describe for {other}"),
        }
    }

    async fn drift(&self, ty: &str, state: &Value) -> bool {
        let id = str_of(state, "id");
        let iam = &self.iam;
        match ty {
            "aws_iam_role" => {
                iam.update_role()
                    .role_name(&id)
                    .description(DRIFTED)
                    .send()
                    .await
                    .expect("UpdateRole");
            }
            "aws_iam_role_policy" => {
                let (role, name) = id.split_once(':').unwrap();
                iam.put_role_policy()
                    .role_name(role)
                    .policy_name(name)
                    .policy_document(read_policy(DRIFTED))
                    .send()
                    .await
                    .expect("PutRolePolicy");
            }
            "aws_iam_policy" => {
                iam.create_policy_version()
                    .policy_arn(&id)
                    .policy_document(read_policy(DRIFTED))
                    .set_as_default(true)
                    .send()
                    .await
                    .expect("CreatePolicyVersion");
            }
            "aws_iam_role_policy_attachment" => return false,
            "aws_iam_instance_profile" => {
                iam.tag_instance_profile()
                    .instance_profile_name(&id)
                    .tags(
                        aws_sdk_iam::types::Tag::builder()
                            .key("Name")
                            .value(DRIFTED)
                            .build()
                            .unwrap(),
                    )
                    .send()
                    .await
                    .expect("TagInstanceProfile");
            }
            "aws_iam_user" => {
                iam.tag_user()
                    .user_name(&id)
                    .tags(
                        aws_sdk_iam::types::Tag::builder()
                            .key("Name")
                            .value(DRIFTED)
                            .build()
                            .unwrap(),
                    )
                    .send()
                    .await
                    .expect("TagUser");
            }
            "aws_iam_access_key" => {
                iam.update_access_key()
                    .user_name(str_of(state, "user"))
                    .access_key_id(&id)
                    .status(StatusType::Active)
                    .send()
                    .await
                    .expect("UpdateAccessKey");
            }
            other => panic!("no drift for {other}"),
        }
        true
    }

    async fn delete(&self, ty: &str, state: &Value) {
        let id = str_of(state, "id");
        let iam = &self.iam;
        match ty {
            "aws_iam_role" => {
                iam.delete_role()
                    .role_name(&id)
                    .send()
                    .await
                    .expect("DeleteRole");
            }
            "aws_iam_role_policy" => {
                let (role, name) = id.split_once(':').unwrap();
                iam.delete_role_policy()
                    .role_name(role)
                    .policy_name(name)
                    .send()
                    .await
                    .expect("DeleteRolePolicy");
            }
            "aws_iam_policy" => {
                let vs = iam
                    .list_policy_versions()
                    .policy_arn(&id)
                    .send()
                    .await
                    .expect("ListPolicyVersions");
                for v in vs.versions().iter().filter(|v| !v.is_default_version()) {
                    iam.delete_policy_version()
                        .policy_arn(&id)
                        .version_id(v.version_id().unwrap())
                        .send()
                        .await
                        .expect("DeletePolicyVersion");
                }
                iam.delete_policy()
                    .policy_arn(&id)
                    .send()
                    .await
                    .expect("DeletePolicy");
            }
            "aws_iam_role_policy_attachment" => {
                iam.detach_role_policy()
                    .role_name(str_of(state, "role"))
                    .policy_arn(str_of(state, "policy_arn"))
                    .send()
                    .await
                    .expect("DetachRolePolicy");
            }
            "aws_iam_instance_profile" => {
                iam.remove_role_from_instance_profile()
                    .instance_profile_name(&id)
                    .role_name(str_of(state, "role"))
                    .send()
                    .await
                    .expect("RemoveRoleFromInstanceProfile");
                iam.delete_instance_profile()
                    .instance_profile_name(&id)
                    .send()
                    .await
                    .expect("DeleteInstanceProfile");
            }
            "aws_iam_user" => {
                iam.delete_user()
                    .user_name(&id)
                    .send()
                    .await
                    .expect("DeleteUser");
            }
            "aws_iam_access_key" => {
                iam.delete_access_key()
                    .user_name(str_of(state, "user"))
                    .access_key_id(&id)
                    .send()
                    .await
                    .expect("DeleteAccessKey");
            }
            other => panic!("no out-of-band delete for {other}"),
        }
    }
}

async fn lifecycle_iam(ty: &'static str) {
    let _m = moto();
    let p = provider();
    let api = Api { iam: iam().await };
    let c = case(&p, ty).await;
    lifecycle(&p, &api, ty, c).await;
}

lifecycle_tests! {
    lifecycle_iam;
    iam_role => "aws_iam_role",
    iam_role_policy => "aws_iam_role_policy",
    iam_policy => "aws_iam_policy",
    iam_role_policy_attachment => "aws_iam_role_policy_attachment",
    iam_instance_profile => "aws_iam_instance_profile",
    iam_user => "aws_iam_user",
    iam_access_key => "aws_iam_access_key",
}

#[tokio::test]
async fn an_equal_policy_written_differently_plans_no_change() {
    let _m = moto();
    let p = provider();
    let state = create(&p, "aws_iam_role", &role_config("json-role")).await;
    // IAM gives the document back in its own form; the refresh keeps the configuration's.
    let read = p.read("aws_iam_role", &state).await.unwrap().unwrap();
    assert_eq!(str_of(&read, "assume_role_policy"), TRUST);
    let pretty = with(
        &role_config("json-role"),
        vec![("assume_role_policy", s(TRUST_PRETTY))],
    );
    let r = plan(&p, "aws_iam_role", Some(&read), &pretty).await;
    assert_eq!(r.planned, read, "a reformatted equal policy plans a change");
    // A different policy is a change, applied in place.
    let other = TRUST.replace("ec2.amazonaws.com", "eks.amazonaws.com");
    let changed = with(&pretty, vec![("assume_role_policy", s(&other))]);
    let updated = update(&p, "aws_iam_role", &read, &changed).await;
    let seen = iam()
        .await
        .get_role()
        .role_name("json-role")
        .send()
        .await
        .unwrap();
    let doc = seen
        .role()
        .unwrap()
        .assume_role_policy_document()
        .unwrap()
        .to_string();
    assert!(doc.contains("eks.amazonaws.com"), "{doc}");
    assert_eq!(str_of(&updated, "assume_role_policy"), other);
    destroy(&p, "aws_iam_role", &updated).await;
}

#[tokio::test]
async fn policy_updates_keep_at_most_five_versions() {
    let _m = moto();
    let p = provider();
    let cfg = |bucket: &str| {
        config(
            "aws_iam_policy",
            vec![
                ("name", s("versioned")),
                ("policy", s(&read_policy(bucket))),
            ],
        )
    };
    let mut state = create(&p, "aws_iam_policy", &cfg("v0")).await;
    for i in 1..=7 {
        state = update(&p, "aws_iam_policy", &state, &cfg(&format!("v{i}"))).await;
    }
    let arn = str_of(&state, "arn");
    let versions = iam()
        .await
        .list_policy_versions()
        .policy_arn(&arn)
        .send()
        .await
        .unwrap();
    let vs = versions.versions();
    assert!(vs.len() <= 5, "{vs:?}");
    let default = vs.iter().find(|v| v.is_default_version()).unwrap();
    let doc = iam()
        .await
        .get_policy_version()
        .policy_arn(&arn)
        .version_id(default.version_id().unwrap())
        .send()
        .await
        .unwrap();
    let text = doc
        .policy_version()
        .unwrap()
        .document()
        .unwrap()
        .to_string();
    assert!(text.contains("v7"), "{text}");
    destroy(&p, "aws_iam_policy", &state).await;
}

#[tokio::test]
async fn a_role_with_policies_is_deleted_only_when_told_to_detach_them() {
    let _m = moto();
    let p = provider();
    let arn = managed(&p, "held").await;
    let state = create(&p, "aws_iam_role", &role_config("holder")).await;
    let api = iam().await;
    api.attach_role_policy()
        .role_name("holder")
        .policy_arn(&arn)
        .send()
        .await
        .unwrap();
    api.put_role_policy()
        .role_name("holder")
        .policy_name("inline")
        .policy_document(read_policy("x"))
        .send()
        .await
        .unwrap();
    let profile = create(
        &p,
        "aws_iam_instance_profile",
        &config(
            "aws_iam_instance_profile",
            vec![("name", s("holder-profile")), ("role", s("holder"))],
        ),
    )
    .await;
    let e = apply(&p, "aws_iam_role", Some(&state), None)
        .await
        .expect_err("a role with policies is not deleted silently");
    let text = e.to_string();
    assert!(
        text.contains("force_detach_policies = true") && text.contains("aws_iam_role `holder`"),
        "{text}"
    );
    assert!(api.get_role().role_name("holder").send().await.is_ok());
    // With the flag the policies go first, and the role leaves its profile.
    let forced = with(&state, vec![("force_detach_policies", Value::Bool(true))]);
    destroy(&p, "aws_iam_role", &forced).await;
    assert!(api.get_role().role_name("holder").send().await.is_err());
    let ip = api
        .get_instance_profile()
        .instance_profile_name("holder-profile")
        .send()
        .await
        .unwrap();
    assert!(ip.instance_profile().unwrap().roles().is_empty());
    destroy(&p, "aws_iam_instance_profile", &profile).await;
}

#[tokio::test]
async fn a_crashed_create_is_found_by_the_name_its_token_made() {
    let _m = moto();
    let p = provider();
    let cfg = config(
        "aws_iam_role",
        vec![
            ("name_prefix", s("crash-")),
            ("assume_role_policy", s(TRUST)),
        ],
    );
    let planned = plan(&p, "aws_iam_role", None, &cfg).await.planned;
    let token = "6f1c2a9e-1b2c-4d3e-8f40-123456789abc";
    let made = p
        .apply(ApplyRequest {
            type_name: "aws_iam_role",
            prior: None,
            planned: Some(&planned),
            address: "aws_iam_role.crash",
            token: Some(token),
        })
        .await
        .expect("create");
    let name = str_of(&made, "name");
    assert!(name.starts_with("crash-6f1c2a9e1b2c"), "{name}");
    // Recovery, as after a crash before the result was journaled: the same role.
    let found = p
        .recover(RecoverRequest {
            type_name: "aws_iam_role",
            planned: &planned,
            address: "aws_iam_role.crash",
            token: Some(token),
        })
        .await
        .expect("recover")
        .expect("found");
    assert_eq!(str_of(&found, "id"), name);
    assert_eq!(str_of(&found, "arn"), str_of(&made, "arn"));
    // The role carries the creation protocol's tags, hidden from `tags`.
    let role = iam()
        .await
        .get_role()
        .role_name(&name)
        .send()
        .await
        .unwrap();
    let tag_keys: Vec<&str> = role
        .role()
        .unwrap()
        .tags()
        .iter()
        .map(|t| t.key())
        .collect();
    assert!(tag_keys.contains(&"skel:token"), "{tag_keys:?}");
    assert!(get(&found, "tags_all")
        .as_mapping()
        .is_none_or(|m| !m.contains_key("skel:token")));
    // Another token made nothing.
    let none = p
        .recover(RecoverRequest {
            type_name: "aws_iam_role",
            planned: &planned,
            address: "aws_iam_role.crash",
            token: Some("00000000-0000-0000-0000-000000000000"),
        })
        .await
        .expect("recover");
    assert!(none.is_none());
}

#[tokio::test]
async fn an_access_key_secret_is_in_the_state_only() {
    let _m = moto();
    let p = provider();
    user(&p, "secretive").await;
    let state = create(
        &p,
        "aws_iam_access_key",
        &config("aws_iam_access_key", vec![("user", s("secretive"))]),
    )
    .await;
    let secret = str_of(&state, "secret");
    assert!(secret.len() >= 20, "{state:?}");
    let smtp = str_of(&state, "ses_smtp_password_v4");
    assert!(!smtp.is_empty() && smtp != secret);
    let schema = skel_schema::resource("aws_iam_access_key").unwrap();
    for attr in ["secret", "ses_smtp_password_v4"] {
        assert!(schema.block.attributes[attr].sensitive, "{attr}");
    }
    // The refresh keeps the secret the API no longer tells; an import cannot know it.
    let read = p.read("aws_iam_access_key", &state).await.unwrap().unwrap();
    assert_eq!(str_of(&read, "secret"), secret);
    let imported = p
        .import("aws_iam_access_key", &str_of(&state, "id"))
        .await
        .unwrap();
    assert_eq!(get(&imported, "secret"), &Value::Null);
    assert_eq!(str_of(&imported, "user"), "secretive");
    // `pgp_key` is refused, not ignored.
    let pgp = config(
        "aws_iam_access_key",
        vec![("user", s("secretive")), ("pgp_key", s("keybase:someone"))],
    );
    let planned = plan(&p, "aws_iam_access_key", None, &pgp).await.planned;
    let e = apply(&p, "aws_iam_access_key", None, Some(&planned))
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("`pgp_key` is not supported"), "{e}");
    assert!(!e.contains(&secret));
}

/// A no-op refresh of N roles costs N GetRole calls: IAM has no batch read, and ListRoles
/// leaves out tags and permissions boundaries (the floor, measured here); attachments cost
/// one listing per role, managed policies and access keys two calls each.
#[tokio::test]
async fn refresh_costs_one_call_per_object_and_one_listing_per_role_for_attachments() {
    let _m = moto();
    let p = provider();
    let mut roles = Vec::new();
    for i in 0..4 {
        roles.push(create(&p, "aws_iam_role", &role_config(&format!("counted-{i}"))).await);
    }
    let (a, b) = (managed(&p, "count-a").await, managed(&p, "count-b").await);
    let mut attachments = Vec::new();
    for arn in [&a, &b] {
        attachments.push(
            create(
                &p,
                "aws_iam_role_policy_attachment",
                &config(
                    "aws_iam_role_policy_attachment",
                    vec![("role", s("counted-0")), ("policy_arn", s(arn))],
                ),
            )
            .await,
        );
    }
    let before = p.api_call_counts();
    let read = p.read_batch("aws_iam_role", &roles).await.unwrap();
    assert!(read.iter().all(Option::is_some));
    assert_eq!(calls_since(&p, "GetRole", &before), 4);
    let before = p.api_call_counts();
    let read = p
        .read_batch("aws_iam_role_policy_attachment", &attachments)
        .await
        .unwrap();
    assert!(read.iter().all(Option::is_some));
    assert_eq!(calls_since(&p, "ListAttachedRolePolicies", &before), 1);
    // Managed policies: GetPolicy and GetPolicyVersion each; access keys: GetAccessKeyLastUsed
    // (which user) and ListAccessKeys each.
    let policies: Vec<Value> = [&a, &b]
        .iter()
        .map(|arn| obj(vec![("id", s(arn))]))
        .collect();
    let before = p.api_call_counts();
    let read = p.read_batch("aws_iam_policy", &policies).await.unwrap();
    assert!(read.iter().all(Option::is_some));
    assert_eq!(calls_since(&p, "GetPolicy", &before), 2);
    assert_eq!(calls_since(&p, "GetPolicyVersion", &before), 2);
    user(&p, "counted-user").await;
    let mut keys = Vec::new();
    for _ in 0..2 {
        keys.push(
            create(
                &p,
                "aws_iam_access_key",
                &config("aws_iam_access_key", vec![("user", s("counted-user"))]),
            )
            .await,
        );
    }
    let before = p.api_call_counts();
    let read = p.read_batch("aws_iam_access_key", &keys).await.unwrap();
    assert!(read.iter().all(Option::is_some));
    assert_eq!(calls_since(&p, "GetAccessKeyLastUsed", &before), 2);
    assert_eq!(calls_since(&p, "ListAccessKeys", &before), 2);
}

#[tokio::test]
async fn a_user_is_renamed_and_moved_in_place() {
    let _m = moto();
    // No default tags: moto keeps tags by ARN, which a rename changes (AWS keeps them).
    let p = AwsProvider::new(&Value::Null).expect("provider");
    let a = config("aws_iam_user", vec![("name", s("before"))]);
    let state = create(&p, "aws_iam_user", &a).await;
    let b = with(&a, vec![("name", s("after")), ("path", s("/team/"))]);
    let r = plan(&p, "aws_iam_user", Some(&state), &b).await;
    assert!(r.requires_replace.is_empty(), "{:?}", r.requires_replace);
    assert!(!get(&r.planned, "id").is_known(), "the id follows the name");
    let moved = apply(&p, "aws_iam_user", Some(&state), Some(&r.planned))
        .await
        .expect("rename");
    assert_eq!(str_of(&moved, "id"), "after");
    assert_eq!(str_of(&moved, "unique_id"), str_of(&state, "unique_id"));
    let api = iam().await;
    let seen = api
        .get_user()
        .user_name("after")
        .send()
        .await
        .expect("GetUser");
    assert_eq!(seen.user().unwrap().path(), "/team/");
    assert!(api.get_user().user_name("before").send().await.is_err());
    let read = p.read("aws_iam_user", &moved).await.unwrap().unwrap();
    assert_eq!(
        plan(&p, "aws_iam_user", Some(&read), &b).await.planned,
        read
    );
    destroy(&p, "aws_iam_user", &moved).await;
}

/// `aws_instance.iam_instance_profile`: given by name in RunInstances, read back by name,
/// changed in place (ReplaceIamInstanceProfileAssociation), here to a profile given by ARN.
#[tokio::test]
async fn an_instance_gets_its_profile_at_launch_and_changes_it_in_place() {
    let _m = moto();
    let p = provider();
    role(&p, "node").await;
    let profile = |name: &str| {
        config(
            "aws_iam_instance_profile",
            vec![("name", s(name)), ("role", s("node"))],
        )
    };
    let first = create(&p, "aws_iam_instance_profile", &profile("first")).await;
    let second = create(&p, "aws_iam_instance_profile", &profile("second")).await;
    let ami = ubuntu(&p).await;
    let a = config(
        "aws_instance",
        vec![
            ("ami", s(&ami)),
            ("instance_type", s("t3.micro")),
            ("iam_instance_profile", s("first")),
        ],
    );
    let state = create(&p, "aws_instance", &a).await;
    assert_eq!(str_of(&state, "iam_instance_profile"), "first");
    let id = str_of(&state, "id");
    let ec2 = ec2().await;
    let profile_of = |out: aws_sdk_ec2::operation::describe_instances::DescribeInstancesOutput| {
        out.reservations()[0].instances()[0]
            .iam_instance_profile()
            .and_then(|p| p.arn())
            .map(str::to_string)
    };
    let seen = profile_of(
        ec2.describe_instances()
            .instance_ids(&id)
            .send()
            .await
            .unwrap(),
    );
    assert_eq!(seen.as_deref(), Some(str_of(&first, "arn").as_str()));
    // By ARN: an in-place change, checked through the association (moto's
    // ReplaceIamInstanceProfileAssociation leaves DescribeInstances showing the old profile;
    // AWS shows the new one there too).
    let b = with(
        &a,
        vec![("iam_instance_profile", s(&str_of(&second, "arn")))],
    );
    let r = plan(&p, "aws_instance", Some(&state), &b).await;
    assert!(r.requires_replace.is_empty(), "{:?}", r.requires_replace);
    let moved = apply(&p, "aws_instance", Some(&state), Some(&r.planned))
        .await
        .expect("update");
    assert_eq!(
        str_of(&moved, "id"),
        id,
        "replaced instead of changed in place"
    );
    let associations = ec2
        .describe_iam_instance_profile_associations()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("instance-id")
                .values(&id)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let arns: Vec<&str> = associations
        .iam_instance_profile_associations()
        .iter()
        .filter_map(|a| a.iam_instance_profile().and_then(|p| p.arn()))
        .collect();
    assert_eq!(arns, vec![str_of(&second, "arn").as_str()]);
    destroy(&p, "aws_instance", &moved).await;
}
