//! IAM and STS (`aws-sdk-iam`, `aws-sdk-sts`): roles, policies, attachments, instance profiles,
//! users and access keys, and the data sources `aws_iam_policy_document`,
//! `aws_caller_identity`, `aws_partition`.

use skel_provider::ProviderError;
use skel_value::{Value, ValueMap};

use crate::resource::AwsResource;
use crate::AwsProvider;

/// The IAM resource types.
pub(crate) static RESOURCES: &[&dyn AwsResource] = &[];

/// Reads IAM/STS data source `type_name`: its attributes.
pub(crate) async fn read_data(
    _p: &AwsProvider,
    type_name: &str,
    _config: &Value,
) -> Result<ValueMap, ProviderError> {
    Err(crate::data::unsupported(type_name))
}
