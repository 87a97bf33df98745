//! `aws_route`: one route of a route table, managed on its own (beside a table whose inline
//! `route` blocks are left unwritten, which then leaves the routes alone).
//!
//! Terraform's id (`r-` + table id + the CRC-32 of the destination) says nothing about where
//! the route is, so the route is read by a key of its table and destination
//! (`rtb-…_10.0.0.0/16`, also the import id); reads of many routes are one
//! DescribeRouteTables for all their tables.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_ec2::Client;
use skel_provider::ProviderError;
use skel_value::Value;

use crate::common::{get, get_str, optional_string, Obs, Origin};
use crate::error::{AwsErr, SdkResultExt};
use crate::resource::{AwsResource, Kind, Recovered};
use crate::routing::route_table::{delete_route, put_route, route_obs};
use crate::AwsProvider;

const TY: &str = "aws_route";
const KIND: Kind = Kind::untagged(TY, |api, keys| Box::pin(read(api.ec2, keys)));

/// The destination arguments of `aws_route` and the names `aws_route_table.route` gives them.
const DESTINATIONS: [(&str, &str); 3] = [
    ("destination_cidr_block", "cidr_block"),
    ("destination_ipv6_cidr_block", "ipv6_cidr_block"),
    ("destination_prefix_list_id", "destination_prefix_list_id"),
];

/// The targets, named alike in both.
const TARGETS: [&str; 9] = [
    "gateway_id",
    "nat_gateway_id",
    "network_interface_id",
    "transit_gateway_id",
    "vpc_peering_connection_id",
    "egress_only_gateway_id",
    "vpc_endpoint_id",
    "carrier_gateway_id",
    "local_gateway_id",
];

/// Terraform's id of the route to `destination` in table `table`.
pub(crate) fn terraform_id(table: &str, destination: &str) -> String {
    format!("r-{table}{}", crc32fast::hash(destination.as_bytes()))
}

/// The route's destination as configured.
fn destination(v: &Value) -> Option<&str> {
    DESTINATIONS.iter().find_map(|(n, _)| get_str(v, n))
}

/// The key a route is read by: `TABLE_DESTINATION`.
fn key_of(v: &Value) -> String {
    format!(
        "{}_{}",
        get_str(v, "route_table_id").unwrap_or_default(),
        destination(v).unwrap_or_default()
    )
}

/// The route as `aws_route_table.route` writes it, for the shared create/replace/delete calls.
fn as_table_route(v: &Value) -> Value {
    let mut m = skel_value::ValueMap::new();
    for (ours, theirs) in DESTINATIONS {
        m.insert(theirs.to_string(), get(v, ours).clone());
    }
    for t in TARGETS {
        m.insert(t.to_string(), get(v, t).clone());
    }
    Value::Object(m)
}

/// `aws_route`.
pub(crate) struct Route;

#[async_trait]
impl AwsResource for Route {
    fn kind(&self) -> Kind {
        KIND
    }

    fn key(&self, state: &Value) -> String {
        key_of(state)
    }

    async fn create(
        &self,
        p: &AwsProvider,
        planned: &Value,
        origin: &Origin<'_>,
    ) -> Result<String, ProviderError> {
        let w = format!("creating {TY} {origin}");
        if destination(planned).is_none() {
            return Err(ProviderError::InvalidConfig(format!(
                "{TY} {origin}: set one of `destination_cidr_block`, `destination_ipv6_cidr_block` or `destination_prefix_list_id`."
            )));
        }
        if !TARGETS.iter().any(|t| get_str(planned, t).is_some()) {
            return Err(ProviderError::InvalidConfig(format!(
                "{TY} {origin}: set a target (`gateway_id`, `nat_gateway_id`, `network_interface_id`, `transit_gateway_id`, `vpc_peering_connection_id`, …)."
            )));
        }
        let table = get_str(planned, "route_table_id").unwrap_or_default();
        let ec2 = p.ec2().await?;
        put_route(ec2, &w, table, &as_table_route(planned), false).await?;
        Ok(key_of(planned))
    }

    async fn update(
        &self,
        p: &AwsProvider,
        prior: &Value,
        planned: &Value,
        _origin: &Origin<'_>,
    ) -> Result<String, ProviderError> {
        // Only the target changes in place (the table and destination force a new route).
        let key = key_of(planned);
        let w = format!("updating {TY} {key}");
        let table = get_str(planned, "route_table_id").unwrap_or_default();
        let ec2 = p.ec2().await?;
        if as_table_route(prior) != as_table_route(planned) {
            put_route(ec2, &w, table, &as_table_route(planned), true).await?;
        }
        Ok(key)
    }

    async fn delete(&self, p: &AwsProvider, prior: &Value) -> Result<(), ProviderError> {
        let key = key_of(prior);
        let table = get_str(prior, "route_table_id").unwrap_or_default();
        let ec2 = p.ec2().await?;
        delete_route(
            ec2,
            &format!("deleting {TY} {key}"),
            table,
            &as_table_route(prior),
        )
        .await
    }

    /// A route is what it is: its table and destination. An interrupted create made it when
    /// the table has a route to that destination.
    async fn find(&self, p: &AwsProvider, planned: &Value, origin: &Origin<'_>) -> Recovered {
        let key = key_of(planned);
        let api = p.clients().await?.clone();
        let found = read(api.ec2, vec![key.clone()])
            .await
            .map_err(|e| e.into_provider(&format!("recovering {origin}")))?;
        Ok(found.contains_key(&key).then_some(key))
    }
}

/// Reads routes by key (`rtb-…_DESTINATION`): one DescribeRouteTables for all their tables.
async fn read(ec2: Client, keys: Vec<String>) -> Result<BTreeMap<String, Obs>, AwsErr> {
    let mut wanted: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for key in &keys {
        if let Some((table, dest)) = key.split_once('_') {
            wanted
                .entry(table.to_string())
                .or_default()
                .push((key.clone(), dest.to_string()));
        }
    }
    let mut found = BTreeMap::new();
    if wanted.is_empty() {
        return Ok(found);
    }
    let out = match ec2
        .describe_route_tables()
        .set_route_table_ids(Some(wanted.keys().cloned().collect()))
        .send()
        .await
        .aws()
    {
        Ok(out) => out,
        // One table of the batch is gone: each table on its own (a gone one has no routes).
        Err(e) if e.is_not_found() && wanted.len() > 1 => {
            for routes in wanted.values() {
                let keys: Vec<String> = routes.iter().map(|(k, _)| k.clone()).collect();
                found.extend(Box::pin(read(ec2.clone(), keys)).await?);
            }
            return Ok(found);
        }
        Err(e) if e.is_not_found() => return Ok(found),
        Err(e) => return Err(e),
    };
    for t in out.route_tables() {
        let Some(table) = t.route_table_id() else {
            continue;
        };
        let Some(routes) = wanted.get(table) else {
            continue;
        };
        for r in t.routes() {
            let Some(seen) = route_obs(r) else {
                continue;
            };
            let dest = DESTINATIONS
                .iter()
                .find_map(|(_, theirs)| get_str(&seen, theirs))
                .unwrap_or_default();
            let Some((key, _)) = routes.iter().find(|(_, d)| d == dest) else {
                continue;
            };
            let mut o = Obs::new();
            o.insert("id".into(), Value::string(terraform_id(table, dest)));
            o.insert("route_table_id".into(), Value::string(table));
            for (ours, theirs) in DESTINATIONS {
                o.insert(ours.into(), get(&seen, theirs).clone());
            }
            for name in TARGETS {
                o.insert(name.into(), get(&seen, name).clone());
            }
            o.insert("instance_id".into(), optional_string(r.instance_id()));
            o.insert(
                "instance_owner_id".into(),
                optional_string(r.instance_owner_id()),
            );
            o.insert(
                "origin".into(),
                optional_string(r.origin().map(|x| x.as_str())),
            );
            o.insert(
                "state".into(),
                optional_string(r.state().map(|x| x.as_str())),
            );
            found.insert(key.clone(), o);
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_is_terraforms_and_the_key_says_where_the_route_is() {
        // Terraform: "r-" + table id + the IEEE CRC-32 of the destination, in decimal.
        assert_eq!(
            terraform_id("rtb-4e616f6d69", "10.0.0.0/16"),
            format!("r-rtb-4e616f6d69{}", crc32fast::hash(b"10.0.0.0/16"))
        );
        assert_eq!(crc32fast::hash(b"0.0.0.0/0"), 1080289494);
        let v = skel_provider::kit::object([
            ("route_table_id", Value::string("rtb-1")),
            ("destination_ipv6_cidr_block", Value::string("::/0")),
        ]);
        assert_eq!(key_of(&v), "rtb-1_::/0");
    }
}
