//! EKS against moto: `aws_eks_cluster` and `aws_eks_node_group` through the lifecycle matrix
//! (create, update in place, drift, import, out-of-band delete, replacement, destroy, each
//! checked through the EKS API), recovery after an interrupted create, the errors and waits,
//! and the data sources `aws_eks_cluster` and `aws_eks_cluster_auth`.
//!
//! The lifecycle runs through [`Proxy`] (tests/eks_support), which makes moto 5.2.5 answer as
//! EKS does where it does not: it keeps the cluster settings moto drops (deletion protection,
//! upgrade policy, zonal shift, Auto Mode, access, control plane tier), answers the version
//! updates moto lacks, and can show a cluster in another state, so the full v6 argument set,
//! the version upgrade and the failed wait are tested. Tests that make node groups without
//! the proxy set `disk_size`: moto answers a node group created without it with the size as a
//! string (AWS: a number), which the SDK cannot read.

mod eks_support;
mod support;

use base64::Engine;
use eks_support::{
    cluster_config, cluster_v6, cluster_v6_updated, deps, eks, eks_via, node_group_config,
    node_group_v6, node_group_v6_updated, provider_via, vpc_config, Deps, Proxy, ROLE,
};
use skel_provider::RecoverRequest;
use support::lifecycle::{lifecycle, with, Case, Oracle, DRIFTED, UPDATED};
use support::*;

fn case(ty: &str, d: &Deps) -> Case {
    match ty {
        "aws_eks_cluster" => {
            let a = cluster_v6("skel-matrix", &d.subnets[..2]);
            let b = cluster_v6_updated(&a);
            let r = with(&b, vec![("vpc_config", vpc_config(&d.subnets[1..]))]);
            Case {
                replace_keeps_id: true,
                // EKS never returns it (it only matters at create): an import cannot know it.
                unknowable: &["bootstrap_self_managed_addons"],
                ..Case::new(
                    a,
                    Some((b, UPDATED.into())),
                    Some((r, "vpc_config.0.subnet_ids")),
                )
            }
        }
        "aws_eks_node_group" => {
            let a = node_group_v6(d, "ng");
            let b = node_group_v6_updated(&a);
            let r = with(&b, vec![("node_group_name", s("ng2"))]);
            Case::new(a, Some((b, UPDATED.into())), Some((r, "node_group_name")))
        }
        other => panic!("no case for {other}"),
    }
}

/// The EKS API's own view of the objects.
struct Api {
    eks: aws_sdk_eks::Client,
}

fn gone<E: aws_sdk_eks::error::ProvideErrorMetadata>(e: &E) -> bool {
    e.code() == Some("ResourceNotFoundException")
}

#[async_trait::async_trait]
impl Oracle for Api {
    async fn describe(&self, ty: &str, state: &Value) -> Option<String> {
        let id = str_of(state, "id");
        match ty {
            "aws_eks_cluster" => match self.eks.describe_cluster().name(&id).send().await {
                Ok(out) => out.cluster().map(|c| format!("{c:?}")),
                Err(e) if gone(&e) => None,
                Err(e) => panic!("DescribeCluster: {e:?}"),
            },
            _ => {
                let (cluster, name) = id.split_once(':').expect("CLUSTER:NAME");
                match self
                    .eks
                    .describe_nodegroup()
                    .cluster_name(cluster)
                    .nodegroup_name(name)
                    .send()
                    .await
                {
                    Ok(out) => out.nodegroup().map(|n| format!("{n:?}")),
                    Err(e) if gone(&e) => None,
                    Err(e) => panic!("DescribeNodegroup: {e:?}"),
                }
            }
        }
    }

    async fn drift(&self, ty: &str, state: &Value) -> bool {
        if ty == "aws_eks_cluster" {
            self.eks
                .tag_resource()
                .resource_arn(str_of(state, "arn"))
                .tags("Name", DRIFTED)
                .send()
                .await
                .expect("TagResource");
            // A v6 setting changed out of band: the control plane tier.
            self.eks
                .update_cluster_config()
                .name(str_of(state, "id"))
                .control_plane_scaling_config(
                    aws_sdk_eks::types::ControlPlaneScalingConfig::builder()
                        .tier(aws_sdk_eks::types::ProvisionedControlPlaneTier::from(
                            DRIFTED,
                        ))
                        .build(),
                )
                .send()
                .await
                .expect("UpdateClusterConfig");
        } else {
            let id = str_of(state, "id");
            let (cluster, name) = id.split_once(':').expect("CLUSTER:NAME");
            self.eks
                .update_nodegroup_config()
                .cluster_name(cluster)
                .nodegroup_name(name)
                .labels(
                    aws_sdk_eks::types::UpdateLabelsPayload::builder()
                        .add_or_update_labels("role", DRIFTED)
                        .build(),
                )
                // A v6 setting changed out of band: the taint's value.
                .taints(
                    aws_sdk_eks::types::UpdateTaintsPayload::builder()
                        .add_or_update_taints(
                            aws_sdk_eks::types::Taint::builder()
                                .key("dedicated")
                                .value(DRIFTED)
                                .effect(aws_sdk_eks::types::TaintEffect::NoSchedule)
                                .build(),
                        )
                        .build(),
                )
                .send()
                .await
                .expect("UpdateNodegroupConfig");
        }
        true
    }

    async fn delete(&self, ty: &str, state: &Value) {
        let id = str_of(state, "id");
        if ty == "aws_eks_cluster" {
            self.eks
                .delete_cluster()
                .name(&id)
                .send()
                .await
                .expect("DeleteCluster");
        } else {
            let (cluster, name) = id.split_once(':').expect("CLUSTER:NAME");
            self.eks
                .delete_nodegroup()
                .cluster_name(cluster)
                .nodegroup_name(name)
                .send()
                .await
                .expect("DeleteNodegroup");
        }
    }
}

async fn lifecycle_eks(ty: &'static str) {
    let serial = moto();
    let proxy = Proxy::start(serial.1);
    let p = provider_via(&proxy);
    let d = deps(&p).await;
    let api = Api {
        eks: eks_via(&proxy).await,
    };
    lifecycle(&p, &api, ty, case(ty, &d)).await;
}

lifecycle_tests! {
    lifecycle_eks;
    eks_cluster => "aws_eks_cluster",
    eks_node_group => "aws_eks_node_group",
}

#[tokio::test]
async fn a_cluster_shows_its_endpoint_certificate_identity_and_the_computed_attributes() {
    let _m = moto();
    let p = provider();
    let d = deps(&p).await;
    let state = create(
        &p,
        "aws_eks_cluster",
        &cluster_config("attrs", &d.subnets[..2]),
    )
    .await;
    assert_eq!(str_of(&state, "id"), "attrs");
    assert_eq!(
        str_of(&state, "arn"),
        "arn:aws:eks:us-east-1:123456789012:cluster/attrs"
    );
    assert!(
        str_of(&state, "endpoint").starts_with("https://"),
        "{state:?}"
    );
    assert_eq!(str_of(&state, "status"), "ACTIVE");
    assert_eq!(str_of(&state, "version"), "1.29");
    assert!(!str_of(&state, "platform_version").is_empty());
    let ca = get(&state, "certificate_authority")
        .as_sequence()
        .expect("list");
    assert!(str_of(&ca[0], "data").len() > 100, "{ca:?}");
    let identity = get(&state, "identity").as_sequence().expect("list");
    let oidc = get(&identity[0], "oidc").as_sequence().expect("list");
    assert!(str_of(&oidc[0], "issuer").starts_with("https://oidc.eks.us-east-1"));
    // The creation protocol's tags are on the cluster but never in the state.
    let seen = eks()
        .await
        .describe_cluster()
        .name("attrs")
        .send()
        .await
        .expect("DescribeCluster");
    let cluster_tags = seen.cluster().and_then(|c| c.tags()).expect("tags");
    assert_eq!(
        cluster_tags.get("skel:address").map(String::as_str),
        Some("aws_eks_cluster.test")
    );
    assert_eq!(cluster_tags.get("Team").map(String::as_str), Some("infra"));
    let all = get(&state, "tags_all").as_mapping().expect("map");
    assert!(all.keys().all(|k| !k.starts_with("skel:")), "{all:?}");
}

#[tokio::test]
async fn an_interrupted_create_is_found_by_its_name_and_token() {
    let _m = moto();
    let p = provider();
    let d = deps(&p).await;
    let cfg = cluster_config("crashed", &d.subnets[..2]);
    let planned = plan(&p, "aws_eks_cluster", None, &cfg).await.planned;
    let token = "0f0e0d0c-0b0a-4908-8706-050403020100";
    let request = |token| RecoverRequest {
        type_name: "aws_eks_cluster",
        planned: &planned,
        address: "aws_eks_cluster.main",
        token,
    };
    assert_eq!(
        p.recover(request(Some(token))).await.expect("recover"),
        None
    );
    p.apply(ApplyRequest {
        type_name: "aws_eks_cluster",
        prior: None,
        planned: Some(&planned),
        address: "aws_eks_cluster.main",
        token: Some(token),
    })
    .await
    .expect("create");
    let found = p
        .recover(request(Some(token)))
        .await
        .expect("recover")
        .expect("the cluster the create made");
    assert_eq!(str_of(&found, "id"), "crashed");
    assert!(str_of(&found, "endpoint").starts_with("https://"));
    let other = p
        .recover(request(Some("11111111-2222-4333-8444-555555555555")))
        .await
        .expect("recover");
    assert_eq!(other, None, "another create's token finds nothing");

    // A node group with a generated name: the name comes from the token.
    let mut ng = node_group_config(&d, "unused");
    if let Value::Object(m) = &mut ng {
        m.insert("node_group_name".into(), Value::Null);
        m.insert("node_group_name_prefix".into(), s("workers-"));
    }
    let planned = plan(&p, "aws_eks_node_group", None, &ng).await.planned;
    let made = p
        .apply(ApplyRequest {
            type_name: "aws_eks_node_group",
            prior: None,
            planned: Some(&planned),
            address: "aws_eks_node_group.workers",
            token: Some(token),
        })
        .await
        .expect("create node group");
    assert_eq!(
        str_of(&made, "id"),
        format!("{}:workers-0f0e0d0c0b0a49088706050403", d.cluster)
    );
    let found = p
        .recover(RecoverRequest {
            type_name: "aws_eks_node_group",
            planned: &planned,
            address: "aws_eks_node_group.workers",
            token: Some(token),
        })
        .await
        .expect("recover")
        .expect("found");
    assert_eq!(str_of(&found, "id"), str_of(&made, "id"));
}

#[tokio::test]
async fn a_cluster_with_node_groups_is_not_deleted_and_says_why() {
    // Through the proxy: moto makes up SSH access for a node group created without it.
    let serial = moto();
    let proxy = Proxy::start(serial.1);
    let p = provider_via(&proxy);
    let d = deps(&p).await;
    let ng = create(&p, "aws_eks_node_group", &node_group_config(&d, "ng")).await;
    let cluster = p
        .import("aws_eks_cluster", &d.cluster)
        .await
        .expect("import the cluster");
    let e = apply(&p, "aws_eks_cluster", Some(&cluster), None)
        .await
        .expect_err("node groups remain");
    assert!(e.to_string().contains("still has node groups"), "{e}");
    destroy(&p, "aws_eks_node_group", &ng).await;
    destroy(&p, "aws_eks_cluster", &cluster).await;
    let bad = p
        .import("aws_eks_node_group", "no-colon")
        .await
        .expect_err("bad id");
    assert!(
        bad.to_string().contains("CLUSTER_NAME:NODE_GROUP_NAME"),
        "{bad}"
    );
    let missing = p
        .import("aws_eks_cluster", "missing")
        .await
        .expect_err("no such cluster");
    assert!(missing.to_string().contains("does not exist"), "{missing}");
}

#[tokio::test]
async fn the_data_sources_read_the_cluster_and_sign_a_token_for_it() {
    let _m = moto();
    let p = provider();
    let d = deps(&p).await;
    let c = p
        .read_data("aws_eks_cluster", &obj(vec![("name", s(&d.cluster))]))
        .await
        .expect("data.aws_eks_cluster");
    assert!(str_of(&c, "endpoint").starts_with("https://"), "{c:?}");
    let ca = get(&c, "certificate_authority")
        .as_sequence()
        .expect("list");
    assert!(!str_of(&ca[0], "data").is_empty());
    let vpc = get(&c, "vpc_config").as_sequence().expect("list");
    assert_eq!(
        get(&vpc[0], "subnet_ids").as_sequence().map(<[Value]>::len),
        Some(2)
    );
    assert_eq!(str_of(&c, "role_arn"), ROLE);
    let missing = p
        .read_data("aws_eks_cluster", &obj(vec![("name", s("missing"))]))
        .await
        .expect_err("no such cluster");
    assert!(
        missing
            .to_string()
            .contains("there is no EKS cluster of that name"),
        "{missing}"
    );

    let schema = skel_schema::data_source("aws_eks_cluster_auth").expect("schema");
    assert!(
        schema.block.attributes["token"].sensitive,
        "the token is sensitive"
    );
    let auth = p
        .read_data("aws_eks_cluster_auth", &obj(vec![("name", s(&d.cluster))]))
        .await
        .expect("data.aws_eks_cluster_auth");
    let token = str_of(&auth, "token");
    let body = token.strip_prefix("k8s-aws-v1.").expect("prefix");
    let url = String::from_utf8(
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(body)
            .expect("base64url without padding"),
    )
    .expect("utf-8");
    assert!(
        url.starts_with(
            "https://sts.us-east-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&"
        ),
        "{url}"
    );
    assert!(
        url.contains("X-Amz-Credential=test%2F"),
        "signed with the provider's key: {url}"
    );
    assert!(
        url.contains("X-Amz-SignedHeaders=host%3Bx-k8s-aws-id"),
        "{url}"
    );
    assert_eq!(str_of(&auth, "id"), d.cluster);
}

#[tokio::test]
async fn a_version_change_upgrades_the_cluster_in_place() {
    let serial = moto();
    let port = serial.1;
    let proxy = Proxy::start(port);
    let p = AwsProvider::with_endpoint_url(&Value::Null, &proxy.url).expect("provider");
    let d = deps(&p).await;
    let a = cluster_config("upgrade", &d.subnets[..2]);
    let state = create(&p, "aws_eks_cluster", &a).await;
    let b = with(&a, vec![("version", s("1.30"))]);
    let r = plan(&p, "aws_eks_cluster", Some(&state), &b).await;
    assert!(r.requires_replace.is_empty(), "{:?}", r.requires_replace);
    let after = update(&p, "aws_eks_cluster", &state, &b).await;
    assert_eq!(str_of(&after, "version"), "1.30");
    assert_eq!(
        str_of(&after, "arn"),
        str_of(&state, "arn"),
        "the same cluster"
    );
    let calls = proxy.calls.lock().unwrap().clone();
    assert!(
        calls.iter().any(|c| c == "POST /clusters/upgrade/updates"),
        "UpdateClusterVersion was called: {calls:?}"
    );
    assert!(
        calls
            .iter()
            .any(|c| c == "GET /clusters/upgrade/updates/u-1"),
        "the update was waited for: {calls:?}"
    );
}

#[tokio::test]
async fn a_cluster_that_does_not_become_active_in_time_is_returned_not_ready() {
    let serial = moto();
    let port = serial.1;
    let proxy = Proxy::start(port);
    let p = AwsProvider::with_endpoint_url(&Value::Null, &proxy.url).expect("provider");
    let d = deps(&p).await;
    *proxy.status.lock().unwrap() = Some("CREATING".into());
    let cfg = with(
        &cluster_config("slow", &d.subnets[..2]),
        vec![(
            "timeouts",
            obj(vec![
                ("create", s("1s")),
                ("update", Value::Null),
                ("delete", Value::Null),
            ]),
        )],
    );
    let planned = plan(&p, "aws_eks_cluster", None, &cfg).await.planned;
    let started = Instant::now();
    let e = apply(&p, "aws_eks_cluster", None, Some(&planned))
        .await
        .expect_err("not ACTIVE within 1s");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "the timeout bounds the wait"
    );
    let text = e.to_string();
    assert!(text.contains("did not become ACTIVE"), "{text}");
    assert!(text.contains("still not ACTIVE after 1s"), "{text}");
    assert!(text.contains("CREATING"), "{text}");
    match e {
        ProviderError::NotReady { object, .. } => {
            assert_eq!(str_of(&object, "id"), "slow");
            assert_eq!(str_of(&object, "status"), "CREATING");
            assert!(str_of(&object, "arn").ends_with(":cluster/slow"));
        }
        other => panic!("expected NotReady, got {other:?}"),
    }
    // A cluster that FAILED ends the wait at once.
    *proxy.status.lock().unwrap() = Some("FAILED".into());
    let cfg = with(&cluster_config("broken", &d.subnets[..2]), vec![]);
    let planned = plan(&p, "aws_eks_cluster", None, &cfg).await.planned;
    let e = apply(&p, "aws_eks_cluster", None, Some(&planned))
        .await
        .expect_err("FAILED");
    assert!(e.to_string().contains("reached state FAILED"), "{e}");
    let bad = with(
        &cluster_config("bad", &d.subnets[..2]),
        vec![(
            "timeouts",
            obj(vec![
                ("create", s("soon")),
                ("update", Value::Null),
                ("delete", Value::Null),
            ]),
        )],
    );
    let planned = plan(&p, "aws_eks_cluster", None, &bad).await.planned;
    let e = apply(&p, "aws_eks_cluster", None, Some(&planned))
        .await
        .expect_err("not a duration");
    assert!(e.to_string().contains("timeouts.create"), "{e}");
}
