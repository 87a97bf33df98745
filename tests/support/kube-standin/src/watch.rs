//! Watches: the bounded history of write events, label and field selectors (shared with plain
//! lists), and the `?watch=true` stream of `{"type": …, "object": …}` lines.
//!
//! A watch starts after its `resourceVersion` (events kept in [`Log`]; an older version gets an
//! `ERROR` event with a 410 `Expired` Status), or, with no version, `""` or `"0"`, with a
//! synthetic `ADDED` per current object. `allowWatchBookmarks=true` adds a `BOOKMARK` every
//! [`crate::Options::bookmark_interval`]; `timeoutSeconds` ends the stream. The stream polls the
//! store (settling the simulation as it goes), so simulated status changes arrive on time.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Frame;
use hyper::Response;
use serde_json::{json, Value};

use crate::http::{respond, Body};
use crate::store::{ApiError, Key, Kind, Request, Store};
use crate::{table, Shared};

/// How often an open watch looks for new events.
const POLL: Duration = Duration::from_millis(20);

/// One write, as a watch reports it.
struct Event {
    rv: u64,
    kind: &'static str,
    key: Key,
    obj: Value,
}

/// The most recent events, oldest first; `floor` is the newest version no longer kept.
pub(crate) struct Log {
    events: VecDeque<Event>,
    capacity: usize,
    floor: u64,
}

impl Log {
    pub(crate) fn new(capacity: usize) -> Log {
        Log {
            events: VecDeque::new(),
            capacity: capacity.max(1),
            floor: 0,
        }
    }

    /// Records an `ADDED`, `MODIFIED` or `DELETED` of `obj` (at its `resourceVersion`).
    pub(crate) fn push(&mut self, kind: &'static str, key: &Key, obj: &Value) {
        let rv = obj["metadata"]["resourceVersion"]
            .as_str()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        self.events.push_back(Event {
            rv,
            kind,
            key: key.clone(),
            obj: obj.clone(),
        });
        while self.events.len() > self.capacity {
            if let Some(gone) = self.events.pop_front() {
                self.floor = self.floor.max(gone.rv);
            }
        }
    }
}

/// One term of a label selector.
enum LabelTerm {
    Equals(String, String),
    NotEquals(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
}

impl LabelTerm {
    fn matches(&self, labels: &Value) -> bool {
        let get = |k: &str| labels[k].as_str();
        match self {
            LabelTerm::Equals(k, v) => get(k) == Some(v.as_str()),
            LabelTerm::NotEquals(k, v) => get(k) != Some(v.as_str()),
            LabelTerm::In(k, vs) => get(k).is_some_and(|l| vs.iter().any(|v| v == l)),
            LabelTerm::NotIn(k, vs) => get(k).is_none_or(|l| vs.iter().all(|v| v != l)),
            LabelTerm::Exists(k) => get(k).is_some(),
            LabelTerm::NotExists(k) => get(k).is_none(),
        }
    }
}

/// Splits at commas outside parentheses.
fn terms(selector: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut cur = String::new();
    for c in selector.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    out.push(cur);
    out.into_iter()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect()
}

fn valid_label_key(k: &str) -> bool {
    !k.is_empty()
        && k.len() <= 316
        && k.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/'))
}

fn parse_label_term(term: &str) -> Option<LabelTerm> {
    let set = |rest: &str| -> Option<Vec<String>> {
        let inner = rest.trim().strip_prefix('(')?.strip_suffix(')')?;
        Some(inner.split(',').map(|v| v.trim().to_string()).collect())
    };
    let term = term.trim();
    if let Some(k) = term.strip_prefix('!') {
        let k = k.trim();
        return valid_label_key(k).then(|| LabelTerm::NotExists(k.into()));
    }
    if let Some((k, v)) = term.split_once("!=") {
        let k = k.trim();
        return valid_label_key(k).then(|| LabelTerm::NotEquals(k.into(), v.trim().into()));
    }
    if let Some((k, v)) = term.split_once("==").or_else(|| term.split_once('=')) {
        let k = k.trim();
        return valid_label_key(k).then(|| LabelTerm::Equals(k.into(), v.trim().into()));
    }
    if let Some((k, rest)) = term.split_once(" notin ") {
        let k = k.trim();
        return valid_label_key(k)
            .then_some(())
            .and_then(|()| set(rest))
            .map(|vs| LabelTerm::NotIn(k.into(), vs));
    }
    if let Some((k, rest)) = term.split_once(" in ") {
        let k = k.trim();
        return valid_label_key(k)
            .then_some(())
            .and_then(|()| set(rest))
            .map(|vs| LabelTerm::In(k.into(), vs));
    }
    valid_label_key(term).then(|| LabelTerm::Exists(term.into()))
}

/// The field labels a real API server accepts in a `fieldSelector` for `plural`.
fn field_supported(plural: &str, field: &str) -> bool {
    if matches!(field, "metadata.name" | "metadata.namespace") {
        return true;
    }
    match plural {
        "pods" => matches!(
            field,
            "spec.nodeName"
                | "spec.restartPolicy"
                | "spec.schedulerName"
                | "spec.serviceAccountName"
                | "spec.hostNetwork"
                | "status.phase"
                | "status.podIP"
                | "status.nominatedNodeName"
        ),
        "events" => {
            field.starts_with("involvedObject.")
                || matches!(field, "reason" | "reportingComponent" | "source" | "type")
        }
        "secrets" => field == "type",
        "namespaces" => field == "status.phase",
        "replicasets" => field == "status.replicas",
        _ => false,
    }
}

/// The string a field selector compares (`""` when absent).
fn field_value(obj: &Value, field: &str) -> String {
    let field = if field == "source" {
        "source.component"
    } else {
        field
    };
    let mut v = obj;
    for part in field.split('.') {
        v = &v[part];
    }
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Which objects a list or watch returns: kind, namespace, `labelSelector`, `fieldSelector`.
pub(crate) struct Filter {
    group: String,
    plural: String,
    namespace: Option<String>,
    labels: Vec<LabelTerm>,
    fields: Vec<(String, bool, String)>,
}

impl Filter {
    /// The filter of a list or watch request; 400 for a selector a real server rejects.
    pub(crate) fn new(kind: &Kind, req: &Request) -> Result<Filter, ApiError> {
        let mut labels = Vec::new();
        for term in terms(req.query.get("labelSelector").map_or("", String::as_str)) {
            labels.push(parse_label_term(&term).ok_or_else(|| {
                ApiError::new(
                    400,
                    "BadRequest",
                    format!("unable to parse requirement: {term}"),
                )
            })?);
        }
        let mut fields = Vec::new();
        for term in terms(req.query.get("fieldSelector").map_or("", String::as_str)) {
            let (field, equal, value) = if let Some((f, v)) = term.split_once("!=") {
                (f, false, v)
            } else if let Some((f, v)) = term.split_once("==").or_else(|| term.split_once('=')) {
                (f, true, v)
            } else {
                return Err(ApiError::new(
                    400,
                    "BadRequest",
                    format!("invalid selector: '{term}'; can't understand '{term}'"),
                ));
            };
            let field = field.trim();
            if !field_supported(&kind.plural, field) {
                return Err(ApiError::new(
                    400,
                    "BadRequest",
                    format!("field label not supported: {field}"),
                ));
            }
            fields.push((field.to_string(), equal, value.trim().to_string()));
        }
        Ok(Filter {
            group: kind.group.clone(),
            plural: kind.plural.clone(),
            namespace: req.namespace.clone(),
            labels,
            fields,
        })
    }

    /// Whether the object stored at `key` is selected.
    pub(crate) fn matches(&self, key: &Key, obj: &Value) -> bool {
        key.0 == self.group
            && key.1 == self.plural
            && self.namespace.as_ref().is_none_or(|ns| &key.2 == ns)
            && self
                .labels
                .iter()
                .all(|t| t.matches(&obj["metadata"]["labels"]))
            && self
                .fields
                .iter()
                .all(|(f, equal, v)| (field_value(obj, f) == *v) == *equal)
    }
}

/// Whether the request is a watch (`?watch=true` or `watch=1` on a list).
pub(crate) fn requested(req: &Request) -> bool {
    req.method == "GET"
        && req.name.is_none()
        && req.subresource.is_none()
        && req
            .query
            .get("watch")
            .is_some_and(|w| w == "true" || w == "1")
}

fn line(kind: &str, obj: &Value) -> Bytes {
    let mut text = json!({"type": kind, "object": obj}).to_string();
    text.push('\n');
    Bytes::from(text)
}

/// How a watch writes its objects: as they are, or (when the client asked for `Table`s, as
/// `kubectl get -w` does) as one-row Tables, the column definitions in the first one only.
struct Render {
    kind: Kind,
    table: Option<(table::TableVersion, table::Include)>,
    headers_sent: bool,
}

impl Render {
    fn new(kind: &Kind, req: &Request, accept: &str) -> Render {
        let include =
            table::Include::from_query(req.query.get("includeObject").map(String::as_str));
        Render {
            kind: kind.clone(),
            table: table::negotiate(accept).map(|v| (v, include)),
            headers_sent: false,
        }
    }

    fn event(&mut self, ty: &str, obj: &Value) -> Bytes {
        match self.table {
            Some((version, include)) => {
                let headers = !std::mem::replace(&mut self.headers_sent, true);
                line(
                    ty,
                    &table::watch_event_object(&self.kind, obj, version, include, headers),
                )
            }
            None => line(ty, obj),
        }
    }
}

fn expired(asked: u64, floor: u64) -> Bytes {
    let status = ApiError::new(
        410,
        "Expired",
        format!("too old resource version: {asked} ({floor})"),
    )
    .status();
    line("ERROR", &status)
}

fn bookmark(kind: &Kind, rv: u64, initial_end: bool) -> Bytes {
    let mut meta = json!({"resourceVersion": rv.to_string(), "creationTimestamp": null});
    if initial_end {
        meta["annotations"] = json!({"k8s.io/initial-events-end": "true"});
    }
    line(
        "BOOKMARK",
        &json!({"kind": kind.kind, "apiVersion": kind.api_version(), "metadata": meta}),
    )
}

/// A body fed by a channel: the watch task sends lines, the connection writes them as chunks.
struct Stream {
    rx: tokio::sync::mpsc::Receiver<Bytes>,
}

impl hyper::body::Body for Stream {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.get_mut()
            .rx
            .poll_recv(cx)
            .map(|b| b.map(|b| Ok(Frame::data(b))))
    }
}

/// Starts a watch: the response streams until `timeoutSeconds`, an expired version or the
/// client going away.
pub(crate) fn start(
    shared: &Arc<Shared>,
    store: &mut Store,
    req: Request,
    accept: &str,
) -> Response<Body> {
    if shared.watch_forbidden.lock().is_ok_and(|f| *f) {
        let resource = match req.group.as_str() {
            "" => req.plural.clone(),
            g => format!("{}.{g}", req.plural),
        };
        let scope = match &req.namespace {
            Some(ns) => format!("in the namespace \"{ns}\""),
            None => "at the cluster scope".to_string(),
        };
        let e = ApiError::new(403, "Forbidden", format!(
            "{resource} is forbidden: User \"system:serviceaccount:default:skel\" cannot watch resource \"{}\" in API group \"{}\" {scope}",
            req.plural, req.group));
        return respond(e.code, &e.status());
    }
    match prepare(store, &req, accept) {
        Ok((render, filter, first, cursor)) => {
            stream(shared.clone(), store, render, filter, first, cursor, &req)
        }
        Err(e) => respond(e.code, &e.status()),
    }
}

type Prepared = (Render, Filter, Vec<Bytes>, Option<u64>);

/// The kind, filter, first lines and the version to continue after (`None`: expired).
fn prepare(store: &mut Store, req: &Request, accept: &str) -> Result<Prepared, ApiError> {
    store.settle();
    let kind = store.kind(req)?;
    if !kind.namespaced && req.namespace.is_some() {
        return Err(ApiError::new(
            404,
            "NotFound",
            "the server could not find the requested resource",
        ));
    }
    let filter = Filter::new(&kind, req)?;
    let mut render = Render::new(&kind, req, accept);
    let asked = req.query.get("resourceVersion").map(String::as_str);
    let send_initial = req.query.get("sendInitialEvents").map(|v| v == "true");
    let mut first = Vec::new();
    let synthetic = matches!(
        (asked, send_initial),
        (_, Some(true)) | (None | Some("") | Some("0"), None)
    );
    if synthetic {
        for (key, entry) in &store.objects {
            if filter.matches(key, &entry.obj) {
                first.push(render.event("ADDED", &entry.obj));
            }
        }
        if send_initial == Some(true) {
            first.push(bookmark(&kind, store.revision, true));
        }
        return Ok((render, filter, first, Some(store.revision)));
    }
    let asked = asked.unwrap_or("0");
    let Ok(n) = asked.parse::<u64>() else {
        return Err(ApiError::new(
            400,
            "BadRequest",
            format!("invalid resource version: {asked}"),
        ));
    };
    if n < store.events.floor {
        return Ok((render, filter, vec![expired(n, store.events.floor)], None));
    }
    Ok((render, filter, first, Some(n)))
}

/// The lines of the events after `cursor`, and the new cursor (`None`: the history moved past).
fn since(
    store: &mut Store,
    filter: &Filter,
    render: &mut Render,
    cursor: u64,
) -> (Vec<Bytes>, Option<u64>) {
    store.settle();
    if cursor < store.events.floor {
        return (vec![expired(cursor, store.events.floor)], None);
    }
    let lines = store
        .events
        .events
        .iter()
        .filter(|e| e.rv > cursor && filter.matches(&e.key, &e.obj))
        .map(|e| render.event(e.kind, &e.obj))
        .collect();
    (lines, Some(store.revision.max(cursor)))
}

fn stream(
    shared: Arc<Shared>,
    store: &mut Store,
    mut render: Render,
    filter: Filter,
    first: Vec<Bytes>,
    cursor: Option<u64>,
    req: &Request,
) -> Response<Body> {
    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(64);
    let timeout = req
        .query
        .get("timeoutSeconds")
        .and_then(|t| t.parse::<u64>().ok())
        .map(|s| Instant::now() + Duration::from_secs(s));
    let bookmarks = req
        .query
        .get("allowWatchBookmarks")
        .is_some_and(|b| b == "true");
    let interval = store.options.bookmark_interval;
    tokio::spawn(async move {
        for l in first {
            if tx.send(l).await.is_err() {
                return;
            }
        }
        let Some(mut cursor) = cursor else { return };
        let mut last_bookmark = Instant::now();
        loop {
            tokio::select! {
                _ = tx.closed() => return,
                _ = tokio::time::sleep(POLL) => {}
            }
            if timeout.is_some_and(|t| Instant::now() >= t) {
                return;
            }
            let (mut lines, next) = {
                let Ok(mut store) = shared.store.lock() else {
                    return;
                };
                since(&mut store, &filter, &mut render, cursor)
            };
            let Some(next) = next else {
                for l in lines {
                    let _ = tx.send(l).await;
                }
                return;
            };
            cursor = next;
            if bookmarks && last_bookmark.elapsed() >= interval {
                lines.push(bookmark(&render.kind, cursor, false));
                last_bookmark = Instant::now();
            }
            for l in lines {
                if tx.send(l).await.is_err() {
                    return;
                }
            }
        }
    });
    let mut response = Response::new(Stream { rx }.boxed());
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    response
}
