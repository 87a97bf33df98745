//! `aws_key_pair`: an imported public key, found by its name.

use super::*;
use crate::network::region;
use aws_sdk_ec2::types::ResourceType;
use aws_smithy_types::Blob;

const TY: &str = "aws_key_pair";
const KIND: Kind = Kind::untagged(TY, |api, ids| Box::pin(read(api.ec2, ids)));

/// `aws_key_pair`: found by its name.
pub(crate) struct KeyPair;

#[async_trait]
impl AwsResource for KeyPair {
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
        let name = key_name(planned, origin);
        let key = get_str(planned, "public_key").unwrap_or_default();
        p.ec2()
            .await?
            .import_key_pair()
            .key_name(&name)
            .public_key_material(Blob::new(key.as_bytes()))
            .tag_specifications(tag_spec(p, ResourceType::KeyPair, planned, origin))
            .send()
            .await
            .or_fail(&w)?;
        Ok(name)
    }

    async fn update(
        &self,
        p: &AwsProvider,
        prior: &Value,
        planned: &Value,
        _origin: &Origin<'_>,
    ) -> Result<String, ProviderError> {
        let id = id_of(prior);
        let key_id = get_str(prior, "key_pair_id").unwrap_or(&id).to_string();
        update_tags(
            p,
            &format!("updating {}", object_name(TY, &id)),
            &key_id,
            prior,
            planned,
        )
        .await?;
        Ok(id)
    }

    async fn delete(&self, p: &AwsProvider, prior: &Value) -> Result<(), ProviderError> {
        let id = id_of(prior);
        deleted(
            p.ec2()
                .await?
                .delete_key_pair()
                .key_name(&id)
                .send()
                .await
                .aws(),
            &format!("deleting {}", object_name(TY, &id)),
        )
    }

    /// Key pairs are named: the name the create used (a generated one derives from the
    /// token), looked up by name.
    async fn find(&self, p: &AwsProvider, planned: &Value, origin: &Origin<'_>) -> Recovered {
        if get_str(planned, "key_name").is_none() && origin.token.is_none() {
            return Err(ProviderError::Other(format!(
                "{origin}: the interrupted create used a generated key name and its journal has \
                 no token to derive it from (written by an older skelc), so skel cannot tell \
                 whether it made a key pair. Find the key pair tagged `{ADDRESS_TAG} = {origin}` \
                 and import it with `skelc import {origin} NAME`."
            )));
        }
        let name = key_name(planned, origin);
        Ok(self.describe_one(p, &name).await?.map(|_| name))
    }
}

async fn read(ec2: Client, ids: Vec<String>) -> Result<BTreeMap<String, Obs>, AwsErr> {
    let out = ec2
        .describe_key_pairs()
        .set_key_names(Some(ids))
        .send()
        .await
        .aws()?;
    let mut found = BTreeMap::new();
    for k in out.key_pairs() {
        let Some(name) = k.key_name() else { continue };
        let mut o = Obs::new();
        o.insert("key_name".into(), Value::string(name));
        o.insert("key_pair_id".into(), optional_string(k.key_pair_id()));
        o.insert("fingerprint".into(), optional_string(k.key_fingerprint()));
        o.insert(
            "key_type".into(),
            optional_string(k.key_type().map(|t| t.as_str())),
        );
        o.insert(
            "arn".into(),
            Value::string(format!(
                "arn:aws:ec2:{}:{}:key-pair/{name}",
                region(&ec2),
                ""
            )),
        );
        o.insert("tags_all".into(), tags_obs(k.tags()));
        found.insert(name.to_string(), o);
    }
    Ok(found)
}

/// The key's name: `key_name`, or `key_name_prefix` (default `skel-`) and a suffix from
/// the create's token.
fn key_name(planned: &Value, origin: &Origin<'_>) -> String {
    match (
        get_str(planned, "key_name"),
        get_str(planned, "key_name_prefix"),
    ) {
        (Some(n), _) => n.to_string(),
        (None, prefix) => format!("{}{}", prefix.unwrap_or("skel-"), origin.suffix(26)),
    }
}
