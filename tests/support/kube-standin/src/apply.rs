//! Server-side apply and `managedFields`, as the API server's field manager keeps them.
//!
//! Ownership is a [`Set`] of field paths per (manager, operation, subresource), computed over
//! the kind's schema by [`crate::typed`]: associative-list items by their keys
//! (`k:{"name":"web"}`), set members by value (`v:"a"`), atomic lists and maps as one leaf.
//! An apply merges the configuration into the live object, owns exactly the configuration's
//! field set, removes what the manager applied before and no longer applies when nobody else
//! owns it (a list item goes unless someone owns the item itself), and conflicts (409) where the
//! merge would change a field another manager owns — unless forced, which takes the fields
//! over; applying the same value shares the field. An update (create, PUT, any other patch)
//! gives its manager what it added or changed and takes those fields from the others.
//! `managedFields` holds one `FieldsV1` entry per manager, empty ones dropped.

use serde_json::{json, Value};

use crate::fieldpath::{self, Path, Set};
use crate::store::{now, ApiError, Kind};
use crate::typed::{self, Ty};

/// One `managedFields` entry.
#[derive(Clone, Debug)]
pub struct Manager {
    pub name: String,
    pub operation: String,
    pub api_version: String,
    pub time: String,
    pub subresource: String,
    pub set: Set,
}

impl Manager {
    fn is(&self, name: &str, operation: &str) -> bool {
        self.is_on(name, operation, "")
    }

    fn is_on(&self, name: &str, operation: &str, subresource: &str) -> bool {
        self.name == name && self.operation == operation && self.subresource == subresource
    }

    /// How a conflict message names it: `"kubectl"` for an applier, `"x" using apps/v1` for an
    /// updater (the API server's `printManager`).
    fn printed(&self) -> String {
        let mut s = format!("{:?}", self.name);
        if !self.subresource.is_empty() {
            s.push_str(&format!(" with subresource {:?}", self.subresource));
        }
        if self.operation == "Update" {
            s.push_str(&format!(" using {}", self.api_version));
        }
        s
    }
}

/// The type of an object, from its `apiVersion` and `kind`.
pub fn ty_of(obj: &Value) -> Ty<'static> {
    let av = obj["apiVersion"].as_str().unwrap_or("");
    let (group, version) = av.rsplit_once('/').unwrap_or(("", av));
    Ty::of_kind(group, version, obj["kind"].as_str().unwrap_or(""))
}

/// Removes what the field manager does not track: identity, server-owned metadata, status.
fn strip_untracked(set: &mut Set) {
    for top in ["f:apiVersion", "f:kind", "f:status"] {
        set.remove_subtree(&[top.to_string()]);
    }
    for meta in [
        "name",
        "namespace",
        "resourceVersion",
        "managedFields",
        "uid",
        "creationTimestamp",
        "generation",
        "deletionTimestamp",
        "selfLink",
    ] {
        set.remove_subtree(&["f:metadata".to_string(), fieldpath::field(meta)]);
    }
}

/// The managers recorded in an object's `managedFields`.
pub fn managers(obj: &Value) -> Vec<Manager> {
    let Some(entries) = obj["metadata"]["managedFields"].as_array() else {
        return Vec::new();
    };
    entries
        .iter()
        .map(|e| Manager {
            name: e["manager"].as_str().unwrap_or("").to_string(),
            operation: e["operation"].as_str().unwrap_or("Update").to_string(),
            api_version: e["apiVersion"].as_str().unwrap_or("").to_string(),
            time: e["time"].as_str().unwrap_or("").to_string(),
            subresource: e["subresource"].as_str().unwrap_or("").to_string(),
            set: Set::from_fields_v1(&e["fieldsV1"]),
        })
        .collect()
}

/// How many `Update` entries the API server keeps before it merges the oldest into
/// `ancient-changes`.
const MAX_UPDATE_MANAGERS: usize = 10;

/// Merges the oldest `Update` entries into `ancient-changes` while there are too many.
fn cap_updaters(managers: &mut Vec<Manager>) {
    loop {
        let mut updaters: Vec<usize> = (0..managers.len())
            .filter(|&i| managers[i].operation == "Update" && !managers[i].set.is_empty())
            .collect();
        if updaters.len() <= MAX_UPDATE_MANAGERS {
            return;
        }
        updaters.retain(|&i| managers[i].name != "ancient-changes");
        let Some(&oldest) = updaters
            .iter()
            .min_by(|&&a, &&b| managers[a].time.cmp(&managers[b].time))
        else {
            return;
        };
        let old = managers.remove(oldest);
        let bucket = entry(managers, "ancient-changes", "Update", &old.api_version);
        bucket.set.union(&old.set);
        if old.time > bucket.time {
            bucket.time = old.time;
        }
    }
}

fn write_managers(obj: &mut Value, mut managers: Vec<Manager>) {
    cap_updaters(&mut managers);
    // The API server's order: Apply before Update, then by time, manager, version.
    managers.sort_by(|a, b| {
        (
            &a.operation,
            &a.time,
            &a.name,
            &a.api_version,
            &a.subresource,
        )
            .cmp(&(
                &b.operation,
                &b.time,
                &b.name,
                &b.api_version,
                &b.subresource,
            ))
    });
    let entries: Vec<Value> = managers
        .into_iter()
        .filter(|m| !m.set.is_empty())
        .map(|m| {
            let mut e = json!({"manager": m.name, "operation": m.operation,
                "apiVersion": m.api_version, "time": m.time, "fieldsType": "FieldsV1",
                "fieldsV1": m.set.to_fields_v1()});
            if !m.subresource.is_empty() {
                e["subresource"] = json!(m.subresource);
            }
            e
        })
        .collect();
    if !obj["metadata"].is_object() {
        obj["metadata"] = json!({});
    }
    if let Some(meta) = obj["metadata"].as_object_mut() {
        if entries.is_empty() {
            meta.shift_remove("managedFields");
        } else {
            meta.insert("managedFields".into(), Value::Array(entries));
        }
    }
}

fn entry<'a>(managers: &'a mut Vec<Manager>, name: &str, op: &str, av: &str) -> &'a mut Manager {
    entry_on(managers, name, op, av, "")
}

fn entry_on<'a>(
    managers: &'a mut Vec<Manager>,
    name: &str,
    op: &str,
    av: &str,
    subresource: &str,
) -> &'a mut Manager {
    let i = match managers.iter().position(|m| m.is_on(name, op, subresource)) {
        Some(i) => i,
        None => {
            managers.push(Manager {
                name: name.into(),
                operation: op.into(),
                api_version: av.into(),
                time: now(),
                subresource: subresource.into(),
                set: Set::new(),
            });
            managers.len() - 1
        }
    };
    &mut managers[i]
}

/// Records an update (create, PUT, a non-apply patch) by `manager`: it owns what it added or
/// changed, the others lose that and what was removed. `new` carries the managers to start from
/// (the live ones, or those the request set); its `apiVersion` and `kind` pick the schema.
pub fn record_update(old: Option<&Value>, new: &mut Value, manager: &str, api_version: &str) {
    record_update_on(old, new, manager, api_version, "");
}

/// [`record_update`] through a subresource (`status`, `scale`): its own entry
/// (`subresource: status`); a `status` update owns no `spec` or labels, which the API server
/// resets for that subresource.
pub fn record_update_on(
    old: Option<&Value>,
    new: &mut Value,
    manager: &str,
    api_version: &str,
    subresource: &str,
) {
    let ty = ty_of(new);
    let mut c = typed::compare(old, Some(new), ty);
    let track = |set: &mut Set| {
        if subresource == "status" {
            // The status strategies reset `spec` and the labels (their reset fields): a status
            // write owns the status and the annotations it changed (a Deployment's revision).
            let status = set.children.remove("f:status");
            set.remove_subtree(&["f:spec".to_string()]);
            set.remove_subtree(&["f:metadata".to_string(), fieldpath::field("labels")]);
            strip_untracked(set);
            if let Some(status) = status {
                set.children.insert("f:status".into(), status);
            }
        } else {
            strip_untracked(set);
        }
    };
    track(&mut c.added);
    track(&mut c.modified);
    track(&mut c.removed);
    if c.is_same() {
        // Nothing changed, but managers a request set are written back as the server keeps
        // them (`[{}]` strips them all).
        let mgrs = managers(new);
        write_managers(new, mgrs);
        return;
    }
    let mut changed = c.added.clone();
    changed.union(&c.modified);
    let mut mgrs = managers(new);
    for m in mgrs
        .iter_mut()
        .filter(|m| !m.is_on(manager, "Update", subresource))
    {
        m.set = m.set.difference(&changed).difference(&c.removed);
    }
    let mine = entry_on(&mut mgrs, manager, "Update", api_version, subresource);
    mine.time = now();
    mine.api_version = api_version.to_string();
    mine.set.union(&changed);
    mine.set = mine.set.difference(&c.removed);
    write_managers(new, mgrs);
}

/// What the API server refuses in an applied configuration before merging: `managedFields`
/// (400 `metadata.managedFields must be nil`) and a name other than the URL's.
pub fn check_intent(kind: &Kind, name: &str, intent: &Value) -> Result<(), ApiError> {
    if !intent["metadata"]["managedFields"].is_null() {
        return Err(ApiError::new(
            400,
            "BadRequest",
            "metadata.managedFields must be nil",
        ));
    }
    match intent["metadata"]["name"].as_str() {
        Some(n) if n != name => Err(ApiError::new(
            400,
            "BadRequest",
            format!("the name of the object ({n}) does not match the name on the URL ({name})"),
        )
        .with_details(json!({"name": name, "group": kind.group, "kind": kind.plural}))),
        _ => Ok(()),
    }
}

/// Server-side apply of `intent` by `manager`: the new object, or a 409 conflict.
pub fn apply(
    kind: &Kind,
    old: Option<&Value>,
    intent: Value,
    manager: &str,
    force: bool,
) -> Result<Value, ApiError> {
    let name = intent["metadata"]["name"]
        .as_str()
        .unwrap_or("")
        .to_string();
    if intent["kind"].as_str().is_some_and(|k| k != kind.kind) {
        return Err(ApiError::new(
            400,
            "BadRequest",
            format!(
                "the kind of the body ({}) does not match the URL ({})",
                intent["kind"], kind.kind
            ),
        ));
    }
    if !intent.is_object() {
        return Err(ApiError::new(
            400,
            "BadRequest",
            "error decoding YAML: the applied configuration is not an object",
        ));
    }
    let av = kind.api_version();
    let ty = Ty::of_kind(&kind.group, &kind.version, &kind.kind);
    let config = crate::store::strip(intent);
    typed::validate(&config, ty).map_err(|e| {
        let ns = config["metadata"]["namespace"].as_str().unwrap_or("");
        ApiError::new(
            500,
            "",
            format!(
                "failed to create typed patch object ({ns}/{name}; {}/{}, Kind={}): {e}",
                kind.group, kind.version, kind.kind
            ),
        )
    })?;
    let live = old.cloned().unwrap_or_else(|| json!({}));
    let mut mgrs = managers(&live);
    if old.is_some() && mgrs.is_empty() {
        // An object nobody manages yet (its managed fields stripped): the API server first
        // gives everything it has to `before-first-apply`.
        let mut all = typed::compare(None, Some(&live), ty).added;
        strip_untracked(&mut all);
        mgrs.push(Manager {
            name: "before-first-apply".into(),
            operation: "Update".into(),
            api_version: av.clone(),
            time: now(),
            subresource: String::new(),
            set: all,
        });
    }
    let mut new_set = typed::field_set(&config, ty);
    strip_untracked(&mut new_set);
    let last_set = mgrs
        .iter()
        .find(|m| m.is(manager, "Apply"))
        .map(|m| m.set.clone())
        .unwrap_or_default();
    let mut merged = typed::merge(&live, &config, ty);

    // Prune what this manager applied before and nobody owns now, as structured-merge-diff
    // prunes: a declared (struct) field stays while anyone owns anything in it; a list item, a
    // set member, a map entry or a leaf stays only while someone owns it itself (an updater
    // owning just `image` in a container does not keep the container).
    let mut owners: Vec<&Set> = mgrs
        .iter()
        .filter(|m| !m.is(manager, "Apply"))
        .map(|m| &m.set)
        .collect();
    owners.push(&new_set);
    let mut candidates: Vec<Path> = Vec::new();
    for p in last_set.members() {
        for len in 1..p.len() {
            let prefix = p[..len].to_vec();
            if typed::is_declared_field(ty, &prefix)
                && prefix != ["f:metadata"]
                && !candidates.contains(&prefix)
            {
                candidates.push(prefix);
            }
        }
        if !candidates.contains(&p) {
            candidates.push(p);
        }
    }
    let owned = |p: &Path| {
        if typed::is_declared_field(ty, p) {
            owners.iter().any(|s| s.owns_within(p))
        } else {
            owners.iter().any(|s| s.contains(p))
        }
    };
    let mut gone: Vec<Path> = candidates.into_iter().filter(|p| !owned(p)).collect();
    // What is removed takes what is in it along: remove the outermost paths only.
    gone.sort_by_key(Vec::len);
    let mut removed: Vec<&Path> = Vec::new();
    for p in &gone {
        if !removed.iter().any(|r| p.starts_with(r)) {
            typed::remove(&mut merged, p, ty);
            removed.push(p);
        }
    }

    // Conflicts: what the apply changes that others own.
    let mut c = typed::compare(Some(&live), Some(&merged), ty);
    strip_untracked(&mut c.added);
    strip_untracked(&mut c.modified);
    strip_untracked(&mut c.removed);
    let mut changed = c.added.clone();
    changed.union(&c.modified);
    let mut conflicts: Vec<(usize, Path)> = Vec::new();
    for (i, m) in mgrs.iter().enumerate() {
        if m.is(manager, "Apply") {
            continue;
        }
        for p in m.set.intersection(&changed).members() {
            conflicts.push((i, p));
        }
    }
    if !conflicts.is_empty() {
        if !force {
            return Err(conflict_error(kind, &name, &mgrs, &conflicts));
        }
        for (i, p) in &conflicts {
            let mut one = Set::new();
            one.insert(p);
            mgrs[*i].set = mgrs[*i].set.difference(&one);
        }
    }
    for m in mgrs.iter_mut().filter(|m| !m.is(manager, "Apply")) {
        m.set = m.set.difference(&c.removed);
    }
    // The entry's time moves when the apply changes the object (not for a no-op).
    let object_changed = !c.is_same();
    let mine = entry(&mut mgrs, manager, "Apply", &av);
    if object_changed {
        mine.time = now();
    }
    mine.set = new_set;
    mine.api_version = av;
    write_managers(&mut merged, mgrs);
    Ok(merged)
}

fn conflict_error(
    kind: &Kind,
    name: &str,
    mgrs: &[Manager],
    conflicts: &[(usize, Path)],
) -> ApiError {
    let n = conflicts.len();
    let message = if n == 1 {
        let (i, p) = &conflicts[0];
        format!(
            "Apply failed with 1 conflict: conflict with {}: {}",
            mgrs[*i].printed(),
            fieldpath::path_string(p)
        )
    } else {
        let mut by: Vec<(String, Vec<String>)> = Vec::new();
        for (i, p) in conflicts {
            let who = mgrs[*i].printed();
            match by.iter_mut().find(|(m, _)| *m == who) {
                Some((_, paths)) => paths.push(fieldpath::path_string(p)),
                None => by.push((who, vec![fieldpath::path_string(p)])),
            }
        }
        by.sort_by(|a, b| a.0.cmp(&b.0));
        let lines: Vec<String> = by
            .iter()
            .flat_map(|(m, paths)| {
                std::iter::once(format!("conflicts with {m}:"))
                    .chain(paths.iter().map(|p| format!("- {p}")))
            })
            .collect();
        format!("Apply failed with {n} conflicts: {}", lines.join("\n"))
    };
    let causes: Vec<Value> = conflicts
        .iter()
        .map(|(i, p)| {
            json!({"reason": "FieldManagerConflict",
                "message": format!("conflict with {}", mgrs[*i].printed()),
                "field": fieldpath::path_string(p)})
        })
        .collect();
    ApiError::new(409, "Conflict", message).with_details(
        json!({"name": name, "group": kind.group, "kind": kind.plural, "causes": causes}),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deployments() -> Kind {
        Kind::new("apps", "v1", "Deployment", "deployments", true)
    }

    fn manifest(image: &str, containers: &[&str]) -> Value {
        let cs: Vec<Value> = containers
            .iter()
            .map(|n| json!({"name": n, "image": image}))
            .collect();
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"template": {"spec": {"containers": cs}}}})
    }

    fn containers(obj: &Value) -> Vec<String> {
        obj["spec"]["template"]["spec"]["containers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_string())
            .collect()
    }

    #[test]
    fn two_appliers_share_items_and_each_keeps_its_own() {
        let k = deployments();
        let a = apply(&k, None, manifest("nginx", &["web"]), "a", false).unwrap();
        let b = apply(
            &k,
            Some(&a),
            manifest("nginx", &["web", "side"]),
            "b",
            false,
        )
        .unwrap();
        assert_eq!(containers(&b), ["web", "side"]);
        // a drops web: b still owns it, so it stays.
        let a2 = apply(&k, Some(&b), manifest("nginx", &[]), "a", false).unwrap();
        assert_eq!(containers(&a2), ["web", "side"]);
        // b drops side: nobody owns it any more, it goes.
        let b2 = apply(&k, Some(&a2), manifest("nginx", &["web"]), "b", false).unwrap();
        assert_eq!(containers(&b2), ["web"]);
        let mgrs = managers(&b2);
        assert_eq!(
            mgrs.len(),
            1,
            "a owns nothing and its entry is dropped: {mgrs:?}"
        );
    }

    #[test]
    fn an_item_stays_only_while_someone_owns_the_item_itself() {
        let k = deployments();
        let a = apply(&k, None, manifest("nginx", &["web", "side"]), "a", false).unwrap();
        // An updater changes side's image: it owns that field, not the item.
        let mut u = a.clone();
        u["spec"]["template"]["spec"]["containers"][1]["image"] = json!("httpd");
        record_update(Some(&a), &mut u, "kubectl-set", "apps/v1");
        // An updater adds a third container: it owns that item.
        let mut v = u.clone();
        if let Some(cs) = v["spec"]["template"]["spec"]["containers"].as_array_mut() {
            cs.push(json!({"name": "third", "image": "redis"}));
        }
        record_update(Some(&u), &mut v, "kubectl-edit", "apps/v1");
        // a now applies web only: side is pruned, third (never a's) stays.
        let a2 = apply(&k, Some(&v), manifest("nginx", &["web"]), "a", false).unwrap();
        assert_eq!(
            containers(&a2),
            ["web", "third"],
            "side goes with kubectl-set's image"
        );
        let set = &managers(&a2)
            .into_iter()
            .find(|m| m.name == "kubectl-set")
            .map(|m| m.set)
            .unwrap_or_default();
        assert!(
            set.is_empty(),
            "the removed image is no longer owned: {set:?}"
        );
    }

    #[test]
    fn a_differing_value_conflicts_and_force_takes_it_over() {
        let k = deployments();
        let a = apply(&k, None, manifest("nginx", &["web"]), "a", false).unwrap();
        let e = apply(&k, Some(&a), manifest("httpd", &["web"]), "b", false).unwrap_err();
        assert_eq!(e.code, 409);
        assert_eq!(
            e.message,
            "Apply failed with 1 conflict: conflict with \"a\": .spec.template.spec.containers[name=\"web\"].image"
        );
        let b = apply(&k, Some(&a), manifest("httpd", &["web"]), "b", true).unwrap();
        assert_eq!(
            b["spec"]["template"]["spec"]["containers"][0]["image"],
            "httpd"
        );
        let a_set = &managers(&b)[0].set;
        assert!(!a_set
            .members()
            .iter()
            .any(|p| p.last().is_some_and(|e| e == "f:image")));
    }

    #[test]
    fn more_than_ten_updaters_fold_the_oldest_into_ancient_changes() {
        let k = deployments();
        let mut obj = apply(&k, None, manifest("nginx", &["web"]), "a", false).unwrap();
        for i in 0..12 {
            let mut next = obj.clone();
            next["metadata"]["labels"][format!("l{i}")] = json!("x");
            // Distinct, increasing times, as seconds pass between real updates.
            record_update(Some(&obj), &mut next, &format!("m{i:02}"), "apps/v1");
            if let Some(entries) = next["metadata"]["managedFields"].as_array_mut() {
                for e in entries
                    .iter_mut()
                    .filter(|e| e["manager"] == format!("m{i:02}"))
                {
                    e["time"] = json!(format!("2026-01-01T00:00:{i:02}Z"));
                }
            }
            obj = next;
        }
        let mgrs = managers(&obj);
        let names: Vec<&str> = mgrs.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(
            mgrs.iter().filter(|m| m.operation == "Update").count(),
            10,
            "{names:?}"
        );
        let ancient = mgrs
            .iter()
            .find(|m| m.name == "ancient-changes")
            .expect("the bucket");
        // m00 added the labels map (owning it too), m01 and m02 one label each.
        assert_eq!(
            ancient.set.members().len(),
            4,
            "{:?}",
            ancient.set.members()
        );
        assert!(
            !names.contains(&"m00") && names.contains(&"m11"),
            "{names:?}"
        );
        assert_eq!(names[0], "a", "Apply entries come first");
    }

    #[test]
    fn several_conflicts_are_listed_by_manager() {
        let k = deployments();
        let mut m = manifest("nginx", &["web"]);
        m["spec"]["replicas"] = json!(1);
        let a = apply(&k, None, m.clone(), "a", false).unwrap();
        let mut u = a.clone();
        u["spec"]["replicas"] = json!(2);
        record_update(Some(&a), &mut u, "kubectl-edit", "apps/v1");
        m["spec"]["replicas"] = json!(3);
        m["spec"]["template"]["spec"]["containers"][0]["image"] = json!("redis");
        let e = apply(&k, Some(&u), m, "b", false).unwrap_err();
        assert_eq!(
            e.message,
            "Apply failed with 2 conflicts: conflicts with \"a\":\n\
             - .spec.template.spec.containers[name=\"web\"].image\n\
             conflicts with \"kubectl-edit\" using apps/v1:\n- .spec.replicas",
            "the edit took replicas from a"
        );
        assert_eq!(e.details["causes"].as_array().map(Vec::len), Some(2));
        assert_eq!(e.details["causes"][0]["reason"], "FieldManagerConflict");
    }

    #[test]
    fn sets_are_unioned_and_each_value_owned() {
        let k = Kind::new("", "v1", "ConfigMap", "configmaps", true);
        let cm = |f: &[&str]| {
            json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "c", "finalizers": f}})
        };
        let a = apply(&k, None, cm(&["x", "y"]), "a", false).unwrap();
        let b = apply(&k, Some(&a), cm(&["y", "z"]), "b", false).unwrap();
        assert_eq!(b["metadata"]["finalizers"], json!(["x", "y", "z"]));
        let mgrs = managers(&b);
        let b_set = &mgrs.iter().find(|m| m.name == "b").unwrap().set;
        assert_eq!(
            b_set.to_fields_v1(),
            json!({"f:metadata": {"f:finalizers": {"v:\"y\"": {}, "v:\"z\"": {}}}})
        );
        // a stops applying x and y: x goes, y stays (b owns it).
        let a2 = apply(&k, Some(&b), cm(&[]), "a", false).unwrap();
        assert_eq!(a2["metadata"]["finalizers"], json!(["y", "z"]));
    }

    #[test]
    fn an_applied_null_removes_the_field_and_is_owned() {
        let k = deployments();
        let mut m = manifest("nginx", &["web"]);
        m["spec"]["replicas"] = json!(3);
        let a = apply(&k, None, m.clone(), "a", false).unwrap();
        m["spec"]["replicas"] = Value::Null;
        let b = apply(&k, Some(&a), m, "a", false).unwrap();
        assert!(b["spec"].get("replicas").is_none(), "{b}");
        assert!(managers(&b)[0]
            .set
            .contains(&["f:spec".to_string(), "f:replicas".to_string()]));
    }

    #[test]
    fn a_status_update_is_its_own_entry_owning_status_only() {
        let k = deployments();
        let a = apply(&k, None, manifest("nginx", &["web"]), "a", false).unwrap();
        let mut s = a.clone();
        s["status"] = json!({"replicas": 1});
        s["spec"]["paused"] = json!(true);
        record_update_on(
            Some(&a),
            &mut s,
            "kube-controller-manager",
            "apps/v1",
            "status",
        );
        let entries = s["metadata"]["managedFields"].as_array().unwrap();
        let e = entries
            .iter()
            .find(|e| e["manager"] == "kube-controller-manager")
            .unwrap();
        assert_eq!(e["subresource"], "status");
        assert_eq!(
            e["fieldsV1"],
            json!({"f:status": {"f:replicas": {}}}),
            "status is a struct of the object: no `.`, and spec.paused is not taken"
        );
    }

    #[test]
    fn updates_take_over_changed_fields() {
        let k = deployments();
        let a = apply(&k, None, manifest("nginx", &["web"]), "a", false).unwrap();
        let mut u = a.clone();
        u["spec"]["template"]["spec"]["containers"][0]["image"] = json!("httpd");
        record_update(Some(&a), &mut u, "kubectl-set", "apps/v1");
        let mgrs = managers(&u);
        let set = &mgrs.iter().find(|m| m.name == "kubectl-set").unwrap().set;
        assert_eq!(
            set.to_fields_v1(),
            json!({"f:spec": {"f:template": {"f:spec": {"f:containers": {
                "k:{\"name\":\"web\"}": {"f:image": {}}}}}}})
        );
        let e = apply(&k, Some(&u), manifest("nginx", &["web"]), "a", false).unwrap_err();
        assert!(
            e.message
                .contains("conflict with \"kubectl-set\" using apps/v1"),
            "{}",
            e.message
        );
    }
}
