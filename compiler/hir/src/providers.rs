//! Provider requirements: what a module's `skel { required_providers { … } }` (or
//! `terraform { required_providers { … } }`) declares, and which providers are skel's own.
//!
//! A local name with no entry, `source = "skel/NAME"`, or a `hashicorp/NAME` source for a
//! provider skel builds in (see [`BUILTIN_PROVIDERS`]) whose constraint admits the version
//! skel implements (any constraint for `aws` and `kubernetes`, [`ALWAYS_BUILTIN`]), is the
//! built-in provider. Everything else is a plugin that `skelc init`
//! installs (`.skel/providers/HOST/NAMESPACE/TYPE/VERSION/OS_ARCH/`). Read from the settings
//! blocks' ASTs; malformed sources and constraints are diagnostics at the value.

use std::fmt;
use std::sync::Arc;

use skel_db::{Code, Db, Diagnostic, Directory, Span};
use skel_syntax::{ExprKind, Item};

use crate::source::{Version, VersionConstraint};

/// The registry host of a source written `NAMESPACE/TYPE`.
pub const DEFAULT_PROVIDER_HOST: &str = "registry.terraform.io";

/// The providers skel builds in, with the upstream version each implements: a
/// `hashicorp/NAME` requirement whose constraint admits that version is served by skel's own
/// provider (the AWS provider v6 schema, `random`'s `numeric` from 3.3.0, …).
pub const BUILTIN_PROVIDERS: &[(&str, &str)] = &[
    ("aws", "6.0.0"),
    ("kubernetes", "2.38.0"),
    ("null", "3.2.4"),
    ("local", "2.5.3"),
    ("random", "3.7.2"),
];

/// A provider source address `HOST/NAMESPACE/TYPE`, lower-cased.
#[derive(Clone, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub struct ProviderSource {
    pub host: String,
    pub namespace: String,
    pub type_name: String,
}

impl ProviderSource {
    /// Parses `TYPE`, `NAMESPACE/TYPE` or `HOST/NAMESPACE/TYPE` (a bare `TYPE` means
    /// `hashicorp/TYPE`, as Terraform reads it).
    pub fn parse(text: &str) -> Result<ProviderSource, String> {
        let parts: Vec<&str> = text.split('/').collect();
        let (host, namespace, type_name) = match parts.as_slice() {
            [t] => (DEFAULT_PROVIDER_HOST, "hashicorp", *t),
            [n, t] => (DEFAULT_PROVIDER_HOST, *n, *t),
            [h, n, t] => (*h, *n, *t),
            _ => {
                return Err(format!(
                    "`{text}` is not a provider source (write `NAMESPACE/TYPE` or `HOST/NAMESPACE/TYPE`)"
                ))
            }
        };
        let name_ok = |s: &str| {
            !s.is_empty()
                && !s.starts_with('-')
                && !s.ends_with('-')
                && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        };
        let host_ok = !host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | ':'));
        if !host_ok {
            return Err(format!("`{host}` is not a registry host name"));
        }
        if !name_ok(namespace) {
            return Err(format!(
                "`{namespace}` is not a provider namespace (letters, digits and dashes)"
            ));
        }
        if !name_ok(type_name) || type_name.starts_with("terraform-provider") {
            return Err(format!(
                "`{type_name}` is not a provider type (letters, digits and dashes, without the `terraform-provider-` prefix)"
            ));
        }
        Ok(ProviderSource {
            host: host.to_ascii_lowercase(),
            namespace: namespace.to_ascii_lowercase(),
            type_name: type_name.to_ascii_lowercase(),
        })
    }
}

impl fmt::Display for ProviderSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.host, self.namespace, self.type_name)
    }
}

/// One `required_providers` entry.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct ProviderRequirement {
    /// The local name (the entry's key, the prefix of the resource types it serves).
    pub local_name: String,
    /// The source as written (`None` when the entry gives none: `hashicorp/NAME`).
    pub source_text: Option<String>,
    /// The parsed source, `None` when it does not parse (reported).
    pub source: Option<ProviderSource>,
    /// The `version` constraint as written.
    pub constraint: Option<String>,
    /// Whether skel's own provider serves it.
    pub builtin: bool,
    /// The entry (`NAME = { … }`), for diagnostics about it.
    pub span: Span,
}

impl ProviderRequirement {
    /// A plugin's source (the requirement is neither built in nor malformed).
    pub fn plugin_source(&self) -> Option<&ProviderSource> {
        if self.builtin {
            None
        } else {
            self.source.as_ref()
        }
    }
}

/// A module's requirements and the diagnostics of reading them.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct ModuleProviders {
    pub requirements: Vec<ProviderRequirement>,
    pub diagnostics: Vec<Diagnostic>,
}

impl ModuleProviders {
    /// The requirement of local name `name`.
    pub fn get(&self, name: &str) -> Option<&ProviderRequirement> {
        self.requirements.iter().find(|r| r.local_name == name)
    }

    /// The plugin serving local name `name`, if it is one.
    pub fn plugin(&self, name: &str) -> Option<&ProviderSource> {
        self.get(name)?.plugin_source()
    }

    /// Whether any requirement is a plugin.
    pub fn has_plugins(&self) -> bool {
        self.requirements
            .iter()
            .any(|r| r.plugin_source().is_some())
    }
}

/// Whether `source` with constraint `constraint` names skel's built-in provider.
pub fn is_builtin(source: &ProviderSource, constraint: Option<&VersionConstraint>) -> bool {
    if source.host != DEFAULT_PROVIDER_HOST {
        // A private registry's or mirror's `skel` namespace is somebody's plugin.
        return false;
    }
    if source.namespace == "skel" {
        return true;
    }
    if source.namespace != "hashicorp" {
        return false;
    }
    let Some((_, implemented)) = BUILTIN_PROVIDERS
        .iter()
        .find(|(name, _)| *name == source.type_name)
    else {
        return false;
    };
    // Published modules bound the big providers' majors (`hashicorp/aws` `< 6.0`, `~> 5.0`)
    // and no plugin of theirs can be had offline: skel's own `aws` and `kubernetes` serve every
    // `hashicorp/` constraint, so Terraform code keeps working.
    if ALWAYS_BUILTIN.contains(&source.type_name.as_str()) {
        return true;
    }
    match constraint {
        None => true,
        Some(c) => Version::parse(implemented).is_ok_and(|v| c.matches(&v)),
    }
}

/// The built-in providers that serve a `hashicorp/` source whatever its version constraint.
pub const ALWAYS_BUILTIN: &[&str] = &["aws", "kubernetes"];

/// The provider requirements of the module in `dir`, from its settings blocks.
#[salsa::tracked(returns(ref))]
pub fn module_providers(db: &dyn Db, dir: Directory) -> Arc<ModuleProviders> {
    let index = crate::module_index(db, dir);
    let mut out = ModuleProviders::default();
    for item in &index.settings {
        let Some(ast) = skel_db::item_ast(db, item.file, item.index) else {
            continue;
        };
        let Item::Block(block) = &*ast else {
            continue;
        };
        for rp in block.body.blocks_of("required_providers") {
            for attr in rp.body.attributes() {
                let local_name = attr.name.name.clone();
                let mut req = ProviderRequirement {
                    local_name: local_name.clone(),
                    source_text: None,
                    source: None,
                    constraint: None,
                    builtin: true,
                    span: item.span(attr.name.range),
                };
                let mut source_range = attr.expr.range;
                let mut version_range = attr.expr.range;
                match &attr.expr.kind {
                    ExprKind::Object(items) => {
                        for entry in items {
                            let key = match &entry.key.kind {
                                ExprKind::Variable(ident) => Some(ident.name.clone()),
                                _ => entry.key.as_literal_string(),
                            };
                            match key.as_deref() {
                                Some("source") => {
                                    source_range = entry.value.range;
                                    req.source_text = entry.value.as_literal_string();
                                    if req.source_text.is_none() {
                                        out.diagnostics.push(
                                            Diagnostic::new(
                                                Code::InvalidProviderSource,
                                                item.span(entry.value.range),
                                                "A provider `source` must be a literal string",
                                            )
                                            .with_help(
                                                "write it like `source = \"hashicorp/null\"`",
                                            ),
                                        );
                                    }
                                }
                                Some("version") => {
                                    version_range = entry.value.range;
                                    req.constraint = entry.value.as_literal_string();
                                    if req.constraint.is_none() {
                                        out.diagnostics.push(
                                            Diagnostic::new(
                                                Code::InvalidProviderVersion,
                                                item.span(entry.value.range),
                                                "A provider `version` must be a literal string",
                                            )
                                            .with_help(
                                                "write a constraint like `version = \"~> 3.2\"`",
                                            ),
                                        );
                                    }
                                }
                                _ => {}
                            }
                        }
                    }
                    // Terraform 0.12's `NAME = "CONSTRAINT"`.
                    _ => req.constraint = attr.expr.as_literal_string(),
                }
                let constraint = match req.constraint.as_deref().map(VersionConstraint::parse) {
                    Some(Ok(c)) => Some(c),
                    Some(Err(e)) => {
                        out.diagnostics.push(
                            Diagnostic::new(
                                Code::InvalidProviderVersion,
                                item.span(version_range),
                                "Invalid provider version constraint",
                            )
                            .with_span_message(e.0)
                            .with_help("operators are =, !=, >, >=, <, <=, ~>, joined by commas: `\">= 2.1, < 3.0\"`"),
                        );
                        None
                    }
                    None => None,
                };
                let source_text = req
                    .source_text
                    .clone()
                    .unwrap_or_else(|| format!("hashicorp/{local_name}"));
                match ProviderSource::parse(&source_text) {
                    Ok(source) => {
                        req.builtin = is_builtin(&source, constraint.as_ref());
                        req.source = Some(source);
                    }
                    Err(why) => {
                        if req.source_text.is_some() {
                            out.diagnostics.push(
                                Diagnostic::new(
                                    Code::InvalidProviderSource,
                                    item.span(source_range),
                                    "Invalid provider source address",
                                )
                                .with_span_message(why)
                                .with_help("write `NAMESPACE/TYPE` (`hashicorp/null`) or `HOST/NAMESPACE/TYPE`"),
                            );
                        }
                        req.builtin = false;
                    }
                }
                match out
                    .requirements
                    .iter_mut()
                    .find(|r| r.local_name == local_name)
                {
                    // An override file's entry replaces the base's (merged by item_ast) and
                    // two settings blocks may both list a provider: the later one wins.
                    Some(existing) => *existing = req,
                    None => out.requirements.push(req),
                }
            }
        }
    }
    Arc::new(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(text: &str) -> VersionConstraint {
        VersionConstraint::parse(text).unwrap()
    }

    #[test]
    fn sources_parse_as_terraform_reads_them() {
        let s = ProviderSource::parse("hashicorp/null").unwrap();
        assert_eq!(s.to_string(), "registry.terraform.io/hashicorp/null");
        let s = ProviderSource::parse("Example.COM:8443/Acme/Thing").unwrap();
        assert_eq!(s.to_string(), "example.com:8443/acme/thing");
        assert_eq!(
            ProviderSource::parse("null").unwrap().to_string(),
            "registry.terraform.io/hashicorp/null"
        );
        for bad in [
            "",
            "a/b/c/d",
            "a//b",
            "hashicorp/terraform-provider-null",
            "x/-a",
            "h h/a/b",
        ] {
            assert!(ProviderSource::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn builtin_or_plugin() {
        let src = |t: &str| ProviderSource::parse(t).unwrap();
        assert!(is_builtin(&src("hashicorp/null"), None));
        assert!(is_builtin(&src("hashicorp/null"), Some(&c("~> 3.0"))));
        assert!(is_builtin(
            &src("registry.terraform.io/hashicorp/aws"),
            Some(&c(">= 5.0"))
        ));
        assert!(is_builtin(&src("skel/anything"), Some(&c("1.0.0"))));
        assert!(!is_builtin(&src("example.com/skel/anything"), None));
        assert!(!is_builtin(&src("hashicorp/null"), Some(&c("2.1.2"))));
        assert!(is_builtin(&src("hashicorp/aws"), Some(&c("~> 5.0"))));
        assert!(is_builtin(
            &src("hashicorp/kubernetes"),
            Some(&c("~> 1.13"))
        ));
        assert!(!is_builtin(&src("hashicorp/lxd"), None));
        assert!(!is_builtin(&src("terraform-lxd/lxd"), None));
        assert!(!is_builtin(
            &src("registry.opentofu.org/hashicorp/null"),
            None
        ));
    }
}
