# The deployment's one Redis: an ElastiCache replication group, Multi-AZ, TLS and an auth token.
# One, not one per region: the event bus is a single channel every node must share (a revoked session on
# a REST node in one region must reach collab nodes in all), and rate limits are one budget. Nodes of the
# other regions reach it through the peering. Losing its region costs cross-node propagation until it is
# back (collab nodes keep serving their own clients); it does not cost data, which lives in PostgreSQL.
# ElastiCache Global Datastore was not used: its secondary regions are read-only, and the bus and the rate
# limits write from every node.

data "aws_region" "current" {}

resource "aws_security_group" "this" {
  name_prefix = "${var.name}-"
  description = "Redis reachable from the deployment's VPCs"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = var.name })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "redis" {
  for_each = toset(var.client_cidrs)

  security_group_id = aws_security_group.this.id
  description       = "Redis from ${each.value}"
  ip_protocol       = "tcp"
  from_port         = 6379
  to_port           = 6379
  cidr_ipv4         = each.value
}

resource "aws_elasticache_subnet_group" "this" {
  name       = var.name
  subnet_ids = var.subnet_ids
  tags       = var.tags
}

# ElastiCache auth tokens: 16–128 printable characters without @, " or /; letters and digits are safe in a URL.
resource "random_password" "auth_token" {
  length  = 64
  special = false
}

resource "aws_elasticache_replication_group" "this" {
  replication_group_id = var.name
  description          = "TwinMCP event bus and rate limits"
  engine               = "redis"
  engine_version       = var.engine_version
  node_type            = var.node_type
  port                 = 6379
  num_cache_clusters   = 1 + var.replicas

  subnet_group_name  = aws_elasticache_subnet_group.this.name
  security_group_ids = [aws_security_group.this.id]

  automatic_failover_enabled = true
  multi_az_enabled           = true

  at_rest_encryption_enabled = true
  transit_encryption_enabled = true
  auth_token                 = random_password.auth_token.result

  # The product keeps nothing in Redis that it cannot lose (README › Running at scale): no snapshots.
  snapshot_retention_limit = 0
  apply_immediately        = false

  tags = var.tags
}

resource "aws_secretsmanager_secret" "redis_url" {
  name = "${var.name}/redis-url"

  dynamic "replica" {
    for_each = toset(var.replica_regions)
    content {
      region = replica.value
    }
  }

  tags = var.tags
}

resource "aws_secretsmanager_secret_version" "redis_url" {
  secret_id = aws_secretsmanager_secret.redis_url.id
  # rediss:// (TLS) to the primary endpoint, which follows a Multi-AZ failover by DNS.
  secret_string = format(
    "rediss://:%s@%s:%d",
    random_password.auth_token.result,
    aws_elasticache_replication_group.this.primary_endpoint_address,
    aws_elasticache_replication_group.this.port,
  )
}
