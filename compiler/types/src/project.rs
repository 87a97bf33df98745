//! Checking a whole project: the module tree under a root directory, and the values given for
//! the root module's variables (`-var`, `-var-file`, `*.skelvars`, environment).

use std::collections::HashSet;
use std::sync::Arc;

use skel_db::{did_you_mean, Code, Db, Diagnostic, Directory, File, Span};
use skel_syntax::{Item, TextRange};
use skel_value::{Type, Value};

use crate::constant::{constant_value, non_constant_reason};

/// Every diagnostic of the module in `dir`: syntax errors, the index's, each item's and cycles.
#[salsa::tracked(returns(clone))]
pub fn check_module(db: &dyn Db, dir: Directory) -> Arc<Vec<Diagnostic>> {
    let index = skel_hir::module_index(db, dir);
    // Locals first, in dependency order, so no later check recurses through a chain of them.
    for (item, attr) in crate::graph::locals_in_dependency_order(db, dir) {
        let _ = crate::queries::infer_local(db, item.file, item.index, attr);
    }
    let mut out = Vec::new();
    for &file in &index.files {
        let parse = skel_db::parse(db, file);
        for error in &parse.errors {
            out.push(
                Diagnostic::new(
                    Code::SyntaxError,
                    Span::absolute(file, error.range),
                    error.message.clone(),
                )
                .with_optional_help(error.help.clone()),
            );
        }
        if skel_db::is_override_file(file.path(db)) {
            // Checked as part of the blocks it overrides (`skel_db::item_ast` merges it).
            continue;
        }
        for i in 0..parse.file.items.len() {
            out.extend(crate::items::check_item(db, file, i as u32).iter().cloned());
        }
    }
    out.extend(index.diagnostics.iter().cloned());
    out.extend(crate::graph::module_cycles(db, dir).iter().cloned());
    // The module alone: what its own declarations make sensitive (a project check adds what
    // its callers pass in).
    out.extend(
        crate::sensitivity::module_sensitivity(db, dir)
            .iter()
            .filter(|d| index.files.contains(&d.span.file))
            .cloned(),
    );
    Arc::new(out)
}

/// The module in `root` and every module it calls, transitively, each once, root first.
pub fn modules_in_tree(db: &dyn Db, root: Directory) -> Vec<Directory> {
    let mut seen = HashSet::new();
    let mut order = Vec::new();
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        if !seen.insert(dir) {
            continue;
        }
        order.push(dir);
        let children = skel_hir::module_sources(db, dir);
        stack.extend(children.iter().rev().copied().filter(|d| d.exists(db)));
    }
    order
}

/// Where the values given for sensitive (or ephemeral) root variables are written: the whole
/// text of a `-var`/`SKEL_VAR_…` value, the expression of a variable file's assignment.
/// Diagnostics show `<sensitive>` there in their source snippets, whatever they are about.
pub fn hidden_value_spans(db: &dyn Db, input: &ProjectInput) -> Vec<Span> {
    let index = skel_hir::module_index(db, input.root);
    let hidden = |name: &str| {
        index.variables.get(name).is_some_and(|def| {
            crate::sensitivity::declared_marks(db, def.item.file, def.item.index).hides()
        })
    };
    let mut out = Vec::new();
    for var in &input.vars {
        match var {
            VarValue::Raw { name, file } if hidden(name) => {
                let len = file.text(db).as_deref().map_or(0, str::len) as u32;
                out.push(Span::absolute(*file, TextRange::new(0, len)));
            }
            VarValue::Raw { .. } => {}
            VarValue::FromFile { file, item } => {
                let parse = skel_db::parse(db, *file);
                let Some(top) = parse.file.items.get(*item as usize) else {
                    continue;
                };
                match &*top.item {
                    Item::Attribute(attr) if hidden(&attr.name.name) => {
                        out.push(Span::in_item(*file, *item, attr.expr.range));
                    }
                    // An assignment that did not parse still holds the value: hide it all.
                    Item::Error(range) => {
                        let text = file.text(db).clone().unwrap_or_default();
                        let start = (top.offset + range.start()) as usize;
                        let end = (top.offset + range.end()) as usize;
                        let name: String = text
                            .get(start..end)
                            .unwrap_or_default()
                            .trim_start()
                            .chars()
                            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '-')
                            .collect();
                        if hidden(&name) {
                            out.push(Span::in_item(*file, *item, *range));
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    out
}

/// A value given for a root variable.
#[derive(Clone, Debug)]
pub enum VarValue {
    /// `-var name=value` or `SKEL_VAR_name`: `file` is a synthetic file holding the raw text.
    /// Primitive variables take it as a string; others parse it as an expression.
    Raw { name: String, file: File },
    /// `name = expr` at top-level item `item` of a `.skelvars` / `-var-file` file.
    FromFile { file: File, item: u32 },
}

/// The inputs of a project check.
pub struct ProjectInput {
    pub root: Directory,
    pub vars: Vec<VarValue>,
}

/// Every diagnostic of the project: each module of the tree and the variable values.
pub fn check_project(db: &dyn Db, input: &ProjectInput) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for dir in modules_in_tree(db, input.root) {
        out.extend(check_module(db, dir).iter().cloned());
    }
    out.extend(
        crate::sensitivity::project_sensitivity(db, input.root)
            .iter()
            .cloned(),
    );
    crate::sensitivity::dedup(&mut out);
    out.extend(check_var_values(db, input));
    out
}

fn check_var_values(db: &dyn Db, input: &ProjectInput) -> Vec<Diagnostic> {
    let index = skel_hir::module_index(db, input.root);
    let mut out = Vec::new();
    for var in &input.vars {
        match var {
            VarValue::Raw { name, file } => {
                let text = file.text(db).as_deref().unwrap_or("").to_string();
                let span = Span::absolute(*file, TextRange::new(0, text.len() as u32));
                let Some((want, def)) = declared(db, index, name, span, &mut out) else {
                    continue;
                };
                let value = if want.is_primitive() || want.is_dynamic() {
                    Ok(Value::String(text.clone()))
                } else {
                    let (expr, errors) = skel_syntax::parse_expr(&text);
                    match errors.first() {
                        Some(e) => Err(VariableValueError::Syntax(e.message.clone())),
                        None => constant_value(&expr).ok_or_else(|| {
                            VariableValueError::NotConstant(non_constant_reason(&expr))
                        }),
                    }
                };
                check_value(db, value, &want, def, name, span, &mut out);
            }
            VarValue::FromFile { file, item } => {
                let parse = skel_db::parse(db, *file);
                let Some(top) = parse.file.items.get(*item as usize) else {
                    continue;
                };
                let Item::Attribute(attr) = &*top.item else {
                    out.push(Diagnostic::new(
                        Code::InvalidVariableValue,
                        Span::in_item(*file, *item, top.item.range()),
                        "Variable files contain only `name = value` assignments",
                    ));
                    continue;
                };
                let span = Span::in_item(*file, *item, attr.expr.range);
                let name_span = Span::in_item(*file, *item, attr.name.range);
                let Some((want, def)) = declared(db, index, &attr.name.name, name_span, &mut out)
                else {
                    continue;
                };
                let value = constant_value(&attr.expr).ok_or_else(|| {
                    VariableValueError::NotConstant(non_constant_reason(&attr.expr))
                });
                check_value(db, value, &want, def, &attr.name.name, span, &mut out);
            }
        }
    }
    out
}

fn declared(
    db: &dyn Db,
    index: &skel_hir::ModuleIndex,
    name: &str,
    span: Span,
    out: &mut Vec<Diagnostic>,
) -> Option<(Type, skel_db::ItemRef)> {
    match index.variables.get(name) {
        Some(def) => Some((
            crate::queries::variable_constraint(db, def.item.file, def.item.index),
            def.item,
        )),
        None => {
            out.push(
                Diagnostic::new(
                    Code::InvalidVariableValue,
                    span,
                    format!("Value for undeclared variable `{name}`"),
                )
                .with_optional_help(did_you_mean(
                    name,
                    index.variables.keys().map(String::as_str),
                )),
            );
            None
        }
    }
}

/// Why a value given for a root variable (`-var`, a variable file) is no value of its type.
#[derive(Debug, thiserror::Error)]
enum VariableValueError {
    /// A `-var` value of a complex type that does not parse, with the parser's message.
    #[error("not a valid expression: {0}")]
    Syntax(String),
    /// An expression that is not a constant (it refers to something), and why.
    #[error("{0}")]
    NotConstant(&'static str),
    /// A constant that does not convert to the variable's type.
    #[error("{0}")]
    Type(#[from] skel_value::ConvertError),
}

/// Check a variable value against its type, then against its validation conditions.
fn check_value(
    db: &dyn Db,
    value: Result<Value, VariableValueError>,
    want: &Type,
    def: skel_db::ItemRef,
    name: &str,
    span: Span,
    out: &mut Vec<Diagnostic>,
) {
    // A sensitive variable's value is converted marked, so no message quotes it.
    let marks = crate::sensitivity::declared_marks(db, def.file, def.index);
    let result = value.and_then(|v| {
        skel_value::convert(&v.mark(marks), want)
            .map(|v| v.unmark_deep().0)
            .map_err(VariableValueError::from)
    });
    if let Ok(value) = &result {
        out.extend(crate::validate::validation_diagnostics(
            db, def, value, span, name,
        ));
    }
    if let Err(message) = result {
        out.push(
            Diagnostic::new(
                Code::InvalidVariableValue,
                span,
                format!("Invalid value for variable `{name}`"),
            )
            .with_span_message(message.to_string())
            .with_help(format!("the variable's type is {want}")),
        );
    }
}

/// A root variable without a `default` that no value sets.
#[derive(Clone, Debug)]
pub struct MissingVariable {
    pub name: String,
    /// The variable's `description`, when it is a plain string.
    pub description: Option<String>,
    pub sensitive: bool,
    /// The variable's name in its declaration.
    pub span: Span,
}

/// The root module's variables that need a value (no `default`) and get none from
/// `input.vars`, in declaration order.
pub fn missing_root_variables(db: &dyn Db, input: &ProjectInput) -> Vec<MissingVariable> {
    let given: HashSet<String> = input
        .vars
        .iter()
        .filter_map(|v| match v {
            VarValue::Raw { name, .. } => Some(name.clone()),
            VarValue::FromFile { file, item } => {
                let parse = skel_db::parse(db, *file);
                match parse.file.items.get(*item as usize).map(|t| &*t.item) {
                    Some(Item::Attribute(a)) => Some(a.name.name.clone()),
                    _ => None,
                }
            }
        })
        .collect();
    let index = skel_hir::module_index(db, input.root);
    let mut out = Vec::new();
    for (name, def) in &index.variables {
        if given.contains(name) {
            continue;
        }
        let Some(ast) = skel_db::item_ast(db, def.item.file, def.item.index) else {
            continue;
        };
        let Item::Block(block) = &*ast else {
            continue;
        };
        if block.body.attribute("default").is_some() {
            continue;
        }
        let text = |attr: &str| {
            block
                .body
                .attribute(attr)
                .and_then(|a| constant_value(&a.expr))
        };
        out.push(MissingVariable {
            name: name.clone(),
            description: text("description").and_then(|v| v.as_str().map(str::to_string)),
            sensitive: text("sensitive").and_then(|v| v.as_bool()) == Some(true),
            span: def.item.span(def.name_range),
        });
    }
    out
}

/// Every way to give a root variable a value, for messages.
pub fn ways_to_set_variable(name: &str) -> String {
    format!(
        "set it with `--var {name}=VALUE`, in `skel.skelvars` or a `*.auto.skelvars` file \
         (`{name} = VALUE`), in a file given with `--var-file FILE`, or with the environment \
         variable SKEL_VAR_{name} (or TF_VAR_{name}); `skelc plan` and `skelc run` ask for it \
         when standard input is a terminal (unless `--input=false`)"
    )
}

/// A `missing-variable-value` error for each required root variable without a value (what
/// `skelc check --require-vars`, `plan` and `run` report).
pub fn missing_variable_diagnostics(db: &dyn Db, input: &ProjectInput) -> Vec<Diagnostic> {
    missing_root_variables(db, input)
        .into_iter()
        .map(|m| {
            Diagnostic::new(
                Code::MissingVariableValue,
                m.span,
                format!("No value for required variable `{}`", m.name),
            )
            .with_span_message("this variable has no `default`")
            .with_help(ways_to_set_variable(&m.name))
        })
        .collect()
}
