//! The type queries other items read: variable, local, resource, data source and module types.
//!
//! Each is a salsa query keyed by the defining item, so a use re-checks only when the type it
//! reads changed, not when the text around it did.

use std::sync::Arc;

use indexmap::IndexMap;
use skel_db::{Db, Diagnostic, Directory, File, ItemRef};
use skel_syntax::{Block, Item};
use skel_value::Type;

use crate::infer::InferCtx;

pub(crate) fn block_of(db: &dyn Db, file: File, index: u32) -> Option<Arc<Item>> {
    skel_db::item_ast(db, file, index).filter(|item| matches!(**item, Item::Block(_)))
}

pub(crate) fn as_block(item: &Item) -> &Block {
    match item {
        Item::Block(b) => b,
        _ => unreachable!("filtered by block_of"),
    }
}

/// The type of `var.NAME` where it is used: the declared type, or without a `type` the type of
/// the default (`any` when there is neither, or when the type is invalid).
#[salsa::tracked(returns(clone))]
pub fn variable_type(db: &dyn Db, file: File, index: u32) -> Type {
    let Some(item) = block_of(db, file, index) else {
        return Type::Dynamic;
    };
    let body = &as_block(&item).body;
    match body.attribute("type") {
        Some(a) => crate::constraint::type_from_expr(&a.expr).unwrap_or(Type::Dynamic),
        None => body
            .attribute("default")
            .and_then(|d| crate::constant::constant_value(&d.expr))
            .filter(|v| !v.is_null())
            .map(|v| v.type_of())
            .unwrap_or(Type::Dynamic),
    }
}

/// The type constraint values given for a variable must meet: the declared `type`, or `any`.
#[salsa::tracked(returns(clone))]
pub fn variable_constraint(db: &dyn Db, file: File, index: u32) -> Type {
    let Some(item) = block_of(db, file, index) else {
        return Type::Dynamic;
    };
    as_block(&item)
        .body
        .attribute("type")
        .and_then(|a| crate::constraint::type_from_expr(&a.expr).ok())
        .unwrap_or(Type::Dynamic)
}

/// A local value's inferred type and the diagnostics of its expression.
#[salsa::tracked(returns(clone), cycle_result = local_cycle)]
pub fn infer_local(db: &dyn Db, file: File, index: u32, attr: u32) -> Arc<(Type, Vec<Diagnostic>)> {
    let Some(item) = block_of(db, file, index) else {
        return Arc::new((Type::Dynamic, Vec::new()));
    };
    let Some(Item::Attribute(attribute)) = as_block(&item).body.items.get(attr as usize) else {
        return Arc::new((Type::Dynamic, Vec::new()));
    };
    let mut ctx = InferCtx::new(db, ItemRef { file, index });
    let ty = ctx.infer(&attribute.expr);
    Arc::new((ty, ctx.diagnostics))
}

fn local_cycle(
    _db: &dyn Db,
    _id: salsa::Id,
    _file: File,
    _index: u32,
    _attr: u32,
) -> Arc<(Type, Vec<Diagnostic>)> {
    // The cycle itself is reported by the module graph check.
    Arc::new((Type::Dynamic, Vec::new()))
}

pub fn local_type(db: &dyn Db, file: File, index: u32, attr: u32) -> Type {
    infer_local(db, file, index, attr).0.clone()
}

/// The object type of a resource or data source as references see it: one object, a list of
/// objects with `count`, a map of objects with `for_each`.
#[salsa::tracked(returns(clone))]
pub fn resource_type(db: &dyn Db, file: File, index: u32) -> Type {
    let Some(item) = block_of(db, file, index) else {
        return Type::Dynamic;
    };
    let block = as_block(&item);
    let schema = match (block.ident.name.as_str(), block.label(0)) {
        ("resource", Some(t)) => crate::schemas::resource(db, file, t),
        ("data", Some(t)) => crate::schemas::data_source(db, file, t),
        _ => None,
    };
    let object = schema
        .map(|s| s.computed_object_type())
        .unwrap_or(Type::Dynamic);
    wrap_repetition(block, object)
}

fn wrap_repetition(block: &Block, object: Type) -> Type {
    if block.body.attribute("count").is_some() {
        Type::list(object)
    } else if block.body.attribute("for_each").is_some() {
        Type::map(object)
    } else {
        object
    }
}

/// The output types of the module in `dir`, inferred from each output's value.
#[salsa::tracked(returns(clone), cycle_result = outputs_cycle)]
pub fn module_output_types(db: &dyn Db, dir: Directory) -> Arc<IndexMap<String, Type>> {
    let index = skel_hir::module_index(db, dir);
    let mut out = IndexMap::new();
    for (name, def) in &index.outputs {
        out.insert(
            name.clone(),
            infer_output(db, def.item.file, def.item.index).0.clone(),
        );
    }
    Arc::new(out)
}

fn outputs_cycle(_db: &dyn Db, _id: salsa::Id, _dir: Directory) -> Arc<IndexMap<String, Type>> {
    Arc::new(IndexMap::new())
}

/// An output's value type and the diagnostics of its value expression.
#[salsa::tracked(returns(clone), cycle_result = output_cycle)]
pub fn infer_output(db: &dyn Db, file: File, index: u32) -> Arc<(Type, Vec<Diagnostic>)> {
    let Some(item) = block_of(db, file, index) else {
        return Arc::new((Type::Dynamic, Vec::new()));
    };
    let Some(value) = as_block(&item).body.attribute("value") else {
        return Arc::new((Type::Dynamic, Vec::new()));
    };
    let mut ctx = InferCtx::new(db, ItemRef { file, index });
    let ty = ctx.infer(&value.expr);
    Arc::new((ty, ctx.diagnostics))
}

fn output_cycle(
    _db: &dyn Db,
    _id: salsa::Id,
    _file: File,
    _index: u32,
) -> Arc<(Type, Vec<Diagnostic>)> {
    Arc::new((Type::Dynamic, Vec::new()))
}

/// The child module directory of a `module` block: its local path, or where `skelc init`
/// installed its remote source.
pub fn module_call_dir(db: &dyn Db, file: File, index: u32) -> Option<Directory> {
    let item = ItemRef { file, index };
    let source = skel_hir::module_call_source(db, item)?;
    skel_hir::resolve_module_source(
        db,
        skel_hir::module_of(db, file),
        &source.name,
        &source.text,
    )
}

/// The type of `module.NAME`: an object of the child's outputs (a list of them with `count`,
/// a map with `for_each`). Output types are inferred in the child and checked at every use.
#[salsa::tracked(returns(clone))]
pub fn module_call_type(db: &dyn Db, file: File, index: u32) -> Type {
    let Some(item) = block_of(db, file, index) else {
        return Type::Dynamic;
    };
    let block = as_block(&item);
    let Some(dir) = module_call_dir(db, file, index).filter(|d| d.exists(db)) else {
        return Type::Dynamic;
    };
    let outputs = module_output_types(db, dir);
    let object = Type::object(outputs.iter().map(|(k, v)| (k.clone(), v.clone())));
    wrap_repetition(block, object)
}
