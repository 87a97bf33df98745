//! The settings of `aws_eks_cluster` beyond its network, logging and access: the requests that
//! send them (CreateCluster, UpdateClusterConfig), what DescribeCluster shows of them, and when
//! an observed setting means what the state says.
//!
//! EKS Auto Mode is three settings that are turned on and off together (`compute_config`,
//! `storage_config`, `kubernetes_network_config.elastic_load_balancing`), so they go in one
//! update. A capability that is off reads back as a block with `enabled = false` or as nothing:
//! both mean what a configuration without the block means.

use aws_sdk_eks::operation::update_cluster_config::builders::UpdateClusterConfigFluentBuilder;
use aws_sdk_eks::types::{
    BlockStorage, Cluster as EksCluster, ComputeConfigRequest, ControlPlanePlacementRequest,
    ControlPlaneScalingConfig, ElasticLoadBalancing, EncryptionConfig, OutpostConfigRequest,
    Provider, ProvisionedControlPlaneTier, RemoteNetworkConfigRequest, RemoteNodeNetwork,
    RemotePodNetwork, StorageConfigRequest, SupportType, UpgradePolicyRequest,
    ZonalShiftConfigRequest,
};
use aws_sdk_eks::Client;
use skel_provider::kit::{first_block, object};
use skel_provider::ProviderError;
use skel_value::Value;

use crate::common::{get, get_bool, get_str, get_strs, optional_bool, optional_string, same, Obs};

/// The first `name` block of `v` (null when there is none).
fn block<'a>(v: &'a Value, name: &str) -> &'a Value {
    first_block(v, name)
}

/// `Some(strings)` for a non-empty set argument.
fn strings(v: &Value, name: &str) -> Option<Vec<String>> {
    Some(get_strs(v, name)).filter(|s| !s.is_empty())
}

/// `compute_config` as a request; `None` without the block.
pub(super) fn compute(v: &Value) -> Option<ComputeConfigRequest> {
    let b = block(v, "compute_config");
    (!b.is_null()).then(|| {
        ComputeConfigRequest::builder()
            .set_enabled(get_bool(b, "enabled"))
            .set_node_pools(strings(b, "node_pools"))
            .set_node_role_arn(get_str(b, "node_role_arn").map(str::to_string))
            .build()
    })
}

/// `storage_config` as a request; `None` without the block.
pub(super) fn storage(v: &Value) -> Option<StorageConfigRequest> {
    let b = block(v, "storage_config");
    (!b.is_null()).then(|| {
        let bs = block(b, "block_storage");
        StorageConfigRequest::builder()
            .set_block_storage((!bs.is_null()).then(|| {
                BlockStorage::builder()
                    .set_enabled(get_bool(bs, "enabled"))
                    .build()
            }))
            .build()
    })
}

/// `kubernetes_network_config.elastic_load_balancing` as a request; `None` without it.
pub(super) fn load_balancing(v: &Value) -> Option<ElasticLoadBalancing> {
    let b = block(
        block(v, "kubernetes_network_config"),
        "elastic_load_balancing",
    );
    (!b.is_null()).then(|| {
        ElasticLoadBalancing::builder()
            .set_enabled(get_bool(b, "enabled"))
            .build()
    })
}

/// `remote_network_config` as a request; `None` without the block.
pub(super) fn remote_network(v: &Value) -> Option<RemoteNetworkConfigRequest> {
    let b = block(v, "remote_network_config");
    (!b.is_null()).then(|| {
        let cidrs = |name: &str| get_strs(block(b, name), "cidrs");
        let nodes = cidrs("remote_node_networks");
        let pods = cidrs("remote_pod_networks");
        RemoteNetworkConfigRequest::builder()
            .set_remote_node_networks(
                (!nodes.is_empty())
                    .then(|| vec![RemoteNodeNetwork::builder().set_cidrs(Some(nodes)).build()]),
            )
            .set_remote_pod_networks(
                (!pods.is_empty())
                    .then(|| vec![RemotePodNetwork::builder().set_cidrs(Some(pods)).build()]),
            )
            .build()
    })
}

/// `encryption_config` as a request; `None` without the block. (The SDK deprecates
/// `resources` since EKS encrypts everything now; the API and Terraform v6 still take it.)
#[allow(deprecated)]
pub(super) fn encryption(v: &Value) -> Option<Vec<EncryptionConfig>> {
    let b = block(v, "encryption_config");
    (!b.is_null()).then(|| {
        vec![EncryptionConfig::builder()
            .set_resources(strings(b, "resources"))
            .set_provider(
                get_str(block(b, "provider"), "key_arn")
                    .map(|arn| Provider::builder().key_arn(arn).build()),
            )
            .build()]
    })
}

/// `outpost_config` as a request; `None` without the block.
pub(super) fn outpost(
    v: &Value,
    what: &str,
) -> Result<Option<OutpostConfigRequest>, ProviderError> {
    let b = block(v, "outpost_config");
    if b.is_null() {
        return Ok(None);
    }
    let placement = get_str(block(b, "control_plane_placement"), "group_name").map(|g| {
        ControlPlanePlacementRequest::builder()
            .group_name(g)
            .build()
    });
    OutpostConfigRequest::builder()
        .set_outpost_arns(strings(b, "outpost_arns"))
        .set_control_plane_instance_type(
            get_str(b, "control_plane_instance_type").map(str::to_string),
        )
        .set_control_plane_placement(placement)
        .build()
        .map(Some)
        .map_err(|e| ProviderError::InvalidConfig(format!("{what}: outpost_config: {e}")))
}

/// `upgrade_policy` as a request; `None` without a support type.
pub(super) fn upgrade_policy(v: &Value) -> Option<UpgradePolicyRequest> {
    get_str(block(v, "upgrade_policy"), "support_type").map(|t| {
        UpgradePolicyRequest::builder()
            .support_type(SupportType::from(t))
            .build()
    })
}

/// `zonal_shift_config` as a request; `None` without the block.
pub(super) fn zonal_shift(v: &Value) -> Option<ZonalShiftConfigRequest> {
    let b = block(v, "zonal_shift_config");
    (!b.is_null()).then(|| {
        ZonalShiftConfigRequest::builder()
            .set_enabled(get_bool(b, "enabled"))
            .build()
    })
}

/// `control_plane_scaling_config` as a request; `None` without a tier.
pub(super) fn scaling(v: &Value) -> Option<ControlPlaneScalingConfig> {
    get_str(block(v, "control_plane_scaling_config"), "tier").map(|t| {
        ControlPlaneScalingConfig::builder()
            .tier(ProvisionedControlPlaneTier::from(t))
            .build()
    })
}

/// The UpdateClusterConfig calls that bring the settings of this module from `prior` to
/// `planned`, one per setting EKS changes on its own (it refuses a second update while one
/// runs); Auto Mode's three settings go together.
pub(super) fn updates(
    eks: &Client,
    name: &str,
    prior: &Value,
    planned: &Value,
) -> Vec<UpdateClusterConfigFluentBuilder> {
    let changed = |arg: &str| !same(get(prior, arg), get(planned, arg));
    let call = || eks.update_cluster_config().name(name);
    let mut calls = Vec::new();
    let lb_changed = !same(
        get(
            block(prior, "kubernetes_network_config"),
            "elastic_load_balancing",
        ),
        get(
            block(planned, "kubernetes_network_config"),
            "elastic_load_balancing",
        ),
    );
    if changed("compute_config") || changed("storage_config") || lb_changed {
        // A capability whose block is removed is turned off.
        let compute = compute(planned).or_else(|| {
            compute(prior).map(|_| ComputeConfigRequest::builder().enabled(false).build())
        });
        let storage = storage(planned).or_else(|| {
            storage(prior).map(|_| {
                StorageConfigRequest::builder()
                    .block_storage(BlockStorage::builder().enabled(false).build())
                    .build()
            })
        });
        let lb = load_balancing(planned).or_else(|| {
            load_balancing(prior).map(|_| ElasticLoadBalancing::builder().enabled(false).build())
        });
        let mut c = call()
            .set_compute_config(compute)
            .set_storage_config(storage);
        if let Some(lb) = lb {
            c = c.kubernetes_network_config(
                aws_sdk_eks::types::KubernetesNetworkConfigRequest::builder()
                    .elastic_load_balancing(lb)
                    .build(),
            );
        }
        calls.push(c);
    }
    if changed("deletion_protection") {
        if let Some(on) = get_bool(planned, "deletion_protection") {
            calls.push(call().deletion_protection(on));
        }
    }
    if changed("upgrade_policy") {
        if let Some(policy) = upgrade_policy(planned) {
            calls.push(call().upgrade_policy(policy));
        }
    }
    if changed("zonal_shift_config") {
        // Removing the block turns zonal shift off, as Terraform does.
        let z = zonal_shift(planned)
            .unwrap_or_else(|| ZonalShiftConfigRequest::builder().enabled(false).build());
        calls.push(call().zonal_shift_config(z));
    }
    if changed("remote_network_config") {
        if let Some(r) = remote_network(planned) {
            calls.push(call().remote_network_config(r));
        }
    }
    if changed("control_plane_scaling_config") {
        if let Some(s) = scaling(planned) {
            calls.push(call().control_plane_scaling_config(s));
        }
    }
    calls
}

/// A one-item list holding `item`.
fn one(item: Value) -> Value {
    Value::List(vec![item])
}

/// A set of strings; null when empty.
fn string_set_or_null(items: &[String]) -> Value {
    if items.is_empty() {
        Value::Null
    } else {
        crate::common::string_set(items.iter().cloned())
    }
}

/// Adds what DescribeCluster shows of this module's settings to `o`. A setting the API does not
/// return is left out, so the state keeps what was applied (moto 5.2.5 keeps none of
/// deletion protection, upgrade policy, zonal shift, Auto Mode, the control plane tier and the
/// Outpost placement).
#[allow(deprecated)] // `resources` (see `encryption`)
pub(super) fn observe(c: &EksCluster, o: &mut Obs) {
    if let Some(on) = c.deletion_protection() {
        o.insert("deletion_protection".into(), Value::Bool(on));
    }
    if let Some(cc) = c.compute_config() {
        o.insert(
            "compute_config".into(),
            one(object([
                ("enabled", optional_bool(cc.enabled())),
                ("node_pools", string_set_or_null(cc.node_pools())),
                ("node_role_arn", optional_string(cc.node_role_arn())),
            ])),
        );
    }
    if let Some(sc) = c.storage_config() {
        let bs = sc
            .block_storage()
            .map(|b| one(object([("enabled", optional_bool(b.enabled()))])))
            .unwrap_or(Value::List(Vec::new()));
        o.insert(
            "storage_config".into(),
            one(object([("block_storage", bs)])),
        );
    }
    if let Some(u) = c.upgrade_policy() {
        o.insert(
            "upgrade_policy".into(),
            one(object([(
                "support_type",
                optional_string(u.support_type().map(|t| t.as_str())),
            )])),
        );
    }
    if let Some(z) = c.zonal_shift_config() {
        o.insert(
            "zonal_shift_config".into(),
            one(object([("enabled", optional_bool(z.enabled()))])),
        );
    }
    if let Some(s) = c.control_plane_scaling_config() {
        o.insert(
            "control_plane_scaling_config".into(),
            one(object([(
                "tier",
                optional_string(s.tier().map(|t| t.as_str())),
            )])),
        );
    }
    if let Some(r) = c.remote_network_config() {
        let nets = |cidrs: Vec<&[String]>| {
            Value::List(
                cidrs
                    .into_iter()
                    .map(|c| object([("cidrs", string_set_or_null(c))]))
                    .collect(),
            )
        };
        o.insert(
            "remote_network_config".into(),
            one(object([
                (
                    "remote_node_networks",
                    nets(r.remote_node_networks().iter().map(|n| n.cidrs()).collect()),
                ),
                (
                    "remote_pod_networks",
                    nets(r.remote_pod_networks().iter().map(|n| n.cidrs()).collect()),
                ),
            ])),
        );
    }
    o.insert(
        "encryption_config".into(),
        Value::List(
            c.encryption_config()
                .iter()
                .map(|e| {
                    object([
                        ("resources", string_set_or_null(e.resources())),
                        (
                            "provider",
                            one(object([(
                                "key_arn",
                                optional_string(e.provider().and_then(|p| p.key_arn())),
                            )])),
                        ),
                    ])
                })
                .collect(),
        ),
    );
    if let Some(op) = c.outpost_config() {
        let placement = op
            .control_plane_placement()
            .map(|p| one(object([("group_name", optional_string(p.group_name()))])))
            .unwrap_or(Value::List(Vec::new()));
        o.insert(
            "outpost_config".into(),
            one(object([
                (
                    "control_plane_instance_type",
                    Value::string(op.control_plane_instance_type()),
                ),
                ("outpost_arns", string_set_or_null(op.outpost_arns())),
                ("control_plane_placement", placement),
            ])),
        );
    }
}

/// `access_config` and `kubernetes_network_config` as DescribeCluster shows them (both are
/// blocks EKS fills in when the configuration has none).
pub(super) fn observe_access_and_network(c: &EksCluster, o: &mut Obs) {
    if let Some(a) = c.access_config() {
        o.insert(
            "access_config".into(),
            one(object([
                (
                    "authentication_mode",
                    optional_string(a.authentication_mode().map(|m| m.as_str())),
                ),
                (
                    "bootstrap_cluster_creator_admin_permissions",
                    optional_bool(a.bootstrap_cluster_creator_admin_permissions()),
                ),
            ])),
        );
    }
    if let Some(k) = c.kubernetes_network_config() {
        let lb = k
            .elastic_load_balancing()
            .map(|l| one(object([("enabled", optional_bool(l.enabled()))])))
            .unwrap_or(Value::List(Vec::new()));
        o.insert(
            "kubernetes_network_config".into(),
            one(object([
                ("service_ipv4_cidr", optional_string(k.service_ipv4_cidr())),
                ("service_ipv6_cidr", optional_string(k.service_ipv6_cidr())),
                (
                    "ip_family",
                    optional_string(k.ip_family().map(|f| f.as_str())),
                ),
                ("elastic_load_balancing", lb),
            ])),
        );
    }
}

/// Whether observed setting `attr` of a cluster means what the state says: an Auto Mode
/// capability or zonal shift that is off, observed as `enabled = false` or not at all, is what
/// a configuration without the block (or with `enabled = false`) means.
pub(super) fn equivalent(attr: &str, observed: &Value, state: &Value) -> bool {
    match attr {
        "compute_config"
        | "storage_config"
        | "zonal_shift_config"
        | "kubernetes_network_config" => same(&switched_off(observed), &switched_off(state)),
        _ => false,
    }
}

/// `v` with every block item that only says `enabled = false` (or nothing) removed, at every
/// depth.
fn switched_off(v: &Value) -> Value {
    match v {
        Value::List(items) => Value::List(kept(items)),
        Value::Set(items) => Value::Set(kept(items)),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), switched_off(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The items of a block that turn something on, each with its switched-off parts removed.
fn kept(items: &[Value]) -> Vec<Value> {
    items
        .iter()
        .map(switched_off)
        .filter(|item| !is_off(item))
        .collect()
}

/// An object that turns nothing on: `enabled` false or null (whatever else it says: node pools
/// of a compute capability that is off do nothing), or, without `enabled`, every field null or
/// empty (`{ block_storage = [] }` once its switched-off item is gone).
fn is_off(v: &Value) -> bool {
    let Value::Object(m) = v else {
        return false;
    };
    if let Some(enabled) = m.get("enabled") {
        return matches!(enabled, Value::Null | Value::Bool(false));
    }
    m.values().all(|v| match v {
        Value::Null => true,
        Value::List(i) | Value::Set(i) => i.is_empty(),
        _ => false,
    })
}
