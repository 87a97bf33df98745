//! Hover: the type of the expression or reference under the cursor, with documentation from
//! variable and output descriptions, provider schemas and the stdlib.

use skel_db::{Db, File, ItemRef};
use skel_schema::{AttributeSchema, BlockSchema};
use skel_syntax::{Block, Expr, Item, TextRange};
use skel_value::Type;

use crate::resolve::{self, Node, Symbol};
use crate::{FilePosition, HoverResult};

pub(crate) fn hover(db: &dyn Db, position: FilePosition) -> Option<HoverResult> {
    let file = position.file;
    let offset = position.offset;
    let parse = skel_db::parse(db, file);
    let (index, top) = resolve::top_at(parse, offset)?;
    if let Some(r) = resolve::symbol_at(db, file, offset) {
        if let Some(markdown) = symbol_hover(db, file, &r.symbol) {
            return Some(HoverResult {
                markdown,
                range: r.hit,
            });
        }
    }
    let rel = offset - top.offset;
    let abs = |r: TextRange| r.shifted(top.offset);
    match resolve::node_at(&top.item, rel)? {
        Node::BlockIdent(path) => {
            let b = *path.last()?;
            let md = if path.len() == 1 {
                format!(
                    "```skel\n{}\n```\n\n{}",
                    b.ident.name,
                    block_doc(&b.ident.name)?
                )
            } else {
                let parent = resolve::schema_of_path(db, file, &path[..path.len() - 1])?;
                let nested = parent.block(&b.ident.name)?;
                nested_block_doc(&b.ident.name, nested)
            };
            Some(HoverResult {
                markdown: md,
                range: abs(b.ident.range),
            })
        }
        Node::Label(path, i) => {
            let b = *path.first()?;
            if path.len() != 1 || i != 0 {
                return None;
            }
            let ty = b.label(0)?;
            let markdown = match b.ident.name.as_str() {
                "resource" => {
                    type_doc("resource", ty, skel_types::schemas::resource(db, file, ty)?)
                }
                "data" => type_doc("data", ty, skel_types::schemas::data_source(db, file, ty)?),
                "provider" => {
                    let p = skel_types::schemas::provider(db, file, ty)?;
                    format!(
                        "```skel\nprovider \"{ty}\"\n```\n\n{} resource types, {} data sources",
                        p.resources.len(),
                        p.data_sources.len()
                    )
                }
                _ => return None,
            };
            Some(HoverResult {
                markdown,
                range: abs(b.labels[0].range),
            })
        }
        Node::AttrName(path, attr) => {
            let name = &attr.name.name;
            let markdown = match path.first().map(|b| b.ident.name.as_str()) {
                Some("locals") => return None,
                _ => {
                    let schema = resolve::schema_of_path(db, file, &path)?;
                    attribute_doc(name, schema.attribute(name)?)
                }
            };
            Some(HoverResult {
                markdown,
                range: abs(attr.name.range),
            })
        }
        Node::Expr(_, _, expr) => {
            let ty = type_in_item(db, ItemRef { file, index }, expr);
            let range = abs(expr.range);
            Some(HoverResult {
                markdown: format!("```skel\n{}\n```", short_type(&ty, 400)),
                range,
            })
        }
    }
}

fn block_doc(name: &str) -> Option<&'static str> {
    Some(match name {
        "variable" => "An input variable of the module: `var.NAME`.",
        "locals" => "Local values: named expressions, `local.NAME`.",
        "resource" => "A managed resource: `TYPE.NAME`.",
        "data" => "A data source, read during planning: `data.TYPE.NAME`.",
        "module" => "A module call: `module.NAME.OUTPUT`.",
        "output" => "An output value of the module.",
        "provider" => "A provider configuration.",
        "skel" | "terraform" => "Settings of the configuration.",
        _ => return None,
    })
}

fn nested_block_doc(name: &str, nested: &skel_schema::NestedBlockSchema) -> String {
    let mut md = format!(
        "```skel\n{name} {{ … }}\n```\n\nnested block ({:?}, {}..{})",
        nested.nesting,
        nested.min_items,
        nested
            .max_items
            .map(|m| m.to_string())
            .unwrap_or_else(|| "∞".into())
    )
    .to_lowercase();
    if nested.force_new {
        md.push_str("\n\n**forces replacement**");
    }
    push_note(
        &mut md,
        nested.removed.as_deref(),
        nested.deprecated.as_deref(),
    );
    if !nested.block.description.is_empty() {
        md.push_str("\n\n");
        md.push_str(&nested.block.description);
    }
    md
}

fn type_doc(kind: &str, ty: &str, schema: &skel_schema::ResourceSchema) -> String {
    format!(
        "```skel\n{kind} \"{ty}\"\n```\n\nprovider `{}`\n\n{}",
        skel_schema::provider_for_type(ty),
        schema.description
    )
}

/// Markdown for one schema attribute.
pub(crate) fn attribute_doc(name: &str, a: &AttributeSchema) -> String {
    let mut md = format!("```skel\n{name}: {}\n```\n\n{}", a.ty, attribute_flags(a));
    if a.force_new {
        md.push_str(" · **forces replacement**");
    }
    push_note(&mut md, a.removed.as_deref(), a.deprecated.as_deref());
    if !a.description.is_empty() {
        md.push_str("\n\n");
        md.push_str(&a.description);
    }
    md
}

/// The schema's note on an argument or block type that was removed or is deprecated.
fn push_note(md: &mut String, removed: Option<&str>, deprecated: Option<&str>) {
    if let Some(why) = removed {
        md.push_str("\n\n**removed**: ");
        md.push_str(why);
    } else if let Some(instead) = deprecated {
        md.push_str("\n\n**deprecated**: ");
        md.push_str(instead);
    }
}

pub(crate) fn attribute_flags(a: &AttributeSchema) -> String {
    let mut flags = Vec::new();
    if a.required {
        flags.push("required");
    } else if a.optional {
        flags.push("optional");
    }
    if a.computed {
        flags.push("computed");
    }
    if a.sensitive {
        flags.push("sensitive");
    }
    flags.join(", ")
}

fn description_of(block: &Block) -> Option<String> {
    block
        .body
        .attribute("description")
        .and_then(|a| a.expr.as_literal_string())
}

fn def_block(db: &dyn Db, item: ItemRef) -> Option<Block> {
    let top = resolve::top_of(db, item)?;
    match &*top.item {
        Item::Block(b) => Some(b.clone()),
        _ => None,
    }
}

fn with_description(mut md: String, description: Option<String>) -> String {
    if let Some(d) = description.filter(|d| !d.is_empty()) {
        md.push_str("\n\n");
        md.push_str(&d);
    }
    md
}

pub(crate) fn symbol_hover(db: &dyn Db, file: File, symbol: &Symbol) -> Option<String> {
    Some(match symbol {
        Symbol::Variable { dir, name } => {
            let index = skel_hir::module_index(db, *dir);
            let def = index.variables.get(name)?;
            let ty = skel_types::variable_type(db, def.item.file, def.item.index);
            let block = def_block(db, def.item)?;
            let mut md = format!("```skel\nvariable \"{name}\": {ty}\n```");
            // A sensitive (or ephemeral) variable's default is never shown.
            let marks = skel_types::declared_marks(db, def.item.file, def.item.index);
            if marks.hides() {
                let how = if marks.is_ephemeral() {
                    "ephemeral"
                } else {
                    "sensitive"
                };
                md.push_str(&format!("\n\n{how}"));
                if block.body.attribute("default").is_some() {
                    md.push_str("\n\ndefault: (sensitive value)");
                }
            } else if let Some(d) = block.body.attribute("default") {
                let top = resolve::top_of(db, def.item)?;
                let text = def.item.file.text(db).clone().unwrap_or_default();
                let source = text
                    .get(d.expr.range.shifted(top.offset).as_usize_range())
                    .unwrap_or("");
                if !source.is_empty() && source.len() <= 200 && !source.contains('\n') {
                    md.push_str(&format!("\n\ndefault: `{source}`"));
                }
            }
            with_description(md, description_of(&block))
        }
        Symbol::Local { dir, name } => {
            let index = skel_hir::module_index(db, *dir);
            let def = index.locals.get(name)?;
            let ty = skel_types::local_type(db, def.item.file, def.item.index, def.attr);
            format!("```skel\nlocal.{name}: {}\n```", short_type(&ty, 400))
        }
        Symbol::Resource { dir, ty, name } | Symbol::Data { dir, ty, name } => {
            let data = matches!(symbol, Symbol::Data { .. });
            let index = skel_hir::module_index(db, *dir);
            let key = (ty.clone(), name.clone());
            let def = if data {
                index.data.get(&key)
            } else {
                index.resources.get(&key)
            }?;
            let kind = if data { "data" } else { "resource" };
            let mut md = format!("```skel\n{kind} \"{ty}\" \"{name}\"\n```");
            let schema = if data {
                skel_types::schemas::data_source(db, def.item.file, ty)
            } else {
                skel_types::schemas::resource(db, def.item.file, ty)
            };
            let rty = skel_types::resource_type(db, def.item.file, def.item.index);
            match rty {
                Type::List(_) => md.push_str("\n\nrepeated with `count`: a list of instances"),
                Type::Map(_) => md.push_str("\n\nrepeated with `for_each`: a map of instances"),
                _ => {}
            }
            if let Some(s) = schema {
                md.push_str(&format!(
                    "\n\nprovider `{}`\n\n{}",
                    skel_schema::provider_for_type(ty),
                    s.description
                ));
            }
            md
        }
        Symbol::ModuleCall { dir, name } => {
            let index = skel_hir::module_index(db, *dir);
            let def = index.modules.get(name)?;
            let mut md = format!("```skel\nmodule \"{name}\"\n```");
            if let Some(child) = skel_types::module_call_dir(db, def.item.file, def.item.index) {
                md.push_str(&format!("\n\nsource: `{}`", child.path(db).display()));
                let outputs = skel_types::module_output_types(db, child);
                if !outputs.is_empty() {
                    md.push_str("\n\nOutputs:");
                    for (k, t) in outputs.iter() {
                        md.push_str(&format!("\n- `{k}`: `{}`", short_type(t, 120)));
                    }
                }
            }
            md
        }
        Symbol::Output { dir, name } => {
            let index = skel_hir::module_index(db, *dir);
            let def = index.outputs.get(name)?;
            let ty = skel_types::infer_output(db, def.item.file, def.item.index)
                .0
                .clone();
            let block = def_block(db, def.item)?;
            let md = format!("```skel\noutput \"{name}\": {}\n```", short_type(&ty, 400));
            with_description(md, description_of(&block))
        }
        Symbol::ResourceAttr { data, ty, attr } => {
            let schema = if *data {
                skel_types::schemas::data_source(db, file, ty)
            } else {
                skel_types::schemas::resource(db, file, ty)
            }?;
            attr_or_block_doc(&schema.block, attr)?
        }
        Symbol::Function(name) => {
            let f = skel_stdlib::lookup(name)?;
            format!(
                "```skel\n{}\n```\n\n{}",
                skel_stdlib::signature_string(f),
                f.description
            )
        }
        Symbol::Builtin { root, attr } => {
            let (ty, doc) = match (root.as_str(), attr.as_str()) {
                ("count", "index") => ("number", "The index of this instance (0-based)."),
                ("each", "key") => ("string", "The key of this `for_each` instance."),
                ("each", "value") => ("any", "The value of this `for_each` instance."),
                ("path", "module") => ("string", "The directory of the current module."),
                ("path", "root") => ("string", "The directory of the root module."),
                ("path", "cwd") => ("string", "The working directory."),
                (_, "workspace") => ("string", "The name of the current workspace."),
                _ => return None,
            };
            format!("```skel\n{root}.{attr}: {ty}\n```\n\n{doc}")
        }
    })
}

fn attr_or_block_doc(schema: &BlockSchema, attr: &str) -> Option<String> {
    if let Some(a) = schema.attribute(attr) {
        return Some(attribute_doc(attr, a));
    }
    let b = schema.block(attr)?;
    Some(format!(
        "```skel\n{attr}: {}\n```\n\n{}",
        short_type(&b.computed_type(), 400),
        nested_block_doc(attr, b)
    ))
}

/// A type, objects abbreviated as `{a: string, b: number}`, cut at `max` characters.
pub(crate) fn short_type(ty: &Type, max: usize) -> String {
    let mut s = abbreviate(ty);
    if s.len() > max {
        let mut cut = max;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push('…');
    }
    s
}

fn abbreviate(ty: &Type) -> String {
    match ty {
        Type::Object(o) => {
            let fields: Vec<String> = o
                .attrs
                .iter()
                .map(|(k, t)| format!("{k}: {}", abbreviate(t)))
                .collect();
            format!("{{{}}}", fields.join(", "))
        }
        Type::List(t) => format!("list({})", abbreviate(t)),
        Type::Set(t) => format!("set({})", abbreviate(t)),
        Type::Map(t) => format!("map({})", abbreviate(t)),
        Type::Tuple(ts) => format!(
            "tuple([{}])",
            ts.iter().map(abbreviate).collect::<Vec<_>>().join(", ")
        ),
        other => other.to_string(),
    }
}

/// The type of `target`, an expression of the item: what the item's check inferred for it
/// (in its scopes), or for an expression the check does not infer (`depends_on` entries, …)
/// its type in the item's context.
pub(crate) fn type_in_item(db: &dyn Db, item: ItemRef, target: &Expr) -> Type {
    match skel_types::item_types(db, item.file, item.index).get(target.range) {
        Some(ty) => ty.clone(),
        None => skel_types::expr_type_in_item(db, item, target),
    }
}

#[cfg(test)]
mod note_tests {
    #[test]
    fn a_deprecated_block_type_shows_its_replacement() {
        let schema = skel_schema::load_str(
            r#"{ "name": "t", "resources": { "t_r": { "description": "r", "blocks": {
                "old": { "nesting": "list", "description": "Old.", "deprecated": "use `t_old`" } } } } }"#,
        )
        .unwrap()
        .pop()
        .unwrap();
        let md = super::nested_block_doc("old", &schema.resources["t_r"].block.blocks["old"]);
        assert!(md.contains("**deprecated**: use `t_old`"), "{md}");
        assert!(md.ends_with("Old."), "{md}");
    }
}
