//! The creation protocol: how an object this provider creates can always be found again after
//! a crash. The engine chooses an idempotency token before each create and journals it; the
//! provider sends it with the create call itself, so the object carries it from the moment it
//! exists:
//! - every EC2 create tags the object in the create call (`TagSpecifications`) with
//!   `skel:token = TOKEN` and `skel:address = ADDRESS`, and `RunInstances` also takes the token
//!   as its `ClientToken` (a retry with it returns the same instance on AWS);
//! - a Route 53 zone's `CallerReference` is the token;
//! - generated names (`name_prefix`, `key_name_prefix`) take their suffix from the token;
//! - objects without tags or tokens are identified by what makes them unique (a record set by
//!   zone, name, type and set identifier; a route table association by its subnet or gateway;
//!   a volume attachment by device, volume and instance).
//!
//! Recovery ([`crate::AwsProvider`]'s `recover`) looks for exactly that: "nothing was created"
//! is an answer only when the lookup by token (or identity) came back empty. Several
//! candidates (possible only for journals without a token, found by address) stop recovery
//! with a message listing them and the `skelc import` command that settles it.

use std::fmt;

use aws_sdk_ec2::types::Filter;
use skel_provider::ProviderError;

use crate::error::AwsErr;
use crate::AwsProvider;

/// The tag every created EC2 object carries: the instance address.
pub const ADDRESS_TAG: &str = "skel:address";
/// The tag every created EC2 object carries: its create call's idempotency token.
pub const TOKEN_TAG: &str = "skel:token";

/// Who creates an object: its instance address and the create's token (none in journals
/// written by an older skelc, and for creates outside the engine).
#[derive(Clone, Copy, Debug)]
pub struct Origin<'a> {
    pub address: &'a str,
    pub token: Option<&'a str>,
}

impl fmt::Display for Origin<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.address)
    }
}

impl Origin<'_> {
    /// `len` lowercase letters and digits from the token (random without one): the suffix of a
    /// generated name, so recovery can compute the name again.
    pub fn suffix(&self, len: usize) -> String {
        let hex = match self.token {
            Some(token) => token.replace('-', ""),
            None => uuid::Uuid::new_v4().simple().to_string(),
        };
        hex.chars().take(len).collect()
    }
}

/// The EC2 object of resource type `rt` (`vpc`, `instance`) that `origin`'s create made: the
/// one tagged with its token, or (a journal without a token) with its address.
pub async fn find_by_tag(
    p: &AwsProvider,
    rt: &str,
    origin: &Origin<'_>,
) -> Result<Option<String>, ProviderError> {
    let what = format!("recovering {origin}");
    let (key, value) = match origin.token {
        Some(token) => (TOKEN_TAG, token),
        None => (ADDRESS_TAG, origin.address),
    };
    let out = p
        .ec2()
        .await?
        .describe_tags()
        .filters(Filter::builder().name("key").values(key).build())
        .filters(Filter::builder().name("value").values(value).build())
        .filters(Filter::builder().name("resource-type").values(rt).build())
        .send()
        .await
        .map_err(|e| AwsErr::from(e).into_provider(&what))?;
    let mut ids: Vec<String> = out
        .tags()
        .iter()
        .filter(|t| t.value() == Some(value) && t.key() == Some(key))
        .filter_map(|t| t.resource_id().map(str::to_string))
        .collect();
    ids.sort();
    ids.dedup();
    one_of(origin, ids)
}

/// The one candidate, none, or an error naming them all when there are several.
pub fn one_of(origin: &Origin<'_>, mut ids: Vec<String>) -> Result<Option<String>, ProviderError> {
    match ids.len() {
        0 => Ok(None),
        1 => Ok(ids.pop()),
        _ => Err(ambiguous(origin, &ids)),
    }
}

/// Recovery cannot tell which of several objects an interrupted create made.
pub fn ambiguous(origin: &Origin<'_>, ids: &[String]) -> ProviderError {
    ProviderError::Other(format!(
        "{origin}: the create was interrupted and {} objects could be the one it made ({}); skel \
         will not guess. Import the right one with `skelc import {origin} ID` (and delete the \
         others if they are leftovers), then run the command again.",
        ids.len(),
        ids.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_derives_the_same_suffix_every_time() {
        let origin = Origin {
            address: "aws_security_group.web",
            token: Some("6f1c2a9e-1b2c-4d3e-8f40-123456789abc"),
        };
        assert_eq!(origin.suffix(12), "6f1c2a9e1b2c");
        assert_eq!(origin.suffix(12), origin.suffix(12));
        let none = Origin {
            address: "aws_security_group.web",
            token: None,
        };
        assert_ne!(none.suffix(26), none.suffix(26));
    }

    #[test]
    fn several_candidates_are_an_error_that_names_them() {
        let origin = Origin {
            address: "aws_vpc.main",
            token: None,
        };
        assert_eq!(one_of(&origin, vec![]).unwrap(), None);
        assert_eq!(
            one_of(&origin, vec!["vpc-1".into()]).unwrap(),
            Some("vpc-1".into())
        );
        let e = one_of(&origin, vec!["vpc-1".into(), "vpc-2".into()]).unwrap_err();
        let text = e.to_string();
        assert!(text.contains("vpc-1, vpc-2"), "{text}");
        assert!(text.contains("skelc import aws_vpc.main ID"), "{text}");
    }
}
