//! The per-type test matrix, shared by the stand-in suite (`tests/matrix.rs`) and the opt-in
//! real-cluster suite: for every resource type of the provider, one [`Case`] (configurations
//! and what the live object must show after each step) and one [`run`] through the provider
//! API: create, update in place, out-of-band change and delete, replace, import, delete. Every
//! step is checked on the live object (the stand-in's store, or the cluster through kube-rs),
//! not only in skel's state.

use std::sync::Arc;
use std::time::{Duration, Instant};

use kube::api::{Api, DeleteParams, DynamicObject, Patch, PatchParams};
use kube::core::{ApiResource, GroupVersionKind};
use serde_json::{json, Value as Json};
use skel_provider::{PlanRequest, PlanResponse, Provider};
use skel_value::Value;

use super::{at, config, converge, destroy, no_changes};

mod cases;

/// Every resource type the matrix has a case for.
pub const TYPES: [&str; 6] = [
    "kubernetes_namespace",
    "kubernetes_deployment",
    "kubernetes_service",
    "kubernetes_config_map",
    "kubernetes_secret",
    "kubernetes_manifest",
];

/// The kind behind a case's objects.
#[derive(Clone, Copy, Debug)]
pub struct Kind {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub plural: &'static str,
    pub namespaced: bool,
}

/// One configuration and what the live object must show once it is applied: JSON pointers
/// into the object and their values (`null`: the field is absent).
pub struct Step {
    pub config: Json,
    pub live: Vec<(&'static str, Json)>,
}

/// One resource type's way through the matrix.
pub struct Case {
    pub type_name: &'static str,
    pub kind: Kind,
    /// Config A.
    pub create: Step,
    /// Configs B…: each an in-place change to the one before (B removes an attribute A set);
    /// the last one is what the later steps start from.
    pub update: Vec<Step>,
    /// Merge patches another field manager makes to the object of B, one after the other
    /// (each repaired before the next), and where the read state must show each (path, value;
    /// null: a field skel set was removed).
    pub drift: Vec<(Json, Vec<&'static str>, Json)>,
    /// Configs C…: each the one before with a replacement-forcing change, and the one path
    /// the plan must name.
    pub replace: Vec<(Step, Vec<&'static str>)>,
    /// The import id of the last replacement's object.
    pub import_id: String,
    /// Top-level arguments that exist only in the configuration and so cannot be imported
    /// (the import plan may set them; nothing else may change).
    pub config_only: &'static [&'static str],
}

/// Where the cases put their objects.
#[derive(Clone, Copy, Debug)]
pub struct Env<'a> {
    /// The namespace of the namespaced objects (the namespace case derives its names from it).
    pub ns: &'a str,
    /// Another existing namespace, for a replacement that moves an object.
    pub other_ns: &'a str,
    /// The images a deployment's versions A and B run (a real cluster must pull them).
    pub images: [&'a str; 2],
}

/// The case of `type_name`.
pub fn case(type_name: &str, env: Env<'_>) -> Option<Case> {
    let ns = env.ns;
    Some(match type_name {
        "kubernetes_namespace" => cases::namespace(ns),
        "kubernetes_deployment" => cases::deployment(ns, env.images),
        "kubernetes_service" => cases::service(ns),
        "kubernetes_config_map" => cases::config_map(ns, env.other_ns),
        "kubernetes_secret" => cases::secret(ns),
        "kubernetes_manifest" => cases::manifest(ns),
        _ => return None,
    })
}

/// Where the objects live: the stand-in's store when there is one, else the cluster through
/// kube-rs. Out-of-band changes always go through kube-rs, as `kubectl` would make them.
pub struct Live<'a> {
    pub client: &'a kube::Client,
    pub standin: Option<&'a skel_kube_standin::StandIn>,
}

impl Live<'_> {
    fn api(&self, kind: Kind, ns: Option<&str>) -> Api<DynamicObject> {
        let (g, v) = kind
            .api_version
            .rsplit_once('/')
            .unwrap_or(("", kind.api_version));
        let gvk = GroupVersionKind::gvk(g, v, kind.kind);
        let ar = ApiResource::from_gvk_with_plural(&gvk, kind.plural);
        match ns {
            Some(ns) => Api::namespaced_with(self.client.clone(), ns, &ar),
            None => Api::all_with(self.client.clone(), &ar),
        }
    }

    /// The live object, if it exists.
    pub async fn get(&self, kind: Kind, ns: Option<&str>, name: &str) -> Option<Json> {
        if let Some(s) = self.standin {
            return s.object(kind.api_version, kind.plural, ns, name);
        }
        let obj = self
            .api(kind, ns)
            .get_opt(name)
            .await
            .unwrap_or_else(|e| panic!("get {} {name}: {e}", kind.plural));
        obj.map(|o| serde_json::to_value(o).expect("json"))
    }

    /// Waits (up to a minute) until the object is gone; whether it went.
    pub async fn gone(&self, kind: Kind, ns: Option<&str>, name: &str) -> bool {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(60) {
            if self.get(kind, ns, name).await.is_none() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    }

    /// A merge patch by field manager `kubectl-edit`, as `kubectl edit` makes it.
    pub async fn edit(&self, kind: Kind, ns: Option<&str>, name: &str, patch: &Json) {
        let params = PatchParams {
            field_manager: Some("kubectl-edit".into()),
            ..Default::default()
        };
        self.api(kind, ns)
            .patch(name, &params, &Patch::Merge(patch))
            .await
            .unwrap_or_else(|e| panic!("out-of-band patch of {} {name}: {e}", kind.plural));
    }

    /// Deletes the object as `kubectl delete` does, and waits until it is gone.
    pub async fn delete(&self, kind: Kind, ns: Option<&str>, name: &str) {
        self.api(kind, ns)
            .delete(name, &DeleteParams::default())
            .await
            .unwrap_or_else(|e| panic!("out-of-band delete of {} {name}: {e}", kind.plural));
        assert!(
            self.gone(kind, ns, name).await,
            "{} {name} still there a minute after the out-of-band delete",
            kind.plural
        );
    }
}

/// (namespace, name) of the object a configuration (in the configuration's JSON shape) stands
/// for.
fn identity(case: &Case, cfg: &Json) -> (Option<String>, String) {
    let meta = if case.type_name == "kubernetes_manifest" {
        &cfg["manifest"]["metadata"]
    } else {
        &cfg["metadata"]
    };
    let name = meta["name"].as_str().expect("the case names its object");
    let ns = case
        .kind
        .namespaced
        .then(|| meta["namespace"].as_str().unwrap_or("default").to_string());
    (ns, name.to_string())
}

async fn plan(p: &Arc<dyn Provider>, t: &str, prior: Option<&Value>, cfg: &Value) -> PlanResponse {
    p.plan(PlanRequest {
        type_name: t,
        prior,
        config: cfg,
    })
    .await
    .unwrap_or_else(|e| panic!("{t}: plan: {e}"))
}

/// The live object of `step`, after checking it shows what the step expects.
async fn expect_live(live: &Live<'_>, case: &Case, step: &Step, what: &str) -> Json {
    let t = case.type_name;
    let (ns, name) = identity(case, &step.config);
    let obj = live
        .get(case.kind, ns.as_deref(), &name)
        .await
        .unwrap_or_else(|| panic!("{t} {what}: {name} is not in the cluster"));
    for (pointer, want) in &step.live {
        let got = obj.pointer(pointer).unwrap_or(&Json::Null);
        assert_eq!(
            got, want,
            "{t} {what}: the live object has {pointer} = {got}, expected {want}: {obj}"
        );
    }
    obj
}

fn uid(obj: &Json) -> &str {
    obj["metadata"]["uid"].as_str().expect("a uid")
}

/// The object as `read` sees it, after checking `read_batch` (the engine's refresh) agrees.
async fn refresh(p: &Arc<dyn Provider>, t: &str, state: &Value, what: &str) -> Option<Value> {
    let one = p
        .read(t, state)
        .await
        .unwrap_or_else(|e| panic!("{t} {what}: read: {e}"));
    let batch = p
        .read_batch(t, std::slice::from_ref(state))
        .await
        .unwrap_or_else(|e| panic!("{t} {what}: read_batch: {e}"));
    assert_eq!(
        batch,
        vec![one.clone()],
        "{t} {what}: read_batch and read disagree"
    );
    one
}

/// Re-planning the state, and the state read back, changes nothing.
async fn settled(p: &Arc<dyn Provider>, t: &str, state: &Value, cfg: &Value, what: &str) {
    assert!(
        no_changes(p, t, state, cfg).await,
        "{t} {what}: the state right after apply plans a change: {state}"
    );
    let read = refresh(p, t, state, what)
        .await
        .unwrap_or_else(|| panic!("{t} {what}: read says gone"));
    assert!(
        no_changes(p, t, &read, cfg).await,
        "{t} {what}: the refreshed state plans a change: {read}\nstate: {state}"
    );
}

fn without(v: &Value, names: &[&str]) -> Value {
    let mut v = v.clone();
    if let Value::Object(m) = &mut v {
        for n in names {
            m.remove(n);
        }
    }
    v
}

/// The whole matrix for one case.
pub async fn run(p: &Arc<dyn Provider>, live: &Live<'_>, case: &Case) {
    let t = case.type_name;

    // 1. Create.
    let a = config(t, case.create.config.clone());
    let planned = plan(p, t, None, &a).await;
    assert!(
        !at(&planned.planned, &["id"]).is_known(),
        "{t}: a create plans an unknown id: {}",
        planned.planned
    );
    let s1 = converge(p, t, None, &a)
        .await
        .unwrap_or_else(|e| panic!("{t}: create: {e}"));
    let obj1 = expect_live(live, case, &case.create, "create").await;
    if t != "kubernetes_manifest" {
        assert_eq!(
            at(&s1, &["metadata", "0", "uid"]).as_str(),
            Some(uid(&obj1)),
            "{t}: the state's uid is the live object's"
        );
    }
    settled(p, t, &s1, &a, "create").await;

    // 2. Update in place.
    let (mut s2, mut obj2, mut b) = (s1, obj1, a);
    for step in &case.update {
        let next = config(t, step.config.clone());
        let planned = plan(p, t, Some(&s2), &next).await;
        assert!(
            planned.requires_replace.is_empty(),
            "{t}: the update plans a replacement at {:?}",
            planned.requires_replace
        );
        assert_ne!(planned.planned, s2, "{t}: the update plans no change");
        assert_eq!(
            at(&planned.planned, &["id"]),
            at(&s2, &["id"]),
            "{t}: an in-place update keeps the id"
        );
        let updated = converge(p, t, Some(&s2), &next)
            .await
            .unwrap_or_else(|e| panic!("{t}: update: {e}"));
        let obj = expect_live(live, case, step, "update").await;
        assert_eq!(uid(&obj2), uid(&obj), "{t}: updated in place, same object");
        settled(p, t, &updated, &next, "update").await;
        (s2, obj2, b) = (updated, obj, next);
    }
    let step_b = case.update.last().expect("a case updates");

    // 3. Out-of-band change: the read shows it, the plan updates it back, applying repairs it.
    // A field only another manager sets is theirs: no drift, and applying keeps it.
    let (ns, name) = identity(case, &step_b.config);
    let foreign = json!({"metadata": {"annotations": {"mx-other": "kept"}}});
    live.edit(case.kind, ns.as_deref(), &name, &foreign).await;
    let read = refresh(p, t, &s2, "foreign field")
        .await
        .unwrap_or_else(|| panic!("{t}: read after the foreign field says gone"));
    assert!(
        no_changes(p, t, &read, &b).await,
        "{t}: a field only another manager set plans a change: {read}"
    );
    let mut s3 = read;
    let mut obj3 = obj2.clone();
    for (patch, path, want) in &case.drift {
        live.edit(case.kind, ns.as_deref(), &name, patch).await;
        let read = refresh(p, t, &s3, "drift")
            .await
            .unwrap_or_else(|| panic!("{t}: read after the drift says gone"));
        assert_eq!(
            at(&read, path).to_json(),
            *want,
            "{t}: the read does not show the out-of-band change {patch}: {read}"
        );
        let planned = plan(p, t, Some(&read), &b).await;
        assert!(
            planned.requires_replace.is_empty(),
            "{t}: the drift {patch} plans a replacement at {:?}",
            planned.requires_replace
        );
        assert_ne!(
            planned.planned, read,
            "{t}: the drift {patch} plans no change"
        );
        assert_eq!(
            at(&planned.planned, path).to_json(),
            at(&s2, path).to_json(),
            "{t}: the plan does not set the drifted field back ({patch})"
        );
        s3 = converge(p, t, Some(&read), &b)
            .await
            .unwrap_or_else(|e| panic!("{t}: repairing the drift {patch}: {e}"));
        obj3 = expect_live(live, case, step_b, "drift repair").await;
        assert_eq!(
            uid(&obj2),
            uid(&obj3),
            "{t}: repaired in place, same object"
        );
        assert_eq!(
            obj3.pointer("/metadata/annotations/mx-other"),
            Some(&json!("kept")),
            "{t}: repairing the drift removed another manager's field: {obj3}"
        );
        settled(p, t, &s3, &b, "drift repair").await;
    }

    // Out-of-band delete: the read says gone, the plan creates it again.
    live.delete(case.kind, ns.as_deref(), &name).await;
    assert!(
        refresh(p, t, &s3, "out-of-band delete").await.is_none(),
        "{t}: the read does not see the out-of-band delete"
    );
    let planned = plan(p, t, None, &b).await;
    assert!(
        !at(&planned.planned, &["id"]).is_known(),
        "{t}: re-creating plans an unknown id"
    );
    let s4 = converge(p, t, None, &b)
        .await
        .unwrap_or_else(|e| panic!("{t}: re-create: {e}"));
    let obj4 = expect_live(live, case, step_b, "re-create").await;
    assert_ne!(uid(&obj3), uid(&obj4), "{t}: re-created, a new object");
    settled(p, t, &s4, &b, "re-create").await;

    // 4. Replace.
    let (mut state, mut cfg, mut obj, mut ns, mut name) = (s4, b, obj4, ns, name);
    for (step, replace_path) in &case.replace {
        let c = config(t, step.config.clone());
        let planned = plan(p, t, Some(&state), &c).await;
        let want: Vec<String> = replace_path.iter().map(|s| s.to_string()).collect();
        assert_eq!(
            planned.requires_replace,
            vec![want],
            "{t}: the replacement is not planned for its attribute"
        );
        assert!(
            !at(&planned.planned, &["id"]).is_known(),
            "{t}: a replacement plans an unknown id: {}",
            planned.planned
        );
        let replaced = converge(p, t, Some(&state), &c)
            .await
            .unwrap_or_else(|e| panic!("{t}: replace ({replace_path:?}): {e}"));
        let (new_ns, new_name) = identity(case, &step.config);
        if (&new_ns, &new_name) != (&ns, &name) {
            assert!(
                live.get(case.kind, ns.as_deref(), &name).await.is_none(),
                "{t}: the replaced object {name} is still there"
            );
        }
        let new_obj = expect_live(live, case, step, "replace").await;
        assert_ne!(uid(&obj), uid(&new_obj), "{t}: replaced by a new object");
        settled(p, t, &replaced, &c, "replace").await;
        (state, cfg, obj, ns, name) = (replaced, c, new_obj, new_ns, new_name);
    }
    let (s5, c) = (state, cfg);
    assert_eq!(
        at(&s5, &["metadata", "0", "uid"])
            .as_str()
            .or(at(&s5, &["object", "metadata", "uid"]).as_str()),
        Some(uid(&obj)),
        "{t}: the state is the last replacement's object"
    );

    // 5. Import: the same object, and the configuration plans no change over it.
    let imported = p
        .import(t, &case.import_id)
        .await
        .unwrap_or_else(|e| panic!("{t}: import {}: {e}", case.import_id));
    assert_eq!(
        at(&imported, &["id"]),
        at(&s5, &["id"]),
        "{t}: import {}",
        case.import_id
    );
    let planned = plan(p, t, Some(&imported), &c).await;
    assert!(
        planned.requires_replace.is_empty(),
        "{t}: the imported object plans a replacement at {:?}",
        planned.requires_replace
    );
    assert_eq!(
        without(&planned.planned, case.config_only),
        without(&imported, case.config_only),
        "{t}: the imported object plans a change"
    );

    // 6. Delete.
    destroy(p, t, &s5)
        .await
        .unwrap_or_else(|e| panic!("{t}: delete: {e}"));
    assert!(
        live.get(case.kind, ns.as_deref(), &name).await.is_none(),
        "{t}: {name} is still there after the delete"
    );
    assert!(
        refresh(p, t, &s5, "delete").await.is_none(),
        "{t}: the read after the delete does not say gone"
    );
}
