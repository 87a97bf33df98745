//! Route 53: `aws_route53_zone` and `aws_route53_record`.

use skel_value::ValueMap;
use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_route53::types::{
    AliasTarget, Change, ChangeAction, ChangeBatch, ChangeStatus, HostedZoneConfig, ResourceRecord,
    ResourceRecordSet, RrType, Tag, TagResourceType,
};
use aws_sdk_route53::Client;
use skel_provider::ProviderError;
use skel_value::Value;

use crate::batch::Failure;
use crate::common::*;
use crate::error::{AwsErr, SdkResultExt, WaitFailed};
use crate::AwsProvider;

/// A lookup of the record sets with a name, a type and a set identifier.
type SetQuery = (String, String, Option<String>);

/// Lookups of record sets, merged per hosted zone (see `record::current`).
pub(crate) type RecordSets =
    crate::coalesce::Coalescer<SetQuery, Result<Vec<ResourceRecordSet>, AwsErr>>;

/// The zone id without its `/hostedzone/` prefix.
fn bare(id: &str) -> String {
    id.trim_start_matches("/hostedzone/").to_string()
}

/// Polls `GetChange` until change `change` is INSYNC, for up to ten minutes; on failure, why
/// and the change's status last seen (`change C123 PENDING`).
pub(crate) async fn poll_insync(
    r53: &Client,
    change: &str,
) -> Result<(), (String, Option<String>)> {
    let mut delay = Duration::from_millis(500);
    let mut seen = None;
    for _ in 0..120 {
        match r53.get_change().id(change).send().await.aws() {
            Ok(out) => {
                let status = out.change_info().map(|c| c.status().clone());
                if status == Some(ChangeStatus::Insync) {
                    return Ok(());
                }
                seen = status.map(|s| format!("change {change} {}", s.as_str()));
            }
            Err(e) => {
                let message = e.message.trim().trim_end_matches('.').to_string();
                let why = match e.code {
                    Some(code) => format!("GetChange failed: {code}: {message}"),
                    None => format!("GetChange failed: {message}"),
                };
                return Err((why, seen));
            }
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(10));
    }
    Err(("the change was not INSYNC after ten minutes".into(), seen))
}

/// Waits until a change is INSYNC, for up to ten minutes; `w` names the resource and action.
async fn wait_insync(r53: &Client, w: &str, change: Option<&str>) -> Result<(), WaitFailed> {
    let Some(change) = change else { return Ok(()) };
    poll_insync(r53, change)
        .await
        .map_err(|(detail, seen)| WaitFailed {
            what: w.to_string(),
            until: "INSYNC".into(),
            detail,
            seen,
        })
}

pub mod zone {
    use super::*;

    const TY: &str = "aws_route53_zone";

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

    pub async fn create(
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
        if let Err(failed) = wait_insync(r53, &w, out.change_info().map(|c| c.id())).await {
            return Err(p.not_ready(TY, &id, planned, failed).await);
        }
        set_tags(p, &w, &id, &Value::Null, planned, origin.address).await?;
        Ok(id)
    }

    pub async fn update(
        p: &AwsProvider,
        prior: &Value,
        planned: &Value,
        origin: &Origin<'_>,
    ) -> Result<String, ProviderError> {
        let id = id_of(prior);
        let w = format!("updating {}", what(TY, &id));
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

    pub async fn delete(p: &AwsProvider, prior: &Value) -> Result<(), ProviderError> {
        let id = id_of(prior);
        let w = format!("deleting {}", what(TY, &id));
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
            o.insert("name".into(), s(z.name().trim_end_matches('.')));
            o.insert(
                "comment".into(),
                opt_s(z.config().and_then(|c| c.comment())),
            );
            o.insert("zone_id".into(), s(bare(z.id())));
            o.insert(
                "arn".into(),
                s(format!("arn:aws:route53:::hostedzone/{}", bare(z.id()))),
            );
            o.insert(
                "primary_name_server".into(),
                opt_s(servers.first().map(String::as_str)),
            );
            o.insert("name_servers".into(), str_list(servers));
            o.insert(
                "vpc".into(),
                Value::set(
                    out.vpcs()
                        .iter()
                        .map(|v| {
                            Value::Object(ValueMap::from([
                                ("vpc_id".to_string(), opt_s(v.vpc_id())),
                                (
                                    "vpc_region".to_string(),
                                    opt_s(v.vpc_region().map(|r| r.as_str())),
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
                            Some((t.key()?.to_string(), s(t.value().unwrap_or_default())))
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

    pub async fn describe(
        p: &AwsProvider,
        ids: &[String],
    ) -> Result<Vec<Option<Obs>>, ProviderError> {
        let r53 = p.r53().await?;
        let ids: Vec<String> = ids.iter().map(|i| bare(i)).collect();
        batched(TY, &ids, |ids| read(r53.clone(), ids)).await
    }

    /// The zone `origin`'s create made: the zone of this name whose `CallerReference` is the
    /// create's token (or, for a journal without a token, that is tagged with the address).
    pub async fn find(
        p: &AwsProvider,
        planned: &Value,
        origin: &Origin<'_>,
    ) -> Result<Option<String>, ProviderError> {
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

pub mod record {
    use super::*;

    const TY: &str = "aws_route53_record";

    /// Every record set of a zone (`ListResourceRecordSets`, following `next_record_*`).
    pub async fn list(r53: &Client, zone: &str) -> Result<Vec<ResourceRecordSet>, AwsErr> {
        let mut out = Vec::new();
        let mut next: Option<(String, RrType, Option<String>)> = None;
        loop {
            let mut call = r53.list_resource_record_sets().hosted_zone_id(zone);
            if let Some((name, ty, set)) = next.take() {
                call = call
                    .start_record_name(name)
                    .start_record_type(ty)
                    .set_start_record_identifier(set);
            }
            let page = call.send().await.aws()?;
            out.extend(page.resource_record_sets().iter().cloned());
            match (
                page.is_truncated(),
                page.next_record_name(),
                page.next_record_type(),
            ) {
                (true, Some(n), Some(t)) => {
                    next = Some((
                        n.to_string(),
                        t.clone(),
                        page.next_record_identifier().map(str::to_string),
                    ))
                }
                _ => return Ok(out),
            }
        }
    }

    /// The record sets `name`/`ty` of `zone` (every set identifier): one
    /// `ListResourceRecordSets` page starting at that name and type, not the whole zone.
    async fn sets_named(
        r53: &Client,
        zone: &str,
        name: &str,
        ty: &str,
    ) -> Result<Vec<ResourceRecordSet>, AwsErr> {
        let mut out = Vec::new();
        let mut start = Some((name.to_string(), RrType::from(ty), None::<String>));
        while let Some((start_name, start_type, start_set)) = start.take() {
            let page = r53
                .list_resource_record_sets()
                .hosted_zone_id(zone)
                .start_record_name(start_name)
                .start_record_type(start_type)
                .set_start_record_identifier(start_set)
                .send()
                .await
                .aws()?;
            for r in page.resource_record_sets() {
                if dns_name(r.name()) != name || r.r#type().as_str() != ty {
                    // Sorted by name and type: past the ones that could match.
                    return Ok(out);
                }
                out.push(r.clone());
            }
            // More sets of this name and type (set identifiers) on the next page.
            if let (true, Some(n), Some(t)) = (
                page.is_truncated(),
                page.next_record_name(),
                page.next_record_type(),
            ) {
                start = Some((
                    n.to_string(),
                    t.clone(),
                    page.next_record_identifier().map(str::to_string),
                ));
            }
        }
        Ok(out)
    }

    /// The record sets `name`/`ty`/`set_id` of `zone` as they are now (none when the zone is
    /// gone). Lookups in one zone that arrive while one is in flight are answered by one
    /// listing of the zone: the record creates and deletes of an apply share a few listings.
    async fn current(
        p: &AwsProvider,
        w: &str,
        zone: &str,
        (name, ty, set_id): (&str, &str, Option<&str>),
    ) -> Result<Vec<ResourceRecordSet>, ProviderError> {
        let r53 = p.r53().await?.clone();
        let zone_id = zone.to_string();
        let run = move |queries: Vec<SetQuery>| {
            let (r53, zone) = (r53.clone(), zone_id.clone());
            async move {
                let listed = match queries.as_slice() {
                    [(name, ty, _)] => sets_named(&r53, &zone, name, ty).await,
                    _ => list(&r53, &zone).await,
                };
                queries
                    .iter()
                    .map(|(name, ty, set_id)| match &listed {
                        Err(e) if e.is_not_found() => Ok(Vec::new()),
                        Err(e) => Err(e.clone()),
                        Ok(sets) => Ok(sets
                            .iter()
                            .filter(|r| {
                                dns_name(r.name()) == *name
                                    && r.r#type().as_str() == ty
                                    && r.set_identifier() == set_id.as_deref()
                            })
                            .cloned()
                            .collect()),
                    })
                    .collect()
            }
        };
        let query = (name.to_string(), ty.to_string(), set_id.map(str::to_string));
        match p.record_sets.call(zone, query, run).await {
            Some(result) => result.map_err(|e| e.into_provider(w)),
            None => Err(ProviderError::Api(format!(
                "{w}: listing the record sets of zone {zone} was lost (an internal error); retry."
            ))),
        }
    }

    /// The observation of a record set just written with `planned`: Route 53 stores a change
    /// exactly as sent, so the apply needs no read-back listing of the zone. `None` for an id
    /// that is not a record id.
    pub fn written(planned: &Value, id: &str) -> Result<Option<Obs>, ProviderError> {
        let Some((zone, name, ..)) = parts(id) else {
            return Ok(None);
        };
        Ok(Some(obs_of(&zone, &record_set(planned, &name)?)))
    }

    /// (zone, name, type, set identifier) of an id `Z123_www.example.com_A[_set]`.
    fn parts(id: &str) -> Option<(String, String, String, Option<String>)> {
        let mut it = id.splitn(4, '_');
        let zone = it.next()?.to_string();
        let name = it.next()?.to_string();
        let ty = it.next()?.to_string();
        Some((zone, name, ty, it.next().map(str::to_string)))
    }

    fn id_for(zone: &str, name: &str, ty: &str, set: Option<&str>) -> String {
        let mut id = format!("{zone}_{}_{ty}", dns_name(name));
        if let Some(set) = set {
            id.push('_');
            id.push_str(set);
        }
        id
    }

    /// The full record name: `name` with the zone's name appended unless it already ends in it.
    async fn full_name(
        p: &AwsProvider,
        w: &str,
        zone: &str,
        name: &str,
    ) -> Result<String, ProviderError> {
        let zone_name = p
            .zone_names
            .get(zone, || async {
                let out = p
                    .r53()
                    .await?
                    .get_hosted_zone()
                    .id(zone)
                    .send()
                    .await
                    .or_fail(w)?;
                Ok::<_, ProviderError>(dns_name(
                    out.hosted_zone().map(|z| z.name()).unwrap_or_default(),
                ))
            })
            .await?;
        let n = dns_name(name);
        Ok(
            if n == zone_name || n.ends_with(&format!(".{zone_name}")) || zone_name.is_empty() {
                n
            } else {
                format!("{n}.{zone_name}")
            },
        )
    }

    fn record_set(obj: &Value, name: &str) -> Result<ResourceRecordSet, ProviderError> {
        let single = |block: &str| blocks(obj, block).first().cloned();
        let mut b = ResourceRecordSet::builder()
            .name(name)
            .r#type(RrType::from(get_str(obj, "type").unwrap_or("A")))
            .set_ttl(get_i64(obj, "ttl"))
            .set_set_identifier(get_str(obj, "set_identifier").map(str::to_string))
            .set_health_check_id(get_str(obj, "health_check_id").map(str::to_string))
            .set_multi_value_answer(get_bool(obj, "multivalue_answer_routing_policy"));
        let records = get_strs(obj, "records");
        if !records.is_empty() {
            b = b.set_resource_records(Some(
                records
                    .iter()
                    .filter_map(|r| ResourceRecord::builder().value(r).build().ok())
                    .collect(),
            ));
        }
        if let Some(a) = single("alias") {
            b = b.alias_target(
                AliasTarget::builder()
                    .dns_name(get_str(&a, "name").unwrap_or_default())
                    .hosted_zone_id(get_str(&a, "zone_id").unwrap_or_default())
                    .evaluate_target_health(get_bool(&a, "evaluate_target_health").unwrap_or(false))
                    .build()
                    .map_err(|e| ProviderError::InvalidConfig(format!("{TY}: alias: {e}.")))?,
            );
        }
        if let Some(wt) = single("weighted_routing_policy") {
            b = b.set_weight(get_i64(&wt, "weight"));
        }
        if let Some(l) = single("latency_routing_policy") {
            b = b.set_region(
                get_str(&l, "region").map(aws_sdk_route53::types::ResourceRecordSetRegion::from),
            );
        }
        if let Some(f) = single("failover_routing_policy") {
            b = b.set_failover(
                get_str(&f, "type").map(aws_sdk_route53::types::ResourceRecordSetFailover::from),
            );
        }
        if let Some(g) = single("geolocation_routing_policy") {
            b = b.geo_location(
                aws_sdk_route53::types::GeoLocation::builder()
                    .set_continent_code(get_str(&g, "continent").map(str::to_string))
                    .set_country_code(get_str(&g, "country").map(str::to_string))
                    .set_subdivision_code(get_str(&g, "subdivision").map(str::to_string))
                    .build(),
            );
        }
        b.build()
            .map_err(|e| ProviderError::InvalidConfig(format!("{TY}: {e}.")))
    }

    /// Applies `changes` to `zone`, batched with the other record changes of the moment.
    async fn change(
        p: &AwsProvider,
        w: &str,
        zone: &str,
        changes: Vec<(ChangeAction, ResourceRecordSet)>,
    ) -> Result<(), Failure> {
        let r53 = p.r53().await?;
        p.dns.submit(r53, zone, w, changes).await
    }

    /// The result of a create or update whose change was submitted: the id, or the record set
    /// as written ([`ProviderError::NotReady`]) when the change was made but not seen INSYNC.
    async fn changed(
        p: &AwsProvider,
        id: String,
        planned: &Value,
        result: Result<(), Failure>,
    ) -> Result<String, ProviderError> {
        match result {
            Ok(()) => Ok(id),
            Err(Failure::Failed(e)) => Err(e),
            Err(Failure::Unsynced(failed)) => Err(p.not_ready(TY, &id, planned, failed).await),
        }
    }

    pub async fn create(
        p: &AwsProvider,
        planned: &Value,
        origin: &Origin<'_>,
    ) -> Result<String, ProviderError> {
        let w = format!("creating {TY} {origin}");
        let zone = bare(get_str(planned, "zone_id").unwrap_or_default());
        let name = full_name(p, &w, &zone, get_str(planned, "name").unwrap_or_default()).await?;
        let set = record_set(planned, &name)?;
        let ty = set.r#type().as_str().to_string();
        let set_id = get_str(planned, "set_identifier");
        let id = id_for(&zone, &name, &ty, set_id);
        if get_bool(planned, "allow_overwrite") != Some(true)
            && !current(p, &w, &zone, (&name, &ty, set_id))
                .await?
                .is_empty()
        {
            return Err(ProviderError::Api(format!(
                "{w}: a {ty} record named {name} already exists in zone {zone}; import it, or set `allow_overwrite = true`."
            )));
        }
        let result = change(p, &w, &zone, vec![(ChangeAction::Upsert, set)]).await;
        changed(p, id, planned, result).await
    }

    pub async fn update(
        p: &AwsProvider,
        prior: &Value,
        planned: &Value,
        _origin: &Origin<'_>,
    ) -> Result<String, ProviderError> {
        let old_id = id_of(prior);
        let w = format!("updating {}", what(TY, &old_id));
        let zone = bare(get_str(planned, "zone_id").unwrap_or_default());
        let name = full_name(p, &w, &zone, get_str(planned, "name").unwrap_or_default()).await?;
        let set = record_set(planned, &name)?;
        let id = id_for(
            &zone,
            &name,
            set.r#type().as_str(),
            get_str(planned, "set_identifier"),
        );
        let mut changes = Vec::new();
        if id != old_id {
            let old_name =
                full_name(p, &w, &zone, get_str(prior, "name").unwrap_or_default()).await?;
            changes.push((ChangeAction::Delete, record_set(prior, &old_name)?));
        }
        changes.push((ChangeAction::Upsert, set));
        let result = change(p, &w, &zone, changes).await;
        changed(p, id, planned, result).await
    }

    pub async fn delete(p: &AwsProvider, prior: &Value) -> Result<(), ProviderError> {
        let id = id_of(prior);
        let w = format!("deleting {}", what(TY, &id));
        // Delete what is there now: Route 53 wants the exact current values.
        let Some((zone, name, ty, set_id)) = parts(&id) else {
            return Ok(());
        };
        let current = current(p, &w, &zone, (&name, &ty, set_id.as_deref())).await?;
        if current.is_empty() {
            return Ok(());
        }
        change(
            p,
            &w,
            &zone,
            current
                .into_iter()
                .map(|r| (ChangeAction::Delete, r))
                .collect(),
        )
        .await
        .map_err(Failure::into_error)
    }

    fn obs_of(zone: &str, r: &ResourceRecordSet) -> Obs {
        let name = dns_name(r.name());
        let single = |v: Option<Value>| {
            v.map(|v| Value::List(vec![v]))
                .unwrap_or_else(|| Value::List(Vec::new()))
        };
        let obj = |pairs: Vec<(&str, Value)>| {
            Value::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
        };
        let mut o = Obs::new();
        o.insert("zone_id".into(), s(zone));
        o.insert("name".into(), s(name.clone()));
        o.insert("fqdn".into(), s(name));
        o.insert("type".into(), s(r.r#type().as_str()));
        o.insert("ttl".into(), opt_n(r.ttl()));
        o.insert(
            "records".into(),
            str_set(r.resource_records().iter().map(|x| x.value())),
        );
        o.insert("set_identifier".into(), opt_s(r.set_identifier()));
        o.insert("health_check_id".into(), opt_s(r.health_check_id()));
        o.insert(
            "multivalue_answer_routing_policy".into(),
            opt_b(r.multi_value_answer()),
        );
        o.insert(
            "alias".into(),
            single(r.alias_target().map(|a| {
                obj(vec![
                    ("name", s(a.dns_name().trim_end_matches('.'))),
                    ("zone_id", s(a.hosted_zone_id())),
                    (
                        "evaluate_target_health",
                        Value::Bool(a.evaluate_target_health()),
                    ),
                ])
            })),
        );
        o.insert(
            "weighted_routing_policy".into(),
            single(
                r.weight()
                    .map(|wt| obj(vec![("weight", Value::number(wt))])),
            ),
        );
        o.insert(
            "latency_routing_policy".into(),
            single(r.region().map(|x| obj(vec![("region", s(x.as_str()))]))),
        );
        o.insert(
            "failover_routing_policy".into(),
            single(r.failover().map(|x| obj(vec![("type", s(x.as_str()))]))),
        );
        o.insert(
            "geolocation_routing_policy".into(),
            single(r.geo_location().map(|g| {
                obj(vec![
                    ("continent", opt_s(g.continent_code())),
                    ("country", opt_s(g.country_code())),
                    ("subdivision", opt_s(g.subdivision_code())),
                ])
            })),
        );
        o
    }

    /// Reads records zone by zone: one listing per zone however many records it holds.
    async fn read(r53: Client, ids: Vec<String>) -> Result<BTreeMap<String, Obs>, AwsErr> {
        let mut by_zone: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for id in &ids {
            if let Some((zone, ..)) = parts(id) {
                by_zone.entry(zone).or_default().push(id.clone());
            }
        }
        let mut found = BTreeMap::new();
        for (zone, wanted) in by_zone {
            let sets = match list(&r53, &zone).await {
                Err(e) if e.is_not_found() => continue,
                other => other?,
            };
            for r in &sets {
                let id = id_for(&zone, r.name(), r.r#type().as_str(), r.set_identifier());
                // A record created twice (moto) keeps its first values.
                if wanted.contains(&id) && !found.contains_key(&id) {
                    found.insert(id, obs_of(&zone, r));
                }
            }
        }
        Ok(found)
    }

    pub async fn describe(
        p: &AwsProvider,
        ids: &[String],
    ) -> Result<Vec<Option<Obs>>, ProviderError> {
        let r53 = p.r53().await?;
        let ids: Vec<String> = ids
            .iter()
            .map(|i| match parts(i) {
                Some((z, n, t, set)) => {
                    id_for(&bare(&z), &n, &t.to_ascii_uppercase(), set.as_deref())
                }
                None => i.clone(),
            })
            .collect();
        batched(TY, &ids, |ids| read(r53.clone(), ids)).await
    }

    pub async fn find(
        p: &AwsProvider,
        planned: &Value,
        _origin: &Origin<'_>,
    ) -> Result<Option<String>, ProviderError> {
        let (Some(zone), Some(name), Some(ty)) = (
            get_str(planned, "zone_id"),
            get_str(planned, "name"),
            get_str(planned, "type"),
        ) else {
            return Ok(None);
        };
        let zone = bare(zone);
        let name = full_name(p, "recovering a record", &zone, name).await?;
        let id = id_for(&zone, &name, ty, get_str(planned, "set_identifier"));
        Ok(describe(p, std::slice::from_ref(&id))
            .await?
            .pop()
            .flatten()
            .map(|_| id))
    }
}
