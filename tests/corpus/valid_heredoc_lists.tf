# Heredocs as list elements, object values and call arguments, as public modules write them.
resource "helm_release" "this" {
  name   = "x"
  values = [<<-EOT
    controller:
      replicas: 2
  EOT
  ]
  set_values = [
    <<-EOT
      a: 1
    EOT
    ,
    <<-EOT
      b: 2
    EOT
  ]
}

locals {
  policy = jsonencode(yamldecode(<<-EOT
    Version: "2012-10-17"
  EOT
  ))
  docs = {
    readme = <<EOT
hello
EOT
  }
}
