//! The per-module index of definitions, built from block headers only.

use std::sync::Arc;

use indexmap::IndexMap;
use skel_db::{did_you_mean_for, Code, Db, Diagnostic, Directory, File, ItemRef};
use skel_syntax::{Block, Item, TextRange};

/// The kinds of top-level blocks.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum DefKind {
    Variable,
    Locals,
    Resource,
    Data,
    Module,
    Output,
    Provider,
    /// `skel { }`, or the `terraform { }` alias.
    Settings,
    /// `moved { from = … to = … }`: a refactoring that renames objects in state.
    Moved,
    /// `removed { from = … }`: objects leaving the configuration, destroyed or forgotten.
    Removed,
    /// `import { to = … id = … }`: an existing object adopted by the plan.
    Import,
    /// `ephemeral "TYPE" "NAME" { }` (Terraform 1.10): no provider offers one yet.
    Ephemeral,
    /// `check "NAME" { data … assert { … } }` (Terraform 1.5): assertions that warn.
    Check,
}

impl DefKind {
    pub fn from_block_type(name: &str) -> Option<DefKind> {
        Some(match name {
            "variable" => DefKind::Variable,
            "locals" => DefKind::Locals,
            "resource" => DefKind::Resource,
            "data" => DefKind::Data,
            "module" => DefKind::Module,
            "output" => DefKind::Output,
            "provider" => DefKind::Provider,
            "skel" | "terraform" => DefKind::Settings,
            "moved" => DefKind::Moved,
            "removed" => DefKind::Removed,
            "import" => DefKind::Import,
            "ephemeral" => DefKind::Ephemeral,
            "check" => DefKind::Check,
            _ => return None,
        })
    }

    /// How many labels the block takes, and what they are called (for messages).
    pub fn labels(self) -> &'static [&'static str] {
        match self {
            DefKind::Variable => &["name"],
            DefKind::Locals
            | DefKind::Settings
            | DefKind::Moved
            | DefKind::Removed
            | DefKind::Import => &[],
            DefKind::Resource | DefKind::Data | DefKind::Ephemeral => &["type", "name"],
            DefKind::Module => &["name"],
            DefKind::Output | DefKind::Check => &["name"],
            DefKind::Provider => &["name"],
        }
    }
}

pub const TOP_LEVEL_BLOCKS: &[&str] = &[
    "variable",
    "locals",
    "resource",
    "data",
    "module",
    "output",
    "provider",
    "skel",
    "moved",
    "removed",
    "import",
    "ephemeral",
    "check",
];

/// A named definition: where it is and the range of its name (item-relative).
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Definition {
    pub item: ItemRef,
    pub name_range: TextRange,
}

/// One local value: the `locals` block it is in, and its attribute's position in that block.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct LocalDef {
    pub item: ItemRef,
    pub attr: u32,
    pub name_range: TextRange,
}

/// Everything a module defines, by name, in source order.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct ModuleIndex {
    pub files: Vec<File>,
    pub variables: IndexMap<String, Definition>,
    pub locals: IndexMap<String, LocalDef>,
    /// Keyed by `(type, name)`.
    pub resources: IndexMap<(String, String), Definition>,
    pub data: IndexMap<(String, String), Definition>,
    /// `ephemeral` blocks, keyed by `(type, name)`.
    pub ephemeral: IndexMap<(String, String), Definition>,
    pub modules: IndexMap<String, Definition>,
    pub outputs: IndexMap<String, Definition>,
    /// `check` blocks by name.
    pub checks: IndexMap<String, Definition>,
    /// The data sources scoped to a `check` block, keyed by `(type, name)`: the definition is
    /// the check block (the only item that may refer to it) and the check's name.
    pub check_data: IndexMap<(String, String), (Definition, String)>,
    /// Provider configurations keyed by `(name, alias)`; the alias is read from the body.
    pub providers: IndexMap<(String, Option<String>), Definition>,
    pub settings: Vec<ItemRef>,
    /// Every block, in order, with its kind (skips unknown block types and error items).
    pub items: Vec<(DefKind, ItemRef)>,
    /// Duplicate definitions, unknown block types, wrong labels.
    pub diagnostics: Vec<Diagnostic>,
}

impl ModuleIndex {
    /// Every resource type declared in the module (the roots a reference may start with).
    pub fn has_resource_type(&self, type_name: &str) -> bool {
        self.resources.keys().any(|(t, _)| t == type_name)
    }
}

/// The index of the module in `dir`.
#[salsa::tracked(returns(ref))]
pub fn module_index(db: &dyn Db, dir: Directory) -> Arc<ModuleIndex> {
    let mut index = ModuleIndex::default();
    for path in dir.json_files(db).iter() {
        let file = db.file(path);
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        index.diagnostics.push(
            Diagnostic::new(
                Code::UnsupportedJsonConfig,
                skel_db::Span::absolute(file, TextRange::empty(0)),
                format!(
                    "JSON configuration files are not read: `{}` is left out of the module",
                    name.unwrap_or_default()
                ),
            )
            .with_span_message("this file is not part of the module")
            .with_help(
                "rewrite it in the native syntax as a `.tf` or `.skel` file (the same blocks, \
                 written as HCL), or delete it",
            ),
        );
    }
    let mut override_files = Vec::new();
    for path in dir.skel_files(db).iter() {
        let file = db.file(path);
        index.files.push(file);
        if skel_db::is_override_file(path) {
            // Merged into the blocks they override (`skel_db::item_ast`), never defined twice.
            override_files.push(file);
            continue;
        }
        let parse = skel_db::parse(db, file);
        for (i, top) in parse.file.items.iter().enumerate() {
            let item = ItemRef {
                file,
                index: i as u32,
            };
            match &*top.item {
                Item::Block(block) => add_block(&mut index, item, block),
                Item::Attribute(attr) => index.diagnostics.push(
                    Diagnostic::new(
                        Code::UnknownBlockType,
                        item.span(attr.name.range),
                        "Arguments are not allowed at the top level of a module",
                    )
                    .with_span_message("this argument is outside any block")
                    .with_help("put it inside a block, for example `locals { … }`"),
                ),
                Item::Error(_) => {}
            }
        }
    }
    for file in override_files {
        check_overrides(db, &mut index, file);
    }
    Arc::new(index)
}

/// Every block of an override file must override one of the module's blocks, and every value of
/// its `locals` blocks one of the module's local values (Terraform rejects the others too).
fn check_overrides(db: &dyn Db, index: &mut ModuleIndex, file: File) {
    let parse = skel_db::parse(db, file);
    for (i, top) in parse.file.items.iter().enumerate() {
        let item = ItemRef {
            file,
            index: i as u32,
        };
        let Item::Block(over) = &*top.item else {
            if let Item::Attribute(attr) = &*top.item {
                index.diagnostics.push(Diagnostic::new(
                    Code::UnknownBlockType,
                    item.span(attr.name.range),
                    "Arguments are not allowed at the top level of a module",
                ));
            }
            continue;
        };
        if skel_db::overrides::block_type(over) == "locals" {
            for attr in over.body.attributes() {
                if !index.locals.contains_key(&attr.name.name) {
                    index.diagnostics.push(
                        Diagnostic::new(
                            Code::OverrideWithoutBase,
                            item.span(attr.name.range),
                            format!(
                                "No local value `{}` to override in the module's other files",
                                attr.name.name
                            ),
                        )
                        .with_span_message("overrides nothing")
                        .with_help(
                            "define the local in a file that is not an override file, or \
                             remove it here",
                        ),
                    );
                }
            }
            continue;
        }
        let has_base = index.items.iter().any(|(_, base)| {
            let base_parse = skel_db::parse(db, base.file);
            matches!(
                base_parse.file.items.get(base.index as usize).map(|t| &*t.item),
                Some(Item::Block(b)) if skel_db::overrides::overrides(over, b)
            )
        });
        if !has_base && skel_db::overrides::block_type(over) == "skel" {
            // Terraform applies an override file's `terraform` block even when no other file
            // has one (a backend set only in `override.tf`): it is the module's settings then.
            index.settings.push(item);
            index.items.push((DefKind::Settings, item));
            continue;
        }
        if !has_base {
            let labels: Vec<String> = over
                .labels
                .iter()
                .map(|l| format!("\"{}\"", l.value))
                .collect();
            let what = std::iter::once(over.ident.name.clone())
                .chain(labels)
                .collect::<Vec<_>>()
                .join(" ");
            index.diagnostics.push(
                Diagnostic::new(
                    Code::OverrideWithoutBase,
                    item.span(over.header_range()),
                    format!("No `{what}` block to override in the module's other files"),
                )
                .with_span_message("overrides nothing")
                .with_help(
                    "an override file only changes blocks defined elsewhere in the module: \
                     move this block to a file whose name does not end in `override`, or fix \
                     its type and labels",
                ),
            );
        }
    }
}

fn add_block(index: &mut ModuleIndex, item: ItemRef, block: &Block) {
    let Some(kind) = DefKind::from_block_type(&block.ident.name) else {
        index.diagnostics.push(
            Diagnostic::new(
                Code::UnknownBlockType,
                item.span(block.ident.range),
                format!("Unsupported block type `{}`", block.ident.name),
            )
            .with_span_message("not a top-level block type")
            .with_optional_help(did_you_mean_for(&block.ident.name, TOP_LEVEL_BLOCKS))
            .with_note(format!(
                "top-level blocks are {}",
                TOP_LEVEL_BLOCKS.join(", ")
            )),
        );
        return;
    };
    let expected = kind.labels();
    if block.labels.len() != expected.len() {
        let range = if block.labels.len() > expected.len() {
            block.labels[expected.len()]
                .range
                .cover(block.labels.last().map(|l| l.range).unwrap_or_default())
        } else {
            block.header_range()
        };
        let message = if expected.is_empty() {
            format!("A `{}` block takes no labels", block.ident.name)
        } else {
            format!(
                "A `{}` block takes {} label{}: {}",
                block.ident.name,
                expected.len(),
                if expected.len() == 1 { "" } else { "s" },
                expected.join(", ")
            )
        };
        index.diagnostics.push(
            Diagnostic::new(Code::InvalidBlockLabels, item.span(range), message).with_help(
                match kind {
                    DefKind::Resource => "write `resource \"TYPE\" \"NAME\" { … }`",
                    DefKind::Data => "write `data \"TYPE\" \"NAME\" { … }`",
                    DefKind::Ephemeral => "write `ephemeral \"TYPE\" \"NAME\" { … }`",
                    DefKind::Locals
                    | DefKind::Settings
                    | DefKind::Moved
                    | DefKind::Removed
                    | DefKind::Import => "remove the labels",
                    _ => "give the block exactly one name label",
                },
            ),
        );
        if block.labels.len() < expected.len() {
            return;
        }
    }
    if kind == DefKind::Settings && block.ident.name == "terraform" {
        index.diagnostics.push(
            Diagnostic::new(
                Code::DeprecatedBlock,
                item.span(block.ident.range),
                "`terraform` block accepted as an alias of `skel`",
            )
            .with_help("rename the block to `skel`"),
        );
    }
    index.items.push((kind, item));
    let label = |i: usize| block.labels[i].value.clone();
    let name_range = block
        .labels
        .last()
        .map(|l| l.range)
        .unwrap_or(block.ident.range);
    let def = Definition { item, name_range };
    match kind {
        DefKind::Variable => insert(
            &mut index.variables,
            label(0),
            def,
            "variable",
            &mut index.diagnostics,
        ),
        DefKind::Output => insert(
            &mut index.outputs,
            label(0),
            def,
            "output",
            &mut index.diagnostics,
        ),
        DefKind::Module => insert(
            &mut index.modules,
            label(0),
            def,
            "module call",
            &mut index.diagnostics,
        ),
        DefKind::Resource => insert(
            &mut index.resources,
            (label(0), label(1)),
            def,
            "resource",
            &mut index.diagnostics,
        ),
        DefKind::Data => match index.check_data.get(&(label(0), label(1))) {
            // A data source scoped to a check shares the module's data namespace.
            Some((first, _)) => index.diagnostics.push(duplicate(
                "data source",
                &format!("{}.{}", label(0), label(1)),
                item.span(def.name_range),
                first.item.span(first.name_range),
            )),
            None => insert(
                &mut index.data,
                (label(0), label(1)),
                def,
                "data source",
                &mut index.diagnostics,
            ),
        },
        DefKind::Provider => {
            let alias = block
                .body
                .attribute("alias")
                .and_then(|a| a.expr.as_literal_string());
            insert(
                &mut index.providers,
                (label(0), alias),
                def,
                "provider configuration",
                &mut index.diagnostics,
            )
        }
        DefKind::Settings => index.settings.push(item),
        DefKind::Moved | DefKind::Removed | DefKind::Import => {}
        DefKind::Ephemeral => insert(
            &mut index.ephemeral,
            (label(0), label(1)),
            def,
            "ephemeral resource",
            &mut index.diagnostics,
        ),
        DefKind::Check => {
            for data in block.body.blocks_of("data") {
                if data.labels.len() != 2 {
                    continue; // reported by the check
                }
                let key = (data.labels[0].value.clone(), data.labels[1].value.clone());
                let scoped = Definition {
                    item,
                    name_range: data.labels[1].range,
                };
                let first = index
                    .data
                    .get(&key)
                    .or_else(|| index.check_data.get(&key).map(|(d, _)| d));
                match first {
                    Some(first) => index.diagnostics.push(duplicate(
                        "data source",
                        &format!("{}.{}", key.0, key.1),
                        item.span(scoped.name_range),
                        first.item.span(first.name_range),
                    )),
                    None => {
                        index.check_data.insert(key, (scoped, label(0)));
                    }
                }
            }
            insert(
                &mut index.checks,
                label(0),
                def,
                "check",
                &mut index.diagnostics,
            )
        }
        DefKind::Locals => {
            for (attr_index, entry) in block.body.items.iter().enumerate() {
                match entry {
                    skel_syntax::Item::Attribute(attr) => {
                        let name = attr.name.name.clone();
                        if let Some(first) = index.locals.get(&name) {
                            index.diagnostics.push(duplicate(
                                "local value",
                                &name,
                                item.span(attr.name.range),
                                first.item.span(first.name_range),
                            ));
                        } else {
                            index.locals.insert(
                                name,
                                LocalDef {
                                    item,
                                    attr: attr_index as u32,
                                    name_range: attr.name.range,
                                },
                            );
                        }
                    }
                    skel_syntax::Item::Block(inner) => index.diagnostics.push(
                        Diagnostic::new(
                            Code::UnknownBlockType,
                            item.span(inner.ident.range),
                            "Blocks are not allowed inside `locals`",
                        )
                        .with_help("a local value is written `name = expression`"),
                    ),
                    skel_syntax::Item::Error(_) => {}
                }
            }
        }
    }
}

fn insert<K: std::hash::Hash + Eq + KeyName>(
    map: &mut IndexMap<K, Definition>,
    key: K,
    def: Definition,
    what: &str,
    diagnostics: &mut Vec<Diagnostic>,
) {
    if let Some(first) = map.get(&key) {
        diagnostics.push(duplicate(
            what,
            &key.key_name(),
            def.item.span(def.name_range),
            first.item.span(first.name_range),
        ));
    } else {
        map.insert(key, def);
    }
}

fn duplicate(what: &str, name: &str, span: skel_db::Span, first: skel_db::Span) -> Diagnostic {
    Diagnostic::new(
        Code::DuplicateDefinition,
        span,
        format!("Duplicate {what} `{name}`"),
    )
    .with_span_message("defined again here")
    .with_label(first, "first defined here")
    .with_help(format!(
        "rename or remove one of the two; each {what} name must be unique in a module"
    ))
}

trait KeyName {
    fn key_name(&self) -> String;
}

impl KeyName for String {
    fn key_name(&self) -> String {
        self.clone()
    }
}

impl KeyName for (String, String) {
    fn key_name(&self) -> String {
        format!("{}.{}", self.0, self.1)
    }
}

impl KeyName for (String, Option<String>) {
    fn key_name(&self) -> String {
        match &self.1 {
            Some(alias) => format!("{}.{}", self.0, alias),
            None => self.0.clone(),
        }
    }
}
