//! Byte offsets and ranges (`u32`), as in rust-analyzer's `text-size`.

use std::fmt;
use std::ops::Range;

pub type TextSize = u32;

/// A half-open byte range `start..end`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct TextRange {
    start: TextSize,
    end: TextSize,
}

impl TextRange {
    pub fn new(start: TextSize, end: TextSize) -> TextRange {
        debug_assert!(start <= end, "range {start}..{end} is reversed");
        TextRange {
            start,
            end: end.max(start),
        }
    }

    pub fn empty(at: TextSize) -> TextRange {
        TextRange { start: at, end: at }
    }

    pub fn start(self) -> TextSize {
        self.start
    }

    pub fn end(self) -> TextSize {
        self.end
    }

    pub fn len(self) -> TextSize {
        self.end - self.start
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }

    pub fn contains(self, offset: TextSize) -> bool {
        self.start <= offset && offset < self.end
    }

    /// Whether `offset` is inside the range or right at its end (for cursors).
    pub fn contains_inclusive(self, offset: TextSize) -> bool {
        self.start <= offset && offset <= self.end
    }

    pub fn contains_range(self, other: TextRange) -> bool {
        self.start <= other.start && other.end <= self.end
    }

    /// The range moved right by `by` bytes (from item-relative to absolute).
    pub fn shifted(self, by: TextSize) -> TextRange {
        TextRange {
            start: self.start + by,
            end: self.end + by,
        }
    }

    /// The smallest range covering both.
    pub fn cover(self, other: TextRange) -> TextRange {
        TextRange {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    pub fn as_usize_range(self) -> Range<usize> {
        self.start as usize..self.end as usize
    }
}

impl fmt::Debug for TextRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

impl From<Range<usize>> for TextRange {
    fn from(r: Range<usize>) -> Self {
        TextRange::new(r.start as TextSize, r.end as TextSize)
    }
}
