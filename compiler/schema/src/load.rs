//! Loading the embedded data files: a hand-writable JSON format converted into the model.
//!
//! The format mirrors the model but flattens a resource's block into the resource, writes
//! attribute types as Terraform type-constraint strings and omits false flags:
//!
//! ```json
//! { "name": "aws", "config": { "attributes": { … } },
//!   "resources": { "aws_vpc": { "description": "…", "import_id": "VPC id (vpc-…)",
//!     "attributes": { "cidr_block": { "type": "string", "required": true, "force_new": true,
//!                                      "description": "…" } },
//!     (an attribute may add `"deprecated": "use … instead"` or `"removed": "removed in v5.0.0; …"`)
//!     "blocks": { "route": { "nesting": "set", "description": "…", "attributes": { … } } } } },
//!     (a block may add `"deprecated"` or `"removed"` the same way: every block of its type is
//!     then reported, whether written as a block, as an attribute or by `dynamic`)
//!   "data_sources": { … } }
//! ```
//!
//! A file holds one provider object or an array of them. One provider may be split over several
//! files (`aws.json`, `aws-iam.json`, …): only the first has its `config`, the others add types.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::model::{
    AttributeSchema, BlockSchema, NestedBlockSchema, Nesting, ProviderSchema, ResourceSchema,
};
use crate::parse_type::{parse_type, TypeSyntaxError};

/// A schema file that cannot be loaded; `path` names the attribute or block (`resource aws_vpc.tags`).
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// Not JSON of the schema format.
    #[error("{0}")]
    Json(#[from] serde_json::Error),
    /// An error in one of the embedded files.
    #[error("schema file {file}: {source}")]
    File {
        file: String,
        source: Box<SchemaError>,
    },
    /// Two files (or one) define the same provider's configuration.
    #[error("schema file {file}: provider `{provider}` defined twice")]
    DuplicateProvider { file: String, provider: String },
    /// Two files define the same resource type or data source of one provider.
    #[error("schema file {file}: {kind} `{name}` is already defined by another file")]
    DuplicateType {
        file: String,
        kind: &'static str,
        name: String,
    },
    /// `derived_from` names no attribute of the block.
    #[error("{path}: derived_from names `{missing}`, which is not an attribute")]
    UnknownDerivedFrom { path: String, missing: String },
    /// An attribute type that is no type constraint.
    #[error("{path}: {source}")]
    Type {
        path: String,
        source: TypeSyntaxError,
    },
    /// A name used for an attribute and a nested block of the same block.
    #[error("{path}: both an attribute and a block")]
    AttributeAndBlock { path: String },
}

/// The embedded data files, by file name.
pub const DATA_FILES: &[(&str, &str)] = &[
    ("builtin.json", include_str!("../data/builtin.json")),
    ("aws.json", include_str!("../data/aws.json")),
    ("aws-iam.json", include_str!("../data/aws-iam.json")),
    ("aws-s3.json", include_str!("../data/aws-s3.json")),
    ("aws-eks.json", include_str!("../data/aws-eks.json")),
    ("aws-lookup.json", include_str!("../data/aws-lookup.json")),
    ("kubernetes.json", include_str!("../data/kubernetes.json")),
];

pub(crate) fn load_embedded() -> Result<Vec<ProviderSchema>, SchemaError> {
    let mut out: Vec<ProviderSchema> = Vec::new();
    for (file, text) in DATA_FILES {
        let loaded = load_str(text).map_err(|e| SchemaError::File {
            file: file.to_string(),
            source: Box::new(e),
        })?;
        for p in loaded {
            match out.iter_mut().find(|q| q.name == p.name) {
                Some(q) => extend(q, p, file)?,
                None => out.push(p),
            }
        }
    }
    Ok(out)
}

/// Adds the types of `more` (a later file's part of provider `into`, with no configuration of
/// its own) to `into`: one provider's schema may be split by service over several files.
fn extend(into: &mut ProviderSchema, more: ProviderSchema, file: &str) -> Result<(), SchemaError> {
    if !more.config.attributes.is_empty() || !more.config.blocks.is_empty() {
        return Err(SchemaError::DuplicateProvider {
            file: file.to_string(),
            provider: more.name,
        });
    }
    for (kind, from, to) in [
        ("resource", more.resources, &mut into.resources),
        ("data source", more.data_sources, &mut into.data_sources),
    ] {
        for (name, schema) in from {
            if to.contains_key(&name) {
                return Err(SchemaError::DuplicateType {
                    file: file.to_string(),
                    kind,
                    name,
                });
            }
            to.insert(name, schema);
        }
    }
    Ok(())
}

/// Parses one schema file (one provider object or an array of them).
pub fn load_str(text: &str) -> Result<Vec<ProviderSchema>, SchemaError> {
    let raw: RawFile = serde_json::from_str(text)?;
    let raws = match raw {
        RawFile::One(p) => vec![p],
        RawFile::Many(ps) => ps,
    };
    raws.into_iter().map(RawProvider::convert).collect()
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawFile {
    One(RawProvider),
    Many(Vec<RawProvider>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProvider {
    name: String,
    #[serde(default)]
    config: RawBlock,
    #[serde(default)]
    resources: BTreeMap<String, RawResource>,
    #[serde(default)]
    data_sources: BTreeMap<String, RawResource>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawResource {
    description: String,
    #[serde(default)]
    import_id: Option<String>,
    #[serde(default)]
    attributes: BTreeMap<String, RawAttribute>,
    #[serde(default)]
    blocks: BTreeMap<String, RawNestedBlock>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawBlock {
    #[serde(default)]
    description: String,
    #[serde(default)]
    attributes: BTreeMap<String, RawAttribute>,
    #[serde(default)]
    blocks: BTreeMap<String, RawNestedBlock>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAttribute {
    #[serde(rename = "type")]
    ty: String,
    #[serde(default)]
    required: bool,
    #[serde(default)]
    optional: bool,
    #[serde(default)]
    computed: bool,
    #[serde(default)]
    sensitive: bool,
    #[serde(default)]
    force_new: bool,
    description: String,
    #[serde(default)]
    default: Option<serde_json::Value>,
    #[serde(default)]
    derived_from: Vec<String>,
    #[serde(default)]
    deprecated: Option<String>,
    #[serde(default)]
    removed: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNestedBlock {
    nesting: Nesting,
    #[serde(default)]
    min_items: u32,
    #[serde(default)]
    max_items: Option<u32>,
    #[serde(default)]
    force_new: bool,
    #[serde(default)]
    computed: bool,
    description: String,
    #[serde(default)]
    deprecated: Option<String>,
    #[serde(default)]
    removed: Option<String>,
    #[serde(default)]
    attributes: BTreeMap<String, RawAttribute>,
    #[serde(default)]
    blocks: BTreeMap<String, RawNestedBlock>,
}

impl RawProvider {
    fn convert(self) -> Result<ProviderSchema, SchemaError> {
        let name = self.name;
        let config = convert_block(
            self.config.description,
            self.config.attributes,
            self.config.blocks,
            &format!("provider {name}"),
        )?;
        let convert_all = |map: BTreeMap<String, RawResource>, kind: &str| {
            map.into_iter()
                .map(|(k, r)| {
                    let path = format!("{kind} {k}");
                    let block =
                        convert_block(r.description.clone(), r.attributes, r.blocks, &path)?;
                    Ok((
                        k,
                        ResourceSchema {
                            description: r.description,
                            block,
                            import_id: r.import_id,
                        },
                    ))
                })
                .collect::<Result<BTreeMap<_, _>, SchemaError>>()
        };
        Ok(ProviderSchema {
            resources: convert_all(self.resources, "resource")?,
            data_sources: convert_all(self.data_sources, "data source")?,
            name,
            config,
        })
    }
}

fn convert_block(
    description: String,
    attributes: BTreeMap<String, RawAttribute>,
    blocks: BTreeMap<String, RawNestedBlock>,
    path: &str,
) -> Result<BlockSchema, SchemaError> {
    for (k, a) in &attributes {
        if let Some(missing) = a.derived_from.iter().find(|d| !attributes.contains_key(*d)) {
            return Err(SchemaError::UnknownDerivedFrom {
                path: format!("{path}.{k}"),
                missing: missing.clone(),
            });
        }
    }
    let attributes = attributes
        .into_iter()
        .map(|(k, a)| {
            let ty = parse_type(&a.ty).map_err(|source| SchemaError::Type {
                path: format!("{path}.{k}"),
                source,
            })?;
            Ok((
                k,
                AttributeSchema {
                    ty,
                    required: a.required,
                    optional: a.optional,
                    computed: a.computed,
                    sensitive: a.sensitive,
                    force_new: a.force_new,
                    description: a.description,
                    default: a.default,
                    derived_from: a.derived_from,
                    deprecated: a.deprecated,
                    removed: a.removed,
                },
            ))
        })
        .collect::<Result<BTreeMap<_, _>, SchemaError>>()?;
    let blocks = blocks
        .into_iter()
        .map(|(k, b)| {
            if attributes.contains_key(&k) {
                return Err(SchemaError::AttributeAndBlock {
                    path: format!("{path}.{k}"),
                });
            }
            let block = convert_block(
                b.description,
                b.attributes,
                b.blocks,
                &format!("{path}.{k}"),
            )?;
            Ok((
                k,
                NestedBlockSchema {
                    nesting: b.nesting,
                    min_items: b.min_items,
                    max_items: b.max_items,
                    block,
                    force_new: b.force_new,
                    computed: b.computed,
                    deprecated: b.deprecated,
                    removed: b.removed,
                },
            ))
        })
        .collect::<Result<BTreeMap<_, _>, SchemaError>>()?;
    Ok(BlockSchema {
        attributes,
        blocks,
        description,
    })
}

#[cfg(test)]
mod split_tests {
    use super::*;

    fn one(text: &str) -> ProviderSchema {
        load_str(text).unwrap().pop().unwrap()
    }

    const BASE: &str = r#"{ "name": "p", "config": { "attributes": { "region": { "type": "string", "optional": true, "description": "r" } } },
        "resources": { "p_a": { "description": "a" } } }"#;

    #[test]
    fn a_later_file_adds_types_and_may_not_redefine_them_or_the_configuration() {
        let mut base = one(BASE);
        extend(
            &mut base,
            one(r#"{ "name": "p", "resources": { "p_b": { "description": "b" } }, "data_sources": { "p_c": { "description": "c" } } }"#),
            "more.json",
        )
        .unwrap();
        assert_eq!(base.resources.keys().collect::<Vec<_>>(), ["p_a", "p_b"]);
        assert!(base.data_sources.contains_key("p_c"));
        let again = extend(
            &mut base,
            one(r#"{ "name": "p", "resources": { "p_a": { "description": "again" } } }"#),
            "dup.json",
        );
        assert_eq!(
            again.unwrap_err().to_string(),
            "schema file dup.json: resource `p_a` is already defined by another file"
        );
        let config = extend(&mut base, one(BASE), "config.json");
        assert!(matches!(config, Err(SchemaError::DuplicateProvider { .. })));
    }
}
