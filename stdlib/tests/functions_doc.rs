//! `docs/functions.md` is generated from the stdlib's own signatures and descriptions; this test
//! fails when it is out of date. Regenerate with `UPDATE_DOCS=1 cargo test -p skel_stdlib --test functions_doc`.

use std::path::Path;

fn render() -> String {
    let mut out = String::from(
        "# Built-in functions\n\n<!-- Generated from stdlib/src by `UPDATE_DOCS=1 cargo test -p skel_stdlib --test functions_doc`; do not edit. -->\n\n",
    );
    let functions = skel_stdlib::all();
    out.push_str(&format!(
        "skel has {} built-in functions with Terraform-compatible semantics. The checker knows each signature and result type, so a wrong argument is an error in `skelc check`, not at apply.\n\n",
        functions.len()
    ));
    out.push_str("| function | signature | description |\n|---|---|---|\n");
    for f in functions {
        let signature = skel_stdlib::signature_string(f).replace('|', "\\|");
        let description = f.description.replace('|', "\\|").replace('\n', " ");
        let impure = if f.impure {
            " *(impure: the result can differ between runs)*"
        } else {
            ""
        };
        out.push_str(&format!(
            "| `{}` | `{signature}` | {description}{impure} |\n",
            f.name
        ));
    }
    out
}

#[test]
fn functions_doc_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/functions.md");
    let want = render();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &want).expect("write docs/functions.md");
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(have == want, "docs/functions.md is out of date; run UPDATE_DOCS=1 cargo test -p skel_stdlib --test functions_doc");
}

#[test]
fn every_function_has_a_description_and_unique_name() {
    let functions = skel_stdlib::all();
    assert!(functions.len() >= 75, "only {} functions", functions.len());
    for pair in functions.windows(2) {
        assert!(
            pair[0].name < pair[1].name,
            "not sorted or duplicated: {}",
            pair[1].name
        );
    }
    for f in functions {
        assert!(
            !f.description.trim().is_empty(),
            "{} has no description",
            f.name
        );
        assert!(skel_stdlib::lookup(f.name).is_some());
    }
}
