//! `aws_instance`, `aws_instances` and `aws_ami_ids`: instances by id, tags, states and
//! filters; AMI ids by owners, filters and a name pattern.

use aws_sdk_ec2::types::{Filter, Instance};
use skel_provider::ProviderError;
use skel_value::{Value, ValueMap};

use super::{exactly_one, filters, read_as_resource, region_id};
use crate::common::{blocks, get, get_bool, get_str, get_strs, optional_string, string_list};
use crate::error::SdkResultExt;
use crate::AwsProvider;

/// Every instance DescribeInstances lists for `ids` (none: all) and `fs`.
async fn list(
    p: &AwsProvider,
    ty: &str,
    ids: Option<Vec<String>>,
    fs: Vec<Filter>,
) -> Result<Vec<Instance>, ProviderError> {
    let mut out = Vec::new();
    let mut pages = p
        .ec2()
        .await?
        .describe_instances()
        .set_instance_ids(ids)
        .set_filters(Some(fs).filter(|f| !f.is_empty()))
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = match page.aws() {
            Err(e) if e.is_not_found() => break,
            other => other.map_err(|e| e.into_provider(&format!("reading data.{ty}")))?,
        };
        for r in page.reservations() {
            out.extend(r.instances().iter().cloned());
        }
    }
    Ok(out)
}

/// Whether the `filter` blocks already say which states to match.
fn filters_state(config: &Value) -> bool {
    blocks(config, "filter")
        .iter()
        .any(|f| get_str(f, "name") == Some("instance-state-name"))
}

/// `data.aws_instance`: one instance (a terminated one never matches unless a filter asks
/// for that state).
pub(super) async fn instance(p: &AwsProvider, config: &Value) -> Result<ValueMap, ProviderError> {
    let ty = "aws_instance";
    let mut fs = filters(config, "instance_tags");
    if !filters_state(config) {
        fs.push(
            Filter::builder()
                .name("instance-state-name")
                .set_values(Some(
                    ["pending", "running", "shutting-down", "stopped", "stopping"]
                        .map(String::from)
                        .to_vec(),
                ))
                .build(),
        );
    }
    let ids = get_str(config, "instance_id").map(|id| vec![id.to_string()]);
    let found = list(p, ty, ids, fs).await?;
    let id = exactly_one(
        ty,
        "EC2 instance",
        found
            .iter()
            .filter_map(|i| i.instance_id().map(str::to_string))
            .collect(),
    )?;
    let mut obs = read_as_resource(p, ty, ty, &id).await?;
    obs.insert("instance_id".into(), Value::string(&id));
    obs.insert(
        "instance_tags".into(),
        obs.get("tags").cloned().unwrap_or(Value::Null),
    );
    if let Some(i) = found.iter().find(|i| i.instance_id() == Some(id.as_str())) {
        let eni = i.network_interfaces().first();
        obs.insert(
            "network_interface_id".into(),
            optional_string(eni.and_then(|n| n.network_interface_id())),
        );
        obs.insert(
            "ipv6_addresses".into(),
            string_list(
                eni.map(|n| n.ipv6_addresses())
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|a| a.ipv6_address().map(str::to_string)),
            ),
        );
        obs.insert(
            "host_id".into(),
            optional_string(i.placement().and_then(|pl| pl.host_id())),
        );
    }
    // The data source's root device is the resource's, reduced to what it exports.
    let root = obs
        .get("root_block_device")
        .and_then(Value::as_sequence)
        .map(|devices| {
            devices
                .iter()
                .map(|d| {
                    Value::Object(
                        ["device_name", "volume_id", "delete_on_termination"]
                            .into_iter()
                            .map(|k| (k.to_string(), get(d, k).clone()))
                            .collect(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    obs.insert("root_block_device".into(), Value::List(root));
    let ec2 = p.ec2().await?;
    let w = format!("reading data.{ty}");
    if get_bool(config, "get_user_data") == Some(true) {
        let out = ec2
            .describe_instance_attribute()
            .instance_id(&id)
            .attribute(aws_sdk_ec2::types::InstanceAttributeName::UserData)
            .send()
            .await
            .or_fail(&w)?;
        obs.insert(
            "user_data_base64".into(),
            optional_string(out.user_data().and_then(|u| u.value())),
        );
    }
    if get_bool(config, "get_password_data") == Some(true) {
        let out = ec2
            .get_password_data()
            .instance_id(&id)
            .send()
            .await
            .or_fail(&w)?;
        obs.insert(
            "password_data".into(),
            optional_string(out.password_data().filter(|d| !d.trim().is_empty())),
        );
    }
    Ok(obs)
}

/// `data.aws_instances`: the matching instances' ids and addresses (running ones unless
/// `instance_state_names` says otherwise).
pub(super) async fn instances(p: &AwsProvider, config: &Value) -> Result<ValueMap, ProviderError> {
    let ty = "aws_instances";
    let mut fs = filters(config, "instance_tags");
    let mut states = get_strs(config, "instance_state_names");
    if states.is_empty() {
        states.push("running".into());
    }
    if !filters_state(config) {
        fs.push(
            Filter::builder()
                .name("instance-state-name")
                .set_values(Some(states))
                .build(),
        );
    }
    let found = list(p, ty, None, fs).await?;
    let (mut ids, mut private, mut public, mut v6) = (vec![], vec![], vec![], vec![]);
    for i in &found {
        let Some(id) = i.instance_id() else { continue };
        ids.push(id.to_string());
        private.extend(i.private_ip_address().map(str::to_string));
        public.extend(i.public_ip_address().map(str::to_string));
        for n in i.network_interfaces() {
            v6.extend(
                n.ipv6_addresses()
                    .iter()
                    .filter_map(|a| a.ipv6_address().map(str::to_string)),
            );
        }
    }
    Ok(ValueMap::from([
        ("id".to_string(), region_id(p.ec2().await?)),
        ("ids".to_string(), string_list(ids)),
        ("private_ips".to_string(), string_list(private)),
        ("public_ips".to_string(), string_list(public)),
        ("ipv6_addresses".to_string(), string_list(v6)),
    ]))
}

/// `data.aws_ami_ids`: the ids of the matching AMIs, newest first unless `sort_ascending`.
pub(super) async fn ami_ids(p: &AwsProvider, config: &Value) -> Result<ValueMap, ProviderError> {
    let ty = "aws_ami_ids";
    let w = format!("reading data.{ty}");
    let pattern = match get_str(config, "name_regex") {
        Some(text) => Some(regex::Regex::new(text).map_err(|e| {
            ProviderError::InvalidConfig(format!(
                "data.{ty}: `name_regex` = {text:?} is not a valid regular expression ({}).",
                e.to_string().lines().last().unwrap_or_default().trim()
            ))
        })?),
        None => None,
    };
    let ec2 = p.ec2().await?;
    let mut images = Vec::new();
    let mut pages = ec2
        .describe_images()
        .set_owners(Some(get_strs(config, "owners")).filter(|o| !o.is_empty()))
        .set_executable_users(Some(get_strs(config, "executable_users")).filter(|o| !o.is_empty()))
        .set_filters(Some(filters(config, "")).filter(|f| !f.is_empty()))
        .set_include_deprecated(get_bool(config, "include_deprecated"))
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        images.extend(page.or_fail(&w)?.images().iter().cloned());
    }
    images.retain(|i| {
        pattern
            .as_ref()
            .is_none_or(|re| re.is_match(i.name().unwrap_or_default()))
    });
    // Newest first (ties by id, so the order is stable), or oldest first when asked.
    images.sort_by(|a, b| {
        b.creation_date()
            .cmp(&a.creation_date())
            .then(a.image_id().cmp(&b.image_id()))
    });
    if get_bool(config, "sort_ascending") == Some(true) {
        images.reverse();
    }
    Ok(ValueMap::from([
        ("id".to_string(), region_id(ec2)),
        (
            "ids".to_string(),
            string_list(
                images
                    .iter()
                    .filter_map(|i| i.image_id().map(str::to_string)),
            ),
        ),
    ]))
}
