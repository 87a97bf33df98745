//! Checking a block body against a schema: arguments, nested blocks, `dynamic` blocks, and the
//! meta-arguments every resource, data source and module call accepts.

use std::collections::HashMap;

/// The most instances a resource or module call may have (the runtime's limit, checked here
/// when `count` is a literal).
pub const MAX_INSTANCES: usize = 100_000;

use skel_db::{did_you_mean, Code};
use skel_hir::resolve::{self, RESOURCE_META_ATTRS, RESOURCE_META_BLOCKS};
use skel_schema::{BlockSchema, NestedBlockSchema, Nesting};
use skel_syntax::{Attribute, Block, Body, Expr, ExprKind, TextRange};
use skel_value::{conversion, Conversion, Type};

use crate::infer::InferCtx;

/// Which meta-arguments a body accepts besides its schema.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Meta {
    /// A nested block, a provider configuration, a provisioner: only the schema.
    None,
    /// `resource`: count, for_each, depends_on, provider, lifecycle, provisioner, connection.
    Resource,
    /// `data`: count, for_each, depends_on, provider, lifecycle.
    Data,
}

impl InferCtx<'_> {
    /// Check `body` against `schema`. `header` is where "missing argument" errors point.
    pub fn check_body(&mut self, body: &Body, schema: &BlockSchema, meta: Meta, header: TextRange) {
        let mut seen: HashMap<&str, TextRange> = HashMap::new();
        for attr in body.attributes() {
            if let Some(first) = seen.insert(&attr.name.name, attr.name.range) {
                self.error(
                    Code::DuplicateDefinition,
                    attr.name.range,
                    format!("Duplicate argument `{}`", attr.name.name),
                )
                .with_label_here(first, "first set here");
                continue;
            }
            if meta != Meta::None && RESOURCE_META_ATTRS.contains(&attr.name.name.as_str()) {
                continue; // checked by check_meta_arguments
            }
            self.check_argument(attr, schema);
        }
        let mut counts: HashMap<&str, (u32, bool)> = HashMap::new();
        for block in body.blocks() {
            let name = block.ident.name.as_str();
            if name == "dynamic" {
                if let Some(target) = self.check_dynamic(block, schema) {
                    counts.entry(target).or_default().1 = true;
                }
                continue;
            }
            if meta != Meta::None && RESOURCE_META_BLOCKS.contains(&name) {
                if meta == Meta::Data && name != "lifecycle" {
                    self.error(
                        Code::UnknownBlockType,
                        block.ident.range,
                        format!("Data sources have no `{name}` blocks"),
                    );
                }
                continue; // checked by check_meta_arguments
            }
            match schema.block(name) {
                Some(nested) if nested.removed.is_some() => {
                    counts.entry(name).or_default().0 += 1;
                    self.annotated_block(name, nested, block.header_range());
                    self.infer_attributes(&block.body);
                }
                Some(nested) => {
                    counts.entry(name).or_default().0 += 1;
                    self.annotated_block(name, nested, block.header_range());
                    let want_labels = usize::from(nested.nesting == Nesting::Map);
                    if block.labels.len() != want_labels {
                        self.error(
                            Code::InvalidBlockLabels,
                            block.header_range(),
                            format!(
                                "A `{name}` block takes {want_labels} label{}",
                                if want_labels == 1 { "" } else { "s" }
                            ),
                        );
                    }
                    self.check_body(&block.body, &nested.block, Meta::None, block.ident.range);
                }
                None => {
                    let is_attr = schema.attribute(name).is_some();
                    let candidates = schema.blocks.keys().map(String::as_str);
                    let mut e = self.error(
                        Code::UnknownArgument,
                        block.ident.range,
                        format!("Unsupported block type `{name}`"),
                    );
                    e.span_message = "no block of this type is expected here".into();
                    e.help = if is_attr {
                        Some(format!("`{name}` is an argument: write `{name} = …`"))
                    } else {
                        did_you_mean(name, candidates)
                    };
                }
            }
        }
        // A block type written as an attribute is written only so.
        for (name, nested) in &schema.blocks {
            let (Some(attr), Some(_)) = (body.attribute(name), counts.get(name.as_str())) else {
                continue;
            };
            if nested.computed {
                self.error(
                    Code::BlockAsAttribute,
                    attr.name.range,
                    format!("`{name}` is written both as an attribute and as blocks"),
                )
                .with_span_message("the blocks are below")
                .help = Some(format!(
                    "use one form: `{name} = [ … ]` (all of them, or `[]` for none) or `{name} {{ … }}` blocks"
                ));
            }
        }
        // Required arguments and block counts.
        let missing: Vec<&str> = schema
            .required_attributes()
            .map(|(n, _)| n)
            .filter(|n| body.attribute(n).is_none())
            .collect();
        if !missing.is_empty() {
            let list = missing
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ");
            self.error(
                Code::MissingArgument,
                header,
                format!(
                    "Missing required argument{}",
                    if missing.len() == 1 { "" } else { "s" }
                ),
            )
            .with_span_message(format!("{list} must be set"))
            .help = Some(format!(
                "add {}",
                missing
                    .iter()
                    .map(|n| format!("`{n} = …`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        for (name, nested) in &schema.blocks {
            let (count, dynamic) = counts.get(name.as_str()).copied().unwrap_or_default();
            if dynamic {
                continue;
            }
            if count < nested.min_items {
                self.error(
                    Code::MissingArgument,
                    header,
                    format!("Missing required block `{name}`"),
                )
                .with_span_message(format!(
                    "at least {} `{name}` block{} required",
                    nested.min_items,
                    if nested.min_items == 1 {
                        " is"
                    } else {
                        "s are"
                    }
                ))
                .help = Some(format!("add `{name} {{ … }}`"));
            }
            if let Some(max) = nested.max_items.filter(|m| count > *m) {
                let extra = body
                    .blocks_of(name)
                    .nth(max as usize)
                    .map(|b| b.ident.range)
                    .unwrap_or(header);
                self.error(Code::BlockCount, extra, format!("Too many `{name}` blocks"))
                    .with_span_message(format!("at most {max} allowed, found {count}"));
            }
        }
    }

    fn check_argument(&mut self, attr: &Attribute, schema: &BlockSchema) {
        let name = attr.name.name.as_str();
        match schema.attribute(name) {
            Some(a) if a.is_computed_only() => {
                self.infer(&attr.expr);
                // As in Terraform, null is accepted (a module passes an unset variable through);
                // a value that depends on anything is checked when the plan knows it.
                if crate::constant::constant_value(&attr.expr).is_none_or(|v| v.is_null()) {
                    return;
                }
                self.error(
                    Code::ComputedArgument,
                    attr.name.range,
                    format!("`{name}` is computed by the provider"),
                )
                .with_span_message("this attribute can be read but not set")
                .help = Some("remove the argument; refer to the value after apply instead".into());
            }
            Some(a) => {
                let ty = a.ty.clone();
                self.expect(&attr.expr, &ty, &format!("argument `{name}`"));
                self.check_object_literals(&attr.expr, &ty);
                if let Some(why) = &a.removed {
                    self.error(
                        Code::RemovedArgument,
                        attr.name.range,
                        format!("Argument `{name}` was removed"),
                    )
                    .with_span_message("no longer accepted")
                    .help = Some(why.clone());
                } else if let Some(instead) = &a.deprecated {
                    self.error(
                        Code::DeprecatedArgument,
                        attr.name.range,
                        format!("Argument `{name}` is deprecated"),
                    )
                    .with_span_message("still accepted, for now")
                    .help = Some(instead.clone());
                }
            }
            None if schema.block(name).is_some_and(|b| b.removed.is_some()) => {
                self.infer(&attr.expr);
                if let Some(nested) = schema.block(name) {
                    self.annotated_block(name, nested, attr.name.range);
                }
            }
            None if schema.block(name).is_some_and(|b| b.computed) => {
                if let Some(nested) = schema.block(name) {
                    self.annotated_block(name, nested, attr.name.range);
                }
                // Terraform's "attributes as blocks": `ingress = []` manages the rules, none.
                let ty = schema
                    .block(name)
                    .map(|b| b.attribute_type())
                    .unwrap_or(Type::Dynamic);
                self.expect(&attr.expr, &ty, &format!("`{name}`"));
                self.check_object_literals(&attr.expr, &ty);
            }
            None if schema.block(name).is_some() => {
                self.infer(&attr.expr);
                if let Some(nested) = schema.block(name) {
                    self.annotated_block(name, nested, attr.name.range);
                }
                self.error(
                    Code::BlockAsAttribute,
                    attr.name.range,
                    format!("`{name}` is a block type, not an argument"),
                )
                .with_span_message("only blocks of this type are accepted")
                .help = Some(format!(
                    "write `{name} {{ … }}` blocks (or a `dynamic \"{name}\"` block for a computed list)"
                ));
            }
            None => {
                self.infer(&attr.expr);
                let mut e = self.error(
                    Code::UnknownArgument,
                    attr.name.range,
                    format!("Unsupported argument `{name}`"),
                );
                e.span_message = "no argument of this name is expected here".into();
                e.help = did_you_mean(
                    name,
                    schema
                        .attributes
                        .iter()
                        .filter(|(_, a)| a.is_argument())
                        .map(|(k, _)| k.as_str()),
                );
            }
        }
    }

    /// Object literals written for a schema's object type (a protocol 6 nested attribute's
    /// objects, an attribute of object type, attributes as blocks), through the lists, sets,
    /// maps and tuples around them: an attribute the object type does not have is an error, as
    /// in Terraform, where a conversion would drop it silently. Other expressions, computed
    /// keys and `any` are left to the conversion.
    fn check_object_literals(&mut self, expr: &Expr, ty: &Type) {
        match (&expr.kind, ty) {
            (ExprKind::Parens(inner), _) => self.check_object_literals(inner, ty),
            (ExprKind::Object(items), Type::Object(object)) => {
                for item in items {
                    let key = match &item.key.kind {
                        ExprKind::Variable(ident) => Some(ident.name.clone()),
                        ExprKind::Template(t) => t.as_literal(),
                        _ => None,
                    };
                    let Some(key) = key else { continue };
                    match object.attrs.get(&key) {
                        Some(inner) => self.check_object_literals(&item.value, inner),
                        None => {
                            self.error(
                                Code::UnknownAttribute,
                                item.key.range,
                                format!("Unsupported attribute `{key}`"),
                            )
                            .with_span_message("this object type has no attribute of that name")
                            .help = did_you_mean(&key, object.attrs.keys().map(String::as_str))
                                .or_else(|| {
                                    Some(format!(
                                        "its attributes are: {}",
                                        object
                                            .attrs
                                            .keys()
                                            .map(|k| format!("`{k}`"))
                                            .collect::<Vec<_>>()
                                            .join(", ")
                                    ))
                                });
                        }
                    }
                }
            }
            (ExprKind::Object(items), Type::Map(element)) => {
                for item in items {
                    self.check_object_literals(&item.value, element);
                }
            }
            (ExprKind::Tuple(items), Type::List(element) | Type::Set(element)) => {
                for item in items {
                    self.check_object_literals(item, element);
                }
            }
            (ExprKind::Tuple(items), Type::Tuple(types)) => {
                for (item, ty) in items.iter().zip(types) {
                    self.check_object_literals(item, ty);
                }
            }
            _ => {}
        }
    }

    /// `dynamic "NAME" { for_each = …, iterator = IT, labels = […], content { … } }`.
    /// Returns the nested block type it generates when that type exists.
    fn check_dynamic<'s>(&mut self, block: &Block, schema: &'s BlockSchema) -> Option<&'s str> {
        let Some(label) = block.labels.first() else {
            self.error(
                Code::InvalidBlockLabels,
                block.ident.range,
                "A `dynamic` block takes one label: the block type to generate",
            );
            return None;
        };
        let target = schema.blocks.get_key_value(label.value.as_str());
        if let Some((name, nested)) = target {
            self.annotated_block(name, nested, block.header_range());
        } else {
            self.error(
                Code::UnknownArgument,
                label.range,
                format!("Unsupported block type `{}`", label.value),
            )
            .help = did_you_mean(&label.value, schema.blocks.keys().map(String::as_str));
        }
        let iterator = resolve::dynamic_iterator(block).unwrap_or(&label.value);
        let mut for_each = None;
        let mut labels = None;
        for attr in block.body.attributes() {
            match attr.name.name.as_str() {
                "for_each" => for_each = Some(&attr.expr),
                "iterator" => match &attr.expr.kind {
                    ExprKind::Variable(_) => {}
                    _ => {
                        self.error(
                            Code::InvalidExpression,
                            attr.expr.range,
                            "`iterator` must be a plain name",
                        );
                    }
                },
                "labels" => labels = Some(&attr.expr),
                other => {
                    self.error(Code::UnknownArgument, attr.name.range, format!("Unsupported argument `{other}` in a dynamic block"))
                        .help = Some("a dynamic block takes `for_each`, `iterator`, `labels` and a `content` block".into());
                }
            }
        }
        let (key, value) = match for_each {
            Some(expr) => self.iteration(expr),
            None => {
                self.error(
                    Code::MissingArgument,
                    block.header_range(),
                    "Missing `for_each` in dynamic block",
                );
                (Type::Dynamic, Type::Dynamic)
            }
        };
        let contents: Vec<&Block> = block.body.blocks_of("content").collect();
        for other in block.body.blocks().filter(|b| b.ident.name != "content") {
            self.error(
                Code::UnknownBlockType,
                other.ident.range,
                "A dynamic block takes only a `content` block",
            );
        }
        if contents.is_empty() {
            self.error(
                Code::MissingArgument,
                block.header_range(),
                "Missing `content` block in dynamic block",
            );
        }
        self.push_scope(iterator, Type::object([("key", key), ("value", value)]));
        // Labels are computed per element: they see the iterator.
        if let Some(labels) = labels {
            self.expect(labels, &Type::list(Type::String), "`labels`");
        }
        for content in contents {
            match target {
                Some((_, nested)) if nested.removed.is_none() => self.check_body(
                    &content.body,
                    &nested.block,
                    Meta::None,
                    content.ident.range,
                ),
                _ => self.infer_attributes(&content.body),
            }
        }
        self.pop_scope();
        target.map(|(k, _)| k.as_str())
    }

    /// The diagnostic of a block type the schema marks `removed` (an error) or `deprecated` (a
    /// warning) at `range`, where one is written (as a block, an attribute or by `dynamic`).
    fn annotated_block(&mut self, name: &str, nested: &NestedBlockSchema, range: TextRange) {
        if let Some(why) = &nested.removed {
            self.error(
                Code::RemovedArgument,
                range,
                format!("Block `{name}` was removed"),
            )
            .with_span_message("no longer accepted")
            .help = Some(why.clone());
        } else if let Some(instead) = &nested.deprecated {
            self.error(
                Code::DeprecatedArgument,
                range,
                format!("Block `{name}` is deprecated"),
            )
            .with_span_message("still accepted, for now")
            .help = Some(instead.clone());
        }
    }

    /// The attribute values of a body whose schema is not checked (a removed block, a dynamic
    /// block of an unknown type): their expressions are still typed.
    fn infer_attributes(&mut self, body: &Body) {
        for a in body.attributes() {
            self.infer(&a.expr);
        }
    }

    /// `count` and `for_each`: set the context for `count.index` / `each`, and check their kinds.
    pub fn check_repetition(&mut self, body: &Body) {
        let count = body.attribute("count");
        let for_each = body.attribute("for_each");
        if let (Some(c), Some(f)) = (count, for_each) {
            self.error(Code::CountAndForEach, f.name.range, "`count` and `for_each` cannot both be set")
                .with_label_here(c.name.range, "`count` is set here")
                .help = Some("use `for_each` for instances identified by key, or `count` for a number of identical ones".into());
        }
        if let Some(c) = count {
            let found = self.infer(&c.expr);
            match conversion(&found, &Type::Number) {
                Conversion::Impossible => {
                    self.error(Code::InvalidCount, c.expr.range, "Invalid `count`")
                        .with_span_message(format!("expected a number, found {found}"))
                        .help = if matches!(found, Type::List(_) | Type::Tuple(_) | Type::Set(_)) {
                        Some("to make one instance per element use `for_each = toset(…)`, or `count = length(…)`".into())
                    } else {
                        None
                    };
                }
                _ => {
                    if let Some(n) = c.expr.number_value().or_else(|| negative_literal(&c.expr)) {
                        if n < 0.0 || n.fract() != 0.0 {
                            self.error(Code::InvalidCount, c.expr.range, "Invalid `count`")
                                .with_span_message("`count` must be a whole number, zero or more");
                        } else if n > MAX_INSTANCES as f64 {
                            self.error(Code::InvalidCount, c.expr.range, "Invalid `count`")
                                .with_span_message(format!(
                                    "skel allows at most {MAX_INSTANCES} instances per resource or module call"
                                ));
                        }
                    }
                    self.check_conversion(&c.expr, &found, &Type::Number, "`count`");
                }
            }
            self.warn_count_over_list(&c.expr);
            self.check_known_at_plan(&c.expr, Code::InvalidCount, "count");
            self.has_count = true;
        }
        if let Some(f) = for_each {
            for keys in instance_key_exprs(&f.expr) {
                self.check_known_at_plan(keys, Code::InvalidForEach, "for_each");
            }
            let found = self.infer(&f.expr);
            let value = match &found {
                Type::Map(e) => Some((**e).clone()),
                Type::Object(o) => {
                    let ts: Vec<Type> = o.attrs.values().cloned().collect();
                    Some(skel_value::unify(&ts).unwrap_or(Type::Dynamic))
                }
                Type::Set(e) if matches!(**e, Type::String | Type::Dynamic) => Some(Type::String),
                Type::Dynamic => Some(Type::Dynamic),
                _ => None,
            };
            match value {
                Some(v) => self.each_value = Some(v),
                None => {
                    self.error(Code::InvalidForEach, f.expr.range, "Invalid `for_each`")
                        .with_span_message(format!("expected a map or a set of strings, found {found}"))
                        .help = Some(match found {
                            Type::List(_) | Type::Tuple(_) => "convert the list with `toset(…)`; its elements become the keys".into(),
                            Type::Set(_) => "the set's elements must be strings; convert them, e.g. `toset([for x in … : tostring(x)])`".into(),
                            _ => "use a map (keys name the instances) or `toset([…])` of strings".into(),
                        });
                    self.each_value = Some(Type::Dynamic);
                }
            }
        }
    }

    /// `count` and `for_each`'s keys must be known when planning: report a reference to an attribute the
    /// provider computes at apply (`random_integer.r.result`, `aws_instance.x.id`).
    fn check_known_at_plan(&mut self, expr: &Expr, code: Code, what: &str) {
        let mut found = None;
        expr.walk(&mut |e| {
            if found.is_some() {
                return;
            }
            let Some((root, steps)) = e.as_traversal() else {
                return;
            };
            let mut attrs = steps.iter().filter_map(|s| match s {
                skel_syntax::Step::Attr(a) => Some(a.name.as_str()),
                skel_syntax::Step::Index(_) => None,
            });
            let (Some(name), Some(attr)) = (attrs.next(), attrs.next()) else {
                return;
            };
            if !self
                .index
                .resources
                .contains_key(&(root.name.clone(), name.to_string()))
            {
                return;
            }
            let computed = crate::schemas::resource(self.db, self.item.file, &root.name)
                .and_then(|s| s.block.attribute(attr))
                .is_some_and(|a| a.is_computed_only());
            if computed {
                found = Some((e.range, format!("{}.{name}.{attr}", root.name)));
            }
        });
        if let Some((range, reference)) = found {
            self.error(code, range, format!("`{what}` depends on a value known only after apply"))
                .with_span_message(format!("`{reference}` is computed by the provider when the resource is created"))
                .help = Some(format!("`{what}` must be known when planning: derive it from variables or locals, or apply the resource it depends on first"));
        }
    }

    /// `count = length(var.list)` makes instances by position: removing an element in the middle
    /// replaces every instance after it (Terraform issues #14275, #18767). Suggest `for_each`.
    fn warn_count_over_list(&mut self, expr: &Expr) {
        let ExprKind::Call { name, args, .. } = &expr.kind else {
            return;
        };
        if name.name != "length" || args.len() != 1 {
            return;
        }
        let before = self.diagnostics.len();
        let ty = self.infer(&args[0]);
        self.diagnostics.truncate(before);
        if matches!(ty, Type::List(_) | Type::Tuple(_))
            && self
                .diagnostics
                .iter()
                .all(|d| d.code != Code::CountIndexShift)
        {
            self.error(Code::CountIndexShift, expr.range, "`count` over a list's length")
                .with_span_message("instances are identified by position in the list")
                .help = Some("removing an element replaces every instance after it; prefer `for_each = toset(…)` keyed by value".into());
        }
    }
}

fn negative_literal(expr: &Expr) -> Option<f64> {
    match &expr.kind {
        ExprKind::Unary {
            op: skel_syntax::UnaryOp::Neg,
            expr,
        } => expr.number_value().map(|n| -n),
        _ => None,
    }
}

/// The parts of a `for_each` expression that decide its instance keys: as in Terraform, a map's
/// values may be known only after apply (`{ a = { id = aws_instance.x.id } }` is fine), its keys
/// and a set's elements may not. Map literals give their computed keys, `for` expressions their
/// collection's keys, key expression and condition, `merge`/`tomap`/conditionals their parts;
/// anything else is decided as a whole.
fn instance_key_exprs(expr: &Expr) -> Vec<&Expr> {
    match &expr.kind {
        ExprKind::Parens(inner) => instance_key_exprs(inner),
        // A bare identifier key is a literal string.
        ExprKind::Object(items) => items
            .iter()
            .filter(|item| !matches!(item.key.kind, ExprKind::Variable(_)))
            .map(|item| &item.key)
            .collect(),
        ExprKind::ForObject {
            collection,
            key,
            cond,
            ..
        } => {
            let mut out = instance_key_exprs(collection);
            out.push(key);
            out.extend(cond.as_deref());
            out
        }
        ExprKind::Call { name, args, .. } if matches!(name.name.as_str(), "merge" | "tomap") => {
            args.iter().flat_map(instance_key_exprs).collect()
        }
        ExprKind::Conditional { cond, then, other } => {
            let mut out = vec![&**cond];
            out.extend(instance_key_exprs(then));
            out.extend(instance_key_exprs(other));
            out
        }
        _ => vec![expr],
    }
}

#[cfg(test)]
#[path = "body_tests.rs"]
mod tests;
