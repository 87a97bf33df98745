//! Protocol 6 against a provider written with the Python `tf` framework (a third-party
//! implementation of go-plugin and the plugin protocol): tests/plugins/skeltest. The whole
//! lifecycle through the crate's API, with a nested attribute, a sensitive, computed and
//! requires-replace attribute, import, upgrade and a data source.

mod support;

use skel_plugin::{PathStep, PluginClient};
use skel_value::{Type, Value};

fn obj(pairs: &[(&str, Value)]) -> Value {
    Value::Object(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    )
}

fn get<'a>(v: &'a Value, k: &str) -> &'a Value {
    let Value::Object(o) = v else {
        panic!("not an object: {v:?}")
    };
    o.get(k).unwrap_or_else(|| panic!("no {k} in {v:?}"))
}

fn listeners(ports: &[i64]) -> Value {
    Value::List(
        ports
            .iter()
            .map(|p| {
                obj(&[
                    ("port", Value::number(*p)),
                    ("protocol", Value::string("tcp")),
                ])
            })
            .collect(),
    )
}

#[tokio::test]
async fn a_protocol_6_provider_through_its_whole_lifecycle() {
    let store = tempfile::tempdir().unwrap();
    let (exe, options) = support::skeltest(store.path());
    let started = std::time::Instant::now();
    let client = PluginClient::start("skeltest", &exe, &options)
        .await
        .unwrap();
    assert_eq!(client.protocol(), 6);
    assert!(client.uses_tls());
    let schema = client.schema().await.unwrap().clone();
    println!(
        "skeltest (Python): handshake {:?}, first RPC answered {:?} after start",
        client.startup_time(),
        started.elapsed()
    );

    // GetMetadata answers (tf 1.2.0 lists no types there); whatever it names is in the schema.
    if let Some((resources, data_sources)) = client.metadata().await.unwrap() {
        assert!(resources.iter().all(|r| schema.resources.contains_key(r)));
        assert!(data_sources
            .iter()
            .all(|d| schema.data_sources.contains_key(d)));
    }

    // The schema: nested attribute, sensitive, computed, required.
    let server = &schema.resources["skeltest_server"].block;
    assert_eq!(
        server.attributes["listeners"].ty.to_string(),
        "list(object({port = number, protocol = optional(string)}))"
    );
    assert!(server.attributes["password"].sensitive);
    assert!(server.attributes["id"].is_computed_only());
    assert!(server.attributes["name"].required);
    assert_eq!(
        schema.data_sources["skeltest_echo"].block.attributes["output"].ty,
        Type::String
    );
    let json = skel_plugin::schema_json(&schema);
    assert_eq!(skel_schema::load_str(&json).unwrap(), vec![schema.clone()]);

    // Provider configuration: validation diagnostics are data, with their attribute path.
    let bad = client
        .validate_provider_config(&obj(&[("prefix", Value::string("bad"))]))
        .await
        .unwrap();
    assert!(bad.has_errors());
    assert_eq!(bad.diagnostics[0].summary, "Invalid prefix");
    assert_eq!(
        bad.diagnostics[0].attribute.0,
        [PathStep::Attribute("prefix".into())]
    );
    let config = obj(&[("prefix", Value::string("echo: "))]);
    client
        .validate_provider_config(&config)
        .await
        .unwrap()
        .ok()
        .unwrap();
    client.configure(&config).await.unwrap().ok().unwrap();

    // Create.
    let cfg = obj(&[
        ("id", Value::Null),
        ("name", Value::string("web")),
        ("password", Value::string("hunter2")),
        ("address", Value::Null),
        ("size", Value::number(2i64)),
        ("listeners", listeners(&[80, 443])),
    ]);
    client
        .validate_resource_config("skeltest_server", &cfg)
        .await
        .unwrap()
        .ok()
        .unwrap();
    let (planned, _) = client
        .plan_resource_change("skeltest_server", &Value::Null, &cfg, &cfg, &[])
        .await
        .unwrap()
        .ok()
        .unwrap();
    assert!(
        matches!(get(&planned.planned_state, "id"), Value::Unknown(_)),
        "{:?}",
        planned.planned_state
    );
    assert!(matches!(
        get(&planned.planned_state, "address"),
        Value::Unknown(_)
    ));
    assert_eq!(
        get(&planned.planned_state, "listeners"),
        &listeners(&[80, 443])
    );
    let (applied, _) = client
        .apply_resource_change(
            "skeltest_server",
            &Value::Null,
            &planned.planned_state,
            &cfg,
            &planned.planned_private,
        )
        .await
        .unwrap()
        .ok()
        .unwrap();
    let state = applied.new_state;
    let Value::String(id) = get(&state, "id").clone() else {
        panic!("{state:?}")
    };
    assert_eq!(
        get(&state, "address"),
        &Value::string("web.skeltest.internal")
    );
    assert_eq!(get(&state, "password"), &Value::string("hunter2"));

    // Read, with the private data the apply returned.
    let (read, _) = client
        .read_resource("skeltest_server", &state, &applied.private)
        .await
        .unwrap()
        .ok()
        .unwrap();
    assert_eq!(read.new_state, state);
    // skeltest answers with private data of its own (the `tf` framework keeps none) and
    // records what it receives: the client carries both ways.
    assert_eq!(planned.planned_private, b"planned:");
    assert_eq!(applied.private, b"applied-1");
    assert_eq!(read.private, b"applied-1+read");
    let log = std::fs::read_to_string(store.path().join("private.log")).unwrap();
    assert!(
        log.contains(r#"{"rpc": "apply", "type": "skeltest_server", "private": "planned:"}"#)
            && log
                .contains(r#"{"rpc": "read", "type": "skeltest_server", "private": "applied-1"}"#),
        "{log}"
    );

    // Update in place: more listeners.
    let mut proposed = state.clone();
    if let Value::Object(o) = &mut proposed {
        o.insert("listeners".into(), listeners(&[80, 443, 8080]));
    }
    let (update, _) = client
        .plan_resource_change("skeltest_server", &state, &proposed, &cfg, &[])
        .await
        .unwrap()
        .ok()
        .unwrap();
    assert!(update.requires_replace.is_empty());
    let (updated, _) = client
        .apply_resource_change("skeltest_server", &state, &update.planned_state, &cfg, &[])
        .await
        .unwrap()
        .ok()
        .unwrap();
    assert_eq!(
        get(&updated.new_state, "listeners"),
        &listeners(&[80, 443, 8080])
    );
    let state = updated.new_state;

    // A new name forces replacement.
    let mut renamed = state.clone();
    if let Value::Object(o) = &mut renamed {
        o.insert("name".into(), Value::string("web2"));
    }
    let (replace, _) = client
        .plan_resource_change("skeltest_server", &state, &renamed, &cfg, &[])
        .await
        .unwrap()
        .ok()
        .unwrap();
    assert_eq!(replace.requires_replace.len(), 1);
    assert_eq!(
        replace.requires_replace[0].0,
        [PathStep::Attribute("name".into())]
    );

    // Import by id.
    let (imported, _) = client
        .import_resource_state("skeltest_server", &id)
        .await
        .unwrap()
        .ok()
        .unwrap();
    assert_eq!(imported.len(), 1);
    assert_eq!(imported[0].state, state);
    let missing = client
        .import_resource_state("skeltest_server", "srv-none")
        .await
        .unwrap();
    assert_eq!(missing.diagnostics[0].summary, "No such server");

    // Upgrade a version 0 state (JSON), which called `size` `flavor`.
    let old = serde_json::json!({
        "id": id, "name": "web", "password": "hunter2", "address": "web.skeltest.internal",
        "flavor": 2, "listeners": [{"port": 80, "protocol": "tcp"}],
    });
    assert_eq!(
        client.schema_version("skeltest_server").await.unwrap(),
        Some(1)
    );
    let (upgraded, _) = client
        .upgrade_resource_state("skeltest_server", 0, old.to_string().as_bytes())
        .await
        .unwrap()
        .ok()
        .unwrap();
    assert_eq!(get(&upgraded, "size"), &Value::number(2i64));
    assert_eq!(get(&upgraded, "listeners"), &listeners(&[80]));

    // The data source.
    let ds_cfg = obj(&[
        ("input", Value::string("hi")),
        ("output", Value::Null),
        ("prefix", Value::Null),
    ]);
    client
        .validate_data_resource_config("skeltest_echo", &ds_cfg)
        .await
        .unwrap()
        .ok()
        .unwrap();
    let (echo, _) = client
        .read_data_source("skeltest_echo", &ds_cfg)
        .await
        .unwrap()
        .ok()
        .unwrap();
    assert_eq!(get(&echo, "output"), &Value::string("echo: hi"));

    // Destroy.
    let (gone, _) = client
        .apply_resource_change("skeltest_server", &state, &Value::Null, &Value::Null, &[])
        .await
        .unwrap()
        .ok()
        .unwrap();
    assert_eq!(gone.new_state, Value::Null);
    let (after, _) = client
        .read_resource("skeltest_server", &state, &[])
        .await
        .unwrap()
        .ok()
        .unwrap();
    assert_eq!(
        after.new_state,
        Value::Null,
        "a deleted server reads as gone"
    );

    client.shutdown().await;
}
