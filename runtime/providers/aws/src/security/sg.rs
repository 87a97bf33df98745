//! `aws_security_group`: a group with its inline `ingress`/`egress` rules.

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

/// Revokes egress rules `tuples` of group `id` in one call.
async fn revoke_egress(ec2: &Client, id: &str, tuples: &[Tuple]) -> Result<(), AwsErr> {
    ec2.revoke_security_group_egress()
        .group_id(id)
        .set_ip_permissions(Some(tuples.iter().map(permission).collect()))
        .send()
        .await
        .aws()
        .map(|_| ())
}

/// A new VPC group starts with allow-all egress rules (IPv4, and IPv6 in a VPC with an IPv6
/// block): only declared rules stay, as in Terraform. The undeclared ones are revoked in one
/// call, sent again without the IPv6 one when AWS says the group lacks it. Returns the
/// default rules that stay (the declared ones), for the rule sync that follows.
async fn drop_default_egress(
    ec2: &Client,
    w: &str,
    id: &str,
    planned: &Value,
) -> Result<Value, ProviderError> {
    let declared = tuples_with(get(planned, "egress"), id);
    let all = |kind: &'static str, cidr: &str| -> Tuple {
        ("-1".into(), 0, 0, kind, cidr.into(), String::new())
    };
    let (kept, gone): (Vec<Tuple>, Vec<Tuple>) = [all("cidr", "0.0.0.0/0"), all("ipv6", "::/0")]
        .into_iter()
        .partition(|t| declared.contains(t));
    if !gone.is_empty() {
        let missing =
            |r: &Result<(), AwsErr>| matches!(r, Err(e) if e.is(&["InvalidPermission.NotFound"]));
        let mut result = revoke_egress(ec2, id, &gone).await;
        if missing(&result) && gone.len() == 2 {
            result = revoke_egress(ec2, id, &gone[..1]).await;
        }
        if !missing(&result) {
            result.map_err(|e| e.into_provider(w))?;
        }
    }
    Ok(Value::set(
        kept.iter()
            .map(|(_, _, _, kind, cidr, _)| {
                let source = if *kind == "cidr" {
                    "cidr_blocks"
                } else {
                    "ipv6_cidr_blocks"
                };
                Value::Object(ValueMap::from([
                    ("protocol".to_string(), Value::string("-1")),
                    ("from_port".to_string(), Value::number(0)),
                    ("to_port".to_string(), Value::number(0)),
                    (source.to_string(), string_list([cidr.clone()])),
                ]))
            })
            .collect(),
    ))
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
        let initial = match vpc {
            Some(_) => Value::Object(ValueMap::from([(
                "egress".to_string(),
                drop_default_egress(ec2, &w, &id, planned).await?,
            )])),
            None => Value::Null,
        };
        sync(ec2, &w, &id, &initial, planned).await?;
        Ok(id)
    }

    /// The group the interrupted create made, by its token; the default allow-all egress
    /// rules the create revokes right after are revoked here too (already revoked is fine):
    /// killed between the two calls, the group would otherwise keep a rule the configuration
    /// never declared, and a standalone rule equal to it could not be created.
    async fn find(&self, p: &AwsProvider, planned: &Value, origin: &Origin<'_>) -> Recovered {
        let Some(id) = crate::origin::find_by_tag(p, "security-group", origin).await? else {
            return Ok(None);
        };
        // A `vpc_id` not known when the plan was made is a VPC's all the same.
        if !get(planned, "vpc_id").is_null() {
            let w = format!("recovering {origin}");
            drop_default_egress(p.ec2().await?, &w, &id, planned).await?;
        }
        Ok(Some(id))
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
