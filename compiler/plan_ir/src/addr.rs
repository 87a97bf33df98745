//! Typed addresses of module instances, resources, resource instances and provider
//! configurations, with Terraform's textual forms: `module.net[1].aws_subnet.public["a"]`,
//! `data.aws_ami.ubuntu`, `module.net.aws.west`. Each is parsed and printed here only.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::config::ProviderRef;

/// The key of one instance: none (no `count`/`for_each`), a `count` index or a `for_each` key.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, Deserialize)]
#[serde(untagged)]
pub enum InstanceKey {
    None,
    Int(i64),
    Str(String),
}

impl InstanceKey {
    pub fn is_none(&self) -> bool {
        matches!(self, InstanceKey::None)
    }
}

impl fmt::Display for InstanceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InstanceKey::None => Ok(()),
            InstanceKey::Int(i) => write!(f, "[{i}]"),
            InstanceKey::Str(s) => write!(f, "[{}]", serde_json::to_string(s).unwrap_or_default()),
        }
    }
}

/// A path of module calls from the root, each with its instance key. Empty = the root module.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Default, Serialize, Deserialize)]
pub struct ModuleInstance(pub Vec<(String, InstanceKey)>);

impl ModuleInstance {
    pub fn root() -> Self {
        ModuleInstance(Vec::new())
    }

    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    pub fn child(&self, name: &str, key: InstanceKey) -> ModuleInstance {
        let mut path = self.0.clone();
        path.push((name.to_string(), key));
        ModuleInstance(path)
    }
}

impl fmt::Display for ModuleInstance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (name, key)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write!(f, "module.{name}{key}")?;
        }
        Ok(())
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResourceMode {
    Managed,
    Data,
}

/// A resource (all its instances): module instance, mode, type and name.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, Deserialize)]
pub struct ResourceAddr {
    pub module: ModuleInstance,
    pub mode: ResourceMode,
    pub type_name: String,
    pub name: String,
}

impl ResourceAddr {
    pub fn instance(&self, key: InstanceKey) -> InstanceAddr {
        InstanceAddr {
            resource: self.clone(),
            key,
        }
    }
}

impl fmt::Display for ResourceAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.module.is_root() {
            write!(f, "{}.", self.module)?;
        }
        if self.mode == ResourceMode::Data {
            f.write_str("data.")?;
        }
        write!(f, "{}.{}", self.type_name, self.name)
    }
}

/// One resource instance.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct InstanceAddr {
    pub resource: ResourceAddr,
    pub key: InstanceKey,
}

impl fmt::Display for InstanceAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.resource, self.key)
    }
}

/// Instance addresses serialize as their text, so state files are readable and diffable.
impl Serialize for InstanceAddr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for InstanceAddr {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[derive(Clone, PartialEq, Eq, Debug)]
pub struct AddrParseError(pub String);

/// What is wrong with an instance key (`[0]`, `["a"]`) in an address.
#[derive(Debug, thiserror::Error)]
enum KeyError {
    #[error("unterminated key string")]
    UnterminatedString,
    /// A quoted key that is no JSON string, with the JSON parser's message.
    #[error("{0}")]
    BadString(String),
    #[error("expected `]`")]
    ExpectedBracket,
    #[error("an index must be a number or a quoted string")]
    BadIndex,
}

impl fmt::Display for AddrParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for AddrParseError {}

impl FromStr for InstanceAddr {
    type Err = AddrParseError;

    /// Parse `module.a[0].module.b["x"].data.t.n[2]` and the like.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let err = |m: &str| AddrParseError(format!("invalid address `{text}`: {m}"));
        let mut parser = Parser { rest: text };
        let mut module = Vec::new();
        loop {
            if parser.eat("module.") {
                let name = parser
                    .ident()
                    .ok_or_else(|| err("expected a module name"))?;
                let key = parser.key().map_err(|m| err(&m.to_string()))?;
                module.push((name, key));
                if !parser.eat(".") {
                    return Err(err("expected a resource after the module path"));
                }
            } else {
                break;
            }
        }
        let mode = if parser.eat("data.") {
            ResourceMode::Data
        } else {
            ResourceMode::Managed
        };
        let type_name = parser
            .ident()
            .ok_or_else(|| err("expected a resource type"))?;
        if !parser.eat(".") {
            return Err(err("expected `.NAME` after the resource type"));
        }
        let name = parser
            .ident()
            .ok_or_else(|| err("expected a resource name"))?;
        let key = parser.key().map_err(|m| err(&m.to_string()))?;
        if !parser.rest.is_empty() {
            return Err(err(&format!("unexpected `{}`", parser.rest)));
        }
        // Exactly as long as the path: a state of 50,000 addresses keeps every one.
        module.shrink_to_fit();
        Ok(InstanceAddr {
            resource: ResourceAddr {
                module: ModuleInstance(module),
                mode,
                type_name,
                name,
            },
            key,
        })
    }
}

/// The provider configuration a resource instance belongs to, as state records it: the
/// module instance whose `provider` block (or implicit configuration) serves it, and the
/// provider with its alias. Its text is `aws`, `aws.west`, `module.net["a"].aws.west`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct ProviderKey {
    pub module: ModuleInstance,
    pub provider: ProviderRef,
}

impl fmt::Display for ProviderKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.module.is_root() {
            write!(f, "{}.", self.module)?;
        }
        write!(f, "{}", self.provider)
    }
}

impl FromStr for ProviderKey {
    type Err = AddrParseError;

    /// Parse `aws`, `aws.west`, `module.a[0].module.b["x"].aws.west`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let err = |m: &str| AddrParseError(format!("invalid provider key `{text}`: {m}"));
        let mut parser = Parser { rest: text };
        let mut module = Vec::new();
        while parser.eat("module.") {
            let name = parser
                .ident()
                .ok_or_else(|| err("expected a module name"))?;
            let key = parser.key().map_err(|m| err(&m.to_string()))?;
            module.push((name, key));
            if !parser.eat(".") {
                return Err(err("expected a provider after the module path"));
            }
        }
        let name = parser
            .ident()
            .ok_or_else(|| err("expected a provider name"))?;
        let alias = if parser.eat(".") {
            Some(
                parser
                    .ident()
                    .ok_or_else(|| err("expected an alias after `.`"))?,
            )
        } else {
            None
        };
        if !parser.rest.is_empty() {
            return Err(err(&format!("unexpected `{}`", parser.rest)));
        }
        Ok(ProviderKey {
            module: ModuleInstance(module),
            provider: ProviderRef { name, alias },
        })
    }
}

struct Parser<'a> {
    rest: &'a str,
}

impl Parser<'_> {
    fn eat(&mut self, prefix: &str) -> bool {
        match self.rest.strip_prefix(prefix) {
            Some(rest) => {
                self.rest = rest;
                true
            }
            None => false,
        }
    }

    fn ident(&mut self) -> Option<String> {
        let end = self
            .rest
            .char_indices()
            .find(|(_, c)| !(c.is_alphanumeric() || *c == '_' || *c == '-'))
            .map_or(self.rest.len(), |(i, _)| i);
        if end == 0 {
            return None;
        }
        let (ident, rest) = self.rest.split_at(end);
        self.rest = rest;
        Some(ident.to_string())
    }

    fn key(&mut self) -> Result<InstanceKey, KeyError> {
        if !self.eat("[") {
            return Ok(InstanceKey::None);
        }
        if self.rest.starts_with('"') {
            // A JSON string: find its end, honouring escapes.
            let mut escaped = false;
            let mut end = None;
            for (i, c) in self.rest.char_indices().skip(1) {
                match c {
                    '\\' if !escaped => escaped = true,
                    '"' if !escaped => {
                        end = Some(i + 1);
                        break;
                    }
                    _ => escaped = false,
                }
            }
            let end = end.ok_or(KeyError::UnterminatedString)?;
            let key: String = serde_json::from_str(&self.rest[..end])
                .map_err(|e| KeyError::BadString(e.to_string()))?;
            self.rest = &self.rest[end..];
            if !self.eat("]") {
                return Err(KeyError::ExpectedBracket);
            }
            return Ok(InstanceKey::Str(key));
        }
        let end = self.rest.find(']').ok_or(KeyError::ExpectedBracket)?;
        let index: i64 = self.rest[..end]
            .trim()
            .parse()
            .map_err(|_| KeyError::BadIndex)?;
        self.rest = &self.rest[end + 1..];
        Ok(InstanceKey::Int(index))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_round_trip() {
        for text in [
            "aws_vpc.main",
            "data.aws_ami.ubuntu",
            "aws_instance.node[2]",
            "local_file.cfg[\"a.b\"]",
            "module.svc[1].aws_instance.node[0]",
            "module.net.module.sub[\"x\\\"y\"].data.t.n",
        ] {
            let addr: InstanceAddr = text.parse().unwrap();
            assert_eq!(addr.to_string(), text);
        }
    }

    #[test]
    fn provider_keys_round_trip() {
        for (text, module, name, alias) in [
            ("aws", "", "aws", None),
            ("aws.west", "", "aws", Some("west")),
            ("module.net.aws", "module.net", "aws", None),
            (
                "module.app[\"a.b\"].module.x[2].kubernetes.edge",
                "module.app[\"a.b\"].module.x[2]",
                "kubernetes",
                Some("edge"),
            ),
        ] {
            let key: ProviderKey = text.parse().unwrap();
            assert_eq!(key.module.to_string(), module, "{text}");
            assert_eq!(key.provider.name, name, "{text}");
            assert_eq!(key.provider.alias.as_deref(), alias, "{text}");
            assert_eq!(key.to_string(), text);
        }
    }

    #[test]
    fn bad_provider_keys_are_errors() {
        for text in [
            "",
            "aws.",
            "aws.west.extra",
            "module.net",
            "module.net.",
            "module.net[.aws",
            "module.[0].aws",
            ".aws",
            "aws west",
        ] {
            let e = text.parse::<ProviderKey>().unwrap_err();
            assert!(
                e.0.starts_with(&format!("invalid provider key `{text}`: ")),
                "{e}"
            );
        }
    }

    #[test]
    fn bad_addresses_are_errors() {
        for text in [
            "", "aws_vpc", "aws_vpc.", "module.x", "a.b[", "a.b[x]", "a.b[\"x]", "a.b.c",
        ] {
            assert!(text.parse::<InstanceAddr>().is_err(), "{text}");
        }
    }
}
