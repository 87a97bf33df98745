//! Property-style tests of the cty conversions: random types and values (a seeded generator,
//! so a failure is reproducible) round-trip through msgpack and JSON; fixed cases pin cty's
//! exact encodings; malformed input is refused with an error saying where.

use super::*;
use skel_value::Marks;

/// A small deterministic generator (xorshift64*).
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn ty(&mut self, depth: u32) -> Type {
        let leaf = depth == 0 || self.below(3) == 0;
        match if leaf {
            self.below(4)
        } else {
            4 + self.below(6)
        } {
            0 => Type::String,
            1 => Type::Number,
            2 => Type::Bool,
            3 => Type::Dynamic,
            4 => Type::list(self.ty(depth - 1)),
            5 => Type::set(self.ty(depth - 1)),
            6 => Type::map(self.ty(depth - 1)),
            7 => Type::Tuple((0..self.below(3)).map(|_| self.ty(depth - 1)).collect()),
            _ => {
                let mut o = ObjectType::default();
                for i in 0..self.below(4) {
                    o.attrs.insert(format!("a{i}"), self.ty(depth - 1));
                    if self.below(3) == 0 {
                        o.optional.insert(format!("a{i}"), None);
                    }
                }
                Type::Object(o)
            }
        }
    }

    fn number(&mut self) -> Number {
        match self.below(6) {
            0 => Number(self.below(200) as f64 - 100.0),
            1 => Number(9_007_199_254_740_993.0), // past 2^53: a float64, exactly as held
            2 => Number(-(2f64.powi(62))),
            3 => Number(1e300),
            4 => Number(0.1),
            _ => Number((self.next() >> 11) as f64 / 7.0),
        }
    }

    /// A value of `ty`; nulls and unknowns at any depth when `holes`.
    fn value(&mut self, ty: &Type, holes: bool) -> Value {
        if holes {
            match self.below(8) {
                0 => return Value::Null,
                1 => return Value::Unknown(ty.clone()),
                _ => {}
            }
        }
        match ty {
            Type::String => {
                Value::string(["", "x", "héllo", "a longer string of text"][self.below(4) as usize])
            }
            Type::Number => Value::Number(self.number()),
            Type::Bool => Value::Bool(self.below(2) == 0),
            Type::Dynamic => {
                let actual = match self.below(3) {
                    0 => Type::String,
                    1 => Type::list(Type::Number),
                    _ => Type::Object(ObjectType::new([("k".to_string(), Type::Bool)].into())),
                };
                self.value(&actual, false)
            }
            Type::List(t) => {
                Value::List((0..self.below(3)).map(|_| self.value(t, holes)).collect())
            }
            // Sets of unknowns do not compare by content: keep set elements known.
            Type::Set(t) => Value::set((0..self.below(3)).map(|_| self.value(t, false)).collect()),
            Type::Tuple(ts) => Value::Tuple(ts.iter().map(|t| self.value(t, holes)).collect()),
            Type::Map(t) => Value::Map(
                (0..self.below(3))
                    .map(|i| (format!("k{i}"), self.value(t, holes)))
                    .collect(),
            ),
            Type::Object(o) => Value::Object(
                o.attrs
                    .iter()
                    .map(|(k, t)| (k.clone(), self.value(t, holes)))
                    .collect(),
            ),
        }
    }
}

fn has_unknown(v: &Value) -> bool {
    match v {
        Value::Unknown(_) => true,
        Value::List(xs) | Value::Set(xs) | Value::Tuple(xs) => xs.iter().any(has_unknown),
        Value::Map(m) | Value::Object(m) => m.values().any(has_unknown),
        Value::Marked(inner, _) => has_unknown(inner),
        _ => false,
    }
}

#[test]
fn every_type_round_trips_through_type_json() {
    let mut g = Gen(0x5eed);
    for _ in 0..500 {
        let ty = g.ty(4);
        let json = type_to_json(&ty);
        assert_eq!(type_from_json(&json).unwrap(), ty, "{json}");
        let text = json.to_string();
        assert_eq!(type_from_json_bytes(text.as_bytes()).unwrap(), ty);
    }
}

#[test]
fn type_json_is_ctys() {
    let ty = type_from_json_bytes(br#"["object",{"a":"string","b":["list",["map","number"]],"c":"dynamic","d":["tuple",["bool","string"]]},["a"]]"#).unwrap();
    assert_eq!(
        ty.to_string(),
        "object({a = optional(string), b = list(map(number)), c = any, d = tuple([bool, string])})"
    );
    assert_eq!(
        type_to_json(&Type::set(Type::Dynamic)).to_string(),
        r#"["set","dynamic"]"#
    );
}

#[test]
fn values_of_every_type_round_trip_through_msgpack_with_unknowns_and_nulls_at_every_depth() {
    let mut g = Gen(42);
    let mut n_unknown = 0;
    for _ in 0..2000 {
        let ty = g.ty(4);
        let value = g.value(&ty, true);
        n_unknown += usize::from(has_unknown(&value));
        let bytes = to_msgpack(&value, &ty);
        let back = from_msgpack(&bytes, &ty).unwrap_or_else(|e| panic!("{ty}: {value:?}: {e}"));
        assert_eq!(back, value, "{ty}");
    }
    assert!(
        n_unknown > 200,
        "the generator made too few unknowns: {n_unknown}"
    );
}

#[test]
fn known_values_round_trip_through_json() {
    let mut g = Gen(7);
    for _ in 0..2000 {
        let ty = g.ty(4);
        let value = g.value(&ty, false);
        let json = to_json(&value, &ty);
        let back = from_json(&json, &ty).unwrap_or_else(|e| panic!("{ty}: {json}: {e}"));
        assert_eq!(back, value, "{ty}: {json}");
    }
}

#[test]
fn exact_encodings_are_ctys() {
    assert_eq!(to_msgpack(&Value::Null, &Type::String), [0xc0]);
    assert_eq!(
        to_msgpack(&Value::Unknown(Type::String), &Type::String),
        [0xd4, 0, 0]
    );
    assert_eq!(to_msgpack(&Value::number(5i64), &Type::Number), [5]);
    assert_eq!(to_msgpack(&Value::number(-1i64), &Type::Number), [0xff]);
    let mut big = vec![0xcf];
    big.extend_from_slice(&(1u64 << 60).to_be_bytes());
    assert_eq!(
        to_msgpack(&Value::Number(Number(2f64.powi(60))), &Type::Number),
        big
    );
    assert_eq!(
        to_msgpack(&Value::Number(Number(0.5)), &Type::Number)[0],
        0xcb
    );
    // Objects write every attribute, in name order, null where the value has none.
    let ty = Type::Object(ObjectType::new(
        [
            ("b".to_string(), Type::String),
            ("a".to_string(), Type::Bool),
        ]
        .into(),
    ));
    let obj = Value::Object(
        [("b".to_string(), Value::string("x"))]
            .into_iter()
            .collect(),
    );
    assert_eq!(
        to_msgpack(&obj, &ty),
        [0x82, 0xa1, b'a', 0xc0, 0xa1, b'b', 0xa1, b'x']
    );
    // A dynamic value carries its type.
    let bytes = to_msgpack(&Value::string("x"), &Type::Dynamic);
    assert_eq!(
        bytes,
        [0x92, 0xc4, 8, b'"', b's', b't', b'r', b'i', b'n', b'g', b'"', 0xa1, b'x']
    );
    // Marks never cross the wire.
    let marked = Value::Marked(Box::new(Value::string("s")), Marks::SENSITIVE);
    assert_eq!(
        to_msgpack(&marked, &Type::String),
        to_msgpack(&Value::string("s"), &Type::String)
    );
}

#[test]
fn numbers_decode_from_every_msgpack_form_cty_writes() {
    let n = |b: &[u8]| from_msgpack(b, &Type::Number).unwrap();
    assert_eq!(n(&[0xd0, 0x80]), Value::number(-128i64));
    assert_eq!(n(&[0xcd, 1, 0]), Value::number(256i64));
    assert_eq!(
        n(&[0xca, 0x3f, 0x00, 0x00, 0x00]),
        Value::Number(Number(0.5))
    );
    // Precision past float64 arrives as a string; skel holds the nearest double.
    let mut s = vec![0xd9, 25];
    s.extend_from_slice(b"123456789012345678901234.");
    assert_eq!(n(&s), Value::Number(Number(123456789012345678901234.0)));
    let mut u = vec![0xcf];
    u.extend_from_slice(&u64::MAX.to_be_bytes());
    assert_eq!(n(&u), Value::Number(Number(u64::MAX as f64)));
    // Refined unknowns (extension 12) are unknown.
    assert_eq!(
        from_msgpack(&[0xc7, 2, 12, 0x81, 0x01], &Type::String).unwrap(),
        Value::Unknown(Type::String)
    );
}

#[test]
fn malformed_msgpack_is_refused_saying_where() {
    let ty = Type::Object(ObjectType::new(
        [("tags".to_string(), Type::map(Type::String))].into(),
    ));
    let cases: &[(&[u8], &str)] = &[
        (&[], "msgpack ends in the middle of a value"),
        (
            &[0x81, 0xa4, b't', b'a', b'g', b's', 0x81, 0xa1, b'a', 0x05],
            "expected a string at .tags[\"a\"]",
        ),
        (&[0x81, 0xa1, b'x', 0xc0], "unexpected attribute `x`"),
        (&[0xc1], "invalid msgpack marker 0xc1"),
        (&[0x93], "expected an object (a msgpack map)"),
        (&[0x80, 0x00], "1 bytes after the value"),
        (
            &[
                0x81, 0xa4, b't', b'a', b'g', b's', 0xdf, 0xff, 0xff, 0xff, 0xff,
            ],
            "msgpack ends in the middle of a value at .tags",
        ),
        (&[0xd4, 5, 0], "unexpected msgpack extension type 5"),
    ];
    for (bytes, want) in cases {
        let e = from_msgpack(bytes, &ty).unwrap_err();
        assert_eq!(e.to_string(), *want, "{bytes:x?}");
    }
    let e = from_msgpack(&[0x92, 0xc4, 3, b'b', b'a', b'd', 0xc0], &Type::Dynamic).unwrap_err();
    assert!(e.to_string().starts_with("type is not JSON"), "{e}");
    let e = from_msgpack(&[0xa1, 0xff], &Type::String).unwrap_err();
    assert_eq!(e.to_string(), "a string that is not UTF-8");
    // Random bytes never panic.
    let mut g = Gen(99);
    for _ in 0..5000 {
        let bytes: Vec<u8> = (0..g.below(12)).map(|_| g.next() as u8).collect();
        let ty = g.ty(3);
        let _ = from_msgpack(&bytes, &ty);
    }
}

#[test]
fn malformed_type_json_and_json_values_are_refused() {
    for (text, want) in [
        (r#""strin""#, "unknown primitive type `strin`"),
        (r#"["list"]"#, "type `list` with 1 elements"),
        (
            r#"["object",{"a":"bool"},["b"]]"#,
            "an optional attribute that is not an attribute",
        ),
        (
            r#"["object",{"a":["what","x"]}]"#,
            "unknown type kind `what` at .a",
        ),
        ("7", "not a type: 7"),
    ] {
        assert_eq!(
            type_from_json_bytes(text.as_bytes())
                .unwrap_err()
                .to_string(),
            want
        );
    }
    let ty = type_from_json_bytes(br#"["object",{"n":"number","d":"dynamic"}]"#).unwrap();
    let e = from_json_bytes(br#"{"n":"many"}"#, &ty).unwrap_err();
    assert_eq!(e.to_string(), "`many` is not a number at .n");
    let e = from_json_bytes(br#"{"d":5}"#, &ty).unwrap_err();
    assert_eq!(
        e.to_string(),
        "a dynamic value must be {\"value\", \"type\"} at .d"
    );
    let v = from_json_bytes(
        br#"{"n":"12","d":{"value":["a"],"type":["list","string"]}}"#,
        &ty,
    )
    .unwrap();
    assert_eq!(v.to_json(), serde_json::json!({"n": 12, "d": ["a"]}));
}
