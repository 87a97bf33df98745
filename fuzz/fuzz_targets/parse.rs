//! Fuzz target: parse and format arbitrary UTF-8 without panicking; formatting is idempotent
//! and keeps every comment (the same comment texts, in the same order); the hand-written fast
//! parser and pest (the specification) agree on every top-level item.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let p = skel_syntax::parse(text);
        for e in &p.errors {
            assert!(e.range.end() as usize <= text.len());
        }
        let _ = skel_syntax::parse_expr(text);
        if let Err(e) = skel_syntax::check_equivalence(text) {
            panic!("fast parser and pest disagree: {e}");
        }
        if let Ok(once) = skel_syntax::format(text) {
            assert_eq!(
                comment_texts(&once),
                comment_texts(text),
                "format lost, added or reordered a comment"
            );
            let twice = skel_syntax::format(&once).expect("formatted output parses");
            assert_eq!(once, twice, "format is not idempotent");
        }
    }
});

/// The comments of a file, trailing whitespace trimmed (as the formatter prints them).
fn comment_texts(text: &str) -> Vec<String> {
    skel_syntax::parse(text)
        .file
        .comments
        .iter()
        .map(|c| c.text.trim_end().to_string())
        .collect()
}
