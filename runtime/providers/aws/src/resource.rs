//! The AWS resource trait: what the provider asks of each resource type (create, update,
//! delete, batched refresh, recovery after a crash), with the shapes most types share as
//! default methods, and the registry that maps a type name to its implementation.
//!
//! A type implements [`AwsResource`] on a unit struct in its module and is listed once in
//! [`RESOURCES`]. Most types write only the calls that are theirs (`create`, `update`,
//! `delete`), a batch [`Read`] by ids, and the EC2 tag `resource-type` their objects carry:
//! - [`AwsResource::describe`] reads ids in one batch, merged with the reads of the same type
//!   already waiting ([`crate::coalesce`]), an id the batch does not list being gone, and when
//!   the batch fails because one id is gone (`*.NotFound`), one call per id ([`batched`]);
//! - [`AwsResource::find`] finds the object an interrupted create made by its `skel:token`
//!   tag (`skel:address` for journals without a token, [`crate::origin::find_by_tag`]);
//! - [`AwsResource::settled`] turns a failed wait after a create or update into
//!   [`ProviderError::NotReady`] with the object as it is now.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

use async_trait::async_trait;
use skel_provider::ProviderError;
use skel_value::Value;

use crate::common::{batched, Obs};
use crate::error::{AwsErr, WaitFailed};
use crate::origin::{find_by_tag, Origin};
use crate::{AwsProvider, Clients};

/// What one batch read observed: observations by id (an id not listed is gone).
pub(crate) type Found = Result<BTreeMap<String, Obs>, AwsErr>;

/// A batch read of objects by ids, on clones of the provider's clients (it may run in a task
/// of its own, see [`crate::coalesce`]).
pub(crate) type Read = fn(Clients, Vec<String>) -> Pin<Box<dyn Future<Output = Found> + Send>>;

/// The objects asked for, in order (`None`: gone).
pub(crate) type Described = Result<Vec<Option<Obs>>, ProviderError>;

/// The id of the object an interrupted create made (`None`: it made none).
pub(crate) type Recovered = Result<Option<String>, ProviderError>;

/// What the default methods of [`AwsResource`] need to know of a type.
#[derive(Clone, Copy)]
pub(crate) struct Kind {
    /// The resource type (`aws_vpc`).
    pub type_name: &'static str,
    /// The EC2 `resource-type` of the type's tags (`vpc`), for the default
    /// [`AwsResource::find`]; `None` for a type found otherwise (it overrides `find`).
    pub tag_type: Option<&'static str>,
    /// How the type's objects are read by ids, one batch per call.
    pub read: Read,
}

impl Kind {
    /// An EC2 type whose objects carry the creation protocol's tags, of EC2 resource type
    /// `tag_type`.
    pub const fn tagged(type_name: &'static str, tag_type: &'static str, read: Read) -> Kind {
        Kind {
            type_name,
            tag_type: Some(tag_type),
            read,
        }
    }

    /// A type whose objects are found by what identifies them (it overrides `find`).
    pub const fn untagged(type_name: &'static str, read: Read) -> Kind {
        Kind {
            type_name,
            tag_type: None,
            read,
        }
    }
}

/// One AWS resource type.
#[async_trait]
pub(crate) trait AwsResource: Send + Sync {
    /// The type's name, tags and read.
    fn kind(&self) -> Kind;

    /// The resource type (`aws_vpc`).
    fn type_name(&self) -> &'static str {
        self.kind().type_name
    }

    /// What [`Self::describe`] reads the object `state` by: its `id`, unless the id does not
    /// say where the object is (Terraform's `r-rtb-…1234` route ids are a hash), in which case
    /// the type builds a key from the state's arguments (`rtb-…_10.0.0.0/16`), the same key
    /// its import id and its `create` return.
    fn key(&self, state: &Value) -> String {
        crate::common::get_str(state, "id")
            .unwrap_or_default()
            .to_string()
    }

    /// Creates the object `planned` describes with `origin`'s creation token (see
    /// [`crate::origin`]); its id.
    async fn create(
        &self,
        p: &AwsProvider,
        planned: &Value,
        origin: &Origin<'_>,
    ) -> Result<String, ProviderError>;

    /// Brings object `prior` to `planned`; its id (new when the API replaced it).
    async fn update(
        &self,
        p: &AwsProvider,
        prior: &Value,
        planned: &Value,
        origin: &Origin<'_>,
    ) -> Result<String, ProviderError>;

    /// Deletes object `prior`; one that is already gone counts as deleted.
    async fn delete(&self, p: &AwsProvider, prior: &Value) -> Result<(), ProviderError>;

    /// The objects `ids`, in order (`None`: gone): [`read_merged`].
    async fn describe(&self, p: &AwsProvider, ids: &[String]) -> Described {
        read_merged(p, self.kind(), ids).await
    }

    /// Adds to the observations `found` of objects `ids` (aligned) what only some objects need
    /// read: the attributes their `states` manage (a null state, an import's: every one). By
    /// default nothing: [`Self::describe`] reads everything.
    async fn observe_managed(
        &self,
        _p: &AwsProvider,
        _ids: &[String],
        _states: &[&Value],
        _found: &mut [Option<Obs>],
    ) -> Result<(), ProviderError> {
        Ok(())
    }

    /// The id of the object `origin`'s interrupted create made, if it made one: by default
    /// the EC2 object of [`Kind::tag_type`] tagged with the create's token.
    async fn find(&self, p: &AwsProvider, _planned: &Value, origin: &Origin<'_>) -> Recovered {
        match self.kind().tag_type {
            Some(rt) => find_by_tag(p, rt, origin).await,
            None => Err(ProviderError::Other(format!(
                "{origin}: {} has no way to find the object of an interrupted create (an internal error); find it and import it with `skelc import {origin} ID`.",
                self.type_name()
            ))),
        }
    }

    /// The end of the create-then-wait pattern: a wait for object `id` that failed becomes
    /// [`ProviderError::NotReady`] with the object as it is now, so the engine records it.
    async fn settled(
        &self,
        p: &AwsProvider,
        id: &str,
        planned: &Value,
        failed: Option<WaitFailed>,
    ) -> Result<(), ProviderError> {
        match failed {
            None => Ok(()),
            Some(failed) => Err(p.not_ready(self.type_name(), id, planned, failed).await),
        }
    }

    /// The object `id`, read with [`Self::describe`] (`None`: gone).
    async fn describe_one(&self, p: &AwsProvider, id: &str) -> Result<Option<Obs>, ProviderError> {
        Ok(self.describe(p, &[id.to_string()]).await?.pop().flatten())
    }
}

/// Reads `ids` of `type_name` with `read` without merging concurrent reads: one batch call,
/// per-id calls when the batch fails on a gone id ([`batched`]).
pub(crate) async fn read_each(p: &AwsProvider, kind: Kind, ids: &[String]) -> Described {
    let api = p.clients().await?.clone();
    batched(kind.type_name, ids, |ids| (kind.read)(api.clone(), ids)).await
}

/// Reads `ids` of `type_name` with `read`: one batch call, per-id calls when the batch fails
/// on a gone id ([`batched`]). Reads of the same type that arrive while one is in flight go
/// out together as the next call (see [`crate::coalesce`]).
pub(crate) async fn read_merged(p: &AwsProvider, kind: Kind, ids: &[String]) -> Described {
    let Kind {
        type_name, read, ..
    } = kind;
    let api = p.clients().await?.clone();
    let ty = type_name.to_string();
    let run = move |queries: Vec<Vec<String>>| {
        let (api, ty) = (api.clone(), ty.clone());
        async move {
            let mut all: Vec<String> = queries.iter().flatten().cloned().collect();
            all.sort();
            all.dedup();
            match batched(&ty, &all, |ids| read(api.clone(), ids)).await {
                Ok(found) => {
                    let by_id: BTreeMap<&String, Obs> = all
                        .iter()
                        .zip(found)
                        .filter_map(|(id, obs)| Some((id, obs?)))
                        .collect();
                    queries
                        .iter()
                        .map(|q| Ok(q.iter().map(|id| by_id.get(id).cloned()).collect()))
                        .collect()
                }
                Err(e) => queries.iter().map(|_| Err(e.clone())).collect(),
            }
        }
    };
    p.reads
        .call(type_name, ids.to_vec(), run)
        .await
        .unwrap_or_else(|| {
            Err(ProviderError::Api(format!(
                "reading {type_name} {}: the read was lost (an internal error); retry.",
                ids.join(", ")
            )))
        })
}

/// The AWS resource types of EC2 and Route 53.
static RESOURCES: &[&dyn AwsResource] = &[
    &crate::network::vpc::Vpc,
    &crate::network::subnet::Subnet,
    &crate::network::igw::InternetGateway,
    &crate::network::eigw::EgressOnlyInternetGateway,
    &crate::network::dhcp::options::DhcpOptions,
    &crate::network::dhcp::association::DhcpOptionsAssociation,
    &crate::gateways::eip::Eip,
    &crate::gateways::nat::NatGateway,
    &crate::routing::route_table::RouteTable,
    &crate::routing::association::Association,
    &crate::route::Route,
    &crate::acl::nacl::NetworkAcl,
    &crate::acl_rule::NetworkAclRule,
    &crate::security::sg::SecurityGroup,
    &crate::security::rule::SecurityGroupRule,
    &crate::security::vpc_rule::IngressRule,
    &crate::security::vpc_rule::EgressRule,
    &crate::security::key_pair::KeyPair,
    &crate::compute::instance::Instance,
    &crate::storage::volume::Volume,
    &crate::storage::attachment::Attachment,
    &crate::dns::zone::Zone,
    &crate::dns::record::Record,
];

/// Every AWS resource type the provider serves, one list per service module.
static SERVICES: &[&[&dyn AwsResource]] = &[
    RESOURCES,
    crate::iam::RESOURCES,
    crate::s3::RESOURCES,
    crate::eks::RESOURCES,
];

/// Every resource type's implementation.
fn all() -> impl Iterator<Item = &'static dyn AwsResource> {
    SERVICES.iter().flat_map(|s| s.iter().copied())
}

/// The implementation of resource type `type_name`; an error naming it for a type the
/// provider does not serve.
pub(crate) fn resource(type_name: &str) -> Result<&'static dyn AwsResource, ProviderError> {
    all().find(|r| r.type_name() == type_name).ok_or_else(|| {
        ProviderError::InvalidConfig(format!(
            "The aws provider has no resource type `{type_name}`."
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_schema_type_has_one_implementation_and_no_other_is_listed() {
        let schema: Vec<&str> = skel_schema::provider("aws")
            .expect("the aws schema")
            .resources
            .keys()
            .map(String::as_str)
            .collect();
        let mut listed: Vec<&str> = all().map(|r| r.type_name()).collect();
        listed.sort_unstable();
        let before = listed.len();
        listed.dedup();
        assert_eq!(listed.len(), before, "a type is listed twice: {listed:?}");
        assert_eq!(listed, schema);
        for ty in schema {
            assert_eq!(resource(ty).map(|r| r.type_name()).ok(), Some(ty));
        }
    }

    #[test]
    fn an_unknown_type_is_an_invalid_config_error_naming_it() {
        for ty in ["aws_lambda_function", "", "aws_vpc ", "AWS_VPC"] {
            match resource(ty) {
                Err(ProviderError::InvalidConfig(message)) => assert_eq!(
                    message,
                    format!("The aws provider has no resource type `{ty}`.")
                ),
                Err(other) => panic!("{ty:?}: wrong kind: {other:?}"),
                Ok(r) => panic!("{ty:?}: found {}", r.type_name()),
            }
        }
    }
}
