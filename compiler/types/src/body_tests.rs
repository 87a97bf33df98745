//! Block types the schema marks `deprecated` or `removed`, checked against a schema made
//! here (the AWS data has no deprecated block type that skel implements).

use std::path::Path;
use std::sync::Arc;

use skel_db::{Db, ItemRef, MemorySystem, SkelDatabase};
use skel_syntax::Item;

use super::Meta;
use crate::infer::InferCtx;

const SCHEMA: &str = r#"{ "name": "t", "resources": { "t_r": { "description": "r",
    "attributes": { "size": { "type": "number", "optional": true, "description": "s" } },
    "blocks": {
      "old": { "nesting": "list", "description": "o", "deprecated": "use `t_old` instead",
               "attributes": { "n": { "type": "number", "required": true, "description": "n" } } },
      "gone": { "nesting": "list", "description": "g", "removed": "removed in v2; use `t_gone`" },
      "kept": { "nesting": "list", "description": "k", "computed": true, "deprecated": "use `t_kept`",
                "attributes": { "n": { "type": "number", "optional": true, "description": "n" } } }
    } } } }"#;

/// The codes, help texts and spanned text of what checking `body` (the inside of a resource
/// block) against the schema above reports.
fn check(body: &str) -> Vec<(String, String, String)> {
    let schema = skel_schema::load_str(SCHEMA).unwrap().pop().unwrap();
    let block = &schema.resources["t_r"].block;
    let text = format!("resource \"t_r\" \"x\" {{\n{body}\n}}\n");
    let system = Arc::new(MemorySystem::new());
    system.write("/p/main.skel", text.clone());
    let db = SkelDatabase::new(system);
    let file = db.file(Path::new("/p/main.skel"));
    let item = skel_db::item_ast(&db, file, 0).unwrap();
    let Item::Block(resource) = &*item else {
        panic!("a block")
    };
    let mut ctx = InferCtx::new(&db, ItemRef { file, index: 0 });
    ctx.check_body(&resource.body, block, Meta::None, resource.header_range());
    ctx.diagnostics
        .iter()
        .map(|d| {
            let r = d.span.range;
            (
                d.code.as_str().to_string(),
                d.help.clone().unwrap_or_default(),
                text[r.start() as usize..r.end() as usize].to_string(),
            )
        })
        .collect()
}

fn codes(found: &[(String, String, String)]) -> Vec<&str> {
    found.iter().map(|(c, _, _)| c.as_str()).collect()
}

#[test]
fn a_deprecated_block_warns_at_its_header_however_it_is_written_and_is_still_checked() {
    let found = check("  old {\n    n = 1\n  }\n  old {\n    n = 2\n  }");
    assert_eq!(
        codes(&found),
        ["deprecated-argument", "deprecated-argument"]
    );
    assert_eq!(found[0].1, "use `t_old` instead");
    assert_eq!(found[0].2, "old");
    // Its body is checked as before: a missing required argument is still an error.
    let found = check("  old {\n  }");
    assert_eq!(codes(&found), ["deprecated-argument", "missing-argument"]);
    // `dynamic "old"`: at the dynamic block's header.
    let found = check(
        "  dynamic \"old\" {\n    for_each = [1]\n    content {\n      n = old.value\n    }\n  }",
    );
    assert_eq!(codes(&found), ["deprecated-argument"], "{found:?}");
    assert_eq!(found[0].2, "dynamic \"old\"");
    // Attribute syntax of a computed block: the warning, no other error.
    let found = check("  kept = [{ n = 1 }]");
    assert_eq!(codes(&found), ["deprecated-argument"], "{found:?}");
    assert_eq!(found[0].2, "kept");
    assert_eq!(found[0].1, "use `t_kept`");
    // Attribute syntax of another block type: the warning and `block-as-attribute`.
    let found = check("  old = []");
    assert_eq!(codes(&found), ["deprecated-argument", "block-as-attribute"]);
}

#[test]
fn a_removed_block_is_an_error_however_it_is_written_and_its_body_is_not_checked() {
    let found = check("  gone {\n    anything = 1\n  }\n  size = 1");
    assert_eq!(codes(&found), ["removed-argument"], "{found:?}");
    assert_eq!(found[0].1, "removed in v2; use `t_gone`");
    assert_eq!(found[0].2, "gone");
    let found = check("  gone = [{ a = 1 }]");
    assert_eq!(codes(&found), ["removed-argument"], "{found:?}");
    assert_eq!(found[0].2, "gone");
    let found = check(
        "  dynamic \"gone\" {\n    for_each = [1]\n    content {\n      a = gone.value\n    }\n  }",
    );
    assert_eq!(codes(&found), ["removed-argument"], "{found:?}");
    assert_eq!(found[0].2, "dynamic \"gone\"");
    // Expressions inside are still typed: a wrong one is reported too.
    let found = check("  gone {\n    a = 1 + \"x\"\n  }");
    assert!(
        found.len() == 2 && found[0].0 == "removed-argument",
        "{found:?}"
    );
}
