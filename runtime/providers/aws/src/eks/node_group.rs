//! `aws_eks_node_group`: managed node groups, identified as `CLUSTER:NODE_GROUP`.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_eks::types::{
    AmiTypes, CapacityTypes, Nodegroup, NodegroupScalingConfig, UpdateLabelsPayload,
};
use aws_sdk_eks::Client;
use skel_provider::kit::{timeout, Operation};
use skel_provider::ProviderError;
use skel_value::{Value, ValueMap};

use super::node_group_config as settings;
use super::{create_tags, made_by, tags_obs, update_tags, wait_for};
use crate::common::{
    get, get_bool, get_i64, get_str, get_strs, id_of, optional_number, optional_string, same,
    string_list, string_set, Obs, Origin, STATUS,
};
use crate::error::{AwsErr, SdkResultExt, WaitFailed};
use crate::resource::{AwsResource, Kind, Recovered};
use crate::AwsProvider;

const TY: &str = "aws_eks_node_group";
const KIND: Kind = Kind::untagged(TY, |api, ids| Box::pin(read(api.eks, ids)));

/// `aws_eks_node_group`.
pub(crate) struct NodeGroup;

/// `CLUSTER:NODE_GROUP` split in two; an error for any other id.
fn split(id: &str) -> Result<(&str, &str), ProviderError> {
    match id.split_once(':') {
        Some((c, n)) if !c.is_empty() && !n.is_empty() && !n.contains(':') => Ok((c, n)),
        _ => Err(ProviderError::InvalidConfig(format!(
            "{TY}: `{id}` is not a node group id; write it as CLUSTER_NAME:NODE_GROUP_NAME."
        ))),
    }
}

/// The node group as DescribeNodegroup shows it; `None` when it (or its cluster) is gone.
async fn describe(eks: &Client, cluster: &str, name: &str) -> Result<Option<Nodegroup>, AwsErr> {
    match eks
        .describe_nodegroup()
        .cluster_name(cluster)
        .nodegroup_name(name)
        .send()
        .await
        .aws()
    {
        Ok(out) => Ok(out.nodegroup().cloned()),
        Err(e) if e.is(&["ResourceNotFoundException"]) => Ok(None),
        Err(e) => Err(e),
    }
}

async fn status(eks: &Client, cluster: &str, name: &str) -> Result<Option<String>, AwsErr> {
    Ok(describe(eks, cluster, name)
        .await?
        .and_then(|n| n.status().map(|s| s.as_str().to_string())))
}

/// Waits until update `update` (when the API named one that is still running) is done, then
/// until the node group is ACTIVE.
async fn wait_active(
    p: &AwsProvider,
    what: &str,
    (cluster, name): (&str, &str),
    update: Option<&aws_sdk_eks::types::Update>,
    limit: Duration,
) -> Result<Option<WaitFailed>, ProviderError> {
    let eks = p.eks().await?;
    let running = update.filter(|u| u.status().is_some_and(|s| s.as_str() == "InProgress"));
    if let Some(id) = running.and_then(|u| u.id()) {
        let polled = wait_for(
            what,
            Some("Successful"),
            &["InProgress"],
            limit,
            || async move {
                let out = eks
                    .describe_update()
                    .name(cluster)
                    .nodegroup_name(name)
                    .update_id(id)
                    .send()
                    .await
                    .aws()?;
                Ok(out
                    .update()
                    .and_then(|u| u.status())
                    .map(|s| s.as_str().to_string()))
            },
        )
        .await;
        if let Err(failed) = polled {
            return Ok(Some(failed));
        }
    }
    Ok(wait_for(
        what,
        Some("ACTIVE"),
        &["CREATING", "UPDATING"],
        limit,
        || status(eks, cluster, name),
    )
    .await
    .err())
}

fn scaling(planned: &Value) -> NodegroupScalingConfig {
    let s = skel_provider::kit::first_block(planned, "scaling_config");
    let n = |k: &str| get_i64(s, k).and_then(|v| i32::try_from(v).ok());
    NodegroupScalingConfig::builder()
        .set_min_size(n("min_size"))
        .set_max_size(n("max_size"))
        .set_desired_size(n("desired_size"))
        .build()
}

fn labels(v: &Value) -> BTreeMap<String, String> {
    get(v, "labels")
        .as_mapping()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

#[async_trait]
impl AwsResource for NodeGroup {
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
        let limit = timeout(planned, Operation::Create, Duration::from_secs(60 * 60))?;
        let cluster = get_str(planned, "cluster_name")
            .unwrap_or_default()
            .to_string();
        let name = name_of(planned, origin);
        let out = p
            .eks()
            .await?
            .create_nodegroup()
            .cluster_name(&cluster)
            .nodegroup_name(&name)
            .node_role(get_str(planned, "node_role_arn").unwrap_or_default())
            .set_subnets(Some(get_strs(planned, "subnet_ids")))
            .scaling_config(scaling(planned))
            .set_instance_types(Some(get_strs(planned, "instance_types")).filter(|t| !t.is_empty()))
            .set_ami_type(get_str(planned, "ami_type").map(AmiTypes::from))
            .set_capacity_type(get_str(planned, "capacity_type").map(CapacityTypes::from))
            .set_disk_size(get_i64(planned, "disk_size").and_then(|n| i32::try_from(n).ok()))
            .set_labels(
                Some(labels(planned).into_iter().collect())
                    .filter(|l: &std::collections::HashMap<_, _>| !l.is_empty()),
            )
            .set_version(get_str(planned, "version").map(str::to_string))
            .set_release_version(get_str(planned, "release_version").map(str::to_string))
            .set_launch_template(settings::launch_template(planned))
            .set_remote_access(settings::remote_access(planned))
            .set_taints(settings::taints(planned))
            .set_update_config(settings::update_config(planned))
            .set_node_repair_config(settings::node_repair(planned))
            .set_tags(Some(create_tags(p, planned, origin)))
            .set_client_request_token(origin.token.map(str::to_string))
            .send()
            .await
            .or_fail(&w)?;
        let _ = out;
        let id = format!("{cluster}:{name}");
        let failed = wait_active(p, &w, (&cluster, &name), None, limit).await?;
        self.settled(p, &id, planned, failed).await?;
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
        let (cluster, name) = split(&id)?;
        let w = format!("updating {TY} `{id}`");
        let limit = timeout(planned, Operation::Update, Duration::from_secs(60 * 60))?;
        let eks = p.eks().await?;
        let changed = |arg: &str| !same(get(prior, arg), get(planned, arg));
        let mut failed = None;
        let template = settings::template_version_changed(prior, planned);
        if changed("version") || changed("release_version") || template {
            let out = eks
                .update_nodegroup_version()
                .cluster_name(cluster)
                .nodegroup_name(name)
                .set_version(get_str(planned, "version").map(str::to_string))
                .set_release_version(
                    get_str(planned, "release_version")
                        .filter(|_| changed("release_version"))
                        .map(str::to_string),
                )
                .set_launch_template(settings::launch_template(planned).filter(|_| template))
                .set_force(get_bool(planned, "force_update_version"))
                .send()
                .await
                .or_fail(&w)?;
            failed = wait_active(p, &w, (cluster, name), out.update(), limit).await?;
        }
        let config_changed = [
            "scaling_config",
            "labels",
            "taint",
            "update_config",
            "node_repair_config",
        ]
        .iter()
        .any(|a| changed(a));
        if failed.is_none() && config_changed {
            let mut call = eks
                .update_nodegroup_config()
                .cluster_name(cluster)
                .nodegroup_name(name);
            if changed("scaling_config") {
                call = call.scaling_config(scaling(planned));
            }
            if changed("labels") {
                let (old, new) = (labels(prior), labels(planned));
                let removed: Vec<String> = old
                    .keys()
                    .filter(|k| !new.contains_key(*k))
                    .cloned()
                    .collect();
                call = call.labels(
                    UpdateLabelsPayload::builder()
                        .set_add_or_update_labels(
                            Some(new.into_iter().collect())
                                .filter(|l: &std::collections::HashMap<_, _>| !l.is_empty()),
                        )
                        .set_remove_labels(Some(removed).filter(|r| !r.is_empty()))
                        .build(),
                );
            }
            if changed("taint") {
                call = call.taints(settings::taint_changes(prior, planned));
            }
            if changed("update_config") {
                call = call.set_update_config(settings::update_config(planned));
            }
            if changed("node_repair_config") {
                call = call.set_node_repair_config(settings::node_repair(planned));
            }
            let out = call.send().await.or_fail(&w)?;
            failed = wait_active(p, &w, (cluster, name), out.update(), limit).await?;
        }
        self.settled(p, &id, planned, failed).await?;
        if changed("tags") || changed("tags_all") {
            let arn = get_str(prior, "arn").unwrap_or_default();
            update_tags(p, &w, arn, prior, planned).await?;
        }
        Ok(id)
    }

    async fn delete(&self, p: &AwsProvider, prior: &Value) -> Result<(), ProviderError> {
        let id = id_of(prior);
        let (cluster, name) = split(&id)?;
        let w = format!("deleting {TY} `{id}`");
        let limit = timeout(prior, Operation::Delete, Duration::from_secs(60 * 60))?;
        let eks = p.eks().await?;
        match eks
            .delete_nodegroup()
            .cluster_name(cluster)
            .nodegroup_name(name)
            .send()
            .await
            .aws()
        {
            Ok(_) => {}
            Err(e) if e.is(&["ResourceNotFoundException"]) => return Ok(()),
            Err(e) => return Err(e.into_provider(&w)),
        }
        wait_for(&w, None, &["DELETING", "ACTIVE", "DEGRADED"], limit, || {
            status(eks, cluster, name)
        })
        .await
        .map_err(WaitFailed::into_error)
    }

    async fn describe(&self, p: &AwsProvider, ids: &[String]) -> crate::resource::Described {
        for id in ids {
            split(id)?;
        }
        crate::resource::read_merged(p, KIND, ids).await
    }

    /// The node group `origin`'s create made: the one of the planned (or token-derived) name
    /// in the planned cluster, if it carries the create's token (or address).
    async fn find(&self, p: &AwsProvider, planned: &Value, origin: &Origin<'_>) -> Recovered {
        let Some(cluster) = get_str(planned, "cluster_name") else {
            return Ok(None);
        };
        if origin.token.is_none() && get_str(planned, "node_group_name").is_none() {
            // A generated name without a token cannot be computed again.
            return Ok(None);
        }
        let name = name_of(planned, origin);
        let found = describe(p.eks().await?, cluster, &name)
            .await
            .map_err(|e| e.into_provider(&format!("recovering {origin}")))?;
        Ok(found
            .filter(|n| made_by(n.tags(), origin))
            .map(|_| format!("{cluster}:{name}")))
    }
}

/// The node group's name: `node_group_name`, else `node_group_name_prefix` (or `skel-`)
/// followed by 26 characters of the create's token, so recovery can compute it again.
fn name_of(planned: &Value, origin: &Origin<'_>) -> String {
    match get_str(planned, "node_group_name") {
        Some(name) => name.to_string(),
        None => format!(
            "{}{}",
            get_str(planned, "node_group_name_prefix").unwrap_or("skel-"),
            origin.suffix(26)
        ),
    }
}

async fn read(eks: Client, ids: Vec<String>) -> Result<BTreeMap<String, Obs>, AwsErr> {
    let mut found = BTreeMap::new();
    for id in ids {
        let Some((cluster, name)) = id.split_once(':') else {
            continue;
        };
        if let Some(n) = describe(&eks, cluster, name).await? {
            found.insert(id.clone(), observe(&id, &n));
        }
    }
    Ok(found)
}

fn observe(id: &str, n: &Nodegroup) -> Obs {
    let mut o = Obs::new();
    o.insert("id".into(), Value::string(id));
    o.insert("cluster_name".into(), optional_string(n.cluster_name()));
    o.insert(
        "node_group_name".into(),
        optional_string(n.nodegroup_name()),
    );
    o.insert("arn".into(), optional_string(n.nodegroup_arn()));
    o.insert("node_role_arn".into(), optional_string(n.node_role()));
    o.insert("subnet_ids".into(), string_set(n.subnets().iter().cloned()));
    o.insert(
        "instance_types".into(),
        string_list(n.instance_types().iter().cloned()),
    );
    o.insert(
        "ami_type".into(),
        optional_string(n.ami_type().map(|t| t.as_str())),
    );
    o.insert(
        "capacity_type".into(),
        optional_string(n.capacity_type().map(|t| t.as_str())),
    );
    o.insert(
        "disk_size".into(),
        optional_number(n.disk_size().map(i64::from)),
    );
    o.insert(
        "labels".into(),
        Value::Map(
            n.labels()
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.clone(), Value::string(v)))
                .collect(),
        ),
    );
    o.insert("version".into(), optional_string(n.version()));
    o.insert(
        "release_version".into(),
        optional_string(n.release_version()),
    );
    let status = n.status().map(|s| s.as_str());
    o.insert("status".into(), optional_string(status));
    o.insert(STATUS.into(), optional_string(status));
    if let Some(s) = n.scaling_config() {
        o.insert(
            "scaling_config".into(),
            Value::List(vec![Value::Object(ValueMap::from([
                (
                    "desired_size".to_string(),
                    optional_number(s.desired_size().map(i64::from)),
                ),
                (
                    "max_size".to_string(),
                    optional_number(s.max_size().map(i64::from)),
                ),
                (
                    "min_size".to_string(),
                    optional_number(s.min_size().map(i64::from)),
                ),
            ]))]),
        );
    }
    let resources = n.resources().map(|r| {
        Value::Object(ValueMap::from([
            (
                "autoscaling_groups".to_string(),
                Value::List(
                    r.auto_scaling_groups()
                        .iter()
                        .map(|g| {
                            Value::Object(ValueMap::from([(
                                "name".to_string(),
                                optional_string(g.name()),
                            )]))
                        })
                        .collect(),
                ),
            ),
            (
                "remote_access_security_group_id".to_string(),
                optional_string(r.remote_access_security_group()),
            ),
        ]))
    });
    o.insert(
        "resources".into(),
        Value::List(resources.into_iter().collect()),
    );
    settings::observe(n, &mut o);
    o.insert("tags_all".into(), tags_obs(n.tags()));
    o
}
