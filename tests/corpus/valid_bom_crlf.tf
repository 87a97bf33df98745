# Saved by an editor on Windows: a byte-order mark and CRLF line ends.
terraform {
  required_version = ">= 1.0"
}

variable "names" {
  type    = list(string)
  default = ["a", "b"]
}

resource "null_resource" "helm" {
  triggers = {
    values = join("", [<<-EOT
      replicaCount: 2
      image:
        tag: "1.0"
    EOT
    , <<-EOT
      extra: true
    EOT
    ])
    script = <<EOT
echo ${join(",", var.names)}
EOT
  }
}
