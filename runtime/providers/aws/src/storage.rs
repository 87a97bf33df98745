//! Block storage: `aws_ebs_volume` and `aws_volume_attachment`.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_ec2::client::Waiters;
use aws_sdk_ec2::types::ResourceType;
use aws_sdk_ec2::Client;
use skel_provider::ProviderError;
use skel_value::Value;

use crate::common::{
    get, get_bool, get_i64, get_str, id_of, object_name, optional_bool, optional_number,
    optional_string, same, tag_spec, tags_obs, update_tags, Obs, Origin, STATUS,
};
use crate::error::{
    created_id, retry_on, waited, AwsErr, SdkResultExt, WaiterResultExt, DEPENDENCY, WAIT,
};
use crate::network::region;
use crate::resource::{AwsResource, Kind, Recovered};
use crate::AwsProvider;

pub mod volume {
    use super::*;
    use aws_sdk_ec2::types::{VolumeState, VolumeType};

    const TY: &str = "aws_ebs_volume";
    const KIND: Kind = Kind::tagged(TY, "volume", |api, ids| Box::pin(read(api.ec2, ids)));

    /// `aws_ebs_volume`.
    pub(crate) struct Volume;

    #[async_trait]
    impl AwsResource for Volume {
        fn kind(&self) -> Kind {
            KIND
        }

        async fn create(
            &self,
            p: &AwsProvider,
            planned: &Value,
            origin: &Origin<'_>,
        ) -> Result<String, ProviderError> {
            let w = format!("creating {TY} {origin}");
            let ec2 = p.ec2().await?;
            let out = ec2
                .create_volume()
                .set_availability_zone(get_str(planned, "availability_zone").map(str::to_string))
                .set_size(get_i64(planned, "size").map(|n| n as i32))
                .set_volume_type(get_str(planned, "type").map(VolumeType::from))
                .set_iops(get_i64(planned, "iops").map(|n| n as i32))
                .set_throughput(get_i64(planned, "throughput").map(|n| n as i32))
                .set_encrypted(get_bool(planned, "encrypted"))
                .set_kms_key_id(get_str(planned, "kms_key_id").map(str::to_string))
                .set_snapshot_id(get_str(planned, "snapshot_id").map(str::to_string))
                .set_multi_attach_enabled(get_bool(planned, "multi_attach_enabled"))
                .tag_specifications(tag_spec(p, ResourceType::Volume, planned, origin))
                .set_client_token(origin.token.map(str::to_string))
                .send()
                .await
                .or_fail(&w)?;
            let id = created_id(out.volume_id(), &w)?;
            let waited = ec2
                .wait_until_volume_available()
                .volume_ids(&id)
                .wait(WAIT)
                .await;
            self.settled(p, &id, planned, waited.failed(&w, "available"))
                .await?;
            Ok(id)
        }

        async fn update(
            &self,
            p: &AwsProvider,
            prior: &Value,
            planned: &Value,
            _origin: &Origin<'_>,
        ) -> Result<String, ProviderError> {
            let id = id_of(prior);
            let w = format!("updating {}", object_name(TY, &id));
            let changed =
                |n: &str| !same(get(prior, n), get(planned, n)) && !get(planned, n).is_null();
            if ["size", "type", "iops", "throughput"]
                .iter()
                .any(|n| changed(n))
            {
                p.ec2()
                    .await?
                    .modify_volume()
                    .volume_id(&id)
                    .set_size(
                        get_i64(planned, "size")
                            .filter(|_| changed("size"))
                            .map(|n| n as i32),
                    )
                    .set_volume_type(
                        get_str(planned, "type")
                            .filter(|_| changed("type"))
                            .map(VolumeType::from),
                    )
                    .set_iops(
                        get_i64(planned, "iops")
                            .filter(|_| changed("iops"))
                            .map(|n| n as i32),
                    )
                    .set_throughput(
                        get_i64(planned, "throughput")
                            .filter(|_| changed("throughput"))
                            .map(|n| n as i32),
                    )
                    .send()
                    .await
                    .or_fail(&w)?;
            }
            update_tags(p, &w, &id, prior, planned).await?;
            Ok(id)
        }

        async fn delete(&self, p: &AwsProvider, prior: &Value) -> Result<(), ProviderError> {
            let id = id_of(prior);
            let w = format!("deleting {}", object_name(TY, &id));
            let ec2 = p.ec2().await?;
            match retry_on(DEPENDENCY, || async {
                ec2.delete_volume().volume_id(&id).send().await.aws()
            })
            .await
            {
                Err(e) if e.is_not_found() => return Ok(()),
                Err(e) => return Err(e.into_provider(&w)),
                Ok(_) => {}
            }
            match ec2
                .wait_until_volume_deleted()
                .volume_ids(&id)
                .wait(WAIT)
                .await
            {
                Ok(_) => Ok(()),
                // The waiter's describe fails with NotFound once the volume is gone.
                Err(e)
                    if aws_smithy_types::error::display::DisplayErrorContext(&e)
                        .to_string()
                        .contains("NotFound") =>
                {
                    Ok(())
                }
                Err(e) => waited(Err::<(), _>(e), &w, "deleted"),
            }
        }
    }

    async fn read(ec2: Client, ids: Vec<String>) -> Result<BTreeMap<String, Obs>, AwsErr> {
        let out = ec2
            .describe_volumes()
            .set_volume_ids(Some(ids))
            .send()
            .await
            .aws()?;
        let mut found = BTreeMap::new();
        for v in out.volumes() {
            let Some(id) = v.volume_id() else { continue };
            if matches!(
                v.state(),
                Some(VolumeState::Deleted | VolumeState::Deleting)
            ) {
                continue;
            }
            let mut o = Obs::new();
            o.insert(
                STATUS.into(),
                optional_string(v.state().map(|s| s.as_str())),
            );
            o.insert(
                "availability_zone".into(),
                optional_string(v.availability_zone()),
            );
            o.insert("size".into(), optional_number(v.size().map(i64::from)));
            o.insert(
                "type".into(),
                optional_string(v.volume_type().map(|t| t.as_str())),
            );
            o.insert("iops".into(), optional_number(v.iops().map(i64::from)));
            o.insert(
                "throughput".into(),
                optional_number(v.throughput().map(i64::from)),
            );
            o.insert("encrypted".into(), optional_bool(v.encrypted()));
            o.insert("kms_key_id".into(), optional_string(v.kms_key_id()));
            o.insert(
                "snapshot_id".into(),
                optional_string(v.snapshot_id().filter(|s| !s.is_empty())),
            );
            o.insert(
                "multi_attach_enabled".into(),
                Value::Bool(v.multi_attach_enabled().unwrap_or(false)),
            );
            o.insert(
                "arn".into(),
                Value::string(format!("arn:aws:ec2:{}::volume/{id}", region(&ec2))),
            );
            o.insert("tags_all".into(), tags_obs(v.tags()));
            found.insert(id.to_string(), o);
        }
        Ok(found)
    }
}

pub mod attachment {
    use super::*;
    use aws_sdk_ec2::types::VolumeAttachmentState;

    const TY: &str = "aws_volume_attachment";
    const KIND: Kind = Kind::untagged(TY, |api, ids| Box::pin(read(api.ec2, ids)));

    fn id_for(device: &str, volume: &str, instance: &str) -> String {
        format!("{device}:{volume}:{instance}")
    }

    fn parts(id: &str) -> Option<(&str, &str, &str)> {
        let mut it = id.splitn(3, ':');
        Some((it.next()?, it.next()?, it.next()?))
    }

    /// `aws_volume_attachment`: found by device, volume and instance.
    pub(crate) struct Attachment;

    #[async_trait]
    impl AwsResource for Attachment {
        fn kind(&self) -> Kind {
            KIND
        }

        async fn create(
            &self,
            p: &AwsProvider,
            planned: &Value,
            origin: &Origin<'_>,
        ) -> Result<String, ProviderError> {
            let w = format!("creating {TY} {origin}");
            let ec2 = p.ec2().await?;
            let (device, volume, instance) = (
                get_str(planned, "device_name").unwrap_or_default(),
                get_str(planned, "volume_id").unwrap_or_default(),
                get_str(planned, "instance_id").unwrap_or_default(),
            );
            ec2.attach_volume()
                .device(device)
                .volume_id(volume)
                .instance_id(instance)
                .send()
                .await
                .or_fail(&w)?;
            let id = id_for(device, volume, instance);
            let waited = ec2
                .wait_until_volume_in_use()
                .volume_ids(volume)
                .wait(WAIT)
                .await;
            self.settled(p, &id, planned, waited.failed(&w, "attached"))
                .await?;
            Ok(id)
        }

        async fn update(
            &self,
            _p: &AwsProvider,
            prior: &Value,
            _planned: &Value,
            _origin: &Origin<'_>,
        ) -> Result<String, ProviderError> {
            Ok(id_of(prior))
        }

        async fn delete(&self, p: &AwsProvider, prior: &Value) -> Result<(), ProviderError> {
            let id = id_of(prior);
            if get_bool(prior, "skip_destroy") == Some(true) {
                return Ok(());
            }
            let w = format!("deleting {}", object_name(TY, &id));
            let Some((device, volume, instance)) = parts(&id) else {
                return Ok(());
            };
            let ec2 = p.ec2().await?;
            if get_bool(prior, "stop_instance_before_detaching") == Some(true) {
                ec2.stop_instances()
                    .instance_ids(instance)
                    .send()
                    .await
                    .or_fail(&w)?;
                waited(
                    ec2.wait_until_instance_stopped()
                        .instance_ids(instance)
                        .wait(WAIT)
                        .await,
                    &w,
                    "stopped",
                )?;
            }
            match ec2
                .detach_volume()
                .device(device)
                .volume_id(volume)
                .instance_id(instance)
                .set_force(get_bool(prior, "force_detach"))
                .send()
                .await
                .aws()
            {
                Err(e) if e.is_not_found() || e.is(&["IncorrectState"]) => return Ok(()),
                Err(e) => return Err(e.into_provider(&w)),
                Ok(_) => {}
            }
            waited(
                ec2.wait_until_volume_available()
                    .volume_ids(volume)
                    .wait(WAIT)
                    .await,
                &w,
                "detached",
            )
        }

        async fn find(&self, p: &AwsProvider, planned: &Value, _origin: &Origin<'_>) -> Recovered {
            let (Some(d), Some(v), Some(i)) = (
                get_str(planned, "device_name"),
                get_str(planned, "volume_id"),
                get_str(planned, "instance_id"),
            ) else {
                return Ok(None);
            };
            let id = id_for(d, v, i);
            Ok(self.describe_one(p, &id).await?.map(|_| id))
        }
    }

    async fn read(ec2: Client, ids: Vec<String>) -> Result<BTreeMap<String, Obs>, AwsErr> {
        let volumes: Vec<String> = ids
            .iter()
            .filter_map(|i| parts(i).map(|p| p.1.to_string()))
            .collect();
        let mut found = BTreeMap::new();
        if volumes.is_empty() {
            return Ok(found);
        }
        let out = ec2
            .describe_volumes()
            .set_volume_ids(Some(volumes))
            .send()
            .await
            .aws()?;
        for v in out.volumes() {
            for a in v.attachments() {
                if matches!(
                    a.state(),
                    Some(VolumeAttachmentState::Detached | VolumeAttachmentState::Detaching)
                ) {
                    continue;
                }
                let (Some(device), Some(volume), Some(instance)) =
                    (a.device(), a.volume_id(), a.instance_id())
                else {
                    continue;
                };
                let id = id_for(device, volume, instance);
                if !ids.contains(&id) {
                    continue;
                }
                let mut o = Obs::new();
                o.insert(
                    STATUS.into(),
                    optional_string(a.state().map(|s| s.as_str())),
                );
                o.insert("device_name".into(), Value::string(device));
                o.insert("volume_id".into(), Value::string(volume));
                o.insert("instance_id".into(), Value::string(instance));
                found.insert(id, o);
            }
        }
        Ok(found)
    }
}
