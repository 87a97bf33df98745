//! `aws_iam_policy`: a customer managed policy, identified by its ARN. A new policy text is a
//! new default version; the oldest other version is deleted first when the policy already has
//! five, IAM's limit, as Terraform does.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_iam::Client;
use skel_provider::ProviderError;
use skel_value::Value;

use super::json::decoded;
use super::shared::{create_tags, date, each, name, retag, tags_obs, Tagged};
use crate::common::{get, get_str, id_of, object_name, optional_string, same, Obs, Origin};
use crate::error::{AwsErr, SdkResultExt};
use crate::resource::{AwsResource, Kind, Recovered};
use crate::AwsProvider;

const TY: &str = "aws_iam_policy";
const KIND: Kind = Kind::untagged(TY, |api, ids| Box::pin(read(api.iam, ids)));

/// `aws_iam_policy`: found by the ARN its name makes.
pub(crate) struct Policy;

#[async_trait]
impl AwsResource for Policy {
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
        let out = p
            .iam()
            .await?
            .create_policy()
            .policy_name(name(planned, origin))
            .policy_document(get_str(planned, "policy").unwrap_or_default())
            .set_path(get_str(planned, "path").map(str::to_string))
            .set_description(get_str(planned, "description").map(str::to_string))
            .set_tags(Some(create_tags(p, planned, origin)))
            .send()
            .await
            .or_fail(&w)?;
        crate::error::created_id(out.policy().and_then(|p| p.arn()), &w)
    }

    async fn update(
        &self,
        p: &AwsProvider,
        prior: &Value,
        planned: &Value,
        _origin: &Origin<'_>,
    ) -> Result<String, ProviderError> {
        let arn = id_of(prior);
        let w = format!("updating {}", object_name(TY, &arn));
        let iam = p.iam().await?;
        if !same(get(prior, "policy"), get(planned, "policy")) {
            prune_versions(iam, &arn)
                .await
                .map_err(|e| e.into_provider(&w))?;
            iam.create_policy_version()
                .policy_arn(&arn)
                .policy_document(get_str(planned, "policy").unwrap_or_default())
                .set_as_default(true)
                .send()
                .await
                .or_fail(&w)?;
        }
        retag(p, iam, &w, Tagged::Policy(&arn), prior, planned).await?;
        Ok(arn)
    }

    /// Deletes the policy's other versions, then the policy; one still attached is a clear
    /// error.
    async fn delete(&self, p: &AwsProvider, prior: &Value) -> Result<(), ProviderError> {
        let arn = id_of(prior);
        let w = format!("deleting {}", object_name(TY, &arn));
        let iam = p.iam().await?;
        match versions(iam, &arn).await {
            Err(e) if e.is_not_found() => return Ok(()),
            Err(e) => return Err(e.into_provider(&w)),
            Ok(vs) => {
                for (id, default) in vs {
                    if !default {
                        delete_version(iam, &arn, &id)
                            .await
                            .map_err(|e| e.into_provider(&w))?;
                    }
                }
            }
        }
        match iam.delete_policy().policy_arn(&arn).send().await.aws() {
            Ok(_) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) if e.is(&["DeleteConflict"]) => Err(ProviderError::Conflict {
                code: e.code.clone(),
                message: format!(
                    "{w}: the policy is still attached to users, groups or roles ({}); detach it first.",
                    e.message.trim_end_matches('.')
                ),
            }),
            Err(e) => Err(e.into_provider(&w)),
        }
    }

    /// The policy a crashed create made: the one whose ARN its name and path make.
    async fn find(&self, p: &AwsProvider, planned: &Value, origin: &Origin<'_>) -> Recovered {
        if get_str(planned, "name").is_none() && origin.token.is_none() {
            return super::role::find_named(self, p, planned, origin).await;
        }
        let account = super::account::caller_identity(p).await?;
        let account = account
            .get("account_id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let region = super::account::current_region(p).await?;
        let partition = super::account::partition_of(&region);
        let arn = format!(
            "arn:{partition}:iam::{account}:policy{}{}",
            get_str(planned, "path").unwrap_or("/"),
            name(planned, origin)
        );
        Ok(self.describe_one(p, &arn).await?.map(|_| arn))
    }
}

/// The policy's versions: id and whether it is the default, oldest first.
async fn versions(iam: &Client, arn: &str) -> Result<Vec<(String, bool)>, AwsErr> {
    let out = iam
        .list_policy_versions()
        .policy_arn(arn)
        .send()
        .await
        .aws()?;
    let mut vs: Vec<_> = out
        .versions()
        .iter()
        .map(|v| {
            (
                v.create_date().map(|d| d.as_secs_f64()).unwrap_or_default(),
                v.version_id().unwrap_or_default().to_string(),
                v.is_default_version(),
            )
        })
        .collect();
    vs.sort_by(|a, b| {
        a.0.total_cmp(&b.0)
            .then(version_number(&a.1).cmp(&version_number(&b.1)))
    });
    Ok(vs.into_iter().map(|(_, id, d)| (id, d)).collect())
}

fn version_number(id: &str) -> u64 {
    id.trim_start_matches('v').parse().unwrap_or(0)
}

async fn delete_version(iam: &Client, arn: &str, id: &str) -> Result<(), AwsErr> {
    match iam
        .delete_policy_version()
        .policy_arn(arn)
        .version_id(id)
        .send()
        .await
        .aws()
    {
        Err(e) if !e.is_not_found() => Err(e),
        _ => Ok(()),
    }
}

/// Makes room for a new version: with five (IAM's limit), the oldest non-default one goes.
async fn prune_versions(iam: &Client, arn: &str) -> Result<(), AwsErr> {
    let vs = versions(iam, arn).await?;
    if vs.len() >= 5 {
        if let Some((oldest, _)) = vs.iter().find(|(_, default)| !default) {
            delete_version(iam, arn, oldest).await?;
        }
    }
    Ok(())
}

/// GetPolicy and GetPolicyVersion (the default version's text) per policy.
async fn read(iam: Client, ids: Vec<String>) -> Result<BTreeMap<String, Obs>, AwsErr> {
    each(ids, move |arn| {
        let iam = iam.clone();
        async move {
            let out = iam.get_policy().policy_arn(&arn).send().await.aws()?;
            let Some(pol) = out.policy() else {
                return Ok(None);
            };
            let version = pol.default_version_id().unwrap_or("v1");
            let doc = iam
                .get_policy_version()
                .policy_arn(&arn)
                .version_id(version)
                .send()
                .await
                .aws()?;
            let mut o = Obs::new();
            o.insert("arn".into(), Value::string(&arn));
            o.insert("name".into(), optional_string(pol.policy_name()));
            o.insert("path".into(), optional_string(pol.path()));
            o.insert("description".into(), optional_string(pol.description()));
            o.insert("policy_id".into(), optional_string(pol.policy_id()));
            o.insert(
                "attachment_count".into(),
                Value::number(i64::from(pol.attachment_count().unwrap_or(0))),
            );
            if let Some(d) = pol.create_date() {
                o.insert("create_date".into(), date(d));
            }
            o.insert(
                "policy".into(),
                optional_string(
                    doc.policy_version()
                        .and_then(|v| v.document())
                        .map(decoded)
                        .as_deref(),
                ),
            );
            o.insert("tags_all".into(), tags_obs(pol.tags()));
            Ok(Some(o))
        }
    })
    .await
}
