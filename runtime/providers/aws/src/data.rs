//! Data sources: `aws_ami`, `aws_availability_zones`, `aws_region` here; the others by service
//! module (IAM/STS, S3, EKS, lookups of EC2 and Route 53 objects), all shaped to their schema.

use skel_value::ValueMap;

use aws_sdk_ec2::types::{Filter, Image};
use skel_provider::ProviderError;
use skel_value::{convert, Value};

use crate::common::{
    blocks, data_source_schema, get, get_bool, get_str, get_strs, optional_bool, optional_string,
    string_list, string_set, tags_obs,
};
use crate::error::SdkResultExt;
use crate::AwsProvider;

/// The error for a data source the schema lists but no module reads yet.
pub(crate) fn unsupported(type_name: &str) -> ProviderError {
    ProviderError::InvalidConfig(format!(
        "data.{type_name}: not supported by skel's aws provider yet; pass the value in a variable instead."
    ))
}

pub async fn read(
    p: &AwsProvider,
    type_name: &str,
    config: &Value,
) -> Result<Value, ProviderError> {
    let schema = data_source_schema(type_name)?;
    let values = match type_name {
        "aws_ami" => ami(p, config).await?,
        "aws_availability_zones" => zones(p, config).await?,
        "aws_region" => region(p, config).await?,
        t if t.starts_with("aws_iam_") || t == "aws_caller_identity" || t == "aws_partition" => {
            crate::iam::read_data(p, t, config).await?
        }
        t if t.starts_with("aws_s3_") => crate::s3::read_data(p, t, config).await?,
        t if t.starts_with("aws_eks_") => crate::eks::read_data(p, t, config).await?,
        t => crate::lookup::read_data(p, t, config).await?,
    };
    let mut out = ValueMap::new();
    for (name, attr) in &schema.block.attributes {
        let v = values
            .get(name)
            .cloned()
            .unwrap_or_else(|| get(config, name).clone());
        out.insert(name.clone(), convert(&v, &attr.ty).unwrap_or(v));
    }
    for name in schema.block.blocks.keys() {
        out.insert(name.clone(), get(config, name).clone());
    }
    Ok(Value::Object(out))
}

fn filters(config: &Value) -> Vec<Filter> {
    blocks(config, "filter")
        .iter()
        .map(|f| {
            Filter::builder()
                .set_name(get_str(f, "name").map(str::to_string))
                .set_values(Some(get_strs(f, "values")))
                .build()
        })
        .collect()
}

/// Whether `text` matches the glob-free subset of a regular expression we accept client-side:
/// a literal with optional `^`/`$` anchors and `.*` wildcards.
fn simple_regex(pattern: &str, text: &str) -> bool {
    let anchored_start = pattern.starts_with('^');
    let anchored_end = pattern.ends_with('$') && !pattern.ends_with("\\$");
    let body = pattern.trim_start_matches('^');
    let body = if anchored_end {
        &body[..body.len() - 1]
    } else {
        body
    };
    let parts: Vec<&str> = body.split(".*").collect();
    let mut pos = 0;
    for (i, part) in parts.iter().enumerate() {
        let part = part.replace("\\.", ".");
        if i == 0 && anchored_start {
            if !text.starts_with(&part) {
                return false;
            }
            pos = part.len();
            continue;
        }
        match text[pos..].find(&part) {
            Some(at) => pos += at + part.len(),
            None => return false,
        }
    }
    !anchored_end
        || parts
            .last()
            .is_some_and(|l| text.ends_with(&l.replace("\\.", ".")))
}

async fn ami(p: &AwsProvider, config: &Value) -> Result<ValueMap, ProviderError> {
    let w = "reading data.aws_ami";
    let out = p
        .ec2()
        .await?
        .describe_images()
        .set_owners(Some(get_strs(config, "owners")).filter(|o| !o.is_empty()))
        .set_executable_users(Some(get_strs(config, "executable_users")).filter(|o| !o.is_empty()))
        .set_filters(Some(filters(config)).filter(|f| !f.is_empty()))
        .set_include_deprecated(get_bool(config, "include_deprecated"))
        .send()
        .await
        .or_fail(w)?;
    let mut images: Vec<&Image> = out.images().iter().collect();
    if let Some(re) = get_str(config, "name_regex") {
        images.retain(|i| simple_regex(re, i.name().unwrap_or_default()));
    }
    if images.is_empty() {
        return Err(ProviderError::Api(format!(
            "{w}: no image matches the owners and filters; widen them (moto only preloads old Canonical images)."
        )));
    }
    if images.len() > 1 && get_bool(config, "most_recent") != Some(true) {
        return Err(ProviderError::Api(format!(
            "{w}: {} images match; narrow the filters or set `most_recent = true`.",
            images.len()
        )));
    }
    images.sort_by(|a, b| {
        a.creation_date()
            .cmp(&b.creation_date())
            .then(a.image_id().cmp(&b.image_id()))
    });
    let Some(i) = images.last() else {
        return Err(ProviderError::Api(format!("{w}: no image matches.")));
    };
    let id = i.image_id().unwrap_or_default();
    let region = p
        .ec2()
        .await?
        .config()
        .region()
        .map(|r| r.to_string())
        .unwrap_or_default();
    let root_snapshot = i
        .block_device_mappings()
        .iter()
        .find(|m| m.device_name() == i.root_device_name())
        .and_then(|m| m.ebs())
        .and_then(|e| e.snapshot_id());
    Ok(ValueMap::from([
        ("id".to_string(), Value::string(id)),
        ("image_id".to_string(), Value::string(id)),
        (
            "arn".to_string(),
            Value::string(format!("arn:aws:ec2:{region}::image/{id}")),
        ),
        ("name".to_string(), optional_string(i.name())),
        ("description".to_string(), optional_string(i.description())),
        (
            "architecture".to_string(),
            optional_string(i.architecture().map(|a| a.as_str())),
        ),
        (
            "creation_date".to_string(),
            optional_string(i.creation_date()),
        ),
        ("owner_id".to_string(), optional_string(i.owner_id())),
        (
            "image_owner_alias".to_string(),
            optional_string(i.image_owner_alias()),
        ),
        (
            "image_type".to_string(),
            optional_string(i.image_type().map(|t| t.as_str())),
        ),
        (
            "platform".to_string(),
            optional_string(i.platform().map(|t| t.as_str())),
        ),
        ("public".to_string(), optional_bool(i.public())),
        (
            "state".to_string(),
            optional_string(i.state().map(|t| t.as_str())),
        ),
        (
            "root_device_name".to_string(),
            optional_string(i.root_device_name()),
        ),
        (
            "root_device_type".to_string(),
            optional_string(i.root_device_type().map(|t| t.as_str())),
        ),
        (
            "root_snapshot_id".to_string(),
            optional_string(root_snapshot),
        ),
        (
            "virtualization_type".to_string(),
            optional_string(i.virtualization_type().map(|t| t.as_str())),
        ),
        (
            "hypervisor".to_string(),
            optional_string(i.hypervisor().map(|t| t.as_str())),
        ),
        ("ena_support".to_string(), optional_bool(i.ena_support())),
        ("tags".to_string(), tags_obs(i.tags())),
    ]))
}

async fn zones(p: &AwsProvider, config: &Value) -> Result<ValueMap, ProviderError> {
    let w = "reading data.aws_availability_zones";
    let mut fs = filters(config);
    if let Some(state) = get_str(config, "state") {
        fs.push(Filter::builder().name("state").values(state).build());
    }
    let ec2 = p.ec2().await?;
    let out = ec2
        .describe_availability_zones()
        .set_all_availability_zones(get_bool(config, "all_availability_zones"))
        .set_filters(Some(fs).filter(|f| !f.is_empty()))
        .send()
        .await
        .or_fail(w)?;
    let (ex_names, ex_ids) = (
        get_strs(config, "exclude_names"),
        get_strs(config, "exclude_zone_ids"),
    );
    let mut zones: Vec<(String, String, String)> = out
        .availability_zones()
        .iter()
        .filter(|z| {
            get_str(config, "state").is_none_or(|st| z.state().map(|x| x.as_str()) == Some(st))
        })
        .map(|z| {
            (
                z.zone_name().unwrap_or_default().to_string(),
                z.zone_id().unwrap_or_default().to_string(),
                z.group_name().unwrap_or_default().to_string(),
            )
        })
        .filter(|(n, i, _)| !ex_names.contains(n) && !ex_ids.contains(i))
        .collect();
    zones.sort();
    let region = ec2
        .config()
        .region()
        .map(|r| r.to_string())
        .unwrap_or_default();
    Ok(ValueMap::from([
        ("id".to_string(), Value::string(region)),
        (
            "names".to_string(),
            string_list(zones.iter().map(|z| z.0.clone())),
        ),
        (
            "zone_ids".to_string(),
            string_list(zones.iter().map(|z| z.1.clone())),
        ),
        (
            "group_names".to_string(),
            string_set(zones.iter().map(|z| z.2.clone()).filter(|g| !g.is_empty())),
        ),
    ]))
}

/// `data "aws_region"`: the region named by `region` (or the deprecated `name`), the one whose
/// EC2 endpoint is `endpoint`, or the provider's; no API call.
async fn region(p: &AwsProvider, config: &Value) -> Result<ValueMap, ProviderError> {
    use crate::iam::account;
    let w = "reading data.aws_region";
    let by_endpoint = match get_str(config, "endpoint") {
        Some(e) => Some(account::region_of_endpoint(e).ok_or_else(|| {
            ProviderError::InvalidConfig(format!(
                "{w}: `endpoint` {e:?} is no region's EC2 endpoint (such as \"ec2.us-east-1.amazonaws.com\")."
            ))
        })?),
        None => None,
    };
    let named = get_str(config, "region")
        .or_else(|| get_str(config, "name"))
        .map(str::to_string);
    let name = match (named, by_endpoint) {
        (Some(a), Some(b)) if a != b => {
            return Err(ProviderError::InvalidConfig(format!(
                "{w}: `endpoint` is the endpoint of {b}, not of the region {a} that is asked for."
            )))
        }
        (Some(a), _) => a,
        (None, Some(b)) => b,
        (None, None) => account::current_region(p).await?,
    };
    if !account::is_region_name(&name) {
        return Err(ProviderError::InvalidConfig(format!(
            "{w}: {name:?} is not a region name (such as \"us-east-1\")."
        )));
    }
    Ok(ValueMap::from([
        ("id".to_string(), Value::string(name.clone())),
        (
            "endpoint".to_string(),
            Value::string(account::ec2_endpoint(&name)),
        ),
        (
            "description".to_string(),
            Value::string(account::region_description(&name).unwrap_or(&name)),
        ),
        ("region".to_string(), Value::string(name.clone())),
        ("name".to_string(), Value::string(name)),
    ]))
}
