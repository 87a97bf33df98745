//! `aws_security_group_rule`: one rule of a security group (a direction, a protocol and port
//! range, one or more sources). AWS has no object for such a rule (it stores one rule per
//! source), so a rule is identified by what it is: the text of Terraform's import id
//! (`sg-1_ingress_tcp_443_443_10.0.0.0/16`, [`Rule::key`]) is what reads, recovery after a crash
//! and imports look it up by, and the state's `id` is Terraform's `sgrule-` hash of it
//! ([`Rule::terraform_id`]). Reads list the rules of every group asked about in one
//! `DescribeSecurityGroupRules` call (a rule exists when each of its sources does; the rule ids
//! come from it) and the groups in one `DescribeSecurityGroups` call, whose permissions carry
//! each source's description, as Terraform reads them (moto 5.2.5 leaves the description of a
//! rule that references a group out of `DescribeSecurityGroupRules`).

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use aws_sdk_ec2::types::{
    Filter, IpPermission, IpRange, Ipv6Range, PrefixListId, SecurityGroupRule as ApiRule,
    UserIdGroupPair,
};
use aws_sdk_ec2::Client;
use skel_provider::ProviderError;
use skel_value::Value;

use crate::common::{get, get_bool, get_i64, get_str, get_strs, id_of, string_list, Obs, Origin};
use crate::error::{AwsErr, SdkResultExt};
use crate::resource::{read_merged, AwsResource, Described, Kind, Recovered};
use crate::AwsProvider;

const TY: &str = "aws_security_group_rule";
const KIND: Kind = Kind::untagged(TY, |api, keys| Box::pin(read(api.ec2, keys)));

/// The import id's shape, for messages.
const KEY_FORMAT: &str = "SGID_TYPE_PROTOCOL_FROMPORT_TOPORT_SOURCE[_SOURCE]… (e.g. sg-123_ingress_tcp_443_443_10.0.0.0/16)";

/// What a rule is: everything that identifies it (its description is not part of it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Rule {
    pub group: String,
    pub egress: bool,
    /// The protocol as written (`tcp`, `6`, `all`, `-1`).
    pub protocol: String,
    pub from: i64,
    pub to: i64,
    pub cidrs: Vec<String>,
    pub ipv6: Vec<String>,
    pub prefix_lists: Vec<String>,
    pub source_group: Option<String>,
    pub is_self: bool,
}

/// One source of a rule, as AWS stores it (one AWS rule each).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Source {
    Cidr(String),
    Ipv6(String),
    PrefixList(String),
    Group(String),
}

/// IANA protocol numbers of the names Terraform accepts most often.
const PROTOCOLS: &[(&str, &str)] = &[
    ("icmp", "1"),
    ("igmp", "2"),
    ("tcp", "6"),
    ("udp", "17"),
    ("gre", "47"),
    ("esp", "50"),
    ("ah", "51"),
    ("icmpv6", "58"),
    ("sctp", "132"),
];

/// The protocol as Terraform sends it (`ProtocolForValue`): `-1` for all, else the name when
/// there is one (`6` → `tcp`), else the number.
pub(crate) fn terraform_protocol(p: &str) -> String {
    let p = p.trim().to_ascii_lowercase();
    if p == "all" || p == "-1" {
        return "-1".into();
    }
    if p == "ipv6-icmp" {
        return "icmpv6".into();
    }
    PROTOCOLS
        .iter()
        .find(|(name, number)| *name == p || *number == p)
        .map_or(p, |(name, _)| name.to_string())
}

/// The protocol as a number (`tcp` → `6`, `all` → `-1`), for comparing what AWS shows.
pub(crate) fn protocol_number(p: &str) -> String {
    let name = terraform_protocol(p);
    PROTOCOLS
        .iter()
        .find(|(n, _)| *n == name)
        .map_or(name, |(_, number)| number.to_string())
}

/// CRC-32 (IEEE), Terraform's string hash.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

impl Rule {
    /// The rule a configuration, plan or state describes; why not when it cannot (an unknown
    /// or invalid value).
    pub fn from_state(v: &Value) -> Result<Rule, String> {
        let text = |name: &str| {
            get_str(v, name)
                .map(str::to_string)
                .ok_or_else(|| format!("`{name}` is not known"))
        };
        let egress = match text("type")?.as_str() {
            "ingress" => false,
            "egress" => true,
            other => {
                return Err(format!(
                    "`type` = {other:?}: a rule's type is `ingress` or `egress`"
                ))
            }
        };
        let port = |name: &str| get_i64(v, name).ok_or_else(|| format!("`{name}` is not known"));
        let known_list = |name: &str| {
            if get(v, name).is_known() {
                Ok(get_strs(v, name))
            } else {
                Err(format!("`{name}` is not known"))
            }
        };
        Ok(Rule {
            group: text("security_group_id")?,
            egress,
            protocol: text("protocol")?,
            from: port("from_port")?,
            to: port("to_port")?,
            cidrs: known_list("cidr_blocks")?,
            ipv6: known_list("ipv6_cidr_blocks")?,
            prefix_lists: known_list("prefix_list_ids")?,
            source_group: get_str(v, "source_security_group_id").map(str::to_string),
            is_self: get_bool(v, "self") == Some(true),
        })
    }

    /// The rule an import id names (`sg-1_ingress_tcp_80_80_10.0.0.0/8_self`).
    pub fn parse(key: &str) -> Result<Rule, String> {
        let parts: Vec<&str> = key.split('_').collect();
        if parts.len() < 6 {
            return Err(format!("`{key}` has too few parts"));
        }
        let group = parts[0];
        if !group.starts_with("sg-") {
            return Err(format!("`{group}` is not a security group id (sg-…)"));
        }
        let egress = match parts[1] {
            "ingress" => false,
            "egress" => true,
            other => return Err(format!("`{other}` is not `ingress` or `egress`")),
        };
        let port = |text: &str| {
            text.parse::<i64>()
                .map_err(|_| format!("`{text}` is not a port number"))
        };
        let mut rule = Rule {
            group: group.to_string(),
            egress,
            protocol: parts[2].to_string(),
            from: port(parts[3])?,
            to: port(parts[4])?,
            cidrs: Vec::new(),
            ipv6: Vec::new(),
            prefix_lists: Vec::new(),
            source_group: None,
            is_self: false,
        };
        for source in &parts[5..] {
            let group_id = source.rsplit('/').next().unwrap_or_default();
            if *source == "self" {
                rule.is_self = true;
            } else if group_id.starts_with("sg-") {
                if rule.source_group.is_some() {
                    return Err("a rule has at most one source security group".into());
                }
                rule.source_group = Some(group_id.to_string());
            } else if source.starts_with("pl-") {
                rule.prefix_lists.push(source.to_string());
            } else if source.contains(':') && source.contains('/') {
                rule.ipv6.push(source.to_string());
            } else if crate::common::is_ipv4_cidr(source) {
                rule.cidrs.push(source.to_string());
            } else {
                return Err(format!(
                    "`{source}` is not a source (a CIDR block, pl-…, sg-… or self)"
                ));
            }
        }
        Ok(rule)
    }

    /// The rule's identity as Terraform's import id.
    pub fn key(&self) -> String {
        let mut parts = vec![
            self.group.clone(),
            if self.egress { "egress" } else { "ingress" }.to_string(),
            self.protocol.clone(),
            self.from.to_string(),
            self.to.to_string(),
        ];
        parts.extend(self.cidrs.iter().cloned());
        parts.extend(self.ipv6.iter().cloned());
        parts.extend(self.prefix_lists.iter().cloned());
        parts.extend(self.source_group.iter().cloned());
        if self.is_self {
            parts.push("self".into());
        }
        parts.join("_")
    }

    fn all_protocols(&self) -> bool {
        terraform_protocol(&self.protocol) == "-1"
    }

    fn sources(&self) -> Vec<Source> {
        let mut out: Vec<Source> = self.cidrs.iter().cloned().map(Source::Cidr).collect();
        out.extend(self.ipv6.iter().cloned().map(Source::Ipv6));
        out.extend(self.prefix_lists.iter().cloned().map(Source::PrefixList));
        out.extend(self.source_group.iter().cloned().map(Source::Group));
        if self.is_self {
            out.push(Source::Group(self.group.clone()));
        }
        out
    }

    /// Terraform's `id` of the rule (`sgrule-` and the CRC-32 of the group, ports, protocol,
    /// direction and sorted sources, as `SecurityGroupRuleCreateID` writes them).
    pub fn terraform_id(&self) -> String {
        let mut text = format!("{}-", self.group);
        if !self.all_protocols() {
            for port in [self.from, self.to] {
                if port > 0 {
                    text.push_str(&format!("{port}-"));
                }
            }
        }
        text.push_str(&format!("{}-", terraform_protocol(&self.protocol)));
        text.push_str(if self.egress { "egress-" } else { "ingress-" });
        for list in [&self.cidrs, &self.ipv6, &self.prefix_lists] {
            let sorted: BTreeSet<&String> = list.iter().collect();
            for item in sorted {
                text.push_str(&format!("{item}-"));
            }
        }
        let mut groups: Vec<&String> = self.source_group.iter().collect();
        if self.is_self {
            groups.push(&self.group);
        }
        groups.sort();
        groups.dedup();
        for g in groups {
            // The group id, then its name (none in a VPC).
            text.push_str(&format!("{g}--"));
        }
        format!("sgrule-{}", crc32(text.as_bytes()))
    }

    /// The permission that grants (or revokes) the rule, with `description` on every source.
    fn permission(&self, description: Option<&str>) -> IpPermission {
        let desc = description.filter(|d| !d.is_empty()).map(str::to_string);
        let protocol = terraform_protocol(&self.protocol);
        let mut b = IpPermission::builder().ip_protocol(&protocol);
        if protocol != "-1" {
            b = b
                .from_port(i32::try_from(self.from).unwrap_or(-1))
                .to_port(i32::try_from(self.to).unwrap_or(-1));
        }
        for source in self.sources() {
            b = match source {
                Source::Cidr(c) => b.ip_ranges(
                    IpRange::builder()
                        .cidr_ip(c)
                        .set_description(desc.clone())
                        .build(),
                ),
                Source::Ipv6(c) => b.ipv6_ranges(
                    Ipv6Range::builder()
                        .cidr_ipv6(c)
                        .set_description(desc.clone())
                        .build(),
                ),
                Source::PrefixList(id) => b.prefix_list_ids(
                    PrefixListId::builder()
                        .prefix_list_id(id)
                        .set_description(desc.clone())
                        .build(),
                ),
                Source::Group(id) => b.user_id_group_pairs(
                    UserIdGroupPair::builder()
                        .group_id(id)
                        .set_description(desc.clone())
                        .build(),
                ),
            };
        }
        b.build()
    }

    /// Whether AWS rule `r` (one source) is this rule's `source`.
    fn matches(&self, source: &Source, r: &ApiRule) -> bool {
        let same_ports = self.all_protocols()
            || (r.from_port().map(i64::from) == Some(self.from)
                && r.to_port().map(i64::from) == Some(self.to));
        r.group_id() == Some(self.group.as_str())
            && r.is_egress() == Some(self.egress)
            && r.ip_protocol().map(protocol_number) == Some(protocol_number(&self.protocol))
            && same_ports
            && match source {
                Source::Cidr(c) => r.cidr_ipv4() == Some(c.as_str()),
                Source::Ipv6(c) => r
                    .cidr_ipv6()
                    .is_some_and(|seen| seen.eq_ignore_ascii_case(c)),
                Source::PrefixList(id) => r.prefix_list_id() == Some(id.as_str()),
                Source::Group(id) => r
                    .referenced_group_info()
                    .and_then(|g| g.group_id())
                    .is_some_and(|g| g == id),
            }
    }

    /// The description of `source` in its group's permissions (as `DescribeSecurityGroups`
    /// reports them).
    fn description<'a>(
        &self,
        source: &Source,
        groups: &'a [(String, bool, IpPermission)],
    ) -> Option<&'a str> {
        groups
            .iter()
            .filter(|(group, egress, perm)| {
                *group == self.group
                    && *egress == self.egress
                    && perm.ip_protocol().map(protocol_number)
                        == Some(protocol_number(&self.protocol))
                    && (self.all_protocols()
                        || (perm.from_port().map(i64::from) == Some(self.from)
                            && perm.to_port().map(i64::from) == Some(self.to)))
            })
            .find_map(|(_, _, perm)| match source {
                Source::Cidr(c) => perm
                    .ip_ranges()
                    .iter()
                    .find(|r| r.cidr_ip() == Some(c.as_str()))
                    .and_then(|r| r.description()),
                Source::Ipv6(c) => perm
                    .ipv6_ranges()
                    .iter()
                    .find(|r| r.cidr_ipv6().is_some_and(|s| s.eq_ignore_ascii_case(c)))
                    .and_then(|r| r.description()),
                Source::PrefixList(id) => perm
                    .prefix_list_ids()
                    .iter()
                    .find(|r| r.prefix_list_id() == Some(id.as_str()))
                    .and_then(|r| r.description()),
                Source::Group(id) => perm
                    .user_id_group_pairs()
                    .iter()
                    .find(|r| r.group_id() == Some(id.as_str()))
                    .and_then(|r| r.description()),
            })
    }

    /// The rule as observed among the AWS rules of its group, `None` unless every source is
    /// there.
    fn observe(&self, rules: &[ApiRule], groups: &[(String, bool, IpPermission)]) -> Option<Obs> {
        let sources = self.sources();
        let mut seen = Vec::new();
        for source in &sources {
            seen.push(rules.iter().find(|r| self.matches(source, r))?);
        }
        let list = |items: &[String]| {
            if items.is_empty() {
                Value::Null
            } else {
                string_list(items.to_vec())
            }
        };
        let text = |t: Option<&str>| {
            t.filter(|t| !t.is_empty())
                .map_or(Value::Null, Value::string)
        };
        let mut o = Obs::new();
        o.insert("id".into(), Value::string(self.terraform_id()));
        o.insert("security_group_id".into(), Value::string(&self.group));
        o.insert(
            "type".into(),
            Value::string(if self.egress { "egress" } else { "ingress" }),
        );
        o.insert("protocol".into(), Value::string(&self.protocol));
        o.insert("from_port".into(), Value::number(self.from));
        o.insert("to_port".into(), Value::number(self.to));
        o.insert("cidr_blocks".into(), list(&self.cidrs));
        o.insert("ipv6_cidr_blocks".into(), list(&self.ipv6));
        o.insert("prefix_list_ids".into(), list(&self.prefix_lists));
        o.insert(
            "source_security_group_id".into(),
            text(self.source_group.as_deref()),
        );
        o.insert("self".into(), Value::Bool(self.is_self));
        o.insert(
            "description".into(),
            text(sources.first().and_then(|s| self.description(s, groups))),
        );
        o.insert(
            "security_group_rule_id".into(),
            match seen.as_slice() {
                [one] => text(one.security_group_rule_id()),
                _ => Value::Null,
            },
        );
        Some(o)
    }
}

/// Checks of an `aws_security_group_rule` configuration beyond the schema's types.
pub fn validate(config: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    if let Some(t) = get_str(config, "type").filter(|t| !matches!(*t, "ingress" | "egress")) {
        errors.push(format!(
            "{TY}: `type` = {t:?}: a rule's type is \"ingress\" or \"egress\"."
        ));
    }
    let set = |name: &str| match get(config, name) {
        Value::Null => false,
        Value::Bool(b) => *b,
        v => v.as_sequence().is_none_or(|s| !s.is_empty()),
    };
    let sources = [
        "cidr_blocks",
        "ipv6_cidr_blocks",
        "prefix_list_ids",
        "source_security_group_id",
        "self",
    ];
    if !sources.iter().any(|s| set(s)) {
        errors.push(format!(
            "{TY}: a rule needs a source or destination: set one of `cidr_blocks`, `ipv6_cidr_blocks`, `prefix_list_ids`, `source_security_group_id` or `self = true`."
        ));
    }
    let conflicts = [
        ("source_security_group_id", "cidr_blocks"),
        ("source_security_group_id", "ipv6_cidr_blocks"),
        ("source_security_group_id", "self"),
        ("self", "cidr_blocks"),
        ("self", "ipv6_cidr_blocks"),
    ];
    for (a, b) in conflicts {
        if set(a) && set(b) {
            errors.push(format!(
                "{TY}: `{a}` conflicts with `{b}`: set one of them (one resource per kind of source)."
            ));
        }
    }
    errors
}

/// `aws_security_group_rule`.
pub(crate) struct SecurityGroupRule;

fn rule_of(v: &Value, what: &str) -> Result<Rule, ProviderError> {
    Rule::from_state(v).map_err(|why| ProviderError::InvalidConfig(format!("{what}: {why}.")))
}

#[async_trait]
impl AwsResource for SecurityGroupRule {
    fn kind(&self) -> Kind {
        KIND
    }

    fn key(&self, state: &Value) -> String {
        Rule::from_state(state).map_or_else(|_| id_of(state), |r| r.key())
    }

    async fn create(
        &self,
        p: &AwsProvider,
        planned: &Value,
        origin: &Origin<'_>,
    ) -> Result<String, ProviderError> {
        let w = format!("creating {TY} {origin}");
        let rule = rule_of(planned, &w)?;
        let perm = rule.permission(get_str(planned, "description"));
        let ec2 = p.ec2().await?;
        let sent = if rule.egress {
            ec2.authorize_security_group_egress()
                .group_id(&rule.group)
                .ip_permissions(perm)
                .send()
                .await
                .aws()
                .map(|_| ())
        } else {
            ec2.authorize_security_group_ingress()
                .group_id(&rule.group)
                .ip_permissions(perm)
                .send()
                .await
                .aws()
                .map(|_| ())
        };
        match sent {
            Err(e) if e.is(&["InvalidPermission.Duplicate"]) => Err(e.into_provider(&format!(
                "{w}: group {} already has this rule (or one of its sources); remove it from the group or import it with `skelc import {origin} {}`",
                rule.group,
                rule.key()
            ))),
            Err(e) => Err(e.into_provider(&w)),
            Ok(()) => Ok(rule.key()),
        }
    }

    async fn update(
        &self,
        p: &AwsProvider,
        prior: &Value,
        planned: &Value,
        _origin: &Origin<'_>,
    ) -> Result<String, ProviderError> {
        let w = format!("updating {TY} `{}`", id_of(prior));
        let rule = rule_of(planned, &w)?;
        let description = get_str(planned, "description");
        if description != get_str(prior, "description") {
            let perm = rule.permission(description);
            let ec2 = p.ec2().await?;
            if rule.egress {
                ec2.update_security_group_rule_descriptions_egress()
                    .group_id(&rule.group)
                    .ip_permissions(perm)
                    .send()
                    .await
                    .or_fail(&w)?;
            } else {
                ec2.update_security_group_rule_descriptions_ingress()
                    .group_id(&rule.group)
                    .ip_permissions(perm)
                    .send()
                    .await
                    .or_fail(&w)?;
            }
        }
        Ok(rule.key())
    }

    async fn delete(&self, p: &AwsProvider, prior: &Value) -> Result<(), ProviderError> {
        let w = format!("deleting {TY} `{}`", id_of(prior));
        let rule = rule_of(prior, &w)?;
        // With its description, as Terraform revokes (moto matches a group source's
        // description too; AWS ignores it).
        let perm = rule.permission(get_str(prior, "description"));
        let ec2 = p.ec2().await?;
        let sent = if rule.egress {
            ec2.revoke_security_group_egress()
                .group_id(&rule.group)
                .ip_permissions(perm)
                .send()
                .await
                .aws()
                .map(|_| ())
        } else {
            ec2.revoke_security_group_ingress()
                .group_id(&rule.group)
                .ip_permissions(perm)
                .send()
                .await
                .aws()
                .map(|_| ())
        };
        match sent {
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) => Err(e.into_provider(&w)),
            Ok(()) => Ok(()),
        }
    }

    /// Import ids and keys are checked before anything is read, so a malformed one is a
    /// clear error rather than "gone".
    async fn describe(&self, p: &AwsProvider, keys: &[String]) -> Described {
        for key in keys {
            Rule::parse(key).map_err(|why| {
                ProviderError::InvalidConfig(format!(
                    "{TY}: `{key}` does not name a rule ({why}); the import id is {KEY_FORMAT}."
                ))
            })?;
        }
        read_merged(p, KIND, keys).await
    }

    /// A rule is what it is: the interrupted create made it when the group has it.
    async fn find(&self, p: &AwsProvider, planned: &Value, origin: &Origin<'_>) -> Recovered {
        let rule = Rule::from_state(planned).map_err(|why| {
            ProviderError::Other(format!(
                "{origin}: cannot tell whether the interrupted create made the rule ({why}); look at the group's rules and import it with `skelc import {origin} {KEY_FORMAT}`."
            ))
        })?;
        let key = rule.key();
        Ok(self.describe_one(p, &key).await?.map(|_| key))
    }
}

/// The filter on these group ids (one chunk of at most 200, the most values a filter takes).
fn group_filter(groups: &[String]) -> Filter {
    Filter::builder()
        .name("group-id")
        .set_values(Some(groups.to_vec()))
        .build()
}

/// The AWS rules of `groups`, one listing (pages of up to 1000, groups in chunks of 200).
async fn rules_of(ec2: &Client, groups: &BTreeSet<String>) -> Result<Vec<ApiRule>, AwsErr> {
    let groups: Vec<String> = groups.iter().cloned().collect();
    let mut out = Vec::new();
    for chunk in groups.chunks(200) {
        let mut pages = ec2
            .describe_security_group_rules()
            .filters(group_filter(chunk))
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            out.extend(page.aws()?.security_group_rules().iter().cloned());
        }
    }
    Ok(out)
}

/// Every permission of `groups` (group id, whether egress, the permission), from
/// `DescribeSecurityGroups` (groups in chunks of 200); a group that is gone has none.
async fn permissions_of(
    ec2: &Client,
    groups: &BTreeSet<String>,
) -> Result<Vec<(String, bool, IpPermission)>, AwsErr> {
    let groups: Vec<String> = groups.iter().cloned().collect();
    let mut out = Vec::new();
    for chunk in groups.chunks(200) {
        let mut pages = ec2
            .describe_security_groups()
            .filters(group_filter(chunk))
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            for g in page.aws()?.security_groups() {
                let id = g.group_id().unwrap_or_default().to_string();
                out.extend(
                    g.ip_permissions()
                        .iter()
                        .map(|p| (id.clone(), false, p.clone())),
                );
                out.extend(
                    g.ip_permissions_egress()
                        .iter()
                        .map(|p| (id.clone(), true, p.clone())),
                );
            }
        }
    }
    Ok(out)
}

async fn read(ec2: Client, keys: Vec<String>) -> Result<BTreeMap<String, Obs>, AwsErr> {
    let rules: Vec<(String, Rule)> = keys
        .into_iter()
        .filter_map(|k| Rule::parse(&k).ok().map(|r| (k, r)))
        .collect();
    let groups: BTreeSet<String> = rules.iter().map(|(_, r)| r.group.clone()).collect();
    if groups.is_empty() {
        return Ok(BTreeMap::new());
    }
    let seen = rules_of(&ec2, &groups).await?;
    let permissions = permissions_of(&ec2, &groups).await?;
    Ok(rules
        .into_iter()
        .filter_map(|(k, r)| Some((k, r.observe(&seen, &permissions)?)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_name_every_kind_of_source() {
        for key in [
            "sg-1_ingress_tcp_443_443_10.0.0.0/16",
            "sg-1_egress_all_0_0_0.0.0.0/0",
            "sg-1_ingress_tcp_80_80_10.1.0.0/16_2001:db8::/48_10.2.0.0/16",
            "sg-1_egress_tcp_8000_8000_pl-6469726b",
            "sg-1_ingress_all_0_65536_sg-2",
            "sg-1_ingress_icmp_-1_-1_self",
            "sg-1_ingress_92_0_65536_10.0.3.0/24",
        ] {
            let rule = Rule::parse(key).unwrap_or_else(|e| panic!("{key}: {e}"));
            let again = Rule::parse(&rule.key()).expect("its own key");
            assert_eq!(again, rule, "{key}");
        }
        let r = Rule::parse("sg-1_ingress_tcp_80_80_10.1.0.0/16_2001:db8::/48_self").unwrap();
        assert_eq!(r.cidrs, ["10.1.0.0/16"]);
        assert_eq!(r.ipv6, ["2001:db8::/48"]);
        assert!(r.is_self);
        let g = Rule::parse("sg-1_ingress_tcp_80_80_123456789012/sg-2").unwrap();
        assert_eq!(g.source_group.as_deref(), Some("sg-2"));
    }

    #[test]
    fn malformed_keys_say_what_is_wrong() {
        for (key, why) in [
            ("sg-1_ingress_tcp_80_80", "too few parts"),
            (
                "vpc-1_ingress_tcp_80_80_10.0.0.0/8",
                "not a security group id",
            ),
            (
                "sg-1_inbound_tcp_80_80_10.0.0.0/8",
                "not `ingress` or `egress`",
            ),
            ("sg-1_ingress_tcp_http_80_10.0.0.0/8", "not a port number"),
            ("sg-1_ingress_tcp_80_80_example", "not a source"),
            (
                "sg-1_ingress_tcp_80_80_sg-2_sg-3",
                "at most one source security group",
            ),
        ] {
            let e = Rule::parse(key).expect_err(key);
            assert!(e.contains(why), "{key}: {e}");
        }
    }

    #[test]
    fn the_terraform_id_is_the_crc_of_terraforms_text() {
        // crc32("sg-1-443-443-tcp-ingress-10.0.0.0/16-") computed independently (zlib.crc32).
        let r = Rule::parse("sg-1_ingress_6_443_443_10.0.0.0/16").unwrap();
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(
            r.terraform_id(),
            format!("sgrule-{}", crc32(b"sg-1-443-443-tcp-ingress-10.0.0.0/16-"))
        );
        // Sources are sorted, so their order does not change the id; protocol names and
        // numbers give the same id, all protocols ignore the ports.
        let a = Rule::parse("sg-1_ingress_tcp_80_80_10.2.0.0/16_10.1.0.0/16").unwrap();
        let b = Rule::parse("sg-1_ingress_6_80_80_10.1.0.0/16_10.2.0.0/16").unwrap();
        assert_eq!(a.terraform_id(), b.terraform_id());
        let all = Rule::parse("sg-1_egress_all_0_0_0.0.0.0/0").unwrap();
        assert_eq!(
            all.terraform_id(),
            format!("sgrule-{}", crc32(b"sg-1--1-egress-0.0.0.0/0-"))
        );
        let own = Rule::parse("sg-1_ingress_tcp_22_22_self").unwrap();
        assert_eq!(
            own.terraform_id(),
            format!("sgrule-{}", crc32(b"sg-1-22-22-tcp-ingress-sg-1--"))
        );
    }

    #[test]
    fn protocols_are_compared_by_number() {
        assert_eq!(terraform_protocol("TCP"), "tcp");
        assert_eq!(terraform_protocol("6"), "tcp");
        assert_eq!(terraform_protocol("all"), "-1");
        assert_eq!(terraform_protocol("92"), "92");
        assert_eq!(protocol_number("icmpv6"), "58");
        assert_eq!(protocol_number("ipv6-icmp"), "58");
        assert_eq!(protocol_number("-1"), "-1");
    }

    #[test]
    fn validation_wants_one_kind_of_source() {
        let cfg = |pairs: Vec<(&str, Value)>| {
            Value::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
        };
        let none = validate(&cfg(vec![("type", Value::string("ingress"))]));
        assert!(none[0].contains("needs a source"), "{none:?}");
        let both = validate(&cfg(vec![
            ("type", Value::string("sideways")),
            ("cidr_blocks", string_list(["10.0.0.0/8"])),
            ("source_security_group_id", Value::string("sg-2")),
        ]));
        assert_eq!(both.len(), 2, "{both:?}");
        assert!(both[0].contains("\"sideways\""));
        assert!(both[1].contains("conflicts with `cidr_blocks`"));
        let fine = validate(&cfg(vec![
            ("type", Value::string("egress")),
            ("self", Value::Bool(true)),
            ("prefix_list_ids", string_list(["pl-1"])),
        ]));
        assert!(fine.is_empty(), "{fine:?}");
    }
}
