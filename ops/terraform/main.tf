# TwinMCP Collab on AWS in three regions (slots a, b and c, in the order of var.regions).
#
#   Global Accelerator ──▶ ALB per region ──▶ ECS Fargate: REST × N, collab × N   (per region)
#                                               │
#       PostgreSQL 15 + pg_auto_failover: one data node per region (primary + 2 synchronous-quorum
#       standbys), one monitor · one Redis (ElastiCache) · an S3 bucket per region, replicated
#       VPCs peered in a full mesh, secrets in Secrets Manager replicated to every region
#
# Providers cannot be iterated with for_each, so each per-region module appears three times.

provider "aws" {
  region = var.regions[0].aws_region
  default_tags {
    tags = local.tags
  }
}

provider "aws" {
  alias  = "a"
  region = var.regions[0].aws_region
  default_tags {
    tags = local.tags
  }
}

provider "aws" {
  alias  = "b"
  region = var.regions[1].aws_region
  default_tags {
    tags = local.tags
  }
}

provider "aws" {
  alias  = "c"
  region = var.regions[2].aws_region
  default_tags {
    tags = local.tags
  }
}

# Global Accelerator's control plane is in us-west-2, whatever regions it serves.
provider "aws" {
  alias  = "global"
  region = "us-west-2"
  default_tags {
    tags = local.tags
  }
}

locals {
  tags = merge(var.tags, { Project = "twinmcp-collab", Stack = var.name })

  region  = { a = var.regions[0], b = var.regions[1], c = var.regions[2] }
  slot_of = { for slot, r in local.region : r.key => slot }

  monitor_slot = local.slot_of[coalesce(var.monitor_region, var.regions[2].key)]
  redis_slot   = local.slot_of[coalesce(var.redis_region, var.regions[0].key)]
  storage_slot = local.slot_of[coalesce(var.object_storage_region, var.regions[0].key)]

  vpc_cidrs = [for r in var.regions : r.cidr_block]

  # Fixed addresses in each region's first private subnet: known before any instance exists, so
  # DATABASE_URL and the monitor's address need no second apply, and they survive an instance's replacement.
  private_subnet_cidr = {
    a = module.network_a.private_subnet_cidrs[0]
    b = module.network_b.private_subnet_cidrs[0]
    c = module.network_c.private_subnet_cidrs[0]
  }
  postgres_ip = { for slot, cidr in local.private_subnet_cidr : slot => cidrhost(cidr, 10) }
  monitor_ip  = cidrhost(local.private_subnet_cidr[local.monitor_slot], 11)

  monitor_settings = {
    health_check_period               = tostring(var.failover_tuning.health_check_period_ms)
    health_check_timeout              = tostring(var.failover_tuning.health_check_timeout_ms)
    health_check_max_retries          = tostring(var.failover_tuning.health_check_max_retries)
    health_check_retry_delay          = tostring(var.failover_tuning.health_check_retry_delay_ms)
    node_considered_unhealthy_timeout = tostring(var.failover_tuning.node_considered_unhealthy_timeout_ms)
    primary_demote_timeout            = tostring(var.failover_tuning.primary_demote_timeout_ms)
  }

  bucket_name = { for slot, r in local.region : slot => "${var.bucket_prefix}-${r.key}" }

  app_url           = "https://${var.domain_name}"
  collab_public_url = "wss://${var.domain_name}${var.collab_path}"

  # The README's configuration table, as the servers need it behind this load balancer. Secrets are apart.
  app_environment = merge(
    {
      NODE_ENV                     = "production"
      APP_URL                      = local.app_url
      COLLAB_PUBLIC_URL            = local.collab_public_url
      TRUST_PROXY_HOPS             = "1" # the ALB; Global Accelerator passes TCP and adds no header
      DATABASE_POOL_MAX            = tostring(var.database_pool_max)
      DATABASE_CONNECT_TIMEOUT_MS  = tostring(var.database_connect_timeout_ms)
      DATABASE_FAILOVER_TIMEOUT_MS = tostring(var.database_failover_timeout_ms)
      DATABASE_PRIMARY_CHECK_MS    = tostring(var.database_primary_check_ms)
      S3_BUCKET                    = local.bucket_name[local.storage_slot]
      S3_REGION                    = local.region[local.storage_slot].aws_region
      REDIS_PREFIX                 = var.redis_prefix
      SHUTDOWN_TIMEOUT_MS          = tostring(var.shutdown_timeout_ms)
      LOG_LEVEL                    = var.log_level
    },
    length(var.operator_emails) > 0 ? { OPERATOR_EMAILS = join(",", var.operator_emails) } : {},
    var.app_environment,
  )

  redis_url_secret_arns = one(concat(
    module.redis_a[*].redis_url_secret_arns,
    module.redis_b[*].redis_url_secret_arns,
    module.redis_c[*].redis_url_secret_arns,
  ))

  # Each region's tasks read the secrets' replicas in their own region.
  app_secrets = {
    for slot, r in local.region : slot => merge(var.app_secrets, {
      JWT_SECRET   = module.secrets.arns_by_region[r.aws_region]["jwt-secret"]
      DATABASE_URL = module.secrets.arns_by_region[r.aws_region]["database-url"]
      REDIS_URL    = local.redis_url_secret_arns[r.aws_region]
    })
  }

  bucket_arns = [module.storage_a.arn, module.storage_b.arn, module.storage_c.arn]

  max_server_processes = 3 * (var.rest.max_count + var.collab.max_count)
}

# Every server process holds up to DATABASE_POOL_MAX connections plus 5 (its job queue and LISTEN).
check "database_connections" {
  assert {
    condition     = (var.database_pool_max + 5) * local.max_server_processes < var.postgres.max_connections
    error_message = "(database_pool_max + 5) × ${local.max_server_processes} server processes at full scale reaches postgres.max_connections (${var.postgres.max_connections}): raise it or lower the pool or the max counts."
  }
}

# --- network -------------------------------------------------------------------------------------------

module "network_a" {
  source    = "./modules/network"
  providers = { aws = aws.a }

  name       = "${var.name}-${local.region.a.key}"
  cidr_block = local.region.a.cidr_block
}

module "network_b" {
  source    = "./modules/network"
  providers = { aws = aws.b }

  name       = "${var.name}-${local.region.b.key}"
  cidr_block = local.region.b.cidr_block
}

module "network_c" {
  source    = "./modules/network"
  providers = { aws = aws.c }

  name       = "${var.name}-${local.region.c.key}"
  cidr_block = local.region.c.cidr_block
}

module "peering_ab" {
  source    = "./modules/peering"
  providers = { aws.requester = aws.a, aws.accepter = aws.b }

  name                     = "${var.name}-${local.region.a.key}-${local.region.b.key}"
  requester_vpc_id         = module.network_a.vpc_id
  requester_cidr_block     = module.network_a.cidr_block
  requester_route_table_id = module.network_a.private_route_table_id
  accepter_vpc_id          = module.network_b.vpc_id
  accepter_cidr_block      = module.network_b.cidr_block
  accepter_route_table_id  = module.network_b.private_route_table_id
}

module "peering_ac" {
  source    = "./modules/peering"
  providers = { aws.requester = aws.a, aws.accepter = aws.c }

  name                     = "${var.name}-${local.region.a.key}-${local.region.c.key}"
  requester_vpc_id         = module.network_a.vpc_id
  requester_cidr_block     = module.network_a.cidr_block
  requester_route_table_id = module.network_a.private_route_table_id
  accepter_vpc_id          = module.network_c.vpc_id
  accepter_cidr_block      = module.network_c.cidr_block
  accepter_route_table_id  = module.network_c.private_route_table_id
}

module "peering_bc" {
  source    = "./modules/peering"
  providers = { aws.requester = aws.b, aws.accepter = aws.c }

  name                     = "${var.name}-${local.region.b.key}-${local.region.c.key}"
  requester_vpc_id         = module.network_b.vpc_id
  requester_cidr_block     = module.network_b.cidr_block
  requester_route_table_id = module.network_b.private_route_table_id
  accepter_vpc_id          = module.network_c.vpc_id
  accepter_cidr_block      = module.network_c.cidr_block
  accepter_route_table_id  = module.network_c.private_route_table_id
}

# --- secrets -------------------------------------------------------------------------------------------

module "secrets" {
  source    = "./modules/secrets"
  providers = { aws = aws.a }

  name                    = var.name
  replica_regions         = [local.region.b.aws_region, local.region.c.aws_region]
  postgres_hosts          = [for slot in ["a", "b", "c"] : "${local.postgres_ip[slot]}:5432"]
  database_name           = var.database_name
  database_user           = var.database_user
  recovery_window_in_days = var.protect_data ? 7 : 0
}

# --- PostgreSQL: a data node in every region, the monitor in one ---------------------------------------
# The nodes need no ordering here: each node's cloud-init waits for the monitor (reached through the
# peering once its routes exist), and the standbys wait for the first region's node to be primary.

module "postgres_a" {
  source    = "./modules/postgres"
  providers = { aws = aws.a }

  name                              = "${var.name}-${local.region.a.key}-pg"
  role                              = "data"
  node_name                         = local.region.a.key
  bootstrap                         = true # the first region starts as primary
  vpc_id                            = module.network_a.vpc_id
  subnet_id                         = module.network_a.private_subnet_ids[0]
  private_ip                        = local.postgres_ip.a
  client_cidrs                      = local.vpc_cidrs
  monitor_host                      = local.monitor_ip
  instance_type                     = var.postgres.instance_type
  architecture                      = var.postgres.architecture
  data_volume_size_gb               = var.postgres.data_volume_size_gb
  data_volume_iops                  = var.postgres.data_volume_iops
  key_name                          = var.postgres.key_name
  passwords_secret_arn              = module.secrets.arns_by_region[local.region.a.aws_region]["postgres-passwords"]
  database_name                     = var.database_name
  database_user                     = var.database_user
  candidate_priority                = local.region.a.postgres_candidate_priority
  number_sync_standbys              = var.postgres.number_sync_standbys
  data_node_count                   = 3
  max_connections                   = var.postgres.max_connections
  network_partition_timeout_seconds = var.failover_tuning.network_partition_timeout_seconds
  wal_sender_timeout                = var.failover_tuning.wal_sender_timeout
}

module "postgres_b" {
  source    = "./modules/postgres"
  providers = { aws = aws.b }

  name                              = "${var.name}-${local.region.b.key}-pg"
  role                              = "data"
  node_name                         = local.region.b.key
  vpc_id                            = module.network_b.vpc_id
  subnet_id                         = module.network_b.private_subnet_ids[0]
  private_ip                        = local.postgres_ip.b
  client_cidrs                      = local.vpc_cidrs
  monitor_host                      = local.monitor_ip
  instance_type                     = var.postgres.instance_type
  architecture                      = var.postgres.architecture
  data_volume_size_gb               = var.postgres.data_volume_size_gb
  data_volume_iops                  = var.postgres.data_volume_iops
  key_name                          = var.postgres.key_name
  passwords_secret_arn              = module.secrets.arns_by_region[local.region.b.aws_region]["postgres-passwords"]
  database_name                     = var.database_name
  database_user                     = var.database_user
  candidate_priority                = local.region.b.postgres_candidate_priority
  number_sync_standbys              = var.postgres.number_sync_standbys
  data_node_count                   = 3
  max_connections                   = var.postgres.max_connections
  network_partition_timeout_seconds = var.failover_tuning.network_partition_timeout_seconds
  wal_sender_timeout                = var.failover_tuning.wal_sender_timeout
}

module "postgres_c" {
  source    = "./modules/postgres"
  providers = { aws = aws.c }

  name                              = "${var.name}-${local.region.c.key}-pg"
  role                              = "data"
  node_name                         = local.region.c.key
  vpc_id                            = module.network_c.vpc_id
  subnet_id                         = module.network_c.private_subnet_ids[0]
  private_ip                        = local.postgres_ip.c
  client_cidrs                      = local.vpc_cidrs
  monitor_host                      = local.monitor_ip
  instance_type                     = var.postgres.instance_type
  architecture                      = var.postgres.architecture
  data_volume_size_gb               = var.postgres.data_volume_size_gb
  data_volume_iops                  = var.postgres.data_volume_iops
  key_name                          = var.postgres.key_name
  passwords_secret_arn              = module.secrets.arns_by_region[local.region.c.aws_region]["postgres-passwords"]
  database_name                     = var.database_name
  database_user                     = var.database_user
  candidate_priority                = local.region.c.postgres_candidate_priority
  number_sync_standbys              = var.postgres.number_sync_standbys
  data_node_count                   = 3
  max_connections                   = var.postgres.max_connections
  network_partition_timeout_seconds = var.failover_tuning.network_partition_timeout_seconds
  wal_sender_timeout                = var.failover_tuning.wal_sender_timeout
}

module "monitor_a" {
  source    = "./modules/postgres"
  providers = { aws = aws.a }
  count     = local.monitor_slot == "a" ? 1 : 0

  name                 = "${var.name}-${local.region.a.key}-monitor"
  role                 = "monitor"
  node_name            = "monitor"
  vpc_id               = module.network_a.vpc_id
  subnet_id            = module.network_a.private_subnet_ids[0]
  private_ip           = local.monitor_ip
  client_cidrs         = local.vpc_cidrs
  instance_type        = var.postgres.monitor_instance_type
  architecture         = var.postgres.architecture
  data_volume_size_gb  = 20
  key_name             = var.postgres.key_name
  passwords_secret_arn = module.secrets.arns_by_region[local.region.a.aws_region]["postgres-passwords"]
  monitor_settings     = local.monitor_settings
}

module "monitor_b" {
  source    = "./modules/postgres"
  providers = { aws = aws.b }
  count     = local.monitor_slot == "b" ? 1 : 0

  name                 = "${var.name}-${local.region.b.key}-monitor"
  role                 = "monitor"
  node_name            = "monitor"
  vpc_id               = module.network_b.vpc_id
  subnet_id            = module.network_b.private_subnet_ids[0]
  private_ip           = local.monitor_ip
  client_cidrs         = local.vpc_cidrs
  instance_type        = var.postgres.monitor_instance_type
  architecture         = var.postgres.architecture
  data_volume_size_gb  = 20
  key_name             = var.postgres.key_name
  passwords_secret_arn = module.secrets.arns_by_region[local.region.b.aws_region]["postgres-passwords"]
  monitor_settings     = local.monitor_settings
}

module "monitor_c" {
  source    = "./modules/postgres"
  providers = { aws = aws.c }
  count     = local.monitor_slot == "c" ? 1 : 0

  name                 = "${var.name}-${local.region.c.key}-monitor"
  role                 = "monitor"
  node_name            = "monitor"
  vpc_id               = module.network_c.vpc_id
  subnet_id            = module.network_c.private_subnet_ids[0]
  private_ip           = local.monitor_ip
  client_cidrs         = local.vpc_cidrs
  instance_type        = var.postgres.monitor_instance_type
  architecture         = var.postgres.architecture
  data_volume_size_gb  = 20
  key_name             = var.postgres.key_name
  passwords_secret_arn = module.secrets.arns_by_region[local.region.c.aws_region]["postgres-passwords"]
  monitor_settings     = local.monitor_settings
}

# --- Redis: one, shared by every node ------------------------------------------------------------------

module "redis_a" {
  source    = "./modules/redis"
  providers = { aws = aws.a }
  count     = local.redis_slot == "a" ? 1 : 0

  name            = "${var.name}-bus"
  vpc_id          = module.network_a.vpc_id
  subnet_ids      = module.network_a.private_subnet_ids
  client_cidrs    = local.vpc_cidrs
  node_type       = var.redis_node_type
  replica_regions = [local.region.b.aws_region, local.region.c.aws_region]
}

module "redis_b" {
  source    = "./modules/redis"
  providers = { aws = aws.b }
  count     = local.redis_slot == "b" ? 1 : 0

  name            = "${var.name}-bus"
  vpc_id          = module.network_b.vpc_id
  subnet_ids      = module.network_b.private_subnet_ids
  client_cidrs    = local.vpc_cidrs
  node_type       = var.redis_node_type
  replica_regions = [local.region.a.aws_region, local.region.c.aws_region]
}

module "redis_c" {
  source    = "./modules/redis"
  providers = { aws = aws.c }
  count     = local.redis_slot == "c" ? 1 : 0

  name            = "${var.name}-bus"
  vpc_id          = module.network_c.vpc_id
  subnet_ids      = module.network_c.private_subnet_ids
  client_cidrs    = local.vpc_cidrs
  node_type       = var.redis_node_type
  replica_regions = [local.region.a.aws_region, local.region.b.aws_region]
}

# --- object storage: the writing bucket replicates to the other two ------------------------------------

module "storage_a" {
  source    = "./modules/object_storage"
  providers = { aws = aws.a }

  bucket_name              = local.bucket_name.a
  replicate_to             = local.storage_slot == "a" ? [module.storage_b.arn, module.storage_c.arn] : []
  replication_time_control = var.replication_time_control
  force_destroy            = !var.protect_data
}

module "storage_b" {
  source    = "./modules/object_storage"
  providers = { aws = aws.b }

  bucket_name              = local.bucket_name.b
  replicate_to             = local.storage_slot == "b" ? [module.storage_a.arn, module.storage_c.arn] : []
  replication_time_control = var.replication_time_control
  force_destroy            = !var.protect_data
}

module "storage_c" {
  source    = "./modules/object_storage"
  providers = { aws = aws.c }

  bucket_name              = local.bucket_name.c
  replicate_to             = local.storage_slot == "c" ? [module.storage_a.arn, module.storage_b.arn] : []
  replication_time_control = var.replication_time_control
  force_destroy            = !var.protect_data
}

# --- load balancers and servers ------------------------------------------------------------------------
# The services wait for the peerings: tasks started before the routes to PostgreSQL and Redis exist fail
# their checks, and the deployment circuit breaker would roll the first deployment back.

module "lb_a" {
  source    = "./modules/load_balancer"
  providers = { aws = aws.a }

  name                         = "${var.name}-${local.region.a.key}"
  vpc_id                       = module.network_a.vpc_id
  public_subnet_ids            = module.network_a.public_subnet_ids
  certificate_arn              = local.region.a.certificate_arn
  collab_path                  = var.collab_path
  deregistration_delay_seconds = ceil(var.shutdown_timeout_ms / 1000) + 5
}

module "lb_b" {
  source    = "./modules/load_balancer"
  providers = { aws = aws.b }

  name                         = "${var.name}-${local.region.b.key}"
  vpc_id                       = module.network_b.vpc_id
  public_subnet_ids            = module.network_b.public_subnet_ids
  certificate_arn              = local.region.b.certificate_arn
  collab_path                  = var.collab_path
  deregistration_delay_seconds = ceil(var.shutdown_timeout_ms / 1000) + 5
}

module "lb_c" {
  source    = "./modules/load_balancer"
  providers = { aws = aws.c }

  name                         = "${var.name}-${local.region.c.key}"
  vpc_id                       = module.network_c.vpc_id
  public_subnet_ids            = module.network_c.public_subnet_ids
  certificate_arn              = local.region.c.certificate_arn
  collab_path                  = var.collab_path
  deregistration_delay_seconds = ceil(var.shutdown_timeout_ms / 1000) + 5
}

module "app_a" {
  source    = "./modules/app"
  providers = { aws = aws.a }

  name                     = "${var.name}-${local.region.a.key}"
  vpc_id                   = module.network_a.vpc_id
  private_subnet_ids       = module.network_a.private_subnet_ids
  alb_security_group_id    = module.lb_a.security_group_id
  rest_target_group_arn    = module.lb_a.rest_target_group_arn
  collab_target_group_arn  = module.lb_a.collab_target_group_arn
  image                    = var.image
  cpu_architecture         = var.cpu_architecture
  rest                     = var.rest
  collab                   = var.collab
  environment              = local.app_environment
  secrets                  = local.app_secrets.a
  bucket_arns              = local.bucket_arns
  shutdown_timeout_seconds = ceil(var.shutdown_timeout_ms / 1000)
  log_retention_days       = var.log_retention_days

  depends_on = [module.peering_ab, module.peering_ac]
}

module "app_b" {
  source    = "./modules/app"
  providers = { aws = aws.b }

  name                     = "${var.name}-${local.region.b.key}"
  vpc_id                   = module.network_b.vpc_id
  private_subnet_ids       = module.network_b.private_subnet_ids
  alb_security_group_id    = module.lb_b.security_group_id
  rest_target_group_arn    = module.lb_b.rest_target_group_arn
  collab_target_group_arn  = module.lb_b.collab_target_group_arn
  image                    = var.image
  cpu_architecture         = var.cpu_architecture
  rest                     = var.rest
  collab                   = var.collab
  environment              = local.app_environment
  secrets                  = local.app_secrets.b
  bucket_arns              = local.bucket_arns
  shutdown_timeout_seconds = ceil(var.shutdown_timeout_ms / 1000)
  log_retention_days       = var.log_retention_days

  depends_on = [module.peering_ab, module.peering_bc]
}

module "app_c" {
  source    = "./modules/app"
  providers = { aws = aws.c }

  name                     = "${var.name}-${local.region.c.key}"
  vpc_id                   = module.network_c.vpc_id
  private_subnet_ids       = module.network_c.private_subnet_ids
  alb_security_group_id    = module.lb_c.security_group_id
  rest_target_group_arn    = module.lb_c.rest_target_group_arn
  collab_target_group_arn  = module.lb_c.collab_target_group_arn
  image                    = var.image
  cpu_architecture         = var.cpu_architecture
  rest                     = var.rest
  collab                   = var.collab
  environment              = local.app_environment
  secrets                  = local.app_secrets.c
  bucket_arns              = local.bucket_arns
  shutdown_timeout_seconds = ceil(var.shutdown_timeout_ms / 1000)
  log_retention_days       = var.log_retention_days

  depends_on = [module.peering_ac, module.peering_bc]
}

# --- the global entry point ----------------------------------------------------------------------------

module "accelerator" {
  source    = "./modules/global_accelerator"
  providers = { aws = aws.global }

  name            = var.name
  domain_name     = var.domain_name
  route53_zone_id = var.route53_zone_id

  endpoints = {
    (local.region.a.key) = { aws_region = local.region.a.aws_region, alb_arn = module.lb_a.arn, traffic_dial = local.region.a.traffic_dial }
    (local.region.b.key) = { aws_region = local.region.b.aws_region, alb_arn = module.lb_b.arn, traffic_dial = local.region.b.traffic_dial }
    (local.region.c.key) = { aws_region = local.region.c.aws_region, alb_arn = module.lb_c.arn, traffic_dial = local.region.c.traffic_dial }
  }
}
