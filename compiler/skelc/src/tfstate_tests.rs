//! Unit tests of the Terraform state conversion: every field of a v4 state and every refusal.

use serde_json::json;

use super::*;

fn state(resources: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "version": 4,
        "terraform_version": "1.0.3",
        "serial": 6,
        "lineage": "a28f8b14-db61-975d-cab0-472ac648677e",
        "outputs": {
            "ids": {"value": ["1", "2"], "type": ["tuple", ["string", "string"]]},
            "secret": {"value": "hunter2", "type": "string", "sensitive": true}
        },
        "resources": resources,
    }))
    .unwrap()
}

const NULL: &str = "provider[\"registry.terraform.io/hashicorp/null\"]";

fn instance(key: Value, id: &str) -> Value {
    json!({"index_key": key, "schema_version": 0, "attributes": {"id": id, "triggers": {"k": "v"}},
           "sensitive_attributes": [], "private": "bnVsbA=="})
}

#[test]
fn maps_addresses_keys_modules_dependencies_and_outputs() {
    let bytes = state(json!([
        {"mode": "managed", "type": "null_resource", "name": "counted", "provider": NULL,
         "instances": [instance(json!(0), "1"), instance(json!(1), "2")]},
        {"module": "module.child[\"x\"]", "mode": "managed", "type": "null_resource", "name": "each",
         "provider": format!("module.child.{NULL}.alt"),
         "instances": [{"index_key": "a b", "attributes": {"id": "3", "triggers": null},
                        "dependencies": ["null_resource.counted", "module.gone.null_resource.x"],
                        "create_before_destroy": true, "status": "tainted"}]}
    ]));
    let m = migrate("tf.tfstate", &bytes).unwrap();
    assert_eq!((m.managed, m.data), (3, 0));
    assert_eq!(m.state.lineage, "a28f8b14-db61-975d-cab0-472ac648677e");
    assert_eq!(m.state.serial, 6);
    let keys: Vec<String> = m.state.resources.keys().map(|a| a.to_string()).collect();
    assert_eq!(
        keys,
        [
            "null_resource.counted[0]",
            "null_resource.counted[1]",
            "module.child[\"x\"].null_resource.each[\"a b\"]"
        ]
    );
    let each = &m.state.resources[&"module.child[\"x\"].null_resource.each[\"a b\"]"
        .parse()
        .unwrap()];
    assert_eq!(each.provider, "module.child.null.alt");
    assert_eq!(
        each.dependencies,
        [
            "module.gone.null_resource.x",
            "null_resource.counted[0]",
            "null_resource.counted[1]"
        ]
    );
    assert!(each.create_before_destroy);
    assert_eq!(each.status, InstanceStatus::Tainted);
    let counted = &m.state.resources[&"null_resource.counted[1]".parse().unwrap()];
    assert_eq!(counted.provider, "null");
    assert_eq!(
        counted.attributes,
        json!({"id": "2", "triggers": {"k": "v"}})
    );
    assert_eq!(counted.status, InstanceStatus::Ready);
    // Terraform's private data is carried over as it is (base64); none stays none.
    assert_eq!(counted.private.as_deref(), Some("bnVsbA=="));
    assert_eq!(each.private, None);
    assert!(m.state.outputs["secret"].sensitive);
    assert!(!m.state.outputs["ids"].sensitive);
    assert_eq!(m.state.outputs["ids"].value, json!(["1", "2"]));
}

#[test]
fn sensitive_paths_from_terraform_and_from_the_schema() {
    let bytes = state(json!([
        {"mode": "managed", "type": "null_resource", "name": "n", "provider": NULL,
         "instances": [{"attributes": {"id": "1", "triggers": {"dsn": "x", "list": "y"}},
            "sensitive_attributes": [
                [{"type": "get_attr", "value": "triggers"}, {"type": "index", "value": {"value": "dsn", "type": "string"}}],
                [{"type": "get_attr", "value": "list"}, {"type": "index", "value": {"value": 2, "type": "number"}}]
            ]}]},
        {"mode": "managed", "type": "random_password", "name": "p",
         "provider": "provider[\"registry.opentofu.org/hashicorp/random\"]",
         "instances": [{"attributes": {"id": "none", "result": "s3cret", "bcrypt_hash": "h",
                                        "length": 8, "number": true}}]}
    ]));
    let m = migrate("tf", &bytes).unwrap();
    let n = &m.state.resources[&"null_resource.n".parse().unwrap()];
    assert_eq!(
        n.sensitive_paths,
        [vec!["list", "2"], vec!["triggers", "dsn"]]
            .map(|p| p.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    );
    let p = &m.state.resources[&"random_password.p".parse().unwrap()];
    assert!(p.sensitive_paths.contains(&vec!["result".to_string()]));
    assert!(p.sensitive_paths.contains(&vec!["bcrypt_hash".to_string()]));
    // Terraform's old `number` is skel's `numeric` (skel's `number`, its deprecated alias,
    // stays unset, so a configuration that does not write it plans no replacement).
    assert_eq!(p.attributes["numeric"], json!(true));
    assert!(p.attributes.get("number").is_none_or(Value::is_null));
}

#[test]
fn attributes_skel_lacks_are_dropped_and_named_blocks_reshaped() {
    let bytes = state(json!([
        {"mode": "managed", "type": "aws_instance", "name": "v",
         "provider": "provider[\"registry.terraform.io/hashicorp/aws\"].west",
         "instances": [{"schema_version": 1, "attributes": {"id": "i-1", "ami": "ami-1",
            "host_resource_group_arn": "", "tags": {"Name": "x"}}}]},
        {"mode": "data", "type": "null_data_source", "name": "d", "provider": NULL,
         "instances": [{"attributes": {"id": "static", "inputs": {}, "outputs": {}}}]}
    ]));
    let m = migrate("tf", &bytes).unwrap();
    assert_eq!((m.managed, m.data), (1, 1));
    assert_eq!(
        m.dropped.iter().collect::<Vec<_>>(),
        ["aws_instance.host_resource_group_arn"]
    );
    let vm = &m.state.resources[&"aws_instance.v".parse().unwrap()];
    assert_eq!(vm.provider, "aws.west");
    assert_eq!(vm.attributes["ami"], json!("ami-1"));
    // What the state lacks is null, as skel writes an unset attribute.
    assert_eq!(vm.attributes["private_ip"], Value::Null);
    assert!(m
        .state
        .resources
        .contains_key(&"data.null_data_source.d".parse().unwrap()));
}

#[test]
fn removed_block_types_are_dropped_and_named() {
    // Terraform's state of a bucket has its inline (deprecated) `versioning` and `grant` blocks
    // filled in; skel's schema marks them removed: they are not kept, and named.
    let bytes = state(json!([
        {"mode": "managed", "type": "aws_s3_bucket", "name": "b",
         "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
         "instances": [{"schema_version": 0, "attributes": {"id": "b", "bucket": "b",
            "versioning": [{"enabled": false, "mfa_delete": false}],
            "grant": [{"id": "x", "type": "CanonicalUser", "permissions": ["FULL_CONTROL"]}],
            "tags": null}}]}
    ]));
    let m = migrate("tf", &bytes).unwrap();
    assert_eq!(
        m.dropped.iter().collect::<Vec<_>>(),
        ["aws_s3_bucket.grant", "aws_s3_bucket.versioning"]
    );
    let b = &m.state.resources[&"aws_s3_bucket.b".parse().unwrap()];
    assert!(
        b.attributes.get("versioning").is_none(),
        "{:?}",
        b.attributes
    );
    assert_eq!(b.attributes["bucket"], json!("b"));
}

#[test]
fn deposed_objects_join_their_current_instance() {
    let bytes = state(json!([
        {"mode": "managed", "type": "null_resource", "name": "n", "provider": NULL,
         "instances": [instance(Value::Null, "new"),
                       {"deposed": "00000001", "attributes": {"id": "old", "triggers": null}}]}
    ]));
    let m = migrate("tf", &bytes).unwrap();
    let n = &m.state.resources[&"null_resource.n".parse().unwrap()];
    assert_eq!(n.attributes["id"], json!("new"));
    assert_eq!(n.deposed, [json!({"id": "old", "triggers": null})]);
}

#[test]
fn unsupported_providers_and_types_are_all_listed() {
    let bytes = state(json!([
        {"mode": "managed", "type": "google_compute_instance", "name": "vm",
         "provider": "provider[\"registry.terraform.io/hashicorp/google\"]", "instances": []},
        {"module": "module.m", "mode": "managed", "type": "aws_lambda_function", "name": "b",
         "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]", "instances": []},
        {"mode": "managed", "type": "null_resource", "name": "fake",
         "provider": "provider[\"registry.terraform.io/someone/null\"]", "instances": []},
        {"mode": "managed", "type": "null_resource", "name": "fine", "provider": NULL,
         "instances": [instance(Value::Null, "1")]}
    ]));
    let e = migrate("tf", &bytes).unwrap_err().to_string();
    assert!(e.contains("google_compute_instance.vm"), "{e}");
    assert!(e.contains("hashicorp/google"), "{e}");
    assert!(e.contains("module.m.aws_lambda_function.b"), "{e}");
    assert!(
        e.contains("null_resource.fake") && e.contains("someone/null"),
        "{e}"
    );
    assert!(!e.contains("null_resource.fine"), "{e}");
}

#[test]
fn other_versions_encrypted_and_garbled_files_are_refused_without_values() {
    let v3 = br#"{"version": 3, "serial": 1, "modules": [{"path": ["root"]}]}"#;
    let e = migrate("old.tfstate", v3).unwrap_err().to_string();
    assert!(
        e.contains("format version 3") && e.contains("only version 4"),
        "{e}"
    );
    let v5 = br#"{"version": 5, "resources": []}"#;
    assert!(migrate("x", v5)
        .unwrap_err()
        .to_string()
        .contains("version 5"));
    let sealed = br#"{"meta":{"key_provider.pbkdf2.main":{"salt":"c2VjcmV0"}},"encrypted_data":"AAAA","encryption_version":"v0"}"#;
    let e = migrate("enc.tfstate", sealed).unwrap_err().to_string();
    assert!(
        e.contains("encrypted") && e.contains("key_provider.pbkdf2.main"),
        "{e}"
    );
    assert!(!e.contains("c2VjcmV0"), "{e}");
    let garbled = br#"{"version": 4, "resources": [{"attributes": "hunter2-secret"#;
    let e = migrate("bad.tfstate", garbled).unwrap_err().to_string();
    assert!(e.contains("not JSON") && e.contains("bad.tfstate"), "{e}");
    assert!(!e.contains("hunter2"), "{e}");
    let shape = br#"{"version": 4, "resources": [{"mode": "managed", "type": 7}]}"#;
    assert!(migrate("s", shape)
        .unwrap_err()
        .to_string()
        .contains("wrong shape"));
    let skel_state = br#"{"format": 1}"#;
    assert!(migrate("s", skel_state)
        .unwrap_err()
        .to_string()
        .contains("no `version`"));
}

#[test]
fn provider_addresses() {
    let p = parse_provider("provider.aws.west").unwrap();
    assert_eq!(p.key(), "aws.west");
    let p = parse_provider("module.a.module.b.provider[\"registry.terraform.io/-/null\"]").unwrap();
    assert_eq!(p.key(), "module.a.module.b.null");
    let p = parse_provider("provider[\"hashicorp/kubernetes\"]").unwrap();
    assert_eq!(p.key(), "kubernetes");
    assert!(
        parse_provider("provider[\"registry.terraform.io/hashicorp/aws\"")
            .unwrap_err()
            .contains("unreadable")
    );
    assert!(parse_provider("example.com/hashicorp/aws").is_err());
}

/// A plugin's schema as `skelc init` stores it: `acme/widget` with `widget_box`.
fn widget_schema() -> &'static ProviderSchema {
    skel_types::schemas::intern(
        r#"{"name": "widget", "resources": {"widget_box": {"description": "A box.",
            "attributes": {"id": {"type": "string", "computed": true, "description": "Id."},
                           "label": {"type": "string", "optional": true, "description": "Label."},
                           "secret": {"type": "string", "optional": true, "sensitive": true,
                                      "description": "Secret."}}}},
            "data_sources": {}}"#,
    )
    .unwrap()
}

const WIDGET: &str = "provider[\"registry.terraform.io/acme/widget\"]";

#[test]
fn plugin_resources_carry_over_unchanged_under_the_plugins_schema() {
    let bytes = state(json!([
        {"mode": "managed", "type": "widget_box", "name": "b", "provider": WIDGET,
         "instances": [{"attributes": {"id": "w-1", "label": "", "secret": "s3", "extra": [1]},
                        "sensitive_attributes": []}]},
        {"mode": "managed", "type": "null_resource", "name": "n", "provider": NULL,
         "instances": [instance(Value::Null, "1")]}
    ]));
    let lookup = |source: &ProviderSource| {
        (source.namespace == "acme" && source.type_name == "widget")
            .then(|| ("wdg".to_string(), Ok(widget_schema())))
    };
    let m = migrate_with("tf", &bytes, &lookup).unwrap();
    let b: InstanceAddr = "widget_box.b".parse().unwrap();
    let b = &m.state.resources[&b];
    // Exactly Terraform's attributes: the empty string and the attribute the schema lacks
    // stay, as the plugin wrote them; the provider is the configuration's local name.
    assert_eq!(
        b.attributes,
        json!({"id": "w-1", "label": "", "secret": "s3", "extra": [1]})
    );
    assert_eq!(b.provider, "wdg");
    assert_eq!(b.sensitive_paths, vec![vec!["secret".to_string()]]);
    assert!(m.dropped.is_empty(), "{:?}", m.dropped);
    assert_eq!(m.managed, 2);
    // Without the plugin in the configuration, it is someone else's provider.
    let e = migrate("tf", &bytes).unwrap_err().to_string();
    assert!(
        e.contains("widget_box.b") && e.contains("require it as a plugin"),
        "{e}"
    );
}

#[test]
fn plugin_resources_without_a_stored_schema_or_type_are_refused() {
    let bytes = state(json!([
        {"mode": "managed", "type": "widget_box", "name": "b", "provider": WIDGET,
         "instances": [{"attributes": {"id": "w-1"}}]},
        {"mode": "data", "type": "widget_box", "name": "d", "provider": WIDGET,
         "instances": [{"attributes": {"id": "w-2"}}]}
    ]));
    let missing = |_: &ProviderSource| {
        Some((
            "widget".to_string(),
            Err("no .skel.lock.hcl: `skelc init` has not installed it".to_string()),
        ))
    };
    let e = migrate_with("tf", &bytes, &missing)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("widget_box.b: provider registry.terraform.io/acme/widget is a plugin")
            && e.contains("run `skelc init` first"),
        "{e}"
    );
    let stored = |_: &ProviderSource| Some(("widget".to_string(), Ok(widget_schema())));
    let e = migrate_with("tf", &bytes, &stored).unwrap_err().to_string();
    assert!(
        e.contains("data.widget_box.d: the plugin registry.terraform.io/acme/widget has no data source type `widget_box`"),
        "{e}"
    );
}
