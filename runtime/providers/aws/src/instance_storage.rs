//! `aws_instance`'s volumes: the `root_block_device` and the `ebs_block_device` set (AWS provider
//! v6). Sent as RunInstances BlockDeviceMappings (a device's own `tags` by CreateTags on its
//! volume once it exists), read back from the volumes attached to the instances of a refresh:
//! one DescribeVolumes (filtered by `attachment.instance-id`) for the whole batch.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{
    BlockDeviceMapping, EbsBlockDevice, Filter, Instance, Volume, VolumeAttachmentState, VolumeType,
};
use aws_sdk_ec2::Client;
use skel_provider::ProviderError;
use skel_value::{Value, ValueMap};

use crate::common::{
    blocks, ec2_tags, get, get_bool, get_i64, get_str, optional_bool, optional_number,
    optional_string, tags_obs, Obs,
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

/// Tags the volume of each `ebs_block_device` item of `planned` that has `tags` of its own,
/// found by device name in `running` (the instance as read back after the create).
pub(crate) async fn tag_devices(
    ec2: &Client,
    w: &str,
    planned: &Value,
    running: &Obs,
) -> Result<(), ProviderError> {
    let seen = running
        .get("ebs_block_device")
        .and_then(Value::as_sequence)
        .unwrap_or(&[]);
    for b in blocks(planned, "ebs_block_device") {
        let Some(tags) = get(b, "tags").as_mapping().filter(|m| !m.is_empty()) else {
            continue;
        };
        let device = get_str(b, "device_name");
        let Some(volume) = seen
            .iter()
            .find(|s| get_str(s, "device_name") == device)
            .and_then(|s| get_str(s, "volume_id"))
        else {
            return Err(ProviderError::Api(format!(
                "{w}: the volume of `ebs_block_device` {} is not attached to the new instance; it could not be tagged.",
                device.unwrap_or_default()
            )));
        };
        let tags: BTreeMap<String, String> = tags
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
            .collect();
        ec2.create_tags()
            .resources(volume)
            .set_tags(Some(ec2_tags(&tags)))
            .send()
            .await
            .or_fail(w)?;
    }
    Ok(())
}

/// The instances of a refresh whose volumes are read: their root device names and tags.
#[derive(Default)]
pub(crate) struct Devices {
    instances: BTreeMap<String, (String, Value)>,
    /// `delete_on_termination` by instance and device, as the instance's mappings say (a
    /// volume's attachment may not).
    delete: BTreeMap<(String, String), bool>,
}

impl Devices {
    /// Notes instance `i` (id `id`), observed as `o`, when it has volumes.
    pub(crate) fn add(&mut self, id: &str, i: &Instance, o: &Obs) {
        if i.block_device_mappings().is_empty() {
            return;
        }
        let root = i.root_device_name().unwrap_or_default().to_string();
        let tags = o.get("tags_all").cloned().unwrap_or(Value::Null);
        for m in i.block_device_mappings() {
            if let (Some(d), Some(on)) = (
                m.device_name(),
                m.ebs().and_then(|e| e.delete_on_termination()),
            ) {
                self.delete.insert((id.to_string(), d.to_string()), on);
            }
        }
        self.instances.insert(id.to_string(), (root, tags));
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
                let Some((id, (root, instance_tags))) = self.instances.get_key_value(instance)
                else {
                    continue;
                };
                let delete = self
                    .delete
                    .get(&(id.clone(), device.to_string()))
                    .copied()
                    .or(a.delete_on_termination());
                if device == root {
                    if let Some(o) = found.get_mut(id) {
                        o.insert(
                            "root_block_device".into(),
                            Value::List(vec![item(v, device, delete, None)]),
                        );
                    }
                } else {
                    let tags = own_tags(v, instance_tags);
                    extra
                        .entry(id)
                        .or_default()
                        .push(item(v, device, delete, Some(tags)));
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

/// A volume's tags that are its own: not the instance's (which the create gives every volume),
/// none when there are none.
fn own_tags(v: &Volume, instance_tags: &Value) -> Value {
    let all = tags_obs(v.tags());
    let Some(all) = all.as_mapping() else {
        return Value::Null;
    };
    let inherited = instance_tags.as_mapping();
    let own: ValueMap = all
        .iter()
        .filter(|(k, val)| inherited.and_then(|m| m.get(*k)) != Some(*val))
        .map(|(k, val)| (k.clone(), val.clone()))
        .collect();
    if own.is_empty() {
        Value::Null
    } else {
        Value::Map(own)
    }
}

/// A device as observed: a root device (`tags` None: not read back) or an EBS device.
fn item(v: &Volume, device: &str, delete: Option<bool>, tags: Option<Value>) -> Value {
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
    ]);
    match tags {
        None => {
            m.insert("tags".into(), Value::Null);
        }
        Some(tags) => {
            m.insert("tags".into(), tags);
            m.insert(
                "snapshot_id".into(),
                optional_string(v.snapshot_id().filter(|s| !s.is_empty())),
            );
        }
    }
    Value::Object(m)
}
