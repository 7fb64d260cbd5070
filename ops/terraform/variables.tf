# --- the deployment ------------------------------------------------------------------------------------

variable "name" {
  description = "Name of the deployment: prefix of every resource and secret (lowercase letters, digits, hyphens)."
  type        = string
  default     = "twinmcp"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,14}$", var.name))
    error_message = "name must be 2–15 lowercase letters, digits or hyphens, starting with a letter (it prefixes names AWS caps at 32 characters)."
  }
}

variable "tags" {
  description = "Tags added to every resource, besides Project and Stack."
  type        = map(string)
  default     = {}
}

variable "regions" {
  description = <<-EOT
    The three regions, in order of preference for the PostgreSQL primary (the first starts as primary and
    holds the secrets' primary copies). Each: key (short name used in resource names and as the
    pg_auto_failover node name, e.g. "eu"), aws_region, cidr_block (its VPC's range, /20 or larger, not
    overlapping the others: they are peered), certificate_arn (ACM certificate in that region for
    domain_name), postgres_candidate_priority (0–100, who is promoted first; 0 never) and traffic_dial
    (0–100, share of that region's nearby clients it serves; 0 drains it).
  EOT
  type = list(object({
    key                         = string
    aws_region                  = string
    cidr_block                  = string
    certificate_arn             = string
    postgres_candidate_priority = optional(number, 50)
    traffic_dial                = optional(number, 100)
  }))

  validation {
    condition     = length(var.regions) == 3
    error_message = "regions must list exactly three regions (the modules are wired for three: providers cannot be iterated)."
  }

  validation {
    condition     = length(distinct([for r in var.regions : r.key])) == 3 && alltrue([for r in var.regions : can(regex("^[a-z][a-z0-9]{0,5}$", r.key))])
    error_message = "Each region needs its own key of 1–6 lowercase letters or digits."
  }

  validation {
    condition     = length(distinct([for r in var.regions : r.aws_region])) == 3
    error_message = "The three regions must be different AWS regions."
  }

  validation {
    condition     = length(distinct([for r in var.regions : r.cidr_block])) == 3 && alltrue([for r in var.regions : can(cidrnetmask(r.cidr_block))])
    error_message = "Each region needs its own IPv4 cidr_block."
  }

  validation {
    condition     = alltrue([for r in var.regions : r.postgres_candidate_priority >= 0 && r.postgres_candidate_priority <= 100 && r.traffic_dial >= 0 && r.traffic_dial <= 100])
    error_message = "postgres_candidate_priority and traffic_dial must be between 0 and 100."
  }
}

variable "monitor_region" {
  description = "Key of the region running the pg_auto_failover monitor. Null: the third region. Keep it away from the preferred primary: losing the monitor and the primary together leaves nobody to promote a standby."
  type        = string
  default     = null
}

variable "redis_region" {
  description = "Key of the region running the one Redis every node shares. Null: the first region (the primary's, so most requests reach it without crossing regions)."
  type        = string
  default     = null
}

variable "object_storage_region" {
  description = "Key of the region whose bucket the servers write to; the other two hold replicas. Null: the first region. After losing that region, set it to another one and apply: the servers then use that replica, which replicates onwards."
  type        = string
  default     = null
}

# --- public entry point --------------------------------------------------------------------------------

variable "domain_name" {
  description = "Public host name of the deployment (e.g. \"collab.example.com\"): APP_URL is https://<domain_name>, COLLAB_PUBLIC_URL wss://<domain_name><collab_path>. Every region's certificate must cover it."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$", var.domain_name))
    error_message = "domain_name must be a lowercase host name such as collab.example.com."
  }
}

variable "route53_zone_id" {
  description = "Route 53 hosted zone in which to point domain_name at the accelerator. Null: make that record yourself (CNAME to the accelerator_dns_name output, or A records to accelerator_ip_addresses)."
  type        = string
  default     = null
}

variable "collab_path" {
  description = "Path prefix the load balancers send to the collab servers (WebSockets)."
  type        = string
  default     = "/collab"
}

# --- servers -------------------------------------------------------------------------------------------

variable "image" {
  description = "Container image with both servers (built from the project's Dockerfile), pinned by digest or an immutable tag; every region pulls it (ECR replication, or a public registry)."
  type        = string
}

variable "cpu_architecture" {
  description = "CPU architecture of the Fargate tasks, matching the image: \"X86_64\" or \"ARM64\"."
  type        = string
  default     = "X86_64"
}

variable "rest" {
  description = "REST service in each region: command, Fargate cpu and memory, desired/min/max task counts (see modules/app). Defaults: `npm run start:api`, 1 vCPU, 2 GiB, 2 tasks scaling to 6."
  type = object({
    command       = optional(list(string), ["npm", "run", "start:api"])
    cpu           = optional(number, 1024)
    memory        = optional(number, 2048)
    desired_count = optional(number, 2)
    min_count     = optional(number, 2)
    max_count     = optional(number, 6)
  })
  default = {}
}

variable "collab" {
  description = "Collab service in each region, as rest. Defaults: `npm run start:collab`, 0.5 vCPU, 1 GiB, 2 tasks scaling to 6."
  type = object({
    command       = optional(list(string), ["npm", "run", "start:collab"])
    cpu           = optional(number, 512)
    memory        = optional(number, 1024)
    desired_count = optional(number, 2)
    min_count     = optional(number, 2)
    max_count     = optional(number, 6)
  })
  default = {}
}

variable "database_pool_max" {
  description = "DATABASE_POOL_MAX: PostgreSQL connections per server process. (this + 5) × the most processes all regions may scale to must stay below postgres.max_connections (checked)."
  type        = number
  default     = 10

  validation {
    condition     = var.database_pool_max >= 2
    error_message = "database_pool_max must be at least 2."
  }
}

variable "database_connect_timeout_ms" {
  description = "DATABASE_CONNECT_TIMEOUT_MS: longest a connection attempt to one PostgreSQL node may take. A dead node costs this at every attempt; it must still cover a cross-region TLS handshake."
  type        = number
  default     = 2000
}

variable "database_failover_timeout_ms" {
  description = "DATABASE_FAILOVER_TIMEOUT_MS: how long the servers search for the writable node before answering 503 database_failover."
  type        = number
  default     = 30000
}

variable "database_primary_check_ms" {
  description = "DATABASE_PRIMARY_CHECK_MS: how often the servers check that the node in use still takes writes (catches a frozen or cut-off primary)."
  type        = number
  default     = 1000
}

variable "redis_prefix" {
  description = "REDIS_PREFIX: prefix of every Redis key and channel."
  type        = string
  default     = "twinmcp:"
}

variable "operator_emails" {
  description = "OPERATOR_EMAILS: accounts made deployment operators at every start."
  type        = list(string)
  default     = []
}

variable "log_level" {
  description = "LOG_LEVEL of both servers."
  type        = string
  default     = "info"

  validation {
    condition     = contains(["fatal", "error", "warn", "info", "debug", "trace", "silent"], var.log_level)
    error_message = "log_level must be one of fatal, error, warn, info, debug, trace, silent."
  }
}

variable "shutdown_timeout_ms" {
  description = "SHUTDOWN_TIMEOUT_MS: longest wait for in-flight work on SIGTERM; ECS's stop timeout and the target groups' deregistration delay follow it."
  type        = number
  default     = 10000

  validation {
    condition     = var.shutdown_timeout_ms >= 1000 && var.shutdown_timeout_ms <= 110000
    error_message = "shutdown_timeout_ms must be between 1000 and 110000 (ECS stops a container at most 120 s after SIGTERM)."
  }
}

variable "app_environment" {
  description = "Further plain environment variables for both servers (any row of the README's configuration table, e.g. EMAIL_FROM, BACKUP_SCHEDULE); they override the ones this configuration sets. Never secrets."
  type        = map(string)
  default     = {}
}

variable "app_secrets" {
  description = "Further environment variables read from Secrets Manager: variable name => secret name (e.g. { SMTP_URL = \"twinmcp/smtp-url\" }). Create the secret yourself, replicated to every region."
  type        = map(string)
  default     = {}
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps the servers' logs."
  type        = number
  default     = 30
}

# --- PostgreSQL and pg_auto_failover -------------------------------------------------------------------

variable "database_name" {
  description = "The product's database."
  type        = string
  default     = "twinmcp"

  validation {
    condition     = can(regex("^[a-z_][a-z0-9_]{0,62}$", var.database_name))
    error_message = "database_name must be a plain lowercase identifier."
  }
}

variable "database_user" {
  description = "PostgreSQL role the servers connect as (granted pg_monitor for GET /api/dr/status)."
  type        = string
  default     = "twinmcp"

  validation {
    condition     = can(regex("^[a-z_][a-z0-9_]{0,62}$", var.database_user))
    error_message = "database_user must be a plain lowercase identifier."
  }
}

variable "postgres" {
  description = "PostgreSQL instances: instance_type and architecture of the data nodes, monitor_instance_type, data_volume_size_gb and data_volume_iops (gp3), max_connections, number_sync_standbys (standbys confirming each commit; 1 of 2 keeps commits synchronous through the loss of any one region), key_name (SSH key pair or null)."
  type = object({
    instance_type         = optional(string, "m7g.large")
    monitor_instance_type = optional(string, "t4g.small")
    architecture          = optional(string, "arm64")
    data_volume_size_gb   = optional(number, 100)
    data_volume_iops      = optional(number, 3000)
    max_connections       = optional(number, 600)
    number_sync_standbys  = optional(number, 1)
    key_name              = optional(string)
  })
  default = {}

  validation {
    condition     = var.postgres.number_sync_standbys >= 0 && var.postgres.number_sync_standbys <= 1
    error_message = "With two standbys, number_sync_standbys can be 0 (still one synchronous standby, but a lost standby turns synchronous replication off) or 1."
  }
}

variable "failover_tuning" {
  description = <<-EOT
    pg_auto_failover timings (README › Failover gives each default and why; these defaults are the tuned
    "set C" measured at 6–7 s from a lost region to writes through the API on a LAN). Across regions,
    round trips are 60–250 ms: the monitor's checks still fit in a second, but raise
    node_considered_unhealthy_timeout_ms if a slow link ever causes a spurious failover.
  EOT
  type = object({
    health_check_period_ms               = optional(number, 1000)
    health_check_timeout_ms              = optional(number, 1000)
    health_check_max_retries             = optional(number, 1)
    health_check_retry_delay_ms          = optional(number, 100)
    node_considered_unhealthy_timeout_ms = optional(number, 2000)
    primary_demote_timeout_ms            = optional(number, 1000)
    network_partition_timeout_seconds    = optional(number, 2)
    wal_sender_timeout                   = optional(string, "4s")
  })
  default = {}

  validation {
    condition     = var.failover_tuning.health_check_timeout_ms <= var.failover_tuning.node_considered_unhealthy_timeout_ms
    error_message = "health_check_timeout_ms must not exceed node_considered_unhealthy_timeout_ms."
  }
}

# --- Redis and object storage --------------------------------------------------------------------------

variable "redis_node_type" {
  description = "ElastiCache node type of the shared Redis."
  type        = string
  default     = "cache.t4g.small"
}

variable "bucket_prefix" {
  description = "Attachment buckets are named <bucket_prefix>-<region key>; S3 names are global, so include something of yours (e.g. \"acme-twinmcp\")."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,54}$", var.bucket_prefix))
    error_message = "bucket_prefix must be 2–55 lowercase letters, digits or hyphens."
  }
}

variable "replication_time_control" {
  description = "S3 Replication Time Control on the writing bucket: 99.99 % of objects in the replicas within 15 minutes (extra cost per GB)."
  type        = bool
  default     = true
}

variable "protect_data" {
  description = "Keep buckets that hold objects and secrets (7-day recovery window) on `terraform destroy`. False only for throw-away stacks. (PostgreSQL data volumes are always protected: remove prevent_destroy by hand.)"
  type        = bool
  default     = true
}
