//! `aws_egress_only_internet_gateway`: outbound-only IPv6 access for a VPC.

use super::*;
use aws_sdk_ec2::types::ResourceType;

const TY: &str = "aws_egress_only_internet_gateway";
const KIND: Kind = Kind::tagged(TY, "egress-only-internet-gateway", |api, ids| {
    Box::pin(read(api.ec2, ids))
});

/// `aws_egress_only_internet_gateway`.
pub(crate) struct EgressOnlyInternetGateway;

#[async_trait]
impl AwsResource for EgressOnlyInternetGateway {
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
        let out = p
            .ec2()
            .await?
            .create_egress_only_internet_gateway()
            .set_vpc_id(get_str(planned, "vpc_id").map(str::to_string))
            .tag_specifications(tag_spec(
                p,
                ResourceType::EgressOnlyInternetGateway,
                planned,
                origin,
            ))
            .set_client_token(origin.token.map(str::to_string))
            .send()
            .await
            .or_fail(&w)?;
        created_id(
            out.egress_only_internet_gateway()
                .and_then(|g| g.egress_only_internet_gateway_id()),
            &w,
        )
    }

    /// Only the tags change in place (the VPC forces a new gateway).
    async fn update(
        &self,
        p: &AwsProvider,
        prior: &Value,
        planned: &Value,
        _origin: &Origin<'_>,
    ) -> Result<String, ProviderError> {
        let id = id_of(prior);
        update_tags(
            p,
            &format!("updating {}", object_name(TY, &id)),
            &id,
            prior,
            planned,
        )
        .await?;
        Ok(id)
    }

    async fn delete(&self, p: &AwsProvider, prior: &Value) -> Result<(), ProviderError> {
        let id = id_of(prior);
        let w = format!("deleting {}", object_name(TY, &id));
        let ec2 = p.ec2().await?;
        delete_retrying(&w, || async {
            ec2.delete_egress_only_internet_gateway()
                .egress_only_internet_gateway_id(&id)
                .send()
                .await
                .aws()
        })
        .await
    }
}

async fn read(ec2: Client, ids: Vec<String>) -> Result<BTreeMap<String, Obs>, AwsErr> {
    let out = ec2
        .describe_egress_only_internet_gateways()
        .set_egress_only_internet_gateway_ids(Some(ids))
        .send()
        .await
        .aws()?;
    let mut found = BTreeMap::new();
    for g in out.egress_only_internet_gateways() {
        let Some(id) = g.egress_only_internet_gateway_id() else {
            continue;
        };
        let attached = g.attachments().first();
        // A deleted gateway lingers, detached.
        if attached.is_some_and(|a| {
            matches!(
                a.state(),
                Some(aws_sdk_ec2::types::AttachmentStatus::Detached)
            )
        }) {
            continue;
        }
        let mut o = Obs::new();
        o.insert(
            "vpc_id".into(),
            optional_string(attached.and_then(|a| a.vpc_id())),
        );
        o.insert("tags_all".into(), tags_obs(g.tags()));
        found.insert(id.to_string(), o);
    }
    Ok(found)
}
