variable "name" {
  description = "Name of the load balancer and prefix of its target groups (at most 26 characters: AWS caps target group names at 32)."
  type        = string

  validation {
    condition     = length(var.name) <= 26 && can(regex("^[a-zA-Z0-9-]+$", var.name))
    error_message = "name must be at most 26 letters, digits or hyphens."
  }
}

variable "vpc_id" {
  description = "VPC of the subnets and of the targets."
  type        = string
}

variable "public_subnet_ids" {
  description = "Public subnets, in at least two zones, the load balancer runs in."
  type        = list(string)
}

variable "certificate_arn" {
  description = "ACM certificate (in this region) for the HTTPS listener, covering the public host name."
  type        = string
}

variable "ssl_policy" {
  description = "TLS policy of the HTTPS listener."
  type        = string
  default     = "ELBSecurityPolicy-TLS13-1-2-2021-06"
}

variable "ingress_cidrs" {
  description = "Client address ranges allowed in on 80 and 443. Global Accelerator keeps the client's address, so this is the clients' ranges, not the accelerator's."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "rest_port" {
  description = "Port the REST containers listen on (PORT)."
  type        = number
  default     = 3000
}

variable "collab_port" {
  description = "Port the collab containers listen on (COLLAB_PORT)."
  type        = number
  default     = 1234
}

variable "collab_path" {
  description = "Path prefix routed to the collab servers (COLLAB_PUBLIC_URL ends with it). Everything else goes to the REST servers, which also serve the web client."
  type        = string
  default     = "/collab"

  validation {
    condition     = can(regex("^/[a-zA-Z0-9/_-]*[a-zA-Z0-9_-]$", var.collab_path))
    error_message = "collab_path must start with / and not end with one."
  }
}

variable "idle_timeout_seconds" {
  description = "Seconds a connection may stay silent before the load balancer closes it. WebSockets ping well within this; long uploads need it too."
  type        = number
  default     = 300
}

variable "deregistration_delay_seconds" {
  description = "Time a stopping target keeps its in-flight requests; a little over SHUTDOWN_TIMEOUT_MS."
  type        = number
  default     = 15
}

variable "health_check" {
  description = "Target health check on /readyz (200 when the database and the bus answer): interval and timeout in seconds, thresholds in checks."
  type = object({
    interval_seconds    = number
    timeout_seconds     = number
    healthy_threshold   = number
    unhealthy_threshold = number
  })
  default = {
    interval_seconds    = 10
    timeout_seconds     = 5
    healthy_threshold   = 2
    unhealthy_threshold = 2
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
