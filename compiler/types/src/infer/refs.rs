//! References: names in scope, `var.X`, `local.X`, `module.X`, `data.TYPE.NAME`, `TYPE.NAME`
//! and the built-in values, as [`skel_hir::resolve`] classifies them, checked against the
//! module's index and the reference policy.

use skel_db::{did_you_mean, Code};
use skel_hir::resolve::{self, Root, Target};
use skel_syntax::{Expr, Ident, TextRange};
use skel_value::Type;

use super::{InferCtx, RefPolicy};
use crate::queries;

impl InferCtx<'_> {
    pub(super) fn variable(&mut self, ident: &Ident) -> Type {
        if let Some(ty) = self.scopes.lookup(&ident.name) {
            return ty.clone();
        }
        match Root::from_name(&ident.name) {
            Some(Root::SelfRef) => match &self.self_type {
                Some(t) => t.clone(),
                None => {
                    self.error(Code::SelfOutOfContext, ident.range, "`self` used outside a provisioner or connection")
                        .help = Some("`self` refers to the resource being provisioned; elsewhere, refer to the resource by its address".into());
                    Type::Dynamic
                }
            },
            Some(_) => {
                self.error(
                    Code::UnresolvedReference,
                    ident.range,
                    format!("Incomplete reference `{}`", ident.name),
                )
                .help = Some(format!(
                    "`{}` must be followed by an attribute name, like `{}.name`",
                    ident.name, ident.name
                ));
                Type::Dynamic
            }
            None if self.index.has_resource_type(&ident.name)
                || crate::schemas::resource(self.db, self.item.file, &ident.name).is_some() =>
            {
                let name = &ident.name;
                self.error(
                    Code::UnresolvedReference,
                    ident.range,
                    "Incomplete resource reference",
                )
                .help = Some(format!(
                    "a resource is referred to by type and name: `{name}.NAME`"
                ));
                Type::Dynamic
            }
            None => {
                let name = &ident.name;
                let mut candidates: Vec<&str> = self.scopes.names().collect();
                candidates.extend(Root::names());
                let types: Vec<String> = self
                    .index
                    .resources
                    .keys()
                    .map(|(t, _)| t.clone())
                    .collect();
                candidates.extend(types.iter().map(String::as_str));
                self.error(
                    Code::UnresolvedReference,
                    ident.range,
                    format!("Unknown name `{name}`"),
                )
                .with_span_message("not a variable, local, resource or bound name")
                .help = did_you_mean(name, candidates);
                Type::Dynamic
            }
        }
    }

    pub(super) fn policy_allows(
        &mut self,
        range: TextRange,
        what: &str,
        var_name: Option<&str>,
    ) -> bool {
        match &self.policy {
            RefPolicy::All => true,
            RefPolicy::OnlyVariable(own) if var_name == Some(own.as_str()) => true,
            RefPolicy::OnlyVariable(own) => {
                let own = own.clone();
                self.error(
                    Code::InvalidValidationReference,
                    range,
                    "Invalid reference in variable validation",
                )
                .with_span_message(format!("{what} cannot be used here"))
                .help = Some(format!(
                    "a validation condition may only refer to `var.{own}`"
                ));
                false
            }
            RefPolicy::None => {
                self.error(
                    Code::InvalidVariableDefault,
                    range,
                    "Variables may not be used here",
                )
                .with_span_message(format!("{what} is not a constant"))
                .help = Some("a default must be a literal value".into());
                false
            }
        }
    }

    /// The type of a reference such as `var.x`, `local.y`, `aws_vpc.main`, `data.t.n`,
    /// `module.m`, `count.index`, `each.value`, `path.module`; `None` if `expr` is not one.
    pub(super) fn reference(&mut self, expr: &Expr) -> Option<Type> {
        let ty = match resolve::reference(expr, &self.scopes)? {
            Target::Data {
                ty: type_name,
                name,
            } => {
                if !self.policy_allows(expr.range, "a data source", None) {
                    return Some(Type::Dynamic);
                }
                let key = (type_name.name.clone(), name.name.clone());
                match self.index.data.get(&key) {
                    Some(def) => queries::resource_type(self.db, def.item.file, def.item.index),
                    None if self.index.check_data.contains_key(&key) => {
                        self.scoped_data_type(expr, &key)
                    }
                    None => {
                        let names: Vec<String> = self
                            .index
                            .data
                            .keys()
                            .map(|(t, n)| format!("{t}.{n}"))
                            .collect();
                        self.error(
                            Code::UnresolvedReference,
                            expr.range,
                            format!(
                                "Reference to undeclared data source `data.{}.{}`",
                                key.0, key.1
                            ),
                        )
                        .help = did_you_mean(
                            &format!("{}.{}", key.0, key.1),
                            names.iter().map(String::as_str),
                        );
                        Type::Dynamic
                    }
                }
            }
            Target::Variable(name) => {
                let attr = name.name.as_str();
                if !self.policy_allows(expr.range, "a variable", Some(attr)) {
                    return Some(Type::Dynamic);
                }
                match self.index.variables.get(attr) {
                    Some(def) => queries::variable_type(self.db, def.item.file, def.item.index),
                    None => {
                        self.error(
                            Code::UnresolvedReference,
                            expr.range,
                            format!("Reference to undeclared variable `var.{attr}`"),
                        )
                        .help = did_you_mean(attr, self.index.variables.keys().map(String::as_str))
                            .or_else(|| {
                                Some(format!(
                                    "declare it: `variable \"{attr}\" {{ type = string }}`"
                                ))
                            });
                        Type::Dynamic
                    }
                }
            }
            Target::Local(name) => {
                let attr = name.name.as_str();
                if !self.policy_allows(expr.range, "a local value", None) {
                    return Some(Type::Dynamic);
                }
                match self.index.locals.get(attr) {
                    Some(def) => {
                        queries::local_type(self.db, def.item.file, def.item.index, def.attr)
                    }
                    None => {
                        self.error(
                            Code::UnresolvedReference,
                            expr.range,
                            format!("Reference to undeclared local value `local.{attr}`"),
                        )
                        .help = did_you_mean(attr, self.index.locals.keys().map(String::as_str));
                        Type::Dynamic
                    }
                }
            }
            Target::ModuleCall(name) => {
                let attr = name.name.as_str();
                if !self.policy_allows(expr.range, "a module output", None) {
                    return Some(Type::Dynamic);
                }
                match self.index.modules.get(attr) {
                    Some(def) => queries::module_call_type(self.db, def.item.file, def.item.index),
                    None => {
                        self.error(
                            Code::UnresolvedReference,
                            expr.range,
                            format!("Reference to undeclared module `module.{attr}`"),
                        )
                        .help = did_you_mean(attr, self.index.modules.keys().map(String::as_str));
                        Type::Dynamic
                    }
                }
            }
            Target::Builtin { root, attr: name } => self.builtin(expr, root, name)?,
            Target::Resource {
                ty: type_name,
                name,
            } => {
                let (type_name, attr) = (type_name.name.as_str(), name.name.as_str());
                if type_name == "ephemeral" && !self.index.has_resource_type("ephemeral") {
                    return Some(self.ephemeral_type(expr, attr));
                }
                let key = (type_name.to_string(), attr.to_string());
                match self.index.resources.get(&key).cloned() {
                    Some(def) => {
                        if !self.policy_allows(expr.range, "a resource", None) {
                            return Some(Type::Dynamic);
                        }
                        queries::resource_type(self.db, def.item.file, def.item.index)
                    }
                    None if self.index.has_resource_type(type_name)
                        || crate::schemas::resource(self.db, self.item.file, type_name)
                            .is_some() =>
                    {
                        let names: Vec<&str> = self
                            .index
                            .resources
                            .keys()
                            .filter(|(t, _)| t == type_name)
                            .map(|(_, n)| n.as_str())
                            .collect();
                        self.error(
                            Code::UnresolvedReference,
                            expr.range,
                            format!("Reference to undeclared resource `{type_name}.{attr}`"),
                        )
                        .help = did_you_mean(attr, names);
                        Type::Dynamic
                    }
                    // Not a reference root: the plain variable path reports it.
                    None => return None,
                }
            }
        };
        Some(ty)
    }

    /// `data.TYPE.NAME` declared inside a `check` block: its object inside that check, an
    /// error anywhere else.
    fn scoped_data_type(&mut self, expr: &Expr, key: &(String, String)) -> Type {
        let Some((def, check)) = self.index.check_data.get(key).cloned() else {
            return Type::Dynamic;
        };
        if def.item != self.item {
            self.error(
                Code::CheckScopedData,
                expr.range,
                format!(
                    "`data.{}.{}` is declared inside `check.{check}` and is seen only there",
                    key.0, key.1
                ),
            )
            .with_span_message("referred to outside its check")
            .help = Some(format!(
                "move the `data` block out of `check.{check}` to the top level of the module to \
                 use it elsewhere"
            ));
            return Type::Dynamic;
        }
        crate::schemas::data_source(self.db, self.item.file, &key.0)
            .map(|s| s.computed_object_type())
            .unwrap_or(Type::Dynamic)
    }

    /// `ephemeral.TYPE`: an object of the module's ephemeral resources of that type, each of
    /// unknown type (no provider offers a schema for one yet; the block itself is the error).
    fn ephemeral_type(&mut self, expr: &Expr, type_name: &str) -> Type {
        let names: Vec<String> = self
            .index
            .ephemeral
            .keys()
            .filter(|(t, _)| t == type_name)
            .map(|(_, n)| n.clone())
            .collect();
        if names.is_empty() {
            self.error(
                Code::UnresolvedReference,
                expr.range,
                format!("Reference to undeclared ephemeral resource type `ephemeral.{type_name}`"),
            )
            .help = did_you_mean(
                type_name,
                self.index.ephemeral.keys().map(|(t, _)| t.as_str()),
            );
            return Type::Dynamic;
        }
        Type::object(names.into_iter().map(|n| (n, Type::Dynamic)))
    }

    /// The type of a built-in value: `path.module`, `terraform.workspace`, `count.index`,
    /// `each.key`; `None` for `self.ATTR`, whose attributes are those of `self`'s type.
    pub(super) fn builtin(&mut self, expr: &Expr, root: Root, name: &Ident) -> Option<Type> {
        let attr = name.name.as_str();
        Some(match root {
            Root::Path => match attr {
                "module" | "root" | "cwd" => Type::String,
                _ => {
                    self.error(
                        Code::UnresolvedReference,
                        name.range,
                        format!("Unknown attribute `path.{attr}`"),
                    )
                    .help = Some("`path` has `module`, `root` and `cwd`".into());
                    Type::Dynamic
                }
            },
            Root::Terraform | Root::Skel => match attr {
                "workspace" => Type::String,
                _ => {
                    self.error(
                        Code::UnresolvedReference,
                        name.range,
                        format!("Unknown attribute `{}.{attr}`", root.name()),
                    )
                    .help = Some(format!("`{}` has only `workspace`", root.name()));
                    Type::Dynamic
                }
            },
            Root::Count => {
                if attr != "index" {
                    self.error(
                        Code::UnresolvedReference,
                        name.range,
                        format!("Unknown attribute `count.{attr}`"),
                    )
                    .help = Some("`count` has only `index`".into());
                    return Some(Type::Dynamic);
                }
                if !self.has_count {
                    self.error(Code::CountOutOfContext, expr.range, "`count.index` used where there is no `count`")
                        .help = Some("`count.index` is only available in a resource, data or module block that sets `count`".into());
                }
                Type::Number
            }
            Root::Each => {
                let Some(value) = self.each_value.clone() else {
                    self.error(Code::EachOutOfContext, expr.range, format!("`each.{attr}` used where there is no `for_each`"))
                        .help = Some("`each` is only available in a resource, data or module block that sets `for_each`".into());
                    return Some(Type::Dynamic);
                };
                match attr {
                    "key" => Type::String,
                    "value" => value,
                    _ => {
                        self.error(
                            Code::UnresolvedReference,
                            name.range,
                            format!("Unknown attribute `each.{attr}`"),
                        )
                        .help = Some("`each` has `key` and `value`".into());
                        Type::Dynamic
                    }
                }
            }
            Root::SelfRef | Root::Var | Root::Local | Root::Module | Root::Data => return None,
        })
    }
}
