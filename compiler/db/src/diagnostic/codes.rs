//! The registry of diagnostic codes: one kebab-case name, severity and summary each.
//! `docs/diagnostics.md` documents every code with an example, and a test keeps the two in step.

macro_rules! codes {
    ($($variant:ident = $name:literal, $severity:ident, $summary:literal;)*) => {
        /// A stable diagnostic code.
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
        pub enum Code {
            $($variant,)*
        }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The kebab-case name shown to users (`unresolved-reference`).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $name,)*
                }
            }

            /// What the code is about, in one line.
            pub fn summary(self) -> &'static str {
                match self {
                    $(Code::$variant => $summary,)*
                }
            }

            pub fn default_severity(self) -> super::Severity {
                match self {
                    $(Code::$variant => super::Severity::$severity,)*
                }
            }

            pub fn from_name(name: &str) -> Option<Code> {
                match name {
                    $($name => Some(Code::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

codes! {
    SyntaxError = "syntax-error", Error, "The text is not valid skel (HCL native) syntax.";
    UnknownBlockType = "unknown-block-type", Error, "A block type that is not allowed where it appears.";
    OverrideWithoutBase = "override-without-base", Error, "A block in an override file overrides nothing: no other file of the module has a block of that type and labels.";
    UnsupportedJsonConfig = "unsupported-json-config", Error, "A `.tf.json` (JSON syntax) configuration file, which skel does not read.";
    InvalidBlockLabels = "invalid-block-labels", Error, "A block has the wrong number of labels.";
    InvalidAddress = "invalid-address", Error, "A `moved`, `removed` or `import` block names something that is not the address of a resource, a resource instance or a module call.";
    MovedKindMismatch = "moved-kind-mismatch", Error, "A `moved` block moves an object to an address of another kind (a resource to a module call, or to another resource type).";
    MovedCycle = "moved-cycle", Error, "`moved` blocks move an object back to an address it was moved from.";
    MovedTargetMissing = "moved-target-missing", Warning, "A `moved` block's `to` names a resource or module call the configuration does not declare: the objects move there and are destroyed.";
    MovedSourceExists = "moved-source-exists", Error, "A `moved` block's `from` is still declared in the configuration.";
    ImportTargetMissing = "import-target-missing", Error, "An `import` block's `to` names a resource the configuration does not declare.";
    UnsupportedEphemeralResource = "unsupported-ephemeral-resource", Error, "An `ephemeral` resource block: no provider offers ephemeral resource types yet.";
    CheckWithoutAssert = "check-without-assert", Error, "A `check` block has no `assert` block: it would check nothing.";
    CheckScopedData = "check-scoped-data", Error, "A data source declared inside a `check` block is referred to from outside that check, or a check declares more than one.";
    RemovedStillConfigured = "removed-still-configured", Error, "A `removed` block names a resource or module call the configuration still declares.";
    DuplicateDefinition = "duplicate-definition", Error, "Two definitions share one name in a module (or two attributes in one body).";
    UnresolvedReference = "unresolved-reference", Error, "A reference names something that is not defined.";
    UnknownResourceType = "unknown-resource-type", Error, "A resource type no provider schema defines.";
    UnknownDataSource = "unknown-data-source", Error, "A data source type no provider schema defines.";
    UnknownArgument = "unknown-argument", Error, "An argument or nested block the schema does not define.";
    BlockAsAttribute = "block-as-attribute", Error, "A nested block type written as an attribute (`name = [...]`) where only blocks are accepted, or written both ways.";
    RemovedArgument = "removed-argument", Error, "An argument or nested block type the provider has removed, or that skel does not accept (the message says in which version, and what replaces it).";
    MissingArgument = "missing-argument", Error, "A required argument or nested block is missing.";
    ComputedArgument = "computed-argument", Error, "An attribute the provider computes was set in configuration.";
    BlockCount = "block-count", Error, "A nested block appears fewer or more times than the schema allows.";
    TypeMismatch = "type-mismatch", Error, "A value's type does not convert to the type required there.";
    UnknownAttribute = "unknown-attribute", Error, "An attribute access names an attribute the object does not have.";
    InvalidIndex = "invalid-index", Error, "An index applied to a value that cannot be indexed, or with a key of the wrong type.";
    InvalidOperand = "invalid-operand", Error, "An operator applied to operands of types it does not accept.";
    InconsistentConditional = "inconsistent-conditional", Error, "The two results of a conditional have types with no common type.";
    UnknownFunction = "unknown-function", Error, "A call to a function that does not exist.";
    FunctionArity = "function-arity", Error, "A function called with too few or too many arguments.";
    FunctionArgument = "function-argument", Error, "A function argument of a type the function does not accept.";
    InvalidTypeConstraint = "invalid-type-constraint", Error, "A `type` that is not a valid type constraint.";
    CountAndForEach = "count-and-for-each", Error, "`count` and `for_each` set on one block.";
    InvalidCount = "invalid-count", Error, "`count` is not a whole, non-negative number.";
    InvalidForEach = "invalid-for-each", Error, "`for_each` is not a map or a set of strings.";
    CountOutOfContext = "count-out-of-context", Error, "`count.index` used where the block has no `count`.";
    EachOutOfContext = "each-out-of-context", Error, "`each.key`/`each.value` used where the block has no `for_each`.";
    SelfOutOfContext = "self-out-of-context", Error, "`self` used outside a provisioner or connection block.";
    ReferenceCycle = "reference-cycle", Error, "Definitions that depend on each other in a cycle.";
    ModuleNotFound = "module-not-found", Error, "A module `source` that is not an existing local directory.";
    InvalidModuleSource = "invalid-module-source", Error, "A module `source` that is not a valid address (local path, registry address, `git::` URL, archive URL).";
    InvalidModuleVersion = "invalid-module-version", Error, "A module `version` that is not a valid constraint, or set on a source that is not a registry address.";
    ModuleNotInstalled = "module-not-installed", Error, "A remote module that `skelc init` has not installed (or installed for another source or version).";
    RegistryUnreachable = "registry-unreachable", Error, "`skelc init`: the module registry (its discovery document or its API) cannot be reached or answers with an error.";
    UnknownRegistryModule = "unknown-registry-module", Error, "`skelc init`: the registry does not have the module.";
    NoMatchingModuleVersion = "no-matching-module-version", Error, "`skelc init`: no version of the registry module satisfies the `version` constraint.";
    ModuleDownloadFailed = "module-download-failed", Error, "`skelc init`: downloading or cloning the module's package failed.";
    InvalidModuleRef = "invalid-module-ref", Error, "`skelc init`: the `?ref=` of a git source names no tag, branch or commit of the repository.";
    MissingModuleInput = "missing-module-input", Error, "A module call does not set a variable of the module that has no default.";
    UnknownModuleInput = "unknown-module-input", Error, "A module call sets an argument the module declares no variable for.";
    UnknownModuleOutput = "unknown-module-output", Error, "A reference to an output the module does not declare.";
    InvalidVariableDefault = "invalid-variable-default", Error, "A variable's default does not match its declared type.";
    InvalidVariableValue = "invalid-variable-value", Error, "A value given with --var, --var-file, a variable file or the environment is invalid, of the wrong type or for an undeclared variable.";
    MissingVariableValue = "missing-variable-value", Error, "A required root variable (no `default`) has no value (`skelc check --require-vars`, `plan`, `run`).";
    ValidationFailed = "validation-failed", Error, "A known value fails its variable's `validation` condition.";
    InvalidValidationReference = "invalid-validation-reference", Error, "A validation condition refers to something other than its own variable.";
    InvalidProviderSource = "invalid-provider-source", Error, "A `required_providers` `source` that is not a provider address (`NAMESPACE/TYPE` or `HOST/NAMESPACE/TYPE`).";
    InvalidProviderVersion = "invalid-provider-version", Error, "A `required_providers` `version` that is not a valid version constraint.";
    ProviderNotInstalled = "provider-not-installed", Error, "A resource or data source of a plugin provider whose schema `skelc init` has not stored (init not run, or run for another version).";
    UnknownProvider = "unknown-provider", Error, "A reference to a provider configuration (alias) that is not declared.";
    UnknownKeyProvider = "unknown-key-provider", Error, "A `key_provider` block of a type skel does not support.";
    UnknownEncryptionMethod = "unknown-encryption-method", Error, "An encryption `method` block of a type skel does not support.";
    UnknownBackend = "unknown-backend", Error, "A `backend` block of a type skel does not have.";
    InvalidBackendArgument = "invalid-backend-argument", Error, "A backend argument that backend does not have, or a backend setting that is not a constant.";
    InvalidDuration = "invalid-duration", Error, "A duration (`timeout`, `timeouts`) that is malformed or longer than 720h.";
    InvalidEncryptionReference = "invalid-encryption-reference", Error, "An encryption setting refers to an undeclared key provider or method, or to something other than a variable.";
    InvalidMetaArgument = "invalid-meta-argument", Error, "A meta-argument (`depends_on`, `lifecycle`, `provider`, …) with an invalid value.";
    InvalidExpression = "invalid-expression", Error, "An expression that is not allowed in this position (for example, not a reference in `depends_on`).";
    SensitiveOutput = "sensitive-output", Error, "An output shows a sensitive value without being declared `sensitive`.";
    SensitiveCount = "sensitive-count", Error, "`count` derived from a sensitive (or ephemeral) value: the number of instances would show it.";
    SensitiveForEach = "sensitive-for-each", Error, "`for_each` keys derived from a sensitive (or ephemeral) value: instance addresses would show them.";
    SensitiveProviderArgument = "sensitive-provider-argument", Error, "A sensitive value in a provider argument the provider does not keep secret (it shows it in messages).";
    EphemeralValuePersisted = "ephemeral-value-persisted", Error, "An ephemeral value where it would be persisted or passed on as not ephemeral: a resource argument, an output, a module variable.";
    DeprecatedArgument = "deprecated-argument", Warning, "An argument or nested block type the provider still accepts but will remove: the hint names its replacement.";
    DeprecatedBlock = "deprecated-block", Warning, "A `terraform` block, accepted as an alias of `skel`.";
    ImplicitConversion = "implicit-conversion", Warning, "A string literal silently converted to a number or bool.";
    RedundantInterpolation = "redundant-interpolation", Warning, "A string that is only `\"${x}\"`: the quotes and `${}` add nothing.";
    IncomparableValues = "incomparable-values", Warning, "`==`/`!=` between values whose types can never be equal, so the result is always the same.";
    LegacyType = "legacy-type", Warning, "A Terraform 0.11 type constraint: a bare `list`/`map`/`set` or a quoted type name.";
    DependsOnAttribute = "depends-on-attribute", Warning, "A `depends_on` entry that names an attribute: the dependency is on the whole object.";
    CountIndexShift = "count-index-shift", Warning, "`count` over the length of a list whose order may change: removing an element replaces the ones after it.";
}
