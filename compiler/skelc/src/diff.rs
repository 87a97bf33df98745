//! Unified diffs (`diff -u` / `git diff` style) for `skelc fmt --diff`: `---`/`+++` file
//! headers, `@@ -a,b +c,d @@` hunks with three lines of context, from a Myers shortest edit
//! script over lines.

use std::fmt::Write;

const CONTEXT: usize = 3;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Edit {
    Keep,
    Delete,
    Insert,
}

/// The shortest edit script turning `a` into `b` (Myers' O((N+M)·D) algorithm).
fn edits(a: &[&str], b: &[&str]) -> Vec<Edit> {
    let (n, m) = (a.len() as isize, b.len() as isize);
    let max = (n + m) as usize;
    let offset = max as isize + 1;
    let mut v = vec![0isize; 2 * max + 3];
    let mut trace: Vec<Vec<isize>> = Vec::new();
    'search: for d in 0..=max as isize {
        trace.push(v.clone());
        let mut k = -d;
        while k <= d {
            let down =
                k == -d || (k != d && v[(k - 1 + offset) as usize] < v[(k + 1 + offset) as usize]);
            let mut x = if down {
                v[(k + 1 + offset) as usize]
            } else {
                v[(k - 1 + offset) as usize] + 1
            };
            let mut y = x - k;
            while x < n && y < m && a[x as usize] == b[y as usize] {
                x += 1;
                y += 1;
            }
            v[(k + offset) as usize] = x;
            if x >= n && y >= m {
                break 'search;
            }
            k += 2;
        }
    }
    // Walk the trace back from the end.
    let mut out = Vec::new();
    let (mut x, mut y) = (n, m);
    for d in (0..trace.len() as isize).rev() {
        let v = &trace[d as usize];
        let k = x - y;
        let down =
            k == -d || (k != d && v[(k - 1 + offset) as usize] < v[(k + 1 + offset) as usize]);
        let prev_k = if down { k + 1 } else { k - 1 };
        let prev_x = v[(prev_k + offset) as usize];
        let prev_y = prev_x - prev_k;
        while x > prev_x && y > prev_y {
            out.push(Edit::Keep);
            x -= 1;
            y -= 1;
        }
        if d > 0 {
            out.push(if down { Edit::Insert } else { Edit::Delete });
        }
        x = prev_x;
        y = prev_y;
    }
    out.reverse();
    out
}

/// A unified diff from `old` to `new`, headed `--- a/PATH` / `+++ b/PATH` (`--- PATH` for an
/// absolute path); empty when the texts are equal.
pub fn unified(path: &str, old: &str, new: &str) -> String {
    if old == new {
        return String::new();
    }
    let a: Vec<&str> = old.split_inclusive('\n').collect();
    let b: Vec<&str> = new.split_inclusive('\n').collect();
    let script = edits(&a, &b);
    // Each edit with the line numbers (0-based) before it in `a` and `b`.
    let mut steps = Vec::with_capacity(script.len());
    let (mut i, mut j) = (0usize, 0usize);
    for e in script {
        steps.push((e, i, j));
        match e {
            Edit::Keep => {
                i += 1;
                j += 1;
            }
            Edit::Delete => i += 1,
            Edit::Insert => j += 1,
        }
    }
    let (old_name, new_name) = if path.starts_with('/') {
        (path.to_string(), path.to_string())
    } else {
        (format!("a/{path}"), format!("b/{path}"))
    };
    let mut out = format!("--- {old_name}\n+++ {new_name}\n");
    let changed: Vec<usize> = (0..steps.len())
        .filter(|&s| steps[s].0 != Edit::Keep)
        .collect();
    let mut h = 0;
    while h < changed.len() {
        // A hunk: changes closer than twice the context join.
        let first = changed[h];
        let mut last = first;
        while h + 1 < changed.len() && changed[h + 1] - last <= 2 * CONTEXT {
            h += 1;
            last = changed[h];
        }
        h += 1;
        let start = first.saturating_sub(CONTEXT);
        let end = (last + CONTEXT + 1).min(steps.len());
        let (_, a_start, b_start) = steps[start];
        let a_len = steps[start..end]
            .iter()
            .filter(|s| s.0 != Edit::Insert)
            .count();
        let b_len = steps[start..end]
            .iter()
            .filter(|s| s.0 != Edit::Delete)
            .count();
        let range = |start: usize, len: usize| {
            let first = if len == 0 { start } else { start + 1 };
            if len == 1 {
                format!("{first}")
            } else {
                format!("{first},{len}")
            }
        };
        let _ = writeln!(
            out,
            "@@ -{} +{} @@",
            range(a_start, a_len),
            range(b_start, b_len)
        );
        for &(e, i, j) in &steps[start..end] {
            let (mark, line) = match e {
                Edit::Keep => (' ', a[i]),
                Edit::Delete => ('-', a[i]),
                Edit::Insert => ('+', b[j]),
            };
            out.push(mark);
            out.push_str(line);
            if !line.ends_with('\n') {
                out.push_str("\n\\ No newline at end of file\n");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::unified;

    #[test]
    fn a_changed_line_has_context_and_headers() {
        let old = "a\nb\nc\nd\ne\nf\ng\nh\n";
        let new = "a\nb\nc\nD\ne\nf\ng\nh\n";
        assert_eq!(
            unified("x.skel", old, new),
            "--- a/x.skel\n+++ b/x.skel\n@@ -1,7 +1,7 @@\n a\n b\n c\n-d\n+D\n e\n f\n g\n"
        );
    }

    #[test]
    fn removed_and_added_lines_keep_their_order() {
        let diff = unified("m.skel", "x = 1 # c\ny = 2\n", "x = 1\ny = 2\nz = 3\n");
        assert_eq!(
            diff,
            "--- a/m.skel\n+++ b/m.skel\n@@ -1,2 +1,3 @@\n-x = 1 # c\n+x = 1\n y = 2\n+z = 3\n"
        );
    }

    #[test]
    fn far_apart_changes_make_two_hunks_and_a_missing_newline_is_marked() {
        let old: String = (1..=20).map(|i| format!("{i}\n")).collect();
        let new: String = (1..=20)
            .map(|i| match i {
                2 => "two\n".to_string(),
                20 => "20".to_string(),
                _ => format!("{i}\n"),
            })
            .collect();
        let diff = unified("/abs/f.skel", &old, &new);
        assert!(
            diff.starts_with(
                "--- /abs/f.skel\n+++ /abs/f.skel\n@@ -1,5 +1,5 @@\n 1\n-2\n+two\n 3\n"
            ),
            "{diff}"
        );
        assert!(
            diff.contains(
                "@@ -17,4 +17,4 @@\n 17\n 18\n 19\n-20\n+20\n\\ No newline at end of file\n"
            ),
            "{diff}"
        );
    }

    #[test]
    fn equal_texts_give_nothing() {
        assert_eq!(unified("f", "a\n", "a\n"), "");
    }
}
