//! The schema model: providers, resources, blocks and attributes, plus the global accessors.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use skel_value::Type;

/// One provider: its configuration block and the resource and data-source types it serves.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ProviderSchema {
    /// The provider's local name, e.g. `"aws"`.
    pub name: String,
    /// The arguments of the `provider "<name>" { … }` block (`alias` is the checker's business).
    pub config: BlockSchema,
    pub resources: BTreeMap<String, ResourceSchema>,
    pub data_sources: BTreeMap<String, ResourceSchema>,
}

/// A resource or data-source type.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ResourceSchema {
    pub description: String,
    pub block: BlockSchema,
    /// What `skelc import` takes as the id, e.g. `"VPC id (vpc-…)"`; `None` if not importable.
    pub import_id: Option<String>,
}

/// The body of a block: attributes and nested blocks.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BlockSchema {
    pub attributes: BTreeMap<String, AttributeSchema>,
    pub blocks: BTreeMap<String, NestedBlockSchema>,
    pub description: String,
}

/// One attribute (argument and/or exported attribute).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AttributeSchema {
    pub ty: Type,
    /// Must be set in configuration.
    pub required: bool,
    /// May be set in configuration.
    pub optional: bool,
    /// The provider fills it in (when not set, if also `optional`).
    pub computed: bool,
    /// Redacted in plan output.
    pub sensitive: bool,
    /// Changing it forces replacement of the resource.
    pub force_new: bool,
    pub description: String,
    /// The value used when the argument is omitted.
    pub default: Option<serde_json::Value>,
    /// Attributes of the same block this one is computed from (a digest of the content): it
    /// is as sensitive as they are, which the provider cannot say itself.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub derived_from: Vec<String>,
    /// Still accepted, but on its way out: what to use instead (a `deprecated-argument`
    /// warning where it is set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deprecated: Option<String>,
    /// No longer accepted: when and why it went, and what replaces it (a `removed-argument`
    /// error where it is set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removed: Option<String>,
}

/// How a nested block repeats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Nesting {
    /// At most one block, referenced as an object.
    Single,
    /// An ordered sequence, referenced as a list of objects.
    List,
    /// An unordered collection, referenced as a set of objects.
    Set,
    /// Labelled blocks, referenced as a map of objects keyed by label.
    Map,
}

/// A nested block type inside a block.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct NestedBlockSchema {
    pub nesting: Nesting,
    pub min_items: u32,
    pub max_items: Option<u32>,
    pub block: BlockSchema,
    /// Changing any of its contents forces replacement.
    pub force_new: bool,
    /// Terraform's optional+computed "attributes as blocks": when the configuration writes no
    /// such block, the resource does not manage them and the plan keeps what the provider
    /// observed (a route table's routes when `aws_route` resources add them).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub computed: bool,
    /// Still accepted, but on its way out: what replaces these blocks (a
    /// `deprecated-argument` warning at each one written).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deprecated: Option<String>,
    /// No longer accepted: when and why these blocks went, and what replaces them (a
    /// `removed-argument` error at each one written, however it is written).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removed: Option<String>,
}

impl AttributeSchema {
    /// Exported only: the configuration cannot set it.
    pub fn is_computed_only(&self) -> bool {
        self.computed && !self.required && !self.optional
    }

    /// Can be written in configuration.
    pub fn is_argument(&self) -> bool {
        self.required || self.optional
    }
}

impl BlockSchema {
    /// The object type of the whole block as references see it: every attribute (computed ones
    /// included) and every nested block as an object (`Single`) or a list, set or map of objects.
    pub fn computed_object_type(&self) -> Type {
        let attrs = self
            .attributes
            .iter()
            .map(|(k, a)| (k.clone(), a.ty.clone()))
            .chain(
                self.blocks
                    .iter()
                    .map(|(k, b)| (k.clone(), b.computed_type())),
            );
        Type::object(attrs)
    }

    pub fn attribute(&self, name: &str) -> Option<&AttributeSchema> {
        self.attributes.get(name)
    }

    pub fn block(&self, name: &str) -> Option<&NestedBlockSchema> {
        self.blocks.get(name)
    }

    /// Arguments the configuration must set.
    pub fn required_attributes(&self) -> impl Iterator<Item = (&str, &AttributeSchema)> {
        self.attributes
            .iter()
            .filter(|(_, a)| a.required)
            .map(|(k, a)| (k.as_str(), a))
    }
}

impl NestedBlockSchema {
    /// The type a reference to this nested block has.
    pub fn computed_type(&self) -> Type {
        let obj = self.block.computed_object_type();
        match self.nesting {
            Nesting::Single => obj,
            Nesting::List => Type::list(obj),
            Nesting::Set => Type::set(obj),
            Nesting::Map => Type::map(obj),
        }
    }

    /// The type of these blocks written as one attribute (`ingress = [{ … }]`, `route = []`),
    /// which Terraform accepts for optional+computed blocks ("attributes as blocks"): a
    /// collection of objects of the block's arguments, where what is optional in the block
    /// may be left out (its default, or null).
    pub fn attribute_type(&self) -> Type {
        let mut obj = skel_value::ObjectType::default();
        for (name, attr) in &self.block.attributes {
            if !attr.is_argument() {
                continue;
            }
            obj.attrs.insert(name.clone(), attr.ty.clone());
            if !attr.required {
                let default = attr.default.as_ref().map(skel_value::Value::from_json);
                obj.optional.insert(name.clone(), default);
            }
        }
        for (name, nested) in &self.block.blocks {
            obj.attrs.insert(name.clone(), nested.attribute_type());
            obj.optional.insert(name.clone(), None);
        }
        let obj = Type::Object(obj);
        match self.nesting {
            Nesting::Single => obj,
            Nesting::List => Type::list(obj),
            Nesting::Set => Type::set(obj),
            Nesting::Map => Type::map(obj),
        }
    }
}

impl ResourceSchema {
    /// The object type of `<type>.<name>` (one instance).
    pub fn computed_object_type(&self) -> Type {
        self.block.computed_object_type()
    }
}

static PROVIDERS: OnceLock<Vec<ProviderSchema>> = OnceLock::new();

/// Every built-in provider schema, loaded once from the embedded data files.
///
/// Panics if an embedded file is malformed; the crate's tests guarantee that it is not.
pub fn providers() -> &'static [ProviderSchema] {
    PROVIDERS.get_or_init(|| crate::load::load_embedded().unwrap_or_else(|e| panic!("{e}")))
}

static RUNNING: std::sync::RwLock<Vec<&'static ProviderSchema>> =
    std::sync::RwLock::new(Vec::new());

/// Makes a plugin's schema the one [`provider`], [`resource`] and [`data_source`] answer for
/// its provider's name and types, ahead of a built-in provider of the same name: what a run
/// that starts the plugin evaluates and plans with.
pub fn register_running(schema: &'static ProviderSchema) {
    let mut running = RUNNING.write().unwrap_or_else(|e| e.into_inner());
    running.retain(|p| p.name != schema.name);
    running.push(schema);
}

/// The first answer of `f` among the registered plugin schemas.
fn running<T>(f: impl Fn(&'static ProviderSchema) -> Option<T>) -> Option<T> {
    let running = RUNNING.read().unwrap_or_else(|e| e.into_inner());
    running.iter().find_map(|p| f(p))
}

/// The provider with this local name (`"aws"`).
pub fn provider(name: &str) -> Option<&'static ProviderSchema> {
    running(|p| (p.name == name).then_some(p))
        .or_else(|| providers().iter().find(|p| p.name == name))
}

/// The provider a resource or data-source type belongs to by default: the prefix before the
/// first `_`, as Terraform does (`aws_instance` → `aws`, `null_resource` → `null`).
pub fn provider_for_type(type_name: &str) -> &str {
    type_name
        .split_once('_')
        .map_or(type_name, |(prefix, _)| prefix)
}

/// The schema of a managed resource type.
pub fn resource(type_name: &str) -> Option<&'static ResourceSchema> {
    running(|p| p.resources.get(type_name))
        .or_else(|| providers().iter().find_map(|p| p.resources.get(type_name)))
}

/// The schema of a data-source type.
pub fn data_source(type_name: &str) -> Option<&'static ResourceSchema> {
    running(|p| p.data_sources.get(type_name)).or_else(|| {
        providers()
            .iter()
            .find_map(|p| p.data_sources.get(type_name))
    })
}

/// Every resource type name, sorted (for "did you mean" suggestions and completion).
pub fn all_resource_types() -> Vec<&'static str> {
    let mut v: Vec<&str> = providers()
        .iter()
        .flat_map(|p| p.resources.keys().map(String::as_str))
        .collect();
    v.sort_unstable();
    v
}

/// Every data-source type name, sorted.
pub fn all_data_source_types() -> Vec<&'static str> {
    let mut v: Vec<&str> = providers()
        .iter()
        .flat_map(|p| p.data_sources.keys().map(String::as_str))
        .collect();
    v.sort_unstable();
    v
}
