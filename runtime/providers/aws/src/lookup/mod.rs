//! Lookups of existing objects by filters and tags: the data sources `aws_vpc`, `aws_subnet`,
//! `aws_subnets`, `aws_security_group`, `aws_instance`, `aws_instances`, `aws_ami_ids` (EC2)
//! and `aws_route53_zone` (Route 53).
//!
//! A singular lookup (`aws_vpc`) asks the Describe call for the objects that match every
//! argument and filter at once, then reads the one it found with its resource type's own
//! read (so a data source and a resource show an object alike); none or several matches are
//! an error that says so and names the candidates. A plural lookup (`aws_subnets`) returns
//! what matched, possibly nothing.

use aws_sdk_ec2::types::Filter;
use skel_provider::ProviderError;
use skel_value::{Value, ValueMap};

use crate::common::{blocks, get, get_str, get_strs, Obs};
use crate::AwsProvider;

mod ec2;
mod instances;
mod zone;

/// Reads lookup data source `type_name`: its attributes.
pub(crate) async fn read_data(
    p: &AwsProvider,
    type_name: &str,
    config: &Value,
) -> Result<ValueMap, ProviderError> {
    match type_name {
        "aws_vpc" => ec2::vpc(p, config).await,
        "aws_subnet" => ec2::subnet(p, config).await,
        "aws_subnets" => ec2::subnets(p, config).await,
        "aws_security_group" => ec2::security_group(p, config).await,
        "aws_instance" => instances::instance(p, config).await,
        "aws_instances" => instances::instances(p, config).await,
        "aws_ami_ids" => instances::ami_ids(p, config).await,
        "aws_route53_zone" => zone::zone(p, config).await,
        _ => Err(crate::data::unsupported(type_name)),
    }
}

/// The filters of a Describe call: the `filter` blocks, then `tag:KEY = VALUE` for each
/// entry of the map argument `tags_arg` (`tags`, `instance_tags`).
fn filters(config: &Value, tags_arg: &str) -> Vec<Filter> {
    let mut out: Vec<Filter> = blocks(config, "filter")
        .iter()
        .map(|f| {
            Filter::builder()
                .set_name(get_str(f, "name").map(str::to_string))
                .set_values(Some(get_strs(f, "values")))
                .build()
        })
        .collect();
    if let Some(tags) = get(config, tags_arg).as_mapping() {
        for (k, v) in tags {
            out.push(
                Filter::builder()
                    .name(format!("tag:{k}"))
                    .values(v.as_str().unwrap_or_default())
                    .build(),
            );
        }
    }
    out
}

/// Adds filter `name = value` when the argument `arg` is set (a string, or a bool as
/// `true`/`false`).
fn arg_filter(out: &mut Vec<Filter>, config: &Value, arg: &str, name: &str) {
    let value = match get(config, arg) {
        Value::Bool(b) => Some(b.to_string()),
        v => v.as_str().map(str::to_string),
    };
    if let Some(value) = value {
        out.push(Filter::builder().name(name).values(value).build());
    }
}

/// The one id a singular lookup found; an error saying that none or several objects (named)
/// match, for data source `type_name` looking up `what` (`VPC`).
fn exactly_one(type_name: &str, what: &str, mut ids: Vec<String>) -> Result<String, ProviderError> {
    ids.sort();
    ids.dedup();
    match ids.len() {
        1 => Ok(ids.remove(0)),
        0 => Err(ProviderError::NotFound {
            code: None,
            message: format!(
                "data.{type_name}: no {what} matches the arguments and filters; check them and the region (Terraform: \"no matching {what} found\")."
            ),
        }),
        n => Err(ProviderError::InvalidConfig(format!(
            "data.{type_name}: {n} {what}s match the arguments and filters ({}); add arguments, tags or filters so that exactly one matches.",
            ids.join(", ")
        ))),
    }
}

/// The observation of `id` by resource type `resource_type`'s own read, with its tags as
/// `tags` (what a data source exports).
async fn read_as_resource(
    p: &AwsProvider,
    type_name: &str,
    resource_type: &str,
    id: &str,
) -> Result<Obs, ProviderError> {
    let mut obs = crate::resource::resource(resource_type)?
        .describe_one(p, id)
        .await?
        .ok_or_else(|| ProviderError::NotFound {
            code: None,
            message: format!("data.{type_name}: `{id}` was found but is gone now; retry."),
        })?;
    if let Some(tags) = obs.remove("tags_all") {
        obs.insert("tags".into(), tags);
    }
    obs.insert("id".into(), Value::string(id));
    Ok(obs)
}

/// The region of the EC2 client: the `id` of plural lookups.
fn region_id(ec2: &aws_sdk_ec2::Client) -> Value {
    Value::string(crate::network::region(ec2))
}
