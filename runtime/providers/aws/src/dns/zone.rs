//! `aws_route53_zone`: hosted zones (public and private, with their VPC associations).

use super::*;

const TY: &str = "aws_route53_zone";
const KIND: Kind = Kind::untagged(TY, |api, ids| Box::pin(read(api.r53, ids)));

/// Brings the zone's tags from `prior`'s to `planned`'s. `skel:address` goes with the
/// create's tags and with every later change of them, so a zone recovered after a crash
/// between its create and its tags gets it when the next apply adds them.
async fn set_tags(
    p: &AwsProvider,
    w: &str,
    id: &str,
    prior: &Value,
    planned: &Value,
    address: &str,
) -> Result<(), ProviderError> {
    let old = desired_tags(&p.settings, prior);
    let new = desired_tags(&p.settings, planned);
    let removed: Vec<String> = old
        .keys()
        .filter(|k| !new.contains_key(*k) && !k.starts_with("skel:"))
        .cloned()
        .collect();
    let mut added: Vec<Tag> = new
        .iter()
        .filter(|(k, v)| old.get(*k) != Some(v))
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect();
    if removed.is_empty() && added.is_empty() && !prior.is_null() {
        return Ok(());
    }
    added.push(Tag::builder().key(ADDRESS_TAG).value(address).build());
    p.r53()
        .await?
        .change_tags_for_resource()
        .resource_type(TagResourceType::Hostedzone)
        .resource_id(id)
        .set_add_tags(Some(added))
        .set_remove_tag_keys(Some(removed).filter(|r| !r.is_empty()))
        .send()
        .await
        .or_fail(w)?;
    Ok(())
}

/// `aws_route53_zone`: found by its `CallerReference`.
pub(crate) struct Zone;

#[async_trait]
impl AwsResource for Zone {
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
        let r53 = p.r53().await?;
        let vpcs = blocks(planned, "vpc");
        let mut call = r53
            .create_hosted_zone()
            .set_name(get_str(planned, "name").map(str::to_string))
            .caller_reference(match origin.token {
                Some(token) => token.to_string(),
                None => uuid::Uuid::new_v4().to_string(),
            })
            .hosted_zone_config(
                HostedZoneConfig::builder()
                    .set_comment(get_str(planned, "comment").map(str::to_string))
                    .private_zone(!vpcs.is_empty())
                    .build(),
            )
            .set_delegation_set_id(get_str(planned, "delegation_set_id").map(str::to_string));
        if let Some(vpc) = vpcs.first() {
            call = call.vpc(
                aws_sdk_route53::types::Vpc::builder()
                    .set_vpc_id(get_str(vpc, "vpc_id").map(str::to_string))
                    .set_vpc_region(
                        get_str(vpc, "vpc_region").map(aws_sdk_route53::types::VpcRegion::from),
                    )
                    .build(),
            );
        }
        let out = call.send().await.or_fail(&w)?;
        let id = bare(out.hosted_zone().map(|z| z.id()).unwrap_or_default());
        if let Some(name) = out.hosted_zone().map(|z| dns_name(z.name())) {
            p.zone_names.insert(&id, name);
        }
        let waited = wait_insync(r53, &w, out.change_info().map(|c| c.id())).await;
        self.settled(p, &id, planned, waited.err()).await?;
        set_tags(p, &w, &id, &Value::Null, planned, origin.address).await?;
        Ok(id)
    }

    async fn update(
        &self,
        p: &AwsProvider,
        prior: &Value,
        planned: &Value,
        origin: &Origin<'_>,
    ) -> Result<String, ProviderError> {
        let id = id_of(prior);
        let w = format!("updating {}", object_name(TY, &id));
        if !same(get(prior, "comment"), get(planned, "comment")) {
            p.r53()
                .await?
                .update_hosted_zone_comment()
                .id(&id)
                .comment(get_str(planned, "comment").unwrap_or_default())
                .send()
                .await
                .or_fail(&w)?;
        }
        set_tags(p, &w, &id, prior, planned, origin.address).await?;
        Ok(id)
    }

    async fn delete(&self, p: &AwsProvider, prior: &Value) -> Result<(), ProviderError> {
        let id = id_of(prior);
        let w = format!("deleting {}", object_name(TY, &id));
        let r53 = p.r53().await?;
        if get_bool(prior, "force_destroy") == Some(true) {
            let zone_name = dns_name(get_str(prior, "name").unwrap_or_default());
            let sets = match super::record::list(r53, &id).await {
                Err(e) if e.is_not_found() => return Ok(()),
                other => other.map_err(|e| e.into_provider(&w))?,
            };
            let changes: Vec<Change> = sets
                .into_iter()
                .filter(|r| {
                    !(dns_name(r.name()) == zone_name
                        && matches!(r.r#type(), RrType::Ns | RrType::Soa))
                })
                .filter_map(|r| {
                    Change::builder()
                        .action(ChangeAction::Delete)
                        .resource_record_set(r)
                        .build()
                        .ok()
                })
                .collect();
            for chunk in changes.chunks(500) {
                let batch = ChangeBatch::builder()
                    .set_changes(Some(chunk.to_vec()))
                    .build()
                    .map_err(|e| ProviderError::Other(format!("{w}: {e}.")))?;
                let out = r53
                    .change_resource_record_sets()
                    .hosted_zone_id(&id)
                    .change_batch(batch)
                    .send()
                    .await
                    .or_fail(&w)?;
                wait_insync(r53, &w, out.change_info().map(|c| c.id()))
                    .await
                    .map_err(WaitFailed::into_error)?;
            }
        }
        match r53.delete_hosted_zone().id(&id).send().await.aws() {
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) if e.is(&["HostedZoneNotEmpty"]) => Err(ProviderError::Api(format!(
                "{w}: the zone still has records that skel does not manage; delete them or set `force_destroy = true`."
            ))),
            Err(e) => Err(e.into_provider(&w)),
            Ok(_) => Ok(()),
        }
    }

    async fn describe(&self, p: &AwsProvider, ids: &[String]) -> Described {
        let ids: Vec<String> = ids.iter().map(|i| bare(i)).collect();
        read_each(p, KIND, &ids).await
    }

    /// The zone `origin`'s create made: the zone of this name whose `CallerReference` is the
    /// create's token (or, for a journal without a token, that is tagged with the address).
    async fn find(&self, p: &AwsProvider, planned: &Value, origin: &Origin<'_>) -> Recovered {
        let Some(name) = get_str(planned, "name") else {
            return Ok(None);
        };
        let r53 = p.r53().await?;
        let w = format!("recovering {origin}");
        // Zones come sorted by name: page on while they still have this name.
        let mut same_name = Vec::new();
        let mut next: Option<(String, Option<String>)> = Some((name.to_string(), None));
        while let Some((dns, zone_id)) = next.take() {
            let out = r53
                .list_hosted_zones_by_name()
                .dns_name(dns)
                .set_hosted_zone_id(zone_id)
                .send()
                .await
                .or_fail(&w)?;
            let mut past = false;
            for z in out.hosted_zones() {
                if dns_name(z.name()) == dns_name(name) {
                    same_name.push((bare(z.id()), z.caller_reference().to_string()));
                } else {
                    past = true;
                }
            }
            if out.is_truncated() && !past {
                next = out
                    .next_dns_name()
                    .map(|n| (n.to_string(), out.next_hosted_zone_id().map(str::to_string)));
            }
        }
        if let Some(token) = origin.token {
            return one_of(
                origin,
                same_name
                    .into_iter()
                    .filter(|(_, reference)| reference == token)
                    .map(|(id, _)| id)
                    .collect(),
            );
        }
        let mut ours = Vec::new();
        for (id, _) in same_name {
            let tags = r53
                .list_tags_for_resource()
                .resource_type(TagResourceType::Hostedzone)
                .resource_id(&id)
                .send()
                .await
                .or_fail(&w)?;
            let tagged = tags.resource_tag_set().is_some_and(|s| {
                s.tags()
                    .iter()
                    .any(|t| t.key() == Some(ADDRESS_TAG) && t.value() == Some(origin.address))
            });
            if tagged {
                ours.push(id);
            }
        }
        one_of(origin, ours)
    }
}

async fn read(r53: Client, ids: Vec<String>) -> Result<BTreeMap<String, Obs>, AwsErr> {
    let mut found = BTreeMap::new();
    for id in &ids {
        let out = match r53.get_hosted_zone().id(id).send().await.aws() {
            Err(e) if e.is_not_found() && ids.len() > 1 => continue,
            other => other?,
        };
        let Some(z) = out.hosted_zone() else { continue };
        let servers: Vec<String> = out
            .delegation_set()
            .map(|d| d.name_servers().to_vec())
            .unwrap_or_default();
        let mut o = Obs::new();
        o.insert("name".into(), Value::string(z.name().trim_end_matches('.')));
        o.insert(
            "comment".into(),
            optional_string(z.config().and_then(|c| c.comment())),
        );
        o.insert("zone_id".into(), Value::string(bare(z.id())));
        o.insert(
            "arn".into(),
            Value::string(format!("arn:aws:route53:::hostedzone/{}", bare(z.id()))),
        );
        o.insert(
            "primary_name_server".into(),
            optional_string(servers.first().map(String::as_str)),
        );
        o.insert("name_servers".into(), string_list(servers));
        o.insert(
            "vpc".into(),
            Value::set(
                out.vpcs()
                    .iter()
                    .map(|v| {
                        Value::Object(ValueMap::from([
                            ("vpc_id".to_string(), optional_string(v.vpc_id())),
                            (
                                "vpc_region".to_string(),
                                optional_string(v.vpc_region().map(|r| r.as_str())),
                            ),
                        ]))
                    })
                    .collect(),
            ),
        );
        found.insert(id.clone(), o);
    }
    let ids: Vec<String> = found.keys().cloned().collect();
    for chunk in ids.chunks(10) {
        let out = r53
            .list_tags_for_resources()
            .resource_type(TagResourceType::Hostedzone)
            .set_resource_ids(Some(chunk.to_vec()))
            .send()
            .await
            .aws()?;
        for set in out.resource_tag_sets() {
            let Some(id) = set.resource_id() else {
                continue;
            };
            let tags = Value::Map(
                set.tags()
                    .iter()
                    .filter_map(|t| {
                        Some((
                            t.key()?.to_string(),
                            Value::string(t.value().unwrap_or_default()),
                        ))
                    })
                    .filter(|(k, _)| !k.starts_with("skel:"))
                    .collect(),
            );
            if let Some(o) = found.get_mut(&bare(id)) {
                o.insert("tags_all".into(), tags);
            }
        }
    }
    for o in found.values_mut() {
        o.entry("tags_all".into())
            .or_insert_with(|| Value::Map(ValueMap::new()));
    }
    Ok(found)
}
