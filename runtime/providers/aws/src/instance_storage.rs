//! `aws_instance`'s volumes: the `root_block_device` and the `ebs_block_device` set (AWS provider
//! v6). Sent as RunInstances BlockDeviceMappings (a device's own `tags` by CreateTags on its
//! volume once it exists), read back from the volumes attached to the instances of a refresh:
//! one DescribeVolumes (filtered by `attachment.instance-id`) for the whole batch. The root
//! volume and `volume_tags` change in place; any EBS device change replaces the instance.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{
    BlockDeviceMapping, EbsBlockDevice, EbsInstanceBlockDeviceSpecification, Filter, Instance,
    InstanceBlockDeviceMappingSpecification, Volume, VolumeAttachmentState, VolumeType,
};
use aws_sdk_ec2::Client;
use skel_provider::ProviderError;
use skel_value::{Value, ValueMap};

use crate::common::{
    blocks, get, get_bool, get_i64, get_str, optional_bool, optional_number, optional_string, same,
    tags_obs, Obs,
};
use crate::error::{AwsErr, SdkResultExt};

/// The EBS settings of a `root_block_device` or `ebs_block_device` item `b`.
pub(crate) fn ebs(b: &Value, with_snapshot: bool) -> EbsBlockDevice {
    let number = |n: &str| get_i64(b, n).map(|n| n as i32);
    EbsBlockDevice::builder()
        .set_volume_size(number("volume_size"))
        .set_volume_type(get_str(b, "volume_type").map(VolumeType::from))
        .set_encrypted(get_bool(b, "encrypted"))
        .set_kms_key_id(get_str(b, "kms_key_id").map(str::to_string))
        .set_iops(number("iops"))
        .set_throughput(number("throughput"))
        .set_snapshot_id(
            get_str(b, "snapshot_id")
                .filter(|_| with_snapshot)
                .map(str::to_string),
        )
        .delete_on_termination(get_bool(b, "delete_on_termination").unwrap_or(true))
        .build()
}

/// One BlockDeviceMapping per `ebs_block_device` item of `planned`.
pub(crate) fn ebs_mappings(planned: &Value) -> Vec<BlockDeviceMapping> {
    blocks(planned, "ebs_block_device")
        .iter()
        .map(|b| {
            BlockDeviceMapping::builder()
                .set_device_name(get_str(b, "device_name").map(str::to_string))
                .ebs(ebs(b, true))
                .build()
        })
        .collect()
}

/// Tags the volume of the `root_block_device` and of each `ebs_block_device` item of
/// `planned` that has `tags` of its own, found in `running` (the instance as read back after
/// the create; an EBS device by its name).
pub(crate) async fn tag_devices(
    ec2: &Client,
    w: &str,
    planned: &Value,
    running: &Obs,
) -> Result<(), ProviderError> {
    let seen = |block: &str| {
        running
            .get(block)
            .and_then(Value::as_sequence)
            .unwrap_or(&[])
            .to_vec()
    };
    let (roots, devices) = (seen("root_block_device"), seen("ebs_block_device"));
    let wanted = blocks(planned, "root_block_device")
        .iter()
        .map(|b| (b, roots.first()))
        .chain(blocks(planned, "ebs_block_device").iter().map(|b| {
            let name = get_str(b, "device_name");
            (
                b,
                devices.iter().find(|s| get_str(s, "device_name") == name),
            )
        }));
    for (b, found) in wanted {
        if get(b, "tags").as_mapping().is_none_or(|m| m.is_empty()) {
            continue;
        }
        let Some(volume) = found.and_then(|s| get_str(s, "volume_id")) else {
            return Err(ProviderError::Api(format!(
                "{w}: the volume of device {} is not attached to the new instance; it could not be tagged.",
                get_str(b, "device_name").unwrap_or("(root)")
            )));
        };
        retag(ec2, w, volume, &Value::Null, get(b, "tags")).await?;
    }
    Ok(())
}

/// The instances of a refresh whose volumes are read, with their root device names.
#[derive(Default)]
pub(crate) struct Devices {
    instances: BTreeMap<String, String>,
    /// `delete_on_termination` by instance and device, as the instance's mappings say (a
    /// volume's attachment may not).
    delete: BTreeMap<(String, String), bool>,
}

impl Devices {
    /// Notes instance `i` (id `id`) when it has volumes.
    pub(crate) fn add(&mut self, id: &str, i: &Instance) {
        if i.block_device_mappings().is_empty() {
            return;
        }
        let root = i.root_device_name().unwrap_or_default().to_string();
        for m in i.block_device_mappings() {
            if let (Some(d), Some(on)) = (
                m.device_name(),
                m.ebs().and_then(|e| e.delete_on_termination()),
            ) {
                self.delete.insert((id.to_string(), d.to_string()), on);
            }
        }
        self.instances.insert(id.to_string(), root);
    }

    /// Reads the volumes attached to the noted instances and records them in `found` as
    /// `root_block_device` and `ebs_block_device` (an instance with no other volume has an
    /// empty `ebs_block_device`, so a volume detached out of band shows).
    pub(crate) async fn observe(
        self,
        ec2: &Client,
        found: &mut BTreeMap<String, Obs>,
    ) -> Result<(), AwsErr> {
        if self.instances.is_empty() {
            return Ok(());
        }
        let ids: Vec<String> = self.instances.keys().cloned().collect();
        let mut volumes: Vec<Volume> = Vec::new();
        // 200 values at most per filter.
        for chunk in ids.chunks(200) {
            let mut token = None;
            loop {
                let out = ec2
                    .describe_volumes()
                    .filters(
                        Filter::builder()
                            .name("attachment.instance-id")
                            .set_values(Some(chunk.to_vec()))
                            .build(),
                    )
                    .set_next_token(token)
                    .send()
                    .await
                    .aws()?;
                volumes.extend(out.volumes().iter().cloned());
                token = out
                    .next_token()
                    .filter(|t| !t.is_empty())
                    .map(str::to_string);
                if token.is_none() {
                    break;
                }
            }
        }
        let mut extra: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
        for v in &volumes {
            for a in v.attachments() {
                if matches!(
                    a.state(),
                    Some(VolumeAttachmentState::Detached | VolumeAttachmentState::Detaching)
                ) {
                    continue;
                }
                let (Some(instance), Some(device)) = (a.instance_id(), a.device()) else {
                    continue;
                };
                let Some((id, root)) = self.instances.get_key_value(instance) else {
                    continue;
                };
                let delete = self
                    .delete
                    .get(&(id.clone(), device.to_string()))
                    .copied()
                    .or(a.delete_on_termination());
                let tags = match tags_obs(v.tags()) {
                    Value::Map(m) if !m.is_empty() => Value::Map(m),
                    _ => Value::Null,
                };
                if device == root {
                    if let Some(o) = found.get_mut(id) {
                        o.insert(
                            "root_block_device".into(),
                            Value::List(vec![item(v, device, delete, tags, true)]),
                        );
                    }
                } else {
                    extra
                        .entry(id)
                        .or_default()
                        .push(item(v, device, delete, tags, false));
                }
            }
        }
        for id in self.instances.keys() {
            if let Some(o) = found.get_mut(id) {
                let items = extra.remove(id.as_str()).unwrap_or_default();
                o.insert("ebs_block_device".into(), Value::set(items));
            }
        }
        Ok(())
    }
}

/// The device tags observed in `o` reduced to the ones `state` manages: the keys of the
/// state's own `tags` of the same device (the root one, an EBS one by name), none when it has
/// none. A volume also carries the instance's or `volume_tags`' tags, which the read cannot tell
/// apart; an import (null `state`) takes every tag the instance does not have as the volume's.
pub(crate) fn device_tags(state: &Value, o: &mut Obs) {
    let instance = o.get("tags_all").and_then(Value::as_mapping).cloned();
    let managed = |block: &str, device: &Value| -> Option<Value> {
        if state.is_null() {
            return None;
        }
        let items = blocks(state, block);
        let mine = match block {
            "root_block_device" => items.first(),
            _ => items
                .iter()
                .find(|i| get_str(i, "device_name") == get_str(device, "device_name")),
        };
        Some(mine.map(|i| get(i, "tags").clone()).unwrap_or(Value::Null))
    };
    let reduce = |block: &str, item: &mut Value| {
        let wanted = managed(block, item);
        let Value::Object(m) = item else { return };
        let seen = m
            .get("tags")
            .and_then(Value::as_mapping)
            .cloned()
            .unwrap_or_default();
        let own: Option<ValueMap> = match &wanted {
            // An import: what the instance does not have.
            None => Some(
                seen.iter()
                    .filter(|(k, v)| instance.as_ref().and_then(|t| t.get(k)) != Some(*v))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            ),
            Some(w) => w.as_mapping().filter(|_| w.is_known()).map(|keys| {
                seen.iter()
                    .filter(|(k, _)| keys.contains_key(k))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            }),
        };
        let v = match own {
            Some(own) if !own.is_empty() || wanted.as_ref().is_some_and(|w| !w.is_null()) => {
                Value::Map(own)
            }
            _ => Value::Null,
        };
        m.insert("tags".into(), v);
    };
    for block in ["root_block_device", "ebs_block_device"] {
        match o.get_mut(block) {
            Some(Value::List(items)) => items.iter_mut().for_each(|i| reduce(block, i)),
            Some(Value::Set(items)) => {
                let mut all = std::mem::take(items);
                all.iter_mut().for_each(|i| reduce(block, i));
                o.insert(block.into(), Value::set(all));
            }
            _ => {}
        }
    }
}

/// A device as observed: the root device or an EBS device (which has a snapshot id).
fn item(v: &Volume, device: &str, delete: Option<bool>, tags: Value, root: bool) -> Value {
    let mut m = ValueMap::from([
        (
            "volume_size".to_string(),
            optional_number(v.size().map(i64::from)),
        ),
        (
            "volume_type".to_string(),
            optional_string(v.volume_type().map(|t| t.as_str())),
        ),
        ("encrypted".to_string(), optional_bool(v.encrypted())),
        (
            "kms_key_id".to_string(),
            optional_string(v.kms_key_id().filter(|k| !k.is_empty())),
        ),
        (
            "delete_on_termination".to_string(),
            Value::Bool(delete.unwrap_or(true)),
        ),
        ("iops".to_string(), optional_number(v.iops().map(i64::from))),
        (
            "throughput".to_string(),
            optional_number(v.throughput().map(i64::from)),
        ),
        ("volume_id".to_string(), optional_string(v.volume_id())),
        ("device_name".to_string(), Value::string(device)),
        ("tags".to_string(), tags),
    ]);
    if !root {
        m.insert(
            "snapshot_id".into(),
            optional_string(v.snapshot_id().filter(|s| !s.is_empty())),
        );
    }
    Value::Object(m)
}

/// A map attribute as tags (none when it is no map).
fn tag_map(v: &Value) -> BTreeMap<String, String> {
    v.as_mapping()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// Brings the tags of `volume` from `old` to `new` (map attributes).
async fn retag(
    ec2: &Client,
    w: &str,
    volume: &str,
    old: &Value,
    new: &Value,
) -> Result<(), ProviderError> {
    crate::common::retag(ec2, w, volume, &tag_map(old), tag_map(new)).await
}

/// Changes in place what differs in the volumes between `prior` and `planned` (EBS devices
/// replace the instance): the root volume's size, type, IOPS and throughput (ModifyVolume), its
/// `delete_on_termination` (ModifyInstanceAttribute) and tags, and `volume_tags` on every
/// volume of the instance.
pub(crate) async fn update_devices(
    ec2: &Client,
    w: &str,
    id: &str,
    prior: &Value,
    planned: &Value,
) -> Result<(), ProviderError> {
    let old_root = blocks(prior, "root_block_device").first().cloned();
    let new_root = blocks(planned, "root_block_device").first().cloned();
    if let (Some(old), Some(new), Some(volume)) = (
        &old_root,
        &new_root,
        old_root.as_ref().and_then(|o| get_str(o, "volume_id")),
    ) {
        let differs = |n: &str| {
            let v = get(new, n);
            v.is_known() && !v.is_null() && !same(v, get(old, n))
        };
        let number = |n: &str| get_i64(new, n).filter(|_| differs(n)).map(|n| n as i32);
        if ["volume_size", "volume_type", "iops", "throughput"]
            .iter()
            .any(|n| differs(n))
        {
            ec2.modify_volume()
                .volume_id(volume)
                .set_size(number("volume_size"))
                .set_volume_type(
                    get_str(new, "volume_type")
                        .filter(|_| differs("volume_type"))
                        .map(VolumeType::from),
                )
                .set_iops(number("iops"))
                .set_throughput(number("throughput"))
                .send()
                .await
                .or_fail(w)?;
        }
        if differs("delete_on_termination") {
            ec2.modify_instance_attribute()
                .instance_id(id)
                .block_device_mappings(
                    InstanceBlockDeviceMappingSpecification::builder()
                        .set_device_name(get_str(old, "device_name").map(str::to_string))
                        .ebs(
                            EbsInstanceBlockDeviceSpecification::builder()
                                .set_delete_on_termination(get_bool(new, "delete_on_termination"))
                                .build(),
                        )
                        .build(),
                )
                .send()
                .await
                .or_fail(w)?;
        }
        if get(new, "tags").is_known() && !same(get(new, "tags"), get(old, "tags")) {
            retag(ec2, w, volume, get(old, "tags"), get(new, "tags")).await?;
        }
    }
    let (old_tags, new_tags) = (get(prior, "volume_tags"), get(planned, "volume_tags"));
    if new_tags.is_known() && !same(old_tags, new_tags) {
        let volumes = blocks(prior, "root_block_device")
            .iter()
            .chain(blocks(prior, "ebs_block_device"))
            .filter_map(|b| get_str(b, "volume_id"))
            .map(str::to_string)
            .collect::<Vec<_>>();
        for volume in volumes {
            retag(ec2, w, &volume, old_tags, new_tags).await?;
        }
    }
    Ok(())
}
