//! The provider block's `assume_role` blocks: credentials of a role assumed (STS AssumeRole)
//! with the credentials found otherwise, each block with those of the one before it.

use std::collections::BTreeMap;

use aws_credential_types::provider::SharedCredentialsProvider;
use skel_provider::ProviderError;
use skel_value::Value;

use crate::common::{get, get_str};

/// One `assume_role` block of the provider.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AssumeRole {
    pub role_arn: String,
    pub session_name: Option<String>,
    pub external_id: Option<String>,
    pub duration: Option<std::time::Duration>,
    pub policy: Option<String>,
    pub policy_arns: Vec<String>,
    pub tags: BTreeMap<String, String>,
}

impl AssumeRole {
    pub(crate) fn from_block(block: &Value) -> Result<AssumeRole, ProviderError> {
        let text = |name: &str| get_str(block, name).map(str::to_string);
        let role_arn = text("role_arn").ok_or_else(|| {
            ProviderError::InvalidConfig("provider \"aws\": `assume_role` needs `role_arn`".into())
        })?;
        let duration = match get_str(block, "duration") {
            Some(d) => Some(skel_schema::parse_duration(d).map_err(|e| {
                ProviderError::InvalidConfig(format!(
                    "provider \"aws\": `assume_role` `duration` {d:?}: {e}"
                ))
            })?),
            None => None,
        };
        let strings = |v: &Value| -> Vec<String> {
            v.as_sequence()
                .unwrap_or(&[])
                .iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        };
        let tags = get(block, "tags")
            .as_mapping()
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                    .collect()
            })
            .unwrap_or_default();
        Ok(AssumeRole {
            role_arn,
            session_name: text("session_name"),
            external_id: text("external_id"),
            duration,
            policy: text("policy"),
            policy_arns: strings(get(block, "policy_arns")),
            tags,
        })
    }

    /// `sdk` with this role's credentials, assumed with `sdk`'s own.
    pub(crate) async fn assume(&self, sdk: aws_config::SdkConfig) -> aws_config::SdkConfig {
        let mut b = aws_config::sts::AssumeRoleProvider::builder(self.role_arn.clone())
            .configure(&sdk)
            .tags(self.tags.clone());
        if let Some(n) = &self.session_name {
            b = b.session_name(n.clone());
        }
        if let Some(id) = &self.external_id {
            b = b.external_id(id.clone());
        }
        if let Some(d) = self.duration {
            b = b.session_length(d);
        }
        if let Some(p) = &self.policy {
            b = b.policy(p.clone());
        }
        if !self.policy_arns.is_empty() {
            b = b.policy_arns(self.policy_arns.clone());
        }
        let provider = b.build().await;
        sdk.into_builder()
            .credentials_provider(SharedCredentialsProvider::new(provider))
            .build()
    }
}
