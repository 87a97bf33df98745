//! Meta-arguments: `depends_on`, `provider`, `lifecycle`, `provisioner` and `connection`, and
//! the built-in schemas of provisioners and connections.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use skel_db::{did_you_mean, Code};
use skel_schema::{connection_schema, provisioner_schema, AttributeSchema, BlockSchema};
use skel_syntax::{Block, Body, Expr, ExprKind, Step, TextRange};
use skel_value::Type;

use crate::body::Meta;
use crate::infer::InferCtx;

fn attr(ty: Type, required: bool, description: &str) -> AttributeSchema {
    AttributeSchema {
        ty,
        required,
        optional: !required,
        computed: false,
        sensitive: false,
        force_new: false,
        derived_from: Vec::new(),
        description: description.into(),
        default: None,
        deprecated: None,
        removed: None,
    }
}

fn schema(attrs: &[(&str, Type, bool, &str)]) -> BlockSchema {
    BlockSchema {
        attributes: attrs
            .iter()
            .map(|(n, t, r, d)| (n.to_string(), attr(t.clone(), *r, d)))
            .collect::<BTreeMap<_, _>>(),
        blocks: BTreeMap::new(),
        description: String::new(),
    }
}

/// The `lifecycle` block's arguments.
fn lifecycle_schema() -> &'static BlockSchema {
    static SCHEMA: OnceLock<BlockSchema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        schema(&[
            (
                "create_before_destroy",
                Type::Bool,
                false,
                "Create the replacement before destroying the old object.",
            ),
            (
                "prevent_destroy",
                Type::Bool,
                false,
                "Fail any plan that would destroy this object.",
            ),
            (
                "ignore_changes",
                Type::Dynamic,
                false,
                "Arguments whose changes are ignored after creation, or `all`.",
            ),
            (
                "replace_triggered_by",
                Type::Dynamic,
                false,
                "Replace this resource when any of these change.",
            ),
        ])
    })
}

impl InferCtx<'_> {
    /// Check the meta-arguments of a resource or data block (not `count`/`for_each`, which
    /// `check_repetition` handled first).
    pub fn check_meta_arguments(
        &mut self,
        body: &Body,
        resource_schema: &BlockSchema,
        meta: Meta,
        self_type: &Type,
    ) {
        if let Some(deps) = body.attribute("depends_on") {
            self.check_depends_on(&deps.expr);
        }
        if let Some(provider) = body.attribute("provider") {
            self.check_provider_ref(&provider.expr);
        }
        for block in body.blocks() {
            match block.ident.name.as_str() {
                "lifecycle" => self.check_lifecycle(block, resource_schema, self_type),
                "provisioner" if meta == Meta::Resource => self.check_provisioner(block, self_type),
                "connection" if meta == Meta::Resource => {
                    self.self_type = Some(self_type.clone());
                    self.check_body(
                        &block.body,
                        connection_schema(),
                        Meta::None,
                        block.ident.range,
                    );
                    self.self_type = None;
                }
                _ => {}
            }
        }
    }

    /// `depends_on = [aws_vpc.main, module.net, data.x.y]`: static references only.
    pub fn check_depends_on(&mut self, expr: &Expr) {
        let ExprKind::Tuple(items) = &expr.kind else {
            self.error(
                Code::InvalidMetaArgument,
                expr.range,
                "`depends_on` must be a list of references",
            )
            .help = Some("write `depends_on = [aws_vpc.main, module.network]`".into());
            return;
        };
        for item in items {
            let valid = skel_hir::resolve::depends_on_target(item).is_some();
            if !valid {
                self.error(
                    Code::InvalidMetaArgument,
                    item.range,
                    "Invalid `depends_on` entry",
                )
                .with_span_message("expected a reference to a resource, data source or module")
                .help = Some(
                    "depend on a whole object, like `aws_instance.web` or `module.network`".into(),
                );
                continue;
            }
            if let Some((whole, extra)) = depends_on_object(item) {
                let part = &item.range;
                self.error(
                    Code::DependsOnAttribute,
                    TextRange::new(extra, part.end()),
                    "`depends_on` names an attribute; the dependency is on the whole object",
                )
                .with_span_message("this part is ignored")
                .help = Some(format!(
                    "write `{whole}`: `depends_on` takes whole resources, data sources and modules"
                ));
            }
            self.infer(item);
        }
    }

    /// `provider = aws.west`: the configuration must be declared in this module.
    pub fn check_provider_ref(&mut self, expr: &Expr) {
        let Some((root, steps)) = expr.as_abs_traversal() else {
            self.error(
                Code::InvalidMetaArgument,
                expr.range,
                "`provider` must be a provider reference like `aws` or `aws.west`",
            );
            return;
        };
        let alias = match steps.as_slice() {
            [] => None,
            [skel_syntax::Step::Attr(a)] => Some(a.name.clone()),
            _ => {
                self.error(
                    Code::InvalidMetaArgument,
                    expr.range,
                    "`provider` must be a provider reference like `aws` or `aws.west`",
                );
                return;
            }
        };
        let Some(alias) = alias else { return };
        let key = (root.name.clone(), Some(alias.clone()));
        if self.index.providers.contains_key(&key)
            || self.declared_configuration_alias(&root.name, &alias)
        {
            return;
        }
        let known: Vec<String> = self
            .index
            .providers
            .keys()
            .filter_map(|(n, a)| a.as_ref().map(|a| format!("{n}.{a}")))
            .collect();
        self.error(
            Code::UnknownProvider,
            expr.range,
            format!("Unknown provider configuration `{}.{alias}`", root.name),
        )
        .with_span_message("no `provider` block with this alias in this module")
        .help = did_you_mean(
            &format!("{}.{alias}", root.name),
            known.iter().map(String::as_str),
        )
        .or_else(|| {
            Some(format!(
                "declare it: `provider \"{}\" {{ alias = \"{alias}\" }}`",
                root.name
            ))
        });
    }

    /// Whether the module's settings block lists `name.alias` in `configuration_aliases`.
    fn declared_configuration_alias(&self, name: &str, alias: &str) -> bool {
        let wanted = format!("{name}.{alias}");
        self.index.settings.iter().any(|item| {
            let Some(ast) = skel_db::item_ast(self.db, item.file, item.index) else {
                return false;
            };
            let skel_syntax::Item::Block(block) = &*ast else {
                return false;
            };
            let mut found = false;
            for rp in block.body.blocks_of("required_providers") {
                for a in rp.body.attributes() {
                    a.expr.walk(&mut |e| {
                        if let Some((root, steps)) = e.as_traversal() {
                            if let [skel_syntax::Step::Attr(s)] = steps.as_slice() {
                                if format!("{}.{}", root.name, s.name) == wanted {
                                    found = true;
                                }
                            }
                        }
                    });
                }
            }
            found
        })
    }

    fn check_lifecycle(&mut self, block: &Block, resource_schema: &BlockSchema, self_type: &Type) {
        let schema = lifecycle_schema();
        for attr in block.body.attributes() {
            match attr.name.name.as_str() {
                "create_before_destroy" | "prevent_destroy" => {
                    self.expect(&attr.expr, &Type::Bool, &format!("`{}`", attr.name.name));
                }
                "ignore_changes" => {
                    match &attr.expr.kind {
                        ExprKind::Variable(v) if v.name == "all" => {}
                        ExprKind::Tuple(items) => {
                            for item in items {
                                let name = item.as_traversal().map(|(root, _)| root);
                                match name {
                                    Some(root)
                                        if resource_schema.attribute(&root.name).is_some()
                                            || resource_schema.block(&root.name).is_some()
                                            || resource_schema.attributes.is_empty() => {}
                                    Some(root) => {
                                        self.error(
                                            Code::UnknownArgument,
                                            item.range,
                                            format!(
                                                "`ignore_changes` names unknown argument `{}`",
                                                root.name
                                            ),
                                        )
                                        .help = did_you_mean(
                                            &root.name,
                                            resource_schema.attributes.keys().map(String::as_str),
                                        );
                                    }
                                    None => {
                                        self.error(Code::InvalidMetaArgument, item.range, "`ignore_changes` takes argument names, like `[tags, ami]`");
                                    }
                                }
                            }
                        }
                        _ => {
                            self.error(
                                Code::InvalidMetaArgument,
                                attr.expr.range,
                                "`ignore_changes` must be a list of argument names or `all`",
                            );
                        }
                    }
                }
                "replace_triggered_by" => match &attr.expr.kind {
                    ExprKind::Tuple(items) => {
                        for item in items {
                            if item.as_traversal().is_none() {
                                self.error(Code::InvalidMetaArgument, item.range, "`replace_triggered_by` takes references to resources or their attributes");
                            } else {
                                self.infer(item);
                            }
                        }
                    }
                    _ => {
                        self.error(
                            Code::InvalidMetaArgument,
                            attr.expr.range,
                            "`replace_triggered_by` must be a list of references",
                        );
                    }
                },
                other => {
                    self.error(
                        Code::UnknownArgument,
                        attr.name.range,
                        format!("Unsupported argument `{other}` in `lifecycle`"),
                    )
                    .help = did_you_mean(other, schema.attributes.keys().map(String::as_str));
                }
            }
        }
        for inner in block.body.blocks() {
            if !matches!(inner.ident.name.as_str(), "precondition" | "postcondition") {
                self.error(
                    Code::UnknownBlockType,
                    inner.ident.range,
                    format!("Unsupported block `{}` in `lifecycle`", inner.ident.name),
                );
                continue;
            }
            // A postcondition reads the object as planned (or read): `self`.
            if inner.ident.name == "postcondition" {
                self.self_type = Some(self_type.clone());
            }
            self.check_condition_block(inner);
            self.self_type = None;
        }
    }

    /// `precondition`/`postcondition`/`validation`: `condition` (bool) and `error_message` (string).
    pub fn check_condition_block(&mut self, block: &Block) {
        let condition = block.body.attribute("condition");
        match condition {
            Some(c) => {
                self.expect(&c.expr, &Type::Bool, "`condition`");
            }
            None => {
                self.error(
                    Code::MissingArgument,
                    block.ident.range,
                    "Missing `condition`",
                );
            }
        }
        match block.body.attribute("error_message") {
            Some(m) => {
                let saved = std::mem::replace(&mut self.policy, crate::infer::RefPolicy::All);
                self.expect(&m.expr, &Type::String, "`error_message`");
                self.policy = saved;
            }
            None => {
                self.error(
                    Code::MissingArgument,
                    block.ident.range,
                    "Missing `error_message`",
                );
            }
        }
        for attr in block.body.attributes() {
            if !matches!(attr.name.name.as_str(), "condition" | "error_message") {
                self.error(
                    Code::UnknownArgument,
                    attr.name.range,
                    format!("Unsupported argument `{}`", attr.name.name),
                )
                .help = Some("a condition block takes `condition` and `error_message`".into());
            }
        }
    }

    fn check_provisioner(&mut self, block: &Block, self_type: &Type) {
        let Some(kind) = block.labels.first() else {
            self.error(
                Code::InvalidBlockLabels,
                block.ident.range,
                "A `provisioner` block takes one label: its type",
            )
            .help =
                Some("`provisioner \"remote-exec\" { … }`, `\"local-exec\"` or `\"file\"`".into());
            return;
        };
        self.self_type = Some(self_type.clone());
        match provisioner_schema(&kind.value) {
            Some(schema) => {
                let mut body = block.body.clone();
                body.items.retain(|i| match i {
                    skel_syntax::Item::Block(b) => b.ident.name != "connection",
                    // `when = destroy` and `on_failure = continue` take keywords, checked here.
                    skel_syntax::Item::Attribute(a) => {
                        !matches!(a.name.name.as_str(), "when" | "on_failure")
                    }
                    skel_syntax::Item::Error(_) => true,
                });
                for attr in block.body.attributes() {
                    let allowed: &[&str] = match attr.name.name.as_str() {
                        "when" => &["create", "destroy"],
                        "on_failure" => &["fail", "continue"],
                        _ => continue,
                    };
                    let word = match &attr.expr.kind {
                        skel_syntax::ExprKind::Variable(v) => Some(v.name.clone()),
                        _ => attr.expr.as_literal_string(),
                    };
                    if !word.as_deref().is_some_and(|w| allowed.contains(&w)) {
                        self.error(
                            Code::InvalidMetaArgument,
                            attr.expr.range,
                            format!("Invalid `{}`", attr.name.name),
                        )
                        .help = Some(format!(
                            "write `{} = {}` or `{}`",
                            attr.name.name, allowed[0], allowed[1]
                        ));
                    }
                }
                self.check_body(&body, schema, Meta::None, block.ident.range);
                for connection in block.body.blocks_of("connection") {
                    self.check_body(
                        &connection.body,
                        connection_schema(),
                        Meta::None,
                        connection.ident.range,
                    );
                }
            }
            None => {
                self.error(
                    Code::UnknownBlockType,
                    kind.range,
                    format!("Unknown provisioner `{}`", kind.value),
                )
                .help = did_you_mean(&kind.value, ["local-exec", "remote-exec", "file"]);
            }
        }
        self.self_type = None;
    }
}

/// For a `depends_on` entry that names an attribute of the object it refers to
/// (`null_resource.a.id`, `module.m.out`, `data.x.y.attr`, `aws_instance.web[0].id`): the
/// object's reference (without an instance index) and where the attribute part starts (its
/// `.`). `None` for a whole object or instance.
fn depends_on_object(item: &Expr) -> Option<(String, u32)> {
    let (root, steps) = item.as_traversal()?;
    let object_steps = match root.name.as_str() {
        "data" => 2,
        _ => 1,
    };
    let mut whole = root.name.clone();
    for step in steps.iter().take(object_steps) {
        match step {
            Step::Attr(name) => {
                whole.push('.');
                whole.push_str(&name.name);
            }
            Step::Index(_) => return None,
        }
    }
    let attribute = steps.iter().skip(object_steps).find_map(|s| match s {
        Step::Attr(name) => Some(name.range.start().saturating_sub(1)),
        Step::Index(_) => None,
    })?;
    Some((whole, attribute))
}
