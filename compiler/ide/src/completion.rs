//! Completion: top-level blocks, resource and data types, arguments from schemas, references
//! after `var.`/`local.`/`module.`/`data.`/`TYPE.NAME.`/`each.`/`count.`/`path.`, and
//! functions. The context comes from a lexical scan, so it works while the text is broken.

use skel_db::{Db, File, ItemRef};
use skel_schema::{BlockSchema, NestedBlockSchema};
use skel_syntax::{TextRange, TextSize};
use skel_value::Type;

use crate::hover::{attribute_doc, attribute_flags, short_type};
use crate::resolve;
use crate::scan::{self, Frame, ScannedBlock};
use crate::{CompletionItem, CompletionKind, FilePosition};

struct Ctx<'a> {
    db: &'a dyn Db,
    file: File,
    text: &'a str,
    cursor: usize,
    range: TextRange,
    out: Vec<CompletionItem>,
}

impl Ctx<'_> {
    fn add(
        &mut self,
        label: &str,
        kind: CompletionKind,
        detail: Option<String>,
    ) -> &mut CompletionItem {
        self.out.push(CompletionItem {
            label: label.to_string(),
            kind,
            detail,
            documentation: None,
            insert_text: label.to_string(),
            is_snippet: false,
            sort_text: None,
            replace_range: self.range,
        });
        self.out.last_mut().expect("just pushed")
    }
}

pub(crate) fn completions(db: &dyn Db, position: FilePosition) -> Vec<CompletionItem> {
    let Some(text) = position.file.text(db).clone() else {
        return Vec::new();
    };
    let mut cursor = (position.offset as usize).min(text.len());
    while !text.is_char_boundary(cursor) {
        cursor -= 1;
    }
    let bytes = text.as_bytes();
    let mut word_start = cursor;
    while word_start > 0 && is_ident(bytes[word_start - 1]) {
        word_start -= 1;
    }
    let mut ctx = Ctx {
        db,
        file: position.file,
        text: &text,
        cursor,
        range: TextRange::new(word_start as TextSize, cursor as TextSize),
        out: Vec::new(),
    };
    let scan = scan::scan(&text, cursor);
    if scan.in_comment {
        return Vec::new();
    }
    let path = scan.block_path();
    match scan.innermost() {
        Some(Frame::Str | Frame::Heredoc) => {
            if path.is_empty() && scan.stack.len() == 1 {
                label_types(&mut ctx, &scan, word_start);
            }
            return ctx.out;
        }
        Some(Frame::Block(_)) | None => {
            let stmt = text
                .get(scan.stmt_start.min(word_start)..word_start)
                .unwrap_or("");
            if stmt.trim().is_empty() {
                match path.last() {
                    None => top_level_blocks(&mut ctx),
                    Some(_) => body_arguments(&mut ctx, &path),
                }
                return ctx.out;
            }
            if !stmt.contains('=') {
                return ctx.out;
            }
        }
        _ => {}
    }
    expression(&mut ctx, &path, word_start);
    ctx.out
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// Inside the first label of `resource "…"` / `data "…"` / `provider "…"`.
fn label_types(ctx: &mut Ctx<'_>, scan: &scan::Scan, word_start: usize) {
    let stmt = ctx.text.get(scan.stmt_start..word_start).unwrap_or("");
    let stmt = stmt.trim_start();
    let (kind, rest) = stmt.split_once(char::is_whitespace).unwrap_or((stmt, ""));
    if rest.trim() != "\"" {
        return;
    }
    let names: Vec<&str> = match kind {
        "resource" => skel_types::schemas::all_resource_types(ctx.db, ctx.file),
        "data" => skel_types::schemas::all_data_source_types(ctx.db, ctx.file),
        "provider" => skel_types::schemas::providers(ctx.db, ctx.file)
            .into_iter()
            .map(|p| p.name.as_str())
            .collect(),
        _ => return,
    };
    for name in names {
        let description = match kind {
            "resource" => {
                skel_types::schemas::resource(ctx.db, ctx.file, name).map(|s| s.description.clone())
            }
            "data" => skel_types::schemas::data_source(ctx.db, ctx.file, name)
                .map(|s| s.description.clone()),
            _ => None,
        };
        let item = ctx.add(name, CompletionKind::ResourceType, None);
        item.detail = Some(format!("provider {}", skel_schema::provider_for_type(name)));
        item.documentation = description;
    }
}

fn top_level_blocks(ctx: &mut Ctx<'_>) {
    let blocks: &[(&str, &str)] = &[
        (
            "resource",
            "resource \"${1:type}\" \"${2:name}\" {\n  $0\n}",
        ),
        ("data", "data \"${1:type}\" \"${2:name}\" {\n  $0\n}"),
        (
            "variable",
            "variable \"${1:name}\" {\n  type = ${2:string}\n  $0\n}",
        ),
        ("locals", "locals {\n  $0\n}"),
        ("output", "output \"${1:name}\" {\n  value = $0\n}"),
        (
            "module",
            "module \"${1:name}\" {\n  source = \"${2:./modules/name}\"\n  $0\n}",
        ),
        ("provider", "provider \"${1:name}\" {\n  $0\n}"),
        ("skel", "skel {\n  $0\n}"),
    ];
    for (name, snippet) in blocks {
        let item = ctx.add(
            name,
            CompletionKind::BlockType,
            Some(format!("{name} block")),
        );
        item.insert_text = snippet.to_string();
        item.is_snippet = true;
    }
}

/// An argument (`name = $0`) or a nested block (`name {\n  $0\n}`).
fn argument(
    ctx: &mut Ctx<'_>,
    name: &str,
    block: bool,
    order: u8,
    detail: Option<String>,
    doc: Option<String>,
) {
    let kind = if block {
        CompletionKind::Block
    } else {
        CompletionKind::Argument
    };
    let item = ctx.add(name, kind, detail);
    item.insert_text = if block {
        format!("{name} {{\n  $0\n}}")
    } else {
        format!("{name} = $0")
    };
    item.is_snippet = true;
    item.sort_text = Some(format!("{order}_{name}"));
    item.documentation = doc;
}

fn schema_arguments(ctx: &mut Ctx<'_>, schema: &BlockSchema, set: &[String]) {
    for (name, a) in &schema.attributes {
        // A removed argument is an error where written: never offered.
        if !a.is_argument() || set.contains(name) || a.removed.is_some() {
            continue;
        }
        // Required first, deprecated last.
        let order = match (a.required, a.deprecated.is_some()) {
            (true, _) => 0,
            (false, false) => 1,
            (false, true) => 2,
        };
        let detail = format!("{} ({})", a.ty, attribute_flags(a));
        argument(
            ctx,
            name,
            false,
            order,
            Some(detail),
            Some(attribute_doc(name, a)),
        );
    }
    for (name, b) in &schema.blocks {
        let single = b.max_items == Some(1);
        if single && set.contains(name) {
            continue;
        }
        let Some(order) = block_order(b) else {
            continue;
        };
        let mut doc = b.block.description.clone();
        if let Some(instead) = &b.deprecated {
            doc = format!("**deprecated**: {instead}\n\n{doc}");
        }
        let doc = (!doc.trim().is_empty()).then(|| doc.trim_end().to_string());
        argument(ctx, name, true, order, Some("block".into()), doc);
    }
}

/// Where a nested block type sorts among the completions: required first, deprecated last;
/// `None` for a removed one, an error where written, never offered.
fn block_order(b: &NestedBlockSchema) -> Option<u8> {
    if b.removed.is_some() {
        return None;
    }
    Some(match (b.min_items > 0, b.deprecated.is_some()) {
        (true, _) => 0,
        (false, false) => 1,
        (false, true) => 2,
    })
}

fn fixed(ctx: &mut Ctx<'_>, attrs: &[&str], blocks: &[&str], set: &[String], order: u8) {
    for a in attrs {
        if !set.iter().any(|s| s == a) {
            argument(ctx, a, false, order, None, None);
        }
    }
    for b in blocks {
        argument(ctx, b, true, order, None, None);
    }
}

fn body_arguments(ctx: &mut Ctx<'_>, path: &[&ScannedBlock]) {
    let Some(inner) = path.last() else { return };
    let set = &inner.names;
    let top = &path[0].header;
    let kind = top[0].as_str();
    let inner_kind = inner.header[0].as_str();
    if path.len() == 1 {
        match kind {
            "resource" | "data" => {
                if let Some(schema) = schema_for(ctx.db, ctx.file, path) {
                    schema_arguments(ctx, schema, set);
                }
                fixed(
                    ctx,
                    skel_hir::resolve::RESOURCE_META_ATTRS,
                    &["lifecycle"],
                    set,
                    2,
                );
                if kind == "resource" {
                    fixed(ctx, &[], &["provisioner", "connection"], set, 2);
                }
            }
            "provider" => {
                if let Some(schema) = schema_for(ctx.db, ctx.file, path) {
                    schema_arguments(ctx, schema, set);
                }
                fixed(ctx, &["alias"], &[], set, 2);
            }
            "variable" => fixed(
                ctx,
                &["type", "default", "description", "sensitive", "nullable"],
                &["validation"],
                set,
                1,
            ),
            "output" => {
                fixed(ctx, &["value"], &[], set, 0);
                fixed(
                    ctx,
                    &["description", "sensitive", "depends_on"],
                    &["precondition"],
                    set,
                    1,
                );
            }
            "module" => {
                fixed(ctx, &["source"], &[], set, 0);
                module_inputs(ctx, top, set);
                fixed(
                    ctx,
                    &["version", "count", "for_each", "providers", "depends_on"],
                    &[],
                    set,
                    2,
                );
            }
            "skel" | "terraform" => fixed(
                ctx,
                &["required_version"],
                &["required_providers", "backend"],
                set,
                1,
            ),
            _ => {}
        }
        return;
    }
    match inner_kind {
        // `skel { backend "s3" { … } }`: the backend's own arguments (the lists skelc and the
        // checker use).
        "backend" if path.len() == 2 && matches!(kind, "skel" | "terraform") => {
            if let Some(arguments) = inner
                .header
                .get(1)
                .and_then(|backend| skel_types::backend_arguments(backend))
            {
                fixed(ctx, arguments, &[], set, 0);
            }
        }
        "lifecycle" => fixed(
            ctx,
            &[
                "create_before_destroy",
                "prevent_destroy",
                "ignore_changes",
                "replace_triggered_by",
            ],
            &["precondition", "postcondition"],
            set,
            1,
        ),
        "validation" | "precondition" | "postcondition" => {
            fixed(ctx, &["condition", "error_message"], &[], set, 0)
        }
        "dynamic" => {
            fixed(ctx, &["for_each"], &["content"], set, 0);
            fixed(ctx, &["iterator", "labels"], &[], set, 1);
        }
        _ => {
            if let Some(schema) = schema_for(ctx.db, ctx.file, path) {
                schema_arguments(ctx, schema, set);
            }
            if path.len() >= 2 && inner_kind != "content" {
                fixed(ctx, &[], &["dynamic"], set, 3);
            }
        }
    }
}

/// The schema of the innermost scanned block.
fn schema_for(db: &dyn Db, file: File, path: &[&ScannedBlock]) -> Option<&'static BlockSchema> {
    let top = &path.first()?.header;
    let label = top.get(1)?;
    let mut schema = match top[0].as_str() {
        "resource" => &skel_types::schemas::resource(db, file, label)?.block,
        "data" => &skel_types::schemas::data_source(db, file, label)?.block,
        "provider" => &skel_types::schemas::provider(db, file, label)?.config,
        _ => return None,
    };
    let mut i = 1;
    while i < path.len() {
        let h = &path[i].header;
        if h[0] == "dynamic" {
            schema = &schema.block(h.get(1)?)?.block;
            if path.get(i + 1).is_some_and(|c| c.header[0] == "content") {
                i += 1;
            }
        } else {
            schema = &schema.block(&h[0])?.block;
        }
        i += 1;
    }
    Some(schema)
}

/// The child module's variables as arguments of a module call.
fn module_inputs(ctx: &mut Ctx<'_>, header: &[String], set: &[String]) {
    let Some(name) = header.get(1) else { return };
    let dir = resolve::dir_of(ctx.db, ctx.file);
    let index = skel_hir::module_index(ctx.db, dir);
    let Some(def) = index.modules.get(name) else {
        return;
    };
    let Some(child) = skel_types::module_call_dir(ctx.db, def.item.file, def.item.index) else {
        return;
    };
    let child_index = skel_hir::module_index(ctx.db, child);
    for (var, def) in &child_index.variables {
        if set.contains(var) {
            continue;
        }
        let ty = skel_types::variable_type(ctx.db, def.item.file, def.item.index);
        let required = resolve::top_of(ctx.db, def.item).is_some_and(|t| match &*t.item {
            skel_syntax::Item::Block(b) => b.body.attribute("default").is_none(),
            _ => false,
        });
        let detail = format!("{ty}{}", if required { " (required)" } else { "" });
        argument(
            ctx,
            var,
            false,
            if required { 0 } else { 1 },
            Some(detail),
            None,
        );
    }
}

/// The dotted chain before the dot preceding the word: `module.vpc[0].` → `module.vpc[0]`.
fn chain_before(text: &str, dot: usize) -> &str {
    let b = text.as_bytes();
    let mut i = dot;
    let mut depth = 0i32;
    while i > 0 {
        let c = b[i - 1];
        if c == b']' {
            depth += 1;
        } else if c == b'[' {
            depth -= 1;
            if depth < 0 {
                break;
            }
        } else if depth == 0 && !(is_ident(c) || c == b'.' || c == b'*') {
            break;
        }
        i -= 1;
    }
    &text[i..dot]
}

/// The attribute names of a chain, without index steps: `module.vpc[0]` → `[module, vpc]`.
fn segments(chain: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0;
    let mut start = 0;
    for (i, c) in chain.char_indices() {
        match c {
            '[' => {
                if depth == 0 && i > start {
                    out.push(&chain[start..i]);
                }
                depth += 1;
            }
            ']' => {
                depth -= 1;
                start = i + 1;
            }
            '.' if depth == 0 => {
                if i > start {
                    out.push(&chain[start..i]);
                }
                start = i + 1;
            }
            _ => {}
        }
    }
    if depth == 0 && start < chain.len() {
        out.push(&chain[start..]);
    }
    out.retain(|s| !s.starts_with(|c: char| c.is_ascii_digit()) && *s != "*");
    out
}

fn expression(ctx: &mut Ctx<'_>, path: &[&ScannedBlock], word_start: usize) {
    let db = ctx.db;
    let dir = resolve::dir_of(db, ctx.file);
    let index = skel_hir::module_index(db, dir).clone();
    if word_start > 0 && ctx.text.as_bytes()[word_start - 1] == b'.' {
        let chain = chain_before(ctx.text, word_start - 1);
        let segs = segments(chain);
        match segs.as_slice() {
            ["var"] => {
                for (name, def) in &index.variables {
                    let ty = skel_types::variable_type(db, def.item.file, def.item.index);
                    ctx.add(name, CompletionKind::Variable, Some(ty.to_string()));
                }
            }
            ["local"] => {
                for (name, def) in &index.locals {
                    let ty = skel_types::local_type(db, def.item.file, def.item.index, def.attr);
                    ctx.add(name, CompletionKind::Local, Some(short_type(&ty, 80)));
                }
            }
            ["module"] => {
                for (name, def) in &index.modules {
                    let source = skel_hir::module_call_source(db, def.item).map(|s| s.text);
                    ctx.add(name, CompletionKind::Module, source);
                }
            }
            ["module", m] => {
                let Some(def) = index.modules.get(*m) else {
                    return;
                };
                let Some(child) = skel_types::module_call_dir(db, def.item.file, def.item.index)
                else {
                    return;
                };
                for (name, ty) in skel_types::module_output_types(db, child).iter() {
                    ctx.add(name, CompletionKind::Output, Some(short_type(ty, 80)));
                }
            }
            ["data"] => {
                let mut types: Vec<&String> = index.data.keys().map(|(t, _)| t).collect();
                types.dedup();
                for t in types {
                    ctx.add(t, CompletionKind::ResourceType, None);
                }
            }
            ["data", t] => {
                for (ty, name) in index.data.keys() {
                    if ty == t {
                        ctx.add(
                            name,
                            CompletionKind::Variable,
                            Some(format!("data.{ty}.{name}")),
                        );
                    }
                }
            }
            ["data", t, _] => {
                if let Some(s) = skel_types::schemas::data_source(ctx.db, ctx.file, t) {
                    schema_attributes(ctx, &s.block);
                }
            }
            ["each"] => {
                ctx.add("key", CompletionKind::Keyword, Some("string".into()));
                ctx.add("value", CompletionKind::Keyword, None);
            }
            ["count"] => {
                ctx.add("index", CompletionKind::Keyword, Some("number".into()));
            }
            ["path"] => {
                for p in ["module", "root", "cwd"] {
                    ctx.add(p, CompletionKind::Keyword, Some("string".into()));
                }
            }
            ["terraform" | "skel"] => {
                ctx.add("workspace", CompletionKind::Keyword, Some("string".into()));
            }
            [t] if index.has_resource_type(t) => {
                for (ty, name) in index.resources.keys() {
                    if ty == t {
                        ctx.add(name, CompletionKind::Variable, Some(format!("{ty}.{name}")));
                    }
                }
            }
            [t, _]
                if index.has_resource_type(t)
                    || skel_types::schemas::resource(ctx.db, ctx.file, t).is_some() =>
            {
                if let Some(s) = skel_types::schemas::resource(ctx.db, ctx.file, t) {
                    schema_attributes(ctx, &s.block);
                }
            }
            _ => inferred_attributes(ctx, chain, word_start - 1),
        }
        return;
    }
    for root in ["var", "local", "module", "data", "path"] {
        ctx.add(root, CompletionKind::Keyword, None);
    }
    let top_names = path.first().map(|b| b.names.as_slice()).unwrap_or(&[]);
    if top_names.iter().any(|n| n == "count") {
        ctx.add("count", CompletionKind::Keyword, None);
    }
    if top_names.iter().any(|n| n == "for_each") {
        ctx.add("each", CompletionKind::Keyword, None);
    }
    for kw in ["true", "false", "null"] {
        ctx.add(kw, CompletionKind::Keyword, None);
    }
    let mut types: Vec<&String> = index.resources.keys().map(|(t, _)| t).collect();
    types.sort();
    types.dedup();
    for t in types {
        ctx.add(
            t,
            CompletionKind::ResourceType,
            Some("resource type".into()),
        );
    }
    for f in skel_stdlib::all() {
        let item = ctx.add(
            f.name,
            CompletionKind::Function,
            Some(skel_stdlib::signature_string(f)),
        );
        item.documentation = Some(f.description.to_string());
        item.insert_text = format!("{}($0)", f.name);
        item.is_snippet = true;
    }
}

fn schema_attributes(ctx: &mut Ctx<'_>, schema: &BlockSchema) {
    for (name, a) in &schema.attributes {
        let item = ctx.add(name, CompletionKind::Attribute, Some(a.ty.to_string()));
        item.documentation = Some(attribute_doc(name, a));
    }
    for (name, b) in &schema.blocks {
        ctx.add(
            name,
            CompletionKind::Attribute,
            Some(short_type(&b.computed_type(), 80)),
        );
    }
}

/// Attributes of whatever object the chain before the dot at `dot` has: the type the item's
/// check inferred for it (in its scopes: a `for` variable, `each`, `self`), else, when the
/// check recorded none (the item does not parse yet, as with nothing typed after the dot), the
/// chain's type in the item's context.
fn inferred_attributes(ctx: &mut Ctx<'_>, chain: &str, dot: usize) {
    if chain.is_empty() {
        return;
    }
    let parse = skel_db::parse(ctx.db, ctx.file);
    let top = resolve::top_at(parse, ctx.cursor as TextSize);
    let index = top.map_or(0, |(i, _)| i);
    let item = ItemRef {
        file: ctx.file,
        index,
    };
    let checked = top.and_then(|(_, top)| {
        let start = (dot - chain.len()) as TextSize;
        let receiver = TextRange::new(
            start.checked_sub(top.offset)?,
            (dot as TextSize).checked_sub(top.offset)?,
        );
        skel_types::item_types(ctx.db, ctx.file, index)
            .get(receiver)
            .cloned()
    });
    let ty = match checked {
        Some(ty) => ty,
        None => {
            let (expr, errors) = skel_syntax::parse_expr(chain);
            if !errors.is_empty() {
                return;
            }
            skel_types::expr_type_in_item(ctx.db, item, &expr)
        }
    };
    if let Type::Object(o) = ty {
        for (name, t) in &o.attrs {
            ctx.add(name, CompletionKind::Attribute, Some(short_type(t, 80)));
        }
    }
}

#[cfg(test)]
mod block_order_tests {
    use super::block_order;

    #[test]
    fn removed_block_types_are_not_offered_and_deprecated_ones_come_last() {
        let schema = skel_schema::load_str(
            r#"{ "name": "t", "resources": { "t_r": { "description": "r", "blocks": {
                "need": { "nesting": "list", "min_items": 1, "description": "n" },
                "plain": { "nesting": "list", "description": "p" },
                "old": { "nesting": "list", "description": "o", "deprecated": "use `t_old`" },
                "gone": { "nesting": "list", "description": "g", "removed": "use `t_gone`" } } } } }"#,
        )
        .unwrap()
        .pop()
        .unwrap();
        let blocks = &schema.resources["t_r"].block.blocks;
        let order = |n: &str| block_order(&blocks[n]);
        assert_eq!(order("gone"), None);
        assert!(order("need") < order("plain"));
        assert!(order("plain") < order("old"));
        // Arguments use the same scale: a deprecated block sorts with deprecated arguments.
        assert_eq!(order("old"), Some(2));
    }
}
