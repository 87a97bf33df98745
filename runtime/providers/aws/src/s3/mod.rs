//! S3 (`aws-sdk-s3`): buckets, their versioning, encryption, public access block and policy,
//! and objects.

use skel_provider::ProviderError;
use skel_value::{Value, ValueMap};

use crate::resource::AwsResource;
use crate::AwsProvider;

/// The S3 resource types.
pub(crate) static RESOURCES: &[&dyn AwsResource] = &[];

/// Reads S3 data source `type_name`: its attributes.
pub(crate) async fn read_data(
    _p: &AwsProvider,
    type_name: &str,
    _config: &Value,
) -> Result<ValueMap, ProviderError> {
    Err(crate::data::unsupported(type_name))
}
