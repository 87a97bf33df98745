//! The `null` and `random` providers: plan, apply, read, delete, import, stability of generated
//! values and replacement when arguments change.

mod support;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use skel_provider::{PlanRequest, ProviderError};
use skel_provider_builtin::random::{bytes_to_decimal, DEFAULT_SPECIAL};
use skel_value::Value;
use support::*;

#[tokio::test]
async fn null_resource_lifecycle() {
    let p = provider("null");
    let cfg = config("null_resource", &[("triggers", map(&[("a", "1")]))]);
    let planned = plan(&p, "null_resource", None, &cfg).await;
    assert!(matches!(attr(&planned.planned, "id"), Value::Unknown(_)));
    let state = apply(&p, "null_resource", None, Some(&planned.planned)).await;
    let id = attr_str(&state, "id");
    assert!(
        !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()),
        "{id}"
    );
    assert_eq!(attr(&state, "triggers"), &map(&[("a", "1")]));

    // Same triggers: nothing changes.
    let again = plan(&p, "null_resource", Some(&state), &cfg).await;
    assert_eq!(again.planned, state);
    assert!(again.requires_replace.is_empty());

    // Changed triggers: replaced, new id.
    let changed = config("null_resource", &[("triggers", map(&[("a", "2")]))]);
    let replan = plan(&p, "null_resource", Some(&state), &changed).await;
    assert_eq!(replan.requires_replace, vec![vec!["triggers".to_string()]]);
    assert!(matches!(attr(&replan.planned, "id"), Value::Unknown(_)));

    assert_eq!(
        p.read("null_resource", &state).await.unwrap(),
        Some(state.clone())
    );
    let deleted = apply(&p, "null_resource", Some(&state), None).await;
    assert_eq!(deleted, Value::Null);

    let imported = p.import("null_resource", "12345").await.unwrap();
    assert_conforms(block("null_resource"), &imported);
    assert_eq!(attr_str(&imported, "id"), "12345");
}

#[tokio::test]
async fn null_resource_ids_differ() {
    let p = provider("null");
    let cfg = config("null_resource", &[]);
    let a = create(&p, "null_resource", &cfg).await;
    let b = create(&p, "null_resource", &cfg).await;
    assert_ne!(attr(&a, "id"), attr(&b, "id"));
}

#[tokio::test]
async fn null_data_source_echoes_inputs() {
    let p = provider("null");
    let block = data_block("null_data_source");
    let cfg = config_of(block, &[("inputs", map(&[("x", "y")]))]);
    let out = p.read_data("null_data_source", &cfg).await.unwrap();
    assert_conforms(block, &out);
    assert_eq!(attr(&out, "outputs"), &map(&[("x", "y")]));
    assert_eq!(attr_str(&out, "has_computed_default"), "default");
    assert_eq!(attr_str(&out, "id"), "static");
}

#[tokio::test]
async fn unknown_type_is_an_error() {
    let p = provider("random");
    let cfg = Value::Object(Default::default());
    let err = p
        .plan(PlanRequest {
            type_name: "random_nothing",
            prior: None,
            config: &cfg,
        })
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::InvalidConfig(_)));
}

#[tokio::test]
async fn random_id_values_and_encodings() {
    let p = provider("random");
    let cfg = config("random_id", &[("byte_length", n(8)), ("prefix", s("pre-"))]);
    let planned = plan(&p, "random_id", None, &cfg).await;
    for k in ["id", "hex", "dec", "b64_std", "b64_url"] {
        assert!(
            matches!(attr(&planned.planned, k), Value::Unknown(_)),
            "{k}"
        );
    }
    let state = apply(&p, "random_id", None, Some(&planned.planned)).await;
    let bytes = URL_SAFE_NO_PAD.decode(attr_str(&state, "b64_url")).unwrap();
    assert_eq!(bytes.len(), 8);
    assert_eq!(attr_str(&state, "id"), attr_str(&state, "b64_url"));
    assert_eq!(STANDARD.decode(attr_str(&state, "b64_std")).unwrap(), bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(attr_str(&state, "hex"), format!("pre-{hex}"));
    let dec = u64::from_be_bytes(bytes.clone().try_into().unwrap());
    assert_eq!(attr_str(&state, "dec"), format!("pre-{dec}"));

    let imported = p.import("random_id", "pre-,AAECAwQFBgc").await.unwrap();
    assert_conforms(block("random_id"), &imported);
    assert_eq!(attr(&imported, "byte_length"), &n(8));
    assert_eq!(attr_str(&imported, "hex"), "pre-0001020304050607");
    assert_eq!(attr_str(&imported, "prefix"), "pre-");
    assert!(p.import("random_id", "!!!").await.is_err());
}

#[test]
fn big_decimal_conversion() {
    assert_eq!(bytes_to_decimal(&[]), "0");
    assert_eq!(bytes_to_decimal(&[0, 0]), "0");
    assert_eq!(bytes_to_decimal(&[1, 0]), "256");
    assert_eq!(bytes_to_decimal(&[0xff; 8]), u64::MAX.to_string());
    assert_eq!(bytes_to_decimal(&[0xff; 16]), u128::MAX.to_string(),);
}

#[tokio::test]
async fn random_values_are_stable_until_keepers_change() {
    let p = provider("random");
    let cases: Vec<(&str, Vec<(&str, Value)>)> = vec![
        ("random_id", vec![("byte_length", n(4))]),
        ("random_pet", vec![]),
        ("random_string", vec![("length", n(12))]),
        ("random_password", vec![("length", n(12))]),
        ("random_integer", vec![("min", n(1)), ("max", n(1000))]),
    ];
    for (ty, args) in cases {
        let mut with_keepers = args.clone();
        with_keepers.push(("keepers", map(&[("ami", "a-1")])));
        let cfg = config(ty, &with_keepers);
        let state = create(&p, ty, &cfg).await;

        // Same configuration: the plan is the state, no replacement.
        let same = plan(&p, ty, Some(&state), &cfg).await;
        assert_eq!(same.planned, state, "{ty}");
        assert!(same.requires_replace.is_empty(), "{ty}");
        // Reading keeps it too.
        assert_eq!(p.read(ty, &state).await.unwrap(), Some(state.clone()));

        // Changed keepers: replacement, values unknown again.
        let mut changed = args.clone();
        changed.push(("keepers", map(&[("ami", "a-2")])));
        let replan = plan(&p, ty, Some(&state), &config(ty, &changed)).await;
        assert_eq!(
            replan.requires_replace,
            vec![vec!["keepers".to_string()]],
            "{ty}"
        );
        assert!(
            matches!(attr(&replan.planned, "id"), Value::Unknown(_)),
            "{ty}"
        );
        let replaced = apply(&p, ty, Some(&state), Some(&replan.planned)).await;
        assert_eq!(attr(&replaced, "keepers"), &map(&[("ami", "a-2")]));

        // An omitted `keepers` and an empty one are the same.
        let bare = create(&p, ty, &config(ty, &args)).await;
        let mut empty = args.clone();
        empty.push(("keepers", map(&[])));
        let replan = plan(&p, ty, Some(&bare), &config(ty, &empty)).await;
        assert!(replan.requires_replace.is_empty(), "{ty}");

        // Deleting is a no-op that returns null.
        assert_eq!(apply(&p, ty, Some(&state), None).await, Value::Null);
    }
}

#[tokio::test]
async fn changed_parameters_force_replacement() {
    let p = provider("random");
    let state = create(
        &p,
        "random_string",
        &config("random_string", &[("length", n(8))]),
    )
    .await;
    let cfg = config(
        "random_string",
        &[("length", n(8)), ("special", Value::Bool(false))],
    );
    let replan = plan(&p, "random_string", Some(&state), &cfg).await;
    assert_eq!(replan.requires_replace, vec![vec!["special".to_string()]]);
    let cfg = config("random_string", &[("length", n(9))]);
    let replan = plan(&p, "random_string", Some(&state), &cfg).await;
    assert_eq!(replan.requires_replace, vec![vec!["length".to_string()]]);
    // An unknown argument may change: replacement.
    let cfg = config(
        "random_string",
        &[("length", Value::Unknown(skel_value::Type::Number))],
    );
    let replan = plan(&p, "random_string", Some(&state), &cfg).await;
    assert_eq!(replan.requires_replace, vec![vec!["length".to_string()]]);
}

#[tokio::test]
async fn plan_fills_defaults() {
    let p = provider("random");
    let planned = plan(
        &p,
        "random_string",
        None,
        &config("random_string", &[("length", n(5))]),
    )
    .await
    .planned;
    assert_eq!(attr(&planned, "special"), &Value::Bool(true));
    assert_eq!(attr(&planned, "min_upper"), &n(0));
    assert_eq!(attr(&planned, "override_special"), &Value::Null);
    let pet = plan(&p, "random_pet", None, &config("random_pet", &[]))
        .await
        .planned;
    assert_eq!(attr(&pet, "length"), &n(2));
    assert_eq!(attr_str(&pet, "separator"), "-");
}

#[tokio::test]
async fn random_pet_shapes() {
    let p = provider("random");
    let state = create(&p, "random_pet", &config("random_pet", &[])).await;
    assert_eq!(attr_str(&state, "id").split('-').count(), 2);
    let cfg = config(
        "random_pet",
        &[
            ("length", n(4)),
            ("separator", s("_")),
            ("prefix", s("dev")),
        ],
    );
    let state = create(&p, "random_pet", &cfg).await;
    let id = attr_str(&state, "id");
    let words: Vec<&str> = id.split('_').collect();
    assert_eq!(words.len(), 5, "{id}");
    assert_eq!(words[0], "dev");
    assert!(words
        .iter()
        .all(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase())));

    let imported = p.import("random_pet", "happy-cat").await.unwrap();
    assert_conforms(block("random_pet"), &imported);
    assert_eq!(attr(&imported, "length"), &n(2));
    assert_eq!(attr_str(&imported, "id"), "happy-cat");
}

#[tokio::test]
async fn random_string_character_classes() {
    let p = provider("random");
    for _ in 0..20 {
        let cfg = config(
            "random_string",
            &[
                ("length", n(16)),
                ("min_upper", n(3)),
                ("min_numeric", n(4)),
                ("min_special", n(2)),
                ("override_special", s("#")),
            ],
        );
        let state = create(&p, "random_string", &cfg).await;
        let r = attr_str(&state, "result");
        assert_eq!(r.chars().count(), 16);
        assert_eq!(attr_str(&state, "id"), r);
        assert!(
            r.chars().filter(char::is_ascii_uppercase).count() >= 3,
            "{r}"
        );
        assert!(r.chars().filter(char::is_ascii_digit).count() >= 4, "{r}");
        assert!(r.chars().filter(|c| *c == '#').count() >= 2, "{r}");
        assert!(
            r.chars().all(|c| c.is_ascii_alphanumeric() || c == '#'),
            "{r}"
        );
    }
    let cfg = config(
        "random_string",
        &[
            ("length", n(30)),
            ("special", Value::Bool(false)),
            ("upper", Value::Bool(false)),
            ("numeric", Value::Bool(false)),
        ],
    );
    let state = create(&p, "random_string", &cfg).await;
    assert!(attr_str(&state, "result")
        .chars()
        .all(|c| c.is_ascii_lowercase()));

    let cfg = config("random_string", &[("length", n(200))]);
    let state = create(&p, "random_string", &cfg).await;
    let specials = attr_str(&state, "result")
        .chars()
        .filter(|c| !c.is_ascii_alphanumeric())
        .collect::<String>();
    assert!(specials.chars().all(|c| DEFAULT_SPECIAL.contains(c)));
}

#[tokio::test]
async fn random_string_invalid_parameters() {
    let p = provider("random");
    let too_many = config("random_string", &[("length", n(2)), ("min_upper", n(3))]);
    let errors = p.validate("random_string", &too_many);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("min_"), "{}", errors[0]);
    let none = config(
        "random_string",
        &[
            ("length", n(4)),
            ("special", Value::Bool(false)),
            ("upper", Value::Bool(false)),
            ("lower", Value::Bool(false)),
            ("numeric", Value::Bool(false)),
        ],
    );
    assert_eq!(p.validate("random_string", &none).len(), 1);
    let zero = config("random_string", &[("length", n(0))]);
    assert_eq!(p.validate("random_string", &zero).len(), 1);
    let ok = config("random_string", &[("length", n(4))]);
    assert!(p.validate("random_string", &ok).is_empty());
    // Apply refuses too (the engine may skip validate).
    let planned = plan(&p, "random_string", None, &too_many).await;
    let err = p
        .apply(skel_provider::ApplyRequest {
            type_name: "random_string",
            prior: None,
            planned: Some(&planned.planned),
            address: "random_string.x",
            token: None,
        })
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::InvalidConfig(_)));
}

#[tokio::test]
async fn random_password_is_hashed_and_imported() {
    let p = provider("random");
    let state = create(
        &p,
        "random_password",
        &config("random_password", &[("length", n(20))]),
    )
    .await;
    let result = attr_str(&state, "result");
    assert_eq!(result.chars().count(), 20);
    assert_eq!(attr_str(&state, "id"), "none");
    assert!(bcrypt::verify(result, attr_str(&state, "bcrypt_hash")).unwrap());

    let imported = p.import("random_password", "s3cret!").await.unwrap();
    assert_conforms(block("random_password"), &imported);
    assert_eq!(attr_str(&imported, "result"), "s3cret!");
    assert_eq!(attr(&imported, "length"), &n(7));
    assert_eq!(attr(&imported, "special"), &Value::Bool(true));
    let imported = p.import("random_string", "abc").await.unwrap();
    assert_conforms(block("random_string"), &imported);
    assert_eq!(attr_str(&imported, "id"), "abc");
    // Importing a value and planning the same configuration keeps it.
    let cfg = config("random_string", &[("length", n(3))]);
    let replan = plan(&p, "random_string", Some(&imported), &cfg).await;
    assert!(replan.requires_replace.is_empty());
    assert_eq!(replan.planned, imported);
}

#[tokio::test]
async fn random_integer_range_seed_and_import() {
    let p = provider("random");
    for _ in 0..20 {
        let state = create(
            &p,
            "random_integer",
            &config("random_integer", &[("min", n(-3)), ("max", n(3))]),
        )
        .await;
        let r = attr(&state, "result")
            .as_number()
            .unwrap()
            .as_i64()
            .unwrap();
        assert!((-3..=3).contains(&r));
        assert_eq!(attr_str(&state, "id"), r.to_string());
    }
    let seeded = config(
        "random_integer",
        &[("min", n(0)), ("max", n(1_000_000)), ("seed", s("abc"))],
    );
    let a = create(&p, "random_integer", &seeded).await;
    let b = create(&p, "random_integer", &seeded).await;
    assert_eq!(attr(&a, "result"), attr(&b, "result"));

    let bad = config("random_integer", &[("min", n(5)), ("max", n(1))]);
    assert_eq!(p.validate("random_integer", &bad).len(), 1);

    let imported = p.import("random_integer", "15,1,50,seed").await.unwrap();
    assert_conforms(block("random_integer"), &imported);
    assert_eq!(attr(&imported, "result"), &n(15));
    assert_eq!(attr_str(&imported, "seed"), "seed");
    assert!(p.import("random_integer", "99,1,50").await.is_err());
    assert!(p.import("random_integer", "x").await.is_err());
}

#[tokio::test]
async fn every_resource_type_conforms_to_its_schema() {
    // Every resource type of the three providers is served, and plan and apply produce
    // objects of the schema's type with every attribute present (checked in support::plan
    // and support::apply).
    let dir = tempfile::tempdir().unwrap();
    for provider_name in ["null", "local", "random"] {
        let p = provider(provider_name);
        let schema = skel_schema::provider(provider_name).unwrap();
        for ty in schema.resources.keys() {
            let args: Vec<(&str, Value)> = match ty.as_str() {
                "null_resource" => vec![],
                "local_file" | "local_sensitive_file" => vec![
                    ("filename", s(&dir.path().join(ty).to_string_lossy())),
                    ("content", s("x")),
                ],
                "random_id" => vec![("byte_length", n(2))],
                "random_pet" => vec![],
                "random_string" | "random_password" => vec![("length", n(3))],
                "random_integer" => vec![("min", n(0)), ("max", n(1))],
                "random_shuffle" => vec![("input", list(&["a", "b"]))],
                "random_uuid" => vec![],
                other => panic!("untested resource type {other}"),
            };
            let state = create(&p, ty, &config(ty, &args)).await;
            assert!(state.is_known());
        }
    }
}

fn list(items: &[&str]) -> Value {
    Value::List(items.iter().map(|i| s(i)).collect())
}

fn strings(v: &Value) -> Vec<String> {
    v.as_sequence()
        .expect("a list")
        .iter()
        .map(|x| x.as_str().expect("a string").to_string())
        .collect()
}

#[tokio::test]
async fn random_shuffle_permutes_counts_and_seeds() {
    let p = provider("random");
    let input = ["a", "b", "c", "d", "e", "f", "g", "h"];
    let cfg = config("random_shuffle", &[("input", list(&input))]);
    let mut orders = std::collections::BTreeSet::new();
    for _ in 0..10 {
        let state = create(&p, "random_shuffle", &cfg).await;
        let mut got = strings(attr(&state, "result"));
        orders.insert(got.clone());
        got.sort();
        assert_eq!(got, input, "a permutation of the input");
        assert_eq!(attr_str(&state, "id"), "-");
        // Stable: the next plan keeps it.
        let again = plan(&p, "random_shuffle", Some(&state), &cfg).await;
        assert_eq!(again.planned, state);
    }
    assert!(orders.len() > 1, "ten shuffles of 8 gave one order");

    let seeded = config(
        "random_shuffle",
        &[
            ("input", list(&input)),
            ("seed", s("x")),
            ("result_count", n(3)),
        ],
    );
    let a = create(&p, "random_shuffle", &seeded).await;
    let b = create(&p, "random_shuffle", &seeded).await;
    assert_eq!(strings(attr(&a, "result")).len(), 3);
    assert_eq!(
        attr(&a, "result"),
        attr(&b, "result"),
        "same seed, same result"
    );

    let more = config(
        "random_shuffle",
        &[("input", list(&["a", "b"])), ("result_count", n(5))],
    );
    let m = create(&p, "random_shuffle", &more).await;
    assert_eq!(strings(attr(&m, "result")).len(), 5);

    let bad = config(
        "random_shuffle",
        &[("input", list(&["a"])), ("result_count", n(-1))],
    );
    assert_eq!(p.validate("random_shuffle", &bad).len(), 1);
}

#[tokio::test]
async fn random_uuid_is_a_v4_uuid_and_imports() {
    let p = provider("random");
    let a = create(&p, "random_uuid", &config("random_uuid", &[])).await;
    let b = create(&p, "random_uuid", &config("random_uuid", &[])).await;
    let text = attr_str(&a, "result");
    let uuid = uuid::Uuid::parse_str(text).expect("a UUID");
    assert_eq!(uuid.get_version_num(), 4);
    assert_eq!(text, uuid.hyphenated().to_string(), "lower case, dashes");
    assert_eq!(attr_str(&a, "id"), text);
    assert_ne!(attr(&a, "result"), attr(&b, "result"));

    let imported = p
        .import("random_uuid", "6F9619FF-8B86-4011-B42D-00C04FC964FF")
        .await
        .unwrap();
    assert_conforms(block("random_uuid"), &imported);
    assert_eq!(
        attr_str(&imported, "result"),
        "6f9619ff-8b86-4011-b42d-00c04fc964ff"
    );
    assert!(p.import("random_uuid", "not-a-uuid").await.is_err());
}

#[tokio::test]
async fn random_string_number_is_the_old_name_of_numeric() {
    let p = provider("random");
    for ty in ["random_string", "random_password"] {
        // `number = false` wins over `numeric`'s default: no digits.
        let cfg = config(
            ty,
            &[
                ("length", n(200)),
                ("number", Value::Bool(false)),
                ("special", Value::Bool(false)),
            ],
        );
        let state = create(&p, ty, &cfg).await;
        let result = attr_str(&state, "result");
        assert_eq!(result.chars().count(), 200);
        assert!(
            !result.chars().any(|c| c.is_ascii_digit()),
            "{ty}: digits despite number = false"
        );
        // Nothing but digits allowed and `number` unset: digits.
        let digits = config(
            ty,
            &[
                ("length", n(20)),
                ("upper", Value::Bool(false)),
                ("lower", Value::Bool(false)),
                ("special", Value::Bool(false)),
            ],
        );
        let state = create(&p, ty, &digits).await;
        assert!(attr_str(&state, "result")
            .chars()
            .all(|c| c.is_ascii_digit()));
    }
}
