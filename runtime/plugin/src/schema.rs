//! A plugin's schema in skel's schema model (`skel_schema`), and that model written in the JSON
//! format of `compiler/schema/data`, which `skel_schema::load_str` reads back (what
//! `skelc init` stores next to a plugin for the checker).
//!
//! Protocol 5 schemas are first lifted to protocol 6's messages (the same fields, without
//! nested attributes). Mapping:
//! - attributes keep required/optional/computed/sensitive and their description (markdown
//!   descriptions as they are); `deprecated` becomes a deprecation note;
//! - a protocol 6 nested attribute becomes an attribute whose type is an object (or a list,
//!   set or map of objects) of its nested attributes, those that are not required being
//!   `optional(...)` object attributes; the inner attributes' own flags are not kept, except
//!   that a sensitive one makes the whole attribute sensitive;
//! - nested blocks keep their nesting (`GROUP` is `Single`), min and max items (0 = no max);
//! - no attribute is `force_new`: a plugin says what forces replacement when it plans;
//! - every resource type may be imported (the plugin decides which ids it accepts).

use std::collections::BTreeMap;

use serde_json::{json, Map, Value as J};
use skel_schema::{
    AttributeSchema, BlockSchema, NestedBlockSchema, Nesting, ProviderSchema, ResourceSchema,
};
use skel_value::{ObjectType, Type, Value, ValueMap};

use crate::cty::{self, DecodeError};
use crate::proto::{tfplugin5 as v5, tfplugin6 as v6};

/// What `import_id` says for plugin resources.
pub const PLUGIN_IMPORT_ID: &str = "an id the provider accepts for import";
const DEPRECATED: &str = "deprecated by the provider";

/// A converted provider schema and the schema version of each resource type (for
/// `UpgradeResourceState`).
#[derive(Clone, Debug)]
pub struct ConvertedSchema {
    pub schema: ProviderSchema,
    pub resource_versions: BTreeMap<String, i64>,
    /// The object type of each resource type, data source and the configuration (what values
    /// are encoded and decoded with), worked out once.
    pub resource_types: BTreeMap<String, Type>,
    pub data_source_types: BTreeMap<String, Type>,
    pub config_type: Type,
}

/// A schema element whose type is no cty type: where, and what is wrong.
#[derive(Debug)]
pub struct SchemaDecodeError {
    pub path: String,
    pub source: DecodeError,
}

/// Converts a protocol 6 `GetProviderSchema` answer.
pub fn from_v6(
    name: &str,
    response: &v6::get_provider_schema::Response,
) -> Result<ConvertedSchema, SchemaDecodeError> {
    let config = match response.provider.as_ref().and_then(|s| s.block.as_ref()) {
        Some(b) => block(b, &format!("provider {name}"))?,
        None => BlockSchema::default(),
    };
    let mut resource_versions = BTreeMap::new();
    let mut types = |map: &std::collections::HashMap<String, v6::Schema>, kind: &str| {
        let mut out = BTreeMap::new();
        for (type_name, s) in map {
            let b = match &s.block {
                Some(b) => block(b, &format!("{kind} {type_name}"))?,
                None => BlockSchema::default(),
            };
            if kind == "resource" {
                resource_versions.insert(type_name.clone(), s.version);
            }
            out.insert(
                type_name.clone(),
                ResourceSchema {
                    description: b.description.clone(),
                    block: b,
                    import_id: (kind == "resource").then(|| PLUGIN_IMPORT_ID.to_string()),
                },
            );
        }
        Ok::<_, SchemaDecodeError>(out)
    };
    let resources = types(&response.resource_schemas, "resource")?;
    let data_sources = types(&response.data_source_schemas, "data source")?;
    let types = |map: &BTreeMap<String, ResourceSchema>| {
        map.iter()
            .map(|(k, r)| (k.clone(), r.computed_object_type()))
            .collect()
    };
    Ok(ConvertedSchema {
        resource_types: types(&resources),
        data_source_types: types(&data_sources),
        config_type: config.computed_object_type(),
        schema: ProviderSchema {
            name: name.to_string(),
            config,
            resources,
            data_sources,
        },
        resource_versions,
    })
}

/// Converts a protocol 5 `GetSchema` answer.
pub fn from_v5(
    name: &str,
    response: &v5::get_provider_schema::Response,
) -> Result<ConvertedSchema, SchemaDecodeError> {
    let lift = |s: &v5::Schema| v6::Schema {
        version: s.version,
        block: s.block.as_ref().map(lift_block),
    };
    let lifted = v6::get_provider_schema::Response {
        provider: response.provider.as_ref().map(lift),
        resource_schemas: response
            .resource_schemas
            .iter()
            .map(|(k, s)| (k.clone(), lift(s)))
            .collect(),
        data_source_schemas: response
            .data_source_schemas
            .iter()
            .map(|(k, s)| (k.clone(), lift(s)))
            .collect(),
        ..Default::default()
    };
    from_v6(name, &lifted)
}

fn lift_block(b: &v5::schema::Block) -> v6::schema::Block {
    v6::schema::Block {
        version: b.version,
        attributes: b
            .attributes
            .iter()
            .map(|a| v6::schema::Attribute {
                name: a.name.clone(),
                r#type: a.r#type.clone(),
                nested_type: None,
                description: a.description.clone(),
                required: a.required,
                optional: a.optional,
                computed: a.computed,
                sensitive: a.sensitive,
                description_kind: a.description_kind,
                deprecated: a.deprecated,
                write_only: a.write_only,
            })
            .collect(),
        block_types: b
            .block_types
            .iter()
            .map(|n| v6::schema::NestedBlock {
                type_name: n.type_name.clone(),
                block: n.block.as_ref().map(lift_block),
                nesting: n.nesting,
                min_items: n.min_items,
                max_items: n.max_items,
            })
            .collect(),
        description: b.description.clone(),
        description_kind: b.description_kind,
        deprecated: b.deprecated,
    }
}

fn block(b: &v6::schema::Block, path: &str) -> Result<BlockSchema, SchemaDecodeError> {
    let mut attributes = BTreeMap::new();
    for a in &b.attributes {
        let path = format!("{path}.{}", a.name);
        let ty = attribute_type(a, &path)?;
        attributes.insert(
            a.name.clone(),
            AttributeSchema {
                ty,
                required: a.required,
                optional: a.optional,
                computed: a.computed,
                sensitive: a.sensitive || nested_sensitive(a),
                force_new: false,
                description: a.description.clone(),
                default: None,
                derived_from: Vec::new(),
                deprecated: a.deprecated.then(|| DEPRECATED.to_string()),
                removed: None,
            },
        );
    }
    let mut blocks = BTreeMap::new();
    for n in &b.block_types {
        use v6::schema::nested_block::NestingMode as M;
        let path = format!("{path}.{}", n.type_name);
        let nesting = match M::try_from(n.nesting) {
            Ok(M::List) => Nesting::List,
            Ok(M::Set) => Nesting::Set,
            Ok(M::Map) => Nesting::Map,
            Ok(M::Single | M::Group) => Nesting::Single,
            Ok(M::Invalid) | Err(_) => {
                return Err(SchemaDecodeError {
                    path,
                    source: DecodeError {
                        problem: format!("nesting mode {} is not one skel knows", n.nesting),
                        path: String::new(),
                    },
                })
            }
        };
        let inner = match &n.block {
            Some(inner) => block(inner, &path)?,
            None => BlockSchema::default(),
        };
        let deprecated = n.block.as_ref().is_some_and(|b| b.deprecated);
        blocks.insert(
            n.type_name.clone(),
            NestedBlockSchema {
                nesting,
                min_items: u32::try_from(n.min_items.max(0)).unwrap_or(u32::MAX),
                max_items: (n.max_items > 0)
                    .then(|| u32::try_from(n.max_items).unwrap_or(u32::MAX)),
                block: inner,
                force_new: false,
                computed: false,
                deprecated: deprecated.then(|| DEPRECATED.to_string()),
                removed: None,
            },
        );
    }
    Ok(BlockSchema {
        attributes,
        blocks,
        description: b.description.clone(),
    })
}

fn attribute_type(a: &v6::schema::Attribute, path: &str) -> Result<Type, SchemaDecodeError> {
    if let Some(nested) = &a.nested_type {
        return nested_type(nested, path);
    }
    cty::type_from_json_bytes(&a.r#type).map_err(|source| SchemaDecodeError {
        path: path.to_string(),
        source,
    })
}

/// Whether any attribute nested in `a` is sensitive: the model has no flags inside a type, so
/// the whole attribute is (plans never show a nested secret).
fn nested_sensitive(a: &v6::schema::Attribute) -> bool {
    a.nested_type.as_ref().is_some_and(|o| {
        o.attributes
            .iter()
            .any(|inner| inner.sensitive || nested_sensitive(inner))
    })
}

/// The type of a protocol 6 nested attribute.
fn nested_type(o: &v6::schema::Object, path: &str) -> Result<Type, SchemaDecodeError> {
    use v6::schema::object::NestingMode as M;
    let mut obj = ObjectType::default();
    for a in &o.attributes {
        let ty = attribute_type(a, &format!("{path}.{}", a.name))?;
        obj.attrs.insert(a.name.clone(), ty);
        if !a.required {
            obj.optional.insert(a.name.clone(), None);
        }
    }
    let obj = Type::Object(obj);
    match M::try_from(o.nesting) {
        Ok(M::Single) => Ok(obj),
        Ok(M::List) => Ok(Type::list(obj)),
        Ok(M::Set) => Ok(Type::set(obj)),
        Ok(M::Map) => Ok(Type::map(obj)),
        Ok(M::Invalid) | Err(_) => Err(SchemaDecodeError {
            path: path.to_string(),
            source: DecodeError {
                problem: format!(
                    "nested attribute nesting mode {} is not one skel knows",
                    o.nesting
                ),
                path: String::new(),
            },
        }),
    }
}

/// A block's value as the protocol expects it: every attribute present (null when the value has
/// none), nested blocks of `list`, `set` and `map` nesting an empty collection when absent or
/// null (`single` ones null), the same inside every nested block. Null and unknown values are
/// left as they are.
pub fn normalize(block: &BlockSchema, value: &Value) -> Value {
    let map = match value {
        Value::Object(m) | Value::Map(m) => m,
        Value::Marked(inner, marks) => {
            return Value::Marked(Box::new(normalize(block, inner)), *marks)
        }
        other => return other.clone(),
    };
    let mut out = ValueMap::with_capacity(block.attributes.len() + block.blocks.len());
    for name in block.attributes.keys() {
        out.insert(name.clone(), map.get(name).cloned().unwrap_or(Value::Null));
    }
    for (name, nested) in &block.blocks {
        let given = map.get(name).filter(|v| !matches!(v, Value::Null));
        let each = |items: &[Value]| -> Vec<Value> {
            items.iter().map(|v| normalize(&nested.block, v)).collect()
        };
        let v = match (nested.nesting, given) {
            (Nesting::Single, None) => Value::Null,
            (Nesting::Single, Some(v)) => normalize(&nested.block, v),
            (Nesting::List, None) => Value::List(Vec::new()),
            (Nesting::Set, None) => Value::Set(Vec::new()),
            (Nesting::Map, None) => Value::Map(ValueMap::new()),
            (Nesting::List, Some(Value::List(items) | Value::Tuple(items))) => {
                Value::List(each(items))
            }
            (Nesting::Set, Some(Value::Set(items) | Value::List(items) | Value::Tuple(items))) => {
                Value::set(each(items))
            }
            (Nesting::Map, Some(Value::Map(m) | Value::Object(m))) => Value::Map(
                m.iter()
                    .map(|(k, v)| (k.clone(), normalize(&nested.block, v)))
                    .collect(),
            ),
            (_, Some(other)) => other.clone(),
        };
        out.insert(name.clone(), v);
    }
    Value::Object(out)
}

/// The schema in the JSON format of `compiler/schema/data` (what `skel_schema::load_str` reads).
pub fn schema_json(schema: &ProviderSchema) -> String {
    let types = |map: &BTreeMap<String, ResourceSchema>| -> Map<String, J> {
        map.iter()
            .map(|(k, r)| {
                let mut o = block_json(&r.block);
                o.insert("description".into(), json!(r.description));
                if let Some(id) = &r.import_id {
                    o.insert("import_id".into(), json!(id));
                }
                (k.clone(), J::Object(o))
            })
            .collect()
    };
    let doc = json!({
        "name": schema.name,
        "config": block_json(&schema.config),
        "resources": types(&schema.resources),
        "data_sources": types(&schema.data_sources),
    });
    let mut text = serde_json::to_string_pretty(&doc).expect("JSON values serialise");
    text.push('\n');
    text
}

fn block_json(b: &BlockSchema) -> Map<String, J> {
    let mut o = Map::new();
    o.insert("description".into(), json!(b.description));
    let attributes: Map<String, J> = b
        .attributes
        .iter()
        .map(|(k, a)| {
            let mut m = Map::new();
            m.insert("type".into(), json!(a.ty.to_string()));
            for (flag, set) in [
                ("required", a.required),
                ("optional", a.optional),
                ("computed", a.computed),
                ("sensitive", a.sensitive),
                ("force_new", a.force_new),
            ] {
                if set {
                    m.insert(flag.into(), J::Bool(true));
                }
            }
            m.insert("description".into(), json!(a.description));
            if let Some(d) = &a.default {
                m.insert("default".into(), d.clone());
            }
            if !a.derived_from.is_empty() {
                m.insert("derived_from".into(), json!(a.derived_from));
            }
            if let Some(d) = &a.deprecated {
                m.insert("deprecated".into(), json!(d));
            }
            if let Some(r) = &a.removed {
                m.insert("removed".into(), json!(r));
            }
            (k.clone(), J::Object(m))
        })
        .collect();
    if !attributes.is_empty() {
        o.insert("attributes".into(), J::Object(attributes));
    }
    let blocks: Map<String, J> = b
        .blocks
        .iter()
        .map(|(k, n)| {
            let mut m = block_json(&n.block);
            let nesting = match n.nesting {
                Nesting::Single => "single",
                Nesting::List => "list",
                Nesting::Set => "set",
                Nesting::Map => "map",
            };
            m.insert("nesting".into(), json!(nesting));
            if n.min_items > 0 {
                m.insert("min_items".into(), json!(n.min_items));
            }
            if let Some(max) = n.max_items {
                m.insert("max_items".into(), json!(max));
            }
            if n.force_new {
                m.insert("force_new".into(), J::Bool(true));
            }
            if n.computed {
                m.insert("computed".into(), J::Bool(true));
            }
            if let Some(d) = &n.deprecated {
                m.insert("deprecated".into(), json!(d));
            }
            if let Some(r) = &n.removed {
                m.insert("removed".into(), json!(r));
            }
            (k.clone(), J::Object(m))
        })
        .collect();
    if !blocks.is_empty() {
        o.insert("blocks".into(), J::Object(blocks));
    }
    o
}

/// The provider name in a plugin executable's file name
/// (`terraform-provider-null_v2.1.2_x4` → `null`).
pub fn provider_name_from_executable(executable: &std::path::Path) -> String {
    let file = executable
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = file
        .strip_prefix("terraform-provider-")
        .unwrap_or(&file)
        .to_string();
    name.split("_v").next().unwrap_or(&name).to_string()
}

#[cfg(test)]
#[path = "schema_tests.rs"]
mod tests;
