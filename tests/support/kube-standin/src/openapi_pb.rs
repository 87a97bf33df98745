//! `/openapi/v2` as protobuf (`application/com.github.proto-openapi.spec.v2@v1.0+protobuf`), the
//! form clients before 1.27 ask for (Debian's kubectl 1.20 validates `apply` and answers
//! `explain` only from it): gnostic's `openapi.v2.Document`, encoded by hand from the field
//! numbers of gnostic's published `OpenAPIv2.proto` (no generated code). Vendor extensions,
//! defaults, examples and enum values are `Any` messages carrying YAML text; JSON is YAML, so
//! the JSON of the value is what they carry.

use serde_json::{Map, Value};

/// One protobuf message being written (proto3: zero values are left out).
#[derive(Default)]
struct Msg(Vec<u8>);

impl Msg {
    fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.0.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }

    fn key(&mut self, field: u32, wire: u8) {
        self.varint(u64::from(field) << 3 | u64::from(wire));
    }

    fn bytes(&mut self, field: u32, bytes: &[u8]) {
        self.key(field, 2);
        self.varint(bytes.len() as u64);
        self.0.extend_from_slice(bytes);
    }

    fn string(&mut self, field: u32, s: &str) {
        if !s.is_empty() {
            self.bytes(field, s.as_bytes());
        }
    }

    fn strings(&mut self, field: u32, v: &Value) {
        for s in v.as_array().into_iter().flatten().filter_map(Value::as_str) {
            self.bytes(field, s.as_bytes());
        }
    }

    fn boolean(&mut self, field: u32, b: bool) {
        if b {
            self.key(field, 0);
            self.varint(1);
        }
    }

    fn int(&mut self, field: u32, v: &Value) {
        if let Some(i) = v.as_i64().filter(|i| *i != 0) {
            self.key(field, 0);
            self.varint(i as u64);
        }
    }

    fn double(&mut self, field: u32, v: &Value) {
        if let Some(d) = v.as_f64().filter(|d| *d != 0.0) {
            self.key(field, 1);
            self.0.extend_from_slice(&d.to_le_bytes());
        }
    }

    fn message(&mut self, field: u32, m: Msg) {
        self.bytes(field, &m.0);
    }
}

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

fn flag(v: &Value, key: &str) -> bool {
    v.get(key).and_then(Value::as_bool).unwrap_or(false)
}

/// `Any { yaml = 2 }`.
fn any(v: &Value) -> Msg {
    let mut m = Msg::default();
    m.string(2, &v.to_string());
    m
}

/// The `x-…` keys of an object as `NamedAny`s, in the repeated field `field`.
fn vendor_extensions(out: &mut Msg, field: u32, v: &Value) {
    for (name, value) in v.as_object().into_iter().flatten() {
        if name.starts_with("x-") {
            let mut named = Msg::default();
            named.string(1, name);
            named.message(2, any(value));
            out.message(field, named);
        }
    }
}

/// `Schema`.
fn schema(s: &Value) -> Msg {
    let mut m = Msg::default();
    m.string(1, text(s, "$ref"));
    m.string(2, text(s, "format"));
    m.string(3, text(s, "title"));
    m.string(4, text(s, "description"));
    if let Some(d) = s.get("default") {
        m.message(5, any(d));
    }
    m.double(6, &s["multipleOf"]);
    m.double(7, &s["maximum"]);
    m.boolean(8, flag(s, "exclusiveMaximum"));
    m.double(9, &s["minimum"]);
    m.boolean(10, flag(s, "exclusiveMinimum"));
    m.int(11, &s["maxLength"]);
    m.int(12, &s["minLength"]);
    m.string(13, text(s, "pattern"));
    m.int(14, &s["maxItems"]);
    m.int(15, &s["minItems"]);
    m.boolean(16, flag(s, "uniqueItems"));
    m.int(17, &s["maxProperties"]);
    m.int(18, &s["minProperties"]);
    m.strings(19, &s["required"]);
    for e in s["enum"].as_array().into_iter().flatten() {
        m.message(20, any(e));
    }
    match s.get("additionalProperties") {
        Some(Value::Bool(b)) => {
            let mut item = Msg::default();
            item.key(2, 0);
            item.varint(u64::from(*b));
            m.message(21, item);
        }
        Some(inner @ Value::Object(_)) => {
            let mut item = Msg::default();
            item.message(1, schema(inner));
            m.message(21, item);
        }
        _ => {}
    }
    match s.get("type") {
        Some(Value::String(t)) => {
            let mut item = Msg::default();
            item.string(1, t);
            m.message(22, item);
        }
        Some(types @ Value::Array(_)) => {
            let mut item = Msg::default();
            item.strings(1, types);
            m.message(22, item);
        }
        _ => {}
    }
    match s.get("items") {
        Some(inner @ Value::Object(_)) => {
            let mut item = Msg::default();
            item.message(1, schema(inner));
            m.message(23, item);
        }
        Some(Value::Array(all)) => {
            let mut item = Msg::default();
            all.iter().for_each(|i| item.message(1, schema(i)));
            m.message(23, item);
        }
        _ => {}
    }
    for a in s["allOf"].as_array().into_iter().flatten() {
        m.message(24, schema(a));
    }
    if let Some(props) = s.get("properties").and_then(Value::as_object) {
        m.message(25, named_schemas(props));
    }
    m.string(26, text(s, "discriminator"));
    m.boolean(27, flag(s, "readOnly"));
    if let Some(e) = s.get("example") {
        m.message(30, any(e));
    }
    vendor_extensions(&mut m, 31, s);
    m
}

/// `Properties` / `Definitions`: `repeated NamedSchema additional_properties = 1`.
fn named_schemas(map: &Map<String, Value>) -> Msg {
    let mut m = Msg::default();
    for (name, s) in map {
        let mut named = Msg::default();
        named.string(1, name);
        named.message(2, schema(s));
        m.message(1, named);
    }
    m
}

/// `ParametersItem { parameter = 1 }` for a body, query or path parameter.
fn parameter(p: &Value) -> Msg {
    let mut param = Msg::default();
    if text(p, "in") == "body" {
        let mut body = Msg::default();
        body.string(1, text(p, "description"));
        body.string(2, text(p, "name"));
        body.string(3, "body");
        body.boolean(4, flag(p, "required"));
        body.message(5, schema(&p["schema"]));
        vendor_extensions(&mut body, 6, p);
        param.message(1, body);
    } else {
        // Query (`QueryParameterSubSchema`, oneof 3) and path (`PathParameterSubSchema`, 4)
        // parameters differ in their numbering after `name`.
        let path = text(p, "in") == "path";
        let mut sub = Msg::default();
        sub.boolean(1, flag(p, "required"));
        sub.string(2, text(p, "in"));
        sub.string(3, text(p, "description"));
        sub.string(4, text(p, "name"));
        let (ty, unique, ext) = if path { (5, 19, 22) } else { (6, 20, 23) };
        sub.string(ty, text(p, "type"));
        sub.boolean(unique, flag(p, "uniqueItems"));
        vendor_extensions(&mut sub, ext, p);
        let mut non_body = Msg::default();
        non_body.message(if path { 4 } else { 3 }, sub);
        param.message(2, non_body);
    }
    let mut item = Msg::default();
    item.message(1, param);
    item
}

/// `Operation`.
fn operation(op: &Value) -> Msg {
    let mut m = Msg::default();
    m.strings(1, &op["tags"]);
    m.string(2, text(op, "summary"));
    m.string(3, text(op, "description"));
    m.string(5, text(op, "operationId"));
    m.strings(6, &op["produces"]);
    m.strings(7, &op["consumes"]);
    for p in op["parameters"].as_array().into_iter().flatten() {
        m.message(8, parameter(p));
    }
    let mut responses = Msg::default();
    for (code, r) in op["responses"].as_object().into_iter().flatten() {
        let mut response = Msg::default();
        response.string(1, text(r, "description"));
        if let Some(s) = r.get("schema") {
            let mut item = Msg::default();
            item.message(1, schema(s));
            response.message(2, item);
        }
        let mut value = Msg::default();
        value.message(1, response);
        let mut named = Msg::default();
        named.string(1, code);
        named.message(2, value);
        responses.message(1, named);
    }
    m.message(9, responses);
    m.strings(10, &op["schemes"]);
    m.boolean(11, flag(op, "deprecated"));
    vendor_extensions(&mut m, 13, op);
    m
}

/// The protobuf `Document` of a Swagger 2.0 JSON document.
pub fn encode(doc: &Value) -> Vec<u8> {
    let mut m = Msg::default();
    m.string(1, text(doc, "swagger"));
    let mut info = Msg::default();
    info.string(1, text(&doc["info"], "title"));
    info.string(2, text(&doc["info"], "version"));
    m.message(2, info);
    let mut paths = Msg::default();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        let mut p = Msg::default();
        for (field, method) in [
            (2, "get"),
            (3, "put"),
            (4, "post"),
            (5, "delete"),
            (6, "options"),
            (7, "head"),
            (8, "patch"),
        ] {
            if let Some(op) = item.get(method) {
                p.message(field, operation(op));
            }
        }
        for param in item["parameters"].as_array().into_iter().flatten() {
            p.message(9, parameter(param));
        }
        let mut named = Msg::default();
        named.string(1, path);
        named.message(2, p);
        paths.message(2, named);
    }
    m.message(8, paths);
    if let Some(defs) = doc["definitions"].as_object() {
        m.message(9, named_schemas(defs));
    }
    for requirement in doc["security"].as_array().into_iter().flatten() {
        let mut r = Msg::default();
        for (name, scopes) in requirement.as_object().into_iter().flatten() {
            let mut array = Msg::default();
            array.strings(1, scopes);
            let mut named = Msg::default();
            named.string(1, name);
            named.message(2, array);
            r.message(1, named);
        }
        m.message(12, r);
    }
    let mut definitions = Msg::default();
    for (name, d) in doc["securityDefinitions"].as_object().into_iter().flatten() {
        let mut key = Msg::default();
        key.string(1, text(d, "type"));
        key.string(2, text(d, "name"));
        key.string(3, text(d, "in"));
        key.string(4, text(d, "description"));
        let mut item = Msg::default();
        item.message(2, key);
        let mut named = Msg::default();
        named.string(1, name);
        named.message(2, item);
        definitions.message(1, named);
    }
    m.message(13, definitions);
    m.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_are_written_with_their_gnostic_numbers() {
        // Document { swagger = 1: "2.0", info = 2: { title = 1: "K" }, paths = 8: {},
        // security_definitions = 13: {} }
        let doc = json!({"swagger": "2.0", "info": {"title": "K"}});
        assert_eq!(
            encode(&doc),
            [0x0a, 3, b'2', b'.', b'0', 0x12, 3, 0x0a, 1, b'K', 0x42, 0, 0x6a, 0]
        );
        // Schema { type = 22: { value = 1: "integer" }, vendor_extension = 31: { name, yaml } }
        let s = schema(&json!({"type": "integer", "x-a": 1}));
        let mut expected = vec![0xb2, 0x01, 9, 0x0a, 7];
        expected.extend_from_slice(b"integer");
        expected.extend_from_slice(&[
            0xfa, 0x01, 10, 0x0a, 3, b'x', b'-', b'a', 0x12, 3, 0x12, 1, b'1',
        ]);
        assert_eq!(s.0, expected);
    }
}
