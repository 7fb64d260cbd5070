# Terraform 1.5 for `check` blocks; AWS provider 5 for the Secrets Manager replica and S3 replication resources used here.
terraform {
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.60"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
  }

  # State holds generated passwords (random_password): keep it in an encrypted, access-controlled backend.
  # Configure one at `terraform init -backend-config=…`; see README.md.
  backend "s3" {}
}
