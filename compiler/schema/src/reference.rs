//! The provider reference pages (`docs/providers/NAME.md`), rendered from the schema data so
//! that they list every type, argument, attribute and import id format exactly as the checker
//! and the providers see them. A test keeps the committed pages current (`SKEL_BLESS=1`
//! rewrites them).

use std::fmt::Write;

use crate::model::{AttributeSchema, BlockSchema, Nesting, ProviderSchema, ResourceSchema};

/// The reference page of provider `p` in Markdown.
pub fn reference_markdown(p: &ProviderSchema) -> String {
    let mut out = String::new();
    let name = &p.name;
    let _ = writeln!(out, "# The `{name}` provider\n");
    let _ = writeln!(
        out,
        "Generated from the schema data (`compiler/schema/data/`) by `skel_schema::reference_markdown`;"
    );
    let _ = writeln!(
        out,
        "do not edit by hand: `SKEL_BLESS=1 cargo test -p skel_schema reference` rewrites it.\n"
    );
    let _ = writeln!(
        out,
        "{} resource types, {} data sources.\n",
        p.resources.len(),
        p.data_sources.len()
    );
    let _ = writeln!(out, "## Contents\n");
    for (kind, types) in [("resource", &p.resources), ("data", &p.data_sources)] {
        for t in types.keys() {
            let _ = writeln!(out, "- [{kind} `{t}`](#{kind}-{t})");
        }
    }
    let _ = writeln!(out);
    if !p.config.attributes.is_empty() || !p.config.blocks.is_empty() {
        let _ = writeln!(out, "## Provider configuration\n");
        block(&mut out, &p.config, "");
    }
    for (t, r) in &p.resources {
        type_section(&mut out, "resource", t, r);
    }
    for (t, r) in &p.data_sources {
        type_section(&mut out, "data", t, r);
    }
    out
}

fn type_section(out: &mut String, kind: &str, name: &str, r: &ResourceSchema) {
    let _ = writeln!(out, "## {kind} `{name}`\n");
    let _ = writeln!(out, "{}\n", one_line(&r.description));
    if kind == "resource" {
        match &r.import_id {
            Some(id) => {
                let _ = writeln!(out, "**Import id:** {}\n", one_line(id));
            }
            None => {
                let _ = writeln!(out, "**Import:** not importable.\n");
            }
        }
    }
    block(out, &r.block, "");
}

fn block(out: &mut String, b: &BlockSchema, path: &str) {
    let args: Vec<_> = b
        .attributes
        .iter()
        .filter(|(_, a)| a.is_argument())
        .collect();
    let attrs: Vec<_> = b
        .attributes
        .iter()
        .filter(|(_, a)| a.is_computed_only())
        .collect();
    if !args.is_empty() {
        let _ = writeln!(out, "| argument | type | | description |");
        let _ = writeln!(out, "|---|---|---|---|");
        for (k, a) in args {
            let _ = writeln!(
                out,
                "| `{path}{k}` | `{}` | {} | {} |",
                a.ty,
                flags(a),
                cell(&a.description)
            );
        }
        let _ = writeln!(out);
    }
    if !attrs.is_empty() {
        let _ = writeln!(out, "| attribute | type | description |");
        let _ = writeln!(out, "|---|---|---|");
        for (k, a) in attrs {
            let sensitive = if a.sensitive { " (sensitive)" } else { "" };
            let _ = writeln!(
                out,
                "| `{path}{k}` | `{}` | {}{sensitive} |",
                a.ty,
                cell(&a.description)
            );
        }
        let _ = writeln!(out);
    }
    for (k, nested) in &b.blocks {
        let count = match (nested.min_items, nested.max_items) {
            (0, None) => "any number".to_string(),
            (0, Some(1)) => "at most one".to_string(),
            (1, Some(1)) => "exactly one".to_string(),
            (min, None) => format!("at least {min}"),
            (min, Some(max)) => format!("{min} to {max}"),
        };
        let nesting = match nested.nesting {
            Nesting::Single => "single",
            Nesting::List => "list",
            Nesting::Set => "set",
            Nesting::Map => "map (one label)",
        };
        let replace = match (nested.force_new, nested.computed) {
            (true, _) => "; changing it forces replacement",
            (false, true) => "; when none is written, the existing ones are left alone",
            (false, false) => "",
        };
        let note = match (&nested.removed, &nested.deprecated) {
            (Some(why), _) => format!("; **removed**: {}", one_line(why)),
            (None, Some(instead)) => format!("; **deprecated**: {}", one_line(instead)),
            (None, None) => String::new(),
        };
        let _ = writeln!(
            out,
            "**Block `{path}{k}`** ({nesting}, {count}{replace}{note}): {}\n",
            one_line(&nested.block.description)
        );
        if nested.removed.is_none() {
            block(out, &nested.block, &format!("{path}{k}."));
        }
    }
}

/// The table cell saying how an argument is set.
fn flags(a: &AttributeSchema) -> String {
    let mut f = vec![if a.required { "required" } else { "optional" }.to_string()];
    if a.computed && !a.required {
        f.push("computed when unset".into());
    }
    if let Some(d) = &a.default {
        f.push(format!("default `{d}`"));
    }
    if a.force_new {
        f.push("forces replacement".into());
    }
    if a.sensitive {
        f.push("sensitive".into());
    }
    if let Some(why) = &a.removed {
        f.push(format!("**removed**: {}", cell(why)));
    } else if let Some(instead) = &a.deprecated {
        f.push(format!("**deprecated**: {}", cell(instead)));
    }
    f.join(", ")
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn cell(text: &str) -> String {
    one_line(text).replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The committed pages are what the schema data renders to (`SKEL_BLESS=1` rewrites them).
    #[test]
    fn reference_pages_are_current() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/providers");
        let bless = std::env::var_os("SKEL_BLESS").is_some();
        let mut stale = Vec::new();
        for p in crate::providers() {
            let path = dir.join(format!("{}.md", p.name));
            let want = reference_markdown(p);
            if bless {
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(&path, &want).unwrap();
            } else if std::fs::read_to_string(&path).ok().as_deref() != Some(want.as_str()) {
                stale.push(path.display().to_string());
            }
        }
        assert!(
            stale.is_empty(),
            "stale provider reference pages {stale:?}: run `SKEL_BLESS=1 cargo test -p skel_schema reference` and commit them"
        );
    }

    #[test]
    fn a_page_lists_every_type_argument_attribute_and_import_id() {
        let aws = crate::provider("aws").unwrap();
        let page = reference_markdown(aws);
        for (t, r) in &aws.resources {
            assert!(page.contains(&format!("## resource `{t}`")), "{t}");
            if let Some(id) = &r.import_id {
                assert!(page.contains(&one_line(id)), "{t}: import id");
            }
            for k in r.block.attributes.keys() {
                assert!(page.contains(&format!("| `{k}` |")), "{t}.{k}");
            }
        }
        for t in aws.data_sources.keys() {
            assert!(page.contains(&format!("## data `{t}`")), "{t}");
        }
        assert!(page.contains("**removed**: removed in the AWS provider v5.0.0"));
        // A removed block says so on its own line, with no arguments under it.
        let bucket = page.split("## resource `aws_s3_bucket`").nth(1).unwrap();
        let bucket = bucket.split("\n## ").next().unwrap();
        assert!(
            bucket.contains("**Block `versioning`** (")
                && bucket.contains("**removed**: ")
                && bucket.contains("`aws_s3_bucket_versioning`"),
            "{bucket}"
        );
        assert!(!bucket.contains("`versioning.enabled`"), "{bucket}");
    }
}
