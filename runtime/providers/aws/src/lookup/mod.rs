//! Lookups of existing objects by filters and tags: the data sources `aws_vpc`, `aws_subnet`,
//! `aws_subnets`, `aws_security_group`, `aws_instance`, `aws_instances`, `aws_ami_ids` (EC2)
//! and `aws_route53_zone` (Route 53).

use skel_provider::ProviderError;
use skel_value::{Value, ValueMap};

use crate::AwsProvider;

/// Reads lookup data source `type_name`: its attributes.
pub(crate) async fn read_data(
    _p: &AwsProvider,
    type_name: &str,
    _config: &Value,
) -> Result<ValueMap, ProviderError> {
    Err(crate::data::unsupported(type_name))
}
