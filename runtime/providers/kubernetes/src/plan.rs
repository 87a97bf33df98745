//! Planning against the schema: the configuration (defaults are already filled in by the
//! evaluator), computed attributes kept from the prior state at the same position unless the
//! object is replaced, and `requires_replace` for every `force_new` attribute or block that
//! changed. The diff the plan shows is this schema-shaped object against the state read from
//! the live object (see `ownership`), not a server dry-run.

use skel_provider::{AttrPath, PlanResponse};
use skel_schema::BlockSchema;
use skel_value::Value;
use skel_value::ValueMap;

/// Whether two values are the same for planning: null equals an empty collection.
pub fn same(a: &Value, b: &Value) -> bool {
    fn empty(v: &Value) -> bool {
        match v {
            Value::Null => true,
            Value::Map(m) | Value::Object(m) => m.is_empty(),
            Value::List(l) | Value::Set(l) | Value::Tuple(l) => l.is_empty(),
            _ => false,
        }
    }
    if a.has_unknown() || b.has_unknown() {
        return false;
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) | (Value::Map(x), Value::Map(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            keys.into_iter().all(|k| {
                same(
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                )
            })
        }
        (Value::List(x), Value::List(y)) | (Value::Tuple(x), Value::Tuple(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        _ => a == b || (empty(a) && empty(b)),
    }
}

fn field<'a>(v: Option<&'a Value>, name: &str) -> Option<&'a Value> {
    v.and_then(|v| v.as_mapping()).and_then(|m| m.get(name))
}

/// The planned value of one block: `config` with computed attributes filled from `prior`
/// (`None`, or `replacing`: unknown).
pub fn plan_block(
    block: &BlockSchema,
    config: &Value,
    prior: Option<&Value>,
    replacing: bool,
) -> Value {
    if matches!(config, Value::Unknown(_)) {
        return config.clone();
    }
    let prior = if replacing { None } else { prior };
    let mut out = ValueMap::new();
    for (name, attr) in &block.attributes {
        let configured = field(Some(config), name).cloned().unwrap_or(Value::Null);
        let from_prior = || match field(prior, name) {
            Some(v) => v.clone(),
            None if prior.is_some() => Value::Null,
            None => Value::Unknown(attr.ty.clone()),
        };
        let value = if !attr.is_argument() {
            from_prior()
        } else if attr.computed && configured.is_null() {
            match prior {
                Some(_) => field(prior, name).cloned().unwrap_or(Value::Null),
                None => Value::Unknown(attr.ty.clone()),
            }
        } else {
            configured
        };
        out.insert(name.clone(), value);
    }
    for (name, nested) in &block.blocks {
        let configured = field(Some(config), name).cloned().unwrap_or(Value::Null);
        let value = match &configured {
            Value::List(items) => {
                let prior_items = field(prior, name).and_then(|p| p.as_sequence());
                Value::List(
                    items
                        .iter()
                        .enumerate()
                        .map(|(i, item)| {
                            let p = prior_items.and_then(|p| p.get(i));
                            plan_block(&nested.block, item, p, replacing || p.is_none())
                        })
                        .collect(),
                )
            }
            other => other.clone(),
        };
        out.insert(name.clone(), value);
    }
    Value::Object(out)
}

/// Paths of `force_new` attributes and blocks whose planned value differs from the prior one.
pub fn replace_paths(
    block: &BlockSchema,
    planned: &Value,
    prior: &Value,
    path: &mut AttrPath,
    out: &mut Vec<AttrPath>,
) {
    for (name, attr) in &block.attributes {
        if !attr.force_new {
            continue;
        }
        let (p, q) = (field(Some(planned), name), field(Some(prior), name));
        let planned_v = p.unwrap_or(&Value::Null);
        let prior_v = q.unwrap_or(&Value::Null);
        // An omitted optional+computed argument keeps the prior value (planned took it over).
        if !matches!(planned_v, Value::Unknown(_)) && !same(planned_v, prior_v) {
            let mut p = path.clone();
            p.push(name.clone());
            out.push(p);
        }
    }
    for (name, nested) in &block.blocks {
        let planned_items = field(Some(planned), name).and_then(|v| v.as_sequence());
        let prior_items = field(Some(prior), name).and_then(|v| v.as_sequence());
        if nested.force_new {
            let a = field(Some(planned), name).cloned().unwrap_or(Value::Null);
            let b = field(Some(prior), name).cloned().unwrap_or(Value::Null);
            if !same(
                &strip_computed(&nested.block, &a),
                &strip_computed(&nested.block, &b),
            ) {
                let mut p = path.clone();
                p.push(name.clone());
                out.push(p);
                continue;
            }
        }
        if let (Some(a), Some(b)) = (planned_items, prior_items) {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                path.push(name.clone());
                path.push(i.to_string());
                replace_paths(&nested.block, x, y, path, out);
                path.pop();
                path.pop();
            }
        }
    }
}

/// The value with computed-only attributes removed (for comparing arguments).
pub fn strip_computed(block: &BlockSchema, v: &Value) -> Value {
    match v {
        Value::List(items) => Value::List(items.iter().map(|i| strip_computed(block, i)).collect()),
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| block.attribute(k).is_none_or(|a| a.is_argument()))
                .map(|(k, v)| match block.block(k) {
                    Some(nested) => (k.clone(), strip_computed(&nested.block, v)),
                    None => (k.clone(), v.clone()),
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The whole plan of one instance. `volatile` is where the server-maintained computed values
/// live that change on any update (`metadata[0].resource_version`, `generation`), made unknown
/// when the arguments change.
pub fn plan(block: &BlockSchema, prior: Option<&Value>, config: &Value) -> PlanResponse {
    if config.is_null() {
        return PlanResponse {
            planned: Value::Null,
            requires_replace: Vec::new(),
        };
    }
    let prior = prior.filter(|p| !p.is_null());
    let mut planned = plan_block(block, config, prior, false);
    let mut requires_replace = Vec::new();
    if let Some(p) = prior {
        replace_paths(block, &planned, p, &mut Vec::new(), &mut requires_replace);
        if !requires_replace.is_empty() {
            planned = plan_block(block, config, None, true);
        } else if !same(&strip_computed(block, &planned), &strip_computed(block, p)) {
            mark_volatile_unknown(&mut planned);
        }
    }
    PlanResponse {
        planned,
        requires_replace,
    }
}

fn mark_volatile_unknown(planned: &mut Value) {
    let Value::Object(top) = planned else { return };
    if let Some(Value::List(meta)) = top.get_mut("metadata") {
        if let Some(Value::Object(m)) = meta.first_mut() {
            m.insert(
                "resource_version".into(),
                Value::Unknown(skel_value::Type::String),
            );
            m.insert(
                "generation".into(),
                Value::Unknown(skel_value::Type::Number),
            );
        }
    }
}
