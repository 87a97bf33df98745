#!/usr/bin/env python3
"""Generate skel workloads for the benchmarks.

usage: gen_skel.py OUTDIR M R
    The skel twin of /work/shared/bench/terraform-anchor/gen.py: M module instances of ONE module
    directory, each with R counted null_resources and one aggregating resource (M*(R+1)
    resources in all). scripts/bench-runtime and scripts/lsp-bench use it.

usage: gen_skel.py OUTDIR --dirs N [--files F] [--fanout B]
    A workspace of N module directories (the root and N-1 modules) of F `.skel` files each
    (N*F files; F >= 5, default 10), for the IDE at scale (scripts/bench-ide, issue #20): every
    directory spreads its variables, locals, resources, module calls and outputs over its files.
    The modules form a tree (module k is called by module (k-1)//B, the root being 0; B
    defaults to 4), and every tenth module also calls a cousin (k+7), so some modules have two
    callers. Calls pass variables down (a name built from locals, a map of tags, a count, a
    resource's attribute) and read the child's outputs back into resources. The workspace
    checks clean (compiler/skelc/tests/gen_workspace.rs)."""
import argparse
import os
import sys

SVC = '''
variable "name" { type = string }
variable "replicas" { type = number }
variable "tags" { type = map(string) }
locals {
  full   = "${var.name}-svc"
  labels = { for k, v in var.tags : k => upper(v) }
}
resource "null_resource" "node" {
  count = var.replicas
  triggers = {
    name = "${local.full}-${count.index}"
    env  = local.labels["env"]
  }
}
resource "null_resource" "lb" {
  triggers = { members = join(",", null_resource.node[*].id) }
}
output "lb_id" { value = null_resource.lb.id }
'''


def instances(out, m, r):
    os.makedirs(f"{out}/modules/svc", exist_ok=True)
    with open(f"{out}/modules/svc/main.skel", "w") as f:
        f.write(SVC)
    with open(f"{out}/main.skel", "w") as f:
        f.write('skel {\n  required_version = ">= 0.1"\n}\n')
        for i in range(m):
            f.write(f'module "svc{i}" {{\n  source   = "./modules/svc"\n  name     = "svc{i}"\n'
                    f'  replicas = {r}\n  tags     = {{ env = "prod", team = "t{i % 7}" }}\n}}\n')
        f.write('output "lbs" {\n  value = [' +
                ", ".join(f"module.svc{i}.lb_id" for i in range(m)) + ']\n}\n')


# The resource files of a module beyond the five fixed ones, in order.
KINDS = ["network", "compute", "storage", "dns", "security", "queue", "cache", "search",
         "metrics", "backup"]


def depth(k, fanout):
    d = 0
    while k:
        k = (k - 1) // fanout
        d += 1
    return d


def rel_dir(k, fanout):
    """The directory of module k relative to the workspace (the root is k = 0)."""
    return "." if k == 0 else f"modules/l{depth(k, fanout)}/m{k:04}"


def source(frm, to, fanout):
    if frm == 0:
        return "./" + rel_dir(to, fanout)
    return "../../" + rel_dir(to, fanout).removeprefix("modules/")


def module_files(k, n, files, fanout):
    """The files of module k as {name: text}."""
    kinds = [KINDS[i % len(KINDS)] + ("" if i < len(KINDS) else str(i // len(KINDS)))
             for i in range(files - 5)]
    children = [c for c in range(fanout * k + 1, fanout * k + fanout + 1) if c < n]
    if k % 10 == 3 and k + 7 < n and k + 7 not in children:
        children.append(k + 7)
    root = k == 0
    out = {}
    default = '\n  default = "root"' if root else ""
    out["variables.skel"] = (
        f'# Inputs of module {k}.\n'
        f'variable "name" {{\n  type = string{default}\n}}\n'
        'variable "env" {\n  type    = string\n  default = "prod"\n}\n'
        'variable "replicas" {\n  type    = number\n  default = 2\n}\n'
        'variable "tags" {\n  type    = map(string)\n  default = {}\n}\n'
        'variable "parent_id" {\n  type    = string\n  default = ""\n}\n')
    out["locals.skel"] = (
        'locals {\n'
        '  full   = "${var.name}-${var.env}"\n'
        f'  labels = merge(var.tags, {{ env = var.env, module = "m{k}" }})\n'
        '  upper  = { for key, value in local.labels : key => upper(value) }\n'
        f'  kinds  = [{", ".join(f"{chr(34)}{kind}{chr(34)}" for kind in kinds)}]\n'
        '}\n')
    for kind in kinds:
        out[f"{kind}.skel"] = (
            f'resource "null_resource" "{kind}" {{\n'
            '  count = var.replicas\n'
            '  triggers = {\n'
            f'    name   = "${{local.full}}-{kind}-${{count.index}}"\n'
            '    env    = local.labels["env"]\n'
            '    parent = var.parent_id\n'
            '  }\n'
            '}\n'
            f'resource "random_id" "{kind}" {{\n'
            '  byte_length = 4\n'
            f'  keepers     = {{ prefix = local.full, kind = "{kind}" }}\n'
            '}\n')
    calls = []
    for c in children:
        first = f"random_id.{kinds[0]}.hex" if kinds else '"none"'
        calls.append(
            f'module "m{c}" {{\n'
            f'  source    = "{source(k, c, fanout)}"\n'
            f'  name      = "${{local.full}}-m{c}"\n'
            '  env       = var.env\n'
            f'  replicas  = {1 + c % 3}\n'
            '  tags      = local.labels\n'
            f'  parent_id = {first}\n'
            '}\n')
    out["children.skel"] = (f"# The modules module {k} calls.\n" + "".join(calls)
                            if calls else f"# Module {k} calls no module.\n")
    members = ", ".join(f"null_resource.{kind}[*].id" for kind in kinds) or "[]"
    child_ids = ", ".join(f"module.m{c}.id" for c in children)
    out["main.skel"] = (
        (f'skel {{\n  required_version = ">= 0.1"\n}}\n' if root else "") +
        'resource "null_resource" "main" {\n'
        '  triggers = {\n'
        f'    members  = join(",", concat({members}))\n'
        f'    children = join(",", [{child_ids}])\n'
        '    labels   = jsonencode(local.upper)\n'
        '  }\n'
        '}\n')
    out["outputs.skel"] = (
        'output "id" {\n  value = null_resource.main.id\n}\n'
        'output "name" {\n  value = local.full\n}\n'
        'output "suffixes" {\n  value = [' +
        ", ".join(f"random_id.{kind}.hex" for kind in kinds) + ']\n}\n' +
        ('output "child_names" {\n  value = {' +
         (" " + ", ".join(f'm{c} = module.m{c}.name' for c in children) + " " if children else "")
         + '}\n}\n'))
    return out


def workspace(out, n, files, fanout):
    if n < 1 or files < 5 or fanout < 1:
        sys.exit("gen_skel.py: --dirs >= 1, --files >= 5 and --fanout >= 1")
    for k in range(n):
        d = os.path.join(out, rel_dir(k, fanout))
        os.makedirs(d, exist_ok=True)
        for name, text in module_files(k, n, files, fanout).items():
            with open(os.path.join(d, name), "w") as f:
                f.write(text)


def main():
    p = argparse.ArgumentParser(usage=__doc__)
    p.add_argument("out")
    p.add_argument("m", nargs="?", type=int)
    p.add_argument("r", nargs="?", type=int)
    p.add_argument("--dirs", type=int)
    p.add_argument("--files", type=int, default=10)
    p.add_argument("--fanout", type=int, default=4)
    a = p.parse_args()
    if a.dirs is not None:
        if a.m is not None:
            sys.exit("gen_skel.py: M R and --dirs exclude each other")
        workspace(a.out, a.dirs, a.files, a.fanout)
    elif a.m is not None and a.r is not None:
        instances(a.out, a.m, a.r)
    else:
        sys.exit(__doc__)


main()
