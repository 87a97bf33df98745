//! `aws_internet_gateway` and its attachment to a VPC.

use super::*;
use aws_sdk_ec2::types::ResourceType;

const TY: &str = "aws_internet_gateway";
const KIND: Kind = Kind::tagged(TY, "internet-gateway", |api, ids| {
    Box::pin(read(api.ec2, ids))
});

async fn attach(ec2: &Client, w: &str, id: &str, vpc: &str) -> Result<(), ProviderError> {
    ec2.attach_internet_gateway()
        .internet_gateway_id(id)
        .vpc_id(vpc)
        .send()
        .await
        .or_fail(w)?;
    Ok(())
}

async fn detach(ec2: &Client, w: &str, id: &str, vpc: &str) -> Result<(), ProviderError> {
    let r = retry_on(DEPENDENCY, || async {
        ec2.detach_internet_gateway()
            .internet_gateway_id(id)
            .vpc_id(vpc)
            .send()
            .await
            .aws()
    })
    .await;
    match r {
        Err(e) if e.is_not_found() || e.is(&["Gateway.NotAttached"]) => Ok(()),
        Err(e) => Err(e.into_provider(w)),
        Ok(_) => Ok(()),
    }
}

/// `aws_internet_gateway`.
pub(crate) struct InternetGateway;

#[async_trait]
impl AwsResource for InternetGateway {
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
            .create_internet_gateway()
            .tag_specifications(tag_spec(p, ResourceType::InternetGateway, planned, origin))
            .send()
            .await
            .or_fail(&w)?;
        let id = created_id(
            out.internet_gateway().and_then(|g| g.internet_gateway_id()),
            &w,
        )?;
        if let Some(vpc) = get_str(planned, "vpc_id") {
            attach(ec2, &w, &id, vpc).await?;
        }
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
        let (old, new) = (get_str(prior, "vpc_id"), get_str(planned, "vpc_id"));
        if old != new {
            if let Some(old) = old {
                detach(ec2, &w, &id, old).await?;
            }
            if let Some(new) = new {
                attach(ec2, &w, &id, new).await?;
            }
        }
        update_tags(p, &w, &id, prior, planned).await?;
        Ok(id)
    }

    async fn delete(&self, p: &AwsProvider, prior: &Value) -> Result<(), ProviderError> {
        let id = id_of(prior);
        let w = format!("deleting {}", object_name(TY, &id));
        let ec2 = p.ec2().await?;
        // Detach from whatever it is attached to now, not only what the state says.
        let attached: Vec<String> = match read(ec2.clone(), vec![id.clone()]).await {
            Ok(found) => found
                .get(&id)
                .and_then(|o| o.get("vpc_id"))
                .and_then(Value::as_str)
                .map(str::to_string)
                .into_iter()
                .collect(),
            Err(e) if e.is_not_found() => return Ok(()),
            Err(e) => return Err(e.into_provider(&w)),
        };
        for vpc in &attached {
            detach(ec2, &w, &id, vpc).await?;
        }
        delete_retrying(&w, || async {
            ec2.delete_internet_gateway()
                .internet_gateway_id(&id)
                .send()
                .await
                .aws()
        })
        .await
    }
}

async fn read(ec2: Client, ids: Vec<String>) -> Result<BTreeMap<String, Obs>, AwsErr> {
    let out = ec2
        .describe_internet_gateways()
        .set_internet_gateway_ids(Some(ids))
        .send()
        .await
        .aws()?;
    let mut found = BTreeMap::new();
    for g in out.internet_gateways() {
        let Some(id) = g.internet_gateway_id() else {
            continue;
        };
        let mut o = Obs::new();
        o.insert(
            "vpc_id".into(),
            optional_string(g.attachments().first().and_then(|a| a.vpc_id())),
        );
        o.insert("owner_id".into(), optional_string(g.owner_id()));
        o.insert(
            "arn".into(),
            arn(&ec2, g.owner_id(), "internet-gateway", id),
        );
        o.insert("tags_all".into(), tags_obs(g.tags()));
        found.insert(id.to_string(), o);
    }
    Ok(found)
}
