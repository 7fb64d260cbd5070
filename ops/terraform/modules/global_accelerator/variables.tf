variable "name" {
  description = "Name of the accelerator."
  type        = string
}

variable "endpoints" {
  description = "One regional load balancer per region, keyed by a short region name: its AWS region, its ARN, and the share of that region's nearby traffic it takes (traffic_dial, 0–100; 0 drains the region)."
  type = map(object({
    aws_region   = string
    alb_arn      = string
    traffic_dial = optional(number, 100)
  }))

  validation {
    condition     = alltrue([for e in values(var.endpoints) : e.traffic_dial >= 0 && e.traffic_dial <= 100])
    error_message = "traffic_dial must be between 0 and 100."
  }
}

variable "health_check_interval_seconds" {
  description = "Seconds between the accelerator's health checks of an endpoint group (10 or 30). For ALB endpoints the accelerator also follows the ALB's own target health (/readyz)."
  type        = number
  default     = 10

  validation {
    condition     = contains([10, 30], var.health_check_interval_seconds)
    error_message = "health_check_interval_seconds must be 10 or 30."
  }
}

variable "health_check_threshold" {
  description = "Consecutive failed checks before an endpoint is taken out (1–10)."
  type        = number
  default     = 2
}

variable "domain_name" {
  description = "Public host name pointed at the accelerator (e.g. \"collab.example.com\"). Null: no DNS record; use the accelerator's own name."
  type        = string
  default     = null
}

variable "route53_zone_id" {
  description = "Route 53 hosted zone holding domain_name. Null: no DNS record is made (manage it elsewhere)."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
