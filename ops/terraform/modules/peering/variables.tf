variable "name" {
  description = "Name tag of the peering connection (e.g. \"twinmcp-eu-us\")."
  type        = string
}

variable "requester_vpc_id" {
  description = "VPC that asks for the peering, in the aws.requester provider's region."
  type        = string
}

variable "requester_cidr_block" {
  description = "Address range of the requester VPC (routed to from the accepter side)."
  type        = string
}

variable "requester_route_table_id" {
  description = "Requester route table that gets a route to the accepter VPC."
  type        = string
}

variable "accepter_vpc_id" {
  description = "VPC that accepts the peering, in the aws.accepter provider's region."
  type        = string
}

variable "accepter_cidr_block" {
  description = "Address range of the accepter VPC (routed to from the requester side)."
  type        = string
}

variable "accepter_route_table_id" {
  description = "Accepter route table that gets a route to the requester VPC."
  type        = string
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
