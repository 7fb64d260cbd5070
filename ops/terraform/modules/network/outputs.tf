output "vpc_id" {
  description = "The VPC's id."
  value       = aws_vpc.this.id
}

output "cidr_block" {
  description = "The VPC's address range."
  value       = aws_vpc.this.cidr_block
}

output "public_subnet_ids" {
  description = "Public subnets, one per zone (load balancer)."
  value       = aws_subnet.public[*].id
}

output "private_subnet_ids" {
  description = "Private subnets, one per zone (PostgreSQL, Redis, containers)."
  value       = aws_subnet.private[*].id
}

output "private_subnet_cidrs" {
  description = "Address ranges of the private subnets, in the order of private_subnet_ids."
  value       = aws_subnet.private[*].cidr_block
}

output "private_route_table_id" {
  description = "The route table every private subnet uses; peering adds its routes here."
  value       = aws_route_table.private.id
}
