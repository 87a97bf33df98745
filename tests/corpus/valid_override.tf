# An override file (Terraform merges it into the module's other files).
resource "null_resource" "x" {
  triggers = {
    from = "override"
  }
}

locals {
  greeting = "overridden"
}
