//! S3 (`aws-sdk-s3`): buckets, their versioning, encryption, public access block and policy,
//! and objects.
//!
//! S3 has no batch reads: every bucket and object is read with its own calls (`GetBucket*`,
//! `HeadObject`), so a refresh runs the reads of one batch concurrently ([`read_concurrently`]).
//! Buckets and their settings are identified by the bucket name; an object by `BUCKET/KEY`
//! inside the provider (its `id` attribute is the key, as in Terraform).

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

use aws_sdk_s3::Client;
use skel_provider::ProviderError;
use skel_value::{Value, ValueMap};

use crate::common::Obs;
use crate::error::AwsErr;
use crate::resource::AwsResource;
use crate::AwsProvider;

pub(crate) mod bucket;
pub(crate) mod settings;

/// The S3 resource types.
pub(crate) static RESOURCES: &[&dyn AwsResource] = &[
    &bucket::Bucket,
    &settings::versioning::Versioning,
    &settings::encryption::Encryption,
    &settings::public_access::PublicAccessBlock,
    &settings::policy::Policy,
];

/// The S3 rules of an update's plan: a policy that means the same document as the prior one
/// is not a change (S3 may store it formatted differently).
pub(crate) fn adjust_plan(type_name: &str, prior: &Value, planned: &mut Value) {
    if type_name == "aws_s3_bucket_policy" {
        use settings::policy::{same_policy, text};
        if let (Some(new), Some(old)) = (text(planned), text(prior)) {
            if new != old && same_policy(new, old) {
                let old = Value::string(old);
                if let Value::Object(m) = planned {
                    m.insert("policy".into(), old);
                }
            }
        }
    }
}

/// Whether an observed value of an S3 resource means what the state says although it is
/// written differently (a policy as JSON; encryption rules without bucket keys).
pub(crate) fn equivalent(type_name: &str, attr: &str, observed: &Value, state: &Value) -> bool {
    match (type_name, attr) {
        ("aws_s3_bucket_policy", "policy") => match (observed.as_str(), state.as_str()) {
            (Some(a), Some(b)) => settings::policy::same_policy(a, b),
            _ => false,
        },
        ("aws_s3_bucket_server_side_encryption_configuration", "rule") => {
            settings::encryption::same_rules(observed, state)
        }
        _ => false,
    }
}

/// Reads S3 data source `type_name`: its attributes.
pub(crate) async fn read_data(
    _p: &AwsProvider,
    type_name: &str,
    _config: &Value,
) -> Result<ValueMap, ProviderError> {
    Err(crate::data::unsupported(type_name))
}

/// How many reads of one batch run at once.
const CONCURRENT_READS: usize = 16;

/// One object's read: its observation, `None` when it is gone.
type ReadOne =
    fn(Client, String) -> Pin<Box<dyn Future<Output = Result<Option<Obs>, AwsErr>> + Send>>;

/// Reads `ids` with `one` call sequence each, [`CONCURRENT_READS`] at a time: observations
/// by id (an id not listed is gone).
pub(crate) async fn read_concurrently(
    s3: Client,
    ids: Vec<String>,
    one: ReadOne,
) -> Result<BTreeMap<String, Obs>, AwsErr> {
    let mut found = BTreeMap::new();
    for chunk in ids.chunks(CONCURRENT_READS) {
        let mut tasks = tokio::task::JoinSet::new();
        for id in chunk {
            let (s3, id) = (s3.clone(), id.clone());
            tasks.spawn(async move { (id.clone(), one(s3, id).await) });
        }
        while let Some(joined) = tasks.join_next().await {
            let (id, result) = joined.map_err(|e| AwsErr {
                kind: crate::error::ErrKind::Other,
                code: None,
                message: format!("a read task failed: {e}"),
                status: None,
            })?;
            if let Some(obs) = result? {
                found.insert(id, obs);
            }
        }
    }
    Ok(found)
}

/// The region the S3 client works in.
pub(crate) fn region(s3: &Client) -> String {
    s3.config()
        .region()
        .map(|r| r.as_ref().to_string())
        .unwrap_or_default()
}

/// The partition of `region` (`aws`, `aws-cn`, `aws-us-gov`).
pub(crate) fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// The DNS suffix of `region`'s partition.
fn dns_suffix(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    }
}

/// The Route 53 hosted zone id of S3 in `region` (for alias records), where it is known.
fn hosted_zone_id(region: &str) -> Option<&'static str> {
    Some(match region {
        "us-east-1" => "Z3AQBSTGFYJSTF",
        "us-east-2" => "Z2O1EMRO9K5GLX",
        "us-west-1" => "Z2F56UZL2M1ACD",
        "us-west-2" => "Z3BJ6K6RIION7M",
        "ca-central-1" => "Z1QDHH18159H29",
        "eu-west-1" => "Z1BKCTXD74EZPE",
        "eu-west-2" => "Z3GKZC51ZF0DB4",
        "eu-west-3" => "Z3R1K369G5AVDG",
        "eu-central-1" => "Z21DNDUVLTQW6Q",
        "eu-north-1" => "Z3BAZG2TWCNX0D",
        "ap-south-1" => "Z11RGJOFQNVJUP",
        "ap-northeast-1" => "Z2M4EHUR26P7ZW",
        "ap-northeast-2" => "Z3W03O7B5YMIYP",
        "ap-northeast-3" => "Z2YQB5RD63NC85",
        "ap-southeast-1" => "Z3O0J2DXBE1FTB",
        "ap-southeast-2" => "Z1WCIGYICN2BYD",
        "sa-east-1" => "Z7KQH4QJS55SO",
        _ => return None,
    })
}

/// Whether an error says the bucket (or the object) is gone.
pub(crate) fn gone(e: &AwsErr) -> bool {
    e.is(&["NoSuchBucket", "NoSuchKey", "NotFound"]) || e.status == Some(404) && e.code.is_none()
}
