//! `aws_route53_record`: record sets, their changes batched per zone (see `crate::batch`).

use super::*;

const TY: &str = "aws_route53_record";
const KIND: Kind = Kind::untagged(TY, |api, ids| Box::pin(read(api.r53, ids)));

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

/// `aws_route53_record`: found by zone, name, type and set identifier.
pub(crate) struct Record;

#[async_trait]
impl AwsResource for Record {
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

    async fn update(
        &self,
        p: &AwsProvider,
        prior: &Value,
        planned: &Value,
        _origin: &Origin<'_>,
    ) -> Result<String, ProviderError> {
        let old_id = id_of(prior);
        let w = format!("updating {}", object_name(TY, &old_id));
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

    async fn delete(&self, p: &AwsProvider, prior: &Value) -> Result<(), ProviderError> {
        let id = id_of(prior);
        let w = format!("deleting {}", object_name(TY, &id));
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

    async fn describe(&self, p: &AwsProvider, ids: &[String]) -> Described {
        let ids: Vec<String> = ids
            .iter()
            .map(|i| match parts(i) {
                Some((z, n, t, set)) => {
                    id_for(&bare(&z), &n, &t.to_ascii_uppercase(), set.as_deref())
                }
                None => i.clone(),
            })
            .collect();
        read_each(p, KIND, &ids).await
    }

    async fn find(&self, p: &AwsProvider, planned: &Value, _origin: &Origin<'_>) -> Recovered {
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
        Ok(self.describe_one(p, &id).await?.map(|_| id))
    }
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
    o.insert("zone_id".into(), Value::string(zone));
    o.insert("name".into(), Value::string(name.clone()));
    o.insert("fqdn".into(), Value::string(name));
    o.insert("type".into(), Value::string(r.r#type().as_str()));
    o.insert("ttl".into(), optional_number(r.ttl()));
    o.insert(
        "records".into(),
        string_set(r.resource_records().iter().map(|x| x.value())),
    );
    o.insert("set_identifier".into(), optional_string(r.set_identifier()));
    o.insert(
        "health_check_id".into(),
        optional_string(r.health_check_id()),
    );
    o.insert(
        "multivalue_answer_routing_policy".into(),
        optional_bool(r.multi_value_answer()),
    );
    o.insert(
        "alias".into(),
        single(r.alias_target().map(|a| {
            obj(vec![
                ("name", Value::string(a.dns_name().trim_end_matches('.'))),
                ("zone_id", Value::string(a.hosted_zone_id())),
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
        single(
            r.region()
                .map(|x| obj(vec![("region", Value::string(x.as_str()))])),
        ),
    );
    o.insert(
        "failover_routing_policy".into(),
        single(
            r.failover()
                .map(|x| obj(vec![("type", Value::string(x.as_str()))])),
        ),
    );
    o.insert(
        "geolocation_routing_policy".into(),
        single(r.geo_location().map(|g| {
            obj(vec![
                ("continent", optional_string(g.continent_code())),
                ("country", optional_string(g.country_code())),
                ("subdivision", optional_string(g.subdivision_code())),
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
