//! Fuzz target: parse and format arbitrary UTF-8 without panicking; formatting is idempotent;
//! the hand-written fast parser and pest (the specification) agree on every top-level item.
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
            let twice = skel_syntax::format(&once).expect("formatted output parses");
            assert_eq!(once, twice, "format is not idempotent");
        }
    }
});
