//! A finite-or-not `f64` with total equality and hashing, so values can live in salsa results.

use std::fmt;
use std::hash::{Hash, Hasher};

/// A number value. Terraform uses arbitrary precision; skel uses IEEE-754 doubles, which is exact
/// for every integer up to 2^53 and prints integers without a fractional part.
#[derive(Clone, Copy, Default, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Number(pub f64);

impl Number {
    pub fn as_f64(self) -> f64 {
        self.0
    }

    /// The value as an integer when it is one and fits in `i64`.
    pub fn as_i64(self) -> Option<i64> {
        let v = self.0;
        if v.fract() == 0.0 && v.is_finite() && v >= i64::MIN as f64 && v <= i64::MAX as f64 {
            Some(v as i64)
        } else {
            None
        }
    }

    pub fn is_integer(self) -> bool {
        self.0.is_finite() && self.0.fract() == 0.0
    }
}

impl PartialEq for Number {
    fn eq(&self, other: &Self) -> bool {
        self.0.total_cmp(&other.0).is_eq() || (self.0 == 0.0 && other.0 == 0.0)
    }
}

impl Eq for Number {}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Number {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        if self == other {
            std::cmp::Ordering::Equal
        } else {
            self.0.total_cmp(&other.0)
        }
    }
}

impl Hash for Number {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // -0.0 and 0.0 compare equal, so they must hash equal.
        let v = if self.0 == 0.0 { 0.0f64 } else { self.0 };
        v.to_bits().hash(state);
    }
}

impl From<f64> for Number {
    fn from(v: f64) -> Self {
        Number(v)
    }
}

impl From<i64> for Number {
    fn from(v: i64) -> Self {
        Number(v as f64)
    }
}

impl fmt::Debug for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for Number {
    /// Integers print without a fractional part (`3`, not `3.0`), as Terraform does.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(i) = self.as_i64().filter(|i| i.unsigned_abs() < (1u64 << 53)) {
            write!(f, "{i}")
        } else {
            write!(f, "{}", self.0)
        }
    }
}
