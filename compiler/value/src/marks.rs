//! Marks on values, the way Terraform's cty marks work: a value derived from a sensitive (or
//! ephemeral) value carries the mark, and everything that prints a value asks for its marks
//! instead of searching text for secrets.
//!
//! A mark is a wrapper variant, [`Value::Marked`], around the sub-tree it covers, so a value
//! without marks costs nothing more (the variant is a box, no wider than the others). Marks never
//! nest (`mark` merges them), and marks on set elements are hoisted to the set, as cty does:
//! set elements are identified by value, so a mark on one of them could not be kept apart.

use std::borrow::Cow;

use crate::Value;

/// The marks of a value: a small bit set.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default, PartialOrd, Ord)]
pub struct Marks(u8);

impl Marks {
    pub const NONE: Marks = Marks(0);
    /// Never shown: printed as `(sensitive value)`.
    pub const SENSITIVE: Marks = Marks(1);
    /// Never persisted (state, saved plans); also never shown.
    pub const EPHEMERAL: Marks = Marks(2);

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn bits(self) -> u8 {
        self.0
    }

    pub fn from_bits(bits: u8) -> Marks {
        Marks(bits & (Marks::SENSITIVE.0 | Marks::EPHEMERAL.0))
    }

    pub fn contains(self, other: Marks) -> bool {
        self.0 & other.0 == other.0 && !other.is_empty()
    }

    pub fn is_sensitive(self) -> bool {
        self.contains(Marks::SENSITIVE)
    }

    pub fn is_ephemeral(self) -> bool {
        self.contains(Marks::EPHEMERAL)
    }

    /// Whether a value with these marks must not be shown (every mark hides a value).
    pub fn hides(self) -> bool {
        !self.is_empty()
    }

    /// The mark names, for the saved plan format.
    fn names(self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.is_sensitive() {
            out.push("sensitive");
        }
        if self.is_ephemeral() {
            out.push("ephemeral");
        }
        out
    }
}

impl std::ops::BitOr for Marks {
    type Output = Marks;
    fn bitor(self, rhs: Marks) -> Marks {
        Marks(self.0 | rhs.0)
    }
}

impl std::ops::BitOrAssign for Marks {
    fn bitor_assign(&mut self, rhs: Marks) {
        self.0 |= rhs.0;
    }
}

impl serde::Serialize for Marks {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.names())
    }
}

impl<'de> serde::Deserialize<'de> for Marks {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Marks, D::Error> {
        let names = Vec::<String>::deserialize(deserializer)?;
        let mut marks = Marks::NONE;
        for name in names {
            marks |= match name.as_str() {
                "sensitive" => Marks::SENSITIVE,
                "ephemeral" => Marks::EPHEMERAL,
                other => {
                    return Err(serde::de::Error::custom(format!("unknown mark {other:?}")));
                }
            };
        }
        Ok(marks)
    }
}

/// A path to a part of a value: attribute names, map keys, and list/tuple indexes written as
/// decimal numbers (the form state files use for `sensitive_paths`).
pub type MarkPath = Vec<String>;

impl Value {
    /// This value with `marks` added (merged into its own top-level marks).
    pub fn mark(self, marks: Marks) -> Value {
        if marks.is_empty() {
            return self;
        }
        match self {
            Value::Marked(inner, own) => Value::Marked(inner, own | marks),
            Value::Set(elems) => Value::Marked(Box::new(Value::Set(elems)), marks),
            other => Value::Marked(Box::new(other), marks),
        }
    }

    /// This value marked sensitive.
    pub fn sensitive(self) -> Value {
        self.mark(Marks::SENSITIVE)
    }

    /// The marks on the value itself (not on its parts).
    pub fn marks(&self) -> Marks {
        match self {
            Value::Marked(_, m) => *m,
            _ => Marks::NONE,
        }
    }

    /// Every mark on the value or on any part of it.
    pub fn deep_marks(&self) -> Marks {
        match self {
            Value::Marked(inner, m) => *m | inner.deep_marks(),
            Value::List(v) | Value::Set(v) | Value::Tuple(v) => {
                v.iter().fold(Marks::NONE, |acc, e| acc | e.deep_marks())
            }
            Value::Map(m) | Value::Object(m) => {
                m.values().fold(Marks::NONE, |acc, e| acc | e.deep_marks())
            }
            _ => Marks::NONE,
        }
    }

    /// Whether the value or any part of it is marked sensitive (or ephemeral: both hide it).
    pub fn is_sensitive(&self) -> bool {
        self.deep_marks().hides()
    }

    /// The value without its own top-level marks (its parts keep theirs).
    pub fn unmarked(&self) -> &Value {
        match self {
            Value::Marked(inner, _) => inner,
            other => other,
        }
    }

    /// The value without its top-level marks, and those marks.
    pub fn into_unmarked(self) -> (Value, Marks) {
        match self {
            Value::Marked(inner, m) => (*inner, m),
            other => (other, Marks::NONE),
        }
    }

    /// The value with every mark removed, and the union of the marks removed.
    pub fn unmark_deep(self) -> (Value, Marks) {
        let mut marks = Marks::NONE;
        let value = strip(self, &mut marks);
        (value, marks)
    }

    /// The value with every mark removed; borrowed when it has none.
    pub fn unmarked_deep(&self) -> Cow<'_, Value> {
        if self.deep_marks().is_empty() {
            Cow::Borrowed(self)
        } else {
            Cow::Owned(self.clone().unmark_deep().0)
        }
    }

    /// The value with every mark removed, and the path of each marked part (outermost first,
    /// each part once): what state and the plan record instead of the marks.
    pub fn unmark_deep_with_paths(self) -> (Value, Vec<(MarkPath, Marks)>) {
        let mut paths = Vec::new();
        let value = strip_paths(self, &mut Vec::new(), &mut paths);
        (value, paths)
    }

    /// The paths of the marked parts of this value (see [`Value::unmark_deep_with_paths`]).
    pub fn marked_paths(&self) -> Vec<(MarkPath, Marks)> {
        let mut out = Vec::new();
        collect_paths(self, &mut Vec::new(), &mut out);
        out
    }

    /// This value with `marks` on the part at each path. A path that runs into a set, an
    /// unknown or a missing part marks the deepest part that exists (over-marking, never less).
    pub fn mark_paths<'a>(
        self,
        paths: impl IntoIterator<Item = &'a MarkPath>,
        marks: Marks,
    ) -> Value {
        let mut value = self;
        for path in paths {
            value = mark_at(value, path, marks);
        }
        value
    }
}

fn strip(value: Value, marks: &mut Marks) -> Value {
    match value {
        Value::Marked(inner, m) => {
            *marks |= m;
            strip(*inner, marks)
        }
        Value::List(v) => Value::List(v.into_iter().map(|e| strip(e, marks)).collect()),
        Value::Set(v) => Value::Set(v.into_iter().map(|e| strip(e, marks)).collect()),
        Value::Tuple(v) => Value::Tuple(v.into_iter().map(|e| strip(e, marks)).collect()),
        Value::Map(m) => Value::Map(m.into_iter().map(|(k, e)| (k, strip(e, marks))).collect()),
        Value::Object(m) => {
            Value::Object(m.into_iter().map(|(k, e)| (k, strip(e, marks))).collect())
        }
        other => other,
    }
}

fn strip_paths(value: Value, path: &mut MarkPath, out: &mut Vec<(MarkPath, Marks)>) -> Value {
    match value {
        Value::Marked(inner, m) => {
            let (inner, deeper) = inner.unmark_deep();
            out.push((path.clone(), m | deeper));
            inner
        }
        // Set elements have no stable path: a mark inside one marks the set.
        Value::Set(v) => {
            let (set, marks) = Value::Set(v).unmark_deep();
            if !marks.is_empty() {
                out.push((path.clone(), marks));
            }
            set
        }
        Value::List(v) => Value::List(strip_elems(v, path, out)),
        Value::Tuple(v) => Value::Tuple(strip_elems(v, path, out)),
        Value::Map(m) => Value::Map(strip_entries(m, path, out)),
        Value::Object(m) => Value::Object(strip_entries(m, path, out)),
        other => other,
    }
}

fn strip_elems(v: Vec<Value>, path: &mut MarkPath, out: &mut Vec<(MarkPath, Marks)>) -> Vec<Value> {
    v.into_iter()
        .enumerate()
        .map(|(i, e)| {
            path.push(i.to_string());
            let e = strip_paths(e, path, out);
            path.pop();
            e
        })
        .collect()
}

fn strip_entries(
    m: crate::ValueMap,
    path: &mut MarkPath,
    out: &mut Vec<(MarkPath, Marks)>,
) -> crate::ValueMap {
    m.into_iter()
        .map(|(k, e)| {
            path.push(k.clone());
            let e = strip_paths(e, path, out);
            path.pop();
            (k, e)
        })
        .collect()
}

fn collect_paths(value: &Value, path: &mut MarkPath, out: &mut Vec<(MarkPath, Marks)>) {
    match value {
        Value::Marked(inner, m) => out.push((path.clone(), *m | inner.deep_marks())),
        Value::Set(_) => {
            let marks = value.deep_marks();
            if !marks.is_empty() {
                out.push((path.clone(), marks));
            }
        }
        Value::List(v) | Value::Tuple(v) => {
            for (i, e) in v.iter().enumerate() {
                path.push(i.to_string());
                collect_paths(e, path, out);
                path.pop();
            }
        }
        Value::Map(m) | Value::Object(m) => {
            for (k, e) in m {
                path.push(k.clone());
                collect_paths(e, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

fn mark_at(value: Value, path: &[String], marks: Marks) -> Value {
    let Some((first, rest)) = path.split_first() else {
        return value.mark(marks);
    };
    let (inner, own) = value.into_unmarked();
    let index = first.parse::<usize>().ok();
    let marked = match inner {
        Value::List(mut v) if index.is_some_and(|i| i < v.len()) => {
            mark_elem(&mut v, index.unwrap_or_default(), rest, marks);
            Value::List(v)
        }
        Value::Tuple(mut v) if index.is_some_and(|i| i < v.len()) => {
            mark_elem(&mut v, index.unwrap_or_default(), rest, marks);
            Value::Tuple(v)
        }
        Value::Map(mut m) if m.contains_key(first) => {
            mark_entry(&mut m, first, rest, marks);
            Value::Map(m)
        }
        Value::Object(mut m) if m.contains_key(first) => {
            mark_entry(&mut m, first, rest, marks);
            Value::Object(m)
        }
        // A null has no parts and shows nothing.
        Value::Null => Value::Null,
        // A set, an unknown, a primitive or a missing part: mark what exists.
        other => other.mark(marks),
    };
    marked.mark(own)
}

fn mark_elem(v: &mut [Value], i: usize, rest: &[String], marks: Marks) {
    let taken = std::mem::replace(&mut v[i], Value::Null);
    v[i] = mark_at(taken, rest, marks);
}

fn mark_entry(m: &mut crate::ValueMap, key: &str, rest: &[String], marks: Marks) {
    if let Some(e) = m.get_mut(key) {
        let taken = std::mem::replace(e, Value::Null);
        *e = mark_at(taken, rest, marks);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Type;

    /// Marks cost no memory on values that have none: the variant is no wider than the others
    /// (an unknown value's `Type` is the widest), so `Value` did not grow.
    #[test]
    fn a_mark_does_not_widen_values() {
        assert!(
            std::mem::size_of::<Value>() <= std::mem::size_of::<Type>() + 8,
            "Value is {} bytes",
            std::mem::size_of::<Value>()
        );
        assert!(std::mem::size_of::<(Box<Value>, Marks)>() <= 16);
    }

    #[test]
    fn marks_merge_and_paths_reach_into_lists() {
        let v = Value::string("a").sensitive().mark(Marks::EPHEMERAL);
        assert_eq!(v.marks(), Marks::SENSITIVE | Marks::EPHEMERAL);
        assert!(matches!(&v, Value::Marked(inner, _) if inner.marks().is_empty()));
        let list = Value::List(vec![Value::string("x"), Value::string("y")]);
        let marked = list.mark_paths(&[vec!["1".to_string()]], Marks::SENSITIVE);
        assert_eq!(
            marked.marked_paths(),
            vec![(vec!["1".to_string()], Marks::SENSITIVE)]
        );
        // A path through a missing part marks the deepest part that exists.
        let obj = Value::Object([("a".to_string(), Value::string("x"))].into());
        let marked = obj.mark_paths(&[vec!["a".into(), "b".into()]], Marks::SENSITIVE);
        assert!(marked.is_sensitive());
        assert_eq!(format!("{marked}"), "{a = (sensitive value)}");
    }
}
