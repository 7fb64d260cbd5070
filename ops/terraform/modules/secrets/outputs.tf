locals {
  all_regions = concat([data.aws_region.current.name], var.replica_regions)

  # A replica's ARN is the primary's with its region swapped in.
  arns_by_region = {
    for region in local.all_regions : region => {
      for key, secret in aws_secretsmanager_secret.this :
      key => replace(secret.arn, ":${data.aws_region.current.name}:", ":${region}:")
    }
  }
}

output "arns_by_region" {
  description = "For each region (the provider's and every replica's), the ARN of each secret there: keys jwt-secret, database-url and postgres-passwords."
  value       = local.arns_by_region
}

output "all_arns" {
  description = "Every secret's ARN in every region, for IAM policies."
  value       = flatten([for region, arns in local.arns_by_region : values(arns)])
}
