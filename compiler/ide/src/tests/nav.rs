//! Hover, go to definition, references and symbols.

use super::{fixture, Fixture};
use crate::SymbolKind;

pub(crate) const PROJECT: &str = r#"
//- /root/main.skel
variable "region" {
  type        = string
  description = "The AWS region."
  default     = "eu-west-1"
}
locals {
  name  = "app-${var.region}"
  ports = [for p in [80, 443] : tostring(p)]
}
module "vpc" {
  source = "./modules/vpc"
  cidr   = "10.0.0.0/16"
}
resource "aws_instance" "web" {
  ami           = "ami-123"
  instance_type = "t3.micro"
  subnet_id     = module.vpc.subnet_ids[0]
  tags          = { Name = upper(local.name) }
}
output "ip" {
  value = aws_instance.web.public_ip
}
//- /root/modules/vpc/main.skel
variable "cidr" {
  type = string
}
resource "aws_vpc" "this" {
  cidr_block = var.cidr
}
output "vpc_id" {
  value       = aws_vpc.this.id
  description = "The VPC id."
}
output "subnet_ids" {
  value = [aws_vpc.this.id]
}
"#;

/// `PROJECT` with the cursor where `$0` is in `needle` (`needle` without `$0` must occur).
pub(crate) fn project_at(needle: &str) -> Fixture {
    fixture(&with_cursor(PROJECT, needle))
}

pub(crate) fn with_cursor(text: &str, needle: &str) -> String {
    let plain = needle.replace("$0", "");
    let at = text
        .find(&plain)
        .unwrap_or_else(|| panic!("{plain:?} not in fixture"));
    let mut out = text.to_string();
    out.replace_range(at..at + plain.len(), needle);
    out
}

fn check_hover(f: &Fixture, expect: &str) {
    let hover = crate::hover(f.db(), f.pos()).expect("a hover");
    let got = format!(
        "{}\n---\n{}",
        f.slice(f.pos().file, hover.range),
        hover.markdown
    );
    assert_eq!(got.trim(), expect.trim(), "\n{got}");
}

#[test]
fn hover_variable() {
    check_hover(
        &project_at("${var.reg$0ion}"),
        "var.region\n---\n```skel\nvariable \"region\": string\n```\n\ndefault: `\"eu-west-1\"`\n\nThe AWS region.",
    );
}

#[test]
fn hover_never_shows_a_sensitive_default() {
    for flag in ["sensitive", "ephemeral"] {
        let text = format!(
            "//- /root/main.skel\nvariable \"pw\" {{\n  type    = string\n  {flag} = true\n  default = \"hunter2-default\"\n}}\nlocals {{\n  url = \"db://${{var.pw}}\"\n}}\n"
        );
        for needle in ["${var.p$0w}", "variable \"p$0w\""] {
            let f = fixture(&with_cursor(&text, needle));
            let hover = crate::hover(f.db(), f.pos()).expect("a hover");
            assert!(
                !hover.markdown.contains("hunter2"),
                "{needle}: {}",
                hover.markdown
            );
            assert!(
                hover.markdown.contains(flag),
                "{needle}: {}",
                hover.markdown
            );
            assert!(
                hover.markdown.contains("(sensitive value)"),
                "{}",
                hover.markdown
            );
        }
        // Hovering the default itself shows its type, not its text.
        let f = fixture(&with_cursor(&text, "\"hunter2-def$0ault\""));
        let hover = crate::hover(f.db(), f.pos()).expect("a hover");
        assert!(!hover.markdown.contains("hunter2"), "{}", hover.markdown);
    }
}

#[test]
fn hover_local() {
    check_hover(
        &project_at("upper(local.na$0me)"),
        "local.name\n---\n```skel\nlocal.name: string\n```",
    );
}

#[test]
fn hover_argument_forces_replacement() {
    check_hover(
        &project_at("a$0mi           ="),
        "ami\n---\n```skel\nami: string\n```\n\noptional, computed · **forces replacement**\n\nThe id of the AMI to launch.",
    );
}

#[test]
fn hover_function() {
    let f = project_at("up$0per(");
    let hover = crate::hover(f.db(), f.pos()).expect("a hover");
    assert!(
        hover
            .markdown
            .starts_with("```skel\nupper(str: string) string\n```\n\n"),
        "{}",
        hover.markdown
    );
}

#[test]
fn hover_module_output_and_call() {
    check_hover(
        &project_at("module.vpc.subnet_$0ids"),
        "subnet_ids\n---\n```skel\noutput \"subnet_ids\": tuple([string])\n```",
    );
    check_hover(
        &project_at("module.v$0pc.subnet_ids"),
        "module.vpc\n---\n```skel\nmodule \"vpc\"\n```\n\nsource: `/root/modules/vpc`\n\nOutputs:\n- `vpc_id`: `string`\n- `subnet_ids`: `tuple([string])`",
    );
}

#[test]
fn hover_resource_attribute_and_type() {
    check_hover(
        &project_at("aws_instance.web.public_$0ip"),
        "public_ip\n---\n```skel\npublic_ip: string\n```\n\ncomputed\n\nThe public IPv4 address, if any.",
    );
    check_hover(
        &project_at("resource \"aws_in$0stance\""),
        "\"aws_instance\"\n---\n```skel\nresource \"aws_instance\"\n```\n\nprovider `aws`\n\nAn EC2 instance.",
    );
}

#[test]
fn hover_expression_type() {
    check_hover(&project_at("tostring($0p)"), "p\n---\n```skel\nnumber\n```");
    check_hover(
        &project_at("$0[for p"),
        "[for p in [80, 443] : tostring(p)]\n---\n```skel\nlist(string)\n```",
    );
}

fn check_goto(f: &Fixture, expect: &[&str]) {
    let got: Vec<String> = crate::goto_definition(f.db(), f.pos())
        .iter()
        .map(|t| f.show(t.file, t.focus_range))
        .collect();
    assert_eq!(got, expect);
}

#[test]
fn goto_each_kind() {
    check_goto(
        &project_at("${var.reg$0ion}"),
        &["/root/main.skel@10..16 \"region\""],
    );
    check_goto(
        &project_at("local.na$0me"),
        &["/root/main.skel@118..122 \"name\""],
    );
    check_goto(
        &project_at("aws_instance.w$0eb.public_ip"),
        &["/root/main.skel@287..290 \"web\""],
    );
    check_goto(
        &project_at("module.v$0pc.subnet_ids"),
        &["/root/main.skel@201..204 \"vpc\""],
    );
    check_goto(
        &project_at("module.vpc.subnet_i$0ds"),
        &["/root/modules/vpc/main.skel@180..190 \"subnet_ids\""],
    );
    check_goto(
        &project_at("cidr_block = var.ci$0dr"),
        &["/root/modules/vpc/main.skel@10..14 \"cidr\""],
    );
    // A module-call argument goes to the child's variable.
    check_goto(
        &project_at("ci$0dr   ="),
        &["/root/modules/vpc/main.skel@10..14 \"cidr\""],
    );
    check_goto(
        &project_at("\"./modules/$0vpc\""),
        &["/root/modules/vpc/main.skel@0..0 \"\""],
    );
}

#[test]
fn goto_data_source() {
    let f = fixture(
        r#"
        data "aws_region" "current" {}
        output "r" { value = data.aws_region.cur$0rent.name }
        "#,
    );
    check_goto(&f, &["/main.skel@19..26 \"current\""]);
}

fn check_references(f: &Fixture, include_declaration: bool, expect: &[&str]) {
    let got: Vec<String> = crate::references(f.db(), f.pos(), include_declaration)
        .iter()
        .map(|(file, range)| f.show(*file, *range))
        .collect();
    assert_eq!(got, expect);
}

#[test]
fn references_across_modules() {
    // An output is used by the callers of its module.
    check_references(
        &project_at("output \"subnet_$0ids\""),
        true,
        &[
            "/root/main.skel@380..390 \"subnet_ids\"",
            "/root/modules/vpc/main.skel@180..190 \"subnet_ids\"",
        ],
    );
    // A variable is set by the module-call argument of its callers.
    check_references(
        &project_at("variable \"ci$0dr\""),
        false,
        &[
            "/root/main.skel@237..241 \"cidr\"",
            "/root/modules/vpc/main.skel@83..87 \"cidr\"",
        ],
    );
    check_references(
        &project_at("aws_vpc.th$0is.id\n  desc"),
        true,
        &[
            "/root/modules/vpc/main.skel@56..60 \"this\"",
            "/root/modules/vpc/main.skel@132..136 \"this\"",
            "/root/modules/vpc/main.skel@213..217 \"this\"",
        ],
    );
}

#[test]
fn document_symbols_nested() {
    let f = fixture(
        r#"
        variable "x" { type = number }
        locals {
          a = 1
          b = 2
        }
        resource "aws_instance" "web" {
          ami = "x"
          root_block_device {}
        }
        "#,
    );
    let symbols = crate::document_symbols(f.db(), f.files[0]);
    let mut got = Vec::new();
    fn walk(f: &Fixture, s: &[crate::DocumentSymbol], depth: usize, got: &mut Vec<String>) {
        for s in s {
            got.push(format!(
                "{}{:?} {} {:?} {:?}",
                "  ".repeat(depth),
                s.kind,
                s.name,
                s.detail,
                f.slice(f.files[0], s.selection_range)
            ));
            walk(f, &s.children, depth + 1, got);
        }
    }
    walk(&f, &symbols, 0, &mut got);
    assert_eq!(
        got,
        [
            "Variable x Some(\"number\") \"x\"",
            "Block locals None \"locals\"",
            "  Local a None \"a\"",
            "  Local b None \"b\"",
            "Resource aws_instance.web None \"web\"",
            "  Block root_block_device None \"root_block_device\"",
        ]
    );
    let found: Vec<(String, SymbolKind)> = crate::workspace_symbols(f.db(), &f.files, "lca")
        .into_iter()
        .map(|t| (t.name, t.kind))
        .collect();
    assert_eq!(
        found,
        [
            ("local.a".to_string(), SymbolKind::Local),
            ("local.b".to_string(), SymbolKind::Local)
        ]
    );
}

#[test]
fn a_for_or_dynamic_binding_shadows_a_reference_root() {
    let text = r#"
        variable "ports" {
          type    = list(number)
          default = [22]
        }
        variable "items" {
          type    = list(object({ ports = number }))
          default = []
        }
        locals {
          value = 1
          a     = [for var in var.items : var.ports]
          b     = "%{ for var in var.items }${var.ports}%{ endfor }"
          c     = [for x in var.items : var.ports]
        }
        resource "aws_security_group" "sg" {
          dynamic "ingress" {
            for_each = local.value == 1 ? var.ports : []
            iterator = local
            content {
              from_port   = local.value
              to_port     = local.value
              protocol    = "tcp"
              cidr_blocks = ["0.0.0.0/0"]
            }
          }
        }
        "#;
    // Only the reference outside any `for` binding `var` is the variable.
    let f = fixture(&text.replacen("variable \"ports\"", "variable \"po$0rts\"", 1));
    let text_of = |f: &Fixture| f.files[0].text(f.db()).clone().unwrap_or_default();
    let at = |needle: &str| {
        let start = text_of(&f).find(needle).expect("needle") + needle.len() - 5;
        format!("/main.skel@{}..{} \"ports\"", start, start + 5)
    };
    check_references(
        &f,
        false,
        &[&at("x in var.items : var.ports"), &at("? var.ports")],
    );
    // Inside the dynamic block `local` is the iterator: only the `for_each` reads the local.
    let f = fixture(&text.replacen("value = 1", "val$0ue = 1", 1));
    let start = text_of(&f).find("local.value == 1").expect("needle") + 6;
    check_references(
        &f,
        false,
        &[&format!("/main.skel@{}..{} \"value\"", start, start + 5)],
    );
    // Go to definition on a shadowed root finds nothing to go to.
    let f = fixture(&text.replacen("var.ports]", "var.po$0rts]", 1));
    check_goto(&f, &[]);
}

/// Hover shows the type the check inferred, in the scopes only the check sets up: `self` in a
/// provisioner's connection, `each` of the block's `for_each`, a `dynamic` iterator, a `for`
/// variable named like a reference root.
#[test]
fn hover_reads_the_types_the_check_inferred() {
    let text = r#"
        variable "ports" {
          type    = list(number)
          default = [22]
        }
        resource "aws_instance" "web" {
          for_each      = { a = "ami-1" }
          ami           = each.value
          instance_type = "t3.micro"
          connection {
            host = self.private_ip
          }
        }
        resource "aws_security_group" "sg" {
          dynamic "ingress" {
            for_each = var.ports
            content {
              from_port   = ingress.value
              to_port     = ingress.value
              protocol    = "tcp"
              cidr_blocks = [for var in ["0.0.0.0/0"] : upper(var)]
            }
          }
        }
        "#;
    let at = |needle: &str| fixture(&with_cursor(text, needle));
    check_hover(
        &at("self.private_$0ip"),
        "self.private_ip\n---\n```skel\nstring\n```",
    );
    check_hover(
        &at("from_port   = ingress.va$0lue"),
        "ingress.value\n---\n```skel\nnumber\n```",
    );
    check_hover(&at("upper(v$0ar)"), "var\n---\n```skel\nstring\n```");
    // The results are data keyed by item-relative range.
    let f = fixture(
        r#"
        resource "aws_vpc" "a" {
          cidr_block = "10.0.0.0/16"
        }
        output "o" {
          value = [aws_vpc.a.id, 1]
        }
        "#,
    );
    let ast = skel_db::item_ast(f.db(), f.files[0], 1).expect("the output");
    let skel_syntax::Item::Block(output) = &*ast else {
        panic!("a block")
    };
    let value = &output.body.attribute("value").expect("value").expr;
    let types = skel_types::item_types(f.db(), f.files[0], 1);
    assert_eq!(
        types.get(value.range).map(ToString::to_string).as_deref(),
        Some("tuple([string, number])")
    );
}
