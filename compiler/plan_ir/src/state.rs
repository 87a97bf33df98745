//! The state file model (`docs/state-format.md`): versioned JSON with a serial and a lineage,
//! each resource instance's attributes, and the outputs.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::InstanceAddr;

/// The current state format version. Newer versions are refused, older ones upgraded.
pub const STATE_FORMAT_VERSION: u32 = 1;

#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct State {
    pub version: u32,
    /// Incremented on every write; a saved plan records it and refuses a changed state.
    pub serial: u64,
    /// A random id fixed when the state is created; distinguishes unrelated states.
    pub lineage: String,
    #[serde(default)]
    pub resources: BTreeMap<InstanceAddr, ResourceInstanceState>,
    #[serde(default)]
    pub outputs: BTreeMap<String, OutputState>,
}

impl State {
    pub fn new(lineage: impl Into<String>) -> State {
        State {
            version: STATE_FORMAT_VERSION,
            serial: 0,
            lineage: lineage.into(),
            resources: BTreeMap::new(),
            outputs: BTreeMap::new(),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InstanceStatus {
    #[default]
    Ready,
    /// Created, but a provisioner failed or it did not become ready (a rollout or wait failed):
    /// replaced on the next apply.
    Tainted,
}

#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct ResourceInstanceState {
    /// The provider configuration that manages it, e.g. `aws` or `aws.west` (module-relative
    /// configurations are written `module.net.aws`).
    pub provider: String,
    /// The attributes as JSON (known values only); typed by the resource schema. Written with
    /// object keys sorted, so the file does not depend on the order a provider built them in.
    #[serde(serialize_with = "sorted_json")]
    pub attributes: serde_json::Value,
    /// Paths of attributes that are sensitive (`["password"]`, `["data","key"]`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sensitive_paths: Vec<Vec<String>>,
    /// Addresses this instance depended on when it was last applied (for destroy order).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub create_before_destroy: bool,
    #[serde(default, skip_serializing_if = "is_ready")]
    pub status: InstanceStatus,
    /// Objects replaced with `create_before_destroy` whose deletion has not happened yet
    /// (an interrupted replacement): the next apply deletes them.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        serialize_with = "sorted_json_list"
    )]
    pub deposed: Vec<serde_json::Value>,
    /// The provider's private data of the object, base64 (a plugin's opaque `private` bytes,
    /// Terraform's `private`): handed back to the plugin on the object's next plan, apply and
    /// read. Omitted when the provider keeps none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private: Option<String>,
    /// The version of the resource type's schema the object was written under (a plugin's;
    /// Terraform's `schema_version`): an older one is upgraded by the plugin before the next
    /// plan. Omitted for unversioned (built-in) providers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_version: Option<u64>,
}

fn is_ready(status: &InstanceStatus) -> bool {
    *status == InstanceStatus::Ready
}

#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct OutputState {
    #[serde(serialize_with = "sorted_json")]
    pub value: serde_json::Value,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sensitive: bool,
}

/// Serializes a JSON value with the keys of every object in sorted order, without copying it.
struct Sorted<'a>(&'a serde_json::Value);

impl serde::Serialize for Sorted<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self.0 {
            serde_json::Value::Object(map) => {
                let mut entries: Vec<(&String, &serde_json::Value)> = map.iter().collect();
                entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
                let mut out = serializer.serialize_map(Some(entries.len()))?;
                for (key, value) in entries {
                    out.serialize_entry(key, &Sorted(value))?;
                }
                out.end()
            }
            serde_json::Value::Array(items) => {
                let mut out = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    out.serialize_element(&Sorted(item))?;
                }
                out.end()
            }
            other => other.serialize(serializer),
        }
    }
}

fn sorted_json<S: serde::Serializer>(
    value: &serde_json::Value,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    Sorted(value).serialize(serializer)
}

fn sorted_json_list<S: serde::Serializer>(
    values: &[serde_json::Value],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(values.iter().map(Sorted))
}
