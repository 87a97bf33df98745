//! Differential tests: the hand-written fast parser against pest, the executable specification.
//!
//! For every corpus file, every string literal of this crate's other tests, and thousands of
//! generated snippets (valid ones, their prefixes and single-byte mutations), each top-level item
//! must parse to an equal tree with both parsers, or fail with both (so the pest fallback runs).

mod common;

use skel_syntax::{check_equivalence, DifferentialCounts};

#[derive(Default)]
struct Totals {
    inputs: usize,
    equal: usize,
    both_failed: usize,
}

impl Totals {
    fn check(&mut self, text: &str) {
        match check_equivalence(text) {
            Ok(DifferentialCounts { equal, both_failed }) => {
                self.inputs += 1;
                self.equal += equal;
                self.both_failed += both_failed;
            }
            Err(e) => panic!("{e}"),
        }
    }
}

/// Runs `f` on a large stack: pest refuses input when its stack runs low, which would show up
/// as a spurious difference on the deep corpus files.
fn big_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn corpus_files_and_their_prefixes() {
    big_stack(corpus);
}

fn corpus() {
    let mut t = Totals::default();
    for entry in std::fs::read_dir(common::corpus_dir()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        t.check(&text);
        if text.len() < 3000 {
            for (i, _) in text.char_indices() {
                t.check(&text[..i]);
            }
        }
    }
    eprintln!(
        "corpus: {} inputs, {} equal items, {} refused by both",
        t.inputs, t.equal, t.both_failed
    );
    assert!(t.equal > 500 && t.both_failed > 100);
}

/// The string literals (plain and raw) of a Rust source file, unescaped.
fn string_literals(src: &str) -> Vec<String> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'/' && b.get(i + 1) == Some(&b'/') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if b[i] == b'\'' {
            // A char literal like '"' or '\'' (lifetimes are harmless: no quote follows).
            if b.get(i + 2) == Some(&b'\'') {
                i += 3;
            } else if b.get(i + 1) == Some(&b'\\') && b.get(i + 3) == Some(&b'\'') {
                i += 4;
            } else {
                i += 1;
            }
        } else if b[i] == b'r' && matches!(b.get(i + 1), Some(b'#' | b'"')) {
            let mut j = i + 1;
            while b.get(j) == Some(&b'#') {
                j += 1;
            }
            if b.get(j) != Some(&b'"') {
                i += 1;
                continue;
            }
            let close = format!("\"{}", "#".repeat(j - i - 1));
            let body = j + 1;
            let end = src[body..].find(&close).map_or(b.len(), |k| body + k);
            out.push(src[body..end].to_string());
            i = end + close.len();
        } else if b[i] == b'"' {
            let mut s = String::new();
            let mut chars = src[i + 1..].char_indices();
            let mut end = b.len();
            while let Some((k, c)) = chars.next() {
                match c {
                    '"' => {
                        end = i + 1 + k + 1;
                        break;
                    }
                    '\\' => match chars.next() {
                        Some((_, 'n')) => s.push('\n'),
                        Some((_, 't')) => s.push('\t'),
                        Some((_, 'r')) => s.push('\r'),
                        Some((_, '0')) => s.push('\0'),
                        Some((_, '\n')) => {
                            while let Some((_, c)) = chars.clone().next() {
                                if !c.is_whitespace() {
                                    break;
                                }
                                chars.next();
                            }
                        }
                        Some((_, 'u')) => {
                            let rest = &src[i + 1 + k + 2..];
                            let close = rest.find('}').unwrap_or(0);
                            let hex = rest.get(1..close).unwrap_or("");
                            if let Some(c) =
                                u32::from_str_radix(hex, 16).ok().and_then(char::from_u32)
                            {
                                s.push(c);
                            }
                            for _ in 0..=close {
                                chars.next();
                            }
                        }
                        Some((_, c)) => s.push(c),
                        None => {}
                    },
                    c => s.push(c),
                }
            }
            out.push(s);
            i = end;
        } else {
            i += 1;
        }
    }
    out
}

#[test]
fn inputs_of_the_other_tests() {
    big_stack(test_inputs);
}

fn test_inputs() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut t = Totals::default();
    for name in ["syntax.rs", "recovery.rs", "format.rs", "corpus.rs"] {
        let src = std::fs::read_to_string(dir.join(name)).unwrap();
        for lit in string_literals(&src) {
            t.check(&lit);
            // `expr_of` wraps its input in an attribute.
            t.check(&format!("x = {lit}\n"));
            for (i, _) in lit.char_indices() {
                t.check(&lit[..i]);
            }
        }
    }
    eprintln!(
        "test inputs: {} inputs, {} equal items, {} refused by both",
        t.inputs, t.equal, t.both_failed
    );
    assert!(t.inputs > 300 && t.equal > 300);
}

#[path = "gen/mod.rs"]
mod gen;

#[test]
fn generated_snippets_prefixes_and_mutations() {
    big_stack(generated);
}

fn generated() {
    let mut t = Totals::default();
    let mut g = gen::Gen::new(0x5eed_cafe_f00d);
    for round in 0..800 {
        let text = g.file();
        t.check(&text);
        if round % 25 == 0 {
            for (i, _) in text.char_indices().step_by(3) {
                t.check(&text[..i]);
            }
        }
        for _ in 0..3 {
            t.check(&g.mutate(&text));
        }
        let e = g.expr(4);
        t.check(&e);
        t.check(&format!("x = {e}\n"));
    }
    eprintln!(
        "generated: {} inputs, {} equal items, {} refused by both",
        t.inputs, t.equal, t.both_failed
    );
    assert!(t.equal > 3000 && t.both_failed > 300);
}
