//! Values walked by their schema, as structured-merge-diff walks typed values: the field set of
//! a value (what an applier owns), the comparison of two values (added, modified and removed
//! paths, what an update takes over), the merge of an applied configuration into a live object,
//! and the removal of a path.
//!
//! The shape of every node comes from [`crate::schema`]: objects with `properties` are structs,
//! objects with `additionalProperties` maps, `x-kubernetes-map-type: atomic` objects one leaf,
//! lists associative by their map keys, sets, or atomic. A kind with no definition is untyped,
//! as a CRD without a structural schema: every object a granular map, every list atomic.

use serde_json::{Map, Value};

use crate::fieldpath::{self, Element, Path, Set};
use crate::schema::{ListType, Node};

/// A schema node, or none (untyped). The root of an untyped kind still has a typed `metadata`
/// (`ObjectMeta`), as a CRD without a structural schema does.
#[derive(Clone, Copy, Debug)]
pub struct Ty<'a> {
    node: Option<Node<'a>>,
    untyped_root: bool,
}

/// The definition of `metadata`.
const OBJECT_META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";

/// How a node merges.
#[derive(Clone, Debug, PartialEq)]
pub enum Shape {
    /// A scalar, an atomic list or an atomic map: one leaf.
    Leaf,
    /// An object with declared fields.
    Struct,
    /// An object of arbitrary keys (labels, data, untyped objects).
    Map,
    /// A list merged by item.
    List(ListType),
}

impl<'a> Ty<'a> {
    /// The type of a kind's objects.
    pub fn of_kind(group: &str, version: &str, kind: &str) -> Ty<'static> {
        let node = crate::schema::schemas().kind(group, version, kind);
        Ty {
            node,
            untyped_root: node.is_none(),
        }
    }

    /// A node of the schema (`None`: untyped).
    pub fn new(node: Option<Node<'a>>) -> Ty<'a> {
        Ty {
            node,
            untyped_root: false,
        }
    }

    /// The schema node, `None` when untyped.
    pub fn node(&self) -> Option<Node<'a>> {
        self.node
    }

    /// Whether the kind has a schema.
    pub fn is_typed(&self) -> bool {
        self.node.is_some()
    }

    /// The shape of `v` under this type.
    pub fn shape(&self, v: &Value) -> Shape {
        let Some(node) = self.node else {
            return match v {
                Value::Object(_) => Shape::Map,
                _ => Shape::Leaf,
            };
        };
        let raw = node.raw();
        match v {
            Value::Object(_) => {
                if node.atomic_map() {
                    Shape::Leaf
                } else if raw.get("properties").is_some() {
                    Shape::Struct
                } else if raw.get("additionalProperties").is_some()
                    || node.type_name() == Some("object")
                {
                    Shape::Map
                } else {
                    Shape::Leaf
                }
            }
            Value::Array(_) if raw.get("items").is_some() => match node.list_type() {
                ListType::Atomic => Shape::Leaf,
                other => Shape::List(other),
            },
            _ => Shape::Leaf,
        }
    }

    /// Whether `name` is a declared field of this struct.
    pub fn declares(&self, name: &str) -> bool {
        if self.untyped_root {
            return matches!(name, "apiVersion" | "kind" | "metadata");
        }
        self.node
            .and_then(|n| n.raw().get("properties"))
            .and_then(|p| p.get(name))
            .is_some()
    }

    /// The type of a field (untyped when the schema does not know it).
    pub fn field(&self, name: &str) -> Ty<'a> {
        if self.untyped_root && name == "metadata" {
            return Ty::new(crate::schema::schemas().named(OBJECT_META));
        }
        Ty::new(self.node.and_then(|n| n.field(name)))
    }

    /// The type of a list's items.
    pub fn items(&self) -> Ty<'a> {
        Ty::new(self.node.and_then(|n| n.items()))
    }
}

/// Whether `path` ends in a field its parent struct declares (structured-merge-diff's "named
/// field"), as opposed to a list item, a set member or a map entry.
pub fn is_declared_field(ty: Ty, path: &[Element]) -> bool {
    let Some((last, parents)) = path.split_last() else {
        return false;
    };
    let mut t = ty;
    for e in parents {
        t = match e.strip_prefix("f:") {
            Some(name) => t.field(name),
            None => t.items(),
        };
    }
    last.strip_prefix("f:").is_some_and(|name| t.declares(name))
}

/// The default Kubernetes 1.32 declares (`+default="TCP"`) for the `protocol` key of container,
/// service and endpoint ports, which the OpenAPI v2 definitions do not carry.
fn key_default(name: &str) -> Option<Value> {
    (name == "protocol").then(|| Value::from("TCP"))
}

/// The path element of a list item: `k:{...}` by the map keys, `v:VALUE` for a set.
pub fn item_element(list: &ListType, item: &Value, index: usize) -> Element {
    match list {
        ListType::Map(keys) => {
            let fields: Vec<(String, Value)> = keys
                .iter()
                .filter_map(|k| {
                    let v = item
                        .get(k)
                        .filter(|v| !v.is_null())
                        .cloned()
                        .or_else(|| key_default(k))?;
                    Some((k.clone(), v))
                })
                .collect();
            if fields.is_empty() {
                fieldpath::index(index)
            } else {
                fieldpath::key(&fields)
            }
        }
        ListType::Set => fieldpath::value(item),
        ListType::Atomic => fieldpath::index(index),
    }
}

/// Checks an applied configuration as structured-merge-diff converts it to a typed value: every
/// field declared by the schema, every associative-list item with its keys and no two with the
/// same. The error text is structured-merge-diff's (`.spec.foo: field not declared in schema`).
pub fn validate(config: &Value, ty: Ty) -> Result<(), String> {
    let mut errors = Vec::new();
    walk_validate(config, ty, &mut Vec::new(), &mut errors);
    match errors.len() {
        0 => Ok(()),
        1 => Err(errors.remove(0)),
        _ => Err(std::iter::once("errors:".to_string())
            .chain(errors.iter().map(|e| format!("  {e}")))
            .collect::<Vec<_>>()
            .join("\n")),
    }
}

fn walk_validate(v: &Value, ty: Ty, path: &mut Path, errors: &mut Vec<String>) {
    match (ty.shape(v), v) {
        (shape @ (Shape::Struct | Shape::Map), Value::Object(m)) => {
            for (k, child) in m {
                path.push(fieldpath::field(k));
                if shape == Shape::Struct && !ty.declares(k) {
                    errors.push(format!(
                        "{}: field not declared in schema",
                        fieldpath::path_string(path)
                    ));
                } else {
                    walk_validate(child, ty.field(k), path, errors);
                }
                path.pop();
            }
        }
        (Shape::List(lt), Value::Array(items)) => {
            let ity = ty.items();
            let mut seen: Vec<Element> = Vec::new();
            for (i, item) in items.iter().enumerate() {
                if let ListType::Map(keys) = &lt {
                    let missing = keys.iter().find(|k| {
                        item.get(k.as_str()).is_none_or(Value::is_null) && key_default(k).is_none()
                    });
                    if let Some(k) = missing {
                        errors.push(format!(
                            "{}: element {i}: associative list with keys has an element that omits key field {k:?} (and doesn't have default value)",
                            fieldpath::path_string(path)
                        ));
                        continue;
                    }
                }
                let e = item_element(&lt, item, i);
                if seen.contains(&e) {
                    errors.push(format!(
                        "{}: duplicate entries for key {}",
                        fieldpath::path_string(path),
                        fieldpath::element_string(&e)
                    ));
                    continue;
                }
                seen.push(e.clone());
                path.push(e);
                walk_validate(item, ity, path, errors);
                path.pop();
            }
        }
        _ => {}
    }
}

/// The set of paths a value sets (structured-merge-diff's `ToFieldSet`): leaves; list items
/// and the values of sets; fields of maps (not of structs) and empty objects.
pub fn field_set(v: &Value, ty: Ty) -> Set {
    let mut out = Set::new();
    walk_field_set(v, ty, &mut Vec::new(), &mut out);
    out
}

fn walk_field_set(v: &Value, ty: Ty, path: &mut Path, out: &mut Set) {
    match (ty.shape(v), v) {
        (Shape::Struct | Shape::Map, Value::Object(m)) => {
            for (k, child) in m {
                path.push(fieldpath::field(k));
                let cty = ty.field(k);
                walk_field_set(child, cty, path, out);
                // A null is owned too: applying it removes the field.
                let empty = child.is_null() || child.as_object().is_some_and(Map::is_empty);
                if empty || !ty.declares(k) {
                    out.insert(path);
                }
                path.pop();
            }
        }
        (Shape::List(lt), Value::Array(items)) => {
            let ity = ty.items();
            for (i, item) in items.iter().enumerate() {
                path.push(item_element(&lt, item, i));
                if lt != ListType::Set {
                    walk_field_set(item, ity, path, out);
                }
                out.insert(path);
                path.pop();
            }
        }
        _ => {
            if !path.is_empty() {
                out.insert(path);
            }
        }
    }
}

/// What changed between two values.
#[derive(Debug, Default)]
pub struct Comparison {
    pub added: Set,
    pub modified: Set,
    pub removed: Set,
}

impl Comparison {
    /// Whether nothing changed.
    pub fn is_same(&self) -> bool {
        self.added.is_empty() && self.modified.is_empty() && self.removed.is_empty()
    }
}

/// Compares `old` with `new`: leaves and list items added, leaves modified, paths removed (with
/// everything below them). An object that appears is itself added when it is a map or empty,
/// so an updater owns `labels` as well as `labels.app` (`FieldsV1` `".": {}`).
pub fn compare(old: Option<&Value>, new: Option<&Value>, ty: Ty) -> Comparison {
    let mut c = Comparison::default();
    walk_compare(old, new, ty, &mut Vec::new(), &mut c);
    c
}

fn present(v: Option<&Value>) -> Option<&Value> {
    v.filter(|v| !v.is_null())
}

fn walk_compare(
    old: Option<&Value>,
    new: Option<&Value>,
    ty: Ty,
    path: &mut Path,
    c: &mut Comparison,
) {
    let (old, new) = (present(old), present(new));
    match (old, new) {
        (None, None) => {}
        (Some(o), None) => {
            if !path.is_empty() {
                c.removed.insert(path);
            }
            let below = field_set(o, ty);
            for m in below.members() {
                let full: Path = path.iter().cloned().chain(m).collect();
                c.removed.insert(&full);
            }
        }
        (None, Some(n)) => walk_added(n, ty, path, &mut c.added),
        (Some(o), Some(n)) => {
            let shape = ty.shape(n);
            if ty.shape(o) != shape {
                if o != n && !path.is_empty() {
                    c.modified.insert(path);
                }
                return;
            }
            match (shape, o, n) {
                (Shape::Struct | Shape::Map, Value::Object(om), Value::Object(nm)) => {
                    let keys: Vec<&String> = om
                        .keys()
                        .chain(nm.keys().filter(|k| !om.contains_key(*k)))
                        .collect();
                    for k in keys {
                        path.push(fieldpath::field(k));
                        walk_compare(om.get(k), nm.get(k), ty.field(k), path, c);
                        path.pop();
                    }
                }
                (Shape::List(lt), Value::Array(oi), Value::Array(ni)) => {
                    let ity = ty.items();
                    let index = |items: &[Value]| -> Vec<(Element, Value)> {
                        items
                            .iter()
                            .enumerate()
                            .map(|(i, v)| (item_element(&lt, v, i), v.clone()))
                            .collect()
                    };
                    let (oi, ni) = (index(oi), index(ni));
                    for (e, nv) in &ni {
                        path.push(e.clone());
                        match oi.iter().find(|(oe, _)| oe == e) {
                            Some((_, ov)) if lt != ListType::Set => {
                                walk_compare(Some(ov), Some(nv), ity, path, c)
                            }
                            Some(_) => {}
                            None => walk_added(nv, ity, path, &mut c.added),
                        }
                        path.pop();
                    }
                    for (e, ov) in &oi {
                        if !ni.iter().any(|(ne, _)| ne == e) {
                            path.push(e.clone());
                            walk_compare(Some(ov), None, ity, path, c);
                            path.pop();
                        }
                    }
                }
                _ => {
                    if o != n && !path.is_empty() {
                        c.modified.insert(path);
                    }
                }
            }
        }
    }
}

/// What an update adds with a value that was not there: its leaves and list items, and the value
/// itself when it is a map, a list item or empty (a struct of fields is not a field of its own).
fn walk_added(n: &Value, ty: Ty, path: &mut Path, out: &mut Set) {
    let shape = ty.shape(n);
    let item = path.last().is_some_and(|e| !e.starts_with("f:"));
    match (&shape, n) {
        (Shape::Struct | Shape::Map, Value::Object(m)) => {
            if !path.is_empty() && (shape == Shape::Map || item || m.is_empty()) {
                out.insert(path);
            }
            for (k, child) in m.iter().filter(|(_, v)| !v.is_null()) {
                path.push(fieldpath::field(k));
                walk_added(child, ty.field(k), path, out);
                path.pop();
            }
        }
        (Shape::List(lt), Value::Array(items)) => {
            let ity = ty.items();
            for (i, v) in items.iter().enumerate() {
                path.push(item_element(lt, v, i));
                if *lt == ListType::Set {
                    out.insert(path);
                } else {
                    walk_added(v, ity, path, out);
                }
                path.pop();
            }
        }
        _ => {
            if !path.is_empty() {
                out.insert(path);
            }
        }
    }
}

/// Merges an applied configuration into the live value: configured leaves win, objects merge
/// by field, associative lists and sets by item (the live order kept, the configuration's items
/// placed as structured-merge-diff places them), atomic lists and maps are replaced.
pub fn merge(live: &Value, config: &Value, ty: Ty) -> Value {
    let shape = ty.shape(config);
    if ty.shape(live) != shape {
        return strip_nulls(config);
    }
    match (shape, live, config) {
        (Shape::Struct | Shape::Map, Value::Object(lm), Value::Object(cm)) => {
            let mut out = lm.clone();
            for (k, cv) in cm {
                if cv.is_null() {
                    out.shift_remove(k);
                    continue;
                }
                let merged = match lm.get(k) {
                    Some(lv) if !lv.is_null() => merge(lv, cv, ty.field(k)),
                    _ => strip_nulls(cv),
                };
                out.insert(k.clone(), merged);
            }
            Value::Object(out)
        }
        (Shape::List(lt), Value::Array(li), Value::Array(ci)) => {
            Value::Array(merge_list(&lt, li, ci, ty.items()))
        }
        _ => strip_nulls(config),
    }
}

fn strip_nulls(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), strip_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(strip_nulls).collect()),
        other => other.clone(),
    }
}

/// structured-merge-diff's list merge: walk both lists; items only the live list has stay where
/// they are, items both have come in the configuration's order (merged), items only the
/// configuration has come at their place in it.
fn merge_list(lt: &ListType, live: &[Value], config: &[Value], ity: Ty) -> Vec<Value> {
    let le: Vec<Element> = live
        .iter()
        .enumerate()
        .map(|(i, v)| item_element(lt, v, i))
        .collect();
    let ce: Vec<Element> = config
        .iter()
        .enumerate()
        .map(|(i, v)| item_element(lt, v, i))
        .collect();
    let in_live = |e: &Element| le.iter().position(|x| x == e);
    let in_config = |e: &Element| ce.iter().position(|x| x == e);
    let shared: Vec<&Element> = ce.iter().filter(|e| in_live(e).is_some()).collect();
    let mut next_shared = 0usize;
    let mut done: Vec<&Element> = Vec::new();
    let mut out = Vec::new();
    let merge_item = |l: Option<usize>, c: usize| -> Value {
        match (l, lt) {
            (Some(l), ListType::Map(_)) => merge(&live[l], &config[c], ity),
            _ => strip_nulls(&config[c]),
        }
    };
    let (mut li, mut ci) = (0usize, 0usize);
    while li < le.len() || ci < ce.len() {
        if li < le.len() && ci < ce.len() {
            if le[li] == ce[ci] {
                out.push(merge_item(Some(li), ci));
                done.push(&ce[ci]);
                if shared.get(next_shared) == Some(&&ce[ci]) {
                    next_shared += 1;
                }
                li += 1;
                ci += 1;
                continue;
            }
            if in_config(&le[li]).is_some()
                && shared.get(next_shared).is_some_and(|s| **s != le[li])
            {
                li += 1;
                continue;
            }
        }
        if li < le.len() {
            if in_config(&le[li]).is_none() {
                out.push(live[li].clone());
                li += 1;
                continue;
            } else if done.contains(&&le[li]) {
                li += 1;
                continue;
            }
        }
        if ci < ce.len() {
            out.push(merge_item(in_live(&ce[ci]), ci));
            done.push(&ce[ci]);
            if shared.get(next_shared) == Some(&&ce[ci]) {
                next_shared += 1;
            }
            ci += 1;
        }
    }
    out
}

/// Removes the value at `path` (an object field, a list item by its element) and the objects and
/// lists it leaves empty; `true` if found.
pub fn remove(v: &mut Value, path: &[Element], ty: Ty) -> bool {
    let Some((first, rest)) = path.split_first() else {
        return false;
    };
    if let Some(name) = first.strip_prefix("f:") {
        let Some(m) = v.as_object_mut() else {
            return false;
        };
        if rest.is_empty() {
            return m.shift_remove(name).is_some();
        }
        let cty = ty.field(name);
        let found = m.get_mut(name).is_some_and(|c| remove(c, rest, cty));
        // An object or list left empty goes with its last field or item.
        let emptied = match m.get(name) {
            Some(Value::Object(o)) => o.is_empty(),
            Some(Value::Array(a)) => a.is_empty(),
            _ => false,
        };
        if found && emptied {
            m.shift_remove(name);
        }
        return found;
    }
    let lt = match ty.shape(v) {
        Shape::List(lt) => lt,
        _ => ListType::Atomic,
    };
    let ity = ty.items();
    let Some(items) = v.as_array_mut() else {
        return false;
    };
    let Some(i) = items
        .iter()
        .enumerate()
        .position(|(i, item)| &item_element(&lt, item, i) == first)
    else {
        return false;
    };
    if rest.is_empty() {
        items.remove(i);
        true
    } else {
        remove(&mut items[i], rest, ity)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deployment() -> Ty<'static> {
        Ty::of_kind("apps", "v1", "Deployment")
    }

    #[test]
    fn the_field_set_of_a_deployment_uses_keys_and_owns_items() {
        let d = json!({"spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [
                {"name": "web", "image": "nginx", "args": ["a", "b"],
                 "ports": [{"containerPort": 80}]}]}}}});
        let fs = field_set(&d, deployment()).to_fields_v1();
        assert_eq!(
            fs,
            json!({"f:spec": {"f:replicas": {}, "f:selector": {}, "f:template": {
                "f:metadata": {"f:labels": {"f:app": {}}},
                "f:spec": {"f:containers": {"k:{\"name\":\"web\"}": {".": {}, "f:args": {},
                    "f:image": {}, "f:name": {}, "f:ports": {
                        "k:{\"containerPort\":80,\"protocol\":\"TCP\"}": {".": {},
                            "f:containerPort": {}}}}}}}}})
        );
    }

    #[test]
    fn applied_configurations_are_checked_against_the_schema() {
        let d = json!({"metadata": {"name": "web"}, "spec": {"replicaz": 1, "template": {"spec": {
            "containers": [{"name": "a"}, {"name": "a"}, {"image": "x"}]}}}});
        let e = validate(&d, deployment()).unwrap_err();
        assert_eq!(
            e,
            "errors:\n  .spec.replicaz: field not declared in schema\n  .spec.template.spec.containers: duplicate entries for key [name=\"a\"]\n  .spec.template.spec.containers: element 2: associative list with keys has an element that omits key field \"name\" (and doesn't have default value)"
        );
        assert!(validate(
            &json!({"spec": {"anything": {"goes": [1]}}}),
            Ty::of_kind("skel.dev", "v1", "Widget")
        )
        .is_ok());
    }

    #[test]
    fn untyped_objects_are_maps_and_their_lists_atomic() {
        let w = json!({"metadata": {"name": "w", "labels": {"a": "b"}},
            "spec": {"size": 1, "tags": ["a"]}});
        let fs = field_set(&w, Ty::of_kind("skel.dev", "v1", "Widget")).to_fields_v1();
        assert_eq!(
            fs,
            json!({"f:metadata": {"f:labels": {"f:a": {}}, "f:name": {}},
                "f:spec": {".": {}, "f:size": {}, "f:tags": {}}})
        );
    }

    #[test]
    fn lists_merge_by_key_keeping_live_only_items_in_place() {
        let ty = deployment()
            .field("spec")
            .field("template")
            .field("spec")
            .field("containers");
        let live = json!([{"name": "a", "image": "1"}, {"name": "b", "image": "1"}, {"name": "c"}]);
        let config =
            json!([{"name": "c", "image": "2"}, {"name": "d"}, {"name": "a", "image": "3"}]);
        let merged = merge(&live, &config, ty);
        let names: Vec<&str> = merged
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["b", "c", "d", "a"]);
        assert_eq!(merged[1]["image"], "2");
        assert_eq!(merged[3]["image"], "3");
        // Atomic lists are replaced.
        let args = ty.items().field("args");
        assert_eq!(merge(&json!(["x", "y"]), &json!(["z"]), args), json!(["z"]));
    }

    #[test]
    fn compare_finds_added_modified_and_removed_items() {
        let ty = deployment();
        let old = json!({"metadata": {"labels": {"a": "1"}}, "spec": {"template": {"spec": {"containers": [
            {"name": "a", "image": "1"}, {"name": "b", "image": "1"}]}}}});
        let new = json!({"metadata": {"labels": {"a": "1"}, "annotations": {"x": "y"}},
            "spec": {"template": {"spec": {"containers": [
            {"name": "a", "image": "2"}, {"name": "c", "image": "1"}]}}}});
        let c = compare(Some(&old), Some(&new), ty);
        let ka = fieldpath::key(&[("name".into(), json!("a"))]);
        let kb = fieldpath::key(&[("name".into(), json!("b"))]);
        let kc = fieldpath::key(&[("name".into(), json!("c"))]);
        let base = ["f:spec", "f:template", "f:spec", "f:containers"].map(String::from);
        let at = |k: &str, f: Option<&str>| -> Path {
            base.iter()
                .cloned()
                .chain([k.to_string()])
                .chain(f.map(String::from))
                .collect()
        };
        assert!(c.modified.contains(&at(&ka, Some("f:image"))));
        assert!(c.added.contains(&at(&kc, None)));
        assert!(c.added.contains(&at(&kc, Some("f:image"))));
        assert!(c.removed.contains(&at(&kb, None)));
        assert!(c
            .added
            .contains(&["f:metadata".into(), "f:annotations".into()]));
        assert!(!c.is_same());
        let mut v = new.clone();
        assert!(remove(&mut v, &at(&kc, None), ty));
        assert_eq!(
            v["spec"]["template"]["spec"]["containers"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
    }
}
