//! Completion, rename, semantic tokens, inlay hints and code actions.

use super::nav::{project_at, with_cursor, PROJECT};
use super::{fixture, Fixture};
use crate::CompletionKind;

/// Labels (with detail) of the completions, in sort order, first `n`.
fn completion_labels(f: &Fixture, n: usize) -> Vec<String> {
    let mut items = crate::completions(f.db(), f.pos());
    items.sort_by(|a, b| {
        a.sort_text
            .as_ref()
            .unwrap_or(&a.label)
            .cmp(b.sort_text.as_ref().unwrap_or(&b.label))
    });
    items
        .iter()
        .take(n)
        .map(|i| match &i.detail {
            Some(d) => format!("{} : {d}", i.label),
            None => i.label.clone(),
        })
        .collect()
}

fn check_completions(text: &str, n: usize, expect: &[&str]) {
    let f = fixture(text);
    assert_eq!(completion_labels(&f, n), expect);
}

#[test]
fn completes_top_level_blocks_with_snippets() {
    let f = fixture("$0\n");
    let items = crate::completions(f.db(), f.pos());
    let resource = items
        .iter()
        .find(|i| i.label == "resource")
        .expect("resource");
    assert_eq!(
        resource.insert_text,
        "resource \"${1:type}\" \"${2:name}\" {\n  $0\n}"
    );
    assert!(resource.is_snippet);
    assert_eq!(items.len(), 8);
}

#[test]
fn completes_resource_types_in_first_label() {
    let f = fixture("resource \"aws_v$0\n");
    let items = crate::completions(f.db(), f.pos());
    let vpc = items
        .iter()
        .find(|i| i.label == "aws_vpc")
        .expect("aws_vpc");
    assert_eq!(f.slice(f.pos().file, vpc.replace_range), "aws_v");
    assert_eq!(vpc.kind, CompletionKind::ResourceType);
    let f = fixture("data \"$0\" \"x\" {}\n");
    let labels: Vec<String> = crate::completions(f.db(), f.pos())
        .into_iter()
        .map(|i| i.label)
        .collect();
    assert!(labels.contains(&"aws_region".to_string()), "{labels:?}");
}

#[test]
fn completes_arguments_required_first_excluding_set() {
    check_completions(
        "resource \"aws_key_pair\" \"x\" {\n  key_name = \"a\"\n  $0\n}\n",
        1,
        &["public_key : string (required)"],
    );
    let set = fixture("resource \"aws_instance\" \"x\" {\n  ami = \"a\"\n  $0\n}\n");
    let offered = crate::completions(set.db(), set.pos());
    assert!(!offered.iter().any(|i| i.label == "ami"), "a set argument");
    // Removed arguments (v6 dropped `cpu_core_count`) are never offered; deprecated ones last.
    assert!(!offered.iter().any(|i| i.label == "cpu_core_count"));
    let eip = fixture("resource \"aws_eip\" \"x\" {\n  $0\n}\n");
    let eip_items = crate::completions(eip.db(), eip.pos());
    let sort = |label: &str| {
        eip_items
            .iter()
            .find(|i| i.label == label)
            .and_then(|i| i.sort_text.clone())
            .unwrap_or_else(|| panic!("{label} offered"))
    };
    assert!(
        sort("vpc") > sort("domain"),
        "deprecated `vpc` after `domain`"
    );
    // Removed block types (a bucket's inline `versioning`, a role's `inline_policy`) neither.
    for (ty, removed, kept) in [
        ("aws_s3_bucket", "versioning", "bucket"),
        ("aws_iam_role", "inline_policy", "assume_role_policy"),
    ] {
        let f = fixture(&format!("resource \"{ty}\" \"x\" {{\n  $0\n}}\n"));
        let items = crate::completions(f.db(), f.pos());
        assert!(items.iter().any(|i| i.label == kept), "{ty}: {kept}");
        assert!(!items.iter().any(|i| i.label == removed), "{ty}: {removed}");
    }
    let f = fixture("resource \"aws_instance\" \"x\" {\n  $0\n}\n");
    let items = crate::completions(f.db(), f.pos());
    let ami = items.iter().find(|i| i.label == "ami").expect("ami");
    assert_eq!(ami.insert_text, "ami = $0");
    assert_eq!(ami.sort_text.as_deref(), Some("1_ami"));
    let block = items
        .iter()
        .find(|i| i.label == "root_block_device")
        .expect("block");
    assert_eq!(block.insert_text, "root_block_device {\n  $0\n}");
    assert!(items.iter().any(|i| i.label == "lifecycle"));
    // Nested block bodies.
    check_completions(
        "resource \"aws_instance\" \"x\" {\n  root_block_device {\n    $0\n  }\n}\n",
        2,
        &[
            "delete_on_termination : bool (optional)",
            "encrypted : bool (optional, computed)",
        ],
    );
}

#[test]
fn completes_module_inputs() {
    // Already-set arguments are not offered again.
    let f = project_at("  cidr   = \"10.0.0.0/16\"\n$0}");
    let labels = completion_labels(&f, 100);
    assert!(
        !labels
            .iter()
            .any(|l| l.starts_with("cidr") || l.starts_with("source")),
        "{labels:?}"
    );
    assert_eq!(labels.first().map(String::as_str), Some("count"));
    let text = with_cursor(PROJECT, "  cidr   = \"10.0.0.0/16\"\n$0");
    let text = text.replace("  cidr   = \"10.0.0.0/16\"\n", "");
    let f = fixture(&text);
    assert_eq!(completion_labels(&f, 1), ["cidr : string (required)"]);
}

#[test]
fn completes_references_after_dot() {
    // `var.` alone does not parse: the scan still finds the context.
    let with = |needle: &str, insert: &str| {
        let text = PROJECT.replacen(needle, insert, 1);
        fixture(&text)
    };
    let f = with("ami           = \"ami-123\"", "ami           = var.$0");
    assert_eq!(completion_labels(&f, 5), ["region : string"]);
    let f = with("ami           = \"ami-123\"", "ami           = local.$0");
    assert_eq!(
        completion_labels(&f, 5),
        ["name : string", "ports : list(string)"]
    );
    let f = with("ami           = \"ami-123\"", "ami           = module.$0");
    assert_eq!(completion_labels(&f, 5), ["vpc : ./modules/vpc"]);
    let f = with(
        "ami           = \"ami-123\"",
        "ami           = module.vpc.$0",
    );
    assert_eq!(
        completion_labels(&f, 5),
        ["subnet_ids : tuple([string])", "vpc_id : string"]
    );
    let f = with(
        "value = aws_instance.web.public_ip",
        "value = aws_instance.web.a$0",
    );
    let labels = completion_labels(&f, 100);
    assert!(labels.contains(&"arn : string".to_string()), "{labels:?}");
    let f = with("value = aws_instance.web.public_ip", "value = path.$0");
    assert_eq!(
        completion_labels(&f, 5),
        ["cwd : string", "module : string", "root : string"]
    );
}

#[test]
fn completes_attributes_of_what_the_checker_typed() {
    // `s` is bound by the `for` expression: only the item's check knows its type. (With
    // nothing after the dot the item does not parse and has no checked types yet.)
    let text = r#"
        variable "subnets" {
          type = list(object({ cidr = string, zone = string }))
        }
        output "o" {
          value = [for s in var.subnets : s.c$0]
        }
        "#;
    check_completions(text, 5, &["cidr : string", "zone : string"]);
    // A typed word after the dot, and a receiver two steps long.
    let text = r#"
        variable "net" {
          type = object({ subnet = object({ cidr = string, zone = string }) })
        }
        output "o" {
          value = [for n in [var.net] : n.subnet.z$0]
        }
        "#;
    check_completions(text, 5, &["cidr : string", "zone : string"]);
}

#[test]
fn completes_data_each_count() {
    let text = r#"
        data "aws_region" "current" {}
        resource "aws_instance" "x" {
          for_each = toset(["a"])
          count_x = 1
          ami = data.$0
        }
        "#;
    check_completions(text, 5, &["aws_region"]);
    check_completions(
        &text.replace("data.$0", "data.aws_region.$0"),
        5,
        &["current : data.aws_region.current"],
    );
    check_completions(
        &text.replace("data.$0", "each.$0"),
        5,
        &["key : string", "value"],
    );
    check_completions(&text.replace("data.$0", "count.$0"), 5, &["index : number"]);
    let f = fixture(&text.replace("data.$0", "up$0"));
    let items = crate::completions(f.db(), f.pos());
    let upper = items.iter().find(|i| i.label == "upper").expect("upper");
    assert_eq!(upper.detail.as_deref(), Some("upper(str: string) string"));
    assert!(items.iter().any(|i| i.label == "each"));
    assert_eq!(f.slice(f.pos().file, upper.replace_range), "up");
}

#[test]
fn completion_after_non_ascii_text() {
    let f = fixture("variable \"x\" {}\nlocals {\n  s = \"héllo wörld ✓\"\n  t = var.$0\n}\n");
    assert_eq!(completion_labels(&f, 5), ["x : any"]);
    let f = fixture("locals {\n  s = \"é✓ ${var.x$0}\"\n}\nvariable \"x\" { type = number }\n");
    let hover = crate::hover(f.db(), f.pos()).expect("hover");
    assert_eq!(f.slice(f.pos().file, hover.range), "var.x");
}

fn edits(f: &Fixture, change: &crate::SourceChange) -> Vec<String> {
    let mut out = Vec::new();
    for (file, edits) in &change.edits {
        for e in edits {
            out.push(format!("{} -> {}", f.show(*file, e.range), e.new_text));
        }
    }
    out.sort();
    out
}

#[test]
fn rename_variable_across_modules() {
    let f = project_at("cidr_block = var.ci$0dr");
    assert_eq!(
        crate::prepare_rename(f.db(), f.pos()).map(|r| f.slice(f.pos().file, r)),
        Ok("cidr".into())
    );
    let change = crate::rename(f.db(), f.pos(), "cidr_range").expect("rename");
    assert_eq!(
        edits(&f, &change),
        [
            "/root/main.skel@237..241 \"cidr\" -> cidr_range",
            "/root/modules/vpc/main.skel@10..14 \"cidr\" -> cidr_range",
            "/root/modules/vpc/main.skel@83..87 \"cidr\" -> cidr_range",
        ]
    );
}

#[test]
fn rename_output_and_resource() {
    let f = project_at("module.vpc.subnet_i$0ds");
    let change = crate::rename(f.db(), f.pos(), "subnets").expect("rename");
    assert_eq!(
        edits(&f, &change),
        [
            "/root/main.skel@380..390 \"subnet_ids\" -> subnets",
            "/root/modules/vpc/main.skel@180..190 \"subnet_ids\" -> subnets",
        ]
    );
    let f = project_at("resource \"aws_instance\" \"w$0eb\"");
    let change = crate::rename(f.db(), f.pos(), "app").expect("rename");
    assert_eq!(
        edits(&f, &change),
        [
            "/root/main.skel@287..290 \"web\" -> app",
            "/root/main.skel@480..483 \"web\" -> app",
        ]
    );
}

#[test]
fn rename_refusals() {
    let f = project_at("${var.reg$0ion}");
    assert_eq!(
        crate::rename(f.db(), f.pos(), "1bad").map_err(|e| e.to_string()),
        Err("`1bad` is not a valid identifier".into())
    );
    let f = project_at("output \"subnet_$0ids\"");
    assert_eq!(
        crate::rename(f.db(), f.pos(), "vpc_id").map_err(|e| e.to_string()),
        Err("an output named `vpc_id` already exists".into())
    );
    assert_eq!(
        crate::rename(f.db(), f.pos(), "vpc_id"),
        Err(crate::RenameError::Taken {
            what: "an output",
            name: "vpc_id".into()
        })
    );
    let f = project_at("up$0per(");
    assert!(crate::prepare_rename(f.db(), f.pos()).is_err());
    let f = project_at("ty$0pe        = string");
    assert_eq!(
        crate::prepare_rename(f.db(), f.pos()).map_err(|e| e.to_string()),
        Err("nothing to rename here".into())
    );
    // A use inside a block with a syntax error.
    let f =
        fixture("variable \"x\" {}\nlocals { a = var.x$0 }\noutput \"o\" { value = var.x + }\n");
    let err = crate::rename(f.db(), f.pos(), "y").unwrap_err();
    assert!(err.to_string().contains("syntax errors"), "{err}");
    assert!(
        matches!(&err, crate::RenameError::SyntaxErrors { name, .. } if name == "x"),
        "{err:?}"
    );
}

#[test]
fn semantic_tokens_of_a_small_file() {
    let f = fixture("# c\nresource \"aws_vpc\" \"v\" {\n  cidr_block = \"${var.x}/16\"\n  tags = { n = upper(\"a\") }\n  count = 2\n}\n");
    let got: Vec<String> = crate::semantic_tokens(f.db(), f.files[0])
        .iter()
        .map(|t| {
            format!(
                "{:?}{} {}",
                t.kind,
                if t.declaration { "(decl)" } else { "" },
                f.slice(f.files[0], t.range)
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            "Comment # c",
            "BlockType resource",
            "Type \"aws_vpc\"",
            "Label(decl) \"v\"",
            "Property cidr_block",
            "String \"",
            "Variable var",
            "Property x",
            "String /16\"",
            "Property tags",
            "Property n",
            "Function upper",
            "String \"a\"",
            "Property count",
            "Number 2",
        ]
    );
}

#[test]
fn inlay_hints_for_locals_and_module_calls() {
    let f = project_at("variable \"region\"$0");
    let file = f.pos().file;
    let len = file.text(f.db()).as_ref().map_or(0, |t| t.len()) as u32;
    let got: Vec<String> = crate::inlay_hints(f.db(), file, skel_syntax::TextRange::new(0, len))
        .iter()
        .map(|h| {
            format!(
                "{}{}",
                f.slice(file, skel_syntax::TextRange::new(h.offset - 4, h.offset)),
                h.label
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            "name: string",
            "orts: list(string)",
            "vpc\": {subnet_ids: tuple([string]), vpc_id: string}",
        ]
    );
}

#[test]
fn code_action_fixes_typo() {
    let f = fixture("variable \"region\" {}\noutput \"o\" { value = var.regoin$0 }\n");
    let range = skel_syntax::TextRange::empty(f.pos().offset);
    let actions = crate::code_actions(f.db(), f.pos().file, range);
    assert_eq!(actions.len(), 1, "{actions:?}");
    assert_eq!(actions[0].title, "Change to `region`");
    assert_eq!(actions[0].fixes, Some("unresolved-reference"));
    assert_eq!(
        edits(&f, &actions[0].edit),
        ["/main.skel@46..52 \"regoin\" -> region"]
    );
    let f = fixture("resource \"aws_instance\" \"x\" {\n  ami = \"a\"\n  instance_type = \"t\"\n  subnt_id = \"s\"$0\n}\n");
    let actions = crate::code_actions(f.db(), f.pos().file, skel_syntax::TextRange::new(0, 200));
    let titles: Vec<&str> = actions.iter().map(|a| a.title.as_str()).collect();
    assert_eq!(titles, ["Change to `subnet_id`"]);
}

#[test]
fn completes_in_unclosed_blocks_and_interpolations() {
    check_completions(
        "variable \"v\" {}\nresource \"aws_vpc\" \"x\" {\n  cidr_block = \"a\"\n  $0",
        1,
        &["assign_generated_ipv6_cidr_block : bool (optional)"],
    );
    check_completions(
        "variable \"v\" {}\nlocals {\n  a = \"x-${var.$0}\"\n}\n",
        5,
        &["v : any"],
    );
    check_completions(
        "locals {\n  obj = { a = 1, b = \"x\" }\n  c = local.obj.$0\n}\n",
        5,
        &["a : number", "b : string"],
    );
    // Nothing inside comments or plain strings.
    check_completions("# var.$0\n", 5, &[]);
    check_completions("locals {\n  a = \"hello $0\"\n}\n", 5, &[]);
}

#[test]
fn rename_local_and_module_call() {
    let f = project_at("upper(local.na$0me)");
    let change = crate::rename(f.db(), f.pos(), "app_name").expect("rename");
    assert_eq!(
        edits(&f, &change),
        [
            "/root/main.skel@118..122 \"name\" -> app_name",
            "/root/main.skel@433..437 \"name\" -> app_name",
        ]
    );
    let f = project_at("module \"v$0pc\"");
    let change = crate::rename(f.db(), f.pos(), "network").expect("rename");
    assert_eq!(
        edits(&f, &change),
        [
            "/root/main.skel@201..204 \"vpc\" -> network",
            "/root/main.skel@376..379 \"vpc\" -> network",
        ]
    );
}

/// The text before a `.` is typed in the item's `for_each` context: `each.value.` completes the
/// attributes of the collection's elements.
#[test]
fn completes_attributes_of_each_value() {
    check_completions(
        r#"
        variable "subnets" {
          type = map(object({ cidr = string, zone = string }))
        }
        resource "aws_subnet" "s" {
          for_each   = var.subnets
          vpc_id     = "vpc-1"
          cidr_block = each.value.$0
        }
        "#,
        2,
        &["cidr : string", "zone : string"],
    );
}

#[test]
fn hover_on_a_removed_block_or_argument_shows_what_replaces_it() {
    let f = fixture("resource \"aws_s3_bucket\" \"b\" {\n  versio$0ning {\n  }\n}\n");
    let hover = crate::hover(f.db(), f.pos()).expect("hover");
    assert_eq!(f.slice(f.pos().file, hover.range), "versioning");
    assert!(
        hover.markdown.contains("**removed**: ")
            && hover.markdown.contains("`aws_s3_bucket_versioning`"),
        "{}",
        hover.markdown
    );
    let f = fixture("resource \"aws_eip\" \"e\" {\n  v$0pc = true\n}\n");
    let hover = crate::hover(f.db(), f.pos()).expect("hover");
    assert!(
        hover.markdown.contains("**deprecated**: ") && hover.markdown.contains("domain"),
        "{}",
        hover.markdown
    );
}

#[test]
fn completes_a_backends_own_arguments() {
    let f = fixture("skel {\n  backend \"s3\" {\n    bucket = \"b\"\n    $0\n  }\n}\n");
    let labels: Vec<String> = crate::completions(f.db(), f.pos())
        .into_iter()
        .map(|i| i.label)
        .collect();
    for wanted in [
        "key",
        "region",
        "use_path_style",
        "dynamodb_table",
        "endpoints",
    ] {
        assert!(labels.contains(&wanted.to_string()), "{wanted}: {labels:?}");
    }
    assert!(
        !labels.contains(&"bucket".to_string()),
        "already set: {labels:?}"
    );
    assert!(
        !labels.contains(&"secret_suffix".to_string()),
        "kubernetes's: {labels:?}"
    );
    let k = fixture("terraform {\n  backend \"kubernetes\" {\n    $0\n  }\n}\n");
    let labels: Vec<String> = crate::completions(k.db(), k.pos())
        .into_iter()
        .map(|i| i.label)
        .collect();
    assert!(labels.contains(&"secret_suffix".to_string()), "{labels:?}");
}
