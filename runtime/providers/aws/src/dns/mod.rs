//! Route 53: `aws_route53_zone` and `aws_route53_record`.

use skel_value::ValueMap;
use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_route53::types::{
    AliasTarget, Change, ChangeAction, ChangeBatch, ChangeStatus, HostedZoneConfig, ResourceRecord,
    ResourceRecordSet, RrType, Tag, TagResourceType,
};
use aws_sdk_route53::Client;
use skel_provider::ProviderError;
use skel_value::Value;

use crate::batch::Failure;
use crate::common::{
    blocks, desired_tags, dns_name, get, get_bool, get_i64, get_str, get_strs, id_of, object_name,
    one_of, optional_bool, optional_number, optional_string, same, string_list, string_set, Obs,
    Origin, ADDRESS_TAG,
};
use crate::error::{AwsErr, SdkResultExt, WaitFailed};
use crate::resource::{read_each, AwsResource, Described, Kind, Recovered};
use crate::AwsProvider;

/// A lookup of the record sets with a name, a type and a set identifier.
type SetQuery = (String, String, Option<String>);

/// Lookups of record sets, merged per hosted zone (see `record::current`).
pub(crate) type RecordSets =
    crate::coalesce::Coalescer<SetQuery, Result<Vec<ResourceRecordSet>, AwsErr>>;

/// The zone id without its `/hostedzone/` prefix.
fn bare(id: &str) -> String {
    id.trim_start_matches("/hostedzone/").to_string()
}

/// Polls `GetChange` until change `change` is INSYNC, for up to ten minutes; on failure, why
/// and the change's status last seen (`change C123 PENDING`).
pub(crate) async fn poll_insync(
    r53: &Client,
    change: &str,
) -> Result<(), (String, Option<String>)> {
    let mut delay = Duration::from_millis(500);
    let mut seen = None;
    for _ in 0..120 {
        match r53.get_change().id(change).send().await.aws() {
            Ok(out) => {
                let status = out.change_info().map(|c| c.status().clone());
                if status == Some(ChangeStatus::Insync) {
                    return Ok(());
                }
                seen = status.map(|s| format!("change {change} {}", s.as_str()));
            }
            Err(e) => {
                let message = e.message.trim().trim_end_matches('.').to_string();
                let why = match e.code {
                    Some(code) => format!("GetChange failed: {code}: {message}"),
                    None => format!("GetChange failed: {message}"),
                };
                return Err((why, seen));
            }
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(10));
    }
    Err(("the change was not INSYNC after ten minutes".into(), seen))
}

/// Waits until a change is INSYNC, for up to ten minutes; `w` names the resource and action.
async fn wait_insync(r53: &Client, w: &str, change: Option<&str>) -> Result<(), WaitFailed> {
    let Some(change) = change else { return Ok(()) };
    poll_insync(r53, change)
        .await
        .map_err(|(detail, seen)| WaitFailed {
            what: w.to_string(),
            until: "INSYNC".into(),
            detail,
            seen,
        })
}

pub mod zone;

pub mod record;
