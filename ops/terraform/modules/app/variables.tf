variable "name" {
  description = "Prefix of the cluster, services, roles and log groups (e.g. \"twinmcp-eu\")."
  type        = string
}

variable "vpc_id" {
  description = "VPC the tasks run in."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets the tasks run in (they reach PostgreSQL, Redis and, through NAT, the image registry)."
  type        = list(string)
}

variable "alb_security_group_id" {
  description = "Security group of the region's load balancer; only it may reach the containers' ports."
  type        = string
}

variable "rest_target_group_arn" {
  description = "Load balancer target group the REST tasks register in."
  type        = string
}

variable "collab_target_group_arn" {
  description = "Load balancer target group the collab tasks register in."
  type        = string
}

variable "image" {
  description = "Container image holding both servers (ops/ Dockerfile), by digest or immutable tag, e.g. \"123456789012.dkr.ecr.eu-west-1.amazonaws.com/twinmcp@sha256:…\"."
  type        = string
}

variable "cpu_architecture" {
  description = "CPU architecture of the Fargate tasks; the image must be built for it: \"X86_64\" or \"ARM64\" (Graviton, cheaper)."
  type        = string
  default     = "X86_64"

  validation {
    condition     = contains(["X86_64", "ARM64"], var.cpu_architecture)
    error_message = "cpu_architecture must be \"X86_64\" or \"ARM64\"."
  }
}

variable "rest" {
  description = "REST API service: command (the image's entry point for `npm run start:api`), task size (Fargate CPU units and MiB) and task counts (autoscaled on CPU between min and max)."
  type = object({
    command       = optional(list(string), ["npm", "run", "start:api"])
    cpu           = optional(number, 1024)
    memory        = optional(number, 2048)
    desired_count = optional(number, 2)
    min_count     = optional(number, 2)
    max_count     = optional(number, 6)
  })
  default = {}

  validation {
    condition     = var.rest.min_count <= var.rest.desired_count && var.rest.desired_count <= var.rest.max_count
    error_message = "rest needs min_count <= desired_count <= max_count."
  }
}

variable "collab" {
  description = "Collaboration service: command (the image's entry point for `npm run start:collab`), task size and task counts, as for rest."
  type = object({
    command       = optional(list(string), ["npm", "run", "start:collab"])
    cpu           = optional(number, 512)
    memory        = optional(number, 1024)
    desired_count = optional(number, 2)
    min_count     = optional(number, 2)
    max_count     = optional(number, 6)
  })
  default = {}

  validation {
    condition     = var.collab.min_count <= var.collab.desired_count && var.collab.desired_count <= var.collab.max_count
    error_message = "collab needs min_count <= desired_count <= max_count."
  }
}

variable "rest_port" {
  description = "PORT of the REST containers."
  type        = number
  default     = 3000
}

variable "collab_port" {
  description = "COLLAB_PORT of the collab containers."
  type        = number
  default     = 1234
}

variable "environment" {
  description = "Plain environment variables of both services (the README's configuration table); never secrets. PORT, COLLAB_PORT and HOST are set by the module."
  type        = map(string)
  default     = {}

  validation {
    condition     = length(setintersection(keys(var.environment), ["JWT_SECRET", "DATABASE_URL", "REDIS_URL", "S3_SECRET_ACCESS_KEY", "SMTP_URL"])) == 0
    error_message = "JWT_SECRET, DATABASE_URL, REDIS_URL, S3_SECRET_ACCESS_KEY and SMTP_URL carry secrets: pass them in secrets, not environment."
  }
}

variable "secrets" {
  description = "Environment variables read from Secrets Manager at task start: variable name => the secret's ARN, or its name when it lives in this region (JWT_SECRET, DATABASE_URL, REDIS_URL, and any other)."
  type        = map(string)
}

variable "bucket_arns" {
  description = "S3 buckets the tasks may read and write (through their task role: no S3 keys in the environment)."
  type        = list(string)
}

variable "shutdown_timeout_seconds" {
  description = "SHUTDOWN_TIMEOUT_MS in seconds; ECS waits this plus a margin after SIGTERM before SIGKILL."
  type        = number
  default     = 10
}

variable "health_check_grace_period_seconds" {
  description = "Seconds a new task may fail load balancer checks while it starts (every server runs migrations at start)."
  type        = number
  default     = 90
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps the containers' logs (pino JSON lines)."
  type        = number
  default     = 30
}

variable "enable_execute_command" {
  description = "Allow `aws ecs execute-command` into running tasks (e.g. to run `npm run ops -- grant-operator`)."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
