//! Checking `moved` and `removed` blocks: their addresses are read statically (references, not
//! expressions) and validated as Terraform does: the same kind of object on both sides, no
//! cycles, `to` declared and `from` no longer declared, `removed` only for what is gone.

use skel_db::{Code, Db, Directory};
use skel_hir::refactor::{parse_endpoint, parse_import_target, AddrKey, Endpoint};
use skel_hir::DefKind;
use skel_syntax::{Attribute, Block, Item};
use skel_value::Type;

use crate::infer::InferCtx;

/// Whether the configuration declares what an endpoint names.
enum Declared {
    Yes,
    /// No: what is missing, for the message.
    No(String),
    /// Cannot tell (a module that is not a local directory).
    Unknown,
}

/// What `endpoint`, relative to the module in `dir`, names in the configuration.
fn declared(db: &dyn Db, dir: Directory, endpoint: &Endpoint) -> Declared {
    let mut dir = dir;
    let count = endpoint.modules.len();
    for (i, step) in endpoint.modules.iter().enumerate() {
        let index = skel_hir::module_index(db, dir);
        let Some(def) = index.modules.get(&step.name) else {
            return Declared::No(format!("module call `{}`", step.name));
        };
        if i + 1 == count && endpoint.resource.is_none() {
            return Declared::Yes;
        }
        let child = skel_hir::module_call_source(db, def.item)
            .and_then(|s| skel_hir::resolve_module_source(db, dir, &s.name, &s.text));
        match child {
            Some(child) => dir = child,
            None => return Declared::Unknown,
        }
    }
    let Some(r) = &endpoint.resource else {
        return Declared::Unknown;
    };
    let index = skel_hir::module_index(db, dir);
    let key = (r.type_name.clone(), r.name.clone());
    let found = if r.data {
        index.data.contains_key(&key)
    } else {
        index.resources.contains_key(&key)
    };
    if found {
        Declared::Yes
    } else {
        Declared::No(format!(
            "{} `{}.{}`",
            if r.data { "data source" } else { "resource" },
            r.type_name,
            r.name
        ))
    }
}

/// The `from` and `to` of every `moved` block of the module in `dir`.
fn module_moves(db: &dyn Db, dir: Directory) -> Vec<(Endpoint, Endpoint)> {
    let index = skel_hir::module_index(db, dir);
    let mut out = Vec::new();
    for &(kind, item) in &index.items {
        if kind != DefKind::Moved {
            continue;
        }
        let Some(ast) = skel_db::item_ast(db, item.file, item.index) else {
            continue;
        };
        let Item::Block(block) = &*ast else { continue };
        let endpoint = |name: &str| {
            block
                .body
                .attribute(name)
                .and_then(|a| parse_endpoint(&a.expr).ok())
        };
        if let (Some(from), Some(to)) = (endpoint("from"), endpoint("to")) {
            out.push((from, to));
        }
    }
    out
}

impl InferCtx<'_> {
    /// Read the address in `attr`, reporting an `invalid-address` error if it is not one.
    fn endpoint(&mut self, attr: &Attribute, what: &str) -> Option<Endpoint> {
        match parse_endpoint(&attr.expr) {
            Ok(e) => Some(e),
            Err(e) => {
                self.error(
                    Code::InvalidAddress,
                    e.range,
                    format!("`{what}` is not an address"),
                )
                .with_span_message(e.message)
                .help = Some(
                    "write the address without quotes, as a reference: `aws_vpc.main`, \
                     `aws_vpc.main[\"a\"]`, `module.net`"
                        .into(),
                );
                None
            }
        }
    }

    /// Arguments other than `allowed`, and blocks other than `blocks`, are errors.
    fn only(&mut self, block: &Block, allowed: &[&str], blocks: &[&str]) {
        let kind = block.ident.name.clone();
        for attr in block.body.attributes() {
            if !allowed.contains(&attr.name.name.as_str()) {
                self.error(
                    Code::UnknownArgument,
                    attr.name.range,
                    format!(
                        "Unsupported argument `{}` in a `{kind}` block",
                        attr.name.name
                    ),
                )
                .help = Some(format!("a `{kind}` block takes {}", allowed.join(", ")));
            }
        }
        for inner in block.body.blocks() {
            if !blocks.contains(&inner.ident.name.as_str()) {
                self.error(
                    Code::UnknownBlockType,
                    inner.ident.range,
                    format!(
                        "Unsupported block `{}` in a `{kind}` block",
                        inner.ident.name
                    ),
                )
                .help = Some(if blocks.is_empty() {
                    format!("a `{kind}` block takes no nested blocks")
                } else {
                    format!("a `{kind}` block takes only {} blocks", blocks.join(", "))
                });
            }
        }
    }

    fn required<'b>(&mut self, block: &'b Block, name: &str) -> Option<&'b Attribute> {
        let attr = block.body.attribute(name);
        if attr.is_none() {
            self.error(
                Code::MissingArgument,
                block.ident.range,
                format!("Missing `{name}` in a `{}` block", block.ident.name),
            )
            .help = Some(format!(
                "add `{name} = ADDRESS` (a resource, an instance or a module call)"
            ));
        }
        attr
    }

    pub(crate) fn check_moved(&mut self, block: &Block) {
        self.only(block, &["from", "to"], &[]);
        let from_attr = self.required(block, "from");
        let to_attr = self.required(block, "to");
        let (Some(from_attr), Some(to_attr)) = (from_attr, to_attr) else {
            return;
        };
        let from = self.endpoint(from_attr, "from");
        let to = self.endpoint(to_attr, "to");
        let (Some(from), Some(to)) = (from, to) else {
            return;
        };
        for (endpoint, attr) in [(&from, from_attr), (&to, to_attr)] {
            if endpoint.resource.as_ref().is_some_and(|r| r.data) {
                self.error(
                    Code::InvalidAddress,
                    attr.expr.range,
                    "Data sources cannot be moved",
                )
                .with_span_message("a data source holds nothing to move: it is read again")
                .help = Some("remove the `moved` block; rename the data source freely".into());
                return;
            }
        }
        let mismatch = match (&from.resource, &to.resource) {
            (Some(a), Some(b)) if a.type_name != b.type_name => Some(format!(
                "a `{}` cannot become a `{}`",
                a.type_name, b.type_name
            )),
            (Some(_), None) => Some("a resource cannot become a module call".into()),
            (None, Some(_)) => Some("a module call cannot become a resource".into()),
            _ => None,
        };
        if let Some(mismatch) = mismatch {
            self.error(
                Code::MovedKindMismatch,
                to_attr.expr.range,
                "`from` and `to` name different kinds of objects",
            )
            .with_span_message(mismatch)
            .with_label_here(from_attr.expr.range, "moved from here")
            .help = Some(
                "a `moved` block renames a resource to a resource of the same type, an instance \
                 to an instance, or a module call to a module call"
                    .into(),
            );
            return;
        }
        if from == to {
            self.error(
                Code::MovedCycle,
                to_attr.expr.range,
                "An object cannot move to where it is",
            )
            .with_span_message("`to` is the same address as `from`")
            .help = Some("remove this `moved` block".into());
            return;
        }
        let dir = skel_hir::module_of(self.db, self.item.file);
        // Follow the chain of moves from `to`: reaching `from` again is a cycle.
        let moves = module_moves(self.db, dir);
        let mut at = to.clone();
        for _ in 0..=moves.len() {
            let Some((_, next)) = moves.iter().find(|(f, _)| *f == at) else {
                break;
            };
            if *next == from {
                self.error(
                    Code::MovedCycle,
                    block.ident.range,
                    "These `moved` blocks form a cycle",
                )
                .with_span_message(format!("`{from}` moves to `{to}`, which moves back to it"))
                .help = Some(
                    "each object must end at one address: remove the `moved` block that \
                     moves it back"
                        .into(),
                );
                return;
            }
            at = next.clone();
        }
        // An address a chain moves on from need not be declared (`a` to `b`, `b` to `c`).
        let chained = moves
            .iter()
            .any(|(f, _)| f.unkeyed() == to.unkeyed() && *f != from);
        match declared(self.db, dir, &to.unkeyed()) {
            Declared::No(what) if !chained => {
                self.error(
                    Code::MovedTargetMissing,
                    to_attr.expr.range,
                    format!("Nothing is declared at `{}`", to.unkeyed()),
                )
                .with_span_message(format!(
                    "no {what} in the configuration: the objects move here and are destroyed"
                ))
                .help = Some(
                    "declare the block the object moves to, fix the address in `to`, or remove \
                     the block once no state holds the old address"
                        .into(),
                );
            }
            _ => {}
        }
        // Moving an instance within one resource (`a[0]` to `a["x"]`) keeps it declared.
        let same_block = from.unkeyed() == to.unkeyed();
        if !same_block && from.unkeyed() == from {
            if let Declared::Yes = declared(self.db, dir, &from) {
                self.error(
                    Code::MovedSourceExists,
                    from_attr.expr.range,
                    format!("`{from}` is still declared"),
                )
                .with_span_message("an object cannot move away from a block that still exists")
                .help = Some(
                    "remove or rename the block at `from`, or remove this `moved` block".into(),
                );
            }
        }
    }

    pub(crate) fn check_removed(&mut self, block: &Block) {
        self.only(block, &["from"], &["lifecycle"]);
        for lifecycle in block.body.blocks().filter(|b| b.ident.name == "lifecycle") {
            self.only(lifecycle, &["destroy"], &[]);
            if let Some(destroy) = lifecycle.body.attribute("destroy") {
                if crate::constant::constant_value(&destroy.expr)
                    .and_then(|v| v.as_bool())
                    .is_none()
                {
                    self.error(
                        Code::TypeMismatch,
                        destroy.expr.range,
                        "`destroy` must be `true` or `false`",
                    )
                    .with_span_message("a literal bool is required here")
                    .help =
                        Some("write `destroy = false` to forget the objects and keep them".into());
                }
            }
        }
        let Some(from_attr) = self.required(block, "from") else {
            return;
        };
        let Some(from) = self.endpoint(from_attr, "from") else {
            return;
        };
        let keyed = from.resource.as_ref().map_or_else(
            || from.modules.last().is_some_and(|m| m.key.is_some()),
            |r| r.key.is_some(),
        );
        if keyed || from.resource.as_ref().is_some_and(|r| r.data) {
            self.error(
                Code::InvalidAddress,
                from_attr.expr.range,
                "`removed` names a whole managed resource or module call",
            )
            .with_span_message(if keyed {
                "an instance key is not allowed here"
            } else {
                "a data source is never in state to remove"
            })
            .help = Some("write the resource (`aws_vpc.main`) or the module call".into());
            return;
        }
        let dir = skel_hir::module_of(self.db, self.item.file);
        if let Declared::Yes = declared(self.db, dir, &from) {
            self.error(
                Code::RemovedStillConfigured,
                from_attr.expr.range,
                format!("`{from}` is still declared"),
            )
            .with_span_message("the configuration still has this block")
            .help = Some(
                "remove the block from the configuration, or remove this `removed` block".into(),
            );
        }
    }

    pub(crate) fn check_import(&mut self, block: &Block) {
        self.only(block, &["to", "id", "for_each"], &[]);
        if let Some(provider) = block.body.attribute("provider") {
            // Reported by `only` as unknown; say why.
            let span = self.span(provider.name.range);
            if let Some(last) = self.diagnostics.last_mut() {
                if last.span == span {
                    last.help = Some(
                        "an imported object is read through its resource's provider \
                         configuration; set `provider` on the resource block"
                            .into(),
                    );
                }
            }
        }
        self.check_repetition(&block.body);
        let id = self.required(block, "id");
        if let Some(id) = id {
            self.expect(&id.expr, &Type::String, "`id`");
        }
        let Some(to_attr) = self.required(block, "to") else {
            return;
        };
        let repeated = block.body.attribute("for_each").is_some();
        let parsed = if repeated {
            parse_import_target(&to_attr.expr)
        } else {
            parse_endpoint(&to_attr.expr)
        };
        let to = match parsed {
            Ok(to) => to,
            Err(e) => {
                self.error(Code::InvalidAddress, e.range, "`to` is not an address")
                    .with_span_message(e.message)
                    .help = Some(
                    "write the resource instance to import into as a reference: \
                     `aws_vpc.main`, `aws_vpc.main[\"a\"]`, `aws_vpc.main[each.key]` with \
                     `for_each`"
                        .into(),
                );
                return;
            }
        };
        // Keys computed from `each` are typed in the block's scope.
        let keys = to
            .modules
            .iter()
            .filter_map(|m| m.key.clone())
            .chain(to.resource.iter().filter_map(|r| r.key.clone()));
        let mut dynamic = Vec::new();
        to_attr.expr.walk(&mut |e| {
            if keys.clone().any(|k| k == AddrKey::Dynamic(e.range)) {
                dynamic.push(e.clone());
            }
        });
        for key in &dynamic {
            self.infer(key);
        }
        match &to.resource {
            None => {
                self.error(
                    Code::InvalidAddress,
                    to_attr.expr.range,
                    "`to` must name a resource instance",
                )
                .with_span_message("a module call is not an object to import")
                .help = Some("name the resource in the module: `module.net.aws_vpc.main`".into());
                return;
            }
            Some(r) if r.data => {
                self.error(
                    Code::InvalidAddress,
                    to_attr.expr.range,
                    "Data sources cannot be imported",
                )
                .with_span_message("a data source is read, never managed")
                .help = Some("import into a managed `resource` block".into());
                return;
            }
            Some(_) => {}
        }
        let dir = skel_hir::module_of(self.db, self.item.file);
        if let Declared::No(what) = declared(self.db, dir, &to.unkeyed()) {
            self.error(
                Code::ImportTargetMissing,
                to_attr.expr.range,
                format!("Nothing is declared at `{}`", to.unkeyed()),
            )
            .with_span_message(format!("no {what} in the configuration"))
            .help = Some(
                "add the `resource` block the object is imported into; the plan then shows \
                 how the object differs from it"
                    .into(),
            );
        }
    }

    /// `ephemeral "TYPE" "NAME"` parses and resolves (references to it are of unknown type),
    /// and is one error: no provider offers an ephemeral resource type yet.
    pub(crate) fn check_ephemeral(&mut self, block: &Block) {
        let type_name = block.label(0).unwrap_or_default().to_string();
        self.error(
            Code::UnsupportedEphemeralResource,
            block.header_range(),
            format!("No provider offers the ephemeral resource type `{type_name}`"),
        )
        .with_span_message("ephemeral resources are not supported yet")
        .with_note(
            "an ephemeral resource (Terraform 1.10) is opened for each run and never saved; the \
             built-in providers (`null`, `local`, `random`, `aws`, `kubernetes`) offer none yet",
        )
        .help = Some(
            "read the value with a `data` block, or pass it in as an `ephemeral = true` variable"
                .into(),
        );
    }
}
