# A peering spans two regions, so the module takes two AWS providers.
terraform {
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source                = "hashicorp/aws"
      version               = "~> 5.60"
      configuration_aliases = [aws.requester, aws.accepter]
    }
  }
}
