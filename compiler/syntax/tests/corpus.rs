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
        let formatted = skel_syntax::format(&text);
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("valid_") {
            assert!(p.errors.is_empty(), "{name}: {:?}", p.errors);
            // Formatting keeps the file's conventions and is stable.
            let out = formatted.unwrap_or_else(|e| panic!("{name}: {e:?}"));
            assert_eq!(
                out.starts_with('\u{FEFF}'),
                text.starts_with('\u{FEFF}'),
                "{name}"
            );
            let crlf = text.find('\n').is_some_and(|i| text[..i].ends_with('\r'));
            let n_lf = out.matches('\n').count();
            let n_crlf = out.matches("\r\n").count();
            assert_eq!(
                n_crlf,
                if crlf { n_lf } else { 0 },
                "{name}: line ends changed"
            );
            assert_eq!(
                skel_syntax::format(&out).as_ref(),
                Ok(&out),
                "{name}: not stable"
            );
        } else if name.starts_with("broken_") {
            assert!(!p.errors.is_empty(), "{name} parses without errors");
        }
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
