//! Network ACLs: `aws_network_acl` with inline rules and subnet associations.

use skel_value::ValueMap;
use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_ec2::Client;
use skel_provider::ProviderError;
use skel_value::Value;

use crate::common::{
    blocks, delete_retrying, get, get_i64, get_str, get_strs, id_of, object_name, optional_number,
    optional_string, protocol, string_set, tag_spec, tags_obs, update_tags, Obs, Origin,
};
use crate::error::{created_id, AwsErr, SdkResultExt};
use crate::network::{filter, list_by_set_filter};
use crate::resource::{AwsResource, Kind};
use crate::AwsProvider;

pub mod nacl {
    use super::*;
    use aws_sdk_ec2::types::{IcmpTypeCode, NetworkAclEntry, PortRange, ResourceType, RuleAction};

    const TY: &str = "aws_network_acl";
    const KIND: Kind = Kind::tagged(TY, "network-acl", |api, ids| Box::pin(read(api.ec2, ids)));

    /// A rule in canonical form, for comparing configured and observed rules.
    #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
    pub struct Entry {
        pub rule_no: i64,
        pub action: String,
        pub protocol: String,
        pub ports: (i64, i64),
        pub cidr: String,
        pub ipv6: String,
        pub icmp: (i64, i64),
    }

    fn entry(v: &Value) -> Entry {
        let protocol = protocol(get_str(v, "protocol").unwrap_or("-1"));
        let all = protocol == "-1";
        Entry {
            rule_no: get_i64(v, "rule_no").unwrap_or(0),
            action: get_str(v, "action")
                .unwrap_or_default()
                .to_ascii_lowercase(),
            ports: if all {
                (0, 0)
            } else {
                (
                    get_i64(v, "from_port").unwrap_or(0),
                    get_i64(v, "to_port").unwrap_or(0),
                )
            },
            protocol,
            cidr: get_str(v, "cidr_block").unwrap_or_default().to_string(),
            ipv6: get_str(v, "ipv6_cidr_block")
                .unwrap_or_default()
                .to_string(),
            icmp: (
                get_i64(v, "icmp_type").unwrap_or(0),
                get_i64(v, "icmp_code").unwrap_or(0),
            ),
        }
    }

    /// The canonical rules of an `ingress` or `egress` set.
    pub fn entries(rules: &Value) -> Vec<Entry> {
        let mut out: Vec<Entry> = rules
            .as_sequence()
            .unwrap_or(&[])
            .iter()
            .map(entry)
            .collect();
        out.sort();
        out
    }

    pub(crate) async fn put(
        ec2: &Client,
        w: &str,
        id: &str,
        egress: bool,
        rule: &Value,
        replace: bool,
    ) -> Result<(), ProviderError> {
        let e = entry(rule);
        let ports = PortRange::builder()
            .from(e.ports.0 as i32)
            .to(e.ports.1 as i32)
            .build();
        let icmp = IcmpTypeCode::builder()
            .r#type(e.icmp.0 as i32)
            .code(e.icmp.1 as i32)
            .build();
        let action = RuleAction::from(e.action.as_str());
        let cidr = get_str(rule, "cidr_block").map(str::to_string);
        let ipv6 = get_str(rule, "ipv6_cidr_block").map(str::to_string);
        /// `call` (CreateNetworkAclEntry or ReplaceNetworkAclEntry: other types, the same
        /// arguments) with the rule.
        macro_rules! with_entry {
            ($call:expr) => {
                $call
                    .network_acl_id(id)
                    .egress(egress)
                    .rule_number(e.rule_no as i32)
                    .rule_action(action)
                    .protocol(&e.protocol)
                    .set_cidr_block(cidr)
                    .set_ipv6_cidr_block(ipv6)
                    .port_range(ports)
                    .icmp_type_code(icmp)
            };
        }
        if replace {
            let call = with_entry!(ec2.replace_network_acl_entry());
            call.send().await.or_fail(w)?;
        } else {
            let call = with_entry!(ec2.create_network_acl_entry());
            call.send().await.or_fail(w)?;
        }
        Ok(())
    }

    async fn sync_rules(
        ec2: &Client,
        w: &str,
        id: &str,
        prior: &Value,
        planned: &Value,
    ) -> Result<(), ProviderError> {
        for (name, egress) in [("ingress", false), ("egress", true)] {
            let by_no = |obj: &Value| -> BTreeMap<i64, Value> {
                blocks(obj, name)
                    .iter()
                    .map(|r| (get_i64(r, "rule_no").unwrap_or(0), r.clone()))
                    .collect()
            };
            let (old, new) = (by_no(prior), by_no(planned));
            for no in old.keys().filter(|n| !new.contains_key(n)) {
                match ec2
                    .delete_network_acl_entry()
                    .network_acl_id(id)
                    .egress(egress)
                    .rule_number(*no as i32)
                    .send()
                    .await
                    .aws()
                {
                    Err(e) if !e.is_not_found() => return Err(e.into_provider(w)),
                    _ => {}
                }
            }
            for (no, rule) in &new {
                match old.get(no) {
                    Some(before) if entry(before) == entry(rule) => {}
                    Some(_) => put(ec2, w, id, egress, rule, true).await?,
                    None => put(ec2, w, id, egress, rule, false).await?,
                }
            }
        }
        Ok(())
    }

    /// Moves `subnets` to the network ACL `to` (their current association is replaced).
    async fn move_subnets(
        ec2: &Client,
        w: &str,
        subnets: &[String],
        to: &str,
    ) -> Result<(), ProviderError> {
        if subnets.is_empty() {
            return Ok(());
        }
        let list = |subnets: Vec<String>| async move {
            let out = ec2
                .describe_network_acls()
                .filters(filter("association.subnet-id", &subnets))
                .send()
                .await
                .or_fail(w)?;
            Ok::<_, ProviderError>(out.network_acls.unwrap_or_default())
        };
        let acls = list_by_set_filter(subnets, list, |acl, subnet| {
            acl.associations()
                .iter()
                .any(|a| a.subnet_id() == Some(subnet))
        })
        .await?;
        for acl in &acls {
            for a in acl.associations() {
                let (Some(subnet), Some(assoc)) = (a.subnet_id(), a.network_acl_association_id())
                else {
                    continue;
                };
                if !subnets.iter().any(|s| s == subnet) || acl.network_acl_id() == Some(to) {
                    continue;
                }
                ec2.replace_network_acl_association()
                    .association_id(assoc)
                    .network_acl_id(to)
                    .send()
                    .await
                    .or_fail(w)?;
            }
        }
        Ok(())
    }

    async fn default_acl(
        ec2: &Client,
        w: &str,
        vpc: &str,
    ) -> Result<Option<String>, ProviderError> {
        let out = ec2
            .describe_network_acls()
            .filters(filter("vpc-id", &[vpc.to_string()]))
            .filters(filter("default", &["true".into()]))
            .send()
            .await
            .or_fail(w)?;
        Ok(out
            .network_acls()
            .iter()
            .find_map(|a| a.network_acl_id().map(str::to_string)))
    }

    /// `aws_network_acl`.
    pub(crate) struct NetworkAcl;

    #[async_trait]
    impl AwsResource for NetworkAcl {
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
                .create_network_acl()
                .set_vpc_id(get_str(planned, "vpc_id").map(str::to_string))
                .tag_specifications(tag_spec(p, ResourceType::NetworkAcl, planned, origin))
                .set_client_token(origin.token.map(str::to_string))
                .send()
                .await
                .or_fail(&w)?;
            let id = created_id(out.network_acl().and_then(|a| a.network_acl_id()), &w)?;
            sync_rules(ec2, &w, &id, &Value::Null, planned).await?;
            move_subnets(ec2, &w, &get_strs(planned, "subnet_ids"), &id).await?;
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
            sync_rules(ec2, &w, &id, prior, planned).await?;
            if get(planned, "subnet_ids").is_known() && !get(planned, "subnet_ids").is_null() {
                let (old, new) = (
                    get_strs(prior, "subnet_ids"),
                    get_strs(planned, "subnet_ids"),
                );
                let added: Vec<String> = new.iter().filter(|s| !old.contains(s)).cloned().collect();
                let removed: Vec<String> =
                    old.iter().filter(|s| !new.contains(s)).cloned().collect();
                move_subnets(ec2, &w, &added, &id).await?;
                if !removed.is_empty() {
                    if let Some(default) =
                        default_acl(ec2, &w, get_str(prior, "vpc_id").unwrap_or_default()).await?
                    {
                        move_subnets(ec2, &w, &removed, &default).await?;
                    }
                }
            }
            update_tags(p, &w, &id, prior, planned).await?;
            Ok(id)
        }

        async fn delete(&self, p: &AwsProvider, prior: &Value) -> Result<(), ProviderError> {
            let id = id_of(prior);
            let w = format!("deleting {}", object_name(TY, &id));
            let ec2 = p.ec2().await?;
            let Some(obs) = self.describe_one(p, &id).await? else {
                return Ok(());
            };
            let subnets = obs
                .get("subnet_ids")
                .map(|v| {
                    get_strs(
                        &Value::Object(ValueMap::from([("s".to_string(), v.clone())])),
                        "s",
                    )
                })
                .unwrap_or_default();
            if !subnets.is_empty() {
                let vpc = obs
                    .get("vpc_id")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                if let Some(default) = default_acl(ec2, &w, &vpc).await? {
                    move_subnets(ec2, &w, &subnets, &default).await?;
                }
            }
            delete_retrying(&w, || async {
                ec2.delete_network_acl()
                    .network_acl_id(&id)
                    .send()
                    .await
                    .aws()
            })
            .await
        }
    }

    pub(crate) fn entry_obs(e: &NetworkAclEntry) -> Value {
        let ports = e.port_range();
        let icmp = e.icmp_type_code();
        let protocol = e.protocol().unwrap_or("-1");
        let all = protocol == "-1";
        Value::Object(ValueMap::from([
            (
                "rule_no".to_string(),
                optional_number(e.rule_number().map(i64::from)),
            ),
            (
                "action".to_string(),
                optional_string(e.rule_action().map(|a| a.as_str())),
            ),
            ("protocol".to_string(), Value::string(protocol)),
            (
                "from_port".to_string(),
                Value::number(if all {
                    0
                } else {
                    ports.and_then(|p| p.from()).map(i64::from).unwrap_or(0)
                }),
            ),
            (
                "to_port".to_string(),
                Value::number(if all {
                    0
                } else {
                    ports.and_then(|p| p.to()).map(i64::from).unwrap_or(0)
                }),
            ),
            ("cidr_block".to_string(), optional_string(e.cidr_block())),
            (
                "ipv6_cidr_block".to_string(),
                optional_string(e.ipv6_cidr_block()),
            ),
            (
                "icmp_type".to_string(),
                optional_number(icmp.and_then(|i| i.r#type()).map(i64::from)),
            ),
            (
                "icmp_code".to_string(),
                optional_number(icmp.and_then(|i| i.code()).map(i64::from)),
            ),
        ]))
    }

    async fn read(ec2: Client, ids: Vec<String>) -> Result<BTreeMap<String, Obs>, AwsErr> {
        let out = ec2
            .describe_network_acls()
            .set_network_acl_ids(Some(ids))
            .send()
            .await
            .aws()?;
        let mut found = BTreeMap::new();
        for a in out.network_acls() {
            let Some(id) = a.network_acl_id() else {
                continue;
            };
            let rules = |egress: bool| {
                Value::set(
                    a.entries()
                        .iter()
                        .filter(|e| e.egress() == Some(egress))
                        .filter(|e| !matches!(e.rule_number(), Some(32767) | Some(32768)))
                        .map(entry_obs)
                        .collect(),
                )
            };
            let mut o = Obs::new();
            o.insert("vpc_id".into(), optional_string(a.vpc_id()));
            o.insert("owner_id".into(), optional_string(a.owner_id()));
            o.insert(
                "arn".into(),
                crate::network::arn(&ec2, a.owner_id(), "network-acl", id),
            );
            o.insert("ingress".into(), rules(false));
            o.insert("egress".into(), rules(true));
            o.insert(
                "subnet_ids".into(),
                string_set(a.associations().iter().filter_map(|x| x.subnet_id())),
            );
            o.insert("tags_all".into(), tags_obs(a.tags()));
            found.insert(id.to_string(), o);
        }
        Ok(found)
    }
}
