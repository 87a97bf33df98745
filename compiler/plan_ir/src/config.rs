//! The lowered configuration: what the runtime evaluates and walks. Produced from a checked
//! module tree by `skel_lower`. Expressions stay as AST (`skel_syntax::Expr`) and are
//! evaluated by the runtime with `skel_eval` once the values they reference are known; their
//! static references are listed so the runtime can build its dependency graph without
//! re-walking them.

use std::path::PathBuf;

use skel_syntax::{Body, Expr};
use skel_value::{Marks, Type, Value};

use crate::ResourceMode;

/// Where a block or expression is in the source, for error messages (1-based line/column).
#[derive(Clone, PartialEq, Eq, Hash, Debug, Default)]
pub struct SourceLocation {
    pub file: PathBuf,
    pub line: u32,
    pub column: u32,
}

impl std::fmt::Display for SourceLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
    }
}

/// An index into [`Config::modules`]; the root module is 0.
pub type ModuleId = usize;

/// Every module of the configuration. A module called twice from different places appears
/// once: module *instances* are created by the runtime when it expands calls.
#[derive(Clone, Debug, Default)]
pub struct Config {
    pub modules: Vec<ModuleConfig>,
    /// The root module's `skel { encryption { } }`, if any (`docs/state-format.md`).
    pub encryption: Option<crate::EncryptionConfig>,
    /// The root module's `skel { backend "TYPE" { } }`, if any (`docs/backends.md`).
    pub backend: Option<BackendConfig>,
    /// The selected workspace (`skel.workspace`, `terraform.workspace`); `None` is `default`.
    /// Set by the caller, like variable values: it is not part of the configuration.
    pub workspace: Option<String>,
}

/// A `backend "TYPE" { … }` block: its arguments are constants (as in Terraform, no variables:
/// the backend is needed before anything is evaluated); nested blocks (`endpoints`,
/// `assume_role`) are objects.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BackendConfig {
    pub kind: String,
    pub arguments: std::collections::BTreeMap<String, Value>,
    pub location: SourceLocation,
}

impl Config {
    pub const ROOT: ModuleId = 0;

    pub fn root(&self) -> &ModuleConfig {
        &self.modules[Self::ROOT]
    }
}

/// A static reference from one object of a module to another of the same module: the edges
/// of the dependency graph.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub enum Reference {
    Variable(String),
    Local(String),
    Resource {
        mode: ResourceMode,
        type_name: String,
        name: String,
    },
    /// `module.NAME` (any of its outputs).
    Module(String),
}

#[derive(Clone, Debug)]
pub struct ModuleConfig {
    pub dir: PathBuf,
    pub variables: Vec<VariableConfig>,
    pub locals: Vec<LocalConfig>,
    /// Managed resources and data sources, in source order.
    pub resources: Vec<ResourceConfig>,
    pub module_calls: Vec<ModuleCall>,
    pub outputs: Vec<OutputConfig>,
    pub providers: Vec<ProviderConfig>,
    /// The `required_providers` entries, in source order: which local names are plugins.
    pub required_providers: Vec<RequiredProvider>,
    /// `moved` blocks, in source order.
    pub moved: Vec<MovedConfig>,
    /// `removed` blocks, in source order.
    pub removed: Vec<RemovedConfig>,
    /// `import` blocks, in source order (the root module's only are planned).
    pub imports: Vec<ImportConfig>,
    /// `check` blocks, in source order: assertions reported as warnings, never blocking.
    pub checks: Vec<CheckConfig>,
}

/// One `required_providers` entry of a module.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct RequiredProvider {
    /// The local name (`null`): the `provider` blocks and resource-type prefixes it serves.
    pub local_name: String,
    /// The source address `HOST/NAMESPACE/TYPE` (`registry.terraform.io/hashicorp/null`).
    pub source: String,
    /// The `version` constraint as written.
    pub constraint: Option<String>,
    /// Served by skel's own provider (`skel/NAME`, or a `hashicorp/NAME` skel builds in whose
    /// constraint admits the version skel implements); otherwise a plugin `skelc init`
    /// installed under `.skel/providers/SOURCE/VERSION/OS_ARCH/`.
    pub builtin: bool,
}

/// `check "NAME" { data … assert { … } }`.
#[derive(Clone, Debug)]
pub struct CheckConfig {
    pub name: String,
    /// The data source only this check reads (a failed read is a warning).
    pub data: Option<ResourceConfig>,
    pub asserts: Vec<Validation>,
    /// What the assertions read.
    pub references: Vec<Reference>,
    pub location: SourceLocation,
}

/// `import { to = … id = … for_each = … }`.
#[derive(Clone, Debug)]
pub struct ImportConfig {
    /// The module calls of `to`, each with its key expression, if written.
    pub to_modules: Vec<(String, Option<Expr>)>,
    pub type_name: String,
    pub name: String,
    /// The instance key expression of `to`, if written (literal, or computed from `each`).
    pub key: Option<Expr>,
    pub id: Expr,
    pub for_each: Option<Expr>,
    /// Every static reference of `id`, `for_each` and the keys.
    pub references: Vec<Reference>,
    pub location: SourceLocation,
}

/// An address written in a `moved` or `removed` block, relative to its module: a resource, one
/// of its instances (`key`), or a module call (`resource` is `None`; the last module step).
/// An absent key is `InstanceKey::None`: the whole resource or call, or its unkeyed instance
/// when the other side of a move has a key.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct AddrPattern {
    pub modules: Vec<(String, crate::InstanceKey)>,
    /// Type, name and key of a managed resource.
    pub resource: Option<(String, String, crate::InstanceKey)>,
}

impl std::fmt::Display for AddrPattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts: Vec<String> = self
            .modules
            .iter()
            .map(|(name, k)| format!("module.{name}{k}"))
            .collect();
        if let Some((t, n, k)) = &self.resource {
            parts.push(format!("{t}.{n}{k}"));
        }
        f.write_str(&parts.join("."))
    }
}

/// `moved { from = … to = … }`.
#[derive(Clone, Debug)]
pub struct MovedConfig {
    pub from: AddrPattern,
    pub to: AddrPattern,
    pub location: SourceLocation,
}

/// `removed { from = … lifecycle { destroy = … } }`.
#[derive(Clone, Debug)]
pub struct RemovedConfig {
    pub from: AddrPattern,
    /// `false`: forget the objects (they stay, unmanaged); `true` (the default): destroy them.
    pub destroy: bool,
    pub location: SourceLocation,
}

#[derive(Clone, Debug)]
pub struct Validation {
    pub condition: Expr,
    pub error_message: Expr,
    pub location: SourceLocation,
}

#[derive(Clone, Debug)]
pub struct VariableConfig {
    pub name: String,
    /// `any` when no type is declared.
    pub ty: Type,
    /// The default, already converted to `ty`; `None` means the variable is required.
    pub default: Option<Value>,
    pub sensitive: bool,
    /// `ephemeral = true`: given at each run, never written to state or a saved plan.
    pub ephemeral: bool,
    pub nullable: bool,
    pub description: Option<String>,
    pub validations: Vec<Validation>,
    pub location: SourceLocation,
}

impl VariableConfig {
    /// The marks its values carry: sensitive, ephemeral (which is never shown either).
    pub fn marks(&self) -> Marks {
        let mut marks = Marks::NONE;
        if self.sensitive {
            marks |= Marks::SENSITIVE;
        }
        if self.ephemeral {
            marks |= Marks::EPHEMERAL;
        }
        marks
    }
}

#[derive(Clone, Debug)]
pub struct LocalConfig {
    pub name: String,
    pub expr: Expr,
    pub references: Vec<Reference>,
    pub location: SourceLocation,
}

/// Which provider configuration a resource uses: a provider name and an optional alias, as
/// seen from the resource's module (`aws`, `aws.west`).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct ProviderRef {
    pub name: String,
    pub alias: Option<String>,
}

impl std::fmt::Display for ProviderRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.alias {
            Some(alias) => write!(f, "{}.{alias}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub enum IgnoreChanges {
    #[default]
    None,
    All,
    /// Top-level argument names.
    Attributes(Vec<String>),
}

#[derive(Clone, Debug, Default)]
pub struct Lifecycle {
    pub create_before_destroy: bool,
    pub prevent_destroy: bool,
    pub ignore_changes: IgnoreChanges,
    /// References whose change replaces this resource.
    pub replace_triggered_by: Vec<Expr>,
    /// `precondition` blocks: checked before the instance is planned.
    pub preconditions: Vec<Validation>,
    /// `postcondition` blocks: checked on the planned (or read) object, `self`.
    pub postconditions: Vec<Validation>,
}

#[derive(Clone, Debug)]
pub struct Provisioner {
    /// `local-exec`, `remote-exec` or `file`.
    pub kind: String,
    /// Arguments, evaluated with `self` bound to the resource instance.
    pub body: Body,
    /// The provisioner's own `connection` block, else the resource's.
    pub connection: Option<Body>,
    pub when_destroy: bool,
    pub on_failure_continue: bool,
    pub location: SourceLocation,
}

#[derive(Clone, Debug)]
pub struct ResourceConfig {
    pub mode: ResourceMode,
    pub type_name: String,
    pub name: String,
    pub provider: ProviderRef,
    pub count: Option<Expr>,
    pub for_each: Option<Expr>,
    /// The arguments and nested blocks (including `dynamic` blocks), without meta-arguments
    /// (`count`, `for_each`, `provider`, `depends_on`, `lifecycle`, `provisioner`, `connection`).
    pub body: Body,
    /// Explicit `depends_on` entries.
    pub depends_on: Vec<Reference>,
    /// Every static reference: body, count/for_each, depends_on.
    pub references: Vec<Reference>,
    pub lifecycle: Lifecycle,
    pub provisioners: Vec<Provisioner>,
    /// The resource-level `connection` block.
    pub connection: Option<Body>,
    pub location: SourceLocation,
}

#[derive(Clone, Debug)]
pub struct ModuleCall {
    pub name: String,
    pub module: ModuleId,
    pub count: Option<Expr>,
    pub for_each: Option<Expr>,
    /// Input arguments by variable name.
    pub inputs: Vec<(String, Expr)>,
    /// `providers = { aws = aws.west }`: the child's provider name → the parent's configuration.
    pub providers: Vec<(ProviderRef, ProviderRef)>,
    pub depends_on: Vec<Reference>,
    pub references: Vec<Reference>,
    pub location: SourceLocation,
}

#[derive(Clone, Debug)]
pub struct OutputConfig {
    pub name: String,
    pub expr: Expr,
    pub sensitive: bool,
    /// `ephemeral = true` (child modules only): the value is passed on, never persisted.
    pub ephemeral: bool,
    pub description: Option<String>,
    pub depends_on: Vec<Reference>,
    /// `precondition` blocks: a false one stops the plan (or apply) with its message.
    pub preconditions: Vec<Validation>,
    /// What the value, `depends_on` and the preconditions read.
    pub references: Vec<Reference>,
    pub location: SourceLocation,
}

impl OutputConfig {
    /// The marks its value carries where a parent module reads it.
    pub fn marks(&self) -> Marks {
        let mut marks = Marks::NONE;
        if self.sensitive {
            marks |= Marks::SENSITIVE;
        }
        if self.ephemeral {
            marks |= Marks::EPHEMERAL;
        }
        marks
    }
}

#[derive(Clone, Debug)]
pub struct ProviderConfig {
    pub name: String,
    pub alias: Option<String>,
    /// Arguments, without `alias` and `parallelism`.
    pub body: Body,
    /// At most this many concurrent operations through this configuration.
    pub parallelism: Option<u32>,
    pub references: Vec<Reference>,
    pub location: SourceLocation,
}
