//! `aws_instance`'s `ebs_block_device` set against moto, through the SDK: the devices are sent
//! at launch (DescribeVolumes shows their sizes, types, encryption and own tags), read back
//! with one DescribeVolumes per refresh batch, a device detached and deleted out of band is
//! seen (the plan replaces the instance, as v6 does for any device change), and the destroy
//! deletes the volumes marked `delete_on_termination` and keeps the others.

mod support;

use aws_sdk_ec2::types::{Filter, Volume};
use support::*;

/// An `ebs_block_device` item as the engine gives it (every attribute).
fn device(name: &str, size: i64, kind: &str, encrypted: bool, delete: bool, own: Value) -> Value {
    obj(vec![
        ("device_name", s(name)),
        ("volume_size", n(size)),
        ("volume_type", s(kind)),
        ("encrypted", Value::Bool(encrypted)),
        ("kms_key_id", Value::Null),
        ("snapshot_id", Value::Null),
        ("delete_on_termination", Value::Bool(delete)),
        ("iops", Value::Null),
        ("throughput", Value::Null),
        ("tags", own),
        ("volume_id", Value::Null),
    ])
}

/// The volumes attached to instance `id`, by device name.
async fn attached(id: &str) -> BTreeMap<String, Volume> {
    let out = ec2()
        .await
        .describe_volumes()
        .filters(
            Filter::builder()
                .name("attachment.instance-id")
                .values(id)
                .build(),
        )
        .send()
        .await
        .expect("DescribeVolumes");
    out.volumes()
        .iter()
        .flat_map(|v| {
            v.attachments()
                .iter()
                .filter_map(|a| Some((a.device()?.to_string(), v.clone())))
        })
        .collect()
}

/// The state's `ebs_block_device` item of `name`.
fn item<'a>(state: &'a Value, name: &str) -> &'a Value {
    get(state, "ebs_block_device")
        .as_sequence()
        .expect("ebs_block_device is a set")
        .iter()
        .find(|d| str_of(d, "device_name") == name)
        .unwrap_or_else(|| panic!("no device {name}: {state:?}"))
}

async fn exists(volume: &str) -> bool {
    match ec2()
        .await
        .describe_volumes()
        .volume_ids(volume)
        .send()
        .await
    {
        Ok(out) => !out.volumes().is_empty(),
        Err(e) => {
            let text = format!(
                "{}",
                aws_smithy_types::error::display::DisplayErrorContext(&e)
            );
            assert!(text.contains("NotFound"), "DescribeVolumes: {text}");
            false
        }
    }
}

#[tokio::test]
async fn ebs_block_devices_are_sent_read_back_watched_and_deleted_with_the_instance() {
    let _m = moto();
    let p = provider();
    let sdk = ec2().await;
    let site = site(&p, "10.70").await;
    let (subnet, ami) = (site.subnet.clone(), site.ami.clone());
    let devices = Value::set(vec![
        device("/dev/sdf", 20, "gp3", true, true, tags(&[("Name", "data")])),
        device("/dev/sdg", 30, "st1", false, true, Value::Null),
        device("/dev/sdh", 4, "gp2", false, false, Value::Null),
    ]);
    let cfg = config(
        "aws_instance",
        vec![
            ("ami", s(&ami)),
            ("instance_type", s("t3.micro")),
            ("subnet_id", s(&str_of(&subnet, "id"))),
            ("root_block_device", root_volume(12)),
            ("ebs_block_device", devices),
            ("tags", tags(&[("Name", "storage")])),
        ],
    );
    let r = plan(&p, "aws_instance", None, &cfg).await;
    assert!(
        !get(item(&r.planned, "/dev/sdf"), "volume_id").is_known(),
        "a new device's volume id is unknown in the plan: {:?}",
        r.planned
    );

    // Created: what DescribeVolumes shows is what was written; `create` checks that the read
    // equals the applied state and that the plan after it is empty.
    let before = p.api_call_counts();
    let state = create(&p, "aws_instance", &cfg).await;
    assert_eq!(
        calls_since(&p, "CreateTags", &before),
        1,
        "one device has tags"
    );
    let id = str_of(&state, "id");
    let seen = attached(&id).await;
    assert_eq!(seen.len(), 4, "the root volume and three devices: {seen:?}");
    let check = |name: &str, size: i32, kind: &str, encrypted: bool| {
        let v = &seen[name];
        assert_eq!(v.size(), Some(size), "{name}");
        assert_eq!(v.volume_type().map(|t| t.as_str()), Some(kind), "{name}");
        assert_eq!(v.encrypted(), Some(encrypted), "{name}");
        assert_eq!(
            str_of(item(&state, name), "volume_id"),
            v.volume_id().unwrap_or_default(),
            "{name}"
        );
    };
    check("/dev/sdf", 20, "gp3", true);
    check("/dev/sdg", 30, "st1", false);
    check("/dev/sdh", 4, "gp2", false);
    assert_eq!(
        tag_of(seen["/dev/sdf"].tags(), "Name").as_deref(),
        Some("data"),
        "the device's own tag overrides the instance's"
    );
    assert_eq!(
        tag_of(seen["/dev/sdg"].tags(), "Name").as_deref(),
        Some("storage"),
        "a device without tags of its own has the instance's"
    );
    assert_eq!(get(item(&state, "/dev/sdg"), "tags"), &Value::Null);
    let root = &get(&state, "root_block_device")
        .as_sequence()
        .expect("root")[0];
    assert_eq!(get(root, "volume_size"), &n(12));
    let root_device = str_of(root, "device_name");
    assert_eq!(
        seen[&root_device].size(),
        Some(12),
        "the root device still works"
    );

    // A refresh of the instance reads every volume with one DescribeVolumes.
    let before = p.api_call_counts();
    let read = p
        .read("aws_instance", &state)
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(read, state);
    assert_eq!(calls_since(&p, "DescribeVolumes", &before), 1);
    assert_eq!(calls_since(&p, "DescribeInstances", &before), 1);

    // Any change to a device replaces the instance (v6).
    let bigger = support::lifecycle::with(
        &cfg,
        vec![(
            "ebs_block_device",
            Value::set(vec![
                device("/dev/sdf", 21, "gp3", true, true, tags(&[("Name", "data")])),
                device("/dev/sdg", 30, "st1", false, true, Value::Null),
                device("/dev/sdh", 4, "gp2", false, false, Value::Null),
            ]),
        )],
    );
    let r = plan(&p, "aws_instance", Some(&state), &bigger).await;
    assert_eq!(
        r.requires_replace,
        vec![vec!["ebs_block_device".to_string()]]
    );
    assert!(!get(item(&r.planned, "/dev/sdg"), "volume_id").is_known());

    // Imported: the devices are read back, the configuration matches them.
    let imported = p.import("aws_instance", &id).await.expect("import");
    assert_eq!(
        get(&imported, "ebs_block_device"),
        get(&state, "ebs_block_device")
    );
    let r = plan(&p, "aws_instance", Some(&imported), &cfg).await;
    assert!(r.requires_replace.is_empty(), "{:?}", r.requires_replace);

    // Detached and deleted out of band: the refresh sees the device gone and the plan
    // replaces the instance to bring it back.
    let gone = str_of(item(&state, "/dev/sdg"), "volume_id");
    sdk.detach_volume()
        .volume_id(&gone)
        .instance_id(&id)
        .send()
        .await
        .expect("DetachVolume");
    let read = p
        .read("aws_instance", &state)
        .await
        .expect("read")
        .expect("exists");
    let left: Vec<String> = get(&read, "ebs_block_device")
        .as_sequence()
        .expect("set")
        .iter()
        .map(|d| str_of(d, "device_name"))
        .collect();
    assert_eq!(left.len(), 2, "{left:?}");
    assert!(!left.contains(&"/dev/sdg".to_string()), "{left:?}");
    let r = plan(&p, "aws_instance", Some(&read), &cfg).await;
    assert_eq!(
        r.requires_replace,
        vec![vec!["ebs_block_device".to_string()]]
    );
    sdk.delete_volume()
        .volume_id(&gone)
        .send()
        .await
        .expect("DeleteVolume");
    let again = p
        .read("aws_instance", &read)
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(
        again, read,
        "the deleted volume was already gone from the state"
    );

    // Destroyed: the volumes marked delete_on_termination go with it, the other stays.
    let (kept, deleted) = (
        str_of(item(&state, "/dev/sdh"), "volume_id"),
        str_of(item(&state, "/dev/sdf"), "volume_id"),
    );
    destroy(&p, "aws_instance", &read).await;
    assert!(!exists(&deleted).await, "{deleted} outlived the instance");
    assert!(exists(&kept).await, "{kept} was deleted with the instance");
    sdk.delete_volume()
        .volume_id(&kept)
        .send()
        .await
        .expect("DeleteVolume");
    site.destroy(&p).await;
}

/// Devices not written in the configuration (the image's) are kept as observed: no change,
/// no replacement.
#[tokio::test]
async fn unwritten_devices_are_observed_not_managed() {
    let _m = moto();
    let p = provider();
    let site = site(&p, "10.71").await;
    let (subnet, ami) = (site.subnet.clone(), site.ami.clone());
    let with = config(
        "aws_instance",
        vec![
            ("ami", s(&ami)),
            ("instance_type", s("t3.micro")),
            ("subnet_id", s(&str_of(&subnet, "id"))),
            (
                "ebs_block_device",
                Value::set(vec![device("/dev/sdf", 8, "gp2", false, true, Value::Null)]),
            ),
        ],
    );
    let state = create(&p, "aws_instance", &with).await;
    let unwritten = support::lifecycle::with(&with, vec![("ebs_block_device", Value::Null)]);
    let r = plan(&p, "aws_instance", Some(&state), &unwritten).await;
    assert!(r.requires_replace.is_empty(), "{:?}", r.requires_replace);
    assert_eq!(r.planned, state);
    destroy(&p, "aws_instance", &state).await;
    site.destroy(&p).await;
}

/// The root volume's tags, `delete_on_termination` and `volume_tags` change in place (they
/// used to be accepted and ignored): each checked through the SDK.
#[tokio::test]
async fn root_volume_settings_and_volume_tags_change_in_place() {
    let _m = moto();
    let p = provider();
    let sdk = ec2().await;
    let site = site(&p, "10.75").await;
    let (subnet, ami) = (site.subnet.clone(), site.ami.clone());
    let root = |delete: bool, own: Value| {
        let Value::List(mut items) = root_volume(10) else {
            unreachable!()
        };
        if let Value::Object(m) = &mut items[0] {
            m.insert("delete_on_termination".into(), Value::Bool(delete));
            m.insert("tags".into(), own);
        }
        Value::List(items)
    };
    let cfg = |delete: bool, own: Value| {
        config(
            "aws_instance",
            vec![
                ("ami", s(&ami)),
                ("instance_type", s("t3.micro")),
                ("subnet_id", s(&str_of(&subnet, "id"))),
                ("root_block_device", root(delete, own)),
            ],
        )
    };
    let state = create(&p, "aws_instance", &cfg(true, tags(&[("Backup", "daily")]))).await;
    let id = str_of(&state, "id");
    let root_volume_id = |st: &Value| {
        str_of(
            &get(st, "root_block_device").as_sequence().expect("root")[0],
            "volume_id",
        )
    };
    let volume = root_volume_id(&state);
    let volume_tags = |v: &str| {
        let sdk = sdk.clone();
        let v = v.to_string();
        async move {
            sdk.describe_volumes()
                .volume_ids(v)
                .send()
                .await
                .expect("DescribeVolumes")
                .volumes()[0]
                .tags()
                .to_vec()
        }
    };
    assert_eq!(
        tag_of(&volume_tags(&volume).await, "Backup").as_deref(),
        Some("daily")
    );

    // Tags and delete_on_termination changed in place.
    let changed = cfg(false, tags(&[("Backup", "weekly"), ("Owner", "ops")]));
    let state = update(&p, "aws_instance", &state, &changed).await;
    assert_eq!(str_of(&state, "id"), id);
    let now = volume_tags(&volume).await;
    assert_eq!(tag_of(&now, "Backup").as_deref(), Some("weekly"));
    assert_eq!(tag_of(&now, "Owner").as_deref(), Some("ops"));
    let seen = sdk
        .describe_instances()
        .instance_ids(&id)
        .send()
        .await
        .expect("DescribeInstances");
    let mapping = seen.reservations()[0].instances()[0].block_device_mappings()[0].clone();
    assert_eq!(
        mapping.ebs().and_then(|e| e.delete_on_termination()),
        Some(false)
    );
    // Removed out of band: seen and put back.
    sdk.delete_tags()
        .resources(&volume)
        .tags(aws_sdk_ec2::types::Tag::builder().key("Owner").build())
        .send()
        .await
        .expect("DeleteTags");
    let read = p
        .read("aws_instance", &state)
        .await
        .expect("read")
        .expect("exists");
    let state = update(&p, "aws_instance", &read, &changed).await;
    assert_eq!(
        tag_of(&volume_tags(&volume).await, "Owner").as_deref(),
        Some("ops")
    );
    destroy(&p, "aws_instance", &state).await;
    // delete_on_termination = false: the root volume outlives the instance.
    assert!(exists(&volume).await);
    sdk.delete_volume()
        .volume_id(&volume)
        .send()
        .await
        .expect("DeleteVolume");

    // volume_tags: on every volume, changed in place.
    let with_tags = |value: &str| {
        config(
            "aws_instance",
            vec![
                ("ami", s(&ami)),
                ("instance_type", s("t3.micro")),
                ("subnet_id", s(&str_of(&subnet, "id"))),
                ("root_block_device", root_volume(10)),
                (
                    "ebs_block_device",
                    Value::set(vec![device("/dev/sdf", 2, "gp2", false, true, Value::Null)]),
                ),
                ("volume_tags", tags(&[("Cost", value)])),
            ],
        )
    };
    let state = create(&p, "aws_instance", &with_tags("a")).await;
    let state = update(&p, "aws_instance", &state, &with_tags("b")).await;
    let volumes = [
        root_volume_id(&state),
        str_of(item(&state, "/dev/sdf"), "volume_id"),
    ];
    for v in &volumes {
        assert_eq!(
            tag_of(&volume_tags(v).await, "Cost").as_deref(),
            Some("b"),
            "{v}"
        );
    }
    destroy(&p, "aws_instance", &state).await;
    site.destroy(&p).await;
}
