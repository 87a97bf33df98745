//! The formatter keeps every comment, in place: over the corpus, the examples, the checker
//! suites' and docs' code blocks and generated files, the comments of a file and the words
//! around them come out of `format` in the same order (and formatting is idempotent).

mod common;
mod gen;

use std::path::{Path, PathBuf};

use skel_syntax::{format, parse};

/// The file's comments (trailing whitespace trimmed, as the formatter prints them) and its
/// words (identifiers, numbers, string contents), in source order. Formatting changes only
/// spacing, line breaks and commas, so this sequence must survive it unchanged: a comment that
/// moved past a word, or disappeared, shows up here.
fn comments_and_words(text: &str) -> Vec<String> {
    let comments = parse(text).file.comments;
    let mut out = Vec::new();
    let mut word = String::new();
    let mut next = 0;
    let mut at = 0;
    let flush = |word: &mut String, out: &mut Vec<String>| {
        if !word.is_empty() {
            out.push(format!("word {}", std::mem::take(word)));
        }
    };
    while at < text.len() {
        if let Some(c) = comments.get(next) {
            if c.range.start() as usize == at {
                flush(&mut word, &mut out);
                out.push(format!("comment {}", c.text.trim_end()));
                at = c.range.end() as usize;
                next += 1;
                continue;
            }
        }
        let ch = text[at..].chars().next().expect("inside the text");
        if ch.is_alphanumeric() || ch == '_' {
            word.push(ch);
        } else {
            flush(&mut word, &mut out);
        }
        at += ch.len_utf8();
    }
    flush(&mut word, &mut out);
    out
}

fn comment_texts(text: &str) -> Vec<String> {
    parse(text)
        .file
        .comments
        .iter()
        .map(|c| c.text.trim_end().to_string())
        .collect()
}

/// Checks one text; `false` when it has syntax errors (the formatter refuses it).
#[track_caller]
fn check(name: &str, text: &str) -> bool {
    let Ok(once) = format(text) else {
        return false;
    };
    assert_eq!(
        comment_texts(&once),
        comment_texts(text),
        "{name}: the comments changed\n--- before\n{text}\n--- after\n{once}"
    );
    assert_eq!(
        comments_and_words(&once),
        comments_and_words(text),
        "{name}: a comment moved\n--- before\n{text}\n--- after\n{once}"
    );
    assert_eq!(
        format(&once).as_deref(),
        Ok(once.as_str()),
        "{name}: not idempotent\n--- before\n{text}"
    );
    true
}

/// Makes every comment's text unique (`# c` → `#7 c`), so a swap of two comments is seen.
fn number_comments(text: &str) -> String {
    let mut out = text.to_string();
    let comments = parse(text).file.comments;
    for (k, c) in comments.iter().enumerate().rev() {
        let start = c.range.start() as usize;
        let opener = if text[start..].starts_with('#') { 1 } else { 2 };
        out.insert_str(start + opener, &k.to_string());
    }
    out
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn files_under(dir: &Path, exts: &[&str], out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, exts, out);
        } else if path
            .extension()
            .is_some_and(|e| exts.iter().any(|x| e == *x))
        {
            out.push(path);
        }
    }
}

/// The fenced `skel`/`hcl` code blocks of a markdown file.
fn code_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        let fence = line.trim_start();
        match &mut current {
            None if fence.starts_with("```skel") || fence.starts_with("```hcl") => {
                current = Some(String::new());
            }
            Some(block) if fence.starts_with("```") => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
            None => {}
        }
    }
    blocks
}

#[test]
fn the_reported_trailing_comments_survive() {
    for text in [
        "locals {\n  a = \"x\" # note\n  b = \"y\"\n}\n",
        "locals {\n  a = \"x\" // note\n  b = 1\n  c = \"z\" /* c */\n  d = true\n}\n",
        "resource \"x\" \"y\" {\n  name = var.sub_domain # concourse -> concourse.example.io\n  zone = \"example.io\"\n}\n",
        "resource \"x\" \"y\" { # on the block's line\n  a = 1\n}\n",
        "a = [ # on the bracket's line\n  1,\n]\nb = { # and here\n  k = 1\n}\n",
        "a = [\n  \"x\", # one\n  \"y\", # two\n]\n",
        "m = {\n  a = \"x\" # one\n  b = \"y\" # two\n}\n",
        "a = /*0*/ {\n  b = 1\n}\n",
        "resource /*a*/ \"x\" /*b*/ \"y\" /*c*/ {\n  k /*d*/ = /*e*/ 1\n}\n",
        "in = /*0 c */ { /*1 c */ true\t= ( { for in, x-y in 0 : -!0 => true\t} /*2 c */ + 1).a\n}\n",
        "m = {\n  h = <<EOT\nx\nEOT\n  k = 1 # after a heredoc\n}\n",
        "t = [local, <<EOF\nx\nEOF\n /*c*/ ]\n",
    ] {
        let once = format(text).expect("formats");
        for c in comment_texts(text) {
            assert!(once.contains(&c), "lost `{c}`:\n{once}");
        }
        assert!(check("case", text));
    }
    assert_eq!(
        format("locals {\n  a = \"x\" # note\n  b = \"y\"\n}\n").unwrap(),
        "locals {\n  a = \"x\" # note\n  b = \"y\"\n}\n"
    );
    assert_eq!(
        format("resource \"x\" \"y\" { # head\n  a = 1\n}\n").unwrap(),
        "resource \"x\" \"y\" { # head\n  a = 1\n}\n"
    );
}

#[test]
fn corpus_examples_and_docs_keep_every_comment() {
    let mut files = Vec::new();
    files_under(&common::corpus_dir(), &["skel", "tf"], &mut files);
    files_under(&repo().join("examples"), &["skel", "skelvars"], &mut files);
    files_under(&repo().join("compiler/skelc/tests"), &["skel"], &mut files);
    files_under(&repo().join("bench"), &["skel"], &mut files);
    files.sort();
    let mut formatted = 0;
    for path in &files {
        let text = std::fs::read_to_string(path).expect("readable");
        if check(&path.display().to_string(), &text) {
            formatted += 1;
        }
        let numbered = number_comments(&text);
        check(&format!("{} (numbered)", path.display()), &numbered);
    }
    let mut markdown = Vec::new();
    files_under(&repo().join("tests/mdtest"), &["md"], &mut markdown);
    files_under(&repo().join("docs"), &["md"], &mut markdown);
    markdown.push(repo().join("README.md"));
    let mut blocks = 0;
    for path in &markdown {
        let text = std::fs::read_to_string(path).expect("readable");
        for (k, block) in code_blocks(&text).iter().enumerate() {
            if check(&format!("{} block {k}", path.display()), block) {
                blocks += 1;
            }
        }
    }
    assert!(formatted >= 30, "only {formatted} files formatted");
    assert!(blocks >= 200, "only {blocks} code blocks formatted");
}

/// 2,500 generated files; `FMT_SEEDS=N` adds N more (a longer search, run by hand:
/// `FMT_SEEDS=100000 cargo test --release -p skel_syntax --test format_comments`).
#[test]
fn generated_files_keep_every_comment() {
    let extra: u64 = std::env::var("FMT_SEEDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let mut formatted = 0;
    let mut with_comments = 0;
    for seed in 0..2500 + extra {
        let mut g = gen::Gen::new(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) + 11);
        let text = number_comments(&g.file());
        if check(&format!("seed {seed}"), &text) {
            formatted += 1;
            if !parse(&text).file.comments.is_empty() {
                with_comments += 1;
            }
        }
    }
    assert!(
        formatted >= 800,
        "only {formatted} generated files formatted"
    );
    assert!(with_comments >= 400, "only {with_comments} with comments");
}
