//! Every argument the AWS schema data marks `removed` or `deprecated` (what the provider's
//! upgrade guides dropped) gets its diagnostic, `removed-argument` (an error) or
//! `deprecated-argument` (a warning), whose help is the schema's message naming the
//! replacement: walked from the schema, so a new annotation is covered without a new test.

use std::path::Path;
use std::sync::Arc;

use skel_db::{Db, MemorySystem, SkelDatabase};

/// A literal of type `ty` for the argument.
fn literal(ty: &str) -> &'static str {
    match ty {
        "bool" => "true",
        "number" => "2",
        t if t.starts_with("list") || t.starts_with("set") => "[]",
        t if t.starts_with("map") => "{}",
        _ => "\"x\"",
    }
}

#[test]
fn each_annotated_aws_argument_produces_its_code() {
    let schema = skel_schema::provider("aws").expect("aws schema");
    let mut checked = Vec::new();
    for (ty, resource) in &schema.resources {
        for (name, attr) in &resource.block.attributes {
            let (code, why) = match (&attr.removed, &attr.deprecated) {
                (Some(why), _) => ("removed-argument", why),
                (None, Some(instead)) => ("deprecated-argument", instead),
                (None, None) => continue,
            };
            let system = Arc::new(MemorySystem::new());
            system.write(
                "/p/main.skel",
                format!(
                    "resource \"{ty}\" \"x\" {{\n  {name} = {}\n}}\n",
                    literal(&attr.ty.to_string())
                ),
            );
            let db = SkelDatabase::new(system);
            let root = db.directory(Path::new("/p"));
            let found = skel_types::check_module(&db, root);
            let hit = found
                .iter()
                .find(|d| d.code.as_str() == code)
                .unwrap_or_else(|| panic!("{ty}.{name}: no {code} in {found:?}"));
            assert_eq!(hit.help.as_deref(), Some(why.as_str()), "{ty}.{name}");
            assert!(hit.message.contains(name.as_str()), "{ty}.{name}: {hit:?}");
            checked.push(format!("{ty}.{name}"));
        }
    }
    for expected in [
        "aws_vpc.enable_classiclink",
        "aws_eip.vpc",
        "aws_instance.cpu_core_count",
        "aws_instance.cpu_threads_per_core",
    ] {
        assert!(
            checked.iter().any(|c| c == expected),
            "{expected} is not annotated: {checked:?}"
        );
    }
}
