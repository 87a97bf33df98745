//! Server-side printing: the `meta.k8s.io` `Table` a 1.32 API server answers `kubectl get` with
//! (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io,…`), its columns and cells those of the
//! API server's printers (`pkg/printers/internalversion`), the apiextensions convertor for
//! custom kinds (`NAME AGE`), and the default convertor (`NAME CREATED AT`) for the rest.

use serde_json::{json, Map, Value};

use crate::discovery::Doc;
use crate::store::{Kind, Request};

/// The `meta.k8s.io` version of `Table` a client asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TableVersion {
    V1,
    V1beta1,
}

impl TableVersion {
    fn name(self) -> &'static str {
        match self {
            TableVersion::V1 => "v1",
            TableVersion::V1beta1 => "v1beta1",
        }
    }

    /// `meta.k8s.io/v1`.
    pub fn api_version(self) -> String {
        format!("meta.k8s.io/{}", self.name())
    }

    /// The response `Content-Type`, as the API server labels a Table.
    pub fn content_type(self) -> String {
        format!("application/json;as=Table;v={};g=meta.k8s.io", self.name())
    }
}

/// What each row carries as `object` (`?includeObject=`): nothing, the `PartialObjectMetadata`
/// (the default), or the whole object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Include {
    None,
    Metadata,
    Object,
}

impl Include {
    /// From the `includeObject` query parameter (unset or unknown: `Metadata`).
    pub fn from_query(value: Option<&str>) -> Include {
        match value {
            Some("None") => Include::None,
            Some("Object") => Include::Object,
            _ => Include::Metadata,
        }
    }
}

/// The Table version the `Accept` header prefers, when it asks for one before any plain JSON
/// (clauses in order, as the API server negotiates; `application/json` first means JSON).
pub fn negotiate(accept: &str) -> Option<TableVersion> {
    for clause in accept.split(',') {
        let mut parts = clause.split(';').map(str::trim);
        let media = parts.next().unwrap_or("");
        let params: Vec<(&str, &str)> = parts.filter_map(|p| p.split_once('=')).collect();
        let param = |name: &str| params.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
        let json = media == "application/json" || media == "*/*" || media == "application/*";
        if !json {
            continue;
        }
        match param("as") {
            None => return None,
            Some("Table") if param("g") == Some("meta.k8s.io") => match param("v") {
                Some("v1") => return Some(TableVersion::V1),
                Some("v1beta1") => return Some(TableVersion::V1beta1),
                _ => continue,
            },
            Some(_) => continue,
        }
    }
    None
}

/// The hook for `http.rs`: a successful GET whose `Accept` asks for a Table gets `body` (an
/// object or a list) printed as one; anything else is `None` (answer `body` as it is).
pub(crate) fn respond(kinds: &[Kind], req: &Request, accept: &str, body: &Value) -> Option<Doc> {
    if req.method != "GET" || req.subresource.is_some() {
        return None;
    }
    let version = negotiate(accept)?;
    let kind = kinds
        .iter()
        .find(|k| k.group == req.group && k.version == req.version && k.plural == req.plural)?;
    let include = Include::from_query(req.query.get("includeObject").map(String::as_str));
    // `TableOptions.NoHeaders` is not a query parameter (`json:"-"`): only watches drop headers.
    let table = table(kind, body, version, include, true);
    let mut doc = Doc::json(&table);
    doc.content_type = version.content_type();
    Some(doc)
}

/// The Table of one object or a list of them (`kind: …List` with `items`).
pub fn table(
    kind: &Kind,
    body: &Value,
    version: TableVersion,
    include: Include,
    headers: bool,
) -> Value {
    let printer = Printer::of(kind);
    let (objects, resource_version): (Vec<Value>, Value) = match body["items"].as_array() {
        Some(items) => (
            items.iter().map(|i| with_type(kind, i)).collect(),
            body["metadata"]["resourceVersion"].clone(),
        ),
        None => (
            vec![with_type(kind, body)],
            body["metadata"]["resourceVersion"].clone(),
        ),
    };
    let rows: Vec<Value> = objects
        .iter()
        .map(|o| {
            let mut row = Map::new();
            row.insert("cells".into(), Value::Array(printer.cells(o)));
            match include {
                Include::None => {}
                Include::Metadata => {
                    row.insert(
                        "object".into(),
                        json!({"kind": "PartialObjectMetadata",
                            "apiVersion": version.api_version(), "metadata": o["metadata"]}),
                    );
                }
                Include::Object => {
                    row.insert("object".into(), o.clone());
                }
            }
            Value::Object(row)
        })
        .collect();
    let mut metadata = Map::new();
    if let Some(rv) = resource_version.as_str() {
        metadata.insert("resourceVersion".into(), json!(rv));
    }
    if let Some(c) = body["metadata"]["continue"].as_str() {
        metadata.insert("continue".into(), json!(c));
    }
    let mut table = Map::new();
    table.insert("kind".into(), json!("Table"));
    table.insert("apiVersion".into(), json!(version.api_version()));
    table.insert("metadata".into(), Value::Object(metadata));
    if headers {
        table.insert("columnDefinitions".into(), printer.columns());
    }
    table.insert("rows".into(), Value::Array(rows));
    Value::Object(table)
}

/// For watches (`?watch=true` with the Table `Accept`): the `object` of one watch event, a Table
/// of one row. `headers` is true for the first event of the stream only (the API server leaves
/// `columnDefinitions` out of the later ones), so kubectl prints the header line once.
pub fn watch_event_object(
    kind: &Kind,
    object: &Value,
    version: TableVersion,
    include: Include,
    headers: bool,
) -> Value {
    table(kind, object, version, include, headers)
}

/// List items come without `apiVersion`/`kind`; a row's object carries them.
fn with_type(kind: &Kind, item: &Value) -> Value {
    let mut o = item.clone();
    if let Some(m) = o.as_object_mut() {
        m.entry("apiVersion")
            .or_insert_with(|| json!(kind.api_version()));
        m.entry("kind").or_insert_with(|| json!(kind.kind));
    }
    o
}

const META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";

/// The description of `definition`'s `field` in the 1.32 OpenAPI definitions (the Go types'
/// SwaggerDoc the printers use), or "" for a definition not served here.
fn doc(definition: &str, field: &str) -> String {
    crate::schema::schemas().definitions()[definition]["properties"][field]["description"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// One column definition.
fn col(name: &str, ty: &str, priority: u8, description: impl Into<String>) -> Value {
    let format = if name == "Name" { "name" } else { "" };
    json!({"name": name, "type": ty, "format": format, "description": description.into(),
        "priority": priority})
}

fn name_col() -> Value {
    col("Name", "string", 0, doc(META, "name"))
}

fn age_col() -> Value {
    col("Age", "string", 0, doc(META, "creationTimestamp"))
}

const CONTAINERS: &str = "Names of each container in the template.";
const IMAGES: &str = "Images referenced by each container in the template.";

/// The printer of a kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Printer {
    Namespace,
    ConfigMap,
    Secret,
    Service,
    ServiceAccount,
    Pod,
    Event,
    Deployment,
    ReplicaSet,
    Lease,
    /// A custom resource whose definition has no printer columns: `Name`, `Age` (type date).
    Custom,
    /// The API server's default convertor: `Name`, `Created At` (type date, RFC 3339).
    Default,
}

impl Printer {
    fn of(kind: &Kind) -> Printer {
        match (kind.group.as_str(), kind.kind.as_str()) {
            ("", "Namespace") => Printer::Namespace,
            ("", "ConfigMap") => Printer::ConfigMap,
            ("", "Secret") => Printer::Secret,
            ("", "Service") => Printer::Service,
            ("", "ServiceAccount") => Printer::ServiceAccount,
            ("", "Pod") => Printer::Pod,
            ("", "Event") => Printer::Event,
            ("apps", "Deployment") => Printer::Deployment,
            ("apps", "ReplicaSet") => Printer::ReplicaSet,
            ("coordination.k8s.io", "Lease") => Printer::Lease,
            (g, _) if builtin_group(g) => Printer::Default,
            _ => Printer::Custom,
        }
    }

    fn columns(self) -> Value {
        let core = "io.k8s.api.core.v1.";
        let apps = "io.k8s.api.apps.v1.";
        let columns = match self {
            Printer::Namespace => vec![
                name_col(),
                col("Status", "string", 0, "The status of the namespace"),
                age_col(),
            ],
            Printer::ConfigMap => vec![
                name_col(),
                col("Data", "string", 0, doc(&format!("{core}ConfigMap"), "data")),
                age_col(),
            ],
            Printer::Secret => vec![
                name_col(),
                col("Type", "string", 0, doc(&format!("{core}Secret"), "type")),
                col("Data", "string", 0, doc(&format!("{core}Secret"), "data")),
                age_col(),
            ],
            Printer::Service => {
                let spec = format!("{core}ServiceSpec");
                vec![
                    name_col(),
                    col("Type", "string", 0, doc(&spec, "type")),
                    col("Cluster-IP", "string", 0, doc(&spec, "clusterIP")),
                    col("External-IP", "string", 0, doc(&spec, "externalIPs")),
                    col("Port(s)", "string", 0, doc(&spec, "ports")),
                    age_col(),
                    col("Selector", "string", 1, doc(&spec, "selector")),
                ]
            }
            Printer::ServiceAccount => vec![
                name_col(),
                col(
                    "Secrets",
                    "string",
                    0,
                    doc(&format!("{core}ServiceAccount"), "secrets"),
                ),
                age_col(),
            ],
            Printer::Pod => vec![
                name_col(),
                col("Ready", "string", 0, "The aggregate readiness state of this pod for accepting traffic."),
                col("Status", "string", 0, "The aggregate status of the containers in this pod."),
                col("Restarts", "string", 0, "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted."),
                age_col(),
                col("IP", "string", 1, doc(&format!("{core}PodStatus"), "podIP")),
                col("Node", "string", 1, doc(&format!("{core}PodSpec"), "nodeName")),
                col("Nominated Node", "string", 1, doc(&format!("{core}PodStatus"), "nominatedNodeName")),
                col("Readiness Gates", "string", 1, doc(&format!("{core}PodSpec"), "readinessGates")),
            ],
            Printer::Event => {
                let event = format!("{core}Event");
                vec![
                    col("Last Seen", "string", 0, doc(&event, "lastTimestamp")),
                    col("Type", "string", 0, doc(&event, "type")),
                    col("Reason", "string", 0, doc(&event, "reason")),
                    col("Object", "string", 0, doc(&event, "involvedObject")),
                    col("Subobject", "string", 1, doc(&format!("{core}ObjectReference"), "fieldPath")),
                    col("Source", "string", 1, doc(&event, "source")),
                    col("Message", "string", 0, doc(&event, "message")),
                    col("First Seen", "string", 1, doc(&event, "firstTimestamp")),
                    col("Count", "string", 1, doc(&event, "count")),
                    col("Name", "string", 1, doc(META, "name")),
                ]
            }
            Printer::Deployment => vec![
                name_col(),
                col("Ready", "string", 0, "Number of the pod with ready state"),
                col("Up-to-date", "string", 0, doc(&format!("{apps}DeploymentStatus"), "updatedReplicas")),
                col("Available", "string", 0, doc(&format!("{apps}DeploymentStatus"), "availableReplicas")),
                age_col(),
                col("Containers", "string", 1, CONTAINERS),
                col("Images", "string", 1, IMAGES),
                col("Selector", "string", 1, doc(&format!("{apps}DeploymentSpec"), "selector")),
            ],
            Printer::ReplicaSet => vec![
                name_col(),
                col("Desired", "integer", 0, doc(&format!("{apps}ReplicaSetSpec"), "replicas")),
                col("Current", "integer", 0, doc(&format!("{apps}ReplicaSetStatus"), "replicas")),
                col("Ready", "integer", 0, doc(&format!("{apps}ReplicaSetStatus"), "readyReplicas")),
                age_col(),
                col("Containers", "string", 1, CONTAINERS),
                col("Images", "string", 1, IMAGES),
                col("Selector", "string", 1, doc(&format!("{apps}ReplicaSetSpec"), "selector")),
            ],
            Printer::Lease => vec![
                name_col(),
                col(
                    "Holder",
                    "string",
                    0,
                    doc("io.k8s.api.coordination.v1.LeaseSpec", "holderIdentity"),
                ),
                age_col(),
            ],
            Printer::Custom => vec![
                name_col(),
                col("Age", "date", 0, doc(META, "creationTimestamp")),
            ],
            Printer::Default => vec![
                name_col(),
                col("Created At", "date", 0, doc(META, "creationTimestamp")),
            ],
        };
        Value::Array(columns)
    }

    /// Every cell, the `-o wide` ones included (the API server prints wide and kubectl drops
    /// the columns of priority 1 unless asked for them).
    fn cells(self, o: &Value) -> Vec<Value> {
        let name = json!(o["metadata"]["name"].as_str().unwrap_or_default());
        let age = json!(age(&o["metadata"]["creationTimestamp"]));
        let len = |v: &Value| v.as_object().map_or(0, Map::len) as i64;
        match self {
            Printer::Namespace => vec![name, json!(str_of(&o["status"]["phase"])), age],
            Printer::ConfigMap => vec![name, json!(len(&o["data"]) + len(&o["binaryData"])), age],
            Printer::Secret => vec![name, json!(str_of(&o["type"])), json!(len(&o["data"])), age],
            Printer::Service => {
                let mut cells = vec![name];
                cells.extend(service_cells(o));
                cells.insert(5, age);
                cells
            }
            Printer::ServiceAccount => {
                let secrets = o["secrets"].as_array().map_or(0, Vec::len) as i64;
                vec![name, json!(secrets), age]
            }
            Printer::Pod => {
                let (ready, status, restarts) = pod_state(o);
                let or_none = |v: &Value| match v.as_str() {
                    Some(s) if !s.is_empty() => s.to_string(),
                    _ => "<none>".to_string(),
                };
                let ip = or_none(&o["status"]["podIPs"][0]["ip"]);
                let gates = match o["spec"]["readinessGates"].as_array() {
                    Some(gates) if !gates.is_empty() => {
                        let conditions = o["status"]["conditions"].as_array();
                        let true_count = gates
                            .iter()
                            .filter(|g| {
                                conditions.into_iter().flatten().any(|c| {
                                    c["type"] == g["conditionType"] && c["status"] == "True"
                                })
                            })
                            .count();
                        format!("{true_count}/{}", gates.len())
                    }
                    _ => "<none>".to_string(),
                };
                vec![
                    name,
                    json!(ready),
                    json!(status),
                    json!(restarts),
                    age,
                    json!(ip),
                    json!(or_none(&o["spec"]["nodeName"])),
                    json!(or_none(&o["status"]["nominatedNodeName"])),
                    json!(gates),
                ]
            }
            Printer::Event => event_cells(o),
            Printer::Deployment => {
                let status = &o["status"];
                let (containers, images) = containers(&o["spec"]["template"]);
                vec![
                    name,
                    json!(format!(
                        "{}/{}",
                        int_of(&status["readyReplicas"]),
                        int_of(&o["spec"]["replicas"])
                    )),
                    json!(int_of(&status["updatedReplicas"])),
                    json!(int_of(&status["availableReplicas"])),
                    age,
                    json!(containers),
                    json!(images),
                    json!(selector(&o["spec"]["selector"])),
                ]
            }
            Printer::ReplicaSet => {
                let (containers, images) = containers(&o["spec"]["template"]);
                let selector = match selector(&o["spec"]["selector"]) {
                    s if s.is_empty() => "<none>".to_string(),
                    s => s,
                };
                vec![
                    name,
                    json!(int_of(&o["spec"]["replicas"])),
                    json!(int_of(&o["status"]["replicas"])),
                    json!(int_of(&o["status"]["readyReplicas"])),
                    age,
                    json!(containers),
                    json!(images),
                    json!(selector),
                ]
            }
            Printer::Lease => vec![name, json!(str_of(&o["spec"]["holderIdentity"])), age],
            Printer::Custom => vec![name, age],
            Printer::Default => {
                let created = o["metadata"]["creationTimestamp"].clone();
                vec![name, created]
            }
        }
    }
}

/// Groups of the Kubernetes API itself (everything else here is a custom resource).
pub(crate) fn builtin_group(group: &str) -> bool {
    group.is_empty() || !group.contains('.') || group.ends_with(".k8s.io")
}

fn str_of(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

fn int_of(v: &Value) -> i64 {
    v.as_i64().unwrap_or(0)
}

/// `TYPE CLUSTER-IP EXTERNAL-IP PORT(S) SELECTOR` of a service (the printer's cells, age left
/// for the caller to place).
fn service_cells(o: &Value) -> Vec<Value> {
    let spec = &o["spec"];
    let ty = spec["type"].as_str().unwrap_or("ClusterIP");
    let cluster_ip = spec["clusterIPs"][0]
        .as_str()
        .unwrap_or("<none>")
        .to_string();
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s.as_str().map(str::to_string))
            .collect()
    };
    let external_ips = strings(&spec["externalIPs"]);
    let external = match ty {
        "ClusterIP" | "NodePort" if !external_ips.is_empty() => external_ips.join(","),
        "ClusterIP" | "NodePort" => "<none>".to_string(),
        "LoadBalancer" => {
            // The printer shows every ingress IP (else hostname) once, sorted, clipped to 16
            // characters (the server prints wide: clipping is for non-wide only).
            let mut ingress: Vec<String> = o["status"]["loadBalancer"]["ingress"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|i| {
                    i["ip"]
                        .as_str()
                        .filter(|s| !s.is_empty())
                        .or_else(|| i["hostname"].as_str().filter(|s| !s.is_empty()))
                        .map(str::to_string)
                })
                .collect();
            ingress.sort();
            ingress.dedup();
            let mut all = ingress;
            all.extend(external_ips);
            if all.is_empty() {
                "<pending>".to_string()
            } else {
                all.join(",")
            }
        }
        "ExternalName" => str_of(&spec["externalName"]).to_string(),
        _ => "<unknown>".to_string(),
    };
    let ports: Vec<String> = spec["ports"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            let protocol = p["protocol"].as_str().unwrap_or("TCP");
            match p["nodePort"].as_i64().filter(|n| *n > 0) {
                Some(node_port) => format!("{}:{node_port}/{protocol}", int_of(&p["port"])),
                None => format!("{}/{protocol}", int_of(&p["port"])),
            }
        })
        .collect();
    let ports = if ports.is_empty() {
        "<none>".to_string()
    } else {
        ports.join(",")
    };
    vec![
        json!(ty),
        json!(cluster_ip),
        json!(external),
        json!(ports),
        json!(format_labels(&spec["selector"])),
    ]
}

/// `labels.FormatLabels`: `k=v,…` sorted by key, `<none>` when empty.
fn format_labels(map: &Value) -> String {
    let mut pairs: Vec<String> = map
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
        .collect();
    pairs.sort();
    if pairs.is_empty() {
        "<none>".to_string()
    } else {
        pairs.join(",")
    }
}

/// A label selector as `LabelSelectorAsSelector(…).String()` prints it: requirements sorted by
/// key, `k=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`.
fn selector(sel: &Value) -> String {
    let mut reqs: Vec<(String, String)> = Vec::new();
    for (k, v) in sel["matchLabels"].as_object().into_iter().flatten() {
        reqs.push((k.clone(), format!("{k}={}", v.as_str().unwrap_or_default())));
    }
    for e in sel["matchExpressions"].as_array().into_iter().flatten() {
        let key = str_of(&e["key"]).to_string();
        let mut values: Vec<&str> = e["values"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        values.sort();
        let text = match str_of(&e["operator"]) {
            "In" => format!("{key} in ({})", values.join(",")),
            "NotIn" => format!("{key} notin ({})", values.join(",")),
            "Exists" => key.clone(),
            "DoesNotExist" => format!("!{key}"),
            _ => continue,
        };
        reqs.push((key, text));
    }
    reqs.sort_by(|a, b| a.0.cmp(&b.0));
    reqs.into_iter()
        .map(|(_, t)| t)
        .collect::<Vec<_>>()
        .join(",")
}

/// The `CONTAINERS` and `IMAGES` cells of a pod template.
fn containers(template: &Value) -> (String, String) {
    let cs = template["spec"]["containers"].as_array();
    let names: Vec<&str> = cs
        .into_iter()
        .flatten()
        .map(|c| str_of(&c["name"]))
        .collect();
    let images: Vec<&str> = cs
        .into_iter()
        .flatten()
        .map(|c| str_of(&c["image"]))
        .collect();
    (names.join(","), images.join(","))
}

/// `READY`, `STATUS` and `RESTARTS` of a pod, as the pod printer works them out from the
/// container statuses (init containers first).
fn pod_state(pod: &Value) -> (String, String, String) {
    let status = &pod["status"];
    let total = pod["spec"]["containers"].as_array().map_or(0, Vec::len);
    let mut reason = str_of(&status["phase"]).to_string();
    if let Some(r) = status["reason"].as_str().filter(|r| !r.is_empty()) {
        reason = r.to_string();
    }
    let mut restarts = 0i64;
    let mut ready = 0usize;
    let mut initializing = false;
    let inits = status["initContainerStatuses"].as_array();
    let init_count = pod["spec"]["initContainers"].as_array().map_or(0, Vec::len);
    for (i, c) in inits.into_iter().flatten().enumerate() {
        restarts += int_of(&c["restartCount"]);
        let state = &c["state"];
        if state["terminated"].is_object() && int_of(&state["terminated"]["exitCode"]) == 0 {
            continue;
        }
        reason = if let Some(t) = state["terminated"].as_object() {
            match t
                .get("reason")
                .and_then(Value::as_str)
                .filter(|r| !r.is_empty())
            {
                Some(r) => format!("Init:{r}"),
                None => format!(
                    "Init:ExitCode:{}",
                    t.get("exitCode").and_then(Value::as_i64).unwrap_or(0)
                ),
            }
        } else if let Some(r) = state["waiting"]["reason"]
            .as_str()
            .filter(|r| !r.is_empty() && *r != "PodInitializing")
        {
            format!("Init:{r}")
        } else {
            format!("Init:{i}/{init_count}")
        };
        initializing = true;
        break;
    }
    // The latest `lastState.terminated.finishedAt` (RFC 3339 strings compare as times).
    let mut last_restart: Option<String> = None;
    let mut note_restart = |c: &Value| {
        if let Some(t) = c["lastState"]["terminated"]["finishedAt"].as_str() {
            if last_restart.as_deref().is_none_or(|l| l < t) {
                last_restart = Some(t.to_string());
            }
        }
    };
    if !initializing {
        restarts = 0;
        let mut has_running = false;
        let statuses = status["containerStatuses"].as_array();
        for c in statuses.into_iter().flatten().rev() {
            restarts += int_of(&c["restartCount"]);
            note_restart(c);
            let state = &c["state"];
            if let Some(r) = state["waiting"]["reason"]
                .as_str()
                .filter(|r| !r.is_empty())
            {
                reason = r.to_string();
            } else if let Some(t) = state["terminated"].as_object() {
                reason = match t
                    .get("reason")
                    .and_then(Value::as_str)
                    .filter(|r| !r.is_empty())
                {
                    Some(r) => r.to_string(),
                    None => match t.get("signal").and_then(Value::as_i64).filter(|s| *s != 0) {
                        Some(s) => format!("Signal:{s}"),
                        None => format!(
                            "ExitCode:{}",
                            t.get("exitCode").and_then(Value::as_i64).unwrap_or(0)
                        ),
                    },
                };
            } else if c["ready"] == json!(true) && state["running"].is_object() {
                has_running = true;
                ready += 1;
            }
        }
        if reason == "Completed" && has_running {
            let pod_ready = status["conditions"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|c| c["type"] == "Ready" && c["status"] == "True");
            reason = if pod_ready { "Running" } else { "NotReady" }.to_string();
        }
    }
    let terminal = matches!(str_of(&status["phase"]), "Succeeded" | "Failed");
    if !pod["metadata"]["deletionTimestamp"].is_null() {
        if str_of(&status["reason"]) == "NodeLost" {
            reason = "Unknown".to_string();
        } else if !terminal {
            reason = "Terminating".to_string();
        }
    }
    let restarts = match last_restart {
        Some(t) if restarts != 0 => format!("{restarts} ({} ago)", age(&json!(t))),
        _ => restarts.to_string(),
    };
    (format!("{ready}/{total}"), reason, restarts)
}

/// An event's cells (the wide layout: `LAST SEEN TYPE REASON OBJECT SUBOBJECT SOURCE MESSAGE
/// FIRST SEEN COUNT NAME`).
fn event_cells(o: &Value) -> Vec<Value> {
    let first = match o["firstTimestamp"].as_str() {
        Some(t) if !t.is_empty() => age(&o["firstTimestamp"]),
        _ => age(&o["eventTime"]),
    };
    let mut last = match o["lastTimestamp"].as_str() {
        Some(t) if !t.is_empty() => age(&o["lastTimestamp"]),
        _ => first.clone(),
    };
    let mut count = int_of(&o["count"]);
    if o["series"].is_object() {
        last = age(&o["series"]["lastObservedTime"]);
        count = int_of(&o["series"]["count"]);
    } else if count == 0 {
        count = 1;
    }
    let involved = &o["involvedObject"];
    let kind = str_of(&involved["kind"]).to_lowercase();
    let target = match involved["name"].as_str().filter(|n| !n.is_empty()) {
        Some(n) => format!("{kind}/{n}"),
        None => kind,
    };
    let first_non_empty = |a: &Value, b: &Value| -> String {
        a.as_str()
            .filter(|s| !s.is_empty())
            .or_else(|| b.as_str())
            .unwrap_or_default()
            .to_string()
    };
    let component = first_non_empty(&o["source"]["component"], &o["reportingComponent"]);
    let instance = first_non_empty(&o["source"]["host"], &o["reportingInstance"]);
    let source = if instance.is_empty() {
        component
    } else {
        format!("{component}, {instance}")
    };
    vec![
        json!(last),
        json!(str_of(&o["type"])),
        json!(str_of(&o["reason"])),
        json!(target),
        json!(str_of(&involved["fieldPath"])),
        json!(source),
        json!(str_of(&o["message"]).trim()),
        json!(first),
        json!(count),
        json!(str_of(&o["metadata"]["name"])),
    ]
}

/// `translateTimestampSince`: the age of an RFC 3339 timestamp as the printers show it, or
/// `<unknown>` when there is none.
fn age(timestamp: &Value) -> String {
    let Some(t) = timestamp
        .as_str()
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
    else {
        return "<unknown>".to_string();
    };
    let elapsed = chrono::Utc::now().signed_duration_since(t);
    human_duration(elapsed.num_milliseconds() as f64 / 1000.0)
}

/// apimachinery's `duration.HumanDuration`.
pub fn human_duration(seconds: f64) -> String {
    let s = seconds as i64;
    if s < -1 {
        return "<invalid>".to_string();
    }
    if s < 0 {
        return "0s".to_string();
    }
    if s < 60 * 2 {
        return format!("{s}s");
    }
    let minutes = s / 60;
    if minutes < 10 {
        return match s % 60 {
            0 => format!("{minutes}m"),
            r => format!("{minutes}m{r}s"),
        };
    }
    if minutes < 60 * 3 {
        return format!("{minutes}m");
    }
    let hours = s / 3600;
    if hours < 8 {
        return match minutes % 60 {
            0 => format!("{hours}h"),
            m => format!("{hours}h{m}m"),
        };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    if hours < 24 * 8 {
        return match hours % 24 {
            0 => format!("{}d", hours / 24),
            h => format!("{}d{h}h", hours / 24),
        };
    }
    if hours < 24 * 365 * 2 {
        return format!("{}d", hours / 24);
    }
    if hours < 24 * 365 * 8 {
        return match (hours / 24) % 365 {
            0 => format!("{}y", hours / 24 / 365),
            d => format!("{}y{d}d", hours / 24 / 365),
        };
    }
    format!("{}y", hours / 24 / 365)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_durations_as_apimachinery_prints_them() {
        for (secs, text) in [
            (-5.0, "<invalid>"),
            (-1.0, "0s"),
            (0.0, "0s"),
            (119.0, "119s"),
            (120.0, "2m"),
            (125.0, "2m5s"),
            (600.0, "10m"),
            (3.0 * 3600.0, "3h"),
            (3.0 * 3600.0 + 60.0, "3h1m"),
            (10.0 * 3600.0, "10h"),
            (50.0 * 3600.0, "2d2h"),
            (30.0 * 86400.0, "30d"),
            (3.0 * 365.0 * 86400.0, "3y"),
            (9.0 * 365.0 * 86400.0, "9y"),
        ] {
            assert_eq!(human_duration(secs), text, "{secs}");
        }
    }

    #[test]
    fn accept_negotiation_takes_the_first_acceptable_clause() {
        let kubectl = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
        assert_eq!(negotiate(kubectl), Some(TableVersion::V1));
        assert_eq!(
            negotiate("application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"),
            Some(TableVersion::V1beta1)
        );
        assert_eq!(negotiate("application/json"), None);
        assert_eq!(negotiate(""), None);
        assert_eq!(
            negotiate("application/json, application/json;as=Table;v=v1;g=meta.k8s.io"),
            None
        );
    }

    #[test]
    fn selectors_print_sorted_with_their_operators() {
        let sel = json!({"matchLabels": {"b": "2", "a": "1"},
            "matchExpressions": [{"key": "c", "operator": "In", "values": ["y", "x"]},
                                 {"key": "d", "operator": "DoesNotExist"}]});
        assert_eq!(selector(&sel), "a=1,b=2,c in (x,y),!d");
        assert_eq!(format_labels(&json!({})), "<none>");
    }
}
