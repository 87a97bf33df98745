//! IAM and STS (`aws-sdk-iam`, `aws-sdk-sts`): roles, policies, attachments, instance profiles,
//! users and access keys, and the data sources `aws_iam_policy_document` (rendered locally),
//! `aws_caller_identity`, `aws_partition` (and the region facts `aws_region` reads).

use skel_provider::ProviderError;
use skel_value::{Value, ValueMap};

use crate::resource::AwsResource;
use crate::AwsProvider;

pub(crate) mod account;
pub(crate) mod json;
mod policy_document;

/// The IAM resource types.
pub(crate) static RESOURCES: &[&dyn AwsResource] = &[];

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

