//! Schema conversion on hand-made protocol answers (the real plugins' schemas are tested in
//! `tests/`): flags, nesting, nested attributes, and the JSON format read back by
//! `skel_schema::load_str`.

use super::*;
use skel_value::ValueMap;
use v6::schema::{nested_block::NestingMode as BlockNesting, object::NestingMode as ObjNesting};

fn attr(name: &str, ty: &str) -> v6::schema::Attribute {
    v6::schema::Attribute {
        name: name.into(),
        r#type: ty.as_bytes().to_vec(),
        description: format!("The {name}."),
        optional: true,
        ..Default::default()
    }
}

fn sample() -> v6::get_provider_schema::Response {
    let mut id = attr("id", r#""string""#);
    id.optional = false;
    id.computed = true;
    let mut password = attr("password", r#""string""#);
    password.sensitive = true;
    password.deprecated = true;
    let mut name = attr("name", r#""string""#);
    name.optional = false;
    name.required = true;
    let mut port = attr("port", r#""number""#);
    port.optional = false;
    port.required = true;
    let mut secret = attr("secret", r#""string""#);
    secret.sensitive = true;
    let mut vault = attr("vault", "");
    vault.nested_type = Some(v6::schema::Object {
        attributes: vec![secret],
        nesting: ObjNesting::Single as i32,
        ..Default::default()
    });
    let mut listeners = attr("listeners", "");
    listeners.nested_type = Some(v6::schema::Object {
        attributes: vec![port, attr("tags", r#"["map","string"]"#)],
        nesting: ObjNesting::List as i32,
        ..Default::default()
    });
    let rule = v6::schema::NestedBlock {
        type_name: "rule".into(),
        nesting: BlockNesting::Set as i32,
        min_items: 1,
        max_items: 3,
        block: Some(v6::schema::Block {
            attributes: vec![attr("cidr", r#""string""#)],
            description: "A rule.".into(),
            ..Default::default()
        }),
    };
    let timeouts = v6::schema::NestedBlock {
        type_name: "timeouts".into(),
        nesting: BlockNesting::Single as i32,
        block: Some(v6::schema::Block {
            attributes: vec![attr("create", r#""string""#)],
            deprecated: true,
            ..Default::default()
        }),
        ..Default::default()
    };
    let resource = v6::Schema {
        version: 2,
        block: Some(v6::schema::Block {
            attributes: vec![
                id,
                name,
                password,
                listeners,
                vault,
                attr("extra", r#""dynamic""#),
            ],
            block_types: vec![rule, timeouts],
            description: "A **thing**.".into(),
            description_kind: v6::StringKind::Markdown as i32,
            ..Default::default()
        }),
    };
    v6::get_provider_schema::Response {
        provider: Some(v6::Schema {
            version: 0,
            block: Some(v6::schema::Block {
                attributes: vec![attr("endpoint", r#""string""#)],
                ..Default::default()
            }),
        }),
        resource_schemas: [("t_thing".to_string(), resource.clone())].into(),
        data_source_schemas: [("t_info".to_string(), resource)].into(),
        ..Default::default()
    }
}

#[test]
fn a_protocol_6_schema_converts_with_its_flags_nesting_and_nested_attributes() {
    let converted = from_v6("t", &sample()).unwrap();
    assert_eq!(converted.resource_versions["t_thing"], 2);
    let s = &converted.schema;
    assert_eq!(s.name, "t");
    assert!(s.config.attributes["endpoint"].optional);
    let thing = &s.resources["t_thing"];
    assert_eq!(thing.description, "A **thing**.");
    assert_eq!(thing.import_id.as_deref(), Some(PLUGIN_IMPORT_ID));
    assert_eq!(s.data_sources["t_info"].import_id, None);
    let b = &thing.block;
    assert!(b.attributes["id"].is_computed_only());
    assert!(b.attributes["name"].required);
    assert!(b.attributes["password"].sensitive);
    assert_eq!(
        b.attributes["password"].deprecated.as_deref(),
        Some(DEPRECATED)
    );
    assert_eq!(b.attributes["extra"].ty, Type::Dynamic);
    assert_eq!(
        b.attributes["listeners"].ty.to_string(),
        "list(object({port = number, tags = optional(map(string))}))"
    );
    let rule = &b.blocks["rule"];
    assert_eq!(
        (rule.nesting, rule.min_items, rule.max_items),
        (Nesting::Set, 1, Some(3))
    );
    assert_eq!(rule.block.description, "A rule.");
    let timeouts = &b.blocks["timeouts"];
    assert_eq!(
        (timeouts.nesting, timeouts.max_items),
        (Nesting::Single, None)
    );
    assert_eq!(timeouts.deprecated.as_deref(), Some(DEPRECATED));
    assert_eq!(
        thing.computed_object_type().to_string(),
        "object({extra = any, id = string, listeners = list(object({port = number, tags = optional(map(string))})), \
         name = string, password = string, rule = set(object({cidr = string})), timeouts = object({create = string}), \
         vault = object({secret = optional(string)})})"
    );
}

#[test]
fn the_schema_json_reads_back_as_the_same_schema() {
    let converted = from_v6("t", &sample()).unwrap();
    let text = schema_json(&converted.schema);
    let back = skel_schema::load_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(back, vec![converted.schema]);
}

#[test]
fn a_protocol_5_schema_lifts_to_the_same_model() {
    let v5_response = v5::get_provider_schema::Response {
        resource_schemas: [(
            "t_x".to_string(),
            v5::Schema {
                version: 1,
                block: Some(v5::schema::Block {
                    attributes: vec![v5::schema::Attribute {
                        name: "triggers".into(),
                        r#type: br#"["map","string"]"#.to_vec(),
                        optional: true,
                        ..Default::default()
                    }],
                    block_types: vec![v5::schema::NestedBlock {
                        type_name: "b".into(),
                        nesting: v5::schema::nested_block::NestingMode::List as i32,
                        block: Some(Default::default()),
                        ..Default::default()
                    }],
                    ..Default::default()
                }),
            },
        )]
        .into(),
        ..Default::default()
    };
    let s = from_v5("t", &v5_response).unwrap();
    assert_eq!(s.resource_versions["t_x"], 1);
    let x = &s.schema.resources["t_x"].block;
    assert_eq!(x.attributes["triggers"].ty, Type::map(Type::String));
    assert_eq!(x.blocks["b"].nesting, Nesting::List);
}

#[test]
fn a_malformed_attribute_type_names_the_attribute() {
    let mut bad = sample();
    let thing = bad.resource_schemas.get_mut("t_thing").unwrap();
    thing.block.as_mut().unwrap().attributes[0].r#type = b"[\"list\"".to_vec();
    let e = from_v6("t", &bad).unwrap_err();
    assert_eq!(e.path, "resource t_thing.id");
    assert!(
        e.source.problem.starts_with("type is not JSON"),
        "{}",
        e.source
    );
    let mut bad = sample();
    let thing = bad.resource_schemas.get_mut("t_thing").unwrap();
    thing.block.as_mut().unwrap().block_types[0].nesting = 42;
    let e = from_v6("t", &bad).unwrap_err();
    assert_eq!(e.path, "resource t_thing.rule");
}

#[test]
fn provider_names_come_from_executable_names() {
    for (file, name) in [
        ("/x/terraform-provider-null_v2.1.2_x4", "null"),
        ("terraform-provider-lxd_v1.5.0", "lxd"),
        ("terraform-provider-skeltest", "skeltest"),
        ("other", "other"),
    ] {
        assert_eq!(
            provider_name_from_executable(std::path::Path::new(file)),
            name
        );
    }
}

#[test]
fn values_are_normalized_as_the_protocol_expects() {
    let converted = from_v6("t", &sample()).unwrap();
    let block = &converted.schema.resources["t_thing"].block;
    let given = Value::Object(
        [
            ("name".to_string(), Value::string("x")),
            (
                "rule".to_string(),
                Value::List(vec![Value::Object(ValueMap::new())]),
            ),
        ]
        .into_iter()
        .collect(),
    );
    let normalized = normalize(block, &given);
    assert_eq!(
        normalized.to_json(),
        serde_json::json!({
            "extra": null, "id": null, "listeners": null, "name": "x", "password": null,
            "rule": [{"cidr": null}], "timeouts": null, "vault": null,
        })
    );
    let Value::Object(o) = &normalized else {
        panic!()
    };
    assert!(
        matches!(o.get("rule"), Some(Value::Set(_))),
        "a set block is a set"
    );
    // An absent list block is an empty list; null and unknown stay as they are.
    let empty = normalize(block, &Value::Object(ValueMap::new()));
    let Value::Object(o) = &empty else { panic!() };
    assert_eq!(o.get("rule"), Some(&Value::Set(Vec::new())));
    assert_eq!(normalize(block, &Value::Null), Value::Null);
    assert_eq!(
        normalize(block, &Value::Unknown(Type::Dynamic)),
        Value::Unknown(Type::Dynamic)
    );
}
