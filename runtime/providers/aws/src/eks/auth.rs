//! `data.aws_eks_cluster_auth`: a bearer token for an EKS cluster's Kubernetes API, made the
//! way aws-iam-authenticator makes it: an STS `GetCallerIdentity` URL presigned (SigV4, query
//! parameters, 60 seconds) with the provider's credentials, with the signed header
//! `x-k8s-aws-id: CLUSTER`, base64url-encoded without padding after `k8s-aws-v1.`. The API
//! server calls the URL to learn who the caller is. Nothing is sent to AWS here.

use std::time::{Duration, SystemTime};

use aws_credential_types::provider::ProvideCredentials;
use aws_sigv4::http_request::{
    sign, SignableBody, SignableRequest, SignatureLocation, SigningSettings,
};
use aws_sigv4::sign::v4;
use base64::Engine;
use skel_provider::ProviderError;
use skel_value::{Value, ValueMap};

use crate::AwsProvider;

const TY: &str = "aws_eks_cluster_auth";

/// The token's prefix.
pub(crate) const PREFIX: &str = "k8s-aws-v1.";

/// `data.aws_eks_cluster_auth`: the token for cluster `name`.
pub(super) async fn data(p: &AwsProvider, name: &str) -> Result<ValueMap, ProviderError> {
    let w = format!("reading data.{TY} `{name}`");
    if name.is_empty() {
        return Err(ProviderError::InvalidConfig(format!(
            "{w}: `name` must name the cluster."
        )));
    }
    let clients = p.clients().await?;
    let region = clients
        .sts
        .config()
        .region()
        .map(|r| r.to_string())
        .ok_or_else(|| ProviderError::InvalidConfig(format!("{w}: no region is set.")))?;
    let credentials = clients
        .credentials
        .as_ref()
        .ok_or_else(|| ProviderError::Auth(format!("{w}: no AWS credentials were found; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or AWS_PROFILE, or `access_key`/`secret_key` in the provider block.")))?
        .provide_credentials()
        .await
        .map_err(|e| {
            ProviderError::Auth(format!(
                "{w}: the AWS credentials could not be loaded ({e}); check the access keys or the profile."
            ))
        })?;
    let token = token(name, &region, credentials.into(), SystemTime::now())
        .map_err(|e| ProviderError::Other(format!("{w}: the token could not be signed ({e}).")))?;
    Ok(ValueMap::from([
        ("id".to_string(), Value::string(name)),
        ("name".to_string(), Value::string(name)),
        ("token".to_string(), Value::string(token)),
    ]))
}

/// The token for cluster `cluster`, signed at `now` for `region` with `identity`.
pub(crate) fn token(
    cluster: &str,
    region: &str,
    identity: aws_smithy_runtime_api::client::identity::Identity,
    now: SystemTime,
) -> Result<String, String> {
    let host = format!("sts.{region}.amazonaws.com");
    let url = format!("https://{host}/?Action=GetCallerIdentity&Version=2011-06-15");
    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(Duration::from_secs(60));
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("sts")
        .time(now)
        .settings(settings)
        .build()
        .map_err(|e| e.to_string())?
        .into();
    let headers = [("host", host.as_str()), ("x-k8s-aws-id", cluster)];
    let request = SignableRequest::new("GET", &url, headers.into_iter(), SignableBody::Bytes(&[]))
        .map_err(|e| e.to_string())?;
    let (_, query) = sign(request, &params)
        .map_err(|e| e.to_string())?
        .into_parts()
        .0
        .into_parts();
    let mut presigned = url;
    for (k, v) in query {
        presigned.push('&');
        presigned.push_str(k);
        presigned.push('=');
        presigned.push_str(&encode(&v));
    }
    Ok(format!(
        "{PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(presigned)
    ))
}

/// URI-encodes a query value the way SigV4 does: every byte but `A-Z a-z 0-9 - _ . ~`.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_credential_types::Credentials;

    fn decoded(token: &str) -> String {
        let body = token.strip_prefix(PREFIX).expect("prefix");
        assert!(!body.contains('=') && !body.contains('+') && !body.contains('/'));
        String::from_utf8(
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(body)
                .expect("base64url"),
        )
        .expect("utf-8")
    }

    #[test]
    fn the_token_is_a_presigned_get_caller_identity_url_bound_to_the_cluster() {
        let creds = Credentials::new("AKIDEXAMPLE", "secret", Some("session".into()), None, "t");
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let token = token("demo", "eu-west-1", creds.into(), at).expect("token");
        let url = decoded(&token);
        assert!(
            url.starts_with(
                "https://sts.eu-west-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&"
            ),
            "{url}"
        );
        for part in [
            "X-Amz-Algorithm=AWS4-HMAC-SHA256",
            "X-Amz-Credential=AKIDEXAMPLE%2F20231114%2Feu-west-1%2Fsts%2Faws4_request",
            "X-Amz-Date=20231114T221320Z",
            "X-Amz-Expires=60",
            "X-Amz-SignedHeaders=host%3Bx-k8s-aws-id",
            "X-Amz-Security-Token=session",
            "X-Amz-Signature=",
        ] {
            assert!(url.contains(part), "{part} missing in {url}");
        }
        let signature = url.rsplit("X-Amz-Signature=").next().unwrap_or_default();
        let signature = signature.split('&').next().unwrap_or_default();
        assert_eq!(signature.len(), 64, "{url}");
        assert!(
            !url.contains("secret"),
            "the secret key never appears: {url}"
        );
        // Another cluster, another signature: the header is signed.
        let other = decoded(
            &super::token(
                "other",
                "eu-west-1",
                Credentials::new("AKIDEXAMPLE", "secret", Some("session".into()), None, "t").into(),
                at,
            )
            .expect("token"),
        );
        assert_ne!(url, other);
    }
}
