//! Evaluating a block body against its schema into an object value: arguments converted to
//! their types, unset arguments given their defaults, nested blocks (static and `dynamic`)
//! collected by nesting mode. A `computed` block type (Terraform's "attributes as blocks") may
//! be written as one attribute (`ingress = []`); when it is written neither way its value is
//! null, which tells the provider the resource does not manage those blocks.

use skel_value::ValueMap;

use skel_eval::{EvalError, Scope};
use skel_schema::{BlockSchema, Nesting};
use skel_syntax::{Block, Body, ExprKind};
use skel_value::{convert, Value};

/// A scope with extra names bound on top (a dynamic block's iterator).
struct Layered<'a> {
    base: &'a dyn Scope,
    name: &'a str,
    value: Value,
}

impl Scope for Layered<'_> {
    fn lookup(&self, name: &str) -> Option<Value> {
        if name == self.name {
            Some(self.value.clone())
        } else {
            self.base.lookup(name)
        }
    }
}

/// The object value of `body` under `schema`. Computed-only attributes are null (the provider
/// fills them in when planning); one written with a value other than null is an error.
pub fn eval_body(
    body: &Body,
    schema: &BlockSchema,
    scope: &dyn Scope,
    ctx: &dyn skel_stdlib::Context,
) -> Result<Value, EvalError> {
    let mut object = ValueMap::new();
    for (name, attr) in &schema.attributes {
        let value = match body.attribute(name) {
            Some(a) if attr.is_argument() => {
                let v = skel_eval::eval_with(&a.expr, scope, ctx)?;
                convert(&v, &attr.ty)
                    .map_err(|e| EvalError::new(format!("argument `{name}`: {e}"), a.expr.range))?
            }
            // A computed-only attribute may be written only as null (a module passing an unset
            // variable through), as in Terraform; `check` refuses a literal value.
            Some(a) => {
                let v = skel_eval::eval_with(&a.expr, scope, ctx)?;
                if !v.is_null() && v.is_known() {
                    return Err(EvalError::new(
                        format!(
                            "`{name}` is computed by the provider and cannot be set (only null \
                             is accepted); remove the argument and refer to the value after apply"
                        ),
                        a.expr.range,
                    ));
                }
                Value::Null
            }
            _ => match (&attr.default, attr.is_argument()) {
                (Some(default), true) => {
                    convert(&Value::from_json(default), &attr.ty).unwrap_or(Value::Null)
                }
                _ => Value::Null,
            },
        };
        object.insert(name.clone(), value);
    }
    for (name, nested) in &schema.blocks {
        if nested.computed {
            if let Some(a) = body.attribute(name) {
                let v = skel_eval::eval_with(&a.expr, scope, ctx)?;
                let v = convert(&v, &nested.attribute_type())
                    .map_err(|e| EvalError::new(format!("`{name}`: {e}"), a.expr.range))?;
                object.insert(name.clone(), block_shape(v, &nested.block));
                continue;
            }
            let dynamic = body
                .blocks_of("dynamic")
                .any(|b| b.label(0) == Some(name.as_str()));
            if body.blocks_of(name).next().is_none() && !dynamic {
                object.insert(name.clone(), Value::Null);
                continue;
            }
        }
        let mut items: Vec<(Option<String>, Value)> = Vec::new();
        let mut unknown = false;
        for block in body.blocks_of(name) {
            items.push((
                block.labels.first().map(|l| l.value.clone()),
                eval_body(&block.body, &nested.block, scope, ctx)?,
            ));
        }
        for dynamic in body
            .blocks_of("dynamic")
            .filter(|b| b.label(0) == Some(name.as_str()))
        {
            match expand_dynamic(dynamic, &nested.block, scope, ctx)? {
                Some(generated) => items.extend(generated),
                None => unknown = true,
            }
        }
        let value = if unknown {
            Value::Unknown(nested.computed_type())
        } else {
            match nested.nesting {
                Nesting::Single => items
                    .into_iter()
                    .next()
                    .map(|(_, v)| v)
                    .unwrap_or(Value::Null),
                Nesting::List => Value::List(items.into_iter().map(|(_, v)| v).collect()),
                Nesting::Set => Value::set(items.into_iter().map(|(_, v)| v).collect()),
                Nesting::Map => Value::Map(
                    items
                        .into_iter()
                        .map(|(k, v)| (k.unwrap_or_default(), v))
                        .collect(),
                ),
            }
        };
        object.insert(name.clone(), value);
    }
    Ok(Value::Object(object))
}

/// Blocks written as an attribute, shaped as written blocks are: every attribute of the schema
/// present (null when left out or computed), nested blocks likewise.
fn block_shape(value: Value, schema: &BlockSchema) -> Value {
    let shape_one = |v: Value| match v {
        Value::Object(mut fields) => {
            for name in schema.attributes.keys() {
                if !fields.contains_key(name) {
                    fields.insert(name.clone(), Value::Null);
                }
            }
            for (name, nested) in &schema.blocks {
                let inner = fields.remove(name).unwrap_or(Value::Null);
                let inner = match inner {
                    Value::Null if nested.nesting != Nesting::Single => match nested.nesting {
                        Nesting::Set => Value::set(Vec::new()),
                        Nesting::Map => Value::Map(ValueMap::new()),
                        _ => Value::List(Vec::new()),
                    },
                    other => block_shape(other, &nested.block),
                };
                fields.insert(name.clone(), inner);
            }
            Value::Object(fields)
        }
        other => other,
    };
    match value {
        Value::List(items) => Value::List(items.into_iter().map(shape_one).collect()),
        Value::Set(items) => Value::set(items.into_iter().map(shape_one).collect()),
        Value::Map(items) => {
            Value::Map(items.into_iter().map(|(k, v)| (k, shape_one(v))).collect())
        }
        Value::Object(_) => shape_one(value),
        other => other,
    }
}

/// A generated block: its label (for map nesting) and its object value.
type Generated = (Option<String>, Value);

/// The blocks a `dynamic` block generates, or `None` when its `for_each` is not known yet.
fn expand_dynamic(
    dynamic: &Block,
    schema: &BlockSchema,
    scope: &dyn Scope,
    ctx: &dyn skel_stdlib::Context,
) -> Result<Option<Vec<Generated>>, EvalError> {
    let name = dynamic.label(0).unwrap_or_default();
    let Some(for_each) = dynamic.body.attribute("for_each") else {
        return Err(EvalError::new(
            "a dynamic block needs `for_each`",
            dynamic.header_range(),
        ));
    };
    let iterator = match dynamic.body.attribute("iterator").map(|a| &a.expr.kind) {
        Some(ExprKind::Variable(ident)) => ident.name.clone(),
        _ => name.to_string(),
    };
    // A sensitive collection's blocks are generated all the same, each key and value
    // carrying its marks (so is everything built from them).
    let (collection, marks) = skel_eval::eval_with(&for_each.expr, scope, ctx)?.into_unmarked();
    if !collection.is_known() {
        return Ok(None);
    }
    let entries: Vec<(Value, Value)> = match &collection {
        Value::List(v) | Value::Tuple(v) => v
            .iter()
            .enumerate()
            .map(|(i, e)| (Value::number(i as i64), e.clone()))
            .collect(),
        Value::Set(v) => v.iter().map(|e| (e.clone(), e.clone())).collect(),
        Value::Map(m) | Value::Object(m) => m
            .iter()
            .map(|(k, e)| (Value::string(k.clone()), e.clone()))
            .collect(),
        Value::Null => Vec::new(),
        other => {
            return Err(EvalError::new(
                format!(
                    "dynamic block `for_each` must be a collection, not {}",
                    other.type_of()
                ),
                for_each.expr.range,
            ));
        }
    };
    let Some(content) = dynamic.body.blocks_of("content").next() else {
        return Err(EvalError::new(
            "a dynamic block needs a `content` block",
            dynamic.header_range(),
        ));
    };
    let labels = dynamic.body.attribute("labels");
    let mut out = Vec::new();
    for (key, value) in entries {
        let (key, value) = (key.mark(marks), value.mark(marks));
        let layered = Layered {
            base: scope,
            name: &iterator,
            value: Value::Object(ValueMap::from([
                ("key".to_string(), key),
                ("value".to_string(), value),
            ])),
        };
        let label = match labels {
            Some(l) => match skel_eval::eval_with(&l.expr, &layered, ctx)? {
                // A label becomes a map key, which is always shown.
                v if v.is_sensitive() => {
                    return Err(EvalError::new(
                        "the labels of a dynamic block cannot be derived from a sensitive value: they are shown as map keys",
                        l.expr.range,
                    ))
                }
                Value::List(v) | Value::Tuple(v) => {
                    v.first().and_then(|x| x.as_str().map(str::to_string))
                }
                _ => None,
            },
            None => None,
        };
        out.push((label, eval_body(&content.body, schema, &layered, ctx)?));
    }
    Ok(Some(out))
}
