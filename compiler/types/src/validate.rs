//! Running variables' `validation` conditions on values known while checking: `-var` values,
//! variable files, defaults, and constant module inputs. Terraform only finds these at plan.

use skel_value::ValueMap;
use std::collections::BTreeMap;

use skel_db::{Code, Db, Diagnostic, ItemRef, Span};
use skel_syntax::{ExprKind, Item};
use skel_value::Value;

/// A failed condition: the evaluated error message and where the condition is.
pub struct Failure {
    pub message: String,
    pub condition: Span,
}

/// Evaluate every `validation` block of the variable at `var_item` on `value` (already
/// converted to the variable's type). Conditions that cannot be decided statically (unknown
/// values, evaluation errors the checker reports elsewhere) are skipped. The value carries the
/// variable's marks: an `error_message` computed from a sensitive (or ephemeral) value is
/// replaced by a message naming the variable.
pub fn failed_validations(db: &dyn Db, var_item: ItemRef, value: &Value) -> Vec<Failure> {
    let marks = crate::sensitivity::declared_marks(db, var_item.file, var_item.index);
    let value = &value.clone().mark(marks);
    let Some(ast) = skel_db::item_ast(db, var_item.file, var_item.index) else {
        return Vec::new();
    };
    let Item::Block(block) = &*ast else {
        return Vec::new();
    };
    let Some(name) = block.label(0) else {
        return Vec::new();
    };
    let scope: BTreeMap<String, Value> = BTreeMap::from([(
        "var".to_string(),
        Value::Object(ValueMap::from([(name.to_string(), value.clone())])),
    )]);
    let ctx = skel_stdlib::NoContext;
    let mut out = Vec::new();
    for validation in block.body.blocks_of("validation") {
        let Some(condition) = validation.body.attribute("condition") else {
            continue;
        };
        if !matches!(
            skel_eval::eval_with(&condition.expr, &scope, &ctx).map(|v| v.unmark_deep().0),
            Ok(Value::Bool(false))
        ) {
            continue;
        }
        let message = validation
            .body
            .attribute("error_message")
            .and_then(|m| match skel_eval::eval_with(&m.expr, &scope, &ctx) {
                Ok(Value::String(s)) => Some(s),
                Ok(v) if v.is_sensitive() => Some(format!(
                    "the value of `var.{name}` fails a validation condition; the error message is not shown because it refers to the sensitive value"
                )),
                _ => match &m.expr.kind {
                    ExprKind::Template(t) => t.as_literal(),
                    _ => None,
                },
            })
            .unwrap_or_else(|| "the validation condition is false".to_string());
        out.push(Failure {
            message,
            condition: var_item.span(condition.expr.range),
        });
    }
    out
}

/// Diagnostics for `value` failing the validations of the variable at `var_item`, at `at`.
pub fn validation_diagnostics(
    db: &dyn Db,
    var_item: ItemRef,
    value: &Value,
    at: Span,
    name: &str,
) -> Vec<Diagnostic> {
    failed_validations(db, var_item, value)
        .into_iter()
        .map(|f| {
            Diagnostic::new(
                Code::ValidationFailed,
                at,
                format!("Invalid value for variable `{name}`"),
            )
            .with_span_message(f.message)
            .with_label(f.condition, "this condition is false for the value")
        })
        .collect()
}
