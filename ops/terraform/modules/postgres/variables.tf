variable "name" {
  description = "Prefix for resource names and Name tags (e.g. \"twinmcp-eu-pg\")."
  type        = string
}

variable "role" {
  description = "What this instance runs: \"monitor\" (the pg_auto_failover monitor) or \"data\" (a PostgreSQL node with its keeper)."
  type        = string

  validation {
    condition     = contains(["monitor", "data"], var.role)
    error_message = "role must be \"monitor\" or \"data\"."
  }
}

variable "node_name" {
  description = "The node's name in pg_auto_failover (shown by `pg_autoctl show state`); the region's short name reads well."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the instance's subnet."
  type        = string
}

variable "subnet_id" {
  description = "Private subnet the instance runs in."
  type        = string
}

variable "private_ip" {
  description = "Fixed private address of the instance, inside subnet_id's range. Fixed so that DATABASE_URL and the monitor's address are known before the instances exist, and survive their replacement."
  type        = string

  validation {
    condition     = can(cidrhost("${var.private_ip}/32", 0))
    error_message = "private_ip must be an IPv4 address."
  }
}

variable "client_cidrs" {
  description = "Address ranges allowed to reach PostgreSQL on 5432: every region's VPC (the servers, the other nodes, the monitor)."
  type        = list(string)
}

variable "instance_type" {
  description = "EC2 instance type."
  type        = string
  default     = "m7g.large"
}

variable "architecture" {
  description = "CPU architecture of instance_type, to pick the matching Debian image: \"arm64\" (Graviton) or \"x86_64\"."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture must be \"arm64\" or \"x86_64\"."
  }
}

variable "ami_id" {
  description = "Image to boot. Null: the newest official Debian 12 image for architecture (the packages postgresql-15-auto-failover and pg-auto-failover-cli come from Debian 12's own archive)."
  type        = string
  default     = null
}

variable "data_volume_size_gb" {
  description = "Size of the EBS volume holding PGDATA and the keeper's state (it outlives the instance)."
  type        = number
  default     = 100

  validation {
    condition     = var.data_volume_size_gb >= 10
    error_message = "data_volume_size_gb must be at least 10."
  }
}

variable "data_volume_iops" {
  description = "Provisioned IOPS of the gp3 data volume (3000 is gp3's baseline, free)."
  type        = number
  default     = 3000
}

variable "key_name" {
  description = "EC2 key pair for SSH, or null for none (reach the instance some other way, e.g. a bastion with its own key)."
  type        = string
  default     = null
}

variable "passwords_secret_arn" {
  description = "ARN, in this region, of the Secrets Manager secret holding the JSON {app, replication, monitor} passwords."
  type        = string
}

variable "monitor_host" {
  description = "Private address of the pg_auto_failover monitor. Required for role \"data\"; ignored for the monitor itself."
  type        = string
  default     = null
}

variable "database_name" {
  description = "The product's database, created by the first data node."
  type        = string
  default     = "twinmcp"
}

variable "database_user" {
  description = "Role the servers connect as; created by the bootstrap node with pg_monitor (GET /api/dr/status reads pg_stat_replication)."
  type        = string
  default     = "twinmcp"
}

variable "bootstrap" {
  description = "True on exactly one data node: the one that starts as primary, creates the product's role and sets the formation's number_sync_standbys once every data node has joined."
  type        = bool
  default     = false
}

variable "data_node_count" {
  description = "Data nodes in the formation (the bootstrap node waits for all of them before asking for synchronous standbys)."
  type        = number
  default     = 3
}

variable "number_sync_standbys" {
  description = "The formation's number_sync_standbys: standbys that must confirm each commit besides the primary. 1 with two standbys keeps commits synchronous while either standby (or its region) is down."
  type        = number
  default     = 1

  validation {
    condition     = var.number_sync_standbys >= 0
    error_message = "number_sync_standbys cannot be negative."
  }
}

variable "candidate_priority" {
  description = "pg_auto_failover candidate priority of a data node (0–100; 0 never becomes primary). The highest healthy candidate is promoted."
  type        = number
  default     = 50

  validation {
    condition     = var.candidate_priority >= 0 && var.candidate_priority <= 100
    error_message = "candidate_priority must be between 0 and 100."
  }
}

variable "replication_quorum" {
  description = "Whether a data node counts towards the synchronous quorum (pg_auto_failover's replication-quorum)."
  type        = bool
  default     = true
}

variable "monitor_settings" {
  description = "pgautofailover.* GUCs set on the monitor (name without prefix => value); see the Failover section of the project README for each one's default and why."
  type        = map(string)
  default     = {}
}

variable "network_partition_timeout_seconds" {
  description = "Keeper setting timeout.network_partition_timeout: a primary cut off from the monitor and every standby this long stops its PostgreSQL."
  type        = number
  default     = 2
}

variable "wal_sender_timeout" {
  description = "PostgreSQL wal_sender_timeout on data nodes (a dead replication connection leaves pg_stat_replication this soon). Across regions longer than the keeper's first failed monitor round (~2-3 s), or a cut-off primary never stops itself."
  type        = string
  default     = "4s"
}

variable "max_connections" {
  description = "PostgreSQL max_connections on data nodes. (DATABASE_POOL_MAX + 5) × server processes must stay below it."
  type        = number
  default     = 400
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
