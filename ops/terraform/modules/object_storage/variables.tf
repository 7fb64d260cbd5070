variable "bucket_name" {
  description = "Globally unique name of this region's bucket (S3 naming rules: 3–63 lowercase letters, digits, dots, hyphens)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be 3–63 lowercase letters, digits, dots or hyphens, starting and ending with a letter or digit."
  }
}

variable "replicate_to" {
  description = "Buckets (ARNs, in other regions) this bucket replicates every object and deletion to. Empty on replicas; set on the bucket the servers write to."
  type        = list(string)
  default     = []
}

variable "replication_time_control" {
  description = "Turn on S3 Replication Time Control: 99.99 % of objects replicated within 15 minutes, with metrics (extra cost per GB)."
  type        = bool
  default     = true
}

variable "noncurrent_version_days" {
  description = "Days an overwritten or deleted object's old version is kept (versioning is required by replication). Object keys are never overwritten by the product, so this is mostly deletions."
  type        = number
  default     = 30

  validation {
    condition     = var.noncurrent_version_days >= 1
    error_message = "noncurrent_version_days must be at least 1."
  }
}

variable "force_destroy" {
  description = "Let `terraform destroy` delete a bucket that still holds objects. Keep false outside throw-away stacks."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
