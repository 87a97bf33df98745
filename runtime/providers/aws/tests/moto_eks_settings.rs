//! The Terraform AWS provider v6 settings of `aws_eks_cluster` and `aws_eks_node_group`, against
//! moto 5.2.5 behind [`Proxy`] (tests/eks_support, which keeps what moto drops): each setting is
//! sent in the create (checked in the request itself), read back, changed in place with the
//! call EKS takes for it, and a change made out of band is seen and repaired; the settings EKS
//! cannot change plan a replacement.

mod eks_support;
mod support;

use eks_support::{
    cluster_v6, cluster_v6_updated, deps, eks_via, node_group_config, one, provider_via, strs,
    Proxy, KEY, NODE_ROLE,
};
use serde_json::json;
use support::lifecycle::with;
use support::*;

/// The first block of `v`'s `name`.
fn first<'a>(v: &'a Value, name: &str) -> &'a Value {
    &get(v, name).as_sequence().expect("a block")[0]
}

#[tokio::test]
async fn every_v6_cluster_setting_is_sent_read_back_updated_in_place_and_repaired() {
    let serial = moto();
    let proxy = Proxy::start(serial.1);
    let p = provider_via(&proxy);
    let sdk = eks_via(&proxy).await;
    let d = deps(&p).await;
    let a = cluster_v6("full", &d.subnets[..2]);
    let state = create(&p, "aws_eks_cluster", &a).await;

    // Sent: the CreateCluster request carries every setting.
    let sent = proxy.bodies("POST /clusters");
    let body = sent.last().expect("CreateCluster");
    assert_eq!(body["deletionProtection"], json!(true));
    assert_eq!(body["bootstrapSelfManagedAddons"], json!(false));
    assert_eq!(
        body["computeConfig"],
        json!({"enabled": true, "nodePools": ["general-purpose"], "nodeRoleArn": NODE_ROLE})
    );
    assert_eq!(
        body["storageConfig"],
        json!({"blockStorage": {"enabled": true}})
    );
    assert_eq!(
        body["kubernetesNetworkConfig"],
        json!({"serviceIpv4Cidr": "10.150.0.0/16", "ipFamily": "ipv4",
               "elasticLoadBalancing": {"enabled": true}})
    );
    assert_eq!(body["upgradePolicy"], json!({"supportType": "STANDARD"}));
    assert_eq!(body["zonalShiftConfig"], json!({"enabled": true}));
    assert_eq!(
        body["controlPlaneScalingConfig"],
        json!({"tier": "standard"})
    );
    assert_eq!(
        body["remoteNetworkConfig"],
        json!({"remoteNodeNetworks": [{"cidrs": ["10.200.0.0/16"]}],
               "remotePodNetworks": [{"cidrs": ["10.201.0.0/16"]}]})
    );
    assert_eq!(
        body["encryptionConfig"],
        json!([{"resources": ["secrets"], "provider": {"keyArn": KEY}}])
    );
    assert_eq!(
        body["accessConfig"],
        json!({"authenticationMode": "API_AND_CONFIG_MAP",
               "bootstrapClusterCreatorAdminPermissions": false})
    );

    // Read back: a refresh finds what the create set, and plans nothing.
    let read = p
        .read("aws_eks_cluster", &state)
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(read, state);
    assert_eq!(get(&read, "deletion_protection"), &Value::Bool(true));
    assert_eq!(
        str_of(
            first(first(&read, "encryption_config"), "provider"),
            "key_arn"
        ),
        KEY
    );
    assert_eq!(
        str_of(first(&read, "control_plane_scaling_config"), "tier"),
        "standard"
    );
    let r = plan(&p, "aws_eks_cluster", Some(&read), &a).await;
    assert_eq!(r.planned, read, "a fresh cluster plans no change");

    // Updated in place: one UpdateClusterConfig per setting, each waited for.
    let b = cluster_v6_updated(&a);
    let r = plan(&p, "aws_eks_cluster", Some(&state), &b).await;
    assert!(r.requires_replace.is_empty(), "{:?}", r.requires_replace);
    let before = proxy.bodies("POST /clusters/full/update-config").len();
    let state = update(&p, "aws_eks_cluster", &state, &b).await;
    let updates = proxy.bodies("POST /clusters/full/update-config");
    let updates = &updates[before..];
    let has = |want: serde_json::Value| updates.iter().any(|u| json_contains(u, &want));
    assert!(has(json!({"deletionProtection": false})), "{updates:?}");
    assert!(
        has(json!({"upgradePolicy": {"supportType": "EXTENDED"}})),
        "{updates:?}"
    );
    assert!(
        has(json!({"zonalShiftConfig": {"enabled": false}})),
        "{updates:?}"
    );
    assert!(
        has(json!({"controlPlaneScalingConfig": {"tier": "tier-xl"}})),
        "{updates:?}"
    );
    assert!(
        has(json!({"accessConfig": {"authenticationMode": "API"}})),
        "{updates:?}"
    );
    assert!(
        has(json!({"remoteNetworkConfig": {"remoteNodeNetworks": [{"cidrs": ["10.202.0.0/16"]}]}})),
        "{updates:?}"
    );
    assert!(
        has(json!({"computeConfig": {"nodePools": ["general-purpose", "system"]}})),
        "{updates:?}"
    );
    let settings = |u: &serde_json::Value| {
        u.as_object()
            .map(|m| m.keys().filter(|k| *k != "clientRequestToken").count())
            .unwrap_or(0)
    };
    assert!(
        updates.iter().all(|u| (1..=3).contains(&settings(u))),
        "one setting per update (Auto Mode's three together): {updates:?}"
    );
    assert_eq!(updates.len(), 8, "eight settings changed: {updates:?}");
    let seen = sdk
        .describe_cluster()
        .name("full")
        .send()
        .await
        .expect("DescribeCluster");
    let c = seen.cluster().expect("cluster");
    assert_eq!(c.deletion_protection(), Some(false));
    assert_eq!(
        c.upgrade_policy()
            .and_then(|u| u.support_type())
            .map(|t| t.as_str()),
        Some("EXTENDED")
    );
    assert_eq!(
        c.remote_network_config()
            .expect("remote")
            .remote_node_networks()[0]
            .cidrs(),
        ["10.202.0.0/16".to_string()]
    );
    assert_eq!(
        c.arn(),
        Some(str_of(&state, "arn").as_str()),
        "same cluster"
    );

    // Out of band: deletion protection turned on, the upgrade policy put back; the refresh sees
    // both and the plan repairs them in place.
    sdk.update_cluster_config()
        .name("full")
        .deletion_protection(true)
        .send()
        .await
        .expect("UpdateClusterConfig");
    sdk.update_cluster_config()
        .name("full")
        .upgrade_policy(
            aws_sdk_eks::types::UpgradePolicyRequest::builder()
                .support_type(aws_sdk_eks::types::SupportType::Standard)
                .build(),
        )
        .send()
        .await
        .expect("UpdateClusterConfig");
    let drifted = p
        .read("aws_eks_cluster", &state)
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(get(&drifted, "deletion_protection"), &Value::Bool(true));
    assert_eq!(
        str_of(first(&drifted, "upgrade_policy"), "support_type"),
        "STANDARD"
    );
    let r = plan(&p, "aws_eks_cluster", Some(&drifted), &b).await;
    assert!(r.requires_replace.is_empty(), "{:?}", r.requires_replace);
    assert_ne!(r.planned, drifted, "the drift plans a change");
    let state = apply(&p, "aws_eks_cluster", Some(&drifted), Some(&r.planned))
        .await
        .expect("repair");
    let c = sdk
        .describe_cluster()
        .name("full")
        .send()
        .await
        .expect("DescribeCluster");
    let c = c.cluster().expect("cluster");
    assert_eq!(c.deletion_protection(), Some(false), "repaired");
    assert_eq!(
        c.upgrade_policy()
            .and_then(|u| u.support_type())
            .map(|t| t.as_str()),
        Some("EXTENDED"),
        "repaired"
    );

    // Auto Mode turned off by removing its three blocks: one update turning each off, and a
    // cluster reading `enabled = false` back plans nothing.
    let mut off = b.clone();
    if let Value::Object(m) = &mut off {
        m.insert("compute_config".into(), Value::List(vec![]));
        m.insert("storage_config".into(), Value::List(vec![]));
        let net = first(&b, "kubernetes_network_config").clone();
        m.insert(
            "kubernetes_network_config".into(),
            Value::List(vec![with(
                &net,
                vec![("elastic_load_balancing", Value::List(vec![]))],
            )]),
        );
    }
    let before = proxy.bodies("POST /clusters/full/update-config").len();
    let state = update(&p, "aws_eks_cluster", &state, &off).await;
    let updates = proxy.bodies("POST /clusters/full/update-config");
    let new = &updates[before..];
    assert_eq!(new.len(), 1, "one update: {new:?}");
    assert!(
        json_contains(
            &new[0],
            &json!({
                "computeConfig": {"enabled": false},
                "storageConfig": {"blockStorage": {"enabled": false}},
                "kubernetesNetworkConfig": {"elasticLoadBalancing": {"enabled": false}}
            })
        ),
        "{new:?}"
    );
    let again = p
        .read("aws_eks_cluster", &state)
        .await
        .expect("read")
        .expect("exists");
    let r = plan(&p, "aws_eks_cluster", Some(&again), &off).await;
    assert_eq!(r.planned, again, "a capability that is off plans nothing");

    // What EKS cannot change replaces the cluster.
    let other_key = with(
        &off,
        vec![(
            "encryption_config",
            one(vec![
                ("resources", strs(&["secrets"])),
                (
                    "provider",
                    one(vec![("key_arn", s(&KEY.replace("0f0e", "1f1e")))]),
                ),
            ]),
        )],
    );
    let r = plan(&p, "aws_eks_cluster", Some(&state), &other_key).await;
    assert!(
        r.requires_replace
            .iter()
            .any(|x| x.join(".") == "encryption_config.0.provider.0.key_arn"),
        "{:?}",
        r.requires_replace
    );
    let outpost = with(
        &off,
        vec![(
            "outpost_config",
            one(vec![
                ("control_plane_instance_type", s("m5.large")),
                (
                    "outpost_arns",
                    strs(&["arn:aws:outposts:us-east-1:123456789012:outpost/op-0123456789abcdef0"]),
                ),
                ("control_plane_placement", Value::List(vec![])),
            ]),
        )],
    );
    let r = plan(&p, "aws_eks_cluster", Some(&state), &outpost).await;
    assert!(
        r.requires_replace
            .iter()
            .any(|x| x.join(".").starts_with("outpost_config")),
        "{:?}",
        r.requires_replace
    );
    destroy(&p, "aws_eks_cluster", &state).await;
}

/// Whether `have` holds every field of `want` (objects compared field by field).
fn json_contains(have: &serde_json::Value, want: &serde_json::Value) -> bool {
    match (have, want) {
        (serde_json::Value::Object(h), serde_json::Value::Object(w)) => w
            .iter()
            .all(|(k, v)| h.get(k).is_some_and(|x| json_contains(x, v))),
        (h, w) => h == w,
    }
}

#[tokio::test]
async fn a_cluster_with_deletion_protection_is_not_deleted_and_says_how_to_delete_it() {
    let serial = moto();
    let proxy = Proxy::start(serial.1);
    let p = provider_via(&proxy);
    let d = deps(&p).await;
    let a = cluster_v6("guarded", &d.subnets[..2]);
    let state = create(&p, "aws_eks_cluster", &a).await;
    let e = apply(&p, "aws_eks_cluster", Some(&state), None)
        .await
        .expect_err("deletion protection");
    let text = e.to_string();
    assert!(text.contains("deletion protection"), "{text}");
    assert!(text.contains("`deletion_protection = false`"), "{text}");
    let sdk = eks_via(&proxy).await;
    assert!(
        sdk.describe_cluster().name("guarded").send().await.is_ok(),
        "the cluster is still there"
    );
    let off = with(&a, vec![("deletion_protection", Value::Bool(false))]);
    let state = update(&p, "aws_eks_cluster", &state, &off).await;
    destroy(&p, "aws_eks_cluster", &state).await;
}

/// A launch template with two versions, made in moto's EC2; its id.
async fn launch_template(name: &str) -> String {
    let ec2 = ec2().await;
    let data = || {
        aws_sdk_ec2::types::RequestLaunchTemplateData::builder()
            .instance_type(aws_sdk_ec2::types::InstanceType::T3Medium)
            .build()
    };
    let made = ec2
        .create_launch_template()
        .launch_template_name(name)
        .launch_template_data(data())
        .send()
        .await
        .expect("CreateLaunchTemplate");
    let id = made
        .launch_template()
        .and_then(|t| t.launch_template_id())
        .expect("id")
        .to_string();
    ec2.create_launch_template_version()
        .launch_template_id(&id)
        .launch_template_data(data())
        .send()
        .await
        .expect("CreateLaunchTemplateVersion");
    id
}

#[tokio::test]
async fn a_node_group_rolls_to_a_new_launch_template_version_in_place() {
    let serial = moto();
    let proxy = Proxy::start(serial.1);
    let p = provider_via(&proxy);
    let d = deps(&p).await;
    let lt = launch_template("skel-nodes").await;
    let template = |version: &str| {
        one(vec![
            ("id", Value::Null),
            ("name", s("skel-nodes")),
            ("version", s(version)),
        ])
    };
    // EKS takes the disk size from the template: none is set.
    let a = with(
        &node_group_config(&d, "lt"),
        vec![
            ("disk_size", Value::Null),
            ("launch_template", template("1")),
        ],
    );
    let state = create(&p, "aws_eks_node_group", &a).await;
    let created = proxy.bodies(&format!("POST /clusters/{}/node-groups", d.cluster));
    assert_eq!(
        created.last().expect("CreateNodegroup")["launchTemplate"],
        json!({"name": "skel-nodes", "version": "1"})
    );
    let t = first(&state, "launch_template");
    assert_eq!(str_of(t, "id"), lt, "the template's id is read back");
    assert_eq!(str_of(t, "version"), "1");

    let b = with(&a, vec![("launch_template", template("2"))]);
    let r = plan(&p, "aws_eks_node_group", Some(&state), &b).await;
    assert!(r.requires_replace.is_empty(), "{:?}", r.requires_replace);
    let state = update(&p, "aws_eks_node_group", &state, &b).await;
    let path = format!("POST /clusters/{}/node-groups/lt/update-version", d.cluster);
    let sent = proxy.bodies(&path);
    assert_eq!(sent.len(), 1, "one UpdateNodegroupVersion");
    assert_eq!(sent[0]["launchTemplate"]["version"], json!("2"));
    let calls = proxy.calls.lock().unwrap().clone();
    assert!(
        calls
            .iter()
            .any(|c| c.starts_with(&format!("GET /clusters/{}/updates/u-2", d.cluster))),
        "the update was waited for: {calls:?}"
    );
    assert_eq!(str_of(first(&state, "launch_template"), "version"), "2");
    let seen = eks_via(&proxy)
        .await
        .describe_nodegroup()
        .cluster_name(&d.cluster)
        .nodegroup_name("lt")
        .send()
        .await
        .expect("DescribeNodegroup");
    assert_eq!(
        seen.nodegroup()
            .and_then(|n| n.launch_template())
            .and_then(|t| t.version()),
        Some("2")
    );

    // Another template replaces the node group.
    let other = with(
        &b,
        vec![(
            "launch_template",
            one(vec![
                ("id", Value::Null),
                ("name", s("other")),
                ("version", s("1")),
            ]),
        )],
    );
    let r = plan(&p, "aws_eks_node_group", Some(&state), &other).await;
    assert!(
        r.requires_replace
            .iter()
            .any(|x| x.join(".") == "launch_template.0.name"),
        "{:?}",
        r.requires_replace
    );
    destroy(&p, "aws_eks_node_group", &state).await;
}

#[tokio::test]
async fn taints_are_added_changed_and_removed_in_place() {
    let serial = moto();
    let proxy = Proxy::start(serial.1);
    let p = provider_via(&proxy);
    let d = deps(&p).await;
    let taint = |key: &str, value: &str, effect: &str| {
        obj(vec![
            ("key", s(key)),
            ("value", s(value)),
            ("effect", s(effect)),
        ])
    };
    let a = with(
        &node_group_config(&d, "tainted"),
        vec![(
            "taint",
            Value::set(vec![
                taint("dedicated", "gpu", "NO_SCHEDULE"),
                taint("spot", "yes", "PREFER_NO_SCHEDULE"),
            ]),
        )],
    );
    let state = create(&p, "aws_eks_node_group", &a).await;
    assert_eq!(
        get(&state, "taint").as_sequence().map(<[Value]>::len),
        Some(2)
    );
    let b = with(
        &a,
        vec![(
            "taint",
            Value::set(vec![
                taint("dedicated", "cpu", "NO_SCHEDULE"),
                taint("zone", "a", "NO_EXECUTE"),
            ]),
        )],
    );
    let r = plan(&p, "aws_eks_node_group", Some(&state), &b).await;
    assert!(r.requires_replace.is_empty(), "{:?}", r.requires_replace);
    let state = update(&p, "aws_eks_node_group", &state, &b).await;
    let path = format!(
        "POST /clusters/{}/node-groups/tainted/update-config",
        d.cluster
    );
    let sent = proxy.bodies(&path);
    let taints = &sent.last().expect("UpdateNodegroupConfig")["taints"];
    let mut added: Vec<String> = taints["addOrUpdateTaints"]
        .as_array()
        .expect("added")
        .iter()
        .map(|t| format!("{}={}", t["key"], t["value"]))
        .collect();
    added.sort();
    assert_eq!(added, ["\"dedicated\"=\"cpu\"", "\"zone\"=\"a\""]);
    assert_eq!(
        taints["removeTaints"],
        json!([{"key": "spot", "value": "yes", "effect": "PREFER_NO_SCHEDULE"}])
    );
    let seen = eks_via(&proxy)
        .await
        .describe_nodegroup()
        .cluster_name(&d.cluster)
        .nodegroup_name("tainted")
        .send()
        .await
        .expect("DescribeNodegroup");
    let mut now: Vec<String> = seen
        .nodegroup()
        .expect("node group")
        .taints()
        .iter()
        .map(|t| format!("{}={}", t.key().unwrap_or(""), t.value().unwrap_or("")))
        .collect();
    now.sort();
    assert_eq!(now, ["dedicated=cpu", "zone=a"]);
    let read = p
        .read("aws_eks_node_group", &state)
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(
        plan(&p, "aws_eks_node_group", Some(&read), &b)
            .await
            .planned,
        read
    );
    destroy(&p, "aws_eks_node_group", &state).await;
}
