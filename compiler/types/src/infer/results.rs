//! What inference leaves behind for the IDE: the type of each expression of an item.

use skel_syntax::TextRange;
use skel_value::Type;

/// The type of every expression an item's check inferred, keyed by the expression's
/// item-relative range. The first inference of a range wins (a range inferred twice is the
/// same expression in the same scope).
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct ExprTypes {
    /// Sorted by range (start, then end).
    types: Vec<(TextRange, Type)>,
}

impl ExprTypes {
    pub(crate) fn new(mut types: Vec<(TextRange, Type)>) -> Self {
        types.sort_by_key(|(r, _)| (r.start(), r.end()));
        types.dedup_by_key(|(r, _)| *r);
        ExprTypes { types }
    }

    /// The type of the expression at exactly `range`, if the check inferred it.
    pub fn get(&self, range: TextRange) -> Option<&Type> {
        self.types
            .binary_search_by_key(&(range.start(), range.end()), |(r, _)| (r.start(), r.end()))
            .ok()
            .map(|i| &self.types[i].1)
    }

    pub fn len(&self) -> usize {
        self.types.len()
    }

    pub fn is_empty(&self) -> bool {
        self.types.is_empty()
    }
}
