//! What the AWS resources share: schema lookup, planning (with nested blocks and `tags_all`),
//! turning observations into state, and tags (the creation protocol's tags are in `origin.rs`).

use skel_value::ValueMap;
use std::collections::BTreeMap;

use aws_sdk_ec2::types::{ResourceType, Tag, TagSpecification};
use aws_sdk_ec2::Client;
use skel_provider::kit;
use skel_provider::{PlanResponse, ProviderError};
use skel_schema::{BlockSchema, ResourceSchema};
use skel_value::{convert, Value};

use crate::error::{retry_on, AwsErr, SdkResultExt, DEPENDENCY};
use crate::{AwsProvider, Settings};

/// What a Describe call observed of one object: attribute name → value, in the attribute's
/// type (nested blocks as lists or sets of objects). `tags_all` holds every tag but `skel:*`.
pub type Obs = ValueMap;

/// The observation key holding an object's lifecycle state as AWS reports it (`pending`), for
/// messages about waits; not an attribute, so refresh and apply ignore it.
pub const STATUS: &str = "_status";

pub use crate::origin::{find_by_tag, one_of, Origin, ADDRESS_TAG, TOKEN_TAG};

/// The schema of AWS resource type `type_name`.
pub fn resource_schema(type_name: &str) -> Result<&'static ResourceSchema, ProviderError> {
    kit::resource_schema("aws", type_name)
}

/// The schema of AWS data source `type_name`.
pub fn data_source_schema(type_name: &str) -> Result<&'static ResourceSchema, ProviderError> {
    kit::data_source_schema("aws", type_name)
}

pub use skel_provider::kit::{
    blocks, default_value, get, get_bool, get_i64, get_str, get_strs, optional_bool,
    optional_number, optional_string, same, set_unknown, string_list, string_set,
};

/// `default_tags` merged with the planned `tags`, `None` while the tags are unknown.
pub fn merged_tags(settings: &Settings, tags: &Value) -> Option<BTreeMap<String, String>> {
    if tags.has_unknown() {
        return None;
    }
    let mut out = settings.default_tags.clone();
    if let Some(m) = tags.as_mapping() {
        for (k, v) in m {
            out.insert(k.clone(), v.as_str().unwrap_or_default().to_string());
        }
    }
    Some(out)
}

fn map_value(m: &BTreeMap<String, String>) -> Value {
    Value::Map(
        m.iter()
            .map(|(k, v)| (k.clone(), Value::string(v.clone())))
            .collect(),
    )
}

/// The AWS rules on top of the provider kit's planner (`skel_provider::kit::plan`): `tags_all`
/// = `default_tags` merged with `tags`, and the type-specific rules of [`adjust_plan`].
pub struct AwsPlanHooks<'a> {
    pub settings: &'a Settings,
}

impl AwsPlanHooks<'_> {
    fn tags_all(&self, planned: &mut Value) {
        let Value::Object(planned) = planned else {
            return;
        };
        let tags = planned.get("tags").cloned().unwrap_or(Value::Null);
        let value = match merged_tags(self.settings, &tags) {
            Some(m) => map_value(&m),
            None => Value::Unknown(skel_value::Type::Map(Box::new(skel_value::Type::String))),
        };
        planned.insert("tags_all".into(), value);
    }
}

impl kit::PlanHooks for AwsPlanHooks<'_> {
    fn plan_create(&self, type_name: &str, planned: &mut Value) {
        if has_tags_all(type_name) {
            self.tags_all(planned);
        }
        unmanaged_rules(type_name, planned);
        if type_name.starts_with("aws_eks_") {
            crate::eks::plan_create(type_name, planned);
        }
        if type_name == "aws_s3_object" {
            crate::s3::object::plan(None, planned);
        }
    }

    fn plan_update(&self, type_name: &str, prior: &Value, response: &mut PlanResponse) {
        if has_tags_all(type_name) {
            self.tags_all(&mut response.planned);
        }
        // A replacement is a new group: what it will have is known after the create. An
        // update keeps unwritten rules already (the kit planner: `computed` blocks), and
        // `ingress = []` written as an attribute removes them all.
        if !response.requires_replace.is_empty() {
            unmanaged_rules(type_name, &mut response.planned);
        }
        adjust_plan(type_name, prior, response);
    }
}

/// A security group whose configuration has no `ingress` (or `egress`) blocks does not manage
/// those rules, as in Terraform (where they are optional and computed): standalone rule
/// resources own them, and the group keeps whatever the group has (the prior value, kept by
/// the kit planner; on a create or a replacement, what the group turns out to have, unknown
/// here). Never reverting them is what lets the group and `aws_security_group_rule` /
/// `aws_vpc_security_group_*_rule` resources coexist.
fn unmanaged_rules(type_name: &str, planned: &mut Value) {
    if type_name != "aws_security_group" {
        return;
    }
    let Ok(schema) = resource_schema(type_name) else {
        return;
    };
    let Value::Object(fields) = planned else {
        return;
    };
    for name in ["ingress", "egress"] {
        let empty = fields
            .get(name)
            .is_none_or(|v| v.as_sequence().is_some_and(|s| s.is_empty()));
        if !empty {
            continue;
        }
        if let Some(nested) = schema.block.blocks.get(name) {
            fields.insert(name.to_string(), Value::Unknown(nested.computed_type()));
        }
    }
}

fn has_tags_all(type_name: &str) -> bool {
    resource_schema(type_name).is_ok_and(|s| s.block.attributes.contains_key("tags_all"))
}

/// Plans one instance: the provider kit's planner (arguments, defaults, nested blocks,
/// computed values, `requires_replace` from the schema) with [`AwsPlanHooks`].
pub fn plan(
    settings: &Settings,
    type_name: &str,
    block: &BlockSchema,
    prior: Option<&Value>,
    config: &Value,
) -> PlanResponse {
    kit::plan(type_name, block, prior, config, &AwsPlanHooks { settings })
}

/// Type-specific planning rules the generic plan cannot know.
fn adjust_plan(type_name: &str, prior: &Value, response: &mut PlanResponse) {
    let planned = &mut response.planned;
    let changed = |planned: &Value, name: &str| !same(get(planned, name), get(prior, name));
    match type_name {
        "aws_route_table_association" if changed(planned, "route_table_id") => {
            // ReplaceRouteTableAssociation returns a new association id.
            set_unknown(planned, "id");
        }
        "aws_vpc_dhcp_options_association" if changed(planned, "dhcp_options_id") => {
            // Terraform's id names the option set.
            set_unknown(planned, "id");
        }
        "aws_instance" if response.requires_replace.is_empty() => {
            if get_bool(planned, "user_data_replace_on_change") == Some(true)
                && (changed(planned, "user_data") || changed(planned, "user_data_base64"))
            {
                response.requires_replace.push(vec!["user_data".into()]);
            } else if changed(planned, "instance_type") || changed(planned, "user_data") {
                // Stop, modify, start: the public address may change.
                for name in ["public_ip", "public_dns", "instance_state"] {
                    set_unknown(planned, name);
                }
            }
        }
        "aws_eip" if changed(planned, "instance") || changed(planned, "network_interface") => {
            set_unknown(planned, "association_id");
            set_unknown(planned, "private_ip");
            set_unknown(planned, "private_dns");
        }
        "aws_vpc" => {
            let block = changed(planned, "assign_generated_ipv6_cidr_block")
                || changed(planned, "ipv6_ipam_pool_id");
            if block && !changed(planned, "ipv6_cidr_block") {
                // AWS chooses the new block.
                set_unknown(planned, "ipv6_cidr_block");
                set_unknown(planned, "ipv6_cidr_block_network_border_group");
            }
            if block || changed(planned, "ipv6_cidr_block") {
                set_unknown(planned, "ipv6_association_id");
            }
            // ModifyVpcTenancy only goes back to `default`; any other change is a new VPC.
            if changed(planned, "instance_tenancy")
                && get_str(planned, "instance_tenancy") != Some("default")
            {
                response
                    .requires_replace
                    .push(vec!["instance_tenancy".into()]);
            }
        }
        "aws_subnet" if changed(planned, "ipv6_cidr_block") => {
            // The new block is associated anew.
            set_unknown(planned, "ipv6_cidr_block_association_id");
        }
        "aws_route53_record" if changed(planned, "type") || changed(planned, "set_identifier") => {
            set_unknown(planned, "id");
        }
        t if t.starts_with("aws_iam_") => crate::iam::adjust_plan(t, prior, planned),
        t if t.starts_with("aws_s3_") => crate::s3::adjust_plan(t, prior, planned),
        _ => {}
    }
}

/// An error when a required argument is still unknown at apply time.
pub fn check_known(type_name: &str, planned: &Value) -> Result<(), ProviderError> {
    let schema = resource_schema(type_name)?;
    for (name, attr) in &schema.block.attributes {
        if attr.required && !get(planned, name).is_known() {
            return Err(ProviderError::InvalidConfig(format!(
                "{type_name}: `{name}` is still unknown at apply time."
            )));
        }
    }
    Ok(())
}

/// The `tags` a refreshed object shows: its tags without the provider's default tags (unless
/// the configuration sets them too, as the prior `tags` tell).
fn own_tags(settings: &Settings, tags_all: &Value, prior_tags: &Value) -> Value {
    let Some(all) = tags_all.as_mapping() else {
        return prior_tags.clone();
    };
    let prior_keys = prior_tags.as_mapping();
    let own: ValueMap = all
        .iter()
        .filter(|(k, v)| {
            prior_keys.is_some_and(|p| p.contains_key(k))
                || settings.default_tags.get(*k).map(String::as_str) != v.as_str()
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if own.is_empty() && prior_tags.is_null() {
        Value::Null
    } else {
        Value::Map(own)
    }
}

fn typed(block: &BlockSchema, name: &str, v: &Value) -> Value {
    match block.attributes.get(name) {
        Some(attr) => convert(v, &attr.ty).unwrap_or_else(|_| v.clone()),
        None => v.clone(),
    }
}

/// The refreshed state: `state` with every observed value that differs (nulls equal empties).
pub fn overlay(
    settings: &Settings,
    type_name: &str,
    block: &BlockSchema,
    state: &Value,
    obs: &Obs,
) -> Value {
    let mut out = state.clone();
    let Value::Object(m) = &mut out else {
        return out;
    };
    for (k, v) in obs {
        if !block.attributes.contains_key(k) && !block.blocks.contains_key(k) {
            continue;
        }
        let v = typed(block, k, v);
        let old = m.get(k).unwrap_or(&Value::Null);
        if !same(&v, old) && !equivalent(type_name, k, &v, old) {
            m.insert(k.clone(), v);
        }
    }
    if let Some(all) = obs.get("tags_all") {
        let prior_tags = m.get("tags").cloned().unwrap_or(Value::Null);
        let tags = own_tags(settings, all, &prior_tags);
        if !same(&tags, &prior_tags) {
            m.insert("tags".into(), tags);
        }
    }
    out
}

/// The applied object: `planned` with each unknown value taken from the observation (null
/// when not observed), recursively into nested blocks.
pub fn fill_unknowns(block: &BlockSchema, planned: &Value, id: &str, obs: &Obs) -> Value {
    fn fill(planned: &Value, seen: &Value) -> Value {
        match (planned, seen) {
            (Value::Unknown(ty), v) => convert(v, ty).unwrap_or_else(|_| v.clone()),
            (Value::Object(p), Value::Object(o) | Value::Map(o)) => Value::Object(
                p.iter()
                    .map(|(k, v)| (k.clone(), fill(v, o.get(k).unwrap_or(&Value::Null))))
                    .collect(),
            ),
            (Value::Object(p), _) => Value::Object(
                p.iter()
                    .map(|(k, v)| (k.clone(), fill(v, &Value::Null)))
                    .collect(),
            ),
            (Value::List(p), Value::List(o)) if p.len() == o.len() => {
                Value::List(p.iter().zip(o).map(|(a, b)| fill(a, b)).collect())
            }
            (Value::List(p), _) => Value::List(p.iter().map(|a| fill(a, &Value::Null)).collect()),
            // Set items are matched, not positioned: the observed item that has every known
            // value of the planned one (an EBS device by its name, size, type…).
            (Value::Set(p), Value::Set(o) | Value::List(o)) => Value::set(
                p.iter()
                    .zip(kit::pair_items(p, o, known_fields_agree))
                    .map(|(a, found)| fill(a, found.map_or(&Value::Null, |i| &o[i])))
                    .collect(),
            ),
            (Value::Set(p), _) => Value::set(p.iter().map(|a| fill(a, &Value::Null)).collect()),
            (v, _) => v.clone(),
        }
    }
    let mut seen: ValueMap = obs
        .iter()
        .map(|(k, v)| (k.clone(), typed(block, k, v)))
        .collect();
    seen.entry("id".into()).or_insert_with(|| Value::string(id));
    fill(planned, &Value::Object(seen))
}

/// Whether every known, non-null scalar of object `planned` is the same in `seen` (maps such as
/// a volume's own tags may be set after the observation was made).
fn known_fields_agree(planned: &Value, seen: &Value) -> bool {
    let scalar = |v: &Value| v.as_mapping().is_none() && v.as_sequence().is_none();
    match planned {
        Value::Object(m) => m
            .iter()
            .all(|(k, v)| !v.is_known() || v.is_null() || !scalar(v) || same(v, get(seen, k))),
        _ => same(planned, seen),
    }
}

/// The state of an imported object: what was observed, schema defaults for the rest.
pub fn imported(settings: &Settings, block: &BlockSchema, id: &str, obs: &Obs) -> Value {
    let mut out = ValueMap::new();
    for (name, attr) in &block.attributes {
        let v = match obs.get(name) {
            Some(v) => typed(block, name, v),
            None if attr.is_argument() => default_value(attr),
            None => Value::Null,
        };
        out.insert(name.clone(), v);
    }
    for (name, nested) in &block.blocks {
        out.insert(
            name.clone(),
            obs.get(name)
                .cloned()
                .unwrap_or_else(|| kit::empty_nested(nested.nesting)),
        );
    }
    if !obs.contains_key("id") {
        out.insert("id".into(), Value::string(id));
    }
    if let Some(all) = obs.get("tags_all") {
        out.insert("tags".into(), own_tags(settings, all, &Value::Null));
    }
    Value::Object(out)
}

/// Whether an observed value means what the state says although it is written differently
/// (a DNS name with or without its trailing dot, `tcp` for protocol `6`, rules AWS groups
/// differently).
pub fn equivalent(type_name: &str, attr: &str, observed: &Value, state: &Value) -> bool {
    match (type_name, attr) {
        ("aws_route53_zone" | "aws_route53_record", "name") => {
            match (observed.as_str(), state.as_str()) {
                (Some(a), Some(b)) => {
                    let (a, b) = (dns_name(a), dns_name(b));
                    // A record's name may be relative to its zone (`www` for www.example.com):
                    // the record was found by its id, which holds the full name.
                    a == b || (type_name == "aws_route53_record" && a.starts_with(&format!("{b}.")))
                }
                _ => false,
            }
        }
        // `6` is `tcp`, `all` is `-1`: AWS answers with the name.
        (
            "aws_vpc_security_group_ingress_rule" | "aws_vpc_security_group_egress_rule",
            "ip_protocol",
        ) => match (observed.as_str(), state.as_str()) {
            (Some(a), Some(b)) => {
                crate::security::rule::protocol_number(a)
                    == crate::security::rule::protocol_number(b)
            }
            _ => false,
        },
        ("aws_security_group", "ingress" | "egress") => {
            crate::security::rule_tuples(observed) == crate::security::rule_tuples(state)
        }
        // Without a `root_block_device` block the root volume is AWS's choice, not managed.
        // The same for the launch options AWS reports (metadata service, CPU, …).
        (
            "aws_instance",
            "root_block_device"
            | "metadata_options"
            | "cpu_options"
            | "enclave_options"
            | "maintenance_options"
            | "private_dns_name_options",
        ) => state.as_sequence().is_some_and(|s| s.is_empty()) && !observed.has_unknown(),
        ("aws_network_acl", "ingress" | "egress") => {
            crate::acl::nacl::entries(observed) == crate::acl::nacl::entries(state)
        }
        (t, a) if t.starts_with("aws_iam_") => crate::iam::equivalent(t, a, observed, state),
        // An instance profile given by ARN is read back by name.
        ("aws_instance", "iam_instance_profile") => match (observed.as_str(), state.as_str()) {
            (Some(a), Some(b)) => crate::compute::instance::profile_name(b) == a,
            _ => false,
        },
        (t, a) if t.starts_with("aws_s3_") => crate::s3::equivalent(t, a, observed, state),
        (t, a) if t.starts_with("aws_eks_") => crate::eks::equivalent(t, a, observed, state),
        _ => false,
    }
}

/// A DNS name compared the way Route 53 does: lower case, no trailing dot.
pub fn dns_name(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// The canonical IP protocol: `tcp` → `6`, `all` → `-1`.
pub fn protocol(p: &str) -> String {
    match p.to_ascii_lowercase().as_str() {
        "tcp" => "6".into(),
        "udp" => "17".into(),
        "icmp" => "1".into(),
        "icmpv6" => "58".into(),
        "all" | "-1" => "-1".into(),
        other => other.into(),
    }
}

/// Checks beyond the schema's types.
pub fn validate(type_name: &str, config: &Value) -> Vec<String> {
    let mut errors = match type_name {
        "aws_security_group_rule" => crate::security::rule::validate(config),
        "aws_vpc_security_group_ingress_rule" | "aws_vpc_security_group_egress_rule" => {
            crate::security::vpc_rule::validate(type_name, config)
        }
        "aws_subnet" => crate::network::subnet::validate(config),
        "aws_instance" => crate::instance_options::validate(config),
        "aws_vpc" => crate::network::vpc::validate(config),
        "aws_eip" if get_bool(config, "vpc") == Some(false) => vec![
            "aws_eip: `vpc = false` asks for an EC2-Classic address, and EC2-Classic is gone; remove `vpc` (every address is `domain = \"vpc\"`).".into(),
        ],
        _ => Vec::new(),
    };
    let cidr_args: &[&str] = match type_name {
        "aws_vpc" | "aws_subnet" => &["cidr_block"],
        _ => &[],
    };
    for name in cidr_args {
        if let Some(text) = get_str(config, name) {
            if !is_ipv4_cidr(text) {
                errors.push(format!(
                    "{type_name}: `{name}` = {text:?} is not an IPv4 CIDR block such as \"10.0.0.0/16\"."
                ));
            }
        }
    }
    errors
}

/// Whether `text` is `a.b.c.d/n`.
pub fn is_ipv4_cidr(text: &str) -> bool {
    let Some((addr, len)) = text.split_once('/') else {
        return false;
    };
    addr.parse::<std::net::Ipv4Addr>().is_ok() && len.parse::<u8>().is_ok_and(|n| n <= 32)
}

/// `tags_all` of the planned object (every tag to set), falling back to `tags` + defaults.
pub fn desired_tags(settings: &Settings, planned: &Value) -> BTreeMap<String, String> {
    if planned.is_null() {
        return BTreeMap::new();
    }
    if let Some(m) = get(planned, "tags_all").as_mapping() {
        return m
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
            .collect();
    }
    merged_tags(settings, get(planned, "tags")).unwrap_or_default()
}

pub fn ec2_tags(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

/// The TagSpecification of a create call: the planned tags plus `skel:address` and (with a
/// token) `skel:token`, set atomically with the create (see [`crate::origin`]).
pub fn tag_spec(
    p: &AwsProvider,
    rt: ResourceType,
    planned: &Value,
    origin: &Origin<'_>,
) -> TagSpecification {
    let mut tags = desired_tags(&p.settings, planned);
    tags.insert(ADDRESS_TAG.into(), origin.address.into());
    if let Some(token) = origin.token {
        tags.insert(TOKEN_TAG.into(), token.into());
    }
    TagSpecification::builder()
        .resource_type(rt)
        .set_tags(Some(ec2_tags(&tags)))
        .build()
}

/// `tags_all` as observed: every tag but `skel:*`.
pub fn tags_obs<'a>(tags: impl IntoIterator<Item = &'a Tag>) -> Value {
    Value::Map(
        tags.into_iter()
            .filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or_default())))
            // `aws:` tags are AWS's own (a launch template's id), never the user's.
            .filter(|(k, _)| !k.starts_with("skel:") && !k.starts_with("aws:"))
            .map(|(k, v)| (k, Value::string(v)))
            .collect(),
    )
}

/// Brings the tags of EC2 object `id` from `prior`'s to `planned`'s (CreateTags, DeleteTags).
pub async fn update_tags(
    p: &AwsProvider,
    what: &str,
    id: &str,
    prior: &Value,
    planned: &Value,
) -> Result<(), ProviderError> {
    let old = desired_tags(&p.settings, prior);
    let new = desired_tags(&p.settings, planned);
    retag(p.ec2().await?, what, id, &old, new).await
}

/// Brings the tags of EC2 object `id` from `old` to `new`: one DeleteTags for the keys that go,
/// one CreateTags for the ones that are new or changed (none when nothing differs).
pub async fn retag(
    ec2: &Client,
    what: &str,
    id: &str,
    old: &BTreeMap<String, String>,
    new: BTreeMap<String, String>,
) -> Result<(), ProviderError> {
    let removed: Vec<Tag> = old
        .keys()
        .filter(|k| !new.contains_key(*k))
        .map(|k| Tag::builder().key(k).build())
        .collect();
    if !removed.is_empty() {
        ec2.delete_tags()
            .resources(id)
            .set_tags(Some(removed))
            .send()
            .await
            .or_fail(what)?;
    }
    let changed: BTreeMap<String, String> = new
        .into_iter()
        .filter(|(k, v)| old.get(k) != Some(v))
        .collect();
    if !changed.is_empty() {
        ec2.create_tags()
            .resources(id)
            .set_tags(Some(ec2_tags(&changed)))
            .send()
            .await
            .or_fail(what)?;
    }
    Ok(())
}

/// Names an object for messages: `aws_vpc vpc-123`.
pub fn object_name(type_name: &str, id: &str) -> String {
    format!("{type_name} `{id}`")
}

/// The id of the object an apply made, for messages and results.
pub fn id_of(state: &Value) -> String {
    get_str(state, "id").unwrap_or_default().to_string()
}

/// Reads `ids` with one batch call of `f` (observations by id; missing ids are gone); when the
/// batch fails because one id is gone (`*.NotFound`), falls back to one call per id.
pub async fn batched<F, Fut>(
    type_name: &str,
    ids: &[String],
    f: F,
) -> Result<Vec<Option<Obs>>, ProviderError>
where
    F: Fn(Vec<String>) -> Fut,
    Fut: std::future::Future<Output = Result<BTreeMap<String, Obs>, AwsErr>>,
{
    match f(ids.to_vec()).await {
        Ok(mut found) => Ok(ids.iter().map(|id| found.remove(id)).collect()),
        Err(e) if e.is_not_found() && ids.len() == 1 => Ok(vec![None]),
        Err(e) if e.is_not_found() => {
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                match f(vec![id.clone()]).await {
                    Ok(mut found) => out.push(found.remove(id)),
                    Err(e) if e.is_not_found() => out.push(None),
                    Err(e) => {
                        return Err(
                            e.into_provider(&format!("reading {}", object_name(type_name, id)))
                        )
                    }
                }
            }
            Ok(out)
        }
        Err(e) => Err(e.into_provider(&format!("reading {type_name} {}", ids.join(", ")))),
    }
}

/// Deletes with `call`, retried while something the object depends on is still going away
/// ([`DEPENDENCY`]); an object that is already gone counts as deleted.
pub async fn delete_retrying<T, F, Fut>(what: &str, call: F) -> Result<(), ProviderError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, AwsErr>>,
{
    deleted(retry_on(DEPENDENCY, call).await, what)
}

/// The outcome of a delete call: an object that is already gone counts as deleted.
pub fn deleted<T>(result: Result<T, AwsErr>, what: &str) -> Result<(), ProviderError> {
    match result {
        Err(e) if e.is_not_found() => Ok(()),
        Err(e) => Err(e.into_provider(what)),
        Ok(_) => Ok(()),
    }
}
