//! The object store: the kind registry, CRUD with `resourceVersion` and optimistic concurrency,
//! patch dispatch by content type, `dryRun`, deletion and `Status` errors.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use serde_json::{json, Value};

use crate::{apply, controllers, patch, sim, watch, Options};

/// A kind the stand-in serves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Kind {
    pub group: String,
    pub version: String,
    pub kind: String,
    pub plural: String,
    pub namespaced: bool,
}

impl Kind {
    pub fn new(group: &str, version: &str, kind: &str, plural: &str, namespaced: bool) -> Kind {
        Kind {
            group: group.into(),
            version: version.into(),
            kind: kind.into(),
            plural: plural.into(),
            namespaced,
        }
    }

    /// `v1` or `apps/v1`.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// `Deployment.apps` or `ConfigMap`, as the API server names kinds in messages.
    pub fn qualified(&self) -> String {
        if self.group.is_empty() {
            self.plural.clone()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }
}

/// The `shortNames` and `categories` a real API server (1.31) reports for a resource, so
/// `kubectl get deploy,svc,ns` and `kubectl get all` resolve as against a cluster.
pub fn short_names_and_categories(
    group: &str,
    plural: &str,
) -> (&'static [&'static str], &'static [&'static str]) {
    const ALL: &[&str] = &["all"];
    match (group, plural) {
        ("", "namespaces") => (&["ns"], &[]),
        ("", "configmaps") => (&["cm"], &[]),
        ("", "services") => (&["svc"], ALL),
        ("", "serviceaccounts") => (&["sa"], &[]),
        ("", "pods") => (&["po"], ALL),
        ("", "persistentvolumeclaims") => (&["pvc"], &[]),
        ("", "persistentvolumes") => (&["pv"], &[]),
        ("", "replicationcontrollers") => (&["rc"], ALL),
        ("", "endpoints") => (&["ep"], &[]),
        ("", "events") => (&["ev"], &[]),
        ("", "nodes") => (&["no"], &[]),
        ("apps", "deployments") => (&["deploy"], ALL),
        ("apps", "replicasets") => (&["rs"], ALL),
        ("apps", "statefulsets") => (&["sts"], ALL),
        ("apps", "daemonsets") => (&["ds"], ALL),
        ("batch", "jobs") => (&[], ALL),
        ("batch", "cronjobs") => (&["cj"], ALL),
        ("networking.k8s.io", "ingresses") => (&["ing"], &[]),
        ("autoscaling", "horizontalpodautoscalers") => (&["hpa"], ALL),
        _ => (&[], &[]),
    }
}

/// An error answered as a `Status` body.
#[derive(Clone, Debug)]
pub struct ApiError {
    pub code: u16,
    pub reason: &'static str,
    pub message: String,
    pub details: Value,
}

impl ApiError {
    pub fn new(code: u16, reason: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            reason,
            message: message.into(),
            details: json!({}),
        }
    }

    pub fn not_found(kind: &Kind, name: &str) -> ApiError {
        ApiError::new(
            404,
            "NotFound",
            format!("{} \"{name}\" not found", kind.qualified()),
        )
        .with_details(json!({"name": name, "group": kind.group, "kind": kind.plural}))
    }

    pub fn invalid(kind: &Kind, name: &str, field: &str, why: &str) -> ApiError {
        let message = format!("{field}: {why}");
        ApiError::new(
            422,
            "Invalid",
            format!(
                "{}.{} \"{name}\" is invalid: {message}",
                kind.kind, kind.group
            )
            .replace(". \"", " \""),
        )
        .with_details(json!({
            "name": name, "group": kind.group, "kind": kind.kind,
            "causes": [{"reason": "FieldValueInvalid", "message": message, "field": field}],
        }))
    }

    pub fn with_details(mut self, details: Value) -> ApiError {
        self.details = details;
        self
    }

    /// The `Status` body.
    pub fn status(&self) -> Value {
        let mut status = json!({
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": self.message, "reason": self.reason, "details": self.details, "code": self.code,
        });
        // A plain error (no reason, no details) is answered without them, as the API server does.
        if let Some(m) = status.as_object_mut().filter(|_| self.reason.is_empty()) {
            m.shift_remove("reason");
            m.shift_remove("details");
        }
        status
    }
}

/// One request, parsed from the URL.
#[derive(Debug, Default)]
pub struct Request {
    pub method: String,
    pub group: String,
    pub version: String,
    pub plural: String,
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub subresource: Option<String>,
    pub query: HashMap<String, String>,
    pub content_type: String,
    pub user_agent: String,
    pub body: Vec<u8>,
}

impl Request {
    pub(crate) fn dry_run(&self) -> bool {
        self.query.get("dryRun").is_some_and(|v| v == "All")
    }

    pub(crate) fn manager(&self) -> String {
        match self.query.get("fieldManager") {
            Some(m) if !m.is_empty() => m.clone(),
            _ => self
                .user_agent
                .split('/')
                .next()
                .filter(|s| !s.is_empty())
                .unwrap_or("unknown")
                .to_string(),
        }
    }
}

pub(crate) type Key = (String, String, String, String);

/// The cluster CA the token controller puts into service-account-token secrets.
const STANDIN_CA: &str =
    "-----BEGIN CERTIFICATE-----\nc2tlbCBrdWJlIHN0YW5kLWluIENB\n-----END CERTIFICATE-----\n";

pub(crate) struct Entry {
    pub(crate) obj: Value,
    pub(crate) settle_at: Option<Instant>,
    pub(crate) delete_at: Option<Instant>,
}

/// All objects, by (group, plural, namespace, name).
pub struct Store {
    pub(crate) options: Options,
    pub(crate) objects: BTreeMap<Key, Entry>,
    pub(crate) revision: u64,
    /// The watch events of recent writes.
    pub(crate) events: watch::Log,
    pub(crate) next_ip: u32,
    pub(crate) next_node_port: u32,
}

impl Store {
    pub fn new(options: Options) -> Store {
        let mut store = Store {
            events: watch::Log::new(options.watch_history),
            options,
            objects: BTreeMap::new(),
            revision: 1,
            next_ip: 10,
            next_node_port: 30000,
        };
        for ns in ["default", "kube-system", "kube-public"] {
            let body = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}});
            let _ = store.handle(&Store::internal("kube-apiserver", "namespaces", None, body));
        }
        store
    }

    /// A create request made by the stand-in itself (its apiserver or a simulated controller).
    fn internal(manager: &str, plural: &str, namespace: Option<&str>, body: Value) -> Request {
        Request {
            method: "POST".into(),
            version: "v1".into(),
            plural: plural.into(),
            namespace: namespace.map(str::to_string),
            user_agent: manager.into(),
            body: body.to_string().into_bytes(),
            ..Request::default()
        }
    }

    pub(crate) fn kind(&self, req: &Request) -> Result<Kind, ApiError> {
        self.options
            .kinds
            .iter()
            .find(|k| k.group == req.group && k.version == req.version && k.plural == req.plural)
            .cloned()
            .ok_or_else(|| {
                ApiError::new(
                    404,
                    "NotFound",
                    "the server could not find the requested resource",
                )
            })
    }

    pub(crate) fn bump(&mut self) -> String {
        self.revision += 1;
        self.revision.to_string()
    }

    /// The stored object, if any.
    pub fn get(
        &self,
        api_version: &str,
        plural: &str,
        ns: Option<&str>,
        name: &str,
    ) -> Option<Value> {
        let group = api_version.rsplit_once('/').map(|(g, _)| g).unwrap_or("");
        let key = (
            group.to_string(),
            plural.to_string(),
            ns.unwrap_or("").to_string(),
            name.to_string(),
        );
        self.objects.get(&key).map(|e| e.obj.clone())
    }

    /// Applies simulated status changes and finishes terminations whose time has come.
    pub fn settle(&mut self) {
        let now = Instant::now();
        // Controllers schedule more work (pods after their replica set); run until none is due.
        for _ in 0..64 {
            let mut due: Vec<(Instant, Key)> = self
                .objects
                .iter()
                .filter_map(|(k, e)| e.settle_at.filter(|t| *t <= now).map(|t| (t, k.clone())))
                .collect();
            if due.is_empty() {
                break;
            }
            due.sort();
            for (at, key) in due {
                match self.objects.get_mut(&key) {
                    Some(e) if e.settle_at == Some(at) => e.settle_at = None,
                    _ => continue,
                }
                match key.1.as_str() {
                    "namespaces" => self.create_default_service_account(&key.3),
                    "secrets" => self.fill_service_account_token(&key),
                    "deployments" | "replicasets" | "pods" => controllers::settle(self, &key, at),
                    _ => {
                        let rv = self.bump();
                        if let Some(e) = self.objects.get_mut(&key) {
                            sim::settle(&key.1, &mut e.obj);
                            e.obj["metadata"]["resourceVersion"] = json!(rv);
                        }
                        self.emit("MODIFIED", &key);
                    }
                }
            }
        }
        let gone: Vec<Key> = self
            .objects
            .iter()
            .filter(|(_, e)| e.delete_at.is_some_and(|t| t <= now))
            .map(|(k, _)| k.clone())
            .collect();
        for key in gone {
            self.remove_object(&key);
            if key.1 == "namespaces" {
                let inside: Vec<Key> = self
                    .objects
                    .keys()
                    .filter(|k| k.2 == key.3)
                    .cloned()
                    .collect();
                for k in inside {
                    self.remove_object(&k);
                }
            }
        }
    }

    /// Records a watch event of `kind` for the stored object at `key`.
    pub(crate) fn emit(&mut self, kind: &'static str, key: &Key) {
        if let Some(e) = self.objects.get(key) {
            self.events.push(kind, key, &e.obj);
        }
    }

    /// Removes the object at `key` for good: a new `resourceVersion` and a `DELETED` event.
    pub(crate) fn remove_object(&mut self, key: &Key) -> Option<Value> {
        let mut obj = self.objects.remove(key)?.obj;
        obj["metadata"]["resourceVersion"] = json!(self.bump());
        self.events.push("DELETED", key, &obj);
        Some(obj)
    }

    /// The service-account controller: every namespace gets a `default` service account a
    /// little after it is created.
    fn create_default_service_account(&mut self, ns: &str) {
        let body = json!({"apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": {"name": "default", "namespace": ns}});
        let req = Store::internal(
            "kube-controller-manager",
            "serviceaccounts",
            Some(ns),
            body.clone(),
        );
        // Written directly, not through `handle`, which would settle again from inside
        // `settle`. AlreadyExists (a client made it first) or a namespace being deleted: nothing
        // to do.
        if let Ok(kind) = self.kind(&req) {
            let _ = self.write(&kind, &req, ns, "default", |_| Ok(Write::Create(body)));
        }
    }

    /// The token controller: a `kubernetes.io/service-account-token` secret gets `token`,
    /// `ca.crt` and `namespace` once the service account it names exists. Unlike a real
    /// cluster, which deletes a secret naming a missing account, the stand-in keeps waiting.
    fn fill_service_account_token(&mut self, key: &Key) {
        let Some(secret) = self.objects.get(key).map(|e| e.obj.clone()) else {
            return;
        };
        let account = secret["metadata"]["annotations"]["kubernetes.io/service-account.name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let sa_key = (
            String::new(),
            "serviceaccounts".to_string(),
            key.2.clone(),
            account.clone(),
        );
        let Some(uid) = self
            .objects
            .get(&sa_key)
            .map(|e| e.obj["metadata"]["uid"].clone())
        else {
            let retry = Instant::now() + self.options.settle_delay;
            if let Some(e) = self.objects.get_mut(key) {
                e.settle_at = Some(retry);
            }
            return;
        };
        use base64::Engine;
        let b64 = |s: &str| json!(base64::engine::general_purpose::STANDARD.encode(s));
        let mut new = secret.clone();
        new["metadata"]["annotations"]["kubernetes.io/service-account.uid"] = uid;
        new["data"]["token"] = b64(&format!(
            "eyJhbGciOiJSUzI1NiJ9.standin-token-for-{}-{account}.c2lnbmF0dXJl",
            key.2
        ));
        new["data"]["ca.crt"] = b64(STANDIN_CA);
        new["data"]["namespace"] = b64(&key.2);
        apply::record_update(Some(&secret), &mut new, "kube-controller-manager", "v1");
        new["metadata"]["resourceVersion"] = json!(self.bump());
        if let Some(e) = self.objects.get_mut(key) {
            e.obj = new;
        }
        self.emit("MODIFIED", key);
    }

    /// Answers one resource request: the status code and body.
    pub fn handle(&mut self, req: &Request) -> Result<(u16, Value), ApiError> {
        self.settle();
        let kind = self.kind(req)?;
        if req.subresource.is_some() {
            return crate::subresource::handle(self, &kind, req);
        }
        if kind.namespaced != req.namespace.is_some()
            && !(req.name.is_none() && req.method == "GET")
        {
            return Err(ApiError::new(
                404,
                "NotFound",
                "the server could not find the requested resource",
            ));
        }
        let ns = req.namespace.clone().unwrap_or_default();
        match (req.method.as_str(), &req.name) {
            ("GET", None) => Ok((200, self.list(&kind, req)?)),
            ("GET", Some(name)) => {
                let key = (kind.group.clone(), kind.plural.clone(), ns, name.clone());
                let entry = self
                    .objects
                    .get(&key)
                    .ok_or_else(|| ApiError::not_found(&kind, name))?;
                Ok((200, entry.obj.clone()))
            }
            ("POST", None) => {
                let body = parse_json(&req.body)?;
                let name = body["metadata"]["name"].as_str().map(str::to_string);
                let name = match (name, body["metadata"]["generateName"].as_str()) {
                    (Some(n), _) => n,
                    (None, Some(prefix)) => {
                        format!("{prefix}{:05x}", self.revision * 7919 % 0xfffff)
                    }
                    (None, None) => {
                        return Err(ApiError::invalid(
                            &kind,
                            "",
                            "metadata.name",
                            "Required value: name or generateName is required",
                        ))
                    }
                };
                self.write(&kind, req, &ns, &name, |_| Ok(Write::Create(body)))
            }
            ("PUT", Some(name)) => {
                let body = parse_json(&req.body)?;
                self.write(&kind, req, &ns, name, |old| {
                    check_version(&kind, name, old, &body)?;
                    Ok(Write::Update(body))
                })
            }
            ("PATCH", Some(name)) => {
                let name = name.clone();
                let is_apply = req.content_type.starts_with("application/apply-patch");
                patch::validate_options(is_apply, &req.query)?;
                if is_apply {
                    let intent: Value = serde_yaml_ng::from_slice(&req.body).map_err(|e| {
                        ApiError::new(400, "BadRequest", format!("error decoding YAML: {e}"))
                    })?;
                    let force = req.query.get("force").is_some_and(|f| f == "true");
                    return self.write(&kind, req, &ns, &name, |old| {
                        apply::check_intent(&kind, &name, &intent)?;
                        check_version(&kind, &name, old, &intent)?;
                        Ok(Write::Apply(intent, force))
                    });
                }
                let patch_type = req.content_type.split(';').next().unwrap_or("").trim();
                let ty = crate::typed::Ty::of_kind(&kind.group, &kind.version, &kind.kind);
                if !patch::accepted_types(ty.is_typed()).contains(&patch_type) {
                    return Err(patch::unsupported(ty.is_typed()));
                }
                let patch = parse_json(&req.body)?;
                self.write(&kind, req, &ns, &name, |old| {
                    let Some(old) = old else {
                        return Err(ApiError::not_found(&kind, &name));
                    };
                    let new = match patch_type {
                        "application/json-patch+json" => patch::json_patch(old, &patch)?,
                        "application/strategic-merge-patch+json" => {
                            patch::strategic_merge(old, &patch, ty)?
                        }
                        _ => {
                            let mut new = old.clone();
                            patch::merge_patch(&mut new, &patch);
                            new
                        }
                    };
                    check_version(&kind, &name, Some(old), &new)?;
                    Ok(Write::Update(new))
                })
            }
            ("DELETE", Some(name)) => {
                check_preconditions(
                    &kind,
                    name,
                    self.objects
                        .get(&(
                            kind.group.clone(),
                            kind.plural.clone(),
                            ns.clone(),
                            name.clone(),
                        ))
                        .map(|e| &e.obj),
                    &req.body,
                )?;
                let (code, gone) = self.delete(&kind, &ns, name, req.dry_run())?;
                if !req.dry_run() && kind.plural != "namespaces" {
                    controllers::collect_garbage(self, &gone, &controllers::propagation(req));
                }
                Ok((code, gone))
            }
            _ => Err(ApiError::new(
                405,
                "MethodNotAllowed",
                format!("{} is not supported here", req.method),
            )),
        }
    }

    fn list(&self, kind: &Kind, req: &Request) -> Result<Value, ApiError> {
        let filter = watch::Filter::new(kind, req)?;
        let items: Vec<Value> = self
            .objects
            .iter()
            .filter(|(k, e)| filter.matches(k, &e.obj))
            .map(|(_, e)| {
                let mut item = e.obj.clone();
                if let Some(m) = item.as_object_mut() {
                    m.remove("apiVersion");
                    m.remove("kind");
                }
                item
            })
            .collect();
        Ok(
            json!({"kind": format!("{}List", kind.kind), "apiVersion": kind.api_version(),
            "metadata": {"resourceVersion": self.revision.to_string()}, "items": items}),
        )
    }

    fn write(
        &mut self,
        kind: &Kind,
        req: &Request,
        ns: &str,
        name: &str,
        change: impl FnOnce(Option<&Value>) -> Result<Write, ApiError>,
    ) -> Result<(u16, Value), ApiError> {
        if kind.namespaced {
            let ns_key = (
                String::new(),
                "namespaces".to_string(),
                String::new(),
                ns.to_string(),
            );
            match self.objects.get(&ns_key) {
                None => {
                    return Err(ApiError::new(404, "NotFound", format!("namespaces \"{ns}\" not found"))
                        .with_details(json!({"name": ns, "kind": "namespaces"})))
                }
                Some(e) if e.delete_at.is_some() => {
                    return Err(ApiError::new(403, "Forbidden", format!(
                        "{} \"{name}\" is forbidden: unable to create new content in namespace {ns} because it is being terminated",
                        kind.qualified())))
                }
                Some(_) => {}
            }
        }
        let key = (
            kind.group.clone(),
            kind.plural.clone(),
            ns.to_string(),
            name.to_string(),
        );
        let old_obj = self.objects.get(&key).map(|e| e.obj.clone());
        let old = old_obj.as_ref();
        if old.is_some_and(|o| !o["metadata"]["deletionTimestamp"].is_null()) {
            return Err(ApiError::new(
                409,
                "Conflict",
                format!(
                    "Operation cannot be fulfilled on {} \"{name}\": the object is being deleted",
                    kind.qualified()
                ),
            ));
        }
        let manager = req.manager();
        let write = change(old)?;
        if let Write::Create(body) | Write::Update(body) = &write {
            if !body.is_object() {
                return Err(ApiError::new(
                    400,
                    "BadRequest",
                    "the body of the request was in an unknown format: the object is not a JSON object",
                ));
            }
        }
        let mut new = match write {
            Write::Create(body) => {
                if old.is_some() {
                    return Err(ApiError::new(
                        409,
                        "AlreadyExists",
                        format!("{} \"{name}\" already exists", kind.qualified()),
                    )
                    .with_details(
                        json!({"name": name, "group": kind.group, "kind": kind.plural}),
                    ));
                }
                strip(body)
            }
            Write::Update(body) => {
                let Some(old) = old else {
                    return Err(ApiError::not_found(kind, name));
                };
                // Managed fields the request sets replace the live ones (kubectl's migration
                // from client-side apply sends them); otherwise the live ones carry over.
                let sent = body["metadata"]["managedFields"].clone();
                let mut new = strip(body);
                new["metadata"]["managedFields"] = match sent {
                    Value::Array(a) if !a.is_empty() => Value::Array(a),
                    _ => old["metadata"]["managedFields"].clone(),
                };
                new
            }
            Write::Apply(intent, force) => apply::apply(kind, old, intent, &manager, force)?,
        };
        let created = old.is_none();
        new["apiVersion"] = json!(kind.api_version());
        new["kind"] = json!(kind.kind);
        let meta = &mut new["metadata"];
        meta["name"] = json!(name);
        if kind.namespaced {
            meta["namespace"] = json!(ns);
        } else if let Some(m) = meta.as_object_mut() {
            m.remove("namespace");
        }
        sim::default_object(self, kind, old, &mut new);
        if !req.content_type.starts_with("application/apply-patch") {
            apply::record_update(old, &mut new, &manager, &kind.api_version());
        }
        sim::validate(kind, name, old, &new)?;
        if let Some(old) = old {
            for field in ["uid", "creationTimestamp", "generation", "resourceVersion"] {
                new["metadata"][field] = old["metadata"][field].clone();
            }
            new["status"] = old["status"].clone();
            if new == *old {
                return Ok((200, new));
            }
            if without_meta(&new) != without_meta(old) {
                let generation = old["metadata"]["generation"].as_i64().unwrap_or(1) + 1;
                new["metadata"]["generation"] = json!(generation);
            }
        } else {
            new["metadata"]["uid"] = json!(format!(
                "{:08x}-0000-4000-8000-{:012x}",
                self.revision,
                self.revision * 31
            ));
            new["metadata"]["creationTimestamp"] = json!(now());
            new["metadata"]["generation"] = json!(1);
        }
        if let Some(status) = new.as_object_mut().and_then(|m| m.get("status")) {
            if status.is_null() {
                new.as_object_mut().map(|m| m.remove("status"));
            }
        }
        sim::initial_status(kind, &mut new);
        if req.dry_run() {
            return Ok((if created { 201 } else { 200 }, new));
        }
        new["metadata"]["resourceVersion"] = json!(self.bump());
        let settle_at = sim::needs_settling(kind, old, &new)
            .then(|| Instant::now() + controllers::first_delay(kind, self.options.settle_delay));
        self.objects.insert(
            key.clone(),
            Entry {
                obj: new.clone(),
                settle_at,
                delete_at: None,
            },
        );
        self.emit(if created { "ADDED" } else { "MODIFIED" }, &key);
        Ok((if created { 201 } else { 200 }, new))
    }

    fn delete(
        &mut self,
        kind: &Kind,
        ns: &str,
        name: &str,
        dry_run: bool,
    ) -> Result<(u16, Value), ApiError> {
        let key = (
            kind.group.clone(),
            kind.plural.clone(),
            ns.to_string(),
            name.to_string(),
        );
        let Some(entry) = self.objects.get(&key) else {
            return Err(ApiError::not_found(kind, name));
        };
        if dry_run {
            return Ok((200, entry.obj.clone()));
        }
        if kind.plural == "namespaces" {
            let when = Instant::now() + self.options.terminating_delay;
            if entry.delete_at.is_some() {
                return Ok((200, entry.obj.clone()));
            }
            let rv = self.bump();
            let Some(entry) = self.objects.get_mut(&key) else {
                return Err(ApiError::not_found(kind, name));
            };
            entry.delete_at = Some(when);
            entry.obj["metadata"]["deletionTimestamp"] = json!(now());
            entry.obj["metadata"]["resourceVersion"] = json!(rv);
            entry.obj["status"] = json!({"phase": "Terminating"});
            let obj = entry.obj.clone();
            self.emit("MODIFIED", &key);
            return Ok((200, obj));
        }
        let entry = self.remove_object(&key).unwrap_or_default();
        Ok((200, entry))
    }
}

enum Write {
    Create(Value),
    Update(Value),
    Apply(Value, bool),
}

fn parse_json(body: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(body).map_err(|e| {
        ApiError::new(
            400,
            "BadRequest",
            format!("the body of the request was in an unknown format: {e}"),
        )
    })
}

/// 409 when the body names a `resourceVersion` other than the stored one.
fn check_version(
    kind: &Kind,
    name: &str,
    old: Option<&Value>,
    body: &Value,
) -> Result<(), ApiError> {
    let (Some(old), Some(sent)) = (old, body["metadata"]["resourceVersion"].as_str()) else {
        return Ok(());
    };
    if old["metadata"]["resourceVersion"].as_str() == Some(sent) {
        return Ok(());
    }
    Err(ApiError::new(409, "Conflict", format!(
        "Operation cannot be fulfilled on {} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
        kind.qualified()))
    .with_details(json!({"name": name, "group": kind.group, "kind": kind.plural})))
}

/// A delete's `DeleteOptions.preconditions` (`uid`, `resourceVersion`): 409 Conflict when the
/// stored object differs, as the API server answers.
fn check_preconditions(
    kind: &Kind,
    name: &str,
    old: Option<&Value>,
    body: &[u8],
) -> Result<(), ApiError> {
    let (Some(old), Ok(options)) = (old, serde_json::from_slice::<Value>(body)) else {
        return Ok(());
    };
    let preconditions = &options["preconditions"];
    for (field, label) in [("uid", "UID"), ("resourceVersion", "ResourceVersion")] {
        let Some(wanted) = preconditions[field].as_str() else {
            continue;
        };
        let actual = old["metadata"][field].as_str().unwrap_or_default();
        if wanted != actual {
            return Err(ApiError::new(409, "Conflict", format!(
                "Operation cannot be fulfilled on {} \"{name}\": Precondition failed: {label} in precondition: {wanted}, {label} in object meta: {actual}",
                kind.qualified()))
            .with_details(json!({"name": name, "group": kind.group, "kind": kind.plural})));
        }
    }
    Ok(())
}

pub use crate::patch::merge_patch;

/// The body without what clients cannot set (server-owned metadata and status), in the order
/// sent.
pub(crate) fn strip(mut body: Value) -> Value {
    if let Some(m) = body["metadata"].as_object_mut() {
        for f in [
            "uid",
            "creationTimestamp",
            "generation",
            "resourceVersion",
            "managedFields",
            "deletionTimestamp",
        ] {
            m.shift_remove(f);
        }
    }
    if let Some(m) = body.as_object_mut() {
        m.shift_remove("status");
    }
    body
}

fn without_meta(obj: &Value) -> Value {
    let mut o = obj.clone();
    if let Some(m) = o.as_object_mut() {
        m.remove("metadata");
        m.remove("status");
    }
    o
}

/// The current time as the API formats it.
pub fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}
