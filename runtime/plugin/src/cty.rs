//! cty, the type system of Terraform's plugin protocol, and skel's types and values.
//!
//! Types travel as cty's type JSON (`"string"`, `["list","string"]`,
//! `["object",{"a":"number"},["a"]]`, `"dynamic"`, …); values as a `DynamicValue`, msgpack
//! (the usual) or JSON (upgraded state), always read against the type the schema gives:
//! - msgpack: null is nil, unknown is extension type 0 (cty's refined unknowns, extension 12,
//!   read as unknown too), numbers an int when they are one, else a float64, else (precision a
//!   float64 cannot hold) a string; lists, sets and tuples arrays; maps and objects maps with
//!   every attribute present; a `dynamic` value a two-element array `[type JSON, value]`
//!   unless it is null or unknown.
//! - JSON: the same shapes, a `dynamic` value `{"value": …, "type": …}`, no unknowns.
//!
//! Marks (sensitivity) are skel's business and never cross the wire: values are sent unmarked.

use std::collections::BTreeMap;

use skel_value::{Number, ObjectType, Type, Value, ValueMap};

/// Input from a plugin that does not decode: what was expected and where (`.tags["a"]`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{problem}{}", if path.is_empty() { String::new() } else { format!(" at {path}") })]
pub struct DecodeError {
    pub problem: String,
    pub path: String,
}

fn err(problem: impl Into<String>, path: &str) -> DecodeError {
    DecodeError {
        problem: problem.into(),
        path: path.to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// Type JSON

/// The cty type JSON of a type (`any` is `"dynamic"`; optional object attributes are listed in
/// the third element, their defaults are the checker's business and not part of cty's JSON).
pub fn type_to_json(ty: &Type) -> serde_json::Value {
    use serde_json::json;
    match ty {
        Type::Dynamic => json!("dynamic"),
        Type::String => json!("string"),
        Type::Number => json!("number"),
        Type::Bool => json!("bool"),
        Type::List(t) => json!(["list", type_to_json(t)]),
        Type::Set(t) => json!(["set", type_to_json(t)]),
        Type::Map(t) => json!(["map", type_to_json(t)]),
        Type::Tuple(ts) => json!(["tuple", ts.iter().map(type_to_json).collect::<Vec<_>>()]),
        Type::Object(o) => {
            let attrs: serde_json::Map<String, serde_json::Value> = o
                .attrs
                .iter()
                .map(|(k, t)| (k.clone(), type_to_json(t)))
                .collect();
            if o.optional.is_empty() {
                json!(["object", attrs])
            } else {
                json!(["object", attrs, o.optional.keys().collect::<Vec<_>>()])
            }
        }
    }
}

/// Parses cty type JSON text.
pub fn type_from_json_bytes(bytes: &[u8]) -> Result<Type, DecodeError> {
    let json: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| err(format!("type is not JSON ({e})"), ""))?;
    type_from_json(&json)
}

/// Reads cty type JSON.
pub fn type_from_json(json: &serde_json::Value) -> Result<Type, DecodeError> {
    type_at(json, "")
}

fn type_at(json: &serde_json::Value, path: &str) -> Result<Type, DecodeError> {
    use serde_json::Value as J;
    match json {
        J::String(s) => match s.as_str() {
            "string" => Ok(Type::String),
            "number" => Ok(Type::Number),
            "bool" => Ok(Type::Bool),
            "dynamic" => Ok(Type::Dynamic),
            other => Err(err(format!("unknown primitive type `{other}`"), path)),
        },
        J::Array(items) => {
            let kind = items.first().and_then(J::as_str).ok_or_else(|| {
                err(
                    format!("a type array must start with its kind, found {json}"),
                    path,
                )
            })?;
            let arity = |n: std::ops::RangeInclusive<usize>| {
                if n.contains(&items.len()) {
                    Ok(())
                } else {
                    Err(err(
                        format!("type `{kind}` with {} elements", items.len()),
                        path,
                    ))
                }
            };
            match kind {
                "list" | "set" | "map" => {
                    arity(2..=2)?;
                    let elem = Box::new(type_at(&items[1], path)?);
                    Ok(match kind {
                        "list" => Type::List(elem),
                        "set" => Type::Set(elem),
                        _ => Type::Map(elem),
                    })
                }
                "tuple" => {
                    arity(2..=2)?;
                    let elems = items[1]
                        .as_array()
                        .ok_or_else(|| err("tuple element types must be an array", path))?;
                    elems
                        .iter()
                        .enumerate()
                        .map(|(i, t)| type_at(t, &format!("{path}[{i}]")))
                        .collect::<Result<_, _>>()
                        .map(Type::Tuple)
                }
                "object" => {
                    arity(2..=3)?;
                    let attrs = items[1]
                        .as_object()
                        .ok_or_else(|| err("object attribute types must be an object", path))?;
                    let mut obj = ObjectType::default();
                    for (name, t) in attrs {
                        obj.attrs
                            .insert(name.clone(), type_at(t, &format!("{path}.{name}"))?);
                    }
                    if let Some(optional) = items.get(2) {
                        let names = optional.as_array().ok_or_else(|| {
                            err("optional attributes must be an array of names", path)
                        })?;
                        for name in names {
                            let name = name.as_str().filter(|n| obj.attrs.contains_key(*n));
                            let name = name.ok_or_else(|| {
                                err("an optional attribute that is not an attribute", path)
                            })?;
                            obj.optional.insert(name.to_string(), None);
                        }
                    }
                    Ok(Type::Object(obj))
                }
                other => Err(err(format!("unknown type kind `{other}`"), path)),
            }
        }
        other => Err(err(format!("not a type: {other}"), path)),
    }
}

// ---------------------------------------------------------------------------------------------
// msgpack encoding

/// Encodes a value of type `ty` as cty msgpack. Values are converted as cty would (a number
/// where a string is expected is written as that string); marks are dropped.
pub fn to_msgpack(value: &Value, ty: &Type) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    encode(&mut out, value, ty);
    out
}

fn encode(out: &mut Vec<u8>, value: &Value, ty: &Type) {
    match (value, ty) {
        (Value::Marked(inner, _), _) => encode(out, inner, ty),
        (Value::Null, _) => out.push(0xc0),
        (Value::Unknown(_), _) => out.extend_from_slice(&[0xd4, 0, 0]),
        (v, Type::Dynamic) => {
            let actual = value_type(v);
            out.push(0x92);
            let json = type_to_json(&actual).to_string();
            write_bin(out, json.as_bytes());
            encode(out, v, &actual);
        }
        (Value::Number(n), Type::String) => write_str(out, &n.to_string()),
        (Value::Bool(b), Type::String) => write_str(out, if *b { "true" } else { "false" }),
        (Value::Bool(b), _) => out.push(if *b { 0xc3 } else { 0xc2 }),
        (Value::Number(n), _) => write_number(out, *n),
        (Value::String(s), Type::Number) => match s.parse::<f64>() {
            Ok(f) => write_number(out, Number(f)),
            Err(_) => write_str(out, s),
        },
        (Value::String(s), Type::Bool) if s == "true" || s == "false" => {
            out.push(if s == "true" { 0xc3 } else { 0xc2 })
        }
        (Value::String(s), _) => write_str(out, s),
        (Value::List(items) | Value::Set(items) | Value::Tuple(items), _) => {
            write_len(out, items.len(), [0x90, 0xdc, 0xdd]);
            for (i, item) in items.iter().enumerate() {
                let elem = match ty {
                    Type::List(t) | Type::Set(t) => t.as_ref(),
                    Type::Tuple(ts) => ts.get(i).unwrap_or(&Type::Dynamic),
                    _ => &Type::Dynamic,
                };
                encode(out, item, elem);
            }
        }
        (Value::Map(m) | Value::Object(m), Type::Object(o)) => {
            write_len(out, o.attrs.len(), [0x80, 0xde, 0xdf]);
            for (name, attr_ty) in &o.attrs {
                write_str(out, name);
                encode(out, m.get(name).unwrap_or(&Value::Null), attr_ty);
            }
        }
        (Value::Map(m) | Value::Object(m), _) => {
            write_len(out, m.len(), [0x80, 0xde, 0xdf]);
            let elem = match ty {
                Type::Map(t) => t.as_ref(),
                _ => &Type::Dynamic,
            };
            for (k, v) in m.iter() {
                write_str(out, k);
                encode(out, v, elem);
            }
        }
    }
}

/// The most specific type of a known value (for `dynamic` attributes, which carry theirs).
pub fn value_type(value: &Value) -> Type {
    match value {
        Value::Null | Value::Unknown(_) => Type::Dynamic,
        Value::Bool(_) => Type::Bool,
        Value::Number(_) => Type::Number,
        Value::String(_) => Type::String,
        Value::List(items) => Type::list(items.first().map_or(Type::Dynamic, value_type)),
        Value::Set(items) => Type::set(items.first().map_or(Type::Dynamic, value_type)),
        Value::Tuple(items) => Type::Tuple(items.iter().map(value_type).collect()),
        Value::Map(m) => Type::map(m.values().next().map_or(Type::Dynamic, value_type)),
        Value::Object(m) => Type::Object(ObjectType::new(
            m.iter().map(|(k, v)| (k.clone(), value_type(v))).collect(),
        )),
        Value::Marked(inner, _) => value_type(inner),
    }
}

fn write_len(out: &mut Vec<u8>, len: usize, [fix, m16, m32]: [u8; 3]) {
    if len < 16 {
        out.push(fix | len as u8);
    } else if len <= u16::MAX as usize {
        out.push(m16);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(m32);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
}

fn write_str(out: &mut Vec<u8>, s: &str) {
    let len = s.len();
    if len < 32 {
        out.push(0xa0 | len as u8);
    } else if len <= u8::MAX as usize {
        out.extend_from_slice(&[0xd9, len as u8]);
    } else if len <= u16::MAX as usize {
        out.push(0xda);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(0xdb);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
    out.extend_from_slice(s.as_bytes());
}

fn write_bin(out: &mut Vec<u8>, b: &[u8]) {
    let len = b.len();
    if len <= u8::MAX as usize {
        out.extend_from_slice(&[0xc4, len as u8]);
    } else if len <= u16::MAX as usize {
        out.push(0xc5);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(0xc6);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
    out.extend_from_slice(b);
}

/// Integers as cty writes them (the shortest int encoding), other numbers as float64;
/// NaN and infinities, which cty cannot hold, as the string cty would refuse loudly.
fn write_number(out: &mut Vec<u8>, n: Number) {
    let f = n.as_f64();
    if f.is_finite() && f.fract() == 0.0 && f >= -(2f64.powi(63)) && f < 2f64.powi(63) {
        let i = f as i64;
        if (0..128).contains(&i) {
            out.push(i as u8);
        } else if (-32..0).contains(&i) {
            out.push(i as i8 as u8);
        } else if i >= 0 {
            out.push(0xcf);
            out.extend_from_slice(&(i as u64).to_be_bytes());
        } else {
            out.push(0xd3);
            out.extend_from_slice(&i.to_be_bytes());
        }
    } else if f.is_finite() {
        out.push(0xcb);
        out.extend_from_slice(&f.to_be_bytes());
    } else {
        write_str(out, &f.to_string());
    }
}

// ---------------------------------------------------------------------------------------------
// msgpack decoding

/// Decodes cty msgpack of type `ty`. The whole input must be one value.
pub fn from_msgpack(bytes: &[u8], ty: &Type) -> Result<Value, DecodeError> {
    let mut r = Reader { bytes, pos: 0 };
    let v = r.value(ty, &mut String::new())?;
    if r.pos != bytes.len() {
        return Err(err(
            format!("{} bytes after the value", bytes.len() - r.pos),
            "",
        ));
    }
    Ok(v)
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

/// One msgpack item's header, its payload still unread (strings and bins: the bytes).
enum Item<'a> {
    Nil,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(&'a [u8]),
    Bin(&'a [u8]),
    Array(usize),
    Map(usize),
    /// An extension: its type (the payload is skipped).
    Ext(i8),
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, path: &str) -> Result<&'a [u8], DecodeError> {
        let end = self.pos.checked_add(n).filter(|e| *e <= self.bytes.len());
        let end = end.ok_or_else(|| err("msgpack ends in the middle of a value", path))?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn uint(&mut self, n: usize, path: &str) -> Result<u64, DecodeError> {
        Ok(self
            .take(n, path)?
            .iter()
            .fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
    }

    fn item(&mut self, path: &str) -> Result<Item<'a>, DecodeError> {
        let marker = self.take(1, path)?[0];
        Ok(match marker {
            0x00..=0x7f => Item::Int(i128::from(marker)),
            0x80..=0x8f => Item::Map(usize::from(marker & 0x0f)),
            0x90..=0x9f => Item::Array(usize::from(marker & 0x0f)),
            0xa0..=0xbf => Item::Str(self.take(usize::from(marker & 0x1f), path)?),
            0xc0 => Item::Nil,
            0xc2 => Item::Bool(false),
            0xc3 => Item::Bool(true),
            0xc4..=0xc6 => {
                let n = self.uint(1 << (marker - 0xc4), path)? as usize;
                Item::Bin(self.take(n, path)?)
            }
            0xc7..=0xc9 => {
                let n = self.uint(1 << (marker - 0xc7), path)? as usize;
                let tag = self.take(1, path)?[0] as i8;
                self.take(n, path)?;
                Item::Ext(tag)
            }
            0xca => Item::Float(f64::from(f32::from_bits(self.uint(4, path)? as u32))),
            0xcb => Item::Float(f64::from_bits(self.uint(8, path)?)),
            0xcc..=0xcf => Item::Int(i128::from(self.uint(1 << (marker - 0xcc), path)?)),
            0xd0..=0xd3 => {
                let n = 1usize << (marker - 0xd0);
                let raw = self.uint(n, path)?;
                let shift = 64 - 8 * n as u32;
                Item::Int(i128::from(((raw << shift) as i64) >> shift))
            }
            0xd4..=0xd8 => {
                let tag = self.take(1, path)?[0] as i8;
                self.take(1 << (marker - 0xd4), path)?;
                Item::Ext(tag)
            }
            0xd9..=0xdb => {
                let n = self.uint(1 << (marker - 0xd9), path)? as usize;
                Item::Str(self.take(n, path)?)
            }
            0xdc | 0xdd => Item::Array(self.uint(2 << (marker - 0xdc), path)? as usize),
            0xde | 0xdf => Item::Map(self.uint(2 << (marker - 0xde), path)? as usize),
            0xe0..=0xff => Item::Int(i128::from(marker as i8)),
            0xc1 => return Err(err("invalid msgpack marker 0xc1", path)),
        })
    }

    fn string(&mut self, path: &str) -> Result<String, DecodeError> {
        match self.item(path)? {
            Item::Str(b) => utf8(b, path),
            _ => Err(err("expected a string key", path)),
        }
    }

    fn value(&mut self, ty: &Type, path: &mut String) -> Result<Value, DecodeError> {
        let item = self.item(path)?;
        match item {
            Item::Nil => return Ok(Value::Null),
            Item::Ext(0 | 12) => return Ok(Value::Unknown(ty.clone())),
            Item::Ext(tag) => {
                return Err(err(
                    format!("unexpected msgpack extension type {tag}"),
                    path,
                ))
            }
            _ => {}
        }
        match ty {
            Type::Dynamic => {
                let Item::Array(2) = item else {
                    return Err(err(
                        "a dynamic value must be [type, value], found another msgpack value",
                        path,
                    ));
                };
                let ty_bytes = match self.item(path)? {
                    Item::Bin(b) | Item::Str(b) => b,
                    _ => return Err(err("a dynamic value's type must be type JSON", path)),
                };
                let actual = type_from_json_bytes(ty_bytes).map_err(|e| err(e.problem, path))?;
                self.value(&actual, path)
            }
            Type::String => match item {
                Item::Str(b) => utf8(b, path).map(Value::String),
                _ => Err(err("expected a string", path)),
            },
            Type::Bool => match item {
                Item::Bool(b) => Ok(Value::Bool(b)),
                _ => Err(err("expected a bool", path)),
            },
            Type::Number => match item {
                Item::Int(i) => Ok(Value::Number(Number(i as f64))),
                Item::Float(f) => Ok(Value::Number(Number(f))),
                Item::Str(b) => {
                    let s = utf8(b, path)?;
                    match s.trim().parse::<f64>() {
                        Ok(f) if f.is_finite() => Ok(Value::Number(Number(f))),
                        _ => Err(err(format!("`{s}` is not a number"), path)),
                    }
                }
                _ => Err(err("expected a number", path)),
            },
            Type::List(elem) | Type::Set(elem) => {
                let Item::Array(n) = item else {
                    return Err(err("expected an array", path));
                };
                let items = self.elements(n, |i| (elem.as_ref(), format!("[{i}]")), path)?;
                Ok(match ty {
                    Type::List(_) => Value::List(items),
                    _ => Value::set(items),
                })
            }
            Type::Tuple(elems) => {
                let Item::Array(n) = item else {
                    return Err(err("expected an array", path));
                };
                if n != elems.len() {
                    return Err(err(
                        format!("a tuple of {} elements has {n}", elems.len()),
                        path,
                    ));
                }
                self.elements(n, |i| (&elems[i], format!("[{i}]")), path)
                    .map(Value::Tuple)
            }
            Type::Map(elem) => {
                let Item::Map(n) = item else {
                    return Err(err("expected a map", path));
                };
                let mut map = ValueMap::with_capacity(n.min(self.bytes.len() - self.pos));
                for _ in 0..n {
                    let key = self.string(path)?;
                    let len = path.len();
                    path.push_str(&format!("[{key:?}]"));
                    let v = self.value(elem, path)?;
                    path.truncate(len);
                    map.insert(key, v);
                }
                Ok(Value::Map(map))
            }
            Type::Object(o) => {
                let Item::Map(n) = item else {
                    return Err(err("expected an object (a msgpack map)", path));
                };
                let mut map = ValueMap::with_capacity(o.attrs.len());
                for _ in 0..n {
                    let key = self.string(path)?;
                    let Some(attr_ty) = o.attrs.get(&key) else {
                        return Err(err(format!("unexpected attribute `{key}`"), path));
                    };
                    let len = path.len();
                    path.push('.');
                    path.push_str(&key);
                    let v = self.value(attr_ty, path)?;
                    path.truncate(len);
                    map.insert(key, v);
                }
                // cty writes every attribute; one left out is null.
                for name in o.attrs.keys() {
                    if !map.contains_key(name) {
                        map.insert(name.clone(), Value::Null);
                    }
                }
                Ok(Value::Object(map))
            }
        }
    }

    fn elements<'t>(
        &mut self,
        n: usize,
        elem: impl Fn(usize) -> (&'t Type, String),
        path: &mut String,
    ) -> Result<Vec<Value>, DecodeError> {
        // Guard the allocation: each element takes at least one byte.
        let mut items = Vec::with_capacity(n.min(self.bytes.len() - self.pos));
        for i in 0..n {
            let (ty, step) = elem(i);
            let len = path.len();
            path.push_str(&step);
            items.push(self.value(ty, path)?);
            path.truncate(len);
        }
        Ok(items)
    }
}

fn utf8(b: &[u8], path: &str) -> Result<String, DecodeError> {
    String::from_utf8(b.to_vec()).map_err(|_| err("a string that is not UTF-8", path))
}

// ---------------------------------------------------------------------------------------------
// JSON

/// Decodes a JSON `DynamicValue` (or a state's JSON attributes) of type `ty`.
pub fn from_json_bytes(bytes: &[u8], ty: &Type) -> Result<Value, DecodeError> {
    let json: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| err(format!("not JSON ({e})"), ""))?;
    from_json(&json, ty)
}

/// Reads a JSON value of type `ty` as cty's JSON encoding writes it.
pub fn from_json(json: &serde_json::Value, ty: &Type) -> Result<Value, DecodeError> {
    json_at(json, ty, &mut String::new())
}

fn json_at(json: &serde_json::Value, ty: &Type, path: &mut String) -> Result<Value, DecodeError> {
    use serde_json::Value as J;
    if json.is_null() {
        return Ok(Value::Null);
    }
    let nested = |j: &J, t: &Type, step: String, path: &mut String| {
        let len = path.len();
        path.push_str(&step);
        let v = json_at(j, t, path);
        path.truncate(len);
        v
    };
    match (ty, json) {
        (Type::Dynamic, J::Object(o)) if o.contains_key("value") && o.contains_key("type") => {
            let actual = type_at(&o["type"], path)?;
            json_at(&o["value"], &actual, path)
        }
        (Type::Dynamic, _) => Err(err("a dynamic value must be {\"value\", \"type\"}", path)),
        (Type::String, J::String(s)) => Ok(Value::String(s.clone())),
        (Type::String, J::Number(n)) => Ok(Value::String(n.to_string())),
        (Type::String, J::Bool(b)) => Ok(Value::String(b.to_string())),
        (Type::Number, J::Number(n)) => n
            .as_f64()
            .map(|f| Value::Number(Number(f)))
            .ok_or_else(|| err("a number out of range", path)),
        (Type::Number, J::String(s)) => match s.trim().parse::<f64>() {
            Ok(f) if f.is_finite() => Ok(Value::Number(Number(f))),
            _ => Err(err(format!("`{s}` is not a number"), path)),
        },
        (Type::Bool, J::Bool(b)) => Ok(Value::Bool(*b)),
        (Type::Bool, J::String(s)) if s == "true" || s == "false" => Ok(Value::Bool(s == "true")),
        (Type::List(elem) | Type::Set(elem), J::Array(items)) => {
            let items = items
                .iter()
                .enumerate()
                .map(|(i, j)| nested(j, elem, format!("[{i}]"), path))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(match ty {
                Type::List(_) => Value::List(items),
                _ => Value::set(items),
            })
        }
        (Type::Tuple(elems), J::Array(items)) if elems.len() == items.len() => elems
            .iter()
            .zip(items)
            .enumerate()
            .map(|(i, (t, j))| nested(j, t, format!("[{i}]"), path))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Tuple),
        (Type::Map(elem), J::Object(o)) => o
            .iter()
            .map(|(k, j)| Ok((k.clone(), nested(j, elem, format!("[{k:?}]"), path)?)))
            .collect::<Result<ValueMap, DecodeError>>()
            .map(Value::Map),
        (Type::Object(obj), J::Object(o)) => {
            if let Some(extra) = o.keys().find(|k| !obj.attrs.contains_key(*k)) {
                return Err(err(format!("unexpected attribute `{extra}`"), path));
            }
            obj.attrs
                .iter()
                .map(|(k, t)| {
                    let v = match o.get(k) {
                        Some(j) => nested(j, t, format!(".{k}"), path)?,
                        None => Value::Null,
                    };
                    Ok((k.clone(), v))
                })
                .collect::<Result<ValueMap, DecodeError>>()
                .map(Value::Object)
        }
        (ty, json) => Err(err(
            format!("expected {ty}, found JSON {}", json_kind(json)),
            path,
        )),
    }
}

fn json_kind(json: &serde_json::Value) -> &'static str {
    match json {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "bool",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
    }
}

/// Encodes a known value as cty JSON (for `raw_state`): unknown values have no JSON form and
/// are written as null.
pub fn to_json(value: &Value, ty: &Type) -> serde_json::Value {
    use serde_json::{json, Value as J};
    match (value, ty) {
        (Value::Marked(inner, _), _) => to_json(inner, ty),
        (Value::Null | Value::Unknown(_), _) => J::Null,
        (v, Type::Dynamic) => {
            let actual = value_type(v);
            json!({"value": to_json(v, &actual), "type": type_to_json(&actual)})
        }
        (Value::Bool(b), _) => J::Bool(*b),
        (Value::Number(n), _) => n
            .as_i64()
            .map(J::from)
            .or_else(|| serde_json::Number::from_f64(n.as_f64()).map(J::Number))
            .unwrap_or(J::Null),
        (Value::String(s), _) => J::String(s.clone()),
        (Value::List(items) | Value::Set(items) | Value::Tuple(items), _) => J::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    let elem = match ty {
                        Type::List(t) | Type::Set(t) => t.as_ref(),
                        Type::Tuple(ts) => ts.get(i).unwrap_or(&Type::Dynamic),
                        _ => &Type::Dynamic,
                    };
                    to_json(v, elem)
                })
                .collect(),
        ),
        (Value::Map(m) | Value::Object(m), _) => {
            let attr_ty = |k: &str| match ty {
                Type::Object(o) => o.attrs.get(k).cloned().unwrap_or(Type::Dynamic),
                Type::Map(t) => t.as_ref().clone(),
                _ => Type::Dynamic,
            };
            let mut out: BTreeMap<String, J> = m
                .iter()
                .map(|(k, v)| (k.clone(), to_json(v, &attr_ty(k))))
                .collect();
            if let Type::Object(o) = ty {
                for k in o.attrs.keys() {
                    out.entry(k.clone()).or_insert(J::Null);
                }
            }
            J::Object(out.into_iter().collect())
        }
    }
}

#[cfg(test)]
#[path = "cty_tests.rs"]
mod tests;
