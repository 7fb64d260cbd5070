variable "name" {
  description = "Prefix for every resource name and Name tag (e.g. \"twinmcp-eu\")."
  type        = string
}

variable "cidr_block" {
  description = "The VPC's address range. Must not overlap the other regions' ranges: they are peered."
  type        = string

  validation {
    condition     = can(cidrnetmask(var.cidr_block)) && try(tonumber(split("/", var.cidr_block)[1]) <= 20, false)
    error_message = "cidr_block must be an IPv4 CIDR of /20 or larger (six /24 subnets are carved from it)."
  }
}

variable "availability_zone_count" {
  description = "Availability zones to spread subnets over (one public and one private subnet in each)."
  type        = number
  default     = 3

  validation {
    condition     = var.availability_zone_count >= 2 && var.availability_zone_count <= 3
    error_message = "availability_zone_count must be 2 or 3 (an ALB needs two zones)."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
