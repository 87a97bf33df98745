//! `aws_iam_user` (found by name; renamed and moved in place) and `aws_iam_access_key` (its
//! `secret` and `ses_smtp_password_v4` exist only in the create's answer and the state, both
//! sensitive in the schema).

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_iam::types::StatusType;
use aws_sdk_iam::Client;
use base64::Engine;
use sha2::{Digest, Sha256};
use skel_provider::ProviderError;
use skel_value::Value;

use super::shared::{create_tags, date, each, retag, tags_obs, Tagged};
use crate::common::{
    get, get_bool, get_str, id_of, object_name, optional_string, same, Obs, Origin,
};
use crate::error::{AwsErr, SdkResultExt};
use crate::resource::{AwsResource, Kind, Recovered};
use crate::AwsProvider;

const USER: &str = "aws_iam_user";
const USER_KIND: Kind = Kind::untagged(USER, |api, ids| Box::pin(read_users(api.iam, ids)));

/// `aws_iam_user`: found by its name.
pub(crate) struct User;

#[async_trait]
impl AwsResource for User {
    fn kind(&self) -> Kind {
        USER_KIND
    }

    async fn create(
        &self,
        p: &AwsProvider,
        planned: &Value,
        origin: &Origin<'_>,
    ) -> Result<String, ProviderError> {
        let w = format!("creating {USER} {origin}");
        let user = get_str(planned, "name").unwrap_or_default().to_string();
        p.iam()
            .await?
            .create_user()
            .user_name(&user)
            .set_path(get_str(planned, "path").map(str::to_string))
            .set_permissions_boundary(get_str(planned, "permissions_boundary").map(str::to_string))
            .set_tags(Some(create_tags(p, planned, origin)))
            .send()
            .await
            .or_fail(&w)?;
        Ok(user)
    }

    async fn update(
        &self,
        p: &AwsProvider,
        prior: &Value,
        planned: &Value,
        _origin: &Origin<'_>,
    ) -> Result<String, ProviderError> {
        let old = id_of(prior);
        let w = format!("updating {}", object_name(USER, &old));
        let iam = p.iam().await?;
        let changed = |n: &str| !same(get(prior, n), get(planned, n));
        let user = get_str(planned, "name").unwrap_or(&old).to_string();
        if changed("name") || changed("path") {
            iam.update_user()
                .user_name(&old)
                .set_new_user_name(changed("name").then(|| user.clone()))
                .set_new_path(
                    changed("path").then(|| get_str(planned, "path").unwrap_or("/").to_string()),
                )
                .send()
                .await
                .or_fail(&w)?;
        }
        if changed("permissions_boundary") {
            match get_str(planned, "permissions_boundary") {
                Some(arn) => iam
                    .put_user_permissions_boundary()
                    .user_name(&user)
                    .permissions_boundary(arn)
                    .send()
                    .await
                    .map(drop)
                    .or_fail(&w)?,
                None => iam
                    .delete_user_permissions_boundary()
                    .user_name(&user)
                    .send()
                    .await
                    .map(drop)
                    .or_fail(&w)?,
            }
        }
        retag(p, iam, &w, Tagged::User(&user), prior, planned).await?;
        Ok(user)
    }

    /// Deletes the user; with `force_destroy` its access keys and policies go first, else
    /// IAM's refusal says what is left.
    async fn delete(&self, p: &AwsProvider, prior: &Value) -> Result<(), ProviderError> {
        let id = id_of(prior);
        let w = format!("deleting {}", object_name(USER, &id));
        let iam = p.iam().await?;
        if get_bool(prior, "force_destroy") == Some(true) {
            match clear_user(iam, &id).await {
                Err(e) if e.is_not_found() => return Ok(()),
                other => other.map_err(|e| e.into_provider(&w))?,
            }
        }
        match iam.delete_user().user_name(&id).send().await.aws() {
            Ok(_) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) if e.is(&["DeleteConflict"]) => Err(ProviderError::Conflict {
                code: e.code.clone(),
                message: format!(
                    "{w}: the user still has access keys or policies that skel does not manage ({}); delete them or set `force_destroy = true`.",
                    e.message.trim_end_matches('.')
                ),
            }),
            Err(e) => Err(e.into_provider(&w)),
        }
    }

    async fn find(&self, p: &AwsProvider, planned: &Value, _origin: &Origin<'_>) -> Recovered {
        let Some(n) = get_str(planned, "name") else {
            return Ok(None);
        };
        Ok(self.describe_one(p, n).await?.map(|_| n.to_string()))
    }
}

/// Deletes the user's access keys and inline policies and detaches its managed policies.
async fn clear_user(iam: &Client, user: &str) -> Result<(), AwsErr> {
    let keys = iam.list_access_keys().user_name(user).send().await.aws()?;
    for k in keys.access_key_metadata() {
        if let Some(id) = k.access_key_id() {
            iam.delete_access_key()
                .user_name(user)
                .access_key_id(id)
                .send()
                .await
                .aws()?;
        }
    }
    let attached = iam
        .list_attached_user_policies()
        .user_name(user)
        .send()
        .await
        .aws()?;
    for a in attached.attached_policies() {
        if let Some(arn) = a.policy_arn() {
            iam.detach_user_policy()
                .user_name(user)
                .policy_arn(arn)
                .send()
                .await
                .aws()?;
        }
    }
    let inline = iam
        .list_user_policies()
        .user_name(user)
        .send()
        .await
        .aws()?;
    for name in inline.policy_names() {
        iam.delete_user_policy()
            .user_name(user)
            .policy_name(name)
            .send()
            .await
            .aws()?;
    }
    Ok(())
}

/// One GetUser per user.
async fn read_users(iam: Client, ids: Vec<String>) -> Result<BTreeMap<String, Obs>, AwsErr> {
    each(ids, move |id| {
        let iam = iam.clone();
        async move {
            let out = iam.get_user().user_name(&id).send().await.aws()?;
            let Some(u) = out.user() else { return Ok(None) };
            let mut o = Obs::new();
            o.insert("name".into(), Value::string(u.user_name()));
            o.insert("path".into(), Value::string(u.path()));
            o.insert("arn".into(), Value::string(u.arn()));
            o.insert("unique_id".into(), Value::string(u.user_id()));
            o.insert(
                "permissions_boundary".into(),
                optional_string(
                    u.permissions_boundary()
                        .and_then(|b| b.permissions_boundary_arn()),
                ),
            );
            o.insert("tags_all".into(), tags_obs(u.tags()));
            Ok(Some(o))
        }
    })
    .await
}

const KEY: &str = "aws_iam_access_key";
const KEY_KIND: Kind = Kind::untagged(KEY, |api, ids| Box::pin(read_keys(api.iam, ids)));

/// `aws_iam_access_key`: identified by its access key id.
pub(crate) struct AccessKey;

#[async_trait]
impl AwsResource for AccessKey {
    fn kind(&self) -> Kind {
        KEY_KIND
    }

    /// Creates the key; its secret (and the SES SMTP password derived from it) is remembered
    /// for the read-back, the one moment the API tells it.
    async fn create(
        &self,
        p: &AwsProvider,
        planned: &Value,
        origin: &Origin<'_>,
    ) -> Result<String, ProviderError> {
        let w = format!("creating {KEY} {origin}");
        if get_str(planned, "pgp_key").is_some() {
            return Err(ProviderError::InvalidConfig(format!(
                "{w}: `pgp_key` is not supported by skel's aws provider; leave it out (the secret is kept in the state, which skel writes with mode 0600 and can encrypt)."
            )));
        }
        let user = get_str(planned, "user").unwrap_or_default();
        let iam = p.iam().await?;
        let out = iam
            .create_access_key()
            .user_name(user)
            .send()
            .await
            .or_fail(&w)?;
        let Some(key) = out.access_key() else {
            return Err(ProviderError::Api(format!(
                "{w}: the API answered without the new key."
            )));
        };
        let id = key.access_key_id().to_string();
        let status = get_str(planned, "status").unwrap_or("Active");
        if status != key.status().as_str() {
            set_status(iam, &w, user, &id, status).await?;
        }
        let region = super::account::current_region(p).await?;
        let mut o = Obs::new();
        o.insert("user".into(), Value::string(user));
        o.insert("status".into(), Value::string(status));
        o.insert("secret".into(), Value::string(key.secret_access_key()));
        o.insert(
            "ses_smtp_password_v4".into(),
            Value::string(ses_smtp_password_v4(key.secret_access_key(), &region)),
        );
        if let Some(d) = key.create_date() {
            o.insert("create_date".into(), date(d));
        }
        p.seen.put(KEY, &id, o);
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
        let w = format!("updating {}", object_name(KEY, &id));
        if !same(get(prior, "status"), get(planned, "status")) {
            let user = get_str(prior, "user").unwrap_or_default();
            let status = get_str(planned, "status").unwrap_or("Active");
            set_status(p.iam().await?, &w, user, &id, status).await?;
        }
        Ok(id)
    }

    async fn delete(&self, p: &AwsProvider, prior: &Value) -> Result<(), ProviderError> {
        let id = id_of(prior);
        let w = format!("deleting {}", object_name(KEY, &id));
        crate::common::deleted(
            p.iam()
                .await?
                .delete_access_key()
                .user_name(get_str(prior, "user").unwrap_or_default())
                .access_key_id(&id)
                .send()
                .await
                .aws(),
            &w,
        )
    }

    /// A key has no name or tags, and its secret exists only in the create's answer: after a
    /// crash with keys on the user, skel cannot tell whether one is the lost create's.
    async fn find(&self, p: &AwsProvider, planned: &Value, origin: &Origin<'_>) -> Recovered {
        let user = get_str(planned, "user").unwrap_or_default();
        let out = p
            .iam()
            .await?
            .list_access_keys()
            .user_name(user)
            .send()
            .await;
        let keys: Vec<String> = match out.aws() {
            Err(e) if e.is_not_found() => return Ok(None),
            Err(e) => return Err(e.into_provider(&format!("recovering {origin}"))),
            Ok(out) => out
                .access_key_metadata()
                .iter()
                .filter_map(|k| k.access_key_id().map(str::to_string))
                .collect(),
        };
        if keys.is_empty() {
            return Ok(None);
        }
        Err(ProviderError::Other(format!(
            "{origin}: the create of an access key for user `{user}` was interrupted, and the user has keys ({}); an access key's secret is only given when it is made, so skel cannot adopt one. Delete the key the interrupted create made (`aws iam delete-access-key --user-name {user} --access-key-id ID`) and run the command again.",
            keys.join(", ")
        )))
    }
}

async fn set_status(
    iam: &Client,
    w: &str,
    user: &str,
    id: &str,
    status: &str,
) -> Result<(), ProviderError> {
    iam.update_access_key()
        .user_name(user)
        .access_key_id(id)
        .status(StatusType::from(status))
        .send()
        .await
        .or_fail(w)?;
    Ok(())
}

/// Finds each key's user (GetAccessKeyLastUsed) and lists the user's keys (ListAccessKeys):
/// two calls per key.
async fn read_keys(iam: Client, ids: Vec<String>) -> Result<BTreeMap<String, Obs>, AwsErr> {
    each(ids, move |id| {
        let iam = iam.clone();
        async move {
            let used = iam
                .get_access_key_last_used()
                .access_key_id(&id)
                .send()
                .await
                .aws()?;
            let Some(user) = used.user_name() else {
                return Ok(None);
            };
            let keys = iam.list_access_keys().user_name(user).send().await.aws()?;
            let Some(k) = keys
                .access_key_metadata()
                .iter()
                .find(|k| k.access_key_id() == Some(id.as_str()))
            else {
                return Ok(None);
            };
            let mut o = Obs::new();
            o.insert("user".into(), Value::string(user));
            o.insert(
                "status".into(),
                optional_string(k.status().map(|s| s.as_str())),
            );
            if let Some(d) = k.create_date() {
                o.insert("create_date".into(), date(d));
            }
            Ok(Some(o))
        }
    })
    .await
}

/// HMAC-SHA256 of `message` with `key`.
fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut k = [0u8; BLOCK];
    if key.len() > BLOCK {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(k.map(|b| b ^ 0x36));
    inner.update(message);
    let mut outer = Sha256::new();
    outer.update(k.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

/// The SES SMTP password of a secret access key in `region` (AWS's documented derivation:
/// SigV4 signing of `SendRawEmail` with a fixed date, version byte 4, base64).
pub(crate) fn ses_smtp_password_v4(secret: &str, region: &str) -> String {
    let mut signature = hmac_sha256(format!("AWS4{secret}").as_bytes(), b"11111111");
    for message in [region, "ses", "aws4_request", "SendRawEmail"] {
        signature = hmac_sha256(&signature, message.as_bytes());
    }
    let mut bytes = vec![0x04];
    bytes.extend_from_slice(&signature);
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231() {
        // RFC 4231 test case 2.
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn smtp_password_is_version_4_and_depends_on_secret_and_region() {
        let a = ses_smtp_password_v4("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "us-east-1");
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&a)
            .unwrap();
        assert_eq!(bytes.len(), 33);
        assert_eq!(bytes[0], 4);
        assert_ne!(
            a,
            ses_smtp_password_v4("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "eu-west-1")
        );
        assert_ne!(a, ses_smtp_password_v4("other", "us-east-1"));
        assert!(!a.contains("wJalr"));
    }
}
