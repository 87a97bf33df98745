//! The addresses `moved`, `removed` and `import` blocks name: a resource, one of its instances or a
//! module call (`aws_vpc.a`, `aws_vpc.a["x"]`, `module.net`, `module.net.aws_vpc.a`), written
//! as a reference and read statically, never evaluated.

use std::fmt;

use skel_syntax::{Expr, ExprKind, Step, TextRange};

/// An instance key written in an address: `[0]` or `["x"]`.
#[derive(Clone, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub enum AddrKey {
    Int(i64),
    Str(String),
    /// A key computed from `each` (only in an `import` block with `for_each`): the key
    /// expression's range.
    Dynamic(TextRange),
}

impl fmt::Display for AddrKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AddrKey::Int(i) => write!(f, "[{i}]"),
            AddrKey::Str(s) => write!(f, "[{s:?}]"),
            AddrKey::Dynamic(_) => f.write_str("[…]"),
        }
    }
}

/// `module.NAME` with its key, if written.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct ModuleStep {
    pub name: String,
    pub key: Option<AddrKey>,
}

/// `TYPE.NAME` (or `data.TYPE.NAME`) with its key, if written.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct ResourceStep {
    pub data: bool,
    pub type_name: String,
    pub name: String,
    pub key: Option<AddrKey>,
}

/// A statically written address, relative to the module it is written in.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Endpoint {
    /// The module calls it goes through (for a module endpoint, the last one is the call).
    pub modules: Vec<ModuleStep>,
    /// `None`: the endpoint is a module call (its last module step).
    pub resource: Option<ResourceStep>,
}

impl Endpoint {
    /// Whether it names a whole module call rather than a resource.
    pub fn is_module(&self) -> bool {
        self.resource.is_none()
    }

    /// The same endpoint without instance keys: the resource or module call it is part of.
    pub fn unkeyed(&self) -> Endpoint {
        let mut out = self.clone();
        if let Some(r) = &mut out.resource {
            r.key = None;
        } else if let Some(m) = out.modules.last_mut() {
            m.key = None;
        }
        out
    }

    /// Whether every object `other` names is also named by `self` (`a` contains `a[0]`).
    pub fn contains(&self, other: &Endpoint) -> bool {
        if self == other {
            return true;
        }
        let unkeyed = match (&self.resource, self.modules.last()) {
            (Some(r), _) => r.key.is_none(),
            (None, Some(m)) => m.key.is_none(),
            (None, None) => false,
        };
        if !unkeyed {
            return false;
        }
        match (&self.resource, &other.resource) {
            (Some(_), Some(_)) => self == &other.unkeyed(),
            // `module.a` contains everything under it.
            (None, _) => {
                let n = self.modules.len();
                other.modules.len() >= n
                    && other.modules[..n - 1] == self.modules[..n - 1]
                    && other.modules[n - 1].name == self.modules[n - 1].name
            }
            (Some(_), None) => false,
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for m in &self.modules {
            if !first {
                f.write_str(".")?;
            }
            first = false;
            write!(f, "module.{}", m.name)?;
            if let Some(k) = &m.key {
                write!(f, "{k}")?;
            }
        }
        if let Some(r) = &self.resource {
            if !first {
                f.write_str(".")?;
            }
            if r.data {
                f.write_str("data.")?;
            }
            write!(f, "{}.{}", r.type_name, r.name)?;
            if let Some(k) = &r.key {
                write!(f, "{k}")?;
            }
        }
        Ok(())
    }
}

/// Why an expression is not an address.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct EndpointError {
    pub range: TextRange,
    pub message: String,
}

/// Read `expr` as an address. Keys must be literal numbers or strings.
pub fn parse_endpoint(expr: &Expr) -> Result<Endpoint, EndpointError> {
    parse_address(expr, false)
}

/// Read `expr` as an address whose keys may be expressions (`import` with `for_each`).
pub fn parse_import_target(expr: &Expr) -> Result<Endpoint, EndpointError> {
    parse_address(expr, true)
}

fn parse_address(expr: &Expr, dynamic: bool) -> Result<Endpoint, EndpointError> {
    let not_address = |range: TextRange| EndpointError {
        range,
        message: "expected the address of a resource, a resource instance or a module call \
                  (`aws_vpc.main`, `aws_vpc.main[0]`, `module.net`), written as a reference"
            .into(),
    };
    let (root, steps) = expr.as_traversal().ok_or_else(|| not_address(expr.range))?;
    // The names and keys in order: a name is `Ok(ident)`, a key `Err(expr)`.
    let mut parts: Vec<Result<(&str, TextRange), &Expr>> = vec![Ok((&root.name, root.range))];
    for step in steps {
        parts.push(match step {
            Step::Attr(ident) => Ok((ident.name.as_str(), ident.range)),
            Step::Index(index) => Err(index),
        });
    }
    let mut i = 0;
    let mut endpoint = Endpoint {
        modules: Vec::new(),
        resource: None,
    };
    let name_at = |i: usize| -> Option<&str> {
        match parts.get(i) {
            Some(Ok((n, _))) => Some(n),
            _ => None,
        }
    };
    let key_at = |i: usize| -> Result<Option<AddrKey>, EndpointError> {
        match parts.get(i) {
            Some(Err(key)) => match literal_key(key) {
                Err(_) if dynamic => Ok(Some(AddrKey::Dynamic(key.range))),
                other => other.map(Some),
            },
            _ => Ok(None),
        }
    };
    while name_at(i) == Some("module") {
        let Some(name) = name_at(i + 1) else {
            return Err(not_address(expr.range));
        };
        let key = key_at(i + 2)?;
        i += if key.is_some() { 3 } else { 2 };
        endpoint.modules.push(ModuleStep {
            name: name.to_string(),
            key,
        });
    }
    if i == parts.len() {
        return if endpoint.modules.is_empty() {
            Err(not_address(expr.range))
        } else {
            Ok(endpoint)
        };
    }
    let data = name_at(i) == Some("data");
    if data {
        i += 1;
    }
    let (Some(type_name), Some(name)) = (name_at(i), name_at(i + 1)) else {
        return Err(not_address(expr.range));
    };
    if matches!(
        type_name,
        "var" | "local" | "count" | "each" | "self" | "path"
    ) {
        return Err(not_address(expr.range));
    }
    let key = key_at(i + 2)?;
    i += if key.is_some() { 3 } else { 2 };
    if let Some(rest) = parts.get(i) {
        let range = match rest {
            Ok((_, r)) => *r,
            Err(e) => e.range,
        };
        return Err(EndpointError {
            range,
            message: "an address ends at the resource or its instance key: attributes are not \
                      part of it"
                .into(),
        });
    }
    endpoint.resource = Some(ResourceStep {
        data,
        type_name: type_name.to_string(),
        name: name.to_string(),
        key,
    });
    Ok(endpoint)
}

fn literal_key(expr: &Expr) -> Result<AddrKey, EndpointError> {
    if let ExprKind::Number(_) = &expr.kind {
        if let Some(n) = expr.number_value() {
            if n.fract() == 0.0 && n >= 0.0 && n < i64::MAX as f64 {
                return Ok(AddrKey::Int(n as i64));
            }
        }
    }
    if let Some(s) = expr.as_literal_string() {
        return Ok(AddrKey::Str(s));
    }
    Err(EndpointError {
        range: expr.range,
        message: "an instance key in an address must be a literal whole number or string".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<String, String> {
        let (expr, errors) = skel_syntax::parse_expr(text);
        assert!(errors.is_empty(), "{text}");
        parse_endpoint(&expr)
            .map(|e| e.to_string())
            .map_err(|e| e.message)
    }

    #[test]
    fn addresses_round_trip() {
        for text in [
            "aws_vpc.a",
            "aws_vpc.a[0]",
            "aws_vpc.a[\"x\"]",
            "module.net",
            "module.net[\"a\"]",
            "module.net.aws_vpc.a[2]",
            "module.a.module.b.null_resource.c",
            "data.aws_vpc.a",
        ] {
            assert_eq!(parse(text).as_deref(), Ok(text), "{text}");
        }
    }

    #[test]
    fn non_addresses_are_errors() {
        for text in [
            "aws_vpc",
            "aws_vpc.a.id",
            "aws_vpc.a[var.k]",
            "var.x",
            "\"aws_vpc.a\"",
            "module",
            "aws_vpc.a[1.5]",
        ] {
            assert!(parse(text).is_err(), "{text}");
        }
    }

    #[test]
    fn containment() {
        let e = |t: &str| parse_endpoint(&skel_syntax::parse_expr(t).0).unwrap();
        assert!(e("aws_vpc.a").contains(&e("aws_vpc.a[0]")));
        assert!(!e("aws_vpc.a[0]").contains(&e("aws_vpc.a")));
        assert!(e("module.m").contains(&e("module.m[\"x\"].aws_vpc.a")));
        assert!(!e("module.m").contains(&e("module.n.aws_vpc.a")));
    }
}
