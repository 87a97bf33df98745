//! Tests over the embedded schemas: they load, their types parse, their flags are coherent and
//! they agree with the provider reference on what forces replacement.

use skel_value::Type;

use crate::*;

/// Every block of a provider (config, resources, data sources) with a path, recursively.
fn all_blocks() -> Vec<(String, &'static BlockSchema)> {
    fn walk(path: String, b: &'static BlockSchema, out: &mut Vec<(String, &'static BlockSchema)>) {
        for (k, nb) in &b.blocks {
            walk(format!("{path}.{k}"), &nb.block, out);
        }
        out.push((path, b));
    }
    let mut out = Vec::new();
    for p in providers() {
        walk(format!("provider {}", p.name), &p.config, &mut out);
        for (k, r) in &p.resources {
            walk(k.clone(), &r.block, &mut out);
        }
        for (k, r) in &p.data_sources {
            walk(format!("data.{k}"), &r.block, &mut out);
        }
    }
    out
}

fn attr(type_name: &str, path: &[&str]) -> &'static AttributeSchema {
    let mut block = &resource(type_name).unwrap().block;
    let (last, blocks) = path.split_last().unwrap();
    for b in blocks {
        block = &block.blocks[*b].block;
    }
    block
        .attributes
        .get(*last)
        .unwrap_or_else(|| panic!("{type_name}.{} missing", path.join(".")))
}

#[test]
fn all_files_load() {
    let names: Vec<&str> = providers().iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "null",
            "local",
            "random",
            "skel",
            "terraform",
            "aws",
            "kubernetes"
        ]
    );
    for p in providers() {
        // `skel` and `terraform` serve only the remote-state data source.
        assert!(
            !p.resources.is_empty() || !p.data_sources.is_empty(),
            "{} has nothing",
            p.name
        );
    }
}

#[test]
fn every_type_string_parses_and_round_trips() {
    for (file, text) in DATA_FILES {
        let json: serde_json::Value = serde_json::from_str(text).unwrap();
        let mut found = 0;
        let mut stack = vec![&json];
        while let Some(v) = stack.pop() {
            match v {
                serde_json::Value::Object(m) => {
                    if let (Some(serde_json::Value::String(t)), Some(_)) =
                        (m.get("type"), m.get("description"))
                    {
                        found += 1;
                        let ty = parse_type(t).unwrap_or_else(|e| panic!("{file}: {e}"));
                        assert_eq!(parse_type(&ty.to_string()).unwrap(), ty, "{file}: {t}");
                    }
                    stack.extend(m.values());
                }
                serde_json::Value::Array(a) => stack.extend(a),
                _ => {}
            }
        }
        // A file of a split provider may not have types yet; one that has any has attributes.
        assert!(
            found > 10 || !text.contains("\"attributes\""),
            "{file}: only {found} attributes found"
        );
    }
}

#[test]
fn flags_are_coherent_and_described() {
    for (path, block) in all_blocks() {
        assert!(!block.description.is_empty(), "{path}: no description");
        for (k, a) in &block.attributes {
            let at = format!("{path}.{k}");
            assert!(!a.description.is_empty(), "{at}: no description");
            assert!(
                a.description.lines().count() == 1,
                "{at}: description is not one line"
            );
            assert!(a.required || a.optional || a.computed, "{at}: no mode");
            assert!(!(a.required && a.optional), "{at}: required and optional");
            assert!(!(a.required && a.computed), "{at}: required and computed");
            assert!(
                a.default.is_none() || (a.optional && !a.computed),
                "{at}: a default needs optional and not computed"
            );
            assert!(
                !a.force_new || a.is_argument(),
                "{at}: force_new on a computed-only attribute"
            );
            if let Some(d) = &a.default {
                let ok = matches!(
                    (&a.ty, d),
                    (Type::String, serde_json::Value::String(_))
                        | (Type::Number, serde_json::Value::Number(_))
                        | (Type::Bool, serde_json::Value::Bool(_))
                );
                assert!(ok, "{at}: default {d} does not match type {}", a.ty);
            }
        }
        for (k, nb) in &block.blocks {
            if let Some(max) = nb.max_items {
                assert!(nb.min_items <= max, "{path}.{k}: min_items > max_items");
            }
            if nb.nesting == Nesting::Single {
                assert!(
                    nb.max_items.unwrap_or(1) == 1,
                    "{path}.{k}: single with max > 1"
                );
            }
        }
    }
}

#[test]
fn every_resource_and_data_source_has_computed_id() {
    for p in providers() {
        for (k, r) in p.resources.iter().chain(&p.data_sources) {
            let id = r
                .block
                .attributes
                .get("id")
                .unwrap_or_else(|| panic!("{k}: no id"));
            assert!(id.computed, "{k}: id not computed");
            assert_eq!(id.ty, Type::String, "{k}: id not a string");
            assert!(!r.description.is_empty(), "{k}: no description");
            assert_eq!(provider_for_type(k), p.name, "{k}: wrong provider prefix");
        }
    }
}

#[test]
fn tags_everywhere_aws_has_them() {
    for (k, r) in &provider("aws").unwrap().resources {
        if let Some(tags) = r.block.attributes.get("tags") {
            assert_eq!(tags.ty, Type::map(Type::String), "{k}");
            assert!(
                tags.optional && !tags.force_new,
                "{k}: tags must be optional and U"
            );
            let all = &r.block.attributes["tags_all"];
            assert!(all.is_computed_only(), "{k}: tags_all must be computed");
        }
    }
    for k in ["aws_vpc", "aws_subnet", "aws_instance", "aws_route53_zone"] {
        assert!(
            resource(k).unwrap().block.attributes.contains_key("tags"),
            "{k}"
        );
    }
    assert!(!resource("aws_route53_record")
        .unwrap()
        .block
        .attributes
        .contains_key("tags"));
}

#[test]
fn replacement_matches_the_reference() {
    let rn: &[(&str, &[&str])] = &[
        ("aws_vpc", &["cidr_block"]),
        ("aws_subnet", &["availability_zone"]),
        ("aws_subnet", &["vpc_id"]),
        ("aws_subnet", &["cidr_block"]),
        ("aws_nat_gateway", &["subnet_id"]),
        ("aws_nat_gateway", &["allocation_id"]),
        ("aws_eip", &["domain"]),
        ("aws_route_table", &["vpc_id"]),
        ("aws_route_table_association", &["subnet_id"]),
        ("aws_network_acl", &["vpc_id"]),
        ("aws_security_group", &["name"]),
        ("aws_security_group", &["description"]),
        ("aws_security_group", &["vpc_id"]),
        ("aws_instance", &["ami"]),
        ("aws_instance", &["subnet_id"]),
        ("aws_instance", &["key_name"]),
        ("aws_instance", &["private_ip"]),
        ("aws_instance", &["associate_public_ip_address"]),
        ("aws_key_pair", &["public_key"]),
        ("aws_key_pair", &["key_name"]),
        ("aws_ebs_volume", &["availability_zone"]),
        ("aws_ebs_volume", &["encrypted"]),
        ("aws_volume_attachment", &["instance_id"]),
        ("aws_route53_zone", &["name"]),
        ("aws_route53_record", &["name"]),
        ("aws_route53_record", &["zone_id"]),
        ("kubernetes_deployment", &["metadata", "name"]),
        ("kubernetes_deployment", &["metadata", "namespace"]),
        (
            "kubernetes_deployment",
            &["spec", "selector", "match_labels"],
        ),
        ("kubernetes_service", &["spec", "cluster_ip"]),
        ("kubernetes_secret", &["type"]),
        ("kubernetes_namespace", &["metadata", "name"]),
        ("local_file", &["filename"]),
        ("local_file", &["content"]),
        ("random_id", &["byte_length"]),
        ("random_string", &["length"]),
        ("null_resource", &["triggers"]),
    ];
    for (ty, path) in rn {
        assert!(
            attr(ty, path).force_new,
            "{ty}.{} should force replacement",
            path.join(".")
        );
    }
    let u: &[(&str, &[&str])] = &[
        ("aws_vpc", &["enable_dns_support"]),
        ("aws_vpc", &["tags"]),
        ("aws_subnet", &["map_public_ip_on_launch"]),
        ("aws_internet_gateway", &["vpc_id"]),
        ("aws_route_table_association", &["route_table_id"]),
        ("aws_instance", &["instance_type"]),
        ("aws_instance", &["user_data"]),
        ("aws_instance", &["vpc_security_group_ids"]),
        ("aws_instance", &["root_block_device", "volume_size"]),
        ("aws_ebs_volume", &["size"]),
        ("aws_route53_zone", &["comment"]),
        ("aws_route53_record", &["records"]),
        ("aws_route53_record", &["ttl"]),
        ("kubernetes_deployment", &["spec", "replicas"]),
        ("kubernetes_deployment", &["metadata", "labels"]),
        ("kubernetes_service", &["spec", "type"]),
        ("kubernetes_config_map", &["data"]),
        ("kubernetes_secret", &["data"]),
    ];
    for (ty, path) in u {
        assert!(
            !attr(ty, path).force_new,
            "{ty}.{} should update in place",
            path.join(".")
        );
    }
    let dep = &resource("kubernetes_deployment").unwrap().block.blocks["spec"];
    assert!(dep.block.blocks["selector"].force_new);
    assert!(resource("aws_instance").unwrap().block.blocks["ebs_block_device"].force_new);
}

#[test]
fn sensitive_arguments() {
    assert!(provider("aws").unwrap().config.attributes["secret_key"].sensitive);
    assert!(provider("kubernetes").unwrap().config.attributes["token"].sensitive);
    assert!(attr("kubernetes_secret", &["data"]).sensitive);
    assert!(attr("local_file", &["sensitive_content"]).sensitive);
    assert!(!attr("aws_instance", &["ami"]).sensitive);
}

#[test]
fn defaults() {
    let d = |ty: &str, path: &[&str]| attr(ty, path).default.clone();
    // A file's permissions apply when skel creates it (the provider's defaults: 0777, 0600 with
    // sensitive_content, 0700 for local_sensitive_file); an imported file keeps its own, so
    // the schema has no default.
    assert_eq!(d("local_file", &["file_permission"]), None);
    assert!(attr("local_file", &["file_permission"]).computed);
    assert_eq!(d("local_sensitive_file", &["file_permission"]), None);
    assert_eq!(d("random_pet", &["length"]), Some(2.into()));
    assert_eq!(
        d("aws_security_group", &["description"]),
        Some("Managed by Terraform".into())
    );
    assert_eq!(d("kubernetes_secret", &["type"]), Some("Opaque".into()));
    assert_eq!(
        d("kubernetes_deployment", &["wait_for_rollout"]),
        Some(true.into())
    );
    assert_eq!(
        d("kubernetes_manifest", &["field_manager", "name"]),
        Some("skel".into())
    );
    assert_eq!(
        d("kubernetes_deployment", &["metadata", "namespace"]),
        Some("default".into())
    );
    assert!(
        !resource("kubernetes_namespace").unwrap().block.blocks["metadata"]
            .block
            .attributes
            .contains_key("namespace")
    );
}

#[test]
fn computed_object_type_of_aws_instance() {
    let Type::Object(o) = resource("aws_instance").unwrap().computed_object_type() else {
        panic!("not an object");
    };
    assert_eq!(o.attrs["public_ip"], Type::String);
    assert_eq!(o.attrs["id"], Type::String);
    assert_eq!(o.attrs["tags"], Type::map(Type::String));
    assert_eq!(o.attrs["vpc_security_group_ids"], Type::set(Type::String));
    let Type::List(root) = &o.attrs["root_block_device"] else {
        panic!("root_block_device is not a list");
    };
    let Type::Object(root) = &**root else {
        panic!("not a list of objects")
    };
    assert_eq!(root.attrs["volume_size"], Type::Number);
    assert!(matches!(&o.attrs["ebs_block_device"], Type::Set(t) if matches!(**t, Type::Object(_))));
    assert!(o.optional.is_empty());
}

#[test]
fn computed_object_type_nesting() {
    let Type::Object(o) = resource("kubernetes_service")
        .unwrap()
        .computed_object_type()
    else {
        panic!()
    };
    // metadata is a list of at most one block, as in terraform-provider-kubernetes, so ported
    // code's `x.metadata[0].name` keeps working.
    let Type::List(meta) = &o.attrs["metadata"] else {
        panic!("metadata")
    };
    let Type::Object(meta) = &**meta else {
        panic!("metadata element")
    };
    assert_eq!(meta.attrs["uid"], Type::String);
    assert!(matches!(&o.attrs["spec"], Type::List(_)));
    assert_eq!(
        o.attrs["status"].to_string(),
        "list(object({load_balancer = list(object({ingress = list(object({hostname = string, ip = string}))}))}))"
    );
    let Type::Object(m) = resource("kubernetes_manifest")
        .unwrap()
        .computed_object_type()
    else {
        panic!()
    };
    assert_eq!(m.attrs["manifest"], Type::Dynamic);
}

#[test]
fn accessors() {
    assert_eq!(provider_for_type("aws_instance"), "aws");
    assert_eq!(provider_for_type("null_resource"), "null");
    assert_eq!(provider_for_type("kubernetes_manifest"), "kubernetes");
    assert_eq!(provider_for_type("weird"), "weird");
    assert!(resource("aws_vpc").is_some());
    assert!(resource("aws_ami").is_none());
    assert!(data_source("aws_ami").is_some());
    assert!(data_source("local_file").is_some() && resource("local_file").is_some());
    assert!(provider("aws").is_some() && provider("google").is_none());
    let rs = all_resource_types();
    assert!(rs.windows(2).all(|w| w[0] < w[1]));
    assert!(rs.contains(&"kubernetes_deployment") && rs.contains(&"random_pet"));
    let ds = all_data_source_types();
    assert!(ds.contains(&"aws_availability_zones") && ds.contains(&"null_data_source"));
    assert_eq!(
        resource("aws_vpc").unwrap().import_id.as_deref(),
        Some("VPC id (vpc-…)")
    );
}

#[test]
fn loader_rejects_bad_files() {
    let err = load_str(r#"{"name":"x","resources":{"x_a":{"description":"d","attributes":{"id":{"type":"strin","computed":true,"description":"d"}}}}}"#).unwrap_err();
    let crate::SchemaError::Type { path, source } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(path, "resource x_a.id");
    assert_eq!(source.offset, 0);
    assert_eq!(
        err.to_string(),
        "resource x_a.id: invalid type `strin`: unknown type `strin` at offset 0"
    );
    let err = load_str(r#"{"name":"x","resources":{"x_a":{"description":"d","attributes":{"id":{"type":"string","description":"d"}},"blocks":{"id":{"nesting":"list","description":"d"}}}}}"#).unwrap_err();
    assert_eq!(
        err.to_string(),
        "resource x_a.id: both an attribute and a block"
    );
    assert!(load_str(r#"{"name":"x","resources":{"x_a":{"description":"d","attributes":{"id":{"type":"string","computd":true,"description":"d"}}}}}"#).is_err());
    let ok = load_str(r#"[{"name":"x","resources":{"x_a":{"description":"d","attributes":{"id":{"type":"string","computed":true,"description":"d"}}}}}]"#).unwrap();
    assert_eq!(
        ok[0].resources["x_a"].block.attributes["id"].ty,
        Type::String
    );
}

#[test]
fn model_serde_round_trip() {
    let p = provider("aws").unwrap();
    let json = serde_json::to_string(p).unwrap();
    let back: ProviderSchema = serde_json::from_str(&json).unwrap();
    assert_eq!(&back, p);
}
