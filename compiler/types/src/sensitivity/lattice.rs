//! What the checker knows about the marks an expression's value may carry: nothing, marks on
//! the whole value, or marks on some attributes of an object (or on the elements of a
//! collection). It over-approximates the runtime: every value the evaluator marks is "may be
//! marked" here, so a rule that holds here holds at runtime.

use std::collections::BTreeMap;
use std::sync::Arc;

use skel_value::Marks;

/// The marks an expression's value may carry.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Default)]
pub enum Sens {
    #[default]
    None,
    /// The whole value may carry these marks (never empty), for the reason given (a sentence
    /// naming where they come from, for messages).
    Whole(Marks, Arc<str>),
    /// An object or map whose listed attributes may carry marks (never all `None`).
    Attrs(Arc<BTreeMap<String, Sens>>),
    /// A sequence or map (a splat, `count`/`for_each` instances, a `for` result) whose
    /// elements may carry marks (never `None`).
    Elems(Arc<Sens>),
}

impl Sens {
    pub fn whole(marks: Marks, why: impl Into<Arc<str>>) -> Sens {
        if marks.is_empty() {
            Sens::None
        } else {
            Sens::Whole(marks, why.into())
        }
    }

    pub fn attrs(map: BTreeMap<String, Sens>) -> Sens {
        if map.values().all(Sens::is_none) {
            Sens::None
        } else {
            Sens::Attrs(Arc::new(
                map.into_iter().filter(|(_, s)| !s.is_none()).collect(),
            ))
        }
    }

    pub fn elems(elem: Sens) -> Sens {
        if elem.is_none() {
            Sens::None
        } else {
            Sens::Elems(Arc::new(elem))
        }
    }

    pub fn is_none(&self) -> bool {
        matches!(self, Sens::None)
    }

    /// Every mark the value or a part of it may carry.
    pub fn any(&self) -> Marks {
        match self {
            Sens::None => Marks::NONE,
            Sens::Whole(m, _) => *m,
            Sens::Attrs(map) => map.values().fold(Marks::NONE, |acc, s| acc | s.any()),
            Sens::Elems(e) => e.any(),
        }
    }

    /// The marks on the value itself (a collection whose keys or length would tell them).
    pub fn top(&self) -> Marks {
        match self {
            Sens::Whole(m, _) => *m,
            _ => Marks::NONE,
        }
    }

    /// Where the first mark comes from.
    pub fn why(&self) -> Option<Arc<str>> {
        match self {
            Sens::None => None,
            Sens::Whole(_, why) => Some(why.clone()),
            Sens::Attrs(map) => map.values().find_map(Sens::why),
            Sens::Elems(e) => e.why(),
        }
    }

    /// What a value computed from this one (an operator, a function) may carry: all its marks,
    /// on the whole result.
    pub fn collapse(&self) -> Sens {
        match self {
            Sens::None | Sens::Whole(..) => self.clone(),
            _ => Sens::whole(self.any(), self.why().unwrap_or_default()),
        }
    }

    /// Either of two values.
    pub fn join(self, other: Sens) -> Sens {
        match (self, other) {
            (Sens::None, s) | (s, Sens::None) => s,
            (Sens::Whole(a, why), b) | (b, Sens::Whole(a, why)) => Sens::Whole(a | b.any(), why),
            (Sens::Attrs(a), Sens::Attrs(b)) => {
                let mut map: BTreeMap<String, Sens> = (*a).clone();
                for (k, s) in b.iter() {
                    let joined = map.remove(k).unwrap_or_default().join(s.clone());
                    map.insert(k.clone(), joined);
                }
                Sens::attrs(map)
            }
            (Sens::Elems(a), Sens::Elems(b)) => Sens::elems((*a).clone().join((*b).clone())),
            (a, b) => {
                let why = a.why().or_else(|| b.why()).unwrap_or_default();
                Sens::whole(a.any() | b.any(), why)
            }
        }
    }

    /// `value.name`
    pub fn attr(&self, name: &str) -> Sens {
        match self {
            Sens::None => Sens::None,
            Sens::Whole(..) => self.clone(),
            Sens::Attrs(map) => map.get(name).cloned().unwrap_or_default(),
            Sens::Elems(e) => (**e).clone(),
        }
    }

    /// `value[key]`, the key a literal when `key` is given.
    pub fn index(&self, key: Option<&str>) -> Sens {
        match (self, key) {
            (Sens::Attrs(map), Some(k)) => map.get(k).cloned().unwrap_or_default(),
            _ => self.element(),
        }
    }

    /// Any element or attribute of the value (iteration), with the value's own marks.
    pub fn element(&self) -> Sens {
        match self {
            Sens::None => Sens::None,
            Sens::Whole(..) => self.clone(),
            Sens::Attrs(map) => map.values().cloned().fold(Sens::None, |acc, s| acc.join(s)),
            Sens::Elems(e) => (**e).clone(),
        }
    }

    /// The same without `marks` (`nonsensitive(…)`).
    pub fn without(&self, marks: Marks) -> Sens {
        match self {
            Sens::None => Sens::None,
            Sens::Whole(m, why) => {
                let kept = Marks::from_bits(m.bits() & !marks.bits());
                Sens::whole(kept, why.clone())
            }
            Sens::Attrs(map) => Sens::attrs(
                map.iter()
                    .map(|(k, s)| (k.clone(), s.without(marks)))
                    .collect(),
            ),
            Sens::Elems(e) => Sens::elems(e.without(marks)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_attr_and_element() {
        let pw = Sens::whole(Marks::SENSITIVE, "pw");
        let obj = Sens::attrs(BTreeMap::from([
            ("result".to_string(), pw.clone()),
            ("id".to_string(), Sens::None),
        ]));
        assert!(obj.attr("id").is_none());
        assert_eq!(obj.attr("result"), pw);
        assert_eq!(obj.top(), Marks::NONE);
        assert!(obj.any().is_sensitive());
        let list = Sens::elems(obj.clone());
        assert!(list.index(None).attr("id").is_none());
        assert!(list.collapse().top().is_sensitive());
        assert_eq!(obj.clone().join(Sens::None), obj);
        assert!(obj.join(pw).top().is_sensitive());
        assert!(list.without(Marks::SENSITIVE).is_none());
    }
}
