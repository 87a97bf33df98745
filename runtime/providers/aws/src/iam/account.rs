//! Where the provider works: `data "aws_caller_identity"` (STS GetCallerIdentity),
//! `data "aws_partition"` (from the region, no call), and the region facts `data "aws_region"`
//! reads (its description, its partition's DNS suffix).

use skel_provider::ProviderError;
use skel_value::{Value, ValueMap};

use crate::error::SdkResultExt;
use crate::AwsProvider;

/// A partition: its name, DNS suffix and reverse-DNS prefix, and the region prefixes in it.
struct Partition {
    name: &'static str,
    dns_suffix: &'static str,
    reverse_dns_prefix: &'static str,
    prefixes: &'static [&'static str],
}

/// The partitions, the standard one last (it takes every region no other one claims).
const PARTITIONS: &[Partition] = &[
    Partition {
        name: "aws-cn",
        dns_suffix: "amazonaws.com.cn",
        reverse_dns_prefix: "cn.com.amazonaws",
        prefixes: &["cn-"],
    },
    Partition {
        name: "aws-us-gov",
        dns_suffix: "amazonaws.com",
        reverse_dns_prefix: "com.amazonaws",
        prefixes: &["us-gov-"],
    },
    Partition {
        name: "aws-iso",
        dns_suffix: "c2s.ic.gov",
        reverse_dns_prefix: "gov.ic.c2s",
        prefixes: &["us-iso-"],
    },
    Partition {
        name: "aws-iso-b",
        dns_suffix: "sc2s.sgov.gov",
        reverse_dns_prefix: "gov.sgov.sc2s",
        prefixes: &["us-isob-"],
    },
    Partition {
        name: "aws-iso-e",
        dns_suffix: "cloud.adc-e.uk",
        reverse_dns_prefix: "uk.adc-e.cloud",
        prefixes: &["eu-isoe-"],
    },
    Partition {
        name: "aws-iso-f",
        dns_suffix: "csp.hci.ic.gov",
        reverse_dns_prefix: "gov.ic.hci.csp",
        prefixes: &["us-isof-"],
    },
    Partition {
        name: "aws",
        dns_suffix: "amazonaws.com",
        reverse_dns_prefix: "com.amazonaws",
        prefixes: &[""],
    },
];

fn partition(region: &str) -> &'static Partition {
    PARTITIONS
        .iter()
        .find(|p| p.prefixes.iter().any(|pre| region.starts_with(pre)))
        .unwrap_or(&PARTITIONS[PARTITIONS.len() - 1])
}

/// The partition of `region` (`aws`, `aws-cn`, `aws-us-gov`, …).
pub(crate) fn partition_of(region: &str) -> &'static str {
    partition(region).name
}

/// The DNS suffix of `region`'s partition (`amazonaws.com`).
pub(crate) fn dns_suffix(region: &str) -> &'static str {
    partition(region).dns_suffix
}

/// Region names and their descriptions, as AWS's endpoint data names them.
const REGIONS: &[(&str, &str)] = &[
    ("af-south-1", "Africa (Cape Town)"),
    ("ap-east-1", "Asia Pacific (Hong Kong)"),
    ("ap-east-2", "Asia Pacific (Taipei)"),
    ("ap-northeast-1", "Asia Pacific (Tokyo)"),
    ("ap-northeast-2", "Asia Pacific (Seoul)"),
    ("ap-northeast-3", "Asia Pacific (Osaka)"),
    ("ap-south-1", "Asia Pacific (Mumbai)"),
    ("ap-south-2", "Asia Pacific (Hyderabad)"),
    ("ap-southeast-1", "Asia Pacific (Singapore)"),
    ("ap-southeast-2", "Asia Pacific (Sydney)"),
    ("ap-southeast-3", "Asia Pacific (Jakarta)"),
    ("ap-southeast-4", "Asia Pacific (Melbourne)"),
    ("ap-southeast-5", "Asia Pacific (Malaysia)"),
    ("ap-southeast-7", "Asia Pacific (Thailand)"),
    ("ca-central-1", "Canada (Central)"),
    ("ca-west-1", "Canada West (Calgary)"),
    ("cn-north-1", "China (Beijing)"),
    ("cn-northwest-1", "China (Ningxia)"),
    ("eu-central-1", "Europe (Frankfurt)"),
    ("eu-central-2", "Europe (Zurich)"),
    ("eu-north-1", "Europe (Stockholm)"),
    ("eu-south-1", "Europe (Milan)"),
    ("eu-south-2", "Europe (Spain)"),
    ("eu-west-1", "Europe (Ireland)"),
    ("eu-west-2", "Europe (London)"),
    ("eu-west-3", "Europe (Paris)"),
    ("il-central-1", "Israel (Tel Aviv)"),
    ("me-central-1", "Middle East (UAE)"),
    ("me-south-1", "Middle East (Bahrain)"),
    ("mx-central-1", "Mexico (Central)"),
    ("sa-east-1", "South America (Sao Paulo)"),
    ("us-east-1", "US East (N. Virginia)"),
    ("us-east-2", "US East (Ohio)"),
    ("us-gov-east-1", "AWS GovCloud (US-East)"),
    ("us-gov-west-1", "AWS GovCloud (US-West)"),
    ("us-west-1", "US West (N. California)"),
    ("us-west-2", "US West (Oregon)"),
];

/// The description of `region` (`US East (N. Virginia)`); `None` for a region this list does
/// not know (a newer one).
pub(crate) fn region_description(region: &str) -> Option<&'static str> {
    REGIONS
        .iter()
        .find(|(name, _)| *name == region)
        .map(|(_, d)| *d)
}

/// The EC2 endpoint host of `region` (`ec2.us-east-1.amazonaws.com`).
pub(crate) fn ec2_endpoint(region: &str) -> String {
    format!("ec2.{region}.{}", dns_suffix(region))
}

/// The region whose EC2 endpoint is `endpoint` (with or without a scheme).
pub(crate) fn region_of_endpoint(endpoint: &str) -> Option<String> {
    let host = endpoint
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .trim_end_matches('/');
    let rest = host.strip_prefix("ec2.")?;
    let region = rest.split('.').next()?;
    (ec2_endpoint(region) == host).then(|| region.to_string())
}

/// Whether `name` is shaped like a region name (`us-east-1`, `us-gov-west-1`).
pub(crate) fn is_region_name(name: &str) -> bool {
    let parts: Vec<&str> = name.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[0].bytes().all(|b| b.is_ascii_lowercase())
        && parts[1..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty()
}

/// The region the provider's clients use.
pub(crate) async fn current_region(p: &AwsProvider) -> Result<String, ProviderError> {
    Ok(p.sts()
        .await?
        .config()
        .region()
        .map(|r| r.to_string())
        .unwrap_or_default())
}

/// `data "aws_caller_identity"`: one GetCallerIdentity call.
pub(crate) async fn caller_identity(p: &AwsProvider) -> Result<ValueMap, ProviderError> {
    let out = p
        .sts()
        .await?
        .get_caller_identity()
        .send()
        .await
        .or_fail("reading data.aws_caller_identity")?;
    let account = out.account().unwrap_or_default().to_string();
    Ok(ValueMap::from([
        ("id".to_string(), Value::string(account.clone())),
        ("account_id".to_string(), Value::string(account)),
        (
            "arn".to_string(),
            Value::string(out.arn().unwrap_or_default()),
        ),
        (
            "user_id".to_string(),
            Value::string(out.user_id().unwrap_or_default()),
        ),
    ]))
}

/// `data "aws_partition"`: the partition of the provider's region.
pub(crate) async fn partition_data(p: &AwsProvider) -> Result<ValueMap, ProviderError> {
    let region = current_region(p).await?;
    let part = partition(&region);
    Ok(ValueMap::from([
        ("id".to_string(), Value::string(part.name)),
        ("partition".to_string(), Value::string(part.name)),
        ("dns_suffix".to_string(), Value::string(part.dns_suffix)),
        (
            "reverse_dns_prefix".to_string(),
            Value::string(part.reverse_dns_prefix),
        ),
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_map_to_their_partition() {
        let cases = [
            ("us-east-1", "aws", "amazonaws.com"),
            ("eu-west-3", "aws", "amazonaws.com"),
            ("cn-north-1", "aws-cn", "amazonaws.com.cn"),
            ("us-gov-west-1", "aws-us-gov", "amazonaws.com"),
            ("us-iso-east-1", "aws-iso", "c2s.ic.gov"),
            ("us-isob-east-1", "aws-iso-b", "sc2s.sgov.gov"),
        ];
        for (region, name, suffix) in cases {
            assert_eq!(partition_of(region), name, "{region}");
            assert_eq!(dns_suffix(region), suffix, "{region}");
        }
        assert_eq!(
            partition("cn-north-1").reverse_dns_prefix,
            "cn.com.amazonaws"
        );
    }

    #[test]
    fn endpoints_and_descriptions() {
        assert_eq!(ec2_endpoint("us-east-1"), "ec2.us-east-1.amazonaws.com");
        assert_eq!(
            ec2_endpoint("cn-north-1"),
            "ec2.cn-north-1.amazonaws.com.cn"
        );
        assert_eq!(
            region_of_endpoint("ec2.eu-west-1.amazonaws.com").as_deref(),
            Some("eu-west-1")
        );
        assert_eq!(
            region_of_endpoint("https://ec2.cn-north-1.amazonaws.com.cn/").as_deref(),
            Some("cn-north-1")
        );
        assert_eq!(region_of_endpoint("s3.us-east-1.amazonaws.com"), None);
        assert_eq!(region_of_endpoint("ec2.us-east-1.example.com"), None);
        assert_eq!(
            region_description("us-east-1"),
            Some("US East (N. Virginia)")
        );
        assert!(is_region_name("us-gov-west-1"));
        assert!(is_region_name("ap-southeast-7"));
        assert!(!is_region_name("mars"));
        assert!(!is_region_name("US-EAST-1"));
        assert!(!is_region_name("us-east-"));
    }
}
