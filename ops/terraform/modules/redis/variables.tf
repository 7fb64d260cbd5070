variable "name" {
  description = "Replication group id and name prefix (lowercase letters, digits and hyphens, e.g. \"twinmcp-bus\")."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,34}$", var.name))
    error_message = "name must start with a letter and hold at most 35 lowercase letters, digits or hyphens."
  }
}

variable "vpc_id" {
  description = "VPC of the subnets."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets (in different zones) for the primary and its replica."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "Give at least two subnets, in different zones, for Multi-AZ failover."
  }
}

variable "client_cidrs" {
  description = "Address ranges allowed to reach Redis on 6379: every region's VPC, since every node shares this one Redis."
  type        = list(string)
}

variable "node_type" {
  description = "ElastiCache node type. The product keeps little in Redis (bus messages, rate-limit counters, connection counts)."
  type        = string
  default     = "cache.t4g.small"
}

variable "engine_version" {
  description = "Redis engine version."
  type        = string
  default     = "7.1"
}

variable "replicas" {
  description = "Read replicas beside the primary, in other zones; Multi-AZ automatic failover promotes one of them when the primary's zone fails."
  type        = number
  default     = 1

  validation {
    condition     = var.replicas >= 1 && var.replicas <= 5
    error_message = "replicas must be between 1 and 5 (automatic failover needs one)."
  }
}

variable "replica_regions" {
  description = "Regions besides this one that get a replica of the REDIS_URL secret, for their services to read."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
