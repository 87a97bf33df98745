//! The matrix's cases, one per resource type: the configurations each step applies and what
//! the live object must show after it.

use serde_json::{json, Value as Json};

use super::{Case, Kind, Step};

pub(super) fn namespace(ns: &str) -> Case {
    let (first, second) = (format!("{ns}-mx1"), format!("{ns}-mx2"));
    Case {
        type_name: "kubernetes_namespace",
        kind: Kind {
            api_version: "v1",
            kind: "Namespace",
            plural: "namespaces",
            namespaced: false,
        },
        create: Step {
            config: json!({"metadata": {"name": first, "labels": {"owner": "a", "tier": "x"},
                "annotations": {"note": "first"}}}),
            live: vec![
                ("/metadata/labels/owner", json!("a")),
                ("/metadata/labels/tier", json!("x")),
                ("/metadata/annotations/note", json!("first")),
                ("/status/phase", json!("Active")),
            ],
        },
        update: vec![Step {
            config: json!({"metadata": {"name": first, "labels": {"owner": "b"}}}),
            live: vec![
                ("/metadata/labels/owner", json!("b")),
                ("/metadata/labels/tier", Json::Null),
                ("/metadata/annotations/note", Json::Null),
            ],
        }],
        drift: vec![
            (
                json!({"metadata": {"labels": {"owner": "edited"}}}),
                vec!["metadata", "0", "labels", "owner"],
                json!("edited"),
            ),
            (
                json!({"metadata": {"labels": {"owner": null}}}),
                vec!["metadata", "0", "labels", "owner"],
                Json::Null,
            ),
        ],
        replace: vec![(
            Step {
                config: json!({"metadata": {"name": second, "labels": {"owner": "b"}}}),
                live: vec![("/metadata/labels/owner", json!("b"))],
            },
            vec!["metadata", "0", "name"],
        )],
        import_id: second,
        config_only: &[],
    }
}

fn deployment_config(ns: &str, image: &str, replicas: i64, extra: Json, selector: Json) -> Json {
    let mut container = json!({"name": "web", "image": image});
    if let Json::Object(extra) = extra {
        if let Some(c) = container.as_object_mut() {
            c.extend(extra);
        }
    }
    json!({
        "metadata": {"name": "mx-web", "namespace": ns, "labels": {"app": "mx-web"}},
        "spec": {"replicas": replicas, "selector": {"match_labels": selector.clone()},
            "template": {"metadata": {"labels": selector},
                "spec": {"container": [container]}}},
    })
}

pub(super) fn deployment(ns: &str, images: [&str; 2]) -> Case {
    let selector = json!({"app": "mx-web"});
    Case {
        type_name: "kubernetes_deployment",
        kind: Kind {
            api_version: "apps/v1",
            kind: "Deployment",
            plural: "deployments",
            namespaced: true,
        },
        create: Step {
            config: deployment_config(
                ns,
                images[0],
                2,
                json!({"port": [{"container_port": 8080}],
                    "env": [{"name": "MODE", "value": "blue"}]}),
                selector.clone(),
            ),
            live: vec![
                ("/spec/replicas", json!(2)),
                ("/spec/template/spec/containers/0/image", json!(images[0])),
                (
                    "/spec/template/spec/containers/0/env/0/value",
                    json!("blue"),
                ),
                (
                    "/spec/template/spec/containers/0/ports/0/containerPort",
                    json!(8080),
                ),
                ("/metadata/labels/app", json!("mx-web")),
            ],
        },
        update: vec![Step {
            config: deployment_config(ns, images[1], 3, json!({}), selector.clone()),
            live: vec![
                ("/spec/replicas", json!(3)),
                ("/spec/template/spec/containers/0/image", json!(images[1])),
                ("/spec/template/spec/containers/0/env", Json::Null),
                ("/spec/template/spec/containers/0/ports", Json::Null),
            ],
        }],
        drift: vec![
            (
                json!({"spec": {"replicas": 5}}),
                vec!["spec", "0", "replicas"],
                json!(5),
            ),
            (
                // A merge patch replaces the whole container list.
                json!({"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "edited:1"}]}}}}),
                crate::common::CONTAINER_IMAGE.to_vec(),
                json!("edited:1"),
            ),
            (
                json!({"metadata": {"labels": {"app": null}}}),
                vec!["metadata", "0", "labels", "app"],
                Json::Null,
            ),
        ],
        replace: vec![(
            Step {
                config: deployment_config(
                    ns,
                    images[1],
                    3,
                    json!({}),
                    json!({"app": "mx-web", "v": "2"}),
                ),
                live: vec![
                    ("/spec/selector/matchLabels/v", json!("2")),
                    ("/spec/template/metadata/labels/v", json!("2")),
                    ("/spec/replicas", json!(3)),
                ],
            },
            vec!["spec", "0", "selector"],
        )],
        import_id: format!("{ns}/mx-web"),
        config_only: &[],
    }
}

pub(super) fn service(ns: &str) -> Case {
    let meta = |labels: Json| json!({"name": "mx-svc", "namespace": ns, "labels": labels});
    let ports_b = json!([{"name": "http", "port": 80, "target_port": "8081"},
        {"name": "https", "port": 443, "target_port": "8443"}]);
    Case {
        type_name: "kubernetes_service",
        kind: Kind {
            api_version: "v1",
            kind: "Service",
            plural: "services",
            namespaced: true,
        },
        create: Step {
            config: json!({"metadata": meta(json!({"app": "mx", "tier": "x"})),
                "spec": {"selector": {"app": "blue"},
                    "port": [{"name": "http", "port": 80, "target_port": "8080"}]}}),
            live: vec![
                ("/spec/selector/app", json!("blue")),
                ("/spec/ports/0/port", json!(80)),
                ("/spec/ports/0/targetPort", json!(8080)),
                ("/spec/ports/1", Json::Null),
                ("/metadata/labels/tier", json!("x")),
            ],
        },
        // The type changes in place, and back: the node ports and external traffic policy the
        // server chose for NodePort come and go with it.
        update: vec![
            Step {
                config: json!({"metadata": meta(json!({"app": "mx"})),
                    "spec": {"type": "NodePort", "selector": {"app": "green"},
                        "port": ports_b.clone()}}),
                live: vec![
                    ("/spec/type", json!("NodePort")),
                    ("/spec/externalTrafficPolicy", json!("Cluster")),
                    ("/spec/selector/app", json!("green")),
                    ("/spec/ports/0/targetPort", json!(8081)),
                    ("/spec/ports/1/port", json!(443)),
                    ("/spec/ports/1/targetPort", json!(8443)),
                    ("/metadata/labels/tier", Json::Null),
                ],
            },
            Step {
                config: json!({"metadata": meta(json!({"app": "mx"})),
                    "spec": {"type": "ClusterIP", "selector": {"app": "green"},
                        "port": ports_b.clone()}}),
                live: vec![
                    ("/spec/type", json!("ClusterIP")),
                    ("/spec/externalTrafficPolicy", Json::Null),
                    ("/spec/ports/0/nodePort", Json::Null),
                    ("/spec/ports/1/nodePort", Json::Null),
                    ("/spec/selector/app", json!("green")),
                    ("/spec/ports/1/port", json!(443)),
                ],
            },
        ],
        drift: vec![
            (
                json!({"spec": {"selector": {"app": "edited"}}}),
                vec!["spec", "0", "selector", "app"],
                json!("edited"),
            ),
            (
                json!({"spec": {"ports": [{"name": "http", "port": 80, "targetPort": 9999}]}}),
                vec!["spec", "0", "port", "0", "target_port"],
                json!("9999"),
            ),
            (
                json!({"metadata": {"labels": {"app": null}}}),
                vec!["metadata", "0", "labels", "app"],
                Json::Null,
            ),
        ],
        replace: vec![(
            Step {
                config: json!({"metadata": meta(json!({"app": "mx"})),
                    "spec": {"selector": {"app": "green"}, "cluster_ip": "None",
                        "port": ports_b}}),
                live: vec![
                    ("/spec/clusterIP", json!("None")),
                    ("/spec/selector/app", json!("green")),
                ],
            },
            vec!["spec", "0", "cluster_ip"],
        )],
        import_id: format!("{ns}/mx-svc"),
        config_only: &[],
    }
}

pub(super) fn config_map(ns: &str, other_ns: &str) -> Case {
    let cfg = |ns: &str, name: &str, a: &str, immutable: Json| {
        json!({"metadata": {"name": name, "namespace": ns, "annotations": {"note": "x"}},
            "data": {"a": a}, "binary_data": {"blob": "//4="}, "immutable": immutable})
    };
    Case {
        type_name: "kubernetes_config_map",
        kind: Kind {
            api_version: "v1",
            kind: "ConfigMap",
            plural: "configmaps",
            namespaced: true,
        },
        create: Step {
            config: json!({"metadata": {"name": "mx-settings", "namespace": ns,
                "labels": {"app": "web"}}, "data": {"a": "1", "b": "2"}}),
            live: vec![
                ("/data/a", json!("1")),
                ("/data/b", json!("2")),
                ("/metadata/labels/app", json!("web")),
                ("/binaryData", Json::Null),
            ],
        },
        update: vec![Step {
            config: cfg(ns, "mx-settings", "one", Json::Null),
            live: vec![
                ("/data/a", json!("one")),
                ("/data/b", Json::Null),
                ("/binaryData/blob", json!("//4=")),
                ("/metadata/labels/app", Json::Null),
                ("/metadata/annotations/note", json!("x")),
            ],
        }],
        drift: vec![
            (
                json!({"data": {"a": "edited"}}),
                vec!["data", "a"],
                json!("edited"),
            ),
            (json!({"data": {"a": null}}), vec!["data", "a"], Json::Null),
        ],
        replace: vec![
            // Moved to another namespace, and made immutable on the way.
            (
                Step {
                    config: cfg(other_ns, "mx-settings", "one", json!(true)),
                    live: vec![("/data/a", json!("one")), ("/immutable", json!(true))],
                },
                vec!["metadata", "0", "namespace"],
            ),
            // The data of an immutable config map cannot change in place.
            (
                Step {
                    config: cfg(other_ns, "mx-settings", "two", json!(true)),
                    live: vec![("/data/a", json!("two")), ("/immutable", json!(true))],
                },
                vec!["data"],
            ),
            (
                Step {
                    config: cfg(other_ns, "mx-settings2", "two", json!(true)),
                    live: vec![
                        ("/data/a", json!("two")),
                        ("/binaryData/blob", json!("//4=")),
                    ],
                },
                vec!["metadata", "0", "name"],
            ),
        ],
        import_id: format!("{other_ns}/mx-settings2"),
        config_only: &[],
    }
}

pub(super) fn secret(ns: &str) -> Case {
    let meta = json!({"name": "mx-creds", "namespace": ns});
    Case {
        type_name: "kubernetes_secret",
        kind: Kind {
            api_version: "v1",
            kind: "Secret",
            plural: "secrets",
            namespaced: true,
        },
        create: Step {
            config: json!({"metadata": meta, "data": {"password": "s3cret", "user": "admin"}}),
            live: vec![
                ("/data/password", json!("czNjcmV0")),
                ("/data/user", json!("YWRtaW4=")),
                ("/type", json!("Opaque")),
            ],
        },
        update: vec![Step {
            config: json!({"metadata": {"name": "mx-creds", "namespace": ns,
                "labels": {"app": "mx"}}, "data": {"password": "changed"},
                "binary_data": {"blob": "//4="}}),
            live: vec![
                ("/data/password", json!("Y2hhbmdlZA==")),
                ("/data/user", Json::Null),
                ("/data/blob", json!("//4=")),
                ("/metadata/labels/app", json!("mx")),
            ],
        }],
        drift: vec![
            (
                json!({"data": {"password": "ZWRpdGVk"}}),
                vec!["data", "password"],
                json!("edited"),
            ),
            (
                json!({"data": {"password": null}}),
                vec!["data", "password"],
                Json::Null,
            ),
        ],
        replace: vec![(
            Step {
                config: json!({"metadata": {"name": "mx-creds", "namespace": ns,
                    "labels": {"app": "mx"}}, "data": {"password": "changed"},
                    "binary_data": {"blob": "//4="}, "type": "skel.dev/custom"}),
                live: vec![
                    ("/type", json!("skel.dev/custom")),
                    ("/data/password", json!("Y2hhbmdlZA==")),
                ],
            },
            vec!["type"],
        )],
        import_id: format!("{ns}/mx-creds"),
        config_only: &[],
    }
}

pub(super) fn manifest(ns: &str) -> Case {
    // The configuration takes fields over from other managers: without it, reverting an
    // out-of-band change is a conflict (scenarios::manifest_conflict checks that).
    let cfg = |name: &str, labels: Json, data: Json| {
        json!({"manifest": {"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": name, "namespace": ns, "labels": labels}, "data": data},
            "field_manager": {"force_conflicts": true}})
    };
    Case {
        type_name: "kubernetes_manifest",
        kind: Kind {
            api_version: "v1",
            kind: "ConfigMap",
            plural: "configmaps",
            namespaced: true,
        },
        create: Step {
            config: cfg(
                "mx-manifest",
                json!({"app": "mx"}),
                json!({"k": "v", "old": "x"}),
            ),
            live: vec![
                ("/data/k", json!("v")),
                ("/data/old", json!("x")),
                ("/metadata/labels/app", json!("mx")),
            ],
        },
        update: vec![Step {
            config: cfg(
                "mx-manifest",
                json!({"app": "mx", "tier": "b"}),
                json!({"k": "v2"}),
            ),
            live: vec![
                ("/data/k", json!("v2")),
                ("/data/old", Json::Null),
                ("/metadata/labels/tier", json!("b")),
            ],
        }],
        drift: vec![
            (
                json!({"data": {"k": "edited"}}),
                vec!["manifest", "data", "k"],
                json!("edited"),
            ),
            (
                json!({"metadata": {"labels": {"tier": null}}}),
                vec!["manifest", "metadata", "labels", "tier"],
                Json::Null,
            ),
        ],
        replace: vec![(
            Step {
                config: cfg(
                    "mx-manifest2",
                    json!({"app": "mx", "tier": "b"}),
                    json!({"k": "v2"}),
                ),
                live: vec![("/data/k", json!("v2"))],
            },
            vec!["manifest"],
        )],
        import_id: format!("apiVersion=v1,kind=ConfigMap,namespace={ns},name=mx-manifest2"),
        // The field manager and its force are how skel applies, not part of the object.
        config_only: &["field_manager"],
    }
}
