//! Which fields of a live object belong in the state, from `metadata.managedFields`.
//!
//! A field is kept when skel's field manager owns it (it applied it), or when the prior state
//! had it and some manager owns it (someone changed a field skel set: that is drift the plan
//! shows and the next apply reverts). Fields nobody applied (server defaults) and fields only
//! others set are left out, so they never show as changes. Objects without `managedFields`
//! (and imports, which have no prior state) keep every field some manager owns. Entries of the
//! `status` subresource (controllers' status and bookkeeping annotations) own nothing here.

use std::collections::BTreeSet;

use serde_json::{Map, Value as Json};

type Path = Vec<String>;

/// The paths of a `FieldsV1` tree; list-item keys (`k:`, `v:`, `i:`) make the list a leaf.
fn parse_fields(fields: &Json, prefix: &mut Path, out: &mut BTreeSet<Path>) {
    let Some(m) = fields.as_object().filter(|m| !m.is_empty()) else {
        out.insert(prefix.clone());
        return;
    };
    for (k, child) in m {
        match k.strip_prefix("f:") {
            Some(name) => {
                prefix.push(name.to_string());
                parse_fields(child, prefix, out);
                prefix.pop();
            }
            None if !prefix.is_empty() => {
                out.insert(prefix.clone());
            }
            None => {}
        }
    }
}

/// Paths owned by `manager` (its Apply entries) and by anyone.
pub fn owned(obj: &Json, manager: &str) -> (BTreeSet<Path>, BTreeSet<Path>, bool) {
    let mut mine = BTreeSet::new();
    let mut any = BTreeSet::new();
    let entries = obj["metadata"]["managedFields"].as_array();
    for e in entries.into_iter().flatten() {
        // What the cluster's controllers write through the status subresource (the status, and
        // annotations such as `deployment.kubernetes.io/revision`) is never configuration.
        if e["subresource"].as_str() == Some("status") {
            continue;
        }
        let mut paths = BTreeSet::new();
        parse_fields(&e["fieldsV1"], &mut Vec::new(), &mut paths);
        if e["manager"].as_str() == Some(manager) && e["operation"].as_str() == Some("Apply") {
            mine.extend(paths.iter().cloned());
        }
        any.extend(paths);
    }
    (mine, any, entries.is_some_and(|e| !e.is_empty()))
}

fn covers(paths: &BTreeSet<Path>, p: &[String]) -> bool {
    paths.iter().any(|q| p.starts_with(q))
}

fn below(paths: &BTreeSet<Path>, p: &[String]) -> bool {
    paths.iter().any(|q| q.len() > p.len() && q.starts_with(p))
}

/// The live object restricted to the fields that belong in the state (see the module doc).
/// `prior` is the JSON the prior state stands for (`None` on import).
pub fn restrict(live: &Json, prior: Option<&Json>, manager: &str) -> Json {
    let (mine, any, tracked) = owned(live, manager);
    if !tracked {
        return live.clone();
    }
    let mut out = Map::new();
    if let Some(m) = live.as_object() {
        for (k, v) in m {
            let path = vec![k.clone()];
            if k == "metadata" {
                let mut meta = walk(
                    v,
                    prior.map(|p| &p[k.as_str()]),
                    &mut path.clone(),
                    &mine,
                    &any,
                    prior.is_none(),
                );
                for identity in [
                    "name",
                    "namespace",
                    "uid",
                    "resourceVersion",
                    "generation",
                    "generateName",
                ] {
                    if let Some(x) = v.get(identity) {
                        meta[identity] = x.clone();
                    }
                }
                out.insert(k.clone(), meta);
            } else if k == "apiVersion" || k == "kind" || k == "status" {
                out.insert(k.clone(), v.clone());
            } else if let Some(kept) = keep(
                v,
                prior.map(|p| &p[k.as_str()]),
                &path,
                &mine,
                &any,
                prior.is_none(),
            ) {
                out.insert(k.clone(), kept);
            }
        }
    }
    Json::Object(out)
}

fn keep(
    v: &Json,
    prior: Option<&Json>,
    path: &[String],
    mine: &BTreeSet<Path>,
    any: &BTreeSet<Path>,
    import: bool,
) -> Option<Json> {
    let had = import || prior.is_some_and(|p| !p.is_null());
    if covers(mine, path) || (had && covers(any, path)) {
        return Some(v.clone());
    }
    if below(mine, path) || (had && below(any, path)) {
        return Some(walk(v, prior, &mut path.to_vec(), mine, any, import));
    }
    None
}

fn walk(
    v: &Json,
    prior: Option<&Json>,
    path: &mut Path,
    mine: &BTreeSet<Path>,
    any: &BTreeSet<Path>,
    import: bool,
) -> Json {
    let Some(m) = v.as_object() else {
        return v.clone();
    };
    let mut out = Map::new();
    for (k, child) in m {
        path.push(k.clone());
        if let Some(kept) = keep(
            child,
            prior.map(|p| &p[k.as_str()]),
            path,
            mine,
            any,
            import,
        ) {
            out.insert(k.clone(), kept);
        }
        path.pop();
    }
    Json::Object(out)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::restrict;

    #[test]
    fn fields_written_through_the_status_subresource_are_not_configuration() {
        let live = json!({"metadata": {"name": "web",
            "annotations": {"deployment.kubernetes.io/revision": "1", "team": "a"},
            "managedFields": [
                {"manager": "kubectl", "operation": "Update",
                 "fieldsV1": {"f:metadata": {"f:annotations": {"f:team": {}}}}},
                {"manager": "kube-controller-manager", "operation": "Update", "subresource": "status",
                 "fieldsV1": {"f:metadata": {"f:annotations": {"f:deployment.kubernetes.io/revision": {}}}}}]}});
        let imported = restrict(&live, None, "skel");
        assert_eq!(imported["metadata"]["annotations"], json!({"team": "a"}));
    }
}
