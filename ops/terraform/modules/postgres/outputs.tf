output "private_ip" {
  description = "The instance's fixed private address."
  value       = aws_instance.this.private_ip
}

output "instance_id" {
  description = "The EC2 instance's id."
  value       = aws_instance.this.id
}

output "security_group_id" {
  description = "The instance's security group."
  value       = aws_security_group.this.id
}

output "data_volume_id" {
  description = "The EBS volume holding PGDATA (kept when the instance is replaced)."
  value       = aws_ebs_volume.data.id
}
