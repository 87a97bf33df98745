//! Test helpers: compact S-expression dumps of trees, without ranges.

#![allow(dead_code)]

use skel_syntax::*;

pub fn sexpr(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Null => "null".into(),
        ExprKind::Bool(b) => b.to_string(),
        ExprKind::Number(n) => n.clone(),
        ExprKind::Template(t) => {
            let parts: Vec<String> = t.parts.iter().map(part).collect();
            match &t.kind {
                TemplateKind::Quoted => format!("(tpl {})", parts.join(" ")),
                TemplateKind::Heredoc { marker, indented } => {
                    format!(
                        "(heredoc {marker}{} {})",
                        if *indented { "-" } else { "" },
                        parts.join(" ")
                    )
                }
            }
        }
        ExprKind::Variable(v) => v.name.clone(),
        ExprKind::Tuple(items) => format!(
            "[{}]",
            items.iter().map(sexpr).collect::<Vec<_>>().join(" ")
        ),
        ExprKind::Object(items) => format!(
            "{{{}}}",
            items
                .iter()
                .map(|i| format!(
                    "{}{}{}",
                    sexpr(&i.key),
                    if i.colon { ":" } else { "=" },
                    sexpr(&i.value)
                ))
                .collect::<Vec<_>>()
                .join(" ")
        ),
        ExprKind::Call {
            name,
            args,
            expand_final,
        } => format!(
            "(call {}{}{})",
            name.name,
            args.iter()
                .map(|a| format!(" {}", sexpr(a)))
                .collect::<String>(),
            if *expand_final { "..." } else { "" }
        ),
        ExprKind::GetAttr { expr, name } => format!("(. {} {})", sexpr(expr), name.name),
        ExprKind::Index { expr, index } => format!("([] {} {})", sexpr(expr), sexpr(index)),
        ExprKind::Splat { expr, full, each } => {
            format!(
                "(splat{} {} {})",
                if *full { "[*]" } else { ".*" },
                sexpr(expr),
                sexpr(each)
            )
        }
        ExprKind::SplatItem => "@".into(),
        ExprKind::Unary { op, expr } => format!(
            "({} {})",
            if *op == UnaryOp::Neg { "-" } else { "!" },
            sexpr(expr)
        ),
        ExprKind::Binary { op, lhs, rhs } => {
            format!("({} {} {})", op.as_str(), sexpr(lhs), sexpr(rhs))
        }
        ExprKind::Conditional { cond, then, other } => {
            format!("(? {} {} {})", sexpr(cond), sexpr(then), sexpr(other))
        }
        ExprKind::ForTuple {
            key_var,
            value_var,
            collection,
            value,
            cond,
        } => format!(
            "(for[] {}{} {} {}{})",
            key_var
                .as_ref()
                .map(|k| format!("{},", k.name))
                .unwrap_or_default(),
            value_var.name,
            sexpr(collection),
            sexpr(value),
            cond.as_ref()
                .map(|c| format!(" if {}", sexpr(c)))
                .unwrap_or_default()
        ),
        ExprKind::ForObject {
            key_var,
            value_var,
            collection,
            key,
            value,
            grouping,
            cond,
        } => format!(
            "(for{{}} {}{} {} {} {}{}{})",
            key_var
                .as_ref()
                .map(|k| format!("{},", k.name))
                .unwrap_or_default(),
            value_var.name,
            sexpr(collection),
            sexpr(key),
            sexpr(value),
            if *grouping { "..." } else { "" },
            cond.as_ref()
                .map(|c| format!(" if {}", sexpr(c)))
                .unwrap_or_default()
        ),
        ExprKind::Parens(e) => format!("(paren {})", sexpr(e)),
        ExprKind::Error => "ERR".into(),
    }
}

fn strip(s: &Strip) -> String {
    format!(
        "{}{}",
        if s.left { "~<" } else { "" },
        if s.right { "~>" } else { "" }
    )
}

fn parts(ps: &[TemplatePart]) -> String {
    ps.iter().map(part).collect::<Vec<_>>().join(" ")
}

pub fn part(p: &TemplatePart) -> String {
    match p {
        TemplatePart::Literal { value, .. } => format!("{value:?}"),
        TemplatePart::Interpolation { expr, strip: s, .. } => {
            format!("${{{}{}}}", strip(s), sexpr(expr))
        }
        TemplatePart::If {
            cond, then, other, ..
        } => format!(
            "(if {} [{}]{})",
            sexpr(cond),
            parts(then),
            other
                .as_ref()
                .map(|o| format!(" else [{}]", parts(o)))
                .unwrap_or_default()
        ),
        TemplatePart::For {
            key_var,
            value_var,
            collection,
            body,
            ..
        } => format!(
            "(for {}{} {} [{}])",
            key_var
                .as_ref()
                .map(|k| format!("{},", k.name))
                .unwrap_or_default(),
            value_var.name,
            sexpr(collection),
            parts(body)
        ),
    }
}

pub fn item(i: &Item) -> String {
    match i {
        Item::Attribute(a) => format!("{} = {}", a.name.name, sexpr(&a.expr)),
        Item::Block(b) => {
            let labels: String = b
                .labels
                .iter()
                .map(|l| {
                    if l.quoted {
                        format!(" {:?}", l.value)
                    } else {
                        format!(" {}", l.value)
                    }
                })
                .collect();
            let body: Vec<String> = b.body.items.iter().map(item).collect();
            format!("{}{} {{ {} }}", b.ident.name, labels, body.join("; "))
        }
        Item::Error(_) => "ERROR".into(),
    }
}

/// The whole file as one line per top-level item, without ranges.
pub fn file(p: &Parse) -> String {
    p.file
        .items
        .iter()
        .map(|t| item(&t.item))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The expression of the single attribute `x = …`.
pub fn expr_of(src: &str) -> String {
    let p = parse(&format!("x = {src}\n"));
    assert!(p.errors.is_empty(), "{src}: {:?}", p.errors);
    match &*p.file.items[0].item {
        Item::Attribute(a) => sexpr(&a.expr),
        other => panic!("not an attribute: {other:?}"),
    }
}

pub fn corpus_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus")
}
