//! Document symbols (nested: locals' values, resources' nested blocks) and workspace symbols
//! (case-insensitive subsequence match).

use skel_db::{Db, File};
use skel_syntax::{Block, Item, TextRange, TextSize};

use crate::resolve::label_inner;
use crate::{DocumentSymbol, NavigationTarget, SymbolKind};

pub(crate) fn document_symbols(db: &dyn Db, file: File) -> Vec<DocumentSymbol> {
    let parse = skel_db::parse(db, file);
    let mut out = Vec::new();
    for top in &parse.file.items {
        let Item::Block(b) = &*top.item else {
            continue;
        };
        let off = top.offset;
        let l = |i: usize| b.label(i).unwrap_or_default();
        let (name, kind, detail) = match b.ident.name.as_str() {
            "variable" => (l(0).to_string(), SymbolKind::Variable, type_text(b)),
            "locals" => ("locals".to_string(), SymbolKind::Block, None),
            "resource" => (format!("{}.{}", l(0), l(1)), SymbolKind::Resource, None),
            "data" => (
                format!("data.{}.{}", l(0), l(1)),
                SymbolKind::DataSource,
                None,
            ),
            "module" => (
                format!("module.{}", l(0)),
                SymbolKind::Module,
                b.body
                    .attribute("source")
                    .and_then(|a| a.expr.as_literal_string()),
            ),
            "output" => (l(0).to_string(), SymbolKind::Output, None),
            "provider" => (l(0).to_string(), SymbolKind::Provider, None),
            "skel" | "terraform" => (b.ident.name.clone(), SymbolKind::Settings, None),
            other => (other.to_string(), SymbolKind::Block, None),
        };
        let children = if b.ident.name == "locals" {
            b.body
                .attributes()
                .map(|a| DocumentSymbol {
                    name: a.name.name.clone(),
                    detail: None,
                    kind: SymbolKind::Local,
                    range: a.range.shifted(off),
                    selection_range: a.name.range.shifted(off),
                    children: Vec::new(),
                })
                .collect()
        } else {
            nested_blocks(b, off)
        };
        out.push(DocumentSymbol {
            name,
            detail,
            kind,
            range: b.range.shifted(off),
            selection_range: selection(b).shifted(off),
            children,
        });
    }
    out
}

fn selection(b: &Block) -> TextRange {
    b.labels.last().map(label_inner).unwrap_or(b.ident.range)
}

fn type_text(b: &Block) -> Option<String> {
    b.body
        .attribute("type")
        .and_then(|a| skel_types::type_from_expr(&a.expr).ok())
        .map(|t| t.to_string())
}

fn nested_blocks(b: &Block, off: TextSize) -> Vec<DocumentSymbol> {
    b.body
        .blocks()
        .map(|inner| {
            let mut name = inner.ident.name.clone();
            for l in &inner.labels {
                name.push_str(&format!(" \"{}\"", l.value));
            }
            DocumentSymbol {
                name,
                detail: None,
                kind: SymbolKind::Block,
                range: inner.range.shifted(off),
                selection_range: selection(inner).shifted(off),
                children: nested_blocks(inner, off),
            }
        })
        .collect()
}

/// Whether `query`'s characters appear in `name` in order, ignoring case.
pub(crate) fn subsequence(name: &str, query: &str) -> bool {
    let mut chars = name.chars().flat_map(char::to_lowercase);
    query
        .chars()
        .flat_map(char::to_lowercase)
        .all(|q| chars.any(|c| c == q))
}

pub(crate) fn workspace_symbols(db: &dyn Db, files: &[File], query: &str) -> Vec<NavigationTarget> {
    let mut out = Vec::new();
    for &file in files {
        for s in document_symbols(db, file) {
            let top = (s.kind != SymbolKind::Block).then_some(&s);
            let locals = s.children.iter().filter(|c| c.kind == SymbolKind::Local);
            for sym in top.into_iter().chain(locals) {
                let name = match sym.kind {
                    SymbolKind::Variable => format!("var.{}", sym.name),
                    SymbolKind::Local => format!("local.{}", sym.name),
                    SymbolKind::Output => format!("output.{}", sym.name),
                    _ => sym.name.clone(),
                };
                if subsequence(&name, query) {
                    out.push(NavigationTarget {
                        file,
                        full_range: sym.range,
                        focus_range: sym.selection_range,
                        name,
                        kind: sym.kind,
                    });
                }
            }
        }
    }
    out
}
