#!/usr/bin/env python3
"""Generate the skel twin of /work/shared/bench/terraform-anchor/gen.py: M module instances, each
with R counted null_resources and one aggregating resource (M*(R+1) resources in all).
usage: gen_skel.py OUTDIR M R"""
import os, sys

out, m, r = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
os.makedirs(f"{out}/modules/svc", exist_ok=True)
with open(f"{out}/modules/svc/main.skel", "w") as f:
    f.write('''
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
''')
with open(f"{out}/main.skel", "w") as f:
    f.write('skel {\n  required_version = ">= 0.1"\n}\n')
    for i in range(m):
        f.write(f'module "svc{i}" {{\n  source   = "./modules/svc"\n  name     = "svc{i}"\n  replicas = {r}\n'
                f'  tags     = {{ env = "prod", team = "t{i % 7}" }}\n}}\n')
    f.write('output "lbs" {\n  value = [' + ", ".join(f"module.svc{i}.lb_id" for i in range(m)) + ']\n}\n')
