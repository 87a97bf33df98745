//! Routing: `aws_route_table` (inline routes) and `aws_route_table_association`.

use skel_value::ValueMap;
use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_ec2::Client;
use skel_provider::ProviderError;
use skel_value::Value;

use crate::common::{
    blocks, delete_retrying, deleted, get_str, id_of, object_name, optional_string, same,
    string_set, tag_spec, tags_obs, update_tags, Obs, Origin,
};
use crate::error::{created_id, AwsErr, SdkResultExt};
use crate::network::{filter, list_by_set_filter};
use crate::resource::{AwsResource, Kind, Recovered};
use crate::AwsProvider;

pub mod route_table {
    use super::*;
    use aws_sdk_ec2::types::{ResourceType, Route, RouteOrigin};

    const TY: &str = "aws_route_table";
    const KIND: Kind = Kind::tagged(TY, "route-table", |api, ids| Box::pin(read(api.ec2, ids)));

    /// A route's destination, the key routes are matched by.
    fn destination(route: &Value) -> String {
        [
            "cidr_block",
            "ipv6_cidr_block",
            "destination_prefix_list_id",
        ]
        .iter()
        .find_map(|n| get_str(route, n))
        .unwrap_or_default()
        .to_string()
    }

    fn routes(obj: &Value) -> ValueMap {
        blocks(obj, "route")
            .iter()
            .map(|r| (destination(r), r.clone()))
            .collect()
    }

    /// `call` (CreateRoute or ReplaceRoute: other types, the same arguments) with the route's
    /// destination and target; `t` reads the route's arguments.
    macro_rules! with_route {
        ($call:expr, $t:ident, $gateway:expr) => {
            $call
                .set_destination_cidr_block($t("cidr_block"))
                .set_destination_ipv6_cidr_block($t("ipv6_cidr_block"))
                .set_destination_prefix_list_id($t("destination_prefix_list_id"))
                .set_gateway_id($gateway)
                .set_nat_gateway_id($t("nat_gateway_id"))
                .set_network_interface_id($t("network_interface_id"))
                .set_transit_gateway_id($t("transit_gateway_id"))
                .set_vpc_peering_connection_id($t("vpc_peering_connection_id"))
                .set_egress_only_internet_gateway_id($t("egress_only_gateway_id"))
                .set_carrier_gateway_id($t("carrier_gateway_id"))
                .set_local_gateway_id($t("local_gateway_id"))
        };
    }

    pub(crate) async fn put_route(
        ec2: &Client,
        w: &str,
        id: &str,
        route: &Value,
        replace: bool,
    ) -> Result<(), ProviderError> {
        let t = |n: &str| get_str(route, n).map(str::to_string);
        // An endpoint id is a gateway id to the API.
        let gateway = t("gateway_id").or_else(|| t("vpc_endpoint_id"));
        if replace {
            let call = ec2.replace_route().route_table_id(id);
            with_route!(call, t, gateway).send().await.or_fail(w)?;
        } else {
            let call = ec2.create_route().route_table_id(id);
            with_route!(call, t, gateway).send().await.or_fail(w)?;
        }
        Ok(())
    }

    pub(crate) async fn delete_route(
        ec2: &Client,
        w: &str,
        id: &str,
        route: &Value,
    ) -> Result<(), ProviderError> {
        let t = |n: &str| get_str(route, n).map(str::to_string);
        deleted(
            ec2.delete_route()
                .route_table_id(id)
                .set_destination_cidr_block(t("cidr_block"))
                .set_destination_ipv6_cidr_block(t("ipv6_cidr_block"))
                .set_destination_prefix_list_id(t("destination_prefix_list_id"))
                .send()
                .await
                .aws(),
            w,
        )
    }

    /// `aws_route_table`.
    pub(crate) struct RouteTable;

    #[async_trait]
    impl AwsResource for RouteTable {
        fn kind(&self) -> Kind {
            KIND
        }

        async fn create(
            &self,
            p: &AwsProvider,
            planned: &Value,
            origin: &Origin<'_>,
        ) -> Result<String, ProviderError> {
            let w = format!("creating {TY} {origin}");
            let ec2 = p.ec2().await?;
            let out = ec2
                .create_route_table()
                .set_vpc_id(get_str(planned, "vpc_id").map(str::to_string))
                .tag_specifications(tag_spec(p, ResourceType::RouteTable, planned, origin))
                .set_client_token(origin.token.map(str::to_string))
                .send()
                .await
                .or_fail(&w)?;
            let id = created_id(out.route_table().and_then(|t| t.route_table_id()), &w)?;
            for route in routes(planned).values() {
                put_route(ec2, &w, &id, route, false).await?;
            }
            Ok(id)
        }

        async fn update(
            &self,
            p: &AwsProvider,
            prior: &Value,
            planned: &Value,
            _origin: &Origin<'_>,
        ) -> Result<String, ProviderError> {
            let id = id_of(prior);
            let w = format!("updating {}", object_name(TY, &id));
            let ec2 = p.ec2().await?;
            let (old, new) = (routes(prior), routes(planned));
            for (dest, route) in &old {
                if !new.contains_key(dest) {
                    delete_route(ec2, &w, &id, route).await?;
                }
            }
            for (dest, route) in &new {
                match old.get(dest) {
                    Some(before) if same(before, route) => {}
                    Some(_) => put_route(ec2, &w, &id, route, true).await?,
                    None => put_route(ec2, &w, &id, route, false).await?,
                }
            }
            update_tags(p, &w, &id, prior, planned).await?;
            Ok(id)
        }

        async fn delete(&self, p: &AwsProvider, prior: &Value) -> Result<(), ProviderError> {
            let id = id_of(prior);
            let w = format!("deleting {}", object_name(TY, &id));
            let ec2 = p.ec2().await?;
            match ec2
                .describe_route_tables()
                .route_table_ids(&id)
                .send()
                .await
                .aws()
            {
                Err(e) if e.is_not_found() => return Ok(()),
                Err(e) => return Err(e.into_provider(&w)),
                Ok(out) => {
                    for t in out.route_tables() {
                        for a in t.associations() {
                            if a.main() == Some(true) {
                                continue;
                            }
                            if let Some(assoc) = a.route_table_association_id() {
                                match ec2
                                    .disassociate_route_table()
                                    .association_id(assoc)
                                    .send()
                                    .await
                                    .aws()
                                {
                                    Err(e) if !e.is_not_found() => return Err(e.into_provider(&w)),
                                    _ => {}
                                }
                            }
                        }
                    }
                }
            }
            delete_retrying(&w, || async {
                ec2.delete_route_table()
                    .route_table_id(&id)
                    .send()
                    .await
                    .aws()
            })
            .await
        }
    }

    pub(crate) fn route_obs(r: &Route) -> Option<Value> {
        if r.gateway_id() == Some("local")
            || r.origin() == Some(&RouteOrigin::EnableVgwRoutePropagation)
        {
            return None;
        }
        let gateway = r.gateway_id();
        let endpoint = gateway.filter(|g| g.starts_with("vpce-"));
        let gateway = gateway.filter(|g| !g.starts_with("vpce-"));
        // A route to an instance also names its interface; only the interface is a target here.
        let fields = [
            ("cidr_block", r.destination_cidr_block()),
            ("ipv6_cidr_block", r.destination_ipv6_cidr_block()),
            ("destination_prefix_list_id", r.destination_prefix_list_id()),
            ("gateway_id", gateway),
            ("nat_gateway_id", r.nat_gateway_id()),
            ("network_interface_id", r.network_interface_id()),
            ("transit_gateway_id", r.transit_gateway_id()),
            ("vpc_peering_connection_id", r.vpc_peering_connection_id()),
            (
                "egress_only_gateway_id",
                r.egress_only_internet_gateway_id(),
            ),
            ("vpc_endpoint_id", endpoint),
            ("carrier_gateway_id", r.carrier_gateway_id()),
            ("local_gateway_id", r.local_gateway_id()),
        ];
        Some(Value::Object(
            fields
                .iter()
                .map(|(k, v)| (k.to_string(), optional_string(v.filter(|s| !s.is_empty()))))
                .collect(),
        ))
    }

    async fn read(ec2: Client, ids: Vec<String>) -> Result<BTreeMap<String, Obs>, AwsErr> {
        let out = ec2
            .describe_route_tables()
            .set_route_table_ids(Some(ids))
            .send()
            .await
            .aws()?;
        let mut found = BTreeMap::new();
        for t in out.route_tables() {
            let Some(id) = t.route_table_id() else {
                continue;
            };
            let mut o = Obs::new();
            o.insert("vpc_id".into(), optional_string(t.vpc_id()));
            o.insert("owner_id".into(), optional_string(t.owner_id()));
            o.insert(
                "arn".into(),
                crate::network::arn(&ec2, t.owner_id(), "route-table", id),
            );
            o.insert(
                "route".into(),
                Value::set(t.routes().iter().filter_map(route_obs).collect()),
            );
            o.insert(
                "propagating_vgws".into(),
                string_set(t.propagating_vgws().iter().filter_map(|v| v.gateway_id())),
            );
            o.insert("tags_all".into(), tags_obs(t.tags()));
            found.insert(id.to_string(), o);
        }
        Ok(found)
    }
}

pub mod association {
    use super::*;

    const TY: &str = "aws_route_table_association";
    const KIND: Kind = Kind::untagged(TY, |api, ids| Box::pin(read(api.ec2, ids)));

    /// The explicit association of a subnet or gateway, if any: (association id, table id).
    async fn current(
        ec2: &Client,
        subnet: Option<&str>,
        gateway: Option<&str>,
    ) -> Result<Option<(String, String)>, AwsErr> {
        let (name, value) = match (subnet, gateway) {
            (Some(s), _) => ("association.subnet-id", s),
            (None, Some(g)) => ("association.gateway-id", g),
            _ => return Ok(None),
        };
        let out = ec2
            .describe_route_tables()
            .filters(filter(name, &[value.to_string()]))
            .send()
            .await
            .aws()?;
        for t in out.route_tables() {
            for a in t.associations() {
                if a.subnet_id() == subnet.filter(|_| subnet.is_some()) && subnet.is_some()
                    || a.gateway_id() == gateway && gateway.is_some() && subnet.is_none()
                {
                    if let (Some(id), Some(rt)) =
                        (a.route_table_association_id(), t.route_table_id())
                    {
                        return Ok(Some((id.to_string(), rt.to_string())));
                    }
                }
            }
        }
        Ok(None)
    }

    /// `aws_route_table_association`: found by its subnet or gateway.
    pub(crate) struct Association;

    #[async_trait]
    impl AwsResource for Association {
        fn kind(&self) -> Kind {
            KIND
        }

        async fn create(
            &self,
            p: &AwsProvider,
            planned: &Value,
            origin: &Origin<'_>,
        ) -> Result<String, ProviderError> {
            let w = format!("creating {TY} {origin}");
            let ec2 = p.ec2().await?;
            let table = get_str(planned, "route_table_id").unwrap_or_default();
            let (subnet, gateway) = (
                get_str(planned, "subnet_id"),
                get_str(planned, "gateway_id"),
            );
            if subnet.is_none() && gateway.is_none() {
                return Err(ProviderError::InvalidConfig(format!(
                    "{TY} {origin}: set `subnet_id` or `gateway_id`."
                )));
            }
            // A subnet already associated with another table is moved (moto would hand back the
            // other table's association).
            if let Some((assoc, rt)) = current(ec2, subnet, gateway)
                .await
                .map_err(|e| e.into_provider(&w))?
            {
                if rt == table {
                    return Ok(assoc);
                }
                let out = ec2
                    .replace_route_table_association()
                    .association_id(assoc)
                    .route_table_id(table)
                    .send()
                    .await
                    .or_fail(&w)?;
                return Ok(out.new_association_id().unwrap_or_default().to_string());
            }
            let out = ec2
                .associate_route_table()
                .route_table_id(table)
                .set_subnet_id(subnet.map(str::to_string))
                .set_gateway_id(gateway.map(str::to_string))
                .send()
                .await
                .or_fail(&w)?;
            Ok(out.association_id().unwrap_or_default().to_string())
        }

        async fn update(
            &self,
            p: &AwsProvider,
            prior: &Value,
            planned: &Value,
            _origin: &Origin<'_>,
        ) -> Result<String, ProviderError> {
            let id = id_of(prior);
            let table = get_str(planned, "route_table_id").unwrap_or_default();
            if get_str(prior, "route_table_id") == Some(table) {
                return Ok(id);
            }
            let out = p
                .ec2()
                .await?
                .replace_route_table_association()
                .association_id(&id)
                .route_table_id(table)
                .send()
                .await
                .or_fail(&format!("updating {}", object_name(TY, &id)))?;
            Ok(out.new_association_id().unwrap_or_default().to_string())
        }

        async fn delete(&self, p: &AwsProvider, prior: &Value) -> Result<(), ProviderError> {
            let id = id_of(prior);
            deleted(
                p.ec2()
                    .await?
                    .disassociate_route_table()
                    .association_id(&id)
                    .send()
                    .await
                    .aws(),
                &format!("deleting {}", object_name(TY, &id)),
            )
        }

        async fn find(&self, p: &AwsProvider, planned: &Value, origin: &Origin<'_>) -> Recovered {
            let ec2 = p.ec2().await?;
            let found = current(
                ec2,
                get_str(planned, "subnet_id"),
                get_str(planned, "gateway_id"),
            )
            .await
            .map_err(|e| e.into_provider(&format!("recovering {origin}")))?;
            Ok(found
                .filter(|(_, rt)| Some(rt.as_str()) == get_str(planned, "route_table_id"))
                .map(|(id, _)| id))
        }
    }

    async fn read(ec2: Client, ids: Vec<String>) -> Result<BTreeMap<String, Obs>, AwsErr> {
        let mut found = BTreeMap::new();
        // `subnet-…/rtb-…` (import) is resolved to the association id.
        let (pairs, plain): (Vec<String>, Vec<String>) =
            ids.into_iter().partition(|i| i.contains('/'));
        for pair in pairs {
            let (target, table) = pair.split_once('/').unwrap_or_default();
            let (subnet, gateway) = if target.starts_with("subnet-") {
                (Some(target), None)
            } else {
                (None, Some(target))
            };
            if let Some((assoc, rt)) = current(&ec2, subnet, gateway).await? {
                if rt == table {
                    let mut o = Obs::new();
                    o.insert("id".into(), Value::string(assoc));
                    o.insert("route_table_id".into(), Value::string(rt));
                    o.insert("subnet_id".into(), optional_string(subnet));
                    o.insert("gateway_id".into(), optional_string(gateway));
                    found.insert(pair.clone(), o);
                }
            }
        }
        if plain.is_empty() {
            return Ok(found);
        }
        let list = |ids: Vec<String>| {
            let ec2 = &ec2;
            async move {
                let out = ec2
                    .describe_route_tables()
                    .filters(filter("association.route-table-association-id", &ids))
                    .send()
                    .await
                    .aws()?;
                Ok::<_, AwsErr>(out.route_tables.unwrap_or_default())
            }
        };
        let tables = list_by_set_filter(&plain, list, |t, id| {
            t.associations()
                .iter()
                .any(|a| a.route_table_association_id() == Some(id))
        })
        .await?;
        for t in &tables {
            for a in t.associations() {
                let Some(id) = a.route_table_association_id() else {
                    continue;
                };
                if !plain.iter().any(|p| p == id) {
                    continue;
                }
                let mut o = Obs::new();
                o.insert("route_table_id".into(), optional_string(t.route_table_id()));
                o.insert("subnet_id".into(), optional_string(a.subnet_id()));
                o.insert("gateway_id".into(), optional_string(a.gateway_id()));
                found.insert(id.to_string(), o);
            }
        }
        Ok(found)
    }
}
