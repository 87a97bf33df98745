//! Every feature at every offset of corpus files and odd inputs: nothing panics.

use std::path::Path;

use skel_db::Db;
use skel_syntax::TextRange;

use super::fixture;
use crate::FilePosition;

fn run_everywhere(text: &str) {
    let f = fixture(&format!("//- /m/main.skel\n{text}"));
    let file = f.files[0];
    let db = f.db();
    let len = file.text(db).as_ref().map_or(0, |t| t.len()) as u32;
    let all = TextRange::new(0, len);
    crate::document_symbols(db, file);
    crate::workspace_symbols(db, &f.files, "a");
    crate::semantic_tokens(db, file);
    crate::inlay_hints(db, file, all);
    crate::code_actions(db, file, all);
    crate::file_diagnostics(db, file);
    crate::format(db, file);
    for offset in 0..=len + 1 {
        let position = FilePosition { file, offset };
        crate::hover(db, position);
        crate::completions(db, position);
        crate::goto_definition(db, position);
        crate::references(db, position, true);
        let _ = crate::prepare_rename(db, position);
        let _ = crate::rename(db, position, "renamed");
        crate::code_actions(db, file, TextRange::empty(offset.min(len)));
    }
}

#[test]
fn never_panics_on_corpus_files() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .expect("corpus")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "skel"))
        .collect();
    names.sort();
    // A few of each kind keep the test fast: every feature at every offset is quadratic.
    for path in names.iter().filter(|p| {
        let n = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        n.starts_with("broken") || n.starts_with("deep") || n.contains("template")
    }) {
        let text = std::fs::read_to_string(path).expect("read");
        if text.len() < 4000 {
            run_everywhere(&text);
        }
    }
}

#[test]
fn never_panics_on_odd_inputs() {
    for text in [
        "",
        "resource \"",
        "var.",
        "locals { a = var. }",
        "resource \"aws_instance\" \"x\" { ami = \"é✓\" tags = { a = \"${var.\" } }",
        "module \"m\" { source = \"../../x\" }\noutput \"o\" { value = module.m.x }",
        "x = <<EOT\nab ${c}\nEOT\n",
        "locals { a = [for x in [1] : x.] }\n/* unterminated",
    ] {
        run_everywhere(text);
    }
}

/// The real examples on disk: every feature at many offsets, and references from a child
/// module's output into the calling example.
#[test]
fn examples_on_disk() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let root = skel_hir::normalize_path(&root);
    let db = skel_db::SkelDatabase::default();
    let main = db.file(&root.join("walking-skeleton/main.skel"));
    let text = main.text(&db).clone().expect("example text");
    let len = text.len() as u32;
    crate::semantic_tokens(&db, main);
    crate::document_symbols(&db, main);
    crate::inlay_hints(&db, main, TextRange::new(0, len));
    assert!(crate::file_diagnostics(&db, main).is_empty());
    for offset in (0..len).step_by(5) {
        let position = FilePosition { file: main, offset };
        crate::hover(&db, position);
        crate::completions(&db, position);
        crate::goto_definition(&db, position);
    }
    let vpc = db.file(&root.join("modules/vpc/outputs.skel"));
    let vpc_text = vpc.text(&db).clone().unwrap_or_default();
    if let Some(at) = vpc_text.find("output \"vpc_id\"") {
        let position = FilePosition {
            file: vpc,
            offset: at as u32 + 9,
        };
        let refs = crate::references(&db, position, false);
        assert!(
            refs.iter().any(|(f, _)| *f == main),
            "module.vpc.vpc_id in the caller: {refs:?}"
        );
    }
}
