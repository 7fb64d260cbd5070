output "primary_endpoint" {
  description = "Host name of the replication group's primary (it follows a failover)."
  value       = aws_elasticache_replication_group.this.primary_endpoint_address
}

output "redis_url_secret_arns" {
  description = "ARN of the REDIS_URL secret in this region and in each replica region, keyed by region."
  value = {
    for region in concat([data.aws_region.current.name], var.replica_regions) :
    region => replace(aws_secretsmanager_secret.redis_url.arn, ":${data.aws_region.current.name}:", ":${region}:")
  }
}
