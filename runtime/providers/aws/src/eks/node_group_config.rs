//! The settings of `aws_eks_node_group` beyond its size and labels: launch template, SSH access,
//! taints, update and repair settings, as requests (CreateNodegroup, UpdateNodegroupConfig,
//! UpdateNodegroupVersion) and as DescribeNodegroup shows them.

use aws_sdk_eks::types::{
    LaunchTemplateSpecification, NodeRepairConfig, NodeRepairConfigOverrides, Nodegroup,
    NodegroupUpdateConfig, NodegroupUpdateStrategies, RemoteAccessConfig, RepairAction, Taint,
    TaintEffect, UpdateTaintsPayload,
};
use skel_provider::kit::{blocks, first_block, object};
use skel_value::Value;

use crate::common::{get_bool, get_i64, get_str, get_strs, optional_bool, optional_number};
use crate::common::{optional_string, same, string_set};

/// `launch_template` as a request; `None` without the block.
pub(super) fn launch_template(v: &Value) -> Option<LaunchTemplateSpecification> {
    let b = first_block(v, "launch_template");
    (!b.is_null()).then(|| {
        LaunchTemplateSpecification::builder()
            .set_id(get_str(b, "id").map(str::to_string))
            .set_name(get_str(b, "name").map(str::to_string))
            .set_version(get_str(b, "version").map(str::to_string))
            .build()
    })
}

/// `remote_access` as a request; `None` without the block.
pub(super) fn remote_access(v: &Value) -> Option<RemoteAccessConfig> {
    let b = first_block(v, "remote_access");
    (!b.is_null()).then(|| {
        RemoteAccessConfig::builder()
            .set_ec2_ssh_key(get_str(b, "ec2_ssh_key").map(str::to_string))
            .set_source_security_groups(
                Some(get_strs(b, "source_security_group_ids")).filter(|s| !s.is_empty()),
            )
            .build()
    })
}

/// One `taint` block as the API's taint.
fn taint(t: &Value) -> Taint {
    Taint::builder()
        .set_key(get_str(t, "key").map(str::to_string))
        .set_value(get_str(t, "value").map(str::to_string))
        .set_effect(get_str(t, "effect").map(TaintEffect::from))
        .build()
}

/// The `taint` blocks as a create's taints; `None` without any.
pub(super) fn taints(v: &Value) -> Option<Vec<Taint>> {
    let all: Vec<Taint> = blocks(v, "taint").iter().map(taint).collect();
    (!all.is_empty()).then_some(all)
}

/// The taint changes from `prior` to `planned`: the planned taints that are new or changed, and
/// the prior ones whose key and effect no planned taint has (a taint is identified by both).
pub(super) fn taint_changes(prior: &Value, planned: &Value) -> UpdateTaintsPayload {
    let (old, new) = (blocks(prior, "taint"), blocks(planned, "taint"));
    fn ident(t: &Value) -> (Option<&str>, Option<&str>) {
        (get_str(t, "key"), get_str(t, "effect"))
    }
    let added: Vec<Taint> = new
        .iter()
        .filter(|t| !old.iter().any(|o| same(o, t)))
        .map(taint)
        .collect();
    let removed: Vec<Taint> = old
        .iter()
        .filter(|o| !new.iter().any(|t| ident(t) == ident(o)))
        .map(taint)
        .collect();
    UpdateTaintsPayload::builder()
        .set_add_or_update_taints((!added.is_empty()).then_some(added))
        .set_remove_taints((!removed.is_empty()).then_some(removed))
        .build()
}

/// `update_config` as a request; `None` without the block.
pub(super) fn update_config(v: &Value) -> Option<NodegroupUpdateConfig> {
    let b = first_block(v, "update_config");
    let n = |k: &str| get_i64(b, k).and_then(|v| i32::try_from(v).ok());
    (!b.is_null()).then(|| {
        NodegroupUpdateConfig::builder()
            .set_max_unavailable(n("max_unavailable"))
            .set_max_unavailable_percentage(n("max_unavailable_percentage"))
            .set_update_strategy(get_str(b, "update_strategy").map(NodegroupUpdateStrategies::from))
            .build()
    })
}

/// `node_repair_config` as a request; `None` without the block.
pub(super) fn node_repair(v: &Value) -> Option<NodeRepairConfig> {
    let b = first_block(v, "node_repair_config");
    let n = |v: &Value, k: &str| get_i64(v, k).and_then(|v| i32::try_from(v).ok());
    (!b.is_null()).then(|| {
        let overrides: Vec<NodeRepairConfigOverrides> = blocks(b, "node_repair_config_overrides")
            .iter()
            .map(|o| {
                NodeRepairConfigOverrides::builder()
                    .set_min_repair_wait_time_mins(n(o, "min_repair_wait_time_mins"))
                    .set_node_monitoring_condition(
                        get_str(o, "node_monitoring_condition").map(str::to_string),
                    )
                    .set_node_unhealthy_reason(
                        get_str(o, "node_unhealthy_reason").map(str::to_string),
                    )
                    .set_repair_action(get_str(o, "repair_action").map(RepairAction::from))
                    .build()
            })
            .collect();
        NodeRepairConfig::builder()
            .set_enabled(get_bool(b, "enabled"))
            .set_max_parallel_nodes_repaired_count(n(b, "max_parallel_nodes_repaired_count"))
            .set_max_parallel_nodes_repaired_percentage(n(
                b,
                "max_parallel_nodes_repaired_percentage",
            ))
            .set_max_unhealthy_node_threshold_count(n(b, "max_unhealthy_node_threshold_count"))
            .set_max_unhealthy_node_threshold_percentage(n(
                b,
                "max_unhealthy_node_threshold_percentage",
            ))
            .set_node_repair_config_overrides((!overrides.is_empty()).then_some(overrides))
            .build()
    })
}

/// Whether the launch template's version differs between `prior` and `planned` (a new version
/// rolls the nodes in place; another template replaces the node group).
pub(super) fn template_version_changed(prior: &Value, planned: &Value) -> bool {
    let version = |v| get_str(first_block(v, "launch_template"), "version");
    version(planned).is_some() && version(prior) != version(planned)
}

/// A one-item list holding `item`.
fn one(item: Value) -> Value {
    Value::List(vec![item])
}

/// Adds what DescribeNodegroup shows of this module's settings to `obs`. The update and repair
/// settings are left out when the API returns none, so the state keeps what was applied.
pub(super) fn observe(n: &Nodegroup, obs: &mut crate::common::Obs) {
    let template = n.launch_template().map(|t| {
        one(object([
            ("id", optional_string(t.id())),
            ("name", optional_string(t.name())),
            ("version", optional_string(t.version())),
        ]))
    });
    obs.insert(
        "launch_template".into(),
        template.unwrap_or(Value::List(Vec::new())),
    );
    let access = n.remote_access().map(|r| {
        let groups = r.source_security_groups();
        one(object([
            ("ec2_ssh_key", optional_string(r.ec2_ssh_key())),
            (
                "source_security_group_ids",
                if groups.is_empty() {
                    Value::Null
                } else {
                    string_set(groups.iter().cloned())
                },
            ),
        ]))
    });
    obs.insert(
        "remote_access".into(),
        access.unwrap_or(Value::List(Vec::new())),
    );
    obs.insert(
        "taint".into(),
        Value::set(
            n.taints()
                .iter()
                .map(|t| {
                    object([
                        ("key", optional_string(t.key())),
                        ("value", optional_string(t.value())),
                        ("effect", optional_string(t.effect().map(|e| e.as_str()))),
                    ])
                })
                .collect(),
        ),
    );
    if let Some(u) = n.update_config() {
        obs.insert(
            "update_config".into(),
            one(object([
                (
                    "max_unavailable",
                    optional_number(u.max_unavailable().map(i64::from)),
                ),
                (
                    "max_unavailable_percentage",
                    optional_number(u.max_unavailable_percentage().map(i64::from)),
                ),
                (
                    "update_strategy",
                    optional_string(u.update_strategy().map(|s| s.as_str())),
                ),
            ])),
        );
    }
    if let Some(r) = n.node_repair_config() {
        obs.insert(
            "node_repair_config".into(),
            one(object([
                ("enabled", optional_bool(r.enabled())),
                (
                    "max_parallel_nodes_repaired_count",
                    optional_number(r.max_parallel_nodes_repaired_count().map(i64::from)),
                ),
                (
                    "max_parallel_nodes_repaired_percentage",
                    optional_number(r.max_parallel_nodes_repaired_percentage().map(i64::from)),
                ),
                (
                    "max_unhealthy_node_threshold_count",
                    optional_number(r.max_unhealthy_node_threshold_count().map(i64::from)),
                ),
                (
                    "max_unhealthy_node_threshold_percentage",
                    optional_number(r.max_unhealthy_node_threshold_percentage().map(i64::from)),
                ),
                (
                    "node_repair_config_overrides",
                    Value::List(
                        r.node_repair_config_overrides()
                            .iter()
                            .map(|o| {
                                object([
                                    (
                                        "min_repair_wait_time_mins",
                                        optional_number(
                                            o.min_repair_wait_time_mins().map(i64::from),
                                        ),
                                    ),
                                    (
                                        "node_monitoring_condition",
                                        optional_string(o.node_monitoring_condition()),
                                    ),
                                    (
                                        "node_unhealthy_reason",
                                        optional_string(o.node_unhealthy_reason()),
                                    ),
                                    (
                                        "repair_action",
                                        optional_string(o.repair_action().map(|a| a.as_str())),
                                    ),
                                ])
                            })
                            .collect(),
                    ),
                ),
            ])),
        );
    }
}
