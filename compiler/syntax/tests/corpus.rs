//! No-panic corpus: every file of `tests/corpus`, broken ones included, parses and formats.

mod common;

#[test]
fn corpus_never_panics() {
    let mut n = 0;
    for entry in std::fs::read_dir(common::corpus_dir()).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        let p = skel_syntax::parse(&text);
        for e in &p.errors {
            assert!(e.range.end() as usize <= text.len(), "{path:?}: {e:?}");
        }
        let _ = skel_syntax::format(&text);
        // Every prefix of small files, as an editor sees them while typing.
        if text.len() < 1500 {
            for (i, _) in text.char_indices() {
                let _ = skel_syntax::parse(&text[..i]);
            }
        }
        n += 1;
    }
    assert!(n >= 30, "only {n} corpus files");
}
