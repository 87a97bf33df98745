//! EKS (`aws-sdk-eks`): clusters and node groups, and the data sources `aws_eks_cluster` and
//! `aws_eks_cluster_auth`.

use skel_provider::ProviderError;
use skel_value::{Value, ValueMap};

use crate::resource::AwsResource;
use crate::AwsProvider;

/// The EKS resource types.
pub(crate) static RESOURCES: &[&dyn AwsResource] = &[];

/// Reads EKS data source `type_name`: its attributes.
pub(crate) async fn read_data(
    _p: &AwsProvider,
    type_name: &str,
    _config: &Value,
) -> Result<ValueMap, ProviderError> {
    Err(crate::data::unsupported(type_name))
}
