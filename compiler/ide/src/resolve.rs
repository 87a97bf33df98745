//! Finding what is at an offset: the top-level item, the node under the cursor, and every
//! reference of an item classified as the symbol it names.

use std::path::PathBuf;

use skel_db::{Db, Directory, File, ItemRef};
use skel_hir::resolve::{self, Root, Scopes, Target, MODULE_META_ATTRS};
use skel_schema::BlockSchema;
use skel_syntax::{Attribute, Block, Expr, ExprKind, Item, Parse, TextRange, TextSize, TopItem};

use crate::{NavigationTarget, SymbolKind};

/// A definition that references can name.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub(crate) enum Symbol {
    Variable {
        dir: Directory,
        name: String,
    },
    Local {
        dir: Directory,
        name: String,
    },
    Resource {
        dir: Directory,
        ty: String,
        name: String,
    },
    Data {
        dir: Directory,
        ty: String,
        name: String,
    },
    ModuleCall {
        dir: Directory,
        name: String,
    },
    /// An output of the module in `dir`.
    Output {
        dir: Directory,
        name: String,
    },
    /// An attribute of a resource or data source instance: `aws_instance.web.arn`.
    ResourceAttr {
        data: bool,
        ty: String,
        attr: String,
    },
    Function(String),
    /// `count.index`, `each.key`, `path.module`, …
    Builtin {
        root: String,
        attr: String,
    },
}

/// One reference (or definition site) in a file: `range` is the name to rename, `hit` the range
/// the cursor may be on to mean it (`var.x` as a whole for a variable).
#[derive(Clone, PartialEq, Eq, Debug)]
pub(crate) struct Ref {
    pub file: File,
    pub range: TextRange,
    pub hit: TextRange,
    pub symbol: Symbol,
}

/// The top-level item containing `offset` (end inclusive), with its index.
pub(crate) fn top_at(parse: &Parse, offset: TextSize) -> Option<(u32, &TopItem)> {
    parse
        .file
        .items
        .iter()
        .enumerate()
        .filter(|(_, t)| t.absolute_range().contains_inclusive(offset))
        .min_by_key(|(_, t)| t.absolute_range().len())
        .map(|(i, t)| (i as u32, t))
}

/// What the cursor is on inside a top-level item (ranges item-relative).
#[derive(Debug)]
pub(crate) enum Node<'a> {
    BlockIdent(Vec<&'a Block>),
    Label(Vec<&'a Block>, usize),
    AttrName(Vec<&'a Block>, &'a Attribute),
    /// The innermost expression containing the offset, the attribute it is in.
    Expr(Vec<&'a Block>, &'a Attribute, &'a Expr),
}

pub(crate) fn node_at(item: &Item, rel: TextSize) -> Option<Node<'_>> {
    match item {
        Item::Block(b) => block_node(vec![b], b, rel),
        Item::Attribute(a) => attr_node(Vec::new(), a, rel),
        Item::Error(_) => None,
    }
}

fn block_node<'a>(path: Vec<&'a Block>, b: &'a Block, rel: TextSize) -> Option<Node<'a>> {
    if b.ident.range.contains_inclusive(rel) {
        return Some(Node::BlockIdent(path));
    }
    if let Some(i) = b
        .labels
        .iter()
        .position(|l| l.range.contains_inclusive(rel))
    {
        return Some(Node::Label(path, i));
    }
    if !b.body_range.contains(rel) {
        return None;
    }
    for item in &b.body.items {
        match item {
            Item::Block(inner) if inner.range.contains_inclusive(rel) => {
                let mut p = path.clone();
                p.push(inner);
                return block_node(p, inner, rel);
            }
            Item::Attribute(a) if a.range.contains_inclusive(rel) => {
                return attr_node(path, a, rel);
            }
            _ => {}
        }
    }
    None
}

fn attr_node<'a>(path: Vec<&'a Block>, a: &'a Attribute, rel: TextSize) -> Option<Node<'a>> {
    if a.name.range.contains_inclusive(rel) {
        return Some(Node::AttrName(path, a));
    }
    let mut best: Option<&Expr> = None;
    a.expr.walk(&mut |e| {
        if e.range.contains_inclusive(rel) && best.is_none_or(|b| e.range.len() <= b.range.len()) {
            best = Some(e);
        }
    });
    best.map(|e| Node::Expr(path, a, e))
}

/// The module directory of a file.
pub(crate) fn dir_of(db: &dyn Db, file: File) -> Directory {
    skel_hir::module_of(db, file)
}

/// The range inside the quotes of a label.
pub(crate) fn label_inner(label: &skel_syntax::Label) -> TextRange {
    let r = label.range;
    if label.quoted && r.len() >= 2 {
        TextRange::new(r.start() + 1, r.end() - 1)
    } else {
        r
    }
}

/// The references of one top-level item, classified.
pub(crate) fn item_refs(db: &dyn Db, file: File, top: &TopItem) -> Vec<Ref> {
    let dir = dir_of(db, file);
    let index = skel_hir::module_index(db, dir);
    let off = top.offset;
    let mut out = Vec::new();
    let mut push = |range: TextRange, hit: TextRange, symbol: Symbol| {
        out.push(Ref {
            file,
            range: range.shifted(off),
            hit: hit.shifted(off),
            symbol,
        })
    };
    let Item::Block(block) = &*top.item else {
        return Vec::new();
    };
    // Module-call arguments name the child's variables.
    let child = (block.ident.name == "module")
        .then(|| child_dir_of_block(db, dir, block))
        .flatten();
    let mut path = Vec::new();
    resolve::walk_body(
        &block.body,
        &mut path,
        &mut Scopes::<()>::default(),
        &mut |path, attr, scopes| {
            if let (Some(child), true) = (child, path.is_empty()) {
                if !MODULE_META_ATTRS.contains(&attr.name.name.as_str()) {
                    push(
                        attr.name.range,
                        attr.name.range,
                        Symbol::Variable {
                            dir: child,
                            name: attr.name.name.clone(),
                        },
                    );
                }
            }
            resolve::walk_expr(&attr.expr, scopes, &mut |e, scopes| {
                classify(db, dir, index, e, scopes, &mut push)
            });
        },
    );
    out
}

/// Classify `e` if it names a symbol: a call's function, a reference (a name bound by a `for`
/// or `dynamic` shadows a root, as [`skel_hir::resolve`] decides), an attribute of an instance.
fn classify(
    db: &dyn Db,
    dir: Directory,
    index: &skel_hir::ModuleIndex,
    e: &Expr,
    scopes: &Scopes,
    push: &mut dyn FnMut(TextRange, TextRange, Symbol),
) {
    match &e.kind {
        ExprKind::Call { name, .. } => {
            push(name.range, name.range, Symbol::Function(name.name.clone()))
        }
        ExprKind::GetAttr { expr: inner, name } => {
            let hit = TextRange::new(inner.range.start(), name.range.end());
            if let Some(target) = resolve::reference(e, scopes) {
                let sym = match target {
                    Target::Variable(n) => Symbol::Variable {
                        dir,
                        name: n.name.clone(),
                    },
                    Target::Local(n) => Symbol::Local {
                        dir,
                        name: n.name.clone(),
                    },
                    Target::ModuleCall(n) => Symbol::ModuleCall {
                        dir,
                        name: n.name.clone(),
                    },
                    Target::Data { ty, name } => Symbol::Data {
                        dir,
                        ty: ty.name.clone(),
                        name: name.name.clone(),
                    },
                    Target::Builtin { root, attr } => Symbol::Builtin {
                        root: root.name().to_string(),
                        attr: attr.name.clone(),
                    },
                    Target::Resource { ty, name }
                        if index.has_resource_type(&ty.name)
                            || skel_types::schemas::resource_in(db, dir, &ty.name).is_some() =>
                    {
                        Symbol::Resource {
                            dir,
                            ty: ty.name.clone(),
                            name: name.name.clone(),
                        }
                    }
                    Target::Resource { .. } => return,
                };
                push(name.range, hit, sym);
                return;
            }
            if matches!(
                inner.kind,
                ExprKind::GetAttr { .. } | ExprKind::Index { .. }
            ) {
                attr_of_instance(db, index, inner, name, scopes, push);
            }
        }
        _ => {}
    }
}

/// `X.attr` where `X` is a module call (an output) or a resource / data instance.
fn attr_of_instance(
    db: &dyn Db,
    index: &skel_hir::ModuleIndex,
    inner: &Expr,
    name: &skel_syntax::Ident,
    scopes: &Scopes,
    push: &mut dyn FnMut(TextRange, TextRange, Symbol),
) {
    let base = match &inner.kind {
        ExprKind::Index { expr, .. } => expr,
        _ => inner,
    };
    let Some((root, steps)) = base.as_traversal() else {
        return;
    };
    if scopes.is_bound(&root.name) {
        return;
    }
    let names: Vec<&str> = steps
        .iter()
        .filter_map(|s| match s {
            skel_syntax::Step::Attr(i) => Some(i.name.as_str()),
            skel_syntax::Step::Index(_) => None,
        })
        .collect();
    if steps.len() != names.len() {
        return;
    }
    let attr = name.name.clone();
    let sym = match (root.name.as_str(), names.as_slice()) {
        ("module", [m]) => {
            let Some(def) = index.modules.get(*m) else {
                return;
            };
            let Some(child) = skel_types::module_call_dir(db, def.item.file, def.item.index) else {
                return;
            };
            Symbol::Output {
                dir: child,
                name: attr,
            }
        }
        ("data", [ty, _]) => Symbol::ResourceAttr {
            data: true,
            ty: ty.to_string(),
            attr,
        },
        (root, _) if Root::from_name(root).is_some() => return,
        (ty, [_])
            if index.has_resource_type(ty)
                || index
                    .files
                    .first()
                    .is_some_and(|f| skel_types::schemas::resource(db, *f, ty).is_some()) =>
        {
            Symbol::ResourceAttr {
                data: false,
                ty: ty.to_string(),
                attr,
            }
        }
        _ => return,
    };
    push(name.range, name.range, sym);
}

/// The child module directory of a module block by its source.
pub(crate) fn child_dir_of_block(db: &dyn Db, dir: Directory, block: &Block) -> Option<Directory> {
    let source = block.body.attribute("source")?.expr.as_literal_string()?;
    let name = &block.labels.first()?.value;
    skel_hir::resolve_module_source(db, dir, name, &source)
}

/// The definition sites in a top-level item (labels and local names), as refs.
pub(crate) fn item_defs(db: &dyn Db, file: File, top: &TopItem) -> Vec<Ref> {
    let dir = dir_of(db, file);
    let Item::Block(block) = &*top.item else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let off = top.offset;
    let mut push = |range: TextRange, symbol: Symbol| {
        out.push(Ref {
            file,
            range: range.shifted(off),
            hit: range.shifted(off),
            symbol,
        })
    };
    let l = |i: usize| block.labels.get(i);
    match (block.ident.name.as_str(), l(0), l(1)) {
        ("variable", Some(n), None) => push(
            label_inner(n),
            Symbol::Variable {
                dir,
                name: n.value.clone(),
            },
        ),
        ("output", Some(n), None) => push(
            label_inner(n),
            Symbol::Output {
                dir,
                name: n.value.clone(),
            },
        ),
        ("module", Some(n), None) => push(
            label_inner(n),
            Symbol::ModuleCall {
                dir,
                name: n.value.clone(),
            },
        ),
        ("resource", Some(t), Some(n)) => push(
            label_inner(n),
            Symbol::Resource {
                dir,
                ty: t.value.clone(),
                name: n.value.clone(),
            },
        ),
        ("data", Some(t), Some(n)) => push(
            label_inner(n),
            Symbol::Data {
                dir,
                ty: t.value.clone(),
                name: n.value.clone(),
            },
        ),
        ("locals", None, None) => {
            for a in block.body.attributes() {
                push(
                    a.name.range,
                    Symbol::Local {
                        dir,
                        name: a.name.name.clone(),
                    },
                );
            }
        }
        _ => {}
    }
    out
}

/// The symbol at a position, from references first, then definition sites.
pub(crate) fn symbol_at(db: &dyn Db, file: File, offset: TextSize) -> Option<Ref> {
    let parse = skel_db::parse(db, file);
    let (_, top) = top_at(parse, offset)?;
    let mut refs = item_refs(db, file, top);
    refs.extend(item_defs(db, file, top));
    refs.into_iter()
        .filter(|r| r.hit.contains_inclusive(offset))
        .min_by_key(|r| r.hit.len())
}

/// Where a symbol is defined.
pub(crate) fn definition(db: &dyn Db, symbol: &Symbol) -> Option<NavigationTarget> {
    let (dir, kind, name) = match symbol {
        Symbol::Variable { dir, name } => (dir, SymbolKind::Variable, name.clone()),
        Symbol::Local { dir, name } => {
            let index = skel_hir::module_index(db, *dir);
            let def = index.locals.get(name)?;
            let item = ItemRef {
                file: def.item.file,
                index: def.item.index,
            };
            let top = top_of(db, item)?;
            let Item::Block(b) = &*top.item else {
                return None;
            };
            let attr = b.body.items.get(def.attr as usize)?;
            return Some(NavigationTarget {
                file: item.file,
                full_range: attr.range().shifted(top.offset),
                focus_range: def.name_range.shifted(top.offset),
                name: name.clone(),
                kind: SymbolKind::Local,
            });
        }
        Symbol::Resource { dir, ty, name } => (dir, SymbolKind::Resource, format!("{ty}.{name}")),
        Symbol::Data { dir, ty, name } => {
            (dir, SymbolKind::DataSource, format!("data.{ty}.{name}"))
        }
        Symbol::ModuleCall { dir, name } => (dir, SymbolKind::Module, name.clone()),
        Symbol::Output { dir, name } => (dir, SymbolKind::Output, name.clone()),
        _ => return None,
    };
    let index = skel_hir::module_index(db, *dir);
    let def = match symbol {
        Symbol::Variable { name, .. } => index.variables.get(name),
        Symbol::ModuleCall { name, .. } => index.modules.get(name),
        Symbol::Output { name, .. } => index.outputs.get(name),
        Symbol::Resource { ty, name, .. } => index.resources.get(&(ty.clone(), name.clone())),
        Symbol::Data { ty, name, .. } => index.data.get(&(ty.clone(), name.clone())),
        _ => None,
    }?;
    let top = top_of(db, def.item)?;
    let Item::Block(b) = &*top.item else {
        return None;
    };
    let focus = b.labels.last().map(label_inner).unwrap_or(def.name_range);
    Some(NavigationTarget {
        file: def.item.file,
        full_range: top.absolute_range(),
        focus_range: focus.shifted(top.offset),
        name,
        kind,
    })
}

pub(crate) fn top_of(db: &dyn Db, item: ItemRef) -> Option<TopItem> {
    skel_db::parse(db, item.file)
        .file
        .items
        .get(item.index as usize)
        .cloned()
}

/// Every module directory the database knows: the directories of files seen so far and the
/// module trees under them.
pub(crate) fn known_modules(db: &dyn Db) -> Vec<Directory> {
    let mut dirs: Vec<PathBuf> = db
        .files()
        .all_files()
        .iter()
        .filter(|f| skel_db::is_config_file(f.path(db)))
        .filter_map(|f| f.path(db).parent().map(|p| p.to_path_buf()))
        .collect();
    dirs.sort();
    dirs.dedup();
    let mut out: Vec<Directory> = Vec::new();
    for path in dirs {
        let dir = db.directory(&path);
        for d in skel_types::modules_in_tree(db, dir) {
            if !out.contains(&d) {
                out.push(d);
            }
        }
    }
    out
}

/// Every reference in a module (all files, all items).
pub(crate) fn module_refs(db: &dyn Db, dir: Directory) -> Vec<Ref> {
    let index = skel_hir::module_index(db, dir);
    let mut out = Vec::new();
    for &file in &index.files {
        for top in &skel_db::parse(db, file).file.items {
            out.extend(item_refs(db, file, top));
        }
    }
    out
}

/// The schema of the block at the end of `path` (top-level block first), if known.
pub(crate) fn schema_of_path(
    db: &dyn Db,
    file: File,
    path: &[&Block],
) -> Option<&'static BlockSchema> {
    let (top, rest) = path.split_first()?;
    let mut schema = match top.ident.name.as_str() {
        "resource" => &skel_types::schemas::resource(db, file, top.label(0)?)?.block,
        "data" => &skel_types::schemas::data_source(db, file, top.label(0)?)?.block,
        "provider" => &skel_types::schemas::provider(db, file, top.label(0)?)?.config,
        _ => return None,
    };
    let mut i = 0;
    while i < rest.len() {
        let b = rest[i];
        if b.ident.name == "dynamic" {
            let target = b.label(0)?;
            schema = &schema.block(target)?.block;
            // The `content` block inside has the target's schema.
            if rest.get(i + 1).is_some_and(|c| c.ident.name == "content") {
                i += 1;
            }
        } else {
            schema = &schema.block(&b.ident.name)?.block;
        }
        i += 1;
    }
    Some(schema)
}
