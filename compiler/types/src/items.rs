//! Checking one top-level item by kind: variable, locals, resource, data, module, output,
//! provider and the settings block.

use std::sync::Arc;

use skel_db::{did_you_mean, Code, Db, Diagnostic, File, ItemRef};
use skel_hir::DefKind;
use skel_schema::BlockSchema;
use skel_syntax::{Block, Item};
use skel_value::{conversion, Conversion, Type};

use crate::body::Meta;
use crate::constant::{constant_value, non_constant_reason};
use crate::infer::{ExprTypes, InferCtx, RefPolicy};
use crate::queries;

/// The diagnostics of one top-level item. Keyed by the item, so editing one block re-runs
/// only its own check (and the checks of items whose inputs' types changed).
#[salsa::tracked(returns(clone))]
pub fn check_item(db: &dyn Db, file: File, index: u32) -> Arc<Vec<Diagnostic>> {
    match checked(db, file, index, false) {
        Some(ctx) => Arc::new(ctx.diagnostics),
        None => Arc::default(),
    }
}

/// The type of each expression of one top-level item, as its check inferred it (in its
/// scopes: `count`, `for_each`, `for`, `dynamic`, `self`): what hover, completion and the
/// other editor features show. A sibling of [`check_item`] with the same inputs, so it
/// re-runs exactly when that does, and `skelc check` never pays for recording the types.
#[salsa::tracked(returns(clone))]
pub fn item_types(db: &dyn Db, file: File, index: u32) -> Arc<ExprTypes> {
    Arc::new(
        checked(db, file, index, true)
            .map(|mut ctx| ctx.take_recorded())
            .unwrap_or_default(),
    )
}

/// Check one item; with `record`, the context also holds the type of every expression.
fn checked(db: &dyn Db, file: File, index: u32, record: bool) -> Option<InferCtx<'_>> {
    let item = skel_db::item_ast(db, file, index)?;
    let Item::Block(block) = &*item else {
        return None;
    };
    let kind = DefKind::from_block_type(&block.ident.name)?;
    if block.labels.len() < kind.labels().len() {
        return None; // reported by the module index
    }
    let item_ref = ItemRef { file, index };
    let mut ctx = InferCtx::new(db, item_ref);
    if record {
        ctx = ctx.recording();
    }
    match kind {
        DefKind::Variable => ctx.check_variable(block),
        // Each local is inferred by its own query (other items read its type); recording
        // infers them here again.
        DefKind::Locals if record => {
            for attr in block.body.attributes() {
                ctx.infer(&attr.expr);
            }
        }
        DefKind::Locals => {
            for (attr, entry) in block.body.items.iter().enumerate() {
                if matches!(entry, Item::Attribute(_)) {
                    ctx.diagnostics.extend(
                        queries::infer_local(db, file, index, attr as u32)
                            .1
                            .iter()
                            .cloned(),
                    );
                }
            }
        }
        DefKind::Resource | DefKind::Data => ctx.check_resource(block, kind),
        DefKind::Module => ctx.check_module_call(block),
        DefKind::Output => ctx.check_output(block, file, index),
        DefKind::Provider => ctx.check_provider(block),
        DefKind::Settings => ctx.check_settings(block),
        DefKind::Moved => ctx.check_moved(block),
        DefKind::Removed => ctx.check_removed(block),
        DefKind::Import => ctx.check_import(block),
        DefKind::Ephemeral => ctx.check_ephemeral(block),
        DefKind::Check => ctx.check_check(block),
    }
    Some(ctx)
}

/// The type of `expr`, an expression written in `item` but not necessarily part of it (the
/// text before a `.` being completed, an argument the check does not infer), in the item's
/// `count` / `for_each` context. Diagnostics are dropped.
pub fn expr_type_in_item(db: &dyn Db, item: ItemRef, expr: &skel_syntax::Expr) -> Type {
    let mut ctx = InferCtx::new(db, item);
    if let Some(ast) = skel_db::item_ast(db, item.file, item.index) {
        if let Item::Block(block) = &*ast {
            if matches!(
                block.ident.name.as_str(),
                "resource" | "data" | "module" | "import"
            ) {
                ctx.check_repetition(&block.body);
            }
        }
    }
    ctx.infer(expr)
}

impl InferCtx<'_> {
    fn check_variable(&mut self, block: &Block) {
        let name = block.label(0).unwrap_or_default().to_string();
        let mut declared = Type::Dynamic;
        for attr in block.body.attributes() {
            match attr.name.name.as_str() {
                "type" => match crate::constraint::type_from_expr(&attr.expr) {
                    Ok(t) => {
                        declared = t;
                        self.warn_legacy_types(&attr.expr);
                    }
                    Err(e) => {
                        self.error(
                            Code::InvalidTypeConstraint,
                            e.range,
                            "Invalid type constraint",
                        )
                        .with_span_message(e.message)
                        .help = e.help;
                    }
                },
                "description" => {
                    self.expect(&attr.expr, &Type::String, "`description`");
                }
                "sensitive" | "nullable" | "ephemeral" => {
                    self.expect(&attr.expr, &Type::Bool, &format!("`{}`", attr.name.name));
                }
                "default" => {}
                other => {
                    self.error(Code::UnknownArgument, attr.name.range, format!("Unsupported argument `{other}` in a variable"))
                        .help = did_you_mean(other, ["type", "default", "description", "sensitive", "nullable", "ephemeral"])
                        .or_else(|| Some("a variable takes `type`, `default`, `description`, `sensitive`, `nullable` and `validation` blocks".into()));
                }
            }
        }
        if let Some(default) = block.body.attribute("default") {
            match constant_value(&default.expr) {
                Some(value) => {
                    let nullable = block
                        .body
                        .attribute("nullable")
                        .and_then(|a| constant_value(&a.expr))
                        .and_then(|v| v.as_bool())
                        .unwrap_or(true);
                    if !(value.is_null() && nullable) {
                        match skel_value::convert(&value, &declared) {
                            Err(e) => {
                                self.error(
                                    Code::InvalidVariableDefault,
                                    default.expr.range,
                                    "Invalid default value for variable",
                                )
                                .with_span_message(format!("this default is not a {declared}: {e}"))
                                .help = Some("change the default or the `type`".into());
                            }
                            Ok(converted) => {
                                let span = self.span(default.expr.range);
                                let failures = crate::validate::validation_diagnostics(
                                    self.db, self.item, &converted, span, &name,
                                );
                                self.diagnostics.extend(failures);
                            }
                        }
                    }
                }
                None => {
                    let saved = std::mem::replace(&mut self.policy, RefPolicy::None);
                    self.infer(&default.expr);
                    self.policy = saved;
                    if !self
                        .diagnostics
                        .iter()
                        .any(|d| d.code == Code::InvalidVariableDefault)
                    {
                        self.error(
                            Code::InvalidVariableDefault,
                            default.expr.range,
                            "Invalid default value for variable",
                        )
                        .with_span_message(non_constant_reason(&default.expr))
                        .help = Some(
                            "a default must be a literal value; compute derived values in `locals`"
                                .into(),
                        );
                    }
                }
            }
        }
        for inner in block.body.blocks() {
            if inner.ident.name != "validation" {
                self.error(
                    Code::UnknownBlockType,
                    inner.ident.range,
                    format!("Unsupported block `{}` in a variable", inner.ident.name),
                )
                .help = Some("a variable takes only `validation` blocks".into());
                continue;
            }
            let saved = std::mem::replace(&mut self.policy, RefPolicy::OnlyVariable(name.clone()));
            self.check_condition_block(inner);
            self.policy = saved;
        }
    }

    /// Terraform 0.11 spellings in a type constraint: bare `list`/`map`/`set`, quoted names.
    fn warn_legacy_types(&mut self, expr: &skel_syntax::Expr) {
        use skel_syntax::ExprKind;
        match &expr.kind {
            ExprKind::Variable(v) if matches!(v.name.as_str(), "list" | "map" | "set") => {
                self.error(Code::LegacyType, expr.range, "Legacy type constraint")
                    .with_span_message(format!("`{0}` alone means `{0}(any)`", v.name))
                    .help = Some(format!("write `{}(TYPE)` with the element type", v.name));
            }
            ExprKind::Template(t) => {
                let name = t.as_literal().unwrap_or_default();
                self.error(Code::LegacyType, expr.range, "Legacy type constraint")
                    .with_span_message(format!("the quoted type `\"{name}\"`"))
                    .help =
                    Some("write the type without quotes, e.g. `string` or `list(string)`".into());
            }
            ExprKind::Call { name, args, .. } => {
                // `optional(T, default)`: only `T` is a type; the default is a value.
                let types = if name.name == "optional" {
                    &args[..args.len().min(1)]
                } else {
                    &args[..]
                };
                for arg in types {
                    self.warn_legacy_types(arg);
                }
            }
            ExprKind::Tuple(items) => items.iter().for_each(|e| self.warn_legacy_types(e)),
            ExprKind::Object(items) => items.iter().for_each(|i| self.warn_legacy_types(&i.value)),
            ExprKind::Parens(inner) => self.warn_legacy_types(inner),
            _ => {}
        }
    }

    pub(crate) fn check_resource(&mut self, block: &Block, kind: DefKind) {
        let type_name = block.label(0).unwrap_or_default();
        let file = self.item.file;
        let (schema, meta) = if kind == DefKind::Resource {
            (
                crate::schemas::resource(self.db, file, type_name),
                Meta::Resource,
            )
        } else {
            (
                crate::schemas::data_source(self.db, file, type_name),
                Meta::Data,
            )
        };
        self.check_repetition(&block.body);
        self.check_durations(block);
        let Some(schema) = schema else {
            let (code, what, all) = if kind == DefKind::Resource {
                (
                    Code::UnknownResourceType,
                    "resource",
                    crate::schemas::all_resource_types(self.db, file),
                )
            } else {
                (
                    Code::UnknownDataSource,
                    "data source",
                    crate::schemas::all_data_source_types(self.db, file),
                )
            };
            let label = &block.labels[0];
            let provider = skel_schema::provider_for_type(type_name);
            if let Some((source, why)) = crate::schemas::missing_plugin(self.db, file, provider) {
                self.error(
                    Code::ProviderNotInstalled,
                    label.range,
                    format!("The schema of provider `{source}` is not installed"),
                )
                .with_span_message(why)
                .help = Some(format!(
                    "run `skelc init` to install `{source}` and store its schema"
                ));
            } else {
                self.error(
                    code,
                    label.range,
                    format!("Unknown {what} type `{type_name}`"),
                )
                .with_span_message(format!("no provider defines this {what} type"))
                .help = did_you_mean(type_name, all.iter().copied()).or_else(|| {
                    crate::schemas::provider(self.db, file, provider).map(|p| {
                        let names: Vec<&str> = if kind == DefKind::Resource {
                            p.resources.keys().map(String::as_str).collect()
                        } else {
                            p.data_sources.keys().map(String::as_str).collect()
                        };
                        format!("provider `{provider}` has: {}", names.join(", "))
                    })
                });
            }
            // Still check the expressions for unresolved references and type errors (not
            // `provider = aws.west`, which names a provider configuration, not a value).
            for attr in block
                .body
                .attributes()
                .filter(|a| a.name.name != "provider")
            {
                self.infer(&attr.expr);
            }
            return;
        };
        let self_type = schema.computed_object_type();
        self.check_body(&block.body, &schema.block, meta, block.header_range());
        self.check_meta_arguments(&block.body, &schema.block, meta, &self_type);
    }

    fn check_module_call(&mut self, block: &Block) {
        self.check_repetition(&block.body);
        let source = block.body.attribute("source");
        let child = match source {
            None => {
                self.error(
                    Code::MissingArgument,
                    block.header_range(),
                    "Missing `source` in module call",
                )
                .help =
                    Some("set `source = \"./modules/NAME\"` to a directory of .skel files".into());
                None
            }
            Some(attr) => {
                match attr.expr.as_literal_string() {
                    None => {
                        self.error(
                            Code::InvalidExpression,
                            attr.expr.range,
                            "A module `source` must be a literal string",
                        );
                        None
                    }
                    Some(text) => match block.labels.first().and_then(|l| {
                        skel_hir::resolve_module_source(self.db, self.dir, &l.value, &text)
                    }) {
                        None => {
                            self.report_unresolved_source(block, &text, attr.expr.range);
                            None
                        }
                        Some(dir)
                            if !dir.exists(self.db)
                                && skel_hir::source::SourceAddr::parse(&text)
                                    .is_ok_and(|a| a.is_remote()) =>
                        {
                            let shown = dir.path(self.db).display().to_string();
                            self.error(
                                Code::ModuleNotInstalled,
                                attr.expr.range,
                                "Module not installed; run `skelc init`",
                            )
                            .with_span_message(format!("the installed module `{shown}` is gone"))
                            .help = Some("run `skelc init` in the root module's directory".into());
                            None
                        }
                        Some(dir) if !dir.exists(self.db) || dir.skel_files(self.db).is_empty() => {
                            let what = if dir.exists(self.db) {
                                "has no .skel files"
                            } else {
                                "does not exist"
                            };
                            let shown = dir.path(self.db).display().to_string();
                            self.error(
                                Code::ModuleNotFound,
                                attr.expr.range,
                                "Module source not found",
                            )
                            .with_span_message(format!("`{shown}` {what}"));
                            None
                        }
                        Some(dir) => {
                            if self.module_reaches(dir, self.dir) {
                                self.error(Code::ReferenceCycle, attr.expr.range, "Module calls itself")
                                .with_span_message("this module is reached again through its own calls")
                                .help = Some("modules must form a tree; move shared parts into a third module".into());
                                None
                            } else {
                                Some(dir)
                            }
                        }
                    },
                }
            }
        };
        self.check_module_version(block);
        if let Some(deps) = block.body.attribute("depends_on") {
            self.check_depends_on(&deps.expr);
        }
        if let Some(providers) = block.body.attribute("providers") {
            match &providers.expr.kind {
                skel_syntax::ExprKind::Object(items) => {
                    for item in items {
                        self.check_provider_ref(&item.value);
                    }
                }
                _ => {
                    self.error(
                        Code::InvalidMetaArgument,
                        providers.expr.range,
                        "`providers` must be an object like `{ aws = aws.west }`",
                    );
                }
            }
        }
        for inner in block.body.blocks() {
            self.error(
                Code::UnknownBlockType,
                inner.ident.range,
                format!("Unsupported block `{}` in a module call", inner.ident.name),
            )
            .help = Some("module inputs are arguments: `name = value`".into());
        }
        let meta = skel_hir::resolve::MODULE_META_ATTRS;
        let Some(child) = child else {
            for attr in block
                .body
                .attributes()
                .filter(|a| !meta.contains(&a.name.name.as_str()))
            {
                self.infer(&attr.expr);
            }
            return;
        };
        let child_index = skel_hir::module_index(self.db, child).clone();
        for attr in block.body.attributes() {
            let name = attr.name.name.as_str();
            if meta.contains(&name) {
                continue;
            }
            match child_index.variables.get(name) {
                Some(def) => {
                    let want = queries::variable_constraint(self.db, def.item.file, def.item.index);
                    self.expect(&attr.expr, &want, &format!("module input `{name}`"));
                    // A constant input can be validated against the child's conditions now.
                    if let Some(value) = crate::constant::constant_value(&attr.expr) {
                        if let Ok(value) = skel_value::convert(&value, &want) {
                            let span = self.span(attr.expr.range);
                            let failures = crate::validate::validation_diagnostics(
                                self.db, def.item, &value, span, name,
                            );
                            self.diagnostics.extend(failures);
                        }
                    }
                }
                None => {
                    self.infer(&attr.expr);
                    self.error(Code::UnknownModuleInput, attr.name.range, format!("Module has no variable `{name}`"))
                        .with_span_message("this argument is not an input of the module")
                        .help = did_you_mean(name, child_index.variables.keys().map(String::as_str))
                        .or_else(|| Some(format!("declare `variable \"{name}\" {{}}` in the module, or remove the argument")));
                }
            }
        }
        let mut missing = Vec::new();
        for (name, def) in &child_index.variables {
            if block.body.attribute(name).is_some() {
                continue;
            }
            let Some(ast) = skel_db::item_ast(self.db, def.item.file, def.item.index) else {
                continue;
            };
            let Item::Block(var_block) = &*ast else {
                continue;
            };
            if var_block.body.attribute("default").is_none() {
                missing.push((name.clone(), def.item.span(def.name_range)));
            }
        }
        if !missing.is_empty() {
            let names = missing
                .iter()
                .map(|(n, _)| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ");
            let mut d = self.error(
                Code::MissingModuleInput,
                block.header_range(),
                format!(
                    "Missing required module input{}",
                    if missing.len() == 1 { "" } else { "s" }
                ),
            );
            d.span_message = format!("{names} must be set");
            d.help = Some(format!(
                "add {}",
                missing
                    .iter()
                    .map(|(n, _)| format!("`{n} = …`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            for (name, span) in missing {
                d.labels.push(skel_db::Label {
                    span,
                    message: format!("`{name}` declared here without a default"),
                });
            }
        }
    }

    /// Whether `target` is reachable from `from` through module calls.
    fn module_reaches(&self, from: skel_db::Directory, target: skel_db::Directory) -> bool {
        let mut stack = vec![from];
        let mut seen = std::collections::HashSet::new();
        while let Some(dir) = stack.pop() {
            if dir == target {
                return true;
            }
            if seen.insert(dir) {
                stack.extend(skel_hir::module_sources(self.db, dir).iter().copied());
            }
        }
        false
    }

    fn check_output(&mut self, block: &Block, file: File, index: u32) {
        match block.body.attribute("value") {
            // The value is inferred by its own query (callers read its type); recording
            // infers it here again.
            Some(value) if self.is_recording() => {
                self.infer(&value.expr);
            }
            Some(_) => self.diagnostics.extend(
                queries::infer_output(self.db, file, index)
                    .1
                    .iter()
                    .cloned(),
            ),
            None => {
                self.error(
                    Code::MissingArgument,
                    block.header_range(),
                    "Missing `value` in output",
                )
                .help = Some("set `value = …` to the value to export".into());
            }
        }
        for attr in block.body.attributes() {
            match attr.name.name.as_str() {
                "value" => {}
                "description" => {
                    self.expect(&attr.expr, &Type::String, "`description`");
                }
                "sensitive" | "ephemeral" => {
                    self.expect(&attr.expr, &Type::Bool, &format!("`{}`", attr.name.name));
                }
                "depends_on" => self.check_depends_on(&attr.expr),
                other => {
                    self.error(
                        Code::UnknownArgument,
                        attr.name.range,
                        format!("Unsupported argument `{other}` in an output"),
                    )
                    .help = did_you_mean(
                        other,
                        [
                            "value",
                            "description",
                            "sensitive",
                            "ephemeral",
                            "depends_on",
                        ],
                    );
                }
            }
        }
        for inner in block.body.blocks() {
            if inner.ident.name == "precondition" {
                self.check_condition_block(inner);
            } else {
                self.error(
                    Code::UnknownBlockType,
                    inner.ident.range,
                    format!("Unsupported block `{}` in an output", inner.ident.name),
                );
            }
        }
    }

    fn check_provider(&mut self, block: &Block) {
        let name = block.label(0).unwrap_or_default();
        let file = self.item.file;
        let Some(provider) = crate::schemas::provider(self.db, file, name) else {
            if let Some((source, why)) = crate::schemas::missing_plugin(self.db, file, name) {
                self.error(
                    Code::ProviderNotInstalled,
                    block.labels[0].range,
                    format!("The schema of provider `{source}` is not installed"),
                )
                .with_span_message(why)
                .help = Some(format!(
                    "run `skelc init` to install `{source}` and store its schema"
                ));
                return;
            }
            let names: Vec<&str> = crate::schemas::providers(self.db, file)
                .into_iter()
                .map(|p| p.name.as_str())
                .collect();
            self.error(
                Code::UnknownProvider,
                block.labels[0].range,
                format!("Unknown provider `{name}`"),
            )
            .help = did_you_mean(name, names.iter().copied())
                .or_else(|| Some(format!("available providers: {}", names.join(", "))));
            return;
        };
        let mut schema: BlockSchema = provider.config.clone();
        for (arg, ty, doc) in [
            (
                "alias",
                Type::String,
                "A name for this configuration, referred to as `NAME.ALIAS`.",
            ),
            (
                "parallelism",
                Type::Number,
                "At most this many operations at once through this provider configuration.",
            ),
        ] {
            schema.attributes.insert(
                arg.into(),
                skel_schema::AttributeSchema {
                    ty,
                    required: false,
                    optional: true,
                    computed: false,
                    sensitive: false,
                    force_new: false,
                    derived_from: Vec::new(),
                    description: doc.into(),
                    default: None,
                    deprecated: None,
                    removed: None,
                },
            );
        }
        self.check_body(&block.body, &schema, Meta::None, block.header_range());
    }

    fn check_settings(&mut self, block: &Block) {
        let item = self.item;
        let providers = skel_hir::providers::module_providers(self.db, self.dir);
        self.diagnostics.extend(
            providers
                .diagnostics
                .iter()
                .filter(|d| d.span.file == item.file && d.span.item == Some(item.index))
                .cloned(),
        );
        for attr in block.body.attributes() {
            match attr.name.name.as_str() {
                "required_version" => {
                    self.expect(&attr.expr, &Type::String, "`required_version`");
                }
                "experiments" => {}
                other => {
                    self.error(
                        Code::UnknownArgument,
                        attr.name.range,
                        format!("Unsupported argument `{other}` in the settings block"),
                    )
                    .help = did_you_mean(other, ["required_version", "experiments"]);
                }
            }
        }
        for inner in block.body.blocks() {
            match inner.ident.name.as_str() {
                "required_providers" => {
                    for attr in inner.body.attributes() {
                        let ok = matches!(
                            &attr.expr.kind,
                            skel_syntax::ExprKind::Object(_) | skel_syntax::ExprKind::Template(_)
                        );
                        if !ok {
                            self.error(
                                Code::TypeMismatch,
                                attr.expr.range,
                                "A required provider is `{ source = \"…\", version = \"…\" }`",
                            );
                        }
                    }
                }
                "backend" => self.check_backend(inner),
                "cloud" | "provider_meta" => {}
                "encryption" => self.check_encryption(inner),
                other => {
                    self.error(
                        Code::UnknownBlockType,
                        inner.ident.range,
                        format!("Unsupported block `{other}` in the settings block"),
                    )
                    .help = did_you_mean(other, ["required_providers", "backend", "encryption"]);
                }
            }
        }
    }
}

/// Whether `found` can be used where `want` is required (used by the CLI for `-var` values).
pub fn accepts(found: &Type, want: &Type) -> bool {
    conversion(found, want) != Conversion::Impossible
}
