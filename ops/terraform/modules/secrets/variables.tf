variable "name" {
  description = "Prefix of every secret's name (secrets are named \"<name>/<secret>\")."
  type        = string
}

variable "replica_regions" {
  description = "AWS regions besides the provider's own that get a read replica of every secret, so each region's services and nodes read a local copy."
  type        = list(string)
  default     = []
}

variable "postgres_hosts" {
  description = "\"address:port\" of every PostgreSQL data node, in the order the servers should try them; they become DATABASE_URL's host list."
  type        = list(string)

  validation {
    condition     = length(var.postgres_hosts) >= 1
    error_message = "postgres_hosts needs at least one host."
  }
}

variable "database_name" {
  description = "Name of the product's database."
  type        = string
}

variable "database_user" {
  description = "PostgreSQL role the servers connect as."
  type        = string
}

variable "recovery_window_in_days" {
  description = "Days a deleted secret can still be restored (0 deletes at once, handy for throw-away stacks)."
  type        = number
  default     = 7

  validation {
    condition     = var.recovery_window_in_days == 0 || (var.recovery_window_in_days >= 7 && var.recovery_window_in_days <= 30)
    error_message = "recovery_window_in_days must be 0 or between 7 and 30 (Secrets Manager's limits)."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
