//! Differential check of the fast parser against pest, the executable specification; used by
//! `tests/differential.rs` and the fuzz target.

use pest::Parser;

use crate::ast::*;
use crate::build::Builder;
use crate::fast;
use crate::parser::{HclParser, Rule};
use crate::scanner::{self, Mode, MAX_DEPTH};

/// How many items (and standalone expressions) a check compared.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Both parsers succeeded and built equal trees.
    pub equal: usize,
    /// pest failed (or its builder reported an error) and the fast parser refused too.
    pub both_failed: usize,
}

/// Parses every top-level item of `text` (and `text` as a standalone expression) with both
/// parsers. When pest succeeds without errors the fast parser must build an equal tree; when
/// pest fails the fast parser must fail too, so the fallback is taken. Also checks that the
/// public `parse` equals the pest-only parse, and that the scanner agrees with its
/// byte-at-a-time reference in every mode.
pub fn check_equivalence(text: &str) -> Result<Counts, String> {
    let mut counts = Counts::default();
    for mode in [Mode::File, Mode::Body, Mode::Expr] {
        let (fast, reference) = (
            scanner::scan(text, 3, mode),
            scanner::reference::scan(text, 3, mode),
        );
        if fast != reference {
            return Err(format!(
                "the scanner differs from its reference for {text:?}:\n{fast:#?}\nvs\n{reference:#?}"
            ));
        }
    }
    let scan = scanner::scan(text, 0, Mode::File);
    let norm = scan.normalized(text);
    for span in &scan.items {
        if span.depth > MAX_DEPTH {
            continue;
        }
        let Some(t) = norm.get(span.start..span.end) else {
            continue;
        };
        let want = pest_item(t);
        let got = fast::parse_item(t);
        compare(t, want, got, &mut counts)?;
    }
    let scan = scanner::scan(text, 0, Mode::Expr);
    if scan.items.iter().all(|s| s.depth <= MAX_DEPTH) {
        let norm = scan.normalized(text);
        let want = pest_expr(&norm);
        let got = fast::parse_expr(&norm);
        compare(&norm, want, got, &mut counts)?;
    }
    let a = crate::parse(text);
    let b = crate::parse_with_pest_only(text);
    if a != b {
        return Err(format!(
            "parse differs from the pest-only parse for {text:?}:\n{a:#?}\nvs\n{b:#?}"
        ));
    }
    Ok(counts)
}

fn compare<T: PartialEq + std::fmt::Debug>(
    t: &str,
    want: Option<T>,
    got: Option<T>,
    counts: &mut Counts,
) -> Result<(), String> {
    match (want, got) {
        (Some(w), Some(g)) if w == g => counts.equal += 1,
        (None, None) => counts.both_failed += 1,
        (w, g) => {
            return Err(format!(
                "divergence on {t:?}:\n{}",
                first_difference(&w, &g)
            ))
        }
    }
    Ok(())
}

/// The first differing line of the two debug dumps, with a little context.
fn first_difference<T: std::fmt::Debug>(pest: &Option<T>, fast: &Option<T>) -> String {
    let (a, b) = (format!("{pest:#?}"), format!("{fast:#?}"));
    let (la, lb): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    let k = la.iter().zip(&lb).take_while(|(x, y)| x == y).count();
    let from = k.saturating_sub(12);
    let ctx = |l: &[&str]| l[from.min(l.len())..(k + 3).min(l.len())].join("\n");
    format!("pest:\n{}\nfast:\n{}", ctx(&la), ctx(&lb))
}

/// The pest path for one top-level item: `None` when it fails or reports an error.
fn pest_item(t: &str) -> Option<Item> {
    let mut pairs = HclParser::parse(Rule::top_item, t).ok()?;
    let mut b = Builder::new(0, 0);
    let item = b.item(pairs.next()?.into_inner().next()?);
    b.errors.is_empty().then_some(item)
}

fn pest_expr(t: &str) -> Option<Expr> {
    let mut pairs = HclParser::parse(Rule::expr_only, t).ok()?;
    let mut b = Builder::new(0, 0);
    let p = pairs
        .next()?
        .into_inner()
        .find(|p| p.as_rule() == Rule::expr)?;
    let e = b.expr(p, 0);
    b.errors.is_empty().then_some(e)
}
