//! Every resource type of the provider through the same lifecycle against the stand-in API
//! server, table-driven (the cases are in `common/matrix.rs`, which the real-cluster suite
//! runs too): create, update in place (an attribute removed from the configuration leaves the
//! object), an out-of-band change (the read shows drift, the plan updates it back, applying
//! repairs it), an out-of-band delete (the read says gone, the plan creates it again),
//! replacement, import and delete. Each step is checked on the stand-in's stored object.

mod common;

use common::matrix;

/// Where the cases put their objects; the stand-in pulls no images.
const ENV: matrix::Env<'static> = matrix::Env {
    ns: "default",
    other_ns: "mx-other",
    images: ["nginx:1.27", "nginx:1.28"],
};

async fn lifecycle(type_name: &str) {
    let e = common::standin(None);
    let p = common::provider(&e.kubeconfig);
    let client = common::scenarios::client(&e.kubeconfig).await;
    let other = common::config(
        "kubernetes_namespace",
        serde_json::json!({"metadata": {"name": ENV.other_ns}}),
    );
    common::converge(&p, "kubernetes_namespace", None, &other)
        .await
        .expect("the other namespace");
    let live = matrix::Live {
        client: &client,
        standin: Some(&e.standin),
    };
    let case =
        matrix::case(type_name, ENV).unwrap_or_else(|| panic!("no matrix case for {type_name}"));
    matrix::run(&p, &live, &case).await;
}

macro_rules! matrix_tests {
    ($($name:ident => $ty:literal),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() {
                lifecycle($ty).await;
            }
        )*

        /// Every resource type in the provider's schema has a case, and a test here.
        #[test]
        fn every_resource_type_has_a_case() {
            let tested = [$($ty),*];
            let schema = skel_schema::provider("kubernetes").expect("kubernetes schema");
            assert!(!schema.resources.is_empty());
            for ty in schema.resources.keys() {
                assert!(tested.contains(&ty.as_str()), "{ty} has no matrix test");
                assert!(matrix::TYPES.contains(&ty.as_str()), "{ty} is not in matrix::TYPES");
                assert!(
                    matrix::case(ty, ENV).is_some(),
                    "{ty} has no matrix case"
                );
            }
        }
    };
}

matrix_tests! {
    namespace => "kubernetes_namespace",
    deployment => "kubernetes_deployment",
    service => "kubernetes_service",
    config_map => "kubernetes_config_map",
    secret => "kubernetes_secret",
    manifest => "kubernetes_manifest",
}
