//! Field paths and sets of them, as structured-merge-diff models ownership: a path is a list of
//! elements — `f:NAME` (an object field), `k:{"name":"web"}` (an associative-list item by its
//! keys), `v:VALUE` (a set member), `i:N` (a list index) — and a set is a trie of them whose
//! nodes may themselves be members. Encoded as `FieldsV1` (`{"f:spec":{"f:containers":
//! {"k:{\"name\":\"web\"}":{".":{},"f:image":{}}}}}`, `.` marking a member that also has
//! children) and printed as in conflict messages (`.spec.containers[name="web"].image`).

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// One encoded path element (`f:image`, `k:{"name":"web"}`, `v:"a"`, `i:0`).
pub type Element = String;

/// A path of encoded elements.
pub type Path = Vec<Element>;

/// `f:NAME`.
pub fn field(name: &str) -> Element {
    format!("f:{name}")
}

/// `k:{...}` of key fields (sorted by name, as structured-merge-diff sorts them).
pub fn key(fields: &[(String, Value)]) -> Element {
    let mut sorted: Vec<&(String, Value)> = fields.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut m = Map::new();
    for (k, v) in sorted {
        m.insert(k.clone(), v.clone());
    }
    format!("k:{}", Value::Object(m))
}

/// `v:VALUE`.
pub fn value(v: &Value) -> Element {
    format!("v:{v}")
}

/// `i:N`.
pub fn index(i: usize) -> Element {
    format!("i:{i}")
}

/// One element as a conflict message prints it: `.image`, `[name="web"]`, `[=VALUE]`, `[0]`.
pub fn element_string(e: &str) -> String {
    if let Some(name) = e.strip_prefix("f:") {
        return format!(".{name}");
    }
    if let Some(keys) = e.strip_prefix("k:") {
        let parsed: Value = serde_json::from_str(keys).unwrap_or_default();
        let parts: Vec<String> = parsed
            .as_object()
            .map(|m| m.iter().map(|(k, v)| format!("{k}={v}")).collect())
            .unwrap_or_default();
        return format!("[{}]", parts.join(","));
    }
    if let Some(v) = e.strip_prefix("v:") {
        return format!("[={v}]");
    }
    if let Some(i) = e.strip_prefix("i:") {
        return format!("[{i}]");
    }
    e.to_string()
}

/// A path as a conflict message prints it: `.spec.template.spec.containers[name="web"].image`.
pub fn path_string(path: &[Element]) -> String {
    path.iter().map(|e| element_string(e)).collect()
}

fn compare_values(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .unwrap_or(0.0)
            .partial_cmp(&y.as_f64().unwrap_or(0.0))
            .unwrap_or(Ordering::Equal),
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::Object(x), Value::Object(y)) => {
            for ((ka, va), (kb, vb)) in x.iter().zip(y.iter()) {
                let o = ka.cmp(kb).then_with(|| compare_values(va, vb));
                if o != Ordering::Equal {
                    return o;
                }
            }
            x.len().cmp(&y.len())
        }
        _ => a.to_string().cmp(&b.to_string()),
    }
}

/// The order structured-merge-diff sorts path elements in: fields by name, then keys, values and
/// indexes, keys and values compared as values (`80` before `443`).
pub fn compare_elements(a: &str, b: &str) -> Ordering {
    let rank = |e: &str| match e.get(..2).unwrap_or("") {
        "f:" => 0,
        "k:" => 1,
        "v:" => 2,
        "i:" => 3,
        _ => 4,
    };
    let parse =
        |e: &str| serde_json::from_str::<Value>(e.get(2..).unwrap_or("")).unwrap_or_default();
    rank(a).cmp(&rank(b)).then_with(|| match rank(a) {
        1..=3 => compare_values(&parse(a), &parse(b)),
        _ => a.cmp(b),
    })
}

/// A set of paths: a trie whose nodes may be members.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Set {
    /// Whether the path leading here is in the set.
    pub member: bool,
    /// The children, by encoded element (sorted, as `FieldsV1` lists them).
    pub children: BTreeMap<Element, Set>,
}

impl Set {
    /// The empty set.
    pub fn new() -> Set {
        Set::default()
    }

    /// Adds `path`.
    pub fn insert(&mut self, path: &[Element]) {
        match path.split_first() {
            None => self.member = true,
            Some((first, rest)) => self.children.entry(first.clone()).or_default().insert(rest),
        }
    }

    /// Whether `path` is a member.
    pub fn contains(&self, path: &[Element]) -> bool {
        match path.split_first() {
            None => self.member,
            Some((first, rest)) => self.children.get(first).is_some_and(|c| c.contains(rest)),
        }
    }

    /// Whether `path` or anything below it is a member.
    pub fn owns_within(&self, path: &[Element]) -> bool {
        match path.split_first() {
            None => !self.is_empty(),
            Some((first, rest)) => self
                .children
                .get(first)
                .is_some_and(|c| c.owns_within(rest)),
        }
    }

    /// Whether no path is a member.
    pub fn is_empty(&self) -> bool {
        !self.member && self.children.values().all(Set::is_empty)
    }

    /// Adds every member of `other`.
    pub fn union(&mut self, other: &Set) {
        self.member |= other.member;
        for (e, c) in &other.children {
            self.children.entry(e.clone()).or_default().union(c);
        }
    }

    /// The members of `self` that are not members of `other`.
    pub fn difference(&self, other: &Set) -> Set {
        let mut out = Set {
            member: self.member && !other.member,
            children: BTreeMap::new(),
        };
        for (e, c) in &self.children {
            let d = match other.children.get(e) {
                Some(o) => c.difference(o),
                None => c.clone(),
            };
            if !d.is_empty() {
                out.children.insert(e.clone(), d);
            }
        }
        out
    }

    /// The members of both.
    pub fn intersection(&self, other: &Set) -> Set {
        let mut out = Set {
            member: self.member && other.member,
            children: BTreeMap::new(),
        };
        for (e, c) in &self.children {
            if let Some(o) = other.children.get(e) {
                let i = c.intersection(o);
                if !i.is_empty() {
                    out.children.insert(e.clone(), i);
                }
            }
        }
        out
    }

    /// Removes the subtree at `path` (members and everything below).
    pub fn remove_subtree(&mut self, path: &[Element]) {
        match path.split_first() {
            None => *self = Set::default(),
            Some((first, [])) => {
                self.children.remove(first);
            }
            Some((first, rest)) => {
                if let Some(c) = self.children.get_mut(first) {
                    c.remove_subtree(rest);
                    if c.is_empty() {
                        self.children.remove(first);
                    }
                }
            }
        }
    }

    /// Every member, in order.
    pub fn members(&self) -> Vec<Path> {
        fn walk(s: &Set, prefix: &mut Path, out: &mut Vec<Path>) {
            if s.member {
                out.push(prefix.clone());
            }
            for (e, c) in &s.children {
                prefix.push(e.clone());
                walk(c, prefix, out);
                prefix.pop();
            }
        }
        let mut out = Vec::new();
        walk(self, &mut Vec::new(), &mut out);
        out
    }

    /// The `FieldsV1` object.
    pub fn to_fields_v1(&self) -> Value {
        let mut m = Map::new();
        if self.member && self.children.values().any(|c| !c.is_empty()) {
            m.insert(".".into(), Value::Object(Map::new()));
        }
        let mut children: Vec<(&Element, &Set)> = self
            .children
            .iter()
            .filter(|(_, c)| !c.is_empty())
            .collect();
        children.sort_by(|a, b| compare_elements(a.0, b.0));
        for (e, c) in children {
            m.insert(e.clone(), c.to_fields_v1());
        }
        Value::Object(m)
    }

    /// The set a `FieldsV1` object encodes (a node with no entries, or with `.`, is a member).
    pub fn from_fields_v1(fields: &Value) -> Set {
        fn node(v: &Value) -> Set {
            let mut s = Set::default();
            match v.as_object() {
                Some(m) if !m.is_empty() => {
                    for (k, child) in m {
                        if k == "." {
                            s.member = true;
                        } else {
                            s.children.insert(k.clone(), node(child));
                        }
                    }
                }
                _ => s.member = true,
            }
            s
        }
        let mut root = node(fields);
        root.member = false;
        root
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn p(parts: &[&str]) -> Path {
        parts.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn fields_v1_round_trips_with_dot_for_members_that_have_children() {
        let web = key(&[("name".into(), json!("web"))]);
        let mut s = Set::new();
        s.insert(
            &p(&["f:spec", "f:containers"])
                .into_iter()
                .chain([web.clone()])
                .collect::<Vec<_>>(),
        );
        s.insert(&[
            field("spec"),
            field("containers"),
            web.clone(),
            field("image"),
        ]);
        s.insert(&[field("spec"), field("replicas")]);
        let v = s.to_fields_v1();
        assert_eq!(
            v,
            json!({"f:spec": {"f:containers": {"k:{\"name\":\"web\"}": {".": {}, "f:image": {}}},
                "f:replicas": {}}})
        );
        assert_eq!(
            v.to_string(),
            r#"{"f:spec":{"f:containers":{"k:{\"name\":\"web\"}":{".":{},"f:image":{}}},"f:replicas":{}}}"#
        );
        assert_eq!(Set::from_fields_v1(&v), s);
        assert!(s.owns_within(&[field("spec"), field("containers"), web.clone()]));
        assert!(!s.contains(&[field("spec")]));
    }

    #[test]
    fn keys_are_sorted_and_paths_print_as_kubernetes_does() {
        let k = key(&[
            ("protocol".into(), json!("TCP")),
            ("containerPort".into(), json!(80)),
        ]);
        assert_eq!(k, r#"k:{"containerPort":80,"protocol":"TCP"}"#);
        let path = vec![
            field("spec"),
            field("containers"),
            key(&[("name".into(), json!("web"))]),
            field("ports"),
            k,
            field("protocol"),
        ];
        assert_eq!(
            path_string(&path),
            r#".spec.containers[name="web"].ports[containerPort=80,protocol="TCP"].protocol"#
        );
        assert_eq!(
            path_string(&[field("finalizers"), value(&json!("a"))]),
            r#".finalizers[="a"]"#
        );
    }

    #[test]
    fn difference_and_intersection_work_on_members() {
        let mut a = Set::new();
        a.insert(&p(&["f:a", "f:b"]));
        a.insert(&p(&["f:a", "f:c"]));
        let mut b = Set::new();
        b.insert(&p(&["f:a", "f:b"]));
        b.insert(&p(&["f:x"]));
        assert_eq!(a.difference(&b).members(), vec![p(&["f:a", "f:c"])]);
        assert_eq!(a.intersection(&b).members(), vec![p(&["f:a", "f:b"])]);
        let mut u = a.clone();
        u.union(&b);
        assert_eq!(u.members().len(), 3);
        u.remove_subtree(&p(&["f:a"]));
        assert_eq!(u.members(), vec![p(&["f:x"])]);
    }
}
