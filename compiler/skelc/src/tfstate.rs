//! Terraform state (format version 4, Terraform ≥ 0.12 and OpenTofu) turned into skel's state,
//! for `skelc state migrate --from-terraform`: addresses, providers, attributes (kept as far
//! as skel's schema has them, renamed where skel's names differ), sensitive paths,
//! dependencies, outputs, `create_before_destroy`, tainted and deposed objects. Pure: reads
//! bytes, returns a [`Migrated`] or a [`MigrateError`]; messages never contain a value.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use serde_json::Value;
use skel_hir::providers::ProviderSource;
use skel_plan_ir::{InstanceAddr, InstanceStatus, OutputState, ResourceInstanceState, State};
use skel_schema::{BlockSchema, Nesting, ProviderSchema, ResourceSchema};

/// The providers skel has, by Terraform's provider type name.
pub const PROVIDERS: &[&str] = &["null", "local", "random", "aws", "kubernetes"];

/// Attributes whose Terraform name differs from skel's: `(type, terraform name, skel name)`.
/// The Terraform name is used only when the state has no value under skel's name (older
/// provider versions wrote the old name).
pub const RENAMES: &[(&str, &str, &str)] = &[
    ("random_string", "number", "numeric"),
    ("random_password", "number", "numeric"),
];

/// Why a Terraform state cannot be migrated. Nothing is written when one is returned.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error("{path} is not a Terraform state file: it is not JSON ({detail})")]
    NotJson { path: String, detail: String },
    #[error(
        "{path} is encrypted (OpenTofu state encryption, {provider}): decrypt it with OpenTofu \
         first (`tofu state pull > plain.tfstate` with the encryption configured), then migrate \
         the plain file"
    )]
    Encrypted { path: String, provider: String },
    #[error("{path} is not a Terraform state file: {detail}")]
    NotState { path: String, detail: String },
    #[error(
        "{path} has Terraform state format version {version}; only version 4 (Terraform 0.12 \
         and later, OpenTofu) can be migrated{hint}"
    )]
    Version {
        path: String,
        version: String,
        hint: &'static str,
    },
    #[error(
        "{path} holds resources of providers skel does not have, so it cannot be migrated \
         (nothing was written):\n{}\nskel has the providers {}. Remove them from the Terraform \
         state first (`terraform state rm ADDRESS`) if skel should not manage them.",
        list.iter().map(|l| format!("  - {l}")).collect::<Vec<_>>().join("\n"),
        PROVIDERS.join(", ")
    )]
    Unsupported { path: String, list: Vec<String> },
}

/// The result of a migration, with what a user should be told about it.
#[derive(Debug)]
pub struct Migrated {
    pub state: State,
    pub terraform_version: String,
    pub managed: usize,
    pub data: usize,
    /// `type.attribute` names dropped because skel's schema has no such attribute.
    pub dropped: BTreeSet<String>,
}

#[derive(Deserialize)]
struct TfState {
    #[serde(default)]
    terraform_version: String,
    #[serde(default)]
    serial: u64,
    #[serde(default)]
    lineage: String,
    #[serde(default)]
    outputs: BTreeMap<String, TfOutput>,
    #[serde(default)]
    resources: Vec<TfResource>,
}

#[derive(Deserialize)]
struct TfOutput {
    value: Value,
    #[serde(default)]
    sensitive: bool,
}

#[derive(Deserialize)]
struct TfResource {
    #[serde(default)]
    module: Option<String>,
    mode: String,
    #[serde(rename = "type")]
    type_name: String,
    name: String,
    provider: String,
    #[serde(default)]
    instances: Vec<TfInstance>,
}

#[derive(Deserialize)]
struct TfInstance {
    #[serde(default)]
    index_key: Option<Value>,
    #[serde(default)]
    attributes: Option<Value>,
    #[serde(default)]
    sensitive_attributes: Vec<Vec<TfPathStep>>,
    #[serde(default)]
    dependencies: Vec<String>,
    #[serde(default)]
    create_before_destroy: bool,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    deposed: Option<String>,
    /// The provider's private data, base64, as skel keeps it too.
    #[serde(default)]
    private: Option<String>,
    /// The version of the resource schema the object was written under.
    #[serde(default)]
    schema_version: Option<u64>,
}

/// One step of a cty path as Terraform writes it: `{"type":"get_attr","value":"triggers"}` or
/// `{"type":"index","value":{"value":"k","type":"string"}}`.
#[derive(Deserialize)]
struct TfPathStep {
    #[serde(rename = "type")]
    kind: String,
    value: Value,
}

/// What the target configuration says of a provider source: `None` when it does not require
/// it as a plugin; else the local name and the plugin's stored schema (or why there is none).
pub type PluginLookup<'a> =
    &'a dyn Fn(&ProviderSource) -> Option<(String, Result<&'static ProviderSchema, String>)>;

/// Convert the Terraform state `bytes` read from `path` (named in messages), for a
/// configuration without plugins.
#[cfg(test)]
pub fn migrate(path: &str, bytes: &[u8]) -> Result<Migrated, MigrateError> {
    migrate_with(path, bytes, &|_| None)
}

/// Convert the Terraform state `bytes` read from `path` (named in messages). A resource of a
/// provider the configuration requires as a plugin (`plugins`) carries over as Terraform wrote
/// it, under the plugin's stored schema; the others go to skel's built-in providers.
pub fn migrate_with(
    path: &str,
    bytes: &[u8],
    plugins: PluginLookup,
) -> Result<Migrated, MigrateError> {
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let raw: Value = serde_json::from_slice(text).map_err(|e| MigrateError::NotJson {
        path: path.into(),
        detail: format!("line {} column {}: {}", e.line(), e.column(), category(&e)),
    })?;
    let not_state = |detail: &str| MigrateError::NotState {
        path: path.into(),
        detail: detail.into(),
    };
    let Some(object) = raw.as_object() else {
        return Err(not_state("the top level is not a JSON object"));
    };
    if object.contains_key("encrypted_data") {
        let provider = object
            .get("meta")
            .and_then(Value::as_object)
            .and_then(|m| m.keys().next().cloned())
            .unwrap_or_else(|| "unknown key provider".into());
        return Err(MigrateError::Encrypted {
            path: path.into(),
            provider,
        });
    }
    match object.get("version") {
        Some(Value::Number(n)) if n.as_u64() == Some(4) => {}
        Some(Value::Number(n)) => {
            return Err(MigrateError::Version {
                path: path.into(),
                version: n.to_string(),
                hint: match n.as_u64() {
                    Some(v) if v < 4 => {
                        ": run `terraform apply` (or `terraform refresh`) with Terraform 0.12 or \
                         later once to upgrade it"
                    }
                    _ => ": this skelc does not know that newer format",
                },
            })
        }
        Some(_) => return Err(not_state("`version` is not a number")),
        None if object.contains_key("lineage") || object.contains_key("resources") => {
            return Err(not_state("it has no `version`"))
        }
        None => {
            return Err(not_state(
                "it has no `version`, `lineage` or `resources` (a skel state or another file?)",
            ))
        }
    }
    let tf: TfState = serde_json::from_value(raw).map_err(|e| MigrateError::NotState {
        path: path.into(),
        detail: format!(
            "a field has the wrong shape ({})",
            category_plain(&e.to_string())
        ),
    })?;
    convert(path, tf, plugins)
}

/// A JSON parse error's kind without any of the input's text.
fn category(e: &serde_json::Error) -> &'static str {
    match e.classify() {
        serde_json::error::Category::Eof => "the file ends too early (truncated?)",
        serde_json::error::Category::Syntax => "syntax error",
        serde_json::error::Category::Data => "unexpected data",
        serde_json::error::Category::Io => "read error",
    }
}

/// serde's message for a shape error names fields and expected types, never values; cut it at
/// the position suffix to keep it short.
fn category_plain(message: &str) -> String {
    message
        .split(" at line")
        .next()
        .unwrap_or(message)
        .to_string()
}

/// How one Terraform resource carries over: its provider, the schema, and whether that is a
/// plugin's (attributes kept as written) or skel's built-in one (fitted to skel's names).
struct Target {
    provider: TfProvider,
    schema: &'static ResourceSchema,
    plugin: bool,
}

fn convert(path: &str, tf: TfState, plugins: PluginLookup) -> Result<Migrated, MigrateError> {
    // First every refusal, so the user sees the whole list at once.
    let mut unsupported = Vec::new();
    let mut providers: Vec<Option<Target>> = Vec::with_capacity(tf.resources.len());
    for r in &tf.resources {
        let address = resource_address(r);
        let mut provider = match parse_provider(&r.provider) {
            Ok(p) => p,
            Err(why) => {
                unsupported.push(format!("{address}: {why}"));
                providers.push(None);
                continue;
            }
        };
        if !matches!(r.mode.as_str(), "managed" | "data") {
            unsupported.push(format!("{address}: unknown mode `{}`", r.mode));
            providers.push(None);
            continue;
        }
        let kind = if r.mode == "data" {
            "data source"
        } else {
            "resource"
        };
        if let Some((local_name, stored)) = provider.source().as_ref().and_then(plugins) {
            let source = provider.source_text();
            match stored {
                Err(why) => unsupported.push(format!(
                    "{address}: provider {source} is a plugin of this configuration without a                      stored schema ({why}); run `skelc init` first"
                )),
                Ok(schema) => {
                    let found = match r.mode.as_str() {
                        "managed" => schema.resources.get(&r.type_name),
                        _ => schema.data_sources.get(&r.type_name),
                    };
                    match found {
                        None => unsupported.push(format!(
                            "{address}: the plugin {source} has no {kind} type `{}`",
                            r.type_name
                        )),
                        Some(schema) => {
                            provider.type_name = local_name;
                            providers.push(Some(Target {
                                provider,
                                schema,
                                plugin: true,
                            }));
                            continue;
                        }
                    }
                }
            }
            providers.push(None);
            continue;
        }
        if let Err(why) = provider.check_builtin() {
            unsupported.push(format!("{address}: {why}"));
            providers.push(None);
            continue;
        }
        let schema = match r.mode.as_str() {
            "managed" => skel_schema::resource(&r.type_name),
            _ => skel_schema::data_source(&r.type_name),
        };
        if !PROVIDERS.contains(&provider.type_name.as_str()) {
            unsupported.push(format!(
                "{address} (provider {})",
                r.provider.replace('"', "")
            ));
            providers.push(None);
        } else if let Some(schema) = schema {
            providers.push(Some(Target {
                provider,
                schema,
                plugin: false,
            }));
        } else {
            unsupported.push(format!(
                "{address}: skel's {} provider has no {kind} type `{}`",
                provider.type_name, r.type_name
            ));
            providers.push(None);
        }
    }
    if !unsupported.is_empty() {
        return Err(MigrateError::Unsupported {
            path: path.into(),
            list: unsupported,
        });
    }

    // Terraform records dependencies per resource; skel per instance.
    let mut instances_of: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in &tf.resources {
        let base = resource_address(r);
        for i in r.instances.iter().filter(|i| i.deposed.is_none()) {
            instances_of
                .entry(base.clone())
                .or_default()
                .push(format!("{base}{}", key_text(i.index_key.as_ref())));
        }
    }

    let lineage = if tf.lineage.is_empty() {
        uuid::Uuid::new_v4().to_string()
    } else {
        tf.lineage.clone()
    };
    let mut state = State::new(lineage);
    state.serial = tf.serial;
    let mut dropped = BTreeSet::new();
    let (mut managed, mut data) = (0, 0);
    let mut deposed: Vec<(InstanceAddr, Value)> = Vec::new();
    for (r, target) in tf.resources.iter().zip(providers) {
        let Some(Target {
            provider,
            schema,
            plugin,
        }) = target
        else {
            continue; // refused above
        };
        let base = resource_address(r);
        for instance in &r.instances {
            let text = format!("{base}{}", key_text(instance.index_key.as_ref()));
            let addr: InstanceAddr =
                text.parse()
                    .map_err(|e: skel_plan_ir::AddrParseError| MigrateError::NotState {
                        path: path.into(),
                        detail: e.to_string(),
                    })?;
            let attributes = instance.attributes.clone().unwrap_or(Value::Null);
            let mut attributes = match attributes {
                Value::Object(map) => Value::Object(map),
                _ => {
                    return Err(MigrateError::NotState {
                        path: path.into(),
                        detail: format!("`{text}` has no `attributes` object"),
                    })
                }
            };
            // A plugin reads back what it wrote: its attributes stay as Terraform kept them.
            if !plugin {
                rename(&r.type_name, &mut attributes);
                attributes = fit(&attributes, &schema.block, &r.type_name, &mut dropped);
            }
            if instance.deposed.is_some() {
                deposed.push((addr, attributes));
                continue;
            }
            let mut sensitive_paths: Vec<Vec<String>> = instance
                .sensitive_attributes
                .iter()
                .filter_map(|p| skel_path(p))
                .collect();
            for (name, a) in &schema.block.attributes {
                let derived = a.derived_from.iter().any(|d| {
                    schema.block.attributes.get(d).is_some_and(|d| d.sensitive)
                        || sensitive_paths.iter().any(|p| p.first() == Some(d))
                });
                if (a.sensitive || derived) && !attributes[name.as_str()].is_null() {
                    sensitive_paths.push(vec![name.clone()]);
                }
            }
            sensitive_paths.sort();
            sensitive_paths.dedup();
            let mut dependencies: Vec<String> = instance
                .dependencies
                .iter()
                .flat_map(|d| match instances_of.get(d) {
                    Some(list) => list.clone(),
                    None => vec![d.clone()],
                })
                .collect();
            dependencies.sort();
            dependencies.dedup();
            match r.mode.as_str() {
                "managed" => managed += 1,
                _ => data += 1,
            }
            state.resources.insert(
                addr,
                ResourceInstanceState {
                    provider: provider.key(),
                    attributes,
                    sensitive_paths,
                    dependencies,
                    create_before_destroy: instance.create_before_destroy,
                    status: match instance.status.as_deref() {
                        Some("tainted") => InstanceStatus::Tainted,
                        _ => InstanceStatus::Ready,
                    },
                    deposed: Vec::new(),
                    private: instance.private.clone().filter(|p| !p.is_empty()),
                    schema_version: instance.schema_version,
                },
            );
        }
    }
    for (addr, object) in deposed {
        match state.resources.get_mut(&addr) {
            Some(current) => current.deposed.push(object),
            None => {
                return Err(MigrateError::NotState {
                    path: path.into(),
                    detail: format!(
                        "`{addr}` has a deposed object but no current one; finish the \
                         interrupted replacement with `terraform apply` first"
                    ),
                })
            }
        }
    }
    state.outputs = tf
        .outputs
        .into_iter()
        .map(|(name, o)| {
            (
                name,
                OutputState {
                    value: o.value,
                    sensitive: o.sensitive,
                },
            )
        })
        .collect();
    Ok(Migrated {
        state,
        terraform_version: tf.terraform_version,
        managed,
        data,
        dropped,
    })
}

/// `module.a["k"].data.type.name`, as Terraform and skel both write it.
fn resource_address(r: &TfResource) -> String {
    let mut text = String::new();
    if let Some(module) = r.module.as_deref().filter(|m| !m.is_empty()) {
        text.push_str(module);
        text.push('.');
    }
    if r.mode == "data" {
        text.push_str("data.");
    }
    text.push_str(&r.type_name);
    text.push('.');
    text.push_str(&r.name);
    text
}

fn key_text(key: Option<&Value>) -> String {
    match key {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => format!("[{}]", Value::String(s.clone())),
        Some(other) => format!("[{other}]"),
    }
}

/// A provider configuration address: the module that declares it, the provider's type name
/// and the alias.
#[derive(Debug, PartialEq)]
struct TfProvider {
    module: String,
    type_name: String,
    alias: Option<String>,
    /// `HOST/NAMESPACE/TYPE` as written; `None` in the 0.12 form (`hashicorp/TYPE`).
    source: Option<(String, String, String)>,
}

impl TfProvider {
    /// The source address, parsed (`None` when it is not one a configuration can require).
    fn source(&self) -> Option<ProviderSource> {
        match &self.source {
            Some((host, namespace, type_name)) => {
                ProviderSource::parse(&format!("{host}/{namespace}/{type_name}")).ok()
            }
            None => ProviderSource::parse(&self.type_name).ok(),
        }
    }

    /// The source as the state wrote it, for messages.
    fn source_text(&self) -> String {
        match &self.source {
            Some((host, namespace, type_name)) => format!("{host}/{namespace}/{type_name}"),
            None => format!("hashicorp/{}", self.type_name),
        }
    }

    /// A provider skel's built-in ones can stand for: `hashicorp` (or `-`) on Terraform's or
    /// OpenTofu's registry. Someone else's provider is not, even with a known type name.
    fn check_builtin(&self) -> Result<(), String> {
        let Some((host, namespace, type_name)) = &self.source else {
            return Ok(());
        };
        let known_host = matches!(
            host.as_str(),
            "registry.terraform.io" | "registry.opentofu.org"
        );
        if !known_host || !matches!(namespace.as_str(), "hashicorp" | "-") {
            return Err(format!(
                "provider {host}/{namespace}/{type_name} is not one of skel's (skel has \
                 hashicorp/{}); require it as a plugin in the configuration to migrate it",
                PROVIDERS.join(", hashicorp/")
            ));
        }
        Ok(())
    }

    /// skel's provider key: `aws`, `aws.west`, `module.net.aws`.
    fn key(&self) -> String {
        let mut key = self.module.clone();
        if !key.is_empty() {
            key.push('.');
        }
        key.push_str(&self.type_name);
        if let Some(alias) = &self.alias {
            key.push('.');
            key.push_str(alias);
        }
        key
    }
}

/// Parse `provider["registry.terraform.io/hashicorp/aws"].west` (optionally after
/// `module.a.`), or the 0.12 form `provider.aws.west`. A provider outside the `hashicorp`
/// namespace is someone else's, even with a known type name.
fn parse_provider(text: &str) -> Result<TfProvider, String> {
    let bad = || format!("unreadable provider address `{}`", text.replace('"', "'"));
    let start = if text.starts_with("provider") {
        0
    } else {
        text.find(".provider").map(|i| i + 1).ok_or_else(bad)?
    };
    let module = text[..start].trim_end_matches('.').to_string();
    let rest = &text[start + "provider".len()..];
    let (type_name, alias, source) = if let Some(rest) = rest.strip_prefix("[\"") {
        let end = rest.find("\"]").ok_or_else(bad)?;
        let source = &rest[..end];
        let alias = rest[end + 2..].strip_prefix('.').map(str::to_string);
        let parts: Vec<&str> = source.split('/').collect();
        let (host, namespace, type_name) = match parts.as_slice() {
            [host, namespace, type_name] => (*host, *namespace, *type_name),
            [namespace, type_name] => ("registry.terraform.io", *namespace, *type_name),
            _ => return Err(bad()),
        };
        (
            type_name.to_string(),
            alias,
            Some((
                host.to_string(),
                namespace.to_string(),
                type_name.to_string(),
            )),
        )
    } else if let Some(rest) = rest.strip_prefix('.') {
        let mut parts = rest.splitn(2, '.');
        let type_name = parts.next().unwrap_or_default().to_string();
        (type_name, parts.next().map(str::to_string), None)
    } else {
        return Err(bad());
    };
    if type_name.is_empty() || alias.as_deref() == Some("") {
        return Err(bad());
    }
    Ok(TfProvider {
        module,
        type_name,
        alias,
        source,
    })
}

fn rename(type_name: &str, attributes: &mut Value) {
    let Some(map) = attributes.as_object_mut() else {
        return;
    };
    for (ty, from, to) in RENAMES {
        if *ty == type_name && map.get(*to).is_none_or(Value::is_null) {
            if let Some(value) = map.remove(*from) {
                map.insert((*to).to_string(), value);
            }
        } else if *ty == type_name {
            map.remove(*from);
        }
    }
}

/// The attributes skel's schema has, every other one dropped (its name recorded), attributes
/// the state lacks set to null, an unset optional argument (`""`, `[]`, `{}` without a default)
/// null, nested blocks reshaped to the schema's nesting.
fn fit(value: &Value, block: &BlockSchema, path: &str, dropped: &mut BTreeSet<String>) -> Value {
    let Some(map) = value.as_object() else {
        return value.clone();
    };
    let mut out = serde_json::Map::new();
    for (name, v) in map {
        if block
            .attributes
            .get(name)
            .is_some_and(|a| a.removed.is_some())
            || block.blocks.get(name).is_some_and(|b| b.removed.is_some())
        {
            // An argument or block type the provider removed (v6's `cpu_core_count`, a
            // bucket's inline `versioning`): skel does not manage it.
            dropped.insert(format!("{path}.{name}"));
        } else if let Some(a) = block.attributes.get(name) {
            // Terraform's SDKv2 providers write an unset optional argument as its type's empty
            // value; skel writes null, which is what an unset argument plans to.
            let unset = a.optional && !a.computed && a.default.is_none() && is_empty(v);
            out.insert(name.clone(), if unset { Value::Null } else { v.clone() });
        } else if let Some(nested) = block.blocks.get(name) {
            let inner = format!("{path}.{name}");
            let fitted = match (nested.nesting, v) {
                (_, Value::Null) => Value::Null,
                (Nesting::Single, Value::Array(items)) => items
                    .first()
                    .map(|i| fit(i, &nested.block, &inner, dropped))
                    .unwrap_or(Value::Null),
                (Nesting::Single, other) => fit(other, &nested.block, &inner, dropped),
                (Nesting::Map, Value::Object(entries)) => Value::Object(
                    entries
                        .iter()
                        .map(|(k, e)| (k.clone(), fit(e, &nested.block, &inner, dropped)))
                        .collect(),
                ),
                (_, Value::Array(items)) => Value::Array(
                    items
                        .iter()
                        .map(|i| fit(i, &nested.block, &inner, dropped))
                        .collect(),
                ),
                (_, other @ Value::Object(_)) => {
                    Value::Array(vec![fit(other, &nested.block, &inner, dropped)])
                }
                (_, other) => other.clone(),
            };
            out.insert(name.clone(), fitted);
        } else {
            dropped.insert(format!("{path}.{name}"));
        }
    }
    for name in block.attributes.keys() {
        out.entry(name.clone()).or_insert(Value::Null);
    }
    Value::Object(out)
}

/// `""`, `0`, `[]` or `{}`.
fn is_empty(value: &Value) -> bool {
    match value {
        Value::String(s) => s.is_empty(),
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::Array(items) => items.is_empty(),
        Value::Object(map) => map.is_empty(),
        _ => false,
    }
}

/// A Terraform sensitive path as skel writes it: attribute names and keys, list indexes as
/// decimal strings. `None` for a step skel cannot express.
fn skel_path(steps: &[TfPathStep]) -> Option<Vec<String>> {
    steps
        .iter()
        .map(|step| match step.kind.as_str() {
            "get_attr" => step.value.as_str().map(str::to_string),
            "index" => match step.value.get("value") {
                Some(Value::String(s)) => Some(s.clone()),
                Some(Value::Number(n)) => Some(n.to_string()),
                _ => None,
            },
            _ => None,
        })
        .collect::<Option<Vec<String>>>()
        .filter(|p| !p.is_empty())
}

#[cfg(test)]
#[path = "tfstate_tests.rs"]
mod tests;
