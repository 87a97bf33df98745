//! Module versions and `version` constraints, as Terraform reads them: `=`, `!=`, `>`, `>=`,
//! `<`, `<=`, `~>`, joined by commas; the highest version that satisfies them all is chosen.

use std::cmp::Ordering;
use std::fmt;

/// A version `MAJOR[.MINOR[.PATCH]][-PRERELEASE][+BUILD]` (a leading `v` is accepted); missing
/// parts are zero. Build metadata is ignored in comparisons.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Version {
    pub parts: [u64; 3],
    pub pre: Vec<PreId>,
    /// How many parts were written (for `~>`).
    written: usize,
    text: String,
}

/// One dot-separated prerelease identifier.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PreId {
    Num(u64),
    Alpha(String),
}

impl Ord for PreId {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (PreId::Num(a), PreId::Num(b)) => a.cmp(b),
            (PreId::Num(_), PreId::Alpha(_)) => Ordering::Less,
            (PreId::Alpha(_), PreId::Num(_)) => Ordering::Greater,
            (PreId::Alpha(a), PreId::Alpha(b)) => a.cmp(b),
        }
    }
}

impl PartialOrd for PreId {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Why a version or constraint does not parse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct VersionError(pub String);

impl Version {
    pub fn parse(text: &str) -> Result<Version, VersionError> {
        let bad = || VersionError(format!("`{text}` is not a version (write like `1.2.3`)"));
        let body = text.strip_prefix('v').unwrap_or(text);
        let body = body.split_once('+').map_or(body, |(b, _)| b);
        let (core, pre) = match body.split_once('-') {
            Some((c, p)) => (c, Some(p)),
            None => (body, None),
        };
        let nums: Vec<&str> = core.split('.').collect();
        if nums.is_empty() || nums.len() > 3 {
            return Err(bad());
        }
        let mut parts = [0u64; 3];
        for (slot, n) in parts.iter_mut().zip(&nums) {
            if n.is_empty() || !n.chars().all(|c| c.is_ascii_digit()) {
                return Err(bad());
            }
            *slot = n.parse().map_err(|_| bad())?;
        }
        let pre = match pre {
            None => Vec::new(),
            Some(p) => p
                .split('.')
                .map(|id| {
                    if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                        Err(bad())
                    } else if id.chars().all(|c| c.is_ascii_digit()) {
                        id.parse().map(PreId::Num).map_err(|_| bad())
                    } else {
                        Ok(PreId::Alpha(id.to_string()))
                    }
                })
                .collect::<Result<_, _>>()?,
        };
        Ok(Version {
            parts,
            pre,
            written: nums.len(),
            text: text.to_string(),
        })
    }

    /// The text as the registry gave it.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn is_prerelease(&self) -> bool {
        !self.pre.is_empty()
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.parts.cmp(&other.parts).then_with(|| {
            match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => self.pre.cmp(&other.pre),
            }
        })
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    Pessimistic,
}

/// A `version` argument: every comma-separated part must hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionConstraint {
    parts: Vec<(Op, Version)>,
    text: String,
}

impl VersionConstraint {
    pub fn parse(text: &str) -> Result<VersionConstraint, VersionError> {
        let mut parts = Vec::new();
        for raw in text.split(',') {
            let part = raw.trim();
            if part.is_empty() {
                return Err(VersionError(format!(
                    "`{text}` has an empty constraint (write like `>= 1.2, < 2.0`)"
                )));
            }
            let (op, rest) = [
                ("~>", Op::Pessimistic),
                (">=", Op::Ge),
                ("<=", Op::Le),
                ("!=", Op::Ne),
                ("=", Op::Eq),
                (">", Op::Gt),
                ("<", Op::Lt),
            ]
            .into_iter()
            .find_map(|(sym, op)| part.strip_prefix(sym).map(|r| (op, r)))
            .unwrap_or((Op::Eq, part));
            let version = Version::parse(rest.trim()).map_err(|_| {
                VersionError(format!(
                    "`{part}` is not a version constraint (operators: =, !=, >, >=, <, <=, ~>)"
                ))
            })?;
            parts.push((op, version));
        }
        Ok(VersionConstraint {
            parts,
            text: text.to_string(),
        })
    }

    /// Whether `v` satisfies every part. A prerelease is matched only by a part naming it
    /// exactly, as in Terraform.
    pub fn matches(&self, v: &Version) -> bool {
        if v.is_prerelease()
            && !self
                .parts
                .iter()
                .any(|(op, c)| *op == Op::Eq && c.cmp(v) == Ordering::Equal)
        {
            return false;
        }
        self.parts.iter().all(|(op, c)| match op {
            Op::Eq => v.cmp(c) == Ordering::Equal,
            Op::Ne => v.cmp(c) != Ordering::Equal,
            Op::Gt => v > c,
            Op::Ge => v >= c,
            Op::Lt => v < c,
            Op::Le => v <= c,
            Op::Pessimistic => {
                // `~> 1.2` allows 1.x from 1.2; `~> 1.2.3` allows 1.2.x from 1.2.3.
                let fixed = c.written.max(2) - 1;
                v >= c && v.parts[..fixed] == c.parts[..fixed]
            }
        })
    }

    /// The highest of `versions` that satisfies the constraint.
    pub fn best<'a>(&self, versions: &'a [Version]) -> Option<&'a Version> {
        versions.iter().filter(|v| self.matches(v)).max()
    }
}

impl fmt::Display for VersionConstraint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}
