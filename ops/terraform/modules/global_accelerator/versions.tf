# Global Accelerator's API lives in us-west-2 whatever the regions served: the caller passes a provider for it.
terraform {
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.60"
    }
  }
}
