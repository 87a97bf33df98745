//! VPC networking: `aws_vpc`, `aws_subnet`, `aws_internet_gateway`,
//! `aws_egress_only_internet_gateway`, `aws_vpc_dhcp_options` and its association.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_ec2::types::{AttributeBooleanValue, Filter};
use aws_sdk_ec2::Client;
use skel_provider::ProviderError;
use skel_value::Value;

use crate::common::{
    delete_retrying, get_bool, get_str, id_of, object_name, optional_bool, optional_string,
    tag_spec, tags_obs, update_tags, Obs, Origin, STATUS,
};
use crate::error::{created_id, retry_on, AwsErr, SdkResultExt, WaiterResultExt, DEPENDENCY, WAIT};
use crate::resource::{AwsResource, Kind};
use crate::AwsProvider;

pub(crate) fn region(ec2: &Client) -> String {
    ec2.config()
        .region()
        .map(|r| r.to_string())
        .unwrap_or_default()
}

pub(crate) fn arn(ec2: &Client, owner: Option<&str>, kind: &str, id: &str) -> Value {
    Value::string(format!(
        "arn:aws:ec2:{}:{}:{kind}/{id}",
        region(ec2),
        owner.unwrap_or_default()
    ))
}

fn flag(b: bool) -> AttributeBooleanValue {
    AttributeBooleanValue::builder().value(b).build()
}

pub(crate) fn filter(name: &str, values: &[String]) -> Filter {
    Filter::builder()
        .name(name)
        .set_values(Some(values.to_vec()))
        .build()
}

/// The objects `list` finds with a filter over a set-valued attribute (association ids, ACL
/// subnets) for `values`. With several values moto matches only an object whose set is a
/// subset or a superset of them (AWS: any of them), so each value that `has` finds in none of
/// the objects listed so far is asked for again on its own.
pub(crate) async fn list_by_set_filter<T, E, Fut>(
    values: &[String],
    list: impl Fn(Vec<String>) -> Fut,
    has: impl Fn(&T, &str) -> bool,
) -> Result<Vec<T>, E>
where
    Fut: std::future::Future<Output = Result<Vec<T>, E>>,
{
    let mut found = list(values.to_vec()).await?;
    if values.len() > 1 {
        for value in values {
            if !found.iter().any(|o| has(o, value)) {
                found.extend(list(vec![value.clone()]).await?);
            }
        }
    }
    Ok(found)
}

pub mod vpc;

pub mod subnet;

pub mod igw;

pub mod eigw;

pub mod dhcp;
