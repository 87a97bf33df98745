//! Access: `aws_key_pair`, and `aws_security_group` with inline `ingress`/`egress` rules. Rules are compared as atomic
//! tuples (protocol, ports, one source, description), because AWS groups the sources of rules
//! with the same ports into one permission however the configuration splits them.

use skel_value::ValueMap;
use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use aws_sdk_ec2::types::{IpPermission, IpRange, Ipv6Range, PrefixListId, UserIdGroupPair};
use aws_sdk_ec2::Client;
use skel_provider::ProviderError;
use skel_value::Value;

use crate::common::{
    delete_retrying, deleted, get, get_bool, get_i64, get_str, get_strs, id_of, object_name,
    optional_string, protocol, string_list, string_set, tag_spec, tags_obs, update_tags, Obs,
    Origin, ADDRESS_TAG,
};
use crate::error::{created_id, AwsErr, SdkResultExt};
use crate::resource::{AwsResource, Kind, Recovered};
use crate::AwsProvider;

/// One source of one rule: (protocol, from, to, source kind, source, description).
pub type Tuple = (String, i64, i64, &'static str, String, String);

/// The atomic tuples of a rule set; `self_id` stands for `self = true`.
fn tuples_with(rules: &Value, self_id: &str) -> BTreeSet<Tuple> {
    let mut out = BTreeSet::new();
    for r in rules.as_sequence().unwrap_or(&[]) {
        let proto = protocol(get_str(r, "protocol").unwrap_or("-1"));
        let (from, to) = if proto == "-1" {
            (0, 0)
        } else {
            (
                get_i64(r, "from_port").unwrap_or(0),
                get_i64(r, "to_port").unwrap_or(0),
            )
        };
        let desc = get_str(r, "description").unwrap_or_default().to_string();
        let mut add = |kind: &'static str, src: String| {
            out.insert((proto.clone(), from, to, kind, src, desc.clone()));
        };
        for c in get_strs(r, "cidr_blocks") {
            add("cidr", c);
        }
        for c in get_strs(r, "ipv6_cidr_blocks") {
            add("ipv6", c);
        }
        for c in get_strs(r, "prefix_list_ids") {
            add("prefix", c);
        }
        for g in get_strs(r, "security_groups") {
            add("group", g);
        }
        if get_bool(r, "self") == Some(true) {
            add("group", self_id.to_string());
        }
    }
    out
}

/// The tuples of a rule set, for refresh comparisons (`self` kept symbolic).
pub fn rule_tuples(rules: &Value) -> BTreeSet<Tuple> {
    tuples_with(rules, "<self>")
}

fn permission(t: &Tuple) -> IpPermission {
    let (proto, from, to, kind, src, desc) = t;
    let desc = Some(desc.clone()).filter(|d| !d.is_empty());
    let mut b = IpPermission::builder().ip_protocol(proto);
    if proto != "-1" {
        b = b.from_port(*from as i32).to_port(*to as i32);
    }
    match *kind {
        "cidr" => b.ip_ranges(
            IpRange::builder()
                .cidr_ip(src)
                .set_description(desc)
                .build(),
        ),
        "ipv6" => b.ipv6_ranges(
            Ipv6Range::builder()
                .cidr_ipv6(src)
                .set_description(desc)
                .build(),
        ),
        "prefix" => b.prefix_list_ids(
            PrefixListId::builder()
                .prefix_list_id(src)
                .set_description(desc)
                .build(),
        ),
        _ => b.user_id_group_pairs(
            UserIdGroupPair::builder()
                .group_id(src)
                .set_description(desc)
                .build(),
        ),
    }
    .build()
}

/// (protocol, from, to, description): what one observed rule object groups sources by.
type RuleKey = (String, i64, i64, String);

/// Rules as observed, one object per (protocol, ports, description) with its sources.
fn rules_obs(perms: &[IpPermission], self_id: &str) -> Value {
    let mut grouped: BTreeMap<RuleKey, BTreeMap<&'static str, Vec<String>>> = BTreeMap::new();
    let mut selfs: BTreeSet<RuleKey> = BTreeSet::new();
    for p in perms {
        let proto = p.ip_protocol().unwrap_or("-1").to_string();
        let all = protocol(&proto) == "-1";
        let from = if all {
            0
        } else {
            p.from_port().map(i64::from).unwrap_or(0)
        };
        let to = if all {
            0
        } else {
            p.to_port().map(i64::from).unwrap_or(0)
        };
        let key = |d: Option<&str>| (proto.clone(), from, to, d.unwrap_or_default().to_string());
        for r in p.ip_ranges() {
            grouped
                .entry(key(r.description()))
                .or_default()
                .entry("cidr_blocks")
                .or_default()
                .push(r.cidr_ip().unwrap_or_default().into());
        }
        for r in p.ipv6_ranges() {
            grouped
                .entry(key(r.description()))
                .or_default()
                .entry("ipv6_cidr_blocks")
                .or_default()
                .push(r.cidr_ipv6().unwrap_or_default().into());
        }
        for r in p.prefix_list_ids() {
            grouped
                .entry(key(r.description()))
                .or_default()
                .entry("prefix_list_ids")
                .or_default()
                .push(r.prefix_list_id().unwrap_or_default().into());
        }
        for g in p.user_id_group_pairs() {
            let id = g.group_id().unwrap_or_default();
            if id == self_id {
                selfs.insert(key(g.description()));
                grouped.entry(key(g.description())).or_default();
            } else {
                grouped
                    .entry(key(g.description()))
                    .or_default()
                    .entry("security_groups")
                    .or_default()
                    .push(id.into());
            }
        }
    }
    Value::set(
        grouped
            .into_iter()
            .map(|(k, sources)| {
                let is_self = selfs.contains(&k);
                let (proto, from, to, desc) = k;
                let list = |n: &str| {
                    sources
                        .get(n)
                        .map(|v| string_list(v.clone()))
                        .unwrap_or(Value::Null)
                };
                Value::Object(ValueMap::from([
                    ("protocol".to_string(), Value::string(proto)),
                    ("from_port".to_string(), Value::number(from)),
                    ("to_port".to_string(), Value::number(to)),
                    (
                        "description".to_string(),
                        if desc.is_empty() {
                            Value::Null
                        } else {
                            Value::string(desc)
                        },
                    ),
                    ("cidr_blocks".to_string(), list("cidr_blocks")),
                    ("ipv6_cidr_blocks".to_string(), list("ipv6_cidr_blocks")),
                    ("prefix_list_ids".to_string(), list("prefix_list_ids")),
                    (
                        "security_groups".to_string(),
                        sources
                            .get("security_groups")
                            .map(|v| string_set(v.clone()))
                            .unwrap_or(Value::Null),
                    ),
                    ("self".to_string(), Value::Bool(is_self)),
                ]))
            })
            .collect(),
    )
}

pub mod sg {
    use super::*;
    use aws_sdk_ec2::types::ResourceType;

    const TY: &str = "aws_security_group";
    const KIND: Kind = Kind::tagged(TY, "security-group", |api, ids| {
        Box::pin(read(api.ec2, ids))
    });

    async fn change(
        ec2: &Client,
        w: &str,
        id: &str,
        egress: bool,
        add: bool,
        perms: Vec<IpPermission>,
    ) -> Result<(), ProviderError> {
        if perms.is_empty() {
            return Ok(());
        }
        /// Sends `call` (one of the four rule calls: other types, the same arguments).
        macro_rules! send {
            ($call:expr) => {
                $call
                    .group_id(id)
                    .set_ip_permissions(Some(perms))
                    .send()
                    .await
                    .aws()
                    .map(|_| ())
            };
        }
        let r = match (egress, add) {
            (false, true) => send!(ec2.authorize_security_group_ingress()),
            (false, false) => send!(ec2.revoke_security_group_ingress()),
            (true, true) => send!(ec2.authorize_security_group_egress()),
            (true, false) => send!(ec2.revoke_security_group_egress()),
        };
        match r {
            Err(e) if !add && e.is(&["InvalidPermission.NotFound"]) => Ok(()),
            Err(e) if add && e.is(&["InvalidPermission.Duplicate"]) => Ok(()),
            Err(e) => Err(e.into_provider(w)),
            Ok(()) => Ok(()),
        }
    }

    async fn sync(
        ec2: &Client,
        w: &str,
        id: &str,
        old: &Value,
        new: &Value,
    ) -> Result<(), ProviderError> {
        for (name, egress) in [("ingress", false), ("egress", true)] {
            let before = tuples_with(get(old, name), id);
            let after = tuples_with(get(new, name), id);
            change(
                ec2,
                w,
                id,
                egress,
                false,
                before.difference(&after).map(permission).collect(),
            )
            .await?;
            change(
                ec2,
                w,
                id,
                egress,
                true,
                after.difference(&before).map(permission).collect(),
            )
            .await?;
        }
        Ok(())
    }

    /// `aws_security_group`.
    pub(crate) struct SecurityGroup;

    #[async_trait]
    impl AwsResource for SecurityGroup {
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
            let name = match (get_str(planned, "name"), get_str(planned, "name_prefix")) {
                (Some(n), _) => n.to_string(),
                (None, prefix) => format!("{}{}", prefix.unwrap_or("skel-"), origin.suffix(26)),
            };
            let vpc = get_str(planned, "vpc_id").map(str::to_string);
            let out = ec2
                .create_security_group()
                .group_name(&name)
                .description(get_str(planned, "description").unwrap_or("Managed by Terraform"))
                .set_vpc_id(vpc.clone())
                .tag_specifications(tag_spec(p, ResourceType::SecurityGroup, planned, origin))
                .send()
                .await
                .or_fail(&w)?;
            let id = created_id(out.group_id(), &w)?;
            // A VPC group starts with an allow-all egress rule: only declared rules stay.
            let default_egress = Value::set(vec![Value::Object(ValueMap::from([
                ("protocol".to_string(), Value::string("-1")),
                ("from_port".to_string(), Value::number(0)),
                ("to_port".to_string(), Value::number(0)),
                ("cidr_blocks".to_string(), string_list(["0.0.0.0/0"])),
            ]))]);
            let initial = if vpc.is_some() {
                Value::Object(ValueMap::from([("egress".to_string(), default_egress)]))
            } else {
                Value::Null
            };
            sync(ec2, &w, &id, &initial, planned).await?;
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
            sync(p.ec2().await?, &w, &id, prior, planned).await?;
            update_tags(p, &w, &id, prior, planned).await?;
            Ok(id)
        }

        async fn delete(&self, p: &AwsProvider, prior: &Value) -> Result<(), ProviderError> {
            let id = id_of(prior);
            let w = format!("deleting {}", object_name(TY, &id));
            let ec2 = p.ec2().await?;
            if get_bool(prior, "revoke_rules_on_delete") == Some(true) {
                sync(ec2, &w, &id, prior, &Value::Null).await?;
            }
            delete_retrying(&w, || async {
                ec2.delete_security_group().group_id(&id).send().await.aws()
            })
            .await
        }
    }

    async fn read(ec2: Client, ids: Vec<String>) -> Result<BTreeMap<String, Obs>, AwsErr> {
        let out = ec2
            .describe_security_groups()
            .set_group_ids(Some(ids))
            .send()
            .await
            .aws()?;
        let mut found = BTreeMap::new();
        for g in out.security_groups() {
            let Some(id) = g.group_id() else { continue };
            let mut o = Obs::new();
            o.insert("name".into(), optional_string(g.group_name()));
            o.insert("description".into(), optional_string(g.description()));
            o.insert("vpc_id".into(), optional_string(g.vpc_id()));
            o.insert("owner_id".into(), optional_string(g.owner_id()));
            o.insert(
                "arn".into(),
                match g.security_group_arn() {
                    Some(a) => Value::string(a),
                    None => Value::string(format!(
                        "arn:aws:ec2:{}:{}:security-group/{id}",
                        ec2.config()
                            .region()
                            .map(|r| r.to_string())
                            .unwrap_or_default(),
                        g.owner_id().unwrap_or_default()
                    )),
                },
            );
            o.insert("ingress".into(), rules_obs(g.ip_permissions(), id));
            o.insert("egress".into(), rules_obs(g.ip_permissions_egress(), id));
            o.insert("tags_all".into(), tags_obs(g.tags()));
            found.insert(id.to_string(), o);
        }
        Ok(found)
    }
}

pub mod key_pair {
    use super::*;
    use crate::network::region;
    use aws_sdk_ec2::types::ResourceType;
    use aws_smithy_types::Blob;

    const TY: &str = "aws_key_pair";
    const KIND: Kind = Kind::untagged(TY, |api, ids| Box::pin(read(api.ec2, ids)));

    /// `aws_key_pair`: found by its name.
    pub(crate) struct KeyPair;

    #[async_trait]
    impl AwsResource for KeyPair {
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
            let name = key_name(planned, origin);
            let key = get_str(planned, "public_key").unwrap_or_default();
            p.ec2()
                .await?
                .import_key_pair()
                .key_name(&name)
                .public_key_material(Blob::new(key.as_bytes()))
                .tag_specifications(tag_spec(p, ResourceType::KeyPair, planned, origin))
                .send()
                .await
                .or_fail(&w)?;
            Ok(name)
        }

        async fn update(
            &self,
            p: &AwsProvider,
            prior: &Value,
            planned: &Value,
            _origin: &Origin<'_>,
        ) -> Result<String, ProviderError> {
            let id = id_of(prior);
            let key_id = get_str(prior, "key_pair_id").unwrap_or(&id).to_string();
            update_tags(
                p,
                &format!("updating {}", object_name(TY, &id)),
                &key_id,
                prior,
                planned,
            )
            .await?;
            Ok(id)
        }

        async fn delete(&self, p: &AwsProvider, prior: &Value) -> Result<(), ProviderError> {
            let id = id_of(prior);
            deleted(
                p.ec2()
                    .await?
                    .delete_key_pair()
                    .key_name(&id)
                    .send()
                    .await
                    .aws(),
                &format!("deleting {}", object_name(TY, &id)),
            )
        }

        /// Key pairs are named: the name the create used (a generated one derives from the
        /// token), looked up by name.
        async fn find(&self, p: &AwsProvider, planned: &Value, origin: &Origin<'_>) -> Recovered {
            if get_str(planned, "key_name").is_none() && origin.token.is_none() {
                return Err(ProviderError::Other(format!(
                    "{origin}: the interrupted create used a generated key name and its journal has \
                     no token to derive it from (written by an older skelc), so skel cannot tell \
                     whether it made a key pair. Find the key pair tagged `{ADDRESS_TAG} = {origin}` \
                     and import it with `skelc import {origin} NAME`."
                )));
            }
            let name = key_name(planned, origin);
            Ok(self.describe_one(p, &name).await?.map(|_| name))
        }
    }

    async fn read(ec2: Client, ids: Vec<String>) -> Result<BTreeMap<String, Obs>, AwsErr> {
        let out = ec2
            .describe_key_pairs()
            .set_key_names(Some(ids))
            .send()
            .await
            .aws()?;
        let mut found = BTreeMap::new();
        for k in out.key_pairs() {
            let Some(name) = k.key_name() else { continue };
            let mut o = Obs::new();
            o.insert("key_name".into(), Value::string(name));
            o.insert("key_pair_id".into(), optional_string(k.key_pair_id()));
            o.insert("fingerprint".into(), optional_string(k.key_fingerprint()));
            o.insert(
                "key_type".into(),
                optional_string(k.key_type().map(|t| t.as_str())),
            );
            o.insert(
                "arn".into(),
                Value::string(format!(
                    "arn:aws:ec2:{}:{}:key-pair/{name}",
                    region(&ec2),
                    ""
                )),
            );
            o.insert("tags_all".into(), tags_obs(k.tags()));
            found.insert(name.to_string(), o);
        }
        Ok(found)
    }

    /// The key's name: `key_name`, or `key_name_prefix` (default `skel-`) and a suffix from
    /// the create's token.
    fn key_name(planned: &Value, origin: &Origin<'_>) -> String {
        match (
            get_str(planned, "key_name"),
            get_str(planned, "key_name_prefix"),
        ) {
            (Some(n), _) => n.to_string(),
            (None, prefix) => format!("{}{}", prefix.unwrap_or("skel-"), origin.suffix(26)),
        }
    }
}
