//! Every argument and block type the AWS schema data marks `removed` or `deprecated` (what
//! the provider's upgrade guides dropped) gets its diagnostic, `removed-argument` (an error) or
//! `deprecated-argument` (a warning), whose help is the schema's message naming the
//! replacement: walked from the schema, so a new annotation is covered without a new test.
//! A block type is reported however it is written: as a block, as an attribute, by `dynamic`.

use std::path::Path;
use std::sync::Arc;

use skel_db::{Db, Diagnostic, MemorySystem, SkelDatabase};

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

/// The diagnostics of `main.skel` holding `text`.
fn check(text: &str) -> Vec<Diagnostic> {
    let system = Arc::new(MemorySystem::new());
    system.write("/p/main.skel", text.to_string());
    let db = SkelDatabase::new(system);
    let root = db.directory(Path::new("/p"));
    skel_types::check_module(&db, root).to_vec()
}

#[test]
fn each_annotated_aws_block_type_produces_its_code_in_every_form() {
    let schema = skel_schema::provider("aws").expect("aws schema");
    let mut checked = Vec::new();
    let kinds = [
        ("resource", &schema.resources),
        ("data", &schema.data_sources),
    ];
    for (kind, types) in kinds {
        for (ty, resource) in types {
            for (name, nested) in &resource.block.blocks {
                let (code, why) = match (&nested.removed, &nested.deprecated) {
                    (Some(why), _) => ("removed-argument", why),
                    (None, Some(instead)) => ("deprecated-argument", instead),
                    (None, None) => continue,
                };
                // (the form, the text the diagnostic must point at)
                let header = format!("dynamic \"{name}\"");
                let forms = [
                    (format!("{name} {{\n  }}"), name.as_str()),
                    (format!("{name} = []"), name.as_str()),
                    (
                        format!("{header} {{\n    for_each = []\n    content {{\n    }}\n  }}"),
                        header.as_str(),
                    ),
                ];
                for (form, at) in forms {
                    let text = format!("{kind} \"{ty}\" \"x\" {{\n  {form}\n}}\n");
                    let found = check(&text);
                    let hits: Vec<&Diagnostic> =
                        found.iter().filter(|d| d.code.as_str() == code).collect();
                    assert_eq!(hits.len(), 1, "{ty}.{name} as `{form}`: {found:?}");
                    let hit = hits[0];
                    assert_eq!(hit.help.as_deref(), Some(why.as_str()), "{ty}.{name}");
                    assert!(hit.message.contains(name.as_str()), "{ty}.{name}: {hit:?}");
                    // Ranges are relative to the item, which starts the file.
                    let r = hit.span.range;
                    assert_eq!(
                        &text[r.start() as usize..r.end() as usize],
                        at,
                        "{ty}.{name} as `{form}`"
                    );
                    if code == "removed-argument" {
                        // The one error about it: its body is not checked against a schema
                        // skel no longer keeps, nor is the attribute form `block-as-attribute`.
                        // (What the header line gets, a missing required argument, is not
                        // about the block.)
                        let body_start = text.find('\n').unwrap_or(0) as u32;
                        let others: Vec<_> = found
                            .iter()
                            .filter(|d| {
                                d.code.as_str() != code && d.span.range.start() > body_start
                            })
                            .collect();
                        assert!(others.is_empty(), "{ty}.{name} as `{form}`: {others:?}");
                    }
                }
                checked.push(format!("{ty}.{name}"));
            }
        }
    }
    for expected in [
        "aws_s3_bucket.versioning",
        "aws_s3_bucket.server_side_encryption_configuration",
        "aws_s3_bucket.lifecycle_rule",
        "aws_s3_bucket.logging",
        "aws_s3_bucket.website",
        "aws_s3_bucket.cors_rule",
        "aws_s3_bucket.replication_configuration",
        "aws_s3_bucket.object_lock_configuration",
        "aws_s3_bucket.grant",
        "aws_iam_role.inline_policy",
    ] {
        assert!(
            checked.iter().any(|c| c == expected),
            "{expected} is not annotated: {checked:?}"
        );
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
