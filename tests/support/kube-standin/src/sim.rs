//! What the control plane would do: defaulting, a little validation, and the simulated status
//! (deployment rollouts, load-balancer ingress, namespace phase); when the controllers that
//! act on other objects (default service accounts, service-account tokens) are due.

use serde_json::{json, Value};

use crate::store::{ApiError, Kind, Store};

/// The type of a secret the token controller fills in.
const SERVICE_ACCOUNT_TOKEN: &str = "kubernetes.io/service-account-token";

fn default(obj: &mut Value, key: &str, value: Value) {
    if let Some(m) = obj.as_object_mut() {
        if m.get(key).is_none_or(Value::is_null) {
            m.insert(key.to_string(), value);
        }
    }
}

fn default_container(c: &mut Value) {
    let image = c["image"].as_str().unwrap_or("");
    let latest =
        image.ends_with(":latest") || !image.rsplit('/').next().unwrap_or("").contains(':');
    default(
        c,
        "imagePullPolicy",
        json!(if latest { "Always" } else { "IfNotPresent" }),
    );
    default(c, "terminationMessagePath", json!("/dev/termination-log"));
    default(c, "terminationMessagePolicy", json!("File"));
    if let Some(ports) = c.get_mut("ports").and_then(Value::as_array_mut) {
        for p in ports {
            default(p, "protocol", json!("TCP"));
        }
    }
}

/// Fills in the defaults the API server would (only where the field is absent).
pub fn default_object(store: &mut Store, kind: &Kind, old: Option<&Value>, obj: &mut Value) {
    match (kind.group.as_str(), kind.kind.as_str()) {
        ("", "Secret") => {
            default(obj, "type", json!("Opaque"));
            merge_string_data(obj);
        }
        ("apps", "ReplicaSet") => default(&mut obj["spec"], "replicas", json!(1)),
        ("apps", "Deployment") => {
            let spec = &mut obj["spec"];
            default(spec, "replicas", json!(1));
            default(spec, "revisionHistoryLimit", json!(10));
            default(spec, "progressDeadlineSeconds", json!(600));
            // SetDefaults_Deployment: an empty strategy (`strategy: {}`, as `kubectl create
            // deployment` sends) is a RollingUpdate, whose parameters default to 25%.
            default(spec, "strategy", json!({}));
            default(&mut spec["strategy"], "type", json!("RollingUpdate"));
            if spec["strategy"]["type"] == json!("RollingUpdate") {
                default(&mut spec["strategy"], "rollingUpdate", json!({}));
                let rolling = &mut spec["strategy"]["rollingUpdate"];
                default(rolling, "maxUnavailable", json!("25%"));
                default(rolling, "maxSurge", json!("25%"));
            }
            let pod = &mut spec["template"]["spec"];
            default(pod, "restartPolicy", json!("Always"));
            default(pod, "dnsPolicy", json!("ClusterFirst"));
            default(pod, "terminationGracePeriodSeconds", json!(30));
            default(pod, "schedulerName", json!("default-scheduler"));
            default(pod, "securityContext", json!({}));
            for list in ["containers", "initContainers"] {
                // `get_mut`: indexing would add `initContainers: null` to every pod template.
                if let Some(cs) = pod.get_mut(list).and_then(Value::as_array_mut) {
                    cs.iter_mut().for_each(default_container);
                }
            }
        }
        ("", "Service") => {
            if let Some(old) = old {
                drop_type_dependent_fields(old, obj);
            }
            let spec = &mut obj["spec"];
            default(spec, "type", json!("ClusterIP"));
            default(spec, "sessionAffinity", json!("None"));
            default(spec, "internalTrafficPolicy", json!("Cluster"));
            let ty = spec["type"].as_str().unwrap_or("ClusterIP").to_string();
            if ty != "ExternalName" {
                let ip = match old.and_then(|o| o["spec"]["clusterIP"].as_str()) {
                    Some(ip) => ip.to_string(),
                    None => {
                        store.next_ip += 1;
                        format!("10.96.{}.{}", store.next_ip / 250, store.next_ip % 250)
                    }
                };
                default(spec, "clusterIP", json!(ip));
                let ip = spec["clusterIP"].clone();
                default(spec, "clusterIPs", json!([ip]));
            }
            let node_ports = ty == "NodePort" || ty == "LoadBalancer";
            if node_ports {
                default(spec, "externalTrafficPolicy", json!("Cluster"));
            }
            let old_ports = old.map(|o| o["spec"]["ports"].clone()).unwrap_or_default();
            if let Some(ports) = spec["ports"].as_array_mut() {
                for p in ports {
                    default(p, "protocol", json!("TCP"));
                    let port = p["port"].clone();
                    default(p, "targetPort", port.clone());
                    if node_ports {
                        let kept = old_ports
                            .as_array()
                            .and_then(|o| o.iter().find(|q| q["port"] == port))
                            .map(|q| q["nodePort"].clone())
                            .filter(|n| !n.is_null());
                        let np = kept.unwrap_or_else(|| {
                            store.next_node_port += 1;
                            json!(store.next_node_port)
                        });
                        default(p, "nodePort", np);
                    }
                }
            }
        }
        _ => {}
    }
}

fn service_type(obj: &Value) -> &str {
    obj["spec"]["type"].as_str().unwrap_or("ClusterIP")
}

fn has_node_ports(obj: &Value) -> bool {
    matches!(service_type(obj), "NodePort" | "LoadBalancer")
}

/// Reachable from outside the cluster: what an external traffic policy is for.
fn externally_accessible(obj: &Value) -> bool {
    has_node_ports(obj)
        || (service_type(obj) == "ClusterIP"
            && obj["spec"]["externalIPs"]
                .as_array()
                .is_some_and(|a| !a.is_empty()))
}

/// What the API server's service strategy does when an update changes the type: fields the
/// new type cannot have are wiped when the request left them as they were (node ports, the
/// external traffic policy; the cluster IPs when moving to ExternalName). A request that
/// changed them keeps them, and validation rejects it.
fn drop_type_dependent_fields(old: &Value, obj: &mut Value) {
    let spec = &obj["spec"];
    if service_type(old) != "ExternalName"
        && service_type(obj) == "ExternalName"
        && spec["clusterIP"] == old["spec"]["clusterIP"]
    {
        if let Some(s) = obj["spec"].as_object_mut() {
            s.remove("clusterIP");
            s.remove("clusterIPs");
        }
    }
    let node_ports = |o: &Value| -> Vec<Value> {
        o["spec"]["ports"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| p["nodePort"].clone())
            .filter(|n| !n.is_null())
            .collect()
    };
    let old_ports = node_ports(old);
    let same_node_ports = node_ports(obj).iter().all(|n| old_ports.contains(n));
    if has_node_ports(old) && !has_node_ports(obj) && same_node_ports {
        for p in obj["spec"]["ports"].as_array_mut().into_iter().flatten() {
            if let Some(p) = p.as_object_mut() {
                p.remove("nodePort");
            }
        }
    }
    let policy = obj["spec"]["externalTrafficPolicy"].clone();
    if externally_accessible(old)
        && !externally_accessible(obj)
        && policy == old["spec"]["externalTrafficPolicy"]
    {
        if let Some(s) = obj["spec"].as_object_mut() {
            s.remove("externalTrafficPolicy");
        }
    }
}

/// The validation the typed resources rely on (422 `Invalid`).
pub fn validate(kind: &Kind, name: &str, old: Option<&Value>, obj: &Value) -> Result<(), ApiError> {
    let valid_name = !name.is_empty()
        && name.len() <= 253
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && !name.starts_with('-')
        && !name.ends_with('-');
    if !valid_name {
        return Err(ApiError::invalid(kind, name, "metadata.name", &format!(
            "Invalid value: \"{name}\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'")));
    }
    if kind.kind == "Secret" && kind.group.is_empty() {
        check_secret_size(kind, name, obj)?;
    }
    match kind.kind.as_str() {
        "Deployment" if kind.group == "apps" => {
            let selector = &obj["spec"]["selector"];
            let Some(match_labels) = selector["matchLabels"].as_object() else {
                return Err(ApiError::invalid(
                    kind,
                    name,
                    "spec.selector",
                    "Required value",
                ));
            };
            let labels = &obj["spec"]["template"]["metadata"]["labels"];
            if match_labels.iter().any(|(k, v)| &labels[k] != v) {
                return Err(ApiError::invalid(
                    kind,
                    name,
                    "spec.template.metadata.labels",
                    &format!(
                        "Invalid value: {labels}: `selector` does not match template `labels`"
                    ),
                ));
            }
            if old.is_some_and(|o| &o["spec"]["selector"] != selector) {
                return Err(ApiError::invalid(
                    kind,
                    name,
                    "spec.selector",
                    &format!("Invalid value: {selector}: field is immutable"),
                ));
            }
            let containers = obj["spec"]["template"]["spec"]["containers"].as_array();
            if containers.is_none_or(Vec::is_empty) {
                return Err(ApiError::invalid(
                    kind,
                    name,
                    "spec.template.spec.containers",
                    "Required value",
                ));
            }
        }
        "Service" if kind.group.is_empty() => {
            let ty = service_type(obj);
            if !has_node_ports(obj) {
                let ports = obj["spec"]["ports"].as_array().into_iter().flatten();
                if let Some(i) = ports.into_iter().position(|p| !p["nodePort"].is_null()) {
                    return Err(ApiError::invalid(
                        kind,
                        name,
                        &format!("spec.ports[{i}].nodePort"),
                        &format!("Forbidden: may not be used when `type` is '{ty}'"),
                    ));
                }
            }
            let policy = &obj["spec"]["externalTrafficPolicy"];
            if !externally_accessible(obj) && !policy.is_null() {
                return Err(ApiError::invalid(
                    kind,
                    name,
                    "spec.externalTrafficPolicy",
                    &format!("Invalid value: {policy}: may only be set for externally-accessible services"),
                ));
            }
            // The cluster IP is immutable while both types have one.
            let old_ip = old
                .filter(|o| service_type(o) != "ExternalName" && ty != "ExternalName")
                .and_then(|o| o["spec"]["clusterIP"].as_str());
            if old_ip.is_some_and(|ip| obj["spec"]["clusterIP"].as_str() != Some(ip)) {
                return Err(ApiError::invalid(
                    kind,
                    name,
                    "spec.clusterIP",
                    "Invalid value: field is immutable",
                ));
            }
        }
        "ConfigMap" | "Secret" if kind.group.is_empty() => {
            if let Some(old) = old.filter(|o| o["immutable"] == json!(true)) {
                if old["data"] != obj["data"] || old["binaryData"] != obj["binaryData"] {
                    return Err(ApiError::invalid(
                        kind,
                        name,
                        "data",
                        "Forbidden: field is immutable when `immutable` is set",
                    ));
                }
                if obj["immutable"] != json!(true) {
                    return Err(ApiError::invalid(
                        kind,
                        name,
                        "immutable",
                        "Forbidden: field is immutable when `immutable` is set",
                    ));
                }
            }
            if let Some(old) = old.filter(|_| kind.kind == "Secret") {
                if old["type"] != obj["type"] {
                    return Err(ApiError::invalid(
                        kind,
                        name,
                        "type",
                        &format!("Invalid value: {}: field is immutable", obj["type"]),
                    ));
                }
            }
            if kind.kind == "Secret"
                && obj["type"] == json!(SERVICE_ACCOUNT_TOKEN)
                && obj["metadata"]["annotations"]["kubernetes.io/service-account.name"]
                    .as_str()
                    .is_none_or(str::is_empty)
            {
                return Err(ApiError::invalid(
                    kind,
                    name,
                    "metadata.annotations[kubernetes.io/service-account.name]",
                    "Required value",
                ));
            }
            if kind.kind == "Secret" {
                if let Some(data) = obj["data"].as_object() {
                    use base64::Engine;
                    for (k, v) in data {
                        let ok = v.as_str().is_some_and(|s| {
                            base64::engine::general_purpose::STANDARD.decode(s).is_ok()
                        });
                        if !ok {
                            return Err(ApiError::invalid(
                                kind,
                                name,
                                &format!("data[{k}]"),
                                "Invalid value: illegal base64 data",
                            ));
                        }
                    }
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// The status a new or changed object has at once.
pub fn initial_status(kind: &Kind, obj: &mut Value) {
    match kind.kind.as_str() {
        "Namespace" => default(obj, "status", json!({"phase": "Active"})),
        // Only a LoadBalancer keeps its ingress (the strategy clears it on a type change).
        "Service" if obj["spec"]["type"] != json!("LoadBalancer") => {
            obj["status"] = json!({"loadBalancer": {}});
        }
        "Service" => default(obj, "status", json!({"loadBalancer": {}})),
        "Deployment" => default(obj, "status", json!({})),
        "ReplicaSet" => default(obj, "status", json!({"replicas": 0})),
        "Pod" => default(
            obj,
            "status",
            json!({"phase": "Pending", "qosClass": "BestEffort"}),
        ),
        _ => {}
    }
}

/// Whether the object's status changes a little later (rollout, load balancer).
pub fn needs_settling(kind: &Kind, old: Option<&Value>, new: &Value) -> bool {
    match kind.kind.as_str() {
        // The deployment and replica-set controllers act on a new generation, the kubelet on a
        // new pod (crate::controllers).
        "Deployment" | "ReplicaSet" => {
            old.is_none_or(|o| o["metadata"]["generation"] != new["metadata"]["generation"])
        }
        "Pod" => old.is_none(),
        "Service" => {
            new["spec"]["type"] == json!("LoadBalancer")
                && new["status"]["loadBalancer"]["ingress"].is_null()
        }
        // The service-account controller adds the namespace's `default` account.
        "Namespace" => old.is_none(),
        // The token controller fills in the token.
        "Secret" => new["type"] == json!(SERVICE_ACCOUNT_TOKEN) && new["data"]["token"].is_null(),
        _ => false,
    }
}

/// The status once the simulated controllers have acted.
pub fn settle(plural: &str, obj: &mut Value) {
    match plural {
        "deployments" => {
            let generation = obj["metadata"]["generation"].clone();
            let replicas = obj["spec"]["replicas"].as_i64().unwrap_or(1);
            let name = obj["metadata"]["name"].as_str().unwrap_or("").to_string();
            let containers = obj["spec"]["template"]["spec"]["containers"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let failing = containers
                .iter()
                .any(|c| c["image"].as_str().is_some_and(|i| i.starts_with("fail:")));
            let time = crate::store::now();
            obj["status"] = if failing {
                json!({"observedGeneration": generation, "replicas": replicas, "updatedReplicas": replicas,
                    "unavailableReplicas": replicas, "conditions": [
                    {"type": "Available", "status": "False", "reason": "MinimumReplicasUnavailable",
                     "message": "Deployment does not have minimum availability.", "lastUpdateTime": time, "lastTransitionTime": time},
                    {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded",
                     "message": format!("ReplicaSet \"{name}-5d8f7c9b6\" has timed out progressing."), "lastUpdateTime": time, "lastTransitionTime": time}]})
            } else {
                json!({"observedGeneration": generation, "replicas": replicas, "updatedReplicas": replicas,
                    "readyReplicas": replicas, "availableReplicas": replicas, "conditions": [
                    {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable",
                     "message": "Deployment has minimum availability.", "lastUpdateTime": time, "lastTransitionTime": time},
                    {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable",
                     "message": format!("ReplicaSet \"{name}-5d8f7c9b6\" has successfully progressed."), "lastUpdateTime": time, "lastTransitionTime": time}]})
            };
            if replicas == 0 {
                obj["status"] = json!({"observedGeneration": generation, "conditions": obj["status"]["conditions"].clone()});
            }
        }
        "services" => {
            obj["status"] =
                json!({"loadBalancer": {"ingress": [{"ip": "203.0.113.10", "ipMode": "VIP"}]}});
        }
        _ => {}
    }
}

/// A Secret's `stringData` is write-only: the API server moves each entry into `data`
/// (base64), over an entry of the same key, and never stores `stringData`.
fn merge_string_data(obj: &mut Value) {
    use base64::Engine as _;
    let Some(Value::Object(strings)) = obj.as_object_mut().and_then(|o| o.remove("stringData"))
    else {
        return;
    };
    if !obj["data"].is_object() {
        obj["data"] = json!({});
    }
    for (key, value) in strings {
        let text = value.as_str().unwrap_or_default();
        obj["data"][key] = json!(base64::engine::general_purpose::STANDARD.encode(text));
    }
}

/// The API server's limit on a Secret's data (`MaxSecretSize`): the decoded bytes of `data`
/// and `stringData` together at most 1 MiB.
pub const MAX_SECRET_SIZE: usize = 1024 * 1024;

fn check_secret_size(kind: &Kind, name: &str, obj: &Value) -> Result<(), ApiError> {
    use base64::Engine;
    let mut total = 0usize;
    for (field, encoded) in [("data", true), ("stringData", false)] {
        for value in obj[field].as_object().into_iter().flat_map(|m| m.values()) {
            let text = value.as_str().unwrap_or_default();
            total += if encoded {
                base64::engine::general_purpose::STANDARD
                    .decode(text)
                    .map_or(text.len(), |b| b.len())
            } else {
                text.len()
            };
        }
    }
    if total > MAX_SECRET_SIZE {
        return Err(ApiError::invalid(
            kind,
            name,
            "data",
            &format!("Too long: must have at most {MAX_SECRET_SIZE} bytes"),
        ));
    }
    Ok(())
}
