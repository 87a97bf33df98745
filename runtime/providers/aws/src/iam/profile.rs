//! `aws_iam_instance_profile`: an instance profile and the role in it, found by name.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_iam::Client;
use skel_provider::ProviderError;
use skel_value::Value;

use super::shared::{create_tags, date, each, name, retag, tags_obs, Tagged};
use crate::common::{get, get_str, id_of, object_name, same, Obs, Origin};
use crate::error::{AwsErr, SdkResultExt};
use crate::resource::{AwsResource, Kind, Recovered};
use crate::AwsProvider;

const TY: &str = "aws_iam_instance_profile";
const KIND: Kind = Kind::untagged(TY, |api, ids| Box::pin(read(api.iam, ids)));

/// `aws_iam_instance_profile`: found by its name.
pub(crate) struct InstanceProfile;

#[async_trait]
impl AwsResource for InstanceProfile {
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
        let profile = name(planned, origin);
        let iam = p.iam().await?;
        iam.create_instance_profile()
            .instance_profile_name(&profile)
            .set_path(get_str(planned, "path").map(str::to_string))
            .set_tags(Some(create_tags(p, planned, origin)))
            .send()
            .await
            .or_fail(&w)?;
        if let Some(role) = get_str(planned, "role") {
            add_role(iam, &w, &profile, role).await?;
        }
        Ok(profile)
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
        let iam = p.iam().await?;
        if !same(get(prior, "role"), get(planned, "role")) {
            if let Some(old) = get_str(prior, "role") {
                remove_role(iam, &id, old)
                    .await
                    .map_err(|e| e.into_provider(&w))?;
            }
            if let Some(role) = get_str(planned, "role") {
                add_role(iam, &w, &id, role).await?;
            }
        }
        retag(p, iam, &w, Tagged::InstanceProfile(&id), prior, planned).await?;
        Ok(id)
    }

    /// Takes every role out of the profile (IAM refuses to delete one with a role), then
    /// deletes it.
    async fn delete(&self, p: &AwsProvider, prior: &Value) -> Result<(), ProviderError> {
        let id = id_of(prior);
        let w = format!("deleting {}", object_name(TY, &id));
        let iam = p.iam().await?;
        let roles = match iam
            .get_instance_profile()
            .instance_profile_name(&id)
            .send()
            .await
            .aws()
        {
            Err(e) if e.is_not_found() => return Ok(()),
            Err(e) => return Err(e.into_provider(&w)),
            Ok(out) => out
                .instance_profile()
                .map(|ip| {
                    ip.roles()
                        .iter()
                        .map(|r| r.role_name().to_string())
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default(),
        };
        for role in roles {
            remove_role(iam, &id, &role)
                .await
                .map_err(|e| e.into_provider(&w))?;
        }
        crate::common::deleted(
            iam.delete_instance_profile()
                .instance_profile_name(&id)
                .send()
                .await
                .aws(),
            &w,
        )
    }

    async fn find(&self, p: &AwsProvider, planned: &Value, origin: &Origin<'_>) -> Recovered {
        super::role::find_named(self, p, planned, origin).await
    }
}

async fn add_role(iam: &Client, w: &str, profile: &str, role: &str) -> Result<(), ProviderError> {
    iam.add_role_to_instance_profile()
        .instance_profile_name(profile)
        .role_name(role)
        .send()
        .await
        .or_fail(w)?;
    Ok(())
}

async fn remove_role(iam: &Client, profile: &str, role: &str) -> Result<(), AwsErr> {
    match iam
        .remove_role_from_instance_profile()
        .instance_profile_name(profile)
        .role_name(role)
        .send()
        .await
        .aws()
    {
        Err(e) if !e.is_not_found() => Err(e),
        _ => Ok(()),
    }
}

/// One GetInstanceProfile per profile.
async fn read(iam: Client, ids: Vec<String>) -> Result<BTreeMap<String, Obs>, AwsErr> {
    each(ids, move |id| {
        let iam = iam.clone();
        async move {
            let out = iam
                .get_instance_profile()
                .instance_profile_name(&id)
                .send()
                .await
                .aws()?;
            let Some(ip) = out.instance_profile() else {
                return Ok(None);
            };
            let mut o = Obs::new();
            o.insert("name".into(), Value::string(ip.instance_profile_name()));
            o.insert("path".into(), Value::string(ip.path()));
            o.insert("arn".into(), Value::string(ip.arn()));
            o.insert("unique_id".into(), Value::string(ip.instance_profile_id()));
            o.insert("create_date".into(), date(ip.create_date()));
            o.insert(
                "role".into(),
                ip.roles()
                    .first()
                    .map(|r| Value::string(r.role_name()))
                    .unwrap_or(Value::Null),
            );
            o.insert("tags_all".into(), tags_obs(ip.tags()));
            Ok(Some(o))
        }
    })
    .await
}
