//! Lowering one module: each top-level block of the directory, in source order.

use skel_db::{Db, Directory, File, ItemRef};
use skel_hir::{DefKind, ModuleIndex};
use skel_plan_ir::{
    IgnoreChanges, Lifecycle, LocalConfig, ModuleCall, ModuleConfig, OutputConfig, ProviderConfig,
    ProviderRef, Provisioner, Reference, ResourceConfig, ResourceMode, SourceLocation, Validation,
    VariableConfig,
};
use skel_syntax::{Block, Body, Expr, ExprKind, Item, Step, TextSize};
use skel_value::{Type, Value};

use skel_hir::resolve::{
    depends_on_target, DependsOn, MODULE_META_ATTRS, PROVISIONER_META_ATTRS, RESOURCE_META_ATTRS,
    RESOURCE_META_BLOCKS,
};

use crate::refs::RefCollector;
use crate::{LowerError, ModuleTree};

pub(crate) fn lower_module(
    db: &dyn Db,
    dir: Directory,
    tree: &mut ModuleTree,
) -> Result<ModuleConfig, LowerError> {
    let index = skel_hir::module_index(db, dir);
    let mut module = ModuleConfig {
        dir: crate::absolute(dir.path(db)),
        variables: Vec::new(),
        locals: Vec::new(),
        resources: Vec::new(),
        module_calls: Vec::new(),
        outputs: Vec::new(),
        providers: Vec::new(),
        required_providers: skel_hir::providers::module_providers(db, dir)
            .requirements
            .iter()
            .filter_map(|r| {
                Some(skel_plan_ir::RequiredProvider {
                    local_name: r.local_name.clone(),
                    source: r.source.as_ref()?.to_string(),
                    constraint: r.constraint.clone(),
                    builtin: r.builtin,
                })
            })
            .collect(),
        moved: Vec::new(),
        removed: Vec::new(),
        imports: Vec::new(),
        checks: Vec::new(),
    };
    for &(kind, item) in &index.items {
        let parse = skel_db::parse(db, item.file);
        let Some(top) = parse.file.items.get(item.index as usize) else {
            continue;
        };
        // The block as override files leave it.
        let Some(ast) = skel_db::item_ast(db, item.file, item.index) else {
            continue;
        };
        let Item::Block(block) = &*ast else {
            continue;
        };
        let cx = BlockCx {
            db,
            file: item.file,
            offset: top.offset,
            index,
        };
        match kind {
            DefKind::Variable => module.variables.push(cx.variable(item, block)?),
            DefKind::Locals => module.locals.extend(cx.locals(block)),
            DefKind::Resource => module
                .resources
                .push(cx.resource(ResourceMode::Managed, block)?),
            DefKind::Data => module
                .resources
                .push(cx.resource(ResourceMode::Data, block)?),
            DefKind::Module => module.module_calls.push(cx.module_call(item, block, tree)?),
            DefKind::Output => module.outputs.push(cx.output(block)?),
            DefKind::Provider => module.providers.push(cx.provider(block)?),
            DefKind::Settings => {}
            DefKind::Moved => module.moved.push(cx.moved(block)?),
            DefKind::Removed => module.removed.push(cx.removed(block)?),
            DefKind::Import => module.imports.push(cx.import(block)?),
            // Every `ephemeral` block is a check error: nothing reaches here to lower.
            DefKind::Ephemeral => {}
            DefKind::Check => module.checks.push(cx.check(block)?),
        }
    }
    Ok(module)
}

/// What lowering one top-level block needs: its file, its absolute start and the module index.
pub(crate) struct BlockCx<'a> {
    db: &'a dyn Db,
    file: File,
    offset: TextSize,
    index: &'a ModuleIndex,
}

impl BlockCx<'_> {
    /// The location of an item-relative offset.
    fn at(&self, relative: TextSize) -> SourceLocation {
        crate::location(self.db, self.file, self.offset.saturating_add(relative))
    }

    pub(crate) fn block_location(&self, block: &Block) -> SourceLocation {
        self.at(block.ident.range.start())
    }

    pub(crate) fn error(&self, relative: TextSize, message: impl Into<String>) -> LowerError {
        LowerError::at(self.at(relative), message)
    }

    /// A `condition` + `error_message` block (`validation`, `precondition`, `postcondition`,
    /// `assert`) as a [`Validation`].
    pub(crate) fn condition(&self, block: &Block) -> Result<Validation, LowerError> {
        let article = if block.ident.name.starts_with('a') {
            "an"
        } else {
            "a"
        };
        let attr = |name: &str| {
            block
                .body
                .attribute(name)
                .map(|a| a.expr.clone())
                .ok_or_else(|| {
                    self.error(
                        block.ident.range.start(),
                        format!("{article} `{}` block needs `{name}`", block.ident.name),
                    )
                })
        };
        Ok(Validation {
            condition: attr("condition")?,
            error_message: attr("error_message")?,
            location: self.block_location(block),
        })
    }

    pub(crate) fn label<'b>(
        &self,
        block: &'b Block,
        index: usize,
        what: &str,
    ) -> Result<&'b str, LowerError> {
        block.label(index).ok_or_else(|| {
            self.error(
                block.ident.range.start(),
                format!("a `{}` block needs its {what} label", block.ident.name),
            )
        })
    }

    pub(crate) fn references(&self, f: impl FnOnce(&mut RefCollector)) -> Vec<Reference> {
        let mut collector = RefCollector::new(self.index);
        f(&mut collector);
        collector.finish()
    }

    /// A constant argument converted to `ty`; `None` when absent or `null`.
    fn constant(&self, body: &Body, name: &str, ty: &Type) -> Result<Option<Value>, LowerError> {
        let Some(attr) = body.attribute(name) else {
            return Ok(None);
        };
        let value = skel_types::constant_value(&attr.expr).ok_or_else(|| {
            self.error(
                attr.expr.range.start(),
                format!("`{name}` must be a literal value"),
            )
        })?;
        let value = skel_value::convert(&value, ty)
            .map_err(|e| self.error(attr.expr.range.start(), format!("invalid `{name}`: {e}")))?;
        Ok((value != Value::Null).then_some(value))
    }

    pub(crate) fn constant_bool(
        &self,
        body: &Body,
        name: &str,
    ) -> Result<Option<bool>, LowerError> {
        Ok(self
            .constant(body, name, &Type::Bool)?
            .and_then(|v| v.as_bool()))
    }

    fn constant_string(&self, body: &Body, name: &str) -> Result<Option<String>, LowerError> {
        Ok(self
            .constant(body, name, &Type::String)?
            .and_then(|v| v.as_str().map(str::to_string)))
    }

    fn variable(&self, item: ItemRef, block: &Block) -> Result<VariableConfig, LowerError> {
        let name = self.label(block, 0, "name")?.to_string();
        let body = &block.body;
        let ty = skel_types::variable_type(self.db, item.file, item.index);
        let default = match body.attribute("default") {
            None => None,
            Some(attr) => {
                let value = skel_types::constant_value(&attr.expr).ok_or_else(|| {
                    self.error(
                        attr.expr.range.start(),
                        format!("the default of variable `{name}` must be a literal value"),
                    )
                })?;
                Some(skel_value::convert(&value, &ty).map_err(|e| {
                    self.error(
                        attr.expr.range.start(),
                        format!(
                            "the default of variable `{name}` does not match its type {ty}: {e}"
                        ),
                    )
                })?)
            }
        };
        let validations = body
            .blocks_of("validation")
            .map(|v| self.condition(v))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(VariableConfig {
            name,
            default,
            sensitive: self.constant_bool(body, "sensitive")?.unwrap_or(false),
            ephemeral: self.constant_bool(body, "ephemeral")?.unwrap_or(false),
            nullable: self.constant_bool(body, "nullable")?.unwrap_or(true),
            description: self.constant_string(body, "description")?,
            validations,
            ty,
            location: self.block_location(block),
        })
    }

    fn locals(&self, block: &Block) -> Vec<LocalConfig> {
        block
            .body
            .attributes()
            .map(|attr| LocalConfig {
                name: attr.name.name.clone(),
                expr: attr.expr.clone(),
                references: self.references(|r| r.expr(&attr.expr)),
                location: self.at(attr.name.range.start()),
            })
            .collect()
    }

    pub(crate) fn resource(
        &self,
        mode: ResourceMode,
        block: &Block,
    ) -> Result<ResourceConfig, LowerError> {
        let type_name = self.label(block, 0, "type")?.to_string();
        let name = self.label(block, 1, "name")?.to_string();
        let body = &block.body;
        let provider = match body.attribute("provider") {
            Some(attr) => provider_ref(&attr.expr).ok_or_else(|| {
                self.error(
                    attr.expr.range.start(),
                    "`provider` must be a provider reference like `aws` or `aws.west`",
                )
            })?,
            None => ProviderRef {
                name: skel_schema::provider_for_type(&type_name).to_string(),
                alias: None,
            },
        };
        let count = body.attribute("count").map(|a| a.expr.clone());
        let for_each = body.attribute("for_each").map(|a| a.expr.clone());
        let depends_on_expr = body.attribute("depends_on").map(|a| &a.expr);
        let depends_on = match depends_on_expr {
            Some(expr) => self.depends_on(expr)?,
            None => Vec::new(),
        };
        let lowered_body = Body {
            items: body
                .items
                .iter()
                .filter(|item| match item {
                    Item::Attribute(a) => !RESOURCE_META_ATTRS.contains(&a.name.name.as_str()),
                    Item::Block(b) => !RESOURCE_META_BLOCKS.contains(&b.ident.name.as_str()),
                    Item::Error(_) => true,
                })
                .cloned()
                .collect(),
        };
        let connection = body.blocks_of("connection").next().map(|b| b.body.clone());
        let mut lifecycle = Lifecycle::default();
        for block in body.blocks_of("lifecycle") {
            self.lifecycle(block, &mut lifecycle)?;
        }
        let provisioners = body
            .blocks_of("provisioner")
            .map(|b| self.provisioner(b, connection.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        let references = self.references(|r| {
            r.body(&lowered_body);
            for expr in [&count, &for_each].into_iter().flatten() {
                r.expr(expr);
            }
            if let Some(expr) = depends_on_expr {
                r.expr(expr);
            }
            for expr in &lifecycle.replace_triggered_by {
                r.expr(expr);
            }
            for v in lifecycle
                .preconditions
                .iter()
                .chain(&lifecycle.postconditions)
            {
                r.expr(&v.condition);
                r.expr(&v.error_message);
            }
            for provisioner in &provisioners {
                r.body(&provisioner.body);
                if let Some(c) = &provisioner.connection {
                    r.body(c);
                }
            }
            if let Some(c) = &connection {
                r.body(c);
            }
        });
        Ok(ResourceConfig {
            mode,
            type_name,
            name,
            provider,
            count,
            for_each,
            body: lowered_body,
            depends_on,
            references,
            lifecycle,
            provisioners,
            connection,
            location: self.block_location(block),
        })
    }

    fn lifecycle(&self, block: &Block, lifecycle: &mut Lifecycle) -> Result<(), LowerError> {
        let body = &block.body;
        if let Some(b) = self.constant_bool(body, "create_before_destroy")? {
            lifecycle.create_before_destroy = b;
        }
        if let Some(b) = self.constant_bool(body, "prevent_destroy")? {
            lifecycle.prevent_destroy = b;
        }
        if let Some(attr) = body.attribute("ignore_changes") {
            let invalid = || {
                self.error(
                    attr.expr.range.start(),
                    "`ignore_changes` must be `all` or a list of argument names",
                )
            };
            lifecycle.ignore_changes = match &attr.expr.kind {
                ExprKind::Variable(v) if v.name == "all" => IgnoreChanges::All,
                ExprKind::Tuple(items) => {
                    let mut names = Vec::new();
                    for item in items {
                        let name = match item.as_traversal() {
                            Some((root, _)) => root.name.clone(),
                            None => item.as_literal_string().ok_or_else(invalid)?,
                        };
                        if !names.contains(&name) {
                            names.push(name);
                        }
                    }
                    IgnoreChanges::Attributes(names)
                }
                _ => match attr.expr.as_literal_string().as_deref() {
                    Some("all") => IgnoreChanges::All,
                    _ => return Err(invalid()),
                },
            };
        }
        for condition in body.blocks() {
            let list = match condition.ident.name.as_str() {
                "precondition" => &mut lifecycle.preconditions,
                "postcondition" => &mut lifecycle.postconditions,
                _ => continue,
            };
            list.push(self.condition(condition)?);
        }
        if let Some(attr) = body.attribute("replace_triggered_by") {
            match &attr.expr.kind {
                ExprKind::Tuple(items) => {
                    lifecycle.replace_triggered_by.extend(items.iter().cloned())
                }
                _ => {
                    return Err(self.error(
                        attr.expr.range.start(),
                        "`replace_triggered_by` must be a list of references",
                    ))
                }
            }
        }
        Ok(())
    }

    fn provisioner(
        &self,
        block: &Block,
        resource_connection: Option<&Body>,
    ) -> Result<Provisioner, LowerError> {
        let kind = self.label(block, 0, "type")?.to_string();
        let keyword = |name: &str, yes: &str, no: &str| -> Result<bool, LowerError> {
            let Some(attr) = block.body.attribute(name) else {
                return Ok(false);
            };
            let word = match &attr.expr.kind {
                ExprKind::Variable(ident) => Some(ident.name.clone()),
                _ => attr.expr.as_literal_string(),
            };
            match word.as_deref() {
                Some(w) if w == yes => Ok(true),
                Some(w) if w == no => Ok(false),
                _ => Err(self.error(
                    attr.expr.range.start(),
                    format!("`{name}` must be `{no}` or `{yes}`"),
                )),
            }
        };
        let when_destroy = keyword("when", "destroy", "create")?;
        let on_failure_continue = keyword("on_failure", "continue", "fail")?;
        let body = Body {
            items: block
                .body
                .items
                .iter()
                .filter(|item| match item {
                    Item::Attribute(a) => !PROVISIONER_META_ATTRS.contains(&a.name.name.as_str()),
                    Item::Block(b) => b.ident.name != "connection",
                    Item::Error(_) => true,
                })
                .cloned()
                .collect(),
        };
        let connection = block
            .body
            .blocks_of("connection")
            .next()
            .map(|b| b.body.clone())
            .or_else(|| resource_connection.cloned());
        Ok(Provisioner {
            kind,
            body,
            connection,
            when_destroy,
            on_failure_continue,
            location: self.block_location(block),
        })
    }

    /// `depends_on = [aws_vpc.main, data.aws_ami.x, module.net]` as references.
    fn depends_on(&self, expr: &Expr) -> Result<Vec<Reference>, LowerError> {
        let ExprKind::Tuple(items) = &expr.kind else {
            return Err(self.error(
                expr.range.start(),
                "`depends_on` must be a list of references",
            ));
        };
        let mut out = Vec::new();
        for item in items {
            let reference = depends_on_target(item).map(|target| match target {
                DependsOn::ModuleCall(name) => Reference::Module(name.name.clone()),
                DependsOn::Data { ty, name } => Reference::Resource {
                    mode: ResourceMode::Data,
                    type_name: ty.name.clone(),
                    name: name.name.clone(),
                },
                DependsOn::Resource { ty, name } => Reference::Resource {
                    mode: ResourceMode::Managed,
                    type_name: ty.name.clone(),
                    name: name.name.clone(),
                },
            });
            let reference = reference.ok_or_else(|| {
                self.error(
                    item.range.start(),
                    "a `depends_on` entry must name a resource, data source or module",
                )
            })?;
            if !out.contains(&reference) {
                out.push(reference);
            }
        }
        Ok(out)
    }

    fn module_call(
        &self,
        item: ItemRef,
        block: &Block,
        tree: &mut ModuleTree,
    ) -> Result<ModuleCall, LowerError> {
        let name = self.label(block, 0, "name")?.to_string();
        let body = &block.body;
        let child = skel_types::module_call_dir(self.db, item.file, item.index)
            .filter(|dir| dir.exists(self.db))
            .ok_or_else(|| {
                self.error(
                    block.ident.range.start(),
                    format!("the source of module `{name}` is not an existing local directory"),
                )
            })?;
        let count = body.attribute("count").map(|a| a.expr.clone());
        let for_each = body.attribute("for_each").map(|a| a.expr.clone());
        let depends_on_expr = body.attribute("depends_on").map(|a| &a.expr);
        let depends_on = match depends_on_expr {
            Some(expr) => self.depends_on(expr)?,
            None => Vec::new(),
        };
        let inputs: Vec<(String, Expr)> = body
            .attributes()
            .filter(|a| !MODULE_META_ATTRS.contains(&a.name.name.as_str()))
            .map(|a| (a.name.name.clone(), a.expr.clone()))
            .collect();
        let mut providers = Vec::new();
        if let Some(attr) = body.attribute("providers") {
            let ExprKind::Object(items) = &attr.expr.kind else {
                return Err(self.error(
                    attr.expr.range.start(),
                    "`providers` must be an object like `{ aws = aws.west }`",
                ));
            };
            for entry in items {
                let pair = provider_ref(&entry.key).zip(provider_ref(&entry.value));
                let pair = pair.ok_or_else(|| {
                    self.error(
                        entry.key.range.start(),
                        "a `providers` entry maps a provider name to a configuration, like `aws = aws.west`",
                    )
                })?;
                providers.push(pair);
            }
        }
        let references = self.references(|r| {
            for (_, expr) in &inputs {
                r.expr(expr);
            }
            for expr in [&count, &for_each].into_iter().flatten() {
                r.expr(expr);
            }
            if let Some(expr) = depends_on_expr {
                r.expr(expr);
            }
        });
        Ok(ModuleCall {
            name,
            module: tree.id(child),
            count,
            for_each,
            inputs,
            providers,
            depends_on,
            references,
            location: self.block_location(block),
        })
    }

    fn output(&self, block: &Block) -> Result<OutputConfig, LowerError> {
        let name = self.label(block, 0, "name")?.to_string();
        let body = &block.body;
        let expr = body
            .attribute("value")
            .map(|a| a.expr.clone())
            .ok_or_else(|| {
                self.error(
                    block.ident.range.start(),
                    format!("output `{name}` has no `value`"),
                )
            })?;
        let depends_on_expr = body.attribute("depends_on").map(|a| &a.expr);
        let depends_on = match depends_on_expr {
            Some(e) => self.depends_on(e)?,
            None => Vec::new(),
        };
        let preconditions = body
            .blocks_of("precondition")
            .map(|c| self.condition(c))
            .collect::<Result<Vec<_>, _>>()?;
        let references = self.references(|r| {
            r.expr(&expr);
            if let Some(e) = depends_on_expr {
                r.expr(e);
            }
            for v in &preconditions {
                r.expr(&v.condition);
                r.expr(&v.error_message);
            }
        });
        Ok(OutputConfig {
            preconditions,
            name,
            sensitive: self.constant_bool(body, "sensitive")?.unwrap_or(false),
            ephemeral: self.constant_bool(body, "ephemeral")?.unwrap_or(false),
            description: self.constant_string(body, "description")?,
            expr,
            depends_on,
            references,
            location: self.block_location(block),
        })
    }

    fn provider(&self, block: &Block) -> Result<ProviderConfig, LowerError> {
        let name = self.label(block, 0, "name")?.to_string();
        let body = &block.body;
        let alias = self.constant_string(body, "alias")?;
        let parallelism = match self.constant(body, "parallelism", &Type::Number)? {
            None => None,
            Some(value) => {
                let n = value.as_number().map(|n| n.0).unwrap_or(f64::NAN);
                if !(n.fract() == 0.0 && (1.0..=f64::from(u32::MAX)).contains(&n)) {
                    let at = body
                        .attribute("parallelism")
                        .map_or(block.ident.range.start(), |a| a.expr.range.start());
                    return Err(self.error(at, "`parallelism` must be a positive whole number"));
                }
                Some(n as u32)
            }
        };
        let lowered_body = Body {
            items: body
                .items
                .iter()
                .filter(|item| {
                    !matches!(item, Item::Attribute(a) if a.name.name == "alias" || a.name.name == "parallelism")
                })
                .cloned()
                .collect(),
        };
        let references = self.references(|r| r.body(&lowered_body));
        Ok(ProviderConfig {
            name,
            alias,
            body: lowered_body,
            parallelism,
            references,
            location: self.block_location(block),
        })
    }
}

/// `aws`, `aws.west` (or the legacy `"aws.west"`) as a provider reference.
fn provider_ref(expr: &Expr) -> Option<ProviderRef> {
    if let Some(text) = expr.as_literal_string() {
        let (name, alias) = match text.split_once('.') {
            Some((name, alias)) => (name.to_string(), Some(alias.to_string())),
            None => (text, None),
        };
        return (!name.is_empty()).then_some(ProviderRef { name, alias });
    }
    if let ExprKind::Parens(inner) = &expr.kind {
        return provider_ref(inner);
    }
    // `null.west` too: HCL reads the meta-argument as traversal syntax.
    let (root, steps) = expr.as_abs_traversal()?;
    let alias = match steps.as_slice() {
        [] => None,
        [Step::Attr(alias)] => Some(alias.name.clone()),
        _ => return None,
    };
    Some(ProviderRef {
        name: root.name,
        alias,
    })
}
