//! `aws_iam_role`, its inline policies (`aws_iam_role_policy`, id `ROLE:NAME`) and its managed
//! policy attachments (`aws_iam_role_policy_attachment`, id `ROLE/POLICY_ARN`). Roles are found
//! by name (a generated name derives from the create's token) and carry the creation
//! protocol's tags; policies and attachments are identified by what they are.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_iam::Client;
use skel_provider::ProviderError;
use skel_value::Value;

use super::json::decoded;
use super::shared::{create_tags, date, each, name, retag, tags_obs, Tagged};
use crate::common::{
    get, get_bool, get_i64, get_str, id_of, object_name, optional_number, optional_string, same,
    Obs, Origin,
};
use crate::error::{AwsErr, SdkResultExt};
use crate::resource::{AwsResource, Kind, Recovered};
use crate::AwsProvider;

const ROLE: &str = "aws_iam_role";
const ROLE_KIND: Kind = Kind::untagged(ROLE, |api, ids| Box::pin(read_roles(api.iam, ids)));

/// `aws_iam_role`: found by its name.
pub(crate) struct Role;

#[async_trait]
impl AwsResource for Role {
    fn kind(&self) -> Kind {
        ROLE_KIND
    }

    async fn create(
        &self,
        p: &AwsProvider,
        planned: &Value,
        origin: &Origin<'_>,
    ) -> Result<String, ProviderError> {
        let w = format!("creating {ROLE} {origin}");
        let role = name(planned, origin);
        p.iam()
            .await?
            .create_role()
            .role_name(&role)
            .assume_role_policy_document(get_str(planned, "assume_role_policy").unwrap_or_default())
            .set_path(get_str(planned, "path").map(str::to_string))
            .set_description(get_str(planned, "description").map(str::to_string))
            .set_max_session_duration(
                get_i64(planned, "max_session_duration").and_then(|n| i32::try_from(n).ok()),
            )
            .set_permissions_boundary(get_str(planned, "permissions_boundary").map(str::to_string))
            .set_tags(Some(create_tags(p, planned, origin)))
            .send()
            .await
            .or_fail(&w)?;
        Ok(role)
    }

    async fn update(
        &self,
        p: &AwsProvider,
        prior: &Value,
        planned: &Value,
        _origin: &Origin<'_>,
    ) -> Result<String, ProviderError> {
        let id = id_of(prior);
        let w = format!("updating {}", object_name(ROLE, &id));
        let iam = p.iam().await?;
        let changed = |n: &str| !same(get(prior, n), get(planned, n));
        if changed("description") || changed("max_session_duration") {
            iam.update_role()
                .role_name(&id)
                .description(get_str(planned, "description").unwrap_or_default())
                .set_max_session_duration(
                    get_i64(planned, "max_session_duration").and_then(|n| i32::try_from(n).ok()),
                )
                .send()
                .await
                .or_fail(&w)?;
        }
        if changed("assume_role_policy") {
            iam.update_assume_role_policy()
                .role_name(&id)
                .policy_document(get_str(planned, "assume_role_policy").unwrap_or_default())
                .send()
                .await
                .or_fail(&w)?;
        }
        if changed("permissions_boundary") {
            match get_str(planned, "permissions_boundary") {
                Some(arn) => iam
                    .put_role_permissions_boundary()
                    .role_name(&id)
                    .permissions_boundary(arn)
                    .send()
                    .await
                    .map(drop)
                    .or_fail(&w)?,
                None => iam
                    .delete_role_permissions_boundary()
                    .role_name(&id)
                    .send()
                    .await
                    .map(drop)
                    .or_fail(&w)?,
            }
        }
        retag(p, iam, &w, Tagged::Role(&id), prior, planned).await?;
        Ok(id)
    }

    /// Deletes the role. IAM refuses while policies are attached or embedded: with
    /// `force_detach_policies` they go first, else the error says so. The role leaves its
    /// instance profiles first, as Terraform does.
    async fn delete(&self, p: &AwsProvider, prior: &Value) -> Result<(), ProviderError> {
        let id = id_of(prior);
        let w = format!("deleting {}", object_name(ROLE, &id));
        let iam = p.iam().await?;
        match detach_all(
            iam,
            &id,
            get_bool(prior, "force_detach_policies") == Some(true),
        )
        .await
        {
            Err(e) if e.is_not_found() => return Ok(()),
            other => other.map_err(|e| e.into_provider(&w))?,
        }
        match iam.delete_role().role_name(&id).send().await.aws() {
            Ok(_) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) if e.is(&["DeleteConflict"]) => Err(ProviderError::Conflict {
                code: e.code.clone(),
                message: format!(
                    "{w}: the role still has policies attached or embedded ({}); detach them (or remove the resources that attach them) or set `force_detach_policies = true`.",
                    e.message.trim_end_matches('.')
                ),
            }),
            Err(e) => Err(e.into_provider(&w)),
        }
    }

    async fn find(&self, p: &AwsProvider, planned: &Value, origin: &Origin<'_>) -> Recovered {
        find_named(self, p, planned, origin).await
    }
}

/// The object a crashed create of a named IAM type made: the one with the name it used.
pub(crate) async fn find_named(
    r: &dyn AwsResource,
    p: &AwsProvider,
    planned: &Value,
    origin: &Origin<'_>,
) -> Recovered {
    if get_str(planned, "name").is_none() && origin.token.is_none() {
        return Err(ProviderError::Other(format!(
            "{origin}: the interrupted create used a generated name and its journal has no token \
             to derive it from (written by an older skelc), so skel cannot tell whether it made \
             the object. Find it by its tag `skel:address = {origin}` and import it with \
             `skelc import {origin} NAME`."
        )));
    }
    let n = name(planned, origin);
    Ok(r.describe_one(p, &n).await?.map(|_| n))
}

/// Removes the role from its instance profiles and, when `policies`, detaches its managed
/// policies and deletes its inline ones.
async fn detach_all(iam: &Client, role: &str, policies: bool) -> Result<(), AwsErr> {
    let profiles = iam
        .list_instance_profiles_for_role()
        .role_name(role)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .aws()?;
    for ip in profiles {
        let removed = iam
            .remove_role_from_instance_profile()
            .instance_profile_name(ip.instance_profile_name())
            .role_name(role)
            .send()
            .await
            .aws();
        match removed {
            Err(e) if !e.is_not_found() => return Err(e),
            _ => {}
        }
    }
    if !policies {
        return Ok(());
    }
    let attached = iam
        .list_attached_role_policies()
        .role_name(role)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .aws()?;
    for a in attached {
        let Some(arn) = a.policy_arn() else { continue };
        match iam
            .detach_role_policy()
            .role_name(role)
            .policy_arn(arn)
            .send()
            .await
            .aws()
        {
            Err(e) if !e.is_not_found() => return Err(e),
            _ => {}
        }
    }
    let inline = iam
        .list_role_policies()
        .role_name(role)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .aws()?;
    for name in inline {
        match iam
            .delete_role_policy()
            .role_name(role)
            .policy_name(&name)
            .send()
            .await
            .aws()
        {
            Err(e) if !e.is_not_found() => return Err(e),
            _ => {}
        }
    }
    Ok(())
}

/// One GetRole per role (IAM has no batch read; ListRoles leaves out tags and boundaries).
async fn read_roles(iam: Client, ids: Vec<String>) -> Result<BTreeMap<String, Obs>, AwsErr> {
    each(ids, move |id| {
        let iam = iam.clone();
        async move {
            let out = iam.get_role().role_name(&id).send().await.aws()?;
            let Some(r) = out.role() else { return Ok(None) };
            let mut o = Obs::new();
            o.insert("name".into(), Value::string(r.role_name()));
            o.insert("path".into(), Value::string(r.path()));
            o.insert("arn".into(), Value::string(r.arn()));
            o.insert("unique_id".into(), Value::string(r.role_id()));
            o.insert("create_date".into(), date(r.create_date()));
            o.insert("description".into(), optional_string(r.description()));
            o.insert(
                "max_session_duration".into(),
                optional_number(r.max_session_duration().map(i64::from)),
            );
            o.insert(
                "permissions_boundary".into(),
                optional_string(
                    r.permissions_boundary()
                        .and_then(|b| b.permissions_boundary_arn()),
                ),
            );
            o.insert(
                "assume_role_policy".into(),
                optional_string(r.assume_role_policy_document().map(decoded).as_deref()),
            );
            o.insert("tags_all".into(), tags_obs(r.tags()));
            Ok(Some(o))
        }
    })
    .await
}

const POLICY: &str = "aws_iam_role_policy";
const POLICY_KIND: Kind = Kind::untagged(POLICY, |api, ids| Box::pin(read_inline(api.iam, ids)));

/// `aws_iam_role_policy`: a role's inline policy, identified by `ROLE:NAME`.
pub(crate) struct RolePolicy;

fn split_inline(id: &str) -> Option<(&str, &str)> {
    id.split_once(':')
        .filter(|(r, n)| !r.is_empty() && !n.is_empty())
}

fn inline_id(planned: &Value, origin: &Origin<'_>) -> String {
    format!(
        "{}:{}",
        get_str(planned, "role").unwrap_or_default(),
        name(planned, origin)
    )
}

#[async_trait]
impl AwsResource for RolePolicy {
    fn kind(&self) -> Kind {
        POLICY_KIND
    }

    async fn create(
        &self,
        p: &AwsProvider,
        planned: &Value,
        origin: &Origin<'_>,
    ) -> Result<String, ProviderError> {
        let id = inline_id(planned, origin);
        put_inline(p, &format!("creating {POLICY} {origin}"), &id, planned).await?;
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
        put_inline(
            p,
            &format!("updating {}", object_name(POLICY, &id)),
            &id,
            planned,
        )
        .await?;
        Ok(id)
    }

    async fn delete(&self, p: &AwsProvider, prior: &Value) -> Result<(), ProviderError> {
        let id = id_of(prior);
        let w = format!("deleting {}", object_name(POLICY, &id));
        let Some((role, policy)) = split_inline(&id) else {
            return Err(bad_inline_id(&w, &id));
        };
        crate::common::deleted(
            p.iam()
                .await?
                .delete_role_policy()
                .role_name(role)
                .policy_name(policy)
                .send()
                .await
                .aws(),
            &w,
        )
    }

    async fn find(&self, p: &AwsProvider, planned: &Value, origin: &Origin<'_>) -> Recovered {
        if get_str(planned, "name").is_none() && origin.token.is_none() {
            return find_named(self, p, planned, origin).await;
        }
        let id = inline_id(planned, origin);
        Ok(self.describe_one(p, &id).await?.map(|_| id))
    }
}

fn bad_inline_id(w: &str, id: &str) -> ProviderError {
    ProviderError::InvalidConfig(format!(
        "{w}: `{id}` is not an inline policy id of the form ROLE:NAME."
    ))
}

async fn put_inline(
    p: &AwsProvider,
    w: &str,
    id: &str,
    planned: &Value,
) -> Result<(), ProviderError> {
    let Some((role, policy)) = split_inline(id) else {
        return Err(bad_inline_id(w, id));
    };
    p.iam()
        .await?
        .put_role_policy()
        .role_name(role)
        .policy_name(policy)
        .policy_document(get_str(planned, "policy").unwrap_or_default())
        .send()
        .await
        .or_fail(w)?;
    Ok(())
}

async fn read_inline(iam: Client, ids: Vec<String>) -> Result<BTreeMap<String, Obs>, AwsErr> {
    each(ids, move |id| {
        let iam = iam.clone();
        async move {
            let Some((role, policy)) = split_inline(&id) else {
                return Ok(None);
            };
            let out = iam
                .get_role_policy()
                .role_name(role)
                .policy_name(policy)
                .send()
                .await
                .aws()?;
            let mut o = Obs::new();
            o.insert("role".into(), Value::string(out.role_name()));
            o.insert("name".into(), Value::string(out.policy_name()));
            o.insert(
                "policy".into(),
                Value::string(decoded(out.policy_document())),
            );
            Ok(Some(o))
        }
    })
    .await
}

const ATTACHMENT: &str = "aws_iam_role_policy_attachment";
const ATTACHMENT_KIND: Kind = Kind::untagged(ATTACHMENT, |api, ids| {
    Box::pin(read_attachments(api.iam, ids))
});

/// `aws_iam_role_policy_attachment`: a managed policy attached to a role, `ROLE/POLICY_ARN`.
pub(crate) struct Attachment;

fn split_attachment(id: &str) -> Option<(&str, &str)> {
    id.split_once('/')
        .filter(|(r, a)| !r.is_empty() && a.starts_with("arn:"))
}

#[async_trait]
impl AwsResource for Attachment {
    fn kind(&self) -> Kind {
        ATTACHMENT_KIND
    }

    async fn create(
        &self,
        p: &AwsProvider,
        planned: &Value,
        origin: &Origin<'_>,
    ) -> Result<String, ProviderError> {
        let role = get_str(planned, "role").unwrap_or_default();
        let arn = get_str(planned, "policy_arn").unwrap_or_default();
        p.iam()
            .await?
            .attach_role_policy()
            .role_name(role)
            .policy_arn(arn)
            .send()
            .await
            .or_fail(&format!("creating {ATTACHMENT} {origin}"))?;
        Ok(format!("{role}/{arn}"))
    }

    async fn update(
        &self,
        _p: &AwsProvider,
        prior: &Value,
        _planned: &Value,
        _origin: &Origin<'_>,
    ) -> Result<String, ProviderError> {
        // Every argument forces a replacement.
        Ok(id_of(prior))
    }

    async fn delete(&self, p: &AwsProvider, prior: &Value) -> Result<(), ProviderError> {
        let id = id_of(prior);
        let w = format!("deleting {}", object_name(ATTACHMENT, &id));
        let (role, arn) = (
            get_str(prior, "role").unwrap_or_default(),
            get_str(prior, "policy_arn").unwrap_or_default(),
        );
        crate::common::deleted(
            p.iam()
                .await?
                .detach_role_policy()
                .role_name(role)
                .policy_arn(arn)
                .send()
                .await
                .aws(),
            &w,
        )
    }

    async fn find(&self, p: &AwsProvider, planned: &Value, _origin: &Origin<'_>) -> Recovered {
        let id = format!(
            "{}/{}",
            get_str(planned, "role").unwrap_or_default(),
            get_str(planned, "policy_arn").unwrap_or_default()
        );
        Ok(self.describe_one(p, &id).await?.map(|_| id))
    }
}

/// One ListAttachedRolePolicies per role, however many of its attachments are asked for.
async fn read_attachments(iam: Client, ids: Vec<String>) -> Result<BTreeMap<String, Obs>, AwsErr> {
    let mut by_role: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for id in &ids {
        if let Some((role, arn)) = split_attachment(id) {
            by_role
                .entry(role.to_string())
                .or_default()
                .push(arn.to_string());
        }
    }
    let roles: Vec<String> = by_role.keys().cloned().collect();
    let attached = each(roles, move |role| {
        let iam = iam.clone();
        async move {
            let arns = iam
                .list_attached_role_policies()
                .role_name(&role)
                .into_paginator()
                .items()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await
                .aws()?;
            let mut o = Obs::new();
            for a in arns {
                if let Some(arn) = a.policy_arn() {
                    o.insert(arn.to_string(), Value::Bool(true));
                }
            }
            Ok(Some(o))
        }
    })
    .await?;
    let mut found = BTreeMap::new();
    for (role, arns) in by_role {
        let Some(on) = attached.get(&role) else {
            continue;
        };
        for arn in arns {
            if on.contains_key(&arn) {
                let mut o = Obs::new();
                o.insert("role".into(), Value::string(role.clone()));
                o.insert("policy_arn".into(), Value::string(arn.clone()));
                found.insert(format!("{role}/{arn}"), o);
            }
        }
    }
    Ok(found)
}
