//! Plugin providers in the editor: a module that makes `null` a plugin (`hashicorp/null` 2.1.2)
//! gets hover, completion and diagnostics from the schema `skelc init` stored, not from the
//! built-in `null`.

use super::{fixture, Fixture};

const SCHEMA: &str = r#"{
  "name": "null",
  "resources": {
    "null_resource": {
      "description": "PLUGIN null_resource: does nothing (null 2.1.2).",
      "attributes": {
        "id": { "type": "string", "computed": true, "description": "A random id." },
        "triggers": { "type": "map(string)", "optional": true, "force_new": true,
                      "description": "PLUGIN triggers: values whose change replaces it." },
        "only_in_plugin": { "type": "string", "optional": true, "description": "PLUGIN only." }
      }
    }
  }
}"#;

/// A root module at `/root` requiring the null plugin, with `body` after the settings block,
/// its lock file and (when `stored`) the stored schema.
fn plugin_project(body: &str, stored: bool) -> Fixture {
    let platform = skel_hir::provider_lock::current_platform();
    let mut text = format!(
        "//- /root/main.skel\nskel {{\n  required_providers {{\n    null = {{ source = \"hashicorp/null\", version = \"2.1.2\" }}\n  }}\n}}\n\n{body}\n//- /root/.skel.lock.hcl\nprovider \"registry.terraform.io/hashicorp/null\" {{\n  version = \"2.1.2\"\n}}\n"
    );
    if stored {
        text.push_str(&format!(
            "//- /root/.skel/providers/registry.terraform.io/hashicorp/null/2.1.2/{platform}/schema.json\n{SCHEMA}\n"
        ));
    }
    fixture(&text)
}

#[test]
fn hover_documents_a_plugin_resource_from_its_stored_schema() {
    let f = plugin_project(
        "resource \"null_res$0ource\" \"a\" {\n  triggers = {}\n}\n",
        true,
    );
    let hover = crate::hover(f.db(), f.pos()).expect("a hover");
    assert!(
        hover.markdown.contains("PLUGIN null_resource"),
        "{}",
        hover.markdown
    );
    let f = plugin_project(
        "resource \"null_resource\" \"a\" {\n  trig$0gers = {}\n}\n",
        true,
    );
    let hover = crate::hover(f.db(), f.pos()).expect("a hover");
    assert!(
        hover.markdown.contains("PLUGIN triggers"),
        "{}",
        hover.markdown
    );
    assert!(
        hover.markdown.contains("forces replacement"),
        "{}",
        hover.markdown
    );
}

#[test]
fn completion_offers_the_plugins_arguments_and_types() {
    let f = plugin_project("resource \"null_resource\" \"a\" {\n  $0\n}\n", true);
    let labels: Vec<String> = crate::completions(f.db(), f.pos())
        .into_iter()
        .map(|c| c.label)
        .collect();
    assert!(labels.contains(&"only_in_plugin".to_string()), "{labels:?}");
    let f = plugin_project("resource \"$0\" \"a\" {}\n", true);
    let items = crate::completions(f.db(), f.pos());
    let null = items
        .iter()
        .find(|c| c.label == "null_resource")
        .expect("null_resource offered");
    assert!(
        null.documentation
            .as_deref()
            .is_some_and(|d| d.contains("PLUGIN")),
        "{:?}",
        null.documentation
    );
    // The built-in null's data source is not this module's: the plugin replaces the provider.
    assert!(items.iter().all(|c| c.label != "null_data_source"));
}

#[test]
fn diagnostics_come_from_the_stored_schema_or_ask_for_init() {
    let f = plugin_project(
        "resource \"null_resource\" \"a\" {\n  trigers = {}\n}\n",
        true,
    );
    let diags = crate::file_diagnostics(f.db(), f.files[0]);
    let codes: Vec<&str> = diags.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(codes, ["unknown-argument"], "{diags:?}");
    assert_eq!(diags[0].help.as_deref(), Some("did you mean `triggers`?"));
    let f = plugin_project("resource \"null_resource\" \"a\" {}\n", false);
    let diags = crate::file_diagnostics(f.db(), f.files[0]);
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(diags[0].code.as_str(), "provider-not-installed");
    assert!(diags[0]
        .help
        .as_deref()
        .is_some_and(|h| h.contains("skelc init")));
}
