//! `aws_network_acl_rule`: one rule of a network ACL, managed on its own (beside an ACL whose
//! inline `ingress`/`egress` blocks are left unwritten, which then leaves the rules alone).
//!
//! Terraform's id (`nacl-` + a CRC-32) says nothing about where the rule is, so the rule is
//! read by the key `ACL:RULE_NUMBER:PROTOCOL:EGRESS` (Terraform's import id); reads of many
//! rules are one DescribeNetworkAcls for all their ACLs.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_ec2::Client;
use skel_provider::ProviderError;
use skel_value::Value;

use crate::acl::nacl::{entry_obs, put};
use crate::common::{get, get_bool, get_i64, get_str, protocol, Obs, Origin};
use crate::error::{AwsErr, SdkResultExt};
use crate::resource::{AwsResource, Kind, Recovered};
use crate::AwsProvider;

const TY: &str = "aws_network_acl_rule";
const KIND: Kind = Kind::untagged(TY, |api, keys| Box::pin(read(api.ec2, keys)));

/// Terraform's id of rule `number` (`egress` or not, of `protocol` as configured) of `acl`.
pub(crate) fn terraform_id(acl: &str, number: i64, egress: bool, protocol: &str) -> String {
    let text = format!("{acl}-{number}-{egress}-{protocol}");
    format!("nacl-{}", crc32fast::hash(text.as_bytes()))
}

/// The key a rule is read by: `ACL:NUMBER:PROTOCOL:EGRESS`.
fn key_of(v: &Value) -> String {
    format!(
        "{}:{}:{}:{}",
        get_str(v, "network_acl_id").unwrap_or_default(),
        get_i64(v, "rule_number").unwrap_or(0),
        get_str(v, "protocol").unwrap_or("-1"),
        get_bool(v, "egress").unwrap_or(false)
    )
}

/// (ACL, rule number, protocol, egress) of a key.
fn parse(key: &str) -> Option<(String, i64, String, bool)> {
    let mut it = key.split(':');
    let acl = it.next()?.to_string();
    let number = it.next()?.parse().ok()?;
    let protocol = it.next()?.to_string();
    let egress = it.next()?.parse().ok()?;
    Some((acl, number, protocol, egress))
}

/// The rule as `aws_network_acl`'s inline rules write it, for the shared create call.
fn as_inline(v: &Value) -> Value {
    let pairs = [
        ("rule_no", "rule_number"),
        ("action", "rule_action"),
        ("protocol", "protocol"),
        ("from_port", "from_port"),
        ("to_port", "to_port"),
        ("cidr_block", "cidr_block"),
        ("ipv6_cidr_block", "ipv6_cidr_block"),
        ("icmp_type", "icmp_type"),
        ("icmp_code", "icmp_code"),
    ];
    Value::Object(
        pairs
            .iter()
            .map(|(theirs, ours)| (theirs.to_string(), get(v, ours).clone()))
            .collect(),
    )
}

/// `aws_network_acl_rule`.
pub(crate) struct NetworkAclRule;

#[async_trait]
impl AwsResource for NetworkAclRule {
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
        if get_str(planned, "cidr_block").is_none() && get_str(planned, "ipv6_cidr_block").is_none()
        {
            return Err(ProviderError::InvalidConfig(format!(
                "{TY} {origin}: set `cidr_block` or `ipv6_cidr_block`."
            )));
        }
        let acl = get_str(planned, "network_acl_id").unwrap_or_default();
        let egress = get_bool(planned, "egress").unwrap_or(false);
        let ec2 = p.ec2().await?;
        put(ec2, &w, acl, egress, &as_inline(planned), false).await?;
        Ok(key_of(planned))
    }

    /// Every argument forces a new rule: nothing changes in place.
    async fn update(
        &self,
        _p: &AwsProvider,
        _prior: &Value,
        planned: &Value,
        _origin: &Origin<'_>,
    ) -> Result<String, ProviderError> {
        Ok(key_of(planned))
    }

    async fn delete(&self, p: &AwsProvider, prior: &Value) -> Result<(), ProviderError> {
        let key = key_of(prior);
        let ec2 = p.ec2().await?;
        match ec2
            .delete_network_acl_entry()
            .network_acl_id(get_str(prior, "network_acl_id").unwrap_or_default())
            .egress(get_bool(prior, "egress").unwrap_or(false))
            .rule_number(get_i64(prior, "rule_number").unwrap_or(0) as i32)
            .send()
            .await
            .aws()
        {
            Err(e) if !e.is_not_found() => Err(e.into_provider(&format!("deleting {TY} {key}"))),
            _ => Ok(()),
        }
    }

    /// A rule is what it is: its ACL, direction and number.
    async fn find(&self, p: &AwsProvider, planned: &Value, origin: &Origin<'_>) -> Recovered {
        let key = key_of(planned);
        let api = p.clients().await?.clone();
        let found = read(api.ec2, vec![key.clone()])
            .await
            .map_err(|e| e.into_provider(&format!("recovering {origin}")))?;
        Ok(found.contains_key(&key).then_some(key))
    }
}

/// Reads rules by key: one DescribeNetworkAcls for all their ACLs.
async fn read(ec2: Client, keys: Vec<String>) -> Result<BTreeMap<String, Obs>, AwsErr> {
    let parsed: Vec<(String, (String, i64, String, bool))> = keys
        .iter()
        .filter_map(|k| Some((k.clone(), parse(k)?)))
        .collect();
    let mut acls: Vec<String> = parsed.iter().map(|(_, (a, ..))| a.clone()).collect();
    acls.sort();
    acls.dedup();
    let mut found = BTreeMap::new();
    if acls.is_empty() {
        return Ok(found);
    }
    let out = match ec2
        .describe_network_acls()
        .set_network_acl_ids(Some(acls.clone()))
        .send()
        .await
        .aws()
    {
        Ok(out) => out,
        // One ACL of the batch is gone: each ACL on its own (a gone one has no rules).
        Err(e) if e.is_not_found() && acls.len() > 1 => {
            for acl in &acls {
                let keys: Vec<String> = parsed
                    .iter()
                    .filter(|(_, (a, ..))| a == acl)
                    .map(|(k, _)| k.clone())
                    .collect();
                found.extend(Box::pin(read(ec2.clone(), keys)).await?);
            }
            return Ok(found);
        }
        Err(e) if e.is_not_found() => return Ok(found),
        Err(e) => return Err(e),
    };
    for a in out.network_acls() {
        let Some(acl) = a.network_acl_id() else {
            continue;
        };
        for (key, (_, number, configured, egress)) in parsed.iter().filter(|(_, (x, ..))| x == acl)
        {
            let Some(e) = a
                .entries()
                .iter()
                .find(|e| e.egress() == Some(*egress) && e.rule_number() == Some(*number as i32))
            else {
                continue;
            };
            let seen = entry_obs(e);
            let mut o = Obs::new();
            o.insert(
                "id".into(),
                Value::string(terraform_id(acl, *number, *egress, configured)),
            );
            o.insert("network_acl_id".into(), Value::string(acl));
            o.insert("rule_number".into(), Value::number(*number));
            o.insert("egress".into(), Value::Bool(*egress));
            // The protocol as configured when it means the same (`tcp` for `6`).
            let observed = get_str(&seen, "protocol").unwrap_or("-1");
            let shown = if protocol(configured) == protocol(observed) {
                configured.as_str()
            } else {
                observed
            };
            o.insert("protocol".into(), Value::string(shown));
            for (ours, theirs) in [
                ("rule_action", "action"),
                ("cidr_block", "cidr_block"),
                ("ipv6_cidr_block", "ipv6_cidr_block"),
            ] {
                o.insert(ours.into(), get(&seen, theirs).clone());
            }
            // Ports and ICMP codes only where the API reports them (as Terraform reads them):
            // for other protocols the configured values stand.
            let number = protocol(observed);
            if e.port_range().is_some() && number != "-1" && number != "1" && number != "58" {
                for name in ["from_port", "to_port"] {
                    o.insert(name.into(), get(&seen, name).clone());
                }
            }
            if e.icmp_type_code().is_some() && (number == "1" || number == "58") {
                for name in ["icmp_type", "icmp_code"] {
                    o.insert(name.into(), get(&seen, name).clone());
                }
            }
            found.insert(key.clone(), o);
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use skel_value::ValueMap;

    #[test]
    fn the_key_is_terraforms_import_id_and_round_trips() {
        let v = Value::Object(ValueMap::from([
            ("network_acl_id".to_string(), Value::string("acl-7")),
            ("rule_number".to_string(), Value::number(100)),
            ("protocol".to_string(), Value::string("tcp")),
            ("egress".to_string(), Value::Bool(true)),
        ]));
        assert_eq!(key_of(&v), "acl-7:100:tcp:true");
        assert_eq!(
            parse("acl-7:100:tcp:true"),
            Some(("acl-7".into(), 100, "tcp".into(), true))
        );
        assert_eq!(parse("acl-7:x:tcp:true"), None);
        assert_eq!(
            terraform_id("acl-7", 100, true, "tcp"),
            format!("nacl-{}", crc32fast::hash(b"acl-7-100-true-tcp"))
        );
    }
}
