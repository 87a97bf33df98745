//! AWS KMS data keys for state and plan encryption (`key_provider "aws_kms"`): a new 256-bit
//! data key from `GenerateDataKey` for writing, and the same key back from `Decrypt` of the
//! wrapped copy stored in a file's metadata. Credentials, region and endpoint come from the
//! SDK's standard chain (`AWS_ENDPOINT_URL` for the moto emulator), the region also from
//! configuration.

use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::DataKeySpec;

use crate::error::AwsErr;

/// Why KMS gave no key.
#[derive(Debug, thiserror::Error)]
pub enum KmsError {
    /// The wrapped key is not one this KMS key (or any key the caller may use) made.
    #[error("{0}")]
    WrongKey(String),
    /// Anything else: no region, no credentials, unreachable, access denied, unknown key id.
    #[error("{0}")]
    Failed(String),
}

/// A KMS key (`kms_key_id`: an id, an ARN or `alias/NAME`) to make and unwrap data keys with.
pub struct KmsDataKeys {
    client: aws_sdk_kms::Client,
    key_id: String,
}

impl KmsDataKeys {
    /// A client for `key_id` in `region` (or the environment's region).
    pub async fn new(key_id: &str, region: Option<&str>) -> Result<KmsDataKeys, KmsError> {
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
        if let Some(region) = region {
            loader = loader.region(aws_config::Region::new(region.to_string()));
        }
        let sdk = loader.load().await;
        if sdk.region().is_none() {
            return Err(KmsError::Failed(
                "no region is set: set `region` in the key provider or AWS_REGION in the \
                 environment"
                    .into(),
            ));
        }
        Ok(KmsDataKeys {
            client: aws_sdk_kms::Client::new(&sdk),
            key_id: key_id.to_string(),
        })
    }

    /// A new data key: (plaintext key, the key wrapped by KMS).
    pub async fn generate(&self) -> Result<([u8; 32], Vec<u8>), KmsError> {
        let out = self
            .client
            .generate_data_key()
            .key_id(&self.key_id)
            .key_spec(DataKeySpec::Aes256)
            .send()
            .await
            .map_err(|error| {
                KmsError::Failed(
                    AwsErr::from(error)
                        .into_provider(&format!("KMS GenerateDataKey with key `{}`", self.key_id))
                        .to_string(),
                )
            })?;
        let plaintext = out
            .plaintext()
            .map(|b| b.as_ref().to_vec())
            .unwrap_or_default();
        let key: [u8; 32] = plaintext.as_slice().try_into().map_err(|_| {
            KmsError::Failed(format!(
                "KMS returned a {}-byte data key, not 32",
                plaintext.len()
            ))
        })?;
        let wrapped = out
            .ciphertext_blob()
            .map(|b| b.as_ref().to_vec())
            .ok_or_else(|| KmsError::Failed("KMS returned no wrapped data key".into()))?;
        Ok((key, wrapped))
    }

    /// The plaintext of a data key wrapped by [`generate`](Self::generate).
    pub async fn decrypt(&self, wrapped: &[u8]) -> Result<[u8; 32], KmsError> {
        let out = self
            .client
            .decrypt()
            .key_id(&self.key_id)
            .ciphertext_blob(Blob::new(wrapped))
            .send()
            .await
            .map_err(|error| {
                let wrong = error.as_service_error().is_some_and(|e| {
                    e.is_invalid_ciphertext_exception() || e.is_incorrect_key_exception()
                });
                let message = AwsErr::from(error)
                    .into_provider(&format!("KMS Decrypt with key `{}`", self.key_id))
                    .to_string();
                if wrong {
                    KmsError::WrongKey(message)
                } else {
                    KmsError::Failed(message)
                }
            })?;
        let plaintext = out
            .plaintext()
            .map(|b| b.as_ref().to_vec())
            .unwrap_or_default();
        plaintext.as_slice().try_into().map_err(|_| {
            KmsError::Failed(format!(
                "KMS returned a {}-byte data key, not 32",
                plaintext.len()
            ))
        })
    }
}
