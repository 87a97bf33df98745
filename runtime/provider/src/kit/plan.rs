//! The schema-driven planner every provider starts from, with hooks for the rules the schema
//! cannot express:
//!
//! * arguments take their configured value (converted to their type), or the schema default
//!   when omitted; an omitted optional+computed argument is the provider's choice (below);
//! * nested blocks take their configured items (an omitted block is empty in its nesting mode,
//!   except a `computed` block type with none written (null; `name = []` manages none): it
//!   keeps the prior, observed, items);
//! * computed attributes keep their prior value unless the object is replaced, and are unknown
//!   otherwise (a create, a replacement, an item added to a list), also inside `List` blocks,
//!   item by item, at every depth; in `Set` blocks, from the prior item a configured one matches
//!   (every value it sets is the prior's), unknown when none does;
//! * `requires_replace` lists every `force_new` argument or block whose value is not
//!   [`same`](super::same) as the prior one, and, inside `List` blocks at every depth, every
//!   `force_new` attribute of an item that changed (`["root_block_device", "0", "volume_size"]`),
//!   then what [`PlanHooks::replacements`] adds;
//! * then [`PlanHooks::plan_create`] or [`PlanHooks::plan_update`] adjust the result.

use skel_schema::{BlockSchema, NestedBlockSchema, Nesting};
use skel_value::{Type, Value, ValueMap};

use super::access::{get, with_default};
use super::equal::same;
use crate::{AttrPath, PlanResponse};

/// What a provider adds to the generic plan.
pub trait PlanHooks {
    /// Adjusts the plan of a create (there is no prior object): values derived from others
    /// (`tags_all` from `tags` and the provider's default tags).
    fn plan_create(&self, type_name: &str, planned: &mut Value) {
        let _ = (type_name, planned);
    }

    /// Adjusts the plan of an update of `prior`: derived values, replacements the schema cannot
    /// express, computed values an in-place update changes (made unknown with
    /// [`set_unknown`]).
    fn plan_update(&self, type_name: &str, prior: &Value, response: &mut PlanResponse) {
        let _ = (type_name, prior, response);
    }

    /// Replacements of an update the schema cannot express, decided from the configuration
    /// before the computed values are planned, so that a replacement leaves them unknown (an
    /// immutable object whose data changes). They follow the schema's own `requires_replace`.
    fn replacements(&self, type_name: &str, prior: &Value, config: &Value) -> Vec<AttrPath> {
        let _ = (type_name, prior, config);
        Vec::new()
    }
}

/// No hooks: the schema's rules only.
pub struct NoHooks;

impl PlanHooks for NoHooks {}

fn empty_block(nesting: Nesting) -> Value {
    match nesting {
        Nesting::Set => Value::Set(Vec::new()),
        Nesting::Map => Value::Map(ValueMap::new()),
        Nesting::Single => Value::Null,
        Nesting::List => Value::List(Vec::new()),
    }
}

/// The value of a nested block in an imported or observed object when it is absent: empty in
/// its nesting mode.
pub fn empty_nested(nesting: Nesting) -> Value {
    empty_block(nesting)
}

/// Marks attribute `name` of an object unknown (in its current type; a string when that is
/// not known).
pub fn set_unknown(obj: &mut Value, name: &str) {
    if let Value::Object(m) = obj {
        let ty = match m.get(name).map(Value::type_of) {
            Some(Type::Dynamic) | None => Type::String,
            Some(ty) => ty,
        };
        m.insert(name.to_string(), Value::Unknown(ty));
    }
}

/// Plans one instance of `type_name`, whose schema is `block` (see the module for the rules).
pub fn plan(
    type_name: &str,
    block: &BlockSchema,
    prior: Option<&Value>,
    config: &Value,
    hooks: &dyn PlanHooks,
) -> PlanResponse {
    if config.is_null() {
        return PlanResponse {
            planned: Value::Null,
            requires_replace: Vec::new(),
        };
    }
    let prior = prior.filter(|p| !p.is_null());
    let mut planned = ValueMap::with_capacity(block.attributes.len() + block.blocks.len());
    let mut requires_replace: Vec<AttrPath> = Vec::new();
    for (name, attr) in &block.attributes {
        if !attr.is_argument() {
            continue;
        }
        let value = with_default(config, name, attr);
        if attr.computed && value.is_null() {
            // Optional and computed, and omitted: the provider chooses (below).
            continue;
        }
        if let Some(p) = prior {
            if attr.force_new && !same(&value, get(p, name)) {
                requires_replace.push(vec![name.clone()]);
            }
        }
        planned.insert(name.clone(), value);
    }
    let mut raw_sets = Vec::new();
    for (name, nested) in &block.blocks {
        let value = match (get(config, name), prior) {
            // Optional+computed blocks, none written (null): not managed, what was observed
            // stays. Written as an empty attribute (`ingress = []`): managed, and none.
            (Value::Null, Some(p)) if nested.computed => get(p, name).clone(),
            (Value::Null, _) => empty_block(nested.nesting),
            (v, _) => v.clone(),
        };
        // Computed attributes of `Set` items (a volume's id) are matched, not positioned.
        let value = if nested.nesting == Nesting::Set {
            raw_sets.push((name, nested, value.clone(), get(config, name).is_null()));
            fill_set_items(nested, &value, prior.map(|p| get(p, name)), false)
        } else {
            value
        };
        if let Some(p) = prior {
            block_replacements(
                name,
                nested,
                &value,
                get(p, name),
                &mut Vec::new(),
                &mut requires_replace,
            );
        }
        planned.insert(name.clone(), value);
    }
    if let Some(p) = prior {
        requires_replace.extend(hooks.replacements(type_name, p, config));
    }
    let replacing = prior.is_none() || !requires_replace.is_empty();
    for (name, attr) in &block.attributes {
        if !attr.computed || planned.contains_key(name) {
            continue;
        }
        let value = match prior {
            Some(p) if !replacing => get(p, name).clone(),
            _ => Value::Unknown(attr.ty.clone()),
        };
        planned.insert(name.clone(), value);
    }
    // Computed attributes inside list blocks (a root volume's id): kept or unknown.
    let kept = if replacing { None } else { prior };
    if replacing && prior.is_some() {
        // A new object: the computed attributes of its `Set` items are all AWS's choice again.
        // Items kept from the prior object (none written) have every computed value AWS's.
        for (name, nested, raw, kept) in raw_sets {
            planned.insert(name.clone(), fill_set_items(nested, &raw, None, kept));
        }
    }
    fill_list_blocks(block, &mut planned, kept);
    let mut response = PlanResponse {
        planned: Value::Object(planned),
        requires_replace,
    };
    match prior {
        None => hooks.plan_create(type_name, &mut response.planned),
        Some(p) => hooks.plan_update(type_name, p, &mut response),
    }
    response
}

/// Adds to `out` the replacement paths of nested block `name` (under `path`): the block when it
/// is `force_new` and changed, else, in a `List` block, the `force_new` attributes of each item
/// that changed, at every depth.
fn block_replacements(
    name: &str,
    nested: &NestedBlockSchema,
    value: &Value,
    old: &Value,
    path: &mut AttrPath,
    out: &mut Vec<AttrPath>,
) {
    path.push(name.to_string());
    if nested.force_new && !same(value, old) {
        out.push(path.clone());
    } else if nested.nesting == Nesting::List {
        let old_items = old.as_sequence();
        for (i, item) in value.as_sequence().unwrap_or(&[]).iter().enumerate() {
            let before = old_items.and_then(|o| o.get(i)).unwrap_or(&Value::Null);
            path.push(i.to_string());
            for (attr_name, attr) in &nested.block.attributes {
                let now = get(item, attr_name);
                if attr.force_new
                    && !(attr.computed && now.is_null())
                    && !same(now, get(before, attr_name))
                {
                    let mut p = path.clone();
                    p.push(attr_name.clone());
                    out.push(p);
                }
            }
            for (inner, inner_block) in &nested.block.blocks {
                let now = get(item, inner);
                block_replacements(inner, inner_block, now, get(before, inner), path, out);
            }
            path.pop();
        }
    }
    path.pop();
}

/// `value`'s items of `Set` block `nested` with the computed attributes the configuration leaves
/// null filled: from the `prior` item it matches (one whose values equal every value the item
/// sets), or unknown when none does (a create, an added item). `all_fresh`: every computed
/// attribute is unknown (the items of a replaced object).
fn fill_set_items(
    nested: &NestedBlockSchema,
    value: &Value,
    prior: Option<&Value>,
    all_fresh: bool,
) -> Value {
    let computed: Vec<(&String, &skel_schema::AttributeSchema)> = nested
        .block
        .attributes
        .iter()
        .filter(|(_, a)| a.computed)
        .collect();
    let Value::Set(items) = value else {
        return value.clone();
    };
    if computed.is_empty() {
        return value.clone();
    }
    let old = prior.and_then(Value::as_sequence).unwrap_or(&[]);
    let pairs = pair_items(items, old, |item, o| match item {
        Value::Object(fields) => fields
            .iter()
            .all(|(k, v)| v.is_null() || same(v, get(o, k))),
        _ => false,
    });
    let filled = items
        .iter()
        .zip(pairs)
        .map(|(item, found)| {
            let Value::Object(fields) = item else {
                return item.clone();
            };
            let found = found.map(|i| &old[i]);
            let mut out = fields.clone();
            for (name, attr) in &computed {
                if !all_fresh && !out.get(name).unwrap_or(&Value::Null).is_null() {
                    continue;
                }
                let v = match found {
                    Some(o) if !all_fresh => get(o, name).clone(),
                    _ => Value::Unknown(attr.ty.clone()),
                };
                out.insert((*name).clone(), v);
            }
            Value::Object(out)
        })
        .collect();
    Value::set(filled)
}

/// Pairs each of `items` with the first not yet paired element of `old` that `agree`s with it
/// (set items are matched by content, not position): the index in `old` for each item, `None`
/// when nothing is left that agrees.
pub fn pair_items(
    items: &[Value],
    old: &[Value],
    agree: impl Fn(&Value, &Value) -> bool,
) -> Vec<Option<usize>> {
    let mut used = vec![false; old.len()];
    items
        .iter()
        .map(|item| {
            let found = (0..old.len()).find(|&i| !used[i] && agree(item, &old[i]));
            if let Some(i) = found {
                used[i] = true;
            }
            found
        })
        .collect()
}

/// Fills the computed attributes the configuration leaves null in the items of the `List`
/// blocks of `fields`, at every depth: from the item at the same position of `prior`, or
/// unknown when there is none (a create, a replacement, an added item).
fn fill_list_blocks(block: &BlockSchema, fields: &mut ValueMap, prior: Option<&Value>) {
    for (name, nested) in &block.blocks {
        if nested.nesting != Nesting::List {
            continue;
        }
        let old = prior.map(|p| get(p, name)).and_then(Value::as_sequence);
        let Some(Value::List(items)) = fields.get_mut(name) else {
            continue;
        };
        for (i, item) in items.iter_mut().enumerate() {
            let Value::Object(item_fields) = item else {
                continue;
            };
            let before = old.and_then(|o| o.get(i));
            for (attr_name, attr) in &nested.block.attributes {
                let current = item_fields.get(attr_name).unwrap_or(&Value::Null);
                if !attr.computed || !current.is_null() {
                    continue;
                }
                let value = match before {
                    Some(before) => get(before, attr_name).clone(),
                    None => Value::Unknown(attr.ty.clone()),
                };
                item_fields.insert(attr_name.clone(), value);
            }
            fill_list_blocks(&nested.block, item_fields, before);
        }
    }
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
