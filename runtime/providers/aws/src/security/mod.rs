//! Access: `aws_key_pair`, `aws_security_group` with inline `ingress`/`egress` rules, and the
//! standalone rules (`aws_security_group_rule`, `aws_vpc_security_group_{ingress,egress}_rule`).
//! Inline rules are compared as atomic tuples (protocol, ports, one source, description),
//! because AWS groups the sources of rules with the same ports into one permission however the
//! configuration splits them.

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

pub mod key_pair;
pub mod rule;
pub mod sg;
pub mod vpc_rule;
