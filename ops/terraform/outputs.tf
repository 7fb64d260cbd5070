output "app_url" {
  description = "The deployment's public URL (APP_URL)."
  value       = local.app_url
}

output "collab_public_url" {
  description = "Where browsers open collaboration WebSockets (COLLAB_PUBLIC_URL)."
  value       = local.collab_public_url
}

output "accelerator_dns_name" {
  description = "Global Accelerator host name: point domain_name at it (CNAME) when Route 53 is not used."
  value       = module.accelerator.dns_name
}

output "accelerator_ip_addresses" {
  description = "Global Accelerator's two static anycast addresses (A records for domain_name)."
  value       = module.accelerator.ip_addresses
}

output "load_balancer_dns_names" {
  description = "Each region's own load balancer, keyed by region key (to test a region directly, e.g. its /readyz)."
  value = {
    (local.region.a.key) = module.lb_a.dns_name
    (local.region.b.key) = module.lb_b.dns_name
    (local.region.c.key) = module.lb_c.dns_name
  }
}

output "postgres_nodes" {
  description = "PostgreSQL data nodes by region key: private address and EC2 instance (for `pg_autoctl show state` on the monitor, runbooks)."
  value = {
    (local.region.a.key) = { address = module.postgres_a.private_ip, instance_id = module.postgres_a.instance_id }
    (local.region.b.key) = { address = module.postgres_b.private_ip, instance_id = module.postgres_b.instance_id }
    (local.region.c.key) = { address = module.postgres_c.private_ip, instance_id = module.postgres_c.instance_id }
  }
}

output "postgres_monitor" {
  description = "The pg_auto_failover monitor: region key, private address and EC2 instance."
  value = {
    region      = local.region[local.monitor_slot].key
    address     = local.monitor_ip
    instance_id = one(concat(module.monitor_a[*].instance_id, module.monitor_b[*].instance_id, module.monitor_c[*].instance_id))
  }
}

output "database_hosts" {
  description = "DATABASE_URL's host list, in order (the URL itself, with its password, is the database-url secret)."
  value       = [for slot in ["a", "b", "c"] : "${local.postgres_ip[slot]}:5432"]
}

output "redis_endpoint" {
  description = "Primary endpoint of the shared Redis (REDIS_URL, with its token, is the redis-url secret)."
  value       = one(concat(module.redis_a[*].primary_endpoint, module.redis_b[*].primary_endpoint, module.redis_c[*].primary_endpoint))
}

output "buckets" {
  description = "Attachment buckets by region key, and the one the servers write to (S3_BUCKET)."
  value = {
    all = {
      (local.region.a.key) = module.storage_a.bucket
      (local.region.b.key) = module.storage_b.bucket
      (local.region.c.key) = module.storage_c.bucket
    }
    active = local.bucket_name[local.storage_slot]
  }
}

output "ecs_clusters" {
  description = "ECS cluster per region key (for `aws ecs execute-command`, e.g. to run `npm run ops -- grant-operator`)."
  value = {
    (local.region.a.key) = module.app_a.cluster_name
    (local.region.b.key) = module.app_b.cluster_name
    (local.region.c.key) = module.app_c.cluster_name
  }
}

output "secret_arns" {
  description = "ARNs (never values) of the generated secrets in the first region; each has a replica in the others."
  value       = module.secrets.arns_by_region[local.region.a.aws_region]
}
