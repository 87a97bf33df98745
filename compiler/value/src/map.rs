//! `ValueMap`: the sorted, compact map behind object and map values.
//!
//! A configuration's objects are small (a handful of attributes) and there are many of them: a
//! plan of 5,000 resources holds tens of thousands. A `BTreeMap` allocates a node for eleven
//! entries however few it holds (about 1 KB for a two-attribute object); a sorted `Vec` holds
//! exactly its entries. Lookups are binary searches, iteration is in key order (as
//! `BTreeMap`'s, so rendering, hashing and serialization are unchanged) and inserting into the
//! middle moves a few entries, which for maps of this size is cheaper than a tree.
//!
//! The API follows `BTreeMap`'s, so code reads the same.

use std::fmt;

use crate::Value;

/// A key that occurs twice where keys must be unique ([`ValueMap::from_unique`]).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("duplicate key {0:?}")]
pub struct DuplicateKey(pub String);

/// A map from attribute names (or map keys) to values, in key order, keys unique.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct ValueMap {
    entries: Vec<(String, Value)>,
}

type Pair = (String, Value);

fn borrow_pair(pair: &Pair) -> (&String, &Value) {
    (&pair.0, &pair.1)
}

fn borrow_pair_mut(pair: &mut Pair) -> (&String, &mut Value) {
    (&pair.0, &mut pair.1)
}

/// Iterator over `(&key, &value)` in key order.
pub type Iter<'a> =
    std::iter::Map<std::slice::Iter<'a, Pair>, fn(&'a Pair) -> (&'a String, &'a Value)>;
/// Iterator over `(&key, &mut value)` in key order.
pub type IterMut<'a> =
    std::iter::Map<std::slice::IterMut<'a, Pair>, fn(&'a mut Pair) -> (&'a String, &'a mut Value)>;

impl ValueMap {
    pub const fn new() -> Self {
        ValueMap {
            entries: Vec::new(),
        }
    }

    pub fn with_capacity(n: usize) -> Self {
        ValueMap {
            entries: Vec::with_capacity(n),
        }
    }

    fn position(&self, key: &str) -> Result<usize, usize> {
        self.entries.binary_search_by(|(k, _)| k.as_str().cmp(key))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.position(key).ok().map(|i| &self.entries[i].1)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        match self.position(key) {
            Ok(i) => Some(&mut self.entries[i].1),
            Err(_) => None,
        }
    }

    pub fn get_key_value(&self, key: &str) -> Option<(&String, &Value)> {
        self.position(key)
            .ok()
            .map(|i| borrow_pair(&self.entries[i]))
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.position(key).is_ok()
    }

    /// Insert or replace; returns the value replaced.
    pub fn insert(&mut self, key: String, value: Value) -> Option<Value> {
        match self.position(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.entries[i].1, value)),
            Err(i) => {
                self.entries.insert(i, (key, value));
                None
            }
        }
    }

    pub fn remove(&mut self, key: &str) -> Option<Value> {
        match self.position(key) {
            Ok(i) => Some(self.entries.remove(i).1),
            Err(_) => None,
        }
    }

    pub fn remove_entry(&mut self, key: &str) -> Option<(String, Value)> {
        match self.position(key) {
            Ok(i) => Some(self.entries.remove(i)),
            Err(_) => None,
        }
    }

    pub fn entry(&mut self, key: String) -> Entry<'_> {
        match self.position(&key) {
            Ok(i) => Entry::Occupied(&mut self.entries[i].1),
            Err(i) => Entry::Vacant {
                map: self,
                index: i,
                key,
            },
        }
    }

    pub fn iter(&self) -> Iter<'_> {
        self.entries
            .iter()
            .map(borrow_pair as fn(&Pair) -> (&String, &Value))
    }

    pub fn iter_mut(&mut self) -> IterMut<'_> {
        self.entries
            .iter_mut()
            .map(borrow_pair_mut as fn(&mut Pair) -> (&String, &mut Value))
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &String> + ExactSizeIterator + Clone {
        self.entries.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl DoubleEndedIterator<Item = &Value> + ExactSizeIterator + Clone {
        self.entries.iter().map(|(_, v)| v)
    }

    pub fn values_mut(
        &mut self,
    ) -> impl DoubleEndedIterator<Item = &mut Value> + ExactSizeIterator {
        self.entries.iter_mut().map(|(_, v)| v)
    }

    pub fn into_keys(self) -> impl DoubleEndedIterator<Item = String> + ExactSizeIterator {
        self.entries.into_iter().map(|(k, _)| k)
    }

    pub fn into_values(self) -> impl DoubleEndedIterator<Item = Value> + ExactSizeIterator {
        self.entries.into_iter().map(|(_, v)| v)
    }

    pub fn first_key_value(&self) -> Option<(&String, &Value)> {
        self.entries.first().map(borrow_pair)
    }

    pub fn last_key_value(&self) -> Option<(&String, &Value)> {
        self.entries.last().map(borrow_pair)
    }

    pub fn retain(&mut self, mut keep: impl FnMut(&String, &mut Value) -> bool) {
        self.entries.retain_mut(|(k, v)| keep(k, v));
    }

    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// Move every entry of `other` into `self` (entries of `other` win), leaving it empty.
    pub fn append(&mut self, other: &mut ValueMap) {
        let taken = std::mem::take(&mut other.entries);
        self.extend(taken);
    }

    /// Release spare capacity (after building a map that will be kept a long time).
    pub fn shrink_to_fit(&mut self) {
        self.entries.shrink_to_fit();
    }

    /// Build from entries in any order that must have distinct keys; a duplicate key is
    /// the error.
    pub fn from_unique(mut entries: Vec<(String, Value)>) -> Result<Self, DuplicateKey> {
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        if let Some(w) = entries.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(DuplicateKey(w[0].0.clone()));
        }
        Ok(ValueMap { entries })
    }

    /// Build from entries in any order; a later duplicate key wins, as with repeated inserts.
    fn from_unsorted(mut entries: Vec<Pair>) -> Self {
        if entries.windows(2).all(|w| w[0].0 < w[1].0) {
            return ValueMap { entries };
        }
        // A stable sort keeps duplicates in insertion order; keep the last of each run.
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out: Vec<Pair> = Vec::with_capacity(entries.len());
        for pair in entries {
            match out.last_mut() {
                Some(last) if last.0 == pair.0 => *last = pair,
                _ => out.push(pair),
            }
        }
        ValueMap { entries: out }
    }
}

/// A view into one key of a `ValueMap`, as `btree_map::Entry`.
pub enum Entry<'a> {
    Occupied(&'a mut Value),
    Vacant {
        map: &'a mut ValueMap,
        index: usize,
        key: String,
    },
}

impl<'a> Entry<'a> {
    pub fn or_insert(self, default: Value) -> &'a mut Value {
        self.or_insert_with(|| default)
    }

    pub fn or_insert_with(self, default: impl FnOnce() -> Value) -> &'a mut Value {
        match self {
            Entry::Occupied(v) => v,
            Entry::Vacant { map, index, key } => {
                map.entries.insert(index, (key, default()));
                &mut map.entries[index].1
            }
        }
    }

    pub fn and_modify(self, f: impl FnOnce(&mut Value)) -> Self {
        match self {
            Entry::Occupied(v) => {
                f(v);
                Entry::Occupied(v)
            }
            vacant => vacant,
        }
    }
}

impl fmt::Debug for ValueMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl FromIterator<(String, Value)> for ValueMap {
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(iter: I) -> Self {
        ValueMap::from_unsorted(iter.into_iter().collect())
    }
}

impl Extend<(String, Value)> for ValueMap {
    fn extend<I: IntoIterator<Item = (String, Value)>>(&mut self, iter: I) {
        let new: Vec<Pair> = iter.into_iter().collect();
        if new.len() <= 8 {
            for (k, v) in new {
                self.insert(k, v);
            }
            return;
        }
        let mut entries = std::mem::take(&mut self.entries);
        entries.extend(new);
        *self = ValueMap::from_unsorted(entries);
    }
}

impl<const N: usize> From<[(String, Value); N]> for ValueMap {
    fn from(entries: [(String, Value); N]) -> Self {
        ValueMap::from_unsorted(entries.into())
    }
}

impl IntoIterator for ValueMap {
    type Item = (String, Value);
    type IntoIter = std::vec::IntoIter<(String, Value)>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<'a> IntoIterator for &'a ValueMap {
    type Item = (&'a String, &'a Value);
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<'a> IntoIterator for &'a mut ValueMap {
    type Item = (&'a String, &'a mut Value);
    type IntoIter = IterMut<'a>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter_mut()
    }
}

impl std::ops::Index<&str> for ValueMap {
    type Output = Value;

    fn index(&self, key: &str) -> &Value {
        match self.get(key) {
            Some(v) => v,
            None => panic!("no entry `{key}` in the map"),
        }
    }
}

impl serde::Serialize for ValueMap {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

impl<'de> serde::Deserialize<'de> for ValueMap {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = ValueMap;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut access: A,
            ) -> Result<ValueMap, A::Error> {
                let mut entries = Vec::with_capacity(access.size_hint().unwrap_or(0).min(1024));
                while let Some(pair) = access.next_entry::<String, Value>()? {
                    entries.push(pair);
                }
                Ok(ValueMap::from_unsorted(entries))
            }
        }
        deserializer.deserialize_map(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Value {
        Value::string(v)
    }

    #[test]
    fn keeps_key_order_and_last_duplicate_wins() {
        let m: ValueMap = [
            ("b".to_string(), s("1")),
            ("a".to_string(), s("2")),
            ("b".to_string(), s("3")),
        ]
        .into_iter()
        .collect();
        let keys: Vec<&String> = m.keys().collect();
        assert_eq!(keys, ["a", "b"]);
        assert_eq!(m.get("b"), Some(&s("3")));
    }

    #[test]
    fn insert_remove_entry() {
        let mut m = ValueMap::new();
        assert_eq!(m.insert("x".into(), s("1")), None);
        assert_eq!(m.insert("a".into(), s("2")), None);
        assert_eq!(m.insert("x".into(), s("3")), Some(s("1")));
        *m.entry("m".into()).or_insert(s("0")) = s("4");
        m.entry("a".into()).and_modify(|v| *v = s("5"));
        assert_eq!(
            m.iter()
                .map(|(k, v)| (k.as_str(), v.clone()))
                .collect::<Vec<_>>(),
            [("a", s("5")), ("m", s("4")), ("x", s("3"))]
        );
        assert_eq!(m.remove("m"), Some(s("4")));
        assert!(!m.contains_key("m"));
        m.retain(|k, _| k != "a");
        assert_eq!(m.len(), 1);
    }

    #[test]
    fn serde_round_trip_is_a_json_object() {
        let m = ValueMap::from([("b".to_string(), s("x")), ("a".to_string(), Value::Null)]);
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(
            json,
            r#"{"a":{"kind":"null"},"b":{"kind":"string","value":"x"}}"#
        );
        let back: ValueMap = serde_json::from_str(&json).unwrap();
        assert_eq!(back, m);
    }
}
