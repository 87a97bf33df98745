//! Tests of the scope rules: what each walk sees bound, and what a reference names.

use skel_syntax::{parse, parse_expr, Item};

use super::*;

/// The references of `text` (an expression) as `root.name` strings, with the shadowing of
/// the walker applied.
fn refs_of(text: &str) -> Vec<String> {
    let (expr, errors) = parse_expr(text);
    assert!(errors.is_empty(), "{errors:?}");
    let mut out = Vec::new();
    walk_expr(&expr, &mut Scopes::<()>::default(), &mut |e, scopes| {
        if let Some(t) = reference(e, scopes) {
            out.push(describe(t));
        }
    });
    out
}

fn describe(t: Target<'_>) -> String {
    match t {
        Target::Variable(n) => format!("var.{}", n.name),
        Target::Local(n) => format!("local.{}", n.name),
        Target::ModuleCall(n) => format!("module.{}", n.name),
        Target::Data { ty, name } => format!("data.{}.{}", ty.name, name.name),
        Target::Resource { ty, name } => format!("{}.{}", ty.name, name.name),
        Target::Builtin { root, attr } => format!("{}.{}", root.name(), attr.name),
    }
}

#[test]
fn references_of_every_root() {
    assert_eq!(
        refs_of("[var.a, local.b, module.c.out, data.t.d.id, aws_vpc.main.id, count.index, each.key, path.module, self.id, terraform.workspace, skel.workspace]"),
        [
            "var.a",
            "local.b",
            "module.c",
            "data.t.d",
            "aws_vpc.main",
            "count.index",
            "each.key",
            "path.module",
            "self.id",
            "terraform.workspace",
            "skel.workspace"
        ]
    );
}

#[test]
fn incomplete_references_are_not_references() {
    assert!(refs_of("[var, data.t, data]").is_empty());
}

#[test]
fn a_for_variable_shadows_a_reference_root() {
    assert_eq!(
        refs_of("[for var in local.xs : var.id]"),
        ["local.xs"],
        "the collection is outside the scope, the body inside"
    );
    assert_eq!(
        refs_of("{ for local, data in var.m : local.k => data.t.n }"),
        ["var.m"]
    );
    assert_eq!(
        refs_of("\"%{ for each in var.l }${each.key}%{ endfor }\""),
        ["var.l"]
    );
    // The binding ends with the `for`.
    assert_eq!(refs_of("[[for var in [] : var.x], var.y]"), ["var.y"]);
    // A resource type name bound by a `for` is the element, not the resource.
    assert_eq!(
        refs_of("[for aws_vpc in [] : aws_vpc.main]"),
        Vec::<String>::new()
    );
}

#[test]
fn depends_on_targets() {
    let target = |text: &str| {
        let (e, _) = parse_expr(text);
        depends_on_target(&e).map(|t| match t {
            DependsOn::Resource { ty, name } => format!("{}.{}", ty.name, name.name),
            DependsOn::Data { ty, name } => format!("data.{}.{}", ty.name, name.name),
            DependsOn::ModuleCall(n) => format!("module.{}", n.name),
        })
    };
    assert_eq!(target("aws_vpc.main").as_deref(), Some("aws_vpc.main"));
    assert_eq!(target("data.t.n").as_deref(), Some("data.t.n"));
    assert_eq!(target("module.m").as_deref(), Some("module.m"));
    for bad in [
        "var.x",
        "local.x",
        "count.index",
        "each.key",
        "path.module",
        "self.id",
        "terraform.workspace",
        "skel.workspace",
        "module",
        "data.t",
        "aws_vpc",
    ] {
        assert_eq!(target(bad), None, "{bad}");
    }
}

/// The attributes of the first block of `text` with the names bound where each is.
fn scopes_of_body(text: &str) -> Vec<(String, Vec<String>)> {
    let parse = parse(text);
    assert!(parse.errors.is_empty(), "{:?}", parse.errors);
    let Item::Block(block) = &*parse.file.items[0].item else {
        panic!("not a block")
    };
    let mut out = Vec::new();
    walk_body(
        &block.body,
        &mut Vec::new(),
        &mut Scopes::<()>::default(),
        &mut |path, attr, scopes| {
            let mut at: Vec<&str> = path.iter().map(|b| b.ident.name.as_str()).collect();
            at.push(&attr.name.name);
            out.push((at.join("."), scopes.names().map(str::to_string).collect()));
        },
    );
    out
}

#[test]
fn a_dynamic_block_binds_its_iterator_in_all_but_for_each() {
    let got = scopes_of_body(
        r#"resource "t" "n" {
  a = 1
  dynamic "setting" {
    for_each = var.s
    labels   = [setting.key]
    content {
      v = setting.value
      dynamic "inner" {
        for_each = setting.value.list
        iterator = it
        content { w = it.value }
      }
    }
  }
}
"#,
    );
    let want: Vec<(String, Vec<String>)> = [
        ("a", vec![]),
        ("dynamic.for_each", vec![]),
        ("dynamic.labels", vec!["setting"]),
        ("dynamic.content.v", vec!["setting"]),
        ("dynamic.content.dynamic.for_each", vec!["setting"]),
        ("dynamic.content.dynamic.content.w", vec!["setting", "it"]),
    ]
    .into_iter()
    .map(|(a, s)| (a.to_string(), s.into_iter().map(str::to_string).collect()))
    .collect();
    assert_eq!(got, want);
}

#[test]
fn the_iterator_argument_names_the_binding() {
    let first = parse("dynamic \"x\" {\n  iterator = it\n}\n");
    let Item::Block(b) = &*first.file.items[0].item else {
        panic!()
    };
    assert_eq!(dynamic_iterator(b), Some("it"));
    let second = parse("dynamic \"x\" {\n  iterator = \"it\"\n}\n");
    let Item::Block(b) = &*second.file.items[0].item else {
        panic!()
    };
    assert_eq!(
        dynamic_iterator(b),
        Some("x"),
        "not a plain name: the label"
    );
}

#[test]
fn roots_round_trip() {
    for root in Root::ALL {
        assert_eq!(Root::from_name(root.name()), Some(root));
    }
    assert_eq!(Root::from_name("aws_vpc"), None);
}
