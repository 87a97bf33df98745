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
//!     "blocks": { "route": { "nesting": "set", "description": "…", "attributes": { … } } } } },
//!   "data_sources": { … } }
//! ```
//!
//! A file holds one provider object or an array of them.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::model::{
    AttributeSchema, BlockSchema, NestedBlockSchema, Nesting, ProviderSchema, ResourceSchema,
};
use crate::parse_type::parse_type;

/// The embedded data files, by file name.
pub const DATA_FILES: &[(&str, &str)] = &[
    ("builtin.json", include_str!("../data/builtin.json")),
    ("aws.json", include_str!("../data/aws.json")),
    ("kubernetes.json", include_str!("../data/kubernetes.json")),
];

pub(crate) fn load_embedded() -> Result<Vec<ProviderSchema>, String> {
    let mut out: Vec<ProviderSchema> = Vec::new();
    for (file, text) in DATA_FILES {
        for p in load_str(text).map_err(|e| format!("schema file {file}: {e}"))? {
            if out.iter().any(|q| q.name == p.name) {
                return Err(format!(
                    "schema file {file}: provider `{}` defined twice",
                    p.name
                ));
            }
            out.push(p);
        }
    }
    Ok(out)
}

/// Parses one schema file (one provider object or an array of them).
pub fn load_str(text: &str) -> Result<Vec<ProviderSchema>, String> {
    let raw: RawFile = serde_json::from_str(text).map_err(|e| e.to_string())?;
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
    description: String,
    #[serde(default)]
    attributes: BTreeMap<String, RawAttribute>,
    #[serde(default)]
    blocks: BTreeMap<String, RawNestedBlock>,
}

impl RawProvider {
    fn convert(self) -> Result<ProviderSchema, String> {
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
                .collect::<Result<BTreeMap<_, _>, String>>()
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
) -> Result<BlockSchema, String> {
    for (k, a) in &attributes {
        if let Some(missing) = a.derived_from.iter().find(|d| !attributes.contains_key(*d)) {
            return Err(format!(
                "{path}.{k}: derived_from names `{missing}`, which is not an attribute"
            ));
        }
    }
    let attributes = attributes
        .into_iter()
        .map(|(k, a)| {
            let ty = parse_type(&a.ty).map_err(|e| format!("{path}.{k}: {e}"))?;
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
                },
            ))
        })
        .collect::<Result<BTreeMap<_, _>, String>>()?;
    let blocks = blocks
        .into_iter()
        .map(|(k, b)| {
            if attributes.contains_key(&k) {
                return Err(format!("{path}.{k}: both an attribute and a block"));
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
                },
            ))
        })
        .collect::<Result<BTreeMap<_, _>, String>>()?;
    Ok(BlockSchema {
        attributes,
        blocks,
        description,
    })
}
