//! Templates: interpolations, `%{if}` and `%{for}` directives, and `~` strip markers.

use skel_syntax::{Strip, TemplatePart, TextRange};
use skel_value::{convert, Marks, Type, Value};

use crate::expr::Evaluator;
use crate::ops::boolean;
use crate::EvalError;

/// Render template parts to a string value. A template that is exactly one interpolation
/// (`"${x}"`) yields the interpolated value itself, unconverted.
pub(crate) fn render(
    ev: &mut Evaluator<'_>,
    parts: &[TemplatePart],
    _range: TextRange,
) -> Result<Value, EvalError> {
    if let [TemplatePart::Interpolation { expr, .. }] = parts {
        return ev.eval(expr);
    }
    let mut out = Rendered::default();
    render_parts(ev, parts, false, false, &mut out)?;
    Ok(if out.unknown {
        Value::Unknown(Type::String)
    } else {
        Value::String(out.text)
    }
    .mark(out.marks))
}

/// What rendering accumulates: the text, whether a part is unknown, and the marks of every
/// value that went into it (an interpolation, a condition, a collection iterated).
#[derive(Default)]
struct Rendered {
    text: String,
    unknown: bool,
    marks: Marks,
}

/// The strip marker on the left of a part's opening (`${~`, `%{~`).
fn strips_before(part: &TemplatePart) -> bool {
    match part {
        TemplatePart::Literal { .. } => false,
        TemplatePart::Interpolation { strip, .. } => strip.left,
        TemplatePart::If { strips, .. } | TemplatePart::For { strips, .. } => {
            strips.first().is_some_and(|s| s.left)
        }
    }
}

/// The strip marker on the right of a part's closing (`~}` of `${…}` or of `%{endif}`).
fn strips_after(part: &TemplatePart) -> bool {
    match part {
        TemplatePart::Literal { .. } => false,
        TemplatePart::Interpolation { strip, .. } => strip.right,
        TemplatePart::If { strips, .. } | TemplatePart::For { strips, .. } => {
            strips.last().is_some_and(|s| s.right)
        }
    }
}

fn strip_at(strips: &[Strip], i: usize) -> Strip {
    strips.get(i).copied().unwrap_or_default()
}

fn render_parts(
    ev: &mut Evaluator<'_>,
    parts: &[TemplatePart],
    lead: bool,
    trail: bool,
    out: &mut Rendered,
) -> Result<(), EvalError> {
    for (i, part) in parts.iter().enumerate() {
        match part {
            TemplatePart::Literal { value, .. } => {
                let trim_start = if i == 0 {
                    lead
                } else {
                    strips_after(&parts[i - 1])
                };
                let trim_end = if i + 1 == parts.len() {
                    trail
                } else {
                    strips_before(&parts[i + 1])
                };
                let mut text = value.as_str();
                if trim_start {
                    text = text.trim_start();
                }
                if trim_end {
                    text = text.trim_end();
                }
                out.text.push_str(text);
            }
            TemplatePart::Interpolation { expr, .. } => {
                let (v, marks) = ev.eval(expr)?.unmark_deep();
                out.marks |= marks;
                match convert(&v, &Type::String) {
                    Ok(Value::String(s)) => out.text.push_str(&s),
                    Ok(Value::Unknown(_)) => out.unknown = true,
                    Ok(_) => {
                        return Err(EvalError::new(
                            "cannot include a null value in a string template",
                            expr.range,
                        ))
                    }
                    Err(_) if v.has_unknown() => out.unknown = true,
                    Err(_) => {
                        return Err(EvalError::new(
                            format!(
                            "cannot include a {} value in a string template; a string is required",
                            v.type_of().kind_name()
                        ),
                            expr.range,
                        ))
                    }
                }
            }
            TemplatePart::If {
                cond,
                then,
                other,
                strips,
                ..
            } => {
                let (c, marks) = ev.eval(cond)?.unmark_deep();
                out.marks |= marks;
                let Some(c) = boolean(&c, "template condition", cond.range)? else {
                    out.unknown = true;
                    continue;
                };
                let has_else = other.is_some();
                let end = strip_at(strips, if has_else { 2 } else { 1 });
                if c {
                    let trail = if has_else {
                        strip_at(strips, 1).left
                    } else {
                        end.left
                    };
                    render_parts(ev, then, strip_at(strips, 0).right, trail, out)?;
                } else if let Some(other) = other {
                    render_parts(ev, other, strip_at(strips, 1).right, end.left, out)?;
                }
            }
            TemplatePart::For {
                key_var,
                value_var,
                collection,
                body,
                strips,
                ..
            } => {
                let coll = ev.eval(collection)?;
                let (pairs, marks) = ev.iterate(&coll, collection.range)?;
                out.marks |= marks;
                let Some(pairs) = pairs else {
                    out.unknown = true;
                    continue;
                };
                let (lead, trail) = (strip_at(strips, 0).right, strip_at(strips, 1).left);
                for (k, v) in pairs {
                    let mut n = 1;
                    if let Some(kv) = key_var {
                        ev.push_local(kv, k);
                        n += 1;
                    }
                    ev.push_local(value_var, v);
                    let r = render_parts(ev, body, lead, trail, out);
                    ev.pop_locals(n);
                    r?;
                }
            }
        }
    }
    Ok(())
}
