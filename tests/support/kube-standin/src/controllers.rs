//! The simulated workload controllers (no containers run): a Deployment gets a ReplicaSet per
//! pod-template revision (`NAME-HASH`, `pod-template-hash`, the revision annotation, owner
//! references), which gets Pods (`NAME-HASH-XXXXX`) that start a little later (Running, Ready,
//! a pod IP and node); the Deployment's status follows the pods, with the real condition
//! reasons. Garbage collection deletes dependents by `ownerReferences` when their owner goes.
//!
//! Timing: a change to a Deployment or ReplicaSet is acted on after half the settle delay, its
//! new pods start after the other half, so a rollout completes after one settle delay. Images
//! starting `fail:` never start (`ImagePullBackOff`) and the rollout reports
//! `ProgressDeadlineExceeded` once the pods have settled.

use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};

use crate::apply;
use crate::store::{now, Entry, Key, Kind, Request, Store};

/// Who writes what the controllers change.
const CONTROLLER: &str = "kube-controller-manager";
/// The alphabet of generated names and template hashes (Kubernetes' `rand.String`).
const ALPHANUMS: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
/// The node every simulated pod runs on.
pub(crate) const NODE: &str = "standin-node";

/// How long after a write its controller acts.
pub(crate) fn first_delay(kind: &Kind, settle: Duration) -> Duration {
    match (kind.group.as_str(), kind.plural.as_str()) {
        ("apps", "deployments" | "replicasets") | ("", "pods") => settle / 2,
        _ => settle,
    }
}

/// Runs the controller of the object at `key`, which was due at `due`.
pub(crate) fn settle(store: &mut Store, key: &Key, due: Instant) {
    match key.1.as_str() {
        "deployments" => reconcile_deployment(store, key, due),
        "replicasets" => {
            reconcile_replica_set(store, key, due);
            if let Some(owner) = owner_key(store, key, "apps", "deployments") {
                reconcile_deployment(store, &owner, due);
            }
        }
        "pods" => {
            start_pod(store, key);
            if let Some(rs) = owner_key(store, key, "apps", "replicasets") {
                reconcile_replica_set(store, &rs, due);
                if let Some(dep) = owner_key(store, &rs, "apps", "deployments") {
                    reconcile_deployment(store, &dep, due);
                }
            }
        }
        _ => {}
    }
}

fn fnv32a(text: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in text.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// Kubernetes' `SafeEncodeString`: every byte mapped into [`ALPHANUMS`].
fn safe_encode(text: &str) -> String {
    text.bytes()
        .map(|b| ALPHANUMS[usize::from(b) % ALPHANUMS.len()] as char)
        .collect()
}

/// The value with object keys sorted, so equal templates hash alike. As for the typed objects
/// the controller compares, a `null` field or an empty struct is the same as none
/// (`creationTimestamp: null` and `resources: {}`, which `kubectl rollout undo` sends back).
fn canonical(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let mut out = Map::new();
            for k in keys {
                let value = canonical(&m[k]);
                if value.is_null() || value.as_object().is_some_and(Map::is_empty) {
                    continue;
                }
                out.insert(k.clone(), value);
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

/// The `pod-template-hash` of a pod template.
pub(crate) fn template_hash(template: &Value) -> String {
    safe_encode(&fnv32a(&canonical(template).to_string()).to_string())
}

/// Five characters for a generated pod name.
fn suffix(seed: &str) -> String {
    let mut h = fnv32a(seed);
    (0..5)
        .map(|_| {
            let c = ALPHANUMS[(h % ALPHANUMS.len() as u32) as usize] as char;
            h = (h / ALPHANUMS.len() as u32) ^ fnv32a(&format!("{seed}{h}"));
            c
        })
        .collect()
}

fn controller_uid(obj: &Value) -> Option<String> {
    obj["metadata"]["ownerReferences"]
        .as_array()?
        .iter()
        .find(|r| r["controller"] == json!(true))
        .and_then(|r| r["uid"].as_str())
        .map(str::to_string)
}

/// The key of the object of `group`/`plural` that controls the object at `key`.
fn owner_key(store: &Store, key: &Key, group: &str, plural: &str) -> Option<Key> {
    let uid = controller_uid(&store.objects.get(key)?.obj)?;
    store
        .objects
        .iter()
        .find(|(k, e)| {
            k.0 == group && k.1 == plural && k.2 == key.2 && e.obj["metadata"]["uid"] == json!(uid)
        })
        .map(|(k, _)| k.clone())
}

/// The keys of the `group`/`plural` objects in `ns` that `uid` controls.
fn owned(store: &Store, group: &str, plural: &str, ns: &str, uid: &str) -> Vec<Key> {
    store
        .objects
        .iter()
        .filter(|(k, e)| {
            k.0 == group
                && k.1 == plural
                && k.2 == ns
                && controller_uid(&e.obj).as_deref() == Some(uid)
        })
        .map(|(k, _)| k.clone())
        .collect()
}

fn obj(store: &Store, key: &Key) -> Value {
    store
        .objects
        .get(key)
        .map(|e| e.obj.clone())
        .unwrap_or(Value::Null)
}

/// Writes `new` at `key` as a controller does: a new `resourceVersion` and a watch event when
/// anything changed; `settle_at`, when given, schedules the object's own controller.
fn put(store: &mut Store, key: &Key, mut new: Value, settle_at: Option<Instant>) {
    let old = store.objects.get(key).map(|e| e.obj.clone());
    if old.as_ref() == Some(&new) {
        if let (Some(at), Some(e)) = (settle_at, store.objects.get_mut(key)) {
            e.settle_at = Some(at);
        }
        return;
    }
    let api_version = new["apiVersion"].as_str().unwrap_or("v1").to_string();
    let rv = store.bump();
    if old.is_none() {
        new["metadata"]["uid"] = json!(format!(
            "{:08x}-0000-4000-9000-{:012x}",
            store.revision,
            store.revision * 37
        ));
        new["metadata"]["creationTimestamp"] = json!(now());
        if new["metadata"]["generation"].is_null() && key.1 != "pods" && key.1 != "events" {
            new["metadata"]["generation"] = json!(1);
        }
    } else if let Some(old) = &old {
        let spec_changed = old["spec"] != new["spec"];
        if spec_changed {
            let g = old["metadata"]["generation"].as_i64().unwrap_or(1) + 1;
            new["metadata"]["generation"] = json!(g);
        }
    }
    record(old.as_ref(), &mut new, &key.1, &api_version);
    new["metadata"]["resourceVersion"] = json!(rv);
    let created = old.is_none();
    let entry = store.objects.entry(key.clone()).or_insert(Entry {
        obj: Value::Null,
        settle_at: None,
        delete_at: None,
    });
    entry.obj = new;
    if settle_at.is_some() {
        entry.settle_at = settle_at;
    }
    store.emit(if created { "ADDED" } else { "MODIFIED" }, key);
}

/// Records the controller's write in `managedFields` as a real cluster shows it: a write of a
/// workload's status (and the annotations the controllers keep there, such as
/// `deployment.kubernetes.io/revision`) goes through the `status` subresource; anything else
/// (creates, a ReplicaSet's `spec.replicas`) is an update of the object.
fn record(old: Option<&Value>, new: &mut Value, plural: &str, api_version: &str) {
    let status_write = old
        .is_some_and(|o| o["spec"] == new["spec"] && without_status(o) == without_status(new))
        && matches!(plural, "deployments" | "replicasets" | "pods");
    match old {
        Some(old) if status_write => {
            // The kubelet reports a pod's status, the controller manager the rest.
            let manager = if plural == "pods" {
                "kubelet"
            } else {
                CONTROLLER
            };
            apply::record_update_on(Some(old), new, manager, api_version, "status");
        }
        _ => apply::record_update(old, new, CONTROLLER, api_version),
    }
}

/// The object without its status, annotations and server-owned metadata.
fn without_status(obj: &Value) -> Value {
    let mut o = obj.clone();
    if let Some(m) = o.as_object_mut() {
        m.remove("status");
    }
    if let Some(m) = o["metadata"].as_object_mut() {
        for k in [
            "annotations",
            "resourceVersion",
            "managedFields",
            "generation",
        ] {
            m.remove(k);
        }
    }
    o
}

fn replicas(obj: &Value) -> i64 {
    obj["spec"]["replicas"].as_i64().unwrap_or(1)
}

fn revision(rs: &Value) -> i64 {
    rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"]
        .as_str()
        .and_then(|r| r.parse().ok())
        .unwrap_or(0)
}

fn count(obj: &Value, field: &str) -> i64 {
    obj["status"][field].as_i64().unwrap_or(0)
}

/// `maxUnavailable` of a rolling update, resolved against `desired` (rounded down).
fn max_unavailable(dep: &Value, desired: i64) -> i64 {
    let strategy = &dep["spec"]["strategy"];
    if strategy["type"] == json!("Recreate") {
        return 0;
    }
    match &strategy["rollingUpdate"]["maxUnavailable"] {
        Value::Number(n) => n.as_i64().unwrap_or(0),
        Value::String(s) => s
            .strip_suffix('%')
            .and_then(|p| p.parse::<i64>().ok())
            .map_or(0, |p| desired * p / 100),
        _ => desired / 4,
    }
}

/// The ReplicaSet of a deployment's current template.
fn new_replica_set(dep: &Value, hash: &str, revision: i64, replicas: i64) -> Value {
    let name = format!("{}-{hash}", dep["metadata"]["name"].as_str().unwrap_or(""));
    let mut template = dep["spec"]["template"].clone();
    template["metadata"]["labels"]["pod-template-hash"] = json!(hash);
    let mut selector = dep["spec"]["selector"].clone();
    selector["matchLabels"]["pod-template-hash"] = json!(hash);
    let mut annotations = dep["metadata"]["annotations"].clone();
    if let Some(a) = annotations.as_object_mut() {
        a.remove("kubectl.kubernetes.io/last-applied-configuration");
        a.remove("deployment.kubernetes.io/revision");
    }
    annotations["deployment.kubernetes.io/desired-replicas"] = json!(replicas.to_string());
    annotations["deployment.kubernetes.io/max-replicas"] =
        json!((replicas + (replicas + 3) / 4).to_string());
    annotations["deployment.kubernetes.io/revision"] = json!(revision.to_string());
    json!({
        "apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {
            "name": name, "namespace": dep["metadata"]["namespace"],
            "labels": template["metadata"]["labels"], "annotations": annotations,
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment",
                "name": dep["metadata"]["name"], "uid": dep["metadata"]["uid"],
                "controller": true, "blockOwnerDeletion": true}],
        },
        "spec": {"replicas": replicas, "minReadySeconds": dep["spec"]["minReadySeconds"].as_i64().unwrap_or(0),
            "selector": selector, "template": template},
        "status": {"replicas": 0},
    })
}

/// The deployment controller: ReplicaSets for the template, old ones scaled down once the new
/// one is available (or at once for `Recreate`), the history trimmed, the status from the pods.
fn reconcile_deployment(store: &mut Store, key: &Key, due: Instant) {
    let dep = obj(store, key);
    if dep.is_null() || !dep["metadata"]["deletionTimestamp"].is_null() {
        return;
    }
    let uid = dep["metadata"]["uid"].as_str().unwrap_or("").to_string();
    let ns = key.2.clone();
    let hash = template_hash(&dep["spec"]["template"]);
    let desired = replicas(&dep);
    let recreate = dep["spec"]["strategy"]["type"] == json!("Recreate");
    let paused = dep["spec"]["paused"] == json!(true);
    let rs_keys = owned(store, "apps", "replicasets", &ns, &uid);
    let max_revision = rs_keys
        .iter()
        .map(|k| revision(&obj(store, k)))
        .max()
        .unwrap_or(0);
    let new_key = rs_keys
        .iter()
        .find(|k| obj(store, k)["metadata"]["labels"]["pod-template-hash"] == json!(hash))
        .cloned();
    let old_keys: Vec<Key> = rs_keys
        .iter()
        .filter(|k| Some(*k) != new_key.as_ref())
        .cloned()
        .collect();
    let old_running = old_keys
        .iter()
        .any(|k| count(&obj(store, k), "replicas") > 0);
    let mut created = None;
    if !paused {
        let old_specs: i64 = old_keys.iter().map(|k| replicas(&obj(store, k))).sum();
        let (surge, unavailable) = rolling_limits(&dep, desired);
        let first = if recreate {
            if old_running {
                0
            } else {
                desired
            }
        } else if old_specs == 0 {
            desired
        } else {
            (desired + surge - old_specs).clamp(0, desired)
        };
        let new_key = match new_key.clone() {
            Some(k) => {
                let mut rs = obj(store, &k);
                rs["metadata"]["annotations"]["deployment.kubernetes.io/desired-replicas"] =
                    json!(desired.to_string());
                if revision(&rs) < max_revision {
                    rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"] =
                        json!((max_revision + 1).to_string());
                }
                put(store, &k, rs, None);
                k
            }
            None => {
                let rs = new_replica_set(&dep, &hash, max_revision + 1, first);
                let name = rs["metadata"]["name"].as_str().unwrap_or("").to_string();
                let k = (
                    "apps".to_string(),
                    "replicasets".to_string(),
                    ns.clone(),
                    name,
                );
                put(store, &k, rs, None);
                created = Some(k.3.clone());
                record_event(
                    store,
                    &dep,
                    "ScalingReplicaSet",
                    &format!("Scaled up replica set {} from 0 to {first}", k.3),
                );
                reconcile_replica_set(store, &k, due);
                k
            }
        };
        if recreate {
            for k in &old_keys {
                scale(store, &dep, k, 0, due);
            }
            let old_gone = old_keys
                .iter()
                .all(|k| count(&obj(store, k), "replicas") == 0);
            scale(
                store,
                &dep,
                &new_key,
                if old_gone { desired } else { 0 },
                due,
            );
        } else {
            let limits = (desired, surge, unavailable);
            for _ in 0..2 * desired + 4 {
                if !rolling_step(store, &dep, &new_key, &old_keys, limits, due) {
                    break;
                }
            }
        }
        trim_history(store, &dep, &old_keys);
    }
    deployment_status(store, key, &hash, created);
}

/// `maxSurge` (rounded up) and `maxUnavailable` (rounded down) of a rolling update, resolved
/// against `desired`; both 0 makes `maxUnavailable` 1, as the deployment controller does.
fn rolling_limits(dep: &Value, desired: i64) -> (i64, i64) {
    let rolling = &dep["spec"]["strategy"]["rollingUpdate"];
    let resolve = |v: &Value, up: bool| match v {
        Value::Number(n) => n.as_i64().unwrap_or(0),
        Value::String(s) => {
            let p = s
                .strip_suffix('%')
                .and_then(|p| p.parse::<i64>().ok())
                .unwrap_or(25);
            if up {
                (desired * p + 99) / 100
            } else {
                desired * p / 100
            }
        }
        _ => {
            if up {
                (desired + 3) / 4
            } else {
                desired / 4
            }
        }
    };
    let surge = resolve(&rolling["maxSurge"], true);
    let unavailable = resolve(&rolling["maxUnavailable"], false);
    if surge == 0 && unavailable == 0 {
        (0, 1)
    } else {
        (surge, unavailable)
    }
}

/// Scales the ReplicaSet at `key` to `to` (with the controller's event) and lets it act.
fn scale(store: &mut Store, dep: &Value, key: &Key, to: i64, due: Instant) {
    let mut rs = obj(store, key);
    if rs.is_null() {
        return;
    }
    let from = replicas(&rs);
    if from != to {
        let way = if to > from { "up" } else { "down" };
        record_event(
            store,
            dep,
            "ScalingReplicaSet",
            &format!("Scaled {way} replica set {} from {from} to {to}", key.3),
        );
        rs["spec"]["replicas"] = json!(to);
        put(store, key, rs, None);
    }
    reconcile_replica_set(store, key, due);
}

/// One step of a rolling update, as the deployment controller takes it: the new ReplicaSet
/// grows while all pods stay within `desired + maxSurge`, old ones shrink (unhealthy pods
/// first, oldest first) while at least `desired - maxUnavailable` pods stay available. Whether
/// anything was scaled.
fn rolling_step(
    store: &mut Store,
    dep: &Value,
    new_key: &Key,
    old_keys: &[Key],
    (desired, surge, unavailable): (i64, i64, i64),
    due: Instant,
) -> bool {
    let mut changed = false;
    let new_spec = replicas(&obj(store, new_key));
    let old_specs: i64 = old_keys.iter().map(|k| replicas(&obj(store, k))).sum();
    let target = if old_specs == 0 || new_spec > desired {
        desired
    } else {
        let current = new_spec + old_specs;
        let max_total = desired + surge;
        if current >= max_total {
            new_spec
        } else {
            new_spec + (max_total - current).min(desired - new_spec)
        }
    };
    if target != new_spec {
        changed = true;
    }
    scale(store, dep, new_key, target, due);
    if old_specs == 0 {
        return changed;
    }
    let mut olds: Vec<Key> = old_keys.to_vec();
    olds.sort_by_key(|k| revision(&obj(store, k)));
    let min_available = desired - unavailable;
    let new_unavailable = (target - count(&obj(store, new_key), "availableReplicas")).max(0);
    let mut max_down = target + old_specs - min_available - new_unavailable;
    if max_down <= 0 {
        return changed;
    }
    for k in &olds {
        let rs = obj(store, k);
        let spec = replicas(&rs);
        let down = (spec - count(&rs, "availableReplicas"))
            .min(max_down)
            .max(0);
        if down > 0 {
            scale(store, dep, k, spec - down, due);
            max_down -= down;
            changed = true;
        }
    }
    let available: i64 = std::iter::once(new_key)
        .chain(olds.iter())
        .map(|k| count(&obj(store, k), "availableReplicas"))
        .sum();
    let mut total_down = available - min_available;
    for k in &olds {
        if total_down <= 0 {
            break;
        }
        let spec = replicas(&obj(store, k));
        let down = spec.min(total_down);
        if down > 0 {
            scale(store, dep, k, spec - down, due);
            total_down -= down;
            changed = true;
        }
    }
    changed
}

/// Deletes scaled-down ReplicaSets beyond `revisionHistoryLimit`, oldest first.
fn trim_history(store: &mut Store, dep: &Value, old: &[Key]) {
    let limit = dep["spec"]["revisionHistoryLimit"].as_i64().unwrap_or(10);
    let mut idle: Vec<(i64, Key)> = old
        .iter()
        .filter(|k| store.objects.contains_key(*k))
        .map(|k| (obj(store, k), k))
        .filter(|(rs, _)| replicas(rs) == 0 && count(rs, "replicas") == 0)
        .map(|(rs, k)| (revision(&rs), k.clone()))
        .collect();
    idle.sort();
    let excess = idle
        .len()
        .saturating_sub(usize::try_from(limit).unwrap_or(0));
    for (_, k) in idle.into_iter().take(excess) {
        if let Some(gone) = store.remove_object(&k) {
            collect_garbage(store, &gone, "Background");
        }
    }
}

fn condition(kind: &str, ok: bool, reason: &str, message: String, old: &Value) -> Value {
    let status = if ok { "True" } else { "False" };
    let time = now();
    let previous = old["status"]["conditions"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["type"] == json!(kind)));
    let transition = previous
        .filter(|c| c["status"] == json!(status))
        .map_or(json!(time), |c| c["lastTransitionTime"].clone());
    let update = previous
        .filter(|c| c["status"] == json!(status) && c["reason"] == json!(reason))
        .map_or(json!(time), |c| c["lastUpdateTime"].clone());
    json!({"type": kind, "status": status, "lastUpdateTime": update,
        "lastTransitionTime": transition, "reason": reason, "message": message})
}

/// Whether a pod has settled without becoming ready (its image cannot be pulled).
fn stuck(pod: &Value) -> bool {
    pod["status"]["containerStatuses"]
        .as_array()
        .is_some_and(|cs| cs.iter().any(|c| !c["state"]["waiting"].is_null()))
}

fn ready(pod: &Value) -> bool {
    pod["status"]["conditions"].as_array().is_some_and(|cs| {
        cs.iter()
            .any(|c| c["type"] == json!("Ready") && c["status"] == json!("True"))
    })
}

/// The deployment's status from its ReplicaSets and their pods.
fn deployment_status(store: &mut Store, key: &Key, hash: &str, created: Option<String>) {
    let dep = obj(store, key);
    let uid = dep["metadata"]["uid"].as_str().unwrap_or("").to_string();
    let rs_keys = owned(store, "apps", "replicasets", &key.2, &uid);
    let rss: Vec<Value> = rs_keys.iter().map(|k| obj(store, k)).collect();
    let new = rss
        .iter()
        .find(|rs| rs["metadata"]["labels"]["pod-template-hash"] == json!(hash));
    let new_name = new
        .and_then(|rs| rs["metadata"]["name"].as_str())
        .unwrap_or("")
        .to_string();
    let desired = replicas(&dep);
    let sum = |f: &str| rss.iter().map(|rs| count(rs, f)).sum::<i64>();
    let total = sum("replicas");
    let updated = new.map_or(0, |rs| count(rs, "replicas"));
    let ready_n = sum("readyReplicas");
    let available = sum("availableReplicas");
    let unavailable = (desired - available).max(0);
    let new_uid = new
        .and_then(|rs| rs["metadata"]["uid"].as_str())
        .unwrap_or("")
        .to_string();
    let failing = owned(store, "", "pods", &key.2, &new_uid)
        .iter()
        .any(|k| stuck(&obj(store, k)));
    let complete = updated == desired && total == desired && available >= desired;
    let available_ok = available >= desired - max_unavailable(&dep, desired);
    let mut conditions = vec![if available_ok {
        condition(
            "Available",
            true,
            "MinimumReplicasAvailable",
            "Deployment has minimum availability.".into(),
            &dep,
        )
    } else {
        condition(
            "Available",
            false,
            "MinimumReplicasUnavailable",
            "Deployment does not have minimum availability.".into(),
            &dep,
        )
    }];
    let rs = format!("ReplicaSet \"{new_name}\"");
    conditions.push(if failing {
        condition(
            "Progressing",
            false,
            "ProgressDeadlineExceeded",
            format!("{rs} has timed out progressing."),
            &dep,
        )
    } else if complete {
        condition(
            "Progressing",
            true,
            "NewReplicaSetAvailable",
            format!("{rs} has successfully progressed."),
            &dep,
        )
    } else if created.is_some() {
        condition(
            "Progressing",
            true,
            "NewReplicaSetCreated",
            format!("Created new replica set \"{new_name}\""),
            &dep,
        )
    } else {
        condition(
            "Progressing",
            true,
            "ReplicaSetUpdated",
            format!("{rs} is progressing."),
            &dep,
        )
    });
    let mut status = Map::new();
    status.insert(
        "observedGeneration".into(),
        dep["metadata"]["generation"].clone(),
    );
    for (field, n) in [
        ("replicas", total),
        ("updatedReplicas", updated),
        ("readyReplicas", ready_n),
        ("availableReplicas", available),
        ("unavailableReplicas", unavailable),
    ] {
        if n != 0 {
            status.insert(field.into(), json!(n));
        }
    }
    status.insert("conditions".into(), Value::Array(conditions));
    let mut new_dep = dep.clone();
    new_dep["status"] = Value::Object(status);
    let mut annotations = new_dep["metadata"]["annotations"].clone();
    if let Some(rs) = new {
        annotations["deployment.kubernetes.io/revision"] = json!(revision(rs).to_string());
        new_dep["metadata"]["annotations"] = annotations;
    }
    // Only the controller's own fields changed: keep the times when nothing else did.
    let same = |a: &Value, b: &Value| {
        let strip = |v: &Value| {
            let mut v = v.clone();
            for c in v["status"]["conditions"]
                .as_array_mut()
                .into_iter()
                .flatten()
            {
                if let Some(c) = c.as_object_mut() {
                    c.remove("lastUpdateTime");
                    c.remove("lastTransitionTime");
                }
            }
            v
        };
        strip(a) == strip(b)
    };
    if !same(&dep, &new_dep) {
        put(store, key, new_dep, None);
    }
}

/// The ReplicaSet controller: as many pods as `spec.replicas` (new ones start later), and the
/// status counting them.
fn reconcile_replica_set(store: &mut Store, key: &Key, due: Instant) {
    let rs = obj(store, key);
    if rs.is_null() || !rs["metadata"]["deletionTimestamp"].is_null() {
        return;
    }
    let uid = rs["metadata"]["uid"].as_str().unwrap_or("").to_string();
    let want = usize::try_from(replicas(&rs).max(0)).unwrap_or(0);
    let mut pods = owned(store, "", "pods", &key.2, &uid);
    let start_at = due
        + first_delay(
            &Kind::new("", "v1", "Pod", "pods", true),
            store.options.settle_delay,
        );
    let name = key.3.clone();
    let mut n = 0u64;
    while pods.len() < want {
        n += 1;
        let pod_name = format!(
            "{name}-{}",
            suffix(&format!("{name}/{}/{n}", store.revision))
        );
        let pod_key = (
            String::new(),
            "pods".to_string(),
            key.2.clone(),
            pod_name.clone(),
        );
        if store.objects.contains_key(&pod_key) {
            continue;
        }
        put(store, &pod_key, new_pod(&rs, &pod_name), Some(start_at));
        pods.push(pod_key);
    }
    if pods.len() > want {
        // Not-ready pods go first, then the newest.
        let mut ranked: Vec<(bool, String, Key)> = pods
            .iter()
            .map(|k| {
                let p = obj(store, k);
                let created = p["metadata"]["creationTimestamp"]
                    .as_str()
                    .unwrap_or("")
                    .to_string();
                (ready(&p), created, k.clone())
            })
            .collect();
        ranked.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        let extra = pods.len() - want;
        for (_, _, k) in ranked.into_iter().take(extra) {
            store.remove_object(&k);
            pods.retain(|p| p != &k);
        }
    }
    let ready_n = pods.iter().filter(|k| ready(&obj(store, k))).count() as i64;
    let mut status = Map::new();
    status.insert("replicas".into(), json!(pods.len()));
    for (field, n) in [
        ("fullyLabeledReplicas", pods.len() as i64),
        ("readyReplicas", ready_n),
        ("availableReplicas", ready_n),
    ] {
        if n != 0 {
            status.insert(field.into(), json!(n));
        }
    }
    status.insert(
        "observedGeneration".into(),
        rs["metadata"]["generation"].clone(),
    );
    let mut new = rs.clone();
    new["status"] = Value::Object(status);
    put(store, key, new, None);
}

fn new_pod(rs: &Value, name: &str) -> Value {
    let template = &rs["spec"]["template"];
    let mut spec = template["spec"].clone();
    spec["nodeName"] = json!(NODE);
    if spec["serviceAccountName"].is_null() {
        spec["serviceAccountName"] = json!("default");
        spec["serviceAccount"] = json!("default");
    }
    let mut meta = json!({
        "name": name, "namespace": rs["metadata"]["namespace"],
        "generateName": format!("{}-", rs["metadata"]["name"].as_str().unwrap_or("")),
        "labels": template["metadata"]["labels"],
        "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
            "name": rs["metadata"]["name"], "uid": rs["metadata"]["uid"],
            "controller": true, "blockOwnerDeletion": true}],
    });
    if !template["metadata"]["annotations"].is_null() {
        meta["annotations"] = template["metadata"]["annotations"].clone();
    }
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec,
        "status": {"phase": "Pending", "qosClass": "BestEffort", "conditions": [
            {"type": "PodScheduled", "status": "True", "lastProbeTime": null, "lastTransitionTime": now()}]}})
}

/// The kubelet: the pod runs (or, for a `fail:` image, waits in `ImagePullBackOff`).
fn start_pod(store: &mut Store, key: &Key) {
    let mut pod = obj(store, key);
    if pod.is_null() {
        return;
    }
    if pod["spec"]["nodeName"].is_null() {
        pod["spec"]["nodeName"] = json!(NODE);
    }
    let time = now();
    let rv = store.revision;
    let ip = format!("10.244.{}.{}", (rv / 250) % 250, rv % 250 + 1);
    let containers = pod["spec"]["containers"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let failing = containers
        .iter()
        .any(|c| c["image"].as_str().is_some_and(|i| i.starts_with("fail:")));
    let statuses: Vec<Value> = containers
        .iter()
        .map(|c| {
            let image = c["image"].as_str().unwrap_or("");
            if failing {
                json!({"name": c["name"], "image": image, "imageID": "", "ready": false,
                    "started": false, "restartCount": 0, "state": {"waiting": {
                        "reason": "ImagePullBackOff",
                        "message": format!("Back-off pulling image \"{image}\"")}}})
            } else {
                json!({"name": c["name"], "image": image,
                    "imageID": format!("{image}@sha256:{:08x}", fnv32a(image)),
                    "containerID": format!("containerd://{:08x}{:08x}", fnv32a(&time), rv),
                    "ready": true, "started": true, "restartCount": 0,
                    "state": {"running": {"startedAt": time}}})
            }
        })
        .collect();
    let cond = |t: &str, ok: bool| {
        let mut c = json!({"type": t, "status": if ok { "True" } else { "False" },
            "lastProbeTime": null, "lastTransitionTime": time});
        if !ok {
            c["reason"] = json!("ContainersNotReady");
            c["message"] = json!(format!(
                "containers with unready status: [{}]",
                containers
                    .iter()
                    .filter_map(|c| c["name"].as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            ));
        }
        c
    };
    pod["status"] = json!({
        "phase": if failing { "Pending" } else { "Running" },
        "conditions": [cond("PodReadyToStartContainers", true), cond("Initialized", true),
            cond("Ready", !failing), cond("ContainersReady", !failing), cond("PodScheduled", true)],
        "hostIP": "192.168.49.2", "hostIPs": [{"ip": "192.168.49.2"}],
        "podIP": ip, "podIPs": [{"ip": ip}], "startTime": time,
        "containerStatuses": statuses, "qosClass": "BestEffort",
    });
    put(store, key, pod, None);
}

/// An `Event` about `involved`, as the deployment controller records them.
fn record_event(store: &mut Store, involved: &Value, reason: &str, message: &str) {
    let ns = involved["metadata"]["namespace"]
        .as_str()
        .unwrap_or("default")
        .to_string();
    // Named as the event recorder names them: the object's name and a hex time (so they sort
    // in the order they happened).
    let micros = chrono::Utc::now().timestamp_micros().max(0);
    let name = format!(
        "{}.{:014x}{:04x}",
        involved["metadata"]["name"].as_str().unwrap_or(""),
        micros,
        store.revision % 0x10000
    );
    let key = (
        String::new(),
        "events".to_string(),
        ns.clone(),
        name.clone(),
    );
    let time = now();
    let event = json!({
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"name": name, "namespace": ns},
        "involvedObject": {"kind": involved["kind"], "namespace": ns,
            "name": involved["metadata"]["name"], "uid": involved["metadata"]["uid"],
            "apiVersion": involved["apiVersion"],
            "resourceVersion": involved["metadata"]["resourceVersion"]},
        "reason": reason, "message": message, "type": "Normal",
        "source": {"component": "deployment-controller"},
        "firstTimestamp": time, "lastTimestamp": time, "count": 1,
        "reportingComponent": "deployment-controller", "reportingInstance": "",
    });
    put(store, &key, event, None);
}

/// The propagation policy of a delete: `propagationPolicy` in the query or the body's
/// `DeleteOptions` (`orphanDependents` for old clients); `Background` when none is given.
pub(crate) fn propagation(req: &Request) -> String {
    if let Some(p) = req.query.get("propagationPolicy") {
        return p.clone();
    }
    let options: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
    if let Some(p) = options["propagationPolicy"].as_str() {
        return p.to_string();
    }
    if options["orphanDependents"] == json!(true) {
        return "Orphan".into();
    }
    "Background".into()
}

/// The garbage collector after `gone` was deleted: its dependents (by `ownerReferences`) are
/// deleted (`Background`, `Foreground`, at once) or released (`Orphan`); the controller of
/// `gone`, if any, is due again (a deleted pod is replaced).
pub(crate) fn collect_garbage(store: &mut Store, gone: &Value, policy: &str) {
    let uid = gone["metadata"]["uid"].as_str().unwrap_or("").to_string();
    let ns = gone["metadata"]["namespace"]
        .as_str()
        .unwrap_or("")
        .to_string();
    if !uid.is_empty() {
        let dependents: Vec<Key> = store
            .objects
            .iter()
            .filter(|(k, e)| {
                (ns.is_empty() || k.2 == ns)
                    && e.obj["metadata"]["ownerReferences"]
                        .as_array()
                        .is_some_and(|rs| rs.iter().any(|r| r["uid"] == json!(uid)))
            })
            .map(|(k, _)| k.clone())
            .collect();
        for k in dependents {
            if policy == "Orphan" {
                let mut o = obj(store, &k);
                if let Some(refs) = o["metadata"]["ownerReferences"].as_array_mut() {
                    refs.retain(|r| r["uid"] != json!(uid));
                    if refs.is_empty() {
                        if let Some(m) = o["metadata"].as_object_mut() {
                            m.remove("ownerReferences");
                        }
                    }
                }
                put(store, &k, o, None);
            } else if let Some(dependent) = store.remove_object(&k) {
                collect_garbage(store, &dependent, policy);
            }
        }
    }
    if let Some(owner) = controller_uid(gone) {
        let now = Instant::now();
        for e in store.objects.values_mut() {
            if e.obj["metadata"]["uid"] == json!(owner)
                && e.obj["metadata"]["namespace"] == json!(ns)
            {
                e.settle_at = Some(now);
            }
        }
    }
}
