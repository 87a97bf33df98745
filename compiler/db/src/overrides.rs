//! Override files (`override.tf`, `NAME_override.tf` and the `.skel` forms) merged into the
//! blocks they override, by Terraform's rules, behind [`crate::item_ast`].
//!
//! An override file's top-level block replaces parts of the block of the module's other files
//! with the same type and labels: each attribute it sets replaces the attribute of that name;
//! each nested block type it has replaces every nested block of that type (static or `dynamic`)
//! wholesale, except `lifecycle` in resources and data and `required_providers` in the
//! settings block, merged attribute by attribute. A `locals` block overrides each local value
//! it names, wherever it is defined. Override files apply in file-name order. What an override
//! file brings keeps no position of its own in the merged tree: its ranges become the range of
//! the overridden block's type keyword, so a diagnostic about it points at that block.

use std::path::Path;

use skel_syntax::{
    Attribute, Block, Body, Expr, ExprKind, Ident, Item, Label, TemplatePart, TextRange,
};

use crate::files::is_override_file;
use crate::{parse, Db, File};

/// The block type an override is matched by: `terraform` and `skel` are the same block.
pub fn block_type(block: &Block) -> &str {
    match block.ident.name.as_str() {
        "terraform" => "skel",
        other => other,
    }
}

/// Whether an override block applies to `base` (same type and labels).
pub fn overrides(over: &Block, base: &Block) -> bool {
    block_type(over) == block_type(base)
        && over.labels.len() == base.labels.len()
        && over
            .labels
            .iter()
            .zip(&base.labels)
            .all(|(a, b)| a.value == b.value)
}

/// The override files of the module `file` belongs to, in order; empty for an override file
/// itself and for a file that is not one of a module directory's files.
pub fn override_files(db: &dyn Db, file: File) -> Vec<File> {
    let path = file.path(db);
    if is_override_file(path) {
        return Vec::new();
    }
    let Some(parent) = path.parent() else {
        return Vec::new();
    };
    let dir = db.directory(parent);
    let listed = dir.skel_files(db);
    if !listed.iter().any(|p| p == path) {
        return Vec::new();
    }
    listed
        .iter()
        .filter(|p| is_override_file(p))
        .map(|p| db.file(Path::new(p)))
        .collect()
}

/// `base` with every override of the module applied, or `None` when none applies.
pub fn merged(db: &dyn Db, file: File, base: &Block) -> Option<Block> {
    let mut out: Option<Block> = None;
    for over_file in override_files(db, file) {
        for top in &parse(db, over_file).file.items {
            let Item::Block(over) = &*top.item else {
                continue;
            };
            let at = base.ident.range;
            if block_type(base) == "locals" && block_type(over) == "locals" {
                for attr in over.body.attributes() {
                    let target = out.get_or_insert_with(|| base.clone());
                    if let Some(slot) = target.body.items.iter_mut().find_map(|i| match i {
                        Item::Attribute(a) if a.name.name == attr.name.name => Some(a),
                        _ => None,
                    }) {
                        slot.expr = retarget_expr(&attr.expr, at);
                    }
                }
            } else if overrides(over, base) {
                let target = out.get_or_insert_with(|| base.clone());
                let kind = block_type(base).to_string();
                merge_body(&mut target.body, &over.body, at, &kind);
            }
        }
    }
    // A locals block none of whose values was overridden stays the parsed one.
    out.filter(|b| b != base)
}

/// The type a nested block counts as for replacement: its own, or a `dynamic` block's label.
fn nested_type(block: &Block) -> &str {
    match (block.ident.name.as_str(), block.labels.first()) {
        ("dynamic", Some(label)) => &label.value,
        (name, _) => name,
    }
}

fn merge_body(base: &mut Body, over: &Body, at: TextRange, kind: &str) {
    for attr in over.attributes() {
        let new = retarget_attr(attr, at);
        match base.items.iter_mut().find_map(|i| match i {
            Item::Attribute(a) if a.name.name == attr.name.name => Some(a),
            _ => None,
        }) {
            Some(slot) => *slot = new,
            None => base.items.push(Item::Attribute(new)),
        }
    }
    let mut replaced: Vec<&str> = Vec::new();
    for block in over.blocks() {
        let ty = nested_type(block);
        let merge_by_attribute = matches!(
            (kind, ty),
            ("resource" | "data", "lifecycle") | ("skel", "required_providers")
        ) && block.ident.name == ty;
        if merge_by_attribute {
            let existing = base.items.iter_mut().find_map(|i| match i {
                Item::Block(b) if b.ident.name == ty => Some(b),
                _ => None,
            });
            match existing {
                Some(b) => merge_body(&mut b.body, &block.body, at, ty),
                None => base.items.push(Item::Block(retarget_block(block, at))),
            }
            continue;
        }
        if !replaced.contains(&ty) {
            replaced.push(ty);
            base.items
                .retain(|i| !matches!(i, Item::Block(b) if nested_type(b) == ty));
        }
        base.items.push(Item::Block(retarget_block(block, at)));
    }
}

fn retarget_ident(ident: &Ident, at: TextRange) -> Ident {
    Ident {
        name: ident.name.clone(),
        range: at,
    }
}

fn retarget_attr(attr: &Attribute, at: TextRange) -> Attribute {
    Attribute {
        name: retarget_ident(&attr.name, at),
        expr: retarget_expr(&attr.expr, at),
        range: at,
    }
}

fn retarget_block(block: &Block, at: TextRange) -> Block {
    Block {
        ident: retarget_ident(&block.ident, at),
        labels: block
            .labels
            .iter()
            .map(|l| Label {
                range: at,
                ..l.clone()
            })
            .collect(),
        body: Body {
            items: block
                .body
                .items
                .iter()
                .map(|i| match i {
                    Item::Attribute(a) => Item::Attribute(retarget_attr(a, at)),
                    Item::Block(b) => Item::Block(retarget_block(b, at)),
                    Item::Error(_) => Item::Error(at),
                })
                .collect(),
        },
        body_range: at,
        range: at,
    }
}

/// A copy of `expr` with every range set to `at`.
pub fn retarget_expr(expr: &Expr, at: TextRange) -> Expr {
    let mut out = expr.clone();
    set_ranges(&mut out, at);
    out
}

fn set_ranges(expr: &mut Expr, at: TextRange) {
    expr.range = at;
    match &mut expr.kind {
        ExprKind::Null
        | ExprKind::Bool(_)
        | ExprKind::Number(_)
        | ExprKind::SplatItem
        | ExprKind::Error => {}
        ExprKind::Template(t) => set_part_ranges(&mut t.parts, at),
        ExprKind::Variable(ident) => ident.range = at,
        ExprKind::Tuple(items) => items.iter_mut().for_each(|e| set_ranges(e, at)),
        ExprKind::Object(items) => {
            for item in items {
                set_ranges(&mut item.key, at);
                set_ranges(&mut item.value, at);
            }
        }
        ExprKind::Call { name, args, .. } => {
            name.range = at;
            args.iter_mut().for_each(|e| set_ranges(e, at));
        }
        ExprKind::GetAttr { expr, name } => {
            set_ranges(expr, at);
            name.range = at;
        }
        ExprKind::Index { expr, index } => {
            set_ranges(expr, at);
            set_ranges(index, at);
        }
        ExprKind::Splat { expr, each, .. } => {
            set_ranges(expr, at);
            set_ranges(each, at);
        }
        ExprKind::Unary { expr, .. } | ExprKind::Parens(expr) => set_ranges(expr, at),
        ExprKind::Binary { lhs, rhs, .. } => {
            set_ranges(lhs, at);
            set_ranges(rhs, at);
        }
        ExprKind::Conditional { cond, then, other } => {
            set_ranges(cond, at);
            set_ranges(then, at);
            set_ranges(other, at);
        }
        ExprKind::ForTuple {
            key_var,
            value_var,
            collection,
            value,
            cond,
        } => {
            if let Some(k) = key_var {
                k.range = at;
            }
            value_var.range = at;
            set_ranges(collection, at);
            set_ranges(value, at);
            if let Some(c) = cond {
                set_ranges(c, at);
            }
        }
        ExprKind::ForObject {
            key_var,
            value_var,
            collection,
            key,
            value,
            cond,
            ..
        } => {
            if let Some(k) = key_var {
                k.range = at;
            }
            value_var.range = at;
            set_ranges(collection, at);
            set_ranges(key, at);
            set_ranges(value, at);
            if let Some(c) = cond {
                set_ranges(c, at);
            }
        }
    }
}

fn set_part_ranges(parts: &mut [TemplatePart], at: TextRange) {
    for part in parts {
        match part {
            TemplatePart::Literal { range, .. } => *range = at,
            TemplatePart::Interpolation { expr, range, .. } => {
                *range = at;
                set_ranges(expr, at);
            }
            TemplatePart::If {
                cond,
                then,
                other,
                range,
                ..
            } => {
                *range = at;
                set_ranges(cond, at);
                set_part_ranges(then, at);
                if let Some(o) = other {
                    set_part_ranges(o, at);
                }
            }
            TemplatePart::For {
                key_var,
                value_var,
                collection,
                body,
                range,
                ..
            } => {
                *range = at;
                if let Some(k) = key_var {
                    k.range = at;
                }
                value_var.range = at;
                set_ranges(collection, at);
                set_part_ranges(body, at);
            }
        }
    }
}
