//! IAM and STS (`aws-sdk-iam`, `aws-sdk-sts`): roles, policies, attachments, instance profiles,
//! users and access keys, and the data sources `aws_iam_policy_document` (rendered locally),
//! `aws_caller_identity`, `aws_partition` (and the region facts `aws_region` reads).

use skel_provider::ProviderError;
use skel_value::{Value, ValueMap};

use crate::resource::AwsResource;
use crate::AwsProvider;

pub(crate) mod account;
pub(crate) mod json;
mod policy;
mod policy_document;
mod profile;
pub(crate) mod role;
mod user;

/// The IAM resource types.
pub(crate) static RESOURCES: &[&dyn AwsResource] = &[
    &role::Role,
    &role::RolePolicy,
    &role::Attachment,
    &policy::Policy,
    &profile::InstanceProfile,
    &user::User,
    &user::AccessKey,
];

/// The attributes of IAM types that hold a policy document, compared by meaning.
fn policy_attribute(type_name: &str, attr: &str) -> bool {
    matches!(
        (type_name, attr),
        ("aws_iam_role", "assume_role_policy")
            | ("aws_iam_role_policy", "policy")
            | ("aws_iam_policy", "policy")
    )
}

/// Whether an observed value of an IAM type means what the state says: a policy document
/// equal in meaning (IAM answers with its own formatting, URL-encoded).
pub(crate) fn equivalent(type_name: &str, attr: &str, observed: &Value, state: &Value) -> bool {
    policy_attribute(type_name, attr)
        && match (observed.as_str(), state.as_str()) {
            (Some(a), Some(b)) => json::same_policy(a, b),
            _ => false,
        }
}

/// A policy document written differently but equal in meaning to the prior one plans no
/// change: the prior text is kept.
/// A renamed user's id and ARN are known after the rename.
pub(crate) fn adjust_plan(type_name: &str, prior: &Value, planned: &mut Value) {
    let renamed = type_name == "aws_iam_user"
        && !crate::common::same(
            crate::common::get(prior, "name"),
            crate::common::get(planned, "name"),
        ) | !crate::common::same(
            crate::common::get(prior, "path"),
            crate::common::get(planned, "path"),
        );
    if renamed {
        crate::common::set_unknown(planned, "id");
        crate::common::set_unknown(planned, "arn");
    }
    let Value::Object(m) = planned else { return };
    for (attr, value) in m.iter_mut() {
        if !policy_attribute(type_name, attr) {
            continue;
        }
        let old = crate::common::get(prior, attr);
        if let (Some(new), Some(old_text)) = (value.as_str(), old.as_str()) {
            if new != old_text && json::same_policy(new, old_text) {
                *value = old.clone();
            }
        }
    }
}

/// Reads IAM/STS data source `type_name`: its attributes.
pub(crate) async fn read_data(
    p: &AwsProvider,
    type_name: &str,
    config: &Value,
) -> Result<ValueMap, ProviderError> {
    match type_name {
        "aws_iam_policy_document" => policy_document::read(config),
        "aws_caller_identity" => account::caller_identity(p).await,
        "aws_partition" => account::partition_data(p).await,
        other => Err(crate::data::unsupported(other)),
    }
}

/// What the IAM resources share: names derived from the create's token, tags, dates, policy
/// texts compared by meaning, reads of many objects one call each.
pub(crate) mod shared {
    use std::collections::BTreeMap;
    use std::future::Future;

    use aws_sdk_iam::types::Tag;
    use skel_value::Value;

    use crate::common::{desired_tags, get_str, Obs, Origin, ADDRESS_TAG, TOKEN_TAG};
    use crate::error::AwsErr;
    use crate::AwsProvider;

    /// The object's name: `name`, or `name_prefix` (default `terraform-`, as Terraform names
    /// unnamed IAM objects) and 26 characters from the create's token, so a crashed create's
    /// object is found again by name.
    pub(crate) fn name(planned: &Value, origin: &Origin<'_>) -> String {
        match (get_str(planned, "name"), get_str(planned, "name_prefix")) {
            (Some(n), _) => n.to_string(),
            (None, prefix) => format!("{}{}", prefix.unwrap_or("terraform-"), origin.suffix(26)),
        }
    }

    /// The tags of a create call: the planned ones and the creation protocol's.
    pub(crate) fn create_tags(p: &AwsProvider, planned: &Value, origin: &Origin<'_>) -> Vec<Tag> {
        let mut tags = desired_tags(&p.settings, planned);
        tags.insert(ADDRESS_TAG.into(), origin.address.into());
        if let Some(token) = origin.token {
            tags.insert(TOKEN_TAG.into(), token.into());
        }
        iam_tags(&tags)
    }

    pub(crate) fn iam_tags(tags: &BTreeMap<String, String>) -> Vec<Tag> {
        tags.iter()
            .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
            .collect()
    }

    /// `tags_all` as observed: every tag but `skel:*`.
    pub(crate) fn tags_obs(tags: &[Tag]) -> Value {
        Value::Map(
            tags.iter()
                .filter(|t| !t.key().starts_with("skel:"))
                .map(|t| (t.key().to_string(), Value::string(t.value())))
                .collect(),
        )
    }

    /// The tags to add and the keys to remove to go from `prior`'s tags to `planned`'s.
    pub(crate) fn tag_changes(
        p: &AwsProvider,
        prior: &Value,
        planned: &Value,
    ) -> (Vec<Tag>, Vec<String>) {
        let old = desired_tags(&p.settings, prior);
        let new = desired_tags(&p.settings, planned);
        let removed = old
            .keys()
            .filter(|k| !new.contains_key(*k))
            .cloned()
            .collect();
        let changed: BTreeMap<String, String> = new
            .into_iter()
            .filter(|(k, v)| old.get(k) != Some(v))
            .collect();
        (iam_tags(&changed), removed)
    }

    /// An IAM object whose tags are changed with its own TagX/UntagX calls, by name (a policy
    /// by ARN).
    #[derive(Clone, Copy)]
    pub(crate) enum Tagged<'a> {
        Role(&'a str),
        User(&'a str),
        Policy(&'a str),
        InstanceProfile(&'a str),
    }

    /// Brings the tags of `object` from `prior`'s to `planned`'s: UntagX for the keys that went,
    /// then TagX for the tags that are new or changed (neither call when nothing changed).
    pub(crate) async fn retag(
        p: &AwsProvider,
        iam: &aws_sdk_iam::Client,
        what: &str,
        object: Tagged<'_>,
        prior: &Value,
        planned: &Value,
    ) -> Result<(), skel_provider::ProviderError> {
        use crate::error::SdkResultExt;
        let (added, removed) = tag_changes(p, prior, planned);
        if !removed.is_empty() {
            let keys = Some(removed);
            match object {
                Tagged::Role(n) => iam
                    .untag_role()
                    .role_name(n)
                    .set_tag_keys(keys)
                    .send()
                    .await
                    .map(drop)
                    .or_fail(what)?,
                Tagged::User(n) => iam
                    .untag_user()
                    .user_name(n)
                    .set_tag_keys(keys)
                    .send()
                    .await
                    .map(drop)
                    .or_fail(what)?,
                Tagged::Policy(arn) => iam
                    .untag_policy()
                    .policy_arn(arn)
                    .set_tag_keys(keys)
                    .send()
                    .await
                    .map(drop)
                    .or_fail(what)?,
                Tagged::InstanceProfile(n) => iam
                    .untag_instance_profile()
                    .instance_profile_name(n)
                    .set_tag_keys(keys)
                    .send()
                    .await
                    .map(drop)
                    .or_fail(what)?,
            }
        }
        if !added.is_empty() {
            let tags = Some(added);
            match object {
                Tagged::Role(n) => iam
                    .tag_role()
                    .role_name(n)
                    .set_tags(tags)
                    .send()
                    .await
                    .map(drop)
                    .or_fail(what)?,
                Tagged::User(n) => iam
                    .tag_user()
                    .user_name(n)
                    .set_tags(tags)
                    .send()
                    .await
                    .map(drop)
                    .or_fail(what)?,
                Tagged::Policy(arn) => iam
                    .tag_policy()
                    .policy_arn(arn)
                    .set_tags(tags)
                    .send()
                    .await
                    .map(drop)
                    .or_fail(what)?,
                Tagged::InstanceProfile(n) => iam
                    .tag_instance_profile()
                    .instance_profile_name(n)
                    .set_tags(tags)
                    .send()
                    .await
                    .map(drop)
                    .or_fail(what)?,
            }
        }
        Ok(())
    }

    /// A date as Terraform writes it (RFC 3339).
    pub(crate) fn date(d: &aws_smithy_types::DateTime) -> Value {
        d.fmt(aws_smithy_types::date_time::Format::DateTime)
            .map(Value::string)
            .unwrap_or(Value::Null)
    }

    /// Reads `ids` with `one` (`None`: gone), all at once: IAM has no batch read.
    pub(crate) async fn each<F, Fut>(
        ids: Vec<String>,
        one: F,
    ) -> Result<BTreeMap<String, Obs>, AwsErr>
    where
        F: Fn(String) -> Fut,
        Fut: Future<Output = Result<Option<Obs>, AwsErr>> + Send + 'static,
    {
        let mut set = tokio::task::JoinSet::new();
        for (i, id) in ids.iter().enumerate() {
            let f = one(id.clone());
            set.spawn(async move { (i, f.await) });
        }
        let mut found = BTreeMap::new();
        while let Some(joined) = set.join_next().await {
            let (i, result) = joined.map_err(|e| AwsErr {
                kind: crate::error::ErrKind::Other,
                code: None,
                message: format!("a read task failed: {e}"),
                status: None,
            })?;
            match result {
                Ok(Some(obs)) => {
                    found.insert(ids[i].clone(), obs);
                }
                Ok(None) => {}
                Err(e) if e.is_not_found() => {}
                Err(e) => return Err(e),
            }
        }
        Ok(found)
    }
}
