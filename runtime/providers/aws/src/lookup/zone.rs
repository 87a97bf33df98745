//! `aws_route53_zone`: one hosted zone by id, or by name, privacy, VPC and tags.

use skel_provider::ProviderError;
use skel_value::{Value, ValueMap};

use super::{exactly_one, read_as_resource};
use crate::common::{dns_name, get, get_bool, get_str, optional_bool, optional_string};
use crate::error::SdkResultExt;
use crate::AwsProvider;

const TY: &str = "aws_route53_zone";

/// The zone id without its `/hostedzone/` prefix.
fn bare(id: &str) -> String {
    id.trim_start_matches("/hostedzone/").to_string()
}

/// Whether zone observation `obs` carries every tag of `config`'s `tags` and, with a
/// `vpc_id`, is associated with that VPC.
fn matches(config: &Value, obs: &ValueMap) -> bool {
    let tags_ok = get(config, "tags").as_mapping().is_none_or(|want| {
        let have = obs.get("tags").and_then(Value::as_mapping);
        want.iter()
            .all(|(k, v)| have.and_then(|h| h.get(k)).and_then(Value::as_str) == v.as_str())
    });
    let vpc_ok = get_str(config, "vpc_id").is_none_or(|vpc| {
        obs.get("vpc")
            .and_then(Value::as_sequence)
            .is_some_and(|vpcs| vpcs.iter().any(|v| get_str(v, "vpc_id") == Some(vpc)))
    });
    tags_ok && vpc_ok
}

/// `data.aws_route53_zone`: one hosted zone.
pub(super) async fn zone(p: &AwsProvider, config: &Value) -> Result<ValueMap, ProviderError> {
    let w = format!("reading data.{TY}");
    let r53 = p.r53().await?;
    let name = get_str(config, "name").map(dns_name);
    let private = get_bool(config, "private_zone").unwrap_or(false);
    let candidates: Vec<String> = match (get_str(config, "zone_id"), &name) {
        (Some(id), _) => vec![bare(id)],
        (None, Some(name)) => {
            // Zones come sorted by name: page on while they still have this name.
            let mut out = Vec::new();
            let mut next: Option<(String, Option<String>)> = Some((name.clone(), None));
            while let Some((dns, zone_id)) = next.take() {
                let page = r53
                    .list_hosted_zones_by_name()
                    .dns_name(dns)
                    .set_hosted_zone_id(zone_id)
                    .send()
                    .await
                    .or_fail(&w)?;
                let mut past = false;
                for z in page.hosted_zones() {
                    if dns_name(z.name()) != *name {
                        past = true;
                    } else if z.config().is_some_and(|c| c.private_zone()) == private {
                        out.push(bare(z.id()));
                    }
                }
                if page.is_truncated() && !past {
                    next = page
                        .next_dns_name()
                        .map(|n| (n.to_string(), page.next_hosted_zone_id().map(str::to_string)));
                }
            }
            out
        }
        (None, None) => {
            return Err(ProviderError::InvalidConfig(format!(
                "data.{TY}: set `zone_id`, or `name` (with `private_zone`, `vpc_id` and `tags` to tell zones of the same name apart)."
            )))
        }
    };
    let mut found = Vec::new();
    for id in candidates {
        let obs = match read_as_resource(p, TY, TY, &id).await {
            Ok(obs) => obs,
            Err(ProviderError::NotFound { .. }) => continue,
            Err(e) => return Err(e),
        };
        let name_ok = name.as_ref().is_none_or(|n| {
            obs.get("name").and_then(Value::as_str).map(dns_name) == Some(n.clone())
        });
        if name_ok && matches(config, &obs) {
            found.push((id, obs));
        }
    }
    let id = exactly_one(
        TY,
        "Route 53 hosted zone",
        found.iter().map(|(id, _)| id.clone()).collect(),
    )?;
    let Some((_, mut obs)) = found.into_iter().find(|(i, _)| *i == id) else {
        return Err(ProviderError::Other(format!(
            "{w}: the zone found was lost (an internal error)."
        )));
    };
    let out = r53.get_hosted_zone().id(&id).send().await.or_fail(&w)?;
    if let Some(z) = out.hosted_zone() {
        obs.insert(
            "private_zone".into(),
            optional_bool(z.config().map(|c| c.private_zone())),
        );
        obs.insert(
            "caller_reference".into(),
            Value::string(z.caller_reference()),
        );
        obs.insert(
            "resource_record_set_count".into(),
            z.resource_record_set_count()
                .map(Value::number)
                .unwrap_or(Value::Null),
        );
        obs.insert(
            "linked_service_principal".into(),
            optional_string(z.linked_service().and_then(|l| l.service_principal())),
        );
        obs.insert(
            "linked_service_description".into(),
            optional_string(z.linked_service().and_then(|l| l.description())),
        );
        obs.insert(
            "comment".into(),
            optional_string(z.config().and_then(|c| c.comment())),
        );
    }
    obs.insert("zone_id".into(), Value::string(&id));
    obs.insert(
        "vpc_id".into(),
        get_str(config, "vpc_id")
            .map(Value::string)
            .unwrap_or(Value::Null),
    );
    Ok(obs)
}
