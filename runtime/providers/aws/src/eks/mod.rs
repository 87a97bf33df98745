//! EKS (`aws-sdk-eks`): clusters and node groups, and the data sources `aws_eks_cluster` and
//! `aws_eks_cluster_auth`.
//!
//! Both resource types are named objects: a cluster's id is its name, a node group's is
//! `CLUSTER:NODE_GROUP`. Creates carry the creation protocol's tags (`skel:token`,
//! `skel:address`) and the token as `clientRequestToken`, so recovery finds the object by its
//! name and checks the tag. Creates and updates wait until the object is ACTIVE, deletes until
//! it is gone, each bounded by the `timeouts` block (Terraform's defaults).

use std::collections::BTreeMap;
use std::future::Future;
use std::time::{Duration, Instant};

use skel_provider::ProviderError;
use skel_value::{Value, ValueMap};

use crate::common::get_str;
use crate::error::{AwsErr, WaitFailed};
use crate::resource::AwsResource;
use crate::AwsProvider;

mod auth;
mod cluster;
mod cluster_config;
mod node_group;
mod node_group_config;

/// The EKS resource types.
pub(crate) static RESOURCES: &[&dyn AwsResource] = &[&cluster::Cluster, &node_group::NodeGroup];

/// Reads EKS data source `type_name`: its attributes.
pub(crate) async fn read_data(
    p: &AwsProvider,
    type_name: &str,
    config: &Value,
) -> Result<ValueMap, ProviderError> {
    let name = get_str(config, "name").unwrap_or_default().to_string();
    match type_name {
        "aws_eks_cluster" => cluster::data(p, &name).await,
        "aws_eks_cluster_auth" => auth::data(p, &name).await,
        _ => Err(crate::data::unsupported(type_name)),
    }
}

/// Whether observed attribute `attr` of EKS type `type_name` means what the state says although
/// it reads differently (a cluster capability that is off, shown as `enabled = false`).
pub(crate) fn equivalent(type_name: &str, attr: &str, observed: &Value, state: &Value) -> bool {
    type_name == "aws_eks_cluster" && cluster_config::equivalent(attr, observed, state)
}

/// Plans the create of EKS type `type_name`: an optional and computed block the configuration
/// does not write is EKS's choice, known after the create (not an empty block, which the first
/// refresh would contradict).
pub(crate) fn plan_create(type_name: &str, planned: &mut Value) {
    let Ok(schema) = crate::common::resource_schema(type_name) else {
        return;
    };
    let Value::Object(fields) = planned else {
        return;
    };
    for (name, nested) in &schema.block.blocks {
        let written = fields
            .get(name)
            .and_then(Value::as_sequence)
            .is_some_and(|items| !items.is_empty());
        if nested.computed && !written {
            fields.insert(name.clone(), Value::Unknown(nested.computed_type()));
        }
    }
}

/// `tags_all` as EKS shows it: every tag but `skel:*`.
fn tags_obs(tags: Option<&std::collections::HashMap<String, String>>) -> Value {
    Value::Map(
        tags.into_iter()
            .flatten()
            .filter(|(k, _)| !k.starts_with("skel:"))
            .map(|(k, v)| (k.clone(), Value::string(v)))
            .collect(),
    )
}

/// The tags of a create call: the planned tags, `skel:address` and (with a token)
/// `skel:token`.
fn create_tags(
    p: &AwsProvider,
    planned: &Value,
    origin: &crate::origin::Origin<'_>,
) -> std::collections::HashMap<String, String> {
    let mut tags: std::collections::HashMap<String, String> =
        crate::common::desired_tags(&p.settings, planned)
            .into_iter()
            .collect();
    tags.insert(crate::origin::ADDRESS_TAG.into(), origin.address.into());
    if let Some(token) = origin.token {
        tags.insert(crate::origin::TOKEN_TAG.into(), token.into());
    }
    tags
}

/// Whether an object's tags say `origin`'s create made it (its token, or for a journal
/// without one, its address).
fn made_by(
    tags: Option<&std::collections::HashMap<String, String>>,
    origin: &crate::origin::Origin<'_>,
) -> bool {
    let (key, value) = match origin.token {
        Some(token) => (crate::origin::TOKEN_TAG, token),
        None => (crate::origin::ADDRESS_TAG, origin.address),
    };
    tags.and_then(|t| t.get(key)).map(String::as_str) == Some(value)
}

/// Brings the tags of EKS object `arn` from `prior`'s to `planned`'s (TagResource,
/// UntagResource).
async fn update_tags(
    p: &AwsProvider,
    what: &str,
    arn: &str,
    prior: &Value,
    planned: &Value,
) -> Result<(), ProviderError> {
    use crate::error::SdkResultExt;
    let old = crate::common::desired_tags(&p.settings, prior);
    let new = crate::common::desired_tags(&p.settings, planned);
    let eks = p.eks().await?;
    let removed: Vec<String> = old
        .keys()
        .filter(|k| !new.contains_key(*k))
        .cloned()
        .collect();
    if !removed.is_empty() {
        eks.untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(removed))
            .send()
            .await
            .or_fail(what)?;
    }
    let changed: BTreeMap<String, String> = new
        .into_iter()
        .filter(|(k, v)| old.get(k) != Some(v))
        .collect();
    if !changed.is_empty() {
        eks.tag_resource()
            .resource_arn(arn)
            .set_tags(Some(changed.into_iter().collect()))
            .send()
            .await
            .or_fail(what)?;
    }
    Ok(())
}

/// What one poll of an object's status saw: its status, or `None` when it is gone.
type Polled = Result<Option<String>, AwsErr>;

/// Polls `status` until the object is in state `until` (`None`: gone), while it is in one of
/// the `pending` states, for at most `timeout`. Any other state, a failed poll or the timeout
/// ends the wait with why and the state last seen; `what` names the object and the action.
async fn wait_for<F, Fut>(
    what: &str,
    until: Option<&str>,
    pending: &[&str],
    timeout: Duration,
    mut status: F,
) -> Result<(), WaitFailed>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Polled>,
{
    let awaited = until.unwrap_or("deleted");
    let start = Instant::now();
    let mut delay = Duration::from_secs(2);
    loop {
        let seen = match status().await {
            Ok(seen) => seen,
            Err(e) => {
                let message = e.message.trim().trim_end_matches('.').to_string();
                let detail = match e.code {
                    Some(code) => format!("checking its state failed: {code}: {message}"),
                    None => format!("checking its state failed: {message}"),
                };
                return Err(WaitFailed::ended(what, awaited, detail, None));
            }
        };
        if seen.as_deref() == until {
            return Ok(());
        }
        let Some(state) = seen else {
            return Err(WaitFailed::ended(
                what,
                awaited,
                "it disappeared".into(),
                None,
            ));
        };
        if !pending.contains(&state.as_str()) {
            return Err(WaitFailed::ended(
                what,
                awaited,
                format!("it reached state {state}, from which it cannot become {awaited}"),
                Some(state),
            ));
        }
        let elapsed = start.elapsed();
        if elapsed >= timeout {
            return Err(WaitFailed::ended(
                what,
                awaited,
                format!(
                    "it was still not {awaited} after {} (raise it in the `timeouts` block)",
                    humanize(timeout)
                ),
                Some(state),
            ));
        }
        tokio::time::sleep(delay.min(timeout - elapsed)).await;
        delay = (delay * 2).min(Duration::from_secs(15));
    }
}

/// A duration for messages: `30m`, `90s`.
fn humanize(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 60 && s.is_multiple_of(60) {
        format!("{}m", s / 60)
    } else {
        format!("{s}s")
    }
}
